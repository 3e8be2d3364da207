"""LTX-2.5 22B (August 2026): text, image, and first-and-last-frame to video, fast.

Every value is that of Comfy-Org's official template named in the entry
(``comfyui-workflow-templates-json`` 0.1.123, ``minComfyUIVersion`` 0.32.0: the dual CFG
guider and the int8-convrot and Gemma 4 loaders), checked by
``tests/builders/test_templates_match.py``.

LTX-2.5 ships its parts as split files (``UNETLoader``, a video and an audio ``VAELoader``, a
Gemma 4 ``CLIPLoader`` of type ``ltxv``) and only a distilled model: there is no ``pro`` mode
and there are no LoRAs. Every stage guides with ``LTXVDualCFGGuider`` at video 1 / audio 1.
Prompt enhancement (off unless the request asks) runs on a small Gemma 4 (E2B) of its own.

- t2v and i2v: two stages, euler ancestral, LTX-2.3's schedules (stage 1 the distilled
  schedule at half size, stage 2 three steps on the 2x-upscaled latent with the templates'
  fixed noise seed 42), both passing on the sampler's output, no guide cropping. i2v brings
  the image's longer edge to 1536 (no crop: ``LTXVImgToVideoInplace`` fits it) and
  ``LTXVPreprocess`` 18, written in at 0.7 before stage 1 and 1.0 before stage 2.
- flf2v: LTX-2.3's one-stage first-and-last-frame graph with ``LTXVPreprocess`` 18 and the
  dual guider.

Decoding is tiled 512 / 64 with temporal tiles of 64 frames overlapping by 16. The templates
compute the output size with ``ResolutionSelector`` (an aspect ratio and megapixels); the SDK
takes the request's size, snapped as every pipeline's is.
"""

from __future__ import annotations

import dataclasses

from .ltx2_3 import DISTILLED_SIGMAS, FIRST_AND_LAST_FRAME, FLF2V_NEGATIVE_PROMPT, REFINE_SIGMAS
from .types import (
    DualCFG,
    EulerAncestral,
    FirstFrameInplace,
    FitToOutput,
    ImagePreprocess,
    LatentSlot,
    ModelVersion,
    Negative,
    Pipeline,
    SamplerSelect,
    ScaleLongerEdge,
    SplitFiles,
    Stage,
    TiledDecode,
)

LTX2_5 = ModelVersion(
    id="ltx-2.5",
    name="LTX-2.5 22B",
    negative_prompt="pc game, console game, video game, cartoon, childish, ugly",
)

FPS = 24  # the templates' frame rate
MIN_COMFYUI = "0.32.0"
STAGE_2_SEED = 42  # the templates' fixed stage-2 noise

FILES = SplitFiles(
    diffusion_model="ltx-2.5-22b-distilled-transformer-comfy-int8-convrot.safetensors",
    video_vae="ltx-2.5-video-vae-bf16.safetensors",
    audio_vae="ltx-2.5-audio-vae-bf16.safetensors",
    text_encoder="gemma4-12b-with-proj-ltx-2.5-comfy-int8-convrot.safetensors",
    upscaler="ltx-2.5-latent-spatial-upscaler-x2-bf16-1.0.safetensors",
    prompt_enhancer="gemma4_e2b_it_int8_convrot.safetensors",
)
ONE_STAGE_FILES = dataclasses.replace(FILES, upscaler=None)

NO_GUIDANCE = DualCFG(video=1.0, audio=1.0)
TILED_DECODE = TiledDecode(tile_size=512, overlap=64, temporal_size=64, temporal_overlap=16)

TWO_STAGES = (
    Stage(SamplerSelect("euler_ancestral"), DISTILLED_SIGMAS, NO_GUIDANCE,
          passes_on=LatentSlot.OUTPUT),
    Stage(SamplerSelect("euler_ancestral"), REFINE_SIGMAS, NO_GUIDANCE,
          passes_on=LatentSlot.OUTPUT, noise_seed=STAGE_2_SEED),
)

T2V_FAST = Pipeline(
    model=LTX2_5, type="t2v", mode="fast", files=FILES, stages=TWO_STAGES,
    negative=Negative.PROMPT, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI, fps=FPS,
    template="video_ltx2_5_t2v",
)

I2V_FAST = Pipeline(
    model=LTX2_5, type="i2v", mode="fast", files=FILES, stages=TWO_STAGES,
    negative=Negative.PROMPT, decode=TILED_DECODE, min_comfyui=MIN_COMFYUI, fps=FPS,
    template="video_ltx2_5_i2v",
    preprocess=ImagePreprocess(resize=(ScaleLongerEdge(size=1536, scale_method="lanczos"),),
                               img_compression=18),
    guides=(FirstFrameInplace(strength=0.7, refine_strength=1.0),),
)

FLF2V_FAST = Pipeline(
    model=LTX2_5, type="flf2v", mode="fast", files=ONE_STAGE_FILES,
    stages=(Stage(EulerAncestral(eta=0.0, s_noise=1.0), DISTILLED_SIGMAS, NO_GUIDANCE,
                  passes_on=LatentSlot.DENOISED_OUTPUT, crop_guides=True),),
    negative=Negative.PROMPT, negative_prompt=FLF2V_NEGATIVE_PROMPT, decode=TILED_DECODE,
    min_comfyui=MIN_COMFYUI, fps=FPS, template="video_ltx2_5_flf2v",
    preprocess=ImagePreprocess(resize=(FitToOutput(scale_method="nearest-exact", crop="center"),),
                               img_compression=18),
    guides=FIRST_AND_LAST_FRAME,
)

PIPELINES: tuple[Pipeline, ...] = (T2V_FAST, I2V_FAST, FLF2V_FAST)
