"""The SDK's prompt check agrees with real ComfyUI servers, release by release.

Two sources of truth:
- what real servers (0.8.0, 0.26.0, 0.33.0, 0.38.1) answered to 27 prompts each
  (``tests/fixtures/versions/*/prompt_verdicts.json``): replayed case by case;
- cases like them, on all seven captured releases, whose expected verdicts follow ComfyUI's
  ``validate_prompt`` source (conversion with ``int()``/``float()`` for exact INT/FLOAT
  types only, undeclared inputs ignored, only what outputs depend on validated, dynamic
  combos expanded against the prompt's values, loaders checking their files themselves).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ltx2sdk.graph.prompt_check import PromptCheck, check_prompt
from ltx2sdk.graph.schema import SchemaSet
from tests.comfyserver.versions import (
    VERSIONS_DIR,
    available_versions,
    captured_setup,
    load_version_object_info,
)

Verdict = tuple[bool, dict[str, list[list[Any]]]]
VERDICT_VERSIONS = [v for v in available_versions()
                    if (VERSIONS_DIR / v / "prompt_verdicts.json").is_file()]


@functools.cache
def _schemas(version: str) -> SchemaSet:  # read-only: safe to share between tests
    return SchemaSet.from_object_info(load_version_object_info(version), comfyui_version=version)


@functools.cache
def _file_exists(version: str) -> Callable[[str, str], bool]:
    _, images = captured_setup(version)
    return lambda kind, name: name.removesuffix(" [input]") in images


def _check(version: str, prompt: dict[str, Any]) -> PromptCheck:
    return check_prompt(prompt, _schemas(version), file_exists=_file_exists(version))


def sdk_verdict(check: PromptCheck) -> Verdict:
    """The check as ComfyUI answers: accepted?, and node id -> sorted [type, input] pairs
    (ComfyUI lists no node errors when it stops at a prompt-level problem)."""
    node_errors: dict[str, list[list[Any]]] = {}
    if check.error_type in (None, "prompt_outputs_failed_validation"):
        for problem in check.problems:
            assert problem.node_id is not None
            node_errors.setdefault(problem.node_id, []).append([problem.kind,
                                                                problem.input_name])
    return check.server_accepts, {k: sorted(v) for k, v in node_errors.items()}


def real_verdict(case: dict[str, Any]) -> Verdict:
    answer = case["verdict"]
    return answer["status"] == 200, {k: sorted(v) for k, v in answer["node_errors"].items()}


@functools.cache
def _cases(version: str) -> list[dict[str, Any]]:
    data = json.loads((VERSIONS_DIR / version / "prompt_verdicts.json").read_text())
    assert data["comfyui_version"] == version
    cases: list[dict[str, Any]] = data["cases"]
    return cases


@pytest.mark.parametrize("version", VERDICT_VERSIONS, ids=lambda v: f"comfyui-{v}")
def test_every_recorded_verdict_is_reproduced(version: str) -> None:
    cases = _cases(version)
    assert len(cases) == 27
    disagreements = [case["name"] for case in cases
                     if sdk_verdict(_check(version, case["prompt"])) != real_verdict(case)]
    assert disagreements == []
    # the cases include refusals of every kind the check knows, so agreeing means something
    assert {c["verdict"]["error_type"] for c in cases} >= {
        None, "prompt_outputs_failed_validation", "prompt_no_outputs"}


def test_the_replay_comparison_can_fail() -> None:
    case = next(c for c in _cases("0.33.0") if c["name"] == "mut/over-max")
    check = _check("0.33.0", case["prompt"])
    assert sdk_verdict(check) == real_verdict(case)
    relaxed = copy.deepcopy(case["prompt"])
    relaxed["7"]["inputs"]["width"] = 640
    assert sdk_verdict(_check("0.33.0", relaxed)) != real_verdict(case)


def test_recorded_builds_raise_no_runtime_doubts() -> None:
    for case in _cases("0.33.0"):
        check = _check("0.33.0", case["prompt"])
        assert check.runtime_problems == () and check.undecided == (), case["name"]


# --- cases like the recorded ones, on every captured release ------------------------------------

@dataclass(frozen=True)
class Case:
    """A change to a recorded prompt and the verdict ComfyUI gives (``versions``: where
    the case applies; ``refused``: node id -> sorted [type, input] pairs, None = accepted)."""

    name: str
    base: str
    change: Callable[[dict[str, Any]], None]
    refused: dict[str, list[list[Any]]] | None
    versions: tuple[str, ...] = ()


def _set(node: str, name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(prompt: dict[str, Any]) -> None:
        prompt[node]["inputs"][name] = value
    return change


def _drop(node: str, name: str) -> Callable[[dict[str, Any]], None]:
    def change(prompt: dict[str, Any]) -> None:
        del prompt[node]["inputs"][name]
    return change


def _all(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(prompt: dict[str, Any]) -> None:
        for step in changes:
            step(prompt)
    return change


def _add(node_id: str, class_type: str, **inputs: Any) -> Callable[[dict[str, Any]], None]:
    def change(prompt: dict[str, Any]) -> None:
        prompt[node_id] = {"class_type": class_type, "inputs": inputs}
    return change


T2V, I2V, FREE = "build/t2v/fast/none", "build/i2v/fast/none", "modelfree/save-video"
OLD = ("0.8.0", "0.16.4", "0.22.0", "0.26.0")  # LTXVEmptyLatentAudio.frame_rate is INT
NEW = ("0.29.0", "0.33.0", "0.38.1")  # ... and "FLOAT,INT" with a FLOAT widget from 0.29.0
PLAIN_CODEC = ("0.8.0", "0.16.4", "0.22.0", "0.26.0", "0.29.0")  # SaveVideo.codec a COMBO
DYNAMIC_CODEC = ("0.33.0", "0.38.1")  # a dynamic combo (0.38.1: hidden, optional, legacy)
INT_BIT_DEPTH = ("0.26.0", "0.29.0", "0.33.0")  # CreateVideo.bit_depth an INT 8..10

CASES = [
    Case("float-for-int", T2V, _set("7", "width", 640.0), None),
    Case("fraction-truncated", T2V, _set("7", "width", 640.7), None),
    Case("fraction-string-for-int", T2V, _set("7", "width", "640.5"),
         {"7": [["invalid_input_type", "width"]]}),
    Case("null-for-int", T2V, _set("7", "width", None), {"7": [["invalid_input_type", "width"]]}),
    Case("bool-for-int-is-one", T2V, _set("7", "width", True),
         {"7": [["value_smaller_than_min", "width"]]}),
    Case("below-min", T2V, _set("7", "height", 32), {"7": [["value_smaller_than_min", "height"]]}),
    Case("wrapped-value", T2V, _set("7", "width", {"__value__": 640}), None),
    Case("numeric-string-float", T2V, _set("13", "cfg", "1.5"), None),
    Case("text-for-float", T2V, _set("13", "cfg", "high"), {"13": [["invalid_input_type", "cfg"]]}),
    Case("anything-for-string", T2V, _set("5", "text", 12345), None),
    Case("combo-case-matters", T2V, _set("11", "sampler_name", "EULER"),
         {"11": [["value_not_in_list", "sampler_name"]]}),
    Case("several-errors-one-node", T2V, _all(_set("7", "width", 1), _set("7", "height", 99999)),
         {"7": [["value_bigger_than_max", "height"], ["value_smaller_than_min", "width"]]}),
    Case("errors-on-two-nodes", T2V, _all(_set("7", "width", 1), _drop("10", "noise_seed")),
         {"7": [["value_smaller_than_min", "width"]],
          "10": [["required_input_missing", "noise_seed"]]}),
    Case("optional-input-left-out", T2V, _drop("26", "audio"), None),
    Case("undeclared-input-with-a-link", T2V, _set("13", "extra", ["1", 0]), None),
    Case("frame-rate-fraction", T2V, _set("8", "frame_rate", 24.5), None),
    Case("frame-rate-text-int", T2V, _set("8", "frame_rate", "fast"),
         {"8": [["invalid_input_type", "frame_rate"]]}, OLD),
    # not converted for a multi-type input: the comparison with min raises, filed on the
    # node under the input of the node that links to it
    Case("frame-rate-text-multi", T2V, _set("8", "frame_rate", "fast"),
         {"8": [["exception_during_inner_validation", "audio_latent"]]}, NEW),
    Case("frame-rate-zero", T2V, _set("8", "frame_rate", 0),
         {"8": [["value_smaller_than_min", "frame_rate"]]}),
    Case("slot-out-of-range", T2V, _set("26", "images", ["24", 3]),
         {"26": [["exception_during_inner_validation", "video"]]}),
    Case("slot-as-text", T2V, _set("26", "images", ["24", "0"]),
         {"26": [["exception_during_inner_validation", "video"]]}),
    Case("output-links-nowhere", T2V, _set("27", "video", ["99", 0]),
         {"27": [["exception_during_validation", None]]}),
    Case("link-of-three", T2V, _set("26", "images", ["24", 0, 1]),
         {"26": [["bad_linked_input", "images"]]}),
    Case("mismatch-hides-upstream", T2V, _all(_set("26", "images", ["25", 0]),
                                              _set("24", "tile_size", 1)),
         {"26": [["return_type_mismatch", "images"]]}),
    Case("unreachable-garbage", T2V, _add("99", "EmptyImage", width="wide"), None),
    Case("unreachable-unknown-type", T2V, _add("99", "NoSuchNode"), {}),
    Case("cycle", T2V, _set("9", "video_latent", ["17", 0]), "refused"),  # type: ignore[arg-type]
    Case("match-type-not-checked", I2V, _set("6", "input", ["1", 2]), None),
    Case("image-file-missing", I2V, _set("5", "image", "nothere.png"),
         {"5": [["custom_validation_failed", "image"]]}),
    Case("image-file-annotated", I2V, _set("5", "image", "corpus.png [input]"), None),
    Case("image-in-a-subfolder-missing", I2V, _set("5", "image", "sub/corpus.png"),
         {"5": [["custom_validation_failed", "image"]]}),
    Case("dynamic-sub-input-missing", I2V, _drop("6", "resize_type.width"),
         {"6": [["required_input_missing", "resize_type.width"]]}),
    Case("dynamic-sub-input-over-max", I2V, _set("7", "resize_type.longer_size", 99999),
         {"7": [["value_bigger_than_max", "resize_type.longer_size"]]}),
    Case("dynamic-combo-unknown-option-vanishes", I2V, _set("7", "resize_type", "bogus"), None),
    Case("codec-not-an-option", FREE, _set("3", "codec", "vp9"),
         {"3": [["value_not_in_list", "codec"]]}, PLAIN_CODEC),
    Case("codec-not-an-option-vanishes", FREE, _set("3", "codec", "vp9"), None, DYNAMIC_CODEC),
    Case("codec-missing", FREE, _drop("3", "codec"), {"3": [["required_input_missing", "codec"]]},
         PLAIN_CODEC),
    Case("codec-missing-vanishes", FREE, _drop("3", "codec"), None, DYNAMIC_CODEC),
    Case("nested-crf-missing", FREE, _all(_set("3", "codec", "h264"),
                                          _set("3", "codec.encoding", "re-encode")),
         {"3": [["required_input_missing", "codec.encoding.crf"]]}, DYNAMIC_CODEC),
    Case("nested-crf-over-max", FREE, _all(_set("3", "codec", "h264"),
                                           _set("3", "codec.encoding", "re-encode"),
                                           _set("3", "codec.encoding.crf", 99)),
         {"3": [["value_bigger_than_max", "codec.encoding.crf"]]}, DYNAMIC_CODEC),
    Case("format-codec-nested-crf-missing", FREE,
         _all(_set("3", "format.codec", "av1"), _set("3", "format.codec.encoding", "re-encode")),
         {"3": [["required_input_missing", "format.codec.encoding.crf"]]}, ("0.38.1",)),
    Case("format-codec-not-an-option", FREE, _set("3", "format", "webm"),
         {"3": [["value_not_in_list", "format"]]}, (*PLAIN_CODEC, "0.33.0")),
    Case("format-codec-without-codec", FREE, _set("3", "format", "webm"), None, ("0.38.1",)),
    Case("nested-crf-ignored-before", FREE, _all(_set("3", "codec", "h264"),
                                                 _set("3", "codec.encoding", "re-encode"),
                                                 _set("3", "codec.encoding.crf", 99)),
         None, PLAIN_CODEC),
    Case("bit-depth-odd", FREE, _set("2", "bit_depth", 9), None, INT_BIT_DEPTH),
    Case("bit-depth-over", FREE, _set("2", "bit_depth", 12),
         {"2": [["value_bigger_than_max", "bit_depth"]]}, INT_BIT_DEPTH),
    Case("bit-depth-ignored", FREE, _set("2", "bit_depth", 12), None,
         ("0.8.0", "0.16.4", "0.22.0")),
    Case("bit-depth-not-an-option", FREE, _set("2", "bit_depth", 9),
         {"2": [["value_not_in_list", "bit_depth"]]}, ("0.38.1",)),
    Case("bit-depth-auto", FREE, _set("2", "bit_depth", "auto"),
         {"2": [["invalid_input_type", "bit_depth"]]}, INT_BIT_DEPTH),
    Case("bit-depth-auto-an-option", FREE, _set("2", "bit_depth", "auto"), None,
         ("0.8.0", "0.16.4", "0.22.0", "0.38.1")),
    Case("total-pixels-needs-multiple", I2V, _all(_set("7", "resize_type", "scale total pixels"),
                                                  _set("7", "resize_type.megapixels", 1.0)),
         {"7": [["required_input_missing", "resize_type.multiple"]]}, ("0.38.1",)),
    Case("total-pixels-without-multiple", I2V,
         _all(_set("7", "resize_type", "scale total pixels"),
              _set("7", "resize_type.megapixels", 1.0)),
         None, ("0.8.0", "0.16.4", "0.22.0", "0.26.0", "0.29.0", "0.33.0")),
]


CASE_RUNS = [(case, version) for case in CASES for version in available_versions()
             if not case.versions or version in case.versions]


@pytest.mark.parametrize(("case", "version"), CASE_RUNS,
                         ids=[f"{c.name}-comfyui-{v}" for c, v in CASE_RUNS])
def test_cases_like_the_recorded_ones(case: Case, version: str) -> None:
    base = next(c for c in _cases("0.33.0") if c["name"] == case.base)["prompt"]
    prompt = copy.deepcopy(base)
    case.change(prompt)
    accepted, node_errors = sdk_verdict(_check(version, prompt))
    if case.refused is None:
        assert (accepted, node_errors) == (True, {})
    elif case.refused == "refused":  # type: ignore[comparison-overlap]
        assert not accepted
    else:
        assert (accepted, node_errors) == (False, case.refused)


def test_a_broken_second_output_is_dropped_and_reported() -> None:
    prompt = copy.deepcopy(next(c for c in _cases("0.33.0") if c["name"] == T2V)["prompt"])
    _add("99", "SaveVideo", video=["24", 0], filename_prefix="x", format="auto", codec="auto")(
        prompt)
    check = _check("0.33.0", prompt)
    assert check.server_accepts and check.outputs == ("27",)
    assert [(p.node_id, p.kind, p.input_name) for p in check.problems] == [
        ("99", "return_type_mismatch", "video")]


def test_both_outputs_broken_upstream_refuses_with_the_upstream_node() -> None:
    prompt = copy.deepcopy(next(c for c in _cases("0.33.0") if c["name"] == T2V)["prompt"])
    prompt["7"]["inputs"]["width"] = 1
    _add("99", "SaveVideo", video=["26", 0], filename_prefix="x", format="auto", codec="auto")(
        prompt)
    check = _check("0.33.0", prompt)
    assert not check.server_accepts
    assert {(p.node_id, p.kind, p.input_name) for p in check.problems} == {
        ("7", "value_smaller_than_min", "width")}


def test_a_literal_where_a_link_belongs_passes_the_server_but_not_the_sdk() -> None:
    prompt = copy.deepcopy(next(c for c in _cases("0.33.0") if c["name"] == I2V)["prompt"])
    prompt["8"]["inputs"]["image"] = "corpus.png"  # LTXVPreprocess.image is an IMAGE link
    check = _check("0.33.0", prompt)
    assert check.server_accepts and not check.ok
    [problem] = check.runtime_problems
    assert (problem.node_id, problem.input_name) == ("8", "image")
    assert "ComfyUI accepts the prompt, but the node fails when it runs" in str(problem)


def test_unknown_node_types_are_listed_with_the_rest_of_the_graph_checked() -> None:
    prompt = copy.deepcopy(next(c for c in _cases("0.33.0") if c["name"] == T2V)["prompt"])
    prompt["11"]["class_type"] = "KSamplerSelectX"
    prompt["1"]["inputs"]["ckpt_name"] = "missing.safetensors"
    check = _check("0.33.0", prompt)
    assert check.error_type == "missing_node_type"
    kinds = {(p.node_id, p.kind) for p in check.problems}
    assert ("11", "missing_node_type") in kinds and ("1", "value_not_in_list") in kinds


def test_without_a_file_lookup_the_server_decides_about_files() -> None:
    prompt = next(c for c in _cases("0.33.0") if c["name"] == I2V)["prompt"]
    check = check_prompt(prompt, _schemas("0.33.0"))
    assert check.ok and check.undecided == ("node 5 (LoadImage) file 'corpus.png'",)


@pytest.mark.parametrize("prompt", [{}, [], {"1": "x"}, {"1": {"inputs": {}}}])
def test_malformed_prompts_are_refused_not_crashed(prompt: Any) -> None:
    assert not check_prompt(prompt, _schemas("0.33.0")).server_accepts
