"""A native ComfyUI that goes away mid-batch with several jobs on it (issue 19/21, QA F1-F2):
its loss is one event for the server, not one failure per job it held; a server that hangs
(answers nothing, its WebSocket included) is found out and its jobs go to the others, none
run twice; a stop with a hung server ends at once."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from ltx2sdk.app.batch.scheduler import Batch, DropNotice
from tests.app.test_batch import result_lines
from tests.app.test_batch_queue_ahead import WAIT, job, seeds, wait_for
from tests.helpers import catalog_server

pytestmark = pytest.mark.usefixtures("no_user_settings")


@pytest.mark.parametrize("back", ["after its loss is said", "at once"])
def test_a_server_restarted_with_jobs_queued_ahead_is_lost_once_and_used_again(
        back: str, tmp_path: Path) -> None:
    # QA (F2): with --queue-ahead 3, a server killed and restarted lost its 4 jobs, counted
    # as 4 failed tries in a row: it was dropped for good, though it was back
    dropped: list[DropNotice] = []
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        a.sim.step_delay = 0.2  # a's first job runs a while: 3 more wait behind it
        b.sim.step_delay = 0.2
        batch = Batch([job(n) for n in range(1, 13)], [a.url, b.url], tmp_path / "out",
                      order="file", queue_ahead=3, on_drop=dropped.append)
        thread = threading.Thread(target=batch.run, daemon=True)
        thread.start()
        wait_for(lambda: len(a.received.prompts) == 4, "four prompts on a")
        port = a.port
        a.stop()
        if back != "at once":  # refused meanwhile (its WebSocket lost), then back
            wait_for(lambda: bool(dropped), "its loss said")
        # the same server, back on its port (its queue forgotten, as after kill -9)
        with catalog_server(tmp_path / "a2", port=port) as back:
            back.sim.step_delay = 0.02
            thread.join(WAIT)
            assert not thread.is_alive()
            on_back = seeds(back)
        on_a, on_b = seeds(a), seeds(b)
    assert batch.summary is not None and batch.summary.complete, batch.summary
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 13))
    assert all(line["status"] == "ok" and line["attempts"] == 1 for line in lines), lines
    # its loss said, once; never dropped
    assert [(d.target, d.lost) for d in dropped] == [(a.url, True)], dropped
    assert on_back, "the restarted server was not used again"
    assert not [s for s, n in Counter(on_b + on_back).items() if n > 1], (on_b, on_back)
    assert len(on_a) == 4
