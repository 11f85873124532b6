"""The coding each comment ends up with: adjudicated, agreed, reviewed, disputed or suggested."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import add_run, ids_by_external, make_project

from coder.coding import basis_line, decide, describe_basis, final_codings, provenance_counts
from coder.errors import InputError, StoreError
from coder.review import ReviewSession
from coder.store import Store


def code(store: Store, reviewer: str, external_id: str, themes: set[str], mode: str = "review"):
    """Have `reviewer` code one comment with exactly `themes` and confirm it."""
    session = ReviewSession(store, reviewer, order="file", mode=mode)
    view = session.go_to(ids_by_external(store)[external_id])
    assert view is not None and view.external_id == external_id
    for row in view.themes:
        if row.on and row.theme not in themes:
            session.toggle(row.theme)
    for theme in sorted(themes):
        session.add(theme)
    session.accept()
    return session


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """a: ana alone; b: ana and ben differ, then cy adjudicates; c: nobody; d: ana and ben
    agree (ben blind)."""
    store = make_project(tmp_path / "p.db")
    code(store, "ana", "a", {"time"})
    code(store, "ana", "b", {"cost", "box_ticking"})
    code(store, "ben", "b", {"cost"}, mode="blind")
    code(store, "ana", "d", {"cost"})
    code(store, "ben", "d", {"cost"}, mode="blind")
    return store


# --- the rule ----------------------------------------------------------------------------------


def test_decide_takes_adjudicated_then_agreed_then_single_then_suggested() -> None:
    both = {"ana": {"time"}, "ben": {"time"}}
    assert decide(both, {"cost"}, ["time"]) == (frozenset({"cost"}), "adjudicated")
    assert decide(both, set(), ["time"]) == (frozenset(), "adjudicated")
    assert decide(both, None, ["cost"]) == (frozenset({"time"}), "agreed")
    assert decide({"ana": set()}, None, ["cost"]) == (frozenset(), "reviewed")
    assert decide({}, None, ["cost", "time"]) == (frozenset({"cost", "time"}), "suggested")


def test_a_disputed_comment_keeps_the_themes_most_of_its_reviewers_coded() -> None:
    two = {"ana": {"time", "cost"}, "ben": {"cost"}}
    assert decide(two, None, ["time"]) == (frozenset({"cost"}), "disputed")
    three = {"ana": {"time", "cost"}, "ben": {"cost"}, "cy": {"time", "box_ticking"}}
    assert decide(three, None, []) == (frozenset({"time", "cost"}), "disputed")
    assert decide({"ana": {"time"}, "ben": {"cost"}}, None, []) == (frozenset(), "disputed")


# --- from a project ----------------------------------------------------------------------------


def test_each_comment_gets_its_coding_with_provenance_in_import_order(store: Store) -> None:
    found = final_codings(store)
    assert [(c.comment.external_id, c.provenance, c.codes, c.reviewers) for c in found] == [
        ("a", "reviewed", ("time",), ("ana",)),
        ("b", "disputed", ("cost",), ("ana", "ben")),
        ("c", "suggested", (), ()),
        ("d", "agreed", ("cost",), ("ana", "ben")),
    ]
    assert provenance_counts(found) == {
        "adjudicated": 0,
        "agreed": 1,
        "reviewed": 1,
        "disputed": 1,
        "suggested": 1,
    }


def test_each_theme_has_a_status_against_the_suggestions_and_who_decided(store: Store) -> None:
    b, d = final_codings(store)[1], final_codings(store)[3]
    assert [(t.theme, t.coded, t.status, t.score, t.reviewers) for t in b.themes] == [
        ("cost", True, "accepted", 0.45, ("ana", "ben")),
        ("box_ticking", False, "rejected", 0.3, ("ben",)),
    ]
    assert b.theme("cost").suggestion.source == "model"
    # d: time and cost suggested; both reviewers dropped time and kept cost.
    assert [(t.theme, t.coded, t.status, t.reviewers) for t in d.themes] == [
        ("time", False, "rejected", ("ana", "ben")),
        ("cost", True, "accepted", ("ana", "ben")),
    ]
    ben_on_cost = [
        x.decided_at
        for x in store.decisions(d.comment.id)
        if (x.reviewer, x.theme, x.action) == ("ben", "cost", "add")
    ]
    assert d.theme("cost").decided_at == ben_on_cost[0]  # ben decided after ana


def test_adjudication_wins_and_names_the_adjudicator(store: Store) -> None:
    judge = ReviewSession(store, "cy", order="file", mode="adjudicate")
    view = judge.current()
    assert view is not None and view.external_id == "b"
    judge.toggle("box_ticking")  # ana's theme that ben left out: cy keeps it
    judge.memo("Ana is right: a tick box")
    judge.accept()
    b = final_codings(store)[1]
    assert (b.provenance, b.codes, b.reviewers, b.memo) == (
        "adjudicated",
        ("cost", "box_ticking"),
        ("cy",),
        "Ana is right: a tick box",
    )
    assert [(t.theme, t.status, t.reviewers) for t in b.themes] == [
        ("cost", "accepted", ("cy",)),
        ("box_ticking", "accepted", ("cy",)),
    ]


def test_an_added_theme_and_an_undone_decision(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    session = code(store, "ana", "c", {"box_ticking"})
    first = final_codings(store)[2]
    assert [(t.theme, t.status, t.suggestion) for t in first.themes] == [
        ("box_ticking", "added", None)
    ]
    session.undo()  # the accept: c is no longer reviewed
    again = final_codings(store)[2]
    assert (again.provenance, again.codes) == ("suggested", ())


def test_unconfirmed_decisions_do_not_count(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    session = ReviewSession(store, "ana", order="file")
    session.toggle("time")  # on a, never accepted
    assert final_codings(store)[0].provenance == "suggested"


def test_reviewed_only_leaves_out_the_suggested_comments(store: Store) -> None:
    found = final_codings(store, reviewed_only=True)
    assert [c.comment.external_id for c in found] == ["a", "b", "d"]


def test_memos_of_several_reviewers_are_named(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    for name in ("ana", "ben"):
        session = ReviewSession(store, name, order="file")
        session.memo(f"note by {name}")
        session.accept()
    assert final_codings(store)[0].memo == "ana: note by ana | ben: note by ben"


def test_describe_basis_says_which_coding_counts(store: Store) -> None:
    found = final_codings(store)
    assert describe_basis(found, reviewed_only=False) == (
        "Coding used: reviewed coding where there is one (adjudicated, else agreed by its "
        "reviewers, else a single reviewer's), else the model's suggestions; 4 comments: "
        "1 agreed, 1 reviewed, 1 disputed, 1 suggested. Disputed: reviewers differ and nobody "
        "has adjudicated; a theme counts where most of them coded it."
    )
    reviewed = final_codings(store, reviewed_only=True)
    assert describe_basis(reviewed[:1], reviewed_only=True) == (
        "Coding used: reviewed comments only (adjudicated, else agreed by its reviewers, else a "
        "single reviewer's); 1 comment: 1 reviewed."
    )


# --- nothing to use ----------------------------------------------------------------------------


@pytest.mark.parametrize("with_run", [False, True], ids=["nothing", "a run of no comments"])
def test_an_empty_project_is_an_error(tmp_path: Path, with_run: bool) -> None:
    path = tmp_path / "empty.db"
    with Store(path) as store, pytest.raises(StoreError) as raised:
        if with_run:  # tagging an empty file registers its run
            add_run(store)
        final_codings(store)
    assert str(raised.value) == (
        f"project {path} has no comments yet; import some with `coder tag INPUT --db {path}`"
    )


def test_reviewed_only_with_nothing_reviewed_is_an_error(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    with pytest.raises(InputError) as raised:
        final_codings(store, reviewed_only=True)
    assert str(raised.value) == (
        f"no comment in project {tmp_path / 'p.db'} has been reviewed yet; review some with "
        "`coder review`, or leave out --reviewed-only to use the suggestions"
    )


def test_the_basis_line_counts_a_big_project_with_thousands_separated() -> None:
    assert basis_line({"reviewed": 86_087, "suggested": 13_913}, reviewed_only=False) == (
        "Coding used: reviewed coding where there is one (adjudicated, else agreed by its "
        "reviewers, else a single reviewer's), else the model's suggestions; 100,000 comments: "
        "86,087 reviewed, 13,913 suggested."
    )
