"""Precision, recall and F1 per theme and averaged, for multi-label coding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def to_matrix(code_sets: Sequence[Sequence[str]], theme_ids: Sequence[str]) -> np.ndarray:
    """A 0/1 matrix (comments x themes) from lists of theme ids."""
    column = {theme: j for j, theme in enumerate(theme_ids)}
    matrix = np.zeros((len(code_sets), len(theme_ids)), dtype=bool)
    for i, codes in enumerate(code_sets):
        for code in codes:
            matrix[i, column[code]] = True
    return matrix


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def f1_score(gold: np.ndarray, predicted: np.ndarray) -> float:
    """F1 of one theme's 0/1 column (or micro-F1 of a whole matrix)."""
    tp = float(np.sum(gold & predicted))
    return _prf(tp, float(np.sum(~gold & predicted)), float(np.sum(gold & ~predicted)))[2]


def report(gold: np.ndarray, predicted: np.ndarray, theme_ids: Sequence[str]) -> dict[str, Any]:
    """Per-theme precision, recall, F1 and support; micro and macro averages; n comments.

    The macro average is over the themes present in the gold coding (support > 0), so a theme
    nobody used neither helps nor hurts it.
    """
    themes: dict[str, dict[str, float]] = {}
    for j, theme in enumerate(theme_ids):
        g, p = gold[:, j], predicted[:, j]
        tp, fp, fn = float(np.sum(g & p)), float(np.sum(~g & p)), float(np.sum(g & ~p))
        precision, recall, f1 = _prf(tp, fp, fn)
        themes[theme] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": int(np.sum(g)),
        }
    tp = float(np.sum(gold & predicted))
    micro = _prf(tp, float(np.sum(~gold & predicted)), float(np.sum(gold & ~predicted)))
    present = [m for m in themes.values() if m["support"] > 0]
    macro = [
        float(np.mean([m[k] for m in present])) if present else 0.0
        for k in ("precision", "recall", "f1")
    ]
    keys = ("precision", "recall", "f1")
    return {
        "micro": {k: round(v, 4) for k, v in zip(keys, micro, strict=True)},
        "macro": {k: round(v, 4) for k, v in zip(keys, macro, strict=True)},
        "themes": themes,
        "n": int(gold.shape[0]),
    }
