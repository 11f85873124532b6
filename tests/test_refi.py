"""REFI-QDA: codebooks (.qdc) and projects (.qdpx) for NVivo, ATLAS.ti and MAXQDA, validated
against the standard's schemas (tests/data/refi/), read back, and through the CLI."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import xmlschema
import yaml
from click.testing import CliRunner, Result
from conftest import TINY_CODEBOOK

from coder import __version__
from coder.cli import cli
from coder.codebook import Codebook
from coder.codebook_io import load_codebook, parse_codebook
from coder.errors import InputError, OutputError
from coder.refi_codebook import (
    GUID_NAMESPACE,
    codebook_to_qdc,
    describe_theme,
    guid,
    parse_qdc,
    read_qdc,
    write_qdc,
)
from coder.refi_project import (
    MODEL_USER,
    RULES_USER,
    ProjectCoding,
    ProjectComment,
    project_files,
    write_qdpx,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "refi"
CODEBOOK_XSD = xmlschema.XMLSchema(DATA / "Codebook.xsd")
PROJECT_XSD = xmlschema.XMLSchema(DATA / "Project.xsd")
C = "{urn:QDA-XML:codebook:1.0}"
P = "{urn:QDA-XML:project:1.0}"


@pytest.fixture
def tiny() -> Codebook:
    return parse_codebook(TINY_CODEBOOK, "tiny.yaml")


def without_patterns(book: Codebook) -> dict[str, dict]:
    return {t.id: t.model_dump(exclude={"patterns"}) for t in book.themes}


def qdc(
    codes: str, root: str = '<CodeBook xmlns="urn:QDA-XML:codebook:1.0">', end: str = ""
) -> bytes:
    end = end or "</CodeBook>"
    return f'<?xml version="1.0" encoding="utf-8"?>{root}<Codes>{codes}</Codes>{end}'.encode()


# ------------------------------------------------------------------------- codebook: writing


@pytest.mark.parametrize("name", ["coproduction", "nhs_fft"])
def test_qdc_of_the_shipped_codebooks_is_valid(name: str) -> None:
    data = codebook_to_qdc(load_codebook(ROOT / "codebooks" / f"{name}.yaml"))
    CODEBOOK_XSD.validate(data.decode("utf-8"))


def test_qdc_nests_the_hierarchy_with_groups_not_codable(tiny: Codebook) -> None:
    root = ET.fromstring(codebook_to_qdc(tiny))
    assert root.tag == f"{C}CodeBook"
    assert root.get("origin").startswith("coder ")
    top = root.find(f"{C}Codes").findall(f"{C}Code")
    assert [(c.get("name"), c.get("isCodable"), c.get("color")) for c in top] == [
        ("Barriers", "false", None),
        ("Box-ticking", "true", "#2ca02c"),
    ]
    children = top[0].findall(f"{C}Code")
    assert [(c.get("name"), c.get("isCodable"), c.get("color")) for c in children] == [
        ("Time", "true", "#1f77b4"),
        ("Cost", "true", "#ff7f0e"),
    ]


def test_description_is_readable_text_under_headings(tiny: Codebook) -> None:
    root = ET.fromstring(codebook_to_qdc(tiny))
    time = next(c for c in root.iter(f"{C}Code") if c.get("name") == "Time")
    assert time.find(f"{C}Description").text == (
        "Brief:\nNot enough time.\n\n"
        "Definition:\nLack of time or workload gets in the way.\n\n"
        "Examples:\n"
        "- We never have the time for it.\n"
        "- Too busy with visits to go to meetings.\n"
        "- The rota is so tight there is no time left.\n\n"
        "Coder ID: time"
    )
    assert describe_theme(tiny.theme("barriers")) == "Coder ID: barriers"


def test_guids_are_uuid5_of_theme_ids_and_reexports_are_byte_identical(
    tiny: Codebook, tmp_path: Path
) -> None:
    write_qdc(tiny, tmp_path / "a.qdc")
    write_qdc(tiny.model_copy(), tmp_path / "b.qdc")
    assert (tmp_path / "a.qdc").read_bytes() == (tmp_path / "b.qdc").read_bytes()
    guids = {c.get("name"): c.get("guid") for c in ET.parse(tmp_path / "a.qdc").iter(f"{C}Code")}
    assert guids["Time"] == str(uuid.uuid5(GUID_NAMESPACE, "time"))
    assert len(set(guids.values())) == 4


@pytest.mark.parametrize("key", ["time", "user:ana", "coding:r1:0:12:time:model", "é 漢字 😀", ""])
def test_a_guid_is_the_uuid5_of_its_key(key: str) -> None:
    assert guid(key) == str(uuid.uuid5(GUID_NAMESPACE, key))


def test_write_qdc_refuses_an_existing_file(tiny: Codebook, tmp_path: Path) -> None:
    (tmp_path / "a.qdc").write_text("keep me")
    with pytest.raises(OutputError, match=r"a\.qdc already exists; use --force to overwrite it"):
        write_qdc(tiny, tmp_path / "a.qdc")
    assert (tmp_path / "a.qdc").read_text() == "keep me"
    write_qdc(tiny, tmp_path / "a.qdc", force=True)
    assert read_qdc(tmp_path / "a.qdc").codebook.codable_ids == ["time", "cost", "box_ticking"]


# ---------------------------------------------------------------------- codebook: round trip


@pytest.mark.parametrize("name", ["coproduction", "nhs_fft"])
def test_round_trip_keeps_ids_labels_hierarchy_colours_and_definitions(name: str) -> None:
    book = load_codebook(ROOT / "codebooks" / f"{name}.yaml")
    back = parse_qdc(codebook_to_qdc(book), f"{name}.qdc", book.name)
    assert back.notes == []
    assert without_patterns(back.codebook) == without_patterns(book)
    assert all(not t.patterns for t in back.codebook.themes)


def test_round_trip_of_awkward_text() -> None:
    book = parse_codebook(
        "name: Awkward\n"
        "themes:\n"
        "  - id: quotes\n"
        "    label: 'Quotes & <tags> \"here\"'\n"
        '    definition: "First paragraph.\\n\\nSecond: with a - dash line\\n- not a bullet"\n'
        '    include: ["two\\nlines", "a\\n\\nblank line inside", "  indented\\n    deeper"]\n'
        '    exclude: ["Examples:", "Why:\\nExamples:\\nCoder ID: other"]\n'
        "    counter_examples: ['\u00e9t\u00e9 \U0001f600 emoji']\n",
        "awkward.yaml",
    )
    back = parse_qdc(codebook_to_qdc(book), "awkward.qdc", "Awkward").codebook
    assert without_patterns(back) == without_patterns(book)


def test_yaml_qdc_yaml_through_the_cli(tiny_codebook: Path, tmp_path: Path) -> None:
    exported = run("export", str(tiny_codebook), "-o", str(tmp_path / "tiny.qdc"))
    assert exported.exit_code == 0, exported.output
    assert exported.output == f"Wrote {tmp_path / 'tiny.qdc'}: 4 codes (3 codable)\n"
    CODEBOOK_XSD.validate(str(tmp_path / "tiny.qdc"))
    imported = run(
        "import", str(tmp_path / "tiny.qdc"), "-o", str(tmp_path / "back.yaml"), "--name", "Tiny"
    )
    assert imported.exit_code == 0, imported.output
    assert imported.output == f"Wrote {tmp_path / 'back.yaml'}: 4 themes (3 codable)\n"
    back = load_codebook(tmp_path / "back.yaml")
    assert without_patterns(back) == without_patterns(load_codebook(tiny_codebook))
    assert back.name == "Tiny"


# ------------------------------------------------------------------ codebook: lenient import


@pytest.mark.parametrize(
    ("root", "end"),
    [
        ('<CodeBook xmlns="urn:QDA-XML:codebook:1.0">', "</CodeBook>"),
        ('<CodeBook xmlns="urn:QDA-XML:project:1.0">', "</CodeBook>"),
        ('<CodeBook xmlns="urn:QDA-XML:codebook:1:0">', "</CodeBook>"),
        ('<q:CodeBook xmlns:q="urn:QDA-XML:codebook:0:4">', "</q:CodeBook>"),
        ("<CodeBook>", "</CodeBook>"),
        ("<codebook>", "</codebook>"),
    ],
)
def test_any_namespace_is_read(root: str, end: str) -> None:
    data = qdc('<Code guid="a" name="Time" isCodable="true"/>', root, end)
    book = parse_qdc(data, "x.qdc").codebook
    assert [(t.id, t.label) for t in book.themes] == [("time", "Time")]


def test_codes_without_description_colour_or_codable_flag() -> None:
    data = qdc(
        '<Code guid="{0A1B2C3D-0000-0000-0000-000000000001}" name="Cost">'
        '  <Code guid="x" name=" Travel &amp; parking " color="#abc" />'
        '  <Code guid="y" name="Cost" isCodable="0" color="red"><Description/></Code>'
        "</Code>"
        '<Code guid="z" name="" isCodable="TRUE"/>'
    )
    imported = parse_qdc(data, "x.qdc", "Mine")
    book = imported.codebook
    assert [(t.id, t.label, t.parent, t.codable, t.color) for t in book.themes] == [
        ("cost", "Cost", None, True, None),
        ("travel_parking", "Travel & parking", "cost", True, "#aabbcc"),
        ("cost_2", "Cost", "cost", False, None),
        ("unnamed_code_4", "Unnamed code 4", None, True, None),
    ]
    assert all(t.definition == "" for t in book.themes)
    assert (book.name, book.version, book.description) == ("Mine", "1", "Imported from x.qdc.")
    assert imported.notes == [
        "code 'Cost': colour 'red' is not #RRGGBB; left it out",
        "code 4 has no name; called it 'Unnamed code 4'",
    ]


def test_another_programs_description_is_the_definition_and_headings_are_parsed() -> None:
    data = qdc(
        '<Code guid="a" name="Waits"><Description>Delays of any kind.\n'
        "Include: waiting lists.</Description></Code>"
        '<Code guid="b" name="Staff"><Description>Kind or rude staff.\n\n'
        "When to use:\n* rudeness\n* kindness\n\nCOUNTER EXAMPLES:\nThe building was cold.\n"
        "</Description></Code>"
    )
    waits, staff = parse_qdc(data, "x.qdc").codebook.themes
    assert waits.definition == "Delays of any kind.\nInclude: waiting lists."
    assert (staff.definition, staff.include, staff.counter_examples) == (
        "Kind or rude staff.",
        ["rudeness", "kindness"],
        ["The building was cold."],
    )


@pytest.mark.parametrize(
    ("key", "heading"), [("replaces", "Replaces"), ("split_from", "Split from")]
)
def test_the_ids_of_earlier_themes_go_to_and_come_back_from_its_description(
    key: str, heading: str
) -> None:
    # replaces: themes merged into this one; split_from: themes it is a part of
    book = parse_codebook(
        TINY_CODEBOOK.replace(
            "label: Box-ticking\n", f"label: Box-ticking\n    {key}: [tokenism, lip_service]\n"
        )
    )
    data = codebook_to_qdc(book)
    assert f"{heading}:\n- tokenism\n- lip_service\n\nCoder ID: box_ticking".encode() in data
    back = parse_qdc(data, "earlier.qdc", "Tiny")
    assert back.notes == []
    assert getattr(back.codebook.theme("box_ticking"), key) == ["tokenism", "lip_service"]
    # Another program's text under the heading: what cannot be an id is left out, and said.
    odd = qdc(
        f'<Code guid="a" name="Waits"><Description>Delays.\n\n{heading}:\n- queues\n'
        "- Long Waits!</Description></Code>"
    )
    imported = parse_qdc(odd, "x.qdc")
    assert getattr(imported.codebook.theme("waits"), key) == ["queues"]
    assert imported.notes == [
        f"code 'Waits': 'Long Waits!' under {heading} is not a theme id; left it out"
    ]


def test_coder_ids_win_over_slugs_of_names() -> None:
    data = qdc(
        '<Code guid="a" name="Cost"/>'
        '<Code guid="b" name="Money"><Description>Coder ID: cost</Description></Code>'
        '<Code guid="c" name="Again"><Description>Coder ID: cost</Description></Code>'
        '<Code guid="d" name="Bad id"><Description>Coder ID: Not-An-Id</Description></Code>'
    )
    book = parse_qdc(data, "x.qdc").codebook
    assert [(t.id, t.label) for t in book.themes] == [
        ("cost_2", "Cost"),
        ("cost", "Money"),
        ("again", "Again"),
        ("bad_id", "Bad id"),
    ]
    assert all(t.definition == "" for t in book.themes)


def test_an_atlas_ti_codebook_with_sets() -> None:
    CODEBOOK_XSD.validate(str(DATA / "atlas_ti.qdc"))  # a valid file, as ATLAS.ti writes them
    imported = read_qdc(DATA / "atlas_ti.qdc")
    assert [(t.id, t.label, t.color) for t in imported.codebook.themes] == [
        ("staff_attitude", "Staff attitude", "#46AA00"),
        ("waiting_times", "Waiting times", "#E04B4B"),
        ("staff_attitude_2", "Staff attitude", None),
    ]
    assert imported.codebook.theme("waiting_times").definition == (
        "Delays before an appointment or on the day.\nInclude waiting lists."
    )
    assert imported.codebook.name == "atlas ti"
    assert imported.notes == ["ignored 1 code set ('Experience of care'): coder has no sets"]


def test_an_nvivo_codebook_with_its_misspelt_namespace() -> None:
    imported = read_qdc(DATA / "nvivo_mac.qdc", name="From NVivo")
    book = imported.codebook
    assert [(t.id, t.parent, t.color) for t in book.themes] == [
        ("barriers", None, "#00FF00"),
        ("time", "barriers", "#FF0000"),
        ("money", "barriers", None),
        ("positive_impact", None, "#FFFF00"),
    ]
    assert book.theme("time").definition == "No time to take part."
    assert imported.notes == []


def test_the_codebook_of_a_project_is_read() -> None:
    data = (
        b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"><Users/>'
        b'<CodeBook><Codes><Code guid="a" name="Time" isCodable="true"/></Codes></CodeBook>'
        b"<Sets><Set guid='s' name='Group'/></Sets></Project>"
    )
    imported = parse_qdc(data, "project.qde")
    assert imported.codebook.codable_ids == ["time"]
    assert imported.notes == ["ignored 1 code set ('Group'): coder has no sets"]


# ------------------------------------------------------------------- codebook: bad .qdc files


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "<CodeBook><Codes><Code name='a'></Codes></CodeBook>",
            "Error: bad.qdc is not a REFI-QDA codebook: not well-formed XML (mismatched tag: "
            "line 1, column 34); export it again from your QDA program as a REFI-QDA codebook "
            "(.qdc)\n",
        ),
        (
            "",
            "Error: bad.qdc is not a REFI-QDA codebook: not well-formed XML (no element found: "
            "line 1, column 0); export it again from your QDA program as a REFI-QDA codebook "
            "(.qdc)\n",
        ),
        (
            "<html><body>Codes</body></html>",
            "Error: bad.qdc is not a REFI-QDA codebook: its root element is <html>, expected "
            "<CodeBook>; export it again from your QDA program as a REFI-QDA codebook (.qdc)\n",
        ),
        (
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>',
            "Error: bad.qdc has no codes: expected <Code> elements inside <CodeBook><Codes>\n",
        ),
        (
            '<CodeBook><Codes><Code name="A" isCodable="false"/></Codes></CodeBook>',
            "Error: cannot import a codebook:\n"
            "bad.qdc: no codable theme: set `codable: true` on at least one theme\n",
        ),
    ],
    ids=["mismatched-tag", "empty", "not-a-codebook", "no-codes", "nothing-codable"],
)
def test_cli_import_of_a_malformed_qdc(
    content: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.qdc").write_text(content, encoding="utf-8")
    result = run("import", "bad.qdc", "-o", "out.yaml")
    assert result.exit_code == 1
    assert result.output == message
    assert not Path("out.yaml").exists()


def test_cli_import_prints_notes_and_export_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("import", str(DATA / "atlas_ti.qdc"), "-o", "atlas.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Note: ignored 1 code set ('Experience of care'): coder has no sets\n"
        "Wrote atlas.yaml: 3 themes (3 codable)\n"
    )
    assert yaml.safe_load(Path("atlas.yaml").read_text())["name"] == "atlas ti"
    assert run("export", "atlas.yaml", "-o", "atlas.qdc").exit_code == 0
    again = run("export", "atlas.yaml", "-o", "atlas.qdc")
    assert again.exit_code == 1
    assert again.output == "Error: atlas.qdc already exists; use --force to overwrite it\n"
    assert run("export", "atlas.yaml", "-o", "atlas.qdc", "--force").exit_code == 0


def test_cli_export_of_a_shipped_codebook_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export", "coproduction", "--format", "qdc", "-o", "co.qdc")
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote co.qdc: 23 codes (17 codable)\n"
    assert (
        read_qdc("co.qdc").codebook.codable_ids
        == load_codebook(ROOT / "codebooks" / "coproduction.yaml").codable_ids
    )


def test_cli_export_to_stdout_writes_no_file_named_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    piped = run("export", "coproduction", "-o", "-")
    assert piped.exit_code == 0, piped.output
    assert piped.stdout_bytes == codebook_to_qdc(load_codebook("coproduction"))
    assert piped.stderr == ""
    assert list(tmp_path.iterdir()) == []


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["codebook", *args])


# -------------------------------------------------------------------------------- projects

NOW = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)


def comments() -> list[ProjectComment]:
    return [
        ProjectComment(
            "c1",
            "No time for meetings, and no budget either.",
            respondent="r1",
            attributes={"respondent_type": "workforce", "age": 41, "consented": True},
            codings=[
                ProjectCoding("time", RULES_USER, 0, 7, NOW),
                ProjectCoding("time", MODEL_USER, 0, 20, "2025-03-04T10:30:00+00:00"),
                ProjectCoding("cost", "alice", 29, 42, NOW),
                ProjectCoding("cost", MODEL_USER, 29, 42, NOW),
            ],
        ),
        ProjectComment(
            "c2",
            "A box-ticking exercise.",
            respondent="r1",
            attributes={"respondent_type": "workforce", "age": 41, "consented": True},
            codings=[
                ProjectCoding("box_ticking", "bob"),
                ProjectCoding("box_ticking", "bob", 2, 14),
            ],
        ),
        ProjectComment(
            "c3",
            "Lovely staff.",
            respondent="r2",
            attributes={
                "respondent_type": "lived experience",
                "age": 38.5,
                "joined": date(2024, 5, 1),
            },
        ),
    ]


def qde(files: dict[str, bytes]) -> ET.Element:
    return ET.fromstring(files["project.qde"])


def test_qdpx_is_a_valid_refi_project(tiny: Codebook, tmp_path: Path) -> None:
    write_qdpx(tiny, comments(), tmp_path / "p.qdpx", name="Survey 2025", created_at=NOW)
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        names = archive.namelist()
        project = archive.read("project.qde")
        texts = {n: archive.read(n).decode("utf-8") for n in names[1:]}
    assert names[0] == "project.qde"
    PROJECT_XSD.validate(project.decode("utf-8"))
    root = ET.fromstring(project)
    assert (root.get("name"), root.get("creationDateTime")) == (
        "Survey 2025",
        "2025-03-04T10:30:00Z",
    )
    sources = root.iter(f"{P}TextSource")
    assert [
        texts["sources/" + s.get("plainTextPath").removeprefix("internal://")] for s in sources
    ] == [c.text for c in comments()]


def test_users_keep_the_provenance_of_each_coding(tiny: Codebook) -> None:
    root = qde(project_files(tiny, comments()))
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    assert list(users.values()) == ["coder model", "coder rules", "alice", "bob"]
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    source = next(root.iter(f"{P}TextSource"))
    text = comments()[0].text
    coded = [
        (
            text[int(s.get("startPosition")) : int(s.get("endPosition"))],
            codes[c.find(f"{P}CodeRef").get("targetGUID")],
            users[c.get("creatingUser")],
            c.get("creationDateTime"),
        )
        for s in source.iter(f"{P}PlainTextSelection")
        for c in s.iter(f"{P}Coding")
    ]
    assert coded == [
        ("No time", "Time", "coder rules", "2025-03-04T10:30:00Z"),
        ("No time for meetings", "Time", "coder model", "2025-03-04T10:30:00Z"),
        ("budget either", "Cost", "alice", "2025-03-04T10:30:00Z"),
        ("budget either", "Cost", "coder model", "2025-03-04T10:30:00Z"),
    ]


def test_a_coding_without_a_span_selects_the_whole_comment(tiny: Codebook) -> None:
    root = qde(project_files(tiny, comments()))
    second = list(root.iter(f"{P}TextSource"))[1]
    spans = [
        (s.get("startPosition"), s.get("endPosition"), s.find(f"{P}Coding").get("creationDateTime"))
        for s in second.findall(f"{P}PlainTextSelection")
    ]
    assert spans == [("0", "23", None), ("2", "14", None)]


def test_cases_carry_respondents_attributes_as_typed_variables(tiny: Codebook) -> None:
    root = qde(project_files(tiny, comments()))
    variables = {
        v.get("guid"): (v.get("name"), v.get("typeOfVariable")) for v in root.iter(f"{P}Variable")
    }
    assert list(variables.values()) == [
        ("respondent_type", "Text"),
        ("age", "Float"),
        ("consented", "Boolean"),
        ("joined", "Date"),
    ]
    sources = {s.get("guid"): s.get("name") for s in root.iter(f"{P}TextSource")}
    cases = {
        case.get("name"): (
            {
                variables[v.find(f"{P}VariableRef").get("targetGUID")][0]: v[1].text
                for v in case.findall(f"{P}VariableValue")
            },
            [sources[r.get("targetGUID")] for r in case.findall(f"{P}SourceRef")],
        )
        for case in root.iter(f"{P}Case")
    }
    assert cases == {
        "r1": ({"respondent_type": "workforce", "age": "41.0", "consented": "true"}, ["c1", "c2"]),
        "r2": (
            {"respondent_type": "lived experience", "age": "38.5", "joined": "2024-05-01"},
            ["c3"],
        ),
    }


def test_every_reference_points_at_something_in_the_project(tiny: Codebook) -> None:
    root = qde(project_files(tiny, comments()))
    guids = [e.get("guid") for e in root.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    targets = {e.get("targetGUID") for e in root.iter() if e.get("targetGUID")}
    targets |= {e.get("creatingUser") for e in root.iter() if e.get("creatingUser")}
    assert targets <= set(guids)


def test_the_project_codebook_reads_back_as_the_codebook(tiny: Codebook) -> None:
    back = parse_qdc(project_files(tiny, comments())["project.qde"], "project.qde", "Tiny")
    assert without_patterns(back.codebook) == without_patterns(tiny)


def test_two_exports_are_byte_identical(tiny: Codebook, tmp_path: Path) -> None:
    write_qdpx(tiny, comments(), tmp_path / "a.qdpx", created_at=NOW)
    write_qdpx(tiny, comments(), tmp_path / "b.qdpx", created_at=NOW)
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()


def test_the_written_zip_holds_what_project_files_makes(tiny: Codebook, tmp_path: Path) -> None:
    # write_qdpx streams project.qde in pieces; project_files joins the same pieces.
    name = "Enquête «été» 2025"
    write_qdpx(tiny, comments(), tmp_path / "p.qdpx", name=name, created_at=NOW)
    files = project_files(tiny, comments(), name=name, created_at=NOW)
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        assert {member: archive.read(member) for member in archive.namelist()} == files
    assert f'name="{name}"'.encode() in files["project.qde"]  # UTF-8, not character references
    assert files["project.qde"].startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<Project ")
    assert files["project.qde"].endswith(
        b"  </Sources>\n  <Description>Codebook 'Tiny' version 1, coded with coder "
        + __version__.encode()
        + b".</Description>\n</Project>\n"
    )


def test_xml_special_and_control_characters_in_comments(tiny: Codebook) -> None:
    text = 'Staff said "<b>no time</b>" & left.\x00\x0b\x1f\ud800\r\nThen \U0001f600 no time again'
    comment = ProjectComment(
        '<id & "x">\x01',
        text,
        attributes={"note\x02": "]]> <![CDATA[ &amp; \x07"},
        codings=[ProjectCoding("time", RULES_USER, text.rindex("no time"), len(text))],
    )
    files = project_files(tiny, [comment], name="Name\x03 <&>")
    PROJECT_XSD.validate(files["project.qde"].decode("utf-8"))
    root = qde(files)
    source = next(root.iter(f"{P}TextSource"))
    assert source.get("name") == '<id & "x">\ufffd'
    (value,) = root.iter(f"{P}TextValue")
    assert value.text == "]]> <![CDATA[ &amp; \ufffd"
    written = files["sources/" + source.get("plainTextPath").removeprefix("internal://")]
    assert written.decode("utf-8") == text.replace("\x00\x0b\x1f\ud800", "\ufffd" * 4)
    selection = source.find(f"{P}PlainTextSelection")
    start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
    assert written.decode("utf-8")[start:end] == "no time again"


def test_an_empty_project_is_still_valid(tiny: Codebook) -> None:
    files = project_files(tiny, [])
    assert list(files) == ["project.qde"]
    PROJECT_XSD.validate(files["project.qde"].decode("utf-8"))
    assert qde(files).find(f"{P}Sources") is None


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        (
            ProjectComment("c1", "Text", codings=[ProjectCoding("barriers")]),
            "comment 'c1' is coded with 'barriers', which is not a codable theme of the codebook",
        ),
        (
            ProjectComment("c1", "Text", codings=[ProjectCoding("typo", start=0, end=2)]),
            "comment 'c1' is coded with 'typo', which is not a codable theme of the codebook",
        ),
        (
            ProjectComment("c1", "Text", codings=[ProjectCoding("time", start=2, end=9)]),
            "comment 'c1': evidence span 2-9 for 'time' is not inside its text of 4 characters",
        ),
        (
            ProjectComment("c1", "Text", codings=[ProjectCoding("time", start=2)]),
            "comment 'c1': evidence span 2-None for 'time' is not inside its text of 4 characters",
        ),
        (
            ProjectComment("c1", "Text", codings=[ProjectCoding("time", created_at="yesterday")]),
            "'yesterday' is not a date and time (expected ISO 8601)",
        ),
    ],
)
def test_bad_project_data_is_refused(tiny: Codebook, comment: ProjectComment, message: str) -> None:
    with pytest.raises(InputError) as raised:
        project_files(tiny, [comment])
    assert str(raised.value) == message


def test_duplicate_comment_ids_are_refused_and_nothing_is_written(
    tiny: Codebook, tmp_path: Path
) -> None:
    twice = [ProjectComment("c1", "One"), ProjectComment("c1", "Two")]
    with pytest.raises(
        InputError, match=r"^comment id 'c1' appears twice; each comment needs its own$"
    ):
        write_qdpx(tiny, twice, tmp_path / "p.qdpx")
    assert list(tmp_path.iterdir()) == []


def test_the_comments_are_read_once_and_nothing_is_left_beside_the_file(
    tiny: Codebook, tmp_path: Path
) -> None:
    # An export's comments come from the project as they are read: one pass, not a list.
    write_qdpx(tiny, iter(comments()), tmp_path / "p.qdpx", name="S", created_at=NOW)
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        written = {member: archive.read(member) for member in archive.namelist()}
    assert written == project_files(tiny, comments(), name="S", created_at=NOW)
    assert list(tmp_path.iterdir()) == [tmp_path / "p.qdpx"]


def test_a_project_qde_past_zip_s_4_gib_limit_is_written_with_zip64(
    tiny: Codebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Written in pieces, the entry's size is unknown to zipfile unless told: then past the
    # limit it fails ("File size too large") instead of using ZIP64. A limit of 1 KB stands
    # in for 4 GiB (a project of some two million comments).
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1024)
    write_qdpx(tiny, comments(), tmp_path / "p.qdpx", created_at=NOW)
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        assert (
            archive.read("project.qde")
            == project_files(tiny, comments(), created_at=NOW)["project.qde"]
        )


def test_a_full_disk_names_the_project_file_and_leaves_nothing(
    tiny: Codebook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from coder import refi_project

    def full(*_: object) -> None:  # a disk cannot be filled here: what the write raises then
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(refi_project._Parts, "add_text", full)
    path = tmp_path / "p.qdpx"
    with pytest.raises(OutputError) as caught:
        write_qdpx(tiny, comments(), path)
    assert str(caught.value) == (
        f"{path}: no space left on the disk (the project's parts wait in files beside it until "
        "it is written); free space there or write it to another disk"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_real_model_s_suggestions_export_with_their_evidence(
    tiny: Codebook, tiny_model: Path
) -> None:
    from coder.model import load_model

    texts = ["No time to do it properly.", "The budget was cut.", "The weather was nice."]
    users = {"rule": RULES_USER, "model": MODEL_USER}
    project = [
        ProjectComment(
            str(n),
            result.text,
            codings=[
                ProjectCoding(s.theme, users[s.source], e.start, e.end)
                for s in result.suggestions
                for e in s.evidence[:1]
            ],
        )
        for n, result in enumerate(load_model(tiny_model).tag(texts), 1)
    ]
    root = qde(project_files(tiny, project))
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    coded = [
        (
            texts[n][int(s.get("startPosition")) : int(s.get("endPosition"))],
            codes[ref.get("targetGUID")],
        )
        for n, source in enumerate(root.iter(f"{P}TextSource"))
        for s in source.iter(f"{P}PlainTextSelection")
        for ref in s.iter(f"{P}CodeRef")
    ]
    assert ("No time", "Time") in coded
    assert ("budget", "Cost") in coded
    assert not any(text == texts[2] for text, _ in coded)


def test_cli_export_never_writes_over_the_codebook_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "mine.yaml"
    mine.write_text(TINY_CODEBOOK, encoding="utf-8")
    over = run("export", "mine.yaml", "-o", "./mine.yaml", "--force")
    assert over.exit_code == 1
    assert over.output == "Error: ./mine.yaml is the file being read; write to another file\n"
    assert mine.read_text(encoding="utf-8") == TINY_CODEBOOK
    back = run("import", "mine.yaml", "-o", "mine.yaml", "--force")
    assert back.output == "Error: mine.yaml is the file being read; write to another file\n"
    named = run("export", "mine.yaml", "-o", "other.yaml")
    assert named.output == "Error: a .qdc is XML, not .yaml: name the file .qdc\n"
