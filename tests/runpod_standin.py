"""A local stand-in for RunPod's hosted serverless API (queue-based endpoints), for tests.

It serves what RunPod documents for ``https://api.runpod.ai/v2`` (the ``runpod`` SDK's
endpoint client reaches it through ``RUNPOD_ENDPOINT_BASE_URL=<standin.base_url>``):

- ``POST /v2/{endpoint}/run`` with ``{"input": {...}}``: ``{"id", "status": "IN_QUEUE"}``;
- ``GET /v2/{endpoint}/status/{id}``: ``{"id", "status", "delayTime", "executionTime",
  "workerId"}`` plus ``"output"`` (and ``"error"`` for ``FAILED``) as RunPod keeps them;
- ``POST /v2/{endpoint}/cancel/{id}``: ``{"id", "status": "CANCELLED"}`` (a queued job is
  dropped, a running one's handler task is cancelled, as RunPod cancels an async handler);
- ``GET /v2/{endpoint}/health``: ``{"jobs": {...counts}, "workers": {"idle", "running"}}``.

Jobs run on ``workers`` simulated workers calling a real handler (``runpod_handler.handler``)
the way the runpod SDK's worker does: a returned ``{"error": ...}`` makes the job ``FAILED``
with that error (the rest of the dict is its output), a raised exception ``FAILED`` with the
SDK's JSON description of it, anything else ``COMPLETED``. A wrong ``Authorization`` is 401,
another endpoint id 404, a job id it never issued 404.

Faults (:class:`StandInFaults`, live): the next ``run_errors`` submissions answer HTTP 503,
the next ``status_errors`` status requests too; while ``run_gate`` is set and not yet set
off, ``/run`` waits for it before it answers (a slow ``/run``);
the next ``lose_jobs`` jobs picked up by a worker are lost (``TIMED_OUT``, the handler never
runs); while ``gate`` is set, a worker takes a job only when the semaphore gives a permit.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
FINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"})


@dataclass
class StandInFaults:
    """What goes wrong; every field may be changed while the stand-in runs."""

    run_errors: int = 0
    """The next this many ``/run`` requests answer HTTP 503 (and queue nothing)."""
    status_errors: int = 0
    """The next this many ``/status`` requests answer HTTP 503."""
    run_gate: threading.Event | None = None
    """When given, ``/run`` answers only once it is set (``runs_waiting`` counts the waiting)."""
    runs_waiting: int = 0
    lose_jobs: int = 0
    """The next this many jobs a worker picks up end ``TIMED_OUT`` without running."""
    gate: threading.Semaphore | None = None
    """When set, each job waits for a permit before its worker runs it."""


@dataclass
class StandInJob:
    id: str
    input: dict[str, Any]
    status: str = "IN_QUEUE"
    output: Any = None
    error: str | None = None
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    ended: float | None = None
    task: asyncio.Task[Any] | None = None


class RunPodStandIn:
    """RunPod's endpoint API on 127.0.0.1 for ``endpoint_id`` and ``api_key``; see the
    module. ``base_url`` is what ``RUNPOD_ENDPOINT_BASE_URL`` should say. ``jobs`` keeps
    every job by id, ``cancels`` the ids ``/cancel`` was asked for, in order."""

    def __init__(self, handler: Handler, *, endpoint_id: str = "ltx2-test",
                 api_key: str = "rp-test-key", workers: int = 2,
                 faults: StandInFaults | None = None) -> None:
        self.handler = handler
        self.endpoint_id = endpoint_id
        self.api_key = api_key
        self.workers = workers
        self.faults = faults or StandInFaults()
        self.jobs: dict[str, StandInJob] = {}
        self.cancels: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[StandInJob] | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    def inputs(self) -> list[dict[str, Any]]:
        """The inputs submitted so far, in order."""
        with self._lock:
            return [job.input for job in self.jobs.values()]

    def statuses(self) -> dict[str, str]:
        with self._lock:
            return {job.id: job.status for job in self.jobs.values()}

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> RunPodStandIn:
        self._thread = threading.Thread(target=self._main, name="runpod-standin", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or not self.port:
            raise RuntimeError("the RunPod stand-in did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stopped is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._queue = asyncio.Queue()
        self._stopped = asyncio.Event()
        app = web.Application(client_max_size=20 * 1024 * 1024)
        base = "/v2/{endpoint}"
        app.router.add_post(base + "/run", self._run)
        app.router.add_get(base + "/status/{job_id}", self._status)
        app.router.add_post(base + "/cancel/{job_id}", self._cancel)
        app.router.add_get(base + "/health", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        workers = [asyncio.create_task(self._worker(n)) for n in range(self.workers)]
        self._ready.set()
        await self._stopped.wait()
        for task in workers:
            task.cancel()
        for job in list(self.jobs.values()):
            if job.task is not None:
                job.task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        await self._runner.cleanup()

    # -- the API ---------------------------------------------------------------------------

    def _refusal(self, request: web.Request) -> web.Response | None:
        auth = request.headers.get("Authorization", "")
        if auth not in (f"Bearer {self.api_key}", self.api_key):
            return web.json_response({"error": "Unauthorized"}, status=401)
        if request.match_info["endpoint"] != self.endpoint_id:
            return web.json_response({"error": "endpoint not found"}, status=404)
        return None

    async def _run(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        if self.faults.run_errors > 0:
            self.faults.run_errors -= 1
            return web.json_response({"error": "service unavailable"}, status=503)
        if (gate := self.faults.run_gate) is not None:
            self.faults.runs_waiting += 1
            while not gate.is_set():
                await asyncio.sleep(0.01)
            self.faults.runs_waiting -= 1
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return web.json_response({"error": "the body needs an 'input' object"}, status=400)
        job = StandInJob(f"job-{next(self._ids)}-u1", body["input"])
        with self._lock:
            self.jobs[job.id] = job
        assert self._queue is not None
        await self._queue.put(job)
        return web.json_response({"id": job.id, "status": job.status})

    def _job_of(self, request: web.Request) -> StandInJob | web.Response:
        """The job a /status or /cancel request names, or the answer refusing it."""
        refused = self._refusal(request)
        if refused is not None:
            return refused
        job = self.jobs.get(request.match_info["job_id"])
        if job is None:
            return web.json_response({"error": "job not found"}, status=404)
        return job

    async def _status(self, request: web.Request) -> web.Response:
        if self.faults.status_errors > 0:
            self.faults.status_errors -= 1
            return web.json_response({"error": "service unavailable"}, status=503)
        job = self._job_of(request)
        if isinstance(job, web.Response):
            return job
        now = time.monotonic()
        answer: dict[str, Any] = {
            "id": job.id, "status": job.status, "workerId": "standin-worker",
            "delayTime": round(((job.started or now) - job.submitted) * 1000),
        }
        if job.started is not None:
            answer["executionTime"] = round(((job.ended or now) - job.started) * 1000)
        if job.output is not None:
            answer["output"] = job.output
        if job.error is not None:
            answer["error"] = job.error
        return web.json_response(answer)

    async def _cancel(self, request: web.Request) -> web.Response:
        job = self._job_of(request)
        if isinstance(job, web.Response):
            return job
        with self._lock:
            self.cancels.append(job.id)
        if job.status not in FINAL:
            job.status = "CANCELLED"
            job.ended = time.monotonic()
            if job.task is not None:
                job.task.cancel()
        return web.json_response({"id": job.id, "status": job.status})

    async def _health(self, request: web.Request) -> web.Response:
        refused = self._refusal(request)
        if refused is not None:
            return refused
        with self._lock:
            states = [job.status for job in self.jobs.values()]
        return web.json_response({
            "jobs": {"completed": states.count("COMPLETED"), "failed": states.count("FAILED"),
                     "inProgress": states.count("IN_PROGRESS"),
                     "inQueue": states.count("IN_QUEUE"), "retried": 0},
            "workers": {"idle": self.workers, "running": 0}})

    # -- the workers -----------------------------------------------------------------------

    async def _worker(self, number: int) -> None:
        assert self._queue is not None
        while True:
            job = await self._queue.get()
            if job.status != "IN_QUEUE":
                continue  # cancelled while queued
            while (gate := self.faults.gate) is not None and not gate.acquire(blocking=False):
                await asyncio.sleep(0.01)  # the gate is read again: it may be lifted
                if job.status != "IN_QUEUE":
                    break
            if job.status != "IN_QUEUE":
                continue
            job.status, job.started = "IN_PROGRESS", time.monotonic()
            if self.faults.lose_jobs > 0:
                self.faults.lose_jobs -= 1
                await asyncio.sleep(0.05)
                job.status, job.ended = "TIMED_OUT", time.monotonic()
                continue
            job.task = asyncio.create_task(self.handler({"id": job.id,
                                                         "input": dict(job.input)}))
            try:
                returned = await job.task
            except asyncio.CancelledError:
                if job.status != "CANCELLED":
                    raise  # the stand-in is stopping
                continue
            except Exception as exc:
                job.status, job.ended = "FAILED", time.monotonic()
                job.error = json.dumps({"error_type": str(type(exc)),
                                        "error_message": str(exc),
                                        "error_traceback": traceback.format_exc()})
                continue
            job.ended = time.monotonic()
            if isinstance(returned, dict):
                returned = dict(returned)
                error = returned.pop("error", None)
                returned.pop("refresh_worker", None)
                job.output = returned or None
                if error:
                    job.status, job.error = "FAILED", str(error)
                    continue
            else:
                job.output = returned
            job.status = "COMPLETED"
