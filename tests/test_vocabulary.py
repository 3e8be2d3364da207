"""The vocabulary: each word list declared once, in ``ltx2sdk.vocabulary``, and every layer's
copy of it (the request model's schema, the CLI's choices, the catalog's keys, the model
files) exactly that list; importable without pydantic."""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest

from builders.catalog import IMAGES_OF_TYPE, PIPELINES, AddGuide
from builders.catalog.ltx2_5_api import LTX2_5_API
from ltx2sdk import model_files
from ltx2sdk.app.cli.main import build_parser
from ltx2sdk.app.cli.request_flags import INPUT_FLAGS
from ltx2sdk.request import GenerationRequest, request_json_schema
from ltx2sdk.vocabulary import (
    CAMERA_MOTIONS,
    DEFAULT_MODEL,
    IMAGE_INPUTS,
    INPUT_FILES,
    MAX_DURATION_S,
    MAX_FRAMES,
    MAX_PROMPT_CHARS,
    MODEL_IDS,
    MODES,
    REQUEST_RULES,
    VIDEO_TYPES,
    CameraMotion,
    Mode,
    ModelId,
    RequestRule,
    VideoTypeId,
)

ROOT = Path(__file__).resolve().parents[1]
WORD_LISTS: dict[str, tuple[str, ...]] = {
    "models": MODEL_IDS, "video types": VIDEO_TYPES, "modes": MODES,
    "camera motions": CAMERA_MOTIONS, "request rules": REQUEST_RULES}


def test_each_tuple_is_its_literals_words() -> None:
    for literal, words in ((ModelId, MODEL_IDS), (VideoTypeId, VIDEO_TYPES),
                           (Mode, MODES), (CameraMotion, CAMERA_MOTIONS),
                           (RequestRule, REQUEST_RULES)):
        assert words == get_args(literal)
        assert len(set(words)) == len(words)


def test_the_request_models_schema_offers_exactly_the_vocabulary() -> None:
    properties = request_json_schema()["properties"]
    for field, words in (("model", MODEL_IDS), ("type", VIDEO_TYPES), ("mode", MODES),
                         ("camera_lora", CAMERA_MOTIONS)):
        assert tuple(properties[field]["enum"]) == words, field
    assert properties["model"]["default"] == DEFAULT_MODEL
    assert properties["prompt"]["maxLength"] == MAX_PROMPT_CHARS
    assert properties["duration"]["anyOf"][0]["maximum"] == MAX_DURATION_S
    assert properties["frames"]["anyOf"][0]["maximum"] == MAX_FRAMES


def _choices(command: str, flag: str) -> tuple[str, ...]:
    """The choices of ``ltx2 <command> <flag>``."""
    [commands] = [a for a in build_parser()._actions
                  if isinstance(a, argparse._SubParsersAction)]
    [action] = [a for a in commands.choices[command]._actions if flag in a.option_strings]
    assert action.choices is not None
    return tuple(action.choices)


@pytest.mark.parametrize("command", ["build", "generate"])
def test_the_clis_request_flags_offer_exactly_the_vocabulary(command: str) -> None:
    assert _choices(command, "--model") == MODEL_IDS
    assert _choices(command, "--type") == VIDEO_TYPES
    assert _choices(command, "--mode") == MODES
    assert _choices(command, "--camera-lora") == CAMERA_MOTIONS


@pytest.mark.parametrize("command", ["check", "models"])
def test_the_clis_server_and_model_commands_add_only_their_wildcards(command: str) -> None:
    assert _choices(command, "--model") == (*MODEL_IDS, "all")
    assert _choices(command, "--mode") == (*MODES, "both")


def test_the_catalog_is_keyed_by_exactly_the_vocabulary() -> None:
    keys = PIPELINES.keys()
    # a pipeline set for each, oldest first; the hosted one's is declared apart
    assert (*PIPELINES.models(), LTX2_5_API.id) == MODEL_IDS
    assert {key.type for key in keys} == set(VIDEO_TYPES)
    assert {key.mode for key in keys} == set(MODES)
    assert tuple(IMAGES_OF_TYPE) == VIDEO_TYPES
    for kind, images in IMAGES_OF_TYPE.items():
        assert images == {which for which in IMAGE_INPUTS if kind in which.types}
    assert {image for pipeline in PIPELINES for image in pipeline.images} == set(IMAGE_INPUTS)
    with pytest.raises(ValueError, match="is not an input image"):
        AddGuide(INPUT_FILES[-1], 0, 1.0)  # the audio guides no frame


def test_every_input_file_is_three_request_fields_and_three_flags() -> None:
    fields = GenerationRequest.model_fields
    for which in INPUT_FILES:
        assert set(which.fields) <= set(fields)
        assert set(which.types) <= set(VIDEO_TYPES)
    assert tuple(flags.input for flags in INPUT_FLAGS) == INPUT_FILES
    assert {field for flags in INPUT_FLAGS for field in flags.fields} == {
        field for which in INPUT_FILES for field in which.fields}


def test_each_camera_motion_but_none_has_its_lora_file() -> None:
    loras = {model_files.camera_lora(motion) for motion in CAMERA_MOTIONS}
    assert None in loras  # "none"
    assert {f.name for f in model_files.CATALOG if f.note.startswith("camera control")} == (
        loras - {None})


def spelled_out_lists(source: str) -> list[tuple[int, str]]:
    """``(line, name)`` of each tuple, list or set of string literals in ``source`` (the
    words of a ``Literal[...]`` too) that spells out every word of one of
    :data:`WORD_LISTS`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            strings = {e.value for e in node.elts
                       if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            found += [(node.lineno, name) for name, words in WORD_LISTS.items()
                      if strings >= set(words)]
    return found


def test_each_word_list_is_spelled_out_once() -> None:
    sources = [ROOT / "runpod_handler.py"]
    sources += [path for package in ("ltx2sdk", "builders") for path in
                (ROOT / package).rglob("*.py")]
    found = sorted((str(path.relative_to(ROOT)), name) for path in sources
                   for _, name in spelled_out_lists(path.read_text()))
    assert found == sorted(("ltx2sdk/vocabulary.py", name) for name in WORD_LISTS)


def test_the_spelled_out_list_finder_finds_one() -> None:
    source = ('CHOICES = ["fast", "pro", "lora", "both"]\nSOME = ("t2v", "i2v")\n'
              'Kind = Literal["t2v", "i2v", "flf2v", "ia2v", "id2v", "ref2v", "canny2v", '
              '"depth2v"]\n')
    assert spelled_out_lists(source) == [(1, "modes"), (3, "video types")]


def _fresh(code: str) -> Any:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_vocabulary_loads_no_pydantic() -> None:
    loaded = _fresh("import json, sys; import ltx2sdk.vocabulary; "
                    "print(json.dumps([m for m in sys.modules if m.split('.')[0] in "
                    "('pydantic', 'pydantic_core') or m == 'ltx2sdk.request']))")
    assert loaded == []


def test_the_vocabulary_imports_only_the_standard_library_and_the_errors() -> None:
    tree = ast.parse((ROOT / "ltx2sdk" / "vocabulary.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom)}
    assert {name for name in imported if name.split(".")[0] not in sys.stdlib_module_names} == {
        "ltx2sdk.errors"}
