"""Turning a request into the exact numbers a pipeline runs with.

LTX-2 needs frame counts of 8n+1 and sizes whose first-stage latent is whole: multiples of
32 for one stage, 64 for two (stage 1 runs at half size). ComfyUI's nodes silently floor
anything else (the official template turns 1280x720 into 1280x704 without saying so). Here
the nearest valid values are chosen up front and every change is written into
``Plan.adjustments``. Defaults (model files, negative prompt, first-frame strength) come from
the request's pipeline declaration (:mod:`builders.catalog`) unless the request sets them.

One rule for a value the request sets that its pipeline has no use for (``negative_prompt``
at CFG 1, ``image_strength`` on t2v, ``camera_strength`` with no camera LoRA,
``models.distilled_lora_strength`` with no distilled LoRA): a note in ``Plan.adjustments``
(``image_strength is not used by ltx-2 t2v fast (it has no input image)``), so Python, the
worker and the CLI all say it. Asking for something the model cannot make (a camera motion
it has no LoRA for) is refused instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from ltx2sdk import model_files as models
from ltx2sdk.errors import RequestFieldError
from ltx2sdk.vocabulary import (
    DEFAULT_DURATION_S,
    FIRST_IMAGE,
    MAX_DURATION_S,
    MAX_FRAMES,
    MIN_FRAMES,
    check_length,
)

from .catalog import (
    PIPELINES,
    AddGuide,
    CheckpointFiles,
    ControlCut,
    FirstFrameInplace,
    GivenAudio,
    LoraFile,
    LoraRole,
    ModelFiles,
    Negative,
    Pipeline,
    SplitFiles,
    pipeline_for,
)
from .catalog.ltx2_5_api import BY_KEY as PARTNER_PIPELINES
from .catalog.ltx2_5_api import PartnerPipeline
from .catalog.types import PipelineKey
from .partner import check_partner_request, partner_choices

if TYPE_CHECKING:  # the request module (pydantic) loads with the first request, not here
    from ltx2sdk.request import GenerationRequest

SIZE_MULTIPLE = 64  # two stages: stage 1 runs at half size, latents are 1/32 of pixels
MIN_SIZE = 128
_STAGE_COUNT_WORDS = {1: "one-stage", 2: "two-stage", 3: "three-stage"}


class VideoFacts(Protocol):
    """What a build needs to know of a given control video (an
    :class:`ltx2sdk.media.video.VideoData` is one; the builders do not import media)."""

    @property
    def fps(self) -> float: ...
    @property
    def frames(self) -> int: ...
    @property
    def duration(self) -> float: ...
    @property
    def width(self) -> int: ...


@dataclass(frozen=True)
class ResolvedModels:
    """The model files a build loads: the pipeline's, with the request's choices applied."""

    files: ModelFiles
    """The loaders' files (checkpoint or split files, text encoder, upscaler)."""
    distilled_lora: LoraFile | None
    """For stages that apply :attr:`LoraRole.DISTILLED` (None: the pipeline has none)."""
    camera_lora: LoraFile | None
    """For stages that apply :attr:`LoraRole.CAMERA` (None: no camera motion)."""
    control_lora: LoraFile | None = None
    """For stages that apply :attr:`LoraRole.CONTROL` (the pipeline's IC-LoRA)."""
    identity_lora: LoraFile | None = None
    """For stages that apply :attr:`LoraRole.IDENTITY` (the pipeline's ID-LoRA)."""
    user_loras: tuple[LoraFile, ...] = ()
    """The request's own LoRAs (``loras``), in its order: on every stage's model."""

    def lora(self, role: LoraRole) -> LoraFile | None:
        """The file of a LoRA role (None: this build applies none)."""
        return {LoraRole.DISTILLED: self.distilled_lora, LoraRole.CAMERA: self.camera_lora,
                LoraRole.CONTROL: self.control_lora,
                LoraRole.IDENTITY: self.identity_lora}[role]


@dataclass(frozen=True)
class InputVideoMap:
    """Which part of a control video (canny2v, depth2v) is used and how it maps to the
    output: frames :attr:`first_frame` to :attr:`last_frame` of the video become the output's
    :attr:`frames` frames, played at :attr:`output_fps`. What is not known here (a file
    already on the server, an offline build of a name) is None."""

    start_s: float
    """``video_start``: where the used part begins, in seconds."""
    first_frame: int
    """The video's frame the part begins at (counted at :attr:`source_fps`; at
    :attr:`output_fps` when that is not known)."""
    frames: int
    """Frames used: one per output frame."""
    output_fps: int
    source_fps: float | None
    """The video's own frame rate (None: not known here)."""
    source_frames: int | None
    """The frames the whole video has (None: not known here)."""
    cut: str
    """``"frames"``: the pipeline takes frames by index (``ImageFromBatch``); ``"seconds"``:
    it cuts by time (``Video Slice``), :attr:`cut_seconds` from :attr:`start_s`."""
    cut_seconds: float | None = None
    name: str | None = None
    """The video's file name when the request names one (``video``)."""

    @property
    def last_frame(self) -> int:
        return self.first_frame + self.frames - 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every field, and ``last_frame``."""
        return {"name": self.name, "start_s": self.start_s, "first_frame": self.first_frame,
                "last_frame": self.last_frame, "frames": self.frames,
                "source_fps": self.source_fps, "source_frames": self.source_frames,
                "output_fps": self.output_fps, "cut": self.cut,
                "cut_seconds": self.cut_seconds}

    def describe(self) -> str:
        """``frames 30-54 of clip.mp4 (30 fps, 96 frames) -> 25 frames at 24 fps``; when the
        video's frame rate is not known, the start in seconds and what the frames assume."""
        name = self.name or "the video"
        if self.source_fps is None:
            return (f"{self.frames} frames from {self.start_s:g} s of {name} (its frame rate "
                    f"is not known here: frames {self.first_frame}-{self.last_frame} if it is "
                    f"{self.output_fps} fps) -> {self.frames} frames at {self.output_fps} fps")
        total = f", {self.source_frames} frames" if self.source_frames is not None else ""
        return (f"frames {self.first_frame}-{self.last_frame} of {name} "
                f"({self.source_fps:g} fps{total}) -> {self.frames} frames at "
                f"{self.output_fps} fps")


@dataclass(frozen=True)
class Plan:
    """What will be produced. ``width``/``height``/``frames`` are the real output."""

    type: str
    mode: str
    prompt: str
    negative_prompt: str | None
    width: int
    height: int
    frames: int
    fps: int
    seed: int
    enhance_prompt: bool
    camera: str
    camera_strength: float
    image_strength: float
    filename_prefix: str
    models: ResolvedModels | None
    """None: the pipeline loads no model files (a partner node's, :mod:`builders.partner`)."""
    requested_width: int
    requested_height: int
    adjustments: tuple[str, ...] = ()
    model: str = "ltx-2"
    stage_count: int = 2
    video_start_frame: int | None = None
    """The control video's frame the used part begins at, its frames counted as decoded
    (``ImageFromBatch.batch_index``); None: the pipeline takes no video. The part is
    :attr:`frames` long."""
    video_start_seconds: float | None = None
    """Where the used part of the control video begins, in seconds (``video_start``)."""
    video_seconds: float | None = None
    """For a pipeline that cuts the control video by time (``Video Slice``, LTX-2.3): the
    seconds cut from :attr:`video_start_seconds`, :attr:`frames` of the video's own frame
    rate (and half a frame, so that rounding cannot lose one); the latent is as long as the
    frames that cut holds (floored to 8n+1), as in the template. None otherwise."""
    video_width: int | None = None
    """The control video's width when known (a pipeline may limit wide frames)."""
    input_video: InputVideoMap | None = None
    """How the control video maps to the output (None: the pipeline takes no video)."""

    @property
    def duration(self) -> float:
        """Seconds of video: (frames - 1) / fps, as LTX-2 counts them."""
        return (self.frames - 1) / self.fps

    @property
    def stage1_size(self) -> tuple[int, int]:
        """Stage 1 samples at half resolution per later stage; each upsampling doubles it."""
        scale = 2 ** (self.stage_count - 1)
        return self.width // scale, self.height // scale


def snap_size(value: int, multiple: int = SIZE_MULTIPLE) -> int:
    """The nearest multiple of ``multiple`` (at least 128)."""
    return max(MIN_SIZE, round(value / multiple) * multiple)


def snap_frames(count: float) -> int:
    """The nearest 8n+1 frame count to ``count`` (at least 9)."""
    return max(9, 8 * round((count - 1) / 8) + 1)


@dataclass(frozen=True)
class CheckedRequest:
    """A request :func:`check_request` found makeable, with the pipeline that makes it.

    :func:`make_plan`, :func:`~builders.build` and ``generate()`` take it as it is: an entry
    point that checked a request before fetching its inputs hands on this, and the request
    is not checked again. Made by :func:`check_request` only."""

    request: GenerationRequest
    pipeline: Pipeline | PartnerPipeline


def check_request(request: GenerationRequest,
                  pipeline: Pipeline | PartnerPipeline | None = None) -> CheckedRequest:
    """``request`` with the pipeline it asks for (or ``pipeline``), once the request is known
    to be makeable with it: its length fits at the pipeline's frame rate, it asks for no
    camera LoRA the model lacks and its model files fit. Otherwise a
    :class:`~ltx2sdk.errors.RequestFieldError` (an :class:`~ltx2sdk.errors.UnknownPipelineError`
    for a missing pipeline) naming the field. Cheap and offline: entry points call it before
    fetching inputs or reaching a server, and hand on what it returns."""
    if pipeline is None:
        pipeline = PARTNER_PIPELINES.get(PipelineKey(request.model, request.type, request.mode)
                                         ) or pipeline_for(request)
    elif (request.model, request.type, request.mode) != pipeline.key:
        raise ValueError(f"a {request.model} {request.type} {request.mode} request cannot run "
                         f"pipeline {pipeline.name}")
    if isinstance(pipeline, PartnerPipeline):  # no model files, the node's own choices
        check_partner_request(request, pipeline)
        return CheckedRequest(request, pipeline)
    check_length(request.frames, request.duration,
                 request.fps if request.fps is not None else pipeline.fps)
    if ("camera_lora" in request.model_fields_set and request.camera_lora != "none"
            and LoraRole.CAMERA not in pipeline.lora_roles):
        raise RequestFieldError("camera_lora", f"{_without_camera(pipeline)} has no camera "
                                               "LoRAs (use 'none')")
    _check_model_files(request, pipeline)
    return CheckedRequest(request, pipeline)


def checked(request: GenerationRequest | CheckedRequest,
            pipeline: Pipeline | PartnerPipeline | None = None) -> CheckedRequest:
    """``request`` checked for ``pipeline`` (default: the one it asks for), as it is when it
    is a :class:`CheckedRequest` for that pipeline already."""
    if isinstance(request, CheckedRequest):
        if pipeline is None or pipeline is request.pipeline:
            return request
        request = request.request
    return check_request(request, pipeline)


def _check_model_files(request: GenerationRequest, pipeline: Pipeline) -> None:
    """The request's model file choices fit the pipeline: a role it loads, a file of its
    kind (LTX-2.5's split files, or the others' checkpoint-based ones)."""
    choice, files, name = request.models, pipeline.files, pipeline.model.name
    split = isinstance(files, SplitFiles)
    roles = {"checkpoint": not split, "upscaler": files.upscaler is not None,
             "distilled_lora": files.distilled_lora is not None, "text_encoder": True}
    folders = {"checkpoint": "checkpoints", "upscaler": "latent_upscale_models",
               "distilled_lora": "loras", "text_encoder": "text_encoders"}
    for role, used in roles.items():
        given = getattr(choice, role)
        if given is None:
            continue
        field = f"models.{role}"
        if not used:
            raise RequestFieldError(field, f"{name} {pipeline.type} {pipeline.mode} loads no "
                                           f"{role.replace('_', ' ')}")
        entry = models.lookup(folders[role], given)
        if entry is not None and (entry.model == "ltx-2.5") != split:
            raise RequestFieldError(field, f"{given} is a {entry.model} file; "
                                           f"{name} cannot load it")


def make_plan(request: GenerationRequest | CheckedRequest,
              pipeline: Pipeline | PartnerPipeline | None = None, *,
              rng: random.Random | None = None, audio_seconds: float | None = None,
              video: VideoFacts | None = None) -> Plan:
    """Resolve sizes, length, seed and model files; record every adjustment made.

    ``audio_seconds`` is the length of a given audio (ia2v): the video is as long (the
    8n+1 frames that fit in it, at most :data:`~ltx2sdk.vocabulary.MAX_DURATION_S`) unless the
    request sets its length.

    ``video`` is what is known of a given control video (canny2v, depth2v). A control
    pipeline makes the request's length, else its template's (121 frames), at most the frames
    the video has from ``video_start`` (floored to 8n+1, said in the adjustments); a
    ``video_start`` at or after its end is a :class:`~ltx2sdk.errors.RequestFieldError`. The
    output plays at the pipeline's frame rate whatever the video's (said when they differ).
    Without ``video`` (a file already on the server, an offline build) the start frame is
    ``video_start`` times the output frame rate, and the length is not capped. A pipeline
    that cuts its video by time (``Video Slice``, LTX-2.3's union control) cuts the planned
    frames' seconds at the video's frame rate (the output's when it is not known, said in the
    adjustments) from ``video_start`` seconds.

    ``pipeline`` is the declaration to plan for (default: the one the request asks for).
    """
    ok = checked(request, pipeline)
    request, chosen = ok.request, ok.pipeline
    if isinstance(chosen, PartnerPipeline):
        return _partner_plan(request, chosen, rng)
    pipeline = chosen
    fps = request.fps if request.fps is not None else pipeline.fps
    notes: list[str] = []
    multiple = pipeline.size_multiple
    width, height = snap_size(request.width, multiple), snap_size(request.height, multiple)
    if (width, height) != (request.width, request.height):
        stages = _STAGE_COUNT_WORDS.get(len(pipeline.stages), f"{len(pipeline.stages)}-stage")
        why = f"{stages} LTX-2 needs multiples of {multiple}"
        if pipeline.control is not None and pipeline.control.reference_downscale > 1:
            why = (f"{stages} LTX-2 with a guide at 1/{pipeline.control.reference_downscale} "
                   f"size (the IC-LoRA's) needs multiples of {multiple}")
        notes.append(f"size {request.width}x{request.height} -> {width}x{height} ({why})")

    # (a voice to speak with, id2v, does not set the length: the prompt's speech does)
    follows_audio = (isinstance(pipeline.audio, GivenAudio) and audio_seconds is not None
                     and request.frames is None and request.duration is None)
    if request.frames is not None:
        wanted = float(request.frames)
    elif follows_audio:
        assert audio_seconds is not None
        # as long as the audio, within the longest video and the audio latent's frames
        longest = min(MAX_DURATION_S, (MAX_FRAMES - 1) / fps)
        seconds = min(audio_seconds, longest)
        wanted = seconds * fps + 1
    elif pipeline.control is not None and request.duration is None:
        wanted = float(pipeline.control.default_frames)  # the template's "Frame Count"
    else:
        wanted = (request.duration or DEFAULT_DURATION_S) * fps + 1
    # no longer than a given audio (floor to 8n+1); otherwise the nearest 8n+1
    frames = max(9, 8 * int((wanted - 1) // 8) + 1) if follows_audio else snap_frames(wanted)
    if follows_audio:  # one note for the length, whether the audio fits or is cut
        assert audio_seconds is not None
        covered = (frames - 1) / fps
        if audio_seconds > min(MAX_DURATION_S, (MAX_FRAMES - 1) / fps):
            notes.append(f"length {frames} frames ({covered:g} s): the audio is "
                         f"{audio_seconds:g} s, longer than a video can be, so the video "
                         f"covers its first {covered:g} s")
        else:
            notes.append(f"length {frames} frames ({covered:g} s): as long as the audio, in "
                         "the 8n+1 frames LTX-2 needs")
        wanted = frames  # said above: no rounding note
    if frames > MAX_FRAMES >= frames - 8:  # rounding up crossed the limit: round down
        frames -= 8
    if frames != wanted:
        notes.append(f"frames {wanted:g} -> {frames} (LTX-2 needs 8n+1 frames)")
    if frames > MAX_FRAMES:  # the request model refuses these; only unvalidated requests get here
        raise ValueError(f"frames: {frames} is more than the {MAX_FRAMES} the audio "
                         "latent allows")
    start_frame = start_seconds = cut_seconds = None
    mapping = None
    if pipeline.control is not None:
        by_time = pipeline.control.cut is ControlCut.SECONDS
        start_frame, frames = _control_frames(request.video_start, frames, fps, video, notes,
                                              by_time=by_time)
        start_seconds = float(request.video_start)
        if by_time:
            source_fps = video.fps if video is not None else fps
            cut_seconds = round((frames + 0.5) / source_fps, 3)  # Video Slice's step: 1 ms
        mapping = InputVideoMap(
            start_s=start_seconds, first_frame=start_frame, frames=frames, output_fps=fps,
            source_fps=video.fps if video is not None else None,
            source_frames=video.frames if video is not None else None,
            cut="seconds" if by_time else "frames", cut_seconds=cut_seconds,
            name=request.video)

    seed = request.seed if request.seed is not None else (rng or random.SystemRandom()).randrange(
        0, 2**32)
    negative_prompt = None  # CFG-1 pipelines do not encode one: it would have no effect
    if pipeline.negative is Negative.PROMPT:
        negative_prompt = (request.negative_prompt if request.negative_prompt is not None
                           else pipeline.default_negative_prompt)
    camera = request.camera_lora
    if camera != "none" and LoraRole.CAMERA not in pipeline.lora_roles:
        camera = "none"  # the request's default camera motion: not for this model
    image_strength = request.image_strength
    first_strength = first_image_strength(pipeline)
    if first_strength is not None and "image_strength" not in request.model_fields_set:
        image_strength = first_strength
    notes += _unused_values(request, pipeline, camera)
    return Plan(
        type=request.type,
        mode=request.mode,
        prompt=request.prompt,
        negative_prompt=negative_prompt,
        width=width,
        height=height,
        frames=frames,
        fps=fps,
        seed=seed,
        enhance_prompt=request.enhance_prompt,
        camera=camera,
        camera_strength=request.camera_strength,
        image_strength=image_strength,
        filename_prefix=request.filename_prefix,
        models=_resolve_models(request, pipeline, camera, request.camera_strength),
        requested_width=request.width,
        requested_height=request.height,
        adjustments=tuple(notes),
        model=pipeline.model.id,
        stage_count=len(pipeline.stages),
        video_start_frame=start_frame,
        video_start_seconds=start_seconds,
        video_seconds=cut_seconds,
        video_width=video.width if video is not None else None,
        input_video=mapping,
    )


def _partner_plan(request: GenerationRequest, pipeline: PartnerPipeline,
                  rng: random.Random | None) -> Plan:
    """The plan of a partner node's pipeline (:mod:`builders.partner`): its choices nearest
    the request's; ``frames`` is ``duration * fps + 1``, the SDK's count of that length."""
    made = partner_choices(request, pipeline)
    seed = request.seed if request.seed is not None else (
        rng or random.SystemRandom()).randrange(0, 2**32)  # (the node's seed is 32-bit)
    return Plan(
        type=request.type, mode=request.mode, prompt=request.prompt, negative_prompt=None,
        width=made.width, height=made.height, frames=made.duration * made.fps + 1,
        fps=made.fps, seed=seed, enhance_prompt=False, camera="none", camera_strength=0.0,
        image_strength=1.0, filename_prefix=request.filename_prefix, models=None,
        requested_width=request.width, requested_height=request.height,
        adjustments=made.adjustments, model=pipeline.model.id, stage_count=1)


def _control_frames(start: float, frames: int, fps: int, video: VideoFacts | None,
                    notes: list[str], *, by_time: bool = False) -> tuple[int, int]:
    """``(start frame, frames)`` of a control video's used part: ``frames`` (8n+1) from
    ``start`` seconds, fewer when the video ends first (see :func:`make_plan`); notes added
    to ``notes``. ``by_time``: the pipeline cuts the video by seconds (``Video Slice``), and
    its length follows the frames the cut holds."""
    if video is None:
        start_frame = round(start * fps)
        if by_time:
            notes.append(f"the video's frame rate is not known here: the cut is "
                         f"{(frames + 0.5) / fps:.3f} s, {frames} frames if it is {fps} fps "
                         "(the video's length follows the frames it holds)")
        elif start_frame:
            notes.append(f"video_start {start:g} s is frame {start_frame} at {fps} fps (the "
                         "video's own frame rate is not known here)")
        return start_frame, frames
    start_frame = round(start * video.fps)
    if start_frame >= video.frames:
        raise RequestFieldError("video_start", f"{start:g} s is at or after the end of the "
                                               f"video ({video.duration:.2f} s)")
    left = video.frames - start_frame
    if left < MIN_FRAMES:
        where = f"from {start:g} s" if start_frame else "in all"
        raise RequestFieldError("video_start" if start_frame else "video",
                                f"the video has {left} frames {where}; at least {MIN_FRAMES} "
                                "are needed")
    if frames > left:
        capped = 8 * ((left - 1) // 8) + 1
        notes.append(f"frames {frames} -> {capped}: the video has {left} frames from "
                     f"{start:g} s (LTX-2 needs 8n+1 frames)")
        frames = capped
    if abs(video.fps - fps) > 0.01:
        notes.append(f"the video is {video.fps:g} fps; its frames play at {fps} fps")
    return start_frame, frames


def first_image_strength(pipeline: Pipeline) -> float | None:
    """The strength the first image goes in at before the first stage, as the pipeline
    declares it (the in-place first frame's, or flf2v's frame-0 guide's: ``LTXVAddGuide``
    has a ``strength`` input in every bundled release); None when it takes no image. A
    request's ``image_strength`` replaces it."""
    for guide in pipeline.guides:
        if isinstance(guide, FirstFrameInplace):
            return guide.strength
        if isinstance(guide, AddGuide) and guide.image == FIRST_IMAGE:
            return guide.strength
    return None


def _unused_values(request: GenerationRequest, pipeline: Pipeline, camera: str) -> list[str]:
    """A note for each value the request sets that ``pipeline`` does not use (see the
    module's rule), naming the field and why."""
    given = request.model_fields_set
    unused: list[tuple[str, str]] = []
    if "negative_prompt" in given and pipeline.negative is not Negative.PROMPT:
        unused.append(("negative_prompt", "it samples at CFG 1"))
    if "image_strength" in given and pipeline.reference is not None:
        unused.append(("image_strength", "its image is a reference sheet, not a first frame"))
    elif "image_strength" in given and first_image_strength(pipeline) is None:
        unused.append(("image_strength", "it has no input image"))
    elif ("image_strength" in given and not FIRST_IMAGE.needed_by(pipeline.type)
          and not FIRST_IMAGE.given(request)):
        unused.append(("image_strength", "no image is given"))
    if "camera_strength" in given:
        if LoraRole.CAMERA not in pipeline.lora_roles:
            unused.append(("camera_strength",
                           f"{_without_camera(pipeline, named=False)} has no camera LoRAs"))
        elif models.camera_lora(camera) is None:
            unused.append(("camera_strength", f"no camera LoRA: camera_lora {camera}"))
    if ("distilled_lora_strength" in request.models.model_fields_set
            and pipeline.files.distilled_lora is None):
        unused.append(("models.distilled_lora_strength", "it loads no distilled LoRA"))
    return [f"{field} is not used by {pipeline.key} ({why})" for field, why in unused]


def _without_camera(pipeline: Pipeline, *, named: bool = True) -> str:
    """What has no camera LoRAs: ``pipeline``'s model (its name, or with ``named`` False its
    id) when none of its pipelines has any, else the pipeline (ltx-2 i2v lora, as its
    template)."""
    if any(LoraRole.CAMERA in other.lora_roles for other in PIPELINES
           if other.model == pipeline.model):
        return str(pipeline.key)
    return pipeline.model.name if named else pipeline.model.id


def _resolve_models(request: GenerationRequest, pipeline: Pipeline, camera: str,
                    camera_strength: float) -> ResolvedModels:
    """The pipeline's files, each replaced by the request's choice where it makes one."""
    choice, files = request.models, pipeline.files
    if isinstance(files, CheckpointFiles):  # (check_request refused a checkpoint otherwise)
        files = replace(files, checkpoint=choice.checkpoint or files.checkpoint)
    files = replace(files, text_encoder=choice.text_encoder or files.text_encoder)
    if files.upscaler is not None:
        files = replace(files, upscaler=choice.upscaler or files.upscaler)
    distilled = pipeline.files.distilled_lora
    if distilled is not None:
        strength = (choice.distilled_lora_strength
                    if "distilled_lora_strength" in choice.model_fields_set
                    else distilled.strength)
        distilled = LoraFile(choice.distilled_lora or distilled.name, strength)
    lora = models.camera_lora(camera)
    return ResolvedModels(files=files, distilled_lora=distilled,
                          camera_lora=LoraFile(lora, camera_strength) if lora else None,
                          control_lora=pipeline.files.control_lora,
                          identity_lora=pipeline.files.identity_lora,
                          user_loras=tuple(LoraFile(choice.name, choice.strength)
                                           for choice in request.loras))
