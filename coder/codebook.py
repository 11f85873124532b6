"""The codebook: themes with MacQueen's fields, in a hierarchy, validated as a whole.

`Codebook.model_validate` checks one theme at a time; `check_codebook` adds the checks that need
every theme at once (duplicate ids, unknown parents, cycles). `coder.codebook_io` loads YAML and
turns both kinds of problem into located messages.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from difflib import get_close_matches
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
ThemeId = Annotated[str, Field(pattern=ID_PATTERN)]

# A pattern is a phrase (matched on lemmas) or a spaCy Matcher token pattern.
Pattern = str | list[dict[str, Any]]


class Theme(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1)
    parent: str | None = None
    codable: bool = True
    brief: str = ""
    definition: str = ""
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    counter_examples: list[str] = Field(default_factory=list)
    patterns: list[Pattern] = Field(default_factory=list)
    color: str | None = Field(default=None, pattern=COLOR_PATTERN)
    # Ids of themes in earlier versions that this one takes over (a new id, or themes merged
    # into it): reviewers' codes on them count for this theme.
    replaces: list[ThemeId] = Field(default_factory=list)


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    version: str = "1"
    description: str = ""
    themes: list[Theme] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 1.0` in YAML is a float; keep what the author wrote.
        return str(value) if isinstance(value, int | float) else value

    @property
    def codable(self) -> list[Theme]:
        """The themes a comment can be coded with, in codebook order."""
        return [t for t in self.themes if t.codable]

    @property
    def codable_ids(self) -> list[str]:
        return [t.id for t in self.codable]

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def children(self, theme_id: str | None) -> list[Theme]:
        """Direct children of a theme; `None` gives the top-level themes."""
        return [t for t in self.themes if t.parent == theme_id]

    def ancestors(self, theme_id: str) -> list[str]:
        """Parent, grandparent, ... of a theme (assumes a checked, acyclic codebook)."""
        chain = []
        parent = self.theme(theme_id).parent
        while parent is not None:
            chain.append(parent)
            parent = self.theme(parent).parent
        return chain

    def resolve(self, name: str) -> str | None:
        """The codable theme id named by an id or a label (case-insensitive), or by an id the
        theme `replaces`; None if none is."""
        key = name.strip().casefold()
        for theme in self.codable:
            if key in (theme.id.casefold(), theme.label.casefold()):
                return theme.id
        return self.replaced.get(key)

    @property
    def replaced(self) -> dict[str, str]:
        """{old id: the id of the theme that replaces it}, from the themes' `replaces`."""
        return {old: theme.id for theme in self.themes for old in theme.replaces}

    def replaced_hint(self, theme_id: str) -> str:
        """For an unknown-theme message: where an id that a theme replaces went, else ''."""
        new = self.replaced.get(theme_id)
        return f"; '{theme_id}' is replaced by '{new}'" if new else ""

    def suggest(self, name: str) -> str | None:
        """The closest codable id or label to a misspelt name, for 'did you mean' hints."""
        candidates = [t.id for t in self.codable] + [t.label for t in self.codable]
        match = get_close_matches(name.strip(), candidates, n=1, cutoff=0.6)
        return match[0] if match else None

    def content_hash(self) -> str:
        """sha256 of the codebook's content: any edit that could change coding changes it."""
        data = self.model_dump(mode="json")
        for theme in data["themes"]:
            if not theme["replaces"]:  # hashed as before the field existed: models still match
                del theme["replaces"]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_codebook(themes: Sequence[Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Problems that need every theme at once, as (location, message) pairs.

    Works on the raw theme mappings, so that these problems are reported together with the
    schema's own even when some themes do not validate.
    """
    entries = [
        (i, t.get("id"), t.get("parent"), _truthy(t.get("codable", True)))
        for i, t in enumerate(themes)
        if isinstance(t, dict) and isinstance(t.get("id"), str)
    ]
    seen: dict[str, int] = {}
    for index, theme_id, _, _ in entries:
        if theme_id in seen:
            yield (
                ("themes", index, "id"),
                (f"duplicate theme id '{theme_id}' (first used by themes -> {seen[theme_id]})"),
            )
        else:
            seen[theme_id] = index
    for index, theme_id, parent, _ in entries:
        if not isinstance(parent, str):
            continue
        if parent == theme_id:
            yield ("themes", index, "parent"), f"theme '{theme_id}' cannot be its own parent"
        elif parent not in seen:
            hint = get_close_matches(parent, list(seen), n=1, cutoff=0.6)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
            yield ("themes", index, "parent"), f"unknown theme '{parent}'{suffix}"
    parent_of = {i: p for _, i, p, _ in entries if isinstance(p, str) and p != i}
    yield from _cycles(parent_of, seen)
    yield from _replaces_problems(themes, entries, seen)
    if entries and not any(codable for *_, codable in entries):
        yield ("themes",), "no codable theme: set `codable: true` on at least one theme"


def _replaces_problems(
    themes: Sequence[Any], entries: list[tuple[int, str, Any, bool]], seen: dict[str, int]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """An id under `replaces` must have left the codebook, and only one theme may take it."""
    taken: dict[str, str] = {}
    for index, theme_id, _, codable in entries:
        olds = themes[index].get("replaces")
        if not isinstance(olds, list) or not olds:
            continue
        if not codable:
            yield (
                ("themes", index, "replaces"),
                f"theme '{theme_id}' is not codable, so it cannot take over other themes' codes",
            )
        for position, old in enumerate(olds):
            where = ("themes", index, "replaces", position)
            if not isinstance(old, str):
                continue
            if old == theme_id:
                yield where, f"theme '{theme_id}' cannot replace itself"
            elif old in seen:
                yield (
                    where,
                    (
                        f"'{old}' is still a theme here (themes -> {seen[old]}): remove that theme "
                        "to merge it into this one, or leave it out of replaces"
                    ),
                )
            elif old in taken:
                yield where, f"'{old}' is already replaced by theme '{taken[old]}'"
            else:
                taken[old] = theme_id


def _truthy(value: Any) -> bool:
    """As pydantic reads a boolean: 0, "false", "no", "off" are false."""
    if isinstance(value, str):
        return value.strip().casefold() not in {"0", "false", "f", "no", "n", "off"}
    return bool(value)


def _cycles(
    parent_of: dict[str, str], index_of: dict[str, int]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    reported: set[str] = set()
    for start in parent_of:
        path, node = [], start
        while node is not None and node in parent_of and node not in path:
            path.append(node)
            node = parent_of[node]
        if node in path:
            cycle = path[path.index(node) :]
            if not reported.intersection(cycle):
                reported.update(cycle)
                loop = " -> ".join([*cycle, cycle[0]])
                yield ("themes", index_of[cycle[0]], "parent"), f"parent cycle: {loop}"


def slugify(label: str) -> str:
    """A machine-safe id from a label: 'Staff manner & attitude' -> 'staff_manner_attitude'."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_label.casefold()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"theme_{slug}".rstrip("_")
    return slug
