"""The folders a run creates for its output are removed again when it ends with nothing in
them (a server that cannot be reached, Ctrl-C, SIGTERM): ``ltx2 generate -o a/b/x.mp4``,
``generate(output=...)`` and ``ltx2 batch -o eo/sub`` leave no empty ``a/b/`` or ``eo/``
behind. Only the folders the run created go, the deepest first; a folder that was there
before, or that holds anything, is never removed."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ltx2sdk import generate
from ltx2sdk.app.cli.main import main
from ltx2sdk.backends.outputs import make_folders, remove_empty_folders
from ltx2sdk.errors import LTX2Error, ServerUnreachableError
from tests.comfyserver import ComfyTestServer
from tests.helpers import free_port


def _dead() -> str:
    return f"127.0.0.1:{free_port()}"


def _tree(root: Path) -> list[str]:
    """Everything under ``root``, as relative paths."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder of the test's own, the current one (outputs given relative to it)."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


# --- the helpers ----------------------------------------------------------------------------

def test_make_folders_says_which_it_created_outermost_first(work: Path) -> None:
    (work / "there").mkdir()
    created: list[Path] = []
    made = make_folders(work / "there" / "a" / "b", created)
    assert made == created == [work / "there" / "a", work / "there" / "a" / "b"]
    assert make_folders(work / "there" / "a" / "b") == []  # there now: none made


def test_only_empty_folders_go_the_deepest_first(work: Path) -> None:
    made = make_folders(work / "a" / "b" / "c")
    made += make_folders(work / "a" / "kept")
    (work / "a" / "kept" / "mine.txt").write_text("mine")
    removed = remove_empty_folders(made)
    assert removed == [work / "a" / "b" / "c", work / "a" / "b"]  # c first: b was empty then
    assert _tree(work) == ["a", "a/kept", "a/kept/mine.txt"]  # a holds something: kept


def test_a_folder_that_was_there_before_is_never_removed(work: Path) -> None:
    (work / "before").mkdir()
    made = make_folders(work / "before" / "new")
    remove_empty_folders(made)
    assert _tree(work) == ["before"]


# --- generate, in Python and on the command line --------------------------------------------

@pytest.mark.parametrize("where", [{"output": "a/b/x.mp4"}, {"output_dir": "a/b"}])
def test_generate_leaves_no_folder_when_the_server_is_down(where: dict[str, str],
                                                           work: Path) -> None:
    with pytest.raises(ServerUnreachableError):
        generate({"prompt": "a fox"}, server=_dead(), **where)  # type: ignore[arg-type]
    assert _tree(work) == []


def test_generate_keeps_the_folder_that_was_there(work: Path) -> None:
    (work / "mine").mkdir()
    with pytest.raises(ServerUnreachableError):
        generate({"prompt": "a fox"}, server=_dead(), output="mine/new/x.mp4")
    assert _tree(work) == ["mine"]


@pytest.mark.parametrize("where", [["-o", "a/b/x.mp4"], ["--output-dir", "a/b"]])
def test_the_cli_leaves_no_folder_when_the_server_is_down(
        where: list[str], work: Path, no_user_settings: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--prompt", "a fox", "--server", _dead(), *where]) == 1
    assert "connection refused" in capsys.readouterr().err
    assert _tree(work) == []


def test_build_makes_no_folder_for_a_request_it_refuses(
        work: Path, no_user_settings: Path) -> None:
    assert main(["build", "--prompt", "a fox", "--duration", "99", "-o", "a/b/x.json"]) != 0
    assert _tree(work) == []
    assert main(["build", "--prompt", "a fox", "-o", "a/b/x.json"]) == 0
    assert _tree(work) == ["a", "a/b", "a/b/x.json"]


def test_a_made_video_is_kept_in_the_folders_made_for_it(ltx_server: ComfyTestServer,
                                                        work: Path) -> None:
    result = generate({"prompt": "a fox", "duration": 1}, ltx_server.url,
                      output="a/b/x.mp4")
    assert result.video == Path("a/b/x.mp4")
    assert _tree(work) == ["a", "a/b", "a/b/x.mp4"]


def test_a_failed_download_leaves_no_folder(ltx_server: ComfyTestServer, work: Path) -> None:
    """The folders are made when the video is fetched: a fetch that fails removes them."""
    from aiohttp import web

    async def tamper(request: web.Request, handler: Any) -> web.StreamResponse | None:
        if request.path.removeprefix("/api").startswith("/view"):
            return web.Response(status=500, text="disk on fire")
        return None

    ltx_server.faults.tamper = tamper
    with pytest.raises(LTX2Error):
        generate({"prompt": "a fox", "duration": 1}, ltx_server.url, output="a/b/x.mp4",
                 output_dir="c/d")
    assert ltx_server.received.prompts  # it ran: the fetch failed
    assert _tree(work) == []


# --- the batch ------------------------------------------------------------------------------

def test_the_batch_leaves_no_parent_folder_when_the_server_is_down(
        work: Path, no_user_settings: Path) -> None:
    (work / "jobs.jsonl").write_text('{"prompt": "a fox", "duration": 1}\n')
    assert main(["batch", "jobs.jsonl", "--server", _dead(), "-o", "eo/sub"]) == 1
    assert _tree(work) == ["jobs.jsonl"]  # neither eo/sub nor eo


def test_the_batch_keeps_a_folder_that_was_there(work: Path, no_user_settings: Path) -> None:
    (work / "jobs.jsonl").write_text('{"prompt": "a fox", "duration": 1}\n')
    (work / "eo").mkdir()
    assert main(["batch", "jobs.jsonl", "--server", _dead(), "-o", "eo/sub"]) == 1
    assert _tree(work) == ["eo", "jobs.jsonl"]


# --- Ctrl-C and SIGTERM ---------------------------------------------------------------------

@pytest.mark.parametrize(("sent", "status"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_stopped_generate_leaves_no_folder(sent: str, status: int,
                                             ltx_server: ComfyTestServer, work: Path) -> None:
    ltx_server.sim.sampler_steps = 500
    ltx_server.sim.step_delay = 0.02
    proc = subprocess.Popen([sys.executable, "-m", "ltx2sdk.app.cli.main", "generate",
                             "--prompt", "p", "--server", ltx_server.url, "-o", "a/b/x.mp4"],
                            stderr=subprocess.PIPE, text=True, cwd=work)
    deadline = time.monotonic() + 20
    while not ltx_server.received.prompts and time.monotonic() < deadline:
        time.sleep(0.05)  # (a wait for a state, not a timed assertion)
    assert ltx_server.received.prompts, "the prompt was never queued"
    proc.send_signal(getattr(signal, sent))
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == status, err
    assert _tree(work) == []


def test_a_stopped_batch_waiting_for_its_server_leaves_no_folder(work: Path) -> None:
    (work / "jobs.jsonl").write_text('{"prompt": "a fox", "duration": 1}\n')
    proc = subprocess.Popen([sys.executable, "-m", "ltx2sdk.app.cli.main", "batch",
                             "jobs.jsonl", "--server", _dead(), "--ready-timeout", "60",
                             "-o", "eo/sub"], stderr=subprocess.PIPE, text=True, cwd=work)
    deadline = time.monotonic() + 20
    while not (work / "eo" / "sub").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # the batch has made its folder: it waits for the server now
    assert (work / "eo" / "sub").exists()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert _tree(work) == ["jobs.jsonl"]
