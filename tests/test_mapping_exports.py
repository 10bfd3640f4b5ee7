"""Known export pairs resolve without --map (QA 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from csv_enrich.errors import MappingError
from csv_enrich.mapping.columns import map_columns, row_values
from csv_enrich.models import Identity
from csv_enrich.read import read_table
from csv_enrich.rules.validate import validate

PHANTOM = (
    "firstName,lastName,fullName,companyName,profileUrl,defaultProfileUrl,linkedInProfileUrl,"
    "companyUrl\n"
    'Jane,Doe,Jane Doe,Acme Analytics,"https://www.linkedin.com/sales/lead/ACwAAAB1234,NAME,ab",'
    "https://www.linkedin.com/sales/people/ACwAAAB1234,https://www.linkedin.com/in/jane-doe-13f1,"
    "https://www.linkedin.com/sales/company/1234\n"
    'Aisha,Bello,Aisha Bello,Acme,"https://www.linkedin.com/sales/lead/ACwAAAB9999,NAME,ef",'
    "https://www.linkedin.com/sales/people/ACwAAAB9999,,https://www.linkedin.com/sales/company/55\n"
)


def test_phantombuster_sales_navigator_export_maps(tmp_path: Path) -> None:
    """The /in/ column beats the Sales Navigator ones, which only fill in, with a note."""
    path = tmp_path / "s.csv"
    path.write_text(PHANTOM)
    table = read_table(path)
    cmap = map_columns(table)
    assert cmap.fields["linkedin_url"] == "linkedInProfileUrl"
    assert any("'defaultProfileUrl' holds Sales Navigator links" in n for n in cmap.notes)
    verdicts = [validate(v, cmap.kind) for v in row_values(table, cmap)]
    keys = [v.key if isinstance(v, Identity) else None for v in verdicts]
    assert keys == ["li:jane-doe-13f1", "name:aisha|bello|acme"]


def test_classic_apollo_export_maps(tmp_path: Path) -> None:
    """'Company' and 'Company Name for Emails' are not an ambiguity: the latter fills in."""
    path = tmp_path / "a.csv"
    path.write_text(
        "First Name,Last Name,Company,Company Name for Emails,Email,Person Linkedin Url,Website\n"
        "Jane,Doe,Acme Analytics,Acme,jane@acme.io,http://www.linkedin.com/in/jane-doe,acme.io\n"
        "Ravi,Kapoor,,Tidewater,,,\n"
    )
    table = read_table(path)
    cmap = map_columns(table)
    assert cmap.fields["company_name"] == "Company"
    assert cmap.fallbacks["company_name"] == ("Company Name for Emails",)
    verdicts = [validate(v, cmap.kind) for v in row_values(table, cmap)]
    keys = [v.key if isinstance(v, Identity) else None for v in verdicts]
    assert keys == ["li:jane-doe", "name:ravi|kapoor|tidewater"]


def test_two_real_email_columns_are_still_ambiguous(tmp_path: Path) -> None:
    """Demoting applies only to columns whose values do not fit: two real ones still ask."""
    path = tmp_path / "e.csv"
    path.write_text("Email,E-mail\njane@acme.io,j@gmail.com\n")
    table = read_table(path)
    with pytest.raises(MappingError, match="ambiguous"):
        map_columns(table)
