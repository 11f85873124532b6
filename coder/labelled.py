"""Reading comments coded by hand: a text column and a `codes` column of theme ids or labels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coder.codebook import Codebook
from coder.errors import InputError, LabelError, listed
from coder.readers import Table, open_table, pick_column, pick_id_column

NONE = "none"  # a codes cell saying the comment was coded with no theme
REPEAT_CHARS = 40  # a comment this long that comes again is a copy, not a common answer


@dataclass
class Labelled:
    ids: list[str]
    texts: list[str]
    codes: list[list[str]]
    sheet_note: str = ""  # an Excel workbook's other sheets (`Table.sheet_note`)

    @property
    def repeat_note(self) -> str:
        """Long comments that come again under other ids: a file appended to itself, or waves
        that overlap. Copies on both sides of a cross-validation split flatter its figures."""
        seen: set[str] = set()
        repeats = 0
        for text in self.texts:
            key = " ".join(text.casefold().split())
            if len(key) >= REPEAT_CHARS:  # short answers ("Very good") recur in any survey
                repeats += key in seen
                seen.add(key)
        if repeats < max(10, 0.05 * len(self.texts)):
            return ""
        return (
            f"{repeats} comments repeat the text of an earlier one under another id; copies on "
            "both sides of cross-validation flatter its figures: keep one of each"
        )

    @property
    def blank_note(self) -> str:
        """Codes on a blank comment: no model can find them, so they smell of a wrong join."""
        n = sum(bool(c) and not t.strip() for t, c in zip(self.texts, self.codes, strict=True))
        if not n:
            return ""
        return (
            f"{n} comment{'s' if n != 1 else ''} with codes but no text (a wrong --text-column, "
            "or a join gone wrong?); coder never codes a blank comment"
        )


def split_codes(cell: str) -> list[str]:
    """`a; b;;c` -> ['a', 'b', 'c']."""
    return [part.strip() for part in cell.split(";") if part.strip()]


def read_labelled(
    path: str | Path,
    codebook: Codebook,
    text_column: str | None = None,
    codes_column: str = "codes",
    id_column: str | None = None,
    comments: str | Path | None = None,
    sheet: str | None = None,
) -> Labelled:
    """Read coded comments; theme names are resolved by id or label, all unknowns reported.

    With `comments`, the labelled file may hold only ids and codes (like a gold file): the
    texts are joined from the comments file by id. `sheet` names the labelled file's sheet,
    if it is an Excel workbook.
    """
    texts_by_id = _texts_by_id(comments, text_column) if comments else None
    ids, texts, codes, unknown, repeated = [], [], [], [], []
    first_line: dict[str, int] = {}
    with open_table(path, sheet=sheet) as table:
        try:
            codes_col = pick_column(
                table.columns, codes_column, str(path), "codes", "--codes-column"
            )
        except InputError as exc:  # the data may be on another sheet than the first
            raise InputError(
                f"{exc}. {table.sheet_note}" if table.sheet_note else str(exc)
            ) from None
        id_col = pick_id_column(table.columns, id_column, str(path))
        text_col = (
            None if texts_by_id is not None else _text_column(table, text_column, path, id_col)
        )
        for line, row in table.rows:
            row_id = row[id_col] if id_col else str(line)
            if twice := _repeat(first_line, row_id, line, path):
                repeated.append(twice)
            if texts_by_id is not None:
                if row_id not in texts_by_id:
                    raise InputError(f"{path}:{line}: id '{row_id}' is not in {comments}")
                text = texts_by_id[row_id]
            else:
                text = row[text_col]
            ids.append(row_id)
            texts.append(text)
            codes.append(resolve_codes(row[codes_col], codebook, f"{path}:{line}", unknown))
        sheet_note = table.sheet_note  # once the rows are read: their notes too
    _check_repeated(repeated, path)
    check_unknown(unknown, path, codebook)
    if not texts:
        raise InputError(f"{path} has no coded comments")
    if not any(codes):  # a wrong column, or a broken export: a model of nothing
        raise InputError(
            f"none of the {len(texts)} comments in {path} has a theme in column "
            f"'{codes_col}': is it the right column (--codes-column NAME)?"
        )
    return Labelled(ids, texts, codes, sheet_note)


def _repeat(seen: dict[str, int], row_id: str, line: int, path: str | Path) -> str | None:
    """Where `row_id` appears again, if it was seen on an earlier line (a blank id is no id)."""
    first = seen.setdefault(row_id, line) if row_id.strip() else line
    if first == line:
        return None
    return f"{path}:{line}: id '{row_id}' appears twice (first on line {first})"


def _check_repeated(repeated: list[str], path: str | Path) -> None:
    if repeated:
        raise InputError(
            f"{len(repeated)} repeated id{'s' if len(repeated) > 1 else ''} in {path}: a comment "
            "coded twice counts twice, and cross-validation would test on copies of what it "
            "trained on; keep one row per comment (merge the codes into it):\n" + listed(repeated)
        )


def _text_column(table: Table, requested: str | None, path: str | Path, id_col: str | None) -> str:
    try:
        return table.pick_text(requested)
    except InputError as exc:
        if id_col is None or requested:
            raise
        raise InputError(
            f"{exc}; or, if the file holds only ids and codes, join the texts from the "
            "comments file with --comments FILE"
        ) from None


def resolve_codes(cell: str, codebook: Codebook, where: str, unknown: list[str]) -> list[str]:
    """The theme ids a `;`-separated cell names (by id, label or replaced id), each once, or
    none for a cell that says `none`; a name no theme has is added to `unknown` as a message
    located at `where`."""
    if cell.strip().casefold() == NONE and codebook.resolve(NONE) is None:
        return []  # coded, with no theme
    resolved: list[str] = []
    for name in split_codes(cell):
        theme = codebook.resolve(name)
        if theme is None:
            hint = codebook.suggest(name)
            suffix = (
                codebook.gone_hint(name)
                or codebook.unknown_hint(name)
                or (f" (did you mean '{hint}'?)" if hint else "")
            )
            unknown.append(f"{where}: unknown theme '{name}'{suffix}")
        elif theme not in resolved:
            resolved.append(theme)
    return resolved


def check_unknown(unknown: list[str], path: str | Path, codebook: Codebook) -> None:
    """Raise a LabelError listing the unknown themes found in `path`, if there were any."""
    if unknown:
        raise LabelError(unknown_themes(unknown, path, codebook))


def unknown_themes(unknown: list[str], path: str | Path, codebook: Codebook) -> str:
    """The message listing the unknown theme names found in `path` (`unknown` is not empty)."""
    return (
        f"{len(unknown)} unknown theme{'s' if len(unknown) > 1 else ''} in {path} "
        f"(codebook '{codebook.name}' has: {', '.join(codebook.codable_ids)}):\n" + listed(unknown)
    )


def _texts_by_id(comments: str | Path, text_column: str | None) -> dict[str, str]:
    with open_table(comments) as table:
        id_col = pick_id_column(table.columns, None, str(comments))
        if id_col is None:
            raise InputError(f"{comments} has no 'id' column to join the codes on")
        text_col = table.pick_text(text_column)
        texts: dict[str, str] = {}
        lines: dict[str, int] = {}
        for line, row in table.rows:
            if twice := _repeat(lines, row[id_col], line, comments):
                raise InputError(f"{twice}; texts are joined on ids, so each must name one comment")
            texts[row[id_col]] = row[text_col]
        return texts
