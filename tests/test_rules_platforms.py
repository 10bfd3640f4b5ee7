"""Platform pages (LinkedIn, Facebook, link shorteners) are never a company's domain (QA 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from csv_enrich import rules
from csv_enrich.mapping.columns import map_columns, row_values
from csv_enrich.mapping.context import only_platform_pages, platform_notes
from csv_enrich.models import Identity, Invalid
from csv_enrich.read import read_table
from csv_enrich.rules.columns import platform_sites


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("https://www.linkedin.com/sales/company/1234", "LinkedIn"),
        ("https://www.facebook.com/acme", "Facebook"),
        ("fb.com/acme", "Facebook"),
        ("https://x.com/acme", "X"),
        ("instagram.com/acme", "Instagram"),
        ("https://bit.ly/3abc", "Bitly"),
        ("https://www.crunchbase.com/organization/acme", "Crunchbase"),
        ("https://github.com/acme", "GitHub"),
        ("https://www.google.com/maps/place/Acme", "Google Maps"),
        ("https://maps.app.goo.gl/xyz", "Google Maps"),
        ("uk.linkedin.com/company/acme", "LinkedIn"),
    ],
)
def test_platform_pages_are_named(text: str, site: str) -> None:
    """A platform page is recognised and gives no company domain."""
    assert rules.platform_of(text) == site
    assert rules.company_domain(text) is None


@pytest.mark.parametrize("text", ["acme.io", "https://www.acme.io/about", "xbox.com", "ax.com"])
def test_company_sites_are_not_platforms(text: str) -> None:
    """Ordinary company websites (even ones ending like a platform name) keep their domain."""
    assert rules.platform_of(text) is None
    assert rules.company_domain(text) == rules.normalise_domain(text)


def test_person_with_a_platform_website_uses_the_company_name() -> None:
    """A Sales Navigator company link is not a domain: the person goes by name + company."""
    values = {
        "first_name": "Jane", "last_name": "Doe", "company_name": "Acme Analytics",
        "website": "https://www.linkedin.com/sales/company/1234",
    }  # fmt: skip
    verdict = rules.validate(values, "person")
    assert isinstance(verdict, Identity)
    assert verdict.domain is None
    assert verdict.key == "name:jane|doe|acme analytics"


def test_platform_only_rows_say_why() -> None:
    """A row whose only domain is a platform page is invalid with a reason naming the site."""
    person = rules.validate(
        {"first_name": "Jane", "last_name": "Doe", "website": "https://facebook.com/acme"},
        "person",
    )
    company = rules.validate({"website": "https://www.linkedin.com/company/hooli"}, "company")
    assert isinstance(person, Invalid)
    assert isinstance(company, Invalid)
    assert "is a Facebook page, not the company's website" in person.reason
    assert "is a LinkedIn page, not the company's website" in company.reason


def test_companies_file_sends_no_platform_domains(tmp_path: Path) -> None:
    """Facebook and LinkedIn pages in a Website column fall back to the name, with a note."""
    path = tmp_path / "c.csv"
    path.write_text(
        "Account Name,Website\nFacebook page,https://www.facebook.com/acme\n"
        "LinkedIn page,https://www.linkedin.com/company/hooli\nHooli,hooli.com\n"
    )
    table = read_table(path)
    cmap = map_columns(table, kind="company")
    keys = [getattr(rules.validate(v, "company"), "key", None) for v in row_values(table, cmap)]
    assert keys == ["name:facebook page", "name:linkedin page", "domain:hooli.com"]
    assert any("holds Facebook and LinkedIn pages" in n for n in cmap.notes)


@pytest.mark.parametrize("cells", [
    ["https://www.facebook.com/acme", "https://www.linkedin.com/company/hooli", "hooli.com"],
    ["https://www.facebook.com/acme", "https://www.linkedin.com/company/hooli"],
    ["hooli.com", "acme.io"], ["", ""],
])  # fmt: skip
def test_a_columns_platform_sites_are_worked_out_once_and_stay(
    tmp_path: Path, cells: list[str]
) -> None:
    """The mapping asks twice for the website column's platform pages (only_platform_pages,
    platform_notes): the second answer is the first, and both are platform_sites' own."""
    path = tmp_path / "c.csv"
    path.write_text("Account Name,Website\n" + "".join(f"Acme {i},{c}\n"
                                                       for i, c in enumerate(cells)))
    table = read_table(path)
    expected = platform_sites(table.blanked.get_column("Website"))
    assert only_platform_pages(table, "Website") == expected[1]
    notes = platform_notes(table, {"website": "Website"})
    assert platform_notes(table, {"website": "Website"}) == notes
    assert bool(notes) == bool(expected[0])
    assert only_platform_pages(read_table(path), "Website") == expected[1]
    cmap = map_columns(table, kind="company")
    assert cmap == map_columns(read_table(path), kind="company")
