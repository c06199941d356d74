"""Sample-based F1 on the ANES 2008 open-ended coding sets, next to the published figures.

    python benchmarks/bench_anes.py                          # every set found
    python benchmarks/bench_anes.py --sets d1,d9 --sizes 2%,5%,10%,25%,100%
    python benchmarks/bench_anes.py --path /data/anes2008    # or ANES2008_DIR=/data/anes2008
    python benchmarks/bench_anes.py --sizes 2%,5%,10%,25%,100% --representation lsa   # aids on vs off

Reads the sets from ``../shared/corpora/anes2008/`` relative to the repository root
(``--path`` or the ``ANES2008_DIR`` environment variable point elsewhere); nothing is
copied into the project, and the benchmark says so and stops when the folder is absent.
Each set folder holds ``texts.csv`` (id, text; ids ``tr…`` train, ``te…`` test),
``train_long.csv`` (response_id, code), ``test_gold.csv`` (id, codes joined by ``|``) and
``codebook.yaml`` — the layout ``evaluate --gold FOLDER --test-pattern '^te'`` reads.

For every set it trains on the training split (all of it, or the ``--sizes`` shares of
it) and prints, on the test split, the sample-based F1 (mean over test answers of the F1
between predicted and human code sets) of the learned model (each answer given its
likeliest set of codes, the default; "at thresholds": the same model with each code
decided at its own threshold), of a plain TF-IDF +
one-vs-rest logistic regression trained on the same answers, and of the codebook's
rules (the ANES codebooks have none: "—"), next to Card & Smith (2015) and that
paper's TF-IDF baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from probation_themes.codebook import load_codebook
from probation_themes.workflows.evaluate import evaluate, read_gold, split_mask

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATH = ROOT.parent / "shared" / "corpora" / "anes2008"
ENV = "ANES2008_DIR"

#: Published sample-based F1 on the same test splits: (Card & Smith 2015, that paper's TF-IDF baseline).
PUBLISHED = {"d1": (0.55, 0.44), "d2": (0.67, 0.51), "d5": (0.81, 0.68), "d9": (0.93, 0.90)}


def anes_path(given: str | Path | None = None) -> Path:
    """The ANES folder: ``given``, else $ANES2008_DIR, else ``../shared/corpora/anes2008``."""
    return Path(given or os.environ.get(ENV) or DEFAULT_PATH)


def available_sets(path: Path) -> list[str]:
    """The set folders (with texts.csv) under ``path``, in name order."""
    if not path.is_dir():
        return []
    return sorted(p.name for p in path.iterdir() if (p / "texts.csv").is_file())


def run(path: Path, sets: list[str], sizes: list[int | str] | None = None, topics: bool = True,
        representation: str | None = None) -> list[dict]:
    """Evaluate every set on its test split; one row per (set, training size)."""
    rows = []
    for name in sets:
        folder = path / name
        book = load_codebook(folder / "codebook.yaml")
        gold = read_gold(folder, book)
        mask = split_mask(gold, pattern="^te")
        start = time.perf_counter()
        options = {"representation": representation} if representation else None
        result = evaluate(gold, book, test=mask, sizes=sizes or ["100%"], topics=topics, aids=True, model_options=options)
        seconds = time.perf_counter() - start
        # The same model choosing each code at its own threshold instead of each answer's likeliest set.
        each = evaluate(gold, book, test=mask, sizes=sizes or ["100%"], topics=topics, aids=False, baseline=False,
                        model_options={**(options or {}), "decision": "threshold"})
        card, tfidf = PUBLISHED.get(name, (None, None))
        for point, other in zip(result.points, each.points):
            rows.append({
                "set": name,
                "answers": result.examples,
                "codes": len(result.codes),
                "train": point.size,
                "share": point.label,
                "test": result.test_examples,
                "model": point.model.sample.mean,
                "model_without_aids": point.model_without_aids.sample.mean if point.model_without_aids else None,
                "model_thresholds": other.model.sample.mean,
                "baseline": point.baseline.sample.mean if point.baseline else None,
                "rules": result.rules.sample.mean if result.rules else None,
                "card_smith_2015": card,
                "paper_tfidf": tfidf,
                "seconds": round(seconds, 1),
            })
    return rows


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", help=f"folder of the ANES sets (default: ${ENV} or {DEFAULT_PATH})")
    parser.add_argument("--sets", help="comma-separated set names (default: every set found)")
    parser.add_argument("--sizes", default="100%", help="training sizes, shares or numbers (default: 100%%)")
    parser.add_argument("--no-topics", action="store_true", help="no topic features for the model")
    parser.add_argument("--representation", choices=["lsa", "none"],
                        help="the model's text representation with the aids on (default: the model's own)")
    args = parser.parse_args(argv)
    path = anes_path(args.path)
    found = available_sets(path)
    if not found:
        print(f"Skipped: no ANES 2008 sets at {path} (set --path or ${ENV}); nothing to benchmark.")
        return 0
    sets = [s.strip() for s in args.sets.split(",")] if args.sets else found
    missing = [s for s in sets if s not in found]
    if missing:
        print(f"No set {', '.join(missing)} at {path}; the sets there are {', '.join(found)}.", file=sys.stderr)
        return 1
    sizes = [s if s.endswith("%") else int(s) for s in args.sizes.split(",") if s.strip()]
    rows = run(path, sets, sizes, topics=not args.no_topics, representation=args.representation)
    aids = any(r["model_without_aids"] is not None for r in rows)
    header = ["set", "answers", "codes", "train", "model"] + (["aids off"] if aids else []) + [
        "at thresholds", "TF-IDF+LR", "rules", "Card&Smith", "paper TF-IDF", "seconds"]
    print("Sample-based F1 on each set's test split")
    print(" | ".join(header))
    for r in rows:
        cells = [r["set"], f"{r['answers']:,}", str(r["codes"]), f"{r['train']:,} ({r['share']})", _fmt(r["model"])]
        if aids:
            cells.append(_fmt(r["model_without_aids"]))
        cells += [_fmt(r["model_thresholds"]), _fmt(r["baseline"]), _fmt(r["rules"]), _fmt(r["card_smith_2015"]), _fmt(r["paper_tfidf"]),
                  f"{r['seconds']:.1f}"]
        print(" | ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
