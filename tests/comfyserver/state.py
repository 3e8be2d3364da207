"""Queue, history, output cache and the record of what clients sent.

Mirrors ComfyUI's ``PromptQueue``: every queue change (put, get, task done, delete, clear)
broadcasts a ``status`` message with ``queue_remaining`` = pending + running.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from .hub import Hub
from .workload import StandinStats

MAX_HISTORY = 10000  # ComfyUI's MAXIMUM_HISTORY_SIZE


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class QueueItem:
    number: int | float
    prompt_id: str
    prompt: dict[str, Any]
    extra_data: dict[str, Any]
    outputs: list[str]
    signed_in: bool = False
    """Whether ``POST /prompt`` carried a Comfy account key or token in ``extra_data`` (kept
    out of ``extra_data`` itself, as ComfyUI keeps them out of the queue and history); the
    partner nodes of the prompt run only then."""

    @property
    def client_id(self) -> str | None:
        value = self.extra_data.get("client_id")
        return value if isinstance(value, str) else None

    def as_list(self) -> list[Any]:
        """The 5-element form of ``/queue`` and of ``history[id]["prompt"]``."""
        return [self.number, self.prompt_id, self.prompt, self.extra_data, self.outputs]


@dataclass
class UploadRecord:
    name: str
    subfolder: str
    type: str
    original_filename: str
    size: int
    sha256: str
    overwrite: bool


@dataclass
class Received:
    """Everything clients sent, in arrival order (inspect from tests)."""

    prompts: list[dict[str, Any]] = field(default_factory=list)
    """Bodies of POST /prompt (parsed JSON, as sent, accepted or not)."""
    uploads: list[UploadRecord] = field(default_factory=list)
    interrupts: list[dict[str, Any] | None] = field(default_factory=list)
    """Bodies of POST /interrupt (None when it had no JSON body)."""
    queue_ops: list[dict[str, Any]] = field(default_factory=list)
    frees: list[dict[str, Any] | None] = field(default_factory=list)
    ws_messages: list[tuple[str, Any]] = field(default_factory=list)
    """(sid, parsed JSON) of text frames clients sent over the WebSocket."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every HTTP request, the WebSocket's included, in arrival order."""


class OutputCache:
    """Cache key -> UI output of nodes that ran; keeps only what the latest prompt used."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, dict[str, Any] | None] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> dict[str, Any] | None:
        return self._entries.get(key)

    def put(self, key: Hashable, ui: dict[str, Any] | None) -> None:
        self._entries[key] = ui

    def keep_only(self, keys: set[Hashable]) -> None:
        self._entries = {k: v for k, v in self._entries.items() if k in keys}

    def clear(self) -> None:
        self._entries.clear()


class ServerState:
    """All mutable server state. Lives on the event loop thread."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.received = Received()
        self.cache = OutputCache()
        self.generation = 0  # bumped by a restart; running work of an older generation stops
        self.number = 0
        self.pending: list[QueueItem] = []
        self.running: QueueItem | None = None
        self.history: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.last_node_id: str | None = None
        self.interrupt = asyncio.Event()
        self.work_available = asyncio.Event()
        self.closing = False  # set on shutdown: releases handlers held by a Hang fault
        self.stats = StandinStats()  # the stand-in's own log: model loads, busy time, transfers

    # -- queue ----------------------------------------------------------------------------------

    @property
    def queue_remaining(self) -> int:
        return len(self.pending) + (1 if self.running is not None else 0)

    def broadcast_status(self, item: QueueItem | None = None) -> None:
        self.hub.send(
            "status",
            {"status": {"exec_info": {"queue_remaining": self.queue_remaining}}},
            None,
            prompt_id=item.prompt_id if item else None,
            prompt_client=item.client_id if item else None,
        )

    def next_number(self) -> int:
        number = self.number
        self.number += 1
        return number

    def put(self, item: QueueItem) -> None:
        self.pending.append(item)
        self.broadcast_status(item)
        self.work_available.set()

    def take(self) -> QueueItem | None:
        """Start the pending item with the lowest number (``front`` items are negative)."""
        if not self.pending:
            self.work_available.clear()
            return None
        item = min(self.pending, key=lambda i: i.number)
        self.pending.remove(item)
        self.running = item
        self.broadcast_status(item)
        return item

    def task_done(self, item: QueueItem, entry: dict[str, Any]) -> None:
        self.history[item.prompt_id] = entry
        while len(self.history) > MAX_HISTORY:
            self.history.popitem(last=False)
        self.running = None
        self.broadcast_status(item)

    def delete_pending(self, prompt_id: str) -> bool:
        for item in self.pending:
            if item.prompt_id == prompt_id:
                self.pending.remove(item)
                self.broadcast_status()
                return True
        return False

    def clear_pending(self) -> None:
        self.pending.clear()
        self.broadcast_status()

    def find(self, prompt_id: str) -> QueueItem | None:
        if self.running is not None and self.running.prompt_id == prompt_id:
            return self.running
        return next((i for i in self.pending if i.prompt_id == prompt_id), None)

    def request_interrupt(self, prompt_id: str | None) -> bool:
        """POST /interrupt: with an id, only if that prompt is the one running."""
        if prompt_id is not None and (self.running is None or self.running.prompt_id != prompt_id):
            return False
        self.interrupt.set()
        return True

    # -- restart --------------------------------------------------------------------------------

    def restart(self) -> None:
        """Forget everything a ComfyUI process keeps in memory and drop all sockets."""
        self.generation += 1
        self.number = 0
        self.pending.clear()
        self.running = None
        self.history.clear()
        self.cache.clear()
        self.last_node_id = None
        self.interrupt.clear()
        self.stats.unload_all()  # a new process has no model loaded
        self.hub.reset()
