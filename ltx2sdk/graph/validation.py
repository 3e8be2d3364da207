"""Checking one node's inputs against its schema.

Used when a node is added (first problem raised at once) and when a whole graph
is re-checked against a live server's schemas (every problem collected).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from ltx2sdk.errors import (
    GraphError,
    InputValueError,
    LinkTypeError,
    MissingInputError,
    UnknownInputError,
)
from ltx2sdk.graph.handles import Output
from ltx2sdk.graph.schema import InputSpec, NodeSchema, types_compatible
from ltx2sdk.wording import nearest


def _suggest(name: str, candidates: list[str]) -> str:
    close = nearest(name, candidates)  # only a near miss (see wording.nearest)
    return f" (did you mean '{close}'?)" if close else ""


def expected_inputs(schema: NodeSchema, values: Mapping[str, Any], *,
                    absent_choice: str = "default") -> dict[str, InputSpec]:
    """Every input name the node may carry given its values, dynamic inputs expanded.

    A dynamic combo's chosen option brings its sub-inputs as dotted keys, nested to any
    depth (``codec`` -> ``codec.encoding`` -> ``codec.encoding.crf``); an autogrow input
    becomes ``name.<slot>`` for each of its slots. When a dynamic combo has no value (or
    one that is not an option), ``absent_choice`` decides: ``"default"`` expands its
    default option (what a builder will fill in), ``"vanish"`` drops the combo and its
    sub-inputs, as ComfyUI's own validation does.
    """
    specs: dict[str, InputSpec] = {}
    _expand(schema.inputs, "", values, absent_choice, specs)
    return specs


def _expand(inputs: tuple[InputSpec, ...], prefix: str, values: Mapping[str, Any],
            absent_choice: str, out: dict[str, InputSpec]) -> None:
    for spec in inputs:
        name = prefix + spec.name
        if spec.autogrow is not None:
            for index, slot in enumerate(spec.autogrow.names):
                out[f"{name}.{slot}"] = replace(spec.autogrow.template, name=slot,
                                                required=index < spec.autogrow.min
                                                and spec.autogrow.template.required)
            continue
        if spec.choices is None:
            out[name] = spec
            continue
        chosen = values.get(name)
        if chosen not in spec.choices:
            if absent_choice == "vanish":
                continue  # ComfyUI expands nothing for it, the combo included
            out[name] = spec
            if name in values:
                continue  # not an option: the value check reports it
            chosen = default_choice(spec)
        out[name] = spec
        _expand(spec.choices.get(str(chosen), ()), name + ".", values, absent_choice, out)


def default_choice(spec: InputSpec) -> Any:
    """The value a combo takes when none is given: its default, else its first option."""
    if spec.default is not None:
        return spec.default
    return spec.options[0] if spec.options else None


def fill_defaults(schema: NodeSchema, values: dict[str, Any]) -> None:
    """Add the default of every required widget input that was not given (as ComfyUI's UI does)."""
    # repeat: a dynamic combo's sub-inputs are known once the combo itself has a value
    while True:
        added = False
        for name, spec in expected_inputs(schema, values).items():
            if name in values or not spec.required or not spec.is_widget:
                continue
            value = spec.default if spec.choices is None else default_choice(spec)
            if value is not None:
                values[name] = value
                added = True
        if not added:
            return


def check_node(schema: NodeSchema, values: Mapping[str, Any], where: str, *,
               as_loaded: bool = False) -> Iterator[GraphError]:
    """Yield every problem of ``values`` (literals or :class:`Output`) against ``schema``.

    ``where`` describes the node for the messages. A node built in Python is held to the
    SDK's own standard (an input name it does not know is a typo; an INT is an ``int``);
    ``as_loaded`` applies the server's rules to a prompt loaded as it is: undeclared inputs
    are ignored, literals only need to convert (``"512"`` for an INT), a dynamic combo
    without a value vanishes.
    """
    specs = expected_inputs(schema, values, absent_choice="vanish" if as_loaded else "default")
    for name in values:
        if name not in specs and not as_loaded:
            names = list(specs)
            yield UnknownInputError(
                f"{schema.class_type} has no input '{name}'{_suggest(name, names)}; "
                f"its inputs are: {', '.join(names)}", node=where)
    for name, spec in specs.items():
        if name not in values:
            if spec.required:
                kind = f"a {spec.type} value" if spec.is_widget else f"a link of type {spec.type}"
                yield MissingInputError(f"required input is missing (needs {kind})",
                                        node=where, input_name=name)
            continue
        problem = check_value(spec, values[name], as_loaded=as_loaded)
        if problem:
            cls, message = problem
            yield cls(message, node=where, input_name=name)


def check_value(spec: InputSpec, value: Any, *, as_loaded: bool = False
                ) -> tuple[type[GraphError], str] | None:
    """The problem with one input value, or ``None`` when it is acceptable
    (``as_loaded``: by the server's conversion rules, see :func:`check_node`)."""
    if spec.opaque:
        return None  # a form the SDK does not know: the server decides
    if isinstance(value, Output):
        accepted = spec.type if spec.type != "COMBO" else "COMBO,*"
        if not types_compatible(value.type, accepted):
            return LinkTypeError, f"expects {spec.type} but got {value.describe()}"
        return None
    if not spec.accepts_literal:
        return LinkTypeError, (f"expects a link of type {spec.type} from another node's output, "
                               f"got the literal {value!r}")
    if as_loaded:
        if isinstance(value, Mapping) and "__value__" in value:
            value = value["__value__"]
        converted = convert_like_comfyui(spec, value)
        if isinstance(converted, str):
            return InputValueError, converted
        value = converted[0]
    else:
        kind_problem = _check_literal_kind(spec, value)
        if kind_problem:
            return InputValueError, kind_problem
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if spec.min is not None and value < spec.min:
            return InputValueError, f"{value!r} is below the minimum {spec.min}"
        if spec.max is not None and value > spec.max:
            return InputValueError, f"{value!r} is above the maximum {spec.max}"
    if spec.type == "COMBO" and spec.checks_options:
        assert spec.options is not None
        chosen = value if spec.multiselect and isinstance(value, list) else [value]
        invalid = [v for v in chosen if v not in spec.options]
        if invalid:
            shown = ", ".join(repr(o) for o in spec.options[:20])
            more = f" (and {len(spec.options) - 20} more)" if len(spec.options) > 20 else ""
            where = f" in models/{spec.folder}" if spec.folder else ""
            return InputValueError, (f"{invalid[0]!r} is not one of the allowed values{where}: "
                                     f"{shown}{more}")
    return None


# ComfyUI converts a literal only when the input's type is exactly one of these
COMFYUI_CONVERSIONS: Mapping[str, Callable[[Any], Any]] = {
    "INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}


def convert_like_comfyui(spec: InputSpec, value: Any) -> tuple[Any] | str:
    """``(value,)`` as ComfyUI's validation converts it (``int()`` for INT, ``float()`` for
    FLOAT, ... only for exactly those types; multi-type inputs are not converted), or the
    message when the conversion fails."""
    convert = COMFYUI_CONVERSIONS.get(spec.type)
    if convert is None:
        return (value,)
    try:
        return (convert(value),)
    except (TypeError, ValueError, OverflowError):
        return f"cannot be converted to {spec.type}: {value!r}"


def _check_literal_kind(spec: InputSpec, value: Any) -> str | None:
    kind = spec.widget_type or spec.type
    if kind == "INT" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"expects an integer, got {value!r}"
    if kind == "FLOAT" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"expects a number, got {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        # nan passes every min/max comparison, and JSON has no way to write it
        return f"expects a finite number, got {value!r}"
    if kind == "STRING" and not isinstance(value, str):
        return f"expects a string, got {value!r}"
    if kind == "BOOLEAN" and not isinstance(value, bool):
        return f"expects true or false, got {value!r}"
    return None
