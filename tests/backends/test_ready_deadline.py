"""A wait for a server ends at its deadline: no request of it and no pause between two runs
past the time left (``ready_timeout=2`` gave up after 2.5 s: each request had 0.5 s at
least, and the probe that asks which API a server speaks was not counted in the batch
check's wait).

Time here is a fake clock the wait reads and the fake server advances (each request to a
silent server takes its whole time limit): what is checked is the time the wait would take,
never the wall clock."""

from __future__ import annotations

import time
import types
from collections.abc import Callable
from typing import Any

import pytest

import ltx2sdk.app.batch.check as batch_check
import ltx2sdk.app.generate as generate_module
import ltx2sdk.backends.comfy_api_v2.backend as v2_module
import ltx2sdk.backends.comfyui.client as client_module
from ltx2sdk.backends.comfy_api_v2.backend import V2Backend
from ltx2sdk.backends.comfyui.client import ComfyClient
from ltx2sdk.backends.server_urls import ATTEMPT_LIMIT, attempt_timeout
from ltx2sdk.errors import (
    JobTimeoutError,
    ServerUnavailableError,
    ServerUnreachableError,
)


class Clock:
    """A monotonic clock that moves only when told: the wait's pauses and each fake
    request advance it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    perf_counter = monotonic

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds

    def module(self) -> types.SimpleNamespace:
        """Stands for the ``time`` module of the code under test."""
        return types.SimpleNamespace(monotonic=self.monotonic, perf_counter=self.monotonic,
                                     sleep=self.sleep, time=self.monotonic)


class Silent:
    """A server that accepts and never answers (``refused``: one nobody listens at): each
    request takes its whole limit (a refusal none), and every limit is noted with the time
    left until ``end`` when it was made."""

    def __init__(self, clock: Clock, end: float, *, refused: bool = False) -> None:
        self.clock, self.end, self.refused = clock, end, refused
        self.limits: list[tuple[float, float]] = []  # (limit, time left)

    def request(self, timeout: float) -> Any:
        self.limits.append((timeout, self.end - self.clock.now))
        if self.refused:
            raise ServerUnavailableError("refused") from ConnectionRefusedError(111, "refused")
        self.clock.now += timeout
        raise JobTimeoutError("GET /system_stats did not finish in time")

    def system_stats(self, *, timeout: float, **_: Any) -> Any:
        return self.request(timeout)

    def close(self) -> None:
        pass


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in (client_module, v2_module, generate_module):
        monkeypatch.setattr(module, "time", clock.module())
    return clock


def native(clock: Clock, end: float, **kwargs: Any) -> tuple[ComfyClient, Silent]:
    server = Silent(clock, end, **kwargs)
    return ComfyClient("http://127.0.0.1:1", transport=server), server  # type: ignore[arg-type]


def v2(clock: Clock, end: float, **kwargs: Any) -> tuple[V2Backend, Silent]:
    server = Silent(clock, end, **kwargs)
    backend = V2Backend("http://127.0.0.1:1")
    backend.__dict__["_ready_once"] = server.request  # the one request of its wait
    return backend, server


Make = Callable[..., tuple[Any, Silent]]


def test_a_request_has_the_time_left_at_most() -> None:
    assert attempt_timeout(10.0, 9.9) == pytest.approx(0.1)  # (it was 0.5 at least)
    assert attempt_timeout(100.0, 0.0) == ATTEMPT_LIMIT
    assert attempt_timeout(10.0, 10.0) is None  # nothing left: no request
    assert attempt_timeout(10.0, 12.0) is None


@pytest.mark.parametrize("make", [native, v2], ids=["native", "v2"])
@pytest.mark.parametrize("timeout", [0.3, 1, 2, 3, 7.5])
def test_a_silent_server_is_given_up_on_at_the_deadline(make: Make, timeout: float,
                                                        clock: Clock) -> None:
    start = clock.now
    backend, server = make(clock, start + timeout)
    with pytest.raises(ServerUnavailableError, match=f"not ready within {timeout:g} s"):
        backend.wait_ready(timeout=timeout)
    assert clock.now == pytest.approx(start + timeout)  # not a moment later
    assert all(limit <= left + 1e-9 for limit, left in server.limits)


@pytest.mark.parametrize("make", [native, v2], ids=["native", "v2"])
def test_the_time_a_probe_took_is_not_given_again(make: Make, clock: Clock) -> None:
    start = clock.now
    backend, server = make(clock, start + 0.1)
    with pytest.raises(ServerUnavailableError, match="not ready within 2 s"):
        backend.wait_ready(timeout=2, waited=1.9)  # 0.1 s left
    [(limit, left)] = server.limits
    assert limit == pytest.approx(0.1) and left == pytest.approx(0.1)  # (the limit was 0.5)
    assert clock.now == pytest.approx(start + 0.1)


@pytest.mark.parametrize("make", [native, v2], ids=["native", "v2"])
def test_a_wait_the_probe_used_up_makes_no_request(make: Make, clock: Clock) -> None:
    start = clock.now
    backend, server = make(clock, start)
    with pytest.raises(ServerUnavailableError,
                       match=r"not ready within 2 s \(no answer in time\)"):
        backend.wait_ready(timeout=2, waited=2)
    assert server.limits == [] and clock.now == start


@pytest.mark.parametrize("make", [native, v2], ids=["native", "v2"])
def test_a_refusing_server_is_given_up_on_at_the_deadline(make: Make, clock: Clock) -> None:
    start = clock.now
    backend, server = make(clock, start + 2, refused=True)
    # the last pause ends at the deadline: still said as nobody answering
    with pytest.raises(ServerUnreachableError, match=r"within 2 s \(connection refused\)"):
        backend.wait_ready(timeout=2, interval=0.5)
    assert clock.now == pytest.approx(start + 2)
    assert len(server.limits) == 4  # at 0, 0.5, 1, 1.5 s: none at 2 s, with nothing left


# --- the callers: the probe is part of the wait, never longer than it -----------------------

class Recorder:
    """A backend that records how it was waited for, and stands for a server whose probe
    took ``probe`` seconds."""

    api = "comfyui"
    can_check = True
    base_url = "http://127.0.0.1:1"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.probe_timeout = 0.0
        self.waits: list[dict[str, Any]] = []

    def connect(self, url: str, **kwargs: Any) -> Recorder:
        self.probe_timeout = kwargs["probe_timeout"]
        self.clock.now += self.probe_timeout  # a silent server: the probe takes it all
        return self

    def wait_ready(self, **kwargs: Any) -> Any:
        self.waits.append(kwargs)
        raise ServerUnavailableError("not ready (no answer in time)")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("ready", [0.3, 2, 3])
def test_generate_counts_its_probe_in_ready_timeout(ready: float, clock: Clock,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Any) -> None:
    backend = Recorder(clock)
    monkeypatch.setattr(generate_module, "connect", backend.connect)
    with pytest.raises(ServerUnavailableError):
        generate_module.generate({"prompt": "a fox"}, "127.0.0.1:1", ready_timeout=ready,
                                 output_dir=tmp_path)
    [wait] = backend.waits
    assert backend.probe_timeout <= ready  # (was 0.5 at least)
    assert wait["timeout"] == ready and wait["waited"] == pytest.approx(backend.probe_timeout)


@pytest.mark.parametrize("ready", [0.3, 3])
def test_the_batch_check_counts_its_probe_in_ready_timeout(ready: float, clock: Clock,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import ltx2sdk.backends.connect as connect_module

    backend = Recorder(clock)
    monkeypatch.setattr(batch_check, "time", clock.module())
    monkeypatch.setattr(connect_module, "connect", backend.connect)
    report = batch_check.check_jobs([{"prompt": "a fox"}], targets="127.0.0.1:1",
                                    ready_timeout=ready)
    assert report.unreachable  # said as a server that could not be reached
    [wait] = backend.waits
    assert backend.probe_timeout <= ready
    # the probe's time counted in the wait (it was not: 1 s more than asked)
    assert wait["timeout"] == ready and wait["waited"] == pytest.approx(backend.probe_timeout)


# --- a RunPod endpoint's first contact ------------------------------------------------------

class FakeCancel:
    """A cancel never set, whose waits move the fake clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def is_set(self) -> bool:
        return False

    def wait(self, seconds: float | None = None) -> bool:
        self.clock.sleep(seconds or 0.0)
        return False


@pytest.mark.parametrize("answer", ["503", "silent"])
def test_a_runpod_endpoint_s_first_contact_ends_at_the_deadline(
        answer: str, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """``/health`` answering 503 at once (then ``silent``: taking all it is given): the
    wait of 3 s asks again every 0.5 s and gives up at 3 s, with no attempt at its end."""
    import ltx2sdk.app.batch.runpod_target as runpod_module
    from ltx2sdk.app.batch.targets import JobSettings

    monkeypatch.setattr(runpod_module, "time", clock.module())
    monkeypatch.setattr(runpod_module, "cancellable",
                        lambda attempt, cancel, what: attempt())  # on this thread
    start = clock.now
    bounds: list[float] = []
    real_now = time.monotonic  # the bounds' own clock (Deadline's)

    def call(what: str, method: str, path: str, bound: Any) -> None:
        left = bound.end - real_now()
        bounds.append(left)
        assert start + 3 - clock.now >= left - 1e-6  # never more than the wait has left
        if answer == "silent":
            clock.now += left
        raise ServerUnavailableError(f"/health answered HTTP {answer}" if answer == "503"
                                     else "no answer")

    runner = types.SimpleNamespace(
        target=types.SimpleNamespace(settings=JobSettings(ready_timeout=3), endpoint_id="x"),
        where="runpod:x", base="http://127.0.0.1:1/v2",
        _client=lambda bound: None, _call=call)
    with pytest.raises(ServerUnreachableError, match="within 3 s"):
        first_contact = runpod_module._RunPodRunner._first_contact
        first_contact(runner, FakeCancel(clock))  # type: ignore[arg-type]
    assert clock.now == pytest.approx(start + 3)
    if answer == "503":
        assert len(bounds) == 6  # at 0, 0.5 ... 2.5 s: none at 3 s, with nothing left


# --- the probe that asks which API a server speaks ------------------------------------------

@pytest.mark.parametrize(("first_takes", "second_gets"), [(0.5, 1.5), (2.0, None)])
def test_the_api_probe_s_two_requests_share_its_time(
        first_takes: float, second_gets: float | None, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that answers the first request (a 404: no v2 health) after ``first_takes``
    seconds: the second is given what is left of the 2 s, or not made."""
    import ltx2sdk.backends.connect as connect_module

    asked: list[tuple[str, float]] = []

    def probe(url: str, timeout: float, auth: Any = None) -> tuple[int | None, object]:
        asked.append((url.rsplit("/", 1)[-1], timeout))
        clock.now += first_takes if len(asked) == 1 else timeout  # the second: silent
        return (404, None) if len(asked) == 1 else (None, None)

    monkeypatch.setattr(connect_module, "time", clock.module())
    monkeypatch.setattr(connect_module, "_probe", probe)
    assert connect_module.detect_api("http://127.0.0.1:1", timeout=2.0) == "comfyui"
    assert asked[0] == ("health", 2.0)
    if second_gets is None:
        assert len(asked) == 1
    else:
        [(_, given)] = asked[1:]
        assert given == pytest.approx(second_gets)  # (it was 2 s again: 2.5 s in all)
