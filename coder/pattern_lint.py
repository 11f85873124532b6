"""Patterns spaCy accepts that would not do what their author meant: never match (a token
given two words, capitals to match lower-case text, a phrase in quotes), match every comment,
or hang on some comments (a regular expression that repeats a repetition).

Checked where a codebook is written or loaded from a file, not where a project or model holds
one already: those open as they did when saved.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

# Token attributes matched against a word's text, and those matched in lower case.
TEXT_ATTRS = ("ORTH", "TEXT", "LOWER", "LEMMA", "NORM")
_LOWER_ATTRS = ("LOWER", "LEMMA", "NORM")
_QUOTES = "\"'‘’“”«»"
# Unrelated words a pattern that matches anything matches at each place of.
_PROBE = [
    "the",
    "canteen",
    "Xylophone",
    "quickly",
    "seven",
    "gardens",
    "of",
    "Paris",
    "42",
    "were",
    "blue",
]


def phrase_lint(phrase: str) -> str | None:
    """What is wrong with a phrase pattern that is valid, else None."""
    if len(phrase) > 1 and phrase[0] in _QUOTES and phrase[-1] in _QUOTES:
        return (
            f"phrase {phrase!r} is in quotes, which a comment would have to have too: "
            f"write it without them, {phrase[1:-1].strip()!r}"
        )
    return None


def token_lint(pattern: list[dict[str, Any]]) -> str | None:
    """What is wrong with a token pattern spaCy's validator accepts, else None."""
    for number, token in enumerate(pattern):
        for attr, value in token.items():
            problem = _value_lint(number, str(attr).upper(), value)
            if problem:
                return problem
    return _matches_anything(pattern)


def _value_lint(number: int, attr: str, value: Any) -> str | None:
    if isinstance(value, dict):
        for op, inner in value.items():
            if str(op).upper() == "REGEX" and isinstance(inner, str) and _nested_repeat(inner):
                return (
                    f"token {number}: REGEX {inner!r} repeats a group that itself repeats "
                    "(as (a+)+ does): on some comments it would run for minutes. Write it "
                    "without the repeat of a repeat"
                )
            if str(op).upper() in ("IN", "NOT_IN") and isinstance(inner, list):
                found = [_word_lint(number, attr, word) for word in inner]
                if any(found):
                    return next(f for f in found if f)
        return None
    return _word_lint(number, attr, value)


def _word_lint(number: int, attr: str, word: Any) -> str | None:
    if attr not in TEXT_ATTRS or not isinstance(word, str):
        return None
    pieces = [t.text for t in _tokenizer()(word)]
    if len(pieces) > 1:
        tokens = ", ".join(f'{{{attr}: "{p}"}}' for p in pieces)
        return (
            f"token {number}: {attr} {word!r} is {len(pieces)} words to spaCy, and one token "
            f"matches one word, so it never matches: give each its own token, [{tokens}]"
        )
    if attr in _LOWER_ATTRS and word != word.lower():
        return (
            f"token {number}: {attr} is compared with the word in lower case, so {word!r} "
            f"never matches: write {word.lower()!r}"
        )
    return None


def _matches_anything(pattern: list[dict[str, Any]]) -> str | None:
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

    vocab = _tokenizer().vocab
    matcher = Matcher(vocab)
    matcher.add("pattern", [pattern])
    probe = Doc(vocab, words=_PROBE, lemmas=[word.lower() for word in _PROBE])
    starts = {start for _, start, _ in matcher(probe)}
    if set(range(6)) <= starts:
        return ANY_TOKEN
    return None


ANY_TOKEN = (
    "token pattern matches any word, so it would code every comment: give a token a word "
    "to match (LOWER, LEMMA, IN, ...) or a property (IS_CURRENCY, LIKE_NUM, ...)"
)


def _nested_repeat(regex: str) -> bool:
    """Whether a repetition (+, *, {2,}) holds another: the shape that backtracks without end."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(regex)
    except (ImportError, re.error):
        return False
    return any(True for _ in _repeats_within(parsed, inside=False))


def _repeats_within(parsed: Any, inside: bool) -> Iterator[None]:
    from re import _constants as c  # type: ignore[attr-defined]

    for op, av in parsed:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            _, most, inner = av
            many = most > 1
            if many and inside:
                yield None
            yield from _repeats_within(inner, inside or many)
        elif op is c.SUBPATTERN:
            yield from _repeats_within(av[-1], inside)
        elif op is c.BRANCH:
            for branch in av[1]:
                yield from _repeats_within(branch, inside)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            yield from _repeats_within(av[1], inside)


@functools.cache
def _tokenizer() -> Any:
    """spaCy's English tokenizer (no pipeline), as comments are split."""
    import spacy

    return spacy.blank("en").tokenizer
