"""Queue-ahead on Comfy API v2 targets (issue 19), against the real ``comfy-api-proxy`` in
front of the ComfyUI stand-in: while a job runs the next one is submitted, so the service
starts it the moment the last ends; a try's timeout counts from the job's start; a cancel
takes the queued job back (not started, never cancelled); ``queue_ahead=0`` keeps one job at
a time. (Native ComfyUI: test_batch_queue_ahead.py.)"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx2sdk.app.batch import server_target
from ltx2sdk.app.batch.scheduler import (
    Batch,
    BatchProgress,
    DropNotice,
    RetryNotice,
    RetryPolicy,
    run_batch,
)
from ltx2sdk.app.batch.server_target import ServerTarget
from ltx2sdk.app.batch.targets import InLane, JobSettings
from tests.app.test_batch import record_queue_at_post, result_lines
from tests.app.test_batch_queue_ahead import WAIT, job, seeds, wait_for
from tests.conftest import ProxiedComfy
from tests.helpers import ApiProxy, catalog_server

pytestmark = pytest.mark.usefixtures("no_user_settings")


@pytest.fixture
def v2(v2_installed: None, tmp_path: Path) -> Iterator[ProxiedComfy]:
    """A stand-in of its own behind a ``comfy-api-proxy`` of its own (these tests change its
    pace and leave jobs behind)."""
    with catalog_server(tmp_path / "srv") as srv, ApiProxy(srv.url) as proxy:
        yield ProxiedComfy(srv, proxy)


@pytest.mark.parametrize(("ahead", "queued"), [(1, {0, 1}), (0, {0})])
def test_the_next_job_is_submitted_while_one_runs(ahead: int, queued: set[int],
                                                  v2: ProxiedComfy, tmp_path: Path) -> None:
    stages: set[str | None] = set()

    def seen(progress: BatchProgress) -> None:
        stages.update(running.stage for running in progress.jobs)

    srv = v2.comfy
    srv.sim.step_delay = 0.1  # a job of a few tenths of a second: the next is submitted
    busy = record_queue_at_post(srv)
    summary = run_batch([job(n) for n in range(1, 5)], v2.url, tmp_path / "out",
                        queue_ahead=ahead, order="file", on_progress=seen)
    assert summary.complete and len(srv.received.prompts) == 4
    # the prompts on ComfyUI when each was queued there: one ahead, never more (0: none)
    assert set(busy.seen) == queued, busy.seen
    assert seeds(srv) == [1, 2, 3, 4]  # in the order given
    if ahead:  # the job waiting behind the running one says so
        assert "in queue" in stages, stages


def test_a_v2_target_gets_its_jobs_at_once_and_those_queued_ahead_as_lanes(
        v2: ProxiedComfy) -> None:
    def lanes(concurrency: int | None, ahead: int) -> list[int]:
        runners = ServerTarget(v2.url, settings=JobSettings(queue_ahead=ahead)).open(
            concurrency)
        try:
            found: list[object | None] = []
            for runner in runners:
                assert isinstance(runner, InLane)
                found += [] if runner.lane in found else [runner.lane]
            return [found.index(runner.lane) for runner in runners
                    if isinstance(runner, InLane)]
        finally:
            for runner in runners:
                runner.close()

    assert lanes(None, 1) == [0, 0]  # one running, one queued behind it: one lane
    assert lanes(None, 0) == [0]  # as before queue-ahead
    assert lanes(2, 1) == [0, 1, 0]  # two running, the one queued ahead behind the first
    assert lanes(3, 0) == [0, 1, 2]


def test_a_tries_timeout_counts_from_when_the_service_starts_it(v2: ProxiedComfy,
                                                                  tmp_path: Path) -> None:
    # each job waits about 2 s behind the one before: counted, 3.2 s would not do
    v2.comfy.sim.job_seconds = 2.0
    summary = run_batch([job(n) for n in range(1, 4)], v2.url, tmp_path / "out",
                        queue_ahead=1, order="file", timeout=3.2,
                        retry=RetryPolicy(attempts=1))
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert summary.complete and [lines[n]["status"] for n in (1, 2, 3)] == ["ok"] * 3, lines
    for number in (2, 3):  # they waited behind a job of 2 s: said apart from the run
        timings = lines[number]["metadata"]["timings"]
        assert timings["queued"] > 1.0, timings
        assert timings["run"] < 3.2 and lines[number]["seconds"] < 3.2, lines[number]


def test_a_cancel_takes_the_queued_job_back_and_counts_it_not_started(
        v2: ProxiedComfy, tmp_path: Path) -> None:
    srv = v2.comfy
    # the running job sends no progress (no sampler step): only a poll says it runs
    srv.sim.sampler_classes, srv.sim.job_seconds = frozenset(), 30.0
    batch = Batch([job(n) for n in range(1, 4)], v2.url, tmp_path / "out", queue_ahead=1,
                  order="file")
    thread = threading.Thread(target=batch.run, daemon=True)
    thread.start()
    wait_for(lambda: len(srv.received.prompts) == 2 and srv.state is not None
             and srv.state.running is not None, "one job running, one waiting")
    assert srv.state is not None and srv.state.running is not None
    running = srv.state.running.prompt_id
    batch.cancel()
    thread.join(WAIT)
    assert not thread.is_alive()
    posted = [p["prompt_id"] for p in srv.received.prompts]
    wait_for(lambda: running in srv.state.history, "the stopped one")
    time.sleep(0.3)  # (a server that started the other would have it by now)
    assert posted.index(running) == 0 and seeds(srv) == [1, 2]
    assert posted[1] not in srv.state.history  # taken back: it never ran
    assert posted[1] not in [item.prompt_id for item in srv.state.pending]
    summary = batch.summary
    assert summary is not None
    lines = result_lines(tmp_path / "out")
    assert (summary.progress.cancelled, summary.not_started) == (1, 2), \
        [(line["status"], line.get("error")) for line in lines]
    assert {line["job"]: line["status"] for line in lines} == {1: "cancelled"}


def test_jobs_on_a_v2_server_that_goes_away_go_to_the_others_untried(
        v2: ProxiedComfy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the proxy dies with one job running and one queued behind it: neither is lost, neither
    # try counted (with --retries 0 they would fail), and the live server runs none twice
    monkeypatch.setattr(server_target, "V2_LOST_AFTER", 1.0)
    dropped: list[DropNotice] = []
    retried: list[RetryNotice] = []
    a = v2.comfy
    a.sim.step_delay = 0.2  # a's first job runs a few seconds: the next waits behind it
    with catalog_server(tmp_path / "b") as b:
        b.sim.step_delay = 0.02
        batch = Batch([job(n) for n in range(1, 7)], [v2.url, b.url], tmp_path / "out",
                      order="file", queue_ahead=1, retry=RetryPolicy(attempts=1),
                      ready_timeout=1.0, on_drop=dropped.append, on_retry=retried.append)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        wait_for(lambda: len(a.received.prompts) == 2, "a job running and one queued on a")
        v2.proxy.stop()
        thread.join(WAIT)
        assert not thread.is_alive()
        on_b = seeds(b)
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 7))
    assert [(line["status"], line["attempts"]) for line in lines] == [("ok", 1)] * 6, lines
    assert not retried, retried
    assert all(line["target"] == b.url for line in lines)  # a made none: it was gone
    assert not [s for s, n in Counter(on_b).items() if n > 1], on_b
    assert [notice.target for notice in dropped][:1] == [v2.url], dropped
