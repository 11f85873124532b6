"""Training a theme model: cross-validated probabilities choose each theme's threshold and
whether its rules may code alone; the codebook's own examples and definitions are training data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from coder.classifier import ThemeClassifier
from coder.codebook import Codebook
from coder.codebook_io import load_codebook
from coder.decision import Decision, decide
from coder.errors import InputError
from coder.features import Featurizer
from coder.labelled import check_unknown, resolve_codes
from coder.metrics import f1_from_counts, f1_intervals, f1_score, report, to_matrix
from coder.model import COMPONENT, ThemeModel, comment_text, pattern_evidence, rule_hit_matrix
from coder.nlp import build_pipeline

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)
MIN_POSITIVES_TO_TUNE = 3
COLD_MIN_THEMES = 3  # codable themes a cold start's classifier needs (see `cold_start`)
COLD_THRESHOLD = 0.5  # without data to tune on: code a theme when it is more likely than not
COLD_RULE_PRECISION = 0.75
# Settings and thresholds are chosen for this weight of micro-F1, the rest macro-F1. The F1 of a
# rare theme is noisy, and chasing it moves thresholds that cost micro-F1 on new comments: in
# outer cross-validation on the NHS train split, 0.9 beat an even mean on micro-F1 in 10 of 10
# folds with the settings fixed and 4 of 5 with the whole pipeline, macro-F1 no lower.
MICRO_WEIGHT = 0.9
# A tuned threshold is pulled towards COLD_THRESHOLD as if this many positives had voted for
# it: one tuned on a handful of positives is mostly noise. In outer cross-validation on the NHS
# train split this lifted macro-F1 by 0.007 (4 of 5 folds) and micro-F1 by 0.0007 (50 and 100
# scored lower); at 500 labels in review order, on a dev cut of the train split, micro-F1 by
# 0.009.
THRESHOLD_SHRINK = 30

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """Classifier settings that cross-validation chooses between (see `CANDIDATES`)."""

    C: float
    char_weight: float
    dense_weight: float

    def __str__(self) -> str:
        return f"C={self.C:g}, characters x{self.char_weight:g}, embeddings x{self.dense_weight:g}"

    def classifier(self, min_df: int) -> ThemeClassifier:
        return ThemeClassifier(
            C=self.C, min_df=min_df, char_weight=self.char_weight, dense_weight=self.dense_weight
        )


# Small data favours stronger regularisation and fewer character n-grams; larger data the
# reverse. Sentence embeddings help where words alone are too sparse. Training tries each.
# (C=8, characters x1, embeddings x1 was a candidate too: in outer cross-validation on the NHS
# train split, dropping it changed micro-/macro-F1 by -0.0007/+0.0006, and its time now pays for
# the embeddings' extremes.)
CANDIDATES = (
    Settings(C=4.0, char_weight=0.5, dense_weight=0.0),
    Settings(C=8.0, char_weight=1.0, dense_weight=0.0),
    Settings(C=4.0, char_weight=0.5, dense_weight=1.0),
)
EMBEDDINGS = "static_minilm"
# Leading embedding dimensions whose maximum and minimum over a comment's pieces are features
# too (`Featurizer.extremes`). In outer cross-validation on the NHS train split (two seeds of 5
# folds, embeddings candidate only) they lifted micro-F1 by 0.0026 and 0.0014 and macro-F1 by
# 0.0019 and 0.0031; all 256 dimensions did no better and took 1.6 times as long per fold.
EXTREMES = 128
# The smallest model: word and character features only (`coder train --no-embeddings`).
WORDS_ONLY = tuple(settings for settings in CANDIDATES if not settings.dense_weight)


def codebook_examples(codebook: Codebook) -> tuple[list[str], list[list[str]], list[str | None]]:
    """The codebook as labelled text: (texts, codes, negative_for).

    Each theme's label, brief, definition, 'when to use' lines and examples are positive for it;
    a counter-example is known to be negative for its own theme (`negative_for`) and says
    nothing about the others.
    """
    texts, codes, negative_for = [], [], []
    for theme in codebook.codable:
        described = [theme.label, theme.brief, theme.definition, *theme.include, *theme.examples]
        for text in filter(None, described):
            texts.append(text)
            codes.append([theme.id])
            negative_for.append(None)
        for text in theme.counter_examples:
            texts.append(text)
            codes.append([])
            negative_for.append(theme.id)
    return texts, codes, negative_for


@dataclass
class _Features:
    """Everything the classifier is fitted on, computed once: labelled rows then codebook rows."""

    counts: sparse.csr_matrix
    dense: np.ndarray | None
    labels: np.ndarray
    known: np.ndarray
    n_labelled: int

    def rows(self, index: np.ndarray) -> tuple[Any, ...]:
        """(counts, labels, dense, known) of some rows, in the order `ThemeClassifier.fit` takes."""
        dense = None if self.dense is None else self.dense[index]
        return self.counts[index], self.labels[index], dense, self.known[index]


def _features(
    nlp: Any, featurizer: Featurizer, codebook: Codebook, texts: Sequence[str], codes: Any
) -> tuple[_Features, list[Any]]:
    ids = codebook.codable_ids
    extra_texts, extra_codes, negative_for = codebook_examples(codebook)
    docs = list(nlp.pipe(texts, batch_size=256))
    all_docs = docs + list(nlp.pipe(extra_texts))
    known = np.ones((len(all_docs), len(ids)), dtype=bool)
    for i, theme in enumerate(negative_for, start=len(docs)):
        if theme is not None:
            known[i] = np.array(ids) == theme
    features = _Features(
        counts=featurizer.transform(all_docs),
        dense=featurizer.dense(all_docs),
        labels=to_matrix([*codes, *extra_codes], ids),
        known=known,
        n_labelled=len(docs),
    )
    return features, docs


def _codebook(codebook: Codebook | str | Path) -> Codebook:
    """A Codebook as given, or loaded from a file or a shipped name ("coproduction")."""
    return codebook if isinstance(codebook, Codebook) else load_codebook(codebook)


def _checked(
    codebook: Codebook, texts: Sequence[Any], codes: Sequence[Any], folds: int
) -> tuple[list[str], list[list[str]]]:
    """The texts as text and each comment's codes as theme ids (named by id or label, as a
    labelled file names them): the mistakes a notebook makes, as errors that say so."""
    if isinstance(texts, str | bytes) or isinstance(codes, str | bytes):
        raise InputError("texts and codes are lists: a text per comment, a list of themes each")
    texts, codes = list(texts), list(codes)
    if len(texts) != len(codes):
        raise InputError(
            f"texts and codes differ in length: {len(texts)} texts, {len(codes)} lists of codes"
        )
    if folds < 2:
        raise InputError(f"folds must be at least 2 (got {folds})")
    unknown: list[str] = []
    resolved = []
    for n, names in enumerate(codes, start=1):
        if isinstance(names, str | bytes) or not isinstance(names, Iterable):
            raise InputError(
                f"codes[{n - 1}] is {names!r:.40}: give each comment a list of themes, "
                "e.g. ['box_ticking'] or []"
            )
        resolved.append(resolve_codes(";".join(map(str, names)), codebook, f"comment {n}", unknown))
    check_unknown(unknown, "the codes given", codebook)
    return [comment_text(text) for text in texts], resolved


def cold_start(codebook: Codebook | str | Path, spacy_model: str | None = None) -> ThemeModel:
    """A model from the codebook alone: a classifier on its own texts, and every rule trusted."""
    codebook = _codebook(codebook)
    nlp = build_pipeline(codebook, spacy_model)
    ids = codebook.codable_ids
    featurizer = Featurizer()
    data, _ = _features(nlp, featurizer, codebook, [], [])
    # Each theme's texts are the others' negatives: with fewer than three themes the classifier
    # learns "this theme or that one" (one theme: every comment), never "none of them", and
    # would code nearly every comment. Patterns alone code there.
    rules_only = len(ids) < COLD_MIN_THEMES
    labels = np.zeros_like(data.labels) if rules_only else data.labels
    classifier = CANDIDATES[2].classifier(min_df=1).fit(data.counts, labels, data.dense, data.known)
    decision = Decision(
        thresholds=dict.fromkeys(ids, COLD_THRESHOLD),
        trust_rules=dict.fromkeys(ids, True),
        rule_precision=dict.fromkeys(ids, COLD_RULE_PRECISION),
    )
    nlp.add_pipe(COMPONENT).set_model(ids, classifier, featurizer)
    meta = {
        "trained_on": {"labelled": 0, "codebook_texts": data.counts.shape[0]},
        "spacy_model": spacy_model,
        "rules_only": rules_only,
    }
    return ThemeModel(codebook, nlp, decision, meta)


def train(
    codebook: Codebook | str | Path,
    texts: Sequence[str],
    codes: Sequence[Sequence[str]],
    *,
    spacy_model: str | None = None,
    folds: int = 5,
    at_least_one: bool | None = None,
    seed: int = 0,
    candidates: Sequence[Settings] = CANDIDATES,
    progress: Progress | None = None,
) -> ThemeModel:
    """Train on labelled comments (`codes`: theme ids per text).

    Cross-validation chooses the classifier settings among `candidates` (by `_objective`:
    mostly micro-F1, some macro-F1), then each theme's threshold and whether its rules may
    code alone.
    The model kept is the chosen settings' fold models averaged (`ThemeClassifier.averaged`),
    so it scores new comments as the fold models scored the comments that set the thresholds.
    `at_least_one=None` turns "every comment gets a theme" on when every labelled comment has
    one. The model's meta holds the cross-validated figures of the chosen settings under `cv`,
    with their bootstrap intervals.
    """
    codebook = _codebook(codebook)
    texts, codes = _checked(codebook, texts, codes, folds)
    say = progress or (lambda _message: None)
    ids = codebook.codable_ids
    nlp = build_pipeline(codebook, spacy_model)
    uses_dense = any(c.dense_weight for c in candidates)
    featurizer = (
        Featurizer(embeddings=EMBEDDINGS, extremes=EXTREMES) if uses_dense else Featurizer()
    )
    say(f"reading {len(texts)} labelled comments")
    data, docs = _features(nlp, featurizer, codebook, texts, codes)
    labels = data.labels[: data.n_labelled]
    rule_hits = rule_hit_matrix([pattern_evidence(doc) for doc in docs], ids)
    nonempty = np.array([bool(t.strip()) for t in texts], dtype=bool)
    min_df = 2 if len(texts) >= 200 else 1
    if at_least_one is None:
        at_least_one = bool(len(texts)) and bool(labels[nonempty].any(axis=1).all())

    cv, decision, chosen, classifier = None, None, candidates[0], None
    chosen_folds: list[ThemeClassifier] = []
    chosen_coded = None
    if len(texts) >= 2 * folds:
        best_score = -1.0
        for number, settings in enumerate(candidates, start=1):
            say(
                f"cross-validating ({folds} folds), settings {number}/{len(candidates)}: {settings}"
            )
            oof, fold_models = _out_of_fold(data, settings, folds, seed, min_df)
            tuned = _tune(oof, labels, rule_hits, ids, at_least_one)
            coded, _ = decide(oof, rule_hits, nonempty, tuned, ids)
            result = report(labels, coded, ids)
            score = _objective(result["micro"]["f1"], result["macro"]["f1"])
            if score > best_score:
                best_score, cv, decision, chosen = score, result, tuned, settings
                chosen_folds, chosen_coded = fold_models, coded
        assert cv is not None and chosen_coded is not None
        cv["intervals"] = f1_intervals(labels, chosen_coded)
        say(f"averaging the {folds} fold models of {chosen}")
        classifier = ThemeClassifier.averaged(chosen_folds, data.counts)
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
    if classifier is None:
        say(f"fitting the model with {chosen}")
        classifier = chosen.classifier(min_df).fit(data.counts, data.labels, data.dense, data.known)
    if not chosen.dense_weight:
        # the saved model then needs no embeddings to run
        featurizer.embeddings, featurizer.extremes = None, 0
    nlp.add_pipe(COMPONENT).set_model(ids, classifier, featurizer)
    meta: dict[str, Any] = {
        "trained_on": {
            "labelled": len(texts),
            "codebook_texts": data.counts.shape[0] - len(texts),
            # so that a project's status never measures the model on what it learned from
            "text_hashes": sorted({text_hash(text) for text in texts}),
        },
        "spacy_model": spacy_model,
        "settings": asdict(chosen),
        "cv": cv,
        "cv_folds": folds if cv else 0,
    }
    return ThemeModel(codebook, nlp, decision, meta)


def learned_hashes(meta: Mapping[str, Any]) -> set[str]:
    """The `text_hash` of every comment a model (its meta) was trained on."""
    return set(meta.get("trained_on", {}).get("text_hashes", ()))


def text_hash(text: str) -> str:
    """A short fingerprint of a comment's text (whitespace at the ends ignored)."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def _out_of_fold(
    data: _Features, settings: Settings, folds: int, seed: int, min_df: int
) -> tuple[np.ndarray, list[ThemeClassifier]]:
    """(probabilities, fold models): each labelled comment's probabilities from the fold model
    that did not see it (the codebook's own texts are in every training fold)."""
    from sklearn.model_selection import KFold  # training only: slow to import

    n = data.n_labelled
    extra = np.arange(n, data.counts.shape[0])
    oof = np.zeros((n, data.labels.shape[1]), dtype=np.float32)
    models = []
    for train_rows, held_rows in KFold(folds, shuffle=True, random_state=seed).split(oof):
        model = settings.classifier(min_df).fit(*data.rows(np.concatenate([train_rows, extra])))
        counts, _, dense, _ = data.rows(held_rows)
        oof[held_rows] = model.predict_proba(counts, dense)
        model.drop_lookup()
        models.append(model)
    return oof, models


def _tune(
    oof: np.ndarray,
    labels: np.ndarray,
    rule_hits: np.ndarray,
    ids: Sequence[str],
    at_least_one: bool,
) -> Decision:
    thresholds, trust = {}, {}
    joint = _joint_thresholds(oof, labels)
    for j, theme in enumerate(ids):
        gold = labels[:, j]
        thresholds[theme] = _shrunk(float(joint[j]), int(gold.sum()))
        best = thresholds[theme]
        by_model = oof[:, j] >= best
        trust[theme] = bool(rule_hits[:, j].any()) and f1_score(
            gold, by_model | rule_hits[:, j]
        ) > f1_score(gold, by_model)
    return Decision(thresholds, trust, _rule_precision(labels, rule_hits, ids), at_least_one)


def _shrunk(threshold: float, positives: int) -> float:
    """A tuned threshold pulled towards the untuned one (COLD_THRESHOLD) in proportion to how
    few positives tuned it."""
    prior = THRESHOLD_SHRINK * COLD_THRESHOLD
    pulled = (positives * threshold + prior) / (positives + THRESHOLD_SHRINK)
    return round(pulled, 4)


def _objective(micro_f1: float, macro_f1: float) -> float:
    return MICRO_WEIGHT * micro_f1 + (1 - MICRO_WEIGHT) * macro_f1


def _joint_thresholds(oof: np.ndarray, labels: np.ndarray, passes: int = 3) -> np.ndarray:
    """Each theme's threshold, chosen for micro-F1 over all themes with some weight on
    macro-F1 (`_objective`).

    First each theme on its own (highest F1; among ties the threshold nearest 0.5, the least
    extreme); then a few rounds of coordinate ascent on the joint objective. Per-theme F1 alone
    sets frequent themes' thresholds low, which costs micro-F1 more than it gains; the joint
    objective weighs both. Themes with fewer than MIN_POSITIVES_TO_TUNE examples stay at 0.5.
    """
    grid = THRESHOLD_GRID
    gold = labels.astype(bool)
    # counts[k, j]: (tp, fp, fn) of theme j at grid threshold k
    predicted = oof[None, :, :] >= grid[:, None, None]
    tp = np.sum(predicted & gold, axis=1).astype(float)
    fp = np.sum(predicted & ~gold, axis=1).astype(float)
    fn = gold.sum(axis=0)[None, :] - tp
    f1 = f1_from_counts(tp, fp, fn)
    tunable = gold.sum(axis=0) >= MIN_POSITIVES_TO_TUNE
    present = gold.sum(axis=0) > 0
    cold = int(np.argmin(np.abs(grid - COLD_THRESHOLD)))
    nearest_half = -np.abs(grid - 0.5)
    choice = np.array(
        [
            int(np.lexsort((nearest_half, f1[:, j]))[-1]) if tunable[j] else cold
            for j in range(len(tunable))
        ]
    )

    def objective(pick: np.ndarray) -> float:
        cols = np.arange(len(pick))
        t, p, n = tp[pick, cols].sum(), fp[pick, cols].sum(), fn[pick, cols].sum()
        micro = 2 * t / (2 * t + p + n) if t else 0.0
        macro = float(f1[pick, cols][present].mean()) if present.any() else 0.0
        return _objective(micro, macro)

    best = objective(choice)
    for _ in range(passes):
        improved = False
        for j in np.flatnonzero(tunable):
            for k in range(len(grid)):
                trial = choice.copy()
                trial[j] = k
                score = objective(trial)
                if score > best + 1e-9:
                    best, choice, improved = score, trial, True
        if not improved:
            break
    return grid[choice]


def _rule_precision(
    labels: np.ndarray, rule_hits: np.ndarray, ids: Sequence[str]
) -> dict[str, float]:
    """Share of each theme's rule matches that the labels confirm, smoothed towards 1/2."""
    out = {}
    for j, theme in enumerate(ids):
        hits = rule_hits[:, j]
        out[theme] = round((float(np.sum(hits & labels[:, j])) + 1) / (float(hits.sum()) + 2), 4)
    return out
