"""Where a project stands: how much is reviewed, what reviewers did with each theme, and how
good the suggestions are, measured against the reviewed comments."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from coder.codebook import Codebook
from coder.coding import unfinished_lines, waiting_after_split, waiting_line
from coder.console import percent, printable
from coder.errors import InputError
from coder.metrics import report, to_matrix
from coder.store import Run, Store, UnfinishedImport
from coder.training import learned_hashes, text_hash


@dataclass
class ThemeCounts:
    """Reviewers' decisions on a theme: suggestions kept, suggestions turned down, additions."""

    accepted: int = 0
    rejected: int = 0
    added: int = 0


@dataclass
class ReviewerCounts:
    reviewed: int = 0
    imported: int = 0  # of the reviewed, those whose coding came last from a file
    flagged: int = 0
    memos: int = 0


@dataclass
class ProjectStatus:
    path: str
    comments: int
    reviewed: int  # by at least one reviewer
    flagged: int
    adjudicated: int
    conflicts: int  # reviewed by several who differ, not adjudicated
    runs: int  # in use
    labels: dict[str, str]  # theme id -> label, latest codebook first
    reviewers: dict[str, ReviewerCounts] = field(default_factory=dict)
    themes: dict[str, ThemeCounts] = field(default_factory=dict)
    measured_run: Run | None = None  # the run whose suggestions `metrics` measures
    metrics: dict[str, Any] | None = None  # coder.metrics.report on the reviewed comments
    withdrawn: int = 0  # runs withdrawn (`coder runs --withdraw`), not counted in `runs`
    codebook: str = ""  # the project's: its name and version, and the run it comes from
    # each file's questions (text columns; '' from before coder recorded them) and comments
    sources: list[dict[str, Any]] = field(default_factory=list)
    # split themes with comments coded with them that wait to be reviewed again, and how many
    waiting: dict[str, int] = field(default_factory=dict)
    waiting_note: str = ""  # what that means and the command to go through them
    # imports `coder tag --db` began and has not finished: file, question, run, started_at,
    # stored (comments so far), running (true, false, or null: cannot tell)
    unfinished: list[dict[str, Any]] = field(default_factory=list)
    unfinished_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("labels")
        data.pop("waiting_note")
        data.pop("unfinished_note")
        run = self.measured_run
        data["measured_run"] = None if run is None else {"id": run.id, "model": run.model}
        return data


_COUNTED = {"accept": "accepted", "reject": "rejected", "add": "added"}


def _current(store: Store) -> tuple[list[Run], Run | None, Codebook | None]:
    """The runs not withdrawn, the latest, and its codebook (merges apply as in exports)."""
    withdrawn = store.withdrawn()
    latest = store.latest_run()
    book = store.codebook(latest.codebook_id) if latest else None
    return [run for run in store.runs() if run.id not in withdrawn], latest, book


def suggestions_measured(store: Store) -> tuple[Run | None, dict[str, Any] | None]:
    """The project's suggestions measured on its reviewed comments, as `coder status` shows
    them (`_measure`): the run measured and its figures, or (None, None)."""
    runs, _, book = _current(store)
    final, _ = store.reviewed_codes(book)
    replaced, split = (book.replaced, set(book.split)) if book else ({}, set())
    return _measure(store, runs, final, replaced, split)


def project_status(store: Store) -> ProjectStatus:
    withdrawn = store.withdrawn()
    runs, latest, book = _current(store)
    replaced = book.replaced if book else {}
    split = set(book.split) if book else set()  # no theme to count or measure them under
    labels = _labels(store, runs, replaced.keys() | split)
    final, conflicts = store.reviewed_codes(book)
    status = ProjectStatus(
        path=str(store.path),
        comments=store.comment_count(),
        reviewed=0,
        flagged=0,
        adjudicated=len(store.adjudicated(book)),
        conflicts=conflicts,
        runs=len(runs),
        withdrawn=len(withdrawn),
        codebook=f"'{book.name}' version {book.version}, from run {latest.id}" if book else "",
        labels=labels,
        themes={theme: ThemeCounts() for theme in labels},
        sources=[
            {"file": file, "question": question, "comments": n}
            for file, question, n in store.sources()
        ],
    )
    unfinished = store.unfinished_imports()
    status.unfinished = [_unfinished(u) for u in unfinished]
    status.unfinished_note = "\n".join(unfinished_lines(store.path, unfinished))
    reviewed, flagged = set(), set()
    for reviewer, states in sorted(store.states(book=book).items()):
        counts = status.reviewers.setdefault(reviewer, ReviewerCounts())
        for comment_id, state in states.items():
            counts.flagged += state.flagged
            counts.memos += bool(state.memo)
            if state.flagged:
                flagged.add(comment_id)
            if not state.reviewed:
                continue
            counts.reviewed += 1
            counts.imported += state.imported
            reviewed.add(comment_id)
            for theme, action in state.themes.items():
                if action in _COUNTED:
                    tally = status.themes.setdefault(theme, ThemeCounts())
                    setattr(tally, _COUNTED[action], getattr(tally, _COUNTED[action]) + 1)
    status.reviewed, status.flagged = len(reviewed), len(flagged)
    if book is not None and book.split:
        status.waiting = waiting_after_split(store, book)
        if status.waiting:
            status.waiting_note = waiting_line(store.path, book, status.waiting)
    status.measured_run, status.metrics = _measure(store, runs, final, replaced, split)
    return status


def accept_part(store: Store, source: str) -> list[UnfinishedImport]:
    """Take the stopped imports of file `source` (as `Store.unfinished_imports` names it, every
    question of it) as done: what they stored stays and the rest of the file stays out, and
    nothing calls them unfinished any more. Raises InputError, changing nothing, for a file
    with no unfinished import, or one still being tagged."""
    unfinished = store.unfinished_imports()
    found = [u for u in unfinished if u.source == source]
    if not found:
        listed = ", ".join(dict.fromkeys(u.source for u in unfinished)) or "none"
        raise InputError(
            f"{store.path} has no unfinished import of {source} (unfinished: {listed}); name "
            "the file as `coder status` does"
        )
    running = [u for u in found if u.running]
    if running:
        raise InputError(
            f"{source} may still be being tagged into {store.path} (process "
            f"{running[0].process}); stop it first, or let it finish"
        )
    for u in found:
        store.import_finished(u.source, u.question)
    return found


def _unfinished(found: UnfinishedImport) -> dict[str, Any]:
    return {
        "file": found.source,
        "question": found.question,
        "run": found.run_id,
        "started_at": found.started_at,
        "stored": found.stored,
        "running": found.running,
    }


def _labels(store: Store, runs: list[Run], gone: Set[str]) -> dict[str, str]:
    """Every theme any run's codebook can code, labelled by the newest codebook that has it,
    but for ids the project's codebook replaced or split (`gone`)."""
    labels: dict[str, str] = {}
    for run in reversed(runs):
        for theme in store.codebook(run.codebook_id).codable:
            if theme.id not in gone:
                labels.setdefault(theme.id, theme.label)
    return labels


def _measure(
    store: Store,
    runs: list[Run],
    final: dict[int, set[str]],
    replaced: dict[str, str],
    split: Set[str],
) -> tuple[Run | None, dict[str, Any] | None]:
    """Precision and recall of the latest run that scored reviewed comments, on those comments,
    leaving out any comment whose text the run's model was trained on (its meta lists them).

    A retrain re-scores only unreviewed comments, so its figures come from the comments
    reviewed after it; a model trained on the project and used to tag it again is measured on
    the comments it did not learn from.
    """
    hashes: dict[int, str] | None = None  # read once, where a run learnt from some texts
    for run in reversed(runs):
        suggested = store.run_suggested(run.id, final)
        learned = learned_hashes(run.meta)
        if learned and hashes is None:
            hashes = {i: text_hash(text) for i, text in store.texts(final)}
        measured = sorted(i for i in suggested if not learned or hashes[i] not in learned)
        if measured:
            # Under the project's codebook: a run from before a merge coded the old ids, and
            # one from before a split coded a theme no reviewer can now code.
            ids = _renamed(store.codebook(run.codebook_id).codable_ids, replaced, split)
            gold = [[t for t in final[i] if t in ids] for i in measured]
            predicted = [_renamed(suggested[i], replaced, split) for i in measured]
            return run, report(to_matrix(gold, ids), to_matrix(predicted, ids), ids)
    return None, None


def _renamed(themes: Iterable[str], replaced: dict[str, str], split: Set[str]) -> list[str]:
    return list(dict.fromkeys(replaced.get(t, t) for t in themes if t not in split))


SHOWN_FILES = 5


def sources_line(sources: list[dict[str, Any]]) -> str:
    """Where the comments came from: each file with its questions (columns) and counts."""
    files: dict[str, list[str]] = {}
    for source in sources:
        question = source["question"] or "column not recorded"
        files.setdefault(source["file"], []).append(f"{question}: {source['comments']:,}")
    shown = [f"{file} ({', '.join(parts)})" for file, parts in list(files.items())[:SHOWN_FILES]]
    more = len(files) - SHOWN_FILES
    tail = f"; and {more} more file{'s' * (more != 1)}" if more > 0 else ""
    return "From " + "; ".join(shown) + tail


def status_renderables(status: ProjectStatus) -> list[RenderableType]:
    """The status for the terminal: a summary line, reviewers, and a table per theme."""
    share = f" ({percent(status.reviewed / status.comments)})" if status.comments else ""
    summary = Text(f"{status.path}: ", style="bold")
    summary.append(
        f"{status.comments:,} comments, {status.reviewed:,} reviewed{share}, "
        f"{status.flagged:,} flagged, {status.adjudicated:,} adjudicated; "
        f"{status.runs} model run{'s' if status.runs != 1 else ''}"
        + (f" ({status.withdrawn} more withdrawn)" if status.withdrawn else "")
    )
    out: list[RenderableType] = [summary]
    if status.codebook:
        out.append(Text(f"Codebook {status.codebook} (`coder runs` lists the runs)", style="dim"))
    if status.sources:
        out.append(Text(sources_line(status.sources), style="dim"))
    if status.unfinished_note:
        out.append(Text(status.unfinished_note, style="yellow"))
    if not status.comments:
        hint = f"No comments yet: import some with `coder tag INPUT --db {status.path}`"
        return [*out, Text(hint, style="yellow")]
    if status.conflicts:
        out.append(
            Text(
                f"{status.conflicts} reviewed comments have reviewers who differ and are left "
                "out of training and of the figures below until adjudicated",
                style="yellow",
            )
        )
    if status.waiting_note:
        out.append(Text(status.waiting_note, style="yellow"))
    if status.reviewers:
        reviewers = Table(title="Reviewers", title_justify="left")
        for name in ("reviewer", "reviewed", "imported", "flagged", "memos"):
            reviewers.add_column(name, justify="left" if name == "reviewer" else "right")
        for name, counts in status.reviewers.items():
            figures = (counts.reviewed, counts.imported, counts.flagged, counts.memos)
            reviewers.add_row(Text(printable(name)), *map(str, figures))
        reviewers.caption = "imported: reviewed comments whose coding came last from a file"
        out.append(reviewers)
    out.append(_themes_table(status))
    if status.reviewed and status.metrics is None:
        out.append(Text("No run has scored a reviewed comment yet.", style="dim"))
    return out


def _themes_table(status: ProjectStatus) -> Table:
    """Decisions per theme, and the precision and recall of the measured run's suggestions."""
    metrics, run = status.metrics, status.measured_run
    table = Table(title="Themes", title_justify="left")
    columns = ["theme", "accepted", "rejected", "added"]
    if metrics and run:
        columns += ["precision", "recall", "F1", "support"]
        table.caption = (
            f"Precision and recall of the suggestions of run {run.id} ({run.model}) "
            f"on {metrics['n']} reviewed comments"
        )
    for name in columns:
        table.add_column(name, justify="left" if name == "theme" else "right")
    for theme, counts in status.themes.items():
        row = [str(counts.accepted), str(counts.rejected), str(counts.added)]
        if metrics:
            row += _figures(metrics["themes"].get(theme), support=True)
        table.add_row(Text(printable(status.labels.get(theme, theme))), *row)
    if metrics:
        table.add_section()
        for average in ("micro", "macro"):
            label = Text(f"{average} average", style="bold")
            table.add_row(label, "", "", "", *_figures(metrics[average], support=False))
    return table


def _figures(m: dict[str, Any] | None, support: bool) -> list[str]:
    """Precision, recall, F1 and support cells; blank for a theme the run cannot code."""
    if m is None:
        return ["", "", "", ""]
    from coder.render import theme_figures

    return [*theme_figures(m), str(m["support"]) if support else ""]
