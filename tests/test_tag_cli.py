"""`coder tag` end to end: inputs of every kind in, wide, long and JSON lines out."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, read_csv, run_at_terminal, write_csv
from openpyxl import Workbook

from coder.cli import cli
from coder.codebook_io import load_codebook
from coder.model import ThemeModel, load_model
from coder.writers import neutralise, unneutralise

THEME_IDS = ["time", "cost", "box_ticking"]
ADDED = [*THEME_IDS, *(f"{t}_score" for t in THEME_IDS), "codes"]
ROWS = [
    ("r1", "We never get the time, the rota is packed.", "North"),
    ("r2", "There was no budget for the bus fares.", "South"),
    ("r3", "Honestly it was ticking boxes for the inspectors. Nobody listened.", "East"),
    ("r4", "The weather was nice.", "West"),
]
EXPECTED_CODES = {"r1": "time", "r2": "cost", "r3": "box_ticking", "r4": ""}


def run(*args: object, input: bytes | str | None = None) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


@pytest.fixture
def comments(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "comments.csv", ["id", "comment", "region"], ROWS)


@pytest.fixture
def tag_args(tiny_model: Path, tiny_codebook: Path) -> list[object]:
    """The model and codebook options every `coder tag` call here uses."""
    return ["-m", tiny_model, "-c", tiny_codebook]


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def header_of(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


# --- output formats --------------------------------------------------------------------------


def test_wide_output_keeps_every_column_and_adds_one_per_theme(
    comments: Path, tag_args: list[object], tiny_model: Path
) -> None:
    result = run("tag", comments, *tag_args)
    assert result.exit_code == 0, result.output
    assert header_of(result.stdout) == ["id", "comment", "region", *ADDED]
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["comment"], r["region"]) for r in rows] == ROWS
    assert {r["id"]: r["codes"] for r in rows} == EXPECTED_CODES
    for row in rows:
        coded = row["codes"].split(";") if row["codes"] else []
        assert {t: row[t] for t in THEME_IDS} == {t: str(int(t in coded)) for t in THEME_IDS}
    # The scores are the model's, to four places.
    expected = list(load_model(tiny_model).tag([text for _, text, _ in ROWS]))
    for row, tagged in zip(rows, expected, strict=True):
        assert {t: row[f"{t}_score"] for t in THEME_IDS} == {
            t: f"{tagged.scores[t]:.4f}" for t in THEME_IDS
        }
    assert (
        result.stderr.strip()
        == "Tagged 4 comments from column 'comment' (3 with at least one theme) -> stdout"
    )


def workbook_rows(path: Path) -> list[list[str]]:
    """A workbook's first sheet as CSV would hold it: numbers as coder writes them in CSV."""
    from openpyxl import load_workbook

    def shown(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.4f}"
        return "" if value is None else str(value)

    sheet = load_workbook(path).worksheets[0]
    return [[shown(c.value) for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize("fmt", ["wide", "long"])
def test_a_workbook_output_holds_what_the_csv_does(
    comments: Path, tag_args: list[object], tmp_path: Path, fmt: str
) -> None:
    as_csv, as_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    for out in (as_csv, as_xlsx):
        done = run("tag", comments, *tag_args, "--format", fmt, "-o", out)
        assert done.exit_code == 0, done.output
    # the same cells, a comment's exact text where the CSV kept it from running as a formula
    expected = [
        [unneutralise(cell) for cell in row]
        for row in csv.reader(as_csv.open(encoding="utf-8", newline=""))
    ]
    assert workbook_rows(as_xlsx) == expected and len(expected) > 3


def test_json_lines_are_not_written_as_a_workbook(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    done = run("tag", comments, *tag_args, "--format", "jsonl", "-o", tmp_path / "out.xlsx")
    assert (done.exit_code, done.stderr) == (
        1,
        "Error: jsonl is JSON, not a table: name the file .jsonl, or choose the wide or long "
        f"format for a workbook ({tmp_path / 'out.xlsx'})\n",
    )
    assert list(tmp_path.glob("*.xlsx")) == []


def test_wide_output_prefixes_clashing_column_names(tmp_path: Path, tag_args: list[object]) -> None:
    source = write_csv(
        tmp_path / "in.csv",
        ["comment", "codes", "time"],
        [("No time at all, always rushing.", "mine", "09:00")],
    )
    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    header = header_of(result.stdout)
    assert header == [
        "comment",
        "codes",
        "time",
        "coder_time",
        "cost",
        "box_ticking",
        "time_score",
        "cost_score",
        "box_ticking_score",
        "coder_codes",
    ]
    [row] = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert row[:3] == ["No time at all, always rushing.", "mine", "09:00"]
    assert row[3] == "1" and row[-1] == "time"


def test_long_output_has_a_row_per_code_with_evidence(
    comments: Path, tag_args: list[object]
) -> None:
    result = run("tag", comments, *tag_args, "--format", "long")
    assert result.exit_code == 0, result.output
    assert header_of(result.stdout) == [
        "id",
        "theme",
        "label",
        "score",
        "source",
        "evidence",
        "evidence_start",
        "evidence_end",
    ]
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["theme"], r["label"]) for r in rows] == [
        ("r1", "time", "Time"),
        ("r2", "cost", "Cost"),
        ("r3", "box_ticking", "Box-ticking"),
    ]
    texts = {row_id: text for row_id, text, _ in ROWS}
    for row in rows:
        assert 0.0 <= float(row["score"]) <= 1.0
        assert row["source"] in {"model", "rule"}
        start, end = int(row["evidence_start"]), int(row["evidence_end"])
        assert texts[row["id"]][start:end] == row["evidence"]
    # A pattern match is the evidence where there is one; "no budget" is a negated match, so
    # the deciding sentence is.
    assert rows[1]["evidence"] == ROWS[1][1]
    assert rows[2]["evidence"] == "ticking boxes"


def test_long_output_uses_line_numbers_without_an_id_column(
    tmp_path: Path, tag_args: list[object]
) -> None:
    source = write_csv(
        tmp_path / "in.csv",
        ["comment"],
        [("The weather was nice.",), ("There was no budget for the bus fares.",)],
    )
    result = run("tag", source, *tag_args, "--format", "long")
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["theme"]) for r in parse_csv(result.stdout)] == [("3", "cost")]


def test_jsonl_output_has_an_object_per_comment(comments: Path, tag_args: list[object]) -> None:
    result = run("tag", comments, *tag_args, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["r1", "r2", "r3", "r4"]
    assert records[0]["row"] == {"id": "r1", "comment": ROWS[0][1], "region": "North"}
    assert [r["text"] for r in records] == [text for _, text, _ in ROWS]
    assert {r["id"]: ";".join(r["codes"]) for r in records} == EXPECTED_CODES
    for record in records:
        assert list(record["scores"]) == THEME_IDS
        assert [s["theme"] for s in record["suggestions"]] == record["codes"]
        for s in record["suggestions"]:
            for e in s["evidence"]:
                assert record["text"][e["start"] : e["end"]] == e["text"]


def test_summary_is_one_line_whatever_the_path(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    folder = tmp_path / ("long_folder_name_" * 4)
    folder.mkdir()
    target = folder / "out.csv"
    result = run("tag", comments, *tag_args, "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Tagged 4 comments from column 'comment' (3 with at least one theme) -> {target}\n"
    )


def test_output_to_a_file_and_to_stdout_dash_agree(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    to_file = run("tag", comments, *tag_args, "-o", target)
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == ""
    assert " ".join(to_file.stderr.split()).endswith(f"-> {target}")
    to_stdout = run("tag", comments, *tag_args, "-o", "-")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert target.read_text(encoding="utf-8") == to_stdout.stdout
    assert {r["id"]: r["codes"] for r in read_csv(target)} == EXPECTED_CODES


def test_rows_on_stdout_reach_its_file_while_a_bar_shows_on_the_terminal(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    # `coder tag ... -o - > out.csv` at a terminal: the bar on stderr once took stdout over and
    # printed the rows on the terminal, leaving out.csv empty.
    target = tmp_path / "out.csv"
    status, shown = run_at_terminal(["tag", comments, *tag_args, "-o", "-"], target)
    assert status == 0, shown
    assert "tagging" in shown
    assert {r["id"]: r["codes"] for r in read_csv(target)} == EXPECTED_CODES
    assert "r1" not in shown and "rota" not in shown


# --- inputs ----------------------------------------------------------------------------------


def test_input_from_stdin(comments: Path, tag_args: list[object]) -> None:
    result = run("tag", "-", *tag_args, input=comments.read_bytes())
    assert result.exit_code == 0, result.output
    assert {r["id"]: r["codes"] for r in parse_csv(result.stdout)} == EXPECTED_CODES
    assert "Tagged 4 comments" in result.stderr


def test_xlsx_from_stdin(tag_args: list[object]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["id", "comment"])
    book.active.append([1, "There was no budget for the bus fares."])
    data = io.BytesIO()
    book.save(data)
    result = run("tag", "-", *tag_args, input=data.getvalue())
    assert result.exit_code == 0, result.output
    assert [(r["id"], r["codes"]) for r in parse_csv(result.stdout)] == [("1", "cost")]


def test_xlsx_input(tmp_path: Path, tag_args: list[object]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Respondent", "Feedback", "Score"])
    sheet.append([101, "There was no budget for the bus fares.", 2.0])
    sheet.append([102, "We never get the time, the rota is packed.", 3.5])
    sheet.append([None, None, None])  # a blank row is skipped
    sheet.append([103, None, 1])
    source = tmp_path / "survey.xlsx"
    book.save(source)

    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["Respondent"], r["Feedback"], r["Score"], r["codes"]) for r in rows] == [
        ("101", "There was no budget for the bus fares.", "2", "cost"),
        ("102", "We never get the time, the rota is packed.", "3.5", "time"),
        ("103", "", "1", ""),
    ]
    assert "from column 'Feedback'" in result.stderr


def test_cp1252_csv_input(tmp_path: Path, tag_args: list[object]) -> None:
    text = "Café staff don’t get the time – the rota is packed, no time at all."
    source = write_csv(
        tmp_path / "excel.csv",
        ["id", "comment"],
        [("é1", text), ("2", "Naïve budget cuts.")],
        encoding="cp1252",
    )
    assert b"\xe9" in source.read_bytes() and b"\x92" in source.read_bytes()
    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["comment"]) for r in rows] == [("é1", text), ("2", "Naïve budget cuts.")]
    assert [r["codes"] for r in rows] == ["time", "cost"]


def test_utf8_bom_and_semicolon_csv_input(tmp_path: Path, tag_args: list[object]) -> None:
    source = tmp_path / "euro.csv"
    source.write_bytes(
        "id;comment\n1;There was no budget for the bus fares.\n2;Façade\n".encode("utf-8-sig")
    )
    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["comment"], r["codes"]) for r in rows] == [
        ("1", "There was no budget for the bus fares.", "cost"),
        ("2", "Façade", ""),
    ]


def test_utf16_tab_separated_input(tmp_path: Path, tag_args: list[object]) -> None:
    # Excel's "Unicode text": UTF-16 with a BOM, tab-separated.
    source = tmp_path / "unicode.txt"
    text = (
        "id\tcomment\n1\tThere was no budget for the bus fares – naïve.\n2\tThe weather was nice.\n"
    )
    source.write_bytes(text.encode("utf-16"))
    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["comment"], r["codes"]) for r in rows] == [
        ("1", "There was no budget for the bus fares – naïve.", "cost"),
        ("2", "The weather was nice.", ""),
    ]


def test_jsonl_input(tmp_path: Path, tag_args: list[object]) -> None:
    source = tmp_path / "answers.jsonl"
    records = [
        {"id": 7, "text": "We never get the time, the rota is packed.", "score": 4.0},
        {"id": 8, "text": None, "score": None},
    ]
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["text"], r["score"], r["codes"]) for r in rows] == [
        ("7", "We never get the time, the rota is packed.", "4", "time"),
        ("8", "", "", ""),
    ]


def test_jsonl_object_without_the_text_key(tmp_path: Path, tag_args: list[object]) -> None:
    source = tmp_path / "answers.jsonl"
    source.write_text(
        '{"id": "a", "text": "We never get the time."}\n{"id": "b"}\n'
        '{"id": "c", "text": "There was no budget for the bus fares."}\n',
        encoding="utf-8",
    )
    result = run("tag", source, *tag_args, "-o", tmp_path / "out.csv")
    # Kept as an empty comment, like a CSV row that is too short.
    assert result.exit_code == 0, result.output
    rows = read_csv(tmp_path / "out.csv")
    assert [(r["id"], r["text"], r["codes"]) for r in rows] == [
        ("a", "We never get the time.", "time"),
        ("b", "", ""),
        ("c", "There was no budget for the bus fares.", "cost"),
    ]


def test_qualtrics_export_skips_its_two_extra_header_rows(
    tmp_path: Path, tag_args: list[object]
) -> None:
    source = write_csv(
        tmp_path / "qualtrics.csv",
        ["ResponseId", "Q3_TEXT", "Q4"],
        [
            ("Response ID", "What gets in the way of co-production?", "Region"),
            ('{"ImportId":"_recordId"}', '{"ImportId":"QID3_TEXT"}', '{"ImportId":"QID4"}'),
            ("R_1", "There was no budget for the bus fares.", "North"),
            ("R_2", "The weather was nice.", "South"),
        ],
    )
    result = run("tag", source, *tag_args, "--text-column", "q3_text", "--id-column", "ResponseId")
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["ResponseId"], r["Q3_TEXT"], r["codes"]) for r in rows] == [
        ("R_1", "There was no budget for the bus fares.", "cost"),
        ("R_2", "The weather was nice.", ""),
    ]
    assert "Tagged 2 comments from column 'Q3_TEXT'" in result.stderr


def test_missing_text_column_is_an_error_listing_the_columns(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    result = run("tag", comments, *tag_args, "--text-column", "x", "-o", target)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no text column 'x' in {comments}; the columns are: id, comment, region. "
        "Use --text-column NAME\n"
    )
    assert result.stdout == ""
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comments.csv", "tiny.yaml"]


def test_no_guessable_text_column(tmp_path: Path, tag_args: list[object]) -> None:
    source = write_csv(tmp_path / "in.csv", ["a", "b"], [("1", "No time.")])
    result = run("tag", source, *tag_args)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: cannot tell which column of {source} holds the comments; the columns are: a, b."
    )


def test_missing_input_file(tmp_path: Path, tag_args: list[object]) -> None:
    result = run("tag", tmp_path / "nope.csv", *tag_args)
    assert result.exit_code == 1
    assert result.stderr == f"Error: input file {tmp_path / 'nope.csv'} does not exist\n"


# --- writing safely --------------------------------------------------------------------------


def test_existing_output_is_refused_without_force(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("precious\n", encoding="utf-8")
    result = run("tag", comments, *tag_args, "-o", target)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {target} already exists; use --force to overwrite it\n"
    assert target.read_text(encoding="utf-8") == "precious\n"

    forced = run("tag", comments, *tag_args, "-o", target, "--force")
    assert forced.exit_code == 0, forced.output
    assert {r["id"]: r["codes"] for r in read_csv(target)} == EXPECTED_CODES


@pytest.mark.parametrize("excel", [False, True])
def test_a_pipe_is_written_into_not_replaced(
    comments: Path, tag_args: list[object], tmp_path: Path, excel: bool
) -> None:
    # A named pipe stands for `-o >(gzip > out.gz)` and for /dev/null: no --force, and still a
    # pipe after.
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    result = run("tag", comments, *tag_args, "-o", pipe, *(["--excel"] if excel else []))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert received[0].startswith(b"\xef\xbb\xbfid,") is excel
    rows = list(csv.DictReader(io.StringIO(received[0].decode("utf-8-sig"))))
    assert {r["id"]: r["codes"] for r in rows} == EXPECTED_CODES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comments.csv", "pipe", "tiny.yaml"]


def test_output_in_a_missing_folder(comments: Path, tag_args: list[object], tmp_path: Path) -> None:
    result = run("tag", comments, *tag_args, "-o", tmp_path / "no" / "out.csv")
    assert result.exit_code == 1
    assert result.stderr == f"Error: folder {tmp_path / 'no'} does not exist; create it first\n"


def test_empty_and_whitespace_comments_are_kept_without_codes(
    tmp_path: Path, tag_args: list[object]
) -> None:
    source = write_csv(
        tmp_path / "in.csv",
        ["id", "comment"],
        [
            ("a", "No time at all, always rushing."),
            ("b", ""),
            ("c", "   "),
            ("d", "\n\t"),
            ("e", "There was no budget for the bus fares."),
        ],
    )
    result = run("tag", source, *tag_args)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["comment"], r["codes"]) for r in rows] == [
        ("a", "No time at all, always rushing.", "time"),
        ("b", "", ""),
        ("c", "   ", ""),
        ("d", "\n\t", ""),
        ("e", "There was no budget for the bus fares.", "cost"),
    ]
    for row in rows[1:4]:
        assert [row[t] for t in THEME_IDS] == ["0", "0", "0"]
    long = run("tag", source, *tag_args, "--format", "long")
    assert [r["id"] for r in parse_csv(long.stdout)] == ["a", "e"]


def test_cold_start_keeps_empty_comments_without_codes(tmp_path: Path, tiny_codebook: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", ["id", "comment"], [("a", "It is a box-ticking exercise."), ("b", "")]
    )
    result = run("tag", source, "-c", tiny_codebook)
    assert result.exit_code == 0, result.output
    rows = parse_csv(result.stdout)
    assert [(r["id"], r["codes"]) for r in rows] == [("a", "box_ticking"), ("b", "")]


def test_cold_start_from_a_codebook_alone(tmp_path: Path, tiny_codebook: Path) -> None:
    source = write_csv(
        tmp_path / "in.csv", ["id", "comment"], [("a", "It is just a box-ticking exercise")]
    )
    result = run("tag", source, "-c", tiny_codebook, "--format", "long")
    assert result.exit_code == 0, result.output
    assert "No model given: coding from the codebook alone" in result.stderr
    [row] = parse_csv(result.stdout)
    assert (row["id"], row["theme"], row["evidence"]) == ("a", "box_ticking", "box-ticking")
    assert (row["evidence_start"], row["evidence_end"]) == ("13", "24")


def test_formula_cells_are_neutralised_in_csv(tmp_path: Path, tag_args: list[object]) -> None:
    formula = '=HYPERLINK("http://x")'
    source = write_csv(
        tmp_path / "in.csv",
        ["id", "comment", "note"],
        [("1", formula, "+44 20"), ("@2", "-budget cuts", "\tx"), ("3", "fine = ok", "a-b")],
    )
    target = tmp_path / "out.csv"
    result = run("tag", source, *tag_args, "-o", target)
    assert result.exit_code == 0, result.output
    rows = read_csv(target)
    assert [(r["id"], r["comment"], r["note"]) for r in rows] == [
        ("1", "'" + formula, "'+44 20"),
        ("'@2", "'-budget cuts", "'\tx"),
        ("3", "fine = ok", "a-b"),
    ]
    assert '\n1,"\'=HYPERLINK(""http://x"")",' in target.read_text(encoding="utf-8")
    # JSON lines is not a spreadsheet format: the text is kept as it was.
    jsonl = run("tag", source, *tag_args, "--format", "jsonl")
    assert json.loads(jsonl.stdout.splitlines()[0])["text"] == formula


def test_excel_flag_writes_a_utf8_bom(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    with_bom, without = tmp_path / "excel.csv", tmp_path / "plain.csv"
    assert run("tag", comments, *tag_args, "-o", with_bom, "--excel").exit_code == 0
    assert run("tag", comments, *tag_args, "-o", without).exit_code == 0
    assert with_bom.read_bytes().startswith(b"\xef\xbb\xbfid,comment,region,time,")
    assert not without.read_bytes().startswith(b"\xef\xbb\xbf")
    assert with_bom.read_bytes()[3:] == without.read_bytes()
    assert {r["id"]: r["codes"] for r in read_csv(with_bom, "utf-8-sig")} == EXPECTED_CODES


def test_a_crash_mid_way_leaves_no_partial_output(
    tmp_path: Path, tag_args: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(
        tmp_path / "in.csv", ["id", "comment"], [(str(i), "No time.") for i in range(20)]
    )
    original = ThemeModel.tag
    seen = []

    def failing_tag(self: ThemeModel, texts: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for result in original(self, texts, **kwargs):  # type: ignore[arg-type]
            if len(seen) == 5:
                raise RuntimeError("disk on fire")
            seen.append(result)
            yield result

    monkeypatch.setattr(ThemeModel, "tag", failing_tag)
    target = tmp_path / "out.csv"
    result = run("tag", source, *tag_args, "-o", target)
    assert isinstance(result.exception, RuntimeError)
    assert len(seen) == 5  # five rows were written before the crash
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "tiny.yaml"]


def test_a_bad_byte_deep_in_streamed_input_leaves_the_old_output_alone(
    tmp_path: Path, tag_args: list[object]
) -> None:
    # Valid UTF-8 for well over the head the encoding is guessed from, then a cp1252 byte, on
    # stdin (a file is read through first: tests/test_readers.py).
    from coder.readers import _HEAD_BYTES

    source = tmp_path / "in.csv"
    line = "{},There was no budget for the bus fares number {}.\n"
    rows = 1 + (_HEAD_BYTES + 16_384) // len(line.format(0, 0))
    body = "".join(line.format(i, i) for i in range(rows))
    source.write_bytes(b"id,comment\n" + body.encode("utf-8") + b"9999,don\x92t\n")
    assert source.stat().st_size > _HEAD_BYTES + 16_384
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    result = run("tag", "-", *tag_args, "-o", target, "--force", input=source.read_bytes())
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: - is not valid utf-8 text (invalid start byte); save it as UTF-8"
    )
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv", "tiny.yaml"]


def test_corrupt_model_is_an_error_not_a_traceback(
    comments: Path, tiny_model: Path, tmp_path: Path
) -> None:
    broken = Path(shutil.copytree(tiny_model, tmp_path / "broken"))
    (broken / "meta.json").write_text("{", encoding="utf-8")
    result = run("tag", comments, "-m", broken)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: model folder {broken} is corrupt: meta.json:")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_a_workbook_sheet_by_name_or_the_first_with_a_note(
    tmp_path: Path, tag_args: list[object]
) -> None:
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["comment"])
    book.active.append(["The survey ran in May."])
    answers = book.create_sheet("Answers")
    answers.append(["id", "comment", "region"])
    for row in ROWS:
        answers.append(list(row))
    source = tmp_path / "survey.xlsx"
    book.save(source)
    first = run("tag", source, *tag_args)
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines()[0] == (
        f"Note: Read sheet 'Notes' of {source}; it also has 'Answers'. "
        "Use --sheet NAME to read another"
    )
    named = run("tag", source, *tag_args, "--sheet", "Answers")
    assert named.exit_code == 0, named.output
    assert {r["id"]: r["codes"] for r in parse_csv(named.stdout)} == EXPECTED_CODES
    assert named.stderr == (
        "Tagged 4 comments from column 'comment' (3 with at least one theme) -> stdout\n"
    )


@pytest.mark.parametrize("column", ["[/b]", "[bold]answer[/bold]"])
def test_a_column_name_in_square_brackets_is_printed_as_written(
    tmp_path: Path, tag_args: list[object], column: str
) -> None:
    # A stray closing tag made rich raise MarkupError after the output was written.
    source = write_csv(tmp_path / "[final] survey.csv", ["id", column], [("r1", "No time.")])
    result = run("tag", source, *tag_args, "--text-column", column, "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Tagged 1 comment from column '{column}' (1 with at least one theme) -> "
        f"{tmp_path / 'out.csv'}\n"
    )


def test_n_process_two_gives_the_same_output_as_one(tmp_path: Path, tag_args: list[object]) -> None:
    texts = [text for _, text, _ in ROWS] + [
        "Too busy with visits to go to meetings.",
        "They tick boxes and never listen.",
        "Funding for the forum ended last year. No time either.",
        "",
    ]
    source = write_csv(
        tmp_path / "in.csv", ["id", "comment"], [(str(i), texts[i % len(texts)]) for i in range(52)]
    )
    outputs = {}
    for n in (1, 2):
        target = tmp_path / f"out{n}.csv"
        result = run("tag", source, *tag_args, "--n-process", n, "-o", target, "--format", "long")
        assert result.exit_code == 0, result.output
        outputs[n] = target.read_text(encoding="utf-8")
    assert outputs[1] == outputs[2]
    assert len(parse_csv(outputs[1])) >= 30


# --- the shipped default ---------------------------------------------------------------------

SHIPPED_MODEL = ROOT / "models" / "coproduction"
SAMPLE = ROOT / "samples" / "coproduction_comments.csv"


@pytest.mark.skipif(
    not (SHIPPED_MODEL / "meta.json").is_file() or not SAMPLE.is_file(),
    reason="the shipped model or sample is not built yet",
)
def test_shipped_default_tags_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("tag", "samples/coproduction_comments.csv")
    assert result.exit_code == 0, result.output
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        source = list(csv.DictReader(handle))
    rows = parse_csv(result.stdout)
    assert [r["id"] for r in rows] == [r["id"] for r in source]
    # Comments like "-" come out as "'-": a spreadsheet must not read them as formulas.
    assert [r["comment"] for r in rows] == [neutralise(r["comment"]) for r in source]
    themes = load_codebook(SHIPPED_MODEL / "codebook.yaml").codable_ids
    assert len(themes) == 17
    assert header_of(result.stdout) == [
        *source[0].keys(),
        *themes,
        *(f"{t}_score" for t in themes),
        "codes",
    ]
    by_id = {r["id"]: r for r in rows}
    assert "box_ticking" in by_id["cp0003"]["codes"].split(";")  # "Box ticking."
    assert by_id["cp0003"]["box_ticking"] == "1"
    assert sum(bool(r["codes"]) for r in rows) > len(rows) // 2
    assert f"Tagged {len(source)} comments from column 'comment'" in result.stderr


@pytest.mark.skipif(
    not (SHIPPED_MODEL / "meta.json").is_file() or not SAMPLE.is_file(),
    reason="the shipped model or sample is not built yet",
)
def test_shipped_model_by_name_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = write_csv(
        tmp_path / "in.csv", ["id", "comment"], [("1", "It felt like a box-ticking exercise.")]
    )
    by_default = run("tag", source, "-o", "default.csv")
    by_name = run("tag", source, "-m", "coproduction", "-o", "named.csv")
    assert by_default.exit_code == 0, by_default.output
    assert by_name.exit_code == 0, by_name.output
    assert read_csv(tmp_path / "default.csv") == read_csv(tmp_path / "named.csv")
    [row] = read_csv(tmp_path / "default.csv")
    assert row["codes"] == "box_ticking"


def test_input_bad_near_its_start_puts_nothing_on_stdout(tmp_path: Path, tiny_model: Path) -> None:
    # Not a header alone, which a pipe into another program would take for an empty result.
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "comment": "No time."}\n{bad\n', encoding="utf-8")
    result = run("tag", bad, "-m", tiny_model)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {bad}:2: not valid JSON (Expecting property name enclosed in double quotes); "
        "expected one object per line\n"
    )


@pytest.mark.parametrize("model", [["-m", "coproduction"], []])
def test_spacy_model_with_a_trained_model_is_refused_not_ignored(
    comments: Path, model: list[str]
) -> None:
    result = run("tag", comments, *model, "--spacy-model", "en_core_web_sm", "-o", "-")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --spacy-model is for a cold start from a codebook (-c CODEBOOK): a trained "
        "model tags with the pipeline it was trained with (`coder train --spacy-model` builds "
        "on another)\n"
    )


def test_a_tsv_output_is_tab_separated_and_reads_back(
    comments: Path, tag_args: list[object], tmp_path: Path
) -> None:
    out = tmp_path / "coded.tsv"
    assert run("tag", comments, *tag_args, "-o", out).exit_code == 0
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t")[:3] == ["id", "comment", "region"]
    again = run("tag", out, *tag_args, "--format", "jsonl", "-o", "-")
    assert again.exit_code == 0, again.output
    assert [json.loads(line)["id"] for line in again.stdout.splitlines()] == [r[0] for r in ROWS]
    old = run("tag", comments, *tag_args, "-o", tmp_path / "coded.xls")
    assert old.stderr == (
        "Error: coder writes Excel workbooks as .xlsx, not the old .xls: name the file .xlsx "
        f"(or .csv) ({tmp_path / 'coded.xls'})\n"
    )


def test_a_sheet_with_a_header_alone_is_refused_naming_the_others(
    tmp_path: Path, tag_args: list[object]
) -> None:
    # The first sheet holds notes under a heading: tagged, it gave 0 comments and exit 0.
    book = Workbook()
    book.active.title = "About"
    book.active.append(["comment"])
    book.create_sheet("Answers").append(["id", "comment"])
    source = tmp_path / "survey.xlsx"
    book.save(source)
    result = run("tag", source, *tag_args, "-o", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {source} has no comments under its header: nothing to tag (Read sheet 'About' "
        f"of {source}; it also has 'Answers'. Use --sheet NAME to read another)\n"
    )
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("themes", [1, 2])
def test_a_cold_start_with_too_few_themes_codes_by_its_patterns_alone(
    tmp_path: Path, themes: int
) -> None:
    """One theme: its examples are every text the classifier sees, so every comment scored
    1.0; two: "this theme or that one", never none. Patterns alone code there."""
    book = ["name: Staff survey", "themes:"]
    for theme, example, pattern in [
        ("workload", "I have far too much work.", "too much work"),
        ("pay", "The pay is poor for the hours.", "pay rise"),
    ][:themes]:
        book += [
            f"  - id: {theme}",
            f"    label: {theme.title()}",
            f"    examples: [{example}]",
            f"    patterns: [{pattern}]",
        ]
    (tmp_path / "book.yaml").write_text("\n".join(book) + "\n", encoding="utf-8")
    rows = [
        ("1", "The canteen food is lovely"),
        ("2", "Parking is terrible"),
        ("3", "There is too much work for one nurse"),
    ]
    source = write_csv(tmp_path / "in.csv", ["id", "comment"], rows)
    done = run("tag", source, "-c", tmp_path / "book.yaml", "-o", tmp_path / "out.csv")
    assert done.exit_code == 0, done.output
    assert [row["codes"] for row in read_csv(tmp_path / "out.csv")] == ["", "", "workload"]
    assert (
        f"The codebook has {themes} codable theme{'s' if themes > 1 else ''}: too few for its "
        "examples to tell a theme from none, so comments are coded by its patterns alone "
        "(scores are 0). Add themes, or train a model on coded comments."
    ) in " ".join(done.stderr.split())
