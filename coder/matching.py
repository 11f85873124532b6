"""A faster matcher for the token patterns codebooks use, with spaCy's Matcher for the rest.

spaCy's Matcher steps every pattern through every token of every comment; with a hundred
patterns that costs more than the rest of the pipeline together. Most codebook patterns are a
few tokens with `LOWER`/`LEMMA`/`ORTH`/`NORM` values or `IN` lists, flags such as `IS_ALPHA`,
and the quantifiers `? * + !`. Such a pattern can only match where its rarest required word
occurs, so this matcher finds those anchor words with spaCy's PhraseMatcher (in C, one lookup
per token), skips a pattern whose other required words are not all in the comment, and matches
the rest outwards from the anchor. Matches are the same as spaCy's (all of them, every length;
the tests compare the two); patterns using anything else (`REGEX`, `NOT_IN`, `{n,m}`, ...) are
handed to a spaCy Matcher unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import spacy.attrs
from spacy.attrs import LEMMA, LOWER, NORM, ORTH, SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

# Matcher keys compared as strings, and the Doc array column each is read from.
_FLAG_NAMES = [
    "IS_ALPHA",
    "IS_ASCII",
    "IS_DIGIT",
    "IS_LOWER",
    "IS_UPPER",
    "IS_TITLE",
    "IS_PUNCT",
    "IS_SPACE",
    "IS_STOP",
    "IS_BRACKET",
    "IS_QUOTE",
    "IS_LEFT_PUNCT",
    "IS_RIGHT_PUNCT",
    "IS_CURRENCY",
    "LIKE_NUM",
    "LIKE_URL",
    "LIKE_EMAIL",
]
_STRING_ATTRS = {"ORTH": ORTH, "TEXT": ORTH, "LOWER": LOWER, "LEMMA": LEMMA, "NORM": NORM}
_COLUMN_NAMES = {ORTH: "ORTH", LOWER: "LOWER", LEMMA: "LEMMA", NORM: "NORM"}
# Boolean token flags and the Doc array column each is read from (1 means true).
_FLAGS = {name: spacy.attrs.IDS[name] for name in _FLAG_NAMES} | {"IS_SENT_START": SENT_START}
_QUANTIFIERS = frozenset({"1", "?", "*", "+", "!"})


@dataclass(frozen=True)
class _Token:
    """One token of a pattern: string constraints (column -> allowed hashes), flags, quantifier."""

    values: tuple[tuple[int, frozenset[int]], ...]
    flags: tuple[tuple[int, bool], ...]  # (column, wanted)
    op: str
    # How often the first constraint's words occur, roughly: (stop words among them, count).
    commonness: tuple[int, int] = (0, 0)

    @property
    def required(self) -> bool:
        return self.op in ("1", "+")


@dataclass(frozen=True)
class _Pattern:
    """A compiled pattern and which token is its anchor (its rarest required word). `needs` are
    the other required words: a comment without one of them cannot match."""

    key: int
    tokens: tuple[_Token, ...]
    anchor: int
    needs: tuple[tuple[int, frozenset[int]], ...]


def _compile_token(spec: dict[str, Any], strings: Any) -> _Token | None:
    """The token in our form, or None where it needs spaCy's Matcher."""
    values, flags, op, commonness = [], [], "1", None
    for key, value in spec.items():
        words = [value] if isinstance(value, str) else value.get("IN") if _is_in_list(value) else []
        if key in _STRING_ATTRS and words and commonness is None:
            commonness = (sum(_is_common(w) for w in words), len(words))
        if key == "OP":
            if value not in _QUANTIFIERS:
                return None
            op = value
        elif key in _STRING_ATTRS and isinstance(value, str):
            values.append((_STRING_ATTRS[key], frozenset({strings.add(value)})))
        elif key in _STRING_ATTRS and _is_in_list(value):
            values.append((_STRING_ATTRS[key], frozenset(strings.add(v) for v in value["IN"])))
        elif key in _FLAGS and isinstance(value, bool):
            flags.append((_FLAGS[key], value))
        else:
            return None
    return _Token(tuple(values), tuple(flags), op, commonness or (0, 0))


def _is_common(word: str) -> bool:
    """A stop word or punctuation: a poor anchor, found in most comments."""
    return word.lower() in STOP_WORDS or not any(c.isalnum() for c in word)


def _is_in_list(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and list(value) == ["IN"]
        and isinstance(value["IN"], list)
        and all(isinstance(v, str) for v in value["IN"])
    )


def _compile(key: int, spec: list[dict[str, Any]], strings: Any) -> _Pattern | None:
    """The pattern in our form, anchored on its rarest required word; None for spaCy's Matcher."""
    tokens = [_compile_token(token, strings) for token in spec]
    if not tokens or any(t is None for t in tokens):
        return None
    compiled = tuple(t for t in tokens if t is not None)
    required = [k for k, t in enumerate(compiled) if t.required and t.values]
    if not required:
        return None
    anchor = min(required, key=lambda k: compiled[k].commonness)
    needs = tuple(compiled[k].values[0] for k in required if k != anchor)
    return _Pattern(key, compiled, anchor, needs)


class TokenPatternMatcher:
    """Finds matches of token patterns in docs, like spaCy's Matcher: `(key, start, end)`."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.fallback = Matcher(vocab)
        # column -> word hash -> patterns anchored on that word
        self._index: dict[int, dict[int, list[_Pattern]]] = {}
        # column -> a PhraseMatcher of its anchor words, keyed by the word: finds them in C
        self._anchors: dict[int, PhraseMatcher] = {}
        self._columns: set[int] = set()  # every column any pattern reads
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, key: str, patterns: list[list[dict[str, Any]]]) -> None:
        strings = self.vocab.strings
        key_hash = strings.add(key)
        for spec in patterns:
            self._count += 1
            compiled = _compile(key_hash, spec, strings)
            if compiled is None:
                self.fallback.add(key, [spec])
                continue
            for token in compiled.tokens:
                self._columns.update(column for column, _ in (*token.values, *token.flags))
            column, words = compiled.tokens[compiled.anchor].values[0]
            by_word = self._index.setdefault(column, {})
            for word in words:
                if word not in by_word:
                    self._add_anchor(column, word)
                by_word.setdefault(word, []).append(compiled)

    def _add_anchor(self, column: int, word: int) -> None:
        text = self.vocab.strings[word]
        if column == LOWER and text != text.lower():
            return  # a lower-case form never equals it: spaCy's Matcher never matches it either
        if column not in self._anchors:
            self._anchors[column] = PhraseMatcher(self.vocab, attr=_COLUMN_NAMES[column])
        doc = Doc(self.vocab, words=[text], lemmas=[text] if column == LEMMA else None)
        doc[0].norm_ = text
        self._anchors[column].add(text, [doc])

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        matches = set(self.fallback(doc)) if len(self.fallback) else set()
        values: dict[int, list[int]] = {}
        present: dict[int, set[int]] = {}  # column -> the doc's distinct values, when needed
        for column, anchors in self._anchors.items():
            for word, at, _ in anchors(doc):
                for pattern in self._index[column][word]:
                    if not values:  # read the doc's columns only when a pattern may match
                        columns = sorted(self._columns)
                        rows = doc.to_array(columns).reshape(len(doc), len(columns)).T.tolist()
                        values = dict(zip(columns, rows, strict=True))
                    if _has_all(pattern.needs, values, present):
                        matches.update(_find(pattern, at, doc, values))
        return sorted(matches, key=lambda m: (m[1], m[2], m[0]))


def _has_all(
    needs: tuple[tuple[int, frozenset[int]], ...],
    values: dict[int, list[int]],
    present: dict[int, set[int]],
) -> bool:
    """Whether the doc has a word for each of a pattern's other required tokens."""
    for column, words in needs:
        if column not in present:
            present[column] = set(values[column])
        if present[column].isdisjoint(words):
            return False
    return True


def _find(
    pattern: _Pattern, at: int, doc: Doc, values: dict[int, list[int]]
) -> list[tuple[int, int, int]]:
    """Matches of `pattern` whose anchor token is at doc position `at`: the tokens before the
    anchor are matched backwards from it, those after forwards, and any start pairs with any end."""

    def fits(token: _Token, i: int) -> bool:
        for column, allowed in token.values:
            if values[column][i] not in allowed:
                return False
        return all((values[column][i] == 1) == want for column, want in token.flags)

    tokens, k = pattern.tokens, pattern.anchor
    anchor = tokens[k]
    if not fits(anchor, at):
        return []
    # A repeatable anchor ("+") may also cover tokens either side of `at`.
    more = (_Token(anchor.values, anchor.flags, "*"),) if anchor.op == "+" else ()
    starts = _ends((*more, *tokens[:k][::-1]), 0, at - 1, -1, fits)
    ends = _ends((*more, *tokens[k + 1 :]), 0, at + 1, len(doc), fits)
    return [(pattern.key, start + 1, end) for start in starts for end in ends]


def _ends(
    tokens: tuple[_Token, ...], k: int, i: int, stop: int, fits: Callable[[_Token, int], bool]
) -> set[int]:
    """Every position where tokens[k:] can end when matched from doc position i, one token at
    a time towards `stop` (forwards, or backwards when `stop` is -1)."""
    if k == len(tokens):
        return {i}
    step = 1 if stop > i else -1
    token = tokens[k]
    if token.op == "!":  # one token that does not fit
        return (
            _ends(tokens, k + 1, i + step, stop, fits)
            if i != stop and not fits(token, i)
            else set()
        )
    ends: set[int] = set()
    if token.op in ("?", "*"):
        ends |= _ends(tokens, k + 1, i, stop, fits)
    j = i
    while j != stop and fits(token, j):
        j += step
        ends |= _ends(tokens, k + 1, j, stop, fits)
        if token.op in ("1", "?"):
            break
    return ends
