"""Fault injection switches.

One :class:`Faults` instance is shared by the running server: tests may set any field before the
server starts or flip it while it runs (``srv.faults.hang = Hang.STALLED``); every check reads
the current value. All faults are off by default, so a default server behaves like the captures.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from .identity import DEFAULT_MAX_UPLOAD_BYTES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Tamper = Callable[[web.Request, Handler], Awaitable["web.StreamResponse | None"]]


class Hang(enum.Enum):
    """Ways the server can stop making progress. Clearing the fault lets it carry on."""

    NONE = "none"
    NO_RESPONSE = "no_response"
    """POST /prompt reads and records the body, then never answers (and queues nothing)."""
    NOT_STARTED = "not_started"
    """POST /prompt answers 200 and queues the prompt, but the worker never picks it up."""
    STALLED = "stalled"
    """The prompt starts, announces its first node (``executing``), then sends nothing more."""


@dataclass
class Faults:
    """What should go wrong, and when. Every field can be changed while the server runs."""

    drop_ws_after: int | None = None
    """Abort the prompt client's WebSocket (no close frame, like a network cut) right after it
    was sent this many messages about one prompt: the ``status`` broadcasts caused by that
    prompt plus its execution messages, not counting the on-connect ``status``. The run goes on
    server-side and finishes; history has the result. Fires once per prompt."""

    restart_at_class: str | None = None
    """When the executor reaches the first node of this class (after its ``executing``), the
    server "restarts": queue, history, cache and the prompt counter are forgotten and every
    WebSocket is aborted. That prompt never completes and ``/history/{id}`` answers ``{}``.
    One-shot: the field is reset to None when it fires. ``ComfyTestServer.restart()`` does the
    same on demand."""

    error_at_class: str | None = None
    """Nodes of this class fail at run time with an ``execution_error`` (the captured shape),
    using :attr:`error_type` and :attr:`error_message`."""

    error_type: str = "RuntimeError"
    error_message: str = "Simulated failure injected by the ComfyUI test server"

    slow_start: float = 0.0
    """Seconds between ``start()`` and the port accepting connections (connections are
    refused until then). Only read at start-up."""

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    """Request body limit of every route. Larger bodies get ComfyUI's 413 text/plain answer
    ``Maximum request body size N exceeded.``; ``/features`` reports the same number."""

    hang: Hang = Hang.NONE
    """See :class:`Hang`."""

    node_delay: float = 0.0
    """Extra seconds every executed (non-cached) node takes."""

    frozen: bool = False
    """A process stopped (``kill -STOP``) while set: no HTTP request is answered (each waits,
    then is served once the fault is cleared, as the requests in a stopped process's socket
    buffers are when it is continued), no prompt makes progress or starts, no WebSocket
    message is sent; connections are still accepted."""

    tamper: Tamper | None = None
    """A hostile server in one function: called with each HTTP request and the route's real
    handler before anything else; the answer it returns is sent instead (it may call the
    handler and alter its answer, stream a body as slowly as it likes, or hang); ``None``
    lets the request through unchanged."""
