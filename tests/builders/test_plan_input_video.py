"""The plan says which part of a control video is used and how it maps to the output's
frames and frame rate: as data (``Plan.input_video``), as one line of the CLI's plan, and in
every ``--json`` plan (build, generate, dry run) and the worker's metadata."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from builders import make_plan
from ltx2sdk.app.generate import generate
from ltx2sdk.request import GenerationRequest
from tests.app.test_cli import run_cli
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_models
from tests.media.video_files import make_video


@dataclass(frozen=True)
class Facts:
    fps: float
    frames: int
    duration: float
    width: int = 64


def test_a_known_video_maps_its_frames_to_the_outputs() -> None:
    request = GenerationRequest(prompt="p", type="canny2v", video="clip.mp4", video_start=1,
                                duration=1)
    plan = make_plan(request, video=Facts(fps=30, frames=96, duration=3.2))
    assert plan.input_video is not None
    assert plan.input_video.as_dict() == {
        "name": "clip.mp4", "start_s": 1.0, "first_frame": 30, "last_frame": 54, "frames": 25,
        "source_fps": 30, "source_frames": 96, "output_fps": 24, "cut": "frames",
        "cut_seconds": None}
    assert plan.input_video.describe() == (
        "frames 30-54 of clip.mp4 (30 fps, 96 frames) -> 25 frames at 24 fps")


def test_a_video_not_known_here_says_so() -> None:
    request = GenerationRequest(prompt="p", model="ltx-2.3", type="depth2v", video="clip.mp4",
                                video_start=1, duration=1)
    mapping = make_plan(request).input_video
    assert mapping is not None
    assert (mapping.source_fps, mapping.source_frames, mapping.cut) == (None, None, "seconds")
    assert mapping.first_frame == 25 and mapping.frames == 25
    assert "not known here" in mapping.describe()


def test_a_pipeline_without_a_video_has_no_mapping() -> None:
    assert make_plan(GenerationRequest(prompt="p")).input_video is None


def test_build_prints_the_mapping_and_json_has_it(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(make_video(frames=96, fps=30))
    args = ("build", "--prompt", "p", "--type", "canny2v", "--video", str(clip),
            "--video-start", "1", "--duration", "1", "-o", str(tmp_path / "g.json"))
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert ("input video: frames 30-54 of clip.mp4 (30 fps, 96 frames) -> 25 frames at 24 fps"
            in done.stderr.splitlines())
    done = run_cli(*args, "--json", "--overwrite")
    assert done.returncode == 0, done.stderr
    mapping = json.loads(done.stdout)["plan"]["input_video"]
    assert (mapping["first_frame"], mapping["frames"], mapping["source_fps"]) == (30, 25, 30)


def test_generate_dry_run_and_the_result_have_the_mapping(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(make_video(frames=96, fps=30))
    with ComfyTestServer(models=catalog_models(), output_dir=tmp_path / "server") as srv:
        done = run_cli("generate", "--prompt", "p", "--type", "canny2v", "--video", str(clip),
                       "--video-start", "1", "--duration", "1", "--server", srv.url,
                       "--dry-run", "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["plan"]["input_video"]["first_frame"] == 30
        result = generate({"prompt": "p", "type": "canny2v",
                           "video_base64": base64.b64encode(clip.read_bytes()).decode(),
                           "video_start": 1, "duration": 1, "seed": 1}, srv.url,
                          output_dir=tmp_path)
    assert result.metadata()["input_video"]["source_frames"] == 96


def test_the_workers_output_has_the_mapping(tmp_path: Path) -> None:
    from runpod_handler import WorkerConfig, run_job

    clip = base64.b64encode(make_video(frames=96, fps=30)).decode()
    with ComfyTestServer(models=catalog_models(), output_dir=tmp_path / "server") as srv:
        config = WorkerConfig.from_env({"COMFY_URL": srv.url, "LTX2_READY_TIMEOUT": "5",
                                        "LTX2_JOB_TIMEOUT": "30"})
        output = run_job({"id": "j", "input": {"prompt": "p", "type": "canny2v",
                                               "video_base64": clip, "video_start": 1,
                                               "duration": 1, "seed": 1}}, config)
    assert output["input_video"]["first_frame"] == 30, output.get("error")
    assert output["input_video"]["source_fps"] == 30
