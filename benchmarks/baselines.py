"""Reference baselines for the real-data benchmark (NHS Friends and Family Test split).

Two baselines that anyone would try before ``coder``, with fixed settings (nothing is tuned on
the test set):

- :func:`sklearn_baseline`: the twenty-line data-science baseline, TF-IDF (1-2 grams) +
  one-vs-rest ``LinearSVC`` with its default decision threshold.
- :func:`spacy_textcat_baseline`: spaCy's own ``textcat_multilabel`` with the bag-of-words
  architecture, trained from ``spacy.blank("en")`` for a fixed number of epochs.

Plus :func:`tokenizer_throughput`, the speed of the bare spaCy tokenizer: the floor for any spaCy
pipeline. Each function trains on the train texts and returns predictions for the test texts with
timings; scoring is left to the caller. Run this file to score both on the NHS split::

    python benchmarks/baselines.py [--data DATA_DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch
from thinc.api import compounding

# The NHS split sits beside the checkout (../shared/data/nhs_fft); CODER_NHS_DATA points elsewhere.
DEFAULT_DATA_DIR = Path(
    os.environ.get("CODER_NHS_DATA")
    or Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "nhs_fft"
)


def data_dir(text: str | Path) -> Path:
    """The NHS data folder, for argparse's `type=`: refused unless it holds both splits."""
    path = Path(text)
    missing = [name for name in ("train.csv", "test.csv") if not (path / name).is_file()]
    if missing:
        raise argparse.ArgumentTypeError(
            f"{path} has no {' or '.join(missing)}: pass --data with the folder of the NHS "
            "split (train.csv, test.csv), or set CODER_NHS_DATA"
        )
    return path


def add_data_option(parser: argparse.ArgumentParser) -> None:
    """`--data`: the NHS split's folder, checked before anything runs."""
    parser.add_argument("--data", type=data_dir, default=str(DEFAULT_DATA_DIR))


Log = Callable[[str], None]


def _no_log(_message: str) -> None:
    pass


# --------------------------------------------------------------------------- data


def read_split(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """Read a benchmark CSV (columns ``id,text,codes``; codes separated by ``;``)."""
    texts: list[str] = []
    codes: list[list[str]] = []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts.append(row["text"])
            codes.append([c.strip() for c in row["codes"].split(";") if c.strip()])
    return texts, codes


def read_codebook_labels(path: str | Path) -> list[str]:
    """The labels of a benchmark codebook CSV (column ``label``), in file order."""
    with open(path, newline="", encoding="utf-8") as handle:
        return [row["label"] for row in csv.DictReader(handle)]


def f1_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], labels: Sequence[str]
) -> dict[str, float]:
    """Micro and macro F1 over the label columns that have support in ``gold``."""
    binarizer = MultiLabelBinarizer(classes=list(labels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unknown labels are dropped, as in the baselines
        y_true = binarizer.fit_transform(gold)
        y_pred = binarizer.transform(predicted)
    columns = np.flatnonzero(y_true.sum(axis=0) > 0)
    y_true, y_pred = y_true[:, columns], y_pred[:, columns]
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "labels_scored": len(columns),
    }


# --------------------------------------------------------------------------- scikit-learn


@dataclass
class SklearnBaseline:
    """A fitted TF-IDF + one-vs-rest LinearSVC model."""

    vectorizer: TfidfVectorizer
    classifier: OneVsRestClassifier
    binarizer: MultiLabelBinarizer

    def predict_matrix(self, texts: Sequence[str]) -> Any:
        """The 0/1 indicator matrix (texts x labels): ``transform`` + ``predict``."""
        return self.classifier.predict(self.vectorizer.transform(texts))

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        """The predicted labels of each text."""
        return [list(row) for row in self.binarizer.inverse_transform(self.predict_matrix(texts))]


def fit_sklearn_baseline(
    train_texts: Sequence[str], train_labels: Sequence[Sequence[str]], labels: Sequence[str]
) -> SklearnBaseline:
    """Fit TF-IDF (1-2 grams, defaults otherwise) + ``OneVsRestClassifier(LinearSVC())``."""
    binarizer = MultiLabelBinarizer(classes=list(labels))
    y = binarizer.fit_transform(train_labels)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2))
    x = vectorizer.fit_transform(train_texts)
    classifier = OneVsRestClassifier(LinearSVC())
    with warnings.catch_warnings():
        # A label with no training example gets a constant "no" predictor.
        warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
        classifier.fit(x, y)
    return SklearnBaseline(vectorizer, classifier, binarizer)


def sklearn_predict_throughput(model: SklearnBaseline, texts: Sequence[str]) -> float:
    """Comments per second of ``vectorizer.transform`` + ``predict`` over ``texts``."""
    start = time.perf_counter()
    model.predict_matrix(texts)
    return len(texts) / (time.perf_counter() - start)


def sklearn_baseline(
    train_texts: Sequence[str],
    train_labels: Sequence[Sequence[str]],
    test_texts: Sequence[str],
    labels: Sequence[str],
    log: Log = _no_log,
) -> dict[str, Any]:
    """Train the TF-IDF + LinearSVC baseline and predict the test texts.

    Returns ``predicted`` (labels per test text), ``fit_seconds``, ``predict_seconds`` and
    ``predict_per_second`` (both for ``transform`` + ``predict``), and ``model`` (the fitted
    :class:`SklearnBaseline`, for :func:`sklearn_predict_throughput`).
    """
    start = time.perf_counter()
    model = fit_sklearn_baseline(train_texts, train_labels, labels)
    fit_seconds = time.perf_counter() - start
    log(f"sklearn: fitted on {len(train_texts)} texts in {fit_seconds:.2f}s")

    start = time.perf_counter()
    matrix = model.predict_matrix(test_texts)
    predict_seconds = time.perf_counter() - start
    predicted = [list(row) for row in model.binarizer.inverse_transform(matrix)]
    log(f"sklearn: predicted {len(test_texts)} texts in {predict_seconds:.3f}s")
    return {
        "predicted": predicted,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predict_per_second": len(test_texts) / predict_seconds,
        "model": model,
    }


# --------------------------------------------------------------------------- spaCy textcat


def spacy_textcat_baseline(
    train_texts: Sequence[str],
    train_labels: Sequence[Sequence[str]],
    test_texts: Sequence[str],
    labels: Sequence[str],
    epochs: int = 10,
    seed: int = 0,
    ngram_size: int = 2,
    log: Log = _no_log,
) -> dict[str, Any]:
    """Train spaCy's ``textcat_multilabel`` (``spacy.TextCatBOW.v3``) and predict the test texts.

    ``spacy.blank("en")``, ``nlp.initialize`` with the default optimizer, then ``epochs`` passes
    of ``nlp.update`` over shuffled minibatches with dropout 0.2. Batch sizes compound from 4 to
    32 by 1% a batch over the whole run (32 is reached within the first epoch): each update costs
    a dense Adam step over the 262,144-row hashed weight table, so the classic 0.1% rate
    (about 2,900 updates in ten epochs) took over 3.5 minutes on 2 cores. A label is predicted
    when its score is at least 0.5.
    Returns ``predicted``, ``fit_seconds``, ``predict_seconds``, ``predict_per_second`` and
    ``nlp`` (the trained pipeline).
    """
    labels = list(labels)
    start = time.perf_counter()
    fix_random_seed(seed)
    rng = random.Random(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe(
        "textcat_multilabel",
        config={
            "threshold": 0.5,
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": False,
                "ngram_size": ngram_size,
                "no_output_layer": False,
            },
        },
    )
    for label in labels:
        textcat.add_label(label)
    known = set(labels)
    examples = []
    for text, codes in zip(train_texts, train_labels, strict=True):
        present = set(codes) & known
        cats = {label: float(label in present) for label in labels}
        examples.append(Example.from_dict(nlp.make_doc(text), {"cats": cats}))
    optimizer = nlp.initialize(lambda: examples)
    sizes = compounding(4.0, 32.0, 1.01)
    for epoch in range(epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=sizes):
            nlp.update(batch, drop=0.2, sgd=optimizer, losses=losses)
        log(f"spacy: epoch {epoch + 1}/{epochs} loss {losses.get('textcat_multilabel', 0.0):.3f}")
    fit_seconds = time.perf_counter() - start
    log(f"spacy: trained on {len(train_texts)} texts in {fit_seconds:.2f}s")

    start = time.perf_counter()
    predicted = [
        [label for label in labels if doc.cats[label] >= 0.5]
        for doc in nlp.pipe(test_texts, batch_size=1000)
    ]
    predict_seconds = time.perf_counter() - start
    log(f"spacy: predicted {len(test_texts)} texts in {predict_seconds:.3f}s")
    return {
        "predicted": predicted,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predict_per_second": len(test_texts) / predict_seconds,
        "nlp": nlp,
    }


def tokenizer_throughput(texts: Sequence[str]) -> float:
    """Comments per second of ``spacy.blank("en")`` over ``texts`` (tokenizer only)."""
    nlp = spacy.blank("en")
    start = time.perf_counter()
    for _doc in nlp.pipe(texts, batch_size=1000):
        pass
    return len(texts) / (time.perf_counter() - start)


# --------------------------------------------------------------------------- main


def main(folder: str | Path = DEFAULT_DATA_DIR) -> None:
    """Score both baselines on the NHS split and print F1 and timings."""
    folder = Path(folder)
    train_texts, train_labels = read_split(folder / "train.csv")
    test_texts, test_labels = read_split(folder / "test.csv")
    labels = read_codebook_labels(folder / "codebook.csv")
    print(f"{len(train_texts)} train / {len(test_texts)} test comments, {len(labels)} labels")

    runs = {
        "tfidf+linearsvc": sklearn_baseline(train_texts, train_labels, test_texts, labels),
        "spacy textcat bow": spacy_textcat_baseline(
            train_texts, train_labels, test_texts, labels, log=print
        ),
    }
    for name, run in runs.items():
        scores = f1_scores(test_labels, run["predicted"], labels)
        print(
            f"{name:18s} micro-F1 {scores['micro_f1']:.3f}  macro-F1 {scores['macro_f1']:.3f}"
            f"  ({scores['labels_scored']} labels)  fit {run['fit_seconds']:.2f}s"
            f"  predict {run['predict_seconds']:.3f}s"
            f" ({run['predict_per_second']:,.0f} comments/s)"
        )
    print(f"spaCy tokenizer alone: {tokenizer_throughput(test_texts):,.0f} comments/s")


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description="Score both baselines on the NHS split.")
    add_data_option(_parser)
    main(_parser.parse_args().data)
