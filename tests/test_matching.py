"""The fast token-pattern matcher finds exactly what spaCy's Matcher finds."""

from __future__ import annotations

import csv

import pytest
from spacy.matcher import Matcher

from coder.codebook_io import load_codebook
from coder.matching import TokenPatternMatcher
from coder.nlp import build_pipeline
from tests.conftest import ROOT

TEXTS = [
    "No. Nothing else to say!",
    "no way",
    "no",
    "The service was very very quick and efficient.",
    "Quick, efficient and kind staff; the service is so efficient.",
    "It was a box ticking exercise, they tick boxes.",
    "A b b c, a c, a.",
    "Efficient",
    "",
    "   ",
    "Staff were well - organised and well managed. Badly run though!",
    "I waited 3 hours, then 45 minutes more.",
]

PATTERNS = {
    "fixed": [[{"LOWER": "very"}, {"LOWER": "quick"}]],
    "optional": [
        [{"LOWER": "quick"}, {"LOWER": {"IN": ["and", ","]}, "OP": "?"}, {"LEMMA": "efficient"}]
    ],
    "star": [[{"LOWER": "a"}, {"LOWER": "b", "OP": "*"}, {"LOWER": "c", "OP": "?"}]],
    "plus": [[{"LOWER": "very", "OP": "+"}, {"LOWER": "quick"}]],
    "anchor_late": [
        [{"IS_ALPHA": True, "OP": "?"}, {"LOWER": "-", "OP": "*"}, {"LOWER": "organised"}]
    ],
    "flags": [
        [
            {"IS_SENT_START": True, "LOWER": {"IN": ["no", "efficient"]}},
            {"IS_ALPHA": True, "OP": "!"},
        ]
    ],
    "number": [[{"LIKE_NUM": True}, {"LEMMA": {"IN": ["hour", "minute"]}}]],
    "lemma": [[{"LEMMA": "tick"}, {"LEMMA": "box"}]],
    # Not in the fast subset: must go to spaCy's Matcher and still match.
    "regex": [[{"LOWER": {"REGEX": "^effic"}}]],
    "not_in": [[{"LOWER": "staff"}, {"LOWER": {"NOT_IN": ["were"]}}]],
    "all_optional": [[{"LOWER": "no", "OP": "?"}, {"LOWER": "nothing", "OP": "?"}]],
}


def _both(nlp, patterns):
    reference, fast = Matcher(nlp.vocab), TokenPatternMatcher(nlp.vocab)
    for key, specs in patterns.items():
        reference.add(key, specs)
        fast.add(key, specs)
    return reference, fast


def test_same_matches_as_spacy_on_every_kind_of_pattern(tiny_codebook):
    nlp = build_pipeline(load_codebook(tiny_codebook))
    reference, fast = _both(nlp, PATTERNS)
    for doc in nlp.pipe(TEXTS):
        assert fast(doc) == sorted(reference(doc), key=lambda m: (m[1], m[2], m[0])), doc.text
    # The unsupported patterns went to spaCy's Matcher; the rest did not.
    assert len(fast.fallback) == 3
    assert len(fast) == len(PATTERNS)


def test_examples_of_what_is_found(tiny_codebook):
    nlp = build_pipeline(load_codebook(tiny_codebook))
    _, fast = _both(nlp, PATTERNS)
    doc = nlp("A b b c, a c, a.")
    star = [(s, e) for key, s, e in fast(doc) if nlp.vocab.strings[key] == "star"]
    # "a." at the end is one token (spaCy keeps single-letter abbreviations whole)
    assert star == [(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (5, 7)]
    doc = nlp("No. Nothing else")
    flags = [doc[s:e].text for key, s, e in fast(doc) if nlp.vocab.strings[key] == "flags"]
    assert flags == ["No."]


@pytest.mark.parametrize("name", ["nhs_fft", "coproduction"])
def test_same_matches_as_spacy_with_shipped_codebooks(name):
    book = load_codebook(ROOT / "codebooks" / f"{name}.yaml")
    nlp = build_pipeline(book)
    patterns = {t.id: [p for p in t.patterns if not isinstance(p, str)] for t in book.codable}
    reference, fast = _both(nlp, {k: v for k, v in patterns.items() if v})
    with open(ROOT / "samples" / "coproduction_comments.csv", encoding="utf-8") as handle:
        texts = [row["comment"] for row in csv.DictReader(handle)][:400]
    found = 0
    for doc in nlp.pipe(texts + TEXTS):
        expected = sorted(reference(doc), key=lambda m: (m[1], m[2], m[0]))
        assert fast(doc) == expected, doc.text
        found += len(expected)
    assert found > 0


def test_a_pattern_reading_a_column_no_other_pattern_is_anchored_on(tiny_codebook):
    nlp = build_pipeline(load_codebook(tiny_codebook))
    patterns = {"mixed": [[{"LOWER": "staff"}, {"LEMMA": "be", "OP": "?"}, {"NORM": "kind"}]]}
    reference, fast = _both(nlp, patterns)
    doc = nlp("Staff were kind and staff kind.")
    assert fast(doc) == sorted(reference(doc), key=lambda m: (m[1], m[2], m[0]))
    assert [doc[s:e].text for _, s, e in fast(doc)] == ["Staff were kind", "staff kind"]
