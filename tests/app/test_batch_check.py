"""Checking a batch before spending: ``ltx2 batch --check``, ``check_jobs`` and ``Batch.check``,
the check a run makes first (``--skip-invalid``), comments and blank lines, an empty file, and
``--json``. Servers are the ComfyUI test server (``tests/comfyserver``) on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk.app.batch.check import check_jobs
from ltx2sdk.app.batch.scheduler import Batch, run_batch
from ltx2sdk.app.cli.main import main
from ltx2sdk.errors import InvalidJobsError, LTX2Error
from tests.comfyserver import ComfyTestServer
from tests.helpers import catalog_models, catalog_server, free_port

SMALL = {"duration": 1, "width": 256, "height": 256}


def job(seed: int, **fields: Any) -> dict[str, Any]:
    return {"prompt": f"a fox, take {seed}", "seed": seed, **SMALL, **fields}


def write_lines(path: Path, lines: list[Any]) -> Path:
    """Each item as a line: a str as it is (a comment, a blank, broken JSON), else JSON."""
    path.write_text("".join((item if isinstance(item, str) else json.dumps(item)) + "\n"
                            for item in lines))
    return path


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Six lines: a comment, two good jobs, a blank, one too long, one not JSON, a repeat."""
    return write_lines(tmp_path / "jobs.jsonl", [
        "# foxes, take one", job(1), job(2), "", job(3, duration=25), "{not json",
        job(1)])


def test_check_lists_every_problem_by_line_and_runs_nothing(
        mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(mixed), "--check"]) == 2  # no --output-dir needed
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{mixed}:5: invalid request: duration: ")
    assert out[1].startswith(f"{mixed}:6: not JSON (")
    assert out[2] == (f"{mixed}:7: note: the same request as line 2: made once (give it "
                      "another seed for another video)")
    assert out[3] == "5 jobs: 2 invalid (lines 5, 6); 1 repeats an earlier job (made once)"
    assert len(out) == 4  # the comment and the blank line are no jobs, and no problem

    report = check_jobs(mixed)  # the same in Python: every problem, nothing raised
    assert (report.jobs, report.invalid_jobs, report.ok) == (5, (5, 6), False)
    assert [p.job for p in report.repeats] == [7]
    with pytest.raises(InvalidJobsError) as raised:
        report.raise_if_failed()
    assert len(raised.value.problems) == 2 and isinstance(raised.value, LTX2Error)


def test_a_clean_file_passes_with_one_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", ["# six foxes", *(job(n) for n in range(1, 7))])
    assert main(["batch", str(jobs), "--check"]) == 0
    assert capsys.readouterr().out == "6 jobs, all valid\n"


def test_an_empty_file_is_an_error_everywhere(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for text in ("", "# nothing yet\n\n   \n"):
        jobs = tmp_path / "jobs.jsonl"
        jobs.write_text(text)
        assert main(["batch", str(jobs), "--check"]) == 2
        assert f"{jobs} has no jobs" in capsys.readouterr().err
        assert main(["batch", str(jobs), "-o", str(tmp_path / "out")]) == 2  # was "0 made", 0
        assert f"{jobs} has no jobs" in capsys.readouterr().err
        with pytest.raises(InvalidJobsError, match="has no jobs"):
            run_batch(jobs, "http://127.0.0.1:9", tmp_path / "out")
        assert not (tmp_path / "out").exists()  # refused before the folder was made


def test_a_run_refuses_to_start_on_a_bad_line_before_any_gpu_time(
        mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(mixed), "--server", srv.url, "-o", str(out)]) == 2
        assert srv.received.prompts == []  # job 1 and 2 did not run before job 5 was read
    said = capsys.readouterr()
    assert f"{mixed}:5: invalid request: duration" in said.err
    assert f"{mixed}:6: not JSON" in said.err
    assert said.err.splitlines()[-1].startswith("ltx2: error: 5 jobs: 2 invalid (lines 5, 6)")
    assert "--skip-invalid runs the 3 valid ones" in said.err
    assert said.out == "" and not out.exists()


def test_skip_invalid_runs_the_rest_and_counts_the_skipped(
        mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(mixed), "--server", srv.url, "-o", str(out),
                     "--skip-invalid"]) == 1  # not all of the file was made
        assert len(srv.received.prompts) == 2  # jobs 1 and 2; the repeat is made once
    said = capsys.readouterr()
    assert "2 made, 1 skipped (done before, or repeated), 2 invalid (skipped" in said.out
    assert "retry" not in said.out  # a re-run would refuse them again: nothing to retry
    lines = {json.loads(line)["job"]: json.loads(line)
             for line in (out / "results.jsonl").read_text().splitlines()}
    assert (lines[5]["status"], lines[5]["error_kind"]) == ("failed", "invalid")
    assert lines[2]["status"] == "ok"


def test_python_batches_check_first_too(tmp_path: Path) -> None:
    with catalog_server(tmp_path / "srv") as srv:
        with pytest.raises(InvalidJobsError) as raised:
            run_batch([job(1), job(2, duration=25), {"prompt": ""}], srv.url, tmp_path / "out")
        assert srv.received.prompts == []
    assert raised.value.problems[0].startswith("job 2: invalid request: duration")
    assert raised.value.problems[1].startswith("job 3: invalid request: prompt")
    assert "skip_invalid=True" in str(raised.value)


def test_check_on_a_server_finds_missing_models_and_input_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = catalog_models()  # every file, but LTX-2.3's checkpoints
    models["checkpoints"] = [name for name in models["checkpoints"]
                             if not name.startswith("ltx-2.3")]
    jobs = write_lines(tmp_path / "jobs.jsonl", [
        job(1, model="ltx-2"),  # its files are there
        job(2, model="ltx-2.3"),  # its checkpoint is not
        job(3, model="ltx-2", type="i2v", image="not-uploaded.png")])
    with ComfyTestServer(models=models, output_dir=tmp_path / "o",
                         input_dir=tmp_path / "i") as srv:
        assert main(["batch", str(jobs), "--check", "--server", srv.url]) == 2
        assert srv.received.prompts == []
        said = capsys.readouterr().out.splitlines()
        assert any(line.startswith(f"{jobs}:2: on {srv.url}: missing model file "
                                   "models/checkpoints/ltx-2.3") for line in said), said
        assert any(line.startswith(f"{jobs}:3: on {srv.url}: ") and "not-uploaded.png" in line
                   for line in said), said
        assert not any(line.startswith(f"{jobs}:1:") for line in said)
        assert said[-1] == f"3 jobs: 2 invalid (lines 2, 3); checked on {srv.url}"
        offline = Batch(jobs, srv.url, tmp_path / "out").check(on_servers=False)
        assert offline.ok and offline.checked_on == ()  # the catalog alone: all valid


def test_check_on_a_server_that_is_down_says_so(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", [job(1)])
    dead = f"127.0.0.1:{free_port()}"
    # the only server given cannot be reached: the check asked for was not made (exit 1),
    # and that is no problem of the jobs (not 2: they are valid on the catalog)
    assert main(["batch", str(jobs), "--check", "--server", dead]) == 1
    said = capsys.readouterr()
    out = said.out.splitlines()
    assert out[0] == (f"{jobs}: note: not checked on http://{dead} (connection refused): a "
                      "run would drop it")
    assert out[-1] == f"1 job, all valid; could not check on http://{dead} (connection refused)"
    assert "no server given could be reached" in said.err


def test_check_on_a_down_server_beside_one_that_answers_checks_on_the_one_that_answers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", [job(1), job(2)])
    dead = f"http://127.0.0.1:{free_port()}"
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(jobs), "--check", "--server", dead, "--server",
                     srv.url]) == 0  # about the jobs: all valid where they could be checked
        out = capsys.readouterr().out.splitlines()
        assert out == [f"{jobs}: note: not checked on {dead} (connection refused): a run "
                       "would drop it",
                       f"2 jobs, all valid; checked on {srv.url}; could not check on {dead} "
                       "(connection refused)"]
        report = check_jobs(jobs, targets=[dead, srv.url])
        assert report.ok and not report.reached_none
        assert (report.checked_on, report.unreachable, report.problems) == (
            (srv.url,), (f"{dead} (connection refused)",), ())
        assert report.as_json()["unreachable"] == [f"{dead} (connection refused)"]
        # a job a server that answers cannot run is still the jobs' problem: exit 2
        bad = write_lines(tmp_path / "bad.jsonl", [job(1, image="not-uploaded.png")])
        assert main(["batch", str(bad), "--check", "--server", dead, "--server",
                     srv.url]) == 2


def test_json_lines_for_a_run_and_for_a_check(mixed: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(mixed), "--check", "--json"]) == 2
    lines = json_lines(capsys.readouterr().out)
    assert [(line["type"], line["line"]) for line in lines[:-1]] == [
        ("problem", 5), ("problem", 6), ("repeat", 7)]
    assert lines[-1]["type"] == "summary" and lines[-1]["invalid"] == [5, 6]
    assert lines[-1]["ok"] is False and lines[-1]["jobs"] == 5

    good = write_lines(tmp_path / "good.jsonl", [job(1), job(2)])
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(good), "--server", srv.url, "-o", str(tmp_path / "out"),
                     "--json"]) == 0
    said = capsys.readouterr()
    lines = json_lines(said.out)  # every line of stdout is JSON: no human summary there
    results, summary = lines[:-1], lines[-1]
    assert sorted(r["job"] for r in results) == [1, 2]
    assert {r["type"] for r in results} == {"result"} and {r["status"] for r in results} == {"ok"}
    assert all(Path(r["video"]).is_file() and r["metadata"]["seed"] == r["job"] for r in results)
    assert (summary["type"], summary["complete"], summary["made"], summary["left"]) == (
        "summary", True, 2, 0)
    assert summary["message"].startswith("batch finished")
    assert "ok        job 1" in said.err  # the human lines go to stderr


def test_output_dir_is_needed_only_to_run(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", [job(1)])
    assert main(["batch", str(jobs)]) == 2
    assert "--output-dir DIR is needed to run a batch" in capsys.readouterr().err


def test_a_file_an_editor_saved_with_a_bom_reads_from_its_first_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_bytes(b"\xef\xbb\xbf# from Notepad\r\n" + json.dumps(job(1)).encode() + b"\r\n")
    assert main(["batch", str(jobs), "--check"]) == 0
    assert capsys.readouterr().out == "1 job, all valid\n"
    jobs.write_bytes(b"\xef\xbb\xbf" + json.dumps(job(1)).encode() + b"\n")
    assert check_jobs(jobs).ok


def test_check_decodes_inline_inputs_as_generate_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """QA (issue 21, point 2): base64 that is no image or no sound, or no base64, failed only
    when the job ran; the check decodes it, under generate's limits, and names the line."""
    from tests.helpers import png_bytes, wav_bytes

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    ia2v = {"model": "ltx-2.3", "image": "a.png"}
    jobs = write_lines(tmp_path / "jobs.jsonl", [
        job(1, image_base64="aGVsbG8="),  # "hello": base64, not an image
        job(2, audio_base64="aGVsbG8=", **ia2v),
        job(3, image_base64="!!!notbase64"),
        job(4, image_base64=b64(png_bytes())),  # fine: a real image
        job(5, audio_base64=b64(wav_bytes(0.5)), **ia2v),  # fine: real audio
        job(6, last_image_base64="aGVsbG8=", image="a.png"),
        job(7, audio_base64=b64(wav_bytes(61)), **ia2v),  # over generate's 60 s
    ])
    assert main(["batch", str(jobs), "--check"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{jobs}:1: image_base64: not a readable image (none of PNG, JPEG, MPO, WEBP, GIF, "
        "BMP)",
        f"{jobs}:2: audio_base64: not a readable audio file (wav, mp3, flac or ogg)",
        f"{jobs}:3: image_base64: not valid base64 (Only base64 data is allowed)",
        f"{jobs}:6: last_image_base64: not a readable image (none of PNG, JPEG, MPO, WEBP, "
        "GIF, BMP)",
        f"{jobs}:7: audio_base64: audio is 61.0 s long, over the 60 s limit",
        "7 jobs: 5 invalid (lines 1, 2, 3, 6, 7)"]


def test_check_takes_the_limits_it_is_given(tmp_path: Path) -> None:
    from ltx2sdk.app.generate import InputPolicy
    from tests.helpers import png_bytes

    image = base64.b64encode(png_bytes(40, 30)).decode()
    jobs = [job(1, image_base64=image)]
    assert check_jobs(jobs).ok
    report = check_jobs(jobs, input_policy=InputPolicy(max_pixels=1000))
    assert [p.message for p in report.problems] == [
        "image_base64: image is 40x30 pixels (0.0 MP), over the 0.001 MP limit"]


def test_a_url_that_is_not_http_is_refused_by_the_check_and_nothing_is_fetched(
        tmp_path: Path) -> None:
    report = check_jobs([job(1, image_url="notaurl"), job(2, image_url="file:///etc/passwd"),
                         job(3, image_url=f"http://127.0.0.1:{free_port()}/a.png"),
                         job(4, image_url=f"http://localhost:{free_port()}/a.png")])
    assert [(p.job, p.message) for p in report.problems][:3] == [
        (1, "invalid request: image_url: not an http(s) URL (only http and https URLs are "
            "allowed, not 'a bare path')"),
        (2, "invalid request: image_url: not an http(s) URL (only http and https URLs are "
            "allowed, not 'file')"),
        (3, "image_url: refusing to fetch from the non-public address 127.0.0.1 (loopback)"),
    ]  # job 4: the name is resolved (not fetched): a loopback address too
    assert report.problems[3].job == 4
    assert report.problems[3].message.endswith("(loopback; localhost resolves to it)")


def test_a_run_refuses_to_start_on_an_unreadable_image(tmp_path: Path) -> None:
    with catalog_server(tmp_path / "srv") as srv:
        with pytest.raises(InvalidJobsError) as raised:
            run_batch([job(1), job(2, image_base64="aGVsbG8=")], srv.url, tmp_path / "out")
        assert srv.received.prompts == []
    assert list(raised.value.problems) == [
        "job 2: image_base64: not a readable image (none of PNG, JPEG, MPO, WEBP, GIF, BMP)"]


def test_skipping_invalid_lines_skips_an_unreadable_image_too(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps(job(1)) + "\n"
                    + json.dumps(job(2, image_base64="aGVsbG8=")) + "\n")  # not an image
    with catalog_server(tmp_path / "srv") as srv:
        summary = run_batch(jobs, srv.url, tmp_path / "out", skip_invalid=True)
        assert len(srv.received.prompts) == 1 and srv.received.uploads == []  # job 1 only
    assert (summary.progress.ok, summary.progress.failed, summary.progress.invalid) == (1, 1, 1)
    lines = {json.loads(line)["job"]: json.loads(line)
             for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()}
    assert (lines[2]["status"], lines[2]["error_kind"]) == ("failed", "invalid")
    assert "image_base64: not a readable image" in lines[2]["error"]


def test_a_pretty_printed_file_or_an_array_is_told_to_be_json_lines(tmp_path: Path) -> None:
    pretty = tmp_path / "pretty.json"
    pretty.write_text('{\n  "prompt": "x"\n}\n')
    array = tmp_path / "array.json"
    array.write_text('[{"prompt": "x"}]\n')
    assert all("one whole request per line: JSON Lines" in line
               for line in check_jobs(pretty).lines()[:-1])
    assert "not a list (a jobs file has one request per line, JSON Lines, not a JSON array)" \
        in check_jobs(array).lines()[0]


@pytest.mark.parametrize(("line", "kind"), [('"str"', "a string"), ("[1, 2]", "a list"),
                                            ("5", "a number"), ("true", "true"),
                                            ("null", "null")])
def test_a_line_that_is_no_object_is_said_in_json_s_words(line: str, kind: str,
                                                          tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(line + "\n")
    assert f"a job must be a JSON object (a request), not {kind}" in check_jobs(jobs).lines()[0]


def test_standard_input_is_refused_with_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "-", "--check"]) == 2
    assert "-: jobs are read from a file, not standard input: save them to a JOBS.jsonl " \
           "file first" in capsys.readouterr().err


def test_a_bad_lora_value_is_named_by_its_path(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", [
        job(1, loras=[{"name": "a.safetensors", "strength": 20}]), job(2, loras=[None])])
    assert main(["batch", str(jobs), "--check"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{jobs}:1: invalid request: loras.0.strength: at most 10, not 20"
    assert out[1].startswith(f"{jobs}:2: invalid request: loras.0: must be a file name or an "
                             "object ("), out


@pytest.mark.parametrize("skip", [[], ["--skip-invalid"]])
def test_a_file_with_no_valid_job_has_nothing_to_run_and_no_skip_advice(
        skip: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", [job(1, duration=25), "{not json"])
    out = tmp_path / "out"
    with catalog_server(tmp_path / "srv") as srv:
        assert main(["batch", str(jobs), "--server", srv.url, "-o", str(out), *skip]) == 2
        assert srv.received.prompts == []
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == ("ltx2: error: 2 jobs: 2 invalid (lines 1, 2): nothing to "
                                    "run, no job is valid; fix them"), err
    assert "--skip-invalid" not in err and "0 valid" not in err
    assert not out.exists()  # refused before anything was created, as without --skip-invalid


def test_python_says_nothing_to_run_when_no_job_is_valid(tmp_path: Path) -> None:
    jobs = [{"prompt": "a fox", "duration": 25}]
    for skip in (False, True):
        with pytest.raises(InvalidJobsError) as raised:
            run_batch(jobs, [f"http://127.0.0.1:{free_port()}"], tmp_path / "out",
                      skip_invalid=skip)
        said = str(raised.value)
        assert said.endswith("Nothing to run, no job is valid: fix them"), said
        assert "skip_invalid" not in said
    assert not (tmp_path / "out").exists()


def test_one_valid_job_is_advised_in_the_singular(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jobs = write_lines(tmp_path / "jobs.jsonl", [job(1), job(2, duration=25)])
    assert main(["batch", str(jobs), "--server", f"http://127.0.0.1:{free_port()}",
                 "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "nothing was run; fix them, or --skip-invalid runs the 1 valid one")
