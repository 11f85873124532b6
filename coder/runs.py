"""A project's model runs: what each scored and shows, and withdrawing one (the undo of an
automatic coding) or restoring it.

Each comment shows the suggestions of its latest run in use, and the latest run in use gives the
project's codebook. Withdrawing a run keeps its scores on record: its comments show their
previous run's suggestions again (or none, if it was their only run), and the codebook is the
latest remaining run's. Restoring a run, or tagging with the same model and codebook again,
puts it back in use. Reviewers' decisions are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coder.errors import InputError
from coder.store import Run, Store, empty_project


@dataclass(frozen=True)
class RunSummary:
    run: Run
    codebook: str  # its name and version
    scored: int  # comments it scored
    shown: int  # comments whose suggestions are this run's now
    withdrawn_at: str | None

    def to_dict(self) -> dict[str, Any]:
        run = self.run
        return {
            "id": run.id,
            "model": run.model,
            "codebook": self.codebook,
            "created_at": run.created_at,
            "scored": self.scored,
            "shown": self.shown,
            "withdrawn_at": self.withdrawn_at,
        }


@dataclass(frozen=True)
class RunChange:
    """What withdrawing or restoring a run changed."""

    run: RunSummary
    withdrawn: bool  # True: withdrawn; False: restored
    changed: bool  # False: it already was
    shown_before: int  # comments that showed its suggestions before
    shown_now: int
    unscored: int  # comments this change left with no run in use
    codebook: str  # the project's codebook now
    codebook_changed: bool

    def summary(self, path: str) -> str:
        run = self.run.run
        name = f"run {run.id} ({run.model}, codebook {self.run.codebook})"
        if not self.changed:
            state = "withdrawn" if self.withdrawn else "in use"
            return f"R{name[1:]} is {state} already; nothing changed."
        if self.withdrawn:
            text = (
                f"Withdrew {name}: the {_comments(self.shown_before)} that showed its "
                "suggestions show their previous run's"
            )
            if self.unscored:
                text += f" ({self.unscored} had no other run and show none)"
            text += f". Restore it with `coder runs {path} --restore {run.id}`."
        else:
            text = f"Restored {name}: {_comments(self.shown_now)} show its suggestions again."
        if self.codebook_changed:
            text += f" The project's codebook is now {self.codebook}."
        return text


def _comments(n: int) -> str:
    return f"{n} comment{'' if n == 1 else 's'}"


def run_summaries(store: Store) -> list[RunSummary]:
    """Every run, oldest first, with what it scored and what it shows now."""
    counts, withdrawn = store.run_counts(), store.withdrawn()
    return [
        RunSummary(run, _codebook(store, run), *counts[run.id], withdrawn.get(run.id))
        for run in store.runs()
    ]


def set_withdrawn(store: Store, run_id: int, withdrawn: bool) -> RunChange:
    """Withdraw a run or restore it. Refuses an unknown run, and withdrawing the last run in
    use (every comment would be left with no suggestions)."""
    before = {s.run.id: s for s in run_summaries(store)}
    if run_id not in before:
        known = ", ".join(str(n) for n in before) or "none"
        raise InputError(f"project {store.path} has no run {run_id}; its runs are: {known}")
    summary, book_before = before[run_id], _project_codebook(store)
    if (summary.withdrawn_at is not None) == withdrawn:
        return RunChange(summary, withdrawn, False, summary.shown, summary.shown, 0, "", False)
    in_use = [s.run.id for s in before.values() if s.withdrawn_at is None and s.scored]
    if withdrawn and in_use == [run_id]:
        out = [s.run.id for s in before.values() if s.withdrawn_at is not None and s.scored]
        restore = f"restore run {out[-1]} (--restore {out[-1]}), or " if out else ""
        raise InputError(
            f"run {run_id} is the only run in use in {store.path}: withdrawn, it would leave "
            f"every comment without suggestions. First {restore}tag the comments with another "
            "model or codebook (`coder tag INPUT --db PROJECT -m MODEL`)"
        )
    store.set_withdrawn(run_id, withdrawn)
    after = {s.run.id: s for s in run_summaries(store)}
    # Comments left with no run in use by this change (the run was their only one).
    unscored = sum(s.shown for s in before.values()) - sum(s.shown for s in after.values())
    book_now = _project_codebook(store)
    return RunChange(
        run=after[run_id],
        withdrawn=withdrawn,
        changed=True,
        shown_before=summary.shown,
        shown_now=after[run_id].shown,
        unscored=unscored,
        codebook=book_now[1],
        codebook_changed=book_now[0] != book_before[0],
    )


def _codebook(store: Store, run: Run) -> str:
    book = store.codebook(run.codebook_id)
    return f"'{book.name}' version {book.version}"


def _project_codebook(store: Store) -> tuple[int, str]:
    """The project's codebook: its id in the project, and its name and version."""
    run = store.latest_run()
    if run is None:
        raise empty_project(store.path)
    return run.codebook_id, _codebook(store, run)
