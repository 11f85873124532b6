"""The codebook rules component, run through the real pipeline that `coder` builds."""

from __future__ import annotations

import pytest
from conftest import TINY_CODEBOOK
from spacy.language import Language
from spacy.tokens import Doc

from coder.codebook_io import parse_codebook
from coder.nlp import build_pipeline
from coder.rules import EVIDENCE, NEGATED


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline(parse_codebook(TINY_CODEBOOK, "tiny.yaml"))


def matches(doc: Doc, group: str = EVIDENCE) -> list[tuple[str, str, int, int]]:
    """(theme, matched text, start char, end char) of the spans in one group."""
    return [(s.label_, s.text, s.start_char, s.end_char) for s in doc.spans[group]]


def test_pipeline_runs_rules_after_sentences_and_lemmas(nlp: Language) -> None:
    assert nlp.pipe_names == ["sentencizer", "coder_lemmatizer", "coder_rules"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "tick box" matches on lemmas, whatever the case and inflection.
        ("Ticking boxes again.", [("box_ticking", "Ticking boxes", 0, 13)]),
        ("They TICK BOX after box.", [("box_ticking", "TICK BOX", 5, 13)]),
        ("They ticked the box.", []),  # a phrase is contiguous: "the" breaks it
        # "box - tick" (the phrase as written with a hyphen) matches "box-ticking".
        ("A box-ticking exercise", [("box_ticking", "box-ticking", 2, 13)]),
        ("We had no time", [("time", "no time", 7, 14)]),
        ("Always too busy.", [("time", "too busy", 7, 15)]),
        ("The budget is gone.", [("cost", "budget", 4, 10)]),
    ],
)
def test_phrase_patterns_match_lemmas_case_insensitively(
    nlp: Language, text: str, expected: list[tuple[str, str, int, int]]
) -> None:
    doc = nlp(text)
    assert matches(doc) == expected
    assert matches(doc, NEGATED) == []


@pytest.mark.parametrize(
    ("text", "matched"),
    [("Was it funded?", "funded"), ("Funding was cut.", "Funding"), ("They fund it", "fund")],
)
def test_token_pattern_matches_on_lemma(nlp: Language, text: str, matched: str) -> None:
    doc = nlp(text)
    start = text.index(matched)
    assert matches(doc) == [("cost", matched, start, start + len(matched))]


def test_evidence_spans_slice_the_original_text(nlp: Language) -> None:
    text = "Honestly?  Too busy. The BUDGET was cut; pure box-ticking."
    doc = nlp(text)
    found = matches(doc)
    assert [theme for theme, *_ in found] == ["time", "cost", "box_ticking"]
    for _, span_text, start, end in found:
        assert text[start:end] == span_text


@pytest.mark.parametrize(
    "text",
    [
        "It never felt like box-ticking",
        "It isn't box-ticking at all.",
        "Not box-ticking, honestly.",
        "Without ticking boxes we got on.",
    ],
)
def test_negated_match_moves_to_negated_spans(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert matches(doc) == []
    negated = matches(doc, NEGATED)
    assert [theme for theme, *_ in negated] == ["box_ticking"]
    _, span_text, start, end = negated[0]
    assert text[start:end] == span_text


def test_negated_token_pattern(nlp: Language) -> None:
    doc = nlp("We had no funding at all.")
    assert matches(doc) == []
    assert matches(doc, NEGATED) == [("cost", "funding", 10, 17)]


@pytest.mark.parametrize(
    "text",
    [
        "not perfect, but box-ticking",
        "Not great; box-ticking all round.",
        "It was not good. Box-ticking from start to end.",
        "Nothing changed however box-ticking continued.",
    ],
)
def test_clause_or_sentence_break_stops_negation(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert [theme for theme, *_ in matches(doc)] == ["box_ticking"]
    assert matches(doc, NEGATED) == []


def test_negation_cue_far_before_the_match_does_not_negate(nlp: Language) -> None:
    # "no" is more than five tokens before the match, so it negates something else.
    doc = nlp("No one asked us what we think, it is box-ticking.")
    assert [theme for theme, *_ in matches(doc)] == ["box_ticking"]
    assert matches(doc, NEGATED) == []


def test_a_negated_and_a_plain_match_in_one_comment(nlp: Language) -> None:
    doc = nlp("It was never box-ticking. Now it is ticking boxes.")
    assert matches(doc) == [("box_ticking", "ticking boxes", 36, 49)]
    assert matches(doc, NEGATED) == [("box_ticking", "box-ticking", 13, 24)]


def test_every_doc_gets_both_span_groups(nlp: Language) -> None:
    doc = nlp("The weather was nice.")
    assert list(doc.spans[EVIDENCE]) == []
    assert list(doc.spans[NEGATED]) == []


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("Was it nice", ["be", "it", "nice"]),
        ("WAS", ["be"]),
        ("Ticking Boxes", ["tick", "box"]),
        ("Funded", ["fund"]),
        ("Zxqvbl", ["zxqvbl"]),  # an unknown word: its lower case
    ],
)
def test_lemmatizer_lowercases_before_lookup(nlp: Language, text: str, lemmas: list[str]) -> None:
    assert [token.lemma_ for token in nlp(text)] == lemmas


def test_empty_and_whitespace_texts_have_no_matches(nlp: Language) -> None:
    for text in ("", "   ", "\n\t"):
        doc = nlp(text)
        assert matches(doc) == [] and matches(doc, NEGATED) == []


def test_curly_apostrophe_negation_is_a_cue() -> None:
    from conftest import TINY_CODEBOOK

    from coder.codebook_io import parse_codebook
    from coder.nlp import build_pipeline

    nlp = build_pipeline(parse_codebook(TINY_CODEBOOK, "tiny.yaml"))
    doc = nlp("I don’t think it was box-ticking")
    assert [s.text for s in doc.spans["coder_rules"]] == []
    assert [s.text for s in doc.spans["coder_negated"]] == ["box-ticking"]


def test_a_phrase_with_an_apostrophe_matches_a_curly_one_typed_on_a_phone() -> None:
    from coder.codebook_io import parse_codebook
    from coder.nlp import build_pipeline

    book = parse_codebook(
        "name: T\nthemes:\n  - id: unheard\n    label: Unheard\n    patterns:\n"
        '      - "don\'t listen"\n      - can’t get through\n',
        "t.yaml",
    )
    nlp = build_pipeline(book)
    for text, found in [
        ("They don’t listen to us", "don’t listen"),
        ("They don't listen to us", "don't listen"),
        ("I can't get through on the phone", "can't get through"),
    ]:
        doc = nlp(text)
        assert [s.text for s in doc.spans["coder_rules"]] == [found]


def test_a_phrase_matches_a_comment_typed_in_capitals() -> None:
    from coder.codebook_io import parse_codebook
    from coder.nlp import build_pipeline

    book = parse_codebook(
        'name: T\nthemes:\n  - id: unheard\n    label: Unheard\n    patterns: ["don\'t listen"]\n',
        "t.yaml",
    )
    nlp = build_pipeline(book)
    doc = nlp("THEY DON'T LISTEN AND THEY DIDN’T CARE")
    assert [t.text for t in doc][:4] == ["THEY", "DO", "N'T", "LISTEN"]
    assert [s.text for s in doc.spans["coder_rules"]] == ["DON'T LISTEN"]
