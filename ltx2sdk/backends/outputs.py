"""A finished job's outputs as both backends give them: named locally, verified.

Each backend reads its outputs from its own wire format (native ComfyUI's history:
:func:`ltx2sdk.backends.comfyui.wire.outputs_from_history`; a Comfy API v2 job's assets) into
:class:`OutputFile`. Here is what they share: a distinct local name for each output that
never carries a path (:func:`local_names`), so the local copy of an output never lands
outside the output folder and two outputs never share a name, and the check that a
downloaded file is whole and the kind of file it claims to be (:func:`verify_download`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ltx2sdk.errors import FileContentError, OutputError
from ltx2sdk.media.file_formats import verify_file

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
