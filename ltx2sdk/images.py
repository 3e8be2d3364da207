"""Input images for i2v: from base64 or a URL, checked before anything is uploaded.

Both paths cap the size, insist on a real image (decoded with Pillow, not just
a file extension) and name the request field in every error. URLs are fetched
only over http(s) from public addresses: private, loopback, link-local and
other special ranges are refused, on the first hop, on every redirect, and
against the address actually connected to (so DNS tricks do not get around it).
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import socket
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from .errors import LTX2Error

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_FETCH_TIMEOUT_S = 20.0
MAX_REDIRECTS = 5
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}  # what LoadImage reads reliably


class ImageInputError(LTX2Error, ValueError):
    """An i2v image that cannot be used; ``field`` is the request field it came from."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class ImageData:
    """A checked image, ready to upload."""

    data: bytes
    format: str  # PNG, JPEG or WEBP
    width: int
    height: int

    def filename(self, stem: str) -> str:
        """``stem`` with the extension of the image's format."""
        return f"{stem}.{FORMATS[self.format]}"


def decode_image(data: bytes, field: str) -> ImageData:
    """Check that ``data`` is a PNG, JPEG or WebP image Pillow can fully decode."""
    from PIL import Image, UnidentifiedImageError  # lazily: only i2v pays for Pillow

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or ""
            image.load()  # decode the pixels, not just the header
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageInputError(field, f"not a readable image ({exc})") from exc
    if kind not in FORMATS:
        raise ImageInputError(field, f"unsupported image format {kind or 'unknown'}; "
                              f"use {', '.join(FORMATS)}")
    return ImageData(data=data, format=kind, width=width, height=height)


def image_from_base64(text: str, *, field: str = "image_base64",
                      max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> ImageData:
    """Decode base64 or a ``data:image/...;base64,`` URI into a checked image."""
    payload = text.strip()
    if payload.startswith("data:"):
        header, _, payload = payload.partition(",")
        if ";base64" not in header:
            raise ImageInputError(field, "data URI must be base64-encoded")
    if len(payload) * 3 // 4 > max_bytes:  # refuse before decoding anything that large
        raise ImageInputError(field, f"image is larger than the {_mb(max_bytes)} limit")
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageInputError(field, f"not valid base64 ({exc})") from exc
    return decode_image(data, field)


def check_public_address(address: str, field: str) -> None:
    """Refuse loopback, private, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        raise ImageInputError(field, f"refusing to fetch from the non-public address {ip}")


def _check_url(url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ImageInputError(field, f"only http and https URLs are allowed, not "
                                     f"{parts.scheme or 'a bare path'!r}")
    if not parts.hostname:
        raise ImageInputError(field, "the URL has no host")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ImageInputError(field, f"cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        check_public_address(str(info[4][0]), field)
    return parts.hostname


def _peer_address(response: requests.Response) -> str | None:
    """The IP the response actually came from (urllib3 keeps the socket while streaming)."""
    connection: Any = getattr(response.raw, "connection", None) or getattr(
        response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    try:
        return str(sock.getpeername()[0]) if sock is not None else None
    except OSError:
        return None


def fetch_image(url: str, *, field: str = "image_url", max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                timeout: float = DEFAULT_FETCH_TIMEOUT_S, trusted_hosts: Collection[str] = (),
                session: requests.Session | None = None) -> ImageData:
    """Download ``url`` (http/https, public addresses only), at most ``max_bytes`` and
    ``timeout`` seconds in all, and check it is an image.

    ``trusted_hosts`` are host names exempt from the address check (a test server, a
    trusted internal store); every other hop, redirects included, is checked.
    """
    http = session or requests.Session()
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        trusted = urlsplit(url).hostname in trusted_hosts
        if not trusted:
            _check_url(url, field)
        elif urlsplit(url).scheme not in ("http", "https"):
            raise ImageInputError(field, "only http and https URLs are allowed")
        left = deadline - time.monotonic()
        if left <= 0:
            raise ImageInputError(field, f"timed out after {timeout:g} s")
        try:
            response = http.get(url, stream=True, allow_redirects=False, timeout=min(left, 10.0))
        except requests.RequestException as exc:
            raise ImageInputError(field, f"cannot fetch the image: {exc}") from exc
        with response:
            peer = _peer_address(response)
            if peer is not None and not trusted:
                check_public_address(peer, field)
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                continue
            return decode_image(_read_capped(response, field, max_bytes, deadline, timeout),
                                field)
    raise ImageInputError(field, f"more than {MAX_REDIRECTS} redirects")


def _read_capped(response: requests.Response, field: str, max_bytes: int, deadline: float,
                 timeout: float) -> bytes:
    if response.status_code != 200:
        raise ImageInputError(field, f"the server answered HTTP {response.status_code}")
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not content_type.startswith("image/"):
        raise ImageInputError(field, f"expected an image, the server sent "
                                     f"{content_type or 'no content type'}")
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ImageInputError(field, f"image is larger than the {_mb(max_bytes)} limit")
    buffer = bytearray()
    try:
        for chunk in response.iter_content(64 * 1024):
            buffer += chunk
            if len(buffer) > max_bytes:
                raise ImageInputError(field, f"image is larger than the {_mb(max_bytes)} limit")
            if time.monotonic() > deadline:
                raise ImageInputError(field, f"timed out after {timeout:g} s")
    except requests.RequestException as exc:
        raise ImageInputError(field, f"the download failed: {exc}") from exc
    return bytes(buffer)


def _mb(size: int) -> str:
    return f"{round(size / (1024 * 1024), 2):g} MB"
