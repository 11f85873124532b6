"""The codebook schema and its YAML loader: every problem at once, each with file:line and where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT, TINY_CODEBOOK

from coder import rules
from coder.codebook import Codebook, slugify
from coder.codebook_io import dump_codebook, load_codebook, parse_codebook
from coder.errors import CodebookError

SHIPPED = ROOT / "codebooks"
THEME_KEYS = (
    "id, label, parent, codable, brief, definition, include, exclude, examples, "
    "counter_examples, patterns, color, replaces, split_from"
)


def problems_of(text: str, source: str = "x.yaml") -> list[str]:
    with pytest.raises(CodebookError) as caught:
        parse_codebook(text, source)
    assert caught.value.path == source
    return caught.value.problems


@pytest.fixture(scope="module")
def tiny() -> Codebook:
    return parse_codebook(TINY_CODEBOOK, "tiny.yaml")


# ---------------------------------------------------------------- valid codebooks


def test_tiny_codebook_loads_from_a_file(tiny_codebook: Path) -> None:
    book = load_codebook(tiny_codebook)
    assert book.name == "Tiny"
    assert book.version == "1"
    assert book.description == "A three-theme codebook for tests."
    assert [t.id for t in book.themes] == ["barriers", "time", "cost", "box_ticking"]
    assert book.codable_ids == ["time", "cost", "box_ticking"]
    cost = book.theme("cost")
    assert cost.parent == "barriers"
    assert cost.patterns == ["budget", [{"LEMMA": "fund"}]]
    assert cost.color == "#ff7f0e"
    assert book.theme("barriers").codable is False


@pytest.mark.parametrize(
    ("name", "themes", "codable"),
    [("coproduction.yaml", 23, 17), ("nhs_fft.yaml", 42, 32)],
)
def test_shipped_codebooks_load(name: str, themes: int, codable: int) -> None:
    book = load_codebook(SHIPPED / name)
    assert len(book.themes) == themes
    assert len(book.codable) == codable
    # Every codable theme sits under a group that exists and is not itself codable.
    groups = {t.id for t in book.themes if not t.codable}
    assert groups
    for theme in book.codable:
        assert theme.parent is None or theme.parent in groups


def test_nhs_codebook_has_every_codable_theme_under_a_major_category() -> None:
    book = load_codebook(SHIPPED / "nhs_fft.yaml")
    assert all(t.parent is not None for t in book.codable)
    assert all(t.parent is None for t in book.themes if not t.codable)
    assert book.theme("staff_manner_personal_attributes").parent == "staff"


def test_a_bom_at_the_start_of_the_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_text(TINY_CODEBOOK, encoding="utf-8-sig")
    assert load_codebook(path).name == "Tiny"


def test_a_codebook_saved_as_utf16_is_read_and_one_in_another_encoding_says_where(
    tmp_path: Path,
) -> None:
    # Notepad's "Unicode" is UTF-16 with a BOM; its "ANSI" is cp1252.
    wide = tmp_path / "wide.yaml"
    wide.write_text(TINY_CODEBOOK.replace("Tiny", "Tiny café"), encoding="utf-16")
    assert load_codebook(wide).name == "Tiny café"
    ansi = tmp_path / "ansi.yaml"
    ansi.write_text(TINY_CODEBOOK.replace("Tiny", "Tiny café"), encoding="cp1252")
    with pytest.raises(CodebookError) as caught:
        load_codebook(ansi)
    assert caught.value.problems == [
        f"{ansi}:1: not UTF-8 text (byte 0xe9): save the codebook as UTF-8 in your editor and "
        "try again"
    ]


@pytest.mark.parametrize(
    ("line", "version"),
    [
        ("version: 1.0\n", "1.0"),
        ("version: 1.10\n", "1.10"),  # the float 1.1 to YAML
        ("version: 2.50\n", "2.50"),
        ("version: 2\n", "2"),
        ('version: "1.0"\n', "1.0"),
        ("version: 2024-06\n", "2024-06"),
        ("", "1"),
    ],
)
def test_version_is_kept_as_written(line: str, version: str) -> None:
    text = TINY_CODEBOOK.replace('version: "1"\n', line)
    book = parse_codebook(text)
    assert book.version == version
    assert parse_codebook(dump_codebook(book)).version == version


# ---------------------------------------------------------------- one problem at a time


def test_unknown_theme_key_lists_the_allowed_keys() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    colour: '#112233'\n"
    assert problems_of(text) == [
        f"x.yaml:5 themes -> 0 -> colour: unknown key 'colour' (did you mean 'color'? allowed: "
        f"{THEME_KEYS})"
    ]


def test_unknown_top_level_key_lists_the_allowed_keys() -> None:
    text = "name: T\ntitle: Oops\nthemes:\n  - id: a\n    label: A\n"
    assert problems_of(text) == [
        "x.yaml:2 title: unknown key 'title' (allowed: name, version, description, themes)"
    ]


def test_duplicate_id_names_the_first_use() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n  - id: a\n    label: B\n"
    assert problems_of(text) == [
        "x.yaml:5 themes -> 1 -> id: duplicate theme id 'a' (first used by themes -> 0)"
    ]


def test_a_theme_id_that_is_another_column_of_the_outputs_is_refused() -> None:
    text = (
        "name: T\nthemes:\n  - id: pay\n    label: Pay\n  - id: pay_score\n    label: Score\n"
        "  - id: codes\n    label: Codes\n"
    )
    assert problems_of(text) == [
        "x.yaml:5 themes -> 1 -> id: theme id 'pay_score' is the name of the score column of "
        "theme 'pay' in the outputs: give it another id",
        "x.yaml:7 themes -> 2 -> id: theme id 'codes' is the name of a column coder writes "
        "beside the themes' (id, text, codes, coding, reviewers, memo, flagged): give it "
        "another id",
    ]
    # A project or model that holds such a codebook from before still opens.
    assert parse_codebook(text, "p.db codebook 1", stored=True).codable_ids == [
        "pay",
        "pay_score",
        "codes",
    ]


def test_unknown_parent_with_did_you_mean() -> None:
    text = (
        "name: T\n"
        "themes:\n"
        "  - id: distrust\n"
        "    label: Distrust\n"
        "    codable: false\n"
        "  - id: time\n"
        "    label: Time\n"
        "  - id: cost\n"
        "    label: Cost\n"
        "    parent: time\n"
        "  - id: worry\n"
        "    label: Worry\n"
        "    brief: Worried.\n"
        "    parent: distrst\n"
    )
    assert problems_of(text) == [
        "x.yaml:14 themes -> 3 -> parent: unknown theme 'distrst' (did you mean 'distrust'?)"
    ]


def test_unknown_parent_without_a_close_match_has_no_hint() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    parent: zzzz\n"
    assert problems_of(text) == ["x.yaml:5 themes -> 0 -> parent: unknown theme 'zzzz'"]


def test_parent_cycle_is_reported_once() -> None:
    text = (
        "name: T\nthemes:\n"
        "  - id: a\n    label: A\n    parent: b\n"
        "  - id: b\n    label: B\n    parent: a\n"
    )
    assert problems_of(text) == ["x.yaml:5 themes -> 0 -> parent: parent cycle: a -> b -> a"]


def test_longer_parent_cycle() -> None:
    text = (
        "name: T\nthemes:\n"
        "  - id: top\n    label: Top\n"
        "  - id: a\n    label: A\n    parent: c\n"
        "  - id: b\n    label: B\n    parent: a\n"
        "  - id: c\n    label: C\n    parent: b\n"
    )
    assert problems_of(text) == ["x.yaml:7 themes -> 1 -> parent: parent cycle: a -> c -> b -> a"]


def test_own_parent_is_not_also_reported_as_a_cycle() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    parent: a\n"
    assert problems_of(text) == [
        "x.yaml:5 themes -> 0 -> parent: theme 'a' cannot be its own parent"
    ]


MERGED = """\
name: T
themes:
  - id: group
    label: Group
    codable: false
  - id: resources
    label: Resources
    parent: group
    replaces: [time, cost]
"""


def test_replaces_names_the_ids_a_theme_took_over(tiny: Codebook) -> None:
    book = parse_codebook(MERGED)
    assert book.theme("resources").replaces == ["time", "cost"]
    assert book.replaced == {"time": "resources", "cost": "resources"}
    assert tiny.replaced == {}


@pytest.mark.parametrize(
    ("replaces", "message"),
    [
        ("[resources]", "replaces -> 0: theme 'resources' cannot replace itself"),
        (
            "[time, group]",
            "replaces -> 1: 'group' is still a theme here (themes -> 0): remove that theme to "
            "merge it into this one, or leave it out of replaces",
        ),
        ("[Time]", "replaces -> 0: String should match pattern '^[a-z][a-z0-9_]*$'"),
    ],
)
def test_a_theme_cannot_replace_itself_a_theme_still_there_or_a_bad_id(
    replaces: str, message: str
) -> None:
    text = MERGED.replace("[time, cost]", replaces)
    assert problems_of(text) == [f"x.yaml:9 themes -> 1 -> {message}"]


def test_an_id_is_replaced_by_one_codable_theme_only() -> None:
    text = MERGED.replace("codable: false", "codable: false\n    replaces: [old_group]") + (
        "  - id: money\n    label: Money\n    replaces: [cost]\n"
    )
    assert problems_of(text) == [
        "x.yaml:6 themes -> 0 -> replaces: theme 'group' is not codable, so it cannot take "
        "over other themes' codes",
        "x.yaml:13 themes -> 2 -> replaces -> 0: 'cost' is already replaced by theme 'resources'",
    ]


SPLIT = """\
name: T
themes:
  - id: distrust_services
    label: Distrust of services
    split_from: [distrust]
  - id: distrust_government
    label: Distrust of government
    split_from: [distrust]
"""


def test_split_from_names_the_parts_of_a_split_theme_in_codebook_order(tiny: Codebook) -> None:
    book = parse_codebook(SPLIT)
    assert book.split == {"distrust": ("distrust_services", "distrust_government")}
    assert book.resolve("distrust") is None  # its codes belong to no one part
    assert book.gone_hint("distrust") == (
        "; 'distrust' was split into 'distrust_services', 'distrust_government'"
    )
    assert parse_codebook(MERGED).gone_hint("time") == "; 'time' is replaced by 'resources'"
    assert tiny.split == {} and tiny.gone_hint("distrust") == ""


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (
                "split_from: [distrust]\n  - id: distrust_g",
                "split_from: [distrust_services]\n  - id: distrust_g",
            ),
            "x.yaml:5 themes -> 0 -> split_from -> 0: theme 'distrust_services' cannot be split "
            "from itself",
        ),
        (
            (
                "    split_from: [distrust]\n  - id: distrust_g",
                "    split_from: [distrust_government]\n  - id: distrust_g",
            ),
            "x.yaml:5 themes -> 0 -> split_from -> 0: 'distrust_government' is still a theme here "
            "(themes -> 1): a split theme leaves the codebook: give the part that keeps its "
            "meaning an id of its own, or leave it out of split_from",
        ),
        (
            ("label: Distrust of services\n", "label: Distrust of services\n    codable: false\n"),
            "x.yaml:6 themes -> 0 -> split_from: theme 'distrust_services' is not codable, so it "
            "cannot be a part of a split theme",
        ),
    ],
)
def test_a_split_theme_has_left_and_its_parts_are_codable(
    edit: tuple[str, str], message: str
) -> None:
    assert problems_of(SPLIT.replace(*edit, 1)) == [message]


def test_an_id_is_either_split_or_replaced_not_both() -> None:
    text = SPLIT + "  - id: trust\n    label: Trust\n    replaces: [distrust]\n"
    assert problems_of(text) == [
        "x.yaml:11 themes -> 2 -> replaces -> 0: 'distrust' was split (split_from of theme "
        "'distrust_services'): its codes cannot also be taken over (leave it out of one of them)"
    ]


@pytest.mark.parametrize("color", ["blue", "'#12345'", "'#1234567'", "'#gggggg'"])
def test_bad_color(color: str) -> None:
    text = f"name: T\nthemes:\n  - id: a\n    label: A\n    color: {color}\n"
    shown = color.strip("'")
    assert problems_of(text) == [
        f"x.yaml:5 themes -> 0 -> color: invalid color '{shown}': use #RRGGBB, e.g. '#1f77b4'"
    ]


@pytest.mark.parametrize("bad_id", ["Bad-Id", "1st", "_a", "a b", "café"])
def test_bad_id(bad_id: str) -> None:
    text = f"name: T\nthemes:\n  - id: ok\n    label: OK\n  - id: '{bad_id}'\n    label: A\n"
    assert problems_of(text) == [
        f"x.yaml:5 themes -> 1 -> id: invalid id '{bad_id}': use lower-case letters, digits "
        "and _, starting with a letter"
    ]


def test_missing_label_points_at_the_theme() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n  - id: b\n    brief: No label.\n"
    assert problems_of(text) == ["x.yaml:5 themes -> 1 -> label: field required"]


def test_blank_label_is_refused() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: '   '\n"
    assert problems_of(text) == ["x.yaml:4 themes -> 0 -> label: is empty: give it text"]


def test_missing_name_and_themes() -> None:
    assert sorted(problems_of("description: nothing else\n")) == [
        "x.yaml:1 name: field required",
        "x.yaml:1 themes: field required",
    ]


def test_no_codable_theme() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    codable: false\n"
    assert problems_of(text) == [
        "x.yaml:2 themes: no codable theme: set `codable: true` on at least one theme"
    ]


def test_invalid_spacy_token_pattern_is_located_at_the_pattern() -> None:
    text = (
        "name: T\nthemes:\n  - id: a\n    label: A\n    patterns:\n"
        "      - fine phrase\n"
        '      - [{LOWERR: "x"}]\n'
    )
    assert problems_of(text) == [
        "x.yaml:7 themes -> 0 -> patterns -> 1: invalid spaCy token pattern: "
        "token 0 -> LOWERR: Extra inputs are not permitted"
    ]


def test_invalid_spacy_token_pattern_value() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    patterns: [[{LOWER: x, OP: '!!'}]]\n"
    (problem,) = problems_of(text)
    assert problem.startswith(
        "x.yaml:5 themes -> 0 -> patterns -> 0: invalid spaCy token pattern: token 0 -> OP"
    )


def test_invalid_regex_in_token_pattern_is_a_codebook_problem() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    patterns: [[{TEXT: {REGEX: '('}}]]\n"
    assert problems_of(text) == [
        "x.yaml:5 themes -> 0 -> patterns -> 0: invalid regular expression in REGEX: "
        "missing ), unterminated subpattern at position 0"
    ]


@pytest.mark.parametrize(
    ("empty", "message"),
    [
        ('""', "phrase '' has no word to match"),
        ("'   '", "phrase '   ' has no word to match"),
        ("[]", "empty token pattern: give at least one token"),
        ("[{}]", rules.ANY_TOKEN),
        ("'tick(ing)? box(es)?'", rules._regex_phrase("tick(ing)? box(es)?")),
        ("'^waiting.*$'", rules._regex_phrase("^waiting.*$")),
        ("[{OP: '+'}, {}]", rules.ANY_TOKEN),
    ],
)
def test_empty_pattern(empty: str, message: str) -> None:
    text = (
        f"name: T\nthemes:\n  - id: a\n    label: A\n    patterns:\n      - ok\n      - {empty}\n"
    )
    assert problems_of(text) == [f"x.yaml:7 themes -> 0 -> patterns -> 1: {message}"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (
            "[{LOWER: 'too much'}]",
            "token 0: LOWER 'too much' is 2 words to spaCy, and one token matches one word, so "
            'it never matches: give each its own token, [{LOWER: "too"}, {LOWER: "much"}]',
        ),
        (
            "[{LOWER: {IN: [rota, burn-out]}}]",
            "token 0: LOWER 'burn-out' is 3 words to spaCy, and one token matches one word, so "
            'it never matches: give each its own token, [{LOWER: "burn"}, {LOWER: "-"}, '
            '{LOWER: "out"}]',
        ),
        (
            "[{LEMMA: Overwork}]",
            "token 0: LEMMA is compared with the word in lower case, so 'Overwork' never "
            "matches: write 'overwork'",
        ),
        ("[{IS_ALPHA: true}]", rules.ANY_TOKEN),
        ("[{LOWER: {REGEX: '.*'}}, {IS_ALPHA: true}]", rules.ANY_TOKEN),
        (
            "[{TEXT: {REGEX: '(a+)+$'}}]",
            "token 0: REGEX '(a+)+$' repeats a group that itself repeats (as (a+)+ does): on "
            "some comments it would run for minutes. Write it without the repeat of a repeat",
        ),
        (
            "'‘tick box’'",
            "phrase '‘tick box’' is in quotes, which a comment would have to have too: write it "
            "without them, 'tick box'",
        ),
        (
            "[{LOWER: no}, {LOWER: time}]",
            'token 0: YAML read LOWER\'s word as False, not text: put it in quotes, {LOWER: "no"}',
        ),
    ],
)
def test_a_pattern_that_would_never_match_match_everything_or_hang_is_refused(
    pattern: str, message: str
) -> None:
    text = f"name: T\nthemes:\n  - id: a\n    label: A\n    patterns:\n      - {pattern}\n"
    assert problems_of(text) == [f"x.yaml:6 themes -> 0 -> patterns -> 0: {message}"]
    if "YAML" not in message:  # a codebook a project holds opens as it did when it was saved
        assert parse_codebook(text, "p.db codebook 1", stored=True).themes[0].patterns


def test_a_key_given_twice_in_one_block_is_a_problem_not_a_silent_replacement() -> None:
    # YAML keeps the second `themes:`, so the first block's themes would vanish without a word.
    text = (
        "name: T\nthemes:\n  - id: a\n    label: A\n    patterns: [one]\n"
        "    patterns: [two]\n  - {id: b, label: B, label: Bee}\nthemes:\n  - id: c\n"
        "    label: C\n"
    )
    assert problems_of(text) == [
        "x.yaml:6: key 'patterns' appears twice in one block (first on line 5), and the second "
        "would replace the first: merge them",
        "x.yaml:7: key 'label' appears twice in one block (first on line 7), and the second "
        "would replace the first: merge them",
        "x.yaml:8: key 'themes' appears twice in one block (first on line 2), and the second "
        "would replace the first: merge them",
    ]


def test_a_token_pattern_with_a_property_but_no_word_is_allowed() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    patterns: [[{IS_CURRENCY: true}]]\n"
    assert parse_codebook(text, "x.yaml").themes[0].patterns == [[{"IS_CURRENCY": True}]]


def test_phrase_without_a_word() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    patterns: ['...']\n"
    assert problems_of(text) == [
        "x.yaml:5 themes -> 0 -> patterns -> 0: phrase '...' has no word to match"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: T\nthemes:\n  - id: a\n    label: [unclosed\n",
            "x.yaml:5: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "name: T\nthemes:\n  - id: a\n   label: bad indent\n",
            "x.yaml:4: not valid YAML: expected <block end>, but found '<block mapping start>' "
            "(a line indented differently from those above it: line up each theme's keys, and "
            "each '- ')",
        ),
    ],
)
def test_invalid_yaml_reports_the_line(text: str, expected: str) -> None:
    with pytest.raises(CodebookError) as caught:
        parse_codebook(text, "x.yaml")
    assert caught.value.problems == [expected]
    assert str(caught.value) == f"invalid codebook x.yaml (1 problem):\n{expected}"


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_document_that_is_not_a_mapping(text: str) -> None:
    assert problems_of(text) == ["x.yaml:1: expected a mapping with name and themes"]


def test_file_that_does_not_exist(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.problems == [f"{path}: no such file"]
    assert str(caught.value) == f"invalid codebook {path} (1 problem):\n{path}: no such file"


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("book.qdc", "<CodeBook/>", "a REFI-QDA codebook"),
        ("book.txt", "<?xml version='1.0'?>\n<CodeBook/>", "XML"),
        ("themes.csv", "label,definition\nWaits,Delays\n", "a spreadsheet of themes"),
    ],
)
def test_a_codebook_in_another_format_says_how_to_convert_it(
    tmp_path: Path, name: str, text: str, kind: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    stem = name.rsplit(".", 1)[0]
    assert caught.value.problems == [
        f"{path}: this is {kind}, not a YAML codebook; make one of it with: coder codebook "
        f"import {path} -o {stem}.yaml"
    ]


def test_messages_name_the_file_they_came_from(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: T\nthemes:\n  - id: a\n    label: A\n    parent: a\n", encoding="utf-8")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert caught.value.problems == [
        f"{path}:5 themes -> 0 -> parent: theme 'a' cannot be its own parent"
    ]


# ---------------------------------------------------------------- every problem at once

SCHEMA_BROKEN = """\
name: Broken
colour: red
themes:
  - id: Bad-Id
    label: Bad id
  - id: painted
    label: Painted
    color: blue
  - id: unlabelled
    brief: Where is my label?
  - id: empty_pattern
    label: Empty pattern
    patterns:
      - ""
  - id: extra
    label: Extra
    sound: loud
"""


def test_every_schema_problem_is_reported_at_once() -> None:
    with pytest.raises(CodebookError) as caught:
        parse_codebook(SCHEMA_BROKEN, "x.yaml")
    expected = [
        "x.yaml:2 colour: unknown key 'colour' (allowed: name, version, description, themes)",
        "x.yaml:4 themes -> 0 -> id: invalid id 'Bad-Id': use lower-case letters, digits and _, "
        "starting with a letter",
        "x.yaml:8 themes -> 1 -> color: invalid color 'blue': use #RRGGBB, e.g. '#1f77b4'",
        "x.yaml:9 themes -> 2 -> label: field required",
        "x.yaml:14 themes -> 3 -> patterns -> 0: phrase '' has no word to match",
        f"x.yaml:17 themes -> 4 -> sound: unknown key 'sound' (allowed: {THEME_KEYS})",
    ]
    assert caught.value.problems == expected  # in the order of their lines
    assert str(caught.value) == "invalid codebook x.yaml (6 problems):\n" + "\n".join(expected)


CROSS_BROKEN = """\
name: Broken
themes:
  - id: distrust
    label: Distrust
  - id: distrust
    label: Distrust again
  - id: worry
    label: Worry
    parent: distrst
  - id: a
    label: A
    parent: b
  - id: b
    label: B
    parent: a
  - id: selfish
    label: Selfish
    parent: selfish
  - id: typo
    label: Typo
    patterns:
      - [{LOWERR: "x"}]
"""


def test_every_cross_theme_problem_is_reported_at_once() -> None:
    assert problems_of(CROSS_BROKEN) == (
        [
            "x.yaml:5 themes -> 1 -> id: duplicate theme id 'distrust' (first used by themes -> 0)",
            "x.yaml:9 themes -> 2 -> parent: unknown theme 'distrst' (did you mean 'distrust'?)",
            "x.yaml:12 themes -> 3 -> parent: parent cycle: a -> b -> a",
            "x.yaml:18 themes -> 5 -> parent: theme 'selfish' cannot be its own parent",
            "x.yaml:22 themes -> 6 -> patterns -> 0: invalid spaCy token pattern: "
            "token 0 -> LOWERR: Extra inputs are not permitted",
        ]
    )


def test_schema_and_cross_theme_problems_are_reported_together() -> None:
    text = (
        "name: T\nthemes:\n  - id: a\n    label: A\n    colour: red\n  - id: a\n    label: Again\n"
    )
    assert problems_of(text) == [
        f"x.yaml:5 themes -> 0 -> colour: unknown key 'colour' (did you mean 'color'? allowed: "
        f"{THEME_KEYS})",
        "x.yaml:6 themes -> 1 -> id: duplicate theme id 'a' (first used by themes -> 0)",
    ]


EVERYTHING_BROKEN = """\
name: Broken
version: 1.0
colour: red
themes:
  - id: distrust
    label: Distrust
  - id: distrust
    label: Again
  - id: Bad-Id
    label: X
  - id: orphan
    label: Orphan
    parent: distrst
  - id: a
    label: A
    parent: b
  - id: b
    label: B
    parent: a
  - id: self
    label: Self
    parent: self
  - id: c
    label: C
    color: blue
  - id: d
  - id: e
    label: E
    patterns:
      - [{LOWERR: "x"}]
      - ""
    sound: loud
"""


def test_every_kind_of_problem_at_once_in_line_order() -> None:
    assert problems_of(EVERYTHING_BROKEN) == [
        "x.yaml:3 colour: unknown key 'colour' (allowed: name, version, description, themes)",
        "x.yaml:7 themes -> 1 -> id: duplicate theme id 'distrust' (first used by themes -> 0)",
        "x.yaml:9 themes -> 2 -> id: invalid id 'Bad-Id': use lower-case letters, digits and _, "
        "starting with a letter",
        "x.yaml:13 themes -> 3 -> parent: unknown theme 'distrst' (did you mean 'distrust'?)",
        "x.yaml:16 themes -> 4 -> parent: parent cycle: a -> b -> a",
        "x.yaml:22 themes -> 6 -> parent: theme 'self' cannot be its own parent",
        "x.yaml:25 themes -> 7 -> color: invalid color 'blue': use #RRGGBB, e.g. '#1f77b4'",
        "x.yaml:26 themes -> 8 -> label: field required",
        "x.yaml:30 themes -> 9 -> patterns -> 0: invalid spaCy token pattern: "
        "token 0 -> LOWERR: Extra inputs are not permitted",
        "x.yaml:31 themes -> 9 -> patterns -> 1: phrase '' has no word to match",
        f"x.yaml:32 themes -> 9 -> sound: unknown key 'sound' (allowed: {THEME_KEYS})",
    ]


@pytest.mark.parametrize("value", ["0", '"false"'])
def test_codable_written_as_0_or_text_still_needs_a_codable_theme(value: str) -> None:
    text = f"name: T\nthemes:\n  - id: a\n    label: A\n    codable: {value}\n"
    assert problems_of(text) == [
        "x.yaml:2 themes: no codable theme: set `codable: true` on at least one theme"
    ]


# ---------------------------------------------------------------- the Codebook API


def test_codable_skips_groups(tiny: Codebook) -> None:
    assert [t.id for t in tiny.codable] == ["time", "cost", "box_ticking"]
    assert tiny.codable_ids == ["time", "cost", "box_ticking"]


def test_theme_lookup(tiny: Codebook) -> None:
    assert tiny.theme("time").label == "Time"
    with pytest.raises(KeyError):
        tiny.theme("nope")


def test_children_and_ancestors(tiny: Codebook) -> None:
    assert [t.id for t in tiny.children(None)] == ["barriers", "box_ticking"]
    assert [t.id for t in tiny.children("barriers")] == ["time", "cost"]
    assert tiny.children("time") == []
    assert tiny.ancestors("time") == ["barriers"]
    assert tiny.ancestors("barriers") == []
    assert tiny.ancestors("box_ticking") == []


def test_ancestors_of_a_deeper_hierarchy() -> None:
    book = parse_codebook(
        "name: T\nthemes:\n"
        "  - {id: top, label: Top, codable: false}\n"
        "  - {id: mid, label: Mid, parent: top, codable: false}\n"
        "  - {id: leaf, label: Leaf, parent: mid}\n"
    )
    assert book.ancestors("leaf") == ["mid", "top"]
    assert [t.id for t in book.children("mid")] == ["leaf"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("time", "time"),
        ("TIME", "time"),
        ("  Cost ", "cost"),
        ("box-ticking", "box_ticking"),
        ("BOX_TICKING", "box_ticking"),
        ("tokenism", "box_ticking"),  # an id the theme replaces
        ("Tokenism", "box_ticking"),
        ("Barriers", None),  # a group is not codable
        ("barriers", None),
        ("money", None),
        ("", None),
    ],
)
def test_resolve_by_id_label_or_replaced_id(name: str, expected: str | None) -> None:
    book = parse_codebook(
        TINY_CODEBOOK.replace(
            "label: Box-ticking\n", "label: Box-ticking\n    replaces: [tokenism]\n"
        )
    )
    assert book.resolve(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("tme", "time"), ("costs", "cost"), ("Box ticking", "Box-ticking"), ("zzzzzz", None)],
)
def test_suggest(tiny: Codebook, name: str, expected: str | None) -> None:
    assert tiny.suggest(name) == expected


def test_content_hash_is_stable(tiny: Codebook) -> None:
    digest = tiny.content_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert parse_codebook(TINY_CODEBOOK).content_hash() == digest
    # Comments, blank lines and key order do not change the content.
    reordered = (
        TINY_CODEBOOK.replace("name: Tiny\n", "")
        .replace("themes:\n", "# a comment\n\nname: Tiny\nthemes:\n")
        .replace(
            "  - id: box_ticking\n    label: Box-ticking\n",
            "  - label: Box-ticking\n    id: box_ticking\n",
        )
    )
    assert reordered != TINY_CODEBOOK
    assert parse_codebook(reordered).content_hash() == digest


def test_content_hash_is_what_it_was_before_themes_could_replace_others(tiny: Codebook) -> None:
    # Models keep the hash of the codebook they were trained with: the shipped model, trained
    # before `replaces` existed, must still match its codebook.
    assert tiny.content_hash() == (
        "2c543666db9cbbd5c2c0c3241c66ba1804e8e0ef6faaa08fdd7fc599aaa3ec5e"
    )
    shipped = load_codebook(SHIPPED / "coproduction.yaml")
    assert (
        shipped.content_hash()
        == json.loads((ROOT / "models" / "coproduction" / "meta.json").read_text(encoding="utf-8"))[
            "codebook"
        ]["hash"]
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "definition: Lack of time or workload gets in the way.",
            "definition: Lack of time gets in the way.",
        ),
        ("      - too busy\n", "      - too busy\n      - rushed\n"),
        ("    brief: Money.", "    brief: Money matters."),
        ('version: "1"', 'version: "2"'),
        ("    label: Box-ticking\n", "    label: Box-ticking\n    replaces: [tokenism]\n"),
    ],
)
def test_content_hash_changes_with_the_content(tiny: Codebook, old: str, new: str) -> None:
    assert old in TINY_CODEBOOK
    changed = parse_codebook(TINY_CODEBOOK.replace(old, new))
    assert changed.content_hash() != tiny.content_hash()


@pytest.mark.parametrize(
    "load",
    [
        lambda: parse_codebook(TINY_CODEBOOK),
        lambda: load_codebook(SHIPPED / "coproduction.yaml"),
        lambda: load_codebook(SHIPPED / "nhs_fft.yaml"),
    ],
    ids=["tiny", "coproduction", "nhs_fft"],
)
def test_dump_then_parse_round_trips(load) -> None:
    book = load()
    text = dump_codebook(book)
    again = parse_codebook(text, "dumped.yaml")
    assert again == book
    assert again.content_hash() == book.content_hash()
    assert dump_codebook(again) == text


def test_dump_leaves_out_defaults(tiny: Codebook) -> None:
    text = dump_codebook(tiny)
    assert text.startswith("name: Tiny\nversion: '1'\ndescription: A three-theme codebook")
    assert "codable: true" not in text
    assert "codable: false" in text
    for empty in ("include:", "exclude:", "counter_examples:", "parent: null", "color: null"):
        assert empty not in text
    assert "  - - LEMMA: fund\n" in text


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Staff manner & attitude", "staff_manner_attitude"),
        ("  Box-ticking!  ", "box_ticking"),
        ("24/7 access", "theme_24_7_access"),
        ("!!!", "theme"),
    ],
)
def test_slugify(label: str, slug: str) -> None:
    assert slugify(label) == slug


def test_phrases_with_punctuation_are_not_taken_for_regular_expressions() -> None:
    phrases = ["why?", "no time (at all)", "C++", "costs $", "e.g. cost"]
    text = f"name: T\nthemes:\n  - id: a\n    label: A\n    patterns: {json.dumps(phrases)}\n"
    assert parse_codebook(text, "x.yaml").themes[0].patterns == phrases


def test_a_malformed_pattern_or_an_unquoted_number_gets_one_plain_line_each() -> None:
    text = (
        "name: T\nthemes:\n  - id: a\n    label: A\n    patterns:\n"
        "      - [{LOWER: x}]\n      - LOWER: y\n  - id: b\n    label: 2020\n"
    )
    assert problems_of(text) == [
        "x.yaml:7 themes -> 0 -> patterns -> 1: a pattern is a phrase (text) or a token pattern "
        "(a list of {ATTR: value} in [ ]): write it as one of those",
        "x.yaml:9 themes -> 1 -> label: should be text, and YAML read it as 2020: put it in quotes",
    ]


def test_fields_left_blank_in_a_template_are_empty_not_errors() -> None:
    book = parse_codebook(
        "name: T\nversion:\ndescription:\nthemes:\n  - id: a\n    label: A\n    definition:\n"
        "    include:\n    patterns:\n    codable:\n",
        "x.yaml",
    )
    theme = book.themes[0]
    assert (book.version, book.description, theme.definition, theme.include) == ("1", "", "", [])
    assert (theme.patterns, theme.codable) == ([], True)


def test_the_usual_mistakes_are_named_in_the_words_of_someone_writing_yaml() -> None:
    text = (
        "name: T\nthemes:\n  - id: a\n    label: A\n    examples: I have too much work\n"
        "  - id: b\n    label: B\n    parent: [a, c]\n    codable: maybe\n    Label: x\n"
        "  - Staff attitude\n  - id: 1\n    label: ''\n"
    )
    assert problems_of(text) == [
        "x.yaml:5 themes -> 0 -> examples: should be a list: put each item on a line of its "
        "own, after '- '",
        "x.yaml:8 themes -> 1 -> parent: should be one text, not a list (a theme has one parent)",
        "x.yaml:9 themes -> 1 -> codable: should be true or false",
        f"x.yaml:10 themes -> 1 -> Label: unknown key 'Label' (did you mean 'label'? allowed: "
        f"{THEME_KEYS})",
        "x.yaml:11 themes -> 2: is plain text, but a theme is a block of keys: `- id: "
        "staff_attitude` with `label: Staff attitude` under it",
        "x.yaml:12 themes -> 3 -> id: an id is a name of lower-case letters, digits and _, "
        "starting with a letter (such as theme_1), and YAML read this one as the number 1",
        "x.yaml:13 themes -> 3 -> label: is empty: give it text",
    ]
    assert problems_of("name: T\nthemes: []\n") == [
        "x.yaml:2 themes: is empty: list at least one theme under it, each starting with '- '"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: T\nthemes:\n  - id: a\n    label: A\n    definition: Note: about pay\n",
            "x.yaml:5: not valid YAML: mapping values are not allowed here (a colon and a space "
            "inside text, as in `definition: Note: ...`, start a key: put the text in quotes)",
        ),
        (
            "name: T\nthemes:\n\t- id: a\n",
            "x.yaml:3: not valid YAML: found character '\\t' that cannot start any token (a tab: "
            "indent with spaces, not tabs)",
        ),
        (
            'name: T\nthemes:\n  - id: a\n    label: "About "too much" work"\n',
            "x.yaml:4: not valid YAML: expected <block end>, but found '<scalar>' (text after a "
            "closing quote: a quote inside quoted text ends it, so put the text in the other "
            "kind of quotes, or write the inner quote twice inside single quotes)",
        ),
        (
            "name: T\nthemes:\n  - id: a\n    label: A\x0b\n",
            "x.yaml:4: not valid YAML: a control character (#x000b, pasted from Word or a PDF?) "
            "that YAML does not allow: delete it",
        ),
    ],
)
def test_yaml_mistakes_say_what_usually_causes_them(text: str, expected: str) -> None:
    assert problems_of(text) == [expected]


def test_a_theme_missing_its_dash_is_told_so() -> None:
    text = "name: T\nthemes:\n  - id: a\n    label: A\n    id: b\n    label: B\n"
    assert problems_of(text)[0] == (
        "x.yaml:5: key 'id' appears twice in one block (first on line 3), and the second would "
        "replace the first: merge them (is '- ' missing before the second theme?)"
    )


def test_a_pattern_indented_deeper_than_the_one_above_is_not_taken_for_more_words() -> None:
    text = (
        "name: T\nthemes:\n  - id: pay\n    label: Pay\n    definition: Use when\n"
        "      - pay is low\n    patterns:\n      - pay rise\n        - salary\n"
    )
    assert problems_of(text) == [
        "x.yaml:9: '- salary' is indented deeper than the pattern above it, so YAML reads it "
        "as more words of that phrase ('pay rise - salary'): line it up with the pattern above "
        "to make it a pattern of its own"
    ]


def test_a_long_example_written_by_coder_over_several_lines_reads_back() -> None:
    """yaml.dump folds a long text, and a line may then start with "- ": the same text."""
    long = "x" * 85 + " - very long - and then more words to fold the line here and there" * 3
    book = Codebook.model_validate(
        {"name": "T", "themes": [{"id": "a", "label": "A", "examples": [long]}]}
    )
    assert parse_codebook(dump_codebook(book), "x.yaml").themes[0].examples == [long]
