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
    # Ids of themes in earlier versions that were split, this one among their parts: reviewers'
    # codes on them count for none of the parts until the comment is reviewed again.
    split_from: list[ThemeId] = Field(default_factory=list)

    @field_validator(
        "codable", "brief", "definition", "include", "exclude", "examples",
        "counter_examples", "patterns", "replaces", "split_from",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _blank_is_empty(cls, value: Any, info: Any) -> Any:
        # `definition:` left blank in a template is YAML's null: the field's default, not an error
        return (
            cls.model_fields[info.field_name].get_default(call_default_factory=True)
            if value is None
            else value
        )


class Codebook(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1)
    version: str = "1"
    description: str = ""
    themes: list[Theme] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 1.0` in YAML is a float; keep what the author wrote. Left blank: "1".
        if value is None:
            return "1"
        return str(value) if isinstance(value, int | float) else value

    @field_validator("description", mode="before")
    @classmethod
    def _no_description(cls, value: Any) -> Any:
        return "" if value is None else value

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
        """The codable theme id named by its id as written, else by an id or a label in any
        case, else by an id a theme `replaces`; None if none is, or if the name is two themes'
        (a QDA codebook may repeat a label under two parents; `DISTRUST` may be one theme's id
        and another's label): `unknown_hint` says why."""
        exact = next((t.id for t in self.codable if t.id == name.strip()), None)
        if exact is not None:
            return exact
        named = self._named(name)
        if named:
            return named[0] if len(named) == 1 else None
        return self.replaced.get(name.strip().casefold())

    def _named(self, name: str) -> list[str]:
        """The codable themes whose id or label is `name`, case aside."""
        key = name.strip().casefold()
        return [t.id for t in self.codable if key in (t.id.casefold(), t.label.casefold())]

    def unknown_hint(self, name: str) -> str:
        """For an unknown-theme message: a name two themes share, or a group's name."""
        key = name.strip().casefold()
        named = self._named(name)
        if len(named) > 1:
            return f" (the name of {', '.join(named)}: name the theme by its id, as written)"
        groups = [t for t in self.themes if not t.codable]
        group = next((t for t in groups if key in (t.id.casefold(), t.label.casefold())), None)
        if group is None:
            return ""
        under = ", ".join(t.id for t in self.codable if group.id in self.ancestors(t.id))
        return f" ('{group.id}' is a group, not codable: code one of its themes, {under})"

    @property
    def replaced(self) -> dict[str, str]:
        """{old id: the id of the theme that replaces it}, from the themes' `replaces`."""
        return {old: theme.id for theme in self.themes for old in theme.replaces}

    @property
    def split(self) -> dict[str, tuple[str, ...]]:
        """{old id: the themes it was split into, in codebook order}, from `split_from`."""
        parts: dict[str, tuple[str, ...]] = {}
        for theme in self.themes:
            for old in theme.split_from:
                parts[old] = (*parts.get(old, ()), theme.id)
        return parts

    def gone_hint(self, theme_id: str) -> str:
        """For an unknown-theme message: where an id that left the codebook went, else ''."""
        new = self.replaced.get(theme_id)
        if new:
            return f"; '{theme_id}' is replaced by '{new}'"
        parts = self.split.get(theme_id)
        if parts:
            return f"; '{theme_id}' was split into {', '.join(repr(p) for p in parts)}"
        return ""

    def suggest(self, name: str) -> str | None:
        """The closest codable id or label to a misspelt name, for 'did you mean' hints."""
        candidates = [t.id for t in self.codable] + [t.label for t in self.codable]
        match = get_close_matches(name.strip(), candidates, n=1, cutoff=0.6)
        return match[0] if match else None

    def content_hash(self) -> str:
        """sha256 of the codebook's content: any edit that could change coding changes it."""
        data = self.model_dump(mode="json")
        for theme in data["themes"]:
            for added in ("replaces", "split_from"):  # hashed as before these fields existed,
                if not theme[added]:  # so that models still match
                    del theme[added]
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


# Columns the outputs write beside a column per theme (`coder tag`, `coder export`), and the
# suffixes of a theme's own further columns: a theme id equal to one would repeat a header.
OUTPUT_COLUMNS = ("id", "text", "codes", "coding", "reviewers", "memo", "flagged")
_THEME_SUFFIXES = ("_score", "_status")


def column_clashes(themes: Sequence[Any]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Theme ids that are the name of another column of the outputs, as `check_codebook`'s."""
    ids = {i: t["id"] for i, t in enumerate(themes) if isinstance(t, dict) and "id" in t}
    seen = set(ids.values())
    for index, theme_id in ids.items():
        where = ("themes", index, "id")
        if theme_id in OUTPUT_COLUMNS:
            yield (
                where,
                (
                    f"theme id '{theme_id}' is the name of a column coder writes beside the "
                    f"themes' ({', '.join(OUTPUT_COLUMNS)}): give it another id"
                ),
            )
        for suffix in _THEME_SUFFIXES:
            base = str(theme_id).removesuffix(suffix)
            if base != theme_id and base in seen:
                yield (
                    where,
                    (
                        f"theme id '{theme_id}' is the name of the {suffix[1:]} column of theme "
                        f"'{base}' in the outputs: give it another id"
                    ),
                )


def _replaces_problems(
    themes: Sequence[Any], entries: list[tuple[int, str, Any, bool]], seen: dict[str, int]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """An id under `replaces` or `split_from` must have left the codebook; only one theme may
    replace it, and an id split into parts is not also replaced."""
    replaced: dict[str, str] = {}
    split: dict[str, str] = {}
    for field in ("split_from", "replaces"):  # parts first: a replaced split id is reported once
        for index, theme_id, _, codable in entries:
            olds = themes[index].get(field)
            if not isinstance(olds, list) or not olds:
                continue
            if not codable:
                yield ("themes", index, field), _not_codable(theme_id, field)
            for position, old in enumerate(olds):
                if isinstance(old, str):
                    where = ("themes", index, field, position)
                    problem = _old_id_problem(old, theme_id, field, seen, replaced, split)
                    if problem:
                        yield where, problem
                    else:
                        (replaced if field == "replaces" else split).setdefault(old, theme_id)


def _not_codable(theme_id: str, field: str) -> str:
    if field == "replaces":
        return f"theme '{theme_id}' is not codable, so it cannot take over other themes' codes"
    return f"theme '{theme_id}' is not codable, so it cannot be a part of a split theme"


def _old_id_problem(
    old: str,
    theme_id: str,
    field: str,
    seen: dict[str, int],
    replaced: dict[str, str],
    split: dict[str, str],
) -> str:
    """What is wrong with `old` under `field` of theme `theme_id`, or ''."""
    if old == theme_id:
        verb = "replace" if field == "replaces" else "be split from"
        return f"theme '{theme_id}' cannot {verb} itself"
    if old in seen:
        if field == "replaces":
            fix = "remove that theme to merge it into this one, or leave it out of replaces"
        else:
            fix = (
                "a split theme leaves the codebook: give the part that keeps its meaning an id "
                "of its own, or leave it out of split_from"
            )
        return f"'{old}' is still a theme here (themes -> {seen[old]}): {fix}"
    if old in replaced:
        return f"'{old}' is already replaced by theme '{replaced[old]}'"
    if field == "replaces" and old in split:
        return (
            f"'{old}' was split (split_from of theme '{split[old]}'): its codes cannot also be "
            "taken over (leave it out of one of them)"
        )
    return ""


def _truthy(value: Any) -> bool:
    """As pydantic reads a boolean: 0, "false", "no", "off" are false; left blank, the default."""
    if value is None:
        return True
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
