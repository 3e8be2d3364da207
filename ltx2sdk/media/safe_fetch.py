"""A bounded HTTP(S) GET that cannot be steered to a non-public address.

Used for images and audio given by URL (:func:`ltx2sdk.media.images.fetch_image`,
:func:`ltx2sdk.media.audio.fetch_audio`) and, streamed to a file (:func:`fetch_to_file`), for videos
a RunPod worker returns by URL
(:mod:`ltx2sdk.app.batch.runpod_target`), and, for its status alone (:func:`fetch_status`), by
``ltx2 check``'s probe of Comfy's partner API (:mod:`ltx2sdk.backends.comfyui.partner_api`);
the rules:

1. **One parser** (:func:`ltx2sdk.web_urls.parse_url`, the rule the request model applies
   too). :func:`urllib.parse.urlsplit` decides what the URL means, and a strict
   reading of the raw text must agree with it, or the URL is refused. Refused outright:
   schemes other than ``http``/``https``; backslashes, control characters and white space
   anywhere; user info (``@``) in the authority; an empty host; a port that is not
   1-65535; empty host labels, labels over 63 characters, names over 253; IPv6 literals
   :mod:`ipaddress` does not accept (zone ids included); numeric hosts other than a plain
   dotted quad (``127.1``, ``0x7f.0.0.1`` and ``2130706433`` are refused, not guessed at);
   percent-encoded host names; non-ASCII host names that do not IDNA-encode.
2. **Resolved once.** :func:`socket.getaddrinfo` (bounded by the deadline) gives the
   addresses, and *every* one must be public (:func:`address_refusal`); a name with one
   private address among public ones is refused.
3. **Pinned.** The TCP connection goes to an address from that one resolution (no second
   look-up anywhere); the ``Host`` header, TLS SNI and the certificate check keep the name.
4. **Redirects** (at most ``max_redirects``) are followed here, never by a library: each
   hop is parsed, resolved, checked and pinned like the first.
5. **Bounded.** One deadline (:class:`ltx2sdk.deadline.Deadline`) for the whole fetch:
   resolution, connect, TLS handshake, the request, the status line, headers and every read
   of the body (each socket call may wait only for what is left, so a server dripping a
   byte a second is cut off at the deadline, not at a per-read timeout). A size cap on the
   wire: a larger ``Content-Length`` is refused before the body is read, a body growing
   past the cap is cut off.

No proxy from the environment is used (a proxy would resolve the name itself). Whatever
the guard cannot establish (a failed look-up, an address it cannot parse, an answer it
cannot read) is a refusal: :class:`FetchError`, a ``ValueError``; a fetch that could not be
made or finished (a name that does not resolve, no connection, the deadline, an HTTP error, a
body cut short) is a :class:`~ltx2sdk.errors.FetchFailedError`, a kind of it: possibly
transient, where a refusal by rule is met again by a second try.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import math
import re
import socket
import ssl
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urljoin

from ltx2sdk.deadline import Deadline
from ltx2sdk.errors import FetchError, FetchFailedError, LocalFileError
from ltx2sdk.web_urls import IPAddress, Target, parse_url
from ltx2sdk.wording import byte_size

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_T = TypeVar("_T")

DEFAULT_MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "ltx2sdk (image fetch)"

# What ipaddress does not say (or says differently across Python 3.10-3.13); nothing else
# is listed by hand: every other verdict comes from ipaddress' own registry data.
_IETF_PROTOCOL_ASSIGNMENTS = ipaddress.IPv4Network("192.0.0.0/24")  # RFC 6890
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: last 32 bits = IPv4
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local, never global
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 2.5.5.1: deprecated

_LENGTH = re.compile(r"[0-9]+", re.ASCII)


@dataclass(frozen=True)
class Fetched:
    """A successful fetch: the body, its content type and the URL it finally came from."""

    data: bytes
    content_type: str
    url: str


# --- addresses ----------------------------------------------------------------------------


def address_refusal(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public destination, or ``None`` when it is one.

    Refused: everything :mod:`ipaddress` does not call global (private, loopback,
    link-local, shared 100.64.0.0/10, documentation, benchmarking, ...), plus multicast,
    reserved, unspecified, site-local, 192.0.0.0/24, IPv6 with a zone id, IPv4-compatible
    IPv6 (``::a.b.c.d``) and the local-use NAT64 prefix. IPv6 forms that carry an IPv4
    address are judged by it too: IPv4-mapped (``::ffff:a.b.c.d``) and well-known NAT64
    (``64:ff9b::a.b.c.d``) by the IPv4 address they reach; 6to4 (``2002::/16``) and Teredo
    by the outer address and the embedded ones.
    """
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv4Address):
        return _plain_refusal(ip)
    if ip.scope_id:
        return "an address with a zone id"
    mapped = ip.ipv4_mapped
    if mapped is not None:
        reason = _plain_refusal(mapped)
        return f"IPv4-mapped {mapped}: {reason}" if reason else None
    if ip in _NAT64_WELL_KNOWN:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        reason = _plain_refusal(embedded)
        return f"NAT64 of {embedded}: {reason}" if reason else None
    if ip in _NAT64_LOCAL_USE:
        return "local-use NAT64 (64:ff9b:1::/48)"
    if ip in _IPV4_COMPATIBLE and not (ip.is_unspecified or ip.is_loopback):
        return f"IPv4-compatible IPv6 of {ipaddress.IPv4Address(int(ip))} (deprecated)"
    embedded_v4: list[tuple[str, ipaddress.IPv4Address]] = []
    if ip.sixtofour is not None:
        embedded_v4.append(("6to4", ip.sixtofour))
    if ip.teredo is not None:
        server, client = ip.teredo
        embedded_v4 += [("Teredo server", server), ("Teredo client", client)]
    for kind, embedded in embedded_v4:
        reason = _plain_refusal(embedded)
        if reason:
            return f"{kind} {embedded}: {reason}"
    return _plain_refusal(ip)


def _plain_refusal(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _IETF_PROTOCOL_ASSIGNMENTS:
        return "IETF protocol assignments (192.0.0.0/24)"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if ip.is_private:
        return "private or special-purpose"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally reachable"
    return None


# --- URLs ---------------------------------------------------------------------------------


def _redirect_url(base: str, location: str) -> str:
    # header values come as latin-1: send the bytes back through percent-encoding
    try:
        raw = location.encode("latin-1")
    except UnicodeEncodeError:
        raw = location.encode("utf-8", "surrogateescape")
    text = "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw).strip(" \t")
    for char in text:
        if ord(char) < 0x20 or ord(char) == 0x7F or char in "\\ ":
            raise FetchError("the redirect's Location has white space, a control character "
                             "or a backslash")
    return urljoin(base, text)


# --- resolving and connecting -------------------------------------------------------------


def resolve(target: Target, deadline: Deadline, *, check: bool = True
            ) -> list[tuple[int, IPAddress]]:
    """The addresses of ``target`` (one ``getaddrinfo``, bounded by ``deadline``).

    With ``check``, every address must pass :func:`address_refusal` or the whole
    target is refused. Returns ``(family, address)`` pairs, in the resolver's order.
    """
    if target.literal is not None:
        found: list[IPAddress] = [target.literal]
    else:
        found = _lookup(target, deadline)
    addresses: list[tuple[int, IPAddress]] = []
    for ip in found:
        if check:
            reason = address_refusal(ip)
            if reason:
                which = "" if target.literal is not None else f"; {target.host} resolves to it"
                raise FetchError(f"refusing to fetch from the non-public address {ip} "
                                 f"({reason}{which})")
        family = socket.AF_INET6 if isinstance(ip, ipaddress.IPv6Address) else socket.AF_INET
        if (family, ip) not in addresses:
            addresses.append((family, ip))
    return addresses


def _lookup(target: Target, deadline: Deadline) -> list[IPAddress]:
    box: list[object] = []

    def run() -> None:
        try:
            box.append(socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the caller below
            box.append(exc)

    thread = threading.Thread(target=run, name="ltx2sdk-resolve", daemon=True)
    thread.start()
    thread.join(deadline.left())
    if not box:
        raise TimeoutError(f"resolving {target.host} took too long")
    infos = box[0]
    if isinstance(infos, BaseException):
        raise FetchFailedError(f"cannot resolve {target.host}: {infos}") from infos
    found: list[IPAddress] = []
    for info in infos if isinstance(infos, list) else ():
        family, sockaddr = info[0], info[4]
        if family not in (socket.AF_INET, socket.AF_INET6) or not sockaddr:
            raise FetchError(f"{target.host} resolves to an address the guard cannot check "
                             f"({sockaddr!r})")
        try:
            ip = ipaddress.ip_address(sockaddr[0])
        except ValueError as exc:
            raise FetchError(f"{target.host} resolves to an address the guard cannot parse "
                             f"({sockaddr[0]!r})") from exc
        if isinstance(ip, ipaddress.IPv6Address) and (
                ip.scope_id or (len(sockaddr) >= 4 and sockaddr[3])):
            raise FetchError(f"refusing to fetch from the non-public address {ip} "
                             f"(an address with a zone id; {target.host} resolves to it)")
        found.append(ip)
    if not found:
        raise FetchFailedError(f"cannot resolve {target.host}: no addresses")
    return found


def _connect(family: int, ip: IPAddress, port: int, deadline: Deadline) -> socket.socket:
    """A TCP connection to exactly ``ip`` (no name, so no look-up can happen here)."""
    sockaddr: tuple[str, int] | tuple[str, int, int, int] = (
        (ip.compressed, port, 0, 0) if family == socket.AF_INET6 else (ip.compressed, port))
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(deadline.socket_timeout())
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header keeps the URL's host name."""

    def __init__(self, target: Target, family: int, ip: IPAddress, deadline: Deadline) -> None:
        super().__init__(target.host, target.port)
        self._pin = (family, ip, target.port, deadline)

    def connect(self) -> None:
        self.sock = _connect(*self._pin)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; Host header, SNI and certificate check keep the name."""

    def __init__(self, target: Target, family: int, ip: IPAddress, deadline: Deadline,
                 context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, context=context)
        self._pin = (family, ip, target.port, deadline)
        self._tls = context
        self._server_name = target.server_name

    def connect(self) -> None:
        sock = _connect(*self._pin)
        try:
            sock.settimeout(self._pin[3].socket_timeout())  # bounds the whole handshake
            self.sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)
        except BaseException:
            sock.close()
            raise


class _DeadlineReader(io.RawIOBase):
    """Socket reads that share one deadline: each read may wait only for what is left."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        self._sock.settimeout(self._deadline.socket_timeout())
        return self._sock.recv_into(buffer)


class _DeadlineResponse(http.client.HTTPResponse):
    """An HTTP response whose status line, headers and body are read under the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        super().__init__(sock, method="GET")
        self.fp.close()  # the plain file the base class made; reads go through the deadline
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


_default_context: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """Certificate-verifying TLS (certifi's CA bundle when installed, as requests uses)."""
    global _default_context
    if _default_context is None:
        try:
            import certifi

            _default_context = ssl.create_default_context(cafile=certifi.where())
        except ImportError:  # pragma: no cover - certifi comes with requests
            _default_context = ssl.create_default_context()
    return _default_context


# --- fetching -----------------------------------------------------------------------------


def fetch(url: str, *, max_bytes: int, timeout: float, trusted_hosts: Collection[str] = (),
          max_redirects: int = DEFAULT_MAX_REDIRECTS,
          content_types: Collection[str] = (), label: str = "the response",
          ssl_context: ssl.SSLContext | None = None) -> Fetched:
    """GET ``url`` under the rules in the module docstring and return the body.

    ``max_bytes`` caps the body, ``timeout`` (seconds) the whole fetch, redirects
    included. ``trusted_hosts`` are host names or IP literals exempt from the address
    check (still resolved once and pinned): a test server, a trusted internal store.
    ``content_types`` are accepted ``Content-Type`` prefixes (empty: any); ``label``
    names the body in messages. Raises :class:`FetchError` for every refusal and failure.
    """

    def read(response: _DeadlineResponse, target: Target) -> Fetched:
        content_type = _checked_head(response, max_bytes, content_types, label)
        buffer = bytearray()
        for chunk in _chunks(response, max_bytes, label):
            buffer += chunk
        return Fetched(data=bytes(buffer), content_type=content_type, url=target.url)

    return _guarded_get(url, read, max_bytes=max_bytes, timeout=timeout,
                        trusted_hosts=trusted_hosts, max_redirects=max_redirects,
                        ssl_context=ssl_context)


@dataclass(frozen=True)
class FetchedFile:
    """A successful :func:`fetch_to_file`: where the body went, its size, its content type
    and the URL it finally came from."""

    path: Path
    size: int
    content_type: str
    url: str


def fetch_to_file(url: str, dest: Path, *, max_bytes: int, timeout: float,
                  trusted_hosts: Collection[str] = (),
                  max_redirects: int = DEFAULT_MAX_REDIRECTS,
                  content_types: Collection[str] = (), label: str = "the response",
                  ssl_context: ssl.SSLContext | None = None) -> FetchedFile:
    """:func:`fetch`, streamed to ``dest`` instead of memory (for large files such as videos):
    the same rules, limits and errors. ``dest`` is written only once the answer is a 200
    within the limits; after a failure it may hold part of the body (the caller writes to a
    temporary name and removes it)."""

    def read(response: _DeadlineResponse, target: Target) -> FetchedFile:
        content_type = _checked_head(response, max_bytes, content_types, label)
        size = 0
        try:
            handle = open(dest, "wb")  # noqa: SIM115 - closed below, its failure told apart
        except OSError as exc:
            raise _local(dest, exc) from exc
        with handle:
            for chunk in _chunks(response, max_bytes, label):
                try:
                    handle.write(chunk)
                except OSError as exc:  # this machine's disk, not the network: not retried
                    raise _local(dest, exc) from exc
                size += len(chunk)
        return FetchedFile(path=dest, size=size, content_type=content_type, url=target.url)

    return _guarded_get(url, read, max_bytes=max_bytes, timeout=timeout,
                        trusted_hosts=trusted_hosts, max_redirects=max_redirects,
                        ssl_context=ssl_context)


def fetch_status(url: str, *, timeout: float, headers: Mapping[str, str] | None = None,
                 trusted_hosts: Collection[str] = (),
                 ssl_context: ssl.SSLContext | None = None) -> int:
    """The HTTP status ``url`` answers a GET with, under the rules in the module docstring
    (one parser, resolved once, public addresses only unless ``trusted_hosts``, pinned,
    ``timeout`` seconds for it all), its body not read. ``headers`` go with the request; a
    redirect is not followed (its status is the answer): whatever the headers carry goes
    only to the host ``url`` names. A refusal by rule is a :class:`FetchError`, no answer a
    :class:`~ltx2sdk.errors.FetchFailedError`, neither naming the headers."""

    def status(response: _DeadlineResponse, target: Target) -> int:
        return int(response.status)

    return _guarded_get(url, status, max_bytes=1, timeout=timeout,
                        trusted_hosts=trusted_hosts, max_redirects=0,
                        ssl_context=ssl_context, headers=headers, follow=False)


def _local(path: Path, exc: OSError) -> LocalFileError:
    return LocalFileError(f"cannot write {path}: {exc.strerror or type(exc).__name__}")


def _guarded_get(url: str, read: Callable[[_DeadlineResponse, Target], _T], *, max_bytes: int,
                 timeout: float, trusted_hosts: Collection[str], max_redirects: int,
                 ssl_context: ssl.SSLContext | None,
                 headers: Mapping[str, str] | None = None, follow: bool = True) -> _T:
    """The one guarded GET loop (resolve, check, pin, redirect, deadline) behind
    :func:`fetch`, :func:`fetch_to_file` and :func:`fetch_status`; ``read`` takes the final
    answer's body. ``headers`` are sent on every hop; ``follow=False``: a redirect is the
    final answer (handed to ``read``), not followed."""
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise FetchError(f"the fetch timeout must be a positive number of seconds, "
                         f"not {timeout!r}")
    if not (isinstance(max_bytes, int) and max_bytes > 0):
        raise FetchError(f"the size limit must be a positive number of bytes, not {max_bytes!r}")
    deadline = Deadline.after(timeout)
    trusted = {trusted_name(host) for host in trusted_hosts}
    target = parse_url(url)
    try:
        for _ in range(max_redirects + 1):
            addresses = resolve(target, deadline, check=target.host not in trusted)
            connection, response = _request(target, addresses, deadline, ssl_context, headers)
            try:
                if follow and response.status in REDIRECT_STATUSES:
                    location = response.getheader("Location")
                    if not location:
                        raise FetchFailedError(
                            f"HTTP {response.status} redirect without a Location")
                    target = parse_url(_redirect_url(target.url, location))
                    continue
                return read(response, target)
            finally:
                response.close()
                connection.close()
    except (FetchError, LocalFileError):
        raise
    except TimeoutError as exc:
        raise FetchFailedError(f"timed out after {timeout:g} s") from exc
    except ssl.SSLCertVerificationError as exc:
        raise FetchFailedError(f"the TLS certificate of {target.host} does not check out "
                         f"({exc.verify_message or exc})") from exc
    except (OSError, http.client.HTTPException) as exc:
        if deadline.passed:
            raise FetchFailedError(f"timed out after {timeout:g} s") from exc
        raise FetchFailedError(f"cannot fetch {target.url}: {type(exc).__name__}: {exc}") \
            from exc
    except Exception as exc:  # anything else the answer provokes is a refusal, not a crash
        raise FetchError(f"cannot fetch {target.url}: {type(exc).__name__}: {exc}") from exc
    raise FetchError(f"more than {max_redirects} redirects")


def trusted_name(host: str) -> str:
    """A trusted host as :class:`~ltx2sdk.web_urls.Target` names its host: an IP literal
    without brackets in its short form, a name lower-case and IDNA-encoded (the fetch is
    not checked when ``target.host`` is one of them)."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host


def _request(target: Target, addresses: list[tuple[int, IPAddress]], deadline: Deadline,
             ssl_context: ssl.SSLContext | None, extra: Mapping[str, str] | None = None
             ) -> tuple[http.client.HTTPConnection, _DeadlineResponse]:
    """Send the GET over a connection to the first of ``addresses`` that answers, with the
    ``extra`` headers (they replace the defaults of the same name)."""
    failure: OSError | None = None
    for family, ip in addresses:
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(target, family, ip, deadline,
                                                ssl_context or default_ssl_context())
        else:
            connection = _PinnedHTTPConnection(target, family, ip, deadline)
        try:
            connection.connect()
        except (ssl.SSLError, TimeoutError):  # the deadline, or a TLS failure: no next address
            connection.close()
            raise
        except OSError as exc:  # unreachable address: the next checked one may answer
            connection.close()
            if deadline.passed:
                raise  # the wait used up what was left of the deadline
            failure = exc
            continue
        try:
            connection.request("GET", target.path, headers={
                "User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5",
                "Connection": "close", **(extra or {})})
            if connection.sock is None:  # pragma: no cover - connect() sets it or raises
                raise FetchFailedError(f"cannot connect to {target.host}:{target.port}")
            response = _DeadlineResponse(connection.sock, deadline)
            try:
                response.begin()
            except BaseException:
                response.close()
                raise
        except BaseException:
            connection.close()
            raise
        return connection, response
    raise FetchFailedError(f"cannot connect to {target.host}:{target.port}: {failure}")


def _checked_head(response: _DeadlineResponse, max_bytes: int,
                  content_types: Collection[str], label: str) -> str:
    """The answer's content type, once its status, type and announced length are fine."""
    if response.status != 200:
        raise FetchFailedError(f"the server answered HTTP {response.status}")
    content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
    if content_types and not content_type.startswith(tuple(content_types)):
        article = "an" if label[:1] in "aeiou" else "a"
        raise FetchError(f"expected {article} {label}, the server sent "
                         f"{content_type or 'no content type'}")
    declared = response.getheader("Content-Length")
    if declared is not None:
        values = {value.strip() for value in declared.split(",")}
        value = values.pop() if len(values) == 1 else ""
        if not _LENGTH.fullmatch(value):
            raise FetchError(f"the server sent a bad Content-Length ({declared[:40]!r})")
        if int(value) > max_bytes:
            raise FetchError(f"{label} is larger than the {byte_size(max_bytes)} limit "
                             f"(Content-Length {value})")
    return content_type


def _chunks(response: _DeadlineResponse, max_bytes: int, label: str) -> Iterator[bytes]:
    """The body in pieces, cut off past ``max_bytes``; a body shorter than announced is an
    error."""
    received = 0
    while True:
        chunk = response.read(min(64 * 1024, max_bytes + 1 - received))
        if not chunk:
            break
        received += len(chunk)
        if received > max_bytes:
            raise FetchError(f"{label} is larger than the {byte_size(max_bytes)} limit")
        yield chunk
    if response.length:  # http.client does not complain about a short body: we do
        raise FetchFailedError(f"the body was cut short: {received} bytes of the "
                         f"{received + response.length} announced")
