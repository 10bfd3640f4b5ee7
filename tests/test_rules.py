"""Normalisers and validate(): identifiers as people paste them, and reasons for refusals."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich import rules
from csv_enrich.models import Identity, Invalid

LINKEDIN_FORMS = [
    "https://www.linkedin.com/in/jane-doe",
    "linkedin.com/in/jane-doe",
    "www.linkedin.com/in/Jane-Doe/",
    "http://uk.linkedin.com/in/jane-doe?trk=profile",
    "https://m.linkedin.com/in/jane-doe/details/experience/",
    "https://de.linkedin.com/in/jane-doe#top",
    " https://www.linkedin.com/in/jane-doe/ ",
    "jane-doe",
]


@pytest.mark.parametrize("form", LINKEDIN_FORMS)
def test_linkedin_forms_become_canonical(form: str) -> None:
    """Every common form of a profile URL becomes https://www.linkedin.com/in/<slug>."""
    assert rules.normalise_linkedin(form) == "https://www.linkedin.com/in/jane-doe"


def test_old_pub_path_becomes_in_slug() -> None:
    """An old /pub/name/a/b/c path maps to the /in/name-cba slug LinkedIn redirects to."""
    url = "http://www.linkedin.com/pub/jane-doe/1a/2b3/4c5"
    assert rules.normalise_linkedin(url) == "https://www.linkedin.com/in/jane-doe-4c52b31a"


@pytest.mark.parametrize(
    "text",
    [
        "https://www.linkedin.com/company/acme",
        "https://www.linkedin.com/school/mit/",
        "https://www.linkedin.com/showcase/acme-cloud",
    ],
)
def test_company_pages_are_not_profiles(text: str) -> None:
    """Company, school and showcase pages are refused as a person's LinkedIn URL."""
    assert rules.normalise_linkedin(text) is None
    assert rules.is_linkedin_company(text)
    verdict = rules.validate({"linkedin_url": text}, "person")
    assert verdict == Invalid("the LinkedIn URL is a company page, not a person's profile")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane@Acme.IO", "jane@acme.io"),
        ("mailto:jane@acme.io", "jane@acme.io"),
        ("MAILTO:jane@acme.io?subject=hi", "jane@acme.io"),
        ("Jane Doe <jane@acme.io>", "jane@acme.io"),
        ('"Doe, Jane" <jane@acme.io>', "jane@acme.io"),
        ("  jane.o'neil+crm@acme.co.uk\u00a0", "jane.o'neil+crm@acme.co.uk"),
        ("jane@", None),
        ("jane@acme", None),
        ("jane doe@acme.io", None),
        ("@acme.io", None),
        ("jane@@acme.io", None),
    ],
)
def test_email_forms(text: str, expected: str | None) -> None:
    """Emails are trimmed, unwrapped, lower-cased and syntax-checked."""
    assert rules.normalise_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acme.io", "acme.io"),
        ("https://www.Acme.io/about?x=1", "acme.io"),
        ("http://acme.io:8080", "acme.io"),
        ("WWW.ACME.CO.UK.", "acme.co.uk"),
        ("jane@acme.io", "acme.io"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("localhost", None),
        ("not a domain", None),
        ("acme", None),
        ("-acme.io", None),
    ],
)
def test_domain_forms(text: str, expected: str | None) -> None:
    """Domains come bare from domains, URLs and emails."""
    assert rules.normalise_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe", ("Jane", "Doe")),
        ("Doe, Jane", ("Jane", "Doe")),
        ("Dr. Jane Doe", ("Jane", "Doe")),
        ("Jane van der Berg", ("Jane", "van der Berg")),
        ("Prof. Dr. Hans Müller", ("Hans", "Müller")),
        ("Jane Doe Jr.", ("Jane", "Doe")),
        ("Jane Doe, PhD", ("Jane", "Doe")),
        ("Jane", None),
        ("Mr. Smith", None),
    ],
)
def test_full_name_split(text: str, expected: tuple[str, str] | None) -> None:
    """A full name splits into first and last, with "Last, First", titles and suffixes handled."""
    assert rules.split_full_name(text) == expected


def test_tickers() -> None:
    """Tickers are upper-cased without "$" or an exchange prefix."""
    assert rules.normalise_ticker("$acme") == "ACME"
    assert rules.normalise_ticker("NASDAQ: msft") == "MSFT"
    assert rules.normalise_ticker("BRK.B") == "BRK.B"
    assert rules.normalise_ticker("not a ticker") is None


def test_person_key_prefers_linkedin_then_email_then_id_then_name() -> None:
    """The identity key picks the strongest identifier the row has."""
    full = {"linkedin_url": "linkedin.com/in/jane-doe", "email": "jane@acme.io", "person_id": "p1"}
    assert _key(full, "person") == "li:jane-doe"
    assert _key({"email": "Jane@Acme.io", "person_id": "p1"}, "person") == "email:jane@acme.io"
    assert _key({"person_id": "p1", "first_name": "Jane"}, "person") == "pid:p1"
    name = {"first_name": "José", "last_name": "Doe", "company_name": "Acme", "domain": "acme.io"}
    assert _key(name, "person") == "name:jose|doe|acme.io"
    no_domain = {"first_name": "Jane", "last_name": "Doe", "company_name": " Acme  Inc "}
    assert _key(no_domain, "person") == "name:jane|doe|acme inc"


def test_identity_carries_every_valid_identifier() -> None:
    """Every valid identifier is sent, normalised, not only the one in the key."""
    verdict = rules.validate(
        {"email": "Jane@Acme.io", "linkedin_url": "uk.linkedin.com/in/jane-doe/",
         "full_name": "Doe, Jane", "website": "https://www.acme.io/", "phone": "+1 (415) 555-0123"},
        "person",
    )  # fmt: skip
    assert verdict == Identity(
        kind="person", key="li:jane-doe", email="jane@acme.io",
        linkedin_url="https://www.linkedin.com/in/jane-doe", first_name="Jane", last_name="Doe",
        domain="acme.io", phone="+14155550123", aliases=("li:jane-doe", "email:jane@acme.io"),
    )  # fmt: skip


def test_company_key_order() -> None:
    """Companies key on domain, then company id, then ticker, then name."""
    assert (
        _key({"website": "https://acme.io", "company_name": "Acme"}, "company") == "domain:acme.io"
    )
    assert _key({"company_id": "c_1", "company_ticker": "ACME"}, "company") == "cid:c_1"
    assert _key({"company_ticker": "$acme", "company_name": "Acme"}, "company") == "ticker:acme"
    assert _key({"company_name": "  ACME  Corp"}, "company") == "name:acme corp"
    assert _key({"email": "jane@acme.io"}, "company") == "domain:acme.io"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({}, "no email, LinkedIn URL, person id, or first + last name with a company or domain"),
        ({"email": "jane@"}, "email 'jane@' is not a valid address"),
        ({"first_name": "Jane", "last_name": "Doe"},
         "a first and last name need a company name or domain too"),
        ({"first_name": "Jane", "company_name": "Acme"},
         "a first and a last name are both needed with the company"),
        ({"linkedin_url": "https://www.linkedin.com/sales/lead/ACwAAB123,NAME_SEARCH,x1"},
         "the LinkedIn URL is a Sales Navigator link; export the public profile URL instead"),
        ({"linkedin_url": "https://twitter.com/jane"},
         "'https://twitter.com/jane' is not a LinkedIn profile URL"),
    ],
)  # fmt: skip
def test_person_reasons(values: dict[str, str], reason: str) -> None:
    """A row that cannot be sent says why in words a person understands."""
    assert rules.validate(values, "person") == Invalid(reason)


def test_company_reasons() -> None:
    """Company rows without a usable identifier say what is missing or wrong."""
    assert rules.validate({}, "company") == Invalid(
        "no domain, website, company name, ticker or company id"
    )
    assert rules.validate({"domain": "acme"}, "company") == Invalid(
        "domain 'acme' is not a valid domain"
    )
    assert rules.validate({"email": "jane@gmail.com"}, "company") == Invalid(
        "the email is not a work address a domain can be taken from"
    )


def _key(values: dict[str, str], kind: str) -> str:
    verdict = rules.validate(values, kind)  # type: ignore[arg-type]
    assert isinstance(verdict, Identity), verdict
    return verdict.key


_NO_SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=_NO_SURROGATES), max_size=40
) | st.sampled_from(LINKEDIN_FORMS + ["Jane@Acme.io", "mailto:x@y.co", "https://www.a-b.io/x"])


@given(_text)
def test_normalisers_are_idempotent(text: str) -> None:
    """Normalising a normalised value changes nothing."""
    for normalise in (
        rules.normalise_email, rules.normalise_linkedin, rules.normalise_domain,
        rules.normalise_name, rules.normalise_company, rules.normalise_ticker,
        rules.normalise_id, rules.normalise_phone,
    ):  # fmt: skip
        once = normalise(text)
        assert once is None or normalise(once) == once, (normalise.__name__, text, once)


@given(st.dictionaries(st.sampled_from(["email", "linkedin_url", "first_name", "last_name",
                                        "full_name", "company_name", "domain", "website",
                                        "person_id", "company_ticker", "company_id", "phone"]),
                       _text, max_size=6),
       st.sampled_from(["person", "company"]))  # fmt: skip
def test_validate_never_raises(values: dict[str, str], kind: str) -> None:
    """validate() returns an Identity or an Invalid for any text at all."""
    verdict = rules.validate(values, kind)  # type: ignore[arg-type]
    assert isinstance(verdict, Identity | Invalid)
    if isinstance(verdict, Invalid):
        assert verdict.reason


def test_aliases_name_every_strong_key_of_a_person() -> None:
    """A row with an email and a LinkedIn URL answers to both, so a row with either is the same
    person; the name key is an alias only when there is no strong identifier."""
    both = rules.validate(
        {"email": "Hannah@Quillstack.com", "linkedin_url": "linkedin.com/in/hannah-okafor"},
        "person",
    )
    assert isinstance(both, Identity)
    assert both.aliases == ("li:hannah-okafor", "email:hannah@quillstack.com")
    named = rules.validate(
        {"first_name": "Jane", "last_name": "Doe", "domain": "acme.io"}, "person"
    )
    assert isinstance(named, Identity)
    assert named.aliases == (named.key,)
    company = rules.validate({"company_name": "Acme", "domain": "acme.io"}, "company")
    assert isinstance(company, Identity)
    assert company.aliases == ("domain:acme.io",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jüri@bücher.de", "jüri@bücher.de"),
        ("Ännchen.Weiß@Bücher.de", "ännchen.weiß@bücher.de"),
        ("ça@b.fr", "ça@b.fr"),
        ("x@xn--bcher-kva.de", "x@xn--bcher-kva.de"),
        ("jane..doe@acme.io", None),
        ("jü ri@bücher.de", None),
        ("jüri@bü_cher.de", None),
    ],
)
def test_internationalised_emails(text: str, expected: str | None) -> None:
    """UTF-8 local parts and IDN domains are valid addresses (RFC 6531), lower-cased."""
    assert rules.normalise_email(text) == expected


def test_work_domain_of_an_idn_email_is_punycode() -> None:
    """A company domain from an IDN work email has the same form as one from a website."""
    assert rules.work_domain("jüri@bücher.de") == rules.normalise_domain("https://bücher.de")
    assert rules.work_domain("bob@gmail.com") is None


@given(st.text(max_size=30))
def test_name_fold_is_idempotent(text: str) -> None:
    """Folding a folded name changes nothing (compatibility letters like '𝜜' included)."""
    assert rules.fold(rules.fold(text)) == rules.fold(text)


def test_name_keys_are_registered_but_looked_up_only_without_a_strong_key() -> None:
    """Issue 10: a person is registered under name + domain and name + company too, but only
    a person with no email, LinkedIn URL or person id is looked up by them."""
    from csv_enrich.rules.validate import lookup_keys, name_keys

    strong = rules.validate({"email": "jo@acme.io", "first_name": "Jo", "last_name": "Ng",
                       "company_name": "Acme", "domain": "acme.io"}, "person")
    weak = rules.validate({"first_name": "Jo", "last_name": "Ng", "company_name": "Acme"}, "person")
    assert isinstance(strong, Identity)
    assert isinstance(weak, Identity)
    assert set(name_keys(strong)) == {"name:jo|ng|acme.io", "name:jo|ng|acme"}
    assert "name:jo|ng|acme" not in lookup_keys(strong)
    assert "name:jo|ng|acme" in lookup_keys(weak)
