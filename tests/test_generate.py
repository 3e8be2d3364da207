"""generate(), ltx2 generate and ltx2 check against the ComfyUI test server."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ltx2sdk import ComfyClient, GenerationRequest, generate
from ltx2sdk.cli import main
from ltx2sdk.errors import ServerValidationError
from ltx2sdk.models import files_for
from ltx2sdk.progress import ProgressUpdate
from tests.comfyserver import ComfyTestServer

from .helpers import catalog_models
from .test_images import png_bytes


def test_t2v_end_to_end(ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    updates: list[ProgressUpdate] = []
    result = generate(GenerationRequest(prompt="a fox", duration=2, seed=11), ltx_server.url,
                      output=tmp_path / "fox.mp4", output_dir=tmp_path, on_progress=updates.append)
    assert result.video == tmp_path / "fox.mp4" and result.video.stat().st_size > 1000
    meta = result.metadata()
    assert (meta["seed"], meta["frames"], meta["fps"], meta["width"], meta["height"]) == (
        11, 49, 24, 1280, 704)
    assert set(meta["timings"]) == {"prepare", "build", "run", "download"}
    posted = ltx_server.received.prompts[-1]["prompt"]
    assert any(n["class_type"] == "SaveVideo" for n in posted.values())
    stages = [u.stage for u in updates]
    assert "Stage 1 sampling" in stages and "Stage 2 sampling" in stages
    percents = [u.percent for u in updates]
    assert percents == sorted(percents) and updates[-1].done and percents[-1] == 100.0


def test_i2v_uploads_the_image_under_a_unique_name(ltx_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    image = base64.b64encode(png_bytes()).decode()
    result = generate({"prompt": "she smiles", "type": "i2v", "image_base64": image,
                       "mode": "pro", "duration": 1}, ltx_server.url, output_dir=tmp_path)
    [upload] = ltx_server.received.uploads
    assert upload.name.startswith("ltx2sdk_") and upload.name.endswith(".png")
    posted = ltx_server.received.prompts[-1]["prompt"]
    loads = [n["inputs"]["image"] for n in posted.values() if n["class_type"] == "LoadImage"]
    assert loads == [upload.name]
    assert result.type == "i2v" and result.video.exists()


def test_one_client_generates_several_i2v_videos(ltx_server: ComfyTestServer,
                                                 tmp_path: Path) -> None:
    # each upload is newer than the client's cached /object_info; that must not matter
    client = ComfyClient(ltx_server.url)
    for seed in (1, 2):
        image = base64.b64encode(png_bytes(16 + seed, 16)).decode()
        result = generate({"prompt": "p", "type": "i2v", "image_base64": image, "duration": 1,
                           "seed": seed}, client, output_dir=tmp_path / str(seed))
        assert result.video.exists()
    assert len(ltx_server.received.uploads) == 2


def test_missing_models_are_listed_before_queueing(tmp_path: Path) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv, \
            pytest.raises(ServerValidationError) as err:
        generate(GenerationRequest(prompt="p", mode="pro", camera_lora="jib_up"), srv.url,
                 output_dir=tmp_path)
    expected = {(f.folder, f.name) for f in files_for("pro", camera="jib_up")}
    assert set(err.value.missing_models) == expected
    assert not srv.received.prompts  # nothing was queued


def test_cli_generate_with_placeholder_models_fails_fast_naming_the_node(tmp_path: Path) -> None:
    models = catalog_models()
    with ComfyTestServer(models=models, placeholders={"checkpoints": models["checkpoints"]},
                         output_dir=tmp_path / "srv") as srv:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ltx2sdk.cli", "generate", "--prompt", "a fox",
             "--server", srv.url, "--output", str(tmp_path / "out.mp4"), "--duration", "1"],
            capture_output=True, text=True, timeout=60, check=False)
        elapsed = time.monotonic() - start
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    # ComfyUI runs nodes depth-first from the output: whichever loader reads the
    # checkpoint first fails, and the line names it and the exception
    assert re.match(r"ltx2: error: node \d+ \((CheckpointLoaderSimple|LTXVAudioVAELoader|"
                    r"LTXAVTextEncoderLoader)\) failed: \S*SafetensorError: ", last), last
    assert elapsed < 15


def test_cli_generate_prints_plain_progress_lines(ltx_server: ComfyTestServer, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", "--prompt", "a fox", "--duration", "1", "--seed", "3",
                 "--server", ltx_server.url, "--output", str(tmp_path / "fox.mp4"),
                 "--output-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Stage 1 sampling" in captured.err and "100.0%" in captured.err
    assert str(tmp_path / "fox.mp4") in captured.out and "seed 3" in captured.out


def test_cli_check_lists_every_missing_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv:
        code = main(["check", "--server", srv.url])
    out = capsys.readouterr().out
    assert code == 1
    needed = {f.path for mode in ("fast", "pro") for f in files_for(mode, camera="static")}
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  models/")}
    assert listed == needed
    assert "huggingface.co" in out


def test_cli_check_passes_on_an_equipped_server(ltx_server: ComfyTestServer,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", ltx_server.url, "--mode", "fast"]) == 0
    assert "ready for LTX-2 (fast)" in capsys.readouterr().out


def test_cli_check_on_a_dead_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", "http://127.0.0.1:9", "--ready-timeout", "0.5"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ltx2: error: ComfyUI at http://127.0.0.1:9 was not ready")
    assert len(err.splitlines()) == 1


def test_request_file_drives_generate(ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": {"prompt": "p", "duration": 1, "seed": 5}}))
    assert main(["generate", "--request", str(job), "--server", ltx_server.url,
                 "--output-dir", str(tmp_path)]) == 0


def test_enhanced_prompt_runs_end_to_end(ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    result = generate({"prompt": "a fox", "duration": 1, "enhance_prompt": True},
                      ltx_server.url, output_dir=tmp_path)
    posted = ltx_server.received.prompts[-1]["prompt"]
    assert any(n["class_type"] == "TextGenerateLTX2Prompt" for n in posted.values())
    assert result.video.exists()


def test_ctrl_c_interrupts_the_prompt_on_the_server(ltx_server: ComfyTestServer,
                                                    tmp_path: Path) -> None:
    import signal

    ltx_server.sim.sampler_steps = 500
    ltx_server.sim.step_delay = 0.02
    proc = subprocess.Popen([sys.executable, "-m", "ltx2sdk.cli", "generate", "--prompt", "p",
                             "--server", ltx_server.url, "--output-dir", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ltx_server.received.prompts and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    prompt_id = ltx_server.received.prompts[-1]["prompt_id"]
    assert {"prompt_id": prompt_id} in ltx_server.received.interrupts
    assert f"interrupted prompt {prompt_id}" in err and "ltx2: error: interrupted" in err
