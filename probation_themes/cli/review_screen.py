"""The review screen: drawing one quote with rich, and reading single key presses from the terminal."""

from __future__ import annotations

import codecs
import os
import re
import select
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from probation_themes.cli.terminal import visible
from probation_themes.review import CodeChoice, Item, Progress

#: Colours for codes whose codebook entry has none (a colour-blind-safe qualitative palette).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")

KEYS = (
    ("a / Enter", "accept every open suggestion and go to the next quote"),
    ("r", "reject every open suggestion and go to the next quote"),
    ("1-9", "toggle that code (open or accepted → rejected, rejected → accepted)"),
    ("+", "add a code: type part of its label or id, Enter picks the highlighted one"),
    ("m", "write a memo on the quote (empty text clears it)"),
    ("M", "write a memo on one code: press its number, then type"),
    ("s / →", "skip: leave the quote for another session"),
    ("b / ←", "back to the quote shown before"),
    ("u", "undo the last step (repeat to undo more)"),
    ("?", "show or hide this help"),
    ("Esc", "cancel the memo or code being typed (Ctrl-C and Ctrl-D cancel it too)"),
    ("q / Ctrl-C / Ctrl-D", "quit when nothing is being typed; every decision is already saved"),
)
KEY_LINE = "a accept all · r reject all · 1-9 toggle · + add · m memo · s skip · b back · u undo · ? help · q quit"
MARKS = {"open": ("·", "dim"), "accept": ("✓", "bold green"), "reject": ("✗", "bold red")}


def code_colours(codes: Sequence[CodeChoice]) -> dict[str, str]:
    """Each code's colour: its codebook colour, or the next one of the palette."""
    return {c.id: c.color or PALETTE[i % len(PALETTE)] for i, c in enumerate(codes)}


@dataclass
class ScreenState:
    """What the screen shows besides the quote: a message, an open text prompt, the help."""

    message: str = ""
    prompt: str | None = None  # "memo", "choose-code", "code-memo" or "add"
    prompt_code: str = ""
    buffer: str = ""
    matches: list[CodeChoice] = field(default_factory=list)
    selected: int = 0
    help: bool = False


def quote_text(item: Item, colours: dict[str, str]) -> Text:
    """The quote with each code's evidence underlined in that code's colour."""
    text = Text(visible(item.quote.text))
    for row in item.rows:
        if row.suggestion is None or row.state == "reject":
            continue
        style = Style(color=colours.get(row.code.id), bold=True, underline=True)
        for e in row.suggestion.evidence:
            if e.start is not None and e.end is not None and 0 <= e.start < e.end <= len(item.quote.text):
                text.stylize(style, e.start, e.end)
    return text


def attribution(item: Item) -> str:
    """Region, organisation, other attributes and question of the quote, as one line."""
    q = item.quote
    parts = [q.region or "region not given", q.org or "organisation not given"]
    parts += [f"{k}: {v}" for k, v in sorted(q.attributes.items())]
    if q.question:
        parts.append(f"question: {q.question}")
    return visible(" · ".join(parts))


def _codes_table(item: Item, colours: dict[str, str]) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column(justify="right", no_wrap=True)
    for row in item.rows:
        mark, mark_style = MARKS[row.state]
        s = row.suggestion
        how = "added" if s is None else f"{s.method} {'' if s.confidence is None else f'{s.confidence:.2f}'}".strip()
        label = Text(visible(row.code.label), style=Style(color=colours.get(row.code.id), bold=True))
        label.append(f" ({row.code.id})", style="dim")
        table.add_row(f"{row.number}" if row.number < 10 else " ", Text(mark, style=mark_style), label, how)
    return table


def blocked_lines(item: Item, colours: dict[str, str]) -> Text:
    """One line per code whose rule matches did not count, saying why: "negated: 'no sign of …'"."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for n, (code, evidence) in enumerate(item.blocked):
        if n:
            text.append("\n")
        text.append("  not suggested: ", style="dim")
        text.append(visible(code.label), style=Style(color=colours.get(code.id)))
        reasons = []
        for e in evidence:
            if e.negated is not None:
                reasons.append(f"negated: {e.negated!r}")
            elif e.countered is not None:
                reasons.append(f"{e.text!r} countered by {e.countered!r}")
        text.append(" — " + visible("; ".join(dict.fromkeys(reasons))) + " (+ adds it)", style="dim")
    return text


def choice_lines(item: Item) -> list[str]:
    """One line per suggested code that won a single-choice group: "single choice: tone — Praise chosen over: …"."""
    lines = []
    for row in item.rows:
        if row.suggestion is None:
            continue
        for e in row.suggestion.evidence:
            if e.kind == "single_choice":
                lines.append(visible(f"single choice: {e.term} — {row.code.label} {e.text}"))
    return lines


def _progress_lines(progress: Progress, coder: str) -> Text:
    line = Text(f"done {progress.done} · left {progress.remaining} · of {progress.total}", style="bold")
    line.append(f" · coder {visible(coder)}", style="dim")
    per = " ".join(f"{c} ✓{a} ✗{r}" for c, (a, r) in progress.per_code.items() if a or r) or "no decisions yet"
    text = Text.assemble(line, "\n", Text(per, style="cyan", no_wrap=True, overflow="ellipsis"))
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _help() -> Table:
    table = Table(title="Keys", show_header=False, title_justify="left", expand=True)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in KEYS:
        table.add_row(key, what)
    return table


def _prompt(state: ScreenState, colours: dict[str, str]) -> RenderableType:
    if state.prompt == "choose-code":
        return Text("Memo on which code? Press its number (Esc cancels).", style="bold yellow")
    title = {"memo": "Memo on the quote", "code-memo": f"Memo on {state.prompt_code}", "add": "Add code"}[state.prompt]
    line = Text(f"{title}: ", style="bold yellow")
    line.append(visible(state.buffer))
    line.append("▏", style="blink")
    lines: list[RenderableType] = [line]
    for i, code in enumerate(state.matches):
        pick = Text(f"  {'›' if i == state.selected else ' '} {visible(code.label)} ({code.id})",
                    style=Style(color=colours.get(code.id), reverse=i == state.selected))
        lines.append(pick)
    if state.prompt == "add" and not state.matches:
        lines.append(Text("  no code matches; keep typing or press Esc", style="dim"))
    lines.append(Text("Enter saves · Esc cancels" + (" · ↑↓ choose" if state.prompt == "add" else ""), style="dim"))
    return Group(*lines)


def render(
    item: Item | None, progress: Progress, state: ScreenState, *, coder: str, colours: dict[str, str],
    console: Console,
) -> Layout:
    """The whole screen for one moment of the session, fitted to the console's width and height."""
    width, height = console.size
    root = Layout()
    keys = Text(KEY_LINE, style="dim")
    keys_lines = 1 if width >= len(KEY_LINE) else 2
    footer = Layout(Group(_progress_lines(progress, coder), keys), size=2 + keys_lines)
    # Group(): an empty Text is falsy, and Layout would draw its placeholder box instead.
    message = Layout(Group(Text(visible(state.message), no_wrap=True, overflow="ellipsis")), size=1)
    if item is None:
        body = Panel(Text(
            f"Nothing left to review here: {progress.done} of {progress.total} quotes are done.\n"
            "Press u to undo, b to go back, or q to quit.", style="bold"), title="Review finished")
        root.split_column(Layout(_help() if state.help else body), message, footer)
        return root
    header = Text.assemble(
        (f"Quote {item.index + 1} of {progress.total}", "bold"), ("  " + item.quote.quote_id, "dim"),
        ("  ✓ done" if item.done else "", "green"), "\n", (attribution(item), "italic"),
    )
    header.no_wrap = True
    header.overflow = "ellipsis"
    top = [Layout(header, size=2)]
    below: list[Layout] = []
    if not state.help:
        below.append(Layout(_codes_table(item, colours) if item.rows
                            else Text("No codes suggested or added: + adds one.", style="dim"),
                            size=max(1, min(len(item.rows), 12))))
    if not state.help and item.blocked:
        below.append(Layout(blocked_lines(item, colours), size=min(len(item.blocked), 3)))
    chosen = choice_lines(item) if not state.help else []
    if chosen:
        below.append(Layout(Text("\n".join(chosen), style="dim", no_wrap=True, overflow="ellipsis"),
                            size=min(len(chosen), 3)))
    memos = [f"memo{' on ' + code if code else ''}: {visible(text)}" for code, text in sorted(item.memos.items())]
    if memos:
        below.append(Layout(Text("\n".join(memos), style="yellow", no_wrap=True, overflow="ellipsis"),
                            size=min(len(memos), 3)))
    if state.prompt:
        below.append(Layout(_prompt(state, colours),
                            size=2 + len(state.matches) + (state.prompt == "add" and not state.matches)))
    else:
        below.append(message)
    below.append(footer)
    if state.help:
        middle = [Layout(_help())]
    else:
        text = quote_text(item, colours)
        free = height - 2 - sum(part.size or 0 for part in below)
        needed = len(text.wrap(console, max(1, width - 4))) + 2
        panel = Layout(Panel(text, border_style="dim"), minimum_size=3)
        middle = [panel]
        if needed < free:  # a short quote sits above its codes, the spare lines go below them
            panel.size = needed
            below.insert(len(below) - 1, Layout(Group(Text(" "))))
    root.split_column(*top, *middle, *below)
    return root


# -- keys ------------------------------------------------------------------------

_SEQUENCES = {"\x1b[A": "up", "\x1b[B": "down", "\x1b[C": "right", "\x1b[D": "left", "\x1bOA": "up",
              "\x1bOB": "down", "\x1bOC": "right", "\x1bOD": "left"}
_TOKEN = re.compile(r"\x1b(?:\[[0-9;]*[A-Za-z~]|O[A-D])?|.", re.DOTALL)


class KeyReader:
    """Single key presses from a POSIX terminal, decoded (arrows as ``up``/``down``/``left``/``right``)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, timeout: float | None = None) -> list[str]:
        """The keys pressed since the last call; [] after ``timeout`` seconds; ["eof"] when the terminal closed."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return []
        try:
            data = os.read(self.fd, 256)
        except OSError:  # the terminal went away
            return ["eof"]
        if not data:
            return ["eof"]
        return [_SEQUENCES.get(t, t) for t in _TOKEN.findall(self._decoder.decode(data))]


@contextmanager
def key_reader() -> Iterator[KeyReader]:
    """Put the terminal in single-key mode (no echo, Ctrl-C as a key) and restore it afterwards."""
    import termios  # POSIX only; imported here so the rest of the command line works everywhere

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    mode = termios.tcgetattr(fd)
    mode[0] &= ~(termios.IXON | termios.ICRNL)
    mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG | termios.IEXTEN)
    mode[6][termios.VMIN] = 1
    mode[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSADRAIN, mode)
    # Closing the terminal window ends the session, as it ends any terminal program, even where
    # hang-ups were set to be ignored (e.g. under nohup): every decision is already saved, and
    # SQLite rolls back an answer caught half-written.
    previous = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        yield KeyReader(fd)
    finally:
        signal.signal(signal.SIGHUP, previous)
        try:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        except termios.error:  # the terminal is gone; nothing to restore
            pass
