"""Samples for double-coding: a reproducible random share of a project's comments that each
named reviewer codes on their own, so that `coder agree` can compare them.

A comment's place in the draw is a hash of the seed, its source file and its id there, so the
same seed draws the same comments from the same data whatever the import order or the project
file, and a larger share with the same seed contains the smaller one. A sample, once drawn, is
kept: running `coder sample` again with the same share and seed only assigns it to reviewers
who lack it; a different share or seed needs `replace`, which draws anew and keeps the old
sample on record (codings already made are never touched).
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from coder.errors import InputError
from coder.store import CommentRef, Sample, Store, empty_project

# Names `coder agree` gives the latest run's suggestions: no reviewer may take them.
MACHINE_CODERS = ("model", "rules")
SEED_RANGE = 1_000_000  # a drawn seed short enough to type

Action = Literal["drawn", "replaced", "extended", "unchanged"]


def sample_size(population: int, fraction: float) -> int:
    """The number of comments a share draws: rounded, at least one of a non-empty project."""
    return min(population, max(1, round(fraction * population))) if population else 0


def draw(refs: Iterable[CommentRef], fraction: float, seed: int) -> list[int]:
    """The ids of the comments a share draws with a seed, in the order drawn."""
    refs = list(refs)

    def rank(ref: CommentRef) -> tuple[bytes, int]:
        key = f"{seed}\0{ref.source}\0{ref.external_id}".encode()
        return hashlib.sha256(key).digest(), ref.id

    ranked = sorted(refs, key=rank)
    return [ref.id for ref in ranked[: sample_size(len(refs), fraction)]]


@dataclass(frozen=True)
class SampleOutcome:
    """What `double_code` did: the sample now current, and who was newly assigned to it."""

    action: Action
    sample: Sample
    added: tuple[str, ...]  # reviewers newly assigned
    replaced: Sample | None = None
    imported_since: int = 0  # comments imported after the sample was drawn, not in it
    blank: int = 0  # comments with no text, left out of the draw

    def summary(self) -> str:
        sample, added = self.sample, ", ".join(self.added)
        drawn = _describe(sample)
        if self.action == "unchanged":
            text = f"The sample of {drawn} is already assigned to {', '.join(sample.reviewers)}"
            text += "; nothing changed."
        elif self.action == "extended":
            kept = [r for r in sample.reviewers if r not in self.added]
            text = f"Assigned the sample of {drawn} to {added} too; {', '.join(kept)} had it."
        else:
            text = f"Sampled {drawn} for double coding by {added}"
            if self.replaced is not None:
                text += f", replacing the sample of {_describe(self.replaced)}"
                text += " (codings already made are kept)"
            count = _comments(len(sample.comment_ids))
            text += f": {count} assigned to each, served to them first."
            if self.blank:
                verb = "is" if self.blank == 1 else "are"
                text += f" {_comments(self.blank)} with no text {verb} left out."
        if self.imported_since:
            text += (
                f" {_comments(self.imported_since)} imported since it was drawn "
                f"{'is' if self.imported_since == 1 else 'are'} not in it; draw again over all "
                "with --replace."
            )
        return text


def _comments(count: int) -> str:
    return f"{count} comment{'' if count == 1 else 's'}"


def _describe(sample: Sample) -> str:
    share = f"{sample.fraction * 100:g}%"
    return (
        f"{len(sample.comment_ids)} of {_comments(sample.population)} ({share}, seed {sample.seed})"
    )


def double_code(
    store: Store,
    fraction: float,
    reviewers: Sequence[str],
    seed: int | None = None,
    replace: bool = False,
) -> SampleOutcome:
    """Draw a sample of `fraction` of the comments for each reviewer to code (or assign the
    project's sample to more reviewers when the share and seed are those it was drawn with).

    With no seed, the current sample's seed, else a new one (recorded, and reported by
    `SampleOutcome.summary`). A different share or seed is refused unless `replace`.
    """
    names = _check(fraction, reviewers)
    every = store.comment_refs()
    if not every:
        raise empty_project(store.path)
    blank = store.blank_comment_ids()  # two coders agreeing on nothing measures nothing
    refs = [ref for ref in every if ref.id not in blank]
    if not refs:
        raise InputError(f"every comment in {store.path} is blank: there is nothing to code")
    current = store.current_sample()
    if current is not None and not replace:
        if fraction != current.fraction or seed not in (None, current.seed):
            raise InputError(_already(store, current, fraction, seed))
        added = tuple(name for name in names if name not in current.reviewers)
        if added:
            store.assign_sample(current.id, added)
        sample = store.current_sample()
        assert sample is not None
        since = len(store.imported_after(current.created_at) - blank)
        return SampleOutcome("extended" if added else "unchanged", sample, added, None, since)
    if seed is None:
        seed = current.seed if current is not None else random.SystemRandom().randrange(SEED_RANGE)
    sample = store.add_sample(fraction, seed, len(refs), draw(refs, fraction, seed), names)
    return SampleOutcome("replaced" if current else "drawn", sample, names, current, 0, len(blank))


def _check(fraction: float, reviewers: Sequence[str]) -> tuple[str, ...]:
    if not 0 < fraction <= 1:
        raise InputError(f"the share to double-code must be above 0 and at most 1, got {fraction}")
    names = tuple(dict.fromkeys(name.strip() for name in reviewers if name.strip()))
    if not names:
        raise InputError("name the reviewers who code the sample, e.g. --reviewers ana,ben")
    check_reviewer_names(names)
    return names


def check_reviewer_names(names: Iterable[str]) -> None:
    """Refuse a reviewer named as `coder agree` names the machine coders (the model and the
    rules could no longer be compared with the reviewers), and a name holding the `,` or `;`
    that lists of names are separated by (`--coders ana,ben`, an export's `reviewers`), or a
    control character."""
    from coder.refi_project import ADJUDICATION_USER, MODEL_USER, RULES_USER

    for name in names:
        if name.strip() in MACHINE_CODERS:
            raise InputError(
                f"'{name}' is the name `coder agree` gives the latest run's suggestions; "
                "choose another reviewer name"
            )
        if name.strip() in (MODEL_USER, RULES_USER, ADJUDICATION_USER):
            raise InputError(
                f"'{name}' is a name coder's .qdpx exports give their own users; choose another "
                "reviewer name (a .qdpx user's coding goes in under another with --as NAME)"
            )
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise InputError(
                f"reviewer name {name!r} holds a control character (a tab, a line break, an "
                "escape), which a .qdpx or a terminal cannot carry: choose another name"
            )
        if "," in name or ";" in name:
            raise InputError(
                f"reviewer name '{name}' holds a comma or semicolon, which separate the names "
                "in a list (--coders ana,ben): choose another, e.g. 'Ana Smith' (a .qdpx "
                f"user's coding goes in under another name with --reviewer '{name}' --as NAME)"
            )


def _already(store: Store, current: Sample, fraction: float, seed: int | None) -> str:
    asked = f"--double {fraction:g}" + (f" --seed {seed}" if seed is not None else "")
    return (
        f"project {store.path} already has a double-coding sample: {_describe(current)}, "
        f"assigned to {', '.join(current.reviewers)}. To draw another with {asked}, add "
        f"--replace (codings already made are kept); to assign this one to more reviewers, "
        f"give --double {current.fraction:g} --seed {current.seed}"
    )
