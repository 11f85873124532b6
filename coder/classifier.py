"""A multi-label theme classifier: TF-IDF over hashed counts, one logistic regression per theme.

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
    """Fit on a count matrix and a 0/1 label matrix; predict one probability per theme."""

    def __init__(self, C: float = 4.0, min_df: int = 1, char_weight: float = 0.5):
        self.C = C
        self.min_df = min_df
        self.char_weight = char_weight

    def fit(
        self, counts: sparse.csr_matrix, labels: np.ndarray, weights: np.ndarray | None = None
    ) -> ThemeClassifier:
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.columns_ = np.flatnonzero(df >= self.min_df).astype(np.int64)
        n_docs = counts.shape[0]
        self.idf_ = (np.log((1 + n_docs) / (1 + df[self.columns_])) + 1).astype(np.float32)
        x = self._tfidf(counts[:, self.columns_])
        n_themes = labels.shape[1]
        self.coef_ = np.zeros((n_themes, len(self.columns_)), dtype=np.float32)
        self.intercept_ = np.full(n_themes, -10.0, dtype=np.float32)
        for j in range(n_themes):
            y = labels[:, j].astype(bool)
            if y.all():
                self.intercept_[j] = 10.0
            elif y.any():
                model = LogisticRegression(C=self.C, solver="liblinear", max_iter=1000)
                model.fit(x, y, sample_weight=weights)
                self.coef_[j] = model.coef_[0]
                self.intercept_[j] = model.intercept_[0]
        return self

    def _tfidf(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        x = counts.astype(np.float32, copy=True)
        np.log1p(x.data, out=x.data)  # sublinear tf: a repeated word is not ten times the evidence
        x = x.multiply(self.idf_).tocsr()
        # Word and character blocks are each scaled to unit length, then the character block is
        # down-weighted: a word gives ~15 character n-grams, which would otherwise drown it.
        is_char = self.columns_ >= CHAR_OFFSET
        blocks = [(x[:, ~is_char], 1.0), (x[:, is_char], self.char_weight)]
        scaled = []
        for block, weight in blocks:
            norms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1)).ravel())
            norms[norms == 0] = 1
            scaled.append(sparse.diags(weight / norms) @ block)
        return sparse.hstack(scaled, format="csr")

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

    def predict_proba(self, counts: sparse.csr_matrix) -> np.ndarray:
        """Probabilities, shape (rows, themes)."""
        if counts.shape[0] == 0:
            return np.zeros((0, len(self.intercept_)), dtype=np.float32)
        x = self._tfidf(self._known(counts))
        logits = np.asarray(x @ self.coef_.T) + self.intercept_
        return 1.0 / (1.0 + np.exp(-logits))

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            path,
            columns=self.columns_,
            idf=self.idf_,
            coef=self.coef_,
            intercept=self.intercept_,
            params=np.array([self.C, self.min_df, self.char_weight], dtype=np.float64),
        )

    @classmethod
    def load(cls, path: str | Path) -> ThemeClassifier:
        with np.load(path, allow_pickle=False) as data:
            params = data["params"]
            model = cls(C=float(params[0]), min_df=int(params[1]), char_weight=float(params[2]))
            model.columns_ = data["columns"]
            model.idf_ = data["idf"]
            model.coef_ = data["coef"]
            model.intercept_ = data["intercept"]
        return model
