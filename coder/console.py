"""Printing to the terminal: text as written, never as markup or control sequences."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

# C0 and C1 controls but tab and newline, and the bidirectional embeddings, overrides and
# isolates, which reorder the text after them (a "right-to-left override" turns a comment, or
# the line of a table, round); one character each, so evidence offsets still fit.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with each control character replaced by one visible character (offsets keep)."""
    return _CONTROL.sub(_picture, text)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:  # a Windows line ending's carriage return
        return " "
    return chr(0x2400 + code) if code < 0x20 else "\N{REPLACEMENT CHARACTER}"


def percent(share: float) -> str:
    """A share (0 to 1) as a whole percent, but 100% and 0% only when exact: 824 comments of
    825 are 99.9%, not 100%, and 1 of 825 is 0.1%, not 0%."""
    shown = share * 100 + 0.0  # no "-0"
    whole = f"{shown:.0f}"
    if whole not in ("0", "100") or shown in (0, 100):
        return whole + "%"
    finer = f"{shown:.1f}"
    if finer in ("0.0", "100.0"):  # still on the edge: say which side of it
        return ("<0.1" if whole == "0" else ">99.9") + "%"
    return finer + "%"


class PlainConsole(Console):
    """A console that prints text as written: no markup, and every control character in what it
    renders shown as a visible one. Comments are the public's text and an escape sequence in
    one must not reach the terminal; rich itself passes ESC through."""

    def __init__(self, **options: Any):
        super().__init__(markup=False, highlight=False, soft_wrap=True, **options)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control is None and _CONTROL.search(segment.text):
                yield Segment(printable(segment.text), segment.style)
            else:  # rich's own cursor movements (progress bars) are meant for the terminal
                yield segment
