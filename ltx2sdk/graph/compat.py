"""Writing a node the way the server that will run it declares it.

The SDK declares each node once (:mod:`ltx2sdk.graph.node_defs`), as recent ComfyUI releases have
it. Releases differ: 0.8.0 has no ``CreateVideo.bit_depth``; 0.33.0 makes ``SaveVideo.codec``
a V3 dynamic combo; 0.38.1 nests it under ``format`` (``format.codec``, keeping a hidden
top-level ``codec`` for older prompts) and gives ``ResizeImageMaskNode``'s "scale total
pixels" a required ``multiple``. Given the inputs a builder passes (named as the SDK declares
them), :func:`adapt_inputs` returns them named as the target server declares the node:

- an input the server declares (and does not hide) is kept as it is;
- an input the server has inside a dynamic combo moves to that key (``codec`` ->
  ``format.codec``), even where the server also keeps a hidden legacy input of that name;
- an input the server lacks is left out when the builder only sets it to its neutral value
  (its declared default, or a combo's first option): the server behaves that way without it;
- an input the server requires and the SDK does not declare gets the value that computes what
  the SDK's declaration means (:data:`NEUTRAL_ADDED_INPUTS`); others get the server's default
  when the node is added, as ComfyUI's UI would fill them;
- anything else cannot be built for that server: :class:`IncompatibleServerError` names the
  node, the input and the release.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from ltx2sdk.errors import IncompatibleServerError
from ltx2sdk.graph.handles import Output
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.schema import InputSpec, NodeSchema
from ltx2sdk.graph.validation import default_choice, expected_inputs


class BuildSchemas(Mapping[str, NodeSchema]):
    """A server's schemas as a builder sees them: model and input files left unchecked.

    Which files a server has is checked once the graph is complete (the client lists every
    missing file at once); the builder checks everything else as the server declares it.
    """

    def __init__(self, schemas: Mapping[str, NodeSchema]) -> None:
        self._schemas = schemas
        self._cache: dict[str, NodeSchema] = {}
        self.comfyui_version: str | None = getattr(schemas, "comfyui_version", None)
        self.from_server: bool = getattr(schemas, "from_server", False)
        self.server_label: str = getattr(schemas, "server_label", "this server")

    def __getitem__(self, class_type: str) -> NodeSchema:
        if class_type not in self._cache:
            schema = self._schemas[class_type]
            declared = LTX2_SCHEMAS.get(class_type)
            files = {spec.name for spec in declared.inputs if spec.folder} if declared else set()
            if files:
                schema = replace(schema, inputs=tuple(
                    replace(spec, options=None) if spec.name in files else spec
                    for spec in schema.inputs))
            self._cache[class_type] = schema
        return self._cache[class_type]

    def __contains__(self, class_type: object) -> bool:
        return class_type in self._schemas

    def __iter__(self) -> Iterator[str]:
        return iter(self._schemas)

    def __len__(self) -> int:
        return len(self._schemas)


def neutral_value(spec: InputSpec) -> Any:
    """The value that means "as if this input did not exist" (default, else first option)."""
    return default_choice(spec) if spec.options else spec.default


NEUTRAL_ADDED_INPUTS: Mapping[tuple[str, str], Any] = {
    # 0.38's scale_total_pixels makes each side max(1, round(side * scale / multiple)) *
    # multiple where older releases take round(side * scale) (Comfy-Org/ComfyUI 0c85348,
    # comfy_extras/nodes_post_processing.py): 1 computes as before.
    ("ResizeImageMaskNode", "resize_type.multiple"): 1,
}
"""Inputs a newer release adds (dotted keys under the option that brings them), with the
value that keeps the node computing what the SDK's declaration, without them, means."""


def adapt_inputs(schemas: Mapping[str, NodeSchema], class_type: str,
                 given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` (SDK input names) rewritten for the node as ``schemas`` declares it.

    Returns ``given`` unchanged when ``schemas`` are the SDK's own or lack the node (the
    graph reports that itself).
    """
    target = schemas.get(class_type)
    declared = LTX2_SCHEMAS.get(class_type)
    if target is None or declared is None or target is declared:
        return dict(given)
    # a hidden input is a legacy one: 0.38's SaveVideo reads its top-level codec only when
    # format holds none (Comfy-Org/ComfyUI 39b885f, comfy_extras/nodes_video.py)
    adapted = {name: value for name, value in given.items() if _declared_openly(target, name)}
    # dynamic keys depend on the values chosen so far, so place the rest one at a time
    for name, value in given.items():
        if name in adapted or "." in name:
            continue
        key = _dynamic_key(target, adapted, name)
        if key is not None:
            adapted[key] = value
            continue
        if target.input(name) is not None:
            adapted[name] = value  # hidden, and nowhere else: the server still reads it there
            continue
        spec = declared.input(name)
        if spec is not None and not isinstance(value, Output) and value == neutral_value(spec):
            continue  # the server does without it exactly as this value would
        label = getattr(schemas, "server_label", "this server")
        raise IncompatibleServerError(
            f"{class_type} has no input '{name}' on {label}, and the pipeline needs it set "
            f"to {_shown(value)}: use a newer ComfyUI")
    for name, value in given.items():  # dotted names are the caller's own dynamic keys
        if "." in name:
            adapted[name] = value
    _add_neutral_inputs(target, declared, adapted)
    return adapted


def _declared_openly(target: NodeSchema, name: str) -> bool:
    spec = target.input(name)
    return spec is not None and not spec.hidden


def _add_neutral_inputs(target: NodeSchema, declared: NodeSchema, values: dict[str, Any]) -> None:
    """Set each input of :data:`NEUTRAL_ADDED_INPUTS` the server expects, given ``values``,
    where the SDK's declaration has no such input and the caller gave none."""
    ours = expected_inputs(declared, values)
    for key in expected_inputs(target, values):
        neutral = NEUTRAL_ADDED_INPUTS.get((target.class_type, key))
        if neutral is not None and key not in ours and key not in values:
            values[key] = neutral


def _dynamic_key(target: NodeSchema, values: Mapping[str, Any], name: str) -> str | None:
    """The server's dotted key whose last part is ``name``, if exactly one exists."""
    keys = [key for key in expected_inputs(target, values)
            if "." in key and key.rsplit(".", 1)[1] == name]
    return keys[0] if len(keys) == 1 else None


def _shown(value: Any) -> str:
    return value.describe() if isinstance(value, Output) else repr(value)
