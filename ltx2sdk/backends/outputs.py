"""A finished job's outputs as both backends give them: named locally, verified.

Each backend reads its outputs from its own wire format (native ComfyUI's history:
:func:`ltx2sdk.backends.comfyui.wire.outputs_from_history`; a Comfy API v2 job's assets) into
:class:`OutputFile`. Here is what they share: a distinct local name for each output that
never carries a path (:func:`local_names`), so the local copy of an output never lands
outside the output folder and two outputs never share a name; a file written under a name
nobody else can have (:func:`staging_file`) and given its final name only where no file is
(:func:`publish`), so a name the server chose never replaces a file; the check that a
downloaded file is whole and the kind of file it claims to be (:func:`verify_download`); and
the check, before any work, that a path named for output can be written
(:func:`check_output_file`, :func:`check_output_folder`); and the folders a run creates
(:func:`make_folders`), removed again if it ends with nothing in them
(:func:`remove_empty_folders`).

Every file written here is created with the mode any new file of the user's gets (``0666``
less the umask: ``-rw-r--r--`` under the usual ``022``), not ``tempfile``'s ``0600``: a video
or a graph is as readable as the folder's other files once it has its name.
"""

from __future__ import annotations

import errno
import itertools
import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ltx2sdk.errors import FileContentError, OutputError, OutputExistsError, OutputPathError
from ltx2sdk.media.file_formats import verify_file
from ltx2sdk.wording import os_reason

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


def new_file(folder: Path, suffix: str = "") -> Path:
    """A new empty file in ``folder`` that no other file had the name of: hidden, random,
    ending in ``suffix``, created exclusively (never somebody else's file) with the mode a
    new file gets under the process's umask (``tempfile.mkstemp`` 's ``0600`` would stay
    with the file once it is renamed)."""
    for _ in range(100):
        candidate = folder / f".ltx2sdk-{secrets.token_hex(8)}{suffix}"
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_BINARY", 0), 0o666)  # the umask applies
        except FileExistsError:  # 64 random bits: only a hostile folder gets here twice
            continue
        os.close(fd)
        return candidate
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def staging_file(folder: Path, name: str) -> Path:
    """A new empty file in ``folder`` (:func:`new_file`) ending as ``name`` ends so that its
    check knows what it must be: a download is written here and :func:`publish` ed when
    whole."""
    return new_file(folder, Path(name).suffix)


def partial_file(dest: Path) -> Path:
    """A new empty file beside ``dest`` (:func:`new_file`) to write a download into before
    it is renamed to ``dest`` (a fixed ``dest.part`` would be truncated if one existed)."""
    return new_file(dest.parent, ".part")


def check_output_folder(folder: Path | str, *, create: bool = True) -> Path:
    """``folder`` made ready for output before any work: created with its missing parents
    (as ``huggingface-cli download --local-dir`` does), and written in once (a file created
    and removed: only a write says whether a read-only mount, ``/proc`` or a folder of
    somebody else's takes one). Raises :class:`~ltx2sdk.errors.OutputPathError` naming
    ``folder`` as given when it is a file, a folder on its way is a file, or it cannot be
    created or written in. Without ``create`` (a dry run, a check at start-up) nothing is
    left behind: the nearest folder there is written in instead (a folder it cannot write
    in is a folder that cannot be created)."""
    given = str(folder)
    problem = _folder_problem(Path(folder), create=create)
    if problem is not None:
        raise OutputPathError(given, problem)
    return Path(folder)


def check_output_file(path: Path | str, *, overwrite: bool = False,
                      create: bool = True) -> Path:
    """``path`` checked as a file to write before any work: not a folder (nor a name ending
    in ``/``), not an existing file unless ``overwrite`` (and then a regular file, never a
    device or a pipe), in a folder made ready by :func:`check_output_folder` (``create`` as
    there). Raises
    :class:`~ltx2sdk.errors.OutputExistsError` for an existing file, else
    :class:`~ltx2sdk.errors.OutputPathError`, each naming ``path`` as given."""
    given = str(path)
    target = Path(path)
    if not given.strip():  # Path("") is "." (a folder): say what was given
        raise OutputPathError(given, "an empty path; give a file name")
    if given.endswith(("/", os.sep)) or target.is_dir():
        raise OutputPathError(given, "is a folder")
    if os.path.lexists(target):  # a dangling link too: whatever is there is not replaced
        if not target.is_file():  # said first: overwrite would not replace it either
            raise OutputPathError(given, "is not a regular file: it is never replaced")
        if not overwrite:
            raise OutputExistsError(given, "exists; name another file, or overwrite=True "
                                           "replaces it")
    problem = _folder_problem(target.parent, create=create)
    if problem is not None:
        raise OutputPathError(given, problem)
    return target


def _folder_problem(folder: Path, *, create: bool = True) -> str | None:
    """Why ``folder`` cannot take a new file (after creating it if missing and ``create``),
    or ``None``."""
    nearest = Path(".")
    for part in (folder, *folder.parents):  # the nearest thing there names the problem
        if part.exists():
            if not part.is_dir():
                return f"{part} is a file, not a folder"
            nearest = part
            break
    if create:
        try:
            make_folders(folder)
        except OSError as exc:
            return f"cannot create the folder {folder} ({os_reason(exc)})"
    elif nearest != folder:  # to be created later, in the nearest folder there: tried there
        try:
            new_file(nearest, ".probe").unlink()
        except OSError as exc:
            return f"cannot create the folder {folder} ({os_reason(exc)})"
        return None
    try:
        new_file(folder, ".probe").unlink()
    except OSError as exc:
        return f"cannot write in the folder {folder} ({os_reason(exc)})"
    return None


def make_folders(folder: Path | str, created: list[Path] | None = None) -> list[Path]:
    """Create ``folder`` and its missing parents; return those this call created, outermost
    first, each also appended to ``created`` as soon as it is made (so that a caller
    holding that list knows them even when a deeper one then fails with an ``OSError``).
    A folder another process created meanwhile is not counted: it is not ours to remove."""
    target = Path(folder)
    missing = [part for part in (target, *target.parents) if not part.exists()]
    made: list[Path] = []
    for part in reversed(missing):  # the outermost first
        try:
            part.mkdir()
        except FileExistsError:
            if not part.is_dir():
                raise
            continue  # made meanwhile by someone else: theirs
        made.append(part)
        if created is not None:
            created.append(part)
    return made


def remove_empty_folders(folders: Iterable[Path]) -> list[Path]:
    """Remove each of ``folders`` (the ones a run created: :func:`make_folders`) that is
    still empty, the deepest first, so that a parent emptied by its child's removal goes
    too; a folder that holds anything, or is gone, or cannot be removed, is left as it is.
    Returns the folders removed."""
    removed: list[Path] = []
    for folder in sorted(set(folders), key=lambda part: len(part.parts), reverse=True):
        try:
            folder.rmdir()  # fails on a folder that is not empty: never a file is lost
        except OSError:
            continue
        removed.append(folder)
    return removed


def write_file(data: bytes, dest: Path, *, overwrite: bool = False) -> Path:
    """Write ``data`` as ``dest`` whole or not at all: into a new file beside it, then
    renamed (a failure leaves no half file, and a reader never sees one). An existing
    ``dest`` is replaced only with ``overwrite``; otherwise
    :class:`~ltx2sdk.errors.OutputExistsError`, even for a file that appeared meanwhile."""
    staged = new_file(dest.parent, dest.suffix)
    try:
        with open(staged, "wb") as handle:
            handle.write(data)
        if overwrite:
            os.replace(staged, dest)
            return dest
        try:
            return publish(staged, dest, other_names=False)
        except FileExistsError:
            raise OutputExistsError(str(dest), "exists; name another file, or overwrite=True "
                                               "replaces it") from None
    finally:
        staged.unlink(missing_ok=True)  # renamed (gone already) or failed


def move_beside(path: Path, folder: Path) -> Path:
    """``path`` where a rename can take it into ``folder``: itself when both are on one
    file system, else a copy in a new file of ``folder`` (:func:`new_file`; ``path`` is
    removed once it is copied whole)."""
    if os.stat(path).st_dev == os.stat(folder).st_dev:
        return path
    copy = new_file(folder, path.suffix)
    try:
        shutil.copyfile(path, copy)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    path.unlink()
    return copy


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
