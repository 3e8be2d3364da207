"""Checking one node's inputs against its schema.

Used when a node is added (first problem raised at once) and when a whole graph
is re-checked against a live server's schemas (every problem collected).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import (
    GraphError,
    InputValueError,
    LinkTypeError,
    MissingInputError,
    UnknownInputError,
)
from .handles import Output
from .schema import InputSpec, NodeSchema, types_compatible


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def expected_inputs(schema: NodeSchema, values: Mapping[str, Any]) -> dict[str, InputSpec]:
    """Every input name the node may carry given its values, dynamic-combo keys included."""
    specs: dict[str, InputSpec] = {}
    for spec in schema.inputs:
        specs[spec.name] = spec
        if spec.choices is not None:
            chosen = values.get(spec.name, spec.default)
            for sub in spec.choices.get(chosen, ()):
                specs[f"{spec.name}.{sub.name}"] = sub
    return specs


def fill_defaults(schema: NodeSchema, values: dict[str, Any]) -> None:
    """Add the default of every required widget input that was not given (as ComfyUI's UI does)."""
    # two passes: a dynamic combo's sub-inputs are known once the combo itself has a value
    for _ in range(2):
        for name, spec in expected_inputs(schema, values).items():
            if name not in values and spec.required and spec.is_widget and spec.default is not None:
                values[name] = spec.default


def check_node(schema: NodeSchema, values: Mapping[str, Any], where: str) -> Iterator[GraphError]:
    """Yield every problem of ``values`` (literals or :class:`Output`) against ``schema``.

    ``where`` describes the node for the messages.
    """
    specs = expected_inputs(schema, values)
    for name in values:
        if name not in specs:
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
        problem = check_value(spec, values[name])
        if problem:
            cls, message = problem
            yield cls(message, node=where, input_name=name)


def check_value(spec: InputSpec, value: Any) -> tuple[type[GraphError], str] | None:
    """The problem with one input value, or ``None`` when it is acceptable."""
    if isinstance(value, Output):
        accepted = spec.type if spec.type != "COMBO" else "COMBO,*"
        if not types_compatible(value.type, accepted):
            return LinkTypeError, f"expects {spec.type} but got {value.describe()}"
        return None
    if not spec.is_widget:
        return LinkTypeError, (f"expects a link of type {spec.type} from another node's output, "
                               f"got the literal {value!r}")
    kind_problem = _check_literal_kind(spec, value)
    if kind_problem:
        return InputValueError, kind_problem
    if spec.type in ("INT", "FLOAT"):
        if spec.min is not None and value < spec.min:
            return InputValueError, f"{value!r} is below the minimum {spec.min}"
        if spec.max is not None and value > spec.max:
            return InputValueError, f"{value!r} is above the maximum {spec.max}"
    if spec.type == "COMBO" and spec.options is not None and value not in spec.options:
        shown = ", ".join(repr(o) for o in spec.options[:20])
        more = f" (and {len(spec.options) - 20} more)" if len(spec.options) > 20 else ""
        where = f" in models/{spec.folder}" if spec.folder else ""
        return InputValueError, f"{value!r} is not one of the allowed values{where}: {shown}{more}"
    return None


def _check_literal_kind(spec: InputSpec, value: Any) -> str | None:
    if spec.type == "INT" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"expects an integer, got {value!r}"
    if spec.type == "FLOAT" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f"expects a number, got {value!r}"
    if spec.type == "STRING" and not isinstance(value, str):
        return f"expects a string, got {value!r}"
    if spec.type == "BOOLEAN" and not isinstance(value, bool):
        return f"expects true or false, got {value!r}"
    return None
