"""Turning a run's events into progress a person understands.

Node ids mean nothing to a user; the graph's titles do ("Stage 1 sampling").
Samplers dominate the time, so each counts by its number of steps and every
other node counts as one step: the percentage then moves about evenly.
"""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class ProgressUpdate:
    """Where a run is: ``stage`` is the running node's title, ``step``/``steps`` its
    sampler steps (0/0 for other nodes), ``percent`` the whole run's estimate."""

    stage: str
    node_id: str
    class_type: str
    step: int
    steps: int
    percent: float
    done: bool = False

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
    """Feed it every :class:`~ltx2sdk.backends.events.Event`; it calls ``callback`` with updates."""

    def __init__(self, graph: Graph, callback: ProgressCallback) -> None:
        self.graph = graph
        self.callback = callback
        self.weights = {
            node.id: (_sampler_steps(graph, node.id) if node.class_type in SAMPLER_TYPES else 1)
            for node in graph
        }
        self.total = sum(self.weights.values()) or 1
        self.done: set[str] = set()
        self.current: str | None = None
        self.current_fraction = 0.0

    def _percent(self) -> float:
        finished = sum(self.weights[n] for n in self.done if n in self.weights)
        running = self.weights.get(self.current or "", 0) * self.current_fraction
        return min(100.0, 100.0 * (finished + running) / self.total)

    def _emit(self, node_id: str, step: int = 0, steps: int = 0, done: bool = False) -> None:
        try:
            node = self.graph.node(node_id)
            stage, class_type = node.title, node.class_type
        except KeyError:
            stage, class_type = f"node {node_id}", "?"
        self.callback(ProgressUpdate(stage, node_id, class_type, step, steps,
                                     100.0 if done else self._percent(), done))

    def __call__(self, event: Event) -> None:
        if isinstance(event, ExecutionStarted):
            self.callback(ProgressUpdate("started", "", "", 0, 0, 0.0))
        elif isinstance(event, NodesCached):
            self.done.update(event.nodes)
        elif isinstance(event, NodeExecuting):
            if self.current is not None:
                self.done.add(self.current)
            self.current, self.current_fraction = event.node_id, 0.0
            self._emit(event.node_id)
        elif isinstance(event, Progress):
            self.current, self.current_fraction = event.node_id, event.value / max(event.max, 1)
            self._emit(event.node_id, event.value, event.max)
        elif isinstance(event, NodeExecuted):
            self.done.add(event.node_id)
        elif isinstance(event, Finished):
            self.callback(ProgressUpdate("finished", "", "", 0, 0, 100.0, done=True))


def clock_text(seconds: float) -> str:
    """``0:07``, ``12:05``, ``1:02:03``: a duration as a person reads it on a progress line."""
    whole = max(0, int(seconds + 0.5))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Pace:
    """How fast a run goes, as of one update: ``elapsed`` seconds since it started,
    ``eta`` the seconds left (``None`` until there is enough to tell), ``rate`` the running
    sampler's steps per second (``None`` for other nodes and a sampler's first step)."""

    elapsed: float
    eta: float | None
    rate: float | None

    def __str__(self) -> str:
        parts = [f"{self.rate:.2f} steps/s"] if self.rate is not None else []
        parts.append(f"elapsed {clock_text(self.elapsed)}")
        if self.eta is not None:
            parts.append(f"ETA {clock_text(self.eta)}")
        return "  ".join(parts)


class PaceMeter:
    """Feed it each :class:`ProgressUpdate` with the time it came (any monotonic clock);
    it says the run's :class:`Pace`.

    The rate counts a sampler's steps since its first one seen (loading and the first step
    aside); the ETA is the time so far scaled by the percentage left, said from 1 % on (before
    that, model loading dominates and any estimate is noise).
    """

    MIN_PERCENT_FOR_ETA = 1.0

    def __init__(self) -> None:
        self._started: float | None = None
        self._sampler: tuple[str, int, float] | None = None  # node id, first step, its time

    def __call__(self, update: ProgressUpdate, now: float) -> Pace:
        if self._started is None:
            self._started = now
        elapsed = now - self._started
        rate = None
        if update.steps:
            if self._sampler is None or self._sampler[0] != update.node_id \
                    or update.step < self._sampler[1]:
                self._sampler = (update.node_id, update.step, now)
            _, first, since = self._sampler
            if update.step > first and now > since:
                rate = (update.step - first) / (now - since)
        eta = None  # a finished run has none to give: elapsed says how long it took
        if not update.done and update.percent >= self.MIN_PERCENT_FOR_ETA and elapsed > 0:
            eta = elapsed * (100.0 - update.percent) / update.percent
        return Pace(elapsed, eta, rate)
