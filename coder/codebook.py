"""The codebook: themes with MacQueen's fields, in a hierarchy, validated as a whole.

`Codebook.model_validate` checks one theme at a time; `check_codebook` adds the checks that need
every theme at once (duplicate ids, unknown parents, cycles). `coder.codebook_io` loads YAML and
turns both kinds of problem into located messages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from difflib import get_close_matches
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"

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

    @field_validator("patterns")
    @classmethod
    def _patterns_not_empty(cls, patterns: list[Pattern]) -> list[Pattern]:
        for pattern in patterns:
            if not pattern or (isinstance(pattern, str) and not pattern.strip()):
                raise ValueError("a pattern must not be empty")
        return patterns


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
        """The codable theme id named by an id or a label (case-insensitive), or None."""
        key = name.strip().casefold()
        for theme in self.codable:
            if key in (theme.id.casefold(), theme.label.casefold()):
                return theme.id
        return None

    def suggest(self, name: str) -> str | None:
        """The closest codable id or label to a misspelt name, for 'did you mean' hints."""
        candidates = [t.id for t in self.codable] + [t.label for t in self.codable]
        match = get_close_matches(name.strip(), candidates, n=1, cutoff=0.6)
        return match[0] if match else None

    def content_hash(self) -> str:
        """sha256 of the codebook's content: any edit that could change coding changes it."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_codebook(codebook: Codebook) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Problems that need every theme at once, as (location, message) pairs."""
    ids = [t.id for t in codebook.themes]
    seen: dict[str, int] = {}
    for index, theme in enumerate(codebook.themes):
        if theme.id in seen:
            yield (
                ("themes", index, "id"),
                (f"duplicate theme id '{theme.id}' (first used by themes -> {seen[theme.id]})"),
            )
        else:
            seen[theme.id] = index
    for index, theme in enumerate(codebook.themes):
        if theme.parent is None:
            continue
        if theme.parent == theme.id:
            yield ("themes", index, "parent"), f"theme '{theme.id}' cannot be its own parent"
        elif theme.parent not in seen:
            hint = get_close_matches(theme.parent, ids, n=1, cutoff=0.6)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
            yield ("themes", index, "parent"), f"unknown theme '{theme.parent}'{suffix}"
    yield from _cycles(codebook, seen)
    if not codebook.codable:
        yield ("themes",), "no codable theme: set `codable: true` on at least one theme"


def _cycles(codebook: Codebook, index_of: dict[str, int]) -> Iterator[tuple[tuple[Any, ...], str]]:
    parent_of = {t.id: t.parent for t in codebook.themes if t.parent != t.id}
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
    slug = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"theme_{slug}".rstrip("_")
    return slug
