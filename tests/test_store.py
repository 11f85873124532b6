"""The project store: opening, migrations, recognising what is not a project, importing tagged
comments, the decision log, and surviving kill -9 and a second writer."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT, TINY_CODEBOOK, write_csv
from projects import (
    SURVEY,
    THRESHOLDS,
    add_run,
    build_at,
    drawn,
    first_run,
    ids_by_external,
    make_project,
    result,
)

import coder.store as store_module
from coder.codebook_io import parse_codebook
from coder.errors import InputError, StoreError
from coder.migrations import MIGRATIONS
from coder.model import load_model
from coder.results import CommentResult
from coder.review import ReviewSession
from coder.review_render import list_cells
from coder.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    Entry,
    ImportSink,
    NewComment,
    Store,
    review_key,
    review_keys,
)
from coder.tagging import tag_file
from coder.training import cold_start

NAMES = [name for name, _ in MIGRATIONS]


def raw(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- opening and migrations --------------------------------------------------------------------


def test_a_new_project_gets_every_migration_wal_and_the_coder_application_id(
    tmp_path: Path,
) -> None:
    path = tmp_path / "coding.db"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert [name for _, name, _ in store.migrations()] == NAMES
    assert raw(path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    with Store(path) as store:  # opening again applies nothing twice
        assert [number for number, _, _ in store.migrations()] == list(range(1, len(NAMES) + 1))


@pytest.mark.parametrize("level", range(SCHEMA_VERSION + 1))
def test_a_database_at_every_older_schema_is_brought_up_to_date(tmp_path: Path, level: int) -> None:
    path = tmp_path / "old.db"
    build_at(path, level)
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [name for _, name, _ in store.migrations()] == NAMES
        run_id = add_run(store)
        store.import_batch(
            run_id, "x.csv", [(NewComment("1", 2, "No time.", {}), result("No time.", {}, {}))], {}
        )
        assert store.comment_count() == 1
        sample = store.add_sample(0.5, 3, 1, [1], ["ana"])
        assert (sample.comment_ids, sample.reviewers, store.assigned("ana")) == (
            (1,),
            ("ana",),
            {1},
        )


def test_a_database_at_schema_1_keeps_its_data_and_gets_the_disagreement_backfilled(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    build_at(path, 1)
    db = sqlite3.connect(path)
    db.executescript(
        """
        INSERT INTO codebooks VALUES (1, 'h', 'Tiny', '1', 'name: Tiny', 'then');
        INSERT INTO runs VALUES (1, 1, 'k', 'old model',
            '{"decision": {"thresholds": {"time": 0.5, "cost": 0.4}}}', 'then');
        INSERT INTO comments VALUES (1, 'a.csv', 'x', 2, 'No time, no budget.', '{}', 'then');
        INSERT INTO comments VALUES (2, 'a.csv', 'y', 3, 'Budget.', '{}', 'then');
        INSERT INTO scores VALUES (1, 1, '{"time": 0.9, "cost": 0.2}', 0.2);
        INSERT INTO scores VALUES (1, 2, '{"time": 0.1, "cost": 0.7}', 0.3);
        -- comment 1: a rule coded cost though its probability stayed under the threshold
        INSERT INTO suggestions VALUES (1, 1, 'time', 0.9, 'model', '[]');
        INSERT INTO suggestions VALUES (1, 1, 'cost', 0.75, 'rule', '[]');
        -- comment 2: a rule coded cost and the classifier agreed
        INSERT INTO suggestions VALUES (1, 2, 'cost', 0.7, 'rule', '[]');
        INSERT INTO sessions VALUES (1, 'ana', 'review', '{}', 'then');
        INSERT INTO decisions VALUES (1, 1, 2, 'cost', 'accept', NULL, 'ana', 1, 'then', NULL);
        """
    )
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.comment_count() == 2
        assert store.codings() == {}  # accepted but not confirmed: not reviewed
        assert store.comment_state(2, "ana").codes == {"cost"}
    assert raw(path, "SELECT comment_id, disagreement FROM scores ORDER BY comment_id") == [
        (1, 1),
        (2, 0),
    ]


@pytest.mark.parametrize("level", [5, 6])
def test_a_database_at_schema_5_or_6_keeps_its_sessions_through_the_rebuilds(
    tmp_path: Path, level: int
) -> None:
    path = tmp_path / "old.db"
    build_at(path, level)
    db = sqlite3.connect(path)
    db.executescript(
        """
        INSERT INTO codebooks VALUES (1, 'h', 'Tiny', '1', 'name: Tiny', 'then');
        INSERT INTO comments VALUES (1, 'a.csv', 'x', 2, 'No time.', '{}', 'then');
        INSERT INTO sessions VALUES (1, 'ana', 'blind', '{"order": "file"}', 'then', 1);
        INSERT INTO decisions VALUES (1, 1, 1, 'time', 'add', NULL, 'ana', 1, 'then', NULL);
        INSERT INTO decisions VALUES (2, 1, 1, NULL, 'confirm', NULL, 'ana', 1, 'then', NULL);
        """
    )
    db.close()
    with Store(path) as store:
        assert store.codings() == {"ana": {1: {"time"}}}
        session = store.start_session("ana", "import", {"file": "ana.csv"})
        assert session == 2
        assert store.start_session("cy", "import-adjudication", {"file": "final.csv"}) == 3
        with pytest.raises(sqlite3.IntegrityError), store.transaction() as raw_db:
            raw_db.execute(  # foreign keys are on again after the migration
                "INSERT INTO decisions (batch, comment_id, action, reviewer, session_id, "
                "decided_at) VALUES (9, 1, 'confirm', 'ana', 99, 'now')"
            )
    assert raw(path, "SELECT id, reviewer, mode, settings, codebook_id FROM sessions") == [
        (1, "ana", "blind", '{"order": "file"}', 1),
        (2, "ana", "import", '{"file": "ana.csv"}', None),
        (3, "cy", "import-adjudication", '{"file": "final.csv"}', None),
    ]


def test_a_database_at_schema_2_keeps_its_decisions_and_gets_no_sample(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build_at(path, 2)
    db = sqlite3.connect(path)
    db.executescript(
        """
        INSERT INTO comments VALUES (1, 'a.csv', 'x', 2, 'No time.', '{}', 'then');
        INSERT INTO sessions VALUES (1, 'ana', 'blind', '{}', 'then');
        INSERT INTO decisions VALUES (1, 1, 1, 'time', 'add', NULL, 'ana', 1, 'then', NULL);
        INSERT INTO decisions VALUES (2, 1, 1, NULL, 'confirm', NULL, 'ana', 1, 'then', NULL);
        """
    )
    db.close()
    with Store(path) as store:
        assert [name for _, name, _ in store.migrations()][2:] == [
            "double-coding samples assigned to reviewers",
            "the codebook of each review session",
            "withdrawn runs",
            "sessions that import coding",
            "sessions that import adjudication",
            "several questions of one file",
            "samples indexed by comment",
            "scores stored packed",
            "imports not finished",
        ]
        assert store.codings() == {"ana": {1: {"time"}}}
        assert (store.current_sample(), store.assigned("ana")) == (None, set())


# --- scores as stored ---------------------------------------------------------------------------

SCORES = {"time": 0.123456, "cost": 1 / 3, "box_ticking": 0.0}


def test_scores_are_stored_packed_and_read_back_exactly(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with Store(path) as store:
        run_id = add_run(store)
        rows = [
            (NewComment("1", 2, "No time.", {}), result("No time.", SCORES, {"time": "model"})),
            # scores of some themes alone (not the codebook's): kept as JSON
            (NewComment("2", 3, "Budget.", {}), result("Budget.", {"cost": 0.7}, {})),
        ]
        store.import_batch(run_id, "x.csv", rows, {})
        latest = store.latest_results()
        assert latest[1].scores == {theme: round(score, 6) for theme, score in SCORES.items()}
        assert latest[2].scores == {"cost": 0.7}
        assert store.latest(1).scores == latest[1].scores
    stored = raw(path, "SELECT typeof(scores), length(scores) FROM scores ORDER BY comment_id")
    assert stored == [("blob", 4 + 3 * 8), ("text", len('{"cost": 0.7}'))]


def test_json_scores_of_an_older_project_read_beside_packed_ones(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build_at(path, NAMES.index("scores stored packed"))  # the migration not applied yet
    with Store(path) as store:
        run_id = add_run(store)
        comment = NewComment("1", 2, "No time.", {})
        store.import_batch(run_id, "x.csv", [(comment, result("No time.", SCORES, {}))], {})
    db = sqlite3.connect(path)  # as coder wrote them before they were packed
    with db:
        db.execute(
            "UPDATE scores SET scores = ?", ('{"time": 0.5, "cost": 0.25, "box_ticking": 0}',)
        )
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        run_id = add_run(store, "another model")
        comment = NewComment("2", 3, "Budget.", {})
        store.import_batch(run_id, "x.csv", [(comment, result("Budget.", SCORES, {}))], {})
        latest = store.latest_results()
        assert latest[1].scores == {"time": 0.5, "cost": 0.25, "box_ticking": 0}
        assert latest[2].scores == {theme: round(score, 6) for theme, score in SCORES.items()}


def test_a_run_id_used_again_under_another_codebook_reads_its_own_scores(tmp_path: Path) -> None:
    """Another program discards a run (a tag stopped part way) and its next run takes the same
    id under another codebook: a project held open all along reads the new scores right."""
    path = tmp_path / "p.db"
    other = parse_codebook(TINY_CODEBOOK.replace("id: cost", "id: money"), "other.yaml")
    with Store(path) as held, Store(path) as second:
        first = add_run(held)
        comment = NewComment("1", 2, "No time.", {})
        held.import_batch(first, "x.csv", [(comment, result("No time.", SCORES, {}))], {})
        assert held.run(first).codebook_id == 1  # cached by the project held open
        second.discard_run(first)
        again = second.add_run(second.add_codebook(other), "other model", {})
        assert again == first
        money = {"time": 0.25, "money": 0.5, "box_ticking": 0.125}
        second.add_scores(again, [(1, result("No time.", money, {}))], {})
        assert held.latest_results()[1].scores == money


def newer_schema(path: Path) -> None:
    build_at(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()


def other_program(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    db.commit()
    db.close()


def text_file(path: Path) -> None:
    path.write_text("id,comment\n1,hello\n", encoding="utf-8")


ELSEWHERE = "Give a project file, or a new file name to start a project"
REFUSED = {
    "newer coder": (
        newer_schema,
        f"{{path}} was written by a newer coder (schema {SCHEMA_VERSION + 1}, this coder knows "
        f"{SCHEMA_VERSION}); upgrade coder",
    ),
    "another program": (
        other_program,
        "{path} is not a coder project: it is an SQLite database of another program. " + ELSEWHERE,
    ),
    "text file": (
        text_file,
        "{path} is not a coder project: it is not an SQLite database. " + ELSEWHERE,
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_this_coder_cannot_use_is_refused_untouched(tmp_path: Path, case: str) -> None:
    make, message = REFUSED[case]
    path = tmp_path / "project.db"
    make(path)
    before = snapshot(tmp_path)
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert str(caught.value) == message.format(path=path)
    assert snapshot(tmp_path) == before


def test_a_missing_project_or_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "none.db", create=False)
    assert str(caught.value) == (
        f"project {tmp_path / 'none.db'} does not exist; create it with "
        f"`coder tag INPUT --db {tmp_path / 'none.db'}`"
    )
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "no" / "p.db")
    assert str(caught.value) == f"folder {tmp_path / 'no'} does not exist; create it first"
    assert not (tmp_path / "none.db").exists()


def test_a_new_project_in_a_read_only_folder_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod cannot stop root, who runs CI: the check itself is what is faked here.
    monkeypatch.setattr("coder.store.os.access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "p.db")
    assert str(caught.value) == (
        f"cannot make project {tmp_path / 'p.db'}: its folder {tmp_path} is read-only to you; "
        "give a path in a folder you can write to"
    )


def test_an_empty_file_is_no_project_to_read_but_may_become_one(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    path.touch()  # `coder status p.db` made it an empty project before
    with pytest.raises(StoreError) as caught:
        Store(path, create=False)
    assert str(caught.value) == (
        f"{path} is empty, not a coder project; start one with `coder tag INPUT --db {path}`"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.db"]
    assert path.stat().st_size == 0
    with Store(path) as store:  # `coder tag INPUT --db p.db` may start one in it
        assert store.comment_count() == 0


# --- importing tagged comments -----------------------------------------------------------------


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return write_csv(tmp_path / "data" / "survey.csv", ["id", "comment", "region"], SURVEY)


def import_file(store: Store, model, input_path: Path | str, name: str = "tiny") -> ImportSink:
    sink = ImportSink(store, model, name, input_path)
    tag_file(model, input_path, None, sink=sink)
    return sink


def test_tagging_into_a_project_stores_comments_attributes_and_every_suggestion(
    tmp_path: Path, tiny_model: Path, survey: Path
) -> None:
    model = load_model(tiny_model)
    with Store(tmp_path / "p.db") as store:
        sink = import_file(store, model, survey)
        assert (sink.new_comments, sink.rows, sink.run_id) == (4, 4, 1)
        comments = [store.comment(i) for i in store.order("file")]
        assert [
            (c.source, c.external_id, c.row_number, c.text, c.attributes) for c in comments
        ] == [
            ("data/survey.csv", ext, line, text, {"region": region})
            for line, (ext, text, region) in enumerate(SURVEY, start=2)
        ]
        expected = list(model.tag([text for _, text, _ in SURVEY]))
        for comment, tagged in zip(comments, expected, strict=True):
            latest = store.latest(comment.id)
            assert latest is not None and latest.run_id == 1
            assert latest.suggestions == tagged.suggestions
            assert latest.scores == pytest.approx(tagged.scores, abs=1e-6)
        assert [s.theme for s in store.latest(comments[0].id).suggestions] == ["time"]
        run = store.runs()[0]
        assert run.model == "tiny"
        assert run.meta["decision"]["thresholds"] == model.decision.thresholds


def test_tagging_the_same_file_again_adds_nothing_and_a_new_model_adds_a_run(
    tmp_path: Path, tiny_model: Path, tiny_codebook: Path, survey: Path, monkeypatch
) -> None:
    model = load_model(tiny_model)
    with Store(tmp_path / "p.db") as store:
        import_file(store, model, survey)
        monkeypatch.chdir(survey.parent)  # the same file, named from another folder
        again = import_file(store, model, "survey.csv")
        assert (again.new_comments, again.rows, again.run_id) == (0, 4, 1)
        assert store.comment_count() == 4
        assert raw(store.path, "SELECT COUNT(*) FROM scores") == [(4,)]
        cold = import_file(store, cold_start(model.codebook), survey, name="cold")
        assert (cold.new_comments, cold.run_id) == (0, 2)
        assert [r.model for r in store.runs()] == ["tiny", "cold"]
        assert {store.latest(i).run_id for i in store.order("file")} == {2}
        assert raw(store.path, "SELECT COUNT(*) FROM scores") == [(8,)]


def test_tagging_a_file_again_runs_only_its_new_and_changed_comments_through_the_model(
    tmp_path: Path, tiny_model: Path, monkeypatch
) -> None:
    """An import resumed after it stopped, or a file with rows added since, reuses what the
    run stored: the same results and counts as tagging it all, without the model's time."""
    model = load_model(tiny_model)
    columns = ["id", "comment", "region"]
    survey = tmp_path / "survey.csv"
    write_csv(survey, columns, [*SURVEY[:2], ("r3", "", "East")])  # r3 blank for now
    seen: list[str] = []
    real = model.tag_batch
    monkeypatch.setattr(
        model, "tag_batch", lambda texts, ev=True: seen.extend(texts) or real(texts, ev)
    )
    with Store(tmp_path / "p.db") as store:
        import_file(store, model, survey)
        write_csv(survey, columns, [SURVEY[1], SURVEY[0], *SURVEY[2:], ("r5", "No time.", "N")])
        seen.clear()
        sink = ImportSink(store, model, "tiny", survey)
        summary = tag_file(model, survey, None, sink=sink)
        # r3 filled in, r4, r5 (a held row stands in the model's stream as a blank)
        assert [text for text in seen if text] == [SURVEY[2][1], SURVEY[3][1], "No time."]
        assert (sink.new_comments, sink.filled, sink.rows) == (2, 1, 5)
        again = list(model.tag([text for _, text, _ in [SURVEY[1], SURVEY[0], *SURVEY[2:]]]))
        again.append(model.tag_one("No time."))
        assert summary.coded == sum(bool(r.codes) for r in again)
        assert summary.theme_counts == Counter(code for r in again for code in r.codes)
        comments = store.comments(store.order("file"))
        by_id = {c.external_id: store.latest(i) for i, c in comments.items()}
        for key, tagged in zip(["r2", "r1", "r3", "r4", "r5"], again, strict=True):
            assert by_id[key].suggestions == tagged.suggestions
        assert raw(store.path, "SELECT COUNT(*) FROM scores") == [(5,)]


def test_an_import_is_recorded_as_unfinished_until_it_finishes(
    tmp_path: Path, tiny_model: Path, survey: Path
) -> None:
    model = load_model(tiny_model)
    with Store(tmp_path / "p.db") as store:
        sink = ImportSink(store, model, "tiny", survey)
        written = ImportSink.write

        def looked(sink: ImportSink, tagged) -> None:  # while the file is being tagged
            (found,) = store.unfinished_imports()
            assert (found.source, found.question, found.run_id) == ("data/survey.csv", "comment", 1)
            assert (found.process, found.running) == (os.getpid(), True)
            written(sink, tagged)

        sink.write = lambda tagged: looked(sink, tagged)
        tag_file(model, survey, None, sink=sink)
        assert store.unfinished_imports() == []


def test_whether_an_unfinished_import_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(tmp_path / "p.db") as store:
        store.import_started("a.csv", "q", 1)
        (found,) = store.unfinished_imports()
        assert found.running is True  # this process
        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert replace(found, process=int(gone.stdout)).running is False
        assert replace(found, host=f"not-{found.host}").running is None
        # a live process of the recorded id that began after the import did: the id used again
        later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            time.sleep(0.1)
            hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
            reused = replace(found, process=later.pid, started_at=hour_ago).running
            assert reused is (sys.platform != "linux")  # told apart where /proc tells when
            started = datetime.now(UTC).isoformat()
            assert replace(found, process=later.pid, started_at=started).running is True
            week_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat()
            monkeypatch.setattr(store_module, "_process_started", lambda pid: None)  # off Linux
            assert replace(found, process=later.pid, started_at=hour_ago).running is True
            assert replace(found, started_at=week_ago).running is False  # no import runs a week
        finally:
            later.kill()
            later.wait()
        store.import_stopped("a.csv", "q")
        assert store.unfinished_imports() == [replace(found, process=0)]
        assert store.unfinished_imports()[0].running is False


def test_an_import_taken_back_puts_back_the_record_of_an_earlier_one_stopped_part_way(
    tmp_path: Path, tiny_model: Path
) -> None:
    model = load_model(tiny_model)
    rows = [("r1", "No time.", "N"), ("r2", "No budget.", "S"), ("r1", "Again.", "E")]
    dup = write_csv(tmp_path / "dup.csv", ["id", "comment", "region"], rows)
    with Store(tmp_path / "p.db") as store:
        for earlier in (True, False):
            if earlier:
                run_id = store.add_model_run(model, "tiny")
                assert store.import_started("dup.csv", "comment", run_id) is None
                store.import_stopped("dup.csv", "comment")
            before = store.unfinished_imports()
            sink = ImportSink(store, model, "tiny", dup)
            with pytest.raises(InputError):
                tag_file(model, dup, None, sink=sink)
            assert [u.process for u in store.unfinished_imports()] == [os.getpid()]
            sink.abandon(created=False)
            assert store.unfinished_imports() == before
            assert [u.process for u in before] == ([0] if earlier else [])
            store.import_finished("dup.csv", "comment")


def test_an_import_taken_back_keeps_its_run_while_another_process_tags_with_it(
    tmp_path: Path, tiny_model: Path
) -> None:
    import socket

    model = load_model(tiny_model)
    rows = [("r1", "No time.", "N"), ("r1", "Again.", "E")]
    dup = write_csv(tmp_path / "dup.csv", ["id", "comment", "region"], rows)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with Store(tmp_path / "p.db") as store:
        run_id = store.add_model_run(model, "tiny")  # the other process's, nothing stored yet
        with store.transaction() as db:
            db.execute(
                "INSERT INTO unfinished_imports VALUES ('big.csv', 'comment', ?, ?, ?, ?)",
                (run_id, other.pid, socket.gethostname(), datetime.now(UTC).isoformat()),
            )
        for running, runs in ((True, [run_id]), (False, [])):
            if not running:
                other.kill()
                other.wait()
            sink = ImportSink(store, model, "tiny", dup)
            assert (sink.run_id, sink.new_run) == (run_id, True)
            with pytest.raises(InputError):
                tag_file(model, dup, None, sink=sink)
            sink.abandon(created=False)
            assert [r.id for r in store.runs()] == runs


def test_a_file_with_a_repeated_id_is_refused_and_nothing_is_stored(
    tmp_path: Path, tiny_model: Path
) -> None:
    rows = [("r1", "No time.", "N"), ("r2", "No budget.", "S"), ("r1", "Again.", "E")]
    survey = write_csv(tmp_path / "dup.csv", ["id", "comment", "region"], rows)
    with Store(tmp_path / "p.db") as store:
        with pytest.raises(InputError) as caught:
            import_file(store, load_model(tiny_model), survey)
        assert str(caught.value) == (
            "dup.csv:4: id 'r1' appears twice (first on line 2); a project needs one id per "
            "comment: give a column of unique ids with --id-column"
        )
        assert store.comment_count() == 0


def test_without_an_id_column_the_line_number_identifies_a_comment(
    tmp_path: Path, tiny_model: Path
) -> None:
    survey = write_csv(tmp_path / "s.csv", ["comment", "region"], [("No time.", "N"), ("x", "S")])
    with Store(tmp_path / "p.db") as store:
        import_file(store, load_model(tiny_model), survey)
        comments = [store.comment(i) for i in store.order("file")]
        assert [(c.external_id, c.attributes) for c in comments] == [
            ("2", {"region": "N"}),
            ("3", {"region": "S"}),
        ]


def two_questions(folder: Path) -> tuple[Path, list[tuple[str, str, str, str]]]:
    rows = [(ext, text, region, f"Answer two of {ext}: no budget.") for ext, text, region in SURVEY]
    return write_csv(folder / "survey.csv", ["id", "comment", "region", "q2"], rows), rows


def legacy_project(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """A project as a coder before schema 8 stored the file's `comment` column: no question,
    every other column an attribute."""
    build_at(path, 7)
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO comments VALUES (?, 'survey.csv', ?, ?, ?, ?, 'then')",
        [
            (n, ext, n + 1, text, json.dumps({"region": region, "q2": two}))
            for n, (ext, text, region, two) in enumerate(rows, start=1)
        ],
    )
    db.commit()
    db.close()


def test_a_file_tagged_once_per_question_gives_each_answer_a_comment(
    tmp_path: Path, tiny_model: Path
) -> None:
    survey, rows = two_questions(tmp_path)
    model = load_model(tiny_model)
    with Store(tmp_path / "p.db") as store:
        first = ImportSink(store, model, "tiny", survey)
        tag_file(model, survey, None, text_column="comment", sink=first)
        assert not store.several_questions()
        assert store.comment(1).attributes == {"region": "North", "q2": rows[0][3]}
        second = ImportSink(store, model, "tiny", survey)
        tag_file(model, survey, None, text_column="q2", sink=second)
        assert (first.new_comments, second.new_comments, store.comment_count()) == (4, 4, 8)
        comments = [store.comment(i) for i in store.order("file")]
        assert [(c.question, c.external_id, c.text, c.attributes) for c in comments] == [
            ("comment", ext, text, {"region": region}) for ext, text, region, _ in rows
        ] + [("q2", ext, two, {"region": region}) for ext, _, region, two in rows]
        assert [(r.source, r.external_id) for r in store.comment_refs()] == [
            ("survey.csv#comment", ext) for ext, *_ in rows
        ] + [("survey.csv#q2", ext) for ext, *_ in rows]
        assert store.several_questions()
        assert store.attribute_names() == ["question", "region"]
        assert (comments[4].value("question"), comments[4].value("region")) == ("q2", "North")
        view = ReviewSession(store, "ana", order="file").view(comments[4].id)
        assert view.attributes == {"question": "q2", "region": "North"}  # shown on the screen
        assert (view.source, view.external_id) == ("survey.csv#q2", "r1")
        assert list_cells(view, {})[1].plain == "r1 · q2"  # the review's list (`l`)
        only = ReviewSession(store, "ana", order="file", question="q2")  # `--question q2`
        assert [store.comment(i).text for i in only.ids] == [two for *_, two in rows]
        with pytest.raises(InputError) as caught:
            ReviewSession(store, "ana", question="q3")
        assert str(caught.value) == (
            f"no question 'q3' in project {store.path} (questions: 'comment', 'q2')"
        )
        again = ImportSink(store, model, "tiny", survey)
        tag_file(model, survey, None, text_column="q2", sink=again)
        assert (again.new_comments, store.comment_count()) == (0, 8)


def test_questions_from_two_files_are_shown_but_need_no_name_of_their_own(
    tmp_path: Path, tiny_model: Path
) -> None:
    first = write_csv(tmp_path / "a.csv", ["id", "good"], [("r1", "No time.")])
    second = write_csv(tmp_path / "b.csv", ["id", "improve"], [("r1", "No budget.")])
    model = load_model(tiny_model)
    with Store(tmp_path / "p.db") as store:
        for path, column in ((first, "good"), (second, "improve")):
            sink = ImportSink(store, model, "tiny", path)
            tag_file(model, path, None, text_column=column, sink=sink)
        assert store.several_questions()
        assert store.attribute_names() == ["question"]  # for exports and `report --by`
        assert [(r.source, r.question) for r in store.comment_refs()] == [
            ("a.csv", "good"),
            ("b.csv", "improve"),
        ]


def test_comments_from_before_questions_get_theirs_when_their_file_is_tagged_again(
    tmp_path: Path, tiny_model: Path
) -> None:
    survey, rows = two_questions(tmp_path)
    model = load_model(tiny_model)
    for column, new in (("comment", 0), ("q2", 4)):
        path = tmp_path / f"old-{column}.db"
        legacy_project(path, rows)
        with Store(path) as store:
            assert {c.question for c in store.comments(range(1, 5)).values()} == {""}
            sink = ImportSink(store, model, "tiny", survey)
            tag_file(model, survey, None, text_column=column, sink=sink)
            assert (sink.new_comments, store.comment_count()) == (new, 4 + new)
            old = store.comments(range(1, 5)).values()
            assert {(c.question, tuple(c.attributes)) for c in old} == {
                ("comment", ("region",) if new else ("region", "q2"))
            }


def test_comments_from_before_questions_whose_column_cannot_be_told_stay_as_they_were(
    tmp_path: Path, tiny_model: Path
) -> None:
    survey, rows = two_questions(tmp_path)
    path = tmp_path / "old.db"
    legacy_project(path, rows)
    raw_db = sqlite3.connect(path)
    raw_db.execute("UPDATE comments SET attributes = '{}'")  # lacks three columns of the file
    raw_db.commit()
    raw_db.close()
    model = load_model(tiny_model)
    with Store(path) as store:
        with pytest.raises(InputError) as caught:
            tag_file(
                model, survey, None, text_column="q2", sink=ImportSink(store, model, "t", survey)
            )
        assert str(caught.value) == (
            f"survey.csv:2: comment 'r1' is in project {path} already with another text "
            "(imported from line 2); a project keeps the text it first imported. To code "
            "another column of this file, save that column with the ids as a file of its own; "
            "to tag a changed file, start a new project"
        )
        assert store.comment_count() == 4
        # Tagged again from the column they came from, they take the file's other columns as
        # attributes, which then tell their column: q2's answers go in as a question of their own.
        sink = ImportSink(store, model, "tiny", survey)
        tag_file(model, survey, None, text_column="comment", sink=sink)
        assert (sink.new_comments, sink.updated, store.comment_count()) == (0, 4, 4)
        sink = ImportSink(store, model, "t", survey)
        tag_file(model, survey, None, text_column="q2", sink=sink)
        assert (sink.new_comments, store.comment_count()) == (4, 8)
        assert {store.comment(i).question for i in range(1, 9)} == {"comment", "q2"}


# --- the review order --------------------------------------------------------------------------


def test_review_orders_come_from_one_query_over_the_latest_run(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    ids = ids_by_external(store)
    by_ext = {v: k for k, v in ids.items()}
    assert [by_ext[i] for i in store.order("file")] == ["a", "b", "c", "d"]
    latest = first_run()
    assert [by_ext[i] for i in store.order("uncertain")] == drawn(ids, latest)
    with_cost = [e for e in drawn(ids, latest) if e in ("b", "d")]
    assert [by_ext[i] for i in store.order("uncertain", theme="cost")] == with_cost
    # A later run that scores c alone: c's place comes from that run's draw.
    run_id = add_run(store, "second")
    scores = {"time": 0.5, "cost": 0.0, "box_ticking": 0.0}
    latest["c"] = (run_id, result("x", scores, {"time": "model"}))
    store.add_scores(run_id, [(ids["c"], latest["c"][1])], THRESHOLDS)
    assert [by_ext[i] for i in store.order("uncertain")] == drawn(ids, latest)
    assert store.latest(ids["c"]).run_id == run_id
    assert store.latest(ids["a"]).run_id == 1
    assert [by_ext[i] for i in store.order("file", theme="time")] == ["a", "c", "d"]


def test_a_runs_results_and_texts_for_some_comments_only(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    ids = ids_by_external(store)
    every = store.run_results(1)
    some = store.run_results(1, [ids["b"], ids["d"]])
    assert some == {ids["b"]: every[ids["b"]], ids["d"]: every[ids["d"]]}
    assert [s.theme for s in some[ids["b"]].suggestions] == ["cost", "box_ticking"]
    assert store.run_results(1, []) == {}
    # The themes alone, for measuring a run on many comments: [] where it suggested none.
    light = store.run_suggested(1, [ids["b"], ids["c"]])
    assert light == {ids["b"]: ["cost", "box_ticking"], ids["c"]: []}
    assert store.run_suggested(2, [ids["b"]]) == {}  # no such run scored it
    assert store.latest_results([ids["b"]]) == {ids["b"]: every[ids["b"]]}
    assert {i: c.external_id for i, c in store.comments([ids["c"], ids["a"]]).items()} == {
        ids["a"]: "a",
        ids["c"]: "c",
    }
    assert store.attribute_names([ids["a"]]) == store.attribute_names() == ["n"]
    assert list(store.texts({ids["d"], ids["a"]})) == [
        (ids["a"], "No time at all."),
        (ids["d"], "Busy rota, no funding."),
    ]


# --- the decision log --------------------------------------------------------------------------


def test_the_current_coding_is_the_last_action_per_theme_that_is_not_undone(
    tmp_path: Path,
) -> None:
    store = make_project(tmp_path / "p.db")
    a = ids_by_external(store)["a"]
    session = store.start_session("ana", "review", {})
    store.record(session, "ana", [Entry(a, "accept", "time"), Entry(a, "confirm")])
    store.record(session, "ana", [Entry(a, "add", "cost")])
    store.record(session, "ana", [Entry(a, "reject", "time")])
    assert store.comment_state(a, "ana").codes == {"cost"}
    undone = store.undo(session, "ana")
    assert [(d.theme, d.action) for d in undone] == [("time", "reject")]
    assert store.comment_state(a, "ana").codes == {"time", "cost"}
    undone = store.undo(session, "ana")
    assert [(d.theme, d.action) for d in undone] == [("cost", "add")]
    undone = store.undo(session, "ana")  # one step: the accept and its confirm together
    assert [(d.theme, d.action) for d in undone] == [("time", "accept"), (None, "confirm")]
    state = store.comment_state(a, "ana")
    assert (state.codes, state.reviewed) == (set(), False)
    assert store.undo(session, "ana") == []
    log = store.decisions(a)
    assert [d.action for d in log] == ["accept", "confirm", "add", "reject"] + ["undo"] * 4
    assert [d.undoes for d in log[4:]] == [log[3].id, log[2].id, log[0].id, log[1].id]
    # every theme the log names, undone or not: what a codebook must know to leave nothing out
    assert store.decided_themes() == {"time", "cost"}
    # a bound on the codes a final coding can have: the run's 5 suggestions, and the themes
    # people accepted or added (a's time and cost), undone or not
    assert store.coded_at_most() == 5 + 2


def test_codings_reviewers_and_the_coding_to_trust(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    ids = ids_by_external(store)
    ana = store.start_session("ana", "blind", {})
    ben = store.start_session("ben", "review", {})
    judge = store.start_session("cy", "adjudicate", {})
    for comment in ("a", "b"):
        store.record(
            ana, "ana", [Entry(ids[comment], "add", "time"), Entry(ids[comment], "confirm")]
        )
    store.record(ben, "ben", [Entry(ids["a"], "accept", "time"), Entry(ids["a"], "confirm")])
    store.record(ben, "ben", [Entry(ids["b"], "accept", "cost"), Entry(ids["b"], "confirm")])
    store.record(ben, "ben", [Entry(ids["c"], "add", "cost")])  # not confirmed: not reviewed
    assert store.reviewers() == ["ana", "ben"]
    assert store.codings() == {
        "ana": {ids["a"]: {"time"}, ids["b"]: {"time"}},
        "ben": {ids["a"]: {"time"}, ids["b"]: {"cost"}},
    }
    assert store.reviewed_codes() == ({ids["a"]: {"time"}}, 1)
    store.record(judge, "cy", [Entry(ids["b"], "accept", "cost"), Entry(ids["b"], "confirm")])
    assert store.adjudicated() == {ids["b"]: {"cost"}}
    assert store.codings(adjudicated=True) == {"cy": {ids["b"]: {"cost"}}}
    assert store.reviewed_codes() == ({ids["a"]: {"time"}, ids["b"]: {"cost"}}, 0)
    # An adjudicator's undo undoes adjudication, never the coding they did as a reviewer.
    assert [d.session_id for d in store.undo(judge, "cy", adjudicated=True)] == [judge, judge]
    assert store.adjudicated() == {}


def test_a_decision_is_on_disk_when_record_returns(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    a = ids_by_external(store)["a"]
    [made] = store.record(store.start_session("ana", "review", {}), "ana", [Entry(a, "flag")])
    with Store(tmp_path / "p.db") as other:
        assert [(d.id, d.action) for d in other.decisions()] == [(made, "flag")]


def test_a_project_held_too_long_by_another_program_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(tmp_path / "p.db").close()
    monkeypatch.setattr("coder.store.BUSY_TIMEOUT_S", 0.05)
    store = Store(tmp_path / "p.db")
    holder = sqlite3.connect(tmp_path / "p.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            store.record(store.start_session("ana", "review", {}), "ana", [Entry(1, "flag")])
    finally:
        holder.execute("ROLLBACK")
    assert str(caught.value) == (
        f"cannot write to project {tmp_path / 'p.db'}: database is locked; another program has "
        "held it too long: nothing was recorded, try again"
    )
    store.record(store.start_session("ana", "review", {}), "ana", [Entry(1, "flag")])
    assert [d.action for d in store.decisions()] == ["flag"]


# --- kill -9 and two writers -------------------------------------------------------------------

WORKER = """
import sys, time
from pathlib import Path
from coder.store import Entry, Store

path, reviewer, comment_id, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = Store(path)
session = store.start_session(reviewer, "review", {})
print("ready", flush=True)
while not (Path(path).parent / "go").exists():  # start together
    time.sleep(0.01)
for n in range(1, count + 1):
    [made] = store.record(session, reviewer, [Entry(comment_id, "memo", value=str(n))])
    print(made, n, flush=True)
    time.sleep(0.002)  # a fast reviewer; without a pause one writer could starve the other
"""


def start_worker(tmp_path: Path, reviewer: str, comment_id: int, count: int) -> subprocess.Popen:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    command = [sys.executable, str(script), str(tmp_path / "p.db"), reviewer, str(comment_id)]
    return subprocess.Popen(
        [*command, str(count)], cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1
    )


def reported(lines: list[str]) -> dict[int, str]:
    """What a worker said it had recorded: decision id -> memo."""
    return {int(made): n for made, n in (line.split() for line in lines if line[0].isdigit())}


def memos(store: Store, reviewer: str) -> dict[int, str]:
    return {d.id: d.value for d in store.decisions() if d.reviewer == reviewer}


def test_every_decision_reported_before_kill_9_survives(tmp_path: Path) -> None:
    make_project(tmp_path / "p.db").close()
    (tmp_path / "go").touch()
    worker = start_worker(tmp_path, "killed", 1, 10**9)
    assert worker.stdout is not None
    lines = [worker.stdout.readline() for _ in range(201)]  # "ready" and 200 decisions
    os.kill(worker.pid, signal.SIGKILL)
    lines += worker.stdout.readlines()  # anything it printed before it died
    worker.wait()
    made = reported(lines)
    assert len(made) >= 200
    with Store(tmp_path / "p.db") as store:
        stored = memos(store, "killed")
        assert {k: stored.get(k) for k in made} == made
        assert len(stored) - len(made) in (0, 1)  # at most one committed but not yet printed
    assert raw(tmp_path / "p.db", "PRAGMA integrity_check") == [("ok",)]


def test_two_processes_writing_at_once_both_keep_every_decision(tmp_path: Path) -> None:
    make_project(tmp_path / "p.db").close()
    workers = {name: start_worker(tmp_path, name, 1, 150) for name in ("ana", "ben")}
    for worker in workers.values():
        assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
    (tmp_path / "go").touch()
    outputs = {name: w.communicate(timeout=120)[0] for name, w in workers.items()}
    assert [w.returncode for w in workers.values()] == [0, 0]
    with Store(tmp_path / "p.db") as store:
        made = {name: reported(output.splitlines()) for name, output in outputs.items()}
        for name in workers:
            assert memos(store, name) == made[name]
            assert sorted(map(int, made[name].values())) == list(range(1, 151))
        assert store.comment_state(1, "ana").memo == "150"
    ana, ben = sorted(made["ana"]), sorted(made["ben"])
    assert ana[0] < ben[-1] and ben[0] < ana[-1], "the two wrote at the same time"


def test_settings_are_recorded_with_each_session(tmp_path: Path) -> None:
    store = make_project(tmp_path / "p.db")
    store.start_session("ana", "review", {"order": "random", "seed": 3})
    assert raw(store.path, "SELECT reviewer, mode, settings FROM sessions") == [
        ("ana", "review", json.dumps({"order": "random", "seed": 3}, sort_keys=True))
    ]
    with pytest.raises(InputError) as caught:
        store.start_session("ana", "solo", {})
    assert str(caught.value) == (
        "unknown session mode 'solo'; use one of review, blind, adjudicate, import, "
        "import-adjudication"
    )


def test_review_key_is_a_draw_weighted_by_how_near_the_closest_call_is() -> None:
    zero = {"cost": 0.0, "box_ticking": 0.0}  # far from their thresholds
    on = result("x", {"time": 0.5, **zero}, {"time": "model"})  # on its threshold: weight 1
    off = result("x", {"time": 0.1, **zero}, {})  # odds 1/9 of the threshold's: weight 1/9
    assert review_key(on, THRESHOLDS, "1:7") == review_key(on, THRESHOLDS, "1:7")
    assert review_key(on, THRESHOLDS, "1:7") != review_key(on, THRESHOLDS, "2:7")
    # With the same draw the key is -ln(u) / weight: nine times further down the list.
    assert review_key(off, THRESHOLDS, "1:7")[0] == pytest.approx(
        9 * review_key(on, THRESHOLDS, "1:7")[0]
    )
    # Over many draws the close call comes first nine times in ten (1 / (1 + 1/9)).
    first = sum(
        review_key(on, THRESHOLDS, f"1:{i}")[0] < review_key(off, THRESHOLDS, f"1:{i + 1000}")[0]
        for i in range(1000)
    )
    assert 870 <= first <= 930
    # Disagreement: box_ticking coded by a rule at 0.3, under its threshold of 0.6.
    ruled = result("x", {"time": 0.55, "cost": 0.38, "box_ticking": 0.3}, {"box_ticking": "rule"})
    assert review_key(ruled, THRESHOLDS, "1:7")[1] == 1
    assert review_key(on, THRESHOLDS, "1:7")[1] == 0


def test_review_keys_of_a_batch_are_each_comments_own() -> None:
    batch = [
        result("x", {"time": 0.5, "cost": 0.1, "box_ticking": 0.9}, {"time": "model"}),
        result("y", {"cost": 0.41}, {}),  # scored for one theme only
        CommentResult("z", {}, []),  # no scores at all: last whatever the draw
        result("w", {"time": 0.2, "cost": 0.45, "box_ticking": 0.3}, {"box_ticking": "rule"}),
    ]
    draws = ["3:1", "3:2", "3:3", "3:4"]
    keys = review_keys(batch, THRESHOLDS, draws)
    assert keys == [review_key(r, THRESHOLDS, d) for r, d in zip(batch, draws, strict=True)]
    assert keys[2][0] > 1e9 > max(keys[0][0], keys[1][0], keys[3][0])
    assert [disagreement for _, disagreement in keys] == [0, 0, 0, 1]
    assert review_keys([], THRESHOLDS, []) == []
