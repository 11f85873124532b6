"""A theme model: the spaCy pipeline with its classifier, the codebook, and the decision rules.

A model folder holds `pipeline/` (spaCy `to_disk`, the classifier inside as plain arrays),
`codebook.yaml` (the codebook it was trained with) and `meta.json` (codebook hash, theme ids,
thresholds, library versions, cross-validated metrics).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import multiprocessing
import numbers
import platform
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from coder import __version__
from coder.classifier import ThemeClassifier
from coder.codebook import Codebook
from coder.codebook_io import dump_codebook, load_codebook, parse_codebook
from coder.decision import Decision, decide
from coder.errors import CodebookError, InputError, ModelError, OutputError
from coder.features import Featurizer
from coder.fileio import atomic_folder
from coder.nlp import build_pipeline
from coder.resources import resolve
from coder.results import CommentResult, Evidence, Suggestion
from coder.rules import HITS, ThemeRules

FORMAT_VERSION = 1
COMPONENT = "coder_themes"
# What a model folder holds; anything else in it is the user's and outlives a retrain.
MODEL_ENTRIES = ("meta.json", "codebook.yaml", "pipeline")


class ThemeScorer:
    """Pipeline component: sets `doc.cats` to one probability per codable theme, in batches."""

    def __init__(self, nlp: Language, name: str = COMPONENT):
        self.name = name
        self.featurizer = Featurizer()
        self.classifier: ThemeClassifier | None = None
        self.theme_ids: list[str] = []

    def set_model(
        self, theme_ids: list[str], classifier: ThemeClassifier, featurizer: Featurizer
    ) -> None:
        self.theme_ids, self.classifier, self.featurizer = list(theme_ids), classifier, featurizer

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self.score(batch)
                batch = []
        if batch:
            yield from self.score(batch)

    def probabilities(self, docs: list[Doc], texts: list[str] | None = None) -> np.ndarray:
        """One probability per theme for processed docs, shape (docs, themes); `texts` are
        theirs, if the caller has them."""
        if self.classifier is None:
            raise ModelError("the theme classifier has not been trained")
        return self.classifier.predict_proba(*self.featurizer.matrices(docs, texts))

    def score(self, docs: list[Doc]) -> list[Doc]:
        """Set `doc.cats` on processed docs."""
        probs = self.probabilities(docs)
        for doc, row in zip(docs, probs, strict=True):
            doc.cats = dict(zip(self.theme_ids, row.tolist(), strict=True))
        return docs

    def sentence_probs(self, sentences: list[Span]) -> np.ndarray:
        """Probabilities for sentences scored on their own, shape (sentences, themes)."""
        assert self.classifier is not None
        return self.classifier.predict_proba(*self.featurizer.matrices(sentences))

    def to_disk(self, path: str | Path, exclude: Any = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        assert self.classifier is not None
        self.classifier.save(path / "classifier.npz")
        config = {"theme_ids": self.theme_ids, "featurizer": self.featurizer.config()}
        (path / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")

    def from_disk(self, path: str | Path, exclude: Any = ()) -> ThemeScorer:
        path = Path(path)
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        classifier = ThemeClassifier.load(path / "classifier.npz")
        self.set_model(config["theme_ids"], classifier, Featurizer(**config["featurizer"]))
        return self


@Language.factory(COMPONENT)
def make_scorer(nlp: Language, name: str) -> ThemeScorer:
    return ThemeScorer(nlp, name)


@dataclass
class ThemeModel:
    """Tags comments with a codebook's themes. Build with `coder.training`, or `load_model`."""

    codebook: Codebook
    nlp: Language
    decision: Decision
    meta: dict[str, Any] = field(default_factory=dict)
    _vocabulary_base: int | None = field(default=None, init=False, repr=False)

    @property
    def theme_ids(self) -> list[str]:
        return self.codebook.codable_ids

    @property
    def scorer(self) -> ThemeScorer:
        return self.nlp.get_pipe(COMPONENT)

    def tag(
        self,
        texts: Iterable[str],
        batch_size: int = 256,
        n_process: int = 1,
        evidence: bool = True,
    ) -> Iterator[CommentResult]:
        """Tag comments lazily, one result per text, in order; an empty text gets no codes.

        A text seen before in the same call ("Very good", "Excellent service": about a quarter
        of real feedback comments repeat an earlier one) is not run through the pipeline again;
        it gets a copy of the earlier result, which is what tagging it again would give. Each
        result yielded is a separate object, free to change.

        With `n_process` > 1, batches are tagged in worker processes (forked, so the model is
        not copied through a pipe), a bounded number at a time so memory stays flat. With
        `evidence=False`, a theme suggested by the classifier alone comes without its deciding
        sentence (finding it scores every sentence again); pattern evidence is always given.
        """
        if texts is None or isinstance(texts, str | bytes):  # one text would be its letters
            raise InputError(
                "tag takes a list of comments, not one text: use tag_one(text) for one comment"
            )
        cleaned = map(comment_text, texts)
        parallel = n_process > 1 and "fork" in multiprocessing.get_all_start_methods()
        window = batch_size * (n_process * 4 if parallel else 1)
        memo: dict[str, CommentResult] = {}
        with self._batch_runner(n_process if parallel else 1, evidence) as run:
            while chunk := list(itertools.islice(cleaned, window)):
                fresh = [text for text in dict.fromkeys(chunk) if text not in memo]
                batches = [fresh[i : i + batch_size] for i in range(0, len(fresh), batch_size)]
                for batch, results in zip(batches, run(batches), strict=True):
                    memo.update(zip(batch, results, strict=True))
                yield from (_copy(memo[text]) for text in chunk)
                if len(memo) > _MEMO_LIMIT:
                    memo.clear()

    def _vocabulary_zone(self) -> contextlib.AbstractContextManager[Any]:
        """Once the vocabulary has grown by VOCABULARY_GROWTH words, a spaCy memory zone that
        frees the words a batch adds (ids, numbers, typos): without it a file of distinct
        comments grows memory with every row. Not from the start: a word first seen inside a
        zone is freed too and built again in every later batch, so the common words are let in
        for good first."""
        if self._vocabulary_base is None:
            self._vocabulary_base = len(self.nlp.vocab)
        if len(self.nlp.vocab) - self._vocabulary_base < VOCABULARY_GROWTH:
            return contextlib.nullcontext()
        return self.nlp.memory_zone()

    @contextlib.contextmanager
    def _batch_runner(
        self, n_process: int, evidence: bool
    ) -> Iterator[Callable[[list[list[str]]], Iterable[list[CommentResult]]]]:
        """A function from batches of texts to their results, here or in forked workers."""
        if n_process == 1:
            yield lambda batches: (self.tag_batch(batch, evidence) for batch in batches)
            return
        global _WORKER_MODEL
        _WORKER_MODEL = self
        with multiprocessing.get_context("fork").Pool(n_process) as pool:
            yield lambda batches: pool.imap(_tag_batch, [(batch, evidence) for batch in batches])

    def tag_batch(self, texts: list[str], evidence: bool = True) -> list[CommentResult]:
        """Tag a list of comments at once. BLAS is held to one thread: on matrices this small,
        more threads only spin and take cores from the pipeline (and from other workers)."""
        with _blas_controller().limit(limits=1, user_api="blas"), self._vocabulary_zone():
            # The scorer is run here rather than in the pipeline so that it gets the texts:
            # rebuilding them from tokens (Doc.text) costs as much as the classifier.
            docs = list(self.nlp.tokenizer.pipe(texts, batch_size=len(texts)))
            for name, component in self.nlp.pipeline:
                if isinstance(component, ThemeRules):
                    docs = [component.find(doc) for doc in docs]  # the hits, no span groups
                elif name != COMPONENT:  # a list per component: no generator chain per doc
                    docs = list(
                        component.pipe(docs) if hasattr(component, "pipe") else map(component, docs)
                    )
            probs = self.scorer.probabilities(docs, texts)
            return self.results(docs, evidence, texts, probs)

    def tag_one(self, text: str) -> CommentResult:
        return next(self.tag([text]))

    def tag_frame(self, frame: Any, column: str) -> Any:
        """A copy of a pandas DataFrame with a 0/1 column per theme, `<id>_score` columns and
        `codes` (a list of theme ids per row), like `coder tag --format wide`."""
        from coder.frames import tag_frame

        return tag_frame(self, frame, column)

    def results(
        self,
        docs: list[Doc],
        evidence: bool = True,
        texts: list[str] | None = None,
        probs: np.ndarray | None = None,
    ) -> list[CommentResult]:
        """Codes for processed docs: a probability over threshold, or a trusted rule match.
        The docs' texts and theme probabilities are taken from them unless given."""
        if not docs:
            return []
        texts = texts if texts is not None else [doc.text for doc in docs]
        ids = self.theme_ids
        if probs is None:
            probs = np.array([[doc.cats.get(t, 0.0) for t in ids] for doc in docs])
        probs = probs.astype(np.float32)
        spans = [pattern_evidence(doc, text) for doc, text in zip(docs, texts, strict=True)]
        hits = rule_hit_matrix(spans, ids)
        nonempty = np.array([bool(text.strip()) for text in texts])
        probs[~nonempty] = 0.0  # nothing said: no theme is likely
        coded, by_rule = decide(probs, hits, nonempty, self.decision, ids)
        pairs = [(int(i), int(j)) for i, j in zip(*np.nonzero(coded), strict=True)]
        unexplained = [(i, j) for i, j in pairs if ids[j] not in spans[i]]
        sentences = self._best_sentences(docs, unexplained) if evidence else {}
        out = [
            CommentResult(text, dict(zip(ids, row, strict=True)))
            for text, row in zip(texts, probs.tolist(), strict=True)
        ]
        labels = {t.id: t.label for t in self.codebook.codable}
        for i, j in pairs:
            theme, rule_only = ids[j], bool(by_rule[i, j])
            score = float(probs[i, j])
            if rule_only:
                score = max(score, self.decision.rule_precision.get(theme, 0.5))
            found = spans[i].get(theme) or ([sentences[i, j]] if (i, j) in sentences else [])
            out[i].suggestions.append(
                Suggestion(
                    theme,
                    labels[theme],
                    round(score, 4),
                    "rule" if rule_only else "model",
                    tuple(found),
                )
            )
        return out

    def _best_sentences(
        self, docs: list[Doc], pairs: list[tuple[int, int]]
    ) -> dict[tuple[int, int], Evidence]:
        """For each (doc, theme), the sentence the classifier scores highest for that theme alone.

        All sentences of the docs concerned are scored in one batch.
        """
        sents = {i: list(docs[i].sents) for i, _ in pairs}
        multi = [i for i, s in sents.items() if len(s) > 1]
        flat = [sent for i in multi for sent in sents[i]]
        probs = self.scorer.sentence_probs(flat) if flat else None
        offsets, start = {}, 0
        for i in multi:
            offsets[i], start = start, start + len(sents[i])
        best = {}
        for i, j in pairs:
            k = 0
            if i in offsets:
                assert probs is not None
                k = int(np.argmax(probs[offsets[i] : offsets[i] + len(sents[i]), j]))
            sent = sents[i][k]
            best[i, j] = Evidence(sent.text, sent.start_char, sent.end_char, "sentence")
        return best

    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write the model folder (refuses an existing non-empty folder unless `force`, and a
        folder that is not a model even then). The folder is built beside `path` and put in
        its place only when complete, so a failed save leaves the old model as it was."""
        path = check_model_folder(path, force)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {**self.meta, **self._identity(), "decision": self.decision.to_dict()}
        with atomic_folder(path, keep=lambda name: name not in MODEL_ENTRIES) as folder:
            fresh = build_pipeline(self.codebook, self.meta.get("spacy_model"))
            scorer = self.scorer
            component = fresh.add_pipe(COMPONENT)
            component.set_model(self.theme_ids, scorer.classifier, scorer.featurizer)
            fresh.to_disk(folder / "pipeline")
            (folder / "codebook.yaml").write_text(dump_codebook(self.codebook), encoding="utf-8")
            (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        self.meta = meta
        return path

    def _identity(self) -> dict[str, Any]:
        import sklearn

        return {
            "format_version": FORMAT_VERSION,
            "codebook": {
                "name": self.codebook.name,
                "version": self.codebook.version,
                "hash": self.codebook.content_hash(),
            },
            "theme_ids": self.theme_ids,
            "versions": {
                "coder": __version__,
                "spacy": spacy.__version__,
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "python": platform.python_version(),
            },
        }


def check_model_folder(path: str | Path, force: bool = False) -> Path:
    """Refuse to write a model over a file, over a non-empty folder unless `force`, and over a
    folder that is not a model at all (saving replaces the whole folder)."""
    if str(path) in ("-", ""):
        raise OutputError("a model is a folder: give its name with -o, e.g. -o models/mine")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file; give the name of a folder for the model")
    if path.exists() and any(path.iterdir()):
        if not force:
            raise OutputError(f"{path} already exists; use --force to overwrite it")
        if not any((path / name).exists() for name in ("meta.json", "pipeline")):
            raise OutputError(
                f"{path} holds files but no coder model; --force replaces only a model "
                "folder: give the name of a new folder"
            )
    return path


def comment_text(value: Any) -> str:
    """A comment as text: a str as it is, a number as written, None or NaN as blank; anything
    else (bytes, a list) is refused rather than tagged as an empty comment."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"a comment must be text, not {type(value).__name__}: {value!r:.60}")


_WORKER_MODEL: ThemeModel | None = None
# Results kept for repeated texts: enough for the short answers that repeat, bounded in memory.
_MEMO_LIMIT = 5_000
# Words tagging may add to the vocabulary for good (see ThemeModel._vocabulary_zone).
VOCABULARY_GROWTH = 20_000


def _copy(result: CommentResult) -> CommentResult:
    """An independent copy of a result for a repeated text (Suggestion and Evidence are frozen)."""
    return CommentResult(result.text, dict(result.scores), list(result.suggestions))


def _tag_batch(job: tuple[list[str], bool]) -> list[CommentResult]:
    """Runs in a forked worker, which inherits the model from its parent."""
    assert _WORKER_MODEL is not None
    return _WORKER_MODEL.tag_batch(*job)


@cache
def _blas_controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def pattern_evidence(doc: Doc, text: str | None = None) -> dict[str, list[Evidence]]:
    """The doc's non-negated pattern matches, grouped by theme id (`text`: the doc's, if known)."""
    found: dict[str, list[Evidence]] = {}
    strings = doc.vocab.strings
    for label, start, end, negated in doc.user_data.get(HITS, ()):
        if not negated:
            text = doc.text if text is None else text
            begin, last = doc[start], doc[end - 1]
            begin_char, end_char = begin.idx, last.idx + len(last)
            found.setdefault(strings[label], []).append(
                Evidence(text[begin_char:end_char], begin_char, end_char, "pattern")
            )
    return found


def rule_hit_matrix(evidence: list[dict[str, list[Evidence]]], theme_ids: list[str]) -> np.ndarray:
    """A 0/1 matrix (comments x themes): which themes' patterns matched, from `pattern_evidence`."""
    column = {theme: j for j, theme in enumerate(theme_ids)}
    hits = np.zeros((len(evidence), len(theme_ids)), dtype=bool)
    for i, found in enumerate(evidence):
        for theme in found:  # most comments match a pattern of one theme or none
            if theme in column:
                hits[i, column[theme]] = True
    return hits


def load_model(path: str | Path, codebook: Codebook | str | Path | None = None) -> ThemeModel:
    """Load a model folder, or a shipped model by name (`"coproduction"`); with `codebook`,
    check it is the one the model was trained with."""
    path = resolve("models", str(path))
    if path.is_file():  # a codebook, most likely: a model is a folder
        raise ModelError(
            f"{path} is a file, not a model folder; a codebook alone is tagged with -c (in "
            "Python, cold_start), a model made with `coder train`"
        )
    if not path.is_dir():
        raise ModelError(f"model folder {path} does not exist; train one with `coder train`")
    meta = _read_meta(path)
    try:
        stored = parse_codebook(
            (path / "codebook.yaml").read_text(encoding="utf-8"),
            str(path / "codebook.yaml"),
            stored=True,
        )
    except (OSError, CodebookError) as exc:
        raise ModelError(f"model folder {path} is corrupt: codebook.yaml: {exc}") from None
    recorded = meta.get("codebook")
    if isinstance(recorded, dict) and recorded.get("hash") != stored.content_hash():
        raise ModelError(  # its pipeline holds the patterns trained with: half would apply
            f"model folder {path} is corrupt: its codebook.yaml was changed after training "
            "(meta.json records another). Put the original back, or retrain with `coder train "
            "... -c CODEBOOK` on the changed one"
        )
    if codebook is not None:
        given = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
        _check_same_codebook(path, meta, given)
    try:
        nlp = spacy.load(path / "pipeline")
    except Exception as exc:  # spaCy raises many kinds for a damaged folder
        raise ModelError(
            f"model folder {path} is corrupt: cannot load pipeline/ ({exc}); "
            "retrain it with `coder train`"
        ) from None
    if nlp.get_pipe(COMPONENT).theme_ids != stored.codable_ids:
        raise ModelError(f"model folder {path} is corrupt: theme ids do not match codebook.yaml")
    return ThemeModel(stored, nlp, _decision(path, meta, stored), meta)


def _read_meta(path: Path) -> dict[str, Any]:
    missing = [n for n in MODEL_ENTRIES if not (path / n).exists()]
    if missing:
        raise ModelError(
            f"model folder {path} is corrupt or not a coder model: missing {', '.join(missing)}; "
            "retrain it with `coder train`"
        )
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"model folder {path} is corrupt: meta.json: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelError(f"model folder {path} is corrupt: meta.json is not a JSON object")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelError(
            f"model folder {path} has format {meta.get('format_version')!r}; this coder reads "
            f"format {FORMAT_VERSION}: retrain it with `coder train`"
        )
    return meta


def _check_same_codebook(path: Path, meta: dict[str, Any], codebook: Codebook) -> None:
    trained_with = meta.get("codebook")
    if not isinstance(trained_with, dict) or "hash" not in trained_with:
        raise ModelError(f"model folder {path} is corrupt: meta.json has no codebook hash")
    trained = trained_with["hash"]
    if trained != codebook.content_hash():
        raise ModelError(
            f"the codebook does not match model {path}: the model was trained with codebook "
            f"'{trained_with.get('name')}' version {trained_with.get('version')} "
            f"(hash {str(trained)[:12]}), this one has hash {codebook.content_hash()[:12]}. "
            "Retrain with `coder train ... -c CODEBOOK`, or leave out -c to use the model's "
            "own codebook"
        )


def _decision(path: Path, meta: dict[str, Any], codebook: Codebook) -> Decision:
    try:
        return Decision.from_dict(meta["decision"], codebook.codable_ids)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelError(f"model folder {path} is corrupt: meta.json decision: {exc!r}") from None
