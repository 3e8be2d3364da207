"""Input audio for ia2v (ltx2sdk.media.audio): real files decoded and measured, bad ones refused.

The files are real: WAV written here by the standard library's ``wave``, MP3, FLAC and Ogg
(Vorbis, Opus) made once by real encoders (``tests/fixtures/audio/make_fixtures.py``). No test
sends traffic off loopback: resolution and connections are patched (``tests.helpers.FakeNet``)
so that a made-up public address reaches a loopback server, and SSRF refusals are proven by
what was looked up and connected to, and by a "secret" loopback server that must see no
request.
"""

from __future__ import annotations

import base64
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.generate import InputPolicy, prepare_audio, prepare_inputs
from ltx2sdk.errors import AudioInputError, ImageInputError, InputFileError, LTX2Error
from ltx2sdk.media.audio import (
    DEFAULT_MAX_AUDIO_BYTES,
    DEFAULT_MAX_AUDIO_SECONDS,
    AudioData,
    audio_from_base64,
    decode_audio,
    fetch_audio,
)
from ltx2sdk.request import GenerationRequest
from ltx2sdk.vocabulary import AUDIO
from tests.helpers import (
    AUDIO_FIXTURES,
    FakeNet,
    ImageServer,
    patch_network,
    png_bytes,
    redirect,
    reply,
    wav_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "93.184.216.34"  # a global address; never really reached: routed to loopback
MP3 = AUDIO_FIXTURES / "tone_1s_44k_stereo.mp3"
FLAC = AUDIO_FIXTURES / "tone_1s_16k_mono.flac"
OGG = AUDIO_FIXTURES / "tone_1s_22k_mono.ogg"
OPUS = AUDIO_FIXTURES / "tone_1s_48k_mono.opus.ogg"
SILENCE_10_MIN = AUDIO_FIXTURES / "silence_10min_16k_mono.flac"
NOT_READABLE = "not a readable audio file (wav, mp3, flac or ogg)"


@pytest.fixture(autouse=True)
def net(monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    return patch_network(monkeypatch)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- real files of every format: decoded to the last sample, measured -------------------------


@pytest.mark.parametrize(("data", "kind", "seconds", "rate", "channels"), [
    (wav_bytes(1.0, 16000, 1, 2), "wav", 1.0, 16000, 1),
    (wav_bytes(0.5, 8000, 2, 1), "wav", 0.5, 8000, 2),  # 8-bit, unsigned
    (wav_bytes(0.25, 48000, 2, 3), "wav", 0.25, 48000, 2),  # 24-bit
    (wav_bytes(2.0, 44100, 1, 4), "wav", 2.0, 44100, 1),  # 32-bit
    (MP3.read_bytes(), "mp3", 1.0, 44100, 2),
    (FLAC.read_bytes(), "flac", 1.0, 16000, 1),
    (OGG.read_bytes(), "ogg", 1.0, 22050, 1),
], ids=["wav16", "wav8", "wav24", "wav32", "mp3", "flac", "ogg-vorbis"])
def test_every_format_is_decoded_and_measured(data: bytes, kind: str, seconds: float,
                                              rate: int, channels: int) -> None:
    audio = decode_audio(data, "audio_url")
    assert (audio.format, audio.extension, audio.sample_rate, audio.channels) == (
        kind, kind, rate, channels)
    assert audio.duration == pytest.approx(seconds, abs=1e-9)
    assert audio.data == data  # uploaded as it came
    assert audio.filename("ltx2sdk_x") == f"ltx2sdk_x.{kind}"
    assert "data" not in repr(audio)  # logs show what it is, not megabytes of it


def test_the_length_is_what_decodes_not_what_a_header_says() -> None:
    """A WAV written by a program that could not go back to fill its sizes in (0xFFFFFFFF):
    its length comes from its samples."""
    data = bytearray(wav_bytes(1.5))
    data[4:8] = data[40:44] = b"\xff\xff\xff\xff"  # the RIFF and data chunk sizes
    assert decode_audio(bytes(data), "audio").duration == 1.5


def test_a_long_silence_announced_in_its_header_is_refused_before_decoding(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """28 kB of FLAC that would decode to ten minutes: refused by its header's length."""
    import miniaudio

    def stream_memory(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise AssertionError("decoded a file whose header is over the limit")

    monkeypatch.setattr(miniaudio, "stream_memory", stream_memory)
    with pytest.raises(AudioInputError, match=r"^audio_url: audio is 600\.0 s long, over the "
                                              r"60 s limit$"):
        decode_audio(SILENCE_10_MIN.read_bytes(), "audio_url")
    with pytest.raises(AudioInputError, match=r"audio is 2\.0 s long, over the 1\.5 s limit"):
        decode_audio(wav_bytes(2.0), "audio_base64", max_seconds=1.5)


def test_a_long_silence_that_hides_its_length_is_cut_off_while_decoding(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The same FLAC with its STREAMINFO sample count zeroed ("unknown"): decoding stops just
    past the limit, chunk by chunk, instead of producing ten minutes of samples."""
    import miniaudio

    data = bytearray(SILENCE_10_MIN.read_bytes())
    assert data[:4] == b"fLaC"
    data[21] &= 0xF0  # the 36-bit total sample count: the low 4 bits of byte 21, bytes 22-25
    data[22:26] = bytes(4)
    assert miniaudio.flac_get_info(bytes(data)).num_frames == 0
    decoded: list[int] = []
    real_stream = miniaudio.stream_memory

    def counting_stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for chunk in real_stream(*args, **kwargs):
            decoded.append(len(chunk))
            yield chunk

    monkeypatch.setattr(miniaudio, "stream_memory", counting_stream)
    with pytest.raises(AudioInputError, match=r"^audio: audio is longer than the 60 s limit$"):
        decode_audio(bytes(data), "audio")
    assert 60 * 16000 < sum(decoded) <= 60 * 16000 + 16384  # one chunk past it, not 600 s


# --- not audio, damaged, empty ------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    (b"", "not a readable audio file (it is empty)"),
    (b"these are words, not sound\n" * 40, NOT_READABLE),
    (png_bytes(), NOT_READABLE),
    (random.Random(7).randbytes(40_000), NOT_READABLE),
    (b"\xff\xfb" + random.Random(8).randbytes(40_000), f"{NOT_READABLE}: the MP3 decoder"),
    (b"RIFF\x24\x00\x00\x00WAVEjunk" + bytes(28), f"{NOT_READABLE}: the WAV decoder"),
    (OPUS.read_bytes(), f"{NOT_READABLE}: Ogg Opus is not read, only Ogg Vorbis"),
    (b"\x00\x00\x00\x20ftypM4A " + bytes(100), f"{NOT_READABLE}: an MP4/M4A file is not read"),
    (b"FORM\x00\x00\x00\x40AIFFCOMM" + bytes(60), f"{NOT_READABLE}: AIFF is not read"),
    (wav_bytes(0.0), "the WAV file holds no sound (0 s long)"),
], ids=["empty", "text", "png", "random", "mp3-sync-then-noise", "wav-header-only-junk",
        "ogg-opus", "m4a", "aiff", "wav-of-no-samples"])
def test_what_is_not_usable_audio_is_refused_naming_the_field(data: bytes,
                                                              message: str) -> None:
    with pytest.raises(AudioInputError) as caught:
        decode_audio(data, "audio_url")
    assert str(caught.value).startswith(f"audio_url: {message}")
    assert caught.value.field == "audio_url"


def _cut(path_or_data: Path | bytes, keep: float) -> bytes:
    data = path_or_data.read_bytes() if isinstance(path_or_data, Path) else path_or_data
    return data[:int(len(data) * keep)]


@pytest.mark.parametrize(("data", "message"), [
    (_cut(wav_bytes(2.0), 0.5), "the WAV file is cut short (its header announces 64044 bytes, "
                                "there are 32022)"),
    (wav_bytes(2.0)[:30], "the WAV file is cut short"),
    (_cut(MP3, 0.5), "the MP3 file is cut short (its header announces 1.00 s, 0.45 s decode)"),
    (_cut(FLAC, 0.75), "the FLAC file is cut short (its header announces 1.00 s"),
    (FLAC.read_bytes()[:-1], "the FLAC file is cut short (its header announces 1.00 s"),
    (_cut(OGG, 0.75), "the Ogg Vorbis file is cut short (its last page is incomplete)"),
    (OGG.read_bytes()[:-1], "the Ogg Vorbis file is cut short"),
], ids=["wav-half", "wav-30-bytes", "mp3-half", "flac-three-quarters", "flac-last-byte",
        "ogg-three-quarters", "ogg-last-byte"])
def test_a_truncated_file_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(AudioInputError) as caught:
        audio_from_base64(b64(data))
    assert str(caught.value).startswith(f"audio_base64: {message}")


def _wav_declaring(data_bytes: int, riff_size: int | None) -> bytes:
    """A 16 kHz mono WAV holding 4 KiB of samples whose data chunk declares ``data_bytes``;
    its RIFF size is the file's (``None``), or 0 / 0xFFFFFFFF as a streaming writer leaves it."""
    real = wav_bytes(4096 / 32000)
    at = real.index(b"data")
    data = real[:at + 4] + data_bytes.to_bytes(4, "little") + real[at + 8:]
    size = len(data) - 8 if riff_size is None else riff_size
    return data[:4] + size.to_bytes(4, "little") + data[8:]


@pytest.mark.parametrize("riff_size", [None, 0, 0xFFFFFFFF], ids=["riff-right", "riff-0",
                                                                   "riff-ffffffff"])
def test_a_wav_whose_data_chunk_announces_more_than_it_holds_is_refused(
        riff_size: int | None) -> None:
    """3.8 hours announced, 4 KiB there: the decoder stops at the end of the bytes and would
    call it 0.13 s; the header's length disagrees with what decodes, so the file is cut."""
    announced = int(3.8 * 3600 * 32000)
    with pytest.raises(AudioInputError) as caught:
        decode_audio(_wav_declaring(announced, riff_size), "audio")
    assert str(caught.value) == (f"audio: the WAV file is cut short (its data chunk announces "
                                 f"{announced} bytes, there are 4096)")


def test_an_ogg_stream_that_ends_without_its_last_page_is_refused() -> None:
    """Cut exactly at a page boundary (every page whole): the end-of-stream page is missing."""
    data = OGG.read_bytes()
    last = data.rfind(b"OggS")
    with pytest.raises(AudioInputError,
                       match=r"cut short \(it ends before the end of its stream\)$"):
        decode_audio(data[:last], "audio")


def test_a_decoder_failure_is_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    import miniaudio

    def failing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        raise miniaudio.DecodeError("failed to init decoder")

    monkeypatch.setattr(miniaudio, "stream_memory", failing)
    with pytest.raises(AudioInputError, match=re.escape(f"{NOT_READABLE}: the FLAC decoder")):
        decode_audio(FLAC.read_bytes(), "audio")


# --- base64: size counted before decoding ---------------------------------------------------


def test_base64_and_data_uris_are_accepted() -> None:
    data = MP3.read_bytes()
    wrapped = "\n".join(b64(data)[i:i + 76] for i in range(0, len(b64(data)), 76))
    for text in (b64(data), f"data:audio/mpeg;base64,{wrapped}\n", b64(data).rstrip("=")):
        audio = audio_from_base64(text, max_bytes=len(data))
        assert (audio.format, audio.data) == ("mp3", data)


def test_base64_over_the_size_limit_is_refused_before_decoding(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = wav_bytes(1.0)
    with pytest.raises(AudioInputError, match=r"^audio_base64: audio file is larger than the "
                                              r"10 KiB limit$"):
        audio_from_base64(b64(data), max_bytes=10 * 1024)

    def decode(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("decoded an oversized payload")

    monkeypatch.setattr(base64, "b64decode", decode)
    with pytest.raises(AudioInputError, match="larger than the 20 MiB limit"):
        audio_from_base64("QUFB" * (DEFAULT_MAX_AUDIO_BYTES // 3 + 1))


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "the audio file is empty"),
    ("data:audio/wav,RIFF", "data URI must be base64-encoded"),
    ("A", "not valid base64 (its length is not possible)"),
    ("!!!!", "not valid base64"),
])
def test_bad_base64_is_refused_naming_the_field(text: str, fragment: str) -> None:
    with pytest.raises(AudioInputError, match=f"^audio_base64: {re.escape(fragment)}"):
        audio_from_base64(text)


# --- URLs: SSRF-safe like images ------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ImageServer]:
    srv = ImageServer()
    srv.routes.update({
        "/voice.mp3": reply(200, {"Content-Type": "audio/mpeg"}, MP3.read_bytes()),
        "/voice.wav": reply(200, {"Content-Type": "audio/wav"}, wav_bytes(1.25)),
        "/voice.ogg": reply(200, {"Content-Type": "application/ogg"}, OGG.read_bytes()),
        "/s3-object": reply(200, {"Content-Type": "binary/octet-stream"}, FLAC.read_bytes()),
        "/page": reply(200, {"Content-Type": "text/html"}, b"<html>not audio</html>"),
        "/fake.mp3": reply(200, {"Content-Type": "audio/mpeg"}, b"not really an mp3"),
        "/big.wav": reply(200, {"Content-Type": "audio/wav"}, wav_bytes(2.0)),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data"),
        "/to-loopback": redirect("http://127.0.0.1:9/voice.wav"),
    })
    yield srv
    srv.close()


@pytest.fixture
def secret() -> Iterator[ImageServer]:
    """An internal service on loopback that no test may reach."""
    srv = ImageServer()
    srv.routes["/voice.wav"] = reply(200, {"Content-Type": "audio/wav"}, wav_bytes(1.0))
    yield srv
    srv.close()
    assert srv.requests == [], f"a request reached the internal server: {srv.requests}"


@pytest.mark.parametrize(("path", "kind", "seconds"), [
    ("/voice.mp3", "mp3", 1.0), ("/voice.wav", "wav", 1.25), ("/voice.ogg", "ogg", 1.0),
    ("/s3-object", "flac", 1.0)])
def test_a_public_url_is_fetched_and_checked(net: FakeNet, server: ImageServer, path: str,
                                             kind: str, seconds: float) -> None:
    net.name("voices.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    audio = fetch_audio(f"http://voices.test{path}")
    assert (audio.format, audio.duration) == (kind, pytest.approx(seconds))
    assert net.connects == [(PUBLIC, 80)]
    assert server.requests == [(path, "voices.test")]


@pytest.mark.parametrize(("path", "fragment"), [
    ("/page", "expected an audio file, the server sent text/html"),
    ("/fake.mp3", NOT_READABLE),
    ("/missing", "the server answered HTTP 404"),
])
def test_what_a_url_serves_must_be_audio(net: FakeNet, server: ImageServer, path: str,
                                         fragment: str) -> None:
    net.name("voices.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    with pytest.raises(AudioInputError, match=f"^audio_url: {re.escape(fragment)}"):
        fetch_audio(f"http://voices.test{path}")


def test_a_url_over_the_size_limit_is_refused_by_its_length(net: FakeNet,
                                                            server: ImageServer) -> None:
    net.name("voices.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    with pytest.raises(AudioInputError, match=r"^audio_url: audio file is larger than the "
                                              r"29\.3 KiB limit \(Content-Length 64044\)$"):
        fetch_audio("http://voices.test/big.wav", max_bytes=30_000)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1",
                                     "192.168.1.20", "fd00::1"])
def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(
        net: FakeNet, address: str) -> None:
    net.name("inside.test", [address])
    with pytest.raises(AudioInputError, match=r"^audio_url: .*non-public address") as caught:
        fetch_audio("http://inside.test/voice.wav")
    assert caught.value.field == "audio_url"
    assert net.lookups == ["inside.test"] and net.connects == []


def test_a_private_literal_is_refused_and_the_service_never_asked(net: FakeNet,
                                                                  secret: ImageServer) -> None:
    for url in (f"http://127.0.0.1:{secret.port}/voice.wav",
                f"http://[::ffff:127.0.0.1]:{secret.port}/voice.wav",
                "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(AudioInputError, match="non-public address"):
            fetch_audio(url, field="audio_url")
    assert net.connects == []


@pytest.mark.parametrize("path", ["/to-metadata", "/to-loopback"])
def test_a_redirect_to_a_private_address_is_refused(net: FakeNet, server: ImageServer,
                                                   path: str) -> None:
    net.name("voices.test", [PUBLIC])
    net.route(PUBLIC, 80, server.port)
    with pytest.raises(AudioInputError, match="non-public address"):
        fetch_audio(f"http://voices.test{path}")
    assert net.connects == [(PUBLIC, 80)]  # the redirect target was never connected to


def test_trusted_hosts_are_exempt_and_only_they(server: ImageServer) -> None:
    url = f"{server.base}/voice.wav"
    with pytest.raises(AudioInputError, match=r"non-public address 127\.0\.0\.1"):
        fetch_audio(url)
    assert fetch_audio(url, trusted_hosts=("127.0.0.1",)).duration == 1.25


# --- the policy generate() and the worker apply -----------------------------------------------


def test_the_policy_carries_the_audio_caps() -> None:
    policy = InputPolicy()
    assert (policy.max_audio_bytes, policy.max_audio_seconds) == (
        DEFAULT_MAX_AUDIO_BYTES, DEFAULT_MAX_AUDIO_SECONDS) == (20 * 1024 * 1024, 60.0)


@pytest.mark.parametrize("changes", [{"max_audio_seconds": 0}, {"max_audio_seconds": -1.0},
                                     {"max_audio_seconds": float("nan")},
                                     {"max_audio_seconds": float("inf")},
                                     {"max_audio_bytes": 0}, {"max_audio_bytes": 1.5},
                                     {"max_audio_bytes": True}])
def test_the_policy_refuses_nonsense_audio_caps(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=rf"^InputPolicy\.{next(iter(changes))} must be"):
        InputPolicy(**changes)


def _ia2v(**audio: str) -> GenerationRequest:
    return GenerationRequest(prompt="p", model="ltx-2.3", type="ia2v", image="face.png",
                             **audio)


def test_prepare_audio_applies_the_policys_caps(server: ImageServer) -> None:
    data = b64(FLAC.read_bytes())
    assert prepare_audio(_ia2v(audio_base64=data), InputPolicy()) is not None
    with pytest.raises(AudioInputError, match=r"^audio_base64: audio is 1\.0 s long, over the "
                                              r"0\.5 s limit"):
        prepare_audio(_ia2v(audio_base64=data), InputPolicy(max_audio_seconds=0.5))
    with pytest.raises(AudioInputError, match=r"^audio_base64: audio file is larger than"):
        prepare_audio(_ia2v(audio_base64=data), InputPolicy(max_audio_bytes=1000))
    # the image caps are not the audio's
    assert prepare_audio(_ia2v(audio_base64=data), InputPolicy(max_bytes=10)) is not None
    url = f"{server.base}/voice.wav"
    with pytest.raises(AudioInputError, match=r"^audio_url: .*non-public address"):
        prepare_audio(_ia2v(audio_url=url), InputPolicy())
    trusted = InputPolicy(trusted_hosts=("127.0.0.1",))
    fetched = prepare_audio(_ia2v(audio_url=url), trusted)
    assert fetched is not None and fetched.duration == 1.25
    with pytest.raises(AudioInputError, match=r"^audio_url: audio file is larger than"):
        prepare_audio(_ia2v(audio_url=url), InputPolicy(trusted_hosts=("127.0.0.1",),
                                                        max_audio_bytes=1000))
    assert prepare_audio(_ia2v(audio="voice.wav"), InputPolicy()) is None  # a server file


def test_prepare_inputs_checks_the_image_and_the_audio() -> None:
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="ia2v",
                                image_base64=b64(png_bytes()), audio_base64=b64(OGG.read_bytes()))
    inputs = prepare_inputs(request, InputPolicy())
    audio = inputs[AUDIO]
    assert isinstance(audio, AudioData) and audio.format == "ogg"
    bad = request.model_copy(update={"audio_base64": b64(b"no sound here")})
    with pytest.raises(AudioInputError, match=r"^audio_base64: not a readable audio file"):
        prepare_inputs(bad, InputPolicy())


def test_input_errors_share_one_base() -> None:
    for error in (AudioInputError("audio_url", "x"), ImageInputError("image_url", "x")):
        assert isinstance(error, InputFileError) and isinstance(error, ValueError)
        assert isinstance(error, LTX2Error)
    assert str(AudioInputError("audio_url", "too long")) == "audio_url: too long"


# --- importing costs nothing: the decoders load with the first audio -----------------------------


def test_the_decoders_load_with_the_first_audio_only() -> None:
    code = f"""
import json, sys
import ltx2sdk.media.audio, ltx2sdk.app.generate
before = "miniaudio" in sys.modules
ltx2sdk.media.audio.decode_audio(open({str(FLAC)!r}, "rb").read(), "audio")
print(json.dumps([before, "miniaudio" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, True]

