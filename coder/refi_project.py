"""A coded project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti and MAXQDA.

A .qdpx is a zip with `project.qde` (namespace `urn:QDA-XML:project:1.0`) and the text of each
source under `sources/`. Ours holds:

- Users: every human coder, plus "coder model" and "coder rules", so that a program that shows
  who coded what also shows which codes came from the classifier and which from a pattern, and
  "coder adjudication" for the settled coding of the comments coders differed on.
- CodeBook: the codebook, as in a .qdc (`coder.refi_codebook`), and where a person coded a
  comment with none of its themes, a "No theme" code for that decision (a QDA program keeps
  only codings: without it, "reviewed, no theme" would not survive the round trip).
- Variables and Cases: one case per respondent, its attributes as variable values.
- Sources: one TextSource per comment, its text in `sources/<guid>.txt` (`plainTextPath`, as
  NVivo, ATLAS.ti and MAXQDA write it; the schema allows that or `PlainTextContent`, not both);
  one PlainTextSelection per coded span (the evidence, or the whole comment), with a Coding
  per theme and coder, then a NoteRef to each memo on the comment.
- Notes: each coder's memo on a comment, as a note by that user.

Positions count characters (Python string indices, i.e. Unicode code points) from 0, end
exclusive. A character XML cannot carry becomes U+FFFD, one for one, so offsets stay right.
Every GUID is a uuid5 of what it stands for, and the order of everything follows the input, so
exporting the same project twice gives the same bytes. These are pure functions over plain data
(`ProjectComment`, `ProjectCoding`); the project store maps its rows onto them.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from coder.codebook import Codebook
from coder.errors import InputError
from coder.fileio import atomic_path
from coder.refi_codebook import ORIGIN, add_codes, guid, serialise_piece, xml_safe

PROJECT_NS = "urn:QDA-XML:project:1.0"
MODEL_USER = "coder model"
RULES_USER = "coder rules"
# Where coders differed and someone settled it: the settled coding, which is no one coder's.
ADJUDICATION_USER = "coder adjudication"
# A person's coding of a comment with none of the codebook's themes; never a theme id (ids are
# lower-case letters, digits and _), so its code's GUID cannot be a theme's.
NO_THEME = "(no theme)"
NO_THEME_NAME = "No theme"
# Zip entries carry a date; a fixed one keeps re-exports byte-identical.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class ProjectCoding:
    """One theme on a comment. `start`/`end` are character offsets of the evidence; None for
    both codes the whole comment. `coder` is a user's name: a reviewer, MODEL_USER or
    RULES_USER."""

    theme: str
    coder: str = MODEL_USER
    start: int | None = None
    end: int | None = None
    created_at: datetime | str | None = None


@dataclass(frozen=True, slots=True)
class ProjectComment:
    """A comment, who wrote it (`respondent`, default: the comment's own id), the respondent's
    attributes (str, int, float, bool, date or datetime; None and "" are left out), and its
    codings."""

    id: str
    text: str
    respondent: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    codings: Sequence[ProjectCoding] = ()
    memos: Sequence[tuple[str, str]] = ()  # (coder, memo): each becomes a Note on the source


def project_files(
    book: Codebook,
    comments: Sequence[ProjectComment],
    name: str | None = None,
    created_at: datetime | str | None = None,
) -> dict[str, bytes]:
    """The files of the .qdpx: `project.qde`, then `sources/<guid>.txt` per comment."""
    _check_ids(comments)
    qde = b"".join(_qde_pieces(book, comments, name, created_at))
    return {"project.qde": qde, **dict(_source_texts(comments))}


def write_qdpx(
    book: Codebook,
    comments: Sequence[ProjectComment],
    path: str | Path,
    name: str | None = None,
    created_at: datetime | str | None = None,
    force: bool = False,
) -> None:
    """Write the project as a .qdpx zip, atomically; refuse to overwrite unless `force`.
    `project.qde` is written a few hundred cases and sources at a time, never whole in memory."""
    _check_ids(comments)
    with atomic_path(path, force) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        with archive.open(_member("project.qde"), "w") as qde:
            for piece in _qde_pieces(book, comments, name, created_at):
                qde.write(piece)
        for member, data in _source_texts(comments):
            archive.writestr(_member(member), data)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _qde_pieces(
    book: Codebook,
    comments: Sequence[ProjectComment],
    name: str | None,
    created_at: datetime | str | None,
) -> Iterator[bytes]:
    """`project.qde` as `serialise` would write the whole tree, made and written a few hundred
    elements at a time: a project of 100,000 comments has millions of elements."""
    root = ET.Element("Project", _project_attributes(book, name, created_at))
    start = ET.tostring(root, encoding="unicode").removesuffix(" />")
    yield f"<?xml version='1.0' encoding='utf-8'?>\n{start}>\n".encode()
    yield _piece(_users_element(comments))
    codebook = ET.Element("CodeBook")
    codes = add_codes(codebook, book)
    if any(c.theme == NO_THEME for comment in comments for c in comment.codings):
        codes.append(_no_theme_code())
    yield _piece(codebook)
    yield from _cases_pieces(comments)
    if comments:
        order = {theme_id: n for n, theme_id in enumerate([*book.codable_ids, NO_THEME])}
        yield from _holding("Sources", (_source_element(c, order) for c in comments))
    if any(comment.memos for comment in comments):
        notes = (note for comment in comments for note in _note_elements(comment))
        yield from _holding("Notes", notes)
    description = ET.Element("Description")
    description.text = xml_safe(
        f"Codebook '{book.name}' version {book.version}, coded with {ORIGIN}."
    )
    yield _piece(description)
    yield b"</Project>\n"


def _no_theme_code() -> ET.Element:
    code = ET.Element("Code", {"guid": guid(NO_THEME), "name": NO_THEME_NAME, "isCodable": "true"})
    ET.SubElement(code, "Description").text = (
        "Not a theme: a person reviewed the comment and coded it with none of the codebook's "
        f"themes. Written by {ORIGIN}, which reads it back as that decision."
    )
    return code


def _piece(element: ET.Element) -> bytes:
    """A child of the root, indented as in the whole tree, on lines of its own."""
    ET.indent(element, level=1)
    return serialise_piece(element, "  ")


def _holding(tag: str, elements: Iterable[ET.Element]) -> Iterator[bytes]:
    """A child of the root holding `elements`, as `_piece` would write it, serialised a few
    hundred elements at a time (one call per element costs more than the writing)."""
    start, end = f"<{tag}>\n", f"  </{tag}>\n"
    yield f"  {start}".encode()
    elements = iter(elements)
    for chunk in iter(lambda: list(itertools.islice(elements, 256)), []):
        holder = ET.Element(tag)
        holder.extend(chunk)
        ET.indent(holder, level=1)
        yield serialise_piece(holder)[len(start) : -len(end)]
    yield end.encode()


def _check_ids(comments: Sequence[ProjectComment]) -> None:
    seen: set[str] = set()
    for comment in comments:
        if comment.id in seen:
            raise InputError(f"comment id '{comment.id}' appears twice; each comment needs its own")
        seen.add(comment.id)


def _project_attributes(
    book: Codebook, name: str | None, created_at: datetime | str | None
) -> dict[str, str]:
    attributes = {"xmlns": PROJECT_NS, "name": xml_safe(name or book.name), "origin": ORIGIN}
    if created_at is not None:
        attributes["creationDateTime"] = _timestamp(created_at)
    return attributes


def _users(comments: Sequence[ProjectComment]) -> list[str]:
    """The model and the rules first, then each person (a coder, or a memo's writer) in order
    of first appearance."""
    users = [MODEL_USER, RULES_USER]
    for comment in comments:
        for coder in [*(c.coder for c in comment.codings), *(name for name, _ in comment.memos)]:
            if coder not in users:
                users.append(coder)
    return users


def _users_element(comments: Sequence[ProjectComment]) -> ET.Element:
    users = ET.Element("Users")
    for user in _users(comments):
        ET.SubElement(users, "User", {"guid": guid(f"user:{user}"), "name": xml_safe(user)})
    return users


def _cases_pieces(comments: Sequence[ProjectComment]) -> Iterator[bytes]:
    """Variables (one per attribute, typed from its values) and a case per respondent."""
    cases: dict[str, list[ProjectComment]] = {}
    for comment in comments:
        cases.setdefault(comment.respondent or comment.id, []).append(comment)
    values = {r: {k: _first_value(group, k) for k in _keys(group)} for r, group in cases.items()}
    types = _variable_types(values)
    if types:
        variables = ET.Element("Variables")
        for key, kind in types.items():
            attributes = {"guid": guid(f"variable:{key}"), "name": xml_safe(key)}
            ET.SubElement(variables, "Variable", {**attributes, "typeOfVariable": kind})
        yield _piece(variables)
    if cases:
        made = (_case_element(r, group, values[r], types) for r, group in cases.items())
        yield from _holding("Cases", made)


def _case_element(
    respondent: str,
    group: list[ProjectComment],
    values: dict[str, Any],
    types: dict[str, str],
) -> ET.Element:
    attributes = {"guid": guid(f"case:{respondent}"), "name": xml_safe(str(respondent))}
    case = ET.Element("Case", attributes)
    for key, kind in types.items():
        if key in values:
            _add_value(case, key, kind, values[key])
    for comment in group:
        ET.SubElement(case, "SourceRef", {"targetGUID": guid(f"source:{comment.id}")})
    return case


def _keys(comments: Sequence[ProjectComment]) -> list[str]:
    keys: list[str] = []
    for comment in comments:
        keys += [k for k, v in comment.attributes.items() if k not in keys and _present(v)]
    return keys


def _first_value(group: Sequence[ProjectComment], key: str) -> Any:
    """A respondent's value of an attribute: the first of their comments that has one."""
    return next(c.attributes[key] for c in group if _present(c.attributes.get(key)))


def _present(value: Any) -> bool:
    missing = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    return not missing


def _variable_types(values: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each attribute's REFI type: the one type all its values share (integers and floats
    together are Float), else Text."""
    kinds: dict[str, set[str]] = {}
    for row in values.values():
        for key, value in row.items():
            kinds.setdefault(key, set()).add(_kind(value))
    return {key: _common(found) for key, found in kinds.items()}


def _common(kinds: set[str]) -> str:
    if len(kinds) == 1:
        return next(iter(kinds))
    return "Float" if kinds == {"Integer", "Float"} else "Text"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float) and math.isfinite(value):
        return "Float"
    if isinstance(value, datetime):
        return "DateTime"
    if isinstance(value, date):
        return "Date"
    return "Text"


def _add_value(case: ET.Element, key: str, kind: str, value: Any) -> None:
    holder = ET.SubElement(case, "VariableValue")
    ET.SubElement(holder, "VariableRef", {"targetGUID": guid(f"variable:{key}")})
    ET.SubElement(holder, f"{kind}Value").text = _value_text(kind, value)


def _value_text(kind: str, value: Any) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        return format(Decimal(repr(float(value))), "f")  # xsd:decimal: no exponent
    if kind == "DateTime":
        return _timestamp(value)
    if kind == "Date":
        return value.isoformat()
    return xml_safe(str(value))


def _source_element(comment: ProjectComment, order: dict[str, int]) -> ET.Element:
    source_guid = guid(f"source:{comment.id}")
    text_source = ET.Element(
        "TextSource",
        {
            "guid": source_guid,
            "name": xml_safe(str(comment.id)),
            "plainTextPath": f"internal://{source_guid}.txt",
        },
    )
    _add_selections(text_source, comment, order)
    for coder, _ in comment.memos:
        ET.SubElement(text_source, "NoteRef", {"targetGUID": _note_guid(comment, coder)})
    return text_source


def _note_guid(comment: ProjectComment, coder: str) -> str:
    return guid(f"note:{comment.id}:{coder}")


def _note_elements(comment: ProjectComment) -> Iterator[ET.Element]:
    """Each coder's memo on the comment as a Note by them, its text inline."""
    for coder, memo in comment.memos:
        note = ET.Element(
            "Note",
            {
                "guid": _note_guid(comment, coder),
                "name": xml_safe(f"Memo on {comment.id} by {coder}"),
                "creatingUser": guid(f"user:{coder}"),
            },
        )
        ET.SubElement(note, "PlainTextContent").text = xml_safe(memo)
        yield note


def _source_texts(comments: Sequence[ProjectComment]) -> Iterator[tuple[str, bytes]]:
    """Each comment's text file: `sources/<guid>.txt`."""
    for comment in comments:
        member = f"sources/{guid(f'source:{comment.id}')}.txt"
        yield member, xml_safe(comment.text).encode("utf-8")


def _add_selections(source: ET.Element, comment: ProjectComment, order: dict[str, int]) -> None:
    """One selection per coded span, holding a coding per (theme, coder) on it."""
    spans: dict[tuple[int, int], dict[tuple[str, str], ProjectCoding]] = {}
    for coding in comment.codings:
        span = _span(comment, coding)
        if coding.theme not in order:
            raise InputError(
                f"comment '{comment.id}' is coded with '{coding.theme}', which is not a codable "
                "theme of the codebook"
            )
        spans.setdefault(span, {}).setdefault((coding.theme, coding.coder), coding)
    for (start, end), codings in sorted(spans.items()):
        ranked = sorted(codings.values(), key=lambda c: (order[c.theme], c.coder))
        key = f"{comment.id}:{start}:{end}"
        selection = ET.SubElement(
            source,
            "PlainTextSelection",
            {
                "guid": guid(f"selection:{key}"),
                "startPosition": str(start),
                "endPosition": str(end),
                **_made_by(ranked[0]),
            },
        )
        for coding in ranked:
            made = {"guid": guid(f"coding:{key}:{coding.theme}:{coding.coder}"), **_made_by(coding)}
            ET.SubElement(
                ET.SubElement(selection, "Coding", made),
                "CodeRef",
                {"targetGUID": guid(coding.theme)},
            )


def _span(comment: ProjectComment, coding: ProjectCoding) -> tuple[int, int]:
    if coding.start is None and coding.end is None:
        return 0, len(comment.text)
    start, end = coding.start, coding.end
    if start is None or end is None or not 0 <= start <= end <= len(comment.text):
        raise InputError(
            f"comment '{comment.id}': evidence span {start}-{end} for '{coding.theme}' is not "
            f"inside its text of {len(comment.text)} characters"
        )
    return start, end


def _made_by(coding: ProjectCoding) -> dict[str, str]:
    made = {"creatingUser": guid(f"user:{coding.coder}")}
    if coding.created_at is not None:
        made["creationDateTime"] = _timestamp(coding.created_at)
    return made


def _timestamp(value: datetime | str) -> str:
    """xsd:dateTime: seconds, and UTC as Z when the time zone is known."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"'{value}' is not a date and time (expected ISO 8601)") from None
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return value.isoformat(timespec="seconds")
