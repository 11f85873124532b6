"""Rebuild the shipped co-production model from the hand-coded samples.

    python models/build_coproduction.py

1. Splits samples/coproduction_gold.csv into a training part (3/4) and a held-out part (1/4)
   by a hash of each comment's id (so adding comments never moves old ones), writing
   samples/coproduction_train.csv and samples/coproduction_heldout.csv
   (each row: the comment's columns plus its `codes`).
2. Trains models/coproduction with `coder train` on the training part.
3. Scores it on the held-out part with `coder evaluate`.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def held_out(comment_id: str) -> bool:
    return hashlib.sha256(comment_id.encode("utf-8")).digest()[0] % 4 == 0


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def split() -> None:
    comments = {row["id"]: row for row in read(SAMPLES / "coproduction_comments.csv")}
    gold = read(SAMPLES / "coproduction_gold.csv")
    rows = [{**comments[g["id"]], "codes": g["codes"]} for g in gold]
    testing = [row for row in rows if held_out(row["id"])]
    training = [row for row in rows if not held_out(row["id"])]
    write(SAMPLES / "coproduction_train.csv", training)
    write(SAMPLES / "coproduction_heldout.csv", testing)
    print(f"{len(training)} training and {len(testing)} held-out comments", file=sys.stderr)


def coder(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "coder", *args], check=True, cwd=ROOT)


if __name__ == "__main__":
    split()
    coder(
        "train",
        "samples/coproduction_train.csv",
        "-c",
        "codebooks/coproduction.yaml",
        "-o",
        "models/coproduction",
        "--force",
    )
    coder("evaluate", "samples/coproduction_heldout.csv", "-m", "models/coproduction")
