"""Coding done elsewhere, brought into a project as its coders' decisions: a spreadsheet of ids
and codes, or a REFI-QDA project coded in NVivo, ATLAS.ti, MAXQDA or QualCoder.

A coder's coding of a comment in the file replaces theirs in the project: the themes the file
gives are added, those it does not are removed, and the comment counts as reviewed by them. So
`agree`, `train --db`, exports and reports read it as they read coding done on the review
screen. Each coder's changes are one step in the log, in a session of mode `import` that names
the file and its SHA-256; `undo_import` takes the step back (the review screen's undo stops
at it).

With `adjudicate`, the file's coding is one adjudicator's final coding of its comments instead
(a discussion sheet of the disagreements, `coder agree --disagreements -o`, filled in at a
meeting): recorded in a session of mode `import-adjudication`, it settles those comments as
`coder review --adjudicate` does.

A comment is found by the id its file gave it (`file:id` where two files share ids), for a QDA
source by its name or the GUID coder's export gave it, and failing that by its text (the n-th
copy of a text in the file is the n-th in the project). Where the file holds the text too, it
must be the project's, whitespace aside: an id that names another comment is an error.
"""

from __future__ import annotations

import hashlib
import shlex
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from coder.codebook import Codebook
from coder.errors import InputError, listed
from coder.external import ExternalCoding, ExternalFile, TableColumns, read_coded_table
from coder.folding import CODED, CommentState
from coder.refi_codebook import guid, xml_safe
from coder.refi_import import is_qdpx, read_qdpx_coding
from coder.refi_project import ADJUDICATION_USER
from coder.sampling import check_reviewer_names
from coder.store import IMPORT_MODES, Entry, Store
from coder.writers import unneutralise


@dataclass
class CoderImport:
    """What an import does to one coder's coding."""

    coder: str
    comments: int = 0  # comments the file codes
    new: int = 0  # ... that the coder had not reviewed
    changed: int = 0  # ... that they had, with other themes

    @property
    def unchanged(self) -> int:
        return self.comments - self.new - self.changed


@dataclass
class ImportResult:
    source: str
    coders: list[CoderImport]
    notes: list[str] = field(default_factory=list)
    recorded: bool = False  # False for a dry run, or when nothing changed
    adjudication: bool = False  # the coding is an adjudicator's (`adjudicate`)


def import_coding(
    store: Store,
    path: str | Path,
    coder: str | None = None,
    columns: TableColumns | None = None,
    ignore_unknown: bool = False,
    dry_run: bool = False,
    rename: str | None = None,
    adjudicate: bool = False,
) -> ImportResult:
    """Import the coding in `path` under the project's codebook. A spreadsheet is `coder`'s
    (required); a .qdpx holds each of its users' coding, or only `coder`'s if given, recorded
    under `rename` if given (a QDA program's user name is often not the reviewer's). With
    `adjudicate`, the one coder's coding is recorded as their adjudication. Nothing is
    written if any coding fails to match a comment, or with `dry_run`."""
    if rename and not is_qdpx(path):
        raise InputError("--as is for a .qdpx's users; a spreadsheet's coder is --reviewer NAME")
    book = store.latest_codebook()
    columns = columns or TableColumns()
    read = _read(path, book, (coder or "").strip() or None, columns, ignore_unknown)
    if is_qdpx(path) and not adjudicate and any(c.coder == ADJUDICATION_USER for c in read.codings):
        raise InputError(
            f"'{ADJUDICATION_USER}' is the settled coding of the comments coders differed on, "
            "in a project coder exported: add --adjudicate to bring it in as an adjudication, "
            "and --as NAME for the person to record it under"
        )
    codings, settings = _renamed(read.codings, (rename or "").strip(), path)
    coders = sorted({coding.coder for coding in codings})
    check_reviewer_names(coders)
    if adjudicate and len(coders) > 1:
        raise InputError(
            f"{path} holds the coding of {', '.join(repr(c) for c in coders)}: an adjudication "
            "is one person's; choose whose with --reviewer NAME"
        )
    if read.blank and not codings:
        raise InputError(_all_blank(path, read.blank, adjudicate))
    matched, unmatched = _Comments(store).match(codings)
    problems = read.problems + ([_unmatched(path, unmatched)] if unmatched else [])
    if problems:
        raise InputError("\n".join(problems))
    steps, counts = _plan(store, book, matched, adjudicate)
    changes = {name: entries for name, entries in steps.items() if entries}
    # the notes first: they read the project as it was, and nothing may fail once it is written
    notes = read.notes + ([_blank_note(read.blank, adjudicate)] if read.blank else [])
    notes += [_settled_note(store, path, read.settled)] if read.settled else []
    notes += _blank_coded(store, matched)
    notes += _undisputed(store, book, matched) if adjudicate else []
    if changes and not dry_run:
        store.record_import(book, {**_settings(path), **settings}, changes, adjudicate)
    recorded = bool(changes) and not dry_run
    return ImportResult(str(path), counts, notes, recorded, adjudicate)


def _named(coding: ExternalCoding) -> str:
    """How a note names a coded comment: its id in the file, else where the file has it (a
    file matched by text has no ids)."""
    return coding.keys[0] if coding.keys else coding.where


def _undisputed(
    store: Store, book: Codebook, matched: list[tuple[int, ExternalCoding]]
) -> list[str]:
    """A note on an adjudication of comments no two coders differ on: it settles them all the
    same (and `status` counts them), but `agree` counts only disputes adjudicated."""
    versions: dict[int, set[frozenset[str]]] = {}
    coders: Counter[int] = Counter()
    for coded in store.codings(book=book).values():
        for comment_id, codes in coded.items():
            versions.setdefault(comment_id, set()).add(frozenset(codes))
            coders[comment_id] += 1
    calm = [_named(c) for i, c in matched if coders[i] < 2 or len(versions[i]) < 2]
    if not calm:
        return []
    n = len(calm)
    return [
        f"{n} of the comments adjudicated {'is' if n == 1 else 'are'} in no dispute (e.g. "
        f"{calm[0]}: fewer than two coders, or coders who agree); the adjudication settles "
        f"{'it' if n == 1 else 'them'} all the same"
    ]


def _blank_coded(store: Store, matched: list[tuple[int, ExternalCoding]]) -> list[str]:
    """A note on themes given to comments with no text (a skipped question), as `train` has."""
    blank = store.blank_comment_ids()
    named = [_named(c) for comment_id, c in matched if comment_id in blank and c.codes]
    if not named:
        return []
    return [
        f"{len(named)} comment{'s' if len(named) != 1 else ''} with no text "
        f"{'is' if len(named) == 1 else 'are'} coded with themes (e.g. {named[0]}): is the "
        "coding on the right rows?"
    ]


def _settled_note(store: Store, path: str | Path, settled: int) -> str:
    command = shlex.join(
        ["coder", "import", str(store.path), str(path), "--reviewer", ADJUDICATION_USER]
    )
    return (
        f"left out {ADJUDICATION_USER}'s coding of {settled} comment{'s' if settled != 1 else ''}"
        f": the settled coding where coders differed, to bring in as an adjudication with "
        f"`{command} --adjudicate --as NAME`"
    )


def _blank_note(blank: str, adjudicate: bool) -> str:
    if adjudicate:  # --blank-is-none would settle every row the meeting has not reached
        return (
            f"left out {blank} with no codes, as not settled yet; write none where no theme applies"
        )
    return (
        f"left out {blank} with no codes, as not coded yet; give --blank-is-none if they were "
        "coded with no theme"
    )


def _all_blank(path: str | Path, blank: str, adjudicate: bool) -> str:
    if adjudicate:
        return (
            f"{path}: every codes cell is empty ({blank}), so there is nothing to adjudicate: "
            "fill in the codes column (theme ids or labels, ; between; none where no theme "
            "applies), then import it again"
        )
    return (
        f"{path}: no row has codes ({blank} with none), so there is nothing to import: is the "
        "codes column the right one (--codes-column)? Give --blank-is-none if they were coded "
        "with no theme"
    )


def _renamed(
    codings: list[ExternalCoding], rename: str, path: str | Path
) -> tuple[list[ExternalCoding], dict[str, str]]:
    """The codings under the name `rename` (if any), and the name they had, for the log."""
    if not rename:
        return codings, {}
    users = sorted({coding.coder for coding in codings})
    if len(users) > 1:
        listed = ", ".join(f"'{user}'" for user in users)
        raise InputError(
            f"{path} holds the coding of {listed}: choose whose with --reviewer to record it "
            f"as '{rename}'"
        )
    return [replace(coding, coder=rename) for coding in codings], {"user": users[0]}


def undo_import(
    store: Store, coder: str, adjudication: bool = False, dry_run: bool = False
) -> tuple[str, int]:
    """Take back `coder`'s last import (of adjudication, with `adjudication`), if it is their
    last step of that kind: (its file, comments). With `dry_run`, only say what it would be."""
    step = store.last_step(coder, adjudication)
    what = "adjudication" if adjudication else "coding"
    if step is None:
        raise InputError(f"'{coder}' has no {what} in {store.path} to undo")
    mode, settings, touched = step
    if mode not in IMPORT_MODES:
        step_of, screen = ("adjudicating step", " --adjudicate") if adjudication else ("step", "")
        raise InputError(
            f"the last {step_of} of '{coder}' was made on the review screen, not imported; "
            f"undo it there: coder review {shlex.quote(str(store.path))} --reviewer "
            f"{shlex.quote(coder)}{screen}, then u"
        )
    if dry_run:
        return str(settings.get("file", "")), touched
    session = store.start_session(coder, mode, {"undo": settings.get("file", "")})
    store.undo(session, coder, adjudication)
    return str(settings.get("file", "")), touched


def _read(
    path: str | Path,
    book: Codebook,
    coder: str | None,
    columns: TableColumns,
    ignore_unknown: bool,
) -> ExternalFile:
    if is_qdpx(path):
        if columns != TableColumns():
            raise InputError(
                "--id-column, --codes-column, --text-column, --sheet, --blank-is-none and "
                "--long are for spreadsheets; a REFI-QDA project names its own sources and codes"
            )
        return read_qdpx_coding(path, book, coder, ignore_unknown)
    if not coder:
        raise InputError(
            f"name the person whose coding {path} holds with --reviewer NAME: it goes into the "
            "project as their decisions"
        )
    return read_coded_table(path, book, coder, columns, ignore_unknown)


def _settings(path: str | Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {"file": Path(path).name, "sha256": digest.hexdigest()}


def _plain(text: str) -> str:
    """Text as compared across programs: whitespace runs as one space, what XML cannot carry as
    a REFI-QDA export writes it, and a cell coder's CSVs kept from running as a formula as
    it was."""
    return " ".join(xml_safe(unneutralise(text)).split())


def _quote(text: str, width: int = 50) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= width else flat[: width - 3] + "...")


class _Comments:
    """The project's comments by the names a file may give them, and by text."""

    def __init__(self, store: Store) -> None:
        self.store = store
        refs = store.comment_refs()
        counts = Counter(ref.external_id for ref in refs)
        self.by_name: dict[str, int] = {}
        self.shared: dict[str, list[str]] = {}  # an id several files use -> those files
        for ref in refs:
            self.by_name[f"{ref.source}:{ref.external_id}"] = ref.id
            if counts[ref.external_id] == 1:
                self.by_name[ref.external_id] = ref.id
            else:
                self.shared.setdefault(ref.external_id, []).append(ref.source)
        self._taken: Counter[tuple[str, str]] = Counter()  # (coder, text): copies matched
        # A survey's answers share their respondent's id: a file's `question` column tells them
        # apart (None: that question and id are in several files).
        self.by_question: dict[tuple[str, str], int | None] = {}
        if store.several_questions():
            for ref in refs:
                key = (ref.question.casefold(), ref.external_id)
                self.by_question[key] = None if key in self.by_question else ref.id
        self.questions = ", ".join(sorted({r.question for r in refs if r.question}))

    # Each read only if a file needs it: a spreadsheet of ids and codes needs none.
    @cached_property
    def by_guid(self) -> dict[str, int]:
        """By the GUID our .qdpx gives each comment's source."""
        return {guid(f"source:{name}"): comment_id for name, comment_id in self.by_name.items()}

    @cached_property
    def texts(self) -> dict[int, str]:
        return dict(self.store.texts())

    @cached_property
    def by_text(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for comment_id, text in self.texts.items():
            found.setdefault(_plain(text), []).append(comment_id)
        return found

    def match(
        self, codings: Sequence[ExternalCoding]
    ) -> tuple[list[tuple[int, ExternalCoding]], list[str]]:
        """Each coding with its comment, and a problem for every one that fails."""
        found: list[tuple[int, ExternalCoding]] = []
        problems: list[str] = []
        seen: dict[tuple[str, int], ExternalCoding] = {}
        for coding in codings:
            comment_id, problem = self._find(coding)
            if comment_id is None:
                problems.append(problem)
                continue
            earlier = seen.setdefault((coding.coder, comment_id), coding)
            if earlier is coding:
                found.append((comment_id, coding))
            elif earlier.codes != coding.codes:
                problems.append(
                    f"{coding.where}: codes the comment of {earlier.where} again, differently"
                )
        return found, problems

    def _find(self, coding: ExternalCoding) -> tuple[int | None, str]:
        for key in coding.keys:
            comment_id = self.by_name.get(key)
            if comment_id is None and coding.loose:
                comment_id = self.by_guid.get(key)
            if comment_id is not None:
                return self._checked(coding, key, comment_id)
            answer = self.by_question.get(((coding.question or "").casefold(), key))
            if answer is not None:
                return self._checked(coding, key, answer)
            if key in self.shared and not coding.loose:  # a QDA source has its text to go by
                files = ", ".join(self.shared[key])
                if self.by_question:
                    return None, (
                        f"{coding.where}: id '{key}' names several comments of the project "
                        f"({files}); name its question in a `question` column "
                        f"({self.questions}), or write it as FILE#QUESTION:{key}"
                    )
                return None, (
                    f"{coding.where}: id '{key}' is in several files of the project ({files}); "
                    f"write it as FILE:{key}"
                )
        if coding.text is not None and (coding.loose or not coding.keys):
            plain = _plain(coding.text)
            copies = self.by_text.get(plain, [])
            nth = self._taken[coding.coder, plain]
            self._taken[coding.coder, plain] += 1
            if nth < len(copies):
                return copies[nth], ""
        name = f"'{coding.keys[0]}'" if coding.keys else f"the comment {_quote(coding.text or '')}"
        return None, f"{coding.where}: {name} is not in the project"

    def _checked(self, coding: ExternalCoding, key: str, comment_id: int) -> tuple[int | None, str]:
        """The comment, if the file's copy of its text (when it has one) is the project's."""
        ours = self.texts[comment_id]
        if coding.text is None or _plain(coding.text) == _plain(ours):
            return comment_id, ""
        return None, (
            f"{coding.where}: '{key}' is another comment in the project: {_quote(ours)}, "
            f"where the file has {_quote(coding.text)}"
        )


def _unmatched(path: str | Path, problems: list[str]) -> str:
    counted = f"{len(problems)} codings do" if len(problems) != 1 else "1 coding does"
    return (
        f"cannot import {path}: {counted} not match the project's comments (nothing was "
        "imported):\n"
        + listed(problems)
        + "\nTag the file the comments come from into the project first "
        "(coder tag FILE --db PROJECT), or correct the ids"
    )


def _plan(
    store: Store, book: Codebook, matched: list[tuple[int, ExternalCoding]], adjudicate: bool
) -> tuple[dict[str, list[Entry]], list[CoderImport]]:
    """Each coder's entries, and the counts the user is shown."""
    order = book.codable_ids
    suggested = _suggested(store, book, {comment_id for comment_id, _ in matched})
    # Every adjudicator's decisions on a comment fold into its adjudication: an imported one
    # must undo another adjudicator's codes the file leaves out, not only its own.
    settled = store.adjudication_states(book) if adjudicate else {}
    steps: dict[str, list[Entry]] = {}
    counts: dict[str, CoderImport] = {}
    states: dict[str, dict[int, CommentState]] = {}
    for comment_id, coding in matched:
        if coding.coder not in states:
            own = store.states(coding.coder, adjudicate, book)
            states[coding.coder] = own.get(coding.coder, {})
        mine = states[coding.coder].get(comment_id) or CommentState()
        state = settled.get(comment_id, mine) if adjudicate else mine
        among = order if coding.scope is None else [t for t in order if t in coding.scope]
        wanted = set(coding.codes)
        # Like `a`, a first coding rejects what it leaves of the suggestions; coding already
        # there does not: a later run's new suggestions are no change to record.
        fresh = suggested.get(comment_id, set()) if not state.reviewed else set()
        entries = _entries(
            comment_id, wanted, state.themes, among, suggested.get(comment_id, set()), fresh
        )
        if coding.memo is not None and coding.memo != state.memo:
            entries.append(Entry(comment_id, "memo", value=coding.memo))
        if not mine.reviewed:
            entries.append(Entry(comment_id, "confirm"))
        count = counts.setdefault(coding.coder, CoderImport(coding.coder))
        count.comments += 1
        if not state.reviewed:
            count.new += 1
        elif {t for t in among if t in state.codes} != wanted:  # not a mere reject recorded
            count.changed += 1
        steps.setdefault(coding.coder, []).extend(entries)
    return steps, sorted(counts.values(), key=lambda c: c.coder)


def _suggested(store: Store, book: Codebook, among: set[int]) -> dict[int, set[str]]:
    """The themes each comment's latest run in use suggests, an id a theme replaces read as
    that theme."""
    replaced = book.replaced
    return {
        comment_id: {replaced.get(theme, theme) for theme in themes}
        for comment_id, themes in store.suggested(among).items()
    }


def _entries(
    comment_id: int,
    wanted: set[str],
    decided: Mapping[str, str],
    order: Sequence[str],
    suggested: set[str],
    undecided_rejected: set[str],
) -> list[Entry]:
    """What turns the comment's coding (each theme's last action, `decided`) into `wanted`,
    among the themes `order` lists, in the review screen's terms so that `status` counts them
    alike: a suggested theme is accepted or rejected (rejected too where nothing was decided
    on it, as `a` does, if it is in `undecided_rejected`), another added or removed."""
    entries = []
    for theme in order:
        coded = decided.get(theme) in CODED
        if theme in wanted and not coded:
            entries.append(Entry(comment_id, "accept" if theme in suggested else "add", theme))
        elif theme not in wanted and coded:
            entries.append(Entry(comment_id, "reject" if theme in suggested else "remove", theme))
        elif theme not in wanted and theme in undecided_rejected and theme not in decided:
            entries.append(Entry(comment_id, "reject", theme))
    return entries
