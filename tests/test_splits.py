"""A theme split into parts (`split_from`): comments coded with it wait, counted as not reviewed,
until a reviewer codes them again with its parts; in a real project file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import TINY_CODEBOOK, read_csv, write_csv
from projects import SURVEY, decide, numbered_project
from test_review_app import play, screen
from textual.pilot import Pilot

from coder.cli import cli
from coder.codebook_io import parse_codebook
from coder.coding import final_codings, left_out_note, waiting_after_split
from coder.errors import LabelError
from coder.results import CommentResult, Suggestion
from coder.review import ReviewSession
from coder.review_app import ReviewApp
from coder.review_render import list_cells, position_line
from coder.status import project_status
from coder.store import Entry, Store

BEFORE = parse_codebook(
    """
name: Trust
themes:
  - {id: distrust, label: Distrust}
  - {id: cost, label: Cost}
"""
)
AFTER = parse_codebook(
    """
name: Trust
version: "2"
themes:
  - {id: distrust_services, label: Distrust of services, split_from: [distrust]}
  - {id: distrust_government, label: Distrust of government, split_from: [distrust]}
  - {id: cost, label: Cost}
"""
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with numbered_project(tmp_path / "coding.db", BEFORE) as opened:
        yield opened


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def ana_before_the_split(store: Store) -> None:
    decide(
        store,
        BEFORE,
        "ana",
        [Entry(1, "add", "distrust"), Entry(1, "add", "cost"), Entry(1, "confirm")],
        [Entry(2, "add", "distrust"), Entry(2, "confirm")],
        [Entry(3, "add", "distrust"), Entry(3, "remove", "distrust"), Entry(3, "confirm")],
        [Entry(4, "add", "cost"), Entry(4, "confirm")],
    )


def scored_after_the_split(store: Store) -> None:
    """A run under the split codebook that suggests the services part for comment 1 and cost
    for comment 2 (which ana did not code with cost)."""
    run_id = store.add_run(store.add_codebook(AFTER), "v2", {})
    store.add_scores(
        run_id,
        [
            (1, _result(1, ("distrust_services", "Distrust of services", 0.8))),
            (2, _result(2, ("cost", "Cost", 0.7))),
            (3, _result(3)),
            (4, _result(4, ("cost", "Cost", 0.9))),
        ],
        {},
    )


def _result(n: int, *suggested: tuple[str, str, float]) -> CommentResult:
    suggestions = [Suggestion(theme, label, score, "model") for theme, label, score in suggested]
    return CommentResult(f"Comment {n}.", {s.theme: s.score for s in suggestions}, suggestions)


def test_a_comment_coded_with_a_split_theme_waits_to_be_reviewed_again(store: Store) -> None:
    ana_before_the_split(store)
    # Comment 3 had distrust turned down: none of its parts apply, nothing to look at again.
    assert store.codings(book=AFTER) == {"ana": {3: set(), 4: {"cost"}}}
    waiting = store.states(book=AFTER)["ana"]
    assert (waiting[1].reviewed, waiting[1].resplit) == (False, frozenset({"distrust"}))
    assert waiting[1].codes == {"distrust", "cost"}  # what ana decided, kept for the screen
    assert waiting_after_split(store, AFTER) == {"distrust": 2}
    # The log is untouched: under the old codebook nothing moved.
    assert store.codings(book=BEFORE)["ana"] == {
        1: {"distrust", "cost"},
        2: {"distrust"},
        3: set(),
        4: {"cost"},
    }
    assert waiting_after_split(store, BEFORE) == {}


def test_confirming_the_comment_after_the_split_settles_it_until_undone(store: Store) -> None:
    ana_before_the_split(store)
    after = decide(
        store, AFTER, "ana", [Entry(1, "add", "distrust_government"), Entry(1, "confirm")]
    )
    assert store.codings(book=AFTER)["ana"][1] == {"cost", "distrust_government"}
    assert store.comment_state(1, "ana", book=AFTER).resplit == frozenset()
    assert waiting_after_split(store, AFTER) == {"distrust": 1}
    store.undo(after, "ana")
    assert store.comment_state(1, "ana", book=AFTER).resplit == frozenset({"distrust"})
    assert 1 not in store.codings(book=AFTER)["ana"]


def test_a_confirmation_from_before_sessions_kept_their_codebook_settles_nothing(
    store: Store,
) -> None:
    ana_before_the_split(store)
    decide(store, None, "ana", [Entry(2, "confirm")])
    assert store.comment_state(2, "ana", book=AFTER).resplit == frozenset({"distrust"})


def test_an_import_after_the_split_settles_the_comments_it_codes(store: Store) -> None:
    ana_before_the_split(store)
    store.record_import(
        AFTER,
        {"file": "sheet.csv"},
        {"ana": [Entry(2, "add", "distrust_services"), Entry(2, "confirm")]},
    )
    assert store.codings(book=AFTER)["ana"][2] == {"distrust_services"}
    assert waiting_after_split(store, AFTER) == {"distrust": 1}


def test_an_adjudication_with_a_split_theme_waits_too(store: Store) -> None:
    judge = store.start_session("cy", "adjudicate", {}, BEFORE)
    store.record(judge, "cy", [Entry(4, "add", "distrust"), Entry(4, "confirm")])
    assert store.adjudicated(AFTER) == {}
    assert store.adjudication_states(AFTER)[4].resplit == frozenset({"distrust"})
    assert waiting_after_split(store, AFTER) == {"distrust": 1}


def test_until_reviewed_again_the_comment_takes_the_suggestions_and_the_notes_say_why(
    store: Store,
) -> None:
    ana_before_the_split(store)
    scored_after_the_split(store)
    codings = {c.comment.external_id: c for c in final_codings(store, book=AFTER)}
    assert (codings["1"].provenance, codings["1"].codes) == ("suggested", ("distrust_services",))
    assert (codings["4"].provenance, codings["4"].codes) == ("reviewed", ("cost",))
    assert left_out_note(store, AFTER) == (
        "To review again: comments reviewers coded with a theme that codebook 'Trust' split: "
        "distrust (split into distrust_services, distrust_government) (2 comments). Until a "
        "reviewer codes them with its parts they count as not reviewed. Each reviewer goes "
        f"through theirs with: coder review {store.path} --theme distrust --reviewer NAME"
    )
    status = project_status(store)
    assert (status.reviewed, status.waiting) == (2, {"distrust": 2})
    assert status.waiting_note == left_out_note(store, AFTER)
    assert "waiting_note" not in status.to_dict() and status.to_dict()["waiting"] == {"distrust": 2}


def test_review_by_the_split_theme_lists_its_parts_to_code(store: Store) -> None:
    ana_before_the_split(store)
    scored_after_the_split(store)
    session = ReviewSession(store, "ana", order="file", theme="distrust")
    assert [session.store.comment(i).external_id for i in session.ids] == ["1", "2"]
    view = session.current()
    assert view is not None and view.resplit == ("Distrust",)
    # The parts, the suggested one ticked; ana's own cost code as she left it; no old theme.
    assert [(row.theme, row.on, row.decision) for row in view.themes] == [
        ("distrust_services", True, None),
        ("distrust_government", False, None),
        ("cost", True, "add"),
    ]
    assert "↻ coded 'Distrust' before it was split: code its parts" in position_line(view).plain
    assert list_cells(view, {})[2].plain == "↻"
    with pytest.raises(LabelError, match="'distrust' was split into 'distrust_services', "):
        session.toggle("distrust")
    session.toggle("distrust_government")
    following = session.accept()
    assert store.codings(book=AFTER)["ana"][1] == {
        "cost",
        "distrust_services",
        "distrust_government",
    }
    # Comment 2: the run suggests cost, which ana left uncoded when she reviewed it: that
    # stays hers (unticked); only the parts are open.
    assert following is not None and following.external_id == "2"
    assert [(row.theme, row.on) for row in following.themes] == [
        ("distrust_services", False),
        ("distrust_government", False),
        ("cost", False),
    ]
    session.toggle("distrust_services")
    assert session.accept() is None
    assert waiting_after_split(store, AFTER) == {}
    assert store.codings(book=AFTER)["ana"][2] == {"distrust_services"}


def test_reviewing_in_the_usual_order_serves_the_waiting_comments_as_not_reviewed(
    store: Store,
) -> None:
    ana_before_the_split(store)
    scored_after_the_split(store)
    session = ReviewSession(store, "ana", order="file", only_unreviewed=True)
    assert [store.comment(i).external_id for i in session.ids] == ["1", "2"]
    blind = ReviewSession(store, "ana", order="file", theme="distrust", mode="blind")
    assert len(blind.ids) == 2 and blind.current().themes[0].on is False  # nothing suggested


def test_review_by_a_split_theme_as_coded_points_to_theme(store: Store) -> None:
    ana_before_the_split(store)
    scored_after_the_split(store)
    with pytest.raises(LabelError) as refused:
        ReviewSession(store, "ana", order="file", coded="distrust")
    assert str(refused.value) == (
        "'distrust' was split into 'distrust_services', 'distrust_government': "
        "go through the comments you coded with it with --theme distrust"
    )


def test_split_a_theme_of_a_tagged_project_end_to_end(tmp_path: Path, tiny_model: Path) -> None:
    comments = write_csv(tmp_path / "comments.csv", ["id", "comment", "region"], SURVEY)
    db = tmp_path / "coding.db"
    assert run("tag", comments, "-m", tiny_model, "--db", db).exit_code == 0
    # The tiny model suggests time, cost, box_ticking, nothing for r1..r4 (see test_tag_cli).
    with Store(db) as store:
        session = ReviewSession(store, "ana", order="file")
        while session.current() is not None:
            session.accept()
    split = tmp_path / "v2.yaml"
    split.write_text(
        TINY_CODEBOOK.replace('version: "1"', 'version: "2"').replace(
            "  - id: box_ticking\n    label: Box-ticking\n",
            "  - id: inspection\n    label: Ticking boxes for inspectors\n"
            "    split_from: [box_ticking]\n"
            "  - id: box_ticking_other\n    label: Other box-ticking\n"
            "    split_from: [box_ticking]\n",
        ),
        encoding="utf-8",
    )
    model = tmp_path / "v2"
    result = run("train", "--db", db, "-c", split, "-o", model, "--folds", 2)
    assert result.exit_code == 0, result.output
    waiting = (
        "To review again: comments reviewers coded with a theme that codebook 'Tiny' split: "
        "box_ticking (split into inspection, box_ticking_other) (1 comment). Until a reviewer "
        "codes them with its parts they count as not reviewed. Each reviewer goes through "
        f"theirs with: coder review {db} --theme box_ticking --reviewer NAME"
    )
    assert waiting in result.stderr
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    assert meta["trained_on"]["labelled"] == 3  # r3 waits: its box-ticking is neither part yet
    tagged = run("tag", comments, "-m", model, "--db", db)
    assert tagged.exit_code == 0, tagged.output
    assert (
        "The project's codebook changed: 'Tiny' version 1 -> version 2: 1 split, 3 unchanged "
        "(`coder codebook diff OLD.yaml NEW.yaml` lists each change)\n" + waiting
    ) in tagged.stderr

    status = run("status", db)
    assert status.exit_code == 0, status.output
    assert waiting in " ".join(status.output.split())
    data = json.loads(run("status", db, "--json").stdout)
    assert (data["reviewed"], data["waiting"]) == (3, {"box_ticking": 1})
    # The split theme is neither counted nor measured: no reviewer can code it now.
    assert "box_ticking" not in data["themes"] and "inspection" in data["themes"]
    assert "box_ticking" not in data["metrics"]["themes"]
    exported = run("export", db, "-o", tmp_path / "out.csv")
    assert waiting in exported.stderr
    rows = {row["id"]: row for row in read_csv(tmp_path / "out.csv")}
    assert rows["r3"]["coding"] == "suggested" and rows["r1"]["coding"] == "reviewed"

    nothing = run("review", db, "--theme", "box_ticking", "--reviewer", "ben")
    assert nothing.exit_code == 1
    assert nothing.stderr == (
        f"Error: nothing to review again for the split of theme 'box_ticking' in {db}: no "
        "comment has ben's coding with 'box_ticking' that waits to be coded with its parts; "
        "comments wait for ana (1) (give --reviewer)\n"
    )
    with Store(db) as store:
        session = ReviewSession(store, "ana", order="file", theme="box_ticking")
        assert [row.theme for row in session.current().themes] == [
            "inspection",
            "box_ticking_other",
        ]
        session.toggle("inspection")
        session.accept()
    data = json.loads(run("status", db, "--json").stdout)
    assert (data["reviewed"], data["waiting"]) == (4, {})
    assert "To review again" not in run("export", db, "-o", tmp_path / "out.csv").stderr
    assert read_csv(tmp_path / "out.csv")[2]["codes"] == "inspection"


def test_a_file_coded_with_the_split_theme_is_refused_with_its_parts(
    store: Store, tmp_path: Path
) -> None:
    ana_before_the_split(store)
    scored_after_the_split(store)
    sheet = write_csv(tmp_path / "sheet.csv", ["id", "distrust", "cost"], [("1", "1", "0")])
    result = run("import", store.path, sheet, "--reviewer", "ben")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {sheet} has a column 'distrust', a theme that codebook 'Trust' split into "
        "'distrust_services', 'distrust_government': a tick in it cannot say which part "
        "applies. Replace it with a column per part, or remove it\n"
    )
    codes = write_csv(tmp_path / "codes.csv", ["id", "codes"], [("1", "distrust;cost")])
    result = run("import", store.path, codes, "--reviewer", "ben")
    assert result.exit_code == 1
    assert (
        f"{codes}:2: unknown theme 'distrust'; 'distrust' was split into 'distrust_services', "
        "'distrust_government'\n"
    ) in result.stderr
    assert "ben" not in store.codings(book=AFTER)


def test_the_review_screen_marks_a_waiting_comment_and_codes_its_parts(store: Store) -> None:
    ana_before_the_split(store)
    scored_after_the_split(store)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        shown = " ".join(screen(app).split())
        assert "↻ coded 'Distrust' before it was split: code its parts" in shown
        assert "1 [x] ■ Distrust of services" in shown
        assert "2 [ ] ■ Distrust of government" in shown
        await pilot.press("2", "a")
        await pilot.pause()

    play(store, script, theme="distrust")
    assert store.codings(book=AFTER)["ana"][1] == {
        "cost",
        "distrust_services",
        "distrust_government",
    }
