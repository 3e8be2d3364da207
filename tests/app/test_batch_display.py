"""What ``ltx2 batch`` says while a batch stops or loses a server (issue 19/21 QA): no ETA once
the batch is stopping, a server lost mid-batch said when it happens, and a summary that tells
a server never usable from one lost after it made jobs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.scheduler import Batch, BatchProgress, JobResult
from ltx2sdk.app.cli.batch_command import BatchDisplay, eta_text
from tests.app.test_batch_progress import HeldRunner, HeldTarget

SMALL = {"duration": 1, "width": 256, "height": 256}


def job(seed: int) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL}


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
