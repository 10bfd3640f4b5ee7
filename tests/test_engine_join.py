"""Joining leads read back from a list onto identities: keys, and the order-anchored fallback."""

from __future__ import annotations

from random import Random

from hypothesis import example, given
from hypothesis import strategies as st

from csv_enrich.api.client import Lead
from csv_enrich.engine.join import (
    LeadIndex,
    company_fold,
    fold,
    identity_keys,
    join_in_order,
    lead_keys,
)
from csv_enrich.models import Identity


def lead(lead_id: str, **data: str) -> Lead:
    """A lead with Outcome.data-style fields (first/last names split out)."""
    first, last = data.pop("first_name", None), data.pop("last_name", None)
    domain = data.pop("domain", None)
    return Lead(lead_id, data, first, last, domain)


def test_linkedin_forms_and_email_case_match() -> None:
    """A regional LinkedIn URL and an upper-case email still find their leads."""
    index = LeadIndex([lead("l1", linkedin_url="https://www.linkedin.com/in/jane-doe"),
                       lead("l2", email="bob@acme.io")])
    jane = Identity("person", "li:jane-doe", linkedin_url="https://de.linkedin.com/in/Jane-Doe/")
    bob = Identity("person", "email:bob@acme.io", email="Bob@Acme.io")
    assert index.match(jane).lead_id == "l1"  # type: ignore[union-attr]
    assert index.match(bob).lead_id == "l2"  # type: ignore[union-attr]


def test_names_match_through_company_or_email_domain() -> None:
    """First + last name join on the company name (suffixes ignored) or the email's domain."""
    index = LeadIndex([lead("l1", first_name="José", last_name="Núñez", company="Acme, Inc."),
                       lead("l2", first_name="Ann", last_name="Lee", email="ann.lee@corp.com")])
    jose = Identity("person", "name:x", first_name="jose", last_name="nunez",
                    company_name="ACME")
    ann = Identity("person", "name:y", first_name="Ann", last_name="Lee", domain="corp.com")
    assert index.match(jose).lead_id == "l1"  # type: ignore[union-attr]
    assert index.match(ann).lead_id == "l2"  # type: ignore[union-attr]


def test_order_fills_gaps_between_matched_neighbours() -> None:
    """A lead with nothing in common with its row is still its row's when the order says so."""
    idents = [Identity("person", f"email:p{i}@x.io", email=f"p{i}@x.io") for i in range(4)]
    leads = [lead("a", email="p0@x.io"), lead("b", first_name="Zed", last_name="Q"),
             lead("c", email="p2@x.io"), lead("d")]
    found = join_in_order(idents, LeadIndex(leads))
    assert [f.lead_id if f else None for f in found] == ["a", "b", "c", "d"]


def test_out_of_order_lists_join_by_keys_only() -> None:
    """When matched leads come back in another order, no positional guess is made."""
    idents = [Identity("person", f"email:p{i}@x.io", email=f"p{i}@x.io") for i in range(3)]
    leads = [lead("c", email="p2@x.io"), lead("b"), lead("a", email="p0@x.io")]
    found = join_in_order(idents, LeadIndex(leads))
    assert [f.lead_id if f else None for f in found] == ["a", None, "c"]


@given(st.lists(st.booleans(), min_size=1, max_size=60))
def test_join_recovers_every_row_when_the_order_is_kept(known: list[bool]) -> None:
    """Whatever share of leads shows a key, an order-preserving list joins back completely."""
    idents = [Identity("person", f"email:p{i}@x.io", email=f"p{i}@x.io")
              for i in range(len(known))]
    leads = [lead(f"l{i}", email=f"p{i}@x.io") if k else lead(f"l{i}")
             for i, k in enumerate(known)]
    found = join_in_order(idents, LeadIndex(leads))
    assert [f.lead_id if f else None for f in found] == [f"l{i}" for i in range(len(known))]


@given(st.text(max_size=30))
@example("𝜜")  # a compatibility capital: casefold first left "Α" behind
def test_folds_are_idempotent(text: str) -> None:
    """Folding a folded name or company changes nothing."""
    assert fold(fold(text)) == fold(text)
    assert company_fold(company_fold(text)) == company_fold(text)


def test_a_row_by_email_keeps_its_lead_and_the_namesake_row_gets_the_other() -> None:
    """QA (issue 10): a row by email and a row by name + company whose names match the email's
    lead: each gets its own lead (the one with fewer candidates chooses first), not both the
    first lead, so each row carries the credits of the lead the API charged for it."""
    index = LeadIndex([
        lead("l1", email="jane.doe@acme.io", first_name="Jane", last_name="Doe", company="Acme"),
        lead("l2", first_name="Jane", last_name="Doe", company="Acme", phone="+1555"),
    ])
    by_name = Identity("person", "name:jane|doe|acme", first_name="Jane", last_name="Doe",
                       company_name="Acme")
    by_email = Identity("person", "email:jane.doe@acme.io", email="jane.doe@acme.io")
    found = join_in_order([by_name, by_email], index)
    assert [ld.lead_id if ld else None for ld in found] == ["l2", "l1"]


def test_one_lead_for_two_rows_is_given_to_both() -> None:
    """When the API made one lead of two identities, both rows get it (the caller charges it
    once and marks the other row as the same person)."""
    index = LeadIndex([lead("l1", email="jane@acme.io",
                            linkedin_url="https://www.linkedin.com/in/jane-doe")])
    by_li = Identity("person", "li:jane-doe", linkedin_url="https://www.linkedin.com/in/jane-doe")
    by_email = Identity("person", "email:jane@acme.io", email="jane@acme.io")
    found = join_in_order([by_li, by_email], index)
    assert [ld.lead_id if ld else None for ld in found] == ["l1", "l1"]


_names = st.sampled_from(["Ann", "Bob", "Zoë"])
_leads = st.lists(st.builds(
    lambda first, last, at, company: lead("", first_name=first, last_name=last,
                                          email=f"{first}@{at}", company=company),
    _names, _names, st.sampled_from(["acme.io", "corp.com"]), st.sampled_from(["Acme", "Corp"]),
), max_size=12)


@given(_leads, _names, _names, st.sampled_from(["acme.io", "corp.com", "other.org"]))
def test_candidates_are_every_lead_sharing_a_key_strongest_key_first(
    leads: list[Lead], first: str, last: str, at: str,
) -> None:
    """Whether a key is held by one lead or by several, an identity's candidates are the leads
    sharing its first key in list order, then those sharing the next one, each lead once."""
    leads = [Lead(f"l{n}", ld.data, ld.first_name, ld.last_name) for n, ld in enumerate(leads)]
    ident = Identity("person", "n:x", first_name=first, last_name=last, email=f"{first}@{at}",
                     company_name="Acme")
    expected: dict[str, Lead] = {}
    for key in identity_keys(ident):
        for ld in leads:
            if key in lead_keys(ld):
                expected.setdefault(ld.lead_id, ld)
    assert LeadIndex(leads).candidates(ident) == list(expected.values())


def test_a_row_known_by_its_email_keeps_its_lead_beside_a_name_only_namesake() -> None:
    """Regression (acceptance: after Ctrl-C and an edited file, 425 rows got a namesake's
    email): a name-only row and a row with an email under the same name both had two candidate
    leads; the name-only row chose first and took the email row's own lead."""
    name_only = Identity(kind="person", key="name:paula|schmidt|acme.io", first_name="Paula",
                         last_name="Schmidt", company_name="Acme", domain="acme.io")
    with_email = Identity(kind="person", key="email:paula.1@acme.io", email="paula.1@acme.io",
                          first_name="Paula", last_name="Schmidt", company_name="Acme",
                          domain="acme.io")
    his = Lead("L1", {"email": "paula.1@acme.io"}, "Paula", "Schmidt")
    namesake = Lead("L2", {"email": "paula.schmidt@acme.io"}, "Paula", "Schmidt")
    for leads in ([his, namesake], [namesake, his]):
        got = join_in_order([name_only, with_email], LeadIndex(leads))
        assert [g.lead_id if g else None for g in got] == ["L2", "L1"]


@given(st.lists(st.booleans(), min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_every_row_with_an_email_gets_the_lead_with_that_email(
        has_email: list[bool], rnd: Random) -> None:
    """Namesakes all (one name, one company): whatever the order of rows and leads, each row
    with an email gets the lead holding it, and the name-only rows get the other leads."""
    idents = [Identity(kind="person", key=f"k{n}", email=f"p{n}@acme.io" if e else None,
                       first_name="Ann", last_name="Lee", company_name="Acme", domain="acme.io")
              for n, e in enumerate(has_email)]
    leads = [Lead(f"L{n}", {"email": f"p{n}@acme.io"}, "Ann", "Lee")
             for n in range(len(has_email))]
    rnd.shuffle(leads)
    got = join_in_order(idents, LeadIndex(leads))
    for n, e in enumerate(has_email):
        assert got[n] is not None
        if e:
            assert got[n].data["email"] == f"p{n}@acme.io"
    assert len({g.lead_id for g in got if g}) == len(has_email)
