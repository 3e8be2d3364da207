"""A video as an input (canny2v, depth2v), everywhere a request goes: the request model, the CLI
(``--video FILE`` read and measured, ``build`` offline, ``generate`` uploading it), ``generate()``
in Python, the RunPod worker (its video caps from the environment) and a batch's check.

Servers are the loopback stand-in (``tests.comfyserver``); the videos are real files encoded
by FFmpeg (``tests.media.video_files``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.check import check_jobs
from ltx2sdk.app.generate import InputPolicy, generate, prepare_inputs
from ltx2sdk.errors import RequestError, VideoInputError
from ltx2sdk.media.video import VideoData, VideoLimits
from ltx2sdk.request import GenerationRequest
from ltx2sdk.vocabulary import VIDEO
from runpod_handler import WorkerConfig, run_job
from tests.app.test_cli import assert_one_line_error, run_cli
from tests.comfyserver import ComfyTestServer
from tests.helpers import png_bytes
from tests.media.video_files import make_video

CLIP = make_video("mp4", frames=49, fps=24)  # 2.04 s
CLIP_B64 = base64.b64encode(CLIP).decode()
PNG_B64 = base64.b64encode(png_bytes()).decode()


# --- the request model -----------------------------------------------------------------------


def _refusal(fields: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(RequestError) as caught:
        GenerationRequest.model_validate({"prompt": "p", **fields})
    [error] = caught.value.errors()
    return dict(error)


def test_a_video_without_a_type_asks_for_one() -> None:
    error = _refusal({"video_url": "https://clips.test/a.mp4"})
    assert error["type"] == "type_needed"
    assert error["ctx"]["types"] == ["canny2v", "depth2v"]
    assert error["msg"] == ("video_url is used by type 'canny2v' or 'depth2v': give the type")


def test_a_control_type_needs_a_video_and_not_an_image() -> None:
    error = _refusal({"type": "canny2v"})
    assert (error["type"], error["ctx"]["input"]) == ("input_missing", "video")
    request = GenerationRequest(prompt="p", type="canny2v", video_url="https://clips.test/a.mp4")
    assert request.image_url is None and request.video_start == 0
    with_image = GenerationRequest(prompt="p", type="depth2v", video="clip.mp4", image="a.png")
    assert with_image.image == "a.png"


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"type": "t2v", "video_url": "https://clips.test/a.mp4"},
     "video_url is only used with type 'canny2v' or 'depth2v' (type is 't2v')"),
    ({"type": "i2v", "image": "a.png", "video_start": 2},
     "video_start is only used with type 'canny2v' or 'depth2v' (type is 'i2v')"),
    ({"type": "canny2v", "video_url": "file:///etc/passwd"}, "video_url: not an http(s) URL"),
    ({"type": "canny2v", "video": "../clip.mp4"}, "video: must be a file name"),
    ({"type": "canny2v", "video": "a.mp4", "video_url": "https://clips.test/a.mp4"},
     "give only one video source, not video_url and video"),
    ({"type": "canny2v", "video": "a.mp4", "video_start": -1},
     "video_start: at least 0, not -1"),
])
def test_video_fields_are_checked_naming_the_field(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RequestError, match="^invalid request: .*" + fragment.replace(
            "(", r"\(").replace(")", r"\)")):
        GenerationRequest.model_validate({"prompt": "p", **fields})


def test_the_repr_shows_a_video_by_its_size() -> None:
    request = GenerationRequest(prompt="p", type="canny2v", video_base64=CLIP_B64)
    assert CLIP_B64[:40] not in repr(request)
    assert "video_base64=<" in repr(request)


# --- generate() and its input policy ------------------------------------------------------------


def test_prepare_inputs_reads_and_measures_the_video() -> None:
    request = GenerationRequest(prompt="p", type="canny2v", video_base64=CLIP_B64)
    prepared = prepare_inputs(request, InputPolicy())
    video = prepared[VIDEO]
    assert isinstance(video, VideoData)
    assert (video.frames, video.fps, video.container) == (49, 24, "mp4")


def test_the_policy_caps_the_video() -> None:
    request = GenerationRequest(prompt="p", type="canny2v", video_base64=CLIP_B64)
    policy = InputPolicy(video=VideoLimits(max_seconds=1.0))
    with pytest.raises(VideoInputError, match=r"^video_base64: video is 2\.0 s long, over the "
                                              r"1 s limit$"):
        prepare_inputs(request, policy)


def test_a_bad_video_cap_is_refused() -> None:
    with pytest.raises(ValueError, match=r"VideoLimits\.max_frames must be a positive whole"):
        InputPolicy(video=VideoLimits(max_frames=0))


def test_generate_uploads_the_video_and_the_graph_loads_it(ltx_server: ComfyTestServer,
                                                            tmp_path: Path) -> None:
    result = generate({"prompt": "a squirrel", "type": "canny2v", "video_base64": CLIP_B64,
                       "image_base64": PNG_B64, "seed": 3}, ltx_server.url,
                      output_dir=tmp_path)
    assert result.type == "canny2v" and result.video.exists()
    uploaded = {up.name: up for up in ltx_server.received.uploads}
    [video_name] = [name for name in uploaded if name.endswith(".mp4")]
    assert uploaded[video_name].sha256 == hashlib.sha256(CLIP).hexdigest()
    [posted] = ltx_server.received.prompts
    assert [n["inputs"]["file"] for n in posted["prompt"].values()
            if n["class_type"] == "LoadVideo"] == [video_name]


# --- the CLI ----------------------------------------------------------------------------------


def test_build_reads_a_local_video_and_names_it_as_comfyui_loads_it(tmp_path: Path) -> None:
    clip = tmp_path / "my clip.mp4"
    clip.write_bytes(CLIP)
    done = run_cli("build", "--prompt", "edges", "--type", "canny2v", "--video", str(clip),
                   "--seed", "1", "-o", str(tmp_path / "g.json"))
    assert done.returncode == 0, done.stderr
    graph = json.loads((tmp_path / "g.json").read_text())
    assert [n["inputs"]["file"] for n in graph.values()
            if n["class_type"] == "LoadVideo"] == ["my clip.mp4"]
    assert "loads 'my clip.mp4' (--video) from ComfyUI's input/ folder" in done.stderr


@pytest.mark.parametrize(("content", "fragments"), [
    (CLIP[:len(CLIP) // 2], ("--video ", "cut.mp4: ", "cut short")),
    (b"not a video at all" * 10, ("--video ", "cut.mp4: not a readable video",)),
])
def test_a_broken_local_video_is_one_line_naming_the_flag(tmp_path: Path, content: bytes,
                                                         fragments: tuple[str, ...]) -> None:
    clip = tmp_path / "cut.mp4"
    clip.write_bytes(content)
    done = run_cli("build", "--prompt", "edges", "--type", "canny2v", "--video", str(clip))
    assert done.returncode == 2
    assert_one_line_error(done.stderr, *fragments)


def test_a_video_flag_without_a_type_names_the_flags(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    clip.write_bytes(CLIP)
    done = run_cli("build", "--prompt", "edges", "--video", str(clip))
    assert done.returncode == 2
    assert_one_line_error(done.stderr, "--video is used by --type canny2v or depth2v: give "
                                       "--type")


# --- the worker and the batch ------------------------------------------------------------------


@pytest.mark.parametrize(("env", "error"), [
    ({"LTX2_MAX_VIDEO_SECONDS": "1"}, "video_base64: video is 2.0 s long, over the 1 s limit"),
    ({"LTX2_MAX_VIDEO_FRAMES": "30"}, "video_base64: video has 49 frames, over the 30 frame "
                                      "limit"),
    ({"LTX2_MAX_VIDEO_BYTES": "1000"}, "video_base64: video is larger than the 1000 bytes "
                                       "limit"),
])
def test_the_workers_video_caps_are_its_environments(ltx_server: ComfyTestServer,
                                                     env: dict[str, str], error: str) -> None:
    config = WorkerConfig.from_env({"COMFY_URL": ltx_server.url, "LTX2_READY_TIMEOUT": "5",
                                    "LTX2_JOB_TIMEOUT": "30", **env})
    job = {"id": "j", "input": {"prompt": "p", "type": "canny2v", "video_base64": CLIP_B64}}
    assert run_job(job, config) == {"error": error}
    assert not ltx_server.received.uploads and not ltx_server.received.prompts


def test_a_bad_video_cap_in_the_environment_is_a_worker_error() -> None:
    from ltx2sdk.errors import WorkerConfigError

    with pytest.raises(WorkerConfigError, match="LTX2_MAX_VIDEO_PIXELS must be a positive "
                                                "whole number"):
        WorkerConfig.from_env({"LTX2_MAX_VIDEO_PIXELS": "1.5"})


def test_a_batch_check_decodes_inline_videos(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    lines = [{"prompt": "ok", "type": "canny2v", "video_base64": CLIP_B64},
             {"prompt": "cut", "type": "canny2v", "video_base64":
              base64.b64encode(CLIP[:len(CLIP) // 2]).decode()}]
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = check_jobs(jobs)
    assert [(p.job, p.message.split(":")[0]) for p in report.problems] == [(2, "video_base64")]


# --- the stand-in's videos are as long as the graph's -------------------------------------------


@pytest.mark.parametrize(("fields", "frames", "fps"), [
    ({"prompt": "a fox", "frames": 49, "seed": 1}, 49, 24),
    ({"prompt": "edges", "type": "canny2v", "video_base64": CLIP_B64, "seed": 1}, 49, 24),
    ({"prompt": "a fox", "model": "ltx-2.3", "frames": 33, "seed": 1}, 33, 25),
])
def test_the_standin_makes_a_video_as_long_as_the_graphs(tmp_path: Path, fields: dict[str, Any],
                                                         frames: int, fps: int) -> None:
    from ltx2sdk.media.video import decode_video
    from tests.comfyserver import Simulation
    from tests.helpers import catalog_models

    sim = Simulation(sampler_steps=2, video_length=True)
    with ComfyTestServer(models=catalog_models(), output_dir=tmp_path / "server",
                         sim=sim) as srv:
        result = generate(fields, srv.url, output_dir=tmp_path)
    made = decode_video(result.video.read_bytes(), "video")
    assert (made.frames, made.fps) == (result.frames, result.fps) == (frames, fps)


def _control_pipelines() -> list[Any]:
    from builders import PIPELINES

    return [p for p in PIPELINES if p.control is not None]


@pytest.mark.parametrize("pipeline", _control_pipelines(), ids=lambda p: " ".join(p.key))
def test_the_standin_makes_every_control_pipelines_video_as_long_as_the_plan(
        tmp_path: Path, pipeline: Any) -> None:
    """From 1 s of a 3 s clip at 30 fps (its length traced through the loaded file, the cut
    and the control nodes, as ComfyUI would make it), the made video is the plan's length."""
    from ltx2sdk.media.video import decode_video
    from tests.comfyserver import Simulation
    from tests.helpers import catalog_models

    clip = base64.b64encode(make_video("mp4", frames=90, fps=30)).decode()
    sim = Simulation(sampler_steps=2, video_length=True)
    with ComfyTestServer(models=catalog_models(), output_dir=tmp_path / "server",
                         sim=sim) as srv:
        result = generate({"prompt": "p", "model": pipeline.model.id, "type": pipeline.type,
                           "mode": pipeline.mode, "video_base64": clip, "video_start": 1,
                           "seed": 1}, srv.url, output_dir=tmp_path)
    made = decode_video(result.video.read_bytes(), "video")
    assert result.frames == 57  # the 60 frames from 1 s, floored to 8n+1
    assert (made.frames, made.fps) == (result.frames, result.fps)
