"""A codebook as a REFI-QDA codebook (.qdc), the exchange format of NVivo, ATLAS.ti and MAXQDA.

Writing: one `<Code>` per theme, nested as the hierarchy is; `isCodable="false"` for themes that
only group; the colour; and the theme's definition fields in `<Description>` as plain text under
headings (`Brief:`, `Definition:`, `When to use:`, `When not to use:`, `Examples:`,
`Counter-examples:`), ending with a `Coder ID: <id>` line. REFI-QDA has no attribute for our id,
so that line is where it survives a round trip. Each GUID is a uuid5 of the theme id, so
exporting the same codebook twice gives the same bytes. **Patterns are left out**: REFI-QDA has
no place for them, and no other program could use them.

Reading is lenient, as files from other programs come: any namespace (the codebook's, the
project's, a misspelt one, or none), a `<Project>` whose `<CodeBook>` is read, missing
descriptions and colours. A theme's id is the `Coder ID:` line of its description when there is
one, else a slug of its name (`coder.codebook.slugify`), made unique with `_2`, `_3`, ...
Sets are ignored, with a note. A codebook's name, version and description have no place in a
.qdc either: the name comes from the caller (the CLI's `--name`, else the file name).
"""

from __future__ import annotations

import hashlib
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from coder import __version__
from coder.codebook import ID_PATTERN, Codebook, Theme, check_codebook, slugify
from coder.errors import InputError
from coder.fileio import atomic_path

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = f"coder {__version__}"
# Fixed, so that GUIDs depend on the theme id alone: the same theme gets the same GUID in every
# export, and a QDA program can match codes across versions of a codebook.
GUID_NAMESPACE = uuid.UUID("6f3c1e52-8a4d-5b7e-9c21-3d0f4a6b8e19")
_NAMESPACE_BYTES = GUID_NAMESPACE.bytes

# (Theme field, heading in <Description>, is a list)
SECTIONS = (
    ("brief", "Brief", False),
    ("definition", "Definition", False),
    ("include", "When to use", True),
    ("exclude", "When not to use", True),
    ("examples", "Examples", True),
    ("counter_examples", "Counter-examples", True),
    ("replaces", "Replaces", True),  # ids of earlier themes merged into this one
    ("split_from", "Split from", True),  # ids of earlier themes this one is a part of
)
# Headings other programs and people write for the same fields, case-insensitive.
_HEADINGS = {heading.casefold(): name for name, heading, _ in SECTIONS} | {
    "include": "include",
    "inclusion": "include",
    "exclude": "exclude",
    "exclusion": "exclude",
    "example": "examples",
    "counter examples": "counter_examples",
    "counterexamples": "counter_examples",
}
_LISTS = {name for name, _, is_list in SECTIONS if is_list}
_ID_LINE = re.compile(r"Coder ID:\s*(\S+)", re.IGNORECASE)
_BULLET = re.compile(r"^[-*•]\s+")
# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class QdcImport:
    """A codebook read from a .qdc file, and what could not be kept."""

    codebook: Codebook
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ shared with refi_project


def guid(key: str) -> str:
    """A stable GUID for a key: a theme id, or `kind:name` for the other things we export;
    `uuid.uuid5(GUID_NAMESPACE, key)` as text, worked out without a UUID object (a .qdpx of
    100,000 comments asks for almost two million, and building UUIDs took a quarter of it)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + key.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def xml_safe(text: str) -> str:
    """Text XML can carry: each character it cannot (NUL, most control characters, lone
    surrogates) becomes U+FFFD, one for one, so that character offsets stay right."""
    return _NOT_XML.sub("\ufffd", text)


def add_codes(parent: ET.Element, book: Codebook) -> ET.Element:
    """`<Codes>` under `parent`: the codebook's themes nested as its hierarchy is."""
    codes = ET.SubElement(parent, "Codes")
    _add_children(codes, book, None)
    return codes


def serialise(root: ET.Element) -> bytes:
    """UTF-8 XML with a declaration, indented; a carriage return in text stays one."""
    ET.indent(root)
    return b"<?xml version='1.0' encoding='utf-8'?>\n" + serialise_piece(root)


def serialise_piece(element: ET.Element, indent: str = "") -> bytes:
    """One element (already indented) as UTF-8, after `indent`, ending its line."""
    # As text, then encoded: many small elements serialise far faster than through a codec.
    data = ET.tostring(element, encoding="unicode")
    # A parser turns a raw CR in text into LF; a character reference survives. (ElementTree
    # already escapes CR in attribute values, so any raw CR left is in text.)
    return (indent + data.replace("\r", "&#13;") + "\n").encode("utf-8")


def local_name(element: ET.Element) -> str:
    """The tag without its namespace, case-folded: files from other programs vary in both."""
    return element.tag.rsplit("}", 1)[-1].casefold() if isinstance(element.tag, str) else ""


# ------------------------------------------------------------------------------------ writing


def codebook_to_qdc(book: Codebook) -> bytes:
    """The codebook as .qdc XML (namespace `urn:QDA-XML:codebook:1.0`). Patterns are left out."""
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    add_codes(root, book)
    return serialise(root)


def write_qdc(book: Codebook, path: str | Path, force: bool = False) -> None:
    """Write the codebook as a .qdc file, atomically; refuse to overwrite unless `force`."""
    with atomic_path(path, force) as tmp:
        tmp.write_bytes(codebook_to_qdc(book))


def describe_theme(theme: Theme) -> str:
    """The theme's definition fields as readable text with headings, then its `Coder ID:`."""
    parts = []
    for name, heading, is_list in SECTIONS:
        value = getattr(theme, name)
        if value:
            body = "\n".join(_bullet(item) for item in value) if is_list else value
            parts.append(f"{heading}:\n{body}")
    parts.append(f"Coder ID: {theme.id}")
    return xml_safe("\n\n".join(parts))


def _bullet(item: str) -> str:
    # Lines after the first are indented, so that the reader knows they belong to this item.
    return "- " + item.replace("\n", "\n  ")


def _add_children(parent: ET.Element, book: Codebook, parent_id: str | None) -> None:
    for theme in book.children(parent_id):
        attributes = {
            "guid": guid(theme.id),
            "name": xml_safe(theme.label),
            "isCodable": "true" if theme.codable else "false",
        }
        if theme.color:
            attributes["color"] = theme.color
        code = ET.SubElement(parent, "Code", attributes)
        ET.SubElement(code, "Description").text = describe_theme(theme)
        _add_children(code, book, theme.id)


# ------------------------------------------------------------------------------------ reading


def read_qdc(path: str | Path, name: str | None = None) -> QdcImport:
    """Read a REFI-QDA codebook from any QDA program; `name` defaults to the file's name."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_qdc(data, str(path), name or path.stem.replace("_", " "))


def parse_qdc(data: bytes, source: str = "<qdc>", name: str = "Imported codebook") -> QdcImport:
    """A codebook from .qdc XML (or a project's .qde); `source` names it in messages."""
    document = _document(data, source)
    codes = _code_list(_codebook_element(document, source), source)
    notes: list[str] = []
    themes = _themes(codes, notes)
    problems = [f"{source}: {message}" for _, message in check_codebook(themes)]
    if problems:
        raise InputError("cannot import a codebook:\n" + "\n".join(problems))
    book = Codebook.model_validate(
        {
            "name": name,
            "version": "1",
            "description": f"Imported from {Path(source).name}.",
            "themes": themes,
        }
    )
    return QdcImport(book, notes + _set_notes(document))


def parse_description(text: str) -> tuple[dict[str, str | list[str]], str | None]:
    """The definition fields under their headings, and the `Coder ID:` if there is one.

    Text before any heading (all of a description another program wrote) is the definition.
    """
    sections: dict[str, list[str]] = {}
    current, coder_id = "definition", None
    for line in text.splitlines():
        # Only a line that starts at the margin is a heading: an indented one continues a list
        # item. (A definition with a line of its own that reads "Examples:" would be misread.)
        stripped = line.rstrip()
        found_id = _ID_LINE.fullmatch(stripped)
        heading = _HEADINGS.get(stripped[:-1].rstrip().casefold()) if stripped[-1:] == ":" else None
        if found_id:
            coder_id = found_id.group(1)
        elif heading:
            current = heading
            sections.setdefault(current, [])
        else:
            sections.setdefault(current, []).append(line)
    fields: dict[str, str | list[str]] = {}
    for name, lines in sections.items():
        value = _items(lines) if name in _LISTS else "\n".join(lines).strip()
        if value:
            fields[name] = value
    return fields, coder_id


def _items(lines: list[str]) -> list[str]:
    """List items: a bulleted line starts one, an indented line continues it; a line with no
    bullet is an item of its own (other programs' lists)."""
    items: list[str] = []
    for line in lines:
        if items and line.startswith("  "):
            items[-1] += "\n" + line[2:]
        elif line.strip():
            items.append(_BULLET.sub("", line.strip(), count=1))
    return [item.strip() for item in items if item.strip()]


def _document(data: bytes, source: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise InputError(
            f"{source} is not a REFI-QDA codebook: not well-formed XML ({exc}); "
            "export it again from your QDA program as a REFI-QDA codebook (.qdc)"
        ) from None


def _codebook_element(document: ET.Element, source: str) -> ET.Element:
    """The <CodeBook>: the root of a .qdc, or the one inside a project's <Project>."""
    root = document
    if local_name(root) == "project":
        root = next((c for c in root if local_name(c) == "codebook"), root)
    if local_name(root) != "codebook":
        tag = root.tag.rsplit("}", 1)[-1]
        raise InputError(
            f"{source} is not a REFI-QDA codebook: its root element is <{tag}>, expected "
            "<CodeBook>; export it again from your QDA program as a REFI-QDA codebook (.qdc)"
        )
    return root


def _code_list(codebook: ET.Element, source: str) -> list[tuple[ET.Element, int | None]]:
    """Every <Code> in document order, with the index of its parent code. (A loop, not
    recursion: a file nested a thousand deep must not crash us.)"""
    holders = [c for c in codebook if local_name(c) == "codes"] or [codebook]
    found: list[tuple[ET.Element, int | None]] = []
    stack: list[tuple[Iterator[ET.Element], int | None]] = [
        (iter(child for holder in holders for child in holder), None)
    ]
    while stack:
        children, parent = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
        elif local_name(child) == "code":
            found.append((child, parent))
            stack.append((iter(child), len(found) - 1))
    if not found:
        raise InputError(
            f"{source} has no codes: expected <Code> elements inside <CodeBook><Codes>"
        )
    return found


def _themes(codes: list[tuple[ET.Element, int | None]], notes: list[str]) -> list[dict]:
    labels, colors = [], []
    for number, (code, _) in enumerate(codes, 1):  # notes in the order of the file
        labels.append(_label(code, number, notes))
        colors.append(_color(code, labels[-1], notes))
    parsed = [parse_description(_description(code)) for code, _ in codes]
    ids = _ids(labels, [coder_id for _, coder_id in parsed])
    themes = []
    for n, (code, parent) in enumerate(codes):
        theme: dict = {"id": ids[n], "label": labels[n], **parsed[n][0]}
        for heading, key in (("Replaces", "replaces"), ("Split from", "split_from")):
            if key in theme:
                theme[key] = _earlier_ids(theme[key], labels[n], heading, notes)
        if parent is not None:
            theme["parent"] = ids[parent]
        if not _codable(code):
            theme["codable"] = False
        if colors[n]:
            theme["color"] = colors[n]
        themes.append(theme)
    return themes


def _earlier_ids(items: list[str], label: str, heading: str, notes: list[str]) -> list[str]:
    """The ids under a "Replaces:" or "Split from:" heading; a line that cannot be an id is
    left out, noted."""
    kept = []
    for item in items:
        if re.fullmatch(ID_PATTERN, item):
            kept.append(item)
        else:
            notes.append(f"code '{label}': '{item}' under {heading} is not a theme id; left it out")
    return kept


def _label(code: ET.Element, number: int, notes: list[str]) -> str:
    label = attribute(code, "name").strip()
    if not label:
        label = f"Unnamed code {number}"
        notes.append(f"code {number} has no name; called it '{label}'")
    return label


def _ids(labels: list[str], coder_ids: list[str | None]) -> list[str]:
    """Each code's `Coder ID:` where it is a valid id not used before, else a unique slug of
    its name; the explicit ids are taken first, so that a slug never takes one of them."""
    explicit: list[str | None] = []
    taken: set[str] = set()
    for coder_id in coder_ids:
        usable = bool(coder_id and re.fullmatch(ID_PATTERN, coder_id)) and coder_id not in taken
        explicit.append(coder_id if usable else None)
        if usable:
            taken.add(coder_id)
    ids = []
    for label, coder_id in zip(labels, explicit, strict=True):
        ids.append(coder_id or _unique(slugify(label), taken))
    return ids


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def attribute(element: ET.Element, name: str) -> str:
    """An attribute by name, whatever its case (`isCodable`, `iscodable`, ...)."""
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1].casefold() == name.casefold():
            return value
    return ""


def _description(code: ET.Element) -> str:
    found = next((c for c in code if local_name(c) == "description"), None)
    return (found.text or "") if found is not None else ""


def _codable(code: ET.Element) -> bool:
    # xsd:boolean is true, false, 1 or 0; a code without the attribute can be coded.
    return attribute(code, "isCodable").strip().casefold() not in {"false", "0"}


def _color(code: ET.Element, label: str, notes: list[str]) -> str | None:
    value = attribute(code, "color").strip()
    if re.fullmatch(r"#[0-9A-Fa-f]{3}", value):  # #RGB, as the schema allows
        return "#" + "".join(c * 2 for c in value[1:])
    if value and not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        notes.append(f"code '{label}': colour '{value}' is not #RRGGBB; left it out")
        return None
    return value or None


def _set_notes(document: ET.Element) -> list[str]:
    names = [attribute(s, "name") or "(unnamed)" for s in document.iter() if local_name(s) == "set"]
    if not names:
        return []
    listed = ", ".join(f"'{n}'" for n in names)
    plural = "s" if len(names) != 1 else ""
    return [f"ignored {len(names)} code set{plural} ({listed}): coder has no sets"]
