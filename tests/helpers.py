"""Small helpers shared by several test modules (shared fixtures are in ``conftest.py``).

Test modules import what they share from here, never from one another.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from ltx2sdk import Graph, Nodes
from ltx2sdk.graph import assertions as A
from ltx2sdk.graph.core import Node
from ltx2sdk.graph.node_defs import LTX2_SCHEMAS
from ltx2sdk.graph.releases import TESTED_RANGE
from tests.comfyserver import ComfyTestServer, Simulation, catalog_models

__all__ = [
    "AUDIO_FIXTURES",
    "DEADLINE_SLACK",
    "RELEASES",
    "ApiProxy",
    "FakeNet",
    "ImageServer",
    "RawHandler",
    "Route",
    "TcpRelay",
    "catalog_models",
    "catalog_server",
    "free_port",
    "model_free_graph",
    "object_info_with_models",
    "patch_network",
    "png_bytes",
    "redirect",
    "reply",
    "stage_samplers",
    "states_release_in_range",
    "wav_bytes",
]

RELEASES = (TESTED_RANGE[0], "0.26.0", TESTED_RANGE[1])
"""The oldest and newest ComfyUI release the SDK claims to be tested with, and one between."""

DEADLINE_SLACK = 2.5
"""Seconds a bounded wait may overrun its deadline on a loaded 2-core machine. Only tests
whose subject *is* a deadline assert on elapsed time, and always with this slack."""


def catalog_server(root: Path, **options: Any) -> ComfyTestServer:
    """A stand-in ComfyUI with every file of the SDK's model catalog and 3 steps per sampler,
    its folders under ``root``; ``options`` go to :class:`ComfyTestServer` (a release, faults,
    placeholders...). Not started: use it as a context manager."""
    options.setdefault("sim", Simulation(sampler_steps=3))
    return ComfyTestServer(models=catalog_models(), output_dir=root / "server-out",
                           input_dir=root / "server-in", **options)


def png_bytes(width: int = 32, height: int = 24) -> bytes:
    """A real PNG (one orange colour), made by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 20)).save(buffer, "PNG")
    return buffer.getvalue()


def model_free_graph(color: int = 0x336699, prefix: str = "video/ltx2sdk") -> Graph:
    """EmptyImage -> CreateVideo -> SaveVideo: runs on any server, with no model file (a
    ``color`` of its own makes a prompt the server has not cached)."""
    g = Graph()
    n = Nodes(g)
    n.SaveVideo(n.CreateVideo(n.EmptyImage(64, 64, batch_size=9, color=color), 24), prefix)
    return g


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (as of now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def states_release_in_range(line: str, version: str) -> bool:
    """``ltx2 check``'s first line names the server's release and places it in the range."""
    low, high = TESTED_RANGE
    return line.startswith(f"ComfyUI {version} ") and \
        f"inside the tested range {low} to {high}" in line


def object_info_with_models(object_info: dict[str, Any],
                            files: dict[str, list[str]] | None = None,
                            input_files: tuple[str, ...] = ("first.png",)) -> dict[str, Any]:
    """The captured object_info as a server that has ``files`` would report it.

    The capture's server had no models, so its model-file combos are empty lists.
    ``files`` maps a models/ folder to file names (default: the whole SDK catalog);
    ``input_files`` are the images in its input folder (LoadImage's options).
    """
    if files is None:
        files = catalog_models()
    info = copy.deepcopy(object_info)
    info["LoadImage"]["input"]["required"]["image"][0] = list(input_files)
    for schema in LTX2_SCHEMAS.values():
        for spec in schema.inputs:
            if spec.folder is None or spec.folder == "input" or schema.class_type not in info:
                continue
            node_inputs = info[schema.class_type]["input"]
            section = "required" if spec.required else "optional"
            raw = node_inputs[section][spec.name]
            names = list(files.get(spec.folder, []))
            if isinstance(raw[0], list):
                raw[0] = names
            else:
                raw[1]["options"] = names
    return info


def stage_samplers(graph: Graph) -> tuple[Node, Node]:
    """(stage 1, stage 2) SamplerCustomAdvanced nodes, found by data flow, not by title."""
    samplers = A.find(graph, "SamplerCustomAdvanced")
    assert len(samplers) == 2, f"expected two sampling stages, found {len(samplers)}"
    first, second = samplers
    if A.has_path(second, first):
        first, second = second, first
    assert A.has_path(first, second), "stage 2 does not depend on stage 1"
    return first, second


class ApiProxy:
    """``comfy-api-proxy`` (PyPI, the real one) in front of a ComfyUI, as a subprocess on
    127.0.0.1: ``url`` is its Comfy API v2 base URL. ``token`` makes it require
    ``Authorization: Bearer TOKEN``. :meth:`restart` stops it and starts it again on the
    same port (with its state in ``state_dir``, jobs and output ids survive)."""

    def __init__(self, comfy_url: str, *, token: str | None = None,
                 state_dir: Path | None = None, startup_timeout: float = 30.0) -> None:
        self.comfy_url = comfy_url
        self.token = token
        self.state_dir = state_dir
        self.startup_timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self.log: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiProxy:
        command = [sys.executable, "-u", "-c",
                   "import sys; from comfy_api_proxy.cli import main; sys.exit(main())",
                   "run", "--comfyui", self.comfy_url, "--host", "127.0.0.1",
                   "--port", str(self.port)]
        if self.token:
            command += ["--token", self.token]
        if self.state_dir is not None:
            command += ["--state-dir", str(self.state_dir)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        end = time.monotonic() + self.startup_timeout
        assert self.process.stdout is not None
        while time.monotonic() < end:
            line = self.process.stdout.readline()
            if not line:
                break
            self.log.append(line)
            match = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
            if match:
                self.port = int(match.group(1))
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.stop()
        raise RuntimeError("comfy-api-proxy did not start: " + "".join(self.log)[-2000:])

    def _drain(self) -> None:
        process = self.process
        if process is not None and process.stdout is not None:
            for line in process.stdout:
                self.log.append(line)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> ApiProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class TcpRelay:
    """A TCP relay on 127.0.0.1 in front of ``target_port``, for cutting connections as a
    network would: :meth:`cut` shuts down (both ways, no goodbye) every open connection whose
    latest request holds ``marker`` (``b"/events"``: the SSE streams); :meth:`opened` counts
    the requests that did."""

    _METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"PATCH ")

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._open: dict[socket.socket, tuple[socket.socket, bytes]] = {}  # client: (up, head)
        self._requests: list[bytes] = []
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> TcpRelay:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        self._server.close()
        self.cut(b"")

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()
            return
        with self._lock:
            self._open[client] = (upstream, b"")
        back = threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True)
        back.start()
        self._pump(client, upstream, client)
        back.join(timeout=5)
        with self._lock:
            self._open.pop(client, None)
        client.close()
        upstream.close()

    def _pump(self, source: socket.socket, sink: socket.socket,
              requests_of: socket.socket | None) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if requests_of is not None and data.startswith(self._METHODS):
                    with self._lock:  # a new request on this connection (keep-alive)
                        self._requests.append(data[:2048])
                        if requests_of in self._open:
                            self._open[requests_of] = (sink, data[:2048])
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self, marker: bytes) -> int:
        """Cut the open connections whose latest request holds ``marker``; how many."""
        with self._lock:
            chosen = [(client, up) for client, (up, head) in self._open.items()
                      if marker in head]
        for pair in chosen:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        return len(chosen)

    def opened(self, marker: bytes) -> int:
        """How many requests held ``marker``."""
        with self._lock:
            return sum(marker in head for head in self._requests)


# --- the network, patched: no test sends traffic off loopback ------------------------------

_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


class FakeNet:
    """Resolution from a table and connections that never leave loopback."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}  # host -> answers, one per look-up
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []
        self.routes: dict[tuple[str, int], int] = {}  # (public ip, port) -> loopback port
        self.connect_delay = 0.0

    def name(self, host: str, *answers: list[str]) -> None:
        """``host`` resolves to ``answers[0]`` first, then ``answers[1]``... (last repeats)."""
        self.answers[host] = list(answers)

    def route(self, ip: str, port: int, loopback_port: int) -> None:
        self.routes[(ip, port)] = loopback_port

    def getaddrinfo(self, host: Any, port: Any, family: int = 0, type: int = 0,
                    proto: int = 0, flags: int = 0) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name in self.answers:
            self.lookups.append(name)
            answers = self.answers[name]
            answer = answers[min(self.lookups.count(name), len(answers)) - 1]
            infos = []
            for ip in answer:
                if ":" in ip:
                    infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
                else:
                    infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
            return infos
        if name in ("127.0.0.1", "localhost", "::1"):  # the test servers, other tests' clients
            return _real_getaddrinfo(host, port, family, type, proto, flags)
        raise socket.gaierror(socket.EAI_NONAME, f"{name}: not in the test's table")

    def connect(self, sock: socket.socket, address: Any) -> None:
        ip, port = str(address[0]), int(address[1])
        self.connects.append((ip, port))
        if self.connect_delay:
            time.sleep(min(self.connect_delay, sock.gettimeout() or self.connect_delay))
            raise TimeoutError("timed out (test)")
        if (ip, port) in self.routes:
            if sock.family != socket.AF_INET:
                raise ConnectionRefusedError("test route: IPv4 only")
            _real_connect(sock, ("127.0.0.1", self.routes[(ip, port)]))
            return
        if ip in ("127.0.0.1", "::1"):
            _real_connect(sock, address)
            return
        raise ConnectionRefusedError(f"test network: {ip} is not reachable from tests")


# --- a loopback HTTP server whose routes write raw responses ------------------------------


Route = Callable[["RawHandler"], None]


class RawHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.owner.requests.append((self.path, self.headers.get("Host", "")))
        route = self.server.owner.routes.get(self.path.split("?")[0])
        try:
            if route is None:
                self.raw(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            else:
                route(self)
        except OSError:  # the client hung up: that is what many tests want
            pass
        self.close_connection = True

    def raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        self.server.owner.sent += len(data)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: ImageServer


class ImageServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []
        self.sent = 0
        self.stop = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), RawHandler)
        self.httpd.owner = self
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def reply(status: int, headers: dict[str, str], body: bytes = b"", *,
          length: bool = True) -> Route:
    head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    data = (head + "Connection: close\r\n\r\n").encode("latin-1") + body

    def route(handler: RawHandler) -> None:
        handler.raw(data)
    return route


def patch_network(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    """Patch resolution and connections for one test: nothing leaves loopback (see
    :class:`FakeNet`); the test's ``net`` fixture."""
    fake = FakeNet()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)

    def connect(sock: socket.socket, address: Any) -> None:  # a function: binds the socket
        fake.connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    real_create_connection = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] in ("127.0.0.1", "localhost"):  # the ComfyUI test server's clients
            return real_create_connection(address, *args, **kwargs)
        raise AssertionError(f"create_connection({address!r}): only pinned sockets allowed")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return fake


def redirect(location: str, status: int = 302) -> Route:
    return reply(status, {"Location": location})


# --- audio ------------------------------------------------------------------------------------

AUDIO_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "audio"
"""Tiny real mp3, flac and ogg files (how they were made: ``make_fixtures.py`` there)."""


def wav_bytes(seconds: float = 1.0, rate: int = 16000, channels: int = 1,
              sample_width: int = 2) -> bytes:
    """A real WAV file (a 440 Hz tone), written by the standard library's ``wave``."""
    frames = round(seconds * rate)
    peak = (1 << (8 * sample_width - 1)) - 1
    samples = bytearray()
    for i in range(frames):
        value = round(0.3 * peak * math.sin(2 * math.pi * 440 * i / rate))
        if sample_width == 1:  # 8-bit WAV is unsigned
            sample = bytes([value + 128])
        else:
            sample = value.to_bytes(sample_width, "little", signed=True)
        samples += sample * channels
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(sample_width)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return buffer.getvalue()


def check_section(out: str, model: str) -> list[str]:
    """The lines ``ltx2 check`` printed about ``model`` (its verdict line, then what it
    lacks, indented)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{model} ("))
    section = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        section.append(line)
    return section


def listed_model_files(out: str, model: str) -> list[str]:
    """The ``models/...`` paths ``ltx2 check`` lists as missing for ``model``."""
    return [line.split()[0] for line in check_section(out, model)
            if line.strip().startswith("models/")]
