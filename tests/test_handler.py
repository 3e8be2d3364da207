"""The RunPod worker against the ComfyUI test server (and a local S3 for big videos)."""

from __future__ import annotations

import ast
import asyncio
import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

import runpod_handler
from ltx2sdk import ComfyClient
from ltx2sdk.app.progress import ProgressUpdate
from ltx2sdk.wording import byte_size
from runpod_handler import ProgressReporter, WorkerConfig, handler, run_job
from tests.comfyserver import ComfyTestServer, Faults

from .helpers import (
    AUDIO_FIXTURES,
    DEADLINE_SLACK,
    catalog_models,
    catalog_server,
    free_port,
    patch_network,
    png_bytes,
    wav_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
PNG_B64 = base64.b64encode(png_bytes()).decode()
WAV_B64 = base64.b64encode(wav_bytes(1.0)).decode()


def config_for(srv: ComfyTestServer, **changes: Any) -> WorkerConfig:
    return WorkerConfig.from_env({"COMFY_URL": srv.url, "LTX2_READY_TIMEOUT": "5",
                                  "LTX2_JOB_TIMEOUT": "30", **changes})


def run_test_input_process(srv: ComfyTestServer, job_input: dict[str, Any],
                           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python runpod_handler.py --test_input ...``, as the README runs it."""
    return subprocess.run(
        [sys.executable, "runpod_handler.py", "--test_input", json.dumps({"input": job_input})],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COMFY_URL": srv.url, "LTX2_READY_TIMEOUT": "5", **(env or {})})


def run_test_input(srv: ComfyTestServer, job_input: dict[str, Any],
                   env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """``python runpod_handler.py --test_input ...``: exit code and the job's result, as the
    log shows it (a video as its size: ``'<2.85 KiB base64>'``)."""
    done = run_test_input_process(srv, job_input, env)
    for line in done.stdout.splitlines():
        if "Job result: " in line:  # success: the SDK logs the result dict
            result: dict[str, Any] = ast.literal_eval(line.split("Job result: ", 1)[1])
            return done.returncode, result.get("output", result)
        if " failed with error: " in line:  # an {"error"} result: logged, exit 1
            return done.returncode, {"error": line.split(" failed with error: ", 1)[1]}
    raise AssertionError(f"no job result in the output:\n{done.stdout}\n{done.stderr}")


def test_t2v_job_from_the_command_line(ltx_server: ComfyTestServer) -> None:
    code, output = run_test_input(ltx_server, {"prompt": "a fox", "mode": "fast", "type": "t2v",
                                           "width": 768, "height": 512, "duration": 2,
                                           "seed": 42, "camera_lora": "static"})
    assert code == 0, output
    [served] = ltx_server.output_dir.rglob("*.mp4")
    size = byte_size(len(base64.b64encode(served.read_bytes())))
    assert served.read_bytes()[4:8] == b"ftyp" and output["video"] == f"<{size} base64>"
    assert output["model"] == "ltx-2"
    assert (output["seed"], output["width"], output["height"], output["frames"],
            output["fps"], output["mode"], output["type"]) == (42, 768, 512, 49, 24, "fast",
                                                                "t2v")
    assert set(output["timings"]) >= {"run", "download"}


def test_t2v_and_i2v_jobs_on_each_release(versioned_server: ComfyTestServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker's entry point, ``handler``, as RunPod calls it, on each tested release."""
    monkeypatch.setenv("COMFY_URL", versioned_server.url)
    monkeypatch.setenv("LTX2_READY_TIMEOUT", "5")
    monkeypatch.setenv("LTX2_JOB_TIMEOUT", "30")
    jobs = {"t2v": {"prompt": "a fox", "width": 768, "height": 512, "duration": 1, "seed": 42},
            "i2v": {"prompt": "she smiles", "type": "i2v", "mode": "pro",
                    "image_base64": PNG_B64, "duration": 1, "seed": 7}}
    outputs = {kind: asyncio.run(handler({"id": kind, "input": job}))
               for kind, job in jobs.items()}
    t2v, i2v = outputs["t2v"], outputs["i2v"]
    assert "error" not in t2v and "error" not in i2v, outputs
    served = sorted(versioned_server.output_dir.rglob("*.mp4"))
    assert len(served) == 2
    for output in (t2v, i2v):
        video = base64.b64decode(output["video"])
        assert video[4:8] == b"ftyp" and any(video == f.read_bytes() for f in served)
    assert (t2v["seed"], t2v["width"], t2v["height"], t2v["frames"], t2v["mode"],
            t2v["type"]) == (42, 768, 512, 25, "fast", "t2v")
    assert (i2v["seed"], i2v["mode"], i2v["type"]) == (7, "pro", "i2v")
    assert t2v["model"] == i2v["model"] == "ltx-2"
    assert [p["prompt_id"] for p in versioned_server.received.prompts] == [
        t2v["prompt_id"], i2v["prompt_id"]]
    assert len(versioned_server.received.uploads) == 1


def test_i2v_job_from_the_command_line(ltx_server: ComfyTestServer) -> None:
    code, output = run_test_input(ltx_server, {"prompt": "she smiles", "mode": "pro",
                                           "type": "i2v", "image_base64": PNG_B64,
                                           "duration": 1, "seed": 1})
    assert code == 0, output
    assert output["type"] == "i2v" and output["video"].endswith(" base64>")
    assert len(ltx_server.received.uploads) == 1


def test_a_job_with_an_image_and_no_type_is_i2v(ltx_server: ComfyTestServer) -> None:
    """The type follows from the inputs in a job as on the command line (issue 21, point 6):
    an image alone makes i2v, a last image too flf2v."""
    output = run_job({"id": "j", "input": {"prompt": "she smiles", "image_base64": PNG_B64,
                                           "duration": 1, "seed": 1}}, config_for(ltx_server))
    assert "error" not in output, output
    assert output["type"] == "i2v" and len(ltx_server.received.uploads) == 1
    output = run_job({"id": "j", "input": {"prompt": "a door opens", "image_base64": PNG_B64,
                                           "last_image_base64": PNG_B64, "duration": 1,
                                           "type": None}}, config_for(ltx_server))
    assert "error" not in output and output["type"] == "flf2v", output


def test_the_root_test_input_validates() -> None:
    job = json.loads((ROOT / "test_input.json").read_text())
    assert runpod_handler.parse_request(job["input"], WorkerConfig()).request.prompt


@pytest.mark.parametrize(("job_input", "fragment"), [
    ({"prompt": "p", "foo": 1},
     "invalid request: unknown field 'foo' (ltx2 schema lists the fields"),
    ({"promt": "p"}, "unknown field 'promt'; did you mean 'prompt'?"),
    ({"prompt": "p", "width": 0}, "width: at least 128 px, not 0"),
    ({"prompt": "p", "duration": 100}, "duration: at most 20 s, not 100"),
    ({"prompt": "p", "type": "x"},
     "type: 'x' is not one of t2v, i2v, flf2v, ia2v, id2v, ref2v, canny2v, depth2v"),
    ({"prompt": "p", "type": "i2v"}, "type 'i2v' needs an image"),
    ({"prompt": "p", "type": "i2v", "image_url": "https://example.com/a.png",
      "image_base64": PNG_B64}, "not image_url and image_base64"),
    ({"prompt": "p", "type": "i2v", "image_base64": base64.b64encode(b"%PDF-1.4").decode()},
     "image_base64: not a readable image"),
    ({"prompt": "p", "type": "i2v", "image_url": "http://127.0.0.1:8188/view?filename=x"},
     "image_url: refusing to fetch from the non-public address 127.0.0.1"),
    ({"prompt": "p", "type": "i2v", "image_url": "http://169.254.169.254/latest/meta-data"},
     "image_url: refusing to fetch from the non-public address 169.254.169.254"),
    ({"prompt": "p", "type": "i2v", "image_url": "file:///etc/passwd"},
     "image_url: not an http(s) URL (only http and https URLs are allowed"),
    ({"prompt": "p", "type": "i2v", "image": "someone-elses-upload.png"},
     "image: not accepted by the worker"),
    ({"prompt": "p", "type": "flf2v", "image_base64": PNG_B64,
      "last_image": "someone-elses-upload.png"},
     "last_image: not accepted by the worker; use last_image_url or last_image_base64"),
    ({"prompt": "p", "type": "flf2v", "image_base64": PNG_B64}, "type 'flf2v' needs a last image"),
    ({"prompt": "p", "type": "flf2v", "last_image_base64": PNG_B64},
     "type 'flf2v' needs a first image"),
    ({"prompt": "p", "type": "i2v", "image_base64": PNG_B64, "last_image_base64": PNG_B64},
     "last_image_base64 is only used with type 'flf2v' (type is 'i2v')"),
    ({"prompt": "p", "type": "flf2v", "image_base64": PNG_B64,
      "last_image_base64": base64.b64encode(b"%PDF-1.4").decode()},
     "last_image_base64: not a readable image"),
    ({"prompt": "p", "type": "flf2v", "image_base64": PNG_B64,
      "last_image_url": "http://169.254.169.254/latest/meta-data"},
     "last_image_url: refusing to fetch from the non-public address 169.254.169.254"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image_base64": PNG_B64,
      "audio": "someone-elses-voice.wav"},
     "audio: not accepted by the worker; use audio_url or audio_base64"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image_base64": PNG_B64},
     "type 'ia2v' needs an audio file: give one of audio_url, audio_base64 or audio"),
    ({"prompt": "p", "type": "i2v", "image_base64": PNG_B64, "audio_base64": WAV_B64},
     "audio_base64 is only used with type 'ia2v' or 'id2v' (type is 'i2v')"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image_base64": PNG_B64,
      "audio_base64": PNG_B64},
     "audio_base64: not a readable audio file (wav, mp3, flac or ogg)"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image_base64": PNG_B64,
      "audio_url": "http://169.254.169.254/latest/meta-data"},
     "audio_url: refusing to fetch from the non-public address 169.254.169.254"),
    ({"prompt": "p", "model": "ltx-2.3", "type": "ia2v", "image_base64": PNG_B64,
      "audio_url": "http://[::1]:8188/view?filename=voice.wav"},
     "audio_url: refusing to fetch from the non-public address ::1"),
    ({"prompt": "p", "type": "ia2v", "image_base64": PNG_B64, "audio_base64": WAV_B64},
     "invalid request: type: model ltx-2 has no 'ia2v' pipeline"),
    ("just a string", "input must be a JSON object"),
])
def test_bad_inputs_give_an_error_naming_the_field(ltx_server: ComfyTestServer, job_input: Any,
                                                   fragment: str) -> None:
    output = run_job({"id": "j", "input": job_input}, config_for(ltx_server))
    assert set(output) == {"error"} and fragment in output["error"], output
    assert not ltx_server.received.prompts  # nothing reached ComfyUI


def test_flf2v_job_uploads_both_images(ltx_server: ComfyTestServer) -> None:
    last = png_bytes(40, 30)
    output = run_job({"id": "j", "input": {
        "prompt": "a door opens", "model": "ltx-2.3", "type": "flf2v", "duration": 1, "seed": 5,
        "image_base64": PNG_B64, "last_image_base64": base64.b64encode(last).decode()}},
        config_for(ltx_server))
    assert "error" not in output, output
    assert (output["type"], output["seed"]) == ("flf2v", 5)
    assert base64.b64decode(output["video"])[4:8] == b"ftyp"
    first_upload, last_upload = ltx_server.received.uploads
    assert first_upload.name != last_upload.name
    assert last_upload.sha256 == hashlib.sha256(last).hexdigest()
    [posted] = ltx_server.received.prompts
    loads = {n["inputs"]["image"] for n in posted["prompt"].values()
             if n["class_type"] == "LoadImage"}
    assert loads == {first_upload.name, last_upload.name}


def test_a_last_image_url_resolving_to_a_private_address_is_refused(
        ltx_server: ComfyTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolution patched (as in test_image_fetch.py): the name resolves to 192.168.1.20, and
    nothing may connect off this host."""
    net = patch_network(monkeypatch)
    net.name("cdn.example", ["192.168.1.20"])
    output = run_job({"id": "j", "input": {
        "prompt": "p", "type": "flf2v", "image_base64": PNG_B64,
        "last_image_url": "https://cdn.example/last.png"}}, config_for(ltx_server))
    assert set(output) == {"error"}, output
    assert output["error"].startswith(
        "last_image_url: refusing to fetch from the non-public address 192.168.1.20"), output
    assert {ip for ip, _ in net.connects} <= {"127.0.0.1"}  # the test server only
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_ia2v_job_uploads_the_image_and_the_audio(ltx_server: ComfyTestServer) -> None:
    voice = (AUDIO_FIXTURES / "tone_1s_22k_mono.ogg").read_bytes()
    output = run_job({"id": "j", "input": {
        "prompt": "she sings", "model": "ltx-2.3", "type": "ia2v", "seed": 5,
        "image_base64": PNG_B64, "audio_base64": base64.b64encode(voice).decode()}},
        config_for(ltx_server))
    assert "error" not in output, output
    assert (output["type"], output["seed"], output["duration"]) == ("ia2v", 5, 1.0)
    assert base64.b64decode(output["video"])[4:8] == b"ftyp"
    image, audio = ltx_server.received.uploads
    assert image.name.endswith(".png") and audio.name.endswith(".ogg")
    assert audio.sha256 == hashlib.sha256(voice).hexdigest()
    [posted] = ltx_server.received.prompts
    assert [n["inputs"]["audio"] for n in posted["prompt"].values()
            if n["class_type"] == "LoadAudio"] == [audio.name]


@pytest.mark.parametrize(("env", "error"), [
    ({"LTX2_MAX_AUDIO_SECONDS": "2"}, "audio_base64: audio is 3.0 s long, over the 2 s limit"),
    ({"LTX2_MAX_AUDIO_BYTES": "10000"},
     "audio_base64: audio file is larger than the 9.77 KiB limit"),
])
def test_the_workers_audio_caps_are_its_environments(ltx_server: ComfyTestServer,
                                                     env: dict[str, str], error: str) -> None:
    job = {"id": "j", "input": {"prompt": "p", "model": "ltx-2.3", "type": "ia2v",
                                "image_base64": PNG_B64,
                                "audio_base64": base64.b64encode(wav_bytes(3.0)).decode()}}
    assert run_job(job, config_for(ltx_server, **env)) == {"error": error}
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_a_50_mb_image_is_refused(ltx_server: ComfyTestServer) -> None:
    big = "A" * (50 * 1024 * 1024 * 4 // 3)
    output = run_job({"id": "j", "input": {"prompt": "p", "type": "i2v", "image_base64": big}},
                     config_for(ltx_server))
    assert "image_base64: image is larger than the 20 MiB limit" in output["error"]


def test_oversized_video_without_bucket_explains_how_to_configure_one(
        ltx_server: ComfyTestServer) -> None:
    ltx_server.sim.output_bytes = 3 * 1024 * 1024
    output = run_job({"id": "j", "input": {"prompt": "p", "duration": 1}},
                     config_for(ltx_server, LTX2_RESULT_LIMIT_BYTES="2000000"))
    assert "over RunPod's 1.91 MiB result limit" in output["error"]
    assert "LTX2_S3_BUCKET" in output["error"] and "video" not in output
    assert output["frames"] == 25  # the metadata still says what was made


def test_oversized_video_goes_to_the_bucket(ltx_server: ComfyTestServer,
                                            bucket: dict[str, str]) -> None:
    ltx_server.sim.output_bytes = 12 * 1024 * 1024 + 5  # several multipart chunks
    output = run_job({"id": "j", "input": {"prompt": "p", "duration": 1}},
                     config_for(ltx_server, LTX2_RESULT_LIMIT_BYTES="1000000", **bucket))
    assert "error" not in output, output
    served = next(ltx_server.output_dir.rglob("*.mp4")).read_bytes()
    downloaded = requests.get(output["video_url"], timeout=30)
    assert downloaded.status_code == 200 and downloaded.content == served
    assert output["video_bytes"] == len(served)


def test_an_upload_to_a_bucket_that_never_answers_ends_by_the_jobs_deadline(
        ltx_server: ComfyTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """LTX2_JOB_TIMEOUT bounds the whole job, the upload included: an S3 endpoint that accepts
    connections and never answers (boto3 alone waits 60 s a read, and retries) ends the job
    at its deadline with an error saying so."""
    import socket

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    ltx_server.sim.output_bytes = 3 * 1024 * 1024
    held: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        stop = threading.Event()

        def accept() -> None:  # takes every connection, reads nothing, answers nothing
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(listener.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        config = config_for(ltx_server, LTX2_JOB_TIMEOUT="4", LTX2_RESULT_LIMIT_BYTES="1000000",
                            LTX2_S3_BUCKET="videos", LTX2_S3_REGION="us-east-1",
                            LTX2_S3_ENDPOINT_URL=f"http://127.0.0.1:{listener.getsockname()[1]}")
        started = time.monotonic()
        try:
            output = run_job({"id": "j", "input": {"prompt": "p", "duration": 1}}, config)
        finally:
            elapsed = time.monotonic() - started
            stop.set()
            thread.join()
            for sock in held:
                sock.close()
    assert held, "the upload never reached the endpoint"
    assert elapsed < 4 + DEADLINE_SLACK, elapsed
    assert output["error"] == ("the upload of the video to the bucket did not finish before "
                               "the job's deadline (LTX2_JOB_TIMEOUT, 4 s)"), output


def test_placeholder_models_fail_fast_naming_the_node(tmp_path: Path) -> None:
    empty = {"checkpoints": catalog_models()["checkpoints"]}
    with catalog_server(tmp_path, placeholders=empty) as srv:
        start = time.monotonic()
        code, output = run_test_input(srv, {"prompt": "p", "duration": 1})
        elapsed = time.monotonic() - start
    assert code != 0
    assert "failed: safetensors._safetensors_rust.SafetensorError" in output["error"]
    assert "Loader" in output["error"]
    # "fast" is the subject: the error ends the job (a child interpreter's start included),
    # not the worker's hour-long job timeout
    assert elapsed < 30


def test_cancelling_the_job_interrupts_the_prompt(ltx_server: ComfyTestServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ltx_server.sim.sampler_steps = 200
    ltx_server.sim.step_delay = 0.05
    monkeypatch.setenv("COMFY_URL", ltx_server.url)

    async def scenario() -> None:
        task = asyncio.create_task(handler({"id": "j", "input": {"prompt": "p", "duration": 1}}))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if ltx_server.received.prompts:
                break
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    prompt_id = ltx_server.received.prompts[-1]["prompt_id"]
    assert {"prompt_id": prompt_id} in ltx_server.received.interrupts


def test_concurrent_jobs_do_not_mix(ltx_server: ComfyTestServer) -> None:
    ltx_server.sim.step_delay = 0.02
    outputs: dict[int, dict[str, Any]] = {}

    def job(seed: int) -> None:
        outputs[seed] = run_job({"id": str(seed), "input": {"prompt": "p", "duration": 1,
                                                            "seed": seed}},
                                config_for(ltx_server))

    threads = [threading.Thread(target=job, args=(seed,)) for seed in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {o["seed"] for o in outputs.values()} == {1, 2, 3}
    assert len({o["prompt_id"] for o in outputs.values()}) == 3
    assert all("video" in o for o in outputs.values())
    client_ids = {p["client_id"] for p in ltx_server.received.prompts}
    assert len(client_ids) == 3


def test_a_job_leaves_nothing_in_the_temp_folder(ltx_server: ComfyTestServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the stdlib's documented switch
    done = run_job({"id": "j", "input": {"prompt": "p", "duration": 1}}, config_for(ltx_server))
    refused = run_job({"id": "k", "input": {"prompt": "p", "duration": 100}},
                      config_for(ltx_server))
    failed = run_job({"id": "l", "input": {"prompt": "p", "duration": 1}},
                     config_for(ltx_server, LTX2_RESULT_LIMIT_BYTES="1000"))
    assert "video" in done and set(refused) == {"error"} and "error" in failed
    assert list(scratch.iterdir()) == []


def test_progress_is_throttled() -> None:
    sent: list[dict[str, Any]] = []
    reporter = ProgressReporter(sent.append, interval=60)
    for step in range(1, 21):
        reporter(ProgressUpdate("Stage 1 sampling", "9", "SamplerCustomAdvanced", step, 20,
                                step * 2.0))
    reporter(ProgressUpdate("Stage 2 sampling", "15", "SamplerCustomAdvanced", 1, 3, 50.0))
    assert [(s["stage"], s["step"]) for s in sent] == [("Stage 1 sampling", 1),
                                                        ("Stage 2 sampling", 1)]
    assert sent[-1] == {"stage": "Stage 2 sampling", "step": 1, "steps": 3, "percent": 50.0}


def test_environment_configuration() -> None:
    config = WorkerConfig.from_env({"COMFY_URL": "http://comfy:8188", "LTX2_JOB_TIMEOUT": "60",
                                    "LTX2_CHECKPOINT_PRO": "ltx-2-19b-dev.safetensors",
                                    "LTX2_S3_BUCKET": "b", "LTX2_S3_URL_EXPIRES": "600"})
    assert (config.comfy_url, config.job_timeout) == ("http://comfy:8188", 60.0)
    assert WorkerConfig.from_env({"LTX2_MAX_IMAGE_PIXELS": "1000000"}).input_policy.max_pixels \
        == 1_000_000
    assert config.s3 is not None and config.s3.url_expires == 600
    pro = runpod_handler.parse_request({"prompt": "p", "mode": "pro"}, config).request
    assert pro.models.checkpoint == "ltx-2-19b-dev.safetensors"
    fast = runpod_handler.parse_request({"prompt": "p"}, config).request
    assert fast.models.checkpoint is None
    # the environment's files are LTX-2 19B files: another model keeps its own
    config = WorkerConfig.from_env({"LTX2_TEXT_ENCODER": "gemma_3_12B_it.safetensors"})
    assert runpod_handler.parse_request({"prompt": "p"}, config).request.models.text_encoder == (
        "gemma_3_12B_it.safetensors")
    newer = runpod_handler.parse_request({"prompt": "p", "model": "ltx-2.3"}, config).request
    assert newer.model == "ltx-2.3" and newer.models.text_encoder is None
    # each request gets the environment's files for the roles its pipeline has
    config = WorkerConfig.from_env({
        "LTX2_UPSCALER": "ltx-2-spatial-upscaler-x2-1.0.safetensors",
        "LTX2_DISTILLED_LORA": "ltx-2-19b-distilled-lora-384.safetensors"})
    pro = runpod_handler.parse_request({"prompt": "p", "mode": "pro"}, config).request
    assert pro.models.distilled_lora == "ltx-2-19b-distilled-lora-384.safetensors"
    fast = runpod_handler.parse_request({"prompt": "p"}, config).request
    assert fast.models.distilled_lora is None and fast.models.upscaler is not None
    flf2v = runpod_handler.parse_request({"prompt": "p", "type": "flf2v",
                                          "image_url": "https://e.com/a.png",
                                          "last_image_url": "https://e.com/b.png"}, config).request
    assert flf2v.models.upscaler is None  # one stage: no upscaler to load
    with pytest.raises(ValueError, match="LTX2_JOB_TIMEOUT must be a positive number"):
        WorkerConfig.from_env({"LTX2_JOB_TIMEOUT": "soon"})
    # the audio's caps: 20 MB and 60 s unless set
    policy = WorkerConfig.from_env({}).input_policy
    assert (policy.max_audio_bytes, policy.max_audio_seconds) == (20 * 1024 * 1024, 60.0)
    policy = WorkerConfig.from_env({"LTX2_MAX_AUDIO_BYTES": "5000000",
                                    "LTX2_MAX_AUDIO_SECONDS": "12.5"}).input_policy
    assert (policy.max_audio_bytes, policy.max_audio_seconds) == (5_000_000, 12.5)


@pytest.mark.parametrize(("job_input", "error"), [
    ({"prompt": "p", "model": "ltx-2.3", "camera_lora": "jib_up"},
     "invalid request: camera_lora: LTX-2.3 22B has no camera LoRAs (use 'none')"),
    ({"prompt": "p", "model": "ltx-2.3", "frames": 505},
     "invalid request: frames: 505 frames at 25 fps is longer than 20 s"),
    ({"prompt": "p", "model": "ltx-4"}, "invalid request: model: 'ltx-4' is not one of ltx-2, "),
])
def test_a_request_no_pipeline_can_make_fails_before_any_work(
        job_input: dict[str, Any], error: str) -> None:
    # no server at this URL: refused before anything is fetched or sent
    config = WorkerConfig(comfy_url=f"http://127.0.0.1:{free_port()}")
    result = runpod_handler.run_job({"id": "j", "input": job_input}, config)
    assert result["error"].startswith(error), result


@pytest.mark.parametrize(("field", "value", "said"), [
    ("enhance_prompt", "yes", "must be true or false, not a string"),
    ("enhance_prompt", 1, "must be true or false, not 1"),
    ("duration", "5", "must be a number, not a string"),
    ("seed", "\u0664\u0662", "must be a whole number, not a string"),
])
def test_the_worker_takes_numbers_and_booleans_by_the_one_rule(field: str, value: Any,
                                                               said: str) -> None:
    # as Python and the CLI: a JSON number, true or false (no server: refused before any work)
    config = WorkerConfig(comfy_url=f"http://127.0.0.1:{free_port()}")
    result = run_job({"id": "j", "input": {"prompt": "p", field: value}}, config)
    assert result == {"error": f"invalid request: {field}: {said}"}


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("LTX2_JOB_TIMEOUT", "abc", "must be a positive number"),
    ("LTX2_JOB_TIMEOUT", "nan", "must be a positive number"),
    ("LTX2_JOB_TIMEOUT", "inf", "must be a positive number"),
    ("LTX2_JOB_TIMEOUT", "-5", "must be a positive number"),
    ("LTX2_READY_TIMEOUT", "0", "must be a positive number"),
    ("LTX2_RESULT_LIMIT_BYTES", "1.5", "must be a positive whole number"),
    ("LTX2_MAX_IMAGE_BYTES", "-1", "must be a positive whole number"),
    ("LTX2_MAX_IMAGE_PIXELS", "lots", "must be a positive whole number"),
    ("LTX2_IMAGE_FETCH_TIMEOUT", "nan", "must be a positive number"),
    ("LTX2_MAX_AUDIO_BYTES", "20MB", "must be a positive whole number"),
    ("LTX2_MAX_AUDIO_BYTES", "1.5", "must be a positive whole number"),
    ("LTX2_MAX_AUDIO_SECONDS", "0", "must be a positive number"),
    ("LTX2_MAX_AUDIO_SECONDS", "inf", "must be a positive number"),
    ("LTX2_PROGRESS_INTERVAL", "1e999", "must be a positive number"),
    ("COMFY_URL", "127.0.0.1:8188", "must be an http(s) URL"),
])
def test_bad_settings_are_named_at_start_up_and_in_each_job(
        name: str, value: str, fragment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(runpod_handler.WorkerConfigError, match=re.escape(f"{name} {fragment}")):
        WorkerConfig.from_env({name: value})
    monkeypatch.setenv(name, value)
    output = asyncio.run(handler({"id": "j", "input": {"prompt": "p"}}))
    assert set(output) == {"error"} and output["error"].startswith("worker misconfigured: ")
    assert name in output["error"]


NUMBER_FORM = "(ASCII digits 0-9, no spaces, such as 5 or 0.8)"
WHOLE_FORM = "(ASCII digits 0-9, no spaces, such as 42)"


@pytest.mark.parametrize(("name", "value", "said"), [
    # float() and int() read every one of these: the CLI's flags and JSON refuse them
    ("LTX2_JOB_TIMEOUT", "\u0663\u0660\u0660", f"a positive number {NUMBER_FORM}"),
    ("LTX2_JOB_TIMEOUT", "1_800", f"a positive number {NUMBER_FORM}"),
    ("LTX2_JOB_TIMEOUT", " 5 ", f"a positive number {NUMBER_FORM}"),
    ("LTX2_JOB_TIMEOUT", "inf", f"a positive number {NUMBER_FORM}"),
    ("LTX2_READY_TIMEOUT", "nan", f"a positive number {NUMBER_FORM}"),
    ("LTX2_PROGRESS_INTERVAL", "+2", f"a positive number {NUMBER_FORM}"),
    ("LTX2_MAX_VIDEO_FRAMES", "7_200", f"a positive whole number {WHOLE_FORM}"),
    ("LTX2_MAX_IMAGE_BYTES", "\u0665000", f"a positive whole number {WHOLE_FORM}"),
    ("LTX2_MAX_IMAGE_BYTES", "5e6", f"a positive whole number {WHOLE_FORM}"),
    ("LTX2_S3_URL_EXPIRES", "3600.0", f"a positive whole number {WHOLE_FORM}"),
])
def test_a_settings_number_is_read_by_the_cli_s_ascii_rule(name: str, value: str,
                                                            said: str) -> None:
    env = {name: value, "LTX2_S3_BUCKET": "b"}
    with pytest.raises(runpod_handler.WorkerConfigError) as caught:
        WorkerConfig.from_env(env)
    assert str(caught.value) == f"environment variable {name} must be {said}, got {value!r}"
    assert len(str(caught.value).splitlines()) == 1


def test_settings_numbers_in_ascii_digits_are_read() -> None:
    config = WorkerConfig.from_env({"LTX2_JOB_TIMEOUT": "300", "LTX2_READY_TIMEOUT": "2.5",
                                    "LTX2_MAX_IMAGE_BYTES": "1000", "LTX2_PROGRESS_INTERVAL": ".5",
                                    "LTX2_MAX_VIDEO_SECONDS": "1e2", "LTX2_S3_URL_EXPIRES": "",
                                    "LTX2_MAX_AUDIO_SECONDS": "   "})
    assert (config.job_timeout, config.ready_timeout, config.input_policy.max_bytes,
            config.progress_interval, config.input_policy.video.max_seconds) == (
                300, 2.5, 1000, 0.5, 100)
    assert config.input_policy.max_audio_seconds == 60  # blank: unset, the default


def test_a_presigned_url_lifetime_over_s3s_limit_is_refused_at_start_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """SigV4 (AWS, R2, MinIO) refuses a presigned URL valid over 7 days: every oversized
    video would be uploaded and handed back as a URL that does not work."""
    bucket = {"LTX2_S3_BUCKET": "b"}
    assert WorkerConfig.from_env({**bucket, "LTX2_S3_URL_EXPIRES": "604800"}).s3 is not None
    message = ("environment variable LTX2_S3_URL_EXPIRES must be at most 604800 seconds "
               "(7 days, S3's limit for a presigned URL), got '2592000'")
    with pytest.raises(runpod_handler.WorkerConfigError) as caught:
        WorkerConfig.from_env({**bucket, "LTX2_S3_URL_EXPIRES": "2592000"})
    assert str(caught.value) == message
    for name, value in {**bucket, "LTX2_S3_URL_EXPIRES": "2592000"}.items():
        monkeypatch.setenv(name, value)
    output = asyncio.run(handler({"id": "j", "input": {"prompt": "p"}}))
    assert output == {"error": f"worker misconfigured: {message}"}


def test_the_worker_refuses_to_start_with_a_bad_setting() -> None:
    done = subprocess.run([sys.executable, "runpod_handler.py"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**os.environ, "LTX2_JOB_TIMEOUT": "nan"})
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "runpod_handler: environment variable LTX2_JOB_TIMEOUT must be a positive number "
        "(ASCII digits 0-9, no spaces, such as 5 or 0.8), got 'nan'"]


def test_a_prefix_comfyui_would_not_serve_is_refused_before_any_work(
        ltx_server: ComfyTestServer) -> None:
    output = run_job({"id": "j", "input": {"prompt": "p", "filename_prefix": "video/my..clip"}},
                     config_for(ltx_server))
    assert set(output) == {"error"} and "filename_prefix" in output["error"]
    assert not ltx_server.received.prompts


def test_a_cancel_while_comfyui_starts_means_the_prompt_is_never_queued(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with catalog_server(tmp_path, faults=Faults(slow_start=1.5)) as srv:
        monkeypatch.setenv("COMFY_URL", srv.url)

        async def scenario() -> None:
            task = asyncio.create_task(handler({"id": "j", "input": {"prompt": "p",
                                                                     "duration": 1}}))
            await asyncio.sleep(0.5)  # ComfyUI is still starting: nothing is queued yet
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(scenario())
        ComfyClient(srv.url).wait_ready(timeout=10, interval=0.05)
        time.sleep(0.5)  # ComfyUI is up now: a job still trying would queue meanwhile
        assert srv.received.prompts == []


def test_an_unexpected_failure_is_an_error_result_with_the_traceback_only_in_the_log(
        ltx_server: ComfyTestServer, caplog: pytest.LogCaptureFixture) -> None:
    def broken(prompt_id: str) -> None:  # any exception the worker does not expect
        raise KeyError("surprise")

    output = run_job({"id": "j7", "input": {"prompt": "p", "duration": 1}},
                     config_for(ltx_server), on_queued=broken)
    assert output == {"error": "internal error (KeyError): 'surprise'"}
    assert "job j7 failed unexpectedly" in caplog.text and "Traceback" in caplog.text


def test_local_api_server_runs_a_job(ltx_server: ComfyTestServer) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "runpod_handler.py", "--rp_serve_api", "--rp_api_port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "COMFY_URL": ltx_server.url, "LTX2_READY_TIMEOUT": "5"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.post(f"http://127.0.0.1:{port}/runsync", timeout=30,
                                       json={"input": {"prompt": "p", "duration": 1, "seed": 8}})
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the local API did not come up"
                time.sleep(0.2)
        body = answer.json()
        assert body["status"] == "COMPLETED", body
        assert body["output"]["seed"] == 8 and base64.b64decode(body["output"]["video"])
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_readmes_local_api_calls_work_as_pasted(ltx_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    """The README's curl lines against the real ``--rp_serve_api`` server (runpod-python's
    FastAPI app under uvicorn) on a free port: /runsync, then /run and /status/{id}, each a
    POST, each answering a finished job; the server's log holds no base64."""
    from .test_readme import blocks, section

    [calls] = [b for b in blocks(section("RunPod"), "bash") if "localhost:8000" in b]
    port = free_port()
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").mkdir()
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    with (tmp_path / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "runpod_handler.py", "--rp_serve_api", "--rp_api_port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "COMFY_URL": ltx_server.url, "LTX2_READY_TIMEOUT": "5"})
    try:
        deadline = time.monotonic() + 30
        while True:  # up when it answers (a GET of a route it serves as POST only)
            try:
                refused = requests.get(f"http://localhost:{port}/status/x", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the local API did not come up"
                time.sleep(0.2)
        assert refused.status_code == 405  # what a GET gets: "Method Not Allowed"
        done = subprocess.run(["bash", "-euo", "pipefail", "-c",
                               calls.replace("localhost:8000", f"localhost:{port}")],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              check=False)
    finally:
        proc.terminate()
        proc.wait(10)
    assert done.returncode == 0, done.stderr
    for name in ("runsync.json", "status.json"):
        answer = json.loads((tmp_path / name).read_text())
        assert answer["status"] == "COMPLETED", answer
        output = answer["output"]
        assert base64.b64decode(output["video"])[4:8] == b"ftyp"
        assert output["model"] == "ltx-2" and output["frames"] == 49
    printed = ast.literal_eval(done.stdout.strip())  # the last line: the output, no video
    assert printed == {k: v for k, v in output.items() if k != "video"}
    assert len(ltx_server.received.prompts) == 2
    server_log = (tmp_path / "server.log").read_text()
    assert "Handler output" in server_log and BASE64_RUN.findall(server_log) == []


def test_without_the_runpod_extra_the_worker_names_it() -> None:
    # as after `pip install ltx2sdk` without [runpod]: the module cannot be imported
    code = ("import sys; sys.modules['runpod'] = None; sys.argv = ['runpod_handler.py']; "
            "import runpod_handler; runpod_handler.main()")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "runpod_handler: the RunPod SDK is not installed: pip install 'ltx2sdk[runpod]'"]


def test_a_password_in_comfy_url_is_not_in_the_jobs_error() -> None:
    """The error goes back to whoever submitted the job: the server's password is ***."""
    config = WorkerConfig(comfy_url=f"http://alice:PASS-w0rd@127.0.0.1:{free_port()}",
                          ready_timeout=0.5)
    output = run_job({"id": "j", "input": {"prompt": "p"}}, config)
    assert "http://***@127.0.0.1" in output["error"] and "PASS" not in output["error"], output
    with pytest.raises(runpod_handler.WorkerConfigError) as caught:
        WorkerConfig.from_env({"COMFY_URL": "ftp://alice:PASS-w0rd@host"})
    assert "PASS" not in str(caught.value)


def test_an_unknown_comfy_host_is_a_misconfigured_worker_at_once() -> None:
    """A COMFY_URL whose host does not resolve is the worker's set-up, not a ComfyUI that is
    starting: one line at once (not LTX2_READY_TIMEOUT's, even when set), which a batch takes
    for an endpoint it cannot use."""
    config = WorkerConfig(comfy_url="http://no-such-host.invalid:8188", ready_timeout=300)
    start = time.monotonic()
    output = run_job({"id": "j", "input": {"prompt": "p"}}, config)
    assert time.monotonic() - start < 6
    assert output == {"error": "worker misconfigured: COMFY_URL: cannot reach ComfyUI at "
                               "http://no-such-host.invalid:8188: unknown host (the name "
                               "no-such-host.invalid does not resolve: check the URL)"}


def test_by_default_a_refused_comfyui_fails_the_job_in_about_a_second() -> None:
    """Nothing at COMFY_URL, LTX2_READY_TIMEOUT not set: one line after REFUSED_GRACE (1 s),
    as generate() and the CLI; the job waited 300 s for it. In the image, start.sh starts the
    handler only once ComfyUI answers (COMFY_READY_TIMEOUT), so nothing there is waited for."""
    config = WorkerConfig.from_env({"COMFY_URL": f"http://127.0.0.1:{free_port()}"})
    assert config.ready_timeout is None
    output = run_job({"id": "j", "input": {"prompt": "p"}}, config)
    assert output == {"error": f"ComfyUI at {config.comfy_url} was not ready within 1 s "
                               "(connection refused); is it running? LTX2_READY_TIMEOUT="
                               "SECONDS makes each job wait for a ComfyUI that is starting"}


def test_a_local_run_with_nothing_at_comfy_url_fails_at_once_with_one_line() -> None:
    """The README's local run with no ComfyUI: the job's one line, not 300 s of waiting (the
    process would outlive the subprocess's timeout)."""
    env = {k: v for k, v in os.environ.items() if k != "LTX2_READY_TIMEOUT"}
    url = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "runpod_handler.py", "--test_input",
         json.dumps({"input": {"prompt": "a", "duration": 2}})],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        env={**env, "COMFY_URL": url})
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if " failed with error: " in line]
    assert [line.split(" failed with error: ", 1)[1] for line in failed] == [
        f"ComfyUI at {url} was not ready within 1 s (connection refused); is it running? "
        "LTX2_READY_TIMEOUT=SECONDS makes each job wait for a ComfyUI that is starting"]
    assert "waiting up to" not in done.stderr  # nothing is waited for


def test_with_a_ready_timeout_a_refused_comfyui_is_waited_for_that_long() -> None:
    config = WorkerConfig.from_env({"COMFY_URL": f"http://127.0.0.1:{free_port()}",
                                    "LTX2_READY_TIMEOUT": "1.5"})
    started = time.monotonic()
    output = run_job({"id": "j", "input": {"prompt": "p"}}, config)
    assert time.monotonic() - started >= 1.5  # the whole wait, not REFUSED_GRACE's 1 s
    assert output == {"error": f"ComfyUI at {config.comfy_url} was not ready within 1.5 s "
                               "(connection refused); the worker waits LTX2_READY_TIMEOUT "
                               "(1.5 s) for the ComfyUI beside it to start"}


def test_with_a_ready_timeout_a_comfyui_that_is_starting_is_used(tmp_path: Path) -> None:
    with catalog_server(tmp_path, faults=Faults(slow_start=2.0)) as srv:  # refuses for 2 s
        config = WorkerConfig.from_env({"COMFY_URL": srv.url, "LTX2_READY_TIMEOUT": "30",
                                        "LTX2_JOB_TIMEOUT": "60"})
        output = run_job({"id": "j", "input": {"prompt": "p", "duration": 1}}, config)
    assert "video" in output, output


def test_by_default_a_comfyui_that_accepts_and_is_silent_is_waited_for_30_s(
        capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from ltx2sdk.backends.server_urls import DEFAULT_READY_TIMEOUT

    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = WorkerConfig(comfy_url=f"http://127.0.0.1:{silent.getsockname()[1]}")
        runpod_handler.say_if_waiting(ComfyClient(config.comfy_url), config)
    assert capsys.readouterr().err.splitlines() == [
        f"runpod_handler: waiting up to {DEFAULT_READY_TIMEOUT:g} s for ComfyUI at "
        f"{config.comfy_url} (no answer yet); LTX2_READY_TIMEOUT sets the wait"]


def test_a_refused_comfyui_is_waited_for_as_configured_and_the_line_says_so() -> None:
    config = WorkerConfig(comfy_url=f"http://127.0.0.1:{free_port()}", ready_timeout=0.5)
    output = run_job({"id": "j", "input": {"prompt": "p"}}, config)
    assert output == {"error": f"ComfyUI at {config.comfy_url} was not ready within 0.5 s "
                               "(connection refused); the worker waits LTX2_READY_TIMEOUT "
                               "(0.5 s) for the ComfyUI beside it to start"}


def test_the_log_says_when_a_job_starts_waiting_for_comfyui(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Run locally with nothing at COMFY_URL and LTX2_READY_TIMEOUT set, the worker said
    nothing while it waited: one line says what it waits for, why, and which setting sets the
    wait."""
    config = WorkerConfig(comfy_url=f"http://alice:PASS-w0rd@127.0.0.1:{free_port()}",
                          ready_timeout=0.5)
    run_job({"id": "j", "input": {"prompt": "p"}}, config)
    err = capsys.readouterr().err
    shown = config.comfy_url.replace("alice:PASS-w0rd@", "***@")
    assert err.splitlines() == [
        f"runpod_handler: waiting up to 0.5 s for ComfyUI at {shown} (connection refused); "
        "LTX2_READY_TIMEOUT sets the wait"], err


def test_the_log_says_so_too_when_comfyui_accepts_but_does_not_answer(
        capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = WorkerConfig(comfy_url=f"http://127.0.0.1:{silent.getsockname()[1]}",
                              ready_timeout=0.6)
        output = run_job({"id": "j", "input": {"prompt": "p"}}, config)
    err = capsys.readouterr().err
    assert err.splitlines()[0] == (
        f"runpod_handler: waiting up to 0.6 s for ComfyUI at {config.comfy_url} (no answer "
        "yet); LTX2_READY_TIMEOUT sets the wait"), err
    assert "error" in output


# --- what the worker writes to its log -----------------------------------------------------------

BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{64,}")  # a payload, or a piece of one


def noise_png(width: int, height: int) -> bytes:
    """A PNG that does not compress: its base64 is as long as a photo's."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_log_of_a_local_run_holds_no_base64_payload(tmp_path: Path) -> None:
    """``--test_input`` as the README runs it, with a 3 MiB video and a 66 KiB input image:
    runpod-python echoes the job's input and its output; each payload is its size, and the
    whole log stays a few KiB."""
    image = noise_png(150, 150)  # 88 KiB as base64: one argument may be 128 KiB
    with catalog_server(tmp_path) as srv:
        srv.sim.output_bytes = 3 * 1024 * 1024
        done = run_test_input_process(srv, {"prompt": "she smiles", "type": "i2v", "seed": 3,
                                            "image_base64": base64.b64encode(image).decode(),
                                            "duration": 1})
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert BASE64_RUN.findall(log) == []
    video = byte_size(len(base64.b64encode(bytes(3 * 1024 * 1024))))
    image_size = byte_size(len(base64.b64encode(image)))
    # the output, as runpod-python echoes it (1.12: twice at DEBUG, and the local result)
    [result] = [line for line in log.splitlines() if "Job result: " in line]
    assert f"'video': '<{video} base64>'" in result
    assert log.count(f"'video': '<{video} base64>'") == log.count("'video': ")
    assert f"'image_base64': '<{image_size} base64>'" in log  # the job's input
    assert "'model': 'ltx-2'" in log and "'seed': 3" in log  # what was made is still said
    assert len(log) < 12_000


def test_runpod_log_level_info_leaves_one_line_of_output(ltx_server: ComfyTestServer) -> None:
    """What the README says of ``RUNPOD_LOG_LEVEL=INFO``: runpod-python's DEBUG echoes of the
    output go, a local run's result stays (its size for the video)."""
    done = run_test_input_process(ltx_server, {"prompt": "p", "duration": 1},
                                  {"RUNPOD_LOG_LEVEL": "INFO"})
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.count("base64>'") == 1 and "Job result: " in done.stdout
    assert "Handler output" not in done.stdout and "DEBUG" not in done.stdout


@pytest.mark.parametrize(("text", "expected"), [
    ("{'video': 'AAAA', 'seed': 1}", "{'video': '<4 bytes base64>', 'seed': 1}"),
    ('{"audio_base64": "UklGRg==", "last_image_base64": "iVBO"}',
     '{"audio_base64": "<8 bytes base64>", "last_image_base64": "<4 bytes base64>"}'),
    ("{'image_url': 'data:image/png;base64," + "A" * 2048 + "'}",
     "{'image_url': 'data:image/png;base64,<2 KiB base64>'}"),
    # what is not a payload stays as it is
    ("{'prompt': 'a fox', 'video_url': 'https://b.example/x.mp4?X-Amz-Signature=" + "ab" * 32
     + "'}", "{'prompt': 'a fox', 'video_url': 'https://b.example/x.mp4?X-Amz-Signature="
     + "ab" * 32 + "'}"),
])
def test_payloads_in_a_log_message_become_their_size(text: str, expected: str) -> None:
    assert runpod_handler.without_payloads(text) == expected


def test_the_output_names_the_model_that_made_it(ltx_server: ComfyTestServer) -> None:
    config = config_for(ltx_server)
    for model in ("ltx-2", "ltx-2.3"):
        output = run_job({"id": model, "input": {"prompt": "p", "model": model,
                                                 "duration": 1}}, config)
        assert "error" not in output, output
        assert output["model"] == model and list(output)[:2] == ["video", "model"]


@pytest.mark.parametrize(("loras", "said"), [
    ([{"name": "a.safetensors", "strength": 20}], "loras.0.strength: at most 10, not 20"),
    ([None], "loras.0: must be a file name or an object"),
])
def test_the_worker_names_the_path_to_a_bad_lora_value(loras: list[Any], said: str) -> None:
    config = WorkerConfig(comfy_url=f"http://127.0.0.1:{free_port()}")
    result = runpod_handler.run_job({"id": "j", "input": {"prompt": "p", "loras": loras}}, config)
    assert result["error"].startswith(f"invalid request: {said}"), result
