"""Where an exported graph's nodes go in the editor: left to right along the data flow, one
group per stage, nothing overlapping.

The input is one :class:`Box` per node (its estimated size, its group, the nodes it reads
from); the output (:func:`lay_out`) is every node's position and every group's rectangle, in
the editor's coordinates (``pos`` is the top left of a node's body; its title bar, of
:data:`TITLE_HEIGHT`, sits above it). The same boxes always give the same layout.

- **Blocks**: the nodes of one group (nodes without a group form one block that draws no
  group). Blocks are ordered along the data flow: a block comes after every block it reads
  from (a cycle between blocks is broken at the block that appears first). A block's column
  is the longest chain of blocks before it; blocks in one column stack top to bottom.
- **Inside a block**: a node's column is the longest chain of the block's own nodes before
  it (a node reading nothing in the block: just left of its first reader); the nodes of a
  column stack top to bottom, each placed near the mean height of the nodes it reads from,
  or for a node that reads nothing there, of its readers (ties: the order the nodes were
  added).
- **Sizes**: :func:`node_size` estimates a node's size the way the editor's LiteGraph
  computes one (``LGraphNode.computeSize``: title and slot labels for the width, 20 px per
  row of link slots and 24 px per widget row for the height, a text box and an image preview
  taller); it errs large, since the editor enlarges a node smaller than it computes when it
  loads a workflow, never shrinks one.

Import rule: as the package (:mod:`ltx2sdk.graph.editor`); this module imports nothing of the
SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TITLE_HEIGHT = 30
"""LiteGraph's node title bar, drawn above ``pos``."""
SLOT_HEIGHT = 20
"""One row of input and output slots."""
WIDGET_HEIGHT = 24
"""One widget row (20 px and its 4 px margin)."""
TEXT_BOX_HEIGHT = 120
"""A multiline text widget (a prompt): the editor's text area at its smallest useful size."""
PREVIEW_HEIGHT = 240
"""The preview a file loader shows under its widgets (the loaded image)."""
BODY_MARGIN = 16
"""Space under the last row of a node."""
CHAR_WIDTH = 9
"""A character of the editor's 14 px node font, generously (LiteGraph's own guess without a
canvas to measure on is 8.4)."""
MIN_WIDTH = 240
MAX_WIDTH = 520

NODE_GAP_X = 60
"""Between two columns of nodes (room for the links)."""
NODE_GAP_Y = 24
"""Between a node and the title bar of the node below it."""
GROUP_PADDING = 20
"""Between a group's edge and the nodes inside it."""
GROUP_TITLE_HEIGHT = 44
"""A group's title bar (the editor's 24 px group font and its margins)."""
GROUP_GAP = 60
"""Between two groups."""


@dataclass(frozen=True)
class Widget:
    """What :func:`node_size` needs of one widget row: its label, its value shown as text,
    and its height (:data:`WIDGET_HEIGHT`; :data:`TEXT_BOX_HEIGHT` for a text area, more
    for a loader's preview)."""

    label: str
    text: str = ""
    height: int = WIDGET_HEIGHT


def node_size(title: str, inputs: Sequence[str], outputs: Sequence[str],
              widgets: Sequence[Widget]) -> tuple[int, int]:
    """``(width, height)`` of a node's body (its title bar not included), at least what the
    editor computes for it: ``inputs`` and ``outputs`` are the labels of its slots (linked
    widget inputs are drawn on their widget's row and do not count), ``widgets`` its widget
    rows in order."""
    rows = max(len(inputs), len(outputs), 1)
    height = rows * SLOT_HEIGHT + BODY_MARGIN + sum(widget.height for widget in widgets)
    width = max(MIN_WIDTH, len(title) * CHAR_WIDTH + 2 * TITLE_HEIGHT)
    slot_labels = (max((len(s) for s in inputs), default=0)
                   + max((len(s) for s in outputs), default=0))
    width = max(width, slot_labels * CHAR_WIDTH + 3 * SLOT_HEIGHT)
    for widget in widgets:
        if widget.height == WIDGET_HEIGHT:  # its label on the left, its value on the right
            shown = len(widget.label) + min(len(widget.text), 36)
            width = max(width, shown * CHAR_WIDTH + 4 * SLOT_HEIGHT)
    return min(width, MAX_WIDTH), height


@dataclass(frozen=True)
class Box:
    """One node to place: ``key`` names it (its index in the graph), ``width`` and
    ``height`` are its body's size (:func:`node_size`), ``group`` its group's title (``None``:
    in no group), ``sources`` the keys of the nodes its inputs link from."""

    key: int
    width: int
    height: int
    group: str | None
    sources: tuple[int, ...] = ()


@dataclass(frozen=True)
class Layout:
    """Every node's ``pos`` (top left of its body) by key, and every group's title and
    ``bounding`` (x, y, width, height), in block order."""

    positions: Mapping[int, tuple[int, int]]
    groups: Sequence[tuple[str, tuple[int, int, int, int]]]


@dataclass
class _Block:
    name: str | None
    boxes: list[Box]
    width: int = 0
    height: int = 0
    offsets: dict[int, tuple[int, int]] | None = None  # node key -> place inside the block


def lay_out(boxes: Sequence[Box]) -> Layout:
    """Place ``boxes`` (in the order the nodes were added: every source before the nodes
    that read it, as a :class:`~ltx2sdk.graph.core.Graph` keeps them); see the module."""
    blocks: dict[str | None, _Block] = {}
    block_of: dict[int, str | None] = {}
    for box in boxes:
        blocks.setdefault(box.group, _Block(box.group, [])).boxes.append(box)
        block_of[box.key] = box.group
    for block in blocks.values():
        _arrange(block)
    order = list(blocks)  # first appearance
    reads = {name: {block_of[s] for box in block.boxes for s in box.sources
                    if s in block_of and block_of[s] != name}
             for name, block in blocks.items()}
    columns = _columns(order, reads)
    positions: dict[int, tuple[int, int]] = {}
    groups: list[tuple[str, tuple[int, int, int, int]]] = []
    x = 0
    for column in range(max(columns.values(), default=-1) + 1):
        members = [blocks[name] for name in _flow_order(order, reads)
                   if columns[name] == column]
        y = 0
        for block in members:
            inner_x, inner_y = x + GROUP_PADDING, y + GROUP_TITLE_HEIGHT + GROUP_PADDING
            assert block.offsets is not None
            for key, (dx, dy) in block.offsets.items():
                positions[key] = (inner_x + dx, inner_y + dy + TITLE_HEIGHT)
            outer_w = block.width + 2 * GROUP_PADDING
            outer_h = block.height + GROUP_TITLE_HEIGHT + 2 * GROUP_PADDING
            if block.name is not None:
                groups.append((block.name, (x, y, outer_w, outer_h)))
            y += outer_h + GROUP_GAP
        x += max(b.width for b in members) + 2 * GROUP_PADDING + GROUP_GAP
    ordered = sorted(groups, key=lambda g: order.index(g[0]))
    return Layout(positions=positions, groups=ordered)


def _flow_order(order: list[str | None], reads: Mapping[str | None, set[str | None]]
                ) -> list[str | None]:
    """``order`` sorted so that a block comes after the blocks it reads from; where blocks
    read each other (a cycle) the first one in ``order`` goes first."""
    done: list[str | None] = []
    left = list(order)
    while left:
        ready = next((name for name in left if reads[name] <= set(done)), left[0])
        done.append(ready)
        left.remove(ready)
    return done


def _columns(order: list[str | None], reads: Mapping[str | None, set[str | None]]
             ) -> dict[str | None, int]:
    """Each block's column: the longest chain of blocks it reads from (in flow order)."""
    columns: dict[str | None, int] = {}
    for name in _flow_order(order, reads):
        columns[name] = max((columns[s] + 1 for s in reads[name] if s in columns), default=0)
    return columns


def _arrange(block: _Block) -> None:
    """Place the block's nodes relative to its top left corner; set its size.

    Columns: the longest chain of the block's nodes before each one; a node that reads
    nothing in the block sits just left of its first reader (a loader next to what it
    feeds, not at the far left). Rows: the columns are stacked left to right, each node near
    the mean height of what it reads; then right to left, each node that reads nothing here
    near the mean height of its readers.
    """
    keys = {box.key for box in block.boxes}
    inside = {box.key: tuple(s for s in box.sources if s in keys) for box in block.boxes}
    readers: dict[int, list[int]] = {key: [] for key in keys}
    for box in block.boxes:
        for source in inside[box.key]:
            readers[source].append(box.key)
    column: dict[int, int] = {}
    for box in block.boxes:
        column[box.key] = max((column[s] + 1 for s in inside[box.key]), default=0)
    for box in reversed(block.boxes):
        if not inside[box.key] and readers[box.key]:
            column[box.key] = min(column[r] for r in readers[box.key]) - 1
    used = sorted(set(column.values()))
    columns = [[box for box in block.boxes if column[box.key] == c] for c in used]
    centre: dict[int, float] = {}
    tops: dict[int, int] = {}

    def mean(keys: list[int] | tuple[int, ...]) -> float:
        known = [centre[k] for k in keys if k in centre]
        return sum(known) / len(known) if known else -1.0

    for members in columns:  # left to right: near what each node reads
        _stack(members, {box.key: mean(inside[box.key]) for box in members}, centre, tops)
    for members in reversed(columns[:-1]):  # right to left: sources near their readers
        wanted = {box.key: mean(readers[box.key]) if not inside[box.key] else centre[box.key]
                  for box in members}
        _stack(members, wanted, centre, tops)
    offsets: dict[int, tuple[int, int]] = {}
    x = 0
    for members in columns:
        for box in members:
            offsets[box.key] = (x, tops[box.key])
        x += max(box.width for box in members) + NODE_GAP_X
    block.offsets = offsets
    block.width = max(x - NODE_GAP_X, 0)
    block.height = max((tops[b.key] + TITLE_HEIGHT + b.height for b in block.boxes), default=0)


def _stack(members: list[Box], wanted: Mapping[int, float], centre: dict[int, float],
           tops: dict[int, int]) -> None:
    """Stack one column's ``members`` top to bottom in the order of the height each is
    ``wanted`` at (-1: anywhere; ties: the order added), each as near it as the nodes above
    allow (never overlapping them); record each one's top and centre."""
    y = 0
    for box in sorted(members, key=lambda b: (wanted[b.key], b.key)):
        full = TITLE_HEIGHT + box.height
        top = max(y, int(wanted[box.key] - full / 2))
        tops[box.key] = top
        centre[box.key] = top + full / 2
        y = top + full + NODE_GAP_Y
