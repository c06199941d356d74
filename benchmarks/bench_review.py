"""Benchmark of the review session: how long the next quote takes to appear on a large project.

    python benchmarks/bench_review.py              # 100,000 comments (the issue's target size)
    python benchmarks/bench_review.py --n 10000 --answers 100

A corpus is generated and ingested and rule-coded as in bench_core.py (nothing is
committed). Then a review session is opened (file order and uncertain order, and over every
quote with ``--status all``) and answered quote after quote. Per answer it measures:

- ``answer``: from ``answer()`` being called to the next item being ready — the decisions
  committed in their own transaction, the next quote, its suggestions, decisions and memos read;
- ``render``: drawing that item as the 80×24 screen (rich Layout rendered to a buffer);
- ``next quote``: the two together, the time a coder waits after a key press. Target: < 100 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 100.0


def _bench_core():
    spec = importlib.util.spec_from_file_location("bench_core", ROOT / "benchmarks" / "bench_core.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(n: int, seed: int, workdir: Path, jobs: int = 2) -> Path:
    """Generate n comments, ingest them and code them with the rules; returns the project path."""
    core = _bench_core()
    csv_path, project = workdir / f"comments_{n}.csv", workdir / f"review_{n}.db"
    if not project.exists():
        core.make_corpus(csv_path, n, seed)
        core.stage_ingest(csv_path, project, 1)
        core.stage_code(csv_path, project, jobs)
    return project


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def measure(project: Path, *, answers: int, order: str, scope: str, coder: str) -> dict:
    """Open a session and answer ``answers`` quotes, timing each step."""
    from rich.console import Console

    from probation_themes.cli.review_screen import ScreenState, code_colours, render
    from probation_themes.review import CodeChoice, ReviewSession
    from probation_themes.store import Project

    with Project.open(project, create=False) as proj:
        book = proj.latest_codebook()
        codes = [CodeChoice(c.id, c.label, c.color) for c in book.codes]
        colours = code_colours(codes)
        console = Console(file=io.StringIO(), width=80, height=24, force_terminal=True, color_system="truecolor")
        start = time.perf_counter()
        session = ReviewSession(proj, coder=coder, codes=codes, order=order, scope=scope)
        opened = time.perf_counter() - start
        answer_s, render_s = [], []
        for i in range(answers):
            if session.current is None:
                break
            start = time.perf_counter()
            session.answer(rest="reject" if i % 3 == 0 else "accept")
            ready = time.perf_counter()
            console.file = io.StringIO()
            console.print(render(session.current, session.progress, ScreenState(), coder=coder, colours=colours,
                                 console=console))
            answer_s.append(ready - start)
            render_s.append(time.perf_counter() - ready)
        total = [a + r for a, r in zip(answer_s, render_s)]
        return {
            "order": order, "status": scope, "quotes": proj.count_quotes(), "in_session": session.progress.total,
            "answers": len(total), "open_s": opened, "answer": _summary(answer_s), "render": _summary(render_s),
            "next_quote": _summary(total),
        }


def run(n: int, seed: int, workdir: Path, answers: int, jobs: int = 2) -> list[dict]:
    """Build the project (coding with ``jobs`` processes) and time three sessions on it, each as another coder."""
    project = build(n, seed, workdir, jobs)
    return [
        measure(project, answers=answers, order="file", scope="suggested", coder="bench-file"),
        measure(project, answers=answers, order="uncertain", scope="suggested", coder="bench-uncertain"),
        measure(project, answers=answers, order="file", scope="all", coder="bench-all"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="comments to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--answers", type=int, default=300, help="quotes answered per session (default 300)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the corpus and project go (default: temp)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        results = run(args.n, args.seed, workdir, args.answers)
    print(f"{args.n:,} comments; next-quote target {TARGET_MS:.0f} ms")
    print(f"{'session':28} {'open s':>7} {'answer p50/p95':>15} {'render p50/p95':>15} {'next quote p50/p95/max ms':>26}")
    for r in results:
        name = f"{r['order']}, {r['status']} ({r['in_session']:,})"
        a, d, t = r["answer"], r["render"], r["next_quote"]
        print(f"{name:28} {r['open_s']:7.2f} {a['median_ms']:7.1f}/{a['p95_ms']:<7.1f} "
              f"{d['median_ms']:7.1f}/{d['p95_ms']:<7.1f} {t['median_ms']:8.1f}/{t['p95_ms']:.1f}/{t['max_ms']:.1f}")
    if args.json:
        args.json.write_text(json.dumps({"n": args.n, "sessions": results}, indent=2))
    sys.exit(0 if all(r["next_quote"]["p95_ms"] < TARGET_MS for r in results) else 1)


if __name__ == "__main__":
    main()
