"""generate(), ltx2 generate and ltx2 check against the ComfyUI test server."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ltx2sdk import ComfyClient, GenerationRequest, generate
from ltx2sdk.cli import main
from ltx2sdk.errors import ExecutionError, ServerValidationError
from ltx2sdk.models import files_for
from ltx2sdk.progress import ProgressUpdate
from tests.comfyserver import ComfyTestServer

from .helpers import (
    RELEASES,
    catalog_models,
    catalog_server,
    png_bytes,
    states_release_in_range,
)


def test_t2v_end_to_end(versioned_server: ComfyTestServer, tmp_path: Path) -> None:
    updates: list[ProgressUpdate] = []
    result = generate(GenerationRequest(prompt="a fox", duration=2, seed=11),
                      versioned_server.url, output=tmp_path / "fox.mp4", output_dir=tmp_path,
                      on_progress=updates.append)
    assert result.video == tmp_path / "fox.mp4" and result.video.stat().st_size > 1000
    assert result.video.read_bytes()[4:8] == b"ftyp"
    meta = result.metadata()
    assert (meta["seed"], meta["frames"], meta["fps"], meta["width"], meta["height"]) == (
        11, 49, 24, 1280, 704)
    assert (meta["mode"], meta["type"], meta["duration"]) == ("fast", "t2v", 2.0)
    assert meta["prompt_id"] == versioned_server.received.prompts[-1]["prompt_id"]
    assert set(meta["timings"]) == {"prepare", "build", "run", "download"}
    posted = versioned_server.received.prompts[-1]["prompt"]
    assert any(n["class_type"] == "SaveVideo" for n in posted.values())
    stages = [u.stage for u in updates]
    assert "Stage 1 sampling" in stages and "Stage 2 sampling" in stages
    percents = [u.percent for u in updates]
    assert percents == sorted(percents) and updates[-1].done and percents[-1] == 100.0


def test_i2v_uploads_the_image_under_a_unique_name(versioned_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    png = png_bytes()  # a real PNG, made by Pillow
    result = generate({"prompt": "she smiles", "type": "i2v", "mode": "pro", "duration": 1,
                       "seed": 8, "image_base64": base64.b64encode(png).decode()},
                      versioned_server.url, output_dir=tmp_path)
    [upload] = versioned_server.received.uploads
    assert upload.name.startswith("ltx2sdk_") and upload.name.endswith(".png")
    assert upload.sha256 == hashlib.sha256(png).hexdigest()  # the image itself, unchanged
    [posted] = versioned_server.received.prompts
    loads = [n["inputs"]["image"] for n in posted["prompt"].values()
             if n["class_type"] == "LoadImage"]
    assert loads == [upload.name]
    assert result.video.read_bytes()[4:8] == b"ftyp"
    meta = result.metadata()
    assert (meta["type"], meta["mode"], meta["seed"], meta["frames"], meta["width"],
            meta["height"], meta["prompt_id"]) == ("i2v", "pro", 8, 25, 1280, 704,
                                                   posted["prompt_id"])


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


@pytest.mark.parametrize("kind", ["t2v", "i2v"])
@pytest.mark.parametrize("version", RELEASES)
def test_placeholder_models_reach_the_servers_error_at_a_loader(version: str, kind: str,
                                                                tmp_path: Path) -> None:
    """Empty model files pass every check: the SDK queues, the server fails at a loader."""
    image = {"image_base64": base64.b64encode(png_bytes()).decode()} if kind == "i2v" else {}
    placeholders = catalog_models()
    with ComfyTestServer(comfyui_version=version, models={}, placeholders=placeholders,
                         output_dir=tmp_path / "srv") as srv:
        srv.sim.sampler_steps = 3
        with pytest.raises(ExecutionError) as err:  # not JobTimeoutError: no waiting it out
            generate({"prompt": "p", "type": kind, "duration": 1, **image}, srv.url,
                     output_dir=tmp_path, timeout=30)
        [posted] = srv.received.prompts
    failed = posted["prompt"][err.value.node_id]
    assert failed["class_type"] == err.value.node_type and "Loader" in err.value.node_type
    empty = {name for names in placeholders.values() for name in names}
    assert empty & set(failed["inputs"].values()), failed  # it loads an empty file
    assert "SafetensorError" in err.value.exception_type
    assert f"({err.value.node_type}) failed" in str(err.value)


def test_missing_models_are_listed_before_queueing(tmp_path: Path) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv, \
            pytest.raises(ServerValidationError) as err:
        generate(GenerationRequest(prompt="p", mode="pro", camera_lora="jib_up"), srv.url,
                 output_dir=tmp_path)
    expected = {(f.folder, f.name) for f in files_for("pro", camera="jib_up")}
    assert set(err.value.missing_models) == expected
    assert not srv.received.prompts  # nothing was queued


def test_a_refused_i2v_job_uploads_nothing(tmp_path: Path) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv, \
            pytest.raises(ServerValidationError):
        generate(GenerationRequest(prompt="p", type="i2v",
                                   image_base64=base64.b64encode(png_bytes()).decode()),
                 srv.url, output_dir=tmp_path)
    assert not srv.received.uploads and not srv.received.prompts


def test_cli_generate_with_placeholder_models_fails_fast_naming_the_node(tmp_path: Path) -> None:
    empty = {"checkpoints": catalog_models()["checkpoints"]}
    with catalog_server(tmp_path, placeholders=empty) as srv:
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
    # "fast" is the subject: the server's error ends the command (interpreter start
    # included), not the default hour-long job timeout
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


def test_cli_check_passes_on_an_equipped_server_and_generate_then_runs(
        versioned_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """check states the server's release and vouches for the default requests of both
    modes: each then runs on the same server."""
    url = versioned_server.url
    assert main(["check", "--server", url, "--mode", "fast"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ready for LTX-2 (fast)"
    assert main(["check", "--server", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert states_release_in_range(out[0], versioned_server.comfyui_version or "?"), out[0]
    assert out[-1] == "ready for LTX-2 (fast, pro)"
    assert versioned_server.received.prompts == []  # check queues nothing
    image = tmp_path / "first.png"
    image.write_bytes(png_bytes())
    runs = [[], ["--mode", "pro", "--image", str(image)]]  # default request; pro i2v
    for i, flags in enumerate(runs):
        video = tmp_path / f"{i}.mp4"
        code = main(["generate", "--prompt", "a fox in the snow", *flags, "--server", url,
                     "--output", str(video), "--output-dir", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert video.read_bytes()[4:8] == b"ftyp"
    posted = [p["prompt"] for p in versioned_server.received.prompts]
    assert len(posted) == 2
    assert any(n["class_type"] == "LoadImage" for n in posted[1].values())


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
    [posted] = ltx_server.received.prompts
    seeds = {n["inputs"]["noise_seed"] for n in posted["prompt"].values()
             if n["class_type"] == "RandomNoise"}
    lengths = {n["inputs"]["length"] for n in posted["prompt"].values()
               if n["class_type"] == "EmptyLTXVLatentVideo"}
    assert seeds == {5} and lengths == {25}  # the file's seed and duration (1 s at 24 fps)


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
