"""Input videos (a control video, a clip to edit): opened with a real demuxer before any upload.

Every path caps the size, insists on a real video (its container read by FFmpeg's demuxer
through PyAV, every packet of it, and its first frame decoded), measures it, and names the
request field in every error (:class:`~ltx2sdk.errors.VideoInputError`, a ``ValueError``).

* **Containers.** MP4 and QuickTime (ISO base media), WebM and Matroska, and AVI: what
  ComfyUI's ``LoadVideo`` lists and decodes. The container is told by its first bytes and
  its demuxer named explicitly: FFmpeg never guesses, so a playlist (HLS, ``concat``) that
  would make it open other files or URLs is never read. The file goes to ComfyUI as it came,
  named with its container's extension.
* **Caps**, all checked from the header before a packet is read and again while reading:
  ``max_bytes`` (default :data:`DEFAULT_MAX_VIDEO_BYTES`), ``max_seconds``
  (:data:`DEFAULT_MAX_VIDEO_SECONDS`), ``max_frames`` (:data:`DEFAULT_MAX_VIDEO_FRAMES`)
  and ``max_pixels`` per frame (:data:`DEFAULT_MAX_VIDEO_PIXELS`, 4K). A header that claims
  absurd sizes, lengths or frame rates is refused without decoding anything.
* **Damage.** Every packet is read (not decoded): a file whose header announces more frames
  than it holds, or a longer duration than its packets cover, is cut short; a file whose
  first frame does not decode is refused. Nothing is decoded but that first frame, so the
  check costs milliseconds, not the seconds a full decode would.
* **What is measured** (:class:`VideoData`): container, codec, size, frame rate, frame
  count, duration, whether it carries an audio track.
* **URLs** are fetched by :mod:`ltx2sdk.media.safe_fetch`, as images and audio are.

PyAV (``av``, FFmpeg's libraries) is imported only when a video is checked.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from fractions import Fraction
from typing import TYPE_CHECKING

from ltx2sdk.errors import FetchError, VideoInputError
from ltx2sdk.media import safe_fetch as safe_http
from ltx2sdk.media.file_formats import EBML_MAGIC
from ltx2sdk.media.inline_data import decode_base64
from ltx2sdk.wording import byte_size

if TYPE_CHECKING:
    import ssl

    import av.container
    import av.stream

DEFAULT_MAX_VIDEO_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_VIDEO_SECONDS = 120.0  # a control clip is at most 20 s; the rest room to choose
DEFAULT_MAX_VIDEO_FRAMES = 7_200  # 2 minutes at 60 fps
DEFAULT_MAX_VIDEO_PIXELS = 3840 * 2160  # 4K UHD per frame; LTX-2 frames are ~1 MP
DEFAULT_FETCH_TIMEOUT_S = 60.0  # videos are larger than images: a slower, still bounded, fetch
MAX_FPS = 240.0  # the fastest cameras record at 240; anything higher is a broken header
MAX_SIDE = 16_384  # no codec LTX-2 users meet encodes a wider or taller frame
READABLE = "mp4, mov, webm, mkv or avi"
CONTAINERS = {"mp4": "mp4", "mov": "mov", "webm": "matroska", "mkv": "matroska", "avi": "avi"}
"""Each container read, by the extension its upload gets, and the FFmpeg demuxer that reads it."""
# what stores send video as: video/*, and the generic types of files uploaded without one; the
# bytes are demuxed and checked anyway
VIDEO_CONTENT_TYPES = ("video/", "application/mp4", "application/octet-stream",
                       "binary/octet-stream")
_AV_TIME_BASE = 1_000_000  # FFmpeg's unit of a container's duration: microseconds
# how much shorter than announced the packets may end: two frames (muxers round the last
# frame's duration) plus 50 ms of rounding in a container's own duration
_SHORT_SLACK_FRAMES = 2
_SHORT_SLACK_S = 0.05
# audio packets per second a file may carry beside its video (AAC at 96 kHz: ~94/s; Opus at
# 2.5 ms: 400/s), so that reading a file's packets is bounded by its caps whatever it holds
_MAX_OTHER_PACKETS_PER_S = 400


@dataclass(frozen=True)
class VideoData:
    """A checked video, ready to upload: the file as it came and what it holds."""

    data: bytes = dataclass_field(repr=False)
    container: str  # one of CONTAINERS: mp4, mov, webm, mkv, avi
    codec: str  # FFmpeg's name of the video codec: h264, hevc, vp9, av1, mpeg4, ...
    width: int
    height: int
    fps: float  # frames per second, as the container states it (the average rate)
    frames: int  # video frames, counted packet by packet
    duration: float  # seconds the video frames cover
    has_audio: bool

    @property
    def extension(self) -> str:
        """The file name extension ComfyUI's ``LoadVideo`` knows it by."""
        return self.container

    def filename(self, stem: str) -> str:
        """``stem`` with the extension of the video's container."""
        return f"{stem}.{self.extension}"

    def describe(self) -> str:
        """One line for plans and logs: ``mp4 (h264) 1280x720, 121 frames at 24 fps, 5.04 s,
        with audio``."""
        sound = "with audio" if self.has_audio else "no audio"
        return (f"{self.container} ({self.codec}) {self.width}x{self.height}, {self.frames} "
                f"frames at {self.fps:g} fps, {self.duration:.2f} s, {sound}")


@dataclass(frozen=True)
class VideoLimits:
    """The caps a video is checked against (see the module docstring)."""

    max_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    max_seconds: float = DEFAULT_MAX_VIDEO_SECONDS
    max_frames: int = DEFAULT_MAX_VIDEO_FRAMES
    max_pixels: int = DEFAULT_MAX_VIDEO_PIXELS


def container_of(data: bytes) -> tuple[str | None, str]:
    """``(extension, "")`` of the container ``data`` starts like (a key of
    :data:`CONTAINERS`), or ``(None, what it is)`` when it is none of them (the second part
    names it when it is a known kind of file that is not read as a video here)."""
    if data[4:8] == b"ftyp":
        return ("mov" if data[8:12] == b"qt  " else "mp4"), ""
    if data[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # QuickTime files without ftyp
        return "mov", ""
    if data[:4] == EBML_MAGIC:
        return ("webm" if b"webm" in data[:64] else "mkv"), ""
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "avi", ""
    for signature, name in ((b"GIF8", "a GIF (give it as an image)"),
                            (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                            (b"#EXTM3U", "an HLS playlist, not a video file"),
                            (b"ffconcat", "an FFmpeg concat list, not a video file")):
        if data.startswith(signature):
            return None, name
    if data[:1] == b"\x47" and data[188:189] == b"\x47":
        return None, "an MPEG transport stream is not read"
    return None, ""


def decode_video(data: bytes, field: str, limits: VideoLimits = VideoLimits()) -> VideoData:
    """Check that ``data`` is a whole video within ``limits``, by reading every packet with
    its container's demuxer and decoding its first frame (see the module docstring); measure
    it. Every refusal is a :class:`~ltx2sdk.errors.VideoInputError` naming ``field``."""
    if not data:
        raise VideoInputError(field, "not a readable video (it is empty)")
    if len(data) > limits.max_bytes:
        raise VideoInputError(field, f"video is larger than the {byte_size(limits.max_bytes)} "
                                     "limit")
    kind, what = container_of(data)
    if kind is None:
        raise VideoInputError(field, f"not a readable video ({READABLE})"
                                     + (f": {what}" if what else ""))
    import av  # lazily: PyAV loads FFmpeg's libraries, ~100 ms; only video inputs pay it

    try:
        container = av.open(io.BytesIO(data), "r", format=CONTAINERS[kind])
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoInputError(field, f"not a readable {kind} video: the demuxer cannot open "
                                     "it (not a video, or cut short before its index)") from exc
    with container:
        return _measure(container, data, field, kind, limits)


def _measure(container: av.container.InputContainer, data: bytes, field: str, kind: str,
             limits: VideoLimits) -> VideoData:
    if not container.streams.video:
        raise VideoInputError(field, f"the {kind} file holds no video stream"
                                     + (" (only audio)" if container.streams.audio else ""))
    stream = container.streams.video[0]
    if stream.codec_context is None:  # a stream FFmpeg has no decoder for (or cut in its header)
        raise VideoInputError(field, f"not a readable {kind} video: its video stream has no "
                                     "decoder here (cut short, or a codec FFmpeg lacks)")
    width, height = stream.codec_context.width, stream.codec_context.height
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise VideoInputError(field, f"not a readable video: its header gives frames of "
                                     f"{width}x{height}")
    if width * height > limits.max_pixels:
        raise VideoInputError(field, f"frames are {width}x{height}, over the "
                                     f"{limits.max_pixels:,}-pixel limit")
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 0.0
    if not 0 < fps <= MAX_FPS:
        raise VideoInputError(field, f"not a readable video: its header gives {_decimal(fps)} "
                                     f"frames per second (at most {MAX_FPS:g})")
    announced = _announced_seconds(container, stream)
    if announced is not None and announced > limits.max_seconds:
        raise VideoInputError(field, f"video is {announced:.1f} s long, over the "
                                     f"{limits.max_seconds:g} s limit")
    if stream.frames > limits.max_frames:
        raise VideoInputError(field, f"video has {stream.frames} frames, over the "
                                     f"{limits.max_frames} frame limit")
    frames, covered, ends = _read_packets(container, stream, field, kind, limits)
    if frames == 0:
        raise VideoInputError(field, f"the {kind} file holds no video frames")
    if stream.frames and frames < stream.frames:
        raise VideoInputError(field, f"the {kind} file is cut short (its header announces "
                                     f"{stream.frames} frames, {frames} "
                                     f"{'is' if frames == 1 else 'are'} there)")
    container_seconds = (container.duration / _AV_TIME_BASE
                         if container.duration and container.duration > 0 else None)
    slack = _SHORT_SLACK_FRAMES / fps + _SHORT_SLACK_S
    if container_seconds is not None and max(ends, default=0.0) + slack < container_seconds:
        raise VideoInputError(field, f"the {kind} file is cut short (its header announces "
                                     f"{container_seconds:.2f} s, its packets end at "
                                     f"{max(ends, default=0.0):.2f} s)")
    _decode_first_frame(container, field, kind)
    duration = covered if covered > 0 else frames / fps
    return VideoData(data=data, container=kind, codec=stream.codec_context.name, width=width,
                     height=height, fps=fps, frames=frames, duration=duration,
                     has_audio=bool(container.streams.audio))


def _decimal(number: float) -> str:
    """``number`` without an exponent or trailing zeros: ``10000000``, ``29.97``."""
    return f"{number:.3f}".rstrip("0").rstrip(".")


def _announced_seconds(container: av.container.InputContainer,
                       stream: av.stream.Stream) -> float | None:
    """The length the header announces: the video stream's own, else the container's."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / _AV_TIME_BASE
    return None


def _read_packets(container: av.container.InputContainer, stream: av.stream.Stream, field: str,
                  kind: str, limits: VideoLimits) -> tuple[int, float, list[float]]:
    """Read every packet of every stream without decoding: ``(video frames, seconds the video
    packets cover, where each stream's packets end in seconds)``. Stops with an error past a
    cap, so a header that lied about its length costs no more than the caps allow."""
    frames = 0
    others = 0
    other_cap = int(limits.max_seconds * _MAX_OTHER_PACKETS_PER_S) + 1
    first: Fraction | None = None
    ends: dict[int, Fraction] = {}
    try:
        for packet in container.demux():
            if packet.size == 0 or packet.pts is None or packet.time_base is None:
                continue  # a flush packet, or one without a time: nothing to measure
            start = packet.pts * packet.time_base
            end = start + (packet.duration or 0) * packet.time_base
            index = packet.stream.index
            ends[index] = max(ends.get(index, end), end)
            if packet.stream is not stream:
                others += 1
                if others > other_cap:
                    raise VideoInputError(field, f"the {kind} file holds more packets than "
                                                 f"{limits.max_seconds:g} s of media would")
                continue
            frames += 1
            first = start if first is None else min(first, start)
            if frames > limits.max_frames:
                raise VideoInputError(field, f"video has more than {limits.max_frames} frames "
                                             "(the limit)")
            if float(ends[index] - first) > limits.max_seconds:
                raise VideoInputError(field, f"video is longer than the "
                                             f"{limits.max_seconds:g} s limit")
    except VideoInputError:
        raise
    except Exception as exc:  # PyAV raises FFmpeg's errors as many built-in types
        raise VideoInputError(field, f"the {kind} file is damaged or cut short: its packets "
                                     f"cannot be read ({type(exc).__name__})") from exc
    covered = float(ends.get(stream.index, Fraction(0)) - (first or 0))
    return frames, covered, [float(end) for end in ends.values()]


def _decode_first_frame(container: av.container.InputContainer, field: str, kind: str) -> None:
    """Decode one frame from the start: proves the codec is one FFmpeg decodes and the data is
    not noise in a valid container."""
    try:
        container.seek(0)
        for _frame in container.decode(video=0):
            return
    except Exception as exc:  # PyAV raises FFmpeg's errors as many built-in types
        raise VideoInputError(field, f"the {kind} file's first frame cannot be decoded "
                                     f"({type(exc).__name__})") from exc
    raise VideoInputError(field, f"the {kind} file's first frame cannot be decoded")


def video_from_base64(text: str, *, field: str = "video_base64",
                      limits: VideoLimits = VideoLimits()) -> VideoData:
    """Decode base64 or a ``data:video/...;base64,`` URI into a checked video.

    ``limits.max_bytes`` counts decoded bytes and is checked before decoding (see
    :func:`ltx2sdk.media.inline_data.decode_base64`).
    """
    data = decode_base64(text, field=field, max_bytes=limits.max_bytes, label="video",
                         error=VideoInputError)
    return decode_video(data, field, limits)


def fetch_video(url: str, *, field: str = "video_url", limits: VideoLimits = VideoLimits(),
                timeout: float = DEFAULT_FETCH_TIMEOUT_S, trusted_hosts: Collection[str] = (),
                ssl_context: ssl.SSLContext | None = None) -> VideoData:
    """Download ``url`` and check it is a video (see the module docstring for the rules).

    At most ``limits.max_bytes`` on the wire and ``timeout`` seconds for the whole fetch
    (every redirect, slow bodies included), through :func:`ltx2sdk.media.safe_fetch.fetch`:
    public addresses only, except ``trusted_hosts``. ``ssl_context`` replaces the default
    certificate-verifying one.
    """
    try:
        fetched = safe_http.fetch(url, max_bytes=limits.max_bytes, timeout=timeout,
                                  trusted_hosts=trusted_hosts,
                                  max_redirects=safe_http.DEFAULT_MAX_REDIRECTS,
                                  content_types=VIDEO_CONTENT_TYPES, label="video",
                                  ssl_context=ssl_context)
    except FetchError as exc:
        raise VideoInputError(field, str(exc)) from exc
    return decode_video(fetched.data, field, limits)
