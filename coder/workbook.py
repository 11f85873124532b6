"""Reading one worksheet of an Excel .xlsx workbook as a `Table`, as the sheet shows it.

openpyxl gives cells' stored values; a reader of the sheet sees more: an id formatted `000123`,
a share formatted `50%`, a site's name merged down its rows, a title above the header. Those
are read as shown, and each adjustment but the formats is named in the table's note.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from coder.errors import InputError
from coder.readers import Table, _cell_text, _kept, _pad, _unique_columns
from coder.workbook_xml import Scan, scan, uncached_formulas

Record = tuple[Any, ...]
_TITLE_ROWS = 10  # how far down a header under a title is looked for


def xlsx_table(path: str, buffered: BinaryIO, name: str | None) -> Table:
    """The sheet called `name` (else the first) of the workbook at `path` (`buffered`: its
    bytes, for stdin). Raises InputError where it is not a workbook or has no such sheet."""
    from openpyxl import load_workbook

    try:
        # A zip needs seeking, and openpyxl refuses a file name without an Excel suffix.
        source = io.BytesIO(buffered.read()) if path == "-" else open(path, "rb")  # noqa: SIM115
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for bad files
        raise InputError(f"{path} is not a readable Excel .xlsx file ({exc})") from None
    sheet = _worksheet(book, path, name)
    scanned = scan(sheet)
    formulas, formula_note = _unsaved_formulas(sheet, scanned)
    values: Iterator[Record] = (tuple(map(_shown, row)) for row in sheet.iter_rows())
    if formulas:
        values = (_with_formulas(record, formulas.get(n)) for n, record in enumerate(values, 1))
    top, after = _header_at(values)
    header_row, header = top[-1]
    values = itertools.chain(after, values)
    if not any(_cell_text(v).strip() for v in header):
        raise InputError(f"{path}: sheet '{sheet.title}' is empty: expected a header row")
    columns = _unique_columns([_cell_text(v) for v in header])
    merged = [m for m in scanned.merged if m[0] > header_row and m[2] > m[0]]
    if merged:
        values = _filled_down(values, merged, header_row + 1)

    def rows() -> Iterator[tuple[int, dict[str, str] | None]]:
        for number, record in enumerate(values, start=header_row + 1):
            cells = [_cell_text(v) for v in record]
            if any(c.strip() for c in cells):
                yield number, dict(zip(columns, _pad(cells, len(columns)), strict=True))
            else:
                yield number, None
        book.close()

    notes = [_title_note(sheet.title, top, columns), _merged_note(sheet.title, merged)]
    return Table(
        path,
        columns,
        _kept(rows(), columns),
        sheet=sheet.title,
        other_sheets=() if name else tuple(ws.title for ws in book.worksheets[1:]),
        note=". ".join(n for n in (formula_note, *notes) if n),
        first_sheet=sheet is book.worksheets[0],
    )


def _header_at(values: Iterator[Record]) -> tuple[list[tuple[int, Record]], list[Record]]:
    """The rows up to the header, the header last, with their row numbers, and the rows read
    past it. The header is the first row, unless the first rows hold one cell at most (a
    title, a date, a blank line) and one of the next, within `_TITLE_ROWS`, names two or more
    columns, in text: that one is."""
    seen: list[tuple[int, Record]] = []
    for number, record in enumerate(values, start=1):
        seen.append((number, record))
        filled = [v for v in record if _cell_text(v).strip()]
        if len(filled) > 1 and (number == 1 or all(isinstance(v, str) for v in filled)):
            return seen, []
        if len(filled) > 1 or number == _TITLE_ROWS:
            break
    return seen[:1] or [(1, ())], [record for _, record in seen[1:]]


def _title_note(title: str, top: list[tuple[int, Record]], columns: list[str]) -> str:
    if len(top) == 1:
        return ""
    number = top[-1][0]
    above = [_cell_text(v).strip() for _, row in top[:-1] for v in row if _cell_text(v).strip()]
    said = f" ({', '.join(repr(t[:60]) for t in above[:2])})" if above else ""
    return (
        f"Sheet '{title}': its header is row {number} ({', '.join(columns[:4])}"
        f"{', ...' if len(columns) > 4 else ''}); the rows above it{said} are left out"
    )


def _filled_down(
    values: Iterator[Record], merged: list[tuple[int, int, int, int]], first: int
) -> Iterator[Record]:
    """Each record, with a cell merged down several rows read, in every one of them, as the
    merged cell's value (held in its top-left cell alone). A merge across columns is left:
    the columns beside it are other questions."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for top, column, bottom, _ in merged:
        starts.setdefault(top, []).append((column, bottom))
    held: dict[int, tuple[Any, int]] = {}  # column: (value, last row)
    for number, record in enumerate(values, start=first):
        cells = list(record)
        for column, (value, bottom) in list(held.items()):
            if number > bottom:
                del held[column]
            elif column >= len(cells) or cells[column] is None:
                cells += [None] * (column + 1 - len(cells))
                cells[column] = value
        for column, bottom in starts.get(number, ()):
            if column < len(cells):
                held[column] = (cells[column], bottom)
        yield tuple(cells)


def _merged_note(title: str, merged: list[tuple[int, int, int, int]]) -> str:
    if not merged:
        return ""
    from openpyxl.utils.cell import get_column_letter

    top, column, bottom, right = merged[0]
    first = f"{get_column_letter(column + 1)}{top}:{get_column_letter(right + 1)}{bottom}"
    n = len(merged)
    return (
        f"{n} merged cell{'s' if n != 1 else ''} of sheet '{title}' span{'s' if n == 1 else ''} "
        f"several rows (e.g. {first}): each row {'they span' if n != 1 else 'it spans'} is read "
        "with the merged cell's value"
    )


_ZERO_PADDED = re.compile(r"0{2,}")  # a number format such as 000000: ids with leading zeros
_PERCENT = re.compile(r"[#0,]*0(?:\.(0+))?%")  # 0%, 0.0%, #,##0.00%


def _shown(cell: Any) -> Any:
    """A cell's value, but a number as the sheet shows it where reading its stored value
    would mislead: an id formatted `000123` (read as `123`, it would not join back to the
    survey), a share formatted `50%` (not `0.5`), a sum shown `0.3` (not 0.30000000000000004)."""
    value = cell.value
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    pattern = getattr(cell, "number_format", "General") or "General"
    percent = _PERCENT.fullmatch(pattern.split(";")[0])
    if percent:
        return f"{value * 100:.{len(percent.group(1) or '')}f}%"
    whole = isinstance(value, int) or value.is_integer()  # not nan, inf
    if whole and _ZERO_PADDED.fullmatch(pattern):
        return str(int(value)).zfill(len(pattern))
    if isinstance(value, float) and not whole:
        return format(value, ".15g")  # what Excel shows: 15 significant digits
    return value


def _unsaved_formulas(sheet: Any, scanned: Scan) -> tuple[dict[int, dict[int, str]], str]:
    """{row: {column index from 0: text}} of the sheet's formulas with no saved result
    (`coder.workbook_xml`), which are read as their own text, and a note that says so."""
    found = uncached_formulas(sheet, scanned)
    by_row: dict[int, dict[int, str]] = {}
    for row, column, _, text in found:
        by_row.setdefault(row, {})[column] = text
    if not found:
        return by_row, ""
    (*_, coordinate, text), n = found[0], len(found)
    return by_row, (
        f"{n} cell{'s' if n != 1 else ''} of sheet '{sheet.title}' hold{'s' if n == 1 else ''} "
        f"a formula with no saved result, read as written (e.g. {coordinate}: {text!r}): the "
        "workbook was written by a program that stores any text starting with = as a formula. "
        "If these are real formulas, open the workbook in Excel or LibreOffice and save it first"
    )


def _with_formulas(record: Record, texts: dict[int, str] | None) -> Record:
    if not texts:
        return record
    cells = list(record)
    for column, text in texts.items():
        cells += [None] * (column + 1 - len(cells))
        cells[column] = text
    return tuple(cells)


def _worksheet(book: Any, path: str, name: str | None) -> Any:
    """The worksheet called `name` (case aside), else the first; charts are not worksheets."""
    if name is None:
        return book.worksheets[0]
    for sheet in book.worksheets:
        if sheet.title.casefold() == name.strip().casefold():
            return sheet
    listed = ", ".join(f"'{sheet.title}'" for sheet in book.worksheets)
    book.close()
    raise InputError(f"no sheet '{name}' in {path}; its sheets are: {listed}")
