"""Suggest vocabulary for a code from the project's own text (``codebook suggest``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from probation_themes.codebook import Codebook
from probation_themes.coding.suggest import Ranking, Suggestion, count_suggestions, pairs, rank_candidates
from probation_themes.coding.terms import TermIndex
from probation_themes.errors import CodebookError, CoderError, StoreError
from probation_themes.store import Project
from probation_themes.store.coded import CodedQuotes, coded_quotes


@dataclass
class VocabularyReport:
    """Suggested terms for one code, and what they were learned from."""

    code: str
    label: str
    quotes: int  # quotes in the project
    coded: CodedQuotes
    ranking: Ranking

    @property
    def suggestions(self) -> list[Suggestion]:
        """The suggestions, strongest first."""
        return self.ranking.suggestions


def _rule_terms(codebook: Codebook, code_id: str) -> list[str]:
    rules = codebook.get(code_id).rules
    if rules is None:
        return []
    return list(dict.fromkeys([*rules.any, *rules.all, *(t for a, b, _ in rules.near for t in (a, b))]))


def suggest_vocabulary(
    project: Project, codebook: Codebook, code_id: str, *, top: int = 20, min_quotes: int = 3
) -> VocabularyReport:
    """Rank the words and phrases the code's rules miss but its quotes use (see :mod:`coding.suggest`).

    The code's quotes are its rule suggestions, accepted or added decisions and
    imported codings, less the quotes a coder rejected it for (see
    :func:`probation_themes.store.coded.coded_quotes`).

    Raises:
        CodebookError: the codebook has no such code.
        StoreError: the project has no quotes.
        CoderError: the code has no quotes yet (the message says how to give it
            some), or every quote has it (nothing to compare with); or a
            parameter is out of range.
    """
    if code_id not in codebook.ids:
        close = difflib.get_close_matches(code_id, codebook.ids, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        raise CodebookError(
            f"The codebook {codebook.name!r} has no code {code_id!r}. {hint}Its codes are: "
            + ", ".join(codebook.ids) + ".",
            code_id=code_id,
        )
    if top < 1 or min_quotes < 1:
        raise CoderError(f"top={top} and min_quotes={min_quotes} must both be 1 or more.")
    n_quotes = project.count_quotes()
    if not n_quotes:
        raise StoreError(
            f"The project {project.path} has no quotes. Ingest a file first (`probation-themes ingest FILE`).",
            path=project.path,
        )
    coded = coded_quotes(project, code_id)
    if not coded.quote_ids:
        rejected = f" (a coder rejected it for the {coded.rejected:,} quotes its rules found)" if coded.rejected else ""
        raise CoderError(
            f"The code {code_id!r} has no coded quotes in {project.path} yet{rejected}, so there is nothing to learn "
            "its vocabulary from. Give it some first: run `probation-themes code --codebook FILE` so its rules "
            "find quotes (write a few terms from its definition under `rules: any:` if it has none), add it to "
            "quotes in `probation-themes review --status all`, or import a coder's codings with "
            "`probation-themes import-codings FILE --coder NAME`; then ask again.",
            code_id=code_id,
        )
    if len(coded.quote_ids) >= n_quotes:
        raise CoderError(
            f"Every quote in {project.path} has the code {code_id!r}, so no word can mark its quotes out from the "
            "others. Review its suggestions (`probation-themes review --code " + code_id + "`) and reject the "
            "quotes that do not belong, then ask again.",
            code_id=code_id,
        )
    terms = _rule_terms(codebook, code_id)
    covered = TermIndex(terms) if terms else None
    ranking = rank_candidates(
        pairs(project.iter_quote_refs()), coded.quote_ids, covered=covered, min_quotes=min_quotes, top=top,
        n_quotes=n_quotes,
    )
    count_suggestions(ranking.suggestions, pairs(project.iter_quote_refs()), coded.quote_ids)
    for other in codebook.ids:
        other_terms = _rule_terms(codebook, other) if other != code_id and ranking.suggestions else []
        if other_terms:
            index = TermIndex(other_terms)
            for s in ranking.suggestions:
                if index.find(s.term):
                    s.other_codes.append(other)
    return VocabularyReport(code_id, codebook.get(code_id).label, n_quotes, coded, ranking)
