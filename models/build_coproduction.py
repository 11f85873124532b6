"""Rebuild the shipped co-production model from the hand-coded samples.

    python models/build_coproduction.py

1. Splits samples/coproduction_gold.csv into a training part (75%) and a held-out part (25%)
   with a fixed seed, writing samples/coproduction_train.csv and samples/coproduction_heldout.csv
   (each row: the comment's columns plus its `codes`).
2. Trains models/coproduction with `coder train` on the training part.
3. Scores it on the held-out part with `coder evaluate`.
"""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
HELD_OUT_SHARE = 0.25
SEED = 2023


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
    random.Random(SEED).shuffle(rows)
    cut = round(len(rows) * HELD_OUT_SHARE)
    held_out, training = rows[:cut], rows[cut:]
    order = list(comments)
    for name, part in (("train", training), ("heldout", held_out)):
        part.sort(key=lambda row: order.index(row["id"]))
        write(SAMPLES / f"coproduction_{name}.csv", part)
    print(f"{len(training)} training and {len(held_out)} held-out comments", file=sys.stderr)


def coder(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "coder", *args], check=True, cwd=ROOT)


if __name__ == "__main__":
    split()
    coder("train", "samples/coproduction_train.csv", "-c", "codebooks/coproduction.yaml",
          "-o", "models/coproduction", "--force")  # fmt: skip
    coder("evaluate", "samples/coproduction_heldout.csv", "-m", "models/coproduction")
