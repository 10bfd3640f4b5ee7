"""Value sniffing: what a column holds, judged from a sample of its cells.

A column full of emails is an email column whatever its header; a "URL" column of LinkedIn
profiles is a LinkedIn column; a generic "Link" column of websites gives domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from csv_enrich import rules
from csv_enrich.mapping.synonyms import fold_header

if TYPE_CHECKING:
    import polars as pl

SAMPLE = 200
SHARE = 0.8
SNIFF_TIER = 3
_GENERIC_WORDS = ("url", "link", "site", "web", "column", "homepage", "www", "profile")
_IDENTIFIER_FIELDS = ("email", "linkedin_url", "website", "domain")
_OTHER_PEOPLE = frozenset(
    {"owner", "manager", "assistant", "assistants", "rep", "assigned", "assignee", "created",
     "modified", "updated", "referrer", "referred", "user", "sdr", "bdr", "ae", "agent", "boss",
     "recruiter", "sender", "reviewer", "approver", "inhaber", "verantwortlich", "proprietaire",
     "responsable", "propietario"}
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """A header that may hold `field`; lower `tier` is a stronger claim."""

    field: str
    tier: int
    header: str
    notes: tuple[str, ...] = ()


def sample(column: pl.Series) -> list[str]:
    """Up to 200 non-empty cells of a column."""
    return [v for v in column.drop_nulls().head(SAMPLE).to_list() if v.strip()]


def classify(values: list[str]) -> str | None:
    """ "email", "linkedin_url", "linkedin_company", "domain" or "website" when at least 80% of
    the sample is that; else None."""
    if not values:
        return None
    need = SHARE * len(values)
    kinds = [_kind_of(v) for v in values]
    for kind in ("email", "linkedin_url", "linkedin_company", "domain", "website"):
        if kinds.count(kind) >= need:
            return kind
    if kinds.count("domain") + kinds.count("website") >= need:
        return "website"
    return None


def _kind_of(value: str) -> str | None:
    text = value.strip()
    if rules.normalise_email(text):
        return "email"
    if "linkedin.com" in text.lower():
        if rules.is_linkedin_company(text):
            return "linkedin_company"
        return "linkedin_url" if rules.linkedin_slug(text) else None
    if rules.normalise_domain(text) and "@" not in text:
        return "website" if ("/" in text or text.lower().startswith("www.")) else "domain"
    return None


def sniff_field(
    column: pl.Series, header: str, matched: tuple[str, int] | None, company: bool,
    kinds: dict[str, str | None] | None = None,
) -> Candidate | None:
    """The field `header` is a candidate for: its synonym, corrected or found by its values
    (classified once per header when `kinds` keeps what was found)."""
    kind = _classified(column, header, kinds) if _worth_sniffing(header, matched) else None
    if matched is not None:
        return _correct(header, matched, kind)
    if kind in ("email", "linkedin_url") and _someone_else(header):
        note = (
            f"'{header}' holds {_what(kind)} of someone other than the lead, so it is not used; "
            f"use --map '{header}={kind}' if they are the lead's"
        )
        return Candidate("", SNIFF_TIER, header, (note,))
    if kind in ("email", "linkedin_url"):
        return Candidate(kind, SNIFF_TIER, header, (f"'{header}' holds {_what(kind)}",))
    if kind in ("website", "domain") and _generic(header) and _varied(column):
        return Candidate("website", SNIFF_TIER, header, (f"'{header}' holds websites",))
    return None


def _classified(column: pl.Series, header: str, kinds: dict[str, str | None] | None) -> str | None:
    if kinds is None:
        return classify(sample(column))
    if header not in kinds:
        kinds[header] = classify(sample(column))
    return kinds[header]


def _worth_sniffing(header: str, matched: tuple[str, int] | None) -> bool:
    return matched is None or matched[0] in _IDENTIFIER_FIELDS or matched[0] in (
        "full_name", "company_name",
    )  # fmt: skip


def _correct(header: str, matched: tuple[str, int], kind: str | None) -> Candidate | None:
    field, tier = matched
    if (
        kind is None
        or kind == field
        or (field, kind) in (("website", "domain"), ("domain", "website"))
    ):
        return Candidate(field, tier, header)
    if kind in ("email", "linkedin_url"):
        note = f"'{header}' holds {_what(kind)}, so it is read as {kind}"
        return Candidate(kind, tier, header, (note,))
    if kind == "linkedin_company" and field == "linkedin_url":
        return None
    return Candidate(field, tier, header)


def _what(kind: str) -> str:
    return {"email": "email addresses", "linkedin_url": "LinkedIn profile URLs"}[kind]


def _someone_else(header: str) -> bool:
    """True for "Owner Email", "Assistant's LinkedIn", "Created by": another person's column."""
    words = set(fold_header(header).split())
    return bool(words & _OTHER_PEOPLE)


def _generic(header: str) -> bool:
    lowered = header.lower()
    return any(word in lowered for word in _GENERIC_WORDS)


def _varied(column: pl.Series) -> bool:
    domains = {rules.normalise_domain(v) for v in sample(column)}
    return len(domains) > 1 or len(sample(column)) <= 1
