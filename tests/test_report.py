"""`coder report`: counts per theme, rolled up, by group; co-occurrence; quotes; HTML."""

from __future__ import annotations

import csv
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import add_run, result

from coder import coding
from coder.cli import cli
from coder.errors import InputError
from coder.group_tests import adjusted
from coder.report import Count, Report, build_report, groups_caption, segments
from coder.report_html import report_html
from coder.review import ReviewSession
from coder.store import NewComment, Store

SCRIPT = "<script>alert('x')</script> [bold]& no time"
# (file, respondent, comment, respondent_type, scores, suggested themes with their source)
SURVEY = [
    (
        "q1.csv",
        "r1",
        "No time, budget cut.",
        "workforce",
        {"time": 0.9, "cost": 0.7},
        ["time", "cost"],
    ),
    ("q1.csv", "r2", "Never enough time.", "workforce", {"time": 0.8}, ["time"]),
    (
        "q1.csv",
        "r3",
        "Ticking boxes again.",
        "lived experience",
        {"box_ticking": 0.3},
        ["box_ticking"],
    ),
    ("q1.csv", "r4", "Lovely staff.", "lived experience", {}, []),
    ("q1.csv", "r5", "Funding stopped.", "", {"cost": 0.6}, ["cost"]),
    ("q2.csv", "r1", SCRIPT, "workforce", {"time": 0.55}, ["time"]),
]


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["report", *(str(a) for a in args)])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Two questions from five respondents; ana accepted r2's time and rejected r3's
    box-ticking, so nothing is coded box-ticking."""
    db = tmp_path / "survey.db"
    with Store(db) as store:
        run_id = add_run(store)
        for line, (source, who, text, kind, scores, suggested) in enumerate(SURVEY, start=2):
            scores = {"time": 0.05, "cost": 0.05, "box_ticking": 0.05, **scores}
            sources = {t: "rule" if t == "box_ticking" else "model" for t in suggested}
            comment = NewComment(who, line, text, {"respondent_type": kind, "wave": "1"})
            store.import_batch(run_id, source, [(comment, result(text, scores, sources))], {})
        review = ReviewSession(store, "ana", order="file")
        review.next()
        review.accept()  # r2: time
        review.toggle("box_ticking")
        review.accept()  # r3: nothing
    return db


def report_of(db: Path, **options) -> Report:
    with Store(db) as store:
        return build_report(store, **options)


def figures(count: Count) -> tuple[int, int, float]:
    return count.n, count.total, round(count.pct, 1)


# --- the figures -------------------------------------------------------------------------------


def test_progress_is_told_as_the_codings_are_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coding, "PART", 4)
    told: list[tuple[int, int]] = []
    assert report_of(project, progress=lambda *a: told.append(a)).comments == 6
    assert told == [(4, 6), (6, 6)]


def test_comments_and_respondents_per_theme_rolled_up_the_hierarchy(project: Path) -> None:
    report = report_of(project)
    assert (report.comments, report.respondents) == (6, 5)
    assert [
        (row.theme.id, row.depth, figures(row.comments), figures(row.respondents))
        for row in report.themes
    ] == [
        ("barriers", 0, (4, 6, 66.7), (3, 5, 60.0)),
        ("time", 1, (3, 6, 50.0), (2, 5, 40.0)),
        ("cost", 1, (2, 6, 33.3), (2, 5, 40.0)),
        ("box_ticking", 0, (0, 6, 0.0), (0, 5, 0.0)),  # no coding: a zero, not an error
    ]
    # r3 (box-ticking rejected) and r4 (nothing suggested): what the codebook leaves uncovered.
    none = report.uncovered
    assert (figures(none.comments), figures(none.respondents), none.split) == (
        (2, 6, 33.3),
        (2, 5, 40.0),
        None,
    )
    assert report.basis == (
        "Coding used: reviewed coding where there is one (adjudicated, else agreed by its "
        "reviewers, else a single reviewer's), else the model's suggestions; 6 comments: "
        "2 reviewed, 4 suggested."
    )


def test_split_by_an_attribute_with_the_spread_between_groups(project: Path) -> None:
    report = report_of(project, by="respondent_type")
    assert [(g.name, g.comments, g.respondents) for g in report.groups] == [
        ("lived experience", 2, 2),
        ("workforce", 3, 2),
        ("(missing)", 1, 1),
    ]
    splits = {s.theme: s for s in report.splits}
    assert [figures(c) for c in splits["time"].comments] == [
        (0, 2, 0.0),
        (3, 3, 100.0),
        (0, 1, 0.0),
    ]
    assert [figures(c) for c in splits["time"].respondents] == [
        (0, 2, 0.0),
        (2, 2, 100.0),
        (0, 1, 0.0),
    ]
    # The groups with a value are compared; the comments without one are shown, not compared.
    cost = splits["cost"]
    assert [figures(c) for c in cost.comments] == [(0, 2, 0.0), (1, 3, 33.3), (1, 1, 100.0)]
    assert (round(cost.spread, 1), cost.highest, cost.lowest) == (
        33.3,
        "workforce",
        "lived experience",
    )
    assert (splits["box_ticking"].spread, [c.n for c in splits["box_ticking"].comments]) == (
        0.0,
        [0, 0, 0],
    )
    assert [s.theme for s in report.splits] == ["barriers", "time", "cost", "box_ticking"]
    none = report.uncovered.split
    assert [figures(c) for c in none.comments] == [(2, 2, 100.0), (0, 3, 0.0), (0, 1, 0.0)]
    assert (none.spread, none.highest) == (100.0, "lived experience")
    # r1 answered twice, so respondents are the units tested, across the groups with a value:
    # time is 0 of 2 and 2 of 2, as extreme as tables with these margins come (chance 2 in 6).
    tested = [*report.splits, none]
    assert [s.theme for s in tested if s.p is None] == ["box_ticking"]  # coded on none
    assert splits["time"].p == pytest.approx(1 / 3, abs=0.01)
    assert splits["time"].p == splits["barriers"].p == none.p
    assert splits["cost"].p == pytest.approx(1.0)  # 0 of 2 and 1 of 2 respondents
    assert [s.q for s in tested] == adjusted([s.p for s in tested])
    assert splits["time"].q == pytest.approx(splits["time"].p * 4 / 3)  # 4 tested, ranks 1-3


def answer_again(project: Path, who: str, text: str, codes: dict[str, float]) -> None:
    """`who` answers another question (q3.csv) as "workforce", coded `codes` by the model."""
    with Store(project) as store:
        comment = NewComment(who, 2, text, {"respondent_type": "workforce", "wave": "1"})
        done = result(text, codes, dict.fromkeys(codes, "model"))
        store.import_batch(store.latest_run().id, "q3.csv", [(comment, done)], {})


def test_the_same_respondents_in_each_group_make_the_test_a_paired_one(project: Path) -> None:
    # r3 and r4, "lived experience" in q1 with no theme, answer q3 as "workforce" with time:
    # half the respondents of the groups with a value are in both.
    answer_again(project, "r3", "No time.", {"time": 0.9})
    answer_again(project, "r4", "Too rushed.", {"time": 0.9})
    report = report_of(project, by="respondent_type")
    assert (report.paired, report.overlap) == (2, 0)
    # Time: both went from none to time; of the 4 ways to shuffle their two pairs between the
    # groups, 2 are as far apart. Cost and box-ticking: neither has them anywhere.
    tested = {s.theme: s.p for s in [*report.splits, report.uncovered.split]}
    assert tested["time"] == pytest.approx(0.5, abs=0.02)
    assert tested["cost"] is None and tested["box_ticking"] is None
    caption = groups_caption(report)
    assert "Some respondents are in several groups, so the groups are not independent" in caption
    assert "(Cochran's Q test, McNemar's for two groups, over the 2 respondents with" in caption
    one = report_of(project, by="wave")  # a single group: nothing to compare
    assert one.paired is None
    assert groups_caption(one).endswith(
        "p: no row could be tested (a test needs two groups with a value, and a theme coded on "
        "some comments but not all)."
    )


def test_a_few_ids_in_two_groups_leave_the_groups_independent(project: Path) -> None:
    # One id of four in both groups (two files' `r3`, say): a paired test over that one
    # respondent once gave p = 1.0 for every theme, leaving out everyone else.
    answer_again(project, "r3", "No time.", {"time": 0.9})
    report = report_of(project, by="respondent_type")
    assert (report.paired, report.overlap) == (None, 1)
    splits = {s.theme: s for s in report.splits}
    # Respondents are the units: time is 2 of 3 in workforce (r1, r2, r3), 0 of 2 otherwise.
    assert [figures(c) for c in splits["time"].respondents[:2]] == [(0, 2, 0.0), (3, 3, 100.0)]
    assert splits["time"].p == pytest.approx(0.1, abs=0.02)  # 1 table in 10 as extreme
    assert (
        " 1 respondent is in several groups (an id two files share?), counted in each; the "
        "groups are tested as independent samples." in groups_caption(report)
    )


def test_blank_answers_are_in_no_group(project: Path) -> None:
    # r2 and r4 leave q3 blank: not answers, so in no group's count, and r4 ("lived
    # experience" in q1) is not one of the respondents in several groups.
    answer_again(project, "r1", "No time.", {"time": 0.9})
    answer_again(project, "r2", "", {})
    answer_again(project, "r4", "  ", {})
    report = report_of(project, by="respondent_type")
    assert [(g.name, g.comments, g.respondents) for g in report.groups] == [
        ("lived experience", 2, 2),
        ("workforce", 4, 2),
        ("(missing)", 1, 1),
    ]
    assert (report.paired, report.overlap, report.uncovered.blank) == (None, 0, 2)
    assert " 2 blank comments (no answer) are in no group." in groups_caption(report)


def test_the_figures_go_to_a_table_for_a_spreadsheet(project: Path, tmp_path: Path) -> None:
    table = tmp_path / "by_type.csv"
    done = run(project, "--by", "respondent_type", "--table", table)
    assert done.exit_code == 0, done.output
    assert done.stderr == f"Wrote {table}\n"
    header, *rows = list(csv.reader(table.open(encoding="utf-8", newline="")))
    groups = [
        f"{group}: {what}"
        for group in ("lived experience", "workforce", "(missing)")
        for what in ("comments", "comments_pct", "respondents", "respondents_pct")
    ]
    assert header == [
        "theme", "label", "parent", "level", "codable",
        "comments", "comments_pct", "respondents", "respondents_pct",
        *groups, "spread_pp", "p", "p_adjusted", "highest", "lowest",
    ]  # fmt: skip
    report = report_of(project, by="respondent_type")
    time = report.splits[1]
    assert rows[1] == [
        "time", "Time", "barriers", "1", "1", "3", "50.0", "2", "40.0",
        "0", "0.0", "0", "0.0", "3", "100.0", "2", "100.0", "0", "0.0", "0", "0.0",
        "100.0", f"{time.p:.4g}", f"{time.q:.4g}", "workforce", "lived experience",
    ]  # fmt: skip
    box = rows[3]
    assert box[:5] == ["box_ticking", "Box-ticking", "", "0", "1"]
    assert box[-5:] == ["0.0", "", "", "", ""]  # coded on no comment: nothing to test
    assert rows[4][:9] == ["", "(no theme)", "", "", "", "2", "33.3", "2", "40.0"]
    assert len(rows) == 5


def test_without_groups_the_table_has_the_overall_figures(project: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    table = tmp_path / "themes.xlsx"
    assert run(project, "--table", table).exit_code == 0
    sheet = load_workbook(table).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][-1] == "respondents_pct"
    assert rows[1] == ["barriers", "Barriers", None, 0, 0, 4, 66.7, 3, 60.0]
    refused = run(project, "--excel")
    assert refused.stderr == "Error: --excel is for the --table file: add --table FILE.csv\n"


def test_a_table_or_html_on_stdout_comes_alone(project: Path) -> None:
    table = run(project, "--table", "-")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].startswith("theme,label,parent,") and len(lines) == 6  # 4 themes, no theme
    assert table.stderr == ""
    page = run(project, "--html", "-")
    assert page.stdout.startswith("<!DOCTYPE html>") and page.stdout.rstrip().endswith("</html>")
    both = run(project, "--html", "-", "--table", "-")
    assert both.stderr == "Error: one of --html and --table can go to stdout (-), not both\n"


def test_the_html_page_and_the_table_cannot_share_a_file(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    same = run(project, "--html", out, "--table", tmp_path / ".." / tmp_path.name / "report.csv")
    assert same.exit_code == 1
    assert (
        same.stderr == "Error: --html and --table name the same file; give each a file of its own\n"
    )
    assert not out.exists()


def test_a_column_of_too_many_groups_says_why_it_is_not_tested_nor_drawn(tmp_path: Path) -> None:
    # An id column given to --by: one group per comment.
    db = tmp_path / "many.db"
    with Store(db) as store:
        run_id = add_run(store)
        comments = [
            (NewComment(f"r{i}", i + 2, "No time.", {"ref": f"x{i}"}), result("No time.", {}, {}))
            for i in range(60)
        ]
        store.import_batch(run_id, "s.csv", comments, {})
    report = report_of(db, by="ref")
    assert groups_caption(report).endswith(
        "p: not tested: 60 groups, more than the 50 a test of groups is run for (is ref a "
        "column of groups?)."
    )
    shown = run(db, "--by", "ref")
    assert shown.exit_code == 0, shown.output
    assert (
        "Themes by ref: 60 groups, too many columns for a terminal; --table FILE or --html FILE "
        "writes them all" in " ".join(shown.stdout.split())
    )
    assert "x59" not in shown.stdout


def test_groups_sort_numbers_as_numbers() -> None:
    from coder.report import natural_key

    assert sorted(["10", "9", "Wave 2", "wave 10", "1"], key=natural_key) == [
        "1",
        "9",
        "10",
        "Wave 2",
        "wave 10",
    ]


def test_an_unknown_attribute_lists_the_ones_there_are(project: Path) -> None:
    with pytest.raises(InputError) as raised:
        report_of(project, by="respondent")
    assert str(raised.value) == (
        "no attribute 'respondent' (did you mean 'respondent_type'?); the comments have: "
        "respondent_type, wave"
    )


def test_themes_coded_together(project: Path) -> None:
    assert [(p.first, p.second, figures(p.comments)) for p in report_of(project).pairs] == [
        ("time", "cost", (1, 6, 16.7))
    ]


def test_quotes_reviewed_first_then_most_confident(project: Path) -> None:
    quotes = report_of(project, quotes=2).quotes
    assert [(q.id, q.status, q.score) for q in quotes["time"]] == [
        ("r2", "accepted", 0.8),
        ("r1", "suggested", 0.9),
    ]
    assert quotes["box_ticking"] == ()
    assert report_of(project, quotes=0).quotes == {}


def time_quotes(
    folder: Path, texts: list[str], scores: tuple[float, ...], limit: int
) -> list[tuple[str, str]]:
    """The quotes for `time` of comments read in this order, each suggested it with a score."""
    with Store(folder / "copies.db") as store:
        run_id = add_run(store)
        for line, (text, score) in enumerate(zip(texts, scores, strict=True), start=2):
            comment = NewComment(f"r{line}", line, text, {})
            found = result(text, {"time": score}, {"time": "model"})
            store.import_batch(run_id, "q.csv", [(comment, found)], {})
        return [(q.id, q.text) for q in build_report(store, quotes=limit).quotes["time"]]


def test_a_comment_repeated_with_other_case_or_punctuation_is_quoted_once(tmp_path: Path) -> None:
    texts = ["No time at all.", "no time - at all!!", "Never any time."]
    assert time_quotes(tmp_path, texts, (0.9, 0.8, 0.7), 2) == [
        ("r2", "No time at all."),
        ("r4", "Never any time."),
    ]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (2, [("r4", "no time - at all!!"), ("r3", "Never any time.")]),
        (1, [("r4", "no time - at all!!")]),
    ],
)
def test_a_copy_read_later_that_ranks_higher_takes_the_quotes_place(
    tmp_path: Path, limit: int, expected: list[tuple[str, str]]
) -> None:
    # The report keeps only each theme's best so far: a copy must replace the one kept (or
    # come back after it was pushed out) when it ranks higher.
    texts = ["No time at all.", "Never any time.", "no time - at all!!"]
    assert time_quotes(tmp_path, texts, (0.7, 0.8, 0.9), limit) == expected


def test_a_control_sequence_in_a_comment_is_printed_visibly_not_sent_to_the_terminal(
    tmp_path: Path,
) -> None:
    db = tmp_path / "escape.db"
    text = "No time \x1b[31mat all\x1b[0m\x1b]0;owned\x07 \u202eevil"  # a right-to-left override
    with Store(db) as store:
        comment = NewComment("r1", 2, text, {"region": "\x1b[2Jnorth"})
        found = result(text, {"time": 0.9}, {"time": "model"})
        store.import_batch(add_run(store), "q.csv", [(comment, found)], {})
    shown = run(db, "--by", "region")
    assert shown.exit_code == 0, shown.output
    assert "\x1b" not in shown.output
    assert "No time ␛[31mat all␛[0m␛]0;owned" in shown.stdout
    assert "\u202e" not in shown.output and "\ufffdevil" in shown.stdout
    assert "␛[2Jnorth" in shown.stdout


def test_a_quote_marks_its_evidence_and_is_cut_when_long(project: Path) -> None:
    first = report_of(project).quotes["time"][0]
    assert segments(first) == [("Never", True), (" enough time.", False)]
    cut = segments(first, limit=8)
    assert cut == [("Never", True), (" en", False), ("…", False)]


def test_a_project_read_a_few_comments_at_a_time_gives_the_same_report(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = report_of(project, by="respondent_type")
    monkeypatch.setattr(coding, "PART", 4)  # parts of 4 and 2 comments
    assert report_of(project, by="respondent_type") == whole
    assert [q.id for q in whole.quotes["time"]] == ["r2", "r1", "r1"]


def test_blank_comments_in_the_no_theme_row_are_named_in_its_caption(project: Path) -> None:
    with Store(project) as store:
        blank = NewComment("r6", 9, "   ", {"respondent_type": "workforce"})
        store.import_batch(store.latest_run().id, "q1.csv", [(blank, result("   ", {}, {}))], {})
    report = report_of(project)
    assert (report.uncovered.comments.n, report.uncovered.blank) == (3, 1)
    assert report.uncovered.caption == " (no theme) includes 1 blank comment."
    assert "(no theme) includes 1 blank comment.</p>" in report_html(report)
    assert "under it. (no theme) includes 1 blank comment." in run(project).stdout
    assert report_of(project, reviewed_only=True).uncovered.caption == ""


def test_reviewed_only_counts_the_reviewed_comments(project: Path) -> None:
    report = report_of(project, reviewed_only=True)
    assert (report.comments, report.respondents) == (2, 2)
    assert [(row.theme.id, row.comments.n) for row in report.themes] == [
        ("barriers", 1),
        ("time", 1),
        ("cost", 0),
        ("box_ticking", 0),
    ]
    assert figures(report.uncovered.comments) == (1, 2, 50.0)  # r3
    assert report.basis.startswith("Coding used: reviewed comments only")


# --- the terminal ------------------------------------------------------------------------------


def test_report_in_the_terminal(project: Path) -> None:
    done = run(project, "--by", "respondent_type")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == f"{project}: 6 comments from 5 respondents; codebook 'Tiny' version 1"
    assert lines[1].startswith("Coding used: reviewed coding where there is one")
    row = next(line for line in lines if "  Time" in line and "█" in line)
    assert [cell.strip() for cell in row.split("│")[1:3]] == ["Time", "3"]
    assert "██████████ " in row  # 50% of a 20-cell bar
    split = next(line for line in lines if "Box-ticking" in line and "pp" in line)
    assert split.count("0% (0)") == 3
    # r1 answered twice as workforce: below each share of comments, the share of respondents.
    time = next(i for i, line in enumerate(lines) if "  Time" in line and "pp" in line)
    assert [cells(line) for line in lines[time : time + 2]] == [
        ["Time", "0% (0)", "100% (3)", "0% (0)", "100 pp", "0.441"],
        ["", "0% (0)", "100% (2)", "0% (0)", "highest: workforce", ""],
    ]
    none = [cells(line) for line in lines if line.startswith("│ (no theme)")]
    assert none[0][:3] + none[0][4:] == ["(no theme)", "2", "33%", "2", "40%"]
    assert none[1] == ["(no theme)", "100% (2)", "0% (0)", "0% (0)", "100 pp", "0.441"]
    header = "".join(lines[lines.index("Themes by respondent_type") : time])
    assert "(n=3," in header and "2 respondents)" in header
    assert "Percent of each group's comments; below, of its respondents; spread:" in done.stdout
    quotes = lines[lines.index("Quotes: Time") + 1 :][:4]
    assert quotes == [
        "  “Never enough time.”  (r2, accepted, score 0.80)",
        "  “No time, budget cut.”  (r1, suggested, score 0.90)",
        f"  “{SCRIPT}”  (r1, suggested, score 0.55)",  # as written, never read as markup
        "Quotes: Cost",
    ]


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_by_group_respondents_are_shown_only_where_one_gave_several_comments(
    project: Path,
) -> None:
    done = run(project, "--by", "respondent_type", "--reviewed-only")  # r2 and r3: one each
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    time = next(i for i, line in enumerate(lines) if "  Time" in line and "pp" in line)
    assert cells(lines[time]) == ["Time", "0% (0)", "100% (1)", "100 pp", "1.000"]
    assert cells(lines[time + 1]) == ["", "", "", "highest: workforce", ""]
    groups = "".join(lines[lines.index("Themes by respondent_type") : lines.index("Quotes: Time")])
    assert "(n=1)" in groups and "respondents" not in groups


def test_unknown_attribute_on_the_command_line_writes_no_html(
    project: Path, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    done = run(project, "--by", "region", "--html", page)
    assert done.exit_code == 1
    assert done.stderr == (
        "Error: no attribute 'region'; the comments have: respondent_type, wave\n"
    )
    assert not page.exists()


def test_an_existing_html_file_is_refused_unless_force(project: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("mine", encoding="utf-8")
    done = run(project, "--html", page)
    assert (done.exit_code, done.stderr) == (
        1,
        f"Error: {page} already exists; use --force to overwrite it\n",
    )
    assert page.read_text(encoding="utf-8") == "mine"
    assert run(project, "--html", page, "--force").exit_code == 0
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_an_empty_project(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    Store(db).close()
    done = run(db)
    assert (done.exit_code, done.stderr) == (
        1,
        f"Error: project {db} has no comments yet; import some with `coder tag INPUT --db {db}`\n",
    )


# --- HTML --------------------------------------------------------------------------------------


def test_html_is_self_contained_and_escapes_every_text(project: Path) -> None:
    page = report_html(report_of(project, by="respondent_type"))
    escaped = "<mark>&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</mark> [bold]&amp; no time"
    assert escaped in page
    lowered = page.casefold()
    for external in ("<script", "http:", "https:", "src=", "<link", "@import", "url("):
        assert external not in lowered
    assert page.count("<h2>") == 4  # themes, by group, together, quotes
    assert '<td>100% (3)<br><span class="people">100% (2)</span></td>' in page  # time, workforce
    assert "<mark>Never</mark> enough time." in page
    assert "width:50.0%;background:#1f77b4" in page  # time's bar, in its codebook colour
    assert '<td class="none">(no theme)</td><td>2</td><td>33%</td>' in page
    assert '<td class="none">(no theme)</td><td>100% (2)<br>' in page
    assert "<td>100 pp (highest: workforce)</td><td>0.441</td>" in page  # time's adjusted p
    assert "adjusted for the 4 rows tested (Benjamini-Hochberg)" in page


def chromium() -> str | None:
    return next(
        (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))),
        None,
    )


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit PNG, unfiltered."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8 : pos + 8 + size]
        pos += 12 + size
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8 and color in (2, 6)
    step = 3 if color == 2 else 4
    raw, stride = zlib.decompress(chunks[b"IDAT"]), width * step
    rows: list[bytes] = []
    prior = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = prior[i], prior[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                near = min(
                    (abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner)
                )
                line[i] = (line[i] + near[2]) & 255  # Paeth: ties go to left, up, corner
        prior = bytes(line)
        rows.append(prior)
    return width, height, rows


@pytest.mark.skipif(
    chromium() is None,
    reason="no chromium binary found: install Debian's chromium (apt-get install chromium) to "
    "check the HTML report in a real browser",
)
def test_html_report_renders_in_a_headless_browser(project: Path, tmp_path: Path) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "shot.png"
    assert run(project, "--by", "respondent_type", "--html", page).exit_code == 0
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,1200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1200)
    step = len(rows[0]) // width
    pixels = [row[i : i + 3] for row in rows for i in range(0, len(row), step)]
    inked = sum(p != b"\xff\xff\xff" for p in pixels)
    assert inked > 0.02 * len(pixels)  # text, tables and bars, not a blank page
    assert any(p == bytes((0x1F, 0x77, 0xB4)) for p in pixels)  # time's bar is drawn


def test_questions_are_compared_within_respondents_however_few_answered_both() -> None:
    # 1 of 4 respondents answered the follow-up question: an attribute shared by so few would
    # be chance (two files' ids), but the questions' respondents are the same people.
    from coder.report import _by_group

    groups = ["q1", "q1", "q1", "q1", "q2"]
    people = ["a", "b", "c", "d", "a"]
    coded = [frozenset({"time"}), frozenset(), frozenset(), frozenset({"time"}), frozenset()]
    _, _, by_attribute = _by_group(groups, (), coded, people)
    _, _, by_question = _by_group(groups, (), coded, people, paired_by_design=True)
    assert (by_attribute.paired, by_attribute.overlap) == (None, 1)
    assert (by_question.paired, by_question.overlap) == (1, 0)


def test_by_question_on_a_project_of_one_question_says_so(project: Path) -> None:
    with pytest.raises(InputError) as caught:
        report_of(project, by="question")
    assert str(caught.value) == (
        "the comments in this project answer a single question (text column), so there is "
        "nothing to compare by question; tag another question's column into it (`coder tag "
        "FILE --text-column NAME --db PROJECT`) to compare them"
    )
