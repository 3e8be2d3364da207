"""A RunPod serverless endpoint running this project's worker, as a batch target.

Jobs go through the ``runpod`` SDK's endpoint client (``pip install 'ltx2sdk[runpod]'``): a
``runpod.Endpoint`` per runner, whose ``RunPodClient`` (the SDK's key header, base URL and
session; the batch retries 429 and 5xx itself) makes every request:
``POST /v2/{endpoint}/run`` with ``{"input": <the request as given>}``, then
``GET /v2/{endpoint}/status/{id}`` until the job
ends (every 0.25 s at first, then less often, up to ``poll_interval``; once jobs of the
endpoint have finished, every :data:`FAST_POLL` around the time a running job should end, so
its video is fetched soon after it is ready without polling fast all along), and
``POST /v2/{endpoint}/cancel/{id}`` to stop it. The client is called directly rather than
through ``Endpoint.run`` and ``Job.status``: ``run`` allows a request 10 s (an i2v request
with its image can take longer to send) and ``status`` drops the worker's error. The endpoint
scales itself; ``concurrency`` (``--jobs``) is how many jobs are in its queue at once.

- **Key**: ``api_key``, else ``$RUNPOD_API_KEY``; sent to RunPod only, never shown.
- **Address**: the SDK's, ``https://api.runpod.ai/v2``, or ``$RUNPOD_ENDPOINT_BASE_URL`` (the
  SDK reads it once, when imported; it is read again here when the target opens, so setting
  it later works too), or ``base_url``.
- **Start**: importing the SDK takes seconds (it loads its worker and aiohttp), so it is
  imported by a runner only once a TCP connection to the API's address succeeds (or a proxy
  from the environment is in the way, which the SDK's requests go through): an address
  nobody answers at (refused, an unknown host) is dropped as fast as a server's, in one line
  within 2 s.
- **Ready first**: before its first job the endpoint proves its API answers
  (:meth:`_RunPodRunner.wait_ready`, once per target: ``GET /v2/{endpoint}/health``), as a
  server does, so a job never waits on an API that may never answer: any HTTP answer will
  do (a refused key makes the endpoint unusable at once); an API that accepts connections
  and sends nothing, or answers 5xx, is waited for the ready time
  (``settings.ready_timeout``, by default
  :data:`~ltx2sdk.backends.server_urls.DEFAULT_READY_TIMEOUT`), then dropped (``no answer
  within 30 s``), its jobs going to the other targets without a try spent. The wait ends
  within a fraction of a second of a cancel.
- **Outputs** (``runpod_handler.py``'s): ``video`` (base64) is decoded to the file;
  ``video_url`` (a presigned bucket URL) is fetched by
  :func:`ltx2sdk.media.safe_fetch.fetch_to_file`,
  streamed to disk, from a public address only unless its host is in ``trusted_hosts`` (a
  MinIO on your network); either way the file must be a whole mp4. A URL's query (its
  signature) never appears in a message.
- **Time**: each job has one :class:`ltx2sdk.deadline.Deadline` (``settings.timeout``);
  each request is bounded by what is left of it, capped, from its first byte sent to its
  last byte read (the SDK's session gets an adapter that registers each connection's socket
  to the request's armed deadline and never retries or sleeps:
  :mod:`ltx2sdk.backends.deadline_http`); a ``/cancel`` has its own short bound (the job's
  may have passed); the download by URL is bounded by the safe fetcher on the same
  deadline's time.
- **Job ids** RunPod answers must look like RunPod's (letters, digits, ``-``, ``_``) before
  they go into a URL; another answer to ``/run`` is the job's failure, not submitted again.
- **Failures** (see :func:`ltx2sdk.app.batch.targets.classify`): an API nobody answers at
  when a job is submitted (connection refused, an unknown host, no route: no network),
  after the readiness time, or one that accepts and stays silent (a whole submission, then
  the ready wait), makes the endpoint unusable; the API failing a request or
  answering 429/5xx, a job ``TIMED_OUT`` (its worker stopped reporting: a lost worker), a job
  RunPod no longer knows, and a worker whose ComfyUI could not be reached or forgot the
  prompt are transient (the job is submitted again); a refused key, an endpoint that does
  not exist, and a worker that says it is misconfigured make the endpoint unusable; a worker
  whose ComfyUI lacks the job's models or nodes (``the server cannot run this graph: ...``)
  sends the job to another target, if one can run it; anything else the worker reports
  (``invalid request: ...``, a node that failed) is the job's final error.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ltx2sdk.app.batch.targets import JobSettings, JobStage
from ltx2sdk.backends.server_urls import (
    CANCEL_POLL,
    DEFAULT_READY_TIMEOUT,
    REFUSED_GRACE,
    UNKNOWN_HOST,
    cancellable,
    connection_failure,
)
from ltx2sdk.deadline import Deadline
from ltx2sdk.errors import (
    BatchSettingError,
    FetchError,
    FileContentError,
    JobCancelledError,
    JobTimeoutError,
    LTX2Error,
    OutputError,
    RunPodJobError,
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
    TargetUnusableError,
    TransientJobError,
)
from ltx2sdk.media.file_formats import verify_file
from ltx2sdk.media.safe_fetch import fetch_to_file
from ltx2sdk.vocabulary import INPUT_FILES
from ltx2sdk.wording import byte_size, one_line

if TYPE_CHECKING:
    from ltx2sdk.app.batch.jobs import BatchJob
    from ltx2sdk.app.batch.targets import Runner

__all__ = ["API_KEY_ENV", "BASE_URL_ENV", "DEFAULT_BASE_URL", "RunPodTarget"]

API_KEY_ENV = "RUNPOD_API_KEY"
BASE_URL_ENV = "RUNPOD_ENDPOINT_BASE_URL"
DEFAULT_BASE_URL = "https://api.runpod.ai/v2"
"""The SDK's own default (``runpod.endpoint_url_base``), known here without importing it."""
DEFAULT_CONCURRENCY = 4
SUBMIT_TIMEOUT = 60.0  # seconds for /run: an i2v request with its image can be megabytes
RUN_PAYLOAD_LIMIT = 10 * 1024 * 1024  # RunPod refuses a larger /run body
FIRST_POLL = 0.25
STATUS_TIMEOUT = 10.0  # seconds for one /status request (the SDK's default), within the job's
CANCEL_TIMEOUT = 5.0  # seconds for one /cancel request: its own bound, the job's may have passed
STILL_THERE_TRIES = 3  # /status requests to learn whether an earlier run's job is still there
FAST_POLL = 0.1
"""The pace around a running job's expected end (see :class:`RunLengths`)."""
MAX_VIDEO_BYTES = 4 * 1024**3
DOWNLOAD_ATTEMPTS = 3
WORKER_TRANSIENT = ("cannot reach ComfyUI at", "was not ready within", "no longer knows prompt",
                    "lost the WebSocket", "the WebSocket to ComfyUI closed")
"""What the worker says when its ComfyUI went away (crashed, restarted): another try, perhaps
on another worker, may succeed."""
WORKER_MISCONFIGURED = "worker misconfigured:"
RUNNING_STATES = frozenset({"IN_QUEUE", "IN_PROGRESS", "RUNNING"})
_ENDPOINT_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
"""A RunPod job id (``c80ffee4-...-u1``): it goes into URLs, so nothing else may (``../``)."""
_URL = re.compile(r"(https?://[^\s?#]+)[?#]\S*")
_LAST_MOMENT = 0.01  # seconds: the least an attempt of a first contact is given
_ANSWERED_STATUS = re.compile(r"answered HTTP (\d{3})")


class RunLengths:
    """How long the endpoint's jobs run (RunPod's ``executionTime``), learnt as they finish:
    a moving average, shared by the target's runners (locked: they are threads)."""

    WEIGHT = 0.3  # of the newest job

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._average: float | None = None

    def record(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._average = (seconds if self._average is None
                             else self.WEIGHT * seconds + (1 - self.WEIGHT) * self._average)

    @property
    def expected(self) -> float | None:
        """Seconds a job is expected to run; None before any finished."""
        with self._lock:
            return self._average

    def wait(self, backoff: float, started: float | None, now: float) -> float:
        """The next wait between status requests of a job that started running at
        ``started`` (monotonic; None: not running yet): ``backoff`` far from its expected
        end; up to just before that end; :data:`FAST_POLL` from there until half its
        expected length (and a second) past it, in case it runs long; then ``backoff``."""
        expected = self.expected
        if started is None or expected is None:
            return backoff
        left = started + expected - now
        if left > backoff + FAST_POLL:
            return backoff
        if left > FAST_POLL:
            return left - FAST_POLL
        if -left <= expected / 2 + 1.0:
            return FAST_POLL
        return backoff


class RunPodTarget:
    """The RunPod serverless endpoint ``endpoint_id`` (see the module).

    ``settings.timeout`` bounds each job from submission to its video on disk (past it the
    job is cancelled on RunPod); ``poll_interval`` is the longest wait between two status
    requests; ``status_grace`` how long the status may be unreadable before the job counts
    as lost; ``max_video_bytes`` and ``download_timeout`` bound a download by URL;
    ``policy`` is sent as RunPod's execution policy (e.g. ``{"executionTimeout": 1800000}``).
    """

    def __init__(self, endpoint_id: str, *, api_key: str | None = None,
                 base_url: str | None = None, settings: JobSettings | None = None,
                 poll_interval: float = 2.0, status_grace: float = 60.0,
                 max_video_bytes: int = MAX_VIDEO_BYTES, download_timeout: float = 600.0,
                 trusted_hosts: Collection[str] = (),
                 policy: Mapping[str, Any] | None = None) -> None:
        endpoint_id = endpoint_id.strip()
        if not _ENDPOINT_ID.match(endpoint_id):
            raise BatchSettingError(f"runpod:{endpoint_id} does not name an endpoint: give "
                             "runpod:ENDPOINT_ID, the id shown on the endpoint's page "
                             "(letters, digits, - and _)")
        if poll_interval <= 0 or status_grace <= 0 or download_timeout <= 0:
            raise BatchSettingError("poll_interval, status_grace and download_timeout must be "
                             "positive numbers of seconds")
        self.endpoint_id = endpoint_id
        self._api_key = api_key
        self.base_url = base_url
        self.settings = settings or JobSettings()
        self.poll_interval = poll_interval
        self.status_grace = status_grace
        self.max_video_bytes = max_video_bytes
        self.download_timeout = download_timeout
        self.trusted_hosts = tuple(trusted_hosts)
        self.policy = dict(policy) if policy else None
        self.run_lengths = RunLengths()

    @property
    def name(self) -> str:
        return f"runpod:{self.endpoint_id}"

    def __repr__(self) -> str:
        return f"RunPodTarget({self.endpoint_id!r}, authenticated={self._key() is not None})"

    def _key(self) -> str | None:
        for candidate in (self._api_key, os.environ.get(API_KEY_ENV)):
            if candidate and candidate.strip():
                return candidate.strip()
        return None

    def open(self, concurrency: int | None) -> list[Runner]:
        """The runners; the SDK is only looked for here (importing it takes seconds: each
        runner imports it once the API's address answers, see the module)."""
        key = self._key()
        if key is None:
            raise TargetUnusableError(f"{self.name}: RunPod needs an API key: set "
                                      f"{API_KEY_ENV} (or pass api_key=...)")
        import importlib.util

        if importlib.util.find_spec("runpod") is None:
            raise TargetUnusableError(f"{self.name}: the RunPod SDK is not installed: "
                                      "pip install 'ltx2sdk[runpod]'")
        base = (self.base_url or os.environ.get(BASE_URL_ENV, "").strip()
                or DEFAULT_BASE_URL).rstrip("/")
        readiness = _Readiness()  # one first contact per target, whatever its runners
        return [_RunPodRunner(self, key, base, readiness)
                for _ in range(concurrency or DEFAULT_CONCURRENCY)]


class _Readiness:
    """Whether a target's API has answered, shared by its runners (threads): the first runner
    to ask makes the first contact, the others wait for its outcome (each still free to stop
    at a cancel). ``failure``: why it is unusable, once found."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answered = False
        self.failure: Exception | None = None


class _RunPodRunner:
    def __init__(self, target: RunPodTarget, key: str, base: str,
                 readiness: _Readiness | None = None) -> None:
        self.target = target
        self._key = key
        self.base = base
        self.where = f"RunPod endpoint {target.endpoint_id} at {base}"
        self._endpoint: Any = None  # the SDK's Endpoint, made once the API's address answers
        self._readiness = readiness or _Readiness()

    def wait_ready(self, cancel: threading.Event) -> None:
        """Before the first job (see :class:`~ltx2sdk.app.batch.targets.WaitsForReady` and
        the module): return once the endpoint's API has answered, for this runner or another
        of its target; raise what makes the endpoint unusable (the same for every runner:
        the batch drops it once), or :class:`~ltx2sdk.errors.JobCancelledError` within
        :data:`~ltx2sdk.backends.server_urls.CANCEL_POLL` seconds of ``cancel``."""
        shared = self._readiness
        while not shared.lock.acquire(timeout=CANCEL_POLL):
            if cancel.is_set():  # another runner is making the first contact
                raise JobCancelledError(f"cancelled while waiting for {self.where}")
        try:
            if shared.failure is not None:
                raise shared.failure
            if not shared.answered:
                try:
                    self._first_contact(cancel)
                except JobCancelledError:
                    raise  # nothing learnt: the next runner to ask tries again
                except Exception as exc:
                    shared.failure = exc
                    raise
                shared.answered = True
        finally:
            shared.lock.release()

    def _first_contact(self, cancel: threading.Event) -> None:
        """Ask ``/health`` until the API answers (any HTTP answer: a 404 or a body that is
        not RunPod's are for ``/run`` to say), within the ready wait: an API nobody answers
        at is asked again for :data:`~ltx2sdk.backends.server_urls.REFUSED_GRACE` (an unknown
        host not at all), one that accepts and sends nothing, or answers 5xx, for
        :data:`~ltx2sdk.backends.server_urls.DEFAULT_READY_TIMEOUT` (``settings.ready_timeout``
        for both when given); then :class:`~ltx2sdk.errors.ServerUnreachableError`. A refused
        key raises :class:`~ltx2sdk.errors.TargetUnusableError` at once."""
        settings = self.target.settings
        limit = min(settings.ready_timeout or DEFAULT_READY_TIMEOUT, settings.timeout)
        start = time.monotonic()
        absent_until = start + min(limit, settings.ready_timeout or REFUSED_GRACE)

        def attempt() -> None:
            # the TCP connection and the SDK's import (seconds) come before the request's
            # bound: a slow import must not make an answering API look silent; neither
            # bound goes past the wait's end (a last attempt had 0.5 s at least)
            self._client(Deadline.after(max(_LAST_MOMENT, absent_until - time.monotonic())))
            self._call("reach the endpoint", "GET", f"{self.target.endpoint_id}/health",
                       Deadline.after(max(_LAST_MOMENT, start + limit - time.monotonic())))

        last: Exception | None = None  # what the last attempt found: a cancel says it too
        gave_up: Exception | None = None  # what the wait ends with if its time is up
        while True:
            try:
                # on a thread of its own: a cancel frees the caller at once (the request
                # ends by its own bound; it changes nothing but this runner's client cache)
                cancellable(attempt, cancel, self.where)
                return
            except JobCancelledError as exc:
                raise JobCancelledError(str(exc)) from last
            except ServerResponseError:
                return  # it answered
            except ServerUnreachableError as exc:  # refused, no route, an unknown host
                if exc.reason == UNKNOWN_HOST or time.monotonic() >= absent_until:
                    raise
                until, last, gave_up = absent_until, exc, exc
            except ServerUnavailableError as exc:  # accepted but silent, or HTTP 5xx
                last = None  # a cancel says "no answer", not how the request was cut off
                status = _ANSWERED_STATUS.search(str(exc))  # a 5xx: said, not silent
                reason = (f"not ready within {limit:g} s (HTTP {status[1]})" if status
                          else f"no answer within {limit:g} s")
                gave_up = ServerUnreachableError(f"{self.where}: {reason}", url=self.base,
                                                 reason=reason)
                if time.monotonic() >= start + limit:
                    raise gave_up from None
                until = start + limit
            if cancel.wait(min(0.5, max(0.0, until - time.monotonic()))):
                raise JobCancelledError(f"cancelled while waiting for {self.where}") from last
            if gave_up is not None and time.monotonic() >= until:
                raise gave_up  # the pause ended the wait: no attempt past its end

    def _client(self, bound: Deadline) -> Any:
        """The SDK's endpoint client; made (the SDK imported) on first use, once a connection
        to the API's address succeeds within ``bound``. An address nobody answers at raises
        :class:`ServerUnreachableError`, as the SDK's request would, without the import."""
        if self._endpoint is None:
            self._reach(bound)
            try:
                from runpod.endpoint.runner import Endpoint  # extra: runpod, seconds to import
            except ImportError as exc:  # installed without its dependencies
                raise TargetUnusableError(f"{self.target.name}: the RunPod SDK cannot be "
                                          f"imported ({one_line(str(exc))}): pip install "
                                          "'ltx2sdk[runpod]'") from None
            from ltx2sdk.backends.deadline_http import bound_session  # start-up: requests

            endpoint = Endpoint(self.target.endpoint_id, api_key=self._key)
            bound_session(endpoint.rp_client.rp_session)  # no retry, no sleep past the deadline
            endpoint.rp_client.endpoint_url_base = self.base  # this client's: nothing global
            self._endpoint = endpoint
        return self._endpoint

    def _reach(self, bound: Deadline) -> None:
        """Open (and close) a TCP connection to the API's host and port within ``bound``;
        nothing is sent. Skipped when a proxy from the environment carries the requests."""
        import urllib.request

        parts = urlsplit(self.base)
        scheme = parts.scheme.lower()
        if scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(
                parts.hostname or ""):
            return
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            port = None
        if not parts.hostname or port is None or scheme not in ("http", "https"):
            raise TargetUnusableError(f"{self.target.name}: {self.base} is not a usable "
                                      f"http(s) URL (check {BASE_URL_ENV})")
        try:
            socket.create_connection((parts.hostname, port),
                                     timeout=bound.left(floor=0.01)).close()
        except OSError as exc:
            kind, reason = connection_failure(exc)
            if isinstance(exc, TimeoutError):
                kind, reason = "absent", "no answer to the connection (a firewall, or a " \
                                         "wrong address?)"
            message = f"cannot reach {self.where}: {reason}"
            if kind in ("absent", "unknown_host"):
                raise ServerUnreachableError(message, url=self.base, reason=reason) from None
            raise ServerUnavailableError(message) from None

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None,
            on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        if job.input is None or job.problem is not None:
            raise ValueError(job.problem or "the job has no request")
        deadline = Deadline.after(self.target.settings.timeout)
        if cancel.is_set():
            raise JobCancelledError("the job was cancelled before it was submitted")
        job_id = (self._still_there(resume, deadline, cancel) if resume is not None
                  else None)
        submitted = None  # a job followed from an earlier run: submitted at an unknown time
        if job_id is None:
            job_id = self._submit(job, deadline, cancel)
            submitted = time.monotonic()
            if on_submitted is not None:
                try:
                    on_submitted(job_id)
                except BaseException:  # not recorded (the batch's folder closed under a
                    self.cancel_job(job_id)  # Ctrl-C): no re-run would follow it, so stop it
                    raise
        try:
            state = self._follow(job_id, deadline, cancel, submitted, on_stage)
        except (ServerResponseError, TargetUnusableError, JobTimeoutError):
            # the job may still run: stop it
            self.cancel_job(job_id)
            raise
        metadata = self._deliver(job_id, state, video, deadline)
        for field, name in (("delayTime", "queue_ms"), ("executionTime", "execution_ms")):
            if isinstance(state.get(field), (int, float)):
                metadata[name] = state[field]
        if isinstance(state.get("executionTime"), (int, float)):
            self.target.run_lengths.record(state["executionTime"] / 1000)
        metadata["runpod_job_id"] = job_id
        return metadata

    def close(self) -> None:
        if self._endpoint is not None:
            with contextlib.suppress(Exception):
                self._endpoint.rp_client.rp_session.close()

    # -- one job ---------------------------------------------------------------------------

    def _submit(self, job: BatchJob, deadline: Deadline, cancel: threading.Event) -> str:
        """``POST /run``; RunPod's job id. An API nobody answers at (nothing was sent) is
        asked again for the readiness time (``settings.ready_timeout``, by default
        :data:`~ltx2sdk.backends.server_urls.REFUSED_GRACE`), an unknown host not at all;
        then :class:`~ltx2sdk.errors.ServerUnreachableError` (the batch drops the
        endpoint). A submission that got no answer within :data:`SUBMIT_TIMEOUT` is followed
        by a first contact again (:meth:`_first_contact`): an API silent for the ready wait
        too is unreachable (dropped), else the submission's failure is raised (a retry)."""
        assert job.input is not None
        payload: dict[str, Any] = {"input": dict(job.input)}
        if self.target.policy:
            payload["policy"] = self.target.policy
        size = len(json.dumps(payload).encode())
        if size > RUN_PAYLOAD_LIMIT:
            # the inline inputs that make it large, each with the field to give it by instead
            inline = [which for which in INPUT_FILES if job.input.get(which.base64)] or list(
                INPUT_FILES)
            instead = ", ".join(f"{which.url} for {which.base64}" for which in inline)
            raise ValueError(f"the request is {byte_size(size)}, over RunPod's "
                             f"{byte_size(RUN_PAYLOAD_LIMIT)} limit for /run: give large "
                             f"inputs by URL ({instead})")
        give_up = time.monotonic() + (self.target.settings.ready_timeout or REFUSED_GRACE)
        while True:
            bound = Deadline.within(SUBMIT_TIMEOUT, deadline.end)
            try:
                # the endpoint client's own call, with room for a large body (Endpoint.run
                # allows 10 s)
                answer = self._call("submit a job", "POST", f"{self.target.endpoint_id}/run",
                                    bound, data=payload, submit=True)
                break
            except ServerUnreachableError as exc:
                if exc.reason == UNKNOWN_HOST or time.monotonic() >= give_up \
                        or deadline.passed:
                    raise
                if cancel.wait(min(0.5, max(0.0, give_up - time.monotonic()))):
                    raise JobCancelledError("the job was cancelled before it was "
                                            "submitted") from None
            except ServerUnavailableError:
                if bound.passed and not deadline.passed:
                    # no answer for a whole submission: is the API still there? One that
                    # stays silent for the ready wait is dropped, as at the first contact
                    # (its jobs spend no retry); one that answers was slow: a retry
                    self._first_contact(cancel)
                raise
        job_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(job_id, str):
            raise ServerResponseError(f"{self.where} answered /run without a job id")
        if not _JOB_ID.match(job_id):
            # it would go into the next URLs (``../other-endpoint/cancel/...``): a failed
            # answer, not a job to follow or to submit again
            raise ServerResponseError(f"{self.where} answered /run with a job id that is not "
                                      f"RunPod's: {one_line(repr(job_id[:40]))}")
        return job_id

    def _still_there(self, job_id: str, deadline: Deadline,
                     cancel: threading.Event) -> str | None:
        """``job_id`` when RunPod still has that job queued, running or finished well (an
        earlier run's, to follow instead of paying twice); ``None`` when it definitely does
        not (RunPod answers 404, or the job ended otherwise). A status that cannot be read
        (a 5xx, no answer) is asked again a few times, then raised (transient: the job waits
        for a retry, which asks again; it is never submitted on a guess)."""
        if not _JOB_ID.match(job_id):
            return None  # not an id RunPod gave (the notes edited by hand): nothing to follow
        for attempt in range(1, STILL_THERE_TRIES + 1):
            try:
                state = self._call("read a job's status", "GET",
                                   f"{self.target.endpoint_id}/status/{job_id}",
                                   Deadline.within(STATUS_TIMEOUT, deadline.end),
                                   job_id=job_id)
            except TransientJobError:  # HTTP 404: RunPod no longer knows it
                return None
            except ServerUnavailableError:
                if attempt == STILL_THERE_TRIES or deadline.passed:
                    raise
                if cancel.wait(min(FIRST_POLL * 2 ** attempt, deadline.left())):
                    raise JobCancelledError("the job was cancelled before it was "
                                            "submitted") from None
                continue
            status = state.get("status") if isinstance(state, dict) else None
            return job_id if status in RUNNING_STATES or status == "COMPLETED" else None
        raise AssertionError("unreachable")  # the last try returns or raises

    def _follow(self, job_id: str, deadline: Deadline, cancel: threading.Event,
                submitted: float | None = None,
                on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        """Poll the job until it ends; its last status answer. ``submitted`` (monotonic)
        dates its start from the queue time RunPod reports, when it does. ``on_stage`` hears
        of each new status (RunPod tells no steps)."""
        backoff = min(FIRST_POLL, self.target.poll_interval)
        # the first look: as if it ran at once (a free worker takes it at once)
        wait = self.target.run_lengths.wait(backoff, submitted, time.monotonic())
        started: float | None = None
        unreadable_since: float | None = None
        said: Any = None  # the last status told to on_stage
        while True:
            if cancel.wait(min(wait, deadline.left())):
                self.cancel_job(job_id)
                raise JobCancelledError(f"RunPod job {job_id} was cancelled", prompt_id=job_id)
            if deadline.passed:
                self.cancel_job(job_id)
                raise JobTimeoutError(f"RunPod job {job_id} did not finish within "
                                      f"{self.target.settings.timeout:g} s (cancelled on RunPod)")
            backoff = min(backoff * 1.5, self.target.poll_interval)
            try:
                state = self._call("read a job's status", "GET",
                                   f"{self.target.endpoint_id}/status/{job_id}",
                                   Deadline.within(STATUS_TIMEOUT, deadline.end),
                                   job_id=job_id)
            except ServerUnavailableError as exc:  # a blip: the job itself goes on
                now = time.monotonic()
                unreadable_since = unreadable_since or now
                if now - unreadable_since >= self.target.status_grace:
                    self.cancel_job(job_id)
                    raise TransientJobError(f"lost track of RunPod job {job_id}: {exc}") from exc
                continue
            unreadable_since = None
            if not isinstance(state, dict):
                raise ServerResponseError(f"{self.where} answered a job status that is not "
                                          "a JSON object")
            status = state.get("status")
            if status == "COMPLETED":
                return state
            if status == "FAILED":
                raise self._failure(job_id, state)
            if status == "TIMED_OUT":
                raise TransientJobError(
                    f"RunPod job {job_id} timed out: its worker stopped reporting (a lost "
                    "worker, or a job longer than the endpoint's execution timeout)")
            if status == "CANCELLED":
                raise RunPodJobError(f"RunPod job {job_id} was cancelled on RunPod", job_id)
            if status not in RUNNING_STATES:
                raise ServerResponseError(f"{self.where} answered a job status that is not "
                                          f"RunPod's: {str(status)[:80]!r}")
            if on_stage is not None and status != said:
                said = status
                on_stage(JobStage("in RunPod's queue" if status == "IN_QUEUE" else "running"))
            if started is None and status != "IN_QUEUE":
                started = _start_time(state, submitted)
            wait = self.target.run_lengths.wait(backoff, started, time.monotonic())

    def _failure(self, job_id: str, state: Mapping[str, Any]) -> Exception:
        said = _worker_error(state.get("error"))
        if said.startswith(WORKER_MISCONFIGURED):
            return TargetUnusableError(f"{self.target.name}: {said} (RunPod job {job_id})")
        if any(marker in said for marker in WORKER_TRANSIENT):
            return TransientJobError(f"{said} (RunPod job {job_id})")
        return RunPodJobError(f"{said} (RunPod job {job_id})", job_id, said)

    def _deliver(self, job_id: str, state: Mapping[str, Any], video: Path,
                 deadline: Deadline) -> dict[str, Any]:
        output = state.get("output")
        if not isinstance(output, dict):
            raise RunPodJobError(f"RunPod job {job_id} finished without an output object (is "
                                 "the endpoint running this project's worker?)", job_id)
        if isinstance(output.get("video"), str):
            try:
                video.write_bytes(base64.b64decode(output["video"], validate=True))
            except (binascii.Error, ValueError) as exc:
                raise RunPodJobError(f"RunPod job {job_id} returned a 'video' that is not "
                                     "base64", job_id) from exc
        elif isinstance(output.get("video_url"), str):
            self._download(job_id, output["video_url"], video, deadline)
        else:
            raise RunPodJobError(f"RunPod job {job_id} finished without a video (no 'video' "
                                 "or 'video_url' in its output; is the endpoint running this "
                                 "project's worker?)", job_id)
        try:
            verify_file(video, video=True)
        except FileContentError as exc:
            raise OutputError(f"the video of RunPod job {job_id} is not a whole mp4: "
                              f"{exc}") from exc
        return {key: value for key, value in output.items() if key not in ("video", "video_url")}

    def _download(self, job_id: str, url: str, video: Path, deadline: Deadline) -> None:
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            left = deadline.left()
            if left <= 0:
                raise JobTimeoutError(f"the video of RunPod job {job_id} was not downloaded "
                                      "before the job's deadline")
            try:
                fetch_to_file(url, video, max_bytes=self.target.max_video_bytes,
                              timeout=min(self.target.download_timeout, left),
                              trusted_hosts=self.target.trusted_hosts, label="the video")
                return
            except FetchError as exc:
                refused = "refusing" in str(exc) or "larger than" in str(exc)
                if refused or attempt == DOWNLOAD_ATTEMPTS:
                    # the job is done and paid for: its video is not made again
                    raise OutputError(f"the video of RunPod job {job_id} could not be "
                                      f"downloaded from {_without_query(url)}: "
                                      f"{_without_query(str(exc))}") from None
                time.sleep(min(0.5 * 2 ** (attempt - 1), max(0.0, left)))

    def cancel_job(self, job_id: str) -> bool:
        """Ask RunPod to cancel ``job_id`` (queued: removed; running: stopped); whether it
        said so. Never raises; takes at most :data:`CANCEL_TIMEOUT` (the job's deadline may
        have passed: this is what stops paying for it)."""
        if not _JOB_ID.match(job_id):
            return False
        try:
            self._call("cancel a job", "POST", f"{self.target.endpoint_id}/cancel/{job_id}",
                       Deadline.after(CANCEL_TIMEOUT))
        except Exception:
            return False
        return True

    # -- the SDK's calls, in the SDK's errors ----------------------------------------------

    def _call(self, what: str, method: str, path: str, bound: Deadline, *,
              data: Any = None, submit: bool = False, job_id: str | None = None) -> Any:
        """One request of the SDK's client (``path`` under the endpoint base), its answer's
        JSON; the whole exchange ends by ``bound`` (armed: the session's adapter registers
        the connection's socket to it, see :mod:`ltx2sdk.backends.deadline_http`). Past
        ``bound`` the error is :class:`JobTimeoutError` when the job's deadline (its outer
        one) passed, else :class:`ServerUnavailableError`; other failures as
        :mod:`ltx2sdk.errors` and this module's errors."""
        if bound.passed:
            raise self._expired(what, bound)
        try:
            client = self._client(bound).rp_client
        except ServerUnreachableError as exc:  # as the SDK's request says it, naming the call
            raise ServerUnreachableError(f"cannot {what}: {exc}", url=exc.url,
                                         reason=exc.reason) from None
        except ServerUnavailableError as exc:
            raise ServerUnavailableError(f"cannot {what}: {exc}") from None
        try:
            with bound.armed():
                if method == "GET":
                    return client.get(path, timeout=bound.left(floor=0.01))
                return client.post(path, data, timeout=bound.left(floor=0.01))
        except Exception as exc:
            if bound.fired or bound.passed:  # cut off (or timed out) at the bound
                raise self._expired(what, bound) from None
            raise self._error(what, exc, submit=submit, job_id=job_id) from None

    def _expired(self, what: str, bound: Deadline) -> LTX2Error:
        if bound.outer_passed():
            return JobTimeoutError(f"cannot {what}: {self.where} did not answer before the "
                                   "job's deadline")
        return ServerUnavailableError(f"cannot {what}: {self.where} did not answer in time")

    def _error(self, what: str, exc: Exception, *, submit: bool,
               job_id: str | None) -> Exception:
        """``exc``, raised by the SDK's client, as :mod:`ltx2sdk.errors` and this module's
        errors."""
        import requests

        if isinstance(exc, requests.HTTPError):
            status = exc.response.status_code if exc.response is not None else None
            if status == 404 and submit:
                return TargetUnusableError(f"{self.where} does not exist (HTTP 404 to /run): "
                                           "check the endpoint id")
            if status == 404 and job_id is not None:
                return TransientJobError(f"{self.where} no longer knows job {job_id} (its "
                                         "result expired, or RunPod lost it)")
            if status in (401, 403):
                return TargetUnusableError(f"{self.where} refused the API key "
                                           f"(HTTP {status}): check {API_KEY_ENV}")
            body = exc.response.text.strip()[:200] if exc.response is not None else ""
            if status is not None and (status >= 500 or status in (408, 429)):
                return ServerUnavailableError(f"cannot {what}: {self.where} answered HTTP "
                                              f"{status}")
            return ServerResponseError(f"cannot {what}: {self.where} answered HTTP {status}: "
                                       f"{body}", status=status, body=body)
        if isinstance(exc, requests.RequestException):  # refused, reset, timed out
            kind, reason = connection_failure(exc)
            message = f"cannot {what}: cannot reach {self.where}: {reason}"
            if kind in ("absent", "unknown_host"):  # nobody answers: not a blip of a request
                return ServerUnreachableError(message, url=self.base, reason=reason)
            return ServerUnavailableError(message)
        if isinstance(exc, RuntimeError):  # the SDK's "401 Unauthorized" (and "key not set")
            if "401" in str(exc):
                return TargetUnusableError(f"{self.where} refused the API key (HTTP 401): "
                                           f"check {API_KEY_ENV}")
            return TargetUnusableError(f"{self.where}: {exc}")
        if isinstance(exc, (ValueError, KeyError, TypeError)):  # not JSON
            return ServerResponseError(f"cannot {what}: {self.where} answered something that "
                                       f"is not RunPod's answer ({type(exc).__name__})")
        return exc


def _worker_error(error: Any) -> str:
    """What the worker said, on one line: its ``{"error": text}``, or the message of the
    exception the SDK reports as JSON."""
    text = error if isinstance(error, str) else json.dumps(error) if error else ""
    with contextlib.suppress(ValueError):
        detail = json.loads(text)
        if isinstance(detail, dict) and isinstance(detail.get("error_message"), str):
            text = f"{detail.get('error_type', 'error')}: {detail['error_message']}"
    return one_line(text) or "the worker gave no reason"


def _without_query(text: str) -> str:
    """``text`` with every URL's query and fragment (a presigned URL's signature) cut off."""
    return _URL.sub(r"\1?...", text)


def _start_time(state: Mapping[str, Any], submitted: float | None) -> float:
    """When a running job started (monotonic): its submission plus the queue time RunPod
    reports (``delayTime``, ms), else now (when it was first seen running)."""
    delay = state.get("delayTime")
    if submitted is not None and isinstance(delay, (int, float)) and delay >= 0:
        return min(time.monotonic(), submitted + delay / 1000)
    return time.monotonic()
