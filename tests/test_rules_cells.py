"""One identifier from several columns and several values in one cell (issue 12)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.rules.cells import first_valid, pick, split_values
from csv_enrich.rules.normalise import normalise_email

_LOCAL = st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z0-9]{1,5})?", fullmatch=True)
_HOST = st.from_regex(r"[a-z][a-z0-9]{1,8}\.(io|com|de|dev)", fullmatch=True)
EMAILS = st.builds(lambda a, b: f"{a}@{b}", _LOCAL, _HOST)
SEPARATORS = st.sampled_from([";", "; ", ",", ", ", " ", " ::: ", "\n", " | "])
JUNK = st.sampled_from(["", "n/a", "x", "not an address", "bounced", "  "])


@given(EMAILS)
def test_a_valid_cell_is_never_split(email: str) -> None:
    """A cell holding one valid address is that address, whatever it looks like."""
    for cell in (email, f"Jane Doe <{email}>", f"mailto:{email}"):
        assert split_values("email", cell) == [cell]


@given(st.lists(EMAILS, min_size=2, max_size=4), SEPARATORS)
def test_several_addresses_split_in_order(emails: list[str], sep: str) -> None:
    """Joined by any separator, the addresses come back one by one, in order."""
    cell = sep.join(emails)
    assert split_values("email", cell) == emails
    assert first_valid("email", cell) == emails[0]


@given(st.lists(JUNK, max_size=3), EMAILS, st.lists(st.one_of(JUNK, EMAILS), max_size=3))
def test_pick_takes_the_first_valid_column(before: list[str], email: str, after: list[str]) -> None:
    """Columns in order of preference: empty or invalid ones are passed over for the first
    valid address; the header it came from is named."""
    cells = [(f"c{i}", v or None) for i, v in enumerate([*before, email, *after])]
    picked = pick("email", cells)
    assert picked is not None
    assert picked.text == email
    assert picked.header == f"c{len(before)}"
    assert not picked.several


@given(st.lists(JUNK, min_size=1, max_size=4))
def test_no_valid_value_gives_the_first_text(junk: list[str]) -> None:
    """With nothing valid, the first non-empty text is kept (so the row's reason names it)."""
    cells = [(f"c{i}", v) for i, v in enumerate(junk)]
    picked = pick("email", cells)
    filled = [v for v in junk if v.strip()]
    if not filled:
        assert picked is None
    else:
        assert picked is not None
        assert picked.text == filled[0]
        assert normalise_email(picked.text) is None


@given(st.text(max_size=60))
def test_split_never_loses_a_valid_address(text: str) -> None:
    """Whatever the cell, splitting gives non-empty parts; a cell valid whole stays whole."""
    parts = split_values("email", text)
    assert parts
    assert all(p.strip() or p == text for p in parts)
    if normalise_email(text):
        assert parts == [text]


@pytest.mark.parametrize(
    ("field", "cell", "expected"),
    [
        ("phone", "+1 415 555 0100; +1 415 555 0101", "+1 415 555 0100"),
        ("phone", "+1 (415) 555-0100", "+1 (415) 555-0100"),
        ("linkedin_url", "https://linkedin.com/in/a-b, https://linkedin.com/in/c-d",
         "https://linkedin.com/in/a-b"),
        ("email", "jane@acme; jane@acme.io", "jane@acme.io"),
        ("email", "n/a, ann@gamma.dev", "ann@gamma.dev"),
        ("first_name", "Jane; John", "Jane; John"),
    ],
)
def test_first_valid_per_field(field: str, cell: str, expected: str) -> None:
    """Phones split only at ; | ::: and line breaks (they hold spaces); names never split."""
    assert first_valid(field, cell) == expected


@pytest.mark.parametrize(
    ("header", "rank"),
    [
        ("primary_email", 0), ("Email", 1), ("E-mail 2 - Value", 2), ("E-mail 3 Address", 3),
        ("emails", 9), ("Email (other)", 9), ("primary_contact_emails", 9),
        ("primary_contact_primary_email", 0), ("Secondary Email", 2), ("Phone 1 - Value", 1),
    ],
)
def test_rank_markers_order_columns_of_one_field(header: str, rank: int) -> None:
    """Primary before plain or 1, before 2, 3, before other/additional/a plural list; whose
    field it is ("primary contact") says nothing of rank."""
    from csv_enrich.mapping.exports import marker

    assert marker(header) == rank
