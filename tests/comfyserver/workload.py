"""What makes a batch's scheduling matter, and the stand-in's own log of it.

A real ComfyUI pays for loading a pipeline's model files (tens of seconds to minutes for a
20-40 GB checkpoint) and keeps the last ones loaded; each job runs for a while on the GPU;
inputs and videos cross a network of limited bandwidth. The stand-in emulates these with
:class:`~tests.comfyserver.nodes.Simulation`'s ``model_load_seconds``, ``models_kept``,
``job_seconds`` and ``upload_bytes_per_s`` / ``download_bytes_per_s`` (all off by default),
and logs what it did in :class:`StandinStats` (``ServerState.stats``; ``GET
/ltx2sdk-standin/stats`` as JSON), so that a test or a benchmark counts model loads and idle
time from the server's side, not the client's.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_RECORDS = 10000
"""Per-prompt records kept (the oldest are dropped); the totals count every prompt."""


def model_set(prompt: Mapping[str, Any], model_combos: Iterable[tuple[str, str]]
              ) -> frozenset[str]:
    """The model files a prompt loads: every string value of a model-file combo input
    (``CheckpointLoaderSimple.ckpt_name``, ``LoraLoaderModelOnly.lora_name``, ...: the
    catalog's ``model_combos``) of its nodes, as file names. Empty for a graph without
    loaders (it loads nothing)."""
    wanted: dict[str, set[str]] = {}
    for class_type, input_name in model_combos:
        wanted.setdefault(class_type, set()).add(input_name)
    names: set[str] = set()
    for node in prompt.values():
        inputs = node.get("inputs", {}) if isinstance(node, Mapping) else {}
        for input_name in wanted.get(str(node.get("class_type")), ()):
            value = inputs.get(input_name)
            if isinstance(value, str):
                names.add(value)
    return frozenset(names)


@dataclass
class PromptRecord:
    """One prompt's run: wall-clock ``started``/``ended`` (``time.time()``; ``ended`` None
    while it runs), when it was ``queued`` (``POST /prompt``; before the previous prompt's
    end when a client queues ahead), ``idle_before``: how long the server had waited since
    its previous prompt ended (None for its first), its model files, whether they had to be
    loaded and how long that took, and how it ended (``success``, ``error``,
    ``interrupted``, or ``abandoned`` by a restart)."""

    prompt_id: str
    started: float
    models: tuple[str, ...]
    queued: float | None = None
    idle_before: float | None = None
    loaded: bool = False
    load_seconds: float = 0.0
    ended: float | None = None
    status: str = "running"

    def as_json(self) -> dict[str, Any]:
        return {"prompt_id": self.prompt_id, "queued": self.queued,
                "idle_before": self.idle_before, "started": self.started, "ended": self.ended,
                "seconds": None if self.ended is None else self.ended - self.started,
                "models": list(self.models), "loaded": self.loaded,
                "load_seconds": self.load_seconds, "status": self.status}


@dataclass
class TransferTotals:
    """Bodies of one kind (uploads or downloads): how many, their bytes, and the seconds
    from each one's first byte to its last (paced by the cap when one is set; an uncapped
    download is handed to the OS whole and logs 0 s)."""

    count: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "bytes": self.bytes, "seconds": self.seconds}


@dataclass
class StandinStats:
    """The stand-in's log: prompts run, model sets loaded (the last ``models_kept`` are kept,
    least recently used dropped first), transfers. Lives on the server's event loop; read
    it there (``srv.call(srv.state.stats.as_json)``) or through ``GET
    /ltx2sdk-standin/stats``."""

    records: list[PromptRecord] = field(default_factory=list)
    prompts: int = 0
    model_loads: int = 0
    load_seconds: float = 0.0
    busy_seconds: float = 0.0
    """Seconds of prompts that ended (start to end, their model loads included)."""
    first_started: float | None = None
    last_ended: float | None = None
    running: PromptRecord | None = None
    loaded: OrderedDict[frozenset[str], None] = field(default_factory=OrderedDict)
    """The model sets kept loaded, least recently used first."""
    uploads: TransferTotals = field(default_factory=TransferTotals)
    downloads: TransferTotals = field(default_factory=TransferTotals)

    def needs_load(self, models: frozenset[str]) -> bool:
        """Whether running a prompt of ``models`` loads them (none of the kept sets is it).
        An empty set loads nothing."""
        return bool(models) and models not in self.loaded

    def keep(self, models: frozenset[str], kept: int) -> None:
        """``models`` were just used (loaded or already there): the most recent set; only
        the ``kept`` most recent sets stay loaded."""
        if not models:
            return
        self.loaded[models] = None
        self.loaded.move_to_end(models)
        while len(self.loaded) > max(kept, 1):
            self.loaded.popitem(last=False)

    def unload_all(self) -> None:
        """A restart: nothing is loaded any more (the log itself is kept)."""
        self.loaded.clear()

    def start(self, prompt_id: str, models: frozenset[str],
              queued: float | None = None) -> PromptRecord:
        """A prompt starts (``queued``: when it was queued, ``time.time()``)."""
        record = PromptRecord(prompt_id, time.time(), tuple(sorted(models)), queued)
        if self.last_ended is not None:
            record.idle_before = max(record.started - self.last_ended, 0.0)
        self.prompts += 1
        if self.first_started is None:
            self.first_started = record.started
        self.running = record
        self.records.append(record)
        del self.records[:-MAX_RECORDS]
        return record

    def loaded_for(self, record: PromptRecord, seconds: float) -> None:
        """``record``'s prompt loaded its model set, which took ``seconds``."""
        record.loaded, record.load_seconds = True, seconds
        self.model_loads += 1
        self.load_seconds += seconds

    def end(self, record: PromptRecord, status: str) -> None:
        record.ended, record.status = time.time(), status
        self.busy_seconds += record.ended - record.started
        self.last_ended = record.ended
        if self.running is record:
            self.running = None

    def transferred(self, totals: TransferTotals, size: int, seconds: float) -> None:
        totals.count += 1
        totals.bytes += size
        totals.seconds += seconds

    def as_json(self, now: float | None = None) -> dict[str, Any]:
        """The log as JSON. ``busy_seconds`` counts the running prompt up to ``now`` too;
        ``span_seconds`` runs from the first prompt's start to the last one's end (to
        ``now`` while one runs); ``idle_seconds`` is the span less the busy time: how long
        the server waited between prompts for its client."""
        now = time.time() if now is None else now
        busy = self.busy_seconds
        end = self.last_ended
        if self.running is not None:
            busy += now - self.running.started
            end = now
        span = 0.0 if self.first_started is None or end is None else end - self.first_started
        return {
            "prompts": self.prompts,
            "model_loads": self.model_loads,
            "load_seconds": self.load_seconds,
            "busy_seconds": busy,
            "span_seconds": span,
            "idle_seconds": max(span - busy, 0.0),
            "first_started": self.first_started,
            "last_ended": self.last_ended,
            "loaded": [sorted(models) for models in self.loaded],
            "uploads": self.uploads.as_json(),
            "downloads": self.downloads.as_json(),
            "records": [record.as_json() for record in self.records],
        }


async def pace(started: float, done: int, bytes_per_s: float | None) -> None:
    """Wait until ``done`` bytes since ``started`` (``time.monotonic()``) are no faster than
    ``bytes_per_s`` (None or 0: no cap)."""
    if bytes_per_s:
        wait = started + done / bytes_per_s - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
