"""A RunPod endpoint nobody answers at is dropped before the ``runpod`` SDK is imported.

Importing the SDK takes seconds (it loads its worker, aiohttp and more); a refused or unknown
address must fail in one line within 2 s, so the SDK is loaded only once its API answers.
Each check runs the CLI in a fresh interpreter, where ``sys.modules`` tells what was
imported (loopback addresses only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]

RUN = """
import json, sys
from ltx2sdk.app.cli.main import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "runpod": "runpod" in sys.modules}))
"""


@pytest.mark.parametrize(("base", "reason"), [
    ("http://127.0.0.1:{port}/v2", "connection refused"),
    ("http://no-such-host.invalid/v2", "unknown host"),
])
def test_an_endpoint_nobody_answers_at_is_dropped_without_loading_the_sdk(
        base: str, reason: str, tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "duration": 2}) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RUNPOD_API_KEY": "rp-test-key",
           "RUNPOD_ENDPOINT_BASE_URL": base.format(port=free_port())}
    done = subprocess.run(
        [sys.executable, "-c", RUN, "batch", str(jobs), "--endpoint", "runpod:ltx2-test",
         "-o", str(tmp_path / "out"), "--json"],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {"code": 1, "runpod": False}, done.stderr
    assert reason in done.stderr


def test_behind_a_proxy_the_sdk_makes_the_first_connection(tmp_path: Path) -> None:
    """A proxy from the environment carries the SDK's requests: a direct connection would
    say nothing about them, so none is tried (here the proxy itself refuses)."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "duration": 2}) + "\n")
    env = {name: value for name, value in os.environ.items()
           if name.lower() not in ("no_proxy", "http_proxy", "https_proxy", "all_proxy")}
    env.update({"PYTHONPATH": str(ROOT), "RUNPOD_API_KEY": "rp-test-key",
                "RUNPOD_ENDPOINT_BASE_URL": "http://127.0.0.1:9/v2",
                "HTTP_PROXY": f"http://127.0.0.1:{free_port()}"})
    done = subprocess.run(
        [sys.executable, "-c", RUN, "batch", str(jobs), "--endpoint", "runpod:ltx2-test",
         "-o", str(tmp_path / "out"), "--json"],
        env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {"code": 1, "runpod": True}, done.stderr


@pytest.mark.parametrize(("base", "reason"), [
    ("http://127.0.0.1:{port}/v2", "connection refused"),
    ("http://no-such-host.invalid/v2", "unknown host"),
])
def test_check_asks_an_endpoint_s_health_and_says_when_nobody_answers(
        base: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 21 QA pass 5, F6: ``batch --check --endpoint runpod:X`` said "not checked" and
    exited 0 for an address nobody answers at: it is now a target a run would drop."""
    from ltx2sdk.app.batch.check import check_jobs
    from ltx2sdk.app.cli.main import main

    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "duration": 2}) + "\n")
    monkeypatch.setenv("RUNPOD_API_KEY", "rp-test-key")
    monkeypatch.setenv("RUNPOD_ENDPOINT_BASE_URL", base.format(port=free_port()))
    report = check_jobs(jobs, targets=["runpod:ltx2-test"])
    assert report.unchecked == ()
    [unreachable] = report.unreachable
    assert unreachable.startswith("runpod:ltx2-test (") and reason in unreachable
    assert report.reached_none
    assert main(["batch", str(jobs), "--check", "--endpoint", "runpod:ltx2-test"]) == 1


def test_check_without_a_runpod_key_says_the_endpoint_cannot_be_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ltx2sdk.app.batch.check import check_jobs

    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "duration": 2}) + "\n")
    monkeypatch.delenv("RUNPOD_API_KEY", raising=False)
    monkeypatch.setenv("RUNPOD_ENDPOINT_BASE_URL", f"http://127.0.0.1:{free_port()}/v2")
    report = check_jobs(jobs, targets=["runpod:ltx2-test"])
    [unreachable] = report.unreachable
    assert "RunPod needs an API key: set RUNPOD_API_KEY" in unreachable


def test_check_lists_an_endpoint_that_answers_as_checked_when_it_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runpod_handler
    from ltx2sdk.app.batch.check import check_jobs
    from tests.runpod_standin import RunPodStandIn

    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "a fox", "duration": 2}) + "\n")
    with RunPodStandIn(runpod_handler.handler, workers=1) as api:
        monkeypatch.setenv("RUNPOD_API_KEY", api.api_key)
        monkeypatch.setenv("RUNPOD_ENDPOINT_BASE_URL", api.base_url)
        report = check_jobs(jobs, targets=[f"runpod:{api.endpoint_id}"])
        assert api.inputs() == []  # nothing was run
    assert report.unreachable == () and not report.reached_none
    [unchecked] = report.unchecked
    assert unchecked.startswith(f"runpod:{api.endpoint_id} (a RunPod endpoint's worker checks")
