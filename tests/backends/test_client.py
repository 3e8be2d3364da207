"""ComfyClient against the ComfyUI test server: real sockets, captured protocol, faults."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk import Graph, Nodes
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.comfyui.wire import outputs_from_history
from ltx2sdk.backends.events import (
    Event,
    ExecutionStarted,
    Finished,
    NodeExecuted,
    NodeExecuting,
    NodesCached,
    Progress,
)
from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    JobTimeoutError,
    PromptLostError,
    PromptRejectedError,
    ServerUnavailableError,
    UploadError,
)
from tests.comfyserver import ComfyTestServer, Hang
from tests.helpers import DEADLINE_SLACK, RELEASES, catalog_models, catalog_server, model_free_graph


def sampled_graph() -> Graph:
    """A graph with a sampler, so the server emits progress and takes a while."""
    g = Graph()
    n = Nodes(g)
    model, _, vae = n.CheckpointLoaderSimple("ltx-2-19b-distilled.safetensors")
    latent = n.EmptyLTXVLatentVideo(64, 64, 9)
    clip = n.LTXAVTextEncoderLoader("gemma_3_12B_it.safetensors",
                                    "ltx-2-19b-distilled.safetensors")
    cond = n.CLIPTextEncode("p", clip)
    _, denoised = n.SamplerCustomAdvanced(n.RandomNoise(1), n.CFGGuider(model, cond, cond, 1.0),
                                          n.KSamplerSelect("euler"), n.ManualSigmas("1, 0.5, 0"),
                                          latent)
    n.SaveVideo(n.CreateVideo(n.VAEDecode(denoised, vae), 24), "video/sampled")
    return g


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_graph() -> Graph:
    """The README's model-free example, executed as written (up to its SaveVideo line)."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [block] = [b for b in blocks if "n.EmptyImage(" in b and "n.SaveVideo(" in b]
    lines = block.splitlines()
    end = next(i for i, line in enumerate(lines) if "n.SaveVideo(" in line)
    namespace: dict[str, Any] = {}
    exec("\n".join(lines[: end + 1]), namespace)
    graph = namespace["g"]
    assert isinstance(graph, Graph)
    return graph


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_model_free_graph_runs_and_its_mp4_is_downloaded(versioned_server: ComfyTestServer,
                                                          tmp_path: Path) -> None:
    """The README's EmptyImage -> CreateVideo -> SaveVideo, on each tested release."""
    graph = readme_graph()
    assert [n.class_type for n in graph.nodes] == ["EmptyImage", "CreateVideo", "SaveVideo"]
    client = ComfyClient(versioned_server.url)
    assert client.comfyui_version == versioned_server.comfyui_version
    events: list[Event] = []
    result = client.run(graph, output_dir=tmp_path / "out", on_event=events.append, timeout=20)
    [video] = result.outputs
    assert (video.kind, video.animated, video.subfolder) == ("images", True, "video")
    assert video.filename.endswith(".mp4")
    local = result.files[video]
    served = versioned_server.output_dir / video.subfolder / video.filename
    assert local.read_bytes() == served.read_bytes() and local.stat().st_size > 1000
    assert local.read_bytes()[4:8] == b"ftyp"  # an mp4 container
    assert versioned_server.received.prompts[-1]["prompt"] == graph.compile()
    kinds = [type(e) for e in events]
    assert kinds[0] is ExecutionStarted and kinds[1] is NodesCached and kinds[-1] is Finished
    assert [e.node_id for e in events if isinstance(e, NodeExecuting)] == ["1", "2", "3"]
    assert any(isinstance(e, NodeExecuted) and e.node_id == "3" for e in events)
    assert result.started_at is not None and result.finished_at >= result.started_at


def test_a_cached_rerun_still_yields_its_output(comfy_server: ComfyTestServer,
                                                tmp_path: Path) -> None:
    client = ComfyClient(comfy_server.url)
    first = client.run(model_free_graph(), output_dir=tmp_path / "a", timeout=20)
    again = client.run(model_free_graph(), output_dir=tmp_path / "b", timeout=20)
    assert again.cached_nodes == ("1", "2", "3")
    [video] = again.outputs
    assert [video.filename] == [o.filename for o in first.outputs]
    assert again.files[video].read_bytes()[4:8] == b"ftyp"


def test_progress_events_carry_steps(comfy_server: ComfyTestServer) -> None:
    comfy_server.sim.sampler_steps = 4
    progress: list[Progress] = []
    ComfyClient(comfy_server.url).run(
        sampled_graph(), timeout=20,
        on_event=lambda e: progress.append(e) if isinstance(e, Progress) else None)
    assert [(p.value, p.max) for p in progress] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_rejected_prompt_lists_each_node_error(comfy_server: ComfyTestServer) -> None:
    api = model_free_graph().compile()
    api["2"]["inputs"]["images"] = ["3", 0]  # a VIDEO into an IMAGE input, made by hand
    del api["1"]["inputs"]["width"]
    client = ComfyClient(comfy_server.url)
    with pytest.raises(PromptRejectedError) as err:
        client.queue(api, client_id="c")
    assert err.value.error_type == "prompt_outputs_failed_validation"
    found = {(e.node_id, e.type) for e in err.value.node_errors}
    assert ("2", "return_type_mismatch") in found
    assert all(e.class_type != "?" for e in err.value.node_errors)


def test_execution_error_names_node_and_exception(comfy_server: ComfyTestServer) -> None:
    comfy_server.faults.error_at_class = "CreateVideo"
    comfy_server.faults.error_type = "ValueError"
    with pytest.raises(ExecutionError) as err:
        ComfyClient(comfy_server.url).run(model_free_graph(), timeout=20)
    assert (err.value.node_id, err.value.node_type, err.value.exception_type) == (
        "2", "CreateVideo", "ValueError")
    assert "node 2 (CreateVideo) failed: ValueError" in str(err.value)


@pytest.mark.parametrize("version", RELEASES)
def test_placeholder_model_fails_at_the_loader(tmp_path: Path, version: str) -> None:
    empty = {"checkpoints": catalog_models()["checkpoints"]}
    with catalog_server(tmp_path, comfyui_version=version, placeholders=empty) as srv:
        with pytest.raises(ExecutionError) as err:
            ComfyClient(srv.url).run(sampled_graph(), timeout=20)
        assert len(srv.received.prompts) == 1  # queued: the server found the failure
    assert err.value.node_type == "CheckpointLoaderSimple"
    assert "SafetensorError" in err.value.exception_type


def _only(api: dict[str, Any], class_type: str) -> dict[str, Any]:
    [node] = [n for n in api.values() if n["class_type"] == class_type]
    return node


@pytest.mark.parametrize("versioned_server", ["0.33.0"], indirect=True)
def test_a_033_prompt_with_an_int_frame_rate_and_a_bare_dynamic_codec_is_run(
        versioned_server: ComfyTestServer, tmp_path: Path) -> None:
    """0.33.0 declares LTXVEmptyLatentAudio.frame_rate "FLOAT,INT" and SaveVideo.codec a
    dynamic combo whose h264 'encoding' is optional: the server runs both as written, so
    the SDK must queue them unchanged, as raw API JSON and as a graph loaded from it."""
    from builders import build
    from ltx2sdk import GenerationRequest

    srv = versioned_server
    client = ComfyClient(srv.url)
    declared = client.object_info()
    assert declared["LTXVEmptyLatentAudio"]["input"]["required"]["frame_rate"][0] == "FLOAT,INT"
    assert declared["SaveVideo"]["input"]["required"]["codec"][0] == "COMFY_DYNAMICCOMBO_V3"
    api = copy.deepcopy(build(GenerationRequest(prompt="p", duration=1, seed=4),
                              schemas=client.schemas()).compile())
    _only(api, "LTXVEmptyLatentAudio")["inputs"]["frame_rate"] = 24
    save = _only(api, "SaveVideo")["inputs"]
    for name in [k for k in save if k.startswith("codec")]:
        del save[name]
    save["codec"] = "h264"

    report = client.check(api)
    assert report.ok, (report.other, report.runtime)
    result = client.run(api, output_dir=tmp_path / "raw", timeout=20)
    assert srv.received.prompts[-1]["prompt"] == api  # queued as given
    [video] = result.files.values()
    assert video.read_bytes()[4:8] == b"ftyp"

    graph = Graph.from_api(api, client.schemas())
    result = client.run(graph, output_dir=tmp_path / "typed", timeout=20)
    posted = srv.received.prompts[-1]["prompt"]
    assert _only(posted, "LTXVEmptyLatentAudio")["inputs"]["frame_rate"] == 24
    assert {k: v for k, v in _only(posted, "SaveVideo")["inputs"].items()
            if k.startswith("codec")} == {"codec": "h264"}
    assert len(srv.received.prompts) == 2 and len(result.files) == 1


def test_an_080_server_ignores_the_026_input_bit_depth_so_the_sdk_sends_it(
        tmp_path: Path) -> None:
    """CreateVideo.bit_depth came with 0.26; 0.8.0 ignores inputs it does not declare."""
    with ComfyTestServer(comfyui_version="0.8.0", models={}, output_dir=tmp_path / "srv") as srv:
        client = ComfyClient(srv.url)
        assert "bit_depth" not in str(client.object_info()["CreateVideo"]["input"])
        api = copy.deepcopy(readme_graph().compile())
        _only(api, "CreateVideo")["inputs"]["bit_depth"] = 10
        assert client.check(api).ok
        result = client.run(api, output_dir=tmp_path / "out", timeout=20)
        assert srv.received.prompts[-1]["prompt"] == api
    [video] = result.files.values()
    assert video.read_bytes()[4:8] == b"ftyp"


def test_socket_drop_mid_run_recovers_the_output(comfy_server: ComfyTestServer,
                                                 tmp_path: Path) -> None:
    comfy_server.faults.drop_ws_after = 5
    comfy_server.sim.sampler_steps = 5
    comfy_server.sim.step_delay = 0.05
    client = ComfyClient(comfy_server.url, receive_timeout=0.5)
    result = client.run(sampled_graph(), output_dir=tmp_path, timeout=20)
    [video] = result.files.values()
    assert video.read_bytes()[4:8] == b"ftyp"


def test_socket_drop_at_every_point_of_a_run_loses_nothing(comfy_server: ComfyTestServer,
                                                           tmp_path: Path) -> None:
    client = ComfyClient(comfy_server.url, receive_timeout=0.3)
    endings_seen = []
    for drop_after in range(1, 17):  # the capture's run sends 17 messages after connecting
        comfy_server.faults.drop_ws_after = drop_after
        events: list[Event] = []
        result = client.run(model_free_graph(color=drop_after),
                            output_dir=tmp_path / str(drop_after), on_event=events.append,
                            timeout=20)
        assert len(result.files) == 1 and next(iter(result.files.values())).exists()
        endings_seen.append(any(isinstance(e, Finished) for e in events))
    # some drops hid the end of the run: those results came from /history
    assert not all(endings_seen)


def test_events_resume_after_a_reconnect(comfy_server: ComfyTestServer) -> None:
    comfy_server.faults.drop_ws_after = 6  # early in the sampler's steps
    comfy_server.sim.sampler_steps = 20
    comfy_server.sim.step_delay = 0.1
    progress: list[int] = []
    ComfyClient(comfy_server.url, receive_timeout=0.3).run(
        sampled_graph(), timeout=20,
        on_event=lambda e: progress.append(e.value) if isinstance(e, Progress) else None)
    assert progress and progress[-1] >= 15, progress  # steps kept arriving after the drop


def test_restart_losing_the_prompt_is_an_error_not_a_success(
        comfy_server: ComfyTestServer) -> None:
    comfy_server.faults.restart_at_class = "CreateVideo"
    client = ComfyClient(comfy_server.url, receive_timeout=0.5)
    # a client that missed the loss would wait out the 20 s and raise JobTimeoutError instead
    with pytest.raises(PromptLostError, match="no longer knows prompt"):
        client.run(model_free_graph(), timeout=20)


def test_hang_ends_at_the_deadline_and_interrupts(comfy_server: ComfyTestServer) -> None:
    comfy_server.faults.hang = Hang.STALLED
    client = ComfyClient(comfy_server.url, receive_timeout=0.3)
    start = time.monotonic()
    with pytest.raises(JobTimeoutError):
        client.run(model_free_graph(), timeout=1.5)
    assert time.monotonic() - start < 1.5 + DEADLINE_SLACK  # the deadline is the subject
    assert comfy_server.received.interrupts, "the stuck prompt was not interrupted"


def test_http_hang_ends_at_the_request_timeout(comfy_server: ComfyTestServer) -> None:
    comfy_server.faults.hang = Hang.NO_RESPONSE
    client = ComfyClient(comfy_server.url, request_timeout=1.0)
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError):
        client.run(model_free_graph(), timeout=30)
    # the subject: the 1 s request timeout ends it, not the job's 30 s
    assert time.monotonic() - start < 1.0 + DEADLINE_SLACK


def test_interrupt_from_another_thread(comfy_server: ComfyTestServer) -> None:
    comfy_server.sim.sampler_steps = 50
    comfy_server.sim.step_delay = 0.05
    client = ComfyClient(comfy_server.url)

    timers: list[threading.Timer] = []

    def interrupt_when_queued(prompt_id: str) -> None:
        timers.append(threading.Timer(0.3, client.interrupt, args=(prompt_id,)))
        timers[0].start()

    with pytest.raises(ExecutionInterruptedError) as err:
        client.run(sampled_graph(), timeout=20, on_queued=interrupt_when_queued)
    timers[0].join()  # its last request must finish while the server still runs
    assert err.value.node_type == "SamplerCustomAdvanced"


def test_slow_start_is_waited_for(tmp_path: Path) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv:
        srv.stop()
        srv.faults.slow_start = 1.0
        srv.start()
        stats = ComfyClient(srv.url).wait_ready(timeout=10, interval=0.1)
        assert "system" in stats


def test_unreachable_server_fails_by_the_deadline() -> None:
    client = ComfyClient("http://127.0.0.1:9")  # discard port: nothing listens
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError, match="not ready within 1 s"):
        client.wait_ready(timeout=1, interval=0.2)
    assert time.monotonic() - start < 1 + DEADLINE_SLACK  # the deadline is the subject


def test_an_upload_the_server_renames_is_bound_at_submission(
        comfy_server: ComfyTestServer) -> None:
    """ComfyUI keeps a second ``in.png`` as ``in (1).png``: the client answers the name it
    was given, and the prompts it checks and queues say the name the server kept."""
    client = ComfyClient(comfy_server.url)
    assert client.upload_file(b"\x89PNG first", "in.png") == "in.png"
    assert client.upload_file(b"\x89PNG other", "in.png") == "in.png"
    assert [u.name for u in comfy_server.received.uploads] == ["in.png", "in (1).png"]
    prompt = {"1": {"class_type": "LoadImage", "inputs": {"image": "in.png"}},
              "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    assert client.bound(prompt)["1"]["inputs"]["image"] == "in (1).png"
    assert prompt["1"]["inputs"]["image"] == "in.png"  # the caller's graph is left as it is
    client.queue(prompt, client_id="c")
    assert comfy_server.received.prompts[-1]["prompt"]["1"]["inputs"]["image"] == "in (1).png"
    assert client.upload_file(b"\x89PNG third", "fresh.png", overwrite=True) == "fresh.png"
    assert client.bound(prompt)["1"]["inputs"]["image"] == "in (1).png"


def test_a_413_upload_is_an_error(comfy_server: ComfyTestServer) -> None:
    client = ComfyClient(comfy_server.url)
    comfy_server.faults.max_upload_bytes = 1000
    with pytest.raises(UploadError, match="Maximum request body size 1000 exceeded"):
        client.upload_file(b"x" * 5000, "big.png")


def test_one_client_serves_several_threads(comfy_server: ComfyTestServer,
                                           tmp_path: Path) -> None:
    comfy_server.sim.sampler_steps = 3
    client = ComfyClient(comfy_server.url)
    results: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def job(i: int) -> None:
        try:
            run = client.run(model_free_graph(color=i), output_dir=tmp_path / str(i), timeout=30)
            results[i] = [sha256(p) for p in run.files.values()]
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == [0, 1, 2, 3] and all(len(v) == 1 for v in results.values())


def test_check_lists_missing_nodes_and_models_with_their_folder(tmp_path: Path,
                                                               object_info: dict[str, Any]) -> None:
    old = {k: v for k, v in object_info.items() if not k.startswith("LTX")}  # pre-0.8 server
    with ComfyTestServer(models={"checkpoints": ["ltx-2-19b-distilled.safetensors"]},
                         object_info=old, output_dir=tmp_path) as srv:
        from builders import build
        from ltx2sdk import GenerationRequest

        report = ComfyClient(srv.url).check(build(GenerationRequest(prompt="p")).graph)
    assert "LTXVConditioning" in report.missing_nodes and "LTXVScheduler" not in \
        report.missing_nodes  # only what the graph uses
    assert ("latent_upscale_models", "ltx-2-spatial-upscaler-x2-1.0.safetensors") in \
        report.missing_models
    assert ("checkpoints", "ltx-2-19b-distilled.safetensors") not in report.missing_models
    assert not report.ok


def test_outputs_of_every_kind_are_kept() -> None:
    entry = {"outputs": {
        "9": {"images": [{"filename": "a.mp4", "subfolder": "video", "type": "output"}],
              "animated": [True]},
        "10": {"gifs": [{"filename": "b.mp4", "subfolder": "", "type": "output"}]},
        "11": {"audio": [{"filename": "c.flac", "subfolder": "audio", "type": "output"}],
               "text": ["not a file"]},
        "12": {"videos": [{"filename": "d.webm", "subfolder": "", "type": "temp"}]},
    }}
    files = outputs_from_history(entry)
    assert [(f.node_id, f.kind, f.filename) for f in files] == [
        ("9", "images", "a.mp4"), ("10", "gifs", "b.mp4"), ("11", "audio", "c.flac"),
        ("12", "videos", "d.webm")]
    assert files[0].animated


def test_a_500_or_non_json_answer_is_a_typed_error(comfy_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    from ltx2sdk.backends.comfyui.client import OutputFile
    from ltx2sdk.backends.comfyui.transport import HttpTransport
    from ltx2sdk.errors import OutputError, ServerResponseError

    client = ComfyClient(comfy_server.url)
    answer = HttpTransport(comfy_server.url).exchange(
        "POST", "/prompt", data=b"{not json", headers={"Content-Type": "application/json"})
    with pytest.raises(ServerResponseError, match="HTTP 500") as err:
        answer.json()
    assert err.value.status == 500 and "Server got itself in trouble" in err.value.body
    missing = OutputFile("9", "images", "missing.mp4", "", "output", True)
    with pytest.raises(OutputError, match="HTTP 404"):
        client.download(missing, tmp_path / "missing.mp4")


# --- through an in-memory transport (no socket) -------------------------------------------

MP4 = (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"  # a whole mp4: ftyp, mdat,
       b"\x00\x00\x00\x0cmdat\x00\x00\x00\x00\x00\x00\x00\x08moov")  # then the index


class ScriptedSocket:
    """The prompt's WebSocket, as a list of messages (an exception drops the socket)."""

    def __init__(self, script: list[dict[str, Any] | Exception]) -> None:
        self.script = script
        self.closed = False

    def receive(self, timeout: float) -> dict[str, Any] | None:
        if not self.script:
            return None  # silence
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        self.closed = True


class ScriptedComfy:
    """A ComfyUI in memory, one method per route (the client's ComfyTransport): it takes
    one prompt, tells its run over the socket and keeps its history."""

    def __init__(self, object_info: dict[str, Any], *, drop_socket: bool = False) -> None:
        self.info = object_info
        self.drop_socket = drop_socket
        self.prompts: list[dict[str, Any]] = []
        self.sockets: list[ScriptedSocket] = []
        self.calls: list[str] = []
        self.closed = False

    def _run_of(self, prompt_id: str) -> list[dict[str, Any] | Exception]:
        def message(kind: str, **data: Any) -> dict[str, Any]:
            return {"type": kind, "data": {"prompt_id": prompt_id, **data}}
        run: list[dict[str, Any] | Exception] = [
            {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 1}}}},
            message("execution_start"), message("execution_cached", nodes=[]),
            message("executing", node="1"), message("progress", node="1", value=1, max=2),
            message("executing", node="3"),
            message("executed", node="3", output={"images": []}),
            message("execution_success"), message("executing", node=None)]
        return [run[0], run[1], ServerUnavailableError("dropped")] if self.drop_socket else run

    def _entry(self) -> dict[str, Any]:
        return {"status": {"status_str": "success", "completed": True, "messages": []},
                "outputs": {"3": {"images": [{"filename": "clip_00001_.mp4",
                                              "subfolder": "video", "type": "output"}],
                                  "animated": [True]}}}

    def system_stats(self, *, timeout: float | None = None,
                     deadline: float | None = None) -> dict[str, Any]:
        self.calls.append("system_stats")
        return {"system": {"comfyui_version": "0.26.0"}, "devices": []}

    def object_info(self, *, timeout: float | None = None,
                    deadline: float | None = None) -> dict[str, Any]:
        self.calls.append("object_info")
        return self.info

    def post_prompt(self, body: Any, *, deadline: float | None = None) -> dict[str, Any]:
        self.calls.append("prompt")
        self.prompts.append(dict(body))
        self.sockets[-1].script = self._run_of(body["prompt_id"])
        return {"prompt_id": body["prompt_id"], "number": 0, "node_errors": {}}

    def history(self, prompt_id: str, *, timeout: float | None = None,
                deadline: float | None = None) -> dict[str, Any]:
        self.calls.append("history")
        known = any(p["prompt_id"] == prompt_id for p in self.prompts)
        return {prompt_id: self._entry()} if known else {}

    def queue(self, *, timeout: float | None = None,
              deadline: float | None = None) -> dict[str, Any]:
        return {"queue_running": [], "queue_pending": []}

    def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        self.calls.append("interrupt")

    def delete_queued(self, prompt_ids: Any, *, timeout: float | None = None) -> None:
        self.calls.append("delete")

    def upload_image(self, data: bytes, filename: str, *, overwrite: bool = False,
                     subfolder: str = "", kind: str = "input",
                     deadline: float | None = None) -> dict[str, Any]:
        return {"name": filename, "subfolder": subfolder, "type": kind}

    def download(self, params: Any, dest: Path, on_chunk: Any = None, *,
                 deadline: float | None = None, timeout: float | None = None) -> int:
        self.calls.append(f"view {params['subfolder']}/{params['filename']}")
        dest.write_bytes(MP4)
        return len(MP4)

    def view_exists(self, params: Any, *, deadline: float | None = None) -> bool | None:
        return True

    def open_socket(self, client_id: str, *, connect_timeout: float) -> ScriptedSocket:
        self.calls.append("socket")
        self.sockets.append(ScriptedSocket([]))
        return self.sockets[-1]

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def test_a_run_goes_through_an_injected_transport(object_info: dict[str, Any], tmp_path: Path,
                                                  no_network: None) -> None:
    """The seam: the client speaks only to its transport, so a scripted one runs it whole
    (ready, checked, queued, followed, downloaded and verified) without a socket."""
    server = ScriptedComfy(object_info)
    client = ComfyClient("http://comfy.invalid:8188", transport=server)
    assert client.wait_ready(timeout=1)["system"]["comfyui_version"] == "0.26.0"
    events: list[Event] = []
    result = client.run(model_free_graph(), output_dir=tmp_path, on_event=events.append,
                        timeout=10)
    assert server.prompts[0]["prompt"] == model_free_graph().compile()
    assert server.calls[:4] == ["system_stats", "object_info", "socket", "prompt"]
    assert server.calls[-1] == "view video/clip_00001_.mp4" and server.sockets[0].closed
    assert [type(e).__name__ for e in events] == [
        "ExecutionStarted", "NodesCached", "NodeExecuting", "Progress", "NodeExecuting",
        "NodeExecuted", "ExecutionSucceeded", "Finished"]
    [video] = result.outputs
    assert result.files[video] == tmp_path / "clip_00001_.mp4"
    assert result.files[video].read_bytes() == MP4 and result.started_at is not None
    client.close()
    assert server.closed


def test_a_dropped_socket_is_followed_up_by_the_history(object_info: dict[str, Any],
                                                        tmp_path: Path,
                                                        no_network: None) -> None:
    server = ScriptedComfy(object_info, drop_socket=True)
    client = ComfyClient("http://comfy.invalid:8188", transport=server)
    result = client.run(model_free_graph(), output_dir=tmp_path, check=False, timeout=10)
    assert [o.filename for o in result.outputs] == ["clip_00001_.mp4"]
    # the drop sent the client to the history, which had the end the socket did not tell
    assert server.calls.index("history") < server.calls.index("view video/clip_00001_.mp4")
    assert "object_info" not in server.calls and len(server.sockets) == 1


# --- a user and password in the server URL: used, never shown ------------------------------

SECRET_URL_PASSWORD = "PASS-w0rd"


def test_a_password_in_a_server_url_is_shown_as_stars() -> None:
    from ltx2sdk.backends.server_urls import normalize_server_url, shown_url
    from ltx2sdk.errors import ServerUrlError

    assert shown_url("http://alice:PASS@host:8188/comfy") == "http://***@host:8188/comfy"
    assert shown_url("alice:PASS@host:8188") == "***@host:8188"
    assert shown_url("https://host/a@b") == "https://host/a@b"  # an @ in the path is no user
    assert shown_url("http://127.0.0.1:8188") == "http://127.0.0.1:8188"
    for typed in ("http://alice:PASS@host:8188?x=1", "ws://alice:PASS@host:8188",
                  "http://alice:PASS@ho st"):
        with pytest.raises(ServerUrlError) as caught:
            normalize_server_url(typed)
        assert "PASS" not in str(caught.value) and "***@" in str(caught.value), caught.value


def test_a_password_in_the_server_url_works_and_is_never_shown(
        tmp_path: Path) -> None:
    """Basic auth to a proxy in front of ComfyUI: every request and the WebSocket carry it,
    the probe of ``connect`` too (to the host, not to a host named ``alice:PASS@...``), and
    the client's repr and errors show ``***``."""
    import base64

    from aiohttp import web

    from ltx2sdk.backends.connect import detect_api
    from ltx2sdk.backends.server_urls import normalize_server_url

    expected = "Basic " + base64.b64encode(f"alice:{SECRET_URL_PASSWORD}".encode()).decode()
    seen: list[str] = []

    async def proxy_auth(request: web.Request, handler: Any) -> web.StreamResponse | None:
        seen.append(request.path)
        if request.headers.get("Authorization") != expected:
            return web.Response(status=401, text="who are you?")
        return None

    with ComfyTestServer(output_dir=tmp_path / "out") as server:
        server.faults.tamper = proxy_auth
        url = server.url.replace("http://", f"http://alice:{SECRET_URL_PASSWORD}@")
        client = ComfyClient(url)
        result = client.run(model_free_graph(), output_dir=tmp_path / "got", timeout=30)
        assert result.outputs and "/ws" in seen
        assert SECRET_URL_PASSWORD not in repr(client) + client.base_url
        assert client.base_url == normalize_server_url(server.url).replace("http://",
                                                                           "http://***@")
        seen.clear()
        assert detect_api(url, timeout=5) == "comfyui"
        assert "/api/v2/health" in seen  # the probe reached the server
    with pytest.raises(ServerUnavailableError) as caught:
        ComfyClient(url).wait_ready(timeout=0.5)
    assert SECRET_URL_PASSWORD not in str(caught.value) and "***@" in str(caught.value)


def test_a_batch_records_a_server_url_without_its_password() -> None:
    from ltx2sdk.app.batch.server_target import ServerTarget

    target = ServerTarget(f"http://alice:{SECRET_URL_PASSWORD}@127.0.0.1:8188")
    assert target.name == "http://***@127.0.0.1:8188"  # results.jsonl's target, JobResult's
    assert SECRET_URL_PASSWORD not in repr(target)


class _NameNotResolved:
    """A transport whose every ``/system_stats`` fails the way requests fails a look-up."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.attempts = 0

    def system_stats(self, timeout: float) -> dict[str, Any]:
        import socket

        import requests

        self.attempts += 1
        try:
            raise socket.gaierror(self.code, "look-up failed (by the test)")
        except socket.gaierror as cause:
            try:
                raise requests.ConnectionError("Max retries exceeded") from cause
            except requests.ConnectionError as exc:
                raise ServerUnavailableError("GET /system_stats failed") from exc


def test_a_name_that_does_not_resolve_is_asked_once_even_when_told_to_wait() -> None:
    import socket

    transport = _NameNotResolved(socket.EAI_NONAME)
    client = ComfyClient("http://gpu-box.example:8188", transport=transport)  # type: ignore[arg-type]
    with pytest.raises(ServerUnavailableError, match="unknown host"):
        client.wait_ready(timeout=60, interval=0.01)  # a refused one would be retried 60 s
    assert transport.attempts == 1


def test_a_name_server_that_did_not_answer_is_retried_like_a_refusal() -> None:
    import socket

    transport = _NameNotResolved(socket.EAI_AGAIN)  # temporary: the next look-up may work
    client = ComfyClient("http://gpu-box.example:8188", transport=transport)  # type: ignore[arg-type]
    with pytest.raises(ServerUnavailableError, match=r"within 0\.2 s \(the host name could "
                                                     r"not be looked up \(DNS did not answer\)\)"):
        client.wait_ready(timeout=60, interval=0.01, refused_grace=0.2)
    assert transport.attempts > 1


def wait_until(condition: Any, what: str) -> None:
    end = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_with_start_by_a_prompts_wait_in_the_queue_is_not_counted_in_its_timeout(
        comfy_server: ComfyTestServer, tmp_path: Path) -> None:
    # issue 19/21: a batch queues a job behind the running one; its --timeout is for its run
    comfy_server.sim.job_seconds = 1.5  # each prompt: a wait of 1.5 s before its first node
    client = ComfyClient(comfy_server.url)
    first = threading.Thread(target=client.run, args=(model_free_graph(0x111111),),
                             kwargs={"timeout": 30}, daemon=True)
    first.start()
    assert comfy_server.state is not None
    wait_until(lambda: comfy_server.state.running is not None, "the first prompt running")
    # 2.4 s: more than its run (1.5 s), less than its wait behind the first and its run
    result = client.run(model_free_graph(0x222222), timeout=2.4, output_dir=tmp_path,
                        start_by=lambda: float("-inf"))  # (no bound beyond the deadline)
    first.join(30)
    assert result.started_at is not None and result.started_at - result.queued_at > 0.5


def test_a_prompt_not_started_by_its_bound_is_taken_out_of_the_queue(
        comfy_server: ComfyTestServer) -> None:
    comfy_server.faults.hang = Hang.STALLED  # the first prompt never ends
    client = ComfyClient(comfy_server.url)

    def run_first() -> None:
        with contextlib.suppress(JobTimeoutError):  # (it ends when the hang is lifted)
            client.run(model_free_graph(0x111111), timeout=3)

    first = threading.Thread(target=run_first, daemon=True)
    first.start()
    assert comfy_server.state is not None
    wait_until(lambda: comfy_server.state.running is not None, "the first prompt running")
    with pytest.raises(JobTimeoutError, match=r"was not started: it waited .* in the server's "
                       r"queue.*taken out of the queue"):
        client.run(model_free_graph(0x222222), timeout=0.5,
                   start_by=lambda: time.monotonic() - 1)  # (bound: its own deadline)
    [second] = [p["prompt_id"] for p in comfy_server.received.prompts][1:]
    assert second not in [item.prompt_id for item in comfy_server.state.pending]
    comfy_server.faults.hang = Hang.NONE
    first.join(30)
