"""The oracle's comparison helpers (``tests/editor/browser.py``), without a browser: each
normalisation changes only what it says it changes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.editor.browser import (
    as_javascript_numbers,
    declared_default,
    drop_added_defaults,
    prompt_differences,
)


def test_javascript_numbers_lose_only_the_fraction_of_whole_floats() -> None:
    value = {"a": 1.0, "b": [2.5, 3.0, True], "c": "1.0", "d": 7}
    assert as_javascript_numbers(value) == {"a": 1, "b": [2.5, 3, True], "c": "1.0", "d": 7}
    assert isinstance(as_javascript_numbers(1.0), int)


@pytest.mark.parametrize(("spec", "default"), [
    (["INT", {"default": 5}], 5),
    ([["a", "b"], {}], "a"),
    (["COMBO", {"options": ["sRGB", "HDR"]}], "sRGB"),
    (["COMFY_DYNAMICCOMBO_V3", {"options": [{"key": "auto", "inputs": {}}]}], "auto"),
    (["IMAGE", {}], None),
])
def test_declared_defaults(spec: list[Any], default: Any) -> None:
    assert declared_default(spec) == default


def test_only_optional_inputs_added_at_their_default_are_dropped() -> None:
    info = {"CreateVideo": {"input": {
        "required": {"fps": ["FLOAT", {"default": 30.0}]},
        "optional": {"color_space": ["COMBO", {"default": "sRGB", "options": ["sRGB", "HDR"]}],
                     "bit_depth": ["COMBO", {"default": "auto", "options": ["auto", 8]}]}}}}
    editor = {"7": {"class_type": "CreateVideo",
                    "inputs": {"fps": 30, "color_space": "sRGB", "bit_depth": 8}}}
    other = {"7": {"class_type": "CreateVideo", "inputs": {}}}
    kept, added = drop_added_defaults(editor, other, info)
    # fps is required (a missing one is an error, not a default); bit_depth is not at default
    assert kept == {"7": {"class_type": "CreateVideo", "inputs": {"fps": 30, "bit_depth": 8}}}
    assert added == ['node 7 CreateVideo: color_space="sRGB"']


def test_differences_name_the_node_and_the_input() -> None:
    editor = {"1": {"class_type": "A", "inputs": {"x": 1, "y": ["2", 0]}},
              "2": {"class_type": "B", "inputs": {}}}
    other = {"1": {"class_type": "A", "inputs": {"x": 2, "z": 3}},
             "3": {"class_type": "C", "inputs": {}}}
    assert prompt_differences(editor, other) == [
        "node 1 A: input x: editor 1, other 2",
        'node 1 A: input y=["2", 0] only in the editor\'s',
        "node 1 A: input z=3 only in the other",
        "node 2 B: only the editor has it",
        "node 3 C: only the other has it",
    ]
    assert prompt_differences(editor, editor) == []


def test_the_readme_shows_the_editor_picture_that_is_committed() -> None:
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert "docs/editor-export.png" in images
    for image in images:
        if "://" not in image:
            path = root / image
            assert path.is_file(), image
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
