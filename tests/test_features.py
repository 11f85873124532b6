"""The classifier's dense block: sentence embeddings, with and without their extremes."""

from __future__ import annotations

import numpy as np
import pytest

from coder.embeddings import StaticEmbeddings
from coder.features import EXTREMES_WEIGHT, Featurizer

TEXTS = ["We never have the time for it.", "", "The budget was cut, so no bus fares."]


@pytest.fixture(scope="module")
def table() -> StaticEmbeddings:
    return StaticEmbeddings.load()


def test_without_extremes_the_dense_block_is_the_mean(table: StaticEmbeddings) -> None:
    featurizer = Featurizer(embeddings="static_minilm")
    np.testing.assert_array_equal(featurizer.dense([], TEXTS), table.encode(TEXTS))
    assert Featurizer().dense([], TEXTS) is None


def test_extremes_sit_beside_the_mean_each_block_unit_length_then_weighted(
    table: StaticEmbeddings,
) -> None:
    dense = Featurizer(embeddings="static_minilm", extremes=16).dense([], TEXTS)
    dims = table.dims
    assert dense.shape == (3, dims + 32) and dense.dtype == np.float32
    means, maxima, minima = table.pool(TEXTS, 16)
    blocks = (dense[:, :dims], dense[:, dims : dims + 16], dense[:, dims + 16 :])
    lengths = (1.0, EXTREMES_WEIGHT, EXTREMES_WEIGHT)
    for block, raw, length in zip(blocks, (means, maxima, minima), lengths, strict=True):
        np.testing.assert_allclose(np.linalg.norm(block[[0, 2]], axis=1), length, rtol=1e-5)
        np.testing.assert_allclose(block[0], length * raw[0] / np.linalg.norm(raw[0]), rtol=1e-5)
    assert not dense[1].any()  # an empty comment has no pieces: a zero row, not NaN


def test_the_setting_round_trips_and_an_older_config_means_no_extremes(
    table: StaticEmbeddings,
) -> None:
    featurizer = Featurizer(embeddings="static_minilm", extremes=16)
    assert featurizer.config()["extremes"] == 16
    again = Featurizer(**featurizer.config())
    np.testing.assert_array_equal(again.dense([], TEXTS), featurizer.dense([], TEXTS))
    older = {k: v for k, v in featurizer.config().items() if k != "extremes"}
    np.testing.assert_array_equal(Featurizer(**older).dense([], TEXTS), table.encode(TEXTS))
