"""Benchmark: building LTX-2 graphs in-process, and importing the SDK.

    python benchmarks/bench_build.py

Goals (issue 2): build + compile + validate one LTX-2 graph under 2 ms; at least 10x
faster than comfy-script building the same graph offline from the same object_info
(measured by ``bench_comfyscript.py`` when comfy-script is installed); ``import
ltx2sdk, builders`` under 150 ms. Prints medians; exits non-zero if a goal is missed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from builders import build
from ltx2sdk import GenerationRequest

BUILD_GOAL_MS = 2.0
IMPORT_GOAL_MS = 150.0


def time_build(kind: str, mode: str, rounds: int = 300) -> float:
    """Median ms to validate the request, build (every node checked), compile, validate."""
    fields = {"prompt": "a lighthouse in a storm", "type": kind, "mode": mode, "seed": 1,
              "camera_lora": "dolly_in", "image": "a.png" if kind == "i2v" else None}
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = build(GenerationRequest.model_validate(fields))
        result.graph.validate()
        result.graph.to_json(indent=None)  # compact, as sent to a server
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def time_import(rounds: int = 15) -> float:
    """Median ms of ``import ltx2sdk, builders`` in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import ltx2sdk, builders; "
            "print((time.perf_counter() - t) * 1000)")
    samples = [float(subprocess.check_output([sys.executable, "-c", code], text=True))
               for _ in range(rounds)]
    return statistics.median(samples)


def main() -> int:
    ok = True
    for kind in ("t2v", "i2v"):
        for mode in ("fast", "pro"):
            ms = time_build(kind, mode)
            ok &= ms < BUILD_GOAL_MS
            print(f"build+compile+validate {kind}/{mode}: {ms:.3f} ms (goal < {BUILD_GOAL_MS} ms)")
    ms = time_import()
    ok &= ms < IMPORT_GOAL_MS
    print(f"import ltx2sdk, builders: {ms:.1f} ms (goal < {IMPORT_GOAL_MS:.0f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
