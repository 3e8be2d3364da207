"""The files and folders the ``ltx2`` commands write, checked before any work and named by
their flag.

``generate -o``, ``build -o`` and ``schema -o`` share one rule: an existing file is refused
unless ``--overwrite`` (the same line for each), a folder is refused, missing folders are
created, and a folder on the way that is a file, or a folder nobody can write in, is refused
before anything is asked of a server. ``build`` and ``schema`` write their file whole or not
at all (a new file beside it, then renamed). ``batch --output-dir`` is checked the same way.
Every refusal is a :class:`~ltx2sdk.errors.CommandLineError` of exit status 2, one line that
names the flag; an empty path (``-o ""``, which a :class:`~pathlib.Path` reads as ``.``) is
refused as the flag is read.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ltx2sdk.errors import CommandLineError, OutputExistsError, OutputPathError

__all__ = ["checked_output_file", "checked_output_folder", "output_file", "output_folder",
           "video_file", "write_output"]

USAGE = 2  # the exit status of a flag that cannot be used


def _not_empty(text: str, wanted: str) -> None:
    if not text.strip():
        raise argparse.ArgumentTypeError(f"an empty path; give {wanted}")


def output_file(text: str) -> Path:
    """``--output FILE``: a path as typed; one ending in ``/`` names a folder, refused here
    (a :class:`~pathlib.Path` would drop the slash), as is an empty one."""
    _not_empty(text, "a file name")
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text!r} names a folder; give a file name")
    return Path(text)


def video_file(text: str) -> Path:
    """``generate --output FILE.mp4``: as :func:`output_file`, a folder's refusal naming
    ``--output-dir``."""
    _not_empty(text, "a file name")
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text!r} names a folder; give a file name, or "
                                         f"--output-dir {text}")
    return Path(text)


def output_folder(text: str) -> Path:
    """``--output-dir DIR``: a path as typed, not empty (``""`` would be ``.``)."""
    _not_empty(text, "a folder name (. for this one)")
    return Path(text)


def _exists(flag: str, path: Path) -> CommandLineError:
    return CommandLineError(f"{flag} {path}: exists; --overwrite replaces it", USAGE)


def checked_output_file(path: Path, *, overwrite: bool, flag: str = "--output",
                        folder_flag: str | None = None, create: bool = True) -> Path:
    """``path`` checked as ``flag`` 's file before any work (see the module); a folder's
    refusal suggests ``folder_flag`` (``--output-dir``) when the command has one."""
    from ltx2sdk.backends.outputs import check_output_file  # start-up: file checks

    try:
        return check_output_file(path, overwrite=overwrite, create=create)
    except OutputExistsError as exc:
        raise _exists(flag, path) from exc
    except OutputPathError as exc:
        hint = ""
        if exc.reason == "is a folder":
            hint = f"; give a file name, or {folder_flag} {path}" if folder_flag else \
                "; give a file name"
        raise CommandLineError(f"{flag} {path}: {exc.reason}{hint}", USAGE) from exc


def checked_output_folder(path: Path, *, flag: str = "--output-dir",
                          create: bool = True) -> Path:
    """``path`` checked as ``flag`` 's folder before any work: created when missing (unless
    not ``create``), refused when it is a file or cannot be written in."""
    from ltx2sdk.backends.outputs import check_output_folder  # start-up: file checks

    try:
        return check_output_folder(path, create=create)
    except OutputPathError as exc:
        raise CommandLineError(f"{flag} {path}: {exc.reason}", USAGE) from exc


def write_output(text: str, output: Path | None, *, overwrite: bool = False,
                 flag: str = "--output") -> None:
    """``text`` on stdout, or written as ``output``: checked first (see the module), then
    written whole or not at all; an existing file is replaced only with ``overwrite``."""
    if output is None:
        sys.stdout.write(text)
        return
    from ltx2sdk.backends.outputs import write_file  # start-up: file checks

    checked_output_file(output, overwrite=overwrite, flag=flag)
    try:
        write_file(text.encode("utf-8"), output, overwrite=overwrite)
    except OutputExistsError as exc:  # a file that appeared since the check: still refused
        raise _exists(flag, output) from exc
    except OSError as exc:
        raise CommandLineError(f"{flag} {output}: cannot write it ({exc.strerror or exc})"
                               ) from exc
    print(f"wrote {output}", file=sys.stderr)
