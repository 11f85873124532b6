"""Static word embeddings distilled from all-MiniLM-L6-v2, read with numpy alone.

`models/static_minilm/static_minilm.npz` (built by `models/build_static_embeddings.py` with
model2vec) holds one float16 vector per WordPiece token of the BERT uncased vocabulary, the
vocabulary in row order, and the tokenizer's settings. This module re-implements the BERT
uncased tokenizer (normalizer, pre-tokenizer and WordPiece) in pure Python, so nothing but numpy is
needed at run time: no torch, no transformers, no tokenizers, no model2vec.

A text's vector is the mean of the vectors of all its WordPiece pieces, which is exactly
model2vec's mean pooling (`StaticModel.encode`, before its optional normalisation to unit length).
Pieces that are `[UNK]` (a word with a character the vocabulary lacks, or over 100 characters)
are left out of both the sum and the count, as model2vec leaves them out.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

FILE_NAME = "static_minilm.npz"
# Bound on cached words: a million-row file must not grow memory without limit.
_CACHE_LIMIT = 20_000
# Texts are encoded this many at a time, to bound the memory of the gathered piece vectors.
_BATCH = 4096

# ASCII control characters that the BERT normalizer deletes (\t, \n and \r become spaces).
_ASCII_CLEAN = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
_ASCII_CLEAN.update({0x09: " ", 0x0A: " ", 0x0D: " "})
# Control characters that Python's str.split() splits on but BERT deletes (joining the words).
_SPLIT_CONTROLS = {c: None for c in (0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x1F, 0x85)}
# Lower-cased printable ASCII: runs of letters and digits, or one punctuation character.
_ASCII_PIECES = re.compile(r"[a-z0-9]+|[^a-z0-9\s]")
# Special tokens that the original tokenizer recognises in raw text before normalising.
_SPECIAL = re.compile(r"(\[PAD\]|\[UNK\])")
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


def unit_rows(block: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length; a zero row stays zero."""
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    return block / np.where(norms == 0, 1, norms)


def _is_cjk(cp: int) -> bool:
    return any(low <= cp <= high for low, high in _CJK_RANGES)


def _is_punct(char: str) -> bool:
    """BERT's punctuation: any ASCII non-alphanumeric symbol, or a Unicode P* character."""
    if char.isascii():
        return not char.isalnum() and char.isprintable() and char != " "
    return unicodedata.category(char).startswith("P")


def basic_tokens(text: str) -> list[str]:
    """BERT uncased normalisation and pre-tokenisation: the words WordPiece then splits.

    Deletes control and format characters, puts spaces round CJK ideographs, strips accents
    (NFD, then drops non-spacing marks), lower-cases character by character, splits on whitespace
    and makes every punctuation character a token of its own, as Hugging Face's `BertNormalizer`
    (lowercase, strip_accents unset) and `BertPreTokenizer` do.
    """
    if text.isascii():
        if not text.isprintable():
            text = text.translate(_ASCII_CLEAN)
        return _ASCII_PIECES.findall(text.lower())
    chars = []
    for char in text:
        if char in "\t\n\r":
            chars.append(" ")
            continue
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or unicodedata.category(char)[0] == "C":
            continue
        if char.isspace():
            chars.append(" ")
        elif _is_cjk(cp):
            chars.extend((" ", char, " "))
        else:
            chars.append(char)
    text = unicodedata.normalize("NFD", "".join(chars))
    # Per character, as the Rust tokenizer does (so no final-sigma rule).
    text = "".join(c.lower() for c in text if unicodedata.category(c) != "Mn")
    out: list[str] = []
    for word in text.split():
        if word.isalnum():
            out.append(word)
            continue
        start = 0
        for i, char in enumerate(word):
            if _is_punct(char):
                if start < i:
                    out.append(word[start:i])
                out.append(char)
                start = i + 1
        if start < len(word):
            out.append(word[start:])
    return out


class StaticEmbeddings:
    """A static embedding table over the BERT uncased WordPiece vocabulary.

    `encode(texts)` gives each text the mean of its pieces' vectors, which is model2vec's mean
    pooling; `pool(texts, extremes)` gives that mean beside each leading dimension's maximum and
    minimum over the pieces; `word_vector(word)` gives the sum and the number of one word's
    pieces, so a caller can pool words itself (sum the sums, divide by the summed counts) and get
    the same mean.
    """

    def __init__(
        self,
        vectors: np.ndarray,
        vocab: list[str],
        *,
        unk_token: str = "[UNK]",
        prefix: str = "##",
        max_chars: int = 100,
        meta: dict | None = None,
    ):
        if vectors.ndim != 2 or vectors.shape[0] != len(vocab):
            raise ValueError(
                f"embedding matrix {vectors.shape} does not match a vocabulary of {len(vocab)}"
            )
        self.vectors = vectors
        # Summed in float32: the float16 table as stored, widened once (vocab x dims x 4 bytes).
        self._vectors32 = np.asarray(vectors, dtype=np.float32)
        self.tokens = list(vocab)
        self.vocab = {token: row for row, token in enumerate(vocab)}
        self.unk_id = self.vocab.get(unk_token, -1)
        self.pad_id = self.vocab.get("[PAD]", -1)
        self.prefix = prefix
        self.max_chars = max_chars
        self.meta = dict(meta or {})
        self._ids_cache: dict[str, tuple[int, ...]] = {}
        self._vector_cache: dict[str, tuple[np.ndarray, int]] = {}

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    @classmethod
    def load(cls, path: str | Path | None = None) -> StaticEmbeddings:
        """Load the `.npz` at `path` (a file, or a folder holding `static_minilm.npz`).

        With no path, the one that ships with coder (`models/static_minilm`).
        """
        if path is None:
            from coder.resources import shipped

            path = shipped("models", "static_minilm")
            if path is None:
                raise FileNotFoundError("the shipped models/static_minilm folder is missing")
        path = Path(path)
        if path.is_dir():
            path = path / FILE_NAME
        # allow_pickle=False: the vocabulary is a plain unicode array, and loading runs no code.
        with np.load(path, allow_pickle=False) as data:
            vectors = data["embeddings"]
            vocab = data["vocab"].tolist()
            config = json.loads(str(data["config"]))
        return cls(
            vectors,
            vocab,
            unk_token=config["unk_token"],
            prefix=config["continuing_subword_prefix"],
            max_chars=config["max_input_chars_per_word"],
            meta=config,
        )

    def _wordpiece(self, word: str) -> list[int]:
        """Greedy longest-match-first WordPiece of one pre-token; [UNK] for the whole if stuck."""
        if len(word) > self.max_chars:
            return [self.unk_id]
        vocab = self.vocab
        ids = []
        start, end_of_word = 0, len(word)
        while start < end_of_word:
            end = end_of_word
            found = -1
            while start < end:
                piece = word[start:end]
                if start:
                    piece = self.prefix + piece
                found = vocab.get(piece, -1)
                if found >= 0:
                    break
                end -= 1
            if found < 0:
                return [self.unk_id]
            ids.append(found)
            start = end
        return ids

    def piece_ids(self, word: str) -> tuple[int, ...]:
        """The vocabulary rows of a word's pieces, [UNK] left out; cached per word."""
        cached = self._ids_cache.get(word)
        if cached is None:
            ids: list[int] = []
            segments = _SPECIAL.split(word) if "[" in word else [word]
            for segment in segments:
                if segment == "[PAD]":
                    ids.append(self.pad_id)
                elif segment and segment != "[UNK]":
                    for token in basic_tokens(segment):
                        ids.extend(self._wordpiece(token))
            cached = tuple(i for i in ids if i != self.unk_id and i >= 0)
            if len(self._ids_cache) >= _CACHE_LIMIT:
                self._ids_cache.clear()
            self._ids_cache[word] = cached
        return cached

    def pieces(self, word: str) -> list[str]:
        """The WordPiece pieces of a word as strings (for inspection), [UNK] included."""
        tokens = []
        for token in basic_tokens(word):
            for i in self._wordpiece(token):
                tokens.append(self.tokens[i] if i >= 0 else "[UNK]")
        return tokens

    def text_piece_ids(self, text: str) -> list[int]:
        """The vocabulary rows of all the pieces of a text, in order, [UNK] left out.

        The same rows as model2vec's `StaticModel.tokenize` (Hugging Face's tokenizer), word by
        whitespace-separated word through the per-word cache.
        """
        if not text.isascii() or not text.isprintable():
            text = text.translate(_SPLIT_CONTROLS)
        ids: list[int] = []
        for word in text.split():
            ids.extend(self.piece_ids(word))
        return ids

    def word_vector(self, word: str) -> tuple[np.ndarray, int]:
        """The sum of a word's piece vectors (float32, read-only) and the number of pieces.

        A word with no known piece (empty, only controls, or [UNK]) gives zeros and 0.
        """
        cached = self._vector_cache.get(word)
        if cached is None:
            ids = self.piece_ids(word)
            if ids:
                vector = self._vectors32[list(ids)].sum(axis=0)
            else:
                vector = np.zeros(self.dims, dtype=np.float32)
            vector.setflags(write=False)
            cached = (vector, len(ids))
            if len(self._vector_cache) >= _CACHE_LIMIT:
                self._vector_cache.clear()
            self._vector_cache[word] = cached
        return cached

    def encode(self, texts: list[str], normalize: bool = False) -> np.ndarray:
        """One row per text: the mean of all its pieces' vectors, float32, shape (n, dims).

        This is model2vec's mean pooling over the same pieces (model2vec's `encode` also truncates
        to 512 pieces by default and normalises to unit length; pass `normalize=True` for the
        latter). A text with no pieces (empty, whitespace, only unknown characters) is a zero row.
        """
        means = self.pool(texts)[0]
        return unit_rows(means) if normalize else means

    def pool(
        self, texts: list[str], extremes: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(means, maxima, minima): per text, the mean of its pieces' vectors (as `encode`), and
        the maximum and the minimum over its pieces of each of the first `extremes` dimensions,
        shapes (n, dims), (n, extremes), (n, extremes). A text with no pieces gives zero rows.

        The table's dimensions are principal components, largest variance first, so the first
        few carry most of what the extremes can add.
        """
        means = np.zeros((len(texts), self.dims), dtype=np.float32)
        maxima = np.zeros((len(texts), extremes), dtype=np.float32)
        minima = np.zeros((len(texts), extremes), dtype=np.float32)
        for begin in range(0, len(texts), _BATCH):
            # Texts with the same number of pieces are gathered as one (texts, pieces) block and
            # reduced along the pieces: far faster in numpy than a ragged reduce.
            by_length: dict[int, tuple[list[int], list[list[int]]]] = {}
            for row, text in enumerate(texts[begin : begin + _BATCH], start=begin):
                ids = self.text_piece_ids(text) if text else []
                if ids:
                    rows, blocks = by_length.setdefault(len(ids), ([], []))
                    rows.append(row)
                    blocks.append(ids)
            for length, (rows, blocks) in by_length.items():
                gathered = self._vectors32[np.asarray(blocks, dtype=np.intp)]
                means[rows] = gathered.sum(axis=1) / np.float32(length)
                if extremes:
                    maxima[rows] = gathered[:, :, :extremes].max(axis=1)
                    minima[rows] = gathered[:, :, :extremes].min(axis=1)
        return means, maxima, minima
