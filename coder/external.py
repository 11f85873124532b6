"""Coding made outside coder, as read from a file: one coder's themes on one comment.

A spreadsheet of ids and codes is read here (`read_coded_table`); a REFI-QDA project from a QDA
program in `coder.refi_import`. Both resolve the file's code names against the project's
codebook and hand `ExternalCoding`s to `coder.coding_import`, which matches them to comments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coder.codebook import Codebook
from coder.errors import InputError
from coder.labelled import check_unknown, resolve_codes
from coder.readers import TEXT_COLUMN_NAMES, open_table, pick_column, pick_id_column

MAX_NOTED = 5  # unknown names quoted in a note


@dataclass(frozen=True)
class ExternalCoding:
    """`coder`'s themes (ids, in codebook order) on the comment the file names by `keys` (its
    id; for a QDA source, its name then its GUID), with the file's copy of its text if it
    has one. `where` locates it in the file for messages. `loose` keys may not be the
    project's (a QDA program names sources its own way): failing them, match by text."""

    coder: str
    keys: tuple[str, ...]
    text: str | None
    codes: tuple[str, ...]
    where: str
    loose: bool = False


@dataclass
class ExternalFile:
    """What a file gave: its codings and notes on what was left out."""

    codings: list[ExternalCoding]
    notes: list[str]


def read_coded_table(
    path: str | Path,
    book: Codebook,
    coder: str,
    id_column: str | None = None,
    codes_column: str = "codes",
    text_column: str | None = None,
    sheet: str | None = None,
    blank_is_none: bool = False,
    ignore_unknown: bool = False,
) -> ExternalFile:
    """`coder`'s coding from a CSV, TSV, XLSX or JSONL file with an id column and a codes
    column (theme ids or labels separated by `;`), and optionally the comments' text, which is
    then checked against the project's. A row with no codes is left out unless `blank_is_none`:
    in a spreadsheet coded part way it means "not coded yet", in a finished one "no theme"."""
    codings: list[ExternalCoding] = []
    unknown: list[str] = []
    blank = 0
    with open_table(path, sheet=sheet) as table:
        notes = [table.sheet_note] if table.sheet_note else []
        codes_col = pick_column(table.columns, codes_column, str(path), "codes", "--codes-column")
        id_col = pick_id_column(table.columns, id_column, str(path))
        text_col = _text_column(table.columns, text_column, str(path))
        if id_col is None and text_col is None:
            raise InputError(
                f"{path} has no 'id' column and no comment text to match its rows to the "
                "project's comments; name its id column with --id-column NAME"
            )
        for line, row in table.rows:
            where = f"{path}:{line}"
            codes = resolve_codes(row[codes_col], book, where, unknown)
            if not codes and not row[codes_col].strip() and not blank_is_none:
                blank += 1
                continue
            keys = (row[id_col].strip(),) if id_col else ()
            text = row[text_col] if text_col else None
            codings.append(ExternalCoding(coder, keys, text, ordered_codes(codes, book), where))
    notes += _unknown_notes(unknown, path, book, ignore_unknown)
    if blank:
        notes.append(
            f"left out {blank} row{'s' if blank != 1 else ''} with no codes, as not coded yet; "
            "give --blank-is-none if they were coded with no theme"
        )
    return ExternalFile(codings, notes)


def _text_column(columns: list[str], requested: str | None, source: str) -> str | None:
    """The text column if asked for or under a usual name; None if the file holds ids only."""
    if requested:
        return pick_column(columns, requested, source, "text", "--text-column")
    folded = {c.casefold(): c for c in columns}
    return next((folded[name] for name in TEXT_COLUMN_NAMES if name in folded), None)


def ordered_codes(codes: Iterable[str], book: Codebook) -> tuple[str, ...]:
    """Codable theme ids in the codebook's order."""
    rank = {theme_id: n for n, theme_id in enumerate(book.codable_ids)}
    return tuple(sorted(codes, key=rank.__getitem__))


def _unknown_notes(
    unknown: list[str], path: str | Path, book: Codebook, ignore_unknown: bool
) -> list[str]:
    """Unknown themes are an error unless `ignore_unknown`, which leaves them out with a note."""
    if not ignore_unknown:
        try:
            check_unknown(unknown, path, book)
        except InputError as exc:
            raise type(exc)(
                f"{exc}\nAdd the themes to the codebook, or give --ignore-unknown to leave them out"
            ) from None
        return []
    if not unknown:
        return []
    shown = "; ".join(unknown[:MAX_NOTED]) + ("; ..." if len(unknown) > MAX_NOTED else "")
    plural = "s" if len(unknown) != 1 else ""
    return [f"left out {len(unknown)} unknown theme name{plural}: {shown}"]
