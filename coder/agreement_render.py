"""Rich tables for agreement between coders. Comment text and labels are never read as markup."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.table import Table
from rich.text import Text

from coder.agreement import FIGURES, AgreementResult, Disagreement, band
from coder.codebook import Codebook
from coder.console import percent, printable

_HEADERS = {
    "percent_agreement": "agree",
    "cohen_kappa": "Cohen κ",
    "fleiss_kappa": "Fleiss κ",
    "alpha": "alpha",
    "ac1": "AC1",
}
_BAND_STYLE = {"reliable": "green", "tentative": "yellow", "revise the definition": "red"}


def _figure(value: float | None, name: str = "") -> str:
    if value is None:
        return "—"
    if name == "percent_agreement":
        return percent(value)
    if 0.995 <= value < 1:  # would show as a perfect 1.00
        finer = f"{value:.3f}"
        return finer if finer != "1.000" else ">0.999"
    return f"{value:.2f}"


def _band(alpha: float | None, note: str | None = None) -> Text:
    reading = band(alpha)
    if reading is None:
        return Text(note or "undefined", style="dim")
    return Text(reading, style=_BAND_STYLE[reading])


def agreement_table(result: AgreementResult, codebook: Codebook) -> Table:
    """Per-theme agreement with alpha's band, the means, and the overall MASI alpha below."""
    shown = [n for n in FIGURES if len(result.coders) == 2 or n != "cohen_kappa"]
    table = Table(title=Text(f"Agreement: {', '.join(result.coders)}"), title_justify="left")
    table.add_column("theme")
    for name in shown:
        table.add_column(_HEADERS[name], justify="right")
    table.add_column("band")
    for theme in result.themes:
        figures = [_figure(getattr(theme, name), name) for name in shown]
        label = Text(printable(codebook.theme(theme.theme).label))
        table.add_row(label, *figures, _band(theme.alpha, theme.note))
    table.add_section()
    means = [_figure(result.mean[name], name) for name in shown]
    table.add_row(Text("mean of the themes used", style="bold"), *means, "")
    masi = _figure(result.masi_alpha)
    reading = f" ({band(result.masi_alpha) or result.masi_note})"
    blank = result.blank_left_out
    left = f" ({blank} with no text left out)" if blank else ""
    table.caption = Text(
        f"{result.n} comments coded by every coder{left}, {percent(result.exact_agreement)} "
        f"with the same themes; MASI alpha over the sets of themes: {masi}{reading}"
    )
    return table


def disagreements_table(
    found: Sequence[Disagreement], codebook: Codebook, texts: Mapping[str, str] | None = None
) -> Table:
    """A row per comment coded differently: its id, its text if given, each coder's themes."""
    table = Table(title=f"{len(found)} comments coded differently", title_justify="left")
    table.add_column("comment")
    if texts is not None:
        table.add_column("text", ratio=2)
    coders = list(found[0].codes) if found else []
    for coder in coders:
        table.add_column(Text(printable(coder)))
    for item in found:
        cells = [Text(printable(item.comment))]
        if texts is not None:
            cells.append(Text(printable(texts.get(item.comment, ""))))
        labels = (", ".join(codebook.theme(t).label for t in item.codes[c]) or "—" for c in coders)
        cells.extend(Text(printable(label)) for label in labels)
        table.add_row(*cells)
    return table
