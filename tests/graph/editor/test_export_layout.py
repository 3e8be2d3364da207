"""The editor layout (``ltx2sdk.graph.editor.layout``) on its own: on many made-up graphs, with
groups that read each other both ways, nothing overlaps, every node is inside its group and
groups are disjoint."""

from __future__ import annotations

import random

import pytest

from ltx2sdk.graph.editor.layout import (
    GROUP_TITLE_HEIGHT,
    TITLE_HEIGHT,
    Box,
    Layout,
    lay_out,
)

Rect = tuple[int, int, int, int]


def made_up(seed: int, nodes: int = 40, groups: int = 6) -> list[Box]:
    """A random graph in build order (sources before readers), its nodes in random groups
    (some in none), of random sizes."""
    rng = random.Random(seed)
    names = [f"G{i}" for i in range(groups)] + [None]
    boxes = []
    for key in range(nodes):
        sources = tuple(sorted(rng.sample(range(key), k=min(key, rng.randint(0, 3)))))
        boxes.append(Box(key, rng.randint(240, 520), rng.randint(40, 400), rng.choice(names),
                         sources))
    return boxes


def node_rects(boxes: list[Box], placed: Layout) -> dict[int, Rect]:
    rects = {}
    for box in boxes:
        x, y = placed.positions[box.key]
        rects[box.key] = (x, y - TITLE_HEIGHT, x + box.width, y + box.height)
    return rects


def overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("seed", range(40))
def test_made_up_graphs_are_laid_out_cleanly(seed: int) -> None:
    boxes = made_up(seed)
    placed = lay_out(boxes)
    assert lay_out(boxes) == placed  # the same boxes, the same layout
    rects = node_rects(boxes, placed)
    keys = sorted(rects)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not overlap(rects[a], rects[b]), (a, b)
    groups = {title: (x, y, x + w, y + h) for title, (x, y, w, h) in placed.groups}
    assert list(groups) == list(dict.fromkeys(b.group for b in boxes if b.group is not None))
    for box in boxes:
        if box.group is None:
            continue
        gx0, gy0, gx1, gy1 = groups[box.group]
        x0, y0, x1, y1 = rects[box.key]
        assert gx0 < x0 and gy0 + GROUP_TITLE_HEIGHT <= y0 and x1 < gx1 and y1 < gy1
    for box in boxes:  # nodes in no group stay out of every group
        if box.group is None:
            assert not any(overlap(rects[box.key], g) for g in groups.values())
    titled = list(groups.values())
    for i, a in enumerate(titled):
        for b in titled[i + 1:]:
            assert not overlap(a, b)


def test_inside_a_group_a_reader_is_right_of_what_it_reads() -> None:
    boxes = [Box(0, 300, 100, "A"), Box(1, 300, 100, "A", (0,)), Box(2, 300, 100, "A", (1,)),
             Box(3, 300, 100, "A", (0,))]
    placed = lay_out(boxes)
    xs = [placed.positions[k][0] for k in range(4)]
    assert xs[0] < xs[1] < xs[2] and xs[3] == xs[1]


def test_a_group_that_reads_another_is_right_of_it() -> None:
    boxes = [Box(0, 300, 100, "Load"), Box(1, 300, 100, "Use", (0,)),
             Box(2, 300, 100, "Load")]
    placed = lay_out(boxes)
    (_, load), (_, use) = placed.groups
    assert load[0] + load[2] < use[0]
