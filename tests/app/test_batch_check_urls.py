"""Input files by URL at a literal non-public address: refused by the check, before a run.

The safe fetcher refuses them when a job runs (``ltx2sdk.media.safe_fetch``); the check
(``ltx2 batch --check``, ``check_jobs``, the check a run makes first) says so up front, with
the line and the field. Host names are not resolved by the check (only the run does that),
so nothing here touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.check import check_jobs
from ltx2sdk.app.batch.scheduler import run_batch
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import InvalidJobsError
from tests.helpers import catalog_server

SMALL = {"duration": 1, "width": 256, "height": 256}


def job(seed: int, **fields: Any) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL, **fields}


PRIVATE = [
    ("http://169.254.169.254/x.png", "169.254.169.254 (link-local)"),
    ("http://127.0.0.1/x.png", "127.0.0.1 (loopback)"),
    ("http://[::1]/", "::1 (loopback)"),
    ("http://10.0.0.1/", "10.0.0.1 (private or special-purpose)"),
]


def test_check_refuses_literal_private_addresses_with_line_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(job(n, image_url=url)) + "\n"
                            for n, (url, _) in enumerate(PRIVATE, 1)))
    assert main(["batch", str(jobs), "--check"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [f"{jobs}:{n}: image_url: refusing to fetch from the non-public address "
                       f"{said}" for n, (_, said) in enumerate(PRIVATE, 1)]
    assert out[4] == "4 jobs: 4 invalid (lines 1, 2, 3, 4)"


def test_every_url_field_is_checked_and_public_or_named_hosts_pass() -> None:
    report = check_jobs([
        {"prompt": "a fox", "image_url": "http://8.8.8.8/a.png",
         "last_image_url": "https://[fd00::1]/b.png", **SMALL},
        {"prompt": "a fox", "model": "ltx-2.3", "image_url": "https://example.com/a.png",
         "audio_url": "http://192.168.1.5:8080/v.wav", **SMALL},
        # a name is not resolved by the check (the run resolves it and checks every address)
        {"prompt": "a fox", "image_url": "http://localhost/a.png", **SMALL},
    ])
    assert [(p.job, p.message) for p in report.problems] == [
        (1, "last_image_url: refusing to fetch from the non-public address fd00::1 (private "
            "or special-purpose)"),
        (2, "audio_url: refusing to fetch from the non-public address 192.168.1.5 (private "
            "or special-purpose)")]


def test_a_trusted_host_is_not_refused() -> None:
    from ltx2sdk.app.generate import InputPolicy

    jobs = [job(1, image_url="http://10.0.0.1/x.png"), job(2, image_url="http://[::1]/x.png")]
    report = check_jobs(jobs, input_policy=InputPolicy(trusted_hosts=("10.0.0.1", "[::1]")))
    assert report.ok, report.lines()


def test_a_run_refuses_to_start_and_skipping_counts_them_invalid(tmp_path: Path) -> None:
    jobs = [job(1), job(2, image_url="http://169.254.169.254/x.png")]
    with catalog_server(tmp_path / "srv") as srv:
        with pytest.raises(InvalidJobsError) as raised:
            run_batch(jobs, srv.url, tmp_path / "out")
        assert srv.received.prompts == []
        assert list(raised.value.problems) == [
            "job 2: image_url: refusing to fetch from the non-public address 169.254.169.254 "
            "(link-local)"]
        summary = run_batch(jobs, srv.url, tmp_path / "out2", skip_invalid=True)
    # the job's own error: counted invalid (a re-run would refuse it again), never retried
    p = summary.progress
    assert (p.ok, p.failed, p.invalid, p.retries) == (1, 1, 1, 0)


def test_a_name_refused_when_fetched_is_the_jobs_error_not_retried(tmp_path: Path) -> None:
    """``localhost`` passes the check (names are not resolved there); the run's fetcher
    resolves it to a loopback address and refuses it: the job's own error, counted invalid
    (a re-run would refuse it again), never retried and never the server's."""
    jobs = [job(1), job(2, image_url="http://localhost/x.png")]
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch(jobs, srv.url, tmp_path / "out")
        assert len(srv.received.prompts) == 1 and srv.received.uploads == []
    p = summary.progress
    assert (p.ok, p.failed, p.invalid, p.retries) == (1, 1, 1, 0)
    lines = {json.loads(line)["job"]: json.loads(line)
             for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()}
    assert (lines[2]["error_kind"], lines[2]["attempts"]) == ("invalid", 1)
    assert lines[2]["error"].startswith("image_url: refusing to fetch from the non-public "
                                        "address 127.0.0.1 (loopback; localhost resolves")
