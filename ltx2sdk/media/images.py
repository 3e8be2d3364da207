"""Input images for i2v: from base64 or a URL, checked before anything is uploaded.

Both paths cap the size, insist on a real image (decoded with Pillow, not just a file
extension) and name the request field in every error (:class:`ImageInputError`, a
``ValueError``).

* **Size.** ``max_bytes`` counts the image file: the decoded bytes of base64 (line
  breaks, spaces and padding do not count; an oversized payload is refused before it is
  decoded), the body on the wire for a URL.
* **Pixels.** ``max_pixels`` (default :data:`DEFAULT_MAX_PIXELS`, 36 MP) caps width x
  height, read from the file's header before any pixel is decoded: a small file that
  would decode to gigabytes (a "decompression bomb") is refused without decoding it.
* **Formats.** PNG, JPEG, WebP, MPO, GIF and BMP are read (Pillow decodes nothing else
  here). PNG, JPEG and WebP stills go to ComfyUI as they came; anything else is
  re-encoded to a format ComfyUI's LoadImage reads as one image: MPO (what many phones
  write) as JPEG, the rest as PNG.
* **Animation: the first frame only.** Animated GIF, PNG (APNG) and WebP files and
  multi-picture MPO files are accepted as their first frame (image); the other frames
  are never decoded. (ComfyUI's LoadImage would otherwise turn the frames into a batch.)
* **URLs** are fetched by :mod:`ltx2sdk.media.safe_fetch`: http(s) only, one URL parser, the
  host resolved once and every address checked to be public (private, loopback,
  link-local, shared, multicast, reserved, NAT64/6to4/Teredo/IPv4-mapped forms of any
  of them...), the connection pinned to the checked address, every redirect hop checked
  the same way, and one deadline for the whole fetch, slow bodies included.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ltx2sdk.errors import FetchError, ImageInputError
from ltx2sdk.media import safe_fetch as safe_http
from ltx2sdk.media.inline_data import decode_base64
from ltx2sdk.media.safe_fetch import address_refusal

if TYPE_CHECKING:
    import ssl

    from PIL import Image as PILImage

DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 36_000_000  # 36 MP: an 8000x4500 photo; LTX-2 frames are ~1 MP
DEFAULT_FETCH_TIMEOUT_S = 20.0
MAX_REDIRECTS = safe_http.DEFAULT_MAX_REDIRECTS
FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}  # what LoadImage gets
READABLE_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP")  # what Pillow may open
_OPENERS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")  # Pillow's JPEG opener reads MPO files too
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


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


def decode_image(data: bytes, field: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageData:
    """Check ``data`` is an image Pillow can decode, at most ``max_pixels`` large.

    The size comes from the header and is checked before any pixel is decoded. Only
    the first frame of animated or multi-picture files is decoded and kept (see the
    module docstring); anything but a PNG, JPEG or WebP still is re-encoded.
    """
    from PIL import Image, UnidentifiedImageError  # lazily: only i2v pays for Pillow

    if not data:
        raise ImageInputError(field, "not a readable image (it is empty)")
    try:
        with Image.open(io.BytesIO(data), formats=_OPENERS) as image:
            kind = image.format or ""
            width, height = image.size  # from the header: nothing decoded yet
            if width < 1 or height < 1 or width * height > max_pixels:
                raise ImageInputError(
                    field, f"image is {width}x{height} pixels ({width * height / 1e6:.1f} MP), "
                           f"over the {max_pixels / 1e6:g} MP limit")
            animated = bool(getattr(image, "is_animated", False))  # without decoding frames
            image.load()  # decode the first frame's pixels, not just the header
            if kind in FORMATS and not animated:
                return ImageData(data=data, format=kind, width=width, height=height)
            out_format, encoded = _first_frame(image, kind)
    except ImageInputError:
        raise
    except Exception as exc:  # Pillow reports broken files in many ways; all mean "unusable"
        if isinstance(exc, UnidentifiedImageError):
            message = f"not a readable image (none of {', '.join(READABLE_FORMATS)})"
        elif isinstance(exc, Image.DecompressionBombError):  # Pillow's own, larger limit
            message = f"image is over the {max_pixels / 1e6:g} MP limit ({exc})"
        else:
            message = f"not a readable image ({type(exc).__name__}: {exc})"
        raise ImageInputError(field, message) from exc
    return ImageData(data=encoded, format=out_format, width=width, height=height)


def _first_frame(image: PILImage.Image, kind: str) -> tuple[str, bytes]:
    """The loaded (first) frame of ``image`` as JPEG (from JPEG-family files) or PNG."""
    buffer = io.BytesIO()
    if kind in ("JPEG", "MPO") and image.mode in ("L", "RGB", "CMYK"):
        extra = {key: image.info[key] for key in ("exif", "icc_profile") if image.info.get(key)}
        image.save(buffer, "JPEG", quality=95, **extra)  # EXIF keeps the orientation
        return "JPEG", buffer.getvalue()
    frame = image if image.mode in _PNG_MODES else image.convert("RGBA")
    frame.save(buffer, "PNG")
    return "PNG", buffer.getvalue()


def image_from_base64(text: str, *, field: str = "image_base64",
                      max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                      max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageData:
    """Decode base64 or a ``data:image/...;base64,`` URI into a checked image.

    ``max_bytes`` counts decoded bytes: ASCII white space (line breaks included) is
    removed first, padding does not count, and a payload whose decoded size is over the
    limit is refused before it is decoded. Missing padding is tolerated.
    """
    data = decode_base64(text, field=field, max_bytes=max_bytes, label="image",
                         error=ImageInputError)
    return decode_image(data, field, max_pixels=max_pixels)


def check_public_address(address: str, field: str) -> None:
    """Refuse an address that is not public (see
    :func:`ltx2sdk.media.safe_fetch.address_refusal`)."""
    reason = address_refusal(address)
    if reason:
        raise ImageInputError(field, f"refusing to fetch from the non-public address "
                                     f"{address} ({reason})")


def fetch_image(url: str, *, field: str = "image_url", max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
                timeout: float = DEFAULT_FETCH_TIMEOUT_S, trusted_hosts: Collection[str] = (),
                max_pixels: int = DEFAULT_MAX_PIXELS,
                ssl_context: ssl.SSLContext | None = None) -> ImageData:
    """Download ``url`` and check it is an image (see the module docstring for the rules).

    At most ``max_bytes`` on the wire, ``timeout`` seconds for the whole fetch (every
    redirect, slow bodies included) and ``max_pixels`` pixels. ``trusted_hosts`` are
    host names or IP literals exempt from the public-address check (a test server, a
    trusted internal store); they are still resolved once and pinned, and every other
    hop, redirects included, is checked. ``ssl_context`` replaces the default
    certificate-verifying one (a private CA, say).
    """
    try:
        fetched = safe_http.fetch(url, max_bytes=max_bytes, timeout=timeout,
                                  trusted_hosts=trusted_hosts, max_redirects=MAX_REDIRECTS,
                                  content_types=IMAGE_CONTENT_TYPES, label="image",
                                  ssl_context=ssl_context)
    except FetchError as exc:
        raise ImageInputError(field, str(exc)) from exc
    return decode_image(fetched.data, field, max_pixels=max_pixels)


# what stores send images as: image/*, and the generic types an object store uses for files
# uploaded without one (S3's binary/octet-stream); the bytes are decoded and checked anyway
IMAGE_CONTENT_TYPES = ("image/", "application/octet-stream", "binary/octet-stream")
