"""Turn a header and raw records into quotes and rejects, accounting for every row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from probation_themes.errors import IngestError
from probation_themes.ingest.clean import clean_cell, strip_controls
from probation_themes.ingest.columns import default_text_column, find_column, unique_names
from probation_themes.ingest.normalise import normalise_org, normalise_region
from probation_themes.ingest.options import IngestOptions
from probation_themes.ingest.passages import split_passages
from probation_themes.ingest.quotes import ExtractedQuote, extract_quotes, is_known_org, is_known_region
from probation_themes.ingest.survey_exports import SurveyHeader, find_question, is_metadata, survey_header
from probation_themes.ingest.tables import Record
from probation_themes.models import IngestResult, Quote, Reject

def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"


@dataclass(frozen=True)
class _Layout:
    """Where each option's column sits in the records."""

    columns: list[str]
    text: list[int]
    id: int | None
    region: int | None
    org: int | None
    attrs: list[int]
    #: A survey platform's question text per column (Qualtrics, SurveyMonkey), else None.
    questions: list[str | None] | None = None
    survey_export: str | None = None


def _layout(columns: list[str], options: IngestOptions, path: Path, survey: SurveyHeader | None = None) -> _Layout:
    questions = survey.questions if survey is not None else None

    def find(name: str, option: str) -> int:
        # A survey platform's column may be named by its question text as well as its name.
        if questions is not None and name not in columns:
            index = find_question(questions, name)
            if index is not None:
                return index
        return find_column(columns, name, option, path)

    def one(name: str | None, option: str) -> int | None:
        return None if name is None else find(name, option)

    if options.text_cols:
        text = [find(name, "--text-col") for name in options.text_cols]
        for later, index in enumerate(text):
            if index in text[:later]:
                first = options.text_cols[text.index(index)]
                raise IngestError(
                    f"--text-col names the column '{columns[index]}' twice ('{first}' and "
                    f"'{options.text_cols[later]}'), which would make every answer in it two quotes. "
                    "Give each answer column once.",
                    path=path,
                    column=columns[index],
                )
    else:
        try:
            text = [default_text_column(columns, path)]
        except IngestError as exc:
            if survey is None:
                raise
            asked = [f"{columns[i]} ({q!r})" for i, q in enumerate(questions or [])
                     if q and q != columns[i] and not is_metadata(columns[i])]
            raise IngestError(
                f"{exc.message} This is a {survey.platform} export; its columns and questions are: "
                + "; ".join(asked[:12]) + ("; …" if len(asked) > 12 else "")
                + ". --text-col takes a column name or a question's text.",
                path=path,
            ) from None
    _no_hidden_copies(columns, text, path)
    return _Layout(
        columns=columns,
        text=text,
        id=one(options.id_col, "--id-col"),
        region=one(options.region_col, "--region-col"),
        org=one(options.org_col, "--org-col"),
        attrs=[find(name, "--attr-col") for name in options.attr_cols],
        questions=questions,
        survey_export=survey.describe() if survey is not None else None,
    )


def _no_hidden_copies(columns: list[str], text: list[int], path: Path) -> None:
    """Refuse an answer column whose name the header repeats, when the copies would be left out unread.

    The header ``id,answer,answer`` is read as ``answer`` and ``answer.2``; taking only the first
    would drop every answer of the second without a word.
    """
    for index in text:
        name = columns[index]
        copies = [c for i, c in enumerate(columns) if i not in text and c.startswith(f"{name}.")
                  and c[len(name) + 1:].isdigit()]
        if copies:
            given = " ".join(f"--text-col '{c}'" for c in [name, *copies])
            raise IngestError(
                f"The header of {path.name} names the answer column '{name}' {len(copies) + 1} times (read as "
                f"{_quoted([name, *copies])}), so answers would be left out unread. Give each column that holds "
                f"answers ({given}), or rename the columns in the file so each name is used once.",
                path=path,
                column=name,
            )


def _quoted(names: list[str]) -> str:
    shown = [f"'{n}'" for n in names[:6]]
    return ", ".join(shown) + (f" and {len(names) - 6:,} more" if len(names) > 6 else "")


def _row_key(cells: list[str]) -> tuple[str, ...]:
    """A row as compared with the header: each cell trimmed and case-folded, blank cells at the end dropped."""
    key = [cell.replace("\ufeff", "").strip().casefold() for cell in cells]
    while key and not key[-1]:
        key.pop()
    return tuple(key)


class _Builder:
    def __init__(
        self,
        source: str,
        stem: str,
        layout: _Layout,
        options: IngestOptions,
        document: bool,
        controls_stripped: bool,
        markdown: bool = False,
        header: list[str] | None = None,
    ):
        self.source = source
        self._header_key = _row_key(header) if header else None
        self._controls_stripped = controls_stripped
        self.stem = stem
        self.layout = layout
        self.split = options.split
        self.document = document
        self.markdown = markdown
        self.quotes: list[Quote] = []
        self.rejects: list[Reject] = []
        self.rows_read = 0
        self.responses = 0
        self.repaired = 0
        self.unknown_regions: Counter[str] = Counter()
        self.unknown_orgs: Counter[str] = Counter()
        self._first_row_of_id: dict[str, int] = {}
        self._clean_cache: dict[str, tuple[str, bool]] = {}
        self._width = len(layout.columns)
        self._first_text = min(layout.text)

    def reject(self, row: int, reason: str, detail: str, raw: str | None) -> None:
        self.rejects.append(Reject(source=self.source, row=row, reason=reason, detail=detail, raw=raw))

    def _clean(self, value: str) -> str:
        if not self._controls_stripped:
            value = strip_controls(value)
        value, fixed = clean_cell(value)
        self.repaired += fixed
        return value

    def _shape_problem(self, cells: list[str], row: int) -> str | None:
        count, width = len(cells), self._width
        if count > width and any(cell.strip() for cell in cells[width:]):
            return (
                f"row {row} has {_cells(count)} but the header has {width} columns; an answer may "
                "contain an unquoted delimiter, or the row has values beyond the last column"
            )
        if count <= self._first_text:
            # Missing trailing cells are read as empty (spreadsheets leave them out),
            # but not when they would be every answer: that row has been cut short,
            # usually by a line break inside an unquoted answer.
            which = "answer column is" if len(self.layout.text) == 1 else "answer columns are"
            return (
                f"row {row} has {_cells(count)} but the header has {width} columns, so its {which} "
                "missing; a line break inside an unquoted answer may have split the row"
            )
        return None

    def _response_id(self, cells: list[str], row: int, raw: str | None) -> str | None:
        if self.document:
            return self.stem
        if self.layout.id is None:
            return f"{self.stem}:{row}"
        name = self.layout.columns[self.layout.id]
        response_id = cells[self.layout.id].replace("\ufeff", "").strip()  # a BOM of files joined together
        if not response_id:
            self.reject(row, "missing_id", f"row {row} has no value in the id column '{name}'", raw)
            return None
        first = self._first_row_of_id.setdefault(response_id, row)
        if first != row:
            detail = f"id '{response_id}' in column '{name}' was already used by row {first}"
            self.reject(row, "duplicate_id", detail, raw)
            return None
        return response_id

    def _optional(self, cells: list[str], index: int | None) -> str | None:
        if index is None:
            return None
        value = cells[index]
        if not value or value.isspace():
            return None
        # Region, organisation and attribute columns repeat a few values many
        # times, so each distinct value is cleaned once.
        cached = self._clean_cache.get(value)
        if cached is None:
            if not self._controls_stripped:
                value = strip_controls(value)
            cached = self._clean_cache[cells[index]] = clean_cell(value)
        self.repaired += cached[1]
        return cached[0]

    def add(self, row: int, cells: list[str] | None, raw: str | None, problem: str | None) -> None:
        if cells is None:
            self.rows_read += 1
            self.reject(row, "unreadable_row", problem or f"row {row} could not be read", raw)
            return
        if not any(cell and not cell.isspace() for cell in cells):
            return  # a blank line or a row of empty cells holds no response
        self.rows_read += 1
        if self._header_key is not None and _row_key(cells) == self._header_key:
            # Files pasted together, or an export that repeats its header on each page:
            # the header's words are not an answer.
            self.reject(row, "repeated_header", f"row {row} repeats the header row (the column names)", raw)
            return
        if len(cells) != self._width:
            problem = self._shape_problem(cells, row)
            if problem:
                self.reject(row, "unreadable_row", problem, raw)
                return
            cells = cells[: self._width] + [""] * (self._width - len(cells))
        response_id = self._response_id(cells, row, raw)
        if response_id is None:
            return
        columns = self.layout.columns
        questions = self.layout.questions
        answers = []
        for number, index in enumerate(self.layout.text, start=1):
            value = cells[index]
            if value and not value.isspace():
                question = None if self.document else (questions[index] if questions else None) or columns[index]
                answers.append((number, question, self._clean(value)))
        if not answers:
            names = ", ".join(f"'{columns[i]}'" for i in self.layout.text)
            if len(self.layout.text) == 1:
                detail = f"the answer column {names} is blank"
            else:
                detail = f"the answer columns {names} are blank"
            self.reject(row, "empty_answer", detail, raw)
            return
        region, region_known = normalise_region(self._optional(cells, self.layout.region))
        org, org_known = normalise_org(self._optional(cells, self.layout.org))
        attributes = {columns[i]: (self._optional(cells, i) or "").strip() for i in self.layout.attrs}
        before = len(self.quotes)
        for number, question, answer in answers:
            self._add_answer(response_id, row, number, question, answer, region, org, attributes)
        if len(self.quotes) == before:
            if self.split == "quote":
                reason, detail = "no_quotes_found", (
                    "the text has no quotation followed by an attribution such as (Region, CRC)"
                )
            else:
                holder = "document" if self.document else "answer"
                what = "Markdown headings and attributions" if self.markdown else "attributions"
                reason = "empty_answer"
                detail = f"the {holder} holds only {what} such as (Region, CRC), no text to quote"
            self.reject(row, reason, detail, raw)
            return
        self.responses += 1
        if region is not None and not region_known:
            self.unknown_regions[region] += 1
        if org is not None and not org_known:
            self.unknown_orgs[org] += 1

    def take(self) -> tuple[list[Quote], list[Reject]]:
        """The quotes and rejects made since the last call, handed over and forgotten."""
        taken = self.quotes, self.rejects
        self.quotes, self.rejects = [], []
        return taken

    def _count_unknown(self, quotation: ExtractedQuote) -> None:
        if quotation.region is not None and not is_known_region(quotation.region):
            self.unknown_regions[quotation.region] += 1
        if quotation.org is not None and not is_known_org(quotation.org):
            self.unknown_orgs[quotation.org] += 1

    def _add_answer(
        self,
        response_id: str,
        row: int,
        number: int,
        question: str | None,
        answer: str,
        region: str | None,
        org: str | None,
        attributes: dict[str, str],
    ) -> None:
        """Turn one answer into quotes: its attributed quotations, or its passages."""
        if self.split == "quote":
            spans = [(found.start, found.end, found) for found in extract_quotes(answer)]
        else:
            spans = [(p.start, p.end, p.quotation) for p in split_passages(answer, self.split, self.markdown)]
        counted: set[int] = set()
        for position, (start, end, quotation) in enumerate(spans):
            if quotation is not None and quotation.start not in counted:
                counted.add(quotation.start)  # a quotation of several sentences is one attribution
                self._count_unknown(quotation)
            self.quotes.append(
                Quote(
                    quote_id=f"{response_id}:{number}.{position + 1}",
                    response_id=response_id,
                    text=answer[start:end],
                    source=self.source,
                    row=row,
                    question=question,
                    position=position,
                    start=start,
                    end=end,
                    region=quotation.region if quotation and quotation.region is not None else region,
                    org=quotation.org if quotation and quotation.org is not None else org,
                    attributes=attributes,
                )
            )

    def summary(self, encoding: str | None, columns: list[str] | None = None) -> FileSummary:
        return FileSummary(
            source=self.source,
            rows_read=self.rows_read,
            responses=self.responses,
            columns=self.layout.columns if columns is None else columns,
            encoding=encoding,
            repaired=self.repaired,
            unknown_regions=dict(self.unknown_regions.most_common()),
            unknown_orgs=dict(self.unknown_orgs.most_common()),
            survey_export=self.layout.survey_export,
        )


@dataclass
class FileSummary:
    """What reading one file noticed, apart from its quotes and rejects."""

    source: str
    rows_read: int = 0
    #: Rows that produced at least one quote.
    responses: int = 0
    columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    repaired: int = 0
    unknown_regions: dict[str, int] = field(default_factory=dict)
    unknown_orgs: dict[str, int] = field(default_factory=dict)
    #: What a survey platform's export header rows were read as (Qualtrics, SurveyMonkey).
    survey_export: str | None = None


#: Quotes and rejects held at most at once while a file is read in batches.
BATCH_ROWS = 20_000


class FileReading:
    """One file being read: iterate it for ``(quotes, rejects)`` batches, in row order.

    A batch holds about ``batch_size`` quotes and rejects (all the quotes of a
    row are always in the same batch), so a file of any length is read in
    bounded memory. Once iterated to the end, :attr:`summary` says what was
    noticed (rows read, encoding, repairs, unknown regions); :meth:`collect`
    reads everything into one :class:`~probation_themes.models.IngestResult`.
    A file can be iterated once.
    """

    def __init__(
        self,
        builder: _Builder | None,
        records: Iterable[Record],
        encoding: str | None,
        *,
        source: str,
        batch_size: int = BATCH_ROWS,
        close: Callable[[], None] | None = None,
        finish: Callable[[_Builder], None] | None = None,
        columns: list[str] | None = None,
    ) -> None:
        self.source = source
        self._builder = builder
        self._records = records
        self._encoding = encoding
        self._batch_size = batch_size
        self._close = close
        self._finish = finish
        self._columns = columns
        self._summary: FileSummary | None = None

    def __iter__(self) -> Iterator[tuple[list[Quote], list[Reject]]]:
        try:
            builder = self._builder
            if builder is None:  # a file with no header: nothing to read
                self._summary = FileSummary(source=self.source, encoding=self._encoding)
                return
            size = self._batch_size
            for record in self._records:
                builder.add(*record)
                if len(builder.quotes) + len(builder.rejects) >= size:
                    yield builder.take()
            if self._finish is not None:
                self._finish(builder)
            if builder.quotes or builder.rejects:
                yield builder.take()
            self._summary = builder.summary(self._encoding, self._columns)
        finally:
            self.close()

    def close(self) -> None:
        """Let go of the file (an XLSX workbook stays open until read or closed)."""
        if self._close is not None:
            close, self._close = self._close, None
            close()

    @property
    def summary(self) -> FileSummary:
        """What was noticed; available once every batch has been read."""
        if self._summary is None:
            raise RuntimeError(f"{self.source} has not been read to the end yet")
        return self._summary

    def collect(self) -> IngestResult:
        """Read the whole file into one result (for files that fit in memory)."""
        quotes: list[Quote] = []
        rejects: list[Reject] = []
        for batch_quotes, batch_rejects in self:
            quotes.extend(batch_quotes)
            rejects.extend(batch_rejects)
        summary = self.summary
        return IngestResult(
            source=summary.source,
            quotes=quotes,
            rejects=rejects,
            rows_read=summary.rows_read,
            columns=summary.columns,
            encoding=summary.encoding,
            repaired=summary.repaired,
            unknown_regions=summary.unknown_regions,
            unknown_orgs=summary.unknown_orgs,
        )


def stream_table(
    path: Path,
    header: list[str],
    records: Iterable[Record],
    options: IngestOptions,
    encoding: str | None,
    controls_stripped: bool = False,
    *,
    batch_size: int = BATCH_ROWS,
    close: Callable[[], None] | None = None,
) -> FileReading:
    """Read the records of a table into quotes and rejects, batch by batch.

    ``controls_stripped`` says the whole text was already cleaned of control
    characters, which saves checking each cell again. The columns named in
    ``options`` are found here, so a missing column is reported before any row
    is read.
    """
    survey, records = survey_header(header, records)
    names = survey.names if survey is not None else header
    columns = unique_names([clean_cell(strip_controls(name))[0] for name in names])
    if not columns:
        return FileReading(None, (), encoding, source=path.name, close=close)
    if survey is not None:
        survey = SurveyHeader(survey.platform, columns,
                              [clean_cell(strip_controls(q))[0] if q else None for q in survey.questions],
                              survey.header_rows)
    try:
        layout = _layout(columns, options, path, survey)
    except BaseException:
        if close is not None:
            close()
        raise
    builder = _Builder(
        path.name, path.stem, layout, options, document=False, controls_stripped=controls_stripped, header=header
    )
    return FileReading(builder, records, encoding, source=path.name, batch_size=batch_size, close=close)


def _blank_document(builder: _Builder) -> None:
    if builder.rows_read == 0:
        # A document of nothing but spaces is still a file the user gave us: account for it.
        builder.rows_read = 1
        builder.reject(1, "empty_answer", "the document holds only blank space", None)


def stream_document(path: Path, text: str, options: IngestOptions, encoding: str | None) -> FileReading:
    """Read a whole document as one response (row 1, response id = file stem)."""
    layout = _Layout(columns=["text"], text=[0], id=None, region=None, org=None, attrs=[])
    builder = _Builder(
        path.name,
        path.stem,
        layout,
        options,
        document=True,
        controls_stripped=True,
        markdown=path.suffix.lower() == ".md",
    )
    # A document has no columns; "text" above is only how the builder addresses it.
    return FileReading(
        builder, [(1, [text], None, None)], encoding, source=path.name, finish=_blank_document, columns=[]
    )
