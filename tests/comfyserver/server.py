"""Run the fake ComfyUI on 127.0.0.1 in a background thread, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from .app import ComfyRoutes
from .catalog import (
    DEFAULT_FILE_COMBOS,
    ModelStore,
    NodeCatalog,
    detect_file_combos,
    load_object_info,
)
from .execution import Executor
from .faults import Faults
from .files import Storage
from .frontend import frontend_dir
from .hub import Hub
from .nodes import Simulation
from .state import Received, ServerState
from .versions import load_version_object_info, rules_for

T = TypeVar("T")


class ComfyTestServer:
    """A real HTTP + WebSocket server speaking ComfyUI's protocol (0.26.0 unless told).

    Use as a context manager::

        with ComfyTestServer(models={"checkpoints": ["ltx-2.safetensors"]}) as srv:
            requests.get(srv.url + "/system_stats")

    ``comfyui_version="0.33.0"`` (any release under ``tests/fixtures/versions``) serves that
    release's whole ``/object_info`` and ``/system_stats`` and validates prompts like it.

    ``faults`` and ``sim`` are live: change their fields at any time. ``received`` records what
    clients sent; ``state.stats`` is the server's own log of what it did (model loads, busy
    and idle time: :mod:`tests.comfyserver.workload`; read it with
    ``srv.call(srv.state.stats.as_json)`` or ``GET /ltx2sdk-standin/stats``). Directories not
    given are created in a private temporary directory that is removed on :meth:`stop`.
    """

    def __init__(
        self,
        *,
        models: Mapping[str, Iterable[str]] | None = None,
        placeholders: Mapping[str, Iterable[str]] | None = None,
        faults: Faults | None = None,
        sim: Simulation | None = None,
        output_dir: Path | str | None = None,
        input_dir: Path | str | None = None,
        temp_dir: Path | str | None = None,
        object_info: Mapping[str, Any] | None = None,
        comfyui_version: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 10.0,
        frontend: Path | bool = False,
    ) -> None:
        """
        Args:
            models: models folder -> file names the server "has" (fills loader combos,
                ``/models/{folder}`` and validation).
            placeholders: folder -> names of files that exist but are empty; they validate,
                then the loader fails at run time with the captured SafetensorError.
            faults: fault switches (default: none).
            sim: simulated timings and output sizes.
            output_dir / input_dir / temp_dir: ComfyUI's output/, input/ and temp/.
            object_info: node schemas to serve and validate against (default: the captured
                ``object_info_ltx2.json`` plus the stock nodes the captures use, or the whole
                capture of ``comfyui_version``).
            comfyui_version: a captured ComfyUI release to emulate (see
                :func:`~tests.comfyserver.versions.available_versions`): its node schemas,
                ``/system_stats`` and validation rules. None: the protocol captures' 0.26.0
                with LTX-2 nodes only. Its model-file combos are filled from ``models``.
            port: 0 picks a free port.
            frontend: serve ComfyUI's editor at ``/`` (see :mod:`tests.comfyserver.frontend`):
                True for the installed ``comfyui-frontend-package`` (a ``RuntimeError`` when
                it is not installed), or the path of a frontend's static folder.
        """
        self.faults = faults if faults is not None else Faults()
        self.sim = sim if sim is not None else Simulation()
        self.models = ModelStore.build(models, placeholders)
        self.comfyui_version = comfyui_version
        self._file_combos = DEFAULT_FILE_COMBOS
        if comfyui_version is not None:
            if object_info is None:
                object_info = load_version_object_info(comfyui_version)  # raises if unknown
            else:
                rules_for(comfyui_version)  # raises if unknown
            self._file_combos = detect_file_combos(object_info)
        self._object_info = dict(object_info) if object_info is not None else load_object_info()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._dirs = {"output": output_dir, "input": input_dir, "temp": temp_dir}
        self._host, self._requested_port = host, port
        self._startup_timeout = startup_timeout
        self._frontend = _frontend_path(frontend)
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._created = threading.Event()
        self._listening = threading.Event()
        self._error: BaseException | None = None
        self.state: ServerState | None = None
        self.storage: Storage | None = None

    # -- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("server not started")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``"""
        return f"http://{self._host}:{self.port}"

    def ws_url(self, client_id: str | None = None) -> str:
        base = f"ws://{self._host}:{self.port}/ws"
        return f"{base}?clientId={client_id}" if client_id is not None else base

    @property
    def output_dir(self) -> Path:
        return self._storage().output_dir

    @property
    def input_dir(self) -> Path:
        return self._storage().input_dir

    @property
    def received(self) -> Received:
        """Prompts, uploads, interrupts, queue operations and WS messages clients sent."""
        return self._state().received

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> ComfyTestServer:
        """Start serving. Returns once the port accepts connections, or right away (with the
        port still refusing) when ``faults.slow_start`` is set."""
        paths = {}
        for kind, given in self._dirs.items():
            if given is None:
                if self._tmp is None:
                    self._tmp = tempfile.TemporaryDirectory(prefix="comfytest-")
                given = Path(self._tmp.name) / kind
            paths[kind] = Path(given)
        self.storage = Storage(paths["output"], paths["input"], paths["temp"])
        # Bound but not listening: the port is reserved and connections are refused until the
        # site starts, which is what a slow-starting ComfyUI looks like.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self._host, self._requested_port))
        self._port = int(self._sock.getsockname()[1])
        self._sock.setblocking(False)
        self._thread = threading.Thread(target=self._thread_main, name="comfy-test-server",
                                        daemon=True)
        self._thread.start()
        wait_for = self._created if self.faults.slow_start > 0 else self._listening
        if not wait_for.wait(self._startup_timeout) or self._error is not None:
            self.stop()
            raise RuntimeError("ComfyTestServer failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop already stopped
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ComfyTestServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control from the test thread -----------------------------------------------------------

    def call(self, fn: Callable[[], T], timeout: float = 5.0) -> T:
        """Run ``fn`` on the server's event loop (where all state lives) and return its result."""
        if self._loop is None:
            raise RuntimeError("server not started")
        result: Future[T] = Future()

        def runner() -> None:
            try:
                result.set_result(fn())
            except BaseException as exc:
                result.set_exception(exc)

        self._loop.call_soon_threadsafe(runner)
        return result.result(timeout)

    def restart(self) -> None:
        """Simulate a ComfyUI restart now (see ``Faults.restart_at_class``)."""
        self.call(self._state().restart)

    def history(self) -> dict[str, Any]:
        return self.call(lambda: dict(self._state().history))

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until no prompt is queued or running. Raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while self.call(lambda: self._state().queue_remaining) > 0:
            if time.monotonic() > deadline:
                raise TimeoutError("ComfyTestServer still busy")
            time.sleep(0.005)

    # -- internals ------------------------------------------------------------------------------

    def _state(self) -> ServerState:
        if self.state is None:
            raise RuntimeError("server not started")
        return self.state

    def _storage(self) -> Storage:
        if self.storage is None:
            raise RuntimeError("server not started")
        return self.storage

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._created.set()
            self._listening.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        storage = self._storage()
        hub = Hub(self.faults)
        state = ServerState(hub)
        catalog = NodeCatalog(self._object_info, self.models, storage.input_listing,
                              self._file_combos)
        routes = ComfyRoutes(state, hub, catalog, storage, self.faults, lambda: self.port,
                             self.comfyui_version, self._frontend, self.sim)
        executor = Executor(state, hub, catalog, storage, self.faults, self.sim)
        runner = web.AppRunner(routes.build(), handle_signals=False, access_log=None,
                               shutdown_timeout=1.0)
        await runner.setup()
        self._stop = asyncio.Event()
        self.state = state
        tasks = [
            asyncio.create_task(hub.publish_forever(), name="publish"),
            asyncio.create_task(executor.run_forever(), name="executor"),
        ]
        self._created.set()
        try:
            if self.faults.slow_start > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.faults.slow_start)
            if not self._stop.is_set():
                assert self._sock is not None
                await web.SockSite(runner, self._sock).start()
                self._listening.set()
                await self._stop.wait()
        finally:
            state.closing = True
            hub.drop_all()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runner.cleanup()


def _frontend_path(frontend: Path | bool) -> Path | None:
    if frontend is False:
        return None
    if frontend is True:
        found = frontend_dir()
        if found is None:
            raise RuntimeError("frontend=True needs comfyui-frontend-package (a [dev] extra)")
        return found
    return Path(frontend)
