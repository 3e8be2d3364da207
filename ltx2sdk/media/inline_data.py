"""Input files given inline, as base64 or a ``data:`` URI: decoded under a size cap.

Shared by images (:func:`ltx2sdk.media.images.image_from_base64`) and audio
(:func:`ltx2sdk.media.audio.audio_from_base64`), which check what the bytes are afterwards.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from ltx2sdk.wording import byte_size

_ASCII_WHITESPACE = str.maketrans("", "", " \t\r\n\f\v")


def decode_base64(text: object, *, field: str, max_bytes: int, label: str,
                  error: Callable[[str, str], Exception]) -> bytes:
    """The bytes of base64 ``text`` (or of a ``data:...;base64,`` URI), at most ``max_bytes``.

    ASCII white space (line breaks included) is removed first and padding does not count: a
    payload whose decoded size is over ``max_bytes`` is refused before it is decoded. Missing
    padding is tolerated. Every refusal is ``error(field, message)``; ``label`` names the
    file in messages (``"image"``, ``"audio file"``).
    """
    if not isinstance(text, str):
        raise error(field, "must be a base64 string")
    payload = text.strip()
    if payload[:5].lower() == "data:":
        header, comma, payload = payload.partition(",")
        if not comma or ";base64" not in header.lower():
            raise error(field, "data URI must be base64-encoded")
    payload = payload.translate(_ASCII_WHITESPACE)
    body = payload.rstrip("=")
    if len(payload) - len(body) > 2:
        raise error(field, "not valid base64 (too much padding)")
    if len(body) % 4 == 1:
        raise error(field, "not valid base64 (its length is not possible)")
    size = len(body) * 3 // 4  # exactly the decoded size of a well-formed payload
    if size > max_bytes:  # refuse before decoding anything that large
        raise error(field, f"{label} is larger than the {byte_size(max_bytes)} limit")
    if not body:
        raise error(field, f"the {label} is empty")
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(field, f"not valid base64 ({exc})") from exc
