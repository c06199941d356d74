"""The demo: the bundled inspectorate quotes, coded with the bundled probation codebook."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from probation_themes.codebook import Codebook, load_codebook
from probation_themes.ingest import IngestOptions
from probation_themes.models import Coding, Quote
from probation_themes.store import Project
from probation_themes.workflows.code import CodeReport, code_project
from probation_themes.workflows.ingest import IngestReport, ingest_files
from probation_themes.workflows.resources import INSPECTORATE_QUOTES, PROBATION_CODEBOOK, bundled_path

#: The column of the inspectorate corpus that says under which theme the inspectorate put each quote.
GOLD_ATTRIBUTE = "theme"


@dataclass
class GoldAgreement:
    """How often the coding places a quote under the theme a human analyst gave it."""

    quotes: int
    placed: int
    per_theme: dict[str, tuple[int, int]] = field(default_factory=dict)  # theme -> (placed, quotes)
    codes_given: int = 0  # codes applied to the quotes that have a human theme

    @property
    def codes_per_quote(self) -> float:
        """Mean number of codes per quote: the human analyst gave exactly one."""
        return self.codes_given / self.quotes if self.quotes else 0.0

    @property
    def share(self) -> float:
        """Share of quotes whose human theme is among their codes."""
        return self.placed / self.quotes if self.quotes else 0.0


def gold_agreement(quotes: list[Quote], codings: list[Coding], attribute: str = GOLD_ATTRIBUTE) -> GoldAgreement:
    """Compare codings with a human theme stored as a quote attribute (e.g. the inspectorate's)."""
    codes_of: dict[str, set[str]] = {}
    for c in codings:
        if c.status != "rejected":
            codes_of.setdefault(c.quote_id, set()).add(c.code)
    totals: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    for q in quotes:
        theme = q.attributes.get(attribute)
        if not theme:
            continue
        totals[theme] += 1
        hits[theme] += theme in codes_of.get(q.quote_id, set())
    return GoldAgreement(
        quotes=sum(totals.values()),
        placed=sum(hits.values()),
        per_theme={t: (hits[t], totals[t]) for t in totals},
        codes_given=sum(len(codes_of.get(q.quote_id, ())) for q in quotes if q.attributes.get(attribute)),
    )


@dataclass
class DemoResult:
    """Everything the demo did, for the command line to show."""

    project: Path
    codebook: Codebook
    ingest: IngestReport
    code: CodeReport
    agreement: GoldAgreement


def run_demo(workdir: Path, *, n_jobs: int | None = 1) -> DemoResult:
    """Ingest the inspectorate's published quotes into a fresh project in ``workdir`` and code them."""
    workdir.mkdir(parents=True, exist_ok=True)
    project_path = workdir / "demo.db"
    for suffix in ("", "-wal", "-shm"):  # the demo's own project is rebuilt every time
        Path(f"{project_path}{suffix}").unlink(missing_ok=True)
    codebook = load_codebook(bundled_path(PROBATION_CODEBOOK))
    options = IngestOptions(
        text_cols=["text"], id_col="quote_id", region_col="region", org_col="org", attr_cols=[GOLD_ATTRIBUTE]
    )
    with Project.open(project_path) as project:
        ingest = ingest_files(project, [bundled_path(INSPECTORATE_QUOTES)], options)
        code = code_project(project, codebook, n_jobs=n_jobs)
        agreement = gold_agreement(project.quotes(), project.codings())
    return DemoResult(project_path, codebook, ingest, code, agreement)
