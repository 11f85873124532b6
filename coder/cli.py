"""The `coder` command: a thin click layer over the library. Data to stdout, messages to stderr."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shlex
import signal
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from coder import __version__
from coder.console import PlainConsole, printable
from coder.errors import CoderError, InputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from coder.codebook import Codebook
    from coder.store import ImportSink
    from coder.tagging import TagSummary

# Messages carry file, column and codebook names and comments: the user's text, not markup.
err = PlainConsole(stderr=True)


def _notes(notes: Iterable[str]) -> None:
    """Each note that says something, on stderr (a plain console: a sheet's or a file's name
    is never read as markup)."""
    for note in notes:
        if note:
            err.print(f"Note: {note}")


def out() -> Console:
    # Built per call so that click's CliRunner, which swaps sys.stdout, captures it. Into a
    # file or a pipe, nothing is cropped to a terminal's width.
    width = None if sys.stdout.isatty() else 200
    return PlainConsole(file=sys.stdout, width=width)


class _Group(click.Group):
    """Turns our own exceptions into `Error: ...` on stderr with exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoderError as exc:  # ids, columns and codes from files: no control sequences
            raise click.ClickException(printable(str(exc))) from None
        except sqlite3.DatabaseError as exc:  # damaged after it was opened as a project
            raise click.ClickException(
                f"the project cannot be read ({exc}): it is damaged; restore it from a backup"
            ) from None
        except BrokenPipeError:
            raise
        except OSError as exc:  # a read-only or full disk, a permission: nothing was replaced
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(printable(f"{where}{exc.strerror or exc}")) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="coder")
def cli() -> None:
    """Code free-text comments into qualitative themes, offline.

    \b
    Example:
      coder tag samples/coproduction_comments.csv -o coded.csv
    """


@cli.group()
def codebook() -> None:
    """Check, show, import and export codebooks.

    \b
    Example:
      coder codebook validate codebooks/coproduction.yaml
    """


@codebook.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
def codebook_validate(path: str) -> None:
    """Check a codebook and list every problem, with its line.

    \b
    Example:
      coder codebook validate codebooks/coproduction.yaml
    """
    from coder.codebook_io import load_codebook
    from coder.resources import resolve

    book = load_codebook(resolve("codebooks", path))
    click.echo(
        f"{path}: valid: '{book.name}' version {book.version}, {len(book.themes)} themes "
        f"({len(book.codable)} codable)"
    )


@codebook.command("show")
@click.argument("path", type=click.Path(dir_okay=False))
def codebook_show(path: str) -> None:
    """Show a codebook's themes as a tree.

    \b
    Example:
      coder codebook show codebooks/coproduction.yaml
    """
    from coder.codebook_io import load_codebook
    from coder.render import codebook_tree
    from coder.resources import resolve

    out().print(codebook_tree(load_codebook(resolve("codebooks", path))))


@codebook.command("diff")
@click.argument("books", nargs=-1, metavar="[OLD] NEW", required=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="Count the project's reviewed comments each change touches; with NEW alone, compare "
    "the project's codebook to NEW.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
def codebook_diff(books: tuple[str, ...], db: str | None, as_json: bool) -> None:
    """What changed between two codebook versions, and what that does to coding: themes
    added, taken over, split or dropped (their codes left out), relabelled, moved, reworded.
    Exits with 1 if the new codebook would leave reviewers' codes out.

    \b
    Example:
      coder codebook diff codebooks/v1.yaml codebooks/v2.yaml
      coder codebook diff codebooks/v2.yaml --db coding.db
    """
    from coder.codebook_diff import coded_counts, diff_codebooks, diff_renderables, touched
    from coder.codebook_io import load_codebook
    from coder.resources import resolve
    from coder.store import Store

    if len(books) > 2 or (len(books) == 1 and db is None):
        raise InputError(
            "give two codebooks, OLD and NEW, or NEW and --db PROJECT to compare "
            "the project's codebook with it"
        )
    new = load_codebook(resolve("codebooks", books[-1]))
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(Store(db, create=False)) if db else None
        old = load_codebook(resolve("codebooks", books[0])) if len(books) == 2 else None
        old = old or store.latest_codebook()
        diff = diff_codebooks(old, new)
        if store is not None:
            diff.coded = coded_counts(store, old, touched(diff))
    if as_json:
        click.echo(json.dumps(diff.to_dict(), indent=2, ensure_ascii=False))
    else:
        console = out()
        for part in diff_renderables(diff, old, new):
            console.print(part)
    if diff.loses_codes:
        sys.exit(1)


@codebook.command("import")
@click.argument("source", type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, help="The codebook YAML to write.")
@click.option("--name", help="Codebook name (default: from the file name).")
@click.option(
    "--label-column", default="label", show_default=True, help="Column of theme labels (CSV)."
)
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
def codebook_import(
    source: str, output: str, name: str | None, label_column: str, force: bool
) -> None:
    """Make a codebook from a CSV of themes or a REFI-QDA codebook (.qdc).

    The CSV has a `label` column and optional `id`, `parent` (or `major_category`),
    `definition`, `brief` and `color` columns, and `include`, `exclude`, `examples`,
    `counter_examples` and `patterns` columns of items separated by ;. A .qdc file exported by
    NVivo, ATLAS.ti, MAXQDA or `coder codebook export` keeps its hierarchy, colours and
    descriptions.

    \b
    Example:
      coder codebook import themes.csv -o codebooks/mine.yaml
      coder codebook import nvivo_codes.qdc -o codebooks/mine.yaml
    """
    from coder.codebook_import import import_csv
    from coder.codebook_io import write_codebook
    from coder.fileio import check_not_input
    from coder.refi_codebook import read_qdc

    check_not_input(output, source)
    if Path(output).suffix.casefold() not in (".yaml", ".yml"):
        raise InputError(
            f"{output}: `codebook import` writes a YAML codebook: name the output .yaml "
            "(`coder codebook export` writes a .qdc)"
        )
    if Path(source).suffix.casefold() == ".qdc":
        imported = read_qdc(source, name)
        book, notes = imported.codebook, imported.notes
    else:
        book, notes = import_csv(source, name, label_column)
    _notes(notes)
    write_codebook(book, output, force=force)
    err.print(f"Wrote {output}: {len(book.themes)} themes ({len(book.codable)} codable)")


@codebook.command("export")
@click.argument("path", metavar="CODEBOOK", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, help="The file to write.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["qdc"]),
    default="qdc",
    show_default=True,
    help="qdc: a REFI-QDA codebook for NVivo, ATLAS.ti and MAXQDA.",
)
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
def codebook_export(path: str, output: str, fmt: str, force: bool) -> None:
    """Write a codebook for other QDA programs, as a REFI-QDA codebook (.qdc).

    Codes keep the hierarchy, colours and definitions (in each code's description).
    Patterns are left out: REFI-QDA has no place for them.

    \b
    Example:
      coder codebook export codebooks/coproduction.yaml -o coproduction.qdc
    """
    from coder.codebook_io import load_codebook
    from coder.fileio import check_not_input
    from coder.refi_codebook import write_qdc
    from coder.resources import resolve

    source = resolve("codebooks", path)
    check_not_input(output, source)  # a .qdc over the YAML would lose its patterns
    if Path(output).suffix.casefold() in (".yaml", ".yml", ".csv", ".xlsx"):
        raise InputError(f"a .qdc is XML, not {Path(output).suffix}: name the file .qdc")
    book = load_codebook(source)
    write_qdc(book, output, force=force)
    if output != "-":  # stdout carries the codebook alone
        err.print(f"Wrote {output}: {len(book.themes)} codes ({len(book.codable)} codable)")


def _model(codebook_path: str | None, model_path: str | None, spacy_model: str | None) -> Any:
    """The model to tag with: -m, else a cold start from -c, else the shipped model."""
    from coder.codebook_io import load_codebook
    from coder.errors import ModelError
    from coder.model import load_model
    from coder.resources import DEFAULT_MODEL, resolve, shipped
    from coder.training import cold_start

    codebook = load_codebook(resolve("codebooks", codebook_path)) if codebook_path else None
    if spacy_model and (model_path or codebook is None):
        raise InputError(
            "--spacy-model is for a cold start from a codebook (-c CODEBOOK): a trained model "
            "tags with the pipeline it was trained with (`coder train --spacy-model` builds on "
            "another)"
        )
    if model_path:
        return load_model(resolve("models", model_path), codebook)
    if codebook is not None:
        err.print(
            "No model given: coding from the codebook alone (its patterns and examples). "
            "Train one with `coder train` for better results."
        )
        model = cold_start(codebook, spacy_model)
        if model.meta["rules_only"]:
            err.print(
                f"The codebook has {len(codebook.codable)} codable theme"
                f"{'s' if len(codebook.codable) != 1 else ''}: too few for its examples to tell "
                "a theme from none, so comments are coded by its patterns alone (scores are 0). "
                "Add themes, or train a model on coded comments."
            )
        return model
    default = shipped("models", DEFAULT_MODEL)
    if default is None:
        raise ModelError("no shipped model found; give a codebook with -c or a model with -m")
    return load_model(default)


_SHEET = click.option(
    "--sheet", help="The sheet to read, for an Excel workbook (default: the first)."
)
_QUESTION = click.option(
    "--question",
    help="Only the answers to this question (a text column tagged into the project).",
)
_EXCEL = click.option(
    "--excel",
    is_flag=True,
    help="Write CSV as UTF-8 with a BOM so Excel shows accents (a name ending in .xlsx writes "
    "a workbook instead).",
)


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-c", "--codebook", "codebook_path", help="Codebook YAML (or a shipped name).")
@click.option("-m", "--model", "model_path", help="Model folder (or a shipped name).")
@click.option(
    "--text-column",
    "text_columns",
    multiple=True,
    help="Column holding the comments (default: guessed). With --db, repeat it for a survey's "
    "several questions: each answer is a comment of its own.",
)
@click.option("--id-column", help="Column identifying each comment (default: id).")
@click.option(
    "-o",
    "--output",
    help="Output file (.xlsx: an Excel workbook), - for stdout (default: stdout; none with --db).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="Also store the comments and suggestions in this project file (created if new).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["wide", "long", "jsonl"]),
    help="wide (the default; jsonl for a file name ending .jsonl): a 0/1 column per theme; "
    "long: a row per code.",
)
@click.option(
    "--input-format",
    type=click.Choice(["csv", "tsv", "xlsx", "jsonl"]),
    help="Input format (default: from the file name or content).",
)
@_SHEET
@click.option(
    "--n-process",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Processes to use for big files.",
)
@click.option("--spacy-model", help="An installed spaCy pipeline to use (cold start only).")
@_EXCEL
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
def tag(
    input_path: str,
    codebook_path: str | None,
    model_path: str | None,
    text_columns: tuple[str, ...],
    id_column: str | None,
    output: str | None,
    db: str | None,
    fmt: str | None,
    input_format: str | None,
    sheet: str | None,
    n_process: int,
    spacy_model: str | None,
    excel: bool,
    force: bool,
) -> None:
    """Tag every comment in a CSV, TSV, XLSX or JSONL file with themes.

    With no -c or -m, uses the shipped co-production model. With -c only, codes from the
    codebook's patterns and examples (no training needed).

    With --db, the comments and their suggestions go into a coding project for `coder review`;
    tagging the same file again adds nothing twice (with the same model and no -o, only rows
    the project lacks are tagged: rows added since, or the rest after Ctrl-C), and a new model
    or codebook adds a new run. A survey's several open questions each go in with their own
    --text-column.

    \b
    Example:
      coder tag samples/coproduction_comments.csv -o coded.csv
      coder tag survey.xlsx -m models/mine --format long -o codes.csv
      coder tag survey.csv --db coding.db
      coder tag survey.csv --text-column good --text-column improve --db coding.db
    """
    import contextlib

    from coder.fileio import check_writable
    from coder.table_out import check_table_name
    from coder.tagging import check_text_columns, tag_file

    if output is None:
        output = None if db else "-"
    fmt = _format_of(output, fmt, {".jsonl": "jsonl"}, "wide")
    _check_questions(input_path, text_columns, output, db)
    if len(text_columns) > 1:
        check_text_columns(input_path, text_columns, input_format, sheet)
    if output not in (None, "-"):
        check_writable(output, force)
        if fmt != "jsonl":
            check_table_name(output)
        if db and Path(output).resolve() == Path(db).resolve():
            raise InputError("-o and --db name the same file; give the output a name of its own")
    model = _model(codebook_path, model_path, spacy_model)
    _long_run_gc()
    for text_column in text_columns or (None,):
        # made by this pass (a second question's pass finds the first's comments there)
        created = db is not None and not Path(db).exists()
        with contextlib.ExitStack() as stack:
            sink = None
            if db:
                from coder.coding import left_out_note
                from coder.store import ImportSink, Store

                store = stack.enter_context(Store(db))
                before = store.latest_codebook() if store.latest_run() else None
                name = model_path or (
                    f"cold start of {codebook_path}" if codebook_path else "shipped"
                )
                sink = ImportSink(store, model, name, input_path)
            done = text_columns[: text_columns.index(text_column)] if text_column else ()
            with _progress(output) as advance, _stopped_part_way(sink, created, text_column, done):
                summary = tag_file(
                    model,
                    input_path,
                    output,
                    fmt=fmt,
                    text_column=text_column,
                    id_column=id_column,
                    input_format=input_format,
                    sheet=sheet,
                    force=force,
                    n_process=n_process,
                    excel=excel,
                    progress=advance,
                    sink=sink,
                )
            left_out = ""
            if sink is not None:
                book = store.latest_codebook()
                left_out = _codebook_change(before, book) + left_out_note(store, book)
        _tagged(summary, output, db, sink, left_out.strip())


@contextlib.contextmanager
def _stopped_part_way(
    sink: ImportSink | None, created: bool, column: str | None = None, earlier: Sequence[str] = ()
) -> Iterator[None]:
    """When bad input stops `tag --db` (its pass for text `column`, after the passes for the
    `earlier` columns), the project is left as it was before the pass: a project it made is
    removed, else the comments it added and its new run (`ImportSink.abandon`)."""

    try:
        yield
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, or SIGTERM (`stop_cleanly_on_sigterm`)
        if sink is not None:
            sink.stop()
        if sink is not None and sink.rows:
            err.print(
                Text(
                    f"Stopped: {sink.rows:,} of this file's comments are in {sink.store.path} "
                    f"with run {sink.run_id}'s suggestions so far; the same command adds the rest"
                )
            )
        raise
    except CoderError as exc:  # bad input, or an output refused once the run was made
        if sink is None:
            raise
        stored, path = sink.rows, sink.store.path
        sink.abandon(created)
        if not stored:
            raise
        if earlier:  # the columns tagged before this one, in this command, are kept
            what = f"column '{column}'"
            kept = f"{path} keeps the columns tagged before it: {', '.join(earlier)}"
        else:
            what = "this file"
            kept = "no project was made" if created else f"{path} is as it was"
        raise type(exc)(
            f"{exc}\nNothing from {what} was kept ({kept}); fix it and run the command again"
        ) from None


def _codebook_change(before: Codebook | None, after: Codebook) -> str:
    """A line saying how the project's codebook changed with this run, if it did."""
    if before is None or before.content_hash() == after.content_hash():
        return ""
    from coder.codebook_diff import diff_codebooks, summary_line

    return (
        f"The project's codebook changed: {summary_line(diff_codebooks(before, after))} "
        "(`coder codebook diff OLD.yaml NEW.yaml` lists each change)\n"
    )


def _check_questions(
    input_path: str, text_columns: tuple[str, ...], output: str | None, db: str | None
) -> None:

    if len(text_columns) > 1 and input_path == "-":
        raise InputError(
            "several --text-column read the input once per column, and stdin can be read once: "
            "give the file's name"
        )
    if len(text_columns) > 1 and (output is not None or not db):
        raise InputError(
            "several --text-column go into a project, each answer a comment of its own: give "
            "--db PROJECT and no -o (then `coder export` writes them all), or tag one column "
            "at a time"
        )


def _tagged(
    summary: TagSummary, output: str | None, db: str | None, sink: ImportSink | None, left_out: str
) -> None:
    """What one tagging pass did, on stderr."""
    _notes([summary.sheet_note])
    where = " and ".join(t for t in ("stdout" if output == "-" else output, db) if t)
    err.print(
        f"Tagged {summary.comments:,} comment{'' if summary.comments == 1 else 's'} "
        f"from column '{summary.text_column}' "
        f"({summary.coded:,} with at least one theme) -> {where}"
    )
    if sink is not None:
        err.print(
            f"Project {db}: {sink.new_comments:,} new comments, "
            f"{sink.rows - sink.new_comments:,} already there; suggestions in run {sink.run_id}"
        )
        changed = [
            f"{sink.updated:,} of the comments already there have other attribute values in "
            "this file (a corrected role, a new column): the project now has the file's"
            if sink.updated
            else "",
            f"{sink.filled:,} of the comments already there were blank and have text in this "
            "file: they take it, to be coded"
            if sink.filled
            else "",
            f"{sink.gone} comment{'s' if sink.gone != 1 else ''} the project holds from this "
            f"file (this column) {'is' if sink.gone == 1 else 'are'} no longer in it (rows "
            "removed, or their ids changed): the project keeps them as they were"
            if sink.gone > 0
            else "",
        ]
        _notes(changed)
    if left_out:
        err.print(left_out)


def _long_run_gc() -> None:
    """Before a long tagging run: the loaded model (vocabulary, caches) is permanent, so move it
    out of the collector's sight, and collect less often. Python's default, a pass every 700
    new containers, scans millions of live objects again and again: about 15% of the run."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@contextlib.contextmanager
def _progress(output: str | None) -> Iterator[Any]:
    """The tagging bar: by the share of the input file read, or by comments where its size is
    not known (stdin). A no-op callback (None) as `_bar` says."""
    with _bar("tagging", output) as update:

        def advance(done: int, table: Any) -> None:
            if table.bytes_total:
                label = f"tagging ({done:,} comments)"
                completed = int(100 * table.bytes_read / table.bytes_total)
                update(total=100, completed=completed, description=label)
            else:
                update(completed=done)

        yield None if update is None else advance


@contextlib.contextmanager
def _counting(action: str, output: str | None = None) -> Iterator[Any]:
    """A bar counting the comments an export or report has read (`coder.coding.Progress`); it
    runs, with no total yet, while the project's decisions are folded."""
    with _bar(action, output) as update:

        def advance(done: int, total: int) -> None:
            update(total=total, completed=done, description=f"{action} ({done:,} comments)")

        yield None if update is None else advance


@contextlib.contextmanager
def _bar(description: str, output: str | None = None) -> Iterator[Any]:
    """A transient progress bar on stderr, yielding its update function (rich's `update`
    keywords), or None when stderr is not a terminal (piped or logged output stays clean) or
    when the rows go to the same terminal (`output` is `-`: they show what is done)."""
    if not err.is_terminal or (output == "-" and sys.stdout.isatty()):
        yield None
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    columns = ("{task.description}", BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    # Not redirected: rich would print what goes to stdout (rows on their way to a file or a
    # pipe) on the terminal instead.
    bar = Progress(*columns, console=err, transient=True, redirect_stdout=False)
    with bar as progress:
        task = progress.add_task(description, total=None)
        yield lambda **fields: progress.update(task, **fields)


def _labelled_options(command: Any) -> Any:
    """The options that say how to read a file of comments coded by hand."""
    options = [
        click.option("--text-column", help="Column holding the comments (default: guessed)."),
        click.option(
            "--codes-column",
            default="codes",
            show_default=True,
            help="Column of theme ids or labels, separated by ;",
        ),
        click.option("--id-column", help="Column identifying each comment (default: id)."),
        click.option(
            "--comments",
            type=click.Path(dir_okay=False),
            help="Join texts from this file by id (for a file of ids and codes only).",
        ),
        _SHEET,
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command()
@click.argument("labelled", required=False, type=click.Path(dir_okay=False))
@click.option(
    "-c",
    "--codebook",
    "codebook_path",
    help="Codebook YAML or a shipped name (default: coproduction; with --db, the project's).",
)
@click.option("-o", "--output", required=True, help="Model folder to write.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="Train on the reviewed comments of this project instead of a labelled file.",
)
@_labelled_options
@click.option(
    "--folds", default=5, show_default=True, type=click.IntRange(2), help="Cross-validation folds."
)
@click.option(
    "--at-least-one/--allow-none",
    default=None,
    help="Give every comment a theme (default: if every labelled comment has one).",
)
@click.option("--spacy-model", help="An installed spaCy pipeline to build on.")
@click.option(
    "--embeddings/--no-embeddings",
    default=True,
    show_default=True,
    help="Let cross-validation try sentence embeddings; --no-embeddings: word and character "
    "features only (a smaller, faster model that needs no embedding table).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the cross-validated figures as JSON.")
@click.option("--force", is_flag=True, help="Overwrite the model folder if it exists.")
def train(
    labelled: str | None,
    codebook_path: str | None,
    output: str,
    db: str | None,
    text_column: str | None,
    codes_column: str,
    id_column: str | None,
    comments: str | None,
    sheet: str | None,
    folds: int,
    at_least_one: bool | None,
    spacy_model: str | None,
    embeddings: bool,
    as_json: bool,
    force: bool,
) -> None:
    """Train a model on comments coded by hand and print cross-validated figures.

    LABELLED has a text column and a codes column (theme ids or labels separated by ;). With
    --db instead, trains on the comments reviewed in a coding project.

    \b
    Example:
      coder train samples/coproduction_train.csv -c codebooks/coproduction.yaml -o models/mine
      coder train --db coding.db -o models/mine
    """
    from coder import training
    from coder.codebook_io import load_codebook
    from coder.labelled import read_labelled
    from coder.model import check_model_folder
    from coder.render import metrics_table
    from coder.resources import resolve

    if (labelled is None) == (db is None):
        raise InputError("give either a labelled file or --db PROJECT to train on")
    check_model_folder(output, force)  # before the work, not after it

    def say(message: str) -> None:
        err.print(message[0].upper() + message[1:] + "...")

    options = {
        "spacy_model": spacy_model,
        "folds": folds,
        "at_least_one": at_least_one,
        "candidates": training.CANDIDATES if embeddings else training.WORDS_ONLY,
    }
    book = load_codebook(resolve("codebooks", codebook_path)) if codebook_path else None
    if db:
        from coder.learning import train_from_project

        model, reviewed = train_from_project(db, book, progress=say, **options)
        count = len(reviewed.texts)
        if reviewed.conflicts:
            err.print(
                f"Left out {reviewed.conflicts:,} reviewed comments whose reviewers differ, "
                "until they are adjudicated"
            )
        if reviewed.left_out:
            err.print(reviewed.left_out)
    else:
        assert labelled is not None
        book = book or load_codebook(resolve("codebooks", "coproduction"))
        data = read_labelled(labelled, book, text_column, codes_column, id_column, comments, sheet)
        _notes([data.sheet_note, data.blank_note, data.repeat_note])
        model = training.train(book, data.texts, data.codes, progress=say, **options)
        count = len(data.texts)
    model.save(output, force=force)
    if at_least_one is None and model.decision.at_least_one:
        err.print(
            f"Note: all {count:,} comments it learnt from have a theme, so the model gives every "
            "comment at least one. If some answers should have none, code them with no theme "
            "(none), or train with --allow-none"
        )
    cv = model.meta.get("cv")
    if as_json:
        click.echo(json.dumps(cv, indent=2))
    elif cv:
        title = f"Cross-validated ({folds} folds) on {count:,} comments"
        out().print(metrics_table(cv, model.codebook, title))
    err.print(f"Saved model to {output}")


@cli.command()
@click.argument("gold", type=click.Path(dir_okay=False))
@click.option(
    "-m",
    "--model",
    "model_path",
    help="Model folder (or a shipped name; default: the shipped co-production model).",
)
@click.option(
    "-c",
    "--codebook",
    "codebook_path",
    help="With -m, check the model against it; alone, score the codebook's cold start.",
)
@_labelled_options
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def evaluate(
    gold: str,
    model_path: str | None,
    codebook_path: str | None,
    text_column: str | None,
    codes_column: str,
    id_column: str | None,
    comments: str | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Score a model against comments coded by hand: precision, recall, F1 per theme, and
    the micro and macro averages with their 95% bootstrap intervals.

    With -c and no -m, scores what the codebook alone gives (the cold start).

    \b
    Example:
      coder evaluate samples/coproduction_heldout.csv -m models/coproduction
      coder evaluate samples/coproduction_heldout.csv -c codebooks/coproduction.yaml
    """
    from coder.evaluation import evaluate as run_evaluation
    from coder.labelled import read_labelled
    from coder.render import metrics_table

    model = _model(codebook_path, model_path, None)
    data = read_labelled(
        gold, model.codebook, text_column, codes_column, id_column, comments, sheet
    )
    _notes([data.sheet_note, data.blank_note])
    seen = _learned_from(model, data.texts)
    if seen >= 0.1 * len(data.texts):  # a few short answers ("Nothing to add") always recur
        err.print(
            f"Warning: {seen:,} of the {len(data.texts):,} comments in {gold} are ones the model "
            "learnt from, so these figures flatter it; score it on comments it has not seen"
        )
    result = run_evaluation(model, data.texts, data.codes)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        scored = model_path or (
            "the cold start of " + codebook_path if codebook_path else "the shipped model"
        )
        out().print(metrics_table(result, model.codebook, f"{gold} against {scored}"))


def _learned_from(model: Any, texts: list[str]) -> int:
    """How many of `texts` the model was trained on (its meta keeps a hash of each)."""
    from coder.training import learned_hashes, text_hash

    learned = learned_hashes(model.meta)
    return sum(text_hash(text) in learned for text in texts if text.strip()) if learned else 0


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--accept-part",
    metavar="FILE",
    help="Take the stopped import of FILE (as status names it) as done: the comments it stored "
    "stay, the rest of the file stays out, and nothing calls it unfinished any more.",
)
def status(db: str, as_json: bool, accept_part: str | None) -> None:
    """Show a coding project's progress: reviewed counts, decisions per theme, and the
    precision and recall of the suggestions on the reviewed comments.

    \b
    Example:
      coder status coding.db
      coder status coding.db --accept-part survey.csv
    """
    from coder.status import project_status, status_renderables
    from coder.store import Store

    if accept_part is not None:
        from coder.status import accept_part as settle

        with Store(db, create=False) as store:
            settled = settle(store, accept_part)
        stored = sum(u.stored for u in settled)
        err.print(
            Text(
                f"Import of {accept_part} taken as done: the {stored:,} comments it stored stay, "
                "and the rest of the file stays out (tagging it again would add them)"
            )
        )
        return

    with Store(db, create=False) as store, _bar("reading the project"):
        result = project_status(store)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    console = out()
    for renderable in status_renderables(result):
        console.print(renderable)


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option(
    "--withdraw",
    type=int,
    metavar="RUN",
    help="Withdraw a run (undo an automatic coding): its comments show their previous run's "
    "suggestions again. Its scores stay on record.",
)
@click.option("--restore", type=int, metavar="RUN", help="Put a withdrawn run back in use.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs(db: str, withdraw: int | None, restore: int | None, as_json: bool) -> None:
    """List a coding project's model runs: each run's model and codebook, the comments it
    scored and those that show its suggestions now; withdraw a run, or restore it.

    \b
    Example:
      coder runs coding.db
      coder runs coding.db --withdraw 3
    """
    from coder.render import runs_table
    from coder.runs import run_summaries, set_withdrawn
    from coder.store import Store

    if withdraw is not None and restore is not None:
        raise InputError("choose --withdraw or --restore, not both")
    with Store(db, create=False) as store:
        if withdraw is not None or restore is not None:
            change = set_withdrawn(store, withdraw or restore or 0, withdraw is not None)
            err.print(Text(change.summary(db)))
        found = run_summaries(store)
    if as_json:
        click.echo(json.dumps([summary.to_dict() for summary in found], indent=2))
    else:
        out().print(runs_table(found))


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option("--groups", type=int, help="How many groups (default: about sqrt(comments / 2)).")
@click.option("--all", "every", is_flag=True, help="Group every comment, not only the uncoded.")
@_QUESTION
@click.option(
    "--examples", default=3, show_default=True, type=click.IntRange(1), help="Comments per group."
)
@click.option(
    "--draft",
    "draft_path",
    help="Also write a codebook YAML with a draft theme per group, to edit into your codebook.",
)
@click.option("--force", is_flag=True, help="Overwrite the --draft file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON.")
def discover(
    db: str,
    groups: int | None,
    every: bool,
    question: str | None,
    examples: int,
    draft_path: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Group a project's comments with no theme by likeness, to find the themes the codebook
    lacks: each group's size, its most distinctive words and the comments nearest its centre.

    \b
    Example:
      coder discover coding.db
      coder discover coding.db --groups 5 --draft draft_themes.yaml
    """
    from coder.codebook_io import write_codebook
    from coder.discovery import discover as find_groups
    from coder.discovery import draft_codebook, group_dicts, project_leftovers
    from coder.fileio import check_writable
    from coder.render import groups_renderables
    from coder.store import Store

    if draft_path:
        check_writable(draft_path, force)
    with Store(db, create=False) as store:
        found = project_leftovers(store, every, question)
    grouped = find_groups(found.texts, groups, examples=examples)
    if draft_path:
        write_codebook(draft_codebook(grouped, found.texts, db), draft_path, force)
        err.print(Text(f"Wrote {len(grouped)} draft themes to {draft_path}"))
    if as_json:
        click.echo(json.dumps(group_dicts(grouped, found.names, found.texts), indent=2))
        return
    console = out()
    for renderable in groups_renderables(grouped, found):
        console.print(renderable)


def _names(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    """A comma-separated list of names (reviewers, coders), blanks dropped."""
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


@cli.command("import")
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--reviewer",
    help="Whose coding it is (required for a spreadsheet); for a .qdpx, import only this "
    "user's coding (default: every user's, each under their name).",
)
@click.option(
    "--as",
    "rename",
    metavar="NAME",
    help="Record a .qdpx user's coding under this reviewer name (with --reviewer if it has "
    "several users).",
)
@click.option("--id-column", help="Column of comment ids (default: id).")
@click.option(
    "--codes-column",
    help="Column of theme ids or labels, separated by ; (default: codes, and any column headed "
    "by a theme's id or label, read as 0/1).",
)
@click.option("--text-column", help="Column of the comments' text, checked against the project's.")
@click.option("--sheet", help="The sheet to read, for an Excel workbook (default: the first).")
@click.option(
    "--blank-is-none",
    is_flag=True,
    help="A row with no codes was coded with no theme (default: not coded yet, left out).",
)
@click.option(
    "--long",
    "long_rows",
    is_flag=True,
    help="A row per code (a QDA program's coded segments, coder's long export): the rows of "
    "one id are one comment's codes.",
)
@click.option(
    "--ignore-unknown", is_flag=True, help="Leave out codes the codebook has no theme for."
)
@click.option(
    "--adjudicate",
    is_flag=True,
    help="The file is the --reviewer's adjudication (final coding) of its comments, e.g. the "
    "sheet of `coder agree --disagreements -o` filled in.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--undo",
    is_flag=True,
    help="Take back the --reviewer's last import (with --adjudicate: of adjudication), if it "
    "is their last step.",
)
@click.option(
    "--list", "listing", is_flag=True, help="List the project's imports: who, when, which file."
)
@click.option("--json", "as_json", is_flag=True, help="With --list: print the imports as JSON.")
def import_command(
    db: str,
    file: str | None,
    reviewer: str | None,
    rename: str | None,
    id_column: str | None,
    codes_column: str | None,
    text_column: str | None,
    sheet: str | None,
    blank_is_none: bool,
    long_rows: bool,
    ignore_unknown: bool,
    adjudicate: bool,
    dry_run: bool,
    undo: bool,
    listing: bool,
    as_json: bool,
) -> None:
    """Import coding done elsewhere as reviewers' decisions: a spreadsheet of ids and codes, or
    a REFI-QDA project (.qdpx) coded in NVivo, ATLAS.ti, MAXQDA or QualCoder.

    A coder's coding of a comment in FILE replaces theirs in the project, and the comment
    counts as reviewed by them: `agree`, `train --db`, `export` and `report` use it like
    coding done in `coder review`. With --adjudicate, FILE is the final coding of the
    comments it lists, as `coder review --adjudicate` records it. Each import is one step,
    undone with --undo.

    \b
    Example:
      coder import coding.db ana_coding.csv --reviewer ana
      coder import coding.db nvivo_project.qdpx
      coder import coding.db nvivo_project.qdpx --reviewer "A Smith" --as ana
      coder import coding.db --undo --reviewer ana
      coder import coding.db disagreements.csv --adjudicate --reviewer cy
      coder import coding.db --list
    """
    from coder.coding_import import import_coding
    from coder.external import TableColumns
    from coder.render import import_table
    from coder.store import Store

    if listing:
        if file is not None or undo:
            raise InputError("--list takes the project alone")
        _list_imports(db, as_json)
        return
    if undo:
        if file is not None or not reviewer:
            raise InputError("--undo takes the project and --reviewer NAME, and no file")
        _undo_import(db, reviewer, adjudicate, dry_run)
        return
    if adjudicate and not reviewer:
        raise InputError(
            "name the adjudicator with --reviewer NAME: the file goes into the project as "
            "their adjudication"
        )
    if file is None:
        raise InputError("give the file of coding to import: coder import PROJECT FILE")
    columns = TableColumns(id_column, codes_column, text_column, sheet, blank_is_none, long_rows)
    with Store(db, create=False) as store, _bar("importing"):
        result = import_coding(
            store, file, reviewer, columns, ignore_unknown, dry_run, rename, adjudicate
        )
    out().print(import_table(result))
    _notes(result.notes)
    err.print(Text(_import_outcome(result, db, dry_run, adjudicate)))


def _write_agreement(result: Any, book: Any, output: str, force: bool, excel: bool) -> None:
    from coder.agreement_sheet import write_agreement_table

    rows = write_agreement_table(result, book, output, force, excel)
    if output != "-":
        err.print(Text(f"Wrote {output}: agreement on {rows - 2} themes, the mean and the MASI"))


def _write_discussion(db: str, found: Any, output: str, force: bool, excel: bool) -> None:
    from coder.discussion import write_discussion_sheet

    rows = write_discussion_sheet(found, output, force, excel)
    settled = len(found.adjudicated)
    if output == "-":
        return  # the sheet went to stdout, perhaps into a pipe: nothing to add
    if not rows:
        on = f" on {found.theme}" if found.theme else ""
        err.print(
            Text(
                f"The coders agree{on} on every comment they all coded: nothing to settle "
                f"({output} has the header alone)."
            )
        )
        return
    err.print(
        Text(
            f"Wrote {rows} comment{'s' if rows != 1 else ''} the coders differ on to {output} "
            f"({settled} adjudicated already). Fill in its codes column (theme ids or labels, ; "
            "between; none where no theme applies; leave a row empty to settle it later), then: "
            f"coder import {db} {output} --adjudicate --reviewer NAME"
        )
    )


def _list_imports(db: str, as_json: bool) -> None:
    from coder.render import imports_table
    from coder.store import Store

    with Store(db, create=False) as store:
        records = store.imports()
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in records], indent=2))
    else:
        out().print(imports_table(records))


def _undo_import(db: str, reviewer: str, adjudication: bool, dry_run: bool) -> None:
    from coder.coding_import import undo_import
    from coder.store import Store

    with Store(db, create=False) as store:
        source, comments = undo_import(store, reviewer, adjudication, dry_run)
    counted = f"{comments:,} comment{'s' if comments != 1 else ''}"
    what = "adjudication" if adjudication else "import"
    if dry_run:
        err.print(
            Text(
                f"Dry run: would take back the {what} of {source} by {reviewer} ({counted}); "
                "nothing was written."
            )
        )
        return
    err.print(Text(f"Took back the {what} of {source} by {reviewer} ({counted})."))


def _import_outcome(result: Any, db: str, dry_run: bool, adjudicate: bool) -> str:
    if dry_run:
        return "Dry run: nothing was written."
    what = "adjudication" if adjudicate else "coding"
    if not result.recorded:
        return f"Nothing to change: the project already has this {what}."
    coders = [c.coder for c in result.coders if c.new or c.changed]
    flag = " --adjudicate" if adjudicate else ""
    name = coders[0] if len(coders) == 1 else "NAME"
    undo = f"coder import {shlex.quote(db)} --undo{flag} --reviewer {shlex.quote(name)}"
    if adjudicate:
        return f"Recorded as {name}'s adjudication, one step; to take it back: {undo}"
    return f"Recorded as one step per coder; to take it back: {undo}"


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option(
    "--double",
    "fraction",
    required=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="The share of the comments each reviewer codes, e.g. 0.2.",
)
@click.option("--reviewers", required=True, callback=_names, help="Who codes the sample: ana,ben.")
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    help="Seed of the draw (default: the sample's, else a new one).",
)
@click.option("--replace", is_flag=True, help="Draw a new sample in place of the project's.")
def sample(db: str, fraction: float, reviewers: list[str], seed: int | None, replace: bool) -> None:
    """Draw a random sample of comments for each reviewer to code on their own (double coding).

    The same seed draws the same comments. `coder review --reviewer NAME` serves each reviewer
    the sample first; `coder agree` then compares them. Run again with the same share and seed
    to assign the sample to more reviewers; another share or seed needs --replace.

    \b
    Example:
      coder sample coding.db --double 0.2 --reviewers ana,ben --seed 7
    """
    from coder.sampling import double_code
    from coder.store import Store

    with Store(db, create=False) as store:
        outcome = double_code(store, fraction, reviewers, seed, replace)
    err.print(Text(outcome.summary()))
    if outcome.added:
        sheet = shlex.join(
            ["coder", "export", db, "-o", "sample.csv", "--format", "sheet", "--sample"]
        )
        err.print(Text(f"To code it in a spreadsheet instead: {sheet}"))


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option(
    "--coders",
    callback=_names,
    help="Coders to compare, e.g. ana,ben,model (model: the latest run's suggestions above "
    "threshold; rules: its pattern matches). Default: every reviewer.",
)
@click.option("--theme", help="One theme only.")
@click.option(
    "--disagreements",
    "listing",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[THEME]",
    help="List the comments the coders coded differently (on THEME, if given).",
)
@click.option(
    "-o",
    "--output",
    help="Write the figures as a table (CSV, or .xlsx); with --disagreements, a discussion "
    "sheet of them to fill in and import with `coder import --adjudicate`.",
)
@click.option(
    "--excel",
    is_flag=True,
    help="With -o: CSV as UTF-8 with a BOM so Excel shows accents (or name the file .xlsx).",
)
@click.option("--force", is_flag=True, help="With -o: overwrite the file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_QUESTION
def agree(
    db: str,
    coders: list[str] | None,
    theme: str | None,
    listing: str | None,
    question: str | None,
    output: str | None,
    excel: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Agreement between coders on the comments they all coded: per theme percent agreement,
    Cohen's kappa (two coders), Fleiss' kappa, Krippendorff's alpha and Gwet's AC1 with its
    band, and Krippendorff's alpha (MASI) over each comment's set of themes.

    \b
    Example:
      coder agree coding.db
      coder agree coding.db --coders ana,model --json
      coder agree coding.db --disagreements box_ticking
      coder agree coding.db -o agreement.xlsx
      coder agree coding.db --disagreements -o disagreements.csv
    """
    from coder.agree import project_agreement, project_disagreements
    from coder.agreement_render import agreement_table, disagreements_table
    from coder.fileio import check_writable
    from coder.store import Store

    if listing and theme and listing != theme:
        raise InputError(f"give one theme: --theme {theme} or --disagreements {listing}")
    if (excel or force) and not output:
        raise InputError("--excel and --force are for the file of -o FILE")
    if output and as_json:
        raise InputError("choose -o FILE or --json, not both")
    if output and output != "-":
        check_writable(output, force)  # before the project is read
    theme = listing or theme
    with Store(db, create=False) as store:
        if listing is None:
            result, book = project_agreement(store, coders, theme, question)
            if output:
                _write_agreement(result, book, output, force, excel)
            if as_json:
                click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            elif output != "-":  # a table on stdout comes alone
                out().print(agreement_table(result, book))
            return
        found, book = project_disagreements(store, coders, theme, question)
    if output:
        _write_discussion(db, found, output, force, excel)
        return
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
        return
    if not found.found:
        on = f" on {book.theme(found.theme).label}" if found.theme else ""
        who = " and ".join(found.coders)
        out().print(
            Text(f"No comment coded differently{on}: {who} agree on every one they all coded.")
        )
        return
    out().print(disagreements_table(found.found, book, found.texts))
    err.print(
        f"{len(found.adjudicated)} of them adjudicated; `coder review {db} --adjudicate "
        "--reviewer NAME` walks the comments coders differ on"
    )


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option("--reviewer", help="Your name in the decision log (default: your user name).")
@click.option(
    "--order",
    type=click.Choice(["uncertain", "random", "file"]),
    default="uncertain",
    show_default=True,
    help="uncertain: a draw that favours the closest calls; random: an unbiased audit sample.",
)
@click.option(
    "--theme",
    metavar="THEME",
    help="Only the comments suggested this theme (its id or label); for a theme the codebook "
    "split, the comments you coded with it, to code with its parts.",
)
@_QUESTION
@click.option(
    "--uncoded",
    is_flag=True,
    help="Only the comments with no theme (none suggested, or you coded none): the leftovers "
    "a codebook may be missing a theme for.",
)
@click.option(
    "--coded",
    metavar="THEME",
    help="Only the comments you coded with this theme (its id or label): to go over them "
    "again (after its definition changed, say).",
)
@click.option(
    "--flagged",
    is_flag=True,
    help="Only the comments coders flagged for discussion, with who flagged each and their memos.",
)
@click.option("--only-unreviewed", is_flag=True, help="Leave out the comments you reviewed.")
@click.option("--blind", is_flag=True, help="Show no suggestions: code from the codebook alone.")
@click.option(
    "--adjudicate", is_flag=True, help="Walk the comments coders differ on; record the final code."
)
def review(
    db: str,
    reviewer: str | None,
    order: str,
    theme: str | None,
    question: str | None,
    uncoded: bool,
    coded: str | None,
    flagged: bool,
    only_unreviewed: bool,
    blind: bool,
    adjudicate: bool,
) -> None:
    """Review a project's comments on screen, from the keyboard: accept, reject or add themes.

    Every decision is saved the moment it is made; review resumes where you stopped. Keys
    are shown at the bottom, ? lists them all.

    \b
    Example:
      coder review coding.db --reviewer ana
      coder review coding.db --reviewer ben --blind
      coder review coding.db --reviewer cy --adjudicate
    """
    from coder.review_app import (
        ReviewApp,
        default_reviewer,
        open_session,
        require_terminal,
        require_writable,
    )
    from coder.store import Store

    if blind and adjudicate:
        raise InputError("choose --blind or --adjudicate, not both")
    mode = "blind" if blind else "adjudicate" if adjudicate else "review"
    name = reviewer if reviewer is not None else default_reviewer()
    with Store(db, create=False) as store:
        session = open_session(
            store,
            name,
            mode,
            order=order,
            theme=theme,
            uncoded=uncoded,
            only_unreviewed=only_unreviewed,
            question=question,
            coded=coded,
            flagged=flagged,
        )
        require_writable(store)
        require_terminal()
        ReviewApp(session).run()


@cli.command("export")
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    required=True,
    help="The file to write (.xlsx: an Excel workbook; - for stdout: CSV, jsonl).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["wide", "long", "respondents", "jsonl", "sheet", "log", "qdc", "qdpx"]),
    help="Default: qdpx, qdc or jsonl for a file name ending so (which --format must not "
    "contradict), else wide. "
    "wide: a row per comment; long: a row per code; respondents: a row per respondent, "
    "each question's answer and codes side by side; sheet: an empty column per theme, to "
    "code in a spreadsheet and `coder import`; log: every decision, who made it and when (the "
    "audit trail); qdc/qdpx: REFI-QDA codebook/project.",
)
@click.option("--reviewed-only", is_flag=True, help="Only the comments a reviewer coded.")
@click.option(
    "--sample",
    is_flag=True,
    help="Only the comments of the double-coding sample (`coder sample`): with --format sheet, "
    "a sheet of them for a coder who codes in a spreadsheet.",
)
@_QUESTION
@_EXCEL
@click.option("--force", is_flag=True, help="Overwrite the output if it exists.")
def export_command(
    db: str,
    output: str,
    fmt: str | None,
    reviewed_only: bool,
    sample: bool,
    question: str | None,
    excel: bool,
    force: bool,
) -> None:
    """Export a coding project's coding for spreadsheets, statistics and QDA programs.

    Each comment has the adjudicated coding, else the one its reviewers agree on, else a single
    reviewer's, else the model's suggestions; the `coding` column says which.

    \b
    Example:
      coder export coding.db -o coded.csv
      coder export coding.db -o codes.csv --format long --reviewed-only --excel
      coder export coding.db -o coding.qdpx --format qdpx
      coder export coding.db -o to_code.csv --format sheet --excel
      coder export coding.db -o sample.csv --format sheet --sample
      coder export coding.db -o decisions.csv --format log
    """
    from coder.export import export_project

    fmt = _format_of(output, fmt, {".qdpx": "qdpx", ".qdc": "qdc", ".jsonl": "jsonl"}, "wide")
    with _counting("exporting", output) as advance:
        summary = export_project(
            db, output, fmt, reviewed_only, excel, force, question, sample, progress=advance
        )
    if fmt == "qdc":
        err.print(f"Wrote {output}: the project's codebook")
        return
    where = "stdout" if output == "-" else output
    if summary.decisions is not None:
        err.print(f"Wrote {where}: {summary.decisions:,} decisions (log)")
        return
    people = "" if summary.respondents is None else f"{summary.respondents:,} respondents from "
    err.print(f"Wrote {where}: {people}{summary.comments:,} comments ({fmt})")
    if fmt == "sheet":
        err.print(
            "Put 1 in each theme's column that applies (0 in one column for a comment no theme "
            f"applies to), then: coder import {db} {where} --reviewer NAME"
        )
        return
    err.print(summary.basis)


def _format_of(
    output: str | None, given: str | None, by_suffix: dict[str, str], default: str
) -> str:
    """`--format`, else the format a file name's ending asks for (`-o coding.qdpx`), else
    `default`; the two must not disagree (`--format wide -o coding.qdpx` wrote CSV there)."""

    suffix = "" if output in (None, "-") else Path(output).suffix.lower()
    named = by_suffix.get(suffix)
    csv_name = suffix == ".csv" and given in by_suffix.values()  # a zip or JSON called .csv
    if given and ((named and given != named) or csv_name):
        raise InputError(
            f"--format {given} and the name {output} disagree: a {suffix} file is "
            f"{named or 'a table'}; give the file a name for its format"
        )
    return given or named or default


@cli.command()
@click.argument("db", metavar="PROJECT", type=click.Path(dir_okay=False))
@click.option("--by", help="Split the counts by this attribute (a column of the comments' file).")
@click.option(
    "--html", "html_path", help="Also write the report as one HTML file (- for stdout alone)."
)
@click.option(
    "--quotes",
    default=3,
    show_default=True,
    type=click.IntRange(0),
    help="Quotes per theme, the most confident reviewed ones first.",
)
@click.option(
    "--table",
    "table_path",
    help="Also write the figures as a table: a row per theme, its counts and percentages "
    "(by group, with --by); CSV, or an Excel workbook for a name ending in .xlsx (- for "
    "CSV on stdout alone).",
)
@click.option("--reviewed-only", is_flag=True, help="Count only the comments a reviewer coded.")
@_QUESTION
@click.option("--excel", is_flag=True, help="With --table: CSV with a BOM so Excel shows accents.")
@click.option("--force", is_flag=True, help="Overwrite the HTML or table file if it exists.")
def report(
    db: str,
    by: str | None,
    html_path: str | None,
    quotes: int,
    table_path: str | None,
    reviewed_only: bool,
    question: str | None,
    excel: bool,
    force: bool,
) -> None:
    """Report a coding project: comments and respondents per theme, by group (with a test of
    whether the groups differ by more than chance), themes coded together, and quotes.

    \b
    Example:
      coder report coding.db
      coder report coding.db --by respondent_type --html report.html
      coder report coding.db --by region --table by_region.xlsx
    """
    from coder.fileio import check_writable
    from coder.report import build_report
    from coder.report_render import report_renderables
    from coder.store import Store

    if excel and not table_path:
        raise InputError("--excel is for the --table file: add --table FILE.csv")
    if html_path == "-" and table_path == "-":
        raise InputError("one of --html and --table can go to stdout (-), not both")
    if html_path and table_path and Path(html_path).resolve() == Path(table_path).resolve():
        raise InputError("--html and --table name the same file; give each a file of its own")
    piped = "-" in (html_path, table_path)  # that file is the output: no report on screen
    for path in (html_path, table_path):
        if path and path != "-":
            check_writable(path, force)
    with Store(db, create=False) as store, _counting("reading the coding") as advance:
        result = build_report(store, by, quotes, reviewed_only, question, advance)
    if table_path:  # first: a workbook is the one that can be refused (too wide for Excel)
        from coder.report_table import write_report_table

        write_report_table(result, table_path, force, excel)
    if html_path:
        from coder.report_html import write_report_html

        write_report_html(result, html_path, force)
    if piped:
        return
    console = out()
    for renderable in report_renderables(result):
        console.print(renderable)
    for path in (html_path, table_path):
        if path:
            err.print(Text(f"Wrote {path}"))


def stop_cleanly_on_sigterm() -> None:
    """`kill` (SIGTERM) exits like Ctrl-C: through the code that removes a half-written
    temporary file and rolls back an open transaction, instead of leaving them behind.

    Only this process: a forked worker (training's and tagging's pools) gets the default back,
    since a pool stops its workers with SIGTERM, and one that caught it just before blocking
    on the pool's lock would never exit, and the pool would wait for it for ever."""

    def terminated(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    os.register_at_fork(after_in_child=_default_sigterm)


def _default_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def main() -> None:
    stop_cleanly_on_sigterm()
    try:
        cli()
    except BrokenPipeError:  # `coder tag ... | head`
        sys.stderr.close()
        sys.exit(1)
