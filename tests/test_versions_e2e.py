"""The tested ComfyUI releases end to end: the server is the authority.

On each release the test server emulates (its whole /object_info, /system_stats and
validation), ``ltx2 check`` and ``ltx2 generate`` must agree: what check vouches for runs,
what check refuses is refused by generate too, before anything is queued. A feature the
server lacks (prompt enhancement on 0.8.0) is refused naming a release that has it.

The client, generate and handler tests run on the same releases through the
``versioned_server`` fixture (tests/conftest.py) or :data:`tests.helpers.RELEASES`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ltx2sdk import ComfyClient, GenerationRequest
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import OutputError, RequestError
from ltx2sdk.model_files import files_for
from tests.comfyserver import ComfyTestServer
from tests.comfyserver.versions import load_version_object_info

from .helpers import (
    RELEASES,
    catalog_models,
    check_section,
    listed_model_files,
    model_free_graph,
    png_bytes,
    states_release_in_range,
)

ENHANCER = "TextGenerateLTX2Prompt"
VERSION_NUMBER = re.compile(r"(?<![\d.])\d+\.\d+\.\d+(?![\d.])")


def ltx2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the ``ltx2`` command in-process: (exit code, stdout, stderr)."""
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("version", "folder", "name"), [
    ("0.8.0", "checkpoints", "ltx-2-19b-distilled.safetensors"),
    ("0.26.0", "text_encoders", "gemma_3_12B_it_fp4_mixed.safetensors"),
    ("0.33.0", "latent_upscale_models", "ltx-2-spatial-upscaler-x2-1.0.safetensors"),
])
def test_check_names_a_missing_file_and_generate_then_queues_nothing(
        version: str, folder: str, name: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert (folder, name) in {(f.folder, f.name) for f in files_for("fast", camera="static")}
    models = catalog_models()
    models[folder] = [f for f in models[folder] if f != name]
    image = tmp_path / "first.png"
    image.write_bytes(png_bytes())
    with ComfyTestServer(comfyui_version=version, models=models, output_dir=tmp_path / "srv",
                         input_dir=tmp_path / "srv-in") as srv:
        code, out, _ = ltx2(["check", "--server", srv.url], capsys)
        assert code == 1, out
        lines = out.splitlines()
        assert states_release_in_range(lines[0], version), lines[0]
        assert listed_model_files(out, "ltx-2") == [f"models/{folder}/{name}"]
        assert ltx2(["check", "--server", srv.url, "--mode", "fast"], capsys)[0] == 1

        for extra in ([], ["--image", str(image)]):
            code, out, err = ltx2(["generate", "--prompt", "a fox in the snow", *extra,
                                   "--server", srv.url, "--output", str(tmp_path / "v.mp4")],
                                  capsys)
            assert code == 1 and not out
            [line] = err.strip().splitlines()
            assert line.startswith("ltx2: error: ") and f"models/{folder}/{name}" in line
        assert srv.received.prompts == []  # no POST /prompt: refused before queueing
    assert not (tmp_path / "v.mp4").exists()


@pytest.mark.parametrize("versioned_server", ["0.8.0"], indirect=True)
def test_enhance_prompt_on_0_8_0_is_refused_naming_a_release_that_has_it(
        versioned_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert ENHANCER not in load_version_object_info("0.8.0")
    code, out, err = ltx2(["generate", "--prompt", "a fox", "--enhance-prompt",
                           "--server", versioned_server.url,
                           "--output", str(tmp_path / "fox.mp4")], capsys)
    assert code != 0 and not out
    [line] = err.strip().splitlines()
    assert line.startswith("ltx2: error: ") and ENHANCER in line, line
    named = set(VERSION_NUMBER.findall(line)) - {"0.8.0"}
    assert named, f"no release that has {ENHANCER} is named: {line}"
    for version in named:  # each release named as having it really has it
        assert ENHANCER in load_version_object_info(version), (version, line)
    assert versioned_server.received.prompts == []
    assert not (tmp_path / "fox.mp4").exists()


@pytest.mark.parametrize("versioned_server", ["0.26.0", "0.33.0"], indirect=True)
def test_enhance_prompt_runs_where_the_server_has_the_node(
        versioned_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert ENHANCER in load_version_object_info(versioned_server.comfyui_version or "")
    code, out, err = ltx2(["generate", "--prompt", "a fox", "--enhance-prompt",
                           "--duration", "1", "--seed", "6", "--server", versioned_server.url,
                           "--output", str(tmp_path / "fox.mp4")], capsys)
    assert code == 0, err
    assert "seed 6" in out and str(tmp_path / "fox.mp4") in out
    assert (tmp_path / "fox.mp4").read_bytes()[4:8] == b"ftyp"
    [posted] = versioned_server.received.prompts
    enhancers = [n for n in posted["prompt"].values() if n["class_type"] == ENHANCER]
    assert len(enhancers) == 1 and enhancers[0]["inputs"]["prompt"] == "a fox"


PREFIXES = ["video/ok", "video/my..clip", "a..b/clip", "..x", "video/.hidden", "v/x..", "clip"]


@pytest.mark.parametrize("version", RELEASES, ids=lambda v: f"comfyui-{v}")
def test_a_prefix_is_refused_exactly_when_the_server_would_not_serve_its_video(
        version: str, tmp_path: Path) -> None:
    """The request's ``filename_prefix`` rule agrees with what each release's ``/view``
    serves: refused up front precisely when the video would be made and not be downloadable."""
    with ComfyTestServer(comfyui_version=version, output_dir=tmp_path / "out",
                         input_dir=tmp_path / "in") as srv:
        client = ComfyClient(srv.url)
        outcomes = set()
        for prefix in PREFIXES:
            try:
                GenerationRequest(prompt="p", filename_prefix=prefix)
                accepted = True
            except RequestError:
                accepted = False
            try:
                client.run(model_free_graph(prefix=prefix),
                           output_dir=tmp_path / "got" / prefix.replace("/", "_"), timeout=30)
                served = True
            except OutputError:
                served = False
            assert accepted == served, (version, prefix)
            outcomes.add(served)
    assert outcomes == {True, False}  # the list holds prefixes of both kinds


@pytest.mark.parametrize(("version", "ready", "needs"), [
    ("0.8.0", {"ltx-2"}, {
        "ltx-2.3": ["t2v fast, i2v fast, flf2v fast, ia2v fast: need ComfyUI >= 0.16.4",
                    "id2v fast: need ComfyUI >= 0.19.0",
                    "ref2v fast, depth2v fast: need ComfyUI >= 0.22.0",
                    "t2v pro, i2v pro: need ComfyUI >= 0.32.0"],
        "ltx-2.5": ["all: need ComfyUI >= 0.32.0"]}),
    ("0.26.0", {"ltx-2"}, {"ltx-2.3": ["t2v pro, i2v pro: need ComfyUI >= 0.32.0"],
                           "ltx-2.5": ["all: need ComfyUI >= 0.32.0"]}),
    ("0.33.0", {"ltx-2", "ltx-2.3", "ltx-2.5"}, {})])
def test_check_reports_each_model_and_the_release_it_needs(
        version: str, ready: set[str], needs: dict[str, list[str]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from builders.catalog import PIPELINES

    # the hosted LTX-2.5 API (in --model all) also needs a Comfy account key: one is set
    monkeypatch.setenv("COMFY_API_KEY", "comfyui-test-key")

    with ComfyTestServer(comfyui_version=version, models=catalog_models(),
                         output_dir=tmp_path / "srv", input_dir=tmp_path / "srv-in") as srv:
        code, out, _ = ltx2(["check", "--server", srv.url, "--model", "all"], capsys)
        for model in PIPELINES.models():
            [verdict, *details] = check_section(out, model)
            if model in ready:
                assert ": ready (" in verdict and not details, out
                continue
            assert "not ready (" in verdict, out  # the pipelines that are ready said first
            # the release the pipelines need, and nothing else missing
            assert details == [f"  {line}; the server runs {version}"
                               for line in needs[model]], out
        assert code == (0 if len(ready) == 3 else 1)
        # the exit status follows --model (default: LTX-2 19B, which runs everywhere)
        assert ltx2(["check", "--server", srv.url], capsys)[0] == 0
        fast_only = ltx2(["check", "--server", srv.url, "--model", "ltx-2.3", "--mode",
                          "fast"], capsys)
        assert fast_only[0] == (1 if version == "0.8.0" else 0), fast_only[1]
