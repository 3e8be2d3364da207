"""What a pipeline declaration is made of.

A :class:`Pipeline` states everything that tells one LTX pipeline from another: its
model, type and mode, the model files it loads by role, its sampling stages, how a given
image is prepared and guides the video, how the result is decoded, the oldest ComfyUI that runs
it and the official template it matches. :func:`builders.pipelines.compose` turns any
declaration into a graph with the stage functions of :mod:`builders.stages`; nothing there
knows which pipeline it is building.

Every value is typed: a schedule is :class:`ManualSigmas` or :class:`LTXVSchedule`, the sampler
output a stage passes on is a :class:`LatentSlot`, the LoRAs a stage applies are
:class:`LoraRole` names; models, video types, modes and the given images are the words of
:mod:`ltx2sdk.vocabulary`. Each type checks itself when made, so a wrong entry fails when the
catalog is imported, not in a graph on a server.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, NamedTuple

from ltx2sdk.graph.releases import parse_version
from ltx2sdk.vocabulary import (
    AUDIO,
    FIRST_IMAGE,
    IMAGE_INPUTS,
    MODEL_IDS,
    MODES,
    VIDEO,
    VIDEO_TYPES,
    InputFile,
    Mode,
    VideoTypeId,
)

LATENT_PIXELS = 32
"""Pixels per latent cell along each axis: a one-stage pipeline needs multiples of 32."""
UPSCALE_FACTOR = 2
"""Each stage after the first refines the previous one's video latent upscaled this much."""


class _Named(str, Enum):
    """A string enum that prints (and formats) as its value."""

    def __str__(self) -> str:
        return str(self.value)


IMAGES_OF_TYPE: dict[VideoTypeId, frozenset[InputFile]] = {
    kind: frozenset(image for image in IMAGE_INPUTS if kind in image.types)
    for kind in VIDEO_TYPES}
"""The images a pipeline of each type is guided by (the input images its requests carry)."""


class LatentSlot(_Named):
    """An output of ``SamplerCustomAdvanced``."""

    OUTPUT = "output"
    DENOISED_OUTPUT = "denoised_output"


class Negative(_Named):
    """What the guiders get as negative conditioning (values as the template summary says)."""

    PROMPT = "negative prompt"  # the encoded negative prompt (pipelines with real CFG)
    POSITIVE = "positive"  # the positive conditioning itself (CFG 1: no effect)
    ZEROED_POSITIVE = "zeroed positive"  # ConditioningZeroOut of the positive (CFG 1)


class LoraRole(_Named):
    """A LoRA a stage applies to the diffusion model, by what it is for."""

    DISTILLED = "distilled"  # the files' distilled LoRA: dev-model refine stages
    CAMERA = "camera"  # the request's camera-motion LoRA
    CONTROL = "control"  # the files' IC-LoRA: it reads the control frames (or sheet)
    IDENTITY = "identity"  # the files' ID-LoRA: it keeps the voice of a reference recording


@dataclass(frozen=True)
class ModelVersion:
    """A model (LTX-2 19B, LTX-2.3, ...): what its pipelines share."""

    id: str
    """What requests call it (``"ltx-2"``)."""
    name: str
    """What people call it (``"LTX-2 19B"``)."""
    negative_prompt: str
    """The negative prompt of its templates, used when a request gives none."""
    gpu_memory: str = "not published"
    """The GPU memory Lightricks says it needs in ComfyUI (``"32 GB+"``)."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", self.id):
            raise ValueError(f"model id {self.id!r}: lower-case letters, digits, '.', '-'")
        if self.id not in MODEL_IDS:  # the request field `model` offers exactly these
            raise ValueError(f"model id {self.id!r} is not one of ltx2sdk.vocabulary."
                             f"MODEL_IDS {MODEL_IDS}")


# ---------------------------------------------------------------------------- sampling


@dataclass(frozen=True)
class SamplerSelect:
    """A sampler chosen by name (``KSamplerSelect``)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a sampler needs a name")


@dataclass(frozen=True)
class EulerAncestral:
    """The euler_ancestral sampler with its settings (``SamplerEulerAncestral``); ``eta`` 0
    adds no noise between steps."""

    eta: float
    s_noise: float

    def __post_init__(self) -> None:
        if self.eta < 0 or self.s_noise < 0:
            raise ValueError(f"EulerAncestral: eta and s_noise must not be negative: {self}")


@dataclass(frozen=True)
class KSampler:
    """ComfyUI's all-in-one sampler (``KSampler``): ``steps`` steps of the ``scheduler``'s
    schedule with the sampler ``name``, CFG and noise seed given to the node itself. A stage
    sampled by it has no sigmas of its own (``Stage.sigmas`` None), a :class:`CFG` guider
    (its scale is the node's ``cfg``) and one output (:attr:`LatentSlot.OUTPUT`)."""

    name: str
    scheduler: str
    steps: int
    denoise: float = 1.0

    def __post_init__(self) -> None:
        if not self.name or not self.scheduler:
            raise ValueError(f"KSampler: a sampler and a scheduler name are needed: {self}")
        if self.steps < 1 or not 0.0 <= self.denoise <= 1.0:
            raise ValueError(f"KSampler: steps >= 1 and denoise in 0..1: {self}")


Sampler = SamplerSelect | EulerAncestral | KSampler


@dataclass(frozen=True)
class ManualSigmas:
    """An explicit sigma schedule (``ManualSigmas``), highest first.

    ``text`` is the spelling written into the node; by default the values joined by ``", "``.
    :meth:`from_text` keeps a template's own spelling (``"1., 0.99375, ..."``).
    """

    values: tuple[float, ...]
    text: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        values = tuple(float(v) for v in self.values)
        object.__setattr__(self, "values", values)
        if len(values) < 2:
            raise ValueError("ManualSigmas: at least two sigmas (one step)")
        if any(b > a for a, b in itertools.pairwise(values)) or values[-1] < 0:
            raise ValueError(f"ManualSigmas: sigmas must not increase or go below 0: {values}")
        if self.text is not None and _parse_sigmas(self.text) != values:
            raise ValueError(f"ManualSigmas: text {self.text!r} does not spell {values}")

    @classmethod
    def from_text(cls, text: str) -> ManualSigmas:
        """The schedule a template writes as ``text`` (kept verbatim)."""
        return cls(values=_parse_sigmas(text), text=text)

    @property
    def widget(self) -> str:
        """The node's ``sigmas`` input."""
        return self.text if self.text is not None else ", ".join(repr(v) for v in self.values)


def _parse_sigmas(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in re.split(r"[,\s]+", text.strip()) if part)


@dataclass(frozen=True)
class LTXVSchedule:
    """LTX-V's shifted schedule (``LTXVScheduler``), its shift fitted to the stage's latent."""

    steps: int
    max_shift: float
    base_shift: float
    stretch: bool
    terminal: float
    fitted_to_latent: bool = True
    """Shift by the stage's latent size (the ComfyUI templates link the latent); False: the
    shift of 4096 tokens, as Lightricks' own pipelines schedule (no latent given)."""

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"LTXVSchedule: steps must be at least 1, not {self.steps}")


Schedule = ManualSigmas | LTXVSchedule


@dataclass(frozen=True)
class CFG:
    """Classifier-free guidance (``CFGGuider``); at 1 the negative has no effect."""

    cfg: float

    def __post_init__(self) -> None:
        if self.cfg <= 0:
            raise ValueError(f"CFG: cfg must be positive, not {self.cfg}")


@dataclass(frozen=True)
class DualCFG:
    """Separate classifier-free guidance for video and audio (``LTXVDualCFGGuider``)."""

    video: float
    audio: float

    def __post_init__(self) -> None:
        if self.video < 0 or self.audio < 0:
            raise ValueError(f"DualCFG: scales must not be negative: {self}")


Guider = CFG | DualCFG


@dataclass(frozen=True)
class Stage:
    """One sampling pass over the joint audio-video latent.

    The first stage starts from empty latents; each later one from the previous stage's video
    latent upscaled :data:`UPSCALE_FACTOR` times (and its audio latent as it is).
    """

    sampler: Sampler
    sigmas: Schedule | None
    """None only with a :class:`KSampler` (it schedules itself)."""
    guider: Guider
    passes_on: LatentSlot
    """The sampler output that goes on to the next stage (or to the decoder)."""
    loras: tuple[LoraRole, ...] = ()
    """LoRAs on this stage's model, applied in this order; stages with the same LoRAs share
    one model."""
    crop_guides: bool = False
    """After sampling, ``LTXVCropGuides`` strips guide frames from the latent and the
    conditioning (later stages get the cropped conditioning)."""
    crop_latent: bool = True
    """With :attr:`crop_guides`: whether the next stage continues from the cropped latent
    (True) or from the sampler's own (False: LTX-2.3's templates crop only the conditioning;
    with in-place first frames there are no guide frames, so both latents are the same)."""
    noise_seed: int | None = None
    """A fixed noise seed for this stage, as the template has it (None: the request's)."""

    def __post_init__(self) -> None:
        if not self.crop_latent and not self.crop_guides:
            raise ValueError("Stage: crop_latent=False only means something with crop_guides")
        if len(set(self.loras)) != len(self.loras):
            raise ValueError(f"Stage: a LoRA role is listed twice: {self.loras}")
        if isinstance(self.sampler, KSampler):
            if (self.sigmas is not None or not isinstance(self.guider, CFG)
                    or self.passes_on is not LatentSlot.OUTPUT):
                raise ValueError("Stage: a KSampler stage has no sigmas, a CFG guider (its cfg) "
                                 "and passes on its one output")
        elif self.sigmas is None:
            raise ValueError("Stage: sigmas are needed (only a KSampler schedules itself)")


# ---------------------------------------------------------------------------- files


@dataclass(frozen=True)
class LoraFile:
    """A LoRA file and the strength it is applied at."""

    name: str
    strength: float


@dataclass(frozen=True)
class CheckpointFiles:
    """The files of a model that ships one checkpoint (model, video VAE and audio VAE):
    ``CheckpointLoaderSimple``, ``LTXAVTextEncoderLoader`` and ``LTXVAudioVAELoader`` all
    read ``checkpoint``. Names are files of :data:`ltx2sdk.model_files.CATALOG`."""

    checkpoint: str  # models/checkpoints
    text_encoder: str  # models/text_encoders
    upscaler: str | None  # models/latent_upscale_models: needed by pipelines of 2+ stages
    distilled_lora: LoraFile | None = None  # models/loras: for LoraRole.DISTILLED
    control_lora: LoraFile | None = None  # models/loras: for LoraRole.CONTROL (an IC-LoRA)
    identity_lora: LoraFile | None = None  # models/loras: for LoraRole.IDENTITY (an ID-LoRA)


@dataclass(frozen=True)
class SplitFiles:
    """The files of a model that ships its parts separately (LTX-2.5): the diffusion
    model (``UNETLoader``), a video and an audio VAE (``VAELoader``), the text encoder
    (``CLIPLoader`` of type ``clip_type``). Names are files of
    :data:`ltx2sdk.model_files.CATALOG`."""

    diffusion_model: str  # models/diffusion_models
    video_vae: str  # models/vae
    audio_vae: str  # models/vae
    text_encoder: str  # models/text_encoders
    upscaler: str | None  # models/latent_upscale_models: needed by pipelines of 2+ stages
    weight_dtype: str = "default"
    clip_type: str = "ltxv"
    prompt_enhancer: str | None = None
    """The text model ``TextGenerateLTX2Prompt`` rewrites prompts with (models/text_encoders;
    None: the text encoder itself)."""

    @property
    def distilled_lora(self) -> None:
        """Split-file models are distilled already: no distilled LoRA."""
        return None

    @property
    def control_lora(self) -> None:
        """No IC-LoRA: no control pipeline loads split files."""
        return None

    @property
    def identity_lora(self) -> None:
        """No ID-LoRA: no voice-identity pipeline loads split files."""
        return None


ModelFiles = CheckpointFiles | SplitFiles


# ---------------------------------------------------------------------------- images


@dataclass(frozen=True)
class FitToOutput:
    """Resize to the output size (``ResizeImageMaskNode`` "scale dimensions")."""

    scale_method: str
    crop: str = "center"


@dataclass(frozen=True)
class ScaleLongerEdge:
    """Resize so the longer edge is ``size`` (``ResizeImageMaskNode`` "scale longer
    dimension")."""

    size: int
    scale_method: str


@dataclass(frozen=True)
class ScaleToMaxDimension:
    """Resize so the larger side is ``size`` (``ImageScaleToMaxDimension``: the same sizes as
    :class:`ScaleLongerEdge`, by another node)."""

    size: int
    scale_method: str

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"ScaleToMaxDimension: size {self.size} is below 1")


ResizeStep = FitToOutput | ScaleLongerEdge | ScaleToMaxDimension


@dataclass(frozen=True)
class ImagePreprocess:
    """How a given image is made to look like a video frame: the resize steps in order, then
    ``LTXVPreprocess`` (H.264-style compression at ``img_compression``; None: no
    ``LTXVPreprocess``, the image goes in as resized, as the control templates have it)."""

    resize: tuple[ResizeStep, ...]
    img_compression: int | None

    def __post_init__(self) -> None:
        if self.img_compression is not None and not 0 <= self.img_compression <= 100:
            raise ValueError(f"ImagePreprocess: img_compression {self.img_compression} is not "
                             "in 0..100")


@dataclass(frozen=True)
class FirstFrameInplace:
    """The prepared image written over the video latent's first frame
    (``LTXVImgToVideoInplace``) before every stage."""

    strength: float
    """Before the first stage (a request's ``image_strength`` replaces it)."""
    refine_strength: float | None
    """Before each later stage, on the upscaled latent (None: before the first stage only,
    as ``video_ltx2_i2v_lora`` has it)."""

    def __post_init__(self) -> None:
        for value in (self.strength, self.refine_strength):
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"FirstFrameInplace: strength {value} is not in 0..1")


@dataclass(frozen=True)
class AddGuide:
    """A prepared image (one of :data:`~ltx2sdk.vocabulary.IMAGE_INPUTS`) guiding frame
    ``frame_idx`` (negative: from the end) of the first stage's video (``LTXVAddGuide``, which
    adds guide frames to the latent and the conditioning; ``LTXVCropGuides`` removes them after
    sampling)."""

    image: InputFile
    frame_idx: int
    strength: float

    def __post_init__(self) -> None:
        if self.image not in IMAGE_INPUTS:
            raise ValueError(f"AddGuide: {self.image!r} is not an input image")
        if not 0.0 <= self.strength <= 1.0:  # 1.0: the oldest releases' maximum
            raise ValueError(f"AddGuide: strength {self.strength} is not in 0..1")


Guide = FirstFrameInplace | AddGuide


# ---------------------------------------------------------------------------- control videos


@dataclass(frozen=True)
class CannyEdges:
    """The control frames' edges (``Canny``), white on black, by its two thresholds."""

    low_threshold: float
    high_threshold: float

    def __post_init__(self) -> None:
        if not 0.01 <= self.low_threshold <= self.high_threshold <= 0.99:
            raise ValueError(f"CannyEdges: thresholds must satisfy 0.01 <= low <= high <= 0.99: "
                             f"{self}")


@dataclass(frozen=True)
class LotusDepth:
    """The control frames' depth, estimated by the Lotus depth model in one denoising step
    (the depth template's "Image to Depth Map (Lotus)" subgraph): the frames encoded with an
    SD VAE (``VAEEncode``), sampled without noise (``DisableNoise``) by the Lotus model
    (``UNETLoader``) with its own conditioning (``LotusConditioning``, ``BasicGuider``) on a
    ``BasicScheduler`` schedule whose first sigma is ``first_sigma`` (``SetFirstSigma``),
    decoded (``VAEDecode``) and, with ``invert``, inverted (``ImageInvert``: near is white)."""

    diffusion_model: str  # models/diffusion_models
    vae: str  # models/vae
    first_sigma: float
    scheduler: str
    steps: int
    denoise: float
    sampler: str
    weight_dtype: str = "default"
    invert: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1 or not 0.0 <= self.denoise <= 1.0 or self.first_sigma < 0:
            raise ValueError(f"LotusDepth: steps >= 1, denoise in 0..1, first_sigma >= 0: {self}")


@dataclass(frozen=True)
class MoGeDepth:
    """The control frames' depth, estimated by a MoGe geometry model (the LTX-2.3 union-control
    template's "Video Depth Estimation (MoGe)" subgraph): the model (``LoadMoGeModel``) runs on
    the frames (``MoGeInference`` with its settings) and its geometry is rendered as
    ``render`` (``MoGeRender``). Frames wider than ``limit_width`` are first brought to that
    longer edge (``ResizeImageMaskNode`` "scale longer dimension", ``limit_method``), as the
    template's switch does at run time; None: never limited."""

    model: str  # models/geometry_estimation
    resolution_level: int = 9
    fov_x_degrees: float = 0.0
    batch_size: int = 4
    force_projection: bool = True
    apply_mask: bool = True
    render: str = "depth"
    limit_width: int | None = 2048
    limit_method: str = "area"

    def __post_init__(self) -> None:
        if not 0 <= self.resolution_level <= 9 or not 1 <= self.batch_size <= 64:
            raise ValueError(f"MoGeDepth: resolution_level in 0..9, batch_size in 1..64: {self}")
        if self.limit_width is not None and self.limit_width < 64:
            raise ValueError(f"MoGeDepth: limit_width {self.limit_width} is below 64")


Preprocessor = CannyEdges | LotusDepth | MoGeDepth


class ControlCut(_Named):
    """How the used part of a control video is cut from it."""

    FRAMES = "frames"  # decoded, then ImageFromBatch (start frame, frame count): LTX-2's
    SECONDS = "seconds"  # Video Slice (start, seconds) before decoding: LTX-2.3's (>= 0.16.4)


@dataclass(frozen=True)
class ControlVideo:
    """The request's video as IC-LoRA control frames guiding the first stage.

    The video (``LoadVideo``) is cut as ``cut`` says and decoded (``GetVideoComponents``: its
    frames; its audio and frame rate are not used): the plan's frames from its start frame
    (``ImageFromBatch``, after decoding), or the plan's seconds from its start (``Video
    Slice``, before decoding). The frames are resized as ``resize`` says (to the output size),
    brought to the first stage's size (``ImageScaleBy`` with ``scale_method``, for pipelines of
    more than one stage), then turned into the IC-LoRA's control signal by ``preprocessor``.
    ``LTXVAddGuide`` adds them to the first stage's latent from frame ``frame_idx`` at
    ``strength`` (after the in-place first frame), with ``iclora_parameters`` the IC-LoRA's
    own parameters (``GetICLoRAParameters`` on the stage's model: its reference downscale
    factor, ComfyUI >= 0.22.0), and that stage must crop them after sampling
    (``LTXVCropGuides``)."""

    preprocessor: Preprocessor
    resize: tuple[ResizeStep, ...]
    scale_method: str | None
    """None: the pipeline has one stage (the frames stay at the output size)."""
    frame_idx: int = 0
    strength: float = 1.0
    default_frames: int = 121
    """The length of a request that gives none (the template's "Frame Count", or its
    ``Video Slice`` seconds at the template's frame rate floored to 8n+1)."""
    cut: ControlCut = ControlCut.FRAMES
    iclora_parameters: bool = False
    reference_downscale: int = 1
    """The IC-LoRA's reference downscale factor (in its metadata; ``ref0.5``: 2): with
    ``iclora_parameters`` the guide is encoded at the latent's size divided by it, which must
    then divide the latent's width and height."""

    def __post_init__(self) -> None:
        if self.reference_downscale < 1 or (self.reference_downscale > 1
                                            and not self.iclora_parameters):
            raise ValueError(f"ControlVideo: reference_downscale {self.reference_downscale} "
                             "needs iclora_parameters (and is at least 1)")
        if not 0.0 <= self.strength <= 1.0:  # 1.0: the oldest releases' maximum
            raise ValueError(f"ControlVideo: strength {self.strength} is not in 0..1")
        if self.default_frames < 9 or (self.default_frames - 1) % 8:
            raise ValueError(f"ControlVideo: default_frames {self.default_frames} is not 8n+1")


@dataclass(frozen=True)
class ReferenceSheet:
    """The request's image as a reference sheet guiding the first stage through the IC-LoRA
    (ref2v): loaded (``LoadImage``), repeated into as many frames as the video
    (``RepeatImageBatch``), fitted inside the output size and padded (``ResizeAndPadImage``
    with ``padding_color`` and ``interpolation``); ``LTXVAddGuide`` adds it to the first
    stage's latent from frame ``frame_idx`` at ``strength`` with the IC-LoRA's parameters
    (``GetICLoRAParameters`` on the stage's model), and the latents are as long as the frames
    it holds. That stage must crop it after sampling (``LTXVCropGuides``)."""

    padding_color: Literal["white", "black"] = "black"
    interpolation: str = "lanczos"
    frame_idx: int = 0
    strength: float = 1.0

    def __post_init__(self) -> None:
        if self.padding_color not in ("white", "black"):
            raise ValueError(f"ReferenceSheet: padding_color {self.padding_color!r} is not "
                             "white or black")
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError(f"ReferenceSheet: strength {self.strength} is not in 0..1")


REFERENCE_TYPE = "ref2v"
"""The type a reference sheet steers (and the only one)."""


@dataclass(frozen=True)
class GivenAudio:
    """The request's audio as the first stage's audio latent, kept as it is: loaded
    (``LoadAudio``), cut to the video's length from ``trim_start`` seconds
    (``TrimAudioDuration``), encoded (``LTXVAudioVAEEncode``) and masked so sampling leaves
    it unchanged (``SetLatentNoiseMask`` with a ``SolidMask`` of ``mask_value``: 0 keeps it).
    Later stages refine the audio the first one produced, as in every pipeline."""

    trim_start: float = 0.0
    mask_value: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.mask_value <= 1.0:
            raise ValueError(f"GivenAudio: mask_value {self.mask_value} is not in 0..1")


@dataclass(frozen=True)
class ReferenceAudio:
    """The request's audio as a voice to speak with (id2v): loaded (``LoadAudio``) as it is and
    given, with the first stage's model (its last LoRA the ID-LoRA) and the encoded prompts, to
    ``LTXVReferenceAudio`` (ComfyUI >= 0.19.0), whose model and conditioning the first stage
    samples with (later stages get its conditioning, cropped, and their own model). Guidance
    toward the voice (``identity_guidance_scale``; 0: none, no extra pass) acts between
    ``start_percent`` and ``end_percent`` of the schedule. The video makes its own audio
    (an empty audio latent), as t2v does: the recording is not the soundtrack."""

    identity_guidance_scale: float = 3.0
    start_percent: float = 0.0
    end_percent: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.identity_guidance_scale <= 100.0:
            raise ValueError(f"ReferenceAudio: identity_guidance_scale "
                             f"{self.identity_guidance_scale} is not in 0..100")
        if not 0.0 <= self.start_percent <= self.end_percent <= 1.0:
            raise ValueError(f"ReferenceAudio: 0 <= start_percent <= end_percent <= 1: {self}")


AudioUse = GivenAudio | ReferenceAudio

AUDIO_USE: dict[str, type[GivenAudio] | type[ReferenceAudio]] = {
    "ia2v": GivenAudio, "id2v": ReferenceAudio}
"""How each type that takes an audio file uses it (:data:`~ltx2sdk.vocabulary.AUDIO`)."""


# ---------------------------------------------------------------------------- decoding


@dataclass(frozen=True)
class TiledDecode:
    """``VAEDecodeTiled``: decode in spatial and temporal tiles."""

    tile_size: int
    overlap: int
    temporal_size: int
    temporal_overlap: int


@dataclass(frozen=True)
class PlainDecode:
    """``VAEDecode``: decode the whole latent at once."""


Decode = TiledDecode | PlainDecode


# ---------------------------------------------------------------------------- pipeline


class PipelineKey(NamedTuple):
    """Where the registry files a pipeline."""

    model: str
    type: str
    mode: str

    def __str__(self) -> str:
        return f"{self.model} {self.type} {self.mode}"


class Keyed:
    """What names a pipeline declaration of any kind: its model, type and mode (fields of the
    dataclass that derives from this)."""

    model: ModelVersion
    type: VideoTypeId
    mode: Mode

    @property
    def key(self) -> PipelineKey:
        return PipelineKey(self.model.id, self.type, self.mode)

    @property
    def name(self) -> str:
        """``"ltx-2 t2v fast"``."""
        return str(self.key)


@dataclass(frozen=True)
class Pipeline(Keyed):
    """One pipeline: everything that distinguishes it, and where its values come from."""

    model: ModelVersion
    type: VideoTypeId
    mode: Mode
    files: ModelFiles
    """The default file of each role (a request may name others)."""
    stages: tuple[Stage, ...]
    negative: Negative
    decode: Decode
    min_comfyui: str
    """The oldest ComfyUI release that runs it (the template's ``minComfyUIVersion``)."""
    fps: int
    """The frame rate of a request that gives none (the template's)."""
    template: str | None
    """The Comfy-Org template it computes the same as
    (``tests/builders/test_templates_match.py``), or
    None when it has none (then :attr:`source` says where its values come from)."""
    preprocess: ImagePreprocess | None = None
    """How a given image is prepared (None: the pipeline takes no image)."""
    guides: tuple[Guide, ...] = ()
    """How the prepared image steers the video."""
    source: str = ""
    negative_prompt: str | None = None
    """The negative prompt of a request that gives none, when the pipeline's template has its
    own (None: the model's)."""
    audio: AudioUse | None = None
    """How a given audio drives the video (ia2v: kept as the soundtrack; id2v: the voice to
    speak with; None: the pipeline takes no audio)."""
    control: ControlVideo | None = None
    """How a given video steers the first stage (canny2v, depth2v; None: no video)."""
    template_variant: str | None = None
    """Which variant of :attr:`template` it matches, when the template holds several (its
    bypassed distilled subgraph: ``"distilled"``; None: the template's active graph)."""
    reference: ReferenceSheet | None = None
    """How the given image steers the video as a reference sheet (ref2v; None: it does not)."""

    def __post_init__(self) -> None:
        where = f"pipeline {self.key}"
        if self.type not in VIDEO_TYPES:
            raise ValueError(f"{where}: type {self.type!r} is not one of {VIDEO_TYPES}")
        if self.mode not in MODES:
            raise ValueError(f"{where}: mode {self.mode!r} is not one of {MODES}")
        if not self.stages:
            raise ValueError(f"{where}: no stages")
        if len(self.stages) > 1 and self.files.upscaler is None:
            raise ValueError(f"{where}: {len(self.stages)} stages need an upscaler file")
        uses_distilled = any(LoraRole.DISTILLED in s.loras for s in self.stages)
        if uses_distilled != (self.files.distilled_lora is not None):
            raise ValueError(f"{where}: a distilled LoRA file is given if and only if a stage "
                             "applies LoraRole.DISTILLED")
        if bool(self.guides) != (self.preprocess is not None):
            raise ValueError(f"{where}: image preprocessing and guides come together")
        if sum(isinstance(g, FirstFrameInplace) for g in self.guides) > 1:
            raise ValueError(f"{where}: one first frame at most")
        if self.images != IMAGES_OF_TYPE[self.type]:
            wanted = ", ".join(sorted(r.file for r in IMAGES_OF_TYPE[self.type])) or "none"
            raise ValueError(f"{where}: {self.type} is guided by these images: {wanted}")
        if (self.type in AUDIO.types) != (self.audio is not None):
            audio_types = " and ".join(AUDIO.types)
            raise ValueError(f"{where}: {audio_types}, and only {audio_types}, take a given "
                             "audio")
        if self.audio is not None and not isinstance(self.audio, AUDIO_USE[self.type]):
            raise ValueError(f"{where}: {self.type} uses its audio as "
                             f"{AUDIO_USE[self.type].__name__}")
        uses_identity = any(LoraRole.IDENTITY in s.loras for s in self.stages)
        if uses_identity != (self.files.identity_lora is not None):
            raise ValueError(f"{where}: an identity LoRA file is given if and only if a stage "
                             "applies LoraRole.IDENTITY")
        if isinstance(self.audio, ReferenceAudio) and (
                not self.stages[0].loras or self.stages[0].loras[-1] is not LoraRole.IDENTITY):
            raise ValueError(f"{where}: LTXVReferenceAudio reads the voice with the first "
                             "stage's model, whose last LoRA must be the ID-LoRA")
        if (self.type in VIDEO.types) != (self.control is not None):
            video_types = " and ".join(VIDEO.types)
            raise ValueError(f"{where}: {video_types}, and only {video_types}, are steered by "
                             "a given video")
        if (self.control is not None and self.control.scale_method is None
                and len(self.stages) > 1):
            raise ValueError(f"{where}: the control frames need a scale_method to be brought "
                             "to the first stage's size")
        if (self.type == REFERENCE_TYPE) != (self.reference is not None):
            raise ValueError(f"{where}: {REFERENCE_TYPE}, and only {REFERENCE_TYPE}, is "
                             "steered by a reference sheet")
        if self.reference is not None and (
                self.guides or LoraRole.CONTROL not in self.stages[0].loras
                or not self.stages[0].crop_guides):
            raise ValueError(f"{where}: a reference sheet is the first stage's only guide, "
                             "read by its IC-LoRA (LoraRole.CONTROL) and cropped after it")
        if self.control is not None and not self.stages[0].crop_guides:
            raise ValueError(f"{where}: the control frames guide the first stage, which must "
                             "crop them after sampling")
        uses_control = any(LoraRole.CONTROL in s.loras for s in self.stages)
        if uses_control != (self.files.control_lora is not None):
            raise ValueError(f"{where}: a control LoRA file is given if and only if a stage "
                             "applies LoraRole.CONTROL")
        one_cropping_stage = len(self.stages) == 1 and self.stages[0].crop_guides
        if any(isinstance(g, AddGuide) for g in self.guides) and not one_cropping_stage:
            raise ValueError(f"{where}: LTXVAddGuide guides are declared for one-stage "
                             "pipelines that crop them after sampling")
        if parse_version(self.min_comfyui) is None:
            raise ValueError(f"{where}: min_comfyui {self.min_comfyui!r} is not a version")
        if not 1 <= self.fps <= 60:
            raise ValueError(f"{where}: fps {self.fps} is not in 1..60")
        if self.template is None and not self.source:
            raise ValueError(f"{where}: without a template, say where the values come from")

    @property
    def default_negative_prompt(self) -> str:
        """The negative prompt of a request that gives none."""
        if self.negative_prompt is not None:
            return self.negative_prompt
        return self.model.negative_prompt

    def runs_on(self, comfyui_version: str | None) -> bool:
        """Whether a ComfyUI release is at least :attr:`min_comfyui`; an unknown (or
        unparsable) version is given the benefit of the doubt: the server's checks decide."""
        have, need = parse_version(comfyui_version), parse_version(self.min_comfyui)
        return have is None or need is None or have >= need

    @property
    def model_files(self) -> tuple[tuple[str, str], ...]:
        """``(models/ folder, file name)`` of every file it loads by default (camera LoRAs,
        a prompt enhancer and a request's other choices aside)."""
        files = self.files
        found: list[tuple[str, str]] = []
        if isinstance(files, CheckpointFiles):
            found.append(("checkpoints", files.checkpoint))
        else:
            found += [("diffusion_models", files.diffusion_model), ("vae", files.video_vae),
                      ("vae", files.audio_vae)]
        found.append(("text_encoders", files.text_encoder))
        if files.upscaler is not None:
            found.append(("latent_upscale_models", files.upscaler))
        if files.distilled_lora is not None:
            found.append(("loras", files.distilled_lora.name))
        if files.control_lora is not None:
            found.append(("loras", files.control_lora.name))
        if files.identity_lora is not None:
            found.append(("loras", files.identity_lora.name))
        if self.control is not None and isinstance(self.control.preprocessor, LotusDepth):
            found += [("diffusion_models", self.control.preprocessor.diffusion_model),
                      ("vae", self.control.preprocessor.vae)]
        if self.control is not None and isinstance(self.control.preprocessor, MoGeDepth):
            found.append(("geometry_estimation", self.control.preprocessor.model))
        return tuple(found)

    @property
    def needs_image(self) -> bool:
        return self.preprocess is not None or self.reference is not None

    @property
    def images(self) -> frozenset[InputFile]:
        """The given images its guides (or its reference sheet) use."""
        sheet = {FIRST_IMAGE} if self.reference is not None else set()
        return frozenset({*sheet, *(FIRST_IMAGE if isinstance(g, FirstFrameInplace)
                                     else g.image for g in self.guides)})

    @property
    def stage1_scale(self) -> int:
        """How much smaller than the output the first stage samples."""
        return int(UPSCALE_FACTOR ** (len(self.stages) - 1))

    @property
    def size_multiple(self) -> int:
        """Output width and height must be multiples of this (the first stage's latent is
        1/32 of its pixels, and divisible by a control IC-LoRA's reference downscale)."""
        downscale = self.control.reference_downscale if self.control is not None else 1
        return LATENT_PIXELS * self.stage1_scale * downscale

    @property
    def lora_roles(self) -> frozenset[LoraRole]:
        """The LoRA roles any of its stages applies."""
        return frozenset(role for stage in self.stages for role in stage.loras)
