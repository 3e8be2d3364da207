"""Execution order and cache keys of a validated prompt.

The order reproduces ComfyUI's scheduler, which the captures depend on (e.g. ``EmptyAudio``
runs before ``EmptyImage`` in ``success_with_audio``): nodes are gathered depth-first from each
output, with a stack, in input order; among the nodes whose inputs are ready it picks an
output (or async) node first, then a node feeding an output, then one feeding a node that
feeds an output, else the first gathered. Nodes already in the output cache are not gathered
at all, except output nodes, which are "executed" by replaying their cached UI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from typing import Any

Predicate = Callable[[str], bool]


def is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
    )


def schedule(
    prompt: dict[str, Any],
    outputs: Iterable[str],
    *,
    is_cached: Predicate,
    is_output: Predicate,
    is_async: Predicate,
) -> list[str]:
    """The order in which ComfyUI would run (or replay from cache) the nodes of ``prompt``."""
    pending: dict[str, None] = {}  # insertion-ordered set
    blocking: dict[str, dict[str, None]] = {}  # node -> nodes waiting for it
    block_count: dict[str, int] = {}

    def gather(start: str) -> None:
        stack = [start]
        links: list[tuple[str, str]] = []
        while stack:
            node_id = stack.pop()
            if node_id in pending:
                continue
            pending[node_id] = None
            block_count[node_id] = 0
            blocking[node_id] = {}
            if is_cached(node_id):
                continue  # a cached node never reads its inputs
            for value in prompt[node_id]["inputs"].values():
                if is_link(value) and value[0] in prompt:
                    if not is_cached(value[0]):
                        stack.append(value[0])
                    links.append((value[0], node_id))
        for source, target in links:
            if is_cached(source):
                continue
            gather(source)
            if target not in blocking[source]:
                blocking[source][target] = None
                block_count[target] += 1

    for output in outputs:
        gather(output)

    def pick(ready: list[str]) -> str:
        for node_id in ready:
            if is_output(node_id) or is_async(node_id):
                return node_id
        for node_id in ready:
            if any(is_output(b) for b in blocking[node_id]):
                return node_id
        for node_id in ready:
            if any(is_output(b2) for b in blocking[node_id] for b2 in blocking[b]):
                return node_id
        return ready[0]

    order: list[str] = []
    while pending:
        ready = [n for n in pending if block_count[n] == 0]
        if not ready:  # a cycle; validation normally rejects these
            break
        chosen = pick(ready)
        order.append(chosen)
        del pending[chosen]
        for blocked in blocking.pop(chosen):
            block_count[blocked] -= 1
    return order


def signatures(
    prompt: dict[str, Any], salt: Callable[[str], Hashable] | None = None
) -> dict[str, Hashable]:
    """Cache key of every node: its class, its literal inputs and its ancestors' keys.

    Two nodes (in the same or different prompts) with equal keys produce the same outputs, which
    is how ComfyUI's default cache decides what ``execution_cached`` lists. ``salt`` plays the
    part of ``IS_CHANGED`` (e.g. a loaded file's size and mtime).
    """
    memo: dict[str, Hashable] = {}

    def key(node_id: str, trail: frozenset[str]) -> Hashable:
        if node_id in memo:
            return memo[node_id]
        node = prompt.get(node_id)
        if node is None or node_id in trail:  # dangling link or cycle: never cached
            return ("unresolved", node_id)
        parts: list[Hashable] = [str(node.get("class_type")), salt(node_id) if salt else None]
        for name in sorted(node.get("inputs", {})):
            value = node["inputs"][name]
            if is_link(value):
                parts.append((name, "link", key(value[0], trail | {node_id}), value[1]))
            else:
                parts.append((name, json.dumps(value, sort_keys=True, default=str)))
        memo[node_id] = tuple(parts)
        return memo[node_id]

    return {node_id: key(node_id, frozenset()) for node_id in prompt}
