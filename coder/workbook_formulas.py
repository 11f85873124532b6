"""Formula cells in a workbook whose result was never saved.

Excel saves each formula's last result beside it, and that is what a reader gets. A workbook
written by a script (openpyxl, pandas) and never opened in a spreadsheet program holds the
formulas alone, and such a script stores any text starting with `=` as a formula: a comment
"=== NO ===" or "= just a meeting" is one. Read for values, each such cell looks empty, and
the comment would be lost without a word. openpyxl cannot tell such a cell from an empty one,
so this reads the sheet's XML itself, for the formula's text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import IO, Any

_CHUNK = 1 << 20
_FORMULA_TAGS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/")  # with or without a prefix


def uncached_formulas(sheet: Any) -> list[tuple[str, str]]:
    """(coordinate, text) of each cell of an openpyxl read-only `sheet` that holds a formula
    with no saved result, in sheet order: ('B7', '=== NO ===')."""
    with sheet.parent._archive.open(sheet._worksheet_path) as source:
        if not _has_formulas(source):  # most exports have none: skip the slower parse
            return []
    with sheet.parent._archive.open(sheet._worksheet_path) as source:
        return _unsaved(source)


def _has_formulas(source: IO[bytes]) -> bool:
    tail = b""
    while chunk := source.read(_CHUNK):
        window = tail + chunk
        if any(tag in window for tag in _FORMULA_TAGS):
            return True
        tail = window[-3:]  # a tag cut across two chunks
    return False


def _unsaved(source: IO[bytes]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for _, element in ET.iterparse(source, events=("end",)):
        name = _local(element.tag)
        if name == "c":
            parts = {_local(child.tag): child for child in element}
            value = parts.get("v")
            saved = (value is not None and value.text) or "is" in parts
            if "f" in parts and not saved:
                found.append((element.get("r") or "", "=" + (parts["f"].text or "")))
            element.clear()
        elif name == "row":
            element.clear()
    return found


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
