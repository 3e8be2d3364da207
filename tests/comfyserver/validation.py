"""Prompt validation with ComfyUI's rules, error types, texts and JSON shapes.

The behaviour follows ``validate_prompt``/``validate_inputs`` as observed in the captures under
``tests/fixtures/protocol/validation_errors`` (0.26.0) and in the verdicts of real 0.8.0, 0.26.0
and 0.33.0 servers (``tests/fixtures/versions``), including its quirks:

* validation starts at the output nodes and recurses through links, so nodes no output depends
  on are never validated;
* a ``return_type_mismatch`` stops the walk up that link, hiding upstream errors;
* a lookup that raises while validating an upstream node (link to a missing node, slot out of
  range) is reported on that upstream node as ``exception_during_inner_validation``, with the
  *downstream* input's name and config;
* values are coerced in place (``fps: 24`` becomes ``24.0`` for a FLOAT input): the queued prompt
  and ``/history`` show the coerced values;
* a prompt with at least one valid output is accepted (HTTP 200); invalid outputs are dropped
  and still listed in ``node_errors``;
* only declared inputs are looked at: undeclared ones (a ``bogus`` key, ``CreateVideo.bit_depth``
  on 0.8.0, ``format.codec`` on a release without it) are ignored, links in them not followed;
* literals are converted only for the single types INT/FLOAT/STRING/BOOLEAN (``"640"`` and
  ``24.0`` are fine INTs); a multi-type input (``"FLOAT,INT"``, whatever its ``widgetType``)
  takes any literal and only checks min/max.

What differs between releases is in :class:`~tests.comfyserver.versions.ValidationRules`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalog import NodeCatalog
from .versions import ValidationRules, rules_for

COMBO = "COMBO"
ANY_TYPE = "*"
MATCH_TYPE = "COMFY_MATCHTYPE_V3"
DYNAMIC_COMBO = "COMFY_DYNAMICCOMBO_V3"
AUTOGROW = "COMFY_AUTOGROW_V3"

# Nodes whose own validate function checks these inputs (so ComfyUI skips the combo/min/max
# checks for them): the media loaders accept any existing file of the input directory, also
# ones in subfolders or annotated like "name.png [output]". The function runs with whatever
# the prompt holds: a link (None) or a missing input makes it raise, which ComfyUI reports as
# an exception during validation.
FILE_INPUTS: dict[str, tuple[str, str]] = {
    "LoadImage": ("image", "Invalid image file: {}"),
    "LoadImageMask": ("image", "Invalid image file: {}"),
    "LoadImageOutput": ("image", "Invalid image file: {}"),  # LoadImage's, inherited
    "LoadAudio": ("audio", "Invalid audio file: {}"),
    "LoadVideo": ("file", "Invalid video file: {}"),
}

# Frame lines of the tracebacks ComfyUI attaches to exceptions raised while validating. The
# prompt[o_id] lookup (RETURN_TYPES[slot] is 2 lines below) and the recursive call are captured
# per release (ValidationRules); 1028 (validate_prompt's call) and 970 (any other raise) are
# stand-ins.
_EXECUTION_PY = '  File "/opt/ComfyUI/execution.py", line {}, in {}\n'

FileExists = Callable[[str], bool]
Error = dict[str, Any]


@dataclass
class ValidationResult:
    """What ``validate_prompt`` returns: ``ok`` decides between HTTP 200 and 400."""

    ok: bool
    error: Error | None
    outputs: list[str]
    node_errors: dict[str, Any]


class _FailedLookup(Exception):
    """Carries a KeyError/IndexError/TypeError raised on a link lookup plus its frame line."""

    def __init__(self, cause: Exception, line: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.line = line


def _unwrap(exc: Exception) -> tuple[Exception, int]:
    """The exception ComfyUI would have seen, and the execution.py line it was raised on."""
    if isinstance(exc, _FailedLookup):
        return exc.cause, exc.line
    return exc, 970  # anything else raised inside validate_inputs (e.g. a min/max comparison)


def _error(kind: str, message: str, details: str, extra_info: dict[str, Any]) -> Error:
    return {"type": kind, "message": message, "details": details, "extra_info": extra_info}


def full_type_name(exc: BaseException) -> str:
    """``module.Qualname`` of an exception type, bare for builtins (ComfyUI's format)."""
    klass = type(exc)
    if klass.__module__ == "builtins":
        return klass.__qualname__
    return f"{klass.__module__}.{klass.__qualname__}"


def types_compatible(received: Any, expected: Any) -> bool:
    """ComfyUI's link type check: exact match, ``*``, MatchType, or overlapping unions.

    ``"FLOAT,INT"`` accepts an INT; MatchType inputs/outputs are accepted whatever the type
    (ComfyUI leaves that check to its frontend).
    """
    if received == expected:
        return True
    if ANY_TYPE in (received, expected) or MATCH_TYPE in (received, expected):
        return True
    if isinstance(received, list) and expected == COMBO:
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    got = {t.strip() for t in received.split(",")}
    want = {t.strip() for t in expected.split(",")}
    if ANY_TYPE in got or ANY_TYPE in want:
        return True
    return bool(got & want)


def expand_inputs(
    spec: dict[str, Any], live: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Expand V3 dynamic inputs against the prompt's actual inputs.

    Returns ``{"required": {...}, "optional": {...}}`` plus whether any dynamic input took part
    (ComfyUI then reports a missing sub-input by its last dotted segment only).

    * DynamicCombo ``resize_type``: the chosen option's sub-inputs become ``resize_type.width``
      etc. An unknown or absent choice makes the combo and its sub-inputs vanish (no error).
    * Autogrow ``values`` with names a..z and ``min`` 1: ``values.a`` is required, the rest
      optional.
    """
    out: dict[str, dict[str, Any]] = {"required": {}, "optional": {}}
    dynamic = [False]

    def walk(sections: dict[str, Any], prefix: str | None) -> None:
        for category in ("required", "optional"):
            for name, value in sections.get(category, {}).items():
                full = f"{prefix}.{name}" if prefix else name
                io_type = value[0]
                if io_type == DYNAMIC_COMBO:
                    chosen = live.get(full)
                    for option in value[1].get("options", []):
                        if full in live and option.get("key") == chosen:
                            walk(option.get("inputs", {}), full)
                            out[category][full] = value
                            dynamic[0] = True
                            break
                elif io_type == AUTOGROW:
                    dynamic[0] = True
                    _expand_autogrow(value[1].get("template", {}), full, out)
                else:
                    out[category][full] = value
                    if prefix:
                        dynamic[0] = True

    walk(spec, None)
    return out, dynamic[0]


def _expand_autogrow(template: dict[str, Any], prefix: str, out: dict[str, dict[str, Any]]) -> None:
    if "names" in template:
        names = list(template["names"])
    elif "prefix" in template:
        names = [f"{template['prefix']}{i}" for i in range(int(template.get("max", 10)))]
    else:
        return
    minimum = int(template.get("min", 1))
    for category, inputs in template.get("input", {}).items():
        if not inputs:
            continue
        slot = next(iter(inputs.values()))
        for index, name in enumerate(names):
            target = "required" if index < minimum and category == "required" else "optional"
            out[target][f"{prefix}.{name}"] = slot
        return


class PromptValidator:
    """Validates one prompt. Mutates it (coercion), so hand it a copy you mean to queue."""

    def __init__(
        self,
        prompt: dict[str, Any],
        catalog: NodeCatalog,
        file_exists: FileExists,
        rules: ValidationRules | None = None,
    ):
        self.prompt = prompt
        self.catalog = catalog
        self.file_exists = file_exists
        self.rules = rules if rules is not None else rules_for(None)
        self.validated: dict[str, tuple[bool, list[Error]]] = {}

    def _unknown_node(self, node_id: str, node: dict[str, Any]) -> Error:
        """The refusal of a node without ``class_type`` or of a class the server lacks."""
        class_type = node.get("class_type")
        if self.rules.legacy_node_errors:
            message = (
                "Cannot execute because a node is missing the class_type property."
                if class_type is None
                else f"Cannot execute because node {class_type} does not exist."
            )
            return _error("invalid_prompt", message, f"Node ID '#{node_id}'", {})
        if class_type is None:
            title = node.get("_meta", {}).get("title")
            return _error(
                "missing_node_type",
                f"Node '{title or f'ID #{node_id}'}' has no class_type. The workflow "
                "may be corrupted or a custom node is missing.",
                f"Node ID '#{node_id}'",
                {"node_id": node_id, "class_type": None, "node_title": title},
            )
        title = node.get("_meta", {}).get("title", class_type)
        return _error(
            "missing_node_type",
            f"Node '{title}' not found. The custom node may not be installed.",
            f"Node ID '#{node_id}'",
            {"node_id": node_id, "class_type": class_type, "node_title": title},
        )

    def run(self, partial_targets: list[str] | None = None) -> ValidationResult:
        outputs: list[str] = []
        for node_id, node in self.prompt.items():
            if "class_type" not in node or node["class_type"] not in self.catalog:
                return ValidationResult(False, self._unknown_node(node_id, node), [], {})
            class_type = node["class_type"]
            if self.catalog.is_output(class_type) and (
                partial_targets is None or node_id in partial_targets
            ):
                outputs.append(node_id)

        if not outputs:
            return ValidationResult(
                False, _error("prompt_no_outputs", "Prompt has no outputs", "", {}), [], {}
            )

        good: list[str] = []
        failures: list[tuple[str, list[Error]]] = []
        node_errors: dict[str, Any] = {}
        for output in outputs:
            try:
                valid, reasons = self.node(output, [])
            except Exception as exc:
                cause, line = _unwrap(exc)
                valid = False
                reasons = [
                    _error(
                        "exception_during_validation",
                        "Exception when validating node",
                        str(cause),
                        {
                            "exception_type": full_type_name(cause),
                            "traceback": [
                                _EXECUTION_PY.format(1028, "validate_prompt"),
                                _EXECUTION_PY.format(line, "validate_inputs"),
                            ],
                        },
                    )
                ]
                self.validated[output] = (False, reasons)
            if valid:
                good.append(output)
                continue
            failures.append((output, reasons))
            # ComfyUI walks *all* nodes validated so far for every failed output, so a node
            # that failed for an earlier output is listed again under a later failing one.
            for node_id, (node_valid, node_reasons) in self.validated.items():
                if node_valid or not node_reasons:
                    continue
                entry = node_errors.setdefault(
                    node_id,
                    {
                        "errors": node_reasons,
                        "dependent_outputs": [],
                        "class_type": self.prompt[node_id]["class_type"],
                    },
                )
                entry["dependent_outputs"].append(output)

        if not good:
            lines = [f"{e['message']}: {e['details']}" for _, errors in failures for e in errors]
            error = _error(
                "prompt_outputs_failed_validation",
                "Prompt outputs failed validation",
                "\n".join(lines),
                {},
            )
            return ValidationResult(False, error, [], node_errors)
        return ValidationResult(True, None, good, node_errors)

    # -- one node -------------------------------------------------------------------------------

    def node(self, node_id: str, visiting: list[str]) -> tuple[bool, list[Error]]:
        """Validate ``node_id`` and (recursively) what it links to; memoised in ``validated``."""
        if node_id in self.validated:
            return self.validated[node_id]
        if node_id in visiting:
            if not self.rules.detects_cycles:
                # Before cycle detection ComfyUI recursed until RecursionError; the frame that
                # caught it recorded the error on a cycle member, which the frames above then
                # overwrote with their own (empty) errors: all that is left is "invalid".
                return (False, [])
            return self._cycle(node_id, visiting)

        node = self.prompt[node_id]
        inputs: dict[str, Any] = node["inputs"]
        class_type: str = node["class_type"]
        class_inputs, dynamic = expand_inputs(self.catalog.info(class_type)["input"], inputs)
        file_input = FILE_INPUTS.get(class_type)
        own_checks = {file_input[0]} if file_input else set()

        errors: list[Error] = []
        valid = True
        for category in ("required", "optional"):
            for name, spec in class_inputs[category].items():
                input_type = spec[0]
                extra: dict[str, Any] = spec[1] if len(spec) > 1 else {}
                info = [input_type, extra]
                if name not in inputs:
                    if category == "required":
                        details = name.split(".")[-1] if dynamic else name
                        errors.append(
                            _error(
                                "required_input_missing",
                                "Required input is missing",
                                details,
                                {"input_name": name},
                            )
                        )
                    continue
                value = inputs[name]
                if isinstance(value, list):
                    ok = self._linked(node_id, name, value, input_type, info, visiting, errors)
                    valid = valid and ok
                    continue
                error = self._widget(inputs, name, value, input_type, extra, info, own_checks)
                if error is not None:
                    errors.append(error)

        if file_input is not None:
            name, template = file_input
            if name not in inputs:  # the validate function is called without its argument
                function = "validate_inputs" if self.catalog.is_v3(class_type) else (
                    "VALIDATE_INPUTS")
                raise TypeError(f"{class_type}.{function}() missing 1 required positional "
                                f"argument: '{name}'")
            value = inputs[name]
            if not isinstance(value, str):  # a link arrives as None: None.endswith(...)
                kind = "NoneType" if isinstance(value, list) else type(value).__name__
                raise AttributeError(f"'{kind}' object has no attribute 'endswith'")
            if not self.file_exists(value):
                errors.append(
                    _error(
                        "custom_validation_failed",
                        "Custom validation failed for node",
                        f"{name} - {template.format(value)}",
                        {"input_name": name},
                    )
                )

        # A cycle found further up may already have recorded an error on this node: join it.
        prior_valid, prior = self.validated.get(node_id, (True, []))
        merged = prior + [e for e in errors if e not in prior]
        result = (prior_valid and valid and not errors, merged)
        self.validated[node_id] = result
        return result

    def _linked(
        self,
        node_id: str,
        name: str,
        link: list[Any],
        input_type: Any,
        info: list[Any],
        visiting: list[str],
        errors: list[Error],
    ) -> bool:
        """Check one ``[node_id, slot]`` input; returns False if the node must count as invalid."""
        if len(link) != 2:
            errors.append(
                _error(
                    "bad_linked_input",
                    "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                    name,
                    {"input_name": name, "input_config": info, "received_value": link},
                )
            )
            return True
        source_id, slot = link
        # These lookups raise on a dangling link; ComfyUI lets that escape to the caller,
        # which files it under *this* node (see exception_during_inner_validation below).
        lookup_line = self.rules.class_lookup_line
        try:
            source_class = self.prompt[source_id]["class_type"]
        except Exception as exc:
            raise _FailedLookup(exc, lookup_line) from exc
        try:
            received = self.catalog.return_types(source_class)[slot]
        except Exception as exc:
            raise _FailedLookup(exc, lookup_line + 2) from exc
        if not types_compatible(received, input_type):
            errors.append(
                _error(
                    "return_type_mismatch",
                    "Return type mismatch between linked nodes",
                    f"{name}, received_type({received}) mismatch input_type({input_type})",
                    {
                        "input_name": name,
                        "input_config": info,
                        "received_type": received,
                        "linked_node": link,
                    },
                )
            )
            return True
        visiting.append(node_id)
        try:
            upstream_valid, _ = self.node(source_id, visiting)
        except Exception as exc:
            cause, line = _unwrap(exc)
            self.validated[source_id] = (
                False,
                [
                    _error(
                        "exception_during_inner_validation",
                        "Exception when validating inner node",
                        str(cause),
                        {
                            "input_name": name,
                            "input_config": info,
                            "exception_message": str(cause),
                            "exception_type": full_type_name(cause),
                            "traceback": [
                                _EXECUTION_PY.format(
                                    self.rules.validate_call_line, "validate_inputs"
                                ),
                                _EXECUTION_PY.format(line, "validate_inputs"),
                            ],
                            "linked_node": link,
                        },
                    )
                ],
            )
            return False
        finally:
            visiting.pop()
        return upstream_valid

    def _widget(
        self,
        inputs: dict[str, Any],
        name: str,
        value: Any,
        input_type: Any,
        extra: dict[str, Any],
        info: list[Any],
        own_checks: set[str],
    ) -> Error | None:
        """Coerce and range/list-check one literal input value (in place, like ComfyUI)."""
        try:
            if isinstance(value, dict) and "__value__" in value:
                value = value["__value__"]
                inputs[name] = value
            converter = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}.get(
                input_type if isinstance(input_type, str) else ""
            )
            if converter is not None:
                value = converter(value)
                inputs[name] = value
        except Exception as exc:
            return _error(
                "invalid_input_type",
                f"Failed to convert an input value to a {input_type} value",
                f"{name}, {value}, {exc}",
                {
                    "input_name": name,
                    "input_config": info,
                    "received_value": value,
                    "exception_message": str(exc),
                },
            )
        if name in own_checks:
            return None
        if "min" in extra and value < extra["min"]:
            return _error(
                "value_smaller_than_min",
                f"Value {value} smaller than min of {extra['min']}",
                name,
                {"input_name": name, "input_config": info, "received_value": value},
            )
        if "max" in extra and value > extra["max"]:
            return _error(
                "value_bigger_than_max",
                f"Value {value} bigger than max of {extra['max']}",
                name,
                {"input_name": name, "input_config": info, "received_value": value},
            )
        if not (isinstance(input_type, list) or input_type == COMBO):
            return None
        if input_type == COMBO and extra.get("remote_combo"):
            return None
        options = input_type if isinstance(input_type, list) else extra.get("options", [])
        if extra.get("multiselect", False) and isinstance(value, list):
            invalid = [v for v in value if v not in options]
        else:
            invalid = [] if value in options else [value]
        if not invalid:
            return None
        config: list[Any] | None = info
        if self.rules.repr_combo_values:
            quoted = ", ".join(repr(v) for v in invalid)
        else:  # f"{x}: '{val}' not in {list_info}"
            quoted = ", ".join("'" + str(v) + "'" for v in invalid)
        listed = str(options)
        if len(options) > 20:  # ComfyUI does not echo long (model file) lists
            listed, config = f"(list of length {len(options)})", None
        return _error(
            "value_not_in_list",
            "Value not in list",
            f"{name}: {quoted} not in {listed}",
            {"input_name": name, "input_config": config, "received_value": value},
        )

    def _cycle(self, node_id: str, visiting: list[str]) -> tuple[bool, list[Error]]:
        path = [*visiting[visiting.index(node_id) :], node_id]
        members = list(dict.fromkeys(path))
        text = " -> ".join(f"{n} ({self.prompt[n]['class_type']})" for n in path)
        for member in members:
            self.validated[member] = (
                False,
                [
                    _error(
                        "dependency_cycle",
                        "Dependency cycle detected",
                        text,
                        {"node_id": member, "cycle_nodes": members},
                    )
                ],
            )
        return self.validated[node_id]


def validate_prompt(
    prompt: dict[str, Any],
    catalog: NodeCatalog,
    file_exists: FileExists,
    partial_targets: list[str] | None = None,
    rules: ValidationRules | None = None,
) -> ValidationResult:
    """Validate (and coerce in place) an API-format prompt against ``catalog``.

    ``rules``: the release's rules (default: the 0.26.0 of the protocol captures).
    """
    return PromptValidator(prompt, catalog, file_exists, rules).run(partial_targets)

