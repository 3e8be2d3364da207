"""Benchmark: the RunPod handler's overhead per job and its memory on the upload path.

    python benchmarks/bench_handler.py [--mb 200]

ComfyUI (the test server) and S3 run in child processes; this process runs ``run_job``
the way the worker does. The video is over the inline limit, so it is streamed from
ComfyUI to disk and uploaded to the bucket by multipart. Two buckets: a byte-counting
sink, which leaves only the handler's own cost, and moto, a real S3 emulation whose
Python server is slower than the handler. Goals (issue 4): overhead beyond ComfyUI's own
time under 1 s (against the sink); peak RSS under 100 MB above the baseline (both).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import comfy_test_server, s3_server, s3_sink
from runpod_handler import WorkerConfig, run_job

RSS_GOAL_MB = 100.0
OVERHEAD_GOAL_S = 1.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(comfy: str, s3: str, size: int) -> tuple[dict[str, Any], float, float, float]:
    """One job whose video goes to the bucket at ``s3``: (output, seconds, CPU s, RSS MB)."""
    config = WorkerConfig.from_env({"COMFY_URL": comfy, "LTX2_S3_BUCKET": "videos",
                                    "LTX2_S3_ENDPOINT_URL": s3, "LTX2_S3_REGION": "us-east-1"})
    baseline, cpu_before = peak_rss_mb(), cpu_seconds()
    start = time.perf_counter()
    output = run_job({"id": "bench", "input": {"prompt": "p", "duration": 1,
                                               "seed": size % 1000 + len(s3)}}, config)
    return (output, time.perf_counter() - start, cpu_seconds() - cpu_before,
            peak_rss_mb() - baseline)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    size = parser.parse_args().mb * 1_000_000
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    ok = True
    with comfy_test_server(output_bytes=size) as comfy:
        for label, server in (("byte-counting S3 sink", s3_sink), ("moto S3", s3_server)):
            with server() as s3:
                if label.startswith("moto"):
                    import boto3

                    boto3.client("s3", endpoint_url=s3, region_name="us-east-1").create_bucket(
                        Bucket="videos")
                else:  # warm up imports and connections; the job after it is measured
                    measure(comfy, s3, size + 1)
                output, total, cpu, growth = measure(comfy, s3, size)
            if "error" in output:
                print(f"{label}: {output['error']}")
                return 1
            overhead = total - output["timings"]["run"]
            print(f"{label}: {output['video_bytes'] / 1e6:.0f} MB uploaded; " + ", ".join(
                f"{k} {v:.3f} s" for k, v in output["timings"].items()))
            print(f"  handler overhead beyond ComfyUI {overhead:.3f} s "
                  f"(goal < {OVERHEAD_GOAL_S} s), CPU {cpu:.3f} s, "
                  f"peak RSS +{growth:.1f} MB (goal < {RSS_GOAL_MB:.0f} MB)")
            ok &= growth < RSS_GOAL_MB
            if label.startswith("byte"):
                ok &= overhead < OVERHEAD_GOAL_S
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
