"""Compare labelling in coder's review order against random labelling on the NHS *train* split.

The train split is cut into a pool (four fifths) and a dev set (one fifth), a new cut per seed.
Random labelling trains on the pool's first 500, 700 and 1,000 comments in a shuffled order; the
review order starts from the same first 100 and then labels in steps (100, 150, 200, 300, 400,
500, 700, 1,000), retraining after each and taking the next comments in `coder review --order
uncertain` order (simulated as in `benchmarks/run.py`), with the gold codes as the reviewer.
Both are reported at 500, 700 and 1,000 labels, every model scored on the dev set. The test
split is never read, so a change to the review order can be judged here before
`benchmarks/run.py` reports it on test.

    python benchmarks/review_order_dev.py [--seeds 4] [--first-seed 0] [--order errors]

`--order errors` replaces the review order with one no reviewer could follow, as a bound on what
choosing comments can do: after each step it draws the next comments with a chance in proportion
to how many of the current model's decisions on them the gold codes say are wrong (plus 0.1, so
that a comment it gets right can still come), the errors' counterpart of the shipped order's
draw by nearness to a threshold.

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


ARMS = {"uncertain": "review_order", "errors": "errors_order"}  # --order: its arm's name
Point = dict[str, float]  # micro_f1 and macro_f1 on the dev set


def _score(book: Codebook, data: Any, rows: list[int], dev: list[int]) -> tuple[Any, Point]:
    texts, codes = data
    held = ([texts[i] for i in dev], [codes[i] for i in dev])
    model, found, _ = score_on(book, texts, codes, rows, held)
    return model, {k: round(v, 4) for k, v in found.items()}


def errors_order(
    model: Any, data: Any, chosen: list[int], pool: list[int], rng: np.random.Generator
) -> list[int]:
    """The unlabelled pool in a weighted random draw by the current model's errors on each
    comment (wrong codes plus missed ones, by the gold codes)."""
    texts, codes = data
    taken = set(chosen)
    rest = [i for i in pool if i not in taken]
    results = model.tag([texts[i] for i in rest], evidence=False)
    errors = np.array(
        [len(set(r.codes) ^ set(codes[i])) for r, i in zip(results, rest, strict=True)], float
    )
    keys = -np.log(rng.random(len(rest))) / (errors + 0.1)
    return [rest[j] for j in np.argsort(keys)]


def one_seed(book: Codebook, data: Any, seed: int, order_by: str) -> dict[str, dict[int, Point]]:
    texts = data[0]
    order = list(range(len(texts)))
    random.Random(1000 + seed).shuffle(order)
    dev, pool = order[: len(order) // 5], order[len(order) // 5 :]
    arm = ARMS[order_by]
    out: dict[str, dict[int, Point]] = {"random": {}, arm: {}}
    for n in REPORTED:
        out["random"][n] = _score(book, data, pool[:n], dev)[1]
    chosen, rng = pool[: STEPS[0]], np.random.default_rng(seed)
    for step, n in enumerate(STEPS):
        model, point = _score(book, data, chosen, dev)
        if n in REPORTED:
            out[arm][n] = point
        if step + 1 == len(STEPS):
            break
        if order_by == "errors":
            ordered = errors_order(model, data, chosen, pool, rng)
        else:
            ordered = review_order(model, texts, chosen, pool)
        chosen = chosen + ordered[: STEPS[step + 1] - n]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    baselines.add_data_option(parser)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--order",
        choices=("uncertain", "errors"),
        default="uncertain",
        help="uncertain: coder's review order; errors: a bound that knows the model's errors",
    )
    args = parser.parse_args(argv)
    book = load_codebook(CODEBOOK)
    data = read_split(args.data / "train.csv", book)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    runs = []
    for seed in seeds:
        runs.append(one_seed(book, data, seed, args.order))
        print(f"seed {seed}: {runs[-1]}", file=sys.stderr, flush=True)
    summary: dict[str, Any] = {"order": args.order, "seeds": list(seeds)}
    for measure in ("micro_f1", "macro_f1"):
        summary[f"mean_{measure}"] = {
            name: {
                n: round(float(np.mean([r[name][n][measure] for r in runs])), 4) for n in REPORTED
            }
            for name in ("random", ARMS[args.order])
        }
    summary["runs"] = runs
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
