"""ComfyClient: run graphs on a ComfyUI server and get every output back.

What it guarantees, following ComfyUI's protocol as captured from 0.26.0:

- the prompt is checked against the server's own ``/object_info`` before it is
  queued: missing node types and model files are listed by name and folder;
- the socket is opened before the prompt is queued, with a client-chosen
  ``prompt_id``, so no message of the run can be missed;
- every wait has a deadline; a silent or dropped socket leads to a reconnect
  and a look at ``/history``, so a finish during the gap is not lost, and a
  prompt the server no longer knows is an error, never a success;
- outputs are taken from ``/history`` (``images`` with ``animated`` for SaveVideo,
  ``gifs``, ``videos``, ``audio``) and streamed to disk.

One client may serve several threads: each run has its own socket and client id.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import (
    ExecutionError,
    ExecutionInterruptedError,
    JobTimeoutError,
    OutputError,
    PromptLostError,
    ServerUnavailableError,
    ServerValidationError,
)
from .events import (
    Event,
    ExecutionFailed,
    ExecutionInterrupted,
    ExecutionStarted,
    Finished,
    NodesCached,
    parse_event,
)
from .graph import Graph
from .node_defs import LTX2_SCHEMAS
from .prompt_check import Problem, PromptCheck, check_prompt
from .schema import SchemaSet
from .transport import HttpTransport, Socket

OUTPUT_KEYS = ("images", "gifs", "videos", "audio")  # where ComfyUI nodes report files
EventCallback = Callable[[Event], None]


@dataclass(frozen=True)
class OutputFile:
    """A file a node reported: ``node_id`` and ``kind`` (the history key) say where from."""

    node_id: str
    kind: str
    filename: str
    subfolder: str
    type: str
    animated: bool = False

    @property
    def view_params(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}


@dataclass
class RunResult:
    """A finished prompt: its outputs and the local paths they were saved to."""

    prompt_id: str
    outputs: list[OutputFile]
    files: dict[OutputFile, Path] = field(default_factory=dict)
    cached_nodes: tuple[str, ...] = ()
    queued_at: float = 0.0
    started_at: float | None = None
    finished_at: float = 0.0


@dataclass(frozen=True)
class ServerCheck:
    """What a server would make of a graph, by its own rules (:func:`check_prompt`).

    ``missing_nodes`` are class types it lacks; ``missing_models`` ``(models/ folder, file)``
    pairs of model files it does not list; ``other`` every other reason it would refuse;
    ``runtime`` problems it would accept and then fail on when the node runs (a literal
    where a link belongs); ``undecided`` inputs the SDK leaves to the server.
    """

    missing_nodes: list[str]
    missing_models: list[tuple[str, str]]
    other: list[str]
    runtime: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    verdict: PromptCheck | None = None

    @property
    def server_accepts(self) -> bool:
        """Whether the server would queue the prompt (``POST /prompt`` answers 200)."""
        return self.verdict.server_accepts if self.verdict is not None else not (
            self.missing_nodes or self.missing_models or self.other)

    @property
    def ok(self) -> bool:
        """Ready to run: the server accepts it and nothing is known to fail at run time."""
        return self.server_accepts and not self.runtime

    def raise_if_failed(self) -> None:
        if not self.ok:
            raise ServerValidationError(self.missing_nodes, self.missing_models,
                                        [*self.other, *self.runtime])

    @classmethod
    def from_verdict(cls, verdict: PromptCheck) -> ServerCheck:
        """Sort a :class:`PromptCheck`'s problems into what a user must do about them."""
        missing_nodes: list[str] = []
        missing_models: list[tuple[str, str]] = []
        other: list[str] = []
        for problem in verdict.problems:
            folder = _model_folder(problem)
            if problem.kind == "missing_node_type" and problem.class_type:
                if problem.class_type not in missing_nodes:
                    missing_nodes.append(problem.class_type)
            elif folder is not None and problem.value is not None:
                pair = (folder, str(problem.value))
                if pair not in missing_models:
                    missing_models.append(pair)
            else:
                other.append(str(problem))
        if verdict.server_accepts:  # the server would run what is valid and drop the rest
            other = []
        return cls(missing_nodes, missing_models, other,
                   [f"{p} (ComfyUI would accept the prompt, then fail when the node runs)"
                    for p in verdict.runtime_problems],
                   list(verdict.undecided), verdict)


class ComfyClient:
    """A client for one ComfyUI server at ``base_url`` (``http://host:8188``).

    ``request_timeout`` bounds each HTTP request; ``receive_timeout`` is how long
    the socket may stay silent before the client looks at ``/history`` itself.
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8188", *,
                 request_timeout: float = 30.0, receive_timeout: float = 10.0,
                 reconnect_attempts: int = 5) -> None:
        self.http = HttpTransport(base_url, timeout=request_timeout)
        self.receive_timeout = receive_timeout
        self.reconnect_attempts = reconnect_attempts
        self._object_info: dict[str, Any] | None = None
        self._system_stats: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.http.base_url

    def __repr__(self) -> str:
        return f"ComfyClient({self.base_url!r})"

    # --- server state ------------------------------------------------------------------------

    def wait_ready(self, timeout: float = 60.0, interval: float = 0.5) -> dict[str, Any]:
        """Wait until the server answers ``/system_stats``; return that answer.

        Raises :class:`ServerUnavailableError` once ``timeout`` seconds have passed.
        """
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            try:
                stats: dict[str, Any] = self.http.get_json(
                    "/system_stats", timeout=max(0.5, min(5.0, deadline - time.monotonic())))
                with self._lock:
                    self._system_stats = stats
                return stats
            except ServerUnavailableError as exc:
                last_error = exc
            if time.monotonic() + interval > deadline:
                raise ServerUnavailableError(
                    f"ComfyUI at {self.base_url} was not ready within {timeout:g} s "
                    f"({last_error})")
            time.sleep(interval)

    def object_info(self, *, refresh: bool = False) -> dict[str, Any]:
        """``GET /object_info``, fetched once per client (``refresh`` to fetch again)."""
        with self._lock:
            if self._object_info is None or refresh:
                self._object_info = self.http.get_json("/object_info", timeout=120)
            return self._object_info

    def system_stats(self, *, refresh: bool = False) -> dict[str, Any]:
        """``GET /system_stats``, fetched once per client (``refresh`` to fetch again)."""
        with self._lock:
            if self._system_stats is None or refresh:
                self._system_stats = self.http.get_json("/system_stats")
            return self._system_stats

    @property
    def comfyui_version(self) -> str | None:
        """The server's ComfyUI release, as its ``/system_stats`` states it."""
        system = self.system_stats().get("system")
        version = system.get("comfyui_version") if isinstance(system, dict) else None
        return str(version) if version else None

    def schemas(self) -> SchemaSet:
        """The server's node schemas, in the SDK's format (builders write nodes its way)."""
        return SchemaSet.from_object_info(self.object_info(),
                                          comfyui_version=self.comfyui_version)

    def input_file_exists(self, kind: str, name: str) -> bool | None:
        """Whether ComfyUI has ``name`` where a loader looks for it (its input folder, or the
        folder an annotation such as ``"x.png [output]"`` names); ``None`` if unknown.
        Asked live, so a file uploaded a moment ago counts."""
        folder = "input"
        for tag in ("output", "input", "temp"):
            if name.endswith(f"[{tag}]"):
                name, folder = name[: -len(tag) - 2].rstrip(), tag
                break
        subfolder, _, filename = name.rpartition("/")
        if not filename:
            return None
        return self.http.view_exists({"filename": filename, "subfolder": subfolder,
                                      "type": folder})

    def check(self, graph: Graph | Mapping[str, Any], *,
              pending_uploads: Collection[str] = ()) -> ServerCheck:
        """What this server would make of ``graph`` (a :class:`Graph` or API JSON), by its
        own rules: see :func:`ltx2sdk.prompt_check.check_prompt`. ``.ok`` is false when it
        would refuse the prompt, or accept it and fail at run time (the reason says so).
        A loaded API prompt is checked as it is: no default is filled in. Input files are
        looked up on the server, except ``pending_uploads`` (to be uploaded first)."""
        api = graph.compile() if isinstance(graph, Graph) else graph

        def file_exists(kind: str, name: str) -> bool | None:
            return True if name in pending_uploads else self.input_file_exists(kind, name)

        verdict = check_prompt(api, self.schemas(), file_exists=file_exists)
        return ServerCheck.from_verdict(verdict)

    # --- running -----------------------------------------------------------------------------

    def upload_image(self, data: bytes, filename: str, *, overwrite: bool = False) -> str:
        """Upload an input image; returns the name to give LoadImage (the server may rename)."""
        answer = self.http.upload_image(data, filename, overwrite=overwrite)
        name = str(answer["name"])
        subfolder = str(answer.get("subfolder") or "")
        return f"{subfolder}/{name}" if subfolder else name

    def queue(self, graph: Graph | Mapping[str, Any], *, client_id: str,
              prompt_id: str | None = None) -> str:
        """Queue a prompt; returns its id. A 400 raises :class:`PromptRejectedError`."""
        api = graph.compile() if isinstance(graph, Graph) else dict(graph)
        prompt_id = prompt_id or str(uuid.uuid4())
        answer = self.http.post_prompt({"prompt": api, "client_id": client_id,
                                        "prompt_id": prompt_id})
        return str(answer.get("prompt_id", prompt_id))

    def interrupt(self, prompt_id: str) -> None:
        """Stop ``prompt_id``: interrupt it if it runs, and remove it from the queue."""
        self.http.post_json("/interrupt", {"prompt_id": prompt_id})
        self.http.post_json("/queue", {"delete": [prompt_id]})

    def history(self, prompt_id: str, *, timeout: float | None = None) -> dict[str, Any] | None:
        """The history entry of ``prompt_id``, or ``None`` if the server has none."""
        body = self.http.get_json(f"/history/{prompt_id}", timeout=timeout)
        entry = body.get(prompt_id) if isinstance(body, dict) else None
        return entry if isinstance(entry, dict) else None

    def is_queued(self, prompt_id: str, *, timeout: float | None = None) -> bool:
        """Whether ``prompt_id`` is running or waiting in the queue."""
        queue = self.http.get_json("/queue", timeout=timeout)
        items = [*queue.get("queue_running", []), *queue.get("queue_pending", [])]
        return any(len(item) > 1 and item[1] == prompt_id for item in items)

    def run(self, graph: Graph | Mapping[str, Any], *, output_dir: Path | str | None = None,
            on_event: EventCallback | None = None, timeout: float = 3600.0,
            interrupt_on_timeout: bool = True,
            on_queued: Callable[[str], None] | None = None, check: bool = True) -> RunResult:
        """Queue ``graph``, follow it to the end and download its outputs.

        ``on_event`` receives each typed event of this prompt. ``timeout`` is the
        overall deadline in seconds: past it the prompt is interrupted (unless
        ``interrupt_on_timeout`` is false) and :class:`JobTimeoutError` raised; a
        ``KeyboardInterrupt`` while waiting interrupts it too.
        Outputs go to ``output_dir`` (not downloaded when it is ``None``).
        ``on_queued`` gets the prompt id as soon as ComfyUI accepted it (to interrupt it
        from another thread, for example). With ``check`` (the default) the graph is first
        compared with the server's node types and model files (:meth:`check`), so nothing
        is queued that the server cannot run.
        """
        if isinstance(graph, Graph):
            graph.validate()
        if check:
            self.check(graph).raise_if_failed()
        deadline = time.monotonic() + timeout
        client_id = uuid.uuid4().hex
        prompt_id = str(uuid.uuid4())
        # the socket comes first, so that no message of the run can be missed
        socket = Socket(self.http.ws_url(client_id), connect_timeout=self._left(deadline, 10))
        queued_at = time.time()
        try:
            self.queue(graph, client_id=client_id, prompt_id=prompt_id)
        except BaseException:
            socket.close()
            raise
        if on_queued is not None:
            on_queued(prompt_id)
        follow = _Follower(self, prompt_id, client_id, socket, deadline, on_event)
        try:
            entry = follow.until_done()
        except JobTimeoutError:
            if interrupt_on_timeout:
                self._interrupt_quietly(prompt_id)
            raise
        except KeyboardInterrupt:  # the caller gave up: free the GPU as well
            self._interrupt_quietly(prompt_id)
            raise
        result = RunResult(prompt_id, outputs_from_history(entry), cached_nodes=follow.cached,
                           queued_at=queued_at, started_at=follow.started_at,
                           finished_at=time.time())
        if output_dir is not None:
            self.download_all(result, Path(output_dir))
        return result

    def download(self, output: OutputFile, dest: Path) -> Path:
        """Stream one output file to ``dest``."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.http.download(output.view_params, dest)
        return dest

    def download_all(self, result: RunResult, output_dir: Path) -> None:
        """Download every output of ``result`` into ``output_dir`` (names kept unique)."""
        output_dir.mkdir(parents=True, exist_ok=True)
        for output in result.outputs:
            name = Path(output.filename).name  # a server's name never escapes output_dir
            if not name or name in (".", ".."):
                raise OutputError(f"node {output.node_id} reported an unusable file name "
                                  f"{output.filename!r}")
            dest = output_dir / name
            if dest in result.files.values():
                dest = output_dir / f"{output.node_id}_{name}"
            result.files[output] = self.download(output, dest)

    # --- helpers -----------------------------------------------------------------------------

    def _interrupt_quietly(self, prompt_id: str) -> None:
        with contextlib.suppress(ServerUnavailableError):  # the caller hears of the timeout
            self.interrupt(prompt_id)

    @staticmethod
    def _left(deadline: float, cap: float) -> float:
        return max(0.1, min(cap, deadline - time.monotonic()))


class _Follower:
    """Follows one queued prompt to its end over the socket, with /history as backstop."""

    def __init__(self, client: ComfyClient, prompt_id: str, client_id: str, socket: Socket,
                 deadline: float, on_event: EventCallback | None) -> None:
        self.client = client
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.socket: Socket | None = socket
        self.deadline = deadline
        self.on_event = on_event
        self.cached: tuple[str, ...] = ()
        self.started_at: float | None = None
        self.failure: Exception | None = None
        self.reconnected = False  # True from a reconnect until the next event arrives

    def until_done(self) -> dict[str, Any]:
        """The prompt's history entry once it succeeded; raises for every other ending."""
        try:
            for event in self._events():
                if self.on_event is not None:
                    self.on_event(event)
                if isinstance(event, ExecutionStarted):
                    self.started_at = time.time()
                elif isinstance(event, NodesCached):
                    self.cached = event.nodes
                elif isinstance(event, ExecutionFailed):
                    self.failure = ExecutionError(
                        event.prompt_id, event.node_id, event.node_type, event.exception_type,
                        event.exception_message, list(event.traceback))
                elif isinstance(event, ExecutionInterrupted):
                    self.failure = ExecutionInterruptedError(event.prompt_id, event.node_id,
                                                             event.node_type)
                # success is final only with ComfyUI's last message: history is written by then
                if isinstance(event, Finished) or self.failure:
                    break
        finally:
            if self.socket is not None:
                self.socket.close()
        if self.failure is not None:
            raise self.failure
        return self._final_entry()

    def _events(self) -> Iterator[Event]:
        """Events of this prompt; on silence or a dropped socket, consult /history."""
        while True:
            if time.monotonic() >= self.deadline:
                raise JobTimeoutError(f"prompt {self.prompt_id} did not finish before the "
                                      "deadline")
            try:
                message = self._receive()
            except ServerUnavailableError:
                if self._finished_meanwhile():
                    return
                self._reconnect()
                continue
            if message is None:  # silence: maybe we missed the end
                if self._finished_meanwhile():
                    return
                if self.reconnected:
                    # ComfyUI drops a client id from its table when the *old* socket's close
                    # is noticed, even after the new socket registered it: register again
                    self._reconnect()
                continue
            event = parse_event(message, self.prompt_id)
            if event is not None:
                self.reconnected = False
                yield event

    def _receive(self) -> dict[str, Any] | None:
        if self.socket is None:
            raise ServerUnavailableError("no socket")
        wait = min(self.client.receive_timeout, self.deadline - time.monotonic())
        return self.socket.receive(max(wait, 0.01))

    def _finished_meanwhile(self) -> bool:
        """Look at /history; raise if the prompt ended badly or the server forgot it."""
        wait = ComfyClient._left(self.deadline, self.client.http.timeout)  # never past it
        try:
            entry = self.client.history(self.prompt_id, timeout=wait)
            if entry is None:
                if self.client.is_queued(self.prompt_id, timeout=wait):
                    return False
                # it may have finished between the two requests: history is written first
                entry = self.client.history(self.prompt_id, timeout=wait)
        except ServerUnavailableError:
            return False  # the server is down for now: keep trying until the deadline
        if entry is None:
            raise PromptLostError(
                f"ComfyUI no longer knows prompt {self.prompt_id}: it is neither queued nor "
                "in the history (the server restarted or the queue was cleared)")
        status = entry.get("status") or {}
        if not status.get("completed", False) and status.get("status_str") != "error":
            return False
        self.failure = failure_from_history(self.prompt_id, entry)
        return True

    def _reconnect(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        delay = 0.2
        for _ in range(self.client.reconnect_attempts):
            if time.monotonic() >= self.deadline:
                return
            try:
                self.socket = Socket(self.client.http.ws_url(self.client_id),
                                     connect_timeout=ComfyClient._left(self.deadline, 10))
                self.reconnected = True
                return
            except ServerUnavailableError:
                time.sleep(min(delay, max(0.0, self.deadline - time.monotonic())))
                delay = min(delay * 2, 5.0)
        raise ServerUnavailableError(
            f"lost the WebSocket to {self.client.base_url} and could not reconnect "
            f"({self.client.reconnect_attempts} attempts)")

    def _final_entry(self) -> dict[str, Any]:
        """The history entry after success (it is written before the final message)."""
        for _ in range(20):
            entry = self.client.history(self.prompt_id)
            if entry is not None:
                failure = failure_from_history(self.prompt_id, entry)
                if failure is not None:
                    raise failure
                return entry
            time.sleep(0.05)
        raise PromptLostError(f"prompt {self.prompt_id} finished but ComfyUI has no history "
                              "entry for it")


def outputs_from_history(entry: Mapping[str, Any]) -> list[OutputFile]:
    """Every file any node reported, in node order; nothing is dropped.

    SaveVideo reports its mp4 under ``images`` with ``animated: [true]``; video
    helper nodes use ``gifs``; others ``videos`` or ``audio``.
    """
    files: list[OutputFile] = []
    outputs = entry.get("outputs") or {}
    for node_id in sorted(outputs, key=lambda k: (len(k), k)):
        ui = outputs[node_id] or {}
        animated = ui.get("animated") or []
        for kind in OUTPUT_KEYS:
            for index, item in enumerate(ui.get(kind) or []):
                if not isinstance(item, dict) or "filename" not in item:
                    continue
                files.append(OutputFile(
                    node_id=str(node_id), kind=kind, filename=str(item["filename"]),
                    subfolder=str(item.get("subfolder", "")),
                    type=str(item.get("type", "output")),
                    animated=bool(animated[index]) if index < len(animated) else kind != "images"))
    return files


def failure_from_history(prompt_id: str, entry: Mapping[str, Any]) -> Exception | None:
    """The error a finished history entry records, or ``None`` if it succeeded."""
    status = entry.get("status") or {}
    if status.get("status_str") != "error":
        return None
    for kind, data in reversed(status.get("messages") or []):
        if kind == "execution_error":
            return ExecutionError(prompt_id, str(data.get("node_id")), str(data.get("node_type")),
                                  str(data.get("exception_type", "")),
                                  str(data.get("exception_message", "")),
                                  list(data.get("traceback") or []))
        if kind == "execution_interrupted":
            return ExecutionInterruptedError(prompt_id, data.get("node_id"),
                                             data.get("node_type"))
    return ExecutionError(prompt_id, "?", "?", "unknown", "ComfyUI reports the prompt failed")


def _model_folder(problem: Problem) -> str | None:
    """The ``models/`` folder when ``problem`` is a model file the server does not list."""
    if problem.kind != "value_not_in_list" or problem.class_type is None:
        return None
    declared = LTX2_SCHEMAS.get(problem.class_type)
    spec = declared.input(problem.input_name or "") if declared else None
    return spec.folder if spec is not None and spec.folder != "input" else None
