"""Turning a run's events into progress a person understands.

Node ids mean nothing to a user; the graph's titles do ("Stage 1 sampling").

What takes the time is the samplers' steps, so the percentage counts those: each sampler by
its steps (the count its progress events give, else the graph's) and every other node as
:data:`LIGHT_WEIGHT` of a step.

The ETA is the time the run has left, every part measured in this run:

- a sampler's steps left, at the latest rate known (a sampler's steps per second since its
  first step seen: the first one also loads the model);
- each sampler not started yet: its steps at that rate, after the time the latest sampler
  took before its first step (moving the model in);
- each other node not run yet (loaders, the decoders after the last step): the mean time
  the other nodes took so far; a running one that reports its own progress (a decoder's
  tiles) at its own pace when that is longer;
- how the server counts steps: ComfyUI reports a step once made (1 after the first), a
  server that reports a step as it begins (1 at the start, the last one still to make) has
  one step more to go than its count says. Told by the first sampler's first report coming
  sooner than a step could be made (after a node's usual overhead: the median time of the
  other nodes), and by each sampler's time after its last report.

A node the server takes from its cache as the run comes to it says nothing (ComfyUI's way
with a node whose inputs match one that ran): it is counted until a node that takes its
output starts (a node's time high, never low).

Before a sampler has made two steps there is no rate and no ETA (a guess from node counts
said 0:00 with most of the run to come); where nothing is measurable (no node's start is
passed on, or nothing is left) there is none either, rather than 0:00. While the pace holds,
the ETA only falls.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ltx2sdk.backends.events import (
    Event,
    ExecutionStarted,
    Finished,
    NodeExecuted,
    NodeExecuting,
    NodesCached,
    Progress,
)
from ltx2sdk.graph.core import Graph

SAMPLER_TYPES = frozenset({"SamplerCustomAdvanced", "KSampler", "KSamplerAdvanced",
                           "SamplerCustom"})
LIGHT_WEIGHT = 0.1
"""What a node other than a sampler counts for in the percentage, in sampler steps."""


@dataclass(frozen=True)
class ProgressUpdate:
    """Where a run is: ``stage`` is the running node's title, ``step``/``steps`` its
    progress (a sampler's steps; 0/0 for nodes that tell none), ``percent`` the whole run's
    estimate. Its pace (:class:`ProgressTracker`): ``elapsed`` seconds since the run
    started, ``eta`` the seconds the run has left (see the module: ``None`` before a rate
    is known, or when nothing left is measurable), ``rate`` the running sampler's steps per
    second (``None`` for other nodes and before its second step), ``steps_left`` the sampler
    steps not made yet."""

    stage: str
    node_id: str
    class_type: str
    step: int
    steps: int
    percent: float
    done: bool = False
    elapsed: float = 0.0
    eta: float | None = None
    rate: float | None = None
    steps_left: int = 0

    @property
    def sampling(self) -> bool:
        """The running node is a sampler: ``step``/``steps`` are its steps."""
        return self.class_type in SAMPLER_TYPES and self.steps > 0

    def __str__(self) -> str:
        step = f" step {self.step}/{self.steps}" if self.steps else ""
        return f"{self.percent:5.1f}%  {self.stage}{step}"


ProgressCallback = Callable[[ProgressUpdate], None]


def _sampler_steps(graph: Graph, node_id: str) -> int:
    """Steps of a sampler node: sigmas minus one, or the scheduler's ``steps``."""
    node = graph.node(node_id)
    sigmas = node.inputs.get("sigmas")
    source = getattr(sigmas, "node", None)
    if source is None:
        return int(node.inputs.get("steps", 20))
    if "sigmas" in source.inputs and isinstance(source.inputs["sigmas"], str):
        return max(1, len(re.findall(r"[-+]?\d*\.?\d+(?:e[-+]?\d+)?", source.inputs["sigmas"])) - 1)
    steps = source.inputs.get("steps")
    return int(steps) if isinstance(steps, int) else 20


class ProgressTracker:
    """Feed it every :class:`~ltx2sdk.backends.events.Event`; it calls ``callback`` with
    updates, their pace measured on ``clock`` (any monotonic clock; tests pass their own).
    How the ETA is estimated: see the module."""

    def __init__(self, graph: Graph, callback: ProgressCallback, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.graph = graph
        self.callback = callback
        self.clock = clock
        self.steps = {node.id: _sampler_steps(graph, node.id)
                      for node in graph if node.class_type in SAMPLER_TYPES}
        self.light = {node.id for node in graph if node.id not in self.steps}
        self._inputs = {node.id: {out.node.id for _, out in node.links()} for node in graph}
        self.done: set[str] = set()
        self.current: str | None = None
        self.current_step = 0  # the running sampler's steps done
        self._started: float | None = None
        self._first: tuple[str, int, float] | None = None  # a sampler, its first step seen, when
        self._rate: float | None = None  # steps/s of the latest sampler with two steps seen
        self._percent_shown = 0.0  # a count the server corrects never moves the bar back
        # what the ETA measures besides the rate (see the module)
        self._since: float | None = None  # when the current node started (None: not told)
        self._last: tuple[int, float] | None = None  # the running node's last report, when
        self._told = 0  # the count of that report (a sampler's steps, a decoder's tiles)
        self._lead: float | None = None  # the latest sampler's time before its first step
        self._lead_of: str | None = None  # the sampler it was measured on
        self._light: list[float] = []  # the other nodes' measured times
        self._ahead = 0  # 1: the server reports a step as it begins (the stand-in's way)
        self._ahead_known = False  # learnt from a sampler's end, not just guessed

    def _percent(self) -> float:
        light = len(self.light) * LIGHT_WEIGHT
        total = sum(self.steps.values()) + light
        made: float = sum(steps for node, steps in self.steps.items() if node in self.done)
        made += LIGHT_WEIGHT * len(self.light & self.done)
        if self.current in self.steps and self.current not in self.done:
            made += self.current_step
        percent = min(100.0, 100.0 * made / total) if total else 0.0
        self._percent_shown = max(self._percent_shown, percent)
        return self._percent_shown

    def steps_left(self) -> int:
        """Sampler steps not made yet: the running sampler's and those not started."""
        left = sum(steps for node, steps in self.steps.items() if node not in self.done)
        if self.current in self.steps and self.current not in self.done:
            left -= self.current_step
        return max(0, left)

    def _measure(self, node_id: str, step: int, now: float) -> float | None:
        """Count a sampler's step seen at ``now``; its own rate once it has one."""
        first = self._first
        if first is None or first[0] != node_id or step < first[1]:
            self._first = (node_id, step, now)
            return None
        if step > first[1] and now > first[2]:
            known = self._rate is not None and self._lead_of == node_id
            self._rate = (step - first[1]) / (now - first[2])
            if not known and self._since is not None:  # its first rate: its lead is measurable
                self._learn_lead(first[1], first[2] - self._since)
                self._lead_of = node_id
            return self._rate
        return None

    def _learn_lead(self, first_step: int, before_first: float) -> None:
        """The running sampler took ``before_first`` s from its start to its first report
        (of step ``first_step``): the steps it made then are the rate's, the rest its lead."""
        assert self._rate is not None
        step_time = 1.0 / self._rate
        # a node's usual overhead (the median: a slow loader is no sampler's lead)
        usual = sorted(self._light)[len(self._light) // 2] if self._light else 0.0
        if not self._ahead_known and before_first - usual < (first_step - 0.5) * step_time:
            self._ahead = 1  # too soon for the step it names to be made: it has just begun
        self._lead = max(0.0, before_first - (first_step - self._ahead) * step_time)

    def _end_current(self, now: float, *, seen: bool) -> None:
        """The current node ended at ``now``; ``seen``: its end was told (a node's start
        or end event), so its time counts as measured."""
        node = self.current
        if node is None or node in self.done:
            return
        self.done.add(node)
        if not seen or self._since is None:
            return
        if node in self.light:
            self._light.append(now - self._since)
        elif self._last is not None and self._rate:
            # the time after its last report: the steps that report left, and one more
            # when the server reports a step as it begins
            after = (now - self._last[1]) * self._rate - (self.steps[node] - self._last[0])
            self._ahead, self._ahead_known = (1 if after >= 0.5 else 0), True

    def _start(self, node_id: str, now: float | None) -> None:
        self.current, self.current_step = node_id, 0
        self._since, self._last = now, None
        # what it takes in has run: a node the server found in its cache during the run
        # says nothing (ComfyUI) and is no longer waited for
        upstream = list(self._inputs.get(node_id, ()))
        while upstream:
            node = upstream.pop()
            if node not in self.done:
                self.done.add(node)
                upstream.extend(self._inputs.get(node, ()))

    def eta(self, now: float) -> float | None:
        """Seconds the run has left at ``now`` (see the module); ``None`` before a rate is
        known, or when nothing left is measurable."""
        if not self._rate:
            return None
        step_time = 1.0 / self._rate
        light = sum(self._light) / len(self._light) if self._light else 0.0
        lead = self._lead or 0.0
        left = 0.0
        for node, steps in self.steps.items():
            if node in self.done:
                continue
            if node != self.current:
                left += lead + steps * step_time
            elif self._last is not None:
                left += max(0.0, steps - self._last[0] + self._ahead) * step_time
            else:  # started, no step yet
                left += max(0.0, lead - self._running_for(now)) + steps * step_time
        for node in self.light - self.done:
            left += self._light_left(now, light) if node == self.current else light
        return left if left > 0 else None

    def _light_left(self, now: float, light: float) -> float:
        """The running other node's time left: ``light`` less its time so far, or more when
        it reports its own progress (a decoder's tiles, each reported once made) and its
        pace says so."""
        running = self._running_for(now)
        left = max(0.0, light - running)
        if self._last is not None and self._since is not None and self._last[0] > 0:
            left = max(left, running * max(0, self._told - self._last[0]) / self._last[0])
        return left

    def _running_for(self, now: float) -> float:
        return 0.0 if self._since is None else now - self._since

    def _emit(self, now: float, node_id: str, step: int = 0, steps: int = 0,
              rate: float | None = None) -> None:
        try:
            node = self.graph.node(node_id)
            stage, class_type = node.title, node.class_type
        except KeyError:
            stage, class_type = f"node {node_id}", "?"
        self.callback(ProgressUpdate(stage, node_id, class_type, step, steps, self._percent(),
                                     elapsed=self._elapsed(now), eta=self.eta(now), rate=rate,
                                     steps_left=self.steps_left()))

    def _elapsed(self, now: float) -> float:
        if self._started is None:
            self._started = now
        return now - self._started

    def __call__(self, event: Event) -> None:
        now = self.clock()  # once per event: a test's clock says when each one came
        if isinstance(event, ExecutionStarted):
            self.callback(ProgressUpdate("started", "", "", 0, 0, 0.0,
                                         elapsed=self._elapsed(now),
                                         steps_left=self.steps_left()))
        elif isinstance(event, NodesCached):
            self.done.update(event.nodes)
        elif isinstance(event, NodeExecuting):
            self._end_current(now, seen=True)
            self._start(event.node_id, now)
            self._emit(now, event.node_id)
        elif isinstance(event, Progress):
            rate = None
            if self.current != event.node_id:
                # one node runs at a time: a server that passes on only some events (the
                # Comfy API v2) may skip the next node's start, not the end of this one
                self._end_current(now, seen=False)
                self._start(event.node_id, None)
            if event.node_id in self.steps:
                if event.max > 0:  # the server's count beats the graph's
                    self.steps[event.node_id] = event.max
                self.current_step = min(event.value, event.max)
                rate = self._measure(event.node_id, event.value, now)
            self._last, self._told = (min(event.value, event.max), now), event.max
            self._emit(now, event.node_id, event.value, event.max, rate)
        elif isinstance(event, NodeExecuted):
            if event.node_id == self.current:
                self._end_current(now, seen=True)
            else:
                self.done.add(event.node_id)
        elif isinstance(event, Finished):
            self._end_current(now, seen=True)
            self.callback(ProgressUpdate("finished", "", "", 0, 0, 100.0, done=True,
                                         elapsed=self._elapsed(now)))


def clock_text(seconds: float, *, up: bool = False) -> str:
    """``0:07``, ``12:05``, ``1:02:03``: a duration as a person reads it on a progress line;
    ``up`` rounds up (a time left: never ``0:00`` while there is some)."""
    whole = max(0, math.ceil(seconds) if up else int(seconds + 0.5))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
