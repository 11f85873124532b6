"""A row per respondent, for a statistics package that wants one row per case: the respondent's
attributes, a 0/1 column per theme coded on any of their answers, then each question's answer
and its 0/1 columns.

A respondent is a comment's id in its file, so answers to several questions (several text
columns of one file, or several files) meet in one row. Each question is named by its column
where the answers come from one file, by its file where each file gave one column, else by
both (`survey.csv#improve`). A question a respondent did not answer (no row for them, or a
blank one) is left empty, not 0, so that a statistics package reads it as missing; so are the
any-answer columns of a respondent who answered none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from coder.codebook import Codebook
from coder.coding import FinalCoding
from coder.store import origin
from coder.table_out import Rows, kept_apart

Part = tuple[str, str]  # (file, question) of an answer
Answer = tuple[str, int]  # its text and its themes, a bit per codable theme


class _Respondents:
    """What the rows need, held lean (100,000 respondents in a few tens of MB): each
    respondent's attributes (the first answer's dict, copied only where a later answer fills
    a gap) and per question their answers."""

    def __init__(self, book: Codebook) -> None:
        self.ids = book.codable_ids
        self.bits = {theme: 1 << n for n, theme in enumerate(self.ids)}
        self.attributes: dict[str, dict[str, Any]] = {}
        self.answers: dict[Part, dict[str, Answer]] = {}
        self.names: dict[str, None] = {}

    def add(self, coding: FinalCoding) -> None:
        comment, who = coding.comment, coding.respondent
        answers = self.answers.setdefault((comment.source, comment.question), {})
        if comment.text.strip():  # a blank answer is no answer: missing, like a row not there
            mask = sum(self.bits.get(t, 0) for t in set(coding.codes))
            answers[who] = (comment.text, mask)
        self.names.update(dict.fromkeys(comment.attributes))
        known = self.attributes.setdefault(who, comment.attributes)
        gaps = [k for k, v in comment.attributes.items() if _blank(known.get(k)) and not _blank(v)]
        if gaps:  # the first answer that gives a value
            self.attributes[who] = {**known, **{k: comment.attributes[k] for k in gaps}}

    def rows(self) -> Iterator[list[Any]]:
        names = list(self.names)
        for who, attributes in self.attributes.items():
            given = [who, *(attributes.get(name, "") for name in names)]
            mine = [part.get(who) for part in self.answers.values()]
            coded = 0
            for answer in mine:
                coded |= answer[1] if answer else 0
            # no answer at all (a blank one, or none to the one question exported): missing
            overall = self._flags(coded) if any(mine) else [""] * len(self.ids)
            values = [*given, *overall]
            missing = [""] * (1 + len(self.ids))
            for answer in mine:
                values += [answer[0], *self._flags(answer[1])] if answer else missing
            yield values

    def _flags(self, mask: int) -> list[int]:
        return [int(bool(mask & self.bits[t])) for t in self.ids]


def _blank(value: Any) -> bool:
    return value is None or value == ""


def write_respondents(
    table: Rows, codings: Iterable[tuple[str, FinalCoding]], book: Codebook
) -> int:
    """Write the rows; returns the number of respondents."""
    people = _Respondents(book)
    for _, coding in codings:
        people.add(coding)
    names = list(people.names)
    table.write(respondent_columns(names, part_names(list(people.answers)), people.ids))
    made = _made(1 + len(names), len(people.ids), len(people.answers))
    for values in people.rows():
        table.write_mixed(values, made)
    return len(people.attributes)


def part_names(parts: Sequence[Part]) -> list[str]:
    """Each question's name: its column, its file, or both, whichever tells them apart."""
    if len({source for source, _ in parts}) == 1:
        return [question or source for source, question in parts]
    if len({question for _, question in parts}) == 1:
        return [source for source, _ in parts]
    return [origin(source, question) for source, question in parts]


def respondent_columns(
    attributes: Sequence[str], parts: Sequence[str], ids: Sequence[str]
) -> list[str]:
    """respondent, the attributes, a column per theme (any answer), then per question its
    answer (headed by the question's name) and `QUESTION:theme` columns; a column of coder's
    whose name an attribute has is called `coder_<name>`."""
    ours = [*ids]
    for name in parts:
        ours += [name, *(f"{name}:{t}" for t in ids)]
    first, *rest = kept_apart(["respondent", *ours], attributes)
    return [first, *attributes, *rest]


def _made(given: int, themes: int, parts: int) -> set[int]:
    """The places of the 0/1 cells coder made: the rest is text from outside."""
    made = set(range(given, given + themes))
    for n in range(parts):
        start = given + themes + n * (themes + 1) + 1
        made.update(range(start, start + themes))
    return made
