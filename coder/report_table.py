"""A report's figures as a table for a spreadsheet or a statistics package (`coder report
--table`): a row per theme, rolled up the hierarchy as in the report, then `(no theme)`.

Columns: the theme's id, label, parent and level, whether it is codable, its comments and
respondents with their percentages; with `--by`, for each group its comments, their percentage,
its respondents and theirs, then the spread, the highest and lowest group, the p-value and the
adjusted p-value (`coder.group_tests`). Counts and percentages are numbers (percentages to one
place); a CSV or an Excel workbook, by the file's name (`coder.table_out`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from coder.report import NO_THEME_LABEL, Count, Report, ThemeSplit
from coder.table_out import open_rows

SPLIT_COLUMNS = ["spread_pp", "p", "p_adjusted", "highest", "lowest"]


def write_report_table(
    report: Report, path: str | Path, force: bool = False, excel: bool = False
) -> int:
    """Write the report's table to `path`; returns the rows written (themes and no theme)."""
    rows = 0
    with open_rows(path, force, excel) as table:
        table.write(_header(report))
        for text, made, groups in _rows(report):
            table.write(text, made, groups)
            rows += 1
    return rows


def _header(report: Report) -> list[str]:
    head = ["theme", "label", "parent", "level", "codable"]
    head += ["comments", "comments_pct", "respondents", "respondents_pct"]
    for group in report.groups:
        head += [f"{group.name}: {what}" for what in _GROUP_FIGURES]
    return head + (SPLIT_COLUMNS if report.by is not None else [])


_GROUP_FIGURES = ("comments", "comments_pct", "respondents", "respondents_pct")


Row = tuple[list[str], list[Any], list[str]]


def _rows(report: Report) -> Iterator[Row]:
    """Each row as text from the codebook, figures coder made, and group names (data)."""
    splits = report.splits or (None,) * len(report.themes)
    for row, split in zip(report.themes, splits, strict=True):
        theme = row.theme
        text = [theme.id, theme.label, theme.parent or ""]
        made = [row.depth, int(theme.codable), *_figures(row.comments, row.respondents)]
        yield text, made + _split(split, report), _extremes(split, report)
    none = report.uncovered
    made = ["", "", *_figures(none.comments, none.respondents)]
    yield ["", NO_THEME_LABEL, ""], made + _split(none.split, report), _extremes(none.split, report)


def _figures(comments: Count, respondents: Count) -> list[Any]:
    return [comments.n, round(comments.pct, 1), respondents.n, round(respondents.pct, 1)]


def _split(split: ThemeSplit | None, report: Report) -> list[Any]:
    if report.by is None or split is None:
        return []
    made: list[Any] = []
    for comments, respondents in zip(split.comments, split.respondents, strict=True):
        made += _figures(comments, respondents)
    return [*made, round(split.spread, 1), _p(split.p), _p(split.q)]


def _extremes(split: ThemeSplit | None, report: Report) -> list[str]:
    """The highest and lowest group, where they differ at all."""
    if report.by is None or split is None:
        return []
    return [split.highest, split.lowest] if split.spread else ["", ""]


def _p(value: float | None) -> float | str:
    return "" if value is None else float(f"{value:.4g}")
