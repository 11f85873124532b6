"""A report as one self-contained HTML file: inline CSS, bar charts drawn with CSS, no scripts,
no external assets, so it opens offline and can be mailed. All text from comments, codebooks
and attributes is HTML-escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from coder.console import percent
from coder.fileio import atomic_write_text
from coder.report import (
    NO_THEME_LABEL,
    Count,
    Report,
    ThemeRow,
    groups_caption,
    p_text,
    plural,
    segments,
)

# Group colours (matplotlib's tab10), in group order, repeating after ten groups.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
DEFAULT_COLOR = "#4c78a8"

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
  max-width: 72rem; padding: 0 1rem; color: #1a1a1a; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.basis { color: #555; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { padding: .25rem .6rem; text-align: right; vertical-align: middle; }
th { font-weight: 600; border-bottom: 2px solid #bbb; }
td { border-bottom: 1px solid #eee; }
th:first-child, td:first-child { text-align: left; }
td.group { font-weight: 600; }
td.none { font-style: italic; border-top: 2px solid #ccc; }
.bar { width: 16rem; height: .9rem; background: #f0f0f0; border-radius: 2px; }
.bar span { display: block; height: 100%; border-radius: 2px; }
.bars .bar { height: .6rem; margin: 2px 0; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem;
  vertical-align: -.1rem; border-radius: 2px; }
.matrix td { text-align: center; min-width: 2.2rem; }
.matrix td:first-child { text-align: left; }
blockquote { margin: .4rem 0 .6rem; padding: .3rem .8rem; border-left: 4px solid #ccc;
  background: #fafafa; white-space: pre-wrap; }
blockquote cite { display: block; color: #666; font-size: .85rem; font-style: normal; }
mark { background: #fff3a0; }
.caption { color: #666; font-size: .85rem; }
.people { color: #666; font-size: .85rem; }
"""


def write_report_html(report: Report, path: str | Path, force: bool = False) -> None:
    atomic_write_text(path, report_html(report), force=force)


def report_html(report: Report) -> str:
    book = report.codebook
    parts = [
        f"<h1>{escape(Path(report.project).name + report.title_suffix)}</h1>",
        f"<p>{plural(report.comments, 'comment')} from "
        f"{plural(report.respondents, 'respondent')}; codebook "
        f"{_e(book.name)} version {_e(book.version)}.</p>",
        f'<p class="basis">{_e(report.basis)}</p>',
        _themes(report),
    ]
    if report.by is not None:
        parts.append(_groups(report))
    if report.pairs:
        parts.append(_matrix(report))
    if report.quotes:
        parts.append(_quotes(report))
    title = f"Report: {Path(report.project).name}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _bar(count: Count, color: str | None) -> str:
    return (
        f'<div class="bar" title="{count.pct:.1f}%"><span style="width:{count.pct:.1f}%;'
        f'background:{_e(color or DEFAULT_COLOR)}"></span></div>'
    )


def _pct(count: Count) -> str:
    return percent(count.pct / 100)


_NO_THEME_CELL = f'<td class="none">{_e(NO_THEME_LABEL)}</td>'


def _label_cell(row: ThemeRow) -> str:
    css = ' class="group"' if not row.theme.codable else ""
    indent = f' style="padding-left:{0.6 + 1.2 * row.depth:.1f}rem"'
    return f"<td{css}{indent}>{_e(row.theme.label)}</td>"


def _table(head: Sequence[str], rows: Iterable[str], css: str = "") -> str:
    cells = "".join(f"<th>{h}</th>" for h in head)
    klass = f' class="{css}"' if css else ""
    body = "\n".join(f"<tr>{row}</tr>" for row in rows)
    return f"<table{klass}>\n<thead><tr>{cells}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _themes(report: Report) -> str:
    none = report.uncovered
    rows = [
        (_label_cell(row), row.comments, row.respondents, row.theme.color) for row in report.themes
    ]
    rows.append((_NO_THEME_CELL, none.comments, none.respondents, None))
    rows = (
        label
        + f"<td>{comments.n}</td><td>{_pct(comments)}</td><td>{_bar(comments, color)}</td>"
        + f"<td>{respondents.n}</td><td>{_pct(respondents)}</td>"
        for label, comments, respondents, color in rows
    )
    head = ["Theme", "Comments", "%", "", "Respondents", "%"]
    return (
        "<h2>Themes</h2>\n"
        + _table(head, rows)
        + '\n<p class="caption">A group counts the comments coded with any theme under it.'
        + f"{_e(none.caption)}</p>"
    )


def _groups(report: Report) -> str:
    colors = [PALETTE[i % len(PALETTE)] for i in range(len(report.groups))]
    legend = "".join(
        f'<span><i class="swatch" style="background:{c}"></i>{_e(g.name)} '
        f"({plural(g.comments, 'comment')}, {plural(g.respondents, 'respondent')})</span>"
        for g, c in zip(report.groups, colors, strict=True)
    )
    head = ["Theme", *(_e(g.name) for g in report.groups), "", "Spread", "p"]
    people = report.respondents_by_group
    labelled = [(_label_cell(row), s) for row, s in zip(report.themes, report.splits, strict=True)]
    if report.uncovered.split is not None:
        labelled.append((_NO_THEME_CELL, report.uncovered.split))
    rows = []
    for label, split in labelled:
        shares = "".join(
            f"<td>{_pct(c)} ({c.n})"
            + (f'<br><span class="people">{_pct(r)} ({r.n})</span>' if people else "")
            + "</td>"
            for c, r in zip(split.comments, split.respondents, strict=True)
        )
        bars = "".join(_bar(c, color) for c, color in zip(split.comments, colors, strict=True))
        highest = f" (highest: {_e(split.highest)})" if split.spread else ""
        spread = f"<td>{split.spread:.0f} pp{highest}</td>"
        shown = p_text(split)
        p = f"<td><b>{shown}</b></td>" if shown.endswith("*") else f"<td>{shown}</td>"
        rows.append(label + shares + f'<td class="bars">{bars}</td>' + spread + p)
    return (
        f"<h2>Themes by {_e(report.by)}</h2>\n"
        + f'<p class="legend">{legend}</p>\n'
        + _table(head, rows)
        + f'\n<p class="caption">{_e(groups_caption(report))}</p>'
    )


def _matrix(report: Report) -> str:
    """Co-occurrence of the codable themes: comments coded with both, shaded by count."""
    ids = report.codebook.codable_ids
    counts = {(p.first, p.second): p.comments.n for p in report.pairs}
    counts.update({(b, a): n for (a, b), n in list(counts.items())})
    top = max(counts.values())
    head = ["Theme", *(str(n) for n in range(1, len(ids) + 1))]
    rows = []
    for number, first in enumerate(ids, start=1):
        cells = []
        for second in ids:
            n = counts.get((first, second), 0)
            shade = f' style="background:rgba(31,119,180,{0.1 + 0.6 * n / top:.2f})"' if n else ""
            cells.append(f"<td{shade}>{n if n else ''}</td>" if first != second else "<td>–</td>")
        label = f"<td>{number}. {_e(report.labels.get(first, first))}</td>"
        rows.append(label + "".join(cells))
    return (
        "<h2>Themes coded together</h2>\n"
        + _table(head, rows, "matrix")
        + '\n<p class="caption">Comments coded with both themes; columns are numbered as the '
        "rows.</p>"
    )


def _quotes(report: Report) -> str:
    parts = ["<h2>Quotes</h2>"]
    for theme_id in report.codebook.codable_ids:
        quotes = report.quotes.get(theme_id, ())
        if not quotes:
            continue
        parts.append(f"<h3>{_e(report.labels.get(theme_id, theme_id))}</h3>")
        for quote in quotes:
            text = "".join(
                f"<mark>{_e(piece)}</mark>" if evidence else _e(piece)
                for piece, evidence in segments(quote)
            )
            score = "" if quote.score is None else f", score {quote.score:.2f}"
            cite = f"<cite>{_e(quote.id)}, {_e(quote.status)}{score}</cite>"
            parts.append(f"<blockquote>{text}{cite}</blockquote>")
    return "\n".join(parts)
