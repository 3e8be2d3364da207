"""A server that accepts connections and never answers ("hung"): a stop during the wait for it
is seen at once and said as any stop is; it takes no job while another server is ready; and
the wait for it lasts what its message says."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.scheduler import Batch, BatchProgress, DropNotice, run_batch
from ltx2sdk.app.generate import generate
from ltx2sdk.backends.connect import connect
from ltx2sdk.errors import JobCancelledError, ServerUnavailableError
from tests.helpers import catalog_server

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"duration": 1, "width": 256, "height": 256}
STOPPED_WITHIN = 10.0
"""Seconds a stop may take to end a batch waiting for a hung server: far below its ready wait
(30 s) and the grace for cancelled jobs (15 s), which the stop used to sit out."""


def job(seed: int) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL}


def write_jobs(path: Path, jobs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(j) + "\n" for j in jobs))
    return path


class Hung:
    """A socket on 127.0.0.1 that accepts connections and never answers a byte; counts the
    connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed: the test is over
                return
            self.accepted.append(conn)  # kept open, never answered

    def wait_for(self, connections: int, within: float = 30.0) -> None:
        end = time.monotonic() + within
        while len(self.accepted) < connections:
            assert time.monotonic() < end, f"{connections} connections never came"
            time.sleep(0.02)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung() -> Iterator[Hung]:
    server = Hung()
    try:
        yield server
    finally:
        server.close()


# --- 1. a stop while the batch waits for a hung server ----------------------------------------


@pytest.mark.parametrize("when", ["probe", "ready wait"])
@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_stop_while_waiting_for_a_hung_server_ends_the_batch_with_its_summary(
        when: str, sent: signal.Signals, status: int, hung: Hung, tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1), job(2), job(3)])
    out = tmp_path / "out"
    batch = subprocess.Popen(
        [sys.executable, "-m", "ltx2sdk.app.cli.main", "batch", str(jobs), "--server",
         hung.url, "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        # the first connection is the probe of the API; the next ones, the wait for readiness
        hung.wait_for(1 if when == "probe" else 2)
        assert batch.poll() is None
        batch.send_signal(sent)
        stdout, stderr = batch.communicate(timeout=STOPPED_WITHIN)
    finally:
        batch.kill()
        batch.wait()
    assert batch.returncode == status, stderr
    # the summary, as after any stop: the job that waited for the server is one to run again
    assert "interrupted after" in stdout, (stdout, stderr)
    assert "3 not started" in stdout and "to do the 3 left" in stdout
    assert not (out / "results.jsonl").exists() or \
        (out / "results.jsonl").read_text() == ""  # nothing ran: nothing recorded


def test_cancelling_a_batch_that_waits_for_a_hung_server_counts_every_job(
        hung: Hung, tmp_path: Path) -> None:
    batch = Batch([job(1), job(2)], hung.url, tmp_path / "out")

    def cancel_once_waiting() -> None:
        hung.wait_for(2)  # the probe, then the first try of the wait
        batch.cancel()

    threading.Thread(target=cancel_once_waiting, daemon=True).start()
    summary = batch.run()
    assert summary.interrupted and summary.not_started == 2
    assert summary.progress.cancelled == 0 and summary.progress.left == 2


@pytest.mark.parametrize("api", ["comfyui", "v2"])
def test_a_wait_for_a_hung_server_ends_when_cancelled(api: str, hung: Hung) -> None:
    cancel = threading.Event()
    client = connect(hung.url, api=api)

    def cancel_once_asked() -> None:
        hung.wait_for(1)
        cancel.set()

    threading.Thread(target=cancel_once_asked, daemon=True).start()
    try:
        with pytest.raises(JobCancelledError, match="cancelled while waiting for"):
            # the wait is 30 s and an attempt 5 s: only the cancel ends it sooner
            client.wait_ready(timeout=30, cancel=cancel)
    finally:
        client.close()


# --- 2. a hung server beside a working one ------------------------------------------------------


def test_a_hung_server_takes_no_job_while_another_is_ready(hung: Hung, tmp_path: Path) -> None:
    seen: list[BatchProgress] = []
    drops: list[DropNotice] = []
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch([job(seed) for seed in (1, 2, 3, 4)], [hung.url, srv.url],
                            tmp_path / "out", on_progress=seen.append, on_drop=drops.append)
    assert summary.complete and summary.progress.ok == 4
    # never bound to the hung server (it held job 1 for its whole ready wait: 35 s)
    assert all(running.target == srv.url for p in seen for running in p.jobs)
    lines = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text()
             .splitlines()]
    # each once, on the good server (one job queued ahead of another there: either may
    # end first)
    assert sorted(line["job"] for line in lines) == [1, 2, 3, 4]
    # the jobs done before its wait ended: it is not waited for, and said so once
    assert [(d.target, d.left) for d in drops] == [(hung.url, 1)]
    assert drops[0].reason.startswith("no answer when the jobs were done")
    assert summary.unusable and summary.unusable[0].startswith(hung.url)


# --- 3. the wait for a hung server lasts what it says --------------------------------------------


@pytest.mark.parametrize("how", ["python", "cli"])
def test_the_wait_for_a_hung_server_lasts_what_its_message_says(
        how: str, hung: Hung, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        no_user_settings: Path) -> None:
    from ltx2sdk.app.cli.main import main

    wait = 2.0
    started = time.monotonic()
    if how == "python":
        with pytest.raises(ServerUnavailableError) as caught:
            generate({"prompt": "a fox", **SMALL}, hung.url, output_dir=tmp_path,
                     ready_timeout=wait)
        said = str(caught.value)
    else:
        assert main(["generate", "--prompt", "a fox", "--server", hung.url,
                     "--ready-timeout", f"{wait:g}", "--output-dir", str(tmp_path)]) == 1
        said = capsys.readouterr().err
    took = time.monotonic() - started
    assert f"not ready within {wait:g} s" in said
    # the probe of the server counts in the wait: it was a whole attempt (5 s) more, or as
    # much again as the wait said
    assert took < 1.6 * wait, took


def test_a_stop_before_the_batch_starts_is_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        no_user_settings: Path) -> None:
    """Stopped while the jobs file is checked (a long file), there is no summary yet: the
    stop is said on its line, not in silence."""
    from ltx2sdk.app.batch import scheduler
    from ltx2sdk.app.cli.main import main

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scheduler, "scan_jobs", interrupted)
    jobs = write_jobs(tmp_path / "jobs.jsonl", [job(1)])
    assert main(["batch", str(jobs), "--server", "127.0.0.1:9", "-o",
                 str(tmp_path / "out")]) == 130
    said = capsys.readouterr()
    assert said.err.strip().splitlines()[-1] == "ltx2: error: interrupted"
