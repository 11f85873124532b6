"""Sentence vectors from the full all-MiniLM-L6-v2 transformer, for `outer_cv.py --vectors`.

The shipped static embeddings (models/static_minilm) are distilled from this transformer, so
the transformer's own sentence vectors are the best any distillation of it could give. Training
on them instead (outer cross-validation on the train split) bounds what a better static model
could add. Run it in the build environment of `models/build_static_embeddings.py` (torch and
sentence-transformers; coder never needs them), on the texts `outer_cv.py --list-texts` wrote:

    python benchmarks/outer_cv.py --list-texts /tmp/texts.json
    /tmp/embvenv/bin/python benchmarks/teacher_vectors.py /tmp/texts.json /tmp/minilm.npz
    python benchmarks/outer_cv.py --vectors /tmp/minilm.npz

The weights are the verified release that the static model is built from (same package, same
sha256 check); nothing is fetched.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "models"))

# Sets the Hugging Face libraries offline before they are imported.
from build_static_embeddings import UPSTREAM, source_folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("texts", type=Path, help="a JSON list of texts (outer_cv --list-texts)")
    parser.add_argument("output", type=Path, help="the .npz to write: texts and vectors")
    args = parser.parse_args()
    from sentence_transformers import SentenceTransformer

    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    model = SentenceTransformer(str(source_folder()), device="cpu")
    start = time.perf_counter()
    vectors = model.encode(texts, batch_size=64, show_progress_bar=False)
    seconds = time.perf_counter() - start
    np.savez(args.output, texts=np.array(texts, dtype=str), vectors=vectors.astype(np.float32))
    print(f"{UPSTREAM}: {len(texts)} texts in {seconds:.1f} s -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
