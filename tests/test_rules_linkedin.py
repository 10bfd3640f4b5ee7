"""LinkedIn handles: bare forms treated alike, placeholder words refused, member ids keep
their case (QA 9)."""

from __future__ import annotations

import pytest

from csv_enrich import rules
from csv_enrich.models import Identity, Invalid


@pytest.mark.parametrize(
    "text", ["jane-doe", "in/jane-doe", "/in/jane-doe/", "@jane-doe", "Jane-Doe",
             "https://www.linkedin.com/mwlite/in/jane-doe"],
)  # fmt: skip
def test_bare_handles_are_accepted_alike(text: str) -> None:
    """Every way of writing a handle without the host gives the same profile."""
    assert rules.normalise_linkedin(text) == "https://www.linkedin.com/in/jane-doe"


@pytest.mark.parametrize(
    "text", ["unknown", "TBD", "tba", "Pending", "private", "@unknown", "in/tbd",
             "https://www.linkedin.com/in/unknown"],
)  # fmt: skip
def test_placeholder_words_are_not_handles(text: str) -> None:
    """Words typed where no handle is known are refused, never sent as /in/<word>."""
    assert rules.linkedin_slug(text) is None
    assert isinstance(rules.validate({"linkedin_url": text}, "person"), Invalid)


def test_placeholder_handle_does_not_hide_the_email() -> None:
    """A row with "TBD" for LinkedIn is still enriched by its email."""
    verdict = rules.validate({"linkedin_url": "TBD", "email": "jane@acme.io"}, "person")
    assert isinstance(verdict, Identity)
    assert verdict.key == "email:jane@acme.io"


def test_member_ids_keep_their_case() -> None:
    """An ACoAA... member id is case-sensitive: kept in the URL and in the key."""
    url = "https://www.linkedin.com/in/ACoAAAB1234xyz"
    assert rules.normalise_linkedin(url) == url
    verdict = rules.validate({"linkedin_url": url + "/"}, "person")
    assert isinstance(verdict, Identity)
    assert verdict.key == "li:ACoAAAB1234xyz"
    other = rules.validate({"linkedin_url": "https://www.linkedin.com/in/ACoAAAB1234XYZ"}, "person")
    assert isinstance(other, Identity)
    assert other.key != verdict.key


def test_vanity_slugs_are_still_case_insensitive() -> None:
    """Ordinary profile slugs are lower-cased, so JaneDoe and janedoe are one person."""
    assert rules.linkedin_slug("linkedin.com/IN/JaneDoe-A9") == "janedoe-a9"
