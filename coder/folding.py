"""Each coder's coding of a comment, folded from the project's decision log in order, and how
themes that a codebook merged or gave a new id (`replaces`), or split (`split_from`), fold.

For a theme that took over others, the decisions on it and on each id it replaces are kept
apart, and the theme is coded if any of them is: a reviewer who coded 'tokenism' and rejected
'lip service' before the two were merged did code the merged theme, whichever they decided
last. A decision on the theme itself in a session under a codebook without an old id was made
after that id's merge, on the merged theme, so it replaces the decisions on that id as any
later decision does. Under a codebook that still had the old id (or with no codebook on record:
sessions from before merging existed) it was a decision on that theme alone.

A code on a theme that was split belongs to none of its parts: which of them apply is for a
person to say. Until the coder confirms the comment again under a codebook without the old id (a
session after the split), the comment counts as not reviewed by them, and `resplit` names the
split themes it waits on. A coder who turned the old theme down needs no second look: none of
its parts apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from coder.codebook import Codebook
from coder.results import Suggestion

if TYPE_CHECKING:
    from coder.store import Scored

THEME_ACTIONS = ("accept", "reject", "add", "remove")
CODED = ("accept", "add")  # the theme actions that leave a theme coded
COMMENT_ACTIONS = ("confirm", "flag", "unflag", "memo", "skip")


@dataclass(slots=True)  # a project's states are many: one per coder and comment coded
class CommentState:
    """One coder's current coding of one comment, folded from the log's effective entries."""

    themes: dict[str, str] = field(default_factory=dict)  # theme -> its last action
    reviewed: bool = False
    flagged: bool = False
    skipped: bool = False
    memo: str = ""
    imported: bool = field(default=False, compare=False)  # last coded by a file (`coder import`)
    # A merged theme's decisions before the merge, per id: {theme: {id: its last action}}
    merged: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)
    # The split themes it has a code on that the coder has not reviewed again (see above)
    resplit: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def codes(self) -> set[str]:
        return {theme for theme, action in self.themes.items() if action in CODED}

    def apply(self, theme: str | None, action: str, value: str | None) -> None:
        if theme is not None:
            self.themes[theme] = action
        elif action == "confirm":
            self.reviewed = True
        elif action in ("flag", "unflag"):
            self.flagged = action == "flag"
        elif action == "memo":
            self.memo = value or ""
        elif action == "skip":
            self.skipped = True


class Merges:
    """The merges of one codebook: folds a decision on an old id, or on a theme that took over
    others, into a comment's state (see the module's notes)."""

    def __init__(self, book: Codebook, theme_ids: Callable[[int], set[str]]) -> None:
        self.target = book.replaced  # old id -> the theme replacing it
        self.olds: dict[str, set[str]] = {}
        for old, new in self.target.items():
            self.olds.setdefault(new, set()).add(old)
        self._theme_ids = theme_ids  # a stored codebook's theme ids, by its id in the project
        self._merged: dict[tuple[str, int | None], set[str]] = {}

    def fold(self, state: CommentState, theme: str, action: str, codebook_id: int | None) -> bool:
        """Fold a theme decision into `state` if it concerns a merged theme; False otherwise
        (fold it as usual)."""
        target = self.target.get(theme, theme)
        if target not in self.olds:
            return False
        group = state.merged.setdefault(target, {})
        if theme == target:
            for old in self._merged_by(target, codebook_id):
                group.pop(old, None)
        group[theme] = action
        state.themes[target] = next((a for a in group.values() if a in CODED), action)
        return True

    def _merged_by(self, target: str, codebook_id: int | None) -> set[str]:
        """The old ids of `target` that a session under this codebook saw merged into it."""
        key = (target, codebook_id)
        if key not in self._merged:  # asked once per decision: a set per codebook, not each time
            had = self._theme_ids(codebook_id) if codebook_id is not None else self.olds[target]
            self._merged[key] = self.olds[target] - had
        return self._merged[key]


class Splits:
    """The splits of one codebook: settles a coder's codes on split themes when they confirm a
    comment after the split, and marks the comments still waiting (see the module's notes)."""

    def __init__(self, book: Codebook, theme_ids: Callable[[int], set[str]]) -> None:
        self.olds = frozenset(book.split)
        self._theme_ids = theme_ids
        self._gone: dict[int, frozenset[str]] = {}

    def settle(self, state: CommentState, codebook_id: int | None) -> None:
        """A confirmation under `codebook_id`: drop the codes on split ids it no longer has."""
        if codebook_id is None:  # a session from before sessions recorded their codebook
            return
        if codebook_id not in self._gone:
            self._gone[codebook_id] = self.olds - self._theme_ids(codebook_id)
        for old in self._gone[codebook_id]:
            state.themes.pop(old, None)

    def mark(self, state: CommentState) -> None:
        """Count the comment as not reviewed while a split theme's code waits on it."""
        waiting = frozenset(old for old in self.olds if state.themes.get(old) in CODED)
        if waiting:
            state.resplit, state.reviewed = waiting, False


def merged_results(scored: Scored, book: Codebook) -> Scored:
    """A run's results read under `book`: a score or suggestion on an id that one of its themes
    replaces counts for that theme, with the highest score among the ids it took over. (A run
    made before the merge keeps the old ids until the comment is tagged again.)"""
    replaced = book.replaced
    if not replaced.keys() & scored.scores.keys():
        return scored
    scores: dict[str, float] = {}
    for theme, score in scored.scores.items():
        target = replaced.get(theme, theme)
        scores[target] = max(score, scores.get(target, score))
    suggestions: dict[str, Suggestion] = {}
    for suggestion in scored.suggestions:
        target = replaced.get(suggestion.theme, suggestion.theme)
        if target != suggestion.theme:
            suggestion = replace(suggestion, theme=target, label=book.theme(target).label)
        if target not in suggestions or suggestion.score > suggestions[target].score:
            suggestions[target] = suggestion
    return replace(scored, scores=scores, suggestions=list(suggestions.values()))
