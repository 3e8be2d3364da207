"""The ltx2 command: build output, one-line errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ltx2sdk.cli import main


def test_console_script_builds_the_example(tmp_path: Path) -> None:
    out = tmp_path / "example.json"
    done = subprocess.run([sys.executable, "-m", "ltx2sdk.cli", "build", "--example",
                           "--output", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    api = json.loads(out.read_text())
    assert {n["class_type"] for n in api.values()} >= {"SaveVideo", "SamplerCustomAdvanced"}
    assert "seed 42" in done.stderr and "121 frames" in done.stderr


def test_build_to_stdout_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "p", "--seed", "5"]) == 0
    first = capsys.readouterr().out
    assert main(["build", "--prompt", "p", "--seed", "5"]) == 0
    assert capsys.readouterr().out == first
    assert json.loads(first)["1"]["class_type"] == "CheckpointLoaderSimple"


def test_request_file_with_runpod_envelope_and_flag_override(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"input": {"prompt": "p", "mode": "pro", "duration": 15,
                                         "seed": 9}}))
    assert main(["build", "--request", str(job), "--duration", "20"]) == 0
    api = json.loads(capsys.readouterr().out)
    lengths = [n["inputs"]["length"] for n in api.values()
               if n["class_type"] == "EmptyLTXVLatentVideo"]
    assert lengths == [481]


def test_image_flag_implies_i2v(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "p", "--image", str(tmp_path / "me.png")]) == 0
    api = json.loads(capsys.readouterr().out)
    loads = [n["inputs"]["image"] for n in api.values() if n["class_type"] == "LoadImage"]
    assert loads == ["me.png"]


@pytest.mark.parametrize(("argv", "fragment", "code"), [
    (["build", "--prompt", "p", "--width", "0"], "width: Input should be greater than or equal", 2),
    (["build"], "a prompt is needed", 2),
    (["build", "--request", "/does/not/exist.json"], "cannot read request file", 2),
    (["build", "--prompt", "p", "--type", "i2v"], "needs an image", 2),
    (["build", "--prompt", "p", "--duration", "20", "--fps", "60"],
     "duration: 20 s at 60 fps is 1201 frames; LTX-2's audio latent allows at most 1000", 2),
])
def test_errors_are_one_line_and_non_zero(argv: list[str], fragment: str, code: int,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("ltx2: error: ") and fragment in err
    assert len(err.splitlines()) == 1


def test_schema_and_models(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert "camera_lora" in json.loads(capsys.readouterr().out)["properties"]
    assert main(["models", "--mode", "pro", "--cameras", "none", "--format", "tsv"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [r[0] for r in rows] == ["checkpoints", "text_encoders", "latent_upscale_models",
                                    "loras"]
    assert all(r[2].startswith("https://huggingface.co/") for r in rows)


def test_progress_bar_on_a_terminal_and_plain_lines_elsewhere() -> None:
    import io

    from ltx2sdk.cli_server import ProgressPrinter
    from ltx2sdk.progress import ProgressUpdate

    updates = [ProgressUpdate("Stage 1 sampling", "9", "SamplerCustomAdvanced", s, 8, s * 5.0)
               for s in range(1, 9)] + [ProgressUpdate("finished", "", "", 0, 0, 100.0, True)]
    tty, plain = io.StringIO(), io.StringIO()
    for update in updates:
        ProgressPrinter(tty, interactive=True)(update)
    printer = ProgressPrinter(plain, interactive=False, min_interval=3600)
    for update in updates:
        printer(update)
    assert tty.getvalue().count("\r") == len(updates) and "[#" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
    lines = plain.getvalue().splitlines()
    assert lines == ["  5.0%  Stage 1 sampling step 1/8", "100.0%  finished"]


def test_enhance_prompt_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--prompt", "p", "--enhance-prompt"]) == 0
    api = json.loads(capsys.readouterr().out)
    assert [n["class_type"] for n in api.values()].count("TextGenerateLTX2Prompt") == 1
    assert main(["build", "--prompt", "p"]) == 0
    assert "TextGenerateLTX2Prompt" not in capsys.readouterr().out
