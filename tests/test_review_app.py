"""The review screen, driven headless with real keys (`App.run_test` and `pilot.press`) over a
real project file: what each key records in the store, and what the screen shows."""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sqlite3
import struct
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, TINY_CODEBOOK
from projects import ROWS, THRESHOLDS, add_run, ids_by_external, make_project, result
from rich.segment import Segment
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import DataTable

from coder import learning
from coder.cli import cli
from coder.codebook_io import parse_codebook
from coder.results import CommentResult, Evidence, Suggestion
from coder.review import ReviewSession
from coder.review_app import ReviewApp
from coder.review_render import search_themes
from coder.review_widgets import CommentList, HelpScreen
from coder.store import NewComment, Store

SIZE = (120, 40)
TIME_BLUE, COST_ORANGE = "#1f77b4", "#ff7f0e"  # the tiny codebook's colours
Script = Callable[[Pilot, ReviewApp], Awaitable[None]]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_project(tmp_path / "p.db")


def play(store: Store, script: Script, reviewer: str = "ana", **options) -> ReviewApp:
    """Run the app on a session of `store` and play `script` on it."""
    session = ReviewSession(store, reviewer, **{"order": "file", **options})
    app = ReviewApp(session, retrain_options={"folds": 2})

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await script(pilot, app)

    asyncio.run(main())
    return app


def lines(app: ReviewApp, selector: str) -> list[list[Segment]]:
    """A widget's rendered lines, as the terminal gets them (borders included)."""
    widget = app.screen.query_one(selector)
    return [list(strip) for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


def text(app: ReviewApp, selector: str) -> str:
    """A widget's rendered text, without the panel's border and trailing blanks."""
    rows = ["".join(s.text for s in line).strip() for line in lines(app, selector)]
    inside = [row.strip("│").strip() for row in rows if not row.startswith(("╭", "╰"))]
    return "\n".join(row for row in inside if row)


def screen(app: ReviewApp) -> str:
    return "\n".join(text(app, f"#{name}") for name in PANELS if app.query(f"#{name}"))


PANELS = ("position", "comment", "coders", "attributes", "memo", "themes", "definition", "progress")


def highlighted(app: ReviewApp) -> dict[str, str]:
    """The comment's stretches with a background colour: {text: colour}."""
    out = {}
    for line in lines(app, "#comment"):
        for segment in line:
            bgcolor = segment.style.bgcolor if segment.style else None
            if bgcolor and bgcolor.triplet and bgcolor.triplet.hex != "#121212":
                out[segment.text] = bgcolor.triplet.hex
    return out


def actions(store: Store, comment_id: int | None = None) -> list[tuple[str | None, str]]:
    return [(d.theme, d.action) for d in store.decisions(comment_id)]


def notes(app: ReviewApp) -> list[str]:
    return [n.message for n in app._notifications]


def one_comment(path: Path, text: str, suggestions: list[Suggestion], **attributes: str) -> Store:
    """A project of one comment with the given suggestions (scores from them)."""
    store = Store(path)
    run_id = add_run(store)
    scores = {"time": 0.1, "cost": 0.1, "box_ticking": 0.1} | {
        s.theme: s.score for s in suggestions
    }
    comment = NewComment("r1", 2, text, attributes)
    store.import_batch(
        run_id, "survey.csv", [(comment, CommentResult(text, scores, suggestions))], {}
    )
    return store


# --- what the screen shows ---------------------------------------------------------------------


def test_the_screen_shows_evidence_in_theme_colours_attributes_scores_definition_progress(
    tmp_path: Path,
) -> None:
    comment = "Budget cut again, no time for anything."
    store = one_comment(
        tmp_path / "p.db",
        comment,
        [
            Suggestion("time", "Time", 0.9, "model", (Evidence("no time", 18, 25, "pattern"),)),
            Suggestion("cost", "Cost", 0.45, "rule", (Evidence("Budget", 0, 6, "pattern"),)),
        ],
        region="North",
        age="65+",
    )

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        assert text(app, "#position") == "Comment 1 of 1   id r1  ·  survey.csv line 2"
        assert text(app, "#comment") == comment
        assert highlighted(app) == {"Budget": COST_ORANGE, "no time": TIME_BLUE}
        assert text(app, "#attributes") == "region  North\nage     65+"
        assert text(app, "#themes").splitlines() == [
            "1 [x] ■ Time 0.90 model suggested",
            "2 [x] ■ Cost 0.45 rule  suggested",
        ]
        assert text(app, "#definition").splitlines() == [
            "Barriers ›",
            "■ Time  [time]",
            "Not enough time.",
            "Lack of time or workload gets in the way.",
        ]
        assert text(app, "#progress") == "Reviewed 0 of 1 (0%)"
        await pilot.press("down")
        assert text(app, "#definition") == "Barriers ›\n■ Cost  [cost]\nMoney."
        await pilot.press("1")  # time rejected: its evidence is no longer on its colour
        assert highlighted(app) == {"Budget": COST_ORANGE}
        assert text(app, "#themes").splitlines()[0] == "1 [ ] ■ Time 0.90 model rejected"
        assert text(app, "#definition").startswith("Barriers ›\n■ Time")  # the key focuses
        await pilot.press("a")
        assert "End of the list: 1 of 1 comments reviewed." in text(app, "#position")
        assert text(app, "#progress") == "Reviewed 1 of 1 (100%)\n■ Cost  1"

    play(store, script)
    assert actions(store) == [("time", "reject"), ("cost", "accept"), (None, "confirm")]


def test_an_import_stopped_part_way_is_told_when_the_screen_opens(store: Store) -> None:
    store.import_started("wave2.csv", "comment", 1)
    store.import_stopped("wave2.csv", "comment")
    began = store.unfinished_imports()[0].began

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.pause()

    assert notes(play(store, script)) == [
        f"Unfinished: wave2.csv, column 'comment' (tagging began {began}, run 1) stopped part "
        "way: 0 of its comments are in the project so far; tagging the file into the project "
        f"again with the same model adds the rest (`coder status {store.path} --accept-part "
        "wave2.csv` takes the part as all of it)."
    ]
    store.import_finished("wave2.csv", "comment")
    assert notes(play(store, script)) == []


def test_markup_and_control_characters_in_a_comment_show_literally(tmp_path: Path) -> None:
    comment = "[bold]x[/] and [link=https://evil.example]click[/link]\x1b[31m red\r"
    evidence = Evidence("x", 6, 7, "pattern")  # offsets still fit after the escape is shown
    store = one_comment(
        tmp_path / "p.db",
        comment,
        [Suggestion("time", "Time", 0.9, "model", (evidence,))],
        region="[red]North[/red]",
    )

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        shown = "[bold]x[/] and [link=https://evil.example]click[/link]␛[31m red"
        assert text(app, "#comment") == shown
        segments = [s for line in lines(app, "#comment") for s in line]
        assert not any(s.style and (s.style.link or s.style.meta.get("@click")) for s in segments)
        assert "\x1b" not in "".join(s.text for s in segments)
        assert highlighted(app) == {"x": TIME_BLUE}
        assert text(app, "#attributes") == "region  [red]North[/red]"
        await pilot.press("m", *"[b]ask[/b]", "enter")
        assert text(app, "#memo") == "[b]ask[/b]"

    play(store, script)
    assert store.comment_state(1, "ana").memo == "[b]ask[/b]"


# --- keys and what they record -----------------------------------------------------------------


def test_number_keys_toggle_and_accept_and_reject_all_record_and_move_on(store: Store) -> None:
    ids = ids_by_external(store)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("1", "1", "a")  # a: time rejected, then accepted again
        assert text(app, "#position").startswith("Comment 2 of 4   id b")
        await pilot.press("2", "a")  # b: box_ticking rejected, cost accepted
        await pilot.press("x")  # c: nothing suggested, reviewed as uncoded
        await pilot.press("x")  # d: both suggestions rejected
        assert text(app, "#progress") == "Reviewed 4 of 4 (100%)\n■ Time  1\n■ Cost  1"

    play(store, script)
    assert actions(store) == [
        ("time", "reject"),
        ("time", "accept"),
        (None, "confirm"),
        ("box_ticking", "reject"),
        ("cost", "accept"),
        (None, "confirm"),
        (None, "confirm"),
        ("time", "reject"),
        ("cost", "reject"),
        (None, "confirm"),
    ]
    assert store.codings() == {
        "ana": {ids["a"]: {"time"}, ids["b"]: {"cost"}, ids["c"]: set(), ids["d"]: set()}
    }


def test_next_previous_skip_and_flag(store: Store) -> None:
    ids = ids_by_external(store)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("n", "n", "p")
        assert text(app, "#position").startswith("Comment 2 of 4   id b")
        await pilot.press("f")
        assert text(app, "#position").endswith("⚑ flagged")
        await pilot.press("s")
        assert text(app, "#position").startswith("Comment 3 of 4   id c")
        await pilot.press("4")  # c lists no theme
        assert notes(app) == ["No theme 4 here: press / to add one"]

    play(store, script)
    assert actions(store) == [(None, "flag"), (None, "skip")]
    state = store.comment_state(ids["b"], "ana")
    assert (state.flagged, state.skipped, state.reviewed) == (True, True, False)


def test_memo_dialog_saves_on_enter_and_escape_cancels(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("m", *"ask ben", "enter")
        assert text(app, "#memo") == "ask ben"
        await pilot.press("m", *" again", "escape")
        assert text(app, "#memo") == "ask ben"
        await pilot.press("m", *"!", "enter")  # the dialog opens on the memo there is
        assert text(app, "#memo") == "ask ben!"

    play(store, script)
    assert [(d.action, d.value) for d in store.decisions()] == [
        ("memo", "ask ben"),
        ("memo", "ask ben!"),
    ]


def test_slash_searches_the_whole_codebook_and_adds_the_chosen_theme(store: Store) -> None:
    c = ids_by_external(store)["c"]

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("n", "n")  # c: nothing suggested
        assert text(app, "#themes").startswith("No suggestions: press / to add one")
        await pilot.press("slash", *"workload", "enter")  # a word of time's definition
        assert text(app, "#themes") == "1 [x] ■ Time 0.02  added"  # the model's score
        await pilot.press("slash", *"bo", "escape")
        await pilot.press("slash", "down", "enter")  # the second theme of the codebook
        assert text(app, "#themes").splitlines()[1] == "2 [x] ■ Cost 0.03  added"
        assert text(app, "#definition").startswith("Barriers ›\n■ Cost")  # focused
        await pilot.press("slash", *"box", "enter", "a")

    play(store, script)
    assert actions(store, c) == [
        ("time", "add"),
        ("cost", "add"),
        ("box_ticking", "add"),
        (None, "confirm"),
    ]


def test_search_ranks_labels_first_then_other_fields() -> None:
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    assert [t.id for t in search_themes(book, "")] == ["time", "cost", "box_ticking"]
    assert [t.id for t in search_themes(book, "BOX")] == ["box_ticking"]
    assert [t.id for t in search_themes(book, "barriers")] == ["time", "cost"]  # the parent
    assert [t.id for t in search_themes(book, "time")] == ["time"]
    assert search_themes(book, "weather") == []
    merged = parse_codebook(
        TINY_CODEBOOK.replace(
            "label: Box-ticking\n", "label: Box-ticking\n    replaces: [tokenism]\n"
        )
    )
    assert [t.id for t in search_themes(merged, "tokenism")] == ["box_ticking"]  # its old id


def test_undo_and_backspace_go_back_steps_across_comments(store: Store) -> None:
    ids = ids_by_external(store)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("a", "1", "a")  # a accepted; b: cost rejected, accepted
        assert text(app, "#position").startswith("Comment 3 of 4   id c")
        await pilot.press("u")  # b's accept: back on b, not reviewed, cost still rejected
        assert text(app, "#position") == "Comment 2 of 4   id b  ·  comments.csv line 3"
        assert text(app, "#themes").splitlines()[0].endswith("rejected")
        await pilot.press("backspace", "backspace")  # cost's reject, then a's accept
        assert text(app, "#position").startswith("Comment 1 of 4   id a")
        await pilot.press("u")
        assert notes(app) == ["Nothing left to undo"]

    play(store, script)
    log = store.decisions()
    assert [d.action for d in log].count("undo") == 5
    assert {d.undoes for d in log if d.action == "undo"} == {
        d.id for d in log if d.action != "undo"
    }
    assert store.codings() == {}
    assert store.comment_state(ids["b"], "ana").themes == {}


def test_undoing_a_decision_on_a_comment_outside_the_list_says_so(store: Store) -> None:
    ReviewSession(store, "ana", order="file").accept()  # a, before this session

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        assert text(app, "#position").startswith("Comment 1 of 3   id b")
        await pilot.press("u")
        assert notes(app) == ["Undid a decision on comment a, which is not in this review's list"]
        assert text(app, "#position").startswith("Comment 1 of 3   id b")

    play(store, script, only_unreviewed=True)
    assert store.codings() == {}


def test_review_resumes_where_the_reviewer_stopped_and_q_quits(store: Store) -> None:
    async def first(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("a", "s", "q")
        assert not app.is_running

    async def again(pilot: Pilot, app: ReviewApp) -> None:
        assert text(app, "#position").startswith("Comment 3 of 4   id c")
        assert text(app, "#progress") == "Reviewed 1 of 4 (25%)\n■ Time  1"

    play(store, first)
    play(store, again)


def test_errors_are_shown_on_screen_and_review_goes_on(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("n", "n", "n", "n")
        assert text(app, "#position").startswith("End of the list: 0 of 4 comments reviewed.")
        await pilot.press("a", "3", "slash")
        assert notes(app) == ["no comment is shown: the end of the list was reached"]
        assert app.is_running
        await pilot.press("p")
        assert text(app, "#position").startswith("Comment 4 of 4   id d")

    play(store, script)
    assert store.decisions() == []


def test_question_mark_shows_the_keys(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = text(app, "#help")
        assert "u  backspace   undo the last decision, on whichever comment it was" in shown
        await pilot.press("a")  # keys do nothing under the help
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)

    play(store, script)
    assert store.decisions() == []


def sized(store: Store, script: Script, size: tuple[int, int], **options) -> ReviewApp:
    """`play` in a terminal of `size`."""
    app = ReviewApp(ReviewSession(store, "ana", **{"order": "file", **options}))

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot, app)

    asyncio.run(main())
    return app


def test_help_and_quit_are_in_the_footer_of_an_80_column_terminal(store: Store) -> None:
    from textual.widgets._footer import FooterKey

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        seen = [k.description for k in app.screen.query(FooterKey) if k.region.right <= 80]
        assert seen[:3] == ["help", "quit", "toggle"]

    sized(store, script, (80, 24))


def test_the_help_scrolls_where_the_terminal_is_short(store: Store) -> None:
    from textual.containers import VerticalScroll

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        assert scroll.max_scroll_y > 0  # the last keys are below the box
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y

    sized(store, script, (80, 16))


def test_theme_rows_are_cut_to_one_line_each_in_a_narrow_terminal(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("n")  # b: cost and box-ticking suggested
        await pilot.pause()
        shown = text(app, "#themes").splitlines()
        assert len(shown) == 2 and all(row.endswith("…") for row in shown)
        assert shown[0].startswith("1 [x] ■ Cost")

    sized(store, script, (60, 30))


def cells(app: ReviewApp) -> list[tuple[str, ...]]:
    """The list's rows as plain text."""
    table = app.screen.query_one(DataTable)
    return [tuple(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)]


def test_l_lists_the_comments_and_enter_opens_one(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("a", "l")  # "a" reviewed with its suggestion; then the list
        assert isinstance(app.screen, CommentList)
        assert text(app, "#list-title").startswith("Comments 1-4 of 4, in this review's order.")
        assert cells(app) == [
            ("1", "a", "✓", "Time", "No time at all."),
            ("2", "b", "", "Cost, Box-ticking", "Budget cut, tick box."),
            ("3", "c", "", "", "The weather was nice."),
            ("4", "d", "", "Time, Cost", "Busy rota, no funding."),
        ]
        assert app.screen.query_one(DataTable).cursor_row == 1  # on the comment shown, "b"
        await pilot.press("down", "enter")
        assert not isinstance(app.screen, CommentList)
        assert text(app, "#position").startswith("Comment 3 of 4   id c")
        await pilot.press("l", "up", "escape")  # back: nothing opened, nothing recorded
        assert text(app, "#position").startswith("Comment 3 of 4   id c")

    play(store, script)
    assert actions(store) == [("time", "accept"), (None, "confirm")]


def test_slash_in_the_list_finds_comments_by_words_or_id(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("l", "slash", *"NO ", "enter")  # words, case aside: "a" and "d"
        assert [row[1] for row in cells(app)] == ["a", "d"]
        assert text(app, "#list-title").startswith("Comments 1-2 of 2, matching 'NO'.")
        await pilot.press("slash", *"tick box", "enter")  # every word, anywhere
        assert [row[1] for row in cells(app)] == ["b"]
        await pilot.press("slash", "ctrl+u", "c", "enter")  # an id first, then the words
        assert [row[1] for row in cells(app)] == ["c", "b"]
        await pilot.press("slash", "ctrl+u", *"zzz", "enter")
        assert cells(app) == []
        assert text(app, "#list-title").startswith("No comment matching 'zzz'.")
        await pilot.press("slash", "ctrl+u", *"funding", "enter", "enter")
        assert text(app, "#position").startswith("Comment 4 of 4   id d")

    play(store, script)
    assert store.decisions() == []


def test_a_blind_reviewers_list_shows_no_suggestions(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("slash", *"cost", "enter", "a", "l")  # "a" coded Cost, blind
        assert [row[3] for row in cells(app)] == ["Cost", "", "", ""]

    play(store, script, mode="blind")


def test_the_list_turns_pages_of_a_hundred_and_shows_markup_literally(tmp_path: Path) -> None:
    rows = [
        (f"r{n}", f"[bold]Comment {n}[/bold]", {"time": 0.1, "cost": 0.1}, {})
        for n in range(1, 251)
    ]
    store = make_project(tmp_path / "p.db", rows)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("l", "right_square_bracket")
        assert text(app, "#list-title").startswith("Comments 101-200 of 250")
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert text(app, "#list-title").startswith("Comments 201-250 of 250")
        assert cells(app)[-1] == ("250", "r250", "", "", "[bold]Comment 250[/bold]")
        assert "[bold]Comment 201[/bold]" in text(app, "DataTable")  # shown as written
        await pilot.press("left_square_bracket", "down", "enter")
        assert text(app, "#position").startswith("Comment 102 of 250   id r102")

    play(store, script)
    assert store.decisions() == []


# --- blind coding and adjudication -------------------------------------------------------------


def test_blind_review_shows_no_suggestions_scores_or_other_coders(store: Store) -> None:
    ben = ReviewSession(store, "ben", order="file")
    ben.accept()  # ben codes a with time

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("n")  # b: two suggestions, one by a rule
        assert text(app, "#themes").startswith("No themes yet: press / to add one")
        assert highlighted(app) == {}
        shown = screen(app)
        for hidden in ("0.45", "0.30", "model", "rule", "suggested", "Cost", "ben"):
            assert hidden not in shown
        await pilot.press("slash", *"cost", "enter")
        assert text(app, "#themes") == "1 [x] ■ Cost added"
        await pilot.press("a", "p", "p")
        assert text(app, "#themes").startswith("No themes yet")  # a, as ben coded it: unseen

    play(store, script, mode="blind")
    b = ids_by_external(store)["b"]
    assert store.codings()["ana"] == {b: {"cost"}}


def test_adjudication_shows_each_coders_themes_and_records_the_final_coding(store: Store) -> None:
    ids = ids_by_external(store)
    for name, themes in (("ana", ["time", "cost"]), ("ben", ["time"])):
        coder = ReviewSession(store, name, order="file", mode="blind")
        coder.go_to(ids["b"])
        for theme in themes:
            coder.toggle(theme)
        coder.accept()

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        assert text(app, "#position").startswith("Comment 1 of 1   id b")
        assert text(app, "#coders") == "ana  Time, Cost\nben  Time"
        assert text(app, "#themes").splitlines() == [
            "1 [x] ■ Time ana, ben",
            "2 [ ] ■ Cost ana",
        ]
        await pilot.press("2")
        assert text(app, "#themes").splitlines()[1] == "2 [x] ■ Cost ana       accepted"
        await pilot.press("a")

    play(store, script, reviewer="cy", mode="adjudicate")
    assert store.adjudicated() == {ids["b"]: {"time", "cost"}}
    assert store.codings() == {"ana": {ids["b"]: {"time", "cost"}}, "ben": {ids["b"]: {"time"}}}


# --- the learning loop -------------------------------------------------------------------------


def test_a_key_on_suggestions_changed_meanwhile_is_refused_and_the_screen_repainted(
    store: Store,
) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        shown = app.shown
        assert "Time" in text(app, "#themes")
        # another reviewer's retrain re-scores comment a while it is on this screen
        run_id = add_run(store, "retrained")
        scores = {"time": 0.1, "cost": 0.9, "box_ticking": 0.0}
        store.add_scores(
            run_id, [(shown.id, result(ROWS[0][1], scores, {"cost": "model"}))], THRESHOLDS
        )
        await pilot.press("a")
        assert store.decisions() == []
        assert notes(app)[-1].startswith("comment a changed in the project since it was shown")
        assert "Cost" in text(app, "#themes") and "Time" not in text(app, "#themes")
        await pilot.press("a")  # now on what the screen shows
        assert [(d.theme, d.action) for d in store.decisions()] == [
            ("cost", "accept"),
            (None, "confirm"),
        ]

    play(store, script)


def test_r_retrains_in_the_background_while_review_goes_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = ids_by_external(store)
    coder = ReviewSession(store, "ben", order="file", mode="blind")
    for comment, themes in (("a", ["time"]), ("b", ["cost"]), ("c", [])):
        coder.go_to(ids[comment])
        for theme in themes:
            coder.toggle(theme)
        coder.accept()
    # Hold the retraining thread between training and re-scoring, to act on the screen meanwhile.
    trained, go_on = threading.Event(), threading.Event()
    rescore = learning.rescore

    def held(*args, **kwargs):
        trained.set()
        assert go_on.wait(30)
        return rescore(*args, **kwargs)

    monkeypatch.setattr(learning, "rescore", held)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        try:
            await retrain_meanwhile(pilot, app)
        finally:
            go_on.set()  # else the app would wait for the thread on the way out

    async def retrain_meanwhile(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("r")
        assert await asyncio.to_thread(trained.wait, 30)
        await pilot.pause()
        assert text(app, "#status").startswith("Fitting the model with C=")
        await pilot.press("a", "r")  # the screen answers while the thread works
        ana = [(d.theme, d.action) for d in store.decisions(ids["a"]) if d.reviewer == "ana"]
        assert ana == [("time", "accept"), (None, "confirm")]
        assert text(app, "#position").startswith("Comment 2 of 4   id b")
        assert notes(app) == ["Already retraining; keep reviewing meanwhile"]
        go_on.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert notes(app)[1:] == [
            "Retrained on 3 reviewed comments; re-scored 1 unreviewed comments as run 2. Too "
            "few to cross-validate, so nobody can tell whether its suggestions are better than "
            f"those they replaced. To take it back: coder runs {store.path} --withdraw 2"
        ]
        assert text(app, "#status") == ""
        assert text(app, "#position").startswith("Comment 2 of 4   id b")  # still there

    play(store, script)
    assert [run.model for run in store.runs()] == ["test model", "retrained on 3 reviewed comments"]
    assert store.latest(ids["d"]).run_id == 2  # nobody reviewed d: re-scored
    assert store.latest(ids["a"]).run_id == 1


def test_r_is_refused_in_a_blind_session(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("r")
        assert app._retrainer is None
        assert notes(app) == [
            "r is not for a blind session: a model of your coding would replace the "
            "suggestions the others review. Retrain once the sample is coded: coder train "
            "--db PROJECT"
        ]

    play(store, script, mode="blind")


def test_a_retrain_that_kept_the_suggestions_says_why() -> None:
    from coder.learning import Relearned
    from coder.review_app import _retrained

    kept = Relearned(None, 150, 2, None, 0, kept=(0.77, 0.81, 150))  # type: ignore[arg-type]
    assert _retrained(kept, Path("p.db")) == (
        "Retrained on 150 reviewed comments; left out 2 whose reviewers differ, but its "
        "cross-validated micro-F1 (0.77) is below that of the current suggestions on the 150 "
        "reviewed comments they were measured on (0.81): the current suggestions are kept. "
        "Retrain again after more reviews (the model before learnt from comments this project "
        "has not got)"
    )


def test_a_retrain_says_when_the_model_it_replaced_learnt_from_more(store: Store) -> None:
    from coder.learning import Relearned, train_from_project
    from coder.review_app import _retrained

    review = ReviewSession(store, "ana", order="file")
    review.accept()
    review.accept()
    model, _ = train_from_project(store.path, folds=2)
    said = _retrained(Relearned(model, 2, 0, 2, 2, replaced_labelled=5473), store.path)
    assert said.startswith("Retrained on 2 reviewed comments; re-scored 2 unreviewed comments")
    assert (
        ". The suggestions it replaced came from a model trained on 5,473 labelled comments: on "
        "the comments nobody has reviewed, one trained on fewer may do worse (the reviewed ones, "
        "the hardest calls, cannot tell). To take it back: "
    ) in said


def test_a_failed_retrain_says_why(store: Store) -> None:
    async def script(pilot: Pilot, app: ReviewApp) -> None:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert notes(app) == [
            f"Retraining failed: project {store.path} has no reviewed comments yet: review "
            f"some with `coder review {store.path}` first"
        ]

    play(store, script)


# --- the command -------------------------------------------------------------------------------


def review_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["review", *args])
    return result.exit_code, result.output


def test_review_without_a_terminal_is_a_clear_error(store: Store) -> None:
    assert review_cli(str(store.path), "--reviewer", "ana") == (
        1,
        "Error: coder review needs an interactive terminal; run it in a terminal window, with "
        "nothing piped in or out (`coder status PROJECT` reports progress without one)\n",
    )


def test_review_of_a_project_the_user_cannot_write_is_refused_before_the_screen(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (tests run as root, whom file modes do not stop: the permission check is stood in for)
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)
    assert review_cli(str(store.path), "--reviewer", "ana") == (
        1,
        f"Error: project {store.path} is read-only to you, and review records each decision "
        "in it; `coder status` and `coder export` can read it. To review, copy it to a folder "
        "you can write to, or ask its owner for write access\n",
    )


def test_a_locked_project_says_so_not_that_it_is_no_project(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from coder import store as store_module
    from coder.errors import StoreError

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.1)
    store.close()
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE other_programs_work (x)")
    try:
        with pytest.raises(StoreError) as caught:
            Store(store.path, create=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert str(caught.value) == (
        f"cannot open project {store.path}: another program has it locked (database is "
        "locked); try again once it is done"
    )


def test_review_of_a_missing_empty_or_finished_project_says_what_to_do(
    store: Store, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.db"
    assert review_cli(str(missing)) == (
        1,
        f"Error: project {missing} does not exist; create it with "
        f"`coder tag INPUT --db {missing}`\n",
    )
    Store(tmp_path / "empty.db").close()
    code, output = review_cli(str(tmp_path / "empty.db"), "--reviewer", "ana")
    assert (code, output.split(";")[0]) == (
        1,
        f"Error: project {tmp_path / 'empty.db'} has no comments yet",
    )
    session = ReviewSession(store, "ana", order="file")
    for _ in ROWS:
        session.accept()
    assert review_cli(str(store.path), "--reviewer", "ana", "--only-unreviewed") == (
        1,
        f"Error: ana has reviewed every comment in {store.path}; leave out --only-unreviewed "
        "to go over them again\n",
    )
    session.go_to(store.order("file")[2])
    session.toggle("time")  # c, the only one with no theme, now has one
    assert review_cli(str(store.path), "--reviewer", "ana", "--uncoded") == (
        1,
        f"Error: every comment in {store.path} has a theme: none is left uncoded\n",
    )
    assert review_cli(str(store.path), "--reviewer", "ana", "--adjudicate") == (
        1,
        f"Error: nothing to adjudicate in {store.path}: no comment was coded differently by two "
        "reviewers (see `coder agree --disagreements`)\n",
    )
    assert review_cli(str(store.path), "--blind", "--adjudicate") == (
        1,
        "Error: choose --blind or --adjudicate, not both\n",
    )
    assert review_cli(str(store.path), "--reviewer", "ben", "--coded", "time") == (
        1,
        f"Error: ben has coded no comment in {store.path} with theme 'time'\n",
    )
    assert review_cli(str(store.path), "--reviewer", "ben", "--flagged") == (
        1,
        f"Error: no comment in {store.path} is flagged for discussion (f on the review screen "
        "flags the comment shown)\n",
    )


def test_review_options_reach_the_session(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[ReviewSession] = []
    monkeypatch.setattr("coder.review_app.require_terminal", lambda: None)
    monkeypatch.setattr(ReviewApp, "run", lambda app: started.append(app.session))
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    assert review_cli(str(store.path)) == (0, "")
    assert review_cli(str(store.path), "--reviewer", "ana", "--order", "random", "--blind") == (
        0,
        "",
    )
    args = ("--reviewer", "cy", "--theme", "cost", "--only-unreviewed", "--order", "file")
    assert review_cli(str(store.path), *args) == (0, "")
    assert review_cli(str(store.path), "--reviewer", "dee", "--uncoded") == (0, "")
    default, blind, narrowed, leftovers = started
    assert (default.reviewer, default.mode, default.settings["order"]) == (
        "osuser",
        "review",
        "uncertain",
    )
    assert (blind.reviewer, blind.mode, blind.settings["order"]) == ("ana", "blind", "random")
    assert narrowed.settings == {
        "order": "file",
        "theme": "cost",
        "only_unreviewed": True,
        "seed": 0,
        "uncoded": False,
        "question": None,
        "coded": None,
        "flagged": False,
    }
    assert [store.comment(i).external_id for i in narrowed.ids] == ["b", "d"]
    assert [store.comment(i).external_id for i in leftovers.ids] == ["c"]


# --- a real terminal, and kill -9 --------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_kill_9_in_a_terminal_loses_no_decision_shown_as_made(store: Store) -> None:
    """`coder review` in a pseudo-terminal: a decision is on disk once the next comment shows."""
    import fcntl
    import pty
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal's program
        os.chdir(ROOT)
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
        command = [sys.executable, "-m", "coder", "review", str(store.path), "--reviewer", "ana"]
        os.execve(sys.executable, [*command, "--order", "file"], env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        wait_for(fd, b"Comment 1 of 4")
        os.write(fd, b"a")
        wait_for(fd, b"Comment 2 of 4")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    assert actions(store) == [("time", "accept"), (None, "confirm")]


def wait_for(fd: int, wanted: bytes, timeout: float = 30.0) -> None:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted!r} not shown; the terminal got: {seen[-2000:]!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the program ended
                break
    assert wanted in seen, seen[-2000:]


def test_flagged_review_shows_who_flagged_and_their_memos(store: Store) -> None:
    ana = ReviewSession(store, "ana", order="file")
    ana.next()
    ana.flag()  # b
    ana.memo("Rota: [bold]cost[/] or time?")  # markup in a memo shows as typed

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        shown = " ".join(screen(app).split())
        assert "⚑ flagged by ana" in shown
        assert "no memo (m to write one) ana: Rota: [bold]cost[/] or time?" in shown
        await pilot.press("f")  # ben flags it too
        await pilot.pause()

    play(store, script, reviewer="ben", flagged=True)
    assert store.flags() == {ana.ids[1]: {"ana": "Rota: [bold]cost[/] or time?", "ben": ""}}


def test_a_long_theme_list_scrolls_with_the_focus_and_space_toggles_past_the_tenth(
    tmp_path: Path,
) -> None:
    themes = "".join(f"  - id: t{i:02}\n    label: Theme {i:02}\n" for i in range(1, 15))
    book = parse_codebook(f"name: Many\nversion: '1'\nthemes:\n{themes}", "many.yaml")
    store = Store(tmp_path / "p.db")
    run_id = store.add_run(store.add_codebook(book), "many", {})
    suggestions = [Suggestion(t, t, 0.9, "model", ()) for t in book.codable_ids]
    comment = "A comment every theme fits, and a long one: " + "more words. " * 600
    result = CommentResult(comment, dict.fromkeys(book.codable_ids, 0.9), suggestions)
    store.import_batch(run_id, "survey.csv", [(NewComment("r1", 2, comment, {}), result)], {})

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        listed = text(app, "#themes")
        assert "Theme 12" in listed and "Theme 13" not in listed
        assert listed.endswith("↓ 2 more (j, then space codes or uncodes)")
        await pilot.press(*["j"] * 13, "space")  # the 14th, which has no number key
        listed = text(app, "#themes")
        assert listed.startswith("↑ 2 more (k)") and "Theme 14" in listed
        assert [(d.theme, d.action) for d in store.decisions()] == [("t14", "reject")]
        left = app.query_one("#left")
        assert left.scroll_y == 0 and left.max_scroll_y > 0
        await pilot.press("pagedown")
        assert left.scroll_y > 0

    play(store, script)


def test_a_key_on_a_project_another_program_holds_fails_soon_and_records_nothing(
    store: Store, tmp_path: Path
) -> None:
    """The screen cannot repaint while a key waits for a lock: it waits two seconds, not the
    store's usual ten, then says so, and the key works again once the lock is let go."""
    holder = sqlite3.connect(tmp_path / "p.db", isolation_level=None)

    async def script(pilot: Pilot, app: ReviewApp) -> None:
        holder.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        await pilot.press("a")
        waited = time.monotonic() - started
        holder.execute("ROLLBACK")
        assert 1.5 < waited < 6
        assert notes(app) == [
            f"cannot write to project {tmp_path / 'p.db'}: database is locked; another program "
            "has held it too long: nothing was recorded, try again"
        ]
        assert text(app, "#position").startswith("Comment 1 of 4")
        await pilot.press("a")
        assert text(app, "#position").startswith("Comment 2 of 4")

    play(store, script)
    assert {d.comment_id for d in store.decisions()} == {1}
    assert [d.action for d in store.decisions()].count("accept") == 1
