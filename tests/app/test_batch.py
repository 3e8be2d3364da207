"""``ltx2 batch`` and the batch API: over two ComfyUI test servers at once, and over the real
RunPod worker (``runpod_handler.handler``) behind a stand-in of RunPod's hosted endpoint API
(``tests/runpod_standin.py``) with the ComfyUI test server behind the worker."""

from __future__ import annotations

import _thread
import base64
import hashlib
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PIL import Image

import runpod_handler
from ltx2sdk.app.batch.jobs import JobSource, make_job
from ltx2sdk.app.batch.scheduler import (
    Batch,
    BatchProgress,
    DropNotice,
    JobResult,
    RetryNotice,
    RetryPolicy,
    iter_batch,
    run_batch,
)
from ltx2sdk.app.batch.store import ResultStore
from ltx2sdk.app.cli.batch_command import BatchDisplay
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import (
    JobsFileError,
    NoTargetLeftError,
    OutputFolderBusyError,
    OutputPathError,
)
from tests.comfyserver import ComfyTestServer, Faults
from tests.comfyserver.faults import Handler
from tests.helpers import catalog_server, free_port, png_bytes
from tests.runpod_standin import RunPodStandIn

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures"
SMALL = {"duration": 1, "width": 256, "height": 256}
QUICK = RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.2)
WAIT = 20.0  # seconds a condition polled for may take before the test gives up


def job(seed: int, **fields: Any) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL, **fields}


def write_jobs(path: Path, jobs: list[Any]) -> Path:
    path.write_text("".join(json.dumps(j) + "\n" for j in jobs))
    return path


def result_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def served_videos(*servers: ComfyTestServer) -> set[str]:
    """The digests of every mp4 the servers wrote."""
    return {sha(p.read_bytes()) for srv in servers for p in srv.output_dir.rglob("*.mp4")}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.02)


# --- two ComfyUI servers at once ------------------------------------------------------------


@dataclass
class Busy:
    """What a server already had queued or running each time a prompt was posted to it."""

    seen: list[int]


def record_queue_at_post(srv: ComfyTestServer) -> Busy:
    busy = Busy([])

    async def tamper(request: web.Request, handler: Handler) -> web.StreamResponse | None:
        if request.method == "POST" and request.path.removeprefix("/api") == "/prompt":
            assert srv.state is not None
            busy.seen.append(srv.state.queue_remaining)  # on the server's own loop
        return None

    srv.faults.tamper = tamper
    return busy


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[ComfyTestServer, ComfyTestServer]]:
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        for srv in (a, b):
            srv.sim.step_delay = 0.01  # a job lasts long enough for a second one to overlap
        yield a, b


def test_two_servers_one_video_per_job_and_a_rerun_redoes_nothing(
        two_servers: tuple[ComfyTestServer, ComfyTestServer], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_servers
    busy = {srv.url: record_queue_at_post(srv) for srv in (a, b)}
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in range(1, 7)])
    out = tmp_path / "out"
    command = ["batch", str(jobs), "--server", a.url, "--server", b.url, "--output-dir", str(out)]

    assert main(command) == 0
    lines = result_lines(out)
    assert [line["status"] for line in lines] == ["ok"] * 6
    assert sorted(line["job"] for line in lines) == [1, 2, 3, 4, 5, 6]
    for line in lines:  # each line is its own job's: the seed asked is the seed made
        assert line["metadata"]["seed"] == line["request"]["seed"] == line["job"]
        assert line["target"] in (a.url, b.url)
    videos = sorted(out.glob("*.mp4"))
    assert [v.name for v in videos] == sorted(line["video"] for line in lines)
    assert {sha(v.read_bytes()) for v in videos} <= served_videos(a, b)
    assert all(v.read_bytes()[4:8] == b"ftyp" for v in videos)
    assert len(a.received.prompts) + len(b.received.prompts) == 6
    assert a.received.prompts and b.received.prompts  # the jobs were spread
    assert busy[a.url].seen and busy[b.url].seen
    # one job at a time each, and at most one more queued ahead of it (issue 19)
    assert set(busy[a.url].seen) | set(busy[b.url].seen) <= {0, 1}
    first = capsys.readouterr()
    assert "batch finished" in first.out and "6 made" in first.out
    assert "ETA" in first.err  # not a terminal: each line says where the batch stands

    before = (out / "results.jsonl").read_bytes()
    assert main(command) == 0
    assert len(a.received.prompts) + len(b.received.prompts) == 6  # nothing sent again
    assert (out / "results.jsonl").read_bytes() == before
    assert "0 made, 6 skipped" in capsys.readouterr().out


def test_the_python_api_yields_each_result_and_calls_back(tmp_path: Path) -> None:
    called: list[JobResult] = []
    requests = [job(1), {"input": job(2)}, job(1),  # the third repeats the first
                {"prompt": "too long", "duration": 100}]
    with catalog_server(tmp_path / "srv") as srv:
        batch = iter_batch(requests, srv.url, tmp_path / "out", on_result=called.append,
                           skip_invalid=True)
        results = list(batch)
    assert [r.job for r in results] == [r.job for r in called]  # the same, in the same order
    got = {r.job: r for r in results}
    assert sorted(got) == [1, 2, 3, 4]
    assert got[1].status == got[2].status == "ok" and got[1].video is not None
    assert got[1].metadata["seed"] == 1 and got[2].metadata["seed"] == 2
    assert got[3].status == "skipped" and got[3].note == "the same request as an earlier job"
    assert (got[4].status, got[4].error_kind, got[4].attempts) == ("failed", "invalid", 1)
    assert got[4].error is not None and "duration" in got[4].error
    assert len(srv.received.prompts) == 2  # the repeat and the invalid request went nowhere
    summary = batch.summary
    assert summary is not None and not summary.complete
    p = summary.progress
    assert (p.total, p.to_run, p.ok, p.failed, p.invalid, p.skipped, p.running) == (
        4, 2, 2, 1, 1, 1, 0)  # the invalid job is not one to run: it failed the check
    assert sorted(line["job"] for line in result_lines(tmp_path / "out")) == [1, 2, 4]


def test_transient_failures_are_retried_refusals_are_not(tmp_path: Path) -> None:
    rejection = json.loads((FIXTURES / "protocol" / "validation_errors" / "value_above_max" /
                            "response.json").read_text())["body"]
    unavailable = [1]
    refused: list[str] = []

    async def tamper(request: web.Request, handler: Handler) -> web.StreamResponse | None:
        if request.method != "POST" or request.path.removeprefix("/api") != "/prompt":
            return None
        if "refuse me" in (await request.text()):
            refused.append(await request.text())
            return web.json_response(rejection, status=400)
        if unavailable:
            unavailable.pop()
            return web.json_response({"error": "restarting"}, status=503)
        return None

    retries: list[RetryNotice] = []
    drops: list[DropNotice] = []
    with catalog_server(tmp_path / "srv") as srv:
        srv.faults.tamper = tamper
        srv.faults.restart_at_class = "SamplerCustomAdvanced"  # ComfyUI restarts, once
        summary = run_batch([job(1), job(2, prompt="refuse me")], [srv.url], tmp_path / "out",
                            retry=QUICK, on_retry=retries.append, on_drop=drops.append)
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    # the 503 cost a try; the restart that forgot the prompt is the server's loss, not the
    # job's (issue 19/21): no try spent, the server used again once back
    assert (lines[1]["status"], lines[1]["attempts"]) == ("ok", 2)
    assert [(r.job, r.attempt) for r in retries] == [(1, 1)]
    assert "HTTP 503" in retries[0].error
    assert [(d.target, d.lost) for d in drops] == [(srv.url, True)], drops
    assert (lines[2]["status"], lines[2]["attempts"], lines[2]["error_kind"]) == (
        "failed", 1, "failed")
    assert "ComfyUI rejected the prompt" in lines[2]["error"]
    assert "value_bigger_than_max" in lines[2]["error"]
    assert len(refused) == 1  # refused once, never sent again
    assert (summary.progress.ok, summary.progress.failed, summary.progress.retries) == (1, 1, 1)


def test_a_failing_callback_stops_the_batch_with_nothing_left_running(tmp_path: Path) -> None:
    def refuse(result: JobResult) -> None:
        raise RuntimeError("the notebook's own bug")

    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.step_delay = 0.02
        batch = Batch([job(seed) for seed in (1, 2, 3, 4)], [srv.url], tmp_path / "out",
                      on_result=refuse)
        with pytest.raises(RuntimeError, match="the notebook's own bug"):
            batch.run()
        assert batch.summary is not None and batch.summary.interrupted
        assert batch.summary.progress.running == 0 and batch.summary.progress.ok >= 1
        assert batch.summary.not_started is not None and batch.summary.not_started >= 1
        srv.wait_idle()  # nothing the batch started is left behind on the server


def test_a_server_that_is_down_does_not_keep_the_jobs(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch([job(seed) for seed in range(1, 6)], [dead, srv.url],
                            tmp_path / "out", ready_timeout=0.3,
                            retry=RetryPolicy(attempts=10, base_delay=0.05, max_delay=1.0))
    lines = result_lines(tmp_path / "out")
    assert [line["status"] for line in lines] == ["ok"] * 5
    assert {line["target"] for line in lines} == {srv.url}
    assert summary.complete



def test_a_dead_target_is_dropped_at_once_and_the_live_one_does_every_job(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in range(1, 7)])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        # no --ready-timeout: a refused connection is not waited for
        assert main(["batch", str(jobs), "--server", dead, "--server", srv.url,
                     "-o", str(out)]) == 0
    lines = result_lines(out)
    assert sorted(line["job"] for line in lines) == [1, 2, 3, 4, 5, 6]
    assert {line["target"] for line in lines} == {srv.url}
    assert all(line["status"] == "ok" and line["attempts"] == 1  # no try spent on the dead one
               for line in lines)
    said = capsys.readouterr()
    dropped = [line for line in said.err.splitlines() if "] dropped   " in line]
    assert len(dropped) == 1 and dropped[0].endswith(f"dropped   {dead}: connection refused")
    assert "retry" not in said.err
    assert "6 made" in said.out


@pytest.mark.parametrize("dead", ["http://127.0.0.1:{port}", "http://no-such-host.invalid:8188"])
def test_a_batch_whose_targets_are_all_dead_stops_at_once(
        dead: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = dead.format(port=free_port())
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in range(1, 7)])
    out = tmp_path / "out"
    start = time.monotonic()
    assert main(["batch", str(jobs), "--server", url, "-o", str(out)]) == 1
    assert time.monotonic() - start < 10  # one 2 s grace, not 6 jobs x 3 tries x 30 s
    said = capsys.readouterr()
    reason = "connection refused" if "127.0.0.1" in url else "unknown host"
    assert f"dropped   {url}: {reason}" in said.err
    assert said.err.strip().splitlines()[-1].startswith("ltx2: error: no target left")
    assert "6 jobs not run" in said.out and "failed" not in said.out  # not run, not failed
    assert not (out / "results.jsonl").exists() or result_lines(out) == []


def test_a_server_that_restarts_mid_batch_is_waited_for_not_dropped(tmp_path: Path) -> None:
    """A server that has answered in this batch and then refuses is restarting: it gets the
    wait of a server that is starting (30 s), not the 2 s of one that was never there."""
    port = free_port()
    first = catalog_server(tmp_path / "a", port=port).start()
    first.sim.step_delay = 0.05
    later: list[ComfyTestServer] = []

    def restart(result: JobResult) -> None:
        if not later:  # after the first video: down, then up again 3 s later
            first.stop()
            later.append(catalog_server(tmp_path / "b", port=port,
                                        faults=Faults(slow_start=3.0)).start())

    try:
        summary = run_batch([job(seed) for seed in (1, 2, 3)], f"http://127.0.0.1:{port}",
                            tmp_path / "out", retry=QUICK, on_result=restart)
    finally:
        first.stop()
        for srv in later:
            srv.stop()
    assert summary.complete and summary.progress.ok == 3, summary
    assert not summary.unusable

@pytest.mark.parametrize(("base", "reason"), [
    ("http://127.0.0.1:{port}/v2", "connection refused"),
    ("http://no-such-host.invalid/v2", "unknown host"),  # as with no network at all
])
def test_a_runpod_api_that_cannot_be_reached_is_dropped_at_once(
        base: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RUNPOD_API_KEY", "rp-test-key")
    monkeypatch.setenv("RUNPOD_ENDPOINT_BASE_URL", base.format(port=free_port()))
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in range(1, 4)])
    start = time.monotonic()
    assert main(["batch", str(jobs), "--endpoint", "runpod:ltx2-test", "-o",
                 str(tmp_path / "out")]) == 1
    assert time.monotonic() - start < 10
    said = capsys.readouterr()
    assert f"dropped   runpod:ltx2-test: {reason}" in said.err
    assert not re.search(r"ETA \d", said.err) and "retry" not in said.err  # no "ETA 29m09s"
    assert "3 jobs not run" in said.out and "failed" not in said.out

# --- resuming ---------------------------------------------------------------------------------


def test_the_key_is_the_requests_content_seed_included() -> None:
    base = make_job(1, {"prompt": "a fox", "seed": 3, "duration": 2})
    same = [{"duration": 2, "seed": 3, "prompt": "  a fox "}, {"input": {"prompt": "a fox",
            "seed": 3, "duration": 2, "mode": "fast"}}]
    assert {make_job(2, raw).key for raw in same} == {base.key}
    assert make_job(1, {"prompt": "a fox", "seed": 4, "duration": 2}).key != base.key
    seedless = make_job(1, {"prompt": "a fox", "duration": 2})
    assert seedless.key == make_job(9, {"prompt": "a fox", "duration": 2}).key != base.key
    bad = make_job(5, {"prompt": "a fox", "duration": 100})
    assert bad.request is None and bad.problem is not None and "duration" in bad.problem


def test_a_jobs_type_follows_from_its_inputs_and_a_typo_names_the_field() -> None:
    """The request model's rules hold in a batch as they are (issue 21, points 6 and 8)."""
    job = make_job(1, {"prompt": "she smiles", "image_url": "https://example.com/a.png"})
    assert job.problem is None and job.request is not None and job.request.type == "i2v"
    typo = make_job(2, {"promt": "a fox"})
    assert typo.request is None and typo.problem is not None
    assert "unknown field 'promt'; did you mean 'prompt'?" in typo.problem
    pro = make_job(3, {"prompt": "a fox", "model": "ltx-2.5", "mode": "pro"})
    assert pro.problem == ("invalid request: mode: model ltx-2.5 has no 'pro' mode: it ships a "
                           "distilled model only (t2v has: fast)")


def test_a_batch_uploads_an_image_its_jobs_share_once(tmp_path: Path) -> None:
    """Input files are named by content (issue 21 point 12): jobs with the same image make one
    upload, under one name, on the server that runs them all (one per client: with a job
    queued ahead, the server's second client uploads it once too)."""
    png = png_bytes()
    image = base64.b64encode(png).decode()
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch([job(seed, image_base64=image) for seed in (1, 2, 3)], srv.url,
                            tmp_path / "out", queue_ahead=0)
        assert summary.complete and len(srv.received.prompts) == 3
        [upload] = srv.received.uploads
    assert upload.sha256 == sha(png)
    loads = {n["inputs"]["image"] for posted in srv.received.prompts
             for n in posted["prompt"].values() if n["class_type"] == "LoadImage"}
    assert loads == {upload.name}


def test_a_line_cut_short_and_a_deleted_video_are_made_again(tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in (1, 2, 3)])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        run_batch(jobs, srv.url, out)
        first = result_lines(out)
        (out / first[1]["video"]).unlink()
        with open(out / "results.jsonl", "a") as handle:  # a kill in the middle of a line
            handle.write('{"key": "' + first[2]["key"] + '", "status": "o')
        summary = run_batch(jobs, srv.url, out)
        assert len(srv.received.prompts) == 4
    assert (summary.progress.ok, summary.progress.skipped) == (1, 2)
    raw = (out / "results.jsonl").read_text().splitlines()
    assert json.loads(raw[-1])["job"] == first[1]["job"]  # the redone job, on its own line
    assert sorted(p.name for p in out.glob("*.mp4")) == sorted(line["video"] for line in first)


def test_two_batches_cannot_share_an_output_folder(tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1)])
    with ResultStore(tmp_path / "out"), pytest.raises(OutputFolderBusyError,
                                                       match="another batch is writing"):
        run_batch(jobs, "http://127.0.0.1:9", tmp_path / "out")


def test_a_missing_jobs_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    assert main(["batch", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == \
        f"ltx2: error: {tmp_path / 'nope.jsonl'}: no such jobs file"
    with pytest.raises(RuntimeError, match="one-shot iterator"):
        source = JobSource(iter([job(1)]))
        list(source), list(source)


def test_a_jobs_file_or_output_folder_that_cannot_be_used_is_an_ltx2_error(
        tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1)])
    afile = tmp_path / "afile"
    afile.write_text("mine")
    for output in (afile, afile / "out"):  # the folder, or one on its way, is a file
        with pytest.raises(OutputPathError, match=re.escape(f"{afile} is a file, not a folder")):
            run_batch(jobs, "http://127.0.0.1:9", output)
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(JobsFileError, match=r"missing\.jsonl: no such jobs file") as caught:
        run_batch(missing, "http://127.0.0.1:9", tmp_path / "out")
    assert isinstance(caught.value, FileNotFoundError)  # `except FileNotFoundError` still works
    with pytest.raises(JobsFileError, match="a folder, not a jobs file"):
        run_batch(tmp_path, "http://127.0.0.1:9", tmp_path / "out")
    assert afile.read_text() == "mine" and not (tmp_path / "out").exists()


def test_a_batchs_videos_get_the_mode_the_umask_gives_a_new_file(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        with catalog_server(tmp_path / "srv") as srv:
            summary = run_batch([job(1)], srv.url, tmp_path / "out")
    finally:
        os.umask(before)
    assert summary.complete
    [video] = (tmp_path / "out").glob("*.mp4")
    assert video.stat().st_mode & 0o777 == 0o644  # like results.jsonl, not tempfile's 0600
    assert (tmp_path / "out" / "results.jsonl").stat().st_mode & 0o777 == 0o644


# --- the RunPod worker behind a stand-in of RunPod's endpoint API ------------------------------


@dataclass
class Endpoint:
    comfy: ComfyTestServer
    api: RunPodStandIn

    @property
    def target(self) -> str:
        return f"runpod:{self.api.endpoint_id}"

    def env(self) -> dict[str, str]:
        return {"RUNPOD_API_KEY": self.api.api_key,
                "RUNPOD_ENDPOINT_BASE_URL": self.api.base_url}


@pytest.fixture
def endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Endpoint]:
    """The real worker behind the RunPod stand-in (two workers), the ComfyUI test server
    behind the worker; the environment says where, for the worker and for the client."""
    with catalog_server(tmp_path / "comfy") as comfy, \
            RunPodStandIn(runpod_handler.handler, workers=2) as api:
        found = Endpoint(comfy, api)
        for name, value in {"COMFY_URL": comfy.url, "LTX2_READY_TIMEOUT": "5",
                            "LTX2_JOB_TIMEOUT": "30", **found.env()}.items():
            monkeypatch.setenv(name, value)
        yield found


def test_runpod_endpoint_through_the_real_worker_and_a_rerun_redoes_nothing(
        endpoint: Endpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requests = [job(seed) for seed in range(1, 5)]
    jobs = write_jobs(tmp_path / "jobs.jsonl", requests)
    out = tmp_path / "out"
    command = ["batch", str(jobs), "--endpoint", endpoint.target, "--jobs", "3", "-o", str(out)]

    assert main(command) == 0
    lines = result_lines(out)
    assert sorted(line["job"] for line in lines) == [1, 2, 3, 4]
    assert all(line["status"] == "ok" for line in lines)
    assert sorted(endpoint.api.inputs(), key=lambda i: i["seed"]) == requests  # as given
    assert {line["metadata"]["runpod_job_id"] for line in lines} == set(endpoint.api.jobs)
    for line in lines:
        assert line["metadata"]["seed"] == line["job"] and line["target"] == endpoint.target
    assert {sha((out / line["video"]).read_bytes()) for line in lines} <= \
        served_videos(endpoint.comfy)
    assert len(endpoint.comfy.received.prompts) == 4
    capsys.readouterr()

    assert main(command) == 0
    assert len(endpoint.api.jobs) == 4  # nothing submitted again
    assert "0 made, 4 skipped" in capsys.readouterr().out


def test_runpod_batch_killed_in_the_middle_a_rerun_finishes_the_rest(
        endpoint: Endpoint, tmp_path: Path) -> None:
    requests = [job(seed) for seed in range(1, 6)]
    jobs = write_jobs(tmp_path / "jobs.jsonl", requests)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "ltx2sdk.app.cli.main", "batch", str(jobs), "--endpoint",
               endpoint.target, "--jobs", "2", "-o", str(out)]
    env = {**os.environ, **endpoint.env()}
    gate = threading.Semaphore(0)
    endpoint.api.faults.gate = gate
    gate.release(2)  # two jobs may run; the next ones wait in RunPod's queue
    log = tmp_path / "first.log"
    with open(log, "w") as said:
        first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=said, stderr=said)
    try:
        def two_done_two_more_submitted() -> bool:
            if not (out / "results.jsonl").exists() or not (out / ".submitted.jsonl").exists():
                return False
            done = [line for line in result_lines(out) if line["status"] == "ok"]
            noted = (out / ".submitted.jsonl").read_text().splitlines()
            return len(done) == 2 and len(noted) == 4

        wait_for(lambda: two_done_two_more_submitted() or first.poll() is not None,
                 "two jobs done and two more submitted")
        assert first.poll() is None, log.read_text()  # still running, to be killed
    finally:
        first.kill()  # SIGKILL: no goodbye, mid-poll
        first.wait(10)
    endpoint.api.faults.gate = None

    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60, check=False)
    assert again.returncode == 0, again.stderr
    lines = result_lines(out)
    assert sorted(line["job"] for line in lines) == [1, 2, 3, 4, 5]
    assert all(line["status"] == "ok" for line in lines)
    # the two jobs the killed run left in RunPod's queue were followed, not paid for twice
    assert sorted(i["seed"] for i in endpoint.api.inputs()) == [1, 2, 3, 4, 5]
    assert sorted(p.name for p in out.glob("*.mp4")) == sorted(line["video"] for line in lines)
    assert "3 made, 2 skipped" in again.stdout


def test_runpod_transient_failures_are_retried_refusals_are_not(endpoint: Endpoint,
                                                                 tmp_path: Path) -> None:
    endpoint.api.faults.run_errors = 1  # the API answers 503 once
    endpoint.api.faults.lose_jobs = 1  # a worker is lost once (TIMED_OUT)
    endpoint.comfy.faults.restart_at_class = "SamplerCustomAdvanced"  # ComfyUI restarts once
    requests = [job(1), job(2), job(3, type="i2v", image="first.png"),  # the worker refuses
                job(4, duration=100),  # refused here: never sent
                job(5, model="ltx-2.5", mode="pro")]  # no such pipeline: never sent
    retries: list[RetryNotice] = []
    summary = run_batch(requests, endpoint.target, tmp_path / "out", concurrency=1,
                        retry=RetryPolicy(attempts=4, base_delay=0.02, max_delay=0.2),
                        on_retry=retries.append, skip_invalid=True)
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert lines[1]["status"] == lines[2]["status"] == "ok"
    reasons = " | ".join(r.error for r in retries)
    assert len(retries) == 3 and "HTTP 503" in reasons and "timed out" in reasons
    assert "no longer knows prompt" in reasons  # the worker's ComfyUI restarted
    assert (lines[3]["status"], lines[3]["attempts"]) == ("failed", 1)
    assert lines[3]["error"].startswith("invalid request: image: not accepted by the worker")
    assert (lines[4]["status"], lines[4]["error_kind"]) == ("failed", "invalid")
    assert (lines[5]["status"], lines[5]["error_kind"]) == ("failed", "invalid")
    assert lines[5]["error"] == ("invalid request: mode: model ltx-2.5 has no 'pro' mode: it "
                                 "ships a distilled model only (t2v has: fast)")
    submitted = [i["seed"] for i in endpoint.api.inputs()]
    assert submitted.count(3) == 1 and 4 not in submitted and 5 not in submitted
    assert (summary.progress.ok, summary.progress.failed, summary.progress.retries) == (2, 3, 3)


def test_runpod_video_by_url_is_downloaded_from_trusted_hosts_only(
        endpoint: Endpoint, bucket: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**bucket, "LTX2_RESULT_LIMIT_BYTES": "1000"}.items():
        monkeypatch.setenv(name, value)  # the worker returns every video by URL
    trusted = run_batch([job(1)], endpoint.target, tmp_path / "trusted",
                        runpod_options={"trusted_hosts": ["127.0.0.1"]})
    refused = run_batch([job(2)], endpoint.target, tmp_path / "refused", retry=QUICK)
    [ok] = result_lines(tmp_path / "trusted")
    assert trusted.complete and ok["status"] == "ok" and "video_url" not in ok["metadata"]
    assert sha((tmp_path / "trusted" / ok["video"]).read_bytes()) in served_videos(
        endpoint.comfy)
    assert ok["metadata"]["video_bytes"] == ok["bytes"]
    [failed] = result_lines(tmp_path / "refused")
    assert (refused.progress.failed, failed["attempts"]) == (1, 1)  # made once, not again
    assert "refusing to fetch from the non-public address 127.0.0.1" in failed["error"]
    assert "Signature" not in failed["error"] and "?..." in failed["error"]


def test_a_refused_key_stops_the_batch_saying_why(endpoint: Endpoint, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RUNPOD_API_KEY", "wrong")
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1), job(2)])
    assert main(["batch", str(jobs), "--endpoint", endpoint.target, "-o",
                 str(tmp_path / "out")]) == 1
    said = capsys.readouterr()
    assert "refused the API key" in said.err and "2 jobs not run" in said.out
    assert endpoint.api.jobs == {}
    monkeypatch.delenv("RUNPOD_API_KEY")
    drops: list[DropNotice] = []
    with pytest.raises(NoTargetLeftError, match="RunPod needs an API key: set RUNPOD_API_KEY"):
        run_batch(jobs, endpoint.target, tmp_path / "out", on_drop=drops.append)
    assert [(d.target, d.left) for d in drops] == [(endpoint.target, 0)]  # said at start-up
    assert drops[0].reason.startswith("RunPod needs an API key")


def test_a_worker_whose_comfy_host_does_not_resolve_is_dropped(
        endpoint: Endpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COMFY_URL", "http://no-such-host.invalid:8188")  # the worker's
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1), job(2)])
    assert main(["batch", str(jobs), "--endpoint", endpoint.target, "--jobs", "1", "-o",
                 str(tmp_path / "out")]) == 1
    said = capsys.readouterr()
    assert f"dropped   {endpoint.target}: worker misconfigured: COMFY_URL: cannot reach " \
        "ComfyUI at http://no-such-host.invalid:8188: unknown host" in said.err
    assert len(endpoint.api.jobs) == 1  # the second job was not sent to it
    assert "2 jobs not run" in said.out and "failed" not in said.out

def test_a_request_over_runpods_payload_limit_is_refused_before_it_is_sent(
        endpoint: Endpoint, tmp_path: Path) -> None:
    # a real image (the check a run makes first decodes it): 8.7 MB of noise, 11 MB of base64
    noise = Image.frombytes("RGB", (1700, 1700), random.Random(1).randbytes(1700 * 1700 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    huge = base64.b64encode(buffer.getvalue()).decode()
    summary = run_batch([job(1, type="i2v", image_base64=huge)], endpoint.target,
                        tmp_path / "out", retry=QUICK)
    [line] = result_lines(tmp_path / "out")
    assert (line["status"], line["error_kind"], line["attempts"]) == ("failed", "invalid", 1)
    assert "over RunPod's 10 MiB limit for /run: give large inputs by URL" in line["error"]
    assert line["request"]["image_base64"] == f"<{len(huge)} characters>"  # not the data
    assert endpoint.api.jobs == {} and summary.progress.failed == 1


# --- what a person sees ---------------------------------------------------------------------------


def test_a_terminal_gets_a_status_line_below_the_finished_jobs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: the line is not cut
    stream = io.StringIO()
    display = BatchDisplay(stream, interactive=True)
    display.progress(BatchProgress(total=10, to_run=8, ok=3, failed=1, cancelled=0, skipped=2,
                                   running=2, waiting=1, retries=1, elapsed=30.0, eta=75.0))
    display.result(JobResult(7, "k", "failed", error="node 9 (VAEDecode) failed: boom",
                             attempts=1, target="http://gpu-a:8188"))
    display.close()
    *earlier, status = stream.getvalue().rstrip("\n").split("\r\033[K")
    # where it failed is said
    assert "failed    job 7  on http://gpu-a:8188: node 9 (VAEDecode) failed: boom\n" in earlier
    assert status == ("[" + "#" * 14 + "-" * 10 + "] 6/10 done, 3 made, 2 running, 1 failed, "
                      "2 skipped, 1 waiting to retry, ETA 1m15s")


# --- Ctrl-C -----------------------------------------------------------------------------------


# Ctrl-C, and SIGTERM: what `timeout`, `kill`, `docker stop` and a cancelled CI job send
@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_cancels_the_running_job_and_says_what_was_left(
        sent: signal.Signals, status: int, tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in (1, 2, 3)])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.sampler_steps, srv.sim.step_delay = 400, 0.05  # a job of 40 s
        batch = subprocess.Popen(
            [sys.executable, "-m", "ltx2sdk.app.cli.main", "batch", str(jobs), "--server", srv.url,
             "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        try:
            # job 1 runs, job 2 is queued ahead of it (issue 19)
            wait_for(lambda: len(srv.received.prompts) == 2 or batch.poll() is not None,
                     "job 1's prompt and job 2's queued ahead")
            assert batch.poll() is None, batch.communicate()
            batch.send_signal(sent)
            stdout, stderr = batch.communicate(timeout=30)
        finally:
            batch.kill()
        # job 1 went to the server first (jobs are queued on a server in the order given):
        # it runs, and job 2 waits behind it
        running, ahead = (p["prompt_id"] for p in srv.received.prompts)
        assert srv.state is not None
        wait_for(lambda: running in srv.state.history, "the interrupted prompt's end")
        time.sleep(0.3)  # (a server that started the other would have it by now)
        assert {"prompt_id": running} in srv.received.interrupts
        # taken back from the queue before the running one was interrupted: the server did
        # not start it in between (it has no history: it never ran)
        assert any(ahead in op.get("delete", []) for op in srv.received.queue_ops)
        assert ahead not in srv.state.history
        assert len(srv.received.prompts) == 2
    assert batch.returncode == status, stderr  # 128 + the signal
    # the job the server ran is cancelled; the one taken back never ran: not started, with
    # the one never sent (QA: it was sometimes counted cancelled); a re-run does both
    [line] = result_lines(out)
    assert (line["job"], line["status"]) == (1, "cancelled")
    assert f"cancelled 1 running job (job 1 on {srv.url})" in stdout
    assert "2 not started" in stdout
    assert "Run the same command again to do the 3 left" in stdout


def test_interrupting_the_python_api_cancels_the_runpod_jobs(endpoint: Endpoint,
                                                             tmp_path: Path) -> None:
    endpoint.comfy.sim.sampler_steps, endpoint.comfy.sim.step_delay = 400, 0.05
    batch = Batch([job(1), job(2), job(3)], endpoint.target, tmp_path / "out", concurrency=2)

    def interrupt_once_both_run() -> None:
        wait_for(lambda: len(endpoint.comfy.received.prompts) == 2, "two prompts on ComfyUI")
        _thread.interrupt_main()  # what Ctrl-C (or a notebook's interrupt) does

    threading.Thread(target=interrupt_once_both_run, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        for _ in batch:
            pass
    summary = batch.summary
    assert summary is not None and summary.interrupted
    assert sorted(job for job, _ in summary.cancelled_jobs) == [1, 2]
    assert summary.not_started == 1 and summary.progress.cancelled == 2
    assert sorted(endpoint.api.cancels) == sorted(endpoint.api.jobs)  # /cancel for each
    # the worker interrupts its prompt on ComfyUI once RunPod cancels its handler
    prompt_ids = {p["prompt_id"] for p in endpoint.comfy.received.prompts}
    wait_for(lambda: {i["prompt_id"] for i in endpoint.comfy.received.interrupts
                      if "prompt_id" in i} == prompt_ids, "both prompts interrupted")
    assert [line["status"] for line in result_lines(tmp_path / "out")] == ["cancelled"] * 2


def test_polling_quickens_around_a_jobs_expected_end() -> None:
    from ltx2sdk.app.batch.runpod_target import FAST_POLL, RunLengths

    lengths = RunLengths()
    assert lengths.wait(2.0, started=100.0, now=101.0) == 2.0  # nothing learnt yet
    lengths.record(10.0)
    lengths.record(20.0)  # a moving average, weighted towards the newest
    assert lengths.expected == pytest.approx(13.0)
    lengths = RunLengths()
    lengths.record(10.0)
    assert lengths.wait(2.0, started=None, now=5.0) == 2.0  # still queued
    assert lengths.wait(2.0, started=100.0, now=101.0) == 2.0  # far from its end
    assert lengths.wait(2.0, started=100.0, now=108.5) == pytest.approx(1.5 - FAST_POLL)
    assert lengths.wait(2.0, started=100.0, now=110.2) == FAST_POLL  # due: poll fast
    assert lengths.wait(2.0, started=100.0, now=115.9) == FAST_POLL  # a little late
    assert lengths.wait(2.0, started=100.0, now=116.5) == 2.0  # much longer: back to pace
    lengths.record(0.0)  # a length RunPod did not measure changes nothing
    assert lengths.expected == 10.0


def test_a_closed_output_folder_takes_no_more_writes(tmp_path: Path) -> None:
    # a runner thread that outlives its cancelled batch cannot write into the folder
    # another batch may have taken since
    from ltx2sdk.app.batch.jobs import make_job
    from ltx2sdk.app.batch.store import ResultStore
    from ltx2sdk.errors import StoreClosedError

    job = make_job(1, {"prompt": "p", "seed": 1})
    store = ResultStore(tmp_path / "out").open()
    partial = store.partial_path(job, 1)
    partial.write_bytes(b"video")
    assert store.place(partial, job).read_bytes() == b"video"
    store.record({"job": 1, "status": "ok"})
    store.close()
    late = tmp_path / "late.mp4"
    late.write_bytes(b"late")
    with pytest.raises(StoreClosedError):
        store.place(late, job)
    with pytest.raises(StoreClosedError):
        store.record({"job": 1, "status": "ok"})
    assert late.exists() and len(store.results_path.read_text().splitlines()) == 1


def test_a_job_that_cannot_be_text_or_is_nested_too_deep_fails_alone(tmp_path: Path) -> None:
    # make_job never raises for content: each such job is invalid, the others run
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    jobs_file = tmp_path / "jobs.jsonl"
    with open(jobs_file, "w", encoding="utf-8") as out:
        out.write(json.dumps(job(1)) + "\n")
        out.write('{"prompt": "a fox \\ud800", "seed": 2}\n')  # a lone surrogate, escaped
        out.write('{"prompt": "a fox", "seed": 3, "loras": ' + "[" * 100_000 + "]" * 100_000
                  + "}\n")
        out.write('{"prompt": "a fox", "seed": 4, "extra": ' + "[" * 40 + "]" * 40 + "}\n")
    from_python = [job(1), job(2, prompt="a fox \ud800"), job(3, extra=deep),
                   {"input": {"prompt": "a fox", "loras": deep}}]
    for jobs, name in ((jobs_file, "file"), (from_python, "python")):
        with catalog_server(tmp_path / f"srv-{name}") as srv:
            summary = run_batch(jobs, srv.url, tmp_path / name, retry=QUICK, skip_invalid=True)
            assert len(srv.received.prompts) == 1
        lines = {line["job"]: line for line in result_lines(tmp_path / name)}
        assert lines[1]["status"] == "ok"
        assert {lines[n]["error_kind"] for n in (2, 3, 4)} == {"invalid"}
        assert "not Unicode" in lines[2]["error"] and "nested" in lines[3]["error"]
        assert "nested" in lines[4]["error"]
        assert (summary.progress.ok, summary.progress.failed) == (1, 3)


def test_a_full_disk_fails_the_job_without_running_it_again(tmp_path: Path) -> None:
    # a local OSError (here a file size limit) is not "cannot reach ComfyUI": not retried
    script = (
        "import json, resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))\n"
        "from ltx2sdk.app.batch.scheduler import RetryPolicy, run_batch\n"
        "jobs = [json.loads(line) for line in sys.argv[3:]]\n"
        "summary = run_batch(jobs, sys.argv[1], sys.argv[2],\n"
        "                    retry=RetryPolicy(attempts=3, base_delay=0.02, max_delay=0.2))\n"
        "print(summary.progress.failed, summary.progress.retries)\n")
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        srv.sim.output_bytes = 300_000
        done = subprocess.run([sys.executable, "-c", script, srv.url, str(out),
                               *(json.dumps(job(seed)) for seed in (1, 2, 3))],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert len(srv.received.prompts) == 3  # each job ran once
    assert done.stdout.split() == ["3", "0"]
    for line in result_lines(out):
        assert (line["status"], line["error_kind"], line["attempts"]) == ("failed", "failed", 1)
        assert "File too large" in line["error"] and "cannot reach" not in line["error"]


# --- the folder's lock file: removed when the batch ends, never while another holds it ----------

def test_the_lock_file_is_gone_after_a_batch_that_ends(tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1)])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        run_batch(jobs, srv.url, out)
    assert (out / "results.jsonl").exists() and not (out / ".lock").exists()
    with pytest.raises(NoTargetLeftError):  # an error ends it too
        run_batch(write_jobs(tmp_path / "more.jsonl", [job(2)]), f"http://127.0.0.1:{free_port()}",
                  out, ready_timeout=0.2, retry=RetryPolicy(attempts=1))
    assert not (out / ".lock").exists()


def test_a_refused_batch_leaves_the_live_batch_s_lock_in_place(tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1)])
    with ResultStore(tmp_path / "out"):
        held = (tmp_path / "out" / ".lock").stat().st_ino
        for _ in range(2):
            with pytest.raises(OutputFolderBusyError):
                run_batch(jobs, "http://127.0.0.1:9", tmp_path / "out")
            assert (tmp_path / "out" / ".lock").stat().st_ino == held  # still the live one's
        with pytest.raises(OutputFolderBusyError):  # and it still keeps a third out
            ResultStore(tmp_path / "out").open()
    assert not (tmp_path / "out" / ".lock").exists()


def test_a_lock_taken_on_a_file_its_holder_just_removed_is_taken_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # B opens the lock file, A ends (removes it, then releases), B's lock succeeds on the
    # removed file: B must lock the file now at the path, or a third batch would lock that
    import fcntl

    out = tmp_path / "out"
    real_flock = fcntl.flock
    calls: list[int] = []

    def flock_after_the_holder_ended(fd: int, operation: int) -> None:
        if not calls:
            (out / ".lock").unlink()  # the holder's close, between B's open and B's lock
        calls.append(fd)
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_the_holder_ended)
    with ResultStore(out):
        assert len(calls) == 2  # taken again, on the file at the path
        monkeypatch.setattr(fcntl, "flock", real_flock)
        with pytest.raises(OutputFolderBusyError):
            ResultStore(out).open()
    assert not (out / ".lock").exists()
