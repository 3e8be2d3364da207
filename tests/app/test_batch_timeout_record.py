"""A batch job that runs past ``timeout`` (issue 21 QA, F4): its ``seconds`` leave out its
wait in the server's queue, as an ok job's do (QA: ``--timeout 2`` with 3.4 s jobs queued
ahead recorded 2.0, 3.9, 5.8, 5.5, 5.8 s), and ``ltx2 batch`` names the flag in its line as
``ltx2 generate`` does (``--timeout: the job ran past 2 s: ...``; was "prompt ... did not
finish before the deadline; it was interrupted on ...", the flag unnamed)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import Batch, JobResult, RetryPolicy
from ltx2sdk.app.batch.targets import QUEUED_STAGE, JobStage, Runner
from ltx2sdk.app.cli.batch_command import BatchDisplay
from ltx2sdk.errors import JobTimeoutError
from tests.app.test_batch_eta_queue import job

WAIT = 20.0
QUEUE_WAIT = 1.0  # the job's wait in the server's queue, behind another client's job
SERVER = "http://gpu-a:8188"


class TimingOutRunner:
    """A server's runner whose job waits in the queue until the test lets it begin, then
    runs past its deadline (or, with ``begin=False``, never leaves the queue)."""

    def __init__(self, *, begin: bool = True) -> None:
        self.lane = object()  # a server's: its jobs run one after another
        self.begin = begin
        self.let_in = threading.Event()
        self.queued = threading.Event()

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        assert on_stage is not None
        on_stage(JobStage(QUEUED_STAGE))
        self.queued.set()
        assert self.let_in.wait(WAIT)
        if not self.begin:
            raise JobTimeoutError(f"prompt p{job.number} was not started: it waited 1.0 s "
                                  "in the server's queue, past the time it was to start by")
        on_stage(JobStage("Stage 1 sampling", 1, 8))
        raise JobTimeoutError(f"prompt p{job.number} did not finish before the deadline; it "
                              f"was interrupted on {SERVER}")

    def close(self) -> None:
        pass


class OneRunnerTarget:
    name = SERVER

    def __init__(self, runner: TimingOutRunner) -> None:
        self.runner = runner

    def open(self, concurrency: int | None) -> list[Runner]:
        return [self.runner]


def run_one(tmp_path: Path, runner: TimingOutRunner) -> tuple[JobResult, dict[str, Any]]:
    results: list[JobResult] = []
    batch = Batch([job(1)], OneRunnerTarget(runner), tmp_path / "out", timeout=2.0,
                  retry=RetryPolicy(attempts=1), on_result=results.append)
    thread = threading.Thread(target=batch.run, daemon=True)
    thread.start()
    try:
        assert runner.queued.wait(WAIT)
        # the job waits in the server's queue; the server's clock is not the job's
        threading.Event().wait(QUEUE_WAIT)
    finally:
        runner.let_in.set()
        thread.join(WAIT)
    (result,) = results
    line = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[-1])
    return result, line


def test_a_timed_out_jobs_seconds_leave_out_its_wait_in_the_queue(tmp_path: Path) -> None:
    result, line = run_one(tmp_path, TimingOutRunner())
    assert result.status == "failed" and result.error_kind == "failed"
    # it waited QUEUE_WAIT s in the queue, then ran (almost) nothing: was about QUEUE_WAIT
    assert result.seconds < QUEUE_WAIT / 2, result
    assert line["seconds"] == result.seconds
    assert result.past_timeout == 2.0


def test_the_batch_line_of_a_timed_out_job_names_timeout(tmp_path: Path) -> None:
    result, _ = run_one(tmp_path, TimingOutRunner())
    stream = io.StringIO()
    BatchDisplay(stream, interactive=False).result(result)
    assert stream.getvalue() == (
        f"failed    job 1  on {SERVER}: --timeout: the job ran past 2 s: prompt p1 did not "
        f"finish before the deadline; it was interrupted on {SERVER}\n")
    # the Python API's error stays the client's own (the flag is the command line's)
    assert result.error is not None and "--timeout" not in result.error


def test_a_job_that_never_left_the_queue_is_not_said_to_have_run_past_it(
        tmp_path: Path) -> None:
    result, _ = run_one(tmp_path, TimingOutRunner(begin=False))
    assert result.past_timeout is None
    assert result.seconds < QUEUE_WAIT / 2, result  # it waited, it did not run
    stream = io.StringIO()
    BatchDisplay(stream, interactive=False).result(result)
    assert "--timeout: the job ran past" not in stream.getvalue()
