"""Benchmark: what a batch costs beyond the servers' own time, and whether its memory grows.

    python benchmarks/bench_batch.py [--jobs 40] [--sizes 1000,10000,50000]

1. **Overhead.** ``--jobs`` jobs on the ComfyUI test server (a child process), run by
   ``run_batch`` (one job at a time, as on a native server): the batch's wall time minus the
   server's own time for each prompt (its history's ``execution_start`` to
   ``execution_success``), per job. The same for a plain ``generate()`` loop, the floor the
   batch builds on. Goal: the batch's overhead under 100 ms per job. Then the same jobs
   through the real RunPod worker behind the RunPod stand-in (both in a child process, the
   ComfyUI test server behind the worker): the wall time minus each job's own time as
   RunPod reports it (``delayTime`` + ``executionTime``), with the default status polling
   and with 0.1 s polling, and the client's CPU time per job; then with three jobs in the
   endpoint's queue for its one worker (``--jobs 3``): the wall time minus the worker's busy
   time (``executionTime``), i.e. how long the worker waited for the client.
2. **Memory.** For each of ``--sizes``, a fresh child process runs a batch of that many jobs
   through an in-process target that writes a small mp4 at once (so only the batch itself
   is measured: reading, keys, scheduling, results.jsonl), then runs it again (every job
   skipped), each under ``tracemalloc`` (the peak of what Python allocated during the run,
   over what was allocated before it). What grows is
   one number per job (the keys of the jobs run, to skip repeats; on a re-run the keys of the
   jobs done); nothing else is kept per job. Goal: the traced peak grows by less than 200
   bytes per job from the smallest batch to the largest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OVERHEAD_GOAL_S = 0.100
MEMORY_GOAL_BYTES_PER_JOB = 200.0
MP4 = ROOT / "tests" / "fixtures" / "protocol" / "success_video" / "files" / "ltx2sdk_00001_.mp4"


def request(index: int) -> dict[str, Any]:
    return {"prompt": f"a red fox trots through snow, take {index}", "seed": index,
            "duration": 1, "width": 256, "height": 256}


def server_seconds(url: str, prompt_ids: list[str]) -> float:
    """The server's own execution time of these prompts, from its history."""
    import requests

    total = 0.0
    for prompt_id in prompt_ids:
        entry = requests.get(f"{url}/history/{prompt_id}", timeout=10).json()[prompt_id]
        stamps = {kind: data["timestamp"] for kind, data in entry["status"]["messages"]}
        total += (stamps["execution_success"] - stamps["execution_start"]) / 1000
    return total


def overhead(jobs: int) -> tuple[float, float]:
    """Per-job seconds beyond the server's own: (batch, plain generate loop)."""
    from benchmarks._servers import comfy_test_server
    from ltx2sdk import connect, generate
    from ltx2sdk.app.batch.scheduler import run_batch

    with comfy_test_server(step_delay=0.01) as url, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        backend = connect(url)
        generate(request(10_000), backend, output_dir=out / "warm")  # imports, connections
        plain_ids = []
        start = time.perf_counter()
        for index in range(jobs):
            plain_ids.append(generate(request(20_000 + index), backend,
                                      output_dir=out / "plain").prompt_id)
        plain = time.perf_counter() - start
        backend.close()

        lines = out / "jobs.jsonl"
        lines.write_text("".join(json.dumps(request(index)) + "\n" for index in range(jobs)))
        start = time.perf_counter()
        summary = run_batch(lines, url, out / "batch")
        wall = time.perf_counter() - start
        assert summary.complete, summary
        batch_ids = [json.loads(line)["metadata"]["prompt_id"]
                     for line in (out / "batch" / "results.jsonl").read_text().splitlines()]
        batch_own = server_seconds(url, batch_ids)
        plain_own = server_seconds(url, plain_ids)
    return (wall - batch_own) / jobs, (plain - plain_own) / jobs


STANDIN = """
import os, sys, tempfile
from pathlib import Path
from tests.helpers import catalog_server
from tests.runpod_standin import RunPodStandIn
import runpod_handler
with tempfile.TemporaryDirectory() as tmp, catalog_server(Path(tmp)) as comfy:
    comfy.sim.step_delay = 0.01
    os.environ.update(COMFY_URL=comfy.url, LTX2_READY_TIMEOUT="5")
    with RunPodStandIn(runpod_handler.handler, workers=1) as api:
        print(api.base_url, api.endpoint_id, api.api_key, flush=True)
        sys.stdin.read()
"""


def runpod_overhead(jobs: int, poll_interval: float | None,
                    concurrency: int = 1) -> tuple[float, float]:
    """Per-job seconds beyond RunPod's own time, and client CPU seconds. One job at a time:
    the wall time minus each job's queue + execution time; several: minus the one
    worker's busy time (how long it waited for the client)."""
    import os

    from ltx2sdk.app.batch.runpod_target import RunPodTarget
    from ltx2sdk.app.batch.scheduler import run_batch

    child = subprocess.Popen([sys.executable, "-c", STANDIN], cwd=ROOT, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    try:
        assert child.stdout is not None and child.stdin is not None
        base, endpoint_id, key = child.stdout.readline().split()
        options = {} if poll_interval is None else {"poll_interval": poll_interval}
        target = RunPodTarget(endpoint_id, api_key=key, base_url=base, **options)
        with tempfile.TemporaryDirectory() as tmp:
            run_batch([request(90_000)], target, Path(tmp) / "warm")  # imports, connections
            requests_ = [request(30_000 + index) for index in range(jobs)]
            cpu, start = os.times(), time.perf_counter()
            summary = run_batch(requests_, target, Path(tmp) / "out",
                                concurrency=concurrency)
            wall, used = time.perf_counter() - start, os.times()
            assert summary.complete, summary
            own = 0.0
            for line in (Path(tmp) / "out" / "results.jsonl").read_text().splitlines():
                meta = json.loads(line)["metadata"]
                queued = meta["queue_ms"] if concurrency == 1 else 0
                own += (queued + meta["execution_ms"]) / 1000
        client_cpu = (used.user - cpu.user) + (used.system - cpu.system)
        return (wall - own) / jobs, client_cpu / jobs
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(30)


class InstantRunner:
    """A runner with no backend: the video is written at once."""

    def __init__(self, video: bytes) -> None:
        self.video = video

    def run(self, job: Any, video: Path, *, cancel: threading.Event, resume: str | None = None,
            on_submitted: Any = None) -> dict[str, Any]:
        video.write_bytes(self.video)
        return {"seed": job.request.seed}

    def close(self) -> None:
        pass


class InstantTarget:
    name = "instant"

    def open(self, concurrency: int | None) -> list[InstantRunner]:
        return [InstantRunner(MP4.read_bytes()) for _ in range(concurrency or 2)]


def memory_child(size: int) -> None:
    """Run in a fresh process: a batch of ``size`` instant jobs, then the same again."""
    from ltx2sdk.app.batch.jobs import make_job
    from ltx2sdk.app.batch.scheduler import run_batch

    make_job(0, request(0))  # pydantic and the request model loaded before the baseline
    with tempfile.TemporaryDirectory() as tmp:
        jobs = Path(tmp) / "jobs.jsonl"
        with open(jobs, "w") as handle:
            for index in range(size):
                handle.write(json.dumps(request(index)) + "\n")
        tracemalloc.start()
        traced: list[float] = []
        took: list[float] = []
        for _ in ("first", "again"):
            before, _peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            start = time.perf_counter()
            summary = run_batch(jobs, InstantTarget(), Path(tmp) / "out")
            took.append(time.perf_counter() - start)
            traced.append((tracemalloc.get_traced_memory()[1] - before) / 1024 / 1024)
            assert summary.complete
        assert summary.progress.skipped == size
    print(json.dumps({"size": size, "traced": traced,
                      "ms_per_job": [1000 * t / size for t in took]}))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return 0

    batch, plain = overhead(args.jobs)
    print(f"overhead beyond the server's own time, {args.jobs} jobs one at a time: "
          f"batch {1000 * batch:.1f} ms/job, plain generate() loop {1000 * plain:.1f} ms/job "
          f"(goal: batch < {1000 * OVERHEAD_GOAL_S:.0f} ms/job)")
    for poll in (None, 0.1):
        beyond, cpu = runpod_overhead(args.jobs, poll)
        print(f"RunPod stand-in, one job at a time, polling "
              f"{'as by default' if poll is None else f'every {poll} s'}: {1000 * beyond:.0f} "
              f"ms/job beyond RunPod's own queue + execution time (mostly waiting for the next "
              f"status poll), client CPU {1000 * cpu:.1f} ms/job")
    idle, cpu = runpod_overhead(args.jobs, None, concurrency=3)
    print(f"RunPod stand-in, three jobs queued for one worker, default polling: the worker "
          f"waited {1000 * idle:.0f} ms/job for the client, client CPU {1000 * cpu:.1f} ms/job")

    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run([sys.executable, __file__, "--memory-child", str(size)],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for row in rows:
        first, again = row["traced"]
        print(f"{row['size']:>6} jobs: traced peak {first:.2f} MB, re-run (all skipped) "
              f"{again:.2f} MB; {row['ms_per_job'][0]:.2f} ms/job, re-run "
              f"{row['ms_per_job'][1]:.2f} ms/job")
    spread = rows[-1]["size"] - rows[0]["size"]
    per_job = max((rows[-1]["traced"][i] - rows[0]["traced"][i]) * 1024 * 1024 / spread
                  for i in (0, 1))
    print(f"traced peak from {rows[0]['size']} to {rows[-1]['size']} jobs: {per_job:.0f} bytes "
          f"per job (goal: < {MEMORY_GOAL_BYTES_PER_JOB:.0f})")
    return 0 if batch < OVERHEAD_GOAL_S and per_job < MEMORY_GOAL_BYTES_PER_JOB else 1


if __name__ == "__main__":
    sys.exit(main())
