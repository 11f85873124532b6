"""Writing tagged comments as wide or long rows (CSV, or an Excel workbook: `coder.table_out`)
or as JSON lines, one comment at a time.

Comments are written by the public: any CSV cell that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) is prefixed with an apostrophe (`neutralise`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from coder.codebook import Codebook
from coder.results import CommentResult

if TYPE_CHECKING:
    from coder.table_out import Rows

OUTPUT_FORMATS = ("wide", "long", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?")
LONG_COLUMNS = [
    "id",
    "theme",
    "label",
    "score",
    "source",
    "evidence",
    "evidence_start",
    "evidence_end",
]


def neutralise(value: Any) -> str:
    """A cell safe to open in a spreadsheet: formulas become text. A plain number such as
    `-5` or `-0.25` runs nothing, and stays a number for R, Stata and SPSS."""
    text = "" if value is None else str(value)
    if not text.startswith(_FORMULA_START) or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def unneutralise(text: str) -> str:
    """A cell as it was before `neutralise`: a file coder wrote, read back."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def added_columns(input_columns: Sequence[str], theme_ids: Sequence[str]) -> dict[str, str]:
    """Names of the columns tagging adds, prefixed `coder_` where the input has them already."""
    wanted = [*theme_ids, *(f"{t}_score" for t in theme_ids), "codes"]
    taken = set(input_columns)
    return {name: f"coder_{name}" if name in taken else name for name in wanted}


class WideWriter:
    """Every input column, then a 0/1 column per theme, a score per theme, and `codes`."""

    def __init__(self, rows: Rows, input_columns: Sequence[str], codebook: Codebook):
        self.inputs = list(input_columns)
        self.ids = codebook.codable_ids
        names = added_columns(self.inputs, self.ids)
        columns = self.inputs + [names[t] for t in self.ids]
        columns += [names[f"{t}_score"] for t in self.ids] + [names["codes"]]
        self.rows = rows
        rows.write(columns)

    def write(self, row_id: str, row: dict[str, str], result: CommentResult) -> None:
        coded = set(result.codes)
        scores = result.scores
        made: list[Any] = [int(t in coded) for t in self.ids]
        made += [f"{scores.get(t, 0.0):.4f}" for t in self.ids]
        made.append(";".join(result.codes))
        self.rows.write([row.get(c, "") for c in self.inputs], made)


class LongWriter:
    """One row per (comment, suggested theme), with score, source and evidence."""

    def __init__(self, rows: Rows, input_columns: Sequence[str], codebook: Codebook):
        self.rows = rows
        rows.write(LONG_COLUMNS)

    def write(self, row_id: str, row: dict[str, str], result: CommentResult) -> None:
        for s in result.suggestions:
            first = s.evidence[0] if s.evidence else None
            evidence = " | ".join(e.text for e in s.evidence)
            start, end = (first.start, first.end) if first else ("", "")
            values = [row_id, s.theme, s.label, f"{s.score:.4f}", s.source, evidence, start, end]
            self.rows.write_mixed(values, LONG_MADE)


class JsonlWriter:
    """One JSON object per comment: its input row, codes, scores and suggestions."""

    def __init__(self, handle: IO[str], input_columns: Sequence[str], codebook: Codebook):
        self.handle = handle

    def write(self, row_id: str, row: dict[str, str], result: CommentResult) -> None:
        record = {"id": row_id, "row": row, **result.to_dict()}
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")


# the long row's values coder made: theme id, score, source, evidence offsets
LONG_MADE = frozenset({1, 3, 4, 6, 7})

WRITERS = {"wide": WideWriter, "long": LongWriter, "jsonl": JsonlWriter}
