"""Shared fixtures: a tiny codebook and coded comments, so model tests train in about a second."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TINY_CODEBOOK = """\
name: Tiny
version: "1"
description: A three-theme codebook for tests.
themes:
  - id: barriers
    label: Barriers
    codable: false
  - id: time
    label: Time
    parent: barriers
    brief: Not enough time.
    definition: Lack of time or workload gets in the way.
    examples:
      - We never have the time for it.
      - Too busy with visits to go to meetings.
      - The rota is so tight there is no time left.
    patterns:
      - no time
      - too busy
    color: "#1f77b4"
  - id: cost
    label: Cost
    parent: barriers
    brief: Money.
    examples:
      - There is no budget for this.
      - Nobody pays us for our time.
      - Funding was cut again.
    patterns:
      - budget
      - [{LEMMA: "fund"}]
    color: "#ff7f0e"
  - id: box_ticking
    label: Box-ticking
    examples:
      - It is a box-ticking exercise.
      - They only do it to tick a box for the inspection.
      - Tokenistic consultation after the decision was made.
    patterns:
      - tick box
      - box - tick
    color: "#2ca02c"
"""

TINY_LABELLED = [
    ("1", "No time to do it properly, we are always rushing.", "time"),
    ("2", "The budget was cut so the group stopped.", "cost"),
    ("3", "Just a box-ticking exercise for the council.", "box_ticking"),
    ("4", "Too busy, and no funding either.", "time;cost"),
    ("5", "Lovely staff, nothing to add.", ""),
    ("6", "They tick boxes and never listen.", "box_ticking"),
    ("7", "No money for travel expenses, so I stopped going.", "cost"),
    ("8", "Visits are fifteen minutes, there is no time to talk.", "time"),
    ("9", "It felt like ticking a box before the inspection.", "box_ticking"),
    ("10", "Workload is crazy, no time for meetings.", "time"),
    ("11", "Funding for the forum ended last year.", "cost"),
    ("12", "The weather was nice.", ""),
]


@pytest.fixture
def tiny_codebook(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_CODEBOOK, encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[tuple], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def tiny_labelled(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "labelled.csv", ["id", "comment", "codes"], TINY_LABELLED)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the tiny data once per test session (a real `coder train` run)."""
    from coder.codebook_io import parse_codebook
    from coder.training import train

    folder = tmp_path_factory.mktemp("tiny_model")
    book = parse_codebook(TINY_CODEBOOK, "tiny.yaml")
    texts = [t for _, t, _ in TINY_LABELLED]
    codes = [[c for c in cell.split(";") if c] for _, _, cell in TINY_LABELLED]
    train(book, texts, codes, folds=3).save(folder / "model")
    return folder / "model"


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def run_at_terminal(args: list[object], stdout: Path) -> tuple[int, str]:
    """`coder ARGS` with stdout into the file `stdout` and stderr on a terminal (a pty), as a
    person runs `coder ... -o - > file`: (exit status, what the terminal showed)."""
    import pty

    leader, follower = pty.openpty()
    shown: list[bytes] = []

    def read() -> None:  # drained as it comes: a full pty would stop the command
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the command closed its end
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    with open(stdout, "wb") as handle:
        command = [sys.executable, "-m", "coder", *map(str, args)]
        done = subprocess.run(command, stdout=handle, stderr=follower, env=env, cwd=ROOT)
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    return done.returncode, b"".join(shown).decode("utf-8", "replace")
