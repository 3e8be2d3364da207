"""Checks of an editor workflow that the export tests share: the frontend's schema rules,
links stated at both ends, the layout (no overlaps, nodes inside their groups, groups
disjoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ltx2sdk import Graph
from ltx2sdk.graph.editor.layout import TITLE_HEIGHT

Rect = tuple[float, float, float, float]

NODE_KEYS = {"id": int, "type": str, "pos": list, "size": list, "flags": dict, "order": int,
             "mode": int, "inputs": list, "outputs": list, "properties": dict,
             "widgets_values": list, "title": str}


def check_schema(ui: dict[str, Any]) -> None:
    """The zod schema's rules for a 0.4 workflow (``zComfyWorkflow``), as a test can hold them:
    required keys and their types, links as 6-tuples, groups with 4-number boundings."""
    assert ui["version"] == 0.4
    assert isinstance(ui["last_node_id"], int) and isinstance(ui["last_link_id"], int)
    assert isinstance(ui["config"], dict)
    ds = ui["extra"]["ds"]
    assert isinstance(ds["scale"], float) and len(ds["offset"]) == 2
    for node in ui["nodes"]:
        for key, kind in NODE_KEYS.items():
            assert isinstance(node[key], kind), (node["id"], key)
        assert len(node["pos"]) == len(node["size"]) == 2
        assert all(isinstance(v, (int, float)) for v in [*node["pos"], *node["size"]])
        assert node["properties"]["Node name for S&R"] == node["type"]
        assert node["title"]  # every node titled
        for slot in node["inputs"]:
            assert isinstance(slot["name"], str) and isinstance(slot["type"], str)
            assert slot["link"] is None or isinstance(slot["link"], int)
        for index, slot in enumerate(node["outputs"]):
            assert isinstance(slot["name"], str) and isinstance(slot["type"], str)
            assert all(isinstance(link, int) for link in slot["links"])
            assert slot["slot_index"] == index
    for link in ui["links"]:
        assert len(link) == 6 and all(isinstance(v, int) for v in link[:5])
        assert isinstance(link[5], str)
    for group in ui["groups"]:
        assert isinstance(group["title"], str) and len(group["bounding"]) == 4
        assert isinstance(group["color"], str)
    json.dumps(ui, allow_nan=False)  # plain JSON, no NaN


def check_links(ui: dict[str, Any]) -> None:
    """Every link id appears once in ``links``, in its source output's ``links`` and as its
    target input's ``link``, with the slots and type the link states."""
    nodes = {node["id"]: node for node in ui["nodes"]}
    assert len(nodes) == len(ui["nodes"]) == ui["last_node_id"]
    ids = [link[0] for link in ui["links"]]
    assert len(set(ids)) == len(ids) == ui["last_link_id"]
    assert set(ids) == set(range(1, len(ids) + 1))
    for link_id, source, source_slot, target, target_slot, link_type in ui["links"]:
        output = nodes[source]["outputs"][source_slot]
        assert link_id in output["links"]
        slot = nodes[target]["inputs"][target_slot]
        assert slot["link"] == link_id
        assert link_type in (output["type"], slot["type"]) or slot["type"] == "*"
    stated_out = sorted(i for n in ui["nodes"] for o in n["outputs"] for i in o["links"])
    stated_in = sorted(s["link"] for n in ui["nodes"] for s in n["inputs"] if s["link"])
    assert stated_out == stated_in == sorted(ids)


def node_rect(node: dict[str, Any]) -> Rect:
    """A node's rectangle with its title bar (drawn above ``pos``)."""
    (x, y), (w, h) = node["pos"], node["size"]
    return (x, y - TITLE_HEIGHT, x + w, y + h)


def overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(inner: Rect, outer: Rect) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


def group_rect(group: dict[str, Any]) -> Rect:
    x, y, w, h = group["bounding"]
    return (x, y, x + w, y + h)


def pairs(items: list[Any]) -> Iterator[tuple[Any, Any]]:
    for i, first in enumerate(items):
        for second in items[i + 1:]:
            yield first, second


def check_layout(graph: Graph, ui: dict[str, Any]) -> None:
    """No two nodes overlap, each node is inside its stage's group (and the group's title
    bar is clear of it), groups are disjoint, one group per stage."""
    for a, b in pairs(ui["nodes"]):
        assert not overlap(node_rect(a), node_rect(b)), (a["title"], b["title"])
    groups = {g["title"]: g for g in ui["groups"]}
    assert list(groups) == graph.group_names()
    for node, ui_node in zip(graph, ui["nodes"], strict=True):
        assert node.group is not None
        rect = group_rect(groups[node.group])
        assert inside(node_rect(ui_node), (rect[0], rect[1] + 40, rect[2], rect[3])), (
            node.title, node.group)
    for a, b in pairs(ui["groups"]):
        assert not overlap(group_rect(a), group_rect(b)), (a["title"], b["title"])
