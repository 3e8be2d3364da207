"""What ``ltx2 batch`` says while a batch stops or loses a server (issue 19/21 QA): no ETA once
the batch is stopping, a server lost mid-batch said when it happens, and a summary that tells
a server never usable from one lost after it made jobs."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.scheduler import (
    Batch,
    BatchProgress,
    BatchSummary,
    DropNotice,
    JobResult,
)
from ltx2sdk.app.cli.batch_command import (
    BatchDisplay,
    describe_summary,
    eta_text,
    summary_json,
)
from tests.app.test_batch_progress import HeldRunner, HeldTarget
from tests.app.test_batch_queue_ahead import WAIT, job, wait_for
from tests.helpers import catalog_server


class Stop(Exception):
    """What a Ctrl-C does to the iterating thread: the batch cancels, then raises it."""


def test_no_eta_is_shown_once_the_batch_is_stopping(tmp_path: Path) -> None:
    # QA: "[1/5, ETA 5.9s] cancelled job 1" on a stream that is no terminal
    runner = HeldRunner({})
    runner.gate(1).set()
    stream = io.StringIO()
    display = BatchDisplay(stream, interactive=False)

    def progress(p: BatchProgress) -> None:
        display.progress(p)
        if runner.started == [1, 2] and p.ok == 1 and p.running == 1:
            raise Stop  # (job 2 runs, and an ETA was shown: job 1 is made)

    def result(r: JobResult) -> None:
        display.result(r)

    batch = Batch([job(n) for n in (1, 2, 3)], HeldTarget(runner), tmp_path / "out",
                  on_progress=progress, on_result=result)
    with pytest.raises(Stop):
        batch.run()
    lines = stream.getvalue().splitlines()
    [cancelled] = [line for line in lines if "cancelled job 2" in line]
    assert cancelled.startswith("[2/3] "), lines  # was "[1/3, ETA 0.1s] cancelled job 2"
    assert "ETA" not in cancelled


def test_no_eta_is_given_once_the_batch_is_cancelled() -> None:
    p = BatchProgress(total=3, to_run=3, ok=0, failed=0, cancelled=0, skipped=0, running=1,
                      waiting=0, retries=0, elapsed=1.0, eta=None, stopping=True)
    stream = io.StringIO()
    display = BatchDisplay(stream, interactive=False)
    display.progress(p)
    display.result(JobResult(1, "key", "cancelled", target="gpu-a"))
    # was "[0/3, ETA after the first video] cancelled ...": no video will be made now
    assert stream.getvalue() == "[0/3] cancelled job 1  on gpu-a\n"
    assert eta_text(p) == "stopping"  # what a terminal's status line says in its place


def test_a_server_lost_mid_batch_is_said_when_it_happens_and_in_the_summary(
        tmp_path: Path) -> None:
    # QA: a killed server was said "dropped" only at the end, and the summary said "not
    # used: ..." of a server that had made a job before it died
    said: list[Any] = []
    made_on_a = threading.Event()
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = 0.3  # a's jobs run a second or so: the next waits behind each
        b.sim.step_delay = 0.1

        def result(r: JobResult) -> None:
            said.append(r)
            if r.target == a.url and r.status == "ok":
                made_on_a.set()

        batch = Batch([job(n) for n in range(1, 13)], [a.url, b.url], tmp_path / "out",
                      order="file", on_result=result, on_drop=said.append)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        try:
            # a made a video, runs its next job and has one more queued: then it dies
            wait_for(lambda: made_on_a.is_set() and len(a.received.prompts) >= 3,
                     "a video made on a, two more jobs sent there")
            a.stop()
            thread.join(WAIT)
            assert not thread.is_alive()
        finally:
            batch.cancel()
    summary = batch.summary
    assert summary is not None and summary.progress.ok == 12
    lost = [n for n in said if isinstance(n, DropNotice) and n.lost]
    # said once, when it happened: before the jobs it lost were made elsewhere
    assert len(lost) == 1, said
    [notice] = lost
    assert notice.target == a.url and notice.handed_on == 2 and notice.made >= 1, notice
    after = said[said.index(notice) + 1:]
    assert sum(1 for r in after if isinstance(r, JobResult) and r.status == "ok") >= 2
    stream = io.StringIO()
    BatchDisplay(stream, interactive=False).dropped(notice)
    assert stream.getvalue() == (f"lost      {a.url}: {notice.reason}; its 2 jobs go to the "
                                 "others\n")
    made = sum(1 for r in said if isinstance(r, JobResult) and r.target == a.url)
    text = describe_summary(summary, tmp_path / "out")
    plural = "s" if made != 1 else ""
    assert f"lost after {made} job{plural}: {a.url}: " in text, text  # was "not used: ..."
    assert "not used" not in text, text


def test_the_summary_tells_a_server_never_used_from_one_lost(tmp_path: Path) -> None:
    p = BatchProgress(total=4, to_run=4, ok=4, failed=0, cancelled=0, skipped=0, running=0,
                      waiting=0, retries=0, elapsed=9.0, eta=None)
    summary = BatchSummary(p, False, (), 0, ("http://a: connection refused",
                                             "http://b: connection refused"),
                           tmp_path / "results.jsonl", unusable_made=(0, 3))
    assert describe_summary(summary, tmp_path) == (
        "batch finished in 9.0s: 4 made; not used: http://a: connection refused; lost after "
        "3 jobs: http://b: connection refused")
    said = summary_json(summary, tmp_path)  # --json says it too
    assert said["unusable_made"] == [0, 3] and len(said["unusable_targets"]) == 2


@pytest.mark.parametrize(("left", "said"), [
    (1, "1 job not run: run the same command again once a target can take it"),
    (3, "3 jobs not run: run the same command again once a target can take them")])
def test_the_jobs_not_run_are_counted_in_words_that_agree(tmp_path: Path, left: int,
                                                          said: str) -> None:
    p = BatchProgress(total=4, to_run=4, ok=4 - left, failed=0, cancelled=0, skipped=0,
                      running=0, waiting=0, retries=0, elapsed=9.0, eta=None)
    summary = BatchSummary(p, False, (), left, ("http://a: connection refused",),
                           tmp_path / "results.jsonl", unusable_made=(1,))
    assert said in describe_summary(summary, tmp_path)  # was "1 jobs not run"


def test_a_lost_servers_line_says_where_its_jobs_go() -> None:
    def line(notice: DropNotice) -> str:
        stream = io.StringIO()
        BatchDisplay(stream, interactive=False).dropped(notice)
        return stream.getvalue()

    assert line(DropNotice("http://a", "connection refused", 1, lost=True, handed_on=1)) == \
        "lost      http://a: connection refused; its job goes to the others\n"
    assert line(DropNotice("http://a", "connection refused", 0, lost=True, handed_on=2)) == \
        "lost      http://a: connection refused; its 2 jobs wait for it to come back\n"
    assert line(DropNotice("http://a", "connection refused", 0)) == \
        "dropped   http://a: connection refused\n"
