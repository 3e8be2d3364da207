"""Benchmark: the client's overhead on a job whose output is a 200 MB video.

    python benchmarks/bench_client.py [--mb 200]

The ComfyUI test server runs in a child process and writes the video; this process
runs ``ComfyClient.run`` and downloads it. Goals (issue 3): peak RSS grows by less
than 50 MB over the baseline, and the time beyond the server's own (queue, socket,
history, download) stays under 1 s on loopback.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._servers import comfy_test_server
from ltx2sdk import Graph, Nodes
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.events import Event, ExecutionStarted, Finished

RSS_GOAL_MB = 50.0
OVERHEAD_GOAL_S = 1.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def video_graph(color: int) -> Graph:
    """A model-free graph; another ``color`` means another prompt (no cache hit)."""
    g = Graph()
    n = Nodes(g)
    n.SaveVideo(n.CreateVideo(n.EmptyImage(64, 64, batch_size=9, color=color), 24), "video/bench")
    return g


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    size = parser.parse_args().mb * 1_000_000
    with comfy_test_server(output_bytes=size) as url, tempfile.TemporaryDirectory() as out:
        client = ComfyClient(url)
        client.run(video_graph(0), timeout=60)  # warm up: imports, connections (no download)
        baseline = peak_rss_mb()
        marks: dict[str, float] = {}

        def on_event(event: Event) -> None:
            if isinstance(event, ExecutionStarted):
                marks["started"] = time.perf_counter()
            elif isinstance(event, Finished):
                marks["finished"] = time.perf_counter()

        start = time.perf_counter()
        result = client.run(video_graph(1), output_dir=Path(out), on_event=on_event, timeout=120)
        total = time.perf_counter() - start
        downloaded = sum(p.stat().st_size for p in result.files.values())
    growth = peak_rss_mb() - baseline
    server_time = marks["finished"] - marks["started"]
    overhead = total - server_time
    print(f"output {downloaded / 1e6:.0f} MB downloaded")
    print(f"total {total:.3f} s, server {server_time:.3f} s, client overhead {overhead:.3f} s "
          f"(goal < {OVERHEAD_GOAL_S} s)")
    print(f"peak RSS growth {growth:.1f} MB over a {baseline:.0f} MB baseline "
          f"(goal < {RSS_GOAL_MB:.0f} MB)")
    return 0 if growth < RSS_GOAL_MB and overhead < OVERHEAD_GOAL_S and downloaded >= size else 1


if __name__ == "__main__":
    sys.exit(main())
