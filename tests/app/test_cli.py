"""The ltx2 command: flags, server URLs, image files, one-line errors and exit codes.

Commands run in-process (``main([...])`` with capsys) or, where the terminal, the process or
timing matters, as real subprocesses; servers are the ComfyUI stand-in (tests.comfyserver).
"""

from __future__ import annotations

import argparse
import base64
import errno
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from builders import plan
from ltx2sdk import GenerationRequest
from ltx2sdk.app.cli.main import build_parser, main
from ltx2sdk.app.cli.request_flags import request_from_args
from ltx2sdk.backends.protocol import NO_SUCH_JOB
from ltx2sdk.backends.server_urls import normalize_server_url
from ltx2sdk.errors import ServerUnavailableError, ServerUrlError
from ltx2sdk.media import images
from ltx2sdk.request import LoraChoice, ModelSet
from ltx2sdk.vocabulary import AUDIO, LAST_IMAGE
from ltx2sdk.wording import byte_size
from tests.comfyserver import ComfyTestServer, Faults, catalog_models
from tests.helpers import AUDIO_FIXTURES, check_section, free_port, wav_bytes
from tests.media.video_files import make_video

# what must never reach a user: HTTP library internals and Python reprs
INTERNALS = re.compile(r"urllib3|HTTPConnectionPool|NewConnectionError|MaxRetryError|"
                       r"InvalidSchema|No connection adapters|object at 0x|Traceback|"
                       r"BytesIO|Errno")


def run_cli(*argv: str, timeout: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ltx2sdk.app.cli.main", *argv],
                          capture_output=True, text=True, timeout=timeout, check=False, **kwargs)


def assert_one_line_error(err: str, *fragments: str) -> str:
    line = err.strip()
    assert len(line.splitlines()) == 1, err
    assert re.match(r"ltx2( \w+)?: error: ", line), line
    assert not INTERNALS.search(line), line
    for fragment in fragments:
        assert fragment in line, line
    return line


def write_png(path: Path, size: tuple[int, int] = (32, 24)) -> Path:
    from PIL import Image

    Image.new("RGB", size, (90, 120, 200)).save(path, "PNG")
    return path


def parse_request(*argv: str) -> GenerationRequest:
    return parse_with_data(*argv)[0]


def parse_with_data(*argv: str, command: str = "build") -> tuple[GenerationRequest, dict[Any, Any]]:
    """The request ``ltx2 COMMAND ARGV`` makes, and the input files it read and decoded."""
    args = build_parser().parse_args([command, *argv])
    return request_from_args(args).request, args.input_data


# --- build ----------------------------------------------------------------------------------

def test_console_script_builds_the_example(tmp_path: Path) -> None:
    out = tmp_path / "example.json"
    done = run_cli("build", "--example", "--output", str(out))
    assert done.returncode == 0, done.stderr
    api = json.loads(out.read_text())
    assert {n["class_type"] for n in api.values()} >= {"SaveVideo", "SamplerCustomAdvanced"}
    assert "seed 42" in done.stderr and "121 frames" in done.stderr


def test_build_to_stdout_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "p", "--seed", "5"]) == 0
    first = capsys.readouterr().out
    assert main(["build", "--prompt", "p", "--seed", "5"]) == 0
    assert capsys.readouterr().out == first
    assert json.loads(first)["1"]["class_type"] == "CheckpointLoaderSimple"


def test_request_file_with_runpod_envelope_and_flag_override(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": {"prompt": "p", "mode": "pro", "duration": 15,
                                         "seed": 9}}))
    assert main(["build", "--request", str(job), "--duration", "20"]) == 0
    api = json.loads(capsys.readouterr().out)
    lengths = [n["inputs"]["length"] for n in api.values()
               if n["class_type"] == "EmptyLTXVLatentVideo"]
    assert lengths == [481]


def test_enhance_prompt_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "p", "--enhance-prompt"]) == 0
    api = json.loads(capsys.readouterr().out)
    assert [n["class_type"] for n in api.values()].count("TextGenerateLTX2Prompt") == 1
    assert main(["build", "--prompt", "p"]) == 0
    assert "TextGenerateLTX2Prompt" not in capsys.readouterr().out


def test_schema_and_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert "camera_lora" in json.loads(capsys.readouterr().out)["properties"]
    assert main(["models", "--mode", "pro", "--cameras", "none", "--format", "tsv"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    # the four of t2v/i2v pro, then the control pipelines' IC-LoRAs and Lotus depth's files
    assert [r[0] for r in rows] == ["checkpoints", "text_encoders", "latent_upscale_models",
                                    "loras", "loras", "loras", "diffusion_models", "vae"]
    assert all(r[2].startswith("https://huggingface.co/") for r in rows)


def _flag_help(command: str, flag: str) -> str:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    [action] = [a for a in sub.choices[command]._actions if flag in a.option_strings]
    return str(action.help)


def _stated(text: str, key: Any) -> float:
    """The value ``default A; B for ltx-2 i2v, flf2v`` states for pipeline ``key``."""
    common, *others = text.split("; ")
    for part in others:
        value, _, names = part.partition(" for ")
        if any(set(name.split()) <= {key.model, key.type, key.mode}
               for name in names.split(", ")):
            return float(value)
    return float(common)


@pytest.mark.parametrize("command", ["build", "generate"])
def test_help_states_each_pipelines_defaults_as_the_catalog_has_them(command: str) -> None:
    """--fps, --width/--height and --image-strength say each pipeline's default (i2v's 25
    fps, flf2v's multiple of 32, LTX-2.3's and LTX-2.5's 0.7), derived from the catalog."""
    from builders import PIPELINES
    from builders.catalog import FirstFrameInplace

    fps = re.search(r"default the pipeline's: (.+)\)$", _flag_help(command, "--fps"))
    multiple = re.search(r"snapped to a multiple of (.+) \(default", _flag_help(command,
                                                                                  "--width"))
    strength = re.search(r"\(default (.+)\)$", _flag_help(command, "--image-strength"))
    lora = re.search(r"\(default (.+)\)$", _flag_help(command, "--distilled-lora-strength"))
    assert fps and multiple and strength and lora
    assert multiple.group(1) in _flag_help(command, "--height")
    for pipeline in PIPELINES:
        assert _stated(fps.group(1), pipeline.key) == pipeline.fps, pipeline.key
        assert _stated(multiple.group(1), pipeline.key) == pipeline.size_multiple, pipeline.key
        for guide in pipeline.guides:
            if isinstance(guide, FirstFrameInplace):
                assert _stated(strength.group(1), pipeline.key) == guide.strength, pipeline.key
        if pipeline.files.distilled_lora is not None:
            assert _stated(lora.group(1), pipeline.key) == pipeline.files.distilled_lora.strength
    fields = GenerationRequest.model_fields
    assert f"(default {fields['width'].default})" in _flag_help(command, "--width")
    assert f"(default {fields['height'].default})" in _flag_help(command, "--height")


def test_help_points_at_commands_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    """Each ``ltx2 COMMAND --flag`` a help text names parses; models and schema describe
    themselves."""
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    named = set()
    for name, command in sub.choices.items():
        assert command.description, f"ltx2 {name} --help has no description"
        for action in command._actions:
            for words in re.findall(r"ltx2 ([^;)]+)", action.help or ""):
                words = words.split()
                line = words[:1]  # the command, then its flags and their values
                for word in words[1:]:
                    if not (word.startswith("--") or line[-1].startswith("--")):
                        break
                    line.append(word)
                named.add(" ".join(line))
    assert "models --pipelines --model all" in named
    for line in named:
        if line.split()[0] in sub.choices:  # a command line a help names parses
            parser.parse_args(line.split())


def test_models_lists_the_pipelines_the_catalog_has(capsys: pytest.CaptureFixture[str]) -> None:
    from builders import PIPELINES
    from builders.catalog import ltx2_5_api

    assert main(["models", "--pipelines", "--model", "all"]) == 0
    header, *rows = capsys.readouterr().out.split("\n\n")[0].splitlines()
    assert header.split()[:3] == ["MODEL", "TYPE", "MODE"]
    # the hosted model's too, as ltx2 pipelines lists them
    assert [tuple(row.split()[:3]) for row in rows] == [
        tuple(p.key) for p in (*PIPELINES, *ltx2_5_api.PIPELINES)]
    [ltx23_i2v_fast] = [row for row in rows if row.split()[:3] == ["ltx-2.3", "i2v", "fast"]]
    assert ltx23_i2v_fast.split()[3:7] == ["2", "25", "64", "0.7"]


def test_models_pipelines_lists_the_hosted_model_and_says_it_loads_no_files(
        capsys: pytest.CaptureFixture[str]) -> None:
    from builders.catalog import ltx2_5_api

    assert main(["models", "--pipelines", "--model", "ltx-2.5-api"]) == 0
    table, note = capsys.readouterr().out.split("\n\n")
    _header, *rows = table.splitlines()
    assert [tuple(row.split()[:4]) for row in rows] == [
        (*p.key, "hosted") for p in ltx2_5_api.PIPELINES]
    assert note.startswith("ltx-2.5-api loads no model files")


def test_models_has_a_header_a_total_and_aligned_columns(
        capsys: pytest.CaptureFixture[str]) -> None:
    from ltx2sdk.model_files import CATALOG

    assert main(["models", "--all"]) == 0
    header, *rows, total = capsys.readouterr().out.splitlines()
    assert header.split() == ["FILE", "SIZE", "NOTE"]
    assert len(rows) == len(CATALOG)
    assert total == f"total: {len(CATALOG)} files, {sum(e.size_gb for e in CATALOG):.2f} GB"
    # the sizes end in one column, however long a file's path is
    ends = {row.index(" GB") for row in rows}
    assert len(ends) == 1 and header.index("SIZE") + len("SIZE") == ends.pop() + len(" GB")
    assert max(len(e.path) for e in CATALOG) > 75  # a name longer than the old fixed column


# --- every request field has a flag named like it --------------------------------------------

# (flags, the request field they set, the value it gets)
FIELD_FLAG_CASES: list[tuple[list[str], str, Any]] = [
    (["--prompt", "a cat"], "prompt", "a cat"),
    (["--negative-prompt", "blur"], "negative_prompt", "blur"),
    (["--model", "ltx-2.3"], "model", "ltx-2.3"),
    (["--mode", "pro"], "mode", "pro"),
    (["--type", "t2v"], "type", "t2v"),
    (["--width", "768"], "width", 768),
    (["--height", "512"], "height", 512),
    (["--duration", "4.5"], "duration", 4.5),
    (["--frames", "97"], "frames", 97),
    (["--fps", "25"], "fps", 25),
    (["--seed", "7"], "seed", 7),
    (["--enhance-prompt"], "enhance_prompt", True),
    (["--camera-lora", "jib_up"], "camera_lora", "jib_up"),
    (["--camera-strength", "0.5"], "camera_strength", 0.5),
    (["--image-url", "https://example.com/a.png"], "image_url", "https://example.com/a.png"),
    (["--image-base64", "IMAGE"], "image_base64", "IMAGE"),  # replaced by a real PNG below
    (["--image", "IMAGEFILE"], "image", "first.png"),
    (["--image-url", "https://example.com/a.png", "--image-strength", "0.25"],
     "image_strength", 0.25),
    (["--image-url", "https://example.com/a.png", "--last-image-url", "https://example.com/z.png"],
     "last_image_url", "https://example.com/z.png"),
    (["--image-url", "https://example.com/a.png", "--last-image-base64", "IMAGE"],
     "last_image_base64", "IMAGE"),
    (["--image-url", "https://example.com/a.png", "--last-image", "IMAGEFILE"], "last_image",
     "first.png"),
    (["--model", "ltx-2.3", "--image-url", "https://example.com/a.png", "--audio-url",
      "https://example.com/v.mp3"], "audio_url", "https://example.com/v.mp3"),
    (["--model", "ltx-2.3", "--image-url", "https://example.com/a.png", "--audio-base64",
      "AUDIO"], "audio_base64", "AUDIO"),  # replaced by a real WAV below
    (["--model", "ltx-2.3", "--image-url", "https://example.com/a.png", "--audio",
      "AUDIOFILE"], "audio", "voice.wav"),
    (["--type", "canny2v", "--video-url", "https://example.com/c.mp4"], "video_url",
     "https://example.com/c.mp4"),
    (["--type", "canny2v", "--video-base64", "VIDEO"], "video_base64", "VIDEO"),
    (["--type", "depth2v", "--video", "VIDEOFILE"], "video", "clip.mp4"),
    (["--type", "canny2v", "--video", "VIDEOFILE", "--video-start", "0.5"], "video_start", 0.5),
    (["--lora", "fx/squish.safetensors:0.8"], "loras",
     [LoraChoice(name="fx/squish.safetensors", strength=0.8)]),
    (["--filename-prefix", "video/cat"], "filename_prefix", "video/cat"),
    (["--checkpoint", "ltx-2-19b-dev.safetensors"], "models.checkpoint",
     "ltx-2-19b-dev.safetensors"),
    (["--text-encoder", "gemma_3_12B_it.safetensors"], "models.text_encoder",
     "gemma_3_12B_it.safetensors"),
    (["--upscaler", "ltx-2-spatial-upscaler-x2-1.0.safetensors"], "models.upscaler",
     "ltx-2-spatial-upscaler-x2-1.0.safetensors"),
    (["--distilled-lora", "ltx-2-19b-distilled-lora-384.safetensors", "--mode", "pro"],
     "models.distilled_lora", "ltx-2-19b-distilled-lora-384.safetensors"),
    (["--distilled-lora-strength", "0.6"], "models.distilled_lora_strength", 0.6),
]


def test_every_request_field_has_a_flag() -> None:
    covered = {field for _, field, _ in FIELD_FLAG_CASES}
    expected = {f for f in GenerationRequest.model_fields if f != "models"}
    expected |= {f"models.{f}" for f in ModelSet.model_fields}
    assert covered == expected


@pytest.mark.parametrize(("flags", "field", "value"), FIELD_FLAG_CASES,
                         ids=[case[1] for case in FIELD_FLAG_CASES])
def test_flag_named_like_the_field_sets_it(flags: list[str], field: str, value: Any,
                                           tmp_path: Path) -> None:
    png = write_png(tmp_path / "first.png")
    wav = tmp_path / "voice.wav"
    wav.write_bytes(wav_bytes(1.0))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(make_video("mp4", frames=9))
    flags = [str(png) if f == "IMAGEFILE" else
             base64.b64encode(png.read_bytes()).decode() if f == "IMAGE" else
             str(wav) if f == "AUDIOFILE" else
             base64.b64encode(wav.read_bytes()).decode() if f == "AUDIO" else
             str(clip) if f == "VIDEOFILE" else
             base64.b64encode(clip.read_bytes()).decode() if f == "VIDEO" else f for f in flags]
    if value in ("IMAGE", "AUDIO", "VIDEO"):  # the base64 of the file, as given
        value = flags[-1]
    request = parse_request("--prompt", "p", *flags)
    holder: Any = request
    for part in field.split("."):
        holder = getattr(holder, part)
    assert holder == value
    if field.startswith("image"):
        assert request.type == "i2v"  # every image flag switches to i2v
    if field.startswith("last_image"):
        assert request.type == "flf2v"  # a last image too: first-and-last-frame video
    if field.startswith("audio"):
        assert request.type == "ia2v"  # an audio: image and audio to video


def test_camera_is_an_alias_of_camera_lora() -> None:
    assert parse_request("--prompt", "p", "--camera", "dolly_in").camera_lora == "dolly_in"
    assert parse_request("--prompt", "p", "--camera-lora", "dolly_in").camera_lora == "dolly_in"


def test_no_enhance_prompt_overrides_a_request_file(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "enhance_prompt": True}))
    assert parse_request("--request", str(job)).enhance_prompt is True
    assert parse_request("--request", str(job), "--no-enhance-prompt").enhance_prompt is False


def test_an_image_flag_replaces_the_request_files_image(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "type": "t2v"}))
    request = parse_request("--request", str(job), "--image-url", "https://example.com/a.png")
    assert (request.type, request.image_url) == ("i2v", "https://example.com/a.png")
    job.write_text(json.dumps({"prompt": "p", "type": "i2v",
                               "image_url": "https://example.com/a.png"}))
    png = write_png(tmp_path / "b.png")
    request = parse_request("--request", str(job), "--image", str(png))
    assert (request.image, request.image_url) == ("b.png", None)


def test_last_image_flags_make_the_request_flf2v_and_replace_the_files_last_image(
        tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "type": "i2v",
                               "image_url": "https://example.com/a.png"}))
    request = parse_request("--request", str(job), "--last-image-url", "https://e.com/z.png")
    assert (request.type, request.image_url, request.last_image_url) == (
        "flf2v", "https://example.com/a.png", "https://e.com/z.png")
    job.write_text(json.dumps({"prompt": "p", "type": "flf2v", "image_url": "https://e.com/a.png",
                               "last_image_url": "https://e.com/z.png"}))
    png = write_png(tmp_path / "b.png")
    # a first image flag on a request with a last image: still flf2v, the file's last image
    request = parse_request("--request", str(job), "--image", str(png))
    assert (request.type, request.image, request.image_url, request.last_image_url) == (
        "flf2v", "b.png", None, "https://e.com/z.png")
    request, data = parse_with_data("--request", str(job), "--last-image", str(png),
                                    command="generate")
    assert (request.type, request.image_url, request.last_image_url, request.last_image) == (
        "flf2v", "https://e.com/a.png", None, "b.png")
    assert data[LAST_IMAGE].data == png.read_bytes()  # read once, uploaded as it is
    assert list(data) == [LAST_IMAGE]  # the first image's URL is fetched by generate only


def test_audio_flags_make_the_request_ia2v_and_replace_the_files_audio(tmp_path: Path) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "model": "ltx-2.3", "type": "i2v",
                               "image_url": "https://e.com/a.png"}))
    request = parse_request("--request", str(job), "--audio-url", "https://e.com/v.ogg")
    assert (request.type, request.image_url, request.audio_url) == (
        "ia2v", "https://e.com/a.png", "https://e.com/v.ogg")
    job.write_text(json.dumps({"prompt": "p", "model": "ltx-2.3", "type": "ia2v",
                               "image_url": "https://e.com/a.png",
                               "audio_url": "https://e.com/v.ogg"}))
    wav = tmp_path / "v.wav"
    wav.write_bytes(wav_bytes(0.5))
    request, data = parse_with_data("--request", str(job), "--audio", str(wav),
                                    command="generate")
    assert (request.type, request.audio_url, request.audio) == ("ia2v", None, "v.wav")
    assert (data[AUDIO].data, data[AUDIO].duration) == (wav.read_bytes(), 0.5)
    # an image flag with a request file's audio: still ia2v
    png = write_png(tmp_path / "b.png")
    request = parse_request("--request", str(job), "--image", str(png))
    assert (request.type, request.image, request.audio_url) == ("ia2v", "b.png",
                                                                 "https://e.com/v.ogg")


@pytest.mark.parametrize(("audio", "seconds", "flags", "frames"), [
    (wav_bytes(3.0), 3.0, [], 73),  # 3 s at 24 fps: the video lasts as long as the voice
    (wav_bytes(3.0), 3.0, ["--duration", "2"], 49),  # unless a length is given
    ((AUDIO_FIXTURES / "tone_1s_22k_mono.ogg").read_bytes(), 1.0, [], 25),
])
def test_build_measures_the_audio_and_names_it_as_comfyui_will_load_it(
        audio: bytes, seconds: float, flags: list[str], frames: int, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from builders import build

    voice = tmp_path / ("voice.ogg" if audio[:4] == b"OggS" else "voice.wav")
    voice.write_bytes(audio)
    face = write_png(tmp_path / "face.png")
    assert main(["build", "--prompt", "p", "--model", "ltx-2.3", "--seed", "3", "--image",
                 str(face), "--audio", str(voice), *flags]) == 0
    captured = capsys.readouterr()
    api = json.loads(captured.out)
    assert [n["inputs"]["audio"] for n in api.values()
            if n["class_type"] == "LoadAudio"] == [voice.name]
    assert f" {frames} frames at 24 fps" in captured.err
    # --audio-base64 is measured the same way
    data = base64.b64encode(audio).decode()
    assert main(["build", "--prompt", "p", "--model", "ltx-2.3", "--seed", "3", "--image",
                 str(face), "--audio-base64", data, *flags]) == 0
    assert f" {frames} frames at 24 fps" in capsys.readouterr().err
    # what the plan does with a length, it does here too
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="ia2v", image="face.png",
                                audio="voice.wav", seed=3,
                                duration=float(flags[1]) if flags else None)
    assert build(request, audio_seconds=seconds).plan.frames == frames


def test_build_measures_a_request_files_audio_as_the_worker_will(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": {
        "prompt": "p", "model": "ltx-2.3", "type": "ia2v", "seed": 1,
        "image_url": "https://e.com/a.png",
        "audio_base64": base64.b64encode(wav_bytes(2.0)).decode()}}))
    assert main(["build", "--request", str(job)]) == 0
    assert " 49 frames at 24 fps (2 s)" in capsys.readouterr().err
    job.write_text(json.dumps({"prompt": "p", "model": "ltx-2.3", "type": "ia2v",
                               "image_url": "https://e.com/a.png",
                               "audio_base64": base64.b64encode(b"words").decode()}))
    assert main(["build", "--request", str(job)]) == 2
    assert_one_line_error(capsys.readouterr().err,
                          "audio_base64: not a readable audio file (wav, mp3, flac or ogg)")


def test_build_names_both_image_files_as_comfyui_will_load_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, last = write_png(tmp_path / "first.png"), write_png(tmp_path / "last.png", (40, 30))
    assert main(["build", "--prompt", "p", "--image", str(first), "--last-image", str(last),
                 "--duration", "1"]) == 0
    api = json.loads(capsys.readouterr().out)
    loads = sorted(n["inputs"]["image"] for n in api.values() if n["class_type"] == "LoadImage")
    assert loads == ["first.png", "last.png"]


def test_version(tmp_path: Path) -> None:
    done = run_cli("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"ltx2 {metadata.version('ltx2sdk')}"


def test_models_and_check_accept_the_same_modes() -> None:
    parser = build_parser()
    for mode in ("fast", "pro", "both"):
        assert parser.parse_args(["models", "--mode", mode]).mode == mode
        assert parser.parse_args(["check", "--mode", mode]).mode == mode
    assert parser.parse_args(["check"]).mode == parser.parse_args(["models"]).mode == "both"


def test_check_mode_both_checks_both(ltx_server: ComfyTestServer,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", ltx_server.url, "--mode", "both"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ready for LTX-2 (fast, pro)"


# what `ltx2 check` on each captured release says of each model: (exit, final line)
CHECK_VERDICTS = {
    ("0.26.0", "ltx-2"): (0, "ready for LTX-2 (fast, pro)"),
    ("0.26.0", "ltx-2.3"): (1, "not ready for LTX-2.3 (pro); ready for LTX-2.3 (fast)"),
    ("0.26.0", "ltx-2.5"): (1, "not ready for LTX-2.5 (fast)"),
    ("0.26.0", "all"): (1, "not ready for LTX-2.3 (pro), LTX-2.5 (fast), LTX-2.5-API (fast, "
                           "pro); ready for LTX-2 (fast, pro), LTX-2.3 (fast)"),
    ("0.33.0", "ltx-2.5"): (0, "ready for LTX-2.5 (fast)"),
    # the hosted model needs a Comfy account key (none in these tests' environment)
    ("0.33.0", "ltx-2.5-api"): (1, "not ready for LTX-2.5-API (fast, pro)"),
    ("0.33.0", "all"): (1, "not ready for LTX-2.5-API (fast, pro); ready for LTX-2 (fast, "
                           "pro), LTX-2.3 (fast, pro), LTX-2.5 (fast)"),
}


@pytest.mark.parametrize("versioned_server", ["0.26.0", "0.33.0"], indirect=True)
def test_check_says_per_model_which_pipelines_are_ready(
        versioned_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    """Every --model gets a final verdict line; exit 0 iff each of its pipelines is ready; a
    model's ready pipelines are said even when others are not; LTX-2.5 has no pro."""
    version = versioned_server.comfyui_version
    for (release, model), (code, last) in CHECK_VERDICTS.items():
        if release != version:
            continue
        assert main(["check", "--server", versioned_server.url, "--model", model]) == code
        out = capsys.readouterr().out
        assert out.splitlines()[-1] == last, out
        assert "LTX-2.5 (fast, pro)" not in out and "ltx-2.5 pro" not in out
    if version == "0.26.0":
        section = "\n".join(check_section(out, "ltx-2.3"))
        assert section == ("ltx-2.3 (LTX-2.3 22B): ready (t2v fast, i2v fast, flf2v fast, "
                           "ia2v fast, id2v fast, ref2v fast, depth2v fast); not ready (t2v "
                           "pro, i2v pro)\n"
                           "  t2v pro, i2v pro: need ComfyUI >= 0.32.0; the server runs 0.26.0")


@pytest.mark.parametrize("versioned_server", ["0.33.0"], indirect=True)
def test_check_says_the_hosted_model_needs_its_nodes_and_a_key(
        versioned_server: ComfyTestServer, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The hosted LTX-2.5 API needs no model files: its partner nodes (0.33.0 has them) and
    a Comfy account key, which is said when there is none, and never printed."""
    assert main(["check", "--server", versioned_server.url, "--model", "ltx-2.5-api"]) == 1
    out = capsys.readouterr().out
    assert "needs a Comfy account API key for its partner nodes: set COMFY_API_KEY" in out
    assert "models/" not in out
    monkeypatch.setenv("COMFY_API_KEY", "comfyui-secret-check-key")
    assert main(["check", "--server", versioned_server.url, "--model", "ltx-2.5-api",
                 "--mode", "both"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "ready for LTX-2.5-API (fast, pro)"
    assert "comfyui-secret-check-key" not in out


@pytest.mark.parametrize("versioned_server", ["0.26.0"], indirect=True)
def test_check_json_says_each_pipelines_verdict(
        versioned_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", versioned_server.url, "--model", "ltx-2.3",
                 "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    [ltx23] = [m for m in document["models"] if m["model"] == "ltx-2.3"]
    assert ltx23["ready_pipelines"] == ["t2v fast", "i2v fast", "flf2v fast", "ia2v fast",
                                        "id2v fast", "ref2v fast", "depth2v fast"]
    assert ltx23["needs_release"] == {"0.32.0": ["t2v pro", "i2v pro"]}
    details = {d["name"]: d for d in ltx23["details"]}
    assert details["t2v pro"]["needs_release"] == "0.32.0"
    assert details["t2v fast"]["needs_release"] is None


def test_check_names_the_pipelines_a_missing_file_stops(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A server with the files of LTX-2's t2v, i2v and flf2v fast only: those are ready, pro
    and the control pipelines (their IC-LoRAs, Lotus) are not, for want of the files listed
    (each once, saying which pipelines need it)."""
    from ltx2sdk.model_files import files_for

    models: dict[str, list[str]] = {}
    for entry in files_for("fast", camera="static"):
        models.setdefault(entry.folder, []).append(entry.name)
    with ComfyTestServer(models=models, output_dir=tmp_path) as srv:
        code = main(["check", "--server", srv.url, "--mode", "both"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[-1] == ("not ready for LTX-2 (canny2v fast, depth2v fast, pro); "
                                    "ready for LTX-2 (t2v fast, i2v fast, flf2v fast)")
    section = check_section(out, "ltx-2")
    assert section[0] == ("ltx-2 (LTX-2 19B): ready (t2v fast, i2v fast, flf2v fast); "
                          "not ready (canny2v fast, depth2v fast, t2v pro, i2v pro, canny2v pro, "
                          "depth2v pro)")
    missing = [line.strip() for line in section if line.strip().startswith("models/")]
    assert len(missing) == len(set(missing))
    assert any(line.startswith("models/checkpoints/ltx-2-19b-dev-fp8.safetensors")
               and line.endswith("(for t2v pro, i2v pro, canny2v pro, depth2v pro)")
               for line in missing), missing
    assert any(line.startswith("models/loras/ltx-2-19b-ic-lora-canny-control.safetensors")
               and line.endswith("(for canny2v fast, canny2v pro)") for line in missing), missing


def test_check_names_a_missing_node_and_the_pipelines_it_stops(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A server without LTXVAddGuide (first-and-last-frame guides) runs everything but flf2v:
    the node is named, with the pipelines that need it."""
    from tests.comfyserver.versions import load_version_object_info

    info = load_version_object_info("0.33.0")
    del info["LTXVAddGuide"]
    with ComfyTestServer(models=catalog_models(), object_info=info, comfyui_version="0.33.0",
                         output_dir=tmp_path) as srv:
        code = main(["check", "--server", srv.url, "--model", "ltx-2.5"])
    out = capsys.readouterr().out
    assert code == 1
    assert check_section(out, "ltx-2.5") == [
        "ltx-2.5 (LTX-2.5 22B): ready (t2v fast, i2v fast); not ready (flf2v fast)",
        "  missing node types (1), update ComfyUI:",
        "    LTXVAddGuide (came with ComfyUI 0.8.0)  (for flf2v fast)"]
    assert out.splitlines()[-1] == ("not ready for LTX-2.5 (flf2v fast); ready for LTX-2.5 "
                                    "(t2v fast, i2v fast)")


def test_check_of_a_mode_a_model_lacks_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", "http://127.0.0.1:9", "--model", "ltx-2.5",
                 "--mode", "pro"]) == 2
    assert_one_line_error(capsys.readouterr().err, "ltx-2.5 has no pro pipelines")


def test_check_probes_every_type_of_the_default_model() -> None:
    """``ltx2 check`` builds what generate would for each type the catalog has (flf2v with
    both images, named as the uploads generate checks before making them)."""
    from builders.catalog import PIPELINES
    from ltx2sdk.app.cli.server_commands import CHECK_IMAGE, CHECK_LAST_IMAGE, default_requests

    probes = default_requests(["fast"])
    assert [r.type for r in probes] == [str(p.type) for p in PIPELINES
                                        if p.key.model == "ltx-2" and p.key.mode == "fast"]
    [flf2v] = [r for r in probes if r.type == "flf2v"]
    assert (flf2v.image, flf2v.last_image) == (CHECK_IMAGE, CHECK_LAST_IMAGE)


def test_check_gives_an_ia2v_probe_its_audio_as_a_pending_upload(
        ltx_server: ComfyTestServer) -> None:
    """A model with ia2v (LTX-2.3) probed as ``ltx2 check`` probes the default one: its
    audio is :data:`CHECK_AUDIO`, which the check counts as uploaded, as generate's is."""
    from builders import build
    from ltx2sdk.app.cli import server_commands as cli_server
    from ltx2sdk.backends.comfyui.client import ComfyClient

    [ia2v] = [r for r in cli_server.default_requests(["fast"], "ltx-2.3") if r.type == "ia2v"]
    assert (ia2v.image, ia2v.audio) == (cli_server.CHECK_IMAGE, cli_server.CHECK_AUDIO)
    client = ComfyClient(ltx_server.url)
    graph = build(ia2v, schemas=client.schemas()).graph
    assert client.check(graph, pending_uploads=cli_server.CHECK_UPLOADS).ok
    missing = client.check(graph, pending_uploads=(cli_server.CHECK_IMAGE,))
    assert not missing.ok and cli_server.CHECK_AUDIO in str(missing.other)


# --- errors: one line, naming the flag --------------------------------------------------------

@pytest.mark.parametrize(("argv", "fragment", "code"), [
    (["build", "--prompt", "p", "--width", "0"],
     "invalid request: --width: at least 128 px, not 0", 2),
    (["build"], "a prompt is needed", 2),
    (["build", "--request", "/does/not/exist.json"],
     "--request: cannot read /does/not/exist.json (No such file or directory)", 2),
    (["build", "--prompt", "p", "--type", "i2v"],
     "invalid request: --type i2v needs an image: give --image FILE, --image-url URL or "
     "--image-base64 DATA", 2),
    (["build", "--prompt", "p", "--type", "t2v", "--image-url", "https://example.com/a.png"],
     "--image-url is only used with --type i2v, flf2v, ia2v, id2v, ref2v, canny2v or depth2v "
     "(--type is t2v)", 2),
    (["build", "--prompt", "p", "--type", "flf2v", "--image-url", "https://e.com/a.png"],
     "invalid request: --type flf2v needs a last image: give --last-image FILE, "
     "--last-image-url URL or --last-image-base64 DATA", 2),
    (["build", "--prompt", "p", "--last-image-url", "https://e.com/z.png"],
     "invalid request: --type flf2v needs a first image: give --image FILE, --image-url URL or "
     "--image-base64 DATA", 2),
    (["build", "--prompt", "p", "--type", "i2v", "--image-url", "https://e.com/a.png",
      "--last-image-url", "https://e.com/z.png"],
     "invalid request: --last-image-url is only used with --type flf2v (--type is i2v)", 2),
    (["build", "--prompt", "p", "--image-url", "https://e.com/a.png", "--last-image-url",
      "https://e.com/z.png", "--last-image-base64", "AA"],
     "give only one last image: --last-image-url or --last-image-base64", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.3", "--type", "ia2v", "--image-url",
      "https://e.com/a.png"],
     "invalid request: --type ia2v needs an audio file: give --audio FILE, --audio-url URL or "
     "--audio-base64 DATA", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.3", "--audio-url", "https://e.com/v.mp3"],
     "invalid request: --type ia2v needs an image: give --image FILE, --image-url URL or "
     "--image-base64 DATA", 2),
    (["build", "--prompt", "p", "--type", "i2v", "--image-url", "https://e.com/a.png",
      "--audio-url", "https://e.com/v.mp3"],
     "invalid request: --audio-url is only used with --type ia2v or id2v (--type is i2v)", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.3", "--image-url", "https://e.com/a.png",
      "--audio-url", "https://e.com/v.mp3", "--audio-base64", "AA"],
     "give only one audio file: --audio-url or --audio-base64", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.3", "--image-url", "https://e.com/a.png",
      "--audio-base64", "bm90IGEgdm9pY2U="],
     "--audio-base64: not a readable audio file (wav, mp3, flac or ogg)", 2),
    (["build", "--prompt", "p", "--duration", "20", "--fps", "60"],
     "--duration: 20 s at 60 fps is 1201 frames; LTX-2's audio latent allows at most 1000", 2),
    (["build", "--prompt", "p", "--frames", "500"],
     "invalid request: --frames: 500 frames at 24 fps is longer than 20 s", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.3", "--frames", "505"],
     "invalid request: --frames: 505 frames at 25 fps is longer than 20 s", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.3", "--camera", "dolly_in"],
     "invalid request: --camera-lora: LTX-2.3 22B has no camera LoRAs (use 'none')", 2),
    (["build", "--prompt", "p", "--distilled-lora", "ltx-2-19b-distilled-lora-384.safetensors"],
     "invalid request: --distilled-lora: LTX-2 19B t2v fast loads no distilled lora", 2),
    (["build", "--prompt", "p", "--model", "ltx-2.5", "--text-encoder",
      "gemma_3_12B_it_fp4_mixed.safetensors"],
     "invalid request: --text-encoder: gemma_3_12B_it_fp4_mixed.safetensors is a ltx-2 file; "
     "LTX-2.5 22B cannot load it", 2),
    (["build", "--prompt", "p", "--frames", "97", "--duration", "4"],
     "give --duration or --frames, not both", 2),
    (["build", "--prompt", "p", "--checkpoint", "nope.safetensors"],
     "--checkpoint: unknown model file 'nope.safetensors' for models/checkpoints", 2),
    (["build", "--prompt", "p", "--image-url", "https://e.com/a.png", "--image-base64", "AA"],
     "give only one image: --image-url or --image-base64", 2),
    (["build", "--example", "--object-info", "/does/not/exist.json"],
     "--object-info: cannot read /does/not/exist.json", 2),
    (["build", "--example", "--comfyui-version", "0.7.9"],
     "--comfyui-version: ComfyUI 0.7.9 is older than the oldest bundled release, 0.8.0", 2),
])
def test_errors_are_one_line_and_name_the_flag(argv: list[str], fragment: str, code: int,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == code
    line = assert_one_line_error(capsys.readouterr().err, fragment)
    assert "request: request" not in line and "invalid request: request:" not in line


def test_a_request_files_image_fields_are_named_as_fields(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "type": "flf2v", "image_url": "https://e.com/a.png",
                               "last_image_url": "https://e.com/z.png",
                               "last_image": "z.png"}))
    assert main(["build", "--request", str(job)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert "give only one last image source, not last_image_url and last_image" in line
    job.write_text(json.dumps({"prompt": "p", "type": "i2v", "last_image": "z.png"}))
    assert main(["build", "--request", str(job), "--image-url", "https://e.com/a.png",
                 "--type", "i2v"]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert "last_image is only used with --type flf2v (--type is i2v)" in line


def test_a_request_files_fields_are_named_as_fields(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "frames": 500}))
    assert main(["build", "--request", str(job)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert "invalid request: frames: 500 frames at 24 fps" in line and "--frames" not in line
    job.write_text(json.dumps({"prompt": "p", "colour": "red", "models": {"lora": "x"}}))
    assert main(["build", "--request", str(job)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert "unknown field 'colour' (ltx2 schema lists the fields" in line
    assert "models: unknown field 'lora' (the fields: checkpoint, text_encoder" in line
    job.write_text(json.dumps({"promt": "p", "models": {"upscalr": "x"}}))
    assert main(["build", "--request", str(job)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert "unknown field 'promt'; did you mean 'prompt'?" in line
    assert "models: unknown field 'upscalr'; did you mean 'upscaler'?" in line


@pytest.mark.parametrize("bad", [{"checkpoint": "nope.safetensors"},  # checked by the catalog
                                 {"distilled_lora_strength": 9}])  # by the request model
def test_a_request_files_model_files_are_named_as_its_fields(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: dict[str, Any]) -> None:
    """A bad models.checkpoint of a --request file is models.checkpoint, not --checkpoint
    (which the user did not type); the flag is named when the flag gave it."""
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "models": bad}))
    (field, value), = bad.items()
    assert main(["build", "--request", str(job)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert f"invalid request: models.{field}: " in line and "--" not in line
    flag = "--" + field.replace("_", "-")
    assert main(["build", "--request", str(job), flag, str(value)]) == 2
    assert f"invalid request: {flag}: " in assert_one_line_error(capsys.readouterr().err)


def test_a_request_files_type_follows_from_its_inputs_as_with_flags(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One rule for the type (issue 21, point 6): the request model's, whatever gave the
    inputs; an input flag replaces the file's inputs and, without --type, its type."""
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "image_url": "https://e.com/a.png"}))
    assert parse_request("--request", str(job)).type == "i2v"
    job.write_text(json.dumps({"prompt": "p", "type": "t2v"}))
    assert parse_request("--request", str(job), "--image-url",
                         "https://e.com/a.png").type == "i2v"
    assert parse_request("--example", "--image-url", "https://e.com/a.png",
                         "--last-image-url", "https://e.com/z.png").type == "flf2v"
    job.write_text(json.dumps({"prompt": "p", "type": "t2v", "image_url": "https://e.com/a.png"}))
    assert main(["build", "--request", str(job)]) == 2  # a type given is kept, and checked
    assert_one_line_error(capsys.readouterr().err, "invalid request: image_url is only used "
                                                   "with type i2v, flf2v, ia2v, id2v, ref2v, "
                                                   "canny2v or depth2v (type is t2v)")


def test_the_cli_has_no_type_rule_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from ltx2sdk import request as request_model
    from ltx2sdk.errors import CommandLineError

    monkeypatch.setattr(request_model, "inferred_type", lambda request: "flf2v")
    # an image alone is i2v by the rule: flf2v only if the CLI asks the model (then refused)
    with pytest.raises(CommandLineError, match="needs a last image"):
        parse_request("--prompt", "p", "--image-url", "https://e.com/a.png")
    request = parse_request("--prompt", "p", "--image-url", "https://e.com/a.png",
                            "--last-image-url", "https://e.com/z.png")
    assert request.type == "flf2v" and "type" not in request.model_fields_set



# one build per rule of the request model: its flags (and request file), and the line naming them
RULE_LINES: dict[str, tuple[list[str], dict[str, Any] | None, str]] = {
    "input_missing": (["--type", "flf2v", "--image-url", "https://e.com/a.png"], None,
                      "invalid request: --type flf2v needs a last image: give --last-image FILE, "
                      "--last-image-url URL or --last-image-base64 DATA"),
    "input_not_used": (["--type", "i2v", "--image-url", "https://e.com/a.png", "--audio-url",
                        "https://e.com/v.mp3"], None,
                       "invalid request: --audio-url is only used with --type ia2v or id2v "
                       "(--type is i2v)"),
    "one_source_only": ([], {"type": "flf2v", "image_url": "https://e.com/a.png",
                             "last_image_url": "https://e.com/z.png", "last_image": "z.png"},
                        "invalid request: give only one last image source, not last_image_url "
                        "and last_image"),
    "one_length_only": (["--frames", "97", "--duration", "4"], None,
                        "invalid request: give --duration or --frames, not both"),
    "length_over_limit": (["--duration", "20", "--fps", "60"], None,
                          "invalid request: --duration: 20 s at 60 fps is 1201 frames; LTX-2's "
                          "audio latent allows at most 1000"),
    "unknown_model_file": (["--checkpoint", "nope.safetensors"], None,
                           "invalid request: --checkpoint: unknown model file 'nope.safetensors' "
                           "for models/checkpoints; known files: "),
    "no_pipeline": (["--image-url", "https://e.com/a.png", "--audio-url",
                     "https://e.com/v.mp3"], None,
                    "invalid request: --type: model ltx-2 has no 'ia2v' pipeline (it has t2v, "
                    "i2v, flf2v, canny2v, depth2v); --audio-url makes the type ia2v: choose a "
                    "--model that has it"),
    "type_needed": (["--video-url", "https://e.com/c.mp4"], None,
                    "invalid request: --video-url is used by --type canny2v or depth2v: give "
                    "--type"),
}


def test_the_cli_words_every_rule_of_the_request_model() -> None:
    from ltx2sdk.app.cli.request_flags import RULE_MESSAGES
    from ltx2sdk.vocabulary import REQUEST_RULES

    assert set(RULE_MESSAGES) == set(REQUEST_RULES) == set(RULE_LINES)


@pytest.mark.parametrize("rule", sorted(RULE_LINES))
def test_flags_are_named_from_a_rules_fields_not_its_words(
        rule: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from pydantic_core import PydanticCustomError

    from ltx2sdk import request as request_model
    from ltx2sdk.errors import CommandLineError

    flags, fields, line = RULE_LINES[rule]
    argv = ["--prompt", "p", *flags]
    if fields is not None:
        job = tmp_path / "job.json"
        job.write_text(json.dumps({"prompt": "p", **fields}))
        argv += ["--request", str(job)]
    assert main(["build", *argv]) == 2
    assert_one_line_error(capsys.readouterr().err, line)

    def reworded(code: str, message: str, **context: Any) -> PydanticCustomError:
        return PydanticCustomError(code, f"Reworded {code}.", context)

    # the request model words every rule differently: the CLI says the same
    monkeypatch.setattr(request_model, "refusal", reworded)
    with pytest.raises(CommandLineError) as caught:
        parse_request(*argv)
    assert f"Reworded {rule}." in str(caught.value.__cause__)
    assert line in str(caught.value)


@pytest.mark.parametrize("argv", [
    ["build", "--mode", "both", "--prompt", "p"],
    ["build", "--width", "wide", "--prompt", "p"],
    ["models", "--mode", "all"],
    ["frobnicate"],
])
def test_usage_errors_are_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "error: ", "--help")


@pytest.mark.parametrize(("argv", "line"), [
    (["generate", "--promt", "a fox"],
     "ltx2 generate: error: unknown flag --promt; did you mean --prompt? "
     "(see ltx2 generate --help)"),
    (["build", "--prompt=p", "--image-strenght=1"],
     "ltx2 build: error: unknown flag --image-strenght; did you mean --image-strength? "
     "(see ltx2 build --help)"),
    (["check", "--server", "127.0.0.1:9", "--frobnicate"],
     "ltx2 check: error: unknown flag --frobnicate (see ltx2 check --help)"),
    (["build", "--prompt", "p", "stray"],
     "ltx2 build: error: unexpected argument 'stray' (see ltx2 build --help)"),
])
def test_an_unknown_flag_is_named_with_the_nearest_and_the_subcommands_help(
        argv: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == line


@pytest.mark.parametrize(("argv", "nearest"), [
    (["generat", "--prompt", "p"], "; did you mean generate? (see ltx2 --help)"),
    (["build", "--prompt", "p", "--mode", "prp"], "; did you mean pro? (see ltx2 build --help)"),
])
def test_a_typod_command_or_choice_gets_the_nearest(
        argv: list[str], nearest: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "invalid choice" in err and err.endswith(nearest), err
@pytest.mark.parametrize(("argv", "flag"), [
    (["build", "--prompt", "p", "--dur", "5"], "--dur"),
    (["generate", "--prompt", "p", "--over"], "--over"),
    (["models", "--form", "tsv"], "--form"),
    (["batch", "jobs.jsonl", "-o", "out", "--retr", "2"], "--retr"),
])
def test_flags_are_never_abbreviated(argv: list[str], flag: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A script that passes ``--dur`` breaks now, not when a ``--durable`` flag is added."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert f"unknown flag {flag}; did you mean --" in err


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    import ltx2sdk.app.cli.main as cli

    def needs_comfy_script(args: Any) -> int:
        import comfy_script.runtime  # noqa: F401  (blocked below: as if not installed)

        return 0

    monkeypatch.setitem(sys.modules, "comfy_script", None)
    monkeypatch.setattr(cli, "cmd_schema", needs_comfy_script)
    assert main(["schema"]) == 1
    assert_one_line_error(capsys.readouterr().err,
                          "comfy_script, which is not installed: "
                          "pip install 'ltx2sdk[comfyscript]'")


# --- image files: read and checked by build as by generate ------------------------------------

@pytest.mark.parametrize(("flags", "fragment"), [
    (["--model", "ltx-2.3"], "LTX-2.3 22B t2v fast needs ComfyUI >= 0.16.4; ComfyUI 0.8.0 is "
                             "older"),
    (["--enhance-prompt"], "ComfyUI 0.8.0 does not have it"),
])
def test_an_offline_build_for_a_release_names_the_release_not_a_server(
        flags: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--example", "--comfyui-version", "0.8.0", *flags]) == 2
    line = assert_one_line_error(capsys.readouterr().err, fragment)
    assert "server" not in line


def test_an_unbundled_release_builds_for_the_nearest_bundled_one_below(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for version in ("0.9.0", "0.8.0"):
        assert main(["build", "--example", "--comfyui-version", version,
                     "-o", str(tmp_path / f"{version}.json")]) == 0
        err = capsys.readouterr().err
        note = ("note: ComfyUI 0.9.0 is not bundled; building for 0.8.0, the nearest bundled "
                "release below it")
        assert (note in err) == (version == "0.9.0"), err
    assert (tmp_path / "0.9.0.json").read_text() == (tmp_path / "0.8.0.json").read_text()
    assert main(["build", "--example", "--comfyui-version", "0.7.0"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--comfyui-version: ComfyUI 0.7.0 is older "
                                                   "than the oldest bundled release, 0.8.0")


def test_build_notes_the_placeholder_a_url_or_base64_input_gets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The graph of an offline build names a placeholder for an input given by URL or
    base64: a note (stderr) says so, and how the real file gets there."""
    png = base64.b64encode(write_png(tmp_path / "a.png").read_bytes()).decode()
    assert main(["build", "--prompt", "p", "--image-url", "https://e.com/a.png",
                 "--last-image-base64", png, "-o", str(tmp_path / "g.json")]) == 0
    err = capsys.readouterr().err
    assert ("note: the graph names a placeholder, ltx2sdk_input.png, for the image "
            "(--image-url): put the file in ComfyUI's input/ folder under that name, or run "
            "ltx2 generate, which uploads the real one") in err
    assert "ltx2sdk_last_input.png, for the last image (--last-image-base64)" in err
    graph = (tmp_path / "g.json").read_text()
    assert "ltx2sdk_input.png" in graph and "ltx2sdk_last_input.png" in graph


def test_build_reminds_that_comfyui_loads_a_local_file_from_its_input_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = write_png(tmp_path / "my first.png")
    assert main(["build", "--prompt", "p", "--image", str(image),
                 "-o", str(tmp_path / "g.json")]) == 0
    err = capsys.readouterr().err
    assert ("note: the graph loads 'my first.png' (--image) from ComfyUI's input/ folder: "
            "copy the file there before queuing it (ltx2 generate uploads it itself)") in err
    assert main(["build", "--prompt", "p", "-o", str(tmp_path / "t.json")]) == 0
    assert "input/ folder" not in capsys.readouterr().err  # t2v: no input file


def test_build_names_the_image_file_as_comfyui_will_load_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = write_png(tmp_path / "me.png")
    assert main(["build", "--prompt", "p", "--image", str(png)]) == 0
    api = json.loads(capsys.readouterr().out)
    loads = [n["inputs"]["image"] for n in api.values() if n["class_type"] == "LoadImage"]
    assert loads == ["me.png"]


@pytest.mark.parametrize("command", ["build", "generate"])
@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("nothere.png", None, "cannot read it (No such file or directory)"),
    ("notes.png", b"these are not pixels", "not a readable image"),
    ("empty.png", b"", "not a readable image (it is empty)"),
    ("truncated.png", "TRUNCATED", "not a readable image (image file is truncated)"),
])
def test_an_image_file_that_cannot_be_used_is_one_line_naming_the_flag(
        command: str, name: str, content: bytes | str | None, fragment: str, tmp_path: Path,
        ltx_server: ComfyTestServer) -> None:
    path = tmp_path / name
    if content == "TRUNCATED":
        path.write_bytes(write_png(tmp_path / "whole.png", (64, 64)).read_bytes()[:80])
    elif isinstance(content, bytes):
        path.write_bytes(content)
    server = ["--server", ltx_server.url] if command == "generate" else []
    done = run_cli(command, "--prompt", "p", "--image", str(path), *server)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, f"--image {path}: ", fragment)
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


@pytest.mark.parametrize("command", ["build", "generate"])
@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("nothere.wav", None, "cannot read it (No such file or directory)"),
    ("notes.wav", b"these are words, not a voice", "not a readable audio file (wav, mp3, flac "
                                                   "or ogg)"),
    ("empty.mp3", b"", "not a readable audio file (it is empty)"),
    ("truncated.wav", wav_bytes(2.0)[:5000], "the WAV file is cut short"),
    ("long.wav", wav_bytes(61.0, 4000, 1, 1), "audio is 61.0 s long, over the 60 s limit"),
    ("opus.ogg", (AUDIO_FIXTURES / "tone_1s_48k_mono.opus.ogg").read_bytes(),
     "Ogg Opus is not read, only Ogg Vorbis"),
])
def test_an_audio_file_that_cannot_be_used_is_one_line_naming_the_flag(
        command: str, name: str, content: bytes | None, fragment: str, tmp_path: Path,
        ltx_server: ComfyTestServer) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    face = write_png(tmp_path / "face.png")
    server = ["--server", ltx_server.url] if command == "generate" else []
    done = run_cli(command, "--prompt", "p", "--model", "ltx-2.3", "--image", str(face),
                   "--audio", str(path), *server)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, f"--audio {path}: ", fragment)
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_an_audio_directory_or_an_oversized_file_is_refused_unread(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    face = write_png(tmp_path / "face.png")
    base = ["build", "--prompt", "p", "--model", "ltx-2.3", "--image", str(face), "--audio"]
    assert main([*base, str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "is a directory, not an audio file")
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as handle:  # sparse: 21 MB that were never written
        handle.truncate(21 * 1024 * 1024)
    assert main([*base, str(huge)]) == 2
    assert_one_line_error(capsys.readouterr().err, f"--audio {huge}: 21 MiB, over the 20 MiB limit")


def test_build_checks_image_base64(capsys: pytest.CaptureFixture[str]) -> None:
    data = base64.b64encode(b"plain text").decode()
    assert main(["build", "--prompt", "p", "--image-base64", data]) == 2
    assert_one_line_error(capsys.readouterr().err, "--image-base64: not a readable image")
    assert main(["build", "--prompt", "p", "--image-url", "https://e.com/a.png",
                 "--last-image-base64", data]) == 2
    assert_one_line_error(capsys.readouterr().err, "--last-image-base64: not a readable image")


@pytest.mark.parametrize("command", ["build", "generate"])
def test_a_last_image_file_that_cannot_be_used_names_its_flag(
        command: str, tmp_path: Path, ltx_server: ComfyTestServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    first = write_png(tmp_path / "first.png")
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"these are not pixels")
    server = ["--server", ltx_server.url] if command == "generate" else []
    for last, fragment in ((notes, "not a readable image"),
                           (tmp_path / "nothere.png", "cannot read it (No such file")):
        assert main([command, "--prompt", "p", "--image", str(first), "--last-image", str(last),
                     *server]) == 2
        assert_one_line_error(capsys.readouterr().err, f"--last-image {last}: ", fragment)
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_generate_names_image_url_by_its_flag(ltx_server: ComfyTestServer,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = "http://127.0.0.1:1/first.png"  # loopback: refused before anything is fetched
    assert main(["generate", "--prompt", "p", "--image-url", url,
                 "--server", ltx_server.url]) == 2
    assert_one_line_error(capsys.readouterr().err,
                          "--image-url: refusing to fetch from the non-public address")
    assert not ltx_server.received.prompts


def test_generate_names_last_image_url_by_its_flag(ltx_server: ComfyTestServer, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    first = write_png(tmp_path / "first.png")
    url = "http://127.0.0.1:1/last.png"  # loopback: refused before anything is fetched
    assert main(["generate", "--prompt", "p", "--image", str(first), "--last-image-url", url,
                 "--server", ltx_server.url]) == 2
    assert_one_line_error(capsys.readouterr().err,
                          "--last-image-url: refusing to fetch from the non-public address")
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_generate_refuses_an_existing_output_unless_told_to_overwrite(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "fox.mp4"
    mine.write_bytes(b"my own video")
    argv = ["generate", "--prompt", "p", "--duration", "1", "--server", ltx_server.url,
            "-o", str(mine), "--output-dir", str(tmp_path)]
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err, f"--output {mine}: exists; --overwrite "
                                                   "replaces it")
    assert mine.read_bytes() == b"my own video" and ltx_server.received.requests == []
    assert main([*argv, "--overwrite"]) == 0
    assert mine.read_bytes()[4:8] == b"ftyp"


@pytest.mark.parametrize(("output", "overwrite", "said"), [
    ("victim", True, "--output {tmp}/victim: is a folder; give a file name, or --output-dir "
                     "{tmp}/victim"),
    ("victim", False, "--output {tmp}/victim: is a folder; give a file name, or --output-dir"),
    ("victim/", False, "'{tmp}/victim/' names a folder; give a file name, or --output-dir "
                       "{tmp}/victim/"),
    ("afile/x.mp4", False, "--output {tmp}/afile/x.mp4: {tmp}/afile is a file, not a folder"),
])
def test_generate_refuses_an_output_no_video_can_take_before_any_work(
        output: str, overwrite: bool, said: str, ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "victim").mkdir()
    (tmp_path / "afile").write_text("mine")
    argv = ["generate", "--prompt", "p", "--duration", "1", "--server", ltx_server.url,
            "-o", f"{tmp_path}/{output}", "--output-dir", str(tmp_path)]
    try:
        code = main(argv + ["--overwrite"] * overwrite)
    except SystemExit as stop:  # a name ending in "/" is refused by the flag's parser
        code = stop.code
    assert code == 2
    assert_one_line_error(capsys.readouterr().err, said.format(tmp=tmp_path))
    assert ltx_server.received.requests == []  # nothing asked of the server
    assert (tmp_path / "afile").read_text() == "mine" and (tmp_path / "victim").is_dir()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_generate_and_batch_refuse_a_folder_nobody_can_write_in(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "p", "--server", ltx_server.url,
                 "-o", "/proc/x.mp4", "--output-dir", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err,
                          "--output /proc/x.mp4: cannot write in the folder /proc (")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "p"}\n')
    assert main(["batch", str(jobs), "--server", ltx_server.url, "-o", "/proc/b"]) == 2
    # (the folder given is named: it is the one that cannot be created)
    assert_one_line_error(capsys.readouterr().err, "--output-dir /proc/b: cannot create the "
                                                   "folder /proc/b (")
    assert ltx_server.received.requests == []


def test_batch_refuses_an_output_folder_that_is_a_file_before_anything_starts(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "p"}\n')
    afile = tmp_path / "afile"
    afile.write_text("mine")
    for output in (afile, afile / "out"):
        assert main(["batch", str(jobs), "--server", ltx_server.url, "-o", str(output)]) == 2
        assert_one_line_error(capsys.readouterr().err,
                              f"--output-dir {output}: {afile} is a file, not a folder")
    assert ltx_server.received.requests == [] and afile.read_text() == "mine"


def test_generate_creates_the_missing_folders_of_its_output(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "fox.mp4"
    assert main(["generate", "--prompt", "p", "--duration", "1", "--server", ltx_server.url,
                 "-o", str(target), "--output-dir", str(tmp_path / "others")]) == 0
    assert target.read_bytes()[4:8] == b"ftyp"
    mode = target.stat().st_mode & 0o777
    assert mode == 0o666 & ~current_umask()  # as readable as any file the user makes


def test_a_dry_run_checks_the_output_and_creates_no_folder(
        ltx_server: ComfyTestServer, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "fox.mp4"
    assert main(["generate", "--prompt", "p", "--dry-run", "--server", ltx_server.url,
                 "-o", str(target), "--output-dir", str(tmp_path / "others")]) == 0
    assert f"video: {target}" in capsys.readouterr().err
    # nothing made, not even a folder
    assert not (tmp_path / "new").exists() and not (tmp_path / "others").exists()
    (tmp_path / "new").write_text("a file")
    assert main(["generate", "--prompt", "p", "--dry-run", "--server", ltx_server.url,
                 "-o", str(target)]) == 2
    assert_one_line_error(capsys.readouterr().err, f"{tmp_path / 'new'} is a file, not a folder")


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("argv", [["build", "--example"],
                                  ["build", "--example", "--format", "comfyscript"],
                                  ["schema"]])
def test_build_and_schema_never_clobber_a_file_unless_told_to(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keep = tmp_path / "keep.json"
    keep.write_text("mine")
    assert main([*argv, "-o", str(keep)]) == 2
    assert_one_line_error(last_line(capsys.readouterr().err),
                          f"--output {keep}: exists; --overwrite replaces it")
    assert keep.read_text() == "mine"
    assert main([*argv, "-o", str(keep), "--overwrite"]) == 0, capsys.readouterr().err
    assert keep.read_text() != "mine" and keep.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]  # no temporary file left
    new = tmp_path / "sub" / "new.json"  # a missing folder is made
    assert main([*argv, "-o", str(new)]) == 0 and new.read_text() == keep.read_text()
    assert main([*argv, "-o", str(tmp_path)]) == 2
    assert_one_line_error(last_line(capsys.readouterr().err), f"--output {tmp_path}: is a folder")


def last_line(err: str) -> str:
    """The error of a build's stderr: its last line (the plan and notes come first)."""
    return err.strip().splitlines()[-1]


def test_a_failed_write_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    keep = tmp_path / "keep.json"
    keep.write_text("mine")

    class FullDisk(io.BytesIO):
        def write(self, data: Any) -> int:
            super().write(bytes(data)[:10])  # a part lands, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")

    def opening(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        open(file, mode, *args, **kwargs).close()
        return FullDisk()

    monkeypatch.setattr("ltx2sdk.backends.outputs.open", opening, raising=False)
    assert main(["build", "--example", "-o", str(keep), "--overwrite"]) == 1
    assert_one_line_error(last_line(capsys.readouterr().err),
                          f"--output {keep}: cannot write it (No space left on device)")
    assert keep.read_text() == "mine"  # the old file whole, no half new one
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_generate_uploads_the_checked_image_file(ltx_server: ComfyTestServer, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    png = write_png(tmp_path / "first.png")
    code = main(["generate", "--prompt", "p", "--image", str(png), "--duration", "1",
                 "--server", ltx_server.url, "--output", str(tmp_path / "v.mp4"),
                 "--output-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    [upload] = ltx_server.received.uploads
    assert upload.size == png.stat().st_size


def test_generate_uploads_the_same_image_once(ltx_server: ComfyTestServer, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 21 point 12: every ``generate --image`` uploaded it again under a new name."""
    png = write_png(tmp_path / "first.png")
    for run in (1, 2):
        assert main(["generate", "--prompt", "p", "--image", str(png), "--duration", "1",
                     "--server", ltx_server.url, "--output", str(tmp_path / f"v{run}.mp4")]
                    ) == 0, capsys.readouterr().err
    [upload] = ltx_server.received.uploads
    assert upload.name == f"ltx2sdk_{hashlib.sha256(png.read_bytes()).hexdigest()[:32]}.png"
    loads = {n["inputs"]["image"] for posted in ltx_server.received.prompts
             for n in posted["prompt"].values() if n["class_type"] == "LoadImage"}
    assert loads == {upload.name} and len(ltx_server.received.prompts) == 2


def test_generate_does_each_piece_of_work_once(ltx_server: ComfyTestServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``ltx2 generate --image F``: the image decoded once, the request checked once, the
    server waited for once, its schemas asked once, the prompt checked once (no /view probe
    for the upload it knows of) and queued once; the only /view is the video's download."""
    decoded: list[str] = []
    real_decode = images.decode_image
    lengths_checked: list[Any] = []
    real_check_length = plan.check_length
    monkeypatch.setattr(plan, "check_length", lambda *a: lengths_checked.append(a)
                        or real_check_length(*a))

    def counting_decode(data: bytes, field: str, **kwargs: Any) -> Any:
        decoded.append(field)
        return real_decode(data, field, **kwargs)

    monkeypatch.setattr(images, "decode_image", counting_decode)
    png = write_png(tmp_path / "first.png")
    code = main(["generate", "--prompt", "p", "--image", str(png), "--duration", "1",
                 "--server", ltx_server.url, "--output", str(tmp_path / "v.mp4"),
                 "--output-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert decoded == ["--image"]
    assert len(lengths_checked) == 1  # check_request ran once
    trips = Counter(re.sub(r"/history/[\w-]+$", "/history/ID", f"{method} {path}")
                    for method, path in ltx_server.received.requests)
    assert trips == {
        "GET /api/v2/health": 1, f"GET /api/v2/jobs/{NO_SUCH_JOB}": 1,  # which API it speaks
        "GET /system_stats": 1, "GET /object_info": 1, "POST /upload/image": 1,
        "GET /ws": 1, "POST /prompt": 1, "GET /history/ID": 1, "GET /view": 1}


def test_python_errors_still_name_the_request_field() -> None:
    """The CLI maps fields to flags itself; the request model's messages are unchanged."""
    from ltx2sdk.errors import RequestError
    from ltx2sdk.request import describe_validation_error

    with pytest.raises(RequestError) as err:
        GenerationRequest(prompt="p", type="i2v")
    assert "image_url, image_base64 or image" in describe_validation_error(err.value)


# --- generate's summary -----------------------------------------------------------------------

def test_generate_summary_is_labelled(ltx_server: ComfyTestServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "fox.mp4"
    assert main(["generate", "--prompt", "a fox", "--duration", "2", "--seed", "3",
                 "--server", ltx_server.url, "-o", str(video),
                 "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip()
    match = re.fullmatch(
        rf"{re.escape(str(video))}  \(1280x704, 49 frames at 24 fps = 2 s of video, seed 3, "
        r"(.+); took (\d+\.\d) s\)", out)
    assert match, out
    assert match.group(1) == byte_size(video.stat().st_size)


def test_generate_prints_the_plan_and_the_video_path_before_the_run(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plan (pipeline, size, frames, fps, seed), each adjustment and where the video
    will go come before the first progress line; the seed chosen is the one run."""
    video = tmp_path / "fox.mp4"
    assert main(["generate", "--prompt", "a fox", "--duration", "2", "--width", "1000",
                 "--server", ltx_server.url, "-o", str(video),
                 "--output-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    plan = next(i for i, line in enumerate(err) if line.startswith("ltx-2 t2v fast: "))
    note = err.index("note: size 1000x720 -> 1024x704 (two-stage LTX-2 needs multiples of 64)")
    where = err.index(f"video: {video}")
    first_progress = next(i for i, line in enumerate(err) if "%" in line)
    assert plan < note < where < first_progress, err
    seed = int(re.search(r"seed (\d+)", err[plan]).group(1))  # type: ignore[union-attr]
    assert f"seed {seed}," in captured.out
    assert "1024x704, 49 frames at 24 fps (2 s)" in err[plan]
    assert not any(line.startswith("note:") for line in err[first_progress:])


def test_a_job_the_server_refuses_is_one_line_without_a_plan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The plan is said once the server's check has passed: a refused job is its one line."""
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv:
        assert main(["generate", "--prompt", "a fox", "--server", srv.url,
                     "--output-dir", str(tmp_path)]) == 1
    assert_one_line_error(capsys.readouterr().err, "missing model files")


def test_generate_without_output_says_the_folder_and_the_name_rule(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "a fox", "--duration", "1", "--dry-run",
                 "--server", ltx_server.url, "--output-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert f"video: {tmp_path}/, under the server's file name (such as " \
           f"{tmp_path / 'ltx2sdk_00001_.mp4'}; 'name (1).mp4' when a file has it)" in err


def test_dry_run_checks_on_the_server_and_uploads_and_queues_nothing(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = write_png(tmp_path / "first frame.png")
    video = tmp_path / "smile.mp4"
    assert main(["generate", "--prompt", "she smiles", "--image", str(image), "--mode", "pro",
                 "--dry-run", "--server", ltx_server.url, "-o", str(video)]) == 0
    captured = capsys.readouterr()
    assert "ltx-2 i2v pro: " in captured.err and f"video: {video}" in captured.err
    assert captured.out.startswith(f"dry run: ComfyUI at {ltx_server.url} would run it")
    assert "nothing was uploaded or queued" in captured.out
    assert not ltx_server.received.prompts and not ltx_server.received.uploads
    posted = [r for r in ltx_server.received.requests if r[0] == "POST"]
    assert posted == [], posted
    assert not video.exists()


def test_dry_run_json_is_one_document(ltx_server: ComfyTestServer, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "fox.mp4"
    assert main(["generate", "--prompt", "a fox", "--seed", "7", "--dry-run", "--json",
                 "--server", ltx_server.url, "-o", str(video)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    assert document["dry_run"] is True and document["checked"] is True
    assert document["video"] == str(video) and document["plan"]["seed"] == 7
    assert document["server"]["url"] == ltx_server.url
    assert not ltx_server.received.prompts and not ltx_server.received.uploads


def test_dry_run_fails_as_generate_would_on_a_server_missing_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ComfyTestServer(models={}, output_dir=tmp_path) as srv:
        code = main(["generate", "--prompt", "a fox", "--dry-run", "--server", srv.url])
        assert not srv.received.prompts and not srv.received.uploads
    assert code == 1
    assert_one_line_error(capsys.readouterr().err, "missing model files")


def test_dry_run_refuses_an_existing_output_as_generate_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "fox.mp4"
    video.write_bytes(b"mine")
    assert main(["generate", "--prompt", "a fox", "--dry-run", "-o", str(video),
                 "--server", "http://127.0.0.1:9"]) == 2
    assert_one_line_error(capsys.readouterr().err, "exists; --overwrite replaces it")


# --- server URLs and waiting ------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "url"), [
    ("127.0.0.1:8288", "http://127.0.0.1:8288"),
    ("gpu-box:8188/", "http://gpu-box:8188"),
    ("localhost", "http://localhost"),
    ("box.example:443", "https://box.example:443"),
    ("HTTP://Box:8188", "http://Box:8188"),
    ("https://proxy.example/comfy/", "https://proxy.example/comfy"),
    ("[::1]:8188", "http://[::1]:8188"),
    ("http://user:pw@box:8188", "http://user:pw@box:8188"),
])
def test_server_urls_as_typed(typed: str, url: str) -> None:
    assert normalize_server_url(typed) == url


@pytest.mark.parametrize(("typed", "fragment"), [
    ("", "empty"),
    ("8188", "only a port"),
    (":8188", "only a port"),
    ("ftp://box:8188", "scheme 'ftp'"),
    ("ws://box:8188/ws", "WebSocket URL: give the server's http:// URL (http://box:8188)"),
    ("http:/box:8188", "malformed"),
    ("http://", "no host"),
    ("http://box:99999", "has the port 99999: a port is 1 to 65535"),
    ("http://box:port", "has the port 'port': a port is ASCII digits 0-9"),
    ("http://box:8188/?x=1", "query or a fragment"),
    ("http://gpu box:8188", "spaces"),
    ("http://[::1:8188", "malformed"),
    ("http://box:8188/prompt", "ends in /prompt, one of ComfyUI's routes: give the server's "
     "URL without it: http://box:8188"),
    ("box:8188/api/prompt/", "ends in /api/prompt, one of ComfyUI's routes: give the "
     "server's URL without it: http://box:8188"),
    ("https://proxy.example/comfy/system_stats", "URL without it: https://proxy.example/comfy"),
])
def test_malformed_server_urls(typed: str, fragment: str) -> None:
    with pytest.raises(ServerUrlError, match=re.escape(fragment)):
        normalize_server_url(typed)


@pytest.mark.parametrize(("typed", "port"), [
    ("127.0.0.1:\u0668\u0661\u0668\u0668", "\u0668\u0661\u0668\u0668"),  # Arabic-Indic
    ("http://localhost:\uff18\uff11\uff18\uff18", "\uff18\uff11\uff18\uff18"),  # full-width
    ("box:8_188", "8_188"), ("[::1]:\u0668\u0661", "\u0668\u0661"), ("box:+80", "+80")])
def test_a_port_not_in_ascii_digits_is_named_as_such(typed: str, port: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # int() reads other scripts' digits and "_": a port is read by the flags' ASCII rule
    with pytest.raises(ServerUrlError) as raised:
        normalize_server_url(typed)
    assert str(raised.value) == (f"the server URL {typed!r} has the port {port!r}: a port is "
                                 "ASCII digits 0-9, 1 to 65535, as in http://127.0.0.1:8188")
    with pytest.raises(SystemExit) as exited:  # argparse's own usage error
        main(["check", "--server", typed])
    assert exited.value.code == 2
    line = assert_one_line_error(capsys.readouterr().err, "ltx2 check: error: argument --server: ")
    assert f"has the port {port!r}" in line


@pytest.mark.parametrize("typed", ["127.0.0.1:", "http://box:/", "[::1]:"])
def test_an_empty_port_is_refused_not_read_as_port_80(typed: str,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    with pytest.raises(ServerUrlError) as raised:
        normalize_server_url(typed)
    assert str(raised.value) == (f"the server URL {typed!r} has an empty port: give it (as in "
                                 "http://127.0.0.1:8188) or drop the ':'")
    with pytest.raises(SystemExit) as exited:  # argparse's own usage error
        main(["check", "--server", typed])
    assert exited.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "ltx2 check: error: argument --server: ")


def test_a_server_url_without_scheme_works(ltx_server: ComfyTestServer,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bare = ltx_server.url.removeprefix("http://")
    assert main(["check", "--server", bare, "--mode", "fast"]) == 0
    assert f"at {ltx_server.url} is up" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["check", "generate"])
def test_a_malformed_server_url_is_one_line_at_once(command: str) -> None:
    start = time.monotonic()
    prompt = ["--prompt", "p"] if command == "generate" else []
    done = run_cli(command, *prompt, "--server", "ftp://box:8188")
    assert done.returncode == 2
    assert time.monotonic() - start < 10  # no waiting: the interpreter's start-up only
    assert_one_line_error(done.stderr, f"ltx2 {command}: error: argument --server: ",
                          "scheme 'ftp'")


def test_a_server_url_with_a_route_says_to_drop_it() -> None:
    done = run_cli("generate", "--prompt", "p", "--server", "http://127.0.0.1:8188/prompt")
    assert done.returncode == 2
    assert_one_line_error(done.stderr, "ltx2 generate: error: argument --server: ",
                          "ends in /prompt", "without it: http://127.0.0.1:8188")


def test_a_path_the_server_does_not_know_is_named_with_the_url_without_it(
        ltx_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--server", f"{ltx_server.url}/comfy"]) == 1
    assert_one_line_error(capsys.readouterr().err,
                          f"the server at {ltx_server.url}/comfy does not answer like a "
                          "ComfyUI (GET /system_stats answered HTTP 404): is the path /comfy "
                          f"right? Without it: {ltx_server.url}")


def test_comfy_url_is_the_default_server(ltx_server: ComfyTestServer) -> None:
    env = {**os.environ, "COMFY_URL": ltx_server.url.removeprefix("http://")}
    done = run_cli("check", "--mode", "fast", env=env)
    assert done.returncode == 0, done.stderr
    env["COMFY_URL"] = "ftp://box"
    done = run_cli("check", env=env)
    assert done.returncode == 2
    assert_one_line_error(done.stderr, "COMFY_URL: ", "scheme 'ftp'")


@pytest.mark.parametrize("command", ["check", "generate"])
def test_a_refused_connection_fails_within_seconds(command: str) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    prompt = ["--prompt", "p"] if command == "generate" else []
    done = run_cli(command, *prompt, "--server", url)
    elapsed = time.monotonic() - start
    assert done.returncode == 1
    assert elapsed < 6, elapsed  # a 2 s grace, not the 30 s of --ready-timeout's default
    assert_one_line_error(done.stderr, f"ComfyUI at {url} was not ready within 1 s "
                          "(connection refused)", "--ready-timeout")


@pytest.mark.parametrize("wait", [[], ["--ready-timeout", "60"]])
def test_an_unknown_host_fails_within_seconds_saying_to_check_the_url(
        wait: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    assert main(["check", "--server", "http://no-such-host.invalid:8188", *wait]) == 1
    assert time.monotonic() - start < 6  # never waited for: a name does not start resolving
    err = capsys.readouterr().err
    assert_one_line_error(err, "cannot reach ComfyUI at http://no-such-host.invalid:8188: "
                          "unknown host (the name no-such-host.invalid does not resolve: "
                          "check the URL)")
    assert "--ready-timeout" not in err  # waiting would not help: not suggested


def test_on_a_terminal_the_wait_is_announced() -> None:
    import pty

    url = f"http://127.0.0.1:{free_port()}"
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "ltx2sdk.app.cli.main", "check",
                             "--server", url],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=30) == 1
    assert proc.stdout is not None
    proc.stdout.close()
    lines = b"".join(chunks).decode().replace("\r", "").strip().splitlines()
    assert lines[0] == f"waiting for ComfyUI at {url} (Ctrl-C to stop)"
    assert len(lines) == 2
    assert_one_line_error(lines[1], "connection refused")


def test_not_on_a_terminal_nothing_is_said_while_waiting(tmp_path: Path) -> None:
    with ComfyTestServer(models=catalog_models(), faults=Faults(slow_start=1.0),
                         output_dir=tmp_path) as srv:
        done = run_cli("check", "--server", srv.url, "--mode", "fast", "--ready-timeout", "20")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_ready_timeout_waits_for_a_server_that_is_starting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ComfyTestServer(models=catalog_models(), faults=Faults(slow_start=3.5),
                         output_dir=tmp_path / "a") as srv:
        start = time.monotonic()
        assert main(["check", "--server", srv.url, "--mode", "fast"]) == 1
        assert time.monotonic() - start < 3.5  # given up before it listened
        assert_one_line_error(capsys.readouterr().err, "connection refused")
    with ComfyTestServer(models=catalog_models(), faults=Faults(slow_start=3.5),
                         output_dir=tmp_path / "b") as srv:
        assert main(["check", "--server", srv.url, "--mode", "fast",
                     "--ready-timeout", "30"]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "ready for LTX-2 (fast)"


def test_wait_ready_retries_refused_connections_for_the_grace_only() -> None:
    from ltx2sdk import ComfyClient

    client = ComfyClient(f"http://127.0.0.1:{free_port()}")
    waits: list[bool] = []
    start = time.monotonic()
    with pytest.raises(ServerUnavailableError,
                       match=r"not ready within 0\.5 s \(connection refused\)$"):
        client.wait_ready(timeout=60, interval=0.1, refused_grace=0.5,
                          on_wait=lambda: waits.append(True))
    assert time.monotonic() - start < 3
    assert waits == [True]  # announced once
    # the client takes a URL as people type it, and refuses one that cannot work at once
    assert ComfyClient("box:8188").base_url == "http://box:8188"
    with pytest.raises(ValueError, match="is a WebSocket URL"):
        ComfyClient("ws://box:8188")


def test_a_server_that_is_not_comfyui_is_one_line_at_once(
        ltx_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    from aiohttp import web

    async def web_page(request: web.Request, handler: Any) -> Any:
        return web.Response(status=404, text="<html>\n<body>Not Found</body>\n</html>",
                            content_type="text/html")

    ltx_server.faults.tamper = web_page
    start = time.monotonic()
    assert main(["check", "--server", ltx_server.url]) == 1
    assert time.monotonic() - start < 2
    assert_one_line_error(capsys.readouterr().err,
                          f"the server at {ltx_server.url} does not answer like a ComfyUI "
                          "(GET /system_stats answered HTTP 404)")


def test_a_server_that_accepts_but_never_answers_is_waited_for_until_the_timeout(
        ltx_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from aiohttp import web

    async def silent(request: web.Request, handler: Any) -> Any:
        while ltx_server.faults.tamper is silent:  # until the test is over
            await asyncio.sleep(0.05)
        return web.Response(status=499, text="gone")

    ltx_server.faults.tamper = silent
    start = time.monotonic()
    assert main(["check", "--server", ltx_server.url, "--ready-timeout", "1.5"]) == 1
    assert 1.4 < time.monotonic() - start < 4
    ltx_server.faults.tamper = None
    assert_one_line_error(capsys.readouterr().err, f"ComfyUI at {ltx_server.url} was not "
                          "ready within 1.5 s (no answer in time)")


def test_a_proxy_answering_503_is_waited_for(ltx_server: ComfyTestServer,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from aiohttp import web

    refused: list[str] = []

    async def starting(request: web.Request, handler: Any) -> Any:
        if len(refused) < 3:
            refused.append(request.path)
            return web.Response(status=503, text="upstream is starting")
        return None

    ltx_server.faults.tamper = starting
    assert main(["check", "--server", ltx_server.url, "--mode", "fast"]) == 0
    assert refused == ["/system_stats"] * 3
    assert capsys.readouterr().out.splitlines()[-1] == "ready for LTX-2 (fast)"


def test_a_connection_lost_mid_command_is_one_line(
        ltx_server: ComfyTestServer, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from aiohttp import web

    async def hang_up_on_object_info(request: web.Request, handler: Any) -> Any:
        if request.path == "/object_info":
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(0.05)
            return web.Response(text="never sent")
        return None

    ltx_server.faults.tamper = hang_up_on_object_info
    assert main(["check", "--server", ltx_server.url]) == 1
    assert_one_line_error(capsys.readouterr().err,
                          f"cannot reach ComfyUI at {ltx_server.url}/object_info: the server "
                          "closed the connection without answering")


# --- progress -----------------------------------------------------------------------------------

def test_progress_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    from ltx2sdk.app.cli.server_commands import ProgressPrinter
    from ltx2sdk.app.progress import ProgressUpdate

    updates = [ProgressUpdate("Stage 1 sampling", "9", "SamplerCustomAdvanced", s, 8, s * 5.0,
                              elapsed=2.0 * s, steps_left=8 - s) for s in range(1, 9)] + [
        ProgressUpdate("finished", "", "", 0, 0, 100.0, True, elapsed=18.0)]
    tty, plain = io.StringIO(), io.StringIO()
    for update in updates:
        ProgressPrinter(tty, interactive=True)(update)
    printer = ProgressPrinter(plain, interactive=False, min_interval=3600)
    for update in updates:
        printer(update)
    assert tty.getvalue().count("\r") == len(updates) and "[#" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
    lines = plain.getvalue().splitlines()
    # a log: the sampler's first step, each quarter of its steps, and the end
    assert lines == ["  5.0%  Stage 1 sampling step 1/8  ETA after the first steps  elapsed 0:02",
                     " 10.0%  Stage 1 sampling step 2/8  ETA after the first steps  elapsed 0:04",
                     " 20.0%  Stage 1 sampling step 4/8  ETA after the first steps  elapsed 0:08",
                     " 30.0%  Stage 1 sampling step 6/8  ETA after the first steps  elapsed 0:12",
                     " 40.0%  Stage 1 sampling step 8/8  elapsed 0:16",
                     "100.0%  finished  elapsed 0:18"]


def test_the_progress_bar_fits_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line wider than the terminal wraps, and "\\r" then redraws only its last part."""
    from ltx2sdk.app.cli.server_commands import ProgressPrinter
    from ltx2sdk.app.progress import ProgressUpdate

    monkeypatch.setenv("COLUMNS", "60")
    tty = io.StringIO()
    printer = ProgressPrinter(tty, interactive=True)
    printer(ProgressUpdate("Stage 1 sampling with a long title", "9", "SamplerCustomAdvanced",
                           3, 8, 40.0))
    [drawn] = tty.getvalue().split("\r")[1:]
    assert len(drawn) == 59 and drawn.startswith("[")


def test_models_of_a_mode_a_model_lacks_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--model", "ltx-2.5", "--mode", "pro"]) == 2
    assert_one_line_error(capsys.readouterr().err, "--mode: ltx-2.5 has no pro pipelines")
    assert main(["models", "--model", "ltx-2.5", "--mode", "fast", "--format", "tsv"]) == 0
    folders = {line.split("\t")[0] for line in capsys.readouterr().out.splitlines()}
    assert folders == {"diffusion_models", "vae", "text_encoders", "latent_upscale_models"}


def test_a_password_in_the_server_url_is_never_printed(ltx_server: ComfyTestServer,
                                                      tmp_path: Path) -> None:
    """``ltx2 check`` says where the server is, ``ltx2 batch`` records and prints its target,
    and an unreachable one is named in the error: each with ``***`` for the password."""
    up = ltx_server.url.replace("http://", "http://alice:PASS-w0rd@")
    down = f"http://alice:PASS-w0rd@127.0.0.1:{free_port()}"
    checked = run_cli("check", "--server", up)
    assert f"at {ltx_server.url.replace('http://', 'http://***@')} is up" in checked.stdout
    refused = run_cli("generate", "--prompt", "p", "--server", down, "--ready-timeout", "1",
                      "-o", str(tmp_path / "v.mp4"))
    assert refused.returncode != 0 and "http://***@127.0.0.1" in refused.stderr
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "p", "duration": 1}) + "\n")
    batch = run_cli("batch", str(jobs), "--server", up, "-o", str(tmp_path / "out"),
                    timeout=120)
    assert batch.returncode == 0, batch.stderr
    results = (tmp_path / "out" / "results.jsonl").read_text()
    assert '"target":"http://***@127.0.0.1:' in results
    for text in (checked.stdout, checked.stderr, refused.stdout, refused.stderr, batch.stdout,
                 batch.stderr, results):
        assert "PASS-w0rd" not in text


HOSTILE_TEXT = "boom\x1b[2J\x1b]0;pwned\x07\rok        job 9\x1b]8;;http://evil.example\x1b\\x"


def _no_control_characters(text: str) -> None:
    raw = [char for char in text if not char.isprintable() and char not in "\n"]
    assert not raw, f"raw control characters reached the terminal: {raw!r} in {text!r}"


def test_escape_sequences_from_the_server_do_not_reach_the_terminal(
        ltx_server: ComfyTestServer, tmp_path: Path) -> None:
    """Server text is data: a node's exception message (``ltx2 generate``, ``ltx2 batch``)
    and the server's version (``ltx2 check``) that carry ESC, OSC (a title, an OSC 8 link)
    and a carriage return are printed escaped, never as the raw characters."""
    from aiohttp import web

    ltx_server.faults.error_at_class = "SaveVideo"
    ltx_server.faults.error_message = HOSTILE_TEXT
    generated = run_cli("generate", "--prompt", "p", "--duration", "1", "--server",
                        ltx_server.url, "-o", str(tmp_path / "v.mp4"))
    assert generated.returncode == 1 and "boom\\x1b[2J" in generated.stderr, generated.stderr
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "p", "duration": 1}) + "\n")
    batch = run_cli("batch", str(jobs), "--server", ltx_server.url, "-o", str(tmp_path / "out"),
                    "--retries", "0", timeout=120)
    assert "boom\\x1b[2J" in batch.stdout + batch.stderr, batch.stdout + batch.stderr

    async def version(request: web.Request, handler: Any) -> web.StreamResponse | None:
        if request.path.removeprefix("/api") != "/system_stats":
            return None
        answer = await handler(request)
        stats = json.loads(answer.body)
        stats["system"]["comfyui_version"] = "0.26.0" + HOSTILE_TEXT
        return web.json_response(stats)

    ltx_server.faults.tamper = version
    checked = run_cli("check", "--server", ltx_server.url)
    assert "0.26.0boom\\x1b[2J" in checked.stdout, checked.stdout + checked.stderr
    for text in (generated.stdout, generated.stderr, batch.stdout, batch.stderr, checked.stdout,
                 checked.stderr):
        _no_control_characters(text)


def test_ready_timeout_has_one_default_said_the_same_way_everywhere(
        capsys: pytest.CaptureFixture[str]) -> None:
    from ltx2sdk.app.cli.server_commands import READY_TIMEOUT_HELP

    for command in ("generate", "check", "batch"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert " ".join(READY_TIMEOUT_HELP.split()) in text, command
    assert "fails after 1 s" in READY_TIMEOUT_HELP and "30 s" in READY_TIMEOUT_HELP


def test_a_device_as_output_is_refused_as_such_with_or_without_overwrite(
        capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ([], ["--overwrite"]):  # not "exists; --overwrite replaces it": it would not
        assert main(["build", "--example", "-o", os.devnull, *extra]) == 2
        err = capsys.readouterr().err
        assert f"--output {os.devnull}: is not a regular file: it is never replaced" in err


@pytest.mark.parametrize(("loras", "said"), [
    ([{"name": "a.safetensors", "strength": 20}], "loras.0.strength: at most 10, not 20"),
    (["a.safetensors", {"name": "b.safetensors", "strength": "x"}],
     "loras.1.strength: must be a number, not a string"),
    ([None], "loras.0: must be a file name or an object"),
])
def test_a_request_files_lora_error_names_the_path_to_the_bad_value(
        loras: list[Any], said: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # as the worker and a batch line name it: the list alone does not say which value
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"prompt": "p", "loras": loras}))
    assert main(["build", "--request", str(job)]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert line.startswith(f"ltx2: error: invalid request: {said}"), line


def test_a_lora_flags_error_still_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "p", "--lora", "a.safetensors:20"]) == 2
    line = assert_one_line_error(capsys.readouterr().err)
    assert line == "ltx2: error: invalid request: --lora: at most 10, not 20", line
