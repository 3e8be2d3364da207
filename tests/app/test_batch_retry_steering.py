"""A job tried again goes back to its model group's target (issue 19, Deliver 2):
with ``order="model"`` a job that failed transiently is taken by a target that holds its
group, not by whichever target is free next, which would load its models (and load its own
again after); another target takes it only when no target holding the group can within
reason (dropped, lost, paused past one job's time, unable to run it)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from ltx2sdk.app.batch.grouping import model_group
from ltx2sdk.app.batch.jobs import BatchJob
from ltx2sdk.app.batch.scheduler import RetryPolicy, run_batch
from ltx2sdk.app.batch.targets import JobStage, Runner
from ltx2sdk.errors import ServerUnreachableError, TransientJobError
from tests.app.test_batch import result_lines
from tests.app.test_batch_order import SMALL, checkpoints, loads
from tests.comfyserver import ComfyTestServer
from tests.comfyserver.faults import Handler
from tests.helpers import catalog_server

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
    - job 2 (FAST) fails once (transient); the target it failed on then proves ready again
      before its next job, and that waits for ``back``;
    - job 3 (PRO) waits until the retry is queued (``retried``: the batch's ``on_retry``),
      so the PRO target asks for its next job while the retry waits;
    - job 8 (PRO, the last) lets the FAST target come back (``back``), or ``lost`` it.
    """

    def __init__(self, pace: float, *, lost: bool = False) -> None:
        self.pace, self.lost = pace, lost
        self.retried, self.back = threading.Event(), threading.Event()
        self.failed_on: str | None = None  # the target job 2 failed on (its first try)
        self.seen: dict[str, list[tuple[int, str]]] = {}
        self.lock = threading.Lock()


class ScriptedRunner:
    def __init__(self, name: str, script: Script) -> None:
        self.name, self.script = name, script
        self.proved = 0

    def wait_ready(self, cancel: threading.Event) -> None:
        self.proved += 1
        with self.script.lock:
            failed = self.script.failed_on == self.name
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
            fails = job.number == 2 and script.failed_on is None
            if fails:
                script.failed_on = self.name
        if job.number == 1:
            time.sleep(script.pace)
        elif fails:
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
    # order="file" keeps today's rule: the first free target takes it, here the other one
    # (the one that failed it proves ready again only once job 8 has run); every job still
    # ends once
    script = Script(pace=0.0)
    summary = run_script(script, tmp_path / "out", order="file")
    assert summary.complete
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert sorted(lines) == list(range(1, 9))
    assert lines[2]["attempts"] == 2
    tried_on = sorted(name for name, runs in script.seen.items() for run in runs if run[0] == 2)
    assert tried_on == ["a", "b"]  # once on each: failed on one, made on the other


def fail_once_then_slow(srv: ComfyTestServer, shared: dict[str, Any], slow: float) -> None:
    """The first prompt (on either server) that says "fail once" is answered HTTP 503 (a
    transient failure); the server that answered it then takes ``slow`` seconds to answer
    its next ``GET /system_stats`` (its proof of being ready before the next job), so the
    other server frees a runner while the retry waits."""

    async def tamper(request: web.Request, handler: Handler) -> web.StreamResponse | None:
        path = request.path.removeprefix("/api")
        if request.method == "POST" and path == "/prompt" and "failed" not in shared \
                and "fail once" in await request.text():
            shared["failed"] = srv.url
            return web.json_response({"error": "restarting"}, status=503)
        if request.method == "GET" and path == "/system_stats" and \
                shared.get("failed") == srv.url and "slowed" not in shared:
            shared["slowed"] = True
            await asyncio.sleep(slow)
        return None

    srv.faults.tamper = tamper


def model_loads(srv: ComfyTestServer) -> int:
    """The model loads the stand-in logged (``GET /ltx2sdk-standin/stats``)."""
    answer = requests.get(srv.url + "/ltx2sdk-standin/stats", timeout=5).json()
    return int(answer["model_loads"])


def test_two_stand_ins_a_retry_stays_on_the_server_holding_its_models(
        tmp_path: Path) -> None:
    # 4 jobs of one group (the second fails once), 6 of another; each server loads a model
    # set in 1.5 s and runs a job in 0.25 s, one at a time; the failing server is 0.7 s slow
    # to prove ready again (less than its job's time with the load: 1.75 s), long enough
    # for the other server to end a job and ask for its next while the retry waits
    jobs = [{"prompt": f"a fox, take {n}" + (", fail once" if n == 2 else ""), "seed": n,
             **SMALL} for n in range(1, 5)]
    jobs += [{"prompt": f"a fox, take {n}", "seed": n, "mode": "pro", **SMALL}
             for n in range(5, 11)]
    shared: dict[str, Any] = {}
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        for srv in (a, b):
            srv.sim.model_load_seconds, srv.sim.job_seconds, srv.sim.models_kept = \
                1.5, 0.25, 1
            fail_once_then_slow(srv, shared, 0.7)
        summary = run_batch(jobs, [a.url, b.url], tmp_path / "out", retry=NOW,
                            queue_ahead=0)
        sets = {srv.url: checkpoints(srv) for srv in (a, b)}
        logged = {srv.url: model_loads(srv) for srv in (a, b)}
    assert summary.complete and shared.get("slowed")
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert lines[2]["attempts"] == 2
    # tried again where its group's other jobs ran: the server that failed it
    assert lines[2]["target"] == shared["failed"] == lines[1]["target"]
    for url, prompts in sets.items():
        # no server goes back to a model set it left (before: the other server took the
        # retry, loaded its models, then loaded its own again)
        assert loads(prompts) == len(set(prompts)), (url, prompts)
        assert logged[url] == loads(prompts)  # (models_kept=1: each change is a load)
    # the minimum: each group once, plus at most one per server from work stealing at the end
    assert sum(logged.values()) <= 2 + 2
