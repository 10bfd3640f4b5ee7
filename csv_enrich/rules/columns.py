"""Column-wise validation: the verdicts of `validate`, for a whole table at once.

Every identifier column goes through a strict pattern in polars (Rust) that recognises the common
forms (a plain ASCII address, a linkedin.com/in/ URL, a bare domain or website, a single-spaced
ASCII name) and gives what the per-value normaliser would give for them. Only the values outside
those patterns go through the per-value normalisers, once per distinct value, and only the rows
that turn out invalid go through `validate` itself, for its reason. So the result is exactly
`[validate(derive(row), kind) for row in rows]`, at the speed of a few column scans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import polars as pl

from csv_enrich.models import Identity, Invalid, Kind
from csv_enrich.rules.normalise import (
    _MEMBER_ID,
    _SUFFIXES,
    _TITLES,
    FREE_MAIL,
    NOT_HANDLES,
    PLATFORMS,
    PY_SPACE,
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
from csv_enrich.rules.validate import validate

if TYPE_CHECKING:
    from collections.abc import Mapping

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_OK = rf"^(?:{_LABEL}\.)+[a-z]{{2,63}}$"
_EMAIL = rf"^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:{_LABEL}\.)+[a-z]{{2,63}}$"
_LINKEDIN = r"^(?i:https?://)?(?i:[a-z]{2,3}\.|www\.|m\.)?(?i:linkedin\.com/in/)([A-Za-z0-9_-]{3,100})/?$"
_WEBSITE = r"^(?i:https?://)?([A-Za-z0-9.-]+)(?:[/?#][\x21-\x7e]*)?$"
_GOOGLE_MAPS = r"(?i)(?:^|[/.])google\.[a-z.]+/maps\b|(?:^|/)maps\.app\.goo\.gl"
_PLATFORM = "(?:^|\\.)(?:" + "|".join(re.escape(p) for p in PLATFORMS) + ")$"
_ASCII = r"^[\x21-\x7e]+$"
_SPACED = r"^(?:[\x21-\x7e]+ )*[\x21-\x7e]+$"  # printable ASCII, single spaces, trimmed
_NAME_WORD = r"[A-Za-z][A-Za-z'-]*"
_FULL_NAME = rf"^({_NAME_WORD}) ({_NAME_WORD}(?: {_NAME_WORD})*)$"
_PHONE = r"^[+0-9 ().\/-]+$"
_TICKER = r"^[A-Z0-9][A-Z0-9.\-]{0,9}$"
_NOT_HANDLES = sorted(NOT_HANDLES)

PERSON_FIELDS = ("email", "linkedin_url", "person_id", "first_name", "last_name", "full_name",
                 "company_name", "domain", "website", "phone")
COMPANY_FIELDS = ("domain", "website", "email", "company_name", "company_ticker", "company_id")


def _with_slow(
    raw: pl.Series, fast_ok: pl.Series, fast_value: pl.Series, slow: Callable[[str], str | None]
) -> pl.Series:
    """`fast_value` where `fast_ok`, else `slow(value)` once per distinct value left over."""
    left = raw.filter(~fast_ok.fill_null(False) & raw.is_not_null()).unique()
    if left.len() == 0:
        return pl.select(pl.when(fast_ok).then(fast_value)).to_series().rename(raw.name)
    done = pl.Series(raw.name, [slow(v) for v in left.to_list()], dtype=pl.String)
    looked_up = raw.replace_strict(left, done, default=None, return_dtype=pl.String)
    return pl.select(pl.when(fast_ok).then(fast_value).otherwise(looked_up)).to_series()


def _frame(raw: pl.Series) -> pl.DataFrame:
    return raw.rename("v").to_frame()


def emails(raw: pl.Series) -> pl.Series:
    """normalise_email over a column."""
    low = pl.col("v").str.to_lowercase()
    fast = _frame(raw).select(
        ok=pl.col("v").str.contains(_ASCII) & low.str.contains(_EMAIL)
        & (low.str.len_chars() <= 254) & low.str.contains(r"^[a-z0-9_+.-]{1,64}@"),
        value=low,
    )
    return _with_slow(raw, fast["ok"], fast["value"], normalise_email)


def _hosts(raw: pl.Series) -> pl.DataFrame:
    """The host of a plain website or domain (lower-cased, no trailing dot, no www.), whether
    the fast pattern could read it, and whether it may be a platform's page."""
    v, host = pl.col("v"), pl.col("host")
    staged = _frame(raw).with_columns(
        host=v.str.extract(_WEBSITE, 1).str.to_lowercase().str.strip_chars_end(".")
        .str.strip_prefix("www.")
    )
    return staged.select(
        ok=host.str.contains(_HOST_OK) & (host.str.len_chars() <= 253),
        host=host,
        platform=host.str.contains(_PLATFORM) | v.str.contains(_GOOGLE_MAPS),
    )


def domains(raw: pl.Series) -> pl.Series:
    """normalise_domain over a column."""
    hosts = _hosts(raw)
    return _with_slow(raw, hosts["ok"], hosts["host"], normalise_domain)


def company_domains(raw: pl.Series) -> pl.Series:
    """company_domain over a column (None for platforms: LinkedIn, Facebook, maps ...)."""
    hosts = _hosts(raw)
    ok = hosts["ok"] & ~hosts["platform"].fill_null(False)
    return _with_slow(raw, ok, hosts["host"], company_domain)


def platforms(raw: pl.Series) -> pl.Series:
    """platform_of over a column: the site's name where a cell is a platform's page."""
    hosts = _hosts(raw)
    plain = hosts["ok"] & ~hosts["platform"].fill_null(False)
    return _with_slow(raw, plain, _NULL.extend_constant(None, raw.len() - 1), platform_of)


def linkedin_urls(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(normalise_linkedin, the slug the key is made of) over a column."""
    slug = pl.col("slug")
    staged = _frame(raw).with_columns(slug=pl.col("v").str.extract(_LINKEDIN, 1))
    fast = staged.with_columns(low=slug.str.to_lowercase()).select(
        ok=slug.is_not_null() & ~pl.col("low").is_in(_NOT_HANDLES),
        slug=pl.when(slug.str.contains(_MEMBER_ID.pattern)).then(slug).otherwise(pl.col("low")),
    )
    urls = _with_slow(raw, fast["ok"], "https://www.linkedin.com/in/" + fast["slug"],
                      normalise_linkedin)
    slugs = _with_slow(urls, fast["ok"], fast["slug"], linkedin_slug)
    return urls, slugs


def _plain(raw: pl.Series, slow: Callable[[str], str | None], extra: pl.Expr) -> pl.Series:
    """A normaliser that leaves single-spaced printable ASCII as it is (when `extra` holds)."""
    v = pl.col("v")
    ok = _frame(raw).select(ok=v.str.contains(_SPACED) & extra)["ok"]
    return _with_slow(raw, ok, raw, slow)


def names(raw: pl.Series) -> pl.Series:
    """normalise_name over a column."""
    v = pl.col("v")
    return _plain(raw, normalise_name, v.str.contains("[A-Za-z]") & ~v.str.contains(r"^[,;]|[,;]$"))


def companies(raw: pl.Series) -> pl.Series:
    """normalise_company over a column."""
    return _plain(raw, normalise_company, pl.col("v").str.contains("[A-Za-z0-9]"))


def ids(raw: pl.Series) -> pl.Series:
    """normalise_id over a column."""
    return _plain(raw, normalise_id, ~pl.col("v").str.contains(" "))


def tickers(raw: pl.Series) -> pl.Series:
    """normalise_ticker over a column."""
    ok = _frame(raw).select(ok=pl.col("v").str.contains(_TICKER))["ok"]
    return _with_slow(raw, ok, raw, normalise_ticker)


def folded(raw: pl.Series) -> pl.Series:
    """fold over a column (null stays null)."""
    v = pl.col("v")
    fast = _frame(raw).select(ok=v.str.contains(_SPACED), value=v.str.to_lowercase())
    return _with_slow(raw, fast["ok"], fast["value"], fold)


def phones(raw: pl.Series) -> pl.Series:
    """normalise_phone over a column."""
    v = pl.col("v")
    digits = v.str.replace_all("[^0-9]", "")
    trimmed = v.str.strip_chars(" ")
    plus = trimmed.str.starts_with("+") | trimmed.str.starts_with("00")
    fast = _frame(raw).select(
        ok=v.str.contains(_PHONE),
        value=pl.when(digits.str.len_chars().is_between(7, 15))
        .then(pl.when(plus).then("+" + digits).otherwise(digits)),
    )
    return _with_slow(raw, fast["ok"], fast["value"], normalise_phone)


def split_names(raw: pl.Series) -> tuple[pl.Series, pl.Series]:
    """split_full_name over a column: (given names, family names), null where it gives None."""
    v = pl.col("v")
    first, rest = v.str.extract(_FULL_NAME, 1), v.str.extract(_FULL_NAME, 2)
    last_word = rest.str.extract(r"(\S+)$", 1).str.to_lowercase()
    parts = _frame(raw).select(
        ok=first.is_not_null() & ~first.str.to_lowercase().is_in(sorted(_TITLES))
        & ~last_word.is_in(sorted(_SUFFIXES)),
        first=first, rest=rest,
    )

    def given(text: str) -> str | None:
        split = split_full_name(text)
        return split[0] if split else None

    def family(text: str) -> str | None:
        split = split_full_name(text)
        return split[1] if split else None

    return (_with_slow(raw, parts["ok"], parts["first"], given),
            _with_slow(raw, parts["ok"], parts["rest"], family))


IDENTITY_FIELDS = ("email", "linkedin_url", "person_id", "first_name", "last_name",
                   "company_name", "domain", "company_ticker", "company_id", "phone")
VERDICT_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.String(), "aliases": pl.List(pl.String()),
    **{f: pl.String() for f in IDENTITY_FIELDS}, "reason": pl.String(),
}


def validate_frame(frame: pl.DataFrame, kind: Kind) -> list[Identity | Invalid]:
    """`validate(derive(row), kind)` for every row of `frame` (field -> raw text, null where the
    row has nothing), in row order."""
    return verdicts_of(verdict_frame(frame, kind), kind)


def verdict_frame(frame: pl.DataFrame, kind: Kind) -> pl.DataFrame:
    """`validate_frame` as columns (VERDICT_SCHEMA), one row per row of `frame`: a valid row's
    identity (`key`, `aliases`, the IDENTITY_FIELDS, null where unset; `reason` null), an invalid
    row's `reason` (everything else null)."""
    if frame.height == 0:
        return pl.DataFrame(schema=VERDICT_SCHEMA)
    fields = _Fields(frame)
    out = (_person if kind == "person" else _company)(fields)
    invalid = out.with_row_index("row").filter(pl.col("key").is_null())["row"].to_list()
    if not invalid:
        return out.with_columns(reason=_NULL.extend_constant(None, out.height - 1))
    slow = {i: validate(_derived(fields, i, kind), kind) for i in invalid}
    return _patched(out, slow)


def _patched(out: pl.DataFrame, slow: Mapping[int, Identity | Invalid]) -> pl.DataFrame:
    """`out` with the rows `validate` decided put in (an Invalid's reason, or its Identity)."""
    rows = [_verdict_row(v) for v in slow.values()]
    patch = pl.DataFrame(rows, schema=VERDICT_SCHEMA, orient="row").with_columns(
        row=pl.Series(list(slow), dtype=pl.UInt32))
    kept = out.with_row_index("row").filter(~pl.col("row").is_in(list(slow)))
    both = pl.concat([kept.with_columns(reason=pl.lit(None, pl.String)), patch],
                     how="diagonal_relaxed")
    return both.sort("row").select(list(VERDICT_SCHEMA))


def _verdict_row(verdict: Identity | Invalid) -> list[object]:
    if isinstance(verdict, Invalid):
        return [None] * (len(VERDICT_SCHEMA) - 1) + [verdict.reason]
    return [verdict.key, list(verdict.aliases),
            *(getattr(verdict, f) for f in IDENTITY_FIELDS), None]


def verdicts_of(verdicts: pl.DataFrame, kind: Kind) -> list[Identity | Invalid]:
    """The rows of a `verdict_frame` as `Identity` and `Invalid` records."""
    columns = [verdicts[c].to_list() for c in VERDICT_SCHEMA]
    out: list[Identity | Invalid] = []
    for key, aliases, email, li, pid, first, last, org, domain, ticker, cid, phone, reason in zip(
            *columns, strict=True):
        if key is None:
            out.append(Invalid(reason))
        else:
            out.append(Identity(kind, key, email, li, pid, first, last, org, domain, ticker, cid,
                                phone, tuple(aliases)))
    return out


class _Fields:
    """The raw field columns of a frame; a missing field is a column of nulls."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __getitem__(self, field: str) -> pl.Series:
        if field in self.frame.columns:
            return self.frame[field].cast(pl.String)
        return pl.Series(field, [None] * self.frame.height, dtype=pl.String)

    def row(self, index: int) -> dict[str, str]:
        """The non-null raw values of one row (what mapping.row_values gives before derive)."""
        values = self.frame.row(index, named=True)
        return {k: v for k, v in values.items() if v is not None}


def _pick(when: pl.Series, then: pl.Series, otherwise: pl.Series) -> pl.Series:
    return pl.select(pl.when(when).then(then).otherwise(otherwise)).to_series()


def _domains(fields: _Fields, fallback: pl.Series | None) -> pl.Series:
    """The domain validate ends with: derive's domain (from the website, or `fallback`) where the
    domain column gives none, then company_domain of that, or of the website."""
    own, website = company_domains(fields["domain"]), company_domains(fields["website"])
    derived = website if fallback is None else website.fill_null(fallback)
    values = _pick(own.is_null() & derived.is_not_null(), derived, fields["domain"])
    return company_domains(values).fill_null(website)


def _work_domains(raw_emails: pl.Series) -> pl.Series:
    at = emails(raw_emails).str.extract(r"@([^@]*)$", 1)
    found = domains(at)
    return _pick(found.is_in(sorted(FREE_MAIL)), _NULL, found)


def _names(fields: _Fields) -> tuple[pl.Series, pl.Series]:
    first_raw, last_raw, full = fields["first_name"], fields["last_name"], fields["full_name"]
    given, family = split_names(full)
    derive = (first_raw.is_null() | last_raw.is_null()) & full.is_not_null()
    first = names(_pick(first_raw.is_null() & derive, given, first_raw))
    last = names(_pick(last_raw.is_null() & derive, family, last_raw))
    return first.fill_null(given), last.fill_null(family)


_NULL = pl.Series([None], dtype=pl.String)


def _prefixed(prefix: str, column: pl.Series) -> pl.Series:
    return pl.select(pl.lit(prefix) + column).to_series()


def _person(fields: _Fields) -> pl.DataFrame:
    email, person_id = emails(fields["email"]), ids(fields["person_id"])
    linkedin, slug = linkedin_urls(fields["linkedin_url"])
    first, last = _names(fields)
    company, domain = companies(fields["company_name"]), _domains(fields, None)
    org = domain.fill_null(company)
    keys = pl.DataFrame({
        "li": _pick(linkedin.is_not_null(), _prefixed("li:", slug.fill_null("")), _NULL),
        "email": _prefixed("email:", email), "pid": _prefixed("pid:", person_id),
        "name": _prefixed("name:", folded(first) + "|" + folded(last) + "|" + folded(org)),
    }).select(
        strong=pl.concat_list("li", "email", "pid").list.drop_nulls(), name=pl.col("name")
    ).select(
        aliases=pl.when(pl.col("strong").list.len() > 0).then("strong")
        .otherwise(pl.concat_list("name").list.drop_nulls())
    )["aliases"]
    return pl.DataFrame({
        "key": keys.list.first(), "aliases": keys, "email": email, "linkedin_url": linkedin,
        "person_id": person_id, "first_name": first, "last_name": last, "company_name": company,
        "domain": domain, "company_ticker": _nulls(keys.len()), "company_id": _nulls(keys.len()),
        "phone": phones(fields["phone"]),
    })


def _company(fields: _Fields) -> pl.DataFrame:
    work = _work_domains(fields["email"])
    domain = _domains(fields, work).fill_null(work)
    name, ticker = companies(fields["company_name"]), tickers(fields["company_ticker"])
    company_id = ids(fields["company_id"])
    keys = pl.DataFrame({
        "domain": _prefixed("domain:", domain), "cid": _prefixed("cid:", company_id),
        "ticker": _prefixed("ticker:", ticker.str.to_lowercase()),
        "name": _prefixed("name:", folded(name)),
    }).select(
        key=pl.coalesce("domain", "cid", "ticker", "name"),
        strong=pl.concat_list("domain", "cid").list.drop_nulls(),
    )
    aliases = keys.select(pl.when(pl.col("key").is_not_null()).then(
        pl.concat_list("key", "strong").list.unique(maintain_order=True)))
    nulls = _nulls(keys.height)
    return pl.DataFrame({
        "key": keys["key"], "aliases": aliases.to_series(), "email": nulls, "linkedin_url": nulls,
        "person_id": nulls, "first_name": nulls, "last_name": nulls, "company_name": name,
        "domain": domain, "company_ticker": ticker, "company_id": company_id, "phone": nulls,
    })


def _derived(fields: _Fields, index: int, kind: Kind) -> Mapping[str, str]:
    from csv_enrich.rules.validate import derive

    return derive(fields.row(index), kind)


def _linkedin_check(raw: pl.Series) -> pl.Series:
    return linkedin_urls(raw)[0]


_CHECKS: dict[str, Callable[[pl.Series], pl.Series]] = {
    "email": emails, "linkedin_url": _linkedin_check, "domain": company_domains,
    "website": company_domains, "phone": phones, "person_id": ids,
}  # fmt: skip


def _blank(cell: pl.Series) -> pl.Series:
    """True where `clean` leaves nothing of a cell (null, whitespace or zero-width spaces)."""
    text = cell.str.replace_all("\u200b", "", literal=True)
    return text.is_null() | text.str.contains(rf"^{PY_SPACE}*$")


def picked(field: str, cells: Sequence[tuple[str, pl.Series]]) -> tuple[pl.Series, pl.Series]:
    """`rules.cells.pick` over columns: per row, the text used for `field` from its columns in
    order of preference (null when every cell is blank), and the row's note when that text came
    from a cell holding several values (else null)."""
    filled = [_pick(~_blank(column), column, _NULL) for _, column in cells]
    check = _CHECKS.get(field)
    if check is None:
        return _first(filled).rename(field), _nulls(filled[0].len())
    valid, notes = [], []
    for (header, _), text in zip(cells, filled, strict=True):
        whole = check(text).is_not_null()
        inner = _inner(field, _pick(whole, _NULL, text))
        valid.append(_pick(whole, text, inner))
        notes.append(_pick(inner.is_not_null(), _several(field, header, inner), _NULL))
    text = _first(valid).fill_null(_first(filled))
    chosen = pl.select(pl.coalesce(
        [pl.when(v.is_not_null()).then(n.fill_null("")) for v, n in zip(valid, notes, strict=True)]
    )).to_series()
    return text.rename(field), _pick(chosen == "", _NULL, chosen)


def _first(columns: Sequence[pl.Series]) -> pl.Series:
    return pl.select(pl.coalesce(columns)).to_series()


def _nulls(length: int) -> pl.Series:
    return pl.Series([None] * length, dtype=pl.String)


def _inner(field: str, cells: pl.Series) -> pl.Series:
    """The first valid value inside cells that are not valid whole (null where none is)."""
    from csv_enrich.rules.cells import first_valid, split_values

    def inner(text: str) -> str | None:
        return first_valid(field, text) if len(split_values(field, text)) > 1 else None

    return _with_slow(cells, pl.Series([False] * cells.len()), cells, inner)


def _several(field: str, header: str, values: pl.Series) -> pl.Series:
    from csv_enrich.rules.cells import Picked, several_note

    unique = values.drop_nulls().unique()
    notes = [several_note(field, Picked(v, header, True)) for v in unique.to_list()]
    return values.replace_strict(unique, pl.Series(notes, dtype=pl.String), default=None,
                                 return_dtype=pl.String)
