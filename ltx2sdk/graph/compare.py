"""Whether two API prompts are the same graph, whatever their node ids.

Exports, imports and other tools renumber nodes; :func:`match_api` finds the one-to-one
mapping between two prompts that preserves class types, literal values (compared as
JSON, so ``1`` and ``1.0`` differ) and links, or says there is none.
:func:`assert_same_api` raises an :class:`AssertionError` naming what differs.
``_meta`` (titles) is ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from ltx2sdk.graph.core import Graph, _is_link


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


class _Prompt:
    """An API prompt as class types, literal inputs and links, by node id."""

    def __init__(self, api: Graph | Mapping[str, Any]) -> None:
        data = api.compile() if isinstance(api, Graph) else api
        self.class_type: dict[str, str] = {}
        self.literals: dict[str, dict[str, str]] = {}
        self.links: dict[str, dict[str, tuple[str, int]]] = {}
        for node_id, entry in data.items():
            nid = str(node_id)
            self.class_type[nid] = str(entry.get("class_type"))
            inputs = entry.get("inputs", {})
            self.literals[nid] = {k: _canonical(v) for k, v in inputs.items() if not _is_link(v)}
            self.links[nid] = {k: (str(v[0]), int(v[1])) for k, v in inputs.items() if _is_link(v)}
        self.consumers: dict[str, list[tuple[str, str, int]]] = {nid: [] for nid in self.class_type}
        for nid, links in self.links.items():
            for name, (src, slot) in links.items():
                if src in self.consumers:
                    self.consumers[src].append((nid, name, slot))

    def __len__(self) -> int:
        return len(self.class_type)

    def local(self, nid: str) -> str:
        """The node's own label: class, literal inputs and the names/slots of its links."""
        links = sorted((name, slot) for name, (_, slot) in self.links[nid].items())
        return _digest([self.class_type[nid], sorted(self.literals[nid].items()), links])

    def describe(self, nid: str) -> str:
        values = ", ".join(f"{k}={v}" for k, v in sorted(self.literals[nid].items()))
        return f"{self.class_type[nid]}({values})" if values else self.class_type[nid]

    def order(self) -> list[str]:
        """Dependency order (sources first); links to missing nodes are ignored."""
        placed: set[str] = set()
        order: list[str] = []
        pending = sorted(self.class_type)
        while pending:
            rest = []
            for nid in pending:
                if all(src in placed or src not in self.class_type
                       for src, _ in self.links[nid].values()):
                    order.append(nid)
                    placed.add(nid)
                else:
                    rest.append(nid)
            if len(rest) == len(pending):  # a cycle: keep going in id order
                order.extend(rest)
                break
            pending = rest
        return order


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()[:24]


def _refine(a: _Prompt, b: _Prompt) -> tuple[dict[str, str], dict[str, str]]:
    """Colour refinement over links in both directions, run on both prompts in lockstep until
    neither partition splits further. Isomorphic prompts get equal colour histograms."""

    def step(p: _Prompt, colour: dict[str, str]) -> dict[str, str]:
        return {nid: _digest([
            colour[nid],
            sorted((name, slot, colour.get(src, f"missing {src}"))
                   for name, (src, slot) in p.links[nid].items()),
            sorted((name, slot, colour[dst]) for dst, name, slot in p.consumers[nid]),
        ]) for nid in p.class_type}

    ca = {nid: a.local(nid) for nid in a.class_type}
    cb = {nid: b.local(nid) for nid in b.class_type}
    while True:
        na, nb = step(a, ca), step(b, cb)
        if (len(set(na.values())) == len(set(ca.values()))
                and len(set(nb.values())) == len(set(cb.values()))):
            return na, nb
        ca, cb = na, nb


def _search(a: _Prompt, b: _Prompt, ca: Mapping[str, str], cb: Mapping[str, str]
            ) -> dict[str, str] | None:
    """A bijection a -> b preserving colours and every link, by backtracking in a's
    dependency order (so a node's sources are always mapped before it)."""
    by_colour: dict[str, list[str]] = {}
    for nid in sorted(b.class_type):
        by_colour.setdefault(cb[nid], []).append(nid)
    order = a.order()
    mapping: dict[str, str] = {}
    used: set[str] = set()

    def fits(x: str, y: str) -> bool:
        for name, (src, slot) in a.links[x].items():
            other = b.links[y].get(name)
            if other is None or other[1] != slot:
                return False
            if src in a.class_type:
                if src in mapping and mapping[src] != other[0]:
                    return False
            elif other[0] in b.class_type:
                return False
        return True

    stack: list[Iterator[str]] = []
    depth = 0
    while depth < len(order):
        x = order[depth]
        if len(stack) == depth:
            stack.append(iter(by_colour.get(ca[x], [])))
        for y in stack[depth]:
            if y not in used and fits(x, y):
                mapping[x] = y
                used.add(y)
                depth += 1
                break
        else:
            stack.pop()
            depth -= 1
            if depth < 0:
                return None
            used.discard(mapping.pop(order[depth]))
    return mapping


def match_api(first: Graph | Mapping[str, Any], second: Graph | Mapping[str, Any]
              ) -> dict[str, str] | None:
    """A renaming of ``first``'s node ids onto ``second``'s under which both prompts have the
    same nodes (class type and literal inputs, compared as JSON so ``1`` is not ``1.0``) and
    the same links (input name, source node, output slot), or ``None`` if there is none.
    ``_meta`` (titles) is ignored. Graphs are compiled first.
    """
    a, b = _Prompt(first), _Prompt(second)
    if len(a) != len(b):
        return None
    ca, cb = _refine(a, b)
    if Counter(ca.values()) != Counter(cb.values()):
        return None
    return _search(a, b, ca, cb)


def assert_same_api(first: Graph | Mapping[str, Any], second: Graph | Mapping[str, Any]
                    ) -> dict[str, str]:
    """Like :func:`match_api`, but raise :class:`AssertionError` saying what differs."""
    mapping = match_api(first, second)
    if mapping is not None:
        return mapping
    a, b = _Prompt(first), _Prompt(second)
    lines = [f"the prompts differ ({len(a)} and {len(b)} nodes)"]
    la = Counter(a.describe(n) for n in a.class_type)
    lb = Counter(b.describe(n) for n in b.class_type)
    for label in sorted(set(la) | set(lb)):
        if la[label] != lb[label]:
            lines.append(f"  {label}: {la[label]} in the first, {lb[label]} in the second")
    if len(lines) == 1:  # same nodes, so links differ: name the nodes wired differently
        ca, cb = _refine(a, b)
        hist_a, hist_b = Counter(ca.values()), Counter(cb.values())
        for nid in a.order():
            if hist_a[ca[nid]] != hist_b[ca[nid]]:
                feeds = ", ".join(f"{name} <- {a.class_type.get(src, src)}[{slot}]"
                                  for name, (src, slot) in sorted(a.links[nid].items()))
                lines.append(f"  links differ around {a.describe(nid)} (first: {feeds})")
                break
        else:
            lines.append("  links differ")
    raise AssertionError("\n".join(lines[:20]))
