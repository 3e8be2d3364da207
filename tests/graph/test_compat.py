"""Builders build for the server they run on: every captured ComfyUI release, 0.8.0 to 0.38.1.

For each release, every variant of the build matrix is written the way that release declares
its nodes (no input it lacks, every input it requires, dynamic-combo keys as it names them),
passes that release's own validation rules, and computes the same thing as on any other.
"""

from __future__ import annotations

import functools
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from builders import build
from ltx2sdk import GenerationRequest, Graph
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import IncompatibleServerError
from ltx2sdk.graph.compat import adapt_inputs
from ltx2sdk.graph.nodes import Nodes
from ltx2sdk.graph.prompt_check import check_prompt
from ltx2sdk.graph.releases import (
    TESTED_RANGE,
    bundled_schemas,
    bundled_versions,
    first_release_with,
    parse_version,
    range_status,
    restrict,
)
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.graph.validation import expected_inputs
from tests.comfyserver.versions import available_versions, load_version_object_info
from tests.helpers import png_bytes

VERSIONS = available_versions()
MATRIX = list(itertools.product(("t2v", "i2v"), ("fast", "pro"), ("none", "static", "dolly_in"),
                                (5, 20), ((1280, 720), (768, 1024))))
# inputs a release may lack, and which the pipelines only set to their neutral value
ADAPTED = {("CreateVideo", "bit_depth"), ("LTXAVTextEncoderLoader", "device")}
# inputs a release nests inside a dynamic combo: (class, its key there) -> the SDK's name
MOVED = {("SaveVideo", "format.codec"): "codec"}


@functools.cache
def _server(version: str) -> SchemaSet:  # read-only, shared by the tests of a module run
    return SchemaSet.from_object_info(load_version_object_info(version), comfyui_version=version)


def _request(kind: str, mode: str, camera: str = "static", duration: int = 5,
             size: tuple[int, int] = (1280, 720), **extra: Any) -> GenerationRequest:
    return GenerationRequest(prompt="a lighthouse in a storm", type=kind, mode=mode,
                             camera_lora=camera, duration=duration, width=size[0],
                             height=size[1], seed=1234,
                             image="corpus.png" if kind == "i2v" else None, **extra)


def _undeclared(api: dict[str, Any], schemas: SchemaSet) -> list[str]:
    """Inputs of ``api`` that the release does not declare (given the values chosen)."""
    extra = []
    for node_id, node in api.items():
        declared = expected_inputs(schemas[node["class_type"]], node["inputs"],
                                   absent_choice="vanish")
        extra += [f"{node_id}.{name}" for name in node["inputs"] if name not in declared]
    return extra


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"comfyui-{v}")
def test_every_variant_is_written_the_way_the_release_declares_it(version: str) -> None:
    schemas = _server(version)
    for kind, mode, camera, duration, size in MATRIX:
        api = build(_request(kind, mode, camera, duration, size), schemas=schemas).compile()
        assert _undeclared(api, schemas) == [], (kind, mode, camera)
        verdict = check_prompt(api, schemas, file_exists=lambda kind, name: name == "corpus.png")
        assert verdict.ok and verdict.undecided == (), (kind, mode, camera, verdict)


def test_the_undeclared_input_detector_can_fail() -> None:
    api = build(_request("t2v", "fast")).compile()  # the SDK's own (0.26-like) declarations
    expected = [f"{node_id}.{name}" for node_id, node in api.items() for name in node["inputs"]
                if (node["class_type"], name) in ADAPTED]
    assert len(expected) == len(ADAPTED)  # each input 0.8.0 lacks is in the build once
    assert _undeclared(api, _server("0.8.0")) == expected


def _computation(api: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each node's class and literal inputs, except those a release may not have, under the
    SDK's names; links by position, so that two builds compare node by node."""
    return [(node["class_type"], _under_sdk_names(node["class_type"], node["inputs"]))
            for node in api.values()]


def _under_sdk_names(class_type: str, inputs: dict[str, Any]) -> dict[str, Any]:
    named = {}
    for name, value in inputs.items():
        if (class_type, name) in ADAPTED:
            continue
        sdk_name = MOVED.get((class_type, name), name)
        # sent under both names: keep both, so the comparison sees the extra input
        named[name if sdk_name in inputs else sdk_name] = value
    return named


@pytest.mark.parametrize(("kind", "mode"), [("t2v", "fast"), ("t2v", "pro"), ("i2v", "fast"),
                                            ("i2v", "pro")])
def test_the_same_request_computes_the_same_on_every_release(kind: str, mode: str) -> None:
    reference = _computation(build(_request(kind, mode)).compile())
    for version in VERSIONS:
        built = _computation(build(_request(kind, mode), schemas=_server(version)).compile())
        assert built == reference, version


def test_release_differences_show_where_expected() -> None:
    def node(version: str, class_type: str) -> dict[str, Any]:
        api = build(_request("t2v", "fast"), schemas=_server(version)).compile()
        return next(n["inputs"] for n in api.values() if n["class_type"] == class_type)

    assert "bit_depth" not in node("0.8.0", "CreateVideo")
    assert node("0.33.0", "CreateVideo")["bit_depth"] == 8
    assert "device" not in node("0.8.0", "LTXAVTextEncoderLoader")
    assert node("0.33.0", "SaveVideo")["codec"] == "auto"  # a dynamic combo's key there
    assert node("0.38.1", "CreateVideo")["bit_depth"] == 8  # one of "auto", 8, 10 there
    save = node("0.38.1", "SaveVideo")  # codec nested under format; the hidden one unused
    assert (save["format"], save["format.codec"]) == ("auto", "auto") and "codec" not in save


def test_a_codec_is_sent_where_the_release_reads_it() -> None:
    # 0.38's SaveVideo reads format.codec first and its hidden top-level codec only without
    # one (Comfy-Org/ComfyUI 39b885f, comfy_extras/nodes_video.py): h264 goes in format.codec
    found = {}
    for version in VERSIONS:
        schemas = _server(version)
        g = Graph(schemas)
        n = Nodes(g)
        n.SaveVideo(n.CreateVideo(n.EmptyImage(64, 64), 24), codec="h264")
        api = g.compile()
        assert check_prompt(api, schemas).ok, version
        save = api["3"]["inputs"]
        found[version] = {k: v for k, v in save.items() if k.rsplit(".", 1)[-1] == "codec"}
    assert found["0.33.0"] == {"codec": "h264"}
    assert found["0.38.1"] == {"format.codec": "h264"}


def test_an_input_a_release_adds_gets_the_value_that_computes_as_before() -> None:
    # "scale total pixels" rounds each side to a multiple of `multiple` from 0.38 on; 1 is
    # what older releases compute (see compat.NEUTRAL_ADDED_INPUTS)
    carried = {}
    for version in VERSIONS:
        schemas = _server(version)
        g = Graph(schemas)
        n = Nodes(g)
        image = n.EmptyImage(64, 48)
        resized = [n.ResizeImageMaskNode(image, "scale total pixels", megapixels=0.5)]
        if version != "0.8.0":  # the option came with 0.16.4; its own multiple is kept
            resized += [n.ResizeImageMaskNode(image, "scale to multiple"),
                        n.ResizeImageMaskNode(image, "scale to multiple", multiple=32)]
        for output in resized:
            n.PreviewAny(output)
        api = g.compile()
        total, *to_multiple = (api[output.node.id]["inputs"] for output in resized)
        carried[version] = total.get("resize_type.multiple")
        assert [inputs["resize_type.multiple"] for inputs in to_multiple] == (
            [8, 32] if version != "0.8.0" else [])
        assert _undeclared(api, schemas) == [], version
        assert check_prompt(api, schemas).ok, version
    assert carried["0.38.1"] == 1
    assert {v for v in VERSIONS if carried[v] is not None} == {"0.38.1"}


def test_the_neutral_value_does_not_depend_on_the_releases_default() -> None:
    info = load_version_object_info("0.38.1")
    options = info["ResizeImageMaskNode"]["input"]["required"]["resize_type"][1]["options"]
    total = next(o for o in options if o["key"] == "scale total pixels")
    total["inputs"]["required"]["multiple"][1]["default"] = 8  # a default that would round
    schemas = SchemaSet.from_object_info(info, comfyui_version="0.40.0")
    g = Graph(schemas)
    n = Nodes(g)
    n.PreviewAny(n.ResizeImageMaskNode(n.EmptyImage(64, 48), "scale total pixels"))
    assert g.compile()["2"]["inputs"]["resize_type.multiple"] == 1


def test_prompt_enhancement_on_a_release_without_the_node_names_the_release() -> None:
    request = _request("t2v", "fast", enhance_prompt=True)
    with pytest.raises(IncompatibleServerError) as caught:
        build(request, schemas=_server("0.8.0"))
    message = str(caught.value)
    assert "\n" not in message
    assert "prompt enhancement needs the node TextGenerateLTX2Prompt" in message
    assert "ComfyUI >= 0.16.4" in message and "ComfyUI 0.8.0 does not have it" in message
    built = build(request, schemas=_server("0.16.4")).compile()
    assert any(n["class_type"] == "TextGenerateLTX2Prompt" for n in built.values())


# --- a release newer than the captures -------------------------------------------------------

def _future_release() -> SchemaSet:
    """0.33.0 with SaveVideo's codec nested once more under a dynamic ``format``, as ComfyUI
    builds after 0.33.0 have it, and CreateVideo's fps gone."""
    info = load_version_object_info("0.33.0")
    save = info["SaveVideo"]["input"]["required"]
    codec = save.pop("codec")
    save["format"] = ["COMFY_DYNAMICCOMBO_V3", {"options": [
        {"key": "auto", "inputs": {"required": {"codec": codec}}},
        {"key": "mp4", "inputs": {"required": {"codec": codec}}}]}]
    return SchemaSet.from_object_info(info, comfyui_version="0.40.0")


def test_an_input_moved_into_a_dynamic_combo_is_sent_under_the_servers_key() -> None:
    schemas = _future_release()
    api = build(_request("t2v", "fast"), schemas=schemas).compile()
    save = next(n["inputs"] for n in api.values() if n["class_type"] == "SaveVideo")
    assert save["format"] == "auto" and save["format.codec"] == "auto" and "codec" not in save
    assert check_prompt(api, schemas).ok


def test_a_needed_input_the_server_lacks_is_an_error_naming_node_input_and_release() -> None:
    info = load_version_object_info("0.33.0")
    del info["CreateVideo"]["input"]["required"]["fps"]
    schemas = SchemaSet.from_object_info(info, comfyui_version="0.40.0")
    with pytest.raises(IncompatibleServerError, match=r"CreateVideo has no input 'fps' on "
                                                      r"ComfyUI 0\.40\.0"):
        build(_request("t2v", "fast"), schemas=schemas)


def test_an_input_at_its_neutral_value_is_left_out_and_any_other_value_refused() -> None:
    old = _server("0.8.0")
    assert adapt_inputs(old, "CreateVideo", {"fps": 24.0, "bit_depth": 8}) == {"fps": 24.0}
    with pytest.raises(IncompatibleServerError, match="bit_depth"):
        adapt_inputs(old, "CreateVideo", {"fps": 24.0, "bit_depth": 10})


# --- the bundled releases and the CLI -------------------------------------------------------

def test_bundled_releases_are_the_captures_restricted_to_the_sdk_nodes() -> None:
    assert list(bundled_versions()) == VERSIONS
    for version in VERSIONS:
        bundled = json.loads((Path(__file__).parents[2] / "ltx2sdk" / "graph" / "comfyui_releases" /
                              f"{version}.json").read_text())
        assert bundled == restrict(load_version_object_info(version)), version


def test_release_arithmetic() -> None:
    assert first_release_with("TextGenerateLTX2Prompt") == "0.16.4"
    assert first_release_with("CheckpointLoaderSimple") == "0.8.0"
    # LTX-2.3's union control: the cut by time, then the MoGe and IC-LoRA parameter nodes
    assert first_release_with("Video Slice") == "0.16.4"
    for node in ("GetICLoRAParameters", "LoadMoGeModel", "MoGeInference", "MoGeRender"):
        assert first_release_with(node) == "0.22.0", node
    assert parse_version("v0.33.0-rc1") == (0, 33, 0) and parse_version("main") is None
    assert range_status("0.26.0").startswith("inside the tested range")
    assert range_status("0.41.2").startswith("newer than the tested range")
    assert range_status("0.7.0").startswith("older than the tested range")
    assert (VERSIONS[0], VERSIONS[-1]) == TESTED_RANGE


@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"comfyui-{v}")
def test_ltx2_build_for_an_object_info_file(version: str, tmp_path: Path) -> None:
    info_file = tmp_path / "object_info.json"
    info_file.write_text(json.dumps(load_version_object_info(version)))
    image = tmp_path / "corpus.png"
    image.write_bytes(png_bytes())
    out = tmp_path / "graph.json"
    assert main(["build", "--example", "--type", "i2v", "--image", str(image),
                 "--object-info", str(info_file), "--output", str(out)]) == 0
    api = json.loads(out.read_text())
    assert _undeclared(api, _server(version)) == []
    assert check_prompt(api, _server(version),
                        file_exists=lambda kind, name: name == "corpus.png").ok
    Graph.from_api(api, _server(version), strict=True).validate()


def test_ltx2_build_for_a_bundled_release(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "graph.json"
    assert main(["build", "--example", "--comfyui-version", "0.8.0", "--output", str(out)]) == 0
    api = json.loads(out.read_text())
    assert _undeclared(api, _server("0.8.0")) == []
    assert bundled_schemas("0.8.0").comfyui_version == "0.8.0"
    capsys.readouterr()
    assert main(["build", "--example", "--comfyui-version", "0.8.0", "--enhance-prompt"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "TextGenerateLTX2Prompt" in lines[0] and "0.16.4" in lines[0]
    # a release that is not bundled: the nearest bundled one below it, said; none below: error
    assert main(["build", "--example", "--comfyui-version", "0.9.9", "--output", str(out),
                 "--overwrite"]) == 0
    assert "building for 0.8.0, the nearest bundled release below it" in capsys.readouterr().err
    assert main(["build", "--example", "--comfyui-version", "0.7.9"]) == 2
    assert "bundled: 0.8.0" in capsys.readouterr().err
