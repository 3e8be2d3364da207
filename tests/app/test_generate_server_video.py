"""A ``video`` naming a file already in ComfyUI's input folder is measured before anything is
queued, as an uploaded video is (issue 17's application-side remains): ``generate`` reads it
from the server (``GET /view?type=input``, within the video caps and the job's deadline), so a
``video_start`` past its end or a video over a cap is refused before any GPU time, its length
follows the video, and a name the server does not have is one line naming ``video``. A batch's
result line carries the plan's ``input_video`` mapping as ``generate --json`` does.

Servers are the loopback stand-in (``tests.comfyserver``, whose ``/view`` serves its input
folder); the videos are real files encoded by FFmpeg (``tests.media.video_files``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx2sdk.app.batch.scheduler import run_batch
from ltx2sdk.app.cli.main import main
from ltx2sdk.app.generate import InputPolicy, generate
from ltx2sdk.errors import LTX2Error, RequestFieldError, VideoInputError
from ltx2sdk.media.video import VideoLimits
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_server
from tests.media.video_files import make_video

CLIP = make_video("mp4", frames=49, fps=24)  # 2.04 s


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ComfyTestServer]:
    """The stand-in with ``clip.mp4`` in its input folder."""
    with catalog_server(tmp_path / "srv") as srv:
        inputs = tmp_path / "srv" / "server-in"
        inputs.mkdir(parents=True, exist_ok=True)
        (inputs / "clip.mp4").write_bytes(CLIP)
        yield srv


def canny(**fields: object) -> dict[str, object]:
    return {"prompt": "edges", "type": "canny2v", "seed": 1, "video": "clip.mp4", **fields}


def test_a_server_video_is_measured_and_the_length_follows_it(server: ComfyTestServer,
                                                              tmp_path: Path) -> None:
    result = generate(canny(), server.url, output_dir=tmp_path / "out")
    assert result.frames == 49  # the video's 49 frames, not the pipeline's default 121
    assert result.input_video is not None
    assert (result.input_video["name"], result.input_video["source_fps"],
            result.input_video["source_frames"]) == ("clip.mp4", 24.0, 49)
    assert server.received.uploads == []  # it is there already: not sent again


def test_a_start_past_the_end_of_a_server_video_is_refused_before_queueing(
        server: ComfyTestServer, tmp_path: Path) -> None:
    with pytest.raises(RequestFieldError) as raised:
        generate(canny(video_start=5), server.url, output_dir=tmp_path / "out")
    assert str(raised.value) == "video_start: 5 s is at or after the end of the video (2.04 s)"
    assert server.received.prompts == []


def test_a_server_video_over_a_cap_is_refused_unread_past_it(server: ComfyTestServer,
                                                           tmp_path: Path) -> None:
    policy = InputPolicy(video=VideoLimits(max_bytes=1000))
    with pytest.raises(VideoInputError) as raised:
        generate(canny(), server.url, output_dir=tmp_path / "out", input_policy=policy)
    assert str(raised.value) == "video: video is larger than the 1000 bytes limit"
    assert raised.value.field == "video" and server.received.prompts == []
    policy = InputPolicy(video=VideoLimits(max_frames=20))
    with pytest.raises(VideoInputError, match=r"^video: "):
        generate(canny(), server.url, output_dir=tmp_path / "out", input_policy=policy)
    assert server.received.prompts == []


def test_a_server_video_the_server_does_not_have_is_one_line_naming_video(
        server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(VideoInputError) as raised:
        generate(canny(video="nope.mp4"), server.url, output_dir=tmp_path / "out")
    said = ("video: ComfyUI's input folder has no file 'nope.mp4' (upload it there, or give "
            "video_url or video_base64)")
    assert str(raised.value) == said and isinstance(raised.value, LTX2Error)
    assert server.received.prompts == []
    request = tmp_path / "job.json"
    request.write_text(json.dumps(canny(video="nope.mp4")))
    assert main(["generate", "--request", str(request), "--server", server.url,
                 "--output-dir", str(tmp_path / "out")]) != 0
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"ltx2: error: {said}"


def test_a_batch_result_line_carries_the_input_video_mapping(server: ComfyTestServer,
                                                             tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps(canny()) + "\n" + json.dumps(
        {"prompt": "a fox", "seed": 2, "duration": 1, "width": 256, "height": 256}) + "\n")
    assert main(["batch", str(jobs), "--server", server.url, "-o", str(tmp_path / "out"),
                 "--json"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    written = [json.loads(line)
               for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    for lines in (printed, written):
        by_job = {line["job"]: line for line in lines if line.get("job") is not None}
        mapping = by_job[1]["metadata"]["input_video"]
        assert (mapping["name"], mapping["source_frames"], mapping["frames"]) == (
            "clip.mp4", 49, 49)
        assert "input_video" not in by_job[2]["metadata"]  # a t2v job takes no video
    summary = run_batch([canny(seed=3)], server.url, tmp_path / "again")
    assert summary.progress.ok == 1


def test_a_dry_run_measures_a_server_video_too(server: ComfyTestServer, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    request = tmp_path / "job.json"
    request.write_text(json.dumps(canny(video_start=5)))
    argv = ["generate", "--request", str(request), "--server", server.url, "--output-dir",
            str(tmp_path / "out"), "--dry-run"]
    assert main(argv) != 0
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "ltx2: error: video_start: 5 s is at or after the end of the video (2.04 s)")
    request.write_text(json.dumps(canny()))
    assert main([*argv, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["plan"]["frames"] == 49
    assert document["plan"]["input_video"]["source_frames"] == 49
    assert server.received.prompts == [] and server.received.uploads == []


def test_batch_check_on_a_server_measures_its_video_as_generate_does(
        server: ComfyTestServer, tmp_path: Path) -> None:
    """``batch --check --server`` refuses what generate and the run refuse: a start past the
    end of a video already on the server, a part too short, a file that is no video."""
    from ltx2sdk.app.batch.check import check_jobs  # (as the CLI imports it)

    inputs = tmp_path / "srv" / "server-in"
    (inputs / "notvideo.mp4").write_bytes(b"hello")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("\n".join(json.dumps(job) for job in (
        canny(), canny(video_start=5), canny(video_start=2.0),
        canny(video="notvideo.mp4"), canny(video="absent.mp4"))) + "\n")
    report = check_jobs(jobs, targets=[server.url])
    by_line = {problem.job: problem.message for problem in report.problems}
    assert set(by_line) == {2, 3, 4, 5}, report.lines()
    assert by_line[2] == "video_start: 5 s is at or after the end of the video (2.04 s)"
    assert by_line[3] == "video_start: the video has 1 frames from 2 s; at least 9 are needed"
    assert by_line[4].startswith("video: ")
    assert "has no file 'absent.mp4'" in by_line[5]
    assert server.received.prompts == [] and server.received.uploads == []


def test_a_run_counts_a_job_its_server_video_refuses_as_invalid_not_to_retry(
        server: ComfyTestServer, tmp_path: Path) -> None:
    """A start past the end of a server's video fails the same way every time: the job is
    invalid (fix the line), and the summary does not offer to retry it."""
    from ltx2sdk.app.cli.batch_command import describe_summary  # (as the CLI imports it)

    out = tmp_path / "out"
    summary = run_batch([canny(), canny(video_start=5)], server.url, out)
    assert (summary.progress.ok, summary.progress.failed, summary.progress.invalid) == (1, 1, 1)
    assert summary.left == 0
    text = describe_summary(summary, out)
    assert "1 invalid" in text and "retry" not in text, text
