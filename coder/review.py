"""Reviewing a project's comments, without a screen: what to show, and what each key records.

`ReviewSession` walks the comments in an order computed once (one query, then a list of ids);
showing a comment is a handful of primary-key lookups, so the next comment renders at once in a
project of 100,000. Every action is written to the store's decision log before it returns.

Modes: `review` shows the latest run's suggestions; `blind` shows none (the reviewer codes from
the codebook alone); `adjudicate` walks the comments where coders differ, lists every coder's
choices, and records the final coding.

A reviewer assigned a double-coding sample (`coder sample`) is served its comments first. A blind
session takes nothing from the model, not even its order: `uncertain` is served as `file`, and
picking comments by a suggested theme is refused.
"""

from __future__ import annotations

import random
import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from coder.codebook import Codebook
from coder.errors import ChangedError, InputError, LabelError
from coder.folding import CODED, CommentState, merged_results
from coder.results import Evidence
from coder.sampling import check_reviewer_names
from coder.store import IMPORT_MODES, ORDERS, REVIEW_MODES, Entry, Store


@dataclass(frozen=True)
class ThemeRow:
    """A theme listed for a comment: suggested (by the model or rules, or, when adjudicating, by
    a coder), or decided on by this reviewer."""

    theme: str
    label: str
    on: bool  # coded as shown
    suggested: bool
    score: float | None = None
    source: str | None = None  # rule or model
    evidence: tuple[Evidence, ...] = ()
    decision: str | None = None  # this reviewer's last action on it
    coders: tuple[str, ...] = ()  # adjudicating: the coders who chose it


@dataclass(frozen=True)
class CommentView:
    id: int
    external_id: str
    source: str
    row_number: int
    text: str
    attributes: dict[str, str]
    themes: tuple[ThemeRow, ...]
    reviewed: bool
    flagged: bool
    memo: str
    position: int  # 0-based, in this session's order
    total: int
    run_id: int | None = None
    scores: dict[str, float] = field(default_factory=dict)  # empty when blind
    coders: dict[str, tuple[str, ...]] = field(default_factory=dict)  # adjudicating
    assigned: bool = False  # in this reviewer's double-coding sample
    question: str = ""  # where its file has several: the question it answers
    # Reviewing the flagged comments (`--flagged`): the other coders who flagged it, with their
    # memos
    flagged_by: dict[str, str] = field(default_factory=dict)
    # The split themes this reviewer coded it with before the split, by their former labels:
    # the comment waits for them to code its parts (listed among `themes`)
    resplit: tuple[str, ...] = ()

    @property
    def codes(self) -> list[str]:
        return [row.theme for row in self.themes if row.on]

    def row(self, theme: str) -> ThemeRow | None:
        return next((row for row in self.themes if row.theme == theme), None)


@dataclass(frozen=True)
class Progress:
    reviewed: int
    total: int
    themes: dict[str, int]  # reviewed comments coded with each theme


def disagreements(
    codings: Mapping[str, Mapping[int, set[str]]], theme: str | None = None
) -> dict[int, dict[str, set[str]]]:
    """Comments that two or more coders reviewed and coded differently (on `theme` alone, if
    given): {comment: {coder: themes}}."""
    by_comment: dict[int, dict[str, set[str]]] = {}
    for coder, coded in codings.items():
        for comment_id, codes in coded.items():
            by_comment.setdefault(comment_id, {})[coder] = codes
    out = {}
    for comment_id, coders in by_comment.items():
        versions = {frozenset(c & {theme} if theme else c) for c in coders.values()}
        if len(coders) > 1 and len(versions) > 1:
            out[comment_id] = coders
    return out


def _check_coded(
    mode: str, coded: str | None, uncoded: bool, only_unreviewed: bool, flagged: bool
) -> None:
    """`--coded` picks comments by this reviewer's own coding, `--flagged` by coders' flags."""
    if flagged and mode == "adjudicate":
        raise InputError(
            "adjudication goes through the comments coders differ on: leave out --flagged"
        )
    if flagged and mode == "blind":
        raise InputError(
            "blind coding shows nothing of other coders', and --flagged shows their flags and "
            "memos: leave out one of them"
        )
    if coded is None:
        return
    if uncoded:
        raise InputError("choose --coded or --uncoded, not both")
    if only_unreviewed:
        raise InputError("--coded picks comments you reviewed: leave out --only-unreviewed")
    if mode == "adjudicate":
        raise InputError(
            "adjudication goes through the comments coders differ on: leave out --coded"
        )


def _check_filters(mode: str, theme: str | None, uncoded: bool, split: bool = False) -> None:
    """`--theme` and `--uncoded` pick comments by their suggestions, which only review shows
    (but for a `split` theme: the comments this reviewer coded with it)."""
    if theme is not None and uncoded:
        raise InputError("choose --theme or --uncoded, not both")
    if split:
        return
    wanted = f"suggested '{theme}'" if theme is not None else "suggested no theme"
    option = "--theme" if theme is not None else "--uncoded"
    if mode == "blind" and (theme is not None or uncoded):
        raise InputError(
            f"blind coding shows no suggestions, so it cannot pick the comments {wanted}: "
            f"leave out {option}"
        )
    if mode == "adjudicate" and uncoded:
        raise InputError(
            "adjudication goes through the comments coders differ on: leave out --uncoded"
        )


class ReviewSession:
    """One reviewer going through a project's comments. Resumes where they stopped."""

    def __init__(
        self,
        store: Store,
        reviewer: str,
        order: str = "uncertain",
        theme: str | None = None,
        only_unreviewed: bool = False,
        mode: str = "review",
        seed: int = 0,
        uncoded: bool = False,
        question: str | None = None,
        coded: str | None = None,
        flagged: bool = False,
    ):
        if not reviewer.strip():
            raise InputError("give a reviewer name, e.g. --reviewer ana")
        check_reviewer_names([reviewer.strip()])
        if order not in ORDERS:
            raise InputError(f"unknown order '{order}'; use one of {', '.join(ORDERS)}")
        if mode not in REVIEW_MODES:
            raise InputError(f"unknown review mode '{mode}'; use one of {', '.join(REVIEW_MODES)}")
        self.store, self.reviewer, self.mode = store, reviewer.strip(), mode
        self.codebook: Codebook = store.latest_codebook()
        self._codebook_id = store.latest_run().codebook_id  # type: ignore[union-attr]
        theme, coded = self._named(theme), self._named(coded)  # a label, in any case, too
        # `--theme` naming a split theme: the comments this reviewer coded with it, to review again
        self._resplit = theme if theme in self.codebook.split else None
        _check_filters(mode, theme, uncoded, split=self._resplit is not None)
        _check_coded(mode, coded, uncoded, only_unreviewed, flagged)
        self._several_questions = store.several_questions()  # then each view names its question
        self.settings = {
            "order": order,
            "theme": theme,
            "only_unreviewed": only_unreviewed,
            "seed": seed,
            "uncoded": uncoded,
            "question": question,
            "coded": coded,
            "flagged": flagged,
        }
        # only the answers to one question of a survey (`--question`)
        self._answers = None if question is None else store.answers_to(question)
        for named in (theme if self._resplit is None else None, coded):
            if named is not None:
                self._check_theme(named, coded=named == coded)
        self._adjudicating = mode == "adjudicate"
        self._session_id: int | None = None  # made on the first decision
        self._opened_after = store.last_entry()  # undo reaches no later step but its own
        self.assigned: set[int] = set()  # this reviewer's double-coding sample
        self.ids: list[int] = []
        self._index: dict[int, int] = {}
        self._folded: dict[int, str] = {}  # comments' texts in lower case, for `find`
        self._flags: dict[int, dict[str, str]] = {}  # with `flagged`: who flagged each, memos
        self.position = 0
        self.refresh()
        self.position = self._resume()

    def _named(self, name: str | None) -> str | None:
        """The id of the theme `name` names (its id or label); a theme the codebook split or
        merged, or an unknown name, as given (`_check_theme` says where it went)."""
        if name is None or name in self.codebook.split or name in self.codebook.replaced:
            return name
        return self.codebook.resolve(name) or name

    # --- the order -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute the order again (after a retrain re-scored the comments), staying on the
        comment shown. The comments up to it keep their places, for `p`; the rest follow in the
        new order, so that the next comment is the one the new scores put first."""
        walked = self.ids[: self.position + 1]
        book = self.codebook
        if self._adjudicating:  # a comment has one adjudication, whoever recorded it
            self._states = self.store.adjudication_states(book)
        else:
            self._states = self.store.states(self.reviewer, book=book).get(self.reviewer, {})
        self._coders = self.store.codings(book=book) if self._adjudicating else {}
        order, theme = self.settings["order"], self.settings["theme"]
        ids = self.store.order(
            "uncertain" if order == "uncertain" and self.mode != "blind" else "file",
            None if self._adjudicating or self._resplit else theme,
            book,
        )
        if self._resplit is not None:
            ids = [i for i in ids if self._resplit in self._state(i).resplit]
        if order == "random":
            random.Random(self.settings["seed"]).shuffle(ids)
        if self.settings["uncoded"]:
            ids = self._uncoded(ids)
        if self.settings["flagged"]:  # the comments any coder has flagged for discussion
            self._flags = self.store.flags()
            ids = [i for i in ids if i in self._flags]
        if self.settings["coded"]:  # the comments this reviewer coded with the theme
            coded = self.settings["coded"]
            ids = [i for i in ids if self._state(i).reviewed and coded in self._state(i).codes]
        if self._answers is not None:
            ids = [i for i in ids if i in self._answers]
        if self._adjudicating and self._resplit is None:
            differ = disagreements(self._coders, theme)
            ids = [i for i in ids if i in differ]
        else:  # the assigned share first, in the same order
            self.assigned = self.store.assigned(self.reviewer)
            ids = [i for i in ids if i in self.assigned] + [
                i for i in ids if i not in self.assigned
            ]
        if self.settings["only_unreviewed"]:
            ids = [i for i in ids if not self._state(i).reviewed]
        # The comments reviewed before come first (for `p`), then those to review: a new order
        # (a retrain's scores) would otherwise scatter reviewed ones among them.
        seen = set(walked)
        reviewed = {i for i, state in self._states.items() if state.reviewed}
        before = [i for i in ids if i in reviewed and i not in seen]
        seen.update(before)
        self.ids = before + walked + [i for i in ids if i not in seen]
        self.position += len(before)
        self._index = {comment_id: i for i, comment_id in enumerate(self.ids)}

    def _uncoded(self, ids: list[int]) -> list[int]:
        """Of `ids`, the comments with no theme: this reviewer coded them with none, or (not
        reviewed by them) the latest run suggests none."""
        unsuggested = set(self.store.order("file", unsuggested=True))
        return [
            i
            for i in ids
            if (not self._state(i).codes if self._state(i).reviewed else i in unsuggested)
        ]

    def _resume(self) -> int:
        """The first comment this reviewer has neither reviewed nor skipped (adjudicating: not
        adjudicated by anyone); else the first skipped one; else the end (all reviewed), but
        the first comment where they are picked to be gone over again (`coded`, `flagged`)."""
        for wanted in (lambda s: not s.reviewed and not s.skipped, lambda s: not s.reviewed):
            for index, comment_id in enumerate(self.ids):
                if wanted(self._state(comment_id)):
                    return index
        return 0 if self.settings["coded"] or self.settings["flagged"] else len(self.ids)

    @property
    def left(self) -> int:
        """The comments of the list not reviewed yet: those skipped, or passed by with `n`."""
        return sum(not self._state(i).reviewed for i in self.ids)

    @property
    def done(self) -> bool:
        return self.position >= len(self.ids)

    # --- what is shown ---------------------------------------------------------------------

    def _state(self, comment_id: int) -> CommentState:
        return self._states.get(comment_id) or CommentState()

    def current(self) -> CommentView | None:
        """The comment to show, as the project has it now (another window of the same
        reviewer may have decided on it), or None past the last one."""
        if self.done:
            return None
        self._refresh_state(self.ids[self.position])
        return self.view(self.ids[self.position])

    def view(self, comment_id: int) -> CommentView:
        comment = self.store.comment(comment_id)
        state = self._state(comment_id)
        listed, run_id, scores, coders = self._listed(comment_id)
        labels = {t.id: t for t in self.codebook.themes}
        order = {theme_id: i for i, theme_id in enumerate(self.codebook.codable_ids)}
        parts = {part for old in state.resplit for part in self.codebook.split[old]}
        rows = []
        for theme in _numbered(listed, state, parts, order):
            suggested = theme in listed
            # reviewed again after a split, only the parts are open; the rest was decided
            fresh = theme in parts if state.resplit else not state.reviewed
            default_on = suggested and listed[theme].on and fresh
            decision = state.themes.get(theme)
            base = listed.get(theme) or ThemeRow(theme, theme, False, False)
            rows.append(
                ThemeRow(
                    theme=theme,
                    label=labels[theme].label if theme in labels else theme,
                    on=decision in CODED if decision else default_on,
                    suggested=suggested,
                    score=base.score if suggested else scores.get(theme),
                    source=base.source,
                    evidence=base.evidence,
                    decision=decision,
                    coders=base.coders,
                )
            )
        return CommentView(
            id=comment.id,
            external_id=comment.external_id,
            source=comment.origin if self._several_questions else comment.source,
            row_number=comment.row_number,
            text=comment.text,
            attributes=comment.with_question() if self._several_questions else comment.attributes,
            themes=tuple(rows),
            reviewed=state.reviewed,
            flagged=state.flagged,
            memo=state.memo,
            position=self._index.get(comment_id, -1),
            total=len(self.ids),
            run_id=run_id,
            scores=scores,
            coders=coders,
            assigned=comment_id in self.assigned,
            question=comment.question if self._several_questions else "",
            resplit=tuple(self.store.former_label(old) for old in sorted(state.resplit)),
            flagged_by={
                name: memo
                for name, memo in self._flags.get(comment_id, {}).items()
                if name != self.reviewer  # their own flag and memo are `flagged` and `memo`
            },
        )

    def _listed(
        self, comment_id: int
    ) -> tuple[dict[str, ThemeRow], int | None, dict[str, float], dict[str, tuple[str, ...]]]:
        """The themes to list before this reviewer's own decisions, with whether each is on by
        default: the latest suggestions (review), every coder's choices (adjudicate), or
        nothing (blind). Also the run, the scores and each coder's themes."""
        if self.mode == "blind":
            return {}, None, {}, {}
        if self._adjudicating:
            coders = {
                name: tuple(sorted(coded[comment_id]))
                for name, coded in sorted(self._coders.items())
                if comment_id in coded
            }
            chosen = Counter(theme for themes in coders.values() for theme in themes)
            listed = {
                theme: ThemeRow(
                    theme,
                    theme,
                    on=count == len(coders),  # every coder agrees
                    suggested=True,
                    coders=tuple(name for name, themes in coders.items() if theme in themes),
                )
                for theme, count in chosen.items()
            }
            return listed, None, {}, coders
        latest = self.store.latest(comment_id)
        if latest is None:
            return {}, None, {}, {}
        latest = merged_results(latest, self.codebook)
        listed = {
            s.theme: ThemeRow(s.theme, s.label, True, True, s.score, s.source, s.evidence)
            for s in latest.suggestions
        }
        return listed, latest.run_id, latest.scores, {}

    # --- moving ----------------------------------------------------------------------------

    def next(self) -> CommentView | None:
        """The next comment; past the end of the list, the first one not reviewed yet (one
        skipped), so that none is left behind unseen."""
        if self.done:
            self.position = next(
                (n for n, i in enumerate(self.ids) if not self._state(i).reviewed), self.position
            )
        else:
            self.position += 1
        return self.current()

    def previous(self) -> CommentView | None:
        self.position = max(self.position - 1, 0)
        return self.current()

    def find(self, query: str) -> list[int]:
        """The comments of this review's order whose id is `query` (first), then those whose
        text holds each of its words (case aside), in its order; all of them for no query."""
        words = query.casefold().split()
        if not words:
            return list(self.ids)
        named = set(self.store.named(query.strip()))
        missing = [i for i in self.ids if i not in self._folded]  # read once per session
        self._folded.update((i, text.casefold()) for i, text in self.store.texts(missing))
        folded = self._folded
        return [i for i in self.ids if i in named] + [
            i for i in self.ids if i not in named and all(w in folded[i] for w in words)
        ]

    def go_to(self, comment_id: int) -> CommentView | None:
        if comment_id in self._index:
            self.position = self._index[comment_id]
        return self.current()

    # --- deciding --------------------------------------------------------------------------

    def toggle(self, theme: str, seen: CommentView | None = None) -> CommentView:
        """Code or uncode a theme on the comment shown. With `seen` (the view on screen), the
        decision is refused if the project has changed the comment since (`_fresh`)."""
        view = self._fresh(seen)
        self._check_theme(theme)
        row = view.row(theme)
        suggested = row is not None and row.suggested
        if row is not None and row.on:
            action = "reject" if suggested else "remove"
        else:
            action = "accept" if suggested else "add"
        self._record(view.id, [Entry(view.id, action, theme)])
        return self.view(view.id)

    def add(self, theme: str, seen: CommentView | None = None) -> CommentView:
        """Code a theme (from a search of the whole codebook); nothing if it is coded already."""
        view = self._fresh(seen)
        row = view.row(theme)
        return view if row is not None and row.on else self.toggle(theme)

    def accept(self, seen: CommentView | None = None) -> CommentView | None:
        """Keep the codes as shown, mark the comment reviewed, and move on."""
        view = self._fresh(seen)
        entries = [
            Entry(view.id, "accept" if row.on else "reject", row.theme)
            for row in view.themes
            if row.suggested and row.decision is None
        ]
        self._record(view.id, [*entries, Entry(view.id, "confirm")])
        return self.next()

    def reject_all(self, seen: CommentView | None = None) -> CommentView | None:
        """Code the comment with nothing, mark it reviewed, and move on."""
        view = self._fresh(seen)
        entries = [
            Entry(view.id, "reject" if row.suggested else "remove", row.theme)
            for row in view.themes
            if row.on or (row.suggested and row.decision is None)
        ]
        self._record(view.id, [*entries, Entry(view.id, "confirm")])
        return self.next()

    def skip(self) -> CommentView | None:
        view = self._fresh(None)
        self._record(view.id, [Entry(view.id, "skip")])
        return self.next()

    def flag(self) -> CommentView:
        """Flag the comment for discussion, or take the flag off."""
        view = self._fresh(None)
        self._record(view.id, [Entry(view.id, "unflag" if view.flagged else "flag")])
        return self.view(view.id)

    def memo(self, text: str) -> CommentView:
        """Set the comment's memo (an empty text clears it); the same memo records nothing."""
        view = self._fresh(None)
        if text == view.memo:
            return view
        self._record(view.id, [Entry(view.id, "memo", value=text)])
        return self.view(view.id)

    def undo(self) -> CommentView | None:
        """Undo this reviewer's last step, whichever comment it was on, and show that comment:
        one of this session's, or one made before it opened (never one the same reviewer made
        since in another window). Returns None when there is nothing left to undo. An import
        (`coder import`) is not undone from here: one key too many must not take back a whole
        file of coding."""
        own = (self._session_id, self._opened_after)  # not another window's steps since
        last = self.store.last_step(self.reviewer, self._adjudicating, own)
        if last is not None and last[0] in IMPORT_MODES:
            flag = " --adjudicate" if self._adjudicating else ""
            raise InputError(
                f"Your last step before this is the import of {last[1].get('file', 'a file')} "
                f"({last[2]} comment{'s' if last[2] != 1 else ''}); take it back with: "
                f"coder import {shlex.quote(str(self.store.path))} "
                f"--undo{flag} --reviewer {shlex.quote(self.reviewer)}"
            )
        undone = self.store.undo(
            self._session(), self.reviewer, self._adjudicating, self._opened_after
        )
        if not undone:
            return None
        for comment_id in {d.comment_id for d in undone}:
            self._refresh_state(comment_id)
        shown = undone[0].comment_id
        self.position = self._index.get(shown, self.position)
        return self.view(shown)

    def progress(self) -> Progress:
        """Reviewed of the comments in this session's order, and per-theme counts among them."""
        reviewed = [
            state
            for comment_id, state in self._states.items()
            if state.reviewed and comment_id in self._index
        ]
        themes = Counter(theme for state in reviewed for theme in state.codes)
        return Progress(len(reviewed), len(self.ids), dict(themes))

    # --- helpers ---------------------------------------------------------------------------

    def _fresh(self, seen: CommentView | None) -> CommentView:
        """The comment shown, as the project has it now: another reviewer, an import or a
        re-score may have changed it since it was read. Refused where that is no longer what
        the reviewer saw (`seen`), or where the project's codebook has changed."""
        if self.done:
            raise InputError("no comment is shown: the end of the list was reached")
        latest = self.store.latest_run()
        if latest is not None and latest.codebook_id != self._codebook_id:
            book = self.store.codebook(latest.codebook_id)
            raise ChangedError(
                f"the project's codebook changed while you were reviewing (run {latest.id} uses "
                f"'{book.name}' version {book.version}): nothing was recorded. Quit (q) and "
                "start coder review again to review under it"
            )
        comment_id = self.ids[self.position]
        self._refresh_state(comment_id)
        view = self.view(comment_id)
        if seen is not None and (seen.id != view.id or _decisive(seen) != _decisive(view)):
            raise ChangedError(
                f"comment {view.external_id} changed in the project since it was shown (new "
                "suggestions, or codes from another reviewer or an import): nothing was "
                "recorded. It is shown as it is now: look again, then press the key again"
            )
        return view

    def _check_theme(self, theme: str, coded: bool = False) -> None:
        parts = self.codebook.split.get(theme)
        if coded and parts:  # its comments wait under --theme, which lists the parts
            raise LabelError(
                f"'{theme}' was split into {', '.join(repr(p) for p in parts)}: "
                f"go through the comments you coded with it with --theme {theme}"
            )
        if theme not in self.codebook.codable_ids:
            raise LabelError(
                f"unknown theme '{theme}' (codebook '{self.codebook.name}' has: "
                f"{', '.join(self.codebook.codable_ids)}){self.codebook.gone_hint(theme)}"
            )

    def _session(self) -> int:
        if self._session_id is None:
            self._session_id = self.store.start_session(
                self.reviewer, self.mode, self.settings, self.codebook
            )
        return self._session_id

    def _record(self, comment_id: int, entries: list[Entry]) -> None:
        self.store.record(self._session(), self.reviewer, entries)
        self._refresh_state(comment_id)

    def _refresh_state(self, comment_id: int) -> None:
        reviewer = None if self._adjudicating else self.reviewer  # as `refresh` reads them
        self._states[comment_id] = self.store.comment_state(
            comment_id, reviewer, self._adjudicating, self.codebook
        )


def _numbered(
    listed: Mapping[str, ThemeRow], state: CommentState, parts: set[str], order: dict[str, int]
) -> list[str]:
    """The themes to show, in the order their number keys take: those suggested (or coded by
    a coder, adjudicating) and the parts of a split theme to code again, in codebook order,
    then those the reviewer added, in the order added. Adding one never renumbers those shown."""
    first = sorted({*listed, *parts}, key=lambda t: (order.get(t, len(order)), t))
    added = [t for t in state.themes if t not in first and t not in state.resplit]
    return [*first, *added]


def _decisive(view: CommentView) -> tuple[object, ...]:
    """What a decision on the comment is made from: its run, and each theme's row."""
    return view.run_id, tuple((r.theme, r.on, r.suggested, r.decision) for r in view.themes)
