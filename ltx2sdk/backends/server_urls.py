"""ComfyUI server URLs as people type them, and why a connection to one failed.

:func:`normalize_server_url` accepts what a user types for a server (``127.0.0.1:8188``,
``gpu-box:8188/``, ``http://host:8188``, ``https://proxy.example/comfy``) and returns the
URL the client needs, or raises :class:`ServerUrlError` with one line saying what is wrong.

:func:`connection_failure` sorts a failed request to a server into what it means for a
caller waiting for that server (nothing there, there but not answering, an unusable URL)
with a short reason in plain words, without the HTTP library's class names or reprs.

:func:`cancellable` runs one attempt of a wait for a server so that a cancel ends the wait
within :data:`CANCEL_POLL` seconds, whatever the attempt's own time limit.

Only the standard library is imported here (at import time).
"""

from __future__ import annotations

import base64
import errno
import re
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Literal, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from ltx2sdk.errors import JobCancelledError, ServerUnreachableError, ServerUrlError

__all__ = ["ATTEMPT_LIMIT", "CANCEL_POLL", "DEFAULT_READY_TIMEOUT", "REFUSED_GRACE",
           "UNKNOWN_HOST", "FailureKind", "attempt_timeout", "basic_auth", "cancellable",
           "connection_failure", "normalize_server_url", "not_reached", "shown_url",
           "without_credentials"]

T = TypeVar("T")

REFUSED_GRACE = 1.0
"""Seconds a server nobody answers at (connection refused, no route) is tried again before
the caller hears so, unless it asked to wait longer (``ready_timeout``, ``--ready-timeout``):
a server that should be up fails fast, the whole call within 2 s. A host name that does not
resolve is not tried again at all: waiting does not make a mistyped name resolve (a name
server that did not answer, a temporary failure, is retried like a refused connection)."""
DEFAULT_READY_TIMEOUT = 30.0
"""Seconds a server that accepts connections but does not answer yet (or a proxy answering
502, 503, 504 for it) is waited for, unless the caller says otherwise."""
CANCEL_POLL = 0.1
"""Seconds between two looks at the cancel signal while a wait for a server is cancellable."""
ATTEMPT_LIMIT = 5.0
"""The most seconds one request of a wait for a server may take (a silent server is asked
again after it, while the wait lasts)."""
UNKNOWN_HOST = "unknown host"
"""The reason :func:`connection_failure` gives for a host name that does not resolve."""

_SCHEMES = ("http", "https")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.~%-]+)$")  # name, IPv4 or [IPv6]
_SCHEME_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# the authority's user information: after "scheme://" (or at the start, as typed without a
# scheme), up to the last "@" before the path, the query or the fragment
_USERINFO = re.compile(r"^(\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?)[^/?#]*@")
# a route of ComfyUI's own at the end of a path: the URL of a request, not of the server
_ROUTE = re.compile(r"(?:/api)?/(?:prompt|ws|system_stats|object_info|history|queue|view|"
                    r"interrupt|upload/image|upload/mask|embeddings|extensions|free)$")

FailureKind = Literal["absent", "unknown_host", "unready", "invalid", "other"]
"""``absent``: nothing listens there (refused, no route, no answer to the connection): a
server that is not started, or is starting. ``unknown_host``: the host name does not
resolve (a typo, or no network). ``unready``: something accepted the connection but did not answer
in time, or a proxy said the server behind it is not up (502, 503, 504). ``invalid``: the
URL cannot be used at all. ``other``: anything else."""


def shown_url(url: str) -> str:
    """``url`` fit to print, log, record or raise: a user name and password in it (basic auth
    to a proxy in front of the server) are shown as ``***`` (``http://***@host:8188``). The
    requests themselves keep using the URL as given."""
    return _USERINFO.sub(r"\1***@", url, count=1)


def without_credentials(url: str) -> tuple[str, str | None]:
    """``url`` without its user information, and that as ``user:password`` (percent-decoded)
    or ``None`` when there is none: for a library that would take ``user:pass@host`` for a
    host name."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)), \
        f"{unquote(user)}:{unquote(password)}"


def basic_auth(url: str) -> dict[str, str]:
    """The ``Authorization`` header the credentials in ``url`` make (``{}`` when it has none),
    for a client that does not send them itself (urllib, a WebSocket)."""
    credentials = without_credentials(url)[1]
    if credentials is None:
        return {}
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii")}


def normalize_server_url(text: str) -> str:
    """The URL of a ComfyUI server as the client needs it: ``http(s)://host[:port][/path]``.

    A missing scheme is added: ``https://`` for port 443, ``http://`` otherwise (ComfyUI
    serves plain HTTP; put ``https://`` in front for a TLS proxy on another port). A
    trailing ``/`` is dropped. A bare port (``8188``), a WebSocket URL, another scheme, a
    missing host, a bad port, spaces, a query or a fragment are :class:`ServerUrlError`, and
    so is a path ending in one of ComfyUI's routes (``http://host:8188/prompt``: the error
    gives the URL without it).
    """
    raw = text.strip()
    shown = shown_url(raw)  # what the errors quote: never a password typed in the URL
    if not raw:
        raise ServerUrlError("the server URL is empty: give http://HOST:PORT, for example "
                             "http://127.0.0.1:8188")
    if any(ch.isspace() for ch in raw):
        raise ServerUrlError(f"the server URL {shown!r} contains spaces")
    if re.fullmatch(r":?\d+", raw):
        raise ServerUrlError(f"{shown!r} is only a port: give the host too, for example "
                             f"http://127.0.0.1:{raw.lstrip(':')}")
    url = raw
    if "://" not in raw:
        prefix = _SCHEME_PREFIX.match(raw)
        if prefix and prefix.group(1).lower() in (*_SCHEMES, "ws", "wss"):
            raise ServerUrlError(f"the server URL {shown!r} is malformed: after "
                                 f"'{prefix.group(1)}:' comes '//', as in http://HOST:PORT")
        url = f"http://{raw}"
    _check_port(url, shown)
    try:
        parts = urlsplit(url)
        port = parts.port  # a ValueError for a port that is not a number in 0..65535
    except ValueError:
        raise ServerUrlError(f"the server URL {shown!r} is malformed: give "
                             f"http://HOST:PORT, for example http://127.0.0.1:8188") from None
    scheme = parts.scheme.lower()
    if scheme in ("ws", "wss"):
        http = "https" if scheme == "wss" else "http"
        raise ServerUrlError(f"{shown!r} is a WebSocket URL: give the server's {http}:// URL "
                             f"({shown_url(f'{http}://{parts.netloc}')}); the client finds "
                             "the socket itself")
    if scheme not in _SCHEMES:
        raise ServerUrlError(f"the server URL {shown!r} has the scheme '{parts.scheme}': "
                             f"ComfyUI is reached over http:// or https://")
    host = parts.netloc.rpartition("@")[2]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") and ":" in host else host
    if not host:
        raise ServerUrlError(f"the server URL {shown!r} has no host: give http://HOST:PORT")
    if not _HOST.match(host):
        raise ServerUrlError(f"the server URL {shown!r} has an invalid host name {host!r}")
    if port == 0:
        raise ServerUrlError(f"the server URL {shown!r} has the port 0 (1-65535)")
    if parts.query or parts.fragment or raw.endswith(("?", "#")):
        raise ServerUrlError(f"the server URL {shown!r} has a query or a fragment: give only "
                             "http://HOST:PORT (and a path, behind a proxy)")
    if "://" not in raw and port == 443:
        scheme = "https"
    path = parts.path.rstrip("/")
    route = _ROUTE.search(path)
    if route is not None:
        server = shown_url(f"{scheme}://{parts.netloc}{path[:route.start()]}")
        raise ServerUrlError(f"the server URL {shown!r} ends in {route.group()}, one of "
                             f"ComfyUI's routes: give the server's URL without it: {server}")
    return f"{scheme}://{parts.netloc}{path}"


def _check_port(url: str, shown: str) -> None:
    """Refuse the port of ``url`` (which has a scheme) unless it is ASCII digits 0-9 for a
    number 1 to 65535, naming it: ``int()``, which ``urlsplit`` uses, reads other scripts'
    digits (``٨١٨٨``), full-width ones, ``_`` and a sign; an unclosed ``[`` is left to the
    parser."""
    netloc = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0].rpartition("@")[2]
    if netloc.startswith("["):
        _, bracket, rest = netloc.partition("]")
        if not bracket or not rest.startswith(":"):
            return  # no port, or a malformed address the parser words
        text = rest[1:]
    elif ":" not in netloc:
        return
    else:
        text = netloc.rpartition(":")[2]
    if not text:  # "127.0.0.1:": not port 80, as urlsplit would have it
        raise ServerUrlError(f"the server URL {shown!r} has an empty port: give it (as in "
                             "http://127.0.0.1:8188) or drop the ':'")
    if not _PORT.fullmatch(text):
        raise ServerUrlError(f"the server URL {shown!r} has the port {text!r}: a port is ASCII "
                             "digits 0-9, 1 to 65535, as in http://127.0.0.1:8188")
    if not 0 < int(text) <= 65535:
        raise ServerUrlError(f"the server URL {shown!r} has the port {int(text)}: a port is "
                             "1 to 65535")


_PORT = re.compile(r"[0-9]{1,5}")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes and contexts, and exceptions held as a ``reason`` or argument
    (how urllib3 nests the socket error inside its own), each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None),
                  *getattr(current, "args", ())]
        todo += [item for item in nested if isinstance(item, BaseException)]


def connection_failure(exc: BaseException) -> tuple[FailureKind, str]:
    """What a failed request to a server means, and why in a few plain words.

    For example ``("absent", "connection refused")``, ``("unknown_host", "unknown
    host")``, ``("unready", "no answer in time")``, ``("invalid", "not an http(s)
    URL")``.
    """
    import http.client

    import requests  # already loaded by whoever made the request

    status = getattr(exc, "status", None)
    if isinstance(status, int) and not isinstance(status, bool):
        if status in (502, 503, 504):
            return "unready", f"HTTP {status}"
        return "other", f"HTTP {status}"
    for item in _chain(exc):
        if isinstance(item, (requests.exceptions.InvalidSchema,
                             requests.exceptions.MissingSchema,
                             requests.exceptions.InvalidURL)):
            return "invalid", "not a usable http(s) URL"
        if isinstance(item, ConnectionRefusedError):
            return "absent", "connection refused"
        if isinstance(item, socket.gaierror):
            if item.errno == socket.EAI_AGAIN:  # the name server did not answer: may pass
                return "absent", "the host name could not be looked up (DNS did not answer)"
            return "unknown_host", UNKNOWN_HOST
        if isinstance(item, requests.exceptions.ConnectTimeout):
            return "absent", "no answer to the connection (a firewall, or a wrong address?)"
        if isinstance(item, OSError) and item.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "absent", "no route to the host"
        if isinstance(item, OSError) and item.errno == errno.ECONNREFUSED:
            return "absent", "connection refused"
    for item in _chain(exc):
        if isinstance(item, (requests.exceptions.Timeout, TimeoutError)):
            return "unready", "no answer in time"
        if isinstance(item, http.client.RemoteDisconnected):
            return "unready", "the server closed the connection without answering"
        if isinstance(item, (ConnectionResetError, ConnectionAbortedError)):
            return "unready", "the connection was reset"
        if isinstance(item, requests.exceptions.SSLError):
            return "other", "TLS failed (an https:// URL for a plain http server?)"
    if "did not finish" in str(exc):  # the transport's own bound on one exchange
        return "unready", "no answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError) or any(
            isinstance(item, requests.exceptions.ConnectionError) for item in _chain(exc)):
        return "other", "the connection failed"
    return "other", "the request failed"


def attempt_timeout(deadline: float, now: float) -> float | None:
    """The time limit of the next request of a wait for a server that ends at ``deadline``
    (monotonic seconds), ``now`` being the time: :data:`ATTEMPT_LIMIT` at most and never
    past the deadline, so that a wait of 2 s gives up after 2 s, not after a last request's
    own limit; ``None`` when no time is left (no request is made then)."""
    left = deadline - now
    return min(ATTEMPT_LIMIT, left) if left > 0 else None


def not_reached(server: str, url: str, kind: FailureKind, reason: str,
                waited: float) -> ServerUnreachableError:
    """The error of a wait for ``server`` (``"ComfyUI"``) at ``url`` (fit to show) that
    nobody answered (``kind`` ``absent`` or ``unknown_host``, as :func:`connection_failure`
    said, for ``waited`` seconds): one line naming the URL and the reason; an unknown host
    says to check the URL, since waiting would not help."""
    if kind == "unknown_host":
        host = urlsplit(url).hostname or url
        return ServerUnreachableError(
            f"cannot reach {server} at {url}: {UNKNOWN_HOST} (the name {host} does not "
            "resolve: check the URL)", url=url, reason=reason)
    return ServerUnreachableError(f"{server} at {url} was not ready within {waited:.3g} s "
                                  f"({reason})", url=url, reason=reason)


def cancellable(attempt: Callable[[], T], cancel: threading.Event | None, what: str) -> T:
    """``attempt()`` (one request of a wait for a server), or a
    :class:`~ltx2sdk.errors.JobCancelledError` ("cancelled while waiting for ``what``") within
    :data:`CANCEL_POLL` seconds of ``cancel`` being set, before or during it.

    Without ``cancel`` the attempt runs on the caller's thread. With one it runs on a thread
    of its own, which a cancel leaves behind: the attempt ends by its own time limit (its
    answer is dropped), while the caller is free at once; so the attempt must be bounded and
    must not change what its caller shares (it returns what it got instead)."""
    if cancel is None:
        return attempt()
    if cancel.is_set():
        raise JobCancelledError(f"cancelled while waiting for {what}")
    done = threading.Event()
    answers: list[T] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            answers.append(attempt())
        except BaseException as exc:  # raised again on the caller's thread
            failures.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="ltx2sdk-ready-attempt", daemon=True).start()
    while not done.wait(CANCEL_POLL):
        if cancel.is_set():
            raise JobCancelledError(f"cancelled while waiting for {what}")
    if failures:
        raise failures[0]
    return answers[0]
