"""``Graph.to_ui()``: every pipeline of the catalog as an editor workflow, held to the rules of
the frontend's workflow schema (version 0.4, ``workflowSchema.ts`` of ComfyUI_frontend), laid
out without overlaps, one group per stage around its nodes, deterministic, and reading back
(by the editor's widget order, and through ``Graph.from_ui``) to the very prompt ``compile()``
gives."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from builders import PIPELINES, build
from builders.catalog import ltx2_5_api
from builders.examples import pipeline_request
from ltx2sdk import Graph, GraphError
from ltx2sdk.graph.compare import assert_same_api
from ltx2sdk.graph.editor.layout import Box, lay_out, node_size
from ltx2sdk.graph.editor.widgets import widget_values_to_inputs
from ltx2sdk.graph.releases import bundled_schemas
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.graph.validation import default_choice
from ltx2sdk.request import GenerationRequest
from tests.graph.editor.export_checks import (
    check_layout,
    check_links,
    check_schema,
    group_rect,
    node_rect,
    overlap,
    pairs,
)

ALL = [*PIPELINES, *ltx2_5_api.PIPELINES]
IDS = [" ".join(p.key) for p in ALL]
# a whole server's /object_info (the SDK's own table leaves out the hosted API's nodes)
FULL_OBJECT_INFO = (Path(__file__).resolve().parents[2] / "fixtures" / "versions" / "0.33.0"
                    / "object_info.json.gz")


@pytest.fixture(scope="module")
def server_schemas() -> SchemaSet:
    with gzip.open(FULL_OBJECT_INFO, "rt", encoding="utf-8") as fh:
        return SchemaSet.from_object_info(json.load(fh), comfyui_version="0.33.0")


def built(pipeline: Any, **options: Any) -> Graph:
    return build(GenerationRequest(**pipeline_request(pipeline)), **options).graph


@pytest.fixture(scope="module", params=ALL, ids=IDS)
def exported(request: pytest.FixtureRequest) -> tuple[Graph, dict[str, Any]]:
    graph = built(request.param)
    return graph, graph.to_ui()


def read_back(ui: dict[str, Any], graph: Graph, server: SchemaSet) -> dict[str, Any]:
    """The API prompt an editor workflow of flat nodes (no subgraphs) means: each node's
    widget values read by its schema (the graph's, else the server's, as the editor would),
    its linked inputs from ``links``."""
    links = {link[0]: link for link in ui["links"]}
    api: dict[str, Any] = {}
    for node in ui["nodes"]:
        schema = graph.schemas.get(node["type"]) or server[node["type"]]
        inputs = widget_values_to_inputs(schema, node["widgets_values"])
        for slot in node["inputs"]:
            if slot["link"] is not None:
                _id, source, source_slot, _t, _s, _type = links[slot["link"]]
                inputs[slot["name"]] = [str(source), source_slot]
        api[str(node["id"])] = {"class_type": node["type"], "inputs": inputs}
    return api


# --- every pipeline ---------------------------------------------------------------------------

def test_the_workflow_follows_the_frontends_schema(exported: tuple[Graph, Any]) -> None:
    check_schema(exported[1])


def test_every_link_is_stated_at_both_ends(exported: tuple[Graph, Any]) -> None:
    check_links(exported[1])


def test_nodes_do_not_overlap_and_each_stage_is_a_group_around_its_nodes(
        exported: tuple[Graph, Any]) -> None:
    check_layout(*exported)


def litegraph_size(node: dict[str, Any], widget_count: int) -> tuple[float, float]:
    """LiteGraph's ``LGraphNode.computeSize`` for a node loaded from ``node``, with its own
    text measure when no canvas measures (0.6 of the 14 px font per character), each widget
    20 px high (a text area is taller: the export makes it so)."""
    def text(value: str) -> float:
        return 14 * 0.6 * len(value)

    sockets = [s for s in node["inputs"] if "widget" not in s]
    rows = max(len(sockets), len(node["outputs"]), 1)
    in_w = max((text(s.get("label") or s["name"]) for s in sockets), default=0)
    out_w = max((text(o["name"]) for o in node["outputs"]), default=0)
    slots = in_w + out_w + 2 * 20 + (5 if in_w and out_w else 0)
    widget_w = max((text(s["name"]) for s in node["inputs"] if "widget" in s), default=0)
    widget_w = widget_w + 42 + 2 * (15 + 6 + 10) if widget_w else 0
    title = 30 + text(node["title"]) + 30 * 0.33
    width = max(slots, widget_w, title, 140 * (1.5 if widget_count else 1))
    height = rows * 20 + (widget_count * (20 + 4) + 8 if widget_count else 0) + 6
    return width, height


def test_every_node_is_at_least_as_big_as_the_editor_makes_it(
        exported: tuple[Graph, Any], server_schemas: SchemaSet) -> None:
    # (the editor enlarges a smaller node when it loads the workflow: it would overlap)
    from ltx2sdk.graph.editor.widgets import widgets

    graph, ui = exported
    for node, ui_node in zip(graph, ui["nodes"], strict=True):
        schema = server_schemas.get(node.class_type) or graph.schemas[node.class_type]
        count = len(widgets(schema, {k: v for k, v in node.literals().items()}))
        width, height = litegraph_size(ui_node, count)
        assert ui_node["size"][0] >= width and ui_node["size"][1] >= height, node.title


def test_the_data_flows_left_to_right_between_stages(exported: tuple[Graph, Any]) -> None:
    graph, ui = exported
    groups = {g["title"]: group_rect(g) for g in ui["groups"]}
    for node in graph:
        for _name, source in node.links():
            if source.node.group != node.group:
                assert node.group is not None and source.node.group is not None
                assert groups[source.node.group][2] < groups[node.group][0], (
                    source.node.title, node.title)


def test_the_workflow_reads_back_as_the_compiled_prompt(exported: tuple[Graph, Any],
                                                        server_schemas: SchemaSet) -> None:
    graph, ui = exported
    assert_same_api(read_back(ui, graph, server_schemas), graph.compile())
    # the ids are the API ids and every title is the graph's
    assert [(n["id"], n["title"]) for n in ui["nodes"]] == [
        (int(node.id), node.title) for node in graph]


def test_the_editor_import_reads_the_export_back_as_the_same_graph(
        exported: tuple[Graph, Any], server_schemas: SchemaSet) -> None:
    graph, ui = exported
    # the graph's own schemas, else (the hosted API's node) the server's
    known = all(node.class_type in graph.schemas for node in graph)
    schemas = graph.schemas if known else server_schemas
    back = Graph.from_ui(ui, schemas)
    assert_same_api(back.compile(), graph.compile())
    assert [node.title for node in back] == [node.title for node in graph]


@pytest.mark.parametrize("pipeline", ALL[:3] + ALL[-2:], ids=IDS[:3] + IDS[-2:])
def test_the_same_graph_gives_the_same_bytes(pipeline: Any) -> None:
    first = json.dumps(built(pipeline).to_ui())
    assert first == json.dumps(built(pipeline).to_ui())


def test_a_build_for_an_old_release_exports_its_nodes_that_way(
        server_schemas: SchemaSet) -> None:
    pipeline = PIPELINES.get("ltx-2", "i2v", "fast")
    graph = built(pipeline, schemas=bundled_schemas("0.8.0"))
    ui = graph.to_ui()
    check_schema(ui)
    check_links(ui)
    check_layout(graph, ui)
    assert_same_api(read_back(ui, graph, server_schemas), graph.compile())
    assert_same_api(Graph.from_ui(ui, bundled_schemas("0.8.0")).compile(), graph.compile())


@pytest.mark.parametrize("pipeline", ltx2_5_api.PIPELINES, ids=IDS[len(PIPELINES):])
def test_a_hosted_node_built_with_the_servers_schemas_stores_what_the_editor_does(
        pipeline: Any, server_schemas: SchemaSet) -> None:
    with_schema = built(pipeline, schemas=server_schemas).to_ui()
    without = built(pipeline).to_ui()
    [node] = [n for n in with_schema["nodes"] if n["type"] == pipeline.node]
    assert node["widgets_values"][-2:] == [42, "fixed"]  # the seed and its control
    # the SDK's own table lacks the node: its literals in the order given match anyway
    [guessed] = [n for n in without["nodes"] if n["type"] == pipeline.node]
    assert guessed["widgets_values"] == node["widgets_values"]


def test_a_038_build_reads_back_with_only_the_editors_defaults_added() -> None:
    # a build for 0.38.1 leaves out the inputs it does not set (CreateVideo.color_space, the
    # hidden legacy SaveVideo.codec); the editor keeps every widget, so reading the export
    # back adds them, each at the server's default: the same computation
    schemas = bundled_schemas("0.38.1")
    graph = built(PIPELINES.get("ltx-2", "t2v", "fast"), schemas=schemas)
    back = Graph.from_ui(graph.to_ui(), schemas).compile()
    compiled = graph.compile()
    added = {}
    for node_id, entry in compiled.items():
        extra = {k: v for k, v in back[node_id]["inputs"].items() if k not in entry["inputs"]}
        assert {k: back[node_id]["inputs"][k] for k in entry["inputs"]} == entry["inputs"]
        for name, value in extra.items():
            spec = schemas[entry["class_type"]].input(name)
            assert spec is not None and value == default_choice(spec), (entry["class_type"], name)
            added[(entry["class_type"], name)] = value
    assert added == {("CreateVideo", "color_space"): "sRGB", ("SaveVideo", "codec"): "auto"}


# --- what a person sees -----------------------------------------------------------------------

def test_the_prompt_seed_size_and_length_are_widgets_of_titled_nodes() -> None:
    request = GenerationRequest(prompt="a lighthouse in a storm", seed=1234, width=1280,
                                height=720, duration=5)
    result = build(request)
    ui = result.graph.to_ui()
    by_title = {node["title"]: node for node in ui["nodes"]}
    assert by_title["Prompt"]["widgets_values"] == ["a lighthouse in a storm"]
    assert by_title["Prompt"]["color"] == "#232"  # green, as the templates colour it
    assert by_title["Stage 1 noise"]["widgets_values"] == [1234, "fixed"]
    width, height = result.plan.stage1_size
    assert by_title["Stage 1 video latent"]["widgets_values"][:3] == [width, height,
                                                                       result.plan.frames]


def test_a_linked_widget_input_is_a_slot_naming_its_widget() -> None:
    g = Graph()
    size = g.add("GetImageSize", image=g.add("EmptyImage", width=64, height=64,
                                             batch_size=3)[0])
    latent = g.add("EmptyLTXVLatentVideo", width=64, height=64, length=size[2], batch_size=1)
    ui = g.to_ui()
    node = ui["nodes"][latent.index]
    assert node["inputs"] == [{"name": "length", "type": "INT", "widget": {"name": "length"},
                               "link": 2}]
    # the widget keeps a value beside the link, as in the editor
    assert node["widgets_values"] == [64, 64, 97, 1]
    assert ui["links"][1] == [2, 2, 2, 3, 0, "INT"]
    check_links(ui)


def test_a_node_type_without_a_schema_keeps_its_values_and_links() -> None:
    g = Graph()
    image = g.add("EmptyImage", width=64, height=64, batch_size=1)[0]
    custom = g.add("MyCustomNode", image=image, strength=0.5, label="x")
    g.add("PreviewImage", images=custom[0])
    ui = g.to_ui()
    check_schema(ui)
    check_links(ui)
    node = ui["nodes"][1]
    assert node["widgets_values"] == [0.5, "x"]
    assert [s["name"] for s in node["inputs"]] == ["image"]
    assert [o["links"] for o in node["outputs"]] == [[2]]


def test_a_literal_the_editor_has_no_widget_for_is_named_not_dropped() -> None:
    g = Graph()
    g.add("PreviewAny", source=5)  # "*": any link, or a literal the server takes
    with pytest.raises(GraphError, match=r"PreviewAny .*input 'source': holds the value 5, "
                                         r"but the editor has no widget"):
        g.to_ui()


def test_an_ungrouped_graph_is_laid_out_without_groups() -> None:
    g = Graph()
    image = g.add("EmptyImage", width=64, height=64, batch_size=1)[0]
    for _ in range(3):
        g.add("PreviewImage", images=g.add("ImageInvert", image=image)[0])
    ui = g.to_ui()
    assert ui["groups"] == []
    for a, b in pairs(ui["nodes"]):
        assert not overlap(node_rect(a), node_rect(b))
    xs = [node["pos"][0] for node in ui["nodes"]]
    assert xs[0] < xs[1] < xs[2]  # source, then what reads it, then what reads that


def test_an_empty_graph_is_an_empty_workflow() -> None:
    ui = Graph().to_ui()
    check_schema(ui)
    assert (ui["nodes"], ui["links"], ui["groups"], ui["last_node_id"]) == ([], [], [], 0)


# --- the layout on its own --------------------------------------------------------------------

def test_blocks_that_read_each_other_still_get_disjoint_groups() -> None:
    boxes = [Box(0, 200, 60, "A"), Box(1, 200, 60, "B", (0,)), Box(2, 200, 60, "A", (1,)),
             Box(3, 200, 60, "B", (2,))]
    placed = lay_out(boxes)
    rects = [(x, y, x + w, y + h) for _t, (x, y, w, h) in placed.groups]
    assert [t for t, _ in placed.groups] == ["A", "B"]
    assert not overlap(rects[0], rects[1])


def test_a_node_is_at_least_as_big_as_its_rows() -> None:
    from ltx2sdk.graph.editor.layout import SLOT_HEIGHT, TEXT_BOX_HEIGHT, Widget

    width, height = node_size("Stage 1 sampling", ["noise", "guider", "sampler", "sigmas",
                                                   "latent_image"], ["output", "denoised"], [])
    assert height >= 5 * SLOT_HEIGHT and width >= len("Stage 1 sampling") * 7
    _, tall = node_size("Prompt", ["clip"], ["CONDITIONING"],
                        [Widget("text", "a fox", TEXT_BOX_HEIGHT)])
    assert tall >= TEXT_BOX_HEIGHT + SLOT_HEIGHT
