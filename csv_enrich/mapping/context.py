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
    notes: list[str] = []
    for field in ("domain", "website"):
        if field not in fields:
            continue
        sites, _ = _platform_sites(table, fields[field])
        if sites:
            notes.append(
                f"'{fields[field]}' holds {' and '.join(sorted(sites))} pages, not company "
                "websites; no domain is taken from them"
            )
    return notes


def only_platform_pages(table: Table, header: str) -> bool:
    """Every value of the column is a platform's page (LinkedIn, Facebook): no domain in it."""
    return _platform_sites(table, header)[1]


def _platform_sites(table: Table, header: str) -> tuple[set[str], bool]:
    """rules.columns.platform_sites of a column of the table, worked out once per column (the
    mapping asks for the website column's twice: only_platform_pages, platform_notes)."""
    from csv_enrich.rules.columns import platform_sites

    known: dict[str, tuple[set[str], bool]] = table.__dict__.setdefault(_SITES, {})
    if header not in known:
        known[header] = platform_sites(table.blanked.get_column(header))
    sites, every = known[header]
    return set(sites), every


_SITES = "_platform_sites"  # a Table's own cache (its __dict__, as its cached blanked frame)


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
