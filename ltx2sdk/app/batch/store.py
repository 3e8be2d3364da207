"""A batch's output folder: the videos, ``results.jsonl``, and what a re-run may skip.

Layout of ``--output-dir D``::

    D/results.jsonl          one line per finished job (appended; the last line of a key wins)
    D/0003-1f2e3d4c5b6a.mp4  job 3's video: its number and the start of its key
    D/.submitted.jsonl       jobs handed to a RunPod endpoint: a re-run follows them
    D/.partial/              files being written (removed when a run starts)
    D/.lock                  held while a batch writes here (a second one is refused);
                             removed when the batch ends, however it ends

A video is written under ``.partial/``, checked, then moved to its name; only then is its
``"status": "ok"`` line appended (one ``write`` of the whole line, flushed to disk). So a
batch killed at any moment leaves either a finished job (video and line) or nothing that
counts: a re-run does that job again. A line cut short by the kill is ignored when read.

A job is **done** when the last line with its key says ``ok`` and its video is still there
with the size the line records; a failed or cancelled job is tried again by a re-run.

**Never clobbered**: a file under a video's name that no ``results.jsonl`` line names (the
batch did not write it: the user's, another tool's) is never replaced: the video takes the
first free name ``0003-1f2e3d4c5b6a (1).mp4`` instead, and its line records that name (a
re-run finds it there). A video a line names (an earlier run's, since cut short or
changed) is the batch's own: a re-run that makes its job again writes it under that name.

A job submitted to a RunPod endpoint is noted in ``.submitted.jsonl`` (key, endpoint, RunPod
job id) as soon as RunPod accepts it: a re-run after a kill follows that RunPod job (still
queued, running, or finished within RunPod's 30 minutes) instead of paying for it twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ltx2sdk.app.batch.jobs import BatchJob, key_id
from ltx2sdk.backends.outputs import make_folders, remove_empty_folders
from ltx2sdk.errors import OutputFolderBusyError, OutputPathError, StoreClosedError

__all__ = ["RESULTS_NAME", "ResultStore"]

RESULTS_NAME = "results.jsonl"
SUBMITTED_NAME = ".submitted.jsonl"
PARTIAL_DIR = ".partial"
LOCK_NAME = ".lock"
ELIDE_OVER = 256  # request strings longer than this (base64 images) are summarised
FREE_NAMES = 10_000  # "name (n).mp4" tried for a video whose name is taken by another file
_VIDEO_NAME = re.compile(r"([0-9]{1,9})-([0-9a-f]{12})\.mp4")


class ResultStore:
    """The output folder of one batch run (see the module). Thread-safe: jobs finishing on
    several threads append their lines one at a time. Use as a context manager, or call
    :meth:`open` and :meth:`close`."""

    def __init__(self, output_dir: Path | str) -> None:
        self.output_dir = Path(output_dir)
        self.results_path = self.output_dir / RESULTS_NAME
        self.submitted_path = self.output_dir / SUBMITTED_NAME
        self.partial_dir = self.output_dir / PARTIAL_DIR
        self._lock = threading.Lock()
        self._lock_file: IO[bytes] | None = None
        self._closed = False
        self._made: list[Path] = []  # the folders open() created (the output one, parents)
        # the video names results.jsonl holds (see _name_id): the batch's own files
        self._ours: set[int | str] = set()
        # key_id -> the name of a done job's video not under its usual name
        self._renamed: dict[int, str] = {}

    def open(self) -> ResultStore:
        """Create the folder, take its lock (:class:`OutputFolderBusyError` when another
        batch holds it) and clear files a killed run left half-written."""
        make_folders(self.output_dir, self._made)  # removed again if left empty
        self._lock_file = self._take_lock()
        shutil.rmtree(self.partial_dir, ignore_errors=True)
        self.partial_dir.mkdir()
        self._end_last_line(self.results_path)
        self._end_last_line(self.submitted_path)
        return self

    def _take_lock(self) -> IO[bytes]:
        """The open lock file, locked (:class:`OutputFolderBusyError` when another batch
        holds it). The holder removes the file before it lets the lock go (:meth:`close`):
        a lock taken on a file that was removed meanwhile is no lock on the folder, and is
        taken again on the file now at its path."""
        path = self.output_dir / LOCK_NAME
        while True:
            handle = open(path, "ab")  # noqa: SIM115 - held open while the batch runs
            try:
                import fcntl
            except ImportError:  # Windows: no advisory lock; one batch per folder is on the user
                return handle
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise OutputFolderBusyError(
                    f"another batch is writing to {self.output_dir} (wait for it to end, or "
                    "choose another output folder)") from None
            if _same_file(handle, path):
                return handle
            handle.close()  # its holder ended and removed it: lock the one there now

    def close(self) -> None:
        """Refuse every later write, remove the partial files' folder and the lock file, and
        release the folder's lock (the file is removed while the lock is held, and only if
        it is this batch's own: never one another live batch holds). The folders :meth:`open`
        created (the output folder and its missing parents) that nothing was written to are
        removed too, the deepest first; a folder that was there before is never removed."""
        with self._lock:  # a write in progress ends first; none starts after
            self._closed = True
        shutil.rmtree(self.partial_dir, ignore_errors=True)
        if self._lock_file is not None:
            path = self.output_dir / LOCK_NAME
            if sys.platform != "win32" and _same_file(self._lock_file, path):
                with contextlib.suppress(OSError):  # (a folder made read-only meanwhile)
                    path.unlink()
            # a batch that wrote nothing leaves no empty folder (one not empty is kept)
            remove_empty_folders(self._made)
            self._lock_file.close()  # closing releases the lock
            self._lock_file = None

    def __enter__(self) -> ResultStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def done(self) -> set[int]:
        """The jobs already done (see the module), as :func:`~ltx2sdk.app.batch.jobs.key_id` s
        of their keys (a set of numbers: memory for a million jobs is tens of MB, not
        hundreds). A re-run skips them."""
        done: set[int] = set()
        for line in self._lines(self.results_path):
            if isinstance(line.get("video"), str):
                self._ours.add(_name_id(line["video"]))
            key = line.get("key")
            if not isinstance(key, str) or len(key) < 16:
                continue
            try:
                compact = key_id(key)
            except ValueError:  # not a key this module wrote
                continue
            if line.get("status") == "ok" and self._video_intact(line):
                done.add(compact)
                if _VIDEO_NAME.fullmatch(line["video"]):  # its usual name
                    self._renamed.pop(compact, None)
                else:  # a free name it took
                    self._renamed[compact] = line["video"]
            else:
                done.discard(compact)
                self._renamed.pop(compact, None)
        return done

    def video_of(self, job: BatchJob) -> Path:
        """Where a job :meth:`done` found done has its video (its usual name, or the free
        name it took)."""
        name = self._renamed.get(key_id(job.key))
        return self.output_dir / name if name is not None else self.video_path(job)

    def submitted(self, done: Collection[int]) -> dict[str, tuple[str, str]]:
        """The jobs noted as submitted and not in ``done``, by key: ``(target name,
        RunPod job id)`` of the latest submission."""
        found: dict[str, tuple[str, str]] = {}
        for line in self._lines(self.submitted_path):
            key, target, job_id = line.get("key"), line.get("target"), line.get("job_id")
            if isinstance(key, str) and isinstance(target, str) and isinstance(job_id, str):
                found[key] = (target, job_id)
        for key in list(found):
            try:
                if key_id(key) in done:
                    del found[key]
            except ValueError:
                del found[key]
        return found

    def _lines(self, path: Path) -> Iterator[dict[str, Any]]:
        if not path.exists():
            return
        with open(path, "rb") as handle:
            for raw in handle:
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # cut short by a kill, or edited by hand: not a result
                if isinstance(line, dict):
                    yield line

    def _video_intact(self, line: Mapping[str, Any]) -> bool:
        name, size = line.get("video"), line.get("bytes")
        if not isinstance(name, str) or not isinstance(size, int) or Path(name).name != name:
            return False
        try:
            return (self.output_dir / name).stat().st_size == size
        except OSError:
            return False

    # -- writing ---------------------------------------------------------------------------

    def video_path(self, job: BatchJob) -> Path:
        """Where ``job``'s video goes: ``D/0003-1f2e3d4c5b6a.mp4``."""
        return self.output_dir / f"{job.number:04d}-{job.key[:12]}.mp4"

    def partial_path(self, job: BatchJob, attempt: int) -> Path:
        """Where an attempt writes ``job``'s video before it is checked and moved."""
        return self.partial_dir / f"{job.number:04d}-{job.key[:12]}.{attempt}.mp4"

    def place(self, partial: Path, job: BatchJob) -> Path:
        """Move a finished attempt's video into place (atomically); its final path: its
        usual name (:meth:`video_path`), or the first free ``name (n).mp4`` when a file the
        batch did not write is there (see the module)."""
        usual = self.video_path(job)
        with self._lock:
            self._refuse_if_closed()
            final = usual
            number = 0
            while os.path.lexists(final) and _name_id(final.name) not in self._ours:
                number += 1
                if number > FREE_NAMES:
                    raise OutputPathError(str(usual), f"is taken, as are the next "
                                                      f"{FREE_NAMES} free names")
                final = usual.with_name(f"{usual.stem} ({number}){usual.suffix}")
            os.replace(partial, final)
            self._ours.add(_name_id(final.name))  # this batch's own from now on
        return final

    def record(self, line: Mapping[str, Any]) -> None:
        """Append one result line: a single write, flushed to disk before returning."""
        self._append(self.results_path, line)

    def note_submitted(self, key: str, target: str, job_id: str) -> None:
        """Note that the job ``key`` is RunPod job ``job_id`` on ``target`` (see the
        module)."""
        self._append(self.submitted_path, {"key": key, "target": target, "job_id": job_id})

    def _append(self, path: Path, line: Mapping[str, Any]) -> None:
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            self._refuse_if_closed()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise StoreClosedError(f"the batch writing to {self.output_dir} has ended")

    @staticmethod
    def _end_last_line(path: Path) -> None:
        """After a kill in the middle of a line, start the next one on a line of its own."""
        with contextlib.suppress(FileNotFoundError), open(path, "rb+") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")


def _same_file(handle: IO[bytes], path: Path) -> bool:
    """Whether the open ``handle`` is the file at ``path`` now (not one removed since)."""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except OSError:  # nothing at the path any more
        return False


def _name_id(name: str) -> int | str:
    """A video's name as :attr:`ResultStore._ours` holds it: a number for a usual name
    (``0003-1f2e3d4c5b6a.mp4``: a tenth of the memory of its text), else the name."""
    usual = _VIDEO_NAME.fullmatch(name)
    if usual is None:
        return name
    return int(usual[1]) << 48 | int(usual[2], 16)


def summarised_request(job: BatchJob) -> Any:
    """The request as a results line shows it: as given, long strings (base64 images)
    replaced by their length."""
    if job.input is None:
        return None
    return {key: _short(value) for key, value in job.input.items()}


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > ELIDE_OVER:
        return f"<{len(value)} characters>"
    if isinstance(value, Mapping):
        return {key: _short(item) for key, item in value.items()}
    return value
