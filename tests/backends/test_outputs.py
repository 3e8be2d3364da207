"""Outputs land in the output folder under fresh names: a server's name never replaces a file."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path
from typing import Any, cast

import pytest

from ltx2sdk.backends.outputs import OutputFile, publish, staging_file
from ltx2sdk.backends.protocol import Backend, RunResult, download_all
from ltx2sdk.errors import OutputError

PNG = b"\x89PNG\r\n\x1a\n" + bytes(8)


class WritingBackend:
    """A backend whose download writes ``body``, once every such backend has written."""

    def __init__(self, body: bytes, together: threading.Barrier) -> None:
        self.body = body
        self.together = together

    def download(self, output: OutputFile, dest: Path, **kwargs: Any) -> Path:
        dest.write_bytes(self.body)
        self.together.wait(timeout=10)  # both runs hold their file before either names it
        return dest


def test_two_runs_into_one_folder_never_share_a_name(tmp_path: Path) -> None:
    together = threading.Barrier(2)
    output = OutputFile("9", "images", "ltx2sdk_00001_.png", "", "output")
    results = [RunResult(f"p{i}", [output]) for i in range(2)]

    def run(index: int) -> None:
        backend = WritingBackend(b"%s run %d" % (PNG, index), together)
        download_all(cast(Backend, backend), results[index], tmp_path)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    paths = [result.files[output] for result in results]
    assert sorted(p.name for p in paths) == ["ltx2sdk_00001_ (1).png", "ltx2sdk_00001_.png"]
    assert [p.read_bytes() for p in paths] == [b"%s run %d" % (PNG, i) for i in range(2)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_publish_takes_the_first_free_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           links: bool) -> None:
    if not links:  # FAT, some network mounts: an exclusive placeholder instead
        def refuse(*args: Any, **kwargs: Any) -> None:
            raise OSError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(os, "link", refuse)
    (tmp_path / ".bashrc").write_bytes(b"mine")
    (tmp_path / ".bashrc (1)").write_bytes(b"mine too")
    staged = staging_file(tmp_path, ".bashrc")
    staged.write_bytes(b"theirs")
    assert publish(staged, tmp_path / ".bashrc") == tmp_path / ".bashrc (2)"
    assert [(p.name, p.read_bytes()) for p in sorted(tmp_path.iterdir())] == [
        (".bashrc", b"mine"), (".bashrc (1)", b"mine too"), (".bashrc (2)", b"theirs")]


def test_a_failed_download_leaves_nothing(tmp_path: Path) -> None:
    class Failing:
        def download(self, output: OutputFile, dest: Path, **kwargs: Any) -> Path:
            dest.write_bytes(b"half")
            raise OutputError("cut short")

    output = OutputFile("9", "images", "a.png", "", "output")
    with pytest.raises(OutputError):
        download_all(cast(Backend, Failing()), RunResult("p", [output]), tmp_path)
    assert not list(tmp_path.iterdir())
