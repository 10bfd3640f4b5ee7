"""What `validate` gives each row, as columns: its key, its other aliases and its identity's
fields, worked out in two polars queries.

Every value `validate` works out for a row (the normalised email, the slug of the LinkedIn URL,
the names split from a full name, the domain from a website, the folded name key ...) is a chain
of normalisers applied to one raw column: a `Derived` (see `rules.derived`). `resolve` computes
them all at once, running the Python normalisers only for the distinct values the patterns of
`rules.exprs` do not read; a second query puts them together the way `validate` does.
"""

from __future__ import annotations

import polars as pl

from csv_enrich.models import Kind
from csv_enrich.rules.derived import Derived, Norm, raw, resolve
from csv_enrich.rules.exprs import (
    AFTER_AT,
    BARE_COMPANY_DOMAIN,
    BARE_DOMAIN,
    COMPANY,
    COMPANY_DOMAIN,
    EMAIL,
    FAMILY,
    FOLD,
    GIVEN,
    ID,
    LINKEDIN,
    LINKEDIN_KEY,
    LINKEDIN_PREFIX,
    NAME,
    NOT_FREE,
    PHONE,
    TICKER,
)
from csv_enrich.rules.picking import checked_column

PERSON_FIELDS = ("email", "linkedin_url", "person_id", "first_name", "last_name", "full_name",
                 "company_name", "domain", "website", "phone")
COMPANY_FIELDS = ("domain", "website", "email", "company_name", "company_ticker", "company_id")
IDENTITY_FIELDS = ("email", "linkedin_url", "person_id", "first_name", "last_name",
                   "company_name", "domain", "company_ticker", "company_id", "phone")
# key: the identity's key (null where the row has none); second, third: its other aliases, in
# order (null where it has fewer); then the identity's fields.
COLUMNS = ("key", "second", "third", *IDENTITY_FIELDS)
_NULL = pl.lit(None, dtype=pl.String)


def identity_columns(frame: pl.DataFrame, kind: Kind) -> pl.DataFrame:
    """COLUMNS for every row of `frame` (field -> raw text, null where the row has nothing;
    with a field frame's checked columns, see rules.picking, where it has them)."""
    fields = PERSON_FIELDS if kind == "person" else COMPANY_FIELDS
    checked = [checked_column(f) for f in fields if checked_column(f) in frame.columns]
    staged = frame.with_columns(
        _NULL.alias(f) for f in fields if f not in frame.columns
    ).select(*(pl.col(f).cast(pl.String) for f in fields), *checked)
    norms = _Norms(frame.columns)
    values = _person_values(norms) if kind == "person" else _company_values(norms)
    columns = _person_columns() if kind == "person" else _company_columns()
    query, _ = resolve(staged, values)
    return query.select(columns[c].alias(c) for c in COLUMNS).collect()


class _Norms:
    """The first norm of a field: where the frame has the field's checked column, one that
    reads it (the Python normaliser for the rows it does not hold a value for)."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = set(columns)

    def __call__(self, field: str, norm: Norm) -> Norm:
        column = checked_column(field)
        if column not in self.columns:
            return norm
        if norm is LINKEDIN_KEY:  # the checked value is the URL: its key is what follows /in/
            value = pl.col(column).str.strip_prefix(LINKEDIN_PREFIX)
            return Norm(lambda _: (pl.col(column).is_not_null(), value), norm.slow)
        return Norm(lambda _: (pl.col(column).is_not_null(), pl.col(column)), norm.slow)


def _sites(norms: _Norms) -> dict[str, Derived]:
    """The domain of the domain column, of the website column, and of that (as validate takes
    a derived domain through company_domain once more)."""
    site = raw("website").then(norms("website", COMPANY_DOMAIN))
    return {"own": raw("domain").then(norms("domain", COMPANY_DOMAIN)), "site": site,
            "site2": site.then(BARE_COMPANY_DOMAIN)}  # fmt: skip


def _person_values(norms: _Norms) -> dict[str, Derived]:
    given, family = raw("full_name").then(GIVEN), raw("full_name").then(FAMILY)
    values = {
        "email": raw("email").then(norms("email", EMAIL)),
        "pid": raw("person_id").then(norms("person_id", ID)),
        "li": raw("linkedin_url").then(norms("linkedin_url", LINKEDIN)),
        "slug": raw("linkedin_url").then(norms("linkedin_url", LINKEDIN_KEY)),
        "given": given, "family": family, "given_name": given.then(NAME),
        "family_name": family.then(NAME), "first": raw("first_name").then(NAME),
        "last": raw("last_name").then(NAME), "company": raw("company_name").then(COMPANY),
        "phone": raw("phone").then(norms("phone", PHONE)), **_sites(norms),
    }  # fmt: skip
    folds = ("given", "family", "given_name", "family_name", "first", "last", "company")
    return values | {f"f:{n}": values[n].then(FOLD) for n in folds}


def _either(missing: str, derived: str, own: str, fallback: str) -> pl.Expr:
    """A name part as validate takes it: split from the full name where the row's own column
    is empty, else its own column's; the split one where that is not a name."""
    return pl.when(pl.col(missing).is_null()).then(pl.coalesce(derived, fallback)) \
        .otherwise(pl.coalesce(own, fallback))


def _person_columns() -> dict[str, pl.Expr]:
    first_f = _either("first_name", "f:given_name", "f:first", "f:given")
    last_f = _either("last_name", "f:family_name", "f:last", "f:family")
    # A domain is lower-case ASCII letters, digits, dots and hyphens: fold leaves it as it is.
    org_f = pl.coalesce("own", "site2", "site", "f:company")
    li_k = pl.when(pl.col("li").is_not_null()).then("li:" + pl.col("slug").fill_null(""))
    email_k, pid_k = "email:" + pl.col("email"), "pid:" + pl.col("pid")
    return {  # the aliases: li, email, pid (those the row has, in this order), else its name
        "key": pl.coalesce(li_k, email_k, pid_k, "name:" + first_f + "|" + last_f + "|" + org_f),
        "second": pl.when(li_k.is_not_null()).then(pl.coalesce(email_k, pid_k))
        .when(email_k.is_not_null()).then(pid_k),
        "third": pl.when(li_k.is_not_null() & email_k.is_not_null()).then(pid_k),
        "email": pl.col("email"), "linkedin_url": pl.col("li"), "person_id": pl.col("pid"),
        "first_name": _either("first_name", "given_name", "first", "given"),
        "last_name": _either("last_name", "family_name", "last", "family"),
        "company_name": pl.col("company"), "domain": pl.coalesce("own", "site2", "site"),
        "company_ticker": _NULL, "company_id": _NULL, "phone": pl.col("phone"),
    }  # fmt: skip


def _company_values(norms: _Norms) -> dict[str, Derived]:
    work = raw("email").then(norms("email", EMAIL)).then(AFTER_AT).then(BARE_DOMAIN)
    work = work.then(NOT_FREE)
    name = raw("company_name").then(COMPANY)
    return {
        **_sites(norms), "work": work, "work2": work.then(BARE_COMPANY_DOMAIN), "name": name,
        "f:name": name.then(FOLD), "ticker": raw("company_ticker").then(TICKER),
        "cid": raw("company_id").then(ID),
    }  # fmt: skip


def _company_columns() -> dict[str, pl.Expr]:
    domain = pl.coalesce("own", "site2", "site", "work2", "work")
    domain_k, cid_k = "domain:" + domain, "cid:" + pl.col("cid")
    ticker_k = "ticker:" + pl.col("ticker").str.to_lowercase()
    return {
        "key": pl.coalesce(domain_k, cid_k, ticker_k, "name:" + pl.col("f:name")),
        "second": pl.when(domain.is_not_null()).then(cid_k), "third": _NULL,
        "email": _NULL, "linkedin_url": _NULL, "person_id": _NULL, "first_name": _NULL,
        "last_name": _NULL, "company_name": pl.col("name"), "domain": domain,
        "company_ticker": pl.col("ticker"), "company_id": pl.col("cid"), "phone": _NULL,
    }  # fmt: skip
