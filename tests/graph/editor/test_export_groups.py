"""Stage groups: a graph records which group (a pipeline's stage) each node was added in, and
every pipeline of the catalog puts each of its nodes in one of its stages, without changing
what it compiles to."""

from __future__ import annotations

import pytest

from builders import PIPELINES, build
from builders.catalog import ltx2_5_api
from builders.examples import pipeline_request
from ltx2sdk import Graph, GraphError
from ltx2sdk.request import GenerationRequest

ALL = [*PIPELINES, *ltx2_5_api.PIPELINES]
IDS = [" ".join(p.key) for p in ALL]
STAGE_ORDER = ["Loaders", "Inputs", "Prompt", "Size and length", "Stage 1", "Upscale",
               "Stage 2", "Decode and save"]


def _image(g: Graph) -> object:
    return g.add("EmptyImage", width=64, height=64, batch_size=1)[0]


def test_nodes_carry_the_innermost_open_group() -> None:
    g = Graph()
    outside = g.add("EmptyImage", width=64, height=64, batch_size=1)
    with g.group("Inputs"):
        first = g.add("ImageInvert", image=outside[0])
        with g.group("Details"):
            inner = g.add("ImageInvert", image=first[0])
        after = g.add("ImageInvert", image=inner[0])
    last = g.add("ImageInvert", image=after[0])
    assert [n.group for n in g] == [None, "Inputs", "Details", "Inputs", None]
    assert last.group is None
    assert g.group_names() == ["Inputs", "Details"]


def test_a_name_used_twice_is_one_group_in_first_use_order() -> None:
    g = Graph()
    with g.group("B"):
        image = _image(g)
    with g.group("A"):
        image = g.add("ImageInvert", image=image)[0]
    with g.group("B"):
        g.add("ImageInvert", image=image)
    assert g.group_names() == ["B", "A"]


def test_a_failing_add_inside_a_group_leaves_the_group_closed() -> None:
    g = Graph()
    with pytest.raises(GraphError), g.group("Broken"):
        g.add("EmptyImage", width="wide")
    assert g.add("EmptyImage", width=64, height=64, batch_size=1).group is None


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_group_needs_a_name(name: object) -> None:
    with pytest.raises(GraphError, match="a group needs a name"), Graph().group(name):  # type: ignore[arg-type]
        pass


def test_groups_do_not_change_the_compiled_prompt() -> None:
    plain, grouped = Graph(), Graph()
    _image(plain)
    with grouped.group("Inputs"):
        _image(grouped)
    assert plain.to_json() == grouped.to_json()


@pytest.mark.parametrize("pipeline", ALL, ids=IDS)
def test_every_node_of_every_pipeline_is_in_a_stage(pipeline: object) -> None:
    graph = build(GenerationRequest(**pipeline_request(pipeline))).graph  # type: ignore[arg-type]
    assert all(node.group is not None for node in graph), [n.title for n in graph
                                                            if n.group is None]
    names = graph.group_names()
    if pipeline in ltx2_5_api.PIPELINES:
        assert set(names) <= {"Inputs", "Hosted generation", "Save"}
        return
    # the stages a person expects, in the order the data flows
    assert names == [s for s in STAGE_ORDER if s in names]
    assert {"Loaders", "Prompt", "Size and length", "Stage 1", "Decode and save"} <= set(names)
    stages = len(pipeline.stages)  # type: ignore[attr-defined]
    assert ("Stage 2" in names) == ("Upscale" in names) == (stages == 2)
    by_type = {node.class_type: node.group for node in graph}
    assert by_type["SaveVideo"] == "Decode and save"
    assert by_type["EmptyLTXVLatentVideo"] == "Size and length"
    assert by_type["LTXVConditioning"] == "Prompt"
