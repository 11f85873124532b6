"""Bootstrap intervals of micro- and macro-F1: each resample scored as `report` scores it."""

from __future__ import annotations

import numpy as np
import pytest

from coder import metrics
from coder.metrics import f1_intervals, interval, report, resampled_f1

IDS = ["a", "b", "c", "d"]


def coding(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gold codes with a rare theme ('d') and a coding that gets about one in ten cells wrong."""
    rng = np.random.default_rng(seed)
    gold = rng.random((rows, len(IDS))) < [0.4, 0.2, 0.1, 0.02]
    wrong = rng.random(gold.shape) < 0.1
    return gold, gold ^ wrong


def test_each_resample_scores_as_report_scores_the_resampled_comments() -> None:
    gold, predicted = coding(60, seed=1)
    micro, macro = resampled_f1(gold, predicted, rounds=5, seed=3)
    for k, weights in enumerate(next(metrics._resamples(60, 5, seed=3))):
        rows = np.repeat(np.arange(60), weights.astype(int))
        assert len(rows) == 60
        again = report(gold[rows], predicted[rows], IDS)
        assert micro[k] == pytest.approx(again["micro"]["f1"], abs=5e-5)
        # macro over the themes present in this resample: the rare theme may be missing
        assert macro[k] == pytest.approx(again["macro"]["f1"], abs=5e-5)


def test_a_perfect_coding_has_no_spread() -> None:
    gold, _ = coding(50, seed=2)
    assert f1_intervals(gold, gold, rounds=200) == {
        "level": 0.95,
        "rounds": 200,
        "micro_f1": [1.0, 1.0],
        "macro_f1": [1.0, 1.0],
    }


def test_the_interval_holds_the_figure_and_narrows_with_more_comments() -> None:
    few, many = coding(200, seed=4), coding(3200, seed=4)
    widths = []
    for gold, predicted in (few, many):
        found = f1_intervals(gold, predicted)
        point = report(gold, predicted, IDS)["micro"]["f1"]
        low, high = found["micro_f1"]
        assert low < point < high
        widths.append(high - low)
    # sixteen times the comments: about a quarter of the width
    assert 0.15 < widths[1] / widths[0] < 0.4


def test_resamples_do_not_depend_on_how_many_are_held_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gold, predicted = coding(40, seed=5)
    whole = resampled_f1(gold, predicted, rounds=10, seed=7)
    monkeypatch.setattr(metrics, "_CELLS_PER_CHUNK", 40 * 3)  # chunks of 3, 3, 3 and 1
    chunked = resampled_f1(gold, predicted, rounds=10, seed=7)
    assert np.array_equal(whole[0], chunked[0]) and np.array_equal(whole[1], chunked[1])


def test_the_same_seed_gives_the_same_interval_and_another_seed_another() -> None:
    gold, predicted = coding(300, seed=6)
    assert f1_intervals(gold, predicted, seed=0) == f1_intervals(gold, predicted, seed=0)
    assert f1_intervals(gold, predicted, seed=0) != f1_intervals(gold, predicted, seed=1)


def test_interval_is_the_middle_share_of_the_values() -> None:
    values = np.arange(1001) / 1000  # 0.000 ... 1.000
    assert interval(values) == [0.025, 0.975]
    assert interval(values, level=0.5) == [0.25, 0.75]


def test_a_theme_neither_coded_nor_predicted_shows_no_figures() -> None:
    from rich.console import Console

    from coder.codebook_io import parse_codebook
    from coder.render import metrics_table
    from tests.conftest import TINY_CODEBOOK

    gold = np.array([[1, 0, 0], [0, 0, 0]], dtype=bool)
    predicted = np.array([[1, 0, 1], [0, 0, 0]], dtype=bool)
    result = report(gold, predicted, ["time", "cost", "box_ticking"])
    assert result["themes"]["cost"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "predicted": 0,
    }
    console = Console(width=100, record=True)
    console.print(metrics_table(result, parse_codebook(TINY_CODEBOOK, "t.yaml"), "x"))
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:6]]
        for line in console.export_text().splitlines()
        if line.startswith("│")
    }
    assert rows["Cost"] == ["—", "—", "—", "0"]  # 0/0 everywhere
    assert rows["Box-ticking"] == ["0.00", "—", "0.00", "0"]  # a false alarm; recall 0/0
    assert rows["Time"] == ["1.00", "1.00", "1.00", "1"]
