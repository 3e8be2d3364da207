"""An editor workflow (what ComfyUI's "Save" writes) as an API prompt, as the editor makes it.

The editor's own "Export (API)" (``graphToPrompt``) is the model: what it would queue, this
gives.

* Each node's ``widgets_values`` become named inputs by the node's schema
  (:mod:`.widgets`); a linked input takes the link.
* Subgraph instances (``definitions.subgraphs``) are expanded, nested to any depth; their
  nodes get the editor's path ids (node 41 of instance 92: ``"92:41"``; deeper:
  ``"92:17:3"``). A subgraph input takes the instance's link, else the value of its
  promoted widget (``properties.proxyWidgets`` included: a value promoted from an inner
  node replaces that node's own; a promoted widget with no value on the instance gives the
  inner widget's own value to every input its subgraph input feeds).
* Nodes that live only in the editor are resolved here and never sent: a ``Reroute`` passes
  its link on, a ``PrimitiveNode`` gives its value to the widgets it feeds, notes are
  dropped. Nodes the server runs (``PrimitiveInt``, ``ComfySwitchNode``,
  ``ComfyMathExpression``, ...) stay nodes: the server computes them.
* A muted node (mode 2) is not sent and its consumers lose the link (a widget input keeps its
  widget value); a bypassed node (mode 4) is not sent and passes on an input of its output's
  type: the input in the same slot when its type fits, else the first input of exactly that
  type, else of a fitting type. A muted or bypassed subgraph instance does the same for all
  it holds (the editor still sends the inner nodes of one nested in another instance,
  which nothing reads and ComfyUI does not run; they are left out here).
* A ``CustomCombo`` sends its ``index`` and options (``option1``, ...) beside its choice, as
  the editor's extension grows them.
* Titles are kept as ``_meta.title`` (a node without one: its schema's display name).
* A widget value that is a list (a multi-select combo's) is sent as ``{"__value__": [...]}``,
  as the editor sends it: a bare list would read as a link; ComfyUI unwraps it.

A workflow that cannot be read is an :class:`~ltx2sdk.errors.EditorWorkflowError` naming the
node (id, title, type) and what is wrong; a node type the schemas do not have is an
:class:`~ltx2sdk.errors.UnknownNodeTypeError` naming it, with the nearest known name when it
looks like a typo and where a schema for it can be had (:func:`unknown_type_message`). A
dynamic combo's sub-widgets whose order the schemas lost (a key-sorted dump, and not in
:data:`~ltx2sdk.graph.editor.widgets.SUB_WIDGET_ORDER`) are read in the order given; values
that do not fit that reading are an :class:`~ltx2sdk.errors.EditorWorkflowError` saying the
order is unknown, never inputs read misaligned.

Import rule: as the package (:mod:`ltx2sdk.graph.editor`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ltx2sdk.errors import EditorWorkflowError, GraphError, UnknownNodeTypeError
from ltx2sdk.graph.editor.widgets import CONTROL_MODES, widget_names, widget_values_to_inputs
from ltx2sdk.graph.schema import NodeSchema, SchemaSet, parse_node_info, types_compatible

__all__ = [
    "EDITOR_WORKFLOW",
    "FRONTEND_ONLY_TYPES",
    "EditorImport",
    "as_api_prompt",
    "default_schemas",
    "import_workflow",
    "is_editor_workflow",
    "unknown_type_message",
    "workflow_to_api",
]

ApiPrompt = dict[str, dict[str, Any]]

MODE_MUTED = 2
MODE_BYPASS = 4
SUBGRAPH_INPUT_NODE = -10  # the id a subgraph's inputs have inside it
REROUTE = "Reroute"
PRIMITIVE = "PrimitiveNode"
NOTE_TYPES = frozenset({"Note", "MarkdownNote"})
CUSTOM_COMBO = "CustomCombo"  # its options are widgets the editor's extension grows
FRONTEND_ONLY_TYPES = frozenset({REROUTE, PRIMITIVE, *NOTE_TYPES})
"""Node types that exist only in the editor: resolved here, never sent to a server."""

EDITOR_WORKFLOW = 'this is an editor workflow (ComfyUI\'s "Save", not "Export (API)")'
"""How messages name an editor workflow met where an API prompt was expected."""

CORE_PRIMITIVES: dict[str, dict[str, Any]] = {
    f"Primitive{name}": {
        "input": {"required": {"value": [kind, options]}},
        "input_order": {"required": ["value"]}, "output": [kind],
        "output_name": [kind], "display_name": title, "output_node": False}
    for name, kind, options, title in (
        ("Int", "INT", {"control_after_generate": "fixed", "min": -(2 ** 63) + 1,
                        "max": 2 ** 63 - 1}, "Int"),
        ("Float", "FLOAT", {"min": -(2 ** 63) + 1, "max": 2 ** 63 - 1, "step": 0.1}, "Float"),
        ("String", "STRING", {"multiline": False}, "Text"),
        ("StringMultiline", "STRING", {"multiline": True}, "Text (Multiline)"),
        ("Boolean", "BOOLEAN", {}, "Boolean"))}
"""ComfyUI's primitive nodes (``PrimitiveInt``, ...) as ComfyUI 0.38.1's ``/object_info``
declares them: the official templates feed their knobs through them, and the bundled
releases keep only the SDK's own node types."""

_NO_VALUE: Any = object()  # an inner widget with no stored value (None is a value)
_MAX_DEPTH = 1000  # links followed through reroutes and bypassed nodes before giving up


def is_editor_workflow(data: object) -> bool:
    """Whether ``data`` is an editor workflow (a ``nodes`` list and ``links``), not an API
    prompt (node ids to ``{"class_type", "inputs"}``)."""
    return (isinstance(data, Mapping) and isinstance(data.get("nodes"), list)
            and ("links" in data or "version" in data or "last_node_id" in data))


@dataclass(frozen=True)
class _Out:
    """An output slot of a placed node (by its path id)."""

    node: str
    slot: int


@dataclass(frozen=True)
class _Lit:
    """A literal value: a primitive's, or a subgraph instance's promoted widget."""

    value: Any


_Source = _Out | _Lit | None


@dataclass
class _Placed:
    """An editor node placed in the expanded graph, its links resolved one level."""

    uid: str
    ui: Mapping[str, Any]
    links: dict[str, _Source] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # promoted inner widgets

    @property
    def kind(self) -> str:
        return str(self.ui.get("type"))

    @property
    def mode(self) -> int:
        mode = self.ui.get("mode", 0)
        return mode if isinstance(mode, int) else 0

    def describe(self) -> str:
        title = self.ui.get("title")
        named = f" '{title}'" if isinstance(title, str) and title else ""
        return f"node {self.uid}{named} ({self.kind})"


@dataclass(frozen=True)
class EditorImport:
    """What :func:`import_workflow` made: the API prompt, and ``notes`` on what was left
    out or filled in on the way that is not plain editor bookkeeping: an input that lost its
    link (its source muted, bypassed with nothing to pass on, or gone), a widget the node was
    saved with that its schema lacks (saved by another release), a widget no value was saved
    for (its default used)."""

    api: ApiPrompt
    notes: tuple[str, ...]


def _links(graph: Mapping[str, Any]) -> dict[int, tuple[int, int, int, int]]:
    """``link id -> (origin node, origin slot, target node, target slot)``: the top level's
    ``[id, from, from slot, to, to slot, type]`` lists and a subgraph's link objects."""
    table: dict[int, tuple[int, int, int, int]] = {}
    for link in graph.get("links") or []:
        try:
            if isinstance(link, Mapping):
                table[int(link["id"])] = (int(link["origin_id"]), int(link["origin_slot"]),
                                          int(link["target_id"]), int(link["target_slot"]))
            else:
                table[int(link[0])] = (int(link[1]), int(link[2]), int(link[3]), int(link[4]))
        except (KeyError, IndexError, TypeError, ValueError):
            raise EditorWorkflowError(f"link {_short_json(link)} is not [id, from node, from "
                                      "slot, to node, to slot, type]") from None
    return table


def _short_json(value: Any, limit: int = 60) -> str:
    """``value`` as short JSON text for a message."""
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _id_key(uid: str) -> tuple[tuple[int, str], ...]:
    """Path ids in numeric order: ``"9" < "10" < "10:2"``."""
    return tuple((int(part), "") if part.lstrip("-").isdigit() else (0, part)
                 for part in uid.split(":"))


def _proxy_entries(node: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    """``properties.proxyWidgets`` of a subgraph instance as ``(inner node id, widget)``
    pairs (some frontends store it as JSON text; a third element is ignored)."""
    raw = (node.get("properties") or {}).get("proxyWidgets")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError:
            raise EditorWorkflowError("properties.proxyWidgets is not JSON", node=where) from None
    entries: list[tuple[str, str]] = []
    for entry in raw or []:
        if not isinstance(entry, (list, tuple)) or len(entry) < 2:
            raise EditorWorkflowError(f"a proxyWidgets entry {_short_json(entry)} is not "
                                      "[node id, widget name]", node=where)
        entries.append((str(entry[0]), str(entry[1])))
    return entries


class _Importer:
    """Expands a workflow's subgraphs (phase 1), then resolves and emits it (phase 2)."""

    def __init__(self, workflow: Mapping[str, Any], schemas: Mapping[str, NodeSchema],
                 keep_bypassed: bool) -> None:
        self.schemas = schemas
        self.keep_bypassed = keep_bypassed
        definitions = workflow.get("definitions") or {}
        self.subgraphs: dict[str, Mapping[str, Any]] = {
            str(sg.get("id")): sg for sg in definitions.get("subgraphs") or []
            if isinstance(sg, Mapping)}
        self.placed: dict[str, _Placed] = {}
        self.notes: list[str] = []
        self.group_nodes = set((workflow.get("extra") or {}).get("groupNodes") or {})

    # --- phase 1: subgraphs expanded ----------------------------------------------------------

    def expand(self, graph: Mapping[str, Any], prefix: str, boundary: Sequence[_Source],
               overrides: Mapping[str, Mapping[str, Any]], depth: int = 0) -> list[_Source]:
        """Place ``graph``'s nodes under ``prefix``; the sources of its outputs."""
        if depth > 64:
            raise EditorWorkflowError(f"subgraphs nested more than 64 deep at {prefix!r} "
                                      "(a subgraph that holds itself?)")
        links = _links(graph)
        nodes: dict[int, Mapping[str, Any]] = {}
        for node in graph.get("nodes") or []:
            if not isinstance(node, Mapping) or not isinstance(node.get("type"), str):
                raise EditorWorkflowError(f"{prefix or 'the workflow'}: a node without a type: "
                                          f"{_short_json(node)}")
            try:
                nodes[int(node["id"])] = node
            except (KeyError, TypeError, ValueError):
                raise EditorWorkflowError(f"a {node['type']} node without a number id: "
                                          f"{_short_json(node.get('id'))}") from None
        instance_outputs: dict[int, list[_Source]] = {}

        def instance(node_id: int) -> list[_Source]:
            if node_id not in instance_outputs:
                instance_outputs[node_id] = []  # a link cycle through instances ends here
                instance_outputs[node_id] = self.expand_instance(
                    nodes[node_id], prefix, resolve, depth, overrides.get(str(node_id), {}))
            return instance_outputs[node_id]

        def resolve(link_id: Any) -> _Source:
            if link_id is None:
                return None
            link = links.get(int(link_id))
            if link is None:  # the editor drops a link it does not have, as here
                return None
            origin, slot = link[0], link[1]
            if origin == SUBGRAPH_INPUT_NODE:
                return boundary[slot] if 0 <= slot < len(boundary) else None
            node = nodes.get(origin)
            if node is None:
                self.notes.append(f"{prefix}{origin}: link {link_id} comes from a node that "
                                  "does not exist")
                return None
            if node["type"] in self.subgraphs:
                outputs = instance(origin)
                return outputs[slot] if 0 <= slot < len(outputs) else None
            return _Out(f"{prefix}{origin}", slot)

        for node_id, node in sorted(nodes.items()):
            if node["type"] in self.subgraphs:
                instance(node_id)
                continue
            placed = _Placed(f"{prefix}{node_id}", node,
                             overrides=dict(overrides.get(str(node_id), {})))
            for entry in node.get("inputs") or []:
                if isinstance(entry, Mapping) and entry.get("link") is not None:
                    placed.links[str(entry.get("name"))] = resolve(entry["link"])
            self.placed[placed.uid] = placed

        outputs: list[_Source] = []
        for output in graph.get("outputs") or []:
            link_ids = output.get("linkIds") or []
            outputs.append(resolve(link_ids[0]) if link_ids else None)
        return outputs

    def expand_instance(self, node: Mapping[str, Any], prefix: str,
                        resolve: Callable[[Any], _Source], depth: int,
                        promoted_here: Mapping[str, Any]) -> list[_Source]:
        """Expand one subgraph instance; the sources of its outputs. ``promoted_here``: the
        values the instance it sits in promotes onto its widgets (``proxyWidgets``)."""
        definition = self.subgraphs[node["type"]]
        uid = f"{prefix}{node['id']}"
        where = _Placed(uid, node).describe()
        linked = {str(e.get("name")): e.get("link") for e in node.get("inputs") or []
                  if isinstance(e, Mapping)}
        promoted, overrides = self.instance_widgets(node, definition, where)
        promoted.update(promoted_here)  # the outer instance's value wins, as in the editor
        boundary: list[_Source] = []
        for sg_input in definition.get("inputs") or []:
            name = str(sg_input.get("name"))
            if linked.get(name) is not None:
                boundary.append(resolve(linked[name]))
            elif name in promoted:
                boundary.append(_Lit(promoted[name]))
            else:
                boundary.append(None)
        mode = node.get("mode", 0)
        if mode == MODE_MUTED or (mode == MODE_BYPASS and not self.keep_bypassed):
            return self.disabled_instance(definition, boundary, mode)
        return self.expand(definition, f"{uid}:", boundary, overrides, depth + 1)

    @staticmethod
    def disabled_instance(definition: Mapping[str, Any], boundary: Sequence[_Source],
                          mode: Any) -> list[_Source]:
        """A muted instance gives nothing; a bypassed one passes on a fitting input."""
        inputs = list(definition.get("inputs") or [])
        result: list[_Source] = []
        for slot, output in enumerate(definition.get("outputs") or []):
            if mode != MODE_BYPASS:
                result.append(None)
                continue
            index = _bypass_index([str(i.get("type", "*")) for i in inputs], slot,
                                  str(output.get("type", "*")))
            result.append(boundary[index] if index is not None and index < len(boundary)
                          else None)
        return result

    def instance_widgets(self, node: Mapping[str, Any], definition: Mapping[str, Any],
                         where: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """An instance's promoted widget values: ``(by subgraph input name, {inner node id:
        {widget: value}})``, the second for inner widgets no subgraph input feeds."""
        names = [str(i.get("name")) for i in definition.get("inputs") or []]
        values = node.get("widgets_values")
        if isinstance(values, Mapping):
            return {k: v for k, v in values.items() if k in names}, {}
        stored = list(values or [])
        proxies = _proxy_entries(node, where)
        if proxies and not all(node_id == "-1" for node_id, _ in proxies):
            return self.proxy_widgets(definition, proxies, stored, where)
        if proxies:
            promoted = [widget for _, widget in proxies]
        else:
            promoted = self.promoted_inputs(node, definition, len(stored))
        if len(stored) > len(promoted):
            raise EditorWorkflowError(f"{len(stored)} widget values for the promoted inputs "
                                      f"{promoted}", node=where)
        return dict(zip(promoted, stored, strict=False)), {}  # a value may be missing

    @staticmethod
    def promoted_inputs(node: Mapping[str, Any], definition: Mapping[str, Any],
                        count: int) -> list[str]:
        """The subgraph inputs an instance shows as widgets, in order. The editor shows one
        for a subgraph input that feeds widgets; the instance's saved inputs mark theirs
        (``"widget": {...}``), though not in every frontend release: of the readings, the
        first that accounts for the ``count`` values stored is taken."""
        inputs = [sg for sg in definition.get("inputs") or [] if isinstance(sg, Mapping)]
        names = [str(sg.get("name")) for sg in inputs]
        readings = [
            [name for name, sg in zip(names, inputs, strict=True) if _feeds_widget(definition, sg)],
            [str(e.get("name")) for e in node.get("inputs") or []
             if isinstance(e, Mapping) and e.get("widget") and str(e.get("name")) in names],
            [name for name, sg in zip(names, inputs, strict=True)
             if _feeds_widget(definition, sg, every=False)],
        ]
        return next((r for r in readings if len(r) == count), readings[0])

    def proxy_widgets(self, definition: Mapping[str, Any], proxies: Sequence[tuple[str, str]],
                      values: Sequence[Any], where: str
                      ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Widgets of inner nodes promoted through ``proxyWidgets``: entry ``i`` is shown on
        the instance and ``widgets_values[i]`` is its value there. A value goes to the
        subgraph input feeding that widget, else replaces the inner node's value; an entry
        with no value (older frontends stored none) keeps the inner node's own."""
        if len(values) > len(proxies):
            raise EditorWorkflowError(f"{len(values)} widget values for {len(proxies)} "
                                      "proxyWidgets", node=where)
        inner = {str(n.get("id")): n for n in definition.get("nodes") or []
                 if isinstance(n, Mapping)}
        targets = _links(definition)
        feeding: dict[tuple[str, str], str] = {}
        for sg_input in definition.get("inputs") or []:
            for link_id in sg_input.get("linkIds") or []:
                _, _, target_id, slot = targets.get(int(link_id), (0, 0, 0, -1))
                entries = (inner.get(str(target_id)) or {}).get("inputs") or []
                if 0 <= slot < len(entries) and entries[slot].get("widget"):
                    feeding[(str(target_id), str(entries[slot].get("name")))] = str(
                        sg_input.get("name"))
        by_input: dict[str, Any] = {}
        overrides: dict[str, dict[str, Any]] = {}
        input_names = {str(i.get("name")) for i in definition.get("inputs") or []}
        for index, (node_id, widget) in enumerate(proxies):
            has_value = index < len(values)
            if node_id == "-1":
                if widget not in input_names:
                    raise EditorWorkflowError(f"proxy widget {widget!r} is no input of its "
                                              "subgraph", node=where)
                if has_value:
                    by_input[widget] = values[index]
                continue
            target = inner.get(node_id)
            if target is None:
                raise EditorWorkflowError(f"proxy widget [{node_id}, {widget!r}] names no node "
                                          "of its subgraph", node=where)
            sg_input_name = feeding.get((node_id, widget))
            if sg_input_name is not None:
                if has_value:
                    by_input[sg_input_name] = values[index]
                elif sg_input_name not in by_input:
                    # no value on the instance: the promoted widget shows the inner one's,
                    # and the editor gives that value to every input the subgraph input
                    # feeds, plain inputs too (not only to the widget itself)
                    own = self.inner_widget_value(target, widget)
                    if own is not _NO_VALUE:
                        by_input[sg_input_name] = own
                continue
            if _shows_no_input(widget):  # promoted for the eye: nothing to send
                continue
            nested = self.subgraphs.get(str(target.get("type")))
            if nested is not None:  # a widget of a nested instance: one of its inputs
                names = {str(i.get("name")) for i in nested.get("inputs") or []}
                if widget not in names:
                    raise EditorWorkflowError(f"proxy widget [{node_id}, {widget!r}]: its "
                                              "subgraph has no such input", node=where)
            schema = None if nested is not None else self.schemas.get(str(target.get("type")))
            if schema is not None:
                current = widget_values_to_inputs(schema, target.get("widgets_values"))
                if widget not in widget_names(schema, current):
                    raise EditorWorkflowError(f"proxy widget [{node_id}, {widget!r}]: "
                                              f"{target.get('type')} has no such widget",
                                              node=where)
            if has_value:
                overrides.setdefault(node_id, {})[widget] = values[index]
        return by_input, overrides

    def inner_widget_value(self, node: Mapping[str, Any], widget: str) -> Any:
        """The value an inner node stores for its widget ``widget`` (read by its schema);
        :data:`_NO_VALUE` when its type has no schema or it stores none."""
        schema = self.schemas.get(str(node.get("type")))
        if schema is None:
            return _NO_VALUE
        stored = node.get("widgets_values")
        if stored is not None and not isinstance(stored, (list, Mapping)):
            return _NO_VALUE
        return widget_values_to_inputs(schema, stored).get(widget, _NO_VALUE)

    # --- phase 2: resolved and emitted --------------------------------------------------------

    def final(self, source: _Source, depth: int = 0) -> _Source:
        """Where a link really comes from: through reroutes, primitives, disabled nodes."""
        if depth > _MAX_DEPTH:
            raise EditorWorkflowError("a cycle of links through reroutes or bypassed nodes")
        if not isinstance(source, _Out):
            return source
        placed = self.placed.get(source.node)
        if placed is None:
            return None
        if placed.kind in NOTE_TYPES or placed.mode == MODE_MUTED:
            return None
        if placed.mode == MODE_BYPASS and not self.keep_bypassed:
            return self.final(self.bypassed(placed, source.slot), depth + 1)
        if placed.kind == REROUTE:
            return self.final(next(iter(placed.links.values()), None), depth + 1)
        if placed.kind == PRIMITIVE:
            values = placed.ui.get("widgets_values")
            if isinstance(values, list) and values:
                return _Lit(values[0])
            return None
        return source

    def bypassed(self, placed: _Placed, slot: int) -> _Source:
        """What bypassed node ``placed`` passes on from output ``slot``."""
        outputs = placed.ui.get("outputs") or []
        if not 0 <= slot < len(outputs):
            return None
        inputs = [e for e in placed.ui.get("inputs") or [] if isinstance(e, Mapping)]
        index = _bypass_index([str(e.get("type", "*")) for e in inputs], slot,
                              str(outputs[slot].get("type", "*")))
        if index is None:
            return None
        return placed.links.get(str(inputs[index].get("name")))

    def schema(self, placed: _Placed) -> NodeSchema:
        schema = self.schemas.get(placed.kind)
        if schema is not None:
            return schema
        if placed.kind in self.group_nodes or placed.kind.startswith("workflow>"):
            raise EditorWorkflowError("a group node (the editor's older form of a subgraph) "
                                      "is not supported: convert it to a subgraph in the "
                                      "editor and save again", node=placed.describe())
        raise UnknownNodeTypeError(unknown_type_message(placed.kind, self.schemas),
                                   node=placed.describe())

    def inputs(self, placed: _Placed, schema: NodeSchema) -> dict[str, Any]:
        """A node's API inputs: its widget values, replaced by its resolved links."""
        values = placed.ui.get("widgets_values")
        named = placed.ui.get("widgets_values_named")  # written beside them by newer editors
        if values is None:
            values = named
        if values is not None and not isinstance(values, (list, Mapping)):
            raise EditorWorkflowError(f"widgets_values is {type(values).__name__}, not a list",
                                      node=placed.describe())
        missing: list[str] = []
        misfits: list[str] = []
        result = widget_values_to_inputs(schema, values, missing=missing, misfits=misfits)
        if misfits:
            raise EditorWorkflowError(_misfit_message(schema, result, misfits),
                                      node=placed.describe())
        if placed.kind == CUSTOM_COMBO and isinstance(values, list):
            result.update(_custom_combo_widgets(values, result.get("choice")))
        self.widget_notes(placed, schema, result, named if isinstance(named, Mapping)
                          else values if isinstance(values, Mapping) else {}, missing)
        if placed.overrides:
            known = widget_names(schema, {**result, **placed.overrides})
            unknown = sorted(set(placed.overrides) - set(known))
            if unknown:
                raise EditorWorkflowError(f"promoted widgets {unknown} are not widgets of "
                                          f"{placed.kind}", node=placed.describe())
            result.update(placed.overrides)
        # as the editor sends them: a list value wrapped, so that it is not read as a link
        result = {name: {"__value__": value} if isinstance(value, list) else value
                  for name, value in result.items()}
        for name, source in placed.links.items():
            resolved = self.final(source)
            if isinstance(resolved, _Lit):  # a primitive's or a promoted widget's value
                value = resolved.value
                result[name] = {"__value__": value} if isinstance(value, list) else value
            elif isinstance(resolved, _Out):
                result[name] = [resolved.node, resolved.slot]
            elif name not in result:
                self.notes.append(f"{placed.uid} {placed.kind}: input {name!r} lost its link "
                                  "(source removed)")
        rank = {spec.name: index for index, spec in enumerate(schema.inputs)}
        return {name: result[name] for name in sorted(
            result, key=lambda n: (rank.get(n.split(".")[0], len(rank)), n))}

    def widget_notes(self, placed: _Placed, schema: NodeSchema, read: Mapping[str, Any],
                     named: Mapping[str, Any], missing: Sequence[str]) -> None:
        """Notes on widgets a node was saved with that its schema does not have (saved by
        another release of it), and on widgets it has and no value was saved for."""
        known = set(widget_names(schema, read))
        for key, value in named.items():
            if key in known or key in ("control_after_generate", "control_filter_list",
                                       "upload", "audioUI") or (
                                           isinstance(value, str) and value in CONTROL_MODES):
                continue
            self.notes.append(f"{placed.uid} {placed.kind}: dropped widget {key}={value!r} "
                              "(not an input in object_info)")
        if missing and isinstance(placed.ui.get("widgets_values"), list):
            self.notes.append(f"{placed.uid} {placed.kind}: no saved value for widgets "
                              f"{list(missing)!r} (an older frontend); defaults used")

    def emit(self) -> ApiPrompt:
        api: ApiPrompt = {}
        for uid in sorted(self.placed, key=_id_key):
            placed = self.placed[uid]
            if placed.kind in FRONTEND_ONLY_TYPES or placed.mode == MODE_MUTED:
                continue
            if placed.mode == MODE_BYPASS and not self.keep_bypassed:
                continue
            schema = self.schema(placed)
            title = placed.ui.get("title")
            api[uid] = {"inputs": self.inputs(placed, schema), "class_type": placed.kind,
                        "_meta": {"title": title if isinstance(title, str) and title
                                  else schema.title}}
        return api


TYPO_CUTOFF = 0.85
"""How alike (``difflib`` ratio) an unknown node type and a known one must be for the
second to be offered as a typo's fix: ``ImageInvertt``/``ImageInvert`` are, ``SaveImage``/
``LoadImage`` (two real nodes, 0.78) are not."""


def unknown_type_message(kind: str, schemas: Mapping[str, NodeSchema]) -> str:
    """One line on a node type ``schemas`` lack: the nearest known name only when it looks
    like a typo (:data:`TYPO_CUTOFF`), and where its schema can be had: the SDK's bundled
    schemas hold only its own node set, not a whole server's."""
    near = difflib.get_close_matches(kind, list(schemas), n=1, cutoff=TYPO_CUTOFF)
    typo = f" (did you mean {near[0]}?)" if near else ""
    version = getattr(schemas, "comfyui_version", None)
    if getattr(schemas, "bundled", False):
        release = f" of ComfyUI {version}" if version else ""
        where = (f"the SDK's bundled schemas{release} hold only its own node set (the LTX "
                 "pipelines'), not a whole server's: read it with the schemas of a server "
                 "that has it (schemas=ComfyClient(url).schemas(), or --server)")
    else:
        label = f"ComfyUI {version}" if version else "these schemas"
        where = (f"{label} does not have it (a custom node?): read it with the schemas of a "
                 "server that has it")
    return f"unknown node type '{kind}'{typo}: {where}"


def _misfit_message(schema: NodeSchema, read: Mapping[str, Any], misfits: Sequence[str]
                    ) -> str:
    """One line on widget values read in a guessed sub-widget order that do not fit."""
    first = misfits[0]
    combo = first.rsplit(".", 1)[0]
    return (f"the order of the widgets of {schema.class_type}'s {combo!r} = "
            f"{read.get(combo)!r} is unknown for these schemas (they list them sorted, as a "
            f"dump does; a live server's /object_info keeps the node's order), and "
            f"{first!r} = {read.get(first)!r} does not fit its type: read it with a live "
            "server's schemas")


def _custom_combo_widgets(stored: Sequence[Any], choice: Any) -> dict[str, Any]:
    """What the editor's CustomCombo extension sends beside ``choice``: a text widget per
    option (``option1``, ...; it keeps one empty option last, adding one after a filled
    last option and reading no value past it), and ``index``, the choice's place among the
    options (-1: none), worked out again rather than read (``stored``: the node's
    ``widgets_values``, ``[choice, index, option1, ...]``)."""
    options: list[Any] = [""]
    for place, value in enumerate(stored[2:]):
        if place >= len(options):
            break  # no widget for it: the editor reads no value past its empty last option
        options[place] = value
        if place == len(options) - 1 and value:
            options.append("")  # a filled last option grows an empty one
        elif not value and place == len(options) - 2 and not options[-1]:
            options.pop()  # two empty options last: the editor drops one
    return {"index": next((i for i, o in enumerate(options) if o == choice), -1),
            **{f"option{i}": value for i, value in enumerate(options, start=1)}}


DISPLAY_WIDGETS = frozenset({"control_after_generate", "control_filter_list", "upload",
                             "audioUI", "preview_text"})
"""Widgets the editor shows on a node that hold no input (a seed's control, an upload
button, a preview); names starting with ``$$`` are the editor's own too."""


def _shows_no_input(widget: str) -> bool:
    """Whether a promoted widget is one of the editor's own, holding no input."""
    return widget in DISPLAY_WIDGETS or widget.startswith("$$")


def _feeds_widget(definition: Mapping[str, Any], sg_input: Mapping[str, Any], *,
                  every: bool = True) -> bool:
    """Whether every link (``every=False``: any link) of subgraph input ``sg_input`` goes to
    a widget input."""
    inner = {int(n["id"]): n for n in definition.get("nodes") or []
             if isinstance(n, Mapping) and isinstance(n.get("id"), int)}
    targets = _links(definition)
    found = False
    for link_id in sg_input.get("linkIds") or []:
        _, _, target_id, slot = targets.get(int(link_id), (0, 0, 0, -1))
        entries = (inner.get(target_id) or {}).get("inputs") or []
        to_widget = 0 <= slot < len(entries) and bool(entries[slot].get("widget"))
        if every and not to_widget:
            return False
        found = found or to_widget
    return found


def _bypass_index(input_types: Sequence[str], slot: int, output_type: str) -> int | None:
    """The input a bypassed node passes on as output ``slot``, as the editor picks it: for
    a wildcard output, the same slot (else the first); the same slot when its type fits;
    else the first input of exactly the output's type, else the first that fits."""
    if not input_types:
        return None
    if output_type in ("*", ""):
        return slot if slot < len(input_types) else 0
    if slot < len(input_types) and types_compatible(input_types[slot], output_type):
        return slot
    for index, kind in enumerate(input_types):
        if kind == output_type:
            return index
    for index, kind in enumerate(input_types):
        if types_compatible(kind, output_type):
            return index
    return None


def import_workflow(workflow: Mapping[str, Any], schemas: Mapping[str, NodeSchema], *,
                    keep_bypassed: bool = False) -> EditorImport:
    """An editor workflow as the API prompt the editor would queue, with notes (see the
    module's description). ``schemas`` must have every node type the workflow sends (a
    server's: ``SchemaSet.from_object_info``, or a bundled release's). ``keep_bypassed``
    treats bypassed nodes as active (what the workflow would run with them switched on)."""
    if not is_editor_workflow(workflow):
        raise EditorWorkflowError("not an editor workflow: it has no 'nodes' list and 'links' "
                                  "(an API prompt? load it with Graph.from_api)")
    importer = _Importer(workflow, schemas, keep_bypassed)
    importer.expand(workflow, "", [], {})
    api = importer.emit()
    return EditorImport(api=api, notes=tuple(dict.fromkeys(importer.notes)))


def workflow_to_api(workflow: Mapping[str, Any], schemas: Mapping[str, NodeSchema]
                    ) -> ApiPrompt:
    """An editor workflow as the API prompt the editor's "Export (API)" gives (see
    :func:`import_workflow`)."""
    return import_workflow(workflow, schemas).api


def as_api_prompt(data: Mapping[str, Any],
                  schemas: Mapping[str, NodeSchema] | None = None) -> dict[str, Any]:
    """``data`` as an API prompt, wherever one is expected: an API prompt as it is (a
    copy), an editor workflow converted (:func:`workflow_to_api`) with ``schemas`` (a
    server's), or without, with :func:`default_schemas`.

    An editor workflow that cannot be converted is an
    :class:`~ltx2sdk.errors.EditorWorkflowError` that says it is one, and why (a node type
    the schemas lack is named: the schemas of the server that has it are needed).
    """
    if not is_editor_workflow(data):
        return dict(data)
    if schemas is None:
        schemas = default_schemas()
    try:
        return workflow_to_api(data, schemas)
    except GraphError as exc:
        label = getattr(schemas, "server_label", "the schemas given")
        raise EditorWorkflowError(f"{EDITOR_WORKFLOW}, read with {label}'s node schemas: "
                                  f"{exc}") from exc


def default_schemas() -> SchemaSet:
    """The schemas an editor workflow is read with when no server's are at hand: those of
    the newest ComfyUI release bundled with the SDK (its own node types), with ComfyUI's
    primitive nodes (:data:`CORE_PRIMITIVES`), which the official templates use."""
    from ltx2sdk.graph.releases import TESTED_RANGE, bundled_schemas  # start-up: data

    bundled = bundled_schemas(TESTED_RANGE[1])
    return bundled.merged(parse_node_info(name, info) for name, info in CORE_PRIMITIVES.items()
                          if name not in bundled)
