"""A multi-label theme classifier: one logistic regression per theme over TF-IDF of hashed counts,
optionally beside a dense block of sentence embeddings.

Stored as plain arrays (`classifier.npz`), not a pickle: loading a model runs no code, and a model
keeps working across scikit-learn versions.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

from coder.embeddings import unit_rows
from coder.features import CHAR_OFFSET


class ThemeClassifier:
    """Fit on a count matrix (plus optional dense rows) and a 0/1 label matrix; predict one
    probability per theme.

    Word n-grams, character n-grams and the dense embeddings are three blocks, each scaled to
    unit length per comment and then weighted, so that no block drowns the others (a word gives
    ~15 character n-grams). Classes are weighted inversely to their frequency, which lifts
    recall on rare themes.
    """

    def __init__(
        self,
        C: float = 4.0,
        min_df: int = 1,
        char_weight: float = 0.5,
        dense_weight: float = 0.0,
        class_weight: str | None = "balanced",
    ):
        self.C = C
        self.min_df = min_df
        self.char_weight = char_weight
        self.dense_weight = dense_weight
        self.class_weight = class_weight

    def fit(
        self,
        counts: sparse.csr_matrix,
        labels: np.ndarray,
        dense: np.ndarray | None = None,
        known: np.ndarray | None = None,
    ) -> ThemeClassifier:
        """`known` (same shape as `labels`) marks where a label is known; by default everywhere.
        A codebook's counter-example, say, is known to be negative for its own theme only."""
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self._set_columns(np.flatnonzero(df >= self.min_df).astype(np.int64), df, counts.shape[0])
        self.dense_dims_ = 0 if dense is None or not self.dense_weight else dense.shape[1]
        x = self._design(self._known(counts), dense)
        n_themes = labels.shape[1]
        self.coef_ = np.zeros((n_themes, x.shape[1]), dtype=np.float32)
        self.intercept_ = np.full(n_themes, -10.0, dtype=np.float32)
        known = np.ones(labels.shape, dtype=bool) if known is None else known
        for j, (coef, intercept) in enumerate(self._fit_themes(x, labels, known)):
            self.coef_[j] = coef
            self.intercept_[j] = intercept
        return self

    def _fit_themes(
        self, x: sparse.csr_matrix, labels: np.ndarray, known: np.ndarray
    ) -> list[tuple[np.ndarray | float, float]]:
        """Each theme's (coefficients, intercept): side by side in forked processes where that
        is safe and worth it, else one after another. Not in threads: liblinear draws its
        coordinate order from one random generator per process (scikit-learn's newrand.h), so
        fits in threads race on it and the same data would not give the same model twice."""
        themes = range(labels.shape[1])
        workers = _fit_workers(x.shape[0])
        if workers == 1:
            return [self._fit_theme(x, labels, known, j) for j in themes]
        global _FIT_JOB
        _FIT_JOB = (self, x, labels, known)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return pool.map(_fit_forked, themes, chunksize=1)
        finally:
            _FIT_JOB = None

    def _set_columns(self, columns: np.ndarray, df: np.ndarray, n_docs: int) -> None:
        self.columns_ = columns
        self._lookup = None
        self.idf_ = (np.log((1 + n_docs) / (1 + df[columns])) + 1).astype(np.float32)

    @classmethod
    def averaged(
        cls, models: Sequence[ThemeClassifier], counts: sparse.csr_matrix
    ) -> ThemeClassifier:
        """One classifier whose logits are (nearly) the mean of `models`' logits: the fold
        models of cross-validation, whose pooled predictions chose the thresholds, so the model
        that is kept scores new comments as they scored held-out ones. (A model refitted on all
        the rows is more sure of itself than the fold models, and codes more under the same
        thresholds.) `counts` are all the rows the folds were drawn from: they give the
        document frequencies. Each fold's weights are rescaled by its IDF over the merged one,
        so a feature counts as it did in its fold; only the per-comment length normalisation
        differs a little.
        """
        first = models[0]
        merged = cls(first.C, first.min_df, first.char_weight, first.dense_weight)
        columns = np.unique(np.concatenate([m.columns_ for m in models]))
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        merged._set_columns(columns, df, counts.shape[0])
        merged.dense_dims_ = first.dense_dims_
        n_themes, n_sparse = len(first.intercept_), len(columns)
        merged.coef_ = np.zeros((n_themes, n_sparse + merged.dense_dims_), dtype=np.float32)
        for model in models:
            own = np.searchsorted(columns, model.columns_)
            n_own = len(model.columns_)
            scale = model.idf_ / merged.idf_[own]
            merged.coef_[:, own] += model.coef_[:, :n_own] * scale
            merged.coef_[:, n_sparse:] += model.coef_[:, n_own:]
        merged.coef_ /= len(models)
        merged.intercept_ = np.mean([m.intercept_ for m in models], axis=0).astype(np.float32)
        return merged

    def _fit_theme(
        self, x: sparse.csr_matrix, labels: np.ndarray, known: np.ndarray, j: int
    ) -> tuple[np.ndarray | float, float]:
        """(coefficients, intercept) for theme j; a theme always or never present is constant."""
        from sklearn.linear_model import LogisticRegression  # training only: slow to import

        y = labels[known[:, j], j].astype(bool)
        if y.all() or not y.any():
            return 0.0, 10.0 if y.all() else -10.0
        # More features than comments: liblinear's dual solver is the faster one (and takes a
        # fixed seed for its coordinate order, so training is repeatable).
        model = LogisticRegression(
            C=self.C,
            solver="liblinear",
            dual=True,
            max_iter=1000,
            class_weight=self.class_weight,
            random_state=0,
        )
        model.fit(x[known[:, j]], y)
        return model.coef_[0], float(model.intercept_[0])

    def _design(self, counts: sparse.csr_matrix, dense: np.ndarray | None) -> sparse.csr_matrix:
        """The training matrix: weighted counts beside the weighted dense block."""
        blocks = [self._weigh(counts)]
        if self.dense_dims_:
            blocks.append(sparse.csr_matrix(self._weigh_dense(dense)))
        return sparse.hstack(blocks, format="csr")

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Sublinear TF-IDF, each block (words, characters) scaled to unit length per row and
        then weighted. Works on the CSR arrays directly, no column slicing or stacking: within a
        row the columns are sorted, so its word entries come first, then its character ones."""
        if not counts.has_canonical_format:
            counts = counts.copy()
            counts.sum_duplicates()
        indptr = counts.indptr
        # sublinear tf: a repeated word is not ten times the evidence
        data = np.log1p(counts.data.astype(np.float32)) * self.idf_[counts.indices]
        is_word = counts.indices < np.searchsorted(self.columns_, CHAR_OFFSET)
        words_before = np.concatenate(([0], np.cumsum(is_word)))
        n_words = words_before[indptr[1:]] - words_before[indptr[:-1]]
        split = indptr[:-1] + n_words
        squares = np.concatenate(([0.0], np.cumsum(data.astype(np.float64) ** 2)))
        norms = np.sqrt(
            [squares[split] - squares[indptr[:-1]], squares[indptr[1:]] - squares[split]]
        )
        norms[norms == 0] = 1
        # one scale per (row, block) segment, spread over the segment's entries
        scales = np.stack([1 / norms[0], self.char_weight / norms[1]], axis=1).ravel()
        lengths = np.stack([n_words, np.diff(indptr) - n_words], axis=1).ravel()
        data *= np.repeat(scales, lengths).astype(np.float32)
        return sparse.csr_matrix((data, counts.indices, indptr), shape=counts.shape)

    def _weigh_dense(self, dense: np.ndarray | None) -> np.ndarray:
        if dense is None:
            raise ValueError("this classifier was trained with dense features; pass them")
        return np.float32(self.dense_weight) * unit_rows(dense.astype(np.float32))

    def _known(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Keep only the columns seen in training, renumbered to the model's own columns."""
        counts = sparse.csr_matrix(counts)
        if getattr(self, "_lookup", None) is None:
            # feature id -> model column (-1: unseen); 4 bytes per possible feature, built once
            self._lookup = np.full(counts.shape[1], -1, dtype=np.int32)
            self._lookup[self.columns_] = np.arange(len(self.columns_), dtype=np.int32)
        pos = self._lookup[counts.indices]
        keep = pos >= 0
        kept_before = np.concatenate(([0], np.cumsum(keep)))
        return sparse.csr_matrix(
            (counts.data[keep], pos[keep], kept_before[counts.indptr]),
            shape=(counts.shape[0], len(self.columns_)),
        )

    def drop_lookup(self) -> None:
        """Free the feature lookup (4 bytes per possible feature, 16 MB); the next prediction
        builds it again. Cross-validation keeps each fold's model for averaging, not for use."""
        self._lookup = None

    def predict_proba(
        self, counts: sparse.csr_matrix, dense: np.ndarray | None = None
    ) -> np.ndarray:
        """Probabilities, shape (rows, themes)."""
        if counts.shape[0] == 0:
            return np.zeros((0, len(self.intercept_)), dtype=np.float32)
        n_sparse = len(self.columns_)
        logits = self._weigh(self._known(counts)) @ self.coef_[:, :n_sparse].T + self.intercept_
        if self.dense_dims_:
            logits += self._weigh_dense(dense) @ self.coef_[:, n_sparse:].T
        return 1.0 / (1.0 + np.exp(-np.asarray(logits)))

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            columns=self.columns_,
            idf=self.idf_,
            coef=self.coef_,
            intercept=self.intercept_,
            params=np.array(
                [self.C, self.min_df, self.char_weight, self.dense_weight, self.dense_dims_],
                dtype=np.float64,
            ),
        )

    @classmethod
    def load(cls, path: str | Path) -> ThemeClassifier:
        with np.load(path, allow_pickle=False) as data:
            c, min_df, char_weight, dense_weight, dense_dims = data["params"]
            model = cls(
                C=float(c),
                min_df=int(min_df),
                char_weight=float(char_weight),
                dense_weight=float(dense_weight),
            )
            model.dense_dims_ = int(dense_dims)
            model.columns_ = data["columns"]
            model.idf_ = data["idf"]
            model.coef_ = data["coef"]
            model.intercept_ = data["intercept"]
        return model


# Below this many rows a fit takes less time than forking workers would.
PARALLEL_MIN_ROWS = 1_000
_FIT_JOB: tuple[ThemeClassifier, sparse.csr_matrix, np.ndarray, np.ndarray] | None = None


def _fit_workers(n_rows: int) -> int:
    """Processes to fit in: forking is safe on Linux from a process with no other threads (the
    review screen retrains in a thread: its fits run one by one); macOS's system libraries are
    not fork-safe, Windows cannot fork, and a pool's worker may not start processes."""
    if (
        n_rows < PARALLEL_MIN_ROWS
        or sys.platform != "linux"
        or threading.active_count() > 1
        or multiprocessing.current_process().daemon
    ):
        return 1
    return _cores()


def _fit_forked(j: int) -> tuple[np.ndarray | float, float]:
    """Runs in a forked worker, which inherits the job from its parent."""
    assert _FIT_JOB is not None
    model, x, labels, known = _FIT_JOB
    return model._fit_theme(x, labels, known, j)


def _cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
