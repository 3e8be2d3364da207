"""A server as a batch target: native ComfyUI or the Comfy API v2, through :func:`generate`."""

from __future__ import annotations

import contextlib
import functools
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.targets import QUEUED_STAGE, JobSettings, JobStage, Runner
from ltx2sdk.app.generate import generate
from ltx2sdk.app.progress import ProgressUpdate
from ltx2sdk.backends.connect import PROBE_TIMEOUT, connect
from ltx2sdk.backends.protocol import Backend
from ltx2sdk.backends.server_urls import (
    DEFAULT_READY_TIMEOUT,
    REFUSED_GRACE,
    connection_failure,
    normalize_server_url,
    shown_url,
)
from ltx2sdk.errors import (
    ExecutionInterruptedError,
    JobCancelledError,
    JobNotStartedError,
    JobTimeoutError,
    LTX2Error,
    PromptLostError,
    ServerLostError,
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
    TargetUnusableError,
)

__all__ = ["ServerTarget"]

TAKEN_BACK_WAIT = 2.0
"""Seconds a cancelled job's runner asks the server whether its prompt ever ran (the
interrupt of a running one lands, and its history appears, within a fraction of that)."""
QUEUE_GRACE = 10.0
"""Seconds past the latest end of the jobs ahead of it on its server (each one's deadline,
moved by its own wait in the queue) that a queued-ahead job may still wait there to be
started: the job ahead is interrupted at its deadline, and a real ComfyUI stops at its next
step."""
V2_LOST_AFTER = 10.0
"""Seconds nobody may answer at a Comfy API v2 server (connection refused) while it has a
job of the batch, running or queued, before the job is handed on as lost with the server
(:class:`~ltx2sdk.errors.ServerLostError`): a proxy restarting within them is waited out."""
POSTING_WAIT = 10.0
"""Seconds a cancel waits for the prompts being sent to the server to arrive (so that it
takes them back too) before it takes back those that have."""
TAKE_BACK_WITHIN = 0.5
"""Seconds a cancel's take-back (the prompts waiting in the server's queue removed, then
interrupted) waits for the server's answer to its first request: a server that does not
answer within them is unresponsive (hung), and the rest of the stop does not wait for it
(its other requests skipped, the runners' own interrupts given
:data:`UNRESPONSIVE_CLEANUP`), so that a stop is quick."""
UNRESPONSIVE_CLEANUP = 0.2
"""Seconds each runner's interrupt of its own prompt waits for an unresponsive server."""


class ServerTarget:
    """A server reached through :func:`~ltx2sdk.backends.connect.connect`: native ComfyUI (one
    job at a time) or the Comfy API v2 (``concurrency`` jobs at a time, default 1). ``api`` and
    ``api_key`` as for ``connect``; the key is never shown.

    **Queue-ahead** (``settings.queue_ahead``, default 1; 0: none): the server gets that
    many runners more than the jobs it runs at once (one on a native ComfyUI,
    ``concurrency`` on the Comfy API v2), each with a client of its own, so while a job
    runs the next one is built, its inputs uploaded and its prompt queued (the server
    starts it the moment the last one ends), and the last video downloads while the next
    job runs. (A Comfy API v2 service that runs more jobs at once than ``concurrency``
    says, or scales out, may start the ones queued ahead at once: they are its jobs then.)
    A queued-ahead job the batch cancels while it still waits in the queue is removed from
    it (native: ``POST /queue {"delete": [...]}``; the Comfy API v2: its job cancelled,
    ``POST /api/v2/jobs/{id}/cancel``, which removes a queued one) and raises
    :class:`~ltx2sdk.errors.JobNotStartedError`: it never ran, and the batch counts it as
    not started (on the Comfy API v2 when the service then says the job ``expired`` or no
    longer knows it, as ``comfy-api-proxy`` does; one that says ``canceled`` cannot be
    told from one interrupted, and counts as cancelled; a server that does not answer the
    take-back within :data:`TAKE_BACK_WITHIN` is not waited for: its jobs never heard to
    begin are not started). One whose server goes away (a native ComfyUI's connection lost,
    its prompts forgotten by a restart, or the server hung: no answer to the client's
    looks for :data:`~ltx2sdk.backends.comfyui.following.HUNG_AFTER` seconds, its prompts
    then taken back when it wakes; nobody answering at a Comfy API v2 for
    :data:`V2_LOST_AFTER` seconds: :class:`~ltx2sdk.errors.ServerLostError`) goes to
    another target with the running one, neither's try counted (the server, gone, runs
    neither, as far as the batch can tell: a Comfy API v2 proxy gone while its ComfyUI
    lives on leaves them there).

    **Order**: a server's jobs are queued there in the order the batch gave them to its
    runners (with ``order="file"`` and one server: the file's order); a runner whose job
    was given later waits, its inputs uploaded, until the ones before it are queued.

    **Time limits**: a try's ``timeout`` counts the runner's own work (the wait for the
    server, inputs, uploads, the download) and the run from the moment the server starts
    the prompt, not its wait in the server's queue behind the jobs ahead of it: the
    recorded times (``timings.run``, the result's ``seconds``) leave that wait out too, and
    ``timings.queued`` says it. The wait has a bound: a queued prompt is taken back from the
    queue, its try failed as past its deadline, once the latest end of the jobs ahead of it
    on the server (each one's deadline, moved later by its own wait) is :data:`QUEUE_GRACE`
    seconds past, and never sooner than its own ``timeout`` after it was queued (the bound
    when none of the batch's jobs is ahead of it: another client's prompt running there).
    The same holds on the Comfy API v2, the start being the moment the job is heard
    ``running`` (its status polled at least every second while it waits): with
    ``concurrency`` above 1 the jobs ahead of it include those running beside the one it
    waits for, so its bound is looser, never tighter.

    **The ETA** counts a server's runners as one lane (:class:`~.targets.InLane`: one job
    runs, the jobs queued ahead wait behind it, not begun): a native ComfyUI, or a Comfy
    API v2 with ``concurrency`` 1. A Comfy API v2 with ``concurrency`` N above 1 is N
    lanes, its runners dealt to them in turn: a job queued ahead counts as waiting behind
    one of the N running ones (the service starts it after whichever ends first: an
    approximation of the same total)."""

    def __init__(self, url: str, *, api_key: str | None = None, api: str | None = None,
                 settings: JobSettings | None = None) -> None:
        self.url = normalize_server_url(url)
        self.api_key = api_key
        self.api = api
        self.settings = settings or JobSettings()

    @property
    def name(self) -> str:
        return shown_url(self.url)  # recorded and printed: a password in it is ***

    def __repr__(self) -> str:
        return f"ServerTarget({shown_url(self.url)!r}, api={self.api!r})"

    def open(self, concurrency: int | None) -> list[Runner]:
        opened = time.monotonic()  # the probe is part of the first wait for the server
        try:
            # a refused connection or an unknown host fails the probe at once; the first
            # wait for the server says so, and the batch drops the target then
            ready = self.settings.ready_timeout or DEFAULT_READY_TIMEOUT
            first = connect(self.url, api_key=self.api_key, api=self.api,
                            probe_timeout=min(PROBE_TIMEOUT, ready))  # (within it)
        except (ValueError, ModuleNotFoundError) as exc:  # a key missing, an extra missing
            raise TargetUnusableError(f"{shown_url(self.url)}: {exc}") from exc
        # a native ComfyUI runs one job at a time, the Comfy API v2 `concurrency` of them;
        # the jobs queued ahead come on top
        running = max(1, concurrency or 1) if first.api == "v2" else 1
        backends = [first]
        # each runner its own client: no connection shared by threads
        backends += [connect(self.url, api_key=self.api_key, api=first.api)
                     for _ in range(running - 1 + self.settings.queue_ahead)]
        for backend in backends:  # (a Comfy API v2's: a server gone is a loss, said so)
            if hasattr(backend, "lost_after"):
                backend.lost_after = V2_LOST_AFTER
        answered = threading.Event()  # shared by the target's runners
        queue = _ServerQueue()
        queue.backends = backends
        # the ETA's lanes: one job runs in each, the others wait behind it (see `lane`)
        lanes = [queue] if running == 1 else [object() for _ in range(running)]
        return [_ServerRunner(self.name, backend, self.settings, answered, opened, queue,
                              lane=lanes[index % running])
                for index, backend in enumerate(backends)]


class _Turn:
    """One job's place on its server, in the order the batch gave the jobs to the server's
    runners: its prompt once sent, and the times its bound in the queue is reckoned from
    (:meth:`_ServerQueue.start_by`; :func:`time.monotonic` instants)."""

    def __init__(self) -> None:
        self.prompt_id: str | None = None
        self.posting = False  # its prompt is being sent to the server
        self.sent = False  # its prompt is on the server's queue, or never will be
        self.deadline: float | None = None  # its try's deadline, its wait not counted
        self.queued_at: float | None = None
        self.began = threading.Event()  # the server began its prompt
        self.began_at: float | None = None
        self.behind = False  # when queued, another job's prompt was ahead of it there

    def start(self) -> None:
        """The server began its prompt (heard now)."""
        if not self.began.is_set():
            self.began_at = time.monotonic()
            self.began.set()


class _ServerQueue:
    """The turns of a server's runners (see :class:`_Turn`), shared by them: each prompt is
    queued after those of the turns before it; a queued one may wait there until
    :meth:`start_by`; and a cancel (:meth:`take_back`) takes the waiting ones back, those
    being sent included, before the running one is interrupted (else the server would
    start the next the moment the running one stops)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.turns: list[_Turn] = []  # in the order taken, until each job's try ends
        self.stopping = False  # a cancel is under way: no prompt is sent any more
        self.cancel = threading.Event()  # set once the waiting prompts are taken back
        # the server did not answer the take-back in time (see TAKE_BACK_WITHIN)
        self.unresponsive = False
        self._asked = False  # the take-back sent its first request
        self.backends: list[Backend] = []  # its runners' clients (their cleanup is quick then)

    def new_turn(self) -> _Turn:
        """A place after every turn taken so far."""
        turn = _Turn()
        with self.lock:
            self.turns.append(turn)
        return turn

    def end(self, turn: _Turn) -> None:
        """``turn``'s try is over: the turns after it no longer wait for it."""
        with self.lock:
            turn.sent, turn.posting = True, False
            if turn in self.turns:
                self.turns.remove(turn)
            self.lock.notify_all()

    def sending(self, turn: _Turn, prompt_id: str, cancel: threading.Event) -> None:
        """Before ``turn``'s prompt is sent: wait until the turns before it have sent theirs
        (or ended); raise :class:`_TakenBack` if a cancel is under way, or comes meanwhile."""
        with self.lock:
            while not self.stopping and not cancel.is_set() and any(
                    not ahead.sent for ahead in self._ahead(turn)):
                self.lock.wait(0.1)
            if self.stopping or cancel.is_set():
                raise JobNotStartedError("the job was cancelled before its prompt was sent "
                                         "to the server")
            turn.prompt_id, turn.posting = prompt_id, True

    def sent(self, turn: _Turn, prompt_id: str | None = None) -> None:
        """``turn``'s prompt is on the server's queue (now), as ``prompt_id`` when given (the
        Comfy API v2 names its jobs once they are submitted)."""
        with self.lock:
            if prompt_id is not None:
                turn.prompt_id = prompt_id
            turn.queued_at = time.monotonic()
            turn.behind = any(ahead.sent for ahead in self._ahead(turn))
            turn.sent, turn.posting = True, False
            self.lock.notify_all()

    def start_by(self, turn: _Turn) -> float:
        """When ``turn``'s prompt, queued, is to have begun at the latest: :data:`QUEUE_GRACE`
        after the latest end of the turns before it (minus infinity: none is)."""
        with self.lock:
            return self._start_by(turn)

    def _ahead(self, turn: _Turn) -> list[_Turn]:
        return self.turns[:self.turns.index(turn)] if turn in self.turns else []

    def _start_by(self, turn: _Turn) -> float:
        ends = [self._end(ahead) for ahead in self._ahead(turn)]
        return max(ends, default=-float("inf")) + QUEUE_GRACE

    def _end(self, turn: _Turn) -> float:
        """The latest end of ``turn``'s run on the server: its deadline moved by its wait in
        the queue (as long as it may yet wait, when it has not begun)."""
        if turn.deadline is None or turn.queued_at is None:
            return -float("inf")  # not on the server's queue: not ahead of another there
        start = turn.began_at if turn.began_at is not None else \
            max(turn.deadline, self._start_by(turn))
        return turn.deadline + max(0.0, start - turn.queued_at)

    def _ask(self, request: Callable[..., object]) -> None:
        """One request of the take-back: the first given :data:`TAKE_BACK_WITHIN` seconds
        (a server that gives it no answer is unresponsive), the next ones 2 s each (it
        answered); a server that refuses is gone (nothing to take back)."""
        asked, self._asked = self._asked, True
        try:
            request(timeout=2.0 if asked else TAKE_BACK_WITHIN)
        except (ServerUnavailableError, JobTimeoutError) as exc:
            if not asked and connection_failure(exc)[0] != "absent":
                self.unresponsive = True
        except Exception:  # (an odd answer: it answered)
            pass

    def take_back(self, backend: Backend) -> None:
        """Once, for the whole server: remove the prompts not begun from its queue (those
        being sent once they are there), then let every runner's job stop (the running one
        is interrupted then)."""
        with self.lock:
            if self.cancel.is_set() or self.stopping:
                return
            self.stopping = True  # (no prompt is sent from now on)
            self.lock.wait_for(lambda: not any(t.posting for t in self.turns),
                               timeout=POSTING_WAIT)
            waiting = [t.prompt_id for t in self.turns
                       if t.sent and t.prompt_id is not None and not t.began.is_set()]
            # all out of the queue first, in one request: one of them may be running
            # unheard (no progress yet), and were it interrupted first the server would
            # start the next waiting one before that one's removal arrived
            delete = getattr(backend, "delete_queued", None)
            if delete is not None and waiting:
                self._ask(functools.partial(delete, waiting))
            # (one begun meanwhile is interrupted: as cancelled); one by one (the Comfy API
            # v2 cancels one job a request: a queued one is removed), the last queued
            # first, so that the first, maybe running unheard, is stopped once the ones
            # behind it are out of the queue
            for prompt_id in reversed(waiting):
                if self.unresponsive:
                    break  # (each would wait for nothing)
                self._ask(functools.partial(backend.interrupt, prompt_id))
            if self.unresponsive:  # the runners' own interrupts wait little for it too
                for each in self.backends:
                    if hasattr(each, "cleanup_timeout"):
                        each.cleanup_timeout = UNRESPONSIVE_CLEANUP
            self.cancel.set()
            self.lock.notify_all()


class _ServerRunner:
    """One job at a time through :func:`generate`, after a wait for the server (before its
    first job too: :meth:`wait_ready`, the probe of the server counted in that first wait): as
    ``settings.ready_timeout`` says when given; else a server that never answered in this
    batch fails fast if nobody answers (the batch drops it), and one that has answered and
    now refuses is restarting: its refusals are waited for too, as long as for a server
    that accepts but does not answer yet.

    A wait that ends without an answer makes the target unusable, whether or not it
    answered earlier: nobody answering (:class:`ServerUnreachableError`, as the client
    says), or a server that accepts connections and sends nothing within the wait (a
    :class:`ServerUnreachableError` of reason ``no answer within 30 s``; a proxy answering
    503 for it: ``not ready within 30 s (HTTP 503)``), or one that answers
    but not like a ComfyUI (:class:`TargetUnusableError`: every job would fail there)."""

    def __init__(self, name: str, backend: Backend, settings: JobSettings,
                 answered: threading.Event, opened: float | None = None,
                 queue: _ServerQueue | None = None, *, lane: object | None = None) -> None:
        self.name = name
        self.backend = backend
        self.settings = settings
        self.answered = answered
        self._opened = opened  # when the first wait began (the probe), until it is done
        self._queue = queue or _ServerQueue()
        self._lane = lane if lane is not None else self._queue
        self._turn: _Turn | None = None  # taken for the job the batch gave it, not yet run

    def take_turn(self) -> None:
        """See :class:`~ltx2sdk.app.batch.targets.TakesTurns`: the next job's prompt goes to
        the server after those of the jobs its other runners were given before."""
        if self._turn is not None:  # (a job given but never run: its place is given up)
            self._queue.end(self._turn)
        self._turn = self._queue.new_turn()

    @property
    def lane(self) -> object | None:
        """:class:`~ltx2sdk.app.batch.targets.InLane`: a native ComfyUI's runners share its
        queue (one job runs, the others wait behind it), as do a Comfy API v2's that runs one
        job at a time; one that runs ``concurrency`` jobs at once has that many lanes, its
        runners dealt to them in turn (runner ``i`` to lane ``i % concurrency``: the jobs
        queued ahead counted as waiting behind one running each, not begun)."""
        return self._lane

    def wait_ready(self, cancel: threading.Event) -> None:
        """Before the first job: see :class:`~ltx2sdk.app.batch.targets.WaitsForReady`."""
        self._wait_ready(cancel)

    def _wait_ready(self, cancel: threading.Event) -> None:
        limit, grace = self.settings.ready_timeout, None
        if limit is None:
            limit = DEFAULT_READY_TIMEOUT
            grace = None if self.answered.is_set() else REFUSED_GRACE
        limit = min(limit, self.settings.timeout)
        waited = 0.0 if self._opened is None else time.monotonic() - self._opened
        self._opened = None
        try:
            self.backend.wait_ready(timeout=limit, refused_grace=grace, cancel=cancel,
                                    waited=waited)
        except ServerUnreachableError:
            raise  # nobody there: the batch drops the target, as the error says
        except ServerResponseError as exc:  # answered, but not as a ComfyUI would
            said = str(exc)
            where = said.find("does not answer like")
            raise TargetUnusableError(
                f"{self.name}: {said[where:] if where >= 0 else said}") from exc
        except ServerUnavailableError as exc:  # accepted, but silent (or a proxy's 502-504)
            why = connection_failure(exc.__cause__)[1] if exc.__cause__ is not None else ""
            reason = (f"no answer within {limit:g} s" if why in ("", "no answer in time")
                      else f"not ready within {limit:g} s ({why})")
            raise ServerUnreachableError(str(exc), url=self.name, reason=reason) from exc
        self.answered.set()

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None,
            on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        queue = self._queue
        turn, self._turn = self._turn or queue.new_turn(), None
        try:
            return self._run(job, video, turn, cancel=cancel, on_stage=on_stage)
        finally:
            queue.end(turn)

    def _run(self, job: BatchJob, video: Path, turn: _Turn, *, cancel: threading.Event,
             on_stage: Callable[[JobStage], None] | None) -> dict[str, Any]:
        if job.checked is None:
            raise ValueError(job.problem or "the job has no valid request")
        started = time.monotonic()
        self._wait_ready(cancel)

        queue = self._queue

        def progress(update: ProgressUpdate) -> None:
            turn.start()  # the server began the prompt (it left the queue)
            if on_stage is not None:
                on_stage(JobStage(update.stage, update.step, update.steps,
                                  update.percent / 100, left=update.eta))

        def sending(prompt_id: str) -> None:  # in the server's order, unless cancelled
            queue.sending(turn, prompt_id, cancel)

        queued_there: list[bool] = []  # its prompt reached the server

        def queued(prompt_id: str) -> None:
            queued_there.append(True)
            queue.sent(turn, prompt_id)
            if on_stage is not None and not turn.began.is_set():  # (behind the one running)
                on_stage(JobStage(QUEUED_STAGE))

        def held() -> bool:
            """Whether the job may be what the server was lost over (ServerLostError.held):
            its prompt was there, and running (heard to begin, or first in the queue), not
            waiting behind another job's."""
            return bool(queued_there) and (turn.began.is_set() or not turn.behind)

        done = threading.Event()

        def watch() -> None:  # the batch's cancel: the server's waiting prompts go first
            while not done.is_set():
                if cancel.wait(0.1):
                    queue.take_back(self.backend)
                    return

        watcher = threading.Thread(target=watch, daemon=True, name=f"ltx2-cancel-{self.name}")
        watcher.start()
        timeout = max(0.5, self.settings.timeout - (time.monotonic() - started))
        turn.deadline = time.monotonic() + timeout
        # other outputs of the graph land in a folder of their own and go with it
        try:
            with tempfile.TemporaryDirectory(dir=video.parent, prefix=".outputs-") as others:
                try:
                    result = generate(job.checked, self.backend, output=video,
                                      output_dir=others, timeout=timeout,
                                      ready_timeout=0,  # waited for above
                                      input_policy=self.settings.input_policy,
                                      cancel=queue.cancel, on_progress=progress,
                                      on_queued=queued,
                                      start_by=functools.partial(queue.start_by, turn),
                                      before_queue=sending)
                except ExecutionInterruptedError as exc:
                    if not queue.stopping:
                        raise  # interrupted by someone else: the job failed
                    # interrupted by this batch's cancel through another runner's client
                    # (its follow may see it before the cancel reaches generate)
                    raise JobCancelledError(f"{job.label} was cancelled on {self.name}",
                                            exc.prompt_id) from exc
        except JobNotStartedError:
            raise  # cancelled before its prompt was sent: it never ran
        except JobCancelledError as exc:
            if not turn.sent and exc.prompt_id is None and cancel.is_set():
                # stopped by the batch's cancel before anything was queued: never ran
                raise JobNotStartedError(f"{job.label} was cancelled before it was sent to "
                                         f"{self.name}") from exc
            if exc.prompt_id is not None and not turn.began.is_set() and \
                    self._never_ran(exc.prompt_id):
                raise JobNotStartedError(f"{job.label} was taken back from {self.name}'s "
                                         "queue before it ran", exc.prompt_id) from exc
            if queue.unresponsive and not turn.began.is_set():
                # the server answers nothing (hung): never heard to begin, it had no GPU
                # time this batch knows of, and no result: a re-run runs it
                raise JobNotStartedError(f"{job.label} was cancelled in {self.name}'s queue "
                                         "(the server did not answer)", exc.prompt_id) from exc
            raise
        except PromptLostError as exc:
            # its follow saw the prompt vanish: taken back by this batch's cancel before the
            # server began it (its removal can be seen before the cancel reaches generate)
            if queue.stopping and not turn.began.is_set():
                raise JobNotStartedError(f"{job.label} was taken back from {self.name}'s "
                                         "queue before it ran") from exc
            if self.backend.api == "comfyui":
                # the server forgot it: it restarted (or its queue was cleared) with the job
                # on it, the server's loss as a connection lost is, not the job's failure
                raise ServerLostError(f"{self.name}: {exc}", held=held()) from exc
            raise
        except ServerUnreachableError:
            raise  # nobody there for the whole wait: the batch drops the target
        except ServerUnavailableError as exc:
            if self.backend.api != "comfyui":  # (the Comfy API v2 says so of its 5xx too)
                raise
            # the connection to the server was lost with the job on it: the batch hands
            # the job on untried and waits for the server again (a gone one is dropped)
            raise ServerLostError(f"{self.name}: {exc}", held=held()) from exc
        finally:
            done.set()
            watcher.join()
        return result.metadata()

    def _never_ran(self, prompt_id: str) -> bool:
        """Whether the server never began ``prompt_id``, just cancelled (interrupted if it
        ran, removed from the queue if it waited): a native ComfyUI that has it neither in
        its queue nor in its history (an interrupted prompt has one), asked for up to
        :data:`TAKEN_BACK_WAIT` seconds; a Comfy API v2 that says the job ``expired`` (the
        proxy's word for a job its ComfyUI no longer has: removed from the queue) or no
        longer knows it (one interrupted is ``canceled``: it ran). ``False`` when it cannot
        tell: the job counts as cancelled then, as a running one does (a service that says
        ``canceled`` of a job removed from its queue too)."""
        backend: Any = self.backend
        if self._queue.unresponsive:
            return False  # (it cannot say: see the caller)
        if backend.api == "v2":
            return self._v2_never_ran(prompt_id)
        if backend.api != "comfyui":
            return False
        end = time.monotonic() + TAKEN_BACK_WAIT
        try:
            while time.monotonic() < end:
                if backend.history(prompt_id, timeout=1.0) is not None:
                    return False
                if not backend.is_queued(prompt_id, timeout=1.0):
                    # (a prompt leaving the queue as it ends writes its history just then)
                    time.sleep(0.1)
                    return backend.history(prompt_id, timeout=1.0) is None
                time.sleep(0.05)
        except LTX2Error:  # the server is gone: it cannot say
            return False
        return False

    def _v2_never_ran(self, job_id: str) -> bool:
        """:meth:`_never_ran` on the Comfy API v2."""
        backend: Any = self.backend
        end = time.monotonic() + TAKEN_BACK_WAIT
        try:
            while time.monotonic() < end:
                status = backend.poll(job_id, deadline=end).status.value
                if status != "queued":  # (its cancel on its way)
                    return bool(status == "expired")
                time.sleep(0.1)
        except PromptLostError:
            return True  # the service no longer knows it: it never ran
        except LTX2Error:  # the server is gone: it cannot say
            return False
        return False

    def close(self) -> None:
        if self._turn is not None:  # (given a job it never ran: the others go on)
            self._queue.end(self._turn)
            self._turn = None
        with contextlib.suppress(Exception):
            self.backend.close()
