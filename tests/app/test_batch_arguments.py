"""A batch's own arguments that cannot be used are refused with the SDK's errors
(``LTX2Error``, also ``ValueError``), one line each, before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.runpod_target import RunPodTarget
from ltx2sdk.app.batch.scheduler import Batch, run_batch
from ltx2sdk.errors import BatchSettingError, LTX2Error

JOBS = [{"prompt": "a fox", "duration": 1, "width": 256, "height": 256}]


def test_no_target_is_an_ltx2_error(tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError) as raised:
        run_batch(JOBS, [], tmp_path / "out")
    assert isinstance(raised.value, LTX2Error) and isinstance(raised.value, ValueError)
    assert str(raised.value) == ("a batch needs at least one target (a server URL or "
                                 "runpod:ENDPOINT_ID)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("options", "said"), [
    ({"concurrency": 0}, "concurrency must be 1 or more, not 0"),
    ({"concurrency": True}, "concurrency must be 1 or more, not True"),
    ({"ready_timeout": -1}, "ready_timeout must be None or a positive number of seconds"),
])
def test_settings_that_cannot_be_used(options: dict[str, Any], said: str,
                                      tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError, match=said):
        Batch(JOBS, "http://127.0.0.1:1", tmp_path / "out", **options)


def test_a_runpod_endpoint_id_that_is_not_one(tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError, match="does not name an endpoint"):
        run_batch(JOBS, "runpod:../x", tmp_path / "out")
    with pytest.raises(BatchSettingError, match="must be positive numbers of seconds"):
        RunPodTarget("abc", poll_interval=0)
