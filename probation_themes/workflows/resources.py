"""Finding the bundled codebook and sample corpora, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from probation_themes.errors import ProbationThemesError

PROBATION_CODEBOOK = "codebooks/probation_unification.yaml"
INSPECTORATE_QUOTES = "corpora/inspectorate_2021/quotes.csv"
INSPECTORATE_REPORT = "corpora/inspectorate_2021/report_extract.md"
SYNTHETIC_SURVEY = "corpora/synthetic/staff_survey.csv"


def bundled_path(relative: str) -> Path:
    """Path of a bundled file such as ``codebooks/probation_unification.yaml``.

    A wheel carries these files inside the package (``_bundled/``); an editable
    install reads them from the source checkout.
    """
    packaged = resources.files("probation_themes") / "_bundled" / relative
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / relative
    if checkout.is_file():
        return checkout
    raise ProbationThemesError(
        f"The bundled file {relative} is missing from this installation. Reinstall the package "
        "(pip install probation-themes) or run from a complete source checkout."
    )
