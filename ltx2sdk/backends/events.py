"""Typed events of one prompt's run, parsed from ComfyUI's WebSocket messages.

Only messages that carry the prompt's id become events; queue ``status``
broadcasts and other prompts' messages are dropped by :func:`parse_event`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base class: every event belongs to one prompt."""

    prompt_id: str


@dataclass(frozen=True)
class ExecutionStarted(Event):
    """The worker took the prompt from the queue."""


@dataclass(frozen=True)
class NodesCached(Event):
    """These nodes' outputs came from the cache and will not run."""

    nodes: tuple[str, ...] = ()


@dataclass(frozen=True)
class NodeExecuting(Event):
    """A node started running."""

    node_id: str = ""


@dataclass(frozen=True)
class Progress(Event):
    """A step of a long node (a sampler): ``value`` of ``max``."""

    node_id: str = ""
    value: int = 0
    max: int = 1


@dataclass(frozen=True)
class NodeExecuted(Event):
    """A node produced UI output (for example SaveVideo's file list)."""

    node_id: str = ""
    output: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutionSucceeded(Event):
    """Every node finished."""


@dataclass(frozen=True)
class ExecutionFailed(Event):
    """A node raised; the run stopped there."""

    node_id: str = ""
    node_type: str = ""
    exception_type: str = ""
    exception_message: str = ""
    traceback: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExecutionInterrupted(Event):
    """The run was interrupted (``POST /interrupt``)."""

    node_id: str | None = None
    node_type: str | None = None


@dataclass(frozen=True)
class Finished(Event):
    """ComfyUI's final ``executing`` with ``node: null``: the prompt is done, whatever the
    outcome, and its history has been written."""


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
