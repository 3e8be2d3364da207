"""``Graph.to_ui()`` of graphs nobody grouped: the official LTX-2 templates' prompts (loaded
with ``Graph.from_api``, their helper nodes kept) export to workflows that follow the
frontend's schema, overlap nowhere and read back through ``Graph.from_ui`` as the same
graph."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ltx2sdk import Graph, GraphError
from ltx2sdk.graph.compare import assert_same_api
from ltx2sdk.graph.schema import SchemaSet
from tests.graph.editor.export_checks import check_links, check_schema, node_rect, overlap, pairs
from tests.official_templates import default_object_info, load_template, template_api

# the LTX-2 templates, each variant (the newer ones' flattened prompts hold values that the
# bundled captures' schemas refuse, such as CreateVideo's bit_depth "auto")
TEMPLATES = [("video_ltx2_t2v", None), ("video_ltx2_t2v_distilled", None),
             ("video_ltx2_i2v", None), ("video_ltx2_i2v_distilled", None),
             ("video_ltx2_canny_to_video", None), ("video_ltx2_canny_to_video", "distilled"),
             ("video_ltx2_depth_to_video", None), ("video_ltx2_depth_to_video", "distilled"),
             ("api_ltx2_5_t2v", None), ("api_ltx2_5_i2v", None), ("api_ltx2_5_flf2v", None)]


def listing_its_values(object_info: dict[str, Any], api: dict[str, Any]) -> dict[str, Any]:
    """``object_info`` as a server that has the files ``api`` names (its combos list them)."""
    info = copy.deepcopy(object_info)
    for entry in api.values():
        node = info.get(entry["class_type"])
        if node is None:
            continue
        for section in ("required", "optional"):
            for name, raw in (node["input"].get(section) or {}).items():
                value = entry["inputs"].get(name)
                if not isinstance(value, str) or not isinstance(raw, list):
                    continue
                if isinstance(raw[0], list) and value not in raw[0]:
                    raw[0].append(value)
                elif (raw[0] == "COMBO" and len(raw) > 1 and "options" in raw[1]
                      and value not in raw[1]["options"]):
                    raw[1]["options"].append(value)
    return info


@pytest.mark.parametrize(("name", "variant"), TEMPLATES,
                         ids=[f"{n}-{v}" if v else n for n, v in TEMPLATES])
def test_a_templates_graph_exports_and_reads_back(name: str, variant: str | None) -> None:
    api = template_api(name, variant=variant, static=False)
    schemas = SchemaSet.from_object_info(
        listing_its_values(default_object_info(load_template(name)), api))
    graph = Graph.from_api(api, schemas)
    ui = graph.to_ui()
    check_schema(ui)
    check_links(ui)
    assert ui["groups"] == []  # nobody grouped it
    for a, b in pairs(ui["nodes"]):
        assert not overlap(node_rect(a), node_rect(b)), (a["title"], b["title"])
    assert_same_api(Graph.from_ui(ui, schemas).compile(), graph.compile())


def test_a_literal_from_an_inlined_primitive_is_named() -> None:
    # the LTX-2.3 templates feed a switch's text from a primitive node, which the test
    # flattener inlines: a literal on a "*" input the editor has no widget for
    api = template_api("video_ltx2_3_i2v", static=False)
    schemas = SchemaSet.from_object_info(
        listing_its_values(default_object_info(load_template("video_ltx2_3_i2v")), api))
    with pytest.raises(GraphError, match=r"ComfySwitchNode .*'on_false': holds the value") as err:
        Graph.from_api(api, schemas).to_ui()
    assert "..." in str(err.value) and len(str(err.value)) < 300  # the long text cut, one line
