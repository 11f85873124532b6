"""Building a codebook from a spreadsheet of themes (a CSV with one theme per row)."""

from __future__ import annotations

from pathlib import Path

from coder.codebook import Codebook, check_codebook, slugify
from coder.errors import InputError
from coder.readers import open_table, pick_column

PARENT_COLUMNS = ("parent", "major_category", "category", "group")


def import_csv(path: str | Path, name: str | None = None, label_column: str = "label") -> Codebook:
    """A codebook from a CSV with `label` and optional `id`, `parent` (or `major_category`),
    `definition`, `brief`, `color` columns, and `include`, `exclude`, `examples`,
    `counter_examples` and `patterns` (phrases) columns of `;`-separated items. Ids come from
    the `id` column, else from labels; each parent named only in the parent column becomes a
    grouping theme that is not codable."""
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
    themes = _with_parents(themes, ids_by_label)
    problems = [
        f"{path}: theme '{themes[loc[1]]['label']}': {message}"
        for loc, message in check_codebook(themes)
    ]
    if problems:
        raise InputError("cannot import a codebook:\n" + "\n".join(problems))
    return Codebook.model_validate(
        {
            "name": name or Path(path).stem.replace("_", " "),
            "version": "1",
            "description": f"Imported from {Path(path).name}.",
            "themes": themes,
        }
    )


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


def _with_parents(themes: list[dict], ids_by_label: dict[str, str]) -> list[dict]:
    """Parent labels become ids; each new parent is a non-codable group placed before its
    first child."""
    ordered: list[dict] = []
    for theme in themes:
        if "parent" in theme:
            key = theme["parent"].casefold()
            if key not in ids_by_label:
                group_id = _new_id(theme["parent"], ids_by_label)
                ordered.append({"id": group_id, "label": theme["parent"], "codable": False})
            theme["parent"] = ids_by_label[key]
        ordered.append(theme)
    return ordered
