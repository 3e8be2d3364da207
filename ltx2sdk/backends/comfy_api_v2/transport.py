"""The Comfy API v2 backend's HTTP transport: httpx's, bounded by the current deadline.

:class:`DeadlineTransport` wraps any ``httpx.BaseTransport`` (httpx's own ``HTTPTransport`` by
default; a test passes an ``httpx.MockTransport``). Each request made while a
:class:`ltx2sdk.deadline.Deadline` is armed on its thread has its timeouts capped by what is
left, and its connection's socket registered to the deadline until its body is closed, so a
body that drips a byte at a time cannot outlive it. A request made after the deadline passed
is not sent. Outside an armed deadline, requests go through unchanged.

Nothing here knows the v2 API's routes or errors: comfy-sdk's transport (``comfy_low``) sends
its requests through this one, and :mod:`.backend` arms the deadlines.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx

from ltx2sdk.deadline import Deadline, current

__all__ = ["DeadlineTransport"]


class DeadlineTransport(httpx.BaseTransport):
    """``inner`` (default ``httpx.HTTPTransport()``), each request bounded by the deadline
    armed around it (see the module)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
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
