"""`coder export --format log`: the decision log as a table, every entry in order, undone
steps included, in a real project file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import read_csv, write_csv
from openpyxl import load_workbook
from projects import make_project

from coder.cli import cli
from coder.coding_import import import_coding
from coder.decision_log import LOG_COLUMNS
from coder.review import ReviewSession
from coder.store import Store

WHEN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["export", *(str(a) for a in args)])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """ana accepts a (time suggested), writes a formula as b's memo and undoes it, codes b with
    nothing; ben's sheet codes a with cost; cy adjudicates a."""
    db = tmp_path / "coding.db"
    with make_project(db) as store:
        review = ReviewSession(store, "ana", order="file")
        review.accept()
        review.memo("=1+1")
        review.undo()
        review.reject_all()
        sheet = write_csv(tmp_path / "ben.csv", ["id", "codes"], [("a", "cost")])
        import_coding(store, sheet, "ben")
        judge = ReviewSession(store, "cy", mode="adjudicate")
        assert judge.current().external_id == "a"
        judge.toggle("time")
        judge.accept()
    return db


# decision, step, reviewer, mode, session, imported_from, id, action, theme, label, memo,
# undoes, undone (every row: codebook "Tiny version 1", no question)
EXPECTED = """\
1,1,ana,review,1,,a,accept,time,Time,,,0
2,1,ana,review,1,,a,confirm,,,,,0
3,3,ana,review,1,,b,memo,,,'=1+1,,1
4,4,ana,review,1,,b,undo,,,,3,0
5,5,ana,review,1,,b,reject,cost,Cost,,,0
6,5,ana,review,1,,b,reject,box_ticking,Box-ticking,,,0
7,5,ana,review,1,,b,confirm,,,,,0
8,8,ben,import,2,ben.csv,a,reject,time,Time,,,0
9,8,ben,import,2,ben.csv,a,add,cost,Cost,,,0
10,8,ben,import,2,ben.csv,a,confirm,,,,,0
11,11,cy,adjudicate,3,,a,accept,time,Time,,,0
12,12,cy,adjudicate,3,,a,reject,cost,Cost,,,0
13,12,cy,adjudicate,3,,a,confirm,,,,,0
"""


def test_the_log_lists_every_entry_with_who_when_how_and_whether_undone(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "log.csv"
    result = run(project, "-o", out, "--format", "log")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {out}: 13 decisions (log)\n"
    rows = read_csv(out)
    assert list(rows[0]) == LOG_COLUMNS
    assert all(WHEN.match(row["decided_at"]) for row in rows)
    assert {(row["codebook"], row["question"]) for row in rows} == {("Tiny version 1", "")}
    fields = ("decision", "step", "reviewer", "mode", "session", "imported_from", "id")
    fields += ("action", "theme", "label", "memo", "undoes", "undone")
    assert [",".join(row[f] for f in fields) for row in rows] == EXPECTED.splitlines()


def test_the_log_as_a_workbook_keeps_numbers_and_a_memo_as_text(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "log.xlsx"
    assert run(project, "-o", out, "--format", "log").exit_code == 0
    sheet = load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    memo = [cell.value for cell in sheet[4]]
    assert memo[header.index("decision")] == 3 and memo[header.index("undone")] == 1
    assert memo[header.index("memo")] == "=1+1"  # text: Excel never runs it
    assert sheet.cell(4, header.index("memo") + 1).data_type == "s"


def test_the_log_names_the_question_and_keeps_to_one_with_question(
    tmp_path: Path, tiny_model: Path
) -> None:
    survey = write_csv(
        tmp_path / "survey.csv",
        ["id", "good", "improve"],
        [("r1", "Kind staff.", "No time at all."), ("r2", "Quick.", "No budget.")],
    )
    db = tmp_path / "coding.db"
    columns = ("--text-column", "good", "--text-column", "improve")
    tagged = CliRunner().invoke(
        cli, ["tag", str(survey), "-m", str(tiny_model), "--db", str(db), *columns]
    )
    assert tagged.exit_code == 0, tagged.output
    with Store(db) as store:
        review = ReviewSession(store, "ana", order="file")
        while review.current() is not None:
            review.reject_all()
    out = tmp_path / "log.csv"
    assert run(db, "-o", out, "--format", "log", "--question", "improve").exit_code == 0
    confirmed = [(r["id"], r["question"]) for r in read_csv(out) if r["action"] == "confirm"]
    assert confirmed == [("r1", "improve"), ("r2", "improve")]
    assert run(db, "-o", out, "--format", "log", "--force").exit_code == 0
    assert {r["question"] for r in read_csv(out)} == {"good", "improve"}


def test_the_log_holds_every_decision_so_reviewed_only_is_refused(
    project: Path, tmp_path: Path
) -> None:
    result = run(project, "-o", tmp_path / "log.csv", "--format", "log", "--reviewed-only")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --reviewed-only does not apply to log: it holds every decision made\n"
    )
