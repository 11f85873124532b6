"""Precision, recall and F1 per theme and averaged, for multi-label coding."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    per_theme, supports, coded = [], [], []
    for j in range(len(theme_ids)):
        g, p = gold[:, j], predicted[:, j]
        per_theme.append(_prf(float(np.sum(g & p)), float(np.sum(~g & p)), float(np.sum(g & ~p))))
        supports.append(int(np.sum(g)))
        coded.append(int(np.sum(p)))
    tp = float(np.sum(gold & predicted))
    micro = _prf(tp, float(np.sum(~gold & predicted)), float(np.sum(gold & ~predicted)))
    present = [figures for figures, n in zip(per_theme, supports, strict=True) if n > 0]
    macro = tuple(float(np.mean(column)) for column in zip(*present, strict=True)) or (0.0,) * 3

    def rounded(values: tuple[float, ...]) -> dict[str, float]:
        return {k: round(v, 4) for k, v in zip(keys, values, strict=True)}

    themes = {  # precision is 0/0 for a theme never predicted, recall for one never in gold
        theme: {**rounded(figures), "support": n, "predicted": k}
        for theme, figures, n, k in zip(theme_ids, per_theme, supports, coded, strict=True)
    }
    return {
        "micro": rounded(micro),
        "macro": rounded(macro),
        "themes": themes,
        "n": int(gold.shape[0]),
    }


# Bootstrap: resample the comments with replacement this many times; the middle `level` share
# of the resampled F1s is the interval. Seeded, so the same figures give the same interval.
BOOTSTRAP_ROUNDS = 1000
BOOTSTRAP_LEVEL = 0.95
_CELLS_PER_CHUNK = 1_000_000  # resample cells held at once: ~30 MB of work, whatever the file size


def resampled_f1(
    gold: np.ndarray, predicted: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(micro-F1, macro-F1) of each of `rounds` bootstrap resamples of the comments (rows).

    A resample is a count per comment (how often it was drawn), so each theme's true
    positives, false alarms and misses are one matrix product. Macro-F1 is over the themes
    present in that resample's gold coding, as in `report`. The same seed draws the same
    resamples for any coding of the same comments, so two codings compared under one seed are
    compared on the same resamples.
    """
    blocks = [(gold & predicted), (~gold & predicted), (gold & ~predicted)]
    blocks = [block.astype(np.float32) for block in blocks]
    micro, macro = [], []
    for weights in _resamples(gold.shape[0], rounds, seed):
        tp, fp, fn = (weights @ block for block in blocks)
        micro.append(f1_from_counts(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)))
        present = (tp + fn) > 0  # an absent theme has no true positive: its F1 adds 0
        with np.errstate(invalid="ignore"):
            macro.append(f1_from_counts(tp, fp, fn).sum(axis=1) / present.sum(axis=1))
    return np.concatenate(micro), np.nan_to_num(np.concatenate(macro))


def interval(values: np.ndarray, level: float = BOOTSTRAP_LEVEL) -> list[float]:
    """[low, high]: the middle `level` share of resampled values (percentile bootstrap)."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return [round(float(low), 4), round(float(high), 4)]


def f1_intervals(
    gold: np.ndarray, predicted: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> dict[str, Any]:
    """Bootstrap intervals of micro- and macro-F1: how much the figures could move on another
    set of comments like these (see `resampled_f1`)."""
    micro, macro = resampled_f1(gold, predicted, rounds, seed)
    return {
        "level": BOOTSTRAP_LEVEL,
        "rounds": rounds,
        "micro_f1": interval(micro),
        "macro_f1": interval(macro),
    }


def _resamples(n: int, rounds: int, seed: int) -> Iterator[np.ndarray]:
    """Bootstrap resamples of n rows, as draw counts per row (float32), a chunk at a time."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    for start in range(0, rounds, chunk):
        size = min(chunk, rounds - start)
        drawn = rng.integers(0, n, size=(size, n)) if n else np.zeros((size, 0), dtype=int)
        offsets = (np.arange(size) * n)[:, None]
        counts = np.bincount((drawn + offsets).ravel(), minlength=size * n)
        yield counts.reshape(size, n).astype(np.float32)


def f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """F1 = 2tp / (2tp + fp + fn), elementwise; 0 where there is nothing to score."""
    total = 2 * tp + fp + fn
    return np.divide(2 * tp, total, out=np.zeros_like(total, dtype=np.float64), where=total > 0)
