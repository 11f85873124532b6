"""`coder import`: coding done in a spreadsheet or a QDA program, brought into a project as a
reviewer's decisions, matched to comments, undone as one step."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import read_csv, write_csv
from projects import ROWS, add_run, ids_by_external, make_project, result

from coder.cli import cli
from coder.coding_import import import_coding, undo_import
from coder.errors import InputError
from coder.export import export_project
from coder.external import TableColumns
from coder.refi_codebook import guid
from coder.review import ReviewSession
from coder.status import project_status
from coder.store import Entry, NewComment, Store


def codings(store: Store) -> dict[str, dict[str, set[str]]]:
    """Each coder's reviewed codes by external id."""
    names = {i: ext for ext, i in ids_by_external(store).items()}
    return {
        coder: {names[c]: codes for c, codes in coded.items()}
        for coder, coded in store.codings().items()
    }


def named(store: Store, coded: dict[int, set[str]]) -> dict[str, set[str]]:
    """Codes by comment id, keyed by external id instead."""
    names = {i: ext for ext, i in ids_by_external(store).items()}
    return {names[c]: codes for c, codes in coded.items()}


def sessions(path: Path) -> list[tuple[str, str, dict]]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT reviewer, mode, settings FROM sessions ORDER BY id").fetchall()
    finally:
        db.close()
    return [(reviewer, mode, json.loads(settings)) for reviewer, mode, settings in rows]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    make_project(tmp_path / "p.db").close()
    return tmp_path / "p.db"


# --- spreadsheets -------------------------------------------------------------------------


def test_a_spreadsheet_becomes_the_reviewers_decisions_in_a_session_of_its_own(
    project: Path, tmp_path: Path
) -> None:
    sheet = write_csv(
        tmp_path / "ana.csv",
        ["id", "codes"],
        [("a", "time"), ("b", "Cost; box_ticking"), ("d", "box_ticking")],
    )
    with Store(project) as store:
        done = import_coding(store, sheet, "ana")
        assert codings(store) == {
            "ana": {"a": {"time"}, "b": {"cost", "box_ticking"}, "d": {"box_ticking"}}
        }
        actions = [(d.comment_id, d.theme, d.action) for d in store.decisions()]
        ids = ids_by_external(store)
    # a suggested theme is accepted (or, left out, rejected), another added; each comment
    # confirmed, in file order
    assert actions == [
        (ids["a"], "time", "accept"),
        (ids["a"], None, "confirm"),
        (ids["b"], "cost", "accept"),
        (ids["b"], "box_ticking", "accept"),
        (ids["b"], None, "confirm"),
        (ids["d"], "time", "reject"),
        (ids["d"], "cost", "reject"),
        (ids["d"], "box_ticking", "add"),
        (ids["d"], None, "confirm"),
    ]
    assert [(c.coder, c.comments, c.new, c.changed) for c in done.coders] == [("ana", 3, 3, 0)]
    assert done.recorded and done.notes == []
    digest = hashlib.sha256(sheet.read_bytes()).hexdigest()
    assert sessions(project) == [("ana", "import", {"file": "ana.csv", "sha256": digest})]


def test_status_counts_imported_coding_as_review_and_says_it_came_from_a_file(
    project: Path, tmp_path: Path
) -> None:
    sheet = write_csv(
        tmp_path / "ana.csv", ["id", "codes"], [("a", "time"), ("b", "cost"), ("d", "box_ticking")]
    )
    with Store(project) as store:
        import_coding(store, sheet, "ana")
        ids = ids_by_external(store)
        status = project_status(store)
        review = ReviewSession(store, "ana", order="file")
        review.go_to(ids["a"])
        review.memo("checked")  # a memo is no coding: "a" stays as the file had it
        review.go_to(ids["b"])
        review.toggle("time")  # a change on the screen: "b" is no longer as the file had it
        after = project_status(store).reviewers["ana"]
    # b's box-ticking (a rule's) and d's time and cost were suggested and left out: rejected
    assert {t: (c.accepted, c.rejected, c.added) for t, c in status.themes.items()} == {
        "time": (1, 1, 0),
        "cost": (1, 1, 0),
        "box_ticking": (0, 1, 1),
    }
    assert (status.reviewers["ana"].reviewed, status.reviewers["ana"].imported) == (3, 3)
    assert (after.reviewed, after.imported, after.memos) == (3, 2, 1)


def test_importing_again_replaces_the_coders_coding_and_counts_what_changed(
    project: Path, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "v1.csv", ["id", "codes"], [("a", "time"), ("b", "cost")])
    second = write_csv(
        tmp_path / "v2.csv", ["id", "codes"], [("a", "time"), ("b", "box_ticking"), ("c", "cost")]
    )
    with Store(project) as store:
        import_coding(store, first, "ana")
        done = import_coding(store, second, "ana")
        assert codings(store) == {"ana": {"a": {"time"}, "b": {"box_ticking"}, "c": {"cost"}}}
        assert [(c.comments, c.new, c.changed, c.unchanged) for c in done.coders] == [(3, 1, 1, 1)]
        ids = ids_by_external(store)
        last = [(d.comment_id, d.theme, d.action) for d in store.decisions()][-4:]
        # a suggested theme is accepted or rejected, as on the review screen; another added
        assert last == [
            (ids["b"], "cost", "reject"),
            (ids["b"], "box_ticking", "accept"),
            (ids["c"], "cost", "add"),
            (ids["c"], None, "confirm"),
        ]
        count = len(store.decisions())
        again = import_coding(store, second, "ana")
        assert (again.recorded, len(store.decisions())) == (False, count)
        assert [(c.comments, c.unchanged) for c in again.coders] == [(3, 3)]


def test_the_same_file_again_after_a_new_run_records_nothing(project: Path, tmp_path: Path) -> None:
    # ana's file predates the later run: she never saw its suggestion of cost, and recording
    # that she rejected it made an import step (and an undo) out of an unchanged coding.
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
    with Store(project) as store:
        import_coding(store, sheet, "ana")
        run_id = add_run(store, "retrained")  # a later run also suggests cost on "a"
        again = (
            NewComment("a", 2, "No time at all.", {"n": "2"}),
            result(
                "No time at all.", {"time": 0.9, "cost": 0.7}, {"time": "model", "cost": "model"}
            ),
        )
        store.import_batch(run_id, "comments.csv", [again], {})
        before = len(store.decisions())
        done = import_coding(store, sheet, "ana")
        assert [(c.comments, c.new, c.changed, c.unchanged) for c in done.coders] == [(1, 0, 0, 1)]
        assert (done.recorded, len(store.decisions())) == (False, before)
        assert codings(store) == {"ana": {"a": {"time"}}}


def test_blank_rows_are_left_out_unless_they_mean_no_theme(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time"), ("c", "")])
    with Store(project) as store:
        done = import_coding(store, sheet, "ana")
        assert codings(store) == {"ana": {"a": {"time"}}}
        assert done.notes == [
            "left out 1 row with no codes, as not coded yet; give --blank-is-none if they were "
            "coded with no theme"
        ]
        import_coding(store, sheet, "ana", TableColumns(blank_is_none=True))
        assert codings(store) == {"ana": {"a": {"time"}, "c": set()}}


def test_a_dry_run_counts_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
    with Store(project) as store:
        done = import_coding(store, sheet, "ana", dry_run=True)
        assert [(c.comments, c.new) for c in done.coders] == [(1, 1)]
        assert (done.recorded, store.decisions()) == (False, [])
    assert sessions(project) == []


def test_unknown_themes_are_refused_with_a_hint_or_left_out_on_request(
    project: Path, tmp_path: Path
) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time;tokenism"), ("b", "Costs")])
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, sheet, "ana")
        assert str(caught.value) == (
            f"2 unknown themes in {sheet} (codebook 'Tiny' has: time, cost, box_ticking):\n"
            f"{sheet}:2: unknown theme 'tokenism'\n"
            f"{sheet}:3: unknown theme 'Costs' (did you mean 'Cost'?)\n"
            "Add the themes to the codebook, or give --ignore-unknown to leave them out"
        )
        assert store.decisions() == []
        done = import_coding(store, sheet, "ana", ignore_unknown=True)
        assert done.notes == [
            f"left out 2 unknown theme names: {sheet}:2: unknown theme 'tokenism'; "
            f"{sheet}:3: unknown theme 'Costs' (did you mean 'Cost'?)"
        ]
        # "b" had only an unknown theme: coded with none of the codebook's
        assert codings(store) == {"ana": {"a": {"time"}, "b": set()}}


def test_comments_not_in_the_project_are_listed_and_nothing_is_imported(
    project: Path, tmp_path: Path
) -> None:
    sheet = write_csv(
        tmp_path / "s.csv", ["id", "codes"], [("a", "time"), ("zz", "cost"), ("a", "cost")]
    )
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, sheet, "ana")
        assert store.decisions() == []
    assert str(caught.value) == (
        f"cannot import {sheet}: 2 codings do not match the project's comments (nothing was "
        "imported):\n"
        f"{sheet}:3: 'zz' is not in the project\n"
        f"{sheet}:4: codes the comment of {sheet}:2 again, differently\n"
        "Tag the file the comments come from into the project first (coder tag FILE --db "
        "PROJECT), or correct the ids"
    )


def test_every_kind_of_problem_in_a_file_is_listed_at_once(project: Path, tmp_path: Path) -> None:
    # One round of fixes, not two: what the file holds and what the project lacks, together.
    unmatched = [
        "cannot import {}: 1 coding does not match the project's comments (nothing was imported):",
        "{}:3: 'zz' is not in the project",
        "Tag the file the comments come from into the project first (coder tag FILE --db "
        "PROJECT), or correct the ids",
    ]
    codes = write_csv(tmp_path / "c.csv", ["id", "codes"], [("a", "time;tokenism"), ("zz", "x")])
    ticks = write_csv(tmp_path / "t.csv", ["id", "time"], [("a", "maybe"), ("zz", "1")])
    with Store(project) as store:
        with pytest.raises(InputError) as in_codes:
            import_coding(store, codes, "ana")
        with pytest.raises(InputError) as in_ticks:
            import_coding(store, ticks, "ana")
        assert store.decisions() == []
    assert str(in_codes.value).splitlines() == [
        f"2 unknown themes in {codes} (codebook 'Tiny' has: time, cost, box_ticking):",
        f"{codes}:2: unknown theme 'tokenism'",
        f"{codes}:3: unknown theme 'x'",
        "Add the themes to the codebook, or give --ignore-unknown to leave them out",
        *(line.format(codes) for line in unmatched),
    ]
    assert str(in_ticks.value).splitlines() == [
        f"{ticks}: 1 cell of its theme columns (time) is not 0 or 1 (1, x or yes codes the "
        "theme; 0, no or an empty cell does not):",
        f"{ticks}:2: column 'time' holds 'maybe'",
        *(line.format(ticks) for line in unmatched),
    ]


def test_a_text_column_must_agree_with_the_project(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "s.csv",
        ["id", "comment", "codes"],
        [("a", "No  time at all.\n", "time"), ("b", "Something else entirely.", "cost")],
    )
    with Store(project) as store, pytest.raises(InputError) as caught:
        import_coding(store, sheet, "ana")
    # "a" matches, whitespace aside; its text spans two lines of the file, so "b" is on line 4
    assert str(caught.value).splitlines()[1] == (
        f"{sheet}:4: 'b' is another comment in the project: 'Budget cut, tick box.', where the "
        "file has 'Something else entirely.'"
    )
    assert str(caught.value).startswith(f"cannot import {sheet}: 1 coding does not match")


def test_without_ids_comments_are_found_by_text_copy_by_copy(tmp_path: Path) -> None:
    rows = [*ROWS, ("e", "The weather was nice.", {"time": 0.0, "cost": 0.0}, {})]
    make_project(tmp_path / "p.db", rows).close()
    sheet = write_csv(
        tmp_path / "s.csv",
        ["comment", "codes"],
        [("the weather was nice.", "time"), ("The weather was nice.", "cost")],
    )
    with Store(tmp_path / "p.db") as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, sheet, "ana")
        assert f"{sheet}:2: the comment 'the weather was nice.' is not in the project" in str(
            caught.value
        )
        fixed = write_csv(
            tmp_path / "t.csv",
            ["comment", "codes"],
            [("The weather was nice.", "time"), ("The weather  was nice.", "cost")],
        )
        import_coding(store, fixed, "ana")
        assert codings(store) == {"ana": {"c": {"time"}, "e": {"cost"}}}


def test_an_id_two_files_share_must_name_its_file(project: Path, tmp_path: Path) -> None:
    with Store(project) as store:
        run_id = add_run(store)
        more = [(NewComment("a", 2, "Other file.", {}), result("Other file.", {}, {}))]
        store.import_batch(run_id, "more.csv", more, {})
        sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
        with pytest.raises(InputError) as caught:
            import_coding(store, sheet, "ana")
        assert (
            f"{sheet}:2: id 'a' is in several files of the project (comments.csv, more.csv); "
            "write it as FILE:a"
        ) in str(caught.value)
        qualified = write_csv(tmp_path / "q.csv", ["id", "codes"], [("more.csv:a", "cost")])
        import_coding(store, qualified, "ana")
        ((comment_id, codes),) = store.codings()["ana"].items()
        assert (store.comment(comment_id).text, codes) == ("Other file.", {"cost"})


def test_a_spreadsheet_needs_a_reviewer_name(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
    with Store(project) as store, pytest.raises(InputError) as caught:
        import_coding(store, sheet)
    assert str(caught.value) == (
        f"name the person whose coding {sheet} holds with --reviewer NAME: it goes into the "
        "project as their decisions"
    )


def test_a_zero_one_column_per_theme_is_read_by_id_or_label(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "s.csv",
        ["id", "Time", "COST", "box_ticking"],
        [("a", "1", "0", ""), ("b", "", "x", "Yes"), ("c", "0", "0", "0"), ("d", "", "", "")],
    )
    with Store(project) as store:
        done = import_coding(store, sheet, "ana")
        # "c" is coded with no theme (every cell 0); "d" is blank: not coded yet
        assert codings(store) == {"ana": {"a": {"time"}, "b": {"cost", "box_ticking"}, "c": set()}}
    assert done.notes == [
        "left out 1 row with no codes, as not coded yet; give --blank-is-none if they were "
        "coded with no theme"
    ]


def test_a_sheet_with_columns_for_some_themes_leaves_the_others_alone(
    project: Path, tmp_path: Path
) -> None:
    before = write_csv(tmp_path / "v1.csv", ["id", "codes"], [("a", "time;cost")])
    ticks = write_csv(tmp_path / "v2.csv", ["id", "time", "box_ticking"], [("a", "0", "1")])
    with Store(project) as store:
        import_coding(store, before, "ana")
        done = import_coding(store, ticks, "ana")
        assert codings(store) == {"ana": {"a": {"cost", "box_ticking"}}}
    assert done.notes == [
        "no column for 1 theme (cost): the coder's codes on them are left as they were"
    ]


def test_a_column_named_like_a_theme_that_is_not_zero_one_is_not_checked(
    project: Path, tmp_path: Path
) -> None:
    sheet = write_csv(
        tmp_path / "s.csv", ["id", "codes", "Time"], [("a", "cost", "10:30"), ("b", "", "")]
    )
    with Store(project) as store:
        import_coding(store, sheet, "ana")
        assert codings(store) == {"ana": {"a": {"cost"}}}


def test_zero_one_cells_must_be_zero_or_one(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "time", "cost"], [("a", "2", "maybe")])
    with Store(project) as store, pytest.raises(InputError) as caught:
        import_coding(store, sheet, "ana")
    assert str(caught.value) == (
        f"{sheet}: 2 cells of its theme columns (time, cost) are not 0 or 1 (1, x or yes codes "
        "the theme; 0, no or an empty cell does not):\n"
        f"{sheet}:2: column 'time' holds '2'\n"
        f"{sheet}:2: column 'cost' holds 'maybe'"
    )


def test_a_coding_sheet_goes_out_blank_and_comes_back_coded(tmp_path: Path) -> None:
    rows = [*ROWS, ("e", "=1+1 is all they care about", {"time": 0.1, "cost": 0.2}, {})]
    make_project(tmp_path / "p.db", rows).close()
    sheet = tmp_path / "sheet.csv"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["export", str(tmp_path / "p.db"), "-o", str(sheet), "--format", "sheet"]
    )
    assert done.exit_code == 0, done.output
    assert done.stderr == (
        f"Wrote {sheet}: 5 comments (sheet)\n"
        "Put 1 in each theme's column that applies (0 in one column for a comment no theme "
        f"applies to), then: coder import {tmp_path / 'p.db'} {sheet} --reviewer NAME\n"
    )
    cells = read_csv(sheet)
    assert list(cells[0]) == ["id", "text", "n", "time", "cost", "box_ticking"]
    assert cells[4] == {
        "id": "e",
        "text": "'=1+1 is all they care about",  # kept from running as a formula
        "n": "6",
        "time": "",
        "cost": "",
        "box_ticking": "",
    }
    cells[0]["time"] = "1"
    cells[2]["time"] = "0"
    cells[4]["cost"] = "1"
    write_csv(sheet, list(cells[0]), [tuple(row.values()) for row in cells])
    with Store(tmp_path / "p.db") as store:
        done = import_coding(store, sheet, "ben")
        # the formula's text is the comment's own; "b" and "d" are left for later
        assert codings(store) == {"ben": {"a": {"time"}, "c": set(), "e": {"cost"}}}
    assert done.notes == [
        "left out 2 rows with no codes, as not coded yet; give --blank-is-none if they were "
        "coded with no theme"
    ]


def test_a_coding_sheet_goes_out_as_a_workbook_and_comes_back_coded(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rows = [*ROWS, ("e", "=1+1 is all they care about", {"time": 0.1, "cost": 0.2}, {})]
    make_project(tmp_path / "p.db", rows).close()
    sheet = tmp_path / "sheet.xlsx"
    export_project(tmp_path / "p.db", sheet, "sheet")
    book = load_workbook(sheet)
    cells = book.worksheets[0]
    assert [c.value for c in cells[1]] == ["id", "text", "n", "time", "cost", "box_ticking"]
    text = cells["B6"]
    assert (text.value, text.data_type) == ("=1+1 is all they care about", "s")  # text, as said
    cells["D2"] = 1  # a: time, as Excel stores a typed 1
    cells["D4"] = 0  # c: no theme
    cells["E6"] = "x"  # e: cost
    book.save(sheet)
    with Store(tmp_path / "p.db") as store:
        import_coding(store, sheet, "ben")
        assert codings(store) == {"ben": {"a": {"time"}, "c": set(), "e": {"cost"}}}


def test_ids_that_look_like_numbers_come_back_from_a_workbook(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    rows = [("17", "No time.", {"time": 0.9}, {}), ("1.10", "No money.", {"cost": 0.9}, {})]
    make_project(tmp_path / "p.db", rows).close()
    sheet = tmp_path / "sheet.xlsx"
    export_project(tmp_path / "p.db", sheet, "sheet")
    book = load_workbook(sheet)
    cells = book.worksheets[0]
    assert (cells["A2"].value, cells["A3"].value) == (17, "1.10")  # a number, and text
    cells["D2"], cells["E3"] = 1, 1  # 17: time; 1.10: cost
    book.save(sheet)
    with Store(tmp_path / "p.db") as store:
        import_coding(store, sheet, "ben")
        assert codings(store) == {"ben": {"17": {"time"}, "1.10": {"cost"}}}


def test_a_row_per_code_is_read_with_long(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(
        tmp_path / "segments.csv",
        ["id", "code", "segment"],
        [("a", "Time", "No time"), ("b", "cost", "Budget"), ("b", "Box-ticking", "tick box")],
    )
    with Store(project) as store:
        with pytest.raises(InputError) as caught:  # a row per comment: "b" twice, differently
            import_coding(store, sheet, "ana", TableColumns(codes_column="code"))
        assert f"{sheet}:4: codes the comment of {sheet}:3 again, differently" in str(caught.value)
        import_coding(store, sheet, "ana", TableColumns(codes_column="code", long=True))
        assert codings(store) == {"ana": {"a": {"time"}, "b": {"cost", "box_ticking"}}}
        ticks = write_csv(tmp_path / "ticks.csv", ["id", "time"], [("a", "1")])
        with pytest.raises(InputError) as caught:
            import_coding(store, ticks, "ana", TableColumns(long=True))
        assert str(caught.value) == (
            f"--long reads a row per code: {ticks} needs an id column (--id-column NAME) and a "
            "codes column (--codes-column NAME)"
        )


def test_coders_long_export_of_reviewed_comments_comes_back(project: Path, tmp_path: Path) -> None:
    reviewed = write_csv(tmp_path / "r.csv", ["id", "codes"], [("a", "time"), ("d", "time;cost")])
    with Store(project) as store:
        import_coding(store, reviewed, "ana")
    export_project(project, tmp_path / "long.csv", "long", reviewed_only=True)
    make_project(tmp_path / "fresh.db").close()
    with Store(tmp_path / "fresh.db") as store:
        columns = TableColumns(codes_column="theme", long=True)
        import_coding(store, tmp_path / "long.csv", "ana", columns)
        assert codings(store) == {"ana": {"a": {"time"}, "d": {"time", "cost"}}}


def test_a_wide_export_edited_in_one_place_only_is_refused(project: Path, tmp_path: Path) -> None:
    reviewed = write_csv(tmp_path / "r.csv", ["id", "codes"], [("a", "time")])
    with Store(project) as store:
        import_coding(store, reviewed, "ana")
    export_project(project, tmp_path / "wide.csv", "wide")
    rows = read_csv(tmp_path / "wide.csv")
    rows[1]["time"] = "1"  # "b" ticked in the spreadsheet, its codes cell not edited
    write_csv(tmp_path / "wide.csv", list(rows[0]), [tuple(row.values()) for row in rows])
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, tmp_path / "wide.csv", "ben")
        assert str(caught.value) == (
            f"{tmp_path / 'wide.csv'} has a codes column and a 0/1 column per theme, and they "
            "differ on 1 row (nothing was imported):\n"
            f"{tmp_path / 'wide.csv'}:3: codes 'cost;box_ticking', ticked "
            "'time;cost;box_ticking'\n"
            "Edit one of them and delete the other, or give --codes-column codes to read the "
            "codes column alone"
        )
        columns = TableColumns(codes_column="codes")
        done = import_coding(store, tmp_path / "wide.csv", "ben", columns)
        # "c" has no codes in the export: blank, left out
        assert codings(store)["ben"] == {
            "a": {"time"},
            "b": {"cost", "box_ticking"},
            "d": {"time", "cost"},
        }
    # only "a" was reviewed; "b" and "d" held the model's suggestions
    assert done.notes[-2:] == [
        "2 rows of coder's export held the model's suggestions, unreviewed (coding: "
        "suggested); they are imported as ben's coding like every row. If ben did not check "
        "them all, take the import back (--undo) and import only the rows they checked",
        "left out 1 row with no codes, as not coded yet; give --blank-is-none if they were "
        "coded with no theme",
    ]


# --- undo ---------------------------------------------------------------------------------


def test_undo_takes_back_the_whole_import_and_only_an_import(project: Path, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "v1.csv", ["id", "codes"], [("a", "time"), ("b", "cost")])
    second = write_csv(tmp_path / "v2.csv", ["id", "codes"], [("a", "cost"), ("c", "time")])
    with Store(project) as store:
        import_coding(store, first, "ana")
        import_coding(store, second, "ana")
        assert undo_import(store, "ana") == ("v2.csv", 2)
        assert codings(store) == {"ana": {"a": {"time"}, "b": {"cost"}}}
        session = store.start_session("ana", "review", {})
        store.record(session, "ana", [Entry(ids_by_external(store)["d"], "confirm")])
        with pytest.raises(InputError) as caught:
            undo_import(store, "ana")
        assert str(caught.value) == (
            "the last step of 'ana' was made on the review screen, not imported; undo it "
            f"there: coder review {project} --reviewer ana, then u"
        )
        with pytest.raises(InputError) as caught:
            undo_import(store, "ben")
        assert str(caught.value) == f"'ben' has no coding in {project} to undo"


def test_the_imports_are_listed_with_their_files_and_what_became_of_them(
    project: Path, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "v1.csv", ["id", "codes"], [("a", "time"), ("b", "cost")])
    second = write_csv(tmp_path / "v2.csv", ["id", "codes"], [("c", "time")])
    with Store(project) as store:
        assert store.imports() == []
        import_coding(store, first, "ana")
        import_coding(store, first, "ana")  # nothing new: no session with decisions
        import_coding(store, second, "ben")
        undo_import(store, "ben")
        found = store.imports()
    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    assert [(r.reviewer, r.settings, r.comments, r.taken_back) for r in found] == [
        ("ana", {"file": "v1.csv", "sha256": digest}, 2, False),
        (
            "ben",
            {"file": "v2.csv", "sha256": hashlib.sha256(second.read_bytes()).hexdigest()},
            1,
            True,
        ),
    ]
    listed = CliRunner().invoke(cli, ["import", str(project), "--list"])
    assert listed.exit_code == 0, listed.output
    rows = [
        [cell.strip() for cell in line.split("│")[3:-1]]
        for line in listed.stdout.splitlines()
        if ".csv" in line
    ]
    assert rows == [
        ["ana", "coding", "v1.csv", digest[:12], "2", "recorded"],
        ["ben", "coding", "v2.csv", found[1].settings["sha256"][:12], "1", "taken back"],
    ]


def test_the_review_screens_undo_stops_at_an_import(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time"), ("b", "cost")])
    with Store(project) as store:
        import_coding(store, sheet, "ana")
        session = ReviewSession(store, "ana", order="file")
        session.next()
        session.accept()  # on "a": confirms the imported coding again
        assert session.undo() is not None  # the review's own step
        with pytest.raises(InputError) as caught:
            session.undo()
        assert str(caught.value) == (
            "Your last step before this is the import of s.csv (2 comments); take it back "
            f"with: coder import {project} --undo --reviewer ana"
        )
        assert codings(store) == {"ana": {"a": {"time"}, "b": {"cost"}}}


def test_the_machine_coders_names_are_refused(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
    with Store(project) as store, pytest.raises(InputError) as caught:
        import_coding(store, sheet, " model ")
    assert str(caught.value) == (
        "'model' is the name `coder agree` gives the latest run's suggestions; choose another "
        "reviewer name"
    )


# --- REFI-QDA projects --------------------------------------------------------------------


def test_a_qdpx_exported_by_coder_comes_back_with_each_persons_coding(
    project: Path, tmp_path: Path
) -> None:
    # ana coded b with no theme: a "No theme" code carries that decision there and back.
    rows = [("a", "time"), ("b", "none"), ("d", "cost")]
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], rows)
    with Store(project) as store:
        import_coding(store, sheet, "ana")
        review = ReviewSession(store, "ana", order="file")
        review.go_to(ids_by_external(store)["a"])
        review.memo("Rota <pressure>, not time?")
    export_project(project, tmp_path / "p.qdpx", "qdpx")
    make_project(tmp_path / "fresh.db").close()
    with Store(tmp_path / "fresh.db") as store:
        done = import_coding(store, tmp_path / "p.qdpx")
        assert codings(store) == {"ana": {"a": {"time"}, "b": set(), "d": {"cost"}}}
        memos = {c: s.memo for c, s in store.states("ana")["ana"].items() if s.memo}
        assert memos == {ids_by_external(store)["a"]: "Rota <pressure>, not time?"}
        # the same file again changes nothing: the memo is already there
        assert import_coding(store, tmp_path / "p.qdpx").recorded is False
    assert [(c.coder, c.comments) for c in done.coders] == [("ana", 3)]
    assert done.notes == [
        "left out 2 codings by coder model and coder rules: coder's own suggestions, not a "
        "person's coding"
    ]


def test_a_qdpx_round_trip_keeps_every_reviewers_coding_and_the_adjudication(
    project: Path, tmp_path: Path
) -> None:
    # ana and ben differ on b and d; on d ben's "no theme" is the odd one out, and cy settled
    # b. The .qdpx once held only each comment's final coding: the minority's codes, and b's
    # coders' codes, were lost on the way back; then it left the adjudication out.
    ana = write_csv(tmp_path / "ana.csv", ["id", "codes"], [("b", "cost"), ("d", "time")])
    ben = write_csv(tmp_path / "ben.csv", ["id", "codes"], [("b", "time"), ("d", "none")])
    cy = write_csv(tmp_path / "cy.csv", ["id", "codes"], [("b", "cost;time"), ("d", "none")])
    with Store(project) as store:
        import_coding(store, ana, "ana")
        import_coding(store, ben, "ben")
        import_coding(store, cy, "cy", adjudicate=True)
        before = codings(store), named(store, store.adjudicated())
    summary = export_project(project, tmp_path / "p qdpx.qdpx", "qdpx")
    assert "adjudication" not in summary.basis
    fresh = tmp_path / "fresh.db"
    make_project(fresh).close()
    with Store(fresh) as store:
        coders = import_coding(store, tmp_path / "p qdpx.qdpx")
        assert coders.notes[-1] == (
            "left out coder adjudication's coding of 2 comments: the settled coding where "
            f"coders differed, to bring in as an adjudication with `coder import {fresh} "
            f"'{tmp_path / 'p qdpx.qdpx'}' --reviewer 'coder adjudication' --adjudicate --as NAME`"
        )
        for rename in (None, "dan"):  # not as a coder's own coding, under whatever name
            with pytest.raises(InputError) as caught:
                import_coding(store, tmp_path / "p qdpx.qdpx", "coder adjudication", rename=rename)
            assert str(caught.value) == (
                "'coder adjudication' is the settled coding of the comments coders differed on, in "
                "a project coder exported: add --adjudicate to bring it in as an adjudication, and "
                "--as NAME for the person to record it under"
            )
        with pytest.raises(InputError) as caught:  # nor as an adjudicator of that name
            import_coding(store, tmp_path / "p qdpx.qdpx", "coder adjudication", adjudicate=True)
        assert str(caught.value) == (
            "'coder adjudication' is a name coder's .qdpx exports give their own users; choose "
            "another reviewer name (a .qdpx user's coding goes in under another with --as NAME)"
        )
        settled = import_coding(
            store, tmp_path / "p qdpx.qdpx", "coder adjudication", rename="cy", adjudicate=True
        )
        assert [(c.coder, c.comments) for c in settled.coders] == [("cy", 2)]
        after = codings(store), named(store, store.adjudicated())
    assert (
        after
        == before
        == (
            {"ana": {"b": {"cost"}, "d": {"time"}}, "ben": {"b": {"time"}, "d": set()}},
            {"b": {"cost", "time"}, "d": set()},
        )
    )


FOREIGN = """<?xml version="1.0" encoding="utf-8"?>
<project xmlns="urn:QDA-XML:project:1.0" name="From NVivo">
  <Users>
    <User guid="u-1" name="Ana"/>
    <User guid="u-2" name="Ben"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="k-time" name="TIME" isCodable="true"/>
    <Code guid="k-money" name="Money matters">
      <Description>Money.
Coder ID: cost</Description>
    </Code>
    <Code guid="k-other" name="Staff praise"/>
    <Code guid="{box}" name="Anything"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="s-1" name="Interview 1">
      <PlainTextContent>No time at all.</PlainTextContent>
      <PlainTextSelection guid="x1" startPosition="0" endPosition="7" creatingUser="u-1">
        <Coding guid="c1"><CodeRef targetGUID="k-time"/></Coding>
        <Coding guid="c2" creatingUser="u-2"><CodeRef targetGUID="k-money"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="x2" startPosition="3" endPosition="7" creatingUser="u-1">
        <Coding guid="c3"><CodeRef targetGUID="{box}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <textsource guid="s-2" name="d" plaintextpath="internal://s-2.txt">
      <PlainTextSelection guid="x3" startPosition="0" endPosition="4">
        <Coding guid="c4" creatingUser="u-2"><CodeRef targetGUID="k-other"/></Coding>
        <Coding guid="c5" creatingUser="u-2"><CodeRef targetGUID="k-time"/></Coding>
      </PlainTextSelection>
    </textsource>
    <PDFSource guid="s-3" name="Minutes"/>
  </Sources>
</project>
"""


def foreign_qdpx(path: Path, qde: str = FOREIGN) -> Path:
    """A project as another program writes it: its own GUIDs and names, a source's text inline
    or in the zip, a coding's coder on the coding or on its selection."""
    box = guid("box_ticking")  # the GUID coder's .qdc gives the theme
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde.replace("{box}", box.upper()))  # as NVivo writes
        archive.writestr("sources/s-2.txt", "Busy rota, no funding.")
    return path


def test_a_qdpx_from_another_program_is_read_leniently(project: Path, tmp_path: Path) -> None:
    qdpx = foreign_qdpx(tmp_path / "nvivo.qdpx")
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, qdpx)
        assert str(caught.value) == (
            f"{qdpx} codes with 1 code that codebook 'Tiny' has no theme for: 'Staff praise'. "
            "Add them to the codebook (by label, or with the theme's id as the code's name), or "
            "give --ignore-unknown to leave those codings out"
        )
        done = import_coding(store, qdpx, ignore_unknown=True)
        # "Interview 1" is found by its text; "d" by its name. By the code's name (TIME), its
        # Coder ID line (Money matters), and coder's GUID for box_ticking.
        assert codings(store) == {
            "Ana": {"a": {"time", "box_ticking"}},
            "Ben": {"a": {"cost"}, "d": {"time"}},
        }
    assert [(c.coder, c.comments) for c in done.coders] == [("Ana", 1), ("Ben", 2)]
    assert done.notes == [
        "left out the codings with 1 code not in the codebook: 'Staff praise'",
        "left out 1 source that is not text (PDF, picture, audio, video): coder codes comments",
    ]


def test_users_listed_after_the_sources_are_still_named(project: Path, tmp_path: Path) -> None:
    users = FOREIGN[FOREIGN.index("  <Users>") : FOREIGN.index("  <CodeBook>")]
    moved = FOREIGN.replace(users, "").replace("</project>", users + "</project>")
    qdpx = foreign_qdpx(tmp_path / "late.qdpx", moved)
    with Store(project) as store:
        import_coding(store, qdpx, "Ben", ignore_unknown=True)
        assert codings(store) == {"Ben": {"a": {"cost"}, "d": {"time"}}}


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (('<textsource guid="s-2"', "<textsource"), "a <textsource> named 'd' has no GUID"),
        (('guid="u-2"', 'guid="U-1"'), "a <User> named 'Ben' shares its GUID u-1 with another"),
    ],
)
def test_a_qdpx_whose_guids_are_missing_or_shared_is_refused(
    project: Path, tmp_path: Path, damage: tuple[str, str], problem: str
) -> None:
    # Codings point to GUIDs: read anyway, one comment once got every theme in the file.
    qdpx = foreign_qdpx(tmp_path / "damaged.qdpx", FOREIGN.replace(*damage))
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, qdpx)
        assert store.decisions() == []
    assert str(caught.value) == (
        f"{qdpx}: {problem}, so its codings cannot be told apart; the file is damaged: export "
        "it again from your QDA program"
    )


@pytest.mark.parametrize(
    ("cap", "problem"),
    [
        (20, "source sources/s-2.txt unpacks to 22 bytes"),  # in the zip
        (10, "source 'Interview 1' holds 15 characters"),  # inline: PlainTextContent
    ],
)
def test_a_qdpx_source_longer_than_any_comment_is_refused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int, problem: str
) -> None:
    from coder import refi_import

    monkeypatch.setattr(refi_import, "MAX_SOURCE_BYTES", cap)  # 10 MB, as a zip bomb would pass
    qdpx = foreign_qdpx(tmp_path / "bomb.qdpx")
    with Store(project) as store, pytest.raises(InputError) as caught:
        import_coding(store, qdpx)
    assert str(caught.value) == (
        f"{qdpx}: {problem}, more than any comment ({cap}); this is not a project of survey "
        "comments"
    )


def test_one_user_of_a_qdpx_can_be_chosen(project: Path, tmp_path: Path) -> None:
    qdpx = foreign_qdpx(tmp_path / "nvivo.qdpx")
    with Store(project) as store:
        import_coding(store, qdpx, "Ana")
        assert codings(store) == {"Ana": {"a": {"time", "box_ticking"}}}
        with pytest.raises(InputError) as caught:
            import_coding(store, qdpx, "Cy")
        assert str(caught.value) == f"{qdpx} has no coding by 'Cy'; it has coding by 'Ana', 'Ben'"


def test_a_qdpx_users_coding_can_be_an_adjudication_but_one_user_only(
    project: Path, tmp_path: Path
) -> None:
    qdpx = foreign_qdpx(tmp_path / "nvivo.qdpx")
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, qdpx, ignore_unknown=True, adjudicate=True)
        assert str(caught.value) == (
            f"{qdpx} holds the coding of 'Ana', 'Ben': an adjudication is one person's; choose "
            "whose with --reviewer NAME"
        )
        import_coding(store, qdpx, "Ana", rename="cy", adjudicate=True, ignore_unknown=True)
        assert store.adjudicated() == {ids_by_external(store)["a"]: {"time", "box_ticking"}}
        assert store.codings() == {}
    refused = CliRunner().invoke(cli, ["import", str(project), str(qdpx), "--adjudicate"])
    assert refused.stderr == (
        "Error: name the adjudicator with --reviewer NAME: the file goes into the project as "
        "their adjudication\n"
    )


def test_a_qdpx_users_coding_can_be_recorded_under_a_reviewers_name(
    project: Path, tmp_path: Path
) -> None:
    qdpx = foreign_qdpx(tmp_path / "nvivo.qdpx")
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, qdpx, ignore_unknown=True, rename="ana")
        assert str(caught.value) == (
            f"{qdpx} holds the coding of 'Ana', 'Ben': choose whose with --reviewer to record "
            "it as 'ana'"
        )
        import_coding(store, qdpx, "Ben", ignore_unknown=True, rename="ben")
        assert codings(store) == {"ben": {"a": {"cost"}, "d": {"time"}}}
        sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
        with pytest.raises(InputError) as caught:
            import_coding(store, sheet, "ana", rename="ben")
        assert str(caught.value) == (
            "--as is for a .qdpx's users; a spreadsheet's coder is --reviewer NAME"
        )
    ((reviewer, mode, settings),) = sessions(project)
    assert (reviewer, mode, settings["file"], settings["user"]) == (
        "ben",
        "import",
        "nvivo.qdpx",
        "Ben",
    )


def test_a_file_that_is_not_a_qdpx_project_says_so(project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "hello")
    broken = tmp_path / "broken.qdpx"
    broken.write_text("not a zip")
    torn = foreign_qdpx(tmp_path / "torn.qdpx", FOREIGN[:400])
    other = foreign_qdpx(tmp_path / "other.qdpx", "<CodeBook/>")
    with Store(project) as store:
        with pytest.raises(InputError) as caught:
            import_coding(store, torn)
        assert str(caught.value).startswith(f"{torn}: project.qde is not well-formed XML (")
        with pytest.raises(InputError) as caught:
            import_coding(store, other)
        assert str(caught.value) == (
            f"{other}: project.qde holds <CodeBook>, not a REFI-QDA <Project>"
        )
        with pytest.raises(InputError) as caught:
            import_coding(store, empty)
        assert str(caught.value) == (
            f"{empty} is not a REFI-QDA project: no project.qde inside; export it again from "
            "your QDA program as a REFI-QDA project (.qdpx)"
        )
        with pytest.raises(InputError) as caught:
            import_coding(store, tmp_path / "gone.qdpx")
        assert str(caught.value) == f"input file {tmp_path / 'gone.qdpx'} does not exist"
        with pytest.raises(InputError) as caught:
            import_coding(store, broken)
        assert str(caught.value) == (
            f"cannot read {broken} as a REFI-QDA project (.qdpx): File is not a zip file"
        )


# --- the command --------------------------------------------------------------------------


def test_the_undo_command_it_prints_can_be_pasted_for_a_name_with_a_space(
    project: Path, tmp_path: Path
) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time")])
    done = CliRunner().invoke(cli, ["import", str(project), str(sheet), "--reviewer", "Team Lead"])
    assert done.stderr.endswith(
        f"to take it back: coder import {project} --undo --reviewer 'Team Lead'\n"
    )


def test_the_command_imports_prints_the_counts_and_undoes(project: Path, tmp_path: Path) -> None:
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time"), ("b", "")])
    runner = CliRunner()
    done = runner.invoke(cli, ["import", str(project), str(sheet), "--reviewer", "ana"])
    assert done.exit_code == 0, done.output
    assert "│ ana   │        1 │   1 │       0 │         0 │" in done.stdout
    assert done.stderr == (
        "Note: left out 1 row with no codes, as not coded yet; give --blank-is-none if they "
        "were coded with no theme\n"
        f"Recorded as one step per coder; to take it back: coder import {project} --undo "
        "--reviewer ana\n"
    )
    undo = ["import", str(project), "--undo", "--reviewer", "ana"]
    trial = runner.invoke(cli, [*undo, "--dry-run"])  # it once took the import back for real
    assert (trial.exit_code, trial.stderr) == (
        0,
        "Dry run: would take back the import of s.csv by ana (1 comment); nothing was written.\n",
    )
    with Store(project) as store:
        assert store.codings() != {}
    undone = runner.invoke(cli, undo)
    assert (undone.exit_code, undone.stderr) == (
        0,
        "Took back the import of s.csv by ana (1 comment).\n",
    )
    with Store(project) as store:
        assert store.codings() == {}
    refused = runner.invoke(cli, ["import", str(project), str(sheet)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: name the person whose coding")
    qdpx = foreign_qdpx(tmp_path / "n.qdpx")
    mixed = runner.invoke(cli, ["import", str(project), str(qdpx), "--codes-column", "x"])
    assert mixed.stderr == (
        "Error: --id-column, --codes-column, --text-column, --sheet, --blank-is-none and --long "
        "are for spreadsheets; a REFI-QDA project names its own sources and codes\n"
    )


def test_imported_coders_are_compared_by_agree(project: Path, tmp_path: Path) -> None:
    ana = write_csv(tmp_path / "ana.csv", ["id", "codes"], [("a", "time"), ("b", "cost")])
    ben = write_csv(tmp_path / "ben.csv", ["id", "codes"], [("a", "time"), ("b", "time")])
    runner = CliRunner()
    for name, sheet in (("ana", ana), ("ben", ben)):
        assert (
            runner.invoke(cli, ["import", str(project), str(sheet), "--reviewer", name]).exit_code
            == 0
        )
    done = runner.invoke(cli, ["agree", str(project), "--coders", "ana,ben", "--json"])
    assert done.exit_code == 0, done.output
    figures = json.loads(done.stdout)
    assert (figures["coders"], figures["n"], figures["exact_agreement"]) == (["ana", "ben"], 2, 0.5)
    assert figures["themes"]["cost"]["counts"] == {"ana": 1, "ben": 0}


def test_a_no_theme_code_is_a_coding_with_no_theme_unless_a_theme_is_coded_too(
    project: Path, tmp_path: Path
) -> None:
    # Another program's "No theme" code (its own GUID): Ana coded d with it alone, Ben beside
    # TIME; Ana's only code on "Interview 1" is one the codebook lacks, left out with it.
    qde = (
        FOREIGN.replace(
            '<Code guid="k-other" name="Staff praise"/>',
            '<Code guid="k-other" name="Staff praise"/><Code guid="k-none" name="no theme"/>',
        )
        .replace('<CodeRef targetGUID="k-other"/>', '<CodeRef targetGUID="k-none"/>')
        .replace(
            '<Coding guid="c5" creatingUser="u-2">',
            '<Coding guid="c6" creatingUser="u-1"><CodeRef targetGUID="k-none"/></Coding>'
            '<Coding guid="c5" creatingUser="u-2">',
        )
        .replace(
            '<CodeRef targetGUID="k-time"/></Coding>\n        <Coding guid="c2"',
            '<CodeRef targetGUID="k-unknown"/></Coding>\n        <Coding guid="c2"',
        )
        .replace('<Coding guid="c3"><CodeRef targetGUID="{box}"/></Coding>', "")
    )
    qdpx = foreign_qdpx(tmp_path / "nvivo.qdpx", qde)
    with Store(project) as store:
        import_coding(store, qdpx, ignore_unknown=True)
        assert codings(store) == {"Ana": {"d": set()}, "Ben": {"a": {"cost"}, "d": {"time"}}}


def test_a_users_note_on_a_source_they_coded_is_their_memo(project: Path, tmp_path: Path) -> None:
    notes = (
        "  <Notes>\n"
        '    <Note guid="n-1" creatingUser="u-2"><PlainTextContent>Check with Ana.'
        "</PlainTextContent></Note>\n"
        '    <Note guid="n-2" creatingUser="u-2"><PlainTextContent>Funding?</PlainTextContent>'
        "</Note>\n"
        '    <Note guid="n-3" creatingUser="u-1"><PlainTextContent>Not mine to code.'
        "</PlainTextContent></Note>\n"
        "  </Notes>\n"
    )
    qde = FOREIGN.replace("  </Sources>\n", "  </Sources>\n" + notes).replace(
        "    </textsource>",
        '      <NoteRef targetGUID="n-1"/><NoteRef targetGUID="n-2"/>'
        '<NoteRef targetGUID="n-3"/>\n    </textsource>',
    )
    qdpx = foreign_qdpx(tmp_path / "noted.qdpx", qde)
    with Store(project) as store:
        import_coding(store, qdpx, ignore_unknown=True)
        memos = {
            (who, store.comment(c).external_id): s.memo
            for who, comments in store.states().items()
            for c, s in comments.items()
            if s.memo
        }
    # Ana's note is on a source she did not code: no coding of hers to hang it on.
    assert memos == {("Ben", "d"): "Check with Ana.\n\nFunding?"}


def test_an_adjudication_replaced_by_another_adjudicator_is_no_longer_credited(
    project: Path, tmp_path: Path
) -> None:
    first = write_csv(tmp_path / "team.csv", ["id", "codes"], [("b", "cost")])
    later = write_csv(tmp_path / "cy.csv", ["id", "codes"], [("b", "time")])
    with Store(project) as store:
        import_coding(store, first, "team", adjudicate=True)
        import_coding(store, later, "cy", adjudicate=True)
    export_project(project, tmp_path / "w.csv", "wide")
    row = next(r for r in read_csv(tmp_path / "w.csv") if r["id"] == "b")
    assert (row["codes"], row["coding"], row["reviewers"]) == ("time", "adjudicated", "cy")


def test_themes_on_a_comment_with_no_text_are_noted(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    make_project(
        db, [("a", "No time.", {"time": 0.9}, {"time": "model"}), ("b", " ", {}, {})]
    ).close()
    sheet = write_csv(tmp_path / "s.csv", ["id", "codes"], [("a", "time"), ("b", "cost")])
    with Store(db) as store:
        done = import_coding(store, sheet, "ana")
    assert done.notes == [
        "1 comment with no text is coded with themes (e.g. b): is the coding on the right rows?"
    ]


def test_an_adjudication_of_comments_in_no_dispute_is_noted(project: Path, tmp_path: Path) -> None:
    for name, codes in (("ana", "time"), ("ben", "time")):
        sheet = write_csv(tmp_path / f"{name}.csv", ["id", "codes"], [("a", codes)])
        with Store(project) as store:
            import_coding(store, sheet, name)
    cy = write_csv(tmp_path / "cy.csv", ["id", "codes"], [("a", "cost"), ("b", "cost")])
    with Store(project) as store:
        done = import_coding(store, cy, "cy", adjudicate=True)
        assert store.adjudicated() == {ids_by_external(store)[k]: {"cost"} for k in "ab"}
    assert done.notes == [
        "2 of the comments adjudicated are in no dispute (e.g. a: fewer than two coders, or "
        "coders who agree); the adjudication settles them all the same"
    ]


def test_notes_name_a_comment_matched_by_its_text(tmp_path: Path) -> None:
    # A file of texts and codes has no ids: the notes once failed on it after recording.
    db = tmp_path / "p.db"
    make_project(db, [("a", "No time.", {}, {}), ("b", " ", {}, {})]).close()
    sheet = write_csv(tmp_path / "s.csv", ["text", "codes"], [("No time.", "time")])
    with Store(db) as store:
        done = import_coding(store, sheet, "cy", adjudicate=True)
        assert done.recorded
    assert done.notes == [
        f"1 of the comments adjudicated is in no dispute (e.g. {sheet}:2: fewer than two coders, "
        "or coders who agree); the adjudication settles it all the same"
    ]
