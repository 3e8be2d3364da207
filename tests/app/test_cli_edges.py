"""The ltx2 command's edges: no arguments, ``-V``, a closed stdout, a BOM, ``check -q``, exit
statuses of offline refusals, release names, ``--json`` error types, options a pipeline does
not use, and what ``--dry-run`` says of the seed.

Commands run in-process (``main([...])`` with capsys) or, where the process matters (a
closed pipe, the console entry point), as subprocesses; servers are the ComfyUI stand-in.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.cli.main import main
from ltx2sdk.graph.releases import nearest_bundled, parse_version
from tests.comfyserver import ComfyTestServer
from tests.helpers import free_port

CLI = [sys.executable, "-c", "from ltx2sdk.app.cli.main import run; run()"]


# no settings file or variable of the developer's reaches a test (tests/app/conftest.py)
pytestmark = pytest.mark.usefixtures("no_user_settings")


def status_of(argv: list[str]) -> int:
    """``main(argv)``'s exit status, argparse's own exits included."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def one_document(out: str) -> dict[str, Any]:
    lines = out.splitlines()
    assert len(lines) == 1, out
    document: dict[str, Any] = json.loads(lines[0])
    return document


# --- odd answers ---------------------------------------------------------------------------

def test_no_arguments_prints_the_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert status_of([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: ltx2 ") and "Exit status:" in err, err
    assert "ltx2: error" not in err


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_dash_v_is_the_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert status_of([flag]) == 0
    assert capsys.readouterr().out.startswith("ltx2 ")


def test_a_closed_stdout_ends_the_command_quietly() -> None:
    """``ltx2 models --all | head -1``: the reader is gone before the table is written."""
    process = subprocess.Popen([*CLI, "models", "--all"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the child has imported anything: every write fails
    err = process.stderr.read().decode()
    code = process.wait(timeout=60)
    assert err == ""
    assert code == 141  # 128 + SIGPIPE, as a shell reports a command a pipe ended


def test_a_request_file_with_a_bom_is_read(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "a fox", "seed": 1}), encoding="utf-8-sig")
    assert main(["build", "--request", str(job), "-o", str(tmp_path / "g.json")]) == 0
    assert "seed 1" in capsys.readouterr().err
    assert json.loads((tmp_path / "g.json").read_text())


def test_an_object_info_file_with_a_bom_is_read(tmp_path: Path) -> None:
    info = tmp_path / "object_info.json"
    bundled = Path(__file__).parents[2] / "ltx2sdk/graph/comfyui_releases/0.26.0.json"
    info.write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8-sig")
    assert main(["build", "--example", "--object-info", str(info),
                 "-o", str(tmp_path / "g.json")]) == 0


def test_quiet_check_prints_the_verdict_only(ltx_server: ComfyTestServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", ltx_server.url, "--mode", "fast", "-q"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["ready for LTX-2 (fast)"], out
    assert err == ""


# --- exit statuses and --json --------------------------------------------------------------

@pytest.mark.parametrize("flags", [["--model", "ltx-2.3"], ["--enhance-prompt"]])
def test_an_offline_build_the_release_cannot_run_is_a_usage_error(
        flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing ran on a server: the flags cannot be used together, status 2."""
    assert main(["build", "--example", "--comfyui-version", "0.8.0", *flags, "--json"]) == 2
    error = one_document(capsys.readouterr().out)["error"]
    assert error["code"] == 2 and error["type"] == "IncompatibleServerError", error


@pytest.mark.parametrize("given", ["0.26", "v0.26.0", "0.26.0"])
def test_a_release_may_be_written_short_or_with_a_v(given: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert nearest_bundled(given) == "0.26.0"
    assert main(["build", "--example", "--comfyui-version", given,
                 "-o", str(tmp_path / "g.json")]) == 0
    assert "not bundled" not in capsys.readouterr().err


def test_short_versions_compare_as_their_zeros() -> None:
    assert parse_version("0.26") == parse_version("0.26.0") == (0, 26, 0)
    assert parse_version("1") == (1, 0, 0)


def test_generate_json_names_an_existing_output_as_python_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "od.mp4"
    video.write_bytes(b"mine")
    assert main(["generate", "--prompt", "p", "-o", str(video), "--json"]) == 2
    error = one_document(capsys.readouterr().out)["error"]
    assert error["type"] == "OutputExistsError", error
    assert video.read_bytes() == b"mine"


def test_a_batch_json_error_is_a_line_of_its_own_type(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """batch --json prints JSON lines told apart by ``"type"``: its error line too."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a"}\n{"prompt": 3}\n')
    assert main(["batch", str(jobs), "--server", f"127.0.0.1:{free_port()}",
                 "-o", str(tmp_path / "out"), "--json"]) == 2  # refused before any server
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["type"] == "error" and last["error"]["type"] == "InvalidJobsError", last
    assert status_of(["batch", str(jobs), "--jobs", "many", "--json"]) == 2
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert last["type"] == "error" and last["error"]["type"] == "UsageError", last


# --- --dry-run's seed ------------------------------------------------------------------------

def test_a_dry_run_without_a_seed_prints_no_number_the_run_will_not_use(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "a fox", "--dry-run", "--server", ltx_server.url,
                 "-o", str(tmp_path / "fox.mp4")]) == 0
    err = capsys.readouterr().err
    assert "seed random (chosen when it runs; --seed N fixes it)" in err, err
    assert not re.search(r"seed \d", err), err
    assert main(["generate", "--prompt", "a fox", "--dry-run", "--server", ltx_server.url,
                 "-o", str(tmp_path / "fox.mp4"), "--json"]) == 0
    assert one_document(capsys.readouterr().out)["plan"]["seed"] is None


def test_a_dry_run_with_a_seed_prints_it(ltx_server: ComfyTestServer, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "a fox", "--seed", "5", "--dry-run",
                 "--server", ltx_server.url, "-o", str(tmp_path / "fox.mp4")]) == 0
    assert ", seed 5" in capsys.readouterr().err


# --- flags a command would not use ---------------------------------------------------------

def test_output_dir_with_output_is_a_note_and_creates_nothing(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "odir"
    video = tmp_path / "od.mp4"
    assert main(["generate", "--prompt", "p", "--duration", "1", "--server", ltx_server.url,
                 "-o", str(video), "--output-dir", str(folder)]) == 0
    err = capsys.readouterr().err
    assert ("note: --output-dir is for the server's file names; with --output it is not "
            "used\n") in err
    assert video.is_file() and not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".mp4") == ["od.mp4"]


def test_output_dir_from_the_settings_file_does_not_refuse_output(
        tmp_path: Path, no_user_settings: Path, ltx_server: ComfyTestServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    (no_user_settings / "ltx2").mkdir()
    (no_user_settings / "ltx2" / "config.toml").write_text(
        f'output_dir = "{tmp_path / "videos"}"\n')
    assert main(["generate", "--prompt", "p", "--dry-run", "--server", ltx_server.url,
                 "-o", str(tmp_path / "od.mp4")]) == 0


def test_an_api_key_variable_that_is_not_set_is_warned_about(
        tmp_path: Path, no_user_settings: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("NOPE_VAR", raising=False)
    (no_user_settings / "ltx2").mkdir()
    (no_user_settings / "ltx2" / "config.toml").write_text('api_key_env = "NOPE_VAR"\n')
    url = f"127.0.0.1:{free_port()}"
    assert main(["check", "--server", url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ltx2: warning: api_key_env names NOPE_VAR, which is not set\n"), err
    monkeypatch.setenv("NOPE_VAR", "k")  # set: nothing to say
    main(["check", "--server", url])
    assert "warning" not in capsys.readouterr().err
    monkeypatch.delenv("NOPE_VAR")
    main(["check", "--server", url, "--api-key", "given"])  # the flag's key: no file key used
    assert "warning" not in capsys.readouterr().err
    main(["check", "--server", url, "--api", "comfyui"])  # a native ComfyUI takes no key
    assert "warning" not in capsys.readouterr().err


# --- values a pipeline does not use: a note; flf2v's first-frame guide takes the strength --

def guides(graph_file: Path) -> dict[int, float]:
    """``frame_idx -> strength`` of each LTXVAddGuide of an API-format graph file."""
    graph = json.loads(graph_file.read_text())
    return {node["inputs"]["frame_idx"]: node["inputs"]["strength"]
            for node in graph.values() if node["class_type"] == "LTXVAddGuide"}


FLF2V = ["--prompt", "p", "--image-url", "https://e.com/a.png",
         "--last-image-url", "https://e.com/b.png"]


@pytest.mark.parametrize("model", ["ltx-2", "ltx-2.3", "ltx-2.5"])
def test_flf2v_takes_image_strength_for_its_first_frame_guide(
        model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """LTXVAddGuide has a ``strength`` input in every bundled release
    (ltx2sdk/graph/comfyui_releases/*.json; ComfyUI's comfy_extras/nodes_lt.py)."""
    out = tmp_path / "g.json"
    assert main(["build", *FLF2V, "--model", model, "--image-strength", "0.3",
                 "-o", str(out)]) == 0
    assert guides(out) == {0: 0.3, -1: 0.7}
    assert "not used" not in capsys.readouterr().err
    assert main(["build", *FLF2V, "--model", model, "-o", str(out),
                 "--overwrite"]) == 0
    assert guides(out) == {0: 0.7, -1: 0.7}  # the template's, unless given


@pytest.mark.parametrize(("argv", "note"), [
    (["--prompt", "p", "--image-strength", "0.5"],
     "note: --image-strength is not used by ltx-2 t2v fast (it has no input image)"),
    (["--prompt", "p", "--negative-prompt", "blur"],
     "note: --negative-prompt is not used by ltx-2 t2v fast (it samples at CFG 1)"),
    (["--prompt", "p", "--distilled-lora-strength", "0.5"],
     "note: --distilled-lora-strength is not used by ltx-2 t2v fast (it loads no distilled "
     "LoRA)"),
    (["--prompt", "p", "--model", "ltx-2.3", "--camera-strength", "0.5"],
     "note: --camera-strength is not used by ltx-2.3 t2v fast (ltx-2.3 has no camera LoRAs)"),
    (["--prompt", "p", "--camera", "none", "--camera-strength", "0.5"],
     "note: --camera-strength is not used by ltx-2 t2v fast (no camera LoRA: --camera-lora "
     "none)"),
])
def test_a_value_the_pipeline_does_not_use_is_a_note(argv: list[str], note: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", *argv, "--json"]) == 0
    out, err = capsys.readouterr()
    assert note in err.splitlines(), err
    adjustments = one_document(out)["plan"]["adjustments"]
    assert any(" is not used by " in a for a in adjustments), adjustments  # field names


def test_python_sees_the_same_notes_in_field_names() -> None:
    from builders import make_plan
    from ltx2sdk import GenerationRequest

    plan = make_plan(GenerationRequest(prompt="p", image_strength=0.5, camera_lora="none",
                                       camera_strength=0.4))
    assert plan.adjustments[1:] == (  # after the size's
        "image_strength is not used by ltx-2 t2v fast (it has no input image)",
        "camera_strength is not used by ltx-2 t2v fast (no camera LoRA: camera_lora none)")


# --- ia2v: one note for the length the audio gives ------------------------------------------

def test_a_long_audio_gets_one_note_that_does_not_contradict_itself() -> None:
    from builders import make_plan
    from ltx2sdk import GenerationRequest

    request = GenerationRequest(prompt="p", model="ltx-2.3", image="a.png", audio="v.wav",
                                width=1280, height=704)
    notes = make_plan(request, audio_seconds=30.0).adjustments
    assert notes == ("length 481 frames (20 s): the audio is 30 s, longer than a video can "
                     "be, so the video covers its first 20 s",), notes
    notes = make_plan(request, audio_seconds=3.07).adjustments
    assert notes == ("length 73 frames (3 s): as long as the audio, in the 8n+1 frames LTX-2 "
                     "needs",), notes
