"""The API's limits a plan is priced and timed by, without the wire format: `estimate` imports
this alone (wire and legacy_wire re-export them)."""

from __future__ import annotations

from csv_enrich.models import Identity

# Rows per CSV import call (the API refuses ~600 rows or 150 KB; CONTRACT open question 8).
MAX_ROWS = 500
MAX_CONTACTS = 250  # contacts per legacy bulk call (CONTRACT.md §9)


def can_take(ident: Identity) -> bool:
    """The legacy rule: a LinkedIn URL, or first + last name + company name or domain (an email
    or a person id alone is not enough)."""
    named = ident.first_name and ident.last_name and (ident.company_name or ident.domain)
    return ident.kind == "person" and bool(ident.linkedin_url or named)
