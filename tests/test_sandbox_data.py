"""Property tests for the sandbox's normalisers, synthetic data, schema checks and CSV parser."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.sandbox import csvimport, data, schemas
from csv_enrich.sandbox.wire import SchemaError

SLUG = st.from_regex(r"[a-z0-9][a-z0-9\-]{2,30}", fullmatch=True)
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
LOCAL = st.from_regex(r"[a-z0-9][a-z0-9.]{0,15}", fullmatch=True)
DOMAIN = st.from_regex(r"[a-z]{2,12}\.(com|io|de|co)", fullmatch=True)


@given(slug=SLUG, upper=st.booleans())
def test_linkedin_forms_give_the_same_slug(slug: str, upper: bool) -> None:
    """Every common LinkedIn URL form (and the bare handle) normalises to the same slug."""
    s = slug.upper() if upper else slug
    forms = [f"https://www.linkedin.com/in/{s}/", f"http://uk.linkedin.com/in/{s}?trk=x",
             f"linkedin.com/pub/{s}", f"  {s} ", f"https://linkedin.com/in/{s}#about"]
    assert {data.linkedin_slug(f) for f in forms} == {slug}


@given(text=st.text(max_size=40))
def test_norm_email_is_idempotent(text: str) -> None:
    """norm_email is idempotent and yields '' or one lower-case address with one @."""
    once = data.norm_email(text)
    assert data.norm_email(once) == once
    assert once == "" or (once.count("@") == 1 and once == once.lower())


@given(local=LOCAL, domain=DOMAIN, pad=st.sampled_from(["", " ", "\t"]))
def test_identity_ignores_case_and_padding(local: str, domain: str, pad: str) -> None:
    """The same email in any case and padding is the same identity."""
    a = data.person_identity({"email": f"{local}@{domain}"})
    b = data.person_identity({"email": f"{pad}{local.upper()}@{domain.upper()}{pad}"})
    assert a == b == f"email:{local}@{domain}"


@given(first=st.text(min_size=1, max_size=10).filter(str.strip),
       last=st.text(min_size=1, max_size=10).filter(str.strip))
def test_names_need_a_company(first: str, last: str) -> None:
    """first + last alone breaks the identifier rule; with a domain it satisfies it."""
    assert data.person_identity({"first_name": first, "last_name": last}) == ""
    assert data.person_identity({"first_name": first, "last_name": last, "domain": "acme.io"})


@given(local=LOCAL, domain=DOMAIN)
def test_person_record_is_deterministic_and_well_formed(local: str, domain: str) -> None:
    """The same identity always gets the same record; phones are E.164."""
    identity = f"email:{local}@{domain}"
    first, again = data.person_record(identity, {}), data.person_record(identity, {})
    assert first == again
    assert first["phone"] is None or E164.match(first["phone"])
    assert first["email_status"] in {"valid", "risky", "unknown"}
    assert first["linkedin_url"].startswith("https://www.linkedin.com/in/")


def test_rates_are_realistic() -> None:
    """About 80% of people have an email, about 50% a phone, about 75% of domains are known."""
    people = [data.person_record(f"email:p{i}@x{i}.io", {}) for i in range(4000)]
    emails = sum(p["email"] is not None for p in people) / len(people)
    phones = sum(p["phone"] is not None for p in people) / len(people)
    known = sum(data.company_record(f"domain:c{i}.com") is not None for i in range(4000)) / 4000
    assert 0.77 < emails < 0.83
    assert 0.47 < phones < 0.53
    assert 0.72 < known < 0.78


@pytest.mark.parametrize("domain", ["example.com", "acme.invalid", "shop.test", "localhost"])
def test_reserved_domains_are_not_found(domain: str) -> None:
    """Reserved and unknown test domains are never found."""
    assert data.company_record(f"domain:{domain}") is None


@given(domain=DOMAIN)
def test_company_record_fields(domain: str) -> None:
    """A found company has every CompanyRecord field, consistent with its range."""
    record = data.company_record(f"domain:{domain}")
    if record is not None:
        low, high = map(int, record["employee_count_range"].split("-"))
        assert low <= record["employee_count"] <= high
        assert record["domain"] == domain


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c,
                                                                         max_size=3),
                    max_leaves=8)
BODY = st.dictionaries(st.sampled_from([*schemas.ENRICH_PERSON, "bogus"]), JSON, max_size=6)


@settings(max_examples=200)
@given(body=BODY | JSON)
def test_validate_body_returns_the_model_or_422_details(body: Any) -> None:
    """Any JSON either validates into exactly the model's keys or yields loc/msg/type details."""
    details: list[dict[str, Any]] = []
    out: dict[str, Any] = {}
    try:
        out = schemas.validate_body(body, schemas.ENRICH_PERSON)
    except SchemaError as exc:
        details = exc.detail
    if details:
        assert all(set(d) == {"loc", "msg", "type"} and d["loc"][0] == "body" for d in details)
    else:
        assert set(out) == set(schemas.ENRICH_PERSON)
        assert isinstance(out["lead_list_id"], str)


CELL = st.sampled_from(["", "a@b.io", "A@B.IO", "x@y.co", "Ann", "Lee", "acme.io", "in/ann-lee"])


@settings(max_examples=150)
@given(rows=st.lists(st.lists(CELL, min_size=4, max_size=4), max_size=30))
def test_csv_parse_accounts_for_every_row(rows: list[list[str]]) -> None:
    """Imported plus skipped equals parsed, and skipped rows are numbered after the header."""
    text = "\n".join(["E,F,L,D", *(",".join(r) for r in rows)])
    mapping = {"email": "E", "first_name": "F", "last_name": "L", "company_domain": "D"}
    parsed = csvimport.parse(text, mapping)
    assert len(parsed.accepted) + len(parsed.skip_rows) == parsed.rows_parsed
    assert sum(parsed.skip_reasons.values()) == len(parsed.skip_rows)
    assert all(2 <= n <= len(rows) + 1 for n in parsed.skip_rows)
    emails = [data.norm_email(f.get("email")) for _, f in parsed.accepted]
    assert len([e for e in emails if e]) == len({e for e in emails if e})
