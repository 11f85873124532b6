"""The figures a report is written from: per theme, how many comments and respondents are
coded with it, overall and by group; which themes go together; and quotes to illustrate each.

Counts use each comment's final coding (`coder.coding`) and roll up the hierarchy: a parent
counts a comment coded with it or with any theme below it. A respondent is the comment's id in
its file (answers to several questions, columns or files, meet in one respondent); a
respondent counts for a theme when any of their comments does. Percentages are of the comments
(respondents) counted, overall or in the group. The difference between groups is the spread:
the highest group's percentage minus the lowest's, in percentage points, with a test of
whether the groups differ by more than chance (`coder.group_tests`). The comments coded with no
theme get a row of their own, overall and by group: what the codebook leaves uncovered.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

import numpy as np

from coder.codebook import Codebook, Theme
from coder.coding import (
    FinalCoding,
    Progress,
    ProjectCodings,
    ThemeCoding,
    basis_line,
    left_out_note,
)
from coder.errors import InputError
from coder.group_tests import (
    ALPHA,
    MAX_GROUPS,
    MIN_DIFFERING,
    adjusted,
    difference_p,
    paired_difference_p,
)
from coder.store import QUESTION, Store

QUOTE_CHARS = 400  # longer quotes are cut, with an ellipsis
MISSING = "(missing)"  # the group of comments without a value for the attribute
NO_THEME = ""  # stands for "no theme" among a comment's codes: no theme id can be empty
NO_THEME_LABEL = "(no theme)"
_DIGITS = re.compile(r"(\d+)")
_NON_WORD = re.compile(r"[\W_]+")
STATUS_RANK = {"accepted": 0, "added": 1, "suggested": 2}  # quotes: reviewed ones first


@dataclass(frozen=True)
class Count:
    n: int
    total: int

    @property
    def pct(self) -> float:
        return 100.0 * self.n / self.total if self.total else 0.0


@dataclass(frozen=True)
class ThemeRow:
    """A theme's counts, rolled up; `depth` is its level in the hierarchy (0 at the top)."""

    theme: Theme
    depth: int
    comments: Count
    respondents: Count


@dataclass(frozen=True)
class Uncovered:
    """The comments coded with no theme, and the respondents with such a comment."""

    comments: Count
    respondents: Count
    blank: int = 0  # of the comments, those with no text at all
    split: ThemeSplit | None = None  # by group, with `by`

    @property
    def caption(self) -> str:
        """What the row holds, when some of it is blank comments."""
        if not self.blank:
            return ""
        return f" {NO_THEME_LABEL} includes {self.blank} blank comment{'s' * (self.blank != 1)}."


@dataclass(frozen=True)
class Group:
    name: str
    comments: int
    respondents: int


@dataclass(frozen=True)
class ThemeSplit:
    """One theme's counts in each group (in the report's group order), the spread, and whether
    the groups differ by more than chance (`coder.group_tests`)."""

    theme: str
    comments: tuple[Count, ...]
    respondents: tuple[Count, ...]
    spread: float  # percentage points of comments between the highest and lowest group
    highest: str
    lowest: str
    p: float | None = None  # the share is the same in every group compared; None: no test
    q: float | None = None  # p adjusted for the number of themes tested (Benjamini-Hochberg)


@dataclass(frozen=True)
class Pair:
    """Two codable themes coded on the same comments."""

    first: str
    second: str
    comments: Count


@dataclass(frozen=True)
class Quote:
    id: str  # the respondent's id in the comment's file
    text: str
    score: float | None
    status: str  # accepted, added or suggested
    spans: tuple[tuple[int, int], ...]  # the evidence, as character offsets


@dataclass(frozen=True)
class Report:
    project: str
    question: str | None  # the answers to this question alone (`--question`); None: every one
    codebook: Codebook
    basis: str  # which coding the counts use
    comments: int
    respondents: int
    themes: tuple[ThemeRow, ...]
    uncovered: Uncovered
    pairs: tuple[Pair, ...]  # most frequent first
    quotes: dict[str, tuple[Quote, ...]]
    by: str | None = None
    groups: tuple[Group, ...] = ()
    splits: tuple[ThemeSplit, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    # Where some respondent is in several groups (answers to several questions, say), the
    # groups are not independent samples: the number of respondents with comments in every
    # group, whom the paired test compares. None where the groups are independent.
    paired: int | None = None
    # Respondents in several groups where they are too few for a paired test (an id two files
    # share, say): each counts in every group they are in, and the groups are tested as
    # independent samples.
    overlap: int = 0

    @property
    def title_suffix(self) -> str:
        """What the title adds for a report of one question's answers (`--question`)."""
        return "" if self.question is None else f", answers to '{self.question}'"

    @property
    def respondents_by_group(self) -> bool:
        """Whether a group has respondents with several comments: only then do its shares of
        respondents differ from its shares of comments, and are shown beside them."""
        return any(group.respondents != group.comments for group in self.groups)


def build_report(
    store: Store,
    by: str | None = None,
    quotes: int = 3,
    reviewed_only: bool = False,
    question: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """The report of a project. Raises InputError for an attribute no comment has.
    `progress` is told (comments read, comments in all) as the codings are read."""
    if quotes < 0:
        raise InputError(f"--quotes must be 0 or more, not {quotes}")
    book = store.latest_codebook()
    codings = ProjectCodings(store, reviewed_only, book, question, progress=progress)
    if by is not None:
        _check_attribute(store.attribute_names(codings.ids), by)
    seen = _Tally.of(codings, book, by, quotes)
    respondents, expanded = seen.respondents, seen.expanded
    report = Report(
        project=str(store.path),
        question=question,
        codebook=book,
        basis=basis_line(seen.provenances, reviewed_only, left_out_note(store, book)),
        comments=len(respondents),
        respondents=len(set(respondents)),
        themes=tuple(_theme_rows(book, expanded, respondents)),
        uncovered=Uncovered(*_counts(NO_THEME, expanded, respondents), seen.blank),
        pairs=tuple(_pairs(book, seen.codes)),
        quotes={t: tuple(q for *_, q in seen.quotes.get(t, [])) for t in book.codable_ids}
        if quotes
        else {},
        labels={t.id: t.label for t in book.themes},
    )
    if by is None:
        return report
    # a file's questions are answered by the same people (its rows); several files' ids may
    # meet by chance, and are held to the half-the-respondents rule of attributes
    files = {source for source, _, _ in store.sources()}
    paired_by_design = by == QUESTION and len(files) == 1
    groups, splits, design = _by_group(
        seen.groups, report.themes, expanded, respondents, paired_by_design
    )
    uncovered = replace(report.uncovered, split=splits[-1])
    return replace(
        report,
        by=by,
        groups=groups,
        splits=splits[:-1],
        uncovered=uncovered,
        paired=design.paired,
        overlap=design.overlap,
    )


# a quote with its place (status, score, position) and its words (`same_words`)
Ranked = tuple[tuple[int, float, int], str, Quote]


@dataclass
class _Tally:
    """What a report needs of each comment, gathered a part of the project at a time, so that
    a big project's results are never all held at once."""

    respondents: list[str] = field(default_factory=list)
    expanded: list[frozenset[str]] = field(default_factory=list)  # rolled up the hierarchy
    codes: list[tuple[str, ...]] = field(default_factory=list)
    # Comments share a few hundred codings at most: each is held once, however many comments.
    _rolled: dict[tuple[str, ...], tuple[tuple[str, ...], frozenset[str]]] = field(
        default_factory=dict
    )
    # with `by`: each comment's group; None for a blank one (no answer: in no group)
    groups: list[str | None] = field(default_factory=list)
    provenances: Counter[str] = field(default_factory=Counter)
    quotes: dict[str, list[Ranked]] = field(default_factory=dict)  # the best so far per theme
    blank: int = 0  # comments with no text (and so no theme)

    @classmethod
    def of(cls, codings: ProjectCodings, book: Codebook, by: str | None, quotes: int) -> _Tally:
        tally = cls()
        for part in codings.parts():
            for coding in part:
                tally.add(coding, book, by, quotes)
        return tally

    def add(self, coding: FinalCoding, book: Codebook, by: str | None, quotes: int) -> None:
        position = len(self.respondents)
        self.respondents.append(coding.respondent)
        shared = self._rolled.get(coding.codes)
        if shared is None:
            up = frozenset(_rolled_up(book, coding.codes) or {NO_THEME})
            shared = self._rolled[coding.codes] = (coding.codes, up)
        self.codes.append(shared[0])
        self.expanded.append(shared[1])
        blank = not coding.codes and not coding.comment.text.strip()
        if by is not None:
            self.groups.append(None if blank else _group_of(coding, by))
        self.provenances[coding.provenance] += 1
        self.blank += blank
        if quotes and coding.comment.text.strip():
            for theme in coding.themes:
                if theme.coded:
                    best = self.quotes.setdefault(theme.theme, [])
                    _offer(best, coding, theme, position, quotes)


@dataclass(frozen=True)
class _Design:
    """How the groups relate: independent samples (`paired` None), perhaps with a few
    respondents in several (`overlap`), or the same respondents in each (`paired`: how many
    have comments in every group)."""

    paired: int | None = None
    overlap: int = 0


def _by_group(
    of_comment: Sequence[str | None],
    rows: Sequence[ThemeRow],
    expanded: Sequence[frozenset[str]],
    respondents: Sequence[str],
    paired_by_design: bool = False,
) -> tuple[tuple[Group, ...], tuple[ThemeSplit, ...], _Design]:
    """The groups (each comment's in `of_comment`; None: a blank comment, in none) and each
    theme's counts in them, then the counts of the comments with no theme; and how the groups
    relate (`_Design`)."""
    members: dict[str, list[int]] = {}
    for i, group in enumerate(of_comment):
        if group is not None:
            members.setdefault(group, []).append(i)
    names = sorted(set(members) - {MISSING}, key=natural_key)
    names += [MISSING] if MISSING in members else []
    groups = tuple(
        Group(name, len(members[name]), len({respondents[i] for i in members[name]}))
        for name in names
    )
    ids = [*(row.theme.id for row in rows), NO_THEME]
    splits = [_split(theme_id, names, members, expanded, respondents) for theme_id in ids]
    # A respondent with several comments is one unit: test their shares, not the comments'.
    people = any(group.respondents != group.comments for group in groups)
    compared = _compared(names)
    columns = [members[names[i]] for i in compared]
    several, everyone = _in_several(columns, respondents)
    # The same people in each group (answers to several questions, `paired_by_design`): a
    # paired test. A few ids in two groups of an attribute by chance (two files' `x000`) are
    # not: it would drop everyone else.
    paired = several > 0 and (paired_by_design or 2 * several >= everyone)
    blocks = _Blocks.of(columns, respondents) if paired else None
    p_values: list[float | None] = []
    for theme_id, split in zip(ids, splits, strict=True):
        counts = split.respondents if people else split.comments
        p_values.append(
            blocks.p(theme_id, expanded)
            if blocks is not None
            else difference_p([counts[i].n for i in compared], [counts[i].total for i in compared])
        )
    tested = zip(splits, p_values, adjusted(p_values), strict=True)
    design = _Design(blocks.count) if blocks is not None else _Design(overlap=several)
    return groups, tuple(replace(split, p=p, q=q) for split, p, q in tested), design


def _in_several(groups: Sequence[list[int]], respondents: Sequence[str]) -> tuple[int, int]:
    """How many respondents have comments in two or more of the groups, and how many have
    comments in any (a respondent's first group alone is held)."""
    first: dict[str, int] = {}
    several: set[str] = set()
    for column, members in enumerate(groups):
        for i in members:
            if first.setdefault(respondents[i], column) != column:
                several.add(respondents[i])
    return len(several), len(first)


@dataclass(frozen=True)
class _Blocks:
    """The respondents with comments in every group, for a paired test: each of those
    comments' position, its respondent's row and its group's column."""

    comments: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    count: int
    groups: int

    @classmethod
    def of(cls, groups: Sequence[list[int]], respondents: Sequence[str]) -> _Blocks:
        where: dict[str, set[int]] = {}
        for column, members in enumerate(groups):
            for i in members:
                where.setdefault(respondents[i], set()).add(column)
        row_of = {
            who: n for n, who in enumerate(w for w, c in where.items() if len(c) == len(groups))
        }
        kept = [
            (i, row_of[respondents[i]], c)
            for c, m in enumerate(groups)
            for i in m
            if respondents[i] in row_of
        ]
        comments, rows, columns = np.array(kept, dtype=np.int64).reshape(-1, 3).T
        return cls(comments, rows, columns, len(row_of), len(groups))

    def p(self, theme_id: str, expanded: Sequence[frozenset[str]]) -> float | None:
        """Cochran's Q over these respondents: coded with the theme in each group or not."""
        coded = np.zeros((self.count, self.groups), dtype=bool)
        has = np.fromiter(
            (theme_id in expanded[i] for i in self.comments), bool, len(self.comments)
        )
        np.logical_or.at(coded, (self.rows, self.columns), has)
        return paired_difference_p(coded)


def _compared(names: Sequence[str]) -> list[int]:
    """The groups a theme's shares are compared across: those with a value; the comments
    without one only if there is nothing else."""
    compared = [i for i, name in enumerate(names) if name != MISSING]
    return compared if len(compared) > 1 else list(range(len(names)))


def natural_key(text: str) -> list[Any]:
    """Sorts "2" before "10", and text case-insensitively."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in _DIGITS.split(text)]


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def hierarchy(book: Codebook) -> Iterator[tuple[Theme, int]]:
    """Every theme with its depth, parents before their children, in codebook order."""

    def walk(parent: str | None, depth: int) -> Iterator[tuple[Theme, int]]:
        for theme in book.children(parent):
            yield theme, depth
            yield from walk(theme.id, depth + 1)

    return walk(None, 0)


def _rolled_up(book: Codebook, codes: Sequence[str]) -> set[str]:
    known = {t.id for t in book.themes}
    found = {t for t in codes if t in known}
    return found.union(*(book.ancestors(t) for t in found))


def _theme_rows(
    book: Codebook, expanded: Sequence[frozenset[str]], respondents: Sequence[str]
) -> Iterator[ThemeRow]:
    for theme, depth in hierarchy(book):
        yield ThemeRow(theme, depth, *_counts(theme.id, expanded, respondents))


def _counts(
    theme_id: str, expanded: Sequence[frozenset[str]], respondents: Sequence[str]
) -> tuple[Count, Count]:
    """The comments coded with a theme (or NO_THEME) and the respondents with it on any."""
    coded = [i for i, codes in enumerate(expanded) if theme_id in codes]
    who = {respondents[i] for i in coded}
    return Count(len(coded), len(expanded)), Count(len(who), len(set(respondents)))


def _pairs(book: Codebook, codes: Sequence[Sequence[str]]) -> Iterator[Pair]:
    order = {t: n for n, t in enumerate(book.codable_ids)}
    together: Counter[tuple[str, str]] = Counter()
    for coded in codes:
        known = sorted((t for t in coded if t in order), key=order.__getitem__)
        together.update(combinations(known, 2))
    ranked = sorted(together.items(), key=lambda kv: (-kv[1], order[kv[0][0]], order[kv[0][1]]))
    for (first, second), n in ranked:
        yield Pair(first, second, Count(n, len(codes)))


def _offer(
    best: list[Ranked], coding: FinalCoding, theme: ThemeCoding, position: int, limit: int
) -> None:
    """Keep a comment among a theme's `limit` best quotes if it ranks there: reviewed ones
    first (accepted, then added), then suggested ones, each by the model's score. A comment
    that says the same as one kept (the same words, whatever the case and punctuation) only
    takes its place if it ranks higher. Only the best are held, however big the project."""
    rank = (STATUS_RANK.get(theme.status, 3), -(theme.score or 0.0), position)
    if len(best) == limit and rank >= best[-1][0]:
        return
    words = same_words(coding.comment.text)
    copy = next((i for i, kept in enumerate(best) if kept[1] == words), None)
    if copy is not None:
        if rank >= best[copy][0]:
            return
        del best[copy]
    spans = tuple((e.start, e.end) for e in theme.suggestion.evidence) if theme.suggestion else ()
    comment = coding.comment
    quote = Quote(comment.external_id, comment.text, theme.score, theme.status, spans)
    best.append((rank, words, quote))
    best.sort(key=lambda kept: kept[0])
    del best[limit:]


def same_words(text: str) -> str:
    """The text's words alone, for telling copies apart: "co-production is just person centred
    care" and "co production is just person-centred care!" are one quote."""
    return " ".join(_NON_WORD.split(text.casefold())).strip()


def _check_attribute(attributes: Sequence[str], by: str) -> None:
    names = sorted(attributes)
    if by in names:
        return
    if by == QUESTION:  # no `question` attribute: the project's comments answer one question
        raise InputError(
            "the comments in this project answer a single question (text column), so there "
            "is nothing to compare by question; tag another question's column into it "
            "(`coder tag FILE --text-column NAME --db PROJECT`) to compare them"
        )
    if not names:
        raise InputError(f"no attribute '{by}': the comments in this project have no attributes")
    close = difflib.get_close_matches(by, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise InputError(f"no attribute '{by}'{hint}; the comments have: {', '.join(names)}")


def _group_of(coding: FinalCoding, by: str) -> str:
    value = coding.comment.value(by)
    text = "" if value is None else str(value).strip()
    return text or MISSING


def _split(
    theme_id: str,
    names: Sequence[str],
    members: dict[str, list[int]],
    expanded: Sequence[frozenset[str]],
    respondents: Sequence[str],
) -> ThemeSplit:
    comments, people = [], []
    for name in names:
        rows = members[name]
        coded = [i for i in rows if theme_id in expanded[i]]
        comments.append(Count(len(coded), len(rows)))
        people.append(
            Count(len({respondents[i] for i in coded}), len({respondents[i] for i in rows}))
        )
    compared = _compared(names)
    high = max(compared, key=lambda i: comments[i].pct)
    low = min(compared, key=lambda i: comments[i].pct)
    spread = comments[high].pct - comments[low].pct
    return ThemeSplit(theme_id, tuple(comments), tuple(people), spread, names[high], names[low])


def p_text(split: ThemeSplit) -> str:
    """A theme's adjusted p-value as shown: to three places, `<0.001` below that, with `*`
    where the groups differ (under ALPHA); a dash where nothing was tested."""
    if split.q is None:
        return "—"
    shown = "<0.001" if split.q < 0.001 else f"{split.q:.3f}"
    return shown + ("*" if split.q < ALPHA else "")


def groups_caption(report: Report) -> str:
    """What the table of themes by group shows, for the terminal and the HTML report alike."""
    people = report.respondents_by_group
    tested = sum(split.p is not None for split in (*report.splits, report.uncovered.split))
    unit = "respondents (a respondent with several comments counts once)" if people else "comments"
    shown = (
        "Percent of each group's comments"
        + ("; below, of its respondents" if people else "")
        + "; spread: the highest group's percent of comments minus the lowest's, in "
        "percentage points."
    )
    adjusted_for = (
        f"adjusted for the {tested} rows tested (Benjamini-Hochberg); * below {ALPHA}: more "
        "than chance."
    )
    blank = report.uncovered.blank
    if blank:
        shown += f" {plural(blank, 'blank comment')} (no answer) {_are(blank)} in no group."
    if report.overlap:
        shown += (
            f" {plural(report.overlap, 'respondent')} {_are(report.overlap)} in several groups "
            "(an id two files share?), counted in each; the groups are tested as independent "
            "samples."
        )
    if report.paired is not None:
        shown += (
            " Some respondents are in several groups, so the groups are not independent samples."
        )
        if not tested:
            return (
                f"{shown} p: no row could be tested (a paired test needs respondents with "
                "comments in every group, coded differently between them)."
            )
        return (
            f"{shown} p: how likely groups this far apart are if each respondent were as "
            "likely to have the theme in every group (Cochran's Q test, McNemar's for two "
            f"groups, over the {plural(report.paired, 'respondent')} with comments in every "
            f"group; simulated where fewer than {MIN_DIFFERING} of them differ between groups), "
            + adjusted_for
        )
    if not tested and len(report.groups) > MAX_GROUPS:
        return (
            f"{shown} p: not tested: {len(report.groups):,} groups, more than the "
            f"{MAX_GROUPS} a test of groups is run for (is {report.by} a column of groups?)."
        )
    if not tested:
        return (
            f"{shown} p: no row could be tested (a test needs two groups with a value, and a "
            "theme coded on some comments but not all)."
        )
    return (
        f"{shown} p: how likely groups this far apart are if the theme's share of "
        f"{unit} were the same in every group (chi-square test; simulated where a group "
        f"expects fewer than 5), {adjusted_for}"
    )


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def segments(quote: Quote, limit: int = QUOTE_CHARS) -> list[tuple[str, bool]]:
    """The quote's text as (piece, is evidence) pieces, cut after `limit` characters."""
    text = quote.text[:limit]
    marked = [False] * len(text)
    for start, end in quote.spans:
        for i in range(max(start, 0), min(end, len(text))):
            marked[i] = True
    pieces: list[tuple[str, bool]] = []
    for char, flag in zip(text, marked, strict=True):
        if pieces and pieces[-1][1] == flag:
            pieces[-1] = (pieces[-1][0] + char, flag)
        else:
            pieces.append((char, flag))
    if len(quote.text) > limit:
        pieces.append(("…", False))
    return pieces
