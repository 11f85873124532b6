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

from spacy.attrs import LEMMA, LOWER, SENT_START
from spacy.errors import MatchPatternError
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from coder.codebook import Codebook, Pattern
from coder.matching import TokenPatternMatcher
from coder.pattern_lint import ANY_TOKEN, TEXT_ATTRS, phrase_lint, token_lint

EVIDENCE = "coder_rules"
NEGATED = "coder_negated"
# The same matches as plain (theme hash, start, end, negated) tuples in `doc.user_data`, for
# code that reads them for every comment: no Span objects to build.
HITS = "coder_rule_hits"

NEGATION_CUES = frozenset(
    "not n't n’t no never without nothing nobody none neither nor hardly barely cannot".split()  # noqa: SIM905
)
# A cue does not reach past these: "not perfect, but a real box-ticking exercise".
CLAUSE_BREAKS = frozenset("but however although though yet ; : . ! ?".split())  # noqa: SIM905
NEGATION_WINDOW = 5


def _lemmatizer(nlp: Language) -> Any:
    return nlp.get_pipe("coder_lemmatizer") if "coder_lemmatizer" in nlp.pipe_names else None


def pattern_problems(patterns: list[Any], strict: bool = True) -> list[tuple[int, str]]:
    """Invalid patterns of a theme, as (index, message); spaCy's own validator does the work.
    `strict` adds `coder.pattern_lint`'s checks of patterns that are valid but would not do
    what was meant (left out for a codebook a project or model holds already)."""
    matcher = Matcher(Vocab(), validate=True)
    problems = []
    for index, pattern in enumerate(patterns):
        if isinstance(pattern, str):
            if not re.search(r"\w", pattern):
                problems.append((index, f"phrase {pattern!r} has no word to match"))
            elif _REGEX_LIKE.search(pattern):
                problems.append((index, _regex_phrase(pattern)))
            elif strict and phrase_lint(pattern):
                problems.append((index, phrase_lint(pattern) or ""))
            continue
        if not isinstance(pattern, list):
            continue  # the schema reports it
        if not pattern:
            problems.append((index, "empty token pattern: give at least one token"))
            continue
        if all(isinstance(token, dict) and set(token) <= {"OP"} for token in pattern):
            problems.append((index, ANY_TOKEN))
            continue
        unquoted = _yaml_scalar(pattern)
        if unquoted:
            problems.append((index, unquoted))
            continue
        try:
            matcher.add("pattern", [pattern])
        except (MatchPatternError, ValueError, TypeError) as exc:
            problems.append((index, _pattern_message(exc)))
            continue
        except re.error as exc:
            problems.append((index, f"invalid regular expression in REGEX: {exc}"))
            continue
        linted = token_lint(pattern) if strict else None
        if linted:
            problems.append((index, linted))
    return problems


def _yaml_scalar(pattern: list[Any]) -> str | None:
    """A token's word that YAML read as true, false or a number (`{LOWER: no}`)."""
    for number, token in enumerate(pattern):
        if not isinstance(token, dict):
            continue
        for attr, value in token.items():
            if str(attr).upper() in TEXT_ATTRS and isinstance(value, bool | int | float):
                return (
                    f"token {number}: YAML read {attr}'s word as {value!r}, not text: put it in "
                    f'quotes, {{{attr}: "{_as_written(value)}"}}'
                )
    return None


def _as_written(value: bool | int | float) -> str:
    """What the author probably typed for a YAML true/false: yes/no are the usual words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# What a regular expression has and a phrase of words does not: `(...)?`, `.*`, `\b`, `[ab]`,
# `a|b`, `^...`, `...$`.
_REGEX_LIKE = re.compile(r"\)[?*+]|\.[*+]|\\[bdswBDSW]|\[[^\]]+\]|\||^\^|[.*+)\]]\$$")


def _regex_phrase(pattern: str) -> str:
    return (
        f"phrase {pattern!r} looks like a regular expression, but a phrase matches its words "
        "as written: write each wording as a phrase of its own, or a token pattern such as "
        "[{LOWER: {REGEX: '^tick(ing|ed)?$'}}]"
    )


def _pattern_message(exc: Exception) -> str:
    details = re.findall(r"- \[pattern -> (.+?)\] (.+)", str(exc))
    if not details:
        return f"invalid spaCy token pattern: {str(exc).strip().splitlines()[0]}"
    parts = [f"token {where}: {what}" for where, what in details]
    return "invalid spaCy token pattern: " + "; ".join(parts)


class ThemeRules:
    """Pipeline component: finds pattern matches and sorts them into evidence and negated.

    Phrases go to a PhraseMatcher on lemmas (a hash lookup per token, however many phrases);
    token patterns to a matcher that only tries a pattern where its anchor word occurs.
    """

    def __init__(self, nlp: Language, name: str = "coder_rules"):
        self.nlp = nlp
        self.name = name
        self.phrases: dict[str, list[str]] = {}
        self.token_patterns: dict[str, list[list[dict[str, Any]]]] = {}
        self._reset()

    def _reset(self) -> None:
        # Lemmas are our own lower-cased lookups; another pipeline's lemmatizer may need tags
        # that a phrase on its own does not get, so phrases fall back to lower-case text there.
        self._lemmatize = _lemmatizer(self.nlp)
        attr = "LEMMA" if self._lemmatize is not None else "LOWER"
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr=attr)
        self.matcher = TokenPatternMatcher(self.nlp.vocab)
        strings = self.nlp.vocab.strings
        self._cues = frozenset(strings.add(word) for word in NEGATION_CUES)
        self._breaks = frozenset(strings.add(word) for word in CLAUSE_BREAKS)

    def add_codebook(self, codebook: Codebook) -> None:
        for theme in codebook.codable:
            if theme.patterns:
                self.add(theme.id, theme.patterns)

    def add(self, theme_id: str, patterns: list[Pattern]) -> None:
        phrases = [p for p in patterns if isinstance(p, str)]
        tokens = [p for p in patterns if not isinstance(p, str)]
        if phrases:
            self.phrases.setdefault(theme_id, []).extend(phrases)
            self.phrase_matcher.add(theme_id, [self._phrase_doc(p) for p in phrases])
        if tokens:
            self.token_patterns.setdefault(theme_id, []).extend(tokens)
            self.matcher.add(theme_id, tokens)

    def _phrase_doc(self, phrase: str) -> Doc:
        doc = self.nlp.make_doc(phrase)
        return self._lemmatize(doc) if self._lemmatize is not None else doc

    def __call__(self, doc: Doc) -> Doc:
        """Find the matches, as `doc.user_data[HITS]` and as the two span groups."""
        hits = self.find(doc).user_data[HITS]
        groups: tuple[list[Span], list[Span]] = ([], [])
        for match_id, start, end, negated in hits:
            groups[negated].append(Span(doc, start, end, label=match_id))
        doc.spans[EVIDENCE], doc.spans[NEGATED] = groups
        return doc

    def find(self, doc: Doc) -> Doc:
        """Only `doc.user_data[HITS]`: what `ThemeModel.tag` reads, without building Spans."""
        matches = set(self.phrase_matcher(doc)) if len(self.phrase_matcher) else set()
        if len(self.matcher):
            matches.update(self.matcher(doc))
        negation = _Negation(doc, self._cues, self._breaks) if matches else None
        doc.user_data[HITS] = [
            (match_id, start, end, negation is not None and negation.before(start))
            for match_id, start, end in sorted(matches, key=lambda m: (m[1], m[2], m[0]))
        ]
        return doc

    def to_disk(self, path: str | Path, exclude: Any = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        patterns = {"phrases": self.phrases, "tokens": self.token_patterns}
        (path / "patterns.json").write_text(json.dumps(patterns, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, exclude: Any = ()) -> ThemeRules:
        patterns = json.loads((Path(path) / "patterns.json").read_text(encoding="utf-8"))
        self.phrases, self.token_patterns = {}, {}
        self._reset()
        for theme_id, phrases in patterns["phrases"].items():
            self.add(theme_id, phrases)
        for theme_id, tokens in patterns["tokens"].items():
            self.add(theme_id, tokens)
        return self


class _Negation:
    """Reads a doc's lower-case forms, lemmas and sentence starts once, as hashes, so checking
    the few tokens before each match makes no Token objects."""

    def __init__(self, doc: Doc, cues: frozenset[int], breaks: frozenset[int]):
        self.lowers, self.lemmas, self.starts = doc.to_array([LOWER, LEMMA, SENT_START]).T.tolist()
        self.starts.append(1)  # past the last token: a new sentence
        self.cues, self.breaks = cues, breaks

    def before(self, start: int) -> bool:
        """A negation cue within a few tokens before `start`, in the same clause and sentence."""
        for i in range(start - 1, max(start - 1 - NEGATION_WINDOW, -1), -1):
            if self.lowers[i] in self.breaks or self.starts[i + 1] == 1:  # a break or sentence end
                return False
            if self.lowers[i] in self.cues or self.lemmas[i] in self.cues:
                return True
        return False


@Language.factory("coder_rules")
def make_rules(nlp: Language, name: str) -> ThemeRules:
    return ThemeRules(nlp, name)
