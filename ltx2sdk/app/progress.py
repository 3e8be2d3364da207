"""Turning a run's events into progress a person understands.

Node ids mean nothing to a user; the graph's titles do ("Stage 1 sampling").

What takes the time is the samplers' steps, so the estimates count those: the percentage
counts each sampler by its steps (the count its progress events give, else the graph's) and
every other node as :data:`LIGHT_WEIGHT` of a step; the rate is a sampler's steps per second
since its first step seen (the first step also loads the model); the ETA is the steps left
in every sampler not run yet, at the latest rate known. Before a sampler has made two steps
there is no rate and no ETA (a guess from node counts said 0:00 with most of the run to
come); after the last step there is none either (what is left is decoding, which the steps
cannot measure). While the sampler keeps its pace the ETA only falls.
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
    started, ``eta`` the seconds the sampler steps left should take (``None`` before a rate
    is known, or when no step is left), ``rate`` the running sampler's steps per second
    (``None`` for other nodes and before its second step), ``steps_left`` the sampler steps
    not made yet."""

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
    updates, their pace measured on ``clock`` (any monotonic clock; tests pass their own)."""

    def __init__(self, graph: Graph, callback: ProgressCallback, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.graph = graph
        self.callback = callback
        self.clock = clock
        self.steps = {node.id: _sampler_steps(graph, node.id)
                      for node in graph if node.class_type in SAMPLER_TYPES}
        self.light = {node.id for node in graph if node.id not in self.steps}
        self.done: set[str] = set()
        self.current: str | None = None
        self.current_step = 0  # the running sampler's steps done
        self._started: float | None = None
        self._first: tuple[str, int, float] | None = None  # a sampler, its first step seen, when
        self._rate: float | None = None  # steps/s of the latest sampler with two steps seen
        self._percent_shown = 0.0  # a count the server corrects never moves the bar back

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
            self._rate = (step - first[1]) / (now - first[2])
            return self._rate
        return None

    def _emit(self, now: float, node_id: str, step: int = 0, steps: int = 0,
              rate: float | None = None) -> None:
        try:
            node = self.graph.node(node_id)
            stage, class_type = node.title, node.class_type
        except KeyError:
            stage, class_type = f"node {node_id}", "?"
        left = self.steps_left()
        eta = left / self._rate if self._rate and left else None
        self.callback(ProgressUpdate(stage, node_id, class_type, step, steps, self._percent(),
                                     elapsed=self._elapsed(now), eta=eta, rate=rate,
                                     steps_left=left))

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
            if self.current is not None:
                self.done.add(self.current)
            self.current, self.current_step = event.node_id, 0
            self._emit(now, event.node_id)
        elif isinstance(event, Progress):
            rate = None
            if self.current is not None and self.current != event.node_id:
                # one node runs at a time: a server that passes on only some events (the
                # Comfy API v2) may skip the next node's start, not the end of this one
                self.done.add(self.current)
            if event.node_id in self.steps:
                if event.max > 0:  # the server's count beats the graph's
                    self.steps[event.node_id] = event.max
                self.current, self.current_step = event.node_id, min(event.value, event.max)
                rate = self._measure(event.node_id, event.value, now)
            else:
                self.current = event.node_id
            self._emit(now, event.node_id, event.value, event.max, rate)
        elif isinstance(event, NodeExecuted):
            self.done.add(event.node_id)
        elif isinstance(event, Finished):
            self.callback(ProgressUpdate("finished", "", "", 0, 0, 100.0, done=True,
                                         elapsed=self._elapsed(now)))


def clock_text(seconds: float, *, up: bool = False) -> str:
    """``0:07``, ``12:05``, ``1:02:03``: a duration as a person reads it on a progress line;
    ``up`` rounds up (a time left: never ``0:00`` while there is some)."""
    whole = max(0, math.ceil(seconds) if up else int(seconds + 0.5))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
