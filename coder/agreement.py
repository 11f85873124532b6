"""Agreement between coders: per theme, overall, and the comments where they differ.

Input is plain data, so any store can feed it: `codings` maps a coder's name to
{comment id: set of theme ids}; a comment missing for a coder means that coder did not code it
(an empty set means they coded it with no theme). Statistics are computed on the comments that
every named coder coded.

Per theme, each comment is a binary item (theme present or absent) and we report:

- percent agreement: the mean, over comments, of the share of coder pairs that agree (with two
  coders, the share of comments they agree on; ReCal's "average pairwise percent agreement"),
  a proportion from 0 to 1;
- Cohen's kappa (exactly two coders, else None), Fleiss' kappa (any number of coders),
  Krippendorff's alpha (nominal) and Gwet's AC1;
- a band for alpha: >= 0.80 reliable, 0.667 to 0.80 tentative, below: revise the definition.

Conventions for the edge cases:

- A theme nobody used (every coder said "absent" on every comment), or one every coder gave to
  every comment: there is a single category, so the agreement expected by chance is total and
  the kappas and alpha are 0/0, undefined. They are None (no band), with a note saying why;
  percent agreement is 1.0 and AC1, which does not divide by zero here, is 1.0.
- Perfect agreement with both categories used: every coefficient is 1.0.
- Fewer than 2 comments: chance agreement cannot be estimated from one comment, so only
  percent agreement is given; every chance-corrected figure is None, with a note.

Overall: Krippendorff's alpha with the MASI distance (Passonneau 2006) over each comment's set
of themes, the share of comments on which every coder gave the same set, and the mean of each
per-theme figure over the themes some coder used where the figure is defined (so a theme
nobody used neither helps nor hurts a mean).

The coefficient functions take `units`: one sequence per item (comment) of the values the
coders gave it. Krippendorff's alpha, Fleiss' kappa, AC1 and percent agreement accept units with
missing values (fewer values than coders), as in Krippendorff (2011) and Gwet (2014);
units with fewer than two values are not pairable and do not count for agreement.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import chain, combinations, repeat
from typing import Any

import numpy as np

from coder.errors import AgreementError

Units = Sequence[Sequence[Hashable]]
Distance = Callable[[Any, Any], float]
Codings = Mapping[str, Mapping[str, Set[str]]]

RELIABLE, TENTATIVE = 0.80, 0.667
FIGURES = ("percent_agreement", "cohen_kappa", "fleiss_kappa", "alpha", "ac1")


def nominal_distance(a: Hashable, b: Hashable) -> float:
    """0 for the same value, 1 for different ones."""
    return 0.0 if a == b else 1.0


def masi_distance(a: Set[Hashable], b: Set[Hashable]) -> float:
    """MASI distance between two sets (Passonneau 2006): 1 - Jaccard x monotonicity.

    Monotonicity is 1 for equal sets, 2/3 when one contains the other, 1/3 when they overlap
    and 0 when they are disjoint. Two empty sets (two coders who gave no theme) are equal: 0.
    """
    if a == b:
        return 0.0
    jaccard = len(a & b) / len(a | b)
    if len(a & b) == min(len(a), len(b)):  # one contains the other
        return 1.0 - jaccard * 2 / 3
    return 1.0 - jaccard / 3  # overlapping, or disjoint (jaccard 0)


def krippendorff_alpha(units: Units, distance: Distance = nominal_distance) -> float | None:
    """Krippendorff's alpha, 1 - observed / expected disagreement, with missing values allowed.

    `distance` must be symmetric and 0 for equal values. None where the expected disagreement
    is 0 (a single value throughout) or there is no pairable unit.
    """
    # Units alike count alike: a theme's 100,000 comments coded by two coders are four kinds
    shapes = Counter(tuple(values) for values in units if len(values) >= 2)
    pooled: Counter[Hashable] = Counter()
    observed = 0.0
    for values, alike in shapes.items():
        counts = Counter(values)
        observed += alike * _disagreement(counts, distance) / (counts.total() - 1)
        for value, n in counts.items():
            pooled[value] += alike * n
    expected = _disagreement(pooled, distance)
    if expected == 0:
        return None
    return 1.0 - (pooled.total() - 1) * observed / expected


def _disagreement(counts: Counter[Hashable], distance: Distance) -> float:
    """Sum of the distances over all ordered pairs of values drawn from `counts`."""
    return 2.0 * sum(
        counts[a] * counts[b] * distance(a, b) for a, b in combinations(list(counts), 2)
    )


def percent_agreement(units: Units) -> float:
    """Mean over pairable units of the share of coder pairs that gave the same value."""
    return _agreement_and_prevalence(units, _categories(units))[0]


def fleiss_kappa(units: Units) -> float | None:
    """Fleiss' kappa (1971); with missing values, Gwet's generalisation. None if undefined."""
    observed, prevalence = _agreement_and_prevalence(units, _categories(units))
    return _chance_corrected(observed, float(np.sum(prevalence**2)))


def gwet_ac1(units: Units, categories: Sequence[Hashable]) -> float:
    """Gwet's AC1 (2008) over the given categories, observed or not (their number matters)."""
    if len(categories) < 2:
        raise ValueError("AC1 needs at least two categories")
    observed, prevalence = _agreement_and_prevalence(units, categories)
    expected = float(np.sum(prevalence * (1 - prevalence))) / (len(categories) - 1)
    return (observed - expected) / (1 - expected)  # expected <= 1 - 1/q < 1


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa between two coders' values on the same items. None if undefined."""
    if len(first) != len(second) or not first:
        raise ValueError("Cohen's kappa needs two equally long, non-empty sequences")
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    marginal_a, marginal_b = Counter(first), Counter(second)
    expected = sum(marginal_a[c] * marginal_b[c] for c in marginal_a) / n**2
    return _chance_corrected(observed, expected)


def _chance_corrected(observed: float, expected: float) -> float | None:
    # Undefined only where chance agreement is certain (one value everywhere): np.isclose's
    # tolerance also took in one use of a theme among 100,000 comments.
    return None if 1.0 - expected < 1e-12 else (observed - expected) / (1 - expected)


def _categories(units: Units) -> list[Hashable]:
    return list(dict.fromkeys(value for values in units for value in values))


def _agreement_and_prevalence(
    units: Units, categories: Sequence[Hashable]
) -> tuple[float, np.ndarray]:
    """Gwet's p_a and the category shares pi_k from the units x categories table of counts.

    p_a averages, over units with two or more values, the share of agreeing pairs; pi_k
    averages, over units with at least one value, the share of that unit's values in k.
    """
    column = {category: k for k, category in enumerate(categories)}
    shapes = Counter(tuple(values) for values in units)  # a row per kind of unit, weighed
    table = np.zeros((len(shapes), len(categories)))
    for i, values in enumerate(shapes):
        for value in values:
            table[i, column[value]] += 1
    alike = np.fromiter(shapes.values(), dtype=float, count=len(shapes))
    raters = table.sum(axis=1)
    pairable, rated = raters >= 2, raters >= 1
    if not pairable.any():
        raise ValueError("no unit has values from two coders")
    pairs = table[pairable]
    r = raters[pairable]
    shares = np.sum(pairs * (pairs - 1), axis=1) / (r * (r - 1))
    observed = float(np.average(shares, weights=alike[pairable]))
    prevalence = np.average(table[rated] / raters[rated, None], axis=0, weights=alike[rated])
    return observed, prevalence


def band(alpha: float | None) -> str | None:
    """The usual reading of Krippendorff's alpha (Krippendorff 2004): None if undefined."""
    if alpha is None:
        return None
    if alpha >= RELIABLE:
        return "reliable"
    return "tentative" if alpha >= TENTATIVE else "revise the definition"


@dataclass(frozen=True)
class ThemeAgreement:
    """One theme's agreement; `note` says why a figure is None, `counts` how often each coder
    gave the theme on the compared comments."""

    theme: str
    n: int
    percent_agreement: float
    cohen_kappa: float | None
    fleiss_kappa: float | None
    alpha: float | None
    ac1: float | None
    counts: dict[str, int] = field(default_factory=dict)
    note: str | None = None

    @property
    def band(self) -> str | None:
        return band(self.alpha)

    def to_dict(self) -> dict[str, Any]:
        figures = {name: _rounded(getattr(self, name)) for name in FIGURES}
        return {"n": self.n, **figures, "band": self.band, "counts": self.counts, "note": self.note}


@dataclass(frozen=True)
class AgreementResult:
    """Agreement between `coders` on the `n` comments they all coded."""

    coders: tuple[str, ...]
    n: int
    themes: tuple[ThemeAgreement, ...]
    masi_alpha: float | None
    exact_agreement: float  # share of comments where every coder gave the same set of themes
    mean: dict[str, float | None]
    masi_note: str | None = None  # why masi_alpha is None
    blank_left_out: int = 0  # comments with no text that coders coded, not compared

    def theme(self, theme_id: str) -> ThemeAgreement:
        for theme in self.themes:
            if theme.theme == theme_id:
                return theme
        raise KeyError(theme_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "coders": list(self.coders),
            "n": self.n,
            "masi_alpha": _rounded(self.masi_alpha),
            "masi_band": band(self.masi_alpha),
            "masi_note": self.masi_note,
            "blank_left_out": self.blank_left_out,
            "exact_agreement": _rounded(self.exact_agreement),
            "mean": {name: _rounded(value) for name, value in self.mean.items()},
            "themes": {t.theme: t.to_dict() for t in self.themes},
        }


@dataclass(frozen=True)
class Disagreement:
    """A comment the coders coded differently, with each coder's themes in codebook order."""

    comment: str
    codes: dict[str, tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {"comment": self.comment, "codes": {c: list(t) for c, t in self.codes.items()}}


def agreement(
    codings: Codings, theme_ids: Sequence[str], coders: Sequence[str] | None = None
) -> AgreementResult:
    """Agreement per theme and overall between `coders` (default: every coder in `codings`).

    Raises AgreementError for fewer than two coders, a named coder with no codings, a theme
    not in `theme_ids`, or no comment coded by every coder.
    """
    names, comments = _shared_comments(codings, theme_ids, coders)
    sets = [[frozenset(codings[name][comment]) for name in names] for comment in comments]
    alike = Counter(tuple(row) for row in sets)  # comments coded alike by everyone, counted
    themes = tuple(_theme_agreement(theme, names, alike) for theme in theme_ids)
    masi = krippendorff_alpha(sets, masi_distance) if len(sets) >= 2 else None
    exact = sum(len(set(row)) == 1 for row in sets) / len(sets)
    note = None if masi is not None else _masi_note(sets)
    return AgreementResult(names, len(sets), themes, masi, exact, _means(themes), note)


def _masi_note(sets: Sequence[Sequence[frozenset[str]]]) -> str:
    if len(sets) < 2:
        return "fewer than 2 comments: alpha needs at least 2"
    return "every coder gave every comment the same set of themes; alpha undefined"


def disagreements(
    codings: Codings,
    theme_ids: Sequence[str],
    coders: Sequence[str] | None = None,
    theme: str | None = None,
) -> list[Disagreement]:
    """The comments every coder coded on which they differ (on `theme`, if given), by id."""
    names, comments = _shared_comments(codings, theme_ids, coders)
    if theme is not None and theme not in theme_ids:
        raise AgreementError(f"unknown theme '{theme}': use one of {', '.join(theme_ids)}")
    found = []
    for comment in comments:
        given = {name: codings[name][comment] for name in names}
        if _differ(list(given.values()), theme):
            ordered = {
                name: tuple(t for t in theme_ids if t in codes) for name, codes in given.items()
            }
            found.append(Disagreement(comment, ordered))
    return found


def _differ(given: Sequence[Set[str]], theme: str | None) -> bool:
    if theme is None:
        return len({frozenset(codes) for codes in given}) > 1
    return len({theme in codes for codes in given}) > 1


def _shared_comments(
    codings: Codings, theme_ids: Sequence[str], coders: Sequence[str] | None
) -> tuple[tuple[str, ...], list[str]]:
    """The named coders (checked) and the ids of the comments all of them coded, in id order."""
    existing = [name for name, coded in codings.items() if coded]
    have = f"coders with codings: {', '.join(existing) or 'none'}"
    names = tuple(dict.fromkeys(coders if coders is not None else existing))
    if len(names) < 2:
        raise AgreementError(f"agreement needs at least two coders, got {len(names)}; {have}")
    missing = [name for name in names if not codings.get(name)]
    if missing:
        raise AgreementError(f"no codings by {', '.join(missing)}; {have}")
    _check_themes(codings, names, theme_ids)
    shared = set.intersection(*(set(codings[name]) for name in names))
    if not shared:
        raise AgreementError(
            f"no comment was coded by all of {', '.join(names)}: have each of them code the "
            "same sample of comments"
        )
    return names, sorted(shared, key=_natural_key)


def _check_themes(codings: Codings, names: Sequence[str], theme_ids: Sequence[str]) -> None:
    known = set(theme_ids)
    unknown = sorted(
        {t for name in names for codes in codings[name].values() for t in codes} - known
    )
    if unknown:
        raise AgreementError(
            f"codings use themes that are not codable in the codebook: {', '.join(unknown)}; "
            "fix those codings or the codebook first"
        )


def _natural_key(comment: str) -> list[Any]:
    """'2' before '10': numeric runs compare as numbers, so store ids sort as expected."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", str(comment))
    ]


def _theme_agreement(
    theme: str, names: Sequence[str], alike: Counter[tuple[frozenset[str], ...]]
) -> ThemeAgreement:
    """One theme's figures, from how many comments each combination of codings has: each
    combination (most comments share theirs with many others) is turned into a unit once."""
    shapes: Counter[tuple[bool, ...]] = Counter()
    for row, n in alike.items():
        shapes[tuple(theme in codes for codes in row)] += n
    units = list(chain.from_iterable(repeat(unit, n) for unit, n in shapes.items()))
    counts = {name: sum(n for unit, n in shapes.items() if unit[j]) for j, name in enumerate(names)}
    percent = percent_agreement(units)
    if len(units) < 2:
        note = "fewer than 2 comments: chance-corrected figures need at least 2"
        return ThemeAgreement(theme, len(units), percent, None, None, None, None, counts, note)
    alpha = krippendorff_alpha(units)
    return ThemeAgreement(
        theme,
        len(units),
        percent,
        cohen_kappa(*zip(*units, strict=True)) if len(names) == 2 else None,
        fleiss_kappa(units),
        alpha,
        gwet_ac1(units, (False, True)),
        counts,
        None if alpha is not None else _single_category_note(units),
    )


def _single_category_note(units: Sequence[Sequence[bool]]) -> str:
    everywhere = all(all(unit) for unit in units)
    used = "every coder gave it to every comment" if everywhere else "no coder used it"
    return f"{used}; kappa and alpha undefined"


def _means(themes: Sequence[ThemeAgreement]) -> dict[str, float | None]:
    used = [t for t in themes if any(t.counts.values())]
    means: dict[str, float | None] = {}
    for name in FIGURES:
        values = [getattr(t, name) for t in used if getattr(t, name) is not None]
        means[name] = float(np.mean(values)) if values else None
    return means


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
