"""Small helpers shared by several test modules (shared fixtures are in ``conftest.py``).

Test modules import what they share from here, never from one another.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from PIL import Image

from ltx2sdk import Graph, Nodes
from ltx2sdk import assertions as A
from ltx2sdk.graph import Node
from ltx2sdk.node_defs import LTX2_SCHEMAS
from ltx2sdk.releases import TESTED_RANGE
from tests.comfyserver import ComfyTestServer, Simulation, catalog_models

__all__ = [
    "DEADLINE_SLACK",
    "RELEASES",
    "ApiProxy",
    "TcpRelay",
    "catalog_models",
    "catalog_server",
    "free_port",
    "model_free_graph",
    "object_info_with_models",
    "png_bytes",
    "stage_samplers",
    "states_release_in_range",
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
