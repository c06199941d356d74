"""``review``: the keyboard-driven review session; ``export audit``: the full decision log."""

from __future__ import annotations

import getpass
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.live import Live

from probation_themes.cli.commands_report import CodebookOption, MethodOption, export_app, write_output
from probation_themes.cli.common import DEFAULT_PROJECT, ProjectOption, SafeConsole, err, user_errors
from probation_themes.cli.main import _load_codebook_or_project, app
from probation_themes.cli.review_screen import ScreenState, code_colours, key_reader, render
from probation_themes.coding.model import THRESHOLD
from probation_themes.errors import ProbationThemesError, StoreError
from probation_themes.export.csv_tables import format_number
from probation_themes.export.safety import csv_text
from probation_themes.review import CodeChoice, ReviewSession, pick_codes
from probation_themes.store import Project
from probation_themes.store.working import parse_methods, working_coding
from probation_themes.store.review import audit_log, response_ids_of


class Order(str, Enum):
    file = "file"
    uncertain = "uncertain"
    random = "random"


class ReviewStatus(str, Enum):
    suggested = "suggested"
    all = "all"


QUIT_KEYS = {"q", "\x03", "\x04", "eof"}  # q, Ctrl-C, Ctrl-D, terminal closed
#: While a memo or a code is being typed, only a closed terminal ends the session: q is a
#: letter of the memo, and Ctrl-C or Ctrl-D cancel the prompt as Esc does (press again to quit).
CANCEL_KEYS = {"\x1b", "\x03", "\x04"}
BACKSPACE = {"\x7f", "\x08"}


class Keys:
    """What each key press does to the session and the screen (the front end's only logic)."""

    def __init__(self, session: ReviewSession) -> None:
        self.session = session
        self.state = ScreenState()

    def press(self, key: str) -> bool:
        """Act on one key; False means quit.

        While a prompt is open (a memo, a code to add) every key goes to it: ``q``
        is typed like any letter, and Esc, Ctrl-C or Ctrl-D cancel the prompt.
        Only with no prompt open do ``q``, Ctrl-C and Ctrl-D quit. A closed
        terminal always ends the session.
        """
        if key == "eof" or (key in QUIT_KEYS and not self.state.prompt):
            return False
        try:
            if self.state.prompt:
                self._typing(key)
            else:
                self._command(key)
        except ProbationThemesError as exc:  # e.g. a code outside --code: say so and carry on
            self.state = ScreenState(message=str(exc))
        return True

    def _command(self, key: str) -> None:
        s, st = self.session, self.state
        st.message = ""
        if st.help or key == "?":
            st.help = not st.help and key == "?"
            return
        if key == "u":
            undone = s.undo()
            st.message = f"Undid: {undone}." if undone else "Nothing left to undo in this session."
        elif key in ("b", "left"):
            if not s.back():
                st.message = "No earlier quote in this session."
        elif s.current is None:
            st.message = "Every quote of this review is done: u undoes, b goes back, q quits."
        elif key in ("a", "\r", "\n"):
            s.accept_all()
        elif key == "r":
            s.reject_all()
        elif key in ("s", "right"):
            s.skip()
        elif key.isdigit() and key != "0":
            row = s.current.numbered(int(key))
            if row is None:
                st.message = f"There is no code number {key} on this quote; + adds one."
            else:
                st.message = f"{s.toggle(row.code.id)}ed {row.code.label}"
        elif key == "+":
            st.prompt, st.buffer, st.matches, st.selected = "add", "", pick_codes("", s.codes), 0
        elif key == "m":
            st.prompt, st.buffer = "memo", s.current.memos.get("", "")
        elif key == "M":
            if s.current.rows:
                st.prompt = "choose-code"
            else:
                st.message = "This quote has no codes yet: m writes a memo on the whole quote."
        else:
            st.message = "Press ? for the keys."

    def _typing(self, key: str) -> None:
        s, st = self.session, self.state
        if key in CANCEL_KEYS:
            what = {"add": "No code added", "choose-code": "No memo written"}.get(st.prompt, "Memo not saved")
            self.state = ScreenState(message=f"Cancelled: {what.lower()}. Press q to quit, ? for the keys.")
        elif st.prompt == "choose-code":
            row = s.current.numbered(int(key)) if key.isdigit() else None
            if row is not None:
                st.prompt, st.prompt_code, st.buffer = "code-memo", row.code.id, s.current.memos.get(row.code.id, "")
        elif key in ("\r", "\n"):
            self._submit()
        elif key in BACKSPACE:
            st.buffer = st.buffer[:-1]
        elif key in ("up", "down") and st.matches:
            st.selected = (st.selected + (1 if key == "down" else -1)) % len(st.matches)
        elif len(key) == 1 and key.isprintable():
            st.buffer += key
        if st.prompt == "add" and key not in ("up", "down"):
            st.matches, st.selected = pick_codes(st.buffer, s.codes), 0

    def _submit(self) -> None:
        s, st = self.session, self.state
        if st.prompt == "add":
            if not st.matches:
                st.message = "No code matches what you typed; keep typing or press Esc."
                return
            code = st.matches[st.selected]
            s.decide(code.id, "accept")
            self.state = ScreenState(message=f"Added {code.label}.")
        else:
            code = st.prompt_code if st.prompt == "code-memo" else ""
            s.memo(st.buffer, code)
            self.state = ScreenState(message="Memo saved." if st.buffer.strip() else "Memo cleared.")


def run_screen(session: ReviewSession, console: Console) -> None:
    """Show the session full-screen and act on key presses until the coder quits."""
    keys = Keys(session)
    colours = code_colours(session.codes)

    def screen():
        return render(session.current, session.progress, keys.state, coder=session.coder, colours=colours,
                      console=console)

    with key_reader() as reader, Live(screen(), console=console, screen=True, auto_refresh=False,
                                      redirect_stdout=False, redirect_stderr=False) as live:
        size = console.size
        while True:
            pressed = reader.read(timeout=0.5)
            if not pressed:
                if console.size != size:  # the terminal was resized
                    size = console.size
                    live.update(screen(), refresh=True)
                continue
            for key in pressed:
                if not keys.press(key):
                    return
            live.update(screen(), refresh=True)


def _where(values: list[str]) -> dict[str, str]:
    where: dict[str, str] = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        if not sep or not key.strip() or not wanted.strip():
            raise StoreError(
                f"--where takes KEY=VALUE, for example --where region=London or --where org=CRC; got {value!r}."
            )
        where[key.strip()] = wanted.strip()
    return where


def default_coder() -> str:
    """The coder's name when --coder is not given: the login name of whoever runs the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


@app.command()
@user_errors
def review(
    code: Annotated[Optional[str], typer.Option("--code", help="Review one code only (its id).")] = None,
    order: Annotated[Order, typer.Option(
        "--order", help="file: ingest order; uncertain: suggestions nearest the decision threshold first; "
                        "random: shuffled with --seed.")] = Order.file,
    coder: Annotated[Optional[str], typer.Option(
        "--coder", envvar="PROBATION_THEMES_CODER",
        help="Name recorded with every decision. Default: $PROBATION_THEMES_CODER, else your login name.",
        show_default=False)] = None,
    status: Annotated[ReviewStatus, typer.Option(
        "--status", help="suggested: quotes with a suggestion; all: every quote, to add codes the machine missed.")]
        = ReviewStatus.suggested,
    where: Annotated[Optional[list[str]], typer.Option(
        "--where", help="Only quotes with this region, org, question or attribute value, e.g. region=London "
                        "(repeat to combine).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Shuffle of --order random.")] = 0,
    revisit: Annotated[bool, typer.Option(
        "--revisit", help="Also show the quotes you already finished, to check or change your decisions.")] = False,
    method: MethodOption = None,
    codebook: CodebookOption = None,
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Review suggestions one quote at a time, full-screen: accept, reject, add codes, write memos, undo.

    Every decision is saved the moment it is made; quit at any time and run the same
    command to carry on where you stopped. Press ? in the session for the keys. The
    suggestions shown are those of one method (--method; default: the latest `code`
    run's), the same working coding that reports count.
    """
    if os.name != "posix" or not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise StoreError(
            "review is a full-screen session and needs an interactive terminal (Linux, macOS or WSL) on both "
            "input and output; it was started with input or output redirected. Run it directly in a terminal "
            "window. To load codings made elsewhere, use `probation-themes import-codings FILE --coder NAME`."
        )
    name = (coder or default_coder()).strip()
    if not name:
        raise StoreError("No coder name: give one with --coder NAME (it is recorded with every decision).")
    with Project.open(project, create=False) as proj:
        proj.check_writable()  # before the session starts, not at the first key pressed
        book = _load_codebook_or_project(codebook, proj)
        codes = [CodeChoice(c.id, c.label, c.color) for c in book.codes]
        working = working_coding(proj, parse_methods(method))
        session = ReviewSession(proj, coder=name, codes=codes, code=code, order=order.value, scope=status.value,
                                where=_where(where or []), seed=seed, threshold=THRESHOLD,
                                revisit=revisit, methods=working.methods)
        shown = ", ".join(working.methods) or "no"
        runs = ", ".join(str(r.run_id) for r in working.runs)
        err.print(f"Reviewing the {shown} suggestions" + (f" (code run {runs})" if runs else "")
                  + ("; choose another method with --method." if working.chosen_by == "latest code run" else "."))
        before = session.progress
        if session.current is None:
            err.print(f"Nothing to review: {before.done} of {before.total} quotes in this selection are done by "
                      f"{name}. Try --revisit (to change earlier decisions), --status all (every quote), another "
                      "--code or --where, or another --coder.")
            return
        run_screen(session, SafeConsole(highlight=False))  # shows control characters, never runs them
        after = session.progress
    err.print(
        f"{after.done - before.done} quotes finished this session by {name}; {after.done} of {after.total} done. "
        f"Everything is saved in {project}; run the same command to continue."
    )


AUDIT_HEADER = (
    "time", "coder", "event", "quote_id", "response_id", "code", "undoes",
    "suggestion_method", "suggestion_confidence", "memo",
)


@export_app.command("audit")
@user_errors
def export_audit(
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write; - for standard output.", show_default=False)],
    project: ProjectOption = Path(DEFAULT_PROJECT),
) -> None:
    """Write the full decision log as CSV: every accept, reject, memo, finished quote and undo, who and when."""
    with Project.open(project, create=False) as proj:
        events = audit_log(proj)
        responses = response_ids_of(proj, (e.quote_id for e in events))
    rows = (
        (e.at.isoformat(), e.coder, e.event, e.quote_id, responses.get(e.quote_id, ""), e.code, e.undoes,
         e.suggestion_method, format_number(e.suggestion_confidence), e.memo)
        for e in events
    )
    where = write_output(output, csv_text(AUDIT_HEADER, rows), csv_file=True)
    err.print(f"Wrote {where}: {len(events):,} events.")
