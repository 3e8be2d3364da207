"""The /object_info parser understands every input form of seven real ComfyUI releases (the
newest, 0.38.1, a partial capture)."""

from __future__ import annotations

from typing import Any

import pytest

from ltx2sdk.graph.schema import SchemaSet, parse_node_info, types_compatible
from ltx2sdk.graph.validation import expected_inputs
from tests.comfyserver.versions import available_versions, load_version_object_info

VERSIONS = available_versions()


@pytest.fixture(scope="module", params=VERSIONS, ids=lambda v: f"comfyui-{v}")
def release(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    version: str = request.param
    return version, load_version_object_info(version)


def _schemas(version: str) -> SchemaSet:
    return SchemaSet.from_object_info(load_version_object_info(version), comfyui_version=version)


def test_all_seven_captured_releases_are_here() -> None:
    assert VERSIONS == ["0.8.0", "0.16.4", "0.22.0", "0.26.0", "0.29.0", "0.33.0", "0.38.1"]


def test_every_node_of_every_release_parses(release: tuple[str, dict[str, Any]]) -> None:
    version, info = release
    schemas = SchemaSet.from_object_info(info, comfyui_version=version)
    assert len(schemas) == len(info) > 500
    for class_type in schemas:
        schema = schemas[class_type]
        raw_inputs = info[class_type]["input"]
        declared = {name for section in ("required", "optional")
                    for name in raw_inputs.get(section, {})}
        assert set(schema.input_names) == declared, class_type  # hidden inputs are not inputs
        assert len(schema.outputs) == len(info[class_type]["output"]), class_type
        # the SDK knows every form these releases use: nothing is left opaque
        assert not [s.name for s in schema.inputs if s.opaque], class_type


def test_multi_type_input_with_a_widget_takes_a_literal() -> None:
    frame_rate = _schemas("0.33.0")["LTXVEmptyLatentAudio"].input("frame_rate")
    assert frame_rate is not None
    assert (frame_rate.type, frame_rate.widget_type) == ("FLOAT,INT", "FLOAT")
    assert frame_rate.is_widget and frame_rate.accepts_literal
    assert (frame_rate.min, frame_rate.max, frame_rate.default) == (1.0, 1000.0, 25.0)
    assert types_compatible("INT", frame_rate.type) and not types_compatible("STRING", "FLOAT,INT")
    # in 0.26.0 the same input was a plain INT
    old = _schemas("0.26.0")["LTXVEmptyLatentAudio"].input("frame_rate")
    assert old is not None and (old.type, old.widget_type) == ("INT", None)


def test_nested_dynamic_combo_expands_to_any_depth() -> None:
    save = _schemas("0.33.0")["SaveVideo"]
    codec = save.input("codec")
    assert codec is not None and codec.choices is not None
    assert set(codec.choices) == {"auto", "h264"}
    keys = expected_inputs(save, {"codec": "h264", "codec.encoding": "re-encode"})
    assert "codec.encoding" in keys and "codec.encoding.crf" in keys
    crf = keys["codec.encoding.crf"]
    assert (crf.type, crf.required, crf.min, crf.max) == ("FLOAT", True, 0.0, 51.0)
    assert not keys["codec.encoding"].required  # optional inside its option
    # the codec "auto" brings nothing; an absent combo vanishes under ComfyUI's rule
    assert "codec.encoding" not in expected_inputs(save, {"codec": "auto"})
    assert "codec" not in expected_inputs(save, {}, absent_choice="vanish")
    assert "codec" in expected_inputs(save, {})  # a builder expands the default


def test_codec_nested_under_format_with_a_hidden_legacy_codec() -> None:
    save = _schemas("0.38.1")["SaveVideo"]
    fmt, legacy = save.input("format"), save.input("codec")
    assert fmt is not None and fmt.choices is not None and fmt.required
    assert set(fmt.choices) == {"auto", "mp4", "mkv", "webm"}
    assert legacy is not None and legacy.hidden and not legacy.required
    assert not fmt.hidden and not any(s.hidden for s in _schemas("0.33.0")["SaveVideo"].inputs)
    keys = expected_inputs(save, {"format": "webm", "format.codec": "av1",
                                  "format.codec.encoding": "re-encode"})
    crf = keys["format.codec.encoding.crf"]
    assert (crf.required, crf.default, crf.max) == (True, 30.0, 63.0)  # av1's, not h264's
    webm = fmt.choices["webm"][0]
    assert webm.name == "codec" and webm.options == ("auto", "av1")


def test_combo_of_mixed_option_types() -> None:
    bit_depth = _schemas("0.38.1")["CreateVideo"].input("bit_depth")
    assert bit_depth is not None and bit_depth.type == "COMBO" and not bit_depth.required
    assert bit_depth.options == ("auto", 8, 10) and bit_depth.default == "auto"


def test_autogrow_slots_are_named_after_the_template() -> None:
    batch = _schemas("0.33.0")["BatchImagesNode"]
    images = batch.input("images")
    assert images is not None and images.autogrow is not None
    assert images.autogrow.names[:2] == ("image0", "image1") and len(images.autogrow.names) == 50
    assert images.autogrow.min == 1  # as the release declares it
    keys = expected_inputs(batch, {})
    assert keys["images.image0"].required and keys["images.image0"].type == "IMAGE"
    assert not keys["images.image1"].required and not keys["images.image49"].required
    assert "images" not in keys  # the autogrow id itself is never an input key


def test_autogrow_names_form() -> None:
    node = _schemas("0.8.0")["WanReferenceVideoApi"]
    spec = node.input("reference_videos")
    assert spec is not None and spec.autogrow is not None
    assert spec.autogrow.min >= 1 and spec.autogrow.names
    first = f"reference_videos.{spec.autogrow.names[0]}"
    assert expected_inputs(node, {})[first].required


def test_remote_upload_and_legacy_combos() -> None:
    schemas = _schemas("0.33.0")
    output_image = schemas["LoadImageOutput"].input("image")
    assert output_image is not None
    assert output_image.remote and output_image.upload == "image_upload"
    assert output_image.options is None and not output_image.checks_options
    load_image = schemas["LoadImage"].input("image")
    assert load_image is not None and load_image.legacy_combo and load_image.upload
    sampler = schemas["KSamplerSelect"].input("sampler_name")
    assert sampler is not None and not sampler.multiselect and "euler" in (sampler.options or ())
    assert schemas["LoadVideo"].input("file").upload == "video_upload"  # type: ignore[union-attr]


def test_custom_socketless_widgets_take_literals() -> None:
    crop = _schemas("0.33.0")["ImageCropV2"].input("crop_region")
    assert crop is not None and crop.type == "BOUNDING_BOX" and crop.accepts_literal


def test_match_type_input_and_output() -> None:
    resize = _schemas("0.8.0")["ResizeImageMaskNode"]
    spec = resize.input("input")
    assert spec is not None and (spec.type, spec.template_id) == ("IMAGE,MASK", "input_type")
    assert resize.outputs[0].template_id == "input_type"


def test_unknown_and_malformed_forms_are_left_to_the_server() -> None:
    schema = parse_node_info("Future", {
        "input": {"required": {
            "slot": ["COMFY_DYNAMICSLOT_V3", {"inputs": {}}],
            "broken": "not a list",
            "empty": [],
            "odd": [42],
            "grow": ["COMFY_AUTOGROW_V3", {"template": {}}],
        }, "optional": None, "hidden": {"prompt": ["PROMPT"]}},
        "output": [["a", "b"], "IMAGE"], "output_name": ["choice"],
    })
    assert {s.name for s in schema.inputs if s.opaque} == {"slot", "broken", "empty", "odd",
                                                           "grow"}
    # outputs survive a short output_name list; a list-typed output is a combo
    assert [(o.type, o.name) for o in schema.outputs] == [("COMBO", "choice"), ("IMAGE", "IMAGE")]
    assert schema.outputs[0].options == ("a", "b")


def test_schema_sets_skip_entries_that_are_not_nodes() -> None:
    schemas = SchemaSet.from_object_info({"A": {"input": {}}, "bad": ["not", "a", "node"]})
    assert list(schemas) == ["A"] and "bad" not in schemas
