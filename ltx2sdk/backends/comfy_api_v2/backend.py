"""The Comfy API v2 backend: Comfy Cloud, Comfy's serverless deployments, ``comfy-api-proxy``.

Built on comfy-sdk (``pip install 'ltx2sdk[cloud]'``): its transport and wire models
(``comfy_low``), its SSE decoder, its content-addressed assets (blake3, dedup by hash) and its
typed API errors. Above them this module keeps the promises of :mod:`ltx2sdk.backends.protocol`:

- inputs are v2 assets: an image is hashed, found on the server by its hash or uploaded, and
  goes into the graph as a ``core/ASSET`` reference (:meth:`V2Backend.upload_file` returns a
  name for LoadImage, which :meth:`V2Backend.run` replaces with the reference);
- polling ``GET /jobs/{id}`` is the truth about a job; the SSE stream (read on a thread of its
  own, reconnected when it drops) only brings events sooner and tells when to poll. What each
  snapshot and frame means, and when to poll, is decided without IO by :mod:`.following` (a
  transient ``expired`` is asked about again; after our own cancel it means cancelled);
- outputs are assets, fetched by id, streamed to disk and verified by their bytes
  (:func:`~ltx2sdk.media.file_formats.verify_file`), never by ``size_bytes`` (the proxy reports 0).
  A SaveVideo mp4 may come with type ``"image"``: videos are found by content type and, when
  that says nothing, by the container's signature;
- every request ends by the job's deadline, a body that drips included
  (:class:`ltx2sdk.deadline.Deadline`, armed around each call, is enforced by
  :class:`.transport.DeadlineTransport`), and every failure is one of :mod:`ltx2sdk.errors`
  (comfy-sdk's API errors by :mod:`.error_table`): no httpx or comfy-sdk exception escapes;
- the key is sent to the configured origin only, and never shown: not in a repr, not in a
  message.

The HTTP transport is injectable: ``V2Backend(url, transport=httpx.MockTransport(handler))``
runs every request through ``handler`` (no socket), still bounded by the deadlines.
"""

from __future__ import annotations

import functools
import mimetypes
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
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
    from comfy_sdk.exceptions import ComfyError as SdkError
    from comfy_sdk.exceptions import QueueFull, to_sdk_error
    from pydantic import ValidationError

    from ltx2sdk.backends.comfy_api_v2.error_table import Failure, key_refused, translate
    from ltx2sdk.backends.comfy_api_v2.transport import DeadlineTransport
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ModuleNotFoundError(
        "the Comfy API v2 backend needs comfy-sdk, which is not installed: "
        "pip install 'ltx2sdk[cloud]'", name=exc.name or "comfy_sdk") from exc

from ltx2sdk.backends.comfy_api_v2.following import (
    POLL_FIRST,
    POLL_MAX,
    JobFailure,
    JobFollowing,
    JobSnapshot,
    PollPacer,
    Step,
)
from ltx2sdk.backends.events import ExecutionStarted
from ltx2sdk.backends.outputs import (
    DOWNLOAD_CHUNK,
    OutputFile,
    describe,
    partial_file,
    verify_download,
)
from ltx2sdk.backends.protocol import (
    CLEANUP_TIMEOUT,
    NO_SUCH_JOB,
    EventCallback,
    NotChecked,
    RunResult,
    download_all,
    resolve_api_key,
)
from ltx2sdk.backends.server_urls import (
    FailureKind,
    attempt_timeout,
    cancellable,
    connection_failure,
    normalize_server_url,
    not_reached,
)
from ltx2sdk.backends.uploads import bind_uploads
from ltx2sdk.deadline import Deadline
from ltx2sdk.errors import (
    JobCancelledError,
    JobTimeoutError,
    LTX2Error,
    OutputError,
    ServerLostError,
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
from ltx2sdk.media.safe_fetch import address_refusal
from ltx2sdk.version import __version__
from ltx2sdk.wording import one_line

__all__ = ["AssetOutput", "UploadedAsset", "V2Backend"]

T = TypeVar("T")

NOT_CHECKED = ("the Comfy API v2 publishes no node schemas or model lists (no /object_info): "
               "the graph was not checked before it was submitted; the server validates it then")
SSE_TIMEOUT = httpx.Timeout(10.0, read=45.0)  # the server sends a keepalive every 15 s
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
    bounds them all. ``transport``: the ``httpx.BaseTransport`` requests go through (default
    httpx's own; an ``httpx.MockTransport`` serves them from memory), always under
    :class:`~.transport.DeadlineTransport`. One backend may serve several threads.
    ``lost_after``: seconds a server nobody answers at (connection refused, no route) may
    stay so while a job is followed before the job is given up with
    :class:`~ltx2sdk.errors.ServerLostError` (a batch hands it on); ``None`` (the default):
    waited out until the job's deadline (a proxy that restarts).
    """

    api = "v2"
    can_check = False

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 request_timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None,
                 lost_after: float | None = None) -> None:
        base = normalize_server_url(base_url)
        base = base[: -len("/api/v2")] if base.endswith("/api/v2") else base
        key = resolve_api_key(api_key, base)
        self.request_timeout = request_timeout
        self.lost_after = lost_after
        # comfy-sdk's `Comfy()` reads its base URL from the process-wide COMFY_BASE_URL only
        # and takes no HTTP client. Setting that variable around the construction would be
        # seen by every other thread (and child process) of the program meanwhile, so this
        # builds comfy-sdk's own transport (`comfy_low.ComfyLow`, its public layer below
        # `Comfy`, which takes both) and binds comfy-sdk's asset factory to it, as `Comfy`
        # does: no global state is touched, and the HTTP client is ours (deadline-bounded).
        self._http = httpx.Client(transport=DeadlineTransport(
                                      transport, server_host=httpx.URL(base).host),
                                  follow_redirects=True,
                                  timeout=httpx.Timeout(request_timeout),
                                  event_hooks={"response": [_redirect_guard(base)]})
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
        """The input files uploaded so far, by the name :meth:`upload_file` returned."""
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
                   on_wait: Callable[[], None] | None = None,
                   cancel: threading.Event | None = None,
                   waited: float = 0.0) -> dict[str, Any]:
        """Wait until the server answers for jobs (``GET /api/v2/jobs/{an unknown id}``
        answers its ``not_found``, which also proves the key is accepted).

        As :meth:`ComfyClient.wait_ready`: nothing listening is retried for
        ``refused_grace`` seconds (default the whole ``timeout``), an unknown host not at all, an
        answer of 502, 503 or 504 (a proxy whose ComfyUI is not up) or none in time until
        ``timeout``; a refused key (401, 403) or an answer that is not the Comfy API v2
        fails at once. Nobody answering is a :class:`~ltx2sdk.errors.ServerUnreachableError`.
        ``waited`` and ``cancel`` as for :meth:`ComfyClient.wait_ready`.
        """
        start = time.monotonic() - max(0.0, waited)
        deadline = start + timeout
        grace = timeout if refused_grace is None else min(timeout, refused_grace)
        absent_deadline = start + grace
        unknown_deadline = start  # a name that does not resolve: at once
        waiting = False
        last: Exception | None = None
        kind: FailureKind
        # what the wait ends as if no request is made (a probe before it had no answer)
        kind = "unready"
        reason, until = "no answer in time", deadline
        while True:
            now = time.monotonic()
            # each request ends by the deadline (see ComfyClient.wait_ready)
            limit = attempt_timeout(deadline, now)
            if limit is not None:
                try:
                    try:
                        return cancellable(functools.partial(self._ready_once, limit),
                                           cancel, f"the Comfy API v2 at {self.base_url}")
                    except JobCancelledError as exc:  # caused by the last failure: says why
                        raise JobCancelledError(str(exc)) from last
                except _NotReady as exc:
                    kind, reason = "unready", exc.reason
                    until, last = deadline, exc
                except (ServerUnavailableError, JobTimeoutError) as exc:
                    kind, reason = connection_failure(exc)
                    if kind == "invalid":
                        raise ServerUnavailableError(
                            f"cannot reach the Comfy API v2 at {self.base_url}: "
                            f"{reason}") from exc
                    until = {"absent": absent_deadline,
                             "unknown_host": unknown_deadline}.get(kind, deadline)
                    last = exc
                now = time.monotonic()
            if now >= until:
                if kind in ("absent", "unknown_host"):
                    raise not_reached("the Comfy API v2", self.base_url, kind, reason,
                                      until - start) from last
                raise ServerUnavailableError(
                    f"the Comfy API v2 at {self.base_url} was not ready within "
                    f"{until - start:.3g} s ({reason})") from last
            if not waiting:
                waiting = True
                if on_wait is not None:
                    on_wait()
            if cancel is None:
                time.sleep(min(interval, until - now))
            elif cancel.wait(min(interval, until - now)):
                raise JobCancelledError(f"cancelled while waiting for the Comfy API v2 at "
                                        f"{self.base_url}") from last

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
            raise key_refused(self._failure(what), status, str(code or status))
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

    def upload_file(self, data: bytes, filename: str, *, overwrite: bool = False,
                    deadline: float | None = None, reuse: bool = False) -> str:
        """Make ``data`` (an image, an audio file) a v2 asset (found by its blake3 hash when the
        server has the bytes already, uploaded otherwise); returns the name to give LoadImage
        or LoadAudio, which :meth:`run` replaces with the asset's reference. ``overwrite``
        and ``reuse`` mean nothing here: assets are addressed by their content, always."""
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

    def workflow(self, graph: Graph | Mapping[str, Any]) -> dict[str, Any]:
        """The workflow :meth:`run` submits for ``graph``: its API JSON, each name
        :meth:`upload_file` returned replaced by that asset's ``core/ASSET`` reference. An
        editor workflow (ComfyUI's "Save") is read as the editor would queue it, with the
        node schemas of the newest release bundled with the SDK (the v2 API publishes none)."""
        from ltx2sdk.graph.editor.ui_import import as_api_prompt  # start-up: rarely needed

        api = graph.compile() if isinstance(graph, Graph) else as_api_prompt(graph)
        with self._lock:
            uploads = {name: up.reference for name, up in self._uploads.items()}
        return bind_uploads(api, uploads)

    # --- running -------------------------------------------------------------------------

    def run(self, graph: Graph | Mapping[str, Any], *, output_dir: Path | str | None = None,
            on_event: EventCallback | None = None, timeout: float = 3600.0,
            interrupt_on_timeout: bool = True,
            on_queued: Callable[[str], None] | None = None, check: bool = True,
            cancel: threading.Event | None = None, deadline: float | None = None,
            start_by: Callable[[], float] | None = None,
            before_queue: Callable[[str], None] | None = None) -> RunResult:
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

        ``start_by``, as for :meth:`ComfyClient.run`: the job's wait in the service's queue
        (status ``pending``/``queued``) does not count against the deadline. From its
        submission to the moment it is heard ``running`` (a poll, or the stream's status or
        first progress) the deadline stands still, then moves later by that wait
        (:attr:`RunResult.started_at` less :attr:`RunResult.queued_at`); while it waits, it
        is polled at least every
        :data:`~ltx2sdk.backends.comfy_api_v2.following.POLL_MAX_WHILE_QUEUED` seconds. The
        wait ends by the later of the deadline and ``start_by()`` (a :func:`time.monotonic`
        instant, asked each time it is looked at); past it the job is cancelled on the
        server (taken out of its queue) and :class:`JobTimeoutError` says it was not started.

        ``before_queue`` is called just before the job is submitted, with the idempotency key
        of its submission (the job's id is the server's to choose: ``on_queued`` tells it);
        what it raises stops the run with nothing submitted.
        """
        deadline = deadline if deadline is not None else time.monotonic() + timeout
        if isinstance(graph, Graph):
            graph.validate()
        workflow = self.workflow(graph)
        key = str(uuid.uuid4())
        if before_queue is not None:
            before_queue(key)
        if cancel is not None and cancel.is_set():
            raise JobCancelledError("the job was cancelled before it was submitted")
        queued_at = time.time()
        job = self._submit(workflow, deadline, key=key)
        if on_queued is not None:
            on_queued(job.id)
        follow = _JobFollower(self, job.id, deadline, on_event, cancel, start_by=start_by)
        try:
            final = follow.until_done()
        except JobTimeoutError as exc:
            if interrupt_on_timeout and self._cancel_quietly(job.id):
                done = "cancelled" if follow.began is not None else "taken out of the queue"
                raise JobTimeoutError(f"{exc}; it was {done} on {self.base_url}") from exc
            raise
        except (KeyboardInterrupt, JobCancelledError):  # the caller gave up: free the GPU
            self._cancel_quietly(job.id)
            raise
        deadline = follow.deadline  # (moved later by its wait in the queue, with start_by)
        result = RunResult(job.id, self._outputs_of(final, deadline), queued_at=queued_at,
                           started_at=follow.started_at, finished_at=time.time())
        if output_dir is not None:
            download_all(self, result, Path(output_dir), deadline=deadline)
        return result

    def _submit(self, workflow: dict[str, Any], deadline: float, *,
                key: str | None = None) -> V2Job:
        """``POST /api/v2/jobs`` under idempotency key ``key`` (default a fresh one); a full
        queue (429 with Retry-After) is waited out until the deadline, each new try under a
        fresh key."""
        while True:
            key = key or str(uuid.uuid4())
            post = functools.partial(self._low.post_jobs, workflow, idempotency_key=key)
            try:
                job = self._call("submit the job", deadline, post, sdk_errors=(QueueFull,))
            except QueueFull as exc:
                pause = max(1.0, float(exc.retry_after or 2))
                if time.monotonic() + pause >= deadline:
                    raise ServerUnavailableError(f"the Comfy API v2 at {self.base_url} kept "
                                                 "its queue full until the deadline") from exc
                time.sleep(pause)  # that key was refused: the next try is a new submission
                key = None
                continue
            _checked_job_id(job.id)
            return job

    def _cancel_quietly(self, job_id: str) -> bool:
        """Cancel ``job_id``; whether the server took it (a failure is not raised: the
        caller hears of the original problem)."""
        try:
            self.interrupt(job_id, timeout=CLEANUP_TIMEOUT)
        except LTX2Error:
            return False
        return True

    def follow(self, job_id: str, *, deadline: float, on_event: EventCallback | None = None,
               cancel: threading.Event | None = None) -> V2Job:
        """Follow job ``job_id`` (submitted by anyone) to its end: the job once it succeeded,
        with :meth:`run`'s events and exceptions (:class:`~ltx2sdk.errors.PromptLostError`
        for a job the server no longer knows, :class:`JobTimeoutError` at ``deadline``). It
        is not cancelled when following ends badly: :meth:`run` does that."""
        job_id = _checked_job_id(job_id)
        return _JobFollower(self, job_id, deadline, on_event, cancel).until_done()

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
            outputs.append(self.asset_output(item, deadline=deadline))
        return outputs

    def asset_output(self, item: V2Output, *, deadline: float | None = None) -> AssetOutput:
        """The output file a job's output ``item`` stands for: named as the server named it
        (its base name only), a video when its content type says so or, when that says
        nothing, its first bytes (read from the server, by ``deadline``) show a video
        container; a video's name gets the extension it lacks."""
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

    def _sniff(self, asset_id: str, deadline: float | None) -> str | None:
        """The video extension the asset's first bytes show (an ISO ``ftyp``, an EBML
        header), or ``None``."""
        def head() -> bytes:
            # a server may ignore the Range and send the whole file: read only the first
            # bytes and close the stream (reading it all held a whole video in memory)
            data = b""
            with self._low.get_asset_content(asset_id, range=(0, SNIFF_BYTES - 1)) as resp:
                for chunk in resp.iter_bytes():
                    data += chunk
                    if len(data) >= SNIFF_BYTES:
                        break
            return data[:SNIFF_BYTES]
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
        partial = partial_file(dest)

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
        limit = self.request_timeout if timeout is None else timeout
        if deadline is None and limit == float("inf"):
            limit = 3600.0
        bound = Deadline.within(limit, deadline)
        if bound.passed:
            raise JobTimeoutError(f"{what}: the deadline passed before the request was sent")
        failure = self._failure(what, lost)
        with bound.armed():
            try:
                return fn()
            except LTX2Error:
                raise
            except ApiError as exc:
                error = to_sdk_error(exc)
                if isinstance(error, sdk_errors):
                    raise error from exc
                raise translate(error, failure) from exc
            except SdkError as exc:
                if isinstance(exc, sdk_errors):
                    raise
                raise translate(exc, failure) from exc
            except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL, OSError) as exc:
                if bound.fired or isinstance(exc, httpx.TimeoutException):
                    if bound.outer_passed():
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

    def _failure(self, what: str, job: str | None = None) -> Failure:
        """What an error message says of a failed request ``what`` (about ``job``)."""
        return Failure(what, self.base_url, self.authenticated, job)


# --- redirects ----------------------------------------------------------------------------


def _redirect_guard(base: str) -> Callable[[httpx.Response], None]:
    """A response hook: the configured server is trusted, where it redirects is not. A
    redirect is followed to the server's own origin, or to an https URL whose host resolves to
    public addresses only (Comfy Cloud hands an asset out as a signed object-storage URL);
    anywhere else (a metadata or private address, plain http) is a
    :class:`ServerResponseError` naming it, and nothing is sent there."""
    origin = _origin(httpx.URL(base))

    def check(response: httpx.Response) -> None:
        if not response.has_redirect_location:
            return
        location = response.headers["Location"]
        try:
            target = response.request.url.join(location)
            refusal = None if _origin(target) == origin else _not_public_https(target)
        except (httpx.InvalidURL, ValueError):
            refusal = "not a usable URL"
        if refusal is not None:
            request = response.request
            raise ServerResponseError(
                f"{request.method} {request.url.raw_path.decode('ascii', 'replace')} answered "
                f"HTTP {response.status_code}, a redirect to {one_line(location, limit=200)} "
                f"({refusal}: not followed)", status=response.status_code)

    return check


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _not_public_https(url: httpx.URL) -> str | None:
    """Why a redirect to ``url`` (another origin) is not followed, or ``None``."""
    if url.scheme != "https":
        return "another origin, not https"
    try:
        infos = socket.getaddrinfo(url.host, url.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "a host name that does not resolve"
    for info in infos:
        if address_refusal(str(info[4][0])) is not None:
            return f"{info[4][0]}, not a public address"
    return None


# --- following one job --------------------------------------------------------------------


class _Stream:
    """Markers the event thread puts beside the raw events."""

    ENDED = object()  # the stream ended or dropped: poll now (it is being reconnected)
    ABSENT = object()  # the server has no event stream for the job: polling alone


class _EventThread(threading.Thread):
    """Reads the job's SSE stream into ``sink``, reconnecting when it drops, until
    :meth:`stop` (which shuts the connection down) or the end ``limit()`` says (asked at
    each connection: it moves later while the job waits in the queue, its time not
    counted; a connection cut at an end since moved is made again)."""

    def __init__(self, backend: V2Backend, job_id: str, limit: Callable[[], float],
                 sink: queue.Queue[object]) -> None:
        super().__init__(name=f"ltx2sdk-v2-events-{job_id[:8]}", daemon=True)
        self._backend, self._job_id, self._limit, self._sink = \
            backend, job_id, limit, sink
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._bound: Deadline | None = None  # stop() fires it: the open stream is shut down
        self.connections = 0

    def run(self) -> None:
        pause = 0.2
        while not self._stopped.is_set():
            bound = Deadline(self._limit())
            with self._lock:
                if self._stopped.is_set() or bound.passed:
                    return
                self._bound = bound
            with bound.armed():
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
        with self._lock:
            self._stopped.set()
            bound = self._bound
        if bound is not None:
            bound.abort()
        self.join(timeout=2.0)


class _JobFollower:
    """The IO of following one job (its polls, its event stream, the caller's cancel and the
    deadline); what each fact means, and when to poll, is :class:`.following.JobFollowing`'s
    and :class:`.following.PollPacer`'s to say.

    ``deadline`` is the job's; with ``start_by`` (see :meth:`V2Backend.run`) it stands still
    while the job waits in the service's queue: every wait ends by :meth:`limit`."""

    def __init__(self, backend: V2Backend, job_id: str, deadline: float,
                 on_event: EventCallback | None, cancel: threading.Event | None, *,
                 start_by: Callable[[], float] | None = None) -> None:
        self.backend = backend
        self.job_id = job_id
        self.deadline = deadline
        self.on_event = on_event
        self.cancel = cancel
        self.start_by = start_by
        self.queued = time.monotonic()  # (the job was accepted just before)
        self.began: float | None = None  # when it was first heard running
        self.waited_out = False  # its wait in the queue passed its bound
        self.absent_since: float | None = None  # nobody answering at the server since
        self.started_at: float | None = None
        self.following = JobFollowing(job_id, backend.base_url)
        self._sink: queue.Queue[object] = queue.Queue()
        self.events = _EventThread(backend, job_id, self.limit, self._sink)

    def limit(self) -> float:
        """The instant every wait ends by: the deadline, or while the job waits in the queue
        with ``start_by``, the later of it and ``start_by()``."""
        if self.start_by is None or self.began is not None:
            return self.deadline
        return max(self.deadline, self.start_by())

    def _began(self) -> None:
        """The server began the job (heard now); with ``start_by`` the deadline moves later
        by the wait in the queue."""
        if self.began is not None:
            return
        self.began = time.monotonic()
        self.started_at = time.time()
        if self.start_by is not None:
            self.deadline += self.began - self.queued

    def until_done(self) -> V2Job:
        """The job once it succeeded; raises for every other ending."""
        self.events.start()
        try:
            return self._follow()
        except JobTimeoutError as exc:
            # the bound of the wait in the queue passed (in a poll too): said so
            if self.began is None and self.start_by is not None and not self.waited_out:
                raise self._not_started() from exc
            raise
        finally:
            self.events.stop()

    def _not_started(self) -> JobTimeoutError:
        """The error of a job whose wait in the queue passed its bound (``start_by``)."""
        self.waited_out = True
        return JobTimeoutError(
            f"job {self.job_id} was not started: it waited "
            f"{time.monotonic() - self.queued:.1f} s in the service's queue, past the time "
            "it was to start by")

    def _follow(self) -> V2Job:
        pacer = PollPacer()
        next_poll = time.monotonic() + POLL_FIRST
        while True:
            now = time.monotonic()
            limit = self.limit()
            if now >= limit:
                if self.began is None and self.start_by is not None:
                    raise self._not_started()
                raise JobTimeoutError(f"job {self.job_id} did not finish before the deadline")
            if self.cancel is not None and self.cancel.is_set():
                raise JobCancelledError(f"the job was cancelled; job {self.job_id} is "
                                        "cancelled on the server", self.job_id)
            wait = min(next_poll - now, limit - now,
                       0.5 if self.cancel is not None else POLL_MAX)
            try:
                item = self._sink.get(timeout=max(0.0, wait))
            except queue.Empty:
                item = None
            if item is _Stream.ENDED or item is _Stream.ABSENT:
                self.following.stream_down()
                next_poll = min(next_poll, time.monotonic())
            elif isinstance(item, RawEvent) and self._take(
                    self.following.streamed(item.event, item.data)).ask_now:
                next_poll = min(next_poll, time.monotonic())  # a terminal status: ask
            if time.monotonic() < next_poll:
                continue
            job = self._poll()
            if job is not None:
                step = self._take(self.following.polled(
                    _snapshot(job), cancelled_by_us=self.backend.cancelled(self.job_id)))
                if step.succeeded:
                    return job
            next_poll = time.monotonic() + pacer.pause(
                rechecking_expired=self.following.expired_in_a_row > 0,
                stream_up=self.following.stream_up,
                awaiting_start=self.start_by is not None and self.began is None)

    def _poll(self) -> V2Job | None:
        try:
            job = self.backend.poll(self.job_id, deadline=self.limit())
        except ServerLostError:
            raise
        except ServerUnavailableError as exc:
            # the server is away for now: ask again until the deadline, or (lost_after)
            # until nobody has answered at its address that long
            kind, why = connection_failure(exc)
            lost_after = self.backend.lost_after
            if lost_after is not None and kind in ("absent", "unknown_host"):
                now = time.monotonic()
                self.absent_since = now if self.absent_since is None else self.absent_since
                if now - self.absent_since >= lost_after:
                    raise ServerLostError(f"lost the Comfy API v2 at {self.backend.base_url} "
                                          f"with job {self.job_id} on it: {why}") from exc
            else:
                self.absent_since = None
            return None
        self.absent_since = None
        return job

    def _take(self, step: Step) -> Step:
        """Tell ``step``'s events, then raise its error."""
        for event in step.events:
            if isinstance(event, ExecutionStarted):
                self._began()
            if self.on_event is not None:
                self.on_event(event)
        if step.error is not None:
            raise step.error
        return step


# --- helpers ------------------------------------------------------------------------------


def _snapshot(job: V2Job) -> JobSnapshot:
    """A polled job as :mod:`.following` reads it."""
    error = job.error
    return JobSnapshot(
        status=job.status.value,
        progress=job.progress.model_dump() if job.progress is not None else None,
        outputs=tuple(output.model_dump(mode="json") for output in job.outputs),
        error=None if error is None else JobFailure(
            code=error.code, message=error.message, node_id=error.node_id,
            class_type=error.class_type, traceback=error.traceback))


def _checked_job_id(value: Any, *, what: str = "job id") -> str:
    """An id the server gave, fit to go into a URL path (it names nothing else there)."""
    pattern = _ASSET_ID if "asset" in what else _JOB_ID
    if not isinstance(value, str) or not pattern.match(value):
        raise ServerResponseError(f"the Comfy API v2 answered a {what} that cannot be one: "
                                  f"{str(value)[:80]!r}")
    return value


def _reason(exc: BaseException) -> str:
    _kind, reason = connection_failure(exc)
    if reason == "the request failed" and isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection"
    return reason
