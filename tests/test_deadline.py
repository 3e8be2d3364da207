"""The one deadline primitive: what is left, and sockets shut down when the time is up."""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ltx2sdk.deadline import Deadline, current, watch_current
from tests.helpers import DEADLINE_SLACK


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """Two connected sockets: a read on the first blocks until the second writes."""
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_what_is_left_is_capped_floored_and_never_negative() -> None:
    deadline = Deadline.after(10)
    assert 9 < deadline.left() <= 10 and deadline.left(cap=2) == 2
    assert not deadline.passed and 9 < deadline.socket_timeout() <= 10
    gone = Deadline(time.monotonic() - 1)
    assert gone.passed and gone.left() == 0 and gone.left(floor=0.5) == 0.5
    with pytest.raises(TimeoutError):
        gone.socket_timeout()
    with pytest.raises(ValueError):
        Deadline(math.nan)


def test_a_deadline_cut_from_a_longer_one_says_which_ran_out() -> None:
    job = time.monotonic() + 0.05
    request = Deadline.within(30, job)  # the job's deadline comes first
    assert request.end == job and request.outer == job
    time.sleep(0.06)
    assert request.passed and request.outer_passed()
    own = Deadline.within(0.01, time.monotonic() + 30)  # its own limit comes first
    time.sleep(0.02)
    assert own.passed and not own.outer_passed()
    assert not Deadline.within(0.01, None).outer_passed()
    assert Deadline.within(math.inf, job).end == job  # no limit of its own: the job's


def test_an_armed_deadline_shuts_a_blocked_read_down_at_its_end(
        pair: tuple[socket.socket, socket.socket]) -> None:
    reader, _writer = pair
    reader.settimeout(30)  # a library's per-read timeout, far beyond the deadline
    start = time.monotonic()
    with Deadline.after(0.3).armed() as deadline:
        deadline.watch(reader)
        assert reader.recv(1) == b""  # shut down: the read returns, not after 30 s
    assert deadline.fired
    assert 0.25 < time.monotonic() - start < 0.3 + DEADLINE_SLACK


def test_abort_shuts_down_from_another_thread_and_later_sockets_at_once(
        pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    reader.settimeout(30)
    deadline = Deadline.after(60)
    deadline.watch(reader)
    threading.Timer(0.1, deadline.abort).start()
    start = time.monotonic()
    assert reader.recv(1) == b"" and time.monotonic() - start < 5
    assert deadline.fired
    deadline.watch(writer)  # registered after it fired: shut down there and then
    with pytest.raises(OSError):
        writer.send(b"x")


def test_a_disarmed_deadline_leaves_its_sockets_alone(
        pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    with Deadline.after(0.1).armed() as deadline:
        deadline.watch(reader)
    time.sleep(0.2)  # past its end, but the block (the exchange) is over
    assert not deadline.fired
    writer.sendall(b"still open")
    reader.settimeout(5)
    assert reader.recv(64) == b"still open"


def test_an_unwatched_socket_is_left_alone(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    deadline = Deadline.after(60)
    deadline.watch(reader)
    deadline.unwatch(reader)
    deadline.abort()
    writer.sendall(b"x")
    reader.settimeout(5)
    assert reader.recv(1) == b"x"


def test_the_armed_deadline_is_current_in_its_block_only() -> None:
    assert current() is None
    outer, inner = Deadline.after(60), Deadline.after(30)
    with outer.armed():
        assert current() is outer
        with inner.armed():
            assert current() is inner
        assert current() is outer
    assert current() is None
    seen: list[Deadline | None] = []
    with outer.armed():
        thread = threading.Thread(target=lambda: seen.append(current()))
        thread.start()
        thread.join()
    assert seen == [None]  # another thread runs under its own deadlines


def test_many_deadlines_fire_each_at_its_own_end() -> None:
    pairs = [socket.socketpair() for _ in range(5)]
    try:
        fired_at: list[float] = [0.0] * len(pairs)
        start = time.monotonic()

        def read(index: int) -> None:
            reader = pairs[index][0]
            reader.settimeout(30)
            with Deadline.after(0.1 * (index + 1)).armed() as deadline:
                deadline.watch(reader)
                reader.recv(1)
            fired_at[index] = time.monotonic() - start

        threads = [threading.Thread(target=read, args=(i,)) for i in range(len(pairs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        for index, elapsed in enumerate(fired_at):
            assert 0.1 * (index + 1) - 0.02 < elapsed < 0.1 * (index + 1) + DEADLINE_SLACK
    finally:
        for a, b in pairs:
            a.close()
            b.close()


def test_watch_current_registers_to_the_armed_deadline_only(
        pair: tuple[socket.socket, socket.socket]) -> None:
    _, writer = pair
    other, other_peer = socket.socketpair()
    with other, other_peer:
        watch_current(other)  # nothing armed: nothing to register to
        deadline = Deadline.after(60)
        with deadline.armed():
            watch_current(writer)
            watch_current(None)  # an HTTP connection with no socket yet
            watch_current("not a socket")
            deadline.abort()
        with pytest.raises(OSError):
            writer.send(b"x")  # registered: shut down when it fired
        other.sendall(b"x")  # never registered: left open
        assert other_peer.recv(1) == b"x"
