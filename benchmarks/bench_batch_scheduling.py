"""Benchmark: does a batch keep every GPU busy, and how often does it make servers load models?

    python benchmarks/bench_batch_scheduling.py [--jobs 60] [--job-seconds 0.4]
        [--load-seconds 2] [--servers 2] [--all-modes] [--quick]

The same mixed batch (``--jobs`` jobs over three pipelines that load different model files:
LTX-2 t2v fast, LTX-2.3 t2v fast, LTX-2 i2v fast with the dolly-in camera LoRA and an image
sent with each job; interleaved in file order, as a user's file would be) runs on
``--servers`` ComfyUI stand-ins (``python -m tests.comfyserver``, each a child process,
fresh for each run) that pay for what a GPU server pays for:

- loading a job's set of model files when it is not the set the server holds
  (``--load-seconds``, L; one set kept, as on a GPU that fits one LTX-2 set);
- each job's run time (``--job-seconds``, T, spread over its sampler steps);
- a bandwidth cap on uploads and downloads that makes each video's download take about
  0.1 T (``OUTPUT_BYTES`` per video).

It runs once per mode, side by side: today's order (the jobs in file order, the next job
sent when the last one's video is in: ``order="file", queue_ahead=0``) and the model-aware
scheduler with queue-ahead (``order="model", queue_ahead=1``); ``--all-modes`` adds the two
mixed ones. Only the settings the batch takes are passed (``inspect.signature``): a batch
from before them runs today's order only, so the benchmark measures that batch too. From the
servers' own log (``GET /ltx2sdk-standin/stats``) it prints per mode: each server's busy
fraction (its prompts' run time, model loads included, over the batch's wall time), the same
less its model loads, its idle time between prompts, the model loads (the minimum is one per
pipeline) and the seconds they took, and the batch's wall time; then how long each server
waited for its first prompt and after its last one.

Goals (for ``order="model", queue_ahead=1``): every server busy 97% of the wall time or more;
model loads at most the pipelines plus one per server (a server that steals another group's
jobs at the end). Exit status 1 when that mode misses one, 0 otherwise (also when the batch
does not take both settings). ``--quick`` is a sanity run (12 jobs, T 0.2 s, L 0.5 s): it
prints the same figures but does not hold them to the goals, since in so short a batch the
start and the end (the first prompt's wait, the last video's download) are a large share of
the wall time; its exit status is 1 only when a mode's batch did not complete.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import inspect
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUSY_GOAL = 0.97
OUTPUT_BYTES = 2 * 1024 * 1024
SAMPLER_STEPS = 4
# the three pipelines of the mix, each its own set of model files
PIPELINES: list[tuple[str, dict[str, Any]]] = [
    ("ltx-2 t2v fast", {}),
    ("ltx-2.3 t2v fast", {"model": "ltx-2.3"}),
    ("ltx-2 i2v fast + dolly-in LoRA", {"type": "i2v", "camera_lora": "dolly_in"}),
]
# the batch's scheduling settings per mode: today's first, the new defaults second
TODAY = {"order": "file", "queue_ahead": 0}
NEW = {"order": "model", "queue_ahead": 1}
MIXED = [{"order": "file", "queue_ahead": 1}, {"order": "model", "queue_ahead": 0}]


def modes(known: set[str], all_modes: bool) -> list[tuple[str, dict[str, Any]]]:
    """(label, settings) of each mode to run, with only the settings this batch takes (a
    mode that is then the same as an earlier one is left out)."""
    chosen: list[tuple[str, dict[str, Any]]] = []
    for wanted in [TODAY, NEW, *(MIXED if all_modes else [])]:
        settings = {key: value for key, value in wanted.items() if key in known}
        if any(settings == earlier for _, earlier in chosen):
            continue
        label = ", ".join(f"{key}={value}" for key, value in settings.items())
        chosen.append((label or "today's batch (no settings)", settings))
    return chosen


def image_base64() -> str:
    """A small real PNG, as a job would send its first frame."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 80, 20)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def jobs(count: int) -> list[dict[str, Any]]:
    """``count`` requests, the pipelines interleaved in file order."""
    image = image_base64()
    made = []
    for index in range(count):
        _, fields = PIPELINES[index % len(PIPELINES)]
        request = {"prompt": f"a red fox trots through snow, take {index}", "seed": index,
                   "duration": 1, "width": 256, "height": 256, **fields}
        if request.get("type") == "i2v":
            request["image_base64"] = image
        made.append(request)
    return made


def batch_settings() -> set[str]:
    """The scheduling settings this SDK's batch takes (none before the scheduler)."""
    from ltx2sdk.app.batch.scheduler import Batch

    return {"order", "queue_ahead"} & set(inspect.signature(Batch).parameters)


@dataclass
class Outcome:
    mode: str
    wall: float
    began: float  # time.time() when the batch was called and when it returned
    ended: float
    stats: list[dict[str, Any]]  # each server's own log
    complete: bool

    @property
    def loads(self) -> int:
        return sum(int(s["model_loads"]) for s in self.stats)

    @property
    def load_seconds(self) -> float:
        return sum(float(s["load_seconds"]) for s in self.stats)

    def busy(self, server: int) -> float:
        """The server's prompts, model loads included, over the wall time."""
        return float(self.stats[server]["busy_seconds"]) / self.wall

    def running_jobs(self, server: int) -> float:
        """The server's prompts less its model loads, over the wall time."""
        own = self.stats[server]
        return (float(own["busy_seconds"]) - float(own["load_seconds"])) / self.wall


def run_mode(mode: str, settings: dict[str, Any], requests_: list[dict[str, Any]],
             args: argparse.Namespace) -> Outcome:
    """One batch on fresh stand-ins; their logs read at its end."""
    import requests

    from benchmarks._servers import comfy_test_server
    from ltx2sdk.app.batch.scheduler import run_batch

    rate = OUTPUT_BYTES / (0.1 * args.job_seconds)  # a video's download takes 0.1 T
    flags = ["--no-frontend", "--model-load-seconds", str(args.load_seconds),
             "--models-kept", "1", "--job-seconds", str(args.job_seconds),
             "--upload-bytes-per-s", str(rate), "--download-bytes-per-s", str(rate)]
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        urls = [stack.enter_context(comfy_test_server(
            output_bytes=OUTPUT_BYTES, sampler_steps=SAMPLER_STEPS, extra_args=flags))
            for _ in range(args.servers)]
        began, started = time.time(), time.perf_counter()
        summary = run_batch(requests_, urls, Path(tmp) / "out", **settings)
        wall, ended = time.perf_counter() - started, time.time()
        stats = [requests.get(f"{url}/ltx2sdk-standin/stats", timeout=10).json()
                 for url in urls]
    return Outcome(mode, wall, began, ended, stats, summary.complete)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--job-seconds", type=float, default=0.4, help="T (default 0.4)")
    parser.add_argument("--load-seconds", type=float, default=2.0, help="L (default 2)")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--all-modes", action="store_true",
                        help="also file order with queue-ahead, model-aware without")
    parser.add_argument("--quick", action="store_true",
                        help="a fast sanity run: 12 jobs, T 0.2 s, L 0.5 s; the figures "
                        "are printed, not judged against the goals")
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.job_seconds, args.load_seconds = 12, 0.2, 0.5

    known = batch_settings()
    runs = modes(known, args.all_modes)
    requests_ = jobs(args.jobs)
    print(f"{args.jobs} jobs over {len(PIPELINES)} pipelines ("
          f"{', '.join(name for name, _ in PIPELINES)}), interleaved; {args.servers} "
          f"stand-ins; job T {args.job_seconds} s, model load L {args.load_seconds} s "
          f"(one set kept), a video's download about 0.1 T "
          f"({OUTPUT_BYTES / 1024 / 1024:.0f} MB)")
    if known != set(NEW):
        print(f"this batch takes {sorted(known) or 'no'} of the settings order / queue_ahead: "
              f"modes without the others")
    outcomes = []
    for mode, settings in runs:
        outcome = run_mode(mode, settings, requests_, args)
        outcomes.append(outcome)
        print(f"  {mode}: {outcome.wall:.1f} s{'' if outcome.complete else ' (INCOMPLETE)'}",
              flush=True)

    minimum = len(PIPELINES)
    servers = range(args.servers)
    heads = [f"busy {n + 1}" for n in servers] + [f"jobs {n + 1}" for n in servers] + \
        [f"idle {n + 1}" for n in servers]
    print(f"\n{'mode':<30}  {'  '.join(f'{h:>7}' for h in heads)}  {'loads':>5}  "
          f"{'load s':>6}  {'wall s':>6}")
    for o in outcomes:
        cells = [f"{100 * o.busy(n):6.1f}%" for n in servers] + \
            [f"{100 * o.running_jobs(n):6.1f}%" for n in servers] + \
            [f"{float(o.stats[n]['idle_seconds']):6.1f}s" for n in servers]
        print(f"{o.mode:<30}  {'  '.join(cells)}  {o.loads:>5}  {o.load_seconds:>6.1f}  "
              f"{o.wall:>6.1f}")
    for o in outcomes:  # the rest of the wall time: before a server's first prompt, after
        edges = [f"{float(st['first_started']) - o.began:.2f} s / "
                 f"{o.ended - float(st['last_ended']):.2f} s" for st in o.stats]
        print(f"{o.mode}: first prompt after / last one ended before the batch's end: "
              f"{', '.join(edges)}")
        moved = [(kind, sum(int(st[kind]["count"]) for st in o.stats),
                  sum(float(st[kind]["seconds"]) for st in o.stats)) for kind in
                 ("uploads", "downloads")]
        print("  " + ", ".join(f"{count} {kind} ({seconds / max(count, 1):.3f} s each)"
                               for kind, count, seconds in moved))
    print(f"\nbusy N: server N's prompts (model loads included) over the batch's wall time "
          f"(goal >= {100 * BUSY_GOAL:.0f}%); jobs N: the same less its model loads; idle N: "
          f"its time between prompts (its own log); loads: all servers' model loads (minimum "
          f"{minimum}, goal at most {minimum + args.servers}) and the seconds they took")
    if args.quick:  # start and end weigh too much in 12 short jobs to judge the goals
        complete = all(o.complete for o in outcomes)
        print(f"quick sanity run: goals not judged (see the default run); "
              f"{'every batch complete' if complete else 'A BATCH DID NOT COMPLETE'}")
        return 0 if complete else 1
    if known != set(NEW):
        return 0  # no model-aware scheduler with queue-ahead to hold to the goals
    best = outcomes[1]
    met = best.complete and best.loads <= minimum + args.servers and all(
        best.busy(n) >= BUSY_GOAL for n in range(args.servers))
    print(f"{best.mode}: {'goals met' if met else 'GOAL MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
