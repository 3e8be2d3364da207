"""A server as a batch target: native ComfyUI or the Comfy API v2, through :func:`generate`."""

from __future__ import annotations

import contextlib
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
    JobCancelledError,
    JobNotStartedError,
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


class ServerTarget:
    """A server reached through :func:`~ltx2sdk.backends.connect.connect`: native ComfyUI (one
    job at a time) or the Comfy API v2 (``concurrency`` jobs at a time, default 1). ``api`` and
    ``api_key`` as for ``connect``; the key is never shown.

    **Queue-ahead** (native ComfyUI; ``settings.queue_ahead``, default 1): the server gets
    that many runners more than the one job it runs, each with a client of its own, so
    while a job runs the next one is built, its inputs uploaded and its prompt queued (the
    server starts it the moment the last one ends), and the last video downloads while the
    next job runs. A queued-ahead job the batch cancels while it still waits in the queue is
    removed from it (``POST /queue {"delete": [...]}``) and raises
    :class:`~ltx2sdk.errors.JobNotStartedError`: it never ran, and the batch counts it as
    not started. One whose server goes away (its connection lost:
    :class:`~ltx2sdk.errors.ServerLostError`) goes to another target with the running one,
    neither's try counted (the server, gone, runs neither). Its ``timeout`` counts from when it is
    queued: the wait for the job ahead is part of it. The Comfy API v2 runs ``concurrency``
    jobs at once already and keeps its own queue: no runner is added there."""

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
        backends = [first]
        # each runner its own client: no connection shared by threads
        if first.api == "v2":
            backends += [connect(self.url, api_key=self.api_key, api="v2")
                         for _ in range(max(1, concurrency or 1) - 1)]
        else:  # the jobs queued ahead
            backends += [connect(self.url, api_key=self.api_key, api=first.api)
                         for _ in range(self.settings.queue_ahead)]
        answered = threading.Event()  # shared by the target's runners
        queue = _ServerQueue()
        return [_ServerRunner(self.name, backend, self.settings, answered, opened, queue)
                for backend in backends]


class _ServerQueue:
    """The prompts a server's runners have queued there, and whether each has begun; shared
    by them so that a cancel takes the waiting ones back before the running one is
    interrupted (else the server would start the next the moment the running one stops)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.prompts: dict[str, threading.Event] = {}  # prompt id -> it began
        self.cancel = threading.Event()  # set once the waiting prompts are taken back

    def take_back(self, backend: Backend) -> None:
        """Once, for the whole server: remove the prompts not begun from its queue, then let
        every runner's job stop (the running one is interrupted then)."""
        with self.lock:
            if self.cancel.is_set():
                return
            waiting = [pid for pid, began in self.prompts.items() if not began.is_set()]
            # all out of the queue first, in one request: one of them may be running
            # unheard (no progress yet), and were it interrupted first the server would
            # start the next waiting one before that one's removal arrived
            delete = getattr(backend, "delete_queued", None)
            if delete is not None and waiting:
                with contextlib.suppress(Exception):  # a server gone: nothing to take back
                    delete(waiting, timeout=2.0)
            for prompt_id in waiting:  # (one begun meanwhile is interrupted: as cancelled)
                with contextlib.suppress(Exception):  # a server gone: nothing to take back
                    backend.interrupt(prompt_id, timeout=2.0)
            self.cancel.set()


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
                 queue: _ServerQueue | None = None) -> None:
        self.name = name
        self.backend = backend
        self.settings = settings
        self.answered = answered
        self._opened = opened  # when the first wait began (the probe), until it is done
        self._queue = queue or _ServerQueue()

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
        if job.checked is None:
            raise ValueError(job.problem or "the job has no valid request")
        started = time.monotonic()
        self._wait_ready(cancel)

        ran = threading.Event()  # the server began the prompt (it left the queue)
        queue = self._queue

        def progress(update: ProgressUpdate) -> None:
            ran.set()
            if on_stage is not None:
                on_stage(JobStage(update.stage, update.step, update.steps,
                                  update.percent / 100, left=update.eta))

        def queued(prompt_id: str) -> None:
            with queue.lock:
                queue.prompts[prompt_id] = ran
            if on_stage is not None and not ran.is_set():  # (behind the job running there)
                on_stage(JobStage(QUEUED_STAGE))

        done = threading.Event()

        def watch() -> None:  # the batch's cancel: the server's waiting prompts go first
            while not done.is_set():
                if cancel.wait(0.1):
                    queue.take_back(self.backend)
                    return

        watcher = threading.Thread(target=watch, daemon=True, name=f"ltx2-cancel-{self.name}")
        watcher.start()
        # other outputs of the graph land in a folder of their own and go with it
        try:
            with tempfile.TemporaryDirectory(dir=video.parent, prefix=".outputs-") as others:
                result = generate(job.checked, self.backend, output=video, output_dir=others,
                                  timeout=max(0.5, self.settings.timeout
                                              - (time.monotonic() - started)),
                                  ready_timeout=0,  # waited for above
                                  input_policy=self.settings.input_policy,
                                  cancel=queue.cancel, on_progress=progress,
                                  on_queued=queued)
        except JobCancelledError as exc:
            if exc.prompt_id is not None and not ran.is_set() and \
                    self._never_ran(exc.prompt_id):
                raise JobNotStartedError(f"{job.label} was taken back from {self.name}'s "
                                         "queue before it ran", exc.prompt_id) from exc
            raise
        except PromptLostError as exc:
            # its follow saw the prompt vanish: taken back by this batch's cancel before the
            # server began it (its removal can be seen before the cancel reaches generate)
            if queue.cancel.is_set() and not ran.is_set():
                raise JobNotStartedError(f"{job.label} was taken back from {self.name}'s "
                                         "queue before it ran") from exc
            raise
        except ServerUnreachableError:
            raise  # nobody there for the whole wait: the batch drops the target
        except ServerUnavailableError as exc:
            if self.backend.api != "comfyui":  # (the Comfy API v2 says so of its 5xx too)
                raise
            # the connection to the server was lost with the job on it: the batch hands
            # the job on untried and waits for the server again (a gone one is dropped)
            raise ServerLostError(f"{self.name}: {exc}") from exc
        finally:
            done.set()
            watcher.join()
            with queue.lock:
                for prompt_id in [p for p, r in queue.prompts.items() if r is ran]:
                    del queue.prompts[prompt_id]
        return result.metadata()

    def _never_ran(self, prompt_id: str) -> bool:
        """Whether the server never began ``prompt_id``, just cancelled (interrupted if it
        ran, removed from the queue if it waited): a native ComfyUI that has it neither in
        its queue nor in its history (an interrupted prompt has one), asked for up to
        :data:`TAKEN_BACK_WAIT` seconds. ``False`` when it cannot tell: the job counts as
        cancelled then, as a running one does."""
        backend: Any = self.backend
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

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.backend.close()
