"""Where ``ltx2`` writes, said plainly: ``generate --dry-run --json`` gives the video's path
(or null) with the explanation beside it; a folder the system takes no file in is said in
words, not ``(No such file or directory)``; ``-o ""`` is refused as empty; ``batch --check``
checks ``--output-dir`` as the run does."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from ltx2sdk.app.cli.main import main
from ltx2sdk.wording import os_reason
from tests.comfyserver import ComfyTestServer


def test_dry_run_json_gives_the_path_or_null_and_the_words_apart(
        ltx_server: ComfyTestServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    video = tmp_path / "fox.mp4"
    assert main(["generate", "--prompt", "a fox", "--dry-run", "--json", "--server",
                 ltx_server.url, "-o", str(video)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["video"] == str(video) and document["output_dir"] is None
    assert document["video_note"] is None

    video.write_bytes(b"mine")
    assert main(["generate", "--prompt", "a fox", "--dry-run", "--json", "--server",
                 ltx_server.url, "-o", str(video), "--overwrite"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["video"] == str(video)
    assert document["video_note"] == "replacing the file there: --overwrite"

    out = tmp_path / "videos"
    assert main(["generate", "--prompt", "a fox", "--dry-run", "--json", "--server",
                 ltx_server.url, "--output-dir", str(out)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["video"] is None and document["output_dir"] == str(out)
    assert document["video_note"].startswith(f"{out}/, under the server's file name")
    assert not out.exists()  # a dry run creates nothing


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_that_takes_no_file_is_said_in_words(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "a fox", "-o", "/proc/x.mp4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("ltx2: error: --output /proc/x.mp4: cannot write in the folder /proc (the "
                   "system does not let anything be created there)")


@pytest.mark.parametrize(("number", "said"), [
    (errno.ENOENT, "the system does not let anything be created there"),
    (errno.EACCES, "no permission"), (errno.EPERM, "no permission"),
    (errno.EROFS, "a read-only file system"), (errno.ENOSPC, "the disk is full"),
    (errno.ENAMETOOLONG, "the name is too long"),
    (errno.EIO, "input/output error"),  # another: the system's words
])
def test_os_reasons(number: int, said: str) -> None:
    assert os_reason(OSError(number, "Input/output error")) == said


@pytest.mark.parametrize("command", [["generate", "--prompt", "a fox"],
                                     ["build", "--example"], ["schema"]])
@pytest.mark.parametrize("given", ["", "  "])
def test_an_empty_output_path_is_refused(command: list[str], given: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "-o", given])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "argument --output/-o: an empty path" in err, err


def test_batch_check_checks_the_output_folder_as_the_run_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a fox", "duration": 1}\n')
    afile = tmp_path / "afile"
    afile.write_text("mine")
    assert main(["batch", str(jobs), "-o", str(afile)]) == 2
    run = capsys.readouterr().err.strip()
    assert main(["batch", str(jobs), "--check", "-o", str(afile)]) == 2
    check = capsys.readouterr().err.strip()
    assert check == run == f"ltx2: error: --output-dir {afile}: {afile} is a file, not a folder"
    assert main(["batch", str(jobs), "--check", "-o", str(tmp_path / "new")]) == 0
    assert not (tmp_path / "new").exists()  # checked, not created
