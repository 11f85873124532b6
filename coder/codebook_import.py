"""Building a codebook from a spreadsheet of themes (a CSV with one theme per row)."""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path
from typing import Any

from coder.codebook import Codebook, check_codebook, column_clashes, slugify
from coder.errors import InputError
from coder.readers import open_table, pick_column

PARENT_COLUMNS = ("parent", "major_category", "category", "group")


def import_csv(
    path: str | Path, name: str | None = None, label_column: str = "label"
) -> tuple[Codebook, list[str]]:
    """A codebook from a CSV with `label` and optional `id`, `parent` (or `major_category`),
    `definition`, `brief`, `color` columns, and `include`, `exclude`, `examples`,
    `counter_examples` and `patterns` (phrases) columns of `;`-separated items. Ids come from
    the `id` column, else from labels; each parent named only in the parent column becomes a
    grouping theme that is not codable. Returns it with notes: the columns left out, and the
    groups made whose name is close to a theme's (a typo in the parent column?)."""
    if Path(path).suffix.casefold() in (".yaml", ".yml"):
        raise InputError(
            f"{path} is a YAML file, which is a codebook already: check it with `coder codebook "
            f"validate {path}`; `codebook import` makes one from a spreadsheet of themes or a .qdc"
        )
    themes: list[dict] = []
    ids_by_label: dict[str, str] = {}
    with open_table(path) as table:
        label_col = pick_column(table.columns, label_column, str(path), "label", "--label-column")
        folded = {c.strip().casefold().replace(" ", "_"): c for c in table.columns}
        parent_col = next((folded[c] for c in PARENT_COLUMNS if c in folded), None)
        notes = _left_out(table.columns, folded, label_col, parent_col)
        for line, row in table.rows:
            label = row[label_col].strip()
            if not label:
                raise InputError(f"{path}:{line}: empty label")
            if label.casefold() in ids_by_label:
                raise InputError(f"{path}:{line}: label '{label}' appears twice")
            given = row[folded["id"]].strip() if "id" in folded else ""
            if given:  # the sheet's own id, which labelled files and projects may use
                ids_by_label[label.casefold()] = given
            theme = {"id": given or _new_id(label, ids_by_label), "label": label}
            theme.update(_details(row, folded))
            if parent_col and row[parent_col].strip():
                theme["parent"] = row[parent_col].strip()
            themes.append(theme)
    if not themes:
        raise InputError(f"{path} has no themes: expected one row per theme under a 'label' header")
    labels = [theme["label"] for theme in themes]
    themes, groups = _with_parents(themes, ids_by_label)
    notes += _close_groups(groups, labels)
    problems = [
        f"{path}: theme '{themes[loc[1]]['label']}': {message}"
        for loc, message in [*check_codebook(themes), *_pattern_problems(themes)]
    ]
    if problems:
        raise InputError("cannot import a codebook:\n" + "\n".join(problems))
    book = Codebook.model_validate(
        {
            "name": name or Path(path).stem.replace("_", " "),
            "version": "1",
            "description": f"Imported from {Path(path).name}.",
            "themes": themes,
        }
    )
    return book, notes


def _left_out(
    columns: list[str], folded: dict[str, str], label: str, parent: str | None
) -> list[str]:
    known = {label, parent, *(folded.get(k) for k in ("id", *_TEXT_FIELDS, *_LIST_FIELDS))}
    unknown = [c for c in columns if c not in known]
    if not unknown:
        return []
    fields = ", ".join(("id", *PARENT_COLUMNS[:2], *_TEXT_FIELDS, *_LIST_FIELDS))
    return [
        f"Left out the column{'s' if len(unknown) > 1 else ''} "
        f"{', '.join(repr(c) for c in unknown)}: the codebook's columns are label, {fields}"
    ]


def _close_groups(groups: list[str], labels: list[str]) -> list[str]:
    notes = []
    for group in groups:
        close = get_close_matches(group, [lab for lab in labels if lab != group], n=1, cutoff=0.9)
        if close:
            notes.append(
                f"Made a group '{group}' from the parent column, which names no theme; did you "
                f"mean the theme '{close[0]}'?"
            )
    return notes


def _pattern_problems(themes: list[dict]) -> list[tuple[tuple[Any, ...], str]]:
    """The patterns' problems, as `check_codebook`'s; a token pattern has no cell syntax."""
    from coder.rules import pattern_problems

    found: list[tuple[tuple[Any, ...], str]] = []
    for index, theme in enumerate(themes):
        phrases = theme.get("patterns", [])
        for p_index, problem in pattern_problems(phrases):
            phrase = phrases[p_index]
            if phrase.startswith("[") and phrase.endswith("]"):
                problem = (
                    f"{phrase!r} is a token pattern, which a spreadsheet cell cannot hold (the "
                    "patterns column takes phrases): add it to the YAML once imported"
                )
            found.append((("themes", index, "patterns", p_index), problem))
    found += column_clashes(themes)
    return found


def _new_id(label: str, ids_by_label: dict[str, str]) -> str:
    base = candidate = slugify(label)
    n = 2
    while candidate in ids_by_label.values():
        candidate, n = f"{base}_{n}", n + 1
    ids_by_label[label.casefold()] = candidate
    return candidate


# Columns named as the codebook's fields: text, and lists whose items a `;` separates.
_TEXT_FIELDS = ("definition", "brief", "color")
_LIST_FIELDS = ("include", "exclude", "examples", "counter_examples", "patterns")


def _details(row: dict[str, str], folded: dict[str, str]) -> dict:
    details: dict = {}
    for key in _TEXT_FIELDS:
        if key in folded and row[folded[key]].strip():
            details[key] = row[folded[key]].strip()
    for key in _LIST_FIELDS:
        items = (
            [e.strip() for e in row[folded[key]].split(";") if e.strip()] if key in folded else []
        )
        if items:
            details[key] = items
    return details


def _with_parents(themes: list[dict], ids_by_label: dict[str, str]) -> tuple[list[dict], list[str]]:
    """Parent labels become ids; each new parent is a non-codable group placed before its
    first child. Returns the themes and the groups' labels."""
    ordered: list[dict] = []
    groups: list[str] = []
    for theme in themes:
        if "parent" in theme:
            key = theme["parent"].casefold()
            if key not in ids_by_label:
                group_id = _new_id(theme["parent"], ids_by_label)
                ordered.append({"id": group_id, "label": theme["parent"], "codable": False})
                groups.append(theme["parent"])
            theme["parent"] = ids_by_label[key]
        ordered.append(theme)
    return ordered, groups
