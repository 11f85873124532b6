"""Agreement statistics, each checked against a published worked example or a reference
implementation (scikit-learn, krippendorff, statsmodels, nltk), with the edge cases."""

from __future__ import annotations

import json
import random
from fractions import Fraction

import krippendorff
import numpy as np
import pytest
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import masi_distance as nltk_masi_distance
from rich.console import Console
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from coder.agreement import (
    agreement,
    band,
    cohen_kappa,
    disagreements,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    masi_distance,
    percent_agreement,
)
from coder.agreement_render import agreement_table, disagreements_table
from coder.codebook_io import parse_codebook
from coder.errors import AgreementError, CoderError
from tests.conftest import TINY_CODEBOOK

THEMES = ["time", "cost", "box_ticking"]

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example: four
# observers, twelve units, None where an observer gave no value. Published alpha: 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, None],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 3],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# Fleiss (1971), as on Wikipedia's "Fleiss' kappa": 10 subjects, 14 raters, 5 categories
# (counts of raters per category). Published kappa: 0.210.
FLEISS_1971 = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def units_of(raters: list[list]) -> list[list]:
    """Coder-major rows with None for missing -> one list of given values per unit."""
    return [[row[i] for row in raters if row[i] is not None] for i in range(len(raters[0]))]


def as_array(raters: list[list]) -> np.ndarray:
    return np.array([[np.nan if v is None else v for v in row] for row in raters], dtype=float)


def random_codings(seed: int, coders: int, comments: int, rate: float = 0.3) -> dict:
    rng = random.Random(seed)
    return {
        f"coder{c}": {
            str(i): {t for t in THEMES if rng.random() < rate + 0.1 * c} for i in range(comments)
        }
        for c in range(coders)
    }


# --- the coefficients against published examples -------------------------------------------


def test_alpha_reproduces_krippendorffs_published_example_with_missing_values():
    units = units_of(KRIPPENDORFF_2011)
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)
    expected = krippendorff.alpha(as_array(KRIPPENDORFF_2011), level_of_measurement="nominal")
    assert krippendorff_alpha(units) == pytest.approx(expected, abs=1e-12)


def test_ac1_fleiss_and_percent_on_the_same_example_match_gwets_irrcac():
    # Gwet's irrCAC (R, and its Python port) on this data (its `raw.4raters`): AC1 0.77544,
    # generalised Fleiss' kappa 0.76117, percent agreement 0.81818 (9 of 11 pairable units).
    units = units_of(KRIPPENDORFF_2011)
    assert gwet_ac1(units, [1, 2, 3, 4, 5]) == pytest.approx(0.77544, abs=5e-6)
    assert fleiss_kappa(units) == pytest.approx(0.76117, abs=5e-6)
    assert percent_agreement(units) == pytest.approx(9 / 11)


def test_fleiss_kappa_reproduces_fleiss_1971_and_statsmodels():
    units = [[k for k, count in enumerate(row) for _ in range(count)] for row in FLEISS_1971]
    assert fleiss_kappa(units) == pytest.approx(0.210, abs=5e-4)
    assert fleiss_kappa(units) == pytest.approx(statsmodels_fleiss_kappa(np.array(FLEISS_1971)))


def test_ac1_and_cohen_kappa_on_a_hand_computed_high_agreement_table():
    # 125 items: both "yes" 118, A yes / B no 5, A no / B yes 2, both "no" 0.
    a = ["yes"] * 118 + ["yes"] * 5 + ["no"] * 2
    b = ["yes"] * 118 + ["no"] * 5 + ["yes"] * 2
    # p_a = 118/125; pi_yes = (123 + 120) / 250; p_e = 2 pi (1 - pi) = 3402/62500.
    pa, pe = Fraction(118, 125), Fraction(3402, 62500)
    assert 2 * Fraction(243, 250) * Fraction(7, 250) == pe
    ac1 = float((pa - pe) / (1 - pe))
    assert ac1 == pytest.approx(55598 / 59098)
    assert gwet_ac1(list(zip(a, b, strict=True)), ["yes", "no"]) == pytest.approx(ac1)
    # The kappa paradox: 94% agreement, kappa below zero.
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(a, b) == pytest.approx(-0.0234, abs=5e-5)


@pytest.mark.parametrize("seed", range(5))
def test_cohen_kappa_matches_scikit_learn(seed: int):
    rng = random.Random(seed)
    a = [rng.choice("abc") for _ in range(40)]
    b = [x if rng.random() < 0.6 else rng.choice("abc") for x in a]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_alpha_matches_the_krippendorff_package_with_missing_data(seed: int):
    rng = random.Random(seed)
    truth = [rng.randint(1, 4) for _ in range(30)]
    raters = [
        [
            None if rng.random() < 0.2 else (t if rng.random() < 0.7 else rng.randint(1, 4))
            for t in truth
        ]
        for _ in range(3)
    ]
    expected = krippendorff.alpha(as_array(raters), level_of_measurement="nominal")
    assert krippendorff_alpha(units_of(raters)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_matches_statsmodels(seed: int):
    rng = random.Random(seed)
    units = [[rng.choice("xyz") for _ in range(4)] for _ in range(25)]
    table, _ = aggregate_raters(np.array(units))
    assert fleiss_kappa(units) == pytest.approx(statsmodels_fleiss_kappa(table), abs=1e-12)


def test_masi_distance_matches_passonneau_and_nltk():
    pairs = {
        (frozenset("ab"), frozenset("ab")): 0.0,  # identical
        (frozenset("ab"), frozenset("abcd")): 1 - (2 / 4) * (2 / 3),  # subset
        (frozenset("ab"), frozenset("bc")): 1 - (1 / 3) * (1 / 3),  # overlap
        (frozenset("ab"), frozenset("cd")): 1.0,  # disjoint
    }
    for (a, b), expected in pairs.items():
        assert masi_distance(a, b) == pytest.approx(expected)
        assert masi_distance(b, a) == pytest.approx(expected)
        # nltk rounded 2/3 and 1/3 to 0.67 and 0.33 until 2026 (nltk/nltk#3361).
        assert masi_distance(a, b) == pytest.approx(nltk_masi_distance(set(a), set(b)), abs=5e-3)
    # nltk divides by zero on two empty sets; two coders who gave no theme agree.
    assert masi_distance(frozenset(), frozenset()) == 0.0
    assert masi_distance(frozenset(), frozenset("a")) == 1.0


@pytest.mark.parametrize("seed", range(3))
def test_alpha_over_sets_matches_nltk_annotation_task(seed: int):
    rng = random.Random(seed)
    labels = "abcd"
    units = [
        [frozenset(rng.sample(labels, rng.randint(1, 3))) for _ in range(3)] for _ in range(20)
    ]
    triples = [
        (f"c{j}", str(i), codes) for i, unit in enumerate(units) for j, codes in enumerate(unit)
    ]
    for distance in (nltk_masi_distance, masi_distance):
        expected = AnnotationTask(data=triples, distance=distance).alpha()
        assert krippendorff_alpha(units, distance) == pytest.approx(expected, abs=1e-12)


def test_masi_alpha_hand_computed_with_an_empty_coding():
    # Comment 1: ana {time}, ben {time, cost}; comment 2: both no theme.
    # delta({time}, {time, cost}) = 1 - 1/2 * 2/3 = 2/3; delta(set, {}) = 1.
    # D_o = (2 * 2/3 / 1) / 4 = 1/3; D_e = 2 * (2/3 + 2 + 2) / (4 * 3) = 7/9; alpha = 4/7.
    codings = {"ana": {"1": {"time"}, "2": set()}, "ben": {"1": {"time", "cost"}, "2": set()}}
    assert agreement(codings, THEMES).masi_alpha == pytest.approx(4 / 7)


# --- edge cases ------------------------------------------------------------------------------


def test_a_single_category_leaves_kappa_and_alpha_undefined_but_not_ac1():
    units = [[False, False]] * 5
    assert krippendorff_alpha(units) is None
    assert fleiss_kappa(units) is None
    assert cohen_kappa([False] * 5, [False] * 5) is None
    with pytest.warns(UserWarning):  # scikit-learn: nan and a warning; we: None
        assert np.isnan(cohen_kappa_score([0] * 5, [0] * 5))
    assert percent_agreement(units) == 1.0
    assert gwet_ac1(units, [False, True]) == 1.0
    with pytest.raises(ValueError, match="more than one value in the domain"):
        krippendorff.alpha(np.zeros((2, 5)), level_of_measurement="nominal")


def test_one_use_of_a_theme_among_100000_comments_still_gives_kappa():
    # Chance agreement is 1 - 1e-5 here: a tolerance of 1e-5 once left kappa undefined.
    a, b = [False] * 100_000, [False] * 100_000
    a[0] = True
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert cohen_kappa(a, b) == 0.0
    table = aggregate_raters(np.array([a, b], dtype=int).T)[0]
    assert fleiss_kappa(list(zip(a, b, strict=True))) == pytest.approx(
        statsmodels_fleiss_kappa(table), abs=1e-12
    )


def test_the_same_set_everywhere_leaves_masi_alpha_undefined_with_a_note():
    codings = {"ana": {"1": {"time"}, "2": {"time"}}, "ben": {"1": {"time"}, "2": {"time"}}}
    result = agreement(codings, THEMES)
    assert (result.masi_alpha, result.exact_agreement) == (None, 1.0)
    assert (
        result.masi_note == "every coder gave every comment the same set of themes; alpha undefined"
    )
    assert result.to_dict()["masi_note"] == result.masi_note
    assert agreement(codings, THEMES, ["ana", "ben"]).masi_note == result.masi_note


def test_nearly_perfect_agreement_is_not_shown_as_perfect():
    # 2 of 825 comments coded apart: the table once read "100% with the same themes".
    ana = {str(n): {"time"} if n % 3 else set() for n in range(825)}
    ben = {**ana, "1": set(), "2": set()}
    result = agreement({"ana": ana, "ben": ben}, THEMES)
    console = Console(width=150, record=True)
    console.print(agreement_table(result, parse_codebook(TINY_CODEBOOK, "tiny.yaml")))
    shown = console.export_text()
    assert "825 comments coded by every coder, 99.8% with the same themes;" in shown
    row = next(line for line in shown.splitlines() if line.startswith("│ Time"))
    assert row.split("│")[2].strip() == "99.8%"  # 0.99758, not "100%"
    assert row.split("│")[6].strip() == "0.996"  # AC1 0.9964, not "1.00"


def test_perfect_agreement_gives_one_everywhere():
    units = [[v, v, v] for v in (True, False, True, True, False)]
    assert krippendorff_alpha(units) == 1.0
    assert fleiss_kappa(units) == 1.0
    assert gwet_ac1(units, [False, True]) == 1.0
    assert cohen_kappa([u[0] for u in units], [u[1] for u in units]) == 1.0


def test_theme_nobody_used_is_reported_with_a_note_and_no_band():
    codings = {
        "ana": {"1": {"time"}, "2": set(), "3": {"cost"}},
        "ben": {"1": {"time"}, "2": {"cost"}, "3": {"cost"}},
    }
    theme = agreement(codings, THEMES).theme("box_ticking")
    assert (theme.n, theme.percent_agreement, theme.ac1) == (3, 1.0, 1.0)
    assert (theme.cohen_kappa, theme.fleiss_kappa, theme.alpha, theme.band) == (None,) * 4
    assert theme.counts == {"ana": 0, "ben": 0}
    assert theme.note == "no coder used it; kappa and alpha undefined"


def test_theme_every_coder_gave_every_comment_is_undefined_too():
    codings = {"ana": {"1": {"time"}, "2": {"time"}}, "ben": {"1": {"time"}, "2": {"time"}}}
    theme = agreement(codings, THEMES).theme("time")
    assert theme.alpha is None and theme.ac1 == 1.0 and theme.percent_agreement == 1.0
    assert theme.note == "every coder gave it to every comment; kappa and alpha undefined"


def test_perfect_agreement_on_a_used_theme_is_reliable():
    codings = {
        "ana": {"1": {"time"}, "2": set(), "3": {"time", "cost"}},
        "ben": {"1": {"time"}, "2": set(), "3": {"time", "cost"}},
    }
    result = agreement(codings, THEMES)
    cost = result.theme("cost")
    assert (cost.percent_agreement, cost.cohen_kappa, cost.fleiss_kappa, cost.alpha) == (1.0,) * 4
    assert cost.band == "reliable" and cost.note is None
    assert result.masi_alpha == 1.0 and result.exact_agreement == 1.0


def test_fewer_than_two_comments_gives_only_percent_agreement():
    codings = {"ana": {"1": {"time"}, "2": {"cost"}}, "ben": {"1": set(), "3": {"cost"}}}
    result = agreement(codings, THEMES)
    time = result.theme("time")
    assert (result.n, time.n, time.percent_agreement) == (1, 1, 0.0)
    assert (time.cohen_kappa, time.fleiss_kappa, time.alpha, time.ac1) == (None,) * 4
    assert time.note == "fewer than 2 comments: chance-corrected figures need at least 2"
    assert result.masi_alpha is None


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [
        (1.0, "reliable"),
        (0.80, "reliable"),
        (0.7999, "tentative"),
        (0.667, "tentative"),
        (0.6669, "revise the definition"),
        (-0.2, "revise the definition"),
        (None, None),
    ],
)
def test_alpha_bands(alpha: float | None, expected: str | None):
    assert band(alpha) == expected


# --- agreement() on codings ------------------------------------------------------------------


def test_per_theme_figures_for_two_coders_match_the_references():
    codings = random_codings(seed=1, coders=2, comments=40)
    result = agreement(codings, THEMES)
    assert result.coders == ("coder0", "coder1") and result.n == 40
    ids = [str(i) for i in range(40)]
    for theme in THEMES:
        a = [theme in codings["coder0"][i] for i in ids]
        b = [theme in codings["coder1"][i] for i in ids]
        figures = result.theme(theme)
        assert figures.percent_agreement == pytest.approx(np.mean(np.equal(a, b)))
        assert figures.cohen_kappa == pytest.approx(cohen_kappa_score(a, b))
        expected = krippendorff.alpha(np.array([a, b], dtype=float), level_of_measurement="nominal")
        assert figures.alpha == pytest.approx(expected)
        assert figures.counts == {"coder0": sum(a), "coder1": sum(b)}
        assert figures.band == band(figures.alpha)


def test_three_coders_give_fleiss_but_no_cohen_kappa():
    codings = random_codings(seed=2, coders=3, comments=30)
    result = agreement(codings, THEMES)
    for theme in THEMES:
        units = [[theme in codings[c][str(i)] for c in codings] for i in range(30)]
        table, _ = aggregate_raters(np.array(units, dtype=int))
        figures = result.theme(theme)
        assert figures.cohen_kappa is None
        assert figures.fleiss_kappa == pytest.approx(statsmodels_fleiss_kappa(table))
    triples = [
        (c, i, frozenset(codes)) for c, coded in codings.items() for i, codes in coded.items()
    ]
    # Our distance: nltk's divides by zero on two empty sets, and there are some here.
    assert any(not codes for *_, codes in triples)
    expected = AnnotationTask(data=triples, distance=masi_distance).alpha()
    assert result.masi_alpha == pytest.approx(expected, abs=1e-12)


def test_only_comments_every_named_coder_coded_are_compared():
    codings = random_codings(seed=3, coders=3, comments=20)
    del codings["coder2"]["4"], codings["coder1"]["7"]
    codings["coder0"]["99"] = {"time"}
    result = agreement(codings, THEMES)
    assert result.n == 18
    pair = agreement(codings, THEMES, coders=["coder0", "coder2"])
    assert (pair.coders, pair.n) == (("coder0", "coder2"), 19)


def test_permuting_coders_or_comment_ids_leaves_the_results_unchanged():
    codings = random_codings(seed=4, coders=3, comments=25)
    result = agreement(codings, THEMES).to_dict()
    reordered = {name: codings[name] for name in reversed(list(codings))}
    shuffled = agreement(reordered, THEMES).to_dict()
    assert shuffled.pop("coders") == ["coder2", "coder1", "coder0"]
    result.pop("coders")
    for theme in shuffled["themes"].values():
        theme["counts"] = dict(sorted(theme["counts"].items()))
    assert shuffled == result
    relabelled = {
        name: {f"r{int(i) * 7 % 25}": codes for i, codes in coded.items()}
        for name, coded in codings.items()
    }
    again = agreement(relabelled, THEMES).to_dict()
    again.pop("coders")
    assert again == result


def test_the_model_counts_as_one_more_coder_and_alpha_stays_within_bounds():
    codings = random_codings(seed=5, coders=2, comments=30)
    codings["model"] = {i: set(codes) for i, codes in codings["coder0"].items()}
    result = agreement(codings, THEMES, coders=["coder0", "model"])
    assert result.masi_alpha == 1.0 and all(t.alpha in (1.0, None) for t in result.themes)
    three = agreement(codings, THEMES)
    assert all(-1.0 <= t.alpha <= 1.0 for t in three.themes if t.alpha is not None)


def test_means_skip_themes_nobody_used():
    codings = {
        "ana": {"1": {"time"}, "2": set(), "3": {"cost"}, "4": {"time"}},
        "ben": {"1": {"time"}, "2": {"cost"}, "3": {"cost"}, "4": set()},
    }
    result = agreement(codings, THEMES)
    used = [result.theme("time"), result.theme("cost")]
    for name in ("percent_agreement", "cohen_kappa", "alpha", "ac1"):
        assert result.mean[name] == pytest.approx(np.mean([getattr(t, name) for t in used]))
    assert result.exact_agreement == 0.5


def test_to_dict_is_json_with_rounded_figures():
    codings = random_codings(seed=6, coders=2, comments=15)
    result = agreement(codings, THEMES)
    data = json.loads(json.dumps(result.to_dict()))
    assert list(data) == [
        "coders",
        "n",
        "masi_alpha",
        "masi_band",
        "masi_note",
        "blank_left_out",
        "exact_agreement",
        "mean",
        "themes",
    ]
    assert list(data["themes"]) == THEMES
    time = data["themes"]["time"]
    assert list(time) == [
        "n",
        "percent_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "alpha",
        "ac1",
        "band",
        "counts",
        "note",
    ]
    assert time["alpha"] == round(result.theme("time").alpha, 4)
    assert data["masi_band"] == band(result.masi_alpha)


# --- disagreements ---------------------------------------------------------------------------

DIFFERING = {
    "ana": {"10": {"cost", "time"}, "2": {"time"}, "1": set(), "3": {"box_ticking"}},
    "ben": {"10": {"time"}, "2": {"time"}, "1": {"cost"}, "3": {"box_ticking"}, "4": set()},
}


def test_disagreements_list_each_coders_themes_in_id_and_codebook_order():
    found = disagreements(DIFFERING, THEMES)
    assert [d.to_dict() for d in found] == [
        {"comment": "1", "codes": {"ana": [], "ben": ["cost"]}},
        {"comment": "10", "codes": {"ana": ["time", "cost"], "ben": ["time"]}},
    ]


def test_disagreements_on_one_theme():
    assert [d.comment for d in disagreements(DIFFERING, THEMES, theme="time")] == []
    assert [d.comment for d in disagreements(DIFFERING, THEMES, theme="cost")] == ["1", "10"]
    with pytest.raises(AgreementError) as error:
        disagreements(DIFFERING, THEMES, theme="tme")
    assert str(error.value) == "unknown theme 'tme': use one of time, cost, box_ticking"


def test_disagreements_sort_ids_naturally():
    codings = {
        "ana": {i: {"time"} for i in ("r10", "r2", "r1", "b")},
        "ben": {i: set() for i in ("r10", "r2", "r1", "b")},
    }
    assert [d.comment for d in disagreements(codings, THEMES)] == ["b", "r1", "r2", "r10"]


# --- errors ----------------------------------------------------------------------------------


def test_fewer_than_two_coders_is_an_error():
    with pytest.raises(AgreementError) as error:
        agreement({"ana": {"1": {"time"}}, "ben": {}}, THEMES)
    assert (
        str(error.value) == "agreement needs at least two coders, got 1; coders with codings: ana"
    )
    with pytest.raises(AgreementError, match="got 1; "):
        agreement(DIFFERING, THEMES, coders=["ana", "ana"])
    assert issubclass(AgreementError, CoderError)


def test_a_named_coder_without_codings_is_an_error_listing_the_coders():
    with pytest.raises(AgreementError) as error:
        agreement(DIFFERING, THEMES, coders=["ana", "carl", "model"])
    assert str(error.value) == "no codings by carl, model; coders with codings: ana, ben"


def test_no_comment_coded_by_all_is_an_error():
    codings = {"ana": {"1": {"time"}}, "ben": {"2": {"time"}}}
    with pytest.raises(AgreementError) as error:
        agreement(codings, THEMES)
    assert str(error.value) == (
        "no comment was coded by all of ana, ben: have each of them code the same sample "
        "of comments"
    )


def test_a_theme_outside_the_codable_ids_is_an_error():
    codings = {"ana": {"1": {"barriers"}}, "ben": {"1": {"time", "old"}}}
    with pytest.raises(AgreementError) as error:
        agreement(codings, THEMES)
    assert str(error.value) == (
        "codings use themes that are not codable in the codebook: barriers, old; "
        "fix those codings or the codebook first"
    )


# --- rendering -------------------------------------------------------------------------------


def render(table) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_agreement_table_shows_labels_figures_bands_and_notes():
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    codings = {
        "ana": {"1": {"time"}, "2": set(), "3": {"time", "cost"}, "4": {"cost"}},
        "ben": {"1": {"time"}, "2": set(), "3": {"time", "cost"}, "4": set()},
    }
    text = render(agreement_table(agreement(codings, book.codable_ids), book))
    assert "Cohen κ" in text
    time_row = next(line for line in text.splitlines() if line.startswith("│ Time"))
    assert "100%" in time_row and "1.00" in time_row and "reliable" in time_row
    assert "no coder used it" in text
    assert "4 comments coded by every coder, 75% with the same themes" in text


def test_disagreements_table_prints_comment_text_literally():
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    found = disagreements(DIFFERING, book.codable_ids)
    texts = {"1": "[bold]free[/bold] parking", "10": "No time, no money"}
    text = render(disagreements_table(found, book, texts))
    assert "[bold]free[/bold] parking" in text
    assert "Time, Cost" in text and "2 comments coded differently" in text


@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (0.0, "0%"),
        (1.0, "100%"),
        (0.005, "0.5%"),  # Python rounds 0.5 to even: once "0%"
        (0.004, "0.4%"),
        (0.00001, "<0.1%"),
        (0.9988, "99.9%"),
        (0.99999, ">99.9%"),
        (0.123, "12%"),
        (0.5, "50%"),
    ],
)
def test_a_percent_is_0_or_100_only_when_exact(share: float, shown: str) -> None:
    from coder.console import percent

    assert percent(share) == shown
