"""Agreement figures as a table for a report or a spreadsheet (`coder agree -o FILE`): CSV, or
an Excel workbook for a name ending in `.xlsx` (`coder.table_out`).

A row per theme: its id and label, the comments compared, how many each coder gave it, percent
agreement, Cohen's kappa (two coders), Fleiss' kappa, Krippendorff's alpha, Gwet's AC1, alpha's
band and a note where a figure is undefined. Then the mean of the themes used, and the whole
sets of themes: the share of comments coded exactly alike (as percent agreement) and
Krippendorff's alpha with the MASI distance (as alpha).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coder.agreement import FIGURES, AgreementResult, band
from coder.codebook import Codebook
from coder.table_out import open_rows

MEAN_ROW = "(mean of the themes used)"
SETS_ROW = "(sets of themes, MASI)"


def write_agreement_table(
    result: AgreementResult,
    book: Codebook,
    path: str | Path,
    force: bool = False,
    excel: bool = False,
) -> int:
    """Write the per-theme agreement to `path`; returns the rows written."""
    shown = [name for name in FIGURES if len(result.coders) == 2 or name != "cohen_kappa"]
    counted = [f"{coder}: coded" for coder in result.coders]
    with open_rows(path, force, excel) as table:
        table.write(["theme", "label", "comments", *counted, *shown, "band", "note"])
        for theme in result.themes:
            figures = [_rounded(getattr(theme, name)) for name in shown]
            counts = [theme.counts.get(coder, 0) for coder in result.coders]
            made = [theme.n, *counts, *figures, theme.band or "", theme.note or ""]
            table.write([theme.theme, book.theme(theme.theme).label], made)
        blank = [""] * len(result.coders)
        means = [_rounded(result.mean[name]) for name in shown]
        table.write(["", MEAN_ROW], [result.n, *blank, *means, "", ""])
        sets = ["" if name != "alpha" else _rounded(result.masi_alpha) for name in shown]
        sets[0] = _rounded(result.exact_agreement)
        masi_band = band(result.masi_alpha) or ""
        table.write(["", SETS_ROW], [result.n, *blank, *sets, masi_band, result.masi_note or ""])
    return len(result.themes) + 2


def _rounded(value: float | None) -> Any:
    return "" if value is None else round(value, 4)
