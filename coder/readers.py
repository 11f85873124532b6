"""Reading comments from CSV, TSV, XLSX or JSONL files (or stdin), streaming, row by row.

Handles what spreadsheets and survey platforms actually write: UTF-8 with or without a BOM,
cp1252, Mac Roman, UTF-16 ("Unicode text" from Excel), `;`-separated CSV from European Excel,
Qualtrics exports with two extra header rows under the column names, and workbooks
(`coder.workbook`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import re
import shlex
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from coder.errors import InputError

FORMATS = ("csv", "tsv", "xlsx", "jsonl")
TEXT_COLUMN_NAMES = (
    "comment",
    "comments",
    "text",
    "response",
    "answer",
    "feedback",
    "free_text",
    "verbatim",
)
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
_HEAD_BYTES = 1 << 16
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (and other Office) files
# compressed files, by their first bytes: (magic, kind, the command that decompresses one)
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "gunzip"),
    (b"BZh", "bzip2", "bunzip2"),
    (b"\xfd7zXZ\x00", "xz", "unxz"),
    (b"\x28\xb5\x2f\xfd", "zstd", "unzstd"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip", "7z x"),
)

csv.field_size_limit(1 << 24)


@dataclass
class Table:
    """Rows of one input, read lazily: `rows` yields (line number, {column: text})."""

    source: str
    columns: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    bytes_total: int | None = None
    _counter: _CountingReader | None = field(default=None, repr=False)
    sheet: str | None = None  # the worksheet read, for an Excel workbook
    other_sheets: tuple[str, ...] = ()  # the workbook's others, when none was named
    note: str = ""  # what else the reader has to say about the input
    first_sheet: bool = True  # the sheet read is the workbook's first
    # The comments' column, once chosen (`pick_text`): a JSON object without it is checked.
    text_column: str | None = None
    strays: int = 0  # JSON objects read without it but with keys the first line lacks
    first_stray: tuple[int, str] | None = None  # the first one's line, and those keys

    @property
    def bytes_read(self) -> int:
        return self._counter.count if self._counter else 0

    def pick_text(self, requested: str | None) -> str:
        """The comments' column (`pick_text_column`), remembered for the rows' checks."""
        self.text_column = pick_text_column(self.columns, requested, self.source)
        return self.text_column

    @property
    def sheet_note(self) -> str:
        """What to tell the user of the input: a workbook's other sheets than the one read by
        default, and anything the reader noted (complete once the rows are read)."""
        notes = [self.note, self._strays_note()]
        if self.other_sheets:
            others = ", ".join(f"'{name}'" for name in self.other_sheets)
            notes.insert(
                0,
                f"Read sheet '{self.sheet}' of {self.source}; it also has {others}. "
                "Use --sheet NAME to read another",
            )
        return ". ".join(n for n in notes if n)

    def _strays_note(self) -> str:
        if self.first_stray is None:
            return ""
        line, keys = self.first_stray
        several = self.strays > 1
        lines, have = (f"{self.strays} lines", "have") if several else ("1 line", "has")
        return (
            f"{lines} of {self.source} (the first: line {line}) {have} no '{self.text_column}', "
            f"the key the comments are under, but {have} keys the first line lacks ({keys}): "
            f"read as {'empty comments' if several else 'an empty comment'}; if the comments "
            "are under another key there, give every line the same keys"
        )


class _CountingReader(io.RawIOBase):
    """Counts the bytes read through it, for a progress bar on streamed input."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


def detect_format(path: str, head: bytes = b"") -> str:
    """The format from the file's first bytes where they say (a zip is a workbook, whatever
    its name), else from its suffix, else from whether it starts like JSON."""
    if head.startswith(_ZIP):
        return "xlsx"
    suffix = Path(path).suffix.lower()
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{") else "csv"


def check_readable_kind(path: str, head: bytes, fmt: str) -> None:
    """An InputError, saying what to do, for files coder cannot read as `fmt`: old Excel
    workbooks, compressed files, a workbook given as text."""
    old_name = Path(path).suffix.lower() == ".xls" and not head.startswith(_ZIP)
    if head.startswith(_OLE2) or old_name:
        raise InputError(
            f"{path} is an Excel 97-2003 workbook (.xls), which coder does not read: open it in "
            "Excel or LibreOffice and save it as .xlsx or CSV UTF-8"
        )
    for magic, kind, command in _COMPRESSED:
        if head.startswith(magic):
            example = "" if path == "-" else f", e.g. {command} {shlex.quote(path)}"
            raise InputError(f"{path} is compressed ({kind}): decompress it first{example}")
    if head.startswith(_ZIP) and not _workbook_or_unknown(path):
        raise InputError(
            f"{path} is a zip archive, not an Excel workbook: unzip it and give coder the CSV, "
            "XLSX or JSONL file inside"
        )
    if head.startswith(_ZIP) and fmt != "xlsx":
        raise InputError(
            f"{path} is a zip file (an Excel .xlsx workbook?), not {fmt} text: "
            "leave out --input-format, or give --input-format xlsx"
        )


def _workbook_or_unknown(path: str) -> bool:
    """Whether a zip is an Excel workbook (it has a `[Content_Types].xml` and an `xl/`
    folder); True where that cannot be told (stdin, a damaged zip: openpyxl says why)."""
    if path == "-":
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return True
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def detect_encoding(head: bytes, path: str | None = None) -> str:
    """The encoding of a text file from its first bytes, or, given its `path`, from all of
    it: a cp1252 byte can come after thousands of rows."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:1000]
    if sample and sample.count(0) > len(sample) // 4:  # UTF-16 without a BOM
        return "utf-16-le" if sample[1::2].count(0) > sample[::2].count(0) else "utf-16-be"
    if path is None:
        return _utf8_or_cp1252(iter([head]), "the input")
    with open(path, "rb") as whole:
        return _utf8_or_cp1252(iter(lambda: whole.read(_HEAD_BYTES * 16), b""), path)


def _utf8_or_cp1252(chunks: Iterator[bytes], path: str) -> str:
    """UTF-8 if every chunk decodes; cp1252 if the first bad byte comes before any non-ASCII
    text. After UTF-8 text the file mixes encodings: cp1252 would garble that text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, non_ascii = 1, False
    for chunk in chunks:
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError as exc:
            if non_ascii or not chunk[: exc.start].isascii():
                where = lines + chunk.count(b"\n", 0, exc.start)
                raise InputError(
                    f"{path} mixes encodings: UTF-8 text, then on line {where} a byte that is not "
                    "UTF-8; save it as UTF-8 (in Excel: CSV UTF-8) and try again"
                ) from None
            return _legacy(chunk)
        lines += chunk.count(b"\n")
        non_ascii = non_ascii or not chunk.isascii()
    return "utf-8"


@contextlib.contextmanager
def open_table(
    path: str | Path, fmt: str | None = None, sheet: str | None = None
) -> Iterator[Table]:
    """Open an input for streaming; `-` reads stdin; `sheet` names an Excel workbook's sheet
    (else the first). Raises InputError with what to do."""
    path = str(path)
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        total = None
    else:
        if not Path(path).is_file():
            raise InputError(f"input file {path} does not exist")
        raw = open(path, "rb")  # noqa: SIM115 - closed below
        total = Path(path).stat().st_size
    try:
        buffered = io.BufferedReader(_CountingReader(raw), buffer_size=_HEAD_BYTES)
        head = buffered.peek(_HEAD_BYTES)[:_HEAD_BYTES]
        fmt = fmt or detect_format(path, head)
        if fmt not in FORMATS:
            raise InputError(f"unknown input format '{fmt}'; use one of {', '.join(FORMATS)}")
        check_readable_kind(path, head, fmt)
        if fmt == "xlsx":
            from coder.workbook import xlsx_table  # openpyxl, loaded for workbooks alone

            table = xlsx_table(path, buffered, sheet)
        elif sheet is not None:
            raise InputError(f"--sheet is for Excel workbooks, and {path} is {fmt}")
        else:
            encoding = detect_encoding(head, None if total is None else path)
            text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
            reader = _jsonl_table if fmt == "jsonl" else _csv_table
            table = reader(path, text, fmt)
        table.bytes_total = total
        table._counter = buffered.raw  # type: ignore[assignment]
        yield table
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def _legacy(chunk: bytes) -> str:
    """cp1252 (Windows), or Mac Roman where the lines end in a bare CR, as Excel for Mac's
    "CSV (Macintosh)" writes them: read as cp1252, "don't" would read "donÕt"."""
    if b"\r" in chunk and b"\n" not in chunk:
        return "mac_roman"
    return "cp1252"


@contextlib.contextmanager
def _decoding(path: str) -> Iterator[None]:
    """Undecodable bytes and broken CSV as InputErrors that say what to do."""
    try:
        yield
    except UnicodeDecodeError as exc:
        encoding = "cp1252" if exc.encoding == "charmap" else exc.encoding  # the only charmap
        raise InputError(
            f"{path} is not valid {encoding} text ({exc.reason}); "
            "save it as UTF-8 (in Excel: CSV UTF-8) and try again"
        ) from None
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None


def _guarded(
    path: str, rows: Iterator[tuple[int, dict[str, str]]]
) -> Iterator[tuple[int, dict[str, str]]]:
    with _decoding(path):
        yield from rows


def _sniff_delimiter(first_line: str, fmt: str) -> str:
    """The header's delimiter: a tab if it splits the header (Excel's "Unicode text"), else
    whichever of ; and , gives more columns without leaving quotes inside a column."""
    if fmt == "tsv":
        return "\t"
    widths = {}
    for delimiter in ("\t", ";", ","):
        fields = next(csv.reader([first_line], delimiter=delimiter), [])
        if len(fields) > 1 and not any('"' in field for field in fields):
            widths[delimiter] = len(fields)
    if "\t" in widths:
        return "\t"
    return max(widths, key=lambda d: widths[d]) if widths else ","


def _lines_ahead(text: IO[str], rows: int) -> list[str]:
    """The next lines up to the `rows`-th that is not blank (fewer at the end of the file)."""
    lines: list[str] = []
    while sum(1 for line in lines if line.strip()) < rows and (line := text.readline()):
        lines.append(line)
    return lines


def _refuse_untabbed(path: str, first: str, ahead: list[str]) -> None:
    """Tab-separated by its name or the user's word, but a header and first rows (`ahead`)
    with no tab that commas or semicolons split alike, as a CSV's are: read as TSV, each whole
    line would be one comment. (A one-column file's header and answers may hold commas too,
    but seldom as many in every row.)"""
    rows = [line for line in ahead if line.strip()]
    if "\t" in first or not rows or any("\t" in line for line in rows):
        return
    for delimiter in (",", ";"):
        fields = next(csv.reader([first], delimiter=delimiter), [])
        widths = {len(next(csv.reader([line], delimiter=delimiter), [])) for line in rows}
        if len(fields) > 1 and widths == {len(fields)}:
            raise InputError(
                f"{path} is read as tab-separated (tsv, by its name or --input-format), but "
                "its header has no tab and "
                f"'{delimiter}' splits it into {len(fields)} columns: give --input-format csv "
                "(or name the file .csv)"
            )


def _unique_columns(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names):
        name = (name or "").strip().lstrip("\ufeff") or f"column_{i + 1}"
        while name in out:
            name = f"{name}_{i + 1}"
        out.append(name)
    return out


def _csv_table(path: str, text: IO[str], fmt: str) -> Table:
    with _decoding(path):
        first = text.readline()
        told = _SEP_LINE.fullmatch(first.rstrip("\r\n"))  # Excel's "sep=;", then the header
        if told:
            first = text.readline()
        # a tab-separated file's first rows, read ahead to check them (and put back below)
        ahead = _lines_ahead(text, 5) if fmt == "tsv" and not told else []
    delimiter = told.group(1) if told else _sniff_delimiter(first, fmt)
    if ahead:
        _refuse_untabbed(path, first, ahead)
    header = next(csv.reader([first], delimiter=delimiter), [])
    if not header:
        raise InputError(f"{path} is empty: expected a header row with column names")
    columns = _unique_columns(header)
    reader = csv.reader(itertools.chain(ahead, text, [_END]), delimiter=delimiter)
    records = _csv_records(path, reader, columns, 2 if told else 1)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        pending = list(itertools.islice(records, 2))
        if _is_qualtrics(pending):
            pending = []
        yield from pending
        yield from records

    return Table(path, columns, _guarded(path, rows()))


_SEP_LINE = re.compile(r'"?sep=([,;\t|])"?', re.IGNORECASE)

# Read after the file's last line: a quote left open swallows it into a cell, which is how an
# unterminated quote is told from a cell that really runs over several lines to the end.
_END_CELL = "\ue000coder: end of file\ue000"
_END = _END_CELL + "\n"


def _csv_records(
    path: str, reader: Any, columns: list[str], before: int = 1
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row with its line number (+ `before`, the lines read before the reader: the
    header, and any `sep=` line), blank ones as `_kept` keeps them."""
    return _kept(_csv_rows(path, reader, columns, before), columns)


def _csv_rows(
    path: str, reader: Any, columns: list[str], before: int
) -> Iterator[tuple[int, dict[str, str] | None]]:
    begins = before + 1
    for record in reader:
        line = reader.line_num + before
        if record == [_END_CELL]:
            return
        if record and _END_CELL in record[-1]:
            raise InputError(
                f"{path}: the quote opened in the row on line {begins} is never closed, so "
                "the rest of the file would be read as one cell: close the quote (a quote "
                "inside a quoted cell is written twice), or save the file again from the "
                "spreadsheet"
            )
        if any(cell.strip() for cell in record):
            yield line, dict(zip(columns, _fit(path, line, record, len(columns)), strict=True))
        else:
            yield line, None
        begins = line + 1


def _kept(
    rows: Iterator[tuple[int, dict[str, str] | None]], columns: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows with a value (None: a blank row). In a file of one column a blank row is an
    empty answer (Excel writes an empty cell so), kept unless no answer follows it."""
    blanks: list[int] = []
    for line, row in rows:
        if row is None:
            blanks += [line] if len(columns) == 1 else []
            continue
        yield from ((blank, {columns[0]: ""}) for blank in blanks)
        blanks = []
        yield line, row


def _fit(path: str, line: int, record: list[str], width: int) -> list[str]:
    """The record as wide as the header: short rows padded, empty cells past the end dropped.
    Text past the header's last column is refused rather than lost."""
    if len(record) > width and any(cell.strip() for cell in record[width:]):
        raise InputError(
            f"{path}: the row on line {line} has {len(record)} cells but the header names "
            f"{width} columns, so text would be lost: put quotes round a cell that holds the "
            "delimiter, or give the extra columns a name in the header"
        )
    return _pad(record, width)


def _pad(record: list[str], width: int) -> list[str]:
    if len(record) == width:  # nearly every row
        return record
    return (record + [""] * width)[:width]


def _is_qualtrics(first_rows: list[tuple[int, dict[str, str]]]) -> bool:
    """Qualtrics puts the question texts, then `{"ImportId":...}` cells, under the header."""
    if len(first_rows) < 2:
        return False
    return any(value.lstrip().startswith('{"ImportId"') for value in first_rows[1][1].values())


def _jsonl_table(path: str, text: IO[str], fmt: str) -> Table:
    lines = enumerate(text, start=1)
    first: tuple[int, dict[str, Any]] | None = None
    with _decoding(path):
        for number, line in lines:
            if line.strip():
                first = (number, _json_object(path, number, line))
                break
    columns = list(first[1]) if first else []

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        if first:
            yield first[0], _stringify(first[1], columns)
        for number, line in lines:
            if line.strip():
                row = _json_object(path, number, line)
                _check_text_key(number, row, table)
                yield number, _stringify(row, columns)

    table = Table(path, columns, _guarded(path, rows()))
    return table


def _check_text_key(number: int, row: dict[str, Any], table: Table) -> None:
    """A missing key is an empty value and a new one another column, but an object that lacks
    the comments' key and has others may have it renamed (`comment` become `text`): read as
    it is, its comment is empty. An exporter that leaves out empty fields writes such objects
    too, so they are read, and counted for a note (`Table.sheet_note`), not refused."""
    key = table.text_column
    if key is None or key in row:
        return
    added = [name for name in row if name not in table.columns]
    if added:
        table.strays += 1
        table.first_stray = table.first_stray or (number, ", ".join(added))


def _json_object(path: str, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError as exc:
        raise InputError(
            f"{path}:{number}: not valid JSON ({exc.msg}); expected one object per line"
        ) from None
    if not isinstance(value, dict):
        raise InputError(
            f"{path}:{number}: expected a JSON object per line, got {type(value).__name__}"
        )
    return value


def _stringify(row: dict[str, Any], columns: list[str]) -> dict[str, str]:
    """Every column of the first object (empty where missing), then any others it has."""
    return {key: _cell_text(value) for key, value in {**dict.fromkeys(columns), **row}.items()}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()  # Excel keeps a date as a datetime at midnight
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def pick_column(
    columns: list[str], requested: str | None, source: str, what: str, flag: str
) -> str:
    """The column named `requested` (case-insensitive), or an InputError listing the columns."""
    assert requested is not None
    if requested.strip() in columns:  # `comment` beside `Comment`: the one named exactly
        return requested.strip()
    for column in columns:
        if column.casefold() == requested.strip().casefold():
            return column
    listed = ", ".join(columns) or "(none)"
    raise InputError(
        f"no {what} column '{requested}' in {source}; the columns are: {listed}. Use {flag} NAME"
    )


def pick_text_column(columns: list[str], requested: str | None, source: str) -> str:
    """The requested text column, else the first usual name, else the only column."""
    if requested:
        return pick_column(columns, requested, source, "text", "--text-column")
    folded = {c.casefold(): c for c in columns}
    for name in TEXT_COLUMN_NAMES:
        if name in folded:
            return folded[name]
    if len(columns) == 1:
        return columns[0]
    listed = ", ".join(columns) or "(none)"
    raise InputError(
        f"cannot tell which column of {source} holds the comments; the columns are: {listed}. "
        "Use --text-column NAME"
    )


def pick_id_column(columns: list[str], requested: str | None, source: str) -> str | None:
    """The requested id column, else `id` if there is one, else None (row numbers are used)."""
    if requested:
        return pick_column(columns, requested, source, "id", "--id-column")
    return next((c for c in columns if c.casefold() == "id"), None)
