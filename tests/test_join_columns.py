"""The column-wise join (engine.join_columns) against join.join_in_order, its reference: the
same lead for every identity, whatever the namesakes, shared emails, order, missing leads or
odd names; and lead pages read as columns against the `Lead`s parse_leads_page gives."""

from __future__ import annotations

import copy
import json
import pickle
from dataclasses import asdict
from random import Random
from typing import Any

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from csv_enrich.api.client import Lead
from csv_enrich.api.wire import parse_leads_columns, parse_leads_page
from csv_enrich.engine.join import LeadIndex, company_fold, fold, join_in_order
from csv_enrich.engine.join_columns import (
    COMPANY_FOLD,
    FOLD,
    SLUG,
    identity_frame,
    join_frame,
)
from csv_enrich.engine.leads import LeadData, LeadFrame, LeadTable
from csv_enrich.models import Identity, Outcome
from csv_enrich.rules.derived import Norm, raw, resolve
from csv_enrich.rules.normalise import linkedin_slug

FIRST = ["Ann", "ann", "ANN", "Zoë", "José", "Jose", "𝜜lex", "İlke", "Straße", "O'Neil", "Li"]
LAST = ["Lee", "Doe", "Núñez", "Nunez", "van Dam", "Smith-Jones", "李", "Müller"]
COMPANY = ["Acme", "Acme, Inc.", "ACME Corp", "Ünïcorn GmbH", "co", "Corp Co", "Beta_Ltd"]
DOMAIN = ["acme.io", "www.Acme.io", "corp.com", "WWW.x.io", "ünï.de"]
LINKEDIN = ["https://www.linkedin.com/in/jane-doe", "https://de.linkedin.com/in/Jane-Doe/",
            "linkedin.com/in/ACoAAB12345678", "https://www.linkedin.com/in/j%C3%B6rg",
            "https://www.linkedin.com/in/ann-lee", "jane-doe"]
LOCAL = ["ann", "Ann.Lee", "jd", "x"]


def _maybe(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


@st.composite
def _email(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()):
        return None
    return f"{draw(st.sampled_from(LOCAL))}@{draw(st.sampled_from(DOMAIN[:4]))}"


_identity = st.builds(
    lambda email, li, first, last, company, domain: (email, li, first, last, company, domain),
    _email(), _maybe(LINKEDIN), _maybe(FIRST), _maybe(LAST), _maybe(COMPANY), _maybe(DOMAIN))


@st.composite
def _lead(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, values in (("email", None), ("linkedin_url", LINKEDIN), ("company", COMPANY)):
        value = draw(_email()) if values is None else draw(_maybe(values))
        if value is not None:
            data[name] = value
    if draw(st.booleans()):
        data["full_name"] = f"{draw(st.sampled_from(FIRST))} {draw(st.sampled_from(LAST))}"
    if draw(st.booleans()):
        data["phone"] = "+15550100"
    return {"data": data, "first": draw(_maybe(FIRST)), "last": draw(_maybe(LAST)),
            "domain": draw(_maybe(DOMAIN))}


def _people(rows: list[tuple[str | None, ...]]) -> list[Identity]:
    return [Identity("person", f"k{n}", email=e, linkedin_url=li, first_name=f, last_name=la,
                     company_name=c, domain=d) for n, (e, li, f, la, c, d) in enumerate(rows)]


def _leads(drawn: list[dict[str, Any]]) -> list[Lead]:
    return [Lead(f"L{n}", d["data"], d["first"], d["last"], d["domain"])
            for n, d in enumerate(drawn)]


def _reference(idents: list[Identity], leads: list[Lead]) -> list[int | None]:
    row = {id(ld): n for n, ld in enumerate(leads)}
    return [None if ld is None else row[id(ld)]
            for ld in join_in_order(idents, LeadIndex(leads))]


def _columns(idents: list[Identity], leads: list[Lead]) -> list[int | None]:
    frame, lead_frame = identity_frame(idents), LeadFrame.of_leads(leads)
    whole = join_frame(frame, lead_frame).to_list()
    assert join_frame(frame, lead_frame, chunk=3).to_list() == whole  # keys 3 rows at a time
    return whole


@settings(max_examples=300, deadline=None)
@given(st.lists(_identity, max_size=12), st.lists(_lead(), max_size=12))
def test_the_same_lead_for_every_identity_as_join_in_order(
        rows: list[tuple[str | None, ...]], drawn: list[dict[str, Any]]) -> None:
    """Namesakes, shared emails, odd unicode names, leads in any order or missing: the column
    join chooses what join_in_order chooses, identity by identity."""
    idents, leads = _people(rows), _leads(drawn)
    assert _columns(idents, leads) == _reference(idents, leads)


@settings(max_examples=200, deadline=None)
@given(st.lists(_identity, min_size=1, max_size=14), st.randoms(use_true_random=False),
       st.integers(0, 3))
@example([(None, None, "Ann", "Lee", "Acme", None)] * 3, Random(0), 0)
def test_leads_made_from_the_rows_join_back_like_join_in_order(
        rows: list[tuple[str | None, ...]], rnd: Random, mess: int) -> None:
    """Leads made of the rows (some fields lost, some leads missing, some swapped): the
    by-position pass and the "every candidate taken" pass give what join_in_order gives."""
    idents = _people(rows)
    leads = []
    for n, (email, li, first, last, company, domain) in enumerate(rows):
        keep = rnd.random
        data = {k: v for k, v in (("email", email), ("linkedin_url", li), ("company", company))
                if v is not None and keep() < 0.6}
        if keep() < 0.3:  # a lead that shows nothing of its row
            leads.append(Lead(f"L{n}", {"phone": "+15550100"} if keep() < 0.5 else {}))
            continue
        leads.append(Lead(f"L{n}", data, first if keep() < 0.7 else None,
                          last if keep() < 0.7 else None, domain if keep() < 0.5 else None))
    for _ in range(mess):
        if leads and rnd.random() < 0.5:
            del leads[rnd.randrange(len(leads))]
        elif len(leads) > 1:
            a, b = rnd.randrange(len(leads)), rnd.randrange(len(leads))
            leads[a], leads[b] = leads[b], leads[a]
    assert _columns(idents, leads) == _reference(idents, leads)


def test_a_lead_id_twice_goes_through_join_in_order() -> None:
    """A list with one lead id twice (never seen): the reference join itself decides."""
    leads = [Lead("L1", {"email": "ann@acme.io"}), Lead("L1", {"email": "bob@acme.io"}),
             Lead("L2", {})]
    idents = _people([("bob@acme.io", None, None, None, None, None),
                      ("ann@acme.io", None, None, None, None, None),
                      (None, None, None, None, None, None)])
    assert _columns(idents, leads) == _reference(idents, leads)


def test_the_captured_shapes_of_a_bulk_run_join_back() -> None:
    """The 100k benchmark's shape, small: every row by LinkedIn, some leads without email."""
    rows = [(f"p{i}@c{i % 7}.com", f"https://www.linkedin.com/in/person-{i}", f"First{i}",
             f"Last{i}", f"Company {i % 7}", f"c{i % 7}.com") for i in range(50)]
    leads = [Lead(f"L{i}", {"linkedin_url": r[1], "company": r[4]}
                  | ({"email": r[0]} if i % 5 else {}), r[2], r[3], r[5])
             for i, r in enumerate(rows)]
    idents = _people(rows)
    assert _columns(idents, leads) == _reference(idents, leads) == list(range(50))


# -- the norms: patterns against the Python functions ------------------------------------------

def _through(norm: Norm, values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    staged, _ = resolve(frame, {"out": raw("v").then(norm)})
    return staged.collect().get_column("out").to_list()


_texts = st.lists(st.one_of(st.text(max_size=12),
                            st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7f),
                                    max_size=16)), max_size=20)


@given(_texts)
@example([" Acme,  Inc. ", "incorporated co", "Beta_Ltd", "sa-plc", "A\tB", "ＡＣＭＥ"])
def test_the_folds_as_patterns_are_the_python_folds(texts: list[str]) -> None:
    """fold and company_fold: the patterns read what they can, exactly as Python does."""
    assert _through(FOLD, [*texts, None]) == [*map(fold, texts), None]
    assert _through(COMPANY_FOLD, texts) == [company_fold(t) for t in texts]


@given(st.lists(st.sampled_from([*LINKEDIN, "https://www.linkedin.com/in/TBD", "in/x", "",
                                 "http://m.linkedin.com/in/Ann_Lee/", "https://x.com/in/ab"]),
                max_size=8))
def test_slugs_as_patterns_are_linkedin_slug(urls: list[str]) -> None:
    """The LinkedIn slug a lead or identity is keyed by, through the pattern or Python."""
    assert _through(SLUG, urls) == [linkedin_slug(u) for u in urls]


# -- pages as columns --------------------------------------------------------------------------

_value = st.one_of(st.none(), st.just(""), st.sampled_from(["Ann", "Acme", "x@y.io", "valid"]),
                   st.integers(0, 9), st.lists(st.sampled_from(["a", "", "b"]), max_size=3))
_raw_lead = st.fixed_dictionaries(
    {"lead_id": st.integers(0, 10**6)},
    optional=dict.fromkeys(("first_name", "last_name", "full_name", "email", "email_status",
                            "phone", "linkedin_url", "title", "company", "domain"), _value))


@given(st.lists(st.lists(_raw_lead, max_size=6), max_size=3))
def test_pages_read_as_columns_give_the_leads_of_parse_leads_page(
        pages: list[list[dict[str, Any]]]) -> None:
    """Every page's leads as columns, then as `Lead`s again: the same values in the same order
    of their data as parse_leads_page (a full name made of the names last)."""
    bodies = [{"leads": p, "total": 9, "cursor": None} for p in pages]
    frame = LeadFrame.of_pages([parse_leads_columns(b) for b in bodies])
    expected = [ld for b in bodies for ld in parse_leads_page(b).leads]
    got = frame.leads()
    assert got == expected
    assert [list(ld.data.items()) for ld in got] == [list(ld.data.items()) for ld in expected]


def test_lead_data_is_a_read_only_mapping_equal_to_the_dict() -> None:
    """An Outcome holding LeadData is journaled, copied and pickled like one holding a dict."""
    lead = Lead("L1", {"email": "a@b.io", "title": "CEO", "full_name": "Ann Lee"}, "Ann", "Lee")
    table = LeadTable(LeadFrame.of_leads([lead]).frame)
    data = LeadData(table, 0)
    assert data == lead.data
    assert lead.data == data
    assert dict(data) == lead.data
    assert list(data) == ["email", "title", "full_name"]
    assert len(data) == 3
    assert data.get("phone") is None
    assert "phone" not in data
    assert data["email"] == "a@b.io"
    outcome = Outcome("k", "enriched", data=data)
    assert copy.deepcopy(data) is data
    assert asdict(outcome)["data"] == lead.data
    assert json.dumps(dict(pickle.loads(pickle.dumps(outcome)).data)) == json.dumps(lead.data)
