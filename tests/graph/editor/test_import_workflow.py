"""Editor workflows in (``ltx2sdk.graph.editor.ui_import``, ``Graph.from_ui``): hand-made
workflows that each exercise one rule of the editor's "Export (API)", and the official
templates (``comfyui-workflow-templates-json``) as real ones."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from ltx2sdk import Graph
from ltx2sdk.errors import EditorWorkflowError, GraphError, UnknownNodeTypeError
from ltx2sdk.graph.editor.ui_import import (
    as_api_prompt,
    import_workflow,
    is_editor_workflow,
    workflow_to_api,
)
from ltx2sdk.graph.prompt_check import check_prompt
from ltx2sdk.graph.releases import bundled_schemas
from ltx2sdk.graph.schema import SchemaSet, parse_node_info

SCHEMAS = bundled_schemas("0.38.1")


def load_template(name: str) -> dict[str, Any]:
    text = resources.files("comfyui_workflow_templates_json").joinpath(
        "templates", f"{name}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class Editor:
    """A workflow made the way the editor saves one (version 0.4: links as lists)."""

    def __init__(self) -> None:
        self.nodes: dict[int, dict[str, Any]] = {}
        self.links: list[list[Any]] = []

    def node(self, node_id: int, kind: str, widgets: list[Any] | None = None, *,
             inputs: tuple[tuple[str, str], ...] = (), outputs: tuple[str, ...] = (),
             mode: int = 0, title: str | None = None) -> dict[str, Any]:
        node: dict[str, Any] = {
            "id": node_id, "type": kind, "pos": [0, 0], "size": [200, 100], "mode": mode,
            "inputs": [{"name": n, "type": t, "link": None} for n, t in inputs],
            "outputs": [{"name": t, "type": t, "links": []} for t in outputs],
            "widgets_values": widgets or [], "properties": {}}
        if title:
            node["title"] = title
        self.nodes[node_id] = node
        return node

    def link(self, origin: int, slot: int, target: int, target_slot: int) -> int:
        link_id = len(self.links) + 1
        kind = self.nodes[origin]["outputs"][slot]["type"] if origin in self.nodes else "*"
        self.links.append([link_id, origin, slot, target, target_slot, kind])
        if target in self.nodes:
            self.nodes[target]["inputs"][target_slot]["link"] = link_id
        if origin in self.nodes:
            self.nodes[origin]["outputs"][slot]["links"].append(link_id)
        return link_id

    def workflow(self) -> dict[str, Any]:
        return {"id": "test", "revision": 0, "last_node_id": max(self.nodes, default=0),
                "last_link_id": len(self.links), "nodes": list(self.nodes.values()),
                "links": self.links, "groups": [], "config": {}, "extra": {},
                "version": 0.4}


def image_chain() -> Editor:
    """EmptyImage -> ImageInvert -> CreateVideo -> SaveVideo, with a note."""
    ed = Editor()
    ed.node(1, "EmptyImage", [64, 48, 9, 0], outputs=("IMAGE",))
    ed.node(2, "ImageInvert", inputs=(("image", "IMAGE"),), outputs=("IMAGE",))
    ed.node(3, "CreateVideo", [24, "auto", "sRGB"], inputs=(("images", "IMAGE"),),
            outputs=("VIDEO",))
    ed.node(4, "SaveVideo", ["video/test", "auto", "auto", "auto"],
            inputs=(("video", "VIDEO"),), title="Save it")
    ed.node(5, "Note", ["a note"])
    ed.link(1, 0, 2, 0)
    ed.link(2, 0, 3, 0)
    ed.link(3, 0, 4, 0)
    return ed


def test_widget_values_links_and_titles() -> None:
    api = workflow_to_api(image_chain().workflow(), SCHEMAS)
    assert api == {
        "1": {"inputs": {"width": 64, "height": 48, "batch_size": 9, "color": 0},
              "class_type": "EmptyImage", "_meta": {"title": "Empty Image"}},
        "2": {"inputs": {"image": ["1", 0]}, "class_type": "ImageInvert",
              "_meta": {"title": "Invert Image Colors"}},
        "3": {"inputs": {"images": ["2", 0], "fps": 24, "bit_depth": "auto",
                         "color_space": "sRGB"},
              "class_type": "CreateVideo", "_meta": {"title": "Create Video"}},
        "4": {"inputs": {"video": ["3", 0], "filename_prefix": "video/test", "format": "auto",
                         "format.codec": "auto", "codec": "auto"},
              "class_type": "SaveVideo", "_meta": {"title": "Save it"}}}


def test_a_bypassed_node_passes_its_input_of_the_same_type_on() -> None:
    ed = image_chain()
    ed.nodes[2]["mode"] = 4
    api = workflow_to_api(ed.workflow(), SCHEMAS)
    assert "2" not in api
    assert api["3"]["inputs"]["images"] == ["1", 0]


def test_a_bypassed_node_with_no_input_of_that_type_passes_nothing() -> None:
    ed = image_chain()
    ed.node(6, "GetImageSize", inputs=(("image", "IMAGE"),), outputs=("INT", "INT", "INT"),
            mode=4)
    ed.nodes[4]["inputs"].append({"name": "filename_prefix", "type": "STRING",
                                  "widget": {"name": "filename_prefix"}, "link": None})
    ed.link(1, 0, 6, 0)
    ed.node(7, "ImageFromBatch", [0, 5], inputs=(("image", "IMAGE"), ("length", "INT")),
            outputs=("IMAGE",))
    ed.nodes[7]["inputs"][1]["widget"] = {"name": "length"}
    ed.link(1, 0, 7, 0)
    ed.link(6, 1, 7, 1)  # GetImageSize.height (bypassed: no INT input) -> length
    result = import_workflow(ed.workflow(), SCHEMAS)
    # the widget keeps its own value, as in the editor
    assert result.api["7"]["inputs"] == {"image": ["1", 0], "batch_index": 0, "length": 5}
    assert result.notes == ()


def test_a_muted_node_is_not_sent_and_its_consumers_lose_the_link() -> None:
    ed = image_chain()
    ed.nodes[2]["mode"] = 2
    result = import_workflow(ed.workflow(), SCHEMAS)
    assert "2" not in result.api
    assert "images" not in result.api["3"]["inputs"]
    assert result.notes == ("3 CreateVideo: input 'images' lost its link (source removed)",)


def test_reroutes_and_frontend_primitives_are_resolved() -> None:
    ed = image_chain()
    # EmptyImage -> Reroute -> Reroute -> ImageInvert
    ed.node(10, "Reroute", inputs=(("", "*"),), outputs=("IMAGE",))
    ed.node(11, "Reroute", inputs=(("", "*"),), outputs=("IMAGE",))
    ed.links = [link for link in ed.links if link[3] != 2]
    ed.link(1, 0, 10, 0)
    ed.link(10, 0, 11, 0)
    ed.link(11, 0, 2, 0)
    # a PrimitiveNode (the editor's own) gives its value to the fps widget it feeds
    ed.node(12, "PrimitiveNode", [30, "fixed"], outputs=("FLOAT",))
    ed.nodes[3]["inputs"].append({"name": "fps", "type": "FLOAT", "widget": {"name": "fps"},
                                  "link": None})
    ed.link(12, 0, 3, 1)
    api = workflow_to_api(ed.workflow(), SCHEMAS)
    assert sorted(api) == ["1", "2", "3", "4"]
    assert api["2"]["inputs"] == {"image": ["1", 0]}
    assert api["3"]["inputs"]["fps"] == 30


def subgraph_workflow(*, proxy: list[list[str]] | None = None,
                      values: list[Any] | None = None) -> dict[str, Any]:
    """A subgraph instance 7 holding ImageScaleBy (2) fed by subgraph input 'image' and, for
    its 'scale_by' widget, subgraph input 'scale'; and a nested instance (3) of a subgraph
    that inverts its image. Top: EmptyImage 1 -> instance 7 -> PreviewAny 8."""
    inner = {
        "id": "sg-invert", "name": "invert", "nodes": [
            {"id": 1, "type": "ImageInvert", "mode": 0,
             "inputs": [{"name": "image", "type": "IMAGE", "link": 1}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}],
             "widgets_values": []}],
        "links": [{"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 1,
                   "target_slot": 0, "type": "IMAGE"},
                  {"id": 2, "origin_id": 1, "origin_slot": 0, "target_id": -20,
                   "target_slot": 0, "type": "IMAGE"}],
        "inputs": [{"name": "image", "type": "IMAGE", "linkIds": [1]}],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [2]}]}
    outer = {
        "id": "sg-scale", "name": "scale", "nodes": [
            {"id": 2, "type": "ImageScaleBy", "mode": 0, "title": "Scale inside",
             "inputs": [{"name": "image", "type": "IMAGE", "link": 1},
                        {"name": "scale_by", "type": "FLOAT", "widget": {"name": "scale_by"},
                         "link": 2}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [3]}],
             "widgets_values": ["bilinear", 1.0]},
            {"id": 3, "type": "sg-invert", "mode": 0,
             "inputs": [{"name": "image", "type": "IMAGE", "link": 3}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [4]}],
             "widgets_values": []}],
        "links": [[1, -10, 0, 2, 0, "IMAGE"], [2, -10, 1, 2, 1, "FLOAT"],
                  [3, 2, 0, 3, 0, "IMAGE"], [4, 3, 0, -20, 0, "IMAGE"]],
        "inputs": [{"name": "image", "type": "IMAGE", "linkIds": [1]},
                   {"name": "scale", "type": "FLOAT", "linkIds": [2]}],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [4]}]}
    ed = Editor()
    ed.node(1, "EmptyImage", [64, 64, 1, 0], outputs=("IMAGE",))
    instance = ed.node(7, "sg-scale", [2.5] if values is None else values,
                       inputs=(("image", "IMAGE"), ("scale", "FLOAT")), outputs=("IMAGE",))
    instance["inputs"][1]["widget"] = {"name": "scale"}
    if proxy is not None:
        instance["properties"]["proxyWidgets"] = proxy
    ed.node(8, "PreviewAny", inputs=(("source", "*"),), outputs=("STRING",))
    ed.link(1, 0, 7, 0)
    ed.link(7, 0, 8, 0)
    workflow = ed.workflow()
    workflow["definitions"] = {"subgraphs": [outer, inner]}
    return workflow


def test_subgraphs_are_expanded_with_path_ids_and_promoted_widgets() -> None:
    api = workflow_to_api(subgraph_workflow(), SCHEMAS)
    assert api == {
        "1": {"inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0},
              "class_type": "EmptyImage", "_meta": {"title": "Empty Image"}},
        "7:2": {"inputs": {"image": ["1", 0], "upscale_method": "bilinear", "scale_by": 2.5},
                "class_type": "ImageScaleBy", "_meta": {"title": "Scale inside"}},
        "7:3:1": {"inputs": {"image": ["7:2", 0]}, "class_type": "ImageInvert",
                  "_meta": {"title": "Invert Image Colors"}},
        "8": {"inputs": {"source": ["7:3:1", 0]}, "class_type": "PreviewAny",
              "_meta": {"title": "Preview as Text"}}}


def test_proxy_widgets_promote_an_inner_widget() -> None:
    # upscale_method of inner node 2 shown on the instance; scale_by through its input
    workflow = subgraph_workflow(proxy=[["2", "upscale_method"], ["2", "scale_by"]],
                                 values=["area", 3.0])
    api = workflow_to_api(workflow, SCHEMAS)
    assert api["7:2"]["inputs"] == {"image": ["1", 0], "upscale_method": "area",
                                    "scale_by": 3.0}
    # an entry without a value keeps the inner node's own
    kept = workflow_to_api(subgraph_workflow(proxy=[["2", "upscale_method"]], values=[]),
                           SCHEMAS)
    assert kept["7:2"]["inputs"]["upscale_method"] == "bilinear"


def test_a_promoted_widget_without_a_value_feeds_every_input_of_its_subgraph_input() -> None:
    # subgraph input 'scale' (no outer link) feeds the promoted widget scale_by of node 2
    # and a plain input of node 4; the instance stores no value for the promoted widget:
    # the editor gives the inner widget's value to both (as in the official template
    # template_ltx2_3_ic_lora_ingredients, whose prompt reaches a switch's on_false)
    workflow = subgraph_workflow(proxy=[["2", "scale_by"]], values=[])
    outer = workflow["definitions"]["subgraphs"][0]
    outer["nodes"].append({"id": 4, "type": "PreviewAny", "mode": 0,
                           "inputs": [{"name": "source", "type": "*", "link": 5}],
                           "outputs": [{"name": "STRING", "type": "STRING", "links": []}],
                           "widgets_values": []})
    outer["links"].append([5, -10, 1, 4, 0, "FLOAT"])
    outer["inputs"][1]["linkIds"].append(5)
    result = import_workflow(workflow, SCHEMAS)
    assert result.api["7:2"]["inputs"]["scale_by"] == 1.0
    assert result.api["7:4"]["inputs"] == {"source": 1.0}
    assert result.notes == ()
    # a value stored on the instance is still what both get
    workflow["nodes"][1]["widgets_values"] = [4.0]
    api = workflow_to_api(workflow, SCHEMAS)
    assert api["7:2"]["inputs"]["scale_by"] == api["7:4"]["inputs"]["source"] == 4.0


CUSTOM_COMBO = {
    "input": {"required": {"choice": ["COMBO", {"multiselect": False, "options": []}]}},
    "input_order": {"required": ["choice"]}, "output": ["STRING", "INT"],
    "output_name": ["STRING", "INDEX"], "display_name": "Custom Combo", "output_node": False}
"""ComfyUI 0.38.1's CustomCombo: one combo with no options; the editor's extension grows
them."""


@pytest.mark.parametrize(("stored", "sent"), [
    # as saved: the choice, the index, the options with one empty at the end
    (["B", 0, "A", "B", ""], {"index": 1, "option1": "A", "option2": "B", "option3": ""}),
    # the index is worked out again, not read; a last option is followed by an empty one
    (["A", 7, "A", "B"], {"index": 0, "option1": "A", "option2": "B", "option3": ""}),
    # a choice no option has: index -1; values past the empty last option are not read
    (["Z", 0, "A", "", ""], {"index": -1, "option1": "A", "option2": ""}),
])
def test_a_custom_combo_sends_its_index_and_options_as_the_editor_does(
        stored: list[Any], sent: dict[str, Any]) -> None:
    schemas = SCHEMAS.merged([parse_node_info("CustomCombo", CUSTOM_COMBO)])
    ed = Editor()
    ed.node(1, "CustomCombo", stored, outputs=("STRING", "INT"))
    api = workflow_to_api(ed.workflow(), schemas)
    assert api["1"]["inputs"] == {"choice": stored[0], **sent}


def test_a_bypassed_subgraph_instance_passes_its_input_on() -> None:
    workflow = subgraph_workflow()
    workflow["nodes"][1]["mode"] = 4
    api = workflow_to_api(workflow, SCHEMAS)
    assert sorted(api) == ["1", "8"]
    assert api["8"]["inputs"]["source"] == ["1", 0]


def test_graph_from_ui_and_from_api_recognise_the_editor_format() -> None:
    workflow = image_chain().workflow()
    graph = Graph.from_ui(workflow)  # the newest bundled release's schemas by default
    assert [node.class_type for node in graph] == ["EmptyImage", "ImageInvert", "CreateVideo",
                                                   "SaveVideo"]
    assert graph.node("4").title == "Save it"
    assert Graph.from_api(workflow, SCHEMAS).compile() == graph.compile()


BUNDLED_ONLY = ("the SDK's bundled schemas of ComfyUI 0.38.1 hold only its own node set (the "
                "LTX pipelines'), not a whole server's: read it with the schemas of a server "
                "that has it (schemas=ComfyClient(url).schemas(), or --server)")


def test_an_unknown_node_type_is_named_with_the_nearest_name_when_a_typo() -> None:
    ed = image_chain()
    ed.nodes[2]["type"] = "ImageInvertt"
    ed.nodes[2]["title"] = "Flip"
    with pytest.raises(UnknownNodeTypeError) as caught:
        workflow_to_api(ed.workflow(), SCHEMAS)
    assert str(caught.value) == ("node 2 'Flip' (ImageInvertt): unknown node type "
                                 f"'ImageInvertt' (did you mean ImageInvert?): {BUNDLED_ONLY}")


def test_a_core_node_the_bundled_schemas_lack_is_not_taken_for_a_typo() -> None:
    # SaveImage is ComfyUI's own: not "did you mean LoadImage?", but where to get its schema
    with pytest.raises(UnknownNodeTypeError) as caught:
        Graph.from_ui(load_template("hidream_e1_1"))
    assert str(caught.value) == (f"node 9 (SaveImage): unknown node type 'SaveImage': "
                                 f"{BUNDLED_ONLY}")
    with pytest.raises(UnknownNodeTypeError) as again:
        Graph.from_api(load_template("hidream_e1_1"))
    assert str(again.value) == str(caught.value)


def test_a_node_a_servers_schemas_lack_is_named_as_theirs() -> None:
    ed = image_chain()
    ed.nodes[2]["type"] = "MyCustomInvert"
    with pytest.raises(UnknownNodeTypeError) as caught:
        workflow_to_api(ed.workflow(), template_schemas())  # a server's (0.26.0)
    assert str(caught.value) == (
        "node 2 (MyCustomInvert): unknown node type 'MyCustomInvert': ComfyUI 0.26.0 does "
        "not have it (a custom node?): read it with the schemas of a server that has it")


@pytest.mark.parametrize(("change", "message"), [
    (lambda w: w["links"].append([9, "x", 0, 2, 0, "IMAGE"]),
     'link [9, "x", 0, 2, 0, "IMAGE"] is not [id, from node, from slot, to node, to slot, '
     'type]'),
    (lambda w: w["nodes"].append({"id": 9}), "the workflow: a node without a type: "
     '{"id": 9}'),
    (lambda w: w["nodes"][0].update(widgets_values=7),
     "node 1 (EmptyImage): widgets_values is int, not a list"),
])
def test_a_malformed_workflow_is_one_line_naming_the_node(change: Any, message: str) -> None:
    workflow = image_chain().workflow()
    change(workflow)
    with pytest.raises(EditorWorkflowError) as caught:
        workflow_to_api(workflow, SCHEMAS)
    assert str(caught.value) == message


def test_too_many_promoted_values_name_the_instance() -> None:
    with pytest.raises(EditorWorkflowError, match=r"^node 7 \(sg-scale\): 2 widget values "
                                                  r"for the promoted inputs \['scale'\]$"):
        workflow_to_api(subgraph_workflow(values=[1.0, 2.0]), SCHEMAS)


def test_recognition() -> None:
    assert is_editor_workflow(image_chain().workflow())
    assert not is_editor_workflow({"1": {"class_type": "EmptyImage", "inputs": {}}})
    api = {"1": {"class_type": "EmptyImage", "inputs": {}}}
    assert as_api_prompt(api) == api


def template_schemas(*, any_file: bool = False) -> SchemaSet:
    """ComfyUI 0.26.0's /object_info with the LTX-2 node types (the test suite's fixture);
    ``any_file``: its file lists (empty in the fixture) left open."""
    from tests.official_templates import OBJECT_INFO_FIXTURE, load_object_info
    info = load_object_info(OBJECT_INFO_FIXTURE)
    if any_file:
        for node in info.values():
            for section in node.get("input", {}).values():
                for name, spec in section.items():
                    options = spec[1] if isinstance(spec, list) and len(spec) > 1 else {}
                    if isinstance(spec, list) and (spec[0] == [] or options.get("options") == []):
                        section[name] = ["COMBO", {k: v for k, v in options.items()
                                                   if k != "options"}]
    return SchemaSet.from_object_info(info, comfyui_version="0.26.0")


def test_a_real_template_loads() -> None:
    template = load_template("video_ltx2_t2v")
    graph = Graph.from_ui(template, template_schemas(any_file=True))
    api = graph.compile()
    kinds = [entry["class_type"] for entry in api.values()]
    assert kinds.count("SamplerCustomAdvanced") == 2
    assert "Note" not in kinds and "MarkdownNote" not in kinds
    assert kinds.count("SaveVideo") == 1
    # the frontend-faithful ids stay in the plain conversion
    plain = workflow_to_api(template, template_schemas())
    assert any(":" in node_id for node_id in plain)
    assert any(entry["_meta"]["title"] != entry["class_type"] for entry in plain.values())


def test_a_template_given_where_an_api_prompt_is_expected() -> None:
    template = load_template("video_ltx2_t2v")
    schemas = template_schemas()
    verdict = check_prompt(template, schemas)
    assert all("class_type" not in problem.message for problem in verdict.problems)
    assert verdict == check_prompt(workflow_to_api(template, schemas), schemas)
    # with schemas that lack the template's PrimitiveInt (the bundled release's alone):
    # named, on one line
    refused = check_prompt(template, SCHEMAS)
    assert refused.error_type == "invalid_prompt"
    [problem] = refused.problems
    assert problem.message.startswith(
        'this is an editor workflow (ComfyUI\'s "Save", not "Export (API)"), read with '
        "ComfyUI 0.38.1's node schemas: node ")
    assert "unknown node type 'PrimitiveInt'" in problem.message
    assert "\n" not in problem.message


def test_with_no_schemas_at_hand_the_bundled_ones_and_the_primitives_are_used() -> None:
    graph = Graph.from_ui(load_template("video_ltx2_t2v"))  # offline
    assert graph.compile() == Graph.from_api(load_template("video_ltx2_t2v")).compile()
    assert "PrimitiveInt" in [node.class_type for node in graph]
    with pytest.raises(EditorWorkflowError) as caught:
        as_api_prompt(load_template("video_wan2_2_5B_ti2v"))  # a node the SDK does not use
    assert str(caught.value) == (
        'this is an editor workflow (ComfyUI\'s "Save", not "Export (API)"), read with '
        "ComfyUI 0.38.1's node schemas: node 48 (ModelSamplingSD3): unknown node "
        f"type 'ModelSamplingSD3': {BUNDLED_ONLY}")


def test_converting_does_not_change_the_workflow() -> None:
    template = load_template("video_ltx2_i2v")
    before = copy.deepcopy(template)
    workflow_to_api(template, template_schemas())
    assert template == before


def test_every_error_is_a_graph_error() -> None:
    assert issubclass(EditorWorkflowError, GraphError)


def test_notes_on_widgets_saved_by_another_release() -> None:
    ed = image_chain()
    # saved by an older release: no value for CreateVideo's later widgets
    ed.nodes[3]["widgets_values"] = [24]
    # saved by a newer one: a widget this release's SaveVideo lacks, named beside the values
    ed.nodes[4]["widgets_values_named"] = {"filename_prefix": "video/test", "format": "auto",
                                           "format.codec": "auto", "codec": "auto",
                                           "quality": 9}
    result = import_workflow(ed.workflow(), SCHEMAS)
    assert result.api["3"]["inputs"]["bit_depth"] == "auto"  # its default
    assert result.notes == (
        "3 CreateVideo: no saved value for widgets ['bit_depth', 'color_space'] (an older "
        "frontend); defaults used",
        "4 SaveVideo: dropped widget quality=9 (not an input in object_info)")


def test_a_proxy_widget_of_a_nested_instance() -> None:
    # sg-inner: ImageScaleBy whose scale_by comes from its input 'scale' (a widget);
    # sg-outer holds an instance (5) of it; the top instance (7) shows 5's 'scale'
    inner = {
        "id": "sg-inner", "nodes": [
            {"id": 1, "type": "ImageScaleBy", "mode": 0, "widgets_values": ["area", 1.0],
             "inputs": [{"name": "image", "type": "IMAGE", "link": 1},
                        {"name": "scale_by", "type": "FLOAT", "widget": {"name": "scale_by"},
                         "link": 2}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [3]}]}],
        "links": [[1, -10, 0, 1, 0, "IMAGE"], [2, -10, 1, 1, 1, "FLOAT"],
                  [3, 1, 0, -20, 0, "IMAGE"]],
        "inputs": [{"name": "image", "type": "IMAGE", "linkIds": [1]},
                   {"name": "scale", "type": "FLOAT", "linkIds": [2]}],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [3]}]}
    outer = {
        "id": "sg-outer", "nodes": [
            {"id": 5, "type": "sg-inner", "mode": 0, "widgets_values": [2.0],
             "inputs": [{"name": "image", "type": "IMAGE", "link": 1},
                        {"name": "scale", "type": "FLOAT", "widget": {"name": "scale"},
                         "link": None}],
             "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}]}],
        "links": [[1, -10, 0, 5, 0, "IMAGE"], [2, 5, 0, -20, 0, "IMAGE"]],
        "inputs": [{"name": "image", "type": "IMAGE", "linkIds": [1]}],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [2]}]}
    ed = Editor()
    ed.node(1, "EmptyImage", [64, 64, 1, 0], outputs=("IMAGE",))
    instance = ed.node(7, "sg-outer", [], inputs=(("image", "IMAGE"),), outputs=("IMAGE",))
    ed.node(8, "PreviewAny", inputs=(("source", "*"),), outputs=("STRING",))
    ed.link(1, 0, 7, 0)
    ed.link(7, 0, 8, 0)
    workflow = ed.workflow()
    workflow["definitions"] = {"subgraphs": [outer, inner]}
    # the nested instance's own value, then the one the top instance shows
    assert workflow_to_api(workflow, SCHEMAS)["7:5:1"]["inputs"]["scale_by"] == 2.0
    instance["properties"]["proxyWidgets"] = [["5", "scale"]]
    instance["widgets_values"] = [3.5]
    assert workflow_to_api(workflow, SCHEMAS)["7:5:1"]["inputs"] == {
        "image": ["1", 0], "upscale_method": "area", "scale_by": 3.5}
    instance["properties"]["proxyWidgets"] = [["5", "nope"]]
    with pytest.raises(EditorWorkflowError, match=r"proxy widget \[5, 'nope'\]: its subgraph "
                                                  "has no such input"):
        workflow_to_api(workflow, SCHEMAS)


def test_a_list_value_is_wrapped_as_the_editor_sends_it() -> None:
    ed = image_chain()
    ed.nodes[4]["widgets_values"] = [["video/a", 1], "auto", "auto", "auto"]
    api = workflow_to_api(ed.workflow(), SCHEMAS)
    assert api["4"]["inputs"]["filename_prefix"] == {"__value__": ["video/a", 1]}


def test_promoted_display_widgets_send_nothing() -> None:
    # a seed's control or a preview shown on the instance: no input, nothing to send
    workflow = subgraph_workflow(proxy=[["2", "scale_by"], ["2", "control_after_generate"],
                                        ["2", "$$canvas-image-preview"]],
                                 values=[1.5, "fixed", None])
    assert workflow_to_api(workflow, SCHEMAS)["7:2"]["inputs"]["scale_by"] == 1.5


def test_every_official_template_the_release_can_run_converts() -> None:
    """Beyond the LTX ones: every template of comfyui-workflow-templates-json (subgraphs,
    primitives, reroutes, bypassed nodes) whose node types ComfyUI 0.38.1 has converts, and
    every link of the result points at a node it sends; or, where the captured (key-sorted)
    schemas lost the order of a dynamic combo's sub-widgets and the values saved do not
    fit that guess, is refused saying so (never read misaligned)."""
    schemas = _schemas_0_38_1()
    order_unknown = 0
    folder = resources.files("comfyui_workflow_templates_json").joinpath("templates")
    converted = 0
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        workflow = json.loads(entry.read_text(encoding="utf-8"))
        if not is_editor_workflow(workflow):
            continue
        try:
            api = workflow_to_api(workflow, schemas)
        except UnknownNodeTypeError:  # a node newer than 0.38.1 (a partner node, mostly)
            continue
        except EditorWorkflowError as exc:  # mostly partner nodes' options, by their model
            assert "is unknown for these schemas" in str(exc), (entry.name, str(exc))
            order_unknown += 1
            continue
        for node_id, node in api.items():
            assert node["class_type"] in schemas, (entry.name, node_id)
            for value in node["inputs"].values():
                if isinstance(value, list):
                    assert value[0] in api, (entry.name, node_id, value)
        converted += 1
    assert converted >= 450
    assert order_unknown < 100


def test_a_template_with_kling_omni_storyboards_against_a_sorted_capture() -> None:
    # 0.38.1's captured /object_info lists the storyboards' sub-inputs sorted (duration
    # first); the node defines prompt first, as the template stores them
    schemas = _schemas_0_38_1()
    graph = Graph.from_ui(load_template("template_sirolim_image_script_video"), schemas)
    [kling] = [n for n in graph.compile().values()
               if n["class_type"] == "KlingOmniProImageToVideoNode"]
    assert kling["inputs"]["storyboards"] == "3 storyboards"
    for segment in (1, 2, 3):
        assert kling["inputs"][f"storyboards.storyboard_{segment}_duration"] == 4
        assert isinstance(kling["inputs"][f"storyboards.storyboard_{segment}_prompt"], list)


def test_sub_widgets_read_in_an_unknown_order_that_do_not_fit_are_refused() -> None:
    info = {"Storyboard": {
        "input": {"required": {"boards": ["COMFY_DYNAMICCOMBO_V3", {"options": [
            {"key": "1 board", "inputs": {"required": {
                "board_1_duration": ["INT", {"default": 4}],
                "board_1_prompt": ["STRING", {"multiline": True}]}}}]}]}},
        "output": [], "name": "Storyboard", "output_node": True}}
    ed = Editor()
    ed.node(1, "Storyboard", ["1 board", "a cat", 4], title="Boards")
    with pytest.raises(EditorWorkflowError) as caught:
        workflow_to_api(ed.workflow(), SchemaSet.from_object_info(info))
    assert str(caught.value) == (
        "node 1 'Boards' (Storyboard): the order of the widgets of Storyboard's 'boards' = "
        "'1 board' is unknown for these schemas (they list them sorted, as a dump does; a "
        "live server's /object_info keeps the node's order), and 'boards.board_1_duration' "
        "= 'a cat' does not fit its type: read it with a live server's schemas")


def _schemas_0_38_1() -> SchemaSet:
    """ComfyUI 0.38.1's whole /object_info as the suite captured it (keys sorted)."""
    import gzip
    from pathlib import Path
    fixture = (Path(__file__).resolve().parents[2] / "fixtures" / "versions" / "0.38.1"
               / "object_info.json.gz")
    return SchemaSet.from_object_info(json.loads(gzip.decompress(fixture.read_bytes())),
                                      comfyui_version="0.38.1")
