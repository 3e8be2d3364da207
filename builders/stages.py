"""The stages every LTX pipeline is made of, as functions over typed handles.

Each takes the part of a pipeline declaration (:mod:`builders.catalog`) it realises: a
:class:`~builders.catalog.Stage`, an :class:`~builders.catalog.ImagePreprocess`, a
:data:`~builders.catalog.Decode`... Nothing here knows which pipeline it is part of; the
composition is :func:`builders.pipelines.compose`. Titles name each node's role, so tests and
users can find them; the group names below (:meth:`ltx2sdk.graph.core.Graph.group`) name each
node's stage, which the editor export draws as one group per stage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ltx2sdk.graph.handles import (
    Audio,
    Clip,
    Conditioning,
    Image,
    IntValue,
    Latent,
    LatentUpscaleModel,
    Model,
    Sigmas,
    StringValue,
    Vae,
)
from ltx2sdk.graph.nodes import Nodes
from ltx2sdk.vocabulary import FIRST_IMAGE, LAST_IMAGE, InputFile

from .catalog import (
    CFG,
    AddGuide,
    CannyEdges,
    CheckpointFiles,
    ControlCut,
    ControlVideo,
    Decode,
    DualCFG,
    EulerAncestral,
    FirstFrameInplace,
    FitToOutput,
    GivenAudio,
    ImagePreprocess,
    KSampler,
    LatentSlot,
    LoraFile,
    LoraRole,
    LotusDepth,
    LTXVSchedule,
    ManualSigmas,
    ModelFiles,
    MoGeDepth,
    Negative,
    PlainDecode,
    ReferenceAudio,
    ReferenceSheet,
    ResizeStep,
    SamplerSelect,
    ScaleLongerEdge,
    ScaleToMaxDimension,
    SplitFiles,
    Stage,
    TiledDecode,
)

LOADERS = "Loaders"
"""The group of the model loaders and the LoRAs applied to the model."""
INPUTS = "Inputs"
"""The group of the given files: images, control video, audio, as the pipeline prepares them."""
PROMPT = "Prompt"
"""The group of the prompt (enhanced or not) and the negative conditioning."""
SIZE_AND_LENGTH = "Size and length"
"""The group of the empty latents: the video's size and length."""
UPSCALE = "Upscale"
"""The group of the 2x latent upscale between two sampling stages."""
DECODE_AND_SAVE = "Decode and save"
"""The group of the decoders and the output node."""


def stage_group(index: int) -> str:
    """The group of sampling stage ``index`` (1-based): "Stage 1"."""
    return f"Stage {index}"


LORA_TITLES = {LoraRole.DISTILLED: "Distilled LoRA", LoraRole.CAMERA: "Camera LoRA",
               LoraRole.CONTROL: "Control LoRA", LoraRole.IDENTITY: "Identity LoRA"}
IMAGE_TITLES = {FIRST_IMAGE: "First frame", LAST_IMAGE: "Last frame"}


@dataclass(frozen=True)
class Loaded:
    """Everything the loaders produce."""

    model: Model
    vae: Vae
    audio_vae: Vae
    clip: Clip
    upscaler: LatentUpscaleModel | None


class Sampled(NamedTuple):
    """The outputs of one sampling stage."""

    output: Latent
    denoised_output: Latent

    def pick(self, slot: LatentSlot) -> Latent:
        return self.output if slot is LatentSlot.OUTPUT else self.denoised_output


def load_models(n: Nodes, files: ModelFiles) -> Loaded:
    """The model, video VAE, Gemma text encoder, audio VAE and, for pipelines of more than
    one stage, the spatial upscaler: from one checkpoint (LTX-2, LTX-2.3) or from split files
    (LTX-2.5)."""
    if isinstance(files, CheckpointFiles):
        model, _, vae = n.CheckpointLoaderSimple(files.checkpoint, title="Checkpoint")
        clip = n.LTXAVTextEncoderLoader(files.text_encoder, files.checkpoint,
                                        title="Text encoder")
        audio_vae = n.LTXVAudioVAELoader(files.checkpoint, title="Audio VAE")
    elif isinstance(files, SplitFiles):
        model = n.UNETLoader(files.diffusion_model, files.weight_dtype, title="Diffusion model")
        vae = n.VAELoader(files.video_vae, title="Video VAE")
        audio_vae = n.VAELoader(files.audio_vae, title="Audio VAE")
        clip = n.CLIPLoader(files.text_encoder, files.clip_type, "default", title="Text encoder")
    else:
        raise TypeError(f"unknown model files {files!r}")
    upscaler = None
    if files.upscaler is not None:
        upscaler = n.LatentUpscaleModelLoader(files.upscaler, title="Spatial upscaler x2")
    return Loaded(model=model, vae=vae, audio_vae=audio_vae, clip=clip, upscaler=upscaler)


def apply_lora(n: Nodes, model: Model, lora: str | None, strength: float, title: str) -> Model:
    """``model`` with ``lora`` applied, or ``model`` itself when there is none."""
    if lora is None:
        return model
    return n.LoraLoaderModelOnly(model, lora, strength, title=title)


def stage_models(n: Nodes, base: Model, stages: Sequence[Stage],
                 loras: Mapping[LoraRole, LoraFile | None],
                 user: Sequence[LoraFile] = ()) -> list[Model]:
    """The model of each stage: ``base`` with the stage's LoRAs applied in order.

    ``loras`` gives the file of each role (None: the role has no file in this build, e.g. no
    camera motion). ``user`` (the request's own LoRAs) go on every stage the way Comfy-Org's
    LoRA template (``video_ltx2_i2v_lora``) applies its effect LoRA: before the stage's own
    LoRAs in the first stage, after them in the others. Stages that apply the same LoRAs share
    one model; a LoRA node is titled after the first stage that needs it ("Camera LoRA
    (stage 1)").
    """
    built: dict[tuple[LoraFile, ...], Model] = {}
    models: list[Model] = []
    for index, stage in enumerate(stages, start=1):
        own = [(lora, f"{LORA_TITLES[role]} (stage {index})") for role in stage.loras
               if (lora := loras[role]) is not None]
        mine = [(lora, f"Your LoRA {number} (stage {index})")
                for number, lora in enumerate(user, start=1)]
        chain: tuple[LoraFile, ...] = ()
        model = base
        for lora, title in (mine + own if index == 1 else own + mine):
            chain += (lora,)
            if chain not in built:
                built[chain] = apply_lora(n, model, lora.name, lora.strength, title)
            model = built[chain]
        models.append(model)
    return models


def prompt_enhancer(n: Nodes, files: ModelFiles, clip: Clip) -> Clip:
    """The text model that rewrites prompts: LTX-2.5's own small Gemma 4, or the pipeline's
    text encoder itself."""
    if isinstance(files, SplitFiles) and files.prompt_enhancer is not None:
        return n.CLIPLoader(files.prompt_enhancer, files.clip_type, "default",
                            title="Prompt enhancer")
    return clip


def frame_rate(n: Nodes, positive: Conditioning, negative: Conditioning, fps: int
               ) -> tuple[Conditioning, Conditioning]:
    """The conditioning with the frame rate attached (``LTXVConditioning``)."""
    return n.LTXVConditioning(positive, negative, fps, title="Frame rate conditioning")


def encode_texts(n: Nodes, clip: Clip, prompt: str, negative_prompt: str | None, *,
                 negative: Negative, enhance_seed: int | None = None,
                 image: Image | None = None,
                 enhancer: Clip | None = None) -> tuple[Conditioning, Conditioning]:
    """Positive and negative conditioning, without the frame rate.

    ``negative`` says what the negative is: the encoded ``negative_prompt``, the positive
    itself, or the positive zeroed (the last two encode only the prompt). With
    ``enhance_seed`` ``enhancer`` (default: ``clip``) first rewrites the prompt (looking at
    ``image`` if given), sampling with that seed so a build stays reproducible.
    """
    text: str | StringValue = prompt
    if enhance_seed is not None:
        n.require("TextGenerateLTX2Prompt", "prompt enhancement")
        text = n.TextGenerateLTX2Prompt(enhancer or clip, prompt, image=image, seed=enhance_seed,
                                        title="Enhance prompt")
    positive = n.CLIPTextEncode(text, clip, title="Prompt")
    if negative is Negative.PROMPT:
        if negative_prompt is None:
            raise ValueError("this pipeline encodes a negative prompt: give one")
        negative_cond = n.CLIPTextEncode(negative_prompt, clip, title="Negative prompt")
    elif negative is Negative.ZEROED_POSITIVE:
        negative_cond = n.ConditioningZeroOut(positive, title="Empty negative")
    else:
        negative_cond = positive
    return positive, negative_cond


def reference_voice(n: Nodes, model: Model, positive: Conditioning, negative: Conditioning,
                    audio_name: str, audio_vae: Vae, reference: ReferenceAudio
                    ) -> tuple[Model, Conditioning, Conditioning]:
    """The first stage's model and the (not yet frame-rated) conditioning with the voice of
    the recording ``audio_name`` to keep (``LTXVReferenceAudio``; ``model``'s last LoRA is the
    ID-LoRA). The recording goes in as it is: it is not the video's audio."""
    n.require("LTXVReferenceAudio", "a voice to keep (id2v)")
    voice = n.LoadAudio(audio_name, title="Voice recording")
    return n.LTXVReferenceAudio(model, positive, negative, voice, audio_vae,
                                reference.identity_guidance_scale, reference.start_percent,
                                reference.end_percent, title="Voice identity")


def empty_video(n: Nodes, width: int, height: int, frames: int | IntValue) -> Latent:
    """The first stage's empty video latent at (width, height), ``frames`` long (a number,
    or the count of the control frames)."""
    return n.EmptyLTXVLatentVideo(width, height, frames, title="Stage 1 video latent")


def empty_audio(n: Nodes, audio_vae: Vae, frames: int | IntValue, fps: int) -> Latent:
    """An empty audio latent as long as ``frames`` video frames at ``fps``."""
    return n.LTXVEmptyLatentAudio(audio_vae, frames, fps, title="Audio latent")


def given_audio(n: Nodes, audio_vae: Vae, audio_name: str, seconds: float, width: int,
                height: int, audio: GivenAudio) -> Latent:
    """The request's audio as the first stage's audio latent: cut to ``seconds`` (the
    video's length), encoded, and masked so sampling keeps it (``audio.mask_value`` 0)."""
    waveform = n.LoadAudio(audio_name, title="Audio")
    waveform = n.TrimAudioDuration(waveform, audio.trim_start, seconds,
                                   title="Audio cut to the video's length")
    latent = n.LTXVAudioVAEEncode(waveform, audio_vae, title="Encode audio")
    keep = n.SolidMask(audio.mask_value, width, height, title="Keep the audio")
    return n.SetLatentNoiseMask(latent, keep, title="Audio latent (kept)")


def prepare_image(n: Nodes, role: InputFile, image_name: str, width: int, height: int,
                  preprocess: ImagePreprocess) -> Image:
    """Load a given image (the first or last frame), resize it as ``preprocess`` says (to
    the output size ``width`` x ``height``, to a longer edge...), then make it look like a
    video frame."""
    title = IMAGE_TITLES[role]
    prefix = "" if role is FIRST_IMAGE else f"{title}: "  # the first frame's: as they were
    image, _ = n.LoadImage(image_name, title=title)
    image = resize(n, image, preprocess.resize, width, height, prefix)
    if preprocess.img_compression is None:  # the control templates: the image as resized
        return image
    return n.LTXVPreprocess(image, preprocess.img_compression, title=f"Preprocess {title.lower()}")


def resize(n: Nodes, image: Image, steps: Sequence[ResizeStep], width: int, height: int,
           prefix: str = "") -> Image:
    """``image`` resized by each step in order (to the output size ``width`` x ``height``,
    to a longer edge...); titles start with ``prefix``."""
    for step in steps:
        if isinstance(step, FitToOutput):
            image = n.ResizeImageMaskNode(image, "scale dimensions", step.scale_method,
                                          width=width, height=height, crop=step.crop,
                                          title=f"{prefix}Fit to output size")
        elif isinstance(step, ScaleLongerEdge):
            image = n.ResizeImageMaskNode(image, "scale longer dimension", step.scale_method,
                                          longer_size=step.size,
                                          title=f"{prefix}Longer edge {step.size}")
        elif isinstance(step, ScaleToMaxDimension):
            image = n.ImageScaleToMaxDimension(image, step.scale_method, step.size,
                                               title=f"{prefix}Longer edge {step.size}")
        else:
            raise TypeError(f"unknown resize step {step!r}")
    return image


@dataclass(frozen=True)
class ControlCutAt:
    """Where the used part of a control video is: from ``start_frame``, ``frames`` frames
    (cut by frames), or from ``start_seconds``, ``seconds`` long (cut by time)."""

    start_frame: int
    frames: int
    start_seconds: float = 0.0
    seconds: float | None = None


def prepare_control(n: Nodes, video_name: str, cut: ControlCutAt, width: int, height: int,
                    stage1_scale: int, control: ControlVideo,
                    video_width: int | None = None) -> Image:
    """The control frames of a given video: its used part (``cut``: decoded frames from a
    start frame, or seconds from a start cut before decoding), resized as ``control`` says (to
    the output size ``width`` x ``height``), brought to the first stage's size
    (``1 / stage1_scale``), then turned into the IC-LoRA's signal (edges, depth).
    ``video_width`` is the video's width when known (MoGe limits wide frames)."""
    video = n.LoadVideo(video_name, title="Control video")
    if control.cut is ControlCut.SECONDS:
        if cut.seconds is None:
            raise ValueError("a control video cut by time needs its seconds")
        video = n.VideoSlice(video, cut.start_seconds, cut.seconds, False,
                             title="Control video cut")
    images = n.GetVideoComponents(video, title="Control video frames").images
    if control.cut is ControlCut.FRAMES:
        images = n.ImageFromBatch(images, cut.start_frame, cut.frames, title="Control frames")
    images = resize(n, images, control.resize, width, height, "Control: ")
    if stage1_scale > 1:
        if control.scale_method is None:
            raise ValueError("control frames of a pipeline of 2+ stages need a scale_method")
        images = n.ImageScaleBy(images, control.scale_method, 1 / stage1_scale,
                                title="Control: first stage size")
    step = control.preprocessor
    if isinstance(step, CannyEdges):
        return n.Canny(images, step.low_threshold, step.high_threshold, title="Canny edges")
    if isinstance(step, LotusDepth):
        return lotus_depth(n, images, step)
    if isinstance(step, MoGeDepth):
        return moge_depth(n, images, step, video_width)
    raise TypeError(f"unknown control preprocessor {step!r}")


def moge_depth(n: Nodes, images: Image, moge: MoGeDepth, width: int | None) -> Image:
    """The depth of ``images`` by a MoGe model; frames wider than ``moge.limit_width`` first
    brought to that longer edge. ``width`` (the video's, when known) decides that when the
    graph is built; frames of an unknown width are measured when it runs, as the template
    does (``GetImageSize``, ``ComfyMathExpression "a > 2048"``, ``ComfySwitchNode``)."""
    limit = moge.limit_width
    if limit is not None and (width is None or width > limit):
        limited = n.ResizeImageMaskNode(images, "scale longer dimension", moge.limit_method,
                                        longer_size=limit,
                                        title=f"Control: longer edge {limit}")
        if width is not None:
            images = limited
        else:
            frame_width = n.GetImageSize(images, title="Control frame size").width
            wider = n.ComfyMathExpression(f"a > {limit}", a=frame_width,
                                          title=f"Control: wider than {limit}?").bool
            if wider is None:  # (BOOL came with ComfyUI 0.22.0, the pipeline's minimum)
                raise ValueError("ComfyMathExpression has no BOOL output on this server")
            images = n.ComfySwitchNode(wider, images, limited,
                                       title=f"Control: limited to {limit} if wider")
    model = n.LoadMoGeModel(moge.model, title="MoGe model")
    geometry = n.MoGeInference(model, images, moge.resolution_level, moge.fov_x_degrees,
                               moge.batch_size, moge.force_projection, moge.apply_mask,
                               title="MoGe geometry")
    return n.MoGeRender(geometry, moge.render, title="Depth map")


def lotus_depth(n: Nodes, images: Image, lotus: LotusDepth) -> Image:
    """The depth of ``images`` by the Lotus depth model: one noiseless sampling step from
    their SD-VAE latent, decoded, inverted when ``lotus.invert`` (near is white)."""
    model = n.UNETLoader(lotus.diffusion_model, lotus.weight_dtype, title="Lotus depth model")
    vae = n.VAELoader(lotus.vae, title="Lotus VAE")
    guider = n.BasicGuider(model, n.LotusConditioning(title="Lotus conditioning"),
                           title="Lotus guider")
    schedule = n.BasicScheduler(model, lotus.scheduler, lotus.steps, lotus.denoise,
                                title="Lotus schedule")
    sigmas = n.SetFirstSigma(schedule, lotus.first_sigma, title="Lotus sigmas")
    sampler = n.KSamplerSelect(lotus.sampler, title="Lotus sampler")
    latent = n.VAEEncode(images, vae, title="Lotus: encode frames")
    depth, _ = n.SamplerCustomAdvanced(n.DisableNoise(title="Lotus: no noise"), guider, sampler,
                                       sigmas, latent, title="Lotus depth")
    decoded = n.VAEDecode(depth, vae, title="Lotus: decode depth")
    return n.ImageInvert(decoded, title="Depth map") if lotus.invert else decoded


def add_control(n: Nodes, vae: Vae, positive: Conditioning, negative: Conditioning,
                video: Latent, frames: Image, control: ControlVideo, model: Model
                ) -> tuple[Conditioning, Conditioning, Latent]:
    """The control frames guiding the first stage's latent from ``control.frame_idx``
    (``LTXVAddGuide``; ``LTXVCropGuides`` removes them after that stage); with
    ``control.iclora_parameters``, the IC-LoRA's parameters read from ``model`` (the first
    stage's, whose last LoRA is the IC-LoRA)."""
    parameters = (n.GetICLoRAParameters(model, title="IC-LoRA parameters")
                  if control.iclora_parameters else None)
    positive, negative, video = n.LTXVAddGuide(positive, negative, vae, video, frames,
                                               control.frame_idx, control.strength,
                                               iclora_parameters=parameters,
                                               title="Control guide")
    return positive, negative, video


def reference_sheet(n: Nodes, image_name: str, frames: int, width: int, height: int,
                    sheet: ReferenceSheet) -> Image:
    """The request's image as a reference sheet: ``frames`` copies of it, each fitted inside
    the output size ``width`` x ``height`` and padded."""
    image, _ = n.LoadImage(image_name, title="Reference sheet")
    image = n.RepeatImageBatch(image, frames, title="Reference sheet: one per frame")
    return n.ResizeAndPadImage(image, width, height, sheet.padding_color, sheet.interpolation,
                               title="Reference sheet: fit and pad")


def add_reference(n: Nodes, vae: Vae, positive: Conditioning, negative: Conditioning,
                  video: Latent, frames: Image, sheet: ReferenceSheet, model: Model
                  ) -> tuple[Conditioning, Conditioning, Latent]:
    """The reference sheet guiding the first stage's latent from ``sheet.frame_idx``
    (``LTXVAddGuide`` with the IC-LoRA's parameters, read from ``model``: the first stage's,
    whose LoRAs hold it)."""
    parameters = n.GetICLoRAParameters(model, title="IC-LoRA parameters")
    positive, negative, video = n.LTXVAddGuide(positive, negative, vae, video, frames,
                                               sheet.frame_idx, sheet.strength,
                                               iclora_parameters=parameters,
                                               title="Reference sheet guide")
    return positive, negative, video


def first_frame(n: Nodes, stage: int, vae: Vae, video: Latent, image: Image,
                guides: Sequence[FirstFrameInplace | AddGuide], first_strength: float) -> Latent:
    """``video`` with the in-place first frame of stage ``stage`` (1-based) written over its
    first frame, if the pipeline has one; the first stage's goes in at ``first_strength``
    (the plan's image strength)."""
    for item in guides:
        if isinstance(item, FirstFrameInplace):
            strength = first_strength if stage == 1 else item.refine_strength
            if strength is None:  # (before the first stage only)
                continue
            video = n.LTXVImgToVideoInplace(vae, image, video, strength,
                                            title=f"First frame (stage {stage})")
    return video


def add_guides(n: Nodes, vae: Vae, positive: Conditioning, negative: Conditioning,
               video: Latent, images: Mapping[InputFile, Image],
               guides: Sequence[FirstFrameInplace | AddGuide],
               first_strength: float | None = None
               ) -> tuple[Conditioning, Conditioning, Latent]:
    """The conditioning and video latent with each :class:`AddGuide` applied, in order; the
    first image's at ``first_strength`` when given (the plan's image strength)."""
    for item in guides:
        if isinstance(item, AddGuide):
            strength = (first_strength if item.image == FIRST_IMAGE and first_strength is not None
                        else item.strength)
            positive, negative, video = n.LTXVAddGuide(
                positive, negative, vae, video, images[item.image], item.frame_idx,
                strength, title=f"{IMAGE_TITLES[item.image]} guide")
    return positive, negative, video


def sigmas(n: Nodes, stage: int, schedule: ManualSigmas | LTXVSchedule, latent: Latent
           ) -> Sigmas:
    """The stage's sigmas: an explicit list, or LTX-V's schedule fitted to ``latent``."""
    title = f"Stage {stage} sigmas"
    if isinstance(schedule, ManualSigmas):
        return n.ManualSigmas(schedule.widget, title=title)
    if isinstance(schedule, LTXVSchedule):
        return n.LTXVScheduler(schedule.steps, schedule.max_shift, schedule.base_shift,
                               schedule.stretch, schedule.terminal,
                               latent=latent if schedule.fitted_to_latent else None, title=title)
    raise TypeError(f"unknown schedule {schedule!r}")


def sample(n: Nodes, index: int, stage: Stage, *, model: Model, positive: Conditioning,
           negative: Conditioning, latent: Latent, seed: int) -> Sampled:
    """Sampling stage ``index`` (1-based) over a joint audio-video latent; ``seed`` unless
    the stage has a fixed one. A :class:`KSampler` stage is one node (its output is both
    slots)."""
    noise_seed = stage.noise_seed if stage.noise_seed is not None else seed
    choice = stage.sampler
    if isinstance(choice, KSampler):
        if not isinstance(stage.guider, CFG):  # (Stage refuses any other)
            raise TypeError(f"a KSampler stage takes a CFG guider, not {stage.guider!r}")
        output = n.KSampler(model, noise_seed, choice.steps, stage.guider.cfg, choice.name,
                            choice.scheduler, positive, negative, latent, choice.denoise,
                            title=f"Stage {index} sampling")
        return Sampled(output, output)
    noise = n.RandomNoise(noise_seed, title=f"Stage {index} noise")
    if isinstance(choice, SamplerSelect):
        sampler = n.KSamplerSelect(choice.name, title=f"Stage {index} sampler")
    elif isinstance(choice, EulerAncestral):
        sampler = n.SamplerEulerAncestral(choice.eta, choice.s_noise,
                                          title=f"Stage {index} sampler")
    else:
        raise TypeError(f"unknown sampler {choice!r}")
    if stage.sigmas is None:  # (Stage refuses it without a KSampler)
        raise TypeError(f"stage {index} has no sigmas")
    stage_sigmas = sigmas(n, index, stage.sigmas, latent)
    title = f"Stage {index} guider"
    if isinstance(stage.guider, CFG):
        guider = n.CFGGuider(model, positive, negative, stage.guider.cfg, title=title)
    elif isinstance(stage.guider, DualCFG):
        guider = n.LTXVDualCFGGuider(model, positive, negative, stage.guider.video,
                                     stage.guider.audio, title=title)
    else:
        raise TypeError(f"unknown guider {stage.guider!r}")
    output, denoised = n.SamplerCustomAdvanced(noise, guider, sampler, stage_sigmas, latent,
                                               title=f"Stage {index} sampling")
    return Sampled(output, denoised)


def decode_and_save(n: Nodes, video: Latent, audio: Latent, vae: Vae, audio_vae: Vae, fps: int,
                    filename_prefix: str, decode: Decode) -> None:
    """Decode both latents, mux them at ``fps`` and save the mp4 (the output node)."""
    if isinstance(decode, TiledDecode):
        images = n.VAEDecodeTiled(video, vae, decode.tile_size, decode.overlap,
                                  decode.temporal_size, decode.temporal_overlap,
                                  title="Decode video")
    elif isinstance(decode, PlainDecode):
        images = n.VAEDecode(video, vae, title="Decode video")
    else:
        raise TypeError(f"unknown decode settings {decode!r}")
    sound: Audio = n.LTXVAudioVAEDecode(audio, audio_vae, title="Decode audio")
    clip = n.CreateVideo(images, fps, sound, bit_depth=8, title="Create video")
    n.SaveVideo(clip, filename_prefix, title="Save video")
