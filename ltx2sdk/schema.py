"""Node schemas: what a ComfyUI node type takes and returns.

One format serves two sources: the SDK's own declarations of the LTX-2 node set
(:mod:`ltx2sdk.node_defs`) and a live server's ``GET /object_info``
(:meth:`SchemaSet.from_object_info`). Validation in :mod:`ltx2sdk.graph` only ever
sees this format, so a graph can be checked offline or against the exact server
that will run it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# Widget types: inputs set by a literal value (a link of the same type is also allowed).
WIDGET_TYPES = frozenset({"INT", "FLOAT", "STRING", "BOOLEAN", "COMBO"})

# ComfyUI's V3 schema markers, as they appear in /object_info.
MATCHTYPE_V3 = "COMFY_MATCHTYPE_V3"
DYNAMICCOMBO_V3 = "COMFY_DYNAMICCOMBO_V3"


def types_compatible(received: str, expected: str) -> bool:
    """Whether an output of type ``received`` may feed an input of type ``expected``.

    Mirrors ComfyUI's non-strict rule: equal types, ``*`` on either side, or an
    overlap of the comma-separated unions (``"FLOAT,INT"`` accepts ``INT``).
    """
    if received == expected or received == "*" or expected == "*":
        return True
    return not set(received.split(",")).isdisjoint(expected.split(","))


@dataclass(frozen=True)
class InputSpec:
    """One input of a node type.

    ``type`` is a ComfyUI type name: a widget type (INT, FLOAT, STRING, BOOLEAN,
    COMBO) or a link type (MODEL, VAE, LATENT, ...; unions like ``IMAGE,MASK``).
    ``options`` is the combo's allowed values; ``None`` when they depend on the
    server (model files, uploaded images) and are checked elsewhere.
    ``folder`` names the ComfyUI ``models/`` (or ``input``) folder a file combo
    lists. ``choices`` holds a dynamic combo's sub-inputs per option; in API JSON
    they are sent as dotted keys (``"resize_type.width"``).
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

    @property
    def is_widget(self) -> bool:
        """True for inputs that normally take a literal value rather than a link."""
        return self.type in WIDGET_TYPES


@dataclass(frozen=True)
class OutputSpec:
    """One output slot: its ComfyUI type and display name.

    ``template_id`` is set for V3 match-type outputs, whose type is the type of
    whatever was linked into the input with the same template.
    """

    type: str
    name: str
    template_id: str | None = None


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
    """

    def __init__(self, schemas: Iterable[NodeSchema] = ()) -> None:
        self._schemas: dict[str, NodeSchema] = {s.class_type: s for s in schemas}
        self._raw: Mapping[str, Any] = {}

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
        return f"SchemaSet({len(self)} node types)"

    def merged(self, other: Iterable[NodeSchema]) -> SchemaSet:
        """A new set where the schemas of ``other`` replace those of the same name."""
        return SchemaSet([*(self[name] for name in self), *other])

    @classmethod
    def from_object_info(cls, object_info: Mapping[str, Any]) -> SchemaSet:
        """ComfyUI's ``GET /object_info`` answer (all nodes, or a subset) as schemas."""
        schemas = cls()
        schemas._raw = dict(object_info)
        return schemas


# --- parsing /object_info -------------------------------------------------------------

_NUMBER_KEYS = ("min", "max")


def _parse_input(name: str, raw: Any, required: bool) -> InputSpec:
    """Turn one ``[type, options]`` entry of /object_info into an :class:`InputSpec`."""
    kind = raw[0]
    opts: dict[str, Any] = raw[1] if len(raw) > 1 and isinstance(raw[1], dict) else {}
    common: dict[str, Any] = {
        "name": name,
        "required": required,
        "default": opts.get("default"),
        "tooltip": opts.get("tooltip"),
    }
    for key in _NUMBER_KEYS:
        if key in opts:
            common[key] = opts[key]
    if isinstance(kind, list):  # legacy combo: the list is the options
        return InputSpec(type="COMBO", options=tuple(kind), **common)
    if kind == "COMBO":
        return InputSpec(type="COMBO", options=tuple(opts.get("options", ())), **common)
    if kind == MATCHTYPE_V3:
        template = opts.get("template", {})
        return InputSpec(
            type=template.get("allowed_types", "*"),
            template_id=template.get("template_id"),
            **common,
        )
    if kind == DYNAMICCOMBO_V3:
        choices = {
            option["key"]: tuple(_parse_section(option.get("inputs", {})))
            for option in opts.get("options", [])
        }
        return InputSpec(type="COMBO", options=tuple(choices), choices=choices, **common)
    return InputSpec(type=str(kind), **common)


def _parse_section(section: Mapping[str, Any]) -> Iterator[InputSpec]:
    for required_key, required in (("required", True), ("optional", False)):
        for name, raw in section.get(required_key, {}).items():
            yield _parse_input(name, raw, required)


def parse_node_info(class_type: str, info: Mapping[str, Any]) -> NodeSchema:
    """Parse one node's entry of /object_info. Inputs keep ComfyUI's ``input_order``."""
    section = info.get("input", {})
    order = info.get("input_order", {})
    parsed = {spec.name: spec for spec in _parse_section(section)}
    ordered = [parsed.pop(n) for key in ("required", "optional") for n in order.get(key, [])
               if n in parsed]
    ordered.extend(parsed.values())  # anything input_order did not list
    matchtypes = info.get("output_matchtypes") or []
    outputs = []
    for slot, (out_type, out_name) in enumerate(zip(info.get("output", []),
                                                     info.get("output_name", []), strict=False)):
        template = matchtypes[slot] if slot < len(matchtypes) else None
        outputs.append(OutputSpec(type=str(out_type), name=str(out_name), template_id=template))
    return NodeSchema(
        class_type=class_type,
        inputs=tuple(ordered),
        outputs=tuple(outputs),
        output_node=bool(info.get("output_node", False)),
        display_name=str(info.get("display_name") or ""),
        description=str(info.get("description") or ""),
    )
