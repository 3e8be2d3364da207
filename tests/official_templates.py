"""Comfy-Org's official LTX-2 templates as ComfyUI API prompts, and a pipeline summary.

The four default pipelines of ``ltx2sdk`` must compute what Comfy-Org's official
templates compute. The templates (PyPI ``comfyui-workflow-templates-json``) are in the
UI (litegraph) format, so this module provides:

* :func:`template_api` / :func:`flatten_workflow`: turn a UI workflow into the equivalent
  API-format prompt (``{"<id>": {"class_type", "inputs", "_meta"}}``): subgraph instances
  inlined, Reroutes followed, ``Primitive*`` nodes resolved to literals, bypassed (mode 4)
  nodes replaced by their matching-type input, muted (mode 2) nodes and notes dropped,
  widget values mapped to input names with ``object_info``.
* :func:`validate_api`: check an API prompt against an ``/object_info`` dump (required
  inputs present, links point at existing outputs of a compatible type, literal types and
  ranges).
* :func:`pipeline_features`: a comparison summary of any API prompt, computed by walking
  links (never by node ids), so that the SDK's compile output and a flattened template
  can be compared feature by feature.

Flattened node ids follow the ComfyUI frontend's own scheme: a top-level node keeps its
id (``"75"``), a node inside subgraph instance 92 becomes ``"92:41"`` (nested instances
chain further: ``"92:17:3"``).
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

JSONDict = dict[str, Any]
ApiPrompt = dict[str, dict[str, Any]]

TEMPLATE_PACKAGE = "comfyui_workflow_templates_json"
"""Import name of the PyPI package ``comfyui-workflow-templates-json``."""

LTX2_TEMPLATES: tuple[str, ...] = (
    "video_ltx2_t2v",
    "video_ltx2_t2v_distilled",
    "video_ltx2_i2v",
    "video_ltx2_i2v_distilled",
)
"""The four official templates the SDK's default pipelines are compared with."""

OBJECT_INFO_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "object_info_ltx2.json"
"""``/object_info`` of a real ComfyUI 0.26.0, restricted to the LTX-2 node set."""

DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
MATCH_TYPE = "COMFY_MATCHTYPE_V3"
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO", DYNAMIC_COMBO})
"""Input types the frontend shows as widgets (plus legacy combos given as a list)."""

PRIMITIVE_TYPES = frozenset({
    "PrimitiveInt", "PrimitiveFloat", "PrimitiveString", "PrimitiveStringMultiline",
    "PrimitiveBoolean",
})
"""Backend primitive nodes: resolved to literal values when flattening."""

NOTE_TYPES = frozenset({"Note", "MarkdownNote"})
REROUTE = "Reroute"
LEGACY_PRIMITIVE = "PrimitiveNode"
"""The frontend-only primitive of older workflows (its value is ``widgets_values[0]``)."""

HELPER_TYPES = frozenset({"EmptyImage", "ImageScaleBy", "GetImageSize", REROUTE,
                          LEGACY_PRIMITIVE, *PRIMITIVE_TYPES, *NOTE_TYPES})
"""Node types that only compute UI-side parameters; left out of ``class_counts``."""

MODE_MUTED = 2
MODE_BYPASS = 4
SUBGRAPH_INPUT_NODE = -10
SUBGRAPH_OUTPUT_NODE = -20

CAMERA_LORA_MARKER = "camera-control"
"""Substring that marks a camera-control LoRA file name."""

_CONTROL_VALUES = frozenset({"fixed", "randomize", "increment", "decrement"})
_UPLOAD_OPTIONS = ("image_upload", "video_upload", "audio_upload")


# --------------------------------------------------------------------------- loading


def load_object_info(path: Path | str = OBJECT_INFO_FIXTURE) -> JSONDict:
    """Load an ``/object_info`` dump (default: the LTX-2 fixture of this test suite)."""
    with open(path, encoding="utf-8") as fh:
        data: JSONDict = json.load(fh)
    return data


def load_template(name: str) -> JSONDict:
    """Load a UI-format template from the installed ``comfyui_workflow_templates_json``.

    ``name`` is the file name with or without ``.json`` (e.g. ``"video_ltx2_t2v"``).
    """
    file_name = name if name.endswith(".json") else f"{name}.json"
    resource = resources.files(TEMPLATE_PACKAGE).joinpath("templates").joinpath(file_name)
    data: JSONDict = json.loads(resource.read_text(encoding="utf-8"))
    return data


def template_api(name: str, *, include_bypassed: bool = False,
                 object_info: Mapping[str, Any] | None = None) -> ApiPrompt:
    """The official template ``name`` flattened to a ComfyUI API-format prompt.

    ``include_bypassed=True`` treats bypassed (mode 4) nodes as active, e.g. to see where
    the template's optional camera LoRAs would sit; by default they are removed exactly as
    the frontend does when it queues the workflow. ``object_info`` defaults to the
    fixture ``tests/fixtures/object_info_ltx2.json``.
    """
    info = load_object_info() if object_info is None else object_info
    api = flatten_workflow(load_template(name), info, include_bypassed=include_bypassed).api
    return resolve_static(api)


_MATH_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
}


def _eval_math(expression: str, names: Mapping[str, Any]) -> Any:
    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _MATH_OPS:
            return _MATH_OPS[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"unsupported expression {expression!r}")
    return walk(ast.parse(expression.strip(), mode="eval"))


def resolve_static(api: ApiPrompt, *, enhance: bool = False) -> ApiPrompt:
    """``api`` with what the frontend's helper nodes decide statically resolved, as ComfyUI
    would compute it, then the nodes no ``SaveVideo`` depends on dropped:

    * ``ComfyMathExpression`` with literal operands: its FLOAT (0) and INT (1) outputs become
      literals in their consumers;
    * ``ComfySwitchNode`` with a literal ``switch``: consumers take the chosen input. A switch
      between ``TextGenerateLTX2Prompt`` and the plain prompt (the LTX-2.3 templates' prompt
      enhancement) takes ``enhance`` instead: the SDK makes enhancement a request option;
    * ``LTXVImgToVideoInplace`` with ``bypass`` true returns its latent unchanged: consumers
      take that latent.

    A prompt without such nodes is returned unchanged.
    """
    api = {k: {**v, "inputs": dict(v["inputs"])} for k, v in api.items()}
    replaced: dict[tuple[str, int], Any] = {}
    for node_id, node in api.items():
        kind, inputs = node["class_type"], node["inputs"]
        if kind == "ComfyMathExpression":
            values = {k.split(".", 1)[1]: v for k, v in inputs.items()
                      if k.startswith("values.")}
            if all(not is_link(v) for v in values.values()):
                result = _eval_math(str(inputs["expression"]), values)
                replaced[(node_id, 0)] = float(result)
                replaced[(node_id, 1)] = int(result)
        elif kind == "ComfySwitchNode" and not is_link(inputs.get("switch")):
            on_true = inputs.get("on_true")
            choice = bool(inputs["switch"])
            if is_link(on_true) and api.get(str(on_true[0]), {}).get(
                    "class_type") == "TextGenerateLTX2Prompt":
                choice = enhance
            replaced[(node_id, 0)] = on_true if choice else inputs.get("on_false")
        elif kind == "LTXVImgToVideoInplace" and inputs.get("bypass") is True:
            replaced[(node_id, 0)] = inputs["latent"]
    if not replaced:
        return api

    def resolve(value: Any) -> Any:
        while is_link(value) and (str(value[0]), int(value[1])) in replaced:
            value = replaced[(str(value[0]), int(value[1]))]
        return value

    for node in api.values():
        node["inputs"] = {k: resolve(v) for k, v in node["inputs"].items()}
    removed = {node_id for node_id, _ in replaced}
    api = {k: v for k, v in api.items() if k not in removed}
    live: set[str] = set()
    todo = [k for k, v in api.items() if v["class_type"] == "SaveVideo"]
    while todo:
        node_id = todo.pop()
        if node_id in live:
            continue
        live.add(node_id)
        todo.extend(str(v[0]) for v in api[node_id]["inputs"].values()
                    if is_link(v) and str(v[0]) in api)
    return {k: v for k, v in api.items() if k in live}


# --------------------------------------------------------------------------- schemas


def _spec_type(spec: Sequence[Any]) -> str:
    """The type of an object_info input spec (legacy list combos count as ``COMBO``)."""
    kind = spec[0]
    return "COMBO" if isinstance(kind, list) else str(kind)


def _spec_options(spec: Sequence[Any]) -> Mapping[str, Any]:
    """The option dict of an object_info input spec (``{}`` when absent)."""
    if len(spec) > 1 and isinstance(spec[1], Mapping):
        return spec[1]
    return {}


def _combo_choices(spec: Sequence[Any]) -> list[Any]:
    """The allowed values of a combo spec (may be empty, e.g. model lists of a fixture)."""
    if isinstance(spec[0], list):
        return list(spec[0])
    options = _spec_options(spec).get("options", [])
    return list(options) if isinstance(options, list) else []


def is_widget(spec: Sequence[Any]) -> bool:
    """Whether the frontend shows this input as a widget (and stores a widget value)."""
    if _spec_options(spec).get("forceInput"):
        return False
    return isinstance(spec[0], list) or spec[0] in WIDGET_TYPES


def _has_control(spec: Sequence[Any]) -> bool:
    """Whether the widget is followed by a ``control_after_generate`` widget value."""
    return bool(_spec_options(spec).get("control_after_generate"))


def _has_upload(spec: Sequence[Any]) -> bool:
    """Whether the widget is followed by an upload-button widget value (LoadImage)."""
    options = _spec_options(spec)
    return any(options.get(key) for key in _UPLOAD_OPTIONS)


def ordered_inputs(schema: Mapping[str, Any]) -> list[tuple[str, Sequence[Any], bool]]:
    """``(name, spec, required)`` of a node's inputs in ``input_order`` (hidden excluded)."""
    declared = schema.get("input", {})
    order = schema.get("input_order", {})
    result: list[tuple[str, Sequence[Any], bool]] = []
    for section in ("required", "optional"):
        specs: Mapping[str, Any] = declared.get(section, {})
        names: list[str] = list(order.get(section, specs.keys()))
        names += [n for n in specs if n not in names]
        result += [(n, specs[n], section == "required") for n in names]
    return result


def _dynamic_option(spec: Sequence[Any], key: Any) -> Mapping[str, Any] | None:
    """The option of a dynamic combo spec whose ``key`` is ``key``."""
    for option in _spec_options(spec).get("options", []):
        if option.get("key") == key:
            found: Mapping[str, Any] = option
            return found
    return None


def _dynamic_sub_inputs(option: Mapping[str, Any]) -> list[tuple[str, Sequence[Any], bool]]:
    """``(name, spec, required)`` of the inputs a dynamic-combo option adds.

    The order is the option's ``input_order`` when given, else the order of the JSON
    object (a ``sort_keys`` dump loses the definition order, so positional widget
    mapping of dynamic combos is only reliable on unsorted dumps; the UI files this
    module reads store dynamic-combo nodes with ``widgets_values_named``).
    """
    return ordered_inputs({"input": option.get("inputs", {}),
                           "input_order": option.get("input_order", {})})


def widget_names(schema: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """The API input names that hold widget values, given the already chosen values.

    Dynamic-combo sub-inputs appear as dotted names (``"resize_type.width"``) for the
    option selected in ``values``.
    """
    names: list[str] = []
    for name, spec, _ in ordered_inputs(schema):
        if not is_widget(spec):
            continue
        names.append(name)
        if _spec_type(spec) == DYNAMIC_COMBO:
            option = _dynamic_option(spec, values.get(name))
            if option is not None:
                names += [f"{name}.{sub}" for sub, sub_spec, _ in _dynamic_sub_inputs(option)
                          if is_widget(sub_spec)]
    return names


def map_widget_values(schema: Mapping[str, Any], values: Sequence[Any]) -> dict[str, Any]:
    """Map a UI node's positional ``widgets_values`` to API input names.

    Every widget input of ``schema`` (in ``input_order``, linked or not) takes one value;
    a ``control_after_generate`` widget (seeds, ``PrimitiveInt``) and an upload button
    (``LoadImage``) take one more value that is dropped; a dynamic combo takes its chosen
    option, then one value per widget sub-input of that option (dotted keys).
    Raises ``ValueError`` when the count of values does not fit the schema.
    """
    queue: Iterator[Any] = iter(values)
    missing = object()
    result: dict[str, Any] = {}

    def take(name: str) -> Any:
        value = next(queue, missing)
        if value is missing:
            raise ValueError(f"{schema.get('name')}: no widget value left for {name!r} "
                             f"(values: {list(values)!r})")
        return value

    def consume(name: str, spec: Sequence[Any]) -> None:
        result[name] = take(name)
        if _has_control(spec):
            take(f"{name} (control_after_generate)")
        if _has_upload(spec):
            take(f"{name} (upload)")

    for name, spec, _ in ordered_inputs(schema):
        if not is_widget(spec):
            continue
        consume(name, spec)
        if _spec_type(spec) == DYNAMIC_COMBO:
            option = _dynamic_option(spec, result[name])
            if option is None:
                raise ValueError(f"{schema.get('name')}: {name}={result[name]!r} is no option")
            for sub, sub_spec, _ in _dynamic_sub_inputs(option):
                if is_widget(sub_spec):
                    consume(f"{name}.{sub}", sub_spec)
    leftover = list(queue)
    if leftover:
        raise ValueError(f"{schema.get('name')}: {len(leftover)} widget values left over: "
                         f"{leftover!r} (values: {list(values)!r})")
    return result


# --------------------------------------------------------------------------- flattening


@dataclass(frozen=True)
class _Out:
    """An output slot of a flat (not yet resolved) node."""

    node: str
    slot: int


@dataclass(frozen=True)
class _Lit:
    """A literal value (from a primitive, or a subgraph instance's widget)."""

    value: Any


_Source = _Out | _Lit | None


@dataclass
class _FlatNode:
    """A UI node placed in the flat graph, with its link inputs resolved one level."""

    uid: str
    ui: JSONDict
    links: dict[str, _Source] = field(default_factory=dict)


@dataclass
class FlattenResult:
    """The outcome of :func:`flatten_workflow`.

    ``api`` is the API prompt; ``notes`` lists what was dropped on the way that is not
    plain UI bookkeeping (widget values of a newer frontend unknown to ``object_info``,
    links to removed nodes).
    """

    api: ApiPrompt
    notes: list[str]


def _link_table(graph: Mapping[str, Any]) -> dict[int, tuple[int, int]]:
    """``link id -> (origin node id, origin slot)`` for list- or dict-style links."""
    table: dict[int, tuple[int, int]] = {}
    for link in graph.get("links", []):
        if isinstance(link, Mapping):
            table[int(link["id"])] = (int(link["origin_id"]), int(link["origin_slot"]))
        else:
            table[int(link[0])] = (int(link[1]), int(link[2]))
    return table


def _types_overlap(a: str, b: str) -> bool:
    """Whether two (possibly comma-separated union) type strings share a type."""
    if "*" in (a, b):
        return True
    return bool(set(a.split(",")) & set(b.split(",")))


def _id_key(uid: str) -> tuple[int | str, ...]:
    """Sort key of flat ids like ``"92:41"`` (numeric parts compare as numbers)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[:]", uid))


class _Flattener:
    """Inline subgraphs of a UI workflow and resolve it to an API prompt."""

    def __init__(self, workflow: Mapping[str, Any], object_info: Mapping[str, Any],
                 include_bypassed: bool) -> None:
        self.object_info = object_info
        self.include_bypassed = include_bypassed
        self.subgraphs: dict[str, JSONDict] = {
            sg["id"]: sg for sg in workflow.get("definitions", {}).get("subgraphs", [])}
        self.nodes: dict[str, _FlatNode] = {}
        self.notes: list[str] = []
        self.workflow = workflow

    # ---- phase 1: inline subgraphs
    def expand(self, graph: Mapping[str, Any], prefix: str,
               boundary: Sequence[_Source]) -> list[_Source]:
        """Add ``graph``'s nodes under ``prefix``; return the sources of its outputs."""
        links = _link_table(graph)
        nodes: dict[int, JSONDict] = {int(n["id"]): n for n in graph.get("nodes", [])}
        instance_outputs: dict[int, list[_Source]] = {}

        def resolve(link_id: int | None) -> _Source:
            if link_id is None or link_id not in links:
                return None
            origin, slot = links[link_id]
            if origin == SUBGRAPH_INPUT_NODE:
                return boundary[slot] if slot < len(boundary) else None
            node = nodes.get(origin)
            if node is None:
                self.notes.append(f"{prefix}: link {link_id} comes from missing node {origin}")
                return None
            if node["type"] in self.subgraphs:
                if origin not in instance_outputs:
                    instance_outputs[origin] = self.expand_instance(node, prefix, resolve)
                outputs = instance_outputs[origin]
                return outputs[slot] if slot < len(outputs) else None
            return _Out(f"{prefix}{origin}", slot)

        for node_id, node in sorted(nodes.items()):
            if node["type"] in self.subgraphs:
                if node_id not in instance_outputs:
                    instance_outputs[node_id] = self.expand_instance(node, prefix, resolve)
                continue
            flat = _FlatNode(f"{prefix}{node_id}", node)
            for entry in node.get("inputs") or []:
                if entry.get("link") is not None:
                    flat.links[entry["name"]] = resolve(int(entry["link"]))
            self.nodes[flat.uid] = flat

        result: list[_Source] = []
        for output in graph.get("outputs", []):
            link_ids = output.get("linkIds") or []
            result.append(resolve(int(link_ids[0])) if link_ids else None)
        return result

    def expand_instance(self, node: Mapping[str, Any], prefix: str,
                        resolve: Callable[[int | None], _Source]) -> list[_Source]:
        """Inline one subgraph instance; return the sources of its outputs."""
        definition = self.subgraphs[node["type"]]
        linked = {e["name"]: e.get("link") for e in node.get("inputs") or []}
        widgets = self.instance_widgets(node, definition)
        boundary: list[_Source] = []
        for sg_input in definition.get("inputs", []):
            name = sg_input["name"]
            if linked.get(name) is not None:
                boundary.append(resolve(int(linked[name])))
            elif name in widgets:
                boundary.append(_Lit(widgets[name]))
            else:
                boundary.append(None)
        mode = int(node.get("mode", 0))
        if mode == MODE_MUTED or (mode == MODE_BYPASS and not self.include_bypassed):
            # A disabled instance: muted gives nothing, bypass passes a matching input.
            outputs: list[_Source] = []
            for output in definition.get("outputs", []):
                match = [src for sg_input, src in zip(definition.get("inputs", []), boundary,
                                                      strict=True)
                         if src is not None and _types_overlap(sg_input["type"], output["type"])]
                outputs.append(match[0] if match and mode == MODE_BYPASS else None)
            return outputs
        return self.expand(definition, f"{prefix}{node['id']}:", boundary)

    def instance_widgets(self, node: Mapping[str, Any],
                         definition: Mapping[str, Any]) -> dict[str, Any]:
        """The promoted widget values of a subgraph instance, by subgraph input name."""
        names = [i["name"] for i in definition.get("inputs", [])]
        named = node.get("widgets_values_named")
        if isinstance(named, Mapping):
            return {k: v for k, v in named.items() if k in names}
        values = list(node.get("widgets_values") or [])
        proxies = (node.get("properties") or {}).get("proxyWidgets")
        if proxies:
            if not all(isinstance(p, list) and str(p[0]) == "-1" for p in proxies):
                raise NotImplementedError(f"proxyWidgets on inner nodes: {proxies!r}")
            promoted = [str(p[1]) for p in proxies]
        else:
            inner = {int(n["id"]): n for n in definition.get("nodes", [])}
            targets = {}
            for link in definition.get("links", []):
                if isinstance(link, Mapping):
                    targets[int(link["id"])] = (int(link["target_id"]),
                                                int(link["target_slot"]))

            def feeds_widget(sg_input: Mapping[str, Any]) -> bool:
                found = False
                for link_id in sg_input.get("linkIds") or []:
                    target_id, slot = targets.get(int(link_id), (0, -1))
                    target = inner.get(target_id)
                    inputs = (target or {}).get("inputs") or []
                    if not 0 <= slot < len(inputs) or not inputs[slot].get("widget"):
                        return False
                    found = True
                return found

            promoted = [i["name"] for i in definition.get("inputs", []) if feeds_widget(i)]
        if len(promoted) != len(values):
            raise ValueError(f"subgraph instance {node.get('id')}: {len(values)} widget values "
                             f"for promoted inputs {promoted!r}")
        return dict(zip(promoted, values, strict=True))

    # ---- phase 2: resolve and emit
    def final(self, source: _Source, depth: int = 0) -> _Source:
        """Follow a source through Reroutes, primitives and disabled nodes."""
        if depth > 1000:
            raise ValueError("cycle while resolving links")
        if not isinstance(source, _Out):
            return source
        flat = self.nodes.get(source.node)
        if flat is None:
            return None
        kind = flat.ui["type"]
        mode = int(flat.ui.get("mode", 0))
        if kind in NOTE_TYPES or mode == MODE_MUTED:
            return None
        if mode == MODE_BYPASS and not self.include_bypassed:
            return self.final(self.bypass_source(flat, source.slot), depth + 1)
        if kind == REROUTE:
            return self.final(next(iter(flat.links.values()), None), depth + 1)
        if kind == LEGACY_PRIMITIVE:
            values = flat.ui.get("widgets_values") or [None]
            return _Lit(values[0])
        if kind in PRIMITIVE_TYPES:
            inputs = self.api_inputs(flat, depth + 1)
            return _Lit(inputs.get("value"))
        return source

    def bypass_source(self, flat: _FlatNode, slot: int) -> _Source:
        """What a bypassed node passes on from output ``slot``: a matching-type input."""
        outputs = flat.ui.get("outputs") or []
        if slot >= len(outputs):
            return None
        wanted = str(outputs[slot].get("type", "*"))
        inputs = [e for e in flat.ui.get("inputs") or [] if e.get("link") is not None]
        same_slot = (flat.ui.get("inputs") or [])[slot:slot + 1]
        candidates = [e for e in same_slot if e.get("link") is not None] + inputs
        for entry in candidates:
            if str(entry.get("type")) == wanted or _types_overlap(str(entry.get("type")),
                                                                  wanted):
                return flat.links.get(entry["name"])
        return None

    def widget_values(self, flat: _FlatNode) -> dict[str, Any]:
        """The node's widget values by API input name (links not applied)."""
        kind = flat.ui["type"]
        schema = self.object_info[kind]
        named = flat.ui.get("widgets_values_named")
        values = flat.ui.get("widgets_values")
        if isinstance(values, Mapping) and named is None:
            named = values
        if isinstance(named, Mapping):
            allowed = widget_names(schema, named)
            result = {k: v for k, v in named.items() if k in allowed}
            for key, value in named.items():
                if key in allowed or key in ("control_after_generate", "upload"):
                    continue
                if value in _CONTROL_VALUES and any(
                        _has_control(s) for _, s, _ in ordered_inputs(schema)):
                    continue
                self.notes.append(f"{flat.uid} {kind}: dropped widget {key}={value!r} "
                                  "(not an input in object_info)")
            return result
        return map_widget_values(schema, list(values or []))

    def api_inputs(self, flat: _FlatNode, depth: int = 0) -> dict[str, Any]:
        """The API ``inputs`` of a node: widget values, overridden by resolved links."""
        kind = flat.ui["type"]
        widgets = self.widget_values(flat)
        linked: dict[str, Any] = {}
        for name, source in flat.links.items():
            resolved = self.final(source, depth + 1)
            if isinstance(resolved, _Lit):
                linked[name] = resolved.value
            elif isinstance(resolved, _Out):
                linked[name] = [resolved.node, resolved.slot]
            elif name not in widgets:
                self.notes.append(f"{flat.uid} {kind}: input {name!r} lost its link "
                                  "(source removed)")
        merged = {**widgets, **linked}
        order = [n for n, _, _ in ordered_inputs(self.object_info[kind])]
        rank = {n: i for i, n in enumerate(order)}

        def key(name: str) -> tuple[int, str]:
            return rank.get(name.split(".")[0], len(rank)), name

        return {n: merged[n] for n in sorted(merged, key=key)}

    def emit(self) -> ApiPrompt:
        """The API prompt of the active, non-helper nodes."""
        unknown = sorted({f.ui["type"] for f in self.nodes.values()
                          if f.ui["type"] not in self.object_info
                          and f.ui["type"] not in (REROUTE, LEGACY_PRIMITIVE, *NOTE_TYPES)})
        if unknown:
            raise KeyError(f"node types missing from object_info: {unknown}")
        api: ApiPrompt = {}
        for uid in sorted(self.nodes, key=_id_key):
            flat = self.nodes[uid]
            kind = flat.ui["type"]
            mode = int(flat.ui.get("mode", 0))
            if kind in (REROUTE, LEGACY_PRIMITIVE) or kind in NOTE_TYPES:
                continue
            if kind in PRIMITIVE_TYPES or mode == MODE_MUTED:
                continue
            if mode == MODE_BYPASS and not self.include_bypassed:
                continue
            title = flat.ui.get("title") or self.object_info[kind].get("display_name") or kind
            api[uid] = {"class_type": kind, "inputs": self.api_inputs(flat),
                        "_meta": {"title": str(title)}}
        return api


def flatten_workflow(workflow: Mapping[str, Any], object_info: Mapping[str, Any], *,
                     include_bypassed: bool = False) -> FlattenResult:
    """Flatten a UI-format (litegraph) workflow into an API-format prompt.

    * Subgraph instances (``definitions.subgraphs``) are inlined recursively: links from
      the subgraph's input node (id -10) take the instance's outer link, or else the
      instance's widget value for that input (``widgets_values_named`` when present, else
      ``widgets_values`` in the order of the subgraph inputs that feed widgets); links to
      the output node (id -20) become the instance's outputs.
    * ``Reroute`` nodes are followed; ``Primitive*`` nodes (and the legacy frontend
      ``PrimitiveNode``) become literal values in their consumers; notes are dropped.
    * Mode 2 (muted) nodes are removed: their consumers lose the link (a widget input then
      keeps its widget value). Mode 4 (bypass) nodes are removed and each consumer gets
      the bypassed node's input of the output's type (the input in the same slot first),
      unless ``include_bypassed`` is set, in which case they stay as normal nodes.
    * Widget values are mapped to input names with ``object_info``
      (:func:`map_widget_values`), or taken from ``widgets_values_named`` (which newer
      frontends write); named values that ``object_info`` does not know (widgets of a
      newer ComfyUI) are dropped and reported in ``notes``. A linked widget input takes
      the link, not the stored value.
    """
    flattener = _Flattener(workflow, object_info, include_bypassed)
    flattener.expand(workflow, "", [])
    api = flattener.emit()
    return FlattenResult(api=api, notes=list(dict.fromkeys(flattener.notes)))


# --------------------------------------------------------------------------- validation


def is_link(value: Any) -> bool:
    """Whether an API input value is a link ``[node id, output slot]``."""
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def _output_type(api: Mapping[str, Any], object_info: Mapping[str, Any], node_id: str,
                 slot: int, depth: int = 0) -> str | None:
    """The type of output ``slot`` of ``node_id`` (match types resolved); None if absent."""
    node = api.get(node_id)
    if node is None or node.get("class_type") not in object_info:
        return None
    schema = object_info[node["class_type"]]
    outputs: list[Any] = schema.get("output", [])
    if not 0 <= slot < len(outputs):
        return None
    kind = outputs[slot]
    kind = "COMBO" if isinstance(kind, list) else str(kind)
    if kind != MATCH_TYPE or depth > 50:
        return kind
    template_ids = schema.get("output_matchtypes") or []
    template_id = template_ids[slot] if slot < len(template_ids) else None
    for name, spec, _ in ordered_inputs(schema):
        template = _spec_options(spec).get("template") or {}
        if _spec_type(spec) == MATCH_TYPE and template.get("template_id") == template_id:
            value = node.get("inputs", {}).get(name)
            if is_link(value):
                return _output_type(api, object_info, value[0], value[1], depth + 1)
    return "*"


def _input_accepts(spec: Sequence[Any], out_type: str) -> bool:
    """Whether an input of ``spec`` accepts a link from an output of ``out_type``."""
    in_type = _spec_type(spec)
    if in_type == MATCH_TYPE:
        allowed = (_spec_options(spec).get("template") or {}).get("allowed_types")
        return not allowed or out_type == "*" or _types_overlap(str(allowed), out_type)
    if in_type == DYNAMIC_COMBO:
        return _types_overlap("COMBO,STRING", out_type)
    return _types_overlap(in_type, out_type)


def _check_literal(where: str, spec: Sequence[Any], value: Any) -> list[str]:
    """Type, range and combo-membership errors of a literal input value."""
    kind = _spec_type(spec)
    options = _spec_options(spec)
    errors: list[str] = []
    if kind == "INT":
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{where}: INT expected, got {value!r}"]
    elif kind == "FLOAT":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{where}: FLOAT expected, got {value!r}"]
    elif kind == "BOOLEAN":
        if not isinstance(value, bool):
            return [f"{where}: BOOLEAN expected, got {value!r}"]
    elif kind == "STRING":
        if not isinstance(value, str):
            return [f"{where}: STRING expected, got {value!r}"]
    elif kind in ("COMBO", DYNAMIC_COMBO):
        choices = ([o.get("key") for o in options.get("options", [])] if kind == DYNAMIC_COMBO
                   else _combo_choices(spec))
        if choices and not _has_upload(spec) and value not in choices:
            errors.append(f"{where}: {value!r} not among {choices!r}")
        return errors
    else:
        return [f"{where}: {kind} input needs a link, got literal {value!r}"]
    low, high = options.get("min"), options.get("max")
    if low is not None and value < low:
        errors.append(f"{where}: {value!r} < min {low!r}")
    if high is not None and value > high:
        errors.append(f"{where}: {value!r} > max {high!r}")
    return errors


def validate_api(api: Mapping[str, Any], object_info: Mapping[str, Any]) -> list[str]:
    """Check an API prompt against ``object_info``; return a list of error messages.

    Checks: every node has a known ``class_type``; every required input (and every
    required sub-input of a chosen dynamic-combo option, as a dotted key) is present; no
    input is unknown; every link points at an existing node and output slot whose type
    the input accepts (unions like ``"FLOAT,INT"``, ``"*"``, match types and dynamic
    combos included); literals have the input's type, lie in ``min``/``max`` and, for
    combos with a non-empty option list (other than upload pickers), are an option.
    """
    errors: list[str] = []
    for node_id, node in api.items():
        kind = node.get("class_type")
        if kind not in object_info:
            errors.append(f"{node_id}: unknown class_type {kind!r}")
            continue
        inputs: Mapping[str, Any] = node.get("inputs", {})
        expected: dict[str, tuple[Sequence[Any], bool]] = {}
        for name, spec, required in ordered_inputs(object_info[kind]):
            expected[name] = (spec, required)
            if _spec_type(spec) == DYNAMIC_COMBO and not is_link(inputs.get(name)):
                option = _dynamic_option(spec, inputs.get(name))
                for sub, sub_spec, sub_required in _dynamic_sub_inputs(option or {}):
                    expected[f"{name}.{sub}"] = (sub_spec, sub_required and required)
        for name, (spec, required) in expected.items():
            where = f"{node_id} {kind}.{name}"
            if name not in inputs:
                if required:
                    errors.append(f"{where}: required input missing")
                continue
            value = inputs[name]
            if is_link(value):
                out_type = _output_type(api, object_info, value[0], value[1])
                if out_type is None:
                    errors.append(f"{where}: link {value!r} points at no node output")
                elif not _input_accepts(spec, out_type):
                    errors.append(f"{where}: {_spec_type(spec)} input linked to {out_type} "
                                  f"output {value!r}")
            else:
                errors += _check_literal(where, spec, value)
        errors += [f"{node_id} {kind}.{name}: unknown input" for name in inputs
                   if name not in expected]
    return errors


# --------------------------------------------------------------------------- features


_COND_PASS_THROUGH: dict[str, tuple[str, ...]] = {
    "LTXVConditioning": ("positive", "negative"),
    "LTXVCropGuides": ("positive", "negative"),
    "LTXVAddGuide": ("positive", "negative"),
    "LTXVImgToVideo": ("positive", "negative"),
    "LTXVReferenceAudio": ("", "positive", "negative"),
}
"""Output slot -> input name for nodes that pass conditioning through."""

_LATENT_PASS_THROUGH: dict[str, str] = {
    "LTXVConcatAVLatent": "video_latent",
    "LTXVImgToVideoInplace": "latent",
    "LTXVLatentUpsampler": "samples",
    "LTXVCropGuides": "latent",
    "LTXVSeparateAVLatent": "av_latent",
    "LTXVAddGuide": "latent",
    "SetLatentNoiseMask": "samples",
}
"""The input a latent-processing node's (video) latent output comes from."""

_MODEL_LOADERS = frozenset({"CheckpointLoaderSimple", "UNETLoader", "CheckpointLoader"})
_LORA_LOADERS = frozenset({"LoraLoaderModelOnly", "LoraLoader"})
_SAMPLER_OUTPUTS = ("output", "denoised_output")
_IMAGE_INPUTS = ("image", "input", "images")
_RESIZE_TYPES = frozenset({"ResizeImageMaskNode", "ResizeImagesByLongerEdge", "ImageScale",
                           "ImageScaleBy", "ImageScaleToTotalPixels", "ImageScaleToMaxDimension"})


def _num(value: Any) -> Any:
    """Numbers (not bools) as float, anything else unchanged."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _value_key(value: Any) -> tuple[int, Any]:
    """Sort key putting numbers first (numerically), then anything else by ``str``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, value
    return 1, str(value)


def _natural(uid: str) -> tuple[tuple[int, str], ...]:
    """A natural sort key for arbitrary id strings (for stable tie-breaking only)."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"(\d+)", uid) if p)


class _Walker:
    """Read-only link walking over an API prompt."""

    def __init__(self, api: Mapping[str, Any]) -> None:
        self.api = api

    def cls(self, node_id: str) -> str:
        return str(self.api[node_id]["class_type"])

    def of_class(self, *kinds: str) -> list[str]:
        return sorted((n for n in self.api if self.cls(n) in kinds), key=_natural)

    def link(self, node_id: str, name: str) -> tuple[str, int] | None:
        value = self.api[node_id].get("inputs", {}).get(name)
        if is_link(value) and value[0] in self.api:
            return str(value[0]), int(value[1])
        return None

    def links(self, node_id: str) -> Iterable[tuple[str, int]]:
        for value in self.api[node_id].get("inputs", {}).values():
            if is_link(value) and value[0] in self.api:
                yield str(value[0]), int(value[1])

    def ancestors(self, node_id: str) -> set[str]:
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            for source, _ in self.links(stack.pop()):
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
        return seen

    def value(self, node_id: str, name: str) -> Any:
        """A literal input, or the statically known value of a linked helper output."""
        raw = self.api[node_id].get("inputs", {}).get(name)
        if is_link(raw):
            return self.output_value(str(raw[0]), int(raw[1])) if raw[0] in self.api else None
        return raw

    def output_value(self, node_id: str, slot: int) -> Any:
        """Evaluate primitives and GetImageSize over EmptyImage/ImageScaleBy/resize."""
        kind = self.cls(node_id)
        if kind in PRIMITIVE_TYPES and slot == 0:
            return self.value(node_id, "value")
        if kind == "GetImageSize":
            source = self.link(node_id, "image")
            size = self.image_size(source) if source else None
            return size[slot] if size and slot < 3 else None
        return None

    def image_size(self, source: tuple[str, int], depth: int = 0) -> tuple[int, int, int] | None:
        """``(width, height, batch)`` of an image output when statically known."""
        node_id, _ = source
        kind = self.cls(node_id)
        if depth > 50:
            return None
        if kind == "EmptyImage":
            size = (self.value(node_id, "width"), self.value(node_id, "height"),
                    self.value(node_id, "batch_size"))
            return size if all(isinstance(v, int) for v in size) else None
        if kind == "ImageScaleBy":
            upstream = self.link(node_id, "image")
            inner = self.image_size(upstream, depth + 1) if upstream else None
            scale = self.value(node_id, "scale_by")
            if inner is None or not isinstance(scale, int | float):
                return None
            return round(inner[0] * scale), round(inner[1] * scale), inner[2]
        if kind == "ResizeImageMaskNode" and self.value(node_id, "resize_type") == (
                "scale dimensions"):
            width = self.value(node_id, "resize_type.width")
            height = self.value(node_id, "resize_type.height")
            upstream = self.link(node_id, "input")
            inner = self.image_size(upstream, depth + 1) if upstream else None
            if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
                return width, height, inner[2] if inner else 1
        return None

    def literals(self, node_id: str) -> dict[str, Any]:
        """The node's non-link inputs plus statically known linked values."""
        return {name: self.value(node_id, name) for name in self.api[node_id].get("inputs", {})
                if self.value(node_id, name) is not None}


def _stage_order(walker: _Walker) -> list[str]:
    """SamplerCustomAdvanced ids, upstream first (by count of sampler ancestors)."""
    samplers = walker.of_class("SamplerCustomAdvanced")
    ancestors = {s: walker.ancestors(s) for s in samplers}
    return sorted(samplers, key=lambda s: (sum(o in ancestors[s] for o in samplers),
                                           _natural(s)))


def _sigmas(walker: _Walker, source: tuple[str, int] | None) -> dict[str, Any]:
    """The sigma source of a stage: ManualSigmas values or LTXVScheduler settings."""
    if source is None:
        return {"type": None}
    node_id, _ = source
    kind = walker.cls(node_id)
    if kind == "ManualSigmas":
        text = str(walker.value(node_id, "sigmas"))
        return {"type": kind,
                "values": [float(x) for x in re.split(r"[,\s]+", text.strip()) if x]}
    if kind == "LTXVScheduler":
        return _scheduler(walker, node_id)
    return {"type": kind, **walker.literals(node_id)}


def _scheduler(walker: _Walker, node_id: str) -> dict[str, Any]:
    """The settings of an LTXVScheduler node."""
    return {"type": "LTXVScheduler",
            "steps": walker.value(node_id, "steps"),
            "max_shift": _num(walker.value(node_id, "max_shift")),
            "base_shift": _num(walker.value(node_id, "base_shift")),
            "stretch": walker.value(node_id, "stretch"),
            "terminal": _num(walker.value(node_id, "terminal")),
            "latent_linked": walker.link(node_id, "latent") is not None}


def _model_path(walker: _Walker, source: tuple[str, int] | None) -> list[tuple[str, Any, Any]]:
    """``(class_type, lora_name, strength)`` from the model loader outward."""
    path: list[tuple[str, Any, Any]] = []
    while source is not None:
        node_id, _ = source
        kind = walker.cls(node_id)
        if kind in _LORA_LOADERS:
            path.append((kind, walker.value(node_id, "lora_name"),
                         _num(walker.value(node_id, "strength_model"))))
        elif kind in _MODEL_LOADERS:
            name = walker.value(node_id, "ckpt_name") or walker.value(node_id, "unet_name")
            path.append((kind, name, None))
            break
        else:
            path.append((kind, None, None))
        source = walker.link(node_id, "model")
    return path[::-1]


def _cond_root(walker: _Walker, source: tuple[str, int] | None) -> tuple[str | None, list[str]]:
    """Follow conditioning through pass-through nodes: (root node id, classes on the way)."""
    path: list[str] = []
    while source is not None:
        node_id, slot = source
        kind = walker.cls(node_id)
        path.append(kind)
        names = _COND_PASS_THROUGH.get(kind, ())
        name = names[slot] if slot < len(names) else ""
        upstream = walker.link(node_id, name) if name else None
        if upstream is None:
            return node_id, path
        source = upstream
    return None, path


def _negative_kind(walker: _Walker, positive_root: str | None, negative_root: str | None) -> str:
    """Classify the negative conditioning relative to the positive one."""
    if negative_root is None:
        return "none"
    kind = walker.cls(negative_root)
    if kind == "ConditioningZeroOut":
        inner, _ = _cond_root(walker, walker.link(negative_root, "conditioning"))
        return "zeroed positive" if inner == positive_root else "zeroed conditioning"
    if negative_root == positive_root:
        return "positive"
    if kind.startswith("CLIPTextEncode"):
        return "negative prompt"
    return f"other ({kind})"


def _latent_path(walker: _Walker, source: tuple[str, int] | None,
                 stage_of: Mapping[str, int]) -> tuple[list[str], list[str]]:
    """Video-latent path of a stage input: (classes, ImgToVideoInplace ids on it)."""
    path: list[str] = []
    img2vid: list[str] = []
    while source is not None:
        node_id, slot = source
        kind = walker.cls(node_id)
        if kind == "SamplerCustomAdvanced":
            slot_name = _SAMPLER_OUTPUTS[slot] if slot < 2 else str(slot)
            path.append(f"stage {stage_of.get(node_id, '?')} {slot_name}")
            break
        path.append(kind)
        if kind == "LTXVImgToVideoInplace":
            img2vid.append(node_id)
        upstream = _LATENT_PASS_THROUGH.get(kind)
        source = walker.link(node_id, upstream) if upstream else None
    return path, img2vid


def _image_chain(walker: _Walker, node_id: str) -> list[str]:
    """Node ids feeding ``node_id``'s image input, upstream first (excluding it)."""
    chain: list[str] = []
    current = node_id
    while True:
        upstream = next((walker.link(current, n) for n in _IMAGE_INPUTS
                         if walker.link(current, n)), None)
        if upstream is None or len(chain) > 100:
            return chain[::-1]
        current = upstream[0]
        chain.append(current)


def pipeline_features(api: Mapping[str, Any]) -> dict[str, Any]:
    """Summarise what an API-format LTX-2 prompt computes, by walking links.

    Works on any API prompt (the SDK's compile output, a flattened template); node ids
    are never interpreted. Numbers that are FLOAT inputs are reported as ``float``.

    Keys:

    ``stages``
        One dict per ``SamplerCustomAdvanced``, upstream first:

        - ``sampler``: ``KSamplerSelect.sampler_name`` (else the sampler node's class).
        - ``sigmas``: ``{"type": "ManualSigmas", "values": [floats]}`` or
          ``{"type": "LTXVScheduler", "steps", "max_shift", "base_shift", "stretch",
          "terminal", "latent_linked"}``.
        - ``guider``: class of the guider; ``cfg``: ``CFGGuider.cfg`` (None otherwise).
        - ``model_loader``: class of the node the guider's model path starts from.
        - ``loras``: ``[(lora_name, strength_model)]`` on the guider's model path, from the
          checkpoint outward, camera-control LoRAs left out.
        - ``camera_loras``: camera-control LoRA names on that path, checkpoint outward.
        - ``model_path``: every node class on that path, checkpoint outward (LoRAs as
          ``"LoraLoaderModelOnly(<name>)"``).
        - ``negative``: ``"negative prompt"`` (its own text encode), ``"positive"`` (the
          positive conditioning reused), ``"zeroed positive"`` (``ConditioningZeroOut`` of
          the positive), ``"zeroed conditioning"``, ``"none"`` or ``"other (<class>)"``.
        - ``positive_path`` / ``negative_path``: node classes from the guider back to the
          conditioning source (e.g. ``["LTXVCropGuides", "LTXVConditioning",
          "CLIPTextEncode"]``).
        - ``latent_path``: node classes on the video-latent path from the stage's
          ``latent_image`` upstream, ending at an empty latent or at
          ``"stage <n> output|denoised_output"`` (the sampler output it continues).
        - ``img_to_video_inplace``: ``{"strength", "bypass"}`` of the
          ``LTXVImgToVideoInplace`` on that path, or None.
        - ``noise``: class of the noise node.

    ``separate_av_slots``
        For each ``LTXVSeparateAVLatent`` (ordered by the stage feeding it): the
        ``SamplerCustomAdvanced`` output it reads, ``"output"`` or ``"denoised_output"``
        (else the source class).
    ``crop_guides``
        Whether an ``LTXVCropGuides`` node is present.
    ``decoder``
        The node feeding ``CreateVideo.images``: ``{"class_type": "VAEDecodeTiled",
        "tile_size", "overlap", "temporal_size", "temporal_overlap"}`` or
        ``{"class_type": "VAEDecode"}`` (None without CreateVideo/decoder).
    ``img_compression``
        ``LTXVPreprocess.img_compression`` of each such node (sorted).
    ``image_path``
        Node classes from the image source to the first ``LTXVImgToVideoInplace``'s
        image input, upstream first (empty for T2V).
    ``resize_steps``
        The resize nodes on ``image_path``, upstream first, as
        ``{"class_type", <literal inputs>}`` (ResizeImageMaskNode with dotted keys).
    ``ltxv_schedulers``
        Settings of each ``LTXVScheduler`` (in stage order).
    ``save_video_count``
        Number of ``SaveVideo`` nodes.
    ``create_video``
        ``{"fps", "bit_depth", "audio"}`` of the ``CreateVideo`` node (``audio``: whether
        audio is connected), or None.
    ``frame_rates``
        ``{"LTXVConditioning.frame_rate": [...], "LTXVEmptyLatentAudio.frame_rate": [...],
        "CreateVideo.fps": [...]}`` (values as given, primitives resolved).
    ``class_counts``
        ``{class_type: count}`` of every node except the helper types
        (:data:`HELPER_TYPES`: EmptyImage, ImageScaleBy, GetImageSize, primitives,
        Reroute, notes).
    ``parameters``
        User-level values, for information rather than structural comparison:
        ``seeds`` (per stage), ``prompt`` and ``negative_prompt`` (stage 1 texts),
        ``checkpoint``, ``text_encoder``, ``upscale_model``, ``image`` (LoadImage file),
        ``latent_video`` (``EmptyLTXVLatentVideo`` width/height/length/batch_size,
        statically evaluated through the EmptyImage/ImageScaleBy/GetImageSize helpers
        where possible), ``latent_audio`` (``LTXVEmptyLatentAudio`` literals) and
        ``save`` (per SaveVideo: filename_prefix/format/codec).
    """
    walker = _Walker(api)
    stages = _stage_order(walker)
    stage_of = {s: i + 1 for i, s in enumerate(stages)}
    stage_dicts: list[dict[str, Any]] = []
    seeds: list[Any] = []
    texts: list[tuple[Any, Any]] = []
    for sampler_id in stages:
        stage: dict[str, Any] = {}
        sampler = walker.link(sampler_id, "sampler")
        if sampler and walker.cls(sampler[0]) == "KSamplerSelect":
            stage["sampler"] = walker.value(sampler[0], "sampler_name")
        else:
            stage["sampler"] = walker.cls(sampler[0]) if sampler else None
        stage["sigmas"] = _sigmas(walker, walker.link(sampler_id, "sigmas"))

        guider = walker.link(sampler_id, "guider")
        guider_id = guider[0] if guider else None
        stage["guider"] = walker.cls(guider_id) if guider_id else None
        stage["cfg"] = (_num(walker.value(guider_id, "cfg"))
                        if guider_id and walker.cls(guider_id) == "CFGGuider" else None)
        path = _model_path(walker, walker.link(guider_id, "model") if guider_id else None)
        stage["model_loader"] = path[0][0] if path else None
        stage["loras"] = [(name, strength) for kind, name, strength in path
                          if kind in _LORA_LOADERS and CAMERA_LORA_MARKER not in str(name)]
        stage["camera_loras"] = [name for kind, name, _ in path
                                 if kind in _LORA_LOADERS and CAMERA_LORA_MARKER in str(name)]
        stage["model_path"] = [f"{kind}({name})" if kind in _LORA_LOADERS else kind
                               for kind, name, _ in path]

        positive_root, positive_path = _cond_root(
            walker, walker.link(guider_id, "positive") if guider_id else None)
        negative_root, negative_path = _cond_root(
            walker, walker.link(guider_id, "negative") if guider_id else None)
        stage["negative"] = _negative_kind(walker, positive_root, negative_root)
        stage["positive_path"] = positive_path
        stage["negative_path"] = negative_path
        texts.append((walker.value(positive_root, "text") if positive_root else None,
                      walker.value(negative_root, "text")
                      if stage["negative"] == "negative prompt" and negative_root else None))

        latent_path, img2vid = _latent_path(walker, walker.link(sampler_id, "latent_image"),
                                            stage_of)
        stage["latent_path"] = latent_path
        stage["img_to_video_inplace"] = (
            {"strength": _num(walker.value(img2vid[0], "strength")),
             "bypass": walker.value(img2vid[0], "bypass")} if img2vid else None)
        noise = walker.link(sampler_id, "noise")
        stage["noise"] = walker.cls(noise[0]) if noise else None
        seeds.append(walker.value(noise[0], "noise_seed") if noise else None)
        stage_dicts.append(stage)

    separates: list[tuple[int, str]] = []
    for node_id in walker.of_class("LTXVSeparateAVLatent"):
        source = walker.link(node_id, "av_latent")
        if source and walker.cls(source[0]) == "SamplerCustomAdvanced":
            separates.append((stage_of[source[0]], _SAMPLER_OUTPUTS[source[1]]))
        else:
            separates.append((len(stages) + 1, walker.cls(source[0]) if source else "none"))

    create_videos = walker.of_class("CreateVideo")
    decoder: dict[str, Any] | None = None
    create_video: dict[str, Any] | None = None
    if create_videos:
        cv = create_videos[0]
        images = walker.link(cv, "images")
        if images:
            decoder = {"class_type": walker.cls(images[0])}
            if decoder["class_type"] == "VAEDecodeTiled":
                decoder |= {k: walker.value(images[0], k) for k in
                            ("tile_size", "overlap", "temporal_size", "temporal_overlap")}
        create_video = {"fps": _num(walker.value(cv, "fps")),
                        "bit_depth": walker.value(cv, "bit_depth"),
                        "audio": walker.link(cv, "audio") is not None}

    image_path: list[str] = []
    resize_steps: list[dict[str, Any]] = []
    img_nodes = sorted(walker.of_class("LTXVImgToVideoInplace"),
                       key=lambda n: min((stage_of[s] for s in stages
                                          if n in walker.ancestors(s)), default=99))
    if img_nodes:
        chain = _image_chain(walker, img_nodes[0])
        image_path = [walker.cls(n) for n in chain]
        resize_steps = [{"class_type": walker.cls(n), **walker.literals(n)}
                        for n in chain if walker.cls(n) in _RESIZE_TYPES]

    frame_rates = {
        "LTXVConditioning.frame_rate": [_num(walker.value(n, "frame_rate"))
                                        for n in walker.of_class("LTXVConditioning")],
        "LTXVEmptyLatentAudio.frame_rate": [walker.value(n, "frame_rate")
                                            for n in walker.of_class("LTXVEmptyLatentAudio")],
        "CreateVideo.fps": [_num(walker.value(n, "fps")) for n in create_videos],
    }

    def first_value(kind: str, name: str) -> Any:
        nodes = walker.of_class(kind)
        return walker.value(nodes[0], name) if nodes else None

    latent_video = walker.of_class("EmptyLTXVLatentVideo")
    latent_audio = walker.of_class("LTXVEmptyLatentAudio")
    parameters: dict[str, Any] = {
        "seeds": seeds,
        "prompt": texts[0][0] if texts else None,
        "negative_prompt": texts[0][1] if texts else None,
        "checkpoint": first_value("CheckpointLoaderSimple", "ckpt_name"),
        "text_encoder": first_value("LTXAVTextEncoderLoader", "text_encoder"),
        "upscale_model": first_value("LatentUpscaleModelLoader", "model_name"),
        "image": first_value("LoadImage", "image"),
        "latent_video": ({k: walker.value(latent_video[0], k)
                          for k in ("width", "height", "length", "batch_size")}
                         if latent_video else None),
        "latent_audio": ({k: walker.value(latent_audio[0], k)
                          for k in ("frames_number", "frame_rate", "batch_size")}
                         if latent_audio else None),
        "save": [{k: walker.value(n, k) for k in ("filename_prefix", "format", "codec")}
                 for n in walker.of_class("SaveVideo")],
    }

    counts = Counter(walker.cls(n) for n in api if walker.cls(n) not in HELPER_TYPES)
    scheduler_ids = sorted(walker.of_class("LTXVScheduler"),
                           key=lambda n: min((stage_of[s] for s in stages
                                              if n in walker.ancestors(s)), default=99))
    return {
        "stages": stage_dicts,
        "separate_av_slots": [slot for _, slot in sorted(separates, key=lambda x: x[0])],
        "crop_guides": bool(walker.of_class("LTXVCropGuides")),
        "decoder": decoder,
        "img_compression": sorted((walker.value(n, "img_compression")
                                   for n in walker.of_class("LTXVPreprocess")), key=_value_key),
        "image_path": image_path,
        "resize_steps": resize_steps,
        "ltxv_schedulers": [_scheduler(walker, n) for n in scheduler_ids],
        "save_video_count": len(walker.of_class("SaveVideo")),
        "create_video": create_video,
        "frame_rates": frame_rates,
        "class_counts": dict(sorted(counts.items())),
        "parameters": parameters,
    }
