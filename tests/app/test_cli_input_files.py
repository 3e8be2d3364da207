"""The CLI's input files as a QA pass found them (issue 17): what is not a regular file is
refused up front, a video flag keeps the type a request file or template gives, and the
hosted model's refusals read like the others (``invalid request: --flag: ...``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.cli.main import main
from ltx2sdk.app.cli.request_flags import _read_input_file, _read_request_file
from ltx2sdk.errors import CommandLineError
from tests.app.test_cli import write_png
from tests.media.video_files import make_video


def run_cli(*argv: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    # a subprocess: were a FIFO read, the test would fail at its timeout instead of hanging
    return subprocess.run([sys.executable, "-m", "ltx2sdk.app.cli.main", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def error_line(err: str) -> str:
    line = err.strip()
    assert len(line.splitlines()) == 1, err
    assert line.startswith("ltx2"), line
    assert "Traceback" not in line
    return line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("flag, name", [("--video", "f.mp4"), ("--image", "f.png"),
                                        ("--audio", "f.wav")])
def test_a_fifo_input_is_refused_up_front_not_waited_on(flag: str, name: str,
                                                        tmp_path: Path) -> None:
    os.mkfifo(tmp_path / name)  # nobody writes to it: opening it to read would wait forever
    kind = {"--video": ["--type", "canny2v"], "--image": [], "--audio": ["--image", "x.png"]}
    write_png(tmp_path / "x.png")
    done = run_cli("build", *kind[flag], "--model", "ltx-2.3", flag, name, "--prompt", "x",
                   "-o", "out.json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    line = error_line(done.stderr)
    assert f"{flag} {name}: not a regular file" in line
    assert not (tmp_path / "out.json").exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_input_is_refused_up_front_not_read_until_memory_runs_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", "--type", "canny2v", "--video", "/dev/zero", "--prompt", "x",
                 "-o", str(tmp_path / "out.json")])
    assert code == 2
    assert "--video /dev/zero: not a regular file" in error_line(capsys.readouterr().err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_request_file_that_is_a_fifo_is_refused_up_front(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "rq.json")
    done = run_cli("build", "--request", "rq.json", "-o", "out.json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "--request rq.json: not a regular file" in error_line(done.stderr)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_request_file_that_is_a_device_is_refused_up_front() -> None:
    with pytest.raises(CommandLineError, match="--request /dev/zero: not a regular file"):
        _read_request_file(Path("/dev/zero"))


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="no /proc here")
def test_reading_stops_at_the_cap_whatever_the_size_the_file_states(tmp_path: Path) -> None:
    # /proc files are regular files that state a size of 0 and hold more: the cap is kept
    # by what is read, not by what stat says
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0
    with pytest.raises(CommandLineError, match="over the 100 bytes limit"):
        _read_input_file(status, "--image", 100, "an image file")
    small = tmp_path / "small.bin"
    small.write_bytes(b"x" * 100)
    assert _read_input_file(small, "--image", 100, "an image file") == b"x" * 100


def _built(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


@pytest.mark.parametrize("source", ["request", "template"])
def test_a_video_flag_keeps_the_type_of_the_request_file_or_template(
        source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "a.mp4"
    video.write_bytes(make_video(frames=25))
    request = tmp_path / "rq.json"
    request.write_text(json.dumps({"prompt": "x", "type": "canny2v"}))
    given = (["--request", str(request)] if source == "request"
             else ["--template", "video_ltx2_canny_to_video", "--example"])
    out = tmp_path / "out.json"
    assert main(["build", *given, "--video", str(video), "-o", str(out)]) == 0, \
        capsys.readouterr().err
    assert "a.mp4" in out.read_text()


def test_an_image_flag_still_makes_the_type_over_the_request_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    face = write_png(tmp_path / "face.png")
    request = tmp_path / "rq.json"
    request.write_text(json.dumps({"prompt": "x", "type": "t2v", "model": "ltx-2.3"}))
    out = tmp_path / "out.json"
    assert main(["build", "--request", str(request), "--image", str(face), "-o", str(out)]) == 0
    assert "face.png" in out.read_text()


def test_the_hosted_models_length_refusal_reads_like_its_siblings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "x", "--model", "ltx-2.5-api", "--duration", "12",
                 "--fps", "48", "-o", str(tmp_path / "out.json")]) == 2
    line = error_line(capsys.readouterr().err)
    assert "error: invalid request: --duration: over 10 s" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_an_object_info_file_that_is_a_fifo_is_refused_up_front(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "info.json")
    done = run_cli("build", "--prompt", "x", "--object-info", "info.json", "-o", "out.json",
                   cwd=tmp_path, timeout=15)
    assert done.returncode == 2, done.stderr
    assert "--object-info info.json: not a regular file" in error_line(done.stderr)


def test_an_image_flag_over_a_video_request_keeps_its_video_type(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # canny2v and depth2v take a first image too: a video still there keeps the type
    face = write_png(tmp_path / "face.png")
    video = tmp_path / "a.mp4"
    video.write_bytes(make_video(frames=25))
    request = tmp_path / "rq.json"
    request.write_text(json.dumps({"prompt": "x", "type": "depth2v", "video": "b.mp4"}))
    out = tmp_path / "out.json"
    assert main(["build", "--request", str(request), "--image", str(face), "-o", str(out)]) == 0, \
        capsys.readouterr().err
    said = capsys.readouterr()
    assert "depth2v" in said.out + said.err
    for index, given in enumerate((["--request", str(request)],
                                   ["--template", "video_ltx2_canny_to_video", "--example"])):
        out = tmp_path / f"out{index}.json"
        assert main(["build", *given, "--image", str(face), "--video", str(video),
                     "-o", str(out)]) == 0, capsys.readouterr().err
        assert "face.png" in out.read_text() and "a.mp4" in out.read_text()
