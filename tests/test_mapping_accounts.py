"""Company files and their contact emails (QA 10): the email fills in a missing website, and an
accounts export is read as companies."""

from __future__ import annotations

from pathlib import Path

from csv_enrich.mapping.columns import map_columns, row_values
from csv_enrich.models import Identity
from csv_enrich.read import read_table
from csv_enrich.rules.validate import validate

ACCOUNTS = (
    "Account Name,Website,Ticker,Industry,Contact Email\n"
    "Acme Analytics,https://www.acmeanalytics.io/about,,Software,jane@acmeanalytics.io\n"
    "Stripe,stripe.com,,,\n"
    ",,,,carol@initech.com\n"
    "Gmail person,,,,bob@gmail.com\n"
)


def _keys(path: Path, kind: str) -> tuple[str, list[str | None]]:
    table = read_table(path)
    cmap = map_columns(table, kind=kind)  # type: ignore[arg-type]
    verdicts = [validate(v, cmap.kind) for v in row_values(table, cmap)]
    return cmap.kind, [v.key if isinstance(v, Identity) else None for v in verdicts]


def test_company_email_fills_in_an_empty_website(tmp_path: Path) -> None:
    """With --kind company, a row with only a work email gets the email's domain."""
    path = tmp_path / "a.csv"
    path.write_text(ACCOUNTS)
    kind, keys = _keys(path, "company")
    assert kind == "company"
    assert keys == [
        "domain:acmeanalytics.io", "domain:stripe.com", "domain:initech.com", "name:gmail person"
    ]  # fmt: skip


def test_accounts_export_is_read_as_companies(tmp_path: Path) -> None:
    """Company columns plus one "Contact Email" are an accounts file in auto mode, with a note."""
    path = tmp_path / "a.csv"
    path.write_text(ACCOUNTS)
    table = read_table(path)
    cmap = map_columns(table)
    assert cmap.kind == "company"
    assert cmap.fields["email"] == "Contact Email"
    assert any("use --kind person" in n for n in cmap.notes)


def test_people_with_a_contact_email_stay_people(tmp_path: Path) -> None:
    """A file with names and a "Contact Email" is still a person file."""
    path = tmp_path / "p.csv"
    path.write_text(
        "First Name,Last Name,Company,Website,Contact Email\nJ,D,Acme,acme.io,j@acme.io\n"
    )
    assert map_columns(read_table(path)).kind == "person"


def test_plain_email_with_company_columns_stays_people(tmp_path: Path) -> None:
    """An "Email" column (not a contact of the account) keeps the file a person file."""
    path = tmp_path / "p.csv"
    path.write_text("Company,Website,Email\nAcme,acme.io,jane@acme.io\n")
    assert map_columns(read_table(path)).kind == "person"
