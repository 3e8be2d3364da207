"""The Comfy API v2 backend (``ltx2sdk.backends.comfy_api_v2.backend``) against the real
``comfy-api-proxy``.

What both backends do alike is in ``test_backend.py``; here is what only the v2 API has: API
keys, telling the APIs apart, assets, the proxy's hazards (a transient ``expired``, a cancelled
queued job that ends ``expired``, ``size_bytes: 0``), a dropped event stream, a proxy restart,
and comfy-sdk's absence.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from aiohttp import web

from ltx2sdk import connect
from ltx2sdk.app.cli.main import main
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.connect import detect_api
from ltx2sdk.backends.events import Event, ExecutionInterrupted, Finished
from ltx2sdk.backends.protocol import download_all
from ltx2sdk.errors import (
    JobCancelledError,
    JobTimeoutError,
    MissingApiKeyError,
    OutputError,
    PromptLostError,
    ServerResponseError,
    ServerUnavailableError,
    ServerUnreachableError,
)
from tests.comfyserver import ComfyTestServer
from tests.conftest import ProxiedComfy
from tests.helpers import (
    DEADLINE_SLACK,
    ApiProxy,
    TcpRelay,
    free_port,
    model_free_graph,
    png_bytes,
    wav_bytes,
)

if TYPE_CHECKING:  # comfy-sdk may be missing: then the fixtures skip these tests
    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-key-do-not-show"
_colors = itertools.count(0x200003, 7919)  # an input of its own for each graph run here


@pytest.fixture
def v2(v2_server: ProxiedComfy) -> Iterator[V2Backend]:
    backend = connect(v2_server.url)
    assert backend.api == "v2"
    yield cast("V2Backend", backend)
    backend.close()


@pytest.fixture
def slow_nodes(v2_server: ProxiedComfy) -> Iterator[None]:
    """Each node of the stand-in takes 0.4 s (the model-free graph: over a second)."""
    v2_server.comfy.faults.node_delay = 0.4
    yield
    v2_server.comfy.faults.node_delay = 0.0


@pytest.fixture
def token_proxy(v2_server: ProxiedComfy) -> Iterator[ApiProxy]:
    """A second proxy in front of the same stand-in that wants ``Bearer SECRET``."""
    with ApiProxy(v2_server.comfy.url, token=SECRET) as proxy:
        yield proxy


# --- telling the APIs apart ---------------------------------------------------------------


def test_connect_asks_the_server(v2_server: ProxiedComfy, comfy_server: ComfyTestServer) -> None:
    assert detect_api(v2_server.url) == "v2"  # GET /api/v2/health answers
    assert detect_api(v2_server.comfy.url) == "comfyui"  # a plain 404 there
    assert isinstance(connect(comfy_server.url), ComfyClient)  # a plain stand-in is native
    assert connect(v2_server.url).api == "v2"
    # told, it does not ask (the v2 API of a native server then says what it is not)
    assert isinstance(connect(comfy_server.url, api="comfyui"), ComfyClient)
    with pytest.raises(ServerResponseError, match="does not answer like the Comfy API v2"):
        connect(comfy_server.url, api="v2").wait_ready(timeout=2)
    with pytest.raises(ValueError, match="api must be one of comfyui, v2"):
        connect(comfy_server.url, api="v3")
    # nothing listening: taken for a native ComfyUI, whose client says it cannot be reached
    assert detect_api(f"http://127.0.0.1:{free_port()}") == "comfyui"


def test_comfy_cloud_is_known_and_needs_a_key(v2_installed: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMFY_API_KEY", raising=False)
    with pytest.raises(MissingApiKeyError, match="COMFY_API_KEY") as err:
        connect("https://cloud.comfy.org")  # no request: its address says what it is
    assert "Comfy Cloud" in str(err.value)
    monkeypatch.setenv("COMFY_API_KEY", f"  {SECRET}\n")
    backend = connect("cloud.comfy.org:443")
    assert backend.api == "v2" and cast("V2Backend", backend).authenticated
    assert repr(backend) == "V2Backend('https://cloud.comfy.org:443', authenticated=True)"
    assert SECRET not in repr(backend) and SECRET not in str(vars(backend))
    assert detect_api("https://my-app.run.comfy.app") == "v2"  # a serverless deployment


def test_two_backends_leave_no_global_state(v2_server: ProxiedComfy,
                                            token_proxy: ApiProxy,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Each backend has its own URL and key; the environment is never written."""
    monkeypatch.delenv("COMFY_BASE_URL", raising=False)
    monkeypatch.delenv("COMFY_API_KEY", raising=False)
    before = dict(os.environ)
    made: list[V2Backend] = []

    def make(url: str, key: str | None) -> None:
        made.append(cast("V2Backend", connect(url, api_key=key, api="v2")))

    threads = [threading.Thread(target=make, args=(url, key)) for url, key in
               [(v2_server.url, None), (token_proxy.url, SECRET)] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert dict(os.environ) == before
    plain = next(b for b in made if b.base_url == v2_server.url)
    keyed = next(b for b in made if b.base_url == token_proxy.url)
    assert not plain.authenticated and keyed.authenticated
    assert plain.run(model_free_graph(next(_colors)), timeout=30).outputs
    assert keyed.run(model_free_graph(next(_colors)), timeout=30).outputs
    for backend in made:
        backend.close()


# --- the key ------------------------------------------------------------------------------


def test_the_key_is_sent_and_never_shown(token_proxy: ApiProxy,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMFY_API_KEY", raising=False)
    wrong = "wrong-key-do-not-show"
    with pytest.raises(ServerResponseError, match="refused the API key") as refused:
        connect(token_proxy.url, api_key=wrong).wait_ready(timeout=5)
    with pytest.raises(ServerResponseError, match="needs an API key: set COMFY_API_KEY"):
        connect(token_proxy.url).run(model_free_graph(next(_colors)), timeout=10)
    monkeypatch.setenv("COMFY_API_KEY", SECRET)  # read when the backend is made
    backend = connect(token_proxy.url)
    result = backend.run(model_free_graph(next(_colors)), timeout=30)
    assert result.outputs
    shown = [str(refused.value), repr(refused.value), repr(backend), backend.base_url,
             repr(result), str(result.outputs)]
    assert not [text for text in shown if SECRET in text or wrong in text]


def test_ltx2_generate_takes_the_key_from_the_flag_or_the_environment(
        token_proxy: ApiProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("COMFY_API_KEY", raising=False)
    argv = ["generate", "--prompt", "a fox", "--duration", "1", "--width", "256",
            "--height", "256", "--server", token_proxy.url, "--output-dir", str(tmp_path)]
    assert main([*argv, "--api-key", "not-" + SECRET]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "refused the API key (HTTP 401" in captured.err
    assert SECRET not in captured.err + captured.out
    monkeypatch.setenv("COMFY_API_KEY", SECRET)
    assert main([*argv, "--seed", str(next(_colors))]) == 0
    captured = capsys.readouterr()
    video = Path(captured.out.split("  (")[0])
    assert video.read_bytes()[4:8] == b"ftyp" and SECRET not in captured.err + captured.out
    # `ltx2 check` says it cannot check the v2 API, rather than pretend it did
    assert main(["check", "--server", token_proxy.url]) == 1
    assert "publishes no node schemas or model lists, so ltx2 check cannot check it" in \
        capsys.readouterr().err


def test_ltx2_generate_reaches_the_loaders_error_through_the_proxy(
        v2_placeholder_server: ProxiedComfy, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "p", "--duration", "1", "--server",
                 v2_placeholder_server.url, "--output-dir", str(tmp_path)]) == 1
    *before, error = capsys.readouterr().err.splitlines()  # the plan, said before the run
    assert before[0].startswith("ltx-2 t2v fast: ")
    assert error.startswith("ltx2: error: node ")
    assert "Loader) failed: node_execution_error: Error while deserializing header" in error


# --- inputs and outputs -------------------------------------------------------------------


def test_inputs_are_assets_found_again_by_their_hash(v2: V2Backend,
                                                     v2_server: ProxiedComfy) -> None:
    png = png_bytes(40 + next(_colors) % 40, 8)
    first = v2.upload_file(png, "first.png")
    second = v2.upload_file(png, "second.png")
    uploads = v2.uploads
    assert uploads[first].created_new is True and uploads[second].created_new is False
    assert uploads[first].asset_id == uploads[second].asset_id
    assert uploads[first].hash.startswith("blake3:")
    # in the graph, the name stands for the asset's reference
    graph = {"1": {"class_type": "LoadImage", "inputs": {"image": second}}}
    assert v2.workflow(graph)["1"]["inputs"]["image"] == {
        "__type": "core/ASSET", "info": {"id": uploads[second].asset_id,
                                         "hash": uploads[second].hash,
                                         "file_path": "second.png"}}


def test_an_audio_input_is_an_asset_too(v2: V2Backend) -> None:
    """ia2v's audio goes up like an image (``upload_file`` takes any input file): an asset,
    typed by its extension, standing for the name LoadAudio is given."""
    voice = wav_bytes(0.25 + next(_colors) % 97 / 1000)  # bytes of its own: a new asset
    name = v2.upload_file(voice, "voice.wav")
    uploaded = v2.uploads[name]
    assert name == "voice.wav" and uploaded.created_new is True
    graph = {"1": {"class_type": "LoadAudio", "inputs": {"audio": name}}}
    assert v2.workflow(graph)["1"]["inputs"]["audio"] == {
        "__type": "core/ASSET", "info": {"id": uploaded.asset_id, "hash": uploaded.hash,
                                         "file_path": "voice.wav"}}


def test_a_video_is_known_by_content_type_or_signature(v2: V2Backend, tmp_path: Path) -> None:
    """The proxy reports SaveVideo's mp4 as type "image" with size_bytes 0: what it is comes
    from its content type, else from its first bytes; its size from the download itself."""
    result = v2.run(model_free_graph(next(_colors)), timeout=30)
    job = v2.poll(result.prompt_id)
    [raw] = job.outputs
    assert (raw.type.value, raw.content_type, raw.size_bytes) == ("image", "video/mp4", 0)
    deadline = time.monotonic() + 30
    unnamed = v2.asset_output(raw.model_copy(update={"name": "clip"}), deadline=deadline)
    assert unnamed.filename == "clip.mp4" and unnamed.is_video
    blob = v2.asset_output(raw.model_copy(update={
        "name": "blob", "content_type": "application/octet-stream"}), deadline=deadline)
    assert blob.filename == "blob.mp4" and blob.is_video  # by its ftyp box
    picture = v2.asset_output(raw.model_copy(update={"content_type": "image/png",
                                                     "name": "x.png"}), deadline=deadline)
    assert not picture.is_video and picture.kind == "images"
    assert v2.download(blob, tmp_path / "blob.mp4").stat().st_size > 1000
    with pytest.raises(OutputError, match="not a usable file: it does not start like a png"):
        v2.download(picture, tmp_path / "x.png")  # the bytes are not what it claims
    assert not (tmp_path / "x.png").exists()


# --- the proxy's hazards ------------------------------------------------------------------


def hide_history(server: ComfyTestServer, job_id: str, times: int) -> list[str]:
    """Make the stand-in answer ``{}`` for the first ``times`` reads of ``job_id``'s finished
    history (as if it finished between the proxy's two reads): the proxy says ``expired``."""
    hidden: list[str] = []

    async def tamper(request: web.Request, handler: Any) -> Any:
        if not request.path.endswith(f"/history/{job_id}"):
            return None
        answer = await handler(request)
        if len(hidden) < times and job_id.encode() in answer.body:
            hidden.append(request.path)
            return web.json_response({})
        return answer

    server.faults.tamper = tamper
    return hidden


def test_a_transient_expired_is_asked_again(v2: V2Backend, v2_server: ProxiedComfy,
                                            tmp_path: Path) -> None:
    graph = model_free_graph(next(_colors))
    job_ids: list[str] = []
    seen: list[str] = []

    def hide(job_id: str) -> None:
        job_ids.append(job_id)
        seen.extend(hide_history(v2_server.comfy, job_id, times=2))

    try:
        result = v2.run(graph, output_dir=tmp_path, on_queued=hide, timeout=30)
    finally:
        v2_server.comfy.faults.tamper = None
    assert result.prompt_id == job_ids[0] and result.files
    # ... and a job the server has forgotten for good is lost, not waited for
    job = v2.run(model_free_graph(next(_colors)), timeout=30)
    hide_history(v2_server.comfy, job.prompt_id, times=100)
    try:
        start = time.monotonic()
        from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

        follow_only = V2Backend(v2_server.url)
        with pytest.raises(PromptLostError, match="expired"):
            follow_only.follow(job.prompt_id, deadline=time.monotonic() + 20)
        assert time.monotonic() - start < 5
    finally:
        v2_server.comfy.faults.tamper = None


def test_a_queued_job_cancelled_from_elsewhere_ends_cancelled(
        v2: V2Backend, v2_server: ProxiedComfy, slow_nodes: None) -> None:
    """Cancelled while queued, a job never reaches the history: the proxy says ``expired``,
    which after our own cancel means cancelled."""
    ahead = threading.Thread(target=v2.run, args=(model_free_graph(next(_colors)),),
                             kwargs={"timeout": 30})
    ahead.start()  # keeps the stand-in busy
    time.sleep(0.3)
    events: list[Event] = []
    start = time.monotonic()
    with pytest.raises(JobCancelledError) as err:
        v2.run(model_free_graph(next(_colors)), on_event=events.append,
               on_queued=lambda job_id: v2.interrupt(job_id), timeout=30)
    assert time.monotonic() - start < 3
    assert v2.poll(err.value.prompt_id or "").status.value == "expired"
    assert isinstance(events[-1], ExecutionInterrupted)
    ahead.join()


def test_a_dropped_event_stream_is_reconnected(v2_server: ProxiedComfy, slow_nodes: None,
                                               tmp_path: Path) -> None:
    with TcpRelay(v2_server.proxy.port) as relay:
        backend = connect(relay.url)
        assert backend.api == "v2"
        cuts: list[int] = []

        def cut_soon(job_id: str) -> None:
            def cut() -> None:
                for _ in range(2):  # twice: the reconnected stream too
                    time.sleep(0.35)
                    cuts.append(relay.cut(b"/events"))
            threading.Thread(target=cut, daemon=True).start()

        events: list[Event] = []
        result = backend.run(model_free_graph(next(_colors)), output_dir=tmp_path,
                             on_event=events.append, on_queued=cut_soon, timeout=30)
        assert [o.filename for o in result.files] == [p.name for p in result.files.values()]
        assert sum(cuts) >= 1 and relay.opened(b"/events") >= 2  # cut, and opened again
        assert isinstance(events[-1], Finished)
        backend.close()
    # the event stream's thread ended with the run
    assert not [t for t in threading.enumerate() if t.name.startswith("ltx2sdk-v2-events")]


def test_a_proxy_restart_mid_job_is_waited_out(v2_server: ProxiedComfy, v2: V2Backend,
                                               slow_nodes: None, tmp_path: Path) -> None:
    """Killed and started again (its state on disk), the proxy knows the job again: the run
    carries on through the refused connections and downloads the video."""
    restarted = threading.Event()

    def restart_soon(job_id: str) -> None:
        def restart() -> None:
            time.sleep(0.3)
            v2_server.proxy.restart()
            restarted.set()
        threading.Thread(target=restart, daemon=True).start()

    result = v2.run(model_free_graph(next(_colors)), output_dir=tmp_path,
                    on_queued=restart_soon, timeout=30)
    assert restarted.wait(10)
    [video] = result.files.values()
    assert video.read_bytes()[4:8] == b"ftyp"


def test_a_dripping_download_ends_by_the_deadline(v2: V2Backend, v2_server: ProxiedComfy,
                                                  tmp_path: Path) -> None:
    result = v2.run(model_free_graph(next(_colors)), timeout=30)

    async def drip(request: web.Request, handler: Any) -> Any:
        if request.path != "/view":
            return None
        response = web.StreamResponse(headers={"Content-Type": "video/mp4",
                                               "Content-Length": "100000"})
        await response.prepare(request)
        for _ in range(1000):
            await response.write(b"\0")
            await asyncio.sleep(0.05)
        return response

    v2_server.comfy.faults.tamper = drip
    start = time.monotonic()
    try:
        with pytest.raises(JobTimeoutError):
            download_all(v2, result, tmp_path, deadline=time.monotonic() + 1.5)
    finally:
        v2_server.comfy.faults.tamper = None
    assert time.monotonic() - start < 1.5 + DEADLINE_SLACK
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left


def test_an_answer_whose_head_drips_ends_at_the_deadline(v2_installed: None) -> None:
    """The bound covers an exchange from its first byte sent: a server that sends its status
    line and headers a byte every 0.2 s (no single read waits long) is cut at the deadline,
    on a new connection and on one the pool reuses."""
    import socket

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()
    answer = json.dumps(ScriptedV2().job("queued")).encode()
    quick = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(answer)).encode() + b"\r\n\r\n" + answer)

    served: list[int] = []  # the connections' numbers, an answer each

    def serve(conn: socket.socket, number: int) -> None:
        with conn, contextlib.suppress(OSError):  # the client hung up: that is the point
            while not stop.is_set():
                if not conn.recv(65536):
                    return
                first = not served
                served.append(number)
                if first:  # the first answer at once: its connection is reused
                    conn.sendall(quick)
                    continue
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 400:
                    if stop.wait(0.2):
                        return
                    conn.sendall(bytes([byte]))

    def accept() -> None:
        for number in itertools.count():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn, number), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    backend = V2Backend(f"http://127.0.0.1:{listener.getsockname()[1]}")
    try:
        backend.poll("job-1", deadline=time.monotonic() + 5)  # a connection to reuse
        for _ in range(2):  # the reused connection, then a new one
            start = time.monotonic()
            with pytest.raises((JobTimeoutError, ServerUnavailableError)):
                backend.poll("job-1", deadline=time.monotonic() + 1.5)
            assert time.monotonic() - start < 1.5 + DEADLINE_SLACK
        assert served == [0, 0, 1]  # the second poll reused the first's connection
    finally:
        stop.set()
        listener.close()
        backend.close()


def test_a_huge_error_answer_is_not_read_whole(v2_installed: None) -> None:
    """A 500 whose body never ends: comfy-sdk reads an error's body whole, so only its first
    MAX_ERROR_BODY_BYTES are read; the failure is the server's, as a small one is."""
    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend
    from ltx2sdk.backends.comfy_api_v2.transport import MAX_ERROR_BODY_BYTES

    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        while len(sent) < 4096:  # 256 MiB at most, if nothing stopped reading
            sent.append(1)
            yield b"x" * 65536

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, headers={"Content-Type": "text/plain"}, content=endless())

    backend = V2Backend("http://v2.invalid", transport=httpx.MockTransport(handler))
    with pytest.raises(ServerUnavailableError, match=r"HTTP 500|cannot serve"):
        backend.poll("job-1", deadline=time.monotonic() + 10)
    assert len(sent) * 65536 <= MAX_ERROR_BODY_BYTES + 65536


def test_a_redirect_target_that_resolves_again_to_a_private_address_is_not_connected(
        v2_installed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a redirect's host may resolve to a public address when the redirect is
    checked and to a private one when it is followed. The transport checks the address it
    connected to: any host but the configured server's must be public, or nothing is sent;
    the configured server itself may be private (here both are this machine)."""
    import socket

    import httpx

    from ltx2sdk.backends.comfy_api_v2.transport import watching_http_transport

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    data = conn.recv(65536)
                    received.append(data)
                    if data:
                        conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        # both names are this machine when connected to (the rebound answer)
        return real_getaddrinfo("127.0.0.1" if host in ("v2.example", "storage.example")
                                else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client = httpx.Client(transport=watching_http_transport("v2.example"))
    try:
        assert client.get(f"http://v2.example:{port}/api/v2/health").status_code == 204
        with pytest.raises(httpx.ConnectError, match=r"storage\.example is at 127\.0\.0\.1 "
                                                     r"\(loopback\), not a public address"):
            client.get(f"http://storage.example:{port}/blob/asset-1")
    finally:
        client.close()
        listener.close()
    sent = [data for data in received if data]  # the refused connection carried nothing
    assert len(sent) == 1 and sent[0].startswith(b"GET /api/v2/health ")


def test_transport_failures_are_the_sdks_errors(v2_installed: None) -> None:
    backend = connect(f"http://127.0.0.1:{free_port()}", api="v2")
    with pytest.raises(ServerUnavailableError,
                       match=r"^cannot reach the Comfy API v2 at http://127\.0\.0\.1:\d+: "
                             r"connection refused$"):
        backend.run(model_free_graph(), timeout=5)
    with pytest.raises(ServerUnavailableError, match=r"was not ready within 0\.3 s "
                                                     r"\(connection refused\)$"):
        backend.wait_ready(timeout=5, interval=0.05, refused_grace=0.3)


def test_an_unknown_host_is_not_waited_for_even_when_asked(v2_installed: None) -> None:
    backend = connect("http://no-such-host.invalid:8189", api="v2")
    start = time.monotonic()
    with pytest.raises(ServerUnreachableError,
                       match=r"^cannot reach the Comfy API v2 at http://no-such-host\.invalid"
                             r":8189: unknown host \(the name no-such-host\.invalid does not "
                             r"resolve: check the URL\)$"):
        backend.wait_ready(timeout=60, interval=0.05)  # asked to wait for a refused one
    assert time.monotonic() - start < 6


# --- without comfy-sdk ----------------------------------------------------------------------


def test_without_comfy_sdk_the_extra_is_named(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = """
        import json, sys
        sys.modules["comfy_sdk"] = None  # as if it were not installed
        from ltx2sdk import connect
        try:
            connect("http://127.0.0.1:9", api="v2")
        except ModuleNotFoundError as exc:
            print(json.dumps([type(exc).__name__, str(exc), exc.name]))
    """
    done = subprocess.run([sys.executable, "-c", code.replace("\n        ", "\n")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    kind, message, name = json.loads(done.stdout)
    assert kind == "ModuleNotFoundError" and name.startswith("comfy_sdk")
    assert message == ("the Comfy API v2 backend needs comfy-sdk, which is not installed: "
                       "pip install 'ltx2sdk[cloud]'")
    for module in [m for m in sys.modules if m.split(".")[0] == "comfy_sdk"]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.delitem(sys.modules, "ltx2sdk.backends.comfy_api_v2.backend")
    assert main(["generate", "--prompt", "p", "--server", "http://127.0.0.1:9",
                 "--api", "v2"]) == 1
    assert capsys.readouterr().err == (
        "ltx2: error: this needs the Python module comfy_sdk, which is not installed: "
        "pip install 'ltx2sdk[cloud]'\n")


# --- through an in-memory transport (no socket) -------------------------------------------

MP4 = (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"  # a whole mp4: ftyp, mdat,
       b"\x00\x00\x00\x0cmdat\x00\x00\x00\x00\x00\x00\x00\x08moov")  # then the index


class ScriptedV2:
    """A Comfy API v2 in memory (an ``httpx.MockTransport`` handler): it takes one job, which
    runs on the first poll and has succeeded on the next; its event stream tells the same."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.polls = 0

    def job(self, status: str) -> dict[str, Any]:
        now = "2026-01-01T00:00:00Z"
        output = {"node_id": "3", "name": "clip_00001_.mp4", "type": "image",
                  "content_type": "video/mp4", "size_bytes": 0, "id": "asset-1",
                  "hash": None, "url": "http://v2.invalid/api/v2/assets/asset-1/content",
                  "url_expires_at": now}
        return {"id": "job-1", "status": status, "created_at": now, "started_at": None,
                "completed_at": None, "expires_at": now, "queue_position": None,
                "progress": {"value": 0.5, "nodes_done": 1, "nodes_total": 3,
                             "current_node": "2", "step": 1, "steps": 2}
                if status == "running" else None,
                "outputs": [output] if status == "succeeded" else [], "error": None,
                "urls": {"self": "/api/v2/jobs/job-1", "events": "/api/v2/jobs/job-1/events",
                         "cancel": "/api/v2/jobs/job-1/cancel"}}

    def __call__(self, request: Any) -> Any:
        import httpx

        with self.lock:
            self.requests.append(f"{request.method} {request.url.path}")
            path = request.url.path
            if path.endswith("/jobs/00000000-0000-0000-0000-000000000000"):
                return httpx.Response(404, json={"error": {"code": "not_found",
                                                           "message": "no such job"}})
            if request.method == "POST" and path == "/api/v2/jobs":
                return httpx.Response(201, json=self.job("queued"))
            if path == "/api/v2/jobs/job-1/events":
                frames = [("status", {"status": "running"}),
                          ("progress", {"current_node": "1", "step": 1, "steps": 2})]
                return httpx.Response(200, headers={"Content-Type": "text/event-stream"},
                                      content="".join(f"event: {name}\ndata: {json.dumps(d)}\n\n"
                                                      for name, d in frames).encode())
            if path == "/api/v2/jobs/job-1":
                self.polls += 1
                return httpx.Response(200, json=self.job("running" if self.polls == 1
                                                         else "succeeded"))
            if path == "/api/v2/assets/asset-1/content":
                return httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=MP4)
            return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})


def test_a_run_goes_through_an_injected_transport(v2_installed: None, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The seam: every request of the v2 backend goes through the transport it is given, so
    a scripted one runs it whole (ready, submitted, followed by stream and polls, downloaded
    and verified) without a socket."""
    import socket

    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    server = ScriptedV2()
    backend = V2Backend("http://v2.invalid", transport=httpx.MockTransport(server))
    assert backend.wait_ready(timeout=1) == {"api": "v2", "base_url": "http://v2.invalid"}
    events: list[Event] = []
    result = backend.run(model_free_graph(), output_dir=tmp_path, on_event=events.append,
                         timeout=10)
    assert result.prompt_id == "job-1"
    names = [type(e).__name__ for e in events]
    assert names[0] == "ExecutionStarted" and names[-2:] == ["ExecutionSucceeded", "Finished"]
    assert "Progress" in names and names.count("ExecutionStarted") == 1
    [video] = result.outputs
    assert result.files[video].read_bytes() == MP4 and video.is_video
    assert "POST /api/v2/jobs" in server.requests and server.polls == 2
    backend.close()


class RedirectingV2(ScriptedV2):
    """:class:`ScriptedV2` whose asset answers 302 to ``location``; what that serves is the
    video (a signed storage URL's answer)."""

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location
        self.hosts: list[str] = []

    def __call__(self, request: Any) -> Any:
        import httpx

        with self.lock:
            self.hosts.append(request.url.host)
        if request.url.path == "/api/v2/assets/asset-1/content":
            return httpx.Response(302, headers={"Location": self.location})
        if request.url.path == "/blob/asset-1":
            return httpx.Response(200, headers={"Content-Type": "video/mp4"}, content=MP4)
        return super().__call__(request)


@pytest.mark.parametrize(("location", "followed"), [
    ("http://169.254.169.254/blob/asset-1", None),
    ("https://metadata.example/blob/asset-1", None),  # resolves to 169.254.169.254
    ("http://storage.example/blob/asset-1", None),  # public, but not https
    ("/blob/asset-1", "v2.invalid"),  # the server's own origin
    ("https://storage.example/blob/asset-1", "storage.example"),  # signed storage URL
])
def test_a_redirect_is_followed_only_to_the_server_or_public_https(
        v2_installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, location: str,
        followed: str | None) -> None:
    """The configured server is trusted, where it redirects is not: an asset answering 302 to
    a metadata address is a server-response error naming it, and nothing is sent there
    (resolution is patched: no name leaves the machine)."""
    import socket

    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    addresses = {"storage.example": "93.184.215.14", "metadata.example": "169.254.169.254",
                 "169.254.169.254": "169.254.169.254"}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server = RedirectingV2(location)
    backend = V2Backend("http://v2.invalid", transport=httpx.MockTransport(server))
    if followed is None:
        with pytest.raises(OutputError) as caught:
            backend.run(model_free_graph(), output_dir=tmp_path, timeout=10)
        assert (f"GET /api/v2/assets/asset-1/content answered HTTP 302, a redirect to "
                f"{location} (") in str(caught.value)
        assert "not followed)" in str(caught.value)
        assert set(server.hosts) == {"v2.invalid"}
    else:
        result = backend.run(model_free_graph(), output_dir=tmp_path, timeout=10)
        [video] = result.outputs
        assert result.files[video].read_bytes() == MP4 and followed in server.hosts


def test_an_output_name_never_replaces_a_file_in_the_output_dir(v2_installed: None,
                                                                tmp_path: Path) -> None:
    """A second job whose output the server names as the first one's (or as a file of the
    user's) lands under a fresh name: the first video stays."""
    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    (tmp_path / "clip_00001_.mp4").write_bytes(b"the first video")
    backend = V2Backend("http://v2.invalid", transport=httpx.MockTransport(ScriptedV2()))
    result = backend.run(model_free_graph(), output_dir=tmp_path, timeout=10)
    [video] = result.outputs
    assert result.files[video] == tmp_path / "clip_00001_ (1).mp4"
    assert result.files[video].read_bytes() == MP4
    assert (tmp_path / "clip_00001_.mp4").read_bytes() == b"the first video"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip_00001_ (1).mp4",
                                                         "clip_00001_.mp4"]
    backend.close()


def test_an_answer_from_the_injected_transport_is_translated_by_the_table(
        v2_installed: None) -> None:
    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    def refuse_key(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"code": "unauthorized",
                                                   "message": "bad key"}})

    backend = V2Backend("http://v2.invalid", api_key=SECRET,
                        transport=httpx.MockTransport(refuse_key))
    with pytest.raises(ServerResponseError, match=r"refused the API key \(HTTP 401 "
                                                  r"unauthorized\)$") as refused:
        backend.run(model_free_graph(), timeout=5)
    assert SECRET not in str(refused.value)
    with pytest.raises(ServerResponseError, match=r"refused the API key"):
        backend.poll("job-1")


class IgnoresRange(ScriptedV2):
    """A v2 server whose output's content type says nothing and whose asset answers the
    whole file whatever the ``Range`` (64 MiB: an mp4 with a large ``mdat``)."""

    CHUNKS = 1024  # of 64 KiB in the mdat
    SIZE = 24 + 8 + (CHUNKS << 16) + 8  # ftyp, mdat, moov

    def __init__(self) -> None:
        super().__init__()
        self.pulled: dict[str, int] = {}  # bytes read of each request's body, by its Range

    def job(self, status: str) -> dict[str, Any]:
        job = super().job(status)
        for output in job["outputs"]:
            output["content_type"] = "application/octet-stream"
        return job

    def __call__(self, request: Any) -> Any:
        import httpx

        if request.url.path != "/api/v2/assets/asset-1/content":
            return super().__call__(request)
        key = request.headers.get("Range", "none")
        self.pulled[key] = 0
        head = MP4[:24] + struct.pack(">I4s", 8 + (self.CHUNKS << 16), b"mdat")
        tail = b"\x00\x00\x00\x08moov"

        pulled = self.pulled

        class Body(httpx.SyncByteStream):  # pulled lazily, a chunk at a time
            def __iter__(self) -> Iterator[bytes]:
                for chunk in (head, *[bytes(1 << 16)] * IgnoresRange.CHUNKS, tail):
                    pulled[key] += len(chunk)
                    yield chunk

        return httpx.Response(200, headers={"Content-Type": "application/octet-stream"},
                              stream=Body())


def test_a_server_that_ignores_range_is_sniffed_from_its_first_bytes(
        v2_installed: None, tmp_path: Path) -> None:
    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    server = IgnoresRange()
    backend = V2Backend("http://v2.invalid", transport=httpx.MockTransport(server))
    result = backend.run(model_free_graph(), output_dir=tmp_path, timeout=30)
    [video] = result.outputs
    assert video.is_video and result.files[video].stat().st_size == IgnoresRange.SIZE
    assert server.pulled["none"] == IgnoresRange.SIZE  # the download reads it once
    assert server.pulled["bytes=0-15"] <= 1 << 17  # the sniff: its first chunks, no more
    backend.close()


class EndlessEventLine(ScriptedV2):
    """A v2 server whose event stream is one event that never ends (64 MiB of ``chunk``,
    then the connection closes); its job runs until a stream has been read to its end or
    closed."""

    CHUNKS = 1024  # of 64 KiB

    def __init__(self, chunk: bytes) -> None:
        super().__init__()
        self.chunk = chunk
        self.pulled: list[int] = []  # bytes read of each event stream
        self.stream_done = threading.Event()

    def job(self, status: str) -> dict[str, Any]:
        if status == "succeeded" and not self.stream_done.is_set():
            status = "running"
            self.polls = 1  # succeeded on the poll after the stream is done
        return super().job(status)

    def __call__(self, request: Any) -> Any:
        import httpx

        if request.url.path != "/api/v2/jobs/job-1/events":
            return super().__call__(request)
        pulled, done, each = self.pulled, self.stream_done, self.chunk
        pulled.append(0)

        class Body(httpx.SyncByteStream):  # pulled lazily, a chunk at a time
            def __iter__(self) -> Iterator[bytes]:
                for chunk in (b"data: ", *[each] * EndlessEventLine.CHUNKS):
                    pulled[-1] += len(chunk)
                    yield chunk

            def close(self) -> None:
                done.set()

        return httpx.Response(200, headers={"Content-Type": "text/event-stream"},
                              stream=Body())


@pytest.mark.parametrize("chunk", [
    b"x" * (1 << 16),  # one line that never ends
    (b"x" * 1017 + b"\ndata: ") * 64,  # one event of data lines that never ends
], ids=["line", "event"])
def test_an_event_without_end_is_a_dropped_stream_not_memory(
        v2_installed: None, tmp_path: Path, chunk: bytes) -> None:
    import httpx

    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend

    server = EndlessEventLine(chunk)
    backend = V2Backend("http://v2.invalid", transport=httpx.MockTransport(server))
    result = backend.run(model_free_graph(), output_dir=tmp_path, timeout=30)
    assert result.prompt_id == "job-1" and len(result.files) == 1  # by its polls
    assert server.pulled and max(server.pulled) <= (8 << 20), server.pulled  # not 64 MiB
    backend.close()


# --- queue-ahead: a job's time counts from its start (issue 19) -------------------------------


@contextlib.contextmanager
def one_job_running(v2_server: ProxiedComfy, seconds: float) -> Iterator[str]:
    """A job of ``seconds`` (one wait, no sampler) running on the stand-in, submitted through
    a backend of its own; its id. Jobs submitted meanwhile wait behind it; the next runs
    with no such wait. Cancelled on the way out if still running."""
    comfy = v2_server.comfy
    ahead = connect(v2_server.url)
    queued: list[str] = []
    comfy.sim.job_seconds = seconds

    def run() -> None:
        with contextlib.suppress(JobCancelledError):  # (cancelled on the way out)
            ahead.run(model_free_graph(next(_colors)), timeout=60, on_queued=queued.append)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        end = time.monotonic() + 10
        while not (queued and comfy.state is not None and comfy.state.running is not None):
            assert time.monotonic() < end, "the job ahead never ran"
            time.sleep(0.01)
        comfy.sim.job_seconds = 0.0  # (read as a job begins: the next ones are short)
        yield queued[0]
    finally:
        comfy.sim.job_seconds = 0.0
        with contextlib.suppress(Exception):
            ahead.interrupt(queued[0])
        thread.join(10)
        ahead.close()


def test_with_start_by_a_jobs_time_counts_from_its_start_not_its_wait_in_the_queue(
        v2: V2Backend, v2_server: ProxiedComfy) -> None:
    # QA (issue 19): a job queued behind a 3 s one with timeout=2.5 timed out in the queue
    with one_job_running(v2_server, 3.0):
        start = time.monotonic()
        result = v2.run(model_free_graph(next(_colors)), timeout=2.5,
                        start_by=lambda: time.monotonic() + 30)
        elapsed = time.monotonic() - start
    assert result.outputs and elapsed > 2.5  # it waited behind the other, and was made
    assert result.started_at is not None and result.started_at - result.queued_at > 2.0


def test_a_job_that_waits_in_the_queue_past_its_bound_is_taken_out_of_it(
        v2: V2Backend, v2_server: ProxiedComfy) -> None:
    queued: list[str] = []
    with one_job_running(v2_server, 30.0):
        start = time.monotonic()
        with pytest.raises(JobTimeoutError, match="was not started") as err:
            v2.run(model_free_graph(next(_colors)), timeout=1.0, on_queued=queued.append,
                   start_by=lambda: time.monotonic() - 1.0)  # past: its timeout bounds it
        elapsed = time.monotonic() - start
        comfy = v2_server.comfy
        assert comfy.state is not None
        pending = [item.prompt_id for item in comfy.state.pending]
    assert 1.0 <= elapsed < 1.0 + DEADLINE_SLACK + 1.0
    assert "taken out of the queue" in str(err.value)
    [job_id] = queued
    assert job_id not in pending and job_id not in comfy.state.history  # it never ran


@pytest.mark.parametrize("lost_after", [0.5, None])
def test_a_server_nobody_answers_at_is_lost_after_lost_after(v2_installed: None,
                                                              lost_after: float | None) -> None:
    # a batch hands the job on (ServerLostError); alone, the job waits to its deadline
    from ltx2sdk.backends.comfy_api_v2.backend import V2Backend
    from ltx2sdk.errors import ServerLostError

    gone = V2Backend(f"http://127.0.0.1:{free_port()}", lost_after=lost_after)
    start = time.monotonic()
    expected = ServerLostError if lost_after is not None else JobTimeoutError
    with gone, pytest.raises(expected) as err:
        gone.follow("job-1", deadline=time.monotonic() + 3.0)
    elapsed = time.monotonic() - start
    if lost_after is not None:
        assert elapsed < 3.0 and "connection refused" in str(err.value), err.value
    else:
        assert elapsed >= 3.0
