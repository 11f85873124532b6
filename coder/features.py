"""Hashed sparse features from spaCy docs: lemma uni- and bigrams, character n-grams, rule hits.

Features are hashed (no vocabulary to store), and each distinct word's features are computed once
per process and cached by its spaCy orth id, so character n-grams cost a dict lookup per token
instead of a string scan. Counts only; the classifier learns the TF-IDF weighting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np
from murmurhash.mrmr import hash as murmurhash
from scipy import sparse
from spacy.attrs import LEMMA, ORTH
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from coder.embeddings import StaticEmbeddings, unit_rows
from coder.errors import ModelError
from coder.rules import HITS

N_FEATURES = 1 << 22
# Word features (lemma n-grams, rule hits) hash into the lower half of the columns and character
# n-grams into the upper half, so the classifier can weigh the two blocks separately.
CHAR_OFFSET = N_FEATURES // 2
# Bound on cached words: a million-row file must not grow memory without limit.
_CACHE_LIMIT = 20_000
_BIGRAM_SALT = 0x9E3779B1
# Beside the mean of a comment's embedding pieces, their extremes (the maximum and the minimum of
# each leading dimension) each count this much: a mean blurs a comment's one telling word into
# its filler, an extreme keeps it.
EXTREMES_WEIGHT = 0.5


@cache
def static_embeddings(name: str) -> StaticEmbeddings:
    """A shipped static embedding table, loaded once per process."""
    from coder.resources import shipped

    folder = shipped("models", name)
    if folder is None:
        raise ModelError(f"the embeddings '{name}' are not installed (models/{name} is missing)")
    return StaticEmbeddings.load(folder)


def _murmur(text: str) -> int:
    """MurmurHash3 (32 bit, unsigned) of the UTF-8 text: the same values as scikit-learn's
    `murmurhash3_32(text, seed=17, positive=True)`, from spaCy's own murmurhash package."""
    return murmurhash(text, seed=17) & 0xFFFFFFFF


def _hash(text: str) -> int:
    return _murmur(text) % CHAR_OFFSET


@cache
def _rule_hash(theme: str, negated: bool) -> int:
    return _hash(("N:" if negated else "R:") + theme)


def _char_hash(text: str) -> int:
    return CHAR_OFFSET + _murmur(text) % CHAR_OFFSET


class Featurizer:
    """Turns docs (or spans) into rows of hashed feature counts."""

    def __init__(
        self,
        char_ngrams: tuple[int, int] = (3, 5),
        use_rules: bool = True,
        embeddings: str | None = None,
        extremes: int = 0,
    ):
        """`extremes`: how many leading embedding dimensions also give their maximum and
        minimum over the comment's pieces (0: the mean alone, as in a model saved without it)."""
        self.char_ngrams = tuple(char_ngrams)
        self.use_rules = use_rules
        self.embeddings = embeddings
        self.extremes = extremes
        # orth -> (lemma hash, unigram-level feature hashes); None for punctuation and spaces
        self._token_cache: dict[int, tuple[int, tuple[int, ...]] | None] = {}

    def config(self) -> dict[str, object]:
        return {
            "char_ngrams": list(self.char_ngrams),
            "use_rules": self.use_rules,
            "embeddings": self.embeddings,
            "extremes": self.extremes,
        }

    def dense(
        self, items: Sequence[Doc | Span], texts: Sequence[str] | None = None
    ) -> np.ndarray | None:
        """Sentence embeddings of the items' texts (pass them if you have them), if this
        featurizer uses them: the mean of each text's pieces, then (with `extremes`) their
        maxima and their minima, each block scaled to unit length and the extremes weighted."""
        if not self.embeddings:
            return None
        texts = list(texts) if texts is not None else [item.text for item in items]
        table = static_embeddings(self.embeddings)
        if not self.extremes:
            return table.encode(texts)
        means, maxima, minima = table.pool(texts, self.extremes)
        weight = np.float32(EXTREMES_WEIGHT)
        return np.hstack([unit_rows(means), weight * unit_rows(maxima), weight * unit_rows(minima)])

    def _word(self, orth: int, lemma: int, vocab: Vocab) -> tuple[int, tuple[int, ...]] | None:
        """(lemma hash, all unigram-level feature hashes) for a word; None for a word that
        carries no features (punctuation, spaces)."""
        lexeme = vocab[orth]
        if lexeme.is_space or lexeme.is_punct:
            return None
        text = lexeme.orth_
        lemma_hash = _hash("L:" + vocab.strings[lemma])
        grams = [lemma_hash]
        low, high = self.char_ngrams
        if high:
            word = f" {text.lower()} "
            for n in range(low, min(high, len(word)) + 1):
                grams.extend(_char_hash(word[i : i + n]) for i in range(len(word) - n + 1))
        return lemma_hash, tuple(grams)

    def _arrays(self, doc: Doc) -> list[list[int]]:
        """[orths, lemmas]: two flat lists (far cheaper than a list per token)."""
        return doc.to_array([ORTH, LEMMA]).reshape(len(doc), 2).T.tolist()

    def _features(self, doc: Doc, arrays: list[list[int]], start: int, end: int) -> list[int]:
        out: list[int] = []
        previous = None
        cache = self._token_cache
        orths, lemmas = arrays
        for orth, lemma in zip(orths[start:end], lemmas[start:end], strict=True):
            if orth in cache:
                word = cache[orth]
            else:
                word = self._word(orth, lemma, doc.vocab)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[orth] = word
            if word is None:
                previous = None
                continue
            out.extend(word[1])
            if previous is not None:
                out.append((previous * _BIGRAM_SALT + word[0]) % CHAR_OFFSET)
            previous = word[0]
        if self.use_rules:
            out.extend(self._rule_features(doc, start, end))
        return out

    def _rule_features(self, doc: Doc, start: int, end: int) -> Iterable[int]:
        for label, begin, stop, negated in doc.user_data.get(HITS, ()):
            if start <= begin and stop <= end:
                yield _rule_hash(doc.vocab.strings[label], negated)

    def matrices(
        self, items: Sequence[Doc | Span], texts: Sequence[str] | None = None
    ) -> tuple[sparse.csr_matrix, np.ndarray | None]:
        """(counts, dense): what the classifier takes."""
        return self.transform(items), self.dense(items, texts)

    def transform(self, items: Sequence[Doc | Span]) -> sparse.csr_matrix:
        """A count matrix, one row per doc or span, N_FEATURES columns."""
        indptr, indices = [0], []
        arrays: dict[int, list[list[int]]] = {}  # sentences of one doc share its arrays
        for item in items:
            doc = item.doc if isinstance(item, Span) else item
            if id(doc) not in arrays:
                arrays = {id(doc): self._arrays(doc)}
            start, end = (item.start, item.end) if isinstance(item, Span) else (0, len(doc))
            indices.extend(self._features(doc, arrays[id(doc)], start, end))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        matrix = sparse.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(items), N_FEATURES),
        )
        matrix.sum_duplicates()
        return matrix
