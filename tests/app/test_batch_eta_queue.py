"""The batch ETA with jobs queued ahead (issue 19/21 QA): a job waiting in a server's queue
behind the one it runs has not started: it has a whole job's time left, after the one ahead
of it. The runners of one native ComfyUI share its queue (their :attr:`lane`): their jobs run
one after another, and the ETA counts them so, with any ``queue_ahead`` (QA: "ETA 6.9s" with
13.4 s left at ``queue_ahead=1``, "ETA 0.2s" with 6.7 s left at 3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import Batch, JobResult, Lane, lane_eta, paced_eta
from ltx2sdk.app.batch.server_target import ServerTarget
from ltx2sdk.app.batch.targets import JobSettings, JobStage, Runner
from ltx2sdk.errors import JobCancelledError
from tests.app.test_batch_queue_ahead import WAIT, job, wait_for
from tests.helpers import catalog_server


def test_a_queued_job_has_a_whole_jobs_time_left_after_the_one_ahead() -> None:
    # QA's run: one server, 3.4 s a job, 5 jobs, queue-ahead 1. At 3.6 s job 1 is in, job 2
    # runs since 3.4 s, job 3 waits behind it, 2 jobs not started: 3.2 + 3.4 + 2 x 3.4 left
    assert lane_eta(3.6, [Lane(3.4, (3.4, None), queued=1)],
                    not_started=2) == pytest.approx(13.4)
    # queue-ahead 3: job 2 runs, jobs 3-5 wait: 3.2 + 3 x 3.4, not "0.2s"
    assert lane_eta(3.6, [Lane(3.4, (3.4, None), queued=3)],
                    not_started=0) == pytest.approx(13.4)
    # the running job's own count beats its pace when it says more
    assert lane_eta(3.6, [Lane(3.4, (3.4, 9.0), queued=1)],
                    not_started=0) == pytest.approx(5.4 + 3.4)
    # two servers: a is free at 10.2 s (3 jobs of 3.4 s), b at once (5 s a job): of 3 jobs
    # not started b makes two (5 and 10 s), a the last (13.6 s), not at 5 s as when a's
    # queued jobs counted as running
    assert lane_eta(0.0, [Lane(3.4, (0.0, None), queued=2), Lane(5.0, None)],
                    not_started=3) == pytest.approx(13.6)
    # with nothing queued it is the paced count it was
    assert lane_eta(5.0, [Lane(3.4, (3.4, None)), Lane(14.8, (0.0, 14.8))],
                    not_started=1) == paced_eta(5.0, [(3.4, (3.4, None)),
                                                      (14.8, (0.0, 14.8))], not_started=1)


class QueueRunner:
    """One of the runners of a fake server that runs one job at a time (they share
    ``lane``), its jobs let through by the test (``release``); a job taken while another
    runs says it waits in the queue, as a server's runner does."""

    def __init__(self, lane: object, gates: dict[int, threading.Event],
                 started: list[int]) -> None:
        self.lane = lane
        self.gates = gates
        self.started = started

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        self.started.append(job.number)
        gate = self.gates.setdefault(job.number, threading.Event())
        end = time.monotonic() + WAIT
        while not gate.wait(0.01):
            if cancel.is_set():
                raise JobCancelledError(f"job {job.number} was cancelled")
            assert time.monotonic() < end, f"job {job.number} was never let through"
        video.write_bytes(b"video")
        return {"seed": job.number}

    def close(self) -> None:
        pass


class QueueTarget:
    """A server that runs one job at a time with ``ahead`` more queued behind it."""

    name = "queued"

    def __init__(self, ahead: int) -> None:
        self.lane = object()
        self.gates: dict[int, threading.Event] = {}
        self.started: list[int] = []
        self.ahead = ahead

    def open(self, concurrency: int | None) -> list[Runner]:
        return [QueueRunner(self.lane, self.gates, self.started)
                for _ in range(1 + self.ahead)]


@pytest.mark.parametrize("ahead", [1, 3])
def test_the_eta_counts_the_jobs_queued_ahead_as_not_started(ahead: int,
                                                               tmp_path: Path) -> None:
    target = QueueTarget(ahead)
    results: list[JobResult] = []
    batch = Batch([job(n) for n in range(1, 7)], target, tmp_path / "out",
                  on_result=results.append)
    thread = threading.Thread(target=batch.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(target.started) == 1 + ahead, "a job running, more queued")
        time.sleep(0.3)  # job 1 takes a while: the pace of the others
        target.gates.setdefault(1, threading.Event()).set()
        wait_for(lambda: batch.progress().ok == 1 and len(target.started) == 2 + ahead,
                 "job 1 made, the next queued")
        p = batch.progress()
        pace = results[0].seconds if results else 0.3
        # 5 jobs left, one at a time: job 2 (begun when job 1 ended: a job's time less the
        # time since), then 4 whole jobs (those queued ahead, the rest not started); it was
        # about 2 jobs' time, the queued ones counted as running beside job 2
        assert p.eta is not None and p.eta >= 4 * pace - 0.01, (p.eta, pace)
        assert p.eta <= 5 * pace + 0.05
    finally:
        for number in range(1, 7):
            target.gates.setdefault(number, threading.Event()).set()
        thread.join(WAIT)
    assert batch.summary is not None and batch.summary.complete


def test_a_native_servers_runners_share_one_lane(tmp_path: Path) -> None:
    with catalog_server(tmp_path / "srv") as srv:
        runners = ServerTarget(srv.url, settings=JobSettings(queue_ahead=2)).open(None)
        try:
            lanes = {id(getattr(runner, "lane", None)) for runner in runners}
            assert len(runners) == 3 and len(lanes) == 1
            assert getattr(runners[0], "lane", None) is not None
        finally:
            for runner in runners:
                runner.close()
