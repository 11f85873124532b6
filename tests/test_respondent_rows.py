"""`coder export --format respondents`: a row per respondent, each question's answer and codes
side by side, from a real project tagged with the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import read_csv, write_csv
from openpyxl import load_workbook
from projects import SURVEY

from coder.cli import cli
from coder.respondent_rows import part_names

THEMES = ["time", "cost", "box_ticking"]


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path, tiny_model: Path) -> Path:
    """Four respondents answer `comment`; r1 and r2 answer `q2` too (r3's is blank, r4 has no
    row), and r2's second answer is one a spreadsheet would run."""
    rows = [(ext, text, region, f"No budget, says {ext}.") for ext, text, region in SURVEY]
    rows[1] = (*rows[1][:3], "=HYPERLINK(1) no budget")
    survey = write_csv(tmp_path / "survey.csv", ["id", "comment", "region", "q2"], rows)
    db = tmp_path / "coding.db"
    assert (
        run("tag", survey, "-m", tiny_model, "--text-column", "comment", "--db", db).exit_code == 0
    )
    write_csv(survey, ["id", "comment", "region", "q2"], [*rows[:2], (*rows[2][:3], "  ")])
    assert run("tag", survey, "-m", tiny_model, "--text-column", "q2", "--db", db).exit_code == 0
    return db


def test_a_row_per_respondent_with_each_questions_answer_and_codes(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "people.csv"
    done = run("export", project, "--format", "respondents", "-o", out)
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines()[0] == (
        f"Wrote {out}: 4 respondents from 7 comments (respondents)"
    )
    rows = read_csv(out)
    assert list(rows[0]) == [
        "respondent",
        "region",
        *THEMES,
        "comment",
        *(f"comment:{t}" for t in THEMES),
        "q2",
        *(f"q2:{t}" for t in THEMES),
    ]
    cells = [[r["respondent"], r["region"], *(r[t] for t in THEMES)] for r in rows]
    assert cells == [
        ["r1", "North", "1", "1", "0"],  # time in the first answer, cost in the second
        ["r2", "South", "0", "1", "0"],
        ["r3", "East", "0", "0", "1"],
        ["r4", "West", "0", "0", "0"],
    ]
    assert [r["q2"] for r in rows] == [
        "No budget, says r1.",
        "'=HYPERLINK(1) no budget",  # a comment is data, never a formula
        "",
        "",
    ]
    assert [[r[f"q2:{t}"] for t in THEMES] for r in rows] == [
        ["0", "1", "0"],
        ["0", "1", "0"],
        ["", "", ""],  # r3's second answer is blank, and r4 gave none: missing, not 0
        ["", "", ""],
    ]
    assert [r["comment:time"] for r in rows] == ["1", "0", "0", "0"]


def test_with_one_question_a_respondent_who_left_it_blank_is_missing_throughout(
    project: Path,
) -> None:
    # The any-answer columns then describe that question alone: 0 would count r3 as having
    # answered with no theme (r4 has no row for q2, so no row here).
    done = run("export", project, "--format", "respondents", "--question", "q2", "-o", "-")
    assert done.exit_code == 0, done.output
    rows = [line.split(",") for line in done.stdout.splitlines()]
    flags = {row[0]: row[2:5] for row in rows[1:]}
    assert flags == {
        "r1": ["0", "1", "0"],
        "r2": ["0", "1", "0"],
        "r3": ["", "", ""],
    }


def test_the_workbook_holds_the_codes_as_numbers_and_the_answers_as_text(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "people.xlsx"
    assert run("export", project, "--format", "respondents", "-o", out).exit_code == 0
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    r2 = dict(zip(header, rows[2], strict=True))
    assert (r2["respondent"], r2["cost"], r2["q2:cost"]) == ("r2", 1, 1)
    assert r2["q2"] == "=HYPERLINK(1) no budget"
    assert sheet.cell(3, header.index("q2") + 1).data_type == "s"
    r4 = dict(zip(header, rows[4], strict=True))
    assert (r4["q2"], r4["q2:cost"]) == (None, None)


def test_questions_are_named_by_column_file_or_both_whichever_tells_them_apart() -> None:
    assert part_names([("s.csv", "good"), ("s.csv", "bad")]) == ["good", "bad"]
    assert part_names([("w1.csv", "comment"), ("w2.csv", "comment")]) == ["w1.csv", "w2.csv"]
    assert part_names([("w1.csv", "a"), ("w2.csv", "b")]) == ["w1.csv#a", "w2.csv#b"]
    assert part_names([("old.csv", "")]) == ["old.csv"]  # a comment from before questions


def test_a_column_of_coders_that_an_attribute_has_is_kept_apart(
    tmp_path: Path, tiny_model: Path
) -> None:
    survey = write_csv(
        tmp_path / "s.csv", ["id", "comment", "time", "respondent"], [("1", "No time.", "9", "x")]
    )
    db = tmp_path / "p.db"
    assert run("tag", survey, "-m", tiny_model, "--db", db).exit_code == 0
    done = run("export", db, "--format", "respondents", "-o", "-")
    header = done.stdout.splitlines()[0].split(",")
    assert header == [
        "coder_respondent",
        "time",
        "respondent",
        "coder_time",
        "cost",
        "box_ticking",
        "comment",
        "comment:time",
        "comment:cost",
        "comment:box_ticking",
    ]
