"""Fidelity of the fake ComfyUI (tests/comfyserver) to the captured ComfyUI 0.26.0 protocol,
and to the real releases under tests/fixtures/versions (their schemas and /prompt verdicts).

Only plain ``requests`` and ``websocket-client`` are used, never the SDK: these tests pin the
server to the captures in ``tests/fixtures/protocol`` so that SDK tests can trust it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import socket
import struct
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from tests.comfyserver import ComfyTestServer, Faults, Hang, Simulation
from tests.comfyserver.versions import (
    available_versions,
    captured_setup,
    load_version_object_info,
)
from tests.helpers import wav_bytes

PROTOCOL = Path(__file__).parent / "fixtures" / "protocol"
CAPTURED_CHECKPOINT = "ltx-2-19b-distilled.safetensors"
CAPTURED_MODELS = {"checkpoints": [CAPTURED_CHECKPOINT]}
TIMEOUT = 5.0
# What websocket-client raises when the server aborts the TCP connection.
CONNECTION_LOST = (websocket.WebSocketConnectionClosedException, ConnectionResetError)


def load(relative: str) -> Any:
    return json.loads((PROTOCOL / relative).read_text())


# -- a WebSocket client that records messages in the captures' format -------------------------


class Socket:
    def __init__(self, srv: ComfyTestServer, client_id: str | None = None) -> None:
        self.client_id = client_id or str(uuid.uuid4())
        self.ws = websocket.create_connection(srv.ws_url(self.client_id), timeout=TIMEOUT)
        self.log: list[dict[str, Any]] = []

    def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        self.ws.settimeout(timeout)
        frame = self.ws.recv()
        if isinstance(frame, bytes):
            (code,) = struct.unpack(">I", frame[:4])
            entry = {"kind": "binary", "type_code": code, "length": len(frame), "raw": frame}
        else:
            entry = {"kind": "text", "message": json.loads(frame)}
        self.log.append(entry)
        return entry

    def until(self, stop: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        start = len(self.log)
        while not stop(self.recv()):
            pass
        return self.log[start:]

    def until_done(self, prompt_id: str) -> list[dict[str, Any]]:
        """Everything up to the final ``executing`` with ``node: null`` of ``prompt_id``."""
        return self.until(lambda e: _is_done(e, prompt_id))

    def close(self) -> None:
        self.ws.close()


def _msg(entry: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = entry.get("message", {})
    return message


def _is_done(entry: dict[str, Any], prompt_id: str) -> bool:
    msg = _msg(entry)
    return (
        msg.get("type") == "executing"
        and msg["data"].get("node") is None
        and msg["data"].get("prompt_id") == prompt_id
    )


def types(entries: list[dict[str, Any]]) -> list[str]:
    return [
        _msg(e)["type"] if e["kind"] == "text" else f"binary:{e['type_code']}" for e in entries
    ]


def normalize(value: Any, ids: dict[str, str]) -> Any:
    """Make a capture and a live answer comparable: ids -> labels, times -> 0, sets sorted."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key = ids.get(key, key)
            if key in ("timestamp", "create_time", "execution_start_time", "execution_end_time"):
                item = 0
            elif key in ("sid", "client_id"):
                item = "<client>"
            elif key in ("executed", "current_outputs") and isinstance(item, list):
                item = sorted(item)
            elif key == "raw":
                continue
            out[key] = normalize(item, ids)
        return out
    if isinstance(value, list):
        return [normalize(v, ids) for v in value]
    if isinstance(value, str):
        return ids.get(value, value)
    return value


def normalize_history(entry: dict[str, Any], ids: dict[str, str]) -> Any:
    entry = copy.deepcopy(entry)
    entry["prompt"][0] = 0  # the queue number depends on how many prompts came before
    return normalize(entry, ids)


def post_prompt(srv: ComfyTestServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(srv.url + "/prompt", json=body, timeout=TIMEOUT)


def run_capture(
    srv: ComfyTestServer, sock: Socket, scenario: str, **overrides: Any
) -> tuple[str, list[dict[str, Any]]]:
    body = load(f"{scenario}/prompt_request.json")
    body.update(client_id=sock.client_id, **overrides)
    response = post_prompt(srv, body)
    assert response.status_code == 200, response.text
    prompt_id = response.json()["prompt_id"]
    return prompt_id, sock.until_done(prompt_id)


def assert_same_run(scenario: str, prompt_id: str, got: list[dict[str, Any]]) -> None:
    """Messages after the on-connect status equal the capture, ids/timestamps aside."""
    captured = load(f"{scenario}/ws_messages.json")[1:]
    captured_id = load(f"{scenario}/prompt_response.json")["body"]["prompt_id"]
    assert types(got) == types(captured)
    assert normalize(got, {prompt_id: "P"}) == normalize(captured, {captured_id: "P"})


def get(srv: ComfyTestServer, path: str, **params: Any) -> requests.Response:
    return requests.get(srv.url + path, params=params, timeout=TIMEOUT)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    """Configured like the captured ComfyUI: one checkpoint installed."""
    with ComfyTestServer(models=CAPTURED_MODELS, output_dir=tmp_path / "out") as srv:
        yield srv


@pytest.fixture
def sock(server: ComfyTestServer) -> Iterator[Socket]:
    client = Socket(server)
    assert _msg(client.recv())["data"]["sid"] == client.client_id
    yield client
    client.close()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyTestServer]:
    """One server for the read-only/validation checks, to keep the suite fast."""
    with ComfyTestServer(models=CAPTURED_MODELS, output_dir=tmp_path_factory.mktemp("o")) as srv:
        yield srv


# -- captured message sequences ---------------------------------------------------------------


def test_fresh_cached_and_partially_cached_runs_match_captures(
    server: ComfyTestServer, sock: Socket
) -> None:
    pid, got = run_capture(server, sock, "success_video")
    assert_same_run("success_video", pid, got)
    captured = load("success_video/history.json")["body"]
    ids = {pid: "P", next(iter(captured)): "P"}
    assert normalize(get(server, f"/history/{pid}").json(), ids) == normalize(captured, ids)
    captured_job = load("success_video/api_jobs.json")["body"]
    job = get(server, f"/api/jobs/{pid}").json()
    assert normalize(job, {pid: "P"}) == normalize(captured_job, {captured_job["id"]: "P"})

    view = load("success_video/view_responses.json")[0]
    response = get(server, view["url"])
    assert response.status_code == 200
    for header in ("Content-Type", "Content-Length", "Content-Disposition", "Accept-Ranges"):
        assert response.headers[header] == view["headers"][header]
    assert {"Etag", "Last-Modified"} <= set(response.headers)
    assert hashlib.sha256(response.content).hexdigest() == view["sha256"]

    pid, got = run_capture(server, sock, "success_cached")
    assert_same_run("success_cached", pid, got)
    assert len(list((server.output_dir / "video").iterdir())) == 1  # no new file

    captured_pid = load("success_partial_cache/prompt_request.json")["prompt_id"]
    pid, got = run_capture(server, sock, "success_partial_cache")
    assert pid == captured_pid  # a client-supplied prompt_id is used verbatim
    assert_same_run("success_partial_cache", pid, got)
    captured = load("success_partial_cache/history.json")["body"]
    assert normalize(get(server, f"/history/{pid}").json(), {}) == normalize(captured, {})
    assert [e["prompt"][0] for e in server.history().values()] == [0, 1, 2]


@pytest.mark.parametrize("scenario", ["success_with_audio", "success_progress_text"])
def test_other_successful_runs_match_captures(
    server: ComfyTestServer, sock: Socket, scenario: str
) -> None:
    pid, got = run_capture(server, sock, scenario)
    assert_same_run(scenario, pid, got)
    history = get(server, f"/history/{pid}").json()[pid]
    assert history["outputs"] == load(f"{scenario}/notes.json")["history_outputs"]
    binary = [e for e in got if e["kind"] == "binary"]
    assert len(binary) == (1 if scenario == "success_progress_text" else 0)
    for frame in binary:  # GetImageSize's send_progress_text: type 3, node id, text
        (node_len,) = struct.unpack(">I", frame["raw"][4:8])
        assert frame["raw"][8 : 8 + node_len] == b"4"
        assert frame["raw"][8 + node_len :] == b"width: 64, height: 64\n batch size: 4"


def test_execution_error_on_placeholder_model_matches_capture(tmp_path: Path) -> None:
    with ComfyTestServer(placeholders=CAPTURED_MODELS, output_dir=tmp_path) as srv:
        client = Socket(srv)
        client.recv()
        pid, got = run_capture(srv, client, "execution_error")
        assert_same_run("execution_error", pid, got)
        captured = load("execution_error/history.json")["body"]
        (captured_pid, captured_entry), = captured.items()
        ids = {pid: "P", captured_pid: "P"}
        live = get(srv, f"/history/{pid}").json()[pid]
        assert normalize_history(live, ids) == normalize_history(captured_entry, ids)
        captured_job = load("execution_error/api_jobs.json")["body"]
        job = get(srv, f"/api/jobs/{pid}").json()
        job["priority"] = captured_job["priority"]
        assert normalize(job, ids) == normalize(captured_job, {captured_job["id"]: "P"})
        client.close()


def test_execution_error_mid_graph_matches_capture(server: ComfyTestServer, sock: Socket) -> None:
    _, got = run_capture(server, sock, "execution_error_midgraph")
    captured = load("execution_error_midgraph/ws_messages.json")[1:]
    assert types(got) == types(captured)
    error = _msg(got[-3])["data"]
    expected = _msg(captured[-3])["data"]
    assert set(error) == set(expected)
    for key in ("node_id", "node_type", "exception_message", "exception_type", "traceback"):
        assert error[key] == expected[key]
    assert sorted(error["executed"]) == sorted(expected["executed"])
    assert set(error["current_inputs"]) == set(expected["current_inputs"])


def test_no_client_id_only_broadcasts_reach_observers(
    server: ComfyTestServer, sock: Socket
) -> None:
    body = load("success_no_client_id/prompt_request.json")
    pid = post_prompt(server, body).json()["prompt_id"]
    got = sock.until(
        lambda e: _msg(e)["type"] == "status"
        and _msg(e)["data"]["status"]["exec_info"]["queue_remaining"] == 0
    )
    captured = load("success_no_client_id/ws_messages_observer.json")[1:]
    captured_id = load("success_no_client_id/notes.json")["prompt_id"]
    assert normalize(got, {pid: "P"}) == normalize(captured, {captured_id: "P"})
    history = load("success_no_client_id/history.json")["body"]
    ids = {pid: "P", captured_id: "P"}
    live = get(server, f"/history/{pid}").json()
    assert "client_id" not in live[pid]["prompt"][3]
    assert normalize_history(live[pid], ids) == normalize_history(history[captured_id], ids)


def test_interrupt_and_queue_operations_match_capture(
    server: ComfyTestServer, sock: Socket
) -> None:
    server.sim.step_delay = 30.0  # ColorTransfer waits after its first update; interrupt wakes it
    notes = load("interrupt_queue/notes.json")
    ids: dict[str, str] = {notes["prompt_A"]: "A", notes["prompt_B_deleted_while_pending"]: "B",
                           notes["prompt_C_runs_after_interrupt"]: "C"}
    assert get(server, "/queue").json() == load("interrupt_queue/01_get_queue_idle.json")["body"]

    def post(name: str) -> str:
        body = load(f"interrupt_queue/{name}_request.json") | {"client_id": sock.client_id}
        return str(post_prompt(server, body).json()["prompt_id"])

    a = post("02_post_prompt_A")
    sock.until(lambda e: _msg(e).get("type") == "progress")  # A now waits inside ColorTransfer
    b, c = post("03_post_prompt_B"), post("04_post_prompt_C")
    ids |= {a: "A", b: "B", c: "C"}
    queue = get(server, "/queue").json()
    captured = load("interrupt_queue/05_get_queue_running_A_pending_B_C.json")["body"]
    for key in ("queue_running", "queue_pending"):
        assert [normalize_history({"prompt": q}, ids) for q in queue[key]] == [
            normalize_history({"prompt": q}, ids) for q in captured[key]
        ]
    assert requests.post(server.url + "/queue", json={"delete": [b]}).status_code == 200
    assert [q[1] for q in get(server, "/queue").json()["queue_pending"]] == [c]
    requests.post(server.url + "/interrupt", json={"prompt_id": b})  # not running: no-op
    assert get(server, "/queue").json()["queue_running"][0][1] == a
    requests.post(server.url + "/interrupt", json={"prompt_id": a})
    sock.until_done(c)

    captured_log = load("interrupt_queue/ws_messages.json")[1:]
    # The statuses caused by posting B and C land wherever the POSTs happened to be made.
    def without_posts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        counts = [_msg(e)["data"]["status"]["exec_info"]["queue_remaining"]
                  if _msg(e).get("type") == "status" else None for e in entries]
        drop = {i for i in range(len(entries)) if counts[i] == 2 and counts[i + 1] == 3}
        drop |= {i + 1 for i in drop}
        return [e for i, e in enumerate(entries) if i not in drop]

    got = without_posts(sock.log[1:])
    assert normalize(got, ids) == normalize(without_posts(captured_log), ids)

    history_a = get(server, f"/history/{a}").json()[a]
    captured_a = load("interrupt_queue/10_history_A_interrupted.json")["body"][notes["prompt_A"]]
    assert normalize_history(history_a, ids) == normalize_history(captured_a, ids)
    assert get(server, f"/history/{b}").json() == {}
    history_c = get(server, f"/history/{c}").json()[c]
    captured_c = load("interrupt_queue/12_history_C_after_interrupt.json")["body"]
    assert normalize_history(history_c, ids) == normalize_history(captured_c[notes[
        "prompt_C_runs_after_interrupt"]], ids)
    job = get(server, f"/api/jobs/{a}").json()
    captured_job = load("interrupt_queue/13_api_jobs_A.json")["body"]
    assert normalize(job | {"priority": 0}, ids) == normalize(captured_job | {"priority": 0}, ids)

    for name in ("14_post_interrupt_no_body_idle", "15_post_queue_clear",
                 "16_post_api_jobs_cancel_finished"):
        capture = load(f"interrupt_queue/{name}.json")
        path = capture["request"]["path"].replace(notes["prompt_A"], a)
        response = requests.post(server.url + path, json=capture["request"].get("json"))
        assert response.status_code == capture["status"]
        assert response.content == (
            json.dumps(capture["body"]).encode() if "body" in capture else b""
        )
    assert server.received.interrupts == [{"prompt_id": b}, {"prompt_id": a}, None]


# -- validation -------------------------------------------------------------------------------

VALIDATION_CASES = sorted(
    p.name for p in (PROTOCOL / "validation_errors").iterdir()
    if p.is_dir() and (p / "response.json").exists()
    and p.name not in ("malformed_json", "partial_outputs_accepted")
)


@pytest.mark.parametrize("case", VALIDATION_CASES)
def test_validation_error_bodies_match_captures(shared_server: ComfyTestServer, case: str) -> None:
    captured = load(f"validation_errors/{case}/response.json")
    response = post_prompt(shared_server, load(f"validation_errors/{case}/request.json"))
    assert response.status_code == captured["status"]
    assert response.headers["Content-Type"] == captured["headers"]["Content-Type"]
    assert response.json() == captured["body"]


def test_malformed_json_is_a_500_like_captured(shared_server: ComfyTestServer) -> None:
    raw = load("validation_errors/malformed_json/request.json")["raw_body"]
    response = requests.post(shared_server.url + "/prompt", data=raw,
                             headers={"Content-Type": "application/json"}, timeout=TIMEOUT)
    expected = load("validation_errors/malformed_json/response.json")
    assert response.status_code == 500
    assert response.text == expected["body_text"]
    assert response.headers["Content-Type"] == expected["headers"]["Content-Type"]
    assert response.headers["Connection"] == "close"


def test_partial_outputs_are_accepted_and_bad_ones_dropped(
    server: ComfyTestServer, sock: Socket
) -> None:
    captured = load("validation_errors/partial_outputs_accepted/response.json")
    body = load("validation_errors/partial_outputs_accepted/request.json")
    body["client_id"] = sock.client_id
    response = post_prompt(server, body)
    assert response.status_code == 200
    assert response.json()["node_errors"] == captured["body"]["node_errors"]
    pid = response.json()["prompt_id"]
    sock.until_done(pid)
    history = load("validation_errors/partial_outputs_accepted/history.json")["body"]
    ids = {pid: "P", next(iter(history)): "P"}
    live = get(server, f"/history/{pid}").json()[pid]
    assert normalize_history(live, ids) == normalize_history(next(iter(history.values())), ids)


def test_validate_prompt_route(shared_server: ComfyTestServer) -> None:
    for name in ("ok", "model_not_in_list"):
        capture = load(f"validation_errors/_validate_prompt_route/{name}.json")
        response = requests.post(shared_server.url + "/validate_prompt",
                                 json=capture["request"]["json"], timeout=TIMEOUT)
        assert (response.status_code, response.json()) == (capture["status"], capture["body"])


def _sampler_workflow(steps: int = 4) -> dict[str, Any]:
    """A minimal LTX-2 text-to-video graph (real node schemas) ending in SaveVideo."""
    return {
        "1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": CAPTURED_CHECKPOINT}},
        "2": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["1", 1], "text": "a fox"}},
        "3": {"class_type": "BasicGuider", "inputs": {"model": ["1", 0], "conditioning": ["2", 0]}},
        "4": {"class_type": "RandomNoise", "inputs": {"noise_seed": 42}},
        "5": {"class_type": "KSamplerSelect", "inputs": {"sampler_name": "euler"}},
        "6": {"class_type": "BasicScheduler",
              "inputs": {"model": ["1", 0], "scheduler": "simple", "steps": steps, "denoise": 1}},
        "7": {"class_type": "EmptyLTXVLatentVideo",
              "inputs": {"width": 64, "height": 64, "length": 9, "batch_size": 1}},
        "8": {"class_type": "SamplerCustomAdvanced",
              "inputs": {"noise": ["4", 0], "guider": ["3", 0], "sampler": ["5", 0],
                         "sigmas": ["6", 0], "latent_image": ["7", 0]}},
        "9": {"class_type": "VAEDecode", "inputs": {"samples": ["8", 0], "vae": ["1", 2]}},
        "10": {"class_type": "CreateVideo", "inputs": {"images": ["9", 0], "fps": 24}},
        "11": {"class_type": "SaveVideo",
               "inputs": {"video": ["10", 0], "filename_prefix": "video/t2v", "format": "auto",
                          "codec": "auto"}},
    }


def test_v3_dynamic_inputs_unions_and_cycles(shared_server: ComfyTestServer) -> None:
    def check(prompt: dict[str, Any]) -> requests.Response:
        return requests.post(shared_server.url + "/validate_prompt", json={"prompt": prompt},
                             timeout=TIMEOUT)

    image = {"class_type": "EmptyImage",
             "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}}
    resize: dict[str, Any] = {"class_type": "ResizeImageMaskNode", "inputs": {
        "input": ["1", 0], "resize_type": "scale dimensions", "resize_type.width": 32,
        "resize_type.height": 32, "resize_type.crop": "center", "scale_method": "area"}}
    preview = {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}
    assert check({"1": image, "2": resize, "3": preview}).status_code == 200

    missing = copy.deepcopy(resize)
    del missing["inputs"]["resize_type.width"]
    body = check({"1": image, "2": missing, "3": preview}).json()
    assert body["node_errors"]["2"]["errors"] == [{
        "type": "required_input_missing", "message": "Required input is missing",
        "details": "width", "extra_info": {"input_name": "resize_type.width"}}]

    math: dict[str, Any] = {"class_type": "ComfyMathExpression",
            "inputs": {"expression": "a * 2", "values.a": ["4", 0]}}
    prim = {"class_type": "PrimitiveInt", "inputs": {"value": 3}}
    show = {"class_type": "PreviewAny", "inputs": {"source": ["5", 1]}}
    assert check({"4": prim, "5": math, "6": show}).status_code == 200  # INT into "FLOAT,INT,.."
    del math["inputs"]["values.a"]
    errors = check({"4": prim, "5": math, "6": show}).json()["node_errors"]["5"]["errors"]
    assert [(e["type"], e["details"]) for e in errors] == [("required_input_missing", "a")]

    cycle = {"7": {"class_type": "ImageInvert", "inputs": {"image": ["8", 0]}},
             "8": {"class_type": "ImageInvert", "inputs": {"image": ["7", 0]}},
             "9": {"class_type": "PreviewImage", "inputs": {"images": ["7", 0]}}}
    body = check(cycle).json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert {k: v["errors"][0]["type"] for k, v in body["node_errors"].items()} == {
        "7": "dependency_cycle", "8": "dependency_cycle"}


def test_model_combos_follow_installed_files(tmp_path: Path) -> None:
    models = {"checkpoints": ["b.safetensors", "a.safetensors"],
              "text_encoders": ["gemma.safetensors"], "loras": ["l.safetensors"],
              "latent_upscale_models": ["up.safetensors"]}
    with ComfyTestServer(models=models, output_dir=tmp_path) as srv:
        info = get(srv, "/object_info").json()
        assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == [
            "a.safetensors", "b.safetensors"]
        encoder = info["LTXAVTextEncoderLoader"]["input"]["required"]
        assert encoder["text_encoder"][1]["options"] == ["gemma.safetensors"]
        assert encoder["ckpt_name"][1]["options"] == ["a.safetensors", "b.safetensors"]
        assert info["LoraLoaderModelOnly"]["input"]["required"]["lora_name"][0] == ["l.safetensors"]
        assert get(srv, "/models/latent_upscale_models").json() == ["up.safetensors"]
        assert get(srv, "/models/no_such_folder").status_code == 404

        prompt = _sampler_workflow()
        prompt["1"]["inputs"]["ckpt_name"] = "missing.safetensors"
        error = post_prompt(srv, {"prompt": prompt}).json()["node_errors"]["1"]["errors"][0]
        assert error["details"] == (
            "ckpt_name: 'missing.safetensors' not in ['a.safetensors', 'b.safetensors']")


# -- uploads and files ------------------------------------------------------------------------


def test_uploads_naming_dedupe_and_limits(server: ComfyTestServer) -> None:
    png = (PROTOCOL / "upload_image" / "upload_a.png").read_bytes()
    other, third = png[:-1] + b"\x00", png[:-1] + b"\x01"

    def upload(data: bytes, name: str = "ltx2sdk_upload.png", **fields: str) -> requests.Response:
        return requests.post(server.url + "/upload/image", files={"image": (name, data)},
                             data=fields, timeout=TIMEOUT)

    steps = [
        upload(png, overwrite="true"), upload(png), upload(other), upload(third),
        upload(other, overwrite="true"), upload(png, subfolder="sdk", type="input", overwrite="1"),
        upload(png, type="temp"), upload(b"just some notes here\n", "ltx2sdk_notes.txt"),
        upload(b"not a png at all", "ltx2sdk_upload_fake.png"),
    ]
    summary = load("upload_image/SUMMARY.json")
    captured = summary["results"]  # steps 01 to 09 above, then 10 to 12 below
    assert len(captured) == len(steps) + 3
    for response, expected in zip(steps, captured[:9], strict=True):
        assert (response.status_code, response.json()) == (expected["status"], expected["body"])
    assert captured[9]["step"] == "10_missing_image_field"
    assert requests.post(server.url + "/upload/image", files={"notimage": ("x.png", png)}
                         ).status_code == captured[9]["status"]
    assert captured[10]["step"] == "11_subfolder_traversal"
    assert upload(png, subfolder="../../etc").status_code == captured[10]["status"]
    listing = sorted(p.name for p in server.input_dir.iterdir())
    assert listing == [n for n in summary["input_dir_listing_after"] if n != "3d"]
    assert [r.name for r in server.received.uploads][:3] == [
        "ltx2sdk_upload.png", "ltx2sdk_upload.png", "ltx2sdk_upload (1).png"]

    for name in ("13_view_uploaded_input", "14_view_uploaded_txt"):
        capture = load(f"upload_image/{name}.json")
        response = get(server, capture["url"])
        assert response.status_code == 200
        for header in ("Content-Type", "Content-Length", "Content-Disposition"):
            assert response.headers[header] == capture["headers"][header]

    image_options = get(server, "/object_info/LoadImage").json()["LoadImage"]["input"]
    assert image_options["required"]["image"][0] == [
        "ltx2sdk_upload (1).png", "ltx2sdk_upload (2).png", "ltx2sdk_upload.png",
        "ltx2sdk_upload_fake.png"]

    server.faults.max_upload_bytes = 1000
    too_large = upload(bytes(2000), "ltx2sdk_big.png")
    too_large_capture = load("upload_image/12_too_large.json")
    assert too_large.status_code == captured[11]["status"] == 413
    assert too_large.headers["Content-Type"] == too_large_capture["headers"]["Content-Type"]
    assert too_large.text == "Maximum request body size 1000 exceeded."
    assert get(server, "/features").json()["max_upload_size"] == 1000


def test_load_image_validation_uses_the_input_directory(server: ComfyTestServer) -> None:
    requests.post(server.url + "/upload/image",
                  files={"image": ("in.png", b"x")}, data={"subfolder": "sdk"}, timeout=TIMEOUT)
    prompt: dict[str, Any] = {"1": {"class_type": "LoadImage", "inputs": {"image": "sdk/in.png"}},
              "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
    assert post_prompt(server, {"prompt": prompt}).status_code == 200
    prompt["1"]["inputs"]["image"] = "nope.png"
    error = post_prompt(server, {"prompt": prompt}).json()["node_errors"]["1"]["errors"][0]
    assert error == {"type": "custom_validation_failed",
                     "message": "Custom validation failed for node",
                     "details": "image - Invalid image file: nope.png",
                     "extra_info": {"input_name": "image"}}


def test_misc_get_routes_match_captures(shared_server: ComfyTestServer) -> None:
    exact = ["api_jobs_unknown", "embeddings", "features", "history_unknown_id", "models",
             "models_checkpoints", "object_info_CheckpointLoaderSimple", "object_info_CreateVideo",
             "object_info_EmptyImage", "object_info_SaveVideo", "object_info_unknown",
             "prompt_get", "queue_idle"]
    for name in exact:
        capture = load(f"misc_get/{name}.json")
        response = get(shared_server, capture["request"]["path"])
        assert (response.status_code, response.json()) == (capture["status"], capture["body"])
    for name in ("view_bad_subfolder", "view_bad_type", "view_dotdot", "view_missing_file",
                 "models_unknown_folder"):
        capture = load(f"misc_get/{name}.json")
        response = get(shared_server, capture["request"]["path"])
        assert (response.status_code, response.content) == (capture["status"], b"")
    stats = get(shared_server, "/api/system_stats").json()
    captured = load("misc_get/api_prefix_system_stats.json")["body"]
    assert stats["system"]["comfyui_version"] == captured["system"]["comfyui_version"]
    assert stats["devices"] == captured["devices"]
    assert requests.post(shared_server.url + "/api/free", json={"free_memory": True}
                         ).status_code == 200


def test_websocket_handshake_and_feature_flags(server: ComfyTestServer) -> None:
    anonymous = websocket.create_connection(server.ws_url(), timeout=TIMEOUT)
    sid = json.loads(anonymous.recv())["data"]["sid"]
    assert len(sid) == 32 and int(sid, 16) >= 0
    anonymous.send(json.dumps(load("ws_feature_flags/client_sent.json")))
    assert json.loads(anonymous.recv()) == load("ws_feature_flags/ws_messages.json")[1]["message"]
    anonymous.close()

    first, second = Socket(server, "same-id"), Socket(server, "same-id")
    for client in (first, second):
        assert _msg(client.recv())["data"] == {"status": {"exec_info": {"queue_remaining": 0}},
                                               "sid": "same-id"}
    first.close()
    second.close()


# -- faults and simulation knobs --------------------------------------------------------------


def test_drop_ws_after_n_messages_but_run_finishes(server: ComfyTestServer, sock: Socket) -> None:
    server.faults.drop_ws_after = 3
    body = load("success_video/prompt_request.json") | {"client_id": sock.client_id}
    pid = post_prompt(server, body).json()["prompt_id"]
    assert types([sock.recv(), sock.recv(), sock.recv()]) == [
        "status", "status", "execution_start"]
    with pytest.raises(CONNECTION_LOST):
        sock.recv()
    server.wait_idle()
    assert get(server, f"/history/{pid}").json()[pid]["status"]["status_str"] == "success"


def test_reconnect_mid_run_is_told_the_current_node(server: ComfyTestServer, sock: Socket) -> None:
    server.faults.drop_ws_after = 3
    server.faults.hang = Hang.STALLED  # hold the run at its first node
    body = load("success_video/prompt_request.json") | {"client_id": sock.client_id}
    pid = post_prompt(server, body).json()["prompt_id"]
    with pytest.raises(CONNECTION_LOST):
        while True:
            sock.recv()
    deadline = time.monotonic() + TIMEOUT
    while server.call(lambda: server.state.last_node_id if server.state else None) != "1":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    again = Socket(server, sock.client_id)
    assert types([again.recv(), again.recv()]) == ["status", "executing"]
    assert _msg(again.log[-1])["data"] == {"node": "1"}  # no prompt_id, no display_node
    server.faults.hang = Hang.NONE
    assert types(again.until_done(pid))[-3:] == ["execution_success", "status", "executing"]
    again.close()


def test_restart_forgets_queue_and_history(server: ComfyTestServer, sock: Socket) -> None:
    server.faults.restart_at_class = "CreateVideo"
    body = load("success_video/prompt_request.json") | {"client_id": sock.client_id}
    pid = post_prompt(server, body).json()["prompt_id"]
    with pytest.raises(CONNECTION_LOST):
        while True:
            sock.recv()
    assert server.faults.restart_at_class is None  # one-shot
    assert get(server, f"/history/{pid}").json() == {}
    assert get(server, "/queue").json() == {"queue_running": [], "queue_pending": []}
    again = Socket(server)
    again.recv()
    pid2, _ = run_capture(server, again, "success_cached")  # nothing cached any more
    assert get(server, f"/history/{pid2}").json()[pid2]["prompt"][0] == 0
    server.restart()
    assert get(server, f"/history/{pid2}").json() == {}


def test_error_at_class_fault(server: ComfyTestServer, sock: Socket) -> None:
    server.faults.error_at_class = "CreateVideo"
    pid, got = run_capture(server, sock, "success_video")
    assert types(got)[-3:] == ["execution_error", "status", "executing"]
    error = _msg(got[-3])["data"]
    assert (error["node_type"], error["exception_type"], error["executed"]) == (
        "CreateVideo", "RuntimeError", ["1"])
    assert error["exception_message"].endswith("\n")
    assert error["current_inputs"]["fps"] == [24.0]
    job = get(server, f"/api/jobs/{pid}").json()
    assert job["status"] == "failed" and job["execution_error"] == error


def test_slow_start_refuses_connections_first(tmp_path: Path) -> None:
    with ComfyTestServer(faults=Faults(slow_start=0.3), output_dir=tmp_path) as srv:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
        deadline = time.monotonic() + 5
        while True:
            try:
                assert get(srv, "/queue").status_code == 200
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.02)


def test_hang_modes(server: ComfyTestServer, sock: Socket) -> None:
    body = load("success_video/prompt_request.json") | {"client_id": sock.client_id}

    server.faults.hang = Hang.NO_RESPONSE
    with pytest.raises(requests.ReadTimeout):
        requests.post(server.url + "/prompt", json=body, timeout=0.2)
    assert len(server.received.prompts) == 1
    assert get(server, "/queue").json()["queue_pending"] == []

    server.faults.hang = Hang.NOT_STARTED  # the held request goes on and queues its prompt
    queued = sock.until(lambda e: _msg(e).get("type") == "status")
    assert _msg(queued[-1])["data"]["status"]["exec_info"]["queue_remaining"] == 1
    with pytest.raises(websocket.WebSocketTimeoutException):
        sock.recv(timeout=0.1)
    assert len(get(server, "/queue").json()["queue_pending"]) == 1

    server.faults.hang = Hang.STALLED
    sock.until(lambda e: _msg(e).get("type") == "executing")
    with pytest.raises(websocket.WebSocketTimeoutException):
        sock.recv(timeout=0.1)
    running = get(server, "/queue").json()["queue_running"]
    assert len(running) == 1

    server.faults.hang = Hang.NONE
    sock.until_done(running[0][1])


def test_sampler_progress_steps_delay_and_big_outputs(tmp_path: Path) -> None:
    sim = Simulation(sampler_steps=3, step_delay=0.01, output_bytes=3 * 1024 * 1024 + 5)
    faults = Faults(node_delay=0.005)
    with ComfyTestServer(
        models=CAPTURED_MODELS, sim=sim, faults=faults, output_dir=tmp_path
    ) as srv:
        client = Socket(srv)
        client.recv()
        started = time.monotonic()
        response = post_prompt(srv, {"prompt": _sampler_workflow(), "client_id": client.client_id})
        assert response.status_code == 200, response.text
        got = client.until_done(response.json()["prompt_id"])
        assert time.monotonic() - started >= 3 * 0.01 + 11 * 0.005
        progress = [_msg(e)["data"] for e in got if _msg(e).get("type") == "progress"]
        assert [(p["value"], p["max"], p["node"]) for p in progress] == [
            (1, 3, "8"), (2, 3, "8"), (3, 3, "8")]
        executed = [_msg(e)["data"] for e in got if _msg(e).get("type") == "executed"]
        item = executed[0]["output"]["images"][0]
        assert item == {"filename": "t2v_00001_.mp4", "subfolder": "video", "type": "output"}
        view = requests.get(srv.url + "/view", params=item, stream=True, timeout=TIMEOUT)
        assert int(view.headers["Content-Length"]) == sim.output_bytes
        assert sum(len(chunk) for chunk in view.iter_content(1 << 20)) == sim.output_bytes
        client.close()


# -- real ComfyUI releases (tests/fixtures/versions) ------------------------------------------
#
# The verdicts are what real 0.8.0, 0.26.0 and 0.33.0 servers answered to the same prompts;
# a test server of that release, with the same files, must answer the same.

VERSIONS_DIR = Path(__file__).parent / "fixtures" / "versions"
Verdict = tuple[int, str | None, dict[str, list[tuple[str, str | None]]]]


def _verdict_params() -> list[Any]:
    params = []
    for path in sorted(VERSIONS_DIR.glob("*/prompt_verdicts.json")):
        data = json.loads(path.read_text())
        assert data["comfyui_version"] == path.parent.name
        for case in data["cases"]:
            version = path.parent.name
            params.append(pytest.param(version, case, id=f"{version}:{case['name']}"))
    return params


VERDICT_CASES = _verdict_params()


def verdict_of(status: int, body: dict[str, Any]) -> Verdict:
    """(HTTP status, error.type, node id -> sorted [(error type, input_name)]) of an answer."""
    error = body.get("error")
    node_errors = {
        node_id: sorted(
            (e["type"], e.get("extra_info", {}).get("input_name")) for e in entry["errors"]
        )
        for node_id, entry in body.get("node_errors", {}).items()
    }
    return status, error["type"] if isinstance(error, dict) else None, node_errors


def expected_verdict(case: dict[str, Any]) -> Verdict:
    verdict = case["verdict"]
    node_errors = {
        node_id: sorted((kind, name) for kind, name in pairs)
        for node_id, pairs in verdict["node_errors"].items()
    }
    return verdict["status"], verdict["error_type"], node_errors


def comparable_body(body: dict[str, Any]) -> dict[str, Any]:
    """A whole answer minus what differs between runs (ids, queue numbers) and installs
    (traceback paths and source lines: only ``(line, function)`` of each frame is kept)."""
    body = {k: v for k, v in copy.deepcopy(body).items() if k not in ("prompt_id", "number")}
    for entry in body.get("node_errors", {}).values():
        for error in entry["errors"]:
            extra = error.get("extra_info", {})
            if "traceback" in extra:
                extra["traceback"] = [
                    re.search(r"line (\d+), in (\w+)", frame).groups()  # type: ignore[union-attr]
                    for frame in extra["traceback"]
                ]
    return body


def release_server(version: str, root: Path, **kwargs: Any) -> ComfyTestServer:
    """A test server of ``version`` set up like the captured one: the same (empty placeholder)
    model files and input files (images, and 0.38.1's ``voice.wav``). ``kwargs`` override the
    server's arguments."""
    models, input_files = captured_setup(version)
    input_dir = root / "input"
    input_dir.mkdir(parents=True, exist_ok=True)
    contents = {".png": (PROTOCOL / "upload_image" / "upload_a.png").read_bytes(),
                ".wav": wav_bytes()}
    for name in input_files:
        (input_dir / name).write_bytes(contents[Path(name).suffix])
    options: dict[str, Any] = {"comfyui_version": version, "placeholders": models,
                               "input_dir": input_dir, "output_dir": root / "output"}
    return ComfyTestServer(**(options | kwargs))


@pytest.fixture(scope="module")
def release_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], ComfyTestServer]]:
    """``get(version)``: one started :func:`release_server` per release, for the module."""
    started: dict[str, ComfyTestServer] = {}

    def get(version: str) -> ComfyTestServer:
        if version not in started:
            root = tmp_path_factory.mktemp(f"comfyui-{version}")
            started[version] = release_server(version, root).start()
        return started[version]

    yield get
    for srv in started.values():
        srv.stop()


def test_every_release_with_verdicts_is_replayed() -> None:
    assert {p.values[0] for p in VERDICT_CASES} == {"0.8.0", "0.26.0", "0.33.0", "0.38.1"}
    assert len(VERDICT_CASES) == 4 * 27


@pytest.mark.parametrize(("version", "case"), VERDICT_CASES)
def test_release_answers_prompts_like_the_real_server(
    release_servers: Callable[[str], ComfyTestServer], version: str, case: dict[str, Any]
) -> None:
    response = post_prompt(release_servers(version), {"prompt": case["prompt"]})
    assert verdict_of(response.status_code, response.json()) == expected_verdict(case)
    assert comparable_body(response.json()) == comparable_body(case["body"])


def _cases_by_name(version: str) -> dict[str, dict[str, Any]]:
    data = json.loads((VERSIONS_DIR / version / "prompt_verdicts.json").read_text())
    return {case["name"]: case for case in data["cases"]}


def test_replay_tells_releases_apart(release_servers: Callable[[str], ComfyTestServer]) -> None:
    """Where the real 0.8.0 and 0.33.0 disagree, so do the test servers, each like its own;
    and a server is caught answering with the other release's verdict."""
    old, new = _cases_by_name("0.8.0"), _cases_by_name("0.33.0")
    assert old.keys() == new.keys()
    disagreements = [n for n in old if expected_verdict(old[n]) != expected_verdict(new[n])]
    assert disagreements == ["mut/unknown-class"]  # invalid_prompt -> missing_node_type
    for name in disagreements:
        assert old[name]["prompt"] == new[name]["prompt"]
        answers = {}
        for version in ("0.8.0", "0.33.0"):
            response = post_prompt(release_servers(version), {"prompt": old[name]["prompt"]})
            answers[version] = verdict_of(response.status_code, response.json())
        assert answers["0.8.0"] == expected_verdict(old[name])
        assert answers["0.33.0"] == expected_verdict(new[name])
        assert answers["0.8.0"] != expected_verdict(new[name])  # a wrong expectation fails


def test_replay_catches_a_server_without_the_real_files(tmp_path: Path) -> None:
    """The model combos come from the test server's own files, not from the placeholder names
    listed in the capture: without the distilled checkpoint the builds that load it are
    refused, exactly where the real server (which had it) accepted them."""
    models, _ = captured_setup("0.33.0")
    checkpoint = "ltx-2-19b-distilled.safetensors"
    fewer = {k: [n for n in v if n != checkpoint] for k, v in models.items()}
    cases = _cases_by_name("0.33.0")
    with release_server("0.33.0", tmp_path, placeholders=fewer) as srv:
        for name in ("build/t2v/fast/none", "build/i2v/fast/dolly_in"):
            case = cases[name]
            assert expected_verdict(case) == (200, None, {})
            response = post_prompt(srv, {"prompt": case["prompt"]})
            status, error_type, node_errors = verdict_of(response.status_code, response.json())
            assert (status, error_type) == (400, "prompt_outputs_failed_validation")
            assert ("value_not_in_list", "ckpt_name") in node_errors["1"]
        # ... and the i2v builds need corpus.png in the input directory.
        (srv.input_dir / "corpus.png").unlink()
        i2v = cases["build/i2v/pro/none"]
        response = post_prompt(srv, {"prompt": i2v["prompt"]})
        errors = verdict_of(response.status_code, response.json())[2]
        assert ("custom_validation_failed", "image") in [e for v in errors.values() for e in v]


@pytest.mark.parametrize("version", available_versions())
def test_release_serves_its_object_info_and_system_stats(tmp_path: Path, version: str) -> None:
    captured_info = load_version_object_info(version)
    with release_server(version, tmp_path) as srv:  # the capture's own files
        assert get(srv, "/object_info").json() == captured_info
        stats = get(srv, "/system_stats").json()
        assert stats["system"]["comfyui_version"] == version
        argv = stats["system"]["argv"]
        assert argv[argv.index("--port") + 1] == str(srv.port)
    models = {"checkpoints": ["b.safetensors", "a.safetensors"], "loras": ["l.safetensors"]}
    with ComfyTestServer(comfyui_version=version, models=models, output_dir=tmp_path / "o2",
                         input_dir=tmp_path / "i2") as srv:
        info = get(srv, "/object_info").json()
        assert info.keys() == captured_info.keys()
        checkpoints = ["a.safetensors", "b.safetensors"]
        assert info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0] == checkpoints
        audio_vae = info["LTXVAudioVAELoader"]["input"]["required"]["ckpt_name"]
        assert audio_vae[1]["options"] == checkpoints
        assert info["LoraLoaderModelOnly"]["input"]["required"]["lora_name"][0] == [
            "l.safetensors"]
        assert info["VAELoader"]["input"]["required"]["vae_name"][0] == ["pixel_space"]
        assert info["CLIPLoader"]["input"]["required"]["clip_name"][0] == []
        assert info["LoadImage"]["input"]["required"]["image"][0] == []
        assert info["EmptyImage"] == captured_info["EmptyImage"]


def _run_end(client: Socket, prompt_id: str) -> dict[str, Any]:
    """The ``execution_success`` or ``execution_error`` message of ``prompt_id``."""
    return client.until(lambda e: _msg(e).get("type") in ("execution_success", "execution_error")
                        and _msg(e)["data"].get("prompt_id") == prompt_id)[-1]


def test_audio_vae_loader_reads_vae_then_checkpoints_from_0_38(tmp_path: Path) -> None:
    """0.38's LTXVAudioVAELoader lists models/vae/ then models/checkpoints/ (each name once)
    and opens a name from the first folder holding it (Comfy-Org/ComfyUI,
    comfy_extras/nodes_lt_audio.py ``_ltxv_audio_vae_names``); 0.33.0's lists checkpoints."""
    files = {"vae": ["v.safetensors", "d.safetensors"],
             "checkpoints": ["d.safetensors", "a.safetensors"]}
    prompt = {"1": {"class_type": "LTXVAudioVAELoader", "inputs": {"ckpt_name": "v.safetensors"}},
              "2": {"class_type": "PreviewAny", "inputs": {"source": ["1", 0]}}}
    listed, answers = {}, {}
    for version in ("0.33.0", "0.38.1"):
        with ComfyTestServer(comfyui_version=version, placeholders=files,
                             output_dir=tmp_path / version / "out",
                             input_dir=tmp_path / version / "in") as srv:
            info = get(srv, "/object_info").json()["LTXVAudioVAELoader"]
            listed[version] = info["input"]["required"]["ckpt_name"][1]["options"]
            client = Socket(srv)
            response = post_prompt(srv, {"prompt": prompt, "client_id": client.client_id})
            answers[version] = verdict_of(response.status_code, response.json())
            if response.status_code == 200:  # an empty placeholder in vae/: it fails to load
                error = _msg(_run_end(client, response.json()["prompt_id"]))
                assert error["type"] == "execution_error"
                assert (error["data"]["node_id"], error["data"]["exception_type"]) == (
                    "1", "safetensors._safetensors_rust.SafetensorError")
            client.close()
    assert listed == {"0.33.0": ["a.safetensors", "d.safetensors"],
                      "0.38.1": ["d.safetensors", "v.safetensors", "a.safetensors"]}
    assert answers == {"0.33.0": (400, "prompt_outputs_failed_validation",
                                  {"1": [("value_not_in_list", "ckpt_name")]}),
                       "0.38.1": (200, None, {})}


def test_default_server_is_still_the_protocol_captures_0_26_0(
    shared_server: ComfyTestServer,
) -> None:
    assert shared_server.comfyui_version is None
    assert len(get(shared_server, "/object_info").json()) < 100  # LTX-2 nodes only
    assert get(shared_server, "/system_stats").json()["system"]["comfyui_version"] == "0.26.0"
    with pytest.raises(ValueError, match="no captured ComfyUI"):
        ComfyTestServer(comfyui_version="0.1.0")


def _validate(srv: ComfyTestServer, prompt: dict[str, Any]) -> Verdict:
    response = requests.post(srv.url + "/validate_prompt", json={"prompt": prompt},
                             timeout=TIMEOUT)
    body = response.json()
    return verdict_of(response.status_code, body) if response.status_code == 400 else (
        200, None, verdict_of(200, body)[2])


def _details(srv: ComfyTestServer, prompt: dict[str, Any], node: str) -> list[str]:
    response = requests.post(srv.url + "/validate_prompt", json={"prompt": prompt},
                             timeout=TIMEOUT)
    return [e["details"] for e in response.json()["node_errors"][node]["errors"]]


def test_release_rules_beyond_the_verdicts(
    release_servers: Callable[[str], ComfyTestServer],
) -> None:
    """Behaviour derived from ComfyUI's source (execution.py, comfy_api/latest/_io.py) and the
    release schemas, for inputs the verdicts do not exercise."""
    v8, v26, v33 = (release_servers(v) for v in ("0.8.0", "0.26.0", "0.33.0"))
    video = {
        "1": {"class_type": "EmptyImage",
              "inputs": {"width": 64, "height": 64, "batch_size": 9, "color": 0}},
        "2": {"class_type": "CreateVideo", "inputs": {"images": ["1", 0], "fps": 24.0}},
    }

    def save(**inputs: Any) -> dict[str, Any]:
        node = {"video": ["2", 0], "filename_prefix": "video/x", "format": "auto"} | inputs
        return video | {"3": {"class_type": "SaveVideo", "inputs": node}}

    # 0.33.0's SaveVideo.codec is a DynamicCombo holding another one: codec.encoding.crf.
    reencode = {"codec": "h264", "codec.encoding": "re-encode"}
    assert _validate(v33, save(**reencode)) == (400, "prompt_outputs_failed_validation", {
        "3": [("required_input_missing", "codec.encoding.crf")]})
    assert _details(v33, save(**reencode), "3") == ["crf"]
    assert _validate(v33, save(**reencode, **{"codec.encoding.crf": 60})) == (
        400, "prompt_outputs_failed_validation",
        {"3": [("value_bigger_than_max", "codec.encoding.crf")]})
    assert _validate(v33, save(**reencode, **{"codec.encoding.crf": "18"}))[0] == 200
    assert _validate(v33, save(codec="h264"))[0] == 200  # encoding is optional
    # An unknown choice makes the combo and its sub-inputs vanish; before, codec was a COMBO.
    assert _validate(v33, save(codec="vp9"))[0] == 200
    assert _validate(v33, save())[0] == 200
    assert _validate(v26, save(codec="vp9")) == (400, "prompt_outputs_failed_validation", {
        "3": [("value_not_in_list", "codec")]})
    assert _validate(v26, save()) == (400, "prompt_outputs_failed_validation", {
        "3": [("required_input_missing", "codec")]})

    # LTXVEmptyLatentAudio.frame_rate: INT in 0.8.0 (converted), "FLOAT,INT" in 0.33.0 (not).
    audio: dict[str, Any] = {
        "1": {"class_type": "LTXVAudioVAELoader",
              "inputs": {"ckpt_name": "ltx-2-19b-distilled.safetensors"}},
        "2": {"class_type": "LTXVEmptyLatentAudio", "inputs": {
            "audio_vae": ["1", 0], "batch_size": 1, "frames_number": 97, "frame_rate": 24.5}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }
    assert _validate(v8, audio)[0] == _validate(v33, audio)[0] == 200
    audio["2"]["inputs"]["frame_rate"] = "24.5"
    assert _validate(v8, audio)[2] == {"2": [("invalid_input_type", "frame_rate")]}
    assert _validate(v33, audio)[2] == {  # "24.5" < 1.0 raises in the min check
        "2": [("exception_during_inner_validation", "source")]}
    audio["2"]["inputs"]["frame_rate"] = 0.5
    assert _validate(v33, audio)[2] == {"2": [("value_smaller_than_min", "frame_rate")]}

    # Autogrow: BatchImagesNode needs images.image0 and .image1 in 0.8.0 (min 2), 0.33.0 min 1.
    batch = {
        "1": video["1"],
        "2": {"class_type": "BatchImagesNode", "inputs": {"images.image0": ["1", 0]}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }
    assert _validate(v8, batch)[2] == {"2": [("required_input_missing", "images.image1")]}
    assert _details(v8, batch, "2") == ["image1"]
    assert _validate(v33, batch)[0] == 200

    # A cycle: 0.26.0 and later report it; 0.8.0 recursed into a RecursionError that left no
    # reason on any node (see ValidationRules.detects_cycles).
    cycle = {"7": {"class_type": "ImageInvert", "inputs": {"image": ["8", 0]}},
             "8": {"class_type": "ImageInvert", "inputs": {"image": ["7", 0]}},
             "9": {"class_type": "PreviewImage", "inputs": {"images": ["7", 0]}}}
    assert _validate(v33, cycle)[2] == {"7": [("dependency_cycle", None)],
                                        "8": [("dependency_cycle", None)]}
    assert _validate(v8, cycle) == (400, "prompt_outputs_failed_validation", {})

    # No class_type at all.
    anonymous = {"1": {"inputs": {}}, "2": {"class_type": "PreviewAny", "inputs": {}}}
    assert _validate(v8, anonymous)[1] == "invalid_prompt"
    assert _validate(v33, anonymous)[1] == "missing_node_type"

    # LoadImage validates its file itself: any existing input file, also "x [input]"; a link
    # reaches its function as None and raises.
    load: dict[str, Any] = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "corpus.png [input]"}},
        "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}},
    }
    assert _validate(v33, load)[0] == 200
    load["1"]["inputs"]["image"] = "elsewhere.png"
    assert _validate(v33, load)[2] == {"1": [("custom_validation_failed", "image")]}
    load["0"] = {"class_type": "PrimitiveString", "inputs": {"value": "corpus.png"}}
    load["1"]["inputs"]["image"] = ["0", 0]
    assert _validate(v33, load)[2] == {"1": [("exception_during_inner_validation", "images")]}


def test_versioned_server_runs_the_builds_of_its_release(
    versioned_server: ComfyTestServer,
) -> None:
    """The conftest fixture: the release's identity, and the SDK's builds (as captured in the
    verdicts, corpus.png uploaded) validate and run, with 3 steps per sampler."""
    srv = versioned_server
    version = srv.comfyui_version
    assert version is not None
    assert get(srv, "/system_stats").json()["system"]["comfyui_version"] == version
    png = (PROTOCOL / "upload_image" / "upload_a.png").read_bytes()
    uploaded = requests.post(srv.url + "/upload/image", files={"image": ("corpus.png", png)},
                             timeout=TIMEOUT)
    assert uploaded.json()["name"] == "corpus.png"
    client = Socket(srv)
    client.recv()
    cases = _cases_by_name(version)
    for name in ("build/t2v/fast/none", "build/i2v/pro/dolly_in"):
        body = {"prompt": cases[name]["prompt"], "client_id": client.client_id}
        response = post_prompt(srv, body)
        assert response.status_code == 200, response.text
        got = client.until_done(response.json()["prompt_id"])
        assert types(got)[-3:] == ["execution_success", "status", "executing"]
        progress = [_msg(e)["data"] for e in got if _msg(e).get("type") == "progress"]
        assert {p["max"] for p in progress} == {3} and len(progress) == 6  # two stages
    client.close()
