"""spaCy reference points for benchmarking the rule coder: PhraseMatcher and the bare tokenizer."""

from __future__ import annotations

from collections.abc import Sequence

from probation_themes.codebook import Codebook


def _expanded_forms(codebook: Codebook) -> list[str]:
    # Imported here because rules.py re-exports this module's functions.
    from probation_themes.coding.rules import RulesCoder

    coder = RulesCoder(n_jobs=1).fit(codebook)
    forms = {f.key for fs in coder.forms_.values() for f in fs if not f.wildcard and f.tail is None}
    return sorted(forms)


def phrase_matcher_baseline(texts: Sequence[str], codebook: Codebook) -> int:
    """Count matches of the codebook's expanded (non-wildcard) forms with spaCy's PhraseMatcher.

    A reference point for benchmarks: the same surface forms matched the
    conventional spaCy way (tokenizer + ``PhraseMatcher(attr="LOWER")``).

    Returns:
        The number of matches found.
    """
    import spacy
    from spacy.matcher import PhraseMatcher

    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    forms = _expanded_forms(codebook)
    matcher.add("TERMS", [nlp.make_doc(f) for f in forms])
    return sum(len(matcher(doc)) for doc in nlp.tokenizer.pipe(texts, batch_size=1000))


def tokenizer_baseline(texts: Sequence[str]) -> int:
    """Count tokens with spaCy's blank English tokenizer: the floor for any spaCy-based coder.

    Returns:
        The number of tokens in all texts.
    """
    import spacy

    nlp = spacy.blank("en")
    return sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=1000))
