"""How the SDK words things for people, in one place: a text or an exception on one line,
a byte count with honest units, and the choice a mistyped word was meant as.

Imports nothing from the SDK: every layer may use it.
"""

from __future__ import annotations

import difflib
import errno
import re
from collections.abc import Iterable

__all__ = ["byte_size", "escaped", "exception_line", "nearest", "one_line", "os_reason"]

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


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The one of ``choices`` that ``word`` is plausibly a mistyping of, for a "did you mean"
    hint; ``None`` when none is close enough to be worth saying (then list the choices).

    Close means both alike by :mod:`difflib`'s measure (a ratio of 0.6 at least, as
    ``get_close_matches`` has it) and a few keystrokes away: at most one edit (a letter
    added, dropped, changed, or two neighbours swapped) per three letters of the choice,
    one at least, case aside. ``fsat`` is ``fast`` and ``promt`` is ``prompt``, but
    ``ultra`` is not ``lora`` (alike by ratio, "l...ra", yet two edits from four letters):
    a wrong guess reads as an error of the tool's. Of several, the most alike by the ratio
    wins (as with ``get_close_matches``: ``ltx-3`` is ``ltx-2.3``), then the fewest edits."""
    folded = word.lower()
    options = list(choices)
    best: tuple[float, int, str] | None = None
    for choice in options:
        target = choice.lower()
        if target == folded:
            return choice
        ratio = difflib.SequenceMatcher(None, folded, target).ratio()
        edits = _edits(folded, target)
        if ratio < 0.6 or edits > max(1, len(target) // 3):
            continue
        if best is None or (-ratio, edits) < best[:2]:
            best = (-ratio, edits, choice)
    return best[2] if best is not None else None


def _edits(a: str, b: str) -> int:
    """How many single-letter edits make ``a`` into ``b``: additions, removals, changes and
    swaps of two neighbours (the optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (char != other))
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]
