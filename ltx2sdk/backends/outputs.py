"""A finished job's outputs as both backends give them: named locally, verified.

Each backend reads its outputs from its own wire format (native ComfyUI's history:
:func:`ltx2sdk.backends.comfyui.wire.outputs_from_history`; a Comfy API v2 job's assets) into
:class:`OutputFile`. Here is what they share: a distinct local name for each output that
never carries a path (:func:`local_names`), so the local copy of an output never lands
outside the output folder and two outputs never share a name; a file written under a name
nobody else can have (:func:`staging_file`) and given its final name only where no file is
(:func:`publish`), so a name the server chose never replaces a file; and the check that a
downloaded file is whole and the kind of file it claims to be (:func:`verify_download`).
"""

from __future__ import annotations

import errno
import itertools
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ltx2sdk.errors import FileContentError, OutputError
from ltx2sdk.media.file_formats import verify_file

DOWNLOAD_CHUNK = 1 << 20  # 1 MiB read at a time: steady memory whatever the file size


@dataclass(frozen=True)
class OutputFile:
    """A file a node reported: ``node_id`` and ``kind`` (the history key) say where from."""

    node_id: str
    kind: str
    filename: str
    subfolder: str
    type: str
    animated: bool = False

    @property
    def view_params(self) -> dict[str, str]:
        return {"filename": self.filename, "subfolder": self.subfolder, "type": self.type}

    @property
    def is_video(self) -> bool:
        """Whether the node reported a video (SaveVideo's animated ``images``, ``gifs``,
        ``videos``)."""
        return self.kind in ("gifs", "videos") or (self.kind == "images" and self.animated)


def local_names(outputs: Iterable[OutputFile]) -> dict[OutputFile, str]:
    """A distinct local file name for each output: the server's base name, else prefixed
    with the node id, else numbered (a name from the server never carries a path)."""
    names: dict[OutputFile, str] = {}
    taken: set[str] = set()
    for output in outputs:
        base = Path(output.filename.replace("\\", "/")).name
        if base in ("", ".", ".."):  # no file name at all: the folder itself or its parent
            base = f"output_{output.node_id}"
        name = base
        if name in taken:
            name = f"{output.node_id}_{base}"
        stem, suffix = Path(name).stem, Path(name).suffix
        counter = 2
        while name in taken:
            name = f"{stem}_{counter}{suffix}"
            counter += 1
        taken.add(name)
        names[output] = name
    return names


def staging_file(folder: Path, name: str) -> Path:
    """A new empty file in ``folder`` that no other file had the name of (created
    exclusively, hidden, random), ending as ``name`` ends so that its check knows what it
    must be: a download is written here and :func:`publish` ed when whole."""
    fd, staged = tempfile.mkstemp(dir=folder, prefix=".ltx2sdk-", suffix=Path(name).suffix)
    os.close(fd)
    return Path(staged)


def partial_file(dest: Path) -> Path:
    """A new empty file beside ``dest`` to write a download into before it is renamed to
    ``dest``: created exclusively, so it is nobody else's (a fixed ``dest.part`` would be
    truncated if one existed)."""
    fd, partial = tempfile.mkstemp(dir=dest.parent, prefix=".ltx2sdk-", suffix=".part")
    os.close(fd)
    return Path(partial)


# a filesystem without hard links (FAT, some network mounts) says one of these to os.link
_NO_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS,
                       errno.EMLINK, errno.EXDEV})


def publish(staged: Path, dest: Path, *, other_names: bool = True) -> Path:
    """Give the finished file ``staged`` the name ``dest``, or, when a file has that name,
    the first free one of ``stem (1).ext``, ``stem (2).ext``...; returns where it is. With
    ``other_names`` false, a file named ``dest`` is a :class:`FileExistsError` instead
    (``staged`` is left as it is).

    Never replaces a file: each name is taken atomically (a hard link fails on an existing
    name; without hard links an exclusively created placeholder is replaced), so two runs
    into one folder cannot both take one name and no check-then-write race exists.
    """
    stem, suffix = dest.stem, dest.suffix
    for number in itertools.count():
        if number and not other_names:
            raise FileExistsError(errno.EEXIST, "a file has that name", str(dest))
        candidate = dest if number == 0 else dest.with_name(f"{stem} ({number}){suffix}")
        try:
            os.link(staged, candidate)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                continue
            os.replace(staged, candidate)  # the placeholder is ours: nobody else's file
            return candidate
        staged.unlink()
        return candidate
    raise AssertionError("unreachable: itertools.count() never ends")


def describe(output: OutputFile) -> str:
    """How errors name an output: its node and its file."""
    return f"node {output.node_id} output {output.filename!r}"


def verify_download(output: OutputFile, dest: Path) -> Path:
    """``dest`` if it is whole and the kind of file ``output`` promises; otherwise it is
    removed and :class:`OutputError` names the node and file (an empty body, an error
    page, a video cut short)."""
    try:
        verify_file(dest, video=output.is_video)
    except FileContentError as exc:
        dest.unlink(missing_ok=True)
        raise OutputError(f"{describe(output)} is not a usable file: {exc}") from exc
    return dest
