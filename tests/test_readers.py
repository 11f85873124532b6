"""Reading comments: what spreadsheets and survey platforms write, with line numbers; and
reading hand-coded comments against a codebook."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import TINY_CODEBOOK, write_csv
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from coder.codebook import Codebook
from coder.codebook_io import parse_codebook
from coder.errors import InputError, LabelError
from coder.labelled import read_labelled, split_codes
from coder.readers import open_table, pick_id_column, pick_text_column

Rows = list[tuple[int, dict[str, str]]]


def read(path: str | Path, fmt: str | None = None) -> tuple[list[str], Rows]:
    with open_table(path, fmt) as table:
        return table.columns, list(table.rows)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def tiny() -> Codebook:
    return parse_codebook(TINY_CODEBOOK, "tiny.yaml")


# ---------------------------------------------------------------- CSV encodings and dialects


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,comment\n1,café – naïve\n2,plain\n", encoding=encoding)
    columns, rows = read(path)
    assert columns == ["id", "comment"]  # no BOM left on the first column
    assert rows == [
        (2, {"id": "1", "comment": "café – naïve"}),
        (3, {"id": "2", "comment": "plain"}),
    ]


def test_utf16_tab_separated_as_excel_unicode_text(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(
        'id\tcomment\r\n1\tcafé – naïve, ok\r\n2\t"quoted; text"\r\n', encoding="utf-16"
    )
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert read(path) == (
        ["id", "comment"],
        [
            (2, {"id": "1", "comment": "café – naïve, ok"}),
            (3, {"id": "2", "comment": "quoted; text"}),
        ],
    )


def test_utf16_without_a_bom(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.csv", "id,comment\n1,héllo\n".encode("utf-16-le"))
    assert read(path) == (["id", "comment"], [(2, {"id": "1", "comment": "héllo"})])


def test_cp1252_is_found_however_far_down_the_file_its_first_accent_is(tmp_path: Path) -> None:
    # ASCII well past the head the encoding was once guessed from, then a cp1252 row.
    body = "".join(f"{i},The bus fares were paid late on day {i}.\n" for i in range(4000))
    data = f"id,comment\n{body}9999,We didn’t get a say – café closed\n".encode("cp1252")
    assert len(data) > 1 << 17
    _, rows = read(write_bytes(tmp_path / "late.csv", data))
    assert rows[-1] == (4002, {"id": "9999", "comment": "We didn’t get a say – café closed"})


def test_excel_for_mac_csv_with_bare_cr_line_ends_reads_as_mac_roman(tmp_path: Path) -> None:
    data = "id,comment\r1,We don’t get a say – café closed\r".encode("mac_roman")
    path = write_bytes(tmp_path / "mac.csv", data)
    assert read(path)[1] == [(2, {"id": "1", "comment": "We don’t get a say – café closed"})]


def test_utf8_text_then_a_cp1252_byte_is_refused_with_its_line(tmp_path: Path) -> None:
    # Read as cp1252, the UTF-8 "café" would be garbled: the file mixes encodings.
    body = "".join(f"{i},The bus fares were paid late on day {i}.\n" for i in range(4000))
    data = "id,comment\n1,café\n".encode() + body.encode() + b"9999,don\x92t\n"
    path = write_bytes(tmp_path / "mixed.csv", data)
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path} mixes encodings: UTF-8 text, then on line 4003 a byte that is not UTF-8; "
        "save it as UTF-8 (in Excel: CSV UTF-8) and try again"
    )


def test_a_zip_archive_that_is_not_a_workbook_says_to_unzip_it(tmp_path: Path) -> None:
    path = tmp_path / "survey.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("survey.csv", "id,comment\n1,No time.\n")
    for fmt in (None, "csv"):
        with pytest.raises(InputError) as caught:
            read(path, fmt)
        assert str(caught.value) == (
            f"{path} is a zip archive, not an Excel workbook: unzip it and give coder the CSV, "
            "XLSX or JSONL file inside"
        )


@pytest.mark.parametrize(
    ("name", "data", "fmt", "message"),
    [
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x81" * 64,
            None,
            "is an Excel 97-2003 workbook (.xls), which coder does not read: open it in Excel "
            "or LibreOffice and save it as .xlsx or CSV UTF-8",
        ),
        (
            "old.csv",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x81" * 64,
            None,
            "is an Excel 97-2003 workbook (.xls), which coder does not read: open it in Excel "
            "or LibreOffice and save it as .xlsx or CSV UTF-8",
        ),
        (
            "in.csv.gz",
            b"\x1f\x8b\x08\x00" + b"\x81" * 64,
            None,
            "is compressed (gzip): decompress it first, e.g. gunzip {path}",
        ),
        (
            "in.csv.bz2",
            b"BZh91AY&SY" + b"\x81" * 64,
            None,
            "is compressed (bzip2): decompress it first, e.g. bunzip2 {path}",
        ),
        (
            "in.csv.xz",
            b"\xfd7zXZ\x00" + b"\x81" * 64,
            None,
            "is compressed (xz): decompress it first, e.g. unxz {path}",
        ),
        (
            "book.xlsx",
            b"PK\x03\x04" + b"\x81" * 64,
            "csv",
            "is a zip file (an Excel .xlsx workbook?), not csv text: leave out --input-format, "
            "or give --input-format xlsx",
        ),
    ],
)
def test_files_that_are_not_text_say_what_to_do(
    tmp_path: Path, name: str, data: bytes, fmt: str | None, message: str
) -> None:
    path = write_bytes(tmp_path / name, data)
    with pytest.raises(InputError) as caught:
        read(path, fmt)
    assert str(caught.value) == f"{path} " + message.format(path=path)


def test_undecodable_bytes_in_the_header_of_streamed_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Bytes before any other non-ASCII read as cp1252, where 0x81 means nothing.
    stdin_with(monkeypatch, b"id,comm\x81nt\n1,x\n")
    with pytest.raises(InputError) as caught:
        read("-", "csv")
    assert str(caught.value) == (
        "- is not valid cp1252 text (character maps to <undefined>); "
        "save it as UTF-8 (in Excel: CSV UTF-8) and try again"
    )


def test_semicolon_separated(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id;comment\n1;hello, world\n2;"a;b"\n', encoding="utf-8")
    assert read(path) == (
        ["id", "comment"],
        [(2, {"id": "1", "comment": "hello, world"}), (3, {"id": "2", "comment": "a;b"})],
    )


def test_tsv_suffix_means_tabs(tmp_path: Path) -> None:
    path = tmp_path / "in.tsv"
    path.write_text("id,x\tcomment\n1,2\thi, there\n", encoding="utf-8")
    assert read(path) == (["id,x", "comment"], [(2, {"id,x": "1,2", "comment": "hi, there"})])


def test_semicolon_separated_with_commas_in_a_quoted_header(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        'id;"What, if anything, could be better?"\n1;"More time, please"\n', encoding="utf-8"
    )
    assert read(path) == (
        ["id", "What, if anything, could be better?"],
        [(2, {"id": "1", "What, if anything, could be better?": "More time, please"})],
    )


def test_utf16_tab_separated_with_commas_in_the_header(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(
        "id\tWhat, if anything, could be better?\r\n1\tMore time, please\r\n", encoding="utf-16"
    )
    columns, rows = read(path)
    assert columns == ["id", "What, if anything, could be better?"]
    assert rows == [(2, {"id": "1", "What, if anything, could be better?": "More time, please"})]


def test_qualtrics_export_skips_the_two_extra_header_rows(tmp_path: Path) -> None:
    path = tmp_path / "qualtrics.csv"
    path.write_text(
        "ResponseId,Q1,Q2\n"
        'Response ID,"What, if anything, could be better?",How old are you?\n'
        '{"ImportId":"_recordId"},{"ImportId":"QID1_TEXT"},{"ImportId":"QID2"}\n'
        "R_1,More staff,34\n"
        "R_2,Nothing,51\n",
        encoding="utf-8-sig",
    )
    assert read(path) == (
        ["ResponseId", "Q1", "Q2"],
        [
            (4, {"ResponseId": "R_1", "Q1": "More staff", "Q2": "34"}),
            (5, {"ResponseId": "R_2", "Q1": "Nothing", "Q2": "51"}),
        ],
    )


def test_two_ordinary_rows_are_not_taken_for_qualtrics_headers(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,comment\n1,first\n2,"{""a"": 1}"\n3,third\n', encoding="utf-8")
    assert [row for _, row in read(path)[1]] == [
        {"id": "1", "comment": "first"},
        {"id": "2", "comment": '{"a": 1}'},
        {"id": "3", "comment": "third"},
    ]


def test_empty_lines_are_skipped_and_line_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,comment\n\n1,a\n\n\n2,b\n , \n3,c\n\n", encoding="utf-8")
    assert read(path)[1] == [
        (3, {"id": "1", "comment": "a"}),
        (6, {"id": "2", "comment": "b"}),
        (8, {"id": "3", "comment": "c"}),
    ]


def test_crlf_line_numbers_and_quoted_newlines(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.csv", b'id,comment\r\n1,"two\r\nlines"\r\n2,next\r\n')
    assert read(path)[1] == [
        (3, {"id": "1", "comment": "two\r\nlines"}),
        (4, {"id": "2", "comment": "next"}),
    ]


def test_a_column_named_exactly_wins_over_one_named_in_another_case() -> None:
    assert pick_text_column(["id", "Comment", "comment"], "comment", "f.csv") == "comment"
    assert pick_text_column(["id", "Comment", "comment"], "COMMENT", "f.csv") == "Comment"


def test_excels_sep_line_names_the_delimiter_before_the_header(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.csv", b"sep=;\r\nid;comment\r\n1;No time, no money.\r\n")
    assert read(path) == (["id", "comment"], [(3, {"id": "1", "comment": "No time, no money."})])


def test_a_blank_line_of_a_one_column_file_is_an_empty_answer(tmp_path: Path) -> None:
    # Excel saves an empty cell of a one-column sheet as a blank line: respondent 3 answered
    # nothing, and was left out. Blank lines after the last answer are no respondents.
    path = write_bytes(tmp_path / "in.csv", b"comment\nfirst\n\nthird\n\n\n")
    assert read(path) == (
        ["comment"],
        [(2, {"comment": "first"}), (3, {"comment": ""}), (4, {"comment": "third"})],
    )
    two = write_bytes(tmp_path / "two.csv", b"id,comment\n1,first\n\n3,third\n")
    assert [line for line, _ in read(two)[1]] == [2, 4]
    book = Workbook()  # and so in a workbook
    for row in (["comment"], ["first"], [None], ["third"], [None]):
        book.active.append(row)
    book.save(tmp_path / "one.xlsx")
    assert read(tmp_path / "one.xlsx") == read(path)


def test_short_rows_are_padded_empty_extra_cells_dropped_and_blank_headers_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.csv"
    path.write_text("id,,id\n1,2,3,,\n5\n", encoding="utf-8")
    assert read(path) == (
        ["id", "column_2", "id_3"],
        [
            (2, {"id": "1", "column_2": "2", "id_3": "3"}),
            (3, {"id": "5", "column_2": "", "id_3": ""}),
        ],
    )


def test_text_past_the_last_named_column_is_refused_not_dropped(tmp_path: Path) -> None:
    # An unquoted comma in a comment: "the staff, the food" would have lost "the food".
    path = tmp_path / "in.csv"
    path.write_text("id,comment\n1,fine\n2,the staff, the food\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: the row on line 3 has 3 cells but the header names 2 columns, so text would "
        "be lost: put quotes round a cell that holds the delimiter, or give the extra columns "
        "a name in the header"
    )


@pytest.mark.parametrize("ending", ["\n", ""])
def test_a_quote_never_closed_is_refused_with_the_line_it_opens_on(
    tmp_path: Path, ending: str
) -> None:
    path = tmp_path / "in.csv"
    rows = '1,"fine"\n2,"multi\nline"\n3,"They said ""wait"""\n4,ok\n5,"gone\n6,lost' + ending
    path.write_text("id,comment\n" + rows, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: the quote opened in the row on line 7 is never closed, so the rest of the "
        "file would be read as one cell: close the quote (a quote inside a quoted cell is "
        "written twice), or save the file again from the spreadsheet"
    )


def test_a_quoted_cell_running_over_lines_to_the_end_of_the_file_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,comment\n1,ok\n2,"two\nlines"', encoding="utf-8")
    assert read(path)[1] == [
        (2, {"id": "1", "comment": "ok"}),
        (4, {"id": "2", "comment": "two\nlines"}),
    ]


def test_invalid_utf8_after_the_sniffed_head_of_streamed_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Read from stdin, only the head can be looked at before the rows are.
    stdin_with(monkeypatch, b"id,comment\n1," + b"a" * 70_000 + b"\n2,caf\xe9\n")
    with open_table("-", "csv") as table, pytest.raises(InputError) as caught:
        list(table.rows)
    assert str(caught.value) == (
        "- is not valid utf-8 text (invalid continuation byte); "
        "save it as UTF-8 (in Excel: CSV UTF-8) and try again"
    )


def test_empty_file(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.csv", b"")
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == f"{path} is empty: expected a header row with column names"


def test_file_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == f"input file {path} does not exist"


def test_unknown_format(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.csv", b"id\n1\n")
    with pytest.raises(InputError) as caught:
        read(path, "xml")
    assert str(caught.value) == "unknown input format 'xml'; use one of csv, tsv, xlsx, jsonl"


def test_bytes_read_and_total(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.csv", b"id,comment\n1,a\n2,b\n")
    with open_table(path) as table:
        assert table.bytes_total == 19
        list(table.rows)
        assert table.bytes_read == 19


# ---------------------------------------------------------------- XLSX


def test_xlsx(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "comment", "score", "ratio", "flag"])
    sheet.append([12, "café", 12.0, 3.5, True])
    sheet.append([None, None, None, None, None])
    sheet.append([13, None, 7, None, False])
    path = tmp_path / "in.xlsx"
    book.save(path)
    assert read(path) == (
        ["id", "comment", "score", "ratio", "flag"],
        [
            (2, {"id": "12", "comment": "café", "score": "12", "ratio": "3.5", "flag": "true"}),
            (4, {"id": "13", "comment": "", "score": "7", "ratio": "", "flag": "false"}),
        ],
    )


def test_xlsx_ids_with_leading_zeros_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["id", "comment", "score"])
    book.active.append([123, "No time.", 4])
    book.active["A2"].number_format = "000000"
    book.save(tmp_path / "in.xlsx")
    assert read(tmp_path / "in.xlsx")[1] == [
        (2, {"id": "000123", "comment": "No time.", "score": "4"})
    ]


def test_xlsx_shares_and_sums_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["id", "comment", "agreed", "share", "total", "plain"])
    book.active.append([1, "ok", 0.5, 0.125, 0.1 + 0.2, 2.5])
    book.active["C2"].number_format = "0%"
    book.active["D2"].number_format = "0.0%"
    book.save(tmp_path / "in.xlsx")
    assert read(tmp_path / "in.xlsx")[1] == [
        (
            2,
            {
                "id": "1",
                "comment": "ok",
                "agreed": "50%",
                "share": "12.5%",
                "total": "0.3",
                "plain": "2.5",
            },
        )
    ]


def _titled_book(path: Path, *above: list[object]) -> Path:
    book = Workbook()
    for row in above:
        book.active.append(row)
    book.active.append(["id", "site", "comment"])
    book.active.append([1, "North", "No time to take part."])
    book.active.append([2, "South", "They listened."])
    book.save(path)
    return path


def test_xlsx_title_rows_above_the_header_are_left_out_with_a_note(tmp_path: Path) -> None:
    path = _titled_book(tmp_path / "in.xlsx", ["Co-production survey 2026"], [], ["Wave 2"])
    with open_table(path) as table:
        assert table.columns == ["id", "site", "comment"]
        assert list(table.rows) == [
            (5, {"id": "1", "site": "North", "comment": "No time to take part."}),
            (6, {"id": "2", "site": "South", "comment": "They listened."}),
        ]
        assert table.note == (
            "Sheet 'Sheet': its header is row 4 (id, site, comment); the rows above it "
            "('Co-production survey 2026', 'Wave 2') are left out"
        )


def test_xlsx_a_first_row_of_one_name_is_the_header_when_numbers_come_under_it(
    tmp_path: Path,
) -> None:
    """A one-column header over rows that hold numbers: those rows are answers, not a header."""
    book = Workbook()
    book.active.append(["comment"])
    book.active.append(["Too slow", 3])
    book.save(tmp_path / "in.xlsx")
    with open_table(tmp_path / "in.xlsx") as table:
        assert table.columns == ["comment", "column_2"]
        assert table.note == ""
        assert list(table.rows) == [(2, {"comment": "Too slow", "column_2": "3"})]


def test_xlsx_cells_merged_down_rows_read_in_each_row_with_a_note(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "site", "comment", "note"])
    sheet.append([1, "North", "No time.", "wide"])
    sheet.append([2, None, "Listened.", None])
    sheet.append([3, None, "Tokenistic.", None])
    sheet.append([4, "South", "Good.", None])
    sheet.merge_cells("B2:B4")
    sheet.merge_cells("D2:E2")  # across columns: left as it is
    book.save(tmp_path / "in.xlsx")
    with open_table(tmp_path / "in.xlsx") as table:
        assert [(n, row["site"], row["note"]) for n, row in table.rows] == [
            (2, "North", "wide"),
            (3, "North", ""),
            (4, "North", ""),
            (5, "South", ""),
        ]
        assert table.note == (
            "1 merged cell of sheet 'Sheet' spans several rows (e.g. B2:B4): each row it spans "
            "is read with the merged cell's value"
        )


def test_xlsx_dates_read_as_dates_and_times_as_written(tmp_path: Path) -> None:
    import datetime as dt

    book = Workbook()
    book.active.append(["id", "comment", "submitted", "at"])
    book.active.append([1, "ok", dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30)])
    path = tmp_path / "in.xlsx"
    book.save(path)
    assert read(path)[1] == [
        (2, {"id": "1", "comment": "ok", "submitted": "2026-03-01", "at": "2026-03-01T09:30:00"})
    ]


def _formula_book(path: Path, rows: int, *edits: tuple[bytes, bytes]) -> None:
    """A workbook whose comment column is formulas, as openpyxl and other scripts write them
    (no saved result), with `edits` made to its sheet's XML (Excel's way of saving them)."""
    book = Workbook()
    book.active.append(["id", "comment"])
    for n in range(rows):
        book.active.append([n, '="Too "&"slow"'])
    book.save(path)
    with zipfile.ZipFile(path) as old:
        parts = {name: old.read(name) for name in old.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    for before, after in edits:
        parts[sheet] = parts[sheet].replace(before, after)
    with zipfile.ZipFile(path, "w") as new:
        for name, data in parts.items():
            new.writestr(name, data)


SAVED = (b"><f>", b' t="str"><f>'), (b"<v />", b"<v>Too slow</v>")
SAVED_EMPTY = (b"><f>", b' t="str"><f>'), (b"<v />", b"<v></v>")  # Excel's ""


@pytest.mark.parametrize(("edits", "read_as"), [(SAVED, "Too slow"), (SAVED_EMPTY, "")])
def test_xlsx_formulas_read_as_their_saved_results(
    tmp_path: Path, edits: tuple[tuple[bytes, bytes], ...], read_as: str
) -> None:
    _formula_book(tmp_path / "in.xlsx", 2, *edits)
    with open_table(tmp_path / "in.xlsx") as table:
        assert [(line, row["comment"]) for line, row in table.rows] == [(2, read_as), (3, read_as)]
        assert table.sheet_note == ""


def test_xlsx_formulas_with_no_saved_result_in_other_writers_shapes(tmp_path: Path) -> None:
    # a value element with attributes, and a decimal row number: each once hid the formula
    # from the check or raised a traceback
    edits = (b"<v />", b'<v xml:space="preserve"></v>'), (b'<row r="2"', b'<row r="2.0"')
    _formula_book(tmp_path / "in.xlsx", 2, *edits)
    assert [row["comment"] for _, row in read(tmp_path / "in.xlsx")[1]] == ['="Too "&"slow"'] * 2


def test_xlsx_formula_cells_without_a_reference_are_placed_in_turn(tmp_path: Path) -> None:
    _formula_book(tmp_path / "in.xlsx", 2, (b' r="B2"', b""), (b' r="B3"', b""))
    assert [row["comment"] for _, row in read(tmp_path / "in.xlsx")[1]] == ['="Too "&"slow"'] * 2


def test_xlsx_formulas_with_no_saved_result_read_as_their_text_with_a_note(
    tmp_path: Path,
) -> None:
    # A script stores any text starting with = as a formula: read for values, the comments
    # "=== NO ===" and the like were empty.
    _formula_book(tmp_path / "in.xlsx", 7)
    with open_table(tmp_path / "in.xlsx") as table:
        assert [row["comment"] for _, row in table.rows] == ['="Too "&"slow"'] * 7
        assert table.sheet_note == (
            "7 cells of sheet 'Sheet' hold a formula with no saved result, read as written (e.g. "
            'B2: \'="Too "&"slow"\'): the workbook was written by a program that stores any '
            "text starting with = as a formula. If these are real formulas, open the workbook "
            "in Excel or LibreOffice and save it first"
        )


def test_xlsx_comments_starting_with_equals_as_a_script_writes_them(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["id", "comment", "role"])
    book.active.append(["cp0408", "=== NO ===", "=N/A"])
    book.active.append(["cp0409", "fine", None])
    book.save(tmp_path / "in.xlsx")
    assert read(tmp_path / "in.xlsx")[1] == [
        (2, {"id": "cp0408", "comment": "=== NO ===", "role": "=N/A"}),
        (3, {"id": "cp0409", "comment": "fine", "role": ""}),
    ]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("download", None),
        ("export.dat", None),
        ("x.csv", "xlsx"),
        ("renamed.csv", None),
        ("misnamed.xls", None),
    ],
)
def test_xlsx_recognised_by_content_or_format(tmp_path: Path, name: str, fmt: str | None) -> None:
    book = Workbook()
    book.active.append(["comment"])
    book.active.append(["hello"])
    path = tmp_path / name
    book.save(path)
    assert read(path, fmt) == (["comment"], [(2, {"comment": "hello"})])


@pytest.fixture
def two_sheets(tmp_path: Path) -> Path:
    """A workbook whose first sheet is a cover note and whose second holds the answers."""
    book = Workbook()
    book.active.title = "Read me"
    book.active.append(["Answers are on the next sheet"])
    answers = book.create_sheet("Responses")
    answers.append(["id", "comment", "codes"])
    answers.append(["r1", "No time at all.", "time"])
    chart = BarChart()  # a chart sheet is no sheet of rows: never read, never listed
    chart.add_data(Reference(answers, min_col=1, min_row=1, max_row=2))
    book.create_chartsheet("Chart").add_chart(chart)
    path = tmp_path / "survey.xlsx"
    book.save(path)
    return path


def test_xlsx_first_sheet_unless_named_and_the_others_are_mentioned(two_sheets: Path) -> None:
    with open_table(two_sheets) as table:
        assert (table.columns, list(table.rows)) == (["Answers are on the next sheet"], [])
        assert table.sheet_note == (
            f"Read sheet 'Read me' of {two_sheets}; it also has 'Responses'. "
            "Use --sheet NAME to read another"
        )
    with open_table(two_sheets, sheet=" responses") as table:
        assert list(table.rows) == [
            (2, {"id": "r1", "comment": "No time at all.", "codes": "time"})
        ]
        assert (table.sheet, table.sheet_note) == ("Responses", "")


def test_a_labelled_workbook_whose_first_sheet_lacks_the_codes_names_the_others(
    two_sheets: Path,
) -> None:
    with pytest.raises(InputError) as caught:
        read_labelled(two_sheets, parse_codebook(TINY_CODEBOOK, "tiny.yaml"))
    assert str(caught.value).endswith(
        f"Use --codes-column NAME. Read sheet 'Read me' of {two_sheets}; it also has "
        "'Responses'. Use --sheet NAME to read another"
    )


def test_xlsx_sheet_that_is_not_there_lists_those_that_are(two_sheets: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_labelled(two_sheets, parse_codebook(TINY_CODEBOOK, "tiny.yaml"), sheet="Chart")
    assert str(caught.value) == (
        f"no sheet 'Chart' in {two_sheets}; its sheets are: 'Read me', 'Responses'"
    )


def test_labelled_comments_from_a_named_sheet(two_sheets: Path, tiny: Codebook) -> None:
    found = read_labelled(two_sheets, tiny, sheet="Responses")
    assert (found.ids, found.texts, found.codes, found.sheet_note) == (
        ["r1"],
        ["No time at all."],
        [["time"]],
        "",
    )


def test_sheet_of_a_csv_is_an_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", ["comment"], [("hello",)])
    with pytest.raises(InputError) as caught, open_table(path, sheet="Responses"):
        pass
    assert str(caught.value) == f"--sheet is for Excel workbooks, and {path} is csv"


def test_file_that_is_not_xlsx(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.xlsx", b"id,comment\n")
    with pytest.raises(InputError) as caught:
        read(path)
    assert (
        str(caught.value) == f"{path} is not a readable Excel .xlsx file (File is not a zip file)"
    )


# ---------------------------------------------------------------- JSONL


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": 1, "text": "café", "n": 2.0, "x": null, "ok": true, "tags": ["a"]}\n'
        "\n"
        '{"id": "2", "text": "second", "extra": 1.5}\n',
        encoding="utf-8",
    )
    assert read(path) == (
        ["id", "text", "n", "x", "ok", "tags"],
        [
            (1, {"id": "1", "text": "café", "n": "2", "x": "", "ok": "true", "tags": '["a"]'}),
            (
                3,
                {
                    "id": "2",
                    "text": "second",
                    "n": "",
                    "x": "",
                    "ok": "",
                    "tags": "",
                    "extra": "1.5",
                },
            ),
        ],
    )


def test_a_comma_file_given_as_tsv_is_refused(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "in.txt", b"id,comment\n1,No time.\n")
    with pytest.raises(InputError) as caught:
        read(path, "tsv")
    assert str(caught.value) == (
        f"{path} is read as tab-separated (tsv, by its name or --input-format), but its "
        "header has no tab and ',' splits it into 2 columns: give --input-format csv (or name "
        "the file .csv)"
    )
    one = write_bytes(tmp_path / "one.tsv", b"comment\nNo time, no money.\n")
    assert read(one, "tsv") == (["comment"], [(2, {"comment": "No time, no money."})])
    gap = write_bytes(tmp_path / "gap.tsv", b"id,comment\n\n1,Staff were kind\n2,Slow\n")
    with pytest.raises(InputError):  # a blank line first: the rows after it tell
        read(gap)
    asked = write_bytes(tmp_path / "q.tsv", b"Better, if anything?\nStaff, pay, time.\n")
    assert read(asked) == (
        ["Better, if anything?"],
        [(2, {"Better, if anything?": "Staff, pay, time."})],
    )


def test_jsonl_objects_without_the_comment_key_but_with_others_are_noted(tmp_path: Path) -> None:
    # A renamed key ("text" for "comment") would lose its comments; an exporter that leaves
    # out empty fields writes the same shape: read as empty comments, with a note.
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": 1, "comment": "no time", "age": 30}\n{"id": 2}\n{"id": 3, "text": "x"}\n'
        '{"id": 4, "follow_up": "yes"}\n',
        encoding="utf-8",
    )
    with open_table(path) as table:
        assert table.pick_text(None) == "comment"
        assert [row["comment"] for _, row in table.rows] == ["no time", "", "", ""]
        assert table.sheet_note == (
            f"2 lines of {path} (the first: line 3) have no 'comment', the key the comments are "
            "under, but have keys the first line lacks (text): read as empty comments; if the "
            "comments are under another key there, give every line the same keys"
        )


def test_jsonl_by_content(tmp_path: Path) -> None:
    path = tmp_path / "in.data"
    path.write_text('\n{"text": "hi"}\n', encoding="utf-8")
    assert read(path) == (["text"], [(2, {"text": "hi"})])


def test_jsonl_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"}\n\n{bad\n{"text": "c"}\n', encoding="utf-8")
    with open_table(path) as table:
        good = []
        with pytest.raises(InputError) as caught:
            for row in table.rows:
                good.append(row)
    assert good == [(1, {"text": "a"}), (2, {"text": "b"})]
    assert str(caught.value) == (
        f"{path}:4: not valid JSON (Expecting property name enclosed in double quotes); "
        "expected one object per line"
    )


def test_jsonl_bad_first_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n\nnot json\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}:3: not valid JSON (Expecting value); expected one object per line"
    )


def test_jsonl_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a"}\n["text", "b"]\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(path)
    assert str(caught.value) == f"{path}:2: expected a JSON object per line, got list"


# ---------------------------------------------------------------- stdin


def stdin_with(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin_csv(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin_with(monkeypatch, "id;comment\n1;café\n\n2;b\n".encode("cp1252"))
    with open_table("-") as table:
        assert table.source == "-"
        assert table.bytes_total is None
        rows = list(table.rows)
    assert table.columns == ["id", "comment"]
    assert rows == [(2, {"id": "1", "comment": "café"}), (4, {"id": "2", "comment": "b"})]
    assert not sys.stdin.buffer.closed


def test_stdin_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin_with(monkeypatch, b'{"text": "one"}\n{"text": "two"}\n')
    assert read("-") == (["text"], [(1, {"text": "one"}), (2, {"text": "two"})])


def test_stdin_xlsx(monkeypatch: pytest.MonkeyPatch) -> None:
    book = Workbook()
    book.active.append(["id", "comment"])
    book.active.append([1, "from a pipe"])
    data = io.BytesIO()
    book.save(data)
    stdin_with(monkeypatch, data.getvalue())
    assert read("-") == (["id", "comment"], [(2, {"id": "1", "comment": "from a pipe"})])


# ---------------------------------------------------------------- choosing columns


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["id", "comment"], "comment"),
        (["ID", "Text"], "Text"),
        (["text", "Comment"], "Comment"),  # comment is tried before text
        (["id", "Feedback", "score"], "Feedback"),
        (["whatever"], "whatever"),  # the only column
    ],
)
def test_pick_text_column_guesses(columns: list[str], expected: str) -> None:
    assert pick_text_column(columns, None, "f.csv") == expected


def test_pick_text_column_cannot_guess() -> None:
    with pytest.raises(InputError) as caught:
        pick_text_column(["id", "score", "Q7"], None, "f.csv")
    assert str(caught.value) == (
        "cannot tell which column of f.csv holds the comments; the columns are: id, score, Q7. "
        "Use --text-column NAME"
    )


def test_pick_text_column_as_requested() -> None:
    assert pick_text_column(["id", "Q7", "comment"], " q7 ", "f.csv") == "Q7"
    with pytest.raises(InputError) as caught:
        pick_text_column(["id", "Q7"], "body", "f.csv")
    assert str(caught.value) == (
        "no text column 'body' in f.csv; the columns are: id, Q7. Use --text-column NAME"
    )


def test_pick_id_column() -> None:
    assert pick_id_column(["ID", "text"], None, "f.csv") == "ID"
    assert pick_id_column(["ref", "text"], None, "f.csv") is None
    assert pick_id_column(["ref", "text"], "REF", "f.csv") == "ref"


# ---------------------------------------------------------------- labelled files


def test_split_codes() -> None:
    assert split_codes(" a; b;;c ;") == ["a", "b", "c"]
    assert split_codes("") == []


def test_read_labelled_resolves_ids_and_labels(tmp_path: Path, tiny: Codebook) -> None:
    path = write_csv(
        tmp_path / "coded.csv",
        ["id", "comment", "codes"],
        [
            ("a", "No time.", "time; Cost ;BOX-TICKING;time"),
            ("b", "Nice.", ""),
            ("c", "Money.", "cost"),
        ],
    )
    data = read_labelled(path, tiny)
    assert data.ids == ["a", "b", "c"]
    assert data.texts == ["No time.", "Nice.", "Money."]
    assert data.codes == [["time", "cost", "box_ticking"], [], ["cost"]]


def test_read_labelled_codes_under_an_old_id_count_for_the_theme_that_replaces_it(
    tmp_path: Path,
) -> None:
    merged = parse_codebook(
        TINY_CODEBOOK.replace("  - id: cost\n", "  - id: money\n    replaces: [cost]\n")
    )
    path = write_csv(
        tmp_path / "coded.csv",
        ["id", "comment", "codes"],
        [("a", "No budget, no time.", "cost;time"), ("b", "Cut again.", "money;cost")],
    )
    data = read_labelled(path, merged)
    assert data.codes == [["money", "time"], ["money"]]


def test_read_labelled_without_an_id_column_uses_line_numbers(
    tmp_path: Path, tiny: Codebook
) -> None:
    path = tmp_path / "coded.csv"
    path.write_text("text,themes\nfirst,Time\n\nsecond,cost\n", encoding="utf-8")
    data = read_labelled(path, tiny, codes_column="themes")
    assert (data.ids, data.texts, data.codes) == (
        ["2", "4"],
        ["first", "second"],
        [["time"], ["cost"]],
    )


def test_read_labelled_refuses_every_repeated_id(tmp_path: Path, tiny: Codebook) -> None:
    # Copies would sit on both sides of a cross-validation split and inflate its figures.
    rows = [("1", "a", "time"), ("2", "b", "cost"), ("", "c", ""), ("1", "a", "time")]
    rows += [("", "d", ""), ("2", "b", "time"), ("1", "a", "")]
    path = write_csv(tmp_path / "coded.csv", ["id", "comment", "codes"], rows)
    with pytest.raises(InputError) as caught:
        read_labelled(path, tiny)
    assert str(caught.value) == (
        f"3 repeated ids in {path}: a comment coded twice counts twice, and cross-validation "
        "would test on copies of what it trained on; keep one row per comment (merge the "
        "codes into it):\n"
        f"{path}:5: id '1' appears twice (first on line 2)\n"
        f"{path}:7: id '2' appears twice (first on line 3)\n"
        f"{path}:8: id '1' appears twice (first on line 2)"
    )


def test_long_comments_repeated_under_new_ids_get_a_note(tmp_path: Path, tiny: Codebook) -> None:
    long = "We never get the time to do co-production properly, number {}."
    rows = [(str(i), long.format(i % 8), "time") for i in range(20)]  # 12 copies of 8 texts
    rows += [(f"s{i}", "Very good.", "") for i in range(30)]  # short answers recur: no copies
    data = read_labelled(write_csv(tmp_path / "coded.csv", ["id", "comment", "codes"], rows), tiny)
    assert data.repeat_note == (
        "12 comments repeat the text of an earlier one under another id; copies on both sides "
        "of cross-validation flatter its figures: keep one of each"
    )
    once = read_labelled(
        write_csv(tmp_path / "once.csv", ["id", "comment", "codes"], rows[:8]), tiny
    )
    assert once.repeat_note == ""


def test_read_labelled_refuses_a_comments_file_that_repeats_an_id(
    tmp_path: Path, tiny: Codebook
) -> None:
    comments = write_csv(
        tmp_path / "comments.csv", ["id", "comment"], [("1", "No time."), ("1", "Money.")]
    )
    codes = write_csv(tmp_path / "codes.csv", ["id", "codes"], [("1", "time")])
    with pytest.raises(InputError) as caught:
        read_labelled(codes, tiny, comments=comments)
    assert str(caught.value) == (
        f"{comments}:3: id '1' appears twice (first on line 2); texts are joined on ids, so "
        "each must name one comment"
    )


def test_read_labelled_reports_every_unknown_theme(tmp_path: Path, tiny: Codebook) -> None:
    path = write_csv(
        tmp_path / "coded.csv",
        ["id", "comment", "codes"],
        [("1", "a", "time"), ("2", "b", "tme;Barriers"), ("3", "c", "cost;money")],
    )
    with pytest.raises(LabelError) as caught:
        read_labelled(path, tiny)
    assert str(caught.value) == (
        f"3 unknown themes in {path} (codebook 'Tiny' has: time, cost, box_ticking):\n"
        f"{path}:3: unknown theme 'tme' (did you mean 'time'?)\n"
        f"{path}:3: unknown theme 'Barriers' ('barriers' is a group, not codable: code one of "
        "its themes, time, cost)\n"
        f"{path}:4: unknown theme 'money'"
    )


def test_a_label_two_themes_share_names_neither_and_an_id_wins_over_a_label(
    tmp_path: Path,
) -> None:
    # A QDA codebook may repeat a name under two parents: "Cost" was read as the first one.
    book = parse_codebook(
        "name: Dup\nthemes:\n  - {id: cost_money, label: Cost}\n  - {id: cost_time, label: cost}\n"
        "  - {id: other, label: cost_money}\n"
    )
    path = write_csv(
        tmp_path / "coded.csv",
        ["id", "comment", "codes"],
        [("1", "a", "cost_money"), ("2", "b", "Cost")],
    )
    with pytest.raises(LabelError) as caught:
        read_labelled(path, book)
    assert str(caught.value).splitlines()[1:] == [
        f"{path}:3: unknown theme 'Cost' (the name of cost_money, cost_time: name the theme by "
        "its id, as written)"
    ]
    assert book.resolve("cost_money") == "cost_money"  # the id as written, not other's label
    # In another case it is one theme's id and another's label: neither is taken for it.
    assert book.resolve("COST_MONEY") is None
    assert book.unknown_hint("COST_MONEY") == (
        " (the name of cost_money, other: name the theme by its id, as written)"
    )


def test_a_labelled_file_with_no_theme_anywhere_is_refused(tmp_path: Path, tiny: Codebook) -> None:
    # An empty codes column trained a model of nothing, with 0.00 figures and no word.
    path = write_csv(
        tmp_path / "coded.csv", ["id", "comment", "codes"], [("1", "a", ""), ("2", "b", "none")]
    )
    with pytest.raises(InputError) as caught:
        read_labelled(path, tiny)
    assert str(caught.value) == (
        f"none of the 2 comments in {path} has a theme in column 'codes': is it the right "
        "column (--codes-column NAME)?"
    )


def test_read_labelled_one_unknown_theme(tmp_path: Path, tiny: Codebook) -> None:
    path = write_csv(tmp_path / "coded.csv", ["comment", "codes"], [("a", "Costs")])
    with pytest.raises(LabelError) as caught:
        read_labelled(path, tiny)
    assert str(caught.value) == (
        f"1 unknown theme in {path} (codebook 'Tiny' has: time, cost, box_ticking):\n"
        f"{path}:2: unknown theme 'Costs' (did you mean 'Cost'?)"
    )


def test_read_labelled_caps_the_list_of_unknowns(tmp_path: Path, tiny: Codebook) -> None:
    rows = [(str(i), "text", f"nothing{i}") for i in range(25)]
    path = write_csv(tmp_path / "coded.csv", ["id", "comment", "codes"], rows)
    with pytest.raises(LabelError) as caught:
        read_labelled(path, tiny)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"25 unknown themes in {path} ")
    assert len(lines) == 1 + 20 + 1
    assert lines[1] == f"{path}:2: unknown theme 'nothing0'"
    assert lines[20] == f"{path}:21: unknown theme 'nothing19'"
    assert lines[-1] == "... and 5 more"


def test_read_labelled_joins_texts_from_comments_by_id(tmp_path: Path, tiny: Codebook) -> None:
    comments = write_csv(
        tmp_path / "comments.csv", ["id", "text"], [("1", "one"), ("2", "two"), ("3", "three")]
    )
    gold = write_csv(tmp_path / "gold.csv", ["id", "codes"], [("3", "cost"), ("1", "Time")])
    data = read_labelled(gold, tiny, comments=comments)
    assert (data.ids, data.texts, data.codes) == (
        ["3", "1"],
        ["three", "one"],
        [["cost"], ["time"]],
    )


def test_read_labelled_join_with_an_id_missing_from_comments(
    tmp_path: Path, tiny: Codebook
) -> None:
    comments = write_csv(tmp_path / "comments.csv", ["id", "text"], [("1", "one")])
    gold = write_csv(tmp_path / "gold.csv", ["id", "codes"], [("1", "cost"), ("9", "time")])
    with pytest.raises(InputError) as caught:
        read_labelled(gold, tiny, comments=comments)
    assert str(caught.value) == f"{gold}:3: id '9' is not in {comments}"


def test_read_labelled_join_needs_an_id_column(tmp_path: Path, tiny: Codebook) -> None:
    comments = write_csv(tmp_path / "comments.csv", ["text"], [("one",)])
    gold = write_csv(tmp_path / "gold.csv", ["id", "codes"], [("1", "cost")])
    with pytest.raises(InputError) as caught:
        read_labelled(gold, tiny, comments=comments)
    assert str(caught.value) == f"{comments} has no 'id' column to join the codes on"


def test_read_labelled_without_a_codes_column(tmp_path: Path, tiny: Codebook) -> None:
    path = write_csv(tmp_path / "coded.csv", ["id", "comment"], [("1", "a")])
    with pytest.raises(InputError) as caught:
        read_labelled(path, tiny)
    assert str(caught.value) == (
        f"no codes column 'codes' in {path}; the columns are: id, comment. Use --codes-column NAME"
    )


def test_read_labelled_with_no_rows(tmp_path: Path, tiny: Codebook) -> None:
    path = write_csv(tmp_path / "coded.csv", ["comment", "codes"], [])
    with pytest.raises(InputError) as caught:
        read_labelled(path, tiny)
    assert str(caught.value) == f"{path} has no coded comments"


def test_read_labelled_file_that_does_not_exist(tmp_path: Path, tiny: Codebook) -> None:
    with pytest.raises(InputError) as caught:
        read_labelled(tmp_path / "nope.csv", tiny)
    assert str(caught.value) == f"input file {tmp_path / 'nope.csv'} does not exist"


def test_read_labelled_from_jsonl(tmp_path: Path, tiny: Codebook) -> None:
    path = tmp_path / "coded.jsonl"
    path.write_text(
        json.dumps({"id": 7, "comment": "x", "codes": "time;cost"}) + "\n", encoding="utf-8"
    )
    data = read_labelled(path, tiny)
    assert (data.ids, data.texts, data.codes) == (["7"], ["x"], [["time", "cost"]])
