"""Typed events of one prompt's run: the closed union both backends produce.

The native backend reads them from ComfyUI's WebSocket messages
(:func:`ltx2sdk.backends.comfyui.wire.parse_event`); the Comfy API v2 backend from its job
snapshots and event stream (:mod:`ltx2sdk.backends.comfy_api_v2.following`). Every event
belongs to one prompt (a job).
"""

from __future__ import annotations

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
