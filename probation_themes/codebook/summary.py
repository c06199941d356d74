"""A per-code overview of a codebook, for `codebook show` and similar listings."""

from __future__ import annotations

from probation_themes.codebook.schema import Codebook


def codebook_summary(codebook: Codebook) -> list[dict]:
    """One row per code, in codebook order, counting its rules and seed words.

    Args:
        codebook: the codebook to summarise.

    Returns:
        A list of dicts with keys id, label, parent, n_any, n_all, n_near, n_none,
        n_regex and n_seeds.
    """
    rows = []
    for code in codebook.codes:
        rules = code.rules
        rows.append(
            {
                "id": code.id,
                "label": code.label,
                "parent": code.parent,
                "n_any": len(rules.any) if rules else 0,
                "n_all": len(rules.all) if rules else 0,
                "n_near": len(rules.near) if rules else 0,
                "n_none": len(rules.none) if rules else 0,
                "n_regex": len(rules.regex) if rules else 0,
                "n_seeds": len(code.seeds),
            }
        )
    return rows
