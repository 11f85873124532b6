"""Groups of similar comments, to find the themes a codebook lacks.

The comments with no theme (or every comment) are grouped by k-means on their sentence
embeddings (the shipped static embeddings, unit length, so that the grouping follows cosine
likeness). Each group is described by its most distinctive words, class-based TF-IDF over
lemmas (frequent in the group's comments, rare in the other groups'), and by the comments
nearest its centre, copies passed over. A group is a lead to read, not a theme: name it, add it
to the codebook with those comments as examples, and tag again.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from coder.codebook import Codebook, Theme
from coder.errors import InputError
from coder.report import same_words
from coder.store import Store

MIN_COMMENTS = 6  # fewer are read faster than grouped
MAX_GROUPS = 12
FULL_KMEANS_UP_TO = 10_000  # more comments are grouped by mini-batch k-means


@dataclass(frozen=True)
class Group:
    size: int
    words: tuple[str, ...]  # most distinctive first
    examples: tuple[int, ...]  # positions in the texts grouped, nearest the centre first
    members: tuple[int, ...]  # every position in the group


def default_groups(n: int) -> int:
    """Groups for n comments: about sqrt(n / 2), from 2 to MAX_GROUPS."""
    return max(2, min(MAX_GROUPS, round(math.sqrt(n / 2))))


def discover(
    texts: Sequence[str],
    groups: int | None = None,
    words: int = 8,
    examples: int = 3,
    seed: int = 0,
) -> list[Group]:
    """Group `texts` (blank ones left out), largest group first: `groups` of them, or fewer
    where fewer texts differ. Raises InputError for fewer than MIN_COMMENTS non-blank texts,
    texts that all read alike, or more groups than texts."""
    from sklearn.cluster import KMeans, MiniBatchKMeans  # slow to import: only here

    from coder.features import static_embeddings
    from coder.training import EMBEDDINGS

    kept = [i for i, text in enumerate(texts) if text.strip()]
    if not kept:
        raise InputError("no comment is left to group: every one has a theme (or is blank)")
    if len(kept) < MIN_COMMENTS:
        raise InputError(
            f"{len(kept)} comments are too few to group: read them instead "
            "(`coder review PROJECT --uncoded`)"
        )
    k = default_groups(len(kept)) if groups is None else groups
    if not 2 <= k <= len(kept):
        raise InputError(f"--groups must be from 2 to {len(kept)} (the comments to group)")
    vectors = static_embeddings(EMBEDDINGS).encode([texts[i] for i in kept], normalize=True)
    distinct = len(np.unique(vectors, axis=0))  # copies of one answer ("n/a") are one point
    if distinct < 2:
        raise InputError(f"the {len(kept)} comments all read alike: there is nothing to group")
    k = min(k, distinct)
    if len(kept) > FULL_KMEANS_UP_TO:  # 100,000 comments: 27 s in full, under 1 s in batches
        method = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=seed)
    else:
        method = KMeans(n_clusters=k, n_init=10, random_state=seed)
    fitted = method.fit(vectors)
    labels, centres = fitted.labels_, fitted.cluster_centers_
    described = _distinctive(_lemmas([texts[i] for i in kept]), labels, k, words)
    found = []
    for j in range(k):
        rows = np.flatnonzero(labels == j)
        if not len(rows):
            continue
        nearest = rows[np.argsort(-(vectors[rows] @ centres[j]), kind="stable")]
        chosen = _distinct([kept[r] for r in nearest], texts, examples)
        found.append(Group(len(rows), described[j], chosen, tuple(kept[r] for r in rows)))
    return sorted(found, key=lambda group: -group.size)


def _lemmas(texts: Sequence[str]) -> Iterator[set[str]]:
    """Each text's content words, lemmatised and lower-cased, once each (one text at a time:
    100,000 comments' sets would not be held)."""
    import spacy

    from coder import nlp as _registers  # noqa: F401 - the coder_lemmatizer factory

    pipeline = spacy.blank("en")
    pipeline.add_pipe("coder_lemmatizer")
    for doc in pipeline.pipe(texts, batch_size=256):
        yield {t.lemma_.lower() for t in doc if t.is_alpha and not t.is_stop and len(t.text) > 2}


def _distinctive(
    lemmas: Iterable[set[str]], labels: np.ndarray, k: int, limit: int
) -> list[tuple[str, ...]]:
    """Per group, its words by class-based TF-IDF: the share of the group's words that are w,
    times log(1 + the mean words per group / w's count over all groups). A word must be in two
    of the group's comments (one, in a group of one)."""
    counts = [Counter() for _ in range(k)]
    for words, label in zip(lemmas, labels, strict=True):
        counts[label].update(words)
    overall = sum(counts, Counter())
    mean = sum(overall.values()) / k
    out = []
    for j, found in enumerate(counts):
        total = sum(found.values()) or 1
        least = 2 if (labels == j).sum() > 1 else 1
        weight = {
            w: n / total * math.log(1 + mean / overall[w]) for w, n in found.items() if n >= least
        }
        out.append(tuple(sorted(weight, key=lambda w: (-weight[w], w))[:limit]))
    return out


def _distinct(order: Sequence[int], texts: Sequence[str], limit: int) -> tuple[int, ...]:
    """The first `limit` of `order` whose words are not those of one taken already."""
    seen: set[str] = set()
    chosen = []
    for i in order:
        key = same_words(texts[i])
        if key not in seen:
            seen.add(key)
            chosen.append(i)
            if len(chosen) == limit:
                break
    return tuple(chosen)


def group_dicts(groups: Sequence[Group], ids: Sequence[str], texts: Sequence[str]) -> list[Any]:
    """The groups as JSON-ready dicts, with the examples' ids and texts."""
    return [
        {
            "size": group.size,
            "words": list(group.words),
            "examples": [{"id": ids[i], "text": texts[i]} for i in group.examples],
            "members": [ids[i] for i in group.members],
        }
        for group in groups
    ]


@dataclass(frozen=True)
class Leftovers:
    """The comments of a project to group, with the names the user knows them by."""

    names: list[str]
    texts: list[str]
    every: bool  # every comment, not only those with no theme
    total: int  # comments in the project
    blank: int  # blank comments, left out


def project_leftovers(store: Store, every: bool = False, question: str | None = None) -> Leftovers:
    """The project's comments with no theme in their final coding (`coder.coding`), or all;
    blank ones left out; with `question`, of the answers to that question alone."""
    from coder.agree import comment_names
    from coder.coding import ProjectCodings

    codings = ProjectCodings(store, question=question)
    names = comment_names(store.comment_refs())
    chosen = [c.comment for part in codings.parts() for c in part if every or not c.codes]
    kept = [c for c in chosen if c.text.strip()]
    return Leftovers(
        [names[c.id] for c in kept],
        [c.text for c in kept],
        every,
        len(codings.ids),
        len(chosen) - len(kept),
    )


def draft_codebook(groups: Sequence[Group], texts: Sequence[str], source: str) -> Codebook:
    """A codebook with a draft theme per group (its words as the label, the comments nearest
    its centre as examples), for the analyst to rename, define, keep or drop, and copy into
    their codebook."""
    themes = [
        Theme(
            id=f"draft_{number}",
            label=f"Draft {number}: {', '.join(group.words[:4]) or 'no word stands out'}",
            brief=f"{group.size} comments with no theme in {source}, grouped by coder discover.",
            examples=[" ".join(texts[i].split()) for i in group.examples],
        )
        for number, group in enumerate(groups, start=1)
    ]
    return Codebook(
        name=f"Draft themes from {source}",
        version="0",
        description="Groups of comments with no theme: a lead for each, not a theme yet.",
        themes=themes,
    )
