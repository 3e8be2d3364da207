"""The RunPod target against a hostile endpoint API on 127.0.0.1: answers that drip, that
never come, that ask for an hour's pause, job ids that are paths; and the resume and Ctrl-C
cases that could pay for a job twice or leave it running, unrecorded."""

from __future__ import annotations

import _thread
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import runpod_handler
from ltx2sdk.app.batch import runpod_target, scheduler
from ltx2sdk.app.batch.jobs import make_job
from ltx2sdk.app.batch.runpod_target import RunPodTarget
from ltx2sdk.app.batch.scheduler import Batch, BatchSummary, RetryPolicy, run_batch
from ltx2sdk.app.batch.store import ResultStore
from ltx2sdk.app.batch.targets import JobSettings
from tests.helpers import DEADLINE_SLACK, catalog_server
from tests.runpod_standin import RunPodStandIn

ENDPOINT = "hostile-ep"
KEY = "rp-test-key"
TIMEOUT = 2.0  # each job's deadline, seconds
CANCEL_BOUND = 1.0  # a /cancel's own bound in these tests
ONCE = RetryPolicy(attempts=1)

Behaviour = Callable[["_Handler", str], None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        owner = self.server.owner
        path = self.path.removeprefix(f"/v2/{ENDPOINT}/")
        owner.requests.append(f"{self.command} {self.path}")
        route = path.split("/")[0]
        with contextlib.suppress(OSError):  # the client hung up (its deadline): as wanted
            owner.routes.get(route, not_found)(self, path)
        self.close_connection = True

    def send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: Hostile


class Hostile:
    """RunPod's endpoint API as a test wants it: ``routes`` by the path's first part after
    the endpoint (``run``, ``status``, ``cancel``), each a :data:`Behaviour`; ``requests``
    every request line seen."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.requests: list[str] = []
        self.stop = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/v2"
        threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def target(self) -> RunPodTarget:
        return RunPodTarget(ENDPOINT, api_key=KEY, base_url=self.base,
                            settings=JobSettings(timeout=TIMEOUT), poll_interval=0.1)

    def seen(self, route: str) -> list[str]:
        return [r for r in self.requests if f"/{ENDPOINT}/{route}" in r]


def answer(status: int, body: Any, **headers: str) -> Behaviour:
    data = json.dumps(body).encode()
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n" + "".join(
        f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    raw = (head + f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data

    def behave(handler: _Handler, path: str) -> None:
        handler.send(raw)
    return behave


def not_found(handler: _Handler, path: str) -> None:
    answer(404, {"error": "not found"})(handler, path)


def drip_head(handler: _Handler, path: str) -> None:
    """A status line, then a header line every 0.2 s, forever."""
    handler.send(b"HTTP/1.1 200 OK\r\n")
    while not handler.server.owner.stop.wait(0.2):
        handler.send(b"X-Drip: 1\r\n")


def drip_body(handler: _Handler, path: str) -> None:
    """A whole head announcing a large JSON body, then a byte of it every 0.2 s."""
    handler.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{\"status\": \"IN_PROGRESS\", \"x\": \"")
    while not handler.server.owner.stop.wait(0.2):
        handler.send(b"a")


ACCEPTED = answer(200, {"id": "job-1-u1", "status": "IN_QUEUE"})
RUNNING = answer(200, {"id": "job-1-u1", "status": "IN_PROGRESS"})
CANCELLED = answer(200, {"id": "job-1-u1", "status": "CANCELLED"})


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    monkeypatch.setattr(runpod_target, "CANCEL_TIMEOUT", CANCEL_BOUND)
    server = Hostile()
    try:
        yield server
    finally:
        server.close()


def run_bounded(target: RunPodTarget, out: Path, limit: float) -> tuple[BatchSummary, float]:
    """One job's batch, on a thread: its summary and how long it took; the test fails when
    it has not ended within ``limit`` seconds (+ slack)."""
    done: list[BatchSummary] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: done.append(run_batch(
        [{"prompt": "a fox", "seed": 1, "duration": 1}], target, out, retry=ONCE)),
        daemon=True)
    thread.start()
    thread.join(limit + DEADLINE_SLACK + 10)
    elapsed = time.monotonic() - started
    assert done, f"the batch was still running after {elapsed:.1f} s (limit {limit} s)"
    assert elapsed <= limit + DEADLINE_SLACK, f"{elapsed:.1f} s for a limit of {limit} s"
    return done[0], elapsed


def results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


SCENARIOS: dict[str, tuple[dict[str, Behaviour], float, str]] = {
    # what the API does, the most the batch may take, what the job's error says
    "/status answering 429, asking for an hour's pause": (
        {"run": ACCEPTED, "status": answer(429, {"error": "slow down"}, Retry_After="3600"),
         "cancel": CANCELLED}, TIMEOUT + CANCEL_BOUND, "did not finish within"),
    "/run's head dripping": ({"run": drip_head}, TIMEOUT, "before the job's deadline"),
    "/run's body dripping": ({"run": drip_body}, TIMEOUT, "before the job's deadline"),
    "/status's head dripping": ({"run": ACCEPTED, "status": drip_head, "cancel": CANCELLED},
                                TIMEOUT + CANCEL_BOUND, "before the job's deadline"),
    "/status's body dripping": ({"run": ACCEPTED, "status": drip_body, "cancel": CANCELLED},
                                TIMEOUT + CANCEL_BOUND, "before the job's deadline"),
    "/cancel dripping after the deadline": (
        {"run": ACCEPTED, "status": RUNNING, "cancel": drip_body}, TIMEOUT + CANCEL_BOUND,
        "did not finish within"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_runpod_request_ends_by_the_jobs_deadline(hostile: Hostile, tmp_path: Path,
                                                        scenario: str) -> None:
    routes, limit, said = SCENARIOS[scenario]
    hostile.routes.update(routes)
    summary, _ = run_bounded(hostile.target(), tmp_path / "out", limit)
    [line] = results(tmp_path / "out")
    assert line["status"] == "failed" and said in line["error"], line["error"]
    assert summary.progress.failed == 1
    assert len(hostile.seen("run")) == 1  # the library retried nothing on its own
    if "status" in routes:  # a job RunPod has is cancelled when its deadline passes
        assert hostile.seen("cancel/job-1-u1")


def test_following_an_earlier_runs_job_ends_by_the_deadline_too(hostile: Hostile,
                                                                tmp_path: Path) -> None:
    hostile.routes.update(run=ACCEPTED, status=drip_body, cancel=CANCELLED)
    out = tmp_path / "out"
    key = make_job(1, {"prompt": "a fox", "seed": 1, "duration": 1}).key
    with ResultStore(out) as store:  # a killed run's note: RunPod has the job
        store.note_submitted(key, f"runpod:{ENDPOINT}", "job-1-u1")
    run_bounded(hostile.target(), out, TIMEOUT + CANCEL_BOUND)
    [line] = results(out)
    assert line["status"] == "failed" and "before the job's deadline" in line["error"]
    assert hostile.seen("run") == []  # not known to be gone: not paid for again


@pytest.mark.parametrize("job_id", ["../../OTHER-EP/cancel/victim", "", "job 1", "a?b=c"])
def test_a_job_id_that_is_not_runpods_fails_the_job_and_goes_into_no_url(
        hostile: Hostile, tmp_path: Path, job_id: str) -> None:
    hostile.routes.update(run=answer(200, {"id": job_id, "status": "IN_QUEUE"}),
                          status=RUNNING, cancel=CANCELLED)
    summary = run_batch([{"prompt": "a fox", "seed": 1, "duration": 1}], hostile.target(),
                        tmp_path / "out", retry=RetryPolicy(attempts=3, base_delay=0.01))
    [line] = results(tmp_path / "out")
    assert (line["status"], line["error_kind"], line["attempts"]) == ("failed", "failed", 1)
    assert "job id" in line["error"]
    # once, and nothing after it (before it: the endpoint's first contact, /health)
    assert hostile.requests == [f"GET /v2/{ENDPOINT}/health", f"POST /v2/{ENDPOINT}/run"]
    assert summary.progress.retries == 0


# --- the real worker behind the RunPod stand-in --------------------------------------------


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunPodStandIn]:
    with catalog_server(tmp_path / "comfy") as comfy, \
            RunPodStandIn(runpod_handler.handler, workers=1) as api:
        for name, value in {"COMFY_URL": comfy.url, "LTX2_READY_TIMEOUT": "5",
                            "LTX2_JOB_TIMEOUT": "30", "RUNPOD_API_KEY": api.api_key,
                            "RUNPOD_ENDPOINT_BASE_URL": api.base_url}.items():
            monkeypatch.setenv(name, value)
        yield api


def test_a_rerun_whose_first_status_answers_503_follows_the_job_not_pays_twice(
        standin: RunPodStandIn, tmp_path: Path) -> None:
    out = tmp_path / "out"
    jobs = [{"prompt": "a fox", "seed": 1, "duration": 1, "width": 256, "height": 256}]
    target = f"runpod:{standin.endpoint_id}"
    assert run_batch(jobs, target, out).complete
    (out / "results.jsonl").unlink()  # as if killed once RunPod had the job: it is noted
    [first] = standin.jobs

    standin.faults.status_errors = 1  # RunPod's API has a bad moment
    assert run_batch(jobs, target, out, retry=RetryPolicy(attempts=2, base_delay=0.01)).complete
    assert list(standin.jobs) == [first]  # followed, not submitted again
    [line] = results(out)
    assert line["metadata"]["runpod_job_id"] == first

    (out / "results.jsonl").unlink()
    standin.faults.status_errors = 1000  # down for longer: the job waits, then gives up
    summary = run_batch(jobs, target, out, retry=RetryPolicy(attempts=2, base_delay=0.01))
    assert summary.progress.failed == 1 and list(standin.jobs) == [first]
    standin.faults.status_errors = 0
    assert run_batch(jobs, target, out).complete  # a later run still follows it
    assert list(standin.jobs) == [first]


def test_ctrl_c_during_a_slow_run_leaves_no_paid_job_unrecorded(
        standin: RunPodStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler, "CANCEL_GRACE", 0.2)  # the batch ends while /run hangs
    gate = threading.Event()
    standin.faults.run_gate = gate
    batch = Batch([{"prompt": "a fox", "seed": 1, "duration": 1, "width": 256,
                    "height": 256}], f"runpod:{standin.endpoint_id}", tmp_path / "out")

    def interrupt_once_run_is_asked() -> None:
        while not standin.faults.runs_waiting:
            time.sleep(0.01)
        _thread.interrupt_main()

    threading.Thread(target=interrupt_once_run_is_asked, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        for _ in batch:
            pass
    gate.set()  # RunPod accepts the job after the batch (and its folder) closed
    end = time.monotonic() + 20
    while not standin.jobs or standin.cancels != list(standin.jobs):
        assert time.monotonic() < end, f"jobs {standin.statuses()}, cancels {standin.cancels}"
        time.sleep(0.02)
