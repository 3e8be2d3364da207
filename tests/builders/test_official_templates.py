"""Tests of ``tests/official_templates.py`` on Comfy-Org's official LTX templates.

The four LTX-2 templates: they flatten to valid API prompts, and ``pipeline_features``
reports what ``/work/shared/ltx2/PIPELINES.md`` describes (where a template departs from
PIPELINES.md, the template wins and the comment says so).

The seven LTX-2.3 and LTX-2.5 templates (``video_ltx2_3_{t2v,i2v,flf2v,ia2v}``,
``video_ltx2_5_{t2v,i2v,flf2v}``), at the end: flattened with a real ComfyUI 0.33.0's
``/object_info`` (the only fixture with the LTX-2.5 nodes), they must validate against it, and
``pipeline_features(..., details=True)`` must report what the templates compute (the values
asserted here were read from the template JSON, node by node). The proxy-widget mapping, the
dynamic-combo widget order and the ``ResolutionSelector`` arithmetic are checked on hand-made
inputs where a wrong rule gives a different answer.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from tests.official_templates import (
    HELPER_TYPES,
    LTX2_3_TEMPLATES,
    LTX2_5_TEMPLATES,
    LTX2_TEMPLATES,
    NOTE_TYPES,
    OBJECT_INFO_0_33,
    PRIMITIVE_TYPES,
    ApiPrompt,
    default_object_info,
    flatten_workflow,
    is_link,
    load_object_info,
    load_template,
    map_widget_values,
    pipeline_features,
    resolution_selector,
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
def ltx2_apis() -> dict[str, ApiPrompt]:
    """The four flattened templates (treat as read-only; deep-copy before mutating)."""
    return {name: template_api(name) for name in LTX2_TEMPLATES}


@pytest.fixture(scope="module")
def ltx2_features(ltx2_apis: dict[str, ApiPrompt]) -> dict[str, dict[str, Any]]:
    """``pipeline_features`` of the four flattened templates."""
    return {name: pipeline_features(api) for name, api in ltx2_apis.items()}


# --------------------------------------------------------------------------- flattening


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_flattened_template_validates(ltx2_apis: dict[str, ApiPrompt], name: str) -> None:
    assert validate_api(ltx2_apis[name], OBJECT_INFO) == []


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_no_frontend_nodes_or_bypassed_loras(ltx2_apis: dict[str, ApiPrompt], name: str) -> None:
    classes = {node["class_type"] for node in ltx2_apis[name].values()}
    frontend = {"Reroute", "PrimitiveNode", *PRIMITIVE_TYPES, *NOTE_TYPES}
    assert not classes & frontend
    assert classes <= set(OBJECT_INFO)
    loras = [node["inputs"]["lora_name"] for node in ltx2_apis[name].values()
             if node["class_type"] == "LoraLoaderModelOnly"]
    assert not [lora for lora in loras if "camera-control" in lora]
    for node in ltx2_apis[name].values():
        assert set(node) == {"class_type", "inputs", "_meta"}
        assert isinstance(node["_meta"]["title"], str)


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_flattening_is_deterministic_and_json(ltx2_apis: dict[str, ApiPrompt], name: str) -> None:
    again = template_api(name)
    assert again == ltx2_apis[name]
    assert list(again) == list(ltx2_apis[name])
    assert json.loads(json.dumps(again)) == again


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_flatten_notes_ltx2(name: str) -> None:
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


def test_validate_api_catches_errors(ltx2_apis: dict[str, ApiPrompt]) -> None:
    api = copy.deepcopy(ltx2_apis[I2V])
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
def test_features_match_pipelines_md(ltx2_features: dict[str, dict[str, Any]], name: str,
                                     key: str) -> None:
    assert ltx2_features[name][key] == EXPECTED[name][key]


@pytest.mark.parametrize("name", LTX2_TEMPLATES)
def test_feature_parameters(ltx2_features: dict[str, dict[str, Any]], name: str) -> None:
    parameters = ltx2_features[name]["parameters"]
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
def test_features_do_not_depend_on_ids(ltx2_apis: dict[str, ApiPrompt],
                                       ltx2_features: dict[str, dict[str, Any]], name: str) -> None:
    for seed in range(3):
        assert pipeline_features(_relabel(ltx2_apis[name], seed)) == ltx2_features[name]


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
def test_features_detect_changes(ltx2_apis: dict[str, ApiPrompt],
                                 ltx2_features: dict[str, dict[str, Any]], mutation: str) -> None:
    """Each edit of a template changes the feature that describes it (assertions can fail)."""
    name, edit, feature = _mutations()[mutation]
    api = copy.deepcopy(ltx2_apis[name])
    edit(api)
    changed = pipeline_features(api)
    assert feature(changed) != feature(ltx2_features[name])
    assert changed != ltx2_features[name]
    assert changed != EXPECTED[name] | {"parameters": changed["parameters"]}


# --- LTX-2.3 and LTX-2.5: the seven templates, flattened with ComfyUI 0.33.0 ---------------

INFO = load_object_info(OBJECT_INFO_0_33)
NEW_TEMPLATES = (*LTX2_3_TEMPLATES, *LTX2_5_TEMPLATES)
T2V_23, I2V_23, FLF2V_23, IA2V_23 = LTX2_3_TEMPLATES
T2V_25, I2V_25, FLF2V_25 = LTX2_5_TEMPLATES

STAGE1_SIGMAS = [1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0]
STAGE2_SIGMAS = [0.85, 0.725, 0.4219, 0.0]
DISTILLED_LORA_23 = "ltx_2.3_22b_distilled_1.1_lora_dynamic_fro09_avg_rank_111_bf16.safetensors"
UNET_25 = "ltx-2.5-22b-distilled-transformer-comfy-int8-convrot.safetensors"
DUAL_GUIDER = {"class_type": "LTXVDualCFGGuider", "video_cfg": 1.0, "audio_cfg": 1.0}
CFG_1 = {"class_type": "CFGGuider", "cfg": 1.0}
NEGATIVE = "pc game, console game, video game, cartoon, childish, ugly"
NOTE_AUTO = "CreateVideo: widget bit_depth='auto' is no INT in object_info; its default 8 used"


@pytest.fixture(scope="module")
def newer_apis() -> dict[str, ApiPrompt]:
    """The seven templates flattened with ComfyUI 0.33.0 (read-only)."""
    return {name: template_api(name, object_info=INFO, fit_schema=True)
            for name in NEW_TEMPLATES}


@pytest.fixture(scope="module")
def newer_features(newer_apis: dict[str, ApiPrompt]) -> dict[str, dict[str, Any]]:
    return {name: pipeline_features(api, details=True) for name, api in newer_apis.items()}


def _resize(width: int, height: int, method: str) -> dict[str, Any]:
    return {"class_type": "ResizeImageMaskNode", "resize_type": "scale dimensions",
            "resize_type.crop": "center", "resize_type.width": width,
            "resize_type.height": height, "scale_method": method}


def _longer(size: int, method: str) -> dict[str, Any]:
    return {"class_type": "ResizeImageMaskNode", "resize_type": "scale longer dimension",
            "resize_type.longer_size": size, "scale_method": method}


def _preprocess(compression: int) -> dict[str, Any]:
    return {"class_type": "LTXVPreprocess", "img_compression": compression}


def _load(image: str) -> dict[str, Any]:
    return {"class_type": "LoadImage", "image": image}


# --------------------------------------------------------------------------- flattening


@pytest.mark.parametrize("name", NEW_TEMPLATES)
def test_flattened_template_validates_on_0_33(newer_apis: dict[str, ApiPrompt], name: str) -> None:
    assert validate_api(newer_apis[name], INFO) == []
    assert {n["class_type"] for n in newer_apis[name].values()} <= set(INFO)


@pytest.mark.parametrize("name", NEW_TEMPLATES)
def test_without_fitting_only_bit_depth_auto_fails(name: str) -> None:
    """As saved, video_ltx2_3_t2v and _ia2v set ``CreateVideo.bit_depth`` to "auto" (a newer
    ComfyUI's option): ComfyUI 0.33.0 takes an INT there and would reject the prompt."""
    errors = validate_api(template_api(name, object_info=INFO), INFO)
    if name in (T2V_23, IA2V_23):
        assert len(errors) == 1 and "CreateVideo.bit_depth: INT expected, got 'auto'" in errors[0]
    else:
        assert errors == []


def _model_list_error(error: str) -> bool:
    """A combo error on a model file the fixture's placeholder lists lack."""
    return "not among" in error and ".safetensors" in error


@pytest.mark.parametrize("name", NEW_TEMPLATES)
def test_raw_and_enhanced_graphs_validate(name: str) -> None:
    """Unresolved helpers (ComfyMathExpression's autogrow ``values.a``, ResolutionSelector,
    ComfySwitchNode with literal strings) and the prompt-enhancement branch validate too,
    but for model files missing from 0.33.0's placeholder lists (the Gemma LoRA and the
    Gemma 4 E2B prompt enhancer)."""
    for api in (template_api(name, object_info=INFO, fit_schema=True, static=False),
                template_api(name, object_info=INFO, fit_schema=True, enhance=True)):
        errors = validate_api(api, INFO)
        assert [e for e in errors if not _model_list_error(e)] == []
        assert all("gemma-3-12b-it-abliterated" in e or "gemma4_e2b_it" in e for e in errors)


def test_validate_autogrow_inputs() -> None:
    api = copy.deepcopy(template_api(T2V_25, static=False))
    math = next(k for k, v in api.items() if v["class_type"] == "ComfyMathExpression"
                and v["inputs"]["expression"] == "a * b + 1")
    assert [e for e in validate_api(api, INFO) if not _model_list_error(e)] == []
    api[math]["inputs"]["values.zz"] = 1
    del api[math]["inputs"]["values.a"]
    api[math]["inputs"]["values.b"] = "x"
    errors = validate_api(api, INFO)
    assert any(e.endswith("values.a: required input missing") for e in errors)
    assert any(e.endswith("values.zz: unknown input") for e in errors)
    assert any("values.b: one of FLOAT/INT/BOOLEAN expected, got 'x'" in e for e in errors)


NEWER_EXPECTED_NOTES = {
    T2V_23: ["75 SaveVideo: dropped widget format.codec='auto' (not an input in object_info)",
             "267:242 CreateVideo: dropped widget color_space='sRGB' (not an input in "
             "object_info)", f"267:242 {NOTE_AUTO}"],
    I2V_23: ["75 SaveVideo: dropped widget format.codec='auto' (not an input in object_info)",
             "320:310 CreateVideo: dropped widget color_space='sRGB' (not an input in "
             "object_info)"],
    FLF2V_23: ["129:122 CreateVideo: no saved value for widgets ['bit_depth'] (an older "
               "frontend); defaults used"],
    IA2V_23: ["340:312 CreateVideo: dropped widget color_space='sRGB' (not an input in "
              "object_info)", f"340:312 {NOTE_AUTO}",
              "341 SaveVideo: dropped widget format.codec='auto' (not an input in "
              "object_info)"],
    T2V_25: [], I2V_25: [], FLF2V_25: [],
}


@pytest.mark.parametrize("name", NEW_TEMPLATES)
def test_flatten_notes_ltx2_3_and_2_5(name: str) -> None:
    result = flatten_workflow(load_template(name), INFO, fit_schema=True)
    assert result.notes == NEWER_EXPECTED_NOTES[name]


def test_default_object_info_per_template() -> None:
    """LTX-2 / 2.3 templates keep the 0.26.0 fixture; the 2.5 ones need 0.33.0's."""
    for name in (*LTX2_TEMPLATES, *LTX2_3_TEMPLATES):
        assert default_object_info(load_template(name)) is default_object_info(
            load_template(LTX2_TEMPLATES[0]))
        assert "LTXVDualCFGGuider" not in default_object_info(load_template(name))
    for name in LTX2_5_TEMPLATES:
        assert "LTXVDualCFGGuider" in default_object_info(load_template(name))
        assert template_api(name) == template_api(name, object_info=INFO)


@pytest.mark.parametrize("name", LTX2_5_TEMPLATES)
def test_missing_nodes_are_a_clear_error(name: str) -> None:
    with pytest.raises(KeyError, match="LTXVDualCFGGuider") as raised:
        template_api(name, object_info=OBJECT_INFO)
    assert "CLIPLoader" in str(raised.value)
    assert ("ResolutionSelector" in str(raised.value)) == (name != FLF2V_25)


def test_fixture_and_0_33_agree_on_ltx2_3(newer_apis: dict[str, ApiPrompt]) -> None:
    """The LTX-2.3 templates flatten to the same inputs with either object_info."""
    for name in (I2V_23, FLF2V_23):
        old = template_api(name)
        assert {k: v["inputs"] for k, v in old.items()} == {
            k: v["inputs"] for k, v in newer_apis[name].items()}


# --------------------------------------------------------------------------- proxyWidgets


def _proxy_workflow(proxies: list[list[str]], values: list[Any]) -> dict[str, Any]:
    """An instance of a subgraph holding two PrimitiveInts (fed by subgraph inputs "w" and
    "h") that size an EmptyImage whose ``color`` no subgraph input feeds."""
    subgraph = {
        "id": "sg-proxy", "name": "size",
        "inputs": [{"name": "w", "type": "INT", "linkIds": [1]},
                   {"name": "h", "type": "INT", "linkIds": [2]}],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [5]}],
        "nodes": [
            {"id": 11, "type": "PrimitiveInt", "mode": 0,
             "inputs": [{"name": "value", "type": "INT", "widget": {"name": "value"},
                         "link": 1}],
             "outputs": [{"name": "INT", "type": "INT", "links": [3]}],
             "widgets_values": [100, "fixed"]},
            {"id": 12, "type": "PrimitiveInt", "mode": 0,
             "inputs": [{"name": "value", "type": "INT", "widget": {"name": "value"},
                         "link": 2}],
             "outputs": [{"name": "INT", "type": "INT", "links": [4]}],
             "widgets_values": [200, "fixed"]},
            {"id": 13, "type": "EmptyImage", "mode": 0,
             "inputs": [{"name": "width", "type": "INT", "widget": {"name": "width"},
                         "link": 3},
                        {"name": "height", "type": "INT", "widget": {"name": "height"},
                         "link": 4}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [5]}],
             "widgets_values": [512, 512, 1, 0]},
        ],
        "links": [
            {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 11, "target_slot": 0},
            {"id": 2, "origin_id": -10, "origin_slot": 1, "target_id": 12, "target_slot": 0},
            {"id": 3, "origin_id": 11, "origin_slot": 0, "target_id": 13, "target_slot": 0},
            {"id": 4, "origin_id": 12, "origin_slot": 0, "target_id": 13, "target_slot": 1},
            {"id": 5, "origin_id": 13, "origin_slot": 0, "target_id": -20, "target_slot": 0},
        ],
    }
    return {
        "nodes": [{"id": 7, "type": "sg-proxy", "mode": 0,
                   "inputs": [{"name": "w", "type": "INT", "widget": {"name": "w"},
                               "link": None},
                              {"name": "h", "type": "INT", "widget": {"name": "h"},
                               "link": None}],
                   "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": []}],
                   "properties": {"proxyWidgets": proxies},
                   "widgets_values": values}],
        "links": [],
        "definitions": {"subgraphs": [subgraph]},
    }


def _empty_image(proxies: list[list[str]], values: list[Any]) -> dict[str, Any]:
    api = flatten_workflow(_proxy_workflow(proxies, values), OBJECT_INFO).api
    assert list(api) == ["7:13"]
    inputs: dict[str, Any] = api["7:13"]["inputs"]
    return inputs


def test_proxy_widgets_pair_entries_with_values_in_order() -> None:
    """Entry i takes widgets_values[i]: here the proxy order (h, w, color) is not the subgraph
    input order (w, h), so a mapping by input order would swap width and height."""
    proxies = [["12", "value"], ["11", "value"], ["13", "color"]]
    assert _empty_image(proxies, [720, 1280, 5]) == {
        "width": 1280, "height": 720, "batch_size": 1, "color": 5}
    # "-1" entries name the instance's own subgraph inputs (the older promotion)
    assert _empty_image([["-1", "h"], ["-1", "w"]], [720, 1280]) == {
        "width": 1280, "height": 720, "batch_size": 1, "color": 0}


def test_proxy_widgets_without_values_keep_the_inner_values() -> None:
    """Frontends up to 1.4x did not serialise proxy widgets (``widgets_values`` is ``[]``,
    as in video_ltx2_3_flf2v): every value is the inner node's own."""
    proxies = [["12", "value"], ["11", "value"], ["13", "color"]]
    assert _empty_image(proxies, []) == {"width": 100, "height": 200, "batch_size": 1,
                                         "color": 0}
    assert _empty_image(proxies, [720]) == {"width": 100, "height": 720, "batch_size": 1,
                                            "color": 0}


@pytest.mark.parametrize(("proxies", "values", "message"), [
    ([["99", "value"]], [], "names no node"),
    ([["13", "no_such_widget"]], [1], "has no such widget"),
    ([["12", "value"]], [1, 2], "2 widget values for 1 proxyWidgets"),
])
def test_proxy_widget_errors(proxies: list[list[str]], values: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        flatten_workflow(_proxy_workflow(proxies, values), OBJECT_INFO)


def test_proxy_widgets_of_the_flf2v_template_follow_instance_values() -> None:
    """Values put on the flf2v instance (as a newer frontend saves them) reach the inner
    widgets its proxyWidgets name, in proxy order: text, width, height, duration, fps,
    seed, checkpoint, text encoder."""
    workflow = load_template(FLF2V_23)
    instance = next(n for n in workflow["nodes"] if n["properties"].get("proxyWidgets"))
    assert instance["widgets_values"] == []
    assert [p[0] for p in instance["properties"]["proxyWidgets"]] == [
        "128", "113", "98", "102", "114", "100", "126", "103"]
    instance["widgets_values"] = ["a red car", 1024, 576, 4, 30, 7,
                                  "ltx-2.3-22b-distilled-fp8.safetensors",
                                  "gemma_3_12B_it_fp4_mixed.safetensors"]
    api = flatten_workflow(workflow, INFO).api
    newer_features = pipeline_features(api, details=True)
    assert newer_features["parameters"]["prompt"] == "a red car"
    assert newer_features["parameters"]["seeds"] == [7]
    video = newer_features["latent_size"]["video"]
    assert (video["width"]["value"], video["height"]["value"]) == (1024, 576)
    assert video["length"]["value"] == 121  # 4 s x 30 fps + 1
    assert video["length"]["expression"] == "a * b + 1"
    assert newer_features["frame_rates"]["CreateVideo.fps"] == [30.0]
    for chain in newer_features["images"].values():
        assert chain[0][0] == _resize(1024, 576, "nearest-exact")


# --------------------------------------------------------------------------- widget order


def test_dynamic_combo_sub_widgets_take_the_definition_order() -> None:
    """0.33.0's object_info is key-sorted (min_p first); the frontend's widget order, which
    positional widgets_values follow, is temperature, top_k, top_p, min_p, ..."""
    schema = INFO["TextGenerateLTX2Prompt"]
    values = map_widget_values(schema, ["p", 600, "on", 0.7, 64, 0.95, 0.05, 1.15, 3, 0.5,
                                        False, True])
    assert values == {"prompt": "p", "max_length": 600, "sampling_mode": "on",
                      "sampling_mode.temperature": 0.7, "sampling_mode.top_k": 64,
                      "sampling_mode.top_p": 0.95, "sampling_mode.min_p": 0.05,
                      "sampling_mode.repetition_penalty": 1.15, "sampling_mode.seed": 3,
                      "sampling_mode.presence_penalty": 0.5, "thinking": False,
                      "use_default_template": True}
    resize = map_widget_values(INFO["ResizeImageMaskNode"],
                               ["scale dimensions", 640, 360, "center", "nearest-exact"])
    assert (resize["resize_type.width"], resize["resize_type.height"]) == (640, 360)


def test_unknown_sorted_dynamic_combo_order_is_an_error() -> None:
    def schema(required: dict[str, Any]) -> dict[str, Any]:
        option = {"key": "both", "inputs": {"required": required}}
        return {"name": "Made", "input": {"required": {
            "mode": ["COMFY_DYNAMICCOMBO_V3", {"options": [option]}]}}}

    with pytest.raises(ValueError, match="widget order of mode='both' is unknown"):
        map_widget_values(schema({"a": ["INT", {}], "b": ["INT", {}]}), ["both", 1, 2])
    # an unsorted dump keeps the definition order
    assert map_widget_values(schema({"b": ["INT", {}], "a": ["INT", {}]}),
                             ["both", 1, 2]) == {"mode": "both", "mode.b": 1, "mode.a": 2}


def test_missing_trailing_widget_values_take_defaults() -> None:
    missing: list[str] = []
    assert map_widget_values(INFO["CreateVideo"], [24], missing=missing) == {
        "fps": 24, "bit_depth": 8}
    assert missing == ["bit_depth"]
    with pytest.raises(ValueError):
        map_widget_values(INFO["CreateVideo"], [24])


# --------------------------------------------------------------------------- ResolutionSelector


def test_resolution_selector_matches_the_templates_size_table() -> None:
    """The 2.5 templates' "Size Settings Reference" note lists ResolutionSelector outputs."""
    note = next(n for n in load_template(T2V_25)["nodes"]
                if n.get("title") == "Note: Size Settings Reference")
    rows = re.findall(r"\|\s*([\d.]+)\s*\|\s*16:9\s*\|\s*(\d+) x (\d+)\s*\|",
                      note["widgets_values"][0])
    assert len(rows) == 13
    for megapixels, width, height in rows:
        assert resolution_selector("16:9 (Widescreen)", float(megapixels), 32) == (
            int(width), int(height))
    assert resolution_selector("1:1 (Square)", 1.0) == (1024, 1024)
    assert resolution_selector("9:16 (Portrait Widescreen)", 0.9, 32) == (736, 1280)


# --------------------------------------------------------------------------- features


def _stage_guiders(newer_features: Mapping[str, Any]) -> list[Any]:
    return [s["guider"] for s in newer_features["stage_details"]]


def test_ltx2_3_flf2v(newer_features: dict[str, dict[str, Any]]) -> None:
    f = newer_features[FLF2V_23]
    (stage,) = f["stage_details"]
    assert stage["sampler"] == {"class_type": "SamplerEulerAncestral", "eta": 0, "s_noise": 1}
    assert stage["guider"] == CFG_1
    assert stage["sigmas"] == {"type": "ManualSigmas", "values": STAGE1_SIGMAS}
    assert stage["model"] == [{"class_type": "CheckpointLoaderSimple",
                               "ckpt_name": "ltx-2.3-22b-distilled-fp8.safetensors"}]
    first = [_load("high_view_classic_car.png"), _resize(1280, 720, "nearest-exact"),
             _preprocess(25)]
    last = [_load("low_view_classic_car.png"), _resize(1280, 720, "nearest-exact"),
            _preprocess(25)]
    assert stage["guides"] == [
        {"frame_idx": 0, "strength": 0.7, "image": first, "iclora_parameters": None},
        {"frame_idx": -1, "strength": 0.7, "image": last, "iclora_parameters": None}]
    assert stage["img_to_video"] == [] and not stage["cropped_conditioning"]
    video = f["latent_size"]["video"]
    assert video["width"]["from"] == video["height"]["from"] == "GetImageSize"
    assert video["width"]["image"] == first[:2]
    assert (video["width"]["value"], video["height"]["value"]) == (1280, 720)
    assert video["length"] == {"value": 126}  # 5 s x 25 fps + 1
    assert f["frame_rates"]["CreateVideo.fps"] == [25.0]
    assert f["decode"]["video"] == {
        "class_type": "VAEDecodeTiled", "tile_size": 768, "overlap": 64,
        "temporal_size": 4096, "temporal_overlap": 64,
        "samples": [{"class_type": "LTXVCropGuides"},
                    {"class_type": "LTXVSeparateAVLatent", "slot": "video_latent"},
                    {"stage": 1, "slot": "denoised_output"}]}
    (crop,) = f["crop_guides_placement"]
    assert crop["outputs_used"] == {"positive": [], "negative": [],
                                    "latent": ["VAEDecodeTiled.samples"]}
    assert f["loras"] == []
    assert f["parameters"]["negative_prompt"].startswith("blurry, out of focus, overexposed")


def test_ltx2_3_ia2v_audio_chain(newer_features: dict[str, dict[str, Any]]) -> None:
    f = newer_features[IA2V_23]
    stage1, stage2 = f["stage_details"]
    assert stage1["audio_latent"] == [
        {"class_type": "SetLatentNoiseMask",
         "mask": {"class_type": "SolidMask", "value": 0, "width": 1280, "height": 720}},
        {"class_type": "LTXVAudioVAEEncode"},
        {"class_type": "TrimAudioDuration", "start_index": 0, "duration": 9},
        {"class_type": "LoadAudio", "audio": "ltx_23_audio.mp3"},
    ]
    assert stage2["audio_latent"] == [
        {"class_type": "LTXVSeparateAVLatent", "slot": "audio_latent"},
        {"stage": 1, "slot": "output"}]
    assert f["latent_size"]["video"]["length"] == {"value": 217}  # 9 s x 24 fps + 1
    assert "audio" not in f["latent_size"]  # no empty audio latent: the audio is given
    image = [_load("cactus_man.png"), _resize(1280, 720, "lanczos"),
             _longer(1536, "lanczos"), _preprocess(18)]
    assert [s["img_to_video"] for s in f["stage_details"]] == [
        [{"strength": 0.7, "bypass": False, "image": image}],
        [{"strength": 1.0, "bypass": False, "image": image}]]
    assert [s["cropped_conditioning"] for s in f["stage_details"]] == [False, True]
    (lora,) = f["loras"]
    assert (lora["lora_name"], lora["strength_model"], lora["stages"]) == (
        DISTILLED_LORA_23, 0.5, [1, 2])
    assert _stage_guiders(f) == [CFG_1, CFG_1]
    assert [s["sampler"] for s in f["stage_details"]] == [
        {"class_type": "KSamplerSelect", "sampler_name": "euler"}] * 2


@pytest.mark.parametrize("name", [T2V_23, I2V_23])
def test_ltx2_3_two_stage(newer_features: dict[str, dict[str, Any]], name: str) -> None:
    f = newer_features[name]
    assert [s["sigmas"]["values"] for s in f["stage_details"]] == [STAGE1_SIGMAS,
                                                                    STAGE2_SIGMAS]
    assert [s["model"][-1] for s in f["stage_details"]] == [
        {"class_type": "LoraLoaderModelOnly", "lora_name": DISTILLED_LORA_23,
         "strength_model": 0.5}] * 2
    assert f["decode"]["video"]["temporal_overlap"] == 4
    assert f["frame_rates"]["LTXVConditioning.frame_rate"] == [25.0]
    assert f["parameters"]["negative_prompt"] == NEGATIVE
    assert f["create_video"]["bit_depth"] == 8
    if name == I2V_23:
        image = [_load("egyptian_queen.png"), _resize(1280, 720, "lanczos"),
                 _longer(1536, "area"), _preprocess(18)]
        assert [s["img_to_video"][0]["image"] for s in f["stage_details"]] == [image] * 2


@pytest.mark.parametrize("name", [T2V_25, I2V_25])
def test_ltx2_5_two_stage(newer_features: dict[str, dict[str, Any]], name: str) -> None:
    f = newer_features[name]
    assert _stage_guiders(f) == [DUAL_GUIDER, DUAL_GUIDER]
    assert [s["sampler"] for s in f["stage_details"]] == [
        {"class_type": "KSamplerSelect", "sampler_name": "euler_ancestral"}] * 2
    assert [s["model"] for s in f["stage_details"]] == [
        [{"class_type": "UNETLoader", "unet_name": UNET_25, "weight_dtype": "default"}]] * 2
    assert [s["sigmas"]["values"] for s in f["stage_details"]] == [STAGE1_SIGMAS,
                                                                    STAGE2_SIGMAS]
    assert not f["crop_guides"] and f["loras"] == []
    roles = {(e["class_type"], e.get("role")): e for e in f["loaders"]}
    assert roles[("VAELoader", "video")]["vae_name"] == "ltx-2.5-video-vae-bf16.safetensors"
    assert roles[("VAELoader", "audio")]["vae_name"] == "ltx-2.5-audio-vae-bf16.safetensors"
    clip = roles[("CLIPLoader", "text encoder")]
    assert (clip["clip_name"], clip["type"], clip["device"]) == (
        "gemma4-12b-with-proj-ltx-2.5-comfy-int8-convrot.safetensors", "ltxv", "default")
    assert f["latent_size"]["video"]["width"] == {"value": 640}
    assert f["latent_size"]["video"]["height"] == {"value": 368}
    assert f["latent_size"]["video"]["length"] == {"value": 121}
    assert f["decode"]["video"] | {"samples": None} == {
        "class_type": "VAEDecodeTiled", "tile_size": 512, "overlap": 64, "temporal_size": 64,
        "temporal_overlap": 16, "samples": None}
    stage2 = f["stage_details"][1]
    assert stage2["audio_latent"] == [
        {"class_type": "LTXVSeparateAVLatent", "slot": "audio_latent"},
        {"stage": 1, "slot": "output"}]
    assert stage2["video_latent"][-2:] == [
        {"class_type": "LTXVSeparateAVLatent", "slot": "video_latent"},
        {"stage": 1, "slot": "output"}]
    assert f["parameters"]["negative_prompt"] == NEGATIVE
    if name == I2V_25:
        image = [_load("neon_cyborg_portrait.png"), _longer(1536, "lanczos"), _preprocess(18)]
        assert [s["img_to_video"] for s in f["stage_details"]] == [
            [{"strength": 0.7, "bypass": False, "image": image}],
            [{"strength": 1.0, "bypass": False, "image": image}]]


def test_ltx2_5_size_comes_from_the_resolution_selector() -> None:
    raw = pipeline_features(template_api(T2V_25, static=False), details=True)
    width = raw["latent_size"]["video"]["width"]
    assert width["expression"] == "a/2" and width["value"] == 640
    assert width["values"]["a"] == {"from": "ResolutionSelector", "slot": 0,
                                    "aspect_ratio": "16:9 (Widescreen)", "megapixels": 0.9,
                                    "multiple": 32, "value": 1280}
    assert raw["latent_size"]["video"]["height"]["values"]["a"]["value"] == 736


def test_ltx2_5_flf2v(newer_features: dict[str, dict[str, Any]]) -> None:
    f = newer_features[FLF2V_25]
    (stage,) = f["stage_details"]
    assert stage["sampler"] == {"class_type": "SamplerEulerAncestral", "eta": 0, "s_noise": 1}
    assert stage["guider"] == DUAL_GUIDER
    assert [(g["frame_idx"], g["strength"], g["image"][0]["image"]) for g in stage["guides"]] == [
        (0, 0.7, "robot_hand.png"), (-1, 0.7, "robot_hand_energy.png")]
    assert f["images"] == {
        "robot_hand.png": [[_resize(1280, 720, "nearest-exact"), _preprocess(18)]],
        "robot_hand_energy.png": [[_resize(1280, 720, "nearest-exact"), _preprocess(18)]]}
    assert f["frame_rates"]["CreateVideo.fps"] == [24.0]
    assert f["decode"]["video"]["samples"][0] == {"class_type": "LTXVCropGuides"}
    assert f["latent_size"]["video"]["length"] == {"value": 121}


def test_prompt_enhancement_branch() -> None:
    f = pipeline_features(template_api(T2V_23, enhance=True), details=True)
    lora = next(e for e in f["loras"] if e["class_type"] == "LoraLoader")
    assert lora["lora_name"] == "gemma-3-12b-it-abliterated_lora_rank64_bf16.safetensors"
    assert (lora["applies_to"], lora["stages"], lora["clip_from"], lora["clip_feeds"]) == (
        ["clip"], [], "LTXAVTextEncoderLoader", ["TextGenerateLTX2Prompt.clip"])
    (enhancer,) = f["prompt_enhancement"]
    assert enhancer["clip_path"] == ["LTXAVTextEncoderLoader", "LoraLoader"]
    assert enhancer["max_length"] == 2048
    f = pipeline_features(template_api(I2V_25, enhance=True), details=True)
    (enhancer,) = f["prompt_enhancement"]
    assert (enhancer["max_length"], enhancer["sampling_mode.temperature"],
            enhancer["sampling_mode.repetition_penalty"]) == (600, 0.7, 1.15)
    assert enhancer["image"][-1] == _preprocess(18)
    roles = {e.get("role"): e for e in f["loaders"] if e["class_type"] == "CLIPLoader"}
    assert roles["prompt enhancement"]["clip_name"] == "gemma4_e2b_it_int8_convrot.safetensors"


@pytest.mark.parametrize("name", NEW_TEMPLATES)
def test_details_do_not_depend_on_ids(newer_apis: dict[str, ApiPrompt],
                                      newer_features: dict[str, dict[str, Any]], name: str) -> None:
    for seed in range(2):
        relabelled = _relabel(newer_apis[name], seed)
        assert pipeline_features(relabelled, details=True) == newer_features[name]


def test_details_are_opt_in(newer_apis: dict[str, ApiPrompt]) -> None:
    plain = pipeline_features(newer_apis[T2V_25])
    assert "stage_details" not in plain
    assert set(pipeline_features(newer_apis[T2V_25], details=True)) - set(plain) == {
        "stage_details", "loaders", "loras", "images", "latent_size", "frame_rate_sources",
        "decode", "crop_guides_placement", "prompt_enhancement"}


def _node(api: ApiPrompt, kind: str, **inputs: Any) -> dict[str, Any]:
    found = [n for n in api.values() if n["class_type"] == kind
             and all(n["inputs"].get(k) == v for k, v in inputs.items())]
    assert len(found) == 1, (kind, inputs)
    return found[0]


@pytest.mark.parametrize(("name", "edit", "path"), [
    (FLF2V_25, lambda a: _node(a, "LTXVAddGuide", frame_idx=-1)["inputs"].update(
        frame_idx=-9), lambda f: f["stage_details"][0]["guides"]),
    (T2V_25, lambda a: next(n for n in a.values() if n["class_type"] == "LTXVDualCFGGuider")[
        "inputs"].update(audio_cfg=3), lambda f: _stage_guiders(f)),
    (IA2V_23, lambda a: _node(a, "TrimAudioDuration")["inputs"].update(start_index=2),
     lambda f: f["stage_details"][0]["audio_latent"]),
    (I2V_25, lambda a: _node(a, "VAELoader", vae_name="ltx-2.5-audio-vae-bf16.safetensors")[
        "inputs"].update(vae_name="other.safetensors"), lambda f: f["loaders"]),
    (FLF2V_23, lambda a: _node(a, "VAEDecodeTiled")["inputs"].update(
        samples=_node(a, "LTXVCropGuides")["inputs"]["latent"]), lambda f: f["decode"]),
])
def test_details_detect_changes(newer_apis: dict[str, ApiPrompt],
                                newer_features: dict[str, dict[str, Any]],
                                name: str, edit: Any, path: Any) -> None:
    api = copy.deepcopy(newer_apis[name])
    edit(api)
    assert path(pipeline_features(api, details=True)) != path(newer_features[name])


# --- a template shipped broken ----------------------------------------------------------------


def test_the_lora_templates_lost_output_link_is_restored_as_its_source_has_it() -> None:
    """``video_ltx2_i2v_lora`` lost the link from its ``CreateVideo`` to its subgraph's output
    (the ``video_ltx2_i2v`` it was made from has it): as shipped, its ``SaveVideo`` has no
    input and the whole graph is dead. :data:`TEMPLATE_REPAIRS` restores the link exactly."""
    from importlib import resources

    from tests.official_templates import TEMPLATE_PACKAGE, TEMPLATE_REPAIRS, template_api

    resource = resources.files(TEMPLATE_PACKAGE) / "templates" / "video_ltx2_i2v_lora.json"
    shipped = json.loads(resource.read_text(encoding="utf-8"))
    info = default_object_info(shipped)
    broken = flatten_workflow(shipped, info).api
    [save] = [v for v in broken.values() if v["class_type"] == "SaveVideo"]
    assert "video" not in save["inputs"]
    [repair] = TEMPLATE_REPAIRS["video_ltx2_i2v_lora"]
    repaired = copy.deepcopy(shipped)
    repair(repaired)
    [subgraph] = repaired["definitions"]["subgraphs"]
    [source] = load_template("video_ltx2_i2v")["definitions"]["subgraphs"]
    assert ([link for link in subgraph["links"] if link["target_id"] == -20]
            == [link for link in source["links"] if link["target_id"] == -20])
    api = template_api("video_ltx2_i2v_lora")
    [save] = [v for v in api.values() if v["class_type"] == "SaveVideo"]
    assert api[save["inputs"]["video"][0]]["class_type"] == "CreateVideo"
    assert len(api) > 30  # the whole graph is alive
