"""Real video files for tests, encoded here by FFmpeg's own encoders through PyAV.

Small (64x48, a second or two) so that making one takes milliseconds; each frame is a flat
grey of its own level, so frames differ and the encoders cannot drop any.
"""

from __future__ import annotations

import io
import os
import tempfile
from fractions import Fraction

import av

CODECS = {"mp4": "libx264", "mov": "libx264", "webm": "libvpx-vp9", "mkv": "libx264",
          "avi": "mpeg4"}
MUXERS = {"mp4": "mp4", "mov": "mov", "webm": "webm", "mkv": "matroska", "avi": "avi"}


def make_video(container: str = "mp4", *, frames: int = 49, fps: int = 24,
               size: tuple[int, int] = (64, 48), audio: bool = False) -> bytes:
    """An encoded video of ``frames`` frames at ``fps``; ``audio`` adds a silent AAC (or Opus,
    in WebM) track as long as the video. MP4 and MOV have their index first (faststart), as
    files prepared for the web do, so that cutting them short leaves an index that says so."""
    width, height = size
    handle, path = tempfile.mkstemp(suffix=f".{container}")
    os.close(handle)
    try:
        options = {"movflags": "faststart"} if container in ("mp4", "mov") else {}
        with av.open(path, "w", format=MUXERS[container], options=options) as output:
            video = output.add_stream(CODECS[container], rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            sound = output.add_stream("libopus" if container == "webm" else "aac",
                                      rate=48000) if audio else None
            for index in range(frames):
                frame = av.VideoFrame(width, height, "rgb24")
                frame.planes[0].update(bytes([index * 5 % 256]) * frame.planes[0].buffer_size)
                output.mux(video.encode(frame))
            output.mux(video.encode(None))
            if sound is not None:
                _silence(output, sound, frames / fps)
        with open(path, "rb") as made:
            return made.read()
    finally:
        os.remove(path)


def _silence(output: av.container.OutputContainer, stream: av.audio.stream.AudioStream,
             seconds: float) -> None:
    chunk = 960  # Opus's 20 ms at 48 kHz; AAC takes any size
    for index in range(int(seconds * 48000) // chunk):
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=chunk)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = 48000
        frame.pts = index * chunk
        frame.time_base = Fraction(1, 48000)
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))


def raw_avi(frames: int = 9, fps: int = 24, size: tuple[int, int] = (64, 48)) -> bytes:
    """An AVI of uncompressed frames: its frame size is known only from its header (there is
    no bitstream to contradict it), which makes it the file to give a lying header."""
    width, height = size
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="avi") as output:
        stream = output.add_stream("rawvideo", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "bgr24"
        for index in range(frames):
            frame = av.VideoFrame(width, height, "bgr24")
            frame.planes[0].update(bytes([index]) * frame.planes[0].buffer_size)
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()
