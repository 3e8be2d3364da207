"""Editor workflows where a server takes a workflow: ``ComfyClient.check`` and ``ltx2 check
--workflow F``, against the stand-in ComfyUI on 127.0.0.1, with an official template."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from builders import build
from ltx2sdk.app.cli.main import main
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.request import GenerationRequest
from ltx2sdk.wording import byte_size
from tests.comfyserver import ComfyTestServer


def template_text(name: str) -> str:
    return resources.files("comfyui_workflow_templates_json").joinpath(
        "templates", f"{name}.json").read_text(encoding="utf-8")


def template(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(template_text(name))
    return data


def test_the_client_checks_an_editor_workflow_as_the_editor_would_queue_it(
        comfy_server: ComfyTestServer) -> None:
    verdict = ComfyClient(comfy_server.url).check(template("video_ltx2_i2v"))
    # what the server really lacks, never a pile of "has no class_type"
    assert not any("class_type" in problem for problem in verdict.other)
    assert verdict.missing_models == [("text_encoders", "gemma_3_12B_it_fp4_mixed.safetensors")]
    assert verdict.other == ["node 98 (LoadImage) input 'image': image file "
                             "'freckled_curly_girl.png' is not in ComfyUI's input folder "
                             "(upload it first)"]


def test_an_editor_workflow_the_server_cannot_read_is_refused_saying_so(
        comfy_server: ComfyTestServer) -> None:
    workflow = template("video_ltx2_t2v")
    workflow["nodes"][0]["type"] = "NoSuchNodeAnywhere"
    verdict = ComfyClient(comfy_server.url).check(workflow)
    assert not verdict.ok
    [problem] = verdict.other
    assert problem.startswith("this is an editor workflow (ComfyUI's \"Save\", not \"Export "
                              "(API)\"), read with ComfyUI 0.26.0's node schemas: ")
    assert "unknown node type 'NoSuchNodeAnywhere'" in problem


def test_ltx2_check_workflow_lists_what_the_server_lacks(
        comfy_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t2v.json"
    path.write_text(template_text("video_ltx2_t2v"), encoding="utf-8")
    assert main(["check", "--server", comfy_server.url, "--workflow", str(path)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1:] == [
        "  missing model file: models/text_encoders/gemma_3_12B_it_fp4_mixed.safetensors",
        f"{path} (editor workflow): not ready, 1 problem"]
    assert main(["check", "--server", comfy_server.url, "--workflow", str(path), "--json",
                 "-q"]) == 1
    document = json.loads(capsys.readouterr().out.splitlines()[0])
    assert document["format"] == "editor" and document["ready"] is False
    assert document["missing_models"] == [
        {"folder": "text_encoders", "name": "gemma_3_12B_it_fp4_mixed.safetensors"}]


def test_ltx2_check_workflow_of_a_runnable_api_prompt(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "api.json"
    path.write_text(build(GenerationRequest(prompt="a cat")).graph.to_json())
    assert main(["check", "--server", ltx_server.url, "--workflow", str(path)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        f"{path} (API prompt): ready to run")


@pytest.mark.parametrize(("content", "says"), [
    ("not json", "is not JSON"),
    ("[1, 2]", "is not a workflow (an editor workflow or an API prompt: a JSON object)"),
])
def test_ltx2_check_refuses_a_file_that_is_no_workflow_before_asking_the_server(
        tmp_path: Path, content: str, says: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "w.json"
    path.write_text(content)
    # no server runs at this address: the file is refused first
    assert main(["check", "--server", "http://127.0.0.1:9", "--workflow", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ltx2: error: --workflow: {path} {says}")
    assert len(err.splitlines()) == 1


def model_free_workflow() -> dict[str, Any]:
    """An editor workflow the stand-in runs: EmptyImage -> Reroute -> (bypassed) ImageInvert
    -> CreateVideo -> SaveVideo, and a note."""
    def node(node_id: int, kind: str, widgets: list[Any], inputs: list[str],
             outputs: list[str], mode: int = 0) -> dict[str, Any]:
        return {"id": node_id, "type": kind, "mode": mode, "widgets_values": widgets,
                "inputs": [{"name": name, "type": kind, "link": None} for name, kind in
                           (i.split(":") for i in inputs)],
                "outputs": [{"name": o, "type": o, "links": []} for o in outputs]}

    nodes = [node(1, "EmptyImage", [64, 48, 9, 0], [], ["IMAGE"]),
             node(2, "Reroute", [], [":*"], ["IMAGE"]),
             node(3, "ImageInvert", [], ["image:IMAGE"], ["IMAGE"], mode=4),  # bypassed
             node(4, "CreateVideo", [24], ["images:IMAGE"], ["VIDEO"]),
             node(5, "SaveVideo", ["video/editor", "auto", "auto"], ["video:VIDEO"], []),
             node(6, "MarkdownNote", ["# read me"], [], [])]
    links = [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"], [3, 3, 0, 4, 0, "IMAGE"],
             [4, 4, 0, 5, 0, "VIDEO"]]
    for link_id, _, _, target, slot, _ in links:
        nodes[target - 1]["inputs"][slot]["link"] = link_id
    return {"last_node_id": 6, "last_link_id": 4, "nodes": nodes, "links": links,
            "groups": [], "config": {}, "extra": {}, "version": 0.4}


def test_the_client_queues_an_editor_workflow_as_the_editor_would(
        comfy_server: ComfyTestServer, tmp_path: Path) -> None:
    result = ComfyClient(comfy_server.url).run(model_free_workflow(), output_dir=tmp_path,
                                               timeout=20)
    [video] = result.outputs
    assert result.files[video].read_bytes()[4:8] == b"ftyp"
    queued = comfy_server.received.prompts[-1]["prompt"]
    assert {k: (v["class_type"], v["inputs"]) for k, v in queued.items()} == {
        "1": ("EmptyImage", {"width": 64, "height": 48, "batch_size": 9, "color": 0}),
        "4": ("CreateVideo", {"images": ["1", 0], "fps": 24, "bit_depth": 8}),  # its default
        "5": ("SaveVideo", {"video": ["4", 0], "filename_prefix": "video/editor",
                            "format": "auto", "codec": "auto"})}


def test_ltx2_run_queues_an_editor_workflow_and_downloads_its_video(
        comfy_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "editor.json"
    path.write_text(json.dumps(model_free_workflow()))
    out = tmp_path / "out"
    assert main(["run", str(path), "--server", comfy_server.url, "-o", str(out)]) == 0
    [line] = capsys.readouterr().out.strip().splitlines()
    [video] = out.iterdir()
    assert line == f"{video}  ({byte_size(video.stat().st_size)})"
    assert video.read_bytes()[4:8] == b"ftyp"
    # the graph queued is the editor's Export (API), renumbered in dependency order
    queued = comfy_server.received.prompts[-1]["prompt"]
    assert [v["class_type"] for v in queued.values()] == ["EmptyImage", "CreateVideo",
                                                           "SaveVideo"]


def test_ltx2_run_an_api_prompt_with_json(ltx_server: ComfyTestServer, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "api.json"
    path.write_text(build(GenerationRequest(prompt="a cat", seed=5)).graph.to_json())
    assert main(["run", str(path), "--server", ltx_server.url, "-o", str(tmp_path / "o"),
                 "--json", "-q"]) == 0
    document = json.loads(capsys.readouterr().out.splitlines()[0])
    [output] = document["outputs"]
    assert output["path"].endswith(".mp4") and output["bytes"] > 1000
    assert document["prompt_id"] == ltx_server.received.prompts[-1]["prompt_id"]


def test_ltx2_run_refuses_a_workflow_the_server_cannot_read(
        comfy_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    workflow = model_free_workflow()
    workflow["nodes"][3]["type"] = "CreateVideoo"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(workflow))
    assert main(["run", str(path), "--server", comfy_server.url, "-o", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (f"ltx2: error: {path}: node 4 (CreateVideoo): unknown node type "
                   "'CreateVideoo' (did you mean CreateVideo?): ComfyUI 0.26.0 does not "
                   "have it (a custom node?): read it with the schemas of a server that has it")
    assert comfy_server.received.prompts == []


def test_the_v2_backend_submits_an_editor_workflow_as_the_editor_would_queue_it() -> None:
    """The Comfy API v2 publishes no node schemas: the bundled ones read the workflow
    (nothing is asked of the server: no server listens here)."""
    pytest.importorskip("comfy_low")
    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    backend = V2Backend("http://127.0.0.1:9")
    try:
        submitted = backend.workflow(model_free_workflow())
    finally:
        backend.close()
    assert {k: v["class_type"] for k, v in submitted.items()} == {
        "1": "EmptyImage", "4": "CreateVideo", "5": "SaveVideo"}
    assert submitted["4"]["inputs"]["images"] == ["1", 0]


def test_ltx2_check_workflow_reads_kling_omni_storyboards_against_0_38_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the stand-in serves 0.38.1's captured (key-sorted) /object_info: the storyboards'
    # widgets are read in the node's order (prompt, then duration), not the dump's
    from tests.comfyserver.versions import load_version_object_info
    path = tmp_path / "storyboards.json"
    path.write_text(template_text("template_sirolim_image_script_video"), encoding="utf-8")
    unknown_order = tmp_path / "topaz.json"
    unknown_order.write_text(template_text("utility_topaz_illustration_upscale"),
                             encoding="utf-8")
    with ComfyTestServer(comfyui_version="0.38.1",
                         object_info=load_version_object_info("0.38.1")) as server:
        assert main(["check", "--server", server.url, "--workflow", str(path)]) == 1
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines[1:] == [
            "  node 16 (LoadImage) input 'image': image file 'input_storyboard_video.jpg' is "
            "not in ComfyUI's input folder (upload it first)",
            f"{path} (editor workflow): not ready, 1 problem"]
        # an order neither the dump nor the SDK knows: said so, on one line, not misread
        assert main(["check", "--server", server.url, "--workflow", str(unknown_order)]) == 1
        [problem] = capsys.readouterr().out.strip().splitlines()[1:-1]
    assert problem.startswith("  this is an editor workflow (ComfyUI's \"Save\", not \"Export "
                              "(API)\"), read with ComfyUI 0.38.1's node schemas: node 1 "
                              "(TopazImageEnhanceV2): the order of the widgets of "
                              "TopazImageEnhanceV2's 'model' = 'Reimagine' is unknown for "
                              "these schemas")
