"""Batches: many requests spread over servers or a RunPod endpoint, resumable, with retries.

    from ltx2sdk.app.batch.scheduler import run_batch, iter_batch

    summary = run_batch("jobs.jsonl", ["http://gpu-a:8188", "http://gpu-b:8188"], "out")
    for result in iter_batch(requests, ["runpod:abc123"], "out", concurrency=8):
        print(result.job, result.status, result.video or result.error)

**Jobs** are requests (a JOBS.jsonl file, one per line, or an iterable of mappings: see
:mod:`ltx2sdk.app.batch.jobs`). **Targets** are server URLs (native ComfyUI: one job at a time
each; the Comfy API v2: ``concurrency`` at a time, default 1; either with ``queue_ahead``
more queued behind those) and ``runpod:ENDPOINT_ID`` (``concurrency`` jobs in the endpoint's queue,
default 4): see
:mod:`ltx2sdk.app.batch.targets`. Each idle runner of any target takes the next job (by
``order``: see **Order**), so faster targets do more of the work. Each target is opened on
a thread of its own, and a server or a RunPod endpoint proves ready (it answers) before it
takes a job: a target that is slow to answer, or never does, holds no job while the others
run them. When every job is done the batch ends without waiting for a target still not
ready: it is dropped then (``no answer when the jobs were done (waited 2.1 s)``, or
``connection refused`` for one that refused all along).

**Results** go to ``output_dir`` (:mod:`ltx2sdk.app.batch.store`): each job's video and one
``results.jsonl`` line with its metadata or its error. Jobs already done there (by their
key: the request's content, seed included) are skipped, so the same call after a crash or
a Ctrl-C does only what is left.

**Order** (``order``) says which job runs when, never where its result goes or what a
re-run does: ``results.jsonl`` gets a line per job as it ends, and a re-run skips what is
done by the content key either way. ``"model"`` (the default) groups the jobs by the model
files their pipelines load (:mod:`~ltx2sdk.app.batch.grouping`: checkpoint or diffusion model,
text encoder, upscaler, LoRAs) and keeps each target on one group until it has no job left
to start: each target loads as few distinct model sets as it can, the targets splitting the
groups, and a target left without a group of its own helps with the one that would end last
(no target idles while jobs remain). Within a group the jobs go in their given order; the
jobs that load nothing (invalid ones, ones done by an earlier run, a hosted API's) come
first. A RunPod endpoint's runners work through one group together too (a worker that stays
on one model does not reload it). A job tried again (see **Failures**) goes back to a target
holding its group, unless none can take it within one job's time past its retry delay
(:meth:`Batch._due`). The groups are found by reading the jobs once more before
the first starts (a file a line at a time, one small number kept per line). ``"file"``
takes the jobs as given, as jobs given as a one-shot iterator always are (they cannot be
read twice).

**Checked first**: the jobs of a file or a list are checked before anything runs
(:func:`~ltx2sdk.app.batch.check.scan_jobs`: every line's JSON, its request and its
pipeline); any problem stops the batch before it starts with
:class:`~ltx2sdk.errors.InvalidJobsError` (listing them all), unless ``skip_invalid`` (then
each invalid job is a ``failed`` result of ``error_kind`` ``invalid``, sent nowhere, and
:attr:`BatchProgress.invalid` counts them; when no job is valid there is nothing to run, and
it is refused alike). No job at all (an empty file, list or
iterator) is an :class:`~ltx2sdk.errors.InvalidJobsError` too, before anything is created.
:meth:`Batch.check` runs the check alone, on the targets' servers too. Jobs given as a
one-shot iterator cannot be read twice: each is checked as it comes up.

**Failures**: a transient one (a server or RunPod answering 429 or 5xx, a prompt the server
forgot when it restarted (a native ComfyUI's: a loss, below), a lost RunPod worker) is tried
again after ``retry.delay(n)``
seconds (``base_delay`` doubling up to ``max_delay``), ``retry.attempts`` tries in all; the
target that failed pauses for ``retry.delay(f)`` after its f-th failure in a row, and the
job's next try (and the delay its :class:`RetryNotice` says) waits for a target still in use
to be free; in ``order="model"`` that try is left to a target holding the job's model group
(the models loaded: no load for a retry) for up to one job's time more, and taken by another
at once when no such target can take it (dropped, lost, paused past that time, unable to run
it): see :meth:`Batch._due`. A target that fails :data:`FAILURE_STREAK` tries in a row (or
one more than a job's tries, when that is more) with no video made between them is dropped
as below (an endpoint answering every submission with HTTP 5xx), its job going to the others
with no try counted. A native ComfyUI that goes out of reach with jobs on it (its connection
lost: :class:`~ltx2sdk.errors.ServerLostError`) loses them, not their tries: the running one
and any queued ahead go to the targets at once, no try counted (each runs once more,
elsewhere or there), and the server proves ready again before its next job (dropped if it
does not); the loss counts once in the target's failures in a row, however many jobs it
held (so a restarted server is used again), and so does a native ComfyUI that forgot its
jobs (restarted between two looks: ``no longer knows prompt ...``). The loss is said
when it happens, once for its jobs (``on_drop`` hears a
:class:`DropNotice` with ``lost``: not a drop yet), and :attr:`BatchSummary.unusable_made`
tells a target dropped after it made videos from one never usable.
A permanent one (an invalid request, a prompt the
server refused, a node that failed) is the job's result at once. A target that cannot serve
any job is dropped (``on_drop`` hears of it) and its job goes to the other targets without a
try counted: a refused key; nobody answering at its address (a refused connection, an
unknown host, a RunPod API out of reach: within 2 s unless ``ready_timeout`` says to wait
longer); a server that accepts connections but does not answer within its ready time (30 s
unless ``ready_timeout`` says otherwise: dropped after that one wait, whether or not it
answered earlier in the batch); a server that answers but not like a ComfyUI (``GET
/system_stats`` answering 404). When none is left the batch stops at once with
:class:`NoTargetLeftError`, the jobs not run left for the next run. A target that cannot run
one job (it lacks the job's model files or node types, found before anything is queued) is
kept for the others; that job goes to the other targets without a try counted, and fails
(``error_kind`` ``unfit``) only when no target left can run it, its error naming each
target and what it lacks.

**Cancelling** (:meth:`Batch.cancel`, or Ctrl-C / a notebook's interrupt while iterating)
stops the running jobs on their targets (a ComfyUI prompt is interrupted, a RunPod job
cancelled), records them as cancelled, and starts nothing more; the interrupt is then raised
again, and :attr:`Batch.summary` says what was left. A wait for a server or a RunPod
endpoint (its readiness, at the start or before a job) ends within a fraction of a second: a
job that waited is cancelled, and a target still proving ready had taken none (its jobs are
"not started"), and so is a job on a native ComfyUI that the server had not begun (queued
ahead and taken back from the server's queue, or stopped before its prompt was sent: see
:class:`~ltx2sdk.app.batch.server_target.ServerTarget`). After
an interrupt, a job that has not stopped within :data:`CANCEL_GRACE`
(a submission an API never answers) has no result: it is counted "not started" too.

Callbacks (``on_result``, ``on_progress``, ``on_retry``, ``on_drop``) run on the thread that
iterates (the caller's), never on a runner's thread. Nothing here is global: two batches in one
process are independent (they must not share an output folder).
"""

from __future__ import annotations

import array
import contextlib
import enum
import heapq
import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ltx2sdk.app.batch.check import JobsReport, check_jobs, no_jobs_message, scan_jobs
from ltx2sdk.app.batch.grouping import (
    NO_MODELS,
    GroupPlanner,
    ModelGroup,
    model_group,
    name_groups,
)
from ltx2sdk.app.batch.jobs import BatchJob, JobSource, key_id
from ltx2sdk.app.batch.store import ResultStore, summarised_request
from ltx2sdk.app.batch.target_names import parse_target
from ltx2sdk.app.batch.targets import (
    QUEUED_STAGE,
    UNFIT_PREFIX,
    BatchTarget,
    FailureKind,
    JobSettings,
    JobStage,
    Runner,
    TakesTurns,
    WaitsForReady,
    classify,
)
from ltx2sdk.backends.outputs import check_output_folder
from ltx2sdk.backends.server_urls import connection_failure
from ltx2sdk.deadline import checked_seconds
from ltx2sdk.errors import (
    BatchSettingError,
    FetchFailedError,
    InputFileError,
    InvalidJobsError,
    JobCancelledError,
    JobNotStartedError,
    JobTimeoutError,
    LTX2Error,
    NoTargetLeftError,
    RequestFieldError,
    ServerLostError,
    StoreClosedError,
    TargetUnusableError,
)
from ltx2sdk.wording import exception_line

__all__ = ["Batch", "BatchProgress", "BatchSummary", "DropNotice", "JobResult", "Lane",
           "RetryNotice", "RetryPolicy", "RunningJob", "batch_eta", "iter_batch", "lane_eta",
           "paced_eta", "run_batch"]

Status = Literal["ok", "failed", "cancelled", "skipped"]
Order = Literal["model", "file"]
ORDERS: tuple[Order, ...] = ("model", "file")
TICK = 0.5  # seconds between progress reports while nothing else happens
SKIP_CHUNK = 64  # jobs skipped in a row before they are handed on
EVENTS_QUEUED = 1024  # results not yet taken by the caller before the runners wait
FAILURE_STREAK = 4
"""Transient failures in a row on one target (an endpoint answering every submission with
HTTP 5xx) that drop it (at least one more than a job's tries)."""
FREE_LOSSES = 2
"""Times a job may go with a lost server without its try counted; past them each loss is a
try: a job that is what brings its servers down (a ComfyUI killed for memory) gives up
after its tries instead of taking every server down in turn for ever."""
CANCEL_GRACE = 15.0  # seconds to wait for cancelled jobs to stop on their targets


class _Again(enum.Enum):
    """What :meth:`Batch._choose` says when the jobs it skipped are to be handed on first."""

    AGAIN = "again"


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: ``attempts`` tries per job in all (the first
    included); before try n+1, ``min(max_delay, base_delay * 2**(n-1))`` seconds."""

    attempts: int = 3
    base_delay: float = 2.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or \
                self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be 1 or more, not {self.attempts!r}")
        if not 0 <= self.base_delay <= self.max_delay < float("inf"):
            raise ValueError("RetryPolicy needs 0 <= base_delay <= max_delay (finite seconds)")

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure in a row."""
        return float(min(self.max_delay, self.base_delay * 2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class JobResult:
    """What became of one job.

    ``status``: ``ok`` (``video`` is its file, ``metadata`` what was made: seed, size,
    frames...), ``failed`` (``error`` says why in one line; ``error_kind`` is ``invalid``
    for a request that could not run or an input file refused here by rule (an address that
    is not public, an image that does not read: never retried, refused again by a re-run;
    an input that could not be fetched, its host unknown or not answering, is ``failed``: a
    re-run tries it again), ``gave_up`` after the last try of
    transient failures, ``unfit`` when no target could run it (``no target can run it: URL:
    missing model files: ...``, each target that was tried), ``failed`` otherwise;
    ``target`` is where it failed), ``cancelled`` (the batch was cancelled while it ran), or
    ``skipped`` (done by an earlier run, or the same request as an earlier job: ``note``).
    A video saved under a free name, because a file the batch did not write had its usual
    one, says so in ``note`` (see :mod:`~ltx2sdk.app.batch.store`). ``seconds``: the last
    try's time, less its prompt's wait in a server's queue behind the job ahead
    (``metadata["timings"]["queued"]``; for a job that failed there, as its runner told:
    from "in queue" to its first other stage, or to the end when it never left the queue).
    """

    job: int
    key: str
    status: Status
    video: Path | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 0
    target: str | None = None
    seconds: float = 0.0
    note: str | None = None
    group: str | None = None
    """The label of the job's model group (what its target held while it ran; see
    :mod:`~ltx2sdk.app.batch.grouping`); ``None`` in ``order="file"``."""
    past_timeout: float | None = None
    """The batch's ``timeout`` when the try failed running past it (a
    :class:`~ltx2sdk.errors.JobTimeoutError` of a job its server began), else ``None``; the
    ``error`` is the target's own words (``ltx2 batch`` names its ``--timeout``)."""


@dataclass(frozen=True)
class RetryNotice:
    """A transient failure that will be tried again: ``job`` failed on ``target`` at try
    ``attempt`` (``error``), next try in ``delay`` seconds (in ``order="model"``, on a
    target holding the job's models: up to one job's time later when none is free then;
    see the module's **Failures**)."""

    job: int
    target: str
    attempt: int
    attempts: int
    delay: float
    error: str


@dataclass(frozen=True)
class DropNotice:
    """A target the batch stopped using: ``target`` (its name) and ``reason`` in a few words
    (``connection refused``, ``unknown host``, ``no answer within 30 s``, ``does not answer
    like a ComfyUI (GET /system_stats answered HTTP 404)``, what a refused key said, ``no
    answer when the jobs were done (waited 2.1 s)``: see the module);
    ``left``: how many targets the batch still has.

    ``lost``: not a drop yet: a native ComfyUI went out of reach with jobs on it (its
    connection lost), said when it happens: its ``handed_on`` jobs (running or queued there)
    go to the other targets at once, and the server is used again if it proves ready (else
    dropped then, with a notice of its own; ``left`` counts the others). ``made``: the
    videos the target made in this batch before."""

    target: str
    reason: str
    left: int
    lost: bool = False
    handed_on: int = 0
    made: int = 0


@dataclass(frozen=True)
class RunningJob:
    """A job running now: on ``target`` for ``elapsed`` seconds (this try), at ``stage``
    (``None`` until its target tells), sampler ``step`` of ``steps`` (0 of 0 otherwise),
    ``group``: its model group's label."""

    job: int
    target: str
    elapsed: float
    stage: str | None = None
    step: int = 0
    steps: int = 0
    group: str | None = None
    """The label of the job's model group (``ltx-2 t2v pro``; see
    :mod:`~ltx2sdk.app.batch.grouping`): the models its target holds while it runs.
    ``None`` in ``order="file"``."""
    behind: bool = False
    """It waits behind another job of its server's lane, not begun (queued ahead: being
    sent there, or in its queue): a server that runs one job at a time runs the job its
    lane began, or else took, first (the one the ETA counts as running)."""

    @property
    def queued(self) -> bool:
        """Whether the job waits in its server's queue (queued ahead, behind the job the
        server runs, or said to be ``in queue``) rather than running."""
        return self.behind or self.stage == QUEUED_STAGE

    def __str__(self) -> str:
        """``job 3 (ltx-2 t2v pro): Stage 1 sampling 12/20``; ``job 3: starting`` before any
        stage (the group in brackets when known)."""
        step = f" {self.step}/{self.steps}" if self.steps else ""
        group = f" ({self.group})" if self.group else ""
        return f"job {self.job}{group}: {self.stage or 'starting'}{step}"


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch stands. ``total`` jobs (``None`` when unknown: a one-shot iterator),
    of which ``to_run`` valid ones needed running at the start; this run's ``ok``,
    ``failed`` (of which ``invalid``: refused by the check, or an input file refused by rule
    when run, sent nowhere: a re-run refuses them again) and
    ``cancelled``; ``skipped`` (done before, or duplicates); ``running`` now (``jobs``:
    each one's stage; of them, :attr:`queued` wait in their server's queue, queued ahead);
    ``waiting`` for a retry; ``retries`` so far.

    ``eta`` (seconds; ``None`` until a first video is made, or when the total is unknown,
    or once the batch is stopping: nothing more will be made): the jobs left shared by the
    lanes at each one's own pace (:func:`lane_eta`: a native ComfyUI's runners are one lane,
    its jobs queued ahead each a whole job's time after the one it runs; a target's pace is
    the time its lane gave each video, the wait behind the job ahead left out, or before
    its first one the length its running job's own count gives). Between two reports of a
    job's time left it only shrinks: it does not grow while jobs run. While a runner that
    matters (it runs a job, or jobs wait to start) has no pace yet, ``eta`` is ``None`` and
    ``eta_guess`` is the number with the mean pace in its place: a guess that may still grow
    (a slow server's first job)."""

    total: int | None
    to_run: int | None
    ok: int
    failed: int
    cancelled: int
    skipped: int
    running: int
    waiting: int
    retries: int
    elapsed: float
    eta: float | None
    invalid: int = 0
    jobs: tuple[RunningJob, ...] = ()
    eta_guess: float | None = None
    stopping: bool = False
    """The batch was cancelled (Ctrl-C, :meth:`Batch.cancel`, a failure): its running jobs
    are being stopped, nothing more will be made (no ETA)."""

    @property
    def queued(self) -> int:
        """Of the ``running`` jobs, those queued ahead on their server, not begun yet."""
        return sum(1 for job in self.jobs if job.queued)

    @property
    def finished(self) -> int:
        """Jobs with a result: ok, failed, cancelled or skipped."""
        return self.ok + self.failed + self.cancelled + self.skipped

    @property
    def left(self) -> int | None:
        """Jobs without a result yet (``None`` when the total is unknown)."""
        return None if self.total is None else max(0, self.total - self.finished)


@dataclass(frozen=True)
class BatchSummary:
    """The end of a batch: its last :class:`BatchProgress`; whether it was ``interrupted``;
    the jobs cancelled while running (``(job, target)``); ``not_started``: the valid jobs to
    run that did not end in this run (neither made, failed nor cancelled; ``None`` when
    unknown); the targets dropped as unusable, with why. :attr:`left` says what a re-run
    does."""

    progress: BatchProgress
    interrupted: bool
    cancelled_jobs: tuple[tuple[int, str], ...]
    not_started: int | None
    unusable: tuple[str, ...]
    results_path: Path
    unusable_made: tuple[int, ...] = ()
    """For each of ``unusable``, the videos that target made in this run before it was
    dropped (0: never usable; more: lost after making them)."""

    @property
    def complete(self) -> bool:
        """Every job is done (now or before): nothing failed, nothing left."""
        p = self.progress
        return not self.interrupted and p.failed == 0 and p.cancelled == 0 and \
            self.not_started == 0 and not self.unusable_stopped

    @property
    def left(self) -> int | None:
        """How many jobs running the same batch again will run: those not started, the
        cancelled and the failed (a re-run tries them again: an input that could not be
        fetched included), not the invalid ones (a re-run refuses them again). ``None`` when
        unknown (jobs given as a one-shot iterator, stopped before their end)."""
        if self.not_started is None:
            return None
        p = self.progress
        return self.not_started + p.cancelled + p.failed - p.invalid

    @property
    def unusable_stopped(self) -> bool:
        """The batch ended early because no target could run its jobs."""
        return bool(self.unusable) and bool(self.not_started)


@dataclass(order=True)
class _Retry:
    ready_at: float
    seq: int
    job: BatchJob = field(compare=False)
    attempt: int = field(compare=False)  # the try it will be


@dataclass
class _TargetState:
    target: BatchTarget
    name: str
    failures: int = 0  # transient failures in a row
    paused_until: float = 0.0
    unusable: str | None = None
    # job key -> why this target cannot run that job (it lacks its models or nodes)
    cannot_run: dict[str, str] = field(default_factory=dict)
    opened_at: float = 0.0  # when its opening began: how long it has been waited for
    made: int = 0  # videos it made in this run, and their length summed: its pace
    made_seconds: float = 0.0
    # the time its server gave those videos, summed (their length less any wait behind
    # another job of its lane: see Batch._served_locked): the ETA's pace
    served_seconds: float = 0.0
    lost: bool = False  # its loss was said, and it has made no video since
    # the runners whose jobs were on it when its last loss was counted: each of them hears
    # of that same loss in turn, and it counts once (see Batch._failed)
    lost_with: set[int] = field(default_factory=set)


@dataclass
class _Slot:
    state: _TargetState
    runner: Runner
    ready: bool = False  # it has proved ready: it takes jobs (and counts for the ETA)
    # a transient failure there: it proves ready again before its next job, so that no job
    # waits on a server that went away while another target could run it
    reprove: bool = True


@dataclass
class _Running:
    job: BatchJob
    target: str
    started: float
    group: str | None = None
    stage: JobStage | None = None
    ends: float | None = None  # when its run ends, as its last report says
    began: float | None = None  # when its target first told a stage other than "in queue"
    queued_at: float | None = None  # when its target first told it waits "in queue"
    timed_out: bool = False  # its try ended past its deadline (a JobTimeoutError)

    def queue_wait(self, now: float) -> float:
        """The seconds it waited in its server's queue as its target told: from its first
        "in queue" to its first other stage, or to ``now`` when it never left the queue."""
        if self.queued_at is None:
            return 0.0
        return max(0.0, (now if self.began is None else self.began) - self.queued_at)


class Batch:
    """One batch run: iterate it for :class:`JobResult` s as jobs finish (skipped ones
    included), or call :meth:`run`. See the module for what it does.

    ``jobs``: a JOBS.jsonl path or an iterable of request mappings. ``targets``: URLs,
    ``runpod:ENDPOINT_ID`` strings or :class:`~ltx2sdk.app.batch.targets.BatchTarget` s.
    ``concurrency``: jobs at once per Comfy API v2 server or RunPod endpoint (native
    ComfyUI: always one). ``timeout``: seconds per try of a job (on a native ComfyUI its
    wait in the server's queue behind the job ahead is not counted, but bounded: see
    :class:`~ltx2sdk.app.batch.server_target.ServerTarget`); ``ready_timeout``: seconds
    to wait for a target that does not answer yet, within it (``None``, the default: a
    target nobody answers at is dropped within 2 s, a server that accepts but does not
    answer yet is waited for 30 s, then dropped; see
    :class:`~ltx2sdk.app.batch.targets.JobSettings`).
    ``api_key`` / ``api``: for server URLs, as for
    :func:`~ltx2sdk.backends.connect.connect`. ``runpod_options``: keyword arguments for
    :class:`~ltx2sdk.app.batch.runpod_target.RunPodTarget` (``trusted_hosts``,
    ``poll_interval``...). ``skip_invalid``: run the valid jobs when some are invalid
    (default: refuse to start, see the module). ``order``: which job a target takes next
    (see the module's **Order**): ``"model"`` (the default) keeps each target on one model
    group at a time, ``"file"`` takes them as given. ``queue_ahead``: jobs queued on a
    server ahead of those it runs (native ComfyUI and the Comfy API v2; default 1; 0: the
    next job is sent once the last video is in; see
    :class:`~ltx2sdk.app.batch.server_target.ServerTarget`). A batch runs once.

    Raises :class:`~ltx2sdk.errors.BatchSettingError` (a ``ValueError``) for no target, a
    target that is not one (``None``, a number), an empty ``output_dir`` (``""`` is not the
    current folder: give ``"."``) or a setting that cannot be used,
    :class:`~ltx2sdk.errors.JobsFileError` (a ``FileNotFoundError``) for a jobs file that is
    missing or a folder, and
    :class:`~ltx2sdk.errors.OutputPathError` for an ``output_dir`` that is a file, has a file
    on its way or cannot be written in: all before anything runs.
    """

    def __init__(self, jobs: str | Path | Iterable[Mapping[str, Any]],
                 targets: str | BatchTarget | Sequence[str | BatchTarget],
                 output_dir: str | Path, *, concurrency: int | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 3600.0,
                 ready_timeout: float | None = None, api_key: str | None = None,
                 api: str | None = None, runpod_options: Mapping[str, Any] | None = None,
                 on_result: Callable[[JobResult], None] | None = None,
                 on_progress: Callable[[BatchProgress], None] | None = None,
                 on_retry: Callable[[RetryNotice], None] | None = None,
                 on_drop: Callable[[DropNotice], None] | None = None,
                 skip_invalid: bool = False, order: Order = "model",
                 queue_ahead: int = 1) -> None:
        if order not in ORDERS:
            raise BatchSettingError(f"order must be 'model' or 'file', not {order!r}")
        if not isinstance(skip_invalid, bool):  # ("no" would read as true)
            raise BatchSettingError(f"skip_invalid must be true or false, not {skip_invalid!r}")
        if isinstance(queue_ahead, bool) or not isinstance(queue_ahead, int) or \
                queue_ahead < 0:
            raise BatchSettingError(f"queue_ahead must be 0 or more, not {queue_ahead!r}")
        if concurrency is not None and (isinstance(concurrency, bool) or concurrency < 1):
            raise BatchSettingError(f"concurrency must be 1 or more, not {concurrency!r}")
        if ready_timeout is not None and (isinstance(ready_timeout, bool)
                                          or not 0 < ready_timeout < float("inf")):
            raise BatchSettingError(f"ready_timeout must be None or a positive number of seconds, "
                             f"not {ready_timeout!r}")
        timeout = checked_seconds("timeout", timeout, BatchSettingError)  # True is no 1 s
        settings = JobSettings(timeout=timeout, ready_timeout=None if ready_timeout is None
                               else min(ready_timeout, timeout), queue_ahead=queue_ahead)
        if not isinstance(output_dir, (str, os.PathLike)):
            raise BatchSettingError(f"output_dir must be a folder's path, not "
                                    f"{type(output_dir).__name__}")
        if isinstance(output_dir, str) and not output_dir.strip():  # "" would be "."
            raise BatchSettingError("output_dir is an empty path; give a folder name "
                                    "(\".\" for this one)")
        given = [] if targets is None else [targets] if isinstance(targets, (str, Path)) \
            or not isinstance(targets, Sequence) else list(targets)
        if not given:
            raise BatchSettingError("a batch needs at least one target (a server URL or "
                             "runpod:ENDPOINT_ID)")
        for target in given:  # named here, not an AttributeError from deep inside
            if not isinstance(target, (str, Path)) and not (
                    hasattr(target, "name") and hasattr(target, "open")):
                raise BatchSettingError(
                    f"a target is a server URL, runpod:ENDPOINT_ID or a BatchTarget, not "
                    f"{type(target).__name__} ({target!r:.40})")
        # what Batch.check checks on: the servers as given
        self._check_on = [str(t) if isinstance(t, (str, Path)) else t.name for t in given]
        self._api_key, self._api, self._ready_timeout = api_key, api, settings.ready_timeout
        self._timeout = settings.timeout
        self.targets: list[BatchTarget] = [
            parse_target(str(t), api_key=api_key, api=api, settings=settings,
                         runpod_options=dict(runpod_options or {}))
            if isinstance(t, (str, Path)) else t for t in given]
        self.source = JobSource(jobs)  # a missing file: JobsFileError, before anything runs
        # a file there, or a folder nobody can write in: OutputPathError, before anything runs
        # (created when the batch starts)
        check_output_folder(output_dir, create=False)
        self.store = ResultStore(output_dir)
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        # transient failures in a row (no video made between them) that drop a target: more
        # than one job's tries, so one job that keeps failing does not drop it alone
        self._failure_limit = max(FAILURE_STREAK, self.retry.attempts + 1)
        self.on_result = on_result
        self.on_progress = on_progress
        self.on_retry = on_retry
        self.on_drop = on_drop
        self.skip_invalid = skip_invalid
        self.order: Order = order
        self.report: JobsReport | None = None
        """The check of the jobs before the run (``None`` before it, or for a one-shot
        iterator)."""
        self._keys: set[int] | None = None  # key_id of every valid job, from the check
        self._problem_of: dict[int, str] = {}  # the check's first problem of each job
        self._cancel = threading.Event()
        self._cond = threading.Condition()
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue(EVENTS_QUEUED)
        self._retries: list[_Retry] = []
        self._losses: dict[str, int] = {}  # job key -> times it went with a lost server
        self._seq = itertools.count()
        self._jobs: Iterator[BatchJob] | None = None
        self._exhausted = False
        # order="model" (see _group_jobs): the groups, each job's (by its number), the
        # planner, and the groups' jobs being read (index -> the rest of that group)
        self._groups: list[ModelGroup] = []
        self._group_of = array.array("I")
        self._planner: GroupPlanner | None = None
        self._group_reads: dict[int, Iterator[BatchJob]] = {}
        self._groups_open: set[int] = set()
        self._done: set[int] = set()  # key_id of what an earlier run made
        self._submitted: dict[str, tuple[str, str]] = {}
        self._seen: set[int] = set()  # key_id of every job run by this batch so far
        self._running: dict[int, _Running] = {}
        # "checked": the invalid jobs the check found (the others were jobs to run)
        self._counts = {"ok": 0, "failed": 0, "cancelled": 0, "skipped": 0, "retries": 0,
                        "invalid": 0, "checked": 0}
        self._made_seconds = 0.0  # the length of this run's videos, summed
        self._lane_ends: dict[int, float] = {}  # id of a lane -> when its last job ended
        self._slots: list[_Slot] = []
        # threads alive; of them, those opening their target and those waiting for it to
        # prove ready: they hold no job, and a cancel does not wait for them
        self._live = 0
        self._opening = 0
        self._unready = 0
        self._total: int | None = None
        self._to_run: int | None = None
        self._started_at = 0.0
        self._states: list[_TargetState] = []
        self._interrupted = False
        self._over = False  # every job done: threads still waiting for a target stop
        self._cancelled_jobs: list[tuple[int, str]] = []
        self._used = False
        self.summary: BatchSummary | None = None

    # -- public ----------------------------------------------------------------------------

    def run(self) -> BatchSummary:
        """Run the whole batch; its summary (see :meth:`__iter__` for what is raised)."""
        for _ in self:
            pass
        assert self.summary is not None
        return self.summary

    def cancel(self) -> None:
        """Stop the batch from any thread: running jobs are stopped on their targets, no
        new one starts; the iteration ends once they have stopped (the summary says it was
        interrupted)."""
        self._interrupted = True
        self._cancel.set()
        with self._cond:
            self._cond.notify_all()

    def check(self, *, on_servers: bool = True) -> JobsReport:
        """Check every job without running anything (see
        :func:`~ltx2sdk.app.batch.check.check_jobs`): against the catalog, and with
        ``on_servers`` against each server target's models and nodes. Every problem is in the
        report; nothing is raised for them."""
        return check_jobs(self.source, targets=self._check_on if on_servers else None,
                          api_key=self._api_key, api=self._api,
                          ready_timeout=self._ready_timeout)

    def progress(self) -> BatchProgress:
        """Where the batch stands now (any thread)."""
        with self._cond:
            return self._progress_locked()

    def __iter__(self) -> Iterator[JobResult]:
        """The results as jobs finish. Raises :class:`~ltx2sdk.errors.InvalidJobsError`
        before anything starts (nothing written) when the check finds problems (see the
        module), :class:`NoTargetLeftError` when no target can run jobs (after the results
        so far), :class:`~ltx2sdk.app.batch.store.OutputFolderBusyError` when another batch
        writes to the folder, and re-raises a ``KeyboardInterrupt`` after cancelling the
        running jobs."""
        if self._used:
            raise RuntimeError("a Batch runs once: make a new one to run again")
        self._used = True
        if self.source.repeatable:
            self.report, self._keys = scan_jobs(self.source, self.source.name)
            if self.report.jobs == 0:
                self.report.raise_if_failed()  # no job at all: surely not what was meant
            if self.report.problems and (not self.skip_invalid or not self.report.valid_jobs):
                self.report.raise_if_failed()  # (skipping every job would run nothing)
            for problem in reversed(self.report.problems):  # a lookup per job, not a walk
                if problem.job is not None:
                    self._problem_of[problem.job] = problem.message
            self._jobs = iter(self.source)
        else:  # a one-shot iterator: its first job tells whether there is any
            jobs = iter(self.source)
            first = next(jobs, None)
            if first is None:
                raise InvalidJobsError(no_jobs_message(self.source.name), [])
            self._jobs = itertools.chain((first,), jobs)
        with self.store:
            yield from self._iterate()

    # -- the run ---------------------------------------------------------------------------

    def _iterate(self) -> Iterator[JobResult]:
        self._started_at = time.monotonic()
        try:
            self._done = self.store.done()
            self._submitted = self.store.submitted(self._done)
            if self.order == "model" and self.source.repeatable:
                self._group_jobs()
            self._total, self._to_run = self._count()
            # the count before any target is heard of: a line said at once (an unknown host
            # dropped within milliseconds) carries it as the later ones do
            self._report_progress()
            self._start()
            while True:
                try:
                    kind, payload = self._events.get(timeout=TICK)
                except queue.Empty:
                    self._report_progress()
                else:
                    if kind == "result":
                        self._report_progress()  # the count with this result in it
                        if self.on_result is not None:
                            self.on_result(payload)
                        yield payload
                    elif kind == "retry" and self.on_retry is not None:
                        self.on_retry(payload)
                    elif kind == "dropped" and self.on_drop is not None:
                        self.on_drop(payload)
                    elif kind == "fatal":
                        raise payload
                with self._cond:
                    if self._live == 0 and self._events.empty():
                        break  # every thread has ended, and all they said was handed on
                    self._end_unready_waits_locked()
        except BaseException:  # an interrupt, the caller stopping, or the batch failing
            self.cancel()
            try:
                self._drain_after_cancel()  # a second interrupt stops the waiting
            finally:
                self._finish()
            raise
        self._finish()
        dead = [s.unusable for s in self._states if s.unusable]
        if dead and len(dead) == len(self._states):
            assert self.summary is not None
            left = self.summary.not_started
            raise NoTargetLeftError(
                "no target left: " + "; ".join(d for d in dead if d)
                + ("" if not left else f" ({left} job{'s' if left != 1 else ''} not run)"))

    def _end_unready_waits_locked(self) -> None:
        """When every job is done and the only threads left wait for their target to prove
        ready: end their waits (the batch does not wait for a target it no longer needs;
        each is dropped, said with what its wait had found so far). Under the lock."""
        if self._over or not self._live or self._live != self._unready or \
                not self._exhausted or self._retries or self._running:
            return
        self._over = True
        self._cancel.set()  # (they stop waiting, and take nothing)
        self._cond.notify_all()

    def _unready_reason(self, state: _TargetState, stopped: JobCancelledError) -> str:
        """Why ``state``'s target was dropped when its wait ended with the jobs done: what
        its last try found (as at the end of its wait: ``connection refused``), or that it
        had not answered (yet)."""
        waited = time.monotonic() - state.opened_at
        kind, why = ("unready", "") if stopped.__cause__ is None else \
            connection_failure(stopped.__cause__)
        if kind in ("absent", "unknown_host"):
            return why
        when = f"when the jobs were done (waited {waited:.{1 if waited < 10 else 0}f} s"
        if why in ("", "no answer in time"):
            return f"no answer {when})"
        return f"not ready {when}; {why})"

    def _group_jobs(self) -> None:
        """``order="model"``: read the jobs once more (a file a line at a time) and note
        each one's model group (a number per job: the group's index), for the planner.
        The jobs that load nothing come first (see :mod:`.grouping`): the invalid ones and
        those done by an earlier run with them."""
        index: dict[ModelGroup, int] = {}
        sizes: list[int] = []
        for job in self.source:
            group = NO_MODELS if job.problem is not None or key_id(job.key) in self._done \
                else model_group(job)
            if group.loads_nothing:
                group = NO_MODELS
            number = index.setdefault(group, len(self._groups))
            if number == len(self._groups):
                self._groups.append(group)
                sizes.append(0)
            elif not group.pipelines <= self._groups[number].pipelines:  # (for its label)
                self._groups[number] = name_groups([self._groups[number], group])[0]
            sizes[number] += 1
            # job numbers only grow (line numbers, or positions): the array grows to the last
            self._group_of.extend(itertools.repeat(0, job.number + 1 - len(self._group_of)))
            self._group_of[job.number] = number
        self._groups = name_groups(self._groups)  # labelled by all their jobs
        self._planner = GroupPlanner(zip(self._groups, sizes, strict=True))
        self._groups_open = set(range(len(self._groups)))

    def _group(self, job: BatchJob) -> ModelGroup | None:
        """``job``'s model group (``None`` in ``order="file"``)."""
        if self._planner is None or job.number >= len(self._group_of):
            return None
        return self._groups[self._group_of[job.number]]

    def _count(self) -> tuple[int | None, int | None]:
        """(jobs, valid jobs to run) from the check; (None, None) without one."""
        if self.report is None or self._keys is None:
            return None, None
        return self.report.jobs, len(self._keys - self._done)

    def _start(self) -> None:
        """One thread per target: it opens the target (a server is probed then: no target
        waits for another) and runs its runners."""
        threads = []
        with self._cond:
            for target in self.targets:
                state = _TargetState(target, target.name, opened_at=time.monotonic())
                self._states.append(state)
                threads.append(threading.Thread(target=self._serve, args=(state,),
                                                name=f"ltx2-batch-{state.name}", daemon=True))
            self._live = self._opening = len(threads)
        for thread in threads:
            thread.start()

    def _serve(self, state: _TargetState) -> None:
        """A target's first thread: open it, start a thread for each runner but the first,
        and be the first."""
        try:
            runners = state.target.open(self.concurrency)
        except TargetUnusableError as exc:
            self._drop(state, str(exc), str(exc))
            self._thread_ends("opening")
            return
        except BaseException as exc:  # the batch's own failure, not the target's
            self.cancel()
            self._events.put(("fatal", exc))
            self._thread_ends("opening")
            return
        slots = [_Slot(state, runner) for runner in runners]
        with self._cond:
            stopped = self._cancel.is_set() or not slots
            if not stopped:  # each runner waits for its target to prove ready first
                self._slots += slots
                self._live += len(slots) - 1
                self._opening -= 1
                self._unready += len(slots)
        if stopped:  # the batch ended while the target was opened
            for slot in slots:
                with contextlib.suppress(Exception):
                    slot.runner.close()
            self._thread_ends("opening")
            return
        for index, slot in enumerate(slots[1:], 1):
            threading.Thread(target=self._work, args=(slot,), daemon=True,
                             name=f"ltx2-batch-{state.name}-{index}").start()
        self._work(slots[0])

    def _thread_ends(self, phase: Literal["opening", "unready", "ready"]) -> None:
        """Count a thread out (``phase``: the one it ended in) and wake the caller's."""
        with self._cond:
            self._live -= 1
            if phase == "opening":
                self._opening -= 1
            elif phase == "unready":
                self._unready -= 1
            self._cond.notify_all()
        self._events.put(("exit", None))

    def _drain_after_cancel(self) -> None:
        """Wait (a bounded time) for cancelled jobs to stop and hand their results on (a
        callback failing now is not raised: the batch is already ending on an exception).
        Threads that hold no job (a target being opened, or proving ready) are not waited
        for: they stop on their own, and have nothing to record."""
        end = time.monotonic() + CANCEL_GRACE
        while time.monotonic() < end:
            with self._cond:
                busy = self._live - self._opening - self._unready
            if busy <= 0 and self._events.empty():
                return
            try:
                kind, payload = self._events.get(timeout=min(TICK, end - time.monotonic()))
            except queue.Empty:
                continue
            if kind == "result" and self.on_result is not None:
                with contextlib.suppress(Exception):
                    self._report_progress()  # the count with it, and that the batch stops
                    self.on_result(payload)

    def _finish(self) -> None:
        with self._cond:
            progress = self._progress_locked()
            # a job still running now did not stop within the grace after a cancel (a
            # submission to an API that never answers): it has no result, and is left for
            # the next run like the jobs never started
            if self._to_run is not None:  # the jobs to run that did not end here
                not_started: int | None = max(0, self._to_run - self._tried_locked())
            elif self._exhausted:  # what waited for a retry never ran again
                not_started = len(self._retries) + progress.running
            else:
                not_started = progress.left
            self.summary = BatchSummary(
                progress=progress, interrupted=self._interrupted,
                cancelled_jobs=tuple(self._cancelled_jobs), not_started=not_started,
                unusable=tuple(s.unusable for s in self._states if s.unusable),
                results_path=self.store.results_path,
                unusable_made=tuple(s.made for s in self._states if s.unusable))
        if self.on_progress is not None:
            self.on_progress(progress)

    def _tried_locked(self) -> int:
        """The jobs to run (:attr:`BatchProgress.to_run`) that ended in this run: made,
        failed (refused when run included) or cancelled. Under the lock."""
        c = self._counts
        return c["ok"] + c["failed"] - c["checked"] + c["cancelled"]

    def _report_progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress())

    def _progress_locked(self) -> BatchProgress:
        now = time.monotonic()
        c = self._counts
        running = sorted(self._running.values(), key=lambda r: r.job.number)
        eta, guess = self._eta(now)
        behind = self._behind_locked()
        jobs = tuple(RunningJob(r.job.number, r.target, now - r.started,
                                r.stage.stage if r.stage else None,
                                r.stage.step if r.stage else 0,
                                r.stage.steps if r.stage else 0, r.group,
                                behind=id(r) in behind) for r in running)
        return BatchProgress(total=self._total, to_run=self._to_run, ok=c["ok"],
                             failed=c["failed"], cancelled=c["cancelled"],
                             skipped=c["skipped"], running=len(self._running),
                             waiting=len(self._retries), retries=c["retries"],
                             elapsed=now - self._started_at, eta=eta,
                             invalid=c["invalid"], jobs=jobs, eta_guess=guess,
                             stopping=self._interrupted)

    def _behind_locked(self) -> set[int]:
        """The ``id`` s of the running jobs that wait behind another of their lane (a
        server that runs one job at a time: all but its head, as the ETA counts them,
        :meth:`_head_locked`). Under the lock."""
        lanes: dict[int, list[_Running]] = {}
        for slot in self._slots:
            run = self._running.get(id(slot))
            if run is not None and self._shares_lane(slot):
                lanes.setdefault(self._lane_key(slot), []).append(run)
        behind: set[int] = set()
        for key, runs in lanes.items():
            head = self._head_locked(key, runs, shared=True)
            behind.update(id(run) for run in runs if head is None or run is not head[0])
        return behind

    def _eta(self, now: float) -> tuple[float | None, float | None]:
        """Seconds left and the guess (see :class:`BatchProgress`), under the lock: each
        lane (a server's runners sharing its queue, else each runner) runs its jobs one
        after another at its target's pace (:func:`lane_eta`)."""
        c = self._counts
        if self._to_run is None or not c["ok"] or self._cancel.is_set():
            # nothing to measure a video by yet, or (cancelled) nothing more will be made
            return None, None
        made = sum(s.made for s in self._states)
        average = (sum(s.served_seconds for s in self._states) / made if made
                   else self._made_seconds / c["ok"])
        not_started = max(0, self._to_run - self._tried_locked() - len(self._running))
        lanes: dict[int, list[_Slot]] = {}
        for slot in self._slots:
            if slot.ready and not slot.state.unusable:
                lanes.setdefault(self._lane_key(slot), []).append(slot)
        loads: list[Lane] = []
        known = True
        for key, slots in lanes.items():
            state = slots[0].state
            runs = [run for slot in slots if (run := self._running.get(id(slot))) is not None]
            head = self._head_locked(key, runs, shared=self._shares_lane(slots[0]))
            pace = state.served_seconds / state.made if state.made else None
            if pace is None and head is not None and head[0].ends is not None:
                pace = head[0].ends - head[1]  # its first job's own count says how long
            if pace is None:
                known = known and not runs and not not_started  # it matters: a guess
                pace = average
            loads.append(Lane(pace, None if head is None else (head[1], head[0].ends),
                              queued=max(0, len(runs) - 1)))
        if not loads:  # (running jobs are on ready slots; none ready: the mean, one runner)
            loads = [Lane(average)]
        eta = lane_eta(now, loads, not_started=not_started)
        return (eta, None) if known else (None, eta)

    @staticmethod
    def _shares_lane(slot: _Slot) -> bool:
        """Whether ``slot``'s runner runs its jobs one after another with other runners'
        (:class:`~ltx2sdk.app.batch.targets.InLane`: a native ComfyUI's queue)."""
        return getattr(slot.runner, "lane", None) is not None

    def _lane_key(self, slot: _Slot) -> int:
        """What ``slot``'s jobs run one after another with: its server's queue (shared by
        its runners), else the slot alone."""
        lane = getattr(slot.runner, "lane", None)
        return id(slot) if lane is None else id(lane)

    def _head_locked(self, lane: int, runs: Sequence[_Running], *, shared: bool
                     ) -> tuple[_Running, float] | None:
        """Of a lane's running jobs, the one its server runs and since when (the others wait
        behind it); ``None`` when it runs none. In a shared lane: the first its target said
        had begun (a stage other than "in queue"), since then; else (nothing told yet, a
        target that does not tell) the first taken, since it was taken or since the lane's
        last job ended, whichever is later (it waited for that one). Under the lock."""
        if not runs:
            return None
        begun = [run for run in runs if run.began is not None]
        if shared and begun:
            first = min(begun, key=lambda run: (run.began or 0.0, run.job.number))
            return first, first.began or first.started
        first = min(runs, key=lambda run: (run.started, run.job.number))
        since = first.started
        if shared:
            since = max(since, self._lane_ends.get(lane, since))
        return first, since

    def _served_locked(self, slot: _Slot, job: BatchJob, now: float) -> float:
        """The time ``slot``'s lane gave ``job``, its running job ending ``now``: since it
        was taken, or since the lane's last job ended when that is later (it waited behind
        that one: a job queued ahead); the lane's end is noted. 0 for a job that was not
        running there. Under the lock, before the job leaves ``_running``."""
        run = self._running.get(id(slot))
        if run is None or run.job is not job:
            return 0.0
        lane = self._lane_key(slot)
        last = self._lane_ends.get(lane)
        self._lane_ends[lane] = now
        return max(0.0, now - max(run.started, last if last is not None else run.started))

    # -- a runner's thread -----------------------------------------------------------------

    def _work(self, slot: _Slot) -> None:
        phase: Literal["unready", "ready"] = "unready"
        try:
            while True:
                if slot.reprove:
                    slot.reprove = False
                    if phase == "ready":  # waiting again: the batch does not wait for it
                        with self._cond:
                            phase = "unready"
                            self._unready += 1
                            slot.ready = False
                            slot.state.opened_at = time.monotonic()
                    proved = self._prove_ready(slot)
                    if proved is False:
                        return
                    with self._cond:  # from here it counts as busy: the batch waits for it
                        phase = "ready"
                        self._unready -= 1
                        slot.ready = proved is True  # (the ETA counts it now)
                        self._cond.notify_all()
                    if isinstance(proved, JobCancelledError):  # the jobs were done first
                        reason = self._unready_reason(slot.state, proved)
                        self._drop(slot.state, f"{slot.state.name}: {reason}", reason)
                        return
                    if proved is not True:  # dropped as any target is (and its orphans)
                        self._drop(slot.state, _one_line(proved),
                                   getattr(proved, "reason", "") or _one_line(proved))
                        return
                taken = self._next(slot)
                if taken is None:
                    return
                job, attempt = taken
                try:
                    self._attempt(slot, job, attempt)
                except BaseException as exc:  # the batch's own failure (a full disk), not the job's
                    with self._cond:
                        self._running.pop(id(slot), None)
                    self.cancel()
                    self._events.put(("fatal", exc))
                    return
        finally:
            with contextlib.suppress(Exception):
                slot.runner.close()
            self._thread_ends(phase)

    def _prove_ready(self, slot: _Slot) -> bool | Exception:
        """Wait, before ``slot`` takes any job, for its target to prove ready (a runner that
        can say: a server), so that no job waits on a target that may never answer while
        another could run it. ``True`` when it may take jobs; ``False`` when it is not to:
        the batch was cancelled or is over, or another runner of its target dropped it;
        why it is not ready (the target is to be dropped: whatever the wait raised, as
        :func:`classify` says ``unusable``). A batch with nothing to run does not wait."""
        if not isinstance(slot.runner, WaitsForReady) or self._to_run == 0:
            return not self._cancel.is_set()
        try:
            slot.runner.wait_ready(self._cancel)
        except JobCancelledError as exc:  # interrupted: not to be said; over: to be said
            return exc if self._over and not self._interrupted else False
        except Exception as exc:  # a target that cannot prove ready takes no job
            return exc
        return not self._cancel.is_set() and slot.state.unusable is None

    def _drop(self, state: _TargetState, message: str, reason: str,
              slot: _Slot | None = None) -> None:
        """Stop using ``state``'s target (``message``: why, recorded; ``reason``: what
        ``on_drop`` hears), once; then the jobs no target left can run fail."""
        with self._cond:
            first = state.unusable is None  # a target of several runners drops once
            if first:
                state.unusable = message
                if self._planner is not None:  # its group is free for the others
                    self._planner.forget(state.name)
            notice = self._dropped_locked(state, reason)
            orphans = self._orphans_locked()
            self._cond.notify_all()
        if first:
            self._events.put(("dropped", notice))
        for orphan in orphans:  # the targets left all lack what these jobs need
            self._conclude(slot or state, orphan.job, orphan.attempt, time.monotonic(),
                           error=self._unfit_error(orphan.job), error_kind="unfit")

    def _next(self, slot: _Slot) -> tuple[BatchJob, int] | None:
        """The next job for ``slot`` and which try it is; ``None`` when there is nothing
        more for it (all done, cancelled, or its target unusable). Jobs skipped on the way
        are handed on outside the lock, a chunk at a time: when the caller lags behind, the
        queue of results stays short and this thread waits for it."""
        while True:
            skipped: list[tuple[BatchJob, str]] = []
            with self._cond:
                chosen = self._choose(slot, skipped)
            for job, note in skipped:
                self._events.put(("result", self._skip_result(job, note)))
            if not isinstance(chosen, _Again):
                return chosen

    def _choose(self, slot: _Slot, skipped: list[tuple[BatchJob, str]]
                ) -> tuple[BatchJob, int] | _Again | None:
        """:meth:`_next` under the lock; ``_Again.AGAIN`` when ``skipped`` is to be handed
        on first."""
        state = slot.state
        while True:
            if self._cancel.is_set() or state.unusable:
                return None
            now = time.monotonic()
            wake: float | None = None
            found = self._next_retry(state)
            retry, due = (None, 0.0) if found is None else found
            if state.paused_until > now:
                if self._exhausted and retry is None and not self._running:
                    return None  # nothing left to wait for
                wake = state.paused_until
            elif retry is not None and due <= now:
                self._retries.remove(retry)
                heapq.heapify(self._retries)
                return self._take(retry.job, retry.attempt, slot)
            else:
                job = self._pull(skipped, state)
                if job is not None:
                    return self._take(job, 1, slot, new=True)
                if skipped:
                    return _Again.AGAIN
                if retry is not None:
                    wake = due
                elif not self._running:
                    # what waits now is for other targets (each has one that can run it)
                    self._cond.notify_all()  # the others see it too
                    return None
            self._cond.wait(None if wake is None else max(0.0, wake - now))

    def _next_retry(self, state: _TargetState) -> tuple[_Retry, float] | None:
        """The job waiting for a try that ``state``'s target takes first, and from when
        (:meth:`_due`); ``None`` when it can run none of them (under the lock)."""
        runnable = [(self._due(r, state), r) for r in self._retries
                    if r.job.key not in state.cannot_run]
        if not runnable:
            return None
        due, retry = min(runnable)
        return retry, due

    def _due(self, retry: _Retry, state: _TargetState) -> float:
        """When ``state``'s target may take ``retry`` (under the lock): at its ``ready_at``,
        unless (``order="model"``) another target holds the job's group and can take it
        within reason: then one job's time later (the slowest such target's pace, see
        :meth:`~.grouping.GroupPlanner.pace`), so that a job tried again goes back to models
        already loaded rather than costing a load (and another when that target goes back to
        its own group).

        A target holding the group can take it within reason when it is still in use, not
        lost (:class:`DropNotice` ``lost``), has not said it cannot run the job, and is not
        paused (after its failures) past that later time. So the job never waits for a
        target that is gone or cannot run it, and never more than one job's time past its
        retry delay: meanwhile the other targets go on with their own jobs, and one with
        nothing else to do takes it then (no target idles for longer while jobs remain)."""
        group = self._group(retry.job)
        planner = self._planner
        if group is None or planner is None:
            return retry.ready_at
        held_by = planner.holders(group)
        if not held_by or state.name in held_by:
            return retry.ready_at
        holders = [s for s in self._states
                   if s.name in held_by and s is not state and s.unusable is None
                   and not s.lost and retry.job.key not in s.cannot_run
                   and not planner.refused(s.name, group)]
        if not holders:
            return retry.ready_at
        until = retry.ready_at + max(planner.pace(s.name) for s in holders)
        if all(s.paused_until > until for s in holders):  # none is back in time
            return retry.ready_at
        return until

    def _can_run_somewhere(self, job: BatchJob) -> bool:
        """Whether a target still in use has not said it cannot run ``job`` (under the
        lock)."""
        return any(not s.unusable and job.key not in s.cannot_run for s in self._states)

    def _take(self, job: BatchJob, attempt: int, slot: _Slot, *, new: bool = False
              ) -> tuple[BatchJob, int]:
        """``job`` starts on ``slot`` (``new``: its first try, from the source). Under the
        lock."""
        group = self._group(job)
        if group is not None and self._planner is not None:
            held = self._planner.holding(slot.state.name)
            self._planner.took(slot.state.name, group, new=new)
            if self._planner.holding(slot.state.name) != held:
                self._cond.notify_all()  # a job tried again may wait for it no more (_due)
        if isinstance(slot.runner, TakesTurns) and job.problem is None and \
                self._refused(job) is None:  # (one sent nowhere takes no place there)
            slot.runner.take_turn()  # its server queues its jobs in the order given here
        self._running[id(slot)] = _Running(job, slot.state.name, time.monotonic(),
                                           group=None if group is None else group.label)
        return job, attempt

    def _pull(self, skipped: list[tuple[BatchJob, str]], state: _TargetState
              ) -> BatchJob | None:
        """The next job of the source that needs running (in ``order="model"``: of the
        group the planner gives ``state``'s target); the ones that do not go to ``skipped``
        on the way (at most :data:`SKIP_CHUNK`: then ``None`` before the source is used up,
        see ``_exhausted``)."""
        if self._planner is None:
            if self._exhausted or self._jobs is None:
                return None
            job, ended = self._pull_from(self._jobs, skipped, None)
            self._exhausted = ended
            return job
        planner = self._planner
        while len(skipped) < SKIP_CHUNK:
            group = planner.choose(state.name)
            if group is None:  # (counts that miss a job: what is left is read all the same)
                group = next((self._groups[i] for i in sorted(self._groups_open)
                              if not planner.refused(state.name, self._groups[i])), None)
            if group is None:
                self._exhausted = not self._groups_open
                return None
            number = self._groups.index(group)
            reads = self._group_reads.get(number)
            if reads is None:  # read only the lines of this group
                reads = self._group_reads[number] = self.source.select(
                    self._in_group(number))
            job, ended = self._pull_from(reads, skipped, group)
            if ended:
                planner.exhausted(group)
                self._groups_open.discard(number)
                self._group_reads.pop(number, None)
            if job is not None:
                return job
        return None

    def _in_group(self, number: int) -> Callable[[int], bool]:
        """Whether a job (by its number) is of group ``number``."""
        group_of = self._group_of
        return lambda job: job < len(group_of) and group_of[job] == number

    def _pull_from(self, jobs: Iterator[BatchJob], skipped: list[tuple[BatchJob, str]],
                   group: ModelGroup | None) -> tuple[BatchJob | None, bool]:
        """The next job of ``jobs`` that needs running, and whether ``jobs`` ended (see
        :meth:`_pull`); each job skipped is one less left in ``group``."""
        while len(skipped) < SKIP_CHUNK:
            job = next(jobs, None)
            if job is None:
                return None, True
            compact = key_id(job.key)
            if job.problem is not None:  # each invalid line is one, as the check lists it
                return job, False
            if compact in self._done:
                skipped.append((job, "done by an earlier run"))
            elif compact in self._seen:
                skipped.append((job, "the same request as an earlier job"))
            else:
                self._seen.add(compact)  # only what runs here: a re-run keeps nothing more
                return job, False
            self._counts["skipped"] += 1
            if group is not None and self._planner is not None:
                self._planner.passed(group)
        return None, False

    def _skip_result(self, job: BatchJob, note: str) -> JobResult:
        video = None
        if key_id(job.key) in self._done:  # made under this name, unless the lines moved
            video = self.store.video_of(job)
            video = video if video.exists() else None
        return JobResult(job.number, job.key, "skipped", video=video, note=note)

    def _refused(self, job: BatchJob) -> str | None:
        """What the check before the run found wrong with ``job`` beyond its own request (an
        input file given inline that does not decode), with ``skip_invalid``: it is not sent."""
        return self._problem_of.get(job.number)

    def _attempt(self, slot: _Slot, job: BatchJob, attempt: int) -> None:
        state = slot.state
        started = time.monotonic()
        problem = job.problem or self._refused(job)
        if problem is not None:  # invalid: fails here, sent nowhere
            self._conclude(slot, job, attempt, started, error=problem, error_kind="invalid")
            return
        partial = self.store.partial_path(job, attempt)
        with self._cond:  # a job an earlier run (or try) left on this target: follow it
            earlier = self._submitted.get(job.key)
        resume = earlier[1] if earlier is not None and earlier[0] == state.name else None

        def note(job_id: str) -> None:
            self.store.note_submitted(job.key, state.name, job_id)
            with self._cond:  # a retry follows it too, unless it ended
                self._submitted[job.key] = (state.name, job_id)

        def stage(now: JobStage) -> None:
            with self._cond:  # shown with the next progress report
                running = self._running.get(id(slot))
                if running is not None and running.job is job:
                    running.stage = now
                    if running.queued_at is None and now.stage == QUEUED_STAGE:
                        running.queued_at = time.monotonic()  # (what its record leaves out)
                    if running.began is None and now.stage != QUEUED_STAGE:
                        running.began = time.monotonic()  # it left its server's queue
                    # fixed until the next report: the time left then only shrinks
                    running.ends = None if now.left is None else time.monotonic() + now.left

        try:
            metadata = slot.runner.run(job, partial, cancel=self._cancel, resume=resume,
                                       on_submitted=note, on_stage=stage)
            final = self.store.place(partial, job)
        except Exception as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, JobTimeoutError):  # said in its record (JobResult.past_timeout)
                with self._cond:
                    running = self._running.get(id(slot))
                    if running is not None and running.job is job:
                        running.timed_out = True
            self._failed(slot, job, attempt, started, exc)
            return
        with self._cond:
            state.failures, state.paused_until = 0, 0.0
            state.lost_with.discard(id(slot))  # (its job was not lost: a next loss is new)
        usual = self.store.video_path(job)
        renamed = None if final == usual else (
            f"{usual.name} was there already, not written by this batch (never replaced): "
            f"saved as {final.name}")
        self._conclude(slot, job, attempt, started, video=final, metadata=metadata,
                       note=renamed)

    def _failed(self, slot: _Slot, job: BatchJob, attempt: int, started: float,
                exc: Exception) -> None:
        state = slot.state
        kind: FailureKind = classify(exc)
        message = _one_line(exc)
        if not isinstance(exc, ServerLostError):
            with self._cond:  # (its job was not lost: a next loss is new)
                state.lost_with.discard(id(slot))
        if isinstance(exc, JobNotStartedError):  # queued ahead, taken back: it never ran
            with self._cond:
                self._running.pop(id(slot), None)  # no result: a re-run runs it
                self._cond.notify_all()
            return
        if kind == "cancelled" or (self._cancel.is_set() and kind != "permanent"):
            self._conclude(slot, job, attempt, started, error=message,
                           error_kind="cancelled", status="cancelled")
            return
        if kind == "unfit":
            with self._cond:
                state.cannot_run[job.key] = message.removeprefix(UNFIT_PREFIX).lstrip(": ")
                group = self._group(job)
                if group is not None and self._planner is not None:  # it lacks their models
                    self._planner.refuse(state.name, group)
                del self._running[id(slot)]
                elsewhere = self._can_run_somewhere(job)
                if elsewhere:  # the job's need, not the target's fault: another may run it
                    heapq.heappush(self._retries, _Retry(time.monotonic(), next(self._seq),
                                                         job, attempt))
                    self._cond.notify_all()
            if not elsewhere:
                self._conclude(slot, job, attempt, started, error=self._unfit_error(job),
                               error_kind="unfit")
            return
        if kind == "unusable":
            with self._cond:
                del self._running[id(slot)]
                # not the job's fault: it waits for another target, its try not counted
                heapq.heappush(self._retries, _Retry(time.monotonic(), next(self._seq), job,
                                                     attempt))
            self._drop(state, message, getattr(exc, "reason", "") or message, slot)
            return
        if kind == "transient" and isinstance(exc, ServerLostError):
            # the server went away with the job on it (running or queued there): the
            # server's loss, not the job's: the job goes to any target at once, its try not
            # counted, and the server proves ready again before its next job (one gone is
            # dropped then); the streak still drops a server that keeps losing its jobs
            slot.reprove = True
            with self._cond:
                # one loss, however many jobs it held: the first of its runners to hear of
                # it counts it (and says it), the others (their jobs there then) hear of the
                # same loss, maybe after the server, back, made a video
                same = id(slot) in state.lost_with
                state.lost_with.discard(id(slot))
                held = getattr(exc, "held", True)  # (see ServerLostError.held)
                losses = self._losses.get(job.key, 0) + held
                self._losses[job.key] = losses
                failing = False
                if not same:
                    self._say_lost(state, exc)  # (the lock is reentrant)
                    mine = {id(s) for s in self._slots if s.state is state}
                    state.lost_with = {key for key in self._running
                                       if key in mine and key != id(slot)}
                    if losses <= 1:
                        # (a job lost before is the suspect: its losses are its tries,
                        # below, not the server's streak, else one job that brings a
                        # server down would have it dropped before the job gave up)
                        state.failures += 1
                        failing = state.failures >= self._failure_limit
                counted = held and losses > FREE_LOSSES  # (see FREE_LOSSES)
                gives_up = counted and attempt >= self.retry.attempts
                if not gives_up:
                    del self._running[id(slot)]
                    heapq.heappush(self._retries, _Retry(
                        time.monotonic(), next(self._seq), job, attempt + counted))
                self._cond.notify_all()
            if failing:
                reason = f"failed {state.failures} tries in a row (last: {message})"
                self._drop(state, f"{state.name}: {reason}", reason, slot)
            if gives_up:
                self._conclude(slot, job, attempt, started, error_kind="gave_up",
                               error=f"gave up after {attempt} tries: its server was lost "
                                     f"{losses} times with it (last: {message})")
            return
        if kind == "transient":
            with self._cond:
                state.failures += 1
                failing = state.failures >= self._failure_limit
                if failing:  # every job fails there: the target's fault, not the jobs'
                    del self._running[id(slot)]
                    heapq.heappush(self._retries, _Retry(time.monotonic(), next(self._seq),
                                                         job, attempt))
            if failing:
                reason = f"failed {state.failures} tries in a row (last: {message})"
                self._drop(state, f"{state.name}: {reason}", reason, slot)
                return
        if kind == "transient" and attempt < self.retry.attempts:
            slot.reprove = True
            with self._cond:
                now = time.monotonic()
                state.paused_until = now + self.retry.delay(state.failures)
                # the job's next try comes when a target still in use is free to take it: the
                # delay said is the one waited
                free_at = min((s.paused_until for s in self._states if not s.unusable),
                              default=now)
                delay = max(self.retry.delay(attempt), free_at - now)
                del self._running[id(slot)]
                heapq.heappush(self._retries, _Retry(now + delay, next(self._seq), job,
                                                     attempt + 1))
                self._counts["retries"] += 1
                self._cond.notify_all()
            self._events.put(("retry", RetryNotice(job.number, state.name, attempt,
                                                   self.retry.attempts, round(delay, 1),
                                                   message)))
            return
        if kind == "transient":
            message = f"gave up after {attempt} tries: {message}"
        elif _fetch_failed(exc):
            message += " (not fetched: a re-run tries again)"
        # an input file refused here (a name resolving to a private address, an image that
        # does not read): the job's own fault, refused again by a re-run, like the check's;
        # one that could not be fetched (no such host, no answer, an HTTP error) may be
        # there next time: a failure a re-run tries again
        unfetched = _fetch_failed(exc)
        error_kind = "gave_up" if kind == "transient" else "failed" if unfetched else (
            "invalid" if isinstance(exc, (RequestFieldError, InputFileError))
            or (isinstance(exc, ValueError) and not isinstance(exc, LTX2Error)) else "failed")
        self._conclude(slot, job, attempt, started, error=message, error_kind=error_kind,
                       # (a request its input refuses when run, a start past the end of
                       # a server's video: invalid as surely as the check's refusals)
                       input_refused=isinstance(exc, RequestFieldError)
                       or (isinstance(exc, InputFileError) and not unfetched))

    def _say_lost(self, state: _TargetState, exc: BaseException) -> None:
        """``state``'s server went out of reach with jobs on it (``exc``): said at once,
        once for all its jobs (``on_drop`` hears a :class:`DropNotice` with ``lost``), until
        it makes a video again. Called before the job leaves ``_running``."""
        kind, why = connection_failure(exc)
        reason = why if kind != "other" else "connection lost"
        with self._cond:
            if state.lost or state.unusable:
                return
            state.lost = True
            mine = {id(s) for s in self._slots if s.state is state}
            jobs = sum(1 for key in self._running if key in mine)
            others = sum(1 for s in self._states if s is not state and not s.unusable)
            notice = DropNotice(state.name, reason, others, lost=True, handed_on=jobs,
                                made=state.made)
        self._events.put(("dropped", notice))

    def _orphans_locked(self) -> list[_Retry]:
        """The waiting jobs that no target still in use can run, taken off the queue (under
        the lock, after a drop). None when no target is left: the batch stops then, and its
        jobs are left for the next run."""
        if all(s.unusable for s in self._states):
            return []
        orphans = [r for r in self._retries if not self._can_run_somewhere(r.job)]
        if orphans:
            self._retries = [r for r in self._retries if r not in orphans]
            heapq.heapify(self._retries)
        return orphans

    def _unfit_error(self, job: BatchJob) -> str:
        """Why no target could run ``job``: each target that said so, and what it lacks
        (targets that lack the same, named together)."""
        by_reason: dict[str, list[str]] = {}
        with self._cond:
            for s in self._states:
                if job.key in s.cannot_run:
                    by_reason.setdefault(s.cannot_run[job.key], []).append(s.name)
        return "no target can run it: " + "; ".join(
            f"{', '.join(names)}: {reason}" for reason, names in by_reason.items())

    def _dropped_locked(self, state: _TargetState, reason: str) -> DropNotice:
        """What ``on_drop`` hears of ``state``'s target, just dropped (under the lock, or
        before the runners start)."""
        left = len(self.targets) - sum(1 for s in self._states if s.unusable)
        return DropNotice(state.name, reason.removeprefix(f"{state.name}: "), left)

    def _conclude(self, slot: _Slot | _TargetState, job: BatchJob, attempt: int,
                  started: float, *,
                  video: Path | None = None, metadata: Mapping[str, Any] | None = None,
                  error: str | None = None, error_kind: str | None = None,
                  status: Status | None = None, input_refused: bool = False,
                  note: str | None = None) -> None:
        """Record a job's result (results.jsonl first), count it, hand it on. ``slot``: where
        it ran (a target: it ran nowhere, and no target can run it); ``input_refused``: an
        input file of the job was refused here, nothing queued."""
        state = slot if isinstance(slot, _TargetState) else slot.state
        status = status or ("ok" if error is None else "failed")
        ended = time.monotonic()
        took = ended - started  # the runner's time: what paces the ETA
        # the job's own time leaves out its wait in the server's queue (behind another job):
        # as its metadata says, or (no metadata: it failed) as its server's runner told
        waited, past_timeout = _queued_seconds(metadata), None
        with self._cond:
            run = self._running.get(id(slot))
            if isinstance(slot, _Slot) and run is not None and run.job is job:
                if metadata is None and self._shares_lane(slot):
                    waited = run.queue_wait(ended)
                # one that never left the queue was not started: its error says so
                if run.timed_out and (run.queued_at is None or run.began is not None):
                    past_timeout = self._timeout
        seconds = round(max(0.0, took - waited), 3)
        line: dict[str, Any] = {"key": job.key, "job": job.number, "status": status,
                                "target": state.name, "attempts": attempt,
                                "seconds": seconds}
        if video is not None:
            line.update(video=video.name, bytes=video.stat().st_size)
        if metadata:
            line["metadata"] = dict(metadata)
        if error is not None:
            line.update(error=error, error_kind=error_kind)
        if note is not None:
            line["note"] = note
        group = self._group(job)
        if group is not None:  # the models its target held (order="model")
            line["group"] = group.label
        line["request"] = summarised_request(job)
        line["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        try:
            self.store.record(line)
        except StoreClosedError:  # a runner that outlived its cancelled batch: nothing to say
            return
        result = JobResult(job.number, job.key, status, video=video,
                           metadata=dict(metadata or {}), error=error, error_kind=error_kind,
                           attempts=attempt, target=state.name, seconds=seconds, note=note,
                           group=None if group is None else group.label,
                           past_timeout=past_timeout)
        with self._cond:
            # (ended when its time was taken, not after its line was written)
            served = self._served_locked(slot, job, started + took) \
                if isinstance(slot, _Slot) else seconds
            self._running.pop(id(slot), None)
            self._submitted.pop(job.key, None)  # concluded: nothing left to follow
            self._counts[status] += 1
            if status == "ok":
                self._made_seconds += took
                state.made += 1
                state.made_seconds += took
                state.served_seconds += served
                state.lost = False  # back: a next loss is said again
                if self._planner is not None:  # work stealing weighs groups by pace
                    self._planner.set_pace(state.name, state.made_seconds / state.made)
            if error_kind == "invalid":
                checked = (job.problem or self._refused(job)) is not None
                if checked or input_refused:  # refused by the check, or its input: not queued
                    self._counts["invalid"] += 1
                if checked:  # not one of the jobs to run (to_run)
                    self._counts["checked"] += 1
            if status == "cancelled":
                self._cancelled_jobs.append((job.number, state.name))
            self._cond.notify_all()
        self._events.put(("result", result))


def batch_eta(now: float, running: Sequence[tuple[float, float | None]], *, average: float,
              not_started: int, runners: int) -> float | None:
    """A batch's seconds left at ``now`` when every runner goes at one pace, ``average`` (the
    observed length of a job): :func:`paced_eta` with ``runners`` runners, the
    ``running`` jobs (``(started, ends)``) on as many of them."""
    loads: list[tuple[float, tuple[float, float | None] | None]] = [
        (average, run) for run in running]
    loads += [(average, None)] * max(0, runners - len(running))
    return paced_eta(now, loads or [(average, None)], not_started=not_started)


def paced_eta(now: float, runners: Sequence[tuple[float, tuple[float, float | None] | None]],
              *, not_started: int) -> float | None:
    """A batch's seconds left at ``now``: each of ``runners`` is ``(pace, running)``, the
    seconds a job takes it and its running job (``(started, ends)``, or ``None`` when it
    is free): :func:`lane_eta` with nothing queued ahead."""
    return lane_eta(now, [Lane(pace, run) for pace, run in runners], not_started=not_started)


@dataclass(frozen=True)
class Lane:
    """What runs one job at a time, as the ETA counts it (:func:`lane_eta`): a native
    ComfyUI (its runners share its queue), or one runner of a target that runs jobs side by
    side. ``pace``: the seconds a job takes it; ``running``: the job it runs (``(started,
    ends)``: since when, and when its own count says its run ends, ``None`` when it cannot
    say), ``None`` when it runs none; ``queued``: the jobs waiting behind that one (queued
    ahead on its server, or being sent there), none begun: each has a whole ``pace`` left
    after the ones ahead of it."""

    pace: float
    running: tuple[float, float | None] | None = None
    queued: int = 0


def lane_eta(now: float, lanes: Sequence[Lane], *, not_started: int) -> float | None:
    """A batch's seconds left at ``now``: each of ``lanes`` ends its running job, then its
    queued ones one after another (:class:`Lane`); the ``not_started`` jobs go, one at a
    time, to the lane free first, each at its own pace (a fast server does more of them than
    a slow one). The end is the last job's, running ones included (one job is not shared).

    A running job has left the later of: the time its own run ends (``ends``, as it last
    said; ``None`` when it cannot say) and its lane's pace less its time so far. Its own
    count cannot see what a job spends outside the run (the wait for the server, uploads,
    the download): alone it ended a job's time seconds early and let the ETA reach 0 while
    the last job ran. A job queued behind it has not begun: counted as running, it ended
    the batch a job's time early for each one queued ahead. ``None`` when jobs run and
    nothing is left by this count (a job past its pace that cannot say, nothing queued): no
    number rather than 0 s."""
    free_at: list[tuple[float, float]] = []  # (when each lane is free, its pace)
    lefts: list[float] = []
    for lane in lanes:
        pace = max(lane.pace, 1e-3)  # (instant jobs: still a pace)
        left = 0.0
        if lane.running is not None:
            started, ends = lane.running
            left = max(0.0, started + pace - now, 0.0 if ends is None else ends - now)
        left += max(0, lane.queued) * pace
        if lane.running is not None or lane.queued > 0:
            lefts.append(left)
        free_at.append((now + left, pace))
    if not_started <= 0 or not free_at:
        if lefts and max(lefts) <= 0:
            return None
        return max(lefts, default=0.0)
    end = _nth_end(free_at, not_started)
    return max(end - now, max(lefts, default=0.0))


def _nth_end(free_at: Sequence[tuple[float, float]], jobs: int) -> float:
    """When the ``jobs``-th job ends, each lane being free at ``free`` and taking ``pace``
    a job (``free_at``: ``(free, pace)`` each), each job going to the lane free first.
    Found by halving (a million jobs cost as little as ten): the jobs ended by time t are a
    sum over the runners."""
    def ended(t: float) -> int:
        return sum(int((t - free) / pace + 1e-9) for free, pace in free_at if t > free)

    low = min(free for free, _ in free_at)
    high = min(free + jobs * pace for free, pace in free_at)  # one runner alone
    for _ in range(100):
        middle = (low + high) / 2
        if ended(middle) >= jobs:
            high = middle
        else:
            low = middle
        if high - low < 1e-6:
            break
    # the end of the last job done by then: the exact instant, not the halving's
    return max(free + int((high - free) / pace + 1e-9) * pace for free, pace in free_at)


def _queued_seconds(metadata: Mapping[str, Any] | None) -> float:
    """The seconds a job's prompt waited in its server's queue, as its metadata's
    ``timings.queued`` says (0 when it does not)."""
    timings = (metadata or {}).get("timings")
    queued = timings.get("queued") if isinstance(timings, Mapping) else None
    return float(queued) if isinstance(queued, (int, float)) and queued > 0 else 0.0


def _fetch_failed(exc: BaseException) -> bool:
    """Whether ``exc`` (an input file error) comes from a fetch that failed rather than a
    refusal (see :class:`~ltx2sdk.errors.FetchFailedError`)."""
    seen: BaseException | None = exc
    for _ in range(8):  # a short chain: the input's error, from the fetch's
        if seen is None:
            return False
        if isinstance(seen, FetchFailedError):
            return True
        seen = seen.__cause__
    return False


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line; a failure that is not the SDK's own says its
    type."""
    text = exception_line(exc)  # (a bad request is a RequestError: "invalid request: ...")
    if isinstance(exc, (LTX2Error, ValueError)) or text == type(exc).__name__:
        return text
    return f"{type(exc).__name__}: {text}"


def iter_batch(jobs: str | Path | Iterable[Mapping[str, Any]],
               targets: str | BatchTarget | Sequence[str | BatchTarget],
               output_dir: str | Path, **options: Any) -> Batch:
    """A :class:`Batch` to iterate (results as jobs finish); ``options`` as for
    :class:`Batch`. Its :attr:`~Batch.summary` is set once the iteration ends."""
    return Batch(jobs, targets, output_dir, **options)


def run_batch(jobs: str | Path | Iterable[Mapping[str, Any]],
              targets: str | BatchTarget | Sequence[str | BatchTarget],
              output_dir: str | Path, *, concurrency: int | None = None,
              on_result: Callable[[JobResult], None] | None = None,
              **options: Any) -> BatchSummary:
    """Run a whole batch and return its :class:`BatchSummary`; ``on_result`` is called
    with each :class:`JobResult` as its job finishes. Other ``options`` as for
    :class:`Batch`. A ``KeyboardInterrupt`` cancels the running jobs, then is raised again.
    """
    return Batch(jobs, targets, output_dir, concurrency=concurrency, on_result=on_result,
                 **options).run()
