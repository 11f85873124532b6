"""A project's decision log as a table (`coder export --format log`): every entry anyone
recorded, in order, with who made it, when, in what kind of session (the review screen, blind
coding, adjudication, an import of a file), under which codebook, and whether it was undone
later. The audit trail of the coding: the log is only ever appended to, so this is the whole
history, undone steps included, where the other exports give where the coding stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coder.codebook import Codebook
from coder.store import Store
from coder.table_out import Rows

LOG_COLUMNS = [
    "decision",  # the entry's number in the log
    "step",  # entries recorded by one keypress (or one import) share a step: undone together
    "decided_at",  # UTC
    "reviewer",
    "mode",  # review, blind, adjudicate, import, import-adjudication
    "session",
    "imported_from",  # the file of an import (or of the import an undo took back)
    "codebook",  # the session's codebook: name and version
    "id",  # the comment, as the other exports name it
    "question",  # where the project holds several
    "action",  # accept, reject, add, remove, confirm, flag, unflag, memo, skip, undo
    "theme",
    "label",  # the theme's label in the session's codebook (else the project's)
    "memo",
    "undoes",  # for an undo: the entry it takes back
    "undone",  # 1 if a later undo took this entry back
]
# The columns coder makes (numbers, times, fixed words, theme ids): written as they are. The
# others hold text from people (names, memos, file names, ids, codebook wording): neutralised.
_MADE_BY_CODER = ("decision", "step", "decided_at", "mode", "session", "action", "theme")
_MADE = frozenset(LOG_COLUMNS.index(name) for name in (*_MADE_BY_CODER, "undoes", "undone"))


def write_log(table: Rows, store: Store, names: Mapping[int, str], book: Codebook) -> int:
    """Write the entries on the comments `names` holds (comment -> its export id), in order;
    returns how many. `book` labels a theme whose session kept no codebook."""
    table.write_mixed(LOG_COLUMNS, made=range(len(LOG_COLUMNS)))
    questions = _questions(store) if store.several_questions() else {}
    sessions = _SessionBooks(store, book)
    undone = store.undone_entries()
    written = 0
    for entry, mode, settings, codebook_id in store.decision_log():
        if entry.comment_id not in names:
            continue
        name, labels = sessions.of(codebook_id)
        row: list[Any] = [
            entry.id,
            entry.batch,
            entry.decided_at,
            entry.reviewer,
            mode,
            entry.session_id,
            settings.get("file") or settings.get("undo") or "",
            name,
            names[entry.comment_id],
            questions.get(entry.comment_id, ""),
            entry.action,
            entry.theme or "",
            labels.get(entry.theme or "", ""),
            (entry.value or "") if entry.action == "memo" else "",
            entry.undoes or "",
            int(entry.id in undone),
        ]
        table.write_mixed(row, _MADE)
        written += 1
    return written


def _questions(store: Store) -> dict[int, str]:
    return {ref.id: ref.question for ref in store.comment_refs()}


class _SessionBooks:
    """A session's codebook as the log shows it: its name and version, and its themes' labels
    (then the project's, for a theme it lacks or a session that kept no codebook)."""

    def __init__(self, store: Store, book: Codebook) -> None:
        self.store = store
        self.labels = {t.id: t.label for t in book.themes}
        self._found: dict[int | None, tuple[str, dict[str, str]]] = {None: ("", self.labels)}

    def of(self, codebook_id: int | None) -> tuple[str, dict[str, str]]:
        if codebook_id not in self._found:
            found = self.store.codebook(codebook_id)
            labels = self.labels | {t.id: t.label for t in found.themes}
            self._found[codebook_id] = (f"{found.name} version {found.version}", labels)
        return self._found[codebook_id]
