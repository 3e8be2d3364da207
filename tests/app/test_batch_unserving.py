"""A batch drops the targets that cannot serve it, not only those that refuse connections:
a server that accepts and never answers, one that answers but is no ComfyUI, a RunPod
endpoint without a key; and a job one server cannot run (its models are missing there) goes
to another server instead of failing."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib
import io
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import runpod_handler
from ltx2sdk.app.batch.scheduler import (
    FAILURE_STREAK,
    DropNotice,
    JobResult,
    RetryNotice,
    RetryPolicy,
    run_batch,
)
from ltx2sdk.app.cli.batch_command import BatchDisplay
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import NoTargetLeftError
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_models, catalog_server
from tests.runpod_standin import RunPodStandIn

SMALL = {"duration": 1, "width": 256, "height": 256}


def job(seed: int, **fields: Any) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL, **fields}


def write_jobs(path: Path, jobs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(j) + "\n" for j in jobs))
    return path


def result_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket on 127.0.0.1 that accepts connections (the kernel completes them) and never
    answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextlib.contextmanager
def serving(handler: Callable[..., http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering with ``handler``, for the block: its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    """``python -m http.server``: it answers, but ``GET /system_stats`` is a 404."""
    (tmp_path / "served").mkdir()
    with serving(functools.partial(_QuietHandler, directory=str(tmp_path / "served"))) as url:
        yield url


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Unavailable(http.server.BaseHTTPRequestHandler):
    """A proxy whose server behind it is down: 503 for everything."""

    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy_of_nothing() -> Iterator[str]:
    with serving(_Unavailable) as url:
        yield url


def without_ltx23(root: Path) -> ComfyTestServer:
    """A stand-in ComfyUI with every catalog model file but LTX-2.3's."""
    models = {folder: [name for name in names if "2.3" not in name]
              for folder, names in catalog_models().items()}
    return ComfyTestServer(models=models, output_dir=root / "server-out",
                           input_dir=root / "server-in")


# --- a server that accepts and never answers -------------------------------------------------


def test_a_server_that_never_answers_is_dropped_after_one_wait(
        silent_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in (1, 2, 3)])
    out = tmp_path / "out"
    assert main(["batch", str(jobs), "--server", silent_server, "--ready-timeout", "0.5",
                 "-o", str(out)]) == 1
    said = capsys.readouterr()
    dropped = [line for line in said.err.splitlines() if "dropped   " in line]
    assert len(dropped) == 1 and dropped[0].endswith(
        f"dropped   {silent_server}: no answer within 0.5 s")
    assert "retry" not in said.err  # no try spent: the same wait 9 times was the bug
    assert said.err.strip().splitlines()[-1].startswith("ltx2: error: no target left")
    assert "3 jobs not run" in said.out and "failed" not in said.out


def test_a_silent_server_beside_a_working_one_gets_no_job_back(
        silent_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in range(1, 5)])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(jobs), "--server", silent_server, "--server", srv.url,
                     "--ready-timeout", "0.5", "-o", str(out)]) == 0
    lines = result_lines(out)
    assert sorted(line["job"] for line in lines) == [1, 2, 3, 4]
    assert {line["target"] for line in lines} == {srv.url}
    assert all(line["status"] == "ok" and line["attempts"] == 1 for line in lines)
    said = capsys.readouterr()
    assert said.err.count("dropped   ") == 1 and "retry" not in said.err


def test_a_proxy_whose_server_stays_down_is_dropped_after_one_wait(
        proxy_of_nothing: str, tmp_path: Path) -> None:
    drops: list[DropNotice] = []
    with catalog_server(tmp_path / "srv") as srv:
        # jobs that outlast the proxy's wait (a batch done sooner does not wait for it)
        srv.sim.sampler_steps, srv.sim.step_delay = 20, 0.03
        summary = run_batch([job(1), job(2), job(3)], [proxy_of_nothing, srv.url],
                            tmp_path / "out", ready_timeout=0.5, on_drop=drops.append)
    assert summary.complete and summary.progress.retries == 0
    assert [(d.target, d.reason) for d in drops] == [
        (proxy_of_nothing, "not ready within 0.5 s (HTTP 503)")]
    assert {line["target"] for line in result_lines(tmp_path / "out")} == {srv.url}


# --- a server that answers, but is no ComfyUI ------------------------------------------------


def test_a_server_that_is_no_comfyui_is_dropped_and_takes_no_job(
        file_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(seed) for seed in range(1, 7)])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(jobs), "--server", file_server, "--server", srv.url,
                     "-o", str(out)]) == 0
    lines = result_lines(out)
    assert [line["status"] for line in lines] == ["ok"] * 6
    assert {line["target"] for line in lines} == {srv.url}
    said = capsys.readouterr()
    assert f"dropped   {file_server}: does not answer like a ComfyUI (GET /system_stats " \
        "answered HTTP 404)" in said.err
    assert "6 made" in said.out and "failed" not in said.out


def test_only_servers_that_are_no_comfyui_stop_the_batch(file_server: str,
                                                          tmp_path: Path) -> None:
    drops: list[DropNotice] = []
    with pytest.raises(NoTargetLeftError, match="does not answer like a ComfyUI"):
        run_batch([job(1), job(2)], file_server, tmp_path / "out", on_drop=drops.append)
    assert [(d.target, d.left) for d in drops] == [(file_server, 0)]
    assert not (tmp_path / "out" / "results.jsonl").exists() or \
        result_lines(tmp_path / "out") == []


# --- a job one server cannot run ---------------------------------------------------------------


def test_a_job_a_server_lacks_the_models_for_runs_on_another(tmp_path: Path) -> None:
    # each server takes one of the first two jobs at once: a surely gets an LTX-2.3 one
    jobs = [job(1, model="ltx-2.3"), job(2, model="ltx-2.3"), job(3), job(4), job(5)]
    with without_ltx23(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        summary = run_batch(jobs, [a.url, b.url], tmp_path / "out")
        assert summary.complete and not summary.unusable  # a kept: it ran the others
        assert not any("2.3" in json.dumps(p) for p in a.received.prompts)
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert all(line["status"] == "ok" and line["attempts"] == 1 for line in lines.values())
    assert lines[1]["target"] == lines[2]["target"] == b.url


def test_a_job_no_server_can_run_fails_naming_each_and_the_rest_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl",
                      [job(1), job(2, model="ltx-2.3"), job(3), job(4)])
    out = tmp_path / "out"
    with without_ltx23(tmp_path / "a") as a, without_ltx23(tmp_path / "b") as b:
        assert main(["batch", str(jobs), "--server", a.url, "--server", b.url,
                     "-o", str(out)]) == 1
        assert not a.received.prompts or all("2.3" not in json.dumps(p)
                                             for p in a.received.prompts)
    lines = {line["job"]: line for line in result_lines(out)}
    assert [lines[n]["status"] for n in (1, 3, 4)] == ["ok"] * 3
    failed = lines[2]
    assert (failed["status"], failed["error_kind"], failed["attempts"]) == (
        "failed", "unfit", 1)
    # both lack the same: named together (in the order given), the list said once
    assert re.fullmatch(f"no target can run it: {re.escape(a.url)}, {re.escape(b.url)}: "
                        "missing model files: models/[^;]+", failed["error"]), failed["error"]
    said = capsys.readouterr()
    assert "failed    job 2  no target can run it: " in said.err
    assert "dropped" not in said.err  # the servers ran the other jobs
    assert "3 made, 1 failed" in said.out


def test_a_job_left_with_no_server_that_can_run_it_fails_when_the_last_is_dropped(
        tmp_path: Path) -> None:
    """b lacks LTX-2.3; a could run it but is dropped (stopped): the job fails then, named
    by what b lacks, instead of waiting for a target that will never come."""
    results: list[JobResult] = []
    with without_ltx23(tmp_path / "b") as b:
        a = catalog_server(tmp_path / "a").start()
        a.stop()  # a refuses connections from the start: dropped within its grace
        summary = run_batch([job(1, model="ltx-2.3"), job(2)], [b.url, a.url],
                            tmp_path / "out", on_result=results.append)
    got = {r.job: r for r in results}
    assert got[2].status == "ok"
    assert (got[1].status, got[1].error_kind) == ("failed", "unfit")
    assert got[1].error is not None and got[1].error.startswith(
        f"no target can run it: {b.url}: missing model files")
    assert summary.not_started == 0


def test_a_job_a_runpod_worker_lacks_the_models_for_runs_on_a_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker says "the server cannot run this graph: missing model files: ...": the
    endpoint is kept for the jobs it can run, and that job runs on the server."""
    # loaded before the batch: the endpoint's first contact (the SDK imported, then its
    # /health) is then as quick as the server's, and it takes a job as the server does
    importlib.import_module("runpod.endpoint.runner")
    with without_ltx23(tmp_path / "comfy") as comfy, catalog_server(tmp_path / "srv") as srv, \
            RunPodStandIn(runpod_handler.handler, workers=1) as api:
        for name, value in {"COMFY_URL": comfy.url, "LTX2_READY_TIMEOUT": "5",
                            "LTX2_JOB_TIMEOUT": "30", "RUNPOD_API_KEY": api.api_key,
                            "RUNPOD_ENDPOINT_BASE_URL": api.base_url}.items():
            monkeypatch.setenv(name, value)
        target = f"runpod:{api.endpoint_id}"
        # each target takes one of the first two jobs at once: the endpoint gets an LTX-2.3 one
        summary = run_batch([job(1, model="ltx-2.3"), job(2, model="ltx-2.3"), job(3)],
                            [srv.url, target], tmp_path / "out", concurrency=1)
    assert summary.complete and not summary.unusable
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert all(line["status"] == "ok" and line["attempts"] == 1 for line in lines.values())
    assert lines[1]["target"] == lines[2]["target"] == srv.url


# --- RunPod without a key ----------------------------------------------------------------------


def test_a_runpod_endpoint_without_a_key_is_refused_before_anything_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1)])
    out = tmp_path / "out"
    assert main(["batch", str(jobs), "--endpoint", "runpod:abc", "-o", str(out)]) == 2
    said = capsys.readouterr()
    assert said.err.strip().splitlines() == [
        "ltx2: error: runpod:abc needs a RunPod API key: set RUNPOD_API_KEY"]
    assert said.out == "" and not out.exists()  # nothing started, nothing written


def test_failure_and_retry_lines_name_the_target() -> None:
    stream = io.StringIO()
    display = BatchDisplay(stream, interactive=False)
    display.retry(RetryNotice(4, "http://gpu-b:8188", 1, 3, 2.0, "HTTP 503"))
    assert stream.getvalue() == ("retry     job 4 in 2 s (try 2 of 3) after a failure on "
                                 "http://gpu-b:8188: HTTP 503\n")


def test_batch_help_says_what_is_retried(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    start = text.rindex("--retries N")  # its help, not the usage line
    retries = text[start:text.index("--retry-delay", start)]
    assert "unreachable" not in retries
    assert "5xx" in retries and "dropped" in retries


# --- a RunPod endpoint answering every submission with a server error -------------------------


class _NotImplemented(http.server.BaseHTTPRequestHandler):
    """``python3 -m http.server`` as an endpoint API: GET answers (404), POST 501. The time of
    each POST is kept, by the job (its prompt) it submits."""

    posts: list[tuple[str, float]]

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.posts.append((body["input"]["prompt"], time.monotonic()))
        self.send_response(501)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_an_endpoint_answering_5xx_to_every_job_is_dropped_and_retries_say_the_real_delay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    posts: list[tuple[str, float]] = []
    handler = type("Handler", (_NotImplemented,), {"posts": posts})
    notices: list[tuple[RetryNotice, float]] = []
    drops: list[DropNotice] = []
    importlib.import_module("runpod.endpoint.runner")  # its import is not the endpoint's time
    with serving(handler) as url:
        monkeypatch.setenv("RUNPOD_API_KEY", "key")
        monkeypatch.setenv("RUNPOD_ENDPOINT_BASE_URL", url)
        with pytest.raises(NoTargetLeftError):
            run_batch([job(n) for n in range(1, 9)], "runpod:abc123", tmp_path / "out",
                      concurrency=1, retry=RetryPolicy(attempts=3, base_delay=0.5),
                      on_retry=lambda n: notices.append((n, time.monotonic())),
                      on_drop=drops.append)
    # dropped after a bounded number of failures, not after every job's three tries
    assert len(posts) == FAILURE_STREAK
    assert [d.reason for d in drops] == [
        f"failed 4 tries in a row (last: cannot submit a job: RunPod endpoint abc123 at {url} "
        "answered HTTP 501)"]
    # each retry line says the delay waited: the job's next submission is not later (a second
    # of slack for a slow machine; before, the target's own growing pause was not said)
    for notice, said_at in notices:
        later = [t for prompt, t in posts if prompt == f"a fox, take {notice.job}"
                 and t > said_at]
        if later:
            assert notice.delay - 0.1 <= later[0] - said_at <= notice.delay + 1.0


# --- a server that dies mid-batch, another idle ------------------------------------------------


def test_a_server_dying_mid_job_hands_the_job_to_the_idle_one_at_once(tmp_path: Path) -> None:
    """The job whose server went away goes to the other server at once, not bound to the
    dead one for its 30 s wait for a restart, and without a try spent (issue 19, F1: the
    server's loss, not the job's); the drop says the refusal."""
    retries: list[RetryNotice] = []
    drops: list[DropNotice] = []
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = b.sim.step_delay = 0.3
        killed: list[float] = []

        def kill(notice: RetryNotice) -> None:
            retries.append(notice)

        def on_result(result: JobResult) -> None:
            if not killed and result.target == a.url:  # its next job is running soon
                killed.append(time.monotonic())
                threading.Timer(0.8, a.stop).start()

        summary = run_batch([job(n) for n in range(1, 9)], [a.url, b.url], tmp_path / "out",
                            concurrency=1, retry=RetryPolicy(attempts=3, base_delay=0.5),
                            on_result=on_result, on_retry=kill, on_drop=drops.append)
        ended = time.monotonic()
        lost = len(a.received.prompts)
    assert summary.complete and summary.progress.ok == 8, summary
    # its running job, and the one queued ahead of it there (issue 19): handed on, no
    # retry (and no try) spent on them
    assert retries == []
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert all(line["attempts"] == 1 for line in lines.values()), lines
    # (a had jobs it never made: they were lost with it)
    assert lost > [line["target"] for line in lines.values()].count(a.url)
    # not the 30 s wait for a restart: the jobs left take a few seconds on one server
    assert ended - killed[0] < 20
    # its loss said when it happened (its jobs handed on), then its drop once it did not
    # come back
    assert [(d.target, d.lost) for d in drops] == [(a.url, True), (a.url, False)], drops
    assert "connection refused" in drops[0].reason, drops
    assert "connection refused" in drops[0].reason
