"""What the review screen shows, as rich renderables built from a `CommentView`.

Comments are written by the public and codebooks by anyone: every piece of their text goes into
a `rich.text.Text`, never through markup, and control characters are made visible first (an
escape sequence in a comment must not reach the terminal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text

from coder.codebook import Codebook, Theme
from coder.console import percent, printable
from coder.report_html import PALETTE  # for themes whose codebook entry has no colour
from coder.review import CommentView, Progress, ThemeRow

NUMBER_KEYS = "1234567890"  # the keys that toggle the listed themes, in order
THEMES_SHOWN = 12  # rows of a comment's theme list on screen at once, around the focused one
_STATUS = {
    "accept": "accepted",
    "reject": "rejected",
    "add": "added",
    "remove": "removed",
}

# The keys, for the help screen (the footer shows the bindings themselves).
HELP: tuple[tuple[str, str], ...] = (
    ("1-9, 0", "code or uncode the listed theme with that number"),
    ("↑ ↓  (k j)", "choose the theme whose definition is shown"),
    ("space", "code or uncode the chosen theme (past the tenth, the only way)"),
    ("PgUp PgDn", "scroll a comment longer than the screen"),
    ("a", "accept the codes as shown, mark the comment reviewed, go to the next"),
    ("x", "reject every code (the comment gets no theme), go to the next"),
    ("/", "search the whole codebook and add a theme"),
    ("n  p", "next / previous comment (nothing is recorded)"),
    ("s", "skip: come back to this comment later"),
    ("f", "flag the comment for discussion (again to unflag)"),
    ("m", "write a memo on the comment"),
    ("u  backspace", "undo the last decision, on whichever comment it was"),
    ("l", "list the review's comments: Enter opens one, [ ] turn the page, / finds"),
    ("r", "retrain on the reviewed comments and re-score the rest, in the background"),
    ("?", "this help"),
    ("q", "quit (every decision is already saved)"),
)


def theme_colors(codebook: Codebook) -> dict[str, str]:
    """Each theme's colour: the codebook's, else one from the palette by position."""
    return {
        theme.id: theme.color or PALETTE[i % len(PALETTE)]
        for i, theme in enumerate(codebook.themes)
    }


def readable_on(color: str) -> str:
    """Black or white, whichever reads better on a `#RRGGBB` background."""
    red, green, blue = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    light = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.5
    return "#000000" if light else "#ffffff"  # not black/white: terminals' themes remap those


def evidence_style(color: str, on: bool, kind: str) -> Style:
    """A matched phrase of a coded theme on the theme's colour; a deciding sentence underlined
    in it; the evidence of a suggestion not coded, dimly underlined."""
    if not on:
        return Style(color=color, underline=True, dim=True)
    if kind == "pattern":
        return Style(color=readable_on(color), bgcolor=color, bold=True)
    return Style(color=color, underline=True)


def comment_text(view: CommentView, colors: Mapping[str, str]) -> Text:
    """The comment with the evidence of each listed theme highlighted in the theme's colour."""
    if not view.text.strip():
        return Text("(empty comment)", style="dim italic")
    text = Text(printable(view.text))
    # Sentences first, so that a phrase inside a sentence shows on top of it.
    spans = sorted(
        ((row, e) for row in view.themes for e in row.evidence),
        key=lambda p: p[1].kind != "sentence",
    )
    for row, evidence in spans:
        start, end = max(evidence.start, 0), min(evidence.end, len(view.text))
        if start < end:
            style = evidence_style(colors.get(row.theme, PALETTE[0]), row.on, evidence.kind)
            text.stylize(style, start, end)
    return text


def position_line(view: CommentView) -> Text:
    line = Text(f"Comment {view.position + 1:,} of {view.total:,}", style="bold")
    line.append(f"   id {printable(view.external_id)}", style="dim")
    line.append(f"  ·  {printable(view.source)} {_place(view)}", style="dim")
    if view.reviewed:
        line.append("   ✓ reviewed", style="green")
    if view.flagged:
        line.append("   ⚑ flagged", style="bold red")
    if view.flagged_by:
        line.append(f"   ⚑ flagged by {printable(', '.join(view.flagged_by))}", style="bold red")
    if view.resplit:
        former = ", ".join(f"'{printable(label)}'" for label in view.resplit)
        line.append(f"   ↻ coded {former} before it was split: code its parts", style="yellow")
    return line


def _place(view: CommentView) -> str:
    """Where the comment is in its file: a sheet's row, or a text file's line (where its row
    ends: a comment over several lines puts it below the row a spreadsheet counts)."""
    workbook = re.search(r"\.xls[xm](\[.*\])?$", view.source, re.IGNORECASE)
    return f"{'row' if workbook else 'line'} {view.row_number}"


LIST_CHARS = 160  # of a comment, in the list (the table crops it to the screen)


def list_cells(view: CommentView, colors: Mapping[str, str]) -> tuple[Text, ...]:
    """A comment as a row of the list: its place, id, state, themes (your codes once you have
    reviewed it, else the suggestions, dimmed) and its text on one line."""
    mark = Text("✓", style="green") if view.reviewed else Text("")
    if view.flagged or view.flagged_by:
        mark.append("⚑", style="bold red")
    if view.resplit:
        mark.append("↻", style="yellow")
    themes = Text()
    for row in (row for row in view.themes if row.on):
        if themes:
            themes.append(", ")
        color = colors.get(row.theme, PALETTE[0])
        themes.append(printable(row.label), style=color if view.reviewed else f"dim {color}")
    flat = " ".join(printable(view.text).split())
    cut = flat if len(flat) <= LIST_CHARS else flat[: LIST_CHARS - 1] + "…"
    return (
        Text(f"{view.position + 1:,}", style="dim"),
        Text(printable(view.external_id)).append(
            f" · {printable(view.question)}" if view.question else "", style="dim"
        ),
        mark,
        themes,
        Text(cut),
    )


def attributes_table(view: CommentView) -> Text:
    """The respondent's other answers (the input's other columns)."""
    if not view.attributes:
        return Text("no other columns", style="dim")
    rows = [
        [Text(printable(str(name)), style="dim"), Text(printable(str(value)))]
        for name, value in view.attributes.items()
    ]
    return columns(rows, gap=2)


def columns(rows: list[list[Text]], gap: int = 1, styles: list[str] | None = None) -> Text:
    """Cells in aligned columns, one line per row (a `Text` is much cheaper for the screen to
    lay out than a rich `Table`, which matters at every keypress)."""
    widths = [max(cell.cell_len for cell in column) for column in zip(*rows, strict=True)]
    lines = []
    for i, row in enumerate(rows):
        line = Text(style=styles[i] if styles else "")
        for j, cell in enumerate(row):
            line.append_text(cell)
            if j < len(row) - 1:
                line.append(" " * (widths[j] - cell.cell_len + gap))
        lines.append(line)
    return Text("\n").join(lines)


def memo_text(view: CommentView) -> Text:
    """Your memo, then those of the others who flagged the comment (`--flagged`)."""
    text = Text(printable(view.memo)) if view.memo else Text("no memo (m to write one)", "dim")
    for name, memo in view.flagged_by.items():
        if memo:
            text.append(f"\n{printable(name)}: ", style="bold").append(printable(memo))
    return text


def coders_table(view: CommentView, codebook: Codebook) -> Text:
    """Adjudicating: each coder's themes for the comment, in codebook order."""
    order = {theme_id: i for i, theme_id in enumerate(codebook.codable_ids)}
    rows = []
    for coder, themes in view.coders.items():
        ordered = sorted(themes, key=lambda t: (order.get(t, len(order)), t))
        labels = ", ".join(_label(codebook, t) for t in ordered) or "no theme"
        rows.append([Text(printable(coder), style="bold"), Text(printable(labels))])
    return columns(rows, gap=2) if rows else Text("no coder", style="dim")


def themes_table(
    view: CommentView,
    codebook: Codebook,
    colors: Mapping[str, str],
    focused: int,
    mode: str,
    width: int = 0,
) -> Text:
    """The listed themes, numbered for their keys: coded or not, what this reviewer did, and
    the score and source (review), or the coders who chose it (adjudicate); blind, neither.
    Each on one line, cut to `width` (where given): a row wrapped onto two would push the
    focused one off the screen."""
    if not view.themes:
        hint = "No themes yet" if mode == "blind" else "No suggestions"
        return Text(f"{hint}: press / to add one, or a to accept the comment uncoded", style="dim")
    rows = []
    for i, row in enumerate(view.themes):
        key = NUMBER_KEYS[i] if i < len(NUMBER_KEYS) else " "
        cells = [
            Text(key, style="bold"),
            Text("[x]" if row.on else "[ ]", style="bold green" if row.on else "dim"),
            Text("■ ", style=colors.get(row.theme, PALETTE[0])).append(
                printable(row.label), style="" if row.on else "dim"
            ),
            Text(_status(row, mode), style="italic dim"),
        ]
        if mode == "review":
            score = "" if row.score is None else f"{row.score:.2f}"
            cells[3:3] = [Text(score), Text(row.source or "")]
        elif mode == "adjudicate":
            cells[3:3] = [Text(printable(", ".join(row.coders))), Text("")]
        rows.append(cells)
    styles = ["reverse" if i == focused else "" for i in range(len(rows))]
    lines = columns(rows, styles=styles).split("\n")
    for line in lines if width > 0 else ():
        line.truncate(width, overflow="ellipsis")
    if len(rows) <= THEMES_SHOWN:
        return Text("\n").join(lines)
    # A long list keeps the focused row in sight, and the panels below it on the screen.
    start = max(0, min(focused - THEMES_SHOWN // 2, len(rows) - THEMES_SHOWN))
    lines = lines[start : start + THEMES_SHOWN]
    above, below = start, len(rows) - start - THEMES_SHOWN
    if above:
        lines.insert(0, Text(f"↑ {above} more (k)", style="dim"))
    if below:
        lines.append(Text(f"↓ {below} more (j, then space codes or uncodes)", style="dim"))
    return Text("\n").join(lines)


def _status(row: ThemeRow, mode: str) -> str:
    if row.decision is not None:
        return _STATUS.get(row.decision, row.decision)
    return "suggested" if row.suggested and mode == "review" else ""


def theme_detail(codebook: Codebook, theme_id: str | None, colors: Mapping[str, str]) -> Text:
    """The focused theme's place in the hierarchy, brief, definition, when to use and not."""
    if theme_id is None:
        return Text("Press / to search the codebook for a theme.", style="dim")
    try:
        theme = codebook.theme(theme_id)
    except KeyError:
        return Text(f"{printable(theme_id)}: not in the codebook", style="dim")
    out = Text()
    path = [_label(codebook, parent) for parent in reversed(codebook.ancestors(theme.id))]
    if path:
        out.append(printable(" › ".join(path)) + " ›\n", style="dim")
    out.append("■ ", style=colors.get(theme.id, PALETTE[0]))
    out.append(printable(theme.label), style="bold")
    out.append(f"  [{theme.id}]", style="cyan")
    if theme.brief:
        out.append(f"\n{printable(theme.brief)}", style="italic")
    if theme.definition:
        out.append(f"\n\n{printable(theme.definition)}")
    _bullets(out, "Use when", theme.include, "green")
    _bullets(out, "Do not use when", theme.exclude, "red")
    return out


def _bullets(out: Text, title: str, items: list[str], color: str) -> None:
    if items:
        out.append(f"\n\n{title}:", style=f"bold {color}")
        for item in items:
            out.append(f"\n • {printable(item)}")


def progress_text(
    progress: Progress, codebook: Codebook, colors: Mapping[str, str], most: int | None = None
) -> Text:
    """Reviewed of total in this session's list, then how many reviewed comments have each
    theme, in codebook order; with `most`, only the `most` themes most used (the panel must
    leave the theme's definition room on the screen), and how many others there are."""
    share = progress.reviewed / progress.total if progress.total else 0.0
    out = Text(
        f"Reviewed {progress.reviewed:,} of {progress.total:,} ({percent(share)})", style="bold"
    )
    used = [t for t in codebook.codable_ids if progress.themes.get(t)]
    kept = set(sorted(used, key=lambda t: -progress.themes[t])[:most] if most else used)
    for theme_id in (t for t in used if t in kept):
        out.append("\n■ ", style=colors.get(theme_id, PALETTE[0]))
        out.append(printable(_label(codebook, theme_id)))
        out.append(f"  {progress.themes[theme_id]:,}", style="bold")
    if len(used) > len(kept):
        others = len(used) - len(kept)
        out.append(f"\n… and {others} other theme{'s' if others != 1 else ''}", style="dim")
    return out


def done_text(progress: Progress) -> Text:
    left = progress.total - progress.reviewed
    out = Text(
        f"End of the list: {progress.reviewed:,} of {progress.total:,} comments reviewed.\n",
        style="bold",
    )
    if left:
        out.append(
            f"{left:,} not reviewed yet (skipped, or passed with n): n goes to the first. ",
            style="bold",
        )
    return out.append("p goes back to the last comment, q quits.", style="bold")


def help_table() -> Group:
    table = Table.grid(padding=(0, 3))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for keys, what in HELP:
        table.add_row(Text(keys), Text(what))
    note = Text("\nEvery decision is saved the moment it is made.", style="dim")
    return Group(Text("Keys", style="bold"), table, note)


def search_themes(codebook: Codebook, query: str) -> list[Theme]:
    """The codable themes whose id, label, parents, brief, definition, use-when lines or the
    ids it replaces hold every word of `query` (case-insensitive): labels that start with it
    first, then labels that hold it, then the rest, each in codebook order."""
    words = query.casefold().split()
    phrase = " ".join(words)
    ranked = []
    for position, theme in enumerate(codebook.codable):
        parents = [_label(codebook, parent) for parent in codebook.ancestors(theme.id)]
        fields = [theme.id, theme.label, theme.brief, theme.definition, *parents, *theme.include]
        fields += theme.replaces  # a reviewer may still think of a merged theme by its old id
        haystack = " ".join(fields).casefold()
        if all(word in haystack for word in words):
            label = theme.label.casefold()
            rank = 0 if label.startswith(phrase) else 1 if phrase in label else 2
            ranked.append((rank, position, theme))
    return [theme for _, _, theme in sorted(ranked, key=lambda r: r[:2])]


def theme_option(codebook: Codebook, theme: Theme, colors: Mapping[str, str]) -> Text:
    """A theme as a line of the search list: colour, parents › label, id, brief."""
    line = Text("■ ", style=colors.get(theme.id, PALETTE[0]))
    for parent in reversed(codebook.ancestors(theme.id)):
        line.append(printable(_label(codebook, parent)) + " › ", style="dim")
    line.append(printable(theme.label), style="bold")
    line.append(f"  [{theme.id}]", style="cyan")
    if theme.brief:
        line.append(f"  {printable(theme.brief)}", style="dim")
    return line


def _label(codebook: Codebook, theme_id: str) -> str:
    try:
        return codebook.theme(theme_id).label
    except KeyError:  # a theme of an older codebook version
        return theme_id
