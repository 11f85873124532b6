"""`coder codebook validate | show | import`, run through click's CliRunner."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import TINY_CODEBOOK, write_csv

from coder.cli import cli
from coder.codebook_io import load_codebook

NHS_CSV = Path(__file__).parent.parent.parent / "shared/data/nhs_fft/codebook.csv"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run every command in tmp_path, so messages name short relative paths."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["codebook", *args])


# ---------------------------------------------------------------- validate


def test_validate_a_valid_codebook() -> None:
    Path("tiny.yaml").write_text(TINY_CODEBOOK, encoding="utf-8")
    result = run("validate", "tiny.yaml")
    assert result.exit_code == 0, result.output
    assert result.output == "tiny.yaml: valid: 'Tiny' version 1, 4 themes (3 codable)\n"


def test_validate_lists_every_problem_and_exits_1() -> None:
    Path("bad.yaml").write_text(
        "name: Bad\n"
        "themes:\n"
        "  - id: a\n"
        "    label: A\n"
        "    parent: a\n"
        "  - id: b\n"
        "    label: B\n"
        "    parent: c\n"
        "  - id: c\n"
        "    label: C\n"
        "    parent: b\n"
        "  - id: d\n"
        "    label: D\n"
        "    parent: e\n",
        encoding="utf-8",
    )
    result = run("validate", "bad.yaml")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.output.startswith("Error: invalid codebook")
    assert result.output.splitlines() == [
        "Error: invalid codebook bad.yaml (3 problems):",
        "bad.yaml:5 themes -> 0 -> parent: theme 'a' cannot be its own parent",
        "bad.yaml:8 themes -> 1 -> parent: parent cycle: b -> c -> b",
        "bad.yaml:14 themes -> 3 -> parent: unknown theme 'e'",
    ]


def test_validate_schema_problems() -> None:
    Path("bad.yaml").write_text(
        "name: Bad\nthemes:\n  - id: Nope\n    label: N\n  - id: ok\n    color: red\n",
        encoding="utf-8",
    )
    result = run("validate", "bad.yaml")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: invalid codebook bad.yaml (3 problems):",
        "bad.yaml:3 themes -> 0 -> id: invalid id 'Nope': use lower-case letters, digits and _, "
        "starting with a letter",
        "bad.yaml:5 themes -> 1 -> label: field required",
        "bad.yaml:6 themes -> 1 -> color: invalid color 'red': use #RRGGBB, e.g. '#1f77b4'",
    ]


def test_validate_a_missing_file() -> None:
    result = run("validate", "nope.yaml")
    assert result.exit_code == 1
    assert (
        result.output == "Error: invalid codebook nope.yaml (1 problem):\nnope.yaml: no such file\n"
    )


# ---------------------------------------------------------------- show


def test_show_prints_the_tree() -> None:
    Path("tiny.yaml").write_text(TINY_CODEBOOK, encoding="utf-8")
    result = run("show", "tiny.yaml")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Tiny  v1  3 codable of 4 themes"
    assert "Barriers  [barriers]  (group, not codable)" in lines[1]
    for label, theme_id, brief in [
        ("Time", "time", "Not enough time."),
        ("Cost", "cost", "Money."),
    ]:
        (line,) = [n for n, text in enumerate(lines) if f"{label}  [{theme_id}]" in text]
        assert "(group, not codable)" not in lines[line]
        assert lines[line + 1].endswith(brief)
        assert lines[line].startswith("│   ")  # nested under Barriers
    (box,) = [text for text in lines if "Box-ticking  [box_ticking]" in text]
    assert box.startswith("└── ")  # top level, last
    assert result.output.count("(group, not codable)") == 1


@pytest.mark.parametrize(("key", "shown"), [("replaces", "replaces"), ("split_from", "split from")])
def test_show_names_the_ids_a_theme_replaces_or_was_split_from(key: str, shown: str) -> None:
    edited = TINY_CODEBOOK.replace(
        "label: Box-ticking\n", f"label: Box-ticking\n    {key}: [tokenism, lip_service]\n"
    )
    Path("edited.yaml").write_text(edited, encoding="utf-8")
    result = run("show", "edited.yaml")
    assert result.exit_code == 0, result.output
    (box,) = [text for text in result.output.splitlines() if "[box_ticking]" in text]
    assert box == f"└── ■ Box-ticking  [box_ticking]  ({shown} tokenism, lip_service)"


def test_show_a_shipped_codebook_by_name() -> None:
    result = run("show", "coproduction")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Co-production in adult social care  v1.0  17 codable of 23")
    assert "Perceptions of co-production  [perceptions]  (group, not codable)" in result.output
    assert "Box-ticking  [box_ticking]" in result.output


def test_show_an_invalid_codebook() -> None:
    Path("bad.yaml").write_text("name: T\nthemes:\n  - id: a\n", encoding="utf-8")
    result = run("show", "bad.yaml")
    assert result.exit_code == 1
    assert result.output == (
        "Error: invalid codebook bad.yaml (1 problem):\n"
        "bad.yaml:3 themes -> 0 -> label: field required\n"
    )


def test_show_does_not_crop_long_ids() -> None:
    long_id = "funding_and_use_of_financial_resources_in_the_service"
    Path("long.yaml").write_text(
        "name: Long\nthemes:\n"
        "  - id: general_high_level_comments_about_the_service\n"
        "    label: General high-level comments about the service\n"
        "    codable: false\n"
        f"  - id: {long_id}\n"
        "    label: Funding and use of financial resources in the service\n"
        "    parent: general_high_level_comments_about_the_service\n",
        encoding="utf-8",
    )
    result = run("show", "long.yaml")
    assert result.exit_code == 0
    assert f"[{long_id}]" in result.output
    assert "(group, not codable)" in result.output


# ---------------------------------------------------------------- import


def test_import_builds_a_codebook_from_a_csv() -> None:
    write_csv(
        Path("themes.csv"),
        ["label", "major_category", "definition", "examples"],
        [
            ("No time", "Barriers", "Lack of time.", "We are busy; No time left ;"),
            ("Cost & funding", "Barriers", "Money.", ""),
            ("Box-ticking", "", "Tokenistic.", "Tick a box"),
            ("Staff attitude", "Staff", "", ""),
        ],
    )
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote mine.yaml: 6 themes (4 codable)\n"
    data = yaml.safe_load(Path("mine.yaml").read_text(encoding="utf-8"))
    assert data == {
        "name": "themes",
        "version": "1",
        "description": "Imported from themes.csv.",
        "themes": [
            {"id": "barriers", "label": "Barriers", "codable": False},
            {
                "id": "no_time",
                "label": "No time",
                "parent": "barriers",
                "definition": "Lack of time.",
                "examples": ["We are busy", "No time left"],
            },
            {
                "id": "cost_funding",
                "label": "Cost & funding",
                "parent": "barriers",
                "definition": "Money.",
            },
            {
                "id": "box_ticking",
                "label": "Box-ticking",
                "definition": "Tokenistic.",
                "examples": ["Tick a box"],
            },
            {"id": "staff", "label": "Staff", "codable": False},
            {"id": "staff_attitude", "label": "Staff attitude", "parent": "staff"},
        ],
    }
    # What import writes, validate accepts.
    assert run("validate", "mine.yaml").exit_code == 0


def test_import_name_option_and_parent_that_is_also_a_theme() -> None:
    write_csv(
        Path("themes.csv"),
        ["Label", "Parent", "Brief"],
        [("Access", "", "Getting care."), ("Waiting times", "access", "Waits.")],
    )
    result = run("import", "themes.csv", "-o", "mine.yaml", "--name", "My book")
    assert result.exit_code == 0, result.output
    book = load_codebook("mine.yaml")
    assert book.name == "My book"
    assert [(t.id, t.parent, t.codable, t.brief) for t in book.themes] == [
        ("access", None, True, "Getting care."),
        ("waiting_times", "access", True, "Waits."),
    ]


def test_import_gives_clashing_labels_distinct_ids() -> None:
    write_csv(Path("themes.csv"), ["label"], [("Staff!",), ("Staff?",)])
    assert run("import", "themes.csv", "-o", "mine.yaml").exit_code == 0
    assert load_codebook("mine.yaml").codable_ids == ["staff", "staff_2"]


@pytest.mark.skipif(not NHS_CSV.is_file(), reason="shared NHS FFT data not present")
def test_import_the_nhs_codebook() -> None:
    with open(NHS_CSV, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    result = run("import", str(NHS_CSV), "-o", "nhs.yaml")
    assert result.exit_code == 0, result.output
    book = load_codebook("nhs.yaml")
    categories = list(dict.fromkeys(r["major_category"] for r in rows))
    assert len(book.codable) == 32
    assert len(book.themes) == 32 + len(categories)
    assert [t.label for t in book.codable] == [r["label"] for r in rows]
    groups = {t.label: t for t in book.themes if not t.codable}
    assert list(groups) == categories
    for row, theme in zip(rows, book.codable, strict=True):
        assert theme.parent == groups[row["major_category"]].id
        assert theme.definition == row["definition"].strip()
    assert book.theme("staff_manner_personal_attributes").parent == "staff"
    assert result.output == f"Wrote nhs.yaml: {len(book.themes)} themes (32 codable)\n"


def test_import_refuses_to_overwrite_without_force() -> None:
    write_csv(Path("themes.csv"), ["label"], [("Time",)])
    Path("mine.yaml").write_text("keep me\n", encoding="utf-8")
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 1
    assert result.output == "Error: mine.yaml already exists; use --force to overwrite it\n"
    assert Path("mine.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in Path().iterdir()) == ["mine.yaml", "themes.csv"]

    result = run("import", "themes.csv", "-o", "mine.yaml", "--force")
    assert result.exit_code == 0, result.output
    assert load_codebook("mine.yaml").codable_ids == ["time"]


def test_import_reads_every_column_named_as_a_codebook_field() -> None:
    # An `id` column was ignored (ids came from labels), and include, exclude,
    # counter_examples, patterns and color vanished without a note.
    write_csv(
        Path("themes.csv"),
        ["id", "label", "include", "exclude", "counter_examples", "patterns", "color"],
        [
            ("cost_theme", "Cost", "budget; fares", "time", "cheap", "no money; cuts", "#ff0000"),
            ("", "Time", "", "", "", "", ""),
        ],
    )
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 0, result.output
    cost, time = load_codebook("mine.yaml").themes
    assert (cost.id, cost.include, cost.exclude, cost.counter_examples) == (
        "cost_theme",
        ["budget", "fares"],
        ["time"],
        ["cheap"],
    )
    assert (cost.patterns, cost.color, time.id) == (["no money", "cuts"], "#ff0000", "time")


def refused_import(source: str, output: str) -> str:
    """`coder codebook import`'s error, having checked that it failed and wrote nothing."""
    result = run("import", source, "-o", output)
    assert result.exit_code == 1
    assert not Path(output).exists()
    return result.output


def test_import_of_a_yaml_codebook_points_to_validate() -> None:
    Path("mine.yaml").write_text(
        "name: Mine\nthemes:\n  - id: time\n    label: Time\n", encoding="utf-8"
    )
    assert refused_import("mine.yaml", "out.yaml") == (
        "Error: mine.yaml is a YAML file, which is a codebook already: check it with `coder "
        "codebook validate mine.yaml`; `codebook import` makes one from a spreadsheet of themes "
        "or a .qdc\n"
    )


def test_import_without_a_label_column() -> None:
    write_csv(Path("themes.csv"), ["name", "category"], [("Time", "Barriers")])
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 1
    assert result.output == (
        "Error: no label column 'label' in themes.csv; the columns are: name, category. "
        "Use --label-column NAME\n"
    )
    assert not Path("mine.yaml").exists()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Time", "a"), ("", "b")], "Error: themes.csv:3: empty label\n"),
        ([("Time", "a"), ("TIME", "b")], "Error: themes.csv:3: label 'TIME' appears twice\n"),
        (
            [],
            "Error: themes.csv has no themes: expected one row per theme under a 'label' header\n",
        ),
    ],
)
def test_import_bad_rows(rows: list[tuple[str, str]], message: str) -> None:
    write_csv(Path("themes.csv"), ["label", "definition"], rows)
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 1
    assert result.output == message
    assert not Path("mine.yaml").exists()


def test_import_refuses_a_cyclic_hierarchy() -> None:
    write_csv(Path("themes.csv"), ["label", "parent"], [("A", "A"), ("B", "C"), ("C", "B")])
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 1
    assert "cannot be its own parent" in result.output
    assert not Path("mine.yaml").exists()


def test_import_notes_columns_left_out_and_a_group_that_looks_like_a_typo() -> None:
    write_csv(
        Path("themes.csv"),
        ["label", "parent", "colour", "defintion"],
        [
            ("Working conditions", "", "red", "x"),
            ("Long hours", "Working condition", "", ""),
        ],
    )
    result = run("import", "themes.csv", "-o", "mine.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "Note: Left out the columns 'colour', 'defintion': the codebook's columns are label, "
        "id, parent, major_category, definition, brief, color, include, exclude, examples, "
        "counter_examples, patterns",
        "Note: Made a group 'Working condition' from the parent column, which names no theme; "
        "did you mean the theme 'Working conditions'?",
    ]


def test_import_refuses_a_token_pattern_in_a_cell_and_writes_nothing() -> None:
    write_csv(Path("themes.csv"), ["label", "patterns"], [("Workload", '[{LOWER: "overworked"}]')])
    assert refused_import("themes.csv", "mine.yaml") == (
        "Error: cannot import a codebook:\nthemes.csv: theme 'Workload': '[{LOWER: "
        '"overworked"}]\' is a token pattern, which a spreadsheet cell cannot hold (the patterns '
        "column takes phrases): add it to the YAML once imported\n"
    )


def test_import_writes_yaml_and_says_so_where_the_output_is_named_otherwise() -> None:
    write_csv(Path("themes.csv"), ["label"], [("Workload",)])
    assert refused_import("themes.csv", "mine.qdc") == (
        "Error: mine.qdc: `codebook import` writes a YAML codebook: name the output .yaml "
        "(`coder codebook export` writes a .qdc)\n"
    )
