"""A job whose server is lost every time it runs it (a ComfyUI killed for memory by that
job) goes on without its try counted only twice (``FREE_LOSSES``): past that each loss is
one of its tries, and it gives up after them, instead of taking every server down in turn
for ever while the other jobs are made."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import FREE_LOSSES, RetryPolicy, run_batch
from ltx2sdk.app.batch.targets import JobStage, Runner
from ltx2sdk.errors import ServerLostError
from tests.app.test_batch import result_lines

pytestmark = pytest.mark.usefixtures("no_user_settings")

TRIES = 3
NOW = RetryPolicy(attempts=TRIES, base_delay=0.0, max_delay=0.0)


class Runs:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.of: dict[int, int] = {}  # job number -> times run


class LosingRunner:
    """Job 1 loses its server every time; the others are made."""

    def __init__(self, name: str, runs: Runs) -> None:
        self.name, self.runs = name, runs

    def wait_ready(self, cancel: threading.Event) -> None:
        pass  # the server is back at once (a supervisor restarted it)

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        with self.runs.lock:
            self.runs.of[job.number] = self.runs.of.get(job.number, 0) + 1
        if job.number == 1:
            raise ServerLostError(f"{self.name}: connection refused")
        video.write_bytes(b"video")
        return {"seed": job.number}

    def close(self) -> None:
        pass


class LosingTarget:
    def __init__(self, name: str, runs: Runs) -> None:
        self.name, self.runner = name, LosingRunner(name, runs)

    def open(self, concurrency: int | None) -> list[Runner]:
        return [self.runner]


@pytest.mark.parametrize(("order", "servers"), [("model", 1), ("model", 2), ("file", 2)])
def test_a_job_that_loses_its_server_every_time_gives_up_after_its_tries(
        tmp_path: Path, order: str, servers: int) -> None:
    runs = Runs()
    jobs = [{"prompt": f"a fox, take {n}", "seed": n} for n in (1, 2, 3)]
    summary = run_batch(jobs, [LosingTarget(name, runs) for name in "ab"[:servers]],
                        tmp_path / "out", retry=NOW, order=order)
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert [lines[n]["status"] for n in (1, 2, 3)] == ["failed", "ok", "ok"]
    assert lines[1]["error_kind"] == "gave_up" and lines[1]["attempts"] == TRIES
    assert f"its server was lost {FREE_LOSSES + TRIES} times" in lines[1]["error"]
    # two losses free, then one per try (before: handed on untried, for ever)
    assert runs.of[1] == FREE_LOSSES + TRIES
    assert summary.progress.ok == 2  # the other jobs made meanwhile
    # its server is not dropped for the job's doing: a repeated loss of one job is the
    # job's try, not the server's streak (QA: one server, 'failed 4 tries in a row', the
    # other jobs never run)
    assert not summary.unusable


class OnItsWayRunner(LosingRunner):
    """The server goes (a restart) before job 2's prompt is sent, three times."""

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        with self.runs.lock:
            times = self.runs.of[job.number] = self.runs.of.get(job.number, 0) + 1
        if job.number == 2 and times <= 3:
            raise ServerLostError(f"{self.name}: connection refused", held=False)
        video.write_bytes(b"video")
        return {"seed": job.number}


def test_a_job_lost_on_its_way_to_the_server_is_not_charged_a_try(tmp_path: Path) -> None:
    runs = Runs()
    target = LosingTarget("a", runs)
    target.runner = OnItsWayRunner("a", runs)
    jobs = [{"prompt": f"a fox, take {n}", "seed": n} for n in (1, 2)]
    summary = run_batch(jobs, [target], tmp_path / "out", retry=NOW)
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert (lines[2]["status"], lines[2]["attempts"]) == ("ok", 1)  # never sent: not suspect
    assert runs.of[2] == 4 and summary.progress.ok == 2
