"""One definition of "a video": names, content types and first bytes, and whole files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx2sdk.errors import FileContentError
from ltx2sdk.media.file_formats import (
    SNIFF_BYTES,
    VIDEO_SIGNATURES,
    is_video_content_type,
    is_video_name,
    verify_file,
    video_extension_of,
)

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81"


@pytest.mark.parametrize(("name", "video"), [
    ("fox.mp4", True), ("FOX.MOV", True), ("a.b.webm", True), ("x.mkv", True), ("x.m4v", True),
    ("x.gif", True), ("x.m4a", False), ("x.png", False), ("mp4", False), ("x.mp4.png", False),
])
def test_a_video_by_its_name(name: str, video: bool) -> None:
    assert is_video_name(name) is video


@pytest.mark.parametrize(("content_type", "video"), [
    ("video/mp4", True), ("Video/WebM; codecs=vp9", True), ("image/png", False),
    ("application/octet-stream", False), ("", False),
])
def test_a_video_by_its_content_type(content_type: str, video: bool) -> None:
    assert is_video_content_type(content_type) is video


def test_a_video_by_its_first_bytes() -> None:
    assert video_extension_of(MP4_HEAD) == ".mp4"
    assert video_extension_of(WEBM_HEAD) == ".webm"
    assert video_extension_of(b"\x89PNG\r\n\x1a\n" + bytes(8)) is None
    assert video_extension_of(b"") is None
    assert all(offset + len(magic) <= SNIFF_BYTES for offset, magic, _ in VIDEO_SIGNATURES)


def test_an_audio_file_is_not_a_video(tmp_path: Path) -> None:
    audio = tmp_path / "voice.m4a"
    audio.write_bytes(b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00"  # ftyp, then an index
                      b"\x00\x00\x00\x08moov")
    verify_file(audio)  # a whole ISO file
    with pytest.raises(FileContentError, match="a video was expected"):
        verify_file(audio, video=True)


FTYP = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41"
MOOV = b"\x00\x00\x00\x10moov" + b"\x00\x00\x00\x08mvhd"  # an index holding one (empty) box
MDAT = b"\x00\x00\x00\x0cmdat\x00\x00\x00\x00"
REAL_MP4S = sorted({*Path(__file__).parents[1].glob("fixtures/protocol/*/files/*.mp4"),
                    *Path("/work/shared/comfyui/protocol").glob("*/**/*.mp4")})


@pytest.mark.parametrize("data", [
    FTYP + b"\x00\x00\x00\x08free" + MDAT,  # the media data, cut before its index
    b"\x00\x00\x00\x08free",  # a lone free box
    FTYP + b"\x00\x00\x00\x00mdat" + b"garbage",  # what an ffmpeg that died leaves
    FTYP + b"\x00\x00\x00\x00moov" + b"garbage",  # an index that runs to an end it may lack
    FTYP + MDAT,
], ids=["no-moov", "lone-free", "size-0-mdat", "size-0-moov", "ftyp-mdat"])
def test_an_mp4_without_a_whole_index_is_not_a_video(tmp_path: Path, data: bytes) -> None:
    video = tmp_path / "cut.mp4"
    video.write_bytes(data)
    with pytest.raises(FileContentError, match="moov"):
        verify_file(video, video=True)


def test_an_index_first_or_last_and_a_box_to_the_end_after_it_pass(tmp_path: Path) -> None:
    for data in (FTYP + MOOV + MDAT, FTYP + MDAT + MOOV,
                 FTYP + MOOV + b"\x00\x00\x00\x00mdat" + bytes(100)):  # mdat to the end
        video = tmp_path / "whole.mp4"
        video.write_bytes(data)
        verify_file(video, video=True)


def test_real_encoders_mp4s_pass(tmp_path: Path) -> None:
    assert len(REAL_MP4S) >= 4, REAL_MP4S
    for path in REAL_MP4S:
        verify_file(path, video=True)


def test_an_audio_iso_file_needs_its_index_too(tmp_path: Path) -> None:
    audio = tmp_path / "voice.m4a"
    audio.write_bytes(b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00" + MOOV + MDAT)
    verify_file(audio)
    audio.write_bytes(b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00" + MDAT)
    with pytest.raises(FileContentError, match="moov"):
        verify_file(audio)
