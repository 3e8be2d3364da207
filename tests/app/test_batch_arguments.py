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


@pytest.mark.parametrize("targets", [None, [None], 8188, ["http://127.0.0.1:1", 3]])
def test_a_target_that_is_no_target_is_an_ltx2_error(targets: Any, tmp_path: Path) -> None:
    """Not an AttributeError from deep inside: the setting named, nothing created."""
    with pytest.raises(BatchSettingError) as raised:
        run_batch(JOBS, targets, tmp_path / "out")
    assert "target" in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("jobs", [[], (), iter([])], ids=["list", "tuple", "iterator"])
def test_no_jobs_are_refused_as_the_command_refuses_an_empty_file(jobs: Any,
                                                                 tmp_path: Path) -> None:
    """The CLI exits 2 for a jobs file without a job; Python says the same, creates
    nothing, and contacts no server."""
    from ltx2sdk.errors import InvalidJobsError

    with pytest.raises(InvalidJobsError) as raised:
        run_batch(jobs, "http://127.0.0.1:1", tmp_path / "out")
    assert str(raised.value) == "no jobs were given (an empty list or iterable): nothing to run"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("output_dir", ["", "  "])
def test_an_empty_output_folder_is_refused_as_the_command_refuses_it(
        output_dir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o ""`` is refused by the command; ``""`` is not the current folder in Python
    either."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BatchSettingError, match="output_dir is an empty path"):
        run_batch(JOBS, "http://127.0.0.1:1", output_dir)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("output_dir", [None, 3])
def test_an_output_folder_that_is_no_path_is_refused(output_dir: Any, tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError, match="output_dir must be a folder's path"):
        run_batch(JOBS, "http://127.0.0.1:1", output_dir)
