"""Benchmark: start-up cost, every figure a whole fresh process (issue 12).

    python benchmarks/bench_startup.py [--runs 7] [--baseline DIR] [--no-bytecode-cache]

Side by side, in one run, each the median of ``--runs`` fresh processes started round-robin
in a new order each round (so a burst of load on the machine hits every row alike), after
one untimed warm-up round:

- a bare interpreter (``python -c pass``, the same venv, so ``site`` included);
- ``import ltx2sdk, builders``;
- the same plus the first ``GenerationRequest(...)``: the time to a usable request;
- the whole ``ltx2 build --example`` process (the installed console script, output discarded);
- comfy-script doing the same: a process that loads its nodes offline from the same
  ``object_info`` (its only way to know them), builds the pipeline ``ltx2 build --example
  --format comfyscript`` prints and writes its API JSON (checked to be the same graph as
  ``ltx2 build --example``'s).

Columns: the median wall time (what a user waits), the same over the bare interpreter, the
median CPU time (user + system of the child) and the fastest run (the closest to an idle
machine); the load average is printed alongside, since other work on a 2-core machine
stretches every figure. The in-process figures (``perf_counter`` inside the child) split the
first request's process into the import, ``from ltx2sdk import GenerationRequest`` (where
the lazily loaded model loads) and the first ``GenerationRequest(...)`` call.

``--baseline DIR`` adds the same rows for another copy of the ``ltx2sdk`` and ``builders``
packages (for example ``git archive HEAD ltx2sdk builders | tar -x -C DIR``), put first on
``PYTHONPATH``, measured interleaved with this tree's: a before/after comparison in one run.

Bytecode: by default every child runs with ``PYTHONPYCACHEPREFIX`` set to a temporary
directory (and ``PYTHONDONTWRITEBYTECODE`` removed), so after the warm-up round every module
loads from cached bytecode, as for an installed package. ``--no-bytecode-cache`` keeps the
environment as it is instead (in the dev container ``PYTHONDONTWRITEBYTECODE=1``, so the SDK's
own modules are compiled in every process; site-packages ship their bytecode).

Goals (issue 12): ``import ltx2sdk, builders`` under 100 ms over the bare interpreter; the
whole ``ltx2 build --example`` process under 250 ms; with ``--baseline``, the process up to
the first ``GenerationRequest`` no slower than the baseline's. Exits non-zero if one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IMPORT_GOAL_MS = 100.0  # over the bare interpreter
BUILD_GOAL_MS = 250.0  # the whole process
# "No slower than the baseline" up to the noise of a median of whole processes on a busy
# machine: the paired difference must stay within 3% of the baseline.
SAME_WORK_SLACK = 0.03
LTX2 = Path(sys.executable).with_name("ltx2")
HEADER = "with Workflow(wait=True) as wf:\n"

# Prints, as JSON, the in-process ms of: the import; ``from ltx2sdk import GenerationRequest``
# (where a lazily loaded model is loaded); the first ``GenerationRequest(...)`` call; a second.
FIRST_REQUEST = """\
import time
t0 = time.perf_counter()
import ltx2sdk, builders
t1 = time.perf_counter()
from ltx2sdk import GenerationRequest
t2 = time.perf_counter()
GenerationRequest(prompt="a fox in the snow")
t3 = time.perf_counter()
GenerationRequest(prompt="a fox in the snow")
t4 = time.perf_counter()
import json
print(json.dumps({"import": (t1 - t0) * 1e3, "name": (t2 - t1) * 1e3, "first": (t3 - t2) * 1e3,
                  "second": (t4 - t3) * 1e3, "file": ltx2sdk.__file__}))
"""

# comfy-script's side, standalone (it never imports ltx2sdk): its nodes loaded from the
# object_info with every network access refused (as ltx2sdk.interop.comfyscript.run_comfyscript
# does), then the workflow built and its API JSON written to stdout.
COMFYSCRIPT_CHILD = """\
import asyncio, contextlib, json, sys

info_file, stub_dir = sys.argv[1], sys.argv[2]
with open(info_file, encoding="utf-8") as f:
    object_info = json.load(f)

import comfy_script.client as cs_client
import comfy_script.runtime as runtime
import comfy_script.runtime.node as rt_node
import comfy_script.runtime.nodes as rt_nodes

def _refuse_network():
    raise RuntimeError("offline: comfy-script may not contact a server here")

async def _nodes_info():
    return object_info

async def _no_embeddings():
    return []

cs_client._get_nodes_info = _nodes_info
cs_client._get_embeddings = _no_embeddings
cs_client.client = cs_client.Client("http://comfyscript-offline.invalid/",
                                    session_factory=_refuse_network)
rt_nodes.__file__ = stub_dir + "/nodes.py"  # its nodes.pyi goes there, not site-packages
loaded = {}
with contextlib.redirect_stdout(sys.stderr):
    rt_node.nodes.clear()
    asyncio.run(rt_nodes.load(object_info, loaded, nodes=rt_node.nodes))
globals().update(loaded)

with runtime.Workflow(queue=False) as wf:
{body}
sys.stdout.write(wf.api_format_json())
"""


@dataclass
class Case:
    label: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    reports: list[dict[str, float]] = field(default_factory=list)
    capture: bool = False

    def run(self, record: bool = True) -> str:
        """Run once; record its wall and CPU ms (and its JSON report, if captured)."""
        with tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if self.capture else subprocess.DEVNULL, stderr=err)
            out = proc.stdout.read() if proc.stdout is not None else b""
            _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
            wall = (time.perf_counter() - start) * 1000
            proc.returncode = os.waitstatus_to_exitcode(status)
            if proc.stdout is not None:
                proc.stdout.close()
            if proc.returncode != 0:
                err.seek(0)
                raise SystemExit(f"{self.label}: exit status {proc.returncode}\n"
                                 f"{err.read().decode(errors='replace')}")
        if record:
            self.wall.append(wall)
            self.cpu.append((usage.ru_utime + usage.ru_stime) * 1000)
            if self.capture:
                self.reports.append(json.loads(out))
        return out.decode()

    def median_wall(self) -> float:
        return statistics.median(self.wall)

    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    def median_report(self, key: str) -> float:
        return statistics.median(float(r[key]) for r in self.reports)


def child_env(pycache: Path | None, pythonpath: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def cli_entry(tree: Path) -> list[str]:
    """The ``ltx2`` command of the SDK in ``tree``, as a command line: the installed console
    script for this tree; for another tree its entry point run the way the script runs it
    (where it lives differs between versions of the layout)."""
    if tree == ROOT:
        return [str(LTX2)]
    module = "ltx2sdk.cli" if (tree / "ltx2sdk" / "cli.py").is_file() else "ltx2sdk.app.cli.main"
    return [sys.executable, "-c", f"import sys; sys.argv[0] = 'ltx2'; from {module} import run; "
                                  "run()"]


def sdk_cases(env: dict[str, str], tag: str, cwd: Path, tree: Path = ROOT) -> dict[str, Case]:
    py = sys.executable
    return {
        "import": Case(f"import ltx2sdk, builders{tag}", [py, "-c", "import ltx2sdk, builders"],
                       env, cwd),
        "first": Case(f"  + first GenerationRequest(...){tag}", [py, "-c", FIRST_REQUEST], env,
                      cwd, capture=True),
        "build": Case(f"ltx2 build --example{tag}", [*cli_entry(tree), "build", "--example"],
                      env, cwd),
    }


def comfyscript_case(env: dict[str, str], work: Path) -> Case | None:
    """comfy-script's equivalent of ``ltx2 build --example``, or None if not installed."""
    from ltx2sdk.interop.comfyscript import _in_declaration_order
    from tests.helpers import object_info_with_models

    try:
        subprocess.run([sys.executable, "-c", "import comfy_script.runtime"], env=env,
                       check=True, capture_output=True)
    except subprocess.CalledProcessError:
        print("comfy-script is not installed: its row is left out", file=sys.stderr)
        return None
    program = subprocess.run([str(LTX2), "build", "--example", "--format", "comfyscript"],
                             env=env, cwd=work, check=True, capture_output=True,
                             text=True).stdout
    body = program.split(HEADER, 1)[1]
    info = json.loads((ROOT / "tests/fixtures/object_info_ltx2.json").read_text())
    info_file = work / "object_info.json"
    info_file.write_text(json.dumps(_in_declaration_order(object_info_with_models(info))))
    child = work / "comfyscript_build.py"
    child.write_text(COMFYSCRIPT_CHILD.replace("{body}", body.rstrip("\n")), encoding="utf-8")
    stubs = work / "stubs"
    stubs.mkdir()
    return Case("comfy-script, same build (offline)",
                [sys.executable, str(child), str(info_file), str(stubs)], env, work)


def check_same_graph(sdk: Case, comfyscript: Case) -> None:
    """Both processes produce the same API prompt (up to node ids), or the comparison is void."""
    from ltx2sdk.graph.compare import assert_same_api

    theirs = Case("", comfyscript.argv, comfyscript.env, comfyscript.cwd, capture=True)
    ours = Case("", sdk.argv, sdk.env, sdk.cwd, capture=True)
    assert_same_api(json.loads(ours.run(record=False)), json.loads(theirs.run(record=False)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="another copy of ltx2sdk/ and builders/ to measure alongside")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run the children in this environment as it is")
    args = parser.parse_args()

    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="ltx2-bench-startup-") as tmp:
        work = Path(tmp)
        pycache = None if args.no_bytecode_cache else work / "pycache"
        env = child_env(pycache, None)
        bare = Case("bare interpreter (python -c pass)", [sys.executable, "-c", "pass"], env,
                    work)
        ours = sdk_cases(env, "", work)
        before = (sdk_cases(child_env(pycache, args.baseline.resolve()), " [baseline]", work,
                            args.baseline.resolve())
                  if args.baseline is not None else {})
        theirs = comfyscript_case(env, work)
        if theirs is not None:
            check_same_graph(ours["build"], theirs)
        cases = [bare, *ours.values(), *before.values(), *([theirs] if theirs else [])]
        for case in cases:  # warm-up: fills the bytecode cache and the OS page cache
            case.run(record=False)
        if before:
            loaded = json.loads(before["first"].run(record=False))["file"]
            if not Path(loaded).is_relative_to(args.baseline.resolve()):
                raise SystemExit(f"the baseline run loaded {loaded}, not the baseline's ltx2sdk")
        order = random.Random(12)
        for _ in range(args.runs):  # each round in a new order: no row always follows another
            for case in order.sample(cases, len(cases)):
                case.run()

    bare_ms = bare.median_wall()
    cache = "bytecode not cached" if args.no_bytecode_cache else "bytecode cached"
    print(f"start-up, whole processes: median of {args.runs} runs ({cache}; "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"load average before: {load_before}, after: {_load()}")
    print(f"{'':44} {'wall ms':>8} {'over bare':>10} {'CPU ms':>8} {'fastest':>8}")
    for case in cases:
        over = "" if case is bare else f"{case.median_wall() - bare_ms:10.0f}"
        print(f"{case.label:44} {case.median_wall():8.0f} {over:>10} {case.median_cpu():8.0f} "
              f"{min(case.wall):8.0f}")
    if before:
        print("this tree minus the baseline, median of the per-round differences: " + ", ".join(
            f"{key} {_paired(ours[key], before[key]):+.1f} ms" for key in ours))
    print("in-process (perf_counter in the child), ms:")
    for tag, group in (("", ours), (" [baseline]", before)):
        if group:
            first = group["first"]
            print(f"  import ltx2sdk, builders{tag}: {first.median_report('import'):.1f}; "
                  f"then from ltx2sdk import GenerationRequest: "
                  f"{first.median_report('name'):.1f}; the first GenerationRequest(...) call: "
                  f"{first.median_report('first'):.2f}, a second: "
                  f"{first.median_report('second'):.3f}")

    ok = True
    import_ms = ours["import"].median_wall() - bare_ms
    build_ms = ours["build"].median_wall()
    ok &= _goal(f"import ltx2sdk, builders: {import_ms:.0f} ms over bare", import_ms,
                IMPORT_GOAL_MS)
    ok &= _goal(f"ltx2 build --example: {build_ms:.0f} ms", build_ms, BUILD_GOAL_MS)
    if before:
        now, then = ours["first"], before["first"]
        diff = _paired(now, then)
        slack = SAME_WORK_SLACK * then.median_wall()
        ok &= _goal(f"to the first GenerationRequest: {now.median_wall():.0f} ms, baseline "
                    f"{then.median_wall():.0f} ms, paired difference {diff:+.1f} ms", diff, slack,
                    "<=")
    return 0 if ok else 1


def _paired(case: Case, baseline: Case) -> float:
    """Median of the per-round wall-time differences (rounds interleave both: drift cancels)."""
    return statistics.median(a - b for a, b in zip(case.wall, baseline.wall, strict=True))


def _load() -> str:
    """The 1-minute load average: how busy the machine was (wall times grow with it)."""
    return f"{os.getloadavg()[0]:.2f}"


def _goal(text: str, value: float, limit: float, op: str = "<") -> bool:
    met = value < limit if op == "<" else value <= limit
    print(f"{'ok  ' if met else 'MISS'} {text} (goal {op} {limit:.0f} ms)")
    return met


if __name__ == "__main__":
    sys.exit(main())
