"""A RunPod endpoint whose API accepts connections and never answers ("hung"), on 127.0.0.1:
its first contact is bounded by the ready wait, as a hung server's is, then it is dropped with
one line; its jobs burn no tries; a stop while it is waited for ends the batch at once, with
every job counted; and a batch stopped while a submission hangs counts that job as left."""

from __future__ import annotations

import _thread
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch import runpod_target, scheduler
from ltx2sdk.app.batch.runpod_target import RunPodTarget
from ltx2sdk.app.batch.scheduler import (
    Batch,
    BatchProgress,
    BatchSummary,
    DropNotice,
    RetryPolicy,
)
from ltx2sdk.app.batch.targets import JobSettings
from ltx2sdk.app.cli.batch_command import describe_summary, summary_json
from ltx2sdk.errors import NoTargetLeftError
from tests.app.test_batch_hung import Hung
from tests.app.test_runpod_hostile import ACCEPTED, ENDPOINT, KEY, Hostile, answer
from tests.helpers import catalog_server, free_port

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"duration": 1, "width": 256, "height": 256}
STOPPED_WITHIN = 10.0
"""Seconds a stop may take to end the batch: far below a submission's bound (60 s) and the
grace for cancelled jobs (15 s), which a stop used to sit out."""


def job(seed: int) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL}


@pytest.fixture
def hung() -> Iterator[Hung]:
    server = Hung()
    try:
        yield server
    finally:
        server.close()


def hung_target(hung: Hung, ready: float) -> RunPodTarget:
    return RunPodTarget("abc", api_key="x", base_url=hung.url + "/v2",
                        settings=JobSettings(timeout=600, ready_timeout=ready))


def test_a_hung_endpoint_is_dropped_after_its_ready_wait_and_burns_no_try(
        hung: Hung, tmp_path: Path) -> None:
    drops: list[DropNotice] = []
    batch = Batch([job(seed) for seed in range(1, 7)], hung_target(hung, 1.0),
                  tmp_path / "out", on_drop=drops.append,
                  retry=RetryPolicy(attempts=3, base_delay=0.01))
    with pytest.raises(NoTargetLeftError, match=r"no target left: .*no answer within 1 s"):
        batch.run()
    assert [(d.target, d.reason, d.left) for d in drops] == [
        ("runpod:abc", "no answer within 1 s", 0)]
    summary = batch.summary
    assert summary is not None
    p = summary.progress
    # nothing tried, nothing failed: all six are left for the next run
    assert (p.failed, p.retries, p.cancelled, summary.not_started) == (0, 0, 0, 6)
    assert summary.unusable_stopped


def cli(args: list[str], base: str, tmp_path: Path) -> subprocess.Popen[str]:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(job(seed)) + "\n" for seed in range(1, 7)))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNPOD_API_KEY": "x",
           "RUNPOD_ENDPOINT_BASE_URL": base}
    return subprocess.Popen(
        [sys.executable, "-m", "ltx2sdk.app.cli.main", "batch", str(jobs), "--endpoint",
         "runpod:abc", "-o", str(tmp_path / "out"), *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_cli_drops_a_hung_endpoint_with_one_line(hung: Hung, tmp_path: Path) -> None:
    batch = cli(["--ready-timeout", "1"], hung.url + "/v2", tmp_path)
    stdout, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 1, stderr
    dropped = [line for line in stderr.splitlines() if "dropped" in line]
    assert dropped == ["[0/6] dropped   runpod:abc: no answer within 1 s"], stderr
    assert "no target left" in stderr and "retry" not in stderr
    assert "0 made" in stdout and "6 jobs not run" in stdout and "failed" not in stdout
    # nothing ran: nothing recorded, and the summary does not point at a file that is not there
    assert not (tmp_path / "out" / "results.jsonl").exists()
    assert "results in" not in stdout


@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_stop_while_a_hung_endpoint_is_waited_for_ends_at_once_counting_every_job(
        sent: signal.Signals, status: int, hung: Hung, tmp_path: Path) -> None:
    batch = cli([], hung.url + "/v2", tmp_path)  # the ready wait: 30 s
    try:
        hung.wait_for(1)  # the first contact: waiting for its answer
        batch.send_signal(sent)
        stdout, stderr = batch.communicate(timeout=STOPPED_WITHIN)
    finally:
        batch.kill()
        batch.wait()
    assert batch.returncode == status, stderr
    assert "cancelled 0 running jobs" in stdout and "6 not started" in stdout, stdout
    assert "to do the 6 left" in stdout
    assert "results in" not in stdout  # no results.jsonl was written


def test_jobs_whose_submission_hangs_at_a_stop_are_counted_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that answered, then hangs on /run: a stop cannot wait for the submissions
    past its grace, and the jobs in them are left for the next run (not lost from the count)."""
    monkeypatch.setattr(scheduler, "CANCEL_GRACE", 0.2)
    hostile = Hostile()
    submitting = threading.Event()

    def hang(handler: Any, path: str) -> None:
        submitting.set()
        hostile.stop.wait()

    hostile.routes.update(health=answer(200, {"workers": {}}), run=hang, status=ACCEPTED)
    try:
        batch = Batch([job(seed) for seed in range(1, 7)],
                      RunPodTarget(ENDPOINT, api_key=KEY, base_url=hostile.base,
                                   settings=JobSettings(timeout=600)),
                      tmp_path / "out", concurrency=4)
        # a Ctrl-C lands on the iterating thread, as in ltx2 batch
        threading.Thread(target=lambda: (submitting.wait(30), _thread.interrupt_main()),
                         daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            batch.run()
    finally:
        hostile.close()
    summary = batch.summary
    assert summary is not None and summary.interrupted
    assert summary.progress.cancelled == 0 and summary.not_started == 6
    assert summary.progress.left == 6


@pytest.mark.parametrize(("base", "reason"), [
    ("http://127.0.0.1:{port}/v2", "connection refused"),
    ("http://no-such-host.invalid/v2", "unknown host"),
])
def test_every_drop_line_carries_the_count(base: str, reason: str, tmp_path: Path) -> None:
    """Was: the unknown host's line, said before the first progress report, had no
    ``[0/6]`` where the refused one had it."""
    batch = cli([], base.format(port=free_port()), tmp_path)
    _, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 1, stderr
    dropped = [line for line in stderr.splitlines() if "dropped" in line]
    assert dropped == [f"[0/6] dropped   runpod:abc: {reason}"], stderr


def test_the_summary_names_results_jsonl_only_when_it_is_there(tmp_path: Path) -> None:
    results = tmp_path / "out" / "results.jsonl"
    progress = BatchProgress(total=6, to_run=6, ok=0, failed=0, cancelled=0, skipped=0,
                             running=0, waiting=0, retries=0, elapsed=1.0, eta=None)
    for interrupted in (True, False):
        summary = BatchSummary(progress, interrupted=interrupted, cancelled_jobs=(),
                               not_started=6, unusable=("runpod:abc: no answer",),
                               results_path=results)
        assert "results in" not in describe_summary(summary, tmp_path / "out")
        assert summary_json(summary, tmp_path / "out")["results"] is None
        results.parent.mkdir(exist_ok=True)
        results.write_text("")
        assert f"results in {results}" in describe_summary(summary, tmp_path / "out")
        assert summary_json(summary, tmp_path / "out")["results"] == str(results)
        results.unlink()


def test_an_endpoint_that_answered_then_hangs_is_dropped_not_retried_per_job(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: each job's /run waited its whole bound, 3 tries each, the endpoint kept."""
    monkeypatch.setattr(runpod_target, "SUBMIT_TIMEOUT", 0.5)
    hostile = Hostile()
    healthy = answer(200, {"workers": {}})

    def health_once(handler: Any, path: str) -> None:
        if len(hostile.seen("health")) == 1:
            healthy(handler, path)
        else:
            hostile.stop.wait()

    hostile.routes.update(health=health_once, run=lambda handler, path: hostile.stop.wait())
    drops: list[DropNotice] = []
    try:
        batch = Batch([job(seed) for seed in range(1, 4)],
                      RunPodTarget(ENDPOINT, api_key=KEY, base_url=hostile.base,
                                   settings=JobSettings(timeout=600, ready_timeout=1)),
                      tmp_path / "out", concurrency=1, on_drop=drops.append,
                      retry=RetryPolicy(attempts=3, base_delay=0.01))
        with pytest.raises(NoTargetLeftError):
            batch.run()
    finally:
        hostile.close()
    assert [(d.reason, d.left) for d in drops] == [("no answer within 1 s", 0)]
    summary = batch.summary
    assert summary is not None
    assert (summary.progress.failed, summary.progress.retries, summary.not_started) == (0, 0, 3)
    assert len(hostile.seen("run")) == 1  # one submission found it silent: no other job sent


def test_a_refusing_endpoint_beside_a_server_that_did_every_job_is_dropped_saying_why(
        tmp_path: Path) -> None:
    """The jobs done on the server while the endpoint was still being asked (it refuses,
    waited for as --ready-timeout says): it is dropped with what its last try found."""
    drops: list[DropNotice] = []
    refusing = RunPodTarget("abc", api_key="x", base_url=f"http://127.0.0.1:{free_port()}/v2",
                            settings=JobSettings(timeout=600, ready_timeout=60))
    with catalog_server(tmp_path / "srv") as srv:
        summary = Batch([job(1)], [srv.url, refusing], tmp_path / "out",
                        on_drop=drops.append).run()
    assert summary.progress.ok == 1
    assert [(d.target, d.reason) for d in drops] == [("runpod:abc", "connection refused")]
