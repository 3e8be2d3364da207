"""generate(), ltx2 generate and ltx2 check against the ComfyUI test server."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from builders import PIPELINES, build
from ltx2sdk import ComfyClient, GenerationRequest, generate
from ltx2sdk.app.cli.main import main
from ltx2sdk.app.generate import InputPolicy
from ltx2sdk.app.progress import ProgressUpdate
from ltx2sdk.backends.uploads import content_stem
from ltx2sdk.errors import (
    AudioInputError,
    ExecutionError,
    ImageInputError,
    LTX2Error,
    OutputExistsError,
    OutputPathError,
    RequestError,
    ServerUnreachableError,
    ServerValidationError,
)
from ltx2sdk.model_files import files_for
from ltx2sdk.vocabulary import BOTH_MODES
from tests.comfyserver import ComfyTestServer
from tests.comfyserver.faults import Faults
from tests.helpers import (
    AUDIO_FIXTURES,
    RELEASES,
    catalog_models,
    catalog_server,
    free_port,
    listed_model_files,
    patch_network,
    png_bytes,
    states_release_in_range,
    wav_bytes,
)


def test_t2v_end_to_end(versioned_server: ComfyTestServer, tmp_path: Path) -> None:
    updates: list[ProgressUpdate] = []
    result = generate(GenerationRequest(prompt="a fox", duration=2, seed=11),
                      versioned_server.url, output=tmp_path / "fox.mp4", output_dir=tmp_path,
                      on_progress=updates.append)
    assert result.video == tmp_path / "fox.mp4" and result.video.stat().st_size > 1000
    assert result.video.read_bytes()[4:8] == b"ftyp"
    meta = result.metadata()
    assert (meta["seed"], meta["frames"], meta["fps"], meta["width"], meta["height"]) == (
        11, 49, 24, 1280, 704)
    assert (meta["model"], meta["mode"], meta["type"], meta["duration"]) == (
        "ltx-2", "fast", "t2v", 2.0)
    assert meta["prompt_id"] == versioned_server.received.prompts[-1]["prompt_id"]
    assert set(meta["timings"]) == {"prepare", "build", "run", "download"}
    posted = versioned_server.received.prompts[-1]["prompt"]
    assert any(n["class_type"] == "SaveVideo" for n in posted.values())
    stages = [u.stage for u in updates]
    assert "Stage 1 sampling" in stages and "Stage 2 sampling" in stages
    percents = [u.percent for u in updates]
    assert percents == sorted(percents) and updates[-1].done and percents[-1] == 100.0


def test_a_request_dict_with_an_image_and_no_type_makes_i2v(ltx_server: ComfyTestServer,
                                                           tmp_path: Path) -> None:
    png = png_bytes()
    result = generate({"prompt": "she smiles", "duration": 1, "seed": 8,
                       "image_base64": base64.b64encode(png).decode()},
                      ltx_server.url, output_dir=tmp_path)
    assert result.metadata()["type"] == "i2v" and len(ltx_server.received.uploads) == 1


@pytest.mark.parametrize("request_fields", [
    {"prompt": "p", "width": 1}, {"promt": "p"}, {"prompt": "p", "model": "ltx-2.5",
                                                   "mode": "pro"}, "a fox", ["prompt"]])
def test_a_bad_request_dict_is_an_ltx2_error_before_any_work(
        request_fields: Any, tmp_path: Path) -> None:
    # no server at this address: refused before it is reached
    with pytest.raises(LTX2Error) as caught:
        generate(request_fields, f"http://127.0.0.1:{free_port()}", output_dir=tmp_path)
    assert isinstance(caught.value, RequestError)
    assert str(caught.value).startswith("invalid request: ")


def test_the_same_image_is_uploaded_once_under_one_name(ltx_server: ComfyTestServer,
                                                       tmp_path: Path) -> None:
    """Issue 21 point 12: every generate uploaded the same image again under a new name."""
    png = png_bytes()
    request = {"prompt": "she smiles", "duration": 1,
               "image_base64": base64.b64encode(png).decode()}
    for _ in range(2):
        generate(request, ltx_server.url, output_dir=tmp_path)
    [upload] = ltx_server.received.uploads  # the second run found it there
    assert upload.name == f"ltx2sdk_{hashlib.sha256(png).hexdigest()[:32]}.png"
    loads = {n["inputs"]["image"] for posted in ltx_server.received.prompts
             for n in posted["prompt"].values() if n["class_type"] == "LoadImage"}
    assert loads == {upload.name}
    other = png_bytes(40, 30)  # other bytes: another name, uploaded
    generate({**request, "image_base64": base64.b64encode(other).decode()}, ltx_server.url,
             output_dir=tmp_path)
    assert [u.sha256 for u in ltx_server.received.uploads] == [
        hashlib.sha256(png).hexdigest(), hashlib.sha256(other).hexdigest()]


def test_i2v_uploads_the_image_under_a_unique_name(versioned_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    png = png_bytes()  # a real PNG, made by Pillow
    result = generate({"prompt": "she smiles", "type": "i2v", "mode": "pro", "duration": 1,
                       "seed": 8, "image_base64": base64.b64encode(png).decode()},
                      versioned_server.url, output_dir=tmp_path)
    [upload] = versioned_server.received.uploads
    assert upload.name.startswith("ltx2sdk_") and upload.name.endswith(".png")
    assert upload.sha256 == hashlib.sha256(png).hexdigest()  # the image itself, unchanged
    [posted] = versioned_server.received.prompts
    loads = [n["inputs"]["image"] for n in posted["prompt"].values()
             if n["class_type"] == "LoadImage"]
    assert loads == [upload.name]
    assert result.video.read_bytes()[4:8] == b"ftyp"
    meta = result.metadata()
    assert (meta["type"], meta["mode"], meta["seed"], meta["frames"], meta["width"],
            meta["height"], meta["prompt_id"]) == ("i2v", "pro", 8, 25, 1280, 704,
                                                   posted["prompt_id"])


FIRST_PNG, LAST_PNG = png_bytes(32, 24), png_bytes(40, 30)  # told apart by their bytes


def flf2v_request(model: str, **changes: Any) -> dict[str, Any]:
    return {"prompt": "a door opens", "model": model, "type": "flf2v", "duration": 1, "seed": 4,
            "image_base64": base64.b64encode(FIRST_PNG).decode(),
            "last_image_base64": base64.b64encode(LAST_PNG).decode(), **changes}


def loaded_images(request: dict[str, Any], prompt: dict[str, Any]) -> dict[str, str]:
    """``{"first": name, "last": name}``: the image each LoadImage of the posted ``prompt``
    loads, its role told by where the same request built offline loads which image."""
    offline = build(GenerationRequest.model_validate(request), image_name="FIRST",
                    last_image_name="LAST").compile()
    roles = {node_id: node["inputs"]["image"].lower() for node_id, node in offline.items()
             if node["class_type"] == "LoadImage"}
    assert sorted(roles.values()) == ["first", "last"]
    assert {k for k, n in prompt.items() if n["class_type"] == "LoadImage"} == set(roles)
    return {role: prompt[node_id]["inputs"]["image"] for node_id, role in roles.items()}


@pytest.mark.parametrize("model", ["ltx-2", "ltx-2.3"])
def test_flf2v_uploads_both_images_under_unique_names(model: str, ltx_server: ComfyTestServer,
                                                      tmp_path: Path) -> None:
    job = flf2v_request(model)
    result = generate(job, ltx_server.url, output_dir=tmp_path)
    first, last = ltx_server.received.uploads
    assert [u.sha256 for u in (first, last)] == [hashlib.sha256(FIRST_PNG).hexdigest(),
                                                 hashlib.sha256(LAST_PNG).hexdigest()]
    for upload in (first, last):
        assert re.fullmatch(r"ltx2sdk_[0-9a-f]{32}\.png", upload.name), upload.name
    assert first.name != last.name
    [posted] = ltx_server.received.prompts
    assert loaded_images(job, posted["prompt"]) == {"first": first.name, "last": last.name}
    assert result.video.read_bytes()[4:8] == b"ftyp"
    assert (result.type, result.seed, result.prompt_id) == ("flf2v", 4, posted["prompt_id"])


def test_flf2v_uses_the_names_a_server_gives_its_uploads(ltx_server: ComfyTestServer,
                                                         tmp_path: Path) -> None:
    """Names taken by other files (each image's content name, with other bytes): the images
    are uploaded anyway, ComfyUI keeps both and names each upload "name (1).png"; the graph
    loads those, with the plan (seed) it was checked with."""
    names = [f"{content_stem(png)}.png" for png in (FIRST_PNG, LAST_PNG)]
    for name in names:
        (ltx_server.input_dir / name).write_bytes(b"other")
    job = flf2v_request("ltx-2.3")
    job.pop("seed")  # drawn once: the graph built again for the new names keeps it
    result = generate(job, ltx_server.url, output_dir=tmp_path)
    first, last = ltx_server.received.uploads
    assert (first.name, last.name) == tuple(name.replace(".png", " (1).png") for name in names)
    [posted] = ltx_server.received.prompts
    assert loaded_images({**job, "seed": result.seed}, posted["prompt"]) == {
        "first": first.name, "last": last.name}
    seeds = {n["inputs"]["noise_seed"] for n in posted["prompt"].values()
             if n["class_type"] == "RandomNoise"}
    assert seeds == {result.seed}


def test_a_private_last_image_url_fails_naming_it_before_anything_is_sent(
        ltx_server: ComfyTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host name that resolves to a private address (resolution patched as in
    test_image_fetch.py: no traffic leaves this machine) is refused: no upload, no prompt."""
    net = patch_network(monkeypatch)
    net.name("frames.example", ["10.0.0.7"])
    job = flf2v_request("ltx-2.3", last_image_base64=None,
                        last_image_url="http://frames.example/last.png")
    with pytest.raises(ImageInputError) as err:
        generate(job, ltx_server.url, output_dir=tmp_path)
    assert err.value.field == "last_image_url"
    assert str(err.value).startswith(
        "last_image_url: refusing to fetch from the non-public address 10.0.0.7")
    assert net.lookups == ["frames.example"]
    assert {ip for ip, _ in net.connects} <= {"127.0.0.1"}  # the test server only
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_a_bad_last_image_base64_names_its_field(ltx_server: ComfyTestServer,
                                                 tmp_path: Path) -> None:
    job = flf2v_request("ltx-2", last_image_base64=base64.b64encode(b"%PDF-1.4").decode())
    with pytest.raises(ImageInputError, match=r"^last_image_base64: not a readable image"):
        generate(job, ltx_server.url, output_dir=tmp_path)
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_cli_generate_uploads_both_image_files(ltx_server: ComfyTestServer, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    first.write_bytes(FIRST_PNG)
    last.write_bytes(LAST_PNG)
    code = main(["generate", "--prompt", "a door opens", "--model", "ltx-2.3", "--image",
                 str(first), "--last-image", str(last), "--duration", "1",
                 "--server", ltx_server.url, "--output", str(tmp_path / "v.mp4"),
                 "--output-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert [u.sha256 for u in ltx_server.received.uploads] == [
        hashlib.sha256(FIRST_PNG).hexdigest(), hashlib.sha256(LAST_PNG).hexdigest()]
    assert (tmp_path / "v.mp4").read_bytes()[4:8] == b"ftyp"


def test_cli_generate_never_replaces_a_file_the_server_names(
        ltx_server: ComfyTestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``ltx2 generate -o fox.mp4`` in a project folder: the server lists an output named
    ``pyproject.toml`` too, and it lands beside the user's, never over it."""
    from aiohttp import web

    async def tamper(request: web.Request, handler: Any) -> web.StreamResponse | None:
        path = request.path.removeprefix("/api")
        if path.startswith("/view") and request.rel_url.query["filename"] == "pyproject.toml":
            return web.Response(body=b"[project]\nname = 'evil'\n")
        if not path.startswith("/history/"):
            return None
        response = await handler(request)
        assert isinstance(response, web.Response) and response.body is not None
        entry = json.loads(bytes(response.body))  # type: ignore[arg-type]
        for item in entry.values():
            for ui in item["outputs"].values():
                if ui.get("animated") == [True]:
                    ui["images"].append({**ui["images"][0], "filename": "pyproject.toml"})
                    ui["animated"].append(False)
        return web.json_response(entry)

    ltx_server.faults.tamper = tamper
    work = tmp_path / "project"
    work.mkdir()
    (work / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    monkeypatch.chdir(work)
    code = main(["generate", "--prompt", "a fox", "--duration", "1", "--server",
                 ltx_server.url, "-o", "fox.mp4"])
    assert code == 0, capsys.readouterr().err
    assert (work / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"
    assert (work / "pyproject (1).toml").read_text() == "[project]\nname = 'evil'\n"
    assert (work / "fox.mp4").read_bytes()[4:8] == b"ftyp"


# --- ia2v: the audio checked and measured first, uploaded under a unique name ------------------

VOICE_WAV = wav_bytes(2.5, 16000, 1)  # the voice to lip-sync: 2.5 s


def ia2v_request(**changes: Any) -> dict[str, Any]:
    return {"prompt": "she sings", "model": "ltx-2.3", "type": "ia2v", "seed": 6,
            "image_base64": base64.b64encode(FIRST_PNG).decode(),
            "audio_base64": base64.b64encode(VOICE_WAV).decode(), **changes}


def loaded_audio(prompt: dict[str, Any]) -> list[str]:
    return [n["inputs"]["audio"] for n in prompt.values() if n["class_type"] == "LoadAudio"]


@pytest.mark.parametrize("versioned_server", [RELEASES[-1]], indirect=True)
def test_ia2v_uploads_the_image_and_the_audio_and_lasts_as_long_as_the_audio(
        versioned_server: ComfyTestServer, tmp_path: Path) -> None:
    job = ia2v_request()
    result = generate(job, versioned_server.url, output_dir=tmp_path)
    image, audio = versioned_server.received.uploads
    assert (image.sha256, audio.sha256) == (hashlib.sha256(FIRST_PNG).hexdigest(),
                                            hashlib.sha256(VOICE_WAV).hexdigest())
    assert re.fullmatch(r"ltx2sdk_[0-9a-f]{32}\.png", image.name), image.name
    assert re.fullmatch(r"ltx2sdk_[0-9a-f]{32}\.wav", audio.name), audio.name
    [posted] = versioned_server.received.prompts
    assert loaded_audio(posted["prompt"]) == [audio.name]
    assert [n["inputs"]["image"] for n in posted["prompt"].values()
            if n["class_type"] == "LoadImage"] == [image.name]
    # the length follows the measured audio (2.5 s), not the 10 s default
    request = GenerationRequest.model_validate(job)
    follows = build(request, audio_seconds=2.5).plan
    assert (result.frames, result.fps) == (follows.frames, follows.fps)
    assert result.frames != build(request).plan.frames
    assert 2.0 < result.duration <= 2.5
    assert (result.model, result.type, result.seed, result.prompt_id) == (
        "ltx-2.3", "ia2v", 6, posted["prompt_id"])
    assert result.metadata()["model"] == "ltx-2.3"
    assert result.video.read_bytes()[4:8] == b"ftyp"


def test_ia2v_with_a_duration_keeps_it_and_takes_any_audio_format(
        ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    mp3 = (AUDIO_FIXTURES / "tone_1s_44k_stereo.mp3").read_bytes()
    result = generate(ia2v_request(duration=2, audio_base64=base64.b64encode(mp3).decode()),
                      ltx_server.url, output_dir=tmp_path)
    _, audio = ltx_server.received.uploads
    assert audio.name.endswith(".mp3") and audio.sha256 == hashlib.sha256(mp3).hexdigest()
    assert result.duration == 2.0


def test_ia2v_loads_an_audio_already_on_the_server(ltx_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    (ltx_server.input_dir / "voice.wav").write_bytes(VOICE_WAV)
    job = ia2v_request(audio_base64=None, audio="voice.wav", duration=1)
    generate(job, ltx_server.url, output_dir=tmp_path)
    [image] = ltx_server.received.uploads  # the image only
    assert image.name.endswith(".png")
    assert loaded_audio(ltx_server.received.prompts[-1]["prompt"]) == ["voice.wav"]
    missing = ia2v_request(audio_base64=None, audio="nobody.wav", duration=1)
    with pytest.raises(ServerValidationError, match=r"nobody\.wav"):
        generate(missing, ltx_server.url, output_dir=tmp_path)
    assert len(ltx_server.received.uploads) == 1  # refused before uploading anything


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"audio_base64": base64.b64encode(b"%PDF-1.4 not a voice").decode()}, "audio_base64",
     "not a readable audio file (wav, mp3, flac or ogg)"),
    ({"audio_base64": base64.b64encode(wav_bytes(61.0, 4000)).decode()}, "audio_base64",
     "audio is 61.0 s long, over the 60 s limit"),
    ({"audio_base64": base64.b64encode(VOICE_WAV[:20_000]).decode()}, "audio_base64",
     "the WAV file is cut short"),
    ({"audio_base64": None, "audio_url": "http://voices.example/v.wav"}, "audio_url",
     "refusing to fetch from the non-public address 10.0.0.7"),
])
def test_bad_audio_fails_naming_its_field_before_anything_is_sent(
        changes: dict[str, Any], field: str, message: str, ltx_server: ComfyTestServer,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not audio, too long, cut short, at a private address (resolution patched as in
    test_image_fetch.py: no traffic leaves this machine): refused before the server is asked
    anything, so no upload and no prompt."""
    patch_network(monkeypatch).name("voices.example", ["10.0.0.7"])
    with pytest.raises(AudioInputError) as err:
        generate(ia2v_request(**changes), ltx_server.url, output_dir=tmp_path)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: {message}")
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_the_policys_audio_caps_apply(
        ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match=r"^audio_base64: audio is 2\.5 s long, over the "
                                              r"2 s limit"):
        generate(ia2v_request(), ltx_server.url, output_dir=tmp_path,
                 input_policy=InputPolicy(max_audio_seconds=2))
    with pytest.raises(AudioInputError, match=r"^audio_base64: audio file is larger than"):
        generate(ia2v_request(), ltx_server.url, output_dir=tmp_path,
                 input_policy=InputPolicy(max_audio_bytes=1000))
    assert not ltx_server.received.uploads


def test_cli_generate_uploads_the_image_and_the_audio_file(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    face, voice = tmp_path / "face.png", tmp_path / "voice.flac"
    face.write_bytes(FIRST_PNG)
    voice.write_bytes((AUDIO_FIXTURES / "tone_1s_16k_mono.flac").read_bytes())
    code = main(["generate", "--prompt", "she sings", "--model", "ltx-2.3", "--image",
                 str(face), "--audio", str(voice), "--server", ltx_server.url,
                 "--output", str(tmp_path / "v.mp4"), "--output-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    image, audio = ltx_server.received.uploads
    assert image.sha256 == hashlib.sha256(FIRST_PNG).hexdigest()
    assert audio.name.endswith(".flac") and audio.sha256 == hashlib.sha256(
        voice.read_bytes()).hexdigest()
    assert loaded_audio(ltx_server.received.prompts[-1]["prompt"]) == [audio.name]
    assert (tmp_path / "v.mp4").read_bytes()[4:8] == b"ftyp"


def test_one_client_generates_several_i2v_videos(ltx_server: ComfyTestServer,
                                                 tmp_path: Path) -> None:
    # each upload is newer than the client's cached /object_info; that must not matter
    client = ComfyClient(ltx_server.url)
    for seed in (1, 2):
        image = base64.b64encode(png_bytes(16 + seed, 16)).decode()
        result = generate({"prompt": "p", "type": "i2v", "image_base64": image, "duration": 1,
                           "seed": seed}, client, output_dir=tmp_path / str(seed))
        assert result.video.exists()
    assert len(ltx_server.received.uploads) == 2


@pytest.mark.parametrize("kind", ["t2v", "i2v"])
@pytest.mark.parametrize("version", RELEASES)
def test_placeholder_models_reach_the_servers_error_at_a_loader(version: str, kind: str,
                                                                tmp_path: Path) -> None:
    """Empty model files pass every check: the SDK queues, the server fails at a loader."""
    image = {"image_base64": base64.b64encode(png_bytes()).decode()} if kind == "i2v" else {}
    placeholders = catalog_models()
    with ComfyTestServer(comfyui_version=version, models={}, placeholders=placeholders,
                         output_dir=tmp_path / "srv") as srv:
        srv.sim.sampler_steps = 3
        with pytest.raises(ExecutionError) as err:  # not JobTimeoutError: no waiting it out
            generate({"prompt": "p", "type": kind, "duration": 1, **image}, srv.url,
                     output_dir=tmp_path, timeout=30)
        [posted] = srv.received.prompts
    failed = posted["prompt"][err.value.node_id]
    assert failed["class_type"] == err.value.node_type and "Loader" in err.value.node_type
    empty = {name for names in placeholders.values() for name in names}
    assert empty & set(failed["inputs"].values()), failed  # it loads an empty file
    assert "SafetensorError" in err.value.exception_type
    assert f"({err.value.node_type}) failed" in str(err.value)


def test_missing_models_are_listed_before_queueing(tmp_path: Path) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv, \
            pytest.raises(ServerValidationError) as err:
        generate(GenerationRequest(prompt="p", mode="pro", camera_lora="jib_up"), srv.url,
                 output_dir=tmp_path)
    expected = {(f.folder, f.name) for f in files_for("pro", camera="jib_up")}
    assert set(err.value.missing_models) == expected
    assert not srv.received.prompts  # nothing was queued


@pytest.mark.parametrize("kind", ["i2v", "flf2v"])
def test_a_refused_job_with_images_uploads_nothing(kind: str, tmp_path: Path) -> None:
    image = base64.b64encode(png_bytes()).decode()
    last = {"last_image_base64": image} if kind == "flf2v" else {}
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv, \
            pytest.raises(ServerValidationError):
        generate(GenerationRequest(prompt="p", type=kind, image_base64=image, **last),
                 srv.url, output_dir=tmp_path)
    assert not srv.received.uploads and not srv.received.prompts


def test_cli_generate_with_placeholder_models_fails_fast_naming_the_node(tmp_path: Path) -> None:
    empty = {"checkpoints": catalog_models()["checkpoints"]}
    with catalog_server(tmp_path, placeholders=empty) as srv:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ltx2sdk.app.cli.main", "generate", "--prompt", "a fox",
             "--server", srv.url, "--output", str(tmp_path / "out.mp4"), "--duration", "1"],
            capture_output=True, text=True, timeout=60, check=False)
        elapsed = time.monotonic() - start
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    # ComfyUI runs nodes depth-first from the output: whichever loader reads the
    # checkpoint first fails, and the line names it and the exception
    assert re.match(r"ltx2: error: node \d+ \((CheckpointLoaderSimple|LTXVAudioVAELoader|"
                    r"LTXAVTextEncoderLoader)\) failed: \S*SafetensorError: ", last), last
    # "fast" is the subject: the server's error ends the command (interpreter start
    # included), not the default hour-long job timeout
    assert elapsed < 15


def test_cli_generate_prints_plain_progress_lines(ltx_server: ComfyTestServer, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", "--prompt", "a fox", "--duration", "1", "--seed", "3",
                 "--server", ltx_server.url, "--output", str(tmp_path / "fox.mp4"),
                 "--output-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Stage 1 sampling" in captured.err and "100.0%" in captured.err
    assert str(tmp_path / "fox.mp4") in captured.out and "seed 3" in captured.out


def test_cli_check_lists_every_missing_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv:
        code = main(["check", "--server", srv.url])
    out = capsys.readouterr().out
    assert code == 1
    # every file of every LTX-2 pipeline of both modes, fast and pro (the control ones'
    # IC-LoRAs and Lotus too; lora's only with --mode lora), and the static camera LoRA of a
    # default request
    needed = {f"models/{folder}/{name}" for p in PIPELINES if p.model.id == "ltx-2"
              and p.mode in BOTH_MODES for folder, name in p.model_files}
    needed |= {f.path for f in files_for("fast", camera="static") if "camera" in f.path}
    assert set(listed_model_files(out, "ltx-2")) == needed
    assert "huggingface.co" in out
    # every model is reported, each with its own files
    assert "models/checkpoints/ltx-2.3-22b-dev-fp8.safetensors" in listed_model_files(
        out, "ltx-2.3")


def test_cli_check_passes_on_an_equipped_server_and_generate_then_runs(
        versioned_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """check states the server's release and vouches for the default requests of both
    modes: each then runs on the same server."""
    url = versioned_server.url
    assert main(["check", "--server", url, "--mode", "fast"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ready for LTX-2 (fast)"
    assert main(["check", "--server", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert states_release_in_range(out[0], versioned_server.comfyui_version or "?"), out[0]
    assert out[-1] == "ready for LTX-2 (fast, pro)"
    assert versioned_server.received.prompts == []  # check queues nothing
    image = tmp_path / "first.png"
    image.write_bytes(png_bytes())
    runs = [[], ["--mode", "pro", "--image", str(image)]]  # default request; pro i2v
    for i, flags in enumerate(runs):
        video = tmp_path / f"{i}.mp4"
        code = main(["generate", "--prompt", "a fox in the snow", *flags, "--server", url,
                     "--output", str(video), "--output-dir", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert video.read_bytes()[4:8] == b"ftyp"
    posted = [p["prompt"] for p in versioned_server.received.prompts]
    assert len(posted) == 2
    assert any(n["class_type"] == "LoadImage" for n in posted[1].values())


def test_cli_check_on_a_dead_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", "http://127.0.0.1:9", "--ready-timeout", "0.5"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ltx2: error: ComfyUI at http://127.0.0.1:9 was not ready")
    assert len(err.splitlines()) == 1


def test_request_file_drives_generate(ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": {"prompt": "p", "duration": 1, "seed": 5}}))
    assert main(["generate", "--request", str(job), "--server", ltx_server.url,
                 "--output-dir", str(tmp_path)]) == 0
    [posted] = ltx_server.received.prompts
    seeds = {n["inputs"]["noise_seed"] for n in posted["prompt"].values()
             if n["class_type"] == "RandomNoise"}
    lengths = {n["inputs"]["length"] for n in posted["prompt"].values()
               if n["class_type"] == "EmptyLTXVLatentVideo"}
    # the file's seed (stage 2: the template's fixed 420) and duration (1 s at 24 fps)
    assert seeds == {5, 420} and lengths == {25}


def test_enhanced_prompt_runs_end_to_end(ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    result = generate({"prompt": "a fox", "duration": 1, "enhance_prompt": True},
                      ltx_server.url, output_dir=tmp_path)
    posted = ltx_server.received.prompts[-1]["prompt"]
    assert any(n["class_type"] == "TextGenerateLTX2Prompt" for n in posted.values())
    assert result.video.exists()


# Ctrl-C, and SIGTERM: what `timeout`, `kill`, `docker stop` and a cancelled CI job send
@pytest.mark.parametrize(("sent", "status", "said"), [
    ("SIGINT", 130, "ltx2: error: interrupted"),
    ("SIGTERM", 143, "ltx2: error: terminated (SIGTERM)"),
])
def test_a_stop_interrupts_the_prompt_on_the_server(sent: str, status: int, said: str,
                                                    ltx_server: ComfyTestServer,
                                                    tmp_path: Path) -> None:
    import signal

    ltx_server.sim.sampler_steps = 500
    ltx_server.sim.step_delay = 0.02
    proc = subprocess.Popen([sys.executable, "-m", "ltx2sdk.app.cli.main", "generate",
                             "--prompt", "p",
                             "--server", ltx_server.url, "--output-dir", str(tmp_path)],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not ltx_server.received.prompts and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(getattr(signal, sent))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == status, err  # 128 + the signal
    prompt_id = ltx_server.received.prompts[-1]["prompt_id"]
    assert {"prompt_id": prompt_id} in ltx_server.received.interrupts
    assert f"interrupted prompt {prompt_id}" in err
    assert err.rstrip().endswith(said)  # the last line says which stop it was


def test_the_cli_puts_back_the_sigterm_handler_it_found(tmp_path: Path) -> None:
    import signal

    def mine(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        assert main(["schema", "-o", str(tmp_path / "s.json")]) == 0
        assert signal.getsignal(signal.SIGTERM) is mine  # the library keeps no handler
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- never clobber --------------------------------------------------------------------------

def test_an_existing_video_file_is_refused_before_any_work(ltx_server: ComfyTestServer,
                                                           tmp_path: Path) -> None:
    mine = tmp_path / "fox.mp4"
    mine.write_bytes(b"my own video")
    with pytest.raises(OutputExistsError, match=r"fox\.mp4: exists; .*overwrite=True"):
        generate({"prompt": "p", "duration": 1}, ltx_server.url, output=mine,
                 output_dir=tmp_path)
    assert mine.read_bytes() == b"my own video"
    assert ltx_server.received.requests == []  # nothing asked of the server
    result = generate({"prompt": "p", "duration": 1}, ltx_server.url, output=mine,
                      output_dir=tmp_path, overwrite=True)
    assert result.video == mine and mine.read_bytes()[4:8] == b"ftyp"


def test_a_video_file_that_appears_meanwhile_is_not_replaced(ltx_server: ComfyTestServer,
                                                             tmp_path: Path) -> None:
    mine = tmp_path / "fox.mp4"

    def someone_writes_it(prompt_id: str) -> None:
        mine.write_bytes(b"written while the video was made")

    with pytest.raises(OutputExistsError, match="appeared while the video was made") as caught:
        generate({"prompt": "p", "duration": 1}, ltx_server.url, output=mine,
                 output_dir=tmp_path, on_queued=someone_writes_it)
    assert mine.read_bytes() == b"written while the video was made"
    [video] = [p for p in tmp_path.iterdir() if p.suffix == ".mp4" and p != mine]
    assert str(video) in str(caught.value) and video.read_bytes()[4:8] == b"ftyp"


def output_paths(tmp: Path) -> dict[str, dict[str, Any]]:
    """generate()'s keywords naming a place no video can go, by what is wrong."""
    (tmp / "victim").mkdir()
    (tmp / "victim" / "keep.txt").write_text("mine")
    (tmp / "afile").write_text("mine")
    return {"a folder": {"output": tmp / "victim", "overwrite": True},
            "a folder, with a slash": {"output": f"{tmp / 'victim'}/"},
            "a new name ending in a slash": {"output": f"{tmp / 'new'}/"},
            "a parent that is a file": {"output": tmp / "afile" / "x.mp4"},
            "an output folder that is a file": {"output_dir": tmp / "afile"}}


@pytest.mark.parametrize("case", ["a folder", "a folder, with a slash",
                                  "a new name ending in a slash", "a parent that is a file",
                                  "an output folder that is a file"])
def test_an_output_path_no_video_can_take_is_refused_before_any_work(
        case: str, ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    place = output_paths(tmp_path)[case]
    with pytest.raises(OutputPathError) as caught:
        generate({"prompt": "p", "duration": 1}, ltx_server.url,
                 **{"output_dir": tmp_path, **place})
    assert isinstance(caught.value, LTX2Error) and isinstance(caught.value, OSError)
    assert ltx_server.received.requests == []  # nothing asked of the server
    assert (tmp_path / "victim" / "keep.txt").read_text() == "mine"
    assert (tmp_path / "afile").read_text() == "mine"
    assert not (tmp_path / "new").exists()
    if "file" in case:
        assert "afile is a file, not a folder" in str(caught.value)
    else:
        assert str(caught.value).endswith(": is a folder")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_nobody_can_write_in_is_refused_before_any_work(
        ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    # /proc takes no new file, even from root (for whom a chmod'ed folder is writable)
    with pytest.raises(OutputPathError, match=r"^/proc/x\.mp4: cannot write in the folder /proc"):
        generate({"prompt": "p", "duration": 1}, ltx_server.url, output="/proc/x.mp4",
                 output_dir=tmp_path)
    with pytest.raises(OutputPathError, match=r"^/proc/b: cannot create the folder /proc/b"):
        generate({"prompt": "p", "duration": 1}, ltx_server.url, output_dir="/proc/b")
    assert ltx_server.received.requests == []


def test_missing_folders_of_the_output_are_created(ltx_server: ComfyTestServer,
                                                   tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "fox.mp4"
    result = generate({"prompt": "p", "duration": 1}, ltx_server.url, output=target,
                      output_dir=tmp_path / "others")
    assert result.video == target and target.read_bytes()[4:8] == b"ftyp"


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_videos_get_the_mode_the_umask_gives_a_new_file(umask: int, ltx_server: ComfyTestServer,
                                                        tmp_path: Path) -> None:
    before = os.umask(umask)
    try:
        named = generate({"prompt": "p", "duration": 1}, ltx_server.url,
                         output=tmp_path / "fox.mp4", output_dir=tmp_path)
        replaced = generate({"prompt": "p", "duration": 1}, ltx_server.url,
                            output=tmp_path / "fox.mp4", output_dir=tmp_path, overwrite=True)
        servers = generate({"prompt": "p", "duration": 1}, ltx_server.url,
                           output_dir=tmp_path / "theirs")
    finally:
        os.umask(before)
    for result in (named, replaced, servers):  # not tempfile's 0600
        assert stat.S_IMODE(result.video.stat().st_mode) == 0o666 & ~umask, result.video


# --- failing fast -----------------------------------------------------------------------------


@pytest.mark.parametrize(("server", "said"), [
    ("http://127.0.0.1:{port}", "was not ready within 1 s (connection refused)"),
    ("http://no-such-host.invalid:8188", "cannot reach ComfyUI at "
     "http://no-such-host.invalid:8188: unknown host (the name no-such-host.invalid does "
     "not resolve: check the URL)"),
])
def test_a_server_nobody_answers_at_is_one_error_line_within_seconds(server: str,
                                                                     said: str) -> None:
    url = server.format(port=free_port())
    start = time.monotonic()
    with pytest.raises(ServerUnreachableError) as raised:
        generate({"prompt": "a fox"}, url)
    assert time.monotonic() - start < 6  # the 2 s grace, not the 30 s of a slow answer
    message = str(raised.value)
    assert said in message and url in message and "\n" not in message
    assert raised.value.url == url and raised.value.reason in message


def test_ready_timeout_waits_for_a_server_that_is_starting(tmp_path: Path) -> None:
    small = {"prompt": "a fox", "duration": 1, "width": 256, "height": 256}
    with ComfyTestServer(models=catalog_models(), faults=Faults(slow_start=3.0),
                         output_dir=tmp_path / "srv") as srv, \
            pytest.raises(ServerUnreachableError, match="connection refused"):
        generate(small, srv.url, output_dir=tmp_path)  # not asked to wait: fails fast
    with ComfyTestServer(models=catalog_models(), faults=Faults(slow_start=3.0),
                         output_dir=tmp_path / "srv2") as srv:
        result = generate(small, srv.url, output_dir=tmp_path, ready_timeout=30)
    assert result.video.read_bytes()[4:8] == b"ftyp"


def test_timeout_names_the_flag_and_says_the_prompt_was_interrupted(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ltx_server.sim.sampler_steps, ltx_server.sim.step_delay = 500, 0.02  # 10 s of sampling
    assert main(["generate", "--prompt", "p", "--server", ltx_server.url, "--output-dir",
                 str(tmp_path), "--timeout", "1.5"]) == 1
    prompt_id = ltx_server.received.prompts[-1]["prompt_id"]
    assert {"prompt_id": prompt_id} in ltx_server.received.interrupts
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (f"ltx2: error: --timeout: the job ran past 1.5 s: prompt {prompt_id} did "
                   f"not finish before the deadline; it was interrupted on {ltx_server.url}")
