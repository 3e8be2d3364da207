"""The graph: nodes added in Python, compiled to ComfyUI API JSON.

Node ids are never chosen by hand: a node's id is its position in the graph
(``"1"``, ``"2"``, ...), assigned when the graph is compiled. Nodes can only link
to nodes added before them, so that order is always a valid execution order and
the same sequence of calls always compiles to byte-identical JSON.

Example::

    g = Graph()
    image = g.add("EmptyImage", width=64, height=64, batch_size=9)[0]
    video = g.add("CreateVideo", images=image, fps=24.0)[0]
    g.add("SaveVideo", video=video, filename_prefix="video/demo")
    api = g.compile()

Nodes added inside ``with g.group("Stage 1")`` carry that group's name (:attr:`Node.group`):
the editor export (:meth:`Graph.to_ui`) draws one group per name. Groups never change the
compiled API JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from ltx2sdk.errors import GraphError, GraphStructureError, LinkTypeError, UnknownNodeTypeError
from ltx2sdk.graph.handles import Output, make_output
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.schema import NodeSchema, OutputSpec
from ltx2sdk.graph.validation import check_node, fill_defaults

H = TypeVar("H", bound=Output)
REPR_NODES = 6
"""The most node types a graph's ``repr`` names (more: the first and last, ``...`` between)."""


class Node:
    """One node of a :class:`Graph`. Iterate it (or index it) for its output handles.

    ``group`` is the name of the group (a pipeline's stage) the node was added in
    (:meth:`Graph.group`), or ``None``: only the editor export reads it.
    """

    __slots__ = ("class_type", "graph", "group", "index", "inputs", "outputs", "schema", "title")

    def __init__(self, graph: Graph, index: int, class_type: str, title: str,
                 inputs: dict[str, Any], schema: NodeSchema | None,
                 group: str | None = None) -> None:
        self.graph = graph
        self.index = index
        self.class_type = class_type
        self.title = title
        self.inputs = inputs
        self.schema = schema
        self.group = group
        self.outputs: tuple[Output, ...] = ()

    @property
    def id(self) -> str:
        """The id this node gets in the compiled API JSON."""
        return str(self.index + 1)

    def describe(self) -> str:
        return f"{self.class_type} '{self.title}' (node {self.id})"

    def __repr__(self) -> str:
        return f"<Node {self.describe()}>"

    def __getitem__(self, slot: int) -> Output:
        if self.schema is None:  # unknown node type: any slot, untyped
            return Output(self, slot, "*", f"output {slot}")
        try:
            return self.outputs[slot]
        except IndexError:
            raise GraphError(f"has no output slot {slot} (it has {len(self.outputs)})",
                             node=self.describe()) from None

    def __iter__(self) -> Iterator[Output]:
        return iter(self.outputs)

    def __len__(self) -> int:
        return len(self.outputs)

    def out(self, slot: int, kind: type[H]) -> H:
        """Output ``slot`` as handle class ``kind``, checking its ComfyUI type."""
        handle = self[slot]
        if not isinstance(handle, kind):
            raise LinkTypeError(f"output {slot} is {handle.type}, not {kind.COMFY_TYPE}",
                                node=self.describe())
        return handle

    def links(self) -> Iterator[tuple[str, Output]]:
        """``(input name, upstream handle)`` for every linked input."""
        for name, value in self.inputs.items():
            if isinstance(value, Output):
                yield name, value

    def literals(self) -> dict[str, Any]:
        """The inputs that hold values rather than links."""
        return {k: v for k, v in self.inputs.items() if not isinstance(v, Output)}


class Graph:
    """A ComfyUI workflow under construction.

    ``schemas`` is what inputs are checked against (the SDK's LTX-2 node set by
    default; pass ``SchemaSet.from_object_info(...)`` to check against a server).
    Node types without a schema are accepted unchecked unless ``strict`` is set.
    A graph is owned by one thread at a time; separate graphs share no state.
    """

    def __init__(self, schemas: Mapping[str, NodeSchema] | None = None, *,
                 strict: bool = False) -> None:
        if schemas is None:
            schemas = LTX2_SCHEMAS
        self.schemas = schemas
        self.strict = strict
        self._nodes: list[Node] = []
        self._groups: list[str] = []  # the open group() blocks, innermost last

    # --- building -------------------------------------------------------------------------

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        """Nodes added inside the ``with`` block belong to the group ``name`` (a stage:
        "Loaders", "Stage 1"...): :meth:`to_ui` draws one editor group around each name's
        nodes. Blocks nest; a node belongs to the innermost one. A name used in several
        blocks is one group. The compiled API JSON is the same with or without groups.
        """
        if not isinstance(name, str) or not name.strip():
            raise GraphError(f"a group needs a name (a non-empty string), not {name!r}")
        self._groups.append(name)
        try:
            yield
        finally:
            self._groups.pop()

    def group_names(self) -> list[str]:
        """The names of the groups the nodes belong to, in the order each first appears."""
        return list(dict.fromkeys(n.group for n in self._nodes if n.group is not None))

    def add(self, class_type: str, inputs: Mapping[str, Any] | None = None, /, *,
            title: str | None = None, **kwargs: Any) -> Node:
        """Add a node of ``class_type`` and return it (iterate it for its outputs).

        Inputs come as keyword arguments and/or a mapping (needed for dotted names such
        as ``"resize_type.width"``); each is a literal or an :class:`Output` handle.
        Widget inputs left out get the schema's default. Raises a :class:`GraphError`
        naming the node and input for an unknown input, a missing required input,
        a link of the wrong type, or a value out of range or not among the options.
        """
        return self._add(class_type, {**(inputs or {}), **kwargs}, title, fill=True)

    def _add(self, class_type: str, values: dict[str, Any], title: str | None, *,
             fill: bool) -> Node:
        schema = self.schemas.get(class_type)
        index = len(self._nodes)
        node_title = title or (schema.title if schema else class_type)
        where = f"{class_type} '{node_title}' (node {index + 1})"
        if schema is None and self.strict:
            raise UnknownNodeTypeError(f"unknown node type '{class_type}'", node=where)
        for name, value in values.items():
            if isinstance(value, Output) and value.node.graph is not self:
                raise GraphStructureError(
                    f"input '{name}' links to {value.describe()}, which belongs to another graph",
                    node=where)
        if schema is not None:
            if fill:
                fill_defaults(schema, values)
            for problem in check_node(schema, values, where, as_loaded=not fill):
                raise problem
        node = Node(self, index, class_type, node_title, values, schema,
                    self._groups[-1] if self._groups else None)
        node.outputs = tuple(
            make_output(node, slot, _resolved_type(spec, schema, values), spec.name)
            for slot, spec in enumerate(schema.outputs if schema else ()))
        self._nodes.append(node)
        return node

    # --- reading --------------------------------------------------------------------------

    @property
    def nodes(self) -> tuple[Node, ...]:
        return tuple(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        """``<Graph 14 nodes: CheckpointLoaderSimple, ..., SaveVideo>``: how many nodes and
        their types in order, the middle elided past :data:`REPR_NODES` (one line at any
        size; ``compile()`` or ``nodes`` show the rest)."""
        count = len(self._nodes)
        if not count:
            return "<Graph: no nodes>"
        types = [node.class_type for node in self._nodes]
        if count > REPR_NODES:
            head = REPR_NODES // 2
            types = [*types[:head], "...", *types[count - (REPR_NODES - head - 1):]]
        return f"<Graph {count} node{'' if count == 1 else 's'}: {', '.join(types)}>"

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes)

    def node(self, node_id: str) -> Node:
        """The node that compiles to ``node_id``."""
        if not node_id.isdigit() or not 0 < int(node_id) <= len(self._nodes):
            raise KeyError(f"no node with id {node_id!r} (ids are 1..{len(self._nodes)})")
        return self._nodes[int(node_id) - 1]

    def output_nodes(self) -> list[Node]:
        """Nodes whose schema marks them as outputs (SaveVideo, PreviewAny, ...)."""
        return [n for n in self._nodes if n.schema is not None and n.schema.output_node]

    def validate(self) -> None:
        """Whole-graph checks on top of the per-node checks done by :meth:`add`."""
        if not self.output_nodes():
            raise GraphStructureError("the graph has no output node (for example SaveVideo), "
                                      "so ComfyUI would run nothing")

    # --- compiling ------------------------------------------------------------------------

    def compile(self) -> dict[str, dict[str, Any]]:
        """The ComfyUI API-format prompt: ``{id: {"inputs", "class_type", "_meta"}}``."""
        api: dict[str, dict[str, Any]] = {}
        for node in self._nodes:
            inputs = {
                name: [value.node.id, value.slot] if isinstance(value, Output) else value
                for name, value in node.inputs.items()
            }
            api[node.id] = {"inputs": inputs, "class_type": node.class_type,
                            "_meta": {"title": node.title}}
        return api

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`compile` serialized; identical graphs give identical bytes."""
        return json.dumps(self.compile(), indent=indent, ensure_ascii=False)

    def to_ui(self) -> dict[str, Any]:
        """The graph as a workflow for ComfyUI's editor (drag the saved JSON into it): the
        frontend's workflow schema 0.4, nodes laid out left to right along the data flow,
        one group per :meth:`group` name, every node titled, widget values in the editor's
        order (seeds ``"fixed"``). Node ids are the API ids. Identical graphs give identical
        workflows. See :mod:`ltx2sdk.graph.editor.ui_export`."""
        from ltx2sdk.graph.editor.ui_export import graph_to_ui  # start-up: the editor export

        return graph_to_ui(self._nodes)

    @classmethod
    def from_api(cls, api: Mapping[str, Any], schemas: Mapping[str, NodeSchema] | None = None,
                 *, strict: bool = False) -> Graph:
        """Load an API-format prompt (from ComfyUI's "Export (API)", another tool, or
        :meth:`compile`). Nodes are re-added in dependency order, so every input is
        validated and ids are re-assigned; ``compile()`` of the result is canonical.
        Unlike :meth:`add`, the prompt is taken as it is, by the server's own rules: no
        default is filled in (a missing required input is an error), inputs the node does
        not declare are kept and ignored, literals need only convert (``"512"`` for an INT).
        An editor workflow (ComfyUI's "Save" rather than "Export (API)") is recognised and
        loaded with :meth:`from_ui`.
        """
        from ltx2sdk.graph.editor.ui_import import is_editor_workflow  # start-up: rarely used

        if is_editor_workflow(api):  # the editor's "Save" where its "Export (API)" was meant
            return cls.from_ui(api, schemas, strict=strict)
        graph = cls(schemas, strict=strict)
        entries = _parse_api(api)
        handles: dict[str, Node] = {}
        for node_id in _topological_order(entries):
            class_type, raw_inputs, title = entries[node_id]
            values: dict[str, Any] = {}
            for name, value in raw_inputs.items():
                if _is_link(value):
                    values[name] = _resolve_link(handles, node_id, name, value, graph)
                else:
                    values[name] = value
            # as loaded: a missing input is an error here, never silently filled in
            handles[node_id] = graph._add(class_type, values, title, fill=False)
        return graph


    @classmethod
    def from_ui(cls, workflow: Mapping[str, Any],
                schemas: Mapping[str, NodeSchema] | None = None, *,
                strict: bool = False) -> Graph:
        """Load an editor workflow (what ComfyUI's "Save" writes, subgraphs and all) as the
        editor's own "Export (API)" would make it, then as :meth:`from_api` does.

        ``schemas`` tell which widget value is which input: the server's
        (``SchemaSet.from_object_info``, or a client's ``schemas()``), or by default those of
        the newest ComfyUI release bundled with the SDK (the SDK's node types and ComfyUI's
        primitive nodes: ``ui_import.default_schemas``); the graph is checked against them
        too. An editor workflow that cannot be read is an
        :class:`~ltx2sdk.errors.EditorWorkflowError` naming the node; a node type the
        schemas lack, an :class:`~ltx2sdk.errors.UnknownNodeTypeError` saying where its
        schema can be had (the nearest name too when it looks like a typo). See
        :mod:`ltx2sdk.graph.editor.ui_import` for what is resolved how.
        """
        from ltx2sdk.graph.editor.ui_import import (  # start-up: rarely used
            default_schemas,
            workflow_to_api,
        )

        readable = schemas if schemas is not None else default_schemas()
        return cls.from_api(workflow_to_api(workflow, readable), readable, strict=strict)


def _resolved_type(spec: OutputSpec, schema: NodeSchema | None, values: Mapping[str, Any]) -> str:
    """A V3 match-type output takes the type of the input sharing its template."""
    if spec.template_id is None or schema is None:
        return spec.type
    for input_spec in schema.inputs:
        if input_spec.template_id == spec.template_id:
            value = values.get(input_spec.name)
            return value.type if isinstance(value, Output) else input_spec.type
    return spec.type


def _is_link(value: Any) -> bool:
    """ComfyUI's own rule: a two-item list ``[node id string, slot int]`` is a link."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def _parse_api(api: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any], str | None]]:
    if not isinstance(api, Mapping):
        hint = ": json.loads() the text first" if isinstance(api, (str, bytes)) else ""
        raise GraphStructureError(f"an API prompt is a dict of nodes, not a "
                                  f"{type(api).__name__}{hint}")
    entries: dict[str, tuple[str, dict[str, Any], str | None]] = {}
    for node_id, entry in api.items():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("class_type"), str):
            raise GraphStructureError(f"API JSON entry {node_id!r} has no class_type")
        inputs = entry.get("inputs", {})
        if not isinstance(inputs, Mapping):
            raise GraphStructureError(f"API JSON entry {node_id!r}: 'inputs' is not an object")
        meta = entry.get("_meta")
        title = meta.get("title") if isinstance(meta, Mapping) else None
        entries[str(node_id)] = (entry["class_type"], dict(inputs), title)
    return entries


def _id_key(node_id: str) -> tuple[int, int, str]:
    # numeric ids in numeric order first, then anything else (e.g. "5:12") as text
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


def _topological_order(entries: Mapping[str, tuple[str, dict[str, Any], str | None]]) -> list[str]:
    """Dependency order; among ready nodes the lowest original id goes first (stable)."""
    deps = {
        node_id: {v[0] for v in inputs.values() if _is_link(v) and v[0] in entries}
        for node_id, (_, inputs, _) in entries.items()
    }
    order: list[str] = []
    placed: set[str] = set()
    remaining = sorted(entries, key=_id_key)
    while remaining:
        ready = next((n for n in remaining if deps[n] <= placed), None)
        if ready is None:
            raise GraphStructureError("the API JSON has a dependency cycle among nodes "
                                      + ", ".join(remaining))
        order.append(ready)
        placed.add(ready)
        remaining.remove(ready)
    return order


def _resolve_link(handles: Mapping[str, Node], node_id: str, name: str, value: list[Any],
                  graph: Graph) -> Output:
    source_id, slot = str(value[0]), int(value[1])
    source = handles.get(source_id)
    if source is None:
        raise GraphStructureError(f"API node {node_id!r} input '{name}' links to node "
                                  f"{source_id!r}, which does not exist")
    if source.schema is None:
        return source[slot]
    if not 0 <= slot < len(source.outputs):
        raise GraphStructureError(f"API node {node_id!r} input '{name}' links to output {slot} "
                                  f"of {source.describe()}, which has {len(source.outputs)}")
    return source.outputs[slot]
