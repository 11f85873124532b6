"""What openpyxl's read-only mode does not give of a worksheet, read from its XML.

Merged cells: a merged cell's value is in its top-left cell alone, and the rows below read
empty, though the sheet shows the value in each (a site's name merged down its rows).

Formula cells whose result was never saved: Excel saves each formula's last result beside
it, and that is what a reader gets. A workbook written by a script (openpyxl, pandas) and
never opened in a spreadsheet program holds the formulas alone, and such a script stores any
text starting with `=` as a formula: a comment "=== NO ===" or "= just a meeting" is one.
Read for values, each such cell looks empty, and the comment would be lost without a word.
openpyxl cannot tell such a cell from an empty one, so this reads the formula's text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import IO, Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

_CHUNK = 1 << 20
_OVERLAP = 256  # bytes kept from one chunk to the next: a cell's end cut across two chunks
# How a formula with no saved result ends: `</f></c>`, `</f><v/></c>`, `</f><v></v></c>`, or a
# shared formula's `<f .../></c>`, with or without a namespace prefix. Workbooks of formulas
# Excel saved match none of these and skip the slower parse.
_P = r"(?:[\w.-]+:)?"
_UNSAVED_END = re.compile(
    rf"(?:</{_P}f>|<{_P}f\b[^>]*/>)\s*(?:<{_P}v\b[^>]*/>|<{_P}v\b[^>]*>\s*</{_P}v>)?\s*</{_P}c>".encode()
)


def uncached_formulas(sheet: Any, scanned: Scan | None = None) -> list[tuple[int, int, str, str]]:
    """(row from 1, column from 0, coordinate, text) of each cell of an openpyxl read-only
    `sheet` that holds a formula with no saved result, in sheet order: (7, 1, 'B7', '=== NO
    ==='). A formula whose saved result is an empty string (`t="str"`, an empty value) has one.
    `scanned`: the sheet's `scan`, where it was made already."""
    if not (scanned or scan(sheet)).may_have_unsaved:
        return []
    with sheet.parent._archive.open(sheet._worksheet_path) as source:
        return _unsaved(source)


@dataclass(frozen=True)
class Scan:
    """One pass over a sheet's XML: whether it may hold a formula with no saved result (the
    slower parse is skipped where not), and its merged ranges as (first row, first column
    from 0, last row, last column from 0), rows from 1."""

    may_have_unsaved: bool
    merged: list[tuple[int, int, int, int]]


def scan(sheet: Any) -> Scan:
    """The `Scan` of an openpyxl read-only worksheet."""
    with sheet.parent._archive.open(sheet._worksheet_path) as source:
        unsaved, refs, tail = False, [], b""
        while chunk := source.read(_CHUNK):
            window = tail + chunk
            unsaved = unsaved or bool(_UNSAVED_END.search(window))
            # a reference is taken where it ends inside this chunk, so none counts twice
            refs += [m for m in _MERGE.finditer(window) if m.end() > len(tail)]
            tail = window[-_OVERLAP:]
    return Scan(unsaved, [_bounds(m.group(1).decode()) for m in refs])


_MERGE = re.compile(rb"<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+\d+:[A-Za-z]+\d+)\"")


def _bounds(reference: str) -> tuple[int, int, int, int]:
    first, last = (coordinate_from_string(part.upper()) for part in reference.split(":"))
    return (
        first[1],
        column_index_from_string(first[0]) - 1,
        last[1],
        column_index_from_string(last[0]) - 1,
    )


def _unsaved(source: IO[bytes]) -> list[tuple[int, int, str, str]]:
    found: list[tuple[int, int, str, str]] = []
    row, column = 0, -1  # where the cell read last is: `r` is optional on rows and cells
    for event, element in ET.iterparse(source, events=("start", "end")):
        name = _local(element.tag)
        if event == "start":
            if name == "row":
                row, column = int(float(element.get("r") or row + 1)), -1  # "2.0" too
            continue
        if name == "c":
            row, column = _place(element.get("r"), row, column)
            parts = {_local(child.tag): child for child in element}
            value = parts.get("v")
            saved = (value is not None and (value.text or element.get("t") == "str")) or (
                "is" in parts
            )
            if "f" in parts and not saved:
                text = "=" + (parts["f"].text or "")
                found.append((row, column, _coordinate(row, column), text))
            element.clear()
        elif name == "row":
            element.clear()
    return found


def _place(reference: str | None, row: int, column: int) -> tuple[int, int]:
    """A cell's row and column: from its reference where it has one, else the next column."""
    if not reference:
        return row, column + 1
    letters, number = coordinate_from_string(reference)
    return number, column_index_from_string(letters) - 1


def _coordinate(row: int, column: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(column + 1)}{row}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
