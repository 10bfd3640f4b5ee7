"""Deterministic synthetic people and companies, derived from a hash of the normalised identity.

The sandbox keeps its own normalisers (it shares no code with the client). The same identity
gets the same answer in every run, after restarts and across seeds: about 80% of people have an
email (with an email_status), about 50% a phone in E.164; about 75% of company domains are
known, the rest (and reserved test domains such as example.com or *.invalid) are not found.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kira",
         "Liam", "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera")
LAST = ("Adams", "Berg", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen",
        "Khan", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka")
TITLES = ("VP of Sales", "Head of Marketing", "Software Engineer", "Account Executive", "CTO",
          "Operations Manager", "Product Manager", "Data Analyst", "Founder & CEO", "SDR",
          "Director of Engineering", "Customer Success Manager", "CFO", "Growth Lead")
EMAIL_STATUS = ("valid", "valid", "valid", "valid", "risky", "unknown")
PROVIDERS = ("wiza", "leadmagic", "findymail", "hunter", "prospeo", "datagma")
INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Retail", "Manufacturing",
              "Marketing & Advertising", "Logistics", "Education", "Energy", "Biotechnology")
RANGES = ((1, 10), (11, 50), (51, 200), (201, 500), (501, 1000), (1001, 5000), (5001, 10000))
REVENUE = ("<$1M", "$1M-$10M", "$10M-$25M", "$25M-$50M", "$50M-$100M", "$100M-$500M", "$1B+")
FUNDING = ("Bootstrapped", "Seed", "Series A", "Series B", "Series C", "Late Stage", "Public")
TECH = ("React", "Python", "Ruby", "Go", "Java", "Kubernetes", "AWS", "GCP", "Salesforce",
        "HubSpot", "Snowflake", "Postgres", "Stripe", "Segment")
CITIES = ("San Francisco, CA, US", "New York, NY, US", "Austin, TX, US", "London, GB",
          "Berlin, DE", "Paris, FR", "Toronto, ON, CA", "Amsterdam, NL", "Singapore, SG")
UNKNOWN_TLDS = (".invalid", ".test", ".example", ".localhost")
RESERVED = ("example.com", "example.org", "example.net")
SUFFIXES = re.compile(r"[,.]?\s+(inc|llc|ltd|gmbh|corp|corporation|co|sa|plc|bv)\.?$")
LINKEDIN = re.compile(r"linkedin\.com/(?:in|pub)/([^/?#\s]+)", re.IGNORECASE)
HANDLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_%]{1,99}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def h(*parts: str) -> int:
    """A stable 64-bit hash of the parts (sha256, independent of PYTHONHASHSEED)."""
    raw = "\x1f".join(parts).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def pick(seq: tuple[Any, ...], *parts: str) -> Any:
    """A stable choice from `seq` keyed by `parts`."""
    return seq[h(*parts) % len(seq)]


def chance(percent: int, *parts: str) -> bool:
    """A stable yes with probability `percent`%, keyed by `parts`."""
    return h(*parts) % 100 < percent


def norm_text(value: str | None) -> str:
    """Collapse whitespace and case-fold; '' for None."""
    return " ".join((value or "").split()).casefold()


def norm_email(value: str | None) -> str:
    """A lower-cased email, or '' when it does not look like one."""
    text = (value or "").strip().lower()
    return text if EMAIL.match(text) else ""


def linkedin_slug(value: str | None) -> str:
    """The /in/ slug of a LinkedIn URL in any common form (or a bare handle); '' if none."""
    text = (value or "").strip()
    found = LINKEDIN.search(text)
    slug = found.group(1) if found else (text if HANDLE.match(text) else "")
    return slug.rstrip("/").lower()


def linkedin_url(slug: str) -> str:
    """The canonical profile URL of a slug."""
    return f"https://www.linkedin.com/in/{slug}"


def norm_domain(value: str | None) -> str:
    """A bare lower-case host: no scheme, www., path or port."""
    text = (value or "").strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split(":")[0]
    return text.removeprefix("www.").strip(".")


def norm_company(value: str | None) -> str:
    """A company name without case, punctuation noise or legal suffix."""
    return SUFFIXES.sub("", norm_text(value)).strip(" ,.")


def person_identity(fields: dict[str, Any]) -> str:
    """The sandbox-normalised identity of a person, or '' if the identifier rule is not met."""
    if email := norm_email(fields.get("email")):
        return f"email:{email}"
    if slug := linkedin_slug(fields.get("linkedin_url")):
        return f"linkedin:{slug}"
    if pid := (fields.get("person_id") or "").strip():
        return f"person_id:{pid}"
    first, last = norm_text(fields.get("first_name")), norm_text(fields.get("last_name"))
    if not (first and last) and (full := norm_text(fields.get("full_name"))) and " " in full:
        first, last = full.split(" ", 1)
    company = norm_domain(fields.get("domain") or fields.get("company_domain"))
    company = company or norm_company(fields.get("company_name"))
    return f"name:{first}|{last}|{company}" if (first and last and company) else ""


def company_domain_of(name: str) -> str:
    """A plausible domain for a company name (acme corp -> acmecorp.com)."""
    return re.sub(r"[^a-z0-9]", "", norm_company(name)) + ".com"


NAME_PAIR = re.compile(r"^([a-z]{2,})[._\-]([a-z]{2,})(?:[._\-]?[0-9a-f]*)?$")


def _names(identity: str, fields: dict[str, Any]) -> tuple[str, str]:
    first = (fields.get("first_name") or "").strip()
    last = (fields.get("last_name") or "").strip()
    if first and last:
        return first, last
    if (full := (fields.get("full_name") or "").strip()) and " " in full:
        head, tail = full.split(" ", 1)
        return head, tail
    handle = identity.split(":", 1)[1].split("@")[0]  # jane.doe@x / linkedin jane-doe-9a1b
    if found := NAME_PAIR.match(handle):
        return found.group(1).title(), found.group(2).title()
    return pick(FIRST, identity, "first"), pick(LAST, identity, "last")


def _domain(identity: str, fields: dict[str, Any]) -> str:
    if email := norm_email(fields.get("email")):
        return email.split("@")[1]
    if domain := norm_domain(fields.get("domain") or fields.get("company_domain")):
        return domain
    if name := fields.get("company_name"):
        return company_domain_of(name)
    return str(pick(("acme.io", "globex.com", "initech.com", "umbrella.co", "hooli.com"), identity))


def identity_fields(identity: str) -> dict[str, Any]:
    """The request fields an identity stands for (so a bare identity still gets coherent data)."""
    kind, _, value = identity.partition(":")
    if kind == "email":
        return {"email": value}
    if kind == "linkedin":
        return {"linkedin_url": linkedin_url(value)}
    if kind == "name":
        first, last, company = value.split("|", 2)
        where = "domain" if "." in company and " " not in company else "company_name"
        shown = company if where == "domain" else company.title()
        return {"first_name": first.title(), "last_name": last.title(), where: shown}
    return {}


def person_record(identity: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Everything the waterfall would find for this person (before the enrichment type filter)."""
    fields = {**identity_fields(identity), **{k: v for k, v in fields.items() if v}}
    first, last = _names(identity, fields)
    domain = _domain(identity, fields)
    slug = linkedin_slug(fields.get("linkedin_url")) or f"{first}-{last}-{h(identity) % 9999:04x}"
    email = norm_email(fields.get("email")) or f"{first}.{last}@{domain}".lower().replace(" ", "")
    company = (fields.get("company_name") or "").strip() or domain.split(".")[0].title()
    return {
        "first_name": first, "last_name": last, "full_name": f"{first} {last}",
        "email": email if chance(80, identity, "email") else None,
        "email_status": pick(EMAIL_STATUS, identity, "status"),
        "phone": f"+1{200 + h(identity, 'area') % 800}555{h(identity, 'ph') % 10000:04d}"
        if chance(50, identity, "phone") else None,
        "linkedin_url": linkedin_url(slug.lower()), "title": pick(TITLES, identity, "title"),
        "company": company, "domain": domain, "location": pick(CITIES, identity, "city"),
        "provider": pick(PROVIDERS, identity, "provider"),
    }


def company_key(fields: dict[str, Any]) -> str:
    """The normalised identity of a company lookup, or '' if nothing identifies one."""
    if domain := norm_domain(fields.get("domain")):
        return f"domain:{domain}"
    if name := norm_company(fields.get("company_name")):
        return f"domain:{company_domain_of(name)}"
    if ticker := norm_text(fields.get("company_ticker")):
        return f"domain:{ticker}.com"
    if cid := (fields.get("company_id") or "").strip():
        return f"company_id:{cid}"
    return ""


def _known(domain: str) -> bool:
    if domain in RESERVED or domain.endswith(UNKNOWN_TLDS) or "." not in domain:
        return False
    return chance(75, domain, "known")


def company_record(key: str) -> dict[str, Any] | None:
    """The CompanyRecord of a company identity, or None when the sandbox does not know it."""
    domain = key.split(":", 1)[1] if key.startswith("domain:") else f"{key[11:]}.com"
    if not _known(domain):
        return None
    low, high = pick(RANGES, domain, "size")
    stem = domain.split(".")[0]
    industry = pick(INDUSTRIES, domain, "industry")
    return {
        "company_id": f"crd_{h(domain) % 10**8:08d}", "name": stem.title(), "domain": domain,
        "industry": industry, "industries": [industry],
        "employee_count": low + h(domain, "n") % (high - low + 1),
        "employee_count_range": f"{low}-{high}", "revenue_range": pick(REVENUE, domain, "rev"),
        "hq_location": pick(CITIES, domain, "hq"), "funding_stage": pick(FUNDING, domain, "fund"),
        "total_funding_usd": (h(domain, "usd") % 500) * 1_000_000,
        "tech_stack": sorted({pick(TECH, domain, "t", str(i)) for i in range(3)}),
        "linkedin_url": f"https://www.linkedin.com/company/{stem}",
    }
