"""The batch ETA with targets of different speeds (issue 21 QA F4): the jobs left are shared
by the targets at each one's own pace, and while a target's pace is not known yet the ETA is
only a guess (``eta`` ``None``, ``eta_guess`` the number, shown as ``ETA ~...``), so the
number given does not climb when a slow target's first job shows its pace."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import Batch, BatchProgress, paced_eta
from ltx2sdk.app.batch.targets import JobStage, Runner
from ltx2sdk.app.cli.batch_command import eta_text

SMALL = {"duration": 1, "width": 256, "height": 256}
WAIT = 20.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.01)


def test_the_jobs_left_are_shared_at_each_runners_pace() -> None:
    # a runner of 1 s a job and one of 3 s, both free: 10 jobs end at 8 s (8 + 2), not at
    # 10 s as one average pace of 2 s says
    assert paced_eta(0.0, [(1.0, None), (3.0, None)], not_started=10) == pytest.approx(8.0)
    # QA's run 5 s in: the fast runner (3.4 s a job) began its second job at 3.4 s, the slow
    # one's first job ends at 14.8 s by its own count; one job not started goes to the fast
    # one (done at 10.2 s): the end is the slow job's, 9.8 s away
    assert paced_eta(5.0, [(3.4, (3.4, None)), (14.8, (0.0, 14.8))],
                     not_started=1) == pytest.approx(9.8)
    # a running job past its pace with nothing to say of its own: no number, rather than 0
    assert paced_eta(30.0, [(8.0, (16.0, None))], not_started=0) is None


class Gated:
    """A runner whose jobs end when the test says (``go``); it keeps each job's ``on_stage``
    so the test can report its stages when it likes."""

    def __init__(self) -> None:
        self.go = threading.Semaphore(0)
        self.started: list[int] = []
        self.on_stage: Callable[[JobStage], None] | None = None

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        self.on_stage = on_stage
        self.started.append(job.number)
        end = time.monotonic() + WAIT
        while not self.go.acquire(timeout=0.01):
            if cancel.is_set():
                from ltx2sdk.errors import JobCancelledError

                raise JobCancelledError(f"job {job.number} was cancelled")
            assert time.monotonic() < end, f"job {job.number} was never let through"
        video.write_bytes(b"video")
        return {"seed": job.number}

    def close(self) -> None:
        pass


class GatedTarget:
    def __init__(self, name: str, runner: Gated) -> None:
        self.name = name
        self.runner = runner

    def open(self, concurrency: int | None) -> list[Runner]:
        return [self.runner]


def test_the_eta_is_a_guess_until_every_runners_pace_is_known(tmp_path: Path) -> None:
    fast, slow = Gated(), Gated()
    jobs = [{"prompt": f"a fox {n}", "seed": n, **SMALL} for n in range(1, 6)]
    batch = Batch(jobs, [GatedTarget("fast", fast), GatedTarget("slow", slow)], tmp_path / "o")
    thread = threading.Thread(target=batch.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: fast.started and slow.started, "a job on each target")
        time.sleep(0.2)  # the fast target's first job takes a while
        fast.go.release()
        wait_for(lambda: batch.progress().ok == 1 and len(fast.started) == 2,
                 "a video made, the fast target's second job running")
        guess = batch.progress()
        # the slow target's pace is not known: a number here climbed (QA: 6.8 s, then 14.8)
        assert guess.eta is None and guess.eta_guess is not None
        assert eta_text(guess).startswith("ETA ~")
        assert slow.on_stage is not None  # its first job now says how long its run has left
        slow.on_stage(JobStage("Stage 1 sampling", 2, 20, 0.1, left=30.0))
        known = batch.progress()
        assert known.eta is not None and 29.0 < known.eta <= 30.0
        assert eta_text(known).startswith("ETA 30") or eta_text(known).startswith("ETA 29")
        time.sleep(0.1)
        assert (batch.progress().eta or 0.0) <= known.eta  # it does not grow while jobs run
    finally:
        for _ in range(5):
            fast.go.release()
            slow.go.release()
        thread.join(WAIT)
    assert batch.summary is not None and batch.summary.complete


def test_a_guess_is_shown_as_one() -> None:
    p = BatchProgress(total=4, to_run=4, ok=1, failed=0, cancelled=0, skipped=0, running=2,
                      waiting=0, retries=0, elapsed=3.5, eta=None, eta_guess=6.84)
    assert eta_text(p) == "ETA ~6.9s"
