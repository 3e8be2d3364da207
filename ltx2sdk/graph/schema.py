"""Node schemas: what a ComfyUI node type takes and returns.

One format serves two sources: the SDK's own declarations of the LTX-2 node set
(:mod:`ltx2sdk.graph.node_defs`) and a live server's ``GET /object_info``
(:meth:`SchemaSet.from_object_info`). Validation in :mod:`ltx2sdk.graph.core` only ever
sees this format, so a graph can be checked offline or against the exact server
that will run it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Widget types: inputs set by a literal value (a link of the same type is also allowed).
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})

# ComfyUI's V3 schema markers, as they appear in /object_info.
MATCHTYPE_V3 = "COMFY_MATCHTYPE_V3"
DYNAMICCOMBO_V3 = "COMFY_DYNAMICCOMBO_V3"
AUTOGROW_V3 = "COMFY_AUTOGROW_V3"
V3_MARKER = re.compile(r"^COMFY_[A-Z0-9_]+_V3$")  # any V3 marker, known or not

# The option flags of an input whose value the node checks itself (a file it loads).
UPLOAD_FLAGS = ("image_upload", "audio_upload", "video_upload", "file_upload")


def types_compatible(received: str, expected: str) -> bool:
    """Whether an output of type ``received`` may feed an input of type ``expected``.

    Mirrors ComfyUI's non-strict rule: equal types, ``*`` on either side, or an
    overlap of the comma-separated unions (``"FLOAT,INT"`` accepts ``INT``).
    """
    if received == expected or "*" in (received, expected):
        return True
    if MATCHTYPE_V3 in (received, expected):  # ComfyUI leaves match types to its frontend
        return True
    got = {part.strip() for part in received.split(",")}
    want = {part.strip() for part in expected.split(",")}
    return "*" in got or "*" in want or not got.isdisjoint(want)


@dataclass(frozen=True)
class Autogrow:
    """A V3 autogrow input: as many copies of ``template`` as are linked, named
    ``<input>.<name>`` for each of ``names`` in turn; the first ``min`` are required."""

    names: tuple[str, ...]
    min: int
    template: InputSpec


@dataclass(frozen=True)
class InputSpec:
    """One input of a node type.

    ``type`` is a ComfyUI type name: a widget type (INT, FLOAT, STRING, BOOLEAN,
    COMBO) or a link type (MODEL, VAE, LATENT, ...; unions like ``IMAGE,MASK``).
    ``options`` is the combo's allowed values; ``None`` when they depend on the
    server (model files, uploaded images) and are checked elsewhere.
    ``folder`` names the ComfyUI ``models/`` (or ``input``) folder a file combo
    lists. ``choices`` holds a dynamic combo's sub-inputs per option; in API JSON
    they are sent as dotted keys (``"resize_type.width"``), nested to any depth
    (``"codec.encoding.crf"``).

    Forms of newer releases: ``widget_type`` is the widget a multi-type input
    (``"FLOAT,INT"``) shows, so it takes a literal; ``multiselect`` combos take a
    list of options; ``remote`` combos fetch their options from a server route and
    ``upload`` inputs name a file the node checks itself (both are not checked
    against ``options``); ``autogrow`` is set for V3 autogrow inputs. ``legacy_combo``
    marks the old form (the options list as the type), which only a link of that same
    list feeds. ``opaque`` marks a form the SDK does not know: checks leave such an
    input to the server. ``hidden`` marks an input the server keeps out of its UI, as
    ComfyUI does with a legacy input it still reads from older prompts (0.38's
    ``SaveVideo.codec``, now ``format.codec``).

    What the editor makes of an input (:mod:`ltx2sdk.graph.editor.widgets`):
    ``control_after_generate`` is the option as declared (``True``, ``False``, or the
    control's default mode such as ``"fixed"``; ``None`` when not declared), and
    ``force_input`` marks an input the editor shows as a socket only, never a widget.
    """

    name: str
    type: str
    required: bool = True
    default: Any = None
    min: float | None = None
    max: float | None = None
    options: tuple[Any, ...] | None = None
    folder: str | None = None
    choices: Mapping[str, tuple[InputSpec, ...]] | None = None
    template_id: str | None = None
    tooltip: str | None = None
    widget_type: str | None = None
    multiselect: bool = False
    remote: bool = False
    upload: str | None = None
    autogrow: Autogrow | None = None
    opaque: bool = False
    legacy_combo: bool = False
    hidden: bool = False
    control_after_generate: bool | str | None = None
    force_input: bool = False

    @property
    def is_widget(self) -> bool:
        """True for inputs that normally take a literal value rather than a link."""
        return self.type in WIDGET_TYPES or self.widget_type is not None

    @property
    def accepts_literal(self) -> bool:
        """Whether a literal value can work here at run time (not only pass validation):
        a widget, or a union or wildcard that includes a widget type."""
        if self.is_widget or self.opaque:
            return True
        parts = {part.strip() for part in self.type.split(",")}
        return "*" in parts or not parts.isdisjoint(WIDGET_TYPES)

    @property
    def checks_options(self) -> bool:
        """Whether a value must be one of :attr:`options` (not for remote lists or
        files the node checks itself)."""
        return self.options is not None and not (self.remote or self.upload or self.opaque)


@dataclass(frozen=True)
class OutputSpec:
    """One output slot: its ComfyUI type and display name.

    ``template_id`` is set for V3 match-type outputs, whose type is the type of
    whatever was linked into the input with the same template.
    """

    type: str
    name: str
    template_id: str | None = None
    options: tuple[Any, ...] | None = None  # a combo output's values (legacy list type)


@dataclass(frozen=True)
class NodeSchema:
    """The contract of one ComfyUI node type (``class_type``)."""

    class_type: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...] = ()
    output_node: bool = False
    display_name: str = ""
    description: str = ""
    _by_name: dict[str, InputSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {spec.name: spec for spec in self.inputs})

    def input(self, name: str) -> InputSpec | None:
        """The input called ``name``, or ``None``."""
        return self._by_name.get(name)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.inputs)

    @property
    def title(self) -> str:
        """A readable default title (ComfyUI's display name)."""
        return self.display_name or self.class_type


class SchemaSet(Mapping[str, NodeSchema]):
    """An immutable collection of node schemas keyed by ``class_type``.

    Built from /object_info, each node is parsed the first time it is looked up: a
    server lists hundreds of node types and a graph uses a few dozen.
    ``comfyui_version`` is the release the schemas come from, when known; ``from_server``
    is true for schemas a server declared (builders then write nodes its way); ``bundled``
    is true for a release's schemas bundled with the SDK (its own node types only, not a
    whole server's: messages about a node they lack say so).
    """

    def __init__(self, schemas: Iterable[NodeSchema] = (), *,
                 comfyui_version: str | None = None) -> None:
        self._schemas: dict[str, NodeSchema] = {s.class_type: s for s in schemas}
        self._raw: Mapping[str, Any] = {}
        self.comfyui_version = comfyui_version
        self.from_server = False
        self.bundled = False

    def __getitem__(self, class_type: str) -> NodeSchema:
        schema = self._schemas.get(class_type)
        if schema is None:
            # parsing is pure, so two threads racing here store equal values
            schema = parse_node_info(class_type, self._raw[class_type])
            self._schemas[class_type] = schema
        return schema

    def __contains__(self, class_type: object) -> bool:
        return class_type in self._schemas or class_type in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw or self._schemas)

    def __len__(self) -> int:
        return len(self._raw or self._schemas)

    def __repr__(self) -> str:
        version = f", ComfyUI {self.comfyui_version}" if self.comfyui_version else ""
        return f"SchemaSet({len(self)} node types{version})"

    def merged(self, other: Iterable[NodeSchema]) -> SchemaSet:
        """A new set where the schemas of ``other`` replace those of the same name."""
        merged = SchemaSet([*(self[name] for name in self), *other],
                           comfyui_version=self.comfyui_version)
        merged.from_server = self.from_server
        merged.bundled = self.bundled
        return merged

    @property
    def server_label(self) -> str:
        """How messages name the server these schemas describe."""
        return f"ComfyUI {self.comfyui_version}" if self.comfyui_version else "this server"

    @classmethod
    def from_object_info(cls, object_info: Mapping[str, Any], *,
                         comfyui_version: str | None = None) -> SchemaSet:
        """ComfyUI's ``GET /object_info`` answer (all nodes, or a subset) as schemas.

        Entries that are not node descriptions (not a JSON object) are skipped.
        """
        schemas = cls(comfyui_version=comfyui_version)
        schemas._raw = {name: info for name, info in object_info.items()
                        if isinstance(info, Mapping)}
        schemas.from_server = True
        return schemas


# --- parsing /object_info -------------------------------------------------------------

_NUMBER_KEYS = ("min", "max")


def _parse_input(name: str, raw: Any, required: bool) -> InputSpec:
    """Turn one ``[type, options]`` entry of /object_info into an :class:`InputSpec`.

    Never raises: an entry of a form this parser does not know becomes an ``opaque``
    input, which the checks leave to the server.
    """
    if not isinstance(raw, (list, tuple)) or not raw:
        return InputSpec(name=name, type="*", required=required, opaque=True)
    kind = raw[0]
    opts: Mapping[str, Any] = raw[1] if len(raw) > 1 and isinstance(raw[1], Mapping) else {}
    common: dict[str, Any] = {
        "name": name,
        "required": required,
        "default": opts.get("default"),
        "tooltip": opts.get("tooltip"),
        "multiselect": bool(opts.get("multiselect", False)),
        "remote": bool(opts.get("remote")),
        "upload": next((flag for flag in UPLOAD_FLAGS if opts.get(flag)), None),
        "hidden": bool(opts.get("hidden", False)),
        "control_after_generate": _control_option(opts.get("control_after_generate")),
        "force_input": bool(opts.get("forceInput", False)),
    }
    for key in _NUMBER_KEYS:
        value = opts.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            common[key] = value
    if isinstance(kind, (list, tuple)):  # legacy combo: the list is the options
        return InputSpec(type="COMBO", options=tuple(kind), legacy_combo=True, **common)
    if not isinstance(kind, str):
        return InputSpec(type="*", opaque=True, **common)
    if kind == "COMBO":
        options = opts.get("options", ())
        return InputSpec(type="COMBO", options=tuple(options) if isinstance(options, list)
                         else None, **common)
    if kind == MATCHTYPE_V3:
        template = opts.get("template") or {}
        allowed = template.get("allowed_types", "*")
        return InputSpec(type=allowed if isinstance(allowed, str) else "*",
                         template_id=template.get("template_id"), **common)
    if kind == DYNAMICCOMBO_V3:
        choices = {str(option["key"]): tuple(_parse_section(option.get("inputs") or {}))
                   for option in opts.get("options", []) if isinstance(option, Mapping)}
        return InputSpec(type="COMBO", options=tuple(choices), choices=choices, **common)
    if kind == AUTOGROW_V3:
        autogrow = _parse_autogrow(name, opts.get("template") or {})
        if autogrow is None:
            return InputSpec(type="*", opaque=True, **common)
        return InputSpec(type=autogrow.template.type, autogrow=autogrow, **common)
    if V3_MARKER.match(kind):  # a V3 form newer than this SDK
        return InputSpec(type=kind, opaque=True, **common)
    widget = opts.get("widgetType")
    if not isinstance(widget, str) and kind not in WIDGET_TYPES and (
            opts.get("socketless") or "default" in opts):
        widget = kind  # a custom widget (a colour, a bounding box): it takes a literal
    return InputSpec(type=kind, widget_type=widget if isinstance(widget, str) else None,
                     **common)


def _control_option(raw: Any) -> bool | str | None:
    """The ``control_after_generate`` option as declared: a flag, a default mode, or None."""
    return raw if isinstance(raw, (bool, str)) else None


def _parse_autogrow(name: str, template: Mapping[str, Any]) -> Autogrow | None:
    """ComfyUI's two autogrow templates: ``names`` (a fixed list) or ``prefix`` + ``max``."""
    if "names" in template:
        names = tuple(str(n) for n in template["names"])
    elif "prefix" in template:
        names = tuple(f"{template['prefix']}{i}" for i in range(int(template.get("max", 0))))
    else:
        return None
    slots = list(_parse_section(template.get("input") or {}))
    if not slots:
        return None
    return Autogrow(names=names, min=int(template.get("min", 0)), template=slots[0])


def _parse_section(section: Mapping[str, Any]) -> Iterator[InputSpec]:
    for required_key, required in (("required", True), ("optional", False)):
        entries = section.get(required_key) or {}
        if isinstance(entries, Mapping):
            for name, raw in entries.items():
                yield _parse_input(str(name), raw, required)


def parse_node_info(class_type: str, info: Mapping[str, Any]) -> NodeSchema:
    """Parse one node's entry of /object_info. Inputs keep ComfyUI's ``input_order``."""
    section = info.get("input") or {}
    order = info.get("input_order") or {}
    parsed = {spec.name: spec for spec in _parse_section(section)}
    ordered = [parsed.pop(n) for key in ("required", "optional") for n in order.get(key, [])
               if n in parsed]
    ordered.extend(parsed.values())  # anything input_order did not list
    matchtypes = info.get("output_matchtypes") or []
    names = info.get("output_name") or []
    outputs = []
    for slot, out_type in enumerate(info.get("output") or []):
        # a list-valued output type is a combo's options (ComfyUI links it to COMBO inputs)
        type_name = "COMBO" if isinstance(out_type, list) else str(out_type)
        template = matchtypes[slot] if slot < len(matchtypes) else None
        name = names[slot] if slot < len(names) else type_name
        options = tuple(out_type) if isinstance(out_type, list) else None
        outputs.append(OutputSpec(type=type_name, name=str(name), template_id=template,
                                  options=options))
    return NodeSchema(
        class_type=class_type,
        inputs=tuple(ordered),
        outputs=tuple(outputs),
        output_node=bool(info.get("output_node", False)),
        display_name=str(info.get("display_name") or ""),
        description=str(info.get("description") or ""),
    )
