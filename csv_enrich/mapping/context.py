"""Context a header takes from around it: the group header above it, and what its values hold.

A "Name" under a merged "Company" (Account, Organisation) group header is the company's name,
under "Contact" (Person) the person's; a website column of LinkedIn or Facebook pages gives no
company domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from csv_enrich.mapping.synonyms import fold_header, match_header
from csv_enrich.read.layout import group_kind
from csv_enrich.read.table import Table


def platform_notes(table: Table, fields: Mapping[str, str]) -> list[str]:
    """Say when a website or domain column holds platform pages (LinkedIn, Facebook), which
    give no company domain."""
    from csv_enrich.rules.columns import platform_sites

    notes: list[str] = []
    for field in ("domain", "website"):
        if field not in fields:
            continue
        sites, _ = platform_sites(table.blanked.get_column(fields[field]))
        if sites:
            notes.append(
                f"'{fields[field]}' holds {' and '.join(sorted(sites))} pages, not company "
                "websites; no domain is taken from them"
            )
    return notes


def only_platform_pages(table: Table, header: str) -> bool:
    """Every value of the column is a platform's page (LinkedIn, Facebook): no domain in it."""
    from csv_enrich.rules.columns import platform_sites

    return platform_sites(table.blanked.get_column(header))[1]


_NAME = re.compile(r"(?:full |display )?name(?: \d)?")


def group_notes(table: Table, fields: Mapping[str, str]) -> list[str]:
    """Say which "Name" columns took their meaning from the group header above them."""
    notes = []
    for field, header in fields.items():
        at = table.headers.index(header)
        label = table.groups[at] if at < len(table.groups) else None
        if _NAME.fullmatch(fold_header(header)) and group_kind(label):
            notes.append(f"'{header}' is read as {field}: it sits under the '{label}' group header")
    return notes


def grouped_name(
    table: Table, header: str, company: bool, matched: tuple[str, int] | None
) -> tuple[str, int] | None:
    """A "Name" under a merged "Company" (Account, Organisation) group header is the company's
    name; under "Contact" (Person) the person's; elsewhere what its synonym says."""
    if not _NAME.fullmatch(fold_header(header)):
        return matched
    at = table.headers.index(header)
    group = group_kind(table.groups[at]) if at < len(table.groups) else None
    if group == "company":
        return ("company_name", 0)
    if group == "person":
        return None if company else ("full_name", 0)
    if matched is None and table.groups:  # a second "Name" outside the groups: a plain Name
        return match_header("name", company)
    return matched
