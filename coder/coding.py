"""The coding each comment ends up with, and where it comes from: what exports and reports use.

Per comment, the first of these that exists:

- **adjudicated**: the coding an adjudicator recorded (`coder review --adjudicate`);
- **agreed**: two or more reviewers coded it and all gave the same set of themes;
- **reviewed**: one reviewer coded it;
- **disputed**: two or more reviewers coded it differently and nobody has adjudicated it. A
  theme counts when more than half of them coded it (so, with two reviewers, the themes both
  gave): a coding no reviewer would object to by majority, never more than anyone chose;
- **suggested**: nobody has reviewed it: the latest run's suggestions (a theme whose probability
  reached its threshold, or a trusted rule's match).

A reviewer's coding counts once they have confirmed the comment (accepted it, or rejected all).
Each theme also gets a status against the latest run's suggestions: `suggested` (nobody reviewed
it), `accepted` (suggested and kept), `rejected` (suggested and not kept), `added` (coded though
not suggested).
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path

from coder.codebook import Codebook
from coder.errors import InputError
from coder.folding import CommentState, merged_results
from coder.results import Suggestion
from coder.store import Comment, Decision, Scored, Store, UnfinishedImport, empty_project

PROVENANCES = ("adjudicated", "agreed", "reviewed", "disputed", "suggested")
HUMAN = frozenset(PROVENANCES[:4])


@dataclass(frozen=True)
class ThemeCoding:
    """One theme of a comment that is coded, suggested, or both."""

    theme: str
    coded: bool
    status: str  # suggested, accepted, rejected or added
    score: float | None  # the latest run's probability
    suggestion: Suggestion | None  # the latest run's, with its source and evidence
    reviewers: tuple[str, ...] = ()  # the humans whose decision this is
    decided_at: str | None = None  # the latest of their decisions on it


@dataclass(frozen=True)
class FinalCoding:
    comment: Comment
    provenance: str
    codes: tuple[str, ...]  # in codebook order
    themes: tuple[ThemeCoding, ...]  # every theme coded or suggested, in codebook order
    reviewers: tuple[str, ...]  # whose coding counts: the adjudicators, else the coders
    memo: str  # their memos ("name: memo" each when several wrote one)
    scored: Scored | None  # the latest run's results
    flagged: tuple[str, ...] = ()  # the coders who flagged it for discussion
    memos: tuple[tuple[str, str], ...] = ()  # (coder, memo) of every coder who wrote one
    # Who wrote it: its id in its file, which answers from several files of a survey share;
    # `file:line` where its file had no id column (line 2 of two files is two people).
    respondent: str = ""

    @property
    def human(self) -> bool:
        return self.provenance in HUMAN

    def theme(self, theme_id: str) -> ThemeCoding | None:
        return next((t for t in self.themes if t.theme == theme_id), None)


def decide(
    versions: Mapping[str, Set[str]], adjudicated: Set[str] | None, suggested: Iterable[str]
) -> tuple[frozenset[str], str]:
    """The themes of one comment and their provenance, from each reviewer's coding of it, the
    adjudicated coding (None if not adjudicated) and the suggested themes."""
    if adjudicated is not None:
        return frozenset(adjudicated), "adjudicated"
    if not versions:
        return frozenset(suggested), "suggested"
    distinct = {frozenset(codes) for codes in versions.values()}
    if len(distinct) == 1:
        return distinct.pop(), "reviewed" if len(versions) == 1 else "agreed"
    votes = Counter(theme for codes in versions.values() for theme in codes)
    return frozenset(t for t, n in votes.items() if 2 * n > len(versions)), "disputed"


# Comments read at a time: an export of a big project holds one part's results, not them all.
PART = 2_000

# Told (comments read, comments in all) after each part: an export of a big project takes
# minutes, which a person at a terminal should see pass.
Progress = Callable[[int, int], None]


class ProjectCodings:
    """A project's final codings in import order, read a part at a time; with `question`, the
    answers to that question alone; with `among`, those comments alone. Raises StoreError for
    a project with no comments and InputError when `reviewed_only` leaves none or the project
    has no such question. `progress`, if given, is told how far `parts` has read."""

    def __init__(
        self,
        store: Store,
        reviewed_only: bool = False,
        book: Codebook | None = None,
        question: str | None = None,
        among: Collection[int] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.progress = progress
        self.book = book or store.latest_codebook()
        ids = comment_ids(store, question)
        if among is not None:  # a double-coding sample, say
            ids = [i for i in ids if i in among]
        self._project = _Project.read(store, self.book)
        if reviewed_only:
            ids = [i for i in ids if i in self._project.adjudicated or i in self._project.coders]
            if not ids:
                raise InputError(
                    f"no comment in project {store.path} has been reviewed yet; review some "
                    "with `coder review`, or leave out --reviewed-only to use the suggestions"
                )
        self.ids = ids

    def parts(self, size: int | None = None, silent: bool = False) -> Iterator[list[FinalCoding]]:
        """The codings, `size` comments (default `PART`) at a time; `silent`: without telling
        `progress` (a pass that counts before the one that writes)."""
        size = size or PART
        merges = bool(self.book.replaced)  # without merges, a run's results are read as stored
        for start in range(0, len(self.ids), size):
            part = self.ids[start : start + size]
            comments, latest = self.store.comments(part), self.store.latest_results(part)
            if merges:
                latest = {i: merged_results(scored, self.book) for i, scored in latest.items()}
            # when each theme was last decided, read a part at a time: a whole log is large
            dates = _decided_at(self.store.theme_decisions(part), self.book.replaced)
            yield [self._project.coding(comments[i], latest.get(i), dates.get(i, {})) for i in part]
            if self.progress is not None and not silent:
                self.progress(start + len(part), len(self.ids))

    def coders_codes(self, comment_id: int) -> dict[str, set[str]]:
        """Each coder's own coding of a comment they confirmed: {coder: themes}, whether or not
        it was adjudicated since."""
        states = self._project.coders.get(comment_id, {})
        return {name: state.codes for name, state in states.items()}

    def adjudication(self, comment_id: int) -> set[str] | None:
        """The comment's adjudicated coding, None if nobody adjudicated it."""
        return self._project.adjudicated.get(comment_id)


def _whose(states: Mapping[str, CommentState], settled: set[str] | None) -> tuple[str, ...]:
    """The reviewers whose coding counts: the coders; of adjudicators, those whose own coding
    is the adjudication (one replaced by a later adjudicator's no longer counts)."""
    if settled is not None:
        agreeing = sorted(name for name, state in states.items() if set(state.codes) == settled)
        if agreeing:
            return tuple(agreeing)
    return tuple(sorted(states))


def comment_ids(store: Store, question: str | None = None) -> list[int]:
    """The project's comments in import order; with `question`, the answers to it alone.
    Raises StoreError for a project with no comments, InputError for an unknown question."""
    ids = store.order("file")
    if not ids:
        raise empty_project(store.path)
    if question is None:
        return ids
    answers = store.answers_to(question)
    return [i for i in ids if i in answers]


def final_codings(
    store: Store, reviewed_only: bool = False, book: Codebook | None = None
) -> list[FinalCoding]:
    """Every comment's final coding, in import order; with `reviewed_only`, only the comments
    a human coded. Raises as `ProjectCodings` does."""
    found = ProjectCodings(store, reviewed_only, book)
    return [coding for part in found.parts() for coding in part]


@dataclass(frozen=True)
class _Project:
    """What the final codings are made from that is read once: the reviewers' work (the runs'
    results are read a part at a time)."""

    coders: dict[int, dict[str, CommentState]]  # {comment: {reviewer: state}}, confirmed only
    # {comment: the coders who flagged it}, {comment: ((coder, memo), ...)}, confirmed or not
    flags: dict[int, tuple[str, ...]]
    memos: dict[int, tuple[tuple[str, str], ...]]
    judges: dict[int, dict[str, CommentState]]  # the same for adjudicators
    adjudicated: dict[int, set[str]]
    position: dict[str, int]  # codebook order
    numbered: frozenset[str]  # files whose comments are known by line number (no id column)

    @classmethod
    def read(cls, store: Store, book: Codebook) -> _Project:
        states = store.states(book=book)
        flags, memos = _remarks(states)
        return cls(
            coders=_by_comment(states),
            flags=flags,
            memos=memos,
            judges=_by_comment(store.states(adjudicated=True, book=book)),
            adjudicated=store.adjudicated(book),
            position={theme_id: n for n, theme_id in enumerate(book.codable_ids)},
            numbered=store.line_numbered_sources(),
        )

    def coding(
        self, comment: Comment, scored: Scored | None, dates: Mapping[tuple[str, str], str]
    ) -> FinalCoding:
        judged = comment.id in self.adjudicated
        states = self.judges[comment.id] if judged else self.coders.get(comment.id, {})
        versions = {name: state.codes for name, state in states.items()}
        suggestions = {s.theme: s for s in scored.suggestions} if scored else {}
        codes, provenance = decide(versions, self.adjudicated.get(comment.id), suggestions)
        human = provenance in HUMAN
        themes = tuple(
            _theme(theme, theme in codes, human, versions, suggestions.get(theme), scored, dates)
            for theme in sorted({*codes, *suggestions}, key=self._order)
        )
        return FinalCoding(
            comment=comment,
            provenance=provenance,
            codes=tuple(t.theme for t in themes if t.coded),
            themes=themes,
            reviewers=_whose(states, self.adjudicated.get(comment.id)),
            # a coder's memo counts whether they confirmed the comment or not (`--uncoded`)
            memo=_memo(_memos_of(states) if judged else self.memos.get(comment.id, ())),
            scored=scored,
            flagged=self.flags.get(comment.id, ()),
            memos=self.memos.get(comment.id, ()),
            respondent=(
                f"{comment.source}:{comment.external_id}"
                if comment.source in self.numbered
                else comment.external_id
            ),
        )

    def _order(self, theme: str) -> tuple[int, str]:
        return self.position.get(theme, len(self.position)), theme


def themes_left_out(store: Store, book: Codebook) -> dict[str, int]:
    """The themes reviewers or adjudicators coded that `book` has no codable theme for (a theme
    a later codebook dropped, or gave another id), with how many comments each. Exports,
    reports and training under `book` leave these codes out; the decisions stay in the project."""
    known = set(book.codable_ids)
    folded_in = {old for old, new in book.replaced.items() if new in known}
    if store.decided_themes() <= known | folded_in:  # the usual case: no need to fold the log
        return {}
    found: dict[str, set[int]] = {}
    for adjudicated in (False, True):
        for coded in store.codings(adjudicated, book).values():
            for comment_id, codes in coded.items():
                for theme in codes - known:
                    found.setdefault(theme, set()).add(comment_id)
    return {theme: len(found[theme]) for theme in sorted(found)}


def waiting_after_split(store: Store, book: Codebook) -> dict[str, int]:
    """The themes `book` split that reviewers or adjudicators coded comments with and have not
    reviewed again since, with how many comments each: those comments count as not reviewed by
    them until they are (see `coder.folding`)."""
    if not book.split:
        return {}
    found: dict[str, set[int]] = {}
    states = [*store.states(book=book).values(), store.adjudication_states(book)]
    for by_comment in states:
        for comment_id, state in by_comment.items():
            for theme in state.resplit:
                found.setdefault(theme, set()).add(comment_id)
    return {theme: len(found[theme]) for theme in sorted(found)}


def left_out_note(store: Store, book: Codebook) -> str:
    """Lines saying which files' imports have not finished (`unfinished_lines`), which reviewed
    codes `themes_left_out` finds, and which comments wait to be reviewed again after a split
    (`waiting_after_split`), and what to do; empty when none."""
    left_out, waiting = themes_left_out(store, book), waiting_after_split(store, book)
    lines = unfinished_lines(store.path, store.unfinished_imports())
    if left_out:
        lines.append(
            f"Left out: reviewers' codes on themes that codebook '{book.name}' has no codable "
            f"theme with that id for: {_counted(left_out)}. The decisions stay in the project and "
            "count again under a codebook that has these ids, or one whose themes list them "
            "under `replaces` (a theme given a new id, or themes merged)."
        )
    if waiting:
        lines.append(waiting_line(store.path, book, waiting))
    return "\n".join(lines)


def unfinished_lines(path: str | Path, unfinished: Iterable[UnfinishedImport]) -> list[str]:
    """A line for each import `coder tag --db` began and has not finished
    (`Store.unfinished_imports`): the project holds part of that file, which counts and exports
    would otherwise pass off as all of it."""
    lines = []
    for found in unfinished:
        column = f", column '{found.question}'" if found.question else ""
        running = found.running  # a probe of the process: asked once
        if running:
            state = f"is still being tagged into the project (process {found.process})"
            then = "counts and exports cover those alone until it is done"
        else:
            maybe = "is still being tagged into the project or " if running is None else ""
            state = f"{maybe}stopped part way"
            then = (
                "tagging the file into the project again with the same model adds the rest "
                f"(`coder status {shlex.quote(str(path))} --accept-part "
                f"{shlex.quote(found.source)}` takes the part as all of it)"
            )
        lines.append(
            f"Unfinished: {found.source}{column} (tagging began {found.began}, run {found.run_id}) "
            f"{state}: {found.stored:,} of its comments are in the project so far; {then}."
        )
    return lines


def waiting_line(path: str | Path, book: Codebook, waiting: Mapping[str, int]) -> str:
    """What `waiting_after_split` found, and the command that goes through those comments."""
    themes = _counted(
        {f"{old} (split into {', '.join(book.split[old])})": n for old, n in waiting.items()}
    )
    return (
        f"To review again: comments reviewers coded with a theme that codebook '{book.name}' "
        f"split: {themes}. Until a reviewer codes them with its parts they count as not "
        f"reviewed. Each reviewer goes through theirs with: coder review {path} --theme "
        f"{next(iter(waiting))} --reviewer NAME"
    )


def _counted(themes: Mapping[str, int]) -> str:
    return ", ".join(f"{theme} ({n} comment{'' if n == 1 else 's'})" for theme, n in themes.items())


def provenance_counts(codings: Sequence[FinalCoding]) -> dict[str, int]:
    """How many comments have each provenance, every provenance listed."""
    found = Counter(c.provenance for c in codings)
    return {name: found[name] for name in PROVENANCES}


def describe_basis(codings: Sequence[FinalCoding], reviewed_only: bool, note: str = "") -> str:
    """A line saying which coding counts and exports use, and how many comments have each,
    then `note` (what `left_out_note` says)."""
    return basis_line(provenance_counts(codings), reviewed_only, note)


def basis_line(found: Mapping[str, int], reviewed_only: bool, note: str = "") -> str:
    """`describe_basis` from how many comments have each provenance."""
    counts = {name: found.get(name, 0) for name in PROVENANCES}
    parts = ", ".join(f"{n:,} {name}" for name, n in counts.items() if n)
    rule = "adjudicated, else agreed by its reviewers, else a single reviewer's"
    if reviewed_only:
        used = f"reviewed comments only ({rule})"
    else:
        used = f"reviewed coding where there is one ({rule}), else the model's suggestions"
    n = sum(counts.values())
    total = f"{n:,} comment{'' if n == 1 else 's'}"
    line = f"Coding used: {used}; {total}: {parts}."
    if counts["disputed"]:
        line += (
            " Disputed: reviewers differ and nobody has adjudicated; a theme counts where "
            "most of them coded it."
        )
    return f"{line}\n{note}" if note else line


def _by_comment(states: dict[str, dict[int, CommentState]]) -> dict[int, dict[str, CommentState]]:
    """{comment: {reviewer: state}} of the comments each reviewer confirmed."""
    out: dict[int, dict[str, CommentState]] = {}
    for reviewer, comments in states.items():
        for comment_id, state in comments.items():
            if state.reviewed:
                out.setdefault(comment_id, {})[reviewer] = state
    return out


def _remarks(
    states: dict[str, dict[int, CommentState]],
) -> tuple[dict[int, tuple[str, ...]], dict[int, tuple[tuple[str, str], ...]]]:
    """Per comment, the coders who flagged it, and each coder's memo on it (by coder name),
    whether they confirmed it or not."""
    flags: dict[int, tuple[str, ...]] = {}
    memos: dict[int, tuple[tuple[str, str], ...]] = {}
    for reviewer, comments in sorted(states.items()):
        for comment_id, state in comments.items():
            if state.flagged:
                flags[comment_id] = (*flags.get(comment_id, ()), reviewer)
            if state.memo:
                memos[comment_id] = (*memos.get(comment_id, ()), (reviewer, state.memo))
    return flags, memos


def _theme(
    theme: str,
    coded: bool,
    human: bool,
    versions: Mapping[str, Set[str]],
    suggestion: Suggestion | None,
    scored: Scored | None,
    dates: Mapping[tuple[str, str], str],
) -> ThemeCoding:
    if not human:
        status = "suggested"
    elif suggestion is not None:
        status = "accepted" if coded else "rejected"
    else:
        status = "added"
    reviewers = tuple(sorted(n for n, c in versions.items() if (theme in c) == coded))
    score = scored.scores.get(theme) if scored else None
    at = max((dates[theme, n] for n in reviewers if (theme, n) in dates), default=None)
    return ThemeCoding(theme, coded, status, score, suggestion, reviewers, at)


def _decided_at(
    log: Iterable[Decision], replaced: Mapping[str, str]
) -> dict[int, dict[tuple[str, str], str]]:
    """{comment: {(theme, reviewer): when they last decided on it}} from theme entries in
    order; a decision on a `replaced` id counts for the theme that replaces it."""
    out: dict[int, dict[tuple[str, str], str]] = {}
    for d in log:
        theme = d.theme or ""  # every entry read is on a theme
        theme = replaced.get(theme, theme)
        out.setdefault(d.comment_id, {})[theme, d.reviewer] = d.decided_at
    return out


def _memos_of(states: Mapping[str, CommentState]) -> tuple[tuple[str, str], ...]:
    return tuple((name, state.memo) for name, state in sorted(states.items()) if state.memo)


def _memo(memos: tuple[tuple[str, str], ...]) -> str:
    """One memo as written; several as "name: memo | name: memo"."""
    if len(memos) == 1:
        return memos[0][1]
    return " | ".join(f"{name}: {memo}" for name, memo in memos)
