"""The real-data benchmark: coder against the tools an analyst would use instead, side by side.

One run, one machine, the NHS Friends and Family Test split (../shared/data/nhs_fft: train and
test, coded by NHS analysts with 32 themes), the codebook `codebooks/nhs_fft.yaml`:

1. accuracy on the test split after training on the train split: coder's default pipeline run
   as `coder train` and `coder evaluate` (subprocesses: the very code paths a user runs), the
   TF-IDF + LinearSVC baseline and spaCy's `textcat_multilabel` (see `baselines.py`);
2. cold start: `coder evaluate -c codebooks/nhs_fft.yaml`, the codebook alone, no labels;
3. label efficiency: F1 after training on 100 to 2,000 train comments chosen at random or in
   coder's own review order (a draw weighted towards the comments whose closest call is nearest
   its threshold; the gold codes play the reviewer), each from three draws, averaged;
4. speed: `coder tag` end to end (CSV in, wide CSV out) on 100,000 comments made by repeating the
   test texts, pinned to one core and then with `--n-process 2`, with peak memory; in the same run
   spaCy's blank English tokenizer alone (`nlp.pipe`) and the baseline's `transform` + `predict`
   over the same texts; and the training time of step 1. coder tags a repeated text once, so
   the same is measured again on 100,000 distinct rows (the test texts, each with a reference
   number appended): the cost of the pipeline itself.

Nothing is tuned on the test split: coder chooses its settings by cross-validation on train.
Prints a table and writes `benchmarks/results.json`:

    python benchmarks/run.py [--data DIR] [--skip-curves] [--skip-speed] [--skip-textcat]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import baselines  # noqa: E402

from coder.codebook import Codebook  # noqa: E402
from coder.codebook_io import load_codebook  # noqa: E402
from coder.metrics import (  # noqa: E402
    f1_intervals,
    f1_score,
    interval,
    report,
    resampled_f1,
    to_matrix,
)
from coder.store import review_keys  # noqa: E402
from coder.training import train  # noqa: E402

CODEBOOK = ROOT / "codebooks" / "nhs_fft.yaml"
# 700 sits between the review-order target (500) and its bar (1,000 random labels).
CURVE_SIZES = (100, 200, 500, 700, 1000, 2000)
# Review-order simulation: label in these steps (the reported sizes among them), retraining
# and re-ordering the pool after each, as a reviewer pressing `r` now and then would.
ACTIVE_STEPS = (100, 150, 200, 300, 400, 500, 700, 1000, 1400, 2000)
RANDOM_DRAWS = 3
RANDOM_BAR = 1000  # the target: the review order reaches random labelling's F1 at this size
GAP_KEY = f"review_order_minus_random_{RANDOM_BAR}"  # in results.json's curves
SPEED_ROWS = 100_000
TARGETS = {
    "micro_f1": 0.80,
    "macro_f1": 0.65,
    "cold_start_micro_f1": 0.35,
    "comments_per_second_one_core": 8000,
    "ratio_to_tokenizer": 0.2,
    "peak_memory_mb": 500,
    "training_seconds": 60,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- data


def read_split(path: Path, book: Codebook) -> tuple[list[str], list[list[str]]]:
    """Texts and theme ids (the split names themes by label)."""
    by_label = {theme.label: theme.id for theme in book.codable}
    texts, labels = baselines.read_split(path)
    return texts, [[by_label[label] for label in row if label in by_label] for row in labels]


def figures(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], ids: list[str]):
    """coder's own report (micro, macro over themes present in gold, per theme), with the
    bootstrap intervals that `coder evaluate` gives."""
    gold_matrix, coded = to_matrix(gold, ids), to_matrix(predicted, ids)
    return summary(
        {**report(gold_matrix, coded, ids), "intervals": f1_intervals(gold_matrix, coded)}
    )


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The figures kept from a report: micro and macro F1 and their bootstrap intervals first,
    per-theme F1 last."""
    return {
        "micro_f1": result["micro"]["f1"],
        "macro_f1": result["macro"]["f1"],
        "intervals": result["intervals"],
        "micro": result["micro"],
        "macro": result["macro"],
        "themes": {theme: row["f1"] for theme, row in result["themes"].items()},
    }


def coder_cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "coder", *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


# --------------------------------------------------------------------------- 1 and 2: accuracy


def accuracy(data: Path, work: Path, book: Codebook, textcat: bool) -> dict[str, Any]:
    ids = book.codable_ids
    model = work / "nhs_model"
    log("coder train (default pipeline) ...")
    start = time.perf_counter()
    trained = coder_cli(
        "train", str(data / "train.csv"), "-c", str(CODEBOOK), "-o", str(model), "--json"
    )
    training_seconds = time.perf_counter() - start
    log("coder evaluate ...")
    out: dict[str, Any] = {
        "coder": _from_evaluate(
            coder_cli("evaluate", str(data / "test.csv"), "-m", str(model), "--json")
        )
    }
    out["coder"]["training_seconds"] = round(training_seconds, 1)
    out["coder"]["cross_validated"] = json.loads(trained.stdout)
    log("coder cold start (codebook only) ...")
    cold = coder_cli("evaluate", str(data / "test.csv"), "-c", str(CODEBOOK), "--json")
    out["cold_start"] = _from_evaluate(cold)

    train_texts, train_labels = baselines.read_split(data / "train.csv")
    test_texts, test_labels = baselines.read_split(data / "test.csv")
    labels = [theme.label for theme in book.codable]
    to_ids = {theme.label: theme.id for theme in book.codable}

    def as_ids(rows: list[list[str]]) -> list[list[str]]:
        return [[to_ids[label] for label in row if label in to_ids] for row in rows]

    log("TF-IDF + LinearSVC baseline ...")
    sk = baselines.sklearn_baseline(train_texts, train_labels, test_texts, labels)
    out["tfidf_linearsvc"] = figures(as_ids(test_labels), as_ids(sk["predicted"]), ids)
    out["tfidf_linearsvc"]["training_seconds"] = round(sk["fit_seconds"], 1)
    if textcat:
        log("spaCy textcat_multilabel (bag of words) ...")
        tc = baselines.spacy_textcat_baseline(train_texts, train_labels, test_texts, labels)
        out["spacy_textcat_bow"] = figures(as_ids(test_labels), as_ids(tc["predicted"]), ids)
        out["spacy_textcat_bow"]["training_seconds"] = round(tc["fit_seconds"], 1)
    out["_sklearn_model"] = sk["model"]
    out["_model_path"] = str(model)
    return out


def _from_evaluate(done: subprocess.CompletedProcess) -> dict[str, Any]:
    return summary(json.loads(done.stdout))


# --------------------------------------------------------------------------- 3: label efficiency


def score_on(book: Codebook, texts: list[str], labels: list[list[str]], rows: list[int], test):
    """(model, micro- and macro-F1 on `test`, its codes there as a matrix) after training on
    `rows`."""
    ids = book.codable_ids
    model = train(book, [texts[i] for i in rows], [labels[i] for i in rows])
    coded = to_matrix([result.codes for result in model.tag(test[0], evidence=False)], ids)
    found = report(to_matrix(test[1], ids), coded, ids)
    return model, {"micro_f1": found["micro"]["f1"], "macro_f1": found["macro"]["f1"]}, coded


def learning_curves(data: Path, book: Codebook) -> dict[str, Any]:
    """Random labelling and review-order labelling, each from three draws, averaged. The review
    order starts from its draw's first 100 random comments (a project starts with no model to
    order by) and then labels in `ACTIVE_STEPS`, retraining and re-ordering after each step."""
    texts, labels = read_split(data / "train.csv", book)
    test = read_split(data / "test.csv", book)
    sizes = [n for n in CURVE_SIZES if n <= len(texts)]
    points: dict[str, dict[int, list[dict[str, float]]]] = {
        "random": {n: [] for n in sizes},
        "review_order": {n: [] for n in sizes},
    }
    coded: dict[str, dict[int, list[np.ndarray]]] = {
        name: {n: [] for n in sizes} for name in points
    }
    for seed in range(RANDOM_DRAWS):
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        for n in sizes:
            log(f"learning curve: random draw {seed + 1}/{RANDOM_DRAWS}, {n} labels")
            _, point, codes = score_on(book, texts, labels, order[:n], test)
            points["random"][n].append(point)
            coded["random"][n].append(codes)
        chosen = order[: ACTIVE_STEPS[0]]
        for step, n in enumerate(ACTIVE_STEPS):
            if n > len(texts):
                break
            log(f"learning curve: review order from draw {seed + 1}/{RANDOM_DRAWS}, {n} labels")
            model, point, codes = score_on(book, texts, labels, chosen, test)
            if n in sizes:
                points["review_order"][n].append(point)
                coded["review_order"][n].append(codes)
            if step + 1 < len(ACTIVE_STEPS):
                chosen += review_order(model, texts, chosen)[: ACTIVE_STEPS[step + 1] - n]
    curves: dict[str, Any] = {
        name: {
            str(n): {k: round(float(np.mean([p[k] for p in runs])), 4) for k in runs[0]}
            for n, runs in by_size.items()
            if runs
        }
        for name, by_size in points.items()
    }
    curves["micro_f1_per_draw"] = {
        name: {str(n): [round(p["micro_f1"], 4) for p in runs] for n, runs in by_size.items()}
        for name, by_size in points.items()
    }
    gold = to_matrix(test[1], book.codable_ids)
    curves[GAP_KEY] = against_random(gold, coded, RANDOM_BAR)
    return {**curves, "random_draws": RANDOM_DRAWS, "review_steps": list(ACTIVE_STEPS)}


def against_random(
    gold: np.ndarray, coded: dict[str, dict[int, list[np.ndarray]]], bar: int
) -> dict[str, dict[str, Any]]:
    """Micro-F1 of the review order at each size less that of `bar` random labels (each the
    mean over draws), with a paired bootstrap interval: every coding is scored on the same
    resamples of the test comments, so the interval shows how much of the difference the
    choice of test comments could make (the draws' own spread is in `micro_f1_per_draw`)."""
    if not coded["random"].get(bar):
        return {}

    def resampled(codings: list[np.ndarray]) -> np.ndarray:
        return np.mean([resampled_f1(gold, c)[0] for c in codings], axis=0)

    def mean_micro(codings: list[np.ndarray]) -> float:
        return float(np.mean([f1_score(gold, c) for c in codings]))

    random_bar = resampled(coded["random"][bar])
    out = {}
    for n, codings in coded["review_order"].items():
        if codings:
            difference = mean_micro(codings) - mean_micro(coded["random"][bar])
            out[str(n)] = {
                "micro_f1": round(difference, 4),
                "interval": interval(resampled(codings) - random_bar),
            }
    return out


def review_order(
    model: Any, texts: list[str], chosen: list[int], among: Sequence[int] | None = None
) -> list[int]:
    """The unlabelled comments (of `among`, else of all `texts`) in `coder review --order
    uncertain` order (see Store.order)."""
    taken = set(chosen)
    pool = [i for i in (range(len(texts)) if among is None else among) if i not in taken]
    thresholds = model.decision.thresholds
    results = list(model.tag([texts[i] for i in pool], evidence=False))
    keys = review_keys(results, thresholds, [f"{len(chosen)}:{i}" for i in pool])
    return [i for _, i in sorted(zip((key for key, _ in keys), pool, strict=True))]


# --------------------------------------------------------------------------- 4: speed


def speed(data: Path, work: Path, model: str, sk_model: Any) -> dict[str, Any]:
    """`coder tag` on the issue's file (the test texts repeated) and on a file of distinct
    texts (each row made unique with a reference number), each beside the tokenizer on the
    same texts. coder tags a repeated text once, so the first file mostly measures reading
    and writing; the second measures the pipeline itself."""
    texts = baselines.read_split(data / "test.csv")[0]
    big = [texts[i % len(texts)] for i in range(SPEED_ROWS)]
    distinct = [f"{text} (ref {i})" for i, text in enumerate(big)]
    source, unique = (
        _speed_file(work / "tag_100k.csv", big),
        _speed_file(work / "tag_100k_distinct.csv", distinct),
    )
    cores = os.sched_getaffinity(0)
    core = min(cores)
    one = _timed_tag(source, work / "tagged_1.csv", model, ["--n-process", "1"], core)
    two = _timed_tag(source, work / "tagged_2.csv", model, ["--n-process", "2"], None)
    one_distinct = _timed_tag(unique, work / "tagged_d1.csv", model, ["--n-process", "1"], core)
    two_distinct = _timed_tag(unique, work / "tagged_d2.csv", model, ["--n-process", "2"], None)
    # The reference figures, measured in this process on the same core.
    os.sched_setaffinity(0, {core})
    tokenizer = baselines.tokenizer_throughput(big)
    tokenizer_distinct = baselines.tokenizer_throughput(distinct)
    sklearn = baselines.sklearn_predict_throughput(sk_model, big)
    os.sched_setaffinity(0, cores)
    return {
        "rows": SPEED_ROWS,
        "distinct_texts": len(set(texts)),
        "coder_tag_one_core": one,
        "coder_tag_two_processes": two,
        "tokenizer_per_second": round(tokenizer),
        "sklearn_predict_per_second": round(sklearn),
        "ratio_to_tokenizer": round(one["per_second"] / tokenizer, 3),
        "ratio_to_sklearn_predict": round(one["per_second"] / sklearn, 3),
        "two_process_speedup": round(two["per_second"] / one["per_second"], 2),
        "distinct_rows": {
            "coder_tag_one_core": one_distinct,
            "coder_tag_two_processes": two_distinct,
            "tokenizer_per_second": round(tokenizer_distinct),
            "ratio_to_tokenizer": round(one_distinct["per_second"] / tokenizer_distinct, 3),
            "two_process_speedup": round(
                two_distinct["per_second"] / one_distinct["per_second"], 2
            ),
        },
    }


def _speed_file(path: Path, texts: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "comment"])
        writer.writerows((f"r{i}", text) for i, text in enumerate(texts))
    return path


def _timed_tag(source: Path, output: Path, model: str, extra: list[str], core: int | None):
    """Wall time and peak resident memory of one `coder tag` run (with its worker processes).

    Memory is read from /proc while it runs: the peak of the main process (VmHWM) and the
    largest sum over the process and its workers of their proportional set size (Pss: memory a
    forked worker still shares with its parent is counted once, not in each). `ru_maxrss` would
    count this benchmark's own memory: the child is forked from it before it runs coder.
    """
    command = [sys.executable, "-m", "coder", "tag", str(source), "-m", model, "-o", str(output)]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if core is not None:
        os.sched_setaffinity(process.pid, {core})  # before it starts any thread or worker
    main_peak = tree_peak = 0
    while process.poll() is None:
        main_peak = max(main_peak, _proc_kb(process.pid, "status", "VmHWM"))
        tree = [process.pid, *_children(process.pid)]
        tree_peak = max(tree_peak, sum(_proc_kb(pid, "smaps_rollup", "Pss") for pid in tree))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"coder tag failed: {process.stderr.read().decode()}")
    return {
        "seconds": round(seconds, 2),
        "per_second": round(SPEED_ROWS / seconds),
        "peak_memory_mb": round(max(main_peak, tree_peak) / 1024),
        "peak_memory_main_process_mb": round(main_peak / 1024),
    }


def _proc_kb(pid: int, name: str, field: str) -> int:
    """A memory figure (kB) from /proc/PID/NAME; 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/{name}", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


# --------------------------------------------------------------------------- report


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """Each target with the measured figure and whether it is met."""
    coder, out = results["accuracy"]["coder"], {}
    out["micro_f1"] = (coder["micro_f1"], coder["micro_f1"] >= TARGETS["micro_f1"])
    out["macro_f1"] = (coder["macro_f1"], coder["macro_f1"] >= TARGETS["macro_f1"])
    cold = results["accuracy"]["cold_start"]["micro_f1"]
    out["cold_start_micro_f1"] = (cold, cold >= TARGETS["cold_start_micro_f1"])
    seconds = coder["training_seconds"]
    out["training_seconds"] = (seconds, seconds < TARGETS["training_seconds"])
    if "curves" in results:
        curves = results["curves"]
        goal = curves["random"].get(str(RANDOM_BAR), {}).get("micro_f1")
        reached = [
            int(n) for n, p in curves["review_order"].items() if goal and p["micro_f1"] >= goal
        ]
        first = min(reached) if reached else None
        out["review_order_reaches_random_1000_with"] = (first, first is not None and first <= 500)
    if "speed" in results:
        speed_ = results["speed"]
        # The file (test texts repeated), then the one with every row distinct.
        for suffix, block in (("", speed_), ("_distinct_texts", speed_["distinct_rows"])):
            per_second = block["coder_tag_one_core"]["per_second"]
            out[f"comments_per_second_one_core{suffix}"] = (
                per_second,
                per_second >= TARGETS["comments_per_second_one_core"],
            )
            ratio = block["ratio_to_tokenizer"]
            out[f"ratio_to_tokenizer{suffix}"] = (ratio, ratio >= TARGETS["ratio_to_tokenizer"])
        peak = max(
            block[run]["peak_memory_mb"]
            for block in (speed_, speed_["distinct_rows"])
            for run in ("coder_tag_one_core", "coder_tag_two_processes")
        )
        out["peak_memory_mb"] = (peak, peak < TARGETS["peak_memory_mb"])
    return {name: {"measured": m, "met": ok} for name, (m, ok) in out.items()}


def print_table(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="NHS FFT test split: accuracy")
    for column in ("system", "micro-F1", "macro-F1", "95% intervals", "training s"):
        table.add_column(column)
    names = {
        "coder": "coder (default)",
        "cold_start": "coder cold start (codebook only)",
        "tfidf_linearsvc": "TF-IDF + LinearSVC",
        "spacy_textcat_bow": "spaCy textcat_multilabel (BOW)",
    }
    for key, name in names.items():
        row = results["accuracy"].get(key)
        if row:
            seconds = row.get("training_seconds", "")
            spread = " / ".join(
                "-".join(f"{v:.3f}" for v in row["intervals"][k]) for k in ("micro_f1", "macro_f1")
            )
            micro, macro = f"{row['micro_f1']:.3f}", f"{row['macro_f1']:.3f}"
            table.add_row(name, micro, macro, spread, str(seconds))
    console.print(table)
    if "curves" in results:
        curves = Table(title="Label efficiency (micro-F1 / macro-F1 on test)")
        curves.add_column("labels")
        curves.add_column("random (mean of draws)")
        curves.add_column("review order")
        for n, point in results["curves"]["random"].items():
            active = results["curves"]["review_order"].get(n)
            curves.add_row(
                n,
                f"{point['micro_f1']:.3f} / {point['macro_f1']:.3f}",
                f"{active['micro_f1']:.3f} / {active['macro_f1']:.3f}" if active else "",
            )
        console.print(curves)
        for n, gap in results["curves"][GAP_KEY].items():
            low, high = gap["interval"]
            console.print(
                f"review order at {n} labels less random at {RANDOM_BAR}: micro-F1 "
                f"{gap['micro_f1']:+.4f} (95% paired bootstrap interval {low:+.4f} to {high:+.4f})"
            )
    if "speed" in results:
        s = results["speed"]
        one = s["coder_tag_one_core"]
        console.print(
            f"coder tag, {s['rows']:,} comments: one core {one['per_second']:,}/s "
            f"(peak {one['peak_memory_mb']} MB); two processes "
            f"{s['coder_tag_two_processes']['per_second']:,}/s (x{s['two_process_speedup']}); "
            f"spaCy tokenizer alone {s['tokenizer_per_second']:,}/s "
            f"(coder = {s['ratio_to_tokenizer']}x); TF-IDF+SVC predict "
            f"{s['sklearn_predict_per_second']:,}/s (coder = {s['ratio_to_sklearn_predict']}x)"
        )
        d = s["distinct_rows"]
        console.print(
            f"the same with every row distinct: one core "
            f"{d['coder_tag_one_core']['per_second']:,}/s "
            f"(peak {d['coder_tag_one_core']['peak_memory_mb']} MB); two processes "
            f"{d['coder_tag_two_processes']['per_second']:,}/s (x{d['two_process_speedup']}); "
            f"tokenizer {d['tokenizer_per_second']:,}/s (coder = {d['ratio_to_tokenizer']}x)"
        )
    verdict = Table(title="Targets")
    for column in ("target", "measured", "met"):
        verdict.add_column(column)
    for name, row in results["targets"].items():
        verdict.add_row(name, str(row["measured"]), "yes" if row["met"] else "NO")
    console.print(verdict)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    baselines.add_data_option(parser)
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument("--skip-curves", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-textcat", action="store_true")
    args = parser.parse_args(argv)
    book = load_codebook(CODEBOOK)
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
            "cores": len(os.sched_getaffinity(0)),
        },
        "data": str(args.data),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        accuracy_ = accuracy(args.data, work, book, textcat=not args.skip_textcat)
        sk_model, model_path = accuracy_.pop("_sklearn_model"), accuracy_.pop("_model_path")
        results["accuracy"] = accuracy_
        if not args.skip_curves:
            results["curves"] = learning_curves(args.data, book)
        if not args.skip_speed:
            results["speed"] = speed(args.data, work, model_path, sk_model)
    results["targets"] = verdicts(results)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
