"""The SDK's node declarations agree with a real ComfyUI 0.26.0 /object_info."""

from __future__ import annotations

from typing import Any

import pytest

from ltx2sdk.node_defs import LTX2_SCHEMAS
from ltx2sdk.schema import InputSpec, NodeSchema, SchemaSet


def _comparable(spec: InputSpec, *, server_files: bool = False) -> dict[str, Any]:
    """What must agree; option lists of server-side file combos are left out."""
    data: dict[str, Any] = {
        "type": spec.type,
        "required": spec.required,
        "default": spec.default,
        "min": spec.min,
        "max": spec.max,
    }
    if spec.options is not None and not server_files:
        data["options"] = tuple(spec.options)
    if spec.choices is not None:
        data["choices"] = {key: {sub.name: _comparable(sub) for sub in subs}
                           for key, subs in spec.choices.items()}
    return data


@pytest.mark.parametrize("class_type", sorted(LTX2_SCHEMAS))
def test_declared_node_matches_object_info(class_type: str, live_schemas: SchemaSet) -> None:
    declared: NodeSchema = LTX2_SCHEMAS[class_type]
    real = live_schemas[class_type]
    assert declared.input_names == real.input_names
    for mine, theirs in zip(declared.inputs, real.inputs, strict=True):
        files = mine.folder is not None
        assert _comparable(mine, server_files=files) == _comparable(theirs, server_files=files), (
            f"{class_type}.{mine.name}")
    assert [(o.type, o.name) for o in declared.outputs] == [(o.type, o.name) for o in real.outputs]
    assert declared.output_node == real.output_node


def test_model_file_inputs_are_the_servers_empty_combos(live_schemas: SchemaSet) -> None:
    # the capture's server had no models: exactly the inputs declared as model files are empty
    for schema in LTX2_SCHEMAS.values():
        for spec in schema.inputs:
            real = live_schemas[schema.class_type].input(spec.name)
            assert real is not None
            is_model_file = spec.folder is not None and spec.folder != "input"
            assert (real.options == ()) == is_model_file, f"{schema.class_type}.{spec.name}"


def test_comparison_notices_a_drift(live_schemas: SchemaSet) -> None:
    # the comparison itself must be able to fail: change one maximum and look
    real = live_schemas["LTXVEmptyLatentAudio"].inputs
    drifted = InputSpec(**{**real[0].__dict__, "max": 2000})
    assert _comparable(drifted) != _comparable(LTX2_SCHEMAS["LTXVEmptyLatentAudio"].inputs[0])
