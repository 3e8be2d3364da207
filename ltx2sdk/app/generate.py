"""``generate()``: the one path from a request to a video file.

Scripting, ``ltx2 generate`` and the RunPod handler all call it: validate the
request, prepare its input files (i2v's first frame, flf2v's first and last, ia2v's first
frame and audio, the video that steers canny2v and depth2v), build the graph, check it
against the server, upload the files, run it with progress, download the video, and report
what was made. A ``video`` already in a native ComfyUI's input folder is read from it and
measured (:func:`read_server_video`) before the graph is built, as an uploaded one is.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from builders import CheckedRequest, Plan, build, check_request
from ltx2sdk.app.progress import ProgressCallback, ProgressTracker
from ltx2sdk.backends.connect import PROBE_TIMEOUT, connect
from ltx2sdk.backends.events import Event
from ltx2sdk.backends.outputs import (
    OutputFile,
    check_output_file,
    check_output_folder,
    make_folders,
    move_beside,
    publish,
    remove_empty_folders,
)
from ltx2sdk.backends.protocol import Backend, download_all
from ltx2sdk.backends.server_urls import DEFAULT_READY_TIMEOUT, REFUSED_GRACE
from ltx2sdk.backends.uploads import content_stem
from ltx2sdk.deadline import checked_seconds
from ltx2sdk.errors import (
    JobCancelledError,
    OutputError,
    OutputExistsError,
    OutputPathError,
    ServerUrlError,
    SettingError,
    VideoInputError,
)
from ltx2sdk.media.audio import (
    DEFAULT_MAX_AUDIO_BYTES,
    DEFAULT_MAX_AUDIO_SECONDS,
    AudioData,
    audio_from_base64,
    fetch_audio,
)
from ltx2sdk.media.file_formats import is_video_name
from ltx2sdk.media.images import (
    DEFAULT_MAX_IMAGE_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageData,
    fetch_image,
    image_from_base64,
)
from ltx2sdk.media.video import (
    DEFAULT_FETCH_TIMEOUT_S as DEFAULT_VIDEO_FETCH_TIMEOUT_S,
)
from ltx2sdk.media.video import (
    VideoData,
    VideoLimits,
    decode_video,
    fetch_video,
    video_from_base64,
)
from ltx2sdk.request import GenerationRequest
from ltx2sdk.vocabulary import (
    AUDIO,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    INPUT_FILES,
    LAST_IMAGE,
    VIDEO,
    InputFile,
)
from ltx2sdk.wording import byte_size

InputData = ImageData | AudioData | VideoData
"""A checked input file of a request, ready to upload."""

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class InputPolicy:
    """Limits for input files given by URL or base64: images (see :mod:`ltx2sdk.media.images`)
    and audio (see :mod:`ltx2sdk.media.audio`), each file of a request on its own (flf2v's first
    and last frame each get the caps).

    ``max_bytes``: an image file's size (decoded bytes for base64, the body on the wire
    for a URL). ``fetch_timeout``: seconds for the whole URL fetch (resolution, connect,
    every redirect and the body, however slowly it comes). ``trusted_hosts``: host names
    or IP literals exempt from the public-address check (a test server, a trusted internal
    store); still resolved once and pinned. ``max_pixels``: width x height, checked from
    the file's header before decoding (default 36 MP); animated files give their first
    frame only. ``max_audio_bytes``: the audio file's size, counted like ``max_bytes``
    (default 20 MiB). ``max_audio_seconds``: the audio's length (default 60 s), checked
    while it is decoded. ``video``: the caps of an input video (bytes, seconds, frames, pixels
    per frame; see :mod:`ltx2sdk.media.video`); ``video_fetch_timeout``: seconds for a video
    URL's whole fetch (videos are larger: 60 s by default).
    """

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    fetch_timeout: float = 20.0
    trusted_hosts: tuple[str, ...] = ()  # exempt from the public-address check
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_audio_bytes: int = DEFAULT_MAX_AUDIO_BYTES
    max_audio_seconds: float = DEFAULT_MAX_AUDIO_SECONDS
    video: VideoLimits = field(default_factory=VideoLimits)
    video_fetch_timeout: float = DEFAULT_VIDEO_FETCH_TIMEOUT_S

    def __post_init__(self) -> None:
        for owner, name in (*((self, n) for n in ("max_bytes", "max_pixels", "max_audio_bytes")),
                            (self.video, "max_bytes"), (self.video, "max_frames"),
                            (self.video, "max_pixels")):
            value = getattr(owner, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{type(owner).__name__}.{name} must be a positive whole "
                                 f"number, not {value!r}")
        for owner, name in ((self, "fetch_timeout"), (self, "max_audio_seconds"),
                            (self, "video_fetch_timeout"), (self.video, "max_seconds")):
            value = getattr(owner, name)
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not 0 < value < float("inf")):  # NaN fails the comparison too
                raise ValueError(f"{type(owner).__name__}.{name} must be a positive number of "
                                 f"seconds, not {value!r}")


@dataclass
class GenerationResult:
    """A finished generation: the video's path and what it is."""

    video: Path
    prompt_id: str
    seed: int
    width: int
    height: int
    frames: int
    fps: int
    duration: float
    mode: str
    type: str
    model: str = DEFAULT_MODEL  # the model id the request ran
    adjustments: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[OutputFile, Path] = field(default_factory=dict)
    input_video: dict[str, Any] | None = None
    """How the control video mapped to the output (``Plan.input_video`` as JSON; None: the
    pipeline took none)."""

    def metadata(self) -> dict[str, Any]:
        """JSON-ready description (what the RunPod handler returns beside the video)."""
        return {
            "model": self.model, "prompt_id": self.prompt_id, "seed": self.seed,
            "width": self.width,
            "height": self.height, "frames": self.frames, "fps": self.fps,
            "duration": round(self.duration, 3), "mode": self.mode, "type": self.type,
            "adjustments": list(self.adjustments),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            # only a control pipeline's: a t2v job's metadata is as it was
            **({"input_video": self.input_video} if self.input_video is not None else {}),
        }


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._last
        self._last = now


def prepare_image(request: GenerationRequest, policy: InputPolicy,
                  which: InputFile = FIRST_IMAGE) -> ImageData | None:
    """The checked input image ``which`` of ``request`` (the first frame by default;
    :data:`~ltx2sdk.vocabulary.LAST_IMAGE` for flf2v's last), fetched or decoded under
    ``policy``; ``None`` when the request names a server file for it or has none.
    Errors are :class:`~ltx2sdk.errors.ImageInputError` s naming the field it came from
    (``last_image_url: ...``)."""
    data = getattr(request, which.base64)
    if data is not None:
        return image_from_base64(data, field=which.base64, max_bytes=policy.max_bytes,
                                 max_pixels=policy.max_pixels)
    url = getattr(request, which.url)
    if url is not None:
        return fetch_image(url, field=which.url, max_bytes=policy.max_bytes,
                           timeout=policy.fetch_timeout, trusted_hosts=policy.trusted_hosts,
                           max_pixels=policy.max_pixels)
    return None


def prepare_audio(request: GenerationRequest, policy: InputPolicy) -> AudioData | None:
    """The checked and measured audio of ``request`` (ia2v), fetched or decoded under
    ``policy``; ``None`` when the request names a server file for it or has none. Errors are
    :class:`~ltx2sdk.errors.AudioInputError` s naming the field it came from."""
    if request.audio_base64 is not None:
        return audio_from_base64(request.audio_base64, field=AUDIO.base64,
                                 max_bytes=policy.max_audio_bytes,
                                 max_seconds=policy.max_audio_seconds)
    if request.audio_url is not None:
        return fetch_audio(request.audio_url, field=AUDIO.url, max_bytes=policy.max_audio_bytes,
                           timeout=policy.fetch_timeout, trusted_hosts=policy.trusted_hosts,
                           max_seconds=policy.max_audio_seconds)
    return None


def prepare_video(request: GenerationRequest, policy: InputPolicy) -> VideoData | None:
    """The checked and measured video of ``request`` (canny2v, depth2v), fetched or decoded
    under ``policy``; ``None`` when the request names a server file for it or has none.
    Errors are :class:`~ltx2sdk.errors.VideoInputError` s naming the field it came from."""
    if request.video_base64 is not None:
        return video_from_base64(request.video_base64, field=VIDEO.base64, limits=policy.video)
    if request.video_url is not None:
        return fetch_video(request.video_url, field=VIDEO.url, limits=policy.video,
                           timeout=policy.video_fetch_timeout,
                           trusted_hosts=policy.trusted_hosts)
    return None


def prepare_inputs(request: GenerationRequest, policy: InputPolicy, *,
                   deadline: float | None = None,
                   given: Mapping[InputFile, InputData] | None = None,
                   ) -> dict[InputFile, InputData]:
    """Every input file of ``request`` given by URL or base64, checked under ``policy``
    (images, the audio and the video, in :data:`~ltx2sdk.vocabulary.INPUT_FILES` order); a
    fetch ends by ``deadline`` (a :func:`time.monotonic` instant) too. An input in ``given``
    (already read and checked by the caller) is taken as it is, whatever the request says of
    it."""
    prepared: dict[InputFile, InputData] = dict(given or {})
    for which in INPUT_FILES:
        if which in prepared:
            continue
        if deadline is not None:  # a fetch is part of the job: it ends by its deadline too
            left = max(0.5, deadline - time.monotonic())
            policy = replace(policy, fetch_timeout=min(policy.fetch_timeout, left),
                             video_fetch_timeout=min(policy.video_fetch_timeout, left))
        found: InputData | None
        if which is AUDIO:
            found = prepare_audio(request, policy)
        elif which is VIDEO:
            found = prepare_video(request, policy)
        else:
            found = prepare_image(request, policy, which)
        if found is not None:
            prepared[which] = found
    return prepared


def read_server_video(client: Backend, name: str, policy: InputPolicy, *,
                      deadline: float | None = None) -> VideoData | None:
    """The video ``name`` in a native ComfyUI's input folder (the request's ``video``), read
    (``GET /view?type=input``) and measured as an uploaded video is, under ``policy``'s video
    caps: a file over the size cap is refused from its announced size, or once the bytes
    read pass it; the read ends within ``policy.video_fetch_timeout`` and by ``deadline``
    (a :func:`time.monotonic` instant). ``None`` from a backend that cannot serve its input
    files (the Comfy API v2: it checks the job at submission). A :class:`VideoInputError`
    naming ``video`` when the server has no such file or it is not a video within the
    caps."""
    from ltx2sdk.backends.comfyui.client import ComfyClient  # start-up: requests

    if not isinstance(client, ComfyClient):
        return None
    bound = time.monotonic() + policy.video_fetch_timeout
    bound = bound if deadline is None else min(bound, deadline)
    limit = policy.video.max_bytes
    params = {"filename": name, "subfolder": "", "type": "input"}
    size = client.transport.view_size(params, deadline=bound)
    if size is None and client.transport.view_exists(params, deadline=bound) is False:
        raise VideoInputError(VIDEO.file, f"ComfyUI's input folder has no file {name!r} "
                                          f"(upload it there, or give {VIDEO.url} or "
                                          f"{VIDEO.base64})")
    too_large = VideoInputError(VIDEO.file, f"video is larger than the {byte_size(limit)} limit")
    if size is not None and size > limit:
        raise too_large  # refused unread
    read = 0

    def count(chunk: int) -> None:
        nonlocal read
        read += chunk
        if read > limit:  # a file that grows, or a size not announced: cut off at the cap
            raise too_large

    with tempfile.TemporaryDirectory(prefix="ltx2sdk-video-") as folder:
        path = Path(folder) / "video"
        client.transport.download(params, path, count, deadline=bound)
        data = path.read_bytes()
    return decode_video(data, VIDEO.file, policy.video)


def _raise_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise JobCancelledError("the job was cancelled before its prompt was queued")


def generate(request: GenerationRequest | CheckedRequest | Mapping[str, Any],
             server: str | Backend = "http://127.0.0.1:8188", *,
             output: Path | str | None = None, output_dir: Path | str = ".",
             on_progress: ProgressCallback | None = None,
             on_event: Callable[[Event], None] | None = None,
             on_queued: Callable[[str], None] | None = None,
             timeout: float = 3600.0, ready_timeout: float | None = None,
             input_policy: InputPolicy | None = None,
             inputs: Mapping[InputFile, InputData] | None = None,
             overwrite: bool = False,
             cancel: threading.Event | None = None,
             on_plan: Callable[[Plan], None] | None = None,
             start_by: Callable[[], float] | None = None,
             before_queue: Callable[[str], None] | None = None) -> GenerationResult:
    """Generate one video and return where it is and what it is.

    ``request`` is a :class:`GenerationRequest` or a mapping of its fields (validated, then
    checked by :func:`~builders.check_request` before any input is fetched), or what
    ``check_request`` returned (taken as it is: an entry point that checked early does not
    pay twice).
    ``server`` is a URL (native ComfyUI or the Comfy API v2, told apart by
    :func:`~ltx2sdk.backends.connect.connect`, the key from ``$COMFY_API_KEY``), a
    :class:`~ltx2sdk.backends.comfyui.client.ComfyClient` or any other
    :class:`~ltx2sdk.backends.protocol.Backend`
    (``connect(url, api_key=...)``). A backend that cannot check a graph before running it
    (the v2 API) builds for the SDK's own node schemas and lets the server validate the job.
    ``output`` is the video's path (default: the server's file name in ``output_dir``, or
    the first free ``name (1).ext`` when a file has it); an existing file there is an
    :class:`~ltx2sdk.errors.OutputExistsError` before any work unless ``overwrite`` is set.
    Both are checked before any work (before the server is asked anything): a folder named
    as ``output``, a file on the way, or a folder that cannot be created or written in is an
    :class:`~ltx2sdk.errors.OutputPathError`. A missing folder is created when the video is
    fetched, and the folders this call created are removed
    again (the deepest first) if it ends with nothing in them (an error, a cancel, Ctrl-C);
    a folder that was there before is never removed.
    Other files the graph produces are downloaded into ``output_dir`` too (never replacing a
    file). Only ``output``
    replaces a file: a name the server chose that a file already has becomes
    ``name (1).ext`` (the next free one).
    ``on_progress`` gets :class:`~ltx2sdk.app.progress.ProgressUpdate` s, ``on_event`` the raw
    events. ``timeout`` bounds the whole job (every request and wait ends by it; past it a
    queued prompt is interrupted). ``ready_timeout`` is the wait for the server, within it
    (a server given by URL is asked which API it speaks first: that counts in the wait):
    by default (``None``) a server nobody answers at (connection refused, an unknown host)
    fails after :data:`~ltx2sdk.backends.server_urls.REFUSED_GRACE` (1 s) with
    :class:`~ltx2sdk.errors.ServerUnreachableError`, and one that accepts but does not
    answer yet is waited for :data:`~ltx2sdk.backends.server_urls.DEFAULT_READY_TIMEOUT`
    (30 s); a number of seconds waits that long for either (a ComfyUI that is starting
    refuses connections until it has loaded; an unknown host still fails at once);
    ``0``: not asked (the caller has waited for it already).
    ``input_policy`` caps the input files given by URL or base64 (sizes, pixels, the
    audio's length; see :class:`InputPolicy`). ``inputs`` are input files the caller has
    read and checked already (:func:`prepare_inputs`, or a CLI's local files): they are
    uploaded as they are, in place of what the request says of those inputs.
    ``on_plan`` gets the :class:`~builders.Plan` of what will be made (size, frames, fps,
    seed, adjustments) once the server's check has passed, before anything is uploaded or
    queued.
    Setting ``cancel`` (from another thread) ends the job with
    :class:`~ltx2sdk.errors.JobCancelledError`: a prompt not yet queued never will be.
    ``start_by`` and ``before_queue`` (a native ComfyUI or Comfy API v2 backend; a batch
    queueing jobs ahead passes them) go to its ``run``
    (:meth:`~ltx2sdk.backends.comfyui.client.ComfyClient.run`): with
    ``start_by`` the prompt's wait in the server's queue is not counted in ``timeout`` (the
    wait is bounded by ``start_by()``), and the result's ``timings`` say it apart:
    ``queued``, the wait, and ``run``, the run on the server from its start.
    Raises :class:`~ltx2sdk.errors.RequestError` for a request (a dict) that does not
    validate, and other :class:`~ltx2sdk.errors.LTX2Error` subclasses for everything else.
    """
    # settings refused before anything is sent: True is no 1 s, nan no "no limit"
    timeout = checked_seconds("timeout", timeout, SettingError)
    if ready_timeout is not None:
        ready_timeout = checked_seconds("ready_timeout", ready_timeout, SettingError,
                                        zero=True, or_none=True)
    if not isinstance(server, (str, Backend)):
        raise ServerUrlError(f"server must be a URL or a backend, not {type(server).__name__}")
    if not isinstance(overwrite, bool):  # a request refuses 1 for a boolean: so does this
        raise OutputPathError(str(output if output is not None else output_dir),
                              f"overwrite must be True or False, not {overwrite!r}")
    timer = _Timer()
    deadline = time.monotonic() + timeout
    # where the video goes is checked before any work: a folder, a parent that is a file
    # or cannot be written in would otherwise fail only once the video is made
    # (creating nothing yet: the folders are made when there is a video to fetch)
    check_output_folder(output_dir, create=False)  # every output lands there first
    if output is not None:
        check_output_file(output, overwrite=overwrite, create=False)
    if isinstance(request, CheckedRequest):
        ok = request
    else:
        if not isinstance(request, GenerationRequest):
            # (not dict(...) first: a request that is no mapping is a RequestError too)
            request = GenerationRequest.model_validate(
                dict(request) if isinstance(request, Mapping) else request)
        ok = check_request(request)  # refused here, before any input is fetched
    request = ok.request
    if isinstance(server, str):
        # a refused connection or an unknown host fails the probe at once: only a server
        # that accepts and stays silent costs the probe its time
        wait = ready_timeout or DEFAULT_READY_TIMEOUT
        probed = time.monotonic()
        # (never longer than the wait it is part of: ready_timeout=0.3 is no 0.5 s probe)
        client = connect(server, probe_timeout=min(PROBE_TIMEOUT, wait, timeout))
        probe = time.monotonic() - probed  # part of the wait for the server: one limit
    else:
        client, probe = server, 0.0
    with contextlib.ExitStack() as cleanup:
        if client is not server:  # a backend made here is closed here
            cleanup.callback(client.close)
        # the folders this run creates go again if it ends with nothing in them (a failure,
        # a cancel, Ctrl-C): only those, never one that was there before
        made: list[Path] = []
        cleanup.callback(remove_empty_folders, made)
        policy = input_policy or InputPolicy()
        # every input file checked (the audio decoded and measured) before the server is asked
        prepared = prepare_inputs(request, policy, deadline=deadline, given=inputs)
        audio = prepared.get(AUDIO)
        audio_seconds = audio.duration if isinstance(audio, AudioData) else None
        video = prepared.get(VIDEO)
        timer.lap("prepare")

        if ready_timeout != 0:
            # the probe above counts in the wait, and in the time its error says
            left = deadline - time.monotonic() + probe
            # (the job's own timeout may cut the wait, to 0.5 s at least; ready_timeout is
            # never stretched, the probe's time counted in it)
            if ready_timeout is None:  # fail fast unless asked to wait (see the docstring)
                client.wait_ready(timeout=min(DEFAULT_READY_TIMEOUT, max(0.5, left)),
                                  refused_grace=REFUSED_GRACE, waited=probe, cancel=cancel)
            else:
                client.wait_ready(timeout=min(ready_timeout, max(0.5, left)), waited=probe,
                                  cancel=cancel)
        _raise_if_cancelled(cancel)
        if video is None and request.video is not None:
            # a video already in the server's input folder: measured as an uploaded one is
            # (a start past its end, a cap), before anything is built or queued
            video = read_server_video(client, request.video, policy, deadline=deadline)
        # written for this server's ComfyUI release, and checked by its rules before anything
        # is uploaded or queued (a refused job leaves nothing behind on the server); a backend
        # without schemas (the v2 API) gets the SDK's own, and the server checks at submission
        schemas = client.schemas(deadline=deadline)

        # named by content: the same file is one name on the server, uploaded once (two jobs
        # share a file only if its bytes are theirs both); where the server keeps a file under
        # another name, the backend says that name when it submits the graph
        names = {which: data.filename(content_stem(data.data))
                 for which, data in prepared.items()}
        result = build(ok, image_name=names.get(FIRST_IMAGE),
                       last_image_name=names.get(LAST_IMAGE), audio_name=names.get(AUDIO),
                       audio_seconds=audio_seconds, video_name=names.get(VIDEO),
                       video=video if isinstance(video, VideoData) else None,
                       schemas=schemas)
        client.check(result.graph, pending_uploads=tuple(names.values()),
                     deadline=deadline).raise_if_failed()
        partner_key = getattr(client, "check_partner_key", None)  # (native ComfyUI only)
        if partner_key is not None:  # a partner node without a key: before any upload
            partner_key(result.graph, deadline=deadline)
        if on_plan is not None:  # the job will be made as planned: said before it is run
            on_plan(result.plan)
        for which, name in names.items():
            client.upload_file(prepared[which].data, name, deadline=deadline, reuse=True)
        timer.lap("build")

        tracker = ProgressTracker(result.graph, on_progress) if on_progress else None

        def dispatch(event: Event) -> None:
            if tracker is not None:
                tracker(event)
            if on_event is not None:
                on_event(event)

        # (only a server's run takes these, native or v2: passed when given)
        queueing: dict[str, Any] = {key: value for key, value in
                                    (("start_by", start_by), ("before_queue", before_queue))
                                    if value is not None}
        run = client.run(result.graph, output_dir=None, on_event=dispatch, deadline=deadline,
                         on_queued=on_queued, cancel=cancel,
                         check=False,  # checked above, before anything was uploaded
                         **queueing)
        timer.lap("run")
        if start_by is not None:  # the wait in the queue: not counted, and said apart
            waited = 0.0 if run.started_at is None else \
                max(0.0, run.started_at - run.queued_at)
            deadline += waited
            whole = timer.timings.pop("run")
            timer.timings["queued"] = waited
            timer.timings["run"] = max(0.0, whole - waited)

        destination = Path(output_dir)
        make_folders(destination, made)
        download_all(client, run, destination, deadline=deadline)
        videos = [f for f in run.outputs if is_video_name(f.filename)]
        if not videos:
            raise OutputError(f"prompt {run.prompt_id} finished without a video output "
                              f"(outputs: {[f.filename for f in run.outputs] or 'none'})")
        video_path = run.files[videos[0]]
        if output is not None:
            target = Path(output)
            make_folders(target.parent, made)
            # a rename cannot cross file systems (-o /mnt/disk/fox.mp4 from ./): copied first
            video_path = move_beside(video_path, target.parent)
            if overwrite:
                video_path = video_path.replace(target)
            else:
                try:  # taken atomically: a file that appeared meanwhile is not replaced
                    video_path = publish(video_path, target, other_names=False)
                except FileExistsError:
                    raise OutputExistsError(
                        str(target), f"appeared while the video was made: it is left as it "
                        f"is, and the video is {video_path}") from None
            run.files[videos[0]] = video_path
        timer.lap("download")

    plan = result.plan
    return GenerationResult(
        video=video_path, prompt_id=run.prompt_id, seed=plan.seed, width=plan.width,
        height=plan.height, frames=plan.frames, fps=plan.fps, duration=plan.duration,
        mode=plan.mode, type=plan.type, model=plan.model, adjustments=plan.adjustments,
        timings=timer.timings,
        outputs=dict(run.files),
        input_video=plan.input_video.as_dict() if plan.input_video is not None else None)
