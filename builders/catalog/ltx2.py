"""LTX-2 19B (January 2026): text and image to video, fast (distilled) and pro (dev).

Every value is that of Comfy-Org's official template named in the entry
(``comfyui-workflow-templates-json`` 0.1.123; all four need ComfyUI >= 0.8.0), checked by
``tests/builders/test_templates_match.py``. All four have two stages: stage 1 samples the joint
audio-video latent at half size, the 2x spatial upscaler doubles the video latent, stage 2
refines it with three steps at CFG 1 (the dev model with the distilled LoRA), and both latents
are decoded into one mp4. Camera-motion LoRAs (19B files) apply to the model of both stages.
Stage 2's noise has the templates' fixed seed (0; 420 in t2v fast), stage 1's the request's.

flf2v has no LTX-2 template: it is LTX-2.3's first-and-last-frame graph
(``video_ltx2_3_flf2v``: one stage, both images guiding frames 0 and -1 through
``LTXVAddGuide``, euler ancestral with eta 0, the distilled schedule at CFG 1) on the 19B
distilled checkpoint, with LTX-2's negative prompt, frame rate and decoding, and the camera
LoRA on its stage.
"""

from __future__ import annotations

import dataclasses

from . import ltx2_3
from .types import (
    CFG,
    CheckpointFiles,
    EulerAncestral,
    FirstFrameInplace,
    FitToOutput,
    ImagePreprocess,
    LatentSlot,
    LoraFile,
    LoraRole,
    LTXVSchedule,
    ManualSigmas,
    ModelVersion,
    Negative,
    Pipeline,
    PlainDecode,
    SamplerSelect,
    ScaleLongerEdge,
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

PIPELINES: tuple[Pipeline, ...] = (T2V_FAST, T2V_PRO, I2V_FAST, I2V_PRO, FLF2V_FAST)
