"""The official templates each pipeline computes, and the requests that reproduce them
(:mod:`builders.catalog.templates`, :mod:`builders.examples`, ``ltx2 build --template``,
``ltx2 pipelines``): every LTX-2-family template of ``comfyui-workflow-templates-json`` is
either made by a pipeline or listed as not yet; each example carries the template's own values
(read from the template here, not copied); and the graph it builds computes what the template
computes, user-level values aside."""

from __future__ import annotations

import json
from typing import Any

import pytest

from builders import PIPELINES, build
from builders.catalog import ltx2_5_api
from builders.catalog.templates import (
    NOT_YET,
    TEMPLATES,
    OfficialTemplate,
    template_named,
    templates_of,
)
from builders.examples import pipeline_request, template_request
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import UnknownTemplateError
from ltx2sdk.request import GenerationRequest
from tests.official_templates import TEMPLATE_PACKAGE, pipeline_features, template_api

IDS = [f"{t.name}-{t.pipeline.mode}" for t in TEMPLATES]
# the templates of pipelines made from model files (the hosted LTX-2.5 API's, one partner node
# each, are held to their templates by tests/builders/test_ltx2_5_api.py)
LOCAL = [t for t in TEMPLATES if t.pipeline.model != "ltx-2.5-api"]
LOCAL_IDS = [f"{t.name}-{t.pipeline.mode}" for t in LOCAL]


def template_index() -> list[dict[str, Any]]:
    """Every template's entry in the package's ``index.json`` (its categories flattened)."""
    from importlib import resources

    index = resources.files(TEMPLATE_PACKAGE) / "templates" / "index.json"
    return [entry for category in json.loads(index.read_text(encoding="utf-8"))
            for entry in category.get("templates", [])]


def official_ltx2_names() -> set[str]:
    """Every LTX-2-family template of the package (LTX-Video 0.9.5's ``ltxv_*`` aside)."""
    return {entry["name"] for entry in template_index() if "ltx2" in entry["name"]}


def test_every_official_ltx2_template_is_made_or_listed_as_not_yet() -> None:
    made = {t.name for t in TEMPLATES}
    assert made.isdisjoint(NOT_YET)
    assert made | set(NOT_YET) == official_ltx2_names()
    assert len(official_ltx2_names()) == 21


def test_every_pipeline_with_a_template_names_it_here() -> None:
    for pipeline in PIPELINES:
        if pipeline.template is not None:
            assert any(t.name == pipeline.template and t.variant == pipeline.template_variant
                       for t in templates_of(pipeline.key)), pipeline.key


def _positive_prompt(api: dict[str, Any]) -> str:
    [conditioning] = [n for n in api.values() if n["class_type"] == "LTXVConditioning"]
    node = api[conditioning["inputs"]["positive"][0]]
    while node["class_type"] != "CLIPTextEncode":  # (through LTXVReferenceAudio: positive)
        link = node["inputs"].get("positive")
        if not isinstance(link, list):
            link = next(v for v in node["inputs"].values() if isinstance(v, list))
        node = api[link[0]]
    return str(node["inputs"]["text"])


@pytest.mark.parametrize("template", LOCAL, ids=LOCAL_IDS)
def test_each_examples_values_are_the_templates(template: OfficialTemplate) -> None:
    [entry] = [e for e in template_index() if e["name"] == template.name]
    assert (template.title, template.min_comfyui) == (entry["title"],
                                                      entry["minComfyUIVersion"])
    api = template_api(template.name, variant=template.variant)
    features = pipeline_features(api, details=True)
    assert template.prompt == _positive_prompt(api)
    assert template.seed == features["parameters"]["seeds"][0]
    assert template.fps == features["create_video"]["fps"]
    lengths = [n["inputs"]["length"] for n in api.values()
               if n["class_type"] in ("EmptyLTXVLatentVideo", "ImageFromBatch")
               and isinstance(n["inputs"].get("length"), int)]
    # a template that cuts its video by time (Video Slice) is as long as that, at its fps
    lengths += [round(n["inputs"]["duration"] * template.fps) + 1 for n in api.values()
                if n["class_type"] == "Video Slice"]
    # a template that makes a still into frames (a reference sheet) is as long as that
    lengths += [n["inputs"]["amount"] for n in api.values()
                if n["class_type"] == "RepeatImageBatch"]
    assert template.frames == (lengths[0] - 1) // 8 * 8 + 1  # what the latent makes of it
    pipeline = PIPELINES.get(*template.pipeline)
    # the LoRAs the template loads beyond its pipeline's own files
    added = {(n["inputs"]["lora_name"], float(n["inputs"]["strength_model"]))
             for n in api.values() if n["class_type"] == "LoraLoaderModelOnly"
             and n["inputs"]["lora_name"] not in {name for _, name in pipeline.model_files}}
    assert {(lora.name, lora.strength) for lora in template.loras} == added


# the values a request sets (and what the SDK snaps: a size to its multiple, a length to 8n+1)
USER_LEVEL = frozenset({"image", "last_image", "audio", "file", "width", "height", "length",
                        "frames_number", "resize_type.width", "resize_type.height",
                        "filename_prefix"})


def _without_user_level(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_user_level(v) for k, v in value.items() if k not in USER_LEVEL}
    if isinstance(value, list):
        return [_without_user_level(v) for v in value]
    return value


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t.loras],
                         ids=[t.name for t in TEMPLATES if t.loras])
def test_a_template_adding_a_lora_is_its_pipeline_with_the_lora(
        template: OfficialTemplate) -> None:
    """No parity test of the pipeline covers the LoRA a template adds: the whole summary of
    the example's graph is the template's, user-level values aside (the LoRA placement
    included)."""
    request = GenerationRequest.model_validate(template_request(template))
    built = pipeline_features(build(request).graph.compile(), details=True)
    official = pipeline_features(template_api(template.name, variant=template.variant),
                                 details=True)
    for key in ("loras", "stage_details", "stages", "class_counts", "decode", "create_video"):
        assert _without_user_level(built[key]) == _without_user_level(official[key]), key


def test_the_lora_check_can_fail() -> None:
    """A LoRA at another strength is a different graph for the comparison above."""
    template = template_named("template_ltx2_3_style_transition")
    fields = template_request(template)
    fields["loras"] = [{"name": "ltx2.3-transition.safetensors", "strength": 0.5}]
    built = pipeline_features(build(GenerationRequest.model_validate(fields)).graph.compile(),
                              details=True)
    official = pipeline_features(template_api(template.name), details=True)
    assert _without_user_level(built["loras"]) != _without_user_level(official["loras"])


@pytest.mark.parametrize("template", LOCAL, ids=LOCAL_IDS)
def test_each_example_builds_its_pipeline_with_the_templates_settings(
        template: OfficialTemplate) -> None:
    request = GenerationRequest.model_validate(template_request(template))
    result = build(request)
    plan = result.plan
    assert (plan.model, plan.type, plan.mode) == tuple(template.pipeline)
    assert (plan.seed, plan.fps, plan.frames) == (template.seed, template.fps, template.frames)
    assert plan.camera == "none"  # no template loads a camera LoRA
    api = result.graph.compile()
    loras = {(n["inputs"]["lora_name"], n["inputs"]["strength_model"]) for n in api.values()
             if n["class_type"] == "LoraLoaderModelOnly"}
    assert {(lora.name, lora.strength) for lora in template.loras} <= loras
    assert not any("camera-control" in name for name, _ in loras)


@pytest.mark.parametrize("pipeline", PIPELINES, ids=[str(p.key) for p in PIPELINES])
def test_every_pipeline_has_an_example_that_builds(pipeline: Any) -> None:
    request = GenerationRequest.model_validate(pipeline_request(pipeline))
    assert build(request).plan.type == pipeline.type


@pytest.mark.parametrize(("name", "fragment"), [
    ("video_ltx2_canny_to_vide", "did you mean 'video_ltx2_canny_to_video'?"),
    *((name, f"no pipeline makes it yet: {why}") for name, why in NOT_YET.items()),
    ("something else", "not an official LTX-2 template (ltx2 pipelines lists them)"),
])
def test_an_unknown_template_is_named(name: str, fragment: str) -> None:
    with pytest.raises(UnknownTemplateError, match=fragment.replace("(", r"\(").replace(
            ")", r"\)").replace("?", r"\?")):
        template_named(name)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted({t.name for t in LOCAL}))
def test_build_template_example_builds_it_offline(name: str, tmp_path: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "graph.json"
    assert main(["build", "--template", name, "--example", "-o", str(out), "-q"]) == 0
    graph = json.loads(out.read_text())
    template = template_named(name)
    seeds = [n["inputs"].get("noise_seed", n["inputs"].get("seed")) for n in graph.values()
             if n["class_type"] in ("RandomNoise", "KSampler")]
    assert template.seed in seeds


def test_build_template_takes_flags_over_its_values(tmp_path: Any) -> None:
    out = tmp_path / "graph.json"
    assert main(["build", "--template", "video_ltx2_t2v", "--seed", "7", "--json", "-q",
                 "-o", str(out)]) == 0
    graph = json.loads(out.read_text())
    assert 7 in [n["inputs"]["noise_seed"] for n in graph.values()
                 if n["class_type"] == "RandomNoise"]


def test_an_unknown_template_flag_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--template", "video_ltx2_canny_to_vide"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("ltx2: error: --template: template 'video_ltx2_canny_to_vide': not an "
                   "official LTX-2 template; did you mean 'video_ltx2_canny_to_video'?")


def test_pipelines_lists_every_pipeline_with_its_templates(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pipelines", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    listed = {(p["model"], p["type"], p["mode"]): p for p in document["pipelines"]}
    everything = (*PIPELINES, *ltx2_5_api.PIPELINES)
    assert set(listed) == {tuple(p.key) for p in everything}
    assert [p["hosted"] for p in document["pipelines"]].count(True) == 6
    for pipeline in everything:
        entry = listed[tuple(pipeline.key)]
        assert entry["min_comfyui"] == pipeline.min_comfyui
        assert [t["name"] for t in entry["templates"]] == [
            t.name for t in templates_of(pipeline.key)]
    assert document["not_yet"] == NOT_YET
    assert main(["pipelines"]) == 0
    table = capsys.readouterr().out
    assert "template_ltx2_3_style_transition (+ LoRA)" in table
    # the templates no pipeline makes, when there are any (every one of 0.1.123 is made now)
    assert (f"official templates no pipeline makes yet ({len(NOT_YET)}):" in table) == bool(
        NOT_YET)
    assert "template_ltx2_3_ic_lora_ingredients" in table
    assert "ltx-2.5-api  t2v      pro   hosted" in table
