"""Input audio for ia2v: from base64 or a URL, decoded and measured before anything is uploaded.

Every path caps the size, insists on real audio (decoded to the last sample, not judged by a
file extension or a content type), measures its length, and names the request field in every
error (:class:`AudioInputError`, a ``ValueError``).

* **Formats.** WAV (PCM, float, A-law, mu-law, ADPCM), MP3, FLAC and Ogg Vorbis, told apart
  by their first bytes and decoded with miniaudio (its dr_wav, dr_mp3, dr_flac and
  stb_vorbis), imported only when an audio file is checked. The file goes to ComfyUI as it
  came, named with its format's extension (ComfyUI's ``LoadAudio`` reads all four).
* **Size.** ``max_bytes`` (default :data:`DEFAULT_MAX_AUDIO_BYTES`, 20 MiB) counts the file:
  the decoded bytes of base64 (refused before decoding), the body on the wire for a URL.
* **Length.** ``max_seconds`` (default :data:`DEFAULT_MAX_AUDIO_SECONDS`, 60 s) caps the
  duration. A length the header announces is checked before anything is decoded; the decoding
  itself stops as soon as it passes the cap, in chunks, so a small file that would decode to
  hours of samples (long silence compresses to almost nothing) costs neither memory nor time.
  A file with no sound (0 samples) is refused. The measured duration
  (:attr:`AudioData.duration`) sets the video's length unless the request gives one.
* **Damage.** A file cut short is refused where its format says how long it should be: a WAV
  whose RIFF header or data chunk announces more bytes than there are (its length would
  otherwise be what happens to decode), a FLAC or an MP3 (with a Xing/LAME header) that
  decodes to less than it announces, an Ogg stream without its last page.
* **URLs** are fetched by :mod:`ltx2sdk.media.safe_fetch`, as images are: http(s) only, public
  addresses only (resolved once, every address checked, the connection pinned), every redirect
  hop checked the same way, one deadline for the whole fetch, and the size cap on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING

from ltx2sdk.errors import AudioInputError, FetchError
from ltx2sdk.media import safe_fetch as safe_http
from ltx2sdk.media.inline_data import decode_base64

if TYPE_CHECKING:
    import ssl

    import miniaudio

DEFAULT_MAX_AUDIO_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_AUDIO_SECONDS = 60.0
DEFAULT_FETCH_TIMEOUT_S = 20.0
MAX_SAMPLE_RATE = 384_000  # the highest rate audio interfaces record at
FORMATS = ("wav", "mp3", "flac", "ogg")
"""What can be given, by the extension the upload gets (``ogg``: Ogg Vorbis)."""
READABLE = "wav, mp3, flac or ogg"
# what stores send audio as: audio/*, Ogg's own type, and the generic types an object store
# uses for files uploaded without one; the bytes are decoded and checked anyway
AUDIO_CONTENT_TYPES = ("audio/", "application/ogg", "application/octet-stream",
                       "binary/octet-stream")
_CHUNK_FRAMES = 16_384  # frames decoded at a time: memory stays small whatever the file
# how many frames less than its header announces a whole file may decode to: FLAC's
# STREAMINFO counts exactly; an MP3's Xing header may or may not count itself (1152 each)
_ANNOUNCED_SLACK = {"flac": 0, "mp3": 2 * 1152}


@dataclass(frozen=True)
class AudioData:
    """A checked audio file, ready to upload: the file as it came and what it holds."""

    data: bytes = dataclass_field(repr=False)
    format: str  # one of FORMATS: wav, mp3, flac, ogg (Vorbis)
    duration: float  # seconds of sound, measured by decoding every sample
    sample_rate: int  # Hz
    channels: int

    @property
    def extension(self) -> str:
        """The file name extension ComfyUI's ``LoadAudio`` knows it by."""
        return self.format

    def filename(self, stem: str) -> str:
        """``stem`` with the extension of the audio's format."""
        return f"{stem}.{self.extension}"


def decode_audio(data: bytes, field: str, *,
                 max_seconds: float = DEFAULT_MAX_AUDIO_SECONDS) -> AudioData:
    """Check that ``data`` is a wav, mp3, flac or Ogg Vorbis file with sound in it, at most
    ``max_seconds`` long, by decoding it (see the module docstring); measure it."""
    if not data:
        raise AudioInputError(field, "not a readable audio file (it is empty)")
    kind, unsupported = _sniff(data)
    if kind is None:
        hint = f": {unsupported}" if unsupported else ""
        raise AudioInputError(field, f"not a readable audio file ({READABLE}){hint}")
    cut = _cut_short(kind, data)  # told by the file's structure, before any decoder runs
    if cut:
        raise AudioInputError(field, f"the {_name(kind)} file is cut short ({cut})")
    import miniaudio  # lazily: only ia2v pays for the decoders

    info_of: dict[str, Callable[[bytes], miniaudio.SoundFileInfo]] = {
        "wav": miniaudio.wav_get_info, "mp3": miniaudio.mp3_get_info,
        "flac": miniaudio.flac_get_info, "ogg": miniaudio.vorbis_get_info}
    try:
        info = info_of[kind](data)
    except miniaudio.MiniaudioError as exc:
        raise AudioInputError(field, f"not a readable audio file ({READABLE}): the "
                                     f"{_name(kind)} decoder cannot read it") from exc
    rate, channels, announced = int(info.sample_rate), int(info.nchannels), int(info.num_frames)
    if not 0 < rate <= MAX_SAMPLE_RATE or channels < 1:
        raise AudioInputError(field, f"not a readable audio file: {channels} channel(s) at "
                                     f"{rate} Hz (at most {MAX_SAMPLE_RATE} Hz)")
    if announced > max_seconds * rate:  # refused before a sample is decoded
        raise AudioInputError(field, f"audio is {announced / rate:.1f} s long, over the "
                                     f"{max_seconds:g} s limit")
    frames = _decoded_frames(data, field, kind, rate, channels, max_seconds)
    if kind in _ANNOUNCED_SLACK and frames + _ANNOUNCED_SLACK[kind] < announced:
        raise AudioInputError(field, f"the {_name(kind)} file is cut short (its header "
                                     f"announces {announced / rate:.2f} s, "
                                     f"{frames / rate:.2f} s decode)")
    if frames == 0:
        raise AudioInputError(field, f"the {_name(kind)} file holds no sound (0 s long)")
    return AudioData(data=data, format=kind, duration=frames / rate, sample_rate=rate,
                     channels=channels)


def _decoded_frames(data: bytes, field: str, kind: str, rate: int, channels: int,
                    max_seconds: float) -> int:
    """Decode every sample of ``data`` (at its own rate and channels: nothing is converted),
    in chunks that are dropped once counted; stop past ``max_seconds``."""
    import miniaudio as ma

    limit = max_seconds * rate
    frames = 0
    try:
        stream = ma.stream_memory(data, output_format=ma.SampleFormat.SIGNED16,
                                  nchannels=channels, sample_rate=rate,
                                  frames_to_read=_CHUNK_FRAMES)
        try:
            for chunk in stream:
                frames += len(chunk) // channels
                if frames > limit:
                    raise AudioInputError(field, f"audio is longer than the {max_seconds:g} s "
                                                 "limit")
        finally:
            stream.close()
    except ma.MiniaudioError as exc:
        raise AudioInputError(field, f"not a readable audio file ({READABLE}): the "
                                     f"{_name(kind)} decoder fails on its data") from exc
    return frames


def audio_from_base64(text: str, *, field: str = "audio_base64",
                      max_bytes: int = DEFAULT_MAX_AUDIO_BYTES,
                      max_seconds: float = DEFAULT_MAX_AUDIO_SECONDS) -> AudioData:
    """Decode base64 or a ``data:audio/...;base64,`` URI into a checked audio file.

    ``max_bytes`` counts decoded bytes and is checked before decoding (see
    :func:`ltx2sdk.media.inline_data.decode_base64`); ``max_seconds`` caps the duration.
    """
    data = decode_base64(text, field=field, max_bytes=max_bytes, label="audio file",
                         error=AudioInputError)
    return decode_audio(data, field, max_seconds=max_seconds)


def fetch_audio(url: str, *, field: str = "audio_url",
                max_bytes: int = DEFAULT_MAX_AUDIO_BYTES,
                timeout: float = DEFAULT_FETCH_TIMEOUT_S, trusted_hosts: Collection[str] = (),
                max_seconds: float = DEFAULT_MAX_AUDIO_SECONDS,
                ssl_context: ssl.SSLContext | None = None) -> AudioData:
    """Download ``url`` and check it is audio (see the module docstring for the rules).

    At most ``max_bytes`` on the wire and ``timeout`` seconds for the whole fetch (every
    redirect, slow bodies included), through :func:`ltx2sdk.media.safe_fetch.fetch`: public
    addresses only, except ``trusted_hosts`` (host names or IP literals exempt from that check,
    still resolved once and pinned). ``ssl_context`` replaces the default certificate-verifying
    one.
    """
    try:
        fetched = safe_http.fetch(url, max_bytes=max_bytes, timeout=timeout,
                                  trusted_hosts=trusted_hosts,
                                  max_redirects=safe_http.DEFAULT_MAX_REDIRECTS,
                                  content_types=AUDIO_CONTENT_TYPES, label="audio file",
                                  ssl_context=ssl_context)
    except FetchError as exc:
        raise AudioInputError(field, str(exc)) from exc
    return decode_audio(fetched.data, field, max_seconds=max_seconds)


# --- telling the formats apart, and damage the decoders do not report -------------------------


def _sniff(data: bytes) -> tuple[str | None, str]:
    """``(format, "")`` from the first bytes, or ``(None, what it is)`` when it is none of
    :data:`FORMATS` (the second part says so when it is audio of another kind)."""
    if data[:4] in (b"RIFF", b"RF64") and data[8:12] == b"WAVE":
        return "wav", ""
    if data[:4] == b"fLaC":
        return "flac", ""
    if data[:4] == b"OggS":
        first_page = data[:_ogg_page_end(data, 0) or 512]
        if b"\x01vorbis" in first_page:
            return "ogg", ""
        if b"OpusHead" in first_page:
            return None, "Ogg Opus is not read, only Ogg Vorbis"
        return None, "an Ogg stream that is not Vorbis"
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:  # an ID3v2 tag, then the first frame
        size = 0
        for byte in data[6:10]:
            size = (size << 7) | (byte & 0x7F)
        start = 10 + size + (10 if data[5] & 0x10 else 0)
        if data[start:start + 4] == b"fLaC":
            return "flac", ""
    head = data[start:start + 2]
    # an MPEG audio frame header: 11 sync bits, then layer III (01); AAC's ADTS has layer 00
    if len(head) == 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 == 0x02:
        return "mp3", ""
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        return None, "AIFF is not read"
    if data[4:8] == b"ftyp":
        return None, "an MP4/M4A file is not read"
    return None, ""


def _ogg_page_end(data: bytes, offset: int) -> int | None:
    """Where the Ogg page starting at ``offset`` ends; None when it does not fit in ``data``."""
    segments_at = offset + 27
    if len(data) < segments_at or data[offset:offset + 4] != b"OggS":
        return None
    count = data[offset + 26]
    if len(data) < segments_at + count:
        return None
    end = segments_at + count + sum(data[segments_at:segments_at + count])
    return end if end <= len(data) else None


def _cut_short(kind: str, data: bytes) -> str:
    """Why ``data`` is a truncated file of format ``kind``, told by its own structure; ``""``
    when nothing says so (FLAC and MP3 are compared with what they decode to instead)."""
    if kind == "wav" and data[:4] == b"RIFF":
        announced = int.from_bytes(data[4:8], "little")
        # 0 and 0xFFFFFFFF: written by a program that streamed the file and could not go back
        # to fill the size in; one byte of slack for writers that forget the pad byte
        if announced not in (0, 0xFFFFFFFF) and announced + 8 > len(data) + 1:
            return f"its header announces {announced + 8} bytes, there are {len(data)}"
    if kind == "wav":
        # dr_wav stops at the end of the bytes and calls what it read the whole length: a
        # data chunk announcing hours over a few KiB would decode as a fraction of a second
        declared, held = _wav_data_chunk(data)
        if declared is not None and declared > held + 1:
            return f"its data chunk announces {declared} bytes, there are {held}"
    if kind == "ogg":
        last = data.rfind(b"OggS")
        end = _ogg_page_end(data, last)
        if end is None:
            return "its last page is incomplete"
        if not data[last + 5] & 0x04:  # header type: end of stream
            return "it ends before the end of its stream"
    return ""


def _wav_data_chunk(data: bytes) -> tuple[int | None, int]:
    """``(the size the data chunk announces, the bytes after its header)``; ``None`` for the
    size when there is no data chunk or its size was left unknown (0 or 0xFFFFFFFF: written
    by a program that streamed the file; an RF64 file's real size is in its ds64 chunk)."""
    offset, rf64_size = 12, None
    while offset + 8 <= len(data):
        chunk = data[offset:offset + 4]
        size = int.from_bytes(data[offset + 4:offset + 8], "little")
        if chunk == b"ds64" and offset + 24 <= len(data):
            rf64_size = int.from_bytes(data[offset + 16:offset + 24], "little")
        if chunk == b"data":
            held = len(data) - offset - 8
            if data[:4] == b"RF64" and size == 0xFFFFFFFF:
                return rf64_size, held
            return (None if size in (0, 0xFFFFFFFF) else size), held
        offset += 8 + size + (size & 1)  # chunks are padded to an even size
    return None, 0


def _name(kind: str) -> str:
    return {"wav": "WAV", "mp3": "MP3", "flac": "FLAC", "ogg": "Ogg Vorbis"}[kind]
