"""The README against the code: its parameter table is the request model's, its ltx2 command
lines parse with the real parser, and its commands and Python examples run as pasted after
the two set-up commands (the server ones against the stand-in)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from ltx2sdk.app.cli.main import build_parser, main
from ltx2sdk.request import DEFAULT_NEGATIVE_PROMPT, GenerationRequest, ModelSet
from ltx2sdk.vocabulary import DEFAULT_DURATION_S, MAX_DURATION_S, MAX_FRAMES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = ("build", "generate", "check", "models", "schema", "batch")
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "&", "2>&1"}
# placeholders the README writes in upper case, and a value each stands for
PLACEHOLDERS = {"SECONDS": "5", "URL": "http://127.0.0.1:8188", "FILE": "first.png",
                "DATA": "AAAA", "N": "9", "TEXT": "a fox", "COMMAND": "build"}


def sections() -> dict[str, str]:
    """``## heading`` -> its text."""
    parts = re.split(r"^## (.+)$", README, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def section(start: str) -> str:
    [text] = [body for heading, body in sections().items() if heading.startswith(start)]
    return text


def shell_commands(block: str) -> Iterator[list[str]]:
    """Each simple command of a bash block, as tokens (comments and operators removed)."""
    pending = ""
    for line in block.replace("\\\n", " ").splitlines():
        try:
            tokens = shlex.split(pending + line, comments=True)
        except ValueError:  # a quoted argument goes on on the next line
            pending += line + "\n"
            continue
        pending = ""
        command: list[str] = []
        for token in [*tokens, ";"]:
            if token in SHELL_OPERATORS:
                if command:
                    yield command
                command = []
            else:
                command.append(token)


def program(command: list[str]) -> tuple[str, list[str]]:
    """The program a command runs and its arguments (``VAR=value`` prefixes skipped)."""
    words = list(command)
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        words.pop(0)
    return (words[0], words[1:]) if words else ("", [])


def ltx2_invocations() -> list[list[str]]:
    """The arguments of every ltx2 command in the README's code: bash blocks and inline spans."""
    found = []
    for block in blocks(README, "bash"):
        for command in shell_commands(block):
            name, args = program(command)
            if name.endswith("ltx2"):
                found.append(args)
    for span in re.findall(r"`((?:\.venv/bin/)?ltx2 [^`]*)`", README):
        found.append(shlex.split(span)[1:])
    return found


# --- the parameter table ----------------------------------------------------------------------

def parameter_rows() -> list[tuple[list[str], list[str], str]]:
    """(fields, their defaults, the limits cell) of each row of the Parameters table."""
    rows = []
    for line in section("Parameters").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 3, line
        names = re.findall(r"`(\w+)`", cells[0])
        defaults = [cells[1]] if len(names) == 1 else [d.strip() for d in cells[1].split(",")]
        assert len(defaults) == len(names), line
        rows.append((names, defaults, cells[2]))
    return rows


def documented_default(name: str, field: FieldInfo) -> str:
    """How the table writes a field's default (checked against the model)."""
    if name == "prompt":
        assert field.is_required()
        return "(required)"
    if name == "seed":
        assert field.default is None and "random" in (field.description or "")
        return "random"
    if name == "models":
        assert field.default_factory is ModelSet
        return "per mode"
    if name == "fps":
        assert field.default is None and "template" in (field.description or "")
        return "per pipeline"
    if name == "type":  # follows from the input files; their absence makes the default
        assert field.default == "t2v" and "the input files decide" in (field.description or "")
        return "from the inputs"
    if name == "duration":
        assert field.default is None  # the length comes from frames, else this default
        return f"{DEFAULT_DURATION_S:g}"
    if name == "negative_prompt":
        assert field.default is None and DEFAULT_NEGATIVE_PROMPT in (field.description or "")
        return f"`{DEFAULT_NEGATIVE_PROMPT}`"
    if field.default_factory is not None:  # an empty list (loras): nothing to say
        assert field.default_factory() == [], name  # type: ignore[call-arg]
        return ""
    default = field.default
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    if isinstance(default, str):
        return f"`{default}`"
    if isinstance(default, float):
        return f"{default:.1f}" if default.is_integer() else f"{default:g}"
    return str(default)


def limits(field: FieldInfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in field.metadata:
        for key in ("ge", "gt", "le", "min_length", "max_length"):
            if getattr(item, key, None) is not None:
                found[key] = getattr(item, key)
    return found


def number(value: Any) -> str:
    if value == 2**64 - 1:
        return "2^64-1"
    return f"{value:g}" if isinstance(value, float) else str(value)


def test_every_request_field_is_in_the_table_and_nothing_else() -> None:
    documented = [name for names, _, _ in parameter_rows() for name in names]
    assert len(documented) == len(set(documented)), "a field is documented twice"
    assert set(documented) == set(GenerationRequest.model_fields)


def test_the_tables_defaults_are_the_models() -> None:
    for names, defaults, _ in parameter_rows():
        for name, default in zip(names, defaults, strict=True):
            field = GenerationRequest.model_fields[name]
            assert default == documented_default(name, field), name


def test_the_tables_limits_and_choices_are_the_models() -> None:
    for names, _, cell in parameter_rows():
        for name in names:
            field = GenerationRequest.model_fields[name]
            bounds = limits(field)
            if name == "frames":
                assert f"from {bounds['ge']}" in cell and f"at most {MAX_FRAMES}" in cell
                assert f"{MAX_DURATION_S:g} s" in cell
            elif name == "duration":
                assert bounds == {"gt": 0, "le": MAX_DURATION_S}
                assert f"up to {MAX_DURATION_S:g}" in cell and f"{MAX_FRAMES} frames" in cell
            elif "ge" in bounds and "le" in bounds:
                assert f"{number(bounds['ge'])} to {number(bounds['le'])}" in cell, name
            elif "max_length" in bounds and "min_length" in bounds:
                assert (f"{bounds['min_length']} to {bounds['max_length']} characters"
                        in cell), name
            if typing.get_origin(field.annotation) is typing.Literal:
                for choice in typing.get_args(field.annotation):
                    assert f"`{choice}`" in cell, (name, choice)
            if name == "models":
                for sub in ModelSet.model_fields:
                    assert f'"{sub}"' in cell, sub


def test_the_image_strength_defaults_are_the_catalogs() -> None:
    """The table says each pipeline's first-image strength as ``--image-strength --help``
    does, from the catalog (it once said 0.7 for LTX-2.3, whose i2v pro uses 1)."""
    from ltx2sdk.app.cli.request_flags import first_frame_strengths, per_pipeline

    [limits_cell] = [cell for names, _, cell in parameter_rows() if names == ["image_strength"]]
    assert f"unless given, the pipeline's: {per_pipeline(first_frame_strengths())} (" \
        in limits_cell, limits_cell


def test_the_table_names_each_fields_cli_flag() -> None:
    intro = section("Parameters").split("| field |")[0]
    for flag in ("--negative-prompt", "--camera-lora", "--camera", "--checkpoint",
                 "--text-encoder", "--upscaler", "--distilled-lora",
                 "--distilled-lora-strength", "--image", "--image-url", "--image-base64"):
        assert f"`{flag}`" in intro, flag


# --- ltx2 command lines -------------------------------------------------------------------------

def test_what_can_be_generated_is_the_catalog() -> None:
    from builders.catalog import PIPELINES
    from ltx2sdk.model_files import lookup

    rows = []
    for line in section("What can be generated").splitlines():
        if line.startswith("| `ltx"):  # the body rows (the header names the fields)
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            rows.append(tuple(cells))
    expected = []
    for p in PIPELINES:
        size = sum(entry.size_gb for folder, name in p.model_files
                   if (entry := lookup(folder, name)) is not None)
        expected.append((*p.key, p.template or "(none: see below)", f">= {p.min_comfyui}",
                         f"{size:.1f} GB", p.model.gpu_memory))
    from builders.catalog import ltx2_5_api  # (the hosted pipelines: no model files)

    expected += [(*p.key, p.template or "(none: see below)", f">= {p.min_comfyui}",
                  "none (hosted)", p.model.gpu_memory) for p in ltx2_5_api.PIPELINES]
    assert rows == expected


def test_the_readmes_ltx2_command_lines_parse() -> None:
    invocations = ltx2_invocations()
    assert len(invocations) >= 15
    parser = build_parser()
    for args in invocations:
        args = [PLACEHOLDERS.get(a, a) for a in args]
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                parser.parse_args(args)
            except SystemExit as exc:
                assert exc.code == 0, f"ltx2 {shlex.join(args)}: {err.getvalue().strip()}"


def help_texts() -> str:
    texts = []
    for command in COMMANDS:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            main([command, "--help"])
        texts.append(out.getvalue())
    return "\n".join(texts)


def test_the_flags_the_readme_names_exist() -> None:
    text = "".join(section(s) for s in ("From zero", "The `ltx2` command", "Parameters"))
    flags = set(re.findall(r"`(--[a-z][a-z0-9-]*)", text))
    assert {"--camera-lora", "--ready-timeout", "--server", "--image-base64"} <= flags
    helps = help_texts()
    for flag in flags:
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", helps), flag


# --- the commands run as pasted -----------------------------------------------------------------

def test_commands_use_the_venv_the_set_up_made() -> None:
    """After the set-up, bare ``python``/``pip``/``ltx2`` may be another interpreter or none."""
    for block in blocks(README, "bash"):
        for command in shell_commands(block):
            name, args = program(command)
            if name == "python3":
                assert args[:2] == ["-m", "venv"], command  # the set-up's own
            assert name not in ("python", "pip", "pip3", "ltx2", "comfy"), command
    spans = re.findall(r"`((?:python3?|pip3?) [^`]*)`", README.split("\n## Layout")[0])
    assert spans == [], spans


def _venv(tmp: Path) -> None:
    """``.venv/bin/ltx2`` and ``.venv/bin/python`` in ``tmp`` as the set-up made them: this
    interpreter's venv when it is one, else wrappers running this interpreter."""
    if (Path(sys.prefix) / "bin" / "ltx2").exists():
        (tmp / ".venv").symlink_to(Path(sys.prefix))
        return
    bindir = tmp / ".venv" / "bin"
    bindir.mkdir(parents=True)
    for name, run in (("python", ""), ("ltx2", "-m ltx2sdk.app.cli.main")):
        script = bindir / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" {run} "$@"\n')
        script.chmod(0o755)


def _run(line: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{line}\n{done.stderr[-2000:]}"
    assert "error" not in done.stderr.lower(), f"{line}\n{done.stderr[-2000:]}"
    return done.stdout


@contextlib.contextmanager
def stand_in(cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """The README's stand-in (``.venv/bin/python -m tests.comfyserver``), on a free port."""
    proc = subprocess.Popen([".venv/bin/python", "-m", "tests.comfyserver", "--port", "0",
                             "--log-level", "WARNING"], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", first)
        assert match, first
        yield match.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stdout is not None:
            proc.stdout.close()


def test_the_readmes_commands_and_examples_run_as_pasted(tmp_path: Path) -> None:
    """In a fresh folder with the set-up's ``.venv``: the set-up's build, the offline ltx2
    block, the offline Python examples, then with the stand-in (as the README says to start
    it) the server block, the Python examples that talk to a server and the RunPod worker's
    local runs. Each line must succeed without printing an error."""
    _venv(tmp_path)
    for name in ("test_input.json", "runpod_handler.py"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # tests.comfyserver, as from the clone
    env.pop("COMFY_URL", None)

    [setup] = blocks(section("Set-up"), "bash")
    for command in re.split(r"&&|\n", setup):
        if command.strip().startswith(".venv/bin/ltx2"):
            _run(command.strip(), tmp_path, env)
    assert (tmp_path / "example.json").is_file()

    offline, online = blocks(section("The `ltx2` command"), "bash")
    for line in offline.splitlines():
        _run(line, tmp_path, env)
    for name in ("fox.json", "first.png", "i2v.json", "last.png", "flf2v.json", "voice.wav",
                 "ia2v.json",
                 "enhanced.json", "job.json",
                 "example-0.8.0.json", "request.schema.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    python = blocks(README, "python")  # every one, the ComfyScript ones too
    assert len(python) >= 5 and any("with Workflow(queue=False)" in b for b in python)
    for block in python:
        if "127.0.0.1:8188" not in block:
            (tmp_path / "example.py").write_text(block)
            _run(".venv/bin/python example.py", tmp_path, env)

    with stand_in(tmp_path, env) as url:
        env["COMFY_URL"] = url  # the README's commands use the default server
        for line in online.splitlines():
            _run(line.replace("http://127.0.0.1:8188", url), tmp_path, env)
        assert (tmp_path / "snow-fox.mp4").read_bytes()[4:8] == b"ftyp"
        assert (tmp_path / "smile.mp4").is_file() and (tmp_path / "example-info.json").is_file()
        for block in python:
            if "127.0.0.1:8188" in block:
                (tmp_path / "example.py").write_text(block.replace("http://127.0.0.1:8188", url))
                _run(".venv/bin/python example.py", tmp_path, env)
        assert (tmp_path / "out" / "comfyscript_00001_.mp4").read_bytes()[4:8] == b"ftyp"
        [runpod] = [b for b in blocks(section("RunPod"), "bash") if "--test_input" in b]
        for line in runpod.splitlines():
            if "--rp_serve_api" not in line:  # a server that runs until stopped
                _run(line, tmp_path, env)
        # the ComfyScript program: written as pasted, then run against the stand-in
        [comfyscript, *_] = blocks(section("ComfyScript"), "bash")
        [build, run] = comfyscript.splitlines()
        _run(build, tmp_path, env)
        program = (tmp_path / "fox.py").read_text()
        default = 'load("http://127.0.0.1:8188/")'  # the line the README says to edit
        assert default in program
        (tmp_path / "fox.py").write_text(program.replace(default, f'load("{url}/")'))
        _run(run, tmp_path, env)

    # whatever they wrote, .gitignore keeps out of a clone's git status
    from .test_repo_files import not_ignored

    made = [p.name for p in tmp_path.iterdir()
            if p.name not in ("test_input.json", "runpod_handler.py", "example.py")]
    assert not_ignored(sorted(made)) == []
