"""The test of differences between groups in `coder report --by`: checked against scipy's
chi-square test, an exact enumeration of small tables, statsmodels' Cochran's Q and McNemar
tests, and its Benjamini-Hochberg."""

from __future__ import annotations

from itertools import product
from math import comb

import numpy as np
import pytest
from scipy.stats import chi2, chi2_contingency, hypergeom
from statsmodels.stats.contingency_tables import cochrans_q, mcnemar
from statsmodels.stats.multitest import multipletests

from coder.group_tests import (
    MAX_GROUPS,
    adjusted,
    chi_square_sf,
    difference_p,
    paired_difference_p,
)


def test_large_counts_take_pearsons_chi_square() -> None:
    coded, sizes = [44, 106, 74], [136, 334, 355]
    table = [coded, [n - c for c, n in zip(coded, sizes, strict=True)]]
    expected = chi2_contingency(table, correction=False).pvalue
    assert difference_p(coded, sizes) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 9, 10, 49])
def test_the_chi_square_tail_is_scipys(df: int) -> None:
    for x in (0.0, 0.3, 1.0, 3.84, 7.3, 20.0, 80.0, 400.0, 1399.0):
        assert chi_square_sf(x, df) == pytest.approx(chi2.sf(x, df), rel=1e-9, abs=1e-300)
    assert chi_square_sf(5000.0, df) == 0.0


def exact_p(coded: list[int], sizes: list[int]) -> float:
    """Every table with these margins, weighed by its chance, as extreme as the observed one
    by the chi-square statistic or more."""
    total, hits = sum(sizes), sum(coded)
    share = hits / total

    def stat(cells: tuple[int, ...]) -> float:
        return sum(
            (c - n * share) ** 2 / (n * share * (1 - share))
            for c, n in zip(cells, sizes, strict=True)
        )

    observed = stat(tuple(coded))
    p = 0.0
    for cells in product(*(range(n + 1) for n in sizes)):
        if sum(cells) == hits and stat(cells) >= observed - 1e-12:
            p += _chance(cells, sizes) / comb(total, hits)
    return p


def _chance(cells: tuple[int, ...], sizes: list[int]) -> int:
    ways = 1
    for c, n in zip(cells, sizes, strict=True):
        ways *= comb(n, c)
    return ways


@pytest.mark.parametrize(
    ("coded", "sizes"),
    [([0, 2], [2, 2]), ([1, 6, 0], [9, 12, 7]), ([3, 0, 1, 4], [5, 6, 4, 8]), ([2, 9], [14, 11])],
)
def test_small_counts_are_simulated_close_to_the_exact_test(
    coded: list[int], sizes: list[int]
) -> None:
    found = difference_p(coded, sizes)
    assert found is not None
    assert found == pytest.approx(exact_p(coded, sizes), abs=0.01)
    assert difference_p(coded, sizes) == found  # seeded: the same every time


def test_past_a_million_comments_the_simulation_still_holds() -> None:
    coded, sizes = [1, 9], [600_000, 500_000]
    # two groups: a table is as extreme as its first count is far from what it expects
    expect = sum(coded) * sizes[0] / sum(sizes)
    counts = range(sum(coded) + 1)
    far = [x for x in counts if abs(x - expect) >= abs(coded[0] - expect) - 1e-9]
    exact = hypergeom(sum(sizes), sizes[0], sum(coded)).pmf(far).sum()
    assert difference_p(coded, sizes) == pytest.approx(exact, abs=0.01)


def test_nothing_to_test_gives_none() -> None:
    assert difference_p([3], [10]) is None  # one group
    assert difference_p([3, 0], [10, 0]) is None  # the other group is empty
    assert difference_p([0, 0], [10, 5]) is None  # never coded
    assert difference_p([10, 5], [10, 5]) is None  # always coded
    many = MAX_GROUPS + 1
    assert difference_p([1] * many, [3] * many) is None
    assert difference_p([1] * MAX_GROUPS, [3] * MAX_GROUPS) is not None


def test_benjamini_hochberg_matches_statsmodels_and_keeps_the_untested() -> None:
    p = [0.01, None, 0.04, 0.03, 0.2, None, 0.001, 0.5]
    tested = [x for x in p if x is not None]
    expected = iter(multipletests(tested, method="fdr_bh")[1])
    assert adjusted(p) == [
        None if x is None else pytest.approx(next(expected), rel=1e-12) for x in p
    ]
    assert adjusted([]) == []


@pytest.mark.parametrize("groups", [2, 3, 5])
def test_paired_groups_take_cochrans_q_as_statsmodels_computes_it(groups: int) -> None:
    rng = np.random.default_rng(groups)
    coded = rng.random((300, groups)) < np.linspace(0.3, 0.45, groups)
    assert paired_difference_p(coded) == pytest.approx(cochrans_q(coded.astype(int)).pvalue)


def test_few_respondents_differing_are_simulated_close_to_the_exact_mcnemar_test() -> None:
    # 1 respondent coded only in the first group, 7 only in the second, 12 the same in both
    coded = np.array([[1, 0]] + [[0, 1]] * 7 + [[1, 1]] * 5 + [[0, 0]] * 7, dtype=bool)
    exact = mcnemar([[5, 1], [7, 7]], exact=True).pvalue  # 2 * P(Binomial(8, 1/2) <= 1)
    assert exact == pytest.approx(0.0703125)
    assert paired_difference_p(coded) == pytest.approx(exact, abs=0.005)
    assert paired_difference_p(coded) == paired_difference_p(coded)  # seeded


def test_a_paired_table_with_nothing_to_test_gives_none() -> None:
    assert paired_difference_p(np.array([[1, 1], [0, 0], [1, 1]], dtype=bool)) is None
    assert paired_difference_p(np.zeros((0, 3), dtype=bool)) is None
    assert paired_difference_p(np.array([[1], [0]], dtype=bool)) is None  # one group
