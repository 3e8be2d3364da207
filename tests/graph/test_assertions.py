"""Graph queries and assertions, as users' workflow tests use them."""

from __future__ import annotations

import pytest

from builders import build
from ltx2sdk import GenerationRequest, Graph
from ltx2sdk.graph import assertions as A


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build(GenerationRequest(prompt="p", mode="pro", seed=3)).graph


def test_find_and_one(graph: Graph) -> None:
    assert len(A.find(graph, "SamplerCustomAdvanced")) == 2
    assert A.one(graph, title="Stage 2 sampling").class_type == "SamplerCustomAdvanced"
    with pytest.raises(AssertionError, match="found 2"):
        A.one(graph, "SamplerCustomAdvanced")
    with pytest.raises(AssertionError, match="found 0"):
        A.one(graph, "LoadImage")


def test_links_both_ways(graph: Graph) -> None:
    stage1 = A.one(graph, title="Stage 1 sampling")
    assert A.upstream_node(stage1, "noise").inputs["noise_seed"] == 3
    users = A.consumers(graph, stage1, slot=0)
    assert [(n.class_type, name) for n, name in users] == [("LTXVSeparateAVLatent", "av_latent")]
    assert A.one(graph, "SaveVideo") in A.descendants(graph, stage1)
    assert A.one(graph, "CheckpointLoaderSimple") in A.ancestors(stage1)
    with pytest.raises(AssertionError, match="is the literal"):
        A.upstream_node(A.one(graph, "RandomNoise", title="Stage 1 noise"), "noise_seed")


def test_paths(graph: Graph) -> None:
    stage1 = A.one(graph, title="Stage 1 sampling")
    stage2 = A.one(graph, title="Stage 2 sampling")
    A.assert_path(stage1, stage2)
    A.assert_no_path(stage2, stage1)
    with pytest.raises(AssertionError, match="no path from"):
        A.assert_path(stage2, stage1)
    A.assert_count(graph, "SaveVideo", 1)
    with pytest.raises(AssertionError, match="expected 2 SaveVideo"):
        A.assert_count(graph, "SaveVideo", 2)
    assert A.literal_values(A.find(graph, "CFGGuider"), "cfg") == {4.0, 1.0}
