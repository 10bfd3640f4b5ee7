"""The normalisers of `rules.normalise` as `Norm`s: strict polars patterns for the common forms
(a plain ASCII address, a linkedin.com/in/ URL, a bare domain or website, a single-spaced ASCII
name), each giving what the Python normaliser gives for them, and that normaliser for the rest.
"""

from __future__ import annotations

import re

import polars as pl

from csv_enrich.rules.derived import Norm
from csv_enrich.rules.normalise import (
    _MEMBER_ID,
    _SUFFIXES,
    _TITLES,
    FREE_MAIL,
    NOT_HANDLES,
    PLATFORMS,
    PY_SPACE,
    clean,
    company_domain,
    fold,
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

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_OK = rf"^(?:{_LABEL}\.)+[a-z]{{2,63}}$"
_ANY_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A plain address, any case.
_EMAIL = rf"^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:{_ANY_LABEL}\.)+[A-Za-z]{{2,63}}$"
# ASCII only ((?i-u:...): with Unicode, (?i) lets "ſ" match s and the Kelvin sign k).
_LINKEDIN = (r"^(?i-u:https?://)?(?i-u:[a-z]{2,3}\.|www\.|m\.)?(?i-u:linkedin\.com/in/)"
             r"[A-Za-z0-9_-]{3,100}/?$")
_WEBSITE = r"^(?i-u:https?://)?[A-Za-z0-9.-]+(?:[/?#][\x21-\x7e]*)?$"
_PATH = r"[/?#](?s:.)*$"  # from the first / ? or # on: what follows a website's host
_PLATFORM = "(?:^|\\.)(?:" + "|".join(re.escape(p) for p in PLATFORMS) + ")$"
_GOO = r"(?i-u)goo(?:gle)?\."
_ASCII = r"^[\x21-\x7e]+$"
_SPACED = r"^(?:[\x21-\x7e]+ )*[\x21-\x7e]+$"  # printable ASCII, single spaces, trimmed
_NAME_WORD = r"[A-Za-z][A-Za-z'-]*"
_FULL_NAME = rf"^{_NAME_WORD} {_NAME_WORD}(?: {_NAME_WORD})*$"
_TITLE = "^(?i:" + "|".join(sorted(_TITLES)) + ") "  # the first word of a plain full name
_SUFFIX = " (?i:" + "|".join(sorted(_SUFFIXES)) + ")$"  # its last word
_PHONE = r"^[+0-9 ().\/-]+$"
_PHONE_MARKS = r"[+ ().\-/]"  # one pass, not one per mark (a copy of the column each)
_TICKER = r"^[A-Z0-9][A-Z0-9.\-]{0,9}$"
_NOT_HANDLES = sorted(NOT_HANDLES)
_BLANK = rf"^(?:{PY_SPACE}|\u200b)*$"  # what `clean` leaves nothing of
_NULL = pl.lit(None, dtype=pl.String)
LINKEDIN_PREFIX = "https://www.linkedin.com/in/"
_TRUE = pl.lit(True)


def _email(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok = (v.str.contains(_EMAIL) & (v.str.len_bytes() <= 254)
          & (v.str.find("@", literal=True) <= 64))  # fmt: skip
    return ok, v.str.to_lowercase()


EMAIL = Norm(_email, normalise_email)


def _host(v: pl.Expr) -> pl.Expr:
    """The host of a plain website or domain: lower-cased, without scheme, path, trailing dot
    or www."""
    low = v.str.to_lowercase()
    rest = low.str.strip_prefix("https://").str.strip_prefix("http://")
    host = rest.str.replace(_PATH, "")  # (a third cheaper than a head up to a find of it)
    return host.str.strip_chars_end(".").str.strip_prefix("www.")


def _is_host(host: pl.Expr) -> pl.Expr:
    return host.str.contains(_HOST_OK) & (host.str.len_bytes() <= 253)


def _platform_like(v: pl.Expr, host: pl.Expr) -> pl.Expr:
    """True where `v` may be a platform's page: its host is one, or it names google. or goo.gl
    (what every Google Maps link holds), to be looked at closely."""
    return (host.str.contains(_PLATFORM) | v.str.contains(_GOO)).fill_null(True)


def _domain(v: pl.Expr, host: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return v.str.contains(_WEBSITE) & _is_host(host), host


def _company_domain(v: pl.Expr, host: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok, host = _domain(v, host)
    return ok & ~_platform_like(v, host), host


def _platform(v: pl.Expr, host: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok, _ = _company_domain(v, host)
    return ok, _NULL


DOMAIN = Norm(_domain, normalise_domain, _host)
COMPANY_DOMAIN = Norm(_company_domain, company_domain, _host)
PLATFORM = Norm(_platform, platform_of, _host)


def _bare(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A domain already as normalise_domain gives it (no www. to take off)."""
    return _is_host(v) & ~v.str.starts_with("www."), v


def _bare_company(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok, _ = _bare(v)
    return ok & ~_platform_like(v, v), v


# normalise_domain and company_domain of values that are mostly domains already (a website's
# domain, the domain of an address): the same functions, read by a cheaper pattern.
BARE_DOMAIN = Norm(_bare, normalise_domain)
BARE_COMPANY_DOMAIN = Norm(_bare_company, company_domain)


def _li_slug(v: pl.Expr) -> pl.Expr:
    """What follows /in/ in a LinkedIn profile URL, without a trailing slash."""
    return v.str.slice(v.str.find("(?i-u)/in/") + 4).str.strip_suffix("/")


def _slug(v: pl.Expr, slug: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Whether a linkedin.com/in/ URL could be read, and its slug as keyed."""
    low = slug.str.to_lowercase()
    ok = v.str.contains(_LINKEDIN) & ~low.is_in(_NOT_HANDLES)
    return ok, pl.when(slug.str.contains(_MEMBER_ID.pattern)).then(slug).otherwise(low)


def _linkedin(v: pl.Expr, slug: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok, key = _slug(v, slug)
    return ok, LINKEDIN_PREFIX + key


LINKEDIN = Norm(_linkedin, normalise_linkedin, _li_slug)
# The slug the key is made of: linkedin_slug of the canonical URL.
LINKEDIN_KEY = Norm(_slug, lambda text: linkedin_slug(normalise_linkedin(text)), _li_slug)


def _spaced(v: pl.Expr) -> pl.Expr:
    return v.str.contains(_SPACED)


def _name(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok = _spaced(v) & v.str.contains("[A-Za-z]") & ~v.str.contains(r"^[,;]|[,;]$")
    return ok, v


def _company(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return _spaced(v) & v.str.contains("[A-Za-z0-9]"), v


def _id(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return v.str.contains(_ASCII), v


def _ticker(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return v.str.contains(_TICKER), v


def _fold(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    return _spaced(v), v.str.to_lowercase()


def _phone(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    digits = v.str.replace_all(_PHONE_MARKS, "")  # all a phone the pattern reads holds but digits
    trimmed = v.str.strip_chars(" ")
    plus = trimmed.str.starts_with("+") | trimmed.str.starts_with("00")
    value = pl.when(digits.str.len_bytes().is_between(7, 15)).then(
        pl.when(plus).then("+" + digits).otherwise(digits)
    )
    return v.str.contains(_PHONE), value


NAME = Norm(_name, normalise_name)
COMPANY = Norm(_company, normalise_company)
ID = Norm(_id, normalise_id)
TICKER = Norm(_ticker, normalise_ticker)
FOLD = Norm(_fold, lambda text: None if text is None else fold(text))
PHONE = Norm(_phone, normalise_phone)


def _split(v: pl.Expr, part: int) -> tuple[pl.Expr, pl.Expr]:
    """(ok, given names) for part 1, (ok, family names) for part 2 of a plain "Jane Doe"."""
    ok = v.str.contains(_FULL_NAME) & ~v.str.contains(_TITLE) & ~v.str.contains(_SUFFIX)
    space = v.str.find(" ", literal=True)
    return ok, v.str.head(space) if part == 1 else v.str.slice(space + 1)


def _given(text: str | None) -> str | None:
    split = split_full_name(text)
    return split[0] if split else None


def _family(text: str | None) -> str | None:
    split = split_full_name(text)
    return split[1] if split else None


GIVEN = Norm(lambda v: _split(v, 1), _given)
FAMILY = Norm(lambda v: _split(v, 2), _family)


def _after_at(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    ok = v.str.contains("^[^@]*@[^@]*$") & (v.str.len_bytes() == v.str.len_chars())
    return ok, v.str.slice(v.str.find("@", literal=True) + 1)


# What follows the last @ of an address.
AFTER_AT = Norm(_after_at, lambda text: text.rpartition("@")[2] if text and "@" in text else None)
NOT_FREE = Norm(
    lambda v: (_TRUE, pl.when(v.is_in(sorted(FREE_MAIL))).then(_NULL).otherwise(v)),
    lambda text: None if text in FREE_MAIL else text,
)
# The text of a cell that `clean` leaves something of (None for a blank one).
FILLED = Norm(
    lambda v: (_TRUE, pl.when(~v.str.contains(_BLANK)).then(v)),
    lambda text: text if clean(text) is not None else None,
)
