"""The codebook's patterns as a spaCy component: matches become evidence spans in `doc.spans`.

A string pattern is a phrase matched on lemmas, case-insensitively ("tick box" matches "Ticking
boxes"); a list of dicts is a spaCy Matcher token pattern. A match preceded by a negation cue in
the same clause ("it never felt like box-ticking") is kept apart as negated, not as evidence.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from spacy.errors import MatchPatternError
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from coder.codebook import Codebook, Pattern, Theme

EVIDENCE = "coder_rules"
NEGATED = "coder_negated"

NEGATION_CUES = frozenset(
    "not n't no never without nothing nobody none neither nor hardly barely cannot".split()  # noqa: SIM905
)
# A cue does not reach past these: "not perfect, but a real box-ticking exercise".
CLAUSE_BREAKS = frozenset("but however although though yet ; : . ! ?".split())  # noqa: SIM905
NEGATION_WINDOW = 5


def phrase_to_tokens(nlp: Language, phrase: str) -> list[dict[str, Any]]:
    """A phrase as a Matcher pattern on the lemmas our own lemmatizer gives its words."""
    doc = nlp.make_doc(phrase)
    lemmatize = nlp.get_pipe("coder_lemmatizer") if "coder_lemmatizer" in nlp.pipe_names else None
    if lemmatize is not None:
        doc = lemmatize(doc)
        return [{"LEMMA": token.lemma_} for token in doc]
    return [{"LOWER": token.lower_} for token in doc]


def pattern_problems(theme: Theme) -> list[tuple[int, str]]:
    """Invalid patterns of a theme, as (index, message); spaCy's own validator does the work."""
    matcher = Matcher(Vocab(), validate=True)
    problems = []
    for index, pattern in enumerate(theme.patterns):
        if isinstance(pattern, str):
            if not re.search(r"\w", pattern):
                problems.append((index, f"phrase {pattern!r} has no word to match"))
            continue
        try:
            matcher.add(theme.id, [pattern])
        except (MatchPatternError, ValueError, TypeError) as exc:
            problems.append((index, _pattern_message(exc)))
    return problems


def _pattern_message(exc: Exception) -> str:
    details = re.findall(r"- \[pattern -> (.+?)\] (.+)", str(exc))
    if not details:
        return f"invalid spaCy token pattern: {str(exc).strip().splitlines()[0]}"
    parts = [f"token {where}: {what}" for where, what in details]
    return "invalid spaCy token pattern: " + "; ".join(parts)


class ThemeRules:
    """Pipeline component: finds pattern matches and sorts them into evidence and negated."""

    def __init__(self, nlp: Language, name: str = "coder_rules"):
        self.nlp = nlp
        self.name = name
        self.patterns: dict[str, list[list[dict[str, Any]]]] = {}
        self.matcher = Matcher(nlp.vocab)

    def add_codebook(self, codebook: Codebook) -> None:
        for theme in codebook.codable:
            if theme.patterns:
                self.add(theme.id, theme.patterns)

    def add(self, theme_id: str, patterns: list[Pattern]) -> None:
        compiled = [phrase_to_tokens(self.nlp, p) if isinstance(p, str) else p for p in patterns]
        self.patterns.setdefault(theme_id, []).extend(compiled)
        self.matcher.add(theme_id, compiled)

    def __call__(self, doc: Doc) -> Doc:
        evidence, negated = [], []
        seen = set()
        for match_id, start, end in self.matcher(doc):
            key = (match_id, start, end)
            if key in seen:
                continue
            seen.add(key)
            span = Span(doc, start, end, label=match_id)
            (negated if is_negated(doc, start) else evidence).append(span)
        doc.spans[EVIDENCE] = evidence
        doc.spans[NEGATED] = negated
        return doc

    def to_disk(self, path: str | Path, exclude: Any = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "patterns.json").write_text(json.dumps(self.patterns, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, exclude: Any = ()) -> ThemeRules:
        patterns = json.loads((Path(path) / "patterns.json").read_text(encoding="utf-8"))
        self.patterns, self.matcher = {}, Matcher(self.nlp.vocab)
        for theme_id, compiled in patterns.items():
            self.patterns[theme_id] = compiled
            self.matcher.add(theme_id, compiled)
        return self


def is_negated(doc: Doc, start: int) -> bool:
    """A negation cue within a few tokens before `start`, in the same clause and sentence."""
    for i in range(start - 1, max(start - 1 - NEGATION_WINDOW, -1), -1):
        token = doc[i]
        lower = token.lower_
        if lower in CLAUSE_BREAKS or token.is_sent_end:
            return False
        if lower in NEGATION_CUES or token.lemma_ in NEGATION_CUES:
            return True
    return False


@Language.factory("coder_rules")
def make_rules(nlp: Language, name: str) -> ThemeRules:
    return ThemeRules(nlp, name)
