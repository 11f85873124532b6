"""The Python API as the README documents it for notebooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TINY_LABELLED

import coder
from coder import (
    CoderError,
    CommentResult,
    Evidence,
    Suggestion,
    cold_start,
    load_codebook,
    load_model,
    train,
)

pd = pytest.importorskip("pandas")

THEME_IDS = ["time", "cost", "box_ticking"]
ADDED = [*THEME_IDS, *(f"{t}_score" for t in THEME_IDS), "codes"]
TEXTS = [
    "We never get the time, the rota is packed.",
    "There was no budget for the bus fares.",
    "The weather was nice.",
    "Honestly it was ticking boxes for the inspectors.",
]


def test_the_documented_names_are_exported() -> None:
    assert set(coder.__all__) >= {
        "load_codebook",
        "load_model",
        "cold_start",
        "train",
        "CoderError",
        "CommentResult",
        "Suggestion",
        "Evidence",
        "Codebook",
        "Theme",
        "ThemeModel",
        "__version__",
    }
    for name in coder.__all__:
        assert getattr(coder, name) is not None


def test_tag_returns_comment_results(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    results = list(model.tag(TEXTS))
    assert all(isinstance(r, CommentResult) for r in results)
    assert [r.text for r in results] == TEXTS
    assert [r.codes for r in results] == [["time"], ["cost"], [], ["box_ticking"]]
    for result in results:
        assert list(result.scores) == THEME_IDS
        assert all(isinstance(s, Suggestion) for s in result.suggestions)
        for s in result.suggestions:
            assert s.theme in THEME_IDS and s.source in {"model", "rule"}
            assert all(isinstance(e, Evidence) for e in s.evidence)
            assert [result.text[e.start : e.end] for e in s.evidence] == [
                e.text for e in s.evidence
            ]
    [box] = results[3].suggestions
    assert box.evidence == (Evidence("ticking boxes", 16, 29, "pattern"),)
    as_json = json.loads(json.dumps(results[3].to_dict()))
    assert as_json["codes"] == ["box_ticking"]
    assert as_json["suggestions"][0]["evidence"] == [
        {"text": "ticking boxes", "start": 16, "end": 29, "kind": "pattern"}
    ]


def test_tag_is_lazy_and_accepts_any_iterable(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    results = model.tag(text for text in TEXTS)
    assert not isinstance(results, list)
    assert next(results).codes == ["time"]
    assert model.tag_one("Funding was cut again.").codes == ["cost"]


def test_train_from_lists_and_save(tiny_codebook: Path, tmp_path: Path) -> None:
    book = load_codebook(tiny_codebook)
    texts = [text for _, text, _ in TINY_LABELLED]
    codes = [[c for c in cell.split(";") if c] for _, _, cell in TINY_LABELLED]
    model = train(book, texts, codes, folds=3)
    assert set(model.meta["cv"]["micro"]) == {"precision", "recall", "f1"}
    model.save(tmp_path / "mine")
    again = load_model(tmp_path / "mine")
    assert [r.codes for r in again.tag(TEXTS)] == [r.codes for r in model.tag(TEXTS)]


def test_cold_start_from_a_codebook(tiny_codebook: Path) -> None:
    model = cold_start(load_codebook(tiny_codebook))
    result = model.tag_one("It is just a box-ticking exercise")
    assert result.codes == ["box_ticking"]


def test_tag_frame_adds_the_wide_columns(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    frame = pd.DataFrame(
        {"respondent": ["a", "b", "c", "d"], "comment": TEXTS}, index=[10, 20, 30, 40]
    )
    coded = model.tag_frame(frame, "comment")
    assert list(coded.columns) == ["respondent", "comment", *ADDED]
    assert list(coded.index) == [10, 20, 30, 40]
    assert list(frame.columns) == ["respondent", "comment"]  # the input is not changed
    assert coded["codes"].tolist() == [["time"], ["cost"], [], ["box_ticking"]]
    assert coded["time"].tolist() == [1, 0, 0, 0]
    assert coded["cost"].tolist() == [0, 1, 0, 0]
    assert coded["box_ticking"].tolist() == [0, 0, 0, 1]
    expected = list(model.tag(TEXTS))
    for theme in THEME_IDS:
        assert coded[f"{theme}_score"].tolist() == pytest.approx(
            [r.scores[theme] for r in expected]
        )
    assert coded.loc[20, "respondent"] == "b" and coded.loc[20, "codes"] == ["cost"]


def test_tag_frame_prefixes_clashing_columns(tiny_model: Path) -> None:
    frame = pd.DataFrame(
        {"comment": TEXTS[:2], "codes": ["mine", "mine"], "cost_score": [1.5, 2.5]}
    )
    coded = load_model(tiny_model).tag_frame(frame, "comment")
    assert list(coded.columns) == [
        "comment",
        "codes",
        "cost_score",
        "time",
        "cost",
        "box_ticking",
        "time_score",
        "coder_cost_score",
        "box_ticking_score",
        "coder_codes",
    ]
    assert coded["codes"].tolist() == ["mine", "mine"]
    assert coded["cost_score"].tolist() == [1.5, 2.5]
    assert coded["coder_codes"].tolist() == [["time"], ["cost"]]
    assert coded["coder_cost_score"].tolist()[1] > 0.5


def test_tag_frame_with_missing_values(tiny_model: Path) -> None:
    frame = pd.DataFrame({"comment": [TEXTS[0], None, float("nan"), "  "]})
    coded = load_model(tiny_model).tag_frame(frame, "comment")
    assert coded["codes"].tolist() == [["time"], [], [], []]


def test_tag_frame_missing_column_lists_the_columns(tiny_model: Path) -> None:
    frame = pd.DataFrame({"respondent": ["a"], "answer text": ["No time."]})
    with pytest.raises(CoderError) as caught:
        load_model(tiny_model).tag_frame(frame, "comment")
    assert str(caught.value) == (
        "no column 'comment' in the DataFrame; the columns are: respondent, answer text"
    )


def test_errors_are_coder_errors(tmp_path: Path) -> None:
    with pytest.raises(CoderError, match="does not exist"):
        load_model(tmp_path / "nope")
    with pytest.raises(CoderError, match="no such file"):
        load_codebook(tmp_path / "nope.yaml")


def test_python_m_coder_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "coder", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"coder, version {coder.__version__}\n"
    assert coder.__version__ == "0.1.0"


@pytest.mark.skipif(
    not (ROOT / "models" / "coproduction" / "meta.json").is_file(),
    reason="the shipped model is not built yet",
)
def test_the_docstring_example_with_the_shipped_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    model = load_model("models/coproduction")
    assert [r.codes for r in model.tag(["It felt like a box-ticking exercise."])] == [
        ["box_ticking"]
    ]
    assert len(model.theme_ids) == 17
