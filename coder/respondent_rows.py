"""A row per respondent, for a statistics package that wants one row per case: the respondent's
attributes, a 0/1 column per theme coded on any of their answers, then each question's answer
and its 0/1 columns.

A respondent is a comment's id in its file, so answers to several questions (several text
columns of one file, or several files) meet in one row. Each question is named by its column
where the answers come from one file, by its file where each file gave one column, else by
both (`survey.csv#improve`). A question a respondent did not answer (no row for them, or a
blank one) is left empty, not 0, so that a statistics package reads it as missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from coder.codebook import Codebook
from coder.coding import FinalCoding
from coder.store import origin
from coder.table_out import Rows, kept_apart

Part = tuple[str, str]  # (file, question) of an answer


@dataclass
class _Respondent:
    attributes: dict[str, Any] = field(default_factory=dict)
    answers: dict[Part, tuple[str, frozenset[str]]] = field(default_factory=dict)


def write_respondents(
    table: Rows, codings: Iterable[tuple[str, FinalCoding]], book: Codebook
) -> int:
    """Write the rows; returns the number of respondents."""
    people: dict[str, _Respondent] = {}
    parts: dict[Part, None] = {}
    names: dict[str, None] = {}
    for _, coding in codings:
        comment = coding.comment
        person = people.setdefault(comment.external_id, _Respondent())
        part = (comment.source, comment.question)
        parts.setdefault(part)
        if comment.text.strip():  # a blank answer is no answer: missing, like a row not there
            person.answers[part] = (comment.text, frozenset(coding.codes))
        for name, value in comment.attributes.items():
            names.setdefault(name)
            if value not in (None, "") and person.attributes.get(name) in (None, ""):
                person.attributes[name] = value  # the first answer that gives it
    ids = book.codable_ids
    labels = part_names(list(parts))
    table.write(respondent_columns(list(names), labels, ids))
    for respondent, person in people.items():
        given = [respondent, *(person.attributes.get(name, "") for name in names)]
        coded = set().union(*(codes for _, codes in person.answers.values()))
        values = [*given, *(int(t in coded) for t in ids)]
        for part in parts:
            text, codes = person.answers.get(part, ("", None))
            values += [text, *(("" if codes is None else int(t in codes)) for t in ids)]
        table.write_mixed(values, _made(len(given), len(ids), len(parts)))
    return len(people)


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
