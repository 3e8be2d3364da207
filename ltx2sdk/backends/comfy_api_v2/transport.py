"""The Comfy API v2 backend's HTTP transport: httpx's, bounded by the current deadline.

:class:`DeadlineTransport` wraps any ``httpx.BaseTransport`` (httpx's own ``HTTPTransport`` by
default; a test passes an ``httpx.MockTransport``). Each request made while a
:class:`ltx2sdk.deadline.Deadline` is armed on its thread has its timeouts capped by what is
left, and its connection's socket registered to the deadline from the first byte sent until
its body is closed, so neither a head nor a body that drips a byte at a time can outlive it
(httpx's own transport gets a network backend whose connections register their socket to the
current deadline on each read and write). A request made after the deadline passed
is not sent. Outside an armed deadline, requests go through unchanged. An event stream (a
request that accepts ``text/event-stream``) holds at most :data:`MAX_EVENT_BYTES` per event:
a line without end is a dropped stream, never memory (httpx's ``iter_lines`` and comfy-sdk's
SSE decoder would hold it whole).

Nothing here knows the v2 API's routes or errors: comfy-sdk's transport (``comfy_low``) sends
its requests through this one, and :mod:`.backend` arms the deadlines.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

from ltx2sdk.deadline import Deadline, current, watch_current
from ltx2sdk.media.safe_fetch import address_refusal

__all__ = ["MAX_ERROR_BODY_BYTES", "MAX_EVENT_BYTES", "DeadlineTransport",
           "watching_http_transport"]

MAX_EVENT_BYTES = 4 << 20
"""The most one server-sent event (its lines up to the blank line ending it) may hold. A v2
job's events are small JSON objects (a status, a progress, a node's outputs: KB); 4 MiB
leaves room for any of them, and more is a broken stream (the job is followed by polling
meanwhile, as when the stream drops)."""
MAX_ERROR_BODY_BYTES = 64 << 10
"""What is read of an error answer's body (HTTP 4xx/5xx): its message and details, a few KB;
the rest of a larger one is not read (comfy-sdk would hold it whole in memory)."""
_LINE_END = re.compile(rb"\r\n|\r|\n")  # SSE's three line ends


class DeadlineTransport(httpx.BaseTransport):
    """``inner`` (default ``httpx.HTTPTransport()``), each request bounded by the deadline
    armed around it (see the module)."""

    def __init__(self, inner: httpx.BaseTransport | None = None, *,
                 server_host: str | None = None) -> None:
        self._inner = inner if inner is not None else watching_http_transport(server_host)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._bounded_by_deadline(request)
        if response.status_code >= 400:  # comfy-sdk reads an error's body whole: its words only
            assert isinstance(response.stream, httpx.SyncByteStream)
            return httpx.Response(status_code=response.status_code, headers=response.headers,
                                  stream=_Truncated(response.stream, MAX_ERROR_BODY_BYTES),
                                  extensions=response.extensions)
        if "text/event-stream" not in request.headers.get("accept", ""):
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_BoundedEvents(response.stream, request),
                              extensions=response.extensions)

    def _bounded_by_deadline(self, request: httpx.Request) -> httpx.Response:
        deadline = current()
        if deadline is None:
            return self._inner.handle_request(request)
        left = deadline.left()
        if left <= 0 or deadline.fired:
            raise httpx.TimeoutException("the time for this request is up", request=request)
        limits = dict(request.extensions.get("timeout") or {})
        request.extensions = {**request.extensions, "timeout": {
            key: left if limits.get(key) is None else min(float(limits[key]), left)
            for key in ("connect", "read", "write", "pool")}}
        response = self._inner.handle_request(request)
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return response  # no socket to watch (an in-memory transport)
        deadline.watch(sock)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_WatchedStream(response.stream, deadline, sock),
                              extensions=response.extensions)

    def close(self) -> None:
        self._inner.close()


class _WatchedStream(httpx.SyncByteStream):
    """A response body whose socket stays registered to the deadline until it is closed."""

    def __init__(self, inner: httpx.SyncByteStream, deadline: Deadline,
                 sock: socket.socket) -> None:
        self._inner, self._deadline, self._sock = inner, deadline, sock

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._deadline.unwatch(self._sock)


class _Truncated(httpx.SyncByteStream):
    """The first ``limit`` bytes of a body; the rest is never read (the connection is closed
    with the stream, not reused)."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    def __iter__(self) -> Iterator[bytes]:
        left = self._limit
        for chunk in self._inner:
            yield chunk[:left]
            left -= len(chunk)
            if left <= 0:
                return

    def close(self) -> None:
        self._inner.close()


class _BoundedEvents(httpx.SyncByteStream):
    """An event stream's body, ended with :class:`httpx.ReadError` (a dropped stream) when
    one event grows past :data:`MAX_EVENT_BYTES`: counted on the bytes, before httpx joins
    them into lines."""

    def __init__(self, inner: httpx.SyncByteStream, request: httpx.Request) -> None:
        self._inner, self._request = inner, request

    def __iter__(self) -> Iterator[bytes]:
        line = event = 0  # bytes of the line being read; of the event's earlier lines
        after_cr = False  # the last chunk ended with \r: a \n first in this one is its pair
        for chunk in self._inner:
            start = 1 if after_cr and chunk[:1] == b"\n" else 0
            for end in _LINE_END.finditer(chunk, start):
                line += end.start() - start
                event = 0 if line == 0 else event + line  # a blank line ends the event
                line, start = 0, end.end()
            line += len(chunk) - start
            after_cr = chunk.endswith(b"\r")
            if event + line > MAX_EVENT_BYTES:
                raise httpx.ReadError(f"an event of the stream passed {MAX_EVENT_BYTES} "
                                      "bytes: the stream is dropped", request=self._request)
            yield chunk

    def close(self) -> None:
        self._inner.close()


def watching_http_transport(server_host: str | None = None) -> httpx.HTTPTransport:
    """httpx's transport, each of whose connections registers its socket to the deadline
    armed on the calling thread whenever it reads or writes: the request's head and the
    answer's head are bounded as its body is. With ``server_host`` (the configured server's
    host, which may be private: it is trusted), a connection to any other host (where a
    redirect points) must reach a public address: checked on the connected socket's peer,
    so a name that resolves one way when the redirect is checked and another when it is
    followed (DNS rebinding) is refused before a byte is sent.

    httpx does not take a network backend; its connection pool (httpcore's) does, and is
    reached through its one attribute for it. Where a later httpx or httpcore is built
    otherwise, the transport is httpx's as it is (bounded from the answer's head on); the
    head-drip test in ``tests/backends/test_v2.py`` says which.
    """
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _WatchingBackend(  # type: ignore[union-attr]
            backend, server_host)
    return transport


def _register(stream: httpcore.NetworkStream) -> None:
    # unwatched when the answer's body closes (_WatchedStream)
    watch_current(stream.get_extra_info("socket"))


class _WatchingBackend(httpcore.NetworkBackend):
    """``inner``'s connections, each a :class:`_WatchedNetworkStream`."""

    def __init__(self, inner: httpcore.NetworkBackend, server_host: str | None) -> None:
        self._inner = inner
        self._server_host = server_host.lower() if server_host is not None else None

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, timeout=timeout,
                                         local_address=local_address,
                                         socket_options=socket_options)
        if self._server_host is not None and host.lower() != self._server_host:
            peer = stream.get_extra_info("server_addr")
            address = str(peer[0]) if isinstance(peer, tuple) else "an unknown address"
            refusal = address_refusal(address) if isinstance(peer, tuple) else "unchecked"
            if refusal is not None:
                stream.close()
                raise httpcore.ConnectError(
                    f"{host} is at {address} ({refusal}), not a public address: not "
                    "connected (only the configured server may be private)")
        return _WatchedNetworkStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _WatchedNetworkStream(self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _WatchedNetworkStream(httpcore.NetworkStream):
    """A connection whose socket is registered to the current deadline before each read and
    write (a set insertion: cheap), so a reused connection is bounded as a new one is."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        _register(self._inner)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _register(self._inner)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _WatchedNetworkStream(self._inner.start_tls(ssl_context, server_hostname,
                                                           timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
