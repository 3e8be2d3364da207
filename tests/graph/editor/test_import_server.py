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
