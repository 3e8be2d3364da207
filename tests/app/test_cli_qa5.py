"""The CLI as the fifth QA pass of issue 21 found it: an empty file flag, ``--request -``,
a request file without a prompt, and pydantic's own words where the project's are due."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.test_cli_input_files import error_line


def run_cli(*argv: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``ltx2 ARGV`` in a subprocess, ``stdin`` its standard input (a test never hangs on it)."""
    return subprocess.run([sys.executable, "-m", "ltx2sdk.app.cli.main", *argv], cwd=cwd,
                          input=stdin, capture_output=True, text=True, timeout=60,
                          check=False, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})

PROMPT = {"prompt": "a fox", "duration": 1, "width": 256, "height": 256}


@pytest.mark.parametrize("flag", ["--image", "--last-image", "--audio", "--video",
                                  "--request"])
def test_an_empty_file_flag_is_refused_not_read_as_this_folder(flag: str,
                                                               tmp_path: Path) -> None:
    done = run_cli("build", "--prompt", "x", f"{flag}=", cwd=tmp_path)
    assert done.returncode == 2
    assert error_line(done.stderr).startswith(
        f"ltx2 build: error: argument {flag}: the file name is empty")


def test_request_dash_reads_the_request_from_standard_input(tmp_path: Path) -> None:
    done = run_cli("build", "--request", "-", "-o", "g.json", cwd=tmp_path,
                   stdin=json.dumps({"input": PROMPT}))
    assert done.returncode == 0, done.stderr
    graph = json.loads((tmp_path / "g.json").read_text())
    assert "a fox" in json.dumps(graph)


@pytest.mark.parametrize("text, message", [
    ("", "--request -: nothing on standard input (pipe a JSON request into it)"),
    ("nope", "--request: standard input is not JSON (Expecting value: line 1 column 1 "
             "(char 0))"),
])
def test_request_dash_says_what_was_wrong_with_standard_input(text: str, message: str,
                                                              tmp_path: Path) -> None:
    done = run_cli("build", "--request", "-", cwd=tmp_path, stdin=text)
    assert done.returncode == 2
    assert error_line(done.stderr) == f"ltx2: error: {message}"


@pytest.mark.parametrize("content, message", [
    ({}, "--request r.json: the file has no prompt (add a \"prompt\" field or give "
         "--prompt TEXT)"),
    ({"input": {}}, "--request r.json: the file has no prompt (add a \"prompt\" field or "
                    "give --prompt TEXT)"),
    ({"input": None}, "--request r.json: \"input\" must hold the request (a JSON object), "
                      "not null"),
])
def test_a_request_file_without_a_prompt_says_so_not_a_flag_never_used(
        content: object, message: str, tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(content))
    done = run_cli("build", "--request", "r.json", cwd=tmp_path)
    assert done.returncode == 2
    assert error_line(done.stderr) == f"ltx2: error: {message}"
    # a prompt by flag completes the file
    if content != {"input": None}:
        done = run_cli("build", "--request", "r.json", "--prompt", "x", "-o", "g.json",
                       cwd=tmp_path)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("value", [":0.5", "", " "])
def test_a_lora_flag_without_a_name_says_so(value: str, tmp_path: Path) -> None:
    done = run_cli("build", "--prompt", "x", f"--lora={value}", cwd=tmp_path)
    assert done.returncode == 2
    assert error_line(done.stderr).startswith(
        f"ltx2 build: error: argument --lora: {value!r} has no LoRA file name "
        "(NAME.safetensors or NAME.safetensors:0.8)")


@pytest.mark.parametrize("argv, message", [
    (["--prompt="], "invalid request: --prompt: is empty"),
    (["--prompt=   "], "invalid request: --prompt: is empty (only white space)"),
    (["--prompt", "x" * 20_001], "invalid request: --prompt: at most 20000 characters, "
                                 "not 20001"),
    (["--lora", "a"] * 9, "invalid request: --lora: at most 8 items, not 9"),
])
def test_the_cli_words_pydantic_s_refusals_as_the_project_does(argv: list[str], message: str,
                                                                tmp_path: Path) -> None:
    done = run_cli("build", "--prompt", "x", *argv, cwd=tmp_path)
    assert done.returncode == 2
    assert error_line(done.stderr) == f"ltx2: error: {message}"


@pytest.mark.parametrize("jobs, code", [
    ('{"prompt": "a fox", "duration": 1}\n{"prompt": "b", "duration": 1}\n', 1),  # no target
    ('{"prompt": "a fox", "duration": 100}\n', 2),  # nothing valid
])
def test_batch_json_prints_json_lines_in_one_style_the_error_included(
        jobs: str, code: int, tmp_path: Path) -> None:
    (tmp_path / "jobs.jsonl").write_text(jobs)
    done = run_cli("batch", "jobs.jsonl", "--server", "127.0.0.1:9", "-o", "out", "--json",
                   cwd=tmp_path)
    assert done.returncode == code
    lines = done.stdout.splitlines()
    assert len(lines) >= 2
    for line in lines:
        document = json.loads(line)
        assert isinstance(document, dict) and "type" in document
        assert line == json.dumps(document, separators=(",", ":"), ensure_ascii=True)
    assert json.loads(lines[-1])["type"] == "error"
