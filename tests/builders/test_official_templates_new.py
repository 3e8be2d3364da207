"""``tests/official_templates.py`` on Comfy-Org's LTX-2.3 and LTX-2.5 templates.

The seven templates (``video_ltx2_3_{t2v,i2v,flf2v,ia2v}``, ``video_ltx2_5_{t2v,i2v,flf2v}``)
are flattened with a real ComfyUI 0.33.0's ``/object_info`` (the only fixture with the
LTX-2.5 nodes) and must validate against it; ``pipeline_features(..., details=True)`` must
report what the templates compute (the values asserted here were read from the template
JSON, node by node). The proxy-widget mapping, the dynamic-combo widget order and the
``ResolutionSelector`` arithmetic are checked on hand-made inputs where a wrong rule gives a
different answer.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from typing import Any

import pytest

from tests.official_templates import (
    LTX2_3_TEMPLATES,
    LTX2_5_TEMPLATES,
    LTX2_TEMPLATES,
    OBJECT_INFO_0_33,
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
)

INFO = load_object_info(OBJECT_INFO_0_33)
FIXTURE = load_object_info()
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
def apis() -> dict[str, ApiPrompt]:
    """The seven templates flattened with ComfyUI 0.33.0 (read-only)."""
    return {name: template_api(name, object_info=INFO, fit_schema=True)
            for name in NEW_TEMPLATES}


@pytest.fixture(scope="module")
def features(apis: dict[str, ApiPrompt]) -> dict[str, dict[str, Any]]:
    return {name: pipeline_features(api, details=True) for name, api in apis.items()}


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
def test_flattened_template_validates_on_0_33(apis: dict[str, ApiPrompt], name: str) -> None:
    assert validate_api(apis[name], INFO) == []
    assert {n["class_type"] for n in apis[name].values()} <= set(INFO)


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


EXPECTED_NOTES = {
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
def test_flatten_notes(name: str) -> None:
    result = flatten_workflow(load_template(name), INFO, fit_schema=True)
    assert result.notes == EXPECTED_NOTES[name]


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
        template_api(name, object_info=FIXTURE)
    assert "CLIPLoader" in str(raised.value)
    assert ("ResolutionSelector" in str(raised.value)) == (name != FLF2V_25)


def test_fixture_and_0_33_agree_on_ltx2_3(apis: dict[str, ApiPrompt]) -> None:
    """The LTX-2.3 templates flatten to the same inputs with either object_info."""
    for name in (I2V_23, FLF2V_23):
        old = template_api(name)
        assert {k: v["inputs"] for k, v in old.items()} == {
            k: v["inputs"] for k, v in apis[name].items()}


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
    api = flatten_workflow(_proxy_workflow(proxies, values), FIXTURE).api
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
        flatten_workflow(_proxy_workflow(proxies, values), FIXTURE)


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
    features = pipeline_features(api, details=True)
    assert features["parameters"]["prompt"] == "a red car"
    assert features["parameters"]["seeds"] == [7]
    video = features["latent_size"]["video"]
    assert (video["width"]["value"], video["height"]["value"]) == (1024, 576)
    assert video["length"]["value"] == 121  # 4 s x 30 fps + 1
    assert video["length"]["expression"] == "a * b + 1"
    assert features["frame_rates"]["CreateVideo.fps"] == [30.0]
    for chain in features["images"].values():
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


def _stage_guiders(features: Mapping[str, Any]) -> list[Any]:
    return [s["guider"] for s in features["stage_details"]]


def test_ltx2_3_flf2v(features: dict[str, dict[str, Any]]) -> None:
    f = features[FLF2V_23]
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
    assert stage["guides"] == [{"frame_idx": 0, "strength": 0.7, "image": first},
                               {"frame_idx": -1, "strength": 0.7, "image": last}]
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


def test_ltx2_3_ia2v_audio_chain(features: dict[str, dict[str, Any]]) -> None:
    f = features[IA2V_23]
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
def test_ltx2_3_two_stage(features: dict[str, dict[str, Any]], name: str) -> None:
    f = features[name]
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
def test_ltx2_5_two_stage(features: dict[str, dict[str, Any]], name: str) -> None:
    f = features[name]
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


def test_ltx2_5_flf2v(features: dict[str, dict[str, Any]]) -> None:
    f = features[FLF2V_25]
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


def _relabel(api: ApiPrompt, seed: int) -> ApiPrompt:
    rng = random.Random(seed)
    ids = list(api)
    names = {old: f"x{rng.randrange(10**9)}_{i}" for i, old in enumerate(ids)}
    rng.shuffle(ids)
    return {names[old]: {**copy.deepcopy(api[old]), "inputs": {
        k: [names[v[0]], v[1]] if is_link(v) else copy.deepcopy(v)
        for k, v in api[old]["inputs"].items()}} for old in ids}


@pytest.mark.parametrize("name", NEW_TEMPLATES)
def test_details_do_not_depend_on_ids(apis: dict[str, ApiPrompt],
                                      features: dict[str, dict[str, Any]], name: str) -> None:
    for seed in range(2):
        assert pipeline_features(_relabel(apis[name], seed), details=True) == features[name]


def test_details_are_opt_in(apis: dict[str, ApiPrompt]) -> None:
    plain = pipeline_features(apis[T2V_25])
    assert "stage_details" not in plain
    assert set(pipeline_features(apis[T2V_25], details=True)) - set(plain) == {
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
def test_details_detect_changes(apis: dict[str, ApiPrompt], features: dict[str, dict[str, Any]],
                                name: str, edit: Any, path: Any) -> None:
    api = copy.deepcopy(apis[name])
    edit(api)
    assert path(pipeline_features(api, details=True)) != path(features[name])
