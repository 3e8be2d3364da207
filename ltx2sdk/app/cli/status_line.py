"""Fitting a status line into a terminal's width, the numbers kept.

A line redrawn with ``"\\r"`` must never wrap (``"\\r"`` would then redraw only its last
row), so it is fitted to the width: pieces lose room in an order the caller gives (a rate
dropped, a bar narrowed, a name shortened with ``...``, then dropped), so the numbers a
person watches (percent, step, ETA) stay visible however narrow the terminal.

Import rule: part of the command line (see :mod:`ltx2sdk.app.cli`); it imports nothing of
the SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ELLIPSIS = "..."
MIN_SHORTENED = 6  # characters a shortened name keeps, "..." included; shorter: dropped


@dataclass(frozen=True)
class Piece:
    """One part of a line: its ``text`` and the ``sep`` written before it (none for the
    first piece shown)."""

    text: str
    sep: str = "  "


@dataclass(frozen=True)
class Cut:
    """One way to save room: piece ``index`` becomes ``text`` (``None``: it is dropped), or,
    with ``shorten``, the piece is shortened as much as the line needs (no further than
    :data:`MIN_SHORTENED` characters) from then on."""

    index: int
    text: str | None = None
    shorten: bool = False


def render(pieces: Sequence[Piece | None]) -> str:
    """The pieces shown, each after its separator (the first one's dropped)."""
    line = ""
    for piece in pieces:
        if piece is not None and piece.text:
            line += (piece.sep if line else "") + piece.text
    return line


def fit(pieces: Sequence[Piece | None], width: int, cuts: Sequence[Cut]) -> str:
    """``pieces`` as one line of at most ``width`` characters: the whole line when it fits,
    else after as many ``cuts`` as it takes, in order (a line still too wide at the end is
    cut short)."""
    shown = list(pieces)
    shortening: list[int] = []
    for cut in (None, *cuts):
        if cut is not None:
            if cut.shorten:
                shortening.append(cut.index)
            else:
                old = shown[cut.index]
                shown[cut.index] = None if cut.text is None or old is None else \
                    Piece(cut.text, old.sep)
        trial = list(shown)  # shortened from the whole name each time: a cut may free room
        line = render(trial)
        for index in shortening:
            piece = trial[index]
            excess = len(line) - width
            if excess <= 0 or piece is None:
                break
            keep = len(piece.text) - excess - len(ELLIPSIS)
            if keep + len(ELLIPSIS) >= MIN_SHORTENED and keep > 0:
                trial[index] = Piece(piece.text[:keep].rstrip() + ELLIPSIS, piece.sep)
                line = render(trial)
        if len(line) <= width:
            return line
    return render(shown)[:max(0, width)]
