"""A report in the terminal: rich tables with bar charts. Comment text is never read as markup."""

from __future__ import annotations

from rich.console import Group as Stack
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from coder.console import percent, printable
from coder.group_tests import MAX_GROUPS
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

BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"
TOP_PAIRS = 10


def bar(pct: float, color: str | None = None, width: int = BAR_WIDTH) -> Text:
    """A horizontal bar `pct` percent of `width` cells long, in eighths of a cell."""
    eighths = round(max(0.0, min(pct, 100.0)) / 100 * width * 8)
    full, part = divmod(eighths, 8)
    return Text("█" * full + (_EIGHTHS[part] if part else ""), style=color or "cyan")


def count_percent(count: Count) -> str:
    return percent(count.pct / 100)


def report_renderables(report: Report) -> list[RenderableType]:
    """The report for the terminal: a summary, the themes, the groups, the pairs, the quotes."""
    book = report.codebook
    title = Text(f"{printable(report.project + report.title_suffix)}: ", style="bold")
    title.append(
        f"{plural(report.comments, 'comment')} from {plural(report.respondents, 'respondent')}; "
        f"codebook '{book.name}' version {book.version}"
    )
    out: list[RenderableType] = [title, Text(report.basis, style="dim"), themes_table(report)]
    if report.by is not None and len(report.groups) > MAX_GROUPS:  # untested, and too wide
        out.append(
            Text(
                f"Themes by {printable(report.by)}: {len(report.groups):,} groups, too many "
                "columns for a terminal; --table FILE or --html FILE writes them all",
                style="dim",
            )
        )
    elif report.by is not None:
        out.append(groups_table(report))
    if report.pairs:
        out.append(pairs_table(report))
    out += [quotes for theme in book.codable_ids if (quotes := quotes_block(report, theme))]
    return out


def _label(row: ThemeRow) -> Text:
    return Text(
        "  " * row.depth + printable(row.theme.label), style="" if row.theme.codable else "bold"
    )


def themes_table(report: Report) -> Table:
    table = Table(title="Themes", title_justify="left")
    table.add_column("theme")
    for name in ("comments", "%", "", "respondents", "%"):
        table.add_column(name, justify="left" if name == "" else "right")
    rows = [(_label(row), row.comments, row.respondents, row.theme.color) for row in report.themes]
    none = report.uncovered
    for n, (label, comments, respondents, color) in enumerate(
        [*rows, (Text(NO_THEME_LABEL, style="italic"), none.comments, none.respondents, None)]
    ):
        table.add_row(
            label,
            str(comments.n),
            count_percent(comments),
            bar(comments.pct, color),
            str(respondents.n),
            count_percent(respondents),
            end_section=n == len(rows) - 1,
        )
    table.caption = "A group counts the comments coded with any theme under it." + none.caption
    return table


def groups_table(report: Report) -> Table:
    """Each theme's share of comments in each group, and the spread between groups."""
    people = report.respondents_by_group
    table = Table(title=f"Themes by {report.by}", title_justify="left")
    table.add_column("theme")
    for group in report.groups:
        size = f"n={group.comments}"
        if people:
            size += f",\n{plural(group.respondents, 'respondent')}"
        table.add_column(Text(f"{printable(group.name)}\n({size})"), justify="right")
    table.add_column("spread", justify="right")
    table.add_column("p", justify="right")
    rows = [(_label(row), split) for row, split in zip(report.themes, report.splits, strict=True)]
    if report.uncovered.split is not None:
        rows.append((Text(NO_THEME_LABEL, style="italic"), report.uncovered.split))
    themes = len(report.themes)
    for n, (label, split) in enumerate(rows):
        cells = []
        for comments, respondents in zip(split.comments, split.respondents, strict=True):
            cell = Text(f"{count_percent(comments)} ({comments.n})")
            if people:
                cell.append(f"\n{count_percent(respondents)} ({respondents.n})", style="dim")
            cells.append(cell)
        spread = Text(f"{split.spread:.0f} pp")
        if split.spread:
            spread.append(f"\nhighest: {split.highest}", style="dim")
        shown = p_text(split)
        p = Text(shown, style="bold" if shown.endswith("*") else "")
        table.add_row(label, *cells, spread, p, end_section=n == themes - 1)
    table.caption = groups_caption(report)
    return table


def pairs_table(report: Report) -> Table:
    table = Table(title="Themes coded together", title_justify="left")
    for name in ("theme", "with theme", "comments", "%"):
        table.add_column(name, justify="right" if name in ("comments", "%") else "left")
    for pair in report.pairs[:TOP_PAIRS]:
        table.add_row(
            Text(printable(report.labels.get(pair.first, pair.first))),
            Text(printable(report.labels.get(pair.second, pair.second))),
            str(pair.comments.n),
            count_percent(pair.comments),
        )
    if len(report.pairs) > TOP_PAIRS:
        table.caption = f"The {TOP_PAIRS} most frequent of {len(report.pairs)} pairs."
    return table


def quotes_block(report: Report, theme_id: str) -> RenderableType | None:
    """A theme's quotes, evidence underlined; None if it has none."""
    quotes = report.quotes.get(theme_id, ())
    if not quotes:
        return None
    lines: list[RenderableType] = [Text(f"Quotes: {report.labels[theme_id]}", style="bold")]
    for quote in quotes:
        line = Text("  “")
        for piece, evidence in segments(quote):
            line.append(piece, style="underline" if evidence else "")
        line.append("”")
        score = "" if quote.score is None else f", score {quote.score:.2f}"
        line.append(f"  ({quote.id}, {quote.status}{score})", style="dim")
        lines.append(line)
    return Stack(*lines)
