"""numfmt.render over a whole column at once: the same text, without a Python call per cell.

`render_column(raw, code)` gives, for each raw cell value, exactly what `numfmt.render(raw,
code)` gives (None included). Two families of formats are rendered by polars expressions that
mirror numfmt's code step by step: zero-padded digits ("00000", "0") and dates and times
("dd/mm/yyyy", "yyyy-mm-dd hh:mm"). Each is used only on values where the mirror is exact by
construction: plain decimal numbers (not " 12", "1_0", "nan"), within a range (no overflow),
and for times not within 10 microseconds of a half second (where numfmt's rounding to the
microsecond could tip the second). Every other value, and every other format, goes through
`render` itself, once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from csv_enrich.read.numfmt import (
    DAY_NAMES,
    MONTH_NAMES,
    compile_section,
    is_code,
    is_minute,
    literal,
    render,
    sections,
)

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Family:
    """A kind of format rendered by expressions: `inside` says for which values (a Float64
    expression) `text` is exactly numfmt.render's text; `text` is given `prepare`'s result
    for those values (computed once: a date's moment, used by each of its parts)."""

    inside: Callable[[pl.Expr], pl.Expr]
    prepare: Callable[[pl.Expr], pl.Expr]
    text: Callable[[pl.Expr], pl.Expr]


# What Python's float() and polars' cast read the same way: digits, a point, an exponent.
_PLAIN_NUMBER = r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$"
_PADDED = re.compile(r"0+")
_PAD_LIMIT = 1e15  # below it a float's rounding to a whole number fits an Int64 exactly
_LAST_SERIAL = 2958465.0  # 9999-12-31: past it numfmt's dates overflow (and return None)
_EPOCH_UNIX_S = -2_209_161_600  # 1899-12-30 00:00:00, numfmt's day 0, in Unix seconds
_NEAR_HALF = 1e-5  # seconds: closer than this to x.5 s, numfmt's microsecond rounding decides


def render_column(raw: pl.Series, code: str) -> pl.Series:
    """[render(v, code) for v in raw] (nulls stay null), as a pl.String series."""
    import polars as pl

    family = _family(code)
    frame = raw.cast(pl.String).rename("raw").to_frame()
    if family is None:
        return _each(frame, code)
    plain = pl.col("raw").str.contains(_PLAIN_NUMBER).fill_null(False)
    number = frame.select(
        pl.col("raw"), pl.when(plain).then(pl.col("raw").cast(pl.Float64, strict=False)).alias("v")
    )
    inside = family.inside(pl.col("v")).fill_null(False)
    number = number.with_columns(fast=inside, v=family.prepare(pl.when(inside).then(pl.col("v"))))
    done = number.with_columns(text=family.text(pl.col("v")))
    rest = done.filter(~pl.col("fast")).get_column("raw").drop_nulls().unique()
    shown = pl.when(pl.col("fast")).then(pl.col("text")).otherwise(_mapped(rest, code))
    return done.with_columns(shown.alias("shown")).get_column("shown")


def _each(frame: pl.DataFrame, code: str) -> pl.Series:
    """render once per distinct value, mapped back onto the column."""
    distinct = frame.get_column("raw").drop_nulls().unique()
    return frame.with_columns(_mapped(distinct, code).alias("shown")).get_column("shown")


def _mapped(distinct: pl.Series, code: str) -> pl.Expr:
    import polars as pl

    if distinct.is_empty():
        return pl.lit(None, dtype=pl.String)
    shown = [render(v, code) for v in distinct.to_list()]
    return pl.col("raw").replace_strict(
        distinct, pl.Series(shown, dtype=pl.String), default=None, return_dtype=pl.String
    )


def _family(code: str) -> Family | None:
    """The column renderer of `code`'s kind, or None: render each distinct value."""
    parts = sections(code)
    if len(parts) == 1 and _PADDED.fullmatch(code):
        return _padded(len(code))
    tokens, is_date, _ = compile_section(parts[0])
    if is_date:
        return _dated(tokens)
    return None


def _padded(width: int) -> Family:
    """numfmt's zero-padded digits: the sign, then round(|value|) padded to `width`."""
    import polars as pl

    def text(value: pl.Expr) -> pl.Expr:
        whole = value.abs().round(0, mode="half_to_even").cast(pl.Int64, strict=False)
        digits = whole.cast(pl.String).str.zfill(width)
        return pl.when(value < 0).then(pl.lit("-") + digits).otherwise(digits)

    return Family(lambda value: value.abs() < _PAD_LIMIT, lambda value: value, text)


def _dated(tokens: list[str]) -> Family:
    """numfmt's dates for positive serials (the first section applies), token by token."""
    import polars as pl

    twelve = any(t.upper() in ("AM/PM", "A/P") for t in tokens)

    def inside(value: pl.Expr) -> pl.Expr:
        seconds = (value - value.floor()) * 86400.0
        near = ((seconds - seconds.floor()) - 0.5).abs() < _NEAR_HALF
        return (value > 0) & (value < _LAST_SERIAL) & ~near

    def moment(value: pl.Expr) -> pl.Expr:
        days = value.floor()
        seconds = ((value - days) * 86400.0 + 0.5).floor()
        total = days.cast(pl.Int64, strict=False) * 86400 + seconds.cast(pl.Int64, strict=False)
        return ((total + _EPOCH_UNIX_S) * 1_000_000).cast(pl.Datetime("us"), strict=False)

    def text(moment: pl.Expr) -> pl.Expr:
        directives = _strftime(tokens, twelve)
        if directives is not None:
            return moment.dt.strftime(directives)
        parts = [_part(t, moment, twelve, is_minute(tokens, i)) for i, t in enumerate(tokens)]
        return pl.concat_str(parts) if parts else pl.lit("")

    return Family(inside, moment, text)


def _strftime(tokens: list[str], twelve: bool) -> str | None:
    """One strftime pattern doing what _part does for each token, when each has one."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if token.startswith("[") and low.strip("[]")[:1] in "hms" and low.strip("[]"):
            return None  # rare: left to the expressions
        if low == "am/pm":
            out.append("%p")
        elif low == "a/p":
            return None
        elif not is_code(token):
            out.append(literal(token).replace("%", "%%"))
        else:
            directive = _directive(low, twelve, is_minute(tokens, i))
            if directive is None:
                return None
            out.append(directive)
    return "".join(out)


def _directive(low: str, twelve: bool, minute: bool) -> str | None:
    """The strftime directive giving what numfmt._date_code gives, or None."""
    width, letter = len(low), low[0]
    if letter == "m" and not minute:
        return ["%-m", "%m", "%b", "%B", None][min(width, 5) - 1]
    if letter == "y":
        return "%Y" if width > 2 else "%y"
    padded = {"m": ("%-M", "%M"), "d": ("%-d", "%d"), "s": ("%-S", "%S"),
              "h": ("%-I", "%I") if twelve else ("%-H", "%H")}.get(letter)  # fmt: skip
    if padded is None:
        return None
    if letter == "d" and width > 2:
        return "%a" if width == 3 else "%A"
    return padded[min(width, 2) - 1]


def _part(token: str, moment: pl.Expr, twelve: bool, minute: bool) -> pl.Expr:
    """numfmt._date_part as an expression."""
    import polars as pl

    low = token.lower()
    if low in ("am/pm", "a/p"):
        noon = moment.dt.hour() >= 12
        am, pm = ("AM", "PM") if low == "am/pm" else ("A", "P")
        return pl.when(noon).then(pl.lit(pm)).otherwise(pl.lit(am))
    if token.startswith("[") and low.strip("[]")[:1] in "hms" and low.strip("[]"):
        return _part(low.strip("[]"), moment, twelve, minute)
    if not is_code(token):
        return pl.lit(literal(token))
    return _code(low, moment, twelve, minute)


def _code(low: str, moment: pl.Expr, twelve: bool, minute: bool) -> pl.Expr:
    """numfmt._date_code as an expression."""
    import polars as pl

    width, letter = len(low), low[0]
    if letter == "y":
        year = moment.dt.year()
        return _digits(year, 4) if width > 2 else _digits(year % 100, 2)
    if letter == "m" and minute:
        return _digits(moment.dt.minute(), width)
    if letter == "m":
        return _named(moment.dt.month(), MONTH_NAMES, min(width, 5), 1)
    if letter == "d" and width <= 2:
        return _digits(moment.dt.day(), width)
    if letter == "d":
        return _named(moment.dt.weekday(), DAY_NAMES, min(width, 4), 1)
    if letter == "h":
        hour = moment.dt.hour()
        if twelve:
            hour = pl.when(hour % 12 == 0).then(12).otherwise(hour % 12)
        return _digits(hour, min(width, 2))
    if letter == "s":
        return _digits(moment.dt.second(), min(width, 2))
    return pl.lit(low)


def _digits(number: pl.Expr, width: int) -> pl.Expr:
    """f"{number:0{width}d}" for the non-negative numbers of a date."""
    import polars as pl

    return number.cast(pl.String).str.zfill(width)


def _named(number: pl.Expr, names: tuple[str, ...], width: int, first: int) -> pl.Expr:
    """numfmt's month (width 1..5) or weekday (3..4 here) text; `number` counts from `first`."""
    import polars as pl

    if width <= 2:
        return _digits(number, width)
    keys = list(range(first, first + len(names)))
    shown = [name[:3] if width == 3 else name if width == 4 else name[0] for name in names]
    return number.replace_strict(keys, shown, return_dtype=pl.String)
