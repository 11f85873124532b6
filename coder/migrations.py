"""The project database's schema, as named migrations applied in order.

Each migration is (name, SQL). `coder.store.Store` applies the ones a database lacks when it is
opened, inside one transaction, and records each in `schema_migrations`; the number applied is
the schema version. Never edit a released migration: add a new one at the end.

The SQL is plain enough for PostgreSQL too, except `INTEGER PRIMARY KEY` (an identity column
there). JSON is kept in TEXT columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""

BASE = """
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    text TEXT NOT NULL,
    attributes TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (source, external_id)
);

CREATE TABLE codebooks (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    yaml TEXT NOT NULL,
    added_at TEXT NOT NULL
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    codebook_id INTEGER NOT NULL REFERENCES codebooks (id),
    model_key TEXT NOT NULL,
    model TEXT NOT NULL,
    meta TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (codebook_id, model_key)
);

-- One row per run and comment: every theme's probability as a JSON object (a row per theme
-- would be 3 million rows for 100,000 comments and 32 themes), and how close the comment's
-- closest call is to its threshold, for the `uncertain` review order.
CREATE TABLE scores (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    scores TEXT NOT NULL,
    uncertainty REAL NOT NULL,
    PRIMARY KEY (run_id, comment_id)
);
CREATE INDEX scores_by_comment ON scores (comment_id, run_id);

CREATE TABLE suggestions (
    run_id INTEGER NOT NULL,
    comment_id INTEGER NOT NULL,
    theme TEXT NOT NULL,
    score REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('rule', 'model')),
    evidence TEXT NOT NULL,
    PRIMARY KEY (run_id, comment_id, theme),
    FOREIGN KEY (run_id, comment_id) REFERENCES scores (run_id, comment_id)
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    reviewer TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('review', 'blind', 'adjudicate')),
    settings TEXT NOT NULL,
    started_at TEXT NOT NULL
);

-- Append-only: an undo is a new row naming the row it undoes. `batch` groups the rows one
-- keypress wrote (accepting a comment writes a row per theme and a confirm), undone together.
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    batch INTEGER NOT NULL,
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    theme TEXT,
    action TEXT NOT NULL CHECK (action IN (
        'accept', 'reject', 'add', 'remove', 'confirm', 'flag', 'unflag', 'memo', 'skip', 'undo'
    )),
    value TEXT,
    reviewer TEXT NOT NULL,
    session_id INTEGER NOT NULL REFERENCES sessions (id),
    decided_at TEXT NOT NULL,
    undoes INTEGER REFERENCES decisions (id)
);
CREATE INDEX decisions_by_comment ON decisions (comment_id, reviewer);
CREATE INDEX decisions_undone ON decisions (undoes);
"""

# Comments where a rule coded a theme whose probability stayed under its threshold (rules and
# model disagree) went first in the `uncertain` order at this version; the count is still stored,
# but the order is now the weighted draw alone (see `store.review_keys`). An index makes finding
# a reviewer's last step for undo a lookup instead of a scan. The backfill reads the JSON columns
# with SQLite's json_extract (PostgreSQL would use ->>).
DISAGREEMENT = """
ALTER TABLE scores ADD COLUMN disagreement INTEGER NOT NULL DEFAULT 0;

UPDATE scores SET disagreement = (
    SELECT COUNT(*) FROM suggestions s JOIN runs r ON r.id = s.run_id
    WHERE s.run_id = scores.run_id AND s.comment_id = scores.comment_id AND s.source = 'rule'
      AND json_extract(scores.scores, '$.' || s.theme)
          < json_extract(r.meta, '$.decision.thresholds.' || s.theme)
);

CREATE INDEX decisions_by_reviewer ON decisions (reviewer, batch);
"""

# Double-coding samples (`coder sample`): a sample is drawn once, from its seed, and kept with its
# comments in the order drawn; each reviewer assigned to it is served them first. A new draw marks
# the old sample replaced instead of deleting it, so who was asked to code what stays on record.
SAMPLES = """
CREATE TABLE samples (
    id INTEGER PRIMARY KEY,
    fraction REAL NOT NULL CHECK (fraction > 0 AND fraction <= 1),
    seed INTEGER NOT NULL,
    population INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    replaced_at TEXT
);

CREATE TABLE sample_comments (
    sample_id INTEGER NOT NULL REFERENCES samples (id),
    comment_id INTEGER NOT NULL REFERENCES comments (id),
    rank INTEGER NOT NULL,
    PRIMARY KEY (sample_id, comment_id)
);

CREATE TABLE sample_reviewers (
    sample_id INTEGER NOT NULL REFERENCES samples (id),
    reviewer TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (sample_id, reviewer)
);
CREATE INDEX sample_reviewers_by_reviewer ON sample_reviewers (reviewer, sample_id);
"""

# The codebook each review session worked under, so that a theme that took over others
# (`replaces`) can tell a decision on it made before the merge from one made after. A session from
# before this version has none: no codebook could merge themes then.
SESSION_CODEBOOK = """
ALTER TABLE sessions ADD COLUMN codebook_id INTEGER REFERENCES codebooks (id);
"""

# A run can be withdrawn (`coder runs --withdraw`), an undo of automatic coding: its scores stay,
# but each comment shows its latest run that is not withdrawn, until the run is restored or used
# again.
WITHDRAWN_RUNS = """
ALTER TABLE runs ADD COLUMN withdrawn_at TEXT;
"""


def _sessions_allowing(*modes: str) -> str:
    """SQL that rebuilds the sessions table to allow these modes. SQLite cannot change a CHECK
    in place: the table is rebuilt, as its documentation describes, with foreign keys off
    (`Store._migrate`) and checked before commit."""
    allowed = ", ".join(f"'{mode}'" for mode in modes)
    return f"""
CREATE TABLE sessions_new (
    id INTEGER PRIMARY KEY,
    reviewer TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ({allowed})),
    settings TEXT NOT NULL,
    started_at TEXT NOT NULL,
    codebook_id INTEGER REFERENCES codebooks (id)
);

INSERT INTO sessions_new (id, reviewer, mode, settings, started_at, codebook_id)
    SELECT id, reviewer, mode, settings, started_at, codebook_id FROM sessions;

DROP TABLE sessions;

ALTER TABLE sessions_new RENAME TO sessions;
"""


# Coding done elsewhere (a spreadsheet, a QDA program) comes in as decisions of its own kind of
# session, `import`, so the log says which codes a person made on the review screen and which
# arrived in a file.
IMPORT_SESSIONS = _sessions_allowing("review", "blind", "adjudicate", "import")

# An adjudication settled outside coder (a discussion sheet of the disagreements, filled in at a
# meeting) comes in as an adjudicator's decisions, in a session of its own kind.
IMPORT_ADJUDICATION = _sessions_allowing(
    "review", "blind", "adjudicate", "import", "import-adjudication"
)

# A survey file often holds several open questions, each its own column. A comment is now known
# by its file, its question (the column its text came from) and its id there, so one file can be
# tagged once per question; the respondent (the id) meets across them. Comments from before
# have no question ('') until their file is tagged again (`Store.settle_question`). The table is
# rebuilt to change its UNIQUE constraint, keeping every id the other tables refer to.
QUESTIONS = """
CREATE TABLE comments_new (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    question TEXT NOT NULL DEFAULT '',
    external_id TEXT NOT NULL,
    row_number INTEGER NOT NULL,
    text TEXT NOT NULL,
    attributes TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (source, question, external_id)
);

INSERT INTO comments_new (id, source, question, external_id, row_number, text, attributes,
    imported_at)
    SELECT id, source, '', external_id, row_number, text, attributes, imported_at FROM comments;

DROP TABLE comments;

ALTER TABLE comments_new RENAME TO comments;
"""

# Deleting a comment (a refused import taken back) checks every sample for it: by index.
SAMPLE_INDEX = """
CREATE INDEX sample_comments_by_comment ON sample_comments (comment_id);
"""

# From here a run's scores of its codebook's codable themes are stored packed, as floats in the
# codebook's order (`coder.packed_scores`); rows stored before stay JSON and read as they are. No
# table changes: the version is what keeps an older coder, which reads JSON alone, out.
PACKED_SCORES = """
-- scores.scores holds a BLOB (packed) or TEXT (JSON) from here on
"""

# An import by `coder tag --db` begun and not finished: running now, or stopped part way (Ctrl-C
# keeps what it stored, as does a crash). Exports, reports and status say so rather than count a
# part of a file as all of it. `process` is the tagging process's id on `host`, 0 once stopped.
UNFINISHED_IMPORTS = """
CREATE TABLE unfinished_imports (
    source TEXT NOT NULL,
    question TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    process INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    PRIMARY KEY (source, question)
);
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("base schema", BASE),
    ("rule and model disagreement; undo index", DISAGREEMENT),
    ("double-coding samples assigned to reviewers", SAMPLES),
    ("the codebook of each review session", SESSION_CODEBOOK),
    ("withdrawn runs", WITHDRAWN_RUNS),
    ("sessions that import coding", IMPORT_SESSIONS),
    ("sessions that import adjudication", IMPORT_ADJUDICATION),
    ("several questions of one file", QUESTIONS),
    ("samples indexed by comment", SAMPLE_INDEX),
    ("scores stored packed", PACKED_SCORES),
    ("imports not finished", UNFINISHED_IMPORTS),
]


def statements(sql: str) -> Iterator[str]:
    """The statements of a script, one at a time (`executescript` would commit on its own)."""
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in pending.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement in a migration: {pending.strip()[:60]}")
