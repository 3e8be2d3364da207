"""Queries and assertions over a graph, for tests of workflows.

Find nodes by class or title, follow links either way, and assert structure
without caring about ids::

    from ltx2sdk.graph import assertions as A
    save = A.one(graph, "SaveVideo")
    sampler = A.one(graph, title="Stage 1 sampling")
    A.assert_path(sampler, save)
    assert A.source(A.one(graph, "RandomNoise", title="Stage 1 noise"), "noise_seed") == 42

The ``assert_*`` helpers raise :class:`AssertionError` with a readable message, so
they work in pytest and anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ltx2sdk.graph.core import Graph, Node
from ltx2sdk.graph.handles import Output


def find(graph: Graph, class_type: str | None = None, *, title: str | None = None) -> list[Node]:
    """Nodes matching ``class_type`` and/or ``title`` (exact), in graph order."""
    return [n for n in graph
            if (class_type is None or n.class_type == class_type)
            and (title is None or n.title == title)]


def one(graph: Graph, class_type: str | None = None, *, title: str | None = None) -> Node:
    """The single node matching; :class:`AssertionError` when there are none or several."""
    found = find(graph, class_type, title=title)
    if len(found) != 1:
        what = " ".join(filter(None, [class_type, f"titled {title!r}" if title else None]))
        listing = ", ".join(n.describe() for n in found) or "none"
        raise AssertionError(f"expected exactly one {what} node, found {len(found)}: {listing}")
    return found[0]


def source(node: Node, input_name: str) -> Any:
    """What feeds ``input_name``: an :class:`Output` handle or the literal value."""
    if input_name not in node.inputs:
        raise AssertionError(f"{node.describe()} has no input {input_name!r} "
                             f"(it has {', '.join(node.inputs)})")
    return node.inputs[input_name]


def upstream_node(node: Node, input_name: str) -> Node:
    """The node linked into ``input_name``."""
    value = source(node, input_name)
    if not isinstance(value, Output):
        raise AssertionError(f"{node.describe()} input {input_name!r} is the literal {value!r}, "
                             "not a link")
    return value.node


def consumers(graph: Graph, node: Node, slot: int | None = None) -> list[tuple[Node, str]]:
    """``(node, input name)`` pairs fed by ``node`` (only by output ``slot`` if given)."""
    return [(other, name) for other in graph for name, handle in other.links()
            if handle.node is node and (slot is None or handle.slot == slot)]


def ancestors(node: Node) -> list[Node]:
    """Every node ``node`` depends on, nearest first."""
    seen: dict[int, Node] = {}
    frontier: list[Node] = [node]
    while frontier:
        current = frontier.pop(0)
        for _, handle in current.links():
            if handle.node.index not in seen:
                seen[handle.node.index] = handle.node
                frontier.append(handle.node)
    return list(seen.values())


def descendants(graph: Graph, node: Node) -> list[Node]:
    """Every node that depends on ``node``, in graph order."""
    return [other for other in graph if node in ancestors(other)]


def has_path(a: Node, b: Node) -> bool:
    """Whether data flows from ``a`` to ``b`` through links."""
    return any(n is a for n in ancestors(b))


def assert_path(a: Node, b: Node) -> None:
    """Fail unless data flows from ``a`` into ``b``."""
    if not has_path(a, b):
        raise AssertionError(f"no path from {a.describe()} to {b.describe()}")


def assert_no_path(a: Node, b: Node) -> None:
    """Fail if data flows from ``a`` into ``b``."""
    if has_path(a, b):
        raise AssertionError(f"unexpected path from {a.describe()} to {b.describe()}")


def assert_count(graph: Graph, class_type: str, expected: int) -> list[Node]:
    """Fail unless there are exactly ``expected`` nodes of ``class_type``; return them."""
    found = find(graph, class_type)
    if len(found) != expected:
        raise AssertionError(f"expected {expected} {class_type} node(s), found {len(found)}")
    return found


def literal_values(nodes: Iterable[Node], input_name: str) -> set[Any]:
    """The distinct literal values of ``input_name`` across ``nodes`` (links skipped)."""
    return {n.inputs[input_name] for n in nodes
            if input_name in n.inputs and not isinstance(n.inputs[input_name], Output)}
