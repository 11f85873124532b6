"""`coder discover`: grouping the comments with no theme, to find what a codebook lacks."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import read_csv, write_csv

from coder.cli import cli
from coder.codebook_io import load_codebook
from coder.discovery import default_groups, discover
from coder.errors import InputError

PARKING = [
    "The car park is always full, I circled for twenty minutes.",
    "Parking at the hospital costs a fortune.",
    "No parking spaces left by nine in the morning.",
    "Car parking charges are a disgrace.",
    "I got a parking ticket while waiting for my mum.",
    "Please sort out the car park, there are never spaces.",
    "Parking was impossible again.",
    "The parking machines never take cards.",
]
FOOD = [
    "The food on the ward was cold and tasteless.",
    "Lunch was served cold, the sandwiches were stale.",
    "Hospital food is awful, nothing hot to eat.",
    "My dinner was cold by the time it arrived.",
    "The meals were bland and the portions tiny.",
    "Food was inedible, I had my family bring sandwiches.",
    "Breakfast was cold toast again.",
    "The food menu never changes and it is cold.",
]
NOISE = [
    "The ward was so noisy at night I could not sleep.",
    "Too much noise at night, machines beeping constantly.",
    "Could not sleep for the noise from the corridor.",
    "Loud night staff kept waking me up.",
    "Noise all night, no chance of any sleep.",
    "The beeping and shouting at night made sleep impossible.",
    "It was far too loud to sleep on the ward.",
    "Night time noise was unbearable.",
]
TOPICS = {"parking": PARKING, "food": FOOD, "noise": NOISE}


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_comments_on_three_topics_fall_into_three_groups_named_by_their_words() -> None:
    texts = [*PARKING, *FOOD, *NOISE, "   "]  # a blank comment is never grouped
    groups = discover(texts, 3, words=4, examples=2)
    assert sorted(g.size for g in groups) == [8, 8, 8]
    for group in groups:
        topics = {name for name, members in TOPICS.items() if texts[group.members[0]] in members}
        (topic,) = topics
        assert all(texts[i] in TOPICS[topic] for i in group.members)
        assert {"parking": "park", "food": "cold", "noise": "night"}[topic] in group.words
        assert len(group.examples) == 2 and set(group.examples) <= set(group.members)
    assert 24 not in {i for g in groups for i in g.members}


def test_many_comments_are_grouped_in_mini_batches_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*PARKING, *FOOD, *NOISE]
    full = discover(texts, 3)
    monkeypatch.setattr("coder.discovery.FULL_KMEANS_UP_TO", 10)
    batched = discover(texts, 3)
    assert sorted(g.members for g in batched) == sorted(g.members for g in full)


def test_copies_of_one_answer_are_one_point_and_no_group_is_empty() -> None:
    texts = ["n/a"] * 8 + ["Parking is bad."] * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn warns when asked for more groups than points
        groups = discover(texts, 3)
    assert [(g.size, g.words) for g in groups] == [(8, ()), (2, ("bad", "park"))]
    with pytest.raises(InputError) as caught:
        discover(["n/a"] * 7)
    assert str(caught.value) == "the 7 comments all read alike: there is nothing to group"


def test_the_same_texts_give_the_same_groups() -> None:
    texts = [*PARKING, *FOOD, *NOISE]
    assert discover(texts, 3) == discover(list(texts), 3)


@pytest.mark.parametrize(
    ("texts", "groups", "message"),
    [
        (
            ["a b", "c d", "", "e f"],
            None,
            "3 comments are too few to group: read them instead (`coder review PROJECT --uncoded`)",
        ),
        (["", " "], None, "no comment is left to group: every one has a theme (or is blank)"),
        (PARKING, 9, "--groups must be from 2 to 8 (the comments to group)"),
        (PARKING, 1, "--groups must be from 2 to 8 (the comments to group)"),
        (PARKING, 0, "--groups must be from 2 to 8 (the comments to group)"),
    ],
)
def test_too_few_comments_or_groups_out_of_range_are_refused(
    texts: list[str], groups: int | None, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        discover(texts, groups)
    assert str(caught.value) == message


@pytest.mark.parametrize(("n", "k"), [(6, 2), (50, 5), (264, 11), (100_000, 12)])
def test_the_default_number_of_groups_grows_with_the_comments(n: int, k: int) -> None:
    assert default_groups(n) == k


def test_discover_groups_a_projects_comments_with_no_theme(
    tmp_path: Path, tiny_model: Path
) -> None:
    rows = [(f"c{i}", text) for i, text in enumerate([*PARKING, *FOOD, *NOISE])]
    rows.append(("coded", "We never have the time, the rota is packed, no time at all."))
    rows.append(("blank", "  "))
    survey = write_csv(tmp_path / "survey.csv", ["id", "comment"], rows)
    db = tmp_path / "coding.db"
    assert run("tag", survey, "-m", tiny_model, "--db", db).exit_code == 0
    found = run("discover", db, "--groups", "3", "--json")
    assert found.exit_code == 0, found.output
    groups = json.loads(found.stdout)
    out = tmp_path / "coded.csv"
    assert run("export", db, "-o", out).exit_code == 0
    uncoded = sorted(row["id"] for row in read_csv(out) if not row["codes"])
    assert "coded" not in uncoded and "blank" in uncoded and len(uncoded) > 12
    uncoded.remove("blank")  # blank comments are never grouped
    assert sorted(name for group in groups for name in group["members"]) == uncoded
    assert all(1 <= len(group["examples"]) <= 3 for group in groups)
    text = run("discover", db, "--groups", "3").stdout.splitlines()
    assert text[0] == (
        f"{len(uncoded)} comments with no theme of 26 (1 blank left out), in 3 groups of "
        "similar comments (k-means on their sentence embeddings; --groups N for more or "
        "fewer). A group is a lead to read, not a theme."
    )
    size = max(group["size"] for group in groups)
    assert text[1].startswith(f"Group 1: {size} comments ({size / len(uncoded):.0%})  ")
    every = json.loads(run("discover", db, "--groups", "3", "--all", "--json").stdout)
    assert sum(group["size"] for group in every) == 25  # all but the blank one


def test_draft_writes_a_theme_per_group_and_keeps_an_existing_file(
    tmp_path: Path, tiny_model: Path
) -> None:
    rows = [(f"c{i}", text) for i, text in enumerate([*PARKING, *FOOD, *NOISE])]
    survey = write_csv(tmp_path / "survey.csv", ["id", "comment"], rows)
    db = tmp_path / "coding.db"
    assert run("tag", survey, "-m", tiny_model, "--db", db).exit_code == 0
    draft = tmp_path / "draft.yaml"
    done = run("discover", db, "--groups", "3", "--examples", "2", "--draft", draft, "--json")
    assert done.exit_code == 0, done.output
    assert done.stderr == f"Wrote 3 draft themes to {draft}\n"
    groups = json.loads(done.stdout)
    book = load_codebook(draft)
    assert book.codable_ids == ["draft_1", "draft_2", "draft_3"]
    for theme, group in zip(book.themes, groups, strict=True):
        assert theme.label == f"{theme.id.replace('_', ' ').capitalize()}: " + ", ".join(
            group["words"][:4]
        )
        assert theme.examples == [example["text"] for example in group["examples"]]
        assert (
            theme.brief
            == f"{group['size']} comments with no theme in {db}, grouped by coder discover."
        )
    draft.write_text("mine", encoding="utf-8")
    refused = run("discover", db, "--draft", draft)
    assert refused.stderr == f"Error: {draft} already exists; use --force to overwrite it\n"
    assert draft.read_text(encoding="utf-8") == "mine"
