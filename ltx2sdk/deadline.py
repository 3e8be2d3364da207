"""One deadline primitive: an end instant, and the sockets that must not outlive it.

Every exchange the SDK has with a server ends by a deadline, a server that drips its answer a
byte at a time included. A per-read socket timeout cannot promise that (each byte restarts
it), so two means are offered, and each user takes the one its library allows:

- **What is left.** :meth:`Deadline.left` (with a cap and a floor, for a library's timeout)
  and :meth:`Deadline.socket_timeout` (``TimeoutError`` when nothing is left), for code that
  makes each socket call itself (the safe fetcher sets the timeout before every read).
- **Sockets shut down when the time is up.** :meth:`Deadline.watch` registers a socket;
  inside :meth:`Deadline.armed`, the deadline's end (or :meth:`Deadline.abort`, from any
  thread) shuts every registered socket down, so a read blocked in a library returns at
  once. The armed deadline is :func:`current` on its thread (and in its context), for a
  transport deep under a library to find.

A deadline may be cut from a longer one (:meth:`Deadline.within`: a request's own limit inside
a job's deadline); :meth:`Deadline.outer_passed` then tells which of the two ran out, so the
caller can say so (a job past its deadline, or one slow request). Instants are
:func:`time.monotonic` seconds. One thread, started on first use, keeps every armed deadline
of the process: arming costs a heap push, not a thread.

Only the standard library is imported here; the errors a time-out means are the callers' to
choose.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

__all__ = ["Deadline", "checked_seconds", "current", "watch_current"]

OUTER_MARGIN = 0.01  # seconds: an outer deadline this close counts as reached


def checked_seconds(name: str, value: object, error: Callable[[str], Exception], *,
                    zero: bool = False, or_none: bool = False) -> float:
    """``value`` as a limit in seconds: a finite ``int`` or ``float`` above 0 (or 0 itself
    when ``zero``). Anything else raises ``error(message)``, the message one line naming
    ``name`` (``timeout must be a positive number of seconds, not True``): a ``bool`` is
    no number of seconds here (``True`` would be 1 s), nor is ``nan`` (every comparison with
    it is false: no limit at all), a string or ``None``. ``or_none``: the caller takes
    ``None`` itself (before calling), and the message says it may be ``None``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value) and (value > 0 or (zero and value == 0)):
        return float(value)
    accepted = ["None"] if or_none else []
    accepted += ["0"] if zero else []
    accepted.append("a positive number of seconds")
    text = accepted[0] if len(accepted) == 1 else \
        f"{', '.join(accepted[:-1])} or {accepted[-1]}"
    raise error(f"{name} must be {text}, not {value!r}")


class Deadline:
    """The instant ``end`` (monotonic seconds) and the sockets registered to it.

    ``outer``: the longer deadline this one was cut from, if any (see :meth:`within`).
    A deadline is safe to share between threads.
    """

    def __init__(self, end: float, *, outer: float | None = None) -> None:
        if math.isnan(end):
            raise ValueError("a deadline's end must be a number")
        self.end = end
        self.outer = outer
        self._fired = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds)

    @classmethod
    def within(cls, seconds: float, outer: float | None) -> Deadline:
        """The deadline ``seconds`` from now, or ``outer`` if that comes first (``None``: no
        outer deadline). ``seconds`` may be ``inf`` when ``outer`` is given."""
        end = time.monotonic() + seconds
        return cls(end if outer is None else min(end, outer), outer=outer)

    def __repr__(self) -> str:
        return f"Deadline(in {self.end - time.monotonic():.3f} s, fired={self.fired})"

    # --- the time -------------------------------------------------------------------------

    def left(self, *, cap: float = math.inf, floor: float = 0.0) -> float:
        """Seconds until the end, at most ``cap`` and at least ``floor`` (a library's
        timeout: ``floor`` keeps a last request at the deadline answerable)."""
        return max(floor, min(cap, self.end - time.monotonic()))

    def socket_timeout(self) -> float:
        """What is left, for a socket call's timeout; ``TimeoutError`` when nothing is."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline has passed")
        return left

    @property
    def passed(self) -> bool:
        """Whether the end has come."""
        return time.monotonic() >= self.end

    def outer_passed(self) -> bool:
        """Whether the outer deadline (see :meth:`within`) has come: the time ran out
        because of it, not because of this deadline's own limit."""
        return self.outer is not None and time.monotonic() >= self.outer - OUTER_MARGIN

    @property
    def fired(self) -> bool:
        """Whether the registered sockets were shut down: the end came while armed, or
        :meth:`abort` was called. A read that failed after this failed because of it."""
        with self._lock:
            return self._fired

    # --- the sockets ----------------------------------------------------------------------

    def watch(self, sock: socket.socket) -> None:
        """Register ``sock``: it is shut down when the deadline fires (at once if it has)."""
        with self._lock:
            if not self._fired:
                self._sockets.add(sock)
                return
        _shutdown(sock)

    def unwatch(self, sock: socket.socket) -> None:
        """Forget ``sock`` (its exchange ended: it may serve another one)."""
        with self._lock:
            self._sockets.discard(sock)

    def abort(self) -> None:
        """Fire now: shut every registered socket down, and any registered later. Safe to
        call from any thread, and more than once."""
        with self._lock:
            self._fired = True
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            _shutdown(sock)

    @contextlib.contextmanager
    def armed(self) -> Iterator[Deadline]:
        """Within this block the deadline fires at its end, and it is :func:`current`."""
        ticket = _ALARM.arm(self)
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)
            _ALARM.disarm(ticket)


_CURRENT: ContextVar[Deadline | None] = ContextVar("ltx2sdk_deadline", default=None)


def current() -> Deadline | None:
    """The deadline armed around the running code (on this thread), if any."""
    return _CURRENT.get()


def watch_current(sock: object) -> None:
    """Register ``sock`` to the deadline armed on this thread, if there is one and ``sock``
    is a socket (an HTTP library's connection may have none yet, or a stand-in)."""
    deadline = _CURRENT.get()
    if deadline is not None and isinstance(sock, socket.socket):
        deadline.watch(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to stop
        sock.shutdown(socket.SHUT_RDWR)


class _Alarm:
    """One thread that fires every armed deadline at its end (a heap of ends)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start afresh (in a forked child: the parent's thread and lock are not its own)."""
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Deadline]] = []
        self._armed: set[int] = set()
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> int:
        with self._cond:
            ticket = next(self._tickets)
            heapq.heappush(self._heap, (deadline.end, ticket, deadline))
            self._armed.add(ticket)
            if len(self._heap) > 2 * len(self._armed) + 64:  # drop what was disarmed
                self._heap = [entry for entry in self._heap if entry[1] in self._armed]
                heapq.heapify(self._heap)
            if self._thread is None or not self._thread.is_alive():  # first use, or a fork
                self._thread = threading.Thread(target=self._run, name="ltx2sdk-deadlines",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
        return ticket

    def disarm(self, ticket: int) -> None:
        with self._cond:
            self._armed.discard(ticket)

    def _run(self) -> None:
        while True:
            for deadline in self._due():
                deadline.abort()

    def _due(self) -> list[Deadline]:
        """The armed deadlines whose end has come (waits until there is one)."""
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait <= 0:
                    break
                self._cond.wait(min(wait, 3600.0))  # an end at inf: wait in long steps
            due: list[Deadline] = []
            now = time.monotonic()
            while self._heap and self._heap[0][0] <= now:
                _end, ticket, deadline = heapq.heappop(self._heap)
                if ticket in self._armed:
                    self._armed.discard(ticket)
                    due.append(deadline)
            return due


_ALARM = _Alarm()
if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_ALARM.reset)
