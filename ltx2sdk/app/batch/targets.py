"""Where a batch's jobs run: servers (native ComfyUI or the Comfy API v2) or RunPod endpoints.

A :class:`BatchTarget` opens into :class:`Runner` s, one per job it may run at once, and on a
server one more per job queued ahead: a native ComfyUI runs one job at a time, a Comfy API v2
server or a RunPod endpoint ``concurrency`` of them. A runner makes one job's video at a
given path and returns its metadata, or raises.

What a failure means for the batch is decided in one place, :func:`classify`:

- ``transient``: worth trying again, after a pause: the server failed a request or
  answered 429/5xx, ComfyUI forgot the prompt (it restarted), a RunPod worker was lost
  (:class:`TransientJobError`);
- ``unusable``: the target cannot run any job (a refused or missing key, an endpoint that
  does not exist, a server that does not answer like a ComfyUI: :class:`TargetUnusableError`),
  or nobody answers at its address for the readiness time (connection refused, an unknown
  host, no route, a server that accepts connections and never answers:
  :class:`ServerUnreachableError`): the batch drops it, and the job goes to another target
  without its try being counted;
- ``unfit``: this target cannot run this job, though it may run others (it lacks the job's
  model files or node types: :class:`ServerValidationError`, raised before anything is
  queued; a RunPod worker saying so): the job goes to another target without its try being
  counted, and fails only when no target left can run it;
- ``cancelled``: the batch was cancelled;
- ``permanent``: anything else: an invalid request, a prompt the server refused (HTTP 400),
  a node that failed, a job past its deadline, a local file that cannot be written (a full
  disk, no permission: an ``OSError``, or an :class:`OutputError` caused by one, never
  "cannot reach" the server). Trying again would fail again, and run a finished job again.

A runner that can tell whether its target is ready (:class:`WaitsForReady`: a server's, a
RunPod endpoint's) is asked before its first job: the batch gives it none until then, so a
target that never answers holds no job while another target could run it.

The targets themselves: :mod:`.server_target` and :mod:`.runpod_target`; named as on the
command line by :func:`~.target_names.parse_target`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from ltx2sdk.errors import (
    JobCancelledError,
    MissingApiKeyError,
    OutputError,
    PromptLostError,
    RunPodJobError,
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
    ServerValidationError,
    TargetUnusableError,
    TransientJobError,
)

if TYPE_CHECKING:
    from ltx2sdk.app.batch.jobs import BatchJob
    from ltx2sdk.app.generate import InputPolicy

__all__ = ["QUEUED_STAGE", "BatchTarget", "FailureKind", "InLane", "JobSettings", "JobStage",
           "Runner", "TakesTurns", "WaitsForReady", "classify"]

FailureKind = Literal["transient", "unusable", "unfit", "cancelled", "permanent"]
TRANSIENT_STATUSES = frozenset({408, 429})  # and every 5xx
REFUSED_KEY_STATUSES = frozenset({401, 403})
QUEUED_STAGE = "in queue"
"""The stage of a job queued ahead on a server, waiting there behind the one it runs."""
UNFIT_PREFIX = "the server cannot run this graph"
"""How :class:`ServerValidationError` begins, and so what a RunPod worker says when its
ComfyUI lacks the job's models or nodes."""


def classify(exc: BaseException) -> FailureKind:
    """What ``exc``, raised by a runner, means for the batch (see the module)."""
    if isinstance(exc, (TargetUnusableError, MissingApiKeyError, ModuleNotFoundError,
                        ServerUnreachableError)):
        return "unusable"
    if isinstance(exc, ServerValidationError) or (
            isinstance(exc, RunPodJobError) and exc.error.startswith(UNFIT_PREFIX)):
        return "unfit"
    if isinstance(exc, JobCancelledError):
        return "cancelled"
    if isinstance(exc, (TransientJobError, ServerUnavailableError, PromptLostError)):
        return "transient"
    if isinstance(exc, ServerResponseError):
        if exc.status in REFUSED_KEY_STATUSES:
            return "unusable"
        if exc.status in TRANSIENT_STATUSES or (exc.status is not None and exc.status >= 500):
            return "transient"
        return "permanent"
    if isinstance(exc, OutputError) and exc.__cause__ is not None:
        # an output whose download broke off (not one that is wrong): as the cause says
        cause = classify(exc.__cause__)
        return "transient" if cause == "transient" else "permanent"
    return "permanent"


@dataclass(frozen=True)
class JobStage:
    """Where a running job stands, as its target tells: ``stage`` in words (a node's title
    such as ``Stage 1 sampling``, or ``in queue``), ``step`` of ``steps`` of a sampler (0 of 0
    otherwise), ``fraction`` of the whole job done and ``left``, the seconds its run on the
    target has left (a server's: :attr:`~ltx2sdk.app.progress.ProgressUpdate.eta`; each
    ``None`` when the target cannot say)."""

    stage: str
    step: int = 0
    steps: int = 0
    fraction: float | None = None
    left: float | None = None


class Runner(Protocol):
    """Runs one job at a time for a target."""

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None,
            on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        """Make ``job``'s video at ``video`` (a checked, whole mp4) and return its metadata
        (seed, size, frames, ...). Setting ``cancel`` stops the job on the target, then
        raises :class:`~ltx2sdk.errors.JobCancelledError`. Any failure raises (see
        :func:`classify`). A target whose jobs outlive their client (RunPod) calls
        ``on_submitted`` with the job's id on the target once it accepted it, and follows
        the job ``resume`` (such an id from an earlier run) instead of submitting again when
        the target still has it; others ignore both. ``on_stage`` is called (on the runner's
        thread) as the job moves on: its stage, sampler step and share done."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class WaitsForReady(Protocol):
    """A runner that can tell whether its target is ready (a server): the batch gives it
    no job before it has said so, so that no job waits on a target that may never answer
    while another target could run it."""

    def wait_ready(self, cancel: threading.Event) -> None:
        """Return once the target can take a job. Raises as :meth:`Runner.run` would when it
        cannot (:func:`classify`: a target nobody answers at, or that never answered, is
        ``unusable`` and dropped), and :class:`~ltx2sdk.errors.JobCancelledError` within a
        fraction of a second of ``cancel`` being set."""
        ...


@runtime_checkable
class InLane(Protocol):
    """A runner whose jobs run one after another with those of other runners: the runners
    of a server with jobs queued ahead (one runs, the others wait in its queue: a native
    ComfyUI's, a Comfy API v2's, which has one lane per job it runs at once).
    Runners with the same ``lane`` (an object compared by identity; ``None``: none shared)
    share one server's time, in the order their jobs were queued; the batch's ETA counts a
    job waiting behind another as not begun. A runner without it runs its jobs side by
    side with the others' (a RunPod endpoint's)."""

    @property
    def lane(self) -> object | None:
        """What this runner's jobs queue behind (shared by its server's runners), or
        ``None``."""
        ...


@runtime_checkable
class TakesTurns(Protocol):
    """A runner whose target queues the jobs of its runners in one queue (a server, native
    ComfyUI or Comfy API v2, with jobs queued ahead): told, under the batch's lock, each
    time it is given a job, so that the target queues them in the order the batch gave them
    out."""

    def take_turn(self) -> None:
        """The job just given to this runner (run next by it) is queued on the target after
        the jobs given to its other runners before; a runner given a job it does not run
        gives its place up when it takes its next turn, or is closed."""
        ...


class BatchTarget(Protocol):
    """A place that runs jobs: opened once per batch into its runners."""

    @property
    def name(self) -> str:
        """How results and messages name it: a server URL or ``runpod:ENDPOINT_ID``
        (never a key)."""
        ...

    def open(self, concurrency: int | None) -> list[Runner]:
        """The runners, one per job the target may run at once (``concurrency``, or the
        target's default when ``None``). Raises :class:`TargetUnusableError` when the target
        cannot be used at all."""
        ...


@dataclass(frozen=True)
class JobSettings:
    """How each job of a batch runs: ``timeout`` bounds one attempt (every wait of it; past
    it the job is stopped on its target; on a server (native ComfyUI, Comfy API v2) its wait
    in the server's queue behind the job ahead is not counted, but bounded: see
    :class:`~.server_target.ServerTarget`); ``ready_timeout`` the wait for a target that does
    not answer yet, within it: ``None`` (the default) fails fast on one nobody answers at
    (connection refused, an unknown host: within
    :data:`~ltx2sdk.backends.server_urls.REFUSED_GRACE`) and waits
    :data:`~ltx2sdk.backends.server_urls.DEFAULT_READY_TIMEOUT` for a server that accepts
    but does not answer yet; a number of seconds waits that long for either, as
    :func:`~ltx2sdk.app.generate.generate` does; ``input_policy`` the limits for input files
    given by URL or base64 (server targets: the files are read here); ``queue_ahead`` the
    jobs a server gets queued ahead (see :class:`~.server_target.ServerTarget`)."""

    timeout: float = 3600.0
    ready_timeout: float | None = None
    input_policy: InputPolicy | None = None
    queue_ahead: int = 1
    """Jobs a server (native ComfyUI, Comfy API v2) gets queued ahead of those it runs (0: the
    next job is queued once the last one's video is in)."""
