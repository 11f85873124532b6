"""The learning loop: train a model on a project's reviewed comments, then re-score the comments
nobody has reviewed yet as a new run, so that review goes on with better suggestions.

Each function opens its own connection to the project, so the review screen can run `retrain`
in a background thread while it keeps writing decisions through its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coder.codebook import Codebook
from coder.coding import left_out_note
from coder.errors import StoreError
from coder.model import ThemeModel
from coder.store import Store
from coder.training import train

Progress = Callable[[str], None]


@dataclass
class Reviewed:
    """A project's reviewed comments as training data."""

    comment_ids: list[int]
    texts: list[str]
    codes: list[list[str]]
    conflicts: int  # reviewed comments left out: their reviewers differ, nobody adjudicated
    left_out: str = ""  # reviewed codes on themes the codebook lacks (`left_out_note`)


@dataclass
class Relearned:
    model: ThemeModel
    trained_on: int
    conflicts: int
    run_id: int | None  # None where the project's suggestions were kept (`kept`)
    rescored: int
    # (the new model's cross-validated micro-F1, the suggestions' on the reviewed comments,
    # how many comments that is), where the suggestions were the better and were kept
    kept: tuple[float, float, int] | None = None
    replaced_labelled: int = 0  # the labelled comments the model of the suggestions replaced had


# Comments the project's suggestions must have been measured on for a retrained model that
# does worse than them in cross-validation to be put aside: fewer, and chance decides.
MEASURED_AT_LEAST = 20


def reviewed_data(store: Store, codebook: Codebook) -> Reviewed:
    """Texts and codes of the reviewed comments (adjudicated, or agreed by their reviewers),
    keeping only the codebook's codable themes."""
    final, conflicts = store.reviewed_codes(codebook)
    if not final:
        raise StoreError(
            f"project {store.path} has no reviewed comments yet: review some with "
            f"`coder review {store.path}` first"
        )
    texts = dict(store.texts(final))
    ids = sorted(final)
    codes = [[t for t in codebook.codable_ids if t in final[i]] for i in ids]
    return Reviewed(ids, [texts[i] for i in ids], codes, conflicts, left_out_note(store, codebook))


def train_from_project(
    db_path: str | Path,
    codebook: Codebook | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> tuple[ThemeModel, Reviewed]:
    """Train on the project's reviewed comments with its latest codebook (or `codebook`);
    `options` go to `coder.training.train` (folds, at_least_one, spacy_model...)."""
    with Store(db_path, create=False) as store:
        book = codebook or store.latest_codebook()
        data = reviewed_data(store, book)
    model = train(book, data.texts, data.codes, progress=progress, **options)
    return model, data


def rescore(
    store: Store,
    model: ThemeModel,
    name: str,
    batch_size: int = 256,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Score the comments nobody has reviewed as a new run of `model`, committing a batch at a
    time so that reviewers writing to the same project wait only moments. Returns (run, count)."""
    run_id = store.add_model_run(model, name)
    new_run = not store.has_scores(run_id)  # the same model on the same codebook reuses its run
    try:
        done = _rescore(store, model, run_id, batch_size, progress)
    except BaseException:  # stopped part way (quit, a lock): no comment keeps half a run
        if new_run:
            store.discard_run(run_id)
        raise
    return run_id, done


def _rescore(
    store: Store, model: ThemeModel, run_id: int, batch_size: int, progress: Progress | None
) -> int:
    reviewed = {c for coded in store.codings(book=model.codebook).values() for c in coded}
    reviewed |= set(store.adjudicated(model.codebook))
    pending = [(i, text) for i, text in store.texts() if i not in reviewed]
    thresholds = dict(model.decision.thresholds)
    results = model.tag((text for _, text in pending), batch_size=batch_size)
    scored = zip((i for i, _ in pending), results, strict=True)
    done = 0
    for chunk in iter(lambda: list(itertools.islice(scored, batch_size)), []):
        store.add_scores(run_id, chunk, thresholds)
        done += len(chunk)
        if progress is not None:
            progress(f"re-scored {done} of {len(pending)} unreviewed comments")
    return done


def retrain(
    db_path: str | Path,
    save_to: str | Path | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> Relearned:
    """Train on the reviewed comments and re-score the unreviewed ones as a new run. With
    `save_to`, the model is saved there too (and named so in the run)."""
    model, data = train_from_project(db_path, progress=progress, **options)
    name = f"retrained on {len(data.texts)} reviewed comments"
    if save_to is not None:
        model.save(save_to)
        name = str(save_to)
    with Store(db_path, create=False) as store:
        kept = _better_kept(store, model)
        if kept is not None:
            return Relearned(model, len(data.texts), data.conflicts, None, 0, kept)
        before = store.latest_run()
        labelled = before.meta.get("trained_on", {}).get("labelled", 0) if before else 0
        run_id, rescored = rescore(store, model, name, progress=progress)
    return Relearned(
        model, len(data.texts), data.conflicts, run_id, rescored, replaced_labelled=labelled
    )


def _better_kept(store: Store, model: ThemeModel) -> tuple[float, float, int] | None:
    """Where the project's suggestions agree with its reviewers better than the retrained
    model does in cross-validation (micro-F1), the two figures and how many comments the
    first is over; else None. A model trained on a large labelled file, retrained on a few
    hundred reviewed comments alone, can come out worse: re-scoring would replace the better
    suggestions. (Cross-validation tunes thresholds on its own folds, so it flatters the new
    model: a model that does worse even so is worse.)"""
    from coder.status import suggestions_measured

    cv = model.meta.get("cv")
    _, measured = suggestions_measured(store)
    if cv is None or measured is None or measured["n"] < MEASURED_AT_LEAST:
        return None
    new, current = cv["micro"]["f1"], measured["micro"]["f1"]
    return (new, current, measured["n"]) if new < current else None
