"""Tests of ``tests/official_templates.py`` on Comfy-Org's four official LTX-2 templates.

They check that the UI-format templates flatten to valid API prompts, and that
``pipeline_features`` reports what ``/work/shared/ltx2/PIPELINES.md`` describes (where a
template departs from PIPELINES.md, the template wins and the comment says so).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from tests.official_templates import (
    HELPER_TYPES,
    LTX2_TEMPLATES,
    NOTE_TYPES,
    PRIMITIVE_TYPES,
    ApiPrompt,
    flatten_workflow,
    is_link,
    load_object_info,
    load_template,
    map_widget_values,
    pipeline_features,
    template_api,
    validate_api,
    widget_names,
)

OBJECT_INFO = load_object_info()

T2V, T2V_DISTILLED, I2V, I2V_DISTILLED = LTX2_TEMPLATES

DISTILLED_LORA = "ltx-2-19b-distilled-lora-384.safetensors"
CAMERA_LORA = "ltx-2-19b-lora-camera-control-dolly-left.safetensors"
DEFAULT_NEGATIVE = ("blurry, low quality, still frame, frames, watermark, overlay, titles, "
                    "has blurbox, has subtitles")
DEV_SCHEDULER = {"type": "LTXVScheduler", "steps": 20, "max_shift": 2.05, "base_shift": 0.95,
                 "stretch": True, "terminal": 0.1, "latent_linked": True}
DISTILLED_SIGMAS = {"type": "ManualSigmas",
                    "values": [1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725,
                               0.421875, 0.0]}
REFINE_SIGMAS = {"type": "ManualSigmas", "values": [0.909375, 0.725, 0.421875, 0.0]}
TILED_DECODER = {"class_type": "VAEDecodeTiled", "tile_size": 512, "overlap": 64,
                 "temporal_size": 4096, "temporal_overlap": 8}
COND = ["LTXVConditioning", "CLIPTextEncode"]
CROPPED_COND = ["LTXVCropGuides", *COND]
ZEROED = ["LTXVConditioning", "ConditioningZeroOut"]
CROPPED_ZEROED = ["LTXVCropGuides", *ZEROED]
IMG2VID = {"strength": 1.0, "bypass": False}


def _stage(sampler: str, sigmas: Mapping[str, Any], cfg: float, negative: str, *,
           loras: list[tuple[str, float]] | None = None,
           positive_path: list[str], negative_path: list[str], latent_path: list[str],
           img_to_video: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An expected ``pipeline_features`` stage (camera LoRAs never active)."""
    loras = loras or []
    return {
        "sampler": sampler, "sigmas": dict(sigmas), "guider": "CFGGuider", "cfg": cfg,
        "model_loader": "CheckpointLoaderSimple", "loras": loras, "camera_loras": [],
        "model_path": ["CheckpointLoaderSimple",
                       *[f"LoraLoaderModelOnly({name})" for name, _ in loras]],
        "negative": negative, "positive_path": positive_path,
        "negative_path": negative_path, "latent_path": latent_path,
        "img_to_video_inplace": None if img_to_video is None else dict(img_to_video),
        "noise": "RandomNoise",
    }


STAGE1_LATENT = ["LTXVConcatAVLatent", "EmptyLTXVLatentVideo"]
STAGE1_I2V_LATENT = ["LTXVConcatAVLatent", "LTXVImgToVideoInplace", "EmptyLTXVLatentVideo"]
STAGE2_LATENT = ["LTXVConcatAVLatent", "LTXVLatentUpsampler", "LTXVCropGuides",
                 "LTXVSeparateAVLatent", "stage 1 output"]
STAGE2_I2V_LATENT = ["LTXVConcatAVLatent", "LTXVImgToVideoInplace", "LTXVLatentUpsampler",
                     "LTXVCropGuides", "LTXVSeparateAVLatent", "stage 1 output"]

COMMON_COUNTS = {
    "CFGGuider": 2, "CheckpointLoaderSimple": 1, "CreateVideo": 1, "EmptyLTXVLatentVideo": 1,
    "KSamplerSelect": 2, "LTXAVTextEncoderLoader": 1, "LTXVAudioVAEDecode": 1,
    "LTXVAudioVAELoader": 1, "LTXVConcatAVLatent": 2, "LTXVConditioning": 1,
    "LTXVEmptyLatentAudio": 1, "LTXVLatentUpsampler": 1, "LTXVSeparateAVLatent": 2,
    "LatentUpscaleModelLoader": 1, "RandomNoise": 2, "SamplerCustomAdvanced": 2,
    "SaveVideo": 1,
}
I2V_COUNTS = {"LoadImage": 1, "ResizeImageMaskNode": 2, "LTXVPreprocess": 1,
              "LTXVImgToVideoInplace": 2, "LTXVCropGuides": 1, "VAEDecode": 1}


def _fps(rate: int) -> dict[str, list[Any]]:
    return {"LTXVConditioning.frame_rate": [float(rate)],
            "LTXVEmptyLatentAudio.frame_rate": [rate], "CreateVideo.fps": [float(rate)]}


def _center_crop_resize(second_method: str) -> list[dict[str, Any]]:
    return [
        {"class_type": "ResizeImageMaskNode", "resize_type": "scale dimensions",
         "resize_type.crop": "center", "resize_type.height": 720, "resize_type.width": 1280,
         "scale_method": "lanczos"},
        {"class_type": "ResizeImageMaskNode", "resize_type": "scale longer dimension",
         "resize_type.longer_size": 1536, "scale_method": second_method},
    ]


I2V_IMAGE_PATH = ["LoadImage", "ResizeImageMaskNode", "ResizeImageMaskNode", "LTXVPreprocess"]

EXPECTED: dict[str, dict[str, Any]] = {
    T2V: {
        "stages": [
            _stage("euler_ancestral", DEV_SCHEDULER, 4.0, "negative prompt",
                   positive_path=COND, negative_path=COND, latent_path=STAGE1_LATENT),
            _stage("euler_ancestral", REFINE_SIGMAS, 1.0, "negative prompt",
                   loras=[(DISTILLED_LORA, 1.0)], positive_path=CROPPED_COND,
                   negative_path=CROPPED_COND, latent_path=STAGE2_LATENT),
        ],
        "separate_av_slots": ["output", "denoised_output"],
        "crop_guides": True,
        "decoder": TILED_DECODER,
        "img_compression": [],
        "image_path": [],
        "resize_steps": [],
        "ltxv_schedulers": [DEV_SCHEDULER],
        "save_video_count": 1,
        "create_video": {"fps": 24.0, "bit_depth": 8, "audio": True},
        "frame_rates": _fps(24),
        "class_counts": {**COMMON_COUNTS, "CLIPTextEncode": 2, "LTXVCropGuides": 1,
                         "LTXVScheduler": 1, "LoraLoaderModelOnly": 1, "ManualSigmas": 1,
                         "VAEDecodeTiled": 1},
    },
    T2V_DISTILLED: {
        "stages": [
            _stage("euler_ancestral", DISTILLED_SIGMAS, 1.0, "positive",
                   positive_path=COND, negative_path=COND, latent_path=STAGE1_LATENT),
            # No LTXVCropGuides in this template: the upsampler reads the separated latent.
            _stage("euler_ancestral", REFINE_SIGMAS, 1.0, "positive",
                   positive_path=COND, negative_path=COND,
                   latent_path=["LTXVConcatAVLatent", "LTXVLatentUpsampler",
                                "LTXVSeparateAVLatent", "stage 1 denoised_output"]),
        ],
        "separate_av_slots": ["denoised_output", "denoised_output"],
        "crop_guides": False,
        "decoder": TILED_DECODER,
        "img_compression": [],
        "image_path": [],
        "resize_steps": [],
        "ltxv_schedulers": [],
        "save_video_count": 1,
        "create_video": {"fps": 24.0, "bit_depth": 8, "audio": True},
        "frame_rates": _fps(24),
        "class_counts": {**COMMON_COUNTS, "CLIPTextEncode": 1, "ManualSigmas": 2,
                         "VAEDecodeTiled": 1},
    },
    I2V: {
        "stages": [
            _stage("euler", DEV_SCHEDULER, 4.0, "negative prompt", positive_path=COND,
                   negative_path=COND, latent_path=STAGE1_I2V_LATENT, img_to_video=IMG2VID),
            _stage("gradient_estimation", REFINE_SIGMAS, 1.0, "negative prompt",
                   loras=[(DISTILLED_LORA, 1.0)], positive_path=CROPPED_COND,
                   negative_path=CROPPED_COND, latent_path=STAGE2_I2V_LATENT,
                   img_to_video=IMG2VID),
        ],
        "separate_av_slots": ["output", "denoised_output"],
        "crop_guides": True,
        "decoder": {"class_type": "VAEDecode"},
        "img_compression": [33],
        "image_path": I2V_IMAGE_PATH,
        "resize_steps": _center_crop_resize("area"),
        "ltxv_schedulers": [DEV_SCHEDULER],
        "save_video_count": 1,
        "create_video": {"fps": 25.0, "bit_depth": 8, "audio": True},
        "frame_rates": _fps(25),
        "class_counts": {**COMMON_COUNTS, **I2V_COUNTS, "CLIPTextEncode": 2,
                         "LTXVScheduler": 1, "LoraLoaderModelOnly": 1, "ManualSigmas": 1},
    },
    I2V_DISTILLED: {
        "stages": [
            _stage("euler", DISTILLED_SIGMAS, 1.0, "zeroed positive", positive_path=COND,
                   negative_path=ZEROED, latent_path=STAGE1_I2V_LATENT, img_to_video=IMG2VID),
            _stage("gradient_estimation", REFINE_SIGMAS, 1.0, "zeroed positive",
                   positive_path=CROPPED_COND, negative_path=CROPPED_ZEROED,
                   latent_path=STAGE2_I2V_LATENT, img_to_video=IMG2VID),
        ],
        # PIPELINES.md says the distilled template reads "denoised_output" and has no
        # LTXVCropGuides: true for distilled T2V only; distilled I2V is wired like dev.
        "separate_av_slots": ["output", "denoised_output"],
        "crop_guides": True,
        "decoder": {"class_type": "VAEDecode"},
        "img_compression": [33],
        "image_path": I2V_IMAGE_PATH,
        "resize_steps": _center_crop_resize("lanczos"),
        "ltxv_schedulers": [],
        "save_video_count": 1,
        "create_video": {"fps": 25.0, "bit_depth": 8, "audio": True},
        "frame_rates": _fps(25),
        "class_counts": {**COMMON_COUNTS, **I2V_COUNTS, "CLIPTextEncode": 1,
                         "ConditioningZeroOut": 1, "ManualSigmas": 2},
    },
}

EXPECTED_PARAMETERS: dict[str, dict[str, Any]] = {
    T2V: {"seeds": [10, 0], "negative_prompt": DEFAULT_NEGATIVE,
          "checkpoint": "ltx-2-19b-dev-fp8.safetensors", "image": None,
          "latent_audio": {"frames_number": 121, "frame_rate": 24, "batch_size": 1}},
    T2V_DISTILLED: {"seeds": [45, 420], "negative_prompt": None,
                    "checkpoint": "ltx-2-19b-distilled.safetensors", "image": None,
                    "latent_audio": {"frames_number": 121, "frame_rate": 24, "batch_size": 1}},
    I2V: {"seeds": [10, 0], "negative_prompt": DEFAULT_NEGATIVE,
          "checkpoint": "ltx-2-19b-dev-fp8.safetensors", "image": "freckled_curly_girl.png",
          "latent_audio": {"frames_number": 121, "frame_rate": 25, "batch_size": 1}},
    I2V_DISTILLED: {"seeds": [10, 0], "negative_prompt": None,
                    "checkpoint": "ltx-2-19b-distilled.safetensors",
                    "image": "snow_bike_jump_crew.png",
                    "latent_audio": {"frames_number": 121, "frame_rate": 25, "batch_size": 1}},
}

EXPECTED_NOTES: dict[str, list[str]] = {
    T2V: [],
    T2V_DISTILLED: [],
    I2V: ["75 SaveVideo: dropped widget format.codec='auto' (not an input in object_info)",
          "92:97 CreateVideo: dropped widget color_space='sRGB' (not an input in object_info)"],
    I2V_DISTILLED: [
        "75 SaveVideo: dropped widget format.codec='auto' (not an input in object_info)",
        "92:97 CreateVideo: dropped widget color_space='sRGB' (not an input in object_info)",
        "92:97 CreateVideo: dropped widget codec='none' (not an input in object_info)"],
}

# Where the (bypassed) camera LoRAs sit, per stage, checkpoint outward.
CAMERA = f"LoraLoaderModelOnly({CAMERA_LORA})"
DISTILLED = f"LoraLoaderModelOnly({DISTILLED_LORA})"
EXPECTED_BYPASSED_MODEL_PATHS: dict[str, list[list[str]]] = {
    T2V: [["CheckpointLoaderSimple", CAMERA], ["CheckpointLoaderSimple", DISTILLED, CAMERA]],
    T2V_DISTILLED: [["CheckpointLoaderSimple", CAMERA], ["CheckpointLoaderSimple", CAMERA]],
    I2V: [["CheckpointLoaderSimple", CAMERA], ["CheckpointLoaderSimple", CAMERA, DISTILLED]],
    I2V_DISTILLED: [["CheckpointLoaderSimple", CAMERA], ["CheckpointLoaderSimple", CAMERA]],
}


@pytest.fixture(scope="module")
def apis() -> dict[str, ApiPrompt]:
    """The four flattened templates (treat as read-only; deep-copy before mutating)."""
    return {name: template_api(name) for name in LTX2_TEMPLATES}


@pytest.fixture(scope="module")
def features(apis: dict[str, ApiPrompt]) -> dict[str, dict[str, Any]]:
    """``pipeline_features`` of the four flattened templates."""
    return {name: pipeline_features(api) for name, api in apis.items()}


# --------------------------------------------------------------------------- flattening


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_flattened_template_validates(apis: dict[str, ApiPrompt], name: str) -> None:
    assert validate_api(apis[name], OBJECT_INFO) == []


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_no_frontend_nodes_or_bypassed_loras(apis: dict[str, ApiPrompt], name: str) -> None:
    classes = {node["class_type"] for node in apis[name].values()}
    frontend = {"Reroute", "PrimitiveNode", *PRIMITIVE_TYPES, *NOTE_TYPES}
    assert not classes & frontend
    assert classes <= set(OBJECT_INFO)
    loras = [node["inputs"]["lora_name"] for node in apis[name].values()
             if node["class_type"] == "LoraLoaderModelOnly"]
    assert not [lora for lora in loras if "camera-control" in lora]
    for node in apis[name].values():
        assert set(node) == {"class_type", "inputs", "_meta"}
        assert isinstance(node["_meta"]["title"], str)


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_flattening_is_deterministic_and_json(apis: dict[str, ApiPrompt], name: str) -> None:
    again = template_api(name)
    assert again == apis[name]
    assert list(again) == list(apis[name])
    assert json.loads(json.dumps(again)) == again


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_flatten_notes(name: str) -> None:
    """Only widgets of a newer frontend, unknown to ComfyUI 0.26.0, are dropped."""
    assert flatten_workflow(load_template(name), OBJECT_INFO).notes == EXPECTED_NOTES[name]


def _ui_nodes(workflow: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    yield from workflow.get("nodes", [])
    for subgraph in workflow.get("definitions", {}).get("subgraphs", []):
        yield from subgraph.get("nodes", [])


@pytest.mark.parametrize("name", [I2V, I2V_DISTILLED])  # the t2v ones have no named values
def test_positional_widget_mapping_matches_named(name: str) -> None:
    """Where the frontend saved ``widgets_values_named``, positional mapping agrees."""
    checked = 0
    for node in _ui_nodes(load_template(name)):
        named = node.get("widgets_values_named")
        schema = OBJECT_INFO.get(node["type"])
        if named is None or schema is None:
            continue
        allowed = widget_names(schema, named)
        unknown = [k for k, v in named.items() if k not in allowed and k != "upload"
                   and v not in ("fixed", "randomize", "increment", "decrement")]
        dynamic = any(spec[0] == "COMFY_DYNAMICCOMBO_V3"
                      for spec in schema["input"]["required"].values())
        if unknown or dynamic:
            continue  # newer-frontend widgets / sorted fixture loses dynamic-combo order
        expected = {k: v for k, v in named.items() if k in allowed}
        assert map_widget_values(schema, node["widgets_values"]) == expected, node["id"]
        checked += 1
    assert checked >= 20


def test_map_widget_values_control_and_count() -> None:
    assert map_widget_values(OBJECT_INFO["RandomNoise"], [7, "randomize"]) == {"noise_seed": 7}
    assert map_widget_values(OBJECT_INFO["LoadImage"], ["a.png", "image"]) == {"image": "a.png"}
    assert map_widget_values(OBJECT_INFO["EmptyImage"], [1, 2, 3, 4]) == {
        "width": 1, "height": 2, "batch_size": 3, "color": 4}
    with pytest.raises(ValueError):
        map_widget_values(OBJECT_INFO["RandomNoise"], [7])
    with pytest.raises(ValueError):
        map_widget_values(OBJECT_INFO["CFGGuider"], [4, 5])


def test_validate_api_catches_errors(apis: dict[str, ApiPrompt]) -> None:
    api = copy.deepcopy(apis[I2V])
    guider = _find(api, "CFGGuider", lambda n: n["inputs"]["cfg"] == 4)
    sampler = _find(api, "KSamplerSelect", lambda n: n["inputs"]["sampler_name"] == "euler")
    resize = _find(api, "ResizeImageMaskNode",
                   lambda n: n["inputs"]["resize_type"] == "scale dimensions")
    concat = api[_stage_sampler(api, 1)]["inputs"]["latent_image"][0]
    del api[guider]["inputs"]["negative"]
    api[guider]["inputs"]["positive"] = [sampler, 0]
    api[sampler]["inputs"]["sampler_name"] = "no_such_sampler"
    del api[resize]["inputs"]["resize_type.width"]
    api[concat]["inputs"]["video_latent"] = ["missing", 0]
    errors = validate_api(api, OBJECT_INFO)
    assert any("negative: required input missing" in e for e in errors)
    assert any("positive: CONDITIONING input linked to SAMPLER" in e for e in errors)
    assert any("'no_such_sampler' not among" in e for e in errors)
    assert any("resize_type.width: required input missing" in e for e in errors)
    assert any("points at no node output" in e for e in errors)
    assert len(errors) == 5


def test_flatten_mechanics_on_a_small_workflow() -> None:
    """Subgraph inlining, widget routing, Reroute, bypass, mute, primitives, notes."""
    subgraph = {
        "id": "sg-1", "name": "guider",
        "inputs": [{"name": "cfg_in", "type": "FLOAT", "linkIds": [10]},
                   {"name": "model", "type": "MODEL", "linkIds": [11]}],
        "outputs": [{"name": "GUIDER", "type": "GUIDER", "linkIds": [14]}],
        "nodes": [
            {"id": 21, "type": "Reroute", "mode": 0,
             "inputs": [{"name": "", "type": "*", "link": 11}],
             "outputs": [{"name": "", "type": "MODEL", "links": [12]}]},
            {"id": 22, "type": "LoraLoaderModelOnly", "mode": 4,
             "inputs": [{"name": "model", "type": "MODEL", "link": 12}],
             "outputs": [{"name": "MODEL", "type": "MODEL", "links": [13]}],
             "widgets_values": ["x-camera-control.safetensors", 1.0]},
            {"id": 23, "type": "CFGGuider", "mode": 0,
             "inputs": [{"name": "model", "type": "MODEL", "link": 13},
                        {"name": "cfg", "type": "FLOAT", "widget": {"name": "cfg"},
                         "link": 10}],
             "outputs": [{"name": "GUIDER", "type": "GUIDER", "links": [14]}],
             "widgets_values": [8.0]},
            {"id": 24, "type": "MarkdownNote", "mode": 0, "widgets_values": ["hi"]},
        ],
        "links": [
            {"id": 10, "origin_id": -10, "origin_slot": 0, "target_id": 23, "target_slot": 1},
            {"id": 11, "origin_id": -10, "origin_slot": 1, "target_id": 21, "target_slot": 0},
            {"id": 12, "origin_id": 21, "origin_slot": 0, "target_id": 22, "target_slot": 0},
            {"id": 13, "origin_id": 22, "origin_slot": 0, "target_id": 23, "target_slot": 0},
            {"id": 14, "origin_id": 23, "origin_slot": 0, "target_id": -20, "target_slot": 0},
        ],
    }
    workflow = {
        "nodes": [
            {"id": 1, "type": "CheckpointLoaderSimple", "mode": 0,
             "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}],
             "widgets_values": ["m.safetensors"]},
            {"id": 2, "type": "sg-1", "mode": 0,
             "inputs": [{"name": "cfg_in", "type": "FLOAT", "widget": {"name": "cfg_in"},
                         "link": None},
                        {"name": "model", "type": "MODEL", "link": 1}],
             "outputs": [{"name": "GUIDER", "type": "GUIDER", "links": [2]}],
             "widgets_values": [3.5]},
            {"id": 3, "type": "PrimitiveInt", "mode": 0, "title": "Seed",
             "outputs": [{"name": "INT", "type": "INT", "links": [3]}],
             "widgets_values": [77, "fixed"]},
            {"id": 4, "type": "RandomNoise", "mode": 0,
             "inputs": [{"name": "noise_seed", "type": "INT", "widget": {"name": "noise_seed"},
                         "link": 3}],
             "outputs": [{"name": "NOISE", "type": "NOISE", "links": [5]}],
             "widgets_values": [5, "randomize"]},
            {"id": 5, "type": "KSamplerSelect", "mode": 2,
             "outputs": [{"name": "SAMPLER", "type": "SAMPLER", "links": [4]}],
             "widgets_values": ["euler"]},
            {"id": 6, "type": "SamplerCustomAdvanced", "mode": 0,
             "inputs": [{"name": "noise", "type": "NOISE", "link": 5},
                        {"name": "guider", "type": "GUIDER", "link": 2},
                        {"name": "sampler", "type": "SAMPLER", "link": 4}]},
        ],
        "links": [[1, 1, 0, 2, 1, "MODEL"], [2, 2, 0, 6, 1, "GUIDER"], [3, 3, 0, 4, 0, "INT"],
                  [4, 5, 0, 6, 2, "SAMPLER"], [5, 4, 0, 6, 0, "NOISE"]],
        "definitions": {"subgraphs": [subgraph]},
    }
    result = flatten_workflow(workflow, OBJECT_INFO)
    assert {k: (v["class_type"], v["inputs"]) for k, v in result.api.items()} == {
        "1": ("CheckpointLoaderSimple", {"ckpt_name": "m.safetensors"}),
        "2:23": ("CFGGuider", {"model": ["1", 0], "cfg": 3.5}),
        "4": ("RandomNoise", {"noise_seed": 77}),
        "6": ("SamplerCustomAdvanced", {"noise": ["4", 0], "guider": ["2:23", 0]}),
    }
    assert result.notes == ["6 SamplerCustomAdvanced: input 'sampler' lost its link "
                            "(source removed)"]
    kept = flatten_workflow(workflow, OBJECT_INFO, include_bypassed=True).api
    assert kept["2:22"]["inputs"] == {"model": ["1", 0],
                                      "lora_name": "x-camera-control.safetensors",
                                      "strength_model": 1.0}
    assert kept["2:23"]["inputs"]["model"] == ["2:22", 0]


# --------------------------------------------------------------------------- features


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
@pytest.mark.parametrize("key", sorted(EXPECTED[T2V]))
def test_features_match_pipelines_md(features: dict[str, dict[str, Any]], name: str,
                                     key: str) -> None:
    assert features[name][key] == EXPECTED[name][key]


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_feature_parameters(features: dict[str, dict[str, Any]], name: str) -> None:
    parameters = features[name]["parameters"]
    for key, value in EXPECTED_PARAMETERS[name].items():
        assert parameters[key] == value, key
    assert parameters["latent_video"] == {"width": 640, "height": 360, "length": 121,
                                          "batch_size": 1}
    assert parameters["text_encoder"] == "gemma_3_12B_it_fp4_mixed.safetensors"
    assert parameters["upscale_model"] == "ltx-2-spatial-upscaler-x2-1.0.safetensors"
    assert isinstance(parameters["prompt"], str) and len(parameters["prompt"]) > 100


def test_feature_keys_are_documented() -> None:
    doc = pipeline_features.__doc__ or ""
    for key in [*EXPECTED[T2V], "parameters"]:
        assert f"``{key}``" in doc, key
    assert set(pipeline_features(template_api(T2V))) == {*EXPECTED[T2V], "parameters"}
    assert "EmptyImage" in HELPER_TYPES


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_bypassed_camera_loras_placement(name: str) -> None:
    """With bypassed nodes kept, the camera LoRAs show up where the template put them."""
    api = template_api(name, include_bypassed=True)
    stages = pipeline_features(api)["stages"]
    assert [s["model_path"] for s in stages] == EXPECTED_BYPASSED_MODEL_PATHS[name]
    assert [s["camera_loras"] for s in stages] == [[CAMERA_LORA], [CAMERA_LORA]]
    assert [s["loras"] for s in stages] == [
        [], [(DISTILLED_LORA, 1.0)] if name in (T2V, I2V) else []]


def _relabel(api: ApiPrompt, seed: int) -> ApiPrompt:
    """The same prompt with random ids and a shuffled node order."""
    rng = random.Random(seed)
    ids = list(api)
    names = {old: f"n{rng.randrange(10**9)}_{i}" for i, old in enumerate(ids)}
    rng.shuffle(ids)
    result: ApiPrompt = {}
    for old in ids:
        node = copy.deepcopy(api[old])
        node["inputs"] = {k: [names[v[0]], v[1]] if is_link(v) else v
                          for k, v in node["inputs"].items()}
        result[names[old]] = node
    return result


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_features_do_not_depend_on_ids(apis: dict[str, ApiPrompt],
                                       features: dict[str, dict[str, Any]], name: str) -> None:
    for seed in range(3):
        assert pipeline_features(_relabel(apis[name], seed)) == features[name]


def _find(api: ApiPrompt, class_type: str, predicate: Callable[[dict[str, Any]], bool]) -> str:
    """The single node id of ``class_type`` satisfying ``predicate``."""
    found = [str(k) for k, v in api.items() if v["class_type"] == class_type and predicate(v)]
    assert len(found) == 1, (class_type, found)
    return found[0]


def _stage_sampler(api: ApiPrompt, stage: int) -> str:
    """Id of the SamplerCustomAdvanced of stage 1 or 2 (found by its sigmas' source)."""
    def is_stage(node: dict[str, Any]) -> bool:
        sigmas = api[node["inputs"]["sigmas"][0]]
        refine: bool = sigmas["inputs"].get("sigmas") == "0.909375, 0.725, 0.421875, 0.0"
        return refine == (stage == 2)
    return _find(api, "SamplerCustomAdvanced", is_stage)


def _mutations() -> dict[str, tuple[str, Callable[[ApiPrompt], None], Callable[[Any], Any]]]:
    """Named edits of a template, each with the feature it must change."""
    def sigmas(api: ApiPrompt) -> None:
        node = api[_stage_sampler(api, 2)]["inputs"]["sigmas"][0]
        api[node]["inputs"]["sigmas"] = "0.909375, 0.725, 0.5, 0.0"

    def cfg(api: ApiPrompt) -> None:
        api[api[_stage_sampler(api, 1)]["inputs"]["guider"][0]]["inputs"]["cfg"] = 3.5

    def separate_slot(api: ApiPrompt) -> None:
        stage1 = _stage_sampler(api, 1)
        separate = _find(api, "LTXVSeparateAVLatent",
                         lambda n: n["inputs"]["av_latent"] == [stage1, 1])
        api[separate]["inputs"]["av_latent"][1] = 0

    def lora_on_stage1(api: ApiPrompt) -> None:
        lora = _find(api, "LoraLoaderModelOnly", lambda n: True)
        api[api[_stage_sampler(api, 1)]["inputs"]["guider"][0]]["inputs"]["model"] = [lora, 0]

    def lora_strength(api: ApiPrompt) -> None:
        api[_find(api, "LoraLoaderModelOnly", lambda n: True)]["inputs"]["strength_model"] = 0.6

    def drop_stage2_img2vid(api: ApiPrompt) -> None:
        concat = api[_stage_sampler(api, 2)]["inputs"]["latent_image"][0]
        img2vid = api[concat]["inputs"]["video_latent"][0]
        api[concat]["inputs"]["video_latent"] = api[img2vid]["inputs"]["latent"]
        del api[img2vid]

    def negative_is_positive(api: ApiPrompt) -> None:
        conditioning = _find(api, "LTXVConditioning", lambda n: True)
        api[conditioning]["inputs"]["negative"] = api[conditioning]["inputs"]["positive"]

    def sampler_name(api: ApiPrompt) -> None:
        sampler = api[_stage_sampler(api, 2)]["inputs"]["sampler"][0]
        api[sampler]["inputs"]["sampler_name"] = "euler"

    def compression(api: ApiPrompt) -> None:
        api[_find(api, "LTXVPreprocess", lambda n: True)]["inputs"]["img_compression"] = 35

    def decoder(api: ApiPrompt) -> None:
        api[_find(api, "VAEDecodeTiled", lambda n: True)]["inputs"]["temporal_size"] = 512

    def scheduler(api: ApiPrompt) -> None:
        api[_find(api, "LTXVScheduler", lambda n: True)]["inputs"]["terminal"] = 0.2

    return {
        "sigmas": (T2V, sigmas, lambda f: f["stages"][1]["sigmas"]),
        "cfg": (T2V, cfg, lambda f: f["stages"][0]["cfg"]),
        "separate_slot": (T2V_DISTILLED, separate_slot, lambda f: f["separate_av_slots"]),
        "lora_on_stage1": (T2V, lora_on_stage1, lambda f: f["stages"][0]["loras"]),
        "lora_strength": (I2V, lora_strength, lambda f: f["stages"][1]["loras"]),
        "img2vid": (I2V, drop_stage2_img2vid,
                    lambda f: f["stages"][1]["img_to_video_inplace"]),
        "negative": (I2V_DISTILLED, negative_is_positive, lambda f: f["stages"][0]["negative"]),
        "sampler": (I2V, sampler_name, lambda f: f["stages"][1]["sampler"]),
        "compression": (I2V_DISTILLED, compression, lambda f: f["img_compression"]),
        "decoder": (T2V, decoder, lambda f: f["decoder"]),
        "scheduler": (I2V, scheduler, lambda f: f["ltxv_schedulers"]),
    }


@pytest.mark.parametrize("mutation", sorted(_mutations()))
def test_features_detect_changes(apis: dict[str, ApiPrompt],
                                 features: dict[str, dict[str, Any]], mutation: str) -> None:
    """Each edit of a template changes the feature that describes it (assertions can fail)."""
    name, edit, feature = _mutations()[mutation]
    api = copy.deepcopy(apis[name])
    edit(api)
    changed = pipeline_features(api)
    assert feature(changed) != feature(features[name])
    assert changed != features[name]
    assert changed != EXPECTED[name] | {"parameters": changed["parameters"]}
