"""A native ComfyUI that goes away mid-batch with several jobs on it (issue 19/21, QA F1-F2):
its loss is one event for the server, not one failure per job it held; a server that hangs
(answers nothing, its WebSocket included) is found out and its jobs go to the others, none
run twice; a stop with a hung server ends at once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.scheduler import Batch, DropNotice
from ltx2sdk.backends.comfyui import client as client_module
from ltx2sdk.backends.comfyui import following
from ltx2sdk.errors import NoTargetLeftError
from tests.app.test_batch import result_lines
from tests.app.test_batch_queue_ahead import WAIT, job, seeds, wait_for
from tests.helpers import catalog_server

pytestmark = pytest.mark.usefixtures("no_user_settings")

ROOT = Path(__file__).resolve().parents[2]
STOPPED_WITHIN = 5.0
"""Seconds a stop may take with a hung server (it took 15: the take-back requests each
waited seconds for an answer that never came)."""


@pytest.mark.parametrize("back", ["after its loss is said", "at once"])
def test_a_server_restarted_with_jobs_queued_ahead_is_lost_once_and_used_again(
        back: str, tmp_path: Path) -> None:
    # QA (F2): with --queue-ahead 3, a server killed and restarted lost its 4 jobs, counted
    # as 4 failed tries in a row: it was dropped for good, though it was back
    dropped: list[DropNotice] = []
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = 0.2  # a's first job runs a while: 3 more wait behind it
        b.sim.step_delay = 0.2
        batch = Batch([job(n) for n in range(1, 13)], [a.url, b.url], tmp_path / "out",
                      order="file", queue_ahead=3, on_drop=dropped.append)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        wait_for(lambda: len(a.received.prompts) == 4, "four prompts on a")
        port = a.port
        a.stop()
        if back != "at once":  # refused meanwhile (its WebSocket lost), then back
            wait_for(lambda: bool(dropped), "its loss said")
        # the same server, back on its port (its queue forgotten, as after kill -9)
        with catalog_server(tmp_path / "a2", port=port) as back:
            back.sim.step_delay = 0.02
            thread.join(WAIT)
            assert not thread.is_alive()
            on_back = seeds(back)
        on_a, on_b = seeds(a), seeds(b)
    assert batch.summary is not None and batch.summary.complete, batch.summary
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 13))
    assert all(line["status"] == "ok" and line["attempts"] == 1 for line in lines), lines
    # its loss said, once; never dropped
    assert [(d.target, d.lost) for d in dropped] == [(a.url, True)], dropped
    assert on_back, "the restarted server was not used again"
    assert not [s for s, n in Counter(on_b + on_back).items() if n > 1], (on_b, on_back)
    assert len(on_a) == 4


@pytest.fixture
def quick_hung_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hung rule (10 s with no answer to a look) shortened: what it decides is the
    subject, not its length."""
    monkeypatch.setattr(following, "HUNG_AFTER", 1.5)
    monkeypatch.setattr(following, "LOOK_AGAIN", 0.3)
    monkeypatch.setattr(client_module, "LOOK_TIMEOUT", 0.5)


def prompt_seeds(srv: Any) -> dict[str, int]:
    """Each prompt a stand-in received (its id) -> its job's seed."""
    return dict(zip((p["prompt_id"] for p in srv.received.prompts), seeds(srv), strict=True))


@pytest.mark.usefixtures("quick_hung_rule")
def test_a_server_that_hangs_mid_batch_hands_its_jobs_on_and_runs_none_when_it_wakes(
        tmp_path: Path) -> None:
    # QA (F1): a server stopped (kill -STOP) with a job running and one queued ahead kept
    # both until the --timeout (an hour); with --timeout 15 the queued one failed "was not
    # started" instead of going to the idle server
    dropped: list[DropNotice] = []
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = b.sim.step_delay = 0.3
        batch = Batch([job(n) for n in range(1, 9)], [a.url, b.url], tmp_path / "out",
                      order="file", queue_ahead=1, timeout=15, ready_timeout=2,
                      on_drop=dropped.append)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: len(a.received.prompts) == 2, "a job running on a, one queued")
            a.faults.frozen = True  # kill -STOP
            thread.join(WAIT * 3)
            assert not thread.is_alive()
        finally:
            a.faults.frozen = False  # kill -CONT: it serves what it was sent meanwhile
        assert a.state is not None
        wait_for(lambda: not a.state.pending and a.state.running is None, "a idle")
        on_a = prompt_seeds(a)
        ran_on_a = {on_a[pid] for pid, entry in a.history().items()
                    if entry["status"]["status_str"] == "success"}
        on_b = seeds(b)
    assert batch.summary is not None and batch.summary.complete, batch.summary
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 9))
    # its two jobs went to b untried: each made once, with one try
    assert all(line["status"] == "ok" and line["attempts"] == 1 for line in lines), lines
    made_on_b = {line["request"]["seed"] for line in lines if line["target"] == b.url}
    assert set(on_a.values()) <= made_on_b
    assert not [s for s, n in Counter(on_b).items() if n > 1], on_b
    # woken, it ran neither of them to its end: they were taken back
    assert not ran_on_a, ran_on_a
    assert dropped and (dropped[0].target, dropped[0].lost, dropped[0].handed_on) == \
        (a.url, True, 2), dropped
    assert dropped[0].reason == "no answer in time"


def test_a_stop_with_a_hung_server_ends_at_once_with_the_counts_right(
        tmp_path: Path) -> None:
    # QA (F1): Ctrl-C with a hung server took 15 s (each take-back request waited seconds)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(job(n)) + "\n" for n in range(1, 5)))
    out = tmp_path / "out"
    with catalog_server(tmp_path / "a") as a:
        a.sim.step_delay = 0.3
        batch = subprocess.Popen(
            [sys.executable, "-m", "ltx2sdk.app.cli.main", "batch", str(jobs), "--server",
             a.url, "-o", str(out), "--order", "file"], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: len(a.received.prompts) == 2 or batch.poll() is not None,
                     "a job running, one queued ahead")
            a.faults.frozen = True  # kill -STOP
            time.sleep(1.5)  # (its follows wait on it now)
            assert batch.poll() is None, batch.communicate()
            batch.send_signal(signal.SIGINT)
            stdout, stderr = batch.communicate(timeout=STOPPED_WITHIN)
        finally:
            batch.kill()
            a.faults.frozen = False
    assert batch.returncode == 130, stderr
    assert "interrupted after" in stdout, stdout
    # the running job is cancelled, the one queued ahead (never begun) and the rest are not
    # started: a re-run does all four
    assert "cancelled 1 running job (job 1 on" in stdout, stdout
    assert "3 not started" in stdout, stdout
    assert "to do the 4 left" in stdout, stdout


@pytest.mark.usefixtures("quick_hung_rule")
def test_a_hung_server_with_no_other_target_is_waited_for_then_dropped_its_jobs_not_failed(
        tmp_path: Path) -> None:
    # as a dead server is: lost, waited for (its ready time), dropped, the batch stopped
    # with its jobs left for a re-run, none failed
    dropped: list[DropNotice] = []
    with catalog_server(tmp_path / "a") as a:
        a.sim.step_delay = 0.3
        batch = Batch([job(n) for n in range(1, 4)], [a.url], tmp_path / "out",
                      order="file", ready_timeout=1, on_drop=dropped.append)
        raised: list[Exception] = []

        def run() -> None:
            try:
                batch.run()
            except NoTargetLeftError as exc:
                raised.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: len(a.received.prompts) == 2, "a job running, one queued")
            a.faults.frozen = True
            thread.join(WAIT * 2)
            assert not thread.is_alive()
        finally:
            a.faults.frozen = False
    assert raised and "no target left" in str(raised[0]), raised
    summary = batch.summary
    assert summary is not None and not summary.complete
    assert [(d.target, d.lost) for d in dropped] == [(a.url, True), (a.url, False)], dropped
    assert summary.progress.failed == 0 and summary.progress.ok == 0
    assert summary.not_started == 3 and summary.unusable
