"""The editor oracle's fixtures: one stand-in serving ComfyUI's frontend and one headless
chromium with the editor booted, shared by the whole test session (see ``browser.py``).
``tests/conftest.py`` imports them, so that any test folder asks for ``editor`` (one browser
for the session) and ``served_object_info``.

The stand-in emulates the newest captured release (:data:`EDITOR_RELEASE`, whose
``/object_info`` has every node type of the official LTX templates) and has every model file
of the SDK's catalog and of the official LTX templates, so that the editor finds what they
name. Tests that need chromium skip, saying why, only where ``/usr/bin/chromium`` (or
Playwright) is truly absent.
"""

from __future__ import annotations

import contextlib
import copy
import json
import urllib.request
import wave
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from builders.pipelines import (
    PLACEHOLDER_AUDIO,
    PLACEHOLDER_IMAGE,
    PLACEHOLDER_LAST_IMAGE,
    PLACEHOLDER_VIDEO,
)
from tests.comfyserver import ComfyTestServer, catalog_models
from tests.comfyserver.files import write_placeholder_video
from tests.comfyserver.frontend import frontend_dir
from tests.comfyserver.versions import available_versions, load_version_object_info
from tests.editor.browser import Editor, unavailable_reason
from tests.official_templates import DYNAMIC_SUB_INPUT_ORDER, TEMPLATE_PACKAGE, load_template

EDITOR_RELEASE = available_versions()[-1]
"""The captured ComfyUI release the editor is served (the newest)."""


def ltx_template_names() -> list[str]:
    """Every official LTX template (editor workflows of ``comfyui-workflow-templates-json``
    whose name says LTX), sorted."""
    folder = resources.files(TEMPLATE_PACKAGE).joinpath("templates")
    names = sorted(entry.name.removesuffix(".json") for entry in folder.iterdir()
                   if entry.name.endswith(".json") and "ltx" in entry.name.lower())
    return [name for name in names if "nodes" in load_template(name)]


OTHER_TEMPLATES: tuple[str, ...] = (
    "hidream_e1_full",                   # Reroute nodes
    "templates-character_sheet",         # Reroute nodes, partner nodes
    "audio_ace_step_1_5_checkpoint",     # the frontend's own PrimitiveNode
    "video_wan2_2_5B_ti2v",              # a bypassed loader
    "template_eric_thumbnail_generator",  # bypassed nodes, partner nodes
    "hunyuan_video_text_to_video",       # muted nodes
    "flux_kontext_dev_basic",            # a subgraph promoting control_after_generate
    "templates_graphic_design_recomposer",  # CustomCombo, PrimitiveNode
    "flux1_dev_uso_reference_image_gen",  # nested subgraphs, bypassed instances inside one
    "templates-1_click_multiple_scene_angles-v1.0",  # nested subgraphs, 16 reroutes, primitives
    "video_wan_vace_14B_ref2v",          # 17 bypassed nodes, three PrimitiveNodes
    "image_flux2_klein_image_edit_4b_distilled",  # 4 subgraphs, bypassed nodes inside
    "hidream_e1_1",                      # a Reroute, two PrimitiveNodes
    "image_qwen_image_layered",          # subgraphs with proxyWidgets, bypassed nodes
    "template_sirolim_image_script_video",  # Kling storyboards: an order the dump loses
)
"""Official templates beyond the LTX ones, for what the LTX ones do not exercise (each
line says what); all their node types are in :data:`EDITOR_RELEASE`'s ``/object_info``."""


PLACEHOLDER_INPUTS: tuple[str, ...] = (PLACEHOLDER_IMAGE, PLACEHOLDER_LAST_IMAGE,
                                       PLACEHOLDER_AUDIO, PLACEHOLDER_VIDEO)
"""The input files a build without real inputs names (its loaders' widgets), so that the
editor finds every file an exported pipeline loads."""


def template_models(names: list[str]) -> dict[str, list[str]]:
    """The model files the templates name (``properties.models`` of their nodes, subgraphs
    included), by ``models/`` folder."""
    files: dict[str, list[str]] = {}
    for name in names:
        workflow = load_template(name)
        subgraphs = workflow.get("definitions", {}).get("subgraphs", [])
        for node in [*workflow["nodes"], *(n for sg in subgraphs for n in sg.get("nodes", []))]:
            for model in node.get("properties", {}).get("models", []) or []:
                folder = files.setdefault(str(model["directory"]), [])
                if model["name"] not in folder:
                    folder.append(str(model["name"]))
    return files


MEDIA = {".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image",
         ".mp4": "video", ".webm": "video", ".mov": "video",
         ".mp3": "audio", ".wav": "audio", ".flac": "audio", ".ogg": "audio", ".m4a": "audio"}


def template_inputs(names: list[str]) -> set[str]:
    """The input files the templates load (their widget values that name an image, a video
    or an audio file)."""
    files: set[str] = set()
    for name in names:
        workflow = load_template(name)
        subgraphs = workflow.get("definitions", {}).get("subgraphs", [])
        for node in [*workflow["nodes"], *(n for sg in subgraphs for n in sg.get("nodes", []))]:
            values = node.get("widgets_values")
            for value in values if isinstance(values, list) else []:
                if isinstance(value, str) and Path(value).suffix.lower() in MEDIA:
                    files.add(value)
    return files


def write_input_file(folder: Path, name: str) -> None:
    """A small real file of the kind ``name`` says (the editor previews what it loads)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = MEDIA[path.suffix.lower()]
    if kind == "image":
        from PIL import Image  # extra: only the editor's inputs are drawn

        Image.new("RGB", (64, 36), (90, 110, 130)).save(path)
    elif kind == "video":
        write_placeholder_video(path, frames=8, fps=24.0)
    else:  # a short silent WAV whatever the name says: browsers sniff the content
        with wave.open(str(path), "wb") as audio:
            audio.setnchannels(1)
            audio.setsampwidth(2)
            audio.setframerate(8000)
            audio.writeframes(bytes(1600))


def served_schemas() -> dict[str, Any]:
    """:data:`EDITOR_RELEASE`'s ``/object_info`` as a real ComfyUI serves it: the captured
    dump is key-sorted, which loses the definition order of a dynamic combo's sub-inputs;
    the frontend lays out their widgets (and reads positional ``widgets_values``) in the
    order it is served, so the orders known from the templates
    (``DYNAMIC_SUB_INPUT_ORDER``) are put back."""
    info = copy.deepcopy(load_version_object_info(EDITOR_RELEASE))
    for (class_type, combo, key), order in DYNAMIC_SUB_INPUT_ORDER.items():
        inputs = info.get(class_type, {}).get("input", {})
        for section in inputs.values():
            spec = section.get(combo) if isinstance(section, dict) else None
            if not spec:
                continue
            for option in spec[1].get("options", []):
                if option.get("key") != key:
                    continue
                for group, subs in option.get("inputs", {}).items():
                    rank = {name: i for i, name in enumerate(order)}
                    option["inputs"][group] = dict(
                        sorted(subs.items(), key=lambda item: rank.get(item[0], len(rank))))
    return info


@contextlib.contextmanager
def serve_editor(inputs: Path) -> Iterator[ComfyTestServer]:
    """The stand-in serving the frontend, with every model and input file the official
    templates compared and the SDK's builds name (the input files written into
    ``inputs``)."""
    names = [*ltx_template_names(), *OTHER_TEMPLATES]
    models = catalog_models()
    for folder, files in template_models(names).items():
        models.setdefault(folder, [])
        models[folder] += [n for n in files if n not in models[folder]]
    for file in sorted(template_inputs(names) | set(PLACEHOLDER_INPUTS)):
        write_input_file(inputs, file)
    with ComfyTestServer(models=models, comfyui_version=EDITOR_RELEASE,
                         object_info=served_schemas(), input_dir=inputs,
                         frontend=True) as server:
        yield server


@pytest.fixture(scope="session")
def editor_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyTestServer]:
    """:func:`serve_editor` for the whole session."""
    if frontend_dir() is None:
        pytest.skip("comfyui-frontend-package is not installed (a [dev] extra)")
    with serve_editor(tmp_path_factory.mktemp("editor-input")) as server:
        yield server


@pytest.fixture(scope="session")
def served_object_info(editor_server: ComfyTestServer) -> dict[str, Any]:
    """The ``/object_info`` the editor was served (model combos filled), as it got it."""
    with urllib.request.urlopen(editor_server.url + "/object_info", timeout=30) as answer:
        info: dict[str, Any] = json.load(answer)
    return info


@pytest.fixture(scope="session")
def editor(editor_server: ComfyTestServer) -> Iterator[Editor]:
    """ComfyUI's editor, booted once in headless chromium for the whole session. Its boot
    log stays in ``editor.boot_log`` (the boot test reads it)."""
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with Editor(editor_server.url) as booted:
        yield booted
