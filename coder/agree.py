"""Agreement between a project's coders: gathers their codings from the store and hands them to
`coder.agreement`.

The coders are the reviewers (each one's codes on the comments they confirmed, in review or
blind sessions), and two machine coders on every comment the model scored: `model`, the latest
run's suggestions whose probability reached the theme's threshold, and `rules`, its suggestions
that a trusted codebook pattern gave. A reviewer who took one of those names keeps it.

Comments are named as their source file names them (its id column), qualified with the file
(`survey.csv:17`) where two files use the same id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Any

from coder.agreement import AgreementResult, Disagreement, agreement, disagreements
from coder.codebook import Codebook
from coder.coding import PART
from coder.errors import AgreementError
from coder.sampling import MACHINE_CODERS
from coder.store import CommentRef, Scored, Store

MODEL, RULES = MACHINE_CODERS
DEFAULT_THRESHOLD = 0.5  # for a run whose meta has none for a theme, as the review order uses


@dataclass(frozen=True)
class ProjectCodings:
    """The named coders' codings, keyed by comment name: {coder: {comment: themes}}."""

    coders: tuple[str, ...]
    codings: dict[str, dict[str, set[str]]]
    ids: dict[str, int]  # comment name -> id in the project
    codebook: Codebook  # the latest run's
    blank: int = 0  # comments with no text a coder coded, left out

    def check_theme(self, theme: str | None) -> None:
        if theme is not None and theme not in self.codebook.codable_ids:
            raise AgreementError(
                f"unknown theme '{theme}': use one of {', '.join(self.codebook.codable_ids)}"
                + self.codebook.gone_hint(theme)
            )

    def for_theme(self, theme: str | None) -> dict[str, dict[str, set[str]]]:
        """The codings, on `theme` alone if given (checked against the codebook)."""
        self.check_theme(theme)
        if theme is None:
            return self.codings
        return {
            coder: {comment: codes & {theme} for comment, codes in coded.items()}
            for coder, coded in self.codings.items()
        }


def project_codings(
    store: Store, coders: Sequence[str] | None = None, question: str | None = None
) -> ProjectCodings:
    """The named coders' codings (default: every reviewer's), each coder checked to exist;
    with `question`, of the answers to that question alone."""
    codebook = store.latest_codebook()  # also says how to fill an empty project
    humans = store.codings(book=codebook)
    answers = None if question is None else store.answers_to(question)
    # Coders agreeing that an empty answer has no theme measure nothing: blanks are left out.
    blank = store.blank_comment_ids()
    left_out = {c for coded in humans.values() for c in coded if c in blank}
    humans = {
        who: {
            c: v for c, v in coded.items() if c not in blank and (answers is None or c in answers)
        }
        for who, coded in humans.items()
    }
    humans = {who: coded for who, coded in humans.items() if coded}
    machines = tuple(name for name in MACHINE_CODERS if name not in humans)
    names = resolve(coders, tuple(sorted(humans)), machines)
    by_id = {name: humans[name] for name in names if name in humans}
    if any(name in machines for name in names):
        # Beside a reviewer, only the comments a reviewer coded can count: read just those.
        coded = sorted({c for name in names if name in humans for c in humans[name]})
        found = machine_codings(store, coded or (None if answers is None else sorted(answers)))
        replaced = codebook.replaced  # a run from before a merge coded the old ids
        by_id.update(
            (name, {c: {replaced.get(t, t) for t in codes} for c, codes in found[name].items()})
            for name in names
            if name in machines
        )
    labels = comment_names(store.comment_refs())
    codings = {
        coder: {labels[comment_id]: codes for comment_id, codes in coded.items()}
        for coder, coded in by_id.items()
    }
    ids = {label: comment_id for comment_id, label in labels.items()}
    blanks = len(left_out if answers is None else left_out & answers)
    return ProjectCodings(names, codings, ids, codebook, blanks)


def resolve(
    coders: Sequence[str] | None, reviewers: Sequence[str], machines: Sequence[str]
) -> tuple[str, ...]:
    """The coders to compare (default: every reviewer), at least two, each one that exists."""
    have = f"the reviewers who have coded comments are: {', '.join(reviewers) or 'none'}"
    if machines:
        have += f"; {' and '.join(machines)} name the latest run's suggestions"
    if coders is None:
        if len(reviewers) < 2:
            example = f"{reviewers[0] if reviewers else 'NAME'},{MODEL}"
            raise AgreementError(
                f"agreement needs at least two coders, and {have}. Have another reviewer code "
                "the same comments (`coder sample`), or name the coders to compare, e.g. "
                f"--coders {example}"
            )
        return tuple(reviewers)
    names = tuple(dict.fromkeys(coders))
    unknown = [name for name in names if name not in (*reviewers, *machines)]
    if unknown:
        raise AgreementError(f"unknown coder {', '.join(repr(n) for n in unknown)}: {have}")
    if len(names) < 2:
        raise AgreementError(f"agreement needs at least two coders, got {len(names)}: {have}")
    return names


def comment_names(refs: Sequence[CommentRef]) -> dict[int, str]:
    """How each comment is named to the user: its external id, with its source if ambiguous."""
    uses = Counter(ref.external_id for ref in refs)
    return {
        ref.id: ref.external_id if uses[ref.external_id] == 1 else f"{ref.source}:{ref.external_id}"
        for ref in refs
    }


def machine_codings(
    store: Store, among: Sequence[int] | None = None
) -> dict[str, dict[int, set[str]]]:
    """The `model` and `rules` coders' codes on every comment a run scored (its latest run), or
    on those `among` them, read a part at a time: a whole survey imported as coded must not
    hold every comment's scores and evidence at once."""
    thresholds: dict[int, dict[str, float]] = {}
    model: dict[int, set[str]] = {}
    rules: dict[int, set[str]] = {}
    parts = [None] if among is None else [among[i : i + PART] for i in range(0, len(among), PART)]
    for part in parts:
        results = store.latest_results(part)
        _machine_part(store, results, thresholds, model, rules)
    return {MODEL: model, RULES: rules}


def _machine_part(
    store: Store,
    results: Mapping[int, Scored],
    thresholds: dict[int, dict[str, float]],
    model: dict[int, set[str]],
    rules: dict[int, set[str]],
) -> None:
    for comment_id, scored in results.items():
        if scored.run_id not in thresholds:
            meta = store.run(scored.run_id).meta
            thresholds[scored.run_id] = meta.get("decision", {}).get("thresholds", {})
        cut = thresholds[scored.run_id]
        model[comment_id] = {
            s.theme
            for s in scored.suggestions
            if scored.scores.get(s.theme, 0.0) >= cut.get(s.theme, DEFAULT_THRESHOLD)
        }
        rules[comment_id] = {s.theme for s in scored.suggestions if s.source == "rule"}


def project_agreement(
    store: Store,
    coders: Sequence[str] | None = None,
    theme: str | None = None,
    question: str | None = None,
) -> tuple[AgreementResult, Codebook]:
    """Agreement between the named coders (default: every reviewer), on `theme` alone if given
    and the answers to `question` alone if given, with the codebook to label it."""
    found = project_codings(store, coders, question)
    theme_ids = [theme] if theme is not None else found.codebook.codable_ids
    result = agreement(found.for_theme(theme), theme_ids, found.coders)
    return replace(result, blank_left_out=found.blank), found.codebook


@dataclass(frozen=True)
class ProjectDisagreements:
    """The comments the coders coded differently, with their texts and any adjudicated coding."""

    coders: tuple[str, ...]
    theme: str | None
    found: list[Disagreement]
    texts: dict[str, str]  # comment name -> text
    ids: dict[str, int]  # comment name -> id in the project
    adjudicated: dict[str, tuple[str, ...]] = field(default_factory=dict)  # in codebook order

    def to_dict(self) -> dict[str, Any]:
        return {
            "coders": list(self.coders),
            "theme": self.theme,
            "disagreements": [
                {
                    **item.to_dict(),
                    "id": self.ids[item.comment],
                    "text": self.texts[item.comment],
                    "adjudicated": _listed(self.adjudicated.get(item.comment)),
                }
                for item in self.found
            ],
        }


def _listed(codes: tuple[str, ...] | None) -> list[str] | None:
    return None if codes is None else list(codes)


def project_disagreements(
    store: Store,
    coders: Sequence[str] | None = None,
    theme: str | None = None,
    question: str | None = None,
) -> tuple[ProjectDisagreements, Codebook]:
    """The comments every named coder coded on which they differ (on `theme`, if given; of the
    answers to `question`, if given)."""
    found = project_codings(store, coders, question)
    theme_ids = found.codebook.codable_ids
    found.check_theme(theme)
    listed = disagreements(found.codings, theme_ids, found.coders, theme)
    ids = {item.comment: found.ids[item.comment] for item in listed}
    final = store.adjudicated(found.codebook)
    adjudicated = {name: _ordered(final[i], theme_ids) for name, i in ids.items() if i in final}
    texts = {name: store.comment(i).text for name, i in ids.items()}
    result = ProjectDisagreements(found.coders, theme, listed, texts, ids, adjudicated)
    return result, found.codebook


def _ordered(codes: Set[str], theme_ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(t for t in theme_ids if t in codes) + tuple(sorted(set(codes) - set(theme_ids)))
