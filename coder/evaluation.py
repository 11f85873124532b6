"""Scoring a model's codes against codes assigned by hand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coder.metrics import f1_intervals, report, to_matrix
from coder.model import ThemeModel


def evaluate(
    model: ThemeModel, texts: Sequence[str], gold: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Per-theme precision, recall, F1 and support, with micro and macro averages and their
    bootstrap intervals (`intervals`: how far the averages could move on other comments like
    these, which on a few hundred comments is further than most differences between models)."""
    predicted = [result.codes for result in model.tag(texts)]
    ids = model.theme_ids
    gold_matrix, coded = to_matrix(gold, ids), to_matrix(predicted, ids)
    return {**report(gold_matrix, coded, ids), "intervals": f1_intervals(gold_matrix, coded)}
