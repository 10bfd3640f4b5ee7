"""map_columns, row_values, has_identifiers on small CSV files shaped like real exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from csv_enrich.errors import MappingError
from csv_enrich.mapping.columns import ColumnMap, has_identifiers, map_columns, row_values
from csv_enrich.read import Table, read_table


def _table(tmp_path: Path, headers: list[str], *rows: list[str]) -> Table:
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([headers, *rows])
    return read_table(path)


def _fields(tmp_path: Path, headers: list[str], *rows: list[str]) -> dict[str, str]:
    return dict(map_columns(_table(tmp_path, headers, *rows)).fields)


EXPORTS = {
    "hubspot": (["Record ID", "First Name", "Last Name", "Email", "Company Name", "Website URL"],
                {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
                 "company_name": "Company Name", "website": "Website URL"}),
    "salesforce": (["Contact ID", "First Name", "Last Name", "Account Name", "Email", "Title"],
                   {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
                    "company_name": "Account Name"}),
    "apollo": (["First Name", "Last Name", "Title", "Company Name for Emails", "Email",
                "Person Linkedin Url", "Website", "Corporate Phone"],
               {"email": "Email", "linkedin_url": "Person Linkedin Url", "first_name": "First Name",
                "last_name": "Last Name", "company_name": "Company Name for Emails",
                "website": "Website", "phone": "Corporate Phone"}),
    "sales_navigator": (["firstName", "lastName", "companyName", "linkedInProfileUrl", "title"],
                        {"linkedin_url": "linkedInProfileUrl", "first_name": "firstName",
                         "last_name": "lastName", "company_name": "companyName"}),
    "pipedrive": (["Person - Name", "Person - Email - Work", "Person - Organization",
                   "Person - Phone - Work"],
                  {"email": "Person - Email - Work", "full_name": "Person - Name",
                   "company_name": "Person - Organization", "phone": "Person - Phone - Work"}),
    "google_contacts": (["Given Name", "Family Name", "E-mail 1 - Value", "Organization 1 - Name",
                         "Phone 1 - Value"],
                        {"email": "E-mail 1 - Value", "first_name": "Given Name",
                         "last_name": "Family Name", "company_name": "Organization 1 - Name",
                         "phone": "Phone 1 - Value"}),
    "outlook": (["First Name", "Last Name", "E-mail Address", "Company", "Business Phone",
                 "Web Page"],
                {"email": "E-mail Address", "first_name": "First Name", "last_name": "Last Name",
                 "company_name": "Company", "website": "Web Page", "phone": "Business Phone"}),
    "linkedin_connections": (["First Name", "Last Name", "URL", "Email Address", "Company",
                              "Position", "Connected On"],
                             {"email": "Email Address", "linkedin_url": "URL",
                              "first_name": "First Name", "last_name": "Last Name",
                              "company_name": "Company"}),
    "german": (["Vorname", "Nachname", "E-Mail-Adresse", "Firma", "Webseite"],
               {"email": "E-Mail-Adresse", "first_name": "Vorname", "last_name": "Nachname",
                "company_name": "Firma", "website": "Webseite"}),
    "french": (["Prénom", "Nom", "Courriel", "Société", "Téléphone"],
               {"email": "Courriel", "first_name": "Prénom", "last_name": "Nom",
                "company_name": "Société", "phone": "Téléphone"}),
    "spanish": (["Nombre", "Apellidos", "Correo electrónico", "Empresa", "Sitio web"],
                {"email": "Correo electrónico", "first_name": "Nombre", "last_name": "Apellidos",
                 "company_name": "Empresa", "website": "Sitio web"}),
    "zoho": (["First Name", "Last Name", "Email", "Account Name", "Phone"],
             {"email": "Email", "first_name": "First Name", "last_name": "Last Name",
              "company_name": "Account Name", "phone": "Phone"}),
    "close": (["contact_name", "primary_contact_email", "lead_name", "url"],
              {"email": "primary_contact_email", "full_name": "contact_name", "website": "url",
               "company_name": "lead_name"}),
}  # fmt: skip


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_export_headers_map(tmp_path: Path, export: str) -> None:
    """The headers of common CRM and contact exports map to the right fields."""
    headers, expected = EXPORTS[export]
    row = [_sample_value(h, expected) for h in headers]
    assert _fields(tmp_path, headers, row) == expected


def _sample_value(header: str, expected: dict[str, str]) -> str:
    field = {h: f for f, h in expected.items()}.get(header, "")
    return {
        "email": "jane@acme.io", "linkedin_url": "https://www.linkedin.com/in/jane-doe",
        "website": "https://acme.io", "phone": "+14155550123", "full_name": "Jane Doe",
    }.get(field, "Acme" if field == "company_name" else "x")  # fmt: skip


def test_crunchbase_companies(tmp_path: Path) -> None:
    """A Crunchbase-style company list is read as companies."""
    table = _table(tmp_path, ["Organization Name", "Website", "Stock Symbol"],
                   ["Acme", "https://acme.io", "ACME"])  # fmt: skip
    cmap = map_columns(table)
    assert cmap.kind == "company"
    assert dict(cmap.fields) == {
        "website": "Website", "company_name": "Organization Name", "company_ticker": "Stock Symbol",
    }  # fmt: skip


def test_name_and_domain_is_a_company_list(tmp_path: Path) -> None:
    """ "Name" next to a domain and no person column is a company's name."""
    cmap = map_columns(_table(tmp_path, ["Name", "Domain"], ["Acme Inc", "acme.io"]))
    assert cmap.kind == "company"
    assert dict(cmap.fields) == {"domain": "Domain", "company_name": "Name"}


def test_a_column_of_emails_is_an_email_column(tmp_path: Path) -> None:
    """Values decide when the header says nothing: a column full of emails is email."""
    rows = [["jane@acme.io", "x"], ["john@beta.io", "y"], ["N/A", "z"]]
    cmap = map_columns(_table(tmp_path, ["Column 1", "Notes"], *rows))
    assert dict(cmap.fields) == {"email": "Column 1"}
    assert "'Column 1' holds email addresses" in cmap.notes


def test_work_email_beats_personal_email(tmp_path: Path) -> None:
    """A work email column wins over a plain or personal one without an ambiguity."""
    headers = ["Personal Email", "Email", "Work Email", "Company"]
    row = ["j@gmail.com", "jane@acme.io", "jane@acme.io", "Acme"]
    assert _fields(tmp_path, headers, row)["email"] == "Work Email"


def test_two_equal_email_columns_are_ambiguous(tmp_path: Path) -> None:
    """Two different columns that fit one field equally well are reported, never guessed."""
    table = _table(tmp_path, ["Email", "E-mail"], ["a@acme.io", "b@acme.io"])
    with pytest.raises(
        MappingError, match="email column is ambiguous: 'Email' and 'E-mail' all fit"
    ):
        map_columns(table)
    assert has_identifiers(table)
    cmap = map_columns(table, overrides={"Email": "email", "E-mail": "ignore"})
    assert dict(cmap.fields) == {"email": "Email"}


def test_no_identifier_lists_headers_and_shows_map(tmp_path: Path) -> None:
    """Without identifiers the error lists the headers found and shows --map."""
    table = _table(tmp_path, ["Title", "City"], ["VP", "Berlin"])
    with pytest.raises(MappingError) as caught:
        map_columns(table)
    assert str(caught.value) == (
        f"{table.path}: no column holds an email, LinkedIn URL, person id or first + last name "
        "with a company or domain. Headers found: 'Title', 'City'. Use --map 'Work Email=email'"
    )
    assert not has_identifiers(table)


def test_names_without_company_is_a_mapping_error(tmp_path: Path) -> None:
    """First and last name alone cannot identify anyone; the error says what is missing."""
    with pytest.raises(MappingError, match="a company or domain to go with the names"):
        map_columns(_table(tmp_path, ["First Name", "Last Name"], ["Jane", "Doe"]))


def test_overrides(tmp_path: Path) -> None:
    """--map sets a field for any header (folded match) and drops a column with ignore."""
    table = _table(tmp_path, ["Kontakt", "Mail", "Org"], ["Jane Doe", "jane@acme.io", "Acme"])
    cmap = map_columns(table, overrides={"kontakt": "full_name", "Mail": "ignore"})
    assert dict(cmap.fields) == {"full_name": "Kontakt", "company_name": "Org"}
    assert "Mail" in cmap.ignored


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Nope": "email"}, "--map names a column 'Nope' that is not in"),
        ({"Mail": "emial"}, "--map 'Mail=emial': 'emial' is not a field; use one of email,"),
    ],
)
def test_bad_overrides(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    """A wrong --map entry is a MappingError that says what is wrong."""
    table = _table(tmp_path, ["Mail", "Org"], ["jane@acme.io", "Acme"])
    with pytest.raises(MappingError, match=message.replace("+", r"\+")):
        map_columns(table, overrides=overrides)


def test_kind_company_takes_domain_from_work_email(tmp_path: Path) -> None:
    """Asked for companies, a work email gives the domain; free-mail addresses do not."""
    table = _table(tmp_path, ["Email"], ["jane@acme.io"], ["joe@gmail.com"])
    cmap = map_columns(table, kind="company")
    assert cmap == ColumnMap("company", {"email": "Email"}, (), cmap.notes)
    assert [v.get("domain") for v in row_values(table, cmap)] == ["acme.io", None]


def test_row_values_split_names_and_derive_domains(tmp_path: Path) -> None:
    """row_values gives raw text per field plus first/last from a full name and a domain."""
    table = _table(tmp_path, ["Name", "Company", "Website"],
                   ["Doe, Jane", "Acme", "https://www.acme.io/"], ["", "Beta", ""])  # fmt: skip
    cmap = map_columns(table)
    assert cmap.kind == "person"
    assert list(row_values(table, cmap)) == [
        {"full_name": "Doe, Jane", "first_name": "Jane", "last_name": "Doe",
         "company_name": "Acme", "website": "https://www.acme.io/", "domain": "acme.io"},
        {"company_name": "Beta"},
    ]  # fmt: skip
    assert "first and last names are split from 'Name'" in cmap.notes


def test_url_column_of_profiles_is_linkedin(tmp_path: Path) -> None:
    """A "Website" header over LinkedIn profile URLs is read as linkedin_url, with a note."""
    rows = [["https://www.linkedin.com/in/a-b"], ["linkedin.com/in/c-d"]]
    cmap = map_columns(_table(tmp_path, ["Website"], *rows))
    assert dict(cmap.fields) == {"linkedin_url": "Website"}
    assert cmap.notes == ("'Website' holds LinkedIn profile URLs, so it is read as linkedin_url",)


def test_override_of_the_other_kind(tmp_path: Path) -> None:
    """A --map field that does not fit the file's kind says to use --kind."""
    table = _table(tmp_path, ["Email", "Sym"], ["jane@acme.io", "ACME"])
    with pytest.raises(
        MappingError, match="company_ticker is a company field .* add --kind company"
    ):
        map_columns(table, overrides={"Sym": "company_ticker", "Email": "email"})
    cmap = map_columns(table, kind="company", overrides={"Sym": "company_ticker"})
    assert dict(cmap.fields) == {"company_ticker": "Sym", "email": "Email"}


def test_someone_elses_email_is_not_the_leads(tmp_path: Path) -> None:
    """An "Owner Email" column full of emails is not taken as the lead's email, and says so."""
    rows = [["Jane Doe", "Acme", "rep@us.io"], ["John Roe", "Beta", "rep@us.io"]]
    cmap = map_columns(_table(tmp_path, ["Name", "Company", "Owner Email"], *rows))
    assert dict(cmap.fields) == {"full_name": "Name", "company_name": "Company"}
    note = "'Owner Email' holds email addresses of someone other than the lead, so it is not used"
    assert any(n.startswith(note) for n in cmap.notes)


def test_apollo_full_export_is_not_ambiguous(tmp_path: Path) -> None:
    """Apollo's many phone and company columns pick one each with a note, not an error."""
    headers = ["First Name", "Last Name", "Company", "Company Name for Emails", "Email",
               "Email Status", "Secondary Email", "Person Linkedin Url", "Website",
               "Company Linkedin Url", "Twitter Url", "Work Direct Phone", "Mobile Phone",
               "Corporate Phone", "Other Phone"]  # fmt: skip
    row = ["Jane", "Doe", "Acme, Inc.", "Acme", "jane@acme.io", "Verified", "j@gmail.com",
           "http://www.linkedin.com/in/jane-doe", "http://www.acme.io",
           "http://www.linkedin.com/company/acme", "https://twitter.com/acme", "+1 415 555 0100",
           "+1 415 555 0101", "+1 415 555 0102", ""]  # fmt: skip
    cmap = map_columns(_table(tmp_path, headers, row))
    assert dict(cmap.fields) == {
        "email": "Email", "linkedin_url": "Person Linkedin Url", "first_name": "First Name",
        "last_name": "Last Name", "company_name": "Company", "website": "Website",
        "phone": "Work Direct Phone",
    }  # fmt: skip
    assert "recognised as an Apollo export" in cmap.notes
    assert cmap.order("phone") == ("Work Direct Phone", "Mobile Phone", "Corporate Phone")


def test_other_email_columns_fill_in_empty_cells(tmp_path: Path) -> None:
    """A row without a work email is identified by its plain email; an empty column is skipped."""
    headers = ["Work Email", "Email", "Business Email", "Company"]
    rows = [["jane@acme.io", "j@gmail.com", "", "Acme"], ["", "john@beta.io", "", "Beta"]]
    table = _table(tmp_path, headers, *rows)
    cmap = map_columns(table)
    assert dict(cmap.fields) == {"email": "Work Email", "company_name": "Company"}
    assert dict(cmap.fallbacks) == {"email": ("Email",)}
    assert (
        "email is taken from 'Work Email', then 'Email': each row uses the first valid value"
        in cmap.notes
    )
    assert [v["email"] for v in row_values(table, cmap)] == ["jane@acme.io", "john@beta.io"]
    assert cmap.ignored == ("Business Email",)


def test_name_beside_a_surname_is_the_first_name(tmp_path: Path) -> None:
    """Regression (acceptance): 'Name, Surname, Employer' (a translated 'Nome, Cognome') took
    'Name' as the full name, so every row lacked a first name and was not sent."""
    table = _table(tmp_path, ["Name", "Surname", "Employer"],
                   ["Anna", "Smith", "Initech"], ["José", "Gómez", "Globex"])
    cmap = map_columns(table)
    assert cmap.fields == {"first_name": "Name", "last_name": "Surname",
                           "company_name": "Employer"}
    assert "'Name' is taken as the first name, beside 'Surname'" in cmap.notes
    assert not any("split from" in n for n in cmap.notes)


def test_name_holding_whole_names_beside_a_last_name_stays_the_full_name(tmp_path: Path) -> None:
    """'Name' whose cells end with the row's last name is the whole name, as before."""
    table = _table(tmp_path, ["Name", "Last Name", "Company"],
                   ["Anna Smith", "Smith", "Initech"], ["José Gómez", "gómez", "Globex"])
    assert map_columns(table).fields["full_name"] == "Name"


def test_a_name_mapped_with_map_stays_as_mapped(tmp_path: Path) -> None:
    """--map Name=full_name is the user's word: not turned into a first name."""
    table = _table(tmp_path, ["Name", "Surname", "Employer"], ["Anna", "Smith", "Initech"])
    cmap = map_columns(table, overrides={"Name": "full_name"})
    assert cmap.fields["full_name"] == "Name"
