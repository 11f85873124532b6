"""The review logic without a screen: what a comment shows, what each key records, undo,
ordering, resuming, blind coding, adjudication and the learning loop."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from projects import (
    ROWS,
    THEMES,
    THRESHOLDS,
    add_run,
    drawn,
    first_run,
    ids_by_external,
    make_project,
    result,
)

from coder.errors import ChangedError, InputError, LabelError, StoreError
from coder.learning import retrain, train_from_project
from coder.review import Progress, ReviewSession, disagreements
from coder.review_render import done_text, memo_text, position_line, progress_text
from coder.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_project(tmp_path / "p.db")


def session(store: Store, reviewer: str = "ana", **options) -> ReviewSession:
    return ReviewSession(store, reviewer, **{"order": "file", **options})


def actions(store: Store, comment_id: int | None = None) -> list[tuple[str | None, str]]:
    return [(d.theme, d.action) for d in store.decisions(comment_id)]


def ext(store: Store, ids: list[int]) -> list[str]:
    return [store.comment(i).external_id for i in ids]


# --- what is shown -----------------------------------------------------------------------------


def test_a_comment_shows_its_text_attributes_and_suggestions_with_score_source_evidence(
    store: Store,
) -> None:
    view = session(store).next()  # b
    assert view is not None
    assert (view.external_id, view.text, view.attributes) == ("b", ROWS[1][1], {"n": "3"})
    assert (view.source, view.row_number, view.position, view.total) == ("comments.csv", 3, 1, 4)
    assert [(r.theme, r.label, r.on, r.suggested, r.score, r.source) for r in view.themes] == [
        ("cost", "Cost", True, True, 0.45, "model"),
        ("box_ticking", "Box-ticking", True, True, 0.3, "rule"),
    ]
    assert [(e.text, e.start, e.end) for e in view.themes[0].evidence] == [("Budget", 0, 6)]
    assert view.codes == ["cost", "box_ticking"]
    assert view.scores == ROWS[1][2]
    assert (view.reviewed, view.flagged, view.memo, view.run_id) == (False, False, "", 1)


# --- deciding ----------------------------------------------------------------------------------


def test_accept_keeps_the_codes_as_shown_marks_reviewed_and_moves_on(store: Store) -> None:
    review = session(store)
    first = review.current()
    assert first is not None and first.external_id == "a"
    after = review.accept()
    assert after is not None and after.external_id == "b"
    assert actions(store, first.id) == [("time", "accept"), (None, "confirm")]
    assert store.codings() == {"ana": {first.id: {"time"}}}


def test_toggle_rejects_and_restores_a_suggestion_and_adds_and_removes_another_theme(
    store: Store,
) -> None:
    review = session(store)
    a = review.current().id
    assert review.toggle("time").codes == []
    assert review.toggle("time").codes == ["time"]
    assert review.toggle("cost").codes == ["time", "cost"]
    view = review.toggle("cost")
    assert view.codes == ["time"]
    assert [(r.theme, r.suggested, r.decision) for r in view.themes] == [
        ("time", True, "accept"),
        ("cost", False, "remove"),
    ]
    assert actions(store) == [
        ("time", "reject"),
        ("time", "accept"),
        ("cost", "add"),
        ("cost", "remove"),
    ]
    assert store.codings() == {}  # toggled, not yet accepted: not reviewed
    review.accept()
    assert store.codings() == {"ana": {a: {"time"}}}


def test_add_codes_any_theme_once_and_reject_all_codes_nothing(store: Store) -> None:
    review = session(store)
    a = review.current().id
    assert review.add("box_ticking").codes == ["time", "box_ticking"]
    assert review.add("box_ticking").codes == ["time", "box_ticking"]
    assert actions(store) == [("box_ticking", "add")]
    review.reject_all()
    assert actions(store)[1:] == [("time", "reject"), ("box_ticking", "remove"), (None, "confirm")]
    assert store.codings() == {"ana": {a: set()}}
    with pytest.raises(LabelError) as caught:
        review.add("weather")
    assert str(caught.value) == (
        "unknown theme 'weather' (codebook 'Tiny' has: time, cost, box_ticking)"
    )


def test_flag_memo_and_skip(store: Store) -> None:
    review = session(store)
    a = review.current().id
    assert review.flag().flagged
    assert review.memo("ask the team about this").memo == "ask the team about this"
    assert not review.flag().flagged
    assert review.skip().external_id == "b"
    assert actions(store, a) == [(None, "flag"), (None, "memo"), (None, "unflag"), (None, "skip")]
    state = store.comment_state(a, "ana")
    assert (state.flagged, state.memo, state.skipped, state.reviewed) == (
        False,
        "ask the team about this",
        True,
        False,
    )


def test_undo_goes_back_many_steps_across_comments_and_never_deletes(store: Store) -> None:
    review = session(store)
    a = review.current().id
    b = review.accept().id  # a: accept time + confirm
    review.toggle("cost")  # b: reject cost
    review.accept()  # b: accept box_ticking + confirm; now on c
    view = review.undo()
    assert (view.id, view.reviewed, view.codes) == (b, False, ["box_ticking"])
    view = review.undo()
    assert (view.id, view.codes) == (b, ["cost", "box_ticking"])
    view = review.undo()
    assert (view.id, view.reviewed, view.codes) == (a, False, ["time"])
    assert review.undo() is None
    assert store.codings() == {}
    log = store.decisions()
    assert len(log) == 10 and [d.action for d in log].count("undo") == 5
    undone = {d.undoes for d in log if d.action == "undo"}
    assert undone == {d.id for d in log if d.action != "undo"}


def test_nothing_to_decide_past_the_end(store: Store) -> None:
    review = session(store)
    for _ in range(4):
        review.next()
    assert review.done and review.current() is None
    with pytest.raises(InputError) as caught:
        review.accept()
    assert str(caught.value) == "no comment is shown: the end of the list was reached"
    assert review.previous().external_id == "d"


def test_next_past_the_end_goes_to_the_comments_left_behind(store: Store) -> None:
    """a and c skipped, b and d accepted: at the end, `n` goes back to a, then on to c."""
    review = session(store)
    review.skip()
    review.accept()
    review.skip()
    review.accept()
    assert review.done and review.left == 2
    assert review.next().external_id == "a"
    assert review.accept().external_id == "b"  # within the list, the next as before
    for _ in range(3):
        review.next()
    assert review.done and review.next().external_id == "c"
    assert review.accept().external_id == "d"
    review.next()
    assert review.done and review.left == 0
    assert review.next() is None


# --- order, filters, resume --------------------------------------------------------------------


def test_orders_file_uncertain_and_seeded_random(store: Store) -> None:
    assert ext(store, session(store).ids) == ["a", "b", "c", "d"]
    uncertain = drawn(ids_by_external(store), first_run())
    assert ext(store, session(store, order="uncertain").ids) == uncertain
    shuffled = session(store, order="random", seed=1).ids
    assert shuffled == session(store, order="random", seed=1).ids
    assert sorted(shuffled) == sorted(session(store).ids)
    seeds = {tuple(session(store, order="random", seed=s).ids) for s in range(10)}
    assert len(seeds) > 1
    with pytest.raises(InputError) as caught:
        session(store, order="alphabetical")
    assert str(caught.value) == "unknown order 'alphabetical'; use one of uncertain, random, file"


def test_a_theme_and_only_unreviewed_narrow_the_list(store: Store) -> None:
    assert ext(store, session(store, theme="time").ids) == ["a", "d"]
    review = session(store)
    review.accept()
    review.next()
    review.accept()
    assert ext(store, session(store, only_unreviewed=True).ids) == ["b", "d"]
    assert ext(store, session(store, "ben", only_unreviewed=True).ids) == ["a", "b", "c", "d"]


def test_uncoded_lists_the_comments_with_no_theme_suggested_or_coded(store: Store) -> None:
    assert ext(store, session(store, uncoded=True).ids) == ["c"]  # nothing suggested
    review = session(store)
    review.reject_all()  # a: coded with nothing
    review.accept()  # b: as suggested
    review.toggle("cost")  # c: a theme added
    review.accept()
    leftovers = session(store, uncoded=True)
    assert ext(store, leftovers.ids) == ["a"]
    assert leftovers.settings["uncoded"] is True
    # Another reviewer's leftovers are their own: the suggestions, as nobody reviewed them.
    assert ext(store, session(store, "ben", uncoded=True).ids) == ["c"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"theme": "time", "uncoded": True},
            "choose --theme or --uncoded, not both",
        ),
        (
            {"mode": "blind", "uncoded": True},
            "blind coding shows no suggestions, so it cannot pick the comments suggested no "
            "theme: leave out --uncoded",
        ),
        (
            {"mode": "adjudicate", "uncoded": True},
            "adjudication goes through the comments coders differ on: leave out --uncoded",
        ),
        ({"coded": "time", "uncoded": True}, "choose --coded or --uncoded, not both"),
        (
            {"coded": "time", "only_unreviewed": True},
            "--coded picks comments you reviewed: leave out --only-unreviewed",
        ),
        (
            {"coded": "time", "mode": "adjudicate"},
            "adjudication goes through the comments coders differ on: leave out --coded",
        ),
    ],
)
def test_uncoded_and_coded_are_refused_where_they_cannot_pick_comments(
    store: Store, options: dict, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        ReviewSession(store, "ana", **options)
    assert str(caught.value) == message


def test_coded_lists_the_comments_you_coded_with_a_theme(store: Store) -> None:
    review = session(store)
    review.accept()  # a: time, as suggested
    review.toggle("time")  # b: cost and box_ticking suggested; time added
    review.accept()
    review.toggle("time")  # c: time added, then the comment left unconfirmed
    assert ext(store, session(store, coded="time").ids) == ["a", "b"]
    assert ext(store, session(store, coded="cost").ids) == ["b"]
    assert ext(store, session(store, coded="cost", theme="box_ticking").ids) == ["b"]
    assert session(store, coded="time").settings["coded"] == "time"
    assert session(store, coded=" COST ").ids == session(store, coded="cost").ids  # a label
    assert session(store, theme="Box-ticking").ids == session(store, theme="box_ticking").ids
    # Another reviewer's coding is their own; blind coding picks by your coding too.
    assert session(store, "ben", coded="time").ids == []
    assert ext(store, session(store, coded="time", mode="blind").ids) == ["a", "b"]
    with pytest.raises(LabelError, match="unknown theme 'tyme'"):
        session(store, coded="tyme")


def test_flagged_lists_the_comments_any_coder_flagged_with_their_memos(store: Store) -> None:
    ana = session(store)
    ana.next()
    ana.flag()  # b
    ana.memo("Is a rota cost or time?")
    ben = session(store, "ben")
    ben.go_to(ana.ids[3])
    ben.flag()  # d
    ben.go_to(ana.ids[1])
    ben.flag()  # b, no memo
    ben.go_to(ana.ids[2])
    ben.flag()
    ben.flag()  # c: flagged, then unflagged
    flagged = session(store, "ben", flagged=True)
    assert ext(store, flagged.ids) == ["b", "d"]
    b = flagged.current()
    assert (b.flagged, b.flagged_by, b.memo) == (True, {"ana": "Is a rota cost or time?"}, "")
    screen = session(store, "cy", flagged=True).current()
    assert screen.flagged_by == {"ana": "Is a rota cost or time?", "ben": ""}
    assert "⚑ flagged by ana, ben" in position_line(screen).plain
    assert memo_text(screen).plain == "no memo (m to write one)\nana: Is a rota cost or time?"
    assert session(store, flagged=True, theme="box_ticking").ids == [ana.ids[1]]
    with pytest.raises(InputError, match="leave out --flagged"):
        session(store, flagged=True, mode="adjudicate")
    with pytest.raises(InputError, match="blind coding shows nothing of other coders'"):
        session(store, flagged=True, mode="blind")


def test_review_resumes_where_the_reviewer_stopped(store: Store) -> None:
    review = session(store)
    review.accept()
    review.skip()
    review.toggle("time")  # c: started, not finished
    assert session(store).current().external_id == "c"
    assert session(store, "ben").current().external_id == "a"
    review.accept()
    review.accept()  # d; only the skipped b is left
    again = session(store)
    assert again.current().external_id == "b"
    again.accept()
    assert session(store).done


def test_reviewed_comments_come_first_so_the_next_one_is_never_reviewed_already(
    store: Store,
) -> None:
    """c reviewed out of turn (from the list), then a: reopened, the order puts them first,
    resumes on b, and moves from b to d, not to the reviewed c (a retrain's new order
    scattered reviewed comments so)."""
    review = session(store)
    review.go_to(ids_by_external(store)["c"])
    review.accept()
    review.go_to(ids_by_external(store)["a"])
    review.accept()
    again = session(store)
    assert ext(store, again.ids) == ["a", "c", "b", "d"]
    assert again.current().external_id == "b"
    assert again.accept().external_id == "d"
    assert again.previous().external_id == "b"
    assert again.previous().external_id == "c"


def test_going_over_coded_or_flagged_comments_again_starts_at_the_first(store: Store) -> None:
    review = session(store)
    review.flag()
    review.accept()  # a: time
    review.toggle("time")
    review.accept()  # b: time added
    for picked in (session(store, coded="time"), session(store, flagged=True)):
        assert not picked.done and picked.current().external_id == "a"


def test_a_theme_added_is_numbered_after_those_shown(store: Store) -> None:
    """The number keys keep pointing at the themes they did: an added theme comes last, in
    the order added, not in its codebook place."""
    review = session(store)  # a: time suggested
    review.add("box_ticking")
    view = review.add("cost")  # before box_ticking in the codebook
    assert [row.theme for row in view.themes] == ["time", "box_ticking", "cost"]
    assert [row.theme for row in session(store).current().themes] == [
        "time",
        "box_ticking",
        "cost",
    ]


def test_undo_takes_back_this_window_s_steps_not_another_s_made_since(store: Store) -> None:
    """The same reviewer in two windows: each undoes its own steps, and those made before it
    opened; never a step the other window made meanwhile."""
    earlier = session(store)
    earlier.accept()  # a, before both windows opened
    first = session(store)
    with Store(store.path) as other_store:
        second = session(other_store)
        first.accept()  # b
        assert second.current().external_id == "b"
        assert second.current().reviewed  # shown as the project has it now
        undone = second.undo()
        assert undone.external_id == "a"  # its own past: the step before it opened
        assert second.undo() is None
    undone = first.undo()
    assert (undone.external_id, undone.reviewed) == ("b", False)


def test_the_same_memo_again_records_nothing(store: Store) -> None:
    """m then Enter on a comment with no memo: no empty memo in the log, for u to take back."""
    review = session(store)
    review.memo("")
    review.memo("rota")
    review.memo("rota")
    assert actions(store) == [(None, "memo")]


def test_progress_counts_reviewed_comments_and_their_themes(store: Store) -> None:
    review = session(store)
    review.accept()  # a: time
    review.accept()  # b: cost, box_ticking
    review.toggle("time")  # c: started only
    progress = review.progress()
    assert (progress.reviewed, progress.total) == (2, 4)
    assert progress.themes == {"time": 1, "cost": 1, "box_ticking": 1}
    assert session(store, theme="time").progress().reviewed == 1


def test_progress_panel_counts_the_most_used_themes_and_says_how_many_others(
    store: Store,
) -> None:
    book = store.latest_codebook()
    progress = Progress(reviewed=6, total=8, themes={"time": 3, "cost": 1, "box_ticking": 2})
    assert progress_text(progress, book, {}, most=2).plain == (
        "Reviewed 6 of 8 (75%)\n■ Time  3\n■ Box-ticking  2\n… and 1 other theme"
    )
    assert progress_text(progress, book, {}).plain.count("■") == 3


def test_a_comment_is_placed_by_its_sheet_row_or_its_file_line(store: Store) -> None:
    from dataclasses import replace

    view = session(store).current()
    assert position_line(view).plain.endswith("comments.csv line 2")
    for source in ("survey.xlsx", "survey.XLSM", "survey.xlsx[Site B]"):
        placed = position_line(replace(view, source=source)).plain
        assert placed.endswith(f"{source} row 2")


def test_the_end_of_the_list_says_how_many_are_left_and_how_to_reach_them() -> None:
    assert done_text(Progress(reviewed=11, total=12, themes={})).plain == (
        "End of the list: 11 of 12 comments reviewed.\n1 not reviewed yet (skipped, or passed "
        "with n): n goes to the first. p goes back to the last comment, q quits."
    )
    assert done_text(Progress(reviewed=12, total=12, themes={})).plain == (
        "End of the list: 12 of 12 comments reviewed.\np goes back to the last comment, q quits."
    )


def test_refresh_after_a_new_run_keeps_the_comment_shown(store: Store) -> None:
    review = session(store, order="uncertain")
    review.next()
    shown = review.current().id
    review.refresh()
    assert review.current().id == shown


def test_a_key_on_suggestions_a_re_score_changed_meanwhile_records_nothing(store: Store) -> None:
    # The screen shows run 1's "time" on comment a; a retrain then re-scores a with "cost".
    review = session(store)
    seen = review.current()
    assert [(row.theme, row.on) for row in seen.themes] == [("time", True)]
    run_id = add_run(store, "retrained")
    text = ROWS[0][1]
    rescored = result(text, {"time": 0.1, "cost": 0.9, "box_ticking": 0.0}, {"cost": "model"})
    store.add_scores(run_id, [(seen.id, rescored)], THRESHOLDS)
    for key in (lambda: review.accept(seen=seen), lambda: review.toggle("time", seen=seen)):
        with pytest.raises(ChangedError) as caught:
            key()
        assert str(caught.value) == (
            "comment a changed in the project since it was shown (new suggestions, or codes "
            "from another reviewer or an import): nothing was recorded. It is shown as it is "
            "now: look again, then press the key again"
        )
    assert actions(store) == []
    now = review.current()  # what the screen repaints: the new suggestion
    assert [(row.theme, row.on) for row in now.themes] == [("cost", True)]
    review.accept(seen=now)
    assert actions(store, seen.id) == [("cost", "accept"), (None, "confirm")]


def test_no_theme_removes_codes_another_session_added_meanwhile(store: Store) -> None:
    # The same reviewer in a second terminal (or `coder import`) codes comment c with cost.
    review = session(store)
    review.go_to(ids_by_external(store)["c"])
    with Store(store.path) as other:
        elsewhere = session(other)
        elsewhere.go_to(review.current().id)
        elsewhere.toggle("cost")
    review.reject_all()
    assert store.codings() == {"ana": {review.ids[2]: set()}}


def test_decisions_stop_once_the_projects_codebook_changed(store: Store, tmp_path: Path) -> None:
    from conftest import TINY_CODEBOOK

    from coder.codebook_io import parse_codebook

    review = session(store)
    book = parse_codebook(TINY_CODEBOOK.replace('version: "1"', 'version: "2"'), "v2.yaml")
    run_id = store.add_run(store.add_codebook(book), "v2", {})
    store.add_scores(run_id, [(review.current().id, result(ROWS[0][1], {}, {}))], {})
    with pytest.raises(ChangedError) as caught:
        review.accept()
    assert str(caught.value) == (
        f"the project's codebook changed while you were reviewing (run {run_id} uses 'Tiny' "
        "version 2): nothing was recorded. Quit (q) and start coder review again to review "
        "under it"
    )
    assert actions(store) == []


def test_after_a_retrain_the_comments_ahead_follow_the_new_scores(store: Store) -> None:
    ids = ids_by_external(store)
    latest = first_run()
    review = session(store, order="uncertain")
    first, second, *_ = drawn(ids, latest)
    assert review.current().external_id == first
    review.accept()
    assert review.current().external_id == second
    # A retrain re-scores the unreviewed comments: their places come from the new run's draw.
    run_id = add_run(store, "retrained")
    texts = {row[0]: row[1] for row in ROWS}
    new = {"a": (0.99, 0.01), "b": (0.3, 0.41), "c": (0.52, 0.0), "d": (0.9, 0.9)}
    for e in ids:
        if e != first:
            time, cost = new[e]
            latest[e] = (
                run_id,
                result(texts[e], {"time": time, "cost": cost, "box_ticking": 0.0}, {}),
            )
    rescored = [(ids[e], found) for e, (run, found) in latest.items() if run == run_id]
    store.add_scores(run_id, rescored, THRESHOLDS)
    assert ext(store, store.order("uncertain")) == drawn(ids, latest)
    review.refresh()
    # What was walked keeps its place; the rest follow in the new run's order.
    ahead = [e for e in drawn(ids, latest) if e not in (first, second)]
    assert ext(store, review.ids) == [first, second, *ahead]
    assert review.current().external_id == second
    assert review.next().external_id == ahead[0]
    assert review.previous().external_id == second
    assert review.previous().external_id == first


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (" ", "give a reviewer name, e.g. --reviewer ana"),
        (
            "rules",
            "'rules' is the name `coder agree` gives the latest run's suggestions; choose "
            "another reviewer name",
        ),
        (
            "Smith, Ana",  # `--coders Smith, Ana,ben` could never name her
            "reviewer name 'Smith, Ana' holds a comma or semicolon, which separate the names in "
            "a list (--coders ana,ben): choose another, e.g. 'Ana Smith' (a .qdpx user's coding "
            "goes in under another name with --reviewer 'Smith, Ana' --as NAME)",
        ),
        (
            "ana\x1b[2J",  # a .qdpx cannot carry it: she came back as 'ana\ufffd[2J'
            "reviewer name 'ana\\x1b[2J' holds a control character (a tab, a line break, an "
            "escape), which a .qdpx or a terminal cannot carry: choose another name",
        ),
    ],
)
def test_a_reviewer_needs_a_name_that_is_not_a_machine_coders(
    store: Store, name: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        session(store, name)
    assert str(caught.value) == message
    assert store.reviewers() == []


def test_an_empty_project_says_how_to_fill_it(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as empty, pytest.raises(StoreError) as caught:
        ReviewSession(empty, "ana")
    assert str(caught.value) == (
        f"project {tmp_path / 'empty.db'} has no comments yet; import some with "
        f"`coder tag INPUT --db {tmp_path / 'empty.db'}`"
    )


# --- blind coding and adjudication -------------------------------------------------------------


def test_blind_review_shows_no_suggestions_and_records_only_what_the_coder_adds(
    store: Store,
) -> None:
    review = session(store, mode="blind")
    view = review.current()
    assert (view.themes, view.codes, view.scores, view.run_id) == ((), [], {}, None)
    assert review.toggle("cost").codes == ["cost"]
    review.accept()
    assert actions(store) == [("cost", "add"), (None, "confirm")]
    assert store.codings() == {"ana": {view.id: {"cost"}}}


def test_adjudication_walks_the_comments_coders_differ_on_and_records_the_final_coding(
    store: Store,
) -> None:
    ids = ids_by_external(store)
    for name, toggles in (("ana", ["cost"]), ("ben", [])):
        review = session(store, name, mode="blind")
        for comment in ("a", "b"):
            review.go_to(ids[comment])
            review.toggle("time")
            if comment == "b":
                for theme in toggles:
                    review.toggle(theme)
            review.accept()
    assert disagreements(store.codings()) == {ids["b"]: {"ana": {"time", "cost"}, "ben": {"time"}}}
    judge = session(store, "cy", mode="adjudicate")
    assert judge.ids == [ids["b"]]
    view = judge.current()
    assert view.coders == {"ana": ("cost", "time"), "ben": ("time",)}
    assert [(r.theme, r.on, r.coders) for r in view.themes] == [
        ("time", True, ("ana", "ben")),  # both chose it
        ("cost", False, ("ana",)),
    ]
    judge.accept()
    assert actions(store, ids["b"])[-3:] == [
        ("time", "accept"),
        ("cost", "reject"),
        (None, "confirm"),
    ]
    assert store.adjudicated() == {ids["b"]: {"time"}}
    assert store.reviewed_codes() == ({ids["a"]: {"time"}, ids["b"]: {"time"}}, 0)
    assert session(store, "cy", mode="adjudicate").done


# --- the learning loop -------------------------------------------------------------------------


def review_all(store: Store, codes: dict[str, list[str]]) -> None:
    """Code the named comments exactly as given, in blind mode."""
    review = session(store, "ana", mode="blind")
    ids = ids_by_external(store)
    for comment, themes in codes.items():
        review.go_to(ids[comment])
        for theme in themes:
            review.toggle(theme)
        review.accept()


def test_training_on_a_project_uses_the_reviewed_comments_only(store: Store) -> None:
    with pytest.raises(StoreError) as caught:
        train_from_project(store.path)
    assert str(caught.value) == (
        f"project {store.path} has no reviewed comments yet: review some with "
        f"`coder review {store.path}` first"
    )
    review_all(store, {"a": ["time"], "b": ["cost", "box_ticking"], "c": []})
    model, data = train_from_project(store.path, folds=2)
    assert data.texts == [ROWS[0][1], ROWS[1][1], ROWS[2][1]]
    assert data.codes == [["time"], ["cost", "box_ticking"], []]
    assert model.meta["trained_on"]["labelled"] == 3


def test_a_re_score_stopped_part_way_leaves_no_half_run(store: Store) -> None:
    from coder.learning import rescore

    review_all(store, {"a": ["time"], "b": ["cost"]})
    model, _ = train_from_project(store.path, folds=2)

    def quit_after_the_first_batch(message: str) -> None:
        raise KeyboardInterrupt  # as the review screen's worker stops when the reviewer quits

    with pytest.raises(KeyboardInterrupt):
        rescore(store, model, "retrained", batch_size=1, progress=quit_after_the_first_batch)
    assert [run.model for run in store.runs()] == ["test model"]
    assert {store.latest(i).run_id for i in ids_by_external(store).values()} == {1}


def test_a_retrain_worse_than_the_suggestions_keeps_them(tmp_path: Path) -> None:
    """30 comments whose themes no word foretells, each suggested the theme its reviewer then
    codes (the suggestions' micro-F1 is 1.0): a model retrained on them alone does worse in
    cross-validation, and re-scoring with it would replace better suggestions."""
    words = ["rota", "bus", "meeting", "form", "letter"]
    rows: list = []
    for i in range(32):
        theme = THEMES[i % 3]
        scores = {t: 0.9 if t == theme else 0.1 for t in THEMES}
        rows.append((f"r{i}", f"Comment {i} on the {words[i % 5]}.", scores, {theme: "model"}))
    store = make_project(tmp_path / "p.db", rows)
    review_all(store, {f"r{i}": [THEMES[i % 3]] for i in range(30)})
    relearned = retrain(store.path, folds=2)
    assert relearned.run_id is None and relearned.rescored == 0
    new, current, measured = relearned.kept
    assert (current, measured) == (1.0, 30) and new < current
    assert [run.model for run in store.runs()] == ["test model"]


def test_retrain_in_a_background_thread_rescores_the_unreviewed_comments_as_a_new_run(
    store: Store, tmp_path: Path
) -> None:
    review_all(store, {"a": ["time"], "b": ["cost"]})
    ids = ids_by_external(store)
    done: list = []
    worker = threading.Thread(
        target=lambda: done.append(retrain(store.path, save_to=tmp_path / "m", folds=2))
    )
    worker.start()
    review = session(store, "ben")  # the reviewer's own connection keeps working meanwhile
    review.accept()
    worker.join(timeout=120)
    [relearned] = done
    assert (relearned.trained_on, relearned.rescored, relearned.run_id) == (2, 2, 2)
    assert relearned.replaced_labelled == 0  # the test run's model says of none
    assert [r.model for r in store.runs()] == ["test model", str(tmp_path / "m")]
    latest = {name: store.latest(i).run_id for name, i in ids.items()}
    assert latest == {"a": 1, "b": 1, "c": 2, "d": 2}
    assert (tmp_path / "m" / "meta.json").exists()
