"""One worksheet written into an Excel workbook (.xlsx) row by row, as text.

openpyxl's write-only mode builds each cell as an object and an XML element: 80% of a big
export's time (a 20,000-row wide export took 11.6 s as a workbook, 1.8 s as CSV). Here the
workbook's other parts (styles, theme, properties) come from openpyxl itself, written for an
empty sheet of the same name, and only the sheet's rows are written as text, in the form
openpyxl gives them (inline strings, numbers as `n` cells), so the file is what openpyxl would
have written; except that a cell of spaces alone is marked to keep them, as openpyxl marks it
only when lxml is installed. A text is always a string cell, never a formula, whatever it
starts with.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

SHEET_PART = "xl/worksheets/sheet1.xml"
_FLUSH_CHARS = 1 << 20  # rows are buffered as text and written about a megabyte at a time
_EMPTY_DATA = re.compile(rb"<sheetData\s*/>|<sheetData>\s*</sheetData>")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

Cell = str | int | float | None


class SheetStream:
    """A workbook of one sheet, `name`, written to `path` once `close` is called, its rows
    (`row`) kept meanwhile as the sheet's XML in a file beside `path` (openpyxl's are kept in
    the temporary folder). The sheet goes into the zip once complete, as openpyxl does, so that
    ZIP64 is used only by a sheet too big without it. `abort` deletes the rows' file."""

    def __init__(self, path: Path, name: str = "coder") -> None:
        self._path = path
        self._parts = _empty_workbook(name)
        head, tail = _EMPTY_DATA.split(self._parts.read(SHEET_PART), maxsplit=1)
        self._tail = b"</sheetData>" + tail
        fd, raw = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".sheet", dir=path.parent)
        self._raw_path = Path(raw)
        self._raw = os.fdopen(fd, "wb")
        self._raw.write(head + b"<sheetData>")
        self._letters: list[str] = []
        self._pending: list[str] = []
        self._size = 0
        self.rows = 0

    def row(self, cells: Sequence[Cell]) -> None:
        """Append a row: str cells as text (already XML-safe: `coder.refi_codebook.xml_safe`),
        int and float as numbers, "" as an empty cell and None as none."""
        self.rows += 1
        number = self.rows
        letters = self._columns(len(cells))
        parts = [f'<row r="{number}">']
        for letter, value in zip(letters, cells, strict=False):
            parts.append(_cell(f"{letter}{number}", value))
        parts.append("</row>")
        text = "".join(parts)
        self._pending.append(text)
        self._size += len(text)
        if self._size >= _FLUSH_CHARS:
            self._flush()

    def close(self) -> None:
        """Write the workbook: openpyxl's parts in openpyxl's order, the rows as its sheet."""
        try:
            self._flush()
            self._raw.write(self._tail)
            self._raw.close()
            with zipfile.ZipFile(self._path, "w", zipfile.ZIP_DEFLATED) as book:
                for info in self._parts.infolist():
                    if info.filename == SHEET_PART:
                        book.write(self._raw_path, SHEET_PART)
                    else:
                        book.writestr(info, self._parts.read(info))
        finally:
            self.abort()

    def abort(self) -> None:
        """Stop (an error part way, or done): the rows' file goes."""
        with contextlib.suppress(OSError):
            self._raw.close()
        self._raw_path.unlink(missing_ok=True)

    def _flush(self) -> None:
        if self._pending:
            self._raw.write("".join(self._pending).encode("utf-8"))
            self._pending, self._size = [], 0

    def _columns(self, count: int) -> list[str]:
        """The column letters of the first `count` columns (A, B, ..., Z, AA, ...), worked
        out once: every row asks."""
        if len(self._letters) < count:
            from openpyxl.utils.cell import get_column_letter

            more = range(len(self._letters) + 1, count + 1)
            self._letters += [get_column_letter(n) for n in more]
        return self._letters


def _cell(ref: str, value: Cell) -> str:
    if value is None:  # no cell at all, as openpyxl writes it
        return ""
    if isinstance(value, str):
        if not value:
            return f'<c r="{ref}" t="inlineStr" />'
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{value.translate(_ESCAPES)}</t></is></c>'
    return f'<c r="{ref}" t="n"><v>{value:.16g}</v></c>'


def _empty_workbook(name: str) -> zipfile.ZipFile:
    """openpyxl's workbook of one empty write-only sheet, in memory: every part but the rows."""
    from openpyxl import Workbook  # only when a workbook is asked for

    book = Workbook(write_only=True)
    book.create_sheet(name)
    buffer = io.BytesIO()
    book.save(buffer)
    return zipfile.ZipFile(buffer)
