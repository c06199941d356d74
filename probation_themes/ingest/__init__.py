"""Read survey exports and report text into quotes.

Pure functions from files to :class:`~probation_themes.models.IngestResult`
(``read_file``), or to batches of quotes and rejects (``open_file``): no
database, no printing. Every input row becomes quotes or a reject with a reason.
"""

from probation_themes.ingest.normalise import REGIONS, normalise_org, normalise_region
from probation_themes.ingest.options import IngestOptions
from probation_themes.ingest.quotes import ExtractedQuote, extract_quotes
from probation_themes.ingest.reader import SUPPORTED, open_file, read_file

__all__ = [
    "REGIONS",
    "SUPPORTED",
    "ExtractedQuote",
    "IngestOptions",
    "extract_quotes",
    "normalise_org",
    "normalise_region",
    "open_file",
    "read_file",
]
