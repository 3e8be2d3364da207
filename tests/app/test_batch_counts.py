"""A batch's counts say what a re-run will do: "N left" is exactly the jobs running the
same batch again tries, an input that could not be fetched is a failure a re-run retries
(not "invalid"), and ``--skip-invalid`` counts the invalid jobs ``--check`` lists."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.check import check_jobs
from ltx2sdk.app.batch.scheduler import JobResult, RetryPolicy, iter_batch, run_batch
from ltx2sdk.app.cli.main import main
from tests.helpers import catalog_server

SMALL = {"duration": 1, "width": 256, "height": 256}
QUICK = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
UNRESOLVED = "http://no-such-host.invalid/a.png"  # .invalid never resolves (RFC 6761)


def job(seed: int, **fields: Any) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL, **fields}


def lines_of(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def tried(results: list[JobResult]) -> list[int]:
    """The jobs a run sent somewhere or tried to fetch the inputs of (not skipped, not
    refused as invalid lines)."""
    return sorted(r.job for r in results if r.status != "skipped" and not (
        r.status == "failed" and r.error_kind == "invalid"))


def test_an_input_that_cannot_be_fetched_is_a_failure_a_rerun_retries(tmp_path: Path) -> None:
    jobs = [job(1, image_url=UNRESOLVED), job(2)]
    with catalog_server(tmp_path / "srv") as srv:
        first = run_batch(jobs, srv.url, tmp_path / "out", retry=QUICK)
        again = list(iter_batch(jobs, srv.url, tmp_path / "out", retry=QUICK))
    p = first.progress
    assert (p.ok, p.failed, p.invalid) == (1, 1, 0)
    assert first.left == 1  # the one that failed: a re-run fetches its input again
    line = next(x for x in lines_of(tmp_path / "out") if x["job"] == 1)
    assert line["error_kind"] == "failed"
    assert line["error"].startswith("image_url: cannot resolve no-such-host.invalid")
    assert tried(again) == [1]


def test_a_refused_address_stays_invalid(tmp_path: Path) -> None:
    """A name the run resolves to a non-public address is refused by rule: a re-run refuses
    it again, so it is invalid and not "left"."""
    jobs = [job(1, image_url="http://localhost/x.png"), job(2)]
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch(jobs, srv.url, tmp_path / "out", retry=QUICK)
    assert (summary.progress.failed, summary.progress.invalid, summary.left) == (1, 1, 0)


def test_after_a_cancel_the_jobs_left_are_exactly_what_a_rerun_tries(tmp_path: Path) -> None:
    """Issue 21 QA F3: an input that did not resolve, a job made, one cancelled while it ran,
    one not started, an invalid line and a repeated line: "3 left", and a re-run tries those
    3, no more."""
    jobs = [job(1, image_url=UNRESOLVED), job(2), job(3), job(4),
            {"prompt": "too long", "duration": 100}, job(4)]
    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.step_delay = 0.2  # job 3 is still running when the batch is cancelled
        batch = iter_batch(jobs, srv.url, tmp_path / "out", retry=QUICK, skip_invalid=True)
        for result in batch:
            if result.job == 2:
                assert result.status == "ok"
                batch.cancel()
        summary = batch.summary
        assert summary is not None and summary.interrupted
        srv.sim.step_delay = 0.0
        rerun = iter_batch(jobs, srv.url, tmp_path / "out", retry=QUICK, skip_invalid=True)
        again = list(rerun)
    p = summary.progress
    assert (p.ok, p.failed - p.invalid) == (1, 1)
    assert p.cancelled + summary.not_started == 2  # job 3 (cancelled or not yet taken), job 4
    assert summary.left == 3
    assert tried(again) == [1, 3, 4]
    assert rerun.summary is not None and rerun.summary.left == 1  # job 1 fails again


def test_the_summary_line_counts_a_failed_fetch_as_failed_and_tried_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text("".join(json.dumps(j) + "\n" for j in [job(1, image_url=UNRESOLVED),
                                                                job(2)]))
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(jobs_file), "--server", srv.url, "-o",
                     str(tmp_path / "out"), "--retries", "0"]) == 1
    out = capsys.readouterr().out
    assert "1 made, 1 failed;" in out and "invalid" not in out
    assert "run the same command again to retry the 1 that failed" in out


def test_skip_invalid_counts_what_the_check_lists(tmp_path: Path) -> None:
    """Two identical invalid lines are two invalid lines to the check: the run counts both
    (not one invalid and one repeat), and a line whose base64 image does not read is not a
    job to run."""
    bad_image = base64.b64encode(b"not an image").decode()
    jobs = [job(1), {"prompt": "too long", "duration": 100},
            {"prompt": "too long", "duration": 100}, job(4, image_base64=bad_image)]
    report = check_jobs(jobs)
    assert report.invalid_jobs == (2, 3, 4)
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch(jobs, srv.url, tmp_path / "out", skip_invalid=True)
    p = summary.progress
    assert (p.total, p.to_run, p.ok, p.invalid, p.skipped) == (4, 1, 1, 3, 0)
    assert summary.left == 0


def test_a_file_the_batch_did_not_write_is_never_replaced(tmp_path: Path) -> None:
    """Issue 21 QA F5: a file already in the output folder under a video's name, not in
    results.jsonl, stays as it was; the video gets a free name, said in its result, and a
    re-run finds it there."""
    from ltx2sdk.app.batch.jobs import make_job

    jobs = [job(1), job(2), job(3)]
    out = tmp_path / "out"
    out.mkdir()
    taken = out / f"0002-{make_job(2, job(2)).key[:12]}.mp4"
    taken.write_bytes(b"junk\n")
    with catalog_server(tmp_path / "srv") as srv:
        results = {r.job: r for r in iter_batch(jobs, srv.url, out)}
        assert taken.read_bytes() == b"junk\n"
        moved = out / f"{taken.stem} (1).mp4"
        assert results[2].status == "ok" and results[2].video == moved
        assert moved.read_bytes()[4:8] == b"ftyp"
        assert results[2].note is not None and taken.name in results[2].note
        line = next(x for x in lines_of(out) if x["job"] == 2)
        assert (line["video"], line["note"]) == (moved.name, results[2].note)
        again = {r.job: r for r in iter_batch(jobs, srv.url, out)}
    assert {r.status for r in again.values()} == {"skipped"}
    assert again[2].video == moved
    assert taken.read_bytes() == b"junk\n"
    assert len(srv.received.prompts) == 3


def test_a_video_an_earlier_run_wrote_is_replaced_as_resume_does(tmp_path: Path) -> None:
    """A video results.jsonl names (an earlier run's, since cut short) is the batch's own:
    a re-run that makes the job again writes it under its name."""
    jobs = [job(1)]
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        first = run_batch(jobs, srv.url, out)
        assert first.progress.ok == 1
        video = next(out.glob("0001-*.mp4"))
        video.write_bytes(b"cut short")  # no longer the size its line records: made again
        again = list(iter_batch(jobs, srv.url, out))
    assert (again[0].status, again[0].video, again[0].note) == ("ok", video, None)
    assert video.read_bytes()[4:8] == b"ftyp"
    assert sorted(p.name for p in out.glob("*.mp4")) == [video.name]


def test_the_command_says_where_a_video_went_instead(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ltx2sdk.app.batch.jobs import make_job

    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(json.dumps(job(1)) + "\n")
    out = tmp_path / "o5"
    out.mkdir()
    taken = out / f"0001-{make_job(1, job(1)).key[:12]}.mp4"
    taken.write_bytes(b"junk\n")
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(jobs_file), "--server", srv.url, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"-> {out / (taken.stem + ' (1).mp4')}" in err
    assert f"note: {taken.name} was there already, not written by this batch" in err
    assert taken.read_bytes() == b"junk\n"


def test_after_a_cancel_no_eta_is_counted_for_jobs_that_will_not_run(tmp_path: Path) -> None:
    """Issue 21 QA pass 5, F6: once cancelled, nothing more will be made: a progress report
    counts no time left ("[1/3, ETA 6.3s] cancelled job 2" was wrong)."""
    from ltx2sdk.app.batch.scheduler import BatchProgress  # (the type the callback gets)

    seen: list[BatchProgress] = []
    jobs = [job(1), job(2), job(3)]
    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.step_delay = 0.2  # job 2 is still running when the batch is cancelled
        batch = iter_batch(jobs, srv.url, tmp_path / "out", retry=QUICK,
                           on_progress=seen.append)
        for result in batch:
            if result.job == 1:
                assert result.status == "ok"
                batch.cancel()
                cancelled_at = len(seen)
    after = seen[cancelled_at:]
    assert after, "no progress reported after the cancel"
    assert all(p.eta is None and p.eta_guess is None for p in after), after
