"""`coder export`: wide, long and jsonl files of a project's final coding, and REFI-QDA."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner, Result
from conftest import TINY_CODEBOOK, run_at_terminal
from projects import ROWS, ids_by_external, make_project, result

from coder import coding, export, table_out
from coder.cli import cli
from coder.codebook_io import parse_codebook
from coder.export import export_project, wide_columns
from coder.refi_codebook import codebook_to_qdc
from coder.review import ReviewSession
from coder.store import NewComment, Store
from coder.writers import unneutralise

DATA = Path(__file__).parent / "data" / "refi"
P = "{urn:QDA-XML:project:1.0}"
FORMULA = '=HYPERLINK("http://x.example","click")'
HEADER = (
    "id,text,n,time,cost,box_ticking,time_score,cost_score,box_ticking_score,time_status,"
    "cost_status,box_ticking_status,codes,coding,reviewers,memo,flagged"
)


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, ["export", *(str(a) for a in args)])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """a: time accepted; b: cost accepted, box-ticking rejected, a memo that is a formula;
    c: box-ticking added; d, e: not reviewed. e's text is a formula."""
    db = tmp_path / "coding.db"
    rows = [
        *ROWS,
        ("e", FORMULA, {"time": 0.1, "cost": 0.7, "box_ticking": 0.2}, {"cost": "model"}),
    ]
    with make_project(db, rows) as store:
        review = ReviewSession(store, "ana", order="file")
        review.accept()
        review.toggle("box_ticking")
        review.memo("=1+1")
        review.accept()
        review.toggle("box_ticking")
        review.accept()
    return db


def decided(db: Path) -> dict[tuple[str, str], str]:
    """When ana last decided on each (comment, theme)."""
    with Store(db) as store:
        ids = {i: e for e, i in ids_by_external(store).items()}
        return {(ids[d.comment_id], d.theme): d.decided_at for d in store.decisions() if d.theme}


# --- wide ------------------------------------------------------------------------------------


def test_wide_has_a_row_per_comment_with_codes_scores_statuses_and_provenance(
    project: Path, tmp_path: Path
) -> None:
    with Store(project) as store:  # ben flags d, unreviewed, for discussion
        flagger = ReviewSession(store, "ben", order="file")
        flagger.go_to(ids_by_external(store)["d"])
        flagger.flag()
    out = tmp_path / "coded.csv"
    done = run(project, "-o", out)
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        HEADER,
        "a,No time at all.,2,1,0,0,0.9000,0.1000,0.0500,accepted,,,time,reviewed,ana,,",
        'b,"Budget cut, tick box.",3,0,1,0,0.2000,0.4500,0.3000,,accepted,rejected,cost,reviewed,'
        "ana,'=1+1,",
        "c,The weather was nice.,4,0,0,1,0.0200,0.0300,0.0100,,,added,box_ticking,reviewed,ana,,",
        'd,"Busy rota, no funding.",5,1,1,0,0.5500,0.8000,0.1000,suggested,suggested,,time;cost,'
        "suggested,,,ben",
        'e,"\'=HYPERLINK(""http://x.example"",""click"")",6,0,1,0,0.1000,0.7000,0.2000,,'
        "suggested,,cost,suggested,,,",
    ]
    assert done.stderr.splitlines() == [
        f"Wrote {out}: 5 comments (wide)",
        "Coding used: reviewed coding where there is one (adjudicated, else agreed by its "
        "reviewers, else a single reviewer's), else the model's suggestions; 5 comments: "
        "3 reviewed, 2 suggested.",
    ]


def test_wide_neutralises_attributes_and_reviewer_names_too(tmp_path: Path) -> None:
    db = tmp_path / "coding.db"
    with make_project(db, ROWS[:1]) as store:
        store.import_batch(
            store.latest_run().id,
            "more.csv",
            [(NewComment("f", 2, "Fine.", {"n": "@SUM(1)"}), result("Fine.", {}, {}))],
            {},
        )
        ReviewSession(store, "-ana", order="file").accept()
    rows = list(csv.DictReader(io.StringIO(run(db, "-o", "-").stdout)))
    assert [(r["n"], r["reviewers"]) for r in rows] == [("2", "'-ana"), ("'@SUM(1)", "")]


@pytest.mark.parametrize("fmt", ["wide", "long", "jsonl"])
def test_a_project_read_a_few_comments_at_a_time_exports_the_same_bytes(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert run(project, "-o", whole, "--format", fmt).exit_code == 0
    monkeypatch.setattr(coding, "PART", 2)  # parts of 2, 2 and 1 comments
    done = run(project, "-o", parts, "--format", fmt)
    assert done.exit_code == 0, done.output
    assert parts.read_bytes() == whole.read_bytes()
    assert "5 comments: 3 reviewed, 2 suggested." in done.stderr


def test_reviewed_only_excel_and_stable_bytes(project: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    for out in (first, second):
        assert run(project, "-o", out, "--reviewed-only", "--excel").exit_code == 0
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["id"], r["coding"]) for r in rows] == [
        ("a", "reviewed"),
        ("b", "reviewed"),
        ("c", "reviewed"),
    ]


def test_attributes_from_several_files_and_clashing_names(project: Path, tmp_path: Path) -> None:
    """Two files gave id `a`: every id is written `file:id`. An attribute called `time` keeps
    its name and coder's theme column becomes `coder_time`; an attribute value that is a
    formula is neutralised, and a negative number is not."""
    with Store(project) as store:
        run_id = store.runs()[0].id
        comment = NewComment("a", 2, "Too busy.", {"time": "@SUM(1)", "n": "-3"})
        store.import_batch(run_id, "more.csv", [(comment, result("Too busy.", {}, {}))], {})
    out = tmp_path / "coded.csv"
    assert run(project, "-o", out).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[:6] == ["id", "text", "n", "time", "coder_time", "cost"]
    assert [r["id"] for r in rows] == [
        *(f"comments.csv:{e}" for e in "abcde"),
        "more.csv:a",
    ]
    assert (rows[5]["n"], rows[5]["time"], rows[5]["coder_time"], rows[5]["time_score"]) == (
        "-3",  # a plain number, not a formula: it stays a number
        "'@SUM(1)",
        "0",
        "",
    )
    assert rows[0]["time"] == ""  # the first file has no such attribute


def test_wide_columns_rename_ours_not_the_surveys() -> None:
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    assert wide_columns(["text", "codes", "region"], book) == [
        "id",
        "coder_text",
        "text",
        "codes",
        "region",
        "time",
        "cost",
        "box_ticking",
        "time_score",
        "cost_score",
        "box_ticking_score",
        "time_status",
        "cost_status",
        "box_ticking_status",
        "coder_codes",
        "coding",
        "reviewers",
        "memo",
        "flagged",
    ]


# --- long and jsonl --------------------------------------------------------------------------


def test_long_has_a_row_per_code_with_source_versions_reviewer_and_memo(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "codes.csv"
    assert run(project, "-o", out, "--format", "long").exit_code == 0
    at = decided(project)
    model = "test model (run 1)"
    none = ["suggested", "", "", ""]

    def ana(comment: str, theme: str = "time", memo: str = "") -> list[str]:
        return ["reviewed", "ana", at[comment, theme], memo]

    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert ",".join(rows[0]) == (
        "id,theme,label,status,source,score,evidence,evidence_start,evidence_end,model_version,"
        "codebook_version,coding,reviewer,decided_at,memo"
    )
    assert rows[1:] == [
        ["a", "time", "Time", "accepted", "model", "0.9000", "No", "0", "2", model, "1", *ana("a")],
        [
            "b",
            "cost",
            "Cost",
            "accepted",
            "model",
            "0.4500",
            "Budget",
            "0",
            "6",
            model,
            "1",
            *ana("b", "cost", "'=1+1"),
        ],
        [
            "c",
            "box_ticking",
            "Box-ticking",
            "added",
            "human",
            "0.0100",
            "",
            "",
            "",
            "",
            "1",
            *ana("c", "box_ticking"),
        ],
        ["d", "time", "Time", "suggested", "model", "0.5500", "Busy", "0", "4", model, "1", *none],
        ["d", "cost", "Cost", "suggested", "model", "0.8000", "Busy", "0", "4", model, "1", *none],
        [
            "e",
            "cost",
            "Cost",
            "suggested",
            "model",
            "0.7000",
            "'" + FORMULA,
            "0",
            str(len(FORMULA)),
            model,
            "1",
            *none,
        ],
    ]


def test_jsonl_has_every_theme_with_status_and_evidence(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "coded.jsonl"
    assert run(project, "-o", out, "--format", "jsonl").exit_code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c", "d", "e"]
    b = records[1]
    keys = ("text", "attributes", "codes", "coding", "reviewers", "memo", "flagged")
    assert {k: b[k] for k in keys} == {
        "text": "Budget cut, tick box.",
        "attributes": {"n": "3"},
        "codes": ["cost"],
        "coding": "reviewed",
        "reviewers": ["ana"],
        "memo": "=1+1",  # JSON is data: no spreadsheet neutralising
        "flagged": [],
    }
    assert b["scores"] == {"time": 0.2, "cost": 0.45, "box_ticking": 0.3}
    assert [(t["theme"], t["coded"], t["status"], t["source"]) for t in b["themes"]] == [
        ("cost", True, "accepted", "model"),
        ("box_ticking", False, "rejected", "rule"),
    ]
    assert b["themes"][1]["evidence"] == [
        {"text": "Budget", "start": 0, "end": 6, "kind": "pattern"}
    ]
    assert b["themes"][1]["decided_at"] == decided(project)["b", "box_ticking"]


def test_a_memo_on_a_comment_not_reviewed_is_exported(project: Path, tmp_path: Path) -> None:
    """`coder review --uncoded`: a memo on each comment keeps what you would call it."""
    with Store(project) as store:
        review = ReviewSession(store, "ben", order="file")
        review.go_to(ids_by_external(store)["d"])
        review.memo("a new theme? waiting lists")
    out = tmp_path / "coded.jsonl"
    assert run(project, "-o", out, "--format", "jsonl").exit_code == 0
    records = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert (records["d"]["memo"], records["d"]["coding"]) == (
        "a new theme? waiting lists",
        "suggested",
    )
    assert records["b"]["memo"] == "=1+1"


def test_csv_to_stdout(project: Path) -> None:
    done = run(project, "-o", "-", "--format", "long", "--reviewed-only")
    assert done.exit_code == 0, done.output
    assert [line.split(",")[:2] for line in done.stdout.splitlines()[1:]] == [
        ["a", "time"],
        ["b", "cost"],
        ["c", "box_ticking"],
    ]


# --- REFI-QDA --------------------------------------------------------------------------------


def test_qdc_is_the_projects_codebook(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "book.qdc"
    done = run(project, "-o", out, "--format", "qdc")
    assert done.exit_code == 0, done.output
    xmlschema.XMLSchema(DATA / "Codebook.xsd").validate(out.read_text(encoding="utf-8"))
    assert out.read_bytes() == codebook_to_qdc(parse_codebook(TINY_CODEBOOK, "tiny.yaml"))


def test_qdpx_keeps_who_coded_what_where(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "coding.qdpx"
    done = run(project, "-o", out, "--format", "qdpx")
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(out) as archive:
        qde = archive.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(DATA / "Project.xsd").validate(qde)
    root = ET.fromstring(qde)
    assert root.get("name") == "coding"
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    assert list(users.values()) == ["coder model", "coder rules", "ana"]
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    texts = {e: text for e, text, _, _ in ROWS} | {"e": FORMULA}
    coded = [
        (
            source.get("name"),
            texts[source.get("name")][int(s.get("startPosition")) : int(s.get("endPosition"))],
            codes[c.find(f"{P}CodeRef").get("targetGUID")],
            users[c.get("creatingUser")],
        )
        for source in root.iter(f"{P}TextSource")
        for s in source.iter(f"{P}PlainTextSelection")
        for c in s.iter(f"{P}Coding")
    ]
    assert coded == [
        ("a", "No", "Time", "coder model"),
        ("a", "No time at all.", "Time", "ana"),
        ("b", "Budget", "Cost", "coder model"),
        ("b", "Budget cut, tick box.", "Cost", "ana"),
        ("c", "The weather was nice.", "Box-ticking", "ana"),
        ("d", "Busy", "Time", "coder model"),
        ("d", "Busy", "Cost", "coder model"),
        ("e", FORMULA, "Cost", "coder model"),
    ]
    cases = {c.get("name"): len(c.findall(f"{P}SourceRef")) for c in root.iter(f"{P}Case")}
    assert cases == dict.fromkeys("abcde", 1)
    assert "No theme" not in codes.values()  # nobody coded a comment with no theme
    # ana's memo on b is a note by her, referred to from b's source, its text as written.
    (note,) = root.iter(f"{P}Note")
    assert (note.get("name"), users[note.get("creatingUser")]) == ("Memo on b by ana", "ana")
    assert note.find(f"{P}PlainTextContent").text == "=1+1"
    refs = {
        s.get("name"): [r.get("targetGUID") for r in s.findall(f"{P}NoteRef")]
        for s in root.iter(f"{P}TextSource")
    }
    assert refs == {"a": [], "b": [note.get("guid")], "c": [], "d": [], "e": []}


def test_qdpx_carries_a_persons_no_theme_as_a_code_of_its_own(
    project: Path, tmp_path: Path
) -> None:
    with Store(project) as store:
        review = ReviewSession(store, "ana", order="file")
        review.go_to(ids_by_external(store)["d"])
        review.reject_all()
    out = tmp_path / "coding.qdpx"
    assert run(project, "-o", out, "--format", "qdpx").exit_code == 0
    with zipfile.ZipFile(out) as archive:
        qde = archive.read("project.qde").decode("utf-8")
    xmlschema.XMLSchema(DATA / "Project.xsd").validate(qde)
    root = ET.fromstring(qde)
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    (code,) = [c for c in root.iter(f"{P}Code") if c.get("name") == "No theme"]
    assert code.get("isCodable") == "true"
    assert code.find(f"{P}Description").text.startswith("Not a theme: a person reviewed")
    (source,) = [s for s in root.iter(f"{P}TextSource") if s.get("name") == "d"]
    (selection,) = source.iter(f"{P}PlainTextSelection")
    (coding,) = selection.iter(f"{P}Coding")
    assert (selection.get("startPosition"), selection.get("endPosition")) == ("0", "22")
    assert coding.find(f"{P}CodeRef").get("targetGUID") == code.get("guid")
    assert users[coding.get("creatingUser")] == "ana"


def test_qdpx_codes_a_rule_as_the_rules_user(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    make_project(db, [ROWS[1]]).close()  # b: box-ticking by a rule
    export_project(db, tmp_path / "p.qdpx", "qdpx")
    with zipfile.ZipFile(tmp_path / "p.qdpx") as archive:
        root = ET.fromstring(archive.read("project.qde"))
    users = {u.get("guid"): u.get("name") for u in root.iter(f"{P}User")}
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    made = [
        (codes[c.find(f"{P}CodeRef").get("targetGUID")], users[c.get("creatingUser")])
        for c in root.iter(f"{P}Coding")
    ]
    assert made == [("Cost", "coder model"), ("Box-ticking", "coder rules")]


# --- bad input -------------------------------------------------------------------------------


def test_an_existing_output_is_refused_unless_force(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "coded.csv"
    out.write_text("mine", encoding="utf-8")
    refused = run(project, "-o", out)
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: {out} already exists; use --force to overwrite it\n"
    assert out.read_text(encoding="utf-8") == "mine"
    assert run(project, "-o", out, "--force").exit_code == 0
    assert out.read_text(encoding="utf-8").startswith(HEADER)


def test_an_empty_project_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    Store(db).close()
    for fmt in ("wide", "qdc", "qdpx"):
        failed = run(db, "-o", tmp_path / f"out.{fmt}", "--format", fmt)
        assert failed.exit_code == 1
        assert failed.stderr == (
            f"Error: project {db} has no comments yet; import some with "
            f"`coder tag INPUT --db {db}`\n"
        )
    assert [p.name for p in tmp_path.iterdir()] == ["empty.db"]


def test_a_missing_project_is_not_created(tmp_path: Path) -> None:
    failed = run(tmp_path / "nope.db", "-o", tmp_path / "out.csv")
    assert failed.exit_code == 1
    assert failed.stderr == (
        f"Error: project {tmp_path / 'nope.db'} does not exist; create it with "
        f"`coder tag INPUT --db {tmp_path / 'nope.db'}`\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_reviewed_only_with_nothing_reviewed_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    make_project(db).close()
    failed = run(db, "-o", tmp_path / "out.csv", "--reviewed-only")
    assert failed.exit_code == 1
    assert failed.stderr.startswith(f"Error: no comment in project {db} has been reviewed yet")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "jsonl", "--excel"],
            "--excel is for the CSV formats (wide, long, respondents, sheet, log), not jsonl",
        ),
        (
            ["--format", "qdc", "--reviewed-only"],
            "--reviewed-only does not apply to qdc: it holds the codebook alone",
        ),
    ],
)
def test_options_that_do_not_apply(
    project: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    failed = run(project, "-o", tmp_path / "out", *args)
    assert (failed.exit_code, failed.stderr) == (1, f"Error: {message}\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["wide", "long", "sheet"])
def test_a_workbook_export_holds_what_the_csv_does(project: Path, tmp_path: Path, fmt: str) -> None:
    from openpyxl import load_workbook

    as_csv, as_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    for out in (as_csv, as_xlsx):
        assert run(project, "-o", out, "--format", fmt).exit_code == 0
    # the same cells, a comment's exact text where the CSV kept it from running as a formula
    expected = [
        [unneutralise(cell) for cell in row]
        for row in csv.reader(as_csv.open(encoding="utf-8", newline=""))
    ]

    def shown(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else "" if value is None else str(value)

    sheet = load_workbook(as_xlsx).worksheets[0]
    assert [[shown(c.value) for c in row] for row in sheet.iter_rows()] == expected


@pytest.mark.parametrize("fmt", ["wide", "sheet"])
def test_a_workbook_too_long_for_excel_is_refused_before_a_row_is_written(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(table_out, "XLSX_ROWS", 5)  # Excel's 1,048,576, for 5 comments
    written: list[object] = []
    monkeypatch.setattr(table_out.XlsxRows, "_append", lambda _self, row: written.append(row))
    target = tmp_path / "out.xlsx"
    failed = run(project, "-o", target, "--format", fmt)
    assert (failed.exit_code, failed.stderr) == (
        1,
        f"Error: {target}: 6 rows, more than an Excel sheet holds (5); write CSV instead (a "
        "name ending in .csv)\n",
    )
    assert written == []
    assert not target.exists()


def test_a_long_workbook_is_counted_before_it_is_written_when_it_could_be_too_long(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_csv = tmp_path / "long.csv"
    assert run(project, "-o", as_csv, "--format", "long").exit_code == 0
    rows = len(as_csv.read_text(encoding="utf-8").splitlines())
    assert rows == 7  # a header and 6 codes
    # 5 comments x 3 themes could make 16 rows: over a limit of 6 they are counted first
    monkeypatch.setattr(table_out, "XLSX_ROWS", rows - 1)
    written: list[object] = []
    monkeypatch.setattr(table_out.XlsxRows, "_append", lambda _self, row: written.append(row))
    target = tmp_path / "long.xlsx"
    failed = run(project, "-o", target, "--format", "long")
    assert (failed.exit_code, failed.stderr) == (
        1,
        f"Error: {target}: {rows} rows, more than an Excel sheet holds ({rows - 1}); write CSV "
        "instead (a name ending in .csv)\n",
    )
    assert (written, target.exists()) == ([], False)
    monkeypatch.setattr(table_out, "XLSX_ROWS", rows)  # exactly as many: written
    done = run(project, "-o", target, "--format", "long")
    assert done.exit_code == 0, done.output
    assert len(written) == rows


@pytest.mark.parametrize("fmt", ["wide", "long", "sheet", "qdpx"])
def test_progress_is_told_as_each_part_of_the_comments_is_written(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(coding, "PART", 2)
    monkeypatch.setattr(export, "PART", 2)
    told: list[tuple[int, int]] = []
    export_project(project, tmp_path / f"out.{fmt}", fmt, progress=lambda *a: told.append(a))
    assert told == [(2, 5), (4, 5), (5, 5)]


def test_a_bar_counts_the_export_on_the_terminal_and_the_rows_reach_stdouts_file(
    project: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    status, shown = run_at_terminal(["export", project, "-o", "-"], target)
    assert status == 0, shown
    assert "exporting" in shown
    assert [row["id"] for row in csv.DictReader(target.open(encoding="utf-8"))] == list("abcde")


@pytest.mark.parametrize(
    ("command", "bar", "printed"),
    [
        ("status", "reading the project", "5 comments, 3 reviewed (60%)"),
        ("report", "reading the coding", "Box-ticking"),
    ],
)
def test_commands_that_read_a_whole_project_show_a_bar_while_they_do(
    project: Path, tmp_path: Path, command: str, bar: str, printed: str
) -> None:
    target = tmp_path / "printed.txt"
    status, shown = run_at_terminal([command, project], target)
    assert status == 0, shown
    assert bar in shown
    assert printed in target.read_text(encoding="utf-8")


def test_json_lines_are_not_exported_as_a_workbook(project: Path, tmp_path: Path) -> None:
    failed = run(project, "-o", tmp_path / "x.xlsx", "--format", "jsonl")
    assert (failed.exit_code, failed.stderr) == (
        1,
        "Error: jsonl is JSON, not a table: name the file .jsonl, or choose the wide or long "
        f"format for a workbook ({tmp_path / 'x.xlsx'})\n",
    )


def test_refi_formats_need_a_file(project: Path) -> None:
    failed = run(project, "-o", "-", "--format", "qdpx")
    assert (failed.exit_code, failed.stderr) == (
        1,
        "Error: qdpx is written to a file; give its name with -o\n",
    )


@pytest.mark.parametrize(
    ("name", "fmt", "kind"),
    [
        ("coding.qdpx", "wide", "qdpx"),
        ("coding.csv", "qdpx", "a table"),
        ("c.jsonl", "long", "jsonl"),
    ],
)
def test_a_format_and_a_file_name_that_disagree_are_refused(
    project: Path, tmp_path: Path, name: str, fmt: str, kind: str
) -> None:
    out = tmp_path / name
    refused = run(project, "-o", out, "--format", fmt)
    assert refused.exit_code == 1
    suffix = out.suffix
    assert refused.stderr == (
        f"Error: --format {fmt} and the name {out} disagree: a {suffix} file is {kind}; give the "
        "file a name for its format\n"
    )
    assert not out.exists()
