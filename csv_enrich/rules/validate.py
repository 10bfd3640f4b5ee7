"""Normalise and validate identifiers: pure functions that return values and never raise on data.

`validate(values, kind)` turns one row's raw identifier text into an `Identity` (every valid
identifier normalised, plus the de-duplication key) or an `Invalid` with a reason a person
understands. The normalisers return ``None`` for text that is not a usable identifier.
"""

from __future__ import annotations

from collections.abc import Mapping

from csv_enrich.models import Identity, Invalid, Kind
from csv_enrich.rules.normalise import (
    FREE_MAIL,
    NOT_HANDLES,
    PLACEHOLDERS,
    PLATFORMS,
    clean,
    company_domain,
    email_domain,
    fold,
    is_linkedin_company,
    linkedin_slug,
    normalise_company,
    normalise_domain,
    normalise_email,
    normalise_id,
    normalise_linkedin,
    normalise_name,
    normalise_phone,
    normalise_ticker,
    platform_of,
    split_full_name,
)

__all__ = [
    "FREE_MAIL",
    "NOT_HANDLES",
    "PLACEHOLDERS",
    "PLATFORMS",
    "clean",
    "company_domain",
    "derive",
    "email_domain",
    "is_linkedin_company",
    "linkedin_slug",
    "normalise_company",
    "normalise_domain",
    "normalise_email",
    "normalise_id",
    "normalise_linkedin",
    "normalise_name",
    "normalise_phone",
    "normalise_ticker",
    "platform_of",
    "split_full_name",
    "validate",
    "work_domain",
]


def validate(values: Mapping[str, str], kind: Kind) -> Identity | Invalid:
    """The normalised identity of one row, or why it cannot be sent."""
    return _validate_person(values) if kind == "person" else _validate_company(values)


def derive(values: dict[str, str], kind: Kind) -> dict[str, str]:
    """Add first/last from a full name, a domain from a website or (companies) a work email."""
    if ("first_name" not in values or "last_name" not in values) and "full_name" in values:
        split = split_full_name(values["full_name"])
        if split:
            values.setdefault("first_name", split[0])
            values.setdefault("last_name", split[1])
    if "domain" not in values or company_domain(values["domain"]) is None:
        domain = company_domain(values.get("website"))
        if domain is None and kind == "company":
            domain = work_domain(values.get("email"))
        if domain:
            values["domain"] = domain
    return values


def _names(values: Mapping[str, str]) -> tuple[str | None, str | None]:
    first, last = normalise_name(values.get("first_name")), normalise_name(values.get("last_name"))
    split = split_full_name(values.get("full_name")) if not (first and last) else None
    if split:
        first, last = first or split[0], last or split[1]
    return first, last


def _domain_of(values: Mapping[str, str]) -> str | None:
    return company_domain(values.get("domain")) or company_domain(values.get("website"))


def _validate_person(values: Mapping[str, str]) -> Identity | Invalid:
    email = normalise_email(values.get("email"))
    linkedin = normalise_linkedin(values.get("linkedin_url"))
    person_id = normalise_id(values.get("person_id"))
    first, last = _names(values)
    company, domain = normalise_company(values.get("company_name")), _domain_of(values)
    name = (first, last, domain or company)
    key = _person_key(email, linkedin, person_id, name)
    if key is None:
        return Invalid(_person_reason(values, first, last, company or domain))
    aliases = (key, *_person_aliases(email, linkedin, person_id, name))
    return Identity(
        kind="person", key=key, email=email, linkedin_url=linkedin, person_id=person_id,
        first_name=first, last_name=last, company_name=company, domain=domain,
        phone=normalise_phone(values.get("phone")), aliases=tuple(dict.fromkeys(aliases)),
    )  # fmt: skip


def _person_key(
    email: str | None,
    linkedin: str | None,
    person_id: str | None,
    name: tuple[str | None, str | None, str | None],
) -> str | None:
    if linkedin:
        return "li:" + (linkedin_slug(linkedin) or "")
    if email:
        return "email:" + email
    if person_id:
        return "pid:" + person_id
    if all(name):
        return "name:" + "|".join(fold(part or "") for part in name)
    return None


def _person_aliases(
    email: str | None,
    linkedin: str | None,
    person_id: str | None,
    name: tuple[str | None, str | None, str | None],
) -> list[str]:
    """Every strong key the person answers to (the name key only when no strong one exists,
    since two people can share a name at one company but not an email or a profile)."""
    keys = [
        *(["li:" + slug] if linkedin and (slug := linkedin_slug(linkedin)) else []),
        *(["email:" + email] if email else []),
        *(["pid:" + person_id] if person_id else []),
    ]
    if not keys and all(name):
        keys.append("name:" + "|".join(fold(part or "") for part in name))
    return keys


def name_keys(ident: Identity) -> tuple[str, ...]:
    """The name + company keys of a person (with the domain and with the company name), also
    when a stronger key exists: what was submitted is registered under them, so a rerun that
    maps the columns otherwise (the email ignored, say) still finds it."""
    if ident.kind != "person" or not (ident.first_name and ident.last_name):
        return ()
    names = (fold(ident.first_name), fold(ident.last_name))
    return tuple(dict.fromkeys(
        "name:" + "|".join((*names, fold(where)))
        for where in (ident.domain, ident.company_name) if where))


def lookup_keys(ident: Identity) -> tuple[str, ...]:
    """The keys to look a person up by in the cache and in earlier runs: its own key and
    aliases, plus its name keys when it has no stronger key (an email, a LinkedIn URL or a
    person id), as dedupe does: two people can share a name at one company."""
    own = (ident.key, *ident.aliases)
    strong = any(k.startswith(("li:", "email:", "pid:")) for k in own)
    return tuple(dict.fromkeys(own if strong else (*own, *name_keys(ident))))


def _shown(values: Mapping[str, str], field: str) -> str:
    text = clean(values.get(field)) or ""
    return text if len(text) <= 60 else text[:57] + "..."


def _person_reason(
    values: Mapping[str, str], first: str | None, last: str | None, org: str | None
) -> str:
    problems: list[str] = []
    if clean(values.get("email")):
        problems.append(f"email '{_shown(values, 'email')}' is not a valid address")
    if is_linkedin_company(values.get("linkedin_url")):
        problems.append("the LinkedIn URL is a company page, not a person's profile")
    elif "/sales/" in (values.get("linkedin_url") or "").lower():
        problems.append(
            "the LinkedIn URL is a Sales Navigator link; export the public profile URL instead"
        )
    elif clean(values.get("linkedin_url")):
        problems.append(f"'{_shown(values, 'linkedin_url')}' is not a LinkedIn profile URL")
    if clean(values.get("person_id")):
        problems.append("the person id has spaces in it")
    platform = _platform_problem(values)
    if first and last and not org:
        problems.append(platform or "a first and last name need a company name or domain too")
    elif (first or last or clean(values.get("full_name"))) and org:
        problems.append("a first and a last name are both needed with the company")
    if not problems:
        return "no email, LinkedIn URL, person id, or first + last name with a company or domain"
    return "; ".join(problems)


def _platform_problem(values: Mapping[str, str]) -> str | None:
    """Why the domain or website of a row is not the company's, when it is a platform page."""
    for field in ("domain", "website"):
        site = platform_of(values.get(field))
        if site:
            return f"{field} '{_shown(values, field)}' is a {site} page, not the company's website"
    return None


def _validate_company(values: Mapping[str, str]) -> Identity | Invalid:
    domain = _domain_of(values) or work_domain(values.get("email"))
    name = normalise_company(values.get("company_name"))
    ticker = normalise_ticker(values.get("company_ticker"))
    company_id = normalise_id(values.get("company_id"))
    key = _company_key(domain, name, ticker, company_id)
    if key is None:
        return Invalid(_company_reason(values))
    strong = [
        *(["domain:" + domain] if domain else []),
        *(["cid:" + company_id] if company_id else []),
    ]
    return Identity(
        kind="company", key=key, company_name=name, domain=domain,
        company_ticker=ticker, company_id=company_id,
        aliases=tuple(dict.fromkeys((key, *strong))),
    )  # fmt: skip


def work_domain(email: str | None) -> str | None:
    """The company domain of a work email (as normalise_domain gives it); None for free mail."""
    domain = normalise_domain(email_domain(normalise_email(email)))
    return domain if domain and domain not in FREE_MAIL else None


def _company_key(
    domain: str | None, name: str | None, ticker: str | None, company_id: str | None
) -> str | None:
    if domain:
        return "domain:" + domain
    if company_id:
        return "cid:" + company_id
    if ticker:
        return "ticker:" + ticker.lower()
    if name:
        return "name:" + fold(name)
    return None


def _company_reason(values: Mapping[str, str]) -> str:
    problems: list[str] = []
    platform = _platform_problem(values)
    if platform:
        problems.append(platform)
    for field, label in (("domain", "domain"), ("website", "website")):
        if clean(values.get(field)) and not platform:
            problems.append(f"{label} '{_shown(values, field)}' is not a valid domain")
    if clean(values.get("company_ticker")):
        problems.append(f"ticker '{_shown(values, 'company_ticker')}' is not a ticker symbol")
    if clean(values.get("email")) and not problems:
        problems.append("the email is not a work address a domain can be taken from")
    if not problems:
        return "no domain, website, company name, ticker or company id"
    return "; ".join(problems)
