"""The coding in a REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA or QualCoder, read as
each coder's themes on each text source.

Read leniently, as the standard asks of importers: any namespace or none, attribute names in
any case, a source's text inline (`PlainTextContent`) or in the zip (`plainTextPath`
`internal://...`), a coding's coder from the `Coding` or else from its selection. coder codes
whole comments, so a code on any part of a source codes it. A code is matched to a theme by
the GUID coder's own exports give it, else by the `Coder ID:` line of its description, else by
its name (a theme's id or label, or an id a theme replaces). Codings by "coder model" and "coder
rules" are coder's own suggestions in an export of ours, not a person's coding: left out; so is
"coder adjudication"'s, the settled coding of an export of ours, unless asked for by name (to
import as an adjudication). The
"No theme" code of our exports (or any code of that name the codebook has no theme for) is a
person's coding of the comment with no theme, unless they also coded it with a theme. A
note a user wrote on a source they coded (a NoteRef from the source) is their memo on it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from coder.codebook import Codebook
from coder.errors import InputError
from coder.external import ExternalCoding, ExternalFile, ordered_codes
from coder.refi_codebook import attribute, guid, local_name, parse_description
from coder.refi_project import (
    ADJUDICATION_USER,
    MODEL_USER,
    NO_THEME,
    NO_THEME_NAME,
    RULES_USER,
)

MAX_LISTED = 10
_INTERNAL = "internal://"
MAX_SOURCE_BYTES = 10_000_000  # a source's text, unpacked: a long interview, not a zip bomb


def is_qdpx(path: str | Path) -> bool:
    """A REFI-QDA project by its name (.qdpx), or a zip holding a .qde."""
    if str(path).casefold().endswith(".qdpx"):
        return True
    return zipfile.is_zipfile(path) and _qde_member(path) is not None


def read_qdpx_coding(
    path: str | Path,
    book: Codebook,
    coder: str | None = None,
    ignore_unknown: bool = False,
) -> ExternalFile:
    """Every person's coding in the project, or only `coder`'s (a user's name)."""
    parsed = _parse(path)
    _check_coder(parsed.coded, coder, path)
    themes = _CodeThemes(parsed.codes, book)
    codings = []
    settled = 0  # sources the adjudication of an export of ours codes, left out unless asked
    for (user, key), code_guids in parsed.coded.items():
        if coder is None and user == ADJUDICATION_USER:
            settled += 1
        elif coder is None or user == coder:
            name, where, text = parsed.sources[key]
            resolved = {themes.theme(code) for code in code_guids}
            found = resolved - {None, NO_THEME}
            if not found and NO_THEME not in resolved:
                continue  # coded only with codes the codebook lacks, left out: not "no theme"
            ordered = ordered_codes(found, book)  # type: ignore[arg-type]
            memo = parsed.memo(user, key)
            codings.append(
                ExternalCoding(user, (name, key), text, ordered, where, loose=True, memo=memo)
            )
    notes, problems = themes.notes(path, ignore_unknown)
    left_out = _left_out(parsed.machine, parsed.other_sources)
    return ExternalFile(codings, notes + left_out, problems, settled=settled)


@dataclass
class _Parsed:
    """What the project's .qde holds that an import needs."""

    users: dict[str, str] = field(default_factory=dict)  # GUID -> name
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # GUID -> (name, description)
    # (user GUID, then name, source GUID) -> code GUIDs
    coded: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    sources: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)  # GUID -> ...
    machine: int = 0  # codings by coder's model and rules
    other_sources: int = 0  # PDF, picture, audio, video
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)  # GUID -> (user GUID, text)
    noted: dict[str, list[str]] = field(default_factory=dict)  # source GUID -> its note GUIDs

    def take(self, element: ET.Element, archive: zipfile.ZipFile, path: str | Path) -> None:
        """Keep what an element just read holds; let go of a source or a case once read."""
        name = local_name(element)
        if name == "user":
            self.users[_own_guid(element, self.users, path)] = attribute(element, "name")
        elif name == "code":
            description = next(
                (d.text or "" for d in element if local_name(d) == "description"), ""
            )
            key = _own_guid(element, self.codes, path)
            self.codes[key] = (attribute(element, "name"), description)
        elif name == "textsource":
            self._source(element, archive, path)
            element.clear()
        elif name == "note":
            text = next((c.text or "" for c in element if local_name(c) == "plaintextcontent"), "")
            self.notes[_guid(element, "guid")] = (_guid(element, "creatingUser"), text)
            element.clear()
        elif name.endswith("source") or name == "case":
            self.other_sources += name != "case"
            element.clear()

    def _source(self, source: ET.Element, archive: zipfile.ZipFile, path: str | Path) -> None:
        key = _own_guid(source, self.sources, path)
        name = attribute(source, "name") or key
        self.sources[key] = (name, f"{path}: source '{name}'", _text(source, archive))
        refs = [_guid(r, "targetGUID") for r in source if local_name(r) == "noteref"]
        if refs:
            self.noted[key] = refs
        for user_guid, code_guid in _codings(source):
            if self.users.get(user_guid) in (MODEL_USER, RULES_USER):
                self.machine += 1  # dropped at once: they are most of an export of ours
            else:  # named once every user is read (`by_name`), wherever the file lists them
                self.coded.setdefault((user_guid, key), set()).add(code_guid)

    def memo(self, user: str, source: str) -> str | None:
        """The text of the notes `user` wrote on `source` (joined by a blank line), or None
        if they wrote none: their memo on the comment."""
        texts = [
            self.notes[ref][1].strip()
            for ref in self.noted.get(source, ())
            if ref in self.notes and self.users.get(self.notes[ref][0]) == user
        ]
        return "\n\n".join(t for t in texts if t) or None

    def by_name(self) -> None:
        """Key the codings by their user's name rather than GUID (now that every user is read,
        wherever the file put them), leaving out coder's model and rules."""
        coded: dict[tuple[str, str], set[str]] = {}
        for user_guid, key in list(self.coded):
            codes = self.coded.pop((user_guid, key))  # moved, not copied: 100,000 sources
            user = self.users.get(user_guid) or user_guid or "unknown user"
            if user in (MODEL_USER, RULES_USER):
                self.machine += len(codes)
            elif (user, key) in coded:  # two users of one name
                coded[user, key] |= codes
            else:
                coded[user, key] = codes
        self.coded = coded


def _parse(path: str | Path) -> _Parsed:
    """Read the project's .qde as a stream, a source at a time: a project of 100,000 comments
    would take over a gigabyte as one tree."""
    member = _qde_member(path)
    if member is None:
        raise InputError(
            f"{path} is not a REFI-QDA project: no project.qde inside; export it again from "
            "your QDA program as a REFI-QDA project (.qdpx)"
        )
    parsed = _Parsed()
    with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
        try:
            events = ET.iterparse(handle, events=("start", "end"))
            _, root = next(events)
            if local_name(root) != "project":
                raise InputError(
                    f"{path}: {member} holds <{root.tag.rsplit('}', 1)[-1]}>, not a REFI-QDA "
                    "<Project>"
                )
            for event, element in events:
                if event == "end":
                    parsed.take(element, archive, path)
        except ET.ParseError as exc:
            raise InputError(f"{path}: {member} is not well-formed XML ({exc})") from None
    parsed.by_name()
    return parsed


def _qde_member(path: str | Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.casefold().endswith(".qde")]
    except FileNotFoundError:
        raise InputError(f"input file {path} does not exist") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"cannot read {path} as a REFI-QDA project (.qdpx): {exc}") from None
    return next((n for n in names if n.casefold() == "project.qde"), names[0] if names else None)


def _all(root: ET.Element, name: str) -> Iterator[ET.Element]:
    """Descendants by local name."""
    return (e for e in root.iter() if local_name(e) == name)


def _text(source: ET.Element, archive: zipfile.ZipFile) -> str | None:
    """The source's text, inline or from the zip; None if the project does not carry it."""
    inline = next(_all(source, "plaintextcontent"), None)
    if inline is not None:
        text = inline.text or ""
        if len(text) > MAX_SOURCE_BYTES:
            name = attribute(source, "name")
            _too_long(archive, f"source '{name}' holds {len(text):,} characters")
        return text
    where = attribute(source, "plainTextPath")
    if not where.casefold().startswith(_INTERNAL):
        return None
    member = "sources/" + where[len(_INTERNAL) :]
    try:
        size = archive.getinfo(member).file_size
    except KeyError:
        return None
    if size > MAX_SOURCE_BYTES:  # a comment is never this long: a damaged or hostile zip
        _too_long(archive, f"source {member} unpacks to {size:,} bytes")
    return archive.read(member).decode("utf-8", errors="replace").removeprefix("\ufeff")


def _too_long(archive: zipfile.ZipFile, what: str) -> None:
    raise InputError(
        f"{archive.filename}: {what}, more than any comment "
        f"({MAX_SOURCE_BYTES:,}); this is not a project of survey comments"
    )


def _own_guid(element: ET.Element, seen: Mapping[str, object], path: str | Path) -> str:
    """A user's, code's or source's GUID, which the standard requires and codings point to: a
    missing or shared one would pin codings on the wrong comment, code or person."""
    key = _guid(element, "guid")
    kind, name = element.tag.rsplit("}", 1)[-1], attribute(element, "name")
    if not key or key in seen:
        problem = "has no GUID" if not key else f"shares its GUID {key} with another"
        raise InputError(
            f"{path}: a <{kind}> named '{name}' {problem}, so its codings cannot be told "
            "apart; the file is damaged: export it again from your QDA program"
        )
    return key


def _guid(element: ET.Element, name: str) -> str:
    """A GUID attribute, lower case: programs differ (NVivo writes upper case) and the
    schema's pattern takes both."""
    return attribute(element, name).strip().casefold()


def _codings(source: ET.Element) -> Iterator[tuple[str, str]]:
    """(user GUID, code GUID) of every coding on the source's text selections."""
    for selection in _all(source, "plaintextselection"):
        for coding in (c for c in selection if local_name(c) == "coding"):
            user = _guid(coding, "creatingUser") or _guid(selection, "creatingUser")
            for ref in (r for r in coding if local_name(r) == "coderef"):
                yield user, _guid(ref, "targetGUID")


class _CodeThemes:
    """Which theme each of the project's codes stands for, remembering the codes used that the
    codebook has no theme for."""

    def __init__(self, codes: dict[str, tuple[str, str]], book: Codebook) -> None:
        self.book = book
        self.by_guid = {guid(NO_THEME): NO_THEME}
        self.by_guid.update({guid(t.id): t.id for t in book.codable})
        self.by_guid.update({guid(old): new for old, new in book.replaced.items()})
        self.codes = codes  # GUID -> (name, description)
        self.unknown: dict[str, str] = {}  # code GUID -> its name

    def theme(self, code_guid: str) -> str | None:
        if code_guid in self.by_guid:
            return self.by_guid[code_guid]
        name, description = self.codes.get(code_guid, ("", ""))
        for candidate in (parse_description(description)[1], name):
            theme = self.book.resolve(candidate) if candidate else None
            if theme is not None:
                self.by_guid[code_guid] = theme
                return theme
        if name.strip().casefold() in (NO_THEME_NAME.casefold(), NO_THEME):
            return NO_THEME
        self.unknown[code_guid] = name or f"(a code not in the codebook, GUID {code_guid})"
        return None

    def notes(self, path: str | Path, ignore_unknown: bool) -> tuple[list[str], list[str]]:
        """(notes, problems) on the codes no theme answers to: a note on those left out with
        `ignore_unknown`, else a problem that stops the import."""
        if not self.unknown:
            return [], []
        names = sorted(set(self.unknown.values()))
        listed = ", ".join(f"'{n}'" for n in names[:MAX_LISTED])
        more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
        plural = "s" if len(names) != 1 else ""
        if ignore_unknown:
            return [
                f"left out the codings with {len(names)} code{plural} not in the codebook: "
                f"{listed}{more}"
            ], []
        return [], [
            f"{path} codes with {len(names)} code{plural} that codebook '{self.book.name}' has "
            f"no theme for: {listed}{more}. Add them to the codebook (by label, or with the "
            "theme's id as the code's name), or give --ignore-unknown to leave those codings out"
        ]


def _left_out(machine: int, other_sources: int) -> list[str]:
    notes = []
    if machine:
        notes.append(
            f"left out {machine} coding{'s' if machine != 1 else ''} by {MODEL_USER} and "
            f"{RULES_USER}: coder's own suggestions, not a person's coding"
        )
    if other_sources:
        counted = f"{other_sources} sources that are" if other_sources != 1 else "1 source that is"
        notes.append(
            f"left out {counted} not text (PDF, picture, audio, video): coder codes comments"
        )
    return notes


def _check_coder(
    codes: dict[tuple[str, str], set[str]], coder: str | None, path: str | Path
) -> None:
    """Refuse a project with no person's coding, or none by the `coder` asked for."""
    coders = sorted({user for user, _ in codes})
    if not coders:
        raise InputError(f"{path} has no coding of text sources by a person to import")
    if coder is not None and coder not in coders:
        listed = ", ".join(f"'{c}'" for c in coders)
        raise InputError(f"{path} has no coding by '{coder}'; it has coding by {listed}")
