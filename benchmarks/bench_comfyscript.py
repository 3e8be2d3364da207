"""Benchmark: the SDK against comfy-script building the same LTX-2 graph offline.

    python benchmarks/bench_comfyscript.py

comfy-script runs offline in a child process (``ltx2sdk.interop.comfyscript.run_comfyscript``).
Both sides are timed in-process, medians over many rounds, two ways:

- from object_info: comfy-script loads its nodes from the object_info (its only way to
  know them), builds the pipeline and makes API JSON; the SDK parses the same
  object_info into schemas, builds the pipeline against them (every input checked) and
  makes API JSON;
- build only: both with their node definitions already in memory.

Goal (issue 2): the SDK at least 10x faster than comfy-script building the graph offline
from the object_info.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builders import build
from ltx2sdk import GenerationRequest, Graph, SchemaSet
from ltx2sdk.interop.comfyscript import run_comfyscript, to_comfyscript

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 200
GOAL_RATIO = 10.0
HEADER = "with Workflow(wait=True) as wf:\n"

TIMING_LOOP = """
import asyncio as _asyncio, json as _json, os as _os, statistics as _stats, time as _time
import comfy_script.runtime.node as _rt_node, comfy_script.runtime.nodes as _rt_nodes

def _load():
    info = _json.loads(open(_os.environ["LTX2_BENCH_INFO"]).read())
    _rt_node.nodes.clear()
    _asyncio.run(_rt_nodes.load(info, {{}}, nodes=_rt_node.nodes))

def _build():
    with Workflow(queue=False) as wf:
{body}
    wf.api_format_json()
    return wf

def _median_ms(work, rounds):
    samples = []
    for _ in range(rounds):
        start = _time.perf_counter()
        work()
        samples.append((_time.perf_counter() - start) * 1000)
    return _stats.median(samples)

_load_ms = _median_ms(_load, 5)
_build_ms = _median_ms(_build, {rounds})
_last = _build()
with open(_os.environ["LTX2_BENCH_OUT"], "w") as _out:
    _json.dump({{"load_ms": _load_ms, "build_ms": _build_ms}}, _out)
"""


def timed_program(request: GenerationRequest) -> str:
    """The SDK's ComfyScript program, its workflow block turned into a timed loop."""
    program = to_comfyscript(build(request).graph)
    head, body = program.split(HEADER, 1)
    body = textwrap.indent(textwrap.dedent(body), " " * 8)
    return head + TIMING_LOOP.format(body=body, rounds=ROUNDS)


def median_ms(work: Callable[[], object], rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def sdk_build(request: GenerationRequest, schemas: SchemaSet | None = None) -> str:
    """Build (each node checked), validate, compile and serialize as sent to a server."""
    result = build(request, graph=Graph(schemas) if schemas is not None else None)
    result.graph.validate()
    return json.dumps(result.graph.compile())


def sdk_cold(request: GenerationRequest, object_info: dict[str, object]) -> str:
    """From the object_info JSON to API JSON, as comfy-script has to start."""
    return sdk_build(request, SchemaSet.from_object_info(object_info))


def main() -> int:
    object_info = json.loads((ROOT / "tests/fixtures/object_info_ltx2.json").read_text())
    sys.path.insert(0, str(ROOT))
    from tests.helpers import object_info_with_models

    info = object_info_with_models(object_info, input_files=("a.png",))
    ok = True
    info_file = Path(tempfile.mkdtemp()) / "object_info.json"
    info_file.write_text(json.dumps(info))
    os.environ["LTX2_BENCH_INFO"] = str(info_file)
    for kind, mode in (("t2v", "fast"), ("i2v", "pro")):
        request = GenerationRequest(prompt="a lighthouse in a storm", type=kind, mode=mode,
                                    seed=1, image="a.png" if kind == "i2v" else None)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "timing.json"
            os.environ["LTX2_BENCH_OUT"] = str(out)
            run_comfyscript(timed_program(request), info, timeout=600)
            theirs = json.loads(out.read_text())
        ours_cold = median_ms(partial(sdk_cold, request, info), 50)
        ours_warm = median_ms(partial(sdk_build, request))
        cold_theirs = theirs["load_ms"] + theirs["build_ms"]
        ratio = cold_theirs / ours_cold
        ok &= ratio >= GOAL_RATIO
        print(f"{kind}/{mode} from object_info: ltx2sdk {ours_cold:.2f} ms, comfy-script "
              f"{cold_theirs:.1f} ms (load {theirs['load_ms']:.1f} + build "
              f"{theirs['build_ms']:.2f}) -> {ratio:.0f}x (goal >= {GOAL_RATIO:.0f}x)")
        print(f"{kind}/{mode} build only: ltx2sdk {ours_warm:.3f} ms (validated), comfy-script "
              f"{theirs['build_ms']:.3f} ms (unvalidated) -> {theirs['build_ms'] / ours_warm:.1f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
