"""RunPod serverless worker: LTX-2 videos through the ComfyUI running beside it.

    python runpod_handler.py                      # on RunPod (or test_input.json locally)
    python runpod_handler.py --test_input '{"input": {"prompt": "a fox in the snow"}}'
    python runpod_handler.py --rp_serve_api       # local /runsync, /run, /status API (POST)

Input: the original contract (``prompt, mode, type, width, height, duration, seed,
camera_lora, image_url, image_base64``) or any field of ``ltx2sdk.GenerationRequest``
(flf2v's last frame: ``last_image_url`` or ``last_image_base64``; canny2v's and depth2v's video:
``video_url`` or ``video_base64``; ia2v's audio and id2v's voice to keep: ``audio_url``
or ``audio_base64``, decoded and measured before any GPU time). Input files come by URL or as
data only: the server file names ``image``, ``last_image``, ``audio`` and ``video`` are
refused.
Output: ``{"video": <base64 mp4>, ...metadata}`` when the whole result fits RunPod's
result limit, else ``{"video_url": <presigned URL>, ...metadata}`` when a bucket is
configured, else ``{"error": ...}`` saying how to configure one. Every failure is
``{"error": <one clear message>}``. The metadata: ``model`` (the model id that ran),
``prompt_id``, ``seed``, ``width``, ``height``, ``frames``, ``fps``, ``duration``, ``mode``,
``type``, ``adjustments``, ``timings``, and for canny2v/depth2v ``input_video`` (how the
control video's frames map to the output's: ``Plan.input_video``).

ComfyUI at ``COMFY_URL`` fails fast, as ``generate()`` does: a refused connection is one
line after 1 s (``REFUSED_GRACE``; ``... was not ready within 1 s (connection refused); is it
running? ...``), a ComfyUI that accepts and does not answer yet is waited for 30 s
(``DEFAULT_READY_TIMEOUT``), a host name that does not resolve fails at once as ``worker
misconfigured: COMFY_URL: ...``. The image's ``docker/start.sh`` starts the worker only once
ComfyUI answers (``COMFY_READY_TIMEOUT``) and stops it when ComfyUI dies, so that is where the
wait for a starting ComfyUI belongs. ``LTX2_READY_TIMEOUT`` (for a ComfyUI started some other
way) makes each job wait that long for a refused or silent ComfyUI alike.

The log never holds a base64 payload: runpod-python echoes each job's input and output into
it (and RunPod bills logs by size), so run as a program the worker has runpod's logger write
every video or input file as its size, ``'video': '<2.85 MiB base64>'``.

Configuration (environment; see README "RunPod"):
  COMFY_URL (http://127.0.0.1:8188), LTX2_JOB_TIMEOUT (1800 s), LTX2_READY_TIMEOUT (unset:
  refused 1 s, silent 30 s),
  LTX2_RESULT_LIMIT_BYTES (RunPod's 20 MiB), LTX2_MAX_IMAGE_BYTES (20 MiB),
  LTX2_MAX_IMAGE_PIXELS (36 MP, checked before decoding), LTX2_IMAGE_FETCH_TIMEOUT (20 s,
  audio fetches too), LTX2_MAX_AUDIO_BYTES (20 MiB), LTX2_MAX_AUDIO_SECONDS (60 s),
  LTX2_MAX_VIDEO_BYTES (256 MiB), LTX2_MAX_VIDEO_SECONDS (120 s), LTX2_MAX_VIDEO_FRAMES (7200),
  LTX2_MAX_VIDEO_PIXELS (4K per frame, checked before decoding), LTX2_VIDEO_FETCH_TIMEOUT
  (60 s), LTX2_PROGRESS_INTERVAL (2 s),
  LTX2_CHECKPOINT_FAST, LTX2_CHECKPOINT_PRO, LTX2_TEXT_ENCODER, LTX2_UPSCALER,
  LTX2_DISTILLED_LORA (model set defaults), LTX2_S3_BUCKET, LTX2_S3_ENDPOINT_URL,
  LTX2_S3_REGION, LTX2_S3_PREFIX (ltx2/), LTX2_S3_URL_EXPIRES (3600 s, at most 604800),
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
A number is written as a CLI flag's is (ASCII digits 0-9, no spaces, no ``_``, ``inf`` or
``nan``); a bad one is refused at start-up, and in each job, naming the variable.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from builders import CheckedRequest, check_request
from builders.catalog import pipeline_for
from ltx2sdk.app.generate import GenerationResult, InputPolicy, generate
from ltx2sdk.app.progress import ProgressUpdate
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.server_urls import DEFAULT_READY_TIMEOUT, UNKNOWN_HOST, shown_url
from ltx2sdk.deadline import Deadline
from ltx2sdk.errors import (
    JobTimeoutError,
    LTX2Error,
    RequestError,
    ServerUnavailableError,
    ServerUnreachableError,
    WorkerConfigError,
)
from ltx2sdk.media.video import VideoLimits
from ltx2sdk.request import GenerationRequest, ModelSet
from ltx2sdk.vocabulary import (
    DEFAULT_MODEL,
    INPUT_FILES,
    NUMBER_FORM,
    WHOLE_NUMBER_FORM,
    number_from_text,
)
from ltx2sdk.wording import byte_size, exception_line, one_line

log = logging.getLogger("ltx2sdk.worker")
RUNPOD_RESULT_LIMIT_BYTES = 20 * 1024 * 1024  # a larger result is refused (HTTP 400) and lost
MAX_URL_EXPIRES = 7 * 24 * 3600  # the longest a SigV4 presigned URL may be valid
WORKER_MISCONFIGURED = "worker misconfigured:"  # a batch stops using such an endpoint
MODEL_ENV = {"checkpoint_fast": "LTX2_CHECKPOINT_FAST", "checkpoint_pro": "LTX2_CHECKPOINT_PRO",
             "text_encoder": "LTX2_TEXT_ENCODER", "upscaler": "LTX2_UPSCALER",
             "distilled_lora": "LTX2_DISTILLED_LORA"}


@dataclass(frozen=True)
class S3Config:
    """Where oversized videos go: an S3-compatible bucket (AWS, R2, MinIO, ...)."""

    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    prefix: str = "ltx2/"
    url_expires: int = 3600


@dataclass(frozen=True)
class WorkerConfig:
    """The worker's settings, read once from the environment by :meth:`from_env`."""

    comfy_url: str = "http://127.0.0.1:8188"
    job_timeout: float = 1800.0
    ready_timeout: float | None = None
    """Seconds each job waits for ComfyUI, refused or silent (``LTX2_READY_TIMEOUT``); ``None``
    fails fast as ``generate()`` does (refused: ``REFUSED_GRACE``, silent:
    ``DEFAULT_READY_TIMEOUT``): start.sh has waited for ComfyUI before starting the worker."""
    result_limit_bytes: int = RUNPOD_RESULT_LIMIT_BYTES
    input_policy: InputPolicy = field(default_factory=InputPolicy)
    progress_interval: float = 2.0
    model_defaults: Mapping[str, str] = field(default_factory=dict)
    s3: S3Config | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerConfig:
        """Read and check every setting; :class:`WorkerConfigError` names a bad variable."""
        env = os.environ if env is None else env

        def number(name: str, default: float, *, whole: bool = False) -> float:
            # the CLI's rule for a number flag (number_from_text): float() would read
            # "٣٠٠", "1_800", " 5 ", "inf" and "nan" too
            raw = env.get(name, "")
            if not raw.strip():
                return default  # unset, or set to nothing
            try:
                value = number_from_text(raw, whole=whole)
            except ValueError:
                value = 0
            if value <= 0:
                kind = "a positive whole number" if whole else "a positive number"
                form = WHOLE_NUMBER_FORM if whole else NUMBER_FORM
                raise WorkerConfigError(f"environment variable {name} must be {kind} ({form}), "
                                        f"got {one_line(repr(raw), limit=80)}")
            return value

        def url(name: str, default: str) -> str:
            raw = env.get(name, "").strip() or default
            parts = urlsplit(raw)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise WorkerConfigError(f"environment variable {name} must be an http(s) URL "
                                        f"such as {default}, got {shown_url(raw)!r}")
            return raw

        def url_expires() -> int:
            value = int(number("LTX2_S3_URL_EXPIRES", 3600, whole=True))
            if value > MAX_URL_EXPIRES:  # SigV4 (AWS, R2, MinIO) refuses the URL it signs
                raise WorkerConfigError(
                    f"environment variable LTX2_S3_URL_EXPIRES must be at most "
                    f"{MAX_URL_EXPIRES} seconds (7 days, S3's limit for a presigned URL), "
                    f"got {env['LTX2_S3_URL_EXPIRES'].strip()!r}")
            return value

        bucket = env.get("LTX2_S3_BUCKET", "").strip()
        s3 = S3Config(
            bucket=bucket, endpoint_url=env.get("LTX2_S3_ENDPOINT_URL") or None,
            region=env.get("LTX2_S3_REGION") or None,
            prefix=env.get("LTX2_S3_PREFIX", "ltx2/"),
            url_expires=url_expires(),
        ) if bucket else None
        try:
            input_policy = InputPolicy(
                max_bytes=int(number("LTX2_MAX_IMAGE_BYTES", InputPolicy.max_bytes, whole=True)),
                fetch_timeout=number("LTX2_IMAGE_FETCH_TIMEOUT", InputPolicy.fetch_timeout),
                max_pixels=int(number("LTX2_MAX_IMAGE_PIXELS", InputPolicy.max_pixels,
                                      whole=True)),
                max_audio_bytes=int(number("LTX2_MAX_AUDIO_BYTES", InputPolicy.max_audio_bytes,
                                           whole=True)),
                max_audio_seconds=number("LTX2_MAX_AUDIO_SECONDS",
                                         InputPolicy.max_audio_seconds),
                video=VideoLimits(
                    max_bytes=int(number("LTX2_MAX_VIDEO_BYTES", VideoLimits.max_bytes,
                                         whole=True)),
                    max_seconds=number("LTX2_MAX_VIDEO_SECONDS", VideoLimits.max_seconds),
                    max_frames=int(number("LTX2_MAX_VIDEO_FRAMES", VideoLimits.max_frames,
                                          whole=True)),
                    max_pixels=int(number("LTX2_MAX_VIDEO_PIXELS", VideoLimits.max_pixels,
                                          whole=True))),
                video_fetch_timeout=number("LTX2_VIDEO_FETCH_TIMEOUT",
                                           InputPolicy.video_fetch_timeout))
        except ValueError as exc:
            raise WorkerConfigError(str(exc)) from None
        return cls(
            comfy_url=url("COMFY_URL", cls.comfy_url),
            job_timeout=number("LTX2_JOB_TIMEOUT", cls.job_timeout),
            # unset: None (0 is never a value: a setting is positive)
            ready_timeout=number("LTX2_READY_TIMEOUT", 0.0) or None,
            result_limit_bytes=int(number("LTX2_RESULT_LIMIT_BYTES", RUNPOD_RESULT_LIMIT_BYTES,
                                          whole=True)),
            input_policy=input_policy,
            progress_interval=number("LTX2_PROGRESS_INTERVAL", 2.0),
            model_defaults={key: env[var] for key, var in MODEL_ENV.items() if env.get(var)},
            s3=s3,
        )


def parse_request(raw: Any, config: WorkerConfig) -> CheckedRequest:
    """Validate the job input, filling model files the environment sets as defaults."""
    if not isinstance(raw, dict):
        raise ValueError("input must be a JSON object")
    fields = dict(raw)
    for which in INPUT_FILES:
        if fields.get(which.file):
            # a server-side file name is fine for scripts, but a worker takes input files only
            # as data or by URL: never let a job read another job's upload
            raise ValueError(f"{which.file}: not accepted by the worker; use {which.url} or "
                             f"{which.base64}")
    request = GenerationRequest.model_validate(fields)
    # the environment's files are LTX-2 19B files: other models keep their own defaults
    if config.model_defaults and "models" not in fields and request.model == DEFAULT_MODEL:
        request = with_environment_files(request, config.model_defaults)
    # no pipeline for it, or not as asked: refused here, naming the field (and not again)
    return check_request(request)


def with_environment_files(request: GenerationRequest,
                           defaults: Mapping[str, str]) -> GenerationRequest:
    """``request`` loading the files the environment names, for the roles its pipeline has
    (a one-stage pipeline loads no upscaler, a fast one no distilled LoRA)."""
    files = pipeline_for(request).files
    used = {"text_encoder": True, "upscaler": files.upscaler is not None,
            "distilled_lora": files.distilled_lora is not None}
    chosen = {k: v for k, v in defaults.items() if used.get(k, False)}
    checkpoint = defaults.get(f"checkpoint_{request.mode}")
    if checkpoint:
        chosen["checkpoint"] = checkpoint
    return request.model_copy(update={"models": ModelSet.model_validate(chosen)})


class ProgressReporter:
    """Throttled ``progress_update`` calls: a stage change or ``interval`` seconds apart."""

    def __init__(self, send: Callable[[dict[str, Any]], None], interval: float) -> None:
        self.send = send
        self.interval = interval
        self._last_stage = ""
        self._last_time = 0.0

    def __call__(self, update: ProgressUpdate) -> None:
        now = time.monotonic()
        if update.stage == self._last_stage and now - self._last_time < self.interval:
            return
        self._last_stage, self._last_time = update.stage, now
        self.send({"stage": update.stage, "step": update.step, "steps": update.steps,
                   "percent": round(update.percent, 1)})


# a payload in a logged job: a value of a base64 field (``'video': '...'``, in a dict's repr
# or as JSON), and any other unbroken base64 text long enough to flood a log (a data URL)
_PAYLOAD_FIELD = re.compile(
    r"""(?P<key>(?P<q>['"])(?:video|\w*_base64)(?P=q)\s*:\s*)(?P<vq>['"])(?P<data>[^'"]+)(?P=vq)""")
_LONG_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{1024,}={0,2}")


def without_payloads(text: str) -> str:
    """``text`` with each base64 payload in it replaced by its size: a ``video`` or
    ``*_base64`` field's value (``'video': '<2.85 MiB base64>'``) and any other run of 1 KiB
    or more of base64 text. What is left is what the job was: fit for a log line."""
    def field(match: re.Match[str]) -> str:
        size = byte_size(len(match["data"]))
        return f"{match['key']}{match['vq']}<{size} base64>{match['vq']}"

    text = _PAYLOAD_FIELD.sub(field, text)
    return _LONG_BASE64.sub(lambda match: f"<{byte_size(len(match[0]))} base64>", text)


def keep_payloads_out_of_runpods_log() -> None:
    """Have runpod-python's logger write :func:`without_payloads` of each message.

    runpod-python logs a local job's input, each job's output twice (DEBUG, its default
    level) and a local run's result (INFO), every base64 video and image in them included
    (1.12 keeps 4 KiB of each such message: still a screen of base64). It has no setting for
    that but its level (``RUNPOD_LOG_LEVEL=INFO`` drops the DEBUG lines, not the result), so
    its one logger (a singleton every module shares) gets a wrapped ``log``. A runpod-python
    without that logger is left as it is.
    """
    try:
        from runpod.serverless.modules.rp_logger import RunPodLogger  # extra: [runpod]
    except ImportError:  # pragma: no cover - a runpod-python laid out otherwise
        return
    logger = RunPodLogger()
    write = logger.log

    def log(message: Any, *args: Any, **kwargs: Any) -> Any:  # level, job id: as runpod's
        return write(without_payloads(str(message)), *args, **kwargs)

    logger.log = log


def deliver(result: GenerationResult, config: WorkerConfig,
            deadline: Deadline | None = None) -> dict[str, Any]:
    """The job's output: inline base64 if the whole response fits, else a bucket URL uploaded
    by ``deadline`` (the job's: :class:`JobTimeoutError` when the upload outlasts it). Beside
    it, what was made: the result's metadata (``model``, the model id the request ran, first)."""
    meta = result.metadata()
    size = result.video.stat().st_size
    # the response is {"video": "<base64>", ...meta}: measure it exactly before encoding
    inline_size = len(json.dumps({"video": "", **meta})) + 4 * ((size + 2) // 3)
    if inline_size <= config.result_limit_bytes:
        video = base64.b64encode(result.video.read_bytes()).decode("ascii")
        return {"video": video, **meta}
    if config.s3 is None:
        return {"error": (
            f"the video is {byte_size(size)}, so the result ({byte_size(inline_size)} as "
            f"base64) is over RunPod's {byte_size(config.result_limit_bytes)} result limit and "
            "cannot be returned inline. Configure a bucket to receive a URL instead: set "
            "LTX2_S3_BUCKET (and LTX2_S3_ENDPOINT_URL for non-AWS storage, AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY, LTX2_S3_REGION). The file is still in ComfyUI's output "
            f"folder as {result.video.name}."), **meta}
    started = time.perf_counter()
    try:
        url = upload_to_bucket(result.video, config.s3, result.prompt_id, deadline=deadline)
    except JobTimeoutError:
        raise JobTimeoutError(f"the upload of the video to the bucket did not finish before "
                              f"the job's deadline (LTX2_JOB_TIMEOUT, {config.job_timeout:g} s)"
                              ) from None
    meta["timings"]["upload"] = round(time.perf_counter() - started, 3)
    return {"video_url": url, "video_bytes": size, **meta}


def upload_to_bucket(path: Path, s3: S3Config, prompt_id: str, *,
                     deadline: Deadline | None = None) -> str:
    """Multipart upload from disk (``video/mp4``); a presigned GET URL for the object.

    ``deadline``: the upload ends by it (:class:`JobTimeoutError`), whatever the endpoint does.
    """
    if deadline is None:
        return _upload(path, s3, prompt_id, None)
    if deadline.passed:
        raise JobTimeoutError("the deadline passed before the upload")
    # boto3 waits 60 s a read and retries, and its sockets are out of reach: the upload runs
    # on its own thread, its timeouts cut to what is left and no request sent past the end,
    # and the job stops waiting for it at the deadline
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["url"] = _upload(path, s3, prompt_id, deadline)
        except BaseException as exc:  # handed to the job's thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="ltx2-upload", daemon=True)
    thread.start()
    thread.join(deadline.left())
    if thread.is_alive():
        raise JobTimeoutError("the upload did not finish before the deadline")
    if "error" in outcome:
        raise outcome["error"]
    url: str = outcome["url"]
    return url


def _upload(path: Path, s3: S3Config, prompt_id: str, deadline: Deadline | None) -> str:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    config = None
    if deadline is not None:
        left = deadline.left(cap=60.0, floor=1.0)
        config = Config(connect_timeout=left, read_timeout=left)
    client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name=s3.region,
                          config=config)
    if deadline is not None:
        def stop_at_the_deadline(**_: Any) -> None:  # no request (nor retry) sent past it
            if deadline.passed:
                raise JobTimeoutError("the deadline passed during the upload")

        client.meta.events.register("before-send.s3", stop_at_the_deadline)
    key = f"{s3.prefix}{prompt_id}/{path.name}"
    client.upload_file(str(path), s3.bucket, key,
                       ExtraArgs={"ContentType": "video/mp4"},
                       Config=TransferConfig(multipart_threshold=8 * 1024 * 1024,
                                             multipart_chunksize=8 * 1024 * 1024,
                                             max_concurrency=4))
    url: str = client.generate_presigned_url("get_object", Params={"Bucket": s3.bucket,
                                                                  "Key": key},
                                             ExpiresIn=s3.url_expires)
    return url


def run_job(job: Mapping[str, Any], config: WorkerConfig, *,
            send_progress: Callable[[dict[str, Any]], None] | None = None,
            on_queued: Callable[[str], None] | None = None,
            cancel: threading.Event | None = None) -> dict[str, Any]:
    """One job from input to output dict (synchronous; :func:`handler` wraps it).

    Never raises: every failure is ``{"error": <one line>}``; an unexpected exception's
    traceback goes to the log only. ``cancel`` stops the job (a prompt not yet queued
    never is; a queued one is interrupted).
    """
    try:
        request = parse_request(job.get("input"), config)
    except RequestError as exc:  # already says "invalid request: ..."
        return {"error": str(exc)}
    except ValueError as exc:
        return {"error": f"invalid request: {exception_line(exc)}"}
    reporter = ProgressReporter(send_progress, config.progress_interval) if send_progress else None
    with tempfile.TemporaryDirectory(prefix="ltx2-job-") as workdir:
        deadline = Deadline.after(config.job_timeout)  # the whole job's, the upload's too
        try:
            client = ComfyClient(config.comfy_url)
            say_if_waiting(client, config)
            result = generate(request, client, output_dir=workdir,
                              on_progress=reporter, on_queued=on_queued,
                              timeout=config.job_timeout, ready_timeout=config.ready_timeout,
                              input_policy=config.input_policy, cancel=cancel)
            return deliver(result, config, deadline)
        except ServerUnreachableError as exc:
            return {"error": unreachable_comfyui(exc, config)}
        except (LTX2Error, ValueError) as exc:  # ValueError: a bad input file, named by field
            return {"error": exception_line(exc)}
        except Exception as exc:
            log.exception("job %s failed unexpectedly", job.get("id", "?"))
            return {"error": f"internal error ({type(exc).__name__}): {exception_line(exc)}"}


def say_if_waiting(client: ComfyClient, config: WorkerConfig) -> None:
    """When the job is about to wait for ComfyUI, one line on stderr (the worker's log)
    saying for how long: a ComfyUI that accepts and has not answered yet (still loading?) is
    waited for ``LTX2_READY_TIMEOUT`` or ``DEFAULT_READY_TIMEOUT``; a refused connection only
    when ``LTX2_READY_TIMEOUT`` is set (else the job fails in ``REFUSED_GRACE``, its error
    says so). One quick try; the wait itself, and its error, stay :func:`generate`'s."""
    try:
        client.wait_ready(timeout=0.5, refused_grace=0)  # refused: at once, not waited for
    except ServerUnreachableError as exc:
        # an unknown host fails at once, a refused one too unless a wait was asked for
        if exc.reason != UNKNOWN_HOST and config.ready_timeout is not None:
            _say_waiting(config.ready_timeout, config, exc.reason)
    except ServerUnavailableError:  # it accepted and has not answered yet (still loading?)
        _say_waiting(config.ready_timeout or DEFAULT_READY_TIMEOUT, config, "no answer yet")
    except (LTX2Error, ValueError):  # another answer: generate says what it is
        pass


def _say_waiting(seconds: float, config: WorkerConfig, why: str) -> None:
    print(f"runpod_handler: waiting up to {seconds:g} s for ComfyUI at "
          f"{shown_url(config.comfy_url)} ({why}); LTX2_READY_TIMEOUT sets the wait",
          file=sys.stderr, flush=True)


def unreachable_comfyui(exc: ServerUnreachableError, config: WorkerConfig) -> str:
    """The job's error when nobody answered at ``COMFY_URL``: a host name that does not
    resolve is the worker's set-up (``worker misconfigured:``, at once: a batch stops
    sending jobs to such an endpoint); a refused connection failed after ``REFUSED_GRACE``
    (the line says how to wait for a ComfyUI that is starting), or was waited for
    ``LTX2_READY_TIMEOUT`` when set (the line says so)."""
    if exc.reason == UNKNOWN_HOST:
        return f"{WORKER_MISCONFIGURED} COMFY_URL: {exception_line(exc)}"
    if config.ready_timeout is None:
        return (f"{exception_line(exc)}; is it running? LTX2_READY_TIMEOUT=SECONDS makes each "
                "job wait for a ComfyUI that is starting")
    return (f"{exception_line(exc)}; the worker waits LTX2_READY_TIMEOUT "
            f"({config.ready_timeout:g} s) for the ComfyUI beside it to start")


async def handler(job: dict[str, Any]) -> dict[str, Any]:
    """RunPod's entry point. Cancelling the job stops it: a prompt not yet queued on ComfyUI
    never is, a queued one is interrupted."""
    try:
        config = WorkerConfig.from_env()
    except WorkerConfigError as exc:
        return {"error": f"{WORKER_MISCONFIGURED} {exc}"}
    cancel = threading.Event()

    def progress(data: dict[str, Any]) -> None:
        if os.environ.get("RUNPOD_WEBHOOK_POST_OUTPUT"):  # on RunPod: visible in /status
            import runpod

            runpod.serverless.progress_update(job, data)
        else:  # a local --test_input run has no endpoint to post to
            print(f"progress: {json.dumps(data)}", file=sys.stderr, flush=True)

    try:
        return await asyncio.to_thread(run_job, job, config, send_progress=progress,
                                       cancel=cancel)
    except asyncio.CancelledError:
        cancel.set()  # the worker thread interrupts the prompt, or never queues it
        raise


def main() -> None:
    try:
        WorkerConfig.from_env()  # a bad setting is said once, at start-up
    except WorkerConfigError as exc:
        sys.exit(f"runpod_handler: {exc}")
    try:
        import runpod
    except ModuleNotFoundError:
        sys.exit("runpod_handler: the RunPod SDK is not installed: pip install 'ltx2sdk[runpod]'")
    keep_payloads_out_of_runpods_log()
    runpod.serverless.start({"handler": handler})


if __name__ == "__main__":
    main()
