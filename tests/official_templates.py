"""Comfy-Org's official LTX-2 templates as ComfyUI API prompts, and a pipeline summary.

The default pipelines of ``ltx2sdk`` must compute what Comfy-Org's official templates
compute (LTX-2: :data:`LTX2_TEMPLATES`; LTX-2.3 and 2.5: :data:`LTX2_3_TEMPLATES`,
:data:`LTX2_5_TEMPLATES`, the latter flattened with ComfyUI 0.33.0's ``object_info``,
:data:`OBJECT_INFO_0_33`). The templates (PyPI ``comfyui-workflow-templates-json``) are in
the UI (litegraph) format, so this module provides:

* :func:`template_api` / :func:`flatten_workflow`: turn a UI workflow into the equivalent
  API-format prompt (``{"<id>": {"class_type", "inputs", "_meta"}}``) with the SDK's own
  importer (``ltx2sdk.graph.editor``: subgraph instances inlined, promoted widgets and
  ``proxyWidgets`` included, Reroutes followed, bypassed (mode 4) nodes replaced by their
  matching-type input, muted (mode 2) nodes and notes dropped, widget values mapped to input
  names with ``object_info``), then, for the comparisons, backend ``Primitive*`` nodes
  resolved to literals; :func:`resolve_static` then evaluates the helper nodes the server
  would compute (``ResolutionSelector``, ``ComfyMathExpression``, switches).
* :func:`map_widget_values` / :func:`widget_names`: a strict reading of ``widgets_values``
  by an ``object_info`` entry (the count must fit), to hold the templates to the fixtures.
* :func:`validate_api`: check an API prompt against an ``/object_info`` dump (required
  inputs present, links point at existing outputs of a compatible type, literal types and
  ranges).
* :func:`pipeline_features`: a comparison summary of any API prompt, computed by walking
  links (never by node ids), so that the SDK's compile output and a flattened template
  can be compared feature by feature (``details=True``: guides, guiders, loaders, LoRAs,
  image and audio chains, size sources, decode, crop-guide placement per stage).

Flattened node ids follow the ComfyUI frontend's own scheme: a top-level node keeps its
id (``"75"``), a node inside subgraph instance 92 becomes ``"92:41"`` (nested instances
chain further: ``"92:17:3"``).
"""

from __future__ import annotations

import ast
import functools
import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ltx2sdk.graph.editor.ui_import import import_workflow
from ltx2sdk.graph.editor.widgets import SUB_WIDGET_ORDER
from ltx2sdk.graph.schema import SchemaSet

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

LTX2_CONTROL_TEMPLATES: tuple[str, ...] = (
    "video_ltx2_canny_to_video",
    "video_ltx2_depth_to_video",
)
"""The LTX-2 control templates (IC-LoRA): their active graph (dev) and their bypassed
distilled variant (``template_api(name, variant="distilled")``)."""

LTX2_3_CONTROL_TEMPLATES: tuple[str, ...] = ("video_ltx2_3_ic_lora",)
"""LTX-2.3's union-control template (MoGe depth, ``Video Slice``, one ``KSampler`` stage)."""

CONTROL_VIDEO_WIDTH = 1280
"""The width :func:`template_api` gives a template's control video by default: the union-control
template decides at run time, from its frames' width, whether to limit them to 2048
(``GetImageSize`` -> ``ComfyMathExpression "a > 2048"`` -> ``ComfySwitchNode``); resolving it
statically needs a width. 1280 (the output's): a video below the limit."""

TEMPLATE_VARIANTS: dict[str, dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {
    name: {"dev": ((143, 175), (162, 161)), "distilled": ((162, 161), (143, 175))}
    for name in LTX2_CONTROL_TEMPLATES}
"""Templates holding several pipelines side by side: per variant, ``(on, off)`` top-level node
ids (a generator subgraph instance and its ``SaveVideo``). The first variant is the one the
template queues as shipped; the control templates keep their distilled one bypassed."""

OBJECT_INFO_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "object_info_ltx2.json"
"""``/object_info`` of a real ComfyUI 0.26.0, restricted to the LTX-2 node set."""

OBJECT_INFO_0_33 = (Path(__file__).resolve().parent / "fixtures" / "versions" / "0.33.0"
                    / "object_info.json.gz")
"""The whole ``/object_info`` of a real ComfyUI 0.33.0 (gzip), with the LTX-2.5 nodes."""

LTX2_3_TEMPLATES: tuple[str, ...] = (
    "video_ltx2_3_t2v",
    "video_ltx2_3_i2v",
    "video_ltx2_3_flf2v",
    "video_ltx2_3_ia2v",
)
"""Comfy-Org's LTX-2.3 templates this module flattens (see GENERATIONS.md)."""

LTX2_5_TEMPLATES: tuple[str, ...] = (
    "video_ltx2_5_t2v",
    "video_ltx2_5_i2v",
    "video_ltx2_5_flf2v",
)
"""Comfy-Org's LTX-2.5 templates (they need ComfyUI 0.33.0's ``object_info``)."""

DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
MATCH_TYPE = "COMFY_MATCHTYPE_V3"
AUTOGROW = "COMFY_AUTOGROW_V3"
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
FRONTEND_TYPES = frozenset({REROUTE, LEGACY_PRIMITIVE, *NOTE_TYPES})
"""Node types that exist only in the frontend (no ``object_info`` entry needed)."""
"""Node types that only compute UI-side parameters; left out of ``class_counts``."""

MODE_MUTED = 2

CAMERA_LORA_MARKER = "camera-control"
"""Substring that marks a camera-control LoRA file name."""

_UPLOAD_OPTIONS = ("image_upload", "video_upload", "audio_upload")


# --------------------------------------------------------------------------- loading


def load_object_info(path: Path | str = OBJECT_INFO_FIXTURE) -> JSONDict:
    """Load an ``/object_info`` dump (default: the LTX-2 fixture of this test suite); a
    ``.gz`` path is read gzip-compressed."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        data: JSONDict = json.load(fh)
    return data


@functools.cache
def _cached_object_info(path: str) -> JSONDict:
    return load_object_info(path)


def load_template(name: str) -> JSONDict:
    """Load a UI-format template from the installed ``comfyui_workflow_templates_json``.

    ``name`` is the file name with or without ``.json`` (e.g. ``"video_ltx2_t2v"``).
    """
    file_name = name if name.endswith(".json") else f"{name}.json"
    resource = resources.files(TEMPLATE_PACKAGE).joinpath("templates").joinpath(file_name)
    data: JSONDict = json.loads(resource.read_text(encoding="utf-8"))
    for repair in TEMPLATE_REPAIRS.get(file_name.removesuffix(".json"), ()):
        repair(data)
    return data


def _restore_lost_output_link(data: JSONDict) -> None:
    """``video_ltx2_i2v_lora`` (0.1.123) was made from ``video_ltx2_i2v`` and lost a link on
    the way: its subgraph's ``VIDEO`` output still names link 265, which its ``links`` no
    longer hold, and ``CreateVideo`` 97 (the subgraph's only video) links nowhere, so its
    ``SaveVideo`` has no input. ``video_ltx2_i2v`` has the link (97 slot 0 to the output):
    restored as it is there."""
    [subgraph] = data["definitions"]["subgraphs"]
    [output] = subgraph["outputs"]
    if any(link["id"] == 265 for link in subgraph["links"]) or output["linkIds"] != [265]:
        return  # (a release that fixed it)
    [create] = [n for n in subgraph["nodes"] if n["id"] == 97]
    assert create["type"] == "CreateVideo" and not create["outputs"][0]["links"]
    subgraph["links"].append({"id": 265, "origin_id": 97, "origin_slot": 0, "target_id": -20,
                              "target_slot": 0, "type": "VIDEO"})
    create["outputs"][0]["links"] = [265]


TEMPLATE_REPAIRS: dict[str, tuple[Callable[[JSONDict], None], ...]] = {
    "video_ltx2_i2v_lora": (_restore_lost_output_link,),
}
"""Templates shipped broken, and the repair each needs to compute what it was made to (the
ComfyUI frontend would queue them without their output)."""


def workflow_node_types(workflow: Mapping[str, Any]) -> set[str]:
    """The backend node types a UI workflow uses (subgraph definitions included;
    subgraph instances, Reroutes, frontend primitives and notes left out)."""
    subgraphs = {sg["id"]: sg for sg in workflow.get("definitions", {}).get("subgraphs", [])}
    nodes = [*workflow.get("nodes", []),
             *(n for sg in subgraphs.values() for n in sg.get("nodes", []))]
    return {str(n["type"]) for n in nodes
            if n["type"] not in subgraphs and n["type"] not in FRONTEND_TYPES}


def default_object_info(workflow: Mapping[str, Any]) -> JSONDict:
    """The ``/object_info`` a workflow is flattened with by default: the LTX-2 fixture
    (:data:`OBJECT_INFO_FIXTURE`, ComfyUI 0.26.0) when it knows every node type of the
    workflow, else ComfyUI 0.33.0's (:data:`OBJECT_INFO_0_33`, which has the LTX-2.5 nodes
    such as ``LTXVDualCFGGuider``, ``ResolutionSelector`` and ``CLIPLoader``). Both are
    loaded once and shared: treat the result as read-only."""
    fixture = _cached_object_info(str(OBJECT_INFO_FIXTURE))
    if workflow_node_types(workflow) <= set(fixture):
        return fixture
    return _cached_object_info(str(OBJECT_INFO_0_33))


def select_variant(workflow: JSONDict, name: str, variant: str | None) -> JSONDict:
    """``workflow`` (template ``name``) with only ``variant`` of it active (see
    :data:`TEMPLATE_VARIANTS`; None: the one the template queues): the other variants' nodes
    muted (so that ``include_bypassed`` does not bring them back), the chosen ones active
    down to every node inside their subgraphs (the depth template bypasses those of its
    distilled one). A template without variants is returned as it is; an unknown variant is a
    ``KeyError``."""
    variants = TEMPLATE_VARIANTS.get(name)
    if variants is None:
        if variant is not None:
            raise KeyError(f"{name} has no variants ({variant!r} asked)")
        return workflow
    on, off = variants[variant or next(iter(variants))]
    subgraphs = {sg["id"]: sg for sg in workflow.get("definitions", {}).get("subgraphs", [])}
    for node in workflow["nodes"]:
        if node["id"] in off:
            node["mode"] = MODE_MUTED
        elif node["id"] in on:
            node["mode"] = 0
            for inner in subgraphs.get(node["type"], {}).get("nodes", []):
                inner["mode"] = 0
    return workflow


def drop_dead(api: ApiPrompt) -> ApiPrompt:
    """``api`` without the nodes no ``SaveVideo`` depends on (a template's leftover
    ``VAEDecode`` whose output goes nowhere); unchanged when it has no ``SaveVideo``."""
    todo = [k for k, v in api.items() if v["class_type"] == "SaveVideo"]
    if not todo:
        return api
    live: set[str] = set()
    while todo:
        node_id = todo.pop()
        if node_id in live:
            continue
        live.add(node_id)
        todo.extend(str(v[0]) for v in api[node_id]["inputs"].values()
                    if is_link(v) and str(v[0]) in api)
    return {k: v for k, v in api.items() if k in live}


def template_api(name: str, *, include_bypassed: bool = False,
                 object_info: Mapping[str, Any] | None = None, enhance: bool = False,
                 static: bool = True, fit_schema: bool = False,
                 variant: str | None = None,
                 video_width: int | None = CONTROL_VIDEO_WIDTH) -> ApiPrompt:
    """The official template ``name`` flattened to a ComfyUI API-format prompt.

    ``include_bypassed=True`` treats bypassed (mode 4) nodes as active, e.g. to see where
    the template's optional camera LoRAs would sit; by default they are removed exactly as
    the frontend does when it queues the workflow. ``object_info`` defaults to
    :func:`default_object_info` (the LTX-2 fixture, or ComfyUI 0.33.0's for templates
    with nodes the fixture lacks, e.g. the LTX-2.5 ones); an ``object_info`` that lacks
    a node type of the template raises ``KeyError`` naming it. ``static`` applies
    :func:`resolve_static` (with ``enhance``: whether the prompt-enhancement switch takes
    ``TextGenerateLTX2Prompt``); ``static=False`` returns the plain flattening (helper
    nodes such as ``ResolutionSelector`` and ``ComfyMathExpression`` kept). ``fit_schema``:
    see :func:`flatten_workflow`. ``variant`` picks one of a template's variants
    (:data:`TEMPLATE_VARIANTS`, :func:`select_variant`); ``static`` also drops dead nodes
    (:func:`drop_dead`). ``video_width`` is the width of the frames of the template's video,
    for what the graph decides from it at run time (see :data:`CONTROL_VIDEO_WIDTH`; None:
    left to run time).
    """
    workflow = select_variant(load_template(name), name, variant)
    info = default_object_info(workflow) if object_info is None else object_info
    api = flatten_workflow(workflow, info, include_bypassed=include_bypassed,
                           fit_schema=fit_schema).api
    if not static:
        return api
    return drop_dead(resolve_static(api, enhance=enhance, video_width=video_width))


_MATH_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
}


_COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b,
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}


def _eval_math(expression: str, names: Mapping[str, Any]) -> Any:
    """Evaluate a ``ComfyMathExpression`` of numbers, names, ``+ - * / // %``, unary minus
    and one comparison (``a > 2048``) (``ValueError`` for anything else: such a template
    needs a new rule here)."""
    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name):
            return names[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _MATH_OPS:
            return _MATH_OPS[type(node.op)](walk(node.left), walk(node.right))
        if (isinstance(node, ast.Compare) and len(node.ops) == 1
                and type(node.ops[0]) in _COMPARISONS):
            return _COMPARISONS[type(node.ops[0])](walk(node.left), walk(node.comparators[0]))
        raise ValueError(f"unsupported expression {expression!r}")
    return walk(ast.parse(expression.strip(), mode="eval"))


ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1 (Square)": (1, 1), "3:2 (Photo)": (3, 2), "4:3 (Standard)": (4, 3),
    "16:9 (Widescreen)": (16, 9), "21:9 (Ultrawide)": (21, 9), "2:3 (Portrait Photo)": (2, 3),
    "3:4 (Portrait Standard)": (3, 4), "9:16 (Portrait Widescreen)": (9, 16),
}
"""``ResolutionSelector.aspect_ratio`` options (ComfyUI ``comfy_extras/nodes_resolution.py``)."""


def resolution_selector(aspect_ratio: str, megapixels: float, multiple: int = 8,
                        minimum: int | None = None) -> tuple[int, int]:
    """``ResolutionSelector``'s ``(width, height)`` as ComfyUI computes it: with
    ``scale = sqrt(megapixels * 1024 * 1024 / (w * h))`` for the ratio ``w:h``, each side
    is ``round(ratio side * scale / multiple) * multiple`` (Python's round, half to even).
    ``minimum`` (an input of releases after 0.33.0) enlarges both sides to the smallest
    exact multiple of the ratio above it."""
    w_ratio, h_ratio = ASPECT_RATIOS[aspect_ratio]
    scale = math.sqrt(megapixels * 1024 * 1024 / (w_ratio * h_ratio))
    width = round(w_ratio * scale / multiple) * multiple
    height = round(h_ratio * scale / multiple) * multiple
    if minimum is not None and (width < minimum or height < minimum):
        step_w = multiple // math.gcd(w_ratio, multiple)
        step_h = multiple // math.gcd(h_ratio, multiple)
        k_step = step_w * step_h // math.gcd(step_w, step_h)
        least = math.ceil(max(minimum / w_ratio, minimum / h_ratio))
        k = math.ceil(least / k_step) * k_step
        width, height = w_ratio * k, h_ratio * k
    return width, height


_VIDEO_FRAME_PATH = {"GetVideoComponents": "video", "Video Slice": "video"}
"""How a video's decoded frames lead back to ``LoadVideo`` (class -> its input)."""


def _video_frames(api: ApiPrompt, source: Any) -> bool:
    """Whether ``source`` (a link) is a video's frames as decoded: ``GetVideoComponents``'s
    images, of a ``LoadVideo`` (through ``Video Slice``)."""
    if not is_link(source) or str(source[0]) not in api:
        return False
    node = api[str(source[0])]
    if node["class_type"] != "GetVideoComponents" or int(source[1]) != 0:
        return False
    while node["class_type"] in _VIDEO_FRAME_PATH:
        upstream = node["inputs"].get(_VIDEO_FRAME_PATH[node["class_type"]])
        if not is_link(upstream) or str(upstream[0]) not in api:
            return False
        node = api[str(upstream[0])]
    return bool(node["class_type"] == "LoadVideo")


def _static_outputs(api: ApiPrompt, node_id: str, enhance: bool,
                    video_width: int | None = None) -> dict[int, Any] | None:
    """What a statically decidable helper node gives on each output slot (values, or
    links it passes on), or None when it is not decidable. ``GetImageSize`` of a video's
    frames gives ``video_width`` when it is known and nothing reads its other outputs."""
    node = api[node_id]
    kind, inputs = node["class_type"], node["inputs"]
    if (kind == "GetImageSize" and video_width is not None
            and _video_frames(api, inputs.get("image"))):
        slots = {int(v[1]) for other in api.values() for v in other["inputs"].values()
                 if is_link(v) and str(v[0]) == node_id}
        return {0: video_width} if slots <= {0} else None
    if kind == "ComfyMathExpression":
        values = {k.split(".", 1)[1]: v for k, v in inputs.items() if k.startswith("values.")}
        if any(is_link(v) for v in values.values()) or is_link(inputs.get("expression")):
            return None
        result = _eval_math(str(inputs["expression"]), values)
        return {0: float(result), 1: int(result), 2: bool(result)}
    if kind == "ResolutionSelector":
        literals = {k: v for k, v in inputs.items() if not is_link(v)}
        if len(literals) != len(inputs):
            return None
        size = resolution_selector(str(literals["aspect_ratio"]),
                                   float(literals["megapixels"]),
                                   int(literals.get("multiple", 8)), literals.get("minimum"))
        return {0: size[0], 1: size[1]}
    if kind == "ComfySwitchNode" and not is_link(inputs.get("switch")):
        on_true = inputs.get("on_true")
        choice = bool(inputs["switch"])
        if is_link(on_true) and api.get(str(on_true[0]), {}).get(
                "class_type") == "TextGenerateLTX2Prompt":
            choice = enhance
        return {0: on_true if choice else inputs.get("on_false")}
    if kind == "LTXVImgToVideoInplace" and inputs.get("bypass") is True:
        return {0: inputs["latent"]}
    return None


def _follow(value: Any, replaced: Mapping[tuple[str, int], Any]) -> Any:
    """``value``, or what the replaced output it links to stands for (followed)."""
    for _ in range(1000):
        if not (is_link(value) and (str(value[0]), int(value[1])) in replaced):
            return value
        value = replaced[(str(value[0]), int(value[1]))]
    raise ValueError("cycle while resolving static helper nodes")


def resolve_static(api: ApiPrompt, *, enhance: bool = False,
                   video_width: int | None = None) -> ApiPrompt:
    """``api`` with what the frontend's helper nodes decide statically resolved, as ComfyUI
    would compute it, then the nodes no ``SaveVideo`` depends on dropped:

    * ``ComfyMathExpression`` with literal operands: its FLOAT (0), INT (1, ``int()`` of
      the result) and BOOLEAN (2) outputs become literals in their consumers;
    * ``ResolutionSelector`` with literal inputs: its width and height
      (:func:`resolution_selector`) become literals;
    * ``ComfySwitchNode`` with a literal ``switch``: consumers take the chosen input. A switch
      between ``TextGenerateLTX2Prompt`` and the plain prompt (the LTX-2.3 / 2.5 templates'
      prompt enhancement) takes ``enhance`` instead: the SDK makes enhancement a request
      option;
    * ``LTXVImgToVideoInplace`` with ``bypass`` true returns its latent unchanged: consumers
      take that latent;
    * with ``video_width``, ``GetImageSize`` of a video's decoded frames whose width alone is
      read: that width (the union-control template's "wider than 2048" switch).

    Rules apply until nothing changes (a ``ResolutionSelector`` feeding a
    ``ComfyMathExpression`` resolves both). A prompt without such nodes is returned
    unchanged.
    """
    api = {k: {**v, "inputs": dict(v["inputs"])} for k, v in api.items()}
    changed = False
    while True:
        replaced: dict[tuple[str, int], Any] = {}
        for node_id in api:
            outputs = _static_outputs(api, node_id, enhance, video_width)
            if outputs is not None:
                replaced |= {(node_id, slot): value for slot, value in outputs.items()}
        if not replaced:
            break
        changed = True
        for node in api.values():
            node["inputs"] = {k: _follow(v, replaced) for k, v in node["inputs"].items()}
        removed = {node_id for node_id, _ in replaced}
        api = {k: v for k, v in api.items() if k not in removed}
    if not changed:
        return api
    return drop_dead(api)


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


def _widget_type(spec: Sequence[Any]) -> str:
    """The widget type of an input: its ``widgetType`` option (multi-type inputs such as
    ``"FLOAT,INT"`` of ComfyUI 0.33.0's ``LTXVEmptyLatentAudio.frame_rate`` name the widget
    the frontend shows), else its type."""
    declared = _spec_options(spec).get("widgetType")
    return str(declared) if isinstance(declared, str) else _spec_type(spec)


def is_widget(spec: Sequence[Any]) -> bool:
    """Whether the frontend shows this input as a widget (and stores a widget value)."""
    if _spec_options(spec).get("forceInput"):
        return False
    return isinstance(spec[0], list) or _widget_type(spec) in WIDGET_TYPES


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


DYNAMIC_SUB_INPUT_ORDER: Mapping[tuple[str, str, str], tuple[str, ...]] = SUB_WIDGET_ORDER
"""Definition order of dynamic-combo options with several widget sub-inputs, by
``(class, combo input, option)``: the SDK's table (see
:data:`ltx2sdk.graph.editor.widgets.SUB_WIDGET_ORDER`; the key-sorted dumps of this suite
lose it)."""


def _dynamic_sub_inputs(option: Mapping[str, Any], where: tuple[str, str] | None = None
                        ) -> list[tuple[str, Sequence[Any], bool]]:
    """``(name, spec, required)`` of the inputs a dynamic-combo option adds.

    The order is the option's ``input_order`` when given, else
    :data:`DYNAMIC_SUB_INPUT_ORDER` for ``where`` = ``(class, combo input)`` when it lists
    the option, else the order of the JSON object (which a ``sort_keys`` dump loses; see
    :func:`_sub_order_known`).
    """
    result = ordered_inputs({"input": option.get("inputs", {}),
                             "input_order": option.get("input_order", {})})
    known = DYNAMIC_SUB_INPUT_ORDER.get((*where, str(option.get("key")))) if where else None
    if known is not None and "input_order" not in option and (
            set(known) == {name for name, _, _ in result}):
        rank = {name: i for i, name in enumerate(known)}
        result.sort(key=lambda entry: rank[entry[0]])
    return result


def _sub_order_known(option: Mapping[str, Any], where: tuple[str, str]) -> bool:
    """Whether the widget order of a dynamic-combo option is known for positional mapping:
    at most one widget sub-input, an ``input_order``, a :data:`DYNAMIC_SUB_INPUT_ORDER`
    entry, or an unsorted (hence definition-ordered) JSON object."""
    names = [name for name, spec, _ in _dynamic_sub_inputs(option) if is_widget(spec)]
    if len(names) < 2 or "input_order" in option:
        return True
    if (*where, str(option.get("key"))) in DYNAMIC_SUB_INPUT_ORDER:
        return True
    return names != sorted(names)


def _widget_specs(schema: Mapping[str, Any], values: Mapping[str, Any]
                  ) -> dict[str, tuple[Sequence[Any], bool]]:
    """``name -> (spec, required)`` of the widget inputs :func:`widget_names` lists."""
    specs: dict[str, tuple[Sequence[Any], bool]] = {}
    for name, spec, required in ordered_inputs(schema):
        if not is_widget(spec):
            continue
        specs[name] = (spec, required)
        if _spec_type(spec) == DYNAMIC_COMBO:
            option = _dynamic_option(spec, values.get(name))
            for sub, sub_spec, sub_required in _dynamic_sub_inputs(option or {}):
                if is_widget(sub_spec):
                    specs[f"{name}.{sub}"] = (sub_spec, required and sub_required)
    return specs


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
                names += [f"{name}.{sub}" for sub, sub_spec, _
                          in _dynamic_sub_inputs(option, (str(schema.get("name")), name))
                          if is_widget(sub_spec)]
    return names


def map_widget_values(schema: Mapping[str, Any], values: Sequence[Any], *,
                      missing: list[str] | None = None) -> dict[str, Any]:
    """Map a UI node's positional ``widgets_values`` to API input names.

    Every widget input of ``schema`` (in ``input_order``, linked or not) takes one value;
    a ``control_after_generate`` widget (seeds, ``PrimitiveInt``) and an upload button
    (``LoadImage``) take one more value that is dropped; a dynamic combo takes its chosen
    option, then one value per widget sub-input of that option (dotted keys, in definition
    order: see :data:`DYNAMIC_SUB_INPUT_ORDER`).
    Raises ``ValueError`` when the count of values does not fit the schema, or when a
    dynamic-combo option has several widget sub-inputs whose order ``schema`` does not
    tell (a key-sorted dump) and :data:`DYNAMIC_SUB_INPUT_ORDER` does not list it.

    With a ``missing`` list, values that run out at a widget boundary (a node saved by an
    older frontend, before its node gained widgets, e.g. ``CreateVideo`` without
    ``bit_depth``) are no error: as the frontend does on load, those widgets keep their
    default (a widget without default stays out of the result), and their names are
    appended to ``missing``.
    """
    queue: Iterator[Any] = iter(values)
    sentinel = object()
    result: dict[str, Any] = {}
    exhausted = False

    def take(name: str) -> Any:
        value = next(queue, sentinel)
        if value is sentinel:
            raise ValueError(f"{schema.get('name')}: no widget value left for {name!r} "
                             f"(values: {list(values)!r})")
        return value

    def consume(name: str, spec: Sequence[Any]) -> None:
        nonlocal exhausted
        if missing is not None:
            value = next(queue, sentinel)
            if value is sentinel:
                exhausted = True
                missing.append(name)
                default = _spec_options(spec).get("default")
                if default is not None:
                    result[name] = default
                return
            result[name] = value
            if _has_control(spec):
                next(queue, None)
            if _has_upload(spec):
                next(queue, None)
            return
        result[name] = take(name)
        if _has_control(spec):
            take(f"{name} (control_after_generate)")
        if _has_upload(spec):
            take(f"{name} (upload)")

    for name, spec, _ in ordered_inputs(schema):
        if not is_widget(spec):
            continue
        consume(name, spec)
        if exhausted and name not in result:
            continue
        if _spec_type(spec) == DYNAMIC_COMBO:
            option = _dynamic_option(spec, result[name])
            if option is None:
                raise ValueError(f"{schema.get('name')}: {name}={result[name]!r} is no option")
            where = (str(schema.get("name")), name)
            if not _sub_order_known(option, where):
                raise ValueError(f"{schema.get('name')}: the widget order of {name}="
                                 f"{result[name]!r} is unknown (key-sorted object_info); "
                                 "add it to DYNAMIC_SUB_INPUT_ORDER")
            for sub, sub_spec, _ in _dynamic_sub_inputs(option, where):
                if is_widget(sub_spec):
                    consume(f"{name}.{sub}", sub_spec)
    leftover = list(queue)
    if leftover and schema.get("output_node") and all(v is None for v in leftover):
        # an output node's display-only widgets (PreviewAny's preview panes, saved empty as
        # in template_ltx2_3_ic_lora_ingredients): no input, nothing to map
        leftover = []
    if leftover:
        raise ValueError(f"{schema.get('name')}: {len(leftover)} widget values left over: "
                         f"{leftover!r} (values: {list(values)!r})")
    return result


# --------------------------------------------------------------------------- flattening


@dataclass
class FlattenResult:
    """The outcome of :func:`flatten_workflow`.

    ``api`` is the API prompt; ``notes`` lists what was dropped on the way that is not
    plain UI bookkeeping (widget values of a newer frontend unknown to ``object_info``,
    links to removed nodes, values :func:`flatten_workflow`'s ``fit_schema`` replaced).
    """

    api: ApiPrompt
    notes: list[str]


def _types_overlap(a: str, b: str) -> bool:
    """Whether two (possibly comma-separated union) type strings share a type."""
    if "*" in (a, b):
        return True
    return bool(set(a.split(",")) & set(b.split(",")))


def _id_key(uid: str) -> tuple[int | str, ...]:
    """Sort key of flat ids like ``"92:41"`` (numeric parts compare as numbers)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[:]", uid))


def inline_primitives(api: ApiPrompt) -> ApiPrompt:
    """``api`` with each backend primitive node (``PrimitiveInt``, ``PrimitiveFloat``, ...:
    nodes the server runs, which the editor sends as they are) replaced in its consumers by
    its ``value`` (a literal, or the link it passes on), the pipeline comparisons' view."""
    primitives = {k: v["inputs"].get("value") for k, v in api.items()
                  if v["class_type"] in PRIMITIVE_TYPES}

    def follow(value: Any) -> Any:
        for _ in range(1000):
            if not (is_link(value) and str(value[0]) in primitives):
                return value
            value = primitives[str(value[0])]
        raise ValueError("a cycle of primitive nodes")

    return {k: {**v, "inputs": {name: follow(value) for name, value in v["inputs"].items()}}
            for k, v in api.items() if k not in primitives}


def _fitted(uid: str, node: Mapping[str, Any], schema: Mapping[str, Any],
            notes: list[str]) -> dict[str, Any]:
    """The inputs of API ``node`` with each INT/FLOAT/BOOLEAN/STRING widget value whose type
    the schema rejects (a value of a newer ComfyUI, e.g. ``CreateVideo.bit_depth="auto"``
    against ComfyUI 0.33.0's INT) replaced by the input's default, or dropped when the input
    is optional without a default; each change noted. Combos are left alone (model lists of
    a fixture are placeholders)."""
    inputs = dict(node["inputs"])
    specs = _widget_specs(schema, inputs)
    kind = node["class_type"]
    for name, value in node["inputs"].items():
        entry = specs.get(name)
        if entry is None or is_link(value):
            continue
        spec, required = entry
        check = _LITERAL_CHECKS.get(_widget_type(spec))
        if check is None or check(value) or (
                _widget_type(spec) == "FLOAT" and _LITERAL_CHECKS["INT"](value)):
            continue
        default = _spec_options(spec).get("default")
        if default is not None and check(default):
            inputs[name] = default
            notes.append(f"{uid} {kind}: widget {name}={value!r} is no {_widget_type(spec)} "
                         f"in object_info; its default {default!r} used")
        elif not required:
            del inputs[name]
            notes.append(f"{uid} {kind}: widget {name}={value!r} is no {_widget_type(spec)} "
                         "in object_info; dropped")
        else:
            raise ValueError(f"{uid} {kind}: widget {name}={value!r} is no "
                             f"{_widget_type(spec)} and has no default")
    return inputs


def flatten_workflow(workflow: Mapping[str, Any], object_info: Mapping[str, Any], *,
                     include_bypassed: bool = False, fit_schema: bool = False) -> FlattenResult:
    """Flatten a UI-format (litegraph) workflow into an API-format prompt.

    The SDK's importer does the editor's part (:func:`ltx2sdk.graph.editor.ui_import.
    import_workflow`, with ``object_info``'s schemas: subgraphs inlined, promoted and proxy
    widgets, Reroutes and frontend primitives resolved, notes dropped, bypassed and muted
    nodes handled as the frontend does; ``include_bypassed`` keeps bypassed nodes active).
    On top, for the pipeline comparisons of this suite:

    * backend ``Primitive*`` nodes (which the editor sends to the server as nodes) become
      literal values in their consumers (:func:`inline_primitives`);
    * ``fit_schema=True`` also replaces widget values whose type ``object_info`` rejects
      (e.g. ``CreateVideo.bit_depth="auto"`` of a newer ComfyUI against 0.33.0's INT) by the
      input's default, noting each; by default they are kept, as the frontend sends them.

    Raises ``KeyError`` naming the node types ``object_info`` lacks.
    """
    unknown = sorted(workflow_node_types(workflow) - set(object_info))
    if unknown:
        raise KeyError(f"node types missing from object_info: {unknown} (ComfyUI "
                       "0.33.0's, OBJECT_INFO_0_33, has the LTX-2.5 nodes)")
    schemas = SchemaSet.from_object_info(object_info)
    result = import_workflow(workflow, schemas, keep_bypassed=include_bypassed)
    api = inline_primitives(result.api)
    notes = list(result.notes)
    if fit_schema:
        fitted: list[str] = []
        api = {uid: {**node, "inputs": _fitted(uid, node, object_info[node["class_type"]],
                                               fitted)}
               for uid, node in api.items()}
        # each node's notes together, in node order (a stable sort keeps theirs first)
        notes = sorted([*notes, *fitted], key=lambda note: _id_key(note.split(" ", 1)[0]))
    return FlattenResult(api=api, notes=list(dict.fromkeys(notes)))


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


_LITERAL_CHECKS: dict[str, Callable[[Any], bool]] = {
    "INT": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "FLOAT": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "BOOLEAN": lambda v: isinstance(v, bool),
    "STRING": lambda v: isinstance(v, str),
}
"""Which literals a member of a multi-type input (``"FLOAT,INT,BOOLEAN"``) accepts."""


def _autogrow_inputs(name: str, spec: Sequence[Any], required: bool
                     ) -> list[tuple[str, Sequence[Any], bool]]:
    """``(dotted name, spec, required)`` of the inputs a ``COMFY_AUTOGROW_V3`` input may
    grow (``values.a``, ``values.b``, ...; the first ``min`` are required)."""
    template = _spec_options(spec).get("template") or {}
    declared = template.get("input") or {}
    specs = [*(declared.get("required") or {}).values(),
             *(declared.get("optional") or {}).values()]
    if not specs:
        return []
    names = [str(n) for n in template.get("names") or []]
    if not names and template.get("prefix") is not None:
        names = [f"{template['prefix']}{i}" for i in range(int(template.get("max") or 100))]
    least = int(template.get("min") or 0)
    return [(f"{name}.{sub}", specs[0], required and i < least)
            for i, sub in enumerate(names)]


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
    elif kind == MATCH_TYPE:
        # ComfyUI checks no literal of a match-type input (a switch between two strings
        # gets literals once the frontend's primitives are resolved)
        allowed = str((options.get("template") or {}).get("allowed_types") or "*")
        members = [m for m in allowed.split(",") if m in _LITERAL_CHECKS]
        if allowed != "*" and not any(_LITERAL_CHECKS[m](value) for m in members):
            return [f"{where}: {allowed} input needs a link, got literal {value!r}"]
        return errors
    elif "," in kind and set(kind.split(",")) & set(_LITERAL_CHECKS):
        # a multi-type input ("FLOAT,INT"): ComfyUI converts nothing and checks the range
        members = [m for m in kind.split(",") if m in _LITERAL_CHECKS]
        if not any(_LITERAL_CHECKS[m](value) for m in members):
            return [f"{where}: one of {'/'.join(members)} expected, got {value!r}"]
        if isinstance(value, bool) or not isinstance(value, int | float):
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
    required sub-input of a chosen dynamic-combo option, as a dotted key, and the first
    ``min`` inputs of an autogrow input such as ``ComfyMathExpression``'s ``values.a``) is
    present; no input is unknown; every link points at an existing node and output slot
    whose type the input accepts (unions like ``"FLOAT,INT"``, ``"*"``, match types and
    dynamic combos included); literals have the input's type (for a multi-type input such
    as ``"FLOAT,INT"``, one of its types), lie in ``min``/``max`` and, for combos with a
    non-empty option list (other than upload pickers), are an option.
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
            if _spec_type(spec) == AUTOGROW:
                for sub, sub_spec, sub_required in _autogrow_inputs(name, spec, required):
                    expected[sub] = (sub_spec, sub_required)
                continue
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

    def consumers(self, node_id: str, slot: int | None = None) -> list[tuple[str, str]]:
        """``(consumer id, input name)`` of every link from ``node_id`` (output ``slot``, or
        any), in a content-independent but deterministic order (by class, input, id)."""
        found = [(other, name) for other, node in self.api.items()
                 for name, value in node.get("inputs", {}).items()
                 if is_link(value) and value[0] == node_id
                 and (slot is None or int(value[1]) == slot)]
        return sorted(found, key=lambda c: (self.cls(c[0]), c[1], _natural(c[0])))

    def output_value(self, node_id: str, slot: int) -> Any:
        """Evaluate primitives, ``ComfyMathExpression``, ``ResolutionSelector`` and
        GetImageSize over EmptyImage/ImageScaleBy/resize, when statically known."""
        kind = self.cls(node_id)
        if kind in PRIMITIVE_TYPES and slot == 0:
            return self.value(node_id, "value")
        if kind == "ComfyMathExpression" and slot < 3:
            names = {k.split(".", 1)[1]: self.value(node_id, k)
                     for k in self.api[node_id].get("inputs", {}) if k.startswith("values.")}
            expression = self.value(node_id, "expression")
            if not isinstance(expression, str) or any(v is None for v in names.values()):
                return None
            result = _eval_math(expression, names)
            return (float(result), int(result), bool(result))[slot]
        if kind == "ResolutionSelector" and slot < 2:
            ratio, megapixels = self.value(node_id, "aspect_ratio"), self.value(node_id,
                                                                                  "megapixels")
            if ratio not in ASPECT_RATIOS or not isinstance(megapixels, int | float):
                return None
            multiple = self.value(node_id, "multiple")
            return resolution_selector(str(ratio), float(megapixels),
                                       int(multiple) if multiple is not None else 8,
                                       self.value(node_id, "minimum"))[slot]
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


_SAMPLERS = ("SamplerCustomAdvanced", "KSampler")
"""The nodes that sample a stage: ``SamplerCustomAdvanced`` (noise, guider, sampler and
sigmas linked in), or ``KSampler`` (model, conditioning, seed, steps, cfg, sampler and
scheduler its own inputs)."""


def _guidance(walker: _Walker, sampler_id: str) -> str | None:
    """The node holding a stage's model and conditioning: its guider, or the ``KSampler``."""
    if walker.cls(sampler_id) == "KSampler":
        return sampler_id
    guider = walker.link(sampler_id, "guider")
    return guider[0] if guider else None


def _stage_order(walker: _Walker) -> list[str]:
    """The stages' sampler ids (``SamplerCustomAdvanced``, ``KSampler``), upstream first (by
    count of sampler ancestors): those sampling a joint audio-video latent
    (``LTXVConcatAVLatent``), so that a sampler inside a preprocessor (the Lotus depth pass)
    is no stage; all of them in a graph without such a latent."""
    samplers = walker.of_class(*_SAMPLERS)
    joint = [s for s in samplers if (latent := walker.link(s, "latent_image")) is not None
             and walker.cls(latent[0]) == "LTXVConcatAVLatent"]
    samplers = joint or samplers
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
        if kind in _SAMPLERS:
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


_IMAGE_STEPS = frozenset({*_RESIZE_TYPES, "LTXVPreprocess", "LoadImage", "LoadVideo",
                          "GetVideoComponents", "ImageFromBatch", "Video Slice", "Canny",
                          "ImageInvert", "RepeatImageBatch", "ResizeAndPadImage"})
_IMAGE_SOURCES = frozenset({"LoadImage", "LoadVideo"})
"""Where an image chain starts: a file."""
_AUDIO_PASS_THROUGH: dict[str, str] = {
    "SetLatentNoiseMask": "samples",
    "LTXVAudioVAEEncode": "audio",
    "TrimAudioDuration": "audio",
}
"""The input an audio-chain node's output comes from (ia2v's given audio)."""
_LOADER_TYPES = frozenset({
    "CheckpointLoaderSimple", "CheckpointLoader", "UNETLoader", "VAELoader", "CLIPLoader",
    "DualCLIPLoader", "LTXAVTextEncoderLoader", "LTXVAudioVAELoader",
    "LatentUpscaleModelLoader", "UpscaleModelLoader", "LoadMoGeModel"})


def _describe(walker: _Walker, node_id: str) -> dict[str, Any]:
    """``{"class_type", <literal inputs>}`` of a node (statically known links included)."""
    return {"class_type": walker.cls(node_id), **walker.literals(node_id)}


def _lotus_depth(walker: _Walker, decode_id: str) -> tuple[dict[str, Any], Any] | None:
    """A Lotus depth pass ending at ``VAEDecode`` ``decode_id`` (its samples from a
    ``SamplerCustomAdvanced`` guided by ``LotusConditioning``), summarised as one step
    ``{"class_type": "LotusDepth", unet_name, weight_dtype, vae_name, sigma, scheduler,
    steps, denoise, sampler_name, noise}``, with the image it encodes (the ``VAEEncode``'s
    pixels); None for any other decode."""
    sampler = walker.link(decode_id, "samples")
    if sampler is None or walker.cls(sampler[0]) != "SamplerCustomAdvanced":
        return None
    sampler_id = sampler[0]
    guider = walker.link(sampler_id, "guider")
    conditioning = walker.link(guider[0], "conditioning") if guider else None
    if conditioning is None or walker.cls(conditioning[0]) != "LotusConditioning":
        return None
    model = walker.link(guider[0], "model") if guider else None
    sigmas = walker.link(sampler_id, "sigmas")
    schedule = walker.link(sigmas[0], "sigmas") if sigmas else None
    select = walker.link(sampler_id, "sampler")
    noise = walker.link(sampler_id, "noise")
    encode = walker.link(sampler_id, "latent_image")
    vae = walker.link(decode_id, "vae")
    step: dict[str, Any] = {"class_type": "LotusDepth"}
    for node, names in ((model, ("unet_name", "weight_dtype")), (vae, ("vae_name",)),
                        (sigmas, ("sigma",)), (schedule, ("scheduler", "steps", "denoise")),
                        (select, ("sampler_name",))):
        for input_name in names:
            step[input_name] = _num(walker.value(node[0], input_name)) if node else None
    step["noise"] = walker.cls(noise[0]) if noise else None
    step["sigmas_from"] = [walker.cls(n[0]) if n else None for n in (sigmas, schedule)]
    step["encoded_with_same_vae"] = bool(
        encode and walker.cls(encode[0]) == "VAEEncode" and walker.link(encode[0], "vae") == vae)
    pixels = walker.link(encode[0], "pixels") if encode else None
    return step, pixels


def _moge_depth(walker: _Walker, render_id: str) -> tuple[dict[str, Any], Any]:
    """A MoGe pass ending at ``MoGeRender`` ``render_id``, summarised as one step
    ``{"class_type": "MoGeDepth", model_name, resolution_level, fov_x_degrees, batch_size,
    force_projection, apply_mask, output}``, with the image it estimates (the
    ``MoGeInference``'s)."""
    step: dict[str, Any] = {"class_type": "MoGeDepth"}
    inference = walker.link(render_id, "moge_geometry")
    model = walker.link(inference[0], "moge_model") if inference else None
    step["model_name"] = walker.value(model[0], "model_name") if model else None
    for name in ("resolution_level", "fov_x_degrees", "batch_size", "force_projection",
                 "apply_mask"):
        value = walker.value(inference[0], name) if inference else None
        step[name] = _num(value) if name == "fov_x_degrees" else value  # (a FLOAT input)
    step["output"] = walker.value(render_id, "output")
    return step, walker.link(inference[0], "image") if inference else None


def _image_source_chain(walker: _Walker, source: tuple[str, int] | None) -> list[dict[str, Any]]:
    """The image-processing nodes an image input comes through, from the file down, each
    described: ``LoadImage``, resize nodes, ``LTXVPreprocess``; for a control video
    ``LoadVideo``, ``Video Slice``, ``GetVideoComponents`` (its ``images``),
    ``ImageFromBatch``, the resize nodes, then ``Canny``, a Lotus depth pass (one
    ``LotusDepth`` step, see :func:`_lotus_depth`) and ``ImageInvert``, or a MoGe depth pass
    (one ``MoGeDepth`` step, see :func:`_moge_depth`). A ``ComfySwitchNode`` left to run time
    is one step with its ``switch`` (its value's source, as :func:`_value_source` gives it)
    and its ``on_true`` chain; the chain goes on along ``on_false``."""
    chain: list[dict[str, Any]] = []
    while source is not None and len(chain) < 100:
        node_id, slot = source
        kind = walker.cls(node_id)
        lotus = _lotus_depth(walker, node_id) if kind == "VAEDecode" else None
        if lotus is not None:
            chain.append(lotus[0])
            source = lotus[1]
            continue
        if kind == "MoGeRender":
            step, source = _moge_depth(walker, node_id)
            chain.append(step)
            continue
        if kind == "ComfySwitchNode":  # decided when it runs: its switch and both branches
            chain.append({"class_type": kind,
                          "switch": _value_source(walker, node_id, "switch"),
                          "on_true": _image_source_chain(walker,
                                                         walker.link(node_id, "on_true"))})
            source = walker.link(node_id, "on_false")
            continue
        step = _describe(walker, node_id) if kind in _IMAGE_STEPS else {"class_type": kind}
        if kind == "GetVideoComponents":
            step["slot"] = slot  # 0: the frames
        chain.append(step)
        if kind in _IMAGE_SOURCES:
            break
        source = next((walker.link(node_id, n) for n in (*_IMAGE_INPUTS, "video")
                       if walker.link(node_id, n)), None)
    return chain[::-1]


def _value_source(walker: _Walker, node_id: str, name: str, depth: int = 0) -> Any:
    """Where an input's value comes from: ``{"value": v}`` for a literal, else the source
    node (``ResolutionSelector`` settings, ``ComfyMathExpression`` with the sources of its
    operands, ``GetImageSize`` with the image chain), with its statically known
    ``value``."""
    raw = walker.api[node_id].get("inputs", {}).get(name)
    if not is_link(raw) or raw[0] not in walker.api or depth > 20:
        return {"value": raw}
    source, slot = str(raw[0]), int(raw[1])
    kind = walker.cls(source)
    found: dict[str, Any] = {"from": kind, "slot": slot}
    if kind == "ComfyMathExpression":
        found["expression"] = walker.value(source, "expression")
        found["values"] = {k.split(".", 1)[1]: _value_source(walker, source, k, depth + 1)
                           for k in walker.api[source].get("inputs", {})
                           if k.startswith("values.")}
    elif kind == "ResolutionSelector":
        found |= {k: v for k, v in walker.literals(source).items()}
    elif kind == "GetImageSize":
        found["image"] = _image_source_chain(walker, walker.link(source, "image"))
    elif kind in PRIMITIVE_TYPES:
        found["value_input"] = _value_source(walker, source, "value", depth + 1)
    found["value"] = walker.output_value(source, slot)
    return found


def _path_to_stage(walker: _Walker, source: tuple[str, int] | None, stage_of: Mapping[str, int],
                   through: Mapping[str, str]) -> list[Any]:
    """Described nodes on a latent path (following ``through``: class -> input), ending at
    a node not in ``through`` (described) or at a stage's sampler
    (``{"stage": n, "slot": "output"|"denoised_output"}``)."""
    path: list[Any] = []
    while source is not None and len(path) < 100:
        node_id, slot = source
        kind = walker.cls(node_id)
        if kind in _SAMPLERS:
            path.append({"stage": stage_of.get(node_id),
                         "slot": _SAMPLER_OUTPUTS[slot] if slot < 2 else slot})
            break
        entry = _describe(walker, node_id)
        if kind == "LTXVSeparateAVLatent":
            entry["slot"] = ("video_latent", "audio_latent")[slot] if slot < 2 else slot
        if kind == "SetLatentNoiseMask":
            mask = walker.link(node_id, "mask")
            entry["mask"] = _describe(walker, mask[0]) if mask else None
        path.append(entry)
        upstream = through.get(kind)
        source = walker.link(node_id, upstream) if upstream else None
    return path


_AV_LATENT_PATH = {**_LATENT_PASS_THROUGH, **_AUDIO_PASS_THROUGH}


def _stage_detail(walker: _Walker, sampler_id: str, stage_of: Mapping[str, int]
                  ) -> dict[str, Any]:
    """The ``stage_details`` entry of one sampler (see :func:`pipeline_features`)."""
    detail: dict[str, Any] = {}
    if walker.cls(sampler_id) == "KSampler":  # its settings are its own inputs
        detail["sampler"] = {"class_type": "KSampler",
                             **{k: walker.value(sampler_id, k) for k in ("sampler_name",)}}
        detail["guider"] = {"class_type": "KSampler", "cfg": _num(walker.value(sampler_id,
                                                                             "cfg"))}
        detail["sigmas"] = _ksampler_sigmas(walker, sampler_id)
    else:
        sampler = walker.link(sampler_id, "sampler")
        detail["sampler"] = _describe(walker, sampler[0]) if sampler else None
        guider = walker.link(sampler_id, "guider")
        detail["guider"] = ({k: _num(v) if k != "class_type" else v
                             for k, v in _describe(walker, guider[0]).items()}
                            if guider else None)
        detail["sigmas"] = _sigmas(walker, walker.link(sampler_id, "sigmas"))
    guidance = _guidance(walker, sampler_id)
    model_path: list[dict[str, Any]] = []
    source = walker.link(guidance, "model") if guidance else None
    while source is not None and len(model_path) < 100:
        model_path.append(_describe(walker, source[0]))
        source = walker.link(source[0], "model")
    detail["model"] = model_path[::-1]
    positive_root, positive_path = _cond_root(
        walker, walker.link(guidance, "positive") if guidance else None)
    detail["cropped_conditioning"] = "LTXVCropGuides" in positive_path

    guides: list[dict[str, Any]] = []
    img2vid: list[dict[str, Any]] = []
    video: list[Any] = []
    audio: list[Any] = []
    latent = walker.link(sampler_id, "latent_image")
    if latent and walker.cls(latent[0]) == "LTXVConcatAVLatent":
        video = _path_to_stage(walker, walker.link(latent[0], "video_latent"), stage_of,
                               _LATENT_PASS_THROUGH)
        audio = _path_to_stage(walker, walker.link(latent[0], "audio_latent"), stage_of,
                               _AV_LATENT_PATH)
    elif latent:
        video = _path_to_stage(walker, latent, stage_of, _LATENT_PASS_THROUGH)
    source = walker.link(latent[0], "video_latent") if latent and walker.cls(
        latent[0]) == "LTXVConcatAVLatent" else latent
    while source is not None:
        node_id, _ = source
        kind = walker.cls(node_id)
        if kind in _SAMPLERS:
            break
        if kind == "LTXVAddGuide":
            guides.append({"frame_idx": walker.value(node_id, "frame_idx"),
                           "strength": _num(walker.value(node_id, "strength")),
                           "image": _image_source_chain(walker, walker.link(node_id, "image")),
                           "iclora_parameters": _iclora_parameters(
                               walker, walker.link(node_id, "iclora_parameters"), guidance)})
        if kind == "LTXVImgToVideoInplace":
            img2vid.append({"strength": _num(walker.value(node_id, "strength")),
                            "bypass": walker.value(node_id, "bypass"),
                            "image": _image_source_chain(walker,
                                                         walker.link(node_id, "image"))})
        upstream = _LATENT_PASS_THROUGH.get(kind)
        source = walker.link(node_id, upstream) if upstream else None
    detail["guides"] = guides[::-1]
    detail["img_to_video"] = img2vid[::-1]
    detail["video_latent"] = video
    detail["audio_latent"] = audio
    detail["positive_root"] = walker.cls(positive_root) if positive_root else None
    return detail


def _ksampler_sigmas(walker: _Walker, sampler_id: str) -> dict[str, Any]:
    """A ``KSampler``'s schedule, from its own inputs."""
    return {"type": "KSampler", "scheduler": walker.value(sampler_id, "scheduler"),
            "steps": walker.value(sampler_id, "steps"),
            "denoise": _num(walker.value(sampler_id, "denoise"))}


def _iclora_parameters(walker: _Walker, source: tuple[str, int] | None,
                       guidance: str | None) -> dict[str, Any] | None:
    """Where a guide's IC-LoRA parameters come from: ``GetICLoRAParameters`` with the LoRA it
    reads (the model it is given, described) and whether that is the stage's own model
    (None: the guide has none)."""
    if source is None:
        return None
    node_id, _ = source
    entry: dict[str, Any] = {"class_type": walker.cls(node_id)}
    model = walker.link(node_id, "iclora_model")
    entry["model"] = _describe(walker, model[0]) if model else None
    entry["stage_model"] = bool(model and guidance and walker.link(guidance, "model") == model)
    return entry


def _loader_entry(walker: _Walker, node_id: str) -> dict[str, Any]:
    """A loader with its literal inputs and, per output slot, the inputs it feeds."""
    entry = _describe(walker, node_id)
    outputs: dict[str, list[str]] = {}
    for consumer, name in walker.consumers(node_id):
        slot = int(walker.api[consumer]["inputs"][name][1])
        outputs.setdefault(str(slot), []).append(f"{walker.cls(consumer)}.{name}")
    entry["feeds"] = {k: sorted(set(v)) for k, v in sorted(outputs.items())}
    kind = entry["class_type"]
    fed = {f.split(".", 1)[1] for v in outputs.values() for f in v}
    if kind == "VAELoader":
        entry["role"] = ("audio" if fed == {"audio_vae"} else "video" if fed == {"vae"}
                         else "mixed")
    elif kind in ("CLIPLoader", "LTXAVTextEncoderLoader"):
        users = {f.split(".", 1)[0] for v in outputs.values() for f in v}
        clip_users = set(users)
        for consumer, _ in walker.consumers(node_id):
            if walker.cls(consumer) == "LoraLoader":
                clip_users |= {walker.cls(c) for c, _ in walker.consumers(consumer, 1)}
        entry["role"] = ("prompt enhancement" if clip_users & {"TextGenerateLTX2Prompt"}
                         and not clip_users & {"CLIPTextEncode"} else "text encoder")
    return entry


def _details(walker: _Walker, stages: Sequence[str], stage_of: Mapping[str, int]
             ) -> dict[str, Any]:
    """The ``details=True`` keys of :func:`pipeline_features`."""
    stage_model_nodes = {}
    for sampler_id in stages:
        guidance = _guidance(walker, sampler_id)
        nodes: set[str] = set()
        source = walker.link(guidance, "model") if guidance else None
        while source is not None and source[0] not in nodes:
            nodes.add(source[0])
            source = walker.link(source[0], "model")
        stage_model_nodes[stage_of[sampler_id]] = nodes

    def key(entry: Mapping[str, Any]) -> str:
        return json.dumps(entry, sort_keys=True, default=str)

    loaders = sorted((_loader_entry(walker, n) for n in walker.api
                      if walker.cls(n) in _LOADER_TYPES), key=key)
    loras: list[dict[str, Any]] = []
    for node_id in walker.of_class(*_LORA_LOADERS):
        entry = _describe(walker, node_id)
        model_used = bool(walker.consumers(node_id, 0))
        clip_used = walker.cls(node_id) == "LoraLoader" and bool(walker.consumers(node_id, 1))
        entry["applies_to"] = [part for part, used in (("model", model_used),
                                                       ("clip", clip_used)) if used]
        entry["stages"] = sorted(n for n, nodes in stage_model_nodes.items() if node_id in nodes)
        clip = walker.link(node_id, "clip")
        entry["clip_from"] = walker.cls(clip[0]) if clip else None
        entry["clip_feeds"] = sorted({f"{walker.cls(c)}.{name}"
                                      for c, name in walker.consumers(node_id, 1)}
                                     ) if clip_used else []
        loras.append(entry)
    loras.sort(key=key)

    images: dict[str, list[list[dict[str, Any]]]] = {}
    for consumer_kind in ("LTXVAddGuide", "LTXVImgToVideoInplace"):
        for node_id in walker.of_class(consumer_kind):
            chain = _image_source_chain(walker, walker.link(node_id, "image"))
            if chain and chain[0]["class_type"] == "LoadImage":
                steps = chain[1:]
                known = images.setdefault(str(chain[0].get("image")), [])
                if steps not in known:
                    known.append(steps)
    images = {file: sorted(chains, key=lambda c: json.dumps(c, sort_keys=True, default=str))
              for file, chains in sorted(images.items())}

    latent_size: dict[str, Any] = {}
    for node_id in walker.of_class("EmptyLTXVLatentVideo")[:1]:
        latent_size["video"] = {k: _value_source(walker, node_id, k)
                                for k in ("width", "height", "length", "batch_size")}
    for node_id in walker.of_class("LTXVEmptyLatentAudio")[:1]:
        latent_size["audio"] = {k: _value_source(walker, node_id, k)
                                for k in ("frames_number", "frame_rate", "batch_size")}
    frame_rates = {
        "LTXVConditioning.frame_rate": [_value_source(walker, n, "frame_rate")
                                        for n in walker.of_class("LTXVConditioning")],
        "CreateVideo.fps": [_value_source(walker, n, "fps")
                            for n in walker.of_class("CreateVideo")],
    }

    decode: dict[str, Any] = {}
    for node_id in walker.of_class("CreateVideo")[:1]:
        for part, name in (("video", "images"), ("audio", "audio")):
            source = walker.link(node_id, name)
            if source is None:
                decode[part] = None
                continue
            entry = _describe(walker, source[0])
            entry["samples"] = _path_to_stage(walker, walker.link(source[0], "samples"),
                                              stage_of, _AV_LATENT_PATH)
            decode[part] = entry

    crop_guides: list[dict[str, Any]] = []
    for node_id in walker.of_class("LTXVCropGuides"):
        _, cond_path = _cond_root(walker, walker.link(node_id, "positive"))
        uses = {slot: sorted({f"{walker.cls(c)}.{name}" for c, name in
                              walker.consumers(node_id, index)})
                for index, slot in enumerate(("positive", "negative", "latent"))}
        cond_stages = []
        for sampler_id in stages:
            guidance = _guidance(walker, sampler_id)
            if guidance and node_id in walker.ancestors(guidance):
                cond_stages.append(stage_of[sampler_id])
        crop_guides.append({
            "conditioning_from": cond_path,
            "latent_from": _path_to_stage(walker, walker.link(node_id, "latent"), stage_of,
                                          _LATENT_PASS_THROUGH),
            "outputs_used": uses,
            "conditioning_of_stages": cond_stages,
        })
    crop_guides.sort(key=key)

    enhancers = sorted(({**_describe(walker, n),
                         "clip_path": [walker.cls(c) for c in _clip_path(walker, n)],
                         "image": _image_source_chain(walker, walker.link(n, "image"))
                         if walker.link(n, "image") else None}
                        for n in walker.of_class("TextGenerateLTX2Prompt")), key=key)
    return {
        "stage_details": [_stage_detail(walker, s, stage_of) for s in stages],
        "loaders": loaders,
        "loras": loras,
        "images": images,
        "latent_size": latent_size,
        "frame_rate_sources": frame_rates,
        "decode": decode,
        "crop_guides_placement": crop_guides,
        "prompt_enhancement": enhancers,
    }


def _first_image(walker: _Walker, stages: Sequence[str], fallback: Any) -> Any:
    """The ``LoadImage`` file of a graph: with several ``LoadImage`` nodes, the one feeding
    the most upstream guide / ``LTXVImgToVideoInplace`` of stage 1's video-latent path
    (flf2v: the first frame), found by links; else ``fallback``."""
    if len(walker.of_class("LoadImage")) < 2 or not stages:
        return fallback
    latent = walker.link(stages[0], "latent_image")
    source = (walker.link(latent[0], "video_latent")
              if latent and walker.cls(latent[0]) == "LTXVConcatAVLatent" else latent)
    image: Any = None
    while source is not None and walker.cls(source[0]) not in _SAMPLERS:
        node_id = source[0]
        if walker.cls(node_id) in ("LTXVAddGuide", "LTXVImgToVideoInplace"):
            chain = _image_source_chain(walker, walker.link(node_id, "image"))
            if chain and chain[0]["class_type"] == "LoadImage":
                image = chain[0].get("image")
        upstream = _LATENT_PASS_THROUGH.get(walker.cls(node_id))
        source = walker.link(node_id, upstream) if upstream else None
    return fallback if image is None else image


def _clip_path(walker: _Walker, node_id: str) -> list[str]:
    """Node ids on the ``clip`` input chain of ``node_id``, loader first."""
    path: list[str] = []
    source = walker.link(node_id, "clip")
    while source is not None and len(path) < 100:
        path.append(source[0])
        source = walker.link(source[0], "clip")
    return path[::-1]


def pipeline_features(api: Mapping[str, Any], *, details: bool = False) -> dict[str, Any]:
    """Summarise what an API-format LTX-2 prompt computes, by walking links.

    Works on any API prompt (the SDK's compile output, a flattened template); node ids
    are never interpreted. Numbers that are FLOAT inputs are reported as ``float``.
    ``details=True`` adds the keys listed under *Details* below (for the LTX-2.3 / 2.5
    graphs: guides, dual guiders, split loaders, the ia2v audio chain, ...); without it
    the keys are exactly those listed first.

    Keys:

    ``stages``
        One dict per stage sampler (``SamplerCustomAdvanced``, or a ``KSampler``, whose
        settings are its own inputs), upstream first:

        - ``sampler``: ``KSamplerSelect.sampler_name`` or ``KSampler.sampler_name`` (else the
          sampler node's class).
        - ``sigmas``: ``{"type": "ManualSigmas", "values": [floats]}``,
          ``{"type": "LTXVScheduler", "steps", "max_shift", "base_shift", "stretch",
          "terminal", "latent_linked"}`` or ``{"type": "KSampler", "scheduler", "steps",
          "denoise"}``.
        - ``guider``: class of the guider (``KSampler`` for one); ``cfg``: ``CFGGuider.cfg``
          or ``KSampler.cfg`` (None otherwise).
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
        - ``noise``: class of the noise node (``KSampler``: its own ``seed``).

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
        ``checkpoint``, ``text_encoder``, ``upscale_model``, ``image`` (LoadImage file; of
        several, the one guiding stage 1 most upstream, e.g. flf2v's first frame),
        ``latent_video`` (``EmptyLTXVLatentVideo`` width/height/length/batch_size,
        statically evaluated through the EmptyImage/ImageScaleBy/GetImageSize helpers
        where possible), ``latent_audio`` (``LTXVEmptyLatentAudio`` literals) and
        ``save`` (per SaveVideo: filename_prefix/format/codec).

    *Details* (``details=True``). A *described node* is ``{"class_type", <its literal
    inputs, statically known links evaluated>}``; a *latent path* lists described nodes
    from a consumer upstream, ending at a source node or at
    ``{"stage": n, "slot": "output"|"denoised_output"}`` (the sampler output it reads);
    ``LTXVSeparateAVLatent`` entries carry ``"slot"`` (``video_latent``/``audio_latent``)
    and ``SetLatentNoiseMask`` entries their ``"mask"`` node; an *image chain* lists the
    described ``LoadImage``, resize and ``LTXVPreprocess`` nodes from the file down.

    ``stage_details``
        One dict per stage (the order of ``stages``): ``sampler`` (described: a
        ``KSamplerSelect`` or a sampler node such as ``SamplerEulerAncestral`` with
        ``eta``/``s_noise``; a ``KSampler``'s ``{"class_type": "KSampler", "sampler_name"}``),
        ``guider`` (described, numbers as float: ``CFGGuider.cfg`` or
        ``LTXVDualCFGGuider.video_cfg``/``audio_cfg``; a ``KSampler``'s ``{"class_type":
        "KSampler", "cfg"}``), ``sigmas`` (as in ``stages``),
        ``model`` (described nodes from the model loader to the guider: ``UNETLoader``
        ``unet_name``/``weight_dtype`` or ``CheckpointLoaderSimple``, then each LoRA with its
        strength), ``cropped_conditioning`` (the guider's conditioning passes
        ``LTXVCropGuides``), ``guides`` (each ``LTXVAddGuide`` on the video-latent path,
        upstream first: ``frame_idx``, ``strength``, ``image`` chain, ``iclora_parameters``:
        None, or the ``GetICLoRAParameters`` feeding it with the model it reads, described,
        and ``stage_model``: whether that is the stage's own model), ``img_to_video``
        (each ``LTXVImgToVideoInplace`` there: ``strength``, ``bypass``, ``image`` chain),
        ``video_latent`` and ``audio_latent`` (latent paths of the stage's
        ``LTXVConcatAVLatent`` inputs; for ia2v the audio path is ``SetLatentNoiseMask``
        (with its ``SolidMask``) <- ``LTXVAudioVAEEncode`` <- ``TrimAudioDuration``
        (``start_index``, ``duration``) <- ``LoadAudio``), ``positive_root`` (class of the
        positive conditioning's source).
    ``loaders``
        Every loader node (``CheckpointLoaderSimple``, ``UNETLoader``, ``VAELoader``,
        ``CLIPLoader``, ``LTXAVTextEncoderLoader``, ``LTXVAudioVAELoader``,
        ``LatentUpscaleModelLoader``, ...), described, with ``feeds`` (output slot ->
        sorted ``"Class.input"`` consumers); a ``VAELoader`` has ``role`` ``"video"``
        (feeds ``vae`` inputs) or ``"audio"`` (feeds ``audio_vae`` inputs), a text encoder
        loader ``role`` ``"text encoder"`` or ``"prompt enhancement"`` (only feeds
        ``TextGenerateLTX2Prompt``, directly or through a LoRA). Sorted by content.
    ``loras``
        Every ``LoraLoaderModelOnly``/``LoraLoader``, described, with ``applies_to``
        (``"model"`` and/or ``"clip"``: the outputs in use), ``stages`` (whose guider model
        path has it), ``clip_from`` and ``clip_feeds`` (a clip-only LoRA on the text
        encoder, e.g. the prompt-enhancement LoRA). Sorted by content.
    ``images``
        ``{LoadImage file: [resize + LTXVPreprocess steps, described]}``, one step list per
        distinct chain into an ``LTXVAddGuide`` or ``LTXVImgToVideoInplace``.
    ``latent_size``
        ``{"video": {width, height, length, batch_size}, "audio": {frames_number,
        frame_rate, batch_size}}`` of ``EmptyLTXVLatentVideo`` / ``LTXVEmptyLatentAudio``,
        each the value's source: ``{"value": v}`` for a literal, else ``{"from": <class>,
        "slot", "value", ...}`` with ``ResolutionSelector`` settings, a
        ``ComfyMathExpression``'s ``expression`` and operand sources, or a
        ``GetImageSize``'s ``image`` chain.
    ``frame_rate_sources``
        Sources (as in ``latent_size``) of ``LTXVConditioning.frame_rate`` and
        ``CreateVideo.fps``.
    ``decode``
        ``{"video": described VAE decoder + "samples" latent path, "audio": described
        audio decoder + "samples" latent path}`` of the ``CreateVideo`` inputs.
    ``crop_guides_placement``
        Per ``LTXVCropGuides``: ``conditioning_from`` (classes back to the text encode),
        ``latent_from`` (latent path), ``outputs_used`` (``positive``/``negative``/
        ``latent`` -> consumers) and ``conditioning_of_stages`` (stages whose guider uses
        its conditioning).
    ``prompt_enhancement``
        Each ``TextGenerateLTX2Prompt`` (present when the prompt enhancement is kept, e.g.
        ``template_api(..., enhance=True)``), described, with ``clip_path`` (loader to it)
        and ``image`` chain.
    """
    walker = _Walker(api)
    stages = _stage_order(walker)
    stage_of = {s: i + 1 for i, s in enumerate(stages)}
    stage_dicts: list[dict[str, Any]] = []
    seeds: list[Any] = []
    texts: list[tuple[Any, Any]] = []
    for sampler_id in stages:
        stage: dict[str, Any] = {}
        ksampler = walker.cls(sampler_id) == "KSampler"
        sampler = walker.link(sampler_id, "sampler")
        if ksampler:  # sampler, schedule, cfg and seed are its own inputs
            stage["sampler"] = walker.value(sampler_id, "sampler_name")
            stage["sigmas"] = _ksampler_sigmas(walker, sampler_id)
        elif sampler and walker.cls(sampler[0]) == "KSamplerSelect":
            stage["sampler"] = walker.value(sampler[0], "sampler_name")
        else:
            stage["sampler"] = walker.cls(sampler[0]) if sampler else None
        if not ksampler:
            stage["sigmas"] = _sigmas(walker, walker.link(sampler_id, "sigmas"))

        guider_id = _guidance(walker, sampler_id)
        stage["guider"] = walker.cls(guider_id) if guider_id else None
        stage["cfg"] = (_num(walker.value(guider_id, "cfg"))
                        if guider_id and walker.cls(guider_id) in ("CFGGuider", "KSampler")
                        else None)
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
        if ksampler:
            stage["noise"] = "KSampler"
            seeds.append(walker.value(sampler_id, "seed"))
        else:
            stage["noise"] = walker.cls(noise[0]) if noise else None
            seeds.append(walker.value(noise[0], "noise_seed") if noise else None)
        stage_dicts.append(stage)

    separates: list[tuple[int, str]] = []
    for node_id in walker.of_class("LTXVSeparateAVLatent"):
        source = walker.link(node_id, "av_latent")
        if source and walker.cls(source[0]) in _SAMPLERS:
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
        "image": _first_image(walker, stages, first_value("LoadImage", "image")),
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
    features: dict[str, Any] = {
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
    if details:
        features |= _details(walker, stages, stage_of)
    return features
