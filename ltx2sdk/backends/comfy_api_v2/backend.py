"""The Comfy API v2 backend: Comfy Cloud, Comfy's serverless deployments, ``comfy-api-proxy``.

Built on comfy-sdk (``pip install 'ltx2sdk[cloud]'``): its transport and wire models
(``comfy_low``), its SSE decoder, its content-addressed assets (blake3, dedup by hash) and its
typed API errors. Above them this module keeps the promises of :mod:`ltx2sdk.backends.protocol`:

- inputs are v2 assets: an image is hashed, found on the server by its hash or uploaded, and
  goes into the graph as a ``core/ASSET`` reference (:meth:`V2Backend.upload_image` returns a
  name for LoadImage, which :meth:`V2Backend.run` replaces with the reference);
- polling ``GET /jobs/{id}`` is the truth about a job; the SSE stream (read on a thread of its
  own, reconnected when it drops) only brings events sooner and tells when to poll. A job
  reported ``expired`` is asked about again before it is believed (comfy-api-proxy reports a
  job that finishes between two of its own reads as ``expired`` for a moment); after our own
  cancel, ``expired`` means cancelled (a queued job that is cancelled ends so);
- outputs are assets, fetched by id, streamed to disk and verified by their bytes
  (:func:`~ltx2sdk.media.file_formats.verify_file`), never by ``size_bytes`` (the proxy reports 0).
  A SaveVideo mp4 may come with type ``"image"``: videos are found by content type and, when
  that says nothing, by the container's signature;
- every request ends by the job's deadline, a body that drips included (a watchdog shuts the
  connection down), and every failure is one of :mod:`ltx2sdk.errors`: no httpx or comfy-sdk
  exception escapes;
- the key is sent to the configured origin only, and never shown: not in a repr, not in a
  message.
"""

from __future__ import annotations

import contextlib
import functools
import mimetypes
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

try:
    import httpx
    from comfy_low.errors import ApiError
    from comfy_low.models import Job as V2Job
    from comfy_low.models import Output as V2Output
    from comfy_low.sse import RawEvent
    from comfy_low.transport import ComfyLow
    from comfy_sdk.assets import AssetFactory
    from comfy_sdk.exceptions import (
        BlobNotFound,
        Forbidden,
        HashMismatch,
        InsufficientCredits,
        InvalidWorkflow,
        MissingAsset,
        NotFound,
        QueueFull,
        Unauthorized,
        to_sdk_error,
    )
    from comfy_sdk.exceptions import ComfyError as SdkError
    from pydantic import ValidationError
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ModuleNotFoundError(
        "the Comfy API v2 backend needs comfy-sdk, which is not installed: "
        "pip install 'ltx2sdk[cloud]'", name=exc.name or "comfy_sdk") from exc

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
from ltx2sdk.backends.outputs import DOWNLOAD_CHUNK, OutputFile, describe, verify_download
from ltx2sdk.backends.protocol import (
    CLEANUP_TIMEOUT,
    NO_SUCH_JOB,
    EventCallback,
    NotChecked,
    RunResult,
    download_all,
    resolve_api_key,
)
from ltx2sdk.backends.server_urls import connection_failure, normalize_server_url
from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    JobCancelledError,
    JobTimeoutError,
    LTX2Error,
    NodeError,
    OutputError,
    PromptLostError,
    PromptRejectedError,
    ServerResponseError,
    ServerUnavailableError,
    UploadError,
)
from ltx2sdk.graph.core import Graph
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.graph.server_check import ServerCheck
from ltx2sdk.media.file_formats import (
    SNIFF_BYTES,
    VIDEO_EXTENSIONS,
    is_video_content_type,
    video_extension_of,
)
from ltx2sdk.version import __version__

__all__ = ["AssetOutput", "UploadedAsset", "V2Backend"]

T = TypeVar("T")

NOT_CHECKED = ("the Comfy API v2 publishes no node schemas or model lists (no /object_info): "
               "the graph was not checked before it was submitted; the server validates it then")
SSE_TIMEOUT = httpx.Timeout(10.0, read=45.0)  # the server sends a keepalive every 15 s
POLL_FIRST, POLL_FACTOR, POLL_MAX = 0.5, 1.5, 5.0  # seconds between polls (as comfy-sdk)
POLL_MAX_WITHOUT_STREAM = 2.0  # polls come oftener when the event stream is down
EXPIRED_CHECKS = 3  # times `expired` is asked again before it is believed
EXPIRED_RECHECK = 0.4  # seconds between those
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
_ASSET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=~-]{0,1999}$")  # comfy-api-proxy's are tokens
_OUTPUT_KINDS = {"image": "images", "video": "videos", "audio": "audio"}  # v2 type -> history key


@dataclass(frozen=True)
class AssetOutput(OutputFile):
    """An output of a Comfy API v2 job: an asset, downloaded by ``asset_id``.

    ``kind`` is the history key its v2 type stands for (``images`` for ``image``), and
    ``animated`` is true when it is a video (content type ``video/*``, or a video container
    by its first bytes), so :attr:`is_video` holds for a SaveVideo mp4 of type ``image``.
    """

    asset_id: str = ""
    content_type: str = ""
    v2_type: str = ""


@dataclass(frozen=True)
class UploadedAsset:
    """An input file as a v2 asset: ``created_new`` is false when the server already had
    the bytes (found by their hash) and nothing was uploaded."""

    name: str
    asset_id: str
    hash: str
    created_new: bool | None
    reference: Mapping[str, Any]


# --- every request ends by its bound ------------------------------------------------------


class _Budget:
    """The time one call may take, and the sockets it reads from: :meth:`abort` (at the end,
    by a timer, or from another thread) shuts them down, so no read outlives the budget."""

    def __init__(self, end: float) -> None:
        self.end = end
        self.fired = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            if not self.fired:
                return
        _shutdown(sock)

    def unwatch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def abort(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_BUDGET: ContextVar[_Budget | None] = ContextVar("ltx2sdk_v2_budget", default=None)


@contextmanager
def _bounded(end: float) -> Iterator[_Budget]:
    """Every request made in this block (on this thread) ends by ``end``."""
    budget = _Budget(end)
    token = _BUDGET.set(budget)
    timer = threading.Timer(max(0.0, end - time.monotonic()), budget.abort)
    timer.daemon = True
    timer.start()
    try:
        yield budget
    finally:
        timer.cancel()
        _BUDGET.reset(token)


class _BoundedTransport(httpx.BaseTransport):
    """httpx's transport, with each request's timeouts capped by the current budget and its
    connection watched by it (a body dripping a byte at a time cannot outlive the budget)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        budget = _BUDGET.get()
        if budget is None:
            return self._inner.handle_request(request)
        left = budget.end - time.monotonic()
        if left <= 0 or budget.fired:
            raise httpx.TimeoutException("the time for this request is up", request=request)
        limits = dict(request.extensions.get("timeout") or {})
        request.extensions = {**request.extensions, "timeout": {
            key: left if limits.get(key) is None else min(float(limits[key]), left)
            for key in ("connect", "read", "write", "pool")}}
        response = self._inner.handle_request(request)
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return response
        budget.watch(sock)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_WatchedStream(response.stream, budget, sock),
                              extensions=response.extensions)

    def close(self) -> None:
        self._inner.close()


class _WatchedStream(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, budget: _Budget,
                 sock: socket.socket) -> None:
        self._inner, self._budget, self._sock = inner, budget, sock

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._budget.unwatch(self._sock)


class _NotReady(ServerUnavailableError):
    """The server answered that it cannot take jobs yet (a proxy whose ComfyUI is down)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- the backend --------------------------------------------------------------------------


class V2Backend:
    """A Comfy API v2 server at ``base_url`` (``https://cloud.comfy.org``, a serverless
    deployment, or ``comfy-api-proxy`` such as ``http://127.0.0.1:8189``).

    ``api_key``: sent as a bearer token to that origin only (default ``$COMFY_API_KEY``;
    Comfy Cloud requires one). ``request_timeout`` bounds each request; the job's deadline
    bounds them all. One backend may serve several threads.
    """

    api = "v2"
    can_check = False

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 request_timeout: float = 30.0) -> None:
        base = normalize_server_url(base_url)
        base = base[: -len("/api/v2")] if base.endswith("/api/v2") else base
        key = resolve_api_key(api_key, base)
        self.request_timeout = request_timeout
        # comfy-sdk's `Comfy()` reads its base URL from the process-wide COMFY_BASE_URL only
        # and takes no HTTP client. Setting that variable around the construction would be
        # seen by every other thread (and child process) of the program meanwhile, so this
        # builds comfy-sdk's own transport (`comfy_low.ComfyLow`, its public layer below
        # `Comfy`, which takes both) and binds comfy-sdk's asset factory to it, as `Comfy`
        # does: no global state is touched, and the HTTP client is ours (deadline-bounded).
        self._http = httpx.Client(transport=_BoundedTransport(), follow_redirects=True,
                                  timeout=httpx.Timeout(request_timeout))
        self._low = ComfyLow(base, key, client=self._http, timeout=request_timeout,
                             client_info=f"ltx2sdk/{__version__}")
        self._assets = AssetFactory(self._low)
        self._uploads: dict[str, UploadedAsset] = {}
        self._cancelled: set[str] = set()  # jobs this backend asked to cancel
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The server's URL (a credential in it is shown as ``***``)."""
        return self._low.safe_base_url

    @property
    def authenticated(self) -> bool:
        """Whether a key is sent (the key itself is not readable here)."""
        return self._low.authenticated

    @property
    def uploads(self) -> dict[str, UploadedAsset]:
        """The input files uploaded so far, by the name :meth:`upload_image` returned."""
        with self._lock:
            return dict(self._uploads)

    def __repr__(self) -> str:
        return f"V2Backend({self.base_url!r}, authenticated={self.authenticated})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> V2Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- server state --------------------------------------------------------------------

    def wait_ready(self, timeout: float = 60.0, interval: float = 0.5, *,
                   refused_grace: float | None = None,
                   on_wait: Callable[[], None] | None = None) -> dict[str, Any]:
        """Wait until the server answers for jobs (``GET /api/v2/jobs/{an unknown id}``
        answers its ``not_found``, which also proves the key is accepted).

        As :meth:`ComfyClient.wait_ready`: nothing listening is retried for
        ``refused_grace`` seconds (default the whole ``timeout``), an answer of 502, 503 or
        504 (a proxy whose ComfyUI is not up) or none in time until ``timeout``; a refused
        key (401, 403) or an answer that is not the Comfy API v2 fails at once.
        """
        start = time.monotonic()
        deadline = start + timeout
        absent_deadline = start + (timeout if refused_grace is None
                                   else min(timeout, refused_grace))
        waiting = False
        last: Exception
        while True:
            try:
                return self._ready_once(min(5.0, max(0.5, deadline - time.monotonic())))
            except _NotReady as exc:
                kind, reason = "unready", exc.reason
                until, last = deadline, exc
            except (ServerUnavailableError, JobTimeoutError) as exc:
                kind, reason = connection_failure(exc)
                if kind == "invalid":
                    raise ServerUnavailableError(
                        f"cannot reach the Comfy API v2 at {self.base_url}: {reason}") from exc
                until = absent_deadline if kind == "absent" else deadline
                last = exc
            now = time.monotonic()
            if now >= until:
                raise ServerUnavailableError(
                    f"the Comfy API v2 at {self.base_url} was not ready within "
                    f"{until - start:.3g} s ({reason})") from last
            if not waiting:
                waiting = True
                if on_wait is not None:
                    on_wait()
            time.sleep(min(interval, until - now))

    def _ready_once(self, limit: float) -> dict[str, Any]:
        what = "GET /api/v2/jobs/{id}"
        response = self._call(what, None, lambda: self._low.raw_request(
            "GET", f"/jobs/{NO_SUCH_JOB}"), timeout=limit)
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if status in (404, 200) and isinstance(body, dict):
            return {"api": "v2", "base_url": self.base_url}
        if status in (401, 403):
            raise self._refused_key(status, str(code or status))
        if status in (502, 503, 504):
            reason = f"HTTP {status}" + (f" {code}" if code else "")
            raise _NotReady(f"the Comfy API v2 at {self.base_url} is not ready ({reason})",
                            reason)
        answered = f"HTTP {status}" + (f" {code}" if code else "")
        raise ServerResponseError(f"the server at {self.base_url} does not answer like the "
                                  f"Comfy API v2 ({what} answered {answered})", status=status,
                                  body=response.text[:300])

    def schemas(self, *, deadline: float | None = None) -> SchemaSet | None:
        """``None``: the Comfy API v2 publishes no node schemas (no ``/object_info``)."""
        return None

    def check(self, graph: Graph | Mapping[str, Any], *,
              pending_uploads: Collection[str] = (), deadline: float | None = None
              ) -> ServerCheck:
        """:class:`NotChecked`: the v2 API offers nothing to check a graph against (no node
        schemas, no model lists); the server validates each job when it is submitted."""
        return NotChecked([], [], [], undecided=[NOT_CHECKED], reason=NOT_CHECKED)

    def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        """Cancel job ``prompt_id`` (``POST /api/v2/jobs/{id}/cancel``): a running job is
        interrupted, a queued one removed."""
        job_id = _checked_job_id(prompt_id)
        with self._lock:
            self._cancelled.add(job_id)  # from now on, `expired` means cancelled
        self._call(f"cancel job {job_id}", None, lambda: self._low.cancel_job(job_id),
                   timeout=timeout)

    def cancelled(self, job_id: str) -> bool:
        """Whether this backend asked the server to cancel ``job_id``."""
        with self._lock:
            return job_id in self._cancelled

    # --- inputs --------------------------------------------------------------------------

    def upload_image(self, data: bytes, filename: str, *, overwrite: bool = False,
                     deadline: float | None = None) -> str:
        """Make ``data`` (an image, an audio file) a v2 asset (found by its blake3 hash when the
        server has the bytes already, uploaded otherwise); returns the name to give LoadImage
        or LoadAudio, which :meth:`run` replaces with the asset's reference. ``overwrite``
        means nothing here: assets are addressed by their content."""
        name = Path(filename.replace("\\", "/")).name
        if not name:
            raise UploadError(f"cannot upload {filename!r}: it is not a file name")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        asset = self._assets.from_bytes(data, filename=name, content_type=content_type)
        self._call(f"upload {name} ({len(data)} bytes)", deadline, asset.commit,
                   timeout=float("inf"))
        reference = asset.as_reference()  # committed: no request
        uploaded = UploadedAsset(name, str(asset.id), asset.hash, asset.created_new, reference)
        with self._lock:
            self._uploads[name] = uploaded
        return name

    def _workflow(self, graph: Graph | Mapping[str, Any]) -> dict[str, Any]:
        """The API JSON, each uploaded file's name replaced by its asset reference."""
        api = graph.compile() if isinstance(graph, Graph) else dict(graph)
        with self._lock:
            uploads = {name: up.reference for name, up in self._uploads.items()}
        if not uploads:
            return api
        workflow: dict[str, Any] = {}
        for node_id, node in api.items():
            inputs = node.get("inputs") if isinstance(node, dict) else None
            if not isinstance(inputs, dict):
                workflow[node_id] = node
                continue
            workflow[node_id] = {**node, "inputs": {
                key: dict(uploads[value]) if isinstance(value, str) and value in uploads
                else value for key, value in inputs.items()}}
        return workflow

    # --- running -------------------------------------------------------------------------

    def run(self, graph: Graph | Mapping[str, Any], *, output_dir: Path | str | None = None,
            on_event: EventCallback | None = None, timeout: float = 3600.0,
            interrupt_on_timeout: bool = True,
            on_queued: Callable[[str], None] | None = None, check: bool = True,
            cancel: threading.Event | None = None, deadline: float | None = None) -> RunResult:
        """Submit ``graph`` as a job, follow it to its end and download its outputs.

        As :meth:`ComfyClient.run`: ``on_event`` gets the typed events (``ExecutionStarted``,
        ``NodeExecuting`` and ``Progress`` as far as the server tells, ``NodeExecuted`` for
        each output, then ``ExecutionSucceeded`` + ``Finished``, ``ExecutionFailed`` or
        ``ExecutionInterrupted``); ``timeout``/``deadline`` bound everything, and past them
        the job is cancelled (unless ``interrupt_on_timeout`` is false) and
        :class:`JobTimeoutError` raised; setting ``cancel`` cancels the job (a job not yet
        submitted never is) with :class:`JobCancelledError`; ``on_queued`` gets the job id.
        ``check`` is accepted for the protocol's sake: the v2 API cannot check beforehand,
        the server refuses an invalid graph at submission
        (:class:`~ltx2sdk.errors.PromptRejectedError`).
        """
        deadline = deadline if deadline is not None else time.monotonic() + timeout
        if isinstance(graph, Graph):
            graph.validate()
        workflow = self._workflow(graph)
        if cancel is not None and cancel.is_set():
            raise JobCancelledError("the job was cancelled before it was submitted")
        queued_at = time.time()
        job = self._submit(workflow, deadline)
        if on_queued is not None:
            on_queued(job.id)
        follow = _Follower(self, job.id, deadline, on_event, cancel)
        try:
            final = follow.until_done()
        except JobTimeoutError:
            if interrupt_on_timeout:
                self._cancel_quietly(job.id)
            raise
        except (KeyboardInterrupt, JobCancelledError):  # the caller gave up: free the GPU
            self._cancel_quietly(job.id)
            raise
        result = RunResult(job.id, self._outputs_of(final, deadline), queued_at=queued_at,
                           started_at=follow.started_at, finished_at=time.time())
        if output_dir is not None:
            download_all(self, result, Path(output_dir), deadline=deadline)
        return result

    def _submit(self, workflow: dict[str, Any], deadline: float) -> V2Job:
        """``POST /api/v2/jobs`` under a fresh idempotency key; a full queue (429 with
        Retry-After) is waited out until the deadline."""
        while True:
            post = functools.partial(self._low.post_jobs, workflow,
                                     idempotency_key=str(uuid.uuid4()))
            try:
                job = self._call("submit the job", deadline, post, sdk_errors=(QueueFull,))
            except QueueFull as exc:
                pause = max(1.0, float(exc.retry_after or 2))
                if time.monotonic() + pause >= deadline:
                    raise ServerUnavailableError(f"the Comfy API v2 at {self.base_url} kept "
                                                 "its queue full until the deadline") from exc
                time.sleep(pause)  # that key was refused: the next try is a new submission
                continue
            _checked_job_id(job.id)
            return job

    def _cancel_quietly(self, job_id: str) -> None:
        with contextlib.suppress(LTX2Error):  # the caller hears of the original problem
            self.interrupt(job_id, timeout=CLEANUP_TIMEOUT)

    def poll(self, job_id: str, *, deadline: float | None = None) -> V2Job:
        """One ``GET /api/v2/jobs/{id}``: the job as the server knows it now."""
        job_id = _checked_job_id(job_id)
        return self._call(f"GET job {job_id}", deadline, lambda: self._low.get_job(job_id),
                          lost=job_id)

    # --- outputs -------------------------------------------------------------------------

    def _outputs_of(self, job: V2Job, deadline: float) -> list[OutputFile]:
        """The job's outputs in node order, each an :class:`AssetOutput`."""
        outputs: list[OutputFile] = []
        ordered = sorted(job.outputs, key=lambda o: (len(o.node_id), o.node_id))
        for item in ordered:
            outputs.append(self._asset_output(item, deadline))
        return outputs

    def _asset_output(self, item: V2Output, deadline: float) -> AssetOutput:
        name = Path(item.name.replace("\\", "/")).name.replace("\0", "")
        asset_id = _checked_job_id(item.id, what="output asset id")
        content_type = (item.content_type or "").split(";")[0].strip().lower()
        suffix = Path(name).suffix.lower()
        video = is_video_content_type(content_type)
        if video and suffix not in VIDEO_EXTENSIONS:
            name += mimetypes.guess_extension(content_type) or ".mp4"
        elif content_type in ("", "application/octet-stream", "binary/octet-stream"):
            sniffed = self._sniff(asset_id, deadline)  # the content type says nothing
            if sniffed is not None:
                video = True
                if suffix not in VIDEO_EXTENSIONS:
                    name += sniffed
        if not name:
            name = f"output_{asset_id[:16]}"
        return AssetOutput(node_id=str(item.node_id), kind=_OUTPUT_KINDS.get(
            item.type.value, item.type.value), filename=name, subfolder="", type="output",
            animated=video, asset_id=asset_id, content_type=content_type,
            v2_type=item.type.value)

    def _sniff(self, asset_id: str, deadline: float) -> str | None:
        """The video extension the asset's first bytes show (an ISO ``ftyp``, an EBML
        header), or ``None``."""
        def head() -> bytes:
            with self._low.get_asset_content(asset_id, range=(0, SNIFF_BYTES - 1)) as resp:
                return resp.read()[:SNIFF_BYTES]
        try:
            data = self._call(f"read the first bytes of output {asset_id}", deadline, head)
        except (ServerUnavailableError, ServerResponseError):
            return None
        return video_extension_of(data)

    def download(self, output: OutputFile, dest: Path, *,
                 deadline: float | None = None) -> Path:
        """Stream one output asset to ``dest`` (written beside it, renamed when whole) and
        verify it (:class:`OutputError` names the node and file when the bytes are cut
        short, or not the file its name and content type promise)."""
        where = describe(output)
        if not isinstance(output, AssetOutput):
            raise OutputError(f"{where} is not an output of a Comfy API v2 job")
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")

        def fetch() -> None:
            with self._low.get_asset_content(output.asset_id) as resp, \
                    open(partial, "wb") as out:
                for chunk in resp.iter_bytes(DOWNLOAD_CHUNK):
                    out.write(chunk)

        try:
            self._call(f"download {where}", deadline, fetch, timeout=float("inf"))
        except JobTimeoutError:  # a TimeoutError, so an OSError too: not the file's fault
            partial.unlink(missing_ok=True)
            raise
        except (ServerResponseError, ServerUnavailableError, OSError) as exc:
            partial.unlink(missing_ok=True)
            raise OutputError(f"{where} could not be downloaded: {exc}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(dest)
        return verify_download(output, dest)

    # --- every request goes through here -------------------------------------------------

    def _call(self, what: str, deadline: float | None, fn: Callable[[], T], *,
              timeout: float | None = None, lost: str | None = None,
              sdk_errors: tuple[type[SdkError], ...] = ()) -> T:
        """``fn()`` (requests of comfy-sdk's transport), ended by ``timeout`` (default the
        request timeout; ``inf``: until the deadline) and the deadline, its failures as the
        SDK's exceptions. ``lost``: the job id a 404 means is no longer known.
        ``sdk_errors``: comfy-sdk exceptions the caller handles itself."""
        now = time.monotonic()
        limit = self.request_timeout if timeout is None else timeout
        if deadline is None and limit == float("inf"):
            limit = 3600.0
        end = min(now + limit, deadline if deadline is not None else now + limit)
        if end <= now:
            raise JobTimeoutError(f"{what}: the deadline passed before the request was sent")
        with _bounded(end) as budget:
            try:
                return fn()
            except LTX2Error:
                raise
            except ApiError as exc:
                error = to_sdk_error(exc)
                if isinstance(error, sdk_errors):
                    raise error from exc
                raise self._translate(error, what, lost) from exc
            except SdkError as exc:
                if isinstance(exc, sdk_errors):
                    raise
                raise self._translate(exc, what, lost) from exc
            except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL, OSError) as exc:
                if budget.fired or isinstance(exc, httpx.TimeoutException):
                    if deadline is not None and time.monotonic() >= deadline - 0.01:
                        raise JobTimeoutError(f"{what} did not finish before the job's "
                                              "deadline") from exc
                    raise ServerUnavailableError(
                        f"{what}: the Comfy API v2 at {self.base_url} did not answer within "
                        f"{limit:.3g} s") from exc
                if isinstance(exc, OSError) and not isinstance(exc, (ConnectionError,
                                                                     TimeoutError)):
                    raise  # a local file could not be written: not the server's doing
                raise ServerUnavailableError(f"cannot reach the Comfy API v2 at "
                                             f"{self.base_url}: {_reason(exc)}") from exc
            except (ValidationError, ValueError, KeyError, TypeError) as exc:
                raise ServerResponseError(f"{what}: the Comfy API v2 at {self.base_url} "
                                          f"answered something of the wrong shape "
                                          f"({type(exc).__name__})") from exc

    def _translate(self, exc: SdkError, what: str, lost: str | None) -> LTX2Error:
        """comfy-sdk's typed API error as the SDK's (:mod:`ltx2sdk.errors`)."""
        code = exc.code or "error"
        status = exc.http_status
        message = _first_line(exc.message) or code
        if isinstance(exc, (Unauthorized, Forbidden)) or status in (401, 403):
            return self._refused_key(status or 401, code)
        if isinstance(exc, InsufficientCredits):
            return ServerResponseError(f"the Comfy API v2 at {self.base_url} refused {what}: "
                                       f"insufficient credits ({message})", status=status)
        if isinstance(exc, InvalidWorkflow):
            return PromptRejectedError(code, message, _node_errors(exc.details),
                                       raw=exc.details)
        if isinstance(exc, (MissingAsset, HashMismatch, BlobNotFound)) or status == 413:
            return UploadError(f"{what}: the Comfy API v2 at {self.base_url} refused an input "
                               f"file: {message} [{code}]")
        if isinstance(exc, NotFound) and lost is not None:
            return PromptLostError(f"the Comfy API v2 at {self.base_url} no longer knows job "
                                   f"{lost} (the server restarted, or the job was removed)")
        if isinstance(exc, QueueFull) or status == 429 or code == "upstream_unreachable" or (
                status is not None and status >= 500):
            return ServerUnavailableError(f"{what}: the Comfy API v2 at {self.base_url} cannot "
                                          f"serve it now: {message} [{code}]")
        return ServerResponseError(f"{what}: the Comfy API v2 at {self.base_url} answered "
                                   f"HTTP {status}: {message} [{code}]", status=status)

    def _refused_key(self, status: int, code: str) -> ServerResponseError:
        if self.authenticated:
            said = "refused the API key"
        else:
            said = "needs an API key: set COMFY_API_KEY (or pass api_key=..., or --api-key)"
        return ServerResponseError(f"the Comfy API v2 at {self.base_url} {said} "
                                   f"(HTTP {status} {code})", status=status)


# --- following one job --------------------------------------------------------------------


class _Stream:
    """Markers the event thread puts beside the raw events."""

    ENDED = object()  # the stream ended or dropped: poll now (it is being reconnected)
    ABSENT = object()  # the server has no event stream for the job: polling alone


class _EventThread(threading.Thread):
    """Reads the job's SSE stream into ``sink``, reconnecting when it drops, until
    :meth:`stop` (which shuts the connection down) or the deadline."""

    def __init__(self, backend: V2Backend, job_id: str, deadline: float,
                 sink: queue.Queue[object]) -> None:
        super().__init__(name=f"ltx2sdk-v2-events-{job_id[:8]}", daemon=True)
        self._backend, self._job_id, self._deadline, self._sink = \
            backend, job_id, deadline, sink
        self._stopped = threading.Event()
        self._budget: _Budget | None = None
        self._lock = threading.Lock()
        self.connections = 0

    def run(self) -> None:
        with _bounded(self._deadline) as budget:
            with self._lock:
                self._budget = budget
                if self._stopped.is_set():
                    return
            pause = 0.2
            while not self._stopped.is_set() and not budget.fired:
                self.connections += 1
                try:
                    for raw in self._backend._low.get_job_events(self._job_id,
                                                                 timeout=SSE_TIMEOUT):
                        self._sink.put(raw)
                        pause = 0.2
                except ApiError as exc:
                    if exc.http_status in (404, 405, 501):  # no stream here: polling alone
                        self._sink.put(_Stream.ABSENT)
                        return
                    pause = max(pause, float(exc.retry_after or 0))  # too_many_streams: 5 s
                except (httpx.HTTPError, httpx.StreamError, OSError):
                    pass  # dropped: poll, then reconnect
                except Exception:  # a malformed stream: polling is the truth anyway
                    self._sink.put(_Stream.ABSENT)
                    return
                self._sink.put(_Stream.ENDED)
                if self._stopped.wait(pause):
                    return
                pause = min(pause * 2, 5.0)

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._budget is not None:
                self._budget.abort()
        self.join(timeout=2.0)


class _Follower:
    """Follows one job to its end: its SSE events as they come, its polled state as the
    truth, the caller's cancel and the deadline."""

    def __init__(self, backend: V2Backend, job_id: str, deadline: float,
                 on_event: EventCallback | None, cancel: threading.Event | None) -> None:
        self.backend = backend
        self.job_id = job_id
        self.deadline = deadline
        self.on_event = on_event
        self.cancel = cancel
        self.started_at: float | None = None
        self._started = False
        self._current: str | None = None
        self._last_step: tuple[str, int] | None = None
        self._outputs_seen: set[str] = set()
        self._expired = 0
        self._stream_up = True
        self._sink: queue.Queue[object] = queue.Queue()
        self.events = _EventThread(backend, job_id, deadline, self._sink)

    def until_done(self) -> V2Job:
        """The job once it succeeded; raises for every other ending."""
        self.events.start()
        try:
            return self._follow()
        finally:
            self.events.stop()

    def _follow(self) -> V2Job:
        intervals = _intervals()
        next_poll = time.monotonic() + POLL_FIRST
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                raise JobTimeoutError(f"job {self.job_id} did not finish before the deadline")
            if self.cancel is not None and self.cancel.is_set():
                raise JobCancelledError(f"the job was cancelled; job {self.job_id} is "
                                        "cancelled on the server", self.job_id)
            wait = min(next_poll - now, self.deadline - now,
                       0.5 if self.cancel is not None else POLL_MAX)
            try:
                item = self._sink.get(timeout=max(0.0, wait))
            except queue.Empty:
                item = None
            if item is _Stream.ENDED or item is _Stream.ABSENT:
                self._stream_up = False  # dropped (being reconnected) or absent: poll more
                next_poll = min(next_poll, time.monotonic())
            elif isinstance(item, RawEvent):
                self._stream_up = True
                if self._on_stream(item):
                    next_poll = min(next_poll, time.monotonic())  # a terminal status: ask
            if time.monotonic() < next_poll:
                continue
            job = self._poll()
            if job is not None:
                done = self._judge(job)
                if done is not None:
                    return done
            pause = next(intervals) if not self._expired else EXPIRED_RECHECK
            if not self._stream_up:
                pause = min(pause, POLL_MAX_WITHOUT_STREAM)
            next_poll = time.monotonic() + pause

    def _poll(self) -> V2Job | None:
        try:
            return self.backend.poll(self.job_id, deadline=self.deadline)
        except ServerUnavailableError:
            return None  # the server is away for now: ask again until the deadline

    def _emit(self, event: Event) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.started_at = time.time()
            self._emit(ExecutionStarted(self.job_id))

    def _on_stream(self, raw: RawEvent) -> bool:
        """Map one SSE frame to the SDK's events; whether it says the job ended."""
        data = raw.data if isinstance(raw.data, dict) else {}
        if raw.event == "status":
            status = data.get("status")
            if status in ("running", "canceling"):
                self._start()
            return status in ("succeeded", "failed", "canceled", "expired")
        if raw.event == "progress":
            self._start()
            self._on_progress(data)
            return False
        if raw.event == "output":
            self._on_output(data)
        return False

    def _on_progress(self, data: Mapping[str, Any]) -> None:
        """A progress snapshot (streamed, or polled): the node it names and its step."""
        node = data.get("current_node")
        if not isinstance(node, (str, int)) or isinstance(node, bool) or not str(node):
            return  # a snapshot without a node (the proxy's polled ones) says nothing usable
        node = str(node)
        if node != self._current:
            self._current = node
            self._emit(NodeExecuting(self.job_id, node))
        step, steps = data.get("step"), data.get("steps")
        if isinstance(step, int) and isinstance(steps, int) and _whole(step) and steps > 0 \
                and (node, step) != self._last_step:
            self._last_step = (node, step)
            self._emit(Progress(self.job_id, node, step, steps))

    def _on_output(self, data: Mapping[str, Any]) -> None:
        key = str(data.get("id") or "")
        node = data.get("node_id")
        if not key or key in self._outputs_seen or node is None:
            return
        self._outputs_seen.add(key)
        self._emit(NodeExecuted(self.job_id, str(node), {"asset": dict(data)}))

    def _judge(self, job: V2Job) -> V2Job | None:
        """The job when it succeeded; ``None`` while it goes on; raises for other ends."""
        status = job.status.value
        if status != "expired":
            self._expired = 0
        if status in ("queued",):
            return None
        if status in ("running", "canceling"):
            self._start()
            if job.progress is not None:
                self._on_progress(job.progress.model_dump())
            return None
        if status == "succeeded":
            self._start()
            for output in job.outputs:
                self._on_output(output.model_dump(mode="json"))
            self._emit(ExecutionSucceeded(self.job_id))
            self._emit(Finished(self.job_id))
            return job
        if status == "failed":
            error = job.error
            node_id = str(error.node_id) if error is not None and error.node_id else "?"
            node_type = str(error.class_type) if error is not None and error.class_type else "?"
            code = error.code if error is not None else "failed"
            message = error.message if error is not None else "the job failed"
            trace = (error.traceback or "").splitlines() if error is not None else []
            self._emit(ExecutionFailed(self.job_id, node_id, node_type, code, message,
                                       tuple(trace)))
            raise ExecutionError(self.job_id, node_id, node_type, code, message, trace)
        if status in ("canceled", "expired") and self.backend.cancelled(self.job_id):
            # a queued job that is cancelled ends `expired` (it never reaches the history)
            self._emit(ExecutionInterrupted(self.job_id))
            raise JobCancelledError(f"job {self.job_id} was cancelled", self.job_id)
        if status == "canceled":
            self._emit(ExecutionInterrupted(self.job_id))
            raise ExecutionInterruptedError(self.job_id)
        if status == "expired":
            self._expired += 1
            if self._expired < EXPIRED_CHECKS:
                return None  # maybe the proxy's race: it finished between two of its reads
            raise PromptLostError(f"the Comfy API v2 at {self.backend.base_url} reports job "
                                  f"{self.job_id} expired: it no longer knows the job (the "
                                  "server restarted, or the job was removed)")
        raise ServerResponseError(f"job {self.job_id} has the unknown status {status!r}")


# --- helpers ------------------------------------------------------------------------------


def _intervals() -> Iterator[float]:
    delay = POLL_FIRST
    while True:
        yield delay
        delay = min(delay * POLL_FACTOR, POLL_MAX)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_job_id(value: Any, *, what: str = "job id") -> str:
    """An id the server gave, fit to go into a URL path (it names nothing else there)."""
    pattern = _ASSET_ID if "asset" in what else _JOB_ID
    if not isinstance(value, str) or not pattern.match(value):
        raise ServerResponseError(f"the Comfy API v2 answered a {what} that cannot be one: "
                                  f"{str(value)[:80]!r}")
    return value


def _first_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


def _reason(exc: BaseException) -> str:
    _kind, reason = connection_failure(exc)
    if reason == "the request failed" and isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection"
    return reason


def _node_errors(details: Any) -> list[NodeError]:
    """The node errors of a refused job: ComfyUI's own shape (``{id: {"errors": [...],
    "class_type"}}``, as comfy-api-proxy passes it on) or the v2 contract's
    (``{id: [{"field", "reason"}]}``). Whatever else is there is left out."""
    raw = details.get("node_errors") if isinstance(details, Mapping) else None
    found: list[NodeError] = []
    for node_id, entry in (raw.items() if isinstance(raw, Mapping) else ()):
        if isinstance(entry, Mapping):
            class_type = str(entry.get("class_type", "?"))
            items = entry.get("errors") or ()
        else:
            class_type, items = "?", entry if isinstance(entry, list) else ()
        for item in items:
            if not isinstance(item, Mapping):
                continue
            extra = item.get("extra_info")
            name = extra.get("input_name") if isinstance(extra, Mapping) else item.get("field")
            found.append(NodeError(
                node_id=str(node_id), class_type=class_type,
                type=str(item.get("type") or item.get("reason") or ""),
                message=str(item.get("message") or item.get("reason") or ""),
                details=str(item.get("details") or ""),
                input_name=name if isinstance(name, str) else None))
    return found
