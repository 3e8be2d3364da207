"""The pipeline catalog: what it lists, how it refuses, and that a declaration is all a new
pipeline needs (stage code composes any declaration, including ones made here).

Parity of each declaration with its official template is in ``test_templates_match.py``.
"""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Any

import pytest

from builders import build, build_pipeline
from builders.catalog import (
    CFG,
    PIPELINES,
    AddGuide,
    DualCFG,
    EulerAncestral,
    FirstFrameInplace,
    LatentSlot,
    LoraFile,
    LoraRole,
    LTXVSchedule,
    ManualSigmas,
    ModelVersion,
    Negative,
    Pipeline,
    PipelineKey,
    Registry,
    SamplerSelect,
    Stage,
    get_pipeline,
    ltx2,
    ltx2_3,
    ltx2_5,
    ltx2_5_api,
    pipeline_for,
)
from builders.plan import snap_frames
from ltx2sdk import GenerationRequest, Graph
from ltx2sdk import model_files as models
from ltx2sdk.errors import UnknownPipelineError
from ltx2sdk.graph import assertions as A
from ltx2sdk.graph.releases import TESTED_RANGE, bundled_schemas
from ltx2sdk.vocabulary import (
    AUDIO,
    DEFAULT_MODEL,
    FIRST_IMAGE,
    LAST_IMAGE,
    MODEL_IDS,
    PIPELINES_MADE,
    VIDEO,
    missing_pipeline,
)
from tests.official_templates import (
    LTX2_3_CONTROL_TEMPLATES,
    LTX2_CONTROL_TEMPLATES,
    LTX2_TEMPLATES,
    pipeline_features,
)

EVERYTHING = ("ltx-2 t2v fast, ltx-2 t2v pro, ltx-2 i2v fast, ltx-2 i2v pro, ltx-2 i2v lora, "
              "ltx-2 flf2v fast, ltx-2 canny2v fast, ltx-2 canny2v pro, ltx-2 depth2v fast, "
              "ltx-2 depth2v pro, "
              "ltx-2.3 t2v fast, ltx-2.3 t2v pro, ltx-2.3 i2v fast, ltx-2.3 i2v pro, "
              "ltx-2.3 flf2v fast, ltx-2.3 ia2v fast, ltx-2.3 id2v fast, ltx-2.3 ref2v fast, "
              "ltx-2.3 depth2v fast, "
              "ltx-2.5 t2v fast, ltx-2.5 i2v fast, ltx-2.5 flf2v fast")
T2V_FAST = ltx2.T2V_FAST


def _request(pipeline: Pipeline, **fields: Any) -> GenerationRequest:
    fields.setdefault("seed", 7)
    if pipeline.needs_image:
        fields.setdefault("image", "first.png")
    if LAST_IMAGE in pipeline.images:
        fields.setdefault("last_image", "last.png")
    if pipeline.audio is not None:
        fields.setdefault("audio", "voice.wav")
    if pipeline.control is not None:
        fields.setdefault("video", "control.mp4")
    fields.setdefault("prompt", "a fox")
    return GenerationRequest(model=pipeline.model.id,
                             type=pipeline.type, mode=pipeline.mode, **fields)


def _features(pipeline: Pipeline, **fields: Any) -> dict[str, Any]:
    return pipeline_features(build_pipeline(pipeline, _request(pipeline, **fields)).compile())


# ---------------------------------------------------------------------------- the registry


def test_the_registry_lists_every_declared_pipeline() -> None:
    assert PIPELINES.keys() == (
        ("ltx-2", "t2v", "fast"), ("ltx-2", "t2v", "pro"), ("ltx-2", "i2v", "fast"),
        ("ltx-2", "i2v", "pro"), ("ltx-2", "i2v", "lora"), ("ltx-2", "flf2v", "fast"),
        ("ltx-2", "canny2v", "fast"), ("ltx-2", "canny2v", "pro"), ("ltx-2", "depth2v", "fast"),
        ("ltx-2", "depth2v", "pro"), ("ltx-2.3", "t2v", "fast"), ("ltx-2.3", "t2v", "pro"),
        ("ltx-2.3", "i2v", "fast"),
        ("ltx-2.3", "i2v", "pro"), ("ltx-2.3", "flf2v", "fast"), ("ltx-2.3", "ia2v", "fast"),
        ("ltx-2.3", "id2v", "fast"), ("ltx-2.3", "ref2v", "fast"), ("ltx-2.3", "depth2v", "fast"),
        ("ltx-2.5", "t2v", "fast"), ("ltx-2.5", "i2v", "fast"), ("ltx-2.5", "flf2v", "fast"))
    assert list(PIPELINES) == [*ltx2.PIPELINES, *ltx2_3.PIPELINES, *ltx2_5.PIPELINES]
    # the hosted model's pipelines (partner nodes, no model files) are declared apart
    assert (*PIPELINES.models(), ltx2_5_api.LTX2_5_API.id) == MODEL_IDS
    assert PIPELINES.describe() == EVERYTHING
    assert sorted(p.template for p in PIPELINES if p.template) == sorted(
        [*LTX2_TEMPLATES, *LTX2_CONTROL_TEMPLATES * 2,  # (pro and fast: two variants of each)
         *LTX2_3_CONTROL_TEMPLATES, "video_ltx2_i2v_lora", "video_ltx2_3_id_lora",
         "template_ltx2_3_ic_lora_ingredients",
         *(f"video_ltx2_{g}_{t}" for g, types in (
            ("3", ("t2v", "i2v", "flf2v", "ia2v")), ("5", ("t2v", "i2v", "flf2v")))
            for t in types)])
    assert [p.name for p in PIPELINES if p.template is None] == [
        "ltx-2 flf2v fast", "ltx-2.3 t2v pro", "ltx-2.3 i2v pro"]
    for pipeline in PIPELINES:
        assert pipeline.key in PIPELINES
        assert get_pipeline(*pipeline.key) is pipeline


def test_lookup_takes_the_vocabularys_words() -> None:
    assert get_pipeline("ltx-2", "i2v", "pro") is ltx2.I2V_PRO
    assert get_pipeline(ltx2.LTX2.id, ltx2.I2V_PRO.type, ltx2.I2V_PRO.mode) is ltx2.I2V_PRO
    assert ltx2.I2V_PRO.key == PipelineKey("ltx-2", "i2v", "pro")
    assert ltx2.I2V_PRO.name == "ltx-2 i2v pro" and f"{ltx2.I2V_PRO.type}" == "i2v"


@pytest.mark.parametrize(("key", "field", "reason"), [
    (("ltx-9", "t2v", "fast"), "model",
     "no pipelines for 'ltx-9' (there are: ltx-2, ltx-2.3, ltx-2.5, ltx-2.5-api)"),
    (("ltx-2", "flf9v", "fast"), "type",
     "model ltx-2 has no 'flf9v' pipeline (it has t2v, i2v, flf2v, canny2v, depth2v)"),
    (("ltx-2", "i2v", "turbo"), "mode",
     "model ltx-2 has no 'turbo' mode at all (i2v has: fast, pro, lora)"),
])
def test_an_unknown_pipeline_names_the_field_and_what_exists(
        key: tuple[str, str, str], field: str, reason: str) -> None:
    with pytest.raises(UnknownPipelineError) as caught:
        get_pipeline(*key)
    assert str(caught.value) == f"{field}: {reason}" and caught.value.field == field
    assert isinstance(caught.value, ValueError)  # a request validator can raise it as it is


def test_a_model_without_a_dev_variant_says_so() -> None:
    with pytest.raises(UnknownPipelineError, match=re.escape(
            "mode: model ltx-2.5 has no 'pro' mode: it ships a distilled model only "
            "(t2v has: fast)")):
        get_pipeline("ltx-2.5", "t2v", "pro")
    with pytest.raises(UnknownPipelineError, match=re.escape(
            "mode: model ltx-2 has no 'pro' mode for flf2v (it has: fast)")):
        get_pipeline("ltx-2", "flf2v", "pro")


def test_the_catalog_declares_exactly_what_the_request_model_accepts() -> None:
    """The request layer cannot import the builders: it refuses combinations by the
    vocabulary's table, which must be the catalog's keys, in the same order."""
    assert [tuple(pipeline.key) for pipeline in (*PIPELINES, *ltx2_5_api.PIPELINES)] == \
        list(PIPELINES_MADE)


@pytest.mark.parametrize("key", [("ltx-2.5", "t2v", "pro"), ("ltx-2", "ia2v", "fast"),
                                 ("ltx-2", "flf2v", "pro"), ("ltx-9", "t2v", "fast")])
def test_the_catalog_and_the_request_model_word_a_missing_pipeline_alike(
        key: tuple[str, str, str]) -> None:
    with pytest.raises(UnknownPipelineError) as caught:
        get_pipeline(*key)
    assert (caught.value.field, caught.value.reason) == missing_pipeline(*key)


def test_a_key_is_declared_once() -> None:
    with pytest.raises(ValueError, match=re.escape("pipeline ltx-2 t2v fast is declared twice")):
        Registry((T2V_FAST, dataclasses.replace(T2V_FAST, template=None, source="a copy")))


def test_build_uses_the_registered_declaration() -> None:
    for pipeline in PIPELINES:
        fields: dict[str, Any] = {"enhance_prompt": True}
        if LoraRole.CAMERA in pipeline.lora_roles:
            fields["camera_lora"] = "jib_up"
        request = _request(pipeline, **fields)
        assert pipeline_for(request) is pipeline
        assert build(request).graph.to_json() == build_pipeline(pipeline, request).graph.to_json()
    assert pipeline_for(GenerationRequest(prompt="p")).model.id == DEFAULT_MODEL


def test_a_request_runs_only_its_own_pipeline() -> None:
    with pytest.raises(ValueError, match="a ltx-2 t2v fast request cannot run pipeline "
                                         "ltx-2 i2v fast"):
        build_pipeline(ltx2.I2V_FAST, _request(T2V_FAST))
    with pytest.raises(ValueError, match=re.escape("a ltx-2 t2v fast request cannot run "
                                                   "pipeline ltx-2.3 t2v fast")):
        build_pipeline(ltx2_3.T2V_FAST, _request(T2V_FAST))


# ---------------------------------------------------------------------------- the files


def test_every_declared_file_is_in_the_model_catalog() -> None:
    for pipeline in PIPELINES:
        for folder, name in pipeline.model_files:
            known = models.lookup(folder, name)
            assert known is not None, (folder, name)
            assert known.model == pipeline.model.id or (
                pipeline.model.id == "ltx-2.3" and known.model == "ltx-2"), name
    enhancer = ltx2_5.FILES.prompt_enhancer
    assert enhancer is not None and models.lookup("text_encoders", enhancer) is not None
    assert ltx2_5.T2V_FAST.model_files == (
        ("diffusion_models", "ltx-2.5-22b-distilled-transformer-comfy-int8-convrot.safetensors"),
        ("vae", "ltx-2.5-video-vae-bf16.safetensors"),
        ("vae", "ltx-2.5-audio-vae-bf16.safetensors"),
        ("text_encoders", "gemma4-12b-with-proj-ltx-2.5-comfy-int8-convrot.safetensors"),
        ("latent_upscale_models", "ltx-2.5-latent-spatial-upscaler-x2-bf16-1.0.safetensors"))


def test_the_model_catalog_defaults_agree_with_the_ltx2_declarations() -> None:
    # ltx2sdk.model_files keeps per-mode defaults for ModelSet and files_for (the foundation layer
    # cannot read builders); they must be the declarations' files
    for pipeline in (ltx2.T2V_FAST, ltx2.T2V_PRO, ltx2.I2V_FAST, ltx2.I2V_PRO):
        mode = pipeline.mode
        assert pipeline.files.checkpoint == models.DEFAULT_CHECKPOINT[mode]
        assert pipeline.files.text_encoder == models.DEFAULT_TEXT_ENCODER
        assert pipeline.files.upscaler == models.DEFAULT_UPSCALER
        expected = {f.name for f in models.files_for(mode)}
        declared = {pipeline.files.checkpoint, pipeline.files.text_encoder,
                    pipeline.files.upscaler}
        if pipeline.files.distilled_lora is not None:
            assert pipeline.files.distilled_lora.name == models.DEFAULT_DISTILLED_LORA
            declared.add(pipeline.files.distilled_lora.name)
        assert declared == expected
    plan = build(GenerationRequest(prompt="p", mode="pro", seed=1)).plan
    assert plan.negative_prompt == ltx2.LTX2.negative_prompt


# ------------------------------------------------- new declarations need no stage code change


def test_a_declaration_made_here_builds_with_its_own_sigmas() -> None:
    stage1, stage2 = T2V_FAST.stages
    sigmas = ManualSigmas(values=(1.0, 0.95, 0.8, 0.5, 0.0))
    variant = dataclasses.replace(T2V_FAST, stages=(dataclasses.replace(stage1, sigmas=sigmas),
                                                    stage2),
                                  template=None, source="a test's variant")
    result = build_pipeline(variant, _request(variant), schemas=bundled_schemas(TESTED_RANGE[1]))
    node = A.one(result.graph, "ManualSigmas", title="Stage 1 sigmas")
    assert node.inputs["sigmas"] == "1.0, 0.95, 0.8, 0.5, 0.0"

    built, original = pipeline_features(result.compile()), _features(T2V_FAST)
    assert built["stages"][0]["sigmas"] == {"type": "ManualSigmas",
                                            "values": [1.0, 0.95, 0.8, 0.5, 0.0]}
    assert original["stages"][0]["sigmas"]["values"] != built["stages"][0]["sigmas"]["values"]
    built["stages"][0]["sigmas"] = original["stages"][0]["sigmas"]
    assert built["stages"] == original["stages"]  # nothing else changed


def test_a_declaration_made_here_changes_scheduler_guidance_and_slots() -> None:
    _, stage2 = T2V_FAST.stages
    variant = dataclasses.replace(
        T2V_FAST, mode="pro", files=ltx2.DEV_FILES, negative=Negative.PROMPT,
        template=None, source="a test's variant",
        stages=(Stage(SamplerSelect("dpmpp_2m"),
                      LTXVSchedule(steps=12, max_shift=2.0, base_shift=0.9, stretch=False,
                                   terminal=0.2),
                      CFG(3.0), passes_on=LatentSlot.OUTPUT, crop_guides=True),
                dataclasses.replace(stage2, loras=(LoraRole.DISTILLED,))))
    features = _features(variant, negative_prompt="no cats")
    first, second = features["stages"]
    assert first["sampler"] == "dpmpp_2m" and first["cfg"] == 3.0
    assert first["sigmas"] == {"type": "LTXVScheduler", "steps": 12, "max_shift": 2.0,
                               "base_shift": 0.9, "stretch": False, "terminal": 0.2,
                               "latent_linked": True}
    assert first["negative"] == "negative prompt" and features["parameters"]["negative_prompt"] \
        == "no cats"
    assert first["camera_loras"] == [] and second["loras"] == [
        ("ltx-2-19b-distilled-lora-384.safetensors", 1.0)]
    assert features["separate_av_slots"] == ["output", "denoised_output"]
    assert second["positive_path"][0] == "LTXVCropGuides"


def test_a_one_stage_declaration_samples_at_full_size() -> None:
    # the shape of the first-and-last-frame pipelines: one stage, no upscaler
    stage1, _ = T2V_FAST.stages
    variant = dataclasses.replace(
        T2V_FAST, files=dataclasses.replace(ltx2.DISTILLED_FILES, upscaler=None),
        stages=(dataclasses.replace(stage1, crop_guides=True),), template=None,
        source="a test's variant")
    result = build_pipeline(variant, _request(variant, width=1248, height=720))
    assert (result.plan.width, result.plan.height) == (1248, 704)
    assert result.plan.stage1_size == (1248, 704) and result.plan.stage_count == 1
    assert any("one-stage LTX-2 needs multiples of 32" in n for n in result.plan.adjustments)
    latent = A.one(result.graph, "EmptyLTXVLatentVideo")
    assert (latent.inputs["width"], latent.inputs["height"]) == (1248, 704)
    for absent in ("LTXVLatentUpsampler", "LatentUpscaleModelLoader"):
        A.assert_count(result.graph, absent, 0)
    A.assert_count(result.graph, "SamplerCustomAdvanced", 1)
    features = pipeline_features(result.compile())
    assert features["separate_av_slots"] == ["denoised_output"] and features["crop_guides"]
    Graph.from_api(result.compile(), bundled_schemas(TESTED_RANGE[1]), strict=True).validate()


def test_declared_defaults_apply_unless_the_request_sets_them() -> None:
    # first-frame strength and distilled LoRA strength come from the declaration...
    variant = dataclasses.replace(
        ltx2.I2V_PRO, template=None, source="a test's variant",
        guides=(FirstFrameInplace(strength=0.7, refine_strength=0.9),),
        files=dataclasses.replace(ltx2.DEV_FILES, distilled_lora=LoraFile(
            "ltx-2-19b-distilled-lora-384.safetensors", strength=0.5)))
    stages = _features(variant)["stages"]
    assert [s["img_to_video_inplace"]["strength"] for s in stages] == [0.7, 0.9]
    assert stages[1]["loras"] == [("ltx-2-19b-distilled-lora-384.safetensors", 0.5)]
    # ... and from the request when it gives them
    stages = _features(variant, image_strength=0.4,
                       models={"distilled_lora_strength": 0.8})["stages"]
    assert [s["img_to_video_inplace"]["strength"] for s in stages] == [0.4, 0.9]
    assert stages[1]["loras"] == [("ltx-2-19b-distilled-lora-384.safetensors", 0.8)]


def test_a_model_brings_its_negative_prompt_and_camera_rules() -> None:
    # (a model id whose t2v pro exists: a request for another is refused when made)
    other = ModelVersion(id="ltx-2.3", name="LTX test", negative_prompt="no dogs")
    variant = dataclasses.replace(
        ltx2.T2V_PRO, model=other, template=None, source="a test's variant",
        stages=tuple(dataclasses.replace(s, loras=tuple(r for r in s.loras
                                                        if r is not LoraRole.CAMERA))
                     for s in ltx2.T2V_PRO.stages))
    result = build_pipeline(variant, _request(variant))  # the request's default camera: dropped
    assert A.one(result.graph, "CLIPTextEncode", title="Negative prompt").inputs["text"] == (
        "no dogs")
    assert all("camera-control" not in n.inputs["lora_name"]
               for n in A.find(result.graph, "LoraLoaderModelOnly"))
    assert result.plan.model == "ltx-2.3" and result.plan.camera == "none"
    with pytest.raises(ValueError, match="camera_lora: LTX test has no camera LoRAs"):
        build_pipeline(variant, _request(variant, camera_lora="dolly_in"))


def test_the_frame_rate_is_the_pipelines_unless_the_request_sets_it() -> None:
    for pipeline in PIPELINES:
        plan = build(_request(pipeline, duration=2)).plan
        assert plan.fps == pipeline.fps and plan.frames == snap_frames(2 * pipeline.fps + 1)
        assert build(_request(pipeline, duration=2, fps=30)).plan.fps == 30
    assert {p.fps for p in PIPELINES} == {24, 25}  # LTX-2's templates 24, LTX-2.3's 25
    # a length is checked at the frame rate it will have
    with pytest.raises(ValueError, match="frames: 521 frames at 25 fps is longer than 20 s"):
        build(_request(ltx2_3.T2V_FAST, frames=521))
    assert build(_request(ltx2.T2V_FAST, frames=481)).plan.duration == 20


# ---------------------------------------------------------------------------- self-checks


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ManualSigmas(values=(0.5, 0.9, 0.0)), "must not increase"),
    (lambda: ManualSigmas(values=(1.0,)), "at least two sigmas"),
    (lambda: ManualSigmas(values=(1.0, 0.0), text="1.0, 0.5"), "does not spell"),
    (lambda: LTXVSchedule(steps=0, max_shift=2.0, base_shift=1.0, stretch=True, terminal=0.1),
     "steps must be at least 1"),
    (lambda: CFG(0.0), "cfg must be positive"),
    (lambda: Stage(SamplerSelect("euler"), ltx2.REFINE_SIGMAS, CFG(1.0),
                   passes_on=LatentSlot.OUTPUT, loras=(LoraRole.CAMERA, LoraRole.CAMERA)),
     "listed twice"),
    (lambda: dataclasses.replace(T2V_FAST, files=dataclasses.replace(
        ltx2.DISTILLED_FILES, upscaler=None)), "2 stages need an upscaler file"),
    (lambda: dataclasses.replace(T2V_FAST, files=ltx2.DEV_FILES),
     "a distilled LoRA file is given if and only if"),
    (lambda: dataclasses.replace(T2V_FAST, guides=ltx2.I2V_FAST.guides,
                                 preprocess=ltx2.I2V_FAST.preprocess),
     "t2v is guided by these images: none"),
    (lambda: dataclasses.replace(ltx2.I2V_FAST, type="flf2v"),
     "flf2v is guided by these images: image, last_image"),
    (lambda: dataclasses.replace(T2V_FAST, type="v2v"), "type 'v2v' is not one of"),
    (lambda: dataclasses.replace(T2V_FAST, mode="slow"), "mode 'slow' is not one of"),
    (lambda: dataclasses.replace(ltx2.I2V_FAST, guides=(
        AddGuide(FIRST_IMAGE, 0, 0.7),)), "for one-stage pipelines that crop them"),
    (lambda: AddGuide(LAST_IMAGE, -1, 1.5), "strength 1.5 is not in 0..1"),
    (lambda: AddGuide(AUDIO, 0, 0.5), "is not an input image"),
    (lambda: EulerAncestral(eta=-1.0, s_noise=1.0), "must not be negative"),
    (lambda: DualCFG(video=1.0, audio=-2.0), "must not be negative"),
    (lambda: dataclasses.replace(ltx2.I2V_FAST, preprocess=None),
     "preprocessing and guides come together"),
    (lambda: dataclasses.replace(T2V_FAST, min_comfyui="latest"), "is not a version"),
    (lambda: dataclasses.replace(T2V_FAST, template=None), "say where the values come from"),
    (lambda: ModelVersion(id="LTX 2", name="x", negative_prompt=""), "model id"),
    (lambda: ModelVersion(id="ltx-9", name="x", negative_prompt=""), "is not one of"),
    (lambda: dataclasses.replace(T2V_FAST, fps=0), "fps 0 is not in 1..60"),
])
def test_a_wrong_declaration_fails_when_made(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_schedules_compare_by_value_and_keep_the_template_spelling() -> None:
    spelled = ManualSigmas.from_text("1., 0.5, 0.0")
    assert spelled == ManualSigmas(values=(1.0, 0.5, 0.0))
    assert spelled.widget == "1., 0.5, 0.0"
    assert ManualSigmas(values=(1, 0.5, 0)).widget == "1.0, 0.5, 0.0"


def test_builds_stay_reproducible() -> None:
    for pipeline in PIPELINES:
        request = _request(pipeline, prompt="p", seed=None)
        first = build(request, rng=random.Random(3)).graph.to_json()
        assert first == build(request, rng=random.Random(3)).graph.to_json()


def test_an_ia2v_video_follows_its_audio_within_the_frame_limit() -> None:
    ia2v = ltx2_3.IA2V_FAST
    plan = build(_request(ia2v), audio_seconds=3.07).plan
    assert (plan.frames, plan.duration) == (73, 3.0)  # the 8n+1 frames within the audio
    # a long voice at a high frame rate: cut to what the audio latent allows, said so
    plan = build(_request(ia2v, fps=60), audio_seconds=30.0).plan
    assert plan.frames <= 1000 and (plan.frames - 1) % 8 == 0
    assert any("the audio is 30 s" in note for note in plan.adjustments)
    # a length given by the request wins over the audio's
    assert build(_request(ia2v, duration=2), audio_seconds=9.0).plan.frames == 49


def test_the_request_asks_for_the_inputs_the_pipelines_use() -> None:
    # the vocabulary names, per input, the types that need it (the request model asks for it
    # in those); they must be the types of the declarations that use it
    for which in (FIRST_IMAGE, LAST_IMAGE):
        assert set(which.types) == {p.type for p in PIPELINES if which in p.images}
    assert set(AUDIO.types) == {p.type for p in PIPELINES if p.audio is not None}
    assert set(VIDEO.types) == {p.type for p in PIPELINES if p.control is not None}
