"""Tagging a file of comments: read rows, tag them in batches, write rows, all streaming."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import tee
from pathlib import Path

from coder.errors import InputError
from coder.fileio import atomic_open
from coder.model import ThemeModel
from coder.readers import Table, open_table, pick_id_column, pick_text_column
from coder.writers import WRITERS

Progress = Callable[[int, Table], None]


@dataclass
class TagSummary:
    comments: int = 0
    coded: int = 0
    theme_counts: Counter[str] = field(default_factory=Counter)
    text_column: str = ""
    output: str = ""


def tag_file(
    model: ThemeModel,
    input_path: str | Path,
    output: str | Path = "-",
    *,
    fmt: str = "wide",
    text_column: str | None = None,
    id_column: str | None = None,
    input_format: str | None = None,
    force: bool = False,
    n_process: int = 1,
    batch_size: int = 512,
    excel: bool = False,
    progress: Progress | None = None,
) -> TagSummary:
    """Tag every comment in `input_path` and write them to `output` (`-` for stdout)."""
    if fmt not in WRITERS:
        raise InputError(f"unknown output format '{fmt}'; use one of {', '.join(WRITERS)}")
    encoding = "utf-8-sig" if excel and str(output) != "-" else "utf-8"
    summary = TagSummary(output=str(output))
    with open_table(input_path, input_format) as table:
        text_col = pick_text_column(table.columns, text_column, str(input_path))
        id_col = pick_id_column(table.columns, id_column, str(input_path))
        summary.text_column = text_col
        rows_for_text, rows_for_output = tee(table.rows)
        texts = (row[text_col] for _, row in rows_for_text)
        results = model.tag(texts, batch_size=batch_size, n_process=n_process)
        with atomic_open(output, force=force, encoding=encoding, newline="") as handle:
            writer = WRITERS[fmt](handle, table.columns, model.codebook)
            for (line, row), result in zip(rows_for_output, results, strict=True):
                writer.write(row[id_col] if id_col else str(line), row, result)
                summary.comments += 1
                summary.coded += bool(result.codes)
                summary.theme_counts.update(result.codes)
                if progress is not None and summary.comments % 1000 == 0:
                    progress(summary.comments, table)
    return summary
