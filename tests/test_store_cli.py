"""`coder tag --db`, `coder train --db` and `coder status` end to end."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import read_csv, write_csv
from openpyxl import Workbook
from projects import SURVEY, WAVE2

from coder.cli import cli
from coder.learning import reviewed_data
from coder.review import ReviewSession
from coder.status import sources_line
from coder.store import Store


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def comments(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "comments.csv", ["id", "comment", "region"], SURVEY)


@pytest.fixture
def project(tmp_path: Path, comments: Path, tiny_model: Path) -> Path:
    db = tmp_path / "coding.db"
    result = run("tag", comments, "-m", tiny_model, "--db", db)
    assert result.exit_code == 0, result.output
    return db


def review(db: Path, reviewer: str, codes: dict[str, list[str]]) -> None:
    """Accept the suggestions on the named comments, first toggling the listed themes."""
    with Store(db) as store:
        session = ReviewSession(store, reviewer, order="file")
        for comment_id in session.ids:
            view = session.go_to(comment_id)
            if view.external_id in codes:
                for theme in codes[view.external_id]:
                    session.toggle(theme)
                session.accept()


def test_tag_into_a_project_writes_no_csv_unless_asked(
    tmp_path: Path, comments: Path, tiny_model: Path
) -> None:
    db = tmp_path / "coding.db"
    result = run("tag", comments, "-m", tiny_model, "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Tagged 4 comments from column 'comment' (3 with at least one theme) -> {db}",
        f"Project {db}: 4 new comments, 0 already there; suggestions in run 1",
    ]
    with Store(db) as store:
        assert store.comment_count() == 4
        assert [store.comment(i).attributes for i in store.order("file")] == [
            {"region": region} for _, _, region in SURVEY
        ]


def test_tag_again_with_an_output_file_adds_nothing_and_writes_the_same_codes(
    project: Path, comments: Path, tiny_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "coded.csv"
    result = run("tag", comments, "-m", tiny_model, "--db", project, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"Tagged 4 comments from column 'comment' (3 with at least one theme) -> {out} and "
        f"{project}",
        f"Project {project}: 0 new comments, 4 already there; suggestions in run 1",
    ]
    with Store(project) as store:
        stored = {
            store.comment(i).external_id: ";".join(s.theme for s in store.latest(i).suggestions)
            for i in store.order("file")
        }
    assert stored == {row["id"]: row["codes"] for row in read_csv(out)}


def test_tag_with_a_new_codebook_adds_a_run(
    project: Path, comments: Path, tiny_codebook: Path, tiny_model: Path
) -> None:
    tiny_codebook.write_text(
        tiny_codebook.read_text(encoding="utf-8").replace("brief: Money.", "brief: Cash."),
        encoding="utf-8",
    )
    result = run("tag", comments, "-c", tiny_codebook, "--db", project)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-2:] == [
        f"Project {project}: 0 new comments, 4 already there; suggestions in run 2",
        "The project's codebook changed: 'Tiny' version 1 -> version 1: 1 edited, 3 unchanged "
        "(`coder codebook diff OLD.yaml NEW.yaml` lists each change)",
    ]
    with Store(project) as store:
        models = [r.model for r in store.runs()]
        assert models == [str(tiny_model), f"cold start of {tiny_codebook}"]
        assert store.latest_codebook().theme("cost").brief == "Cash."


def test_a_new_codebook_without_a_reviewed_theme_is_named_wherever_its_codes_drop_out(
    project: Path, comments: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    review(project, "ana", {"r3": []})  # r3: box_ticking, suggested and accepted
    tiny_codebook.write_text(
        tiny_codebook.read_text(encoding="utf-8").replace("id: box_ticking", "id: tokenism"),
        encoding="utf-8",
    )
    note = (
        "Left out: reviewers' codes on themes that codebook 'Tiny' has no codable theme with "
        "that id for: box_ticking (1 comment). The decisions stay in the project and count "
        "again under a codebook that has these ids, or one whose themes list them under "
        "`replaces` (a theme given a new id, or themes merged)."
    )
    tagged = run("tag", comments, "-c", tiny_codebook, "--db", project)
    assert tagged.exit_code == 0, tagged.output
    assert tagged.stderr.splitlines()[-1] == note
    out = tmp_path / "coded.csv"
    exported = run("export", project, "-o", out)
    assert exported.exit_code == 0, exported.output
    assert exported.stderr.splitlines()[-1] == note
    assert {row["id"]: row["codes"] for row in read_csv(out)}["r3"] == ""
    reported = run("report", project)
    assert note in " ".join(reported.stdout.split())
    with Store(project) as store:
        assert reviewed_data(store, store.latest_codebook()).left_out == note
        # Under the codebook the decision was made with, nothing is left out.
        assert reviewed_data(store, store.codebook(1)).left_out == ""


MERGED = """\
name: Tiny
version: "2"
themes:
  - id: resources
    label: Time and money
    replaces: [time, cost]
    patterns: [no time, budget]
  - id: box_ticking
    label: Box-ticking
    patterns: [tick box]
"""


def test_a_codebook_that_merges_themes_keeps_the_reviewed_codes_under_the_merged_theme(
    project: Path, comments: Path, tmp_path: Path
) -> None:
    review(project, "ana", {"r1": [], "r2": [], "r3": ["box_ticking"]})  # time; cost; nothing
    merged = tmp_path / "merged.yaml"
    merged.write_text(MERGED, encoding="utf-8")
    tagged = run("tag", comments, "-c", merged, "--db", project)
    assert tagged.exit_code == 0, tagged.output
    assert "Left out" not in tagged.stderr
    # An old id given where a theme is asked for says where it went.
    refused = run("review", project, "--reviewer", "ana", "--theme", "time")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: unknown theme 'time' (codebook 'Tiny' has: resources, box_ticking); 'time' is "
        "replaced by 'resources'\n"
    )
    refused = run("agree", project, "--coders", "ana,model", "--theme", "cost")
    assert refused.stderr.splitlines()[-1] == (
        "Error: unknown theme 'cost': use one of resources, box_ticking; 'cost' is replaced by "
        "'resources'"
    )
    out = tmp_path / "coded.csv"
    assert run("export", project, "-o", out, "--reviewed-only").exit_code == 0
    codes = {row["id"]: (row["resources"], row["box_ticking"]) for row in read_csv(out)}
    assert codes == {"r1": ("1", "0"), "r2": ("1", "0"), "r3": ("0", "0")}
    with Store(project) as store:
        data = reviewed_data(store, store.latest_codebook())
        assert (data.codes, data.left_out) == ([["resources"], ["resources"], []], "")
        # The review screen shows the merged theme coded; unticking it there is a decision on
        # the merged theme, which outlasts the reviewer's codes from before the merge.
        session = ReviewSession(store, "ana", order="file")
        view = session.go_to(session.ids[0])
        assert [(row.theme, row.on) for row in view.themes] == [("resources", True)]
        session.toggle("resources")
        session.accept()
        assert reviewed_data(store, store.latest_codebook()).codes == [[], ["resources"], []]
        # Under the codebook the decisions were made with, they read as made.
        assert reviewed_data(store, store.codebook(1)).codes == [["time"], ["cost"], []]
    status = json.loads(run("status", project, "--json").stdout)
    # The merged codebook has two themes, so its cold start codes by patterns alone: nothing
    # suggested resources on r1, and unticking it removed the reviewer's own code.
    assert status["themes"] == {
        "resources": {"accepted": 1, "rejected": 0, "added": 0},
        "box_ticking": {"accepted": 0, "rejected": 1, "added": 0},
    }


def test_suggestions_made_before_a_merge_count_for_the_merged_theme(
    project: Path, comments: Path, tiny_model: Path, tmp_path: Path
) -> None:
    wave2 = write_csv(tmp_path / "wave2.csv", ["id", "comment", "region"], WAVE2)
    assert run("tag", wave2, "-m", tiny_model, "--db", project).exit_code == 0
    merged = tmp_path / "merged.yaml"
    merged.write_text(MERGED, encoding="utf-8")
    # Only the first wave is tagged again: the second keeps the suggestions of the old codebook.
    assert run("tag", comments, "-c", merged, "--db", project).exit_code == 0
    out = tmp_path / "coded.csv"
    assert run("export", project, "-o", out).exit_code == 0
    wave = [
        (row["id"], row["resources"], row["resources_score"], row["resources_status"], row["codes"])
        for row in read_csv(out)
        if row["id"].startswith("wave2.csv:")
    ]
    # time 0.7319 and cost 0.2187 in the old run: the merged theme has the higher.
    assert wave == [
        ("wave2.csv:r1", "1", "0.7319", "suggested", "resources"),
        ("wave2.csv:r2", "1", "0.7038", "suggested", "resources"),
        ("wave2.csv:r3", "0", "0.2836", "", "box_ticking"),
        ("wave2.csv:r4", "0", "0.3020", "", ""),
    ]
    with Store(project) as store:  # the review screen lists the merged theme, labelled anew
        session = ReviewSession(store, "ana", order="file")
        view = session.go_to(store.order("file")[4])
        assert [(row.theme, row.label, row.on) for row in view.themes] == [
            ("resources", "Time and money", True)
        ]
        session.accept()  # ana keeps it; the old run's model coded time
        # Reviewing one theme finds the comments whose old run suggested an id it replaced.
        by_theme = ReviewSession(store, "ben", order="file", theme="resources")
        names = {i: store.comment(i).external_id for i in by_theme.ids}
        # (The merged codebook's cold start codes by its patterns alone, and r2's "no budget"
        # is negated: none of comments.csv is suggested it.)
        assert [(store.comment(i).source, names[i]) for i in by_theme.ids] == [
            ("wave2.csv", "r1"),
            ("wave2.csv", "r2"),
        ]
    agreed = run("agree", project, "--coders", "ana,model", "--disagreements", "--json")
    assert agreed.exit_code == 0, agreed.output
    assert json.loads(agreed.stdout)["disagreements"] == []
    # The run that made the suggestions is measured against ana's codes under the merge.
    status = json.loads(run("status", project, "--json").stdout)
    assert status["measured_run"]["id"] == 1
    assert status["metrics"]["themes"]["resources"] == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "support": 1,
        "predicted": 1,
    }


def test_tag_refuses_a_changed_file_and_the_project_keeps_its_coding(
    project: Path, comments: Path, tiny_codebook: Path, tiny_model: Path
) -> None:
    changed = [("r1", "We never get the time.", "North"), *SURVEY[1:]]
    write_csv(comments, ["id", "comment", "region"], changed)
    tiny_codebook.write_text(
        tiny_codebook.read_text(encoding="utf-8").replace("brief: Money.", "brief: Cash."),
        encoding="utf-8",
    )
    result = run("tag", comments, "-c", tiny_codebook, "--db", project)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: comments.csv:2: comment 'r1' of column 'comment' is in project {project} "
        "already with another text (imported from line 2); a project keeps the text it first "
        "imported (its suggestions, and any coding, are of that text): put it back to tag the "
        "file, or start a new project to code the changed texts"
    )
    with Store(project) as store:
        assert [store.comment(i).text for i in store.order("file")] == [t for _, t, _ in SURVEY]
        assert {store.latest(i).run_id for i in store.order("file")} == {1}
        # The refused run stored nothing, so the project's codebook is still the model's.
        assert store.latest_run().model == str(tiny_model)
        assert store.latest_codebook().theme("cost").brief == "Money."


def test_several_text_columns_in_one_call_go_into_a_project_only(
    tmp_path: Path, comments: Path, tiny_model: Path
) -> None:
    rows = [(ext, text, region, f"No budget, says {ext}.") for ext, text, region in SURVEY]
    write_csv(comments, ["id", "comment", "region", "q2"], rows)
    db = tmp_path / "two.db"
    both = ("--text-column", "comment", "--text-column", "q2")
    refused = run("tag", comments, "-m", tiny_model, *both, "--db", db, "-o", tmp_path / "o.csv")
    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: several --text-column go into a project, each answer a comment of its own: "
        "give --db PROJECT and no -o (then `coder export` writes them all), or tag one column "
        "at a time\n",
    )
    assert not db.exists() and not (tmp_path / "o.csv").exists()
    typo = run("tag", comments, "-m", tiny_model, *both[:3], "q3", "--db", db)
    assert typo.stderr == (
        f"Error: no text column 'q3' in {comments}; the columns are: id, comment, region, q2. "
        "Use --text-column NAME\n"
    )
    assert not db.exists()  # checked before the first column was tagged
    piped = run("tag", "-", "-m", tiny_model, *both, "--db", db)
    assert piped.stderr == (
        "Error: several --text-column read the input once per column, and stdin can be read "
        "once: give the file's name\n"
    )
    done = run("tag", comments, "-m", tiny_model, *both, "--db", db)
    assert done.exit_code == 0, done.output
    assert done.stderr.splitlines() == [
        f"Tagged 4 comments from column 'comment' (3 with at least one theme) -> {db}",
        f"Project {db}: 4 new comments, 0 already there; suggestions in run 1",
        f"Tagged 4 comments from column 'q2' (4 with at least one theme) -> {db}",
        f"Project {db}: 4 new comments, 0 already there; suggestions in run 1",
    ]
    with Store(db) as store:
        assert [(r.source, r.external_id) for r in store.comment_refs()][3:5] == [
            ("comments.csv#comment", "r4"),
            ("comments.csv#q2", "r1"),
        ]


def test_a_survey_with_two_questions_is_tagged_once_per_question_exported_and_reported(
    project: Path, comments: Path, tiny_model: Path, tmp_path: Path
) -> None:
    second = [(ext, text, region, f"No budget, says {ext}.") for ext, text, region in SURVEY]
    write_csv(comments, ["id", "comment", "region", "q2"], second)
    result = run("tag", comments, "-m", tiny_model, "--text-column", "q2", "--db", project)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        f"Project {project}: 4 new comments, 0 already there; suggestions in run 1"
    )
    out = tmp_path / "out.csv"
    assert run("export", project, "-o", out).exit_code == 0
    rows = read_csv(out)
    assert [(r["id"], r["question"], r["region"], r["codes"]) for r in rows] == [
        ("comments.csv#comment:r1", "comment", "North", "time"),
        ("comments.csv#comment:r2", "comment", "South", "cost"),
        ("comments.csv#comment:r3", "comment", "East", "box_ticking"),
        ("comments.csv#comment:r4", "comment", "West", ""),
        *((f"comments.csv#q2:{ext}", "q2", region, "cost") for ext, _, region in SURVEY),
    ]
    assert "q2" not in rows[0]  # an answer is a comment, not an attribute of the other one
    jsonl = run("export", project, "-o", "-", "--format", "jsonl").stdout.splitlines()
    assert [(r["id"], r["file"], r["question"], r["attributes"]) for r in map(json.loads, jsonl)][
        3:5
    ] == [
        ("comments.csv#comment:r4", "comments.csv", "comment", {"region": "West"}),
        ("comments.csv#q2:r1", "comments.csv", "q2", {"region": "North"}),
    ]
    by_question = run("report", project, "--by", "question", "--table", "-")
    assert by_question.exit_code == 0, by_question.output
    table = csv.DictReader(io.StringIO(by_question.stdout))
    cost = next(r for r in table if r["theme"] == "cost")
    assert (cost["comment: comments"], cost["q2: comments"], cost["respondents"]) == ("1", "4", "4")
    # the same four respondents answered both: compared within each (McNemar): r2 has cost in
    # both answers, r1, r3 and r4 in q2 alone: 3 of 3 differing one way, p = 2 / 8, simulated
    assert float(cost["p"]) == pytest.approx(0.25, abs=0.01)
    refused = run("review", project, "--question", "q2", "--theme", "time", "--reviewer", "ana")
    assert refused.stderr == (
        f"Error: no comment in {project} among the answers to 'q2' has a suggestion of theme "
        "'time'\n"
    )
    one = run("report", project, "--question", "q2", "--quotes", "0")
    assert one.stdout.splitlines()[0] == (
        f"{project}, answers to 'q2': 4 comments from 4 respondents; codebook 'Tiny' version 1"
    )
    # One question's export names its answers by plain id, and its question column brings a
    # coder's codes back to them.
    q2 = tmp_path / "q2.csv"
    assert run("export", project, "--question", "q2", "--format", "sheet", "-o", q2).exit_code == 0
    sheet_rows = read_csv(q2)
    assert [(r["id"], r["question"]) for r in sheet_rows] == [(e, "q2") for e, *_ in SURVEY]
    for row in sheet_rows:
        row["time"] = "1"
    write_csv(q2, list(sheet_rows[0]), [list(r.values()) for r in sheet_rows])
    assert run("import", project, q2, "--reviewer", "dee").exit_code == 0
    with Store(project) as store:
        dees = {store.comment(i).question for i in store.codings()["dee"]}
    assert dees == {"q2"}
    # The long export too: a question column beside the plain ids, read back by import --long.
    long_q2 = tmp_path / "q2_long.csv"
    args = ("--question", "q2", "--format", "long", "-o", long_q2)
    assert run("export", project, *args).exit_code == 0
    long_rows = read_csv(long_q2)
    assert list(long_rows[0])[:4] == ["id", "question", "theme", "label"]
    assert [(r["id"], r["question"], r["theme"]) for r in long_rows] == [
        (e, "q2", "time")
        for e, *_ in SURVEY  # as dee coded them
    ]
    back = ("import", project, long_q2, "--reviewer", "eve", "--long", "--codes-column", "theme")
    assert run(*back, "--dry-run").exit_code == 0
    few = run("discover", project, "--all", "--question", "q2")  # 4 answers of the 8
    assert few.stderr.startswith("Error: 4 comments are too few to group")
    # the model against the rules: on every answer, or on one question's
    every = run("agree", project, "--coders", "model,rules", "--json")
    asked = run("agree", project, "--coders", "model,rules", "--question", "q2", "--json")
    assert (json.loads(every.stdout)["n"], json.loads(asked.stdout)["n"]) == (8, 4)
    status = json.loads(run("status", project, "--json").stdout)
    assert status["sources"] == [
        {"file": "comments.csv", "question": "comment", "comments": 4},
        {"file": "comments.csv", "question": "q2", "comments": 4},
    ]
    on_screen = " ".join(run("report", project, "--by", "question").stdout.split())
    assert "(Cochran's Q test, McNemar's for two groups, over the 4 respondents with" in on_screen
    # The exported ids bring a coder's codes back to the right answers.
    for row in rows:
        row["codes"] = "time" if row["question"] == "q2" else row["codes"]
    write_csv(out, list(rows[0]), [list(r.values()) for r in rows])
    imported = run("import", project, out, "--reviewer", "ana", "--codes-column", "codes")
    assert imported.exit_code == 0, imported.output
    with Store(project) as store:
        coded = {
            (store.comment(i).question, store.comment(i).external_id): codes
            for i, codes in store.codings()["ana"].items()
        }
    assert coded[("q2", "r2")] == {"time"} and coded[("comment", "r2")] == {"cost"}
    # A sheet made by hand: the respondent's id, and the question in a column of its own.
    sheet = write_csv(
        tmp_path / "ben.csv",
        ["id", "question", "codes"],
        [("r1", "q2", "time"), ("r2", "comment", "box_ticking")],
    )
    assert run("import", project, sheet, "--reviewer", "ben").exit_code == 0
    with Store(project) as store:
        bens = {
            (store.comment(i).question, store.comment(i).external_id): codes
            for i, codes in store.codings()["ben"].items()
        }
    assert bens == {("q2", "r1"): {"time"}, ("comment", "r2"): {"box_ticking"}}
    pair = ("agree", project, "--coders", "ana,ben", "--json")
    assert json.loads(run(*pair).stdout)["n"] == 2
    assert json.loads(run(*pair, "--question", "q2").stdout)["n"] == 1
    write_csv(sheet, ["id", "codes"], [("r1", "time")])
    unnamed = run("import", project, sheet, "--reviewer", "cy")
    assert unnamed.stderr.splitlines()[1] == (
        f"{sheet}:2: id 'r1' names several comments of the project (comments.csv#comment, "
        "comments.csv#q2); name its question in a `question` column (comment, q2), or write it "
        "as FILE#QUESTION:r1"
    )


def test_tag_refuses_a_file_that_is_not_a_project(
    tmp_path: Path, comments: Path, tiny_model: Path
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("not a database", encoding="utf-8")
    result = run("tag", comments, "-m", tiny_model, "--db", notes)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {notes} is not a coder project: it is not an SQLite database. Give a project "
        "file, or a new file name to start a project\n"
    )
    assert notes.read_text(encoding="utf-8") == "not a database"


def test_train_on_the_reviewed_comments_of_a_project(project: Path, tmp_path: Path) -> None:
    review(project, "ana", {"r1": [], "r2": [], "r3": [], "r4": ["time"]})
    folder = tmp_path / "model"
    result = run("train", "--db", project, "-o", folder, "--folds", 2, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == f"Saved model to {folder}"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["trained_on"]["labelled"] == 4
    assert meta["codebook"]["name"] == "Tiny"
    assert json.loads(result.stdout)["n"] == 4


def test_train_needs_exactly_one_source_and_reviewed_comments(
    project: Path, tmp_path: Path, tiny_labelled: Path
) -> None:
    for args in ([], [tiny_labelled, "--db", project]):
        result = run("train", *args, "-o", tmp_path / "m")
        assert result.exit_code == 1
        assert result.stderr == "Error: give either a labelled file or --db PROJECT to train on\n"
    result = run("train", "--db", project, "-o", tmp_path / "m")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: project {project} has no reviewed comments yet: review some with "
        f"`coder review {project}` first\n"
    )
    assert not (tmp_path / "m").exists()


def test_status_counts_decisions_per_theme_and_measures_the_suggestions(
    project: Path, tiny_model: Path
) -> None:
    # The model suggests time, cost, box_ticking, nothing for r1..r4 (see test_tag_cli).
    review(project, "ana", {"r1": [], "r2": ["cost"], "r4": ["time"]})
    review(project, "ben", {"r3": []})
    with Store(project) as store:
        flagger = ReviewSession(store, "ben", order="file")
        flagger.flag()
    result = run("status", project, "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert {k: status[k] for k in ("comments", "reviewed", "flagged", "runs", "conflicts")} == {
        "comments": 4,
        "reviewed": 4,
        "flagged": 1,
        "runs": 1,
        "conflicts": 0,
    }
    assert status["reviewers"] == {
        "ana": {"reviewed": 3, "imported": 0, "flagged": 0, "memos": 0},
        "ben": {"reviewed": 1, "imported": 0, "flagged": 1, "memos": 0},
    }
    assert status["themes"] == {
        "time": {"accepted": 1, "rejected": 0, "added": 1},
        "cost": {"accepted": 0, "rejected": 1, "added": 0},
        "box_ticking": {"accepted": 1, "rejected": 0, "added": 0},
    }
    # r4 ("The weather was nice.") is one of the texts the tiny model was trained on, so the
    # figures leave it out: its added "time" is not held against the model.
    assert status["metrics"]["n"] == 3
    themes = status["metrics"]["themes"]
    figures = {t: (m["precision"], m["recall"], m["f1"], m["support"]) for t, m in themes.items()}
    assert figures == {"time": (1, 1, 1, 1), "cost": (0, 0, 0, 0), "box_ticking": (1, 1, 1, 1)}
    assert {t: m["predicted"] for t, m in themes.items()} == {
        "time": 1,
        "cost": 1,
        "box_ticking": 1,
    }
    shown = run("status", project).stdout
    cost_row = [line for line in shown.splitlines() if line.startswith("│ Cost")][-1]  # measured
    assert [c.strip() for c in cost_row.split("│")[5:9]] == ["0.00", "—", "0.00", "0"]  # 0/0
    assert status["measured_run"] == {"id": 1, "model": str(tiny_model)}
    assert status["codebook"] == "'Tiny' version 1, from run 1"


def test_status_never_measures_a_model_on_the_comments_it_learned_from(
    project: Path, comments: Path, tmp_path: Path, tiny_model: Path
) -> None:
    review(project, "ana", {"r1": [], "r2": ["cost"], "r3": [], "r4": ["time"]})
    learned = tmp_path / "learned"
    assert run("train", "--db", project, "-o", learned, "--folds", 2).exit_code == 0
    # Tagging the same comments again with it re-scores the reviewed ones as run 2 ...
    result = run("tag", comments, "-m", learned, "--db", project)
    assert result.exit_code == 0, result.output
    status = json.loads(run("status", project, "--json").stdout)
    assert status["runs"] == 2
    # ... but run 2 learned from every one of them: the figures are still run 1's.
    assert status["measured_run"] == {"id": 1, "model": str(tiny_model)}
    assert status["metrics"]["n"] == 3  # r4's text is in the tiny model's own training data


def test_status_in_the_terminal_shows_the_tables(project: Path, tiny_model: Path) -> None:
    review(project, "ana", {"r1": [], "r2": []})
    result = run("status", project)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{project}: 4 comments, 2 reviewed (50%), 0 flagged, 0 adjudicated; 1 model run"
    )
    assert lines[1] == "Codebook 'Tiny' version 1, from run 1 (`coder runs` lists the runs)"
    assert lines[2] == "From comments.csv (comment: 4)"
    rows = {cells[0]: cells[1:] for cells in map(table_cells, lines) if cells}
    assert rows["theme"] == [
        "accepted",
        "rejected",
        "added",
        "precision",
        "recall",
        "F1",
        "support",
    ]
    assert rows["Time"] == ["1", "0", "0", "1.00", "1.00", "1.00", "1"]
    assert rows["Box-ticking"] == ["0", "0", "0", "—", "—", "—", "0"]  # neither coded nor suggested
    assert rows["micro average"] == ["", "", "", "1.00", "1.00", "1.00", ""]
    assert rows["ana"] == ["2", "0", "0", "0"]
    assert lines[-1] == (
        f"Precision and recall of the suggestions of run 1 ({tiny_model}) on 2 reviewed comments"
    )


def table_cells(line: str) -> list[str]:
    """The cells of a rich table's row, or [] for a line that is not a row."""
    for bar in ("│", "┃"):
        if line.startswith(bar):
            return [cell.strip() for cell in line.split(bar)[1:-1]]
    return []


def test_status_of_an_empty_project_says_how_to_fill_it(tmp_path: Path) -> None:
    Store(tmp_path / "empty.db").close()
    result = run("status", tmp_path / "empty.db")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'empty.db'}: 0 comments, 0 reviewed, 0 flagged, 0 adjudicated; 0 model runs",
        f"No comments yet: import some with `coder tag INPUT --db {tmp_path / 'empty.db'}`",
    ]


def test_status_of_a_missing_project(tmp_path: Path) -> None:
    result = run("status", tmp_path / "none.db")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: project {tmp_path / 'none.db'} does not exist; create it with "
        f"`coder tag INPUT --db {tmp_path / 'none.db'}`\n"
    )
    assert not (tmp_path / "none.db").exists()


def test_the_status_line_of_sources_names_each_files_questions() -> None:
    files = [{"file": f"w{n}.csv", "question": "comment", "comments": 1000} for n in range(7)]
    old = [{"file": "old.csv", "question": "", "comments": 3}]
    assert sources_line(old + files[:1]) == (
        "From old.csv (column not recorded: 3); w0.csv (comment: 1,000)"
    )
    assert sources_line(files) == (
        "From w0.csv (comment: 1,000); w1.csv (comment: 1,000); w2.csv (comment: 1,000); "
        "w3.csv (comment: 1,000); w4.csv (comment: 1,000); and 2 more files"
    )
    assert sources_line(files[:6]).endswith("; and 1 more file")


@pytest.mark.parametrize(
    "command",
    [
        ["export", "{db}", "-o", "{db}"],
        ["export", "{db}", "--format", "qdpx", "-o", "{db}"],
        ["report", "{db}", "--html", "{db}"],
        ["agree", "{db}", "-o", "{db}"],
        ["tag", "{comments}", "--db", "{db}", "-o", "{db}"],
    ],
)
def test_no_output_is_written_over_a_project_even_with_force(
    project: Path, comments: Path, command: list[str]
) -> None:
    before = project.read_bytes()
    args = [part.format(db=project, comments=comments) for part in command]
    result = run(*args, "--force")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {project} is a project (an SQLite database); coder never writes an output "
        "over one: choose another file name\n"
    )
    assert project.read_bytes() == before


def test_a_damaged_project_is_an_error_not_a_traceback(project: Path, tmp_path: Path) -> None:
    # Each page in turn overwritten: whether found on opening or once read, an error message.
    pages = project.stat().st_size // 4096
    errors = set()
    for page in range(1, pages):
        damaged = tmp_path / f"damaged{page}.db"
        data = bytearray(project.read_bytes())
        data[page * 4096 : (page + 1) * 4096] = b"\xff" * 4096
        damaged.write_bytes(bytes(data))
        result = run("status", damaged)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code:
            errors.add(result.stderr.replace(str(damaged), "P"))
    assert errors == {
        "Error: cannot open project P: database disk image is malformed\n",
        "Error: the project cannot be read (database disk image is malformed): it is damaged; "
        "restore it from a backup\n",
    }


def test_a_full_disk_is_an_error_and_the_old_output_stays(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def full(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device", str(tmp_path / ".out.csv.1.tmp"))

    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(tempfile, "mkstemp", full)
    result = run("export", project, "-o", target, "--force")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot write {target}: No space left on device\n"
    assert target.read_text(encoding="utf-8") == "old\n"


def test_control_characters_from_a_file_are_shown_not_sent_to_the_terminal(
    tmp_path: Path, tiny_model: Path
) -> None:
    source = tmp_path / "esc.csv"
    source.write_text("id,comment\n\x1b[2J,a\n\x1b[2J,b\n", encoding="utf-8")
    result = run("tag", source, "-m", tiny_model, "--db", tmp_path / "e.db")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: esc.csv:3: id '\u241b[2J' appears twice")


def test_the_format_follows_the_output_name_and_must_agree_with_it(
    project: Path, comments: Path, tiny_model: Path, tmp_path: Path
) -> None:
    assert run("export", project, "-o", tmp_path / "c.qdpx").exit_code == 0
    assert (tmp_path / "c.qdpx").read_bytes().startswith(b"PK\x03\x04")
    assert run("export", project, "-o", tmp_path / "c.jsonl").exit_code == 0
    first = json.loads((tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["id"] == SURVEY[0][0]
    assert run("tag", comments, "-m", tiny_model, "-o", tmp_path / "t.jsonl").exit_code == 0
    assert json.loads((tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()[0])["id"]
    given = run("export", project, "-o", tmp_path / "w.txt", "--format", "wide")
    assert given.exit_code == 0
    assert (tmp_path / "w.txt").read_text(encoding="utf-8").startswith("id,")
    clash = run("export", project, "-o", tmp_path / "w.jsonl", "--format", "wide")
    assert clash.exit_code == 1  # the name and the format disagree


def test_a_tag_the_input_stops_part_way_leaves_the_project_as_it_was(
    tmp_path: Path, tiny_model: Path, project: Path
) -> None:
    from coder.store import IMPORT_BATCH

    twice = write_csv(tmp_path / "twice.csv", ["id", "comment"], [("1", "a"), ("1", "b")])
    result = run("tag", twice, "-m", tiny_model, "--db", tmp_path / "new.db")
    assert result.exit_code == 1
    assert not (tmp_path / "new.db").exists()

    # A repeated id after the first batch was stored. Kept, those comments would be counted
    # twice once the file is tagged again with the column of unique ids the error asks for.
    rows = [(str(i), str(i + 1000), f"Comment {i}.") for i in range(IMPORT_BATCH + 5)]
    late = write_csv(tmp_path / "late.csv", ["id", "rid", "comment"], [*rows, ("3", "9", "x")])
    with Store(project) as store:
        before = store.comment_count(), [r.id for r in store.runs()]
    for db, kept in (
        (tmp_path / "late.db", "no project was made"),
        (project, f"{project} is as it was"),
    ):
        result = run("tag", late, "-m", tiny_model, "--db", db)
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: late.csv:{IMPORT_BATCH + 7}: id '3' appears twice (first on line 5); a "
            "project needs one id per comment: give a column of unique ids with --id-column\n"
            f"Nothing from this file was kept ({kept}); fix it and run the command again\n"
        )
    assert not (tmp_path / "late.db").exists()
    with Store(project) as store:
        assert (store.comment_count(), [r.id for r in store.runs()]) == before
    assert run("tag", late, "-m", tiny_model, "--db", project, "--id-column", "rid").exit_code == 0
    with Store(project) as store:
        assert store.comment_count() == before[0] + IMPORT_BATCH + 6


def test_the_same_file_under_another_path_is_refused_before_it_doubles_the_comments(
    project: Path,
    comments: Path,
    tiny_model: Path,
    tiny_codebook: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # beside the project, as its files are named there
    moved = tmp_path / "downloads" / "comments (1).csv"
    moved.parent.mkdir()
    moved.write_bytes(comments.read_bytes())
    result = run("tag", moved, "-m", tiny_model, "--db", project, "-o", "-")
    assert result.exit_code == 1
    assert result.stdout == ""  # not a row on stdout, which cannot take it back
    assert result.stderr == (
        "Error: downloads/comments (1).csv: 4 of its first 4 comments are in the project "
        "already, with the same ids and texts, from comments.csv: it looks like the same file "
        "under another name or folder, and tagging it would count those comments twice. Tag "
        "comments.csv to add any new rows (put the file back there if it moved)\n"
    )
    # the file to tag instead as typed from where the command runs (recorded beside the project)
    elsewhere = tmp_path / "downloads"
    monkeypatch.chdir(elsewhere)
    again = run("tag", "comments (1).csv", "-m", tiny_model, "--db", project)
    assert again.stderr.endswith(
        "Tag ../comments.csv to add any new rows (put the file back there if it moved)\n"
    )
    with Store(project) as store:
        assert store.comment_count() == 4
        assert [r.id for r in store.runs()] == [1]
    # with another model (a cold start), the run made for the refused file is not kept either
    cold = run("tag", moved, "-c", tiny_codebook, "--db", project)
    assert cold.exit_code == 1
    with Store(project) as store:
        assert [r.id for r in store.runs()] == [1]
    # another wave with the same ids but its own answers is a file of its own
    wave = write_csv(
        tmp_path / "wave2.csv",
        ["id", "comment"],
        [*[(f"r{i}", f"New {i}") for i in range(1, 4)], ("r4", "The weather was nice.")],
    )
    assert run("tag", wave, "-m", tiny_model, "--db", project).exit_code == 0
    with Store(project) as store:
        assert store.comment_count() == 8


def test_a_file_of_a_header_alone_makes_no_project_and_no_run(
    project: Path, tiny_model: Path, tiny_codebook: Path, tmp_path: Path
) -> None:
    header = tmp_path / "header.csv"
    header.write_text("id,comment\n", encoding="utf-8")
    fresh = run("tag", header, "-m", tiny_model, "--db", tmp_path / "new.db")
    assert fresh.exit_code == 1
    assert fresh.stderr == f"Error: {header} has no comments under its header: nothing to tag\n"
    assert not (tmp_path / "new.db").exists()
    into = run("tag", header, "-c", tiny_codebook, "--db", project)
    assert into.stderr.endswith(
        f"Error: {header} has no comments under its header: nothing to tag\n"
    )
    with Store(project) as store:
        assert [r.id for r in store.runs()] == [1]


def test_a_tag_stopped_by_ctrl_c_says_what_the_project_holds(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coder.store import IMPORT_BATCH, ImportSink

    rows = [(str(i), f"Comment {i}.") for i in range(IMPORT_BATCH * 2 + 5)]
    big = write_csv(tmp_path / "big.csv", ["id", "comment"], rows)
    flush = ImportSink.flush

    def stopped_on_the_second(sink: ImportSink) -> None:
        if sink.rows:
            raise KeyboardInterrupt
        flush(sink)

    monkeypatch.setattr(ImportSink, "flush", stopped_on_the_second)
    db = tmp_path / "p.db"
    result = run("tag", big, "-m", tiny_model, "--db", db)
    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == (  # wrapped to the terminal's width
        f"Stopped: {IMPORT_BATCH} of this file's comments are in {db} with run 1's suggestions "
        "so far; the same command adds the rest Aborted!"
    )
    with Store(db) as store:
        (stopped,) = store.unfinished_imports()
    assert (stopped.source, stopped.question, stopped.run_id, stopped.process) == (
        "big.csv",
        "comment",
        1,
        0,
    )
    began = stopped.started_at[:16].replace("T", " ")
    unfinished = (
        f"Unfinished: big.csv, column 'comment' (tagging began {began} UTC, run 1) stopped part "
        f"way: {IMPORT_BATCH} of its comments are in the project so far; tagging the file into "
        "the project again with the same model adds the rest (`coder status "
        f"{db} --accept-part big.csv` takes the part as all of it)."
    )
    status = run("status", db)
    assert " ".join(status.stdout.split("\n")[3].split()) == unfinished
    assert json.loads(run("status", db, "--json").stdout)["unfinished"] == [
        {
            "file": "big.csv",
            "question": "comment",
            "run": 1,
            "started_at": stopped.started_at,
            "stored": IMPORT_BATCH,
            "running": False,
        }
    ]
    exported = run("export", db, "-o", tmp_path / "part.csv")
    assert exported.stderr.splitlines()[2] == unfinished
    monkeypatch.setattr(ImportSink, "flush", flush)
    assert run("tag", big, "-m", tiny_model, "--db", db).exit_code == 0
    with Store(db) as store:
        assert store.comment_count() == len(rows)
        assert store.unfinished_imports() == []
    assert "Unfinished" not in run("export", db, "-o", tmp_path / "all.csv").stderr


def test_a_part_of_a_file_can_be_taken_as_all_of_it(tmp_path: Path, project: Path) -> None:
    with Store(project) as store:
        store.import_started("wave2.csv", "comment", 1)
        store.import_stopped("wave2.csv", "comment")
    unknown = run("status", project, "--accept-part", "wave3.csv")
    assert unknown.stderr == (
        f"Error: {project} has no unfinished import of wave3.csv (unfinished: wave2.csv); name "
        "the file as `coder status` does\n"
    )
    settled = run("status", project, "--accept-part", "wave2.csv")
    assert " ".join(settled.stderr.split()) == (
        "Import of wave2.csv taken as done: the 0 comments it stored stay, and the rest of the "
        "file stays out (tagging it again would add them)"
    )
    with Store(project) as store:
        assert store.unfinished_imports() == []
        assert store.comment_count() == 4
    assert "Unfinished" not in run("export", project, "-o", tmp_path / "all.csv").stderr
    again = run("status", project, "--accept-part", "wave2.csv")
    assert again.stderr.startswith(f"Error: {project} has no unfinished import of wave2.csv")


def test_a_file_another_process_is_tagging_into_the_project_is_refused_until_it_stops(
    tmp_path: Path, tiny_model: Path, tiny_codebook: Path, comments: Path
) -> None:
    import socket
    import subprocess
    import sys

    db = tmp_path / "p.db"
    assert run("tag", comments, "-m", tiny_model, "--db", db).exit_code == 0
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    began = datetime.now(UTC).isoformat(timespec="milliseconds")  # it began tagging, then
    try:
        with Store(db) as store, store.transaction() as con:  # as that process records it
            con.execute(
                "INSERT INTO unfinished_imports VALUES (?, ?, 1, ?, ?, ?)",
                ("comments.csv", "comment", other.pid, socket.gethostname(), began),
            )
            (before,) = store.unfinished_imports()
        refused = run("tag", comments, "-c", tiny_codebook, "--db", db)  # its run goes
        assert refused.stderr.splitlines(keepends=True)[-1] == (
            f"Error: comments.csv (column 'comment') is being tagged into {db} by another "
            f"process ({other.pid}, since {before.began}); let it finish, or stop it, "
            "then run this again (it adds only what is missing)\n"
        )
        with Store(db) as store:
            assert store.unfinished_imports() == [before]
            assert [r.id for r in store.runs()] == [1]
        busy = run("status", db, "--accept-part", "comments.csv")
        assert busy.stderr == (
            f"Error: comments.csv may still be being tagged into {db} (process {other.pid}); "
            "stop it first, or let it finish\n"
        )
    finally:
        other.kill()
        other.wait()
    assert run("tag", comments, "-m", tiny_model, "--db", db).exit_code == 0
    with Store(db) as store:
        assert store.unfinished_imports() == []


def test_an_output_named_as_the_project_is_refused_before_the_project_is_made(
    tmp_path: Path, tiny_model: Path, comments: Path
) -> None:
    db = tmp_path / "p.db"
    result = run("tag", comments, "-m", tiny_model, "--db", db, "-o", db)
    assert result.stderr == (
        "Error: -o and --db name the same file; give the output a name of its own\n"
    )
    assert not db.exists()


def test_each_sheet_of_a_workbook_is_a_file_of_its_own(tmp_path: Path, tiny_model: Path) -> None:
    # Two sites' sheets, ids 1 and 3 on both with the same short answers: Site B's were once
    # taken for Site A's comments, and two of its respondents vanished into them.
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Site A"
    for row in (["id", "comment"], [1, "No"], [2, "Too slow."], [3, "No"]):
        book.active.append(row)
    site_b = book.create_sheet("Site B")
    for row in (["id", "comment"], [1, "No"], [3, "No"], [4, "Never enough time."]):
        site_b.append(row)
    path = tmp_path / "sites.xlsx"
    book.save(path)
    db = tmp_path / "p.db"
    assert run("tag", path, "-m", tiny_model, "--db", db).exit_code == 0
    second = run("tag", path, "--sheet", "Site B", "-m", tiny_model, "--db", db)
    assert second.exit_code == 0, second.output
    assert second.stderr.splitlines()[-1].startswith(
        f"Project {db}: 3 new comments, 0 already there"
    )
    with Store(db) as store:
        assert [(r.source, r.external_id) for r in store.comment_refs()] == [
            ("sites.xlsx[Site A]", "1"),
            ("sites.xlsx[Site A]", "2"),
            ("sites.xlsx[Site A]", "3"),
            ("sites.xlsx[Site B]", "1"),
            ("sites.xlsx[Site B]", "3"),
            ("sites.xlsx[Site B]", "4"),
        ]
    again = run("tag", path, "--sheet", "site b", "-m", tiny_model, "--db", db)
    assert "0 new comments, 3 already there" in again.stderr


def test_tagging_a_file_again_takes_its_corrected_attributes(
    tmp_path: Path, tiny_model: Path
) -> None:
    db = tmp_path / "p.db"
    source = write_csv(tmp_path / "a.csv", ["id", "role", "comment"], [("r1", "nurse", "No time.")])
    assert run("tag", source, "-m", tiny_model, "--db", db).exit_code == 0
    write_csv(source, ["id", "role", "region", "comment"], [("r1", "doctor", "North", "No time.")])
    again = run("tag", source, "-m", tiny_model, "--db", db)
    assert again.exit_code == 0, again.output
    assert "Note: 1 of the comments already there have other attribute values in this file" in (
        " ".join(again.stderr.split())
    )
    with Store(db) as store:
        assert store.comment(1).attributes == {"role": "doctor", "region": "North"}
    same = run("tag", source, "-m", tiny_model, "--db", db)
    assert "attribute" not in same.stderr


def test_a_refused_tag_puts_back_the_attributes_it_had_updated(
    tmp_path: Path, tiny_model: Path
) -> None:
    from coder.store import IMPORT_BATCH

    n = IMPORT_BATCH + 10
    rows = [(str(i), "nurse", f"Comment {i}.") for i in range(n)]
    source = write_csv(tmp_path / "a.csv", ["id", "role", "comment"], rows)
    db = tmp_path / "p.db"
    assert run("tag", source, "-m", tiny_model, "--db", db).exit_code == 0
    again = [(i, "doctor", text) for i, _, text in rows] + [("3", "doctor", "Comment 3.")]
    write_csv(source, ["id", "role", "comment"], again)
    refused = run("tag", source, "-m", tiny_model, "--db", db)
    assert refused.exit_code == 1
    assert refused.stderr.endswith(
        f"Nothing from this file was kept ({db} is as it was); fix it and run the command again\n"
    )
    with Store(db) as store:
        roles = {store.comment(i).attributes["role"] for i in range(1, n + 1)}
    assert roles == {"nurse"}


def test_a_later_question_refused_keeps_the_earlier_and_says_so(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coder.errors import InputError
    from coder.store import ImportSink

    rows = [(str(i), f"Good {i}.", f"Better {i}.") for i in range(20)]
    source = write_csv(tmp_path / "s.csv", ["id", "q1", "q2"], rows)
    write = ImportSink.write

    def refuse_q2(sink: ImportSink, tagged: object) -> None:
        if sink.question == "q2" and sink.rows:
            raise InputError("s.csv:12: a bad row")
        write(sink, tagged)

    monkeypatch.setattr(ImportSink, "write", refuse_q2)
    monkeypatch.setattr("coder.store.IMPORT_BATCH", 5)
    db = tmp_path / "p.db"
    both = ("--text-column", "q1", "--text-column", "q2")
    result = run("tag", source, "-m", tiny_model, *both, "--db", db)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "Error: s.csv:12: a bad row\nNothing from column 'q2' was kept "
        f"({db} keeps the columns tagged before it: q1); fix it and run the command again\n"
    )
    with Store(db) as store:
        assert {store.comment(i).question for i in range(1, 21)} == {"q1"}
        assert store.comment_count() == 20


def test_a_reviewed_only_export_names_ids_two_files_share_by_their_file(
    tmp_path: Path, tiny_model: Path
) -> None:
    # Only a.csv's comments are reviewed, but b.csv has the same ids: plain ids in the export
    # could not be imported back ("id 'r1' is in several files").
    db = tmp_path / "p.db"
    for name in ("a.csv", "b.csv"):
        source = write_csv(tmp_path / name, ["id", "comment"], [("r1", f"No time in {name}.")])
        assert run("tag", source, "-m", tiny_model, "--db", db).exit_code == 0
    sheet = write_csv(tmp_path / "ana.csv", ["id", "codes"], [("a.csv:r1", "time")])
    assert run("import", db, sheet, "--reviewer", "ana").exit_code == 0
    out = tmp_path / "out.csv"
    assert run("export", db, "-o", out, "--reviewed-only").exit_code == 0
    assert [r["id"] for r in read_csv(out)] == ["a.csv:r1"]
    again = run("import", db, out, "--reviewer", "ben")
    assert again.exit_code == 0, again.output


def tagged_workbook(tmp_path: Path, sheet: str, model: Path) -> tuple[Path, Path]:
    """s.xlsx of one sheet of two comments, tagged into p.db: (workbook, project)."""
    book = Workbook()
    book.active.title = sheet
    for row in (["id", "comment"], [1, "No time."], [2, "Too slow."]):
        book.active.append(row)
    path, db = tmp_path / "s.xlsx", tmp_path / "p.db"
    book.save(path)
    assert run("tag", path, "-m", model, "--db", db).exit_code == 0
    return path, db


def test_a_sheet_is_known_by_its_name_wherever_it_moves(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    monkeypatch.chdir(tmp_path)  # beside the project, as its files are named there
    from openpyxl import load_workbook

    path, db = tagged_workbook(tmp_path, "Responses", tiny_model)
    moved = load_workbook(path)
    moved.create_sheet("Cover", 0).append(["About this survey"])
    moved.save(path)
    again = run("tag", path, "--sheet", "Responses", "-m", tiny_model, "--db", db)
    assert "0 new comments, 2 already there" in again.stderr  # once 2 more, counted twice
    # A project made before sheets were told apart holds the first sheet's comments under the
    # workbook's name: tagged as the first sheet again, they are found there; moved, refused.
    raw = sqlite3.connect(db)
    raw.execute("UPDATE comments SET source = 's.xlsx'")
    raw.commit()
    raw.close()
    refused = run("tag", path, "--sheet", "Responses", "-m", tiny_model, "--db", db)
    assert refused.stderr == (
        "Error: s.xlsx[Responses]: the project holds these comments as s.xlsx, as coder named a "
        "workbook's first sheet before it told sheets apart; make this sheet the workbook's first "
        "again to tag it as before, or start a new project\n"
    )
    del moved["Cover"]
    other = moved.create_sheet("Q2")  # another question: the same ids, one answer alike
    for row in (["id", "comment"], [1, "No time."], [2, "Fine."]):
        other.append(row)
    moved.save(path)
    first = run("tag", path, "-m", tiny_model, "--db", db)
    assert "0 new comments, 2 already there" in first.stderr
    q2 = run("tag", path, "--sheet", "Q2", "-m", tiny_model, "--db", db)
    assert "2 new comments, 0 already there" in q2.stderr
    copy = tmp_path / "copy" / "s.xlsx"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    refused = run("tag", copy, "--sheet", "Q2", "-m", tiny_model, "--db", db)
    assert refused.stderr.endswith(
        "Tag s.xlsx --sheet Q2 to add any new rows (put the file back there if it moved)\n"
    )


def test_files_without_ids_are_different_people(tmp_path: Path, tiny_model: Path) -> None:
    # Line 2 of wave 1 and line 2 of wave 2 were taken for one respondent: the report halved
    # the respondents and, finding each "in several groups", tested nothing.
    db = tmp_path / "p.db"
    for wave, role in (("w1.csv", "nurse"), ("w2.csv", "carer")):
        rows = [(role, f"No time, says {wave} row {i}.") for i in range(3)]
        assert (
            run(
                "tag",
                write_csv(tmp_path / wave, ["role", "comment"], rows),
                "-m",
                tiny_model,
                "--db",
                db,
            ).exit_code
            == 0
        )
    out = tmp_path / "people.csv"
    assert run("export", db, "-o", out, "--format", "respondents").exit_code == 0
    assert [r["respondent"] for r in read_csv(out)] == [
        *(f"w1.csv:{n}" for n in (2, 3, 4)),
        *(f"w2.csv:{n}" for n in (2, 3, 4)),
    ]
    report = run("report", db, "--by", "role", "--quotes", "0").stdout
    assert "6 comments from 6 respondents" in report
    assert "several groups" not in report


def test_a_blank_comment_takes_its_text_when_the_file_is_fixed(
    tmp_path: Path, tiny_model: Path
) -> None:
    # Line 2's comment was under a renamed key: stored blank, with a note. Once the file is
    # fixed it takes its text (it was refused as "another text" before); a coded one would not.
    source = tmp_path / "a.jsonl"
    source.write_text('{"id": 1, "comment": "No time."}\n{"id": 2, "text": "Too slow."}\n', "utf-8")
    db = tmp_path / "p.db"
    first = run("tag", source, "-m", tiny_model, "--db", db)
    assert "has no 'comment'" in " ".join(first.stderr.split())
    source.write_text(
        '{"id": 1, "comment": "No time."}\n{"id": 2, "comment": "Too slow."}\n', "utf-8"
    )
    fixed = run("tag", source, "-m", tiny_model, "--db", db)
    assert fixed.exit_code == 0, fixed.output
    assert "Note: 1 of the comments already there were blank and have text in this file" in (
        " ".join(fixed.stderr.split())
    )
    with Store(db) as store:
        assert [store.comment(i).text for i in (1, 2)] == ["No time.", "Too slow."]
    # scored as the text it now has (the run's results for the blank are gone), as -o says
    assert run("export", db, "-o", tmp_path / "w.csv").exit_code == 0
    stored = {r["id"]: r for r in read_csv(tmp_path / "w.csv")}["2"]
    alone = parse_tag(run("tag", source, "-m", tiny_model, "-o", "-").stdout)["2"]
    assert (stored["codes"], stored["time_score"]) == (alone["codes"], alone["time_score"])
    assert float(alone["time_score"]) > 0


def test_questions_of_two_files_are_compared_as_independent_where_few_ids_meet(
    tmp_path: Path, tiny_model: Path
) -> None:
    db = tmp_path / "p.db"
    good = [(f"a{n}", f"No time {n}.") for n in range(8)] + [("x", "No time.")]
    bad = [(f"b{n}", f"Too slow {n}.") for n in range(8)] + [("x", "Slow.")]
    for name, column, rows in (("g.csv", "good", good), ("b.csv", "bad", bad)):
        source = write_csv(tmp_path / name, ["id", column], rows)
        tagged = run("tag", source, "--text-column", column, "-m", tiny_model, "--db", db)
        assert tagged.exit_code == 0, tagged.output
    shown = " ".join(run("report", db, "--by", "question", "--quotes", "0").stdout.split())
    assert "1 respondent is in several groups (an id two files share?)" in shown
    assert "Cochran" not in shown


def parse_tag(text: str) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text))}


def test_a_file_tagged_again_with_other_ids_is_refused_before_it_doubles(
    tmp_path: Path, tiny_model: Path
) -> None:
    db = tmp_path / "p.db"
    rows = [(f"Comment {n}.",) for n in range(6)]
    source = write_csv(tmp_path / "s.csv", ["comment"], rows)  # known by line numbers
    assert run("tag", source, "-m", tiny_model, "--db", db).exit_code == 0
    write_csv(source, ["id", "comment"], [(f"r{n}", text) for n, (text,) in enumerate(rows)])
    again = run("tag", source, "-m", tiny_model, "--db", db)
    assert again.exit_code == 1
    assert again.stderr == (
        "Error: s.csv: 6 of its first 6 comments are in the project already from this file, "
        "with the same texts under other ids: tagged with other ids (an id column added, another "
        "--id-column), they would be counted twice. Tag it with the ids it had before (its line "
        "numbers if it had no id column, else the same --id-column), or start a new project\n"
    )
    with Store(db) as store:
        assert store.comment_count() == 6


def test_a_renamed_sheet_is_refused_not_stored_again(tmp_path: Path, tiny_model: Path) -> None:
    from openpyxl import load_workbook

    path, db = tagged_workbook(tmp_path, "Site A", tiny_model)
    renamed = load_workbook(path)
    renamed["Site A"].title = "Responses"
    renamed.save(path)
    again = run("tag", path, "-m", tiny_model, "--db", db)
    assert again.stderr == (
        "Error: s.xlsx[Responses]: its first 2 comments are in the project already, with the "
        "same ids and texts, from s.xlsx[Site A]: a sheet renamed? Give it its old name again "
        "to tag it, or start a new project\n"
    )


def test_a_row_inserted_in_a_file_without_ids_is_explained(
    tmp_path: Path, tiny_model: Path
) -> None:
    db = tmp_path / "p.db"
    source = write_csv(tmp_path / "s.csv", ["comment"], [("First.",), ("Second.",)])
    assert run("tag", source, "-m", tiny_model, "--db", db).exit_code == 0
    write_csv(source, ["comment"], [("New.",), ("First.",), ("Second.",)])
    again = run("tag", source, "-m", tiny_model, "--db", db)
    assert again.stderr == (
        f"Error: s.csv:2: comment '2' of column 'comment' is in project {db} already with another "
        "text (imported from line 2); a project keeps the text it first imported. The file has no "
        "id column, so its comments are known by their line numbers: a row added or removed "
        "above this one moves every later one. Put new rows at the end and leave the others as "
        "they were, or start a new project\n"
    )


def test_rows_no_longer_in_a_file_tagged_again_are_noted(tmp_path: Path, tiny_model: Path) -> None:
    db = tmp_path / "p.db"
    rows = [("a", "First."), ("b", "Second."), ("c", "Third.")]
    source = write_csv(tmp_path / "s.csv", ["id", "comment"], rows)
    assert run("tag", source, "-m", tiny_model, "--db", db).exit_code == 0
    write_csv(source, ["id", "comment"], [rows[0], rows[2]])
    again = run("tag", source, "-m", tiny_model, "--db", db)
    assert "Note: 1 comment the project holds from this file (this column) is no longer in it" in (
        " ".join(again.stderr.split())
    )
    with Store(db) as store:
        assert store.comment_count() == 3


def test_a_corrected_attribute_reaches_the_respondents_other_answers(
    tmp_path: Path, tiny_model: Path
) -> None:
    # Re-tagging one question of a file corrected its answers' role alone: the respondent's
    # other answer kept the old one, and the report found them "in several groups".
    db = tmp_path / "p.db"
    header = ["id", "role", "good", "improve"]
    source = write_csv(tmp_path / "s.csv", header, [("r1", "nurse", "Kind staff.", "More time.")])
    both = ("--text-column", "good", "--text-column", "improve")
    assert run("tag", source, "-m", tiny_model, *both, "--db", db).exit_code == 0
    write_csv(source, header, [("r1", "doctor", "Kind staff.", "More time.")])
    again = run("tag", source, "-m", tiny_model, "--text-column", "improve", "--db", db)
    assert again.exit_code == 0, again.output
    with Store(db) as store:
        assert [store.comment(i).attributes for i in (1, 2)] == [{"role": "doctor"}] * 2
