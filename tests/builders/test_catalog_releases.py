"""Every catalog pipeline on every captured ComfyUI release: built for the releases that run
it and accepted by that release's prompt validation (the stand-in ComfyUI of that release,
with empty files of every catalog name), refused with the release it needs by the others.

The stand-in validates as the captured servers did (``tests/comfyserver/validation.py``);
the graphs are built for each release's bundled schemas, as ``ltx2 build
--comfyui-version V`` builds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from builders import build
from builders.catalog import PIPELINES, Pipeline
from ltx2sdk import GenerationRequest
from ltx2sdk.errors import IncompatibleServerError
from ltx2sdk.graph.releases import bundled_schemas, bundled_versions, parse_version
from ltx2sdk.vocabulary import LAST_IMAGE
from tests.helpers import catalog_server, png_bytes, wav_bytes

VERSIONS = bundled_versions()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One stand-in ComfyUI per captured release, each with every catalog file, both images,
    an audio and a video in its input folder."""
    started: dict[str, Any] = {}
    try:
        for version in VERSIONS:
            root = tmp_path_factory.mktemp(f"comfyui-{version}")
            (root / "server-in").mkdir()
            for name in ("first.png", "last.png"):
                (root / "server-in" / name).write_bytes(png_bytes())
            (root / "server-in" / "voice.wav").write_bytes(wav_bytes())
            (root / "server-in" / "control.mp4").write_bytes(b"")  # (validation: its name)
            server = catalog_server(root, comfyui_version=version)
            started[version] = server.__enter__()
        yield started
    finally:
        for server in started.values():
            server.__exit__(None, None, None)


def _request(pipeline: Pipeline) -> GenerationRequest:
    return GenerationRequest(
        prompt="a lighthouse in a storm", model=pipeline.model.id,
        type=pipeline.type, mode=pipeline.mode, duration=2, seed=3,
        image="first.png" if pipeline.needs_image else None,
        last_image="last.png" if LAST_IMAGE in pipeline.images else None,
        audio="voice.wav" if pipeline.audio is not None else None,
        video="control.mp4" if pipeline.control is not None else None)


def _runs_on(pipeline: Pipeline, version: str) -> bool:
    # compared here on its own, not with Pipeline.runs_on: the test checks that method too
    have, need = parse_version(version), parse_version(pipeline.min_comfyui)
    assert have is not None and need is not None
    return have >= need


CASES = [(p, v) for p in PIPELINES for v in VERSIONS]


@pytest.mark.parametrize(("pipeline", "version"), CASES,
                         ids=[f"{p.name.replace(' ', '-')}-on-{v}" for p, v in CASES])
def test_built_for_each_release_it_runs_on_and_refused_by_the_others(
        pipeline: Pipeline, version: str, servers: dict[str, Any]) -> None:
    request = _request(pipeline)
    if not _runs_on(pipeline, version):
        with pytest.raises(IncompatibleServerError, match=re.escape(
                f"needs ComfyUI >= {pipeline.min_comfyui}; ComfyUI {version} is older")):
            build(request, schemas=bundled_schemas(version))
        return
    api = build(request, schemas=bundled_schemas(version)).compile()
    verdict = requests.post(f"{servers[version].url}/validate_prompt", json={"prompt": api},
                            timeout=30).json()
    assert verdict["valid"] and verdict["node_errors"] == {}, verdict


def test_every_model_runs_on_the_newest_release() -> None:
    newest = VERSIONS[-1]
    assert {p.model.id for p in PIPELINES if _runs_on(p, newest)} == set(
        PIPELINES.models())
    # and the oldest release runs LTX-2 19B only
    assert {p.model.id for p in PIPELINES if _runs_on(p, VERSIONS[0])} == {"ltx-2"}


def test_the_stand_in_refuses_a_file_it_lacks(servers: dict[str, Any], tmp_path: Path) -> None:
    # the acceptance above means something: a name the server lacks is refused
    pipeline = PIPELINES.get("ltx-2.5", "t2v", "fast")
    api = build(_request(pipeline), schemas=bundled_schemas(VERSIONS[-1])).compile()
    for node in api.values():
        if node["class_type"] == "UNETLoader":
            node["inputs"]["unet_name"] = "ltx-2.5-missing.safetensors"
    verdict = requests.post(f"{servers[VERSIONS[-1]].url}/validate_prompt",
                            json={"prompt": api}, timeout=30).json()
    assert not verdict["valid"]
    assert "ltx-2.5-missing.safetensors" in str(verdict["node_errors"])


def test_a_pipeline_says_which_releases_run_it() -> None:
    for pipeline, version in CASES:
        assert pipeline.runs_on(version) == _runs_on(pipeline, version)
    any_pipeline = PIPELINES.get("ltx-2.5", "t2v", "fast")
    # an unknown release (a custom build) is not refused: its own checks decide
    assert any_pipeline.runs_on(None) and any_pipeline.runs_on("nightly")
    assert not any_pipeline.runs_on("v0.31.9") and any_pipeline.runs_on("0.32.0+git")
