"""Scoring a model's codes against codes assigned by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coder.metrics import report, to_matrix
from coder.model import ThemeModel


def evaluate(
    model: ThemeModel, texts: Sequence[str], gold: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Per-theme precision, recall, F1 and support, with micro and macro averages."""
    predicted = [result.codes for result in model.tag(texts)]
    ids = model.theme_ids
    return report(to_matrix(gold, ids), to_matrix(predicted, ids), ids)
