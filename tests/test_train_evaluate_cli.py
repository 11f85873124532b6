"""`coder train` and `coder evaluate` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import TINY_LABELLED, write_csv

from coder.cli import cli
from coder.model import load_model
from coder.training import CANDIDATES, EMBEDDINGS, EXTREMES, WORDS_ONLY, Settings

LABELS = {"time": "Time", "cost": "Cost", "box_ticking": "Box-ticking"}
SUPPORT = {"time": 4, "cost": 4, "box_ticking": 3}
GOLD = [
    ("g1", "We never get the time, the rota is packed.", "time"),
    ("g2", "There was no budget for the bus fares.", "cost;time"),
    ("g3", "Honestly it was ticking boxes for the inspectors.", ""),
    ("g4", "The weather was nice.", "cost"),
    ("g5", "Too busy with visits to go to meetings.", "time"),
]


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def table_row(output: str, name: str) -> list[str]:
    """The cells of the rich table row whose first cell is `name`."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if cells and cells[0] == name:
            return cells[1:]
    raise AssertionError(f"no row {name!r} in:\n{output}")


# --- train -----------------------------------------------------------------------------------


def test_train_prints_the_cross_validated_table_and_writes_the_model(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    result = run("train", tiny_labelled, "-c", tiny_codebook, "-o", folder, "--folds", 3)
    assert result.exit_code == 0, result.output
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    chosen = Settings(**meta["settings"])
    assert chosen in CANDIDATES
    assert result.stdout.startswith("Cross-validated (3 folds) on 12 comments\n")
    assert "12 comments" in result.stdout.splitlines()[-1]
    # (rich may wrap a long path onto the next line: compare the words)
    assert (
        result.stderr.split()
        == " ".join(
            [
                "Reading 12 labelled comments...",
                *(
                    f"Cross-validating (3 folds), settings {n}/{len(CANDIDATES)}: {settings}..."
                    for n, settings in enumerate(CANDIDATES, start=1)
                ),
                f"Averaging the 3 fold models of {chosen}...",
                f"Saved model to {folder}",
            ]
        ).split()
    )
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    cv = meta["cv"]
    for theme, label in LABELS.items():
        m = cv["themes"][theme]
        expected = [f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}"]
        assert table_row(result.stdout, label) == [*expected, str(SUPPORT[theme])]
    for average in ("micro", "macro"):
        m = cv[average]
        assert table_row(result.stdout, f"{average} average") == [
            f"{m['precision']:.2f}",
            f"{m['recall']:.2f}",
            f"{m['f1']:.2f}",
            "",
        ]
    micro, macro = (
        "-".join(f"{v:.2f}" for v in cv["intervals"][k]) for k in ("micro_f1", "macro_f1")
    )
    caption = f"95% bootstrap interval of F1: micro {micro}, macro {macro}"
    assert caption in " ".join(result.stdout.split())
    assert meta["cv_folds"] == 3
    assert meta["trained_on"]["labelled"] == 12
    config = json.loads((folder / "pipeline" / "coder_themes" / "config.json").read_text())
    dense = (EMBEDDINGS, EXTREMES) if chosen.dense_weight else (None, 0)
    assert (config["featurizer"]["embeddings"], config["featurizer"]["extremes"]) == dense
    model = load_model(folder)
    assert model.tag_one("We never have the time for it.").codes == ["time"]


def test_train_without_embeddings_gives_a_words_only_model(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    args = ("train", tiny_labelled, "-c", tiny_codebook, "-o", folder, "--folds", 3)
    result = run(*args, "--no-embeddings")
    assert result.exit_code == 0, result.output
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert Settings(**meta["settings"]) in WORDS_ONLY
    assert meta["settings"]["dense_weight"] == 0
    config = json.loads((folder / "pipeline" / "coder_themes" / "config.json").read_text())
    assert config["featurizer"]["embeddings"] is None
    assert config["featurizer"]["extremes"] == 0
    assert "settings 2/2" in result.stderr  # only the two words-only settings were tried
    assert [r.codes for r in load_model(folder).tag(["The budget was cut."])] == [["cost"]]


def test_train_json_prints_the_cv_dict(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    result = run("train", tiny_labelled, "-c", tiny_codebook, "-o", folder, "--folds", 3, "--json")
    assert result.exit_code == 0, result.output
    cv = json.loads(result.stdout)
    assert set(cv) == {"micro", "macro", "themes", "n", "intervals"}
    assert cv["n"] == 12
    low, high = cv["intervals"]["micro_f1"]
    assert low <= cv["micro"]["f1"] <= high
    assert {t: m["support"] for t, m in cv["themes"].items()} == SUPPORT
    assert set(cv["micro"]) == set(cv["macro"]) == {"precision", "recall", "f1"}
    assert cv == json.loads((folder / "meta.json").read_text(encoding="utf-8"))["cv"]


def test_train_reports_unknown_themes_with_line_and_hint(
    tiny_codebook: Path, tmp_path: Path
) -> None:
    rows = [*TINY_LABELLED[:3], ("x", "Not enough hours.", "tme"), ("y", "Fees.", "Cost;costt")]
    labelled = write_csv(tmp_path / "labelled.csv", ["id", "comment", "codes"], rows)
    folder = tmp_path / "model"
    result = run("train", labelled, "-c", tiny_codebook, "-o", folder)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: 2 unknown themes in {labelled} (codebook 'Tiny' has: time, cost, box_ticking):",
        f"{labelled}:5: unknown theme 'tme' (did you mean 'time'?)",
        f"{labelled}:6: unknown theme 'costt' (did you mean 'cost'?)",
    ]
    assert not folder.exists()


def test_train_accepts_theme_labels_as_well_as_ids(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    def as_labels(cell: str) -> str:
        # Labels, not ids; the second one in upper case (names match case-insensitively).
        labels = [LABELS[c] for c in cell.split(";") if c]
        return "; ".join(label.upper() if i else label for i, label in enumerate(labels))

    by_label = [(row_id, text, as_labels(codes)) for row_id, text, codes in TINY_LABELLED]
    assert by_label[3][2] == "Time; COST"
    labelled = write_csv(tmp_path / "by_label.csv", ["id", "comment", "codes"], by_label)
    with_labels = run("train", labelled, "-c", tiny_codebook, "-o", tmp_path / "a", "--json")
    with_ids = run("train", tiny_labelled, "-c", tiny_codebook, "-o", tmp_path / "b", "--json")
    assert with_labels.exit_code == 0, with_labels.output
    assert with_ids.exit_code == 0, with_ids.output
    assert json.loads(with_labels.stdout) == json.loads(with_ids.stdout)
    assert json.loads(with_labels.stdout)["themes"]["box_ticking"]["support"] == 3


def test_train_refuses_an_existing_model_folder_without_force(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    result = run("train", tiny_labelled, "-c", tiny_codebook, "-o", folder)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {folder} already exists; use --force to overwrite it\n"
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]

    forced = run("train", tiny_labelled, "-c", tiny_codebook, "-o", folder, "--force", "--json")
    assert forced.exit_code == 1
    assert forced.stderr == (
        f"Error: {folder} holds files but no coder model; --force replaces only a model "
        "folder: give the name of a new folder\n"
    )
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]

    (folder / "keep.txt").unlink()
    assert run("train", tiny_labelled, "-c", tiny_codebook, "-o", folder).exit_code == 0
    again = run("train", tiny_labelled, "-c", tiny_codebook, "-o", folder, "--force", "--json")
    assert again.exit_code == 0, again.output
    assert (folder / "meta.json").is_file()


def test_train_onto_an_existing_file(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    target = tmp_path / "model"
    target.write_text("not a folder", encoding="utf-8")
    result = run("train", tiny_labelled, "-c", tiny_codebook, "-o", target)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {target} is a file")
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_train_with_codes_joined_from_a_comments_file(
    tiny_labelled: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    codes = write_csv(
        tmp_path / "codes.csv", ["id", "codes"], [(i, c) for i, _, c in TINY_LABELLED]
    )
    texts = write_csv(
        tmp_path / "texts.csv", ["id", "comment"], [(i, t) for i, t, _ in TINY_LABELLED]
    )
    joined = run(
        "train", codes, "--comments", texts, "-c", tiny_codebook, "-o", tmp_path / "a", "--json"
    )
    direct = run("train", tiny_labelled, "-c", tiny_codebook, "-o", tmp_path / "b", "--json")
    assert joined.exit_code == 0, joined.output
    assert json.loads(joined.stdout) == json.loads(direct.stdout)


# --- evaluate --------------------------------------------------------------------------------


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "gold.csv", ["id", "comment", "codes"], GOLD)


def counts_by_hand(model_path: Path) -> dict[str, tuple[int, int, int]]:
    """The figures worked out by hand from the model's own codes for the gold comments."""
    predicted = [r.codes for r in load_model(model_path).tag([t for _, t, _ in GOLD])]
    assert predicted == [["time"], ["cost"], ["box_ticking"], [], ["time"]]
    gold = [set(c.split(";")) - {""} for _, _, c in GOLD]
    themes = {}
    for theme in LABELS:
        tp = sum(theme in g and theme in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(theme not in g and theme in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(theme in g and theme not in p for g, p in zip(gold, predicted, strict=True))
        themes[theme] = (tp, fp, fn)
    return themes


def test_evaluate_json(gold: Path, tiny_model: Path) -> None:
    result = run("evaluate", gold, "-m", tiny_model, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"micro", "macro", "themes", "n", "intervals"}
    assert report["n"] == len(GOLD) == 5
    assert {t: m["support"] for t, m in report["themes"].items()} == {
        "time": 3,
        "cost": 2,
        "box_ticking": 0,
    }
    counts = counts_by_hand(tiny_model)
    # time: 2 found of 3 (g2's time missed); cost: 1 of 2, no false alarm; box_ticking: 1 false.
    assert counts == {"time": (2, 0, 1), "cost": (1, 0, 1), "box_ticking": (0, 1, 0)}
    assert report["themes"]["time"] == {
        "precision": 1.0,
        "recall": 0.6667,
        "f1": 0.8,
        "support": 3,
        "predicted": 2,
    }
    assert report["themes"]["cost"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 0.6667,
        "support": 2,
        "predicted": 1,
    }
    assert report["themes"]["box_ticking"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "predicted": 1,  # a false alarm: precision 0 means something, recall is 0/0
    }
    # micro: tp 3, fp 1, fn 2; macro over the themes with support (time, cost).
    assert report["micro"] == {"precision": 0.75, "recall": 0.6, "f1": 0.6667}
    assert report["macro"] == pytest.approx(
        {"precision": 1.0, "recall": 0.5833, "f1": 0.7333}, abs=1.01e-4
    )


def test_evaluate_gives_bootstrap_intervals_around_the_averages(
    gold: Path, tiny_model: Path
) -> None:
    report = json.loads(run("evaluate", gold, "-m", tiny_model, "--json").stdout)
    spread = report["intervals"]
    assert (spread["level"], spread["rounds"]) == (0.95, 1000)
    for average in ("micro", "macro"):
        low, high = spread[f"{average}_f1"]
        # five comments: the figure could be far lower or higher on five others
        assert 0 <= low < report[average]["f1"] < high <= 1
        assert high - low > 0.3
    table = " ".join(run("evaluate", gold, "-m", tiny_model).stdout.split())
    micro, macro = ("-".join(f"{v:.2f}" for v in spread[k]) for k in ("micro_f1", "macro_f1"))
    assert f"95% bootstrap interval of F1: micro {micro}, macro {macro}" in table


def test_evaluate_macro_average_is_rounded_once(gold: Path, tiny_model: Path) -> None:
    report = json.loads(run("evaluate", gold, "-m", tiny_model, "--json").stdout)
    assert report["macro"]["recall"] == round((2 / 3 + 1 / 2) / 2, 4) == 0.5833


def test_evaluate_table(gold: Path, tiny_model: Path) -> None:
    result = run("evaluate", gold, "-m", tiny_model)
    assert result.exit_code == 0, result.output
    assert f"{gold} against {tiny_model}" in " ".join(result.stdout.split())
    assert table_row(result.stdout, "Time") == ["1.00", "0.67", "0.80", "3"]
    assert table_row(result.stdout, "Cost") == ["1.00", "0.50", "0.67", "2"]
    assert table_row(result.stdout, "micro average") == ["0.75", "0.60", "0.67", ""]
    assert table_row(result.stdout, "macro average") == ["1.00", "0.58", "0.73", ""]
    assert "5 comments" in result.stdout


def test_evaluate_joins_an_ids_and_codes_gold_file_to_the_comments(
    gold: Path, tiny_model: Path, tmp_path: Path
) -> None:
    codes_only = write_csv(tmp_path / "codes.csv", ["id", "codes"], [(i, c) for i, _, c in GOLD])
    comments = write_csv(
        tmp_path / "comments.csv",
        ["id", "region", "comment"],
        [(i, "North", t) for i, t, _ in reversed(GOLD)] + [("extra", "South", "Unrelated.")],
    )
    joined = run("evaluate", codes_only, "-m", tiny_model, "--comments", comments, "--json")
    direct = run("evaluate", gold, "-m", tiny_model, "--json")
    assert joined.exit_code == 0, joined.output
    assert json.loads(joined.stdout) == json.loads(direct.stdout)
    assert json.loads(joined.stdout)["n"] == 5


def test_evaluate_with_an_id_missing_from_the_comments(
    gold: Path, tiny_model: Path, tmp_path: Path
) -> None:
    codes_only = write_csv(tmp_path / "codes.csv", ["id", "codes"], [("g1", "time"), ("g9", "")])
    comments = write_csv(tmp_path / "comments.csv", ["id", "comment"], [("g1", "No time.")])
    result = run("evaluate", codes_only, "-m", tiny_model, "--comments", comments)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {codes_only}:3: id 'g9' is not in {comments}\n"


def test_evaluate_with_a_missing_model_folder(gold: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = run("evaluate", gold, "-m", missing, "--json")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: model folder {missing} does not exist; train one with `coder train`\n"
    )
    assert result.stdout == ""


def test_evaluate_against_a_different_codebook(
    gold: Path, tiny_model: Path, tiny_codebook: Path
) -> None:
    tiny_codebook.write_text(
        tiny_codebook.read_text(encoding="utf-8").replace("brief: Money.", "brief: Cash."),
        encoding="utf-8",
    )
    result = run("evaluate", gold, "-m", tiny_model, "-c", tiny_codebook)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: the codebook does not match model {tiny_model}")


def test_evaluate_with_unknown_gold_themes(tiny_model: Path, tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "gold.csv", ["id", "comment", "codes"], [("1", "x", "Box ticking")])
    result = run("evaluate", bad, "-m", tiny_model)
    assert result.exit_code == 1
    assert f"{bad}:2: unknown theme 'Box ticking' (did you mean 'Box-ticking'?)" in result.stderr


def test_train_says_when_it_turned_at_least_one_on_because_no_comment_lacks_a_theme(
    tiny_codebook: Path, tmp_path: Path
) -> None:
    # An import that left blank rows out as "not coded yet" trains a model like this one.
    coded = [row for row in TINY_LABELLED if row[2]]
    labelled = write_csv(tmp_path / "coded.csv", ["id", "comment", "codes"], coded)
    note = (
        "Note: all 10 comments it learnt from have a theme, so the model gives every comment "
        "at least one. If some answers should have none, code them with no theme (none), or "
        "train with --allow-none"
    )
    inferred = run("train", labelled, "-c", tiny_codebook, "-o", tmp_path / "a", "--json")
    assert inferred.exit_code == 0, inferred.output
    assert note.split() == inferred.stderr.split()[-len(note.split()) - 4 : -4]
    assert load_model(tmp_path / "a").decision.at_least_one
    asked = run("train", labelled, "-c", tiny_codebook, "-o", tmp_path / "b", "--at-least-one")
    assert asked.exit_code == 0, asked.output
    assert "Note:" not in asked.stderr
    allowed = run("train", labelled, "-c", tiny_codebook, "-o", tmp_path / "c", "--allow-none")
    assert "Note:" not in allowed.stderr
    assert not load_model(tmp_path / "c").decision.at_least_one


def test_evaluate_warns_when_the_model_learnt_from_the_comments_it_is_scored_on(
    tiny_labelled: Path, tiny_model: Path, gold: Path
) -> None:
    flattering = run("evaluate", tiny_labelled, "-m", tiny_model, "--json")
    assert flattering.exit_code == 0, flattering.output
    assert flattering.stderr == (
        f"Warning: 12 of the 12 comments in {tiny_labelled} are ones the model learnt from, so "
        "these figures flatter it; score it on comments it has not seen\n"
    )
    # one of gold's five is a training comment too: a fifth is worth a word as well
    assert run("evaluate", gold, "-m", tiny_model, "--json").stderr.startswith(
        "Warning: 1 of the 5 comments"
    )


def test_codes_on_blank_comments_get_a_note_and_a_model_needs_a_folder_name(
    tiny_codebook: Path, tmp_path: Path
) -> None:
    rows = [*TINY_LABELLED, ("13", "", "time"), ("14", "  ", "cost")]
    labelled = write_csv(tmp_path / "coded.csv", ["id", "comment", "codes"], rows)
    trained = run("train", labelled, "-c", tiny_codebook, "-o", tmp_path / "m", "--json")
    assert trained.exit_code == 0, trained.output
    assert trained.stderr.startswith(
        "Note: 2 comments with codes but no text (a wrong --text-column, or a join gone "
        "wrong?); coder never codes a blank comment\n"
    )
    dash = run("train", labelled, "-c", tiny_codebook, "-o", "-")
    assert dash.stderr == "Error: a model is a folder: give its name with -o, e.g. -o models/mine\n"
