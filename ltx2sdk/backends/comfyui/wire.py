"""ComfyUI's native wire format, read: its WebSocket messages, history entries and refusals.

Used by the native client only (:mod:`ltx2sdk.backends.comfyui.client`); the Comfy API v2 has
a wire of its own. Each function takes what the server sent, decoded from JSON, and never
trusts its shape:

- :func:`parse_event`: a WebSocket message as the typed event it means for one prompt
  (:mod:`ltx2sdk.backends.events`), or ``None``; never raises;
- :func:`outputs_from_history`: every file a finished prompt's history entry reports, each
  name checked (a name that cannot be a plain file name is an error, never a path);
- :func:`failure_from_history`: the error a finished history entry records;
- :func:`rejection_from_body`: ``POST /prompt``'s 400 body as a
  :class:`~ltx2sdk.errors.PromptRejectedError` with one :class:`~ltx2sdk.errors.NodeError`
  per node error;
- :func:`history_entry` and :func:`queue_holds`: the entry of one prompt in a
  ``GET /history/{id}`` answer, and whether a ``GET /queue`` answer lists a prompt;
- :func:`partner_nodes`: the node types of a prompt that take a Comfy account key (ComfyUI's
  partner nodes), by the server's ``/object_info``; the key travels as
  :data:`PARTNER_KEY_FIELD` of ``POST /prompt``'s ``extra_data``, held meanwhile by a
  :class:`PartnerKey` that never shows it.

A malformed answer (where the SDK needs a shape) is a
:class:`~ltx2sdk.errors.ServerResponseError` that says where.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from ltx2sdk.backends.events import (
    Event,
    ExecutionFailed,
    ExecutionInterrupted,
    ExecutionStarted,
    ExecutionSucceeded,
    Finished,
    NodeExecuted,
    NodeExecuting,
    NodesCached,
    Progress,
)
from ltx2sdk.backends.outputs import OutputFile
from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    NodeError,
    PromptRejectedError,
    ServerResponseError,
)

__all__ = ["FOLDER_TYPES", "MAX_NAME_BYTES", "OUTPUT_KEYS", "failure_from_history",
           "history_entry", "outputs_from_history", "parse_event", "queue_holds",
           "queue_place", "rejection_from_body"]

OUTPUT_KEYS = ("images", "gifs", "videos", "audio")  # where ComfyUI nodes report files
MAX_NAME_BYTES = 255  # a longer name is no file name on the filesystems ComfyUI writes to
FOLDER_TYPES = ("output", "temp", "input")


# --- WebSocket messages -------------------------------------------------------------------


def parse_event(message: dict[str, Any], prompt_id: str) -> Event | None:
    """The event ``message`` means for ``prompt_id``, or ``None`` if it is not about it.

    Never raises: fields of the wrong type are read as absent (a garbled progress report
    is dropped), so a noisy socket cannot end a run; the history decides the outcome.
    """
    kind = message.get("type")
    data = message.get("data")
    if not isinstance(data, dict) or data.get("prompt_id") != prompt_id:
        return None
    if kind == "execution_start":
        return ExecutionStarted(prompt_id)
    if kind == "execution_cached":
        nodes = data.get("nodes")
        return NodesCached(prompt_id, tuple(str(n) for n in nodes)
                           if isinstance(nodes, list) else ())
    if kind == "executing":
        node = data.get("node")
        return Finished(prompt_id) if node is None else NodeExecuting(prompt_id, str(node))
    if kind == "progress":
        value, maximum = data.get("value", 0), data.get("max", 1)
        if not (_is_number(value) and _is_number(maximum)):
            return None  # a garbled progress report says nothing: the run goes on
        return Progress(prompt_id, str(data.get("node")), int(value), int(maximum))
    if kind == "executed":
        output = data.get("output")
        return NodeExecuted(prompt_id, str(data.get("node")),
                            dict(output) if isinstance(output, dict) else {})
    if kind == "execution_success":
        return ExecutionSucceeded(prompt_id)
    if kind == "execution_error":
        if data.get("exception_type") == "ExecutionBlocked":
            return None  # a blocked branch: ComfyUI goes on with the rest of the prompt
        trace = data.get("traceback")
        return ExecutionFailed(
            prompt_id, str(data.get("node_id")), str(data.get("node_type")),
            str(data.get("exception_type", "")), str(data.get("exception_message", "")),
            tuple(str(line) for line in trace) if isinstance(trace, list) else ())
    if kind == "execution_interrupted":
        node_id, node_type = data.get("node_id"), data.get("node_type")
        return ExecutionInterrupted(prompt_id, None if node_id is None else str(node_id),
                                    None if node_type is None else str(node_type))
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


# --- history entries ----------------------------------------------------------------------


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


# --- history and queue answers ------------------------------------------------------------


def history_entry(body: Mapping[str, Any], prompt_id: str) -> dict[str, Any] | None:
    """The entry of ``prompt_id`` in a ``GET /history/{prompt_id}`` answer, or ``None`` if
    the server has none."""
    entry = body.get(prompt_id)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ServerResponseError(f"GET /history/{prompt_id} answered an entry that is not "
                                  "an object")
    return entry


def queue_holds(body: Mapping[str, Any], prompt_id: str) -> bool:
    """Whether a ``GET /queue`` answer lists ``prompt_id`` as running or pending."""
    return queue_place(body, prompt_id) is not None


def queue_place(body: Mapping[str, Any], prompt_id: str
                ) -> Literal["running", "pending"] | None:
    """Where a ``GET /queue`` answer lists ``prompt_id``: ``"running"``, ``"pending"``, or
    ``None`` (not there). Each item is ``[number, prompt_id, ...]``."""
    for key, place in (("queue_running", "running"), ("queue_pending", "pending")):
        part = body.get(key) or []
        if not isinstance(part, list):
            raise ServerResponseError(f"GET /queue answered '{key}' that is not a list")
        if any(isinstance(item, list) and len(item) > 1 and item[1] == prompt_id
               for item in part):
            return "running" if place == "running" else "pending"
    return None


# --- refusals -----------------------------------------------------------------------------


def rejection_from_body(body: Any) -> PromptRejectedError:
    """Turn ComfyUI's 400 body into :class:`PromptRejectedError` (one NodeError each).

    Tolerates any shape: what is not where ComfyUI puts it is left out, never a crash.
    """
    error: Any = body.get("error", {}) if isinstance(body, dict) else {}
    if isinstance(error, str):  # very old servers answer {"error": "message"}
        error = {"type": "error", "message": error}
    if not isinstance(error, dict):
        error = {}
    node_errors = []
    raw_nodes = body.get("node_errors") if isinstance(body, dict) else None
    for node_id, entry in (raw_nodes.items() if isinstance(raw_nodes, dict) else ()):
        if not isinstance(entry, dict):
            continue
        for item in entry.get("errors") or ():
            if not isinstance(item, dict):
                continue
            extra = item.get("extra_info")
            input_name = extra.get("input_name") if isinstance(extra, dict) else None
            node_errors.append(NodeError(
                node_id=str(node_id), class_type=str(entry.get("class_type", "?")),
                type=str(item.get("type", "")), message=str(item.get("message", "")),
                details=str(item.get("details", "")),
                input_name=input_name if isinstance(input_name, str) else None))
    message = str(error.get("message", "invalid prompt"))
    details = str(error.get("details") or "")
    if details and not node_errors:
        message = f"{message}: {details}"
    return PromptRejectedError(str(error.get("type", "unknown")), message, node_errors, raw=body)


# --- partner nodes -----------------------------------------------------------------------------

PARTNER_KEY_FIELD = "api_key_comfy_org"
"""The ``extra_data`` field of ``POST /prompt`` ComfyUI hands to a node's hidden
``API_KEY_COMFY_ORG`` input (ComfyUI's ``execution.py``: ``extra_data.get("api_key_comfy_org")``);
its partner nodes send it to Comfy's API as ``X-API-KEY``. ComfyUI keeps it out of the queue and
the history."""
PARTNER_KEY_ENV = "COMFY_API_KEY"
"""Where the key is read when none is given: the Comfy account key, as for the Comfy API v2
(:data:`ltx2sdk.backends.protocol.API_KEY_ENV`)."""
_HIDDEN_KEY_TYPE = "API_KEY_COMFY_ORG"


class PartnerKey:
    """A Comfy account API key, held so that it is never shown: its ``repr`` and ``str`` are
    ``PartnerKey(***)``, it is not picklable, and only :meth:`reveal` gives it (for the one
    request body that carries it)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @classmethod
    def resolve(cls, given: str | None) -> PartnerKey | None:
        """``given``, else ``$COMFY_API_KEY``; surrounding blanks stripped, a blank one is
        none."""
        for candidate in (given, os.environ.get(PARTNER_KEY_ENV)):
            if candidate and candidate.strip():
                return cls(candidate.strip())
        return None

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "PartnerKey(***)"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("a PartnerKey is not pickled: it would write the key down")


def _takes_partner_key(schema: Any) -> bool:
    """Whether a node's ``/object_info`` entry declares the hidden key input."""
    inputs = schema.get("input") if isinstance(schema, Mapping) else None
    hidden = inputs.get("hidden") if isinstance(inputs, Mapping) else None
    if not isinstance(hidden, Mapping):
        return False
    for name, spec in hidden.items():
        kind = spec[0] if isinstance(spec, list) and spec else spec
        if name == PARTNER_KEY_FIELD or kind == _HIDDEN_KEY_TYPE:
            return True
    return False


def partner_nodes(prompt: Mapping[str, Any], object_info: Mapping[str, Any]) -> list[str]:
    """The node types of the API prompt ``prompt`` whose ``object_info`` entry takes a Comfy
    account key (a hidden ``API_KEY_COMFY_ORG`` input), each once, in prompt order."""
    found: dict[str, None] = {}
    for node in prompt.values():
        class_type = node.get("class_type") if isinstance(node, Mapping) else None
        if isinstance(class_type, str) and _takes_partner_key(object_info.get(class_type)):
            found[class_type] = None
    return list(found)
