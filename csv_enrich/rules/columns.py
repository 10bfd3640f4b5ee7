"""Column-wise validation: the verdicts of `validate`, for a whole table at once.

`rules.keys` works out every row's key, aliases and identity fields in two polars queries (the
Python normalisers run only for the distinct values its strict patterns do not read); only the
rows left without a key go through `validate` itself, for its reason. So the result is exactly
`[validate(derive(row), kind) for row in rows]`, at the speed of a few column scans: as records
(`validate_frame`) or as columns (`verdict_frame`).
"""

from __future__ import annotations

import dataclasses
import gc
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import repeat

import polars as pl

from csv_enrich.models import Identity, Invalid, Kind
from csv_enrich.rules.derived import raw, resolve
from csv_enrich.rules.exprs import PLATFORM
from csv_enrich.rules.keys import COMPANY_FIELDS, IDENTITY_FIELDS, PERSON_FIELDS, identity_columns
from csv_enrich.rules.normalise import PLATFORMS
from csv_enrich.rules.validate import derive, validate

__all__ = ["COMPANY_FIELDS", "IDENTITY_FIELDS", "PERSON_FIELDS", "VERDICT_SCHEMA", "platform_sites",
           "platforms", "validate_frame", "verdict_frame", "verdicts_of"]  # fmt: skip

VERDICT_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.String(), "aliases": pl.List(pl.String()),
    **{f: pl.String() for f in IDENTITY_FIELDS}, "reason": pl.String(),
}
_NULL = pl.lit(None, dtype=pl.String)


def validate_frame(frame: pl.DataFrame, kind: Kind) -> list[Identity | Invalid]:
    """`validate(derive(row), kind)` for every row of `frame` (field -> raw text, null where the
    row has nothing), in row order."""
    if frame.height == 0:
        return []
    columns = identity_columns(frame, kind)
    second, third = columns.get_column("second"), columns.get_column("third")
    keys = columns.get_column("key").to_list()
    aliases = _tuples(keys, second.to_list(), third.to_list())
    return _records(kind, keys, aliases, columns,
                    lambda i: validate(_derived(frame, i, kind), kind))


def verdict_frame(frame: pl.DataFrame, kind: Kind) -> pl.DataFrame:
    """`validate_frame` as columns (VERDICT_SCHEMA), one row per row of `frame`: a valid row's
    identity (`key`, `aliases`, the IDENTITY_FIELDS, null where unset; `reason` null), an invalid
    row's `reason` (everything else null)."""
    if frame.height == 0:
        return pl.DataFrame(schema=VERDICT_SCHEMA)
    second, third = pl.col("second"), pl.col("third")
    aliases = (  # (a list's drop_nulls costs ten times more)
        pl.when(pl.col("key").is_null()).then(None)
        .when(second.is_null()).then(pl.concat_list("key"))
        .when(third.is_null()).then(pl.concat_list("key", second))
        .otherwise(pl.concat_list("key", second, third))
    )  # fmt: skip
    out = identity_columns(frame, kind).select(
        "key", aliases.alias("aliases"), *IDENTITY_FIELDS, _NULL.alias("reason")
    )
    if out.get_column("key").null_count() == 0:
        return out
    invalid = out.with_row_index("row").filter(pl.col("key").is_null())["row"].to_list()
    slow = {i: validate(_derived(frame, i, kind), kind) for i in invalid}
    return _patched(out, slow)


def verdicts_of(verdicts: pl.DataFrame, kind: Kind) -> list[Identity | Invalid]:
    """The rows of a `verdict_frame` as `Identity` and `Invalid` records."""
    if verdicts.height == 0:
        return []
    reasons = verdicts.get_column("reason").to_list()
    key = verdicts.get_column("key")
    keys = key.to_list()
    return _records(kind, keys, _alias_tuples(verdicts.get_column("aliases"), key, keys),
                    verdicts, lambda i: Invalid(reasons[i]))


def _alias_tuples(aliases: pl.Series, key: pl.Series,
                  keys: list[str | None]) -> list[tuple[str, ...] | None]:
    """A list column of aliases as tuples (read as three columns when no list is longer: a list
    column's to_list costs ten times more). The first alias is each row's key (as its verdict
    gives it): then it is the very string of `keys`, one string in memory, not two."""
    lengths = aliases.list.len().drop_nulls()
    if len(lengths) and not 1 <= int(lengths.min()) <= int(lengths.max()) <= 3:  # type: ignore[arg-type]
        return [None if a is None else tuple(a) for a in aliases.to_list()]
    head = aliases.list.get(0, null_on_oob=True)
    first = keys if head.eq_missing(key).all() else head.to_list()
    second, third = (aliases.list.get(i, null_on_oob=True).to_list() for i in (1, 2))
    return _tuples(first, second, third)


def _tuples(
    first: list[str | None], second: list[str | None], third: list[str | None]
) -> list[tuple[str, ...] | None]:
    return [
        None if a is None else (a,) if b is None else (a, b) if c is None else (a, b, c)
        for a, b, c in zip(first, second, third, strict=True)
    ]


def _records(
    kind: Kind, keys: list[str | None], aliases: list[tuple[str, ...] | None],
    columns: pl.DataFrame, otherwise: Callable[[int], Identity | Invalid],
) -> list[Identity | Invalid]:
    """An Identity per row with a key (its fields from `columns`, a column of nulls read as
    such without a list), `otherwise(row index)` for the others."""
    fields = [repeat(None) if columns.get_column(f).null_count() == columns.height
              else columns.get_column(f).to_list() for f in IDENTITY_FIELDS]  # fmt: skip
    out: list[Identity | Invalid] = []
    add = out.append
    with _no_gc():
        rows = zip(keys, aliases, *fields, strict=False)  # (repeat(None) for a null column)
        for index, (key, keyed, email, li, pid, first, last, org, domain, ticker, cid,
                    phone) in enumerate(rows):  # fmt: skip
            if key is None or keyed is None:
                add(otherwise(index))
            elif not _PLAIN_IDENTITY:
                add(Identity(kind, key, email, li, pid, first, last, org, domain, ticker, cid,
                             phone, keyed))
            else:
                made = _NEW(Identity)
                values = made.__dict__  # set in field order, so it stays a key-sharing dict
                values["kind"] = kind
                values["key"] = key
                values["email"] = email
                values["linkedin_url"] = li
                values["person_id"] = pid
                values["first_name"] = first
                values["last_name"] = last
                values["company_name"] = org
                values["domain"] = domain
                values["company_ticker"] = ticker
                values["company_id"] = cid
                values["phone"] = phone
                values["aliases"] = keyed
                add(made)
    return out


def platforms(column: pl.Series) -> pl.Series:
    """platform_of over a column: the site's name where a cell is a platform's page."""
    staged = column.cast(pl.String).rename("v").to_frame()
    query, _ = resolve(staged, {"site": raw("v").then(PLATFORM)})
    return query.collect()["site"].rename(column.name)


# Text a platform's page holds one of: a platform's domain (ASCII, any case), google. or goo.gl
# (Google Maps), or a non-ASCII character (which IDNA may turn into an ASCII domain).
_MAYBE_PLATFORM = "(?i-u)" + "|".join(re.escape(p) for p in PLATFORMS) + "|goo"


def platform_sites(column: pl.Series) -> tuple[set[str], bool]:
    """The sites (platform_of) whose pages `column` holds, and whether every non-null cell is
    one; platform_of runs only on the distinct cells that may be one."""
    text = column.cast(pl.String).drop_nulls()
    maybe = text.str.contains(_MAYBE_PLATFORM) | (text.str.len_bytes() != text.str.len_chars())
    sites = platforms(text.filter(maybe).unique())
    every = len(text) > 0 and bool(maybe.all()) and sites.null_count() == 0
    return set(sites.drop_nulls()), every


def _patched(out: pl.DataFrame, slow: Mapping[int, Identity | Invalid]) -> pl.DataFrame:
    """`out` with the rows `validate` decided put in (an Invalid's reason, or its Identity)."""
    rows = [_verdict_row(v) for v in slow.values()]
    patch = pl.DataFrame(rows, schema=VERDICT_SCHEMA, orient="row").with_columns(
        row=pl.Series(list(slow), dtype=pl.UInt32))
    kept = out.with_row_index("row").filter(~pl.col("row").is_in(list(slow)))
    both = pl.concat([kept, patch], how="diagonal_relaxed")
    return both.sort("row").select(list(VERDICT_SCHEMA))


def _verdict_row(verdict: Identity | Invalid) -> list[object]:
    if isinstance(verdict, Invalid):
        return [None] * (len(VERDICT_SCHEMA) - 1) + [verdict.reason]
    return [verdict.key, list(verdict.aliases),
            *(getattr(verdict, f) for f in IDENTITY_FIELDS), None]


def _derived(frame: pl.DataFrame, index: int, kind: Kind) -> Mapping[str, str]:
    """derive() of one row's non-null raw values (what mapping.row_values gives)."""
    values = frame.row(index, named=True)
    return derive({k: v for k, v in values.items()
                   if v is not None and not k.startswith("\x00")}, kind)  # fmt: skip


@contextmanager
def _no_gc() -> Iterator[None]:
    """Build many small objects without the cyclic collector scanning them again and again
    (none of them is part of a cycle)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# Identities are made by filling their __dict__ field by field, at a third of the cost of a
# frozen dataclass's __init__ (which sets each field through object.__setattr__), in as little
# memory; only while Identity is the plain dataclass of these fields.
_PLAIN_IDENTITY = (
    tuple(f.name for f in dataclasses.fields(Identity))
    == ("kind", "key", *IDENTITY_FIELDS, "aliases")
    and not hasattr(Identity, "__post_init__") and not hasattr(Identity, "__slots__")
)
_NEW = object.__new__
