"""The wire: ComfyUI's HTTP routes (requests) and its WebSocket (websocket-client).

This layer knows URLs, status codes and frame formats, and turns every failure into a
typed :mod:`ltx2sdk.errors` exception (what the answers mean is read by
:mod:`ltx2sdk.backends.comfyui.wire`). It knows nothing of prompts' life cycles;
:mod:`ltx2sdk.backends.comfyui.client` builds those on top of it, through
:class:`ComfyTransport` (one method per route, and the WebSocket), which
:class:`HttpTransport` implements and a test may script.

Every exchange is bounded twice: by ``timeout`` (one request) and, when given, by a
``deadline`` (a :func:`time.monotonic` instant, the job's). The bound
(:class:`ltx2sdk.deadline.Deadline`) covers the whole exchange, a body that drips a byte at a
time included: the connection is shut down when the time is up. Past the deadline the error
is :class:`JobTimeoutError`; past the request timeout it is :class:`ServerUnavailableError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import requests.adapters
import websocket

from ltx2sdk.backends.comfyui.wire import rejection_from_body
from ltx2sdk.backends.deadline_http import DeadlineAdapter
from ltx2sdk.backends.outputs import DOWNLOAD_CHUNK, partial_file
from ltx2sdk.backends.server_urls import basic_auth, connection_failure, shown_url
from ltx2sdk.deadline import Deadline
from ltx2sdk.errors import (
    JobTimeoutError,
    LocalFileError,
    ServerResponseError,
    ServerUnavailableError,
    UploadError,
)
from ltx2sdk.wording import byte_size, one_line

MAX_ANSWER_BYTES = 256 << 20  # a JSON answer larger than this is not ComfyUI's


def _describe_connection_error(url: str, exc: Exception) -> str:
    # the reason in plain words, not the HTTP library's class names and reprs
    return f"cannot reach ComfyUI at {shown_url(url)}: {connection_failure(exc)[1]}"


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer: status, headers and body (read within the bounds)."""

    method: str
    path: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self, *, accept: tuple[int, ...] = (200,)) -> Any:
        """The body as JSON; :class:`ServerResponseError` for another status or not JSON."""
        if self.status not in accept:
            raise ServerResponseError(
                f"{self.method} {self.path} answered HTTP {self.status}: "
                f"{self.text.strip()[:300]}", status=self.status, body=self.text)
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ServerResponseError(f"{self.method} {self.path} answered with a body that is "
                                      f"not JSON: {self.text.strip()[:200]!r}",
                                      status=self.status, body=self.text) from exc

    def json_object(self, *, accept: tuple[int, ...] = (200,)) -> dict[str, Any]:
        """:meth:`json`, which must be a JSON object."""
        data = self.json(accept=accept)
        if not isinstance(data, dict):
            raise ServerResponseError(f"{self.method} {self.path} answered a JSON "
                                      f"{type(data).__name__} where an object belongs",
                                      status=self.status, body=self.text[:500])
        return data


def _exchange_deadline(timeout: float, deadline: float | None) -> Deadline:
    """The time one exchange may take: the request timeout, capped by the job deadline."""
    bound = Deadline.within(timeout, deadline)
    if bound.passed:
        raise JobTimeoutError("the deadline passed before the request could be sent")
    return bound


def _expired_error(bound: Deadline, what: str) -> Exception:
    """The error for running out of time: the job's deadline, or this request's."""
    if bound.outer_passed():
        return JobTimeoutError(f"{what} did not finish before the job's deadline")
    return ServerUnavailableError(f"{what} did not finish within its time limit")


def _timed_out(bound: Deadline, exc: BaseException) -> BaseException:
    """The cause to give a time-out: ``exc``, or when the deadline shut the connection down
    (the library saw a closed or reset connection), a ``TimeoutError`` caused by it, so that
    what the failure means reads "no answer in time", as a library's own time-out does."""
    if not bound.fired or isinstance(exc, (requests.Timeout, TimeoutError)):
        return exc
    timeout = TimeoutError("the time was up: the connection was shut down")
    timeout.__cause__ = exc
    return timeout


class _LocalFile:
    """A file written with what a server sends, whose failures (a full disk, a file size
    limit, no permission) are :class:`~ltx2sdk.errors.LocalFileError` s caused by the
    ``OSError``: raised as ``OSError`` inside an exchange they would read as the connection's
    ("cannot reach ComfyUI", retried by running the job again)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: Any = None

    def __enter__(self) -> _LocalFile:
        self._file = self._local(lambda: open(self._path, "wb"))  # noqa: SIM115 - closed in __exit__
        return self

    def write(self, data: bytes) -> None:
        self._local(lambda: self._file.write(data))

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self._local(self._file.close)
        else:  # the failure in flight says what went wrong
            with contextlib.suppress(OSError):
                self._file.close()

    def _local(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except OSError as exc:
            raise LocalFileError(f"cannot write {self._path}: "
                                 f"{exc.strerror or type(exc).__name__}") from exc


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket under a streamed response (urllib3 keeps it on the connection)."""
    raw = response.raw
    for path in (("_connection", "sock"), ("_fp", "fp", "raw", "_sock")):
        node: Any = raw
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                break
        if isinstance(node, socket.socket):
            return node
    return None


class MessageSocket(Protocol):
    """A WebSocket to ComfyUI for one client id, as :class:`Socket` is one."""

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next decoded message; ``None`` when ``timeout`` passed without one;
        :class:`ServerUnavailableError` when the connection is gone."""
        ...

    def close(self) -> None:
        ...


class ComfyTransport(Protocol):
    """What :class:`~ltx2sdk.backends.comfyui.client.ComfyClient` needs of the wire: one
    method per route of ComfyUI's server, and its WebSocket.

    :class:`HttpTransport` is the real one; a test passes a scripted one (no socket). Each
    method ends by its ``timeout`` (default the transport's own) and ``deadline`` (a
    :func:`time.monotonic` instant), and raises only :mod:`ltx2sdk.errors` exceptions: past
    the deadline :class:`JobTimeoutError`, a server that cannot be reached (or a request past
    its own timeout) :class:`ServerUnavailableError`, an answer of the wrong status or shape
    :class:`ServerResponseError`.
    """

    def system_stats(self, *, timeout: float | None = None,
                     deadline: float | None = None) -> dict[str, Any]:
        """``GET /system_stats``."""
        ...

    def object_info(self, *, timeout: float | None = None,
                    deadline: float | None = None) -> dict[str, Any]:
        """``GET /object_info``."""
        ...

    def post_prompt(self, body: Mapping[str, Any], *,
                    deadline: float | None = None) -> dict[str, Any]:
        """``POST /prompt``; a refusal is :class:`~ltx2sdk.errors.PromptRejectedError`."""
        ...

    def history(self, prompt_id: str, *, timeout: float | None = None,
                deadline: float | None = None) -> dict[str, Any]:
        """``GET /history/{prompt_id}``: the whole answer (the entry is under the id)."""
        ...

    def queue(self, *, timeout: float | None = None,
              deadline: float | None = None) -> dict[str, Any]:
        """``GET /queue``."""
        ...

    def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        """``POST /interrupt`` for ``prompt_id`` (whatever the server answers)."""
        ...

    def delete_queued(self, prompt_ids: Sequence[str], *,
                      timeout: float | None = None) -> None:
        """``POST /queue`` deleting ``prompt_ids`` (whatever the server answers)."""
        ...

    def upload_image(self, data: bytes, filename: str, *, overwrite: bool = False,
                     subfolder: str = "", kind: str = "input",
                     deadline: float | None = None) -> dict[str, Any]:
        """``POST /upload/image``: the server's ``{"name", "subfolder", "type"}``."""
        ...

    def download(self, params: Mapping[str, str], dest: Path,
                 on_chunk: Callable[[int], None] | None = None, *,
                 deadline: float | None = None, timeout: float | None = None) -> int:
        """``GET /view`` streamed into ``dest`` (nothing left under that name when it
        fails); the size."""
        ...

    def view_exists(self, params: Mapping[str, str], *,
                    deadline: float | None = None) -> bool | None:
        """Whether ``GET /view`` has the file (``None``: the answer says neither)."""
        ...

    def view_size(self, params: Mapping[str, str], *,
                  deadline: float | None = None) -> int | None:
        """The size of the file ``GET /view`` has (``None``: none, or not said)."""
        ...

    def open_socket(self, client_id: str, *, connect_timeout: float) -> MessageSocket:
        """The WebSocket (``/ws``) for ``client_id``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class HttpTransport:
    """HTTP to one ComfyUI server (and its WebSocket): a :class:`ComfyTransport`. ``timeout``
    bounds each request (the whole exchange, from its first byte sent).

    ``session``: the requests session to use (default a new one, whose connections are
    registered to each exchange's deadline before the answer's head is read; a session
    given is used as it is, its connections watched from the answer's head on).
    """

    def __init__(self, base_url: str, *, timeout: float = 30.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            for scheme in ("http://", "https://"):
                session.mount(scheme, DeadlineAdapter())
        self.session = session

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @contextlib.contextmanager
    def _open(self, method: str, path: str, *, timeout: float | None, deadline: float | None,
              **kwargs: Any) -> Iterator[tuple[requests.Response, Deadline]]:
        """A streamed response whose every read ends by the exchange's deadline (its socket
        is shut down then, whatever the server drips), its head included."""
        url = self.url(path)
        bound = _exchange_deadline(timeout or self.timeout, deadline)
        with bound.armed():
            try:
                # ComfyUI never redirects: the server is trusted, where it points is not (a
                # /view answering 302 to a metadata address must not be fetched)
                response = self.session.request(method, url, timeout=bound.left(floor=0.01),
                                                stream=True, allow_redirects=False, **kwargs)
            except requests.RequestException as exc:
                if bound.fired or isinstance(exc, requests.Timeout):
                    raise _expired_error(bound, f"{method} {path}") from _timed_out(bound, exc)
                raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
            if response.is_redirect:
                response.close()
                location = one_line(response.headers.get("Location", ""), limit=200)
                raise ServerResponseError(
                    f"{method} {path} answered HTTP {response.status_code}, a redirect to "
                    f"{location} (not followed)", status=response.status_code)
            sock = _socket_of(response)
            if sock is not None:
                bound.watch(sock)
            try:
                yield response, bound
            except (requests.RequestException, OSError) as exc:
                if bound.fired or isinstance(exc, requests.Timeout):
                    raise _expired_error(bound, f"{method} {path}") from _timed_out(bound, exc)
                raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
            finally:
                if sock is not None:
                    bound.unwatch(sock)
                response.close()

    def exchange(self, method: str, path: str, *, timeout: float | None = None,
                 deadline: float | None = None, max_bytes: int = MAX_ANSWER_BYTES,
                 **kwargs: Any) -> Answer:
        """Send one request and read its whole answer (at most ``max_bytes``)."""
        with self._open(method, path, timeout=timeout, deadline=deadline, **kwargs) as (
                response, bound):
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise ServerResponseError(f"{method} {path} answered more than "
                                              f"{max_bytes} bytes", status=response.status_code)
            if bound.fired:
                raise _expired_error(bound, f"{method} {path}")
            return Answer(method, path, response.status_code, response.headers, bytes(body))

    def get_json(self, path: str, *, timeout: float | None = None,
                 deadline: float | None = None) -> Any:
        return self.exchange("GET", path, timeout=timeout, deadline=deadline).json()

    def get_object(self, path: str, *, timeout: float | None = None,
                   deadline: float | None = None) -> dict[str, Any]:
        """``GET path``, whose answer must be a JSON object."""
        return self.exchange("GET", path, timeout=timeout, deadline=deadline).json_object()

    def post_json(self, path: str, body: Mapping[str, Any] | None = None, *,
                  timeout: float | None = None, deadline: float | None = None) -> Answer:
        return self.exchange("POST", path, json=body if body is not None else {},
                             timeout=timeout, deadline=deadline)

    def post_prompt(self, body: Mapping[str, Any], *,
                    deadline: float | None = None) -> dict[str, Any]:
        """``POST /prompt``; a 400 becomes :class:`PromptRejectedError` with each node error."""
        answer = self.post_json("/prompt", body, deadline=deadline)
        if answer.status == 400:
            raise rejection_from_body(answer.json(accept=(400,)))
        return answer.json_object()

    def upload_image(self, data: bytes, filename: str, *, overwrite: bool = False,
                     subfolder: str = "", kind: str = "input",
                     deadline: float | None = None) -> dict[str, Any]:
        """``POST /upload/image``: the server's ``{"name", "subfolder", "type"}``."""
        form = {"overwrite": "true" if overwrite else "false", "type": kind}
        if subfolder:
            form["subfolder"] = subfolder
        answer = self.exchange("POST", "/upload/image", files={"image": (filename, data)},
                               data=form, deadline=deadline)
        if answer.status == 413:
            raise UploadError(f"ComfyUI refused the upload of {filename} ({len(data)} bytes): "
                              f"{answer.text.strip()[:200] or 'request body too large'}")
        if answer.status != 200:
            raise UploadError(f"ComfyUI refused the upload of {filename}: HTTP "
                              f"{answer.status} {answer.text.strip()[:200]}")
        result = answer.json_object()
        if not isinstance(result.get("name"), str) or not result["name"]:
            raise ServerResponseError(f"POST /upload/image answered without a file name: "
                                      f"{answer.text.strip()[:200]!r}")
        return result

    def download(self, params: Mapping[str, str], dest: Path,
                 on_chunk: Callable[[int], None] | None = None, *,
                 deadline: float | None = None, timeout: float | None = None) -> int:
        """Stream ``GET /view`` into ``dest`` (never whole in memory); returns the size.

        The file is written next to ``dest`` (under a new name of its own) and renamed when
        complete, so a failed download never leaves a file under the final name. The size must
        be the Content-Length the server announced, when it announced one.
        """
        path = "/view?" + urlencode(params)
        partial = partial_file(dest)
        try:
            # a local write failure is the disk's, not the connection's (see _LocalFile)
            with _LocalFile(partial) as out, self._open(
                    "GET", path, timeout=timeout, deadline=deadline) as (response, bound):
                if response.status_code != 200:
                    raise ServerResponseError(
                        f"GET {path} answered HTTP {response.status_code}",
                        status=response.status_code, body=response.text[:500])
                expected = _content_length(response, path)
                size = 0
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    out.write(chunk)
                    size += len(chunk)
                    if on_chunk:
                        on_chunk(len(chunk))
                if bound.fired:
                    raise _expired_error(bound, f"GET {path}")
                if expected is not None and expected != size:
                    raise ServerResponseError(
                        f"GET {path} ended after {size} of the {expected} bytes announced")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, dest)
        return size

    def view_exists(self, params: Mapping[str, str], *,
                    deadline: float | None = None) -> bool | None:
        """Whether ``GET /view`` has the file: ``True`` (200), ``False`` (404), ``None``
        when the answer says neither. Only the headers are read."""
        path = "/view?" + urlencode(params)
        with self._open("GET", path, timeout=None, deadline=deadline) as (response, _bound):
            status = response.status_code
        return True if status == 200 else False if status == 404 else None

    def view_size(self, params: Mapping[str, str], *,
                  deadline: float | None = None) -> int | None:
        """The size of the file ``GET /view`` has, from a 200's ``Content-Length``; ``None``
        when it has none (404) or does not say. Only the headers are read."""
        path = "/view?" + urlencode(params)
        with self._open("GET", path, timeout=None, deadline=deadline) as (response, _bound):
            status, length = response.status_code, response.headers.get("Content-Length", "")
        return int(length) if status == 200 and length.isdigit() else None

    # --- one method per route -------------------------------------------------------------

    def system_stats(self, *, timeout: float | None = None,
                     deadline: float | None = None) -> dict[str, Any]:
        return self.get_object("/system_stats", timeout=timeout, deadline=deadline)

    def object_info(self, *, timeout: float | None = None,
                    deadline: float | None = None) -> dict[str, Any]:
        return self.get_object("/object_info", timeout=timeout, deadline=deadline)

    def history(self, prompt_id: str, *, timeout: float | None = None,
                deadline: float | None = None) -> dict[str, Any]:
        return self.get_object(f"/history/{prompt_id}", timeout=timeout, deadline=deadline)

    def queue(self, *, timeout: float | None = None,
              deadline: float | None = None) -> dict[str, Any]:
        return self.get_object("/queue", timeout=timeout, deadline=deadline)

    def interrupt(self, prompt_id: str, *, timeout: float | None = None) -> None:
        self.post_json("/interrupt", {"prompt_id": prompt_id}, timeout=timeout)

    def delete_queued(self, prompt_ids: Sequence[str], *,
                      timeout: float | None = None) -> None:
        self.post_json("/queue", {"delete": list(prompt_ids)}, timeout=timeout)

    def open_socket(self, client_id: str, *, connect_timeout: float) -> Socket:
        return Socket(self.ws_url(client_id), connect_timeout=connect_timeout,
                      header=basic_auth(self.base_url))  # requests sends them itself

    def close(self) -> None:
        self.session.close()

    def ws_url(self, client_id: str) -> str:
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path + "/ws",
                           urlencode({"clientId": client_id}), ""))


def _content_length(response: requests.Response, path: str) -> int | None:
    value = response.headers.get("Content-Length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise ServerResponseError(f"GET {path} announced an invalid Content-Length {value!r}")
    return int(value)


MAX_MESSAGE_BYTES = 8 << 20
"""The most one WebSocket message (a frame, or the frames of one fragmented message) may
hold. ComfyUI's JSON messages are a few KB (an ``executed`` message lists a node's files)
and its binary frames are preview images (JPEG or PNG of a few hundred KB at preview sizes):
8 MiB is ample for both, and a longer message is a broken stream, never memory."""


class _BoundedFrames(websocket.frame_buffer):
    """websocket-client's frame reader, refusing a frame longer than
    :data:`MAX_MESSAGE_BYTES` at its header, before any of its payload is read."""

    def recv_length(self) -> None:
        super().recv_length()
        if self.length is not None and self.length > MAX_MESSAGE_BYTES:
            raise websocket.WebSocketPayloadException(
                f"a frame of {byte_size(self.length)}, over the "
                f"{byte_size(MAX_MESSAGE_BYTES)} a ComfyUI message may hold")


class _BoundedMessages(websocket.continuous_frame):
    """websocket-client's joining of a fragmented message, refusing one that grows past
    :data:`MAX_MESSAGE_BYTES` (each frame within the bound, but without end)."""

    def add(self, frame: websocket.ABNF) -> None:
        held = len(self.cont_data[1]) if self.cont_data else 0
        if held + len(frame.data) > MAX_MESSAGE_BYTES:
            raise websocket.WebSocketPayloadException(
                f"a fragmented message over the {byte_size(MAX_MESSAGE_BYTES)} a ComfyUI "
                "message may hold")
        super().add(frame)


class _BoundedWebSocket(websocket.WebSocket):
    """A websocket-client WebSocket whose messages are bounded (:data:`MAX_MESSAGE_BYTES`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        frames = self.frame_buffer
        self.frame_buffer = _BoundedFrames(frames.recv, frames.skip_utf8_validation)
        joined = self.cont_frame
        self.cont_frame = _BoundedMessages(joined.fire_cont_frame, joined.skip_utf8_validation)


class Socket:
    """One WebSocket to ComfyUI for ``client_id``.

    :meth:`receive` returns a decoded text message, ``None`` when ``timeout``
    passed without one, and raises :class:`ServerUnavailableError` when the
    connection is gone. Binary frames (previews, progress text) are skipped. No
    receive outlives its timeout by more than a second, and no message holds more than
    :data:`MAX_MESSAGE_BYTES`, whatever the server sends (more is a dropped connection).
    """

    GRACE = 1.0  # a frame being read when the time is up gets this long to finish

    def __init__(self, url: str, *, connect_timeout: float,
                 header: Mapping[str, str] | None = None) -> None:
        try:
            self._ws = websocket.create_connection(url, timeout=connect_timeout,
                                                   header=dict(header or {}),
                                                   enable_multithread=True,
                                                   class_=_BoundedWebSocket,
                                                   redirect_limit=0)  # as HTTP: not followed
        except (OSError, websocket.WebSocketException) as exc:
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc

    def receive(self, timeout: float) -> dict[str, Any] | None:
        end = time.monotonic() + max(timeout, 0.001)
        # a frame that drips in a byte at a time would hold a read open indefinitely: the
        # socket is shut down when the time (and the grace) is up
        with Deadline(end + self.GRACE).armed() as guard:
            if isinstance(self._ws.sock, socket.socket):
                guard.watch(self._ws.sock)
            return self._receive_until(end)

    def _receive_until(self, end: float) -> dict[str, Any] | None:
        while True:
            self._ws.settimeout(max(end - time.monotonic(), 0.001))
            try:
                opcode, payload = self._ws.recv_data()
            except websocket.WebSocketTimeoutException:
                return None
            except (OSError, websocket.WebSocketException, ValueError) as exc:
                # shut, not closed: a closing handshake would read on, into the rest of a
                # frame that is too long
                self._ws.shutdown()  # type: ignore[no-untyped-call]
                raise ServerUnavailableError(f"the WebSocket to ComfyUI closed: {exc}") from exc
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ServerUnavailableError("the WebSocket to ComfyUI closed")
            if opcode == websocket.ABNF.OPCODE_TEXT:
                try:
                    message = json.loads(payload)
                except ValueError:
                    message = None
                if isinstance(message, dict):
                    return message
            if time.monotonic() >= end:  # a stream of frames that are not messages
                return None

    CLOSE_WAIT = 0.25
    """Seconds :meth:`close` waits for the server's answer to its close frame: one that
    answers does within them; a hung one never would, and a stop must not wait for it."""

    def close(self) -> None:
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self._ws.close(timeout=self.CLOSE_WAIT)
