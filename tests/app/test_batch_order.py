"""A batch's order (issue 19, model-aware scheduling): ``order="model"`` (the default) keeps each
target on the jobs that load the same model files, the targets splitting the groups;
``order="file"`` (``ltx2 batch --order file``) takes the jobs as given. Either way every job
ends once in results.jsonl and a re-run skips what is done."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.grouping import model_group
from ltx2sdk.app.batch.jobs import BatchJob, make_job
from ltx2sdk.app.batch.scheduler import Batch, BatchProgress, RunningJob, run_batch
from ltx2sdk.app.batch.targets import JobStage, Runner
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import BatchSettingError, CommandLineError, ServerValidationError
from tests.app.test_batch import (  # noqa: F401 - endpoint: the RunPod fixture
    Endpoint,
    endpoint,
    result_lines,
    write_jobs,
)
from tests.app.test_batch_progress import drawn_status_line
from tests.app.test_cli_scripting import parsed, settings
from tests.helpers import catalog_server

# the developer's own settings (an order = "file") never change what these tests see
pytestmark = pytest.mark.usefixtures("no_user_settings")

SMALL = {"duration": 1, "width": 256, "height": 256}
PIPELINES: tuple[dict[str, str], ...] = ({}, {"mode": "pro"}, {"model": "ltx-2.3"})


def mixed(count: int) -> list[dict[str, Any]]:
    """``count`` jobs cycling through three pipelines in the file: the worst order for a
    server that holds one model set at a time."""
    return [{"prompt": f"a fox, take {n}", "seed": n, **SMALL, **PIPELINES[n % 3]}
            for n in range(count)]


def loads(groups: list[str]) -> int:
    """The model loads of a server that ran jobs of these groups in this order (one per
    change)."""
    return sum(1 for n, g in enumerate(groups) if n == 0 or g != groups[n - 1])


class Recording:
    """A runner that makes each job at once and records each job's group label (what its
    server would load), under its target's name; ``refuse``: labels it lacks the models of."""

    def __init__(self, name: str, seen: dict[str, list[str]], lock: threading.Lock,
                 refuse: frozenset[str] = frozenset()) -> None:
        self.name, self.seen, self.lock, self.refuse = name, seen, lock, refuse

    def run(self, job: BatchJob, video: Path, *, cancel: threading.Event,
            resume: str | None = None, on_submitted: Callable[[str], None] | None = None,
            on_stage: Callable[[JobStage], None] | None = None) -> dict[str, Any]:
        label = model_group(job).label
        if label in self.refuse:
            raise ServerValidationError([], [("checkpoints", label)])
        with self.lock:
            self.seen.setdefault(self.name, []).append(label)
        video.write_bytes(b"video")
        return {"seed": job.number}

    def close(self) -> None:
        pass


class RecordingTarget:
    def __init__(self, name: str, seen: dict[str, list[str]], lock: threading.Lock,
                 refuse: frozenset[str] = frozenset()) -> None:
        self.name = name
        self.runner = Recording(name, seen, lock, refuse)

    def open(self, concurrency: int | None) -> list[Runner]:
        return [self.runner]


def targets(*names: str, refuse: dict[str, frozenset[str]] | None = None
            ) -> tuple[list[RecordingTarget], dict[str, list[str]]]:
    seen: dict[str, list[str]] = {}
    lock = threading.Lock()
    return [RecordingTarget(n, seen, lock, (refuse or {}).get(n, frozenset()))
            for n in names], seen


def test_one_target_loads_each_model_set_once_in_model_order(tmp_path: Path) -> None:
    listed, seen = targets("gpu")
    summary = run_batch(mixed(12), listed, tmp_path / "out")
    assert summary.complete
    assert loads(seen["gpu"]) == 3  # three groups, each once
    # within a group the jobs go in the file's order; every job once in results.jsonl
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 13))
    firsts = [line["job"] for line in lines if line["job"] % 3 == 1]
    assert firsts == sorted(firsts)


def test_file_order_is_todays_order(tmp_path: Path) -> None:
    listed, seen = targets("gpu")
    summary = run_batch(mixed(12), listed, tmp_path / "out", order="file")
    assert summary.complete
    assert loads(seen["gpu"]) == 12  # a load per job: what model order saves
    assert [line["job"] for line in result_lines(tmp_path / "out")] == list(range(1, 13))


def test_two_targets_split_the_groups(tmp_path: Path) -> None:
    listed, seen = targets("a", "b")
    summary = run_batch(mixed(30), listed, tmp_path / "out")
    assert summary.complete
    assert sum(len(jobs) for jobs in seen.values()) == 30  # each job run once
    # three groups over two servers: each group once, and each server switches a few
    # times at most (however the threads interleave), not a load per job
    assert sum(loads(jobs) for jobs in seen.values()) <= 3 + 2 * 2
    assert sorted(line["job"] for line in result_lines(tmp_path / "out")) == list(range(1, 31))


def test_a_rerun_skips_what_is_done_in_either_order(tmp_path: Path) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", mixed(9))
    listed, seen = targets("gpu")
    run_batch(jobs, listed, tmp_path / "out", order="file")
    before = (tmp_path / "out" / "results.jsonl").read_bytes()
    listed, seen = targets("gpu")
    again = run_batch(jobs, listed, tmp_path / "out")  # model order now: nothing to run
    assert again.progress.skipped == 9 and not seen
    assert (tmp_path / "out" / "results.jsonl").read_bytes() == before


def test_a_rerun_after_part_of_the_batch_runs_only_the_rest(tmp_path: Path) -> None:
    write_jobs(tmp_path / "part.jsonl", mixed(6))
    listed, _ = targets("gpu")
    run_batch(tmp_path / "part.jsonl", listed, tmp_path / "out")
    jobs = write_jobs(tmp_path / "jobs.jsonl", mixed(12))
    listed, seen = targets("gpu")
    summary = run_batch(jobs, listed, tmp_path / "out")
    assert summary.complete and summary.progress.skipped == 6 and summary.progress.ok == 6
    assert loads(seen["gpu"]) == 3
    lines = result_lines(tmp_path / "out")
    assert sorted(line["job"] for line in lines) == list(range(1, 13))  # once each


def test_duplicates_and_invalid_jobs_keep_their_meaning(tmp_path: Path) -> None:
    jobs = mixed(6)
    jobs.insert(3, dict(jobs[4]))  # line 4 is line 6 (the same request: 6 is skipped)
    jobs.append({"prompt": "too long", "duration": 100})
    listed, seen = targets("gpu")
    results = list(Batch(jobs, listed, tmp_path / "out", skip_invalid=True))
    by_job = {r.job: r for r in results}
    assert by_job[4].status == "ok"
    assert by_job[6].status == "skipped"
    assert by_job[8].status == "failed" and by_job[8].error_kind == "invalid"
    assert results[0].job == 8  # what loads nothing comes first
    assert len(seen["gpu"]) == 6 and loads(seen["gpu"]) == 3


def test_a_one_shot_iterator_runs_in_its_order(tmp_path: Path) -> None:
    listed, seen = targets("gpu")
    summary = run_batch(iter(mixed(6)), listed, tmp_path / "out")
    assert summary.complete
    assert loads(seen["gpu"]) == 6  # it cannot be read twice: taken as it comes


def test_a_target_lacking_a_groups_models_leaves_that_group_to_the_others(
        tmp_path: Path) -> None:
    listed, seen = targets("a", "b", refuse={"a": frozenset({"ltx-2 pro"})})
    summary = run_batch(mixed(12), listed, tmp_path / "out")
    assert summary.complete
    assert "ltx-2 pro" not in seen.get("a", [])
    assert seen["b"].count("ltx-2 pro") == 4


def test_an_order_that_is_not_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BatchSettingError, match="order must be 'model' or 'file'"):
        Batch(mixed(1), "http://127.0.0.1:9", tmp_path / "out", order="random")  # type: ignore[arg-type]


def checkpoints(srv: Any) -> list[str]:
    """The model set of each prompt the stand-in received, in order (its loader nodes'
    files)."""
    sets = []
    for posted in srv.received.prompts:
        files = sorted(value for node in posted["prompt"].values()
                       for value in node["inputs"].values()
                       if isinstance(value, str) and value.endswith(".safetensors"))
        sets.append(" ".join(files))
    return sets


@pytest.mark.parametrize("order", ["model", "file"])
def test_two_stand_ins_count_their_model_loads(order: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", mixed(12))
    with catalog_server(tmp_path / "a") as a, catalog_server(tmp_path / "b") as b:
        out = tmp_path / "out"
        assert main(["batch", str(jobs), "--server", a.url, "--server", b.url,
                     "--order", order, "--output-dir", str(out), "--json"]) == 0
        per_server = [checkpoints(a), checkpoints(b)]
    assert sum(len(s) for s in per_server) == 12  # each job sent once
    total = sum(loads(s) for s in per_server)
    if order == "model":
        assert total <= 3 + 2 * 2
    else:  # the file's order sends every server a new model set nearly every job
        assert total >= 8
    lines = result_lines(out)
    assert sorted(line["job"] for line in lines) == list(range(1, 13))
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed[-1]["type"] == "summary"


def test_a_runpod_endpoint_gets_its_jobs_group_by_group(
        endpoint: Endpoint, tmp_path: Path) -> None:  # noqa: F811 - the imported fixture
    jobs = write_jobs(tmp_path / "jobs.jsonl", mixed(9))
    summary = run_batch(jobs, endpoint.target, tmp_path / "out", concurrency=1)
    assert summary.complete
    submitted = [model_group(make_job(1, given)).label for given in endpoint.api.inputs()]
    assert len(submitted) == 9 and loads(submitted) == 3  # a worker that stays on one model


def test_the_status_line_names_what_each_server_holds_while_there_is_room(
        monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = (RunningJob(3, "a", 5.0, "Stage 1 sampling", 12, 20, group="ltx-2 t2v pro"),
            RunningJob(4, "b", 1.0, "VAE decode", group="ltx-2.3 t2v fast"))
    progress = BatchProgress(total=10, to_run=10, ok=0, failed=0, cancelled=0, skipped=0,
                             running=2, waiting=0, retries=0, elapsed=6.0, eta=None,
                             jobs=jobs)

    def status_line(columns: int) -> str:
        return drawn_status_line(progress, columns, monkeypatch)

    # each server, what it runs and the model set it holds (issue 19, Deliver 5)
    assert "(a: job 3 Stage 1 sampling 12/20 [ltx-2 t2v pro], b: job 4 VAE decode " \
        "[ltx-2.3 t2v fast])" in status_line(200)
    # narrower: the stage names shrink first, each server's job, step and model set stay
    # longest (issue 19's seventh QA pass: the sets went first, shown only at 200 columns)
    assert "(a: job 3 Stage... 12/20 [ltx-2 t2v pro], b: job 4 VAE... [ltx-2.3 t2v fast])" \
        in status_line(150)
    for columns in (100, 80, 60):
        assert len(status_line(columns)) <= columns - 1


def test_json_results_say_each_jobs_group(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_jobs(tmp_path / "jobs.jsonl", mixed(3))
    with catalog_server(tmp_path / "a") as a:
        assert main(["batch", str(jobs), "--server", a.url, "-o", str(tmp_path / "out"),
                     "--json"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    groups = {line["job"]: line["group"] for line in printed if line["type"] == "result"}
    assert groups == {1: "ltx-2 fast", 2: "ltx-2 pro", 3: "ltx-2.3 fast"}


def test_the_settings_file_may_set_the_order(tmp_path: Path) -> None:
    path = settings(tmp_path, '[batch]\norder = "file"\n')
    assert parsed(["batch", "j", "-o", "o", "--config", str(path)]).order == "file"
    assert parsed(["batch", "j", "-o", "o", "--config", str(path), "--order", "model"]
                  ).order == "model"
    assert parsed(["batch", "j", "-o", "o"]).order == "model"
    wrong = settings(tmp_path, '[batch]\norder = "random"\n', "wrong.toml")
    with pytest.raises(CommandLineError, match="'random' is not one of model, file"):
        parsed(["batch", "j", "-o", "o", "--config", str(wrong)])


def test_a_jobs_group_label_names_the_model_set_whichever_job_came_first(
        tmp_path: Path) -> None:
    # QA: a t2v job's group was "ltx-2 i2v fast", the pipeline of its group's first job
    import base64

    from tests.helpers import png_bytes

    image = base64.b64encode(png_bytes()).decode()
    jobs = [{"prompt": "a fox", "seed": 1, "type": "i2v", "image_base64": image, **SMALL},
            {"prompt": "a fox", "seed": 2, **SMALL},
            {"prompt": "a fox", "seed": 3, "model": "ltx-2.3", "mode": "pro", **SMALL},
            {"prompt": "a fox", "seed": 4, "model": "ltx-2.3", **SMALL}]
    listed, _ = targets("gpu")
    groups = {r.job: r.group for r in Batch(jobs, listed, tmp_path / "out")}
    # i2v and t2v fast load the same files; so do LTX-2.3's fast and pro
    assert groups == {1: "ltx-2 fast", 2: "ltx-2 fast", 3: "ltx-2.3 fast/pro",
                      4: "ltx-2.3 fast/pro"}
    lines = {line["job"]: line for line in result_lines(tmp_path / "out")}
    assert {n: line["group"] for n, line in lines.items()} == groups  # and results.jsonl
