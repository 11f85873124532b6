"""How the project commands scale: time and peak memory of `coder tag --db` (and of tagging
the same file again, which finds every comment stored), `status`, `export` (each format, and
wide as an Excel workbook), `report`, `agree` and `import` on a project of 100,000 comments,
and the project file's size.

The project is the sample survey's 825 answers repeated, each row with its own id, tagged with
the shipped model; a reviewer then codes some of them (every fourth with its first suggested
theme taken off) so that status, agreement with the model and the reviewed coding have work
to do. `import` reads the sample's hand coding repeated as one coder's spreadsheet of every
comment, then the .qdpx the export wrote. Each command runs as its own process, as a user would
run it, and its peak memory is that process's maximum resident set. Run it with the Python
whose coder you want to measure::

    python benchmarks/project_100k.py [--comments 100000] [--reviewed 300] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "coproduction_comments.csv"
GOLD = ROOT / "samples" / "coproduction_gold.csv"


def write_survey(path: Path, n: int) -> None:
    """`n` rows of the sample survey, repeated, each with an id of its own."""
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for i in range(n):
            writer.writerow({**rows[i % len(rows)], "id": f"r{i}"})


def write_coding(path: Path, n: int) -> None:
    """The sample's hand coding of the rows `write_survey` wrote: ids and codes."""
    with GOLD.open(encoding="utf-8", newline="") as handle:
        codes = [row["codes"] for row in csv.DictReader(handle)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "codes"])
        writer.writerows((f"r{i}", codes[i % len(codes)]) for i in range(n))


def review(db: Path, n: int) -> None:
    """A reviewer codes `n` comments in random order, taking off the first suggested theme of
    every fourth."""
    from coder.review import ReviewSession
    from coder.store import Store

    with Store(db) as store:
        session = ReviewSession(store, "ana", order="random")
        for i in range(n):
            view = session.next()
            if view is None:
                break
            if i % 4 == 0 and view.themes:
                session.toggle(view.themes[0].theme)
            session.accept()


def timed(args: Sequence[str], work: Path) -> tuple[float, float]:
    """(seconds, peak resident memory in MB) of `python -m coder ARGS` as its own process, run
    in `work` so that it is this Python's installed coder, not a checkout in the folder."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a long message cannot block
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "coder", *args],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            cwd=work,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            message = errors.read().decode(errors="replace")
            raise SystemExit(f"coder {' '.join(args)} failed:\n{message}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    return seconds, usage.ru_maxrss * scale / 2**20


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--reviewed", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="Build the project in this folder and keep it.")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="coder_project_"))
    work.mkdir(parents=True, exist_ok=True)
    survey, db = work / "survey.csv", work / "project.db"
    for stale in (db, work / "project.db-wal", work / "project.db-shm"):
        stale.unlink(missing_ok=True)
    write_survey(survey, args.comments)
    coding = work / "coding.csv"
    write_coding(coding, args.comments)
    (work / "project.qdpx").unlink(missing_ok=True)
    tag = ["tag", str(survey), "--db", str(db)]
    rows = [("tag --db", *timed(tag, work))]
    tagged_mb = db.stat().st_size / 1e6
    rows.append(("tag --db again (all stored)", *timed(tag, work)))  # a resumed import's path
    review(db, args.reviewed)
    commands = {
        "status": ["status", str(db)],
        "export wide": ["export", str(db), "-o", str(work / "out.csv")],
        "export wide .xlsx": ["export", str(db), "-o", str(work / "out.xlsx")],
        "export long": ["export", str(db), "-o", str(work / "long.csv"), "--format", "long"],
        "export respondents": [
            "export",
            str(db),
            "-o",
            str(work / "out.people.csv"),
            "--format",
            "respondents",
        ],
        "export jsonl": ["export", str(db), "-o", str(work / "out.jsonl"), "--format", "jsonl"],
        "export qdpx": ["export", str(db), "-o", str(work / "project.qdpx"), "--format", "qdpx"],
        "report --by respondent_type": ["report", str(db), "--by", "respondent_type"],
        "agree --coders ana,model": ["agree", str(db), "--coders", "ana,model"],
        "import (a spreadsheet)": ["import", str(db), str(coding), "--reviewer", "gold"],
        "import (the qdpx)": ["import", str(db), str(work / "project.qdpx")],
        "agree --coders gold,model": ["agree", str(db), "--coders", "gold,model"],
        # after both imports: two coders' decisions on every comment
        "export wide (after imports)": ["export", str(db), "-o", str(work / "out.csv")],
        "export log": ["export", str(db), "-o", str(work / "out.log.csv"), "--format", "log"],
    }
    for name, command in commands.items():
        for output in work.glob("out.*"):
            output.unlink()
        (work / "long.csv").unlink(missing_ok=True)
        rows.append((name, *timed(command, work)))
    final_mb = db.stat().st_size / 1e6
    if args.keep is None:
        shutil.rmtree(work)
    print(f"{args.comments:,} comments, {args.reviewed} reviewed")
    print(f"project file: {tagged_mb:.0f} MB once tagged, {final_mb:.0f} MB after the imports")
    print(f"{'command':<30} {'seconds':>8} {'peak MB':>8}")
    for name, seconds, peak in rows:
        print(f"{name:<30} {seconds:>8.1f} {peak:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
