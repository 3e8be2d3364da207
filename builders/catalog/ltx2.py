"""LTX-2 19B (January 2026): text and image to video, fast (distilled) and pro (dev).

Every value is that of Comfy-Org's official template named in the entry
(``comfyui-workflow-templates-json`` 0.1.123; all four need ComfyUI >= 0.8.0), checked by
``tests/builders/test_templates_match.py``. All four have two stages: stage 1 samples the joint
audio-video latent at half size, the 2x spatial upscaler doubles the video latent, stage 2
refines it with three steps at CFG 1 (the dev model with the distilled LoRA), and both latents
are decoded into one mp4. Camera-motion LoRAs (19B files) apply to the model of both stages.
Stage 2's noise has the templates' fixed seed (0; 420 in t2v fast), stage 1's the request's.

i2v lora is the effect-LoRA template (``video_ltx2_i2v_lora``): the bf16 dev model and the bf16
Gemma, the distilled LoRA (1) on the model of both stages, stage 1 euler ancestral on 12 steps
of LTX-V's schedule at CFG 1 with its own negative prompt, stage 2 the refine sigmas; the image
brought to a larger side of 1536 (``ImageScaleToMaxDimension``), ``LTXVPreprocess`` 33, in place
before stage 1 only; tiled decoding, 24 fps, no camera LoRA. The effect LoRA (its example's
``ltx2-squish``) is the request's ``loras``: before the distilled LoRA on stage 1, after it on
stage 2, as the template has it.

flf2v has no LTX-2 template: it is LTX-2.3's first-and-last-frame graph
(``video_ltx2_3_flf2v``: one stage, both images guiding frames 0 and -1 through
``LTXVAddGuide``, euler ancestral with eta 0, the distilled schedule at CFG 1) on the 19B
distilled checkpoint, with LTX-2's negative prompt, frame rate and decoding, and the camera
LoRA on its stage.

canny2v and depth2v are the control templates (``video_ltx2_canny_to_video``,
``video_ltx2_depth_to_video``): i2v pro's two stages at CFG 3, an IC-LoRA (strength 1) on the
model of both stages, and the request's video as control frames: its frames from the start the
request chooses, fitted to the output size, halved to the first stage's size, turned into edges
(``Canny`` 0.4 / 0.8) or depth (the Lotus depth model), guiding stage 1 from frame 0 at strength
1 (``LTXVAddGuide``) after the in-place first frame, cropped after it. The first image is
optional (the templates' "Ignore First Frame?"): only fitted to the output size (no
``LTXVPreprocess``). Decoding is tiled, at 24 fps; no camera LoRA (the templates have none).
``fast`` is each template's bypassed distilled subgraph: the distilled checkpoint, both stages
euler ancestral at CFG 1 (the distilled sigmas, then the refine sigmas), the negative the zeroed
positive, the IC-LoRA on both stages.
"""

from __future__ import annotations

import dataclasses

from ltx2sdk.vocabulary import VideoTypeId

from . import ltx2_3
from .types import (
    CFG,
    CannyEdges,
    CheckpointFiles,
    ControlVideo,
    EulerAncestral,
    FirstFrameInplace,
    FitToOutput,
    ImagePreprocess,
    LatentSlot,
    LoraFile,
    LoraRole,
    LotusDepth,
    LTXVSchedule,
    ManualSigmas,
    ModelVersion,
    Negative,
    Pipeline,
    PlainDecode,
    SamplerSelect,
    ScaleLongerEdge,
    ScaleToMaxDimension,
    Stage,
    TiledDecode,
)

LTX2 = ModelVersion(
    id="ltx-2",
    name="LTX-2 19B",
    negative_prompt=("blurry, low quality, still frame, frames, watermark, overlay, titles, "
                     "has blurbox, has subtitles"),
    # docs.ltx.video, "Using ComfyUI with LTX-2": "CUDA-compatible GPU with 32GB+ VRAM"
    gpu_memory="32 GB+",
)

FPS = 24  # the t2v templates' frame rate
I2V_FPS = 25  # the i2v templates'

MIN_COMFYUI = "0.8.0"

# Sigma schedules, spelled as the templates spell them (Lightricks' distilled schedule).
DISTILLED_SIGMAS = ManualSigmas.from_text(
    "1., 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0")
REFINE_SIGMAS = ManualSigmas.from_text("0.909375, 0.725, 0.421875, 0.0")
DEV_SCHEDULE = LTXVSchedule(steps=20, max_shift=2.05, base_shift=0.95, stretch=True,
                            terminal=0.1)

DISTILLED_FILES = CheckpointFiles(
    checkpoint="ltx-2-19b-distilled.safetensors",
    text_encoder="gemma_3_12B_it_fp4_mixed.safetensors",
    upscaler="ltx-2-spatial-upscaler-x2-1.0.safetensors",
)
DEV_FILES = CheckpointFiles(
    checkpoint="ltx-2-19b-dev-fp8.safetensors",
    text_encoder="gemma_3_12B_it_fp4_mixed.safetensors",
    upscaler="ltx-2-spatial-upscaler-x2-1.0.safetensors",
    distilled_lora=LoraFile("ltx-2-19b-distilled-lora-384.safetensors", strength=1.0),
)

TILED_DECODE = TiledDecode(tile_size=512, overlap=64, temporal_size=4096, temporal_overlap=8)


def _first_frame(longer_edge_method: str) -> ImagePreprocess:
    """Centre-crop to the output size, bring the longer edge to 1536, then LTXVPreprocess 33
    (ltx-pipelines' value and the templates'; the node's default is 35)."""
    return ImagePreprocess(
        resize=(FitToOutput(scale_method="lanczos", crop="center"),
                ScaleLongerEdge(size=1536, scale_method=longer_edge_method)),
        img_compression=33)


FIRST_FRAME = FirstFrameInplace(strength=1.0, refine_strength=1.0)

T2V_PRO = Pipeline(
    model=LTX2, type="t2v", mode="pro", files=DEV_FILES,
    stages=(
        Stage(SamplerSelect("euler_ancestral"), DEV_SCHEDULE, CFG(4.0),
              passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CAMERA,), crop_guides=True),
        Stage(SamplerSelect("euler_ancestral"), REFINE_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.DENOISED_OUTPUT,
              loras=(LoraRole.DISTILLED, LoraRole.CAMERA), noise_seed=0),
    ),
    negative=Negative.PROMPT, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI, fps=FPS,
    template="video_ltx2_t2v",
)

T2V_FAST = Pipeline(
    model=LTX2, type="t2v", mode="fast", files=DISTILLED_FILES,
    stages=(
        Stage(SamplerSelect("euler_ancestral"), DISTILLED_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.DENOISED_OUTPUT, loras=(LoraRole.CAMERA,)),
        Stage(SamplerSelect("euler_ancestral"), REFINE_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.DENOISED_OUTPUT, loras=(LoraRole.CAMERA,), noise_seed=420),
    ),
    negative=Negative.POSITIVE, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI, fps=FPS,
    template="video_ltx2_t2v_distilled",
)

I2V_PRO = Pipeline(
    model=LTX2, type="i2v", mode="pro", files=DEV_FILES,
    stages=(
        Stage(SamplerSelect("euler"), DEV_SCHEDULE, CFG(4.0),
              passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CAMERA,), crop_guides=True),
        Stage(SamplerSelect("gradient_estimation"), REFINE_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.DENOISED_OUTPUT,
              loras=(LoraRole.DISTILLED, LoraRole.CAMERA), noise_seed=0),
    ),
    negative=Negative.PROMPT, decode=PlainDecode(), min_comfyui=MIN_COMFYUI, fps=I2V_FPS,
    template="video_ltx2_i2v",
    preprocess=_first_frame(longer_edge_method="area"), guides=(FIRST_FRAME,),
)

I2V_FAST = Pipeline(
    model=LTX2, type="i2v", mode="fast", files=DISTILLED_FILES,
    stages=(
        Stage(SamplerSelect("euler"), DISTILLED_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CAMERA,), crop_guides=True),
        Stage(SamplerSelect("gradient_estimation"), REFINE_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.DENOISED_OUTPUT, loras=(LoraRole.CAMERA,), noise_seed=0),
    ),
    negative=Negative.ZEROED_POSITIVE, decode=PlainDecode(), min_comfyui=MIN_COMFYUI, fps=I2V_FPS,
    template="video_ltx2_i2v_distilled",
    preprocess=_first_frame(longer_edge_method="lanczos"), guides=(FIRST_FRAME,),
)

FLF2V_FAST = Pipeline(
    model=LTX2, type="flf2v", mode="fast",
    files=dataclasses.replace(DISTILLED_FILES, upscaler=None),
    stages=(Stage(EulerAncestral(eta=0.0, s_noise=1.0), DISTILLED_SIGMAS, CFG(1.0),
                  passes_on=LatentSlot.DENOISED_OUTPUT, loras=(LoraRole.CAMERA,),
                  crop_guides=True),),
    negative=Negative.PROMPT, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI, fps=FPS,
    template=None,
    source="video_ltx2_3_flf2v (its guides, sampler, schedule and image preparation: "
           "builders.catalog.ltx2_3.FLF2V_FAST) on LTX-2 19B's distilled checkpoint, with "
           "LTX-2's negative prompt, 24 fps and the LTX-2 templates' tiled decoding",
    preprocess=ltx2_3.FLF2V_FAST.preprocess, guides=ltx2_3.FIRST_AND_LAST_FRAME,
)

# --- the effect-LoRA base: video_ltx2_i2v_lora ("Squish Anything with LTX-2 I2V and LoRA")

# its subgraph 92 ("Text to Video (LTX 2.0)"): CheckpointLoaderSimple 92:1, LTXAVTextEncoderLoader
# 92:60 (the bf16 Gemma), LatentUpscaleModelLoader 92:76, LoraLoaderModelOnly 92:108 / 92:68
# (the distilled LoRA at 1 on both stages; its effect LoRA 92:110 / 92:109 is the request's
# own: the template's example carries it)
LORA_FILES = CheckpointFiles(
    checkpoint="ltx-2-19b-dev.safetensors",
    text_encoder="gemma_3_12B_it.safetensors",
    upscaler="ltx-2-spatial-upscaler-x2-1.0.safetensors",
    distilled_lora=LoraFile("ltx-2-19b-distilled-lora-384.safetensors", strength=1.0),
)
# CLIPTextEncode 92:4
LORA_NEGATIVE_PROMPT = (
    "watermark, logo, channel logo, TV logo, broadcast overlay,\nUI elements, interface, HUD, "
    "subtitles, captions,\nsymbols, glyphs, letters, text, numbers,\non-screen graphics, "
    "corner marks, branding,\ntimestamp, camera overlay, app icon watermark, text, markup, "
    "logo, blurry, out of focus, overexposed, underexposed, low contrast, washed out colors, "
    "excessive noise, grainy texture, poor lighting, flickering, motion blur, distorted "
    "proportions, unnatural skin tones, deformed facial features, asymmetrical face, missing "
    "facial features, extra limbs, disfigured hands, wrong hand count, artifacts around "
    "text,, missing microphone, misplaced microphone, inconsistent perspective, camera shake, "
    "incorrect depth of field, background too sharp, background clutter, distracting "
    "reflections, harsh shadows, inconsistent lighting direction, color banding, cartoonish "
    "rendering, 3D CGI look, unrealistic materials, uncanny valley effect, incorrect "
    "ethnicity, wrong gender, exaggerated expressions, smiling, laughing, exaggerated "
    "sadness, wrong gaze direction, eyes looking at camera, mismatched lip sync, silent or "
    "muted audio, distorted voice, robotic voice, echo, background noise, off-sync audio, "
    "missing sniff sounds, incorrect dialogue, added dialogue, repetitive speech, jittery "
    "movement, awkward pauses, incorrect timing, unnatural transitions, inconsistent "
    "framing, tilted camera, missing door or shelves, missing shallow depth of field, flat "
    "lighting, inconsistent tone, cinematic oversaturation, stylized filters, or AI "
    "artifacts.")

I2V_LORA = Pipeline(
    model=LTX2, type="i2v", mode="lora", files=LORA_FILES,
    stages=(
        # KSamplerSelect 92:8, LTXVScheduler 92:9 (12 steps, fitted to the latent), CFGGuider
        # 92:47 at 1; LTXVCropGuides 92:81's latent goes on
        Stage(SamplerSelect("euler_ancestral"),
              LTXVSchedule(steps=12, max_shift=2.05, base_shift=0.95, stretch=True,
                           terminal=0.1),
              CFG(1.0), passes_on=LatentSlot.OUTPUT, loras=(LoraRole.DISTILLED,),
              crop_guides=True),
        # KSamplerSelect 92:66, ManualSigmas 92:73, CFGGuider 92:82 at 1, RandomNoise 92:67 at
        # 0; LTXVSeparateAVLatent 92:115 splits the denoised output
        Stage(SamplerSelect("euler_ancestral"), REFINE_SIGMAS, CFG(1.0),
              passes_on=LatentSlot.DENOISED_OUTPUT, loras=(LoraRole.DISTILLED,), noise_seed=0),
    ),
    negative=Negative.PROMPT, negative_prompt=LORA_NEGATIVE_PROMPT,
    decode=TILED_DECODE,  # VAEDecodeTiled 92:116
    min_comfyui=MIN_COMFYUI, fps=FPS,  # its index.json; CreateVideo 92:97 at 24 fps
    template="video_ltx2_i2v_lora",
    # ImageScaleToMaxDimension 92:111 (lanczos, 1536), LTXVPreprocess 92:112 (33), then
    # LTXVImgToVideoInplace 92:113 at 1 before stage 1 only (stage 2 has none)
    preprocess=ImagePreprocess(resize=(ScaleToMaxDimension(size=1536, scale_method="lanczos"),),
                               img_compression=33),
    guides=(FirstFrameInplace(strength=1.0, refine_strength=None),),
)

# --- control videos (IC-LoRA): video_ltx2_canny_to_video, video_ltx2_depth_to_video

# LoraLoaderModelOnly 143:134 (dev) and 162:212 / 162:220 (distilled), on both stages' model
CANNY_LORA = LoraFile("ltx-2-19b-ic-lora-canny-control.safetensors", strength=1.0)
DEPTH_LORA = LoraFile("ltx-2-19b-ic-lora-depth-control.safetensors", strength=1.0)
# Both templates: the first image and the control frames fitted to 1280x720 (lanczos, centre
# crop), the frames then halved (ImageScaleBy lanczos 0.5); "Frame Count" 121.
_FITTED = (FitToOutput(scale_method="lanczos", crop="center"),)
FIRST_FRAME_FITTED = ImagePreprocess(resize=_FITTED, img_compression=None)
CANNY = CannyEdges(low_threshold=0.4, high_threshold=0.8)  # Canny 158: the node's defaults
# The depth template's subgraph 181, "Image to Depth Map (Lotus)"
LOTUS_DEPTH = LotusDepth(
    diffusion_model="lotus-depth-d-v1-1.safetensors",  # UNETLoader 181:10
    vae="vae-ft-mse-840000-ema-pruned.safetensors",  # VAELoader 181:14
    first_sigma=999.0000000000002,  # SetFirstSigma 181:28 (the subgraph's "sigma" widget)
    scheduler="normal", steps=1, denoise=1.0,  # BasicScheduler 181:20
    sampler="euler")  # KSamplerSelect 181:21


def _control(preprocessor: CannyEdges | LotusDepth) -> ControlVideo:
    """The templates' control chain with ``preprocessor``: ImageFromBatch 152 (from 0, "Frame
    Count" 121), ResizeImageMaskNode 164 (1280x720, centre, lanczos), ImageScaleBy 146
    (lanczos, 0.5), LTXVAddGuide 143:132 / 162:199 / 162:207 (frame 0, strength 1)."""
    return ControlVideo(preprocessor=preprocessor, resize=_FITTED, scale_method="lanczos",
                        frame_idx=0, strength=1.0, default_frames=121)


def _control_pro(type: VideoTypeId, lora: LoraFile, preprocessor: CannyEdges | LotusDepth,
                 template: str) -> Pipeline:
    """A control template's active graph (subgraph 143): the dev model, CFGGuider 143:93 at 3
    with the encoded negative (LTX-2's), LTXVScheduler 143:95 as i2v pro's; stage 2
    (CFGGuider 143:108 at 1, gradient_estimation, RandomNoise 143:177 at 0) adds the
    distilled LoRA 143:105 after the IC-LoRA; VAEDecodeTiled 143:178, CreateVideo 24 fps."""
    return Pipeline(
        model=LTX2, type=type, mode="pro",
        files=dataclasses.replace(DEV_FILES, control_lora=lora),
        stages=(
            Stage(SamplerSelect("euler"), DEV_SCHEDULE, CFG(3.0),
                  passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CONTROL,), crop_guides=True),
            Stage(SamplerSelect("gradient_estimation"), REFINE_SIGMAS, CFG(1.0),
                  passes_on=LatentSlot.DENOISED_OUTPUT,
                  loras=(LoraRole.CONTROL, LoraRole.DISTILLED), noise_seed=0),
        ),
        negative=Negative.PROMPT, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI, fps=FPS,
        template=template, preprocess=FIRST_FRAME_FITTED, guides=(FIRST_FRAME,),
        control=_control(preprocessor),
    )


def _control_fast(type: VideoTypeId, lora: LoraFile, preprocessor: CannyEdges | LotusDepth,
                  template: str, refine_seed: int) -> Pipeline:
    """A control template's bypassed distilled subgraph 162 (its "Canny to Video (LTX 2.0
    Distilled)"): ltx-2-19b-distilled, ConditioningZeroOut 162:155, both stages
    euler_ancestral at CFG 1 (ManualSigmas 162:156 then the refine sigmas), stage 2's
    RandomNoise fixed at ``refine_seed``; VAEDecodeTiled, CreateVideo 24 fps."""
    return Pipeline(
        model=LTX2, type=type, mode="fast",
        files=dataclasses.replace(DISTILLED_FILES, control_lora=lora),
        stages=(
            Stage(SamplerSelect("euler_ancestral"), DISTILLED_SIGMAS, CFG(1.0),
                  passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CONTROL,), crop_guides=True),
            Stage(SamplerSelect("euler_ancestral"), REFINE_SIGMAS, CFG(1.0),
                  passes_on=LatentSlot.DENOISED_OUTPUT, loras=(LoraRole.CONTROL,),
                  noise_seed=refine_seed),
        ),
        negative=Negative.ZEROED_POSITIVE, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI,
        fps=FPS, template=template, template_variant="distilled",
        preprocess=FIRST_FRAME_FITTED, guides=(FIRST_FRAME,), control=_control(preprocessor),
    )


CANNY_TEMPLATE = "video_ltx2_canny_to_video"
DEPTH_TEMPLATE = "video_ltx2_depth_to_video"
CANNY_PRO = _control_pro("canny2v", CANNY_LORA, CANNY, CANNY_TEMPLATE)
CANNY_FAST = _control_fast("canny2v", CANNY_LORA, CANNY, CANNY_TEMPLATE, refine_seed=0)
DEPTH_PRO = _control_pro("depth2v", DEPTH_LORA, LOTUS_DEPTH, DEPTH_TEMPLATE)
# stage 2's fixed seed: canny's RandomNoise 162:191 is 0, depth's 162:199 816174319356945
DEPTH_FAST = _control_fast("depth2v", DEPTH_LORA, LOTUS_DEPTH, DEPTH_TEMPLATE,
                           refine_seed=816174319356945)

PIPELINES: tuple[Pipeline, ...] = (T2V_FAST, T2V_PRO, I2V_FAST, I2V_PRO, I2V_LORA, FLF2V_FAST,
                                   CANNY_FAST, CANNY_PRO, DEPTH_FAST, DEPTH_PRO)
