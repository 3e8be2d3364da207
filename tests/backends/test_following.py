"""Following a job, without a socket: the decisions of both backends' sans-IO cores.

Native ComfyUI (:mod:`ltx2sdk.backends.comfyui.following`) and the Comfy API v2
(:mod:`ltx2sdk.backends.comfy_api_v2.following`) are driven here with plain values and
given times; their IO loops are tested against servers in ``test_client.py``,
``test_v2.py`` and ``test_backend.py``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ltx2sdk.backends.comfy_api_v2 import following as v2
from ltx2sdk.backends.comfyui import following as native
from ltx2sdk.backends.events import (
    ExecutionFailed,
    ExecutionInterrupted,
    ExecutionStarted,
    ExecutionSucceeded,
    Finished,
    NodeExecuted,
    NodeExecuting,
    NodesCached,
    Progress,
)
from ltx2sdk.errors import (
    ExecutionError,
    ExecutionInterruptedError,
    JobCancelledError,
    PromptLostError,
    ServerResponseError,
)

# --- native ComfyUI ---------------------------------------------------------------------------


def test_native_events_say_when_the_run_ended() -> None:
    state = native.PromptFollowing("p", receive_timeout=10)
    assert not state.took(ExecutionStarted("p"), now=1.0) and state.started
    assert not state.took(NodesCached("p", ("1", "2")), now=2.0) and state.cached == ("1", "2")
    assert not state.took(ExecutionSucceeded("p"), now=3.0)  # not final: history comes next
    assert state.took(Finished("p"), now=4.0) and state.failure is None
    assert state.last_event == 4.0


@pytest.mark.parametrize(("event", "error"), [
    (ExecutionFailed("p", "2", "CreateVideo", "ValueError", "bad", ("line",)), ExecutionError),
    (ExecutionInterrupted("p", "3", "SaveVideo"), ExecutionInterruptedError),
])
def test_a_native_failure_ends_the_run_with_its_error(event: Any, error: type) -> None:
    state = native.PromptFollowing("p", receive_timeout=10)
    assert state.took(event, now=1.0)
    assert isinstance(state.failure, error) and state.failure.node_id == event.node_id
    assert native.failure_of(event) is not None and native.failure_of(Finished("p")) is None


def test_native_silence_long_enough_asks_the_history_once_per_receive_timeout() -> None:
    state = native.PromptFollowing("p", receive_timeout=10)
    state.took(ExecutionStarted("p"), now=100.0)
    assert not state.history_due(109.9)
    assert state.history_due(110.0) and state.last_look == 110.0
    assert not state.history_due(115.0)  # counted from the last look now
    assert state.history_due(120.0)
    state.took(NodeExecuting("p", "1"), now=125.0)
    assert not state.history_due(130.0)


def test_a_native_reconnect_is_remembered_until_the_next_event() -> None:
    state = native.PromptFollowing("p", receive_timeout=1)
    state.reconnected = True
    assert state.history_due(5.0) and state.reconnected  # the loop reconnects again then
    state.took(NodeExecuting("p", "1"), now=6.0)
    assert not state.reconnected


def test_native_receive_waits_are_bounded_by_the_deadline_and_a_cancel() -> None:
    wait = native.receive_wait
    assert wait(now=0, deadline=100, receive_timeout=10, cancellable=False) == 10
    assert wait(now=0, deadline=100, receive_timeout=10, cancellable=True) == \
        native.CANCEL_SLICE
    assert wait(now=99.5, deadline=100, receive_timeout=10, cancellable=False) == 0.5
    assert wait(now=101, deadline=100, receive_timeout=10, cancellable=False) == \
        native.MIN_RECEIVE


def test_native_reconnects_back_off_to_a_cap() -> None:
    assert list(itertools.islice(native.reconnect_delays(), 7)) == [
        0.2, 0.4, 0.8, 1.6, 3.2, native.RECONNECT_MAX, native.RECONNECT_MAX]


def test_what_a_native_history_entry_says() -> None:
    outcome = native.history_outcome
    assert outcome("p", {"status": {"completed": False, "status_str": "running"}}) is None
    assert outcome("p", {"status": {"completed": True, "status_str": "success"}}) == \
        native.Ended(None)
    failed = outcome("p", {"status": {"status_str": "error", "messages": [
        ["execution_error", {"node_id": "2", "node_type": "CreateVideo",
                             "exception_type": "ValueError", "exception_message": "x"}]]}})
    assert failed is not None and isinstance(failed.failure, ExecutionError)
    with pytest.raises(PromptLostError, match="no longer knows prompt p"):
        outcome("p", None)
    with pytest.raises(ServerResponseError, match="status that is not an object"):
        outcome("p", {"status": "done"})
    state = native.PromptFollowing("p", receive_timeout=1)
    assert not state.ended_by(None)
    assert state.ended_by(failed) and state.failure is failed.failure


# --- the Comfy API v2 -------------------------------------------------------------------------


def job(status: str, **fields: Any) -> v2.JobSnapshot:
    return v2.JobSnapshot(status, **fields)


def test_v2_terminal_statuses() -> None:
    assert [s for s in ("queued", "running", "canceling", "succeeded", "failed", "canceled",
                        "expired") if v2.is_terminal(s)] == [
        "succeeded", "failed", "canceled", "expired"]


def test_v2_a_running_job_is_told_once_with_its_nodes_and_steps() -> None:
    following = v2.JobFollowing("j", "http://x")
    assert following.polled(job("queued"), cancelled_by_us=False) == v2.Step()
    step = following.polled(job("running", progress={"current_node": "7", "step": 1,
                                                     "steps": 4}), cancelled_by_us=False)
    assert step.events == (ExecutionStarted("j"), NodeExecuting("j", "7"),
                           Progress("j", "7", 1, 4))
    # the same snapshot again, by poll or stream, tells nothing new
    assert following.polled(job("running", progress={"current_node": "7", "step": 1,
                                                     "steps": 4}), cancelled_by_us=False
                            ).events == ()
    assert following.streamed("progress", {"current_node": 7, "step": 2, "steps": 4}).events \
        == (Progress("j", "7", 2, 4),)
    # a snapshot without a node, or with garbled steps, says nothing usable
    assert following.streamed("progress", {"step": 3, "steps": 4}).events == ()
    assert following.streamed("progress", {"current_node": "7", "step": True,
                                           "steps": 4}).events == ()


def test_v2_success_tells_each_output_once_then_the_end() -> None:
    following = v2.JobFollowing("j", "http://x")
    assert following.streamed("output", {"id": "a1", "node_id": "9"}).events == (
        NodeExecuted("j", "9", {"asset": {"id": "a1", "node_id": "9"}}),)
    step = following.polled(job("succeeded", outputs=(
        {"id": "a1", "node_id": "9"}, {"id": "a2", "node_id": "10"})), cancelled_by_us=False)
    assert step.succeeded and step.error is None
    assert step.events == (ExecutionStarted("j"),
                           NodeExecuted("j", "10", {"asset": {"id": "a2", "node_id": "10"}}),
                           ExecutionSucceeded("j"), Finished("j"))


def test_v2_a_failure_names_the_node_or_says_it_does_not_know() -> None:
    failure = v2.JobFailure("node_execution_error", "boom", node_id="4",
                            class_type="VAEDecode", traceback="a\nb")
    step = v2.JobFollowing("j", "http://x").polled(job("failed", error=failure),
                                                   cancelled_by_us=False)
    assert step.events == (ExecutionFailed("j", "4", "VAEDecode", "node_execution_error",
                                           "boom", ("a", "b")),)
    assert isinstance(step.error, ExecutionError) and step.error.node_type == "VAEDecode"
    bare = v2.JobFollowing("j", "http://x").polled(job("failed"), cancelled_by_us=False)
    assert isinstance(bare.error, ExecutionError)
    assert (bare.error.node_id, bare.error.exception_type) == ("?", "failed")


def test_v2_expired_is_believed_only_after_the_checks() -> None:
    following = v2.JobFollowing("j", "http://proxy")
    for seen in range(1, v2.EXPIRED_CHECKS):
        assert following.polled(job("expired"), cancelled_by_us=False) == v2.Step()
        assert following.expired_in_a_row == seen and not v2.expired_is_final(seen)
    step = following.polled(job("expired"), cancelled_by_us=False)
    assert isinstance(step.error, PromptLostError) and "http://proxy" in str(step.error)
    assert v2.expired_is_final(v2.EXPIRED_CHECKS)


def test_v2_a_transient_expired_is_forgotten_when_the_job_shows_again() -> None:
    following = v2.JobFollowing("j", "http://x")
    following.polled(job("expired"), cancelled_by_us=False)
    following.polled(job("running"), cancelled_by_us=False)
    assert following.expired_in_a_row == 0
    assert following.polled(job("succeeded"), cancelled_by_us=False).succeeded


@pytest.mark.parametrize(("status", "ours", "error"), [
    ("expired", True, JobCancelledError),  # a queued job we cancelled ends `expired`
    ("canceled", True, JobCancelledError),
    ("canceled", False, ExecutionInterruptedError),
])
def test_v2_a_cancel_ends_as_whoever_asked_for_it(status: str, ours: bool,
                                                  error: type) -> None:
    step = v2.JobFollowing("j", "http://x").polled(job(status), cancelled_by_us=ours)
    assert step.events == (ExecutionInterrupted("j"),) and isinstance(step.error, error)


def test_v2_an_unknown_status_is_a_server_response_error() -> None:
    step = v2.JobFollowing("j", "http://x").polled(job("paused"), cancelled_by_us=False)
    assert isinstance(step.error, ServerResponseError) and "'paused'" in str(step.error)


def test_v2_the_stream_says_when_to_ask_and_when_it_is_down() -> None:
    following = v2.JobFollowing("j", "http://x")
    assert following.streamed("status", {"status": "running"}).events == (
        ExecutionStarted("j"),)
    assert not following.streamed("status", {"status": "running"}).ask_now
    assert following.streamed("status", {"status": "succeeded"}).ask_now
    assert following.streamed("status", "not an object") == v2.Step()
    following.stream_down()
    assert not following.stream_up
    following.streamed("keepalive", None)
    assert following.stream_up


def test_v2_polls_back_off_and_come_oftener_when_needed() -> None:
    assert list(itertools.islice(v2.poll_intervals(), 6)) == [
        0.5, 0.75, 1.125, 1.6875, 2.53125, 3.796875]
    assert list(itertools.islice(v2.poll_intervals(), 8, 9)) == [v2.POLL_MAX]
    pacer = v2.PollPacer()
    assert pacer.pause(rechecking_expired=False, stream_up=True) == v2.POLL_FIRST
    assert pacer.pause(rechecking_expired=True, stream_up=True) == v2.EXPIRED_RECHECK
    assert pacer.pause(rechecking_expired=False, stream_up=True) == 0.75  # did not grow
    for _ in range(10):
        pacer.pause(rechecking_expired=False, stream_up=True)
    assert pacer.pause(rechecking_expired=False, stream_up=True) == v2.POLL_MAX
    assert pacer.pause(rechecking_expired=False, stream_up=False) == \
        v2.POLL_MAX_WITHOUT_STREAM


def test_v2_a_job_waiting_to_start_is_polled_often_enough_to_hear_its_start() -> None:
    # its time counts from its start (queue-ahead): a start heard late gives it more time
    pacer = v2.PollPacer()
    for _ in range(10):
        pacer.pause(rechecking_expired=False, stream_up=True)
    assert pacer.pause(rechecking_expired=False, stream_up=True, awaiting_start=True) == \
        v2.POLL_MAX_WHILE_QUEUED < v2.POLL_MAX
