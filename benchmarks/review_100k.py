"""How fast review is in a big project: 100,000 comments with 17 themes' scores and suggestions.

Measures what the review screen waits for: computing the order at the start of a session (one
query), showing the next comment, recording a decision (a committed transaction) then showing
the next comment, reading a page of 100 comments for the list (`l`), and finding comments by
words in it (`/`). Then the real screen (`coder review`'s Textual app, headless, 120x40): the
time from a keypress (`n`, `a`) to the new comment painted, terminal output included. The screen
must render a keypress in under 50 ms. Run::

    /work/venv/bin/python benchmarks/review_100k.py [N_COMMENTS]
"""

from __future__ import annotations

import asyncio
import bisect
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from coder.codebook_io import load_codebook
from coder.results import CommentResult, Evidence, Suggestion
from coder.review import ReviewSession
from coder.review_app import ReviewApp
from coder.store import NewComment, Store

ROOT = Path(__file__).resolve().parent.parent


def fake_results(n: int, themes: list[str], seed: int = 0) -> list[CommentResult]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = f"Comment {i}: " + " ".join(
            rng.choice(["time", "money", "staff"]) for _ in range(30)
        )
        scores = {t: rng.random() ** 3 for t in themes}
        suggestions = [
            Suggestion(
                t, t, round(s, 4), rng.choice(["model", "rule"]), (Evidence("x", 0, 1, "pattern"),)
            )
            for t, s in scores.items()
            if s >= 0.5
        ]
        out.append(CommentResult(text, scores, suggestions))
    return out


def build(path: Path, n: int) -> None:
    book = load_codebook(ROOT / "codebooks" / "coproduction.yaml")
    themes = book.codable_ids
    thresholds = dict.fromkeys(themes, 0.5)
    with Store(path) as store:
        run_id = store.add_run(
            store.add_codebook(book), "bench", {"decision": {"thresholds": thresholds}}
        )
        results = fake_results(n, themes)
        for start in range(0, n, 5000):
            batch = [
                (NewComment(str(i), i + 2, r.text, {"region": "North", "role": "carer"}), r)
                for i, r in enumerate(results[start : start + 5000], start=start)
            ]
            store.import_batch(run_id, "big.csv", batch, thresholds)


def timed(action, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.db"
        start = time.perf_counter()
        build(path, n)
        size = path.stat().st_size / 1e6
        print(f"built {n:,} comments in {time.perf_counter() - start:.1f} s ({size:.0f} MB)")
        with Store(path) as store:
            for order in ("file", "uncertain", "random"):
                start = time.perf_counter()
                session = ReviewSession(store, "ana", order=order)
                print(
                    f"open a session, order {order}: {(time.perf_counter() - start) * 1000:.0f} ms"
                )
            session = ReviewSession(store, "ana", order="uncertain")
            report("next comment", timed(session.next, 200))
            report("accept + next comment", timed(session.accept, 200))
            report("toggle a theme", timed(lambda: session.toggle("barrier_time"), 200))
            report("undo", timed(session.undo, 100))
            report("progress", timed(session.progress, 100))
            page = session.ids[100:200]
            report("a page of the list (l)", timed(lambda: [session.view(i) for i in page], 20))
            report("find in the list (/)", timed(lambda: session.find("staff money"), 10))
            for key, repeat in (("n", 200), ("a", 200)):
                latencies = asyncio.run(keypress_latency(ReviewSession(store, "ben"), key, repeat))
                report(f"screen: key {key} to painted", latencies)


class TimedApp(ReviewApp):
    """The review app noting when each comment is shown and each screen update painted."""

    def __init__(self, session: ReviewSession):
        super().__init__(session)
        self.shown_at = 0.0
        self.painted: list[float] = []

    def show(self) -> None:
        super().show()
        self.shown_at = time.perf_counter()

    def _display(self, screen, renderable) -> None:  # type: ignore[no-untyped-def]
        # A headless driver writes nothing: do the work of turning the update into terminal
        # output here, so that it is timed as a terminal would get it.
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)
        super()._display(screen, renderable)
        self.painted.append(time.perf_counter())


async def keypress_latency(session: ReviewSession, key: str, repeat: int) -> list[float]:
    """Milliseconds from pressing `key` to the first paint after the comment was shown."""
    app = TimedApp(session)
    times = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(repeat):
            start = time.perf_counter()
            await pilot.press(key)
            while not app.painted or app.painted[-1] < app.shown_at:
                await asyncio.sleep(0.0005)
            assert app.shown_at > start
            painted = app.painted[bisect.bisect_left(app.painted, app.shown_at)]
            times.append((painted - start) * 1000)
    return times


def report(what: str, times: list[float]) -> None:
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    median = statistics.median(times)
    print(f"{what}: median {median:.2f} ms, p95 {p95:.2f} ms, max {max(times):.2f} ms")


if __name__ == "__main__":
    main()
