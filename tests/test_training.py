"""Threshold tuning in training: a threshold tuned on few positives is pulled towards 0.5."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_CODEBOOK

from coder.codebook_io import parse_codebook
from coder.errors import InputError
from coder.training import THRESHOLD_SHRINK, _tune, train


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


TEXTS = ["No time to do it properly.", "The budget was cut.", "Box-ticking again.", "Lovely."] * 3
CODES = [["time"], ["cost"], ["box_ticking"], []] * 3


@pytest.mark.parametrize(
    ("texts", "codes", "message"),
    [
        (TEXTS, [*CODES, ["time"]] * 2, "texts and codes differ in length: 12 texts, 26 lists"),
        (TEXTS, CODES[:5], "texts and codes differ in length: 12 texts, 5 lists of codes"),
        (TEXTS, ["time", "", "", ""] * 3, "codes[0] is 'time': give each comment a list of"),
        ("No time.", [["time"]], "texts and codes are lists"),
        (TEXTS, [["tme"], [], [], []] * 3, "unknown theme 'tme' (did you mean 'time'?)"),
        ([b"x", *TEXTS[1:]], CODES, "a comment must be text, not bytes"),
    ],
)
def test_train_refuses_what_a_notebook_gets_wrong(
    texts: object, codes: object, message: str
) -> None:
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    with pytest.raises(InputError, match=re.escape(message)):
        train(book, texts, codes, folds=2)  # type: ignore[arg-type]


def test_train_takes_labels_and_none_as_a_labelled_file_does(tmp_path: Path) -> None:
    book = tmp_path / "tiny.yaml"
    book.write_text(TINY_CODEBOOK, encoding="utf-8")
    by_label = [["Time"], ["COST"], ["Box-ticking"], ["none"]] * 3
    model = train(book, TEXTS, by_label, folds=2)  # a codebook file as well as a Codebook
    assert model.meta["trained_on"]["labelled"] == 12
    assert model.decision.at_least_one is False  # "none" is no theme, not an unknown one
