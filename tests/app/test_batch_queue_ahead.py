"""Queue-ahead on native ComfyUI (issue 19): while a job runs, the next one for that server is
queued, so the server starts it the moment the last ends; a server that dies with a job
queued ahead loses neither job, and runs none twice. (Ctrl-C with a job queued ahead:
tests/app/test_batch.py, test_a_stop_cancels_the_running_job_and_says_what_was_left.)"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ltx2sdk.app.batch import server_target
from ltx2sdk.app.batch.scheduler import (
    Batch,
    BatchProgress,
    DropNotice,
    RetryNotice,
    RetryPolicy,
    run_batch,
)
from ltx2sdk.errors import BatchSettingError, CommandLineError
from tests.app.test_batch import record_queue_at_post, result_lines
from tests.app.test_cli_scripting import parsed, settings
from tests.comfyserver.faults import Hang
from tests.helpers import catalog_server, png_bytes

pytestmark = pytest.mark.usefixtures("no_user_settings")

SMALL = {"duration": 1, "width": 256, "height": 256}
WAIT = 30.0


def job(seed: int) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.01)


def seeds(srv: Any) -> list[int]:
    """The job (its seed, said in its prompt's text) of each prompt a stand-in received."""
    found = []
    for posted in srv.received.prompts:
        texts = {value for node in posted["prompt"].values()
                 for value in node["inputs"].values()
                 if isinstance(value, str) and value.startswith("a fox, take ")}
        [text] = texts
        found.append(int(text.removeprefix("a fox, take ")))
    return found


@pytest.mark.parametrize(("ahead", "queued"), [(1, {0, 1}), (0, {0})])
def test_the_next_job_is_queued_while_one_runs(ahead: int, queued: set[int],
                                               tmp_path: Path) -> None:
    stages: set[str | None] = set()

    def seen(progress: BatchProgress) -> None:
        stages.update(running.stage for running in progress.jobs)

    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.step_delay = 0.1  # a job of a few tenths of a second: the next is queued
        busy = record_queue_at_post(srv)
        summary = run_batch([job(n) for n in range(1, 5)], srv.url, tmp_path / "out",
                            queue_ahead=ahead, on_progress=seen)
        assert summary.complete and len(srv.received.prompts) == 4
    # the prompts waiting on the server when each was queued: one ahead, never more
    assert set(busy.seen) == queued, busy.seen
    if ahead:  # the job waiting behind the running one says so
        assert "in queue" in stages, stages


def test_a_server_killed_with_a_job_queued_ahead_loses_none_and_runs_none_twice(
        tmp_path: Path) -> None:
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = 0.2  # a's first job runs a few seconds: the next waits behind it
        b.sim.step_delay = 0.02
        batch = Batch([job(n) for n in range(1, 9)], [a.url, b.url], tmp_path / "out",
                      order="file")
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        # a runs one job and has the next queued: then it dies
        wait_for(lambda: len(a.received.prompts) == 2, "two prompts on a")
        a.stop()
        thread.join(WAIT)
        assert not thread.is_alive()
        on_a, on_b = seeds(a), seeds(b)
    assert batch.summary is not None and batch.summary.complete, batch.summary
    lines = result_lines(tmp_path / "out")
    # every job ends exactly once in results.jsonl, made
    assert sorted(line["job"] for line in lines) == list(range(1, 9))
    assert all(line["status"] == "ok" for line in lines)
    # the live server ran none twice, and none a had made
    assert not [s for s, n in Counter(on_b).items() if n > 1], on_b
    made_on_a = {line["request"]["seed"] for line in lines if line["target"] == a.url}
    assert not made_on_a & set(on_b)
    # the one queued ahead on a (its second) never ran there: made on b, its one try there
    by_seed = {line["request"]["seed"]: line for line in lines}
    queued_ahead = on_a[1]
    assert queued_ahead not in made_on_a and on_b.count(queued_ahead) == 1
    assert (by_seed[queued_ahead]["target"], by_seed[queued_ahead]["attempts"]) == (b.url, 1)


def test_queue_ahead_is_a_setting_of_the_batch_the_command_and_the_file(
        tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError, match="queue_ahead must be 0 or more"):
        Batch([job(1)], "http://127.0.0.1:9", tmp_path / "out", queue_ahead=-1)
    assert parsed(["batch", "j", "-o", "o"]).queue_ahead == 1
    assert parsed(["batch", "j", "-o", "o", "--queue-ahead", "0"]).queue_ahead == 0
    path = settings(tmp_path, "[batch]\nqueue_ahead = 2\n")
    assert parsed(["batch", "j", "-o", "o", "--config", str(path)]).queue_ahead == 2
    wrong = settings(tmp_path, "[batch]\nqueue_ahead = -1\n", "wrong.toml")
    with pytest.raises(CommandLineError):
        parsed(["batch", "j", "-o", "o", "--config", str(wrong)])


def test_a_cancel_takes_back_the_waiting_job_before_it_stops_one_not_yet_heard_running(
        tmp_path: Path) -> None:
    # the job running sends no progress (no sampler step: its time is one wait before its
    # first node), so the batch cannot tell which of its two prompts the server runs: both
    # leave the queue in one request first, else interrupting the running one would let the
    # server start the other before that one's removal arrived
    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.sampler_classes, srv.sim.job_seconds = frozenset(), 30.0
        batch = Batch([job(n) for n in range(1, 4)], srv.url, tmp_path / "out", queue_ahead=1)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        wait_for(lambda: len(srv.received.prompts) == 2 and srv.state is not None
                 and srv.state.running is not None, "one prompt running, one waiting")
        assert srv.state.running is not None
        running = srv.state.running.prompt_id
        batch.cancel()
        thread.join(WAIT)
        assert not thread.is_alive()
        posted = [p["prompt_id"] for p in srv.received.prompts]
        wait_for(lambda: any(pid in srv.state.history for pid in posted), "the stopped one")
        time.sleep(0.3)  # (a server that started the other would have it by now)
        assert [pid for pid in posted if pid in srv.state.history] == [running], running
        assert seeds(srv) == [1, 2] and posted.index(running) == 0  # (queued in order)
        assert any(posted[1] in op.get("delete", []) for op in srv.received.queue_ops)
    # the stopped one is cancelled; the one taken back never ran: not started, as the third,
    # never sent (QA: it was sometimes counted cancelled)
    summary = batch.summary
    assert summary is not None
    assert (summary.progress.cancelled, summary.not_started) == (1, 2), summary
    assert summary.cancelled_jobs == ((1, srv.url),)
    lines = {line["job"]: line["status"] for line in result_lines(tmp_path / "out")}
    assert lines == {1: "cancelled"}


@pytest.mark.parametrize("ahead", [1, 0])
def test_jobs_lost_with_a_dead_server_go_to_the_others_without_a_try_spent(
        ahead: int, tmp_path: Path) -> None:
    # QA (issue 19, F1): with --retries 0 the job running on a server that died, and the
    # one queued behind it, failed ("gave up after 1 tries") though another server lived
    dropped: list[DropNotice] = []
    retried: list[RetryNotice] = []
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = 0.2
        b.sim.step_delay = 0.02
        batch = Batch([job(n) for n in range(1, 7)], [a.url, b.url], tmp_path / "out",
                      order="file", queue_ahead=ahead, retry=RetryPolicy(attempts=1),
                      ready_timeout=1.0, on_drop=dropped.append, on_retry=retried.append)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        wait_for(lambda: len(a.received.prompts) == 1 + ahead, "a's prompts")
        a.stop()
        thread.join(WAIT)
        assert not thread.is_alive()
        on_b = seeds(b)
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 7))
    assert [(line["status"], line["attempts"]) for line in lines] == [("ok", 1)] * 6, lines
    assert not retried, retried
    # its loss said when it happened, then its drop
    assert [(notice.target, notice.lost) for notice in dropped] == [(a.url, True),
                                                                   (a.url, False)], dropped
    assert not [s for s, n in Counter(on_b).items() if n > 1], on_b


def test_a_tries_timeout_counts_from_when_the_server_starts_it_not_its_wait_in_the_queue(
        tmp_path: Path) -> None:
    # QA (issue 19/21): with a job queued ahead, --timeout 5 interrupted 3.4 s jobs, their
    # wait behind the running one counted; the times recorded counted it too
    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.job_seconds = 2.0  # each job waits about this long behind the one before
        summary = run_batch([job(n) for n in range(1, 4)], srv.url, tmp_path / "out",
                            queue_ahead=1, order="file", timeout=3.2,
                            retry=RetryPolicy(attempts=1))
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert summary.complete and [lines[n]["status"] for n in (1, 2, 3)] == ["ok"] * 3, lines
    for number in (2, 3):  # they waited behind a job of 2 s: said apart from the run
        timings = lines[number]["metadata"]["timings"]
        assert timings["queued"] > 1.0, timings
        # the run and the job's own time count from the start on the server
        assert timings["run"] < 3.2 and lines[number]["seconds"] < 3.2, lines[number]


def test_a_job_queued_behind_one_that_hangs_waits_no_longer_than_that_ones_deadline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the wait in the queue is not counted in the job's timeout, but it has a bound: the
    # deadline of the job ahead of it on the server, plus a grace
    monkeypatch.setattr("ltx2sdk.app.batch.server_target.QUEUE_GRACE", 0.5, raising=False)
    with catalog_server(tmp_path / "srv") as srv:
        srv.faults.hang = Hang.STALLED  # the running prompt never ends, interrupted or not
        batch = Batch([job(1), job(2)], srv.url, tmp_path / "out", queue_ahead=1,
                      order="file", timeout=1.0, retry=RetryPolicy(attempts=1))
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        thread.join(WAIT)
        alive = thread.is_alive()
        posted = [p["prompt_id"] for p in srv.received.prompts]
        assert srv.state is not None
        pending = [item.prompt_id for item in srv.state.pending]
        srv.faults.hang = Hang.NONE
    assert not alive, "the job queued behind a hung one waited on"
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert lines[1]["status"] == "failed" and "did not finish" in lines[1]["error"]
    assert lines[2]["status"] == "failed", lines[2]
    assert "was not started" in lines[2]["error"] and "queue" in lines[2]["error"], lines[2]
    assert len(posted) == 2 and posted[1] not in pending  # taken out of the queue


def test_order_file_queues_a_servers_jobs_in_file_order(tmp_path: Path) -> None:
    # QA (issue 19): with a job queued ahead, the first two jobs raced to the server's queue
    # (job 2 could run before job 1): job 1 here is slower to get ready (its image is uploaded
    # slowly), so job 2 would win the race
    async def slow_uploads(request: web.Request, handler: Any) -> web.StreamResponse | None:
        if request.path.removeprefix("/api").startswith("/upload"):
            await asyncio.sleep(0.5)
        return None

    image = base64.b64encode(png_bytes()).decode()
    jobs = [{**job(1), "type": "i2v", "image_base64": image}, job(2), job(3), job(4)]
    with catalog_server(tmp_path / "srv") as srv:
        srv.faults.tamper = slow_uploads
        srv.sim.step_delay = 0.05
        summary = run_batch(jobs, srv.url, tmp_path / "out", queue_ahead=1, order="file")
        assert summary.complete
        assert seeds(srv) == [1, 2, 3, 4]


def test_a_cancel_while_a_prompt_is_being_sent_takes_it_back_too(tmp_path: Path) -> None:
    # QA (issue 19): a job queued ahead was sometimes counted cancelled, not "not started":
    # the cancel came while its prompt was on its way (queued by the server, not yet
    # answered), so it was not taken back, and the server started it once the running one
    # was interrupted
    posts: list[str] = []

    async def slow_answer(request: web.Request, handler: Any) -> web.StreamResponse | None:
        if request.method != "POST" or request.path.removeprefix("/api") != "/prompt":
            return None
        posts.append("in")
        answer: web.StreamResponse = await handler(request)  # queued on the server now
        if len(posts) == 2:
            await asyncio.sleep(1.0)  # the second one's answer is slow to come back
        return answer

    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.sampler_classes, srv.sim.job_seconds = frozenset(), 30.0
        srv.faults.tamper = slow_answer
        batch = Batch([job(n) for n in range(1, 4)], srv.url, tmp_path / "out", queue_ahead=1)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        assert srv.state is not None
        wait_for(lambda: len(srv.state.pending) == 1 and srv.state.running is not None,
                 "one prompt running, one waiting (its answer on its way)")
        running, ahead = srv.state.running.prompt_id, srv.state.pending[0].prompt_id
        batch.cancel()
        thread.join(WAIT)
        assert not thread.is_alive()
        wait_for(lambda: running in srv.state.history, "the stopped one")
        time.sleep(0.3)  # (a server that started the other would have it by now)
        assert ahead not in srv.state.history  # it never ran
    summary = batch.summary
    assert summary is not None
    assert (summary.progress.cancelled, summary.not_started) == (1, 2), summary
    assert [line["job"] for line in result_lines(tmp_path / "out")] == [1]


def test_a_queued_jobs_bound_is_the_latest_end_of_the_jobs_ahead_plus_the_grace() -> None:
    # the rule ServerTarget states, on the instants alone (monotonic seconds)
    grace = server_target.QUEUE_GRACE
    queue = server_target._ServerQueue()
    a, b, c = queue.new_turn(), queue.new_turn(), queue.new_turn()
    a.deadline, a.queued_at, a.began_at = 100.0, 10.0, 30.0  # began after 20 s: ends by 120
    b.deadline, b.queued_at = 105.0, 12.0  # not begun: starts by 120 + grace at the latest
    c.deadline, c.queued_at = 106.0, 13.0
    assert queue.start_by(a) == -float("inf")  # none ahead: its own deadline bounds it
    assert queue.start_by(b) == 120.0 + grace
    # b's latest end: its deadline moved by the longest wait it may yet have
    assert queue.start_by(c) == 105.0 + (120.0 + grace - 12.0) + grace
    queue.end(a)
    assert queue.start_by(b) == -float("inf")
    assert queue.start_by(c) == 105.0 + (max(105.0, -float("inf")) - 12.0) + grace


def test_a_job_queued_behind_another_is_not_suspected_of_its_servers_loss() -> None:
    # a job queued ahead that goes with its server waited behind the one running: its loss
    # stays free (ServerLostError.held), only the running one's counts toward its tries
    queue = server_target._ServerQueue()
    first, second = queue.new_turn(), queue.new_turn()
    queue.sent(first, "p1")
    queue.sent(second, "p2")
    assert (first.behind, second.behind) == (False, True)
    queue.end(first)  # the first ended: a job queued now waits behind none
    third = queue.new_turn()
    queue.sent(third, "p3")
    assert third.behind is True  # (the second is still there, ahead of it)
    queue.end(second)
    fourth = queue.new_turn()
    queue.sent(fourth, "p4")
    assert (third.behind, fourth.behind) == (True, True)
    queue.end(third)
    fifth = queue.new_turn()
    queue.end(fourth)
    queue.sent(fifth, "p5")
    assert fifth.behind is False
