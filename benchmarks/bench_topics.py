"""Benchmark of the topic models: seeded LDA on N generated comments, next to scikit-learn.

    python benchmarks/bench_topics.py                 # 100,000 comments (the target: < 60 s, < 2 GB)
    python benchmarks/bench_topics.py --n 20000

Comments are generated (nothing is committed). Every stage runs in its own child
process, one after the other, so each one's wall time and peak memory are its own:

- ``topics.lda.v1`` — the whole seeded LDA fit from raw text: words, phrases,
  vocabulary, gensim LDA (one pass per 50,000 comments, at least one), every
  comment's topic shares, coherence and representative quotes. The target is this one.
- ``topics.nmf.v1`` — the same for seeded NMF.
- ``vocabulary`` — words, phrases and the word-count matrix alone, which the
  two scikit-learn references then read (their times exclude it):
- ``sklearn online LDA`` — ``LatentDirichletAllocation(learning_method="online")``,
  one pass, same number of topics, unseeded, on the same count matrix.
- ``sklearn NMF`` — ``NMF`` on the TF-IDF weights of the same matrix.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"
GENERATOR = ROOT / "corpora" / "synthetic" / "generate_survey.py"

#: Free topics besides the 12 seeded ones (the command's default).
K = 5

STAGES = ("topics.lda.v1", "topics.nmf.v1", "vocabulary", "sklearn online LDA", "sklearn NMF")


def _quotes(n: int, seed: int):
    from probation_themes.models import Quote

    spec = importlib.util.spec_from_file_location("generate_survey", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [
        Quote.model_construct(quote_id=cid, response_id=cid, text=text, source="bench", row=i + 2, region=region, org=org)
        for i, (cid, region, org, text) in enumerate(module.generate_comments(n, seed))
    ]


def _stage(name: str, n: int, seed: int, workdir: Path) -> dict:
    """Run one stage in this (child) process; returns what it measured."""
    from probation_themes.codebook import load_codebook
    from probation_themes.coding.topics import LdaTopicCoder, NmfTopicCoder, build_vocabulary
    from probation_themes.coding.topics_text import seed_terms

    book = load_codebook(CODEBOOK)
    quotes = _quotes(n, seed)
    matrix = workdir / "counts.npz"
    n_topics = len(seed_terms(book)) + K
    start = time.perf_counter()
    detail = ""
    if name in ("topics.lda.v1", "topics.nmf.v1"):
        cls = LdaTopicCoder if name == "topics.lda.v1" else NmfTopicCoder
        coder = cls(k=K, random_state=seed).fit(book, quotes)
        mean_cv = np.mean([t.c_v for t in coder.topics_])
        detail = f"{len(coder.topics_)} topics, vocabulary {coder.vocabulary_size_:,}, mean c_v {mean_cv:.2f}"
    elif name == "vocabulary":
        vocabulary = build_vocabulary(quotes, keep=seed_terms(book))
        sp.save_npz(matrix, vocabulary.counts)
        detail = f"{vocabulary.counts.shape[1]:,} terms, {vocabulary.counts.nnz:,} non-zero counts"
    else:
        from sklearn.decomposition import NMF, LatentDirichletAllocation
        from sklearn.feature_extraction.text import TfidfTransformer

        counts = sp.load_npz(matrix)
        start = time.perf_counter()  # the matrix is shared; time the model alone
        if name == "sklearn online LDA":
            model = LatentDirichletAllocation(
                n_components=n_topics, learning_method="online", batch_size=4000, max_iter=1,
                random_state=seed, n_jobs=1,
            ).fit(counts)
        else:
            x = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
            model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=400).fit(x)
        detail = f"{model.n_components} topics on the same {counts.shape[0]:,} x {counts.shape[1]:,} matrix"
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"stage": name, "items": n, "wall_s": round(wall, 2), "peak_mb": round(peak, 1), "detail": detail}


def _run_child(name: str, n: int, seed: int, workdir: Path) -> dict:
    """Run one stage in a fresh interpreter, so its peak memory is its own."""
    cmd = [sys.executable, __file__, "--stage", name, "--n", str(n), "--seed", str(seed), "--workdir", str(workdir)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {name!r} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(n: int, seed: int = 1, workdir: Path | None = None) -> list[dict]:
    """Run every stage on ``n`` generated comments, each in a fresh child process, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(workdir or tmp)
        return [_run_child(name, n, seed, where) for name in STAGES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="number of generated comments")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)  # run one stage (in a child)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(_stage(args.stage, args.n, args.seed, args.workdir)))
        return
    print(f"{args.n:,} generated comments, {K} free topics + one per seeded code; each stage in its own process")
    for r in run(args.n, args.seed):
        print(f"{r['stage']:<20} {r['wall_s']:>7.1f} s  peak {r['peak_mb']:>7,.0f} MB  {r['detail']}")


if __name__ == "__main__":
    main()
