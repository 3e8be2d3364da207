"""A job tried again goes back to its model group's target (issue 19, Deliver 2):
with ``order="model"`` a job that failed transiently is taken by a target that holds its
group, not by whichever target is free next, which would load its models (and load its own
again after); another target takes it only when no target holding the group can within
reason (dropped, lost, paused past one job's time, unable to run it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.grouping import model_group
from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import RetryPolicy, run_batch
from ltx2sdk.app.batch.targets import JobStage, Runner
from ltx2sdk.errors import ServerUnreachableError, TransientJobError
from tests.app.test_batch import result_lines
from tests.app.test_batch_order import SMALL, loads

pytestmark = pytest.mark.usefixtures("no_user_settings")

NOW = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)  # tried again at once
FAST, PRO = "ltx-2 fast", "ltx-2 pro"
WAIT = 20.0  # seconds a runner waits for its cue at most (a bug fails, never hangs)


def steering_jobs() -> list[dict[str, Any]]:
    """Jobs 1-2 of group FAST (job 2 fails once), jobs 3-8 of group PRO."""
    fast = [{"prompt": f"a fox, take {n}", "seed": n, **SMALL} for n in (1, 2)]
    pro = [{"prompt": f"a fox, take {n}", "seed": n, "mode": "pro", **SMALL}
           for n in range(3, 9)]
    return fast + pro


class Script:
    """What the two runners do, by the group of their job (which target takes which group
    is the planner's pick: the first to ask takes the larger, PRO):

    - job 1 (FAST) takes ``pace`` seconds: the FAST target's pace, one job's time;
    - job 2 (FAST) fails once (transient) when ``retried`` is not yet set; the FAST target
      then proves ready again before its next job, and that waits for ``back``;
    - job 3 (PRO) waits until the retry is queued (``retried``: the batch's ``on_retry``),
      so the PRO target asks for its next job while the retry waits;
    - job 8 (PRO, the last) lets the FAST target come back (``back``), or ``lost`` it.
    """

    def __init__(self, pace: float, *, lost: bool = False) -> None:
        self.pace, self.lost = pace, lost
        self.retried, self.back = threading.Event(), threading.Event()
        self.seen: dict[str, list[tuple[int, str]]] = {}
        self.lock = threading.Lock()


class ScriptedRunner:
    def __init__(self, name: str, script: Script) -> None:
        self.name, self.script = name, script
        self.proved = 0

    def wait_ready(self, cancel: threading.Event) -> None:
        self.proved += 1
        with self.script.lock:
            failed = any(n == 2 for n, _ in self.script.seen.get(self.name, []))
        if self.proved > 1 and failed:  # proving ready again, after its failure
            assert self.script.back.wait(WAIT)
            if self.script.lost:
                raise ServerUnreachableError(f"{self.name}: connection refused",
                                             url=self.name, reason="connection refused")

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        script = self.script
        with script.lock:
            script.seen.setdefault(self.name, []).append((job.number, model_group(job).label))
        if job.number == 1:
            time.sleep(script.pace)
        elif job.number == 2 and not script.retried.is_set():
            raise TransientJobError("the worker was lost")
        elif job.number == 3:
            assert script.retried.wait(WAIT)
        elif job.number == 8:
            script.back.set()
        video.write_bytes(b"video")
        return {"seed": job.number}

    def close(self) -> None:
        pass


class ScriptedTarget:
    def __init__(self, name: str, script: Script) -> None:
        self.name = name
        self.runner = ScriptedRunner(name, script)

    def open(self, concurrency: int | None) -> list[Runner]:
        return [self.runner]


def run_script(script: Script, out: Path, order: str = "model") -> Any:
    return run_batch(steering_jobs(), [ScriptedTarget("a", script),
                                       ScriptedTarget("b", script)], out, retry=NOW,
                     order=order, on_retry=lambda notice: script.retried.set())


def holder_of(script: Script, label: str) -> str:
    """The target that ran the first job of group ``label``."""
    return next(name for name, runs in script.seen.items() if runs[0][1] == label)


def test_a_retry_goes_back_to_the_target_holding_its_models(tmp_path: Path) -> None:
    # one job's time on the FAST target (1.5 s) is far more than the PRO target takes to ask
    # for its next job once the retry waits: it leaves the retry for the FAST target, which
    # is back (proved ready again) before that time is up
    script = Script(pace=1.5)
    summary = run_script(script, tmp_path / "out")
    assert summary.complete
    fast, pro = holder_of(script, FAST), holder_of(script, PRO)
    assert fast != pro
    assert [n for n, _ in script.seen[fast]] == [1, 2, 2]  # its job, failed, then tried again
    assert all(label == PRO for _, label in script.seen[pro])  # never FAST's models
    # the minimum: each group loaded once (before, the PRO target took the retry at once:
    # a load of FAST, then PRO again)
    assert loads([g for _, g in script.seen[fast]]) + \
        loads([g for _, g in script.seen[pro]]) == 2
    line = {line["job"]: line for line in result_lines(tmp_path / "out")}[2]
    assert (line["status"], line["attempts"], line["target"]) == ("ok", 2, fast)


def test_a_retry_goes_elsewhere_when_its_groups_target_is_dropped(tmp_path: Path) -> None:
    # the FAST target does not come back (its address refuses): the retry does not wait
    # for it, the PRO target runs it
    script = Script(pace=1.5, lost=True)
    summary = run_script(script, tmp_path / "out")
    fast, pro = holder_of(script, FAST), holder_of(script, PRO)
    assert summary.unusable and summary.unusable[0].startswith(f"{fast}:")
    assert (2, FAST) in script.seen[pro]
    line = {line["job"]: line for line in result_lines(tmp_path / "out")}[2]
    assert (line["status"], line["attempts"], line["target"]) == ("ok", 2, pro)
    assert summary.progress.ok == 8 and summary.not_started == 0


def test_file_order_lets_any_free_target_take_a_retry(tmp_path: Path) -> None:
    # order="file" keeps today's rule: the first free target takes it (here, whichever
    # asks while the FAST target proves ready again); every job still ends once
    script = Script(pace=0.0)
    summary = run_script(script, tmp_path / "out", order="file")
    assert summary.complete
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 9))
    assert {line["job"]: line["attempts"] for line in lines}[2] == 2
