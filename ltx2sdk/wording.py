"""How the SDK words things for people, in one place: a text or an exception on one line,
and a byte count with honest units.

Imports nothing from the SDK: every layer may use it.
"""

from __future__ import annotations

import errno
import re

__all__ = ["byte_size", "escaped", "exception_line", "one_line", "os_reason"]

_UNITS = ("KiB", "MiB", "GiB", "TiB")
_LIST_MARKER = re.compile(r"^\s*-\s+")  # an item of a multi-line message's list


def one_line(text: str, *, limit: int | None = None) -> str:
    """``text`` on one line: its lines (list markers ``- `` dropped) joined by ``"; "``, each
    run of whitespace made one space, a character that does not print written escaped
    (``\\x1b``), and a text longer than ``limit`` characters cut to ``limit`` ending in
    ``...``. What a server sent can be printed this way without steering the terminal."""
    lines = (_LIST_MARKER.sub("", line) for line in text.splitlines())
    text = "; ".join(" ".join(line.split()) for line in lines if line.strip())
    text = escaped(text)
    if limit is not None and len(text) > limit:
        return text[:max(0, limit - 3)] + "..."
    return text


def escaped(text: str) -> str:
    """``text`` with each character that does not print written escaped (``\\x1b``, ``\\r``),
    its spaces kept: a line laid out in columns, safe to print whatever it quotes."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def exception_line(exc: BaseException) -> str:
    """What ``exc`` says, on one line (:func:`one_line`); its type's name when it says
    nothing."""
    return one_line(str(exc)) or type(exc).__name__


def byte_size(size: int) -> str:
    """``size`` bytes for people, in binary units named as such: ``"512 bytes"``,
    ``"1.5 KiB"``, ``"20 MiB"`` (three significant digits at most; a whole number is
    written without decimals)."""
    if size < 1024:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.3g} {unit}" if value < 1000 else f"{value:.0f} {unit}"


# what a failed file operation means, in words a person reads (not the C library's)
_OS_REASONS = {
    getattr(errno, name): words for name, words in (
        # a folder that exists and still "has no such file": /proc, /sys take no new entries
        ("ENOENT", "the system does not let anything be created there"),
        ("EACCES", "no permission"), ("EPERM", "no permission"),
        ("EROFS", "a read-only file system"), ("ENOSPC", "the disk is full"),
        ("EDQUOT", "over the disk quota"),  # (not on every system)
        ("ENAMETOOLONG", "the name is too long"))
    if hasattr(errno, name)}


def os_reason(exc: OSError) -> str:
    """Why a file or folder could not be made, in plain words (``no permission``, ``the disk
    is full``; ``/proc`` taking no file: ``the system does not let anything be created
    there``); else the system's own words, in lower case."""
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    text = exc.strerror or str(exc) or type(exc).__name__
    return one_line(text[:1].lower() + text[1:])
