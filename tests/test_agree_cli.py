"""`coder agree` on real projects: the figures equal `coder.agreement` on the same codings, the
model and the rules as coders, the comments coders differ on, adjudication, and every error."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import write_csv
from projects import ROWS, THEMES, Row, ids_by_external, make_project

from coder.agree import comment_names, project_codings
from coder.agreement import agreement, disagreements
from coder.cli import cli
from coder.errors import InputError
from coder.review import ReviewSession
from coder.store import CommentRef, Store

# What each reviewer codes, blind, on the comments a-d of `projects.ROWS`.
ANA = {"a": {"time"}, "b": {"cost", "box_ticking"}, "c": set(), "d": {"time", "cost"}}
BEN = {"a": {"time"}, "b": {"cost"}, "c": set(), "d": {"time"}}
CY = {"a": {"time"}, "b": {"box_ticking"}}
# The latest run's suggestions (see projects.ROWS and THRESHOLDS): b's box-ticking came from a
# trusted rule though its probability (0.3) stayed under the threshold (0.6).
MODEL = {"a": {"time"}, "b": {"cost"}, "c": set(), "d": {"time", "cost"}}
RULES = {"a": set(), "b": {"box_ticking"}, "c": set(), "d": set()}
CODERS = {"ana": ANA, "ben": BEN}
ANA_BEN_C = {"a": {"time"}, "c": set()}  # a second coder the same as the first, no cost


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def code(store: Store, reviewer: str, codes: dict[str, set[str]]) -> None:
    """`reviewer` codes the named comments exactly as given, in a blind session."""
    ids = ids_by_external(store)
    session = ReviewSession(store, reviewer, order="file", mode="blind")
    for comment, themes in codes.items():
        session.go_to(ids[comment])
        for theme in sorted(themes):
            session.toggle(theme)
        session.accept()


def project_with(path: Path, rows: list[Row] = ROWS, **coders: dict[str, set[str]]) -> Path:
    with make_project(path, rows) as store:
        for name, codes in coders.items():
            code(store, name, codes)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return project_with(tmp_path / "p.db", **CODERS)


def cells(table: str) -> dict[str, list[str]]:
    """A printed table's body rows: first cell -> the other cells, stripped."""
    rows = ([c.strip() for c in line.split("│")[1:-1]] for line in table.splitlines())
    return {row[0]: row[1:] for row in rows if row}


def agree_json(*args: object) -> dict:
    result = run("agree", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the figures -------------------------------------------------------------------------------


def test_agree_reports_what_coder_agreement_computes_on_the_same_codings(project: Path) -> None:
    expected = agreement(CODERS, THEMES, ["ana", "ben"]).to_dict()
    assert agree_json(project) == expected  # default: every reviewer
    assert expected["n"] == 4
    assert expected["themes"]["cost"]["cohen_kappa"] == 0.5
    assert expected["themes"]["time"]["band"] == "reliable"


def test_the_table_shows_each_theme_with_its_band_and_the_masi_alpha(project: Path) -> None:
    result = run("agree", project)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Agreement: ana, ben"
    rows = cells(result.stdout)
    assert rows["Time"] == ["100%", "1.00", "1.00", "1.00", "1.00", "reliable"]
    assert rows["Cost"] == ["75%", "0.50", "0.47", "0.53", "0.53", "revise the definition"]
    assert rows["mean of the themes used"] == ["83%", "0.50", "0.44", "0.51", "0.74", ""]
    assert lines[-1] == (
        "4 comments coded by every coder, 50% with the same themes; MASI alpha over the sets of "
        "themes: 0.58 (revise the definition)"
    )


def test_the_model_and_the_rules_count_as_coders(project: Path) -> None:
    assert agree_json(project, "--coders", "ana,model") == (
        agreement({"ana": ANA, "model": MODEL}, THEMES, ["ana", "model"]).to_dict()
    )
    three = agree_json(project, "--coders", "ana, ben ,rules")
    assert three == agreement({"ana": ANA, "ben": BEN, "rules": RULES}, THEMES).to_dict()
    assert three["themes"]["cost"]["cohen_kappa"] is None  # three coders: Fleiss, not Cohen
    with Store(project) as store:
        found = project_codings(store, ["model", "rules"])
    assert found.codings == {"model": MODEL, "rules": RULES}


def test_only_comments_every_named_coder_coded_are_compared(tmp_path: Path) -> None:
    path = project_with(tmp_path / "p.db", ana=ANA, ben=BEN, cy=CY)
    result = agree_json(path, "--coders", "ana,cy")
    assert result == agreement({"ana": ANA, "cy": CY}, THEMES, ["ana", "cy"]).to_dict()
    assert result["n"] == 2
    assert agree_json(path)["coders"] == ["ana", "ben", "cy"]


def test_one_theme_alone(project: Path) -> None:
    on_cost = {"ana": {c: t & {"cost"} for c, t in ANA.items()}}
    on_cost["ben"] = {c: t & {"cost"} for c, t in BEN.items()}
    result = agree_json(project, "--theme", "cost")
    assert result == agreement(on_cost, ["cost"]).to_dict()
    assert list(result["themes"]) == ["cost"]
    assert result["masi_alpha"] == result["themes"]["cost"]["alpha"]


# --- disagreements and adjudication ------------------------------------------------------------


def test_no_disagreement_is_said_in_words_not_an_empty_table(project: Path) -> None:
    # ana and ben differ on cost and box-ticking only
    none = run("agree", project, "--disagreements", "time")
    assert none.exit_code == 0, none.output
    assert (
        none.stdout
        == "No comment coded differently on Time: ana and ben agree on every one they all coded.\n"
    )


def test_disagreements_list_each_coders_themes_with_the_comment_text(project: Path) -> None:
    listed = agree_json(project, "--disagreements")
    expected = disagreements(CODERS, THEMES)
    assert [(d["comment"], d["codes"]) for d in listed["disagreements"]] == [
        (d.comment, {name: list(codes) for name, codes in d.codes.items()}) for d in expected
    ]
    with Store(project) as store:
        ids = ids_by_external(store)
    assert listed == {
        "coders": ["ana", "ben"],
        "theme": None,
        "disagreements": [
            {
                "comment": "b",
                "codes": {"ana": ["cost", "box_ticking"], "ben": ["cost"]},
                "id": ids["b"],
                "text": "Budget cut, tick box.",
                "adjudicated": None,
            },
            {
                "comment": "d",
                "codes": {"ana": ["time", "cost"], "ben": ["time"]},
                "id": ids["d"],
                "text": "Busy rota, no funding.",
                "adjudicated": None,
            },
        ],
    }
    on_box = agree_json(project, "--disagreements", "box_ticking")
    assert [d["comment"] for d in on_box["disagreements"]] == ["b"]
    assert on_box["theme"] == "box_ticking"
    assert agree_json(project, "--coders", "ben,model", "--disagreements", "cost")[
        "disagreements"
    ] == [
        {
            "comment": "d",
            "codes": {"ben": ["time"], "model": ["time", "cost"]},
            "id": ids["d"],
            "text": "Busy rota, no funding.",
            "adjudicated": None,
        }
    ]


def test_comment_text_is_printed_as_written_never_as_markup(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("x", "[bold red]Fine[/bold red] until the [link=http://x]budget[/link] went", {}, {}),
        ("y", "Nothing to add.", {}, {}),
    ]
    ana, ben = {"x": {"cost"}, "y": set()}, {"x": set(), "y": set()}
    path = project_with(tmp_path / "p.db", rows, ana=ana, ben=ben)
    result = run("agree", path, "--disagreements")
    assert result.exit_code == 0, result.output
    assert cells(result.stdout) == {"x": [rows[0][1], "Cost", "—"]}
    assert result.stderr == (
        f"0 of them adjudicated; `coder review {path} --adjudicate --reviewer NAME` walks the "
        "comments coders differ on\n"
    )


def test_an_adjudication_is_recorded_and_listed(project: Path) -> None:
    with Store(project) as store:
        ids = ids_by_external(store)
        judge = ReviewSession(store, "dee", order="file", mode="adjudicate")
        assert judge.ids == [ids["b"], ids["d"]]
        view = judge.current()
        assert view.coders == {"ana": ("box_ticking", "cost"), "ben": ("cost",)}
        judge.toggle("box_ticking")  # ana's choice wins
        judge.accept()
        assert store.adjudicated() == {ids["b"]: {"cost", "box_ticking"}}
        by_id = {name: {ids[c]: t for c, t in codes.items()} for name, codes in CODERS.items()}
        assert store.codings() == by_id  # the coders' codings are untouched
    listed = agree_json(project, "--disagreements")["disagreements"]
    assert [(d["comment"], d["adjudicated"]) for d in listed] == [
        ("b", ["cost", "box_ticking"]),
        ("d", None),
    ]
    assert agree_json(project)["coders"] == ["ana", "ben"]  # an adjudicator is no coder
    text = run("agree", project, "--disagreements")
    assert text.stderr.startswith("1 of them adjudicated;")


def test_a_second_adjudicator_sees_and_can_change_the_first_ones_adjudication(
    project: Path,
) -> None:
    with Store(project) as store:
        ids = ids_by_external(store)
        cy = ReviewSession(store, "cy", order="file", mode="adjudicate")
        cy.add("time")  # on b: a theme neither coder chose
        cy.accept()
        assert store.adjudicated() == {ids["b"]: {"cost", "time"}}
        dee = ReviewSession(store, "dee", order="file", mode="adjudicate")
        assert dee.current().id == ids["d"]  # b is settled: dee starts on the one left
        view = dee.go_to(ids["b"])
        assert {row.theme for row in view.themes if row.on} == {"cost", "time"}
        dee.toggle("time")
        dee.accept()
        assert store.adjudicated() == {ids["b"]: {"cost"}}


def test_comments_are_named_by_their_source_only_where_two_files_share_an_id() -> None:
    refs = [CommentRef(1, "a.csv", "1"), CommentRef(2, "b.csv", "1"), CommentRef(3, "b.csv", "2")]
    assert comment_names(refs) == {1: "a.csv:1", 2: "b.csv:1", 3: "2"}


# --- a discussion sheet, settled and imported as adjudication ----------------------------------


def sheet_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def settle(sheet: Path, final: dict[str, str]) -> Path:
    """The sheet with its codes column filled in as a meeting would, row by row."""
    header, *rows = sheet_rows(sheet)
    rows = [[*row[:-1], final.get(row[0], row[-1])] for row in rows]
    return write_csv(sheet, header, [tuple(row) for row in rows])


def test_disagreements_go_out_as_a_sheet_and_come_back_as_an_adjudication(
    project: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "disagreements.csv"
    wrote = run("agree", project, "--disagreements", "-o", sheet)
    assert wrote.exit_code == 0, wrote.output
    assert sheet_rows(sheet) == [
        ["id", "text", "coded by ana", "coded by ben", "agreed", "codes"],
        ["b", "Budget cut, tick box.", "cost;box_ticking", "cost", "cost", ""],
        ["d", "Busy rota, no funding.", "time;cost", "time", "time", ""],
    ]
    assert wrote.stderr == (
        f"Wrote 2 comments the coders differ on to {sheet} (0 adjudicated already). Fill in its "
        "codes column (theme ids or labels, ; between; none where no theme applies; leave a row "
        f"empty to settle it later), then: coder import {project} {sheet} --adjudicate "
        "--reviewer NAME\n"
    )
    settle(sheet, {"b": "Cost; Box-ticking", "d": "None"})
    imported = run("import", project, sheet, "--adjudicate", "--reviewer", "cy")
    assert imported.exit_code == 0, imported.output
    assert imported.stderr.endswith(
        "Recorded as cy's adjudication, one step; to take it back: "
        f"coder import {project} --undo --adjudicate --reviewer cy\n"
    )
    with Store(project) as store:
        ids = ids_by_external(store)
        assert store.adjudicated() == {ids["b"]: {"cost", "box_ticking"}, ids["d"]: set()}
        coders = {name: {ids[c]: t for c, t in codes.items()} for name, codes in CODERS.items()}
        assert store.codings() == coders  # the coders' own coding is untouched
        assert store.reviewed_codes()[1] == 0  # no dispute left for training
        [record] = store.imports()
    assert (record.reviewer, record.adjudication, record.comments) == ("cy", True, 2)
    assert agree_json(project)["coders"] == ["ana", "ben"]  # an adjudicator is no coder
    listed = agree_json(project, "--disagreements")["disagreements"]
    assert [(d["comment"], d["adjudicated"]) for d in listed] == [
        ("b", ["cost", "box_ticking"]),
        ("d", []),
    ]
    # written again, the sheet holds the adjudication, and importing it changes nothing
    again = run("agree", project, "--disagreements", "-o", sheet, "--force")
    assert [row[-1] for row in sheet_rows(sheet)] == ["codes", "cost;box_ticking", "none"]
    assert "(2 adjudicated already)" in again.stderr
    same = run("import", project, sheet, "--adjudicate", "--reviewer", "cy")
    assert same.stderr.endswith("Nothing to change: the project already has this adjudication.\n")
    undone = run("import", project, "--undo", "--adjudicate", "--reviewer", "cy")
    assert undone.stderr == f"Took back the adjudication of {sheet.name} by cy (2 comments).\n"
    with Store(project) as store:
        assert store.adjudicated() == {}


def test_a_sheet_with_nothing_to_settle_says_so(project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "time.csv"
    wrote = run("agree", project, "--disagreements", "time", "-o", sheet)
    assert wrote.exit_code == 0, wrote.output
    assert sheet_rows(sheet) == [["id", "text", "coded by ana", "coded by ben", "agreed", "codes"]]
    assert wrote.stderr == (
        f"The coders agree on time on every comment they all coded: nothing to settle ({sheet} "
        "has the header alone).\n"
    )
    on_box = tmp_path / "box.csv"
    run("agree", project, "--disagreements", "box_ticking", "-o", on_box)
    assert [row[0] for row in sheet_rows(on_box)] == ["id", "b"]


def test_the_figures_go_to_a_table(project: Path, tmp_path: Path) -> None:
    table = tmp_path / "agreement.csv"
    wrote = run("agree", project, "-o", table)
    assert wrote.exit_code == 0, wrote.output
    assert wrote.stderr == f"Wrote {table}: agreement on 3 themes, the mean and the MASI\n"
    assert "Agreement: ana, ben" in wrote.stdout  # the table on screen too
    found = agree_json(project)
    header, *rows = sheet_rows(table)
    assert header == [
        "theme", "label", "comments", "ana: coded", "ben: coded", "percent_agreement",
        "cohen_kappa", "fleiss_kappa", "alpha", "ac1", "band", "note",
    ]  # fmt: skip
    time, cost, box, mean, sets = rows
    figures = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "alpha", "ac1")
    for row, theme in ((time, "time"), (cost, "cost"), (box, "box_ticking")):
        expected = found["themes"][theme]
        assert row[0] == theme and row[2:5] == ["4", *map(str, expected["counts"].values())]
        assert [float(x) for x in row[5:10]] == [expected[name] for name in figures]
        assert row[10:] == [expected["band"], expected["note"] or ""]
    assert box[1] == "Box-ticking"
    assert mean[:2] == ["", "(mean of the themes used)"]
    assert [float(x) for x in mean[5:10]] == [found["mean"][name] for name in figures]
    assert sets[1:3] == ["(sets of themes, MASI)", "4"]
    assert (float(sets[5]), float(sets[8]), sets[10]) == (
        found["exact_agreement"],
        found["masi_alpha"],
        found["masi_band"],
    )


def test_an_undefined_figure_is_an_empty_cell_with_its_note(tmp_path: Path) -> None:
    path = project_with(tmp_path / "p.db", ana={"a": {"time"}, "c": set()}, ben=ANA_BEN_C)
    table = tmp_path / "agreement.csv"
    assert run("agree", path, "-o", table).exit_code == 0
    cost = next(row for row in sheet_rows(table) if row[0] == "cost")
    note = agree_json(path)["themes"]["cost"]["note"]
    assert note and cost[5:] == ["1.0", "", "", "", "1.0", "", note]


def test_the_sheet_can_be_a_workbook(project: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = tmp_path / "d.xlsx"
    assert run("agree", project, "--disagreements", "-o", sheet).exit_code == 0
    book = load_workbook(sheet)
    rows = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert rows[1] == ["b", "Budget cut, tick box.", "cost;box_ticking", "cost", "cost", None]
    book.worksheets[0]["F2"] = "cost"
    book.save(sheet)
    imported = run("import", project, sheet, "--adjudicate", "--reviewer", "cy")
    assert imported.exit_code == 0, imported.output
    with Store(project) as store:
        assert store.adjudicated() == {ids_by_external(store)["b"]: {"cost"}}


def test_the_sheet_can_go_to_stdout(project: Path) -> None:
    piped = run("agree", project, "--disagreements", "-o", "-")
    assert piped.exit_code == 0, piped.output
    assert piped.stdout.splitlines()[1] == 'b,"Budget cut, tick box.",cost;box_ticking,cost,cost,'
    assert piped.stderr == ""


def test_rows_left_empty_are_settled_later(project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "d.csv"
    run("agree", project, "--disagreements", "-o", sheet)
    settle(sheet, {"d": "time"})
    imported = run("import", project, sheet, "--adjudicate", "--reviewer", "cy")
    # not --blank-is-none, which would settle every row the meeting has not reached as "none"
    assert imported.stderr.startswith(
        "Note: left out 1 row with no codes, as not settled yet; write none where no theme "
        "applies\n"
    )
    with Store(project) as store:
        assert store.adjudicated() == {ids_by_external(store)["d"]: {"time"}}


def test_a_sheet_with_no_codes_filled_in_is_refused_not_reported_as_nothing_to_change(
    project: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "d.csv"
    run("agree", project, "--disagreements", "-o", sheet)
    imported = run("import", project, sheet, "--adjudicate", "--reviewer", "cy")
    assert imported.exit_code == 1
    assert imported.stderr == (
        f"Error: {sheet}: every codes cell is empty (2 rows), so there is nothing to "
        "adjudicate: fill in the codes column (theme ids or labels, ; between; none where no "
        "theme applies), then import it again\n"
    )
    blank = write_csv(tmp_path / "ana.csv", ["id", "codes"], [("b", ""), ("d", " ")])
    coding = run("import", project, blank, "--reviewer", "ana")
    assert coding.exit_code == 1
    assert coding.stderr == (
        f"Error: {blank}: no row has codes (2 rows with none), so there is nothing to import: "
        "is the codes column the right one (--codes-column)? Give --blank-is-none if they were "
        "coded with no theme\n"
    )
    with Store(project) as store:
        assert store.adjudicated() == {}
        assert store.imports() == []


def test_an_imported_adjudication_replaces_another_adjudicators(
    project: Path, tmp_path: Path
) -> None:
    with Store(project) as store:
        ids = ids_by_external(store)
        judge = ReviewSession(store, "dee", order="file", mode="adjudicate")
        judge.toggle("box_ticking")  # on b: cost and box-ticking
        judge.accept()
    sheet = write_csv(tmp_path / "final.csv", ["id", "codes"], [("b", "cost")])
    run("import", project, sheet, "--adjudicate", "--reviewer", "cy")
    with Store(project) as store:
        assert store.adjudicated() == {ids["b"]: {"cost"}}
        judge = ReviewSession(store, "cy", order="file", mode="adjudicate")
        with pytest.raises(InputError) as caught:
            judge.undo()
    assert str(caught.value) == (
        "Your last step before this is the import of final.csv (1 comment); take it back "
        f"with: coder import {project} --undo --adjudicate --reviewer cy"
    )


def test_the_sheet_keeps_formulas_as_text_and_still_comes_back(tmp_path: Path) -> None:
    rows: list[Row] = [
        ("+7", '=HYPERLINK("http://x") they said', {}, {}),
        ("y", "Nothing to add.", {}, {}),
    ]
    path = project_with(tmp_path / "p.db", rows, ana={"+7": {"cost"}}, ben={"+7": set()})
    sheet = tmp_path / "d.csv"
    run("agree", path, "--disagreements", "-o", sheet)
    formula = '\'=HYPERLINK("http://x") they said'
    assert sheet_rows(sheet)[1] == ["'+7", formula, "cost", "", "", ""]
    settle(sheet, {"'+7": "cost"})
    imported = run("import", path, sheet, "--adjudicate", "--reviewer", "cy")
    assert imported.exit_code == 0, imported.output
    with Store(path) as store:
        assert store.adjudicated() == {ids_by_external(store)["+7"]: {"cost"}}


# --- errors ------------------------------------------------------------------------------------

HAVE = (
    "the reviewers who have coded comments are: ana, ben; model and rules name the latest "
    "run's suggestions"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--coders", "ana,zed,yu"], f"unknown coder 'zed', 'yu': {HAVE}"),
        (["--coders", "ana"], f"agreement needs at least two coders, got 1: {HAVE}"),
        (["--coders", "ana,ana"], f"agreement needs at least two coders, got 1: {HAVE}"),
        (["--theme", "weather"], "unknown theme 'weather': use one of time, cost, box_ticking"),
        (
            ["--disagreements", "weather"],
            "unknown theme 'weather': use one of time, cost, box_ticking",
        ),
        (
            ["--theme", "cost", "--disagreements", "time"],
            "give one theme: --theme cost or --disagreements time",
        ),
        (["--excel"], "--excel and --force are for the file of -o FILE"),
        (
            ["--disagreements", "-o", "x.csv", "--json"],
            "choose -o FILE or --json, not both",
        ),
    ],
)
def test_errors_say_what_exists(project: Path, args: list[str], message: str) -> None:
    result = run("agree", project, *args)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""


def test_a_single_reviewer_is_told_how_to_get_a_second_coder(tmp_path: Path) -> None:
    path = project_with(tmp_path / "p.db", ana=ANA)
    result = run("agree", path)
    assert result.stderr == (
        "Error: agreement needs at least two coders, and the reviewers who have coded comments "
        "are: ana; model and rules name the latest run's suggestions. Have another reviewer "
        "code the same comments (`coder sample`), or name the coders to compare, e.g. "
        "--coders ana,model\n"
    )


def test_coders_who_share_no_comment_cannot_be_compared(tmp_path: Path) -> None:
    path = project_with(tmp_path / "p.db", ana={"a": {"time"}}, ben={"b": set()})
    for args in ([], ["--disagreements"]):
        result = run("agree", path, *args)
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: no comment was coded by all of ana, ben: have each of them code the same "
            "sample of comments\n"
        )


def test_a_missing_project_is_not_created(tmp_path: Path) -> None:
    result = run("agree", tmp_path / "none.db")
    assert result.stderr == (
        f"Error: project {tmp_path / 'none.db'} does not exist; create it with "
        f"`coder tag INPUT --db {tmp_path / 'none.db'}`\n"
    )
    assert not (tmp_path / "none.db").exists()


def test_blank_comments_are_left_out_of_agreement(tmp_path: Path) -> None:
    # Two coders agreeing that an empty answer has no theme would lift agreement for nothing.
    from coder.coding_import import import_coding
    from coder.external import TableColumns
    from coder.store import Store

    db = tmp_path / "p.db"
    rows = [("a", "No time.", {}, {}), ("b", "Cost.", {}, {}), ("c", " ", {}, {})]
    make_project(db, rows).close()
    for name, codes in (("ana", ("time", "cost", "")), ("ben", ("time", "", ""))):
        sheet = write_csv(
            tmp_path / f"{name}.csv", ["id", "codes"], list(zip("abc", codes, strict=True))
        )
        with Store(db) as store:
            import_coding(store, sheet, name, TableColumns(blank_is_none=True))
    result = json.loads(run("agree", db, "--json").stdout)
    assert (result["n"], result["blank_left_out"], result["exact_agreement"]) == (2, 1, 0.5)
    shown = " ".join(run("agree", db).stdout.split())
    assert "2 comments coded by every coder (1 with no text left out), 50% with the same" in shown
