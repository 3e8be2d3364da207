"""The hosted LTX-2.5 API pipelines (partner nodes) against Comfy-Org's templates and ComfyUI's
own declaration of the nodes, and how a request maps onto the nodes' choices."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from builders import build
from builders.catalog import ltx2_5_api
from builders.catalog.ltx2_5_api import PIPELINES, PartnerPipeline
from builders.catalog.templates import TEMPLATES, template_named
from builders.examples import template_request
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import IncompatibleServerError, RequestFieldError
from ltx2sdk.graph.releases import bundled_schemas, parse_version
from ltx2sdk.request import GenerationRequest
from tests.official_templates import is_link, load_template, template_api

ROOT = Path(__file__).resolve().parents[2]
OBJECT_INFO_0_33 = ROOT / "tests" / "fixtures" / "versions" / "0.33.0" / "object_info.json.gz"
TEMPLATE_OF = {p.template: p for p in PIPELINES if p.template is not None}


def _object_info() -> dict[str, Any]:
    with gzip.open(OBJECT_INFO_0_33, "rt", encoding="utf-8") as fh:
        info: dict[str, Any] = json.load(fh)
    return info


def _one(api: dict[str, Any], class_type: str) -> tuple[str, dict[str, Any]]:
    [found] = [(k, v) for k, v in api.items() if v["class_type"] == class_type]
    return found


def _template_request(name: str, pipeline: PartnerPipeline) -> GenerationRequest:
    """The request the template's own settings make: its prompt, seed, size, length, fps."""
    _, node = _one(template_api(name), pipeline.node)
    width, height = map(int, node["inputs"]["model.resolution"].split("x"))
    images = {"t2v": {}, "i2v": {"image": "first.png"},
              "flf2v": {"image": "first.png", "last_image": "last.png"}}[pipeline.type]
    return GenerationRequest(
        prompt=node["inputs"]["prompt"], model=pipeline.model.id, type=pipeline.type,
        mode=pipeline.mode, seed=node["inputs"]["seed"], width=width, height=height,
        duration=float(node["inputs"]["model.duration"]),
        fps=int(node["inputs"]["model.fps"]), **images)


def test_every_api_template_has_its_pipeline() -> None:
    assert sorted(TEMPLATE_OF) == ["api_ltx2_5_flf2v", "api_ltx2_5_i2v", "api_ltx2_5_t2v"]
    assert {p.key for p in PIPELINES} == {("ltx-2.5-api", t, m) for t in ("t2v", "i2v", "flf2v")
                                          for m in ("fast", "pro")}


@pytest.mark.parametrize("name", sorted(TEMPLATE_OF))
def test_the_pipeline_matches_its_template_stage_by_stage(name: str) -> None:
    pipeline = TEMPLATE_OF[name]
    expected = template_api(name)
    built = build(_template_request(name, pipeline), image_name="first.png",
                  last_image_name="last.png")
    assert built.plan.adjustments == ()  # the template's settings are the node's own choices
    got = built.compile()
    # the node and its model option, with the option's choices
    want_id, want = _one(expected, pipeline.node)
    got_id, node = _one(got, pipeline.node)
    assert node["inputs"]["model"] == want["inputs"]["model"] == pipeline.options.label
    for sub in ("model.duration", "model.resolution", "model.fps", "model.generate_audio",
                "seed"):
        assert node["inputs"][sub] == want["inputs"][sub], sub
    # (the request model strips a prompt's surrounding blanks: t2v's ends with a newline)
    assert node["inputs"]["prompt"] == want["inputs"]["prompt"].strip()
    # the image wiring: each image input of the node from its own LoadImage
    for _, node_input in pipeline.image_inputs:
        assert is_link(want["inputs"][node_input]) and is_link(node["inputs"][node_input])
        assert expected[want["inputs"][node_input][0]]["class_type"] == "LoadImage"
        assert got[node["inputs"][node_input][0]]["class_type"] == "LoadImage"
    assert {k for k, v in node["inputs"].items() if is_link(v)} == \
        {k for k, v in want["inputs"].items() if is_link(v)}
    first = got[node["inputs"]["image"][0]] if "image" in node["inputs"] else None
    if first is not None:
        assert first["inputs"]["image"] == "first.png"
    if "last_frame" in node["inputs"]:
        assert got[node["inputs"]["last_frame"][0]]["inputs"]["image"] == "last.png"
    # saved as the template saves it, the node's video straight in
    _, save = _one(got, "SaveVideo")
    _, want_save = _one(expected, "SaveVideo")
    assert save["inputs"]["video"] == [got_id, 0] and want_save["inputs"]["video"] == [want_id, 0]
    assert {k: v for k, v in save["inputs"].items() if k not in ("video", "filename_prefix")} \
        == {k: v for k, v in want_save["inputs"].items() if k not in ("video", "filename_prefix")}
    assert sorted(v["class_type"] for v in got.values()) == \
        sorted(v["class_type"] for v in expected.values())


def test_the_options_are_those_comfyui_declares() -> None:
    info = _object_info()
    for node in ltx2_5_api.PARTNER_NODES:
        spec = info[node]["input"]["required"]["model"]
        assert spec[0] == "COMFY_DYNAMICCOMBO_V3"
        declared = {option["key"]: option["inputs"]["required"] for option in spec[1]["options"]}
        assert set(declared) == {o.label for o in ltx2_5_api.OPTIONS.values()}
        for options in ltx2_5_api.OPTIONS.values():
            subs = declared[options.label]
            assert subs["duration"][1]["options"] == [str(d) for d in options.durations]
            assert subs["fps"][1]["options"] == [str(f) for f in options.fps]
            assert subs["resolution"][1]["options"] == [
                options.resolution_text(r) for r in options.resolutions]
        # the key comes the way partner nodes take it: a hidden input from extra_data
        assert "api_key_comfy_org" in info[node]["input"]["hidden"]
    assert info[ltx2_5_api.IMAGE_TO_VIDEO]["input"]["optional"]["last_frame"][0] == "IMAGE"


def test_the_minimum_release_is_the_first_captured_one_with_the_nodes() -> None:
    captured = ROOT / "tests" / "fixtures" / "versions"
    having = []
    for folder in sorted(p for p in captured.iterdir() if p.is_dir()):
        with gzip.open(folder / "object_info.json.gz", "rt", encoding="utf-8") as fh:
            if set(ltx2_5_api.PARTNER_NODES) <= set(json.load(fh)):
                having.append(folder.name)
    # the templates' minComfyUIVersion (0.32.0, not captured): every captured release from
    # it has the nodes, none before it
    need = parse_version(ltx2_5_api.MIN_COMFYUI)
    assert need is not None and having
    for folder in sorted(p for p in captured.iterdir() if p.is_dir()):
        version = parse_version(folder.name)
        assert version is not None
        assert (folder.name in having) == (version >= need), folder.name
    assert {p.min_comfyui for p in PIPELINES} == {ltx2_5_api.MIN_COMFYUI}
    with pytest.raises(IncompatibleServerError, match=r"needs ComfyUI >= 0\.32\.0"):
        build(GenerationRequest(prompt="a fox", model="ltx-2.5-api"),
              schemas=bundled_schemas("0.29.0"))


def test_the_template_names_no_other_settings() -> None:
    """Nothing the SDK sends is missing from the template's node (every widget it has)."""
    for name, pipeline in TEMPLATE_OF.items():
        [node] = [n for n in load_template(name)["nodes"] if n["type"] == pipeline.node]
        # model, duration, resolution, fps, generate_audio, prompt, seed, control_after_generate
        assert len(node["widgets_values"]) == 8


@pytest.mark.parametrize("name", sorted(TEMPLATE_OF))
def test_each_templates_example_has_its_own_values(name: str) -> None:
    """The official template entry (``ltx2 build --template``) carries the template's own
    title, release, prompt, seed, size, length and frame rate, read here from the template."""
    from importlib import resources

    index = resources.files("comfyui_workflow_templates_json") / "templates" / "index.json"
    [entry] = [t for category in json.loads(index.read_text(encoding="utf-8"))
               for t in category.get("templates", []) if t["name"] == name]
    template = template_named(name)
    assert template.pipeline == TEMPLATE_OF[name].key
    assert (template.title, template.min_comfyui) == (entry["title"],
                                                      entry["minComfyUIVersion"])
    _, node = _one(template_api(name), TEMPLATE_OF[name].node)
    inputs = node["inputs"]
    assert template.prompt == inputs["prompt"] and template.seed == inputs["seed"]
    assert f"{template.width}x{template.height}" == inputs["model.resolution"]
    assert template.fps == int(inputs["model.fps"])
    assert template.frames == int(inputs["model.duration"]) * template.fps + 1
    assert template.loras == ()
    built = build(GenerationRequest.model_validate(template_request(template)))
    assert built.plan.adjustments == ()
    _, made = _one(built.compile(), TEMPLATE_OF[name].node)
    for sub in ("model", "model.duration", "model.resolution", "model.fps", "seed"):
        assert made["inputs"][sub] == inputs[sub]


@pytest.mark.parametrize("name", sorted(TEMPLATE_OF))
def test_build_template_example_builds_it_offline(name: str, tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    assert main(["build", "--template", name, "--example", "-o", str(out), "-q"]) == 0
    graph = json.loads(out.read_text())
    _, node = _one(graph, TEMPLATE_OF[name].node)
    _, want = _one(template_api(name), TEMPLATE_OF[name].node)
    assert node["inputs"]["model"] == want["inputs"]["model"]
    assert node["inputs"]["seed"] == want["inputs"]["seed"]
    assert sum(1 for t in TEMPLATES if t.pipeline.model == "ltx-2.5-api") == 3


# --- a request on the nodes' choices ------------------------------------------------------------


def _plan(**fields: Any) -> Any:
    request = GenerationRequest(prompt="a fox", model="ltx-2.5-api", **fields)
    return build(request).plan


def test_the_default_request_is_one_of_the_node_choices() -> None:
    plan = _plan()
    assert (plan.width, plan.height, plan.fps, plan.duration) == (1280, 720, 25, 10)
    assert plan.adjustments == ()


def test_size_length_and_fps_snap_to_the_nearest_choice_and_say_so() -> None:
    plan = _plan(mode="pro", width=1000, height=1600, duration=7, fps=30)
    assert (plan.width, plan.height, plan.fps, plan.duration) == (1080, 1920, 25, 8)
    assert plan.adjustments == (
        "fps 30 -> 25 (LTX-2.5 (Pro) makes 24, 25, 50 fps)",
        "duration 7 s -> 8 s (LTX-2.5 (Pro) makes 2, 3, 4, 5, 6, 8, 10 s)",
        "size 1000x1600 -> 1080x1920 (LTX-2.5 (Pro) makes 1280x720, 720x1280, 1920x1080, "
        "1080x1920)")
    assert _plan(mode="fast", width=3840, height=2160, duration=4).width == 3840
    assert _plan(frames=97, fps=24).duration == 4  # 96 frames at 24 fps: 4 s


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"mode": "pro", "duration": 14}, "duration",
     "LTX-2.5-API pro makes at most 10 s (LTX-2.5 (Pro)), not 14 s"),
    ({"duration": 16, "width": 3840, "height": 2160}, "duration",
     "over 10 s LTX-2.5 (Fast) makes at most 1080p at 25 fps, not 3840x2160 at 25 fps"),
    ({"duration": 12, "fps": 50}, "duration", "not 1280x720 at 50 fps"),
    ({"loras": [{"name": "x.safetensors"}]}, "loras", "takes no LoRAs"),
    ({"camera_lora": "dolly_in"}, "camera_lora", "has no camera LoRAs"),
    ({"seed": 2**32}, "seed", "takes seeds up to 4294967295"),
])
def test_what_the_node_cannot_make_is_refused_naming_the_field(
        fields: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(RequestFieldError) as caught:
        _plan(**fields)
    assert caught.value.field == field and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_values_the_node_has_no_use_for_are_noted() -> None:
    plan = _plan(negative_prompt="blur", enhance_prompt=True)
    assert plan.adjustments == (
        "negative_prompt is not used by ltx-2.5-api t2v fast (the hosted node takes none)",
        "enhance_prompt is not used by ltx-2.5-api t2v fast (the hosted node takes none)")
    assert plan.models is None  # no model files


def test_the_graph_holds_no_key_and_no_loader() -> None:
    api = build(GenerationRequest(prompt="a fox", model="ltx-2.5-api", type="i2v",
                                  image="a.png")).compile()
    assert sorted(v["class_type"] for v in api.values()) == [
        "LoadImage", "LtxApi25ImageToVideo", "SaveVideo"]
    assert "api_key" not in json.dumps(api)
