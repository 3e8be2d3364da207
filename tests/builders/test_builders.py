"""Every pipeline variant, built through ``ltx2 build``, against the real node schemas."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from builders import build, build_pipeline, check_request, get_pipeline
from builders import plan as plan_module
from builders.plan import checked, snap_frames
from ltx2sdk import GenerationRequest, Graph, SchemaSet
from ltx2sdk.app.cli.main import main
from ltx2sdk.graph import assertions as A
from ltx2sdk.model_files import camera_lora
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_server, object_info_with_models, png_bytes, stage_samplers

TYPES = ("t2v", "i2v")
MODES = ("fast", "pro")
CAMERAS = ("none", "static", "dolly_in", "jib_down")
DURATIONS = (10, 15, 20)
SIZES = ((1280, 720), (1920, 1088))
MATRIX = list(itertools.product(TYPES, MODES, CAMERAS, DURATIONS, SIZES))


@pytest.fixture(scope="module")
def validating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyTestServer]:
    """A second, independent judge: the test server's ComfyUI-style prompt validation."""
    root = tmp_path_factory.mktemp("validating-server")
    (root / "server-in").mkdir()
    (root / "server-in" / "first.png").write_bytes(png_bytes())
    with catalog_server(root) as srv:
        yield srv


@pytest.fixture(scope="module")
def served_schemas(object_info: dict[str, Any]) -> SchemaSet:
    """The capture's schemas as a server with every catalog model file would list them."""
    return SchemaSet.from_object_info(object_info_with_models(object_info))


def _cli_build(tmp_path: Path, *flags: str) -> dict[str, Any]:
    out = tmp_path / "graph.json"
    assert main(["build", *flags, "--output", str(out)]) == 0
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


@pytest.mark.parametrize(("kind", "mode", "camera", "duration", "size"), MATRIX)
def test_every_variant(kind: str, mode: str, camera: str, duration: int,
                       size: tuple[int, int], tmp_path: Path, served_schemas: SchemaSet,
                       validating_server: ComfyTestServer) -> None:
    width, height = size
    flags = ["--type", kind, "--mode", mode, "--prompt", "a lighthouse in a storm",
             "--camera", camera, "--duration", str(duration), "--width", str(width),
             "--height", str(height), "--seed", "1234"]
    if kind == "i2v":
        (tmp_path / "first.png").write_bytes(png_bytes())
        flags += ["--image", str(tmp_path / "first.png")]
    api = _cli_build(tmp_path, *flags)

    # validates against the real schemas: link types, required inputs, ranges, options
    g = Graph.from_api(api, served_schemas, strict=True)
    g.validate()
    verdict = requests.post(f"{validating_server.url}/validate_prompt", json={"prompt": api},
                            timeout=10).json()
    assert verdict["valid"] and verdict["node_errors"] == {}, verdict

    # the whole duration at the templates' frame rate (24 fps for t2v, 25 for i2v) plus the
    # first frame, as the nearest 8n+1 count LTX-2 needs
    fps = 25 if kind == "i2v" else 24
    video_latent = A.one(g, "EmptyLTXVLatentVideo")
    audio_latent = A.one(g, "LTXVEmptyLatentAudio")
    assert video_latent.inputs["length"] == snap_frames(duration * fps + 1)
    assert audio_latent.inputs["frames_number"] == snap_frames(duration * fps + 1)

    out_w, out_h = video_latent.inputs["width"] * 2, video_latent.inputs["height"] * 2
    assert out_w % 64 == 0 and out_h % 64 == 0
    assert abs(out_w - width) <= 32 and abs(out_h - height) <= 32

    fps_values = {audio_latent.inputs["frame_rate"], A.one(g, "CreateVideo").inputs["fps"],
                  A.one(g, "LTXVConditioning").inputs["frame_rate"]}
    assert fps_values == {fps}

    stage1, stage2 = stage_samplers(g)
    noise = A.upstream_node(stage1, "noise")
    assert noise.inputs["noise_seed"] == 1234
    save = A.one(g, "SaveVideo")
    A.assert_path(stage2, save)

    lora_file = camera_lora(camera)
    camera_nodes = [n for n in A.find(g, "LoraLoaderModelOnly")
                    if n.inputs["lora_name"] == lora_file]
    if lora_file is None:
        assert all("camera-control" not in n.inputs["lora_name"]
                   for n in A.find(g, "LoraLoaderModelOnly"))
    else:
        assert camera_nodes
        for stage in (stage1, stage2):
            guider_model = A.upstream_node(A.upstream_node(stage, "guider"), "model")
            assert any(c is guider_model or A.has_path(c, guider_model) for c in camera_nodes)

    if kind == "i2v":
        injections = A.assert_count(g, "LTXVImgToVideoInplace", 2)
        load = A.one(g, "LoadImage")
        assert load.inputs["image"] == "first.png"
        before = [n for n in injections if A.has_path(n, stage1)]
        after = [n for n in injections if A.has_path(stage1, n) and A.has_path(n, stage2)]
        assert len(before) == 1 and len(after) == 1
        for node in injections:
            A.assert_path(load, node)
    else:
        A.assert_count(g, "LTXVImgToVideoInplace", 0)
        A.assert_count(g, "LoadImage", 0)


@pytest.mark.parametrize(("kind", "mode"), list(itertools.product(TYPES, MODES)))
def test_distilled_lora_only_on_the_pro_refine_stage(kind: str, mode: str) -> None:
    g = build(GenerationRequest(prompt="x", type=kind, mode=mode, camera_lora="none",
                                image="a.png" if kind == "i2v" else None)).graph
    stage1, stage2 = stage_samplers(g)
    loras = [n for n in A.find(g, "LoraLoaderModelOnly")
             if "distilled-lora" in n.inputs["lora_name"]]
    model = {s: A.upstream_node(A.upstream_node(s, "guider"), "model") for s in (stage1, stage2)}
    if mode == "fast":
        assert loras == []
        assert model[stage1] is model[stage2] is A.one(g, "CheckpointLoaderSimple")
    else:
        assert len(loras) == 1
        assert model[stage2] is loras[0]
        assert model[stage1] is A.one(g, "CheckpointLoaderSimple")


def test_fast_mode_encodes_only_the_prompt() -> None:
    g = build(GenerationRequest(prompt="only this", negative_prompt="ignored", mode="fast")).graph
    encoders = A.find(g, "CLIPTextEncode")
    assert [n.inputs["text"] for n in encoders] == ["only this"]


def test_pro_mode_uses_the_default_negative_prompt() -> None:
    g = build(GenerationRequest(prompt="p", mode="pro")).graph
    texts = sorted(n.inputs["text"] for n in A.find(g, "CLIPTextEncode"))
    assert texts[0].startswith("blurry, low quality")


def test_the_produced_size_and_length_are_reported() -> None:
    result = build(GenerationRequest(prompt="p", width=1000, height=700, fps=25, duration=3))
    plan = result.plan
    assert (plan.width, plan.height) == (1024, 704)
    assert plan.frames == 73 and plan.duration == pytest.approx(2.88)
    assert any("1000x700 -> 1024x704" in note for note in plan.adjustments)
    assert any("frames 76 -> 73" in note for note in plan.adjustments)


def test_seed_is_random_when_absent_and_always_reported() -> None:
    seeds = {build(GenerationRequest(prompt="p")).plan.seed for _ in range(5)}
    assert len(seeds) > 1
    result = build(GenerationRequest(prompt="p"))
    stage1, _ = stage_samplers(result.graph)
    assert A.upstream_node(stage1, "noise").inputs["noise_seed"] == result.plan.seed


def test_frames_instead_of_duration() -> None:
    plan = build(GenerationRequest(prompt="p", frames=97)).plan
    assert plan.frames == 97 and plan.adjustments == ("size 1280x720 -> 1280x704 (two-stage "
                                                      "LTX-2 needs multiples of 64)",)


def test_model_overrides_reach_every_loader() -> None:
    g = build(GenerationRequest(prompt="p", mode="pro", models={
        "checkpoint": "ltx-2-19b-dev.safetensors",
        "text_encoder": "gemma_3_12B_it_fp8_scaled.safetensors"})).graph
    names = A.literal_values(g, "ckpt_name")
    assert names == {"ltx-2-19b-dev.safetensors"}
    assert A.one(g, "LTXAVTextEncoderLoader").inputs["text_encoder"] == (
        "gemma_3_12B_it_fp8_scaled.safetensors")


@pytest.mark.parametrize("kind", TYPES)
def test_prompt_enhancement_feeds_the_prompt_encoder(kind: str, served_schemas: SchemaSet,
                                                     validating_server: ComfyTestServer) -> None:
    result = build(GenerationRequest(prompt="a fox", type=kind, mode="pro", seed=77,
                                     enhance_prompt=True,
                                     image="first.png" if kind == "i2v" else None))
    g = result.graph
    enhancer = A.one(g, "TextGenerateLTX2Prompt")
    prompt = A.one(g, "CLIPTextEncode", title="Prompt")
    assert A.upstream_node(prompt, "text") is enhancer
    assert enhancer.inputs["prompt"] == "a fox" and enhancer.inputs["sampling_mode.seed"] == 77
    negative = A.one(g, "CLIPTextEncode", title="Negative prompt")
    assert negative.inputs["text"].startswith("blurry")  # the negative is not rewritten
    if kind == "i2v":
        assert A.upstream_node(enhancer, "image") is A.one(g, "LTXVPreprocess")
    else:
        assert "image" not in enhancer.inputs
    api = result.compile()
    Graph.from_api(api, served_schemas, strict=True)
    verdict = requests.post(f"{validating_server.url}/validate_prompt", json={"prompt": api},
                            timeout=10).json()
    assert verdict["valid"], verdict


def test_no_prompt_enhancement_by_default() -> None:
    A.assert_count(build(GenerationRequest(prompt="p")).graph, "TextGenerateLTX2Prompt", 0)


# --- a request checked once ----------------------------------------------------------------

def test_a_checked_request_is_built_without_checking_it_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    request = GenerationRequest(prompt="a fox", seed=3)
    ok = check_request(request)
    assert (ok.request, ok.pipeline) == (request, get_pipeline("ltx-2", "t2v", "fast"))
    calls: list[Any] = []
    real = plan_module.check_length
    monkeypatch.setattr(plan_module, "check_length", lambda *a: calls.append(a) or real(*a))
    built = build(ok)
    assert calls == []  # taken as it is
    assert built.graph.compile() == build(request).graph.compile()
    assert len(calls) == 1  # a bare request is checked by build itself


def test_a_checked_request_for_another_pipeline_is_checked_for_it() -> None:
    ok = check_request(GenerationRequest(prompt="a fox", duration=20))
    pro = get_pipeline("ltx-2", "t2v", "pro")
    with pytest.raises(ValueError, match="cannot run pipeline"):
        build_pipeline(pro, ok)
    assert checked(ok) is ok and checked(ok, ok.pipeline) is ok
