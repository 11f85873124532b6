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
exporting the same project twice gives the same bytes. These are functions over plain data
(`ProjectComment`, `ProjectCoding`), read once, as the project store gives them: the cases come
before the sources in `project.qde` but are known only after the last comment, so the sources
wait in files until then.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import struct
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from coder.codebook import Codebook
from coder.errors import InputError
from coder.fileio import atomic_path, named_full_disk
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
_CHUNK = 256  # elements serialised at a time


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
    comments: Iterable[ProjectComment],
    name: str | None = None,
    created_at: datetime | str | None = None,
) -> dict[str, bytes]:
    """The files of the .qdpx: `project.qde`, then `sources/<guid>.txt` per comment."""
    parts = _Parts(io.BytesIO(), io.BytesIO(), io.BytesIO())
    gathered = _gather(book, comments, parts)
    _write_head(parts.head, book, gathered, name, created_at)
    qde = b"".join(_qde_pieces(parts, _tail(gathered, book)))
    return {"project.qde": qde, **dict(parts.texts_back())}


def write_qdpx(
    book: Codebook,
    comments: Iterable[ProjectComment],
    path: str | Path,
    name: str | None = None,
    created_at: datetime | str | None = None,
    force: bool = False,
) -> None:
    """Write the project as a .qdpx zip, atomically; refuse to overwrite unless `force`.
    `comments` are read once, and nothing grows with them in memory but their ids, who wrote
    them and the memos: `project.qde`'s parts and the texts wait in files beside `path` (its
    cases, which it lists before its sources, are known only at the end)."""
    full = (
        f"{path}: no space left on the disk (the project's parts wait in files beside it until "
        "it is written); free space there or write it to another disk"
    )
    with atomic_path(path, force) as tmp, named_full_disk(full), _spools(tmp.parent) as parts:
        gathered = _gather(book, comments, parts)
        _write_head(parts.head, book, gathered, name, created_at)
        tail = _tail(gathered, book)
        with zipfile.ZipFile(tmp, "w") as archive:
            info = _member("project.qde")
            info.file_size = parts.qde_size(tail)  # so that it has ZIP64 only if it needs it
            with archive.open(info, "w") as qde:
                for piece in _qde_pieces(parts, tail):
                    qde.write(piece)
            for member, data in parts.texts_back():
                archive.writestr(_member(member), data)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


@dataclass(slots=True)
class _Case:
    """A respondent: their comments' ids, and each attribute's first value among them."""

    ids: list[str]
    values: dict[str, Any]


@dataclass
class _Gathered:
    """What `project.qde` needs from the comments besides their sources, in one pass."""

    ids: set[str] = field(default_factory=set)
    users: dict[str, None] = field(default_factory=lambda: dict.fromkeys([MODEL_USER, RULES_USER]))
    no_theme: bool = False
    cases: dict[str, _Case] = field(default_factory=dict)
    memos: list[tuple[str, str, str]] = field(default_factory=list)  # (comment, coder, memo)

    def add(self, comment: ProjectComment) -> None:
        if comment.id in self.ids:
            raise InputError(f"comment id '{comment.id}' appears twice; each comment needs its own")
        self.ids.add(comment.id)
        for coding in comment.codings:
            self.users.setdefault(coding.coder)
            self.no_theme = self.no_theme or coding.theme == NO_THEME
        for coder, memo in comment.memos:
            self.users.setdefault(coder)
            self.memos.append((comment.id, coder, memo))
        respondent = comment.respondent or comment.id
        case = self.cases.get(respondent)
        if case is None:
            case = self.cases[respondent] = _Case([], {})
        case.ids.append(comment.id)
        for key, value in comment.attributes.items():
            if key not in case.values and _present(value):
                # one copy of each name and value for all: the respondents' own copies (read
                # from the project per comment) would be kept per case until the end
                case.values[sys.intern(key)] = sys.intern(value) if type(value) is str else value


class _Parts:
    """Where `project.qde`'s parts wait until it is written: its head (up to its sources),
    its sources' XML, and the comments' texts, each a length, a GUID and the text."""

    def __init__(self, head: IO[bytes], sources: IO[bytes], texts: IO[bytes]) -> None:
        self.head, self.sources, self.texts = head, sources, texts

    def add_text(self, source_guid: str, text: str) -> None:
        data = xml_safe(text).encode("utf-8")
        self.texts.write(_LENGTH.pack(len(data)) + source_guid.encode("ascii") + data)

    def texts_back(self) -> Iterator[tuple[str, bytes]]:
        """Each comment's text file, `sources/<guid>.txt`, in the comments' order."""
        self.texts.seek(0)
        while header := self.texts.read(_LENGTH.size + _GUID_LENGTH):
            (length,) = _LENGTH.unpack_from(header)
            source_guid = header[_LENGTH.size :].decode("ascii")
            yield f"sources/{source_guid}.txt", self.texts.read(length)

    def qde_size(self, tail: bytes) -> int:
        return self.head.seek(0, io.SEEK_END) + self.sources.seek(0, io.SEEK_END) + len(tail)


_LENGTH = struct.Struct(">Q")
_GUID_LENGTH = 36
_COPY_BYTES = 1 << 20


@contextlib.contextmanager
def _spools(folder: Path) -> Iterator[_Parts]:
    """Files with no name beside the output (no leftovers after a crash, and on the disk the
    user chose to write to, not in a temporary folder that may be small)."""
    with contextlib.ExitStack() as stack:
        spools = [stack.enter_context(tempfile.TemporaryFile(dir=folder)) for _ in range(3)]
        yield _Parts(*spools)


def _gather(book: Codebook, comments: Iterable[ProjectComment], parts: _Parts) -> _Gathered:
    """One pass over the comments: their sources' XML and texts go to `parts`, a few hundred
    at a time (one serialisation per element costs more than the writing)."""
    gathered = _Gathered()
    order = {theme_id: n for n, theme_id in enumerate([*book.codable_ids, NO_THEME])}
    comments = iter(comments)
    for chunk in iter(lambda: list(itertools.islice(comments, _CHUNK)), []):
        for comment in chunk:
            gathered.add(comment)
            parts.add_text(_source_guid(comment.id), comment.text)
        parts.sources.write(_inside("Sources", [_source_element(c, order) for c in chunk]))
    return gathered


def _write_head(
    head: IO[bytes],
    book: Codebook,
    gathered: _Gathered,
    name: str | None,
    created_at: datetime | str | None,
) -> None:
    """`project.qde` up to its sources' own elements: the project, users, codebook, variables
    and cases."""
    root = ET.Element("Project", _project_attributes(book, name, created_at))
    start = ET.tostring(root, encoding="unicode").removesuffix(" />")
    head.write(f"<?xml version='1.0' encoding='utf-8'?>\n{start}>\n".encode())
    head.write(_piece(_users_element(gathered.users)))
    codebook = ET.Element("CodeBook")
    codes = add_codes(codebook, book)
    if gathered.no_theme:
        codes.append(_no_theme_code())
    head.write(_piece(codebook))
    for piece in _cases_pieces(gathered.cases):
        head.write(piece)
    if gathered.ids:
        head.write(b"  <Sources>\n")


def _qde_pieces(parts: _Parts, tail: bytes) -> Iterator[bytes]:
    """`project.qde` as `serialise` would write the whole tree: its head and sources from
    `parts`, then `tail`."""
    for spool in (parts.head, parts.sources):
        spool.seek(0)
        yield from iter(lambda spool=spool: spool.read(_COPY_BYTES), b"")
    yield tail


def _tail(gathered: _Gathered, book: Codebook) -> bytes:
    """`project.qde` after its sources' own elements: their end, the notes, the description."""
    pieces = [b"  </Sources>\n"] if gathered.ids else []
    if gathered.memos:
        pieces += _holding("Notes", (_note_element(*memo) for memo in gathered.memos))
    description = ET.Element("Description")
    description.text = xml_safe(
        f"Codebook '{book.name}' version {book.version}, coded with {ORIGIN}."
    )
    pieces += [_piece(description), b"</Project>\n"]
    return b"".join(pieces)


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
    hundred elements at a time."""
    yield f"  <{tag}>\n".encode()
    elements = iter(elements)
    for chunk in iter(lambda: list(itertools.islice(elements, _CHUNK)), []):
        yield _inside(tag, chunk)
    yield f"  </{tag}>\n".encode()


def _inside(tag: str, chunk: list[ET.Element]) -> bytes:
    """Elements as they are written inside a child `tag` of the root."""
    start, end = f"<{tag}>\n", f"  </{tag}>\n"
    holder = ET.Element(tag)
    holder.extend(chunk)
    ET.indent(holder, level=1)
    return serialise_piece(holder)[len(start) : -len(end)]


def _project_attributes(
    book: Codebook, name: str | None, created_at: datetime | str | None
) -> dict[str, str]:
    attributes = {"xmlns": PROJECT_NS, "name": xml_safe(name or book.name), "origin": ORIGIN}
    if created_at is not None:
        attributes["creationDateTime"] = _timestamp(created_at)
    return attributes


def _users_element(users: Iterable[str]) -> ET.Element:
    """The model and the rules first, then each person (a coder, or a memo's writer) in order
    of first appearance."""
    element = ET.Element("Users")
    for user in users:
        ET.SubElement(element, "User", {"guid": guid(f"user:{user}"), "name": xml_safe(user)})
    return element


def _cases_pieces(cases: Mapping[str, _Case]) -> Iterator[bytes]:
    """Variables (one per attribute, typed from its values) and a case per respondent."""
    types = _variable_types(cases)
    if types:
        variables = ET.Element("Variables")
        for key, kind in types.items():
            attributes = {"guid": guid(f"variable:{key}"), "name": xml_safe(key)}
            ET.SubElement(variables, "Variable", {**attributes, "typeOfVariable": kind})
        yield _piece(variables)
    if cases:
        yield from _holding("Cases", (_case_element(r, c, types) for r, c in cases.items()))


def _case_element(respondent: str, case: _Case, types: dict[str, str]) -> ET.Element:
    attributes = {"guid": guid(f"case:{respondent}"), "name": xml_safe(str(respondent))}
    element = ET.Element("Case", attributes)
    for key, kind in types.items():
        if key in case.values:
            _add_value(element, key, kind, case.values[key])
    for comment_id in case.ids:
        ET.SubElement(element, "SourceRef", {"targetGUID": _source_guid(comment_id)})
    return element


def _present(value: Any) -> bool:
    missing = value is None or value == "" or (isinstance(value, float) and math.isnan(value))
    return not missing


def _variable_types(cases: Mapping[str, _Case]) -> dict[str, str]:
    """Each attribute's REFI type: the one type all its values share (integers and floats
    together are Float), else Text."""
    kinds: dict[str, set[str]] = {}
    for case in cases.values():
        for key, value in case.values.items():
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
    source_guid = _source_guid(comment.id)
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
        ET.SubElement(text_source, "NoteRef", {"targetGUID": _note_guid(comment.id, coder)})
    return text_source


def _source_guid(comment_id: str) -> str:
    return guid(f"source:{comment_id}")


def _note_guid(comment_id: str, coder: str) -> str:
    return guid(f"note:{comment_id}:{coder}")


def _note_element(comment_id: str, coder: str, memo: str) -> ET.Element:
    """A coder's memo on a comment as a Note by them, its text inline."""
    note = ET.Element(
        "Note",
        {
            "guid": _note_guid(comment_id, coder),
            "name": xml_safe(f"Memo on {comment_id} by {coder}"),
            "creatingUser": guid(f"user:{coder}"),
        },
    )
    ET.SubElement(note, "PlainTextContent").text = xml_safe(memo)
    return note


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
