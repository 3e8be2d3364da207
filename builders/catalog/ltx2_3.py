"""LTX-2.3 22B (March 2026): text and image to video, fast.

Every value is that of Comfy-Org's official template named in the entry
(``comfyui-workflow-templates-json`` 0.1.123, ``minComfyUIVersion`` 0.16.4 in its
``index.json``), checked by ``tests/test_templates_match.py``. Both have two stages on the dev
checkpoint with Lightricks' distilled LoRA at 0.5 on the model of both stages: stage 1 samples
at half size with the distilled schedule, the 2x spatial upscaler (1.1) doubles the video
latent, stage 2 refines it with three steps; CFG 1 throughout, the negative prompt encoded.
Stage 2 gets the conditioning through ``LTXVCropGuides`` but continues from stage 1's own
latent. There are no camera LoRAs for 2.3 (LTX-2's are 19B files).

The templates also carry a prompt-enhancement switch (``TextGenerateLTX2Prompt`` with an
abliterated Gemma LoRA on the text encoder); the SDK leaves enhancement to the request's
``enhance_prompt``. In t2v the templates keep the i2v image path with ``bypass`` set on
``LTXVImgToVideoInplace`` (it computes nothing); the t2v entry leaves it out.

Not yet declared: ``pro`` (the dev model with real CFG, from Lightricks' ltx-pipelines), flf2v
(one stage, ``LTXVAddGuide`` first and last frame) and ia2v (audio-driven).
"""

from __future__ import annotations

from .types import (
    CFG,
    CheckpointFiles,
    FirstFrameInplace,
    FitToOutput,
    Generation,
    ImagePreprocess,
    LatentSlot,
    LoraFile,
    LoraRole,
    ManualSigmas,
    Mode,
    Negative,
    Pipeline,
    SamplerSelect,
    ScaleLongerEdge,
    Stage,
    TiledDecode,
    VideoType,
)

LTX2_3 = Generation(
    id="ltx-2.3",
    name="LTX-2.3 22B",
    negative_prompt="pc game, console game, video game, cartoon, childish, ugly",
)

FPS = 25  # the templates' frame rate
MIN_COMFYUI = "0.16.4"

# Sigma schedules, spelled as the templates spell them.
DISTILLED_SIGMAS = ManualSigmas.from_text(
    "1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0")
REFINE_SIGMAS = ManualSigmas.from_text("0.85, 0.7250, 0.4219, 0.0")

FAST_FILES = CheckpointFiles(
    checkpoint="ltx-2.3-22b-dev-fp8.safetensors",
    text_encoder="gemma_3_12B_it_fp4_mixed.safetensors",
    upscaler="ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
    distilled_lora=LoraFile(
        "ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors",
        strength=0.5),
)

TILED_DECODE = TiledDecode(tile_size=768, overlap=64, temporal_size=4096, temporal_overlap=4)

FAST_STAGES = (
    Stage(SamplerSelect("euler"), DISTILLED_SIGMAS, CFG(1.0), passes_on=LatentSlot.OUTPUT,
          loras=(LoraRole.DISTILLED,), crop_guides=True, crop_latent=False),
    Stage(SamplerSelect("euler"), REFINE_SIGMAS, CFG(1.0), passes_on=LatentSlot.OUTPUT,
          loras=(LoraRole.DISTILLED,)),
)

T2V_FAST = Pipeline(
    generation=LTX2_3, type=VideoType.T2V, mode=Mode.FAST, files=FAST_FILES,
    stages=FAST_STAGES, negative=Negative.PROMPT, decode=TILED_DECODE,
    min_comfyui=MIN_COMFYUI, fps=FPS, template="video_ltx2_3_t2v",
)

I2V_FAST = Pipeline(
    generation=LTX2_3, type=VideoType.I2V, mode=Mode.FAST, files=FAST_FILES,
    stages=FAST_STAGES, negative=Negative.PROMPT, decode=TILED_DECODE,
    min_comfyui=MIN_COMFYUI, fps=FPS, template="video_ltx2_3_i2v",
    # centre-crop to the output size, longer edge 1536 (area), then LTXVPreprocess 18
    preprocess=ImagePreprocess(
        resize=(FitToOutput(scale_method="lanczos", crop="center"),
                ScaleLongerEdge(size=1536, scale_method="area")),
        img_compression=18),
    guides=(FirstFrameInplace(strength=0.7, refine_strength=1.0),),
)

PIPELINES: tuple[Pipeline, ...] = (T2V_FAST, I2V_FAST)
