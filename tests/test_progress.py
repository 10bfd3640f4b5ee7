"""The progress display: a live line on a terminal, plain periodic lines otherwise, or silence."""

from __future__ import annotations

import io

from csv_enrich.cli.progress import ProgressPrinter
from csv_enrich.models import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_terminal_gets_one_redrawn_line_with_the_counts() -> None:
    """On a terminal every tick redraws one line: rows, credits, requests, the rate-limit note."""
    out = Terminal()
    with ProgressPrinter(stream=out) as printer:
        printer.update(Progress(done=1, total=4, credits=1, requests=3))
        printer.update(Progress(done=2, total=4, credits=2, requests=5, waiting_on_rate_limit=True))
    text = out.getvalue()
    assert text.count("\r") == 2
    assert "[##########----------] 2/4 rows · 2 credits · 5 requests" in text
    assert "waiting on the API rate limit" in text
    assert text.endswith("\n")


def test_plain_stream_gets_first_and_last_lines_only_when_fast() -> None:
    """Off a terminal, ticks closer than the period are dropped but the final one is printed."""
    out = io.StringIO()
    with ProgressPrinter(stream=out) as printer:
        for done in range(1, 11):
            printer.update(Progress(done=done, total=10, credits=done, requests=done))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1/10 rows")
    assert lines[-1].startswith("10/10 rows")
    assert len(lines) == 2
    assert "\r" not in out.getvalue()


def test_quiet_prints_nothing() -> None:
    """--quiet silences progress and messages."""
    out = Terminal()
    with ProgressPrinter(stream=out, quiet=True) as printer:
        printer.update(Progress(done=1, total=2, credits=0, requests=1, message="falling back"))
    assert out.getvalue() == ""


def test_messages_are_printed_once_on_their_own_line() -> None:
    """An engine message (e.g. the rows-mode fallback) appears once, not on every tick."""
    out = io.StringIO()
    with ProgressPrinter(stream=out) as printer:
        for done in (1, 2):
            printer.update(Progress(done=done, total=2, credits=0, requests=1, message="slow"))
    assert out.getvalue().count("slow") == 1


def test_plain_stream_never_repeats_the_same_line() -> None:
    """Final ticks that change nothing visible are not printed again."""
    out = io.StringIO()
    with ProgressPrinter(stream=out) as printer:
        for _ in range(3):
            printer.update(Progress(done=2, total=2, credits=1, requests=4))
    assert out.getvalue().count("2/2 rows") == 1


def screen(written: str) -> str:
    """What a terminal line shows after `written`: a carriage return moves back to column 0,
    characters overwrite, nothing is erased."""
    line: list[str] = []
    col = 0
    for ch in written.split("\n")[-1]:
        if ch == "\r":
            col = 0
            continue
        if col < len(line):
            line[col] = ch
        else:
            line.append(ch)
        col += 1
    return "".join(line).rstrip()


def test_a_shorter_line_leaves_no_stray_characters() -> None:
    """When the live line shortens (a long note goes away), nothing of the old one stays on
    screen (it used to show `…limit)t)`)."""
    out = Terminal()
    printer = ProgressPrinter(stream=out)
    printer.update(Progress(done=1, total=400, credits=1, requests=3,
                            api_trouble="API unreachable: attempt 3, next try in 12 s"))
    printer.update(Progress(done=2, total=400, credits=2, requests=5,
                            waiting_on_rate_limit=True))
    printer.update(Progress(done=3, total=400, credits=3, requests=6))
    shown = screen(out.getvalue())
    assert shown.endswith("3/400 rows · 3 credits · 6 requests" + shown.split("requests")[1])
    assert ")" not in shown


def test_api_trouble_is_shown_instead_of_silence() -> None:
    """While the API is unreachable or answering 5xx the line says so, with the attempt and the
    seconds until the next try."""
    printer = ProgressPrinter(stream=io.StringIO())
    line = printer.line(Progress(done=0, total=9, credits=0, requests=2,
                                 api_trouble="API error 503: attempt 2, next try in 4 s"))
    assert line.endswith("(API error 503: attempt 2, next try in 4 s)")
