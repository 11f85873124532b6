"""Compare training choices on the NHS *train* split only, by outer cross-validation.

Each outer fold runs the whole `coder.training.train` (its inner cross-validation included) on
the other folds and scores the held-out fold, so a choice is judged on comments that took no
part in it. The test split is never read: this is how settings are chosen without tuning on it.

    python benchmarks/outer_cv.py [--folds 5] [--seed 1] [--micro-weight 0.9] [--fixed]

`--micro-weight` sets `coder.training.MICRO_WEIGHT` (0.5: the even mean of micro- and macro-F1);
`--fixed` trains with one setting (C=4, characters x0.5, embeddings x1) instead of choosing among
the candidates, about twice as fast. Compare two runs fold by fold: same `--seed`, same folds.
`--vectors FILE.npz` trains on other sentence vectors than the shipped static embeddings, in place
of their mean and extremes (see `teacher_vectors.py`, which makes them from the texts that
`--list-texts FILE.json` writes).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import baselines  # noqa: E402
from run import CODEBOOK, figures, read_split  # noqa: E402

from coder import features, training  # noqa: E402
from coder.codebook_io import load_codebook  # noqa: E402
from coder.embeddings import unit_rows  # noqa: E402

FIXED = training.Settings(C=4.0, char_weight=0.5, dense_weight=1.0)


def outer_cv(data: Path, folds: int, seed: int, fixed: bool) -> list[dict[str, float]]:
    from sklearn.model_selection import KFold

    book = load_codebook(CODEBOOK)
    texts, codes = read_split(data / "train.csv", book)
    options = {"candidates": (FIXED,)} if fixed else {}
    out = []
    for number, (fit, held) in enumerate(
        KFold(folds, shuffle=True, random_state=seed).split(texts)
    ):
        start = time.perf_counter()
        model = training.train(book, [texts[i] for i in fit], [codes[i] for i in fit], **options)
        predicted = [r.codes for r in model.tag([texts[i] for i in held], evidence=False)]
        found = figures([codes[i] for i in held], predicted, book.codable_ids)
        out.append(
            {
                "micro_f1": round(found["micro_f1"], 4),
                "macro_f1": round(found["macro_f1"], 4),
                "train_seconds": round(time.perf_counter() - start, 1),
            }
        )
        print(f"fold {number + 1}/{folds}: {out[-1]}", file=sys.stderr, flush=True)
    return out


class VectorTable:
    """Sentence vectors looked up by text, in place of the shipped static embeddings."""

    def __init__(self, path: Path):
        with np.load(path, allow_pickle=False) as data:
            vectors = data["vectors"]
            self.rows = dict(zip(data["texts"].tolist(), vectors, strict=True))
        self.dims = vectors.shape[1]

    def encode(self, texts: list[str], normalize: bool = False) -> np.ndarray:
        missing = [text for text in texts if text not in self.rows]
        if missing:
            raise SystemExit(
                f"{len(missing)} texts have no vector (first: {missing[0]!r}); write the texts "
                "again with --list-texts and rerun teacher_vectors.py"
            )
        out = np.array([self.rows[text] for text in texts], dtype=np.float32)
        out = out.reshape(len(texts), self.dims)
        return unit_rows(out) if normalize else out


def embedded_texts(data: Path) -> list[str]:
    """Every text that training on the train split embeds: its comments and the codebook's."""
    book = load_codebook(CODEBOOK)
    texts = read_split(data / "train.csv", book)[0] + training.codebook_examples(book)[0]
    return sorted(set(texts))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    baselines.add_data_option(parser)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--micro-weight", type=float, default=training.MICRO_WEIGHT)
    parser.add_argument("--fixed", action="store_true")
    parser.add_argument("--vectors", type=Path, help="an .npz from teacher_vectors.py")
    parser.add_argument("--list-texts", type=Path, help="write the texts to embed, then stop")
    args = parser.parse_args(argv)
    if args.list_texts:
        texts = embedded_texts(args.data)
        args.list_texts.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        print(f"wrote {len(texts)} texts to {args.list_texts}")
        return 0
    if args.vectors:
        table = VectorTable(args.vectors)
        features.static_embeddings = lambda _name: table
        training.EXTREMES = 0  # a sentence vector has no pieces to take extremes over
    training.MICRO_WEIGHT = args.micro_weight
    folds = outer_cv(args.data, args.folds, args.seed, args.fixed)
    means = {k: round(float(np.mean([f[k] for f in folds])), 4) for k in ("micro_f1", "macro_f1")}
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    del settings["data"], settings["list_texts"]
    print(json.dumps({"settings": settings, "mean": means, "folds": folds}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
