"""Benchmark of the learned model: train on N coded quotes, then predict M quotes.

    python benchmarks/bench_model.py                        # train 5,000, predict 100,000
    python benchmarks/bench_model.py --predict 1000000      # the issue's full target
    python benchmarks/bench_model.py --uncoded 50000 --representation lsa   # with the few-label aids

Comments are generated (nothing is committed). The labels stand in for a human coder: the
rule coder's codes on the training quotes, with one code in ten flipped at random so the
model has something to learn beyond the rules. Prints wall time and peak memory of training
and of prediction, next to the rule coder on the same quotes as a floor.

Prediction goes through ``iter_rows``, the path ``code`` takes (store rows with their
evidence, made in the worker processes); ``--records`` also times ``iter_score``, which
builds a Coding record per suggestion. Here the rules are matched again for the rule
features; ``code`` after ``code --method rules`` reads them from the project instead
(``bench_core.py`` measures that path).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import resource
import time
from pathlib import Path

from probation_themes.codebook import load_codebook
from probation_themes.coding.model import ModelCoder
from probation_themes.coding.rules import RulesCoder
from probation_themes.models import Quote

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
GENERATOR = ROOT / "corpora" / "synthetic" / "generate_survey.py"


def _comments(n: int, seed: int) -> list[Quote]:
    spec = importlib.util.spec_from_file_location("generate_survey", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [
        Quote(quote_id=f"q{i}", response_id=rid, text=text, source="bench", row=i + 2, end=len(text))
        for i, (rid, _region, _org, text) in enumerate(module.generate_comments(n, seed))
    ]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=5_000)
    parser.add_argument("--predict", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-char-ngrams", action="store_true",
                        help="words only, as `code` trains the model for projects of more than 200,000 quotes")
    parser.add_argument("--representation", default="none", choices=["lsa", "none"],
                        help="the model's representation (lsa needs --uncoded; `code` uses it up to 100,000 quotes)")
    parser.add_argument("--uncoded", type=int, default=0,
                        help="uncoded quotes given to fit (weak labels from the rules, the representation's text)")
    parser.add_argument("--decision", default="set", choices=["set", "threshold"],
                        help="how the model chooses each quote's codes (set: the likeliest set, the default)")
    parser.add_argument("--records", action="store_true",
                        help="also time iter_score, which builds a Coding record per suggestion (the library API)")
    args = parser.parse_args()

    codebook = load_codebook(CODEBOOK)
    train = _comments(args.train, args.seed)
    rules = RulesCoder(n_jobs=1).fit(codebook)
    coded = {(c.quote_id, c.code) for c in rules.predict(train)}
    rng = random.Random(args.seed)
    labels = {
        q.quote_id: {code: int(((q.quote_id, code) in coded) != (rng.random() < 0.1)) for code in codebook.ids}
        for q in train
    }

    uncoded = _comments(args.uncoded, args.seed + 2) if args.uncoded else None
    if uncoded:
        uncoded = [q.model_copy(update={"quote_id": "u" + q.quote_id}) for q in uncoded]
    start = time.perf_counter()
    model = ModelCoder(n_jobs=args.jobs, char_ngrams=not args.no_char_ngrams, representation=args.representation,
                       decision=args.decision)
    model.fit(codebook, train, labels=labels, unlabelled=uncoded)
    train_s = time.perf_counter() - start
    del uncoded  # as in `code`, the uncoded quotes are let go once the model has learned
    print(f"train  {args.train:>9,} quotes  {train_s:7.1f} s  trained codes: {len(model.trained_codes_)}"
          f"  peak {_peak_mb():,.0f} MB")
    print(f"learned beyond the labels: {model.aids_.describe() or 'nothing'}; " + "; ".join(model.aids_.notes))

    quotes = _comments(args.predict, args.seed + 1)
    # As `code` does: batches of quotes in, store rows (suggestions with their evidence encoded) out.
    batches = (quotes[lo : lo + 10_000] for lo in range(0, len(quotes), 10_000))
    start = time.perf_counter()
    n_rows = sum(len(part.rows) for part in model.iter_rows(batches))
    predict_s = time.perf_counter() - start
    print(f"predict {args.predict:>8,} quotes  {predict_s:7.1f} s  {args.predict / predict_s:,.0f} quotes/s"
          f"  {n_rows:,} suggestions as store rows (the rules matched again)  peak {_peak_mb():,.0f} MB")
    if args.records:
        start = time.perf_counter()
        n_codings = sum(len(scored.codings) for scored in model.iter_score(iter([quotes])))
        print(f"iter_score: {time.perf_counter() - start:7.1f} s  {n_codings:,} Coding records"
              f"  peak {_peak_mb():,.0f} MB")

    start = time.perf_counter()
    RulesCoder(n_jobs=args.jobs).fit(codebook).predict(quotes)
    print(f"floor: rules on the same quotes  {time.perf_counter() - start:7.1f} s")
    print(f"train + predict: {train_s + predict_s:.1f} s")


if __name__ == "__main__":
    main()
