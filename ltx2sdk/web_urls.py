"""The one rule for URLs of input files (``image_url``, ``last_image_url``, ``audio_url``):
what an absolute http(s) URL with a host is, read one way by everyone.

The request model (:mod:`ltx2sdk.request`) refuses a URL this rule does not read when the
request is made, and the fetcher (:mod:`ltx2sdk.media.safe_fetch`) reads the URL it fetches
with the same :func:`parse_url`, so that both agree on what a URL is. Whether its host is a
public address is decided only when it is fetched (that needs a DNS look-up).

The rule: :func:`urllib.parse.urlsplit` decides what the URL means, and a strict reading of
the raw text must agree with it, or the URL is refused. Refused outright: schemes other than
``http``/``https``; backslashes, control characters and white space anywhere; user info
(``@``) in the authority; an empty host; a port that is not 1-65535; empty host labels,
labels over 63 characters, names over 253; IPv6 literals :mod:`ipaddress` does not accept
(zone ids included); numeric hosts other than a plain dotted quad (``127.1``,
``0x7f.0.0.1`` and ``2130706433`` are refused, not guessed at); percent-encoded host names;
non-ASCII host names that do not IDNA-encode. Every refusal is a
:class:`~ltx2sdk.errors.FetchError` (a ``ValueError``).

Imports only the errors: the request model below the media layer uses it.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote, urlsplit

from ltx2sdk.errors import FetchError

__all__ = ["MAX_URL_LENGTH", "IPAddress", "Target", "parse_url"]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 8192
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)", re.ASCII)
_HOST_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?", re.ASCII)
_AUTHORITY = re.compile(r"(?:\[(?P<v6>[^\[\]]*)\]|(?P<name>[^\[\]:]*))(?::(?P<port>[^:]*))?")
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


@dataclass(frozen=True)
class Target:
    """A URL as the fetcher reads it: what it resolves, connects to and asks for."""

    url: str  # normalised (ASCII, no fragment): the base for relative redirects
    scheme: str  # http or https
    host: str  # ASCII host name (IDNA-encoded) or IP literal without brackets
    port: int
    path: str  # the request target: path and query, ASCII
    literal: IPAddress | None  # the host when it is an IP literal

    @property
    def server_name(self) -> str:
        """The name TLS sends (SNI) and checks the certificate against."""
        return self.host[:-1] if self.host.endswith(".") else self.host


def parse_url(url: object) -> Target:
    """Read ``url`` the one way the fetcher will use it, or raise :class:`FetchError`."""
    if not isinstance(url, str):
        raise FetchError("the URL must be a string")
    if not url:
        raise FetchError("the URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise FetchError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if "\\" in url:
        raise FetchError("the URL contains a backslash")
    for char in url:
        code = ord(char)
        if code <= 0x20 or code == 0x7F or (
                code > 0x7F and unicodedata.category(char) in _REFUSED_CATEGORIES):
            raise FetchError(f"the URL contains white space or a control character "
                             f"(U+{code:04X})")
    try:
        parts = urlsplit(url)
        split_host, split_port = parts.hostname, parts.port
    except ValueError as exc:
        raise FetchError(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are allowed, not "
                         f"{parts.scheme or 'a bare path'!r}")
    if not parts.netloc:
        raise FetchError("the URL has no host")
    if "@" in parts.netloc:
        raise FetchError("user info ('@') in the URL's authority is not allowed")
    match = _AUTHORITY.fullmatch(parts.netloc)
    if match is None:
        raise FetchError(f"the URL's authority {parts.netloc!r} is not host[:port]")
    raw_port = match["port"]
    port = 443 if scheme == "https" else 80
    if raw_port:  # an empty port ("host:") means the default, as RFC 3986 says
        if not _PORT.fullmatch(raw_port) or not 1 <= int(raw_port) <= 65535:
            raise FetchError(f"bad port {raw_port!r} (1-65535)")
        port = int(raw_port)
    literal: IPAddress | None
    if match["v6"] is not None:
        host, literal = _ipv6_literal(match["v6"])
        raw_host = match["v6"]
    else:
        raw_host = match["name"]
        host, literal = _host_name(raw_host)
    # urlsplit is the parser; the strict reading above must agree with it
    if split_host != raw_host.lower() or split_port != (int(raw_port) if raw_port else None):
        raise FetchError("the URL is ambiguous (its host or port reads two ways)")
    path = _ascii(parts.path or "/") + (f"?{_ascii(parts.query)}" if parts.query else "")
    shown = f"[{host}]" if isinstance(literal, ipaddress.IPv6Address) else host
    if raw_port:
        shown += f":{port}"
    return Target(url=f"{scheme}://{shown}{path}", scheme=scheme, host=host, port=port,
                  path=path, literal=literal)


def _ipv6_literal(text: str) -> tuple[str, IPAddress]:
    if "%" in text:
        raise FetchError("IPv6 zone ids are not allowed in URLs")
    try:
        ip = ipaddress.IPv6Address(text)
    except ValueError as exc:
        raise FetchError(f"[{text}] is not a valid IPv6 literal") from exc
    return str(ip), ip


def _host_name(raw: str) -> tuple[str, IPAddress | None]:
    if not raw:
        raise FetchError("the URL has no host")
    if "%" in raw:
        raise FetchError("percent-encoded host names are not allowed")
    host = raw.lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise FetchError(f"the host name {raw!r} cannot be IDNA-encoded ({exc})") from exc
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if any(not label for label in labels):
        raise FetchError(f"the host name {raw!r} has an empty label")
    if any(len(label) > 63 for label in labels):
        raise FetchError(f"the host name {raw!r} has a label longer than 63 characters")
    if len(name) > 253:
        raise FetchError("the host name is longer than 253 characters")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):  # read as an IPv4 address by WHATWG parsers
        try:
            ip = ipaddress.IPv4Address(name)
        except ValueError:
            ip = None
        if ip is None or not raw.isascii():
            raise FetchError(f"the numeric host {raw!r} is not a plain dotted-quad IPv4 "
                             f"address")
        return str(ip), ip
    if not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise FetchError(f"the host name {raw!r} has characters other than letters, digits, "
                         f"'-' and '_'")
    return host, None


def _ascii(text: str) -> str:
    """Percent-encode non-ASCII characters (as UTF-8), leave everything else as it is."""
    return "".join(char if char.isascii() else quote(char, safe="") for char in text)
