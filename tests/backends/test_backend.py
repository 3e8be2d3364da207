"""The backend protocol: the same behaviour from native ComfyUI and from the Comfy API v2.

Every test here runs twice over one stand-in ComfyUI: through its native API (``ComfyClient``)
and through the real ``comfy-api-proxy`` in front of it (``V2Backend``); ``connect()`` makes
both, telling the two apart by asking the server. What only one of them does is tested beside
its code (``test_client.py``, ``test_v2.py``).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ltx2sdk import Backend, connect, generate
from ltx2sdk.app.progress import ProgressUpdate
from ltx2sdk.backends.events import Event, ExecutionFailed, ExecutionStarted, Finished, NodeExecuted
from ltx2sdk.backends.protocol import NotChecked
from ltx2sdk.errors import (
    ExecutionError,
    JobCancelledError,
    JobTimeoutError,
    PromptRejectedError,
    ServerValidationError,
)
from ltx2sdk.media.file_formats import verify_file
from tests.comfyserver import ComfyTestServer, Hang
from tests.conftest import ProxiedComfy
from tests.helpers import DEADLINE_SLACK, model_free_graph, png_bytes

APIS = ["comfyui", "v2"]
_colors = itertools.count(0x100001, 7919)  # an input of its own for each graph run here


def backend_for(api: str, server: ProxiedComfy) -> Backend:
    """The backend ``connect()`` makes for ``api``'s URL of ``server`` (asked, not told)."""
    backend = connect(server.comfy.url if api == "comfyui" else server.url)
    assert backend.api == api
    return backend


@pytest.fixture(params=APIS)
def backend(request: pytest.FixtureRequest, v2_server: ProxiedComfy) -> Iterator[Backend]:
    made = backend_for(request.param, v2_server)
    yield made
    made.close()


@pytest.fixture(params=APIS)
def failing_backend(request: pytest.FixtureRequest,
                    v2_placeholder_server: ProxiedComfy) -> Iterator[Backend]:
    """A backend whose server has only empty (placeholder) model files."""
    made = backend_for(request.param, v2_placeholder_server)
    yield made
    made.close()


def history_status(server: ComfyTestServer, prompt_id: str, timeout: float = 10.0) -> str:
    """The stand-in's own word on how ``prompt_id`` ended (its history's last message)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        entry = requests.get(f"{server.url}/history/{prompt_id}", timeout=5).json().get(
            prompt_id)
        if entry is not None:
            return str(entry["status"]["messages"][-1][0])
        time.sleep(0.1)
    raise AssertionError(f"prompt {prompt_id} did not end within {timeout} s")


def test_both_are_backends_and_say_what_they_can_check(backend: Backend) -> None:
    assert isinstance(backend, Backend)
    assert backend.can_check is (backend.api == "comfyui")
    report = backend.check(model_free_graph())
    assert report.ok
    if backend.api == "v2":  # it cannot check, and says so rather than pretend
        assert isinstance(report, NotChecked) and not report.checked
        assert "not checked" in report.reason and report.undecided == [report.reason]
        assert backend.schemas() is None
    else:
        assert not isinstance(report, NotChecked) and backend.schemas() is not None


def test_the_model_free_graph_runs_to_an_mp4(backend: Backend, v2_server: ProxiedComfy,
                                             tmp_path: Path) -> None:
    events: list[Event] = []
    queued: list[str] = []
    result = backend.run(model_free_graph(next(_colors)), output_dir=tmp_path,
                         on_event=events.append, on_queued=queued.append, timeout=30)
    assert queued == [result.prompt_id]
    # the job is the stand-in's prompt, whichever way it came
    assert result.prompt_id in [p["prompt_id"] for p in v2_server.comfy.received.prompts]
    [output] = result.outputs
    assert output.node_id == "3" and output.filename.endswith(".mp4") and output.is_video
    video = result.files[output]
    assert video.parent == tmp_path and video.read_bytes()[4:8] == b"ftyp"
    verify_file(video, video=True)  # whole: its boxes run to the end of the file
    assert isinstance(events[0], ExecutionStarted) and isinstance(events[-1], Finished)
    assert any(isinstance(e, NodeExecuted) and e.node_id == "3" for e in events)
    assert {e.prompt_id for e in events} == {result.prompt_id}
    assert result.started_at is not None and result.queued_at <= result.finished_at


def test_t2v_generates_with_progress(backend: Backend, v2_server: ProxiedComfy,
                                    tmp_path: Path) -> None:
    updates: list[ProgressUpdate] = []
    seed = next(_colors)
    v2_server.comfy.sim.step_delay = 0.4  # each sampler: 1.2 s, reported step by step
    try:
        result = generate({"prompt": "a fox in the snow", "duration": 1, "width": 256,
                           "height": 256, "seed": seed}, backend, output=tmp_path / "fox.mp4",
                          output_dir=tmp_path, on_progress=updates.append, timeout=60)
    finally:
        v2_server.comfy.sim.step_delay = 0.0
    assert result.video == tmp_path / "fox.mp4" and result.video.read_bytes()[4:8] == b"ftyp"
    assert (result.seed, result.type, result.width, result.height) == (seed, "t2v", 256, 256)
    [posted] = [p for p in v2_server.comfy.received.prompts
                if p["prompt_id"] == result.prompt_id]
    graph = posted["prompt"]
    assert [n["class_type"] for n in graph.values()].count("SamplerCustomAdvanced") == 2
    assert any(n["inputs"].get("noise_seed") == seed for n in graph.values())
    assert updates[0].stage == "started" and updates[-1].done and updates[-1].percent == 100
    # the stages by their titles, with steps (the proxy passes on fewer of them: 2 a second)
    stages = {u.stage for u in updates if u.steps == 3}
    assert {"Stage 1 sampling", "Stage 2 sampling"} <= stages, [str(u) for u in updates]
    percents = [u.percent for u in updates]
    assert percents == sorted(percents)


def test_i2v_generates_from_the_uploaded_image(backend: Backend, v2_server: ProxiedComfy,
                                               tmp_path: Path) -> None:
    png = png_bytes(17 + next(_colors) % 50, 16)  # bytes the server has not seen
    result = generate({"prompt": "she smiles", "type": "i2v", "duration": 1, "width": 256,
                       "height": 256, "image_base64": base64.b64encode(png).decode()},
                      backend, output_dir=tmp_path, timeout=60)
    assert result.video.read_bytes()[4:8] == b"ftyp" and result.type == "i2v"
    [upload] = [u for u in v2_server.comfy.received.uploads
                if u.sha256 == hashlib.sha256(png).hexdigest()]  # the image itself, unchanged
    [posted] = [p for p in v2_server.comfy.received.prompts
                if p["prompt_id"] == result.prompt_id]
    loads = [n["inputs"]["image"] for n in posted["prompt"].values()
             if n["class_type"] == "LoadImage"]
    assert loads == [upload.name]  # the server's LoadImage reads that very file


def test_an_execution_error_names_its_node(failing_backend: Backend,
                                           v2_placeholder_server: ProxiedComfy,
                                           tmp_path: Path) -> None:
    """Empty model files validate; the server fails at a loader, and says which."""
    events: list[Event] = []
    with pytest.raises(ExecutionError) as err:
        generate({"prompt": "p", "duration": 1, "width": 256, "height": 256,
                  "seed": next(_colors)}, failing_backend, output_dir=tmp_path,
                 on_event=events.append, timeout=30)
    failure = err.value
    [posted] = [p for p in v2_placeholder_server.comfy.received.prompts
                if p["prompt_id"] == failure.prompt_id]
    node = posted["prompt"][failure.node_id]
    assert node["class_type"] == failure.node_type and "Loader" in failure.node_type
    assert f"node {failure.node_id} ({failure.node_type}) failed" in str(failure)
    assert "header too small" in failure.exception_message  # the server's own words
    [failed] = [e for e in events if isinstance(e, ExecutionFailed)]
    assert (failed.node_id, failed.node_type) == (failure.node_id, failure.node_type)


def test_a_cancel_stops_the_running_job(backend: Backend, v2_server: ProxiedComfy) -> None:
    comfy = v2_server.comfy
    comfy.faults.node_delay = 0.4  # three nodes: over a second of work
    cancel = threading.Event()
    queued: list[str] = []

    def on_event(event: Event) -> None:
        if isinstance(event, ExecutionStarted):
            threading.Timer(0.2, cancel.set).start()

    start = time.monotonic()
    try:
        with pytest.raises(JobCancelledError) as err:
            backend.run(model_free_graph(next(_colors)), on_event=on_event,
                        on_queued=queued.append, cancel=cancel, timeout=30)
        elapsed = time.monotonic() - start
    finally:
        comfy.faults.node_delay = 0.0
    assert elapsed < 1.2 + DEADLINE_SLACK  # noticed within a second, not after the job
    [prompt_id] = queued
    assert err.value.prompt_id == prompt_id
    assert history_status(comfy, prompt_id) == "execution_interrupted"  # stopped on the server


def test_a_cancel_before_submission_sends_nothing(backend: Backend,
                                                  v2_server: ProxiedComfy) -> None:
    before = len(v2_server.comfy.received.prompts)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(JobCancelledError, match="before"):
        backend.run(model_free_graph(next(_colors)), cancel=cancel, timeout=30)
    assert len(v2_server.comfy.received.prompts) == before


def test_past_the_deadline_the_job_is_stopped(backend: Backend, v2_server: ProxiedComfy) -> None:
    comfy = v2_server.comfy
    comfy.faults.hang = Hang.STALLED  # the job starts, then nothing more happens
    queued: list[str] = []
    start = time.monotonic()
    try:
        with pytest.raises(JobTimeoutError):
            backend.run(model_free_graph(next(_colors)), on_queued=queued.append, timeout=1.5)
        elapsed = time.monotonic() - start
    finally:
        comfy.faults.hang = Hang.NONE
    assert 1.4 < elapsed < 1.5 + DEADLINE_SLACK
    assert history_status(comfy, queued[0]) == "execution_interrupted"


def test_a_graph_the_server_cannot_run_is_refused_before_it_runs(
        backend: Backend, v2_server: ProxiedComfy) -> None:
    """Native ComfyUI: the SDK's check finds it. The v2 API: the server refuses the job."""
    graph = model_free_graph(next(_colors)).compile()
    graph["1"] = {"class_type": "LoadImage", "inputs": {"image": "no-such-image.png"}}
    before = len(v2_server.comfy.received.prompts)
    with pytest.raises((ServerValidationError, PromptRejectedError)) as err:
        backend.run(graph, timeout=30)
    assert "no-such-image.png" in str(err.value)
    if backend.api == "v2":
        assert isinstance(err.value, PromptRejectedError)
        assert [(e.node_id, e.class_type) for e in err.value.node_errors] == [("1", "LoadImage")]
    else:  # the SDK's check refused it: nothing was sent
        assert len(v2_server.comfy.received.prompts) == before
