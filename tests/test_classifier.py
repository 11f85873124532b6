"""The theme classifier: fitting it repeatably, and averaging cross-validation's fold models into
the model that is kept."""

from __future__ import annotations

import multiprocessing
import sys
import threading

import numpy as np
import pytest
from conftest import TINY_CODEBOOK, TINY_LABELLED

from coder import classifier
from coder.classifier import ThemeClassifier
from coder.codebook_io import parse_codebook
from coder.features import Featurizer
from coder.metrics import to_matrix
from coder.nlp import build_pipeline
from coder.training import Settings, _features, _out_of_fold, train

THEME_IDS = ["time", "cost", "box_ticking"]
TEXTS = [text for _, text, _ in TINY_LABELLED]
LABELS = to_matrix([[c for c in cell.split(";") if c] for _, _, cell in TINY_LABELLED], THEME_IDS)


@pytest.fixture(scope="module")
def counts():
    nlp = build_pipeline(parse_codebook(TINY_CODEBOOK, "tiny.yaml"))
    return Featurizer().transform(list(nlp.pipe(TEXTS)))


def logits(model: ThemeClassifier, counts) -> np.ndarray:
    p = model.predict_proba(counts).astype(np.float64)
    return np.log(p / (1 - p))


def fit(rows: np.ndarray, counts) -> ThemeClassifier:
    return ThemeClassifier(C=4.0, min_df=1).fit(counts[rows], LABELS[rows])


def test_averaging_copies_of_one_model_gives_that_model(counts) -> None:
    everything = np.arange(len(TEXTS))
    model = fit(everything, counts)
    merged = ThemeClassifier.averaged([model, model, model], counts)
    assert np.array_equal(merged.columns_, model.columns_)
    assert np.allclose(merged.coef_, model.coef_, atol=1e-6)
    assert np.allclose(logits(merged, counts), logits(model, counts), atol=1e-4)


def test_averaging_models_on_the_same_rows_averages_their_logits(counts) -> None:
    everything = np.arange(len(TEXTS))
    models = [ThemeClassifier(C=c, min_df=1).fit(counts, LABELS) for c in (0.5, 4.0, 32.0)]
    merged = ThemeClassifier.averaged(models, counts[everything])
    expected = np.mean([logits(m, counts) for m in models], axis=0)
    assert np.allclose(logits(merged, counts), expected, atol=1e-4)
    assert not np.allclose(logits(merged, counts), logits(models[1], counts), atol=0.05)


def test_a_word_one_model_saw_keeps_its_weight_there_over_the_models(counts) -> None:
    models = [fit(rows, counts) for rows in (np.arange(0, 6), np.arange(6, 12))]
    merged = ThemeClassifier.averaged(models, counts)
    assert set(merged.columns_) == set(np.concatenate([m.columns_ for m in models]))
    assert np.allclose(merged.intercept_, np.mean([m.intercept_ for m in models], axis=0))
    only_first = np.setdiff1d(models[0].columns_, models[1].columns_)
    assert len(only_first) > 10
    own = np.searchsorted(models[0].columns_, only_first)
    there = np.searchsorted(merged.columns_, only_first)
    # weight x IDF is what a feature counts for: half the first model's, the other's zero
    assert np.allclose(
        merged.coef_[:, there] * merged.idf_[there],
        models[0].coef_[:, own] * models[0].idf_[own] / 2,
        atol=1e-6,
    )


def test_a_fold_model_drops_its_feature_lookup_and_predicts_the_same_without_it(counts) -> None:
    model = fit(np.arange(len(TEXTS)), counts)
    before = model.predict_proba(counts)
    lookup = model._lookup.nbytes
    assert lookup == 4 * counts.shape[1]  # 16 MB per model at the shipped feature space
    model.drop_lookup()
    assert model._lookup is None
    assert np.array_equal(model.predict_proba(counts), before)


def test_train_keeps_the_averaged_fold_models_of_the_chosen_settings() -> None:
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    codes = [[c for c in cell.split(";") if c] for _, _, cell in TINY_LABELLED]
    settings = Settings(C=4.0, char_weight=0.5, dense_weight=0.0)
    kept = train(book, TEXTS, codes, folds=3, candidates=(settings,)).scorer.classifier
    data, _ = _features(build_pipeline(book), Featurizer(), book, TEXTS, codes)
    _, fold_models = _out_of_fold(data, settings, folds=3, seed=0, min_df=1)
    assert np.array_equal(kept.coef_, ThemeClassifier.averaged(fold_models, data.counts).coef_)
    # not a model refitted on every row, which is surer of itself than the folds were
    refitted = settings.classifier(min_df=1).fit(data.counts, data.labels, data.dense, data.known)
    assert not np.allclose(kept.predict_proba(data.counts), refitted.predict_proba(data.counts))


@pytest.mark.skipif(sys.platform != "linux", reason="forked fits are for Linux only")
def test_fitting_in_worker_processes_gives_the_same_model_every_time(
    counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one = fit(np.arange(len(TEXTS)), counts)
    monkeypatch.setattr(classifier, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(classifier, "_cores", lambda: 2)
    assert classifier._fit_workers(len(TEXTS)) == 2
    side_by_side = [fit(np.arange(len(TEXTS)), counts) for _ in range(3)]
    for model in side_by_side:
        assert np.array_equal(model.coef_, one_by_one.coef_)
        assert np.array_equal(model.intercept_, one_by_one.intercept_)


def test_themes_are_fitted_one_by_one_while_another_thread_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(classifier, "_cores", lambda: 2)
    big = classifier.PARALLEL_MIN_ROWS
    assert classifier._fit_workers(big - 1) == 1
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert classifier._fit_workers(big) == 1  # forking beside a thread is not safe
    finally:
        stop.set()
        other.join()
    assert classifier._fit_workers(big) == (2 if sys.platform == "linux" else 1)


def _workers_in_a_pool_worker(n_rows: int) -> int:
    return classifier._fit_workers(n_rows)


@pytest.mark.skipif(sys.platform != "linux", reason="forked fits are for Linux only")
def test_a_pool_worker_fits_its_themes_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier, "_cores", lambda: 2)
    big = classifier.PARALLEL_MIN_ROWS
    with multiprocessing.get_context("fork").Pool(1) as pool:
        # a daemonic worker may not start processes of its own
        assert pool.apply(_workers_in_a_pool_worker, (big,)) == 1
    assert classifier._fit_workers(big) == 2
