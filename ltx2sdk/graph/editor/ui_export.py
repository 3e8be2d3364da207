"""A graph as an editor workflow: what ``Graph.to_ui()`` writes.

The workflow is the frontend's schema version 0.4 (``version: 0.4``): ``nodes`` (id, type,
title, pos, size, flags, order, mode, inputs, outputs, properties, widgets_values), ``links``
as ``[id, from node, from slot, to node, to slot, type]``, ``groups`` (title, bounding,
colour), ``config`` and ``extra.ds`` (where the canvas opens). What it holds:

- a node's id is its id in the compiled API JSON (``"3"`` there, ``3`` here), its title the
  graph's title of it, its ``order`` its place in the graph (an execution order);
- ``inputs``: every link-type input the schema declares (linked or not, in schema order),
  then every linked widget input (with ``widget: {"name": ...}``, as the editor writes a
  widget a link feeds); ``outputs``: every output the schema declares, with the ids of the
  links leaving it;
- ``widgets_values``: the node's literal inputs in the editor's widget order
  (:func:`~ltx2sdk.graph.editor.widgets.inputs_to_widget_values`), each seed's control
  widget ``"fixed"`` so the editor queues the very seed built; a linked widget keeps its
  default beside the link, as in the editor;
- positions and groups from :mod:`.layout` (one group per :attr:`Node.group` name, nodes in
  columns along the data flow, nothing overlapping); the positive prompt green and the
  negative one red, as the official templates colour them.

A literal on an input the editor shows no widget for (a ``*`` input, a union of types) has
no place in a workflow: a :class:`~ltx2sdk.errors.GraphError` names the node and input rather
than leave it out. A node of a type the graph has no schema for keeps its literal inputs in
the order given (a seed's control ``"fixed"`` after it) and its links as plain slots: build
the graph with the server's schemas (``schemas=client.schemas()``) for the editor's exact
widget order. The same graph always gives the same workflow, byte for byte once serialized.

Import rule: as the package (:mod:`ltx2sdk.graph.editor`), and :mod:`ltx2sdk.graph.handles`
(the links' handles); never the core, whose ``Graph.to_ui`` calls :func:`graph_to_ui`: the
nodes are read through :class:`ExportNode`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ltx2sdk.errors import GraphError
from ltx2sdk.graph.editor import layout
from ltx2sdk.graph.editor.widgets import (
    SEED_NAMES,
    has_widget,
    inputs_to_widget_values,
    widgets,
)
from ltx2sdk.graph.handles import Output
from ltx2sdk.graph.schema import InputSpec, NodeSchema
from ltx2sdk.wording import one_line

WORKFLOW_VERSION = 0.4
"""The frontend's workflow schema version written (links as arrays)."""
GROUP_COLOURS = ("#3f789e", "#8a8", "#b58b2a", "#a1309b", "#b06634", "#88a", "#8aa", "#a88")
"""The editor's own group colours, one per group in turn."""
PROMPT_COLOURS = {"positive": ("#232", "#353"), "negative": ("#322", "#533")}
"""(colour, bgcolor) of the prompt nodes, as the official templates have them."""
MULTILINE = frozenset({"text", "prompt", "expression"})
"""STRING widgets the editor draws as a text area (``multiline`` in their schemas)."""
OPENING_SCALE = 0.75
"""The zoom the editor opens the workflow at: zoomed out, yet above 0.6, below which the
editor draws no text."""
OPENING_MARGIN = (90, 120)
"""Where the workflow's top left corner opens, in canvas units: clear of the editor's side bar,
tabs and tool bar, which lie over the canvas."""


class ExportNode(Protocol):
    """What the export reads of a node (:class:`ltx2sdk.graph.core.Node`)."""

    @property
    def index(self) -> int: ...
    @property
    def class_type(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def schema(self) -> NodeSchema | None: ...
    @property
    def outputs(self) -> tuple[Output, ...]: ...
    def describe(self) -> str: ...


def graph_to_ui(nodes: Sequence[ExportNode]) -> dict[str, Any]:
    """The editor workflow of a graph whose nodes are ``nodes`` (in graph order); see the
    module."""
    used_slots = _used_output_slots(nodes)
    slots = [_Slots(node, used_slots.get(node.index, ())) for node in nodes]
    link_ids = _number_links(nodes, slots)
    boxes = []
    for node, slot in zip(nodes, slots, strict=True):
        width, height = layout.node_size(node.title,
                                         [n for n, _t, w in slot.sockets if w is None],
                                         [name for name, _t in slot.outputs],
                                         _widget_rows(node))
        boxes.append(layout.Box(node.index, width, height, node.group,
                                tuple(v.node.index for v in node.inputs.values()
                                      if isinstance(v, Output))))
    placed = layout.lay_out(boxes)
    out_links: dict[tuple[int, int], list[int]] = {}
    links: list[list[Any]] = []
    for target, slot in zip(nodes, slots, strict=True):
        for position, (name, _type, _widget) in enumerate(slot.sockets):
            value = target.inputs.get(name)
            if not isinstance(value, Output):
                continue
            link_id = link_ids[(target.index, name)]
            source = value.node.index
            out_links.setdefault((source, value.slot), []).append(link_id)
            links.append([link_id, source + 1, value.slot, target.index + 1, position,
                          _link_type(value, _type)])
    ui_nodes = [_ui_node(node, slot, box, placed.positions[node.index], link_ids, out_links)
                for node, slot, box in zip(nodes, slots, boxes, strict=True)]
    groups = [{"id": number, "title": title, "bounding": list(bounding),
               "color": GROUP_COLOURS[(number - 1) % len(GROUP_COLOURS)], "font_size": 24,
               "flags": {}}
              for number, (title, bounding) in enumerate(placed.groups, start=1)]
    return {
        "revision": 0,
        "last_node_id": len(nodes),
        "last_link_id": len(links),
        "nodes": ui_nodes,
        "links": sorted(links),
        "groups": groups,
        "config": {},
        "extra": {"ds": _opening_view()},
        "version": WORKFLOW_VERSION,
    }


class _Slots:
    """A node's input slots (``(name, type, widget name or None)`` in the editor's order) and
    output slots (``(name, type)``)."""

    def __init__(self, node: ExportNode, used: Sequence[int]) -> None:
        schema = node.schema
        self.sockets: list[tuple[str, str, str | None]] = []
        self.outputs: list[tuple[str, str]] = []
        linked = {name: v for name, v in node.inputs.items() if isinstance(v, Output)}
        if schema is None:
            self.sockets = [(name, v.type, None) for name, v in linked.items()]
            self.outputs = [(f"output {slot}", "*") for slot in range(max(used, default=-1) + 1)]
            return
        declared: set[str] = set()
        for spec in schema.inputs:
            if spec.autogrow is not None:
                self.sockets += _autogrow_sockets(spec, linked)
                declared.update(n for n in linked if n.startswith(f"{spec.name}."))
            elif not has_widget(spec):
                value = node.inputs.get(spec.name)
                if spec.name in node.inputs and not isinstance(value, Output):
                    shown = one_line(repr(value), limit=60)
                    raise GraphError(f"holds the value {shown}, but the editor has no widget "
                                     "for this input: link a node that outputs it (a "
                                     "PrimitiveString, PrimitiveInt...) to export the graph",
                                     node=node.describe(), input_name=spec.name)
                self.sockets.append((spec.name, spec.type, None))
                declared.add(spec.name)
        widget_inputs = [(name, spec) for name, spec in _widget_specs(schema)
                         if name in linked]
        for name, spec in widget_inputs:
            self.sockets.append((name, spec.widget_type or spec.type, name))
            declared.add(name)
        # links to inputs the schema does not declare are kept (the editor shows the slot)
        self.sockets += [(name, v.type, None) for name, v in linked.items()
                         if name not in declared]
        self.outputs = [(output.name, output.type) for output in node.outputs]
        if not self.outputs and used:  # declared without outputs, yet linked from
            self.outputs = [(f"output {slot}", "*") for slot in range(max(used) + 1)]


def _autogrow_sockets(spec: InputSpec, linked: Mapping[str, Output]
                      ) -> list[tuple[str, str, str | None]]:
    """An autogrow input's slots as the editor makes them: its first names up to the last
    linked one, then one free slot (where the next link goes), at least its minimum."""
    assert spec.autogrow is not None
    grow = spec.autogrow
    last = max((i for i, name in enumerate(grow.names) if f"{spec.name}.{name}" in linked),
               default=-1)
    count = min(len(grow.names), max(grow.min, last + 2))
    return [(f"{spec.name}.{name}", grow.template.type, None) for name in grow.names[:count]]


def _widget_specs(schema: NodeSchema) -> list[tuple[str, InputSpec]]:
    """Every input that can have a widget, nested dynamic-combo sub-inputs included (by
    their dotted names), in schema order."""
    found: list[tuple[str, InputSpec]] = []

    def visit(spec: InputSpec, path: str) -> None:
        if has_widget(spec):
            found.append((path, spec))
        for subs in (spec.choices or {}).values():
            for sub in subs:
                if all(name != f"{path}.{sub.name}" for name, _ in found):
                    visit(sub, f"{path}.{sub.name}")

    for spec in schema.inputs:
        visit(spec, spec.name)
    return found


def _used_output_slots(nodes: Sequence[ExportNode]) -> dict[int, tuple[int, ...]]:
    """Node index -> the output slots other nodes link from."""
    used: dict[int, set[int]] = {}
    for node in nodes:
        for value in node.inputs.values():
            if isinstance(value, Output):
                used.setdefault(value.node.index, set()).add(value.slot)
    return {index: tuple(sorted(slots)) for index, slots in used.items()}


def _number_links(nodes: Sequence[ExportNode], slots: Sequence[_Slots]
                  ) -> dict[tuple[int, str], int]:
    """Link ids 1, 2, ... in graph order, then input slot order: (node index, input) -> id."""
    ids: dict[tuple[int, str], int] = {}
    for node, slot in zip(nodes, slots, strict=True):
        for name, _type, _widget in slot.sockets:
            if isinstance(node.inputs.get(name), Output):
                ids[(node.index, name)] = len(ids) + 1
    return ids


def _link_type(value: Output, input_type: str) -> str:
    """A link's type as the editor writes it: its output's type (the input's when the
    output is untyped)."""
    return input_type if value.type == "*" else value.type


def _api_inputs(node: ExportNode) -> dict[str, Any]:
    """The node's inputs as in API JSON (a link as ``[node id, slot]``)."""
    return {name: [str(v.node.index + 1), v.slot] if isinstance(v, Output) else v
            for name, v in node.inputs.items()}


def _widget_values(node: ExportNode) -> list[Any]:
    """``widgets_values``: by the schema; without one, the literals in the order given, a
    seed's control ``"fixed"`` after it (the editor gives an INT named so a control)."""
    if node.schema is not None:
        return inputs_to_widget_values(node.schema, _api_inputs(node), control="fixed")
    values: list[Any] = []
    for name, value in node.inputs.items():
        if not isinstance(value, Output):
            values.append(value)
            if name in SEED_NAMES and isinstance(value, int) and not isinstance(value, bool):
                values.append("fixed")
    return values


def _widget_rows(node: ExportNode) -> list[layout.Widget]:
    """The node's widget rows as :func:`layout.node_size` measures them."""
    if node.schema is None:  # as _widget_values writes them
        unknown: list[layout.Widget] = []
        for name, value in node.inputs.items():
            if not isinstance(value, Output):
                unknown.append(layout.Widget(name, str(value)))
                if name in SEED_NAMES and isinstance(value, int) and not isinstance(value, bool):
                    unknown.append(layout.Widget("control_after_generate", "fixed"))
        return unknown
    values = _api_inputs(node)
    rows = []
    for widget in widgets(node.schema, values):
        value = values.get(widget.name, widget.default)
        text = "" if isinstance(value, list) else str(value)
        label = widget.name.rsplit(".", 1)[-1]
        height = layout.WIDGET_HEIGHT
        is_text = (widget.spec.widget_type or widget.spec.type) == "STRING"
        if widget.kind == "value" and is_text and (label in MULTILINE or "\n" in text):
            height = layout.TEXT_BOX_HEIGHT
        elif widget.kind == "upload":
            height += layout.PREVIEW_HEIGHT  # the loaded file's preview under the button
        elif widget.kind == "player":
            height = 2 * layout.WIDGET_HEIGHT  # the audio player
        rows.append(layout.Widget(label, text, height))
    return rows


def _ui_node(node: ExportNode, slots: _Slots, box: layout.Box, pos: tuple[int, int],
             link_ids: Mapping[tuple[int, str], int],
             out_links: Mapping[tuple[int, int], list[int]]) -> dict[str, Any]:
    inputs = []
    for name, type_name, widget in slots.sockets:
        entry: dict[str, Any] = {"name": name, "type": type_name}
        if "." in name and widget is None:  # an autogrow slot shows its own name
            entry["label"] = name.rsplit(".", 1)[-1]
        if widget is not None:
            entry["widget"] = {"name": widget}
        linked = isinstance(node.inputs.get(name), Output)
        entry["link"] = link_ids[(node.index, name)] if linked else None
        inputs.append(entry)
    outputs = [{"name": name, "type": type_name,
                "links": sorted(out_links.get((node.index, slot), [])), "slot_index": slot}
               for slot, (name, type_name) in enumerate(slots.outputs)]
    ui: dict[str, Any] = {
        "id": node.index + 1,
        "type": node.class_type,
        "title": node.title,
        "pos": list(pos),
        "size": [box.width, box.height],
        "flags": {},
        "order": node.index,
        "mode": 0,
        "inputs": inputs,
        "outputs": outputs,
        "properties": {"Node name for S&R": node.class_type},
        "widgets_values": _widget_values(node),
    }
    colours = _prompt_colours(node)
    if colours is not None:
        ui["color"], ui["bgcolor"] = colours
    return ui


def _prompt_colours(node: ExportNode) -> tuple[str, str] | None:
    """Green for a prompt's text encoder, red for a negative prompt's."""
    if node.class_type != "CLIPTextEncode":
        return None
    kind = "negative" if "negative" in node.title.lower() else "positive"
    return PROMPT_COLOURS[kind]


def _opening_view() -> dict[str, Any]:
    """``extra.ds``: the canvas opens on the workflow's top left (the loaders, the prompt),
    at :data:`OPENING_SCALE`; the data flows on to the right."""
    return {"scale": OPENING_SCALE, "offset": list(OPENING_MARGIN)}
