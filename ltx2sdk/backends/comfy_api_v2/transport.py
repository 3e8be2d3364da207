"""The Comfy API v2 backend's HTTP transport: httpx's, bounded by the current deadline.

:class:`DeadlineTransport` wraps any ``httpx.BaseTransport`` (httpx's own ``HTTPTransport`` by
default; a test passes an ``httpx.MockTransport``). Each request made while a
:class:`ltx2sdk.deadline.Deadline` is armed on its thread has its timeouts capped by what is
left, and its connection's socket registered to the deadline until its body is closed, so a
body that drips a byte at a time cannot outlive it. A request made after the deadline passed
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
from collections.abc import Iterator

import httpx

from ltx2sdk.deadline import Deadline, current

__all__ = ["MAX_EVENT_BYTES", "DeadlineTransport"]

MAX_EVENT_BYTES = 4 << 20
"""The most one server-sent event (its lines up to the blank line ending it) may hold. A v2
job's events are small JSON objects (a status, a progress, a node's outputs: KB); 4 MiB
leaves room for any of them, and more is a broken stream (the job is followed by polling
meanwhile, as when the stream drops)."""
_LINE_END = re.compile(rb"\r\n|\r|\n")  # SSE's three line ends


class DeadlineTransport(httpx.BaseTransport):
    """``inner`` (default ``httpx.HTTPTransport()``), each request bounded by the deadline
    armed around it (see the module)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._bounded_by_deadline(request)
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
