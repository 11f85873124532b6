"""A project's coding as files for other tools: survey-ready CSVs, JSON lines, and REFI-QDA.

Every format but the log uses each comment's final coding (`coder.coding`), in import order,
with themes in codebook order (the project's latest codebook; a theme it no longer has is left
out).

- wide: a row per comment: id, text, attributes, a 0/1 column per codable theme, then per theme
  its score and status, then `codes`, `coding` (the provenance), `reviewers`, `memo` and
  `flagged` (who flagged it). A coder column whose name an attribute has already is called
  `coder_<name>`.
- long: a row per coded theme of a comment, with its source (rule, model or human), score,
  evidence, model and codebook versions, reviewer, time of decision and memo.
- respondents: a row per respondent (`coder.respondent_rows`): attributes, a 0/1 column per
  theme on any answer, then each question's answer and 0/1 columns.
- jsonl: an object per comment with all of that.
- log: every entry of the decision log, in order (`coder.decision_log`): the audit trail.
- sheet: a coding sheet for a person to code in a spreadsheet program and bring back with
  `coder import`: id, text, attributes, and an empty column per codable theme (headed by its id)
  to put 1 in. Nothing of the model's or other coders' is in it: it is for blind coding.
- qdc: the latest codebook as a REFI-QDA codebook.
- qdpx: the project as a REFI-QDA project: reviewers, the model and the rules as users; a
  suggested theme is coded by the model or the rules on its evidence spans, a reviewed one by
  its reviewers on the whole comment (a reviewed "no theme" by a `No theme` code); each
  coder's memo is a note on the comment's source.

wide, long, respondents, sheet and log are CSV, or an Excel workbook for a name ending in `.xlsx`
(`coder.table_out`). A comment's id is its id in the file it came from; if two files gave the
same id, every id is written as `file:id`. CSV cells a spreadsheet would run as a formula are
neutralised; in a workbook they are stored as text.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from coder.codebook import Codebook
from coder.coding import (
    PART,
    FinalCoding,
    Progress,
    ProjectCodings,
    ThemeCoding,
    basis_line,
    comment_ids,
    left_out_note,
)
from coder.decision_log import write_log
from coder.errors import InputError, OutputError
from coder.fileio import atomic_open, check_writable
from coder.refi_codebook import write_qdc
from coder.refi_project import (
    ADJUDICATION_USER,
    MODEL_USER,
    NO_THEME,
    RULES_USER,
    ProjectCoding,
    ProjectComment,
    write_qdpx,
)
from coder.respondent_rows import write_respondents
from coder.store import QUESTION, Store
from coder.table_out import Rows as TableRows
from coder.table_out import (
    check_not_workbook,
    check_rows_fit,
    is_xlsx,
    kept_apart,
    open_rows,
    sheet_holds,
)

EXPORT_FORMATS = ("wide", "long", "respondents", "jsonl", "sheet", "log", "qdc", "qdpx")
CSV_FORMATS = ("wide", "long", "respondents", "sheet", "log")
# the long row's values coder made (theme id, status, source, score, evidence offsets,
# coding, time): the others are text from outside, kept from running as formulas
LONG_MADE = frozenset({1, 3, 4, 5, 7, 8, 11, 13})
LONG_COLUMNS = [
    "id",
    "theme",
    "label",
    "status",
    "source",
    "score",
    "evidence",
    "evidence_start",
    "evidence_end",
    "model_version",
    "codebook_version",
    "coding",
    "reviewer",
    "decided_at",
    "memo",
]


@dataclass(frozen=True)
class ExportSummary:
    output: str
    fmt: str
    comments: int
    basis: str  # which coding the export uses
    respondents: int | None = None  # the rows of the respondents format
    decisions: int | None = None  # the rows of the log format


def export_project(
    db: str | Path,
    output: str | Path,
    fmt: str = "wide",
    reviewed_only: bool = False,
    excel: bool = False,
    force: bool = False,
    question: str | None = None,
    sample: bool = False,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write project `db`'s coding to `output` (`-`: stdout, for wide, long and jsonl); with
    `question`, the answers to that question alone; with `sample`, the comments of the
    double-coding sample alone (a sheet of them, for coders who code in a spreadsheet).
    `progress` is told (comments written, comments in all) as the export goes."""
    _check_options(output, fmt, reviewed_only, excel, force)
    if sample and fmt == "qdc":
        raise InputError("--sample does not apply to qdc: it holds the codebook alone")
    with Store(db, create=False) as store:
        book = store.latest_codebook()
        if fmt == "qdc":
            write_qdc(book, output, force=force)
            return ExportSummary(str(output), fmt, 0, "")
        among = _sample_ids(store) if sample else None
        if fmt == "log":  # the log as recorded: no coding to work out
            ids = [i for i in comment_ids(store, question) if among is None or i in among]
            with open_rows(output, force, excel) as table:
                entries = write_log(table, store, export_ids(store, ids, question), book)
            return ExportSummary(str(output), fmt, len(ids), "", decisions=entries)
        codings = ProjectCodings(store, reviewed_only, book, question, among, progress)
        _check_workbook_rows(output, fmt, codings)
        counts: Counter[str] = Counter()
        names = export_ids(store, codings.ids, question)
        rows = _rows_of(codings, names, counts)  # read as written: a sheet reads none
        if fmt == "qdpx":
            comments = project_comments(codings, rows)
            write_qdpx(book, comments, output, name=Path(db).stem, force=force)
        elif fmt == "jsonl":
            with atomic_open(output, force, encoding="utf-8", newline="") as handle:
                _write_jsonl(handle, store, rows, book)
        elif fmt == "respondents":
            with open_rows(output, force, excel) as table:
                people = write_respondents(table, rows, book)
        else:
            attributes = store.attribute_names(codings.ids)
            with open_rows(output, force, excel) as table:
                if fmt == "sheet":
                    _write_sheet(table, store, names, book, attributes, progress)
                else:
                    _WRITERS[fmt](table, store, rows, book, attributes)
        note = left_out_note(store, book)
    basis = basis_line(counts, reviewed_only, note)
    people_count = people if fmt == "respondents" else None
    return ExportSummary(str(output), fmt, len(codings.ids), basis, people_count)


def _check_workbook_rows(output: str | Path, fmt: str, codings: ProjectCodings) -> None:
    """Refuse a workbook Excel could not open before writing it (openpyxl takes minutes over a
    million rows). Wide and sheet have a row per comment; long a row per coded theme, counted in
    a pass of its own where the project could have that many codes (a reading pass costs a
    quarter of what writing the workbook does)."""
    if not is_xlsx(output) or fmt not in ("wide", "sheet", "long"):
        return
    if fmt != "long":
        check_rows_fit(output, len(codings.ids) + 1)
        return
    known = set(codings.book.codable_ids)
    if sheet_holds(1 + min(len(codings.ids) * len(known), codings.store.coded_at_most())):
        return
    parts = codings.parts(silent=True)
    check_rows_fit(output, 1 + sum(len(list(_coded(c, known))) for part in parts for c in part))


def _sample_ids(store: Store) -> set[int]:
    current = store.current_sample()
    if current is None:
        raise InputError(
            f"project {store.path} has no double-coding sample; draw one with `coder sample "
            f"{shlex.quote(str(store.path))} --double 0.2 --reviewers ana,ben`"
        )
    return set(current.comment_ids)


def _check_options(
    output: str | Path, fmt: str, reviewed_only: bool, excel: bool, force: bool
) -> None:
    """Refuse what cannot work before reading the project."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format '{fmt}'; use one of {', '.join(EXPORT_FORMATS)}")
    if excel and fmt not in CSV_FORMATS:
        raise InputError(f"--excel is for the CSV formats ({', '.join(CSV_FORMATS)}), not {fmt}")
    if reviewed_only and fmt == "qdc":
        raise InputError("--reviewed-only does not apply to qdc: it holds the codebook alone")
    if reviewed_only and fmt == "log":
        raise InputError("--reviewed-only does not apply to log: it holds every decision made")
    if str(output) == "-":
        if fmt in ("qdc", "qdpx"):
            raise OutputError(f"{fmt} is written to a file; give its name with -o")
        return
    if fmt not in CSV_FORMATS:
        check_not_workbook(output, fmt)
    check_writable(output, force)


def export_ids(store: Store, ids: Sequence[int], question: str | None = None) -> dict[int, str]:
    """Each comment's id as exported: its id in its file, or `file:id` (`FILE#QUESTION:id`) for
    every comment when two of the comments exported from (the answers to `question`, or the
    whole project) share an id, whether or not both are in `ids`: a plain id of a
    `--reviewed-only` export would not bring a coder's codes back to one of them."""
    wanted = set(ids)
    refs = [r for r in store.comment_refs() if question is None or r.question == question]
    if len({ref.external_id for ref in refs}) == len(refs):
        return {ref.id: ref.external_id for ref in refs if ref.id in wanted}
    return {ref.id: f"{ref.source}:{ref.external_id}" for ref in refs if ref.id in wanted}


# (export id, final coding) of each comment, in import order
Rows = Iterable[tuple[str, FinalCoding]]


def _rows_of(codings: ProjectCodings, ids: dict[int, str], counts: Counter[str]) -> Rows:
    """The codings a part at a time, each with its export id, counting their provenances."""
    for part in codings.parts():
        for coding in part:
            counts[coding.provenance] += 1
            yield ids[coding.comment.id], coding


# ------------------------------------------------------------ CSV or a workbook (table_out)


def wide_columns(attributes: Sequence[str], book: Codebook) -> list[str]:
    ids = book.codable_ids
    ours = ["id", "text", *ids, *(f"{t}_score" for t in ids), *(f"{t}_status" for t in ids)]
    ours += ["codes", "coding", "reviewers", "memo", "flagged"]
    named = kept_apart(ours, attributes)
    return [*named[:2], *attributes, *named[2:]]


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _write_wide(
    table: TableRows, store: Store, rows: Rows, book: Codebook, attributes: list[str]
) -> None:
    table.write(wide_columns(attributes, book))
    ids = book.codable_ids
    for export_id, coding in rows:
        themes = {t.theme: t for t in coding.themes}
        scores = coding.scored.scores if coding.scored else {}
        given = [export_id, coding.comment.text]
        given += [coding.comment.value(name) for name in attributes]
        # coder's own cells (0/1, scores, statuses, theme ids) cannot start a formula: only
        # the respondents' and reviewers' text is neutralised, a fifth of the export's time.
        made: list[Any] = [int(t in coding.codes) for t in ids]
        made += [_score(scores.get(t)) for t in ids]
        made += [themes[t].status if t in themes else "" for t in ids]
        made += [";".join(_known(coding.codes, ids)), coding.provenance]
        table.write(
            given, made, [";".join(coding.reviewers), coding.memo, ";".join(coding.flagged)]
        )


def _known(codes: Sequence[str], ids: Sequence[str]) -> list[str]:
    return [t for t in codes if t in ids]


def _versions(store: Store, coding: FinalCoding) -> tuple[str, str]:
    """(model version, codebook version) of the run whose results the comment has."""
    if coding.scored is None:
        return "", ""
    run = store.run(coding.scored.run_id)
    return f"{run.model} (run {run.id})", store.codebook(run.codebook_id).version


def _source(theme: ThemeCoding) -> str:
    return theme.suggestion.source if theme.suggestion is not None else "human"


def _write_sheet(
    table: TableRows,
    store: Store,
    names: dict[int, str],
    book: Codebook,
    attributes: list[str],
    progress: Progress | None = None,
) -> None:
    """The comments alone, a part at a time: a blank sheet needs no run's results."""
    ids = book.codable_ids
    table.write(["id", "text", *attributes, *ids])
    blank = [""] * len(ids)
    order = list(names)
    for start in range(0, len(order), PART):
        comments = store.comments(order[start : start + PART])
        for comment_id in order[start : start + PART]:
            comment = comments[comment_id]
            given = [names[comment_id], comment.text]
            given += [comment.value(name) for name in attributes]
            table.write(given, blank)
        if progress is not None:
            progress(min(start + PART, len(order)), len(order))


def _write_long(
    table: TableRows, store: Store, rows: Rows, book: Codebook, attributes: list[str]
) -> None:
    """A row per coded theme. Where the comments answer several questions, a `question`
    column after the id, as `coder import` reads it (with `--question`, ids are plain)."""
    asked = QUESTION in attributes
    table.write(["id", QUESTION, *LONG_COLUMNS[1:]] if asked else LONG_COLUMNS)
    made = {i + 1 for i in LONG_MADE} if asked else LONG_MADE
    labels = {t.id: t.label for t in book.codable}
    for export_id, coding in rows:
        model, codebook_version = _versions(store, coding)
        question = [coding.comment.value(QUESTION)] if asked else []
        for theme in _coded(coding, labels):
            evidence = theme.suggestion.evidence if theme.suggestion else ()
            first = evidence[0] if evidence else None
            table.write_mixed(
                [
                    export_id,
                    *question,
                    theme.theme,
                    labels[theme.theme],
                    theme.status,
                    _source(theme),
                    _score(theme.score),
                    " | ".join(e.text for e in evidence),
                    first.start if first else "",
                    first.end if first else "",
                    model if theme.suggestion else "",
                    codebook_version,
                    coding.provenance,
                    ";".join(theme.reviewers),
                    theme.decided_at or "",
                    coding.memo,
                ],
                made,
            )


def _coded(coding: FinalCoding, known: Container[str]) -> Iterator[ThemeCoding]:
    """The coded themes of a comment that the codebook has."""
    return (t for t in coding.themes if t.coded and t.theme in known)


def _write_jsonl(handle: IO[str], store: Store, rows: Rows, book: Codebook) -> None:
    ids = book.codable_ids
    for export_id, coding in rows:
        model, codebook_version = _versions(store, coding)
        scores = coding.scored.scores if coding.scored else {}
        record = {
            "id": export_id,
            "file": coding.comment.source,
            "question": coding.comment.question,
            "text": coding.comment.text,
            "attributes": coding.comment.attributes,
            "codes": _known(coding.codes, ids),
            "coding": coding.provenance,
            "reviewers": list(coding.reviewers),
            "memo": coding.memo,
            "flagged": list(coding.flagged),
            "model_version": model,
            "codebook_version": codebook_version,
            "scores": {t: round(scores[t], 4) for t in ids if t in scores},
            "themes": [_theme_record(t) for t in coding.themes if t.theme in ids],
        }
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _theme_record(theme: ThemeCoding) -> dict[str, Any]:
    evidence = theme.suggestion.evidence if theme.suggestion else ()
    return {
        "theme": theme.theme,
        "coded": theme.coded,
        "status": theme.status,
        "source": _source(theme),
        "score": None if theme.score is None else round(theme.score, 4),
        "evidence": [asdict(e) for e in evidence],
        "reviewers": list(theme.reviewers),
        "decided_at": theme.decided_at,
    }


_WRITERS = {"wide": _write_wide, "long": _write_long}


# ---------------------------------------------------------------------------------- REFI-QDA


def project_comments(codings: ProjectCodings, rows: Rows) -> Iterator[ProjectComment]:
    """The comments as REFI-QDA sources, made as `rows` are read. The respondent is the
    comment's id in its file, so answers from several files of one survey meet in one case. A
    QDA program keeps coding per user, so each reviewer's own coding goes in (a theme their
    colleagues did not choose, a "No theme"), with the model's and the rules' suggestions
    behind the comment's final codes, and an adjudication as the coding of ADJUDICATION_USER."""
    ids = set(codings.book.codable_ids)
    for export_id, coding in rows:
        own = codings.coders_codes(coding.comment.id)
        adjudicated = codings.adjudication(coding.comment.id)
        if adjudicated is not None:
            own[ADJUDICATION_USER] = adjudicated
        suggested_at = _run_time(codings.store, coding)
        yield ProjectComment(
            export_id,
            coding.comment.text,
            respondent=coding.respondent,
            attributes=coding.comment.attributes,
            codings=[
                made for theme in _coded(coding, ids) for made in _suggested(theme, suggested_at)
            ]
            + _people(coding, own, ids),
            memos=coding.memos,
        )


def _people(coding: FinalCoding, own: Mapping[str, set[str]], ids: set[str]) -> list[ProjectCoding]:
    """Each reviewer's coding of the comment on the whole comment, "No theme" where it was."""
    decided = {theme.theme: theme.decided_at for theme in coding.themes}
    made = []
    for name, themes in sorted(own.items()):
        coded = sorted(t for t in themes if t in ids)  # not a theme the codebook dropped
        made += [ProjectCoding(t, name, None, None, decided.get(t)) for t in coded]
        if not themes:
            made.append(ProjectCoding(NO_THEME, name))
    return made


def _run_time(store: Store, coding: FinalCoding) -> str | None:
    return store.run(coding.scored.run_id).created_at if coding.scored else None


def _suggested(theme: ThemeCoding, suggested_at: str | None) -> list[ProjectCoding]:
    """The model's or the rules' coding on each evidence span (the whole comment without
    evidence)."""
    if theme.suggestion is None:
        return []
    user = RULES_USER if theme.suggestion.source == "rule" else MODEL_USER
    spans = [(e.start, e.end) for e in theme.suggestion.evidence] or [(None, None)]
    return [ProjectCoding(theme.theme, user, a, b, suggested_at) for a, b in spans]
