"""What a downloaded file really is, from its bytes: never call a broken file a video.

:func:`verify_file` checks a file against the kind its name promises (an ``.mp4`` must be
an ISO media file whose top-level boxes run exactly to the end of the file and include a
whole ``moov``, a ``.webm`` an EBML stream, a ``.gif`` a GIF with its trailer, images and
audio their signatures). An HTML error page, an empty body, a body cut short and an mp4
whose writer died before its index all fail it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from ltx2sdk.errors import FileContentError

ISO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".m4a", ".3gp"})  # ISO base media: boxes
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv", ".gif"})
"""What a video may be named: the containers a video output comes in, and the GIFs of the
video helper nodes. The one list every check of "is this a video" uses."""
EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # Matroska and WebM
VIDEO_SIGNATURES = ((4, b"ftyp", ".mp4"), (0, EBML_MAGIC, ".webm"))
"""(offset, bytes, extension): a video container told by its first bytes."""
SNIFF_BYTES = 16  # enough of a file's head for every signature here
ISO_FIRST_BOXES = frozenset({b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide",
                             b"pdin"})
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".webm": (EBML_MAGIC,),
    ".mkv": (EBML_MAGIC,),
    ".flac": (b"fLaC",),
    ".ogg": (b"OggS",),
    ".opus": (b"OggS",),
    ".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
}


def is_video_name(name: str) -> bool:
    """Whether a file named ``name`` is a video by its extension (:data:`VIDEO_EXTENSIONS`)."""
    return Path(name).suffix.lower() in VIDEO_EXTENSIONS


def is_video_content_type(content_type: str) -> bool:
    """Whether an HTTP ``Content-Type`` (parameters allowed) names a video."""
    return content_type.split(";")[0].strip().lower().startswith("video/")


def video_extension_of(head: bytes) -> str | None:
    """The extension of the video container whose first bytes are ``head`` (an ISO ``ftyp``
    box, an EBML header), or ``None``: for a file whose name and type say nothing."""
    for offset, signature, extension in VIDEO_SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return extension
    return None


def verify_file(path: Path, *, video: bool = False) -> None:
    """Raise :class:`FileContentError` unless ``path`` is a whole file of the kind its
    extension names. ``video`` adds that it must be a video container at all."""
    size = path.stat().st_size
    if size == 0:
        raise FileContentError("the file is empty")
    suffix = path.suffix.lower()
    with open(path, "rb") as handle:
        head = handle.read(16)
        if video and suffix not in VIDEO_EXTENSIONS:
            raise FileContentError(f"a video was expected, the file is named {suffix or 'bare'}")
        if suffix in ISO_EXTENSIONS:
            _check_iso_boxes(handle, size)
        elif suffix == ".gif":
            if not head.startswith((b"GIF87a", b"GIF89a")):
                raise FileContentError("it does not start like a GIF")
            handle.seek(-1, 2)
            if handle.read(1) != b"\x3b":
                raise FileContentError("the GIF has no trailer: it was cut short")
        elif suffix == ".webp":
            if not (head.startswith(b"RIFF") and head[8:12] == b"WEBP"):
                raise FileContentError("it does not start like a WebP image")
            if struct.unpack("<I", head[4:8])[0] + 8 > size:
                raise FileContentError("the WebP file was cut short")
        elif suffix == ".wav":
            if not (head.startswith(b"RIFF") and head[8:12] == b"WAVE"):
                raise FileContentError("it does not start like a WAV file")
        elif suffix in SIGNATURES and not head.startswith(SIGNATURES[suffix]):
            raise FileContentError(f"it does not start like a {suffix[1:]} file")


def _check_iso_boxes(handle: BinaryIO, size: int) -> None:
    """Walk the top-level boxes of an ISO base media file (mp4, mov, m4a): each header must
    be whole, the last box must end exactly at the end of the file, and a whole ``moov`` (the
    index, without which no player can read the media) must be among them. A box of size 0
    runs to the end of the file: accepted only after the ``moov``, since a writer that died
    before writing its index leaves exactly that (an ``mdat`` of size 0)."""
    read, seek = handle.read, handle.seek
    offset = 0
    first = True
    index = False
    while offset < size:
        seek(offset)
        header = read(8)
        if len(header) < 8:
            raise FileContentError("an mp4 box header is cut short")
        box_size, box_type = struct.unpack(">I4s", header)
        if first and box_type not in ISO_FIRST_BOXES:
            raise FileContentError("it does not start like an mp4 file")
        first = False
        header_size = 8
        if box_size == 1:
            large = read(8)
            if len(large) < 8:
                raise FileContentError("an mp4 box header is cut short")
            box_size, header_size = struct.unpack(">Q", large)[0], 16
        elif box_size == 0:  # the box runs to the end of the file: whole only if that is all
            if not index:
                raise FileContentError("the mp4 has no whole moov box (its index): a box "
                                       "runs to the end of the file where the index should "
                                       "be, as a writer that died leaves it")
            return
        if box_size < header_size:
            raise FileContentError(f"an mp4 box has an impossible size {box_size}")
        offset += box_size
        if box_type == b"moov" and offset <= size:
            index = True
    if offset != size:
        raise FileContentError(f"the mp4 was cut short: its boxes need {offset} bytes, "
                              f"the file has {size}")
    if not index:
        raise FileContentError("the mp4 has no moov box (its index): it was cut short "
                               "or never finished")
