"""``ltx2 build --format ui``: the request's pipeline as a workflow for ComfyUI's editor, the
same graph as ``--format api`` writes, laid out and grouped by stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.cli.main import main
from ltx2sdk.graph.compare import assert_same_api
from ltx2sdk.graph.editor.widgets import widget_values_to_inputs
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS

pytestmark = pytest.mark.usefixtures("no_user_settings")

FLAGS = ["--prompt", "a lighthouse in a storm", "--mode", "pro", "--seed", "1234",
         "--duration", "5"]


def prompt_of(workflow: dict[str, Any]) -> dict[str, Any]:
    """The API prompt a flat editor workflow means (widget values by the SDK's schemas)."""
    links = {link[0]: link for link in workflow["links"]}
    api: dict[str, Any] = {}
    for node in workflow["nodes"]:
        inputs = widget_values_to_inputs(LTX2_SCHEMAS[node["type"]], node["widgets_values"])
        for slot in node["inputs"]:
            if slot["link"] is not None:
                link = links[slot["link"]]
                inputs[slot["name"]] = [str(link[1]), link[2]]
        api[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    return api


def test_format_ui_writes_the_api_graph_as_an_editor_workflow(tmp_path: Path) -> None:
    assert main(["build", *FLAGS, "--format", "ui", "-o", str(tmp_path / "ui.json")]) == 0
    assert main(["build", *FLAGS, "-o", str(tmp_path / "api.json")]) == 0  # api: the default
    workflow = json.loads((tmp_path / "ui.json").read_text(encoding="utf-8"))
    api = json.loads((tmp_path / "api.json").read_text(encoding="utf-8"))
    assert workflow["version"] == 0.4 and "class_type" not in workflow.get("1", {})
    assert [g["title"] for g in workflow["groups"]] == [
        "Loaders", "Prompt", "Size and length", "Stage 1", "Upscale", "Stage 2",
        "Decode and save"]
    assert_same_api(prompt_of(workflow), api)
    titles = {node["title"] for node in workflow["nodes"]}
    assert titles == {entry["_meta"]["title"] for entry in api.values()}


def test_format_ui_is_the_same_bytes_each_time(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        assert main(["build", *FLAGS, "--format", "ui", "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_build_json_carries_the_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--example", "--json", "--format", "ui"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    document = json.loads(lines[0])
    assert document["format"] == "ui" and "graph" not in document
    assert document["workflow"]["version"] == 0.4
    assert {n["type"] for n in document["workflow"]["nodes"]} >= {"SaveVideo"}


def test_the_help_names_the_editor_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "ui: a workflow for ComfyUI's editor" in " ".join(capsys.readouterr().out.split())
