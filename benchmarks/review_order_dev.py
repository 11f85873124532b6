"""Compare labelling in coder's review order against random labelling on the NHS *train* split.

The train split is cut into a pool (four fifths) and a dev set (one fifth), a new cut per seed.
Random labelling trains on the pool's first 500, 700 and 1,000 comments in a shuffled order; the
review order starts from the same first 100 and then labels in steps (100, 150, 200, 300, 400,
500, 700, 1,000), retraining after each and taking the next comments in `coder review --order
uncertain` order (simulated as in `benchmarks/run.py`), with the gold codes as the reviewer.
Both are reported at 500, 700 and 1,000 labels, every model scored on the dev set. The test
split is never read, so a change to the review order can be judged here before
`benchmarks/run.py` reports it on test.

    python benchmarks/review_order_dev.py [--seeds 4] [--first-seed 0]

Each seed takes about a minute and a half on two cores; seeds differ by up to 0.02 micro-F1, so
compare orders over several.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import baselines  # noqa: E402
from run import CODEBOOK, read_split, review_order, score_on  # noqa: E402

from coder.codebook import Codebook  # noqa: E402
from coder.codebook_io import load_codebook  # noqa: E402

STEPS = (100, 150, 200, 300, 400, 500, 700, 1000)
REPORTED = (500, 700, 1000)


def _score(book: Codebook, data: Any, rows: list[int], dev: list[int]) -> tuple[Any, float]:
    texts, codes = data
    held = ([texts[i] for i in dev], [codes[i] for i in dev])
    model, found, _ = score_on(book, texts, codes, rows, held)
    return model, round(found["micro_f1"], 4)


def one_seed(book: Codebook, data: Any, seed: int) -> dict[str, dict[int, float]]:
    texts = data[0]
    order = list(range(len(texts)))
    random.Random(1000 + seed).shuffle(order)
    dev, pool = order[: len(order) // 5], order[len(order) // 5 :]
    out: dict[str, dict[int, float]] = {"random": {}, "review_order": {}}
    for n in REPORTED:
        out["random"][n] = _score(book, data, pool[:n], dev)[1]
    chosen = pool[: STEPS[0]]
    for step, n in enumerate(STEPS):
        model, micro = _score(book, data, chosen, dev)
        if n in REPORTED:
            out["review_order"][n] = micro
        if step + 1 == len(STEPS):
            break
        chosen = chosen + review_order(model, texts, chosen, pool)[: STEPS[step + 1] - n]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    baselines.add_data_option(parser)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args(argv)
    book = load_codebook(CODEBOOK)
    data = read_split(args.data / "train.csv", book)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    runs = []
    for seed in seeds:
        runs.append(one_seed(book, data, seed))
        print(f"seed {seed}: {runs[-1]}", file=sys.stderr, flush=True)
    mean = {
        name: {n: round(float(np.mean([r[name][n] for r in runs])), 4) for n in REPORTED}
        for name in ("random", "review_order")
    }
    print(json.dumps({"seeds": list(seeds), "mean_micro_f1": mean, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
