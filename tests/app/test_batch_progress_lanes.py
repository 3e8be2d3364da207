"""The batch's running count with jobs queued ahead (issue 19/21 QA, F3): a server that runs
one job at a time (a native ComfyUI; a Comfy API v2 one per lane) runs the first job of its
lane; a job being sent to be queued behind it, or waiting in its queue, is queued, not
running. QA: "4 running (...18811: job 10 Stage 1 sampling 3/8, ..., ...18811: job 15
starting, +1 more)" on two servers, and "3 running, 1 queued" where the README says "2
running, 2 queued"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import Batch, BatchProgress, RunningJob
from ltx2sdk.app.batch.targets import JobStage, Runner
from ltx2sdk.app.cli.batch_command import running_text, server_name, short_names
from tests.app.test_batch_eta_queue import QueueRunner, QueueTarget, job, wait_for
from tests.app.test_batch_progress import drawn_status_line

WAIT = 20.0


class NamedQueueTarget(QueueTarget):
    """:class:`QueueTarget` under a name of its own (two servers in one batch)."""

    def __init__(self, name: str, ahead: int) -> None:
        super().__init__(ahead)
        self.name = name


def test_a_job_queued_ahead_that_has_not_begun_is_queued_not_running(tmp_path: Path) -> None:
    # the runners say nothing (no stage yet): the job being sent behind the one the server
    # runs was counted as a second running job, "starting"
    a, b = NamedQueueTarget("gpu-a", 1), NamedQueueTarget("gpu-b", 1)
    batch = Batch([job(n) for n in range(1, 9)], [a, b], tmp_path / "out", order="file")
    thread = threading.Thread(target=batch.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(a.started) == 2 and len(b.started) == 2,
                 "a job running and one queued on each server")
        p = batch.progress()
        assert p.running == 4 and p.queued == 2, p
        running = [j for j in p.jobs if not j.queued]
        assert sorted(j.target for j in running) == ["gpu-a", "gpu-b"], p.jobs
        # each server runs the first job it was given; the other waits behind it
        assert {j.job for j in running} == {a.started[0], b.started[0]}, p.jobs
        assert running_text(p, servers=True).startswith("2 running, 2 queued ("), \
            running_text(p, servers=True)
    finally:
        for number in range(1, 9):
            for target in (a, b):
                target.gates.setdefault(number, threading.Event()).set()
        thread.join(WAIT)
    assert batch.summary is not None and batch.summary.complete


class TellingQueueRunner(QueueRunner):
    """A :class:`QueueRunner` whose job says it has begun (a stage) when the test lets it."""

    def __init__(self, target: QueueTarget, begin: dict[int, threading.Event]) -> None:
        super().__init__(target.lane, target.gates, target.started)
        self.begin = begin

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        gate = self.begin.setdefault(job.number, threading.Event())

        def tell() -> None:
            if gate.wait(WAIT) and on_stage is not None:
                on_stage(JobStage("Stage 1 sampling", 3, 8))
        threading.Thread(target=tell, daemon=True).start()
        return super().run(job, video, cancel=cancel, resume=resume, on_stage=on_stage)


class TellingQueueTarget(NamedQueueTarget):
    """Its runners are :class:`TellingQueueRunner` s."""

    def __init__(self, name: str, ahead: int) -> None:
        super().__init__(name, ahead)
        self.begin: dict[int, threading.Event] = {}

    def open(self, concurrency: int | None) -> list[Runner]:
        return [TellingQueueRunner(self, self.begin) for _ in range(1 + self.ahead)]


def test_the_job_a_server_says_it_began_is_the_running_one(tmp_path: Path) -> None:
    # the server began the second job it was given (the first one waits on another
    # client's prompt, say): the one it said began is running, the other queued
    target = TellingQueueTarget("gpu-a", 1)
    begin = target.begin
    batch = Batch([job(n) for n in range(1, 5)], target, tmp_path / "out", order="file")
    thread = threading.Thread(target=batch.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(target.started) == 2, "two jobs on the server")
        second = target.started[1]
        begin.setdefault(second, threading.Event()).set()
        wait_for(lambda: any(j.stage for j in batch.progress().jobs), "a stage told")
        p = batch.progress()
        assert [j.job for j in p.jobs if not j.queued] == [second], p.jobs
        assert p.queued == 1
    finally:
        for number in range(1, 5):
            target.gates.setdefault(number, threading.Event()).set()
            begin.setdefault(number, threading.Event()).set()
        thread.join(WAIT)
    assert batch.summary is not None and batch.summary.complete


def two_servers(stage: str = "Stage 1 sampling") -> BatchProgress:
    """QA's run: two servers each running a job, each with one queued behind it (one being
    sent, one in the server's queue)."""
    a, b = "http://127.0.0.1:18811", "http://127.0.0.1:18812"
    jobs = (RunningJob(10, a, 5.0, stage, 3, 8, group="ltx-2 fast"),
            RunningJob(14, b, 4.0, stage, 5, 8, group="ltx-2 pro"),
            RunningJob(15, a, 0.1, group="ltx-2 fast", behind=True),
            RunningJob(16, b, 0.1, "in queue", group="ltx-2 pro", behind=True))
    return BatchProgress(total=24, to_run=24, ok=6, failed=0, cancelled=0, skipped=0,
                         running=4, waiting=0, retries=0, elapsed=20.0, eta=30.0, jobs=jobs)


def test_the_status_line_keeps_each_servers_job_and_model_set_when_narrow(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # QA: at 160-200 columns with two servers the model set each holds ("[ltx-2 pro]")
    # showed only once one job was left; issue 19 asks for it throughout
    def status_line(columns: int, stage: str = "Stage 1 sampling") -> str:
        return drawn_status_line(two_servers(stage), columns, monkeypatch)

    assert status_line(200) == (
        "[" + "#" * 6 + "-" * 18 + "] 6/24 done, 6 made, 2 running, 2 queued "
        "(127.0.0.1:18811: job 10 Stage 1 sampling 3/8 [ltx-2 fast], 127.0.0.1:18812: job 14 "
        "Stage 1 sampling 5/8 [ltx-2 pro]), ETA 30.0s")
    for columns in (180, 160, 150, 141):
        line = status_line(columns)
        assert len(line) <= columns - 1, line
        # the stage names give way first: each server, its job, step and set stay
        assert "2 running, 2 queued (127.0.0.1:18811: job 10 " in line, line
        assert " 3/8 [ltx-2 fast], 127.0.0.1:18812: job 14 " in line, line
        assert " 5/8 [ltx-2 pro]), ETA 30.0s" in line, line
        assert "job 15" not in line and "job 16" not in line, line  # queued: only counted
    assert status_line(141) == (
        "[" + "###" + "-" * 9 + "] 6/24 done, 2 running, 2 queued (127.0.0.1:18811: job 10 "
        "3/8 [ltx-2 fast], 127.0.0.1:18812: job 14 5/8 [ltx-2 pro]), ETA 30.0s")
    # then what the servers' names share (their host), each server's job, step, set kept
    assert status_line(140) == (
        "[" + "###" + "-" * 9 + "] 6/24 done, 2 running, 2 queued (port 18811: job 10 3/8 "
        "[ltx-2 fast], port 18812: job 14 5/8 [ltx-2 pro]), ETA 30.0s")
    # then the sets
    assert status_line(110) == (
        "[" + "###" + "-" * 9 + "] 6/24 done, 2 running, 2 queued (port 18811: job 10 3/8, "
        "port 18812: job 14 5/8), ETA 30.0s")
    for columns in (120, 100, 80, 60, 40):  # then the servers...: never wider
        line = status_line(columns)
        assert len(line) <= columns - 1, line
        assert "2 running, 2 queued" in line, line


def test_each_server_keeps_its_place_on_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # QA's run: "(...18942: job 1 ..., ...18941: job 3 ...)" then "(...18941: job 5 ...,
    # ...18942: job 6 ...)": ordered by job number, the servers swapped places as jobs ended
    p = two_servers()
    swapped = replace(p, jobs=(replace(p.jobs[1], job=9), p.jobs[0], *p.jobs[2:]))
    line = drawn_status_line(swapped, 200, monkeypatch)
    assert line.index("127.0.0.1:18811: job 10 ") < line.index("127.0.0.1:18812: job 9 "), line


def test_no_eta_is_shown_once_every_job_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    # QA's run ended on "8/8 done, 8 made, 0 running, ETA 0.0s"
    done = BatchProgress(total=8, to_run=8, ok=8, failed=0, cancelled=0, skipped=0,
                         running=0, waiting=0, retries=0, elapsed=9.0, eta=0.0)
    line = drawn_status_line(done, 160, monkeypatch)
    assert line == "[" + "#" * 24 + "] 8/8 done, 8 made, 0 running", line


def test_servers_are_named_by_what_tells_them_apart_before_their_sets_go(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 19's example, "gpu-a: job 10 3/8 [ltx-2 fast]": the servers' shared port (or
    # host) goes before the model sets do
    line = drawn_status_line(two_servers(), 131, monkeypatch)
    assert line == (
        "[" + "###" + "-" * 9 + "] 6/24 done, 2 running, 2 queued (port 18811: job 10 3/8 "
        "[ltx-2 fast], port 18812: job 14 5/8 [ltx-2 pro]), ETA 30.0s"), line
    p = two_servers()
    hosts = replace(p, jobs=tuple(replace(job, target=job.target.replace(
        "127.0.0.1:18811", "gpu-a:8188").replace("127.0.0.1:18812", "gpu-b:8188"))
        for job in p.jobs))
    line = drawn_status_line(hosts, 121, monkeypatch)
    assert line == (
        "[" + "###" + "-" * 9 + "] 6/24 done, 2 running, 2 queued (gpu-a: job 10 3/8 "
        "[ltx-2 fast], gpu-b: job 14 5/8 [ltx-2 pro]), ETA 30.0s"), line
    # with room, each server's whole name
    assert "(gpu-a:8188: job 10 Stage 1 sampling 3/8 [ltx-2 fast], " in \
        drawn_status_line(hosts, 200, monkeypatch)


def test_short_server_names() -> None:
    assert short_names(["http://gpu-a:8188", "http://gpu-b:8188"]) == {
        "http://gpu-a:8188": "gpu-a", "http://gpu-b:8188": "gpu-b"}
    assert short_names(["http://127.0.0.1:18811", "http://127.0.0.1:18812"]) == {
        "http://127.0.0.1:18811": "port 18811", "http://127.0.0.1:18812": "port 18812"}
    # nothing shared, one server, a RunPod endpoint, a path: each as it is
    for targets in (["http://gpu-a:8188", "http://gpu-b:8189"], ["http://gpu-a:8188"],
                    ["runpod:abc123", "http://gpu-a:8188"],
                    ["https://a.example/comfy", "https://b.example/comfy"]):
        assert short_names(targets) == {t: server_name(t) for t in targets}, targets
