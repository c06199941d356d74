"""Single-choice short texts with few labels: the model's macro-F1 against the codebook's rules.

    python benchmarks/bench_single_choice.py                     # 5% labelled, the issue's check
    python benchmarks/bench_single_choice.py --labelled 2 --respondents 10000

Builds a single-choice set from the synthetic staff survey
(``corpora/synthetic/generate_survey.py``, generated in memory; nothing is written):
the answers composed from exactly one theme of the probation codebook and of at most
``--max-words`` words, so each answer has one code out of twelve. A share of them
(``--labelled``, in percent) is labelled and trains the model and a plain TF-IDF +
one-vs-rest logistic regression; the rest are scored. The twelve codes form one
single-choice group (exactly one applies), so every method's answer is one label: the
code it applies (the most probable one where it applies several, or none; the rules,
which have no probabilities, the first in codebook order). Prints accuracy and
macro-F1 over the labels for the rules alone, the model, the model with the rules
standing in for codes it could not train, and the plain baseline, and whether the
model's macro-F1 beats the rules' by at least ``--margin`` (0.05).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from probation_themes.codebook import load_codebook
from probation_themes.workflows.evaluate import GoldSet, evaluate

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
GENERATOR = ROOT / "corpora" / "synthetic" / "generate_survey.py"
GROUP = "theme"


def single_choice_set(respondents: int, seed: int, max_words: int) -> tuple[list[str], list[str]]:
    """Texts and their one code: the generated answers built from exactly one theme."""
    spec = importlib.util.spec_from_file_location("generate_survey", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows, key = module._survey(respondents, seed)
    text = {(r["Respondent ID"], q): r[q] for r in rows for q in module.QUESTIONS}
    pairs = [
        (text[(k["respondent_id"], k["question"])], k["themes"].strip())
        for k in key
        if k["themes"].strip() and "|" not in k["themes"]
    ]
    pairs = [(t, c) for t, c in pairs if len(t.split()) <= max_words]
    return [t for t, _ in pairs], [c for _, c in pairs]


def run(respondents: int = 6000, labelled: float = 5.0, seed: int = 2021, max_words: int = 30,
        topics: bool = True) -> dict:
    """The single-choice figures of every method, with ``labelled`` percent of the answers labelled."""
    book = load_codebook(CODEBOOK)
    texts, codes = single_choice_set(respondents, seed, max_words)
    ids = list(book.ids)
    labels = np.array([[int(c == code) for c in ids] for code in codes], dtype=np.int8)
    gold = GoldSet("synthetic single-choice", texts, ids, labels, "codes")
    rng = random.Random(seed)
    train = set(rng.sample(range(len(texts)), max(1, round(len(texts) * labelled / 100))))
    test = np.array([i not in train for i in range(len(texts))])
    group = SimpleNamespace(name=GROUP, codes=tuple(ids), exactly_one=True)
    result = evaluate(gold, book, test=test, sizes=["100%"], seed=seed, topics=topics, groups=[group])
    point = result.points[0]
    figures = {"answers": len(texts), "labelled": point.size, "scored": result.test_examples}
    for name, metrics in (("rules", result.rules), ("model", point.model), ("model + rules", point.all),
                          ("model, aids off", point.model_without_aids), ("TF-IDF + LR", point.baseline)):
        if metrics is not None:
            g = metrics.groups[GROUP]
            figures[name] = {"accuracy": g.accuracy.mean, "macro_f1": g.macro.mean}
    figures["codes_trained"] = sum(1 for n in point.trained_folds.values() if n)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=6000)
    parser.add_argument("--labelled", type=float, default=5.0, help="percent of the answers labelled (default 5)")
    parser.add_argument("--max-words", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--margin", type=float, default=0.05)
    parser.add_argument("--no-topics", action="store_true")
    args = parser.parse_args(argv)
    figures = run(args.respondents, args.labelled, args.seed, args.max_words, topics=not args.no_topics)
    print(f"Single-choice short texts: {figures['answers']:,} answers of at most {args.max_words} words, "
          f"one of 12 codes each; {figures['labelled']:,} labelled ({args.labelled:g}%), "
          f"{figures['scored']:,} scored; the model trained {figures['codes_trained']} of 12 codes.")
    print("method | accuracy | macro-F1")
    for name in ("rules", "model", "model + rules", "model, aids off", "TF-IDF + LR"):
        if name in figures:
            print(f"{name} | {figures[name]['accuracy']:.3f} | {figures[name]['macro_f1']:.3f}")
    gain = figures["model"]["macro_f1"] - figures["rules"]["macro_f1"]
    verdict = "meets" if gain >= args.margin else "misses"
    print(f"The model's macro-F1 is {gain:+.3f} over the rules': it {verdict} the {args.margin:.2f} target.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
