"""Training, the model folder, loading it back, and what tagging returns."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import sklearn
import spacy
from conftest import TINY_CODEBOOK, TINY_LABELLED

from coder.codebook import Codebook
from coder.codebook_io import load_codebook, parse_codebook
from coder.decision import Decision
from coder.errors import InputError, ModelError, OutputError
from coder.model import COMPONENT, ThemeModel, load_model
from coder.results import CommentResult, Evidence
from coder.training import CANDIDATES, EMBEDDINGS, EXTREMES, cold_start, text_hash, train

TEXTS = [text for _, text, _ in TINY_LABELLED]
CODES = [[c for c in cell.split(";") if c] for _, _, cell in TINY_LABELLED]
THEME_IDS = ["time", "cost", "box_ticking"]
LABELS = {"time": "Time", "cost": "Cost", "box_ticking": "Box-ticking"}
UNSEEN = [
    "We never get the time, the rota is packed.",
    "There was no budget for the bus fares.",
    "Honestly it was ticking boxes for the inspectors. Nobody listened.",
    "The weather was nice.",
]


@pytest.fixture(scope="module")
def book() -> Codebook:
    return parse_codebook(TINY_CODEBOOK, "tiny.yaml")


@pytest.fixture(scope="module")
def trained(book: Codebook) -> ThemeModel:
    return train(book, TEXTS, CODES, folds=3)


@pytest.fixture
def broken_copy(tiny_model: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model folder that a test may damage."""
    return Path(shutil.copytree(tiny_model, tmp_path / "model"))


def check_suggestions(result: CommentResult, codebook: Codebook) -> None:
    """Every suggestion names a codable theme and points at text that is really there."""
    assert result.codes == [s.theme for s in result.suggestions]
    assert result.codes == [t for t in codebook.codable_ids if t in result.codes]  # book order
    for s in result.suggestions:
        assert s.theme in codebook.codable_ids
        assert s.label == codebook.theme(s.theme).label
        assert 0.0 <= s.score <= 1.0
        assert s.source in {"rule", "model"}
        assert s.evidence, f"no evidence for {s.theme} in {result.text!r}"
        for e in s.evidence:
            assert e.kind in {"pattern", "sentence"}
            assert 0 <= e.start < e.end <= len(result.text)
            assert result.text[e.start : e.end] == e.text


# --- training --------------------------------------------------------------------------------


def test_train_reports_cross_validated_figures_per_theme(trained: ThemeModel) -> None:
    cv = trained.meta["cv"]
    assert trained.meta["cv_folds"] == 3
    assert cv["n"] == len(TEXTS)
    assert list(cv["themes"]) == THEME_IDS
    supports = {t: sum(t in codes for codes in CODES) for t in THEME_IDS}
    assert (
        {t: m["support"] for t, m in cv["themes"].items()}
        == supports
        == {
            "time": 4,
            "cost": 4,
            "box_ticking": 3,
        }
    )
    for figures in [cv["micro"], cv["macro"], *cv["themes"].values()]:
        for key in ("precision", "recall", "f1"):
            assert 0.0 <= figures[key] <= 1.0
    # The tiny data is easy: cross-validation should find most of it.
    assert cv["micro"]["f1"] >= 0.7
    learned = trained.meta["trained_on"]
    assert (learned["labelled"], learned["codebook_texts"]) == (12, 15)
    # a fingerprint of every distinct labelled text, so status can leave them out
    assert learned["text_hashes"] == sorted({text_hash(t) for _, t, _ in TINY_LABELLED})
    assert len(learned["text_hashes"]) == 12 and text_hash(" a ") == text_hash("a")


def test_train_without_enough_rows_for_folds_has_no_cv(book: Codebook) -> None:
    model = train(book, TEXTS[:4], CODES[:4], folds=3)
    assert model.meta["cv"] is None
    assert model.meta["cv_folds"] == 0
    assert model.tag_one("We never have the time for it.").codes == ["time"]


def test_trained_model_codes_clear_comments(trained: ThemeModel) -> None:
    results = list(trained.tag(UNSEEN))
    assert [r.codes for r in results] == [
        ["time"],
        ["cost"],
        ["box_ticking"],
        [],
    ]


# --- the model folder ------------------------------------------------------------------------


def test_save_writes_pipeline_codebook_and_meta(
    trained: ThemeModel, book: Codebook, tmp_path: Path
) -> None:
    folder = trained.save(tmp_path / "model")
    assert folder == tmp_path / "model"
    assert sorted(p.name for p in folder.iterdir()) == ["codebook.yaml", "meta.json", "pipeline"]
    assert (folder / "pipeline" / "coder_themes" / "classifier.npz").is_file()
    assert (folder / "pipeline" / "coder_rules" / "patterns.json").is_file()

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["codebook"] == {"name": "Tiny", "version": "1", "hash": book.content_hash()}
    assert meta["theme_ids"] == THEME_IDS
    assert meta["format_version"] == 1
    assert set(meta["decision"]["thresholds"]) == set(THEME_IDS)
    assert all(0 < v < 1 for v in meta["decision"]["thresholds"].values())
    assert set(meta["decision"]["trust_rules"]) == set(THEME_IDS)
    assert set(meta["decision"]["rule_precision"]) == set(THEME_IDS)
    assert meta["decision"]["at_least_one"] is False
    assert meta["versions"]["spacy"] == spacy.__version__
    assert meta["versions"]["scikit-learn"] == sklearn.__version__
    assert {"coder", "numpy", "python"} <= set(meta["versions"])
    assert meta["cv"] == trained.meta["cv"]

    # The stored codebook is the same codebook, by content.
    stored = load_codebook(folder / "codebook.yaml")
    assert stored.content_hash() == book.content_hash()


def test_load_model_round_trips_scores_and_codes(trained: ThemeModel, tmp_path: Path) -> None:
    loaded = load_model(trained.save(tmp_path / "model"))
    texts = [*TEXTS, *UNSEEN, ""]
    before, after = list(trained.tag(texts)), list(loaded.tag(texts))
    for a, b in zip(before, after, strict=True):
        assert a.codes == b.codes
        assert a.scores.keys() == b.scores.keys()
        for theme in a.scores:
            assert a.scores[theme] == pytest.approx(b.scores[theme], abs=1e-6)
        assert a.suggestions == b.suggestions
    assert loaded.decision == trained.decision
    assert loaded.theme_ids == THEME_IDS


def test_a_model_with_embeddings_and_their_extremes_round_trips(
    book: Codebook, tmp_path: Path
) -> None:
    model = train(book, TEXTS, CODES, folds=3, candidates=(CANDIDATES[2],))
    featurizer = model.nlp.get_pipe(COMPONENT).featurizer
    assert (featurizer.embeddings, featurizer.extremes) == (EMBEDDINGS, EXTREMES)
    loaded = load_model(model.save(tmp_path / "model"))
    assert loaded.nlp.get_pipe(COMPONENT).featurizer.config() == featurizer.config()
    texts = [*TEXTS, *UNSEEN, ""]
    for a, b in zip(model.tag(texts), loaded.tag(texts), strict=True):
        assert a.codes == b.codes
        assert a.scores == pytest.approx(b.scores, abs=1e-6)


def test_load_model_accepts_its_own_codebook(tiny_model: Path, tiny_codebook: Path) -> None:
    model = load_model(tiny_model, tiny_codebook)
    assert model.codebook.name == "Tiny"
    assert model.tag_one("There is no budget for this.").codes == ["cost"]


def test_load_model_refuses_a_different_codebook(
    tiny_model: Path, book: Codebook, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.yaml"
    edited.write_text(
        TINY_CODEBOOK.replace(
            "definition: Lack of time or workload gets in the way.",
            "definition: Lack of time gets in the way.",
        ),
        encoding="utf-8",
    )
    assert edited.read_text(encoding="utf-8") != TINY_CODEBOOK
    with pytest.raises(ModelError) as caught:
        load_model(tiny_model, edited)
    message = str(caught.value)
    assert message.startswith(f"the codebook does not match model {tiny_model}")
    assert "codebook 'Tiny' version 1" in message
    assert book.content_hash()[:12] in message
    assert load_codebook(edited).content_hash()[:12] in message
    assert "Retrain with `coder train" in message
    assert "leave out -c" in message


def test_load_model_of_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model folder .*nope does not exist; train one"):
        load_model(tmp_path / "nope")


def _remove_meta(folder: Path) -> None:
    (folder / "meta.json").unlink()


def _garble_meta(folder: Path) -> None:
    (folder / "meta.json").write_text("{not json", encoding="utf-8")


def _remove_pipeline(folder: Path) -> None:
    shutil.rmtree(folder / "pipeline")


def _truncate_classifier(folder: Path) -> None:
    npz = folder / "pipeline" / "coder_themes" / "classifier.npz"
    data = npz.read_bytes()
    npz.write_bytes(data[: len(data) // 2])


def _remove_codebook(folder: Path) -> None:
    (folder / "codebook.yaml").unlink()


def _garble_codebook(folder: Path) -> None:
    (folder / "codebook.yaml").write_text("name: [unclosed\n", encoding="utf-8")


def _garble_decision(folder: Path) -> None:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    del meta["decision"]["thresholds"]["cost"]
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_remove_meta, "is corrupt or not a coder model: missing meta.json"),
        (_garble_meta, "is corrupt: meta.json:"),
        (_remove_pipeline, "is corrupt or not a coder model: missing pipeline"),
        (_truncate_classifier, "is corrupt: cannot load pipeline/"),
        (_remove_codebook, "is corrupt or not a coder model: missing codebook.yaml"),
        (_garble_codebook, "is corrupt: codebook.yaml:"),
        (_garble_decision, "is corrupt: meta.json decision:"),
    ],
)
def test_corrupt_model_folder_raises_model_error(
    broken_copy: Path, damage: object, expected: str
) -> None:
    damage(broken_copy)  # type: ignore[operator]
    with pytest.raises(ModelError) as caught:
        load_model(broken_copy)
    message = str(caught.value)
    assert message.startswith(f"model folder {broken_copy} ")
    assert expected in message
    assert "Traceback" not in message


@pytest.mark.parametrize("content", ["[]", "null", '"meta"'])
def test_meta_json_that_is_not_an_object(broken_copy: Path, content: str) -> None:
    (broken_copy / "meta.json").write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=r"is corrupt: meta.json is not a JSON object"):
        load_model(broken_copy)


def test_meta_json_without_the_codebook_hash(broken_copy: Path, tiny_codebook: Path) -> None:
    meta = json.loads((broken_copy / "meta.json").read_text(encoding="utf-8"))
    del meta["codebook"]
    (broken_copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match=r"model folder .* is corrupt"):
        load_model(broken_copy, tiny_codebook)


def test_save_onto_a_file(trained: ThemeModel, tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match=r"model is a file; give the name of a folder"):
        trained.save(target)
    assert target.read_text(encoding="utf-8") == "not a folder"


def test_model_folder_from_another_format_version(broken_copy: Path) -> None:
    meta = json.loads((broken_copy / "meta.json").read_text(encoding="utf-8"))
    meta["format_version"] = 99
    (broken_copy / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match=r"has format 99; this coder reads format 1: retrain"):
        load_model(broken_copy)


def test_save_refuses_a_non_empty_folder_without_force(trained: ThemeModel, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    trained.save(folder)
    before = (folder / "meta.json").read_bytes()
    with pytest.raises(OutputError, match=r"model already exists; use --force to overwrite it"):
        trained.save(folder)
    assert (folder / "meta.json").read_bytes() == before


def test_force_never_replaces_a_folder_that_is_not_a_model(
    trained: ThemeModel, tmp_path: Path
) -> None:
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(
        OutputError,
        match=r"Documents holds files but no coder model; --force replaces only a model folder",
    ):
        trained.save(folder, force=True)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_force_replaces_a_model_and_keeps_the_users_own_files(
    trained: ThemeModel, book: Codebook, tmp_path: Path
) -> None:
    folder = tmp_path / "model"
    trained.save(folder)
    (folder / "README.txt").write_text("trained on the spring wave", encoding="utf-8")
    (folder / "pipeline" / "stale.bin").write_bytes(b"left by an old version")
    cold_start(book).save(folder, force=True)
    assert load_model(folder).meta["trained_on"]["labelled"] == 0
    assert (folder / "README.txt").read_text(encoding="utf-8") == "trained on the spring wave"
    assert not (folder / "pipeline" / "stale.bin").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temporary folder left


def test_a_save_that_fails_part_way_leaves_the_old_model_whole(
    trained: ThemeModel, book: Codebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "model"
    trained.save(folder)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def disk_full(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("coder.model.dump_codebook", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        cold_start(book).save(folder, force=True)
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert load_model(folder).tag_one("We never have the time for it.").codes == ["time"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_save_into_an_existing_empty_folder(trained: ThemeModel, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    trained.save(folder)
    assert (folder / "meta.json").is_file()


# --- cold start ------------------------------------------------------------------------------


def test_cold_start_codes_a_pattern_match_from_the_rule(book: Codebook) -> None:
    text = "It is just a box-ticking exercise"
    result = cold_start(book).tag_one(text)
    assert result.codes == ["box_ticking"]
    [suggestion] = result.suggestions
    assert suggestion.label == "Box-ticking"
    # A trusted pattern match is the rule's code even where the classifier agrees.
    assert suggestion.source == "rule"
    assert suggestion.score >= 0.75  # at least the cold start's rule precision
    assert suggestion.evidence == (Evidence("box-ticking", 13, 24, "pattern"),)
    assert result.text[13:24] == "box-ticking"


@pytest.mark.parametrize("text", ["The weather was nice.", "hello", "Thank you."])
def test_cold_start_codes_nothing_in_an_off_topic_comment(book: Codebook, text: str) -> None:
    assert cold_start(book).tag_one(text).codes == []


def test_cold_start_trusts_every_rule(book: Codebook) -> None:
    model = cold_start(book)
    assert model.decision.trust_rules == dict.fromkeys(THEME_IDS, True)
    assert model.meta["trained_on"] == {"labelled": 0, "codebook_texts": 15}


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_cold_start_codes_nothing_in_an_empty_comment(book: Codebook, text: str) -> None:
    result = cold_start(book).tag_one(text)
    assert result.codes == []


# --- tagging ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "   \t\n "])
def test_empty_comments_get_no_codes(tiny_model: Path, text: str) -> None:
    result = load_model(tiny_model).tag_one(text)
    assert result.text == text
    assert result.codes == [] and result.suggestions == []
    assert set(result.scores) == set(THEME_IDS)


@pytest.mark.parametrize("text", ["", "  "])
def test_empty_comments_get_no_codes_whatever_the_thresholds(tiny_model: Path, text: str) -> None:
    model = load_model(tiny_model)
    model.decision = Decision(
        thresholds=dict.fromkeys(THEME_IDS, 0.01),
        trust_rules=dict.fromkeys(THEME_IDS, True),
        rule_precision=dict.fromkeys(THEME_IDS, 0.5),
    )
    assert model.tag_one(text).codes == []


def test_tag_keeps_order_and_handles_non_strings(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    texts = ["No time at all.", None, "Funding was cut again.", 3.5, float("nan")]
    results = list(model.tag(texts))  # type: ignore[arg-type]
    # a number is a comment as written (an age, a score); None and NaN are blank
    assert [r.text for r in results] == ["No time at all.", "", "Funding was cut again.", "3.5", ""]
    assert [r.codes for r in results] == [["time"], [], ["cost"], [], []]


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ("No time at all.", "tag takes a list of comments, not one text: use tag_one(text)"),
        (None, "tag takes a list of comments, not one text"),
        ([b"No time"], "a comment must be text, not bytes: b'No time'"),
        ([["No time"]], "a comment must be text, not list: ['No time']"),
    ],
)
def test_tag_refuses_what_is_not_a_list_of_comments(
    tiny_model: Path, texts: object, message: str
) -> None:
    # A str was tagged letter by letter, and bytes or a list as an empty comment.
    with pytest.raises(InputError, match=re.escape(message)):
        list(load_model(tiny_model).tag(texts))  # type: ignore[arg-type]


def test_tag_batches_give_the_same_results(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    texts = UNSEEN * 5
    whole = [r.to_dict() for r in model.tag(texts)]
    batched = [r.to_dict() for r in model.tag(texts, batch_size=3)]
    assert batched == whole


def test_a_repeated_text_is_tagged_once_and_gets_its_own_copy(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(tiny_model)
    alone = [model.tag_one(text).to_dict() for text in UNSEEN]
    tagged: list[str] = []
    original = ThemeModel.tag_batch

    def recording(self: ThemeModel, texts: list[str], evidence: bool = True) -> list:
        tagged.extend(texts)
        return original(self, texts, evidence)

    monkeypatch.setattr(ThemeModel, "tag_batch", recording)
    texts = [UNSEEN[0], UNSEEN[1], UNSEEN[0], UNSEEN[2], UNSEEN[0], UNSEEN[3], UNSEEN[1]]
    results = list(model.tag(texts, batch_size=2))
    assert sorted(tagged) == sorted(UNSEEN)  # each distinct text once, across batches
    assert [r.to_dict() for r in results] == [alone[UNSEEN.index(t)] for t in texts]
    results[0].suggestions.clear()
    results[0].scores.clear()
    assert results[2].to_dict() == alone[0]


def test_words_tagging_adds_are_freed_once_the_vocabulary_has_grown(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"{text} Ref zq{i}x, seen by Dr Qwv{i}." for i, text in enumerate(UNSEEN * 3)]
    unzoned = load_model(tiny_model)
    expected = [r.to_dict() for r in unzoned.tag(texts, batch_size=2)]
    assert "zq3x" in unzoned.nlp.vocab.strings  # kept for good below VOCABULARY_GROWTH
    monkeypatch.setattr("coder.model.VOCABULARY_GROWTH", 0)  # every batch in a memory zone
    model = load_model(tiny_model)
    list(model.tag(["warm up"]))
    words = {lexeme.orth_ for lexeme in model.nlp.vocab}  # len(vocab) counts freed ones too
    assert [r.to_dict() for r in model.tag(texts, batch_size=2)] == expected
    assert [r.to_dict() for r in model.tag(texts, batch_size=2)] == expected
    assert {lexeme.orth_ for lexeme in model.nlp.vocab} == words
    assert "zq3x" not in model.nlp.vocab.strings


def test_suggestions_are_well_formed(tiny_model: Path, book: Codebook) -> None:
    model = load_model(tiny_model)
    results = list(model.tag([*TEXTS, *UNSEEN, "Ticking boxes again.  No time!\nBudget? None."]))
    assert sum(len(r.suggestions) for r in results) >= 12
    for result in results:
        check_suggestions(result, book)
        assert set(result.scores) == set(THEME_IDS)
        assert all(0.0 <= v <= 1.0 for v in result.scores.values())


def test_cold_start_suggestions_are_well_formed(book: Codebook) -> None:
    results = list(cold_start(book).tag([*TEXTS, *UNSEEN]))
    assert sum(len(r.suggestions) for r in results) >= 10
    for result in results:
        check_suggestions(result, book)


def test_model_evidence_is_the_deciding_sentence(tiny_model: Path) -> None:
    text = "The room was warm. We never have the time for it, the rota is full. Nice tea."
    [suggestion] = load_model(tiny_model).tag_one(text).suggestions
    assert suggestion.theme == "time" and suggestion.source == "model"
    start = text.index("We never")
    end = text.index(" Nice")
    assert suggestion.evidence == (Evidence(text[start:end], start, end, "sentence"),)


def test_a_trusted_rule_codes_alone_with_its_precision(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    model.decision = Decision(
        thresholds=dict.fromkeys(THEME_IDS, 0.99),
        trust_rules={"time": True, "cost": False, "box_ticking": True},
        rule_precision={"time": 0.8, "cost": 0.9, "box_ticking": 0.7},
    )
    text = "We had no time. The budget went. They tick boxes."
    result = model.tag_one(text)
    assert result.codes == ["time", "box_ticking"]  # cost's rule is not trusted
    time, box = result.suggestions
    assert (time.source, time.score) == ("rule", 0.8)
    assert time.evidence == (Evidence("no time", 7, 14, "pattern"),)
    assert (box.source, box.score) == ("rule", 0.7)
    assert box.evidence == (Evidence("tick boxes", 38, 48, "pattern"),)


def test_a_negated_pattern_is_not_evidence(tiny_model: Path) -> None:
    model = load_model(tiny_model)
    model.decision = Decision(
        thresholds=dict.fromkeys(THEME_IDS, 0.99),
        trust_rules=dict.fromkeys(THEME_IDS, True),
        rule_precision=dict.fromkeys(THEME_IDS, 0.8),
    )
    assert model.tag_one("It never felt like box-ticking.").codes == []
    assert model.tag_one("It felt like box-ticking.").codes == ["box_ticking"]


# --- at least one ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def every_comment_coded(book: Codebook) -> ThemeModel:
    rows = [(t, c) for t, c in zip(TEXTS, CODES, strict=True) if c]
    texts, codes = [t for t, _ in rows], [c for _, c in rows]
    assert len(texts) == 10
    return train(book, texts, codes, folds=5)


def test_at_least_one_is_on_when_every_labelled_comment_has_a_code(
    every_comment_coded: ThemeModel, trained: ThemeModel
) -> None:
    assert every_comment_coded.decision.at_least_one is True
    assert trained.decision.at_least_one is False  # two tiny comments have no code


@pytest.mark.parametrize(
    "text", ["The weather was nice.", "hello", "Lovely staff, nothing to add.", "?", "x y z"]
)
def test_at_least_one_gives_every_non_empty_comment_a_code(
    every_comment_coded: ThemeModel, trained: ThemeModel, text: str
) -> None:
    result = every_comment_coded.tag_one(text)
    assert len(result.codes) >= 1
    assert all(s.source == "model" for s in result.suggestions)
    check_suggestions(result, every_comment_coded.codebook)


def test_without_at_least_one_an_off_topic_comment_gets_nothing(trained: ThemeModel) -> None:
    assert trained.tag_one("The weather was nice.").codes == []


@pytest.mark.parametrize("text", ["", "   "])
def test_at_least_one_leaves_empty_comments_alone(
    every_comment_coded: ThemeModel, text: str
) -> None:
    assert every_comment_coded.tag_one(text).codes == []


def test_at_least_one_survives_save_and_load(
    every_comment_coded: ThemeModel, tmp_path: Path
) -> None:
    loaded = load_model(every_comment_coded.save(tmp_path / "m"))
    assert loaded.decision.at_least_one is True
    assert loaded.tag_one("The weather was nice.").codes != []


def test_at_least_one_can_be_turned_off(book: Codebook) -> None:
    rows = [(t, c) for t, c in zip(TEXTS, CODES, strict=True) if c]
    model = train(book, [t for t, _ in rows], [c for _, c in rows], folds=5, at_least_one=False)
    assert model.decision.at_least_one is False


def test_shipped_models_and_codebooks_load_by_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the checkout: "models/coproduction" is not here
    model = load_model("coproduction")
    assert model.codebook.name == load_codebook("coproduction").name
    assert model.tag_one("It felt like a box-ticking exercise.").codes == ["box_ticking"]
    (tmp_path / "coproduction").mkdir()  # a folder of that name here wins over the shipped one
    with pytest.raises(ModelError, match=r"model folder coproduction is corrupt or not a coder"):
        load_model("coproduction")


def test_a_model_whose_codebook_was_edited_after_training_is_refused(broken_copy: Path) -> None:
    # Its labels would apply and its new patterns not: the pipeline keeps the trained ones.
    book = broken_copy / "codebook.yaml"
    book.write_text(
        book.read_text(encoding="utf-8").replace("label: Cost", "label: Money"), "utf-8"
    )
    with pytest.raises(ModelError) as caught:
        load_model(broken_copy)
    assert str(caught.value) == (
        f"model folder {broken_copy} is corrupt: its codebook.yaml was changed after training "
        "(meta.json records another). Put the original back, or retrain with `coder train ... "
        "-c CODEBOOK` on the changed one"
    )


def test_a_codebook_given_as_a_model_says_it_is_a_file(tmp_path: Path) -> None:
    book = tmp_path / "mine.yaml"
    book.write_text(TINY_CODEBOOK, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(book)
    assert str(caught.value) == (
        f"{book} is a file, not a model folder; a codebook alone is tagged with -c (in Python, "
        "cold_start), a model made with `coder train`"
    )
