"""The wire: ComfyUI's HTTP routes (requests) and its WebSocket (websocket-client).

This layer knows URLs, status codes and frame formats, and turns every failure into a
typed :mod:`ltx2sdk.errors` exception (what the answers mean is read by
:mod:`ltx2sdk.backends.comfyui.wire`). It knows nothing of prompts' life cycles;
:mod:`ltx2sdk.backends.comfyui.client` builds those on top of it.

Every exchange is bounded twice: by ``timeout`` (one request) and, when given, by a
``deadline`` (a :func:`time.monotonic` instant, the job's). The bound covers the whole
exchange, a body that drips a byte at a time included: a watchdog shuts the connection
down when the time is up. Past the deadline the error is :class:`JobTimeoutError`; past
the request timeout it is :class:`ServerUnavailableError`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import websocket

from ltx2sdk.backends.comfyui.wire import rejection_from_body
from ltx2sdk.backends.outputs import DOWNLOAD_CHUNK
from ltx2sdk.backends.server_urls import connection_failure
from ltx2sdk.errors import (
    JobTimeoutError,
    ServerResponseError,
    ServerUnavailableError,
    UploadError,
)

MAX_ANSWER_BYTES = 256 << 20  # a JSON answer larger than this is not ComfyUI's


def _describe_connection_error(url: str, exc: Exception) -> str:
    # the reason in plain words, not the HTTP library's class names and reprs
    return f"cannot reach ComfyUI at {url}: {connection_failure(exc)[1]}"


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


class _Bound:
    """The time one exchange may take: the request timeout, capped by the job deadline."""

    def __init__(self, timeout: float, deadline: float | None) -> None:
        now = time.monotonic()
        self.deadline = deadline
        self.end = now + timeout if deadline is None else min(now + timeout, deadline)
        if self.end <= now:
            raise JobTimeoutError("the deadline passed before the request could be sent")

    @property
    def left(self) -> float:
        return max(0.01, self.end - time.monotonic())

    def expired_error(self, what: str) -> Exception:
        """The error for running out of time: the job's deadline, or this request's."""
        if self.deadline is not None and time.monotonic() >= self.deadline - 0.01:
            return JobTimeoutError(f"{what} did not finish before the job's deadline")
        return ServerUnavailableError(f"{what} did not finish within its time limit")


class _Watchdog:
    """Shuts a response's connection down at ``end``, so that no read outlives it."""

    def __init__(self, response: requests.Response, end: float) -> None:
        self.fired = False
        self._sock = _socket_of(response)
        self._timer = threading.Timer(max(0.0, end - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


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


class HttpTransport:
    """HTTP to one ComfyUI server. ``timeout`` bounds each request (the whole exchange)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @contextlib.contextmanager
    def _open(self, method: str, path: str, *, timeout: float | None, deadline: float | None,
              **kwargs: Any) -> Iterator[tuple[requests.Response, _Bound, _Watchdog]]:
        """A streamed response whose every read ends by the exchange's bound."""
        url = self.url(path)
        bound = _Bound(timeout or self.timeout, deadline)
        try:
            response = self.session.request(method, url, timeout=bound.left, stream=True,
                                            **kwargs)
        except requests.Timeout as exc:
            raise bound.expired_error(f"{method} {path}") from exc
        except requests.RequestException as exc:
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
        watchdog = _Watchdog(response, bound.end)
        try:
            yield response, bound, watchdog
        except (requests.RequestException, OSError) as exc:
            if watchdog.fired or isinstance(exc, requests.Timeout):
                raise bound.expired_error(f"{method} {path}") from exc
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
        finally:
            watchdog.cancel()
            response.close()

    def exchange(self, method: str, path: str, *, timeout: float | None = None,
                 deadline: float | None = None, max_bytes: int = MAX_ANSWER_BYTES,
                 **kwargs: Any) -> Answer:
        """Send one request and read its whole answer (at most ``max_bytes``)."""
        with self._open(method, path, timeout=timeout, deadline=deadline, **kwargs) as (
                response, bound, watchdog):
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise ServerResponseError(f"{method} {path} answered more than "
                                              f"{max_bytes} bytes", status=response.status_code)
            if watchdog.fired:
                raise bound.expired_error(f"{method} {path}")
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

        The file is written next to ``dest`` and renamed when complete, so a failed
        download never leaves a file under the final name. The size must be the
        Content-Length the server announced, when it announced one.
        """
        path = "/view?" + urlencode(params)
        partial = dest.with_name(dest.name + ".part")
        try:
            with self._open("GET", path, timeout=timeout, deadline=deadline) as (
                    response, bound, watchdog):
                if response.status_code != 200:
                    raise ServerResponseError(
                        f"GET {path} answered HTTP {response.status_code}",
                        status=response.status_code, body=response.text[:500])
                expected = _content_length(response, path)
                size = 0
                with open(partial, "wb") as out:
                    for chunk in response.iter_content(DOWNLOAD_CHUNK):
                        out.write(chunk)
                        size += len(chunk)
                        if on_chunk:
                            on_chunk(len(chunk))
                if watchdog.fired:
                    raise bound.expired_error(f"GET {path}")
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
        with self._open("GET", path, timeout=None, deadline=deadline) as (response, _, _w):
            status = response.status_code
        return True if status == 200 else False if status == 404 else None

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


class _ReadGuard:
    """One thread per WebSocket that shuts its socket down when a read outlives its end (a
    frame that drips in a byte at a time would otherwise hold a read open indefinitely)."""

    def __init__(self, sock: socket.socket | None) -> None:
        self._sock = sock
        self._cond = threading.Condition()
        self._end: float | None = None
        self._closed = False
        threading.Thread(target=self._watch, name="ltx2sdk-ws-guard", daemon=True).start()

    def arm(self, end: float) -> None:
        with self._cond:
            self._end = end
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._end = None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                if self._end is None:
                    self._cond.wait()
                    continue
                left = self._end - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._end = None
                if self._sock is not None:
                    with contextlib.suppress(OSError):
                        self._sock.shutdown(socket.SHUT_RDWR)


class Socket:
    """One WebSocket to ComfyUI for ``client_id``.

    :meth:`receive` returns a decoded text message, ``None`` when ``timeout``
    passed without one, and raises :class:`ServerUnavailableError` when the
    connection is gone. Binary frames (previews, progress text) are skipped. No
    receive outlives its timeout by more than a second, whatever the server sends.
    """

    GRACE = 1.0  # a frame being read when the time is up gets this long to finish

    def __init__(self, url: str, *, connect_timeout: float) -> None:
        try:
            self._ws = websocket.create_connection(url, timeout=connect_timeout,
                                                   enable_multithread=True)
        except (OSError, websocket.WebSocketException) as exc:
            raise ServerUnavailableError(_describe_connection_error(url, exc)) from exc
        self._guard = _ReadGuard(self._ws.sock)

    def receive(self, timeout: float) -> dict[str, Any] | None:
        end = time.monotonic() + max(timeout, 0.001)
        self._guard.arm(end + self.GRACE)
        try:
            return self._receive_until(end)
        finally:
            self._guard.disarm()

    def _receive_until(self, end: float) -> dict[str, Any] | None:
        while True:
            self._ws.settimeout(max(end - time.monotonic(), 0.001))
            try:
                opcode, payload = self._ws.recv_data()
            except websocket.WebSocketTimeoutException:
                return None
            except (OSError, websocket.WebSocketException, ValueError) as exc:
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

    def close(self) -> None:
        self._guard.close()
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self._ws.close(timeout=1)
