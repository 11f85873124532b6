"""What changed from one codebook version to the next, and what the change does to a project's
coding: themes added; themes gone, each taken over (`replaces`), split (`split_from`) or dropped
(its codes left out); labels, parents and codability changed; definitions reworded.

`diff_codebooks` compares two codebooks; `coded_counts` says how many comments of a project
reviewers coded with each theme, so that the diff can say how much each change touches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import RenderableType
from rich.text import Text

from coder.codebook import Codebook, Theme
from coder.console import printable
from coder.store import Store

# The fields a reviewer codes by; a change in them may change what a theme should be coded on.
WORDING = ("brief", "definition", "include", "exclude", "examples", "counter_examples")
OTHER_FIELDS = ("patterns", "color")


@dataclass
class CodebookDiff:
    old: str  # 'name' version v
    new: str
    added: list[str] = field(default_factory=list)  # new ids no earlier id went to
    replaced: dict[str, str] = field(default_factory=dict)  # gone id -> the theme taking it over
    split: dict[str, list[str]] = field(default_factory=dict)  # gone id -> its parts
    dropped: list[str] = field(default_factory=list)  # codable ids gone with nothing to take them
    groups_gone: list[str] = field(default_factory=list)  # grouping themes gone: no codes lost
    relabelled: dict[str, list[str]] = field(default_factory=dict)  # id -> [old, new] label
    moved: dict[str, list[str | None]] = field(default_factory=dict)  # id -> [old, new] parent
    now_group: list[str] = field(default_factory=list)  # codable before, not now: codes left out
    now_codable: list[str] = field(default_factory=list)
    reworded: dict[str, list[str]] = field(default_factory=dict)  # id -> the WORDING fields
    other: dict[str, list[str]] = field(default_factory=dict)  # id -> patterns, colour
    unchanged: int = 0
    # ids newly under replaces or split_from that the old codebook does not have (a typo?)
    earlier: dict[str, list[str]] = field(default_factory=dict)
    coded: dict[str, int] | None = None  # with a project: comments coded with each old theme

    @property
    def loses_codes(self) -> bool:
        """Whether reviewers' codes would be left out under the new codebook."""
        return bool(self.dropped or self.now_group)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diff_codebooks(old: Codebook, new: Codebook) -> CodebookDiff:
    """How `new` differs from `old`, theme by theme."""
    before = {t.id: t for t in old.themes}
    after = {t.id: t for t in new.themes}
    same = old.name == new.name
    diff = CodebookDiff(_name(old), f"version {new.version}" if same else _name(new))
    for theme_id, theme in before.items():
        if theme_id in after:
            continue
        if theme_id in new.replaced:
            diff.replaced[theme_id] = new.replaced[theme_id]
        elif theme_id in new.split:
            diff.split[theme_id] = list(new.split[theme_id])
        elif theme.codable:
            diff.dropped.append(theme_id)
        else:
            diff.groups_gone.append(theme_id)
    for theme_id, theme in after.items():
        was = before.get(theme_id)
        listed = (*was.replaces, *was.split_from) if was else ()
        earlier = [o for o in (*theme.replaces, *theme.split_from) if o not in before]
        if [o for o in earlier if o not in listed]:  # newly listed: a typo, or an older id
            diff.earlier[theme_id] = earlier
        if theme_id not in before:  # new, unless it takes over or is a part of an old theme
            if not any(o in before for o in (*theme.replaces, *theme.split_from)):
                diff.added.append(theme_id)
            continue
        _compare(diff, before[theme_id], theme)
    return diff


def _compare(diff: CodebookDiff, was: Theme, now: Theme) -> None:
    """Record how one theme kept by both codebooks changed."""
    changed = False
    if was.label != now.label:
        diff.relabelled[now.id], changed = [was.label, now.label], True
    if was.parent != now.parent:
        diff.moved[now.id], changed = [was.parent, now.parent], True
    if was.codable != now.codable:
        (diff.now_codable if now.codable else diff.now_group).append(now.id)
        changed = True
    for names, into in ((WORDING, diff.reworded), (OTHER_FIELDS, diff.other)):
        fields = [name for name in names if getattr(was, name) != getattr(now, name)]
        if fields:
            into[now.id], changed = fields, True
    diff.unchanged += not changed


def coded_counts(store: Store, book: Codebook, themes: Iterable[str]) -> dict[str, int]:
    """How many comments of the project reviewers or adjudicators coded with each of `themes`,
    read under `book` (the old codebook: codes on ids it took over count for its themes)."""
    wanted = set(themes)
    found: dict[str, set[int]] = {theme: set() for theme in wanted}
    codings = [*store.codings(book=book).values(), store.adjudicated(book)]
    for by_comment in codings:
        for comment_id, codes in by_comment.items():
            for theme in codes & wanted:
                found[theme].add(comment_id)
    return {theme: len(found[theme]) for theme in sorted(wanted)}


def touched(diff: CodebookDiff) -> list[str]:
    """The old themes whose reviewed codes a diff's changes concern."""
    return [
        *diff.replaced,
        *diff.split,
        *diff.dropped,
        *diff.now_group,
        *diff.reworded,
    ]


def _name(book: Codebook) -> str:
    return f"'{book.name}' version {book.version}"


def diff_renderables(diff: CodebookDiff, old: Codebook, new: Codebook) -> list[RenderableType]:
    """The diff for the terminal: a summary line, then a section per kind of change."""
    label = _labeller(old, new)
    counted = _counter(diff.coded)
    sections: list[tuple[str, str, list[str]]] = [
        (
            "Dropped: reviewers' codes on them will be left out; to keep them, list the id "
            "under `replaces` (or `split_from`) of the theme that takes them over",
            "bold red",
            [f"{label(t)}{counted(t)}" for t in diff.dropped],
        ),
        (
            "Now a group, not codable: reviewers' codes on them will be left out",
            "bold red",
            [f"{label(t)}{counted(t)}" for t in diff.now_group],
        ),
        (
            "Split: comments coded with them wait to be reviewed again with the parts",
            "yellow",
            [
                f"{label(t)} -> {', '.join(label(p) for p in parts)}{counted(t)}"
                for t, parts in diff.split.items()
            ],
        ),
        (
            "Merged or given a new id: their codes count for the theme that takes them over",
            "",
            [f"{label(t)} -> {label(n)}{counted(t)}" for t, n in diff.replaced.items()],
        ),
        ("Added", "green", [label(t) for t in diff.added]),
        ("Grouping themes removed (no codes lost)", "", [label(t) for t in diff.groups_gone]),
        ("Now codable", "", [label(t) for t in diff.now_codable]),
        (
            "Relabelled (codes stay)",
            "",
            [f"{t}: '{printable(a)}' -> '{printable(b)}'" for t, (a, b) in diff.relabelled.items()],
        ),
        (
            "Moved (codes stay)",
            "",
            [f"{label(t)}: {a or '(top)'} -> {b or '(top)'}" for t, (a, b) in diff.moved.items()],
        ),
        (
            "Reworded: comments coded before were coded by the earlier wording",
            "",
            [f"{label(t)}: {', '.join(f)}{counted(t)}" for t, f in diff.reworded.items()],
        ),
        (
            "Patterns or colour changed",
            "",
            [f"{label(t)}: {', '.join(f)}" for t, f in diff.other.items()],
        ),
        (
            "Replacing or split from ids the old codebook does not have (a typo, or an earlier "
            "version's?)",
            "dim",
            [f"{label(t)}: {', '.join(ids)}" for t, ids in diff.earlier.items()],
        ),
    ]
    out: list[RenderableType] = [Text(summary_line(diff), style="bold")]
    for title, style, lines in sections:
        if lines:
            block = Text(f"{title}:", style=style or "bold")
            for line in lines:
                block.append(f"\n  {line}", style="")
            out.append(block)
    return out


def summary_line(diff: CodebookDiff) -> str:
    """The diff in one line: the codebooks, and how many themes changed in each way."""
    counts = [
        (len(diff.added), "added"),
        (len(diff.replaced), "taken over"),
        (len(diff.split), "split"),
        (len(diff.dropped), "dropped"),
        (len(diff.groups_gone) + len(diff.now_group) + len(diff.now_codable), "regrouped"),
        (len({*diff.relabelled, *diff.moved, *diff.reworded, *diff.other}), "edited"),
        (diff.unchanged, "unchanged"),
    ]
    found = ", ".join(f"{n} {what}" for n, what in counts if n) or "no themes"
    return f"{diff.old} -> {diff.new}: {found}"


def _labeller(old: Codebook, new: Codebook) -> Callable[[str], str]:
    labels = {t.id: t.label for t in old.themes} | {t.id: t.label for t in new.themes}

    def label(theme_id: str) -> str:
        return f"{printable(labels.get(theme_id, theme_id))} [{theme_id}]"

    return label


def _counter(coded: Mapping[str, int] | None) -> Callable[[str], str]:
    def counted(theme_id: str) -> str:
        if coded is None or theme_id not in coded:
            return ""
        n = coded[theme_id]
        return f" ({n} reviewed comment{'' if n == 1 else 's'})"

    return counted
