"""The stand-in's emulation of what makes a batch's scheduling matter (model loads, job run
time, bandwidth: ``Simulation``'s workload fields) and its own log of it
(``state.stats``, ``GET /ltx2sdk-standin/stats``).

Counts and bytes are asserted exactly; times only from below, where the stand-in's own
waiting guarantees them (an upper bound could flake on a loaded machine: speed goals are
measured in benchmarks/bench_batch_scheduling.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.comfyserver import ComfyTestServer, Simulation
from tests.comfyserver.catalog import MODEL_COMBOS
from tests.comfyserver.workload import model_set
from tests.helpers import catalog_server, png_bytes

TIMEOUT = 10.0
CHECKPOINTS = ["a.safetensors", "b.safetensors", "c.safetensors"]
LORA = "style.safetensors"


def workflow(checkpoint: str, seed: int, lora: str | None = None) -> dict[str, Any]:
    """A small text-to-video graph on ``checkpoint`` (a seed of its own: nothing cached),
    through a LoRA when one is named; one sampler."""
    model: list[Any] = ["1", 0]
    prompt: dict[str, Any] = {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": checkpoint}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["1", 1], "text": "a fox"}},
        "4": {"class_type": "RandomNoise", "inputs": {"noise_seed": seed}},
        "5": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "7": {"class_type": "EmptyLTXVLatentVideo",
              "inputs": {"width": 64, "height": 64, "length": 9, "batch_size": 1}},
        "9": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
        "10": {"class_type": "CreateVideo", "inputs": {"images": ["9", 0], "fps": 24}},
        "11": {"class_type": "SaveVideo",
               "inputs": {"video": ["10", 0], "filename_prefix": "video/t2v", "format": "auto",
                          "codec": "auto"}},
    }
    if lora is not None:
        prompt["12"] = {"class_type": "LoraLoaderModelOnly",
                        "inputs": {"model": ["1", 0], "lora_name": lora, "strength_model": 1.0}}
        model = ["12", 0]
    prompt["3"] = {"class_type": "BasicGuider",
                   "inputs": {"model": model, "conditioning": ["2", 0]}}
    prompt["6"] = {"class_type": "BasicScheduler",
                   "inputs": {"model": model, "scheduler": "simple", "steps": 4, "denoise": 1}}
    prompt["8"] = {"class_type": "SamplerCustomAdvanced",
                   "inputs": {"noise": ["4", 0], "guider": ["3", 0], "sampler": ["5", 0],
                              "sigmas": ["6", 0], "latent_image": ["7", 0]}}
    return prompt


def run(srv: ComfyTestServer, prompt: dict[str, Any]) -> str:
    """Queue ``prompt`` and wait until the server is idle again; its prompt id."""
    response = requests.post(srv.url + "/prompt", json={"prompt": prompt}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    srv.wait_idle(TIMEOUT)
    return str(response.json()["prompt_id"])


def stats(srv: ComfyTestServer) -> dict[str, Any]:
    answer: dict[str, Any] = requests.get(srv.url + "/ltx2sdk-standin/stats",
                                          timeout=TIMEOUT).json()
    return answer


@pytest.fixture
def server(tmp_path: Path) -> Any:
    sim = Simulation(sampler_steps=2, model_load_seconds=0.01)
    with ComfyTestServer(models={"checkpoints": CHECKPOINTS, "loras": [LORA]}, sim=sim,
                         output_dir=tmp_path / "out") as srv:
        yield srv


def test_off_by_default() -> None:
    sim = Simulation()
    assert (sim.model_load_seconds, sim.models_kept, sim.job_seconds) == (0.0, 1, 0.0)
    assert sim.upload_bytes_per_s is None and sim.download_bytes_per_s is None


def test_a_model_set_loads_once_while_it_is_kept(server: ComfyTestServer) -> None:
    a, b, c = CHECKPOINTS
    seeds = iter(range(1000))
    # one set kept: the same set again loads nothing, another one does, and back again too
    for checkpoint in (a, a, b, a):
        run(server, workflow(checkpoint, next(seeds)))
    # a LoRA makes a set of its own (the checkpoint alone stays another)
    run(server, workflow(a, next(seeds), lora=LORA))
    got = stats(server)
    assert [r["loaded"] for r in got["records"]] == [True, False, True, True, True]
    assert got["model_loads"] == 4 and got["prompts"] == 5
    assert got["records"][0]["models"] == [a]
    assert got["records"][4]["models"] == [a, LORA]
    assert got["loaded"] == [[a, LORA]]
    assert all(r["load_seconds"] >= 0.01 for r in got["records"] if r["loaded"])
    assert all(r["load_seconds"] == 0 for r in got["records"] if not r["loaded"])
    assert all(r["status"] == "success" for r in got["records"])

    # two kept, the least recently used dropped first: b loads (a+LoRA kept too), a loads
    # (drops a+LoRA), b is kept, c loads (drops a, not the b just used), b is kept, a loads
    server.sim.models_kept = 2
    for checkpoint in (b, a, b, c, b, a):
        run(server, workflow(checkpoint, next(seeds)))
    got = stats(server)
    assert [r["loaded"] for r in got["records"][5:]] == [True, True, False, True, False, True]
    assert got["loaded"] == [[b], [a]]

    # POST /free unloads them, as ComfyUI does, for unload_models (which free_memory implies
    # unless it is given)
    for body, unloads in [({"unload_models": False, "free_memory": True}, False),
                          ({"unload_models": True}, True), ({"free_memory": True}, True)]:
        requests.post(server.url + "/free", json=body, timeout=TIMEOUT)
        run(server, workflow(a, next(seeds)))
        assert stats(server)["records"][-1]["loaded"] is unloads, body

    # a restart is a new process: nothing loaded; the log is kept
    server.restart()
    run(server, workflow(a, next(seeds)))
    got = server.call(server.state.stats.as_json)  # the same log, in-process
    assert got["records"][-1]["loaded"] is True
    assert got["model_loads"] == 4 + 4 + 2 + 1


def test_a_graph_without_loaders_loads_nothing(server: ComfyTestServer) -> None:
    video = {"1": {"class_type": "EmptyImage",
                   "inputs": {"width": 64, "height": 64, "batch_size": 9, "color": 0}},
             "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 24}},
             "3": {"class_type": "SaveVideo",
                   "inputs": {"video": ["2", 0], "filename_prefix": "v", "format": "auto",
                              "codec": "auto"}}}
    run(server, workflow(CHECKPOINTS[0], 1))
    run(server, video)
    run(server, workflow(CHECKPOINTS[0], 2))
    got = stats(server)
    assert [r["models"] for r in got["records"]][1] == []
    assert [r["loaded"] for r in got["records"]] == [True, False, False]


def test_sdk_pipelines_load_every_file_their_loaders_name(tmp_path: Path) -> None:
    """The sets of real builds: checkpoint, text encoder, upscaler and LoRA; the same
    pipeline with another camera LoRA is another set, ltx-2.3 another again."""
    from builders import build
    from ltx2sdk import GenerationRequest

    def files(**fields: Any) -> frozenset[str]:
        request = GenerationRequest(prompt="a fox", duration=1, **fields)
        return model_set(build(request, image_name="in.png").compile(), MODEL_COMBOS)

    t2v = files()
    i2v = files(type="i2v", image="in.png")
    dolly = files(type="i2v", image="in.png", camera_lora="dolly_in")
    newer = files(model="ltx-2.3")
    assert t2v == i2v  # one pipeline family, the same files: no reload between them
    assert len(t2v) == 4 and "ltx-2-19b-distilled.safetensors" in t2v
    assert len(t2v - dolly) == 1 and len(dolly - t2v) == 1  # only the LoRA differs
    assert t2v.isdisjoint({n for n in newer if "ltx-2.3" in n})
    assert len({t2v, dolly, newer}) == 3

    with catalog_server(tmp_path, sim=Simulation(sampler_steps=1)) as srv:
        (srv.input_dir / "in.png").write_bytes(png_bytes())
        request = GenerationRequest(prompt="a fox", duration=1, camera_lora="dolly_in",
                                    type="i2v", image="in.png")
        run(srv, build(request, image_name="in.png").compile())
        record = stats(srv)["records"][0]
        assert record["status"] == "success", record
        assert frozenset(record["models"]) == dolly and record["loaded"] is True


def test_job_seconds_spread_over_the_sampler_steps(server: ComfyTestServer) -> None:
    server.sim.job_seconds = 0.2
    run(server, workflow(CHECKPOINTS[0], 1))
    run(server, workflow(CHECKPOINTS[0], 2))
    got = stats(server)
    # each prompt ran at least its job time (the first one loaded its set on top)
    assert all(r["seconds"] >= 0.2 for r in got["records"])
    assert got["records"][0]["seconds"] >= 0.2 + 0.01


def test_busy_and_idle_time_add_up(server: ComfyTestServer) -> None:
    run(server, workflow(CHECKPOINTS[0], 1))
    time.sleep(0.1)  # the server waits for its client this long at least
    run(server, workflow(CHECKPOINTS[0], 2))
    got = stats(server)
    first, second = got["records"]
    assert got["idle_seconds"] >= 0.1
    assert got["busy_seconds"] == pytest.approx(first["seconds"] + second["seconds"])
    assert got["span_seconds"] == pytest.approx(second["ended"] - first["started"])
    assert got["busy_seconds"] + got["idle_seconds"] == pytest.approx(got["span_seconds"])
    assert first["idle_before"] is None and second["idle_before"] >= 0.1
    assert second["idle_before"] == pytest.approx(got["idle_seconds"])


def test_a_prompt_queued_ahead_is_logged_so(server: ComfyTestServer) -> None:
    """A client that queues the next prompt while one runs: the second was queued before
    the first ended, and the server did not wait between them."""
    server.sim.job_seconds = 0.2
    for seed in (1, 2):
        answer = requests.post(server.url + "/prompt",
                               json={"prompt": workflow(CHECKPOINTS[0], seed)}, timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
    server.wait_idle(TIMEOUT)
    first, second = stats(server)["records"]
    assert first["queued"] <= first["started"]
    assert second["queued"] < first["ended"] <= second["started"]
    assert second["idle_before"] == pytest.approx(second["started"] - first["ended"])


def test_an_interrupted_job_is_logged_as_such(server: ComfyTestServer) -> None:
    server.sim.job_seconds = 30.0  # cut short by the interrupt
    response = requests.post(server.url + "/prompt",
                             json={"prompt": workflow(CHECKPOINTS[0], 1)}, timeout=TIMEOUT)
    prompt_id = response.json()["prompt_id"]
    deadline = time.monotonic() + TIMEOUT
    while stats(server)["records"] == [] and time.monotonic() < deadline:
        time.sleep(0.01)
    requests.post(server.url + "/interrupt", json={"prompt_id": prompt_id}, timeout=TIMEOUT)
    server.wait_idle(TIMEOUT)
    record = stats(server)["records"][0]
    assert record["status"] == "interrupted" and record["prompt_id"] == prompt_id


def test_bandwidth_caps_pace_uploads_and_downloads(tmp_path: Path) -> None:
    rate = 1_000_000.0
    sim = Simulation(sampler_steps=1, output_bytes=300_000, upload_bytes_per_s=rate,
                     download_bytes_per_s=rate)
    with ComfyTestServer(models={"checkpoints": CHECKPOINTS}, sim=sim,
                         output_dir=tmp_path / "out") as srv:
        image = png_bytes() + b"\0" * 200_000  # a PNG with trailing bytes: 200 kB to send
        started = time.monotonic()
        answer = requests.post(srv.url + "/upload/image",
                               files={"image": ("in.png", image, "image/png")}, timeout=TIMEOUT)
        upload_took = time.monotonic() - started
        assert answer.status_code == 200, answer.text

        pid = run(srv, workflow(CHECKPOINTS[0], 1))
        item = srv.history()[pid]["outputs"]["11"]["images"][0]
        started = time.monotonic()
        view = requests.get(srv.url + "/view", params=item, timeout=TIMEOUT)
        download_took = time.monotonic() - started
        assert view.status_code == 200
        assert len(view.content) == 300_000 == int(view.headers["Content-Length"])
        assert view.headers["Content-Type"] == "video/mp4"

        got = stats(srv)
        assert got["uploads"]["count"] == 1 and got["uploads"]["bytes"] == len(image)
        assert got["downloads"] == {"count": 1, "bytes": 300_000,
                                    "seconds": got["downloads"]["seconds"]}
        # the stand-in waits until each body is no faster than the cap
        assert got["uploads"]["seconds"] >= len(image) / rate
        assert got["downloads"]["seconds"] >= 300_000 / rate
        # so the client sees it: the upload's answer comes after the whole body was read, the
        # download's last bytes once the whole body had its time
        assert upload_took >= len(image) / rate
        assert download_took >= 300_000 / rate

        srv.sim.download_bytes_per_s = None  # uncapped: counted, sent at once
        assert len(requests.get(srv.url + "/view", params=item, timeout=TIMEOUT).content) \
            == 300_000
        assert stats(srv)["downloads"]["count"] == 2


def test_command_line_flags_reach_the_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.comfyserver import __main__ as cli

    made: list[Simulation] = []

    class Stop(Exception):
        pass

    class Recorder:
        def __init__(self, **options: Any) -> None:
            made.append(options["sim"])

        def start(self) -> None:
            raise Stop

        def stop(self) -> None:
            pass

    monkeypatch.setattr(cli, "ComfyTestServer", Recorder)
    with pytest.raises(Stop):
        cli.main(["--port", "0", "--model-load-seconds", "2.5", "--models-kept", "2",
                  "--job-seconds", "0.4", "--upload-bytes-per-s", "1e6",
                  "--download-bytes-per-s", "5e7", "--no-frontend"])
    sim = made[0]
    assert (sim.model_load_seconds, sim.models_kept, sim.job_seconds) == (2.5, 2, 0.4)
    assert (sim.upload_bytes_per_s, sim.download_bytes_per_s) == (1e6, 5e7)
