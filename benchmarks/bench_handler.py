"""Benchmark: the RunPod handler's overhead per job and its memory on the upload path.

    python benchmarks/bench_handler.py [--mb 200]

ComfyUI (the test server) and S3 (moto) run in child processes; this process runs
``run_job`` the way the worker does. The video is over the inline limit, so it is
streamed from ComfyUI to disk and uploaded to the bucket by multipart. Goals
(issue 4): overhead beyond ComfyUI's own time under 1 s; peak RSS under 100 MB above
the baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import comfy_test_server, s3_server
from runpod_handler import WorkerConfig, run_job

RSS_GOAL_MB = 100.0
OVERHEAD_GOAL_S = 1.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    size = parser.parse_args().mb * 1_000_000
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with comfy_test_server(output_bytes=size) as comfy, s3_server() as s3:
        import boto3

        boto3.client("s3", endpoint_url=s3, region_name="us-east-1").create_bucket(Bucket="videos")
        config = WorkerConfig.from_env({"COMFY_URL": comfy, "LTX2_S3_BUCKET": "videos",
                                        "LTX2_S3_ENDPOINT_URL": s3,
                                        "LTX2_S3_REGION": "us-east-1"})
        # warm up imports and connections with a small job (seed 1), then measure (seed 2)
        small = WorkerConfig.from_env({"COMFY_URL": comfy})
        run_job({"id": "warm", "input": {"prompt": "p", "duration": 1, "seed": 1}}, small)
        baseline = peak_rss_mb()
        cpu_before = cpu_seconds()
        start = time.perf_counter()
        output = run_job({"id": "bench", "input": {"prompt": "p", "duration": 1, "seed": 2}},
                         config)
        total = time.perf_counter() - start
        cpu = cpu_seconds() - cpu_before
    if "error" in output:
        print(output["error"])
        return 1
    comfy_time = output["timings"]["run"]
    overhead = total - comfy_time
    growth = peak_rss_mb() - baseline
    print(f"video {output['video_bytes'] / 1e6:.0f} MB uploaded to the bucket, URL returned")
    print("timings: " + ", ".join(f"{k} {v:.3f} s" for k, v in output["timings"].items()))
    print(f"total {total:.3f} s, ComfyUI {comfy_time:.3f} s, handler overhead {overhead:.3f} s "
          f"(goal < {OVERHEAD_GOAL_S} s; download + multipart upload on loopback included)")
    print(f"handler CPU time {cpu:.3f} s (the rest of the upload time is the bucket server's: "
          "moto is a single Python process)")
    print(f"peak RSS growth {growth:.1f} MB over a {baseline:.0f} MB baseline "
          f"(goal < {RSS_GOAL_MB:.0f} MB)")
    return 0 if growth < RSS_GOAL_MB and overhead < OVERHEAD_GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
