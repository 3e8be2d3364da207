"""Input videos (ltx2sdk.media.video): real files demuxed and measured, broken ones refused.

The files are real, encoded here by FFmpeg's encoders (``tests.media.video_files``): MP4 and
MOV (H.264, index first), WebM (VP9), Matroska (H.264) and AVI (MPEG-4 Part 2). Damage is made
by cutting them or by rewriting one header field, as a broken or hostile file would. URLs go
through the safe fetcher with resolution and connections patched (``tests.helpers.FakeNet``):
no traffic leaves loopback.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterator

import pytest

from ltx2sdk.errors import InputFileError, LTX2Error, VideoInputError
from ltx2sdk.media.video import (
    VideoData,
    VideoLimits,
    container_of,
    decode_video,
    fetch_video,
    video_from_base64,
)
from tests.helpers import FakeNet, ImageServer, patch_network, png_bytes, redirect, reply
from tests.media.video_files import make_video, raw_avi

PUBLIC = "93.184.216.34"  # a global address; never really reached: routed to loopback
MP4 = make_video("mp4", frames=49, fps=24)
MP4_AUDIO = make_video("mp4", frames=25, fps=25, audio=True)
WEBM = make_video("webm", frames=33, fps=30, audio=True)
MKV = make_video("mkv", frames=17, fps=24)
AVI = make_video("avi", frames=49, fps=24)


@pytest.fixture(autouse=True)
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    return patch_network(monkeypatch)


# --- real files: every container read, measured from its packets -------------------------------


@pytest.mark.parametrize(("data", "container", "codec", "frames", "fps", "audio"), [
    (MP4, "mp4", "h264", 49, 24, False),
    (MP4_AUDIO, "mp4", "h264", 25, 25, True),
    (make_video("mov", frames=9, fps=24), "mov", "h264", 9, 24, False),
    (WEBM, "webm", "vp9", 33, 30, True),
    (MKV, "mkv", "h264", 17, 24, False),
    (AVI, "avi", "mpeg4", 49, 24, False),
])
def test_every_container_is_demuxed_and_measured(data: bytes, container: str, codec: str,
                                                 frames: int, fps: int, audio: bool) -> None:
    video = decode_video(data, "video_base64")
    assert (video.container, video.codec, video.width, video.height) == (container, codec, 64, 48)
    assert (video.frames, video.fps, video.has_audio) == (frames, fps, audio)
    assert video.duration == pytest.approx(frames / fps, abs=0.001)
    assert video.data == data and video.filename("clip") == f"clip.{container}"


def test_the_size_is_measured_as_encoded() -> None:
    video = decode_video(make_video("mp4", frames=9, size=(96, 160)), "video")
    assert (video.width, video.height) == (96, 160)


def test_the_repr_and_description_leave_the_bytes_out() -> None:
    video = decode_video(MP4_AUDIO, "video")
    assert "data=" not in repr(video)
    assert video.describe() == "mp4 (h264) 64x48, 25 frames at 25 fps, 1.00 s, with audio"


# --- what is not a video, named ---------------------------------------------------------------


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "not a readable video (it is empty)"),
    (b"hello, world" * 20, "not a readable video (mp4, mov, webm, mkv or avi)"),
    (png_bytes(), "not a readable video (mp4, mov, webm, mkv or avi): a PNG image"),
    (b"GIF89a" + bytes(100), "a GIF (give it as an image)"),
    (b"#EXTM3U\n#EXT-X-VERSION:3\nhttp://169.254.169.254/x.ts\n", "an HLS playlist"),
    (b"ffconcat version 1.0\nfile /etc/passwd\n", "an FFmpeg concat list"),
    (b"\x00\x00\x00\x18ftypisom" + bytes(200), "the demuxer cannot open it"),
    (b"\x1a\x45\xdf\xa3" + bytes(200), "the demuxer cannot open it"),
])
def test_what_is_not_a_video_is_refused_naming_the_field(data: bytes, fragment: str) -> None:
    with pytest.raises(VideoInputError, match=f"^video_url: .*{re.escape(fragment)}") as caught:
        decode_video(data, "video_url")
    assert caught.value.field == "video_url"
    assert isinstance(caught.value, InputFileError) and isinstance(caught.value, ValueError)


def test_an_audio_only_file_is_not_a_video() -> None:
    with pytest.raises(VideoInputError, match=r"^video: the webm file holds no video stream "
                                              r"\(only audio\)$"):
        decode_video(_audio_only_webm(), "video")


def _audio_only_webm() -> bytes:
    import io

    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as output:
        stream = output.add_stream("libopus", rate=48000)
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=960)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate, frame.pts = 48000, 0
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


# --- cut short ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [MP4, WEBM, MKV, AVI, MP4_AUDIO],
                         ids=["mp4", "webm", "mkv", "avi", "mp4+audio"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_file_cut_short_is_refused(data: bytes, keep: float) -> None:
    with pytest.raises(VideoInputError, match=r"^video_base64: .*(cut short|cannot be decoded"
                                              r"|holds no video|damaged)"):
        decode_video(data[:int(len(data) * keep)], "video_base64")


def test_an_mp4_cut_in_its_frames_says_how_many_are_missing() -> None:
    with pytest.raises(VideoInputError, match=r"^video: the mp4 file is cut short \(its header "
                                              r"announces 49 frames, \d+ are there\)$"):
        decode_video(MP4[:int(len(MP4) * 0.9)], "video")


def test_a_webm_cut_in_its_clusters_says_how_long_it_should_be() -> None:
    with pytest.raises(VideoInputError, match=r"^video: the webm file is cut short \(its header "
                                              r"announces 1\.\d\d s, its packets end at "):
        decode_video(WEBM[:int(len(WEBM) * 0.7)], "video")


# --- headers that lie: refused before a packet is read ------------------------------------------


def _patch_box(data: bytes, box: bytes, offset: int, fmt: str, value: int) -> bytes:
    """``data`` with the field at ``offset`` bytes into ``box``'s body rewritten."""
    at = data.index(box) + 4 + offset
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt):]


def test_a_header_announcing_hours_is_refused_before_reading_packets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Matroska's Segment Info Duration (id 0x4489, an 8-byte float of milliseconds)
    at = MKV.index(b"\x44\x89\x88") + 3
    liar = MKV[:at] + struct.pack(">d", 3.6e7) + MKV[at + 8:]  # ten hours
    _no_packets_read(monkeypatch)
    with pytest.raises(VideoInputError, match=r"^video: video is 36000\.0 s long, over the "
                                              r"120 s limit$"):
        decode_video(liar, "video")


def test_a_sample_table_claiming_hours_is_stopped_while_reading() -> None:
    # an MP4's header says 2 s (mdhd, edit list) but its sample table (stts: version and
    # flags 4, entries 4, then count 4 and delta 4) makes every frame last ~6 hours
    liar = _patch_box(MP4, b"stts", 12, ">I", 0x10000000)
    with pytest.raises(VideoInputError, match=r"^video: video is longer than the 120 s limit$"):
        decode_video(liar, "video")


def test_an_avi_announcing_an_absurd_frame_rate_is_refused() -> None:
    # strh: size 4, type 4, handler 4, flags 4, priority 2, language 2, initial frames 4,
    # scale 4, rate 4
    liar = _patch_box(AVI, b"strh", 24, "<I", 1)
    liar = _patch_box(liar, b"strh", 28, "<I", 10_000_000)
    with pytest.raises(VideoInputError, match=r"^video: not a readable video: its header gives "
                                              r"10000000 frames per second \(at most 240\)$"):
        decode_video(liar, "video")


@pytest.mark.parametrize(("size", "message"), [
    ((100_000, 48), r"not a readable video: its header gives frames of 100000x48"),
    ((5000, 5000), r"frames are 5000x5000, over the 8,294,400-pixel limit"),
])
def test_an_avi_announcing_huge_frames_is_refused_before_reading_packets(
        monkeypatch: pytest.MonkeyPatch, size: tuple[int, int], message: str) -> None:
    # uncompressed frames: the header's BITMAPINFOHEADER (after strf's size: its own size 4,
    # width 4, height 4) is all that gives their size
    liar = _patch_box(raw_avi(), b"strf", 8, "<i", size[0])
    liar = _patch_box(liar, b"strf", 12, "<i", size[1])
    _no_packets_read(monkeypatch)
    with pytest.raises(VideoInputError, match=f"^video: {message}$"):
        decode_video(liar, "video")


def _no_packets_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import av.container

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("packets were read")

    monkeypatch.setattr(av.container.InputContainer, "demux", no_reading)


# --- the caps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("limits", "message"), [
    (VideoLimits(max_bytes=1000), r"video is larger than the 1000 bytes limit"),
    (VideoLimits(max_seconds=1.5), r"video is 2\.0 s long, over the 1\.5 s limit"),
    (VideoLimits(max_frames=40), r"video has 49 frames, over the 40 frame limit"),
    (VideoLimits(max_pixels=64 * 47), r"frames are 64x48, over the 3,008-pixel limit"),
])
def test_each_cap_is_enforced(limits: VideoLimits, message: str) -> None:
    with pytest.raises(VideoInputError, match=f"^video: {message}$"):
        decode_video(MP4, "video", limits)


@pytest.mark.parametrize(("limits", "message"), [
    (VideoLimits(max_frames=10), r"video has more than 10 frames \(the limit\)"),
    (VideoLimits(max_seconds=0.5), r"video is longer than the 0\.5 s limit"),
])
def test_a_length_the_header_hides_is_capped_while_reading(limits: VideoLimits,
                                                           message: str) -> None:
    # a live-style Matroska file states neither frame count nor duration
    hidden = make_video("mkv", frames=30, fps=24)
    with pytest.raises(VideoInputError, match=f"^video: {message}$"):
        decode_video(_drop_matroska_duration(hidden), "video", limits)


def _drop_matroska_duration(data: bytes) -> bytes:
    """``data`` with its Segment Info's Duration element made a Void one, as a muxer that
    streamed the file leaves it: ``44 89 88 <8 bytes>`` becomes ``EC 89 <9 bytes>`` (a Void
    element's id, then its size, 9, in the same byte), so nothing else moves."""
    at = data.index(b"\x44\x89\x88")  # the Duration element: id, size 8
    return data[:at] + b"\xec\x89" + data[at + 2:]


# --- inline and fetched -------------------------------------------------------------------------


def test_base64_and_data_uris_are_accepted() -> None:
    text = base64.b64encode(MP4).decode()
    assert video_from_base64(text).frames == 49
    assert video_from_base64(f"data:video/mp4;base64,{text}").frames == 49


def test_base64_over_the_size_limit_is_refused_before_decoding() -> None:
    with pytest.raises(VideoInputError, match=r"^video_base64: video is larger than"):
        video_from_base64(base64.b64encode(MP4).decode(), limits=VideoLimits(max_bytes=100))


@pytest.fixture
def server() -> Iterator[ImageServer]:
    srv = ImageServer()
    srv.routes.update({
        "/clip.mp4": reply(200, {"Content-Type": "video/mp4"}, MP4),
        "/clip.webm": reply(200, {"Content-Type": "video/webm"}, WEBM),
        "/s3-object": reply(200, {"Content-Type": "binary/octet-stream"}, MKV),
        "/page": reply(200, {"Content-Type": "text/html"}, b"<html>not a video</html>"),
        "/cut.mp4": reply(200, {"Content-Type": "video/mp4"}, MP4[:len(MP4) // 2]),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data"),
        "/to-loopback": redirect("http://127.0.0.1:9/clip.mp4"),
    })
    yield srv
    srv.close()


@pytest.mark.parametrize(("path", "container", "frames"), [
    ("/clip.mp4", "mp4", 49), ("/clip.webm", "webm", 33), ("/s3-object", "mkv", 17)])
def test_a_public_url_is_fetched_and_checked(net: FakeNet, server: ImageServer, path: str,
                                             container: str, frames: int) -> None:
    net.name("clips.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    video = fetch_video(f"http://clips.test{path}")
    assert isinstance(video, VideoData)
    assert (video.container, video.frames) == (container, frames)
    assert server.requests == [(path, "clips.test")]


@pytest.mark.parametrize(("path", "fragment"), [
    ("/page", "expected a video, the server sent text/html"),
    ("/cut.mp4", "cut short"),
    ("/missing", "the server answered HTTP 404"),
    ("/to-metadata", "non-public address"),
    ("/to-loopback", "non-public address"),
])
def test_what_a_url_serves_must_be_a_whole_video_from_a_public_address(
        net: FakeNet, server: ImageServer, path: str, fragment: str) -> None:
    net.name("clips.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    with pytest.raises(VideoInputError, match=f"^video_url: .*{re.escape(fragment)}"):
        fetch_video(f"http://clips.test{path}")
    assert net.connects == [(PUBLIC, 80)]  # a redirect target was never connected to


@pytest.mark.parametrize("url", ["http://127.0.0.1/clip.mp4", "http://[::1]/clip.mp4",
                                 "http://169.254.169.254/latest", "http://10.0.0.1/clip.mp4"])
def test_a_private_literal_is_refused_without_connecting(net: FakeNet, url: str) -> None:
    with pytest.raises(VideoInputError, match="non-public address"):
        fetch_video(url)
    assert net.connects == []


def test_every_refusal_is_an_ltx2_error() -> None:
    assert issubclass(VideoInputError, LTX2Error)


@pytest.mark.parametrize(("head", "expected"), [
    (MP4[:16], "mp4"), (make_video("mov", frames=9)[:16], "mov"), (WEBM[:64], "webm"),
    (MKV[:64], "mkv"), (AVI[:16], "avi")])
def test_the_container_is_told_by_its_first_bytes(head: bytes, expected: str) -> None:
    assert container_of(head) == (expected, "")
