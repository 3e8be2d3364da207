"""A ComfyUI that stops answering mid-run (a process stopped with ``kill -STOP``, a wedged
event loop) is found out by the follow's looks at its history and queue, and the prompt
taken back so that it does not run when the server wakes; a server busy with a long silent
node answers those looks and is waited for (issue 19/21, QA F1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from ltx2sdk.backends.comfyui import client as client_module
from ltx2sdk.backends.comfyui import following
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.events import Event, NodeExecuting
from ltx2sdk.errors import ServerUnavailableError
from tests.comfyserver import ComfyTestServer, Hang
from tests.helpers import model_free_graph

HUNG_AFTER = 1.5  # (the real rule's 10 s, shortened: what it decides is the subject)
WAIT = 30.0


@pytest.fixture(autouse=True)
def quick_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(following, "HUNG_AFTER", HUNG_AFTER)
    monkeypatch.setattr(following, "LOOK_AGAIN", 0.3)
    monkeypatch.setattr(client_module, "HUNG_AFTER", HUNG_AFTER)
    monkeypatch.setattr(client_module, "LOOK_TIMEOUT", 0.5)
    yield


def wait_for(condition: object, what: str) -> None:
    end = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_server_that_stops_answering_mid_run_fails_the_run_and_does_not_run_it_on_waking(
        comfy_server: ComfyTestServer) -> None:
    srv = comfy_server
    srv.faults.node_delay = 0.3
    client = ComfyClient(srv.url, receive_timeout=0.5)

    def stop_at_first_step(event: Event) -> None:
        if isinstance(event, NodeExecuting):
            srv.faults.frozen = True  # kill -STOP

    try:
        # before, it waited for the run's whole timeout (an hour by default)
        with pytest.raises(ServerUnavailableError, match="stopped answering"):
            client.run(model_free_graph(0x102030), on_event=stop_at_first_step,
                       timeout=WAIT)
    finally:
        srv.faults.frozen = False  # kill -CONT: it serves what it was sent meanwhile
    [prompt_id] = [p["prompt_id"] for p in srv.received.prompts]
    wait_for(lambda: prompt_id in srv.history(), "the prompt's end")
    # interrupted when it woke, not run to its end
    assert srv.history()[prompt_id]["status"]["status_str"] == "error"
    assert {"prompt_id": prompt_id} in srv.received.interrupts
    client.close()


def test_a_server_busy_with_a_long_silent_node_is_not_hung(
        comfy_server: ComfyTestServer) -> None:
    srv = comfy_server
    srv.faults.hang = Hang.STALLED  # its node says nothing, but the server answers requests
    client = ComfyClient(srv.url, receive_timeout=0.5)
    # silent for longer than the socket's silence and the rule together, then it carries on
    release = threading.Timer(3 * HUNG_AFTER + 0.5, lambda: setattr(
        srv.faults, "hang", Hang.NONE))
    release.start()
    try:
        result = client.run(model_free_graph(0x405060), timeout=WAIT)
    finally:
        release.cancel()
        client.close()
    assert result.outputs


def test_the_rule_looks_sooner_while_unanswered_and_an_answer_or_a_message_clears_it() -> None:
    state = following.PromptFollowing("p", receive_timeout=10.0)
    assert not state.history_due(9.9) and state.history_due(10.0)  # silent 10 s: a look
    assert not state.unanswered(10.0, 10.5)  # no answer: not hung yet
    # the next look comes LOOK_AGAIN later, not a whole receive_timeout
    assert state.history_due(10.0 + following.LOOK_AGAIN)
    assert state.unanswered(12.0, 10.0 + following.HUNG_AFTER)  # none answered that long
    state.answered()
    assert not state.unanswered(30.0, 30.0 + following.HUNG_AFTER - 0.1)
    state.took(NodeExecuting("p", "1"), 40.0)  # a message: it speaks, not hung
    assert state.unanswered_since is None
