"""Following one Comfy API v2 job, without IO: what each polled snapshot and each streamed
event means, and when to ask again.

The backend's loop (:mod:`.backend`) does the IO: it polls ``GET /api/v2/jobs/{id}`` (the
truth about a job), reads the job's event stream (events sooner, and a hint when to poll),
and calls into this module, which decides:

- which statuses end a job (:data:`TERMINAL_STATUSES`, :func:`is_terminal`);
- the "expired but maybe finished" judgement: comfy-api-proxy reports a job that finishes
  between two of its own reads as ``expired`` for a moment, so ``expired`` is believed only
  when seen :data:`EXPIRED_CHECKS` times in a row, :data:`EXPIRED_RECHECK` seconds apart
  (:func:`expired_is_final`); after the caller's own cancel, ``expired`` means cancelled (a
  queued job that is cancelled ends so, never reaching the history);
- the pace of polling (:class:`PollPacer`): from :data:`POLL_FIRST` seconds growing by
  :data:`POLL_FACTOR` to :data:`POLL_MAX` (as comfy-sdk polls), at most
  :data:`POLL_MAX_WITHOUT_STREAM` while the event stream is down, and at most
  :data:`POLL_MAX_WHILE_QUEUED` while a job whose time counts from its start waits in the
  service's queue (its start is heard that soon: a service's stream tells of it only with
  the first progress);
- the typed events (:mod:`ltx2sdk.backends.events`) a snapshot or a streamed frame stands
  for, each told once (:class:`JobFollowing`).

Snapshots are plain values (:class:`JobSnapshot`): this module imports neither comfy-sdk nor
httpx, and its tests need no server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ltx2sdk.backends.events import (
    Event,
    ExecutionFailed,
    ExecutionInterrupted,
    ExecutionStarted,
    ExecutionSucceeded,
    Finished,
    NodeExecuted,
    NodeExecuting,
    Progress,
)
from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    JobCancelledError,
    LTX2Error,
    PromptLostError,
    ServerResponseError,
)

__all__ = ["EXPIRED_CHECKS", "EXPIRED_RECHECK", "POLL_FACTOR", "POLL_FIRST", "POLL_MAX",
           "POLL_MAX_WHILE_QUEUED", "POLL_MAX_WITHOUT_STREAM", "RUNNING_STATUSES",
           "TERMINAL_STATUSES", "JobFailure", "JobFollowing", "JobSnapshot", "PollPacer", "Step",
           "expired_is_final", "is_terminal", "poll_intervals"]

POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.5, 1.5, 5.0  # seconds between polls (as comfy-sdk)
POLL_MAX_WITHOUT_STREAM = 2.0  # polls come oftener when the event stream is down
POLL_MAX_WHILE_QUEUED = 1.0  # and while a job waits to start, its time not counted yet
EXPIRED_CHECKS = 3  # times `expired` is asked again before it is believed
EXPIRED_RECHECK = 0.4  # seconds between those
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "expired"})
RUNNING_STATUSES = frozenset({"running", "canceling"})


def is_terminal(status: object) -> bool:
    """Whether a job with ``status`` has ended (well or not)."""
    return status in TERMINAL_STATUSES


def expired_is_final(times_in_a_row: int) -> bool:
    """Whether ``expired``, seen ``times_in_a_row`` polls in a row, is to be believed (see the
    module)."""
    return times_in_a_row >= EXPIRED_CHECKS


def poll_intervals() -> Iterator[float]:
    """The seconds between polls: :data:`POLL_FIRST`, growing to :data:`POLL_MAX`."""
    delay = POLL_FIRST
    while True:
        yield delay
        delay = min(delay * POLL_FACTOR, POLL_MAX)


class PollPacer:
    """When to poll next, after a poll: the next of :func:`poll_intervals`, except
    :data:`EXPIRED_RECHECK` while ``expired`` is being checked again (the intervals do not
    grow meanwhile), at most :data:`POLL_MAX_WITHOUT_STREAM` while the stream is down, and
    at most :data:`POLL_MAX_WHILE_QUEUED` while ``awaiting_start`` (a job waiting in the
    queue whose time counts from its start: the later its start is heard, the more time it
    is given)."""

    def __init__(self) -> None:
        self._intervals = poll_intervals()

    def pause(self, *, rechecking_expired: bool, stream_up: bool,
              awaiting_start: bool = False) -> float:
        pause = EXPIRED_RECHECK if rechecking_expired else next(self._intervals)
        if awaiting_start:
            pause = min(pause, POLL_MAX_WHILE_QUEUED)
        return pause if stream_up else min(pause, POLL_MAX_WITHOUT_STREAM)


@dataclass(frozen=True)
class JobFailure:
    """What a failed job's ``error`` says (any of it may be missing)."""

    code: str = "failed"
    message: str = "the job failed"
    node_id: Any = None
    class_type: Any = None
    traceback: str | None = None


@dataclass(frozen=True)
class JobSnapshot:
    """A job as one poll saw it: its status (``queued``, ``running``, ``succeeded``...),
    its progress (``current_node``, ``step``, ``steps``), its outputs (each with ``id`` and
    ``node_id``) and, when it failed, its error."""

    status: str
    progress: Mapping[str, Any] | None = None
    outputs: tuple[Mapping[str, Any], ...] = ()
    error: JobFailure | None = None


@dataclass(frozen=True)
class Step:
    """What one fact means: the ``events`` to tell (in order), then ``error`` to raise, or
    ``succeeded`` (the job is done), or neither (it goes on). ``ask_now``: poll at once (the
    stream said the job ended)."""

    events: tuple[Event, ...] = ()
    error: LTX2Error | None = None
    succeeded: bool = False
    ask_now: bool = False


@dataclass
class JobFollowing:
    """What following job ``job_id`` at ``where`` (the server's URL, for messages) has
    learnt so far; each method takes one new fact and says what it means (a :class:`Step`).
    Every event is told once, whether it came by the stream or by a poll."""

    job_id: str
    where: str
    started: bool = False
    expired_in_a_row: int = 0
    stream_up: bool = True
    _current: str | None = field(default=None, init=False, repr=False)
    _last_step: tuple[str, int] | None = field(default=None, init=False, repr=False)
    _outputs_seen: set[str] = field(default_factory=set, init=False, repr=False)

    def stream_down(self) -> None:
        """The event stream dropped (it is being reconnected) or there is none: poll more."""
        self.stream_up = False

    def streamed(self, event: str, data: object) -> Step:
        """One frame of the event stream (``status``, ``progress``, ``output``...)."""
        self.stream_up = True
        fields = data if isinstance(data, Mapping) else {}
        events: list[Event] = []
        if event == "status":
            status = fields.get("status")
            if status in RUNNING_STATUSES:
                self._start(events)
            return Step(tuple(events), ask_now=is_terminal(status))
        if event == "progress":
            self._start(events)
            self._progress(fields, events)
        elif event == "output":
            self._output(fields, events)
        return Step(tuple(events))

    def polled(self, job: JobSnapshot, *, cancelled_by_us: bool) -> Step:
        """One polled snapshot; ``cancelled_by_us``: the caller asked the server to cancel
        this job (then ``canceled`` or ``expired`` means cancelled)."""
        status = job.status
        if status != "expired":
            self.expired_in_a_row = 0
        events: list[Event] = []
        if status == "queued":
            return Step()
        if status in RUNNING_STATUSES:
            self._start(events)
            if job.progress is not None:
                self._progress(job.progress, events)
            return Step(tuple(events))
        if status == "succeeded":
            self._start(events)
            for output in job.outputs:
                self._output(output, events)
            events += [ExecutionSucceeded(self.job_id), Finished(self.job_id)]
            return Step(tuple(events), succeeded=True)
        if status == "failed":
            return self._failed(job.error)
        if status in ("canceled", "expired") and cancelled_by_us:
            # a queued job that is cancelled ends `expired` (it never reaches the history)
            return Step((ExecutionInterrupted(self.job_id),), JobCancelledError(
                f"job {self.job_id} was cancelled", self.job_id))
        if status == "canceled":
            return Step((ExecutionInterrupted(self.job_id),),
                        ExecutionInterruptedError(self.job_id))
        if status == "expired":
            self.expired_in_a_row += 1
            if not expired_is_final(self.expired_in_a_row):
                return Step()  # maybe the proxy's race: it finished between two of its reads
            return Step(error=PromptLostError(
                f"the Comfy API v2 at {self.where} reports job {self.job_id} expired: it no "
                "longer knows the job (the server restarted, or the job was removed)"))
        return Step(error=ServerResponseError(
            f"job {self.job_id} has the unknown status {status!r}"))

    def _failed(self, error: JobFailure | None) -> Step:
        failure = error or JobFailure()
        node_id = str(failure.node_id) if failure.node_id else "?"
        node_type = str(failure.class_type) if failure.class_type else "?"
        trace = (failure.traceback or "").splitlines()
        return Step((ExecutionFailed(self.job_id, node_id, node_type, failure.code,
                                     failure.message, tuple(trace)),),
                    ExecutionError(self.job_id, node_id, node_type, failure.code,
                                   failure.message, trace))

    def _start(self, events: list[Event]) -> None:
        if not self.started:
            self.started = True
            events.append(ExecutionStarted(self.job_id))

    def _progress(self, data: Mapping[str, Any], events: list[Event]) -> None:
        """A progress snapshot (streamed, or polled): the node it names and its step."""
        node = data.get("current_node")
        if not isinstance(node, (str, int)) or isinstance(node, bool) or not str(node):
            return  # a snapshot without a node (the proxy's polled ones) says nothing usable
        node = str(node)
        if node != self._current:
            self._current = node
            events.append(NodeExecuting(self.job_id, node))
        step, steps = data.get("step"), data.get("steps")
        if isinstance(step, int) and isinstance(steps, int) and _whole(step) and steps > 0 \
                and (node, step) != self._last_step:
            self._last_step = (node, step)
            events.append(Progress(self.job_id, node, step, steps))

    def _output(self, data: Mapping[str, Any], events: list[Event]) -> None:
        key = str(data.get("id") or "")
        node = data.get("node_id")
        if not key or key in self._outputs_seen or node is None:
            return
        self._outputs_seen.add(key)
        events.append(NodeExecuted(self.job_id, str(node), {"asset": dict(data)}))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
