"""`coder runs`: listing a project's model runs, withdrawing one (the undo of an automatic
coding) and restoring it, on a real project file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import read_csv, write_csv
from projects import SURVEY, WAVE2

from coder.cli import cli
from coder.review import ReviewSession
from coder.store import Store

# A draft codebook whose cold start is the second run.
DRAFT = """\
name: Draft
version: "0.1"
themes:
  - id: weather
    label: Weather
    examples: [The weather was nice., It rained all day., Sunny and warm outside.]
    patterns: [weather]
  - id: rota
    label: Rota
    examples: [The rota is packed., Our shifts are far too long., Nobody covers the nights.]
    patterns: [rota]
"""


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path, tiny_model: Path) -> Path:
    """The survey tagged with the tiny model (run 1), then with a draft codebook (run 2)."""
    comments = write_csv(tmp_path / "comments.csv", ["id", "comment", "region"], SURVEY)
    draft = tmp_path / "draft.yaml"
    draft.write_text(DRAFT, encoding="utf-8")
    db = tmp_path / "coding.db"
    assert run("tag", comments, "-m", tiny_model, "--db", db).exit_code == 0
    assert run("tag", comments, "-c", draft, "--db", db).exit_code == 0
    return db


def codes(db: Path, tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "out.csv"
    assert run("export", db, "-o", out, "--force").exit_code == 0
    return {row["id"]: row["codes"] for row in read_csv(out)}


def test_runs_lists_each_run_with_what_it_scored_and_shows(project: Path) -> None:
    listed = run("runs", project, "--json")
    assert listed.exit_code == 0, listed.output
    found = json.loads(listed.stdout)
    assert [
        (r["id"], r["codebook"], r["scored"], r["shown"], r["withdrawn_at"]) for r in found
    ] == [
        (1, "'Tiny' version 1", 4, 0, None),
        (2, "'Draft' version 0.1", 4, 4, None),
    ]
    table = run("runs", project).stdout
    assert "'Draft' version 0.1" in table and "in use" in table


def test_withdrawing_a_run_brings_back_the_previous_suggestions_and_codebook(
    project: Path, tmp_path: Path
) -> None:
    # two themes: the draft's cold start codes by its patterns alone
    before = {"r1": "rota", "r2": "", "r3": "", "r4": "weather"}
    assert codes(project, tmp_path) == before
    with Store(project) as store:  # a reviewer's decision, which no run change touches
        review = ReviewSession(store, "ana", order="file")
        review.toggle("weather")
        review.accept()
    done = run("runs", project, "--withdraw", "2")
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines()[0] == (
        f"Withdrew run 2 (cold start of {tmp_path / 'draft.yaml'}, codebook 'Draft' version "
        "0.1): the 4 comments that showed its suggestions show their previous run's. Restore it "
        f"with `coder runs {project} --restore 2`. The project's codebook is now 'Tiny' "
        "version 1."
    )
    # The tiny model's suggestions again; ana's codes on r1 are left out under its codebook.
    assert codes(project, tmp_path) == {"r1": "", "r2": "cost", "r3": "box_ticking", "r4": ""}
    status = run("status", project).stdout.splitlines()
    assert status[0].endswith("; 1 model run (1 more withdrawn)")
    assert status[1] == "Codebook 'Tiny' version 1, from run 1 (`coder runs` lists the runs)"
    with Store(project) as store:
        assert store.latest_codebook().name == "Tiny"
        assert [d.theme for d in store.decisions()] == ["weather", "rota", None]
        listed = {r["id"]: r for r in json.loads(run("runs", project, "--json").stdout)}
    assert (listed[1]["shown"], listed[2]["shown"], listed[2]["scored"]) == (4, 0, 4)
    assert listed[2]["withdrawn_at"] is not None
    restored = run("runs", project, "--restore", "2")
    assert restored.stderr.splitlines()[0] == (
        f"Restored run 2 (cold start of {tmp_path / 'draft.yaml'}, codebook 'Draft' version "
        "0.1): 4 comments show its suggestions again. The project's codebook is now 'Draft' "
        "version 0.1."
    )
    assert codes(project, tmp_path) == {**before, "r1": "weather;rota"}


def test_tagging_again_with_a_withdrawn_run_puts_it_back_in_use(
    project: Path, tmp_path: Path
) -> None:
    assert run("runs", project, "--withdraw", "2").exit_code == 0
    again = run("tag", tmp_path / "comments.csv", "-c", tmp_path / "draft.yaml", "--db", project)
    assert again.exit_code == 0, again.output
    with Store(project) as store:
        assert (store.withdrawn(), store.latest_codebook().name) == ({}, "Draft")


def test_the_last_run_in_use_an_unknown_run_or_both_options_are_refused(project: Path) -> None:
    assert run("runs", project, "--withdraw", "2").exit_code == 0
    last = run("runs", project, "--withdraw", "1")
    assert (last.exit_code, last.stderr) == (
        1,
        f"Error: run 1 is the only run in use in {project}: withdrawn, it would leave every "
        "comment without suggestions. First restore run 2 (--restore 2), or tag the comments "
        "with another model or codebook (`coder tag INPUT --db PROJECT -m MODEL`)\n",
    )
    again = run("runs", project, "--withdraw", "2")
    assert again.stderr.splitlines()[0].endswith("is withdrawn already; nothing changed.")
    unknown = run("runs", project, "--restore", "7")
    assert unknown.stderr == f"Error: project {project} has no run 7; its runs are: 1, 2\n"
    both = run("runs", project, "--withdraw", "1", "--restore", "2")
    assert both.stderr == "Error: choose --withdraw or --restore, not both\n"


def test_comments_whose_only_run_is_withdrawn_show_no_suggestions_and_it_says_so(
    project: Path, tmp_path: Path
) -> None:
    wave2 = write_csv(tmp_path / "wave2.csv", ["id", "comment", "region"], WAVE2)
    assert run("tag", wave2, "-c", tmp_path / "draft.yaml", "--db", project).exit_code == 0
    done = run("runs", project, "--withdraw", "2")
    assert (
        "the 8 comments that showed its suggestions show their previous run's (4 had no "
        "other run and show none)." in done.stderr
    )
    found = codes(project, tmp_path)
    assert [found[f"wave2.csv:{i}"] for i in ("r1", "r2", "r3", "r4")] == ["", "", "", ""]
    assert found["comments.csv:r2"] == "cost"
