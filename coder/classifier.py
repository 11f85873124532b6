"""A multi-label theme classifier: one logistic regression per theme over TF-IDF of hashed counts,
optionally beside a dense block of sentence embeddings.

Stored as plain arrays (`classifier.npz`), not a pickle: loading a model runs no code, and a model
keeps working across scikit-learn versions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

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
        self.columns_ = np.flatnonzero(df >= self.min_df).astype(np.int64)
        n_docs = counts.shape[0]
        self.idf_ = (np.log((1 + n_docs) / (1 + df[self.columns_])) + 1).astype(np.float32)
        self.dense_dims_ = 0 if dense is None or not self.dense_weight else dense.shape[1]
        x = self._design(counts[:, self.columns_], dense)
        n_themes = labels.shape[1]
        self.coef_ = np.zeros((n_themes, x.shape[1]), dtype=np.float32)
        self.intercept_ = np.full(n_themes, -10.0, dtype=np.float32)
        for j in range(n_themes):
            rows = slice(None) if known is None else known[:, j]
            y = labels[rows, j].astype(bool)
            if y.all():
                self.intercept_[j] = 10.0
            elif y.any():
                model = LogisticRegression(
                    C=self.C, solver="liblinear", max_iter=1000, class_weight=self.class_weight
                )
                model.fit(x[rows], y)
                self.coef_[j] = model.coef_[0]
                self.intercept_[j] = model.intercept_[0]
        return self

    def _design(self, counts: sparse.csr_matrix, dense: np.ndarray | None) -> sparse.csr_matrix:
        x = counts.astype(np.float32, copy=True)
        np.log1p(x.data, out=x.data)  # sublinear tf: a repeated word is not ten times the evidence
        x = x.multiply(self.idf_).tocsr()
        is_char = self.columns_ >= CHAR_OFFSET
        blocks = [_unit_rows(x[:, ~is_char]), self.char_weight * _unit_rows(x[:, is_char])]
        if self.dense_dims_:
            if dense is None:
                raise ValueError("this classifier was trained with dense features; pass them")
            weighted = np.float32(self.dense_weight) * _unit_rows_dense(dense.astype(np.float32))
            blocks.append(sparse.csr_matrix(weighted))
        return sparse.hstack(blocks, format="csr")

    def _known(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Keep only the columns seen in training, renumbered to the model's own columns."""
        counts = counts.tocoo()
        pos = np.searchsorted(self.columns_, counts.col)
        pos = np.minimum(pos, len(self.columns_) - 1)
        keep = self.columns_[pos] == counts.col
        return sparse.csr_matrix(
            (counts.data[keep], (counts.row[keep], pos[keep])),
            shape=(counts.shape[0], len(self.columns_)),
        )

    def predict_proba(
        self, counts: sparse.csr_matrix, dense: np.ndarray | None = None
    ) -> np.ndarray:
        """Probabilities, shape (rows, themes)."""
        if counts.shape[0] == 0:
            return np.zeros((0, len(self.intercept_)), dtype=np.float32)
        x = self._design(self._known(counts), dense)
        logits = np.asarray(x @ self.coef_.T) + self.intercept_
        return 1.0 / (1.0 + np.exp(-logits))

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


def _unit_rows(block: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    return sparse.diags(1 / norms) @ block


def _unit_rows_dense(block: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    return block / np.where(norms == 0, 1, norms)
