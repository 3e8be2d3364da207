"""The editor's view of a node schema (``ltx2sdk.graph.editor.widgets``), on the bundled
releases' real schemas and the official templates' real ``widgets_values``."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from ltx2sdk.graph.editor.widgets import (
    control_mode,
    inputs_to_widget_values,
    widget_names,
    widget_values_to_inputs,
    widgets,
)
from ltx2sdk.graph.releases import bundled_schemas
from ltx2sdk.graph.schema import InputSpec, NodeSchema, SchemaSet

NEWEST = bundled_schemas("0.38.1")
OLDEST = bundled_schemas("0.8.0")


def template_nodes(name: str) -> list[dict[str, Any]]:
    """Every node of an official template, inside its subgraphs too."""
    text = resources.files("comfyui_workflow_templates_json").joinpath(
        "templates", f"{name}.json").read_text(encoding="utf-8")
    workflow = json.loads(text)
    subgraphs = workflow.get("definitions", {}).get("subgraphs", [])
    return [*workflow["nodes"], *(node for sg in subgraphs for node in sg["nodes"])]


def test_a_seed_is_followed_by_its_control_value() -> None:
    layout = [(w.name, w.kind) for w in widgets(NEWEST["KSampler"])]
    assert layout[:3] == [("seed", "value"), ("control_after_generate", "control"),
                          ("steps", "value")]
    values = [288370150520961, "randomize", 8, 1, "euler_ancestral", "linear_quadratic", 1]
    assert widget_values_to_inputs(NEWEST["KSampler"], values) == {
        "seed": 288370150520961, "steps": 8, "cfg": 1, "sampler_name": "euler_ancestral",
        "scheduler": "linear_quadratic", "denoise": 1}


def test_the_frontend_rule_for_seeds_that_declare_nothing() -> None:
    # an INT named seed or noise_seed gets a control unless it declares otherwise
    assert control_mode(InputSpec("seed", "INT")) == "randomize"
    assert control_mode(InputSpec("noise_seed", "INT")) == "randomize"
    assert control_mode(InputSpec("seed", "INT", control_after_generate=False)) is None
    assert control_mode(InputSpec("steps", "INT")) is None
    assert control_mode(InputSpec("value", "INT", control_after_generate="fixed")) == "fixed"
    assert control_mode(InputSpec("seed", "FLOAT")) is None
    # a dynamic combo's sub-widget is named by its path, which the name rule does not match
    assert control_mode(InputSpec("seed", "INT"), "sampling_mode.seed") is None


def test_the_old_node_set_without_declarations_still_gets_the_seed_control() -> None:
    # the SDK's own node table declares no control_after_generate: the name rule gives it
    from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
    names = [w.name for w in widgets(LTX2_SCHEMAS["RandomNoise"])]
    assert names == ["noise_seed", "control_after_generate"]


def test_a_control_value_newer_frontends_leave_out_is_not_required() -> None:
    assert widget_values_to_inputs(NEWEST["KSampler"], [5, 8, 1.0, "euler", "simple", 1.0]) \
        == {"seed": 5, "steps": 8, "cfg": 1.0, "sampler_name": "euler",
            "scheduler": "simple", "denoise": 1.0}


def test_dynamic_combo_sub_widgets_follow_their_combo_in_definition_order() -> None:
    # the bundled dump has sorted keys; the editor stores definition order (template value)
    values = ["", 600, "on", 0.7, 64, 0.95, 0.05, 1.15, 0, 0, False, True]
    inputs = widget_values_to_inputs(NEWEST["TextGenerateLTX2Prompt"], values)
    assert {k: v for k, v in inputs.items() if k.startswith("sampling_mode")} == {
        "sampling_mode": "on", "sampling_mode.temperature": 0.7, "sampling_mode.top_k": 64,
        "sampling_mode.top_p": 0.95, "sampling_mode.min_p": 0.05,
        "sampling_mode.repetition_penalty": 1.15, "sampling_mode.seed": 0,
        "sampling_mode.presence_penalty": 0}
    off = widget_values_to_inputs(NEWEST["TextGenerateLTX2Prompt"], ["", 600, "off", False])
    assert not any(name.startswith("sampling_mode.") for name in off)


def test_nested_dynamic_combos_and_a_hidden_legacy_input() -> None:
    # 0.38.1's SaveVideo: format (dynamic) > codec (dynamic), and the hidden legacy codec
    schema = NEWEST["SaveVideo"]
    assert widget_names(schema) == ["filename_prefix", "format", "format.codec", "codec"]
    chosen = {"format": "mp4", "format.codec": "h264", "format.codec.encoding": "re-encode"}
    assert widget_names(schema, chosen)[:5] == [
        "filename_prefix", "format", "format.codec", "format.codec.encoding",
        "format.codec.encoding.crf"]
    values = ["video/x", "mp4", "h264", "re-encode", 20.0, "auto"]
    assert widget_values_to_inputs(schema, values) == {
        "filename_prefix": "video/x", "format": "mp4", "format.codec": "h264",
        "format.codec.encoding": "re-encode", "format.codec.encoding.crf": 20.0,
        "codec": "auto"}


def test_upload_widgets() -> None:
    assert widget_values_to_inputs(NEWEST["LoadImage"], ["robot_hand.png", "image"]) == {
        "image": "robot_hand.png"}
    assert inputs_to_widget_values(NEWEST["LoadImage"], {"image": "a.png"}) == [
        "a.png", "image"]
    assert inputs_to_widget_values(NEWEST["LoadVideo"], {"file": "a.mp4"}) == [
        "a.mp4", "image"]
    # audio: the player's widget, then the upload button, both stored as null
    assert inputs_to_widget_values(NEWEST["LoadAudio"], {"audio": "a.mp3"}) == [
        "a.mp3", None, None]
    assert widget_values_to_inputs(NEWEST["LoadAudio"], ["a.mp3", None, None]) == {
        "audio": "a.mp3"}


def test_the_upload_value_comes_after_the_required_widgets() -> None:
    schema = NodeSchema("LoadImageMask", (
        InputSpec("image", "COMBO", options=("a.png",), upload="image_upload"),
        InputSpec("channel", "COMBO", options=("alpha", "red")),
        InputSpec("extra", "INT", required=False, default=3)))
    assert [w.name for w in widgets(schema)] == ["image", "channel", "upload", "extra"]
    assert widget_values_to_inputs(schema, ["a.png", "red", "image", 4]) == {
        "image": "a.png", "channel": "red", "extra": 4}


def test_missing_values_take_defaults_and_left_over_values_are_not_read() -> None:
    # a node saved before a release added a widget, and one saved by a newer release
    assert widget_values_to_inputs(OLDEST["CreateVideo"], [24]) == {"fps": 24}
    assert widget_values_to_inputs(NEWEST["CreateVideo"], [24])["fps"] == 24
    assert widget_values_to_inputs(OLDEST["CreateVideo"], [25, 8, "sRGB"]) == {"fps": 25}


def test_a_combo_with_a_control_has_a_filter_value() -> None:
    schema = NodeSchema("Pick", (InputSpec("name", "COMBO", options=("a", "b"),
                                           control_after_generate=True),
                                 InputSpec("n", "INT", default=1)))
    assert inputs_to_widget_values(schema, {"name": "b", "n": 2}) == ["b", "fixed", "", 2]
    assert widget_values_to_inputs(schema, ["b", "fixed", "", 2]) == {"name": "b", "n": 2}
    assert widget_values_to_inputs(schema, ["b", 2]) == {"name": "b", "n": 2}


def test_values_by_name() -> None:
    named = {"filename_prefix": "video/x", "format": "auto", "format.codec": "auto",
             "codec": "auto", "unknown": 1}
    assert widget_values_to_inputs(NEWEST["SaveVideo"], named) == {
        "filename_prefix": "video/x", "format": "auto", "format.codec": "auto",
        "codec": "auto"}


def test_links_and_missing_inputs_store_the_default() -> None:
    values = inputs_to_widget_values(NEWEST["KSampler"], {"seed": ["3", 0], "steps": 4})
    assert values == [0, "fixed", 4, 8.0, "euler", "simple", 1.0]
    assert inputs_to_widget_values(NEWEST["KSampler"], {"seed": 7}, control=None)[:2] == [
        7, "randomize"]


@pytest.mark.parametrize("template", ["video_ltx2_3_ia2v", "video_ltx2_i2v",
                                      "video_ltx2_3_i2v", "video_ltx2_5_t2v"])
def test_template_values_survive_a_round_trip(template: str) -> None:
    # every node of the template whose schema the newest bundled release has
    checked = 0
    for node in template_nodes(template):
        schema = NEWEST.get(node["type"])
        values = node.get("widgets_values")
        if schema is None or not isinstance(values, list):
            continue
        inputs = widget_values_to_inputs(schema, values)
        assert set(inputs) == set(widget_names(schema, inputs))
        again = inputs_to_widget_values(schema, inputs)
        assert widget_values_to_inputs(schema, again) == inputs, node["type"]
        checked += 1
    assert checked > 5


def test_server_schemas_with_their_own_order() -> None:
    # a server's /object_info keeps definition order: no table needed
    info = {"X": {"input": {"required": {"mode": ["COMFY_DYNAMICCOMBO_V3", {"options": [
        {"key": "on", "inputs": {"required": {"b": ["INT", {}], "a": ["INT", {}]}}}]}]}},
        "output": [], "name": "X"}}
    schema = SchemaSet.from_object_info(info)["X"]
    assert widget_names(schema, {"mode": "on"}) == ["mode", "mode.b", "mode.a"]
    assert widget_values_to_inputs(schema, ["on", 1, 2]) == {"mode": "on", "mode.b": 1,
                                                              "mode.a": 2}


def test_widgets_without_a_saved_value_are_named() -> None:
    missing: list[str] = []
    assert widget_values_to_inputs(NEWEST["CreateVideo"], [24], missing=missing) == {
        "fps": 24, "bit_depth": "auto", "color_space": "sRGB"}
    assert missing == ["bit_depth", "color_space"]


def test_sorted_sub_widgets_of_an_unknown_order_that_do_not_fit_are_reported() -> None:
    # a dump with sorted keys lists "a_duration" before "a_prompt"; the editor stored the
    # node's own order (prompt, then duration): read in the dump's order, "" lands on an INT
    info = {"X": {"input": {"required": {"mode": ["COMFY_DYNAMICCOMBO_V3", {"options": [
        {"key": "on", "inputs": {"required": {"a_duration": ["INT", {"default": 4}],
                                              "a_prompt": ["STRING", {}]}}}]}]}},
        "output": [], "name": "X"}}
    schema = SchemaSet.from_object_info(info)["X"]
    misfits: list[str] = []
    widget_values_to_inputs(schema, ["on", "", 4], misfits=misfits)
    assert misfits == ["mode.a_duration", "mode.a_prompt"]
    fitting: list[str] = []  # values that fit are read as they come: nothing to report
    widget_values_to_inputs(schema, ["on", 4, "a cat"], misfits=fitting)
    assert fitting == []


def test_the_kling_omni_storyboards_are_read_in_the_nodes_order() -> None:
    # template_sirolim_image_script_video: prompt then duration per segment
    schemas = SchemaSet.from_object_info(_object_info_0_38_1(), comfyui_version="0.38.1")
    misfits: list[str] = []
    inputs = widget_values_to_inputs(
        schemas["KlingOmniProImageToVideoNode"],
        ["kling-v3-omni", "", "9:16", 12, "720p", "2 storyboards", "a", 5, "b", 7, True, 1,
         "randomize"], misfits=misfits)
    assert misfits == []
    assert {k: v for k, v in inputs.items() if k.startswith("storyboards.")} == {
        "storyboards.storyboard_1_prompt": "a", "storyboards.storyboard_1_duration": 5,
        "storyboards.storyboard_2_prompt": "b", "storyboards.storyboard_2_duration": 7}


def _object_info_0_38_1() -> dict[str, Any]:
    """ComfyUI 0.38.1's whole /object_info as the suite captured it (keys sorted)."""
    import gzip
    from pathlib import Path
    fixture = (Path(__file__).resolve().parents[2] / "fixtures" / "versions" / "0.38.1"
               / "object_info.json.gz")
    info: dict[str, Any] = json.loads(gzip.decompress(fixture.read_bytes()))
    return info
