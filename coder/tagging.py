"""Tagging a file of comments: read rows, tag them in batches, write rows, all streaming."""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import tee
from pathlib import Path
from typing import Any, Protocol

from coder.errors import InputError
from coder.fileio import atomic_open
from coder.model import ThemeModel, comment_text
from coder.readers import Table, open_table, pick_id_column, pick_text_column
from coder.results import CommentResult
from coder.table_out import check_not_workbook, open_rows
from coder.writers import WRITERS

Progress = Callable[[int, Table], None]


@dataclass(frozen=True)
class TaggedRow:
    """One input row with its tagging result; `id` is the id column's value or the line."""

    line: int
    id: str
    row: dict[str, str]
    result: CommentResult


class RowSink(Protocol):
    """Somewhere else tagged rows go besides the output file (a project database)."""

    def start(self, table: Table, text_column: str, id_column: str | None) -> None: ...

    def stored(self, rows: Sequence[tuple[str, str]]) -> dict[str, CommentResult]:
        """Of these (id, comment text) rows, the ones it holds results for already, by id."""
        ...

    def write(self, tagged: TaggedRow) -> None: ...

    def finish(self) -> None: ...


@dataclass
class TagSummary:
    comments: int = 0
    coded: int = 0
    theme_counts: Counter[str] = field(default_factory=Counter)
    text_column: str = ""
    output: str = ""
    sheet_note: str = ""  # an Excel workbook's other sheets (`Table.sheet_note`)


def tag_file(
    model: ThemeModel,
    input_path: str | Path,
    output: str | Path | None = "-",
    *,
    fmt: str = "wide",
    text_column: str | None = None,
    id_column: str | None = None,
    input_format: str | None = None,
    sheet: str | None = None,
    force: bool = False,
    n_process: int = 1,
    batch_size: int = 1024,
    excel: bool = False,
    progress: Progress | None = None,
    sink: RowSink | None = None,
) -> TagSummary:
    """Tag every comment in `input_path` and write them to `output` (`-` for stdout, None for
    no file) and to `sink`, if given, in the same pass."""
    if fmt not in WRITERS:
        raise InputError(f"unknown output format '{fmt}'; use one of {', '.join(WRITERS)}")
    if output is not None and fmt == "jsonl":
        check_not_workbook(output, fmt)
    summary = TagSummary(output="" if output is None else str(output))
    with open_table(input_path, input_format, sheet) as table:
        summary.sheet_note = table.sheet_note
        text_col = table.pick_text(text_column)
        id_col = pick_id_column(table.columns, id_column, str(input_path))
        summary.text_column = text_col
        if sink is not None:
            sink.start(table, text_col, id_col)
        rows: Iterator[tuple[int, dict[str, str], CommentResult | None]]
        if sink is not None and output is None:  # into a project alone: resume, don't redo
            rows = _with_stored(table.rows, sink, text_col, id_col, batch_size)
        else:
            rows = ((line, row, None) for line, row in table.rows)
        rows_for_text, rows_for_output = tee(rows)
        # A row with a result held stands in the model's stream as an empty text, tagged once
        # (`ThemeModel.tag` reuses a repeated text's result): filtering it out instead would
        # let the stream run ahead over a long stretch of held rows, buffering them all.
        texts = (row[text_col] if stored is None else "" for _, row, stored in rows_for_text)
        # The wide format has no evidence column: skip finding the deciding sentences.
        evidence = sink is not None or fmt != "wide"
        results = model.tag(texts, batch_size=batch_size, n_process=n_process, evidence=evidence)
        tagged_rows = _merged(rows_for_output, results)
        # The first batch is read and tagged before anything is written, so that a file bad
        # near its start puts no header alone on stdout (a file output is atomic anyway).
        first = list(itertools.islice(tagged_rows, 1))
        if not first:  # a header alone (a sheet of notes, say): nothing to tag, no output
            other = f" ({table.sheet_note})" if table.other_sheets else ""
            raise InputError(
                f"{input_path} has no comments under its header: nothing to tag{other}"
            )
        with contextlib.ExitStack() as stack:
            writer = None

            def written() -> Any:  # the output's writer, opened (header and all) when first used
                nonlocal writer
                if writer is None:
                    handle = stack.enter_context(_open(output, fmt, force, excel))
                    writer = WRITERS[fmt](handle, table.columns, model.codebook)
                return writer

            # Into a project and onto stdout, which cannot take rows back: hold them until the
            # project has taken its first batch, whose checks (a copy of a file already
            # there) may refuse the file. A file output is atomic anyway.
            held: list[tuple[str, dict[str, str], CommentResult]] = []
            holding = output == "-" and sink is not None
            for (line, row), result in itertools.chain(first, tagged_rows):
                tagged = TaggedRow(line, _row_id(line, row, id_col), row, result)
                if sink is not None:
                    sink.write(tagged)
                if holding and sink is not None and not sink.rows:
                    held.append((tagged.id, row, result))
                elif output is not None:
                    if held:
                        _write_all(written(), held)
                    written().write(tagged.id, row, result)
                summary.comments += 1
                summary.coded += bool(result.codes)
                summary.theme_counts.update(result.codes)
                if progress is not None and summary.comments % 1000 == 0:
                    progress(summary.comments, table)
            if sink is not None:
                sink.finish()
            if held:
                _write_all(written(), held)
        summary.sheet_note = table.sheet_note  # again, now that the rows are read
    return summary


def _with_stored(
    rows: Iterator[tuple[int, dict[str, str]]],
    sink: RowSink,
    text_column: str,
    id_column: str | None,
    window: int,
) -> Iterator[tuple[int, dict[str, str], CommentResult | None]]:
    """Rows with the result the sink holds for each already (None where it has none), asked a
    window at a time: a file tagged into a project again, or an import resumed after it
    stopped, runs only its new or changed comments through the model."""
    while chunk := list(itertools.islice(rows, window)):
        keyed = [(_row_id(line, row, id_column), row) for line, row in chunk]
        held = sink.stored([(key, comment_text(row[text_column])) for key, row in keyed])
        for (line, row), (key, _) in zip(chunk, keyed, strict=True):
            yield line, row, held.get(key)


def _row_id(line: int, row: dict[str, str], id_column: str | None) -> str:
    """How a project knows a row: its id column's value, else its line."""
    return row[id_column] if id_column else str(line)


def _merged(
    rows: Iterator[tuple[int, dict[str, str], CommentResult | None]],
    results: Iterator[CommentResult],
) -> Iterator[tuple[tuple[int, dict[str, str]], CommentResult]]:
    """Each row with its result: the one held for it, else the model's."""
    for (line, row, stored), result in zip(rows, results, strict=True):
        yield (line, row), result if stored is None else stored


def _write_all(writer: Any, held: list[tuple[str, dict[str, str], CommentResult]]) -> None:
    """Write the rows held back, and let them go."""
    for args in held:
        writer.write(*args)
    held.clear()


def check_text_columns(
    input_path: str | Path,
    columns: Sequence[str],
    input_format: str | None = None,
    sheet: str | None = None,
) -> None:
    """Before tagging a file once per column: every column is there (an InputError that lists
    the file's columns, before anything is tagged)."""
    with open_table(input_path, input_format, sheet) as table:
        for column in columns:
            pick_text_column(table.columns, column, str(input_path))


def _open(output: str | Path, fmt: str, force: bool, excel: bool) -> Any:
    """A handle for JSON lines, or rows (CSV or a workbook) for the other formats."""
    if fmt == "jsonl":
        return atomic_open(output, force=force, encoding="utf-8", newline="")
    return open_rows(output, force, excel)
