"""Coding made outside coder, as read from a file: one coder's themes on one comment.

A spreadsheet of ids and codes is read here (`read_coded_table`); a REFI-QDA project from a QDA
program in `coder.refi_import`. Both resolve the file's code names against the project's
codebook and hand `ExternalCoding`s to `coder.coding_import`, which matches them to comments.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coder.codebook import Codebook
from coder.errors import InputError, listed
from coder.labelled import resolve_codes, unknown_themes
from coder.readers import TEXT_COLUMN_NAMES, open_table, pick_column, pick_id_column
from coder.writers import unneutralise

MAX_NOTED = 5  # unknown names quoted in a note


@dataclass(frozen=True)
class ExternalCoding:
    """`coder`'s themes (ids, in codebook order) on the comment the file names by `keys` (its
    id; for a QDA source, its name then its GUID), with the file's copy of its text if it
    has one. `where` locates it in the file for messages. `loose` keys may not be the
    project's (a QDA program names sources its own way): failing them, match by text. A
    theme outside `scope` (a sheet with a 0/1 column for some themes only) keeps the coder's
    earlier decision."""

    coder: str
    keys: tuple[str, ...]
    text: str | None
    codes: tuple[str, ...]
    where: str
    loose: bool = False
    scope: tuple[str, ...] | None = None  # the themes the file decides; None: every one
    question: str | None = None  # a `question` column's cell: tells apart a survey's answers
    memo: str | None = None  # the coder's memo on it (a .qdpx note); None: the file has none


@dataclass
class ExternalFile:
    """What a file gave: its codings and notes on what was left out."""

    codings: list[ExternalCoding]
    notes: list[str]
    problems: list[str] = field(default_factory=list)  # each a message; any stops the import
    blank: str = ""  # the rows (or comments) left out with no codes, counted: "3 rows"
    settled: int = 0  # comments the adjudication in a coder .qdpx codes, left out


@dataclass(frozen=True)
class TableColumns:
    """How to read a spreadsheet of coding: its columns (default: `id`, `codes` or a 0/1
    column per theme, and a usual text column), its sheet, what a row with no codes means,
    and whether it has a row per code (`long`) rather than a row per comment."""

    id_column: str | None = None
    codes_column: str | None = None
    text_column: str | None = None
    sheet: str | None = None
    blank_is_none: bool = False
    long: bool = False


def read_coded_table(
    path: str | Path,
    book: Codebook,
    coder: str,
    columns: TableColumns = TableColumns(),
    ignore_unknown: bool = False,
) -> ExternalFile:
    """`coder`'s coding from a CSV, TSV, XLSX or JSONL file with an id column and either a
    codes column (theme ids or labels separated by `;`) or a 0/1 column per theme (headed by
    its id or label), and optionally the comments' text, which is then checked against the
    project's. A row with no codes is left out unless `blank_is_none`: in a spreadsheet coded
    part way it means "not coded yet", in a finished one "no theme". With `long`, the rows
    of one id (a row per code, as QDA programs list coded segments) are one comment's codes."""
    found = _Found()
    with open_table(path, sheet=columns.sheet) as table:
        notes = [table.sheet_note] if table.sheet_note else []
        layout = _Layout.of(table.columns, book, columns.codes_column, str(path))
        id_col = pick_id_column(table.columns, columns.id_column, str(path))
        text_col = _text_column(table.columns, columns.text_column, str(path), columns.long)
        coding_col = next((c for c in table.columns if c.casefold() == "coding"), None)
        question_col = next((c for c in table.columns if c.casefold() == "question"), None)
        _check_columns(path, id_col, text_col, layout, columns.long)
        rows: dict[tuple[str, ...] | int, _Row] = {}
        for line, row in table.rows:
            where = f"{path}:{line}"
            codes, blank = layout.codes(row, book, where, found)
            keys = (unneutralise(row[id_col].strip()),) if id_col else ()
            text = row[text_col] if text_col else None
            question = unneutralise(row[question_col].strip()) if question_col else None
            entry = rows.setdefault(
                keys if columns.long else line, _Row(keys, text, where, question or None)
            )
            entry.codes.update(codes)
            entry.blank = entry.blank and blank
            entry.suggested |= bool(coding_col) and row[coding_col] == "suggested"
    codings = []
    for entry in rows.values():
        if entry.blank and not columns.blank_is_none:
            found.blank += 1
            continue
        found.suggested += entry.suggested
        coded = ordered_codes(entry.codes, book)
        codings.append(
            ExternalCoding(
                coder,
                entry.keys,
                entry.text,
                coded,
                entry.where,
                scope=layout.scope,
                question=entry.question,
            )
        )
    problems = found.problems(path, layout)
    if found.unknown and not ignore_unknown:
        problems.append(
            unknown_themes(found.unknown, path, book)
            + "\nAdd the themes to the codebook, or give --ignore-unknown to leave them out"
        )
    notes += layout.notes(book) + (_unknown_notes(found.unknown) if ignore_unknown else [])
    blank = _counted(found.blank, "comment" if columns.long else "row") if found.blank else ""
    return ExternalFile(codings, notes + found.notes(coder, columns.long), problems, blank)


@dataclass
class _Row:
    """One comment's row, or with `long` its rows, as read so far."""

    keys: tuple[str, ...]
    text: str | None
    where: str
    question: str | None = None
    codes: set[str] = field(default_factory=set)
    blank: bool = True  # no codes in any of its rows
    suggested: bool = False  # coder's export gave it the model's suggestions (coding column)


def _check_columns(
    path: str | Path, id_col: str | None, text_col: str | None, layout: _Layout, long: bool
) -> None:
    if long and (id_col is None or layout.codes_column is None):
        raise InputError(
            f"--long reads a row per code: {path} needs an id column (--id-column NAME) and a "
            "codes column (--codes-column NAME)"
        )
    if id_col is None and text_col is None:
        raise InputError(
            f"{path} has no 'id' column and no comment text to match its rows to the "
            "project's comments; name its id column with --id-column NAME"
        )


TICKED = frozenset({"1", "1.0", "x", "yes", "y", "true", "\u2713", "\u2714"})
UNTICKED = frozenset({"", "0", "0.0", "no", "n", "false"})


@dataclass
class _Found:
    """What reading the rows ran into."""

    unknown: list[str] = field(default_factory=list)  # unknown theme names, located
    differ: list[str] = field(default_factory=list)  # rows whose codes and 0/1 cells differ
    bad: list[str] = field(default_factory=list)  # 0/1 cells holding something else
    blank: int = 0  # rows with no codes, left out
    suggested: int = 0  # comments whose rows in coder's export held the model's suggestions

    def problems(self, path: str | Path, layout: _Layout) -> list[str]:
        problems = []
        if self.bad:
            problems.append(
                f"{path}: {_counted(len(self.bad), 'cell')} of its theme columns "
                f"({', '.join(layout.themes)}) {'is' if len(self.bad) == 1 else 'are'} not 0 "
                "or 1 (1, x or yes codes the theme; 0, no or an empty cell does not):\n"
                + listed(self.bad)
            )
        if self.differ:
            problems.append(
                f"{path} has a codes column and a 0/1 column per theme, and they differ on "
                f"{_counted(len(self.differ), 'row')} (nothing was imported):\n"
                + listed(self.differ)
                + f"\nEdit one of them and delete the other, or give --codes-column "
                f"{layout.codes_column} to read the codes column alone"
            )
        return problems

    def notes(self, coder: str, long: bool) -> list[str]:
        notes = []
        if self.suggested:
            notes.append(
                f"{_counted(self.suggested, 'comment' if long else 'row')} of coder's export "
                "held the model's "
                f"suggestions, unreviewed (coding: suggested); they are imported as {coder}'s "
                f"coding like every row. If {coder} did not check them all, take the import "
                "back (--undo) and import only the rows they checked"
            )
        return notes


@dataclass(frozen=True)
class _Layout:
    """Where a spreadsheet keeps its codes: a codes column, a 0/1 column per theme, or both
    (then they must agree, row by row)."""

    codes_column: str | None
    themes: dict[str, str]  # 0/1 column -> its theme id

    @classmethod
    def of(cls, columns: list[str], book: Codebook, requested: str | None, path: str) -> _Layout:
        if requested is not None:
            return cls(pick_column(columns, requested, path, "codes", "--codes-column"), {})
        themes = _theme_columns(columns, book)
        _check_split_columns(columns, book, path)
        codes = next((c for c in columns if c.strip().casefold() == "codes"), None)
        if codes is None and not themes:
            raise InputError(
                f"{path} has no 'codes' column and no column per theme; the columns are: "
                f"{', '.join(columns) or '(none)'}. Name the column of codes with --codes-column "
                "NAME, or head a column with each theme's id or label and put 1 where it applies"
            )
        return cls(codes, themes)

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The themes the file decides: with 0/1 columns alone, those it has a column for."""
        return None if self.codes_column else tuple(dict.fromkeys(self.themes.values()))

    def codes(
        self, row: dict[str, str], book: Codebook, where: str, found: _Found
    ) -> tuple[list[str], bool]:
        """The row's themes, and whether it is blank."""
        if self.codes_column is None:
            ticked = _ticked(row, self.themes, where, found.bad)
            return ticked, all(not row[c].strip() for c in self.themes)
        cell = row[self.codes_column]
        codes = resolve_codes(cell, book, where, found.unknown)  # `none`: coded, no theme
        if self.themes:  # checked only where every cell is 0/1: a column may be something else
            bad: list[str] = []
            ticked = _ticked(row, self.themes, where, bad)
            if not bad and set(ticked) != set(codes) and (cell.strip() or ticked):
                found.differ.append(f"{where}: codes '{cell.strip()}', ticked '{';'.join(ticked)}'")
        return codes, not cell.strip()

    def notes(self, book: Codebook) -> list[str]:
        if self.codes_column is not None:
            return []
        missing = [t.id for t in book.codable if t.id not in self.themes.values()]
        if not missing:
            return []
        return [
            f"no column for {_counted(len(missing), 'theme')} ({', '.join(missing)}): the "
            "coder's codes on them are left as they were"
        ]


def _check_split_columns(columns: list[str], book: Codebook, path: str) -> None:
    """Refuse a 0/1 column of a theme the codebook split: its ticks belong to no one part."""
    for column in columns:
        parts = book.split.get(column.strip().casefold())
        if parts:
            listed = ", ".join(f"'{part}'" for part in parts)
            raise InputError(
                f"{path} has a column '{column}', a theme that codebook '{book.name}' split "
                f"into {listed}: a tick in it cannot say which part applies. Replace it with a "
                "column per part, or remove it"
            )


def _theme_columns(columns: list[str], book: Codebook) -> dict[str, str]:
    """{column: theme} for the columns headed by a codable theme's id or label, or by an id a
    theme `replaces` (case aside): after a merge, a tick in either old column codes the new
    theme."""
    return {column: theme for column in columns if (theme := book.resolve(column)) is not None}


def _ticked(row: dict[str, str], themes: dict[str, str], where: str, bad: list[str]) -> list[str]:
    """The themes whose 0/1 cell is ticked (in any of their columns); a cell that is neither is
    added to `bad`."""
    ticked: dict[str, None] = {}
    for column, theme in themes.items():
        value = row[column].strip().casefold()
        if value in TICKED:
            ticked[theme] = None
        elif value not in UNTICKED:
            bad.append(f"{where}: column '{column}' holds '{row[column].strip()}'")
    return list(ticked)


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _text_column(columns: list[str], requested: str | None, source: str, long: bool) -> str | None:
    """The text column if asked for or under a usual name; None if the file holds ids only,
    or (unless asked for) has a row per code: a coded segment is not the whole comment."""
    if requested:
        return pick_column(columns, requested, source, "text", "--text-column")
    if long:
        return None
    folded = {c.casefold(): c for c in columns}
    return next((folded[name] for name in TEXT_COLUMN_NAMES if name in folded), None)


def ordered_codes(codes: Iterable[str], book: Codebook) -> tuple[str, ...]:
    """Codable theme ids in the codebook's order."""
    rank = {theme_id: n for n, theme_id in enumerate(book.codable_ids)}
    return tuple(sorted(codes, key=rank.__getitem__))


def _unknown_notes(unknown: list[str]) -> list[str]:
    """With --ignore-unknown: a note on the theme names left out."""
    if not unknown:
        return []
    shown = "; ".join(unknown[:MAX_NOTED]) + ("; ..." if len(unknown) > MAX_NOTED else "")
    plural = "s" if len(unknown) != 1 else ""
    return [f"left out {len(unknown)} unknown theme name{plural}: {shown}"]
