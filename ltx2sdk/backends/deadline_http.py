"""``requests`` sessions whose every exchange ends by the deadline armed around it.

:class:`DeadlineAdapter` never retries (so it never sleeps out a ``Retry-After``: a caller
retries itself, within its deadline) and registers each connection's socket to the
:class:`ltx2sdk.deadline.Deadline` armed around the request as soon as the socket exists (a
reused one: when the request starts), so the request's body, the answer's head and its body
all end when the deadline fires, however slowly a server drips them (``requests``'
timeouts bound each read, not the exchange). The native ComfyUI transport mounts it on its
sessions; :func:`bound_session` mounts it on another library's (the ``runpod`` SDK's, whose
own adapter retries 408 and 429 five times, sleeping out ``Retry-After``).

Import rule: standard library, ``requests``/``urllib3`` and :mod:`ltx2sdk.deadline` only.
"""

from __future__ import annotations

import socket
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection

from ltx2sdk.deadline import watch_current

__all__ = ["DeadlineAdapter", "bound_session"]


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    """Registered to the armed deadline from its socket's creation (a new connection) or its
    request's start (a kept-alive one)."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        watch_current(sock)  # before the TLS handshake and the first byte sent
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_current(self.sock)  # None on a new connection: _new_conn watches it
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    """:class:`_WatchedHTTPConnection` over TLS."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        watch_current(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_current(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """No retries (so no sleeping on ``Retry-After``), connections watched (see the module;
    through an HTTP proxy too; a SOCKS proxy's connections are bounded by the timeouts only)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.PoolManager:
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def bound_session(session: requests.Session) -> None:
    """Mount the bounded adapter on ``session`` for both schemes (see the module)."""
    for scheme in ("http://", "https://"):
        old = session.adapters.get(scheme)
        if old is not None:
            old.close()
        session.mount(scheme, DeadlineAdapter())
