"""Formula injection: neutralise() and its polars twin agree, defuse every trigger and leave
legitimate phones and numbers alone."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.output.write import TRIGGERS, neutralise, neutralise_expr

ATTACKS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "-1+1e3*A1",
    "+A1",
]
LEGITIMATE = [
    "+14155550123",
    "-42",
    "-12.50",
    "+1 (415) 555-0123",
    "00123",
    "4.4E+11",
    "-1.5e10",
    "-2+3",
    "-1-1",
    "+1-415-555-0123",
    "jane@acme.io",
    "Acme, Inc.",
    "",
    "'=already quoted",
]


@pytest.mark.parametrize("value", ATTACKS)
def test_attacks_get_an_apostrophe(value: str) -> None:
    """Each OWASP CSV-injection example is prefixed with an apostrophe and otherwise kept."""
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", LEGITIMATE)
def test_legitimate_values_are_untouched(value: str) -> None:
    """E.164 phones, negative numbers, ZIP codes and plain text come out exactly as they went in."""
    assert neutralise(value) == value


def _polars(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"v": pl.Series(values, dtype=pl.String)})
    return frame.select(neutralise_expr(pl.col("v")))["v"].to_list()


def test_polars_twin_on_the_examples() -> None:
    """The polars expression gives the same answers as neutralise, and keeps nulls null."""
    values: list[str | None] = [*ATTACKS, *LEGITIMATE, None]
    assert _polars(values) == [None if v is None else neutralise(v) for v in values]


risky_text = st.text(alphabet=st.sampled_from("=+-@\t\r\n 0123456789.,()/eEA|!'\"x"), max_size=12)


@given(st.lists(st.one_of(risky_text, st.text(max_size=12)), max_size=20))
def test_polars_twin_agrees(values: list[str]) -> None:
    """For any strings, the vectorised CSV path and the reference function agree."""
    assert _polars(list(values)) == [neutralise(v) for v in values]


@given(st.one_of(risky_text, st.text()))
def test_result_is_inert_and_reversible(value: str) -> None:
    """The result either is the value or the value behind one apostrophe, and is stable."""
    out = neutralise(value)
    assert out in (value, "'" + value)
    assert neutralise(out) == out
    if out.startswith(TRIGGERS):
        assert set(out) <= set("+-0123456789 .,()/eE")


@given(st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True))
def test_e164_phones_untouched(phone: str) -> None:
    """Every E.164 phone number is written as it is."""
    assert neutralise(phone) == phone


@given(st.floats(allow_nan=False, allow_infinity=False).map(repr) | st.integers().map(str))
def test_numbers_untouched(number: str) -> None:
    """Every integer and float as Python prints it is written as it is."""
    assert neutralise(number) == number


ARITHMETIC = "0123456789 .,()/+-"


@given(st.sampled_from("+-"), st.text(alphabet=ARITHMETIC, max_size=20))
def test_digits_and_arithmetic_after_a_sign_are_untouched(sign: str, rest: str) -> None:
    """The one rule, first half: + or - followed only by digits, spaces and + - ( ) . , /
    (phones, numbers, sums of numbers such as -1-1 and -2+3) is left as it is."""
    assert neutralise(sign + rest) == sign + rest


@given(
    st.sampled_from(TRIGGERS),
    st.text(max_size=8),
    st.characters(blacklist_characters=ARITHMETIC + "eE"),
    st.text(max_size=8),
)
def test_anything_else_after_a_trigger_gets_an_apostrophe(
    trigger: str, before: str, odd: str, after: str
) -> None:
    """The one rule, second half: a trigger followed by anything that is not digits and
    arithmetic (a letter, a name, a reference, a pipe...) gets the apostrophe, and so does
    every cell starting with =, @, a tab or a carriage return."""
    value = trigger + before + odd + after
    assert neutralise(value) == "'" + value
    assert neutralise("=" + before) == "'=" + before
