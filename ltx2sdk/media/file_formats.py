"""What a downloaded file really is, from its bytes: never call a broken file a video.

:func:`verify_file` checks a file against the kind its name promises (an ``.mp4`` must be
an ISO media file whose top-level boxes run exactly to the end of the file, a ``.webm`` an
EBML stream, a ``.gif`` a GIF with its trailer, images and audio their signatures). An HTML
error page, an empty body or a body cut short all fail it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

ISO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".m4a", ".3gp"})
VIDEO_EXTENSIONS = ISO_EXTENSIONS | {".webm", ".mkv", ".gif"}
ISO_FIRST_BOXES = frozenset({b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide",
                             b"pdin"})
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".webm": (b"\x1a\x45\xdf\xa3",),
    ".mkv": (b"\x1a\x45\xdf\xa3",),
    ".flac": (b"fLaC",),
    ".ogg": (b"OggS",),
    ".opus": (b"OggS",),
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
}


class NotWhatItClaims(ValueError):
    """The file's bytes are not the kind of file its name says."""


def verify_file(path: Path, *, video: bool = False) -> None:
    """Raise :class:`NotWhatItClaims` unless ``path`` is a whole file of the kind its
    extension names. ``video`` adds that it must be a video container at all."""
    size = path.stat().st_size
    if size == 0:
        raise NotWhatItClaims("the file is empty")
    suffix = path.suffix.lower()
    with open(path, "rb") as handle:
        head = handle.read(16)
        if video and suffix not in VIDEO_EXTENSIONS:
            raise NotWhatItClaims(f"a video was expected, the file is named {suffix or 'bare'}")
        if suffix in ISO_EXTENSIONS:
            _check_iso_boxes(handle, size)
        elif suffix == ".gif":
            if not head.startswith((b"GIF87a", b"GIF89a")):
                raise NotWhatItClaims("it does not start like a GIF")
            handle.seek(-1, 2)
            if handle.read(1) != b"\x3b":
                raise NotWhatItClaims("the GIF has no trailer: it was cut short")
        elif suffix == ".webp":
            if not (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
                raise NotWhatItClaims("it does not start like a WebP image")
            if struct.unpack("<I", head[4:8])[0] + 8 > size:
                raise NotWhatItClaims("the WebP file was cut short")
        elif suffix == ".wav":
            if not (head.startswith(b"RIFF") and head[8:12] == b"WAVE"):
                raise NotWhatItClaims("it does not start like a WAV file")
        elif suffix in SIGNATURES and not head.startswith(SIGNATURES[suffix]):
            raise NotWhatItClaims(f"it does not start like a {suffix[1:]} file")


def _check_iso_boxes(handle: BinaryIO, size: int) -> None:
    """Walk the top-level boxes of an ISO base media file (mp4, mov): each header must be
    whole and the last box must end exactly at the end of the file."""
    read, seek = handle.read, handle.seek
    offset = 0
    first = True
    while offset < size:
        seek(offset)
        header = read(8)
        if len(header) < 8:
            raise NotWhatItClaims("an mp4 box header is cut short")
        box_size, box_type = struct.unpack(">I4s", header)
        if first and box_type not in ISO_FIRST_BOXES:
            raise NotWhatItClaims("it does not start like an mp4 file")
        first = False
        if box_size == 1:
            large = read(8)
            if len(large) < 8:
                raise NotWhatItClaims("an mp4 box header is cut short")
            box_size = struct.unpack(">Q", large)[0]
        elif box_size == 0:  # the box runs to the end of the file
            return
        if box_size < 8:
            raise NotWhatItClaims(f"an mp4 box has an impossible size {box_size}")
        offset += box_size
    if offset != size:
        raise NotWhatItClaims(f"the mp4 was cut short: its boxes need {offset} bytes, "
                              f"the file has {size}")
