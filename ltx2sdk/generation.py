"""``generate()``: the one path from a request to a video file.

Scripting, ``ltx2 generate`` and the RunPod handler all call it: validate the
request, prepare the i2v image, build the graph, check it against the server,
run it with progress, download the video, and report what was made.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import ComfyClient, OutputFile
from .errors import OutputError
from .events import Event
from .images import DEFAULT_MAX_IMAGE_BYTES, ImageData, fetch_image, image_from_base64
from .progress import ProgressCallback, ProgressTracker
from .request import GenerationRequest


@dataclass(frozen=True)
class ImagePolicy:
    """Limits for i2v images given by URL or base64."""

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    fetch_timeout: float = 20.0
    trusted_hosts: tuple[str, ...] = ()  # exempt from the public-address check


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
    adjustments: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[OutputFile, Path] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """JSON-ready description (what the RunPod handler returns beside the video)."""
        return {
            "prompt_id": self.prompt_id, "seed": self.seed, "width": self.width,
            "height": self.height, "frames": self.frames, "fps": self.fps,
            "duration": round(self.duration, 3), "mode": self.mode, "type": self.type,
            "adjustments": list(self.adjustments),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


class _Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._last
        self._last = now


def prepare_image(request: GenerationRequest, policy: ImagePolicy) -> ImageData | None:
    """The checked i2v image of ``request`` (``None`` when it names a server file or is t2v)."""
    if request.image_base64 is not None:
        return image_from_base64(request.image_base64, max_bytes=policy.max_bytes)
    if request.image_url is not None:
        return fetch_image(request.image_url, max_bytes=policy.max_bytes,
                           timeout=policy.fetch_timeout, trusted_hosts=policy.trusted_hosts)
    return None


def generate(request: GenerationRequest | Mapping[str, Any],
             server: str | ComfyClient = "http://127.0.0.1:8188", *,
             output: Path | str | None = None, output_dir: Path | str = ".",
             on_progress: ProgressCallback | None = None,
             on_event: Callable[[Event], None] | None = None,
             on_queued: Callable[[str], None] | None = None,
             timeout: float = 3600.0, ready_timeout: float = 30.0,
             image_policy: ImagePolicy | None = None) -> GenerationResult:
    """Generate one video and return where it is and what it is.

    ``request`` is a :class:`GenerationRequest` or a mapping of its fields (validated).
    ``output`` is the video's path (default: the server's file name in ``output_dir``);
    other files the graph produces are downloaded into ``output_dir`` too.
    ``on_progress`` gets :class:`~ltx2sdk.progress.ProgressUpdate` s, ``on_event`` the raw
    events. ``timeout`` bounds the run; ``ready_timeout`` the wait for the server.
    Raises :class:`pydantic.ValidationError` for a bad request and
    :class:`~ltx2sdk.errors.LTX2Error` subclasses for everything else.
    """
    from builders import build  # the builders package sits beside ltx2sdk

    timer = _Timer()
    if not isinstance(request, GenerationRequest):
        request = GenerationRequest.model_validate(dict(request))
    client = server if isinstance(server, ComfyClient) else ComfyClient(server)
    image = prepare_image(request, image_policy or ImagePolicy())
    timer.lap("prepare")

    client.wait_ready(timeout=ready_timeout)
    image_name = None
    if image is not None:  # a unique name: concurrent jobs never share an input file
        image_name = client.upload_image(image.data, image.filename(f"ltx2sdk_{uuid.uuid4().hex}"))
    # written for this server's ComfyUI release, and checked by its rules before queueing
    result = build(request, image_name=image_name, schemas=client.schemas())
    timer.lap("build")

    tracker = ProgressTracker(result.graph, on_progress) if on_progress else None

    def dispatch(event: Event) -> None:
        if tracker is not None:
            tracker(event)
        if on_event is not None:
            on_event(event)

    run = client.run(result.graph, output_dir=None, on_event=dispatch, timeout=timeout,
                     on_queued=on_queued)
    timer.lap("run")

    destination = Path(output_dir)
    client.download_all(run, destination)
    videos = [f for f in run.outputs if f.filename.lower().endswith((".mp4", ".webm", ".mov"))]
    if not videos:
        raise OutputError(f"prompt {run.prompt_id} finished without a video output "
                          f"(outputs: {[f.filename for f in run.outputs] or 'none'})")
    video_path = run.files[videos[0]]
    if output is not None:
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        video_path = video_path.replace(target)
        run.files[videos[0]] = video_path
    timer.lap("download")

    plan = result.plan
    return GenerationResult(
        video=video_path, prompt_id=run.prompt_id, seed=plan.seed, width=plan.width,
        height=plan.height, frames=plan.frames, fps=plan.fps, duration=plan.duration,
        mode=plan.mode, type=plan.type, adjustments=plan.adjustments, timings=timer.timings,
        outputs=dict(run.files))
