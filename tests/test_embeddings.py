"""The shipped static embeddings: loading, the pure-Python WordPiece, encode and similarity."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from coder import embeddings as embeddings_module
from coder.embeddings import FILE_NAME, StaticEmbeddings, basic_tokens
from coder.resources import shipped


@pytest.fixture(scope="module")
def emb() -> StaticEmbeddings:
    return StaticEmbeddings.load()


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_shipped_file_loads_and_matches_its_checksum(emb):
    folder = shipped("models", "static_minilm")
    assert folder is not None
    npz = folder / FILE_NAME
    recorded = (folder / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256(npz.read_bytes()).hexdigest() == recorded
    assert emb.vectors.dtype == np.float16
    assert emb.vectors.shape == (len(emb.tokens), emb.dims)
    assert emb.dims == emb.meta["dims"] == 256
    assert emb.meta["continuing_subword_prefix"] == "##"
    assert emb.meta["source_sha256"]["model.safetensors"] == (
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    )
    assert StaticEmbeddings.load(folder).tokens == emb.tokens  # a folder or the file itself
    assert StaticEmbeddings.load(npz).dims == emb.dims


@pytest.mark.parametrize(
    ("word", "pieces"),
    [
        ("hello", ["hello"]),
        ("coproduction", ["cop", "##rod", "##uc", "##tion"]),
        ("Co-production", ["co", "-", "production"]),
        ("box-ticking!", ["box", "-", "ticking", "!"]),
        ("tokenistic", ["token", "##istic"]),
        ("Café", ["cafe"]),  # lower-cased, accent stripped
        ("😀", ["[UNK]"]),
        ("a" * 101, ["[UNK]"]),  # over 100 characters
        ("", []),
    ],
)
def test_wordpiece_split(emb, word, pieces):
    assert emb.pieces(word) == pieces


def test_basic_tokens_like_bert():
    assert basic_tokens("Don't\tSTOP, naïve!") == ["don", "'", "t", "stop", ",", "naive", "!"]
    assert basic_tokens("zero\u200bwidth soft\u00adhyphen") == ["zerowidth", "softhyphen"]
    assert basic_tokens("日本 x") == ["日", "本", "x"]
    assert basic_tokens("“quoted” — €5") == ["“", "quoted", "”", "—", "€5"]


@pytest.mark.parametrize("odd", ["😀", "\x00\x01", "\ufffd", "a" * 500, "[UNK]", "[[[", "x\u0301"])
def test_word_vector_of_odd_strings(emb, odd):
    vector, count = emb.word_vector(odd)
    assert vector.shape == (emb.dims,) and vector.dtype == np.float32
    assert np.all(np.isfinite(vector))
    assert count >= 0
    if count == 0:
        assert not vector.any()


def test_word_vector_is_the_sum_of_its_pieces(emb):
    vector, count = emb.word_vector("coproduction")
    rows = [emb.vocab[p] for p in emb.pieces("coproduction")]
    assert count == 4
    np.testing.assert_allclose(vector, emb.vectors[rows].astype(np.float32).sum(axis=0), rtol=1e-6)
    assert not vector.flags.writeable  # the cached array cannot be changed by a caller


def test_encode_empty_and_hello(emb):
    out = emb.encode(["", "hello"])
    assert out.shape == (2, emb.dims) and out.dtype == np.float32
    assert not out[0].any()
    assert np.linalg.norm(out[1]) > 0
    np.testing.assert_allclose(out[1], emb.word_vector("hello")[0])
    assert emb.encode([]).shape == (0, emb.dims)
    assert not emb.encode(["   \n", "😀"]).any()


def test_encode_is_the_mean_over_pieces(emb):
    text = "Co-production felt like box-ticking, honestly.  Café?"
    sums = [emb.word_vector(word) for word in text.split()]
    expected = sum(v for v, _ in sums) / sum(n for _, n in sums)
    np.testing.assert_allclose(emb.encode([text])[0], expected, rtol=1e-5, atol=1e-6)
    unit = emb.encode([text, "hello"], normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-5)
    # The batch layout (grouping texts by length) does not change a text's row.
    many = emb.encode(["hello", text, "", "a b", text])
    np.testing.assert_allclose(many[1], many[4])
    np.testing.assert_allclose(many[1], emb.encode([text])[0], rtol=1e-6)


def test_pool_gives_the_mean_and_each_leading_dimensions_extremes_over_the_pieces(emb):
    text = "Co-production felt like box-ticking, honestly.  Café?"
    pieces = emb._vectors32[list(emb.text_piece_ids(text))]
    texts = ["hello", text, "", "a b", text]
    means, maxima, minima = emb.pool(texts, extremes=8)
    assert means.shape == (5, emb.dims) and maxima.shape == minima.shape == (5, 8)
    np.testing.assert_array_equal(means, emb.encode(texts))
    np.testing.assert_array_equal(maxima[1], pieces[:, :8].max(axis=0))
    np.testing.assert_array_equal(minima[1], pieces[:, :8].min(axis=0))
    assert (maxima[1] > minima[1]).all()
    # one piece: its own vector is both extremes; no piece: zeros; the batch layout is no matter
    np.testing.assert_array_equal(maxima[0], emb.word_vector("hello")[0][:8])
    np.testing.assert_array_equal(minima[0], maxima[0])
    assert not maxima[2].any() and not minima[2].any()
    np.testing.assert_array_equal(maxima[1], maxima[4])
    assert [block.shape for block in emb.pool(["hello"])] == [(1, emb.dims), (1, 0), (1, 0)]


def test_similar_sentences_are_closer(emb):
    box, ticking, weather, time_a, time_b = emb.encode(
        [
            "It felt like a box-ticking exercise.",
            "Co-production was just ticking boxes for the inspection.",
            "The weather was lovely at the seaside.",
            "We never have enough time to involve people.",
            "There is no time because of the workload.",
        ]
    )
    assert _cosine(box, ticking) > 0.4
    assert _cosine(time_a, time_b) > 0.4
    assert _cosine(box, ticking) > _cosine(box, weather) + 0.2
    assert _cosine(time_a, time_b) > _cosine(time_a, weather) + 0.2


def test_cache_is_capped(emb, monkeypatch):
    fresh = StaticEmbeddings(emb.vectors, emb.tokens)
    monkeypatch.setattr(embeddings_module, "_CACHE_LIMIT", 3)
    for word in ["one", "two", "three", "four", "five"]:
        fresh.word_vector(word)
    assert len(fresh._ids_cache) <= 3
    assert len(fresh._vector_cache) <= 3


def test_mismatched_table_is_an_error():
    with pytest.raises(ValueError, match="does not match"):
        StaticEmbeddings(np.zeros((2, 4), dtype=np.float16), ["a"])
