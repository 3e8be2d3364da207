"""Python API edge cases found by QA: jobs given as ``None`` or an empty path, an empty
``output``, a non-bool ``overwrite``, and ``--retry-delay 0`` agreeing with ``RetryPolicy``.
Nothing here reaches a server: each is refused before any work (the URL is never asked)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk import GenerationRequest, generate
from ltx2sdk.app.batch.check import check_jobs
from ltx2sdk.app.batch.scheduler import RetryPolicy, run_batch
from ltx2sdk.app.cli.main import main
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.errors import (
    BatchSettingError,
    InvalidJobsError,
    JobsFileError,
    LTX2Error,
    OutputPathError,
    ServerUnavailableError,
    ServerUrlError,
    SettingError,
)
from tests.helpers import catalog_server

NOBODY = "http://127.0.0.1:9"  # never asked: every refusal here comes first
REQUEST = GenerationRequest(prompt="a fox", duration=1, width=256, height=256)


@pytest.mark.parametrize("jobs", [None, 3, b'{"prompt": "x"}'])
def test_jobs_that_are_no_path_and_no_iterable_are_an_ltx2_error(jobs: Any,
                                                                 tmp_path: Path) -> None:
    for call in (lambda: run_batch(jobs, NOBODY, tmp_path / "o"), lambda: check_jobs(jobs)):
        with pytest.raises(InvalidJobsError, match=r"^jobs must be a JOBS\.jsonl path or an "
                                                   r"iterable of requests .*not "):
            call()


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_jobs_path_says_so_not_a_folder(empty: str, tmp_path: Path) -> None:
    for call in (lambda: run_batch(empty, NOBODY, tmp_path / "o"),
                 lambda: check_jobs(empty)):
        with pytest.raises(JobsFileError) as caught:
            call()
        assert str(caught.value) == ("jobs is an empty path; give a jobs file name "
                                     "(JOBS.jsonl)")


def test_an_empty_output_path_says_so_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError) as caught:
        generate(REQUEST, server=NOBODY, output="", output_dir=tmp_path)
    assert str(caught.value) == "an empty path; give a file name"
    assert (caught.value.path, caught.value.reason) == ("", "an empty path; give a file name")


@pytest.mark.parametrize("flag", [1, 0, "yes", None])
def test_overwrite_must_be_a_bool_as_a_request_s_booleans_are(flag: Any, tmp_path: Path
                                                              ) -> None:
    with pytest.raises(LTX2Error, match=r"overwrite must be True or False, not "):
        generate(REQUEST, server=NOBODY, output=tmp_path / "a.mp4", overwrite=flag)


def test_retry_delay_zero_is_allowed_on_the_cli_as_in_python(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert RetryPolicy(base_delay=0).delay(3) == 0.0  # Python: no pause between tries
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a fox", "duration": 1}\n')
    # --check runs nothing: the flags are read (and refused) all the same
    assert main(["batch", str(jobs), "--check", "--retry-delay", "0"]) == 0
    assert "retry-delay" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        main(["batch", str(jobs), "--check", "--retry-delay", "-1"])
    assert refused.value.code == 2
    assert "'-1' is not a number of 0 or more seconds" in capsys.readouterr().err


def test_a_server_that_dies_mid_run_is_said_refused_not_after_five_reconnects(
        tmp_path: Path) -> None:
    """The server goes away while the prompt runs: the lost WebSocket is not tried again for
    five growing pauses; the refusals are seen within REFUSED_GRACE and said as such."""
    server = catalog_server(tmp_path / "srv").start()
    server.sim.step_delay = 0.3
    stopped: list[bool] = []

    def kill(update: Any) -> None:
        if not stopped and update.step >= 1:  # running: the server goes away
            stopped.append(True)
            server.stop()

    try:
        with pytest.raises(ServerUnavailableError) as caught:
            generate(REQUEST, server=server.url, output_dir=tmp_path / "out",
                     on_progress=kill, timeout=120)
    finally:
        server.stop()
    assert stopped
    assert "connection refused" in str(caught.value)
    assert "attempts" not in str(caught.value)


BAD_SECONDS = [True, False, float("nan"), float("inf"), -1, "5", None]


@pytest.mark.parametrize("value", BAD_SECONDS)
def test_generate_refuses_a_timeout_that_is_no_number_of_seconds(value: Any,
                                                                 tmp_path: Path) -> None:
    """``timeout=True`` is not 1 s (a prompt queued, then interrupted), ``nan`` no "no limit",
    ``-1`` no "the deadline passed": a setting refused before the server is asked."""
    with pytest.raises(SettingError) as caught:
        generate(REQUEST, server=NOBODY, output_dir=tmp_path, timeout=value)
    assert str(caught.value) == (f"timeout must be a positive number of seconds, "
                                 f"not {value!r}")


@pytest.mark.parametrize("value", [v for v in BAD_SECONDS if v is not None])
def test_generate_refuses_a_ready_timeout_that_is_no_number_of_seconds(
        value: Any, tmp_path: Path) -> None:
    with pytest.raises(SettingError) as caught:
        generate(REQUEST, server=NOBODY, output_dir=tmp_path, ready_timeout=value)
    assert str(caught.value) == (f"ready_timeout must be None, 0 or a positive number of "
                                 f"seconds, not {value!r}")


@pytest.mark.parametrize("server", [None, 8188, b"http://127.0.0.1:9"])
def test_generate_refuses_a_server_that_is_no_url_or_backend(server: Any,
                                                             tmp_path: Path) -> None:
    with pytest.raises(ServerUrlError) as caught:
        generate(REQUEST, server=server, output_dir=tmp_path)
    assert str(caught.value) == (f"server must be a URL or a backend, not "
                                 f"{type(server).__name__}")


@pytest.mark.parametrize("value", BAD_SECONDS)
def test_run_batch_refuses_a_timeout_that_is_no_number_of_seconds(value: Any,
                                                                  tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError) as caught:
        run_batch([{"prompt": "x"}], NOBODY, tmp_path / "o", timeout=value)
    assert str(caught.value) == (f"timeout must be a positive number of seconds, "
                                 f"not {value!r}")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("value", [True, float("nan"), -1, "5", None])
def test_wait_ready_refuses_a_timeout_that_is_no_number_of_seconds(value: Any) -> None:
    with pytest.raises(SettingError) as caught:
        ComfyClient(NOBODY).wait_ready(timeout=value)
    assert str(caught.value) == (f"timeout must be a positive number of seconds, "
                                 f"not {value!r}")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_jobs_path_that_is_no_regular_file_says_what_it_is(tmp_path: Path) -> None:
    """A FIFO, a device or a shell's ``<(cat jobs)`` exist: not "no such jobs file"."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        with pytest.raises(JobsFileError) as caught:
            check_jobs(path)
        assert str(caught.value) == (f"{path}: not a regular file (a pipe or a device is read "
                                     "once; save the jobs to a JOBS.jsonl file)")
    with pytest.raises(JobsFileError, match=r": no such jobs file$"):
        check_jobs(tmp_path / "absent.jsonl")


def test_one_request_as_the_jobs_is_an_ltx2_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidJobsError, match=r"not one request \(put it in a list\)"):
        check_jobs({"prompt": "x"})  # type: ignore[arg-type]


def test_an_output_folder_the_batch_made_and_left_empty_is_removed(tmp_path: Path) -> None:
    """A batch that ran nothing (its only server refuses) leaves no empty folder behind,
    nor the parents it created for it; a folder that was there before stays."""
    made = tmp_path / "new" / "out"
    with contextlib.suppress(LTX2Error):
        run_batch([{"prompt": "a fox", "duration": 1}], NOBODY, made)
    assert not (tmp_path / "new").exists()  # the parent this run made too (issue 21)
    there = tmp_path / "there"
    there.mkdir()
    with contextlib.suppress(LTX2Error):
        run_batch([{"prompt": "a fox", "duration": 1}], NOBODY, there)
    assert there.is_dir()


def test_a_store_keeps_a_folder_it_made_once_something_is_in_it(tmp_path: Path) -> None:
    from ltx2sdk.app.batch.store import ResultStore  # (as the scheduler imports it)

    out = tmp_path / "out"
    with ResultStore(out):
        (out / "a.mp4").write_bytes(b"video")
    assert (out / "a.mp4").is_file() and sorted(p.name for p in out.iterdir()) == ["a.mp4"]


@pytest.mark.parametrize("value", ["no", 0, None])
def test_run_batch_refuses_a_skip_invalid_that_is_no_boolean(value: Any, tmp_path: Path) -> None:
    # ("no" is a true string: read as a boolean it would run the valid jobs)
    with pytest.raises(BatchSettingError) as caught:
        run_batch([{"prompt": "x"}], NOBODY, tmp_path / "o", skip_invalid=value)
    assert str(caught.value) == f"skip_invalid must be true or false, not {value!r}"
    assert not (tmp_path / "o").exists()
