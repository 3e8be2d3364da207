"""The simulated executor: one queued prompt at a time, emitting ComfyUI's message sequence.

For a prompt posted with ``client_id`` C the captured sequence is (see ``MESSAGES.md``)::

    status (get) · execution_start · execution_cached(nodes)
    per node: progress_state(running) · executing · [progress_state · progress]*
              · [executed] · progress_state(finished)
    cached output node: executed (replayed UI) · progress_state(finished)
    execution_success | execution_error | execution_interrupted
    status (task done) · executing(node null)

``execution_*``, ``executing`` and ``executed`` go to C only and are not sent at all without a
client_id; ``progress``/``progress_state`` go to C, or to everyone without a client_id; the
``execution_*`` events are also stored in ``history[id].status.messages``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from .catalog import NodeCatalog
from .faults import Faults, Hang
from .files import Storage
from .graph import schedule, signatures
from .hub import Hub, binary_text_payload
from .nodes import NodeFailure, NodeSimulator, Simulation
from .state import QueueItem, ServerState, now_ms
from .validation import FILE_INPUTS
from .workload import PromptRecord, model_set

log = logging.getLogger(__name__)

POLL = 0.01  # seconds between checks while a Hang fault holds things up


class Restarted(Exception):
    """The server restarted under a running prompt: abandon it silently."""


class Interrupted(Exception):
    def __init__(self, node_id: str) -> None:
        super().__init__(node_id)
        self.node_id = node_id


class ProgressState:
    """``progress_state`` bookkeeping: every node that is not pending, in start order."""

    def __init__(self, prompt_id: str, emit: Callable[[str, dict[str, Any]], None]) -> None:
        self.prompt_id = prompt_id
        self.nodes: dict[str, dict[str, Any]] = {}
        self._emit = emit

    def _entry(self, node_id: str, value: float, maximum: float, state: str) -> dict[str, Any]:
        return {
            "value": value,
            "max": maximum,
            "state": state,
            "node_id": node_id,
            "prompt_id": self.prompt_id,
            "display_node_id": node_id,
            "parent_node_id": None,
            "real_node_id": node_id,
        }

    def _publish(self) -> None:
        self._emit("progress_state", {"prompt_id": self.prompt_id, "nodes": dict(self.nodes)})

    def start(self, node_id: str) -> None:
        self.nodes[node_id] = self._entry(node_id, 0.0, 1.0, "running")
        self._publish()

    def update(self, node_id: str, value: int, maximum: int) -> None:
        self.nodes[node_id] = self._entry(node_id, value, maximum, "running")
        self._publish()

    def finish(self, node_id: str) -> None:
        # A node that never started (a cached output) is created with int 0/1, as captured.
        entry = self.nodes.get(node_id) or self._entry(node_id, 0, 1, "running")
        self.nodes[node_id] = self._entry(node_id, entry["max"], entry["max"], "finished")
        self._publish()


class Executor:
    """Worker task pulling prompts from :class:`ServerState` and simulating their run."""

    def __init__(
        self,
        state: ServerState,
        hub: Hub,
        catalog: NodeCatalog,
        storage: Storage,
        faults: Faults,
        sim: Simulation,
    ) -> None:
        self.state = state
        self.hub = hub
        self.catalog = catalog
        self.storage = storage
        self.faults = faults
        self.sim = sim

    async def run_forever(self) -> None:
        while True:
            while self.faults.hang is Hang.NOT_STARTED or self.faults.frozen:
                await asyncio.sleep(POLL)
            item = self.state.take()
            if item is None:
                await self.state.work_available.wait()
                continue
            try:
                await self.execute(item, self.state.generation)
            except Restarted:
                log.info("prompt %s abandoned by a restart", item.prompt_id)
            except Exception:  # keep the worker alive; a bug here must not hang every test
                log.exception("executor crashed on prompt %s", item.prompt_id)
                if self.state.running is item:
                    self.state.running = None

    async def execute(self, item: QueueItem, generation: int) -> None:
        run = _Run(self, item, generation)
        await run.execute()


class _Run:
    """One execution of one prompt."""

    def __init__(self, executor: Executor, item: QueueItem, generation: int) -> None:
        self.x = executor
        self.item = item
        self.generation = generation
        self.pid = item.prompt_id
        self.client = item.client_id
        self.messages: list[list[Any]] = []
        self.executed: list[str] = []
        self.outputs: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self.nodes = NodeSimulator(
            item.prompt, executor.catalog, executor.storage, executor.sim, executor.faults,
            signed_in=item.signed_in,
        )
        self.progress = ProgressState(self.pid, self._emit_progress)
        # Simulation.job_seconds: the share each sampler step waits, or (no sampler step to
        # run) the whole of it, waited once before the first node
        self.step_share = 0.0
        self.lump = 0.0
        self.record: PromptRecord | None = None  # its line in the stand-in's log
        self.to_load = False  # its model set is to be loaded, by the first node that runs

    # -- emitting -------------------------------------------------------------------------------

    def _check_alive(self) -> None:
        if self.x.state.generation != self.generation:
            raise Restarted

    def _send(self, event: str, data: dict[str, Any], sid: str | None) -> None:
        self._check_alive()
        self.x.hub.send(event, data, sid, prompt_id=self.pid, prompt_client=self.client)

    def _to_client(self, event: str, data: dict[str, Any]) -> None:
        """Events ComfyUI sends only when the prompt has a client_id."""
        if self.client is not None:
            self._send(event, data, self.client)

    def _emit_progress(self, event: str, data: dict[str, Any]) -> None:
        self._send(event, data, self.client)  # sid None: broadcast

    def _add_message(self, event: str, data: dict[str, Any], broadcast: bool) -> None:
        """``PromptExecutor.add_message``: stored in history, sent to the client (or all)."""
        data = {**data, "timestamp": now_ms()}
        self.messages.append([event, data])
        if self.client is not None or broadcast:
            self._send(event, data, self.client)

    async def _sleep(self, seconds: float, interruptible: bool = False) -> None:
        if seconds > 0:
            if interruptible:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.x.state.interrupt.wait(), seconds)
            else:
                await asyncio.sleep(seconds)
        while self.x.faults.frozen:  # (stopped: the run's time stands still too)
            await asyncio.sleep(POLL)
        self._check_alive()

    def _check_interrupt(self, node_id: str) -> None:
        if self.x.state.interrupt.is_set():
            self.x.state.interrupt.clear()
            raise Interrupted(node_id)

    # -- the run --------------------------------------------------------------------------------

    async def execute(self) -> None:
        state, prompt = self.x.state, self.item.prompt
        state.interrupt.clear()  # ComfyUI resets the interrupt flag when a prompt starts
        self._add_message("execution_start", {"prompt_id": self.pid}, broadcast=False)

        keys = signatures(prompt, self._salt)
        state.cache.keep_only(set(keys.values()))
        cached = [n for n in prompt if keys[n] in state.cache]
        self._add_message("execution_cached", {"nodes": cached, "prompt_id": self.pid}, False)
        order = schedule(
            prompt,
            self.item.outputs,
            is_cached=lambda n: keys[n] in state.cache,
            is_output=lambda n: self.x.catalog.is_output(prompt[n]["class_type"]),
            is_async=lambda n: self.x.catalog.is_async(prompt[n]["class_type"]),
        )
        queued = self.item.extra_data.get("create_time")  # ms, set by POST /prompt
        record = state.stats.start(self.pid, model_set(prompt, self.x.catalog.model_combos),
                                   queued / 1000 if isinstance(queued, int) else None)
        self.record, self.to_load = record, state.stats.needs_load(frozenset(record.models))
        ending = "abandoned"  # unless it gets to an end below (a restart abandons it)
        try:
            self._share_job_time([n for n in order if keys[n] not in state.cache])
            ending = await self._run_nodes(order, keys)
        finally:
            state.stats.end(record, ending)

    async def _run_nodes(self, order: list[str], keys: dict[str, Any]) -> str:
        """Run (or replay) the nodes, store the history entry; how the prompt ended."""
        state, prompt = self.x.state, self.item.prompt
        status_str, ending = "success", "success"
        try:
            for node_id in order:
                if keys[node_id] in state.cache:
                    self._replay(node_id, state.cache.get(keys[node_id]))
                    continue
                ui = await self._run_node(node_id)
                state.cache.put(keys[node_id], ui)
            self._add_message("execution_success", {"prompt_id": self.pid}, broadcast=False)
        except Interrupted as stop:
            status_str, ending = "error", "interrupted"
            self._add_message(
                "execution_interrupted",
                {
                    "prompt_id": self.pid,
                    "node_id": stop.node_id,
                    "node_type": prompt[stop.node_id]["class_type"],
                    "executed": list(self.executed),
                },
                broadcast=True,
            )
        except _Failed as failed:
            status_str = ending = "error"
            self._add_message("execution_error", failed.data, broadcast=False)

        self._check_alive()
        entry = {
            "prompt": self.item.as_list(),
            "outputs": self.outputs,
            "status": {
                "status_str": status_str,
                "completed": status_str == "success",
                "messages": self.messages,
            },
            "meta": self.meta,
        }
        state.task_done(self.item, entry)
        state.last_node_id = None
        self._to_client("executing", {"node": None, "prompt_id": self.pid})
        return ending

    async def _load_models(self) -> None:
        """Simulation.model_load_seconds: the first node that runs loads the prompt's model
        set unless it is kept loaded (its loader, as a rule: the executor runs a graph's
        inputs first; not interruptible: ComfyUI checks for an interrupt between nodes). A
        prompt whose every node is cached is the last one again: its set is loaded."""
        stats, sim, record = self.x.state.stats, self.x.sim, self.record
        if record is None:
            return
        self.record = None  # once
        models = frozenset(record.models)
        if self.to_load:
            started = time.monotonic()
            await self._sleep(sim.model_load_seconds)
            stats.loaded_for(record, time.monotonic() - started)
        stats.keep(models, sim.models_kept)

    def _share_job_time(self, to_run: list[str]) -> None:
        """Spread Simulation.job_seconds over the sampler steps of the nodes to run."""
        seconds = self.x.sim.job_seconds
        if seconds <= 0:
            return
        steps = sum(len(self.nodes.progress_plan(n)) for n in to_run
                    if self.nodes.class_of(n) in self.x.sim.sampler_classes)
        if steps:
            self.step_share = seconds / steps
        else:
            self.lump = seconds

    def _salt(self, node_id: str) -> Any:
        """IS_CHANGED stand-in: file loaders re-run when their file changes."""
        node = self.item.prompt[node_id]
        spec = FILE_INPUTS.get(str(node.get("class_type")))
        name = node.get("inputs", {}).get(spec[0]) if spec else None
        if not isinstance(name, str):
            return None
        path = self.x.storage.annotated_path(name)
        return (path.stat().st_size, path.stat().st_mtime_ns) if path.is_file() else None

    def _record_ui(self, node_id: str, ui: dict[str, Any]) -> None:
        self.outputs[node_id] = ui
        self.meta[node_id] = {
            "node_id": node_id,
            "display_node": node_id,
            "parent_node": None,
            "real_node_id": node_id,
        }

    def _replay(self, node_id: str, ui: dict[str, Any] | None) -> None:
        """A cached output node: ComfyUI re-sends its UI instead of running it."""
        self._to_client(
            "executed",
            {"node": node_id, "display_node": node_id, "output": ui, "prompt_id": self.pid},
        )
        self.progress.finish(node_id)
        if ui is not None:
            self._record_ui(node_id, ui)

    async def _run_node(self, node_id: str) -> dict[str, Any] | None:
        faults, state = self.x.faults, self.x.state
        class_type = self.nodes.class_of(node_id)
        self.progress.start(node_id)
        state.last_node_id = node_id
        self._to_client(
            "executing", {"node": node_id, "display_node": node_id, "prompt_id": self.pid}
        )
        if faults.restart_at_class == class_type:
            faults.restart_at_class = None  # one-shot
            state.restart()
            raise Restarted
        while faults.hang is Hang.STALLED:
            await self._sleep(POLL)
        self._check_interrupt(node_id)
        await self._load_models()

        failure = self.nodes.failure(node_id, self.x.catalog.models)
        if failure is not None:
            raise _Failed(self._error_data(node_id, failure))
        await self._sleep(faults.node_delay)
        if self.lump > 0:  # a job's time with no sampler step to spread it over
            lump, self.lump = self.lump, 0.0
            await self._sleep(lump, interruptible=True)
            self._check_interrupt(node_id)

        sampler = class_type in self.x.sim.sampler_classes
        for value, maximum in self.nodes.progress_plan(node_id):
            self._check_interrupt(node_id)
            self.progress.update(node_id, value, maximum)
            self._send(
                "progress",
                {"value": value, "max": maximum, "prompt_id": self.pid, "node": node_id},
                self.client,
            )
            await self._sleep(self.x.sim.step_delay + (self.step_share if sampler else 0.0),
                              interruptible=True)

        text = self.nodes.progress_text(node_id)
        if text is not None:  # send_progress_text defaults to a broadcast
            self._check_alive()
            self.x.hub.send_binary(
                binary_text_payload(node_id, text), None,
                prompt_id=self.pid, prompt_client=self.client,
            )

        ui = await self.nodes.ui_output(node_id)
        self._check_alive()
        self.executed.append(node_id)
        if ui:
            self._record_ui(node_id, ui)
            self._to_client(
                "executed",
                {"node": node_id, "display_node": node_id, "output": ui, "prompt_id": self.pid},
            )
        self.progress.finish(node_id)
        return ui

    def _error_data(self, node_id: str, failure: NodeFailure) -> dict[str, Any]:
        return {
            "prompt_id": self.pid,
            "node_id": node_id,
            "node_type": self.nodes.class_of(node_id),
            "executed": list(self.executed),
            "exception_message": failure.message,
            "exception_type": failure.exception_type,
            "traceback": failure.traceback,
            "current_inputs": failure.current_inputs,
            # ComfyUI lists every node id its output cache knows for this prompt.
            "current_outputs": list(self.item.prompt),
        }


class _Failed(Exception):
    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data["exception_message"])
        self.data = data
