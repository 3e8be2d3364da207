"""The clone's own files: the LICENSE the metadata names, and a ``.gitignore`` that keeps
every file the README's commands write out of ``git status``."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

# what the set-up commands and the test tools leave in the clone
SET_UP_WRITES = [".venv", "ltx2sdk.egg-info", "__pycache__", "ltx2sdk/__pycache__",
                 ".pytest_cache", ".mypy_cache", ".ruff_cache", "build", "dist"]
# a file or folder a command writes: -o/--output FILE, any --...-dir DIR (--output-dir,
# comfy-api-proxy's --state-dir), > FILE, and the Python
# examples' save('FILE'), wave.open('FILE', 'wb'), output="FILE", output_dir="FILE" and a
# batch's output folder, run_batch(jobs, server, "DIR")
WRITES = [r"(?:^|\s)(?:-o|--output|--[\w-]+-dir)[ =]([^\s`'\"]+)", r"(?<![\d-])>\s*([^\s&`'\"]+)",
          r"\.save\('([^']+)'\)", r"wave\.open\('([^']+)', 'wb'\)",
          r"\boutput(?:_dir)?=\"([^\"]+)\"", r"\b(?:run|iter)_batch\([^)]*\"([^\"]+)\"\)"]


def readme_code() -> list[str]:
    """The README's code blocks and inline code spans, where its commands are."""
    fenced = re.findall(r"^```\w*\n(.*?)^```", README, flags=re.MULTILINE | re.DOTALL)
    prose = re.sub(r"^```\w*\n.*?^```", "", README, flags=re.MULTILINE | re.DOTALL)
    return fenced + re.findall(r"`([^`\n]+)`", prose)


def written_by_the_readme() -> set[str]:
    found = set()
    for code in readme_code():
        for pattern in WRITES:
            for name in re.findall(pattern, code, flags=re.MULTILINE):
                # placeholders (DIR, FILE), variables and absolute paths are not the clone's
                if name.isupper() or not re.fullmatch(r"\w[\w.\-/]*", name):
                    continue
                found.add(name)
    return found


def not_ignored(paths: list[str]) -> list[str]:
    """Those of ``paths`` (relative to the clone) that ``.gitignore`` ignores neither as a
    file nor as a folder, as git decides it (tracked or not, existing or not)."""
    asked = [name for path in paths for name in (path, f"{path}/")]
    done = subprocess.run(["git", "check-ignore", "--no-index", "--stdin"], cwd=ROOT,
                          input="\n".join(asked) + "\n", capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: none of them is ignored
    ignored = set(done.stdout.splitlines())
    return [p for p in paths if p not in ignored and f"{p}/" not in ignored]


def test_the_readmes_outputs_are_found() -> None:
    """The parser finds what the README writes (so the next test checks something)."""
    found = written_by_the_readme()
    assert {"example.json", "fox.mp4", "first.png", "voice.wav", "jobs.jsonl", "batch-out",
            "info.json", "out", "fox-python.mp4", "notebook-out", "proxy-state"} <= found, \
        sorted(found)
    assert len(found) >= 30, sorted(found)


def test_every_file_the_readmes_commands_write_is_ignored() -> None:
    paths = sorted(written_by_the_readme()) + SET_UP_WRITES
    assert not_ignored(paths) == []


def test_the_projects_own_files_are_not_ignored() -> None:
    own = ["README.md", "LICENSE", "test_input.json", "runpod_handler.py", "docker/start.sh",
           "tests/fixtures/protocol/x.json", "tests/fixtures/versions/0.8.0/clip.mp4"]
    assert not_ignored(own) == own


def test_the_license_is_the_mit_license_the_metadata_names() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    # PEP 639's license and license-files are setuptools 77's
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the ltx2sdk authors\n\n")
    assert "Permission is hereby granted, free of charge, to any person" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
    # the installed package (the set-up's editable install) says the same
    metadata = importlib.metadata.metadata("ltx2sdk")
    assert metadata["License-Expression"] == "MIT"
    assert "LICENSE" in (metadata.get_all("License-File") or [])
    assert "MIT: see [LICENSE](LICENSE)." in README
