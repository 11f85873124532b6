"""Rows of a table written to a file: CSV (tab-separated for a `.tsv` or `.tab` name), or an
Excel workbook when the file's name ends in `.xlsx`. Written atomically either way
(`coder.fileio`).

Comments are written by the public, and both kinds keep them from running as formulas. In CSV a
cell that a spreadsheet would read as a formula (starting with = + - @, tab or carriage return)
gets a leading apostrophe (`coder.writers.neutralise`). In a workbook every comment cell is
stored as text, which Excel never evaluates; what XML cannot hold (control characters) becomes
U+FFFD, as in a REFI-QDA export, and a line break reads back as `\n` (XML reads a `\r` so).

A row is given as `cells`, text from outside (comments, attributes, names), `safe`, values coder
made (0/1, scores, theme ids), which cannot start a formula and are written as they are (in a
workbook, numbers stay numbers), and a `tail` of text again; or, mixed, with the places of the
values coder made (`write_mixed`). In a workbook a text that is plainly a number ("34", "4.5":
one that reads back as the same text) is written as the number, so that a survey's ages and
scores can be summed; "007" or "1.10" stay text.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Container, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from coder.errors import OutputError
from coder.fileio import atomic_open, atomic_path, named_full_disk
from coder.refi_codebook import xml_safe
from coder.writers import neutralise
from coder.xlsx_stream import SheetStream

XLSX_ROWS = 1_048_576  # an Excel worksheet's rows
XLSX_CELL_CHARS = 32_767  # an Excel cell's characters
XLSX_COLUMNS = 16_384  # an Excel worksheet's columns (A to XFD)


class Rows(Protocol):
    def write(
        self, cells: Sequence[Any], safe: Sequence[Any] = (), tail: Sequence[Any] = ()
    ) -> None:
        """A row of text from outside, then values coder made, then text again."""

    def write_mixed(self, values: Sequence[Any], made: Container[int]) -> None:
        """A row whose values at the places `made` lists coder made; the others are text."""


def kept_apart(ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """coder's column names, each one an input column has already called `coder_<name>`."""
    taken = set(theirs)
    return [f"coder_{name}" if name in taken else name for name in ours]


def is_xlsx(path: str | Path) -> bool:
    return str(path) != "-" and Path(path).suffix.casefold() == ".xlsx"


_NOT_TABLES = {
    "jsonl": "JSON",
    "qdc": "a REFI-QDA codebook (XML)",
    "qdpx": "a REFI-QDA project (a zip)",
}


def check_not_workbook(path: str | Path, fmt: str) -> None:
    """Refuse a `.xlsx` name for a format that is not rows (JSON lines, REFI-QDA)."""
    if is_xlsx(path):
        raise OutputError(
            f"{fmt} is {_NOT_TABLES.get(fmt, 'not a table')}, not a table: name the file "
            f".{fmt}, or choose the wide or long format for a workbook ({path})"
        )


def check_table_name(path: str | Path) -> None:
    """Refuse an output name no table of ours can be: `.xls` (CSV under that name: Excel warns,
    other programs fail to read it). Callers that start work first check it first."""
    if str(path) != "-" and Path(path).suffix.casefold() == ".xls":
        raise OutputError(
            f"coder writes Excel workbooks as .xlsx, not the old .xls: name the file .xlsx "
            f"(or .csv) ({path})"
        )


def sheet_holds(rows: int) -> bool:
    """Whether an Excel sheet holds this many rows."""
    return rows <= XLSX_ROWS


def check_rows_fit(path: str | Path, rows: int) -> None:
    """Refuse, before any work, a workbook that would hold more rows than Excel opens."""
    if is_xlsx(path) and not sheet_holds(rows):
        raise OutputError(_too_many_rows(str(path), rows))


def _too_many_rows(name: str, rows: int | None = None) -> str:
    many = f"{rows:,} rows" if rows is not None else f"more than {XLSX_ROWS:,} rows"
    return (
        f"{name}: {many}, more than an Excel sheet holds ({XLSX_ROWS:,}); write CSV instead "
        "(a name ending in .csv)"
    )


@contextlib.contextmanager
def open_rows(path: str | Path, force: bool = False, excel: bool = False) -> Iterator[Rows]:
    """Rows written to `path` (`-`: stdout, as CSV): an Excel workbook for a `.xlsx` name, else
    CSV (UTF-8, with a BOM if `excel`). The file appears only once every row is written."""
    if excel and (is_xlsx(path) or str(path) == "-"):
        where = "a workbook" if is_xlsx(path) else "stdout"
        raise OutputError(f"--excel gives a CSV file a BOM for Excel; it is not for {where}")
    check_table_name(path)
    suffix = "" if str(path) == "-" else Path(path).suffix.casefold()
    if is_xlsx(path):
        with atomic_path(path, force) as tmp:
            rows = XlsxRows(str(path), tmp)
            try:
                yield rows
            except BaseException:
                rows.discard()
                raise
            rows.save()
        return
    encoding = "utf-8-sig" if excel and str(path) != "-" else "utf-8"
    delimiter = "\t" if suffix in (".tsv", ".tab") else ","
    with atomic_open(path, force, encoding=encoding, newline="") as handle:
        yield CsvRows(handle, delimiter)


class CsvRows:
    def __init__(self, handle: IO[str], delimiter: str = ",") -> None:
        self.writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        # With "\n" line ends, csv leaves a cell with a bare "\r" unquoted, and a reader that
        # ends lines at "\r" would start a row (a formula, even) inside it: quote such rows.
        self.quoted = csv.writer(
            handle, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL
        )

    def write(
        self, cells: Sequence[Any], safe: Sequence[Any] = (), tail: Sequence[Any] = ()
    ) -> None:
        self._row([*map(neutralise, cells), *safe, *map(neutralise, tail)])

    def write_mixed(self, values: Sequence[Any], made: Container[int]) -> None:
        self._row([v if i in made else neutralise(v) for i, v in enumerate(values)])

    def _row(self, row: list[Any]) -> None:
        bare_cr = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (self.quoted if bare_cr else self.writer).writerow(row)


class XlsxRows:
    """One worksheet, streamed (`coder.xlsx_stream`: no rows held in memory)."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        with self._room():
            self.sheet = SheetStream(path)

    def write(
        self, cells: Sequence[Any], safe: Sequence[Any] = (), tail: Sequence[Any] = ()
    ) -> None:
        text = self._text
        self._append([*map(text, cells), *map(_number, safe), *map(text, tail)])

    def write_mixed(self, values: Sequence[Any], made: Container[int]) -> None:
        self._append([_number(v) if i in made else self._text(v) for i, v in enumerate(values)])

    def _append(self, row: list[Any]) -> None:
        number = self.sheet.rows + 1
        if len(row) > XLSX_COLUMNS:  # past XFD: Excel opens no more
            raise OutputError(
                f"{self.name}: row {number} has {len(row):,} columns, more than an Excel "
                f"sheet holds ({XLSX_COLUMNS:,}); write CSV instead (a name ending in .csv)"
            )
        if number > XLSX_ROWS:
            raise OutputError(_too_many_rows(self.name))
        with self._room():
            self.sheet.row(row)

    def _text(self, value: Any) -> Any:
        """A cell's text, XML-safe, or the number a number written as text is; never a
        formula (`SheetStream` writes every text as a string)."""
        text = xml_safe("" if value is None else str(value))
        if len(text) > XLSX_CELL_CHARS:
            raise OutputError(
                f"{self.name}: row {self.sheet.rows + 1} has a cell of {len(text):,} characters, "
                f"more than an Excel cell holds ({XLSX_CELL_CHARS:,}); write CSV instead (a name "
                "ending in .csv)"
            )
        return _as_number(text) if text[:1] in _NUMBER_START else text

    def save(self) -> None:
        with self._room():
            self.sheet.close()

    def _room(self) -> contextlib.AbstractContextManager[None]:
        """A full disk named: the rows wait in a file beside the workbook until it is written,
        and a plain "No space left on device" would name that file, not the workbook."""
        return named_full_disk(
            f"{self.name}: no space left on the disk (the workbook's rows wait in a file "
            "beside it until it is written); free space there, write it to another disk, or "
            "write CSV (a name ending in .csv), which takes less"
        )

    def discard(self) -> None:
        """Stop writing and delete the rows written so far."""
        self.sheet.abort()


_NUMBER_START = frozenset("-0123456789")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number


def _as_number(text: str) -> Any:
    """A survey's number written as text (an age, a score) as the number, so that a
    spreadsheet can sum it; only where the number reads back as exactly the same text, so
    "007", "1.10", "-0" and a 16-digit reference stay text."""
    if not _NUMBER.fullmatch(text) or sum(c.isdigit() for c in text) > EXCEL_DIGITS:
        return text
    number: int | float = float(text) if "." in text else int(text)
    if isinstance(number, float) and number.is_integer():
        return text  # "2.0" would read back as "2"
    return number if repr(number) == text else text


def _number(value: Any) -> Any:
    """A score coder formatted as text ("0.8123") as the number it is; other values as given."""
    if isinstance(value, str) and value[:1].isdigit():
        try:
            return float(value)
        except ValueError:
            return value
    return value
