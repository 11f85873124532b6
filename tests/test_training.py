"""Threshold tuning in training: a threshold tuned on few positives is pulled towards 0.5."""

from __future__ import annotations

import numpy as np
import pytest

from coder.training import THRESHOLD_SHRINK, _tune


def _separable(positives: int, negatives: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores where any threshold in (0.85, 0.95] separates the classes perfectly."""
    labels = np.array([1] * positives + [0] * negatives)
    scores = np.where(labels == 1, 0.95, 0.85)
    return scores, labels


def test_threshold_is_pulled_towards_half_by_how_few_positives_tuned_it() -> None:
    rare, rare_gold = _separable(3, 297)
    common, common_gold = _separable(150, 150)
    oof = np.stack([rare, common], axis=1).astype(np.float32)
    labels = np.stack([rare_gold, common_gold], axis=1)
    decision = _tune(oof, labels, np.zeros_like(labels, dtype=bool), ["rare", "common"], False)
    # Both tune to 0.875, the separating grid threshold nearest 0.5, and are then pulled.
    assert decision.thresholds["rare"] == pytest.approx(
        (3 * 0.875 + THRESHOLD_SHRINK * 0.5) / (3 + THRESHOLD_SHRINK), abs=1e-4
    )
    assert decision.thresholds["common"] == pytest.approx(
        (150 * 0.875 + THRESHOLD_SHRINK * 0.5) / (150 + THRESHOLD_SHRINK), abs=1e-4
    )
    assert 0.5 < decision.thresholds["rare"] < decision.thresholds["common"] < 0.875
