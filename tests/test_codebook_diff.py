"""`coder codebook diff`: what changed between two codebook versions, and how many reviewed
comments of a project each change touches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from projects import decide, numbered_project

from coder.cli import cli
from coder.codebook_diff import diff_codebooks
from coder.codebook_io import parse_codebook
from coder.store import Entry

V1 = """\
name: Services
version: "1"
themes:
  - {id: access, label: Access, codable: false}
  - {id: waiting, label: Waiting, parent: access, brief: Delays.}
  - {id: cost, label: Cost}
  - {id: tokenism, label: Tokenism}
  - {id: distrust, label: Distrust}
  - {id: staff, label: Staff, examples: [Kind nurses.]}
  - {id: weather, label: Weather}
  - {id: other, label: Other}
"""
V2 = """\
name: Services
version: "2"
themes:
  - {id: waiting, label: Waiting times, brief: Delays of any kind.}
  - {id: money, label: Money, replaces: [cost]}
  - {id: box_ticking, label: Box-ticking, replaces: [tokenism, tokensim]}
  - {id: distrust_services, label: Distrust of services, split_from: [distrust]}
  - {id: distrust_government, label: Distrust of government, split_from: [distrust]}
  - {id: staff, label: Staff, examples: [Kind nurses., Rude porters.], color: "#123456"}
  - {id: other, label: Other, codable: false}
  - {id: parking, label: Parking}
"""


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def books(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    old.write_text(V1, encoding="utf-8")
    new.write_text(V2, encoding="utf-8")
    return old, new


def test_each_theme_is_sorted_by_what_happens_to_its_codes() -> None:
    diff = diff_codebooks(parse_codebook(V1), parse_codebook(V2))
    assert diff.added == ["parking"]  # the heirs of old themes are not new
    assert diff.replaced == {"cost": "money", "tokenism": "box_ticking"}
    assert diff.split == {"distrust": ["distrust_services", "distrust_government"]}
    assert diff.dropped == ["weather"]
    assert diff.groups_gone == ["access"]
    assert diff.relabelled == {"waiting": ["Waiting", "Waiting times"]}
    assert diff.moved == {"waiting": ["access", None]}
    assert (diff.now_group, diff.now_codable) == (["other"], [])
    assert diff.reworded == {"waiting": ["brief"], "staff": ["examples"]}
    assert diff.other == {"staff": ["color"]}
    assert diff.earlier == {"box_ticking": ["tokensim"]}  # a typo the codebook cannot catch
    assert diff.unchanged == 0 and diff.loses_codes
    same = diff_codebooks(parse_codebook(V2), parse_codebook(V2))
    assert (same.unchanged, same.loses_codes, same.earlier) == (8, False, {})
    # ids an earlier version's themes already took over are no news
    assert (
        diff_codebooks(parse_codebook(V2), parse_codebook(V2.replace('"2"', '"3"'))).earlier == {}
    )


def test_diff_in_the_terminal_lists_the_losses_first_and_exits_1(books: tuple[Path, Path]) -> None:
    result = run("codebook", "diff", *books)
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "'Services' version 1 -> version 2: 1 added, 2 taken over, 1 split, 1 dropped, "
        "2 regrouped, 2 edited",
        "Dropped: reviewers' codes on them will be left out; to keep them, list the id under "
        "`replaces` (or `split_from`) of the theme that takes them over:",
        "  Weather [weather]",
        "Now a group, not codable: reviewers' codes on them will be left out:",
        "  Other [other]",
        "Split: comments coded with them wait to be reviewed again with the parts:",
        "  Distrust [distrust] -> Distrust of services [distrust_services], Distrust of "
        "government [distrust_government]",
        "Merged or given a new id: their codes count for the theme that takes them over:",
        "  Cost [cost] -> Money [money]",
        "  Tokenism [tokenism] -> Box-ticking [box_ticking]",
        "Added:",
        "  Parking [parking]",
        "Grouping themes removed (no codes lost):",
        "  Access [access]",
        "Relabelled (codes stay):",
        "  waiting: 'Waiting' -> 'Waiting times'",
        "Moved (codes stay):",
        "  Waiting times [waiting]: access -> (top)",
        "Reworded: comments coded before were coded by the earlier wording:",
        "  Waiting times [waiting]: brief",
        "  Staff [staff]: examples",
        "Patterns or colour changed:",
        "  Staff [staff]: color",
        "Replacing or split from ids the old codebook does not have (a typo, or an earlier "
        "version's?):",
        "  Box-ticking [box_ticking]: tokensim",
    ]


def test_with_a_project_it_counts_the_reviewed_comments_each_change_touches(
    books: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = books
    with numbered_project(tmp_path / "coding.db", parse_codebook(V1), n=4) as store:
        decide(
            store,
            parse_codebook(V1),
            "ana",
            [Entry(1, "add", "weather"), Entry(1, "add", "distrust"), Entry(1, "confirm")],
            [Entry(2, "add", "weather"), Entry(2, "confirm")],
            [Entry(3, "add", "staff")],  # not confirmed: not reviewed, not counted
        )
        judge = store.start_session("cy", "adjudicate", {}, parse_codebook(V1))
        store.record(judge, "cy", [Entry(4, "add", "distrust"), Entry(4, "confirm")])
        db = store.path
    result = run("codebook", "diff", old, new, "--db", db, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["coded"] == {
        "cost": 0,
        "distrust": 2,
        "other": 0,
        "staff": 0,
        "tokenism": 0,
        "waiting": 0,
        "weather": 2,
    }
    shown = run("codebook", "diff", new, "--db", db)  # the project's codebook is V1
    assert "  Weather [weather] (2 reviewed comments)" in shown.stdout
    assert "government [distrust_government] (2 reviewed comments)" in shown.stdout


def test_diff_needs_two_codebooks_or_one_and_a_project(books: tuple[Path, Path]) -> None:
    old, new = books
    for args in ([new], [old, new, new]):
        result = run("codebook", "diff", *args)
        assert result.exit_code == 1
        assert result.stderr == (
            "Error: give two codebooks, OLD and NEW, or NEW and --db PROJECT to compare the "
            "project's codebook with it\n"
        )
    assert run("codebook", "diff", new, new).exit_code == 0
