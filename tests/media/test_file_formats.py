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
    audio.write_bytes(b"\x00\x00\x00\x10ftypM4A \x00\x00\x00\x00")  # one whole ftyp box
    verify_file(audio)  # a whole ISO file
    with pytest.raises(FileContentError, match="a video was expected"):
        verify_file(audio, video=True)
