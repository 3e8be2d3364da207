"""LTX-2.3 22B (March 2026): text and image to video, fast.

Every value is that of Comfy-Org's official template named in the entry
(``comfyui-workflow-templates-json`` 0.1.123, ``minComfyUIVersion`` 0.16.4 in its
``index.json``), checked by ``tests/builders/test_templates_match.py``. Both have two stages
on the dev checkpoint with Lightricks' distilled LoRA at 0.5 on the model of both stages: stage
1 samples at half size with the distilled schedule, the 2x spatial upscaler (1.1) doubles the video
latent, stage 2 refines it with three steps; CFG 1 throughout, the negative prompt encoded.
Stage 2 gets the conditioning through ``LTXVCropGuides`` but continues from stage 1's own
latent. There are no camera LoRAs for 2.3 (LTX-2's are 19B files).

The templates also carry a prompt-enhancement switch (``TextGenerateLTX2Prompt`` with an
abliterated Gemma LoRA on the text encoder); the SDK leaves enhancement to the request's
``enhance_prompt``. In t2v the templates keep the i2v image path with ``bypass`` set on
``LTXVImgToVideoInplace`` (it computes nothing); the t2v entry leaves it out.

Stage 2 samples with the templates' fixed noise seed 42 (stage 1 with the request's).

flf2v (``video_ltx2_3_flf2v``) is one stage at full size on the distilled checkpoint: both
images fitted to the output size (nearest-exact, centre crop) and ``LTXVPreprocess`` 25, then
``LTXVAddGuide`` at frame 0 and frame -1 (strength 0.7) on the empty video latent; euler
ancestral with eta 0, the distilled schedule, CFG 1, the denoised output, guides cropped; its
own (long) negative prompt and tiled decode with a temporal overlap of 64.

``pro`` has no Comfy-Org template (theirs all run the dev model at CFG 1 with the distilled
LoRA). It follows Lightricks' own two-stage pipeline for the 2.3 dev model, ``ti2vid_two_stages``
with ``LTX_2_3_PARAMS`` (Lightricks/LTX-2, ``packages/ltx-pipelines/src/ltx_pipelines/
ti2vid_two_stages.py`` and ``utils/constants.py``): stage 1 on the bare dev model, 30 euler
steps of the LTX-2 schedule shifted for 4096 tokens (no latent given), CFG 3 on video and 7 on
audio (``LTXVDualCFGGuider``, ComfyUI >= 0.32.0); stage 2 on the 2x-upscaled latent with the
distilled LoRA at ``DEFAULT_LORA_STRENGTH`` 1.0, the distilled refine sigmas
``0.909375, 0.725, 0.421875, 0.0`` and no guidance; images compressed at ``DEFAULT_IMAGE_CRF``
33; 24 fps; its default negative prompt. Lightricks' guider also adds spatio-temporal guidance
(scale 1, block 28), rescaling (0.7) and cross-modal guidance (3): ComfyUI core has no guider
combining them with dual CFG, so they are left out.

ia2v (``video_ltx2_3_ia2v``, lip-sync to a given voice) is i2v fast at 24 fps with the
image's longer edge resized with lanczos, and the given audio as stage 1's audio latent: cut
to the video's length, encoded, and masked (a solid mask of 0) so sampling keeps it.

id2v fast (``video_ltx2_3_id_lora``, ComfyUI >= 0.19.0) keeps a person's voice from a
recording: i2v fast at 25 fps with the image's longer edge resized with lanczos, the ID-LoRA
(``ltx-2.3-id-lora-talkvid-3k``, 1.0) after the distilled LoRA on stage 1's model, and
``LTXVReferenceAudio`` (identity guidance 3, over the whole schedule) between the encoded
prompts and the frame rate, on that model and the recording as given. The video makes its own
audio (speech in that voice: the prompt's ``[SPEECH]``); stage 2 refines with the distilled
LoRA alone and the cropped conditioning, as in the template.

ref2v fast (``template_ltx2_3_ic_lora_ingredients``, ComfyUI >= 0.22.0) keeps the characters,
props and places of a reference sheet (one image): the union control's one ``KSampler`` stage
on the distilled checkpoint with the ingredients IC-LoRA (``ingredients-0.9``, 1.0), the sheet
repeated as many frames as the video, fitted inside the output size and padded black, added as
a guide from frame 0 at strength 1 with the LoRA's own parameters; no first frame (the
template's is bypassed); the flf2v negative prompt and tiled decode, 25 fps.

depth2v fast is the union-control template (``video_ltx2_3_ic_lora``, ComfyUI >= 0.22.0): one
stage on the distilled fp8 checkpoint with the union IC-LoRA (``ref0.5``) at 1.0, sampled by
``KSampler`` (8 steps of ``linear_quadratic``, euler ancestral, CFG 1) on the flf2v negative
prompt. The request's video is cut by ``Video Slice`` (the plan's seconds from
``video_start``), decoded, its frames wider than 2048 brought to a longer edge of 2048 (the
template decides this at run time from the frames' width; the SDK when it builds, from the
video it measured, else with the template's own switch), turned into depth by
MoGe and added as a guide from frame 0 at strength 1 with the LoRA's own parameters
(``GetICLoRAParameters``: guides at half the latent's size, as ``ref0.5`` wants). The first
image goes in place at strength 1, as it is (``LTXVImgToVideoInplace`` resizes it). 1280x704,
25 fps; the tiled decode of flf2v. The template's prompt enhancement stays the request's
``enhance_prompt``.
"""

from __future__ import annotations

import dataclasses

from ltx2sdk.vocabulary import FIRST_IMAGE, LAST_IMAGE

from .types import (
    CFG,
    AddGuide,
    CheckpointFiles,
    ControlCut,
    ControlVideo,
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
    LTXVSchedule,
    ManualSigmas,
    ModelVersion,
    MoGeDepth,
    Negative,
    Pipeline,
    ReferenceAudio,
    ReferenceSheet,
    SamplerSelect,
    ScaleLongerEdge,
    Stage,
    TiledDecode,
)

LTX2_3 = ModelVersion(
    id="ltx-2.3",
    name="LTX-2.3 22B",
    negative_prompt="pc game, console game, video game, cartoon, childish, ugly",
    # docs.ltx.video system requirements: "minimum 32GB+ VRAM - more is better"
    gpu_memory="32 GB+",
)

FPS = 25  # the templates' frame rate
MIN_COMFYUI = "0.16.4"

# Sigma schedules, spelled as the templates spell them.
DISTILLED_SIGMAS = ManualSigmas.from_text(
    "1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0")
REFINE_SIGMAS = ManualSigmas.from_text("0.85, 0.7250, 0.4219, 0.0")

DISTILLED_LORA = "ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors"

FAST_FILES = CheckpointFiles(
    checkpoint="ltx-2.3-22b-dev-fp8.safetensors",
    text_encoder="gemma_3_12B_it_fp4_mixed.safetensors",
    upscaler="ltx-2.3-spatial-upscaler-x2-1.1.safetensors",
    distilled_lora=LoraFile(DISTILLED_LORA, strength=0.5),
)

STAGE_2_SEED = 42  # the templates' fixed stage-2 noise

TILED_DECODE = TiledDecode(tile_size=768, overlap=64, temporal_size=4096, temporal_overlap=4)

FAST_STAGES = (
    Stage(SamplerSelect("euler"), DISTILLED_SIGMAS, CFG(1.0), passes_on=LatentSlot.OUTPUT,
          loras=(LoraRole.DISTILLED,), crop_guides=True, crop_latent=False),
    Stage(SamplerSelect("euler"), REFINE_SIGMAS, CFG(1.0), passes_on=LatentSlot.OUTPUT,
          loras=(LoraRole.DISTILLED,), noise_seed=STAGE_2_SEED),
)

T2V_FAST = Pipeline(
    model=LTX2_3, type="t2v", mode="fast", files=FAST_FILES,
    stages=FAST_STAGES, negative=Negative.PROMPT, decode=TILED_DECODE,
    min_comfyui=MIN_COMFYUI, fps=FPS, template="video_ltx2_3_t2v",
)

I2V_FAST = Pipeline(
    model=LTX2_3, type="i2v", mode="fast", files=FAST_FILES,
    stages=FAST_STAGES, negative=Negative.PROMPT, decode=TILED_DECODE,
    min_comfyui=MIN_COMFYUI, fps=FPS, template="video_ltx2_3_i2v",
    # centre-crop to the output size, longer edge 1536 (area), then LTXVPreprocess 18
    preprocess=ImagePreprocess(
        resize=(FitToOutput(scale_method="lanczos", crop="center"),
                ScaleLongerEdge(size=1536, scale_method="area")),
        img_compression=18),
    guides=(FirstFrameInplace(strength=0.7, refine_strength=1.0),),
)

FLF2V_NEGATIVE_PROMPT = (
    "blurry, out of focus, overexposed, underexposed, low contrast, washed out colors, "
    "excessive noise, grainy texture, poor lighting, flickering, motion blur, distorted "
    "proportions, unnatural skin tones, deformed facial features, asymmetrical face, missing "
    "facial features, extra limbs, disfigured hands, wrong hand count, artifacts around text, "
    "unreadable text on shirt or hat, incorrect lettering on cap (\u201cPNTR\u201d), incorrect "
    "t-shirt slogan (\u201cJUST DO IT\u201d), missing microphone, misplaced microphone, "
    "inconsistent perspective, camera shake, incorrect depth of field, background too sharp, "
    "background clutter, distracting reflections, harsh shadows, inconsistent lighting "
    "direction, color banding, cartoonish rendering, 3D CGI look, unrealistic materials, "
    "uncanny valley effect, incorrect ethnicity, wrong gender, exaggerated expressions, smiling, "
    "laughing, exaggerated sadness, wrong gaze direction, eyes looking at camera, mismatched lip "
    "sync, silent or muted audio, distorted voice, robotic voice, echo, background noise, "
    "off-sync audio, missing sniff sounds, incorrect dialogue, added dialogue, repetitive "
    "speech, jittery movement, awkward pauses, incorrect timing, unnatural transitions, "
    "inconsistent framing, tilted camera, missing door or shelves, missing shallow depth of "
    "field, flat lighting, inconsistent tone, cinematic oversaturation, stylized filters, or AI "
    "artifacts.")
"""The negative prompt of the first-and-last-frame templates (LTX-2.3's and LTX-2.5's)."""

FIRST_AND_LAST_FRAME = (AddGuide(FIRST_IMAGE, frame_idx=0, strength=0.7),
                        AddGuide(LAST_IMAGE, frame_idx=-1, strength=0.7))
"""Both images guide the one stage: the first frame and the last (-1: from the end)."""

FLF2V_FILES = CheckpointFiles(
    checkpoint="ltx-2.3-22b-distilled-fp8.safetensors",
    text_encoder="gemma_3_12B_it_fp4_mixed.safetensors",
    upscaler=None,
)

FLF2V_FAST = Pipeline(
    model=LTX2_3, type="flf2v", mode="fast", files=FLF2V_FILES,
    stages=(Stage(EulerAncestral(eta=0.0, s_noise=1.0),
                  ManualSigmas.from_text("1., 0.99375, 0.9875, 0.98125, 0.975, 0.909375, "
                                         "0.725, 0.421875, 0.0"),
                  CFG(1.0), passes_on=LatentSlot.DENOISED_OUTPUT, crop_guides=True),),
    negative=Negative.PROMPT, negative_prompt=FLF2V_NEGATIVE_PROMPT,
    decode=TiledDecode(tile_size=768, overlap=64, temporal_size=4096, temporal_overlap=64),
    min_comfyui=MIN_COMFYUI, fps=FPS, template="video_ltx2_3_flf2v",
    preprocess=ImagePreprocess(resize=(FitToOutput(scale_method="nearest-exact", crop="center"),),
                               img_compression=25),
    guides=FIRST_AND_LAST_FRAME,
)

IA2V_FAST = Pipeline(
    model=LTX2_3, type="ia2v", mode="fast", files=FAST_FILES,
    stages=FAST_STAGES, negative=Negative.PROMPT, decode=TILED_DECODE,
    min_comfyui=MIN_COMFYUI, fps=24, template="video_ltx2_3_ia2v",
    preprocess=ImagePreprocess(
        resize=(FitToOutput(scale_method="lanczos", crop="center"),
                ScaleLongerEdge(size=1536, scale_method="lanczos")),
        img_compression=18),
    guides=(FirstFrameInplace(strength=0.7, refine_strength=1.0),),
    audio=GivenAudio(trim_start=0.0, mask_value=0.0),
)

# --- voice identity (ID-LoRA): video_ltx2_3_id_lora ("LTX-2.3: ID LoRA")

ID_LORA = LoraFile("ltx-2.3-id-lora-talkvid-3k.safetensors", strength=1.0)  # LoraLoaderModelOnly
# 340:346, after the distilled LoRA 340:293, on stage 1's model only
ID_MIN_COMFYUI = "0.19.0"  # its index.json (LTXVReferenceAudio)

ID2V_FAST = Pipeline(
    model=LTX2_3, type="id2v", mode="fast",
    files=dataclasses.replace(FAST_FILES, identity_lora=ID_LORA),
    # i2v fast's stages (SamplerCustomAdvanced 340:291, 340:310; CFGGuider 340:315 at 1 on
    # LTXVReferenceAudio 340:349's model, 340:290 at 1 on 340:293's; RandomNoise 340:285 at
    # 42; LTXVCropGuides 340:292 crops the conditioning only), the ID-LoRA on stage 1's model
    stages=(dataclasses.replace(FAST_STAGES[0], loras=(LoraRole.DISTILLED, LoraRole.IDENTITY)),
            FAST_STAGES[1]),
    negative=Negative.PROMPT, decode=TILED_DECODE,  # CLIPTextEncode 340:314, VAEDecodeTiled 340:316
    min_comfyui=ID_MIN_COMFYUI, fps=FPS,  # CreateVideo 340:312 at 25
    template="video_ltx2_3_id_lora",
    # ResizeImageMaskNode 340:297 (1280x720, lanczos, centre) and 340:356 (1536, lanczos),
    # LTXVPreprocess 340:334 (18), LTXVImgToVideoInplace 340:325 (0.7) and 340:296 (1)
    preprocess=ImagePreprocess(
        resize=(FitToOutput(scale_method="lanczos", crop="center"),
                ScaleLongerEdge(size=1536, scale_method="lanczos")),
        img_compression=18),
    guides=(FirstFrameInplace(strength=0.7, refine_strength=1.0),),
    # LoadAudio 276 straight into LTXVReferenceAudio 340:349 (scale 3, from 0 to 1); the video's
    # audio starts empty (LTXVEmptyLatentAudio 340:348)
    audio=ReferenceAudio(identity_guidance_scale=3.0, start_percent=0.0, end_percent=1.0),
)

PRO_SOURCE = ("Lightricks/LTX-2 ltx-pipelines ti2vid_two_stages with LTX_2_3_PARAMS "
              "(utils/constants.py): 30 steps, video CFG 3 / audio CFG 7, stage-2 distilled "
              "LoRA 1.0 and STAGE_2_DISTILLED_SIGMA_VALUES, DEFAULT_IMAGE_CRF 33, 24 fps, "
              "DEFAULT_NEGATIVE_PROMPT; STG, rescale and modality guidance left out")
PRO_NEGATIVE_PROMPT = (
    "blurry, out of focus, overexposed, underexposed, low contrast, washed out colors, "
    "excessive noise, grainy texture, poor lighting, flickering, motion blur, distorted "
    "proportions, unnatural skin tones, deformed facial features, asymmetrical face, missing "
    "facial features, extra limbs, disfigured hands, wrong hand count, artifacts around text, "
    "inconsistent perspective, camera shake, incorrect depth of field, background too sharp, "
    "background clutter, distracting reflections, harsh shadows, inconsistent lighting "
    "direction, color banding, cartoonish rendering, 3D CGI look, unrealistic materials, "
    "uncanny valley effect, incorrect ethnicity, wrong gender, exaggerated expressions, wrong "
    "gaze direction, mismatched lip sync, silent or muted audio, distorted voice, robotic "
    "voice, echo, background noise, off-sync audio, incorrect dialogue, added dialogue, "
    "repetitive speech, jittery movement, awkward pauses, incorrect timing, unnatural "
    "transitions, inconsistent framing, tilted camera, flat lighting, inconsistent tone, "
    "cinematic oversaturation, stylized filters, or AI artifacts.")
"""ltx-pipelines' DEFAULT_NEGATIVE_PROMPT."""

PRO_FILES = dataclasses.replace(FAST_FILES, distilled_lora=LoraFile(DISTILLED_LORA, strength=1.0))
PRO_STAGES = (
    Stage(SamplerSelect("euler"),
          LTXVSchedule(steps=30, max_shift=2.05, base_shift=0.95, stretch=True, terminal=0.1,
                       fitted_to_latent=False),
          DualCFG(video=3.0, audio=7.0), passes_on=LatentSlot.OUTPUT, crop_guides=True),
    Stage(SamplerSelect("euler"), ManualSigmas(values=(0.909375, 0.725, 0.421875, 0.0)),
          CFG(1.0), passes_on=LatentSlot.OUTPUT, loras=(LoraRole.DISTILLED,)),
)
PRO_MIN_COMFYUI = "0.32.0"  # LTXVDualCFGGuider

T2V_PRO = Pipeline(
    model=LTX2_3, type="t2v", mode="pro", files=PRO_FILES, stages=PRO_STAGES,
    negative=Negative.PROMPT, negative_prompt=PRO_NEGATIVE_PROMPT, decode=TILED_DECODE,
    min_comfyui=PRO_MIN_COMFYUI, fps=24, template=None, source=PRO_SOURCE,
)

I2V_PRO = Pipeline(
    model=LTX2_3, type="i2v", mode="pro", files=PRO_FILES, stages=PRO_STAGES,
    negative=Negative.PROMPT, negative_prompt=PRO_NEGATIVE_PROMPT, decode=TILED_DECODE,
    min_comfyui=PRO_MIN_COMFYUI, fps=24, template=None, source=PRO_SOURCE,
    preprocess=ImagePreprocess(
        resize=(FitToOutput(scale_method="lanczos", crop="center"),
                ScaleLongerEdge(size=1536, scale_method="area")),
        img_compression=33),
    guides=(FirstFrameInplace(strength=1.0, refine_strength=1.0),),
)

# --- union control (IC-LoRA): video_ltx2_3_ic_lora

UNION_CONTROL_LORA = LoraFile("ltx-2.3-22b-ic-lora-union-control-ref0.5.safetensors",
                              strength=1.0)  # LoraLoaderModelOnly 129:195
IC_LORA_MIN_COMFYUI = "0.22.0"  # GetICLoRAParameters, the MoGe nodes (Video Slice: 0.16.4)
# subgraph 697 "Video Depth Estimation (MoGe)": LoadMoGeModel 697:32, MoGeInference 697:13,
# MoGeRender 697:25; the "a > 2048" switch 697:36 / 697:42 / 697:53 before them
MOGE_DEPTH = MoGeDepth(model="moge_2_vitl_normal_fp16.safetensors", resolution_level=9,
                       fov_x_degrees=0.0, batch_size=4, force_projection=True, apply_mask=True,
                       render="depth", limit_width=2048, limit_method="area")

DEPTH2V_FAST = Pipeline(
    model=LTX2_3, type="depth2v", mode="fast",
    files=dataclasses.replace(FLF2V_FILES, control_lora=UNION_CONTROL_LORA),
    # KSampler 129:704 (seed = the request's); LTXVCropGuides 129:106's latent is decoded
    stages=(Stage(KSampler("euler_ancestral", "linear_quadratic", steps=8, denoise=1.0), None,
                  CFG(1.0), passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CONTROL,),
                  crop_guides=True),),
    negative=Negative.PROMPT, negative_prompt=FLF2V_NEGATIVE_PROMPT,
    decode=TiledDecode(tile_size=768, overlap=64, temporal_size=4096, temporal_overlap=64),
    min_comfyui=IC_LORA_MIN_COMFYUI, fps=FPS, template="video_ltx2_3_ic_lora",
    # LoadImage 200 straight into LTXVImgToVideoInplace 129:198 (strength 1)
    preprocess=ImagePreprocess(resize=(), img_compression=None),
    guides=(FirstFrameInplace(strength=1.0, refine_strength=1.0),),
    # Video Slice 692 (start 0, 5 s, not strict): 125 frames at 25 fps, the latent's 121;
    # LTXVAddGuide 129:115 (frame 0, strength 1, GetICLoRAParameters 129:196)
    control=ControlVideo(preprocessor=MOGE_DEPTH, resize=(), scale_method=None, frame_idx=0,
                         strength=1.0, default_frames=121, cut=ControlCut.SECONDS,
                         iclora_parameters=True, reference_downscale=2),
)

# --- reference sheet (IC-LoRA): template_ltx2_3_ic_lora_ingredients

INGREDIENTS_LORA = LoraFile("ltx-2.3-22b-ic-lora-ingredients-0.9.safetensors",
                            strength=1.0)  # LoraLoaderModelOnly 129:195

REF2V_FAST = Pipeline(
    model=LTX2_3, type="ref2v", mode="fast",
    files=dataclasses.replace(FLF2V_FILES, control_lora=INGREDIENTS_LORA),
    # KSampler 129:704 as the union control's (seed = the request's); LTXVCropGuides 129:106
    stages=DEPTH2V_FAST.stages,
    negative=Negative.PROMPT, negative_prompt=FLF2V_NEGATIVE_PROMPT,  # CLIPTextEncode 129:112
    decode=TiledDecode(tile_size=768, overlap=64, temporal_size=4096,
                       temporal_overlap=64),  # VAEDecodeTiled 129:105
    min_comfyui=IC_LORA_MIN_COMFYUI, fps=FPS,  # its index.json; CreateVideo 129:122 at 25
    template="template_ltx2_3_ic_lora_ingredients",
    # LoadImage 724, RepeatImageBatch 709 (5 s x 25 fps), ResizeAndPadImage 722 (1280x720,
    # black, lanczos), LTXVAddGuide 129:115 (frame 0, strength 1, GetICLoRAParameters
    # 129:196); its first frame is an EmptyImage with LTXVImgToVideoInplace 129:198 bypassed
    reference=ReferenceSheet(padding_color="black", interpolation="lanczos", frame_idx=0,
                             strength=1.0),
)

PIPELINES: tuple[Pipeline, ...] = (T2V_FAST, T2V_PRO, I2V_FAST, I2V_PRO, FLF2V_FAST,
                                   IA2V_FAST, ID2V_FAST, REF2V_FAST, DEPTH2V_FAST)
