"""Double-coding samples: a reproducible draw, `coder sample` run again with the same or other
settings, each reviewer served their share first, and blind sessions that see no suggestion."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import Row, ids_by_external, make_project

from coder.cli import cli
from coder.errors import InputError
from coder.review import ReviewSession
from coder.sampling import double_code, draw, sample_size
from coder.store import Store


def survey(count: int = 40) -> list[Row]:
    """Comments c1..cN whose `time` scores make the uncertain order differ from the file's."""
    rows: list[Row] = []
    for n in range(1, count + 1):
        time = (n * 7 % count) / count
        suggested = {"time": "model"} if time >= 0.5 else {}
        rows.append(
            (f"c{n}", f"Comment {n}.", {"time": time, "cost": 0.0, "box_ticking": 0.0}, suggested)
        )
    return rows


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "p.db"
    make_project(path, survey()).close()
    return path


def sampled(path: Path) -> list[str]:
    """The external ids of the current sample, in the order drawn."""
    with Store(path) as store:
        sample = store.current_sample()
        assert sample is not None
        return [store.comment(i).external_id for i in sample.comment_ids]


def external(store: Store, ids: list[int]) -> list[str]:
    return [store.comment(i).external_id for i in ids]


# --- the draw ----------------------------------------------------------------------------------


def test_the_same_seed_draws_the_same_comments_whatever_the_import_order(tmp_path: Path) -> None:
    forward = make_project(tmp_path / "a.db", survey())
    backward = make_project(tmp_path / "b.db", survey()[::-1])
    first = external(forward, draw(forward.comment_refs(), 0.2, seed=7))
    assert external(backward, draw(backward.comment_refs(), 0.2, seed=7)) == first
    # pinned: a later coder must draw the same sample from the same data and seed
    assert first == ["c31", "c12", "c5", "c7", "c40", "c9", "c17", "c13"]
    assert external(forward, draw(forward.comment_refs(), 0.2, seed=8)) != first


def test_a_larger_share_with_the_same_seed_contains_the_smaller(project: Path) -> None:
    with Store(project) as store:
        refs = store.comment_refs()
        small, large = draw(refs, 0.1, seed=3), draw(refs, 0.5, seed=3)
    assert (len(small), len(large)) == (4, 20)
    assert large[: len(small)] == small


@pytest.mark.parametrize(
    ("population", "fraction", "size"),
    [(825, 0.2, 165), (4, 0.01, 1), (4, 1.0, 4), (0, 0.5, 0), (10, 0.25, 2)],
)
def test_sample_size_rounds_and_takes_at_least_one(population: int, fraction: float, size: int):
    assert sample_size(population, fraction) == size


# --- coder sample ------------------------------------------------------------------------------


def test_sample_assigns_each_reviewer_the_draw_and_says_how_many(project: Path) -> None:
    result = run("sample", project, "--double", "0.2", "--reviewers", "ana, ben", "--seed", "7")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "Sampled 8 of 40 comments (20%, seed 7) for double coding by ana, ben: 8 comments "
        "assigned to each, served to them first."
    )
    assert sampled(project) == ["c31", "c12", "c5", "c7", "c40", "c9", "c17", "c13"]
    with Store(project) as store:
        sample = store.current_sample()
        assert (sample.fraction, sample.seed, sample.population, sample.reviewers) == (
            0.2,
            7,
            40,
            ("ana", "ben"),
        )
        assert store.assigned("ana") == store.assigned("ben") == set(sample.comment_ids)
        assert store.assigned("cy") == set()


def test_sample_again_with_the_same_settings_changes_nothing_and_adds_new_reviewers(
    project: Path,
) -> None:
    run("sample", project, "--double", "0.2", "--reviewers", "ana,ben", "--seed", "7")
    before = sampled(project)
    again = run("sample", project, "--double", "0.2", "--reviewers", "ben", "--seed", "7")
    assert again.exit_code == 0, again.output
    assert again.stderr == (
        "The sample of 8 of 40 comments (20%, seed 7) is already assigned to ana, ben; "
        "nothing changed.\n"
    )
    more = run("sample", project, "--double", "0.2", "--reviewers", "cy,ana")  # seed: the sample's
    assert more.exit_code == 0, more.output
    assert more.stderr.splitlines()[0] == (
        "Assigned the sample of 8 of 40 comments (20%, seed 7) to cy too; ana, ben had it."
    )
    assert sampled(project) == before
    with Store(project) as store:
        assert store.current_sample().reviewers == ("ana", "ben", "cy")
        assert store.assigned("cy") == store.assigned("ana")


def test_other_settings_are_refused_unless_replace_which_keeps_the_old_sample_on_record(
    project: Path,
) -> None:
    run("sample", project, "--double", "0.2", "--reviewers", "ana,ben", "--seed", "7")
    refused = run("sample", project, "--double", "0.3", "--reviewers", "ana", "--seed", "9")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: project {project} already has a double-coding sample: 8 of 40 comments "
        "(20%, seed 7), assigned to ana, ben. To draw another with --double 0.3 --seed 9, add "
        "--replace (codings already made are kept); to assign this one to more reviewers, give "
        "--double 0.2 --seed 7\n"
    )
    assert len(sampled(project)) == 8
    replaced = run("sample", project, "--double", "0.1", "--reviewers", "cy", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert replaced.stderr.splitlines()[0] == (
        "Sampled 4 of 40 comments (10%, seed 7) for double coding by cy, replacing the sample of "
        "8 of 40 comments (20%, seed 7) (codings already made are kept): 4 comments assigned to "
        "each, served to them first."
    )
    assert sampled(project) == ["c31", "c12", "c5", "c7"]  # same seed: nested in the old one
    with Store(project) as store:
        assert store.assigned("ana") == set()
        assert len(store.assigned("cy")) == 4
    db = sqlite3.connect(project)
    kept = db.execute(
        "SELECT s.id, s.replaced_at IS NOT NULL, COUNT(c.comment_id) FROM samples s "
        "JOIN sample_comments c ON c.sample_id = s.id GROUP BY s.id ORDER BY s.id"
    ).fetchall()
    db.close()
    assert kept == [(1, 1, 8), (2, 0, 4)]


def test_without_a_seed_one_is_drawn_reported_and_kept(project: Path) -> None:
    first = run("sample", project, "--double", "0.25", "--reviewers", "ana")
    assert first.exit_code == 0, first.output
    with Store(project) as store:
        seed = store.current_sample().seed
    assert f"(25%, seed {seed})" in first.stderr
    again = run("sample", project, "--double", "0.25", "--reviewers", "ana")
    assert "nothing changed" in again.stderr
    with Store(project) as store:
        refs = store.comment_refs()
        assert list(store.current_sample().comment_ids) == draw(refs, 0.25, seed)


def test_comments_imported_after_the_draw_are_left_out_and_said_so(tmp_path: Path) -> None:
    with make_project(tmp_path / "p.db", survey(10)) as store:
        double_code(store, 0.5, ["ana"], seed=1)
        rows: list[Row] = [(ext, "Later.", {}, {}) for ext in ("n1", "n2")]
        make_project(tmp_path / "p.db", rows, source="later.csv").close()
        outcome = double_code(store, 0.5, ["ana"], seed=1)
    assert outcome.action == "unchanged"
    assert outcome.summary() == (
        "The sample of 5 of 10 comments (50%, seed 1) is already assigned to ana; nothing "
        "changed. 2 comments imported since it was drawn are not in it; draw again over all "
        "with --replace."
    )


@pytest.mark.parametrize(
    ("reviewers", "message"),
    [
        ([" ", ""], "name the reviewers who code the sample, e.g. --reviewers ana,ben"),
        (
            ["ana", "model"],
            "'model' is the name `coder agree` gives the latest run's suggestions; choose "
            "another reviewer name",
        ),
    ],
)
def test_reviewer_names_are_checked(tmp_path: Path, reviewers: list[str], message: str) -> None:
    with make_project(tmp_path / "p.db") as store:
        with pytest.raises(InputError) as caught:
            double_code(store, 0.5, reviewers, seed=1)
        assert str(caught.value) == message
        assert store.current_sample() is None


def test_a_seed_sqlite_cannot_store_is_refused_before_the_draw(project: Path) -> None:
    too_big = str(2**63)
    result = run("sample", project, "--double", "0.2", "--reviewers", "ana", "--seed", too_big)
    assert result.exit_code == 2
    assert f"Invalid value for '--seed': {too_big} is not in the range" in result.stderr
    with Store(project) as store:
        assert store.current_sample() is None


def test_sample_needs_an_existing_project_with_comments(tmp_path: Path) -> None:
    result = run("sample", tmp_path / "none.db", "--double", "0.2", "--reviewers", "ana")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: project {tmp_path / 'none.db'} does not exist; create it with "
        f"`coder tag INPUT --db {tmp_path / 'none.db'}`\n"
    )
    Store(tmp_path / "empty.db").close()
    result = run("sample", tmp_path / "empty.db", "--double", "0.2", "--reviewers", "ana")
    assert result.stderr == (
        f"Error: project {tmp_path / 'empty.db'} has no comments yet; import some with "
        f"`coder tag INPUT --db {tmp_path / 'empty.db'}`\n"
    )
    result = run("sample", tmp_path / "empty.db", "--double", "0", "--reviewers", "ana")
    assert result.exit_code == 2
    assert "0<x<=1" in result.stderr


# --- serving the share -------------------------------------------------------------------------


def test_review_serves_a_reviewer_her_share_first_and_resumes_in_it(project: Path) -> None:
    with Store(project) as store:
        double_code(store, 0.1, ["ana"], seed=7)  # c31, c12, c5, c7
        share = ["c5", "c7", "c12", "c31"]  # in the session's (file) order
        review = ReviewSession(store, "ana", order="file")
        assert external(store, review.ids[:4]) == share
        assert external(store, review.ids[4:]) == [
            f"c{n}" for n in range(1, 41) if f"c{n}" not in share
        ]
        assert [review.current().assigned, review.view(review.ids[4]).assigned] == [True, False]
        review.accept()
        review.accept()
        again = ReviewSession(store, "ana", order="file")
        assert again.current().external_id == "c12"  # the first of her share not yet coded
        ben = ReviewSession(store, "ben", order="file")  # not assigned: the plain order
        assert external(store, ben.ids[:2]) == ["c1", "c2"]
        uncertain = ReviewSession(store, "ana")  # the share first in any order
        assert sorted(external(store, uncertain.ids[:4])) == sorted(share)
        assert uncertain.ids[4:] == [
            i for i in store.order("uncertain") if i not in review.assigned
        ]


# --- blind sessions ----------------------------------------------------------------------------


def test_a_blind_session_never_shows_suggestions_scores_or_other_coders(tmp_path: Path) -> None:
    with make_project(tmp_path / "p.db") as store:
        ids = ids_by_external(store)
        ben = ReviewSession(store, "ben", order="file")
        while not ben.done:
            ben.toggle("box_ticking")
            ben.accept()  # ben keeps every suggestion and adds box-ticking
        blind = ReviewSession(store, "ana", mode="blind")  # the default order: uncertain
        assert blind.ids == [ids[c] for c in "abcd"]  # served in file order
        for comment_id in blind.ids:
            view = blind.go_to(comment_id)
            assert (view.themes, view.codes, view.scores, view.run_id, view.coders) == (
                (),
                [],
                {},
                None,
                {},
            )
        assert [s.theme for s in store.latest(ids["b"]).suggestions] == ["cost", "box_ticking"]
        blind.go_to(ids["b"])
        view = blind.toggle("time")
        assert [
            (r.theme, r.on, r.suggested, r.score, r.source, r.evidence) for r in view.themes
        ] == [("time", True, False, None, None, ())]
        blind.accept()
        assert store.codings()["ana"] == {ids["b"]: {"time"}}
        assert blind.progress().themes == {"time": 1}
        with pytest.raises(InputError) as caught:
            ReviewSession(store, "ana", mode="blind", theme="cost")
        assert str(caught.value) == (
            "blind coding shows no suggestions, so it cannot pick the comments suggested "
            "'cost': leave out --theme"
        )


def test_blank_comments_are_left_out_of_the_sample(tmp_path: Path) -> None:
    # Two coders agreeing that an empty answer has no theme would lift agreement for nothing.
    rows = survey(10)
    rows = [
        (ext, "  " if n < 4 else text, scores, s) for n, (ext, text, scores, s) in enumerate(rows)
    ]
    make_project(tmp_path / "p.db", rows).close()
    with Store(tmp_path / "p.db") as store:
        done = double_code(store, 1.0, ["ana", "ben"], seed=3)
        assert sorted(external(store, list(done.sample.comment_ids))) == sorted(
            f"c{n}" for n in range(5, 11)
        )
    assert done.summary().endswith("4 comments with no text are left out.")


def test_the_sample_exports_as_a_sheet_to_code_in_a_spreadsheet(
    project: Path, tmp_path: Path
) -> None:
    refused = run("export", project, "-o", tmp_path / "s.csv", "--format", "sheet", "--sample")
    assert refused.stderr == (
        f"Error: project {project} has no double-coding sample; draw one with `coder sample "
        f"{project} --double 0.2 --reviewers ana,ben`\n"
    )
    drawn = run("sample", project, "--double", "0.25", "--reviewers", "ana,ben", "--seed", "5")
    assert drawn.stderr.splitlines()[-1] == (
        f"To code it in a spreadsheet instead: coder export {project} -o sample.csv --format "
        "sheet --sample"
    )
    out = tmp_path / "s.csv"
    assert run("export", project, "-o", out, "--format", "sheet", "--sample").exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(r["id"] for r in rows) == sorted(sampled(project))
    for row in rows:
        row["time"] = "1"
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert run("import", project, out, "--reviewer", "ana").exit_code == 0
    with Store(project) as store:
        assert len(store.codings()["ana"]) == len(rows) == 10
