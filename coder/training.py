"""Training a theme model: cross-validated probabilities choose each theme's threshold and
whether its rules may code alone; the codebook's own examples and definitions are training data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.model_selection import KFold

from coder.classifier import ThemeClassifier
from coder.codebook import Codebook
from coder.decision import Decision, decide
from coder.features import Featurizer
from coder.metrics import f1_score, report, to_matrix
from coder.model import COMPONENT, ThemeModel, pattern_evidence
from coder.nlp import build_pipeline

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
MIN_POSITIVES_TO_TUNE = 3
COLD_THRESHOLD = 0.5  # without data to tune on: code a theme when it is more likely than not
COLD_RULE_PRECISION = 0.75

Progress = Callable[[str], None]


def codebook_examples(codebook: Codebook) -> tuple[list[str], list[list[str]]]:
    """The codebook as labelled text: each theme's examples, definition and 'when to use' lines
    are positive for it; counter-examples are comments with none of the themes."""
    texts, codes = [], []
    for theme in codebook.codable:
        described = [theme.label, theme.brief, theme.definition, *theme.include, *theme.examples]
        for text in filter(None, described):
            texts.append(text)
            codes.append([theme.id])
        for text in theme.counter_examples:
            texts.append(text)
            codes.append([])
    return texts, codes


def cold_start(codebook: Codebook, spacy_model: str | None = None) -> ThemeModel:
    """A model from the codebook alone: a classifier on its examples, and every rule trusted."""
    nlp = build_pipeline(codebook, spacy_model)
    texts, codes = codebook_examples(codebook)
    ids = codebook.codable_ids
    featurizer = Featurizer()
    counts = featurizer.transform(list(nlp.pipe(texts)))
    classifier = ThemeClassifier().fit(counts, to_matrix(codes, ids))
    decision = Decision(
        thresholds=dict.fromkeys(ids, COLD_THRESHOLD),
        trust_rules=dict.fromkeys(ids, True),
        rule_precision=dict.fromkeys(ids, COLD_RULE_PRECISION),
    )
    nlp.add_pipe(COMPONENT).set_model(ids, classifier)
    meta = {"trained_on": {"labelled": 0, "codebook_texts": len(texts)}, "spacy_model": spacy_model}
    return ThemeModel(codebook, nlp, decision, meta)


def train(
    codebook: Codebook,
    texts: Sequence[str],
    codes: Sequence[Sequence[str]],
    *,
    spacy_model: str | None = None,
    folds: int = 5,
    at_least_one: bool | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> ThemeModel:
    """Train on labelled comments (`codes`: theme ids per text).

    `at_least_one=None` turns "every comment gets a theme" on when every labelled comment has
    one. The model's meta holds the cross-validated figures under `cv`.
    """
    say = progress or (lambda _message: None)
    ids = codebook.codable_ids
    nlp = build_pipeline(codebook, spacy_model)
    featurizer = Featurizer()
    say(f"reading {len(texts)} labelled comments")
    docs = list(nlp.pipe(texts, batch_size=256))
    counts = featurizer.transform(docs)
    labels = to_matrix(codes, ids)
    rule_hits = _rule_hits(docs, ids)
    nonempty = np.array([bool(t.strip()) for t in texts])
    extra_texts, extra_codes = codebook_examples(codebook)
    extra = featurizer.transform(list(nlp.pipe(extra_texts)))
    extra_labels = to_matrix(extra_codes, ids)
    min_df = 2 if len(texts) >= 200 else 1

    if at_least_one is None:
        at_least_one = bool(len(texts)) and bool(labels[nonempty].any(axis=1).all())
    cv, decision = None, None
    if len(texts) >= 2 * folds:
        say(f"cross-validating ({folds} folds)")
        oof = _out_of_fold(counts, labels, extra, extra_labels, folds, seed, min_df)
        decision = _tune(oof, labels, rule_hits, ids, at_least_one)
        coded, _ = decide(oof, rule_hits, nonempty, decision, ids)
        cv = report(labels, coded, ids)
    else:
        say(
            f"too few labelled comments ({len(texts)}) for {folds}-fold cross-validation: "
            f"thresholds stay at {COLD_THRESHOLD} and there are no cross-validated figures"
        )
        decision = Decision(
            thresholds=dict.fromkeys(ids, COLD_THRESHOLD),
            trust_rules=dict.fromkeys(ids, False),
            rule_precision=_rule_precision(labels, rule_hits, ids),
            at_least_one=at_least_one,
        )
    say("fitting the final model")
    classifier = ThemeClassifier(min_df=min_df).fit(
        sparse.vstack([counts, extra]).tocsr(), np.vstack([labels, extra_labels])
    )
    nlp.add_pipe(COMPONENT).set_model(ids, classifier)
    meta: dict[str, Any] = {
        "trained_on": {"labelled": len(texts), "codebook_texts": len(extra_texts)},
        "spacy_model": spacy_model,
        "cv": cv,
        "cv_folds": folds if cv else 0,
    }
    return ThemeModel(codebook, nlp, decision, meta)


def _rule_hits(docs: Sequence[Any], ids: Sequence[str]) -> np.ndarray:
    found = [pattern_evidence(doc) for doc in docs]
    return np.array([[t in f for t in ids] for f in found], dtype=bool).reshape(len(docs), len(ids))


def _out_of_fold(
    counts: sparse.csr_matrix,
    labels: np.ndarray,
    extra: sparse.csr_matrix,
    extra_labels: np.ndarray,
    folds: int,
    seed: int,
    min_df: int,
) -> np.ndarray:
    """Each comment's probabilities from a model that did not see it."""
    oof = np.zeros(labels.shape, dtype=np.float32)
    for train_rows, held_rows in KFold(folds, shuffle=True, random_state=seed).split(labels):
        x = sparse.vstack([counts[train_rows], extra]).tocsr()
        y = np.vstack([labels[train_rows], extra_labels])
        model = ThemeClassifier(min_df=min_df).fit(x, y)
        oof[held_rows] = model.predict_proba(counts[held_rows])
    return oof


def _tune(
    oof: np.ndarray,
    labels: np.ndarray,
    rule_hits: np.ndarray,
    ids: Sequence[str],
    at_least_one: bool,
) -> Decision:
    thresholds, trust = {}, {}
    for j, theme in enumerate(ids):
        gold = labels[:, j]
        best = COLD_THRESHOLD
        if gold.sum() >= MIN_POSITIVES_TO_TUNE:
            # Highest F1; among ties, the threshold nearest 0.5 (the least extreme choice).
            scores = [(f1_score(gold, oof[:, j] >= t), -abs(t - 0.5), t) for t in THRESHOLD_GRID]
            best = float(max(scores)[2])
        thresholds[theme] = best
        by_model = oof[:, j] >= best
        trust[theme] = bool(rule_hits[:, j].any()) and f1_score(
            gold, by_model | rule_hits[:, j]
        ) > f1_score(gold, by_model)
    return Decision(thresholds, trust, _rule_precision(labels, rule_hits, ids), at_least_one)


def _rule_precision(
    labels: np.ndarray, rule_hits: np.ndarray, ids: Sequence[str]
) -> dict[str, float]:
    """Share of each theme's rule matches that the labels confirm, smoothed towards 1/2."""
    out = {}
    for j, theme in enumerate(ids):
        hits = rule_hits[:, j]
        out[theme] = round((float(np.sum(hits & labels[:, j])) + 1) / (float(hits.sum()) + 2), 4)
    return out
