"""Building coding projects for the store and review tests, with results written by hand so
that scores, sources and the review order are known exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import TINY_CODEBOOK

from coder.codebook import Codebook
from coder.codebook_io import parse_codebook
from coder.migrations import BOOKKEEPING, MIGRATIONS, statements
from coder.results import CommentResult, Evidence, Suggestion
from coder.store import APPLICATION_ID, Entry, NewComment, Store, review_key

# A survey file's rows (id, comment, region), as test_tag_cli tags them with the tiny model.
SURVEY = [
    ("r1", "We never get the time, the rota is packed.", "North"),
    ("r2", "There was no budget for the bus fares.", "South"),
    ("r3", "Honestly it was ticking boxes for the inspectors. Nobody listened.", "East"),
    ("r4", "The weather was nice.", "West"),
]

# The next wave of the survey: the same ids, and answers like the first wave's (not a copy of
# its file, which `tag --db` refuses).
WAVE2 = [(key, text.lower(), region) for key, text, region in SURVEY]

THEMES = ["time", "cost", "box_ticking"]
THRESHOLDS = {"time": 0.5, "cost": 0.4, "box_ticking": 0.6}
LABELS = {"time": "Time", "cost": "Cost", "box_ticking": "Box-ticking"}

# (external id, text, scores, suggested themes with their source)
Row = tuple[str, str, dict[str, float], dict[str, str]]
ROWS: list[Row] = [
    ("a", "No time at all.", {"time": 0.9, "cost": 0.1, "box_ticking": 0.05}, {"time": "model"}),
    (
        "b",
        "Budget cut, tick box.",
        {"time": 0.2, "cost": 0.45, "box_ticking": 0.3},
        {
            "cost": "model",
            "box_ticking": "rule",  # a rule coded it though the classifier said 0.3: disagreement
        },
    ),
    ("c", "The weather was nice.", {"time": 0.02, "cost": 0.03, "box_ticking": 0.01}, {}),
    (
        "d",
        "Busy rota, no funding.",
        {"time": 0.55, "cost": 0.8, "box_ticking": 0.1},
        {
            "time": "model",
            "cost": "model",
        },
    ),
]


def result(text: str, scores: dict[str, float], suggested: dict[str, str]) -> CommentResult:
    """A tagging result: each suggestion's evidence is the comment's first word."""
    word = text.split()[0] if text.split() else ""
    evidence = (Evidence(word, 0, len(word), "pattern"),)
    suggestions = [
        Suggestion(t, LABELS[t], scores[t], suggested[t], evidence)  # type: ignore[arg-type]
        for t in THEMES
        if t in suggested
    ]
    return CommentResult(text, scores, suggestions)


def add_run(
    store: Store, name: str = "test model", thresholds: dict[str, float] | None = None
) -> int:
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    meta = {"decision": {"thresholds": thresholds or THRESHOLDS}, "name": name}
    return store.add_run(store.add_codebook(book), name, meta)


def make_project(path: Path, rows: list[Row] = ROWS, source: str = "comments.csv") -> Store:
    """A project with `rows` imported as one run; attributes say each comment's position."""
    store = Store(path)
    run_id = add_run(store)
    batch = [
        (NewComment(ext, line, text, {"n": str(line)}), result(text, scores, suggested))
        for line, (ext, text, scores, suggested) in enumerate(rows, start=2)
    ]
    store.import_batch(run_id, source, batch, THRESHOLDS)
    return store


def numbered_project(path: Path, book: Codebook, n: int = 4) -> Store:
    """A project of comments "1".."n" ("Comment 1." ...) with no suggestions, in a run under
    `book`: for decisions recorded by hand under one codebook, then read under another."""
    store = Store(path)
    run_id = store.add_run(store.add_codebook(book), "cold start", {})
    rows = [
        (NewComment(str(i), i + 1, f"Comment {i}.", {}), CommentResult(f"Comment {i}."))
        for i in range(1, n + 1)
    ]
    store.import_batch(run_id, "survey.csv", rows, {})
    return store


def decide(store: Store, book: Codebook | None, reviewer: str, *steps: list[Entry]) -> int:
    """Record each step (a keypress's entries) in one review session under `book`."""
    session = store.start_session(reviewer, "review", {}, book)
    for entries in steps:
        store.record(session, reviewer, entries)
    return session


Latest = dict[str, tuple[int, CommentResult]]  # external id -> (run id, its result)


def first_run(rows: list[Row] = ROWS) -> Latest:
    """What `make_project` stores: every row's result in run 1."""
    return {ext: (1, result(text, scores, suggested)) for ext, text, scores, suggested in rows}


def drawn(ids: dict[str, int], latest: Latest) -> list[str]:
    """External ids in the `uncertain` order: by the key `review_key` draws from each comment's
    latest run."""

    def key(ext: str) -> tuple[float, int]:
        run_id, found = latest[ext]
        return review_key(found, THRESHOLDS, f"{run_id}:{ids[ext]}")[0], ids[ext]

    return sorted(latest, key=key)


def ids_by_external(store: Store) -> dict[str, int]:
    return {store.comment(i).external_id: i for i in store.order("file")}


def build_at(path: Path, level: int) -> None:
    """A database at schema `level`, made as that coder made it: the first `level` migrations."""
    db = sqlite3.connect(path, isolation_level=None)
    if level:
        db.execute(BOOKKEEPING)
        for number, (name, sql) in enumerate(MIGRATIONS[:level], start=1):
            for statement in statements(sql):
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, 'then')",
                (number, name),
            )
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {level}")
    db.close()
