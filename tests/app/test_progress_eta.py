"""Progress people can trust (issue 21, point 9's follow-ups): an ETA of the time the run has
left (the sampler steps at their rate, the other nodes at the time such nodes took, however
the server counts its steps), never 0:00 while steps remain and never climbing while the pace
holds; a terminal line that keeps percent, step and ETA at any width; a log with a few lines
per sampling stage, each with its steps. Synthetic events on a clock the test sets: no sleeping.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import build
from ltx2sdk import GenerationRequest, generate
from ltx2sdk.app.cli.server_commands import ProgressPrinter, progress_line
from ltx2sdk.app.cli.status_line import Cut, Piece, fit
from ltx2sdk.app.progress import ProgressTracker, ProgressUpdate, clock_text
from ltx2sdk.backends.events import (
    Event,
    ExecutionStarted,
    Finished,
    NodeExecuting,
    NodesCached,
    Progress,
)
from ltx2sdk.graph.core import Graph

PID = "p1"


def ltx2_graph() -> Graph:
    """LTX-2's two-stage graph: stage 1 samples 8 steps (node 15), stage 2 three (node 23)."""
    return build(GenerationRequest(prompt="a fox", duration=1, width=256, height=256)).graph


def run_events(graph: Graph, *, step_seconds: dict[str, float], load_seconds: float = 0.5,
               light_seconds: float = 0.01, reports: str = "made",
               steps: dict[str, int] | None = None,
               silent: frozenset[str] = frozenset()) -> Iterator[tuple[float, Event]]:
    """A run as a server reports it, each event with the time it comes: every node in order,
    each other node ``light_seconds`` long, each sampler ``load_seconds`` before its first
    step (the model moves in), then its ``steps`` (default: the graph's)
    ``step_seconds[node]`` each, reported as ``reports`` says:

    - ``made``: ComfyUI's way, each step once made (1 after the first, the last as it ends);
    - ``begun``: the stand-in's (``python -m tests.comfyserver``), each step as it begins
      (1 at the start, the last one still to make when it is reported);
    - ``from 0``: 0 at the start, then each step once made.

    The ``silent`` nodes are found in the server's cache as the run comes to them: they
    take no time and nothing is said of them (ComfyUI's way with a node whose inputs match
    one that ran).
    """
    now = 0.0
    yield now, ExecutionStarted(PID)
    tracker = ProgressTracker(graph, lambda update: None)
    for node in graph:
        if node.id in silent:
            continue
        yield now, NodeExecuting(PID, node.id)
        if node.id in tracker.steps:
            count = (steps or {}).get(node.id, tracker.steps[node.id])
            step = step_seconds[node.id]
            now += load_seconds
            if reports == "from 0":
                yield now, Progress(PID, node.id, 0, count)
            for value in range(1, count + 1):
                if reports == "begun":
                    yield now, Progress(PID, node.id, value, count)
                now += step
                if reports != "begun":
                    yield now, Progress(PID, node.id, value, count)
        else:
            now += light_seconds
    yield now, Finished(PID)


def track(graph: Graph, events: Iterator[tuple[float, Event]]) -> list[ProgressUpdate]:
    clock = {"now": 0.0}
    updates: list[ProgressUpdate] = []
    tracker = ProgressTracker(graph, updates.append, clock=lambda: clock["now"])
    for when, event in events:
        clock["now"] = when
        tracker(event)
    return updates


def test_the_eta_counts_the_sampler_steps_left_at_their_rate() -> None:
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 2.0, "23": 2.0}))
    steps = [u for u in updates if u.sampling]
    # 11 steps of 2 s: at stage 1's step 3 of 8, 5 + 3 are left: 16 s, and stage 2's model
    # load (0.5 s, as stage 1's) and the 12 other nodes left (0.01 s each, as those before)
    [third] = [u for u in steps if (u.stage, u.step) == ("Stage 1 sampling", 3)]
    assert (third.rate, third.eta, third.steps_left) == (pytest.approx(0.5),
                                                         pytest.approx(16.62), 8)
    # was: "45.9% ... ETA 0:00" at step 1 of 4, loader nodes counting as much as steps
    for update in updates:
        if update.steps_left and update.eta is not None:
            assert update.eta >= update.steps_left * 2.0 - 1e-9
            assert clock_text(update.eta, up=True) != "0:00"
    # before a sampler's second step there is no rate to tell by: no number at all
    first = steps[0]
    assert (first.step, first.eta, first.rate) == (1, None, None)
    assert "ETA after the first steps" in progress_line(first)
    # the last step made, decoding is left: the nodes left at the time the others took
    # (was: no ETA at all), and never 0:00 for a fraction of a second
    last = next(u for u in updates if u.stage == "Decode video")  # and 3 more after it
    assert last.eta == pytest.approx(0.04) and "ETA 0:01" in progress_line(last)


@pytest.mark.parametrize(("reports", "load"), [("made", 1.5), ("begun", 0.4), ("begun", 1.2),
                                               ("from 0", 1.5)])
def test_the_eta_is_the_time_the_run_has_left(reports: str, load: float) -> None:
    """At every update with a number, the ETA is the run's true time left, within a tenth
    of a step: the steps of both stages, however the server counts them (the stand-in
    reports a step as it begins: the ETA was a step low), the samplers' model loads and the
    other nodes (loaders, decoders: 26 of them, 0.4 s each, that the ETA left out). The
    stand-in's way is told by its first step's report coming sooner than a step takes after
    the overhead every node has (its ``--node-delay``: here up to 1.2 s, 0.4 s for the
    other nodes)."""
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 2.0, "23": 2.0},
                                      load_seconds=load, light_seconds=0.4, reports=reports))
    end = updates[-1].elapsed
    timed = [u for u in updates if u.eta is not None]
    assert len(timed) > 10
    for update in timed:
        assert update.eta == pytest.approx(end - update.elapsed, abs=0.2), (
            update, end - update.elapsed)
    # the first number comes at stage 1's second report, from then on there is one
    first = updates.index(timed[0])
    assert all(u.eta is not None for u in updates[first:-1])


def test_a_multi_stage_run_is_on_time_once_each_stage_has_its_pace() -> None:
    """Stage 2 steps four times as slow as stage 1: from its second step, the ETA is its
    steps at its own pace and the decoding after them (stage 1's rate could not know)."""
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 1.0, "23": 4.0},
                                      light_seconds=0.2, reports="begun"))
    end = updates[-1].elapsed
    stage2 = [u for u in updates if u.node_id == "23" and u.sampling]
    for update in stage2[1:]:
        assert update.eta == pytest.approx(end - update.elapsed, abs=0.1), update
    after = [u for u in updates if u.elapsed > stage2[-1].elapsed and not u.done]
    assert after and all(u.eta == pytest.approx(end - u.elapsed, abs=0.1) for u in after)


def test_a_node_found_in_the_cache_during_the_run_is_not_waited_for() -> None:
    # stage 2's guider is stage 1's over again: ComfyUI takes it from its cache, silently.
    # Until stage 2 starts it is counted (a node's time high, never low), then no more
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 1.0, "23": 1.0},
                                      light_seconds=0.3, silent=frozenset({"22"})))
    end = updates[-1].elapsed
    stage2 = next(i for i, u in enumerate(updates) if u.node_id == "23")
    for update in updates[:stage2]:
        if update.eta is not None:
            assert 0 <= update.eta - (end - update.elapsed) <= 0.3 + 1e-9, update
    for update in updates[stage2:-1]:
        assert update.eta == pytest.approx(end - update.elapsed, abs=0.01), update


def test_a_decoder_that_reports_its_tiles_is_timed_by_them() -> None:
    # the quick nodes say 0.1 s each; the video decoder takes 8 s, in 4 tiles it reports
    events = list(run_events(ltx2_graph(), step_seconds={"15": 1.0, "23": 1.0},
                             light_seconds=0.1))
    at = next(i for i, (_, e) in enumerate(events)
              if isinstance(e, NodeExecuting) and e.node_id == "25")
    start = events[at][0]  # the decoder starts when the node before it ends
    tiles = [(start + 2.0 * tile, Progress(PID, "25", tile, 4)) for tile in range(1, 5)]
    later = [(when + 8.0 - 0.1, event) for when, event in events[at + 1:]]
    graph = ltx2_graph()
    updates = track(graph, iter(events[:at + 1] + tiles + later))
    end = updates[-1].elapsed
    decoding = [u for u in updates if u.node_id == "25" and u.steps]
    assert [u.step for u in decoding] == [1, 2, 3, 4]
    for update in decoding:  # was: the quick nodes' 0.1 s, then 0.0 while it decoded
        assert update.eta == pytest.approx(end - update.elapsed, abs=0.01), update


def test_a_server_that_reports_steps_as_they_begin_is_told_by_its_first_sampler() -> None:
    # a long model load before the first step hides how the server counts: the ETA takes
    # ComfyUI's way until stage 1 ends, then knows from the step it still made after its
    # last report
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 1.0, "23": 1.0},
                                      load_seconds=3.0, light_seconds=0.1, reports="begun"))
    end = updates[-1].elapsed
    stage2 = [u for u in updates if u.node_id == "23" and u.sampling]
    assert all(u.eta == pytest.approx(end - u.elapsed, abs=0.1) for u in stage2), stage2


def test_the_eta_never_climbs_while_the_sampler_keeps_its_pace() -> None:
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 1.5, "23": 1.5},
                                      load_seconds=3.0, light_seconds=0.4))
    etas = [u.eta for u in updates if u.eta is not None]
    assert len(etas) > 8
    assert etas == sorted(etas, reverse=True)  # was: 0:01 climbing to 0:02 at "Stage 1 split"
    percents = [u.percent for u in updates]
    assert percents == sorted(percents) and updates[-1].percent == 100.0


def test_the_percent_follows_the_steps_not_the_node_count() -> None:
    graph = ltx2_graph()
    updates = track(graph, run_events(graph, step_seconds={"15": 1.0, "23": 1.0}))
    [first_step] = [u for u in updates if u.sampling and u.step == 1 and u.node_id == "15"]
    # 15 quick nodes before it: a tenth of a step each, against 11 steps
    assert first_step.percent < 25.0  # was 45.9 %


def test_a_slower_stage_takes_over_the_rate_and_the_servers_step_count_wins() -> None:
    graph = ltx2_graph()
    events = list(run_events(graph, step_seconds={"15": 1.0, "23": 4.0}))
    # the server samples stage 2 in 5 steps, not the graph's 3: its count wins once it says
    events = [(t, Progress(PID, e.node_id, e.value, 5)) if isinstance(e, Progress)
              and e.node_id == "23" else (t, e) for t, e in events]
    updates = track(graph, iter(events))
    stage2 = [u for u in updates if u.sampling and u.node_id == "23"]
    assert stage2[0].rate is None and stage2[1].rate == pytest.approx(0.25)
    # 3 steps left at 4 s, and the 5 nodes after it at 0.01 s
    assert stage2[1].eta == pytest.approx(12.05)


def test_cached_samplers_are_not_waited_for() -> None:
    graph = ltx2_graph()
    clock = {"now": 0.0}
    updates: list[ProgressUpdate] = []
    tracker = ProgressTracker(graph, updates.append, clock=lambda: clock["now"])
    tracker(ExecutionStarted(PID))
    tracker(NodesCached(PID, tuple(str(n) for n in range(1, 16))))  # stage 1 came from the cache
    tracker(NodeExecuting(PID, "23"))
    for step in (1, 2):
        clock["now"] += 2.0
        tracker(Progress(PID, "23", step, 3))
    assert updates[-1].steps_left == 1 and updates[-1].eta == 2.0


def test_a_sampler_whose_last_steps_were_not_passed_on_is_done_when_the_next_one_reports(
        ) -> None:
    graph = ltx2_graph()
    clock = {"now": 0.0}
    updates: list[ProgressUpdate] = []
    tracker = ProgressTracker(graph, updates.append, clock=lambda: clock["now"])
    tracker(ExecutionStarted(PID))
    for step in (1, 3, 5):  # a proxy passes on some of stage 1's steps, and no node's start
        clock["now"] += 2.0
        tracker(Progress(PID, "15", step, 8))
    for step in (1, 2):
        clock["now"] += 2.0
        tracker(Progress(PID, "23", step, 3))
    assert updates[-1].steps_left == 1  # not 4: stage 1 has ended


# --- the terminal line -----------------------------------------------------------------------

SAMPLING = ProgressUpdate("Stage 1 sampling", "15", "SamplerCustomAdvanced", 2, 4, 45.9,
                          elapsed=7.0, eta=8.0, rate=1.0, steps_left=6)


@pytest.mark.parametrize("columns", [200, 100, 80, 60, 40, 30])
def test_the_terminal_line_keeps_percent_step_and_eta_at_any_width(
        columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    tty = io.StringIO()
    ProgressPrinter(tty, interactive=True)(SAMPLING)
    [drawn] = tty.getvalue().split("\r")[1:]
    assert len(drawn) == columns - 1  # never wider than the terminal: "\r" redraws it whole
    # was at 80: "...Stage 1 sampling step 2/4  1.00 steps/" (neither elapsed nor ETA)
    for number in ("45.9%", "step 2/4", "ETA 0:08"):
        assert number in drawn, (columns, drawn)
    if columns >= 80:
        assert "elapsed 0:07" in drawn and "Stage 1 sampling" in drawn


def test_the_terminal_line_loses_the_rate_then_shortens_the_stage() -> None:
    full = progress_line(SAMPLING, 200)
    assert full == ("[#########-----------]  45.9%  Stage 1 sampling step 2/4  ETA 0:08  "
                    "elapsed 0:07  1.00 steps/s")
    assert progress_line(SAMPLING, 79) == (  # the rate goes, then the bar narrows
        "[####------]  45.9%  Stage 1 sampling step 2/4  ETA 0:08  elapsed 0:07")
    assert progress_line(SAMPLING, 59) == (  # the bar goes
        " 45.9%  Stage 1 sampling step 2/4  ETA 0:08  elapsed 0:07")
    assert progress_line(SAMPLING, 45) == (  # the stage is shortened, elapsed goes
        " 45.9%  Stage 1 sampling step 2/4  ETA 0:08")
    assert progress_line(SAMPLING, 39) == " 45.9%  Stage 1 s... step 2/4  ETA 0:08"
    assert progress_line(SAMPLING, 29) == " 45.9% step 2/4  ETA 0:08"  # and the stage


def test_before_a_rate_the_eta_says_so_and_gives_way_first() -> None:
    first = ProgressUpdate("Stage 1 sampling", "15", "SamplerCustomAdvanced", 1, 4, 24.0,
                           elapsed=1.0, steps_left=7)
    assert progress_line(first, 100) == ("[####----------------]  24.0%  Stage 1 sampling "
                                         "step 1/4  ETA after the first steps  elapsed 0:01")
    assert progress_line(first, 59) == (
        "[##--------]  24.0%  Stage... step 1/4  ETA ?  elapsed 0:01")


def test_fit_cuts_in_the_order_given() -> None:
    pieces = [Piece("abcdefghijkl"), Piece("12345"), Piece("xyz")]
    cuts = (Cut(2), Cut(0, shorten=True), Cut(1))
    assert fit(pieces, 100, cuts) == "abcdefghijkl  12345  xyz"
    assert fit(pieces, 19, cuts) == "abcdefghijkl  12345"  # xyz goes first
    assert fit(pieces, 15, cuts) == "abcde...  12345"  # then the name is shortened
    assert fit(pieces, 12, cuts) == "abcdefghijkl"  # too short to shorten: 12345 goes
    assert fit(pieces, 3, cuts) == "abc"  # and at the end the line is cut short


# --- the log -----------------------------------------------------------------------------------

def test_a_log_gets_a_few_lines_per_stage_each_with_its_steps() -> None:
    graph = ltx2_graph()
    log = io.StringIO()
    printer = ProgressPrinter(log, interactive=False)
    clock = {"now": 0.0}
    tracker = ProgressTracker(graph, printer, clock=lambda: clock["now"])
    stage1_steps = 20
    for when, event in run_events(graph, step_seconds={"15": 1.0, "23": 1.0}):
        if isinstance(event, Progress) and event.node_id == "15":
            event = Progress(PID, "15", event.value, stage1_steps)
        clock["now"] = when
        tracker(event)
        if isinstance(event, Progress) and event.node_id == "15" and event.value == 8:
            for value in range(9, stage1_steps + 1):  # the server's count: 20 steps
                clock["now"] += 1.0
                tracker(Progress(PID, "15", value, stage1_steps))
    lines = log.getvalue().splitlines()
    # was: one line per node (28), none with a step or a rate
    assert len(lines) <= 12, lines
    stage1 = [line for line in lines if "Stage 1 sampling" in line]
    assert [line.split("step ")[1].split()[0] for line in stage1] == [
        "1/20", "5/20", "10/20", "15/20", "20/20"]
    assert "steps/s" in stage1[1] and "ETA " in stage1[1] and "elapsed" in stage1[1]
    assert lines[0].startswith("  0.0%  started") and lines[-1].startswith("100.0%  finished")


def test_a_log_says_something_during_a_long_quiet_node() -> None:
    log = io.StringIO()
    printer = ProgressPrinter(log, interactive=False, min_interval=30.0)
    for elapsed, stage in ((0.0, "started"), (1.0, "Checkpoint"), (2.0, "Text encoder"),
                           (45.0, "Prompt")):
        printer(ProgressUpdate(stage, "1", "X", 0, 0, 1.0, elapsed=elapsed, steps_left=11))
    assert [line.split("%  ")[1].split("  ")[0] for line in log.getvalue().splitlines()] == [
        "started", "Prompt"]  # the quick nodes between: no line


# --- the stand-in --------------------------------------------------------------------------------

def test_the_stand_in_makes_the_steps_the_graph_gives_each_sampler(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m tests.comfyserver`` ran 4 steps in every sampler: stage 2's 3 became 4
    once it started, and until then the ETA was a step low (and then climbed). Its default
    now is the graph's count, as ComfyUI's; ``--sampler-steps N`` still sets one for all."""
    import tests.comfyserver.__main__ as stand_in
    from tests.comfyserver.nodes import Simulation
    from tests.helpers import catalog_server

    made: list[Simulation] = []

    class Unstarted:  # what the command would serve, not served
        def __init__(self, *, sim: Simulation, **options: Any) -> None:
            made.append(sim)

        def start(self) -> None:
            raise OSError(errno.EACCES, "not in this test")

        def stop(self) -> None:
            pass

    monkeypatch.setattr(stand_in, "ComfyTestServer", Unstarted)
    for argv in ([], ["--sampler-steps", "5"]):
        with pytest.raises(SystemExit):
            stand_in.main(["--port", "0", *argv])
    assert [sim.sampler_steps for sim in made] == [None, 5]
    events: list[Event] = []
    request = GenerationRequest(prompt="a fox", duration=1, width=256, height=256)
    with catalog_server(tmp_path, sim=Simulation(sampler_steps=None)) as srv:
        generate(request, srv.url, output=tmp_path / "fox.mp4", on_event=events.append)
    counts = {e.node_id: e.max for e in events if isinstance(e, Progress)}
    assert counts == ProgressTracker(ltx2_graph(), lambda update: None).steps == {
        "15": 8, "23": 3}
