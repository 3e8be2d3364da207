"""ComfyClient: run graphs on a ComfyUI server and get every output back.

What it guarantees, following ComfyUI's protocol as captured from real servers:

- the prompt is checked by the server's own rules (its ``/object_info``, its validation)
  before it is queued: missing node types and model files are listed by name and folder;
- the socket is opened before the prompt is queued, with a client-chosen ``prompt_id``,
  so no message of the run can be missed;
- every wait ends by the run's deadline, each HTTP exchange (a dripping body included)
  and each socket read; a silent or dropped socket leads to a reconnect and a look at
  ``/history``, so a finish during the gap is not lost, and a prompt the server no longer
  knows is an error, never a success; past the deadline the prompt is interrupted;
- a server that answers none of those looks for 10 s (hung: a stopped process; a busy one
  answers, its HTTP on another thread than its GPU work) is a
  :class:`ServerUnavailableError` ("stopped answering"), its prompt taken back (removed
  from the queue, interrupted) by requests that wait for it to wake up;
- a cancel before the prompt is queued means it is never queued;
- outputs are taken from ``/history`` (``images`` with ``animated`` for SaveVideo,
  ``gifs``, ``videos``, ``audio``), streamed to disk under distinct local names, and
  verified: the announced size, a non-empty body, the container its name promises.
- whatever the server answers, a malformed answer is a :class:`ServerResponseError`.

One client may serve several threads: each run has its own socket and client id.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from ltx2sdk.backends.comfyui.following import (
    FINAL_ENTRY_PAUSE,
    FINAL_ENTRY_TRIES,
    HUNG_AFTER,
    LOOK_TIMEOUT,
    PromptFollowing,
    history_outcome,
    receive_wait,
    reconnect_delays,
)
from ltx2sdk.backends.comfyui.transport import ComfyTransport, HttpTransport, MessageSocket
from ltx2sdk.backends.comfyui.wire import (
    PARTNER_KEY_FIELD,
    PartnerKey,
    failure_from_history,
    history_entry,
    outputs_from_history,
    parse_event,
    partner_nodes,
    queue_holds,
    queue_place,
)
from ltx2sdk.backends.events import Event
from ltx2sdk.backends.outputs import OutputFile, describe, verify_download
from ltx2sdk.backends.protocol import API_KEY_ENV, CLEANUP_TIMEOUT, RunResult, download_all
from ltx2sdk.backends.server_urls import (
    REFUSED_GRACE,
    FailureKind,
    attempt_timeout,
    cancellable,
    connection_failure,
    normalize_server_url,
    not_reached,
    shown_url,
)
from ltx2sdk.backends.uploads import bind_uploads
from ltx2sdk.deadline import checked_seconds
from ltx2sdk.errors import (
    ComfyError,
    EditorWorkflowError,
    JobCancelledError,
    JobTimeoutError,
    MissingApiKeyError,
    OutputError,
    PromptLostError,
    ServerResponseError,
    ServerUnavailableError,
    SettingError,
)
from ltx2sdk.graph.core import Graph
from ltx2sdk.graph.prompt_check import Problem, PromptCheck, check_prompt
from ltx2sdk.graph.schema import SchemaSet
from ltx2sdk.graph.server_check import ServerCheck

__all__ = ["ComfyClient", "OutputFile", "RunResult", "ServerCheck"]

EventCallback = Callable[[Event], None]
OBJECT_INFO_TIMEOUT = 120.0  # a server with many custom nodes takes its time
HUNG_TAKE_BACK_TIMEOUT = 0.5
"""Seconds a cancel's interrupt of a prompt on a server that answered no look waits, so that
a Ctrl-C with a hung server is quick."""
LOOK_AT_LIMIT = 1.0
"""Seconds a look at the history or queue cut short by the run's time limit must have gone
unanswered for the server to count as hung then (one that answers takes milliseconds)."""
HUNG_TAKE_BACK_WAIT = 600.0
"""Seconds the take-back of a prompt from a hung server waits for it to wake up and answer
(on a thread of its own: nobody waits for it)."""


def _missing_key(nodes: list[str]) -> str:
    """The one line that says partner nodes ``nodes`` need a key (never showing one)."""
    return (f"{', '.join(nodes)} runs on a paid partner API and needs a Comfy account API "
            f"key: set {API_KEY_ENV} (or pass api_key=..., or --api-key)")


class ComfyClient:
    """A client for one ComfyUI server at ``base_url`` (``http://host:8188``).

    ``request_timeout`` bounds each HTTP request; ``receive_timeout`` is how long
    the socket may stay silent before the client looks at ``/history`` itself.

    ``transport``: what every request and the WebSocket go through
    (:class:`~ltx2sdk.backends.comfyui.transport.ComfyTransport`, one method per route);
    default an :class:`~ltx2sdk.backends.comfyui.transport.HttpTransport` to ``base_url``
    with ``request_timeout``. A test passes a scripted one and runs the client without a
    socket. The client closes it in :meth:`close`.

    It is the native implementation of :class:`ltx2sdk.backends.protocol.Backend`.

    ``api_key``: a Comfy account API key for ComfyUI's partner nodes (nodes that call a paid
    API, such as ``LtxApi25TextToVideo``; default ``$COMFY_API_KEY``). It is sent only as
    ``POST /prompt``'s ``extra_data.api_key_comfy_org``, where ComfyUI hands it to those
    nodes, and only with a prompt that has one (:func:`~.wire.partner_nodes`); it is never
    shown (not in a repr, an error, or a log). A prompt with a partner node and no key is a
    :class:`~ltx2sdk.errors.MissingApiKeyError` before anything is queued.
    """

    api = "comfyui"  # the protocol it speaks (ltx2sdk.backends.protocol.Backend.api)
    can_check = True  # check() asks the server's own /object_info

    def __init__(self, base_url: str = "http://127.0.0.1:8188", *,
                 request_timeout: float = 30.0, receive_timeout: float = 10.0,
                 reconnect_attempts: int = 5, transport: ComfyTransport | None = None,
                 api_key: str | None = None) -> None:
        # what people type works: "127.0.0.1:8188" is http://127.0.0.1:8188; a URL that
        # cannot work is a ServerUrlError (a ValueError) here, before anything is sent
        self._base_url = normalize_server_url(base_url)
        self.transport: ComfyTransport = transport if transport is not None else \
            HttpTransport(self._base_url, timeout=request_timeout)
        self.request_timeout = request_timeout
        self.receive_timeout = receive_timeout
        self.reconnect_attempts = reconnect_attempts
        self._object_info: dict[str, Any] | None = None
        self._system_stats: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._renamed: dict[str, str] = {}  # a name given to upload_file -> the name kept
        self._kept: set[str] = set()  # names this client's uploads were kept under as given
        self._partner_key = PartnerKey.resolve(api_key)
        # seconds the interrupt of a prompt after its deadline or a cancel waits for its
        # answer: a caller that found the server unresponsive lowers it (a stop is quick)
        self.cleanup_timeout = CLEANUP_TIMEOUT

    @property
    def base_url(self) -> str:
        """The server's URL, fit to show: a password in it is ``***`` (the requests use it)."""
        return shown_url(self._base_url)

    def __repr__(self) -> str:
        return f"ComfyClient({self.base_url!r})"

    def close(self) -> None:
        """Release the HTTP connections (each run's socket is closed when the run ends)."""
        self.transport.close()

    # --- server state ------------------------------------------------------------------------

    def wait_ready(self, timeout: float = 60.0, interval: float = 0.5, *,
                   refused_grace: float | None = None,
                   on_wait: Callable[[], None] | None = None,
                   cancel: threading.Event | None = None,
                   waited: float = 0.0) -> dict[str, Any]:
        """Wait until the server answers ``/system_stats``; return that answer.

        Retried only while a server is plausibly starting:

        - nothing listens (connection refused, no route) or the connection is not answered:
          for ``refused_grace`` seconds, by default the whole ``timeout`` (a ComfyUI started
          beside the caller refuses until it has loaded); give a few seconds
          (:data:`~ltx2sdk.backends.server_urls.REFUSED_GRACE`) to fail fast when a server
          should already be up, as :func:`~ltx2sdk.app.generate.generate` and the ``ltx2``
          CLI do unless asked to wait;
        - the host name does not resolve: not retried (waiting does not make a mistyped
          name resolve; a name server that did not answer is retried like a refusal);
        - the server accepted but did not answer in time, or a proxy in front of it
          answered 502, 503 or 504: until ``timeout``;
        - a URL that cannot be used fails at once (the constructor already refused what
          cannot be a server URL), and any other answer (a 404, a web page: not a ComfyUI)
          is a :class:`ServerResponseError` at once.

        ``on_wait`` is called once, when the first attempt has failed and the client
        starts waiting (a CLI says so there). When the time is up: a
        :class:`~ltx2sdk.errors.ServerUnreachableError` when nobody answered (``... was not
        ready within 1 s (connection refused)``; ``cannot reach ComfyUI at URL: unknown
        host (...)``), else a :class:`ServerUnavailableError`; one line with the URL and
        the last reason in plain words.

        ``waited``: seconds already spent waiting for this server before the call (a probe of
        it): counted in ``timeout`` and ``refused_grace``, and in the time the error says, so
        that it says the whole wait. Setting ``cancel`` (from another thread) ends the wait
        with a :class:`~ltx2sdk.errors.JobCancelledError` within
        :data:`~ltx2sdk.backends.server_urls.CANCEL_POLL` seconds, in an attempt too.
        """
        timeout = checked_seconds("timeout", timeout, SettingError)  # True is no 1 s
        start = time.monotonic() - max(0.0, waited)
        deadline = start + timeout
        grace = timeout if refused_grace is None else min(timeout, refused_grace)
        absent_deadline = start + grace
        unknown_deadline = start  # a name that does not resolve: at once
        waiting = False
        last: Exception | None = None
        # what the wait ends as if no request is made (a probe before it had no answer)
        kind: FailureKind = "unready"
        reason, until = "no answer in time", deadline
        while True:
            now = time.monotonic()
            # each request ends by the deadline: a wait of 2 s gives up after 2 s, not after
            # a last request's own limit; none is made once nothing is left (then now >= until)
            limit = attempt_timeout(deadline, now)
            if limit is not None:
                try:
                    try:
                        stats = cancellable(functools.partial(self.transport.system_stats,
                                                              timeout=limit),
                                            cancel, f"ComfyUI at {self.base_url}")
                    except JobCancelledError as exc:  # caused by the last failure: says why
                        raise JobCancelledError(str(exc)) from last
                    with self._lock:
                        self._system_stats = stats
                    return stats
                except (ServerUnavailableError, JobTimeoutError, ServerResponseError) as exc:
                    last = exc
                    kind, reason = connection_failure(exc)
                    if kind == "invalid":
                        raise ServerUnavailableError(
                            f"cannot reach ComfyUI at {self.base_url}: {reason}") from exc
                    if isinstance(exc, ServerResponseError) and kind != "unready":
                        answered = (f"HTTP {exc.status}" if exc.status not in (None, 200)
                                    else "something that is not its JSON")
                        raise ServerResponseError(
                            f"the server at {self.base_url} does not answer like a ComfyUI "
                            f"(GET /system_stats answered {answered}){self._path_hint(exc)}",
                            status=exc.status, body=exc.body) from exc
                    until = {"absent": absent_deadline,
                             "unknown_host": unknown_deadline}.get(kind, deadline)
                now = time.monotonic()
            if now >= until:
                if kind in ("absent", "unknown_host"):
                    raise not_reached("ComfyUI", self.base_url, kind, reason,
                                      until - start) from last
                raise ServerUnavailableError(
                    f"ComfyUI at {self.base_url} was not ready within {until - start:.3g} s "
                    f"({reason})") from last
            if not waiting:
                waiting = True
                if on_wait is not None:
                    on_wait()
            if cancel is None:
                time.sleep(min(interval, until - now))
            elif cancel.wait(min(interval, until - now)):
                raise JobCancelledError(f"cancelled while waiting for ComfyUI at "
                                        f"{self.base_url}") from last

    def _path_hint(self, exc: ServerResponseError) -> str:
        """When a URL with a path got "no such route" (404, 405): the path may be the
        mistake, and the URL without it is where a ComfyUI usually is."""
        parts = urlsplit(self.base_url)
        if exc.status not in (404, 405) or not parts.path:
            return ""
        return (f": is the path {parts.path} right? Without it: "
                f"{urlunsplit((parts.scheme, parts.netloc, '', '', ''))}")

    def object_info(self, *, refresh: bool = False,
                    deadline: float | None = None) -> dict[str, Any]:
        """``GET /object_info``, fetched once per client (``refresh`` to fetch again)."""
        with self._lock:
            if self._object_info is None or refresh:
                self._object_info = self.transport.object_info(
                    timeout=OBJECT_INFO_TIMEOUT, deadline=deadline)
            return self._object_info

    def system_stats(self, *, refresh: bool = False,
                     deadline: float | None = None) -> dict[str, Any]:
        """``GET /system_stats``, fetched once per client (``refresh`` to fetch again)."""
        with self._lock:
            if self._system_stats is None or refresh:
                self._system_stats = self.transport.system_stats(deadline=deadline)
            return self._system_stats

    @property
    def comfyui_version(self) -> str | None:
        """The server's ComfyUI release, as its ``/system_stats`` states it."""
        return self._version()

    def _version(self, deadline: float | None = None) -> str | None:
        system = self.system_stats(deadline=deadline).get("system")
        version = system.get("comfyui_version") if isinstance(system, dict) else None
        return str(version) if isinstance(version, (str, int, float)) and version else None

    def schemas(self, *, deadline: float | None = None) -> SchemaSet:
        """The server's node schemas, in the SDK's format (builders write nodes its way)."""
        return SchemaSet.from_object_info(self.object_info(deadline=deadline),
                                          comfyui_version=self._version(deadline))

    def input_file_exists(self, kind: str, name: str, *,
                          deadline: float | None = None) -> bool | None:
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
        return self.transport.view_exists({"filename": filename, "subfolder": subfolder,
                                      "type": folder}, deadline=deadline)

    def check(self, graph: Graph | Mapping[str, Any], *,
              pending_uploads: Collection[str] = (), deadline: float | None = None
              ) -> ServerCheck:
        """What this server would make of ``graph`` (a :class:`Graph` or API JSON), by its
        own rules: see :func:`ltx2sdk.graph.prompt_check.check_prompt`. ``.ok`` is false when it
        would refuse the prompt, or accept it and fail at run time (the reason says so).
        A loaded API prompt is checked as it is: no default is filled in. Input files are
        looked up on the server, except ``pending_uploads`` (to be uploaded first). An
        editor workflow is read with the server's schemas first (:meth:`prompt_of`); one
        that cannot be is refused, the verdict saying why."""
        try:
            api = self.bound(graph)
        except EditorWorkflowError as exc:
            refused = PromptCheck("invalid_prompt", (Problem("invalid_prompt", str(exc)),))
            return ServerCheck.from_verdict(refused)

        def file_exists(kind: str, name: str) -> bool | None:
            if name in pending_uploads:
                return True
            return self.input_file_exists(kind, name, deadline=deadline)

        verdict = check_prompt(api, self.schemas(deadline=deadline), file_exists=file_exists)
        return ServerCheck.from_verdict(verdict)

    # --- running -----------------------------------------------------------------------------

    def upload_file(self, data: bytes, filename: str, *, overwrite: bool = False,
                    deadline: float | None = None, reuse: bool = False) -> str:
        """Upload an input file into ComfyUI's input folder: an image, or any other file such as
        an audio (``POST /upload/image`` takes any file); returns the name to give LoadImage
        or LoadAudio, ``filename``. Where ComfyUI kept the file under another name (one was
        there already: ``in (1).png``), each prompt this client checks or queues says that
        name instead (:meth:`bound`).

        ``reuse`` (``filename`` names its content, :func:`~ltx2sdk.backends.uploads.content_stem`):
        when the input folder has a file of that name and size already, nothing is sent; a
        file of another size there is someone else's, and the upload goes on (ComfyUI keeps
        it as ``name (1).png``). The input files ``/object_info`` listed when this client
        fetched it, and those it uploaded since, say which names to ask about (``GET /view``,
        headers only: asked live, so a file deleted since is uploaded again); another name is
        uploaded at once (ComfyUI keeps identical bytes under an existing name once)."""
        if reuse and not overwrite and "/" not in filename and self._may_have(filename):
            size = self.transport.view_size(
                {"filename": filename, "subfolder": "", "type": "input"}, deadline=deadline)
            if size == len(data):
                with self._lock:
                    self._renamed.pop(filename, None)  # it is there under its own name
                return filename
        answer = self.transport.upload_image(data, filename, overwrite=overwrite, deadline=deadline)
        name = str(answer["name"])
        subfolder = answer.get("subfolder") or ""
        if not isinstance(subfolder, str):
            raise ServerResponseError("POST /upload/image answered a subfolder that is not text")
        kept = f"{subfolder}/{name}" if subfolder else name
        with self._lock:
            if kept != filename:
                self._renamed[filename] = kept
            else:
                self._renamed.pop(filename, None)
                self._kept.add(filename)  # (uploaded after /object_info was listed, maybe)
        return filename

    def _may_have(self, filename: str) -> bool:
        """Whether the input folder may have ``filename``: uploaded by this client, listed by
        the ``/object_info`` it fetched (LoadImage's and LoadAudio's file choices), or not
        known (none fetched, or in a shape not understood)."""
        with self._lock:
            info = self._object_info
            if filename in self._kept:
                return True
        if info is None:
            return True
        listed: set[Any] = set()
        loaders = [(node, name) for class_type, name in (("LoadImage", "image"),
                                                         ("LoadAudio", "audio"))
                   if (node := info.get(class_type)) is not None]  # (a release without one)
        if not loaders:
            return True
        for node, name in loaders:
            inputs = node.get("input") if isinstance(node, dict) else None
            required = inputs.get("required") if isinstance(inputs, dict) else None
            spec = required.get(name) if isinstance(required, dict) else None
            options = _combo_options(spec)
            if options is None:
                return True
            listed.update(options)
        return filename in listed

    def prompt_of(self, graph: Graph | Mapping[str, Any], *,
                  deadline: float | None = None) -> dict[str, Any]:
        """The API prompt of ``graph``: a :class:`Graph` compiled, API JSON as it is, an
        editor workflow (ComfyUI's "Save") read with this server's node schemas, as the
        editor would queue it (an :class:`~ltx2sdk.errors.EditorWorkflowError` when it
        cannot be)."""
        if isinstance(graph, Graph):
            return graph.compile()
        from ltx2sdk.graph.editor.ui_import import (  # start-up: rarely needed
            as_api_prompt,
            is_editor_workflow,
        )

        if is_editor_workflow(graph):
            return as_api_prompt(graph, self.schemas(deadline=deadline))
        return dict(graph)

    def bound(self, graph: Graph | Mapping[str, Any]) -> dict[str, Any]:
        """The API prompt of ``graph`` (:meth:`prompt_of`) as this client submits it: each
        input file name :meth:`upload_file` returned, under the name ComfyUI kept the file."""
        api = self.prompt_of(graph)
        with self._lock:
            renamed = dict(self._renamed)
        return bind_uploads(api, renamed)

    @property
    def has_partner_key(self) -> bool:
        """Whether a key for partner nodes is set (the key itself is not readable here)."""
        return self._partner_key is not None

    def partner_nodes(self, graph: Graph | Mapping[str, Any], *,
                      deadline: float | None = None) -> list[str]:
        """The partner node types of ``graph`` (those this server declares taking a Comfy
        account key), in prompt order; the server's ``/object_info`` is asked once."""
        api = self.prompt_of(graph, deadline=deadline)
        return partner_nodes(api, self.object_info(deadline=deadline))

    def check_partner_key(self, graph: Graph | Mapping[str, Any], *,
                          deadline: float | None = None) -> None:
        """A :class:`~ltx2sdk.errors.MissingApiKeyError` when ``graph`` has a partner node
        and this client holds no key (what :meth:`run` would refuse), asked before uploads
        or a dry run's verdict; the server's ``/object_info`` is asked at most once."""
        api = self.prompt_of(graph, deadline=deadline)
        needing = partner_nodes(api, self.object_info(deadline=deadline))
        if needing and self._partner_key is None:
            raise MissingApiKeyError(_missing_key(needing))

    def _extra_data(self, api: Mapping[str, Any], deadline: float | None) -> dict[str, Any]:
        """``POST /prompt``'s ``extra_data`` for ``api``: the partner key when it has a
        partner node (refused at once without one), else nothing. The server's
        ``/object_info`` says which nodes are partner nodes: the one this client fetched
        (every check fetches it), else it is fetched only to place a key this client holds
        (without one, an unchecked prompt goes as it is, and a partner node in it fails on
        the server as ComfyUI's own do)."""
        with self._lock:
            known = self._object_info
        if known is None and self._partner_key is None:
            return {}
        needing = partner_nodes(api, known if known is not None
                                else self.object_info(deadline=deadline))
        if not needing:
            return {}
        if self._partner_key is None:
            raise MissingApiKeyError(_missing_key(needing))
        return {PARTNER_KEY_FIELD: self._partner_key.reveal()}

    def queue(self, graph: Graph | Mapping[str, Any], *, client_id: str,
              prompt_id: str | None = None, deadline: float | None = None) -> str:
        """Queue a prompt; returns its id. A 400 raises :class:`PromptRejectedError`; a
        prompt with a partner node and no key :class:`MissingApiKeyError`, unsent."""
        api = self.bound(graph)
        prompt_id = prompt_id or str(uuid.uuid4())
        body: dict[str, Any] = {"prompt": api, "client_id": client_id, "prompt_id": prompt_id}
        extra = self._extra_data(api, deadline)
        if extra:
            body["extra_data"] = extra
        answer = self.transport.post_prompt(body, deadline=deadline)
        queued = answer.get("prompt_id", prompt_id)
        if not isinstance(queued, str) or not queued:
            raise ServerResponseError(f"POST /prompt answered a prompt id that is not text: "
                                      f"{queued!r}")
        return queued

    def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        """Stop ``prompt_id``: interrupt it if it runs, and remove it from the queue."""
        self.transport.interrupt(prompt_id, timeout=timeout)
        self.transport.delete_queued([prompt_id], timeout=timeout)

    def delete_queued(self, prompt_ids: Sequence[str], *,
                      timeout: float | None = None) -> None:
        """Remove ``prompt_ids`` from the queue if they still wait there (one running or
        done is left as it is): one request for them all."""
        self.transport.delete_queued(prompt_ids, timeout=timeout)

    def history(self, prompt_id: str, *, timeout: float | None = None,
                deadline: float | None = None) -> dict[str, Any] | None:
        """The history entry of ``prompt_id``, or ``None`` if the server has none."""
        return history_entry(self.transport.history(prompt_id, timeout=timeout,
                                                    deadline=deadline), prompt_id)

    def is_queued(self, prompt_id: str, *, timeout: float | None = None,
                  deadline: float | None = None) -> bool:
        """Whether ``prompt_id`` is running or waiting in the queue."""
        return queue_holds(self.transport.queue(timeout=timeout, deadline=deadline), prompt_id)

    def queue_place(self, prompt_id: str, *, timeout: float | None = None,
                    deadline: float | None = None) -> Literal["running", "pending"] | None:
        """Where ``prompt_id`` is in the queue: ``"running"``, ``"pending"`` (waiting), or
        ``None`` when the queue does not hold it."""
        return queue_place(self.transport.queue(timeout=timeout, deadline=deadline), prompt_id)

    def run(self, graph: Graph | Mapping[str, Any], *, output_dir: Path | str | None = None,
            on_event: EventCallback | None = None, timeout: float = 3600.0,
            interrupt_on_timeout: bool = True,
            on_queued: Callable[[str], None] | None = None, check: bool = True,
            cancel: threading.Event | None = None, deadline: float | None = None,
            start_by: Callable[[], float] | None = None,
            before_queue: Callable[[str], None] | None = None) -> RunResult:
        """Queue ``graph``, follow it to the end and download its outputs.

        ``on_event`` receives each typed event of this prompt. ``timeout`` is the overall
        limit in seconds (``deadline``, a :func:`time.monotonic` instant, if given, wins):
        every wait ends by it, and past it the prompt is interrupted (unless
        ``interrupt_on_timeout`` is false) and :class:`JobTimeoutError` raised; a
        ``KeyboardInterrupt`` while waiting interrupts it too. Setting ``cancel`` stops the
        job with :class:`JobCancelledError`: before the prompt is queued it never is,
        afterwards it is interrupted. Outputs go to ``output_dir`` (not downloaded when it is
        ``None``). ``on_queued`` gets the prompt id as soon as ComfyUI accepted it. With
        ``check`` (the default) the graph is first checked by the server's rules
        (:meth:`check`), so nothing is queued that the server would refuse.

        ``start_by``: the wait in the server's queue does not count against the deadline.
        From the moment the prompt is queued to the moment the server begins it (its
        ``execution_start``, or any other message of its run, or ``/queue`` listing it as
        running) the deadline stands still: it moves later by that wait, and the run has
        its whole time left once it begins (:attr:`RunResult.started_at` less
        :attr:`RunResult.queued_at` is the wait). The wait itself is bounded: it ends by
        the later of the deadline and ``start_by()`` (a :func:`time.monotonic` instant, asked
        again each time it is looked at, so the caller's bound may move); past it the prompt
        is taken out of the queue and :class:`JobTimeoutError` says it was not started.
        Without it the deadline counts the wait, as any other.

        ``before_queue`` is called with the prompt's id (chosen here) just before the prompt
        is sent; what it raises stops the run with nothing queued (a caller that queues
        several prompts on one server keeps their order there, or takes them back, with it).
        """
        deadline = deadline if deadline is not None else time.monotonic() + timeout
        if isinstance(graph, Graph):
            graph.validate()
        if check:
            self.check(graph, deadline=deadline).raise_if_failed()
        self._extra_data(self.bound(graph), deadline)  # no key for a partner node: not queued
        client_id = uuid.uuid4().hex
        prompt_id = str(uuid.uuid4())
        # the socket comes first, so that no message of the run can be missed
        socket = self.transport.open_socket(client_id,
                                            connect_timeout=self._left(deadline, 10))
        queued_at = time.time()
        try:
            if before_queue is not None:
                before_queue(prompt_id)
            if cancel is not None and cancel.is_set():
                raise JobCancelledError("the job was cancelled before its prompt was queued")
            self.queue(graph, client_id=client_id, prompt_id=prompt_id, deadline=deadline)
        except (JobTimeoutError, ServerUnavailableError):
            # the server may have queued it without answering in time: take it back
            socket.close()
            self._interrupt_quietly(prompt_id)
            raise
        except BaseException:
            socket.close()
            raise
        if on_queued is not None:
            on_queued(prompt_id)
        follow = _Follower(self, prompt_id, client_id, socket, deadline, on_event, cancel,
                           start_by=start_by)
        try:
            entry = follow.until_done()
        except JobTimeoutError as exc:
            if interrupt_on_timeout and self._interrupt_quietly(prompt_id):
                done = "interrupted" if follow.began is not None else "taken out of the queue"
                raise JobTimeoutError(f"{exc}; it was {done} on {self.base_url}") from exc
            raise
        except (KeyboardInterrupt, JobCancelledError):  # the caller gave up: free the GPU
            self._interrupt_quietly(prompt_id, timeout=None if follow.answering else
                                    HUNG_TAKE_BACK_TIMEOUT)
            raise
        except ServerUnavailableError:
            if not follow.answering:  # hung: the prompt must not run when it wakes up
                self._take_back_quietly(prompt_id)
            raise
        result = RunResult(prompt_id, outputs_from_history(entry, prompt_id),
                           cached_nodes=follow.state.cached, queued_at=queued_at,
                           started_at=follow.started_at, finished_at=time.time())
        if output_dir is not None:  # (by the deadline as the wait in the queue moved it)
            download_all(self, result, Path(output_dir), deadline=follow.deadline)
        return result

    def download(self, output: OutputFile, dest: Path, *,
                 deadline: float | None = None) -> Path:
        """Stream one output file to ``dest`` and verify it (:class:`OutputError` names the
        node and file when the bytes are not what the server said or not the file its name
        promises: an empty body, an error page, a video cut short)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        where = describe(output)
        try:
            self.transport.download(output.view_params, dest, deadline=deadline)
        except (ServerResponseError, ServerUnavailableError) as exc:  # not a deadline: raised
            raise OutputError(f"{where} could not be downloaded: {exc}") from exc
        return verify_download(output, dest)

    # --- helpers -----------------------------------------------------------------------------

    def _interrupt_quietly(self, prompt_id: str, timeout: float | None = None) -> bool:
        """Interrupt ``prompt_id`` (within ``timeout`` seconds, default
        :attr:`cleanup_timeout`); whether the server took it (a
        failure is not raised: the caller hears of the original problem)."""
        try:
            self.interrupt(prompt_id,
                           timeout=self.cleanup_timeout if timeout is None else timeout)
        except ComfyError:
            return False
        return True

    def _take_back_quietly(self, prompt_id: str) -> None:
        """Take ``prompt_id`` back from a server that answers nothing, without waiting: out
        of its queue, then interrupted, on a thread of its own that waits up to
        :data:`HUNG_TAKE_BACK_WAIT` seconds for each answer. The requests wait in the
        server's socket buffers (its kernel accepts connections for it), their connections
        open: a server that wakes up (``kill -CONT``) serves them on its event loop before
        its prompt thread, in the middle of a node, moves on, so the prompt does not run
        there once the caller has handed its job on. (A connection closed before it wakes
        would not do: its request is dropped then. So a process that exits before the server
        wakes cannot take the prompt back; nor can anyone reach a server gone for good, which
        runs nothing.)"""
        def ask() -> None:
            with contextlib.suppress(ComfyError):  # (a server gone, or still hung)
                self.transport.delete_queued([prompt_id], timeout=HUNG_TAKE_BACK_WAIT)
                self.transport.interrupt(prompt_id, timeout=HUNG_TAKE_BACK_WAIT)

        threading.Thread(target=ask, daemon=True, name="ltx2sdk-take-back").start()

    @staticmethod
    def _left(deadline: float, cap: float) -> float:
        return max(0.1, min(cap, deadline - time.monotonic()))


class _Follower:
    """The IO of following one queued prompt: its socket, ``/history`` as backstop,
    reconnects; what each event and entry means, and when to look or reconnect, is
    :mod:`.following`'s to say.

    ``deadline`` is the run's; with ``start_by`` (see :meth:`ComfyClient.run`) it stands
    still while the prompt waits in the server's queue: every wait ends by :meth:`limit`."""

    def __init__(self, client: ComfyClient, prompt_id: str, client_id: str,
                 socket: MessageSocket, deadline: float, on_event: EventCallback | None,
                 cancel: threading.Event | None,
                 start_by: Callable[[], float] | None = None) -> None:
        self.client = client
        self.prompt_id = prompt_id
        self.client_id = client_id
        self.socket: MessageSocket | None = socket
        self.deadline = deadline
        self.on_event = on_event
        self.cancel = cancel
        self.start_by = start_by
        self.queued = time.monotonic()  # (the prompt was accepted just before)
        self.began: float | None = None  # when the server began it, as far as we know
        self.waited_out = False  # its wait in the queue passed its bound
        self.started_at: float | None = None
        self.state = PromptFollowing(prompt_id, client.receive_timeout)

    def limit(self) -> float:
        """The instant every wait ends by: the deadline, or while the prompt waits in the
        queue with ``start_by``, the later of it and ``start_by()``."""
        if self.start_by is None or self.began is not None:
            return self.deadline
        return max(self.deadline, self.start_by())

    def _not_started(self) -> JobTimeoutError:
        """The error of a prompt whose wait in the queue passed its bound (``start_by``)."""
        self.waited_out = True
        return JobTimeoutError(
            f"prompt {self.prompt_id} was not started: it waited "
            f"{time.monotonic() - self.queued:.1f} s in the server's queue, past the time "
            "it was to start by")

    def _began(self) -> None:
        """The server began the prompt (now, or a moment ago: it is first heard of now); with
        ``start_by`` the deadline moves later by the wait in the queue."""
        if self.began is not None:
            return
        self.began = time.monotonic()
        self.started_at = time.time()
        if self.start_by is not None:
            self.deadline += self.began - self.queued

    def until_done(self) -> dict[str, Any]:
        """The prompt's history entry once it succeeded; raises for every other ending."""
        try:
            for event in self._events():
                # any message of its run says it began (its execution_start may be missed
                # across a reconnect)
                self._began()
                if self.on_event is not None:
                    self.on_event(event)
                if self.state.took(event, time.monotonic()):
                    break
        except JobTimeoutError as exc:
            # the bound of the wait in the queue passed (in a look at the history too): said so
            if self.began is None and self.start_by is not None and not self.waited_out:
                raise self._not_started() from exc
            raise
        finally:
            if self.socket is not None:
                self.socket.close()
        if self.state.failure is not None:
            raise self.state.failure
        return self._final_entry()

    def _events(self) -> Iterator[Event]:
        """Events of this prompt; on silence or a dropped socket, consult /history."""
        while True:
            if time.monotonic() >= self.limit():
                if self.state.unanswered_since is not None:
                    # the server answers nothing: its being hung, not the job, is the news
                    raise self._hung()
                if self.began is None and self.start_by is not None:
                    raise self._not_started()
                raise JobTimeoutError(f"prompt {self.prompt_id} did not finish before the "
                                      "deadline")
            if self.cancel is not None and self.cancel.is_set():
                raise JobCancelledError(f"the job was cancelled; prompt {self.prompt_id} is "
                                        "interrupted", self.prompt_id)
            try:
                message = self._receive()
            except ServerUnavailableError:
                if self._finished_meanwhile():
                    return
                self._reconnect()
                continue
            if message is None:  # silence: maybe we missed the end
                if self.state.history_due(time.monotonic()):
                    if self.state.reconnected:  # register the client id again (see following)
                        self._reconnect()
                    if self._finished_meanwhile():
                        return
                continue
            event = parse_event(message, self.prompt_id)
            if event is not None:
                yield event

    def _receive(self) -> dict[str, Any] | None:
        if self.socket is None:
            raise ServerUnavailableError("no socket")
        return self.socket.receive(receive_wait(
            now=time.monotonic(), deadline=self.limit(),
            receive_timeout=self.client.receive_timeout, cancellable=self.cancel is not None))

    def _finished_meanwhile(self) -> bool:
        """Look at /history; raise if the prompt ended badly or the server forgot it, or
        :class:`ServerUnavailableError` once the server has answered no look for
        :data:`~.following.HUNG_AFTER` seconds (hung: see :mod:`.following`). A cancel ends
        the look at once (a hung server's answer is not waited for)."""
        began = time.monotonic()
        look = functools.partial(self._look, min(self.client.request_timeout, LOOK_TIMEOUT),
                                 self.limit())
        try:
            where, entry = cancellable(look, self.cancel, f"ComfyUI at {self.client.base_url}")
        except JobCancelledError:
            raise JobCancelledError(f"the job was cancelled; prompt {self.prompt_id} is "
                                    "interrupted", self.prompt_id) from None
        except ServerUnavailableError as exc:
            if self.state.unanswered(began, time.monotonic()):
                raise self._hung() from exc
            return False  # the server is down for now: keep trying until the deadline
        except JobTimeoutError as exc:
            # the time limit came in the middle of a look: one unanswered for a while, or
            # after others, says the server is hung (its loss), not that the job is late
            now = time.monotonic()
            if self.state.unanswered_since is not None or now - began >= LOOK_AT_LIMIT:
                self.state.unanswered(began, now)
                raise self._hung() from exc
            raise
        self.state.answered()
        if where == "running" or entry is not None:
            self._began()  # (it ran: its wait in the queue is over, if unheard of)
        if where is not None:
            return False
        return self.state.ended_by(history_outcome(self.prompt_id, entry))

    def _look(self, http_timeout: float, limit: float
              ) -> tuple[Literal["running", "pending"] | None, dict[str, Any] | None]:
        """Where the prompt is in the queue (when it has no history entry yet) and its
        history entry. Changes nothing here (a cancel may leave it running on its thread)."""
        entry = self.client.history(self.prompt_id, timeout=http_timeout, deadline=limit)
        if entry is not None:
            return None, entry
        where = self.client.queue_place(self.prompt_id, timeout=http_timeout, deadline=limit)
        if where is not None:
            return where, None
        # it may have finished between the two requests: history is written first
        return None, self.client.history(self.prompt_id, timeout=http_timeout, deadline=limit)

    @property
    def answering(self) -> bool:
        """Whether the server answered the last look (or none was unanswered): not (maybe)
        hung."""
        return self.state.unanswered_since is None

    def _hung(self) -> ServerUnavailableError:
        """The error of a server that answered no look for :data:`~.following.HUNG_AFTER`
        seconds: its prompt may never end (a stopped process, a wedged event loop)."""
        return ServerUnavailableError(
            f"ComfyUI at {self.client.base_url} stopped answering (no answer for "
            f"{HUNG_AFTER:g} s) while prompt {self.prompt_id} was on it")

    def _reconnect(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None
        delays = reconnect_delays()
        refused_since: float | None = None
        for _ in range(self.client.reconnect_attempts):
            if time.monotonic() >= self.limit():
                return
            try:
                self.socket = self.client.transport.open_socket(
                    self.client_id, connect_timeout=ComfyClient._left(self.limit(), 10))
                self.state.reconnected = True
                return
            except ServerUnavailableError as exc:
                pause = next(delays)
                kind, why = connection_failure(exc.__cause__ or exc)
                if kind == "absent":  # nobody there (refused): said within REFUSED_GRACE
                    now = time.monotonic()
                    refused_since = now if refused_since is None else refused_since
                    if now - refused_since >= REFUSED_GRACE:
                        raise ServerUnavailableError(
                            f"lost the WebSocket to {self.client.base_url}: {why}") from None
                    pause = min(pause, refused_since + REFUSED_GRACE - now)
                time.sleep(min(pause, max(0.0, self.limit() - time.monotonic())))
        raise ServerUnavailableError(
            f"lost the WebSocket to {self.client.base_url} and could not reconnect "
            f"({self.client.reconnect_attempts} attempts)")

    def _final_entry(self) -> dict[str, Any]:
        """The history entry after success (it is written before the final message)."""
        for _ in range(FINAL_ENTRY_TRIES):
            entry = self.client.history(self.prompt_id, deadline=self.deadline)
            if entry is not None:
                failure = failure_from_history(self.prompt_id, entry)
                if failure is not None:
                    raise failure
                return entry
            time.sleep(FINAL_ENTRY_PAUSE)
        raise PromptLostError(f"prompt {self.prompt_id} finished but ComfyUI has no history "
                              "entry for it")


def _combo_options(spec: Any) -> list[Any] | None:
    """The options of a combo input as ``/object_info`` writes it: ``[[options], {...}]``
    (older releases) or ``["COMBO", {"options": [...]}]``; ``None`` for any other shape."""
    if isinstance(spec, list) and spec:
        if isinstance(spec[0], list):
            return spec[0]
        if spec[0] == "COMBO" and len(spec) > 1 and isinstance(spec[1], dict):
            options = spec[1].get("options")
            return options if isinstance(options, list) else None
    return None
