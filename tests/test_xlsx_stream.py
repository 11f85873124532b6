"""The worksheet written as text: the same workbook openpyxl writes, faster."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from coder.xlsx_stream import SHEET_PART, SheetStream

ROWS = [
    ["id", "text", "age", "score", "note"],
    ["r1", "Fish & chips <cold> > hot", 34, 0.8123, None],
    ["r2", "  leading and trailing  ", -7, 1e-07, ""],
    ["r3", '=HYPERLINK("http://x")', 0, 0.5, "#REF!"],
    ["r4", "line one\nline two", 12345678901234, 2.0, "é ü ß 漢字 😀"],
    ["r5", "x" * 32767, 1, 0.3333333333333333, "+44 1234"],
]


def openpyxl_sheet(path: Path, rows: list[list[object]]) -> bytes:
    """The rows as coder wrote them with openpyxl before (texts as strings, never formulas)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("coder")
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value:
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    book.save(path)
    return zipfile.ZipFile(path).read(SHEET_PART)


def streamed(path: Path, rows: list[list[object]]) -> Path:
    stream = SheetStream(path)
    for row in rows:
        stream.row(row)
    stream.close()
    return path


def test_the_sheet_is_the_one_openpyxl_writes_and_the_other_parts_are_its_own(
    tmp_path: Path,
) -> None:
    ours = zipfile.ZipFile(streamed(tmp_path / "ours.xlsx", ROWS))
    expected = openpyxl_sheet(tmp_path / "openpyxl.xlsx", ROWS)
    theirs = zipfile.ZipFile(tmp_path / "openpyxl.xlsx")
    assert ET.canonicalize(ours.read(SHEET_PART)) == ET.canonicalize(expected)
    assert [i.filename for i in ours.infolist()] == [i.filename for i in theirs.infolist()]
    for name in ours.namelist():
        if name not in (SHEET_PART, "docProps/core.xml"):  # core: the time it was made
            assert ours.read(name) == theirs.read(name), name
    assert {i.compress_type for i in ours.infolist()} == {zipfile.ZIP_DEFLATED}


def test_values_read_back_as_written_and_no_text_becomes_a_formula(tmp_path: Path) -> None:
    sheet = load_workbook(streamed(tmp_path / "b.xlsx", ROWS)).active
    read = [list(row) for row in sheet.iter_rows(values_only=True)]
    # XML keeps no empty cell apart from a missing one, and reads a \r as \n
    assert read == [[None if v == "" else v for v in row] for row in ROWS]
    assert sheet["B4"].data_type == "s" and sheet["E4"].data_type == "s"
    assert sheet.title == "coder"


def test_a_wide_row_gets_its_columns_past_z(tmp_path: Path) -> None:
    row = [f"c{i}" for i in range(60)]
    sheet = load_workbook(streamed(tmp_path / "w.xlsx", [row, row[:3]])).active
    assert [c.value for c in sheet[1]] == row
    assert sheet["BH1"].value == "c59" and sheet["C2"].value == "c2"


def test_an_aborted_sheet_leaves_no_file_behind(tmp_path: Path) -> None:
    stream = SheetStream(tmp_path / "gone.xlsx")
    stream.row(["a", 1])
    assert len(list(tmp_path.iterdir())) == 1  # the rows, beside the workbook to be
    stream.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("rows", [[], [["only a header"]]])
def test_a_sheet_of_no_rows_or_one_is_a_workbook_openpyxl_reads(
    tmp_path: Path, rows: list[list[object]]
) -> None:
    sheet = load_workbook(streamed(tmp_path / "s.xlsx", rows)).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == rows
    assert list(tmp_path.iterdir()) == [tmp_path / "s.xlsx"]


def test_a_cell_of_spaces_alone_is_marked_to_keep_them(tmp_path: Path) -> None:
    # a reader may drop spaces not so marked; openpyxl marks a cell of spaces alone with lxml only
    sheet = zipfile.ZipFile(streamed(tmp_path / "s.xlsx", [["   ", " x ", "y"]])).read(SHEET_PART)
    assert b'<t xml:space="preserve">   </t>' in sheet
    assert b'<t xml:space="preserve"> x </t>' in sheet and b"<t>y</t>" in sheet
