"""The coding project: one SQLite file with the comments, the codebook versions, the model runs
with every score and suggestion, and the reviewers' decisions as an append-only log.

Every write is one short transaction (`BEGIN IMMEDIATE`, so two processes take turns rather than
fail) committed before the call returns: a decision the screen shows as made is on disk. The
current coding of a comment is derived from the log; an undo is a new entry, never a delete.
The project's SQL lives here and in `coder.migrations`, and is plain enough for PostgreSQL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import re
import shlex
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from coder.codebook import Codebook
from coder.codebook_io import dump_codebook, parse_codebook
from coder.errors import InputError, StoreError
from coder.fileio import SQLITE_MAGIC
from coder.folding import COMMENT_ACTIONS, THEME_ACTIONS, CommentState, Merges, Splits
from coder.migrations import BOOKKEEPING, MIGRATIONS, statements
from coder.packed_scores import pack, unpack
from coder.results import CommentResult, Evidence, Suggestion

if TYPE_CHECKING:
    from coder.model import ThemeModel
    from coder.readers import Table
    from coder.tagging import TaggedRow

APPLICATION_ID = 0x436F6472  # "Codr" in the SQLite header: this file is a coder project
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_S = 10.0
IMPORT_BATCH = 500

REVIEW_MODES = ("review", "blind", "adjudicate")  # sessions on the review screen
IMPORT_MODES = ("import", "import-adjudication")  # coding, or adjudication, from a file
MODES = (*REVIEW_MODES, *IMPORT_MODES)
ORDERS = ("uncertain", "random", "file")
QUESTION = "question"  # the attribute that names a comment's question, where a file has several


def _sql_list(names: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{name}'" for name in names) + ")"


# a reviewer's own coding: blind or not, or imported from a file (`coder import`)
_CODER_MODES = _sql_list(("review", "blind", IMPORT_MODES[0]))
_ADJUDICATE_MODES = _sql_list(("adjudicate", IMPORT_MODES[1]))
_IMPORT_MODES = _sql_list(IMPORT_MODES)

# A run in use: not withdrawn (`set_withdrawn`, `coder runs --withdraw`).
_IN_USE = "run_id NOT IN (SELECT id FROM runs WHERE withdrawn_at IS NOT NULL)"
# The latest run in use that scored each comment: what review shows and exports use.
# Each comment's latest run, of every comment or of those a further condition keeps.
_LATEST_OF = (
    f"SELECT comment_id, MAX(run_id) AS run_id FROM scores WHERE {_IN_USE}{{}} GROUP BY comment_id"
)
_LATEST = _LATEST_OF.format("")
_COMMENT_COLUMNS = "id, source, question, external_id, row_number, text, attributes"
_EFFECTIVE = "NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) AND d.action <> 'undo'"
_DECISION_COLUMNS = (
    "d.id, d.batch, d.comment_id, d.theme, d.action, d.value, d.reviewer, d.session_id, "
    "d.decided_at, d.undoes"
)


def origin(source: str, question: str) -> str:
    """A comment's file with its question, where it has one: `survey.csv#improve`."""
    return f"{source}#{question}" if question else source


_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())  # what str.strip strips


def _decided(db: sqlite3.Connection, comment_id: int) -> bool:
    return (
        db.execute("SELECT 1 FROM decisions WHERE comment_id = ? LIMIT 1", (comment_id,)).fetchone()
        is not None
    )


def _fill_blank(
    db: sqlite3.Connection,
    run_id: int,
    comment: NewComment,
    comment_id: int,
    had: tuple[str, int],
    undo: dict[int, dict[str, Any]],
) -> None:
    """Give a blank comment the file's text (`had`: its text and line till now), its
    results in this run dropped: they were for the blank, and the new ones follow."""
    kept = undo.setdefault(comment_id, {})
    kept.setdefault("text", had[0])
    kept.setdefault("row_number", had[1])
    db.execute(
        "UPDATE comments SET text = ?, row_number = ?, imported_at = ? WHERE id = ?",
        (comment.text, comment.row_number, _now(), comment_id),
    )
    for table in ("suggestions", "scores"):
        db.execute(f"DELETE FROM {table} WHERE run_id = ? AND comment_id = ?", (run_id, comment_id))


def _take_attributes(
    db: sqlite3.Connection,
    source: str,
    question: str,
    comment: NewComment,
    comment_id: int,
    undo: dict[int, dict[str, Any]],
) -> None:
    """The file's attribute values for a comment already there, and for its row's answers
    to the file's other questions (the same respondent); `undo` keeps what each had."""
    siblings = db.execute(
        "SELECT id, attributes FROM comments WHERE source = ? AND external_id = ? "
        "AND (id = ? OR question NOT IN ('', ?))",
        (source, comment.external_id, comment_id, question),
    ).fetchall()
    now = json.dumps(comment.attributes, ensure_ascii=False)
    for sibling, had in siblings:
        if json.loads(had) != comment.attributes:
            undo.setdefault(sibling, {}).setdefault("attributes", had)
            db.execute("UPDATE comments SET attributes = ? WHERE id = ?", (now, sibling))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Imported(NamedTuple):
    """What `Store.import_batch` did: comments new to the project, comments already there
    whose attributes it updated, and blank ones it gave their text."""

    new: int
    updated: int  # attributes
    filled: int = 0  # blank texts given text


@dataclass(frozen=True)
class NewComment:
    external_id: str
    row_number: int
    text: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class Comment:
    id: int
    source: str
    external_id: str
    row_number: int
    text: str
    attributes: dict[str, str]
    question: str = ""  # the column of its file the text came from ('' if not known)

    def value(self, name: str) -> str:
        """An attribute's value ('' if it has none); `question` is the comment's question
        unless its file has a column of that name."""
        if name in self.attributes:
            return self.attributes[name]
        return self.question if name == QUESTION else ""

    @property
    def origin(self) -> str:
        """Its file, with its question where it has one: `survey.csv#improve`."""
        return origin(self.source, self.question)

    def with_question(self) -> dict[str, str]:
        """Its attributes, the question first (where no column of its file is so named)."""
        if not self.question or QUESTION in self.attributes:
            return self.attributes
        return {QUESTION: self.question, **self.attributes}


@dataclass(frozen=True)
class CommentRef:
    """How a comment is known outside the project: its source file and its id there. Where the
    project holds several questions (text columns) of one file, the source names the question
    too: `survey.csv#improve`."""

    id: int
    source: str
    external_id: str
    question: str = ""  # the column its text came from ('' if not recorded)


@dataclass(frozen=True)
class Sample:
    """A double-coding sample: comments drawn for every assigned reviewer to code."""

    id: int
    fraction: float
    seed: int
    population: int  # comments in the project when it was drawn
    comment_ids: tuple[int, ...]  # in the order drawn
    reviewers: tuple[str, ...]  # in the order assigned
    created_at: str


@dataclass(frozen=True)
class Run:
    id: int
    codebook_id: int
    model: str
    meta: dict[str, Any]
    created_at: str


@dataclass(frozen=True)
class ImportRecord:
    """One import of coding or adjudication from a file (a session of an import mode), for
    the audit trail."""

    session_id: int
    reviewer: str
    started_at: str
    settings: dict[str, Any]  # the file's name and SHA-256, the QDA user renamed
    comments: int  # comments it recorded decisions on
    taken_back: bool  # undone (`coder import --undo`)
    adjudication: bool = False  # recorded as the reviewer's adjudication (`--adjudicate`)


@dataclass(frozen=True)
class UnfinishedImport:
    """An import by `coder tag --db` begun and not finished: running, or stopped part way."""

    source: str
    question: str
    run_id: int
    process: int  # the tagging process's id on `host`; 0 once it stopped
    host: str
    started_at: str
    stored: int = 0  # the comments the project holds from this file's question

    @property
    def began(self) -> str:
        """When, to the minute: "2026-11-28 15:21 UTC"."""
        return f"{self.started_at[:16].replace('T', ' ')} UTC"

    @property
    def running(self) -> bool | None:
        """Whether its process still runs; None where that cannot be told (another machine,
        or Windows, where the probe would end the process). A process of that id that began
        after the import did (the id used again, after a restart say) is another one."""
        if not self.process:
            return False
        if self.host != socket.gethostname() or os.name != "posix":
            return None
        try:
            os.kill(self.process, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # someone else's process
            pass
        try:
            began = datetime.fromisoformat(self.started_at).timestamp()
        except ValueError:  # not a time coder wrote: nothing more to tell by
            return True
        if time.time() - began > _LONGEST_IMPORT_S:
            return False
        since = _process_started(self.process)
        return since is None or since <= began + _CLOCK_SLACK_S


# No import runs for a week: a process of the recorded id after that is another one (where
# its start time cannot be read, off Linux).
_LONGEST_IMPORT_S = 7 * 24 * 3600
_CLOCK_SLACK_S = 2.0  # the boot time in /proc/stat is to the second


def _process_started(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), from Linux's /proc; else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/stat").read_text().split("btime ", 1)[1].split()[0]
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        return int(boot) + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Scored:
    """One run's view of one comment: every theme's score and the suggested codes."""

    run_id: int
    scores: dict[str, float]
    suggestions: list[Suggestion]


@dataclass(frozen=True)
class Entry:
    """A decision to record: a theme action (`theme` set) or a comment-level one."""

    comment_id: int
    action: str
    theme: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Decision:
    id: int
    batch: int
    comment_id: int
    theme: str | None
    action: str
    value: str | None
    reviewer: str
    session_id: int
    decided_at: str
    undoes: int | None


def review_key(result: CommentResult, thresholds: dict[str, float], draw: str) -> tuple[float, int]:
    """(sort key, disagreement) of one comment for the `uncertain` review order (see
    `review_keys`)."""
    return review_keys([result], thresholds, [draw])[0]


def review_keys(
    results: Sequence[CommentResult], thresholds: dict[str, float], draws: Sequence[str]
) -> list[tuple[float, int]]:
    """(sort key, disagreement) of each comment for the `uncertain` review order.

    The key is a weighted random draw (Efraimidis and Spirakis: -ln(u) / weight, smallest
    first), so a comment comes early with a chance in proportion to how near its closest call
    is to its threshold: weight e^-|logit(score) - logit(threshold)|, 1 on a threshold. Its
    `draws` string (run and comment) fixes u, so a run's order is stable and the next run's is
    a new draw. Serving the closest calls strictly first drew long comments with several themes
    and none of the short ones; models trained on them set thresholds too low and lost
    precision (micro-F1 0.04 under random labelling at 300-500 labels, simulated on the NHS
    training split). The draw keeps the labelled sample near the project's own mix.
    Disagreement is how many codes a rule gave whose probability stayed under the threshold.
    Computed for a batch at once: one comment at a time costs a quarter of tagging it.
    """
    themes = list(dict.fromkeys(t for result in results for t in result.scores))
    weights = np.zeros(len(results))
    if themes:
        scores = np.array([[r.scores.get(t, np.nan) for t in themes] for r in results])
        limits = np.array([thresholds.get(t, 0.5) for t in themes])
        with np.errstate(invalid="ignore"):
            nearness = np.exp(-np.abs(_logit(scores) - _logit(limits)))
        nearness[np.isnan(scores)] = 0.0  # a theme this result has no score for
        weights = nearness.max(axis=1)
    out = []
    for result, draw, weight in zip(results, draws, weights.tolist(), strict=True):
        digest = hashlib.sha256(draw.encode("utf-8")).digest()
        uniform = (int.from_bytes(digest[:8], "big") + 0.5) / 2.0**64  # in (0, 1)
        disagreement = sum(
            s.source == "rule" and result.scores.get(s.theme, 0.0) < thresholds.get(s.theme, 0.5)
            for s in result.suggestions
        )
        out.append((-math.log(uniform) / max(weight, _MIN_WEIGHT), disagreement))
    return out


_MIN_WEIGHT = 1e-12
_LOGIT_CLIP = 1e-6


# A filter to a list of ids passed as one JSON parameter: no limit on how many.
_AMONG = "{} IN (SELECT value FROM json_each(?))"


def _ids(among: Iterable[int]) -> str:
    return json.dumps([*among])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _LOGIT_CLIP, 1 - _LOGIT_CLIP)
    return np.log(p / (1 - p))


class Store:
    """An open project file. One per thread: a background thread opens its own."""

    def __init__(self, path: str | Path, create: bool = True):
        self.path = Path(path)
        _check_file(self.path, create)
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open project {self.path}: {exc}") from None
        try:
            outdated = self._needs_migration()
            self._configure()
            if outdated:
                self._migrate()
        except BaseException:
            self._db.close()
            raise
        self._codebooks: dict[int, Codebook] = {}
        self._runs: dict[int, Run] = {}
        self._codable: dict[int, tuple[str, ...]] = {}

    def close(self) -> None:
        self._db.close()

    def wait_for_locks(self, seconds: float) -> None:
        """How long a write waits for another program's lock before it fails: shorter for the
        review screen, which cannot repaint while it waits."""
        self._db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening ---------------------------------------------------------------------------

    def _pragma(self, name: str) -> int:
        try:
            return int(self._db.execute(f"PRAGMA {name}").fetchone()[0])
        except sqlite3.OperationalError as exc:  # a project this user or moment cannot open
            raise _unopenable(self.path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a coder project: it cannot be read as a database ({exc})"
            ) from None

    def _needs_migration(self) -> bool:
        """Recognise the file before anything is written to it."""
        app_id, version = self._pragma("application_id"), self._pragma("user_version")
        if app_id == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise _newer(self.path, version)
            return version < SCHEMA_VERSION
        if app_id == 0 and self._pragma("schema_version") == 0:  # nothing in it yet
            return True
        raise StoreError(
            f"{self.path} is not a coder project: it is an SQLite database of another program. "
            "Give a project file, or a new file name to start a project"
        )

    def _configure(self) -> None:
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open project {self.path}: {exc}") from None

    def _migrate(self) -> None:
        # Off while a migration rebuilds a table others refer to; checked before it commits.
        self._db.execute("PRAGMA foreign_keys = OFF")
        try:
            self._apply_migrations()
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    def _apply_migrations(self) -> None:
        with self.transaction() as db:
            db.execute(BOOKKEEPING)
            applied = [n for (n,) in db.execute("SELECT name FROM schema_migrations ORDER BY id")]
            if len(applied) > SCHEMA_VERSION:
                raise _newer(self.path, len(applied))
            known = [name for name, _ in MIGRATIONS]
            if applied != known[: len(applied)]:
                raise StoreError(
                    f"{self.path} has schema migrations this coder does not know "
                    f"({', '.join(applied)}); open it with the coder that made it"
                )
            for number, (name, sql) in enumerate(MIGRATIONS, start=1):
                if number > len(applied):
                    for statement in statements(sql):
                        db.execute(statement)
                    db.execute(
                        "INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                        (number, name, _now()),
                    )
            broken = db.execute("PRAGMA foreign_key_check").fetchone()
            if broken is not None:
                raise StoreError(
                    f"cannot bring {self.path} up to date: table {broken[0]} refers to a missing "
                    f"row of {broken[2]}; the file is unchanged"
                )
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        return self._pragma("user_version")

    def migrations(self) -> list[tuple[int, str, str]]:
        """(number, name, applied at) of every migration this file has had."""
        return self._db.execute(
            "SELECT id, name, applied_at FROM schema_migrations ORDER BY id"
        ).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once so that concurrent writers wait their turn."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:  # locked too long, read-only, disk full
            hint = (
                "; another program has held it too long: nothing was recorded, try again"
                if "lock" in str(exc)
                else ""
            )
            raise StoreError(f"cannot write to project {self.path}: {exc}{hint}") from None

    # --- codebooks and runs ----------------------------------------------------------------

    def add_codebook(self, book: Codebook) -> int:
        """The id of this codebook version, stored once by its content hash."""
        digest = book.content_hash()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO codebooks (hash, name, version, yaml, added_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (hash) DO NOTHING",
                (digest, book.name, book.version, dump_codebook(book), _now()),
            )
            return db.execute("SELECT id FROM codebooks WHERE hash = ?", (digest,)).fetchone()[0]

    def codebook(self, codebook_id: int) -> Codebook:
        if codebook_id not in self._codebooks:
            row = self._db.execute("SELECT yaml FROM codebooks WHERE id = ?", (codebook_id,))
            text = row.fetchone()[0]
            self._codebooks[codebook_id] = parse_codebook(
                text, f"{self.path} codebook {codebook_id}", stored=True
            )
        return self._codebooks[codebook_id]

    def former_label(self, theme_id: str) -> str:
        """The label of a theme no longer in the project's codebook (one that was split, say),
        as the newest stored codebook that has it gave it; its id if none does."""
        for (codebook_id,) in self._db.execute("SELECT id FROM codebooks ORDER BY id DESC"):
            for theme in self.codebook(codebook_id).themes:
                if theme.id == theme_id:
                    return theme.label
        return theme_id

    def add_run(self, codebook_id: int, model: str, meta: dict[str, Any]) -> int:
        """The id of the run of this model with this codebook: one run per distinct pair."""
        text = json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs (codebook_id, model_key, model, meta, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (codebook_id, model_key) DO NOTHING",
                (codebook_id, key, model, text, _now()),
            )
            return db.execute(
                "SELECT id FROM runs WHERE codebook_id = ? AND model_key = ?", (codebook_id, key)
            ).fetchone()[0]

    def add_model_run(self, model: ThemeModel, name: str) -> int:
        """Register a model's run: its codebook, its meta and its decision rules."""
        meta = {**model.meta, "decision": model.decision.to_dict()}
        return self.add_run(self.add_codebook(model.codebook), name, meta)

    def runs(self) -> list[Run]:
        rows = self._db.execute(
            "SELECT id, codebook_id, model, meta, created_at FROM runs ORDER BY id"
        )
        return [Run(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def run(self, run_id: int) -> Run:
        if run_id not in self._runs:
            self._runs.update((r.id, r) for r in self.runs())
        return self._runs[run_id]

    def codable_ids(self, codebook_id: int) -> tuple[str, ...]:
        """A stored codebook's codable theme ids, in order: how a run under it packs its scores
        (`coder.packed_scores`; asked once per comment read, so kept)."""
        if codebook_id not in self._codable:
            self._codable[codebook_id] = tuple(self.codebook(codebook_id).codable_ids)
        return self._codable[codebook_id]

    def has_scores(self, run_id: int) -> bool:
        """Whether the run has scored a comment (a run just added for a model seen before
        may have)."""
        found = self._db.execute("SELECT 1 FROM scores WHERE run_id = ? LIMIT 1", (run_id,))
        return found.fetchone() is not None

    def discard_run(self, run_id: int) -> None:
        """Remove a run and what it scored: a re-score or an import that stopped part way,
        whose run no comment should show."""
        with self.transaction() as db:
            db.execute("DELETE FROM suggestions WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM scores WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self._runs.pop(run_id, None)

    def import_started(self, source: str, question: str, run_id: int) -> UnfinishedImport | None:
        """Record an import of a file's question as begun, by this process; what an earlier
        one of it that did not finish had recorded, if any (`import_undone` puts it back).
        Raises StoreError, recording nothing, while another process is tagging it."""
        started = UnfinishedImport(
            source, question, run_id, os.getpid(), socket.gethostname(), _now()
        )
        with self.transaction() as db:
            earlier = self._unfinished(source, question)
            if earlier and earlier.process != started.process and earlier.running:
                column = f" (column '{question}')" if question else ""
                raise StoreError(
                    f"{source}{column} is being tagged into {self.path} by another process "
                    f"({earlier.process}, since {earlier.began}); let it finish, "
                    "or stop it, then run this again (it adds only what is missing)"
                )
            _record_unfinished(db, started)
        return earlier

    def import_finished(self, source: str, question: str) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM unfinished_imports WHERE source = ? AND question = ?",
                (source, question),
            )

    def import_stopped(self, source: str, question: str) -> None:
        """An import stopped part way (Ctrl-C): what it stored stays, and it runs no more."""
        with self.transaction() as db:
            db.execute(
                "UPDATE unfinished_imports SET process = 0 WHERE source = ? AND question = ?",
                (source, question),
            )

    def import_undone(self, source: str, question: str, earlier: UnfinishedImport | None) -> None:
        """An import taken back: the record `import_started` replaced, stopped, or none."""
        if earlier is None:
            self.import_finished(source, question)
        else:
            with self.transaction() as db:
                _record_unfinished(db, dataclasses.replace(earlier, process=0))

    def unfinished_imports(self) -> list[UnfinishedImport]:
        """The imports begun and not finished, oldest first, with the comments each stored."""
        rows = self._db.execute(
            "SELECT u.source, u.question, u.run_id, u.process, u.host, u.started_at, "
            "(SELECT COUNT(*) FROM comments c WHERE c.source = u.source AND c.question = "
            "u.question) FROM unfinished_imports u ORDER BY u.started_at"
        )
        return [UnfinishedImport(*row) for row in rows]

    def run_being_tagged(self, run_id: int) -> bool:
        """Whether another process may be storing this run's results now (an import of the
        same model and codebook, still running or not known to have stopped)."""
        return any(
            u.run_id == run_id and u.process != os.getpid() and u.running is not False
            for u in self.unfinished_imports()
        )

    def _unfinished(self, source: str, question: str) -> UnfinishedImport | None:
        found = [
            u for u in self.unfinished_imports() if (u.source, u.question) == (source, question)
        ]
        return found[0] if found else None

    def last_comment_id(self) -> int:
        """The id of the latest comment stored (0 for none): later ones are newer."""
        return self._db.execute("SELECT COALESCE(MAX(id), 0) FROM comments").fetchone()[0]

    def restore_comments(self, previous: dict[int, dict[str, Any]]) -> None:
        """Put back what comments had (`import_batch`'s `previous`: {comment: {column: value}})
        before an import that was then undone."""
        with self.transaction() as db:
            for comment_id, columns in previous.items():
                for column, value in columns.items():  # names from import_batch alone
                    db.execute(
                        f"UPDATE comments SET {column} = ? WHERE id = ?", (value, comment_id)
                    )

    def discard_comments(self, source: str, after: int) -> int:
        """Remove the comments from `source` stored after comment `after` and their results:
        an import the input stopped part way. One someone has decided on or sampled stays."""
        chosen = (  # NOT IN: each list is read once, whatever the indexes
            "SELECT id FROM comments WHERE source = ? AND id > ? "
            "AND id NOT IN (SELECT comment_id FROM decisions) "
            "AND id NOT IN (SELECT comment_id FROM sample_comments)"
        )
        with self.transaction() as db:
            for table in ("suggestions", "scores"):
                db.execute(f"DELETE FROM {table} WHERE comment_id IN ({chosen})", (source, after))
            gone = db.execute(f"DELETE FROM comments WHERE id IN ({chosen})", (source, after))
            return gone.rowcount

    def latest_run(self) -> Run | None:
        """The latest run in use that scored a comment: a run whose import failed before
        storing anything (a file refused, a crash) must not change the project's codebook."""
        (run_id,) = self._db.execute(
            "SELECT MAX(id) FROM runs r WHERE r.withdrawn_at IS NULL "
            "AND EXISTS (SELECT 1 FROM scores s WHERE s.run_id = r.id)"
        ).fetchone()
        return None if run_id is None else self.run(run_id)

    def withdrawn(self) -> dict[int, str]:
        """{run: when it was withdrawn}, of the runs withdrawn now."""
        rows = self._db.execute("SELECT id, withdrawn_at FROM runs WHERE withdrawn_at IS NOT NULL")
        return dict(rows.fetchall())

    def set_withdrawn(self, run_id: int, withdrawn: bool) -> None:
        """Withdraw a run (each comment then shows its latest other run) or restore it."""
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET withdrawn_at = ? WHERE id = ?",
                (_now() if withdrawn else None, run_id),
            )

    def run_counts(self) -> dict[int, tuple[int, int]]:
        """{run: (comments it scored, comments it is the latest run in use of)}."""
        scored = dict(self._db.execute("SELECT run_id, COUNT(*) FROM scores GROUP BY run_id"))
        shown = dict(self._db.execute(f"SELECT run_id, COUNT(*) FROM ({_LATEST}) GROUP BY run_id"))
        return {run.id: (scored.get(run.id, 0), shown.get(run.id, 0)) for run in self.runs()}

    def latest_codebook(self) -> Codebook:
        """The codebook of the latest run: the one review and training use."""
        run = self.latest_run()
        if run is None:
            raise empty_project(self.path)
        return self.codebook(run.codebook_id)

    # --- comments and scores ---------------------------------------------------------------

    def import_batch(
        self,
        run_id: int,
        source: str,
        rows: Sequence[tuple[NewComment, CommentResult | None]],
        thresholds: dict[str, float],
        question: str = "",
        previous: dict[int, dict[str, Any]] | None = None,
    ) -> Imported:
        """Store comments (a comment already there from this source and question keeps its
        text; its attributes become the file's, where they changed: a corrected role) and this
        run's results for them (None: the run has it already), in one transaction. Raises
        InputError, storing nothing, if a comment already there had another text, unless that
        text was blank and nobody has decided on it (an answer filled in later, a line first
        read under another key).
        `previous` gets what each updated comment had, for `restore_comments`."""
        new, updated, filled, scored = 0, 0, 0, []
        undo = previous if previous is not None else {}
        with self.transaction() as db:
            for comment, result in rows:
                attributes = json.dumps(comment.attributes, ensure_ascii=False)
                cursor = db.execute(
                    "INSERT INTO comments (source, question, external_id, row_number, text, "
                    "attributes, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (source, question, external_id) DO NOTHING",
                    (
                        source,
                        question,
                        comment.external_id,
                        comment.row_number,
                        comment.text,
                        attributes,
                        _now(),
                    ),
                )
                new += cursor.rowcount
                comment_id, text, line, had = db.execute(
                    "SELECT id, text, row_number, attributes FROM comments "
                    "WHERE source = ? AND question = ? AND external_id = ?",
                    (source, question, comment.external_id),
                ).fetchone()
                if text != comment.text:  # the results are for another text: refuse them
                    if text.strip() or _decided(db, comment_id):
                        raise _changed(self.path, source, question, comment, line)
                    _fill_blank(db, run_id, comment, comment_id, (text, line), undo)
                    filled += 1
                if not cursor.rowcount and json.loads(had) != comment.attributes:
                    _take_attributes(db, source, question, comment, comment_id, undo)
                    updated += 1
                if result is not None:
                    scored.append((comment_id, result))
            _insert_scores(db, run_id, scored, thresholds, self.codable_ids)
        return Imported(new, updated, filled)

    def stored_results(
        self, run_id: int, source: str, question: str, rows: Sequence[tuple[str, str]]
    ) -> dict[str, CommentResult]:
        """One run's results, by id, for those of the (id, text) rows (at most a batch) the
        source's question holds with that text."""
        texts = dict(rows)
        found = self._db.execute(
            "SELECT id, external_id, text FROM comments WHERE source = ? AND question = ? AND "
            + _AMONG.format("external_id"),
            (source, question, json.dumps([*texts])),
        )
        same = {cid: (key, text) for cid, key, text in found if texts[key] == text}
        return {
            same[cid][0]: CommentResult(same[cid][1], scored.scores, scored.suggestions)
            for cid, scored in self.run_results(run_id, same).items()
        }

    def copies_elsewhere(self, source: str, comments: Sequence[NewComment]) -> Counter[str]:
        """How many of `comments` (at most a batch) other sources of the project hold already,
        with the same id and the same text, by source: the same file under another path."""
        wanted = {(c.external_id, c.text) for c in comments}
        ids = sorted({c.external_id for c in comments})
        rows = self._db.execute(
            "SELECT DISTINCT source, external_id, text FROM comments WHERE source != ? AND "
            f"external_id IN ({', '.join('?' * len(ids))})",
            (source, *ids),
        )
        return Counter(other for other, key, text in rows if (key, text) in wanted)

    def rekeyed(self, source: str, question: str, comments: Sequence[NewComment]) -> int:
        """How many of `comments` (at most a batch) with text this source's question holds
        already under another id, their own id not held: the file tagged again with other ids
        (an id column added, another `--id-column`), which would count them twice."""
        texts = {c.text for c in comments if c.text.strip()}
        if not texts:
            return 0
        held_texts = self._held(source, question, "text", texts)
        held_ids = self._held(source, question, "external_id", {c.external_id for c in comments})
        return sum(c.external_id not in held_ids and c.text in held_texts for c in comments)

    def _held(self, source: str, question: str, column: str, values: set[str]) -> set[str]:
        """Which of `values` (at most a batch) the source's question holds in `column`."""
        rows = self._db.execute(
            f"SELECT {column} FROM comments WHERE source = ? AND question = ? AND {column} IN "
            f"({', '.join('?' * len(values))})",
            (source, question, *values),
        )
        return {value for (value,) in rows}

    def add_scores(
        self, run_id: int, scored: Sequence[tuple[int, CommentResult]], thresholds: dict[str, float]
    ) -> None:
        """A run's results for comments already in the project (re-scoring)."""
        with self.transaction() as db:
            _insert_scores(db, run_id, scored, thresholds, self.codable_ids)

    def comment(self, comment_id: int) -> Comment:
        row = self._db.execute(
            f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE id = ?", (comment_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"project {self.path} has no comment {comment_id}")
        return _comment(row)

    def comment_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM comments").fetchone()[0]

    def comment_refs(self) -> list[CommentRef]:
        """Every comment's source (with its question where its file has several) and external
        id, in import order."""
        several = self._sources_with_questions()
        rows = self._db.execute(
            "SELECT id, source, question, external_id FROM comments ORDER BY id"
        )
        return [
            CommentRef(
                id_, origin(source, question) if source in several else source, external, question
            )
            for id_, source, question, external in rows
        ]

    def _sources_with_questions(self) -> set[str]:
        rows = self._db.execute(
            "SELECT source FROM comments GROUP BY source HAVING COUNT(DISTINCT question) > 1"
        )
        return {source for (source,) in rows}

    def sources(self) -> list[tuple[str, str, int]]:
        """(file, question, comments) of each question of each file, in import order."""
        rows = self._db.execute(
            "SELECT source, question, COUNT(*) FROM comments GROUP BY source, question "
            "ORDER BY MIN(id)"
        )
        return [tuple(row) for row in rows]

    def answers_to(self, question: str) -> set[int]:
        """The comments that answer this question (text column), from any file. Raises
        InputError, naming the questions there are, for one the project does not hold."""
        found = {
            i
            for (i,) in self._db.execute("SELECT id FROM comments WHERE question = ?", (question,))
        }
        if not found:
            held = sorted({q for _, q, _ in self.sources() if q})
            there = ", ".join(f"'{q}'" for q in held) if held else "none recorded"
            raise InputError(
                f"no question '{question}' in project {self.path} (questions: {there})"
            )
        return found

    def blank_comment_ids(self) -> set[int]:
        """The comments with no text (a question skipped): nothing to code. Blank as Python's
        `str.strip` has it, as everywhere else (a no-break space alone is blank)."""
        rows = self._db.execute("SELECT id FROM comments WHERE trim(text, ?) = ''", (_SPACES,))
        return {comment_id for (comment_id,) in rows}

    def imported_after(self, moment: str) -> set[int]:
        """The comments imported after `moment` (an ISO time, as `_now` writes them)."""
        rows = self._db.execute("SELECT id FROM comments WHERE imported_at > ?", (moment,))
        return {comment_id for (comment_id,) in rows}

    def line_numbered_sources(self) -> frozenset[str]:
        """The files whose comments are known by their line numbers (read with no id column),
        where the project has more than one file: their ids name no one across files."""
        rows = self._db.execute(
            "SELECT source, SUM(external_id <> CAST(row_number AS TEXT)) FROM comments "
            "GROUP BY source"
        ).fetchall()
        if len(rows) < 2:
            return frozenset()
        return frozenset(source for source, differ in rows if not differ)

    def several_questions(self) -> bool:
        """Whether the comments answer more than one question (text column), of one file or
        of several: then a comment's question is worth showing, and `report --by question`
        compares them."""
        row = self._db.execute(
            "SELECT COUNT(DISTINCT question) FROM comments WHERE question <> ''"
        ).fetchone()
        return row[0] > 1

    def settle_question(
        self, source: str, question: str, columns: Sequence[str], id_column: str | None
    ) -> list[str]:
        """Before a file's column `question` is imported: the questions of that file the project
        holds, this one included ([''] if the comments a coder before schema 8 imported from it
        cannot be told apart). Those comments get the question they came from: the one column
        of the file their attributes lack."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT attributes FROM comments WHERE source = ? AND question = '' LIMIT 1",
                (source,),
            ).fetchone()
            if row is not None:
                kept = json.loads(row[0])
                lacking = [c for c in columns if c not in kept and c != id_column]
                if len(lacking) != 1:
                    return [""]
                db.execute(
                    "UPDATE comments SET question = ? WHERE source = ? AND question = ''",
                    (lacking[0], source),
                )
            rows = db.execute("SELECT DISTINCT question FROM comments WHERE source = ?", (source,))
            return sorted({q for (q,) in rows} | {question})

    def drop_question_attributes(self, source: str) -> None:
        """Take the file's question columns out of its comments' attributes (kept while the
        file had one question): each answer is a comment of its own, not an attribute."""
        with self.transaction() as db:
            rows = db.execute("SELECT DISTINCT question FROM comments WHERE source = ?", (source,))
            questions = {q for (q,) in rows} - {""}
            if len(questions) > 1:
                _drop_attributes(db, source, questions)

    def named(self, external_id: str) -> list[int]:
        """The comments whose id in their file is `external_id` (case aside), in import order."""
        rows = self._db.execute(
            "SELECT id FROM comments WHERE lower(external_id) = lower(?) ORDER BY id",
            (external_id,),
        )
        return [comment_id for (comment_id,) in rows]

    def texts(self, among: Iterable[int] | None = None) -> Iterator[tuple[int, str]]:
        """(id, text) of every comment (of `among`, if given), in import order."""
        if among is None:
            yield from self._db.execute("SELECT id, text FROM comments ORDER BY id")
            return
        yield from self._db.execute(
            f"SELECT id, text FROM comments WHERE {_AMONG.format('id')} ORDER BY id",
            (_ids(among),),
        )

    def comments(self, among: Iterable[int]) -> dict[int, Comment]:
        """The comments with these ids, in one query."""
        rows = self._db.execute(
            f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE {_AMONG.format('id')}",
            (_ids(among),),
        )
        return {row[0]: _comment(row) for row in rows}

    def attribute_names(self, among: Iterable[int] | None = None) -> list[str]:
        """Every attribute any comment (of `among`) has, in order of first appearance; first
        `question` where a file gave several questions (`Comment.value`)."""
        sql, params = "SELECT attributes FROM comments", ()
        if among is not None:
            sql, params = f"{sql} WHERE {_AMONG.format('id')}", (_ids(among),)
        names: dict[str, None] = {}
        for (attributes,) in self._db.execute(f"{sql} ORDER BY id", params):
            names.update(dict.fromkeys(json.loads(attributes)))
        if QUESTION not in names and self.several_questions():
            return [QUESTION, *names]
        return list(names)

    def latest(self, comment_id: int) -> Scored | None:
        """The latest run's scores and suggestions for one comment (a primary-key lookup)."""
        row = self._db.execute(
            f"SELECT run_id, scores FROM scores WHERE comment_id = ? AND {_IN_USE} "
            "ORDER BY run_id DESC LIMIT 1",
            (comment_id,),
        ).fetchone()
        if row is None:
            return None
        rows = self._db.execute(
            "SELECT comment_id, theme, score, source, evidence FROM suggestions "
            "WHERE run_id = ? AND comment_id = ?",
            (row[0], comment_id),
        )
        suggestions = self._suggestions(row[0], rows).get(comment_id, [])
        return Scored(row[0], unpack(row[1], self.codable_ids), suggestions)

    def latest_results(self, among: Iterable[int] | None = None) -> dict[int, Scored]:
        """Every comment's latest scores and suggestions (of `among`, if given: an export
        reads a big project a part at a time)."""
        latest, params = _LATEST, ()
        if among is not None:  # filtered before grouping: a part costs no scan of the rest
            latest = _LATEST_OF.format(f" AND {_AMONG.format('comment_id')}")
            params = (_ids(among),)
        join = f"JOIN ({latest}) l ON l.comment_id = s.comment_id AND l.run_id = s.run_id"
        return self._results(join, params)

    def suggested(self, among: Iterable[int]) -> dict[int, set[str]]:
        """The themes each comment's latest run in use suggests, as the run recorded them
        (no scores, no evidence: light enough for every comment of a big project)."""
        latest = _LATEST_OF.format(f" AND {_AMONG.format('comment_id')}")
        rows = self._db.execute(
            f"SELECT g.comment_id, g.theme FROM suggestions g JOIN ({latest}) l "
            "ON l.comment_id = g.comment_id AND l.run_id = g.run_id",
            (_ids(among),),
        )
        out: dict[int, set[str]] = {}
        for comment_id, theme in rows:
            out.setdefault(comment_id, set()).add(theme)
        return out

    def run_results(self, run_id: int, among: Iterable[int] | None = None) -> dict[int, Scored]:
        """One run's scores and suggestions, for every comment it scored (of `among`, if
        given: a few reviewed comments of a big project need not load them all)."""
        if among is None:
            return self._results("WHERE s.run_id = ?", (run_id,))
        chosen = _AMONG.format("s.comment_id")
        return self._results(f"WHERE s.run_id = ? AND {chosen}", (run_id, _ids(among)))

    def run_suggested(self, run_id: int, among: Iterable[int]) -> dict[int, list[str]]:
        """The themes one run suggested for each comment of `among` it scored ([] for none),
        without their scores and evidence: measuring a run on 300,000 reviewed comments
        needs no more, and `run_results` of them all took gigabytes."""
        chosen = (run_id, _ids(among))
        out: dict[int, list[str]] = {
            comment_id: []
            for (comment_id,) in self._db.execute(
                f"SELECT comment_id FROM scores WHERE run_id = ? AND {_AMONG.format('comment_id')}",
                chosen,
            )
        }
        rows = self._db.execute(
            "SELECT comment_id, theme FROM suggestions WHERE run_id = ? AND "
            f"{_AMONG.format('comment_id')} ORDER BY comment_id, score DESC",
            chosen,
        )
        for comment_id, theme in rows:
            out[comment_id].append(theme)
        return out

    def _results(self, where: str, params: tuple[Any, ...]) -> dict[int, Scored]:
        scores = self._db.execute(
            f"SELECT s.comment_id, s.run_id, s.scores FROM scores s {where}", params
        ).fetchall()
        rows = self._db.execute(
            "SELECT g.run_id, g.comment_id, g.theme, g.score, g.source, g.evidence "
            "FROM suggestions g JOIN scores s "
            f"ON s.run_id = g.run_id AND s.comment_id = g.comment_id {where}",
            params,
        )
        by_run: dict[int, list[tuple[Any, ...]]] = {}
        for run_id, *row in rows:
            by_run.setdefault(run_id, []).append(tuple(row))
        suggestions: dict[int, list[Suggestion]] = {}
        for run_id, found in by_run.items():
            suggestions.update(self._suggestions(run_id, found))
        ids_of = self.codable_ids
        return {
            comment_id: Scored(run_id, unpack(stored, ids_of), suggestions.get(comment_id, []))
            for comment_id, run_id, stored in scores
        }

    def _suggestions(
        self, run_id: int, rows: Iterable[tuple[Any, ...]]
    ) -> dict[int, list[Suggestion]]:
        """Suggestions from rows (comment_id, theme, score, source, evidence), labelled from the
        run's codebook and in its order, as tagging gives them."""
        book = self.codebook(self.run(run_id).codebook_id)
        position = {theme_id: i for i, theme_id in enumerate(book.codable_ids)}
        labels = {t.id: t.label for t in book.themes}
        out: dict[int, list[Suggestion]] = {}
        for comment_id, theme, score, source, evidence in rows:
            spans = tuple(Evidence(**span) for span in json.loads(evidence))
            out.setdefault(comment_id, []).append(
                Suggestion(theme, labels.get(theme, theme), score, source, spans)
            )
        for found in out.values():
            found.sort(key=lambda s: position.get(s.theme, len(position)))
        return out

    def order(
        self,
        by: str,
        theme: str | None = None,
        book: Codebook | None = None,
        unsuggested: bool = False,
    ) -> list[int]:
        """Comment ids in review order, in one query: `file` (import order) or `uncertain`
        (a draw that favours the closest calls, see `review_key`). With `theme`, only the
        comments whose latest run suggests it (or, under `book`, an id the theme replaces);
        with `unsuggested`, only those it suggests nothing for."""
        sql = (
            f"SELECT c.id FROM comments c LEFT JOIN ({_LATEST}) l ON l.comment_id = c.id "
            "LEFT JOIN scores s ON s.run_id = l.run_id AND s.comment_id = c.id"
        )
        params: tuple[Any, ...] = ()
        if theme is not None:
            olds = [old for old, new in (book.replaced if book else {}).items() if new == theme]
            sql += (
                " WHERE EXISTS (SELECT 1 FROM suggestions g WHERE g.run_id = l.run_id "
                f"AND g.comment_id = c.id AND {_AMONG.format('g.theme')})"
            )
            params = (json.dumps([theme, *olds]),)
        elif unsuggested:
            sql += (
                " WHERE NOT EXISTS (SELECT 1 FROM suggestions g WHERE g.run_id = l.run_id "
                "AND g.comment_id = c.id)"
            )
        if by == "uncertain":  # the run's weighted draw (see `review_key`); unscored last
            sql += " ORDER BY s.uncertainty IS NULL, s.uncertainty, c.id"
        else:
            sql += " ORDER BY c.id"
        return [comment_id for (comment_id,) in self._db.execute(sql, params)]

    # --- review sessions and decisions -----------------------------------------------------

    def start_session(
        self,
        reviewer: str,
        mode: str,
        settings: dict[str, Any],
        codebook: Codebook | None = None,
    ) -> int:
        """A new review session; `codebook` is the one it works under (kept for merges)."""
        if mode not in MODES:
            raise InputError(f"unknown session mode '{mode}'; use one of {', '.join(MODES)}")
        codebook_id = None if codebook is None else self.add_codebook(codebook)
        with self.transaction() as db:
            return _insert_session(db, reviewer, mode, settings, codebook_id)

    def record(self, session_id: int, reviewer: str, entries: Sequence[Entry]) -> list[int]:
        """Append entries as one step (undone together), committed before returning."""
        _check_entries(entries)
        with self.transaction() as db:
            batch = _next_batch(db)
            return [
                _insert_decision(db, batch, entry, reviewer, session_id, undoes=None)
                for entry in entries
            ]

    def record_import(
        self,
        book: Codebook,
        settings: dict[str, Any],
        steps: dict[str, Sequence[Entry]],
        adjudication: bool = False,
    ) -> None:
        """Record coding imported from a file (`coder.coding_import`): for each coder, a
        session of mode `import` (`import-adjudication` for an adjudicator's) under `book` and
        their entries as one step; all or nothing."""
        mode = IMPORT_MODES[adjudication]
        for entries in steps.values():
            _check_entries(entries)
        codebook_id = self.add_codebook(book)
        with self.transaction() as db:
            for coder, entries in steps.items():
                session_id = _insert_session(db, coder, mode, settings, codebook_id)
                batch = _next_batch(db)
                for entry in entries:
                    _insert_decision(db, batch, entry, coder, session_id, undoes=None)

    def imports(self) -> list[ImportRecord]:
        """Every import of coding or adjudication that recorded something, oldest first."""
        rows = self._db.execute(
            "SELECT s.id, s.reviewer, s.started_at, s.settings, COUNT(DISTINCT d.comment_id), "
            "MIN(EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id)), s.mode "
            "FROM sessions s JOIN decisions d ON d.session_id = s.id "
            f"WHERE s.mode IN {_IMPORT_MODES} AND d.action <> 'undo' "
            "GROUP BY s.id ORDER BY s.id"
        )
        return [
            ImportRecord(
                sid, who, when, json.loads(settings), comments, bool(undone), mode != "import"
            )
            for sid, who, when, settings, comments, undone, mode in rows
        ]

    def last_step(
        self, reviewer: str, adjudicated: bool = False, own: tuple[int | None, int] | None = None
    ) -> tuple[str, dict[str, Any], int] | None:
        """The mode and settings of the session of `reviewer`'s last coding step (adjudicating
        step, with `adjudicated`) that is not undone (what `undo` would take back), and how
        many comments it touched; None if none. `own`: (session, last entry before it opened)
        of a review, which may take back its own steps and those made before it opened alone:
        not those of the same reviewer's other window."""
        where, params = _last_step(reviewer, adjudicated, own)
        row = self._db.execute(
            "SELECT d.batch, s.mode, s.settings FROM decisions d "
            f"JOIN sessions s ON s.id = d.session_id WHERE {where} "
            "ORDER BY d.batch DESC LIMIT 1",
            params,
        ).fetchone()
        if row is None:
            return None
        (touched,) = self._db.execute(
            "SELECT COUNT(DISTINCT comment_id) FROM decisions WHERE reviewer = ? AND batch = ?",
            (reviewer, row[0]),
        ).fetchone()
        return row[1], json.loads(row[2]), touched

    def undo(
        self,
        session_id: int,
        reviewer: str,
        adjudicated: bool = False,
        before: int | None = None,
    ) -> list[Decision]:
        """Undo this reviewer's last step that is not undone yet (across comments and sessions;
        with `before`, only this session's steps and those up to entry `before`, as
        `last_step`'s `own`); returns the entries undone, none if there is nothing to undo."""
        where, params = _last_step(
            reviewer, adjudicated, None if before is None else (session_id, before)
        )
        with self.transaction() as db:
            last = db.execute(
                "SELECT d.batch FROM decisions d JOIN sessions s ON s.id = d.session_id "
                f"WHERE {where} ORDER BY d.batch DESC LIMIT 1",
                params,
            ).fetchone()
            if last is None:
                return []
            undone = [
                Decision(*row)
                for row in db.execute(
                    f"SELECT {_DECISION_COLUMNS} FROM decisions d "
                    f"WHERE d.batch = ? AND d.reviewer = ? AND {_EFFECTIVE} ORDER BY d.id",
                    (last[0], reviewer),
                )
            ]
            batch = _next_batch(db)
            for d in undone:
                entry = Entry(d.comment_id, "undo", d.theme)
                _insert_decision(db, batch, entry, reviewer, session_id, undoes=d.id)
        return undone

    def last_entry(self) -> int:
        """The id of the log's last entry (0 for none): where a review opened now starts."""
        return self._db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()[0]

    def coded_at_most(self) -> int:
        """A bound on how many (comment, theme) codes the project's final coding has: the
        latest runs' suggestions and every theme a person accepted or added, in two counts
        (a comment's coding takes its themes from those alone)."""
        suggested = self._db.execute(
            f"SELECT COUNT(*) FROM suggestions g JOIN ({_LATEST}) l "
            "ON l.run_id = g.run_id AND l.comment_id = g.comment_id"
        ).fetchone()[0]
        decided = self._db.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT comment_id, theme FROM decisions "
            "WHERE action IN ('accept', 'add'))"
        ).fetchone()[0]
        return suggested + decided

    def decided_themes(self) -> set[str]:
        """Every theme id a decision in the log names, undone or not: a scan of the log, where
        folding it takes seconds on a big project."""
        return {t for (t,) in self._db.execute("SELECT DISTINCT theme FROM decisions") if t}

    def theme_decisions(self, among: Iterable[int]) -> list[Decision]:
        """The entries on themes of these comments that no undo took back, undo entries left
        out, in order (when each theme was last decided, a part of a project at a time)."""
        rows = self._db.execute(
            f"SELECT {_DECISION_COLUMNS} FROM decisions d WHERE {_AMONG.format('d.comment_id')} "
            f"AND d.theme IS NOT NULL AND {_EFFECTIVE} ORDER BY d.id",
            (_ids(among),),
        )
        return [Decision(*row) for row in rows]

    def decisions(self, comment_id: int | None = None) -> list[Decision]:
        """The log, in order, undo entries included (for exports and audits)."""
        where, params = ("WHERE d.comment_id = ?", (comment_id,)) if comment_id else ("", ())
        rows = self._db.execute(
            f"SELECT {_DECISION_COLUMNS} FROM decisions d {where} ORDER BY d.id", params
        )
        return [Decision(*row) for row in rows]

    def decision_log(self) -> Iterator[tuple[Decision, str, dict[str, Any], int | None]]:
        """Every entry of the log in order, with its session's mode, settings and codebook id
        (read as it goes, in the table's own order: a big project's log is never held whole)."""
        sessions = {
            session_id: (mode, json.loads(settings or "{}"), codebook_id)
            for session_id, mode, settings, codebook_id in self._db.execute(
                "SELECT id, mode, settings, codebook_id FROM sessions"
            )
        }
        for row in self._db.execute(f"SELECT {_DECISION_COLUMNS} FROM decisions d ORDER BY d.id"):
            entry = Decision(*row)
            yield (entry, *sessions[entry.session_id])

    def undone_entries(self) -> set[int]:
        """The entries of the log that a later undo took back."""
        rows = self._db.execute("SELECT undoes FROM decisions WHERE undoes IS NOT NULL")
        return {entry for (entry,) in rows}

    def _fold(
        self,
        key: Callable[[str, int], Any],
        adjudicated: bool,
        book: Codebook | None,
        where: str = "",
        params: tuple[Any, ...] = (),
    ) -> dict[Any, CommentState]:
        """Coders' states from the log, keyed by `key(reviewer, comment)`; with `book`, the
        codes on ids its themes replace count for those themes, and a comment with a code on a
        theme it split waits to be reviewed again (see `coder.folding`)."""
        modes = _ADJUDICATE_MODES if adjudicated else _CODER_MODES
        rows = self._db.execute(
            "SELECT d.reviewer, d.comment_id, d.theme, d.action, d.value, s.codebook_id, "
            f"s.mode IN {_IMPORT_MODES} "
            f"FROM decisions d JOIN sessions s ON s.id = d.session_id WHERE s.mode IN {modes} "
            f"AND {_EFFECTIVE} {where} ORDER BY d.id",
            params,
        )
        merges = Merges(book, self._theme_ids) if book is not None and book.replaced else None
        splits = Splits(book, self._theme_ids) if book is not None and book.split else None
        states: dict[Any, CommentState] = {}
        for reviewer, comment_id, theme, action, value, codebook_id, imported in rows:
            state = states.get(held := key(reviewer, comment_id))
            if state is None:  # (setdefault would build a state for every row of the log)
                state = states[held] = CommentState()
            if theme is not None or action == "confirm":  # coding, not a flag or a memo
                state.imported = bool(imported)
            if splits is not None and action == "confirm":
                splits.settle(state, codebook_id)
            if (
                merges is not None
                and theme is not None
                and merges.fold(state, theme, action, codebook_id)
            ):
                continue
            state.apply(theme, action, value)
        if splits is not None:
            for state in states.values():
                splits.mark(state)
        return states

    def _theme_ids(self, codebook_id: int) -> set[str]:
        return {theme.id for theme in self.codebook(codebook_id).themes}

    def comment_state(
        self,
        comment_id: int,
        reviewer: str | None,
        adjudicated: bool = False,
        book: Codebook | None = None,
    ) -> CommentState:
        """One reviewer's current coding of one comment (an index lookup), or with no reviewer
        every one's decisions folded (a comment's adjudication, as `adjudication_states`);
        under `book`, as `states` says."""
        where, params = "AND d.comment_id = ?", (comment_id,)
        if reviewer is not None:
            where, params = f"{where} AND d.reviewer = ?", (comment_id, reviewer)
        found = self._fold(lambda _r, _c: 0, adjudicated, book, where, params)
        return found.get(0, CommentState())

    def states(
        self,
        reviewer: str | None = None,
        adjudicated: bool = False,
        book: Codebook | None = None,
    ) -> dict[str, dict[int, CommentState]]:
        """Every coder's state of every comment they touched: {reviewer: {comment: state}}.
        Theme ids are as recorded; under `book`, a code on an id one of its themes `replaces`
        counts for that theme, and one on an id it split leaves the comment not reviewed until
        the coder confirms it again (see `coder.folding`)."""
        where, params = ("AND d.reviewer = ?", (reviewer,)) if reviewer else ("", ())
        out: dict[str, dict[int, CommentState]] = {}
        for (who, comment_id), state in self._fold(
            lambda r, c: (r, c), adjudicated, book, where, params
        ).items():
            out.setdefault(who, {})[comment_id] = state
        return out

    def codings(
        self, adjudicated: bool = False, book: Codebook | None = None
    ) -> dict[str, dict[int, set[str]]]:
        """Each coder's codes on the comments they reviewed: {reviewer: {comment: themes}}.
        With `adjudicated`, the adjudicators' codings instead of the coders'; `book` as in
        `states`."""
        out: dict[str, dict[int, set[str]]] = {}
        for reviewer, comments in self.states(adjudicated=adjudicated, book=book).items():
            reviewed = {c: state.codes for c, state in comments.items() if state.reviewed}
            if reviewed:
                out[reviewer] = reviewed
        return out

    def adjudicated(self, book: Codebook | None = None) -> dict[int, set[str]]:
        """The adjudicated coding of each adjudicated comment (the latest adjudicator's);
        `book` as in `states`."""
        states = self.adjudication_states(book)
        return {c: state.codes for c, state in states.items() if state.reviewed}

    def adjudication_states(self, book: Codebook | None = None) -> dict[int, CommentState]:
        """Each comment's adjudication as every adjudicator's decisions on it fold, in order,
        confirmed or not; `book` as in `states`."""
        return self._fold(lambda _r, c: c, True, book)

    def flags(self) -> dict[int, dict[str, str]]:
        """The comments coders have flagged for discussion (and not unflagged): {comment:
        {coder: their memo on it, '' if none}}, coders in name order."""
        out: dict[int, dict[str, str]] = {}
        for reviewer, comments in sorted(self.states().items()):
            for comment_id, state in comments.items():
                if state.flagged:
                    out.setdefault(comment_id, {})[reviewer] = state.memo
        return out

    def reviewers(self) -> list[str]:
        """Everyone who has coded in this project (not adjudicating), by name."""
        rows = self._db.execute(
            "SELECT DISTINCT d.reviewer FROM decisions d JOIN sessions s ON s.id = d.session_id "
            f"WHERE s.mode IN {_CODER_MODES} ORDER BY d.reviewer"
        )
        return [name for (name,) in rows]

    def reviewed_codes(self, book: Codebook | None = None) -> tuple[dict[int, set[str]], int]:
        """The coding to trust for each reviewed comment: the adjudicated one, else the one every
        reviewer of it agrees on (`book` as in `states`). Returns it and the number of comments
        left out because their reviewers differ and nobody has adjudicated them."""
        final = self.adjudicated(book)
        by_comment: dict[int, list[frozenset[str]]] = {}
        for coded in self.codings(book=book).values():
            for comment_id, codes in coded.items():
                by_comment.setdefault(comment_id, []).append(frozenset(codes))
        conflicts = 0
        for comment_id, versions in by_comment.items():
            if comment_id in final:
                continue
            if len(set(versions)) == 1:
                final[comment_id] = set(versions[0])
            else:
                conflicts += 1
        return final, conflicts

    # --- double-coding samples -------------------------------------------------------------

    def current_sample(self) -> Sample | None:
        """The sample reviewers are served first now: the latest one not replaced."""
        row = self._db.execute(
            "SELECT id, fraction, seed, population, created_at FROM samples "
            "WHERE replaced_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        sample_id = row[0]
        comments = self._db.execute(
            "SELECT comment_id FROM sample_comments WHERE sample_id = ? ORDER BY rank",
            (sample_id,),
        )
        reviewers = self._db.execute(
            "SELECT reviewer FROM sample_reviewers WHERE sample_id = ? "
            "ORDER BY assigned_at, reviewer",
            (sample_id,),
        )
        return Sample(
            sample_id,
            row[1],
            row[2],
            row[3],
            tuple(c for (c,) in comments),
            tuple(r for (r,) in reviewers),
            row[4],
        )

    def add_sample(
        self,
        fraction: float,
        seed: int,
        population: int,
        comment_ids: Sequence[int],
        reviewers: Sequence[str],
    ) -> Sample:
        """Store a new sample assigned to `reviewers`; the current one, if any, is marked
        replaced in the same transaction (its rows are kept)."""
        now = _now()
        with self.transaction() as db:
            db.execute("UPDATE samples SET replaced_at = ? WHERE replaced_at IS NULL", (now,))
            cursor = db.execute(
                "INSERT INTO samples (fraction, seed, population, created_at) VALUES (?, ?, ?, ?)",
                (fraction, seed, population, now),
            )
            sample_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO sample_comments (sample_id, comment_id, rank) VALUES (?, ?, ?)",
                [(sample_id, comment_id, rank) for rank, comment_id in enumerate(comment_ids)],
            )
            _assign(db, sample_id, reviewers, now)
        sample = self.current_sample()
        assert sample is not None
        return sample

    def assign_sample(self, sample_id: int, reviewers: Sequence[str]) -> None:
        """Assign a sample to more reviewers (one already assigned is left as is)."""
        with self.transaction() as db:
            _assign(db, sample_id, reviewers, _now())

    def assigned(self, reviewer: str) -> set[int]:
        """The comments of the current sample if it is assigned to `reviewer`, else none."""
        rows = self._db.execute(
            "SELECT c.comment_id FROM sample_comments c JOIN samples s ON s.id = c.sample_id "
            "JOIN sample_reviewers r ON r.sample_id = s.id "
            "WHERE s.replaced_at IS NULL AND r.reviewer = ?",
            (reviewer,),
        )
        return {comment_id for (comment_id,) in rows}


def empty_project(path: Path) -> StoreError:
    return StoreError(
        f"project {path} has no comments yet; import some with `coder tag INPUT --db {path}`"
    )


def _changed(path: Path, source: str, question: str, comment: NewComment, line: int) -> InputError:
    column = f" of column '{question}'" if question else ""
    said = (
        f"{source}:{comment.row_number}: comment '{comment.external_id}'{column} is in project "
        f"{path} already with another text (imported from line {line}); a project keeps the "
        "text it first imported"
    )
    if comment.external_id == str(comment.row_number):  # no id column: known by line
        return InputError(
            f"{said}. The file has no id column, so its comments are known by their line "
            "numbers: a row added or removed above this one moves every later one. Put new "
            "rows at the end and leave the others as they were, or start a new project"
        )
    if question:
        return InputError(
            f"{said} (its suggestions, and any coding, are of that text): put it back to tag "
            "the file, or start a new project to code the changed texts"
        )
    return InputError(  # comments from before schema 8, whose column cannot be told
        f"{said}. To code another column of this file, save that column with the ids as a file "
        "of its own; to tag a changed file, start a new project"
    )


def _comment(row: Sequence[Any]) -> Comment:
    id_, source, question, external_id, row_number, text, attributes = row
    return Comment(id_, source, external_id, row_number, text, json.loads(attributes), question)


def _drop_attributes(db: sqlite3.Connection, source: str, names: set[str]) -> None:
    """Take these columns out of the stored attributes of the file's comments, a slice of
    ids at a time (a project of 100,000 comments need not be held at once)."""
    after = 0
    while True:
        rows = db.execute(
            "SELECT id, attributes FROM comments WHERE source = ? AND id > ? ORDER BY id LIMIT ?",
            (source, after, IMPORT_BATCH * 20),
        ).fetchall()
        if not rows:
            return
        after = rows[-1][0]
        changed = []
        for comment_id, attributes in rows:
            kept = json.loads(attributes)
            if names & kept.keys():
                left = {k: v for k, v in kept.items() if k not in names}
                changed.append((json.dumps(left, ensure_ascii=False), comment_id))
        db.executemany("UPDATE comments SET attributes = ? WHERE id = ?", changed)


def _unopenable(path: Path, exc: sqlite3.OperationalError) -> StoreError:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return StoreError(
            f"cannot open project {path}: another program has it locked ({message}); try again "
            "once it is done"
        )
    if "readonly" in message or "read-only" in message or "unable to open" in message:
        return StoreError(
            f"cannot open project {path}: it is read-only to you, or its folder is (SQLite "
            f"writes {path.name}-wal and {path.name}-shm beside it) ({message}); copy it to a "
            "folder you can write to"
        )
    return StoreError(f"cannot open project {path}: {message}")


def _newer(path: Path, version: int) -> StoreError:
    return StoreError(
        f"{path} was written by a newer coder (schema {version}, this coder knows "
        f"{SCHEMA_VERSION}); upgrade coder"
    )


def _check_file(path: Path, create: bool) -> None:
    """Refuse what is not a project before SQLite touches it (it would write a journal)."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder; give the project's file name")
    if not path.exists():
        if not create:
            raise StoreError(
                f"project {path} does not exist; create it with `coder tag INPUT --db {path}`"
            )
        if not path.parent.exists():
            raise StoreError(f"folder {path.parent} does not exist; create it first")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise StoreError(
                f"cannot make project {path}: its folder {path.parent} is read-only to you; "
                "give a path in a folder you can write to"
            )
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"cannot read project {path}: {exc.strerror}") from None
    if not head and not create:  # SQLite would make an empty project of it
        raise StoreError(
            f"{path} is empty, not a coder project; start one with `coder tag INPUT --db {path}`"
        )
    if head and head != SQLITE_MAGIC:
        raise StoreError(
            f"{path} is not a coder project: it is not an SQLite database. "
            "Give a project file, or a new file name to start a project"
        )


def _assign(db: sqlite3.Connection, sample_id: int, reviewers: Sequence[str], now: str) -> None:
    db.executemany(
        "INSERT INTO sample_reviewers (sample_id, reviewer, assigned_at) VALUES (?, ?, ?)"
        " ON CONFLICT (sample_id, reviewer) DO NOTHING",
        [(sample_id, reviewer, now) for reviewer in reviewers],
    )


def _last_step(
    reviewer: str, adjudicated: bool, own: tuple[int | None, int] | None
) -> tuple[str, tuple[Any, ...]]:
    """The condition on `d` (an entry) and `s` (its session) for a reviewer's steps `undo` may
    take back, and its parameters: with `own` (session, last entry before it opened), only
    that review's own steps and those made before it opened."""
    modes = _ADJUDICATE_MODES if adjudicated else _CODER_MODES
    where = f"d.reviewer = ? AND s.mode IN {modes} AND {_EFFECTIVE}"
    if own is None:
        return where, (reviewer,)
    return f"{where} AND (d.session_id IS ? OR d.batch <= ?)", (reviewer, *own)


def _next_batch(db: sqlite3.Connection) -> int:
    # Inside BEGIN IMMEDIATE nobody else inserts: the next id is a fresh, increasing label.
    return db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM decisions").fetchone()[0]


def _insert_session(
    db: sqlite3.Connection,
    reviewer: str,
    mode: str,
    settings: dict[str, Any],
    codebook_id: int | None,
) -> int:
    cursor = db.execute(
        "INSERT INTO sessions (reviewer, mode, settings, started_at, codebook_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (reviewer, mode, json.dumps(settings, sort_keys=True), _now(), codebook_id),
    )
    return int(cursor.lastrowid or 0)


def _check_entries(entries: Iterable[Entry]) -> None:
    for entry in entries:
        allowed = THEME_ACTIONS if entry.theme is not None else COMMENT_ACTIONS
        if entry.action not in allowed:
            raise ValueError(f"action {entry.action!r} with theme {entry.theme!r}")


def _insert_decision(
    db: sqlite3.Connection,
    batch: int,
    entry: Entry,
    reviewer: str,
    session_id: int,
    undoes: int | None,
) -> int:
    cursor = db.execute(
        "INSERT INTO decisions (batch, comment_id, theme, action, value, reviewer, session_id, "
        "decided_at, undoes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            batch,
            entry.comment_id,
            entry.theme,
            entry.action,
            entry.value,
            reviewer,
            session_id,
            _now(),
            undoes,
        ),
    )
    return int(cursor.lastrowid or 0)


def _insert_scores(
    db: sqlite3.Connection,
    run_id: int,
    scored: Sequence[tuple[int, CommentResult]],
    thresholds: dict[str, float],
    ids_of: Callable[[int], Sequence[str]],
) -> None:
    """A run's scores and suggestions, the scores packed by its codebook's codable themes
    (`ids_of` a codebook's id); a comment this run has scored already is left alone. A withdrawn
    run used again (if only on comments it has scored) is in use again."""
    db.execute("UPDATE runs SET withdrawn_at = NULL WHERE id = ?", (run_id,))
    if not scored:
        return
    # read here, not from a cache: another program may have discarded a run of this id
    (codebook_id,) = db.execute("SELECT codebook_id FROM runs WHERE id = ?", (run_id,)).fetchone()
    ids = ids_of(codebook_id)
    draws = [f"{run_id}:{comment_id}" for comment_id, _ in scored]
    keys = review_keys([result for _, result in scored], thresholds, draws)
    for (comment_id, result), (key, disagreement) in zip(scored, keys, strict=True):
        scores = {theme: round(score, 6) for theme, score in result.scores.items()}
        cursor = db.execute(
            "INSERT INTO scores (run_id, comment_id, scores, uncertainty, disagreement)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id, comment_id) DO NOTHING",
            (run_id, comment_id, pack(scores, codebook_id, ids), key, disagreement),
        )
        if cursor.rowcount:
            db.executemany(
                "INSERT INTO suggestions (run_id, comment_id, theme, score, source, evidence)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (run_id, comment_id, s.theme, s.score, s.source, _evidence_json(s.evidence))
                    for s in result.suggestions
                ],
            )


def _record_unfinished(db: sqlite3.Connection, found: UnfinishedImport) -> None:
    db.execute(
        "INSERT OR REPLACE INTO unfinished_imports (source, question, run_id, process, host, "
        "started_at) VALUES (?, ?, ?, ?, ?, ?)",
        (found.source, found.question, found.run_id, found.process, found.host, found.started_at),
    )


def _evidence_json(evidence: Iterable[Evidence]) -> str:
    spans = [{"text": e.text, "start": e.start, "end": e.end, "kind": e.kind} for e in evidence]
    return json.dumps(spans, ensure_ascii=False)


def source_name(input_path: str | Path, project: Path) -> str:
    """How a comment's source file is recorded: relative to the project's folder, so that the
    same file is recognised from any working folder and the project can move with its data."""
    if str(input_path) == "-":
        return "<stdin>"
    absolute = Path(input_path).resolve()
    try:
        return Path(os.path.relpath(absolute, project.resolve().parent)).as_posix()
    except ValueError:  # another drive on Windows
        return absolute.as_posix()


def _typed(source: str, project: Path) -> str:
    """A source's path as typed in the current folder (it is recorded relative to the
    project's): relative if the file is there or a folder up or below, else in full; quoted
    for a shell where it needs it."""
    path = project.resolve().parent / source
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        shown = str(path)
    return shlex.quote(str(path) if shown.startswith(f"..{os.sep}..") else shown)


class ImportSink:
    """Receives `coder tag`'s rows and stores them as comments with one run's results,
    committing every `batch_size` rows (a crash keeps what was committed; re-running the same
    file adds only what is missing)."""

    def __init__(self, store: Store, model: ThemeModel, model_name: str, input_path: str | Path):
        self.store = store
        self.run_id = store.add_model_run(model, model_name)
        self.new_run = not store.has_scores(self.run_id)  # not a run of this model seen before
        self.thresholds = dict(model.decision.thresholds)
        self.source = source_name(input_path, store.path)
        self._new_source = all(source != self.source for source, _, _ in store.sources())
        self._before = store.last_comment_id()  # comments after it are this import's
        self._workbook = self.source  # the file, where the source is one of its sheets
        self.question = ""
        self.new_comments = 0
        self.updated = 0  # comments already there whose attributes the file changed
        self.filled = 0  # ... blank there, with text in the file
        self.gone = 0  # ... no longer in the file (rows removed, ids changed)
        self._previous: dict[int, dict[str, Any]] = {}  # ... what they were, for an undo
        self.rows = 0
        self._pending: list[tuple[NewComment, CommentResult | None]] = []
        self._seen: dict[str, int] = {}
        self._skip: set[str] = set()
        self._several = False
        self._held: set[str] = set()  # ids of rows `stored` answered for, not yet written
        self._earlier: UnfinishedImport | None = None  # an earlier pass's record, replaced
        self._recorded = False  # whether this pass has recorded its import as begun

    def start(self, table: Table, text_column: str, id_column: str | None) -> None:
        if table.sheet is not None:
            self._name_sheet(table.sheet, table.first_sheet)
        questions = self.store.settle_question(self.source, text_column, table.columns, id_column)
        self.question = text_column if questions != [""] else ""
        self._earlier = self.store.import_started(self.source, self.question, self.run_id)
        self._recorded = True
        # each question of the file is a comment of its own, not an attribute of the others
        self._skip = {text_column, id_column or "", *questions}
        self._several = len(questions) > 1

    def stored(self, rows: Sequence[tuple[str, str]]) -> dict[str, CommentResult]:
        """This run's stored results for those of the (id, text) rows the project holds from
        this file and question with that text: what tagging them again would give."""
        if self.new_run:
            return {}
        found = self.store.stored_results(self.run_id, self.source, self.question, rows)
        self._held.update(found)
        return found

    def _name_sheet(self, sheet: str, first: bool) -> None:
        """A workbook's sheet is a file of its own, `survey.xlsx[Responses]`, known by its
        name wherever it moves in the workbook. A project made before holds a workbook's
        comments under its name alone, from its first sheet: that sheet keeps it."""
        held = {source for source, _, _ in self.store.sources()}
        if first and self.source in held:
            return
        self._workbook = self.source
        self.source = f"{self.source}[{sheet}]"
        self._new_source = self.source not in held

    def write(self, tagged: TaggedRow) -> None:
        first = self._seen.setdefault(tagged.id, tagged.line)
        if first != tagged.line:
            raise InputError(
                f"{self.source}:{tagged.line}: id '{tagged.id}' appears twice (first on line "
                f"{first}); a project needs one id per comment: give a column of unique ids "
                "with --id-column"
            )
        attributes = {k: v for k, v in tagged.row.items() if k not in self._skip}
        comment = NewComment(tagged.id, tagged.line, tagged.result.text, attributes)
        if tagged.id in self._held:  # scored by this run already: nothing to store again
            self._held.discard(tagged.id)
            self._pending.append((comment, None))
        else:
            self._pending.append((comment, tagged.result))
        if len(self._pending) >= IMPORT_BATCH:
            self.flush()

    def finish(self) -> None:
        self.flush()  # (a header alone never gets here: `tag_file` refuses it first)
        if self._several:  # only once this question is stored: a failed import changes nothing
            self.store.drop_question_attributes(self.source)
        held = sum(n for s, q, n in self.store.sources() if (s, q) == (self.source, self.question))
        self.gone = held - len(self._seen)  # every id this pass saw is held now
        self.store.import_finished(self.source, self.question)

    def stop(self) -> None:
        """Ctrl-C: what this pass stored stays, recorded as an import stopped part way."""
        if not self._recorded:
            return
        if self.rows:
            self.store.import_stopped(self.source, self.question)
        else:
            self.store.import_undone(self.source, self.question, self._earlier)

    def flush(self) -> None:
        if self._new_source and self._pending:
            self._new_source = False
            self._refuse_a_copy()
        elif not self.rows and self._pending:  # a file the project knows: the same ids?
            self._refuse_rekeyed()
        if self._pending:
            done = self.store.import_batch(
                self.run_id,
                self.source,
                self._pending,
                self.thresholds,
                self.question,
                self._previous,
            )
            self.new_comments += done.new
            self.updated += done.updated
            self.filled += done.filled
            self.rows += len(self._pending)
            self._pending = []

    def abandon(self, created: bool) -> None:
        """Undo an import the input stopped: a project file `created` for it goes (closed
        first); else the comments it added, and its run if the run is new, so that the
        project is as it was (a re-run with other ids, as a refusal may advise, would
        otherwise count the comments twice)."""
        if created:
            self.store.close()
            for leftover in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.store.path}{leftover}").unlink(missing_ok=True)
            return
        if self._recorded:  # else refused at its start: another process tags this file
            self.store.import_undone(self.source, self.question, self._earlier)
        if self.rows:
            self.store.discard_comments(self.source, self._before)
            self.store.restore_comments(self._previous)
        if self.new_run and not self.store.run_being_tagged(self.run_id):
            self.store.discard_run(self.run_id)

    def _refuse_rekeyed(self) -> None:
        with_text = [c for c, _ in self._pending if c.text.strip()]
        moved = self.store.rekeyed(self.source, self.question, with_text)
        if moved and moved * 2 >= len(with_text):
            raise InputError(
                f"{self.source}: {moved} of its first {len(with_text)} comments are in the "
                "project already from this file, with the same texts under other ids: tagged "
                "with other ids (an id column added, another --id-column), they would be "
                "counted twice. Tag it with the ids it had before (its line numbers if it had "
                "no id column, else the same --id-column), or start a new project"
            )

    def _refuse_a_copy(self) -> None:
        """A file the project holds under another path would have every comment twice."""
        held = self.store.copies_elsewhere(self.source, [c for c, _ in self._pending])
        workbook = held.pop(self._workbook, 0) if self._workbook != self.source else 0
        # Sheets of one workbook may well share ids and short answers: another sheet is taken
        # for this one only where nearly all of the batch matches it (a sheet renamed).
        nearly = len(self._pending) * 9
        for sheet in [s for s in held if s.startswith(self._workbook + "[")]:
            if held.pop(sheet) * 10 >= nearly:
                raise InputError(
                    f"{self.source}: its first {len(self._pending)} comments are in the project "
                    f"already, with the same ids and texts, from {sheet}: a sheet renamed? Give "
                    "it its old name again to tag it, or start a new project"
                )
        if workbook * 10 >= nearly:  # nearly all: this sheet, moved
            raise InputError(
                f"{self.source}: the project holds these comments as {self._workbook}, as "
                "coder named a workbook's first sheet before it told sheets apart; make this "
                "sheet the workbook's first again to tag it as before, or start a new project"
            )
        other, count = max(held.items(), key=lambda item: item[1], default=("", 0))
        if count and count * 2 >= len(self._pending):
            sheet = re.fullmatch(r"(.*)\[(.*)\]", other)
            file = _typed(sheet[1] if sheet else other, self.store.path)
            again = f"{file} --sheet {shlex.quote(sheet[2])}" if sheet else file
            raise InputError(
                f"{self.source}: {count} of its first {len(self._pending)} comments are in the "
                f"project already, with the same ids and texts, from {other}: it looks like "
                "the same file under another name or folder, and tagging it would count "
                f"those comments twice. Tag {again} to add any new rows (put the file back "
                "there if it moved)"
            )
