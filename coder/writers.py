"""Writing tagged comments as wide CSV, long CSV or JSON lines, one row at a time.

Comments are written by the public: any CSV cell that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO, Any

from coder.codebook import Codebook
from coder.results import CommentResult

OUTPUT_FORMATS = ("wide", "long", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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
    """A cell safe to open in a spreadsheet: formulas become text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def unneutralise(text: str) -> str:
    """A cell as it was before `neutralise`: a file coder wrote, read back."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


class _CsvRows:
    def __init__(self, handle: IO[str], columns: Sequence[str]):
        self.writer = csv.writer(handle, lineterminator="\n")
        self.writer.writerow([neutralise(c) for c in columns])

    def write(self, values: Sequence[Any]) -> None:
        self.writer.writerow([neutralise(v) for v in values])

    def write_safe(self, cells: Sequence[Any], safe: Sequence[Any]) -> None:
        """Write `cells` neutralised, then `safe`: values coder made itself (numbers, theme
        ids), which cannot start a formula."""
        self.writer.writerow([*map(neutralise, cells), *safe])


def added_columns(input_columns: Sequence[str], theme_ids: Sequence[str]) -> dict[str, str]:
    """Names of the columns tagging adds, prefixed `coder_` where the input has them already."""
    wanted = [*theme_ids, *(f"{t}_score" for t in theme_ids), "codes"]
    taken = set(input_columns)
    return {name: f"coder_{name}" if name in taken else name for name in wanted}


class WideWriter:
    """Every input column, then a 0/1 column per theme, a score per theme, and `codes`."""

    def __init__(self, handle: IO[str], input_columns: Sequence[str], codebook: Codebook):
        self.inputs = list(input_columns)
        self.ids = codebook.codable_ids
        names = added_columns(self.inputs, self.ids)
        columns = self.inputs + [names[t] for t in self.ids]
        columns += [names[f"{t}_score"] for t in self.ids] + [names["codes"]]
        self.rows = _CsvRows(handle, columns)

    def write(self, row_id: str, row: dict[str, str], result: CommentResult) -> None:
        coded = set(result.codes)
        scores = result.scores
        made: list[Any] = [int(t in coded) for t in self.ids]
        made += [f"{scores.get(t, 0.0):.4f}" for t in self.ids]
        made.append(";".join(result.codes))
        self.rows.write_safe([row.get(c, "") for c in self.inputs], made)


class LongWriter:
    """One row per (comment, suggested theme), with score, source and evidence."""

    def __init__(self, handle: IO[str], input_columns: Sequence[str], codebook: Codebook):
        self.rows = _CsvRows(handle, LONG_COLUMNS)

    def write(self, row_id: str, row: dict[str, str], result: CommentResult) -> None:
        for s in result.suggestions:
            first = s.evidence[0] if s.evidence else None
            evidence = " | ".join(e.text for e in s.evidence)
            start, end = (first.start, first.end) if first else ("", "")
            self.rows.write(
                [row_id, s.theme, s.label, f"{s.score:.4f}", s.source, evidence, start, end]
            )


class JsonlWriter:
    """One JSON object per comment: its input row, codes, scores and suggestions."""

    def __init__(self, handle: IO[str], input_columns: Sequence[str], codebook: Codebook):
        self.handle = handle

    def write(self, row_id: str, row: dict[str, str], result: CommentResult) -> None:
        record = {"id": row_id, "row": row, **result.to_dict()}
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")


WRITERS = {"wide": WideWriter, "long": LongWriter, "jsonl": JsonlWriter}
