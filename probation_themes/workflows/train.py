"""Training labels for the model coder, assembled from a project's human codings."""

from __future__ import annotations

from probation_themes.codebook import Codebook
from probation_themes.errors import StoreError
from probation_themes.store import Project
from probation_themes.store.nonanswers import non_answer_ids
from probation_themes.store.project import QuoteRef

#: {quote_id: {code_id: 1 (applies) or 0 (does not)}} — what ModelCoder.fit learns from.
Labels = dict[str, dict[str, int]]

#: Prefix of a training unit that is a whole response (its quotes' texts joined), among label keys.
RESPONSE_UNIT = "response:"


def training_labels(
    project: Project, codebook: Codebook, *, coder: str | None = None, responses: bool = False
) -> Labels:
    """Collect what people decided about quotes, as labels the model can learn from.

    Two sources, for the codes of ``codebook`` only (decisions and codings of
    other codes are left out):

    - Review decisions: an accepted code is 1 and a rejected code is 0 for that
      quote; when a quote and code were decided more than once, the latest
      decision wins. Only the decided codes are labelled: a reviewer who accepted
      one code on a quote said nothing about the others.
    - With ``coder``, that coder's imported codings (``import-codings --coder``).
      A coder looked at whole units, so every codebook code they did not apply
      to a unit is 0 there. Quote-level codings label the quote itself.
      Response-level codings are carried to the response's quotes: codes the
      coder did not apply are 0 for every quote of the response (if the response
      lacks the code, so does each of its quotes); codes the coder applied are 1
      only when the response has exactly one quote, and are left unlabelled on
      the quotes of a longer response, since which quote carries the code is
      not known (labelling them all 1 would teach the model the wrong words).

    With ``responses``, a response-level coding of a response with several
    quotes is not narrowed to its quotes: the response becomes one training
    unit, keyed ``response:<response id>`` (:data:`RESPONSE_UNIT`), labelled
    with every codebook code (1 where the coder applied it), whose text is its
    quotes' texts joined (:func:`unit_texts`). The model learns what the coder
    saw, and suggests the codes on the quotes that carry their words.

    Where both sources label the same quote and code, the review decision wins:
    it is the researcher's own, later word.

    Args:
        project: the open project.
        codebook: the codebook whose codes are learned.
        coder: name of an imported coder to learn from as well, or None.

    Returns:
        ``{quote_id: {code_id: 1 or 0}}`` for quotes still in the project, sorted
        by quote id.

    Raises:
        StoreError: nothing was imported under ``coder``.
    """
    codes = list(codebook.ids)
    known = set(codes)
    labels: Labels = {}
    if coder is not None:
        labels = _coder_labels(project, coder, codes, responses)
    latest: dict[tuple[str, str], int] = {}
    for decision in project.decisions():  # oldest first, so later decisions overwrite
        if decision.code in known:
            latest[(decision.quote_id, decision.code)] = 1 if decision.decision == "accept" else 0
    for (quote_id, code_id), value in latest.items():
        labels.setdefault(quote_id, {})[code_id] = value
    # Decisions about quotes no longer in the project cannot be learned from, and non-answers
    # are never coded, so the model does not learn from them either.
    units = {k: v for k, v in labels.items() if k.startswith(RESPONSE_UNIT)}
    present = project.existing_quote_ids([k for k in labels if k not in units]) - non_answer_ids(project)
    return {q: labels[q] for q in sorted(present)} | dict(sorted(units.items()))


def unit_texts(project: Project, labels: Labels) -> list[QuoteRef]:
    """The texts of the training units of ``labels``: quotes, and whole responses (quotes joined)."""
    refs = project.quote_refs_for([k for k in labels if not k.startswith(RESPONSE_UNIT)])
    wanted = {k[len(RESPONSE_UNIT):] for k in labels if k.startswith(RESPONSE_UNIT)}
    if not wanted:
        return refs
    parts: dict[str, list[str]] = {}
    for batch in project.iter_quote_refs(substantive=True):
        for ref in batch:
            if ref.response_id in wanted:
                parts.setdefault(ref.response_id, []).append(ref.text)
    joined = [QuoteRef(RESPONSE_UNIT + r, r, " ".join(parts[r])) for r in sorted(parts)]
    return refs + joined


def _coder_labels(project: Project, coder: str, codes: list[str], responses: bool = False) -> Labels:
    imported = project.coder_codings(coder)
    if imported is None:
        names = ", ".join(project.coders()) or "none yet"
        raise StoreError(
            f"No codings were imported under the coder name {coder!r} (imported coders: {names}). "
            f"Import them with `probation-themes import-codings FILE --coder {coder}`, or name an "
            "imported coder with --train-coder.",
            path=project.path,
        )
    known = set(codes)
    applied: dict[str, set[str]] = {}
    for unit, code_id in imported.positives:
        if code_id in known:
            applied.setdefault(unit, set()).add(code_id)
    labels: Labels = {}
    if imported.level == "quote":
        for unit in imported.units:
            given = applied.get(unit, set())
            labels[unit] = {c: int(c in given) for c in codes}
        return labels
    quotes_of: dict[str, list[str]] = {}
    # A response's non-answer quotes carry none of its codes: the codes belong to the others.
    for batch in project.iter_quote_refs(substantive=True):
        for ref in batch:
            if ref.response_id in imported.units:
                quotes_of.setdefault(ref.response_id, []).append(ref.quote_id)
    for unit, quote_ids in quotes_of.items():
        given = applied.get(unit, set())
        single = len(quote_ids) == 1
        if responses and not single:
            labels[RESPONSE_UNIT + unit] = {c: int(c in given) for c in codes}
            continue
        for quote_id in quote_ids:
            labels[quote_id] = {c: int(c in given) for c in codes if single or c not in given}
    return labels

