"""Themes merged or given a new id (`replaces`): reviewers' codes on the old ids count for the
theme that took them over, in a real project file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_csv
from projects import decide, numbered_project

from coder.codebook_io import parse_codebook
from coder.coding_import import import_coding
from coder.folding import merged_results
from coder.results import Evidence, Suggestion
from coder.store import Entry, Scored, Store

BEFORE = parse_codebook(
    """
name: Barriers
themes:
  - {id: time, label: Time}
  - {id: cost, label: Cost}
  - {id: box_ticking, label: Box-ticking}
"""
)
# time and cost merged into a theme with a new id; box_ticking renamed to tokenism.
AFTER = parse_codebook(
    """
name: Barriers
version: "2"
themes:
  - {id: resources, label: Time and money, replaces: [time, cost]}
  - {id: tokenism, label: Tokenism, replaces: [box_ticking]}
"""
)
# A later edit of the merged codebook that keeps the merge.
AFTER_EDITED = parse_codebook(
    AFTER.model_dump_json().replace("Time and money", "Time and budget"), "json"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with numbered_project(tmp_path / "coding.db", BEFORE) as opened:
        yield opened


def test_codes_on_merged_ids_count_for_the_theme_that_took_them_over(store: Store) -> None:
    decide(
        store,
        BEFORE,
        "ana",
        # 1: cost coded, time rejected in the same keypress, and time decided last.
        [Entry(1, "accept", "cost"), Entry(1, "reject", "time"), Entry(1, "confirm")],
        # 2: time coded, then cost removed in a keypress of its own, later.
        [Entry(2, "add", "time")],
        [Entry(2, "remove", "cost"), Entry(2, "confirm")],
        # 3: neither coded.
        [Entry(3, "reject", "time"), Entry(3, "reject", "cost"), Entry(3, "confirm")],
        # 4: a renamed theme.
        [Entry(4, "accept", "box_ticking"), Entry(4, "confirm")],
    )
    assert store.codings(book=AFTER) == {
        "ana": {1: {"resources"}, 2: {"resources"}, 3: set(), 4: {"tokenism"}}
    }
    assert store.codings(book=AFTER_EDITED) == store.codings(book=AFTER)
    # The log itself is untouched: read as recorded, or under the old codebook, nothing moved.
    recorded = {"ana": {1: {"cost"}, 2: {"time"}, 3: set(), 4: {"box_ticking"}}}
    assert store.codings() == store.codings(book=BEFORE) == recorded
    assert store.reviewed_codes(AFTER) == (
        {1: {"resources"}, 2: {"resources"}, 3: set(), 4: {"tokenism"}},
        0,
    )


def test_a_decision_on_the_merged_theme_overrides_the_earlier_ones_until_undone(
    store: Store,
) -> None:
    decide(store, BEFORE, "ana", [Entry(1, "add", "time"), Entry(1, "add", "cost")])
    decide(store, BEFORE, "ana", [Entry(1, "confirm")])
    after = decide(store, AFTER, "ana", [Entry(1, "remove", "resources")])
    assert store.comment_state(1, "ana", book=AFTER).codes == set()
    assert store.comment_state(1, "ana", book=AFTER_EDITED).codes == set()
    store.undo(after, "ana")
    assert store.comment_state(1, "ana", book=AFTER).codes == {"resources"}
    # And coded again after the merge, it stays coded whatever came before.
    decide(store, AFTER_EDITED, "ana", [Entry(1, "add", "resources")])
    assert store.codings(book=AFTER)["ana"][1] == {"resources"}


def test_a_session_with_no_codebook_on_record_is_from_before_the_merge(store: Store) -> None:
    # Sessions made before sessions kept their codebook, and before the merged theme existed:
    # `resources` decided there is a theme of that codebook, coded with the old ids.
    decide(
        store,
        None,
        "ana",
        [Entry(1, "accept", "cost"), Entry(1, "confirm")],
        [Entry(1, "reject", "resources")],
    )
    assert store.codings(book=AFTER) == {"ana": {1: {"resources"}}}


def test_adjudications_and_each_coder_are_read_under_the_merge(store: Store) -> None:
    decide(store, BEFORE, "ana", [Entry(1, "add", "time"), Entry(1, "confirm")])
    decide(store, BEFORE, "ben", [Entry(1, "add", "cost"), Entry(1, "confirm")])
    judge = store.start_session("cy", "adjudicate", {}, BEFORE)
    store.record(judge, "cy", [Entry(1, "add", "box_ticking"), Entry(1, "confirm")])
    assert store.codings(book=AFTER) == {"ana": {1: {"resources"}}, "ben": {1: {"resources"}}}
    assert store.adjudicated(AFTER) == {1: {"tokenism"}}
    assert store.reviewed_codes(AFTER) == ({1: {"tokenism"}}, 0)


def test_a_session_keeps_the_codebook_it_worked_under(store: Store) -> None:
    session = store.start_session("ana", "review", {}, AFTER)
    stored = store._db.execute(
        "SELECT c.hash FROM sessions s JOIN codebooks c ON c.id = s.codebook_id WHERE s.id = ?",
        (session,),
    ).fetchone()
    assert stored == (AFTER.content_hash(),)


def test_a_run_from_before_the_merge_reads_its_old_ids_as_the_merged_theme() -> None:
    evidence = (Evidence("rota", 0, 4, "pattern"),)
    scored = Scored(
        1,
        {"time": 0.7, "cost": 0.8, "box_ticking": 0.1},
        [
            Suggestion("time", "Time", 0.7, "model", evidence),
            Suggestion("cost", "Cost", 0.8, "rule"),
        ],
    )
    merged = merged_results(scored, AFTER)
    assert merged.scores == {"resources": 0.8, "tokenism": 0.1}
    assert merged.suggestions == [Suggestion("resources", "Time and money", 0.8, "rule")]
    assert merged_results(scored, BEFORE) is scored


def test_a_second_merge_into_the_same_theme_keeps_what_was_decided_after_the_first(
    store: Store,
) -> None:
    middle = parse_codebook(
        """
name: Barriers
version: "2"
themes:
  - {id: resources, label: Time and money, replaces: [time, cost]}
  - {id: staffing, label: Staffing}
"""
    )
    later = parse_codebook(
        """
name: Barriers
version: "3"
themes:
  - {id: resources, label: Resources, replaces: [time, cost, staffing]}
"""
    )
    assert later.replaced == {"time": "resources", "cost": "resources", "staffing": "resources"}
    decide(store, BEFORE, "ana", [Entry(1, "add", "time"), Entry(2, "add", "time")])
    decide(store, BEFORE, "ana", [Entry(1, "confirm"), Entry(2, "confirm")])
    # After the first merge ana takes resources off both, then codes staffing on the first.
    decide(store, middle, "ana", [Entry(1, "remove", "resources"), Entry(2, "remove", "resources")])
    decide(store, middle, "ana", [Entry(1, "add", "staffing")])
    assert store.codings(book=middle) == {"ana": {1: {"staffing"}, 2: set()}}
    # Merging staffing in as well codes the first; her removal of time on the second stands.
    assert store.codings(book=later) == {"ana": {1: {"resources"}, 2: set()}}


def test_zero_one_columns_of_merged_ids_tick_the_theme_that_took_them_over(
    tmp_path: Path,
) -> None:
    # A sheet coded before the merge: a tick in time or cost is a tick in resources.
    sheet = write_csv(
        tmp_path / "ana.csv",
        ["id", "time", "cost", "box_ticking"],
        [("1", "1", "0", "0"), ("2", "1", "1", "1"), ("3", "0", "1", "0"), ("4", "0", "0", "0")],
    )
    with numbered_project(tmp_path / "coding.db", AFTER) as store:
        done = import_coding(store, sheet, "ana")
        assert store.codings() == {
            "ana": {1: {"resources"}, 2: {"resources", "tokenism"}, 3: {"resources"}, 4: set()}
        }
    assert done.notes == []
