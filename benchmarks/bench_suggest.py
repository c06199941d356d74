"""Benchmark of `codebook suggest` on a large coded project (target: under 60 s for 1,000,000 quotes).

    python benchmarks/bench_suggest.py                 # 100,000 comments
    python benchmarks/bench_suggest.py --n 1000000 --codes workload,staffing

A corpus of comments is generated (nothing is committed), ingested and coded with the
bundled codebook's rules; then `codebook suggest` runs for each code given, each in a fresh
process, and its wall and CPU time are printed. Pass --project to reuse a coded project
(e.g. the one bench_core.py leaves with --workdir).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "codebooks" / "probation_unification.yaml"


def _core():
    spec = importlib.util.spec_from_file_location("bench_core", ROOT / "benchmarks" / "bench_core.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(workdir: Path, n: int, seed: int, jobs: int) -> Path:
    """A project of n generated comments coded with the bundled rules."""
    core = _core()
    csv_path = workdir / f"comments_{n}.csv"
    if not csv_path.exists():
        core.make_corpus(csv_path, n, seed)
    project = workdir / "suggest.db"
    if not project.exists():
        core.stage_ingest(csv_path, project, jobs)
        core.stage_code(csv_path, project, jobs)
    return project


def child(project: Path, code: str) -> None:
    from probation_themes.codebook import load_codebook
    from probation_themes.store import Project
    from probation_themes.workflows.suggest import suggest_vocabulary

    start, cpu = time.perf_counter(), time.process_time()
    with Project.open(project, create=False) as proj:
        report = suggest_vocabulary(proj, load_codebook(CODEBOOK), code)
    print(json.dumps({
        "code": code, "wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
        "quotes": report.quotes, "code_quotes": len(report.coded.quote_ids),
        "top": [(s.term, s.z, s.quotes, s.not_coded) for s in report.suggestions[:5]],
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--codes", default="workload,staffing,cultural_divide")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--project", type=Path, default=None, help="a coded project to use instead")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), args.child[1])
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        project = args.project or build(workdir, args.n, args.seed, args.jobs)
        for code in args.codes.split(","):
            done = subprocess.run([sys.executable, __file__, "--child", str(project), code],
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                raise SystemExit(done.stderr)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{code:26} {r['wall_s']:6.1f} s wall {r['cpu_s']:6.1f} s cpu  {r['quotes']:,} quotes, "
                  f"{r['code_quotes']:,} coded; top: {', '.join(t[0] for t in r['top'])}")
    print(f"target: under {60 * args.n / 1_000_000:.1f} s per code at this size (60 s for 1,000,000 quotes)")


if __name__ == "__main__":
    main()
