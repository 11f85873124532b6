"""A discussion sheet: the comments coders differ on, as a CSV to settle at a meeting and bring
back as an adjudication (`coder import PROJECT SHEET --adjudicate --reviewer NAME`).

A row per comment (CSV, or an Excel workbook for a `.xlsx` name): its id and text, each coder's
themes (`coded by NAME`), the themes all of
them chose (`agreed`), and `codes`, the final coding to fill in (theme ids or labels, `;`
between, `none` where no theme applies). A comment adjudicated already has its adjudicated
coding there; a row left empty is not settled yet, and the import leaves it out.
"""

from __future__ import annotations

from pathlib import Path

from coder.agree import ProjectDisagreements
from coder.table_out import open_rows

CODER_COLUMN = "coded by {}"


def discussion_columns(coders: tuple[str, ...]) -> list[str]:
    return ["id", "text", *(CODER_COLUMN.format(c) for c in coders), "agreed", "codes"]


def write_discussion_sheet(
    found: ProjectDisagreements, path: str | Path, force: bool = False, excel: bool = False
) -> int:
    """Write the disagreements to `path` (`-`: stdout; a workbook for a `.xlsx` name); returns
    the rows written."""
    with open_rows(path, force, excel) as table:
        table.write(discussion_columns(found.coders))
        for item in found.found:
            given = [item.codes[coder] for coder in found.coders]
            agreed = [t for t in given[0] if all(t in codes for codes in given[1:])]
            settled = found.adjudicated.get(item.comment)
            final = "" if settled is None else ";".join(settled) or "none"
            cells = [item.comment, found.texts[item.comment]]
            table.write(cells, [*(";".join(c) for c in given), ";".join(agreed), final])
    return len(found.found)
