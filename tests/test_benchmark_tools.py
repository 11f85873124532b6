"""The benchmark scripts' own plumbing: where they find the NHS data, outer_cv's vectors, and
review_order_dev's bound."""

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import baselines
import outer_cv
import review_order_dev
from conftest import TINY_LABELLED

from coder.model import load_model


def write_split(folder: Path) -> None:
    rows = (
        "id,text,codes\n1,Parking was a nightmare.,Parking\n"
        '2,Lovely staff.,"Staff manner & personal attributes"\n'
    )
    (folder / "train.csv").write_text(rows, encoding="utf-8")
    (folder / "test.csv").write_text(rows, encoding="utf-8")


def test_data_dir_refuses_a_folder_without_the_split(tmp_path):
    (tmp_path / "train.csv").write_text("id,text,codes\n", encoding="utf-8")
    with pytest.raises(argparse.ArgumentTypeError) as raised:
        baselines.data_dir(str(tmp_path))
    assert str(raised.value) == (
        f"{tmp_path} has no test.csv: pass --data with the folder of the NHS split "
        "(train.csv, test.csv), or set CODER_NHS_DATA"
    )


def test_data_dir_accepts_a_folder_with_both_splits(tmp_path):
    write_split(tmp_path)
    assert baselines.data_dir(str(tmp_path)) == tmp_path


def test_outer_cv_refuses_a_wrong_data_folder(tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        outer_cv.main(["--data", str(tmp_path), "--list-texts", str(tmp_path / "t.json")])
    assert raised.value.code == 2
    assert "has no train.csv or test.csv" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()


def test_list_texts_writes_the_comments_and_the_codebook_texts(tmp_path):
    write_split(tmp_path)
    listed = tmp_path / "texts.json"
    assert outer_cv.main(["--data", str(tmp_path), "--list-texts", str(listed)]) == 0
    texts = json.loads(listed.read_text(encoding="utf-8"))
    assert {"Parking was a nightmare.", "Lovely staff.", "Parking"} <= set(texts)
    assert texts == sorted(set(texts))


def test_vector_table_looks_rows_up_by_text(tmp_path):
    path = tmp_path / "vectors.npz"
    vectors = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.savez(path, texts=np.array(["a", "b", "c"]), vectors=vectors)
    table = outer_cv.VectorTable(path)
    assert table.dims == 2
    np.testing.assert_array_equal(table.encode(["c", "a", "c"]), vectors[[2, 0, 2]])
    assert table.encode([]).shape == (0, 2)
    with pytest.raises(SystemExit) as raised:
        table.encode(["a", "unseen"])
    assert str(raised.value) == (
        "1 texts have no vector (first: 'unseen'); write the texts again with --list-texts "
        "and rerun teacher_vectors.py"
    )


def test_errors_order_draws_the_comments_the_model_gets_wrong_first(tiny_model):
    model = load_model(tiny_model)
    texts = [text for _, text, _ in TINY_LABELLED]
    gold = [list(r.codes) for r in model.tag(texts, evidence=False)]
    wrong = {4, 9}  # gold codes the model cannot give: ten errors each, against none elsewhere
    for i in wrong:
        gold[i] = gold[i] + [f"unknown_{k}" for k in range(10)]
    ranks = []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        order = review_order_dev.errors_order(model, (texts, gold), [0, 1], list(range(12)), rng)
        assert sorted(order) == list(range(2, 12))  # every unlabelled comment, once
        ranks += [order.index(i) for i in wrong]
    # drawn by chance in proportion to errors + 0.1: about 0.6 on average, 4.5 if drawn evenly
    assert np.mean(ranks) < 1.5
