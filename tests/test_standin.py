"""The ComfyUI stand-in a newcomer starts by hand: ``python -m tests.comfyserver``.

It must run the README's default requests as they are, say where it listens, take any free
port when asked, and explain a busy port in one line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LTX2 = [sys.executable, "-m", "ltx2sdk.app.cli.main"]


def _standin(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.comfyserver", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def standin() -> Iterator[str]:
    process = _standin("--port", "0", "--log-level", "WARNING")
    assert process.stdout is not None
    first = process.stdout.readline()
    try:
        assert first.startswith("ComfyUI stand-in (0.26.0) listening on http://127.0.0.1:")
        yield first.split(" listening on ")[1].strip()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_the_readme_default_requests_run_against_it_as_they_are(standin: str,
                                                                 tmp_path: Path) -> None:
    check = subprocess.run([*LTX2, "check", "--server", standin], capture_output=True,
                           text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ready for LTX-2 (fast, pro)" in check.stdout
    out = tmp_path / "fox.mp4"
    generate = subprocess.run(
        [*LTX2, "generate", "--prompt", "A red fox trots through fresh snow at dawn.",
         "--server", standin, "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert generate.returncode == 0, generate.stderr
    assert out.read_bytes()[4:8] == b"ftyp"


def test_a_busy_port_is_explained_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _standin("--port", str(port))
        _, err = process.communicate(timeout=30)
    assert process.returncode != 0
    assert err.strip().splitlines() == [
        f"python -m tests.comfyserver: port {port} on 127.0.0.1 is already in use (a ComfyUI "
        "running?): choose another with --port N, or --port 0 for any free port"]


def test_help_shows_the_port_and_how_to_pick_a_free_one() -> None:
    done = subprocess.run([sys.executable, "-m", "tests.comfyserver", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=False,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0
    assert "port (default 8188; 0 picks a free one)" in done.stdout


def test_without_aiohttp_it_names_the_extra_to_install(tmp_path: Path) -> None:
    """As after set-up step 1 only (``pip install -e .``): aiohttp, a [dev] extra, is absent.
    A ``sitecustomize`` makes it unimportable, then the README's command runs as typed."""
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['aiohttp'] = None\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "tests.comfyserver"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "python -m tests.comfyserver: the stand-in needs aiohttp, which the [dev] extra "
        "installs: .venv/bin/pip install -e '.[dev]'"]
    assert done.stdout == ""


def test_main_run_in_process_leaves_the_callers_signal_mask_as_it_found_it() -> None:
    """The command blocks Ctrl-C and SIGTERM in its threads to take them with sigwait; run in
    the test process (tests call main()), a mask left behind was inherited by every later
    subprocess, whose Ctrl-C and SIGTERM then never arrived (a dozen signal tests failed)."""
    from tests.comfyserver import __main__ as cli

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with socket.socket() as taken:  # the port taken: main() leaves at once, by SystemExit
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit, match="already in use"):
            cli.main(["--port", str(taken.getsockname()[1]), "--no-frontend",
                      "--log-level", "WARNING"])
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    assert signal.SIGTERM not in before  # (the test would prove nothing otherwise)
