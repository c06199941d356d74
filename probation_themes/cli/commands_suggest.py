"""``probation-themes codebook suggest CODE``: vocabulary a code's rules miss, from the project's own text."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from probation_themes.cli.commands_codebook import codebook_app
from probation_themes.cli.common import DEFAULT_PROJECT, JsonOption, ProjectOption, err, out, print_json, user_errors
from probation_themes.cli.main import _load_codebook_or_project
from probation_themes.codebook.edit import add_rule_terms
from probation_themes.store import Project
from probation_themes.workflows.suggest import VocabularyReport, suggest_vocabulary

#: Characters of an example quote shown in the table.
EXAMPLE_WIDTH = 90


def _visible(text: str) -> str:
    """Text safe to print: control characters (terminal escapes among them) shown as code points."""
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cc" and c not in "\t" else c for c in text
    ).replace("\t", " ")


def snippet(text: str, start: int, end: int, width: int = EXAMPLE_WIDTH) -> str:
    """The words around ``text[start:end]``, at most about ``width`` characters, with … where cut."""
    if len(text) > width:
        lo = max(0, min(start - (width - (end - start)) // 2, len(text) - width))
        hi = min(len(text), lo + width)
        if lo > 0:
            lo = text.find(" ", lo, start) + 1 if " " in text[lo:start] else lo
        if hi < len(text):
            cut = text.rfind(" ", end, hi)
            hi = cut if cut > 0 else hi
        text = ("…" if lo > 0 else "") + text[lo:hi] + ("…" if hi < len(text) else "")
    return " ".join(_visible(text).split())


def _render(report: VocabularyReport) -> None:
    r, c = report.ranking, report.coded
    sampled = r.code_quotes_read < r.code_quotes or r.other_quotes_read < r.other_quotes
    title = (f"Terms the rules of {report.code} miss, most tied to its {len(c.quote_ids):,} quotes "
             f"(of {report.quotes:,})")
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("term")
    table.add_column("log-odds", justify="right")
    table.add_column("z", justify="right")
    table.add_column("quotes", justify="right")
    table.add_column("not yet coded", justify="right")
    table.add_column("examples (not yet coded first)")
    table.add_column("also a term of")
    for s in report.suggestions:
        examples = "\n".join(("· " if e.coded else "+ ") + snippet(e.text, e.start, e.end) for e in s.examples)
        table.add_row(Text(s.term), f"{s.log_odds:.2f}", f"{s.z:.1f}", f"{s.quotes:,}", f"{s.not_coded:,}", Text(examples),
                      ", ".join(s.other_codes))
    out.print(table)
    sources = f"{c.from_rules:,} rule suggestions, {c.accepted:,} accepted, {c.imported:,} imported"
    if c.rejected:
        sources += f", {c.rejected:,} rejected (left out)"
    out.print(
        f"The code's quotes: {sources}. log-odds: how much more the code's quotes use the term than the others, "
        "with an informative Dirichlet prior (Monroe et al. 2008), largest first; z: its z-score, above 1.96 "
        "when over-represented beyond chance (only those are shown). quotes: quotes the term "
        "matches as a rule term would; not yet coded: of those, quotes the code does not have (+ in the examples)."
        + (f" Ranked on a fixed sample of {r.code_quotes_read:,} of the code's quotes and {r.other_quotes_read:,} "
           "others; the counts are over every quote." if sampled else ""),
        highlight=False,
    )


@codebook_app.command("suggest")
@user_errors
def suggest(
    code: Annotated[str, typer.Argument(help="Id of the code to suggest terms for.", show_default=False)],
    codebook: Annotated[
        Optional[Path],
        typer.Option("--codebook", "-c", help="Codebook YAML file (default: the one last used to code; "
                     "required with --add, which writes into it).", show_default=False),
    ] = None,
    add: Annotated[
        Optional[list[str]],
        typer.Option("--add", help="Add this term to the code's `rules: any:` in the codebook file (repeatable); "
                     "comments and layout are kept and the version is bumped.", show_default=False),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Most terms to show.")] = 20,
    min_quotes: Annotated[
        int, typer.Option("--min-quotes", min=1, help="Least number of the code's quotes a term must occur in.")
    ] = 3,
    project: ProjectOption = Path(DEFAULT_PROJECT),
    as_json: JsonOption = False,
) -> None:
    """Suggest words and phrases a code's rules miss, learned from the quotes the code already has.

    The code's quotes are its rule suggestions, accepted decisions and imported codings
    (less rejected ones). Every other word and two-word phrase of the project is ranked
    by how strongly it marks those quotes out (log-odds with an informative Dirichlet
    prior, Monroe et al. 2008, among terms over-represented beyond chance); terms the code's rules already match are left
    out. Each comes with the quotes it matches, how many the code does not have yet,
    and two examples. Read the examples before adding a term: a word common in the
    code's quotes is not always about the code. Then add the ones you choose with
    --add TERM (repeat it) and run `code` again.
    """
    if add and codebook is None:
        err.print("[bold red]Error:[/] --add writes into a codebook file: give it with --codebook FILE.")
        raise typer.Exit(2)
    if add:
        result = add_rule_terms(codebook, code, add)
        if as_json:
            print_json({"codebook": str(codebook), "code": code, "added": result.added, "already": result.already,
                        "version": result.version})
            return
        if result.added:
            out.print(f"Added to {code} in {codebook}: {', '.join(result.added)}; version now {result.version}. "
                      f"Run `probation-themes code --codebook {codebook}` to code with them.", highlight=False)
        if result.already:
            err.print(f"Already among the terms of {code}, not added again: {', '.join(result.already)}.")
        return
    with Project.open(project, create=False) as proj:
        book = _load_codebook_or_project(codebook, proj)
        report = suggest_vocabulary(proj, book, code, top=top, min_quotes=min_quotes)
    if as_json:
        print_json({
            "code": report.code, "label": report.label, "project_quotes": report.quotes,
            "code_quotes": len(report.coded.quote_ids), "from_rules": report.coded.from_rules,
            "accepted": report.coded.accepted, "imported": report.coded.imported, "rejected": report.coded.rejected,
            "ranked_on": {"code_quotes": report.ranking.code_quotes_read,
                          "other_quotes": report.ranking.other_quotes_read},
            "suggestions": [
                {"term": s.term, "z": s.z, "log_odds": s.log_odds, "quotes": s.quotes, "not_coded": s.not_coded,
                 "other_codes": s.other_codes,
                 "examples": [{"quote_id": e.quote_id, "text": e.text, "coded": e.coded, "start": e.start,
                               "end": e.end} for e in s.examples]}
                for s in report.suggestions
            ],
        })
        return
    if not report.suggestions:
        out.print(
            f"No term stands out: no word or phrase outside the rules of {code} occurs in at least {min_quotes} of its "
            f"{len(report.coded.quote_ids):,} quotes and clearly more often than in the other quotes. Code more "
            "quotes with it (review, import-codings), or lower --min-quotes.", highlight=False,
        )
        return
    _render(report)
    example = report.suggestions[0].term
    if codebook is not None:
        err.print(f"Add the terms you choose with: probation-themes codebook suggest {code} --codebook {codebook} "
                  f"--add \"{example}\" (repeat --add for more)", highlight=False, markup=False)
    else:
        err.print("Add the terms you choose with --add TERM (repeat it) and --codebook naming the codebook's YAML "
                  "file.", highlight=False, markup=False)
