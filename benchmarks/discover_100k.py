"""How `coder discover` scales: the time and peak memory of grouping 100,000 comments.

The comments are the sample survey's answers repeated, each made distinct with a reference
number (as `coder discover --all` on a big project would group them). Grouping runs in this
process; peak memory is its maximum resident set, loading coder included. Run::

    python benchmarks/discover_100k.py [--comments 100000]
"""

from __future__ import annotations

import argparse
import csv
import resource
import time
from collections.abc import Sequence
from pathlib import Path

from coder.discovery import FULL_KMEANS_UP_TO, discover

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "coproduction_comments.csv"


def comments(n: int) -> list[str]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        texts = [row["comment"] for row in csv.DictReader(handle) if row["comment"].strip()]
    return [f"{texts[i % len(texts)]} (ref {i})" for i in range(n)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    n = parser.parse_args(argv).comments
    texts = comments(n)
    start = time.perf_counter()
    groups = discover(texts)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    method = "mini-batch k-means" if n > FULL_KMEANS_UP_TO else "k-means"
    print(f"{n:,} comments, {len(groups)} groups ({method}): {seconds:.1f} s, peak {peak} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
