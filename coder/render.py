"""Rich renderings for the terminal. Text from codebooks and comments is never read as markup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from coder.codebook import Codebook, Theme
from coder.console import percent, printable

if TYPE_CHECKING:
    from coder.coding_import import ImportResult
    from coder.discovery import Group, Leftovers
    from coder.runs import RunSummary
    from coder.store import ImportRecord

QUOTE_CHARS = 200  # a group's example comments are cut after this many characters


def _theme_line(theme: Theme) -> Text:
    line = Text()
    line.append("■ ", style=theme.color or "dim")
    line.append(theme.label, style="bold" if not theme.codable else "")
    line.append(f"  [{theme.id}]", style="cyan")
    if not theme.codable:
        line.append("  (group, not codable)", style="dim italic")
    if theme.replaces:
        line.append(f"  (replaces {', '.join(theme.replaces)})", style="dim italic")
    if theme.split_from:
        line.append(f"  (split from {', '.join(theme.split_from)})", style="dim italic")
    if theme.brief:
        line.append(f"\n{theme.brief}", style="dim")
    return line


def codebook_tree(codebook: Codebook) -> Tree:
    """The theme hierarchy as a tree, with ids, colours and brief definitions."""
    title = Text(f"{codebook.name}  v{codebook.version}", style="bold")
    title.append(f"  {len(codebook.codable)} codable of {len(codebook.themes)} themes", style="dim")
    root = Tree(title)

    def add(branch: Tree, parent: str | None) -> None:
        for theme in codebook.children(parent):
            add(branch.add(_theme_line(theme)), theme.id)

    add(root, None)
    return root


def theme_figures(m: dict[str, Any]) -> list[str]:
    """A theme's precision, recall and F1 as shown: '—' where one is 0/0 (precision of a theme
    never predicted, recall of one never in the gold codes), not a misleading 0.00."""
    predicted, support = m.get("predicted", 1), m.get("support", 1)  # an average: both
    return [
        f"{m['precision']:.2f}" if predicted else "—",
        f"{m['recall']:.2f}" if support else "—",
        f"{m['f1']:.2f}" if predicted or support else "—",
    ]


def metrics_table(result: dict[str, Any], codebook: Codebook, title: str) -> Table:
    """Per-theme precision, recall, F1 and support, then the micro and macro averages."""
    table = Table(title=title, title_justify="left")
    table.add_column("theme")
    for name in ("precision", "recall", "F1", "support"):
        table.add_column(name, justify="right")
    for theme_id, m in result["themes"].items():
        label = Text(printable(codebook.theme(theme_id).label))
        table.add_row(label, *theme_figures(m), str(m["support"]))
    table.add_section()
    for average in ("micro", "macro"):
        m = result[average]
        label = Text(f"{average} average", style="bold")
        table.add_row(label, f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}", "")
    table.caption = f"{result['n']} comments"
    spread = result.get("intervals")
    if spread:
        share = f"{spread['level']:.0%}"
        low_high = {k: "-".join(f"{v:.2f}" for v in spread[f"{k}_f1"]) for k in ("micro", "macro")}
        table.caption += (
            f"; {share} bootstrap interval of F1: micro {low_high['micro']}, "
            f"macro {low_high['macro']}"
        )
    return table


def runs_table(summaries: Sequence[RunSummary]) -> Table:
    """A project's runs, oldest first: model, codebook, when, what each scored and shows."""
    table = Table(title="Runs", title_justify="left")
    for name in ("run", "model", "codebook", "created", "scored", "shown", "state"):
        table.add_column(name, justify="right" if name in ("run", "scored", "shown") else "left")
    for summary in summaries:
        run = summary.run
        state = (
            "in use" if summary.withdrawn_at is None else f"withdrawn {_when(summary.withdrawn_at)}"
        )
        table.add_row(
            str(run.id),
            Text(printable(run.model)),
            Text(printable(summary.codebook)),
            _when(run.created_at),
            str(summary.scored),
            str(summary.shown),
            state if summary.withdrawn_at is None else Text(state, style="dim"),
        )
    table.caption = "shown: the comments whose suggestions are the run's now (their latest in use)"
    return table


def import_table(result: ImportResult) -> Table:
    """Per coder: the comments the file codes, and which of them the import changes."""
    what, who = ("Adjudication", "adjudicator") if result.adjudication else ("Coding", "coder")
    table = Table(title=f"{what} in {printable(result.source)}", title_justify="left")
    for name in (who, "comments", "new", "changed", "unchanged"):
        table.add_column(name, justify="left" if name == who else "right")
    for coder in result.coders:
        counts = (coder.comments, coder.new, coder.changed, coder.unchanged)
        table.add_row(Text(printable(coder.coder)), *(str(n) for n in counts))
    table.caption = (
        "new: comments not adjudicated before; changed: adjudicated before, with other themes"
        if result.adjudication
        else "new: comments the coder had not reviewed; changed: reviewed before, with other themes"
    )
    return table


def imports_table(records: Sequence[ImportRecord]) -> Table:
    """The project's imports of coding, oldest first: who, when, which file, what became of it."""
    table = Table(title="Imports of coding", title_justify="left")
    for name in ("session", "when", "reviewer", "of", "file", "sha256", "comments", "state"):
        table.add_column(name, justify="right" if name in ("session", "comments") else "left")
    for record in records:
        settings = record.settings
        reviewer = printable(record.reviewer)
        if settings.get("user"):
            reviewer += f" (user {printable(str(settings['user']))})"
        table.add_row(
            str(record.session_id),
            _when(record.started_at),
            Text(reviewer),
            "adjudication" if record.adjudication else "coding",
            Text(printable(str(settings.get("file", "")))),
            str(settings.get("sha256", ""))[:12],
            str(record.comments),
            Text("taken back", style="dim") if record.taken_back else "recorded",
        )
    if not records:
        table.caption = "none yet: `coder import PROJECT FILE --reviewer NAME` brings coding in"
    return table


def _when(stamp: str) -> str:
    """An ISO time to the minute: '2026-11-27T09:40:55.766+00:00' -> '2026-11-27 09:40'."""
    return stamp[:16].replace("T", " ")


def groups_renderables(groups: Sequence[Group], found: Leftovers) -> list[Text]:
    """Each group: its size, its distinctive words, and the comments nearest its centre."""
    which = "comments" if found.every else "comments with no theme"
    blank = f" ({found.blank} blank left out)" if found.blank else ""
    head = Text(
        f"{len(found.texts)} {which} of {found.total}{blank}, in {len(groups)} groups of similar "
        "comments (k-means on their sentence embeddings; --groups N for more or fewer). A group "
        "is a lead to read, not a theme.",
        style="dim",
    )
    out = [head]
    for number, group in enumerate(groups, start=1):
        share = percent(group.size / len(found.texts))
        line = Text(f"Group {number}: {group.size} comments ({share})", style="bold")
        line.append("  " + printable(", ".join(group.words) or "(no word stands out)"))
        out.append(line)
        for i in group.examples:
            text = " ".join(found.texts[i].split())
            cut = text[:QUOTE_CHARS] + ("…" if len(text) > QUOTE_CHARS else "")
            out.append(Text(f"  “{printable(cut)}”  ({printable(found.names[i])})"))
    return out
