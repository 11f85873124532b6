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
    keys = ("precision", "recall", "f1")
    per_theme, supports = [], []
    for j in range(len(theme_ids)):
        g, p = gold[:, j], predicted[:, j]
        per_theme.append(_prf(float(np.sum(g & p)), float(np.sum(~g & p)), float(np.sum(g & ~p))))
        supports.append(int(np.sum(g)))
    tp = float(np.sum(gold & predicted))
    micro = _prf(tp, float(np.sum(~gold & predicted)), float(np.sum(gold & ~predicted)))
    present = [figures for figures, n in zip(per_theme, supports, strict=True) if n > 0]
    macro = tuple(float(np.mean(column)) for column in zip(*present, strict=True)) or (0.0,) * 3

    def rounded(values: tuple[float, ...]) -> dict[str, float]:
        return {k: round(v, 4) for k, v in zip(keys, values, strict=True)}

    themes = {
        theme: {**rounded(figures), "support": n}
        for theme, figures, n in zip(theme_ids, per_theme, supports, strict=True)
    }
    return {
        "micro": rounded(micro),
        "macro": rounded(macro),
        "themes": themes,
        "n": int(gold.shape[0]),
    }
