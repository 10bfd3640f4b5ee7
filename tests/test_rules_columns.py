"""rules.columns gives exactly the verdicts of the per-row `validate(derive(row))`, for any text."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csv_enrich.models import Kind
from csv_enrich.rules import derive, validate
from csv_enrich.rules.columns import COMPANY_FIELDS, PERSON_FIELDS, validate_frame

_NO_SURROGATES = ("Cs",)
# Values people really put in identifier cells, plain and odd, and the near misses of the
# patterns the column-wise path recognises on its own.
REALISTIC = [
    "Jane@Acme.io", "jane.doe+x@sub.acme.co.uk", "mailto:x@y.co", "Jane Doe <jane@acme.io>",
    "jane@acme", "jane@-acme.io", "jane@acme.io.", "a@b.c", "jo@xn--bcher-kva.ch", "joé@acme.io",
    "x@www.com", "x@gmail.com", "x@WWW.Acme.COM", "'quoted'@acme.io", "a..b@acme.io",
    "https://www.linkedin.com/in/jane-doe", "linkedin.com/in/Jane_Doe/", "uk.linkedin.com/in/abc",
    "https://www.linkedin.com/in/ACwAAAbcdefghij", "https://www.linkedin.com/in/unknown",
    "https://www.linkedin.com/in/TBD/", "linkedin.com/in/ab", "https://linkedin.com/in/jané",
    "https://www.linkedin.com/in/jane?trk=x", "https://www.linkedin.com/company/acme",
    "https://www.linkedin.com/sales/lead/x", "@jane-doe", "in/jane-doe", "jane-doe",
    "acme.io", "https://www.acme.io/", "http://WWW.Acme.IO/path?q=1", "www.www.acme.io",
    "www.com", "acme.io:8080", "user@acme.io", "facebook.com/acme", "https://maps.google.com/x",
    "https://www.google.com/maps/place/x", "acme.io.", "-acme.io", "acme.xn--p1ai", "bücher.de",
    "Jane", "Doe", "O'Brien", "Mary-Jane", "José", "  Jane  ", "Jane,", ",Doe", "123", "J.",
    "Jane Doe", "Doe, Jane", "Dr. Jane van Doe Jr.", "Dr Jane Doe", "Jane Doe Jr", "M Smith",
    "Jane Sr", "Jane van der Berg", "Ann-Marie O'Neil",
    "Acme", "Acme Inc.", "ACME  Corp", "!!!", "Ünïcode GmbH",
    "ACME", "$acme", "NASDAQ: ACME", "BRK.B", "TOOLONGTICKER1",
    "p_123", "p 123", "c-77",
    "+1 (415) 555-0123", "0044 20 7946 0958", "555-0123", "+14155550123 ext 12",
    "12345678901234567",
    "N/A", "", " ", "\u200bjane@acme.io", "jane@acme.io\x1c", "\xa0Acme",
]  # fmt: skip

_text = st.sampled_from(REALISTIC) | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=_NO_SURROGATES), max_size=30
)


def _expected(frame: pl.DataFrame, kind: Kind) -> list[object]:
    rows = frame.iter_rows(named=True)
    return [validate(derive({k: v for k, v in r.items() if v is not None}, kind), kind)
            for r in rows]


def _frame(rows: list[dict[str, str | None]], fields: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(fields, pl.String))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({f: st.none() | _text for f in PERSON_FIELDS}),
                min_size=1, max_size=8))
def test_person_rows_match_validate(rows: list[dict[str, str | None]]) -> None:
    """Any person rows: the column-wise verdicts equal validate's, row by row."""
    frame = _frame(rows, PERSON_FIELDS)
    assert validate_frame(frame, "person") == _expected(frame, "person")


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({f: st.none() | _text for f in COMPANY_FIELDS}),
                min_size=1, max_size=8))
def test_company_rows_match_validate(rows: list[dict[str, str | None]]) -> None:
    """Any company rows: the column-wise verdicts equal validate's, row by row."""
    frame = _frame(rows, COMPANY_FIELDS)
    assert validate_frame(frame, "company") == _expected(frame, "company")


@pytest.mark.parametrize("kind", ["person", "company"])
@pytest.mark.parametrize("value", REALISTIC)
def test_each_realistic_value_in_every_field(kind: Kind, value: str) -> None:
    """Every realistic value, alone in each field and beside a usable identifier, agrees."""
    fields = PERSON_FIELDS if kind == "person" else COMPANY_FIELDS
    rows: list[dict[str, str | None]] = []
    for field in fields:
        rows.append({f: (value if f == field else None) for f in fields})
        rows.append({f: (value if f == field else None) for f in fields}
                    | {"first_name": "Jane", "last_name": "Doe", "company_name": "Acme"})
    frame = _frame(rows, (*fields, "first_name", "last_name") if kind == "company" else fields)
    assert validate_frame(frame, kind) == _expected(frame, kind)


def test_a_frame_without_some_fields() -> None:
    """Fields the file has no column for count as empty."""
    frame = pl.DataFrame({"email": ["jane@acme.io", None]})
    assert validate_frame(frame, "person") == _expected(frame, "person")


_CELL = st.sampled_from(REALISTIC + [
    "a@x.com; b@y.com", "bad; jane@acme.io", "x ::: jane@acme.io", "n/a, jane@acme.io",
    "+1 415 555 0123; +44 20 7946 0958", "linkedin.com/in/ab linkedin.com/in/jane-doe",
]) | st.text(alphabet=st.sampled_from("ab@.; x:\u200b"), max_size=12)
HEADERS = ["E-mail 1 - Value", "E-mail 2 - Value", "First Name", "Last Name",
           "Organization 1 - Name", "Phone 1 - Value", "Phone 2 - Value", "Website 1 - Value",
           "Name"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.none() | _CELL, min_size=len(HEADERS), max_size=len(HEADERS)),
                min_size=1, max_size=6))
def test_field_frame_matches_row_readings(rows: list[list[str | None]]) -> None:
    """A Google Contacts export with random cells: the column-wise reading (several columns per
    field, several values per cell, the row notes) equals row_readings, verdict by verdict."""
    import csv
    import tempfile
    from pathlib import Path

    from csv_enrich.mapping.columns import field_frame, map_columns, row_readings
    from csv_enrich.read import read_table

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADERS)
            writer.writerow(["jane@acme.io", "", "Jane", "Doe", "Acme", "", "", "acme.io", "J D"])
            writer.writerows([c or "" for c in row] for row in rows)
        table = read_table(path)
        cmap = map_columns(table, kind="person")
        frame, notes = field_frame(table, cmap)
        readings = list(row_readings(table, cmap))
    assert validate_frame(frame, "person") == [validate(v, "person") for v, _ in readings]
    assert notes == {i: "; ".join(n) for i, (_, n) in enumerate(readings) if n}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["person", "company"]),
       st.lists(st.fixed_dictionaries({f: st.none() | _text for f in PERSON_FIELDS
                                        + ("company_ticker", "company_id")}),
                min_size=1, max_size=8))
def test_verdict_frame_holds_the_same_verdicts(
    kind: Kind, rows: list[dict[str, str | None]]
) -> None:
    """The verdicts as columns give back exactly validate_frame's records."""
    from csv_enrich.rules.columns import verdict_frame, verdicts_of

    frame = _frame(rows, PERSON_FIELDS + ("company_ticker", "company_id"))
    verdicts = verdict_frame(frame, kind)
    assert verdicts_of(verdicts, kind) == validate_frame(frame, kind) == _expected(frame, kind)


@pytest.mark.parametrize("aliases", [[], ["a"], ["a", "b", "c"], ["a", "b", "c", "d"]])
def test_verdicts_of_keeps_any_aliases(aliases: list[str]) -> None:
    """A verdict frame made elsewhere (aliases of any length) gives its records as they are."""
    from csv_enrich.models import Identity, Invalid
    from csv_enrich.rules.columns import VERDICT_SCHEMA, verdicts_of

    rows = [{"key": "a", "aliases": aliases, "email": "x@y.io"}, {"reason": "no email"},
            {"key": "b", "aliases": ["b", "c"]}]
    frame = pl.DataFrame(rows, schema=VERDICT_SCHEMA)
    assert verdicts_of(frame, "person") == [
        Identity("person", "a", email="x@y.io", aliases=tuple(aliases)), Invalid("no email"),
        Identity("person", "b", aliases=("b", "c")),
    ]


def test_an_identitys_first_alias_is_its_key_string() -> None:
    """An identity's key and its first alias are one string in memory, not two equal ones;
    a frame whose first alias is not the key keeps its own."""
    from csv_enrich.models import Identity
    from csv_enrich.rules.columns import VERDICT_SCHEMA, verdict_frame, verdicts_of

    frame = _frame([{"email": "ann@acme.io", "linkedin_url": "linkedin.com/in/ann-lee"},
                    {"email": "bo@initech.com"}, {"email": "not an email"}], PERSON_FIELDS)
    made = [v for v in verdicts_of(verdict_frame(frame, "person"), "person")
            if isinstance(v, Identity)]
    assert len(made) == 2
    assert all(i.aliases[0] is i.key for i in made)
    other = pl.DataFrame([{"key": "a", "aliases": ["b", "a"]}], schema=VERDICT_SCHEMA)
    assert verdicts_of(other, "person") == [Identity("person", "a", aliases=("b", "a"))]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["person", "company"]),
       st.lists(st.lists(st.none() | _CELL, min_size=4, max_size=4), min_size=1, max_size=6))
def test_checked_columns_give_the_same_verdicts(kind: Kind, rows: list[list[str | None]]) -> None:
    """A field frame's checked columns (the normalised values its patterns read) give the
    verdicts the frame's texts alone give."""
    from csv_enrich.rules.picking import pick_fields

    headers = ["E1", "E2", "Site", "In"]
    cells = pl.DataFrame(rows, schema=dict.fromkeys(headers, pl.String), orient="row")
    orders = {"email": ["E1", "E2"], "website": ["Site"], "linkedin_url": ["In"]}
    frame, _ = pick_fields(cells, orders)
    assert any(c.startswith("\x00checked") for c in frame.columns)
    texts = frame.select(list(orders))
    assert validate_frame(frame, kind) == validate_frame(texts, kind) == _expected(texts, kind)


def test_identities_made_column_wise_are_like_any_other() -> None:
    """Records validate_frame makes hash, compare, copy and pickle as Identity(...) does."""
    import dataclasses
    import pickle

    frame = pl.DataFrame({"email": ["Jane@Acme.io"], "linkedin_url": ["linkedin.com/in/jane"]})
    made = validate_frame(frame, "person")[0]
    expected = validate(derive({"email": "Jane@Acme.io", "linkedin_url": "linkedin.com/in/jane"},
                               "person"), "person")
    assert made == expected
    assert hash(made) == hash(expected)
    assert repr(made) == repr(expected)
    assert pickle.loads(pickle.dumps(made)) == expected
    assert dataclasses.replace(made, phone="1") == dataclasses.replace(expected, phone="1")
    assert {made: 1}[expected] == 1
