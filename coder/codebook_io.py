"""Reading and writing codebook YAML, with every problem reported at once and located.

A problem reads `codebooks/x.yaml:14 themes -> 3 -> parent: unknown theme 'distrst' (did you
mean 'distrust'?)`: the file and line, the path inside the document, then what is wrong.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from coder.codebook import Codebook, Theme, check_codebook, column_clashes, slugify
from coder.errors import CodebookError
from coder.fileio import atomic_write_text
from coder.resources import resolve

_FIELD_ORDER = list(Theme.model_fields)


def load_codebook(path: str | Path) -> Codebook:
    """Load and validate a codebook YAML file, or a shipped codebook by name (`"nhs_fft"`);
    raise CodebookError listing every problem."""
    path = resolve("codebooks", str(path))
    try:
        text = _decoded(path.read_bytes(), path)
    except FileNotFoundError:
        raise CodebookError(str(path), [f"{path}: no such file"]) from None
    except OSError as exc:
        raise CodebookError(str(path), [f"{path}: cannot read: {exc}"]) from None
    if path.suffix.casefold() in (".qdc", ".xml", ".csv") or text.lstrip().startswith("<"):
        kinds = {".csv": "a spreadsheet of themes", ".qdc": "a REFI-QDA codebook"}
        kind = kinds.get(path.suffix.casefold(), "XML")
        raise CodebookError(
            str(path),
            [
                f"{path}: this is {kind}, not a YAML codebook; make one of it with: coder "
                f"codebook import {path} -o {path.with_suffix('.yaml').name}"
            ],
        )
    return parse_codebook(text, str(path))


def _decoded(data: bytes, path: Path) -> str:
    """UTF-8 (with or without a BOM), or UTF-16 with its BOM (Notepad's "Unicode"); anything
    else is refused at the line of its first byte that is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CodebookError(
            str(path),
            [
                f"{path}:{line}: not UTF-8 text (byte {data[exc.start]:#04x}): save the codebook "
                "as UTF-8 in your editor and try again"
            ],
        ) from None


# libyaml's parser where PyYAML was built with it: the same documents, ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(text: str) -> tuple[yaml.Node, Any]:
    """(node tree with line numbers, data). A file that does not parse is read again by the
    pure-Python parser, whose messages say more ("expected <block end>, but found ...")."""
    try:
        return yaml.compose(text, Loader=_LOADER), yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)


def parse_codebook(text: str, source: str = "<codebook>", stored: bool = False) -> Codebook:
    """Validate codebook YAML text; `source` names it in messages. `stored`: a codebook a
    project or model holds, checked as when it was saved, so that it opens still (a theme id
    that is an output's column name was allowed then)."""
    try:
        root, data = _read_yaml(text)
    except yaml.YAMLError as exc:
        raise CodebookError(source, [_yaml_problem(exc, text, source)]) from None
    if not isinstance(data, dict):
        raise CodebookError(source, [f"{source}:1: expected a mapping with name and themes"])

    _keep_version_as_written(root, data)
    themes = data.get("themes") if isinstance(data.get("themes"), list) else []
    problems = _schema_problems(data) + list(check_codebook(themes))
    problems += _pattern_problems(themes, strict=not stored)
    problems += [] if stored else list(column_clashes(themes))
    located = [(_line_of(root, loc) or 0, _locate(source, root, loc, msg)) for loc, msg in problems]
    located += [(line, f"{source}:{line}: {msg}") for line, msg in _repeated_keys(root)]
    run_on = [] if stored else list(_run_on_items(root, text))
    located += [(line, f"{source}:{line}: {msg}") for line, msg in run_on]
    if located:
        raise CodebookError(source, [text for _, text in sorted(located, key=lambda p: p[0])])
    return Codebook.model_validate(data)


def _yaml_problem(exc: yaml.YAMLError, text: str, source: str) -> str:
    """Where the YAML parser stopped, what it said, and what the usual mistake behind it is."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow: no mark
        line = text.count("\n", 0, exc.position) + 1
        problem = (
            f"a control character (#x{exc.character:04x}, pasted from Word or a PDF?) that "
            "YAML does not allow: delete it"
        )
    hint = next((h for start, h in _YAML_HINTS if problem.startswith(start)), "")
    where = f"{source}:{line}" if line else source
    return f"{where}: not valid YAML: {problem}{hint}"


# The parser's words for the usual mistakes, and what to do about each.
_YAML_HINTS = (
    (
        "mapping values are not allowed here",
        " (a colon and a space inside text, as in `definition: Note: ...`, start a key: put "
        "the text in quotes)",
    ),
    ("found character '\\t'", " (a tab: indent with spaces, not tabs)"),
    (
        "expected <block end>, but found '<scalar>'",
        " (text after a closing quote: a quote inside quoted text ends it, so put the text in "
        "the other kind of quotes, or write the inner quote twice inside single quotes)",
    ),
    (
        "expected <block end>, but found",
        " (a line indented differently from those above it: line up each theme's keys, and "
        "each '- ')",
    ),
    ("found unexpected end of stream", " (a quote or bracket opened and never closed)"),
)


def _repeated_keys(node: yaml.Node) -> Iterator[tuple[int, str]]:
    """A key given twice in one mapping: YAML keeps the last silently, dropping the first."""
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _repeated_keys(item)
    if not isinstance(node, yaml.MappingNode):
        return
    first: dict[Any, int] = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        if isinstance(key, yaml.ScalarNode) and key.value in first:
            missing_dash = (
                " (is '- ' missing before the second theme?)" if key.value == "id" else ""
            )
            yield (
                line,
                (
                    f"key '{key.value}' appears twice in one block (first on line "
                    f"{first[key.value]}), and the second would replace the first: merge them"
                    + missing_dash
                ),
            )
        elif isinstance(key, yaml.ScalarNode):
            first[key.value] = line
        yield from _repeated_keys(value)


def _run_on_items(node: yaml.Node, text: str, phrases: bool = False) -> Iterator[tuple[int, str]]:
    """A pattern indented deeper than the one above it: YAML reads it as more words of that
    phrase (`pay rise - salary`, which never matches), not as a pattern of its own. Patterns
    alone: a long example or definition may run over lines that start with "- " (yaml.dump
    folds them so), and there they are the same text."""
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _run_on_items(child, text, phrases)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _run_on_items(value, text, getattr(key, "value", None) == "patterns")
    elif phrases and isinstance(node, yaml.ScalarNode) and not node.style:  # plain: None or ""
        written = text[node.start_mark.index : node.end_mark.index]
        for offset, line in enumerate(written.splitlines()[1:], start=1):
            if line.lstrip().startswith("- "):
                yield (
                    node.start_mark.line + offset + 1,
                    f"'{line.strip()}' is indented deeper than the pattern above it, so YAML "
                    f"reads it as more words of that phrase ({' '.join(written.split())!r}): "
                    "line it up with the pattern above to make it a pattern of its own",
                )
                break


def _keep_version_as_written(root: yaml.Node, data: dict[str, Any]) -> None:
    """`version: 1.10` is the float 1.1 to YAML; the author meant the text 1.10."""
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            numeric = isinstance(data.get("version"), int | float)
            if key.value == "version" and isinstance(value, yaml.ScalarNode) and numeric:
                data["version"] = value.value


def _schema_problems(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    try:
        Codebook.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors()]
        return list(dict.fromkeys(problems))  # a pattern fails both kinds: say so once
    return []


def _problem(error: dict[str, Any]) -> tuple[tuple[Any, ...], str]:
    loc, given = tuple(error["loc"]), error.get("input")
    if loc[2:3] == ("patterns",) and len(loc) > 4:  # pydantic names each kind a pattern may be
        if isinstance(given, bool | int | float):
            return loc[:4], f"YAML read the phrase as {given!r}, not text: put it in quotes"
        return loc[:4], (
            "a pattern is a phrase (text) or a token pattern (a list of {ATTR: value} in "
            "[ ]): write it as one of those"
        )
    if loc[-1:] == ("id",) and isinstance(given, int | float) and not isinstance(given, bool):
        return loc, (
            f"an id is a name of lower-case letters, digits and _, starting with a letter (such "
            f"as theme_{given}), and YAML read this one as the number {given!r}"
        )
    if error["type"] == "string_type" and isinstance(given, int | float | bool):
        # YAML reads `label: 2020` as a number and `label: Yes` as true
        return loc, f"should be text, and YAML read it as {given!r}: put it in quotes"
    return loc, _message(error)


def _message(error: dict[str, Any]) -> str:
    kind, loc, given = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        allowed = list(_FIELD_ORDER if "themes" in loc else Codebook.model_fields)
        meant = get_close_matches(str(loc[-1]).lower(), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{meant[0]}'? " if meant else ""
        return f"unknown key '{loc[-1]}' ({hint}allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "field required"
    if kind == "string_pattern_mismatch" and loc[-1] == "id":
        return (
            f"invalid id {error['input']!r}: use lower-case letters, digits and _, "
            "starting with a letter"
        )
    if kind == "string_pattern_mismatch" and loc[-1] == "color":
        return f"invalid color {error['input']!r}: use #RRGGBB, e.g. '#1f77b4'"
    if kind == "model_type" and isinstance(given, str):
        return (
            f"is plain text, but a theme is a block of keys: `- id: {slugify(given) or 'theme'}` "
            f"with `label: {given}` under it"
        )
    return _PLAIN.get((kind, type(given).__name__), _PLAIN.get((kind, ""), error["msg"]))


# pydantic's messages for what a codebook's author gets wrong, by (error type, type of the
# value given; "" for any), in the words of someone writing YAML.
_PLAIN = {
    ("string_type", "list"): "should be one text, not a list (a theme has one parent)",
    ("string_type", "dict"): (
        "should be text, not a block of keys: a colon and a space inside text start a key, "
        "so put the text in quotes"
    ),
    ("string_type", "NoneType"): "is empty: give it text",
    ("string_too_short", ""): "is empty: give it text",
    ("list_type", "str"): "should be a list: put each item on a line of its own, after '- '",
    ("list_type", ""): "should be a list, each item on a line of its own starting with '- '",
    ("model_type", ""): "should be a theme: a block of keys, `- id: ...` with `label: ...`",
    ("bool_parsing", ""): "should be true or false",
    ("bool_type", ""): "should be true or false",
    ("too_short", "list"): "is empty: list at least one theme under it, each starting with '- '",
}


def _pattern_problems(themes: list[Any], strict: bool) -> list[tuple[tuple[Any, ...], str]]:
    from coder.rules import pattern_problems  # spaCy import only when patterns are checked

    problems = []
    for index, theme in enumerate(themes):
        patterns = theme.get("patterns") if isinstance(theme, dict) else None
        if isinstance(patterns, list):
            for p_index, message in pattern_problems(patterns, strict):
                problems.append((("themes", index, "patterns", p_index), message))
    return problems


def _locate(source: str, root: yaml.Node | None, loc: tuple[Any, ...], message: str) -> str:
    where = " -> ".join(str(part) for part in loc)
    line = _line_of(root, loc)
    prefix = f"{source}:{line}" if line else source
    return f"{prefix} {where}: {message}" if where else f"{prefix}: {message}"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based YAML line of the deepest node on `loc` that exists."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        node, line = found[0], found[1] + 1
    return line


def _child(node: yaml.Node, part: Any) -> tuple[yaml.Node, int] | None:
    """The node under `part` and the line that names it (a mapping key's own line)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value, key.start_mark.line
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part].start_mark.line
    return None


def dump_codebook(codebook: Codebook) -> str:
    """YAML text for a codebook, leaving out empty and default fields."""
    data = codebook.model_dump(mode="json", exclude_defaults=True)
    head = {"name": codebook.name, "version": codebook.version}
    if codebook.description:
        head["description"] = codebook.description
    themes = [{k: t[k] for k in _FIELD_ORDER if k in t} for t in data["themes"]]
    return yaml.safe_dump(
        {**head, "themes": themes}, sort_keys=False, allow_unicode=True, width=100
    )


def write_codebook(codebook: Codebook, path: str | Path, force: bool = False) -> None:
    """Write a codebook as YAML, atomically; refuse to overwrite unless `force`."""
    atomic_write_text(path, dump_codebook(codebook), force=force)
