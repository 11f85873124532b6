"""Whether a theme's share differs between groups by more than chance: a test per theme of the
report's `--by` table, and the Benjamini-Hochberg adjustment across the themes tested.

Each theme gives a 2 x k table (coded or not, in each of k groups). Pearson's chi-square test
of independence answers where every cell expects at least 5; otherwise its statistic is
compared with tables drawn at random with the same margins (the theme's total and the groups'
sizes, a multivariate hypergeometric draw), which stays right for rare themes and small
groups. The draws are seeded, so a report gives the same p-values every time.

Where the same respondents are in every group (their answers to several questions), the
groups are not independent samples: Cochran's Q test compares them within each respondent
(McNemar's test, for two groups). Its chi-square curve answers where at least MIN_DIFFERING
respondents differ between groups; otherwise each such respondent's codes are shuffled between
the groups at random, seeded likewise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ALPHA = 0.05  # an adjusted p-value under this: the groups differ by more than chance
MIN_EXPECTED = 5.0  # below this in any cell, simulate rather than trust the chi-square curve
MAX_GROUPS = 50  # more groups than this (an attribute of free text, say) are not tested
MIN_DIFFERING = 30  # fewer respondents than this coded differently between groups: simulate
DRAWS = 20_000
SEED = 0


def difference_p(coded: Sequence[int], sizes: Sequence[int]) -> float | None:
    """The p-value of the theme's share being the same in every group, from its count `coded`
    in each group of `sizes`; None where nothing can differ (under two groups with comments,
    or a theme coded on none or all of them) or there are more than MAX_GROUPS groups."""
    kept = [(c, n) for c, n in zip(coded, sizes, strict=True) if n > 0]
    if not 2 <= len(kept) <= MAX_GROUPS:
        return None
    hits = np.array([c for c, _ in kept], dtype=np.int64)
    groups = np.array([n for _, n in kept], dtype=np.int64)
    total, coded_total = int(groups.sum()), int(hits.sum())
    if coded_total in (0, total):
        return None
    share = coded_total / total
    observed = _statistic(hits, groups, share)
    expected = np.concatenate([groups * share, groups * (1 - share)])
    if expected.min() >= MIN_EXPECTED:
        return chi_square_sf(float(observed), len(kept) - 1)
    rng = np.random.default_rng(SEED)
    # "count" draws item by item, fast where few are coded (why we simulate), but holds an
    # integer per comment: past a million comments, "marginals"
    method = "count" if total <= 1_000_000 else "marginals"
    drawn = rng.multivariate_hypergeometric(groups, coded_total, size=DRAWS, method=method)
    as_extreme = int((_statistic(drawn, groups, share) >= observed * (1 - 1e-9)).sum())
    return (1 + as_extreme) / (1 + DRAWS)


def paired_difference_p(coded: np.ndarray) -> float | None:
    """Cochran's Q test of the theme's share being the same in every group, from `coded`, a
    respondent per row and a group per column (True: coded with the theme there), over the
    respondents with comments in every group; None where nothing can differ (under two groups,
    or no respondent coded differently between groups) or there are more than MAX_GROUPS."""
    table = np.asarray(coded, dtype=np.int64)
    if table.ndim != 2 or not 2 <= table.shape[1] <= MAX_GROUPS:
        return None
    k = table.shape[1]
    rows = table.sum(axis=1)
    table = table[(rows > 0) & (rows < k)]  # the same in every group: no evidence either way
    if not len(table):
        return None
    rows, total = table.sum(axis=1), int(table.sum())
    spread = k * total - int((rows**2).sum())  # Q's denominator, the same however shuffled
    observed = _q_numerator(table.sum(axis=0), total, k)
    if len(table) >= MIN_DIFFERING:
        return chi_square_sf((k - 1) * observed / spread, k - 1)
    rng = np.random.default_rng(SEED)
    as_extreme, step = 0, max(1, 1_000_000 // (len(table) * k))  # a few MB of keys at a time
    for start in range(0, DRAWS, step):
        # each respondent's codes shuffled between the groups: rank random keys within the row
        keys = rng.random((min(step, DRAWS - start), len(table), k))
        shuffled = np.argsort(keys, axis=-1) < rows[None, :, None]
        drawn = _q_numerator(shuffled.sum(axis=1), total, k)
        as_extreme += int((drawn >= observed * (1 - 1e-9)).sum())
    return (1 + as_extreme) / (1 + DRAWS)


def _q_numerator(columns: np.ndarray, total: int, k: int) -> np.ndarray:
    """k * sum(C_j^2) - N^2 of the column sums C_j, per draw."""
    return k * (columns.astype(np.int64) ** 2).sum(axis=-1) - total**2


def chi_square_sf(x: float, df: int) -> float:
    """P(X >= x) for X chi-square with `df` (a whole number) degrees of freedom, in closed form
    (the regularised upper incomplete gamma function at df/2): scipy.stats would be 50 MB more
    of memory for this one number."""
    half = x / 2.0
    if half > 700.0:  # e^-700 is at the edge of a float: the chance is nil, whatever df
        return 0.0
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for i in range(1, df // 2):
            term *= half / i
            total += term
        return min(1.0, math.exp(-half) * total)
    total = math.erfc(math.sqrt(half))
    term = math.sqrt(half / math.pi) * 2.0  # sqrt(2x/pi)
    acc = 0.0
    for i in range(1, (df + 1) // 2):
        acc += term
        term *= x / (2 * i + 1)
    return min(1.0, total + math.exp(-half) * acc)


def _statistic(hits: np.ndarray, groups: np.ndarray, share: float) -> np.ndarray:
    """Pearson's chi-square of each row of `hits` (coded per group) against the shares
    `share` would give: for a 2 x k table it is sum((o - e)^2 / e) over both rows."""
    expected = groups * share
    return ((hits - expected) ** 2 / expected).sum(axis=-1) / (1 - share)


def adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (the false discovery rate across the tests), in the
    order given; None stays None and is not counted as a test."""
    tested = [(p, i) for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    m = len(tested)
    running = 1.0
    for rank, (p, i) in reversed(list(enumerate(sorted(tested), start=1))):
        running = min(running, p * m / rank)
        out[i] = running
    return out
