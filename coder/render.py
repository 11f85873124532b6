"""Rich renderings for the terminal. Text from codebooks and comments is never read as markup."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from coder.codebook import Codebook, Theme
from coder.console import printable


def _theme_line(theme: Theme) -> Text:
    line = Text()
    line.append("■ ", style=theme.color or "dim")
    line.append(theme.label, style="bold" if not theme.codable else "")
    line.append(f"  [{theme.id}]", style="cyan")
    if not theme.codable:
        line.append("  (group, not codable)", style="dim italic")
    if theme.replaces:
        line.append(f"  (replaces {', '.join(theme.replaces)})", style="dim italic")
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


def metrics_table(result: dict[str, Any], codebook: Codebook, title: str) -> Table:
    """Per-theme precision, recall, F1 and support, then the micro and macro averages."""
    table = Table(title=title, title_justify="left")
    table.add_column("theme")
    for name in ("precision", "recall", "F1", "support"):
        table.add_column(name, justify="right")
    for theme_id, m in result["themes"].items():
        table.add_row(
            Text(printable(codebook.theme(theme_id).label)),
            f"{m['precision']:.2f}",
            f"{m['recall']:.2f}",
            f"{m['f1']:.2f}",
            str(m["support"]),
        )
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
