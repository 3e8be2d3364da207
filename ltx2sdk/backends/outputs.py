"""A finished prompt's outputs: read from its history entry, named locally, verified.

ComfyUI's history is the server's word on what a prompt produced; everything read from it is
checked for its type, and a file name that cannot be a plain file name is an error, never a
path: the local copy of an output never lands outside the output folder, and two outputs
never share a local name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    FileContentError,
    OutputError,
    ServerResponseError,
)
from ltx2sdk.media.file_formats import verify_file

OUTPUT_KEYS = ("images", "gifs", "videos", "audio")  # where ComfyUI nodes report files
MAX_NAME_BYTES = 255  # a longer name is no file name on the filesystems ComfyUI writes to
FOLDER_TYPES = ("output", "temp", "input")
DOWNLOAD_CHUNK = 1 << 20  # 1 MiB read at a time: steady memory whatever the file size


@dataclass(frozen=True)
class OutputFile:
    """A file a node reported: ``node_id`` and ``kind`` (the history key) say where from."""

    node_id: str
    kind: str
    filename: str
    subfolder: str
    type: str
    animated: bool = False

    @property
    def view_params(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}

    @property
    def is_video(self) -> bool:
        """Whether the node reported a video (SaveVideo's animated ``images``, ``gifs``,
        ``videos``)."""
        return self.kind in ("gifs", "videos") or (self.kind == "images" and self.animated)


def outputs_from_history(entry: Mapping[str, Any], prompt_id: str = "") -> list[OutputFile]:
    """Every file any node reported, in node order; nothing is dropped.

    SaveVideo reports its mp4 under ``images`` with ``animated: [true]``; video helper
    nodes use ``gifs``; others ``videos`` or ``audio``. A malformed entry is a
    :class:`ServerResponseError` that says where.
    """
    where = f"the history of prompt {prompt_id}" if prompt_id else "a history entry"
    outputs = entry.get("outputs") or {}
    if not isinstance(outputs, Mapping):
        raise ServerResponseError(f"{where}: 'outputs' is not an object")
    files: list[OutputFile] = []
    for node_id in sorted(outputs, key=lambda k: (len(str(k)), str(k))):
        ui = outputs[node_id] or {}
        if not isinstance(ui, Mapping):
            raise ServerResponseError(f"{where}: the outputs of node {node_id} are not an object")
        animated = ui.get("animated") or []
        if not isinstance(animated, list):
            animated = []
        for kind in OUTPUT_KEYS:
            items = ui.get(kind) or []
            if not isinstance(items, list):
                raise ServerResponseError(f"{where}: node {node_id} '{kind}' is not a list")
            for index, item in enumerate(items):
                if not isinstance(item, Mapping) or "filename" not in item:
                    continue  # not a file (some nodes report text or numbers here)
                files.append(_output_file(where, str(node_id), kind, item,
                                          bool(animated[index]) if index < len(animated)
                                          else kind != "images"))
    return files


def _output_file(where: str, node_id: str, kind: str, item: Mapping[str, Any],
                 animated: bool) -> OutputFile:
    filename, subfolder, folder = item.get("filename"), item.get("subfolder", ""), \
        item.get("type", "output")
    problem = _name_problem(filename)
    if problem is None and not isinstance(subfolder, str):
        problem = f"its subfolder is a {type(subfolder).__name__}"
    if problem is None and "\0" in str(subfolder):
        problem = "its subfolder holds a NUL byte"
    if problem is None and folder not in FOLDER_TYPES:
        problem = f"its folder type {folder!r} is not one of {', '.join(FOLDER_TYPES)}"
    if problem is not None:
        raise ServerResponseError(f"{where}: node {node_id} reported an unusable output "
                                  f"{str(filename)[:80]!r}: {problem}")
    return OutputFile(node_id=node_id, kind=kind, filename=str(filename),
                      subfolder=str(subfolder), type=str(folder), animated=animated)


def _name_problem(filename: Any) -> str | None:
    if not isinstance(filename, str):
        return f"the file name is a {type(filename).__name__}"
    if "\0" in filename:
        return "the file name holds a NUL byte"
    if len(filename.encode("utf-8")) > MAX_NAME_BYTES:
        return f"the file name is longer than {MAX_NAME_BYTES} bytes"
    name = Path(filename.replace("\\", "/")).name
    if not name or name in (".", ".."):
        return "it is not a file name"
    return None


def local_names(outputs: Iterable[OutputFile]) -> dict[OutputFile, str]:
    """A distinct local file name for each output: the server's base name, else prefixed
    with the node id, else numbered (a name from the server never carries a path)."""
    names: dict[OutputFile, str] = {}
    taken: set[str] = set()
    for output in outputs:
        base = Path(output.filename.replace("\\", "/")).name
        name = base
        if name in taken:
            name = f"{output.node_id}_{base}"
        stem, suffix = Path(name).stem, Path(name).suffix
        counter = 2
        while name in taken:
            name = f"{stem}_{counter}{suffix}"
            counter += 1
        taken.add(name)
        names[output] = name
    return names


def describe(output: OutputFile) -> str:
    """How errors name an output: its node and its file."""
    return f"node {output.node_id} output {output.filename!r}"


def verify_download(output: OutputFile, dest: Path) -> Path:
    """``dest`` if it is whole and the kind of file ``output`` promises; otherwise it is
    removed and :class:`OutputError` names the node and file (an empty body, an error
    page, a video cut short)."""
    try:
        verify_file(dest, video=output.is_video)
    except FileContentError as exc:
        dest.unlink(missing_ok=True)
        raise OutputError(f"{describe(output)} is not a usable file: {exc}") from exc
    return dest



def failure_from_history(prompt_id: str, entry: Mapping[str, Any]) -> Exception | None:
    """The error a finished history entry records, or ``None`` if it succeeded."""
    status = entry.get("status") or {}
    if not isinstance(status, Mapping):
        raise ServerResponseError(f"the history of prompt {prompt_id} has a status that is not "
                                  "an object")
    if status.get("status_str") != "error":
        return None
    messages = status.get("messages") or []
    for message in reversed(messages if isinstance(messages, list) else []):
        if not (isinstance(message, list) and len(message) == 2
                and isinstance(message[1], Mapping)):
            continue
        kind, data = message
        if kind == "execution_error":
            return ExecutionError(prompt_id, str(data.get("node_id")), str(data.get("node_type")),
                                  str(data.get("exception_type", "")),
                                  str(data.get("exception_message", "")),
                                  [str(line) for line in data.get("traceback") or []
                                   if isinstance(data.get("traceback"), list)])
        if kind == "execution_interrupted":
            node_id, node_type = data.get("node_id"), data.get("node_type")
            return ExecutionInterruptedError(prompt_id,
                                             None if node_id is None else str(node_id),
                                             None if node_type is None else str(node_type))
    return ExecutionError(prompt_id, "?", "?", "unknown", "ComfyUI reports the prompt failed")
