"""Following one queued ComfyUI prompt, without IO: what each event and history entry means,
and when to look at the history, wait or reconnect.

The client's loop (:mod:`.client`) does the IO: it reads the prompt's WebSocket, asks
``/history`` and ``/queue``, reconnects; this module decides:

- what an event means for the run (:class:`PromptFollowing`: it started, these nodes came
  from the cache, it failed (:func:`failure_of`), it ended). Success is final only with
  ComfyUI's last message (``executing`` with ``node: null``): the history is written by then;
- how long one receive may wait (:func:`receive_wait`): short slices when the caller may
  cancel, so a cancel is noticed within :data:`CANCEL_SLICE` seconds;
- "silent long enough, ask the history" (:meth:`PromptFollowing.history_due`): the socket
  said nothing for ``receive_timeout`` seconds since the last event or the last look, so the
  end may have been missed (a socket that drops, a server that forgot the client id);
- what a history entry says (:func:`history_outcome`): still running, ended (and how), or,
  when the server has neither the entry nor the prompt in its queue, a prompt it lost;
- the pace of reconnecting (:func:`reconnect_delays`) and of asking for the history entry
  after success (:data:`FINAL_ENTRY_TRIES` looks, :data:`FINAL_ENTRY_PAUSE` apart);
- "hung": a server that answers none of the looks at its history and queue (each given
  :data:`LOOK_TIMEOUT` seconds, taken :data:`LOOK_AGAIN` seconds apart once one went
  unanswered) for :data:`HUNG_AFTER` seconds (:meth:`PromptFollowing.unanswered`). A busy
  ComfyUI answers them at once, whatever its GPU does: its HTTP server runs on its event
  loop, the prompt on another thread; a stopped or wedged process answers nothing.

Times are :func:`time.monotonic` seconds, given by the caller; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ltx2sdk.backends.comfyui.wire import failure_from_history
from ltx2sdk.backends.events import (
    Event,
    ExecutionFailed,
    ExecutionInterrupted,
    ExecutionStarted,
    Finished,
    NodesCached,
)
from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    PromptLostError,
    ServerResponseError,
)

__all__ = ["CANCEL_SLICE", "FINAL_ENTRY_PAUSE", "FINAL_ENTRY_TRIES", "HUNG_AFTER",
           "LOOK_AGAIN", "LOOK_TIMEOUT", "MIN_RECEIVE",
           "RECONNECT_FACTOR", "RECONNECT_FIRST", "RECONNECT_MAX", "Ended", "PromptFollowing",
           "failure_of", "history_outcome", "receive_wait", "reconnect_delays"]

CANCEL_SLICE = 0.25  # seconds a receive may wait when the caller may cancel (a stop is quick)
MIN_RECEIVE = 0.01  # seconds: a receive at the deadline still looks once
RECONNECT_FIRST, RECONNECT_FACTOR, RECONNECT_MAX = 0.2, 2.0, 5.0  # seconds between attempts
FINAL_ENTRY_TRIES, FINAL_ENTRY_PAUSE = 20, 0.05  # the history entry after success
HUNG_AFTER = 10.0
"""Seconds a followed server may leave every look at its history and queue unanswered
before it counts as hung (the prompt's follow fails with ServerUnavailableError): with the
socket's silence first (``receive_timeout``, 10 s by default), a hung server is found out
within about 25 s of its last message."""
LOOK_TIMEOUT = 5.0  # seconds one look at the history or queue may take
LOOK_AGAIN = 2.0  # seconds between looks while the server answers none


def failure_of(event: Event) -> Exception | None:
    """The error ``event`` reports (a node failed, the prompt was interrupted), if any."""
    if isinstance(event, ExecutionFailed):
        return ExecutionError(event.prompt_id, event.node_id, event.node_type,
                              event.exception_type, event.exception_message,
                              list(event.traceback))
    if isinstance(event, ExecutionInterrupted):
        return ExecutionInterruptedError(event.prompt_id, event.node_id, event.node_type)
    return None


def receive_wait(*, now: float, deadline: float, receive_timeout: float,
                 cancellable: bool) -> float:
    """How long the next receive may wait: ``receive_timeout`` (or :data:`CANCEL_SLICE`
    when the caller may cancel), never past the deadline, at least :data:`MIN_RECEIVE`."""
    cap = CANCEL_SLICE if cancellable else receive_timeout
    return max(min(cap, deadline - now), MIN_RECEIVE)


def reconnect_delays() -> Iterator[float]:
    """The pauses between attempts to reconnect the socket: :data:`RECONNECT_FIRST`,
    doubling up to :data:`RECONNECT_MAX`."""
    delay = RECONNECT_FIRST
    while True:
        yield delay
        delay = min(delay * RECONNECT_FACTOR, RECONNECT_MAX)


@dataclass(frozen=True)
class Ended:
    """The prompt ended: ``failure`` is the error it ended with, ``None`` for a success."""

    failure: Exception | None = None


def history_outcome(prompt_id: str, entry: Mapping[str, Any] | None) -> Ended | None:
    """What the history says of ``prompt_id``: :class:`Ended`, or ``None`` while it runs.

    ``entry`` is ``None`` when the server has no entry *and* no longer queues the prompt
    (the caller asked the queue, then the history again: the history is written before the
    prompt leaves the queue): :class:`PromptLostError` then. A malformed entry is a
    :class:`ServerResponseError`.
    """
    if entry is None:
        raise PromptLostError(
            f"ComfyUI no longer knows prompt {prompt_id}: it is neither queued nor in the "
            "history (the server restarted or the queue was cleared)")
    status = entry.get("status") or {}
    if not isinstance(status, Mapping):
        raise ServerResponseError(f"the history of prompt {prompt_id} has a status that is "
                                  "not an object")
    if not status.get("completed", False) and status.get("status_str") != "error":
        return None
    return Ended(failure_from_history(prompt_id, entry))


@dataclass
class PromptFollowing:
    """What following prompt ``prompt_id`` has learnt so far.

    :meth:`took` takes each event of the prompt; :meth:`history_due` says when the socket has
    been silent long enough to look at the history; ``reconnected`` is true from a reconnect
    until the next event (then a silent socket is reconnected again: ComfyUI drops the client
    id when it notices the *old* socket's close, even after the new socket registered it).
    """

    prompt_id: str
    receive_timeout: float
    started: bool = False
    cached: tuple[str, ...] = ()
    failure: Exception | None = None
    reconnected: bool = False
    last_event: float = 0.0
    last_look: float = 0.0
    unanswered_since: float | None = None  # when the first of the unanswered looks began

    def took(self, event: Event, now: float) -> bool:
        """Take ``event`` (received at ``now``); whether the run has ended with it (the
        final message, or a failure)."""
        self.reconnected = False
        self.last_event = now
        self.unanswered_since = None  # (it speaks: not hung)
        if isinstance(event, ExecutionStarted):
            self.started = True
        elif isinstance(event, NodesCached):
            self.cached = event.nodes
        failure = failure_of(event)
        if failure is not None:
            self.failure = failure
        # success is final only with ComfyUI's last message: history is written by then
        return isinstance(event, Finished) or self.failure is not None

    def history_due(self, now: float) -> bool:
        """Whether the socket has been silent for ``receive_timeout`` since the last event
        or the last look; if so, the look is counted as taken at ``now``."""
        # (sooner while the server answers no look: whether it is hung is being found out)
        pause = self.receive_timeout if self.unanswered_since is None else LOOK_AGAIN
        if now - max(self.last_event, self.last_look) < pause:
            return False
        self.last_look = now
        return True

    def answered(self) -> None:
        """The server answered a look: it is not hung."""
        self.unanswered_since = None

    def unanswered(self, began: float, now: float) -> bool:
        """A look begun at ``began`` got no answer (by ``now``): whether the server has
        answered none for :data:`HUNG_AFTER` seconds, and counts as hung."""
        if self.unanswered_since is None:
            self.unanswered_since = began
        return now - self.unanswered_since >= HUNG_AFTER

    def ended_by(self, outcome: Ended | None) -> bool:
        """Take what the history said (:func:`history_outcome`); whether the run ended."""
        if outcome is None:
            return False
        self.failure = outcome.failure
        return True
