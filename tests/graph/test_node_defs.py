"""The SDK's node declarations agree with real ComfyUI /object_info captures.

Exactly with 0.26.0 (the release they are written from), and with every other captured
release up to the differences listed in :data:`EXPECTED_DIFFERENCES`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.schema import DYNAMICCOMBO_V3, MATCHTYPE_V3, InputSpec, NodeSchema, SchemaSet


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


WRITTEN_FROM = {"LTXVDualCFGGuider": "0.33.0"}
"""Nodes declared from a release newer than 0.26.0 (they are not in older ones)."""


@pytest.mark.parametrize("class_type", sorted(LTX2_SCHEMAS))
def test_declared_node_matches_object_info(class_type: str, live_schemas: SchemaSet) -> None:
    declared: NodeSchema = LTX2_SCHEMAS[class_type]
    if class_type in live_schemas:
        real = live_schemas[class_type]
    else:  # a node the LTX-2 capture does not have: the full capture it is written from
        version = WRITTEN_FROM.get(class_type, "0.26.0")
        real = SchemaSet.from_object_info(release_object_info(version))[class_type]
    assert declared.input_names == real.input_names
    for mine, theirs in zip(declared.inputs, real.inputs, strict=True):
        files = mine.folder is not None
        assert _comparable(mine, server_files=files) == _comparable(theirs, server_files=files), (
            f"{class_type}.{mine.name}")
    assert [(o.type, o.name) for o in declared.outputs] == [(o.type, o.name) for o in real.outputs]
    assert declared.output_node == real.output_node


BUILT_IN_CHOICES = frozenset({"pixel_space"})
"""What VAELoader offers besides the server's files (ComfyUI's own: no VAE)."""


def test_model_file_inputs_are_the_servers_empty_combos(live_schemas: SchemaSet) -> None:
    # the capture's server had no models: exactly the inputs declared as model files are empty
    for schema in LTX2_SCHEMAS.values():
        if schema.class_type not in live_schemas:
            continue  # LTX-2.5's loaders and the audio nodes: not in that capture
        for spec in schema.inputs:
            real = live_schemas[schema.class_type].input(spec.name)
            assert real is not None
            if spec.folder == "input":
                continue  # the server's input files: what it happened to hold
            is_model_file = spec.folder is not None
            files = (None if real.options is None
                     else tuple(o for o in real.options if o not in BUILT_IN_CHOICES))
            assert (files == ()) == is_model_file, f"{schema.class_type}.{spec.name}"


def test_comparison_notices_a_drift(live_schemas: SchemaSet) -> None:
    # the comparison itself must be able to fail: change one maximum and look
    real = live_schemas["LTXVEmptyLatentAudio"].inputs
    drifted = dataclasses.replace(real[0], max=2000)
    assert _comparable(drifted) != _comparable(LTX2_SCHEMAS["LTXVEmptyLatentAudio"].inputs[0])


# --- every captured ComfyUI release ----------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
FIXTURE_RELEASES = REPO / "tests" / "fixtures" / "versions"
SHARED_RELEASES = REPO.parent / "shared" / "comfyui" / "versions"  # beside the repo, if there

RELEASES = ("0.8.0", "0.16.4", "0.22.0", "0.26.0", "0.29.0", "0.33.0", "0.38.1")
"""The captured releases the declarations are checked against, oldest first."""

NODE, OUTPUTS, OUTPUT_NODE = "(node)", "(outputs)", "(output_node)"

_VIDEO_COMPONENTS = [("IMAGE", "images"), ("AUDIO", "audio"), ("FLOAT", "fps"),
                     ("INT", "bit_depth")]


def _no_options(names: str) -> str:
    return "; ".join(f"no option {name!r}" for name in names.split())


def _undeclared_options(names: str) -> str:
    return "; ".join(f"option {name!r} not declared" for name in names.split())


_NO_BIT_DEPTH = f"{_VIDEO_COMPONENTS[:3]}, declared {_VIDEO_COMPONENTS}"
"""GetVideoComponents before 0.26.0: no ``bit_depth`` output."""
_SHORT_BATCH_INDEX = "min 0, declared -16384; max 4095, declared 16384"
"""ImageFromBatch before 0.22.0: no negative index, at most 4095."""
_UNION_CONTROL_NODES = {(name, NODE): "absent" for name in (
    "GetICLoRAParameters", "LoadMoGeModel", "MoGeInference", "MoGeRender")}
"""LTX-2.3's union-control nodes came with 0.22.0."""
_ID_LORA_NODES = {("LTXVReferenceAudio", NODE): "absent"}
"""LTX-2.3's voice identity (ID-LoRA) came between 0.16.4 and 0.22.0 (its template asks for
0.19.0)."""

EXPECTED_DIFFERENCES: dict[str, dict[tuple[str, str], str]] = {
    "0.8.0": {
        ("CLIPLoader", "type"):
            _no_options("longcat_image cogvideox lens pixeldit ideogram4 boogu krea2"),
        ("LTXVDualCFGGuider", NODE): "absent",
        ("LTXAVTextEncoderLoader", "device"): "absent",
        ("TextGenerateLTX2Prompt", NODE): "absent",
        ("LTXVAddGuide", "strength"): "max 1.0, declared 10.0",
        ("LTXVAddGuide", "attention_mask"): "absent",
        ("LTXVAddGuide", "iclora_parameters"): "absent",
        ("ResizeImageMaskNode", "resize_type"): "no option 'scale to multiple'",
        ("CreateVideo", "bit_depth"): "absent",
        ("SaveVideo", OUTPUTS): "[], declared [('VIDEO', 'video')]",
        ("PreviewAny", OUTPUTS): "[], declared [('STRING', 'STRING')]",
        ("GetVideoComponents", OUTPUTS): _NO_BIT_DEPTH,
        ("ImageFromBatch", "batch_index"): _SHORT_BATCH_INDEX,
        ("Video Slice", NODE): "absent",
        ("ComfyMathExpression", NODE): "absent",
        **_UNION_CONTROL_NODES,
        **_ID_LORA_NODES,
    },
    "0.16.4": {
        ("CLIPLoader", "type"): _no_options("cogvideox lens pixeldit ideogram4 boogu krea2"),
        ("LTXVDualCFGGuider", NODE): "absent",
        ("TextGenerateLTX2Prompt", "max_length"):
            "default 256, declared 512; max 2048, declared 32768",
        ("TextGenerateLTX2Prompt", "sampling_mode[on].presence_penalty"): "absent",
        ("TextGenerateLTX2Prompt", "video"): "absent",
        ("TextGenerateLTX2Prompt", "audio"): "absent",
        ("TextGenerateLTX2Prompt", "thinking"): "absent",
        ("TextGenerateLTX2Prompt", "use_default_template"): "absent",
        ("LTXVAddGuide", "strength"): "max 1.0, declared 10.0",
        ("LTXVAddGuide", "attention_mask"): "absent",
        ("LTXVAddGuide", "iclora_parameters"): "absent",
        ("CreateVideo", "bit_depth"): "absent",
        ("SaveVideo", OUTPUTS): "[], declared [('VIDEO', 'video')]",
        ("PreviewAny", OUTPUTS): "[], declared [('STRING', 'STRING')]",
        ("GetVideoComponents", OUTPUTS): _NO_BIT_DEPTH,
        ("ImageFromBatch", "batch_index"): _SHORT_BATCH_INDEX,
        **_UNION_CONTROL_NODES,
        **_ID_LORA_NODES,
        ("ComfyMathExpression", OUTPUTS):  # no BOOL yet
            "[('FLOAT', 'FLOAT'), ('INT', 'INT')], declared [('FLOAT', 'FLOAT'), ('INT', "
            "'INT'), ('BOOLEAN', 'BOOL')]",
        ("ComfyMathExpression", "values"):
            "type autogrow(FLOAT,INT), declared autogrow(FLOAT,INT,BOOLEAN)",
    },
    "0.22.0": {
        ("CLIPLoader", "type"): _no_options("lens pixeldit ideogram4 boogu krea2"),
        ("LTXVDualCFGGuider", NODE): "absent",
        ("TextGenerateLTX2Prompt", "max_length"):
            "default 256, declared 512; max 2048, declared 32768",
        ("CreateVideo", "bit_depth"): "absent",
        ("SaveVideo", OUTPUTS): "[], declared [('VIDEO', 'video')]",
        ("GetVideoComponents", OUTPUTS): _NO_BIT_DEPTH,
    },
    "0.26.0": {  # the release the declarations are written from
        ("LTXVDualCFGGuider", NODE): "absent",  # written from 0.33.0 (WRITTEN_FROM)
    },
    "0.29.0": {
        ("CLIPLoader", "type"): _undeclared_options("joyimage mage"),
        ("LTXVDualCFGGuider", NODE): "absent",
        ("LTXVEmptyLatentAudio", "frame_rate"): "type FLOAT,INT (widgetType FLOAT), declared INT",
    },
    "0.33.0": {
        ("CLIPLoader", "type"): _undeclared_options("joyimage mage minimax"),
        ("LTXVEmptyLatentAudio", "frame_rate"): "type FLOAT,INT (widgetType FLOAT), declared INT",
        ("SaveVideo", "codec"):
            "type COMFY_DYNAMICCOMBO_V3, declared COMBO; default None, declared 'auto'",
        ("SaveVideo", "codec[h264].encoding"): "not declared (optional)",
    },
    "0.38.1": {  # partial: 0.33.0 with the 0.38-era LTX, video, audio and resize nodes
        ("CLIPLoader", "type"): _undeclared_options("joyimage mage minimax"),
        ("LTXVEmptyLatentAudio", "frame_rate"): "type FLOAT,INT (widgetType FLOAT), declared INT",
        ("CreateVideo", "bit_depth"):
            "type COMBO, declared INT; default 'auto', declared 8; min None, declared 8; "
            "max None, declared 10",
        ("CreateVideo", "color_space"): "not declared (optional)",
        ("ResizeImageMaskNode", "resize_type[scale total pixels].multiple"):
            "not declared (required)",
        ("SaveVideo", "format"):
            "type COMFY_DYNAMICCOMBO_V3, declared COMBO; option 'mkv' not declared; "
            "option 'webm' not declared; default None, declared 'auto'",
        ("SaveVideo", "format[auto].codec"): "not declared (required)",
        ("SaveVideo", "format[mp4].codec"): "not declared (required)",
        ("SaveVideo", "format[mkv].codec"): "not declared (required)",
        ("SaveVideo", "format[webm].codec"): "not declared (required)",
        ("SaveVideo", "codec"):  # hidden: kept for older prompts, format.codec wins
            "optional; type COMFY_DYNAMICCOMBO_V3, declared COMBO; option 'av1' not declared; "
            "default None, declared 'auto'",
        ("SaveVideo", "codec[h264].encoding"): "not declared (optional)",
        ("SaveVideo", "codec[av1].encoding"): "not declared (optional)",
        ("GetVideoComponents", OUTPUTS):  # bit depth a combo, and the colour space
            f"{[*_VIDEO_COMPONENTS[:3], ('COMBO', 'bit_depth'), ('COMBO', 'color_space')]}, "
            f"declared {_VIDEO_COMPONENTS}",
    },
}
"""How each release differs from the declarations (written from ComfyUI 0.26.0), as
:func:`release_differences` words it: ``(class_type, input)`` -> what differs. Sub-inputs
of a dynamic combo are named ``combo[option].sub``; whole-node differences use :data:`NODE`,
:data:`OUTPUTS` and :data:`OUTPUT_NODE`. Found by diffing the captures; the test keeps it exact."""


def release_object_info_path(version: str) -> Path:
    """Where release ``version``'s captured ``/object_info`` is: the test fixture
    (``tests/fixtures/versions/<v>/object_info.json.gz``) if present, else the shared
    captures beside the repo (``../shared/comfyui/versions/<v>/object_info.json``)."""
    for folder in (FIXTURE_RELEASES, SHARED_RELEASES):
        for name in ("object_info.json.gz", "object_info.json"):
            path = folder / version / name
            if path.is_file():
                return path
    raise FileNotFoundError(f"no captured /object_info of ComfyUI {version} in "
                            f"{FIXTURE_RELEASES} or {SHARED_RELEASES}")


@functools.cache
def release_object_info(version: str) -> dict[str, Any]:
    """Release ``version``'s captured ``/object_info``, as the raw JSON."""
    path = release_object_info_path(version)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    data: dict[str, Any] = json.loads(raw)
    return data


def captured_releases() -> set[str]:
    """The releases with a capture, in the fixtures or beside the repo."""
    return {path.parent.name for folder in (FIXTURE_RELEASES, SHARED_RELEASES)
            for path in folder.glob("*/object_info.json*")}


def _raw_form(entry: list[Any]) -> tuple[str, dict[str, Any], tuple[Any, ...] | None]:
    """(form, options dict, option values) of one raw ``[type, options]`` input entry."""
    kind = entry[0]
    opts: dict[str, Any] = entry[1] if len(entry) > 1 and isinstance(entry[1], dict) else {}
    if isinstance(kind, list):  # legacy combo
        return "COMBO", opts, tuple(kind)
    if kind == "COMBO":
        return "COMBO", opts, tuple(opts.get("options", ()))
    if kind == MATCHTYPE_V3:
        return str(opts.get("template", {}).get("allowed_types", "*")), opts, None
    if kind == DYNAMICCOMBO_V3:
        return DYNAMICCOMBO_V3, opts, tuple(option["key"] for option in opts.get("options", []))
    if kind == "COMFY_AUTOGROW_V3":  # the type of each slot, and its names
        template = opts.get("template", {})
        [slot] = template.get("input", {}).get("required", {}).values()
        return f"{AUTOGROW}({slot[0]})", opts, tuple(template.get("names", ()))
    return str(kind), opts, None


AUTOGROW = "autogrow"
"""How an autogrow input's form is written: ``autogrow(<the type of each slot>)``."""


def _declared_form(spec: InputSpec) -> str:
    if spec.autogrow is not None:
        return f"{AUTOGROW}({spec.autogrow.template.type})"
    return DYNAMICCOMBO_V3 if spec.choices is not None else spec.type


def _input_differences(class_type: str, prefix: str, declared: tuple[InputSpec, ...],
                       section: dict[str, Any]) -> dict[tuple[str, str], str]:
    raw = {name: (key == "required", entry) for key in ("required", "optional")
           for name, entry in section.get(key, {}).items()}
    found: dict[tuple[str, str], str] = {}
    for spec in declared:
        where = (class_type, prefix + spec.name)
        if spec.name not in raw:
            found[where] = "absent"
            continue
        required, entry = raw[spec.name]
        form, opts, options = _raw_form(entry)
        notes = []
        if required != spec.required:
            notes.append("required" if required else "optional")
        if form != _declared_form(spec):
            widget = f" (widgetType {opts['widgetType']})" if "widgetType" in opts else ""
            notes.append(f"type {form}{widget}, declared {_declared_form(spec)}")
        if spec.autogrow is not None and (options, opts.get("template", {}).get("min")) != (
                spec.autogrow.names, spec.autogrow.min):
            notes.append(f"slots {options} from {opts.get('template', {}).get('min')}, "
                         f"declared {spec.autogrow.names} from {spec.autogrow.min}")
        if spec.folder is None and spec.options is not None and options is not None:
            missing = [o for o in spec.options if o not in options]
            extra = [o for o in options if o not in spec.options]
            notes += [f"no option {o!r}" for o in missing]
            notes += [f"option {o!r} not declared" for o in extra]
        for key in ("default", "min", "max"):
            if opts.get(key) != getattr(spec, key):
                notes.append(f"{key} {opts.get(key)!r}, declared {getattr(spec, key)!r}")
        if notes:
            found[where] = "; ".join(notes)
        if form == DYNAMICCOMBO_V3:  # sub-inputs, of the options both have
            choices = spec.choices or {}
            for option in opts.get("options", []):
                if spec.choices is None or option["key"] in spec.choices:
                    found.update(_input_differences(
                        class_type, f"{prefix}{spec.name}[{option['key']}].",
                        choices.get(option["key"], ()), option.get("inputs", {})))
    declared_names = {spec.name for spec in declared}
    for name, (required, _) in raw.items():
        if name not in declared_names:
            found[(class_type, prefix + name)] = ("not declared (required)" if required
                                                  else "not declared (optional)")
    return found


def release_differences(object_info: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Every way ``object_info`` differs from the SDK's declarations, compared on the raw
    JSON: a node or input it lacks or adds, another form (type, required/optional), options,
    default, min or max, other outputs. Model-file option lists are not compared."""
    found: dict[tuple[str, str], str] = {}
    for schema in LTX2_SCHEMAS.values():
        class_type = schema.class_type
        info = object_info.get(class_type)
        if info is None:
            found[(class_type, NODE)] = "absent"
            continue
        found.update(_input_differences(class_type, "", schema.inputs, info.get("input", {})))
        outputs = list(zip(info.get("output", []), info.get("output_name", []), strict=False))
        declared = [(o.type, o.name) for o in schema.outputs]
        if outputs != declared:
            found[(class_type, OUTPUTS)] = f"{outputs}, declared {declared}"
        if bool(info.get("output_node", False)) != schema.output_node:
            found[(class_type, OUTPUT_NODE)] = f"{bool(info.get('output_node'))}"
    return found


@pytest.mark.parametrize("version", RELEASES)
def test_declarations_against_release(version: str) -> None:
    # every declared node and input exists in the release in the declared form, or the
    # difference is listed; a listed difference that went away fails too
    found = release_differences(release_object_info(version))
    assert found == EXPECTED_DIFFERENCES[version]


def test_every_captured_release_is_checked() -> None:
    assert captured_releases() == set(RELEASES) == set(EXPECTED_DIFFERENCES)


def test_release_comparison_notices_a_drift() -> None:
    info = copy.deepcopy(release_object_info("0.26.0"))
    scheduler = info["LTXVScheduler"]
    scheduler["input"]["required"]["steps"][1]["max"] = 500
    del scheduler["input"]["required"]["stretch"]
    scheduler["input"]["required"]["shift_mode"] = [["auto", "fixed"], {}]
    scheduler["output"] = ["FLOAT"]
    resize = info["ResizeImageMaskNode"]["input"]["required"]["resize_type"][1]["options"]
    resize[0]["inputs"]["required"]["width"][1]["default"] = 1024
    del info["RandomNoise"]
    assert release_differences(info) == {
        ("LTXVScheduler", "steps"): "max 500, declared 10000",
        ("LTXVScheduler", "stretch"): "absent",
        ("LTXVScheduler", "shift_mode"): "not declared (required)",
        ("LTXVScheduler", OUTPUTS): "[('FLOAT', 'SIGMAS')], declared [('SIGMAS', 'SIGMAS')]",
        ("ResizeImageMaskNode", "resize_type[scale dimensions].width"):
            "default 1024, declared 512",
        ("RandomNoise", NODE): "absent",
        ("LTXVDualCFGGuider", NODE): "absent",  # not in 0.26.0 at all
    }


def test_release_captures_prefer_the_fixtures() -> None:
    assert (FIXTURE_RELEASES / "0.26.0").is_dir()
    assert release_object_info_path("0.26.0").is_relative_to(FIXTURE_RELEASES)
    with pytest.raises(FileNotFoundError, match=r"0\.0\.1"):
        release_object_info_path("0.0.1")
