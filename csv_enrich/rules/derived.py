"""Values derived from one raw column, computed for a whole table in one polars query.

A `Norm` is a per-value normaliser written twice: as polars expressions that read the common
forms (`fast` gives, for an input expression, whether it could read the value and what the
normaliser gives then) and as the Python function itself (`slow`), for the rest. A `Derived` is
a chain of them applied to one raw column: where every step's pattern holds, the expressions
give exactly what the chain of Python functions would.

`resolve` computes any number of Deriveds over a frame at once: one query computes every step
of every chain once (a step shared by several chains, once), then the Python chain runs once per
distinct raw value that some pattern did not read (the rare odd value), and the values it gives
are put back by a lookup in the next query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import reduce

import polars as pl

Slow = Callable[[str | None], str | None]


@dataclass(frozen=True, eq=False)
class Norm:
    """A normaliser: `fast(x)` -> (ok, value) expressions, value exact where ok is true (and
    null for a null input); `slow`, the Python normaliser (None in, None out). With `parse`,
    `parse(x)` is computed first, once, and `fast(x, parsed)` reads it."""

    fast: Callable[..., tuple[pl.Expr, pl.Expr]]
    slow: Slow
    parse: Callable[[pl.Expr], pl.Expr] | None = None


@dataclass(frozen=True)
class Derived:
    """The raw text of column `source` through `norms`, in order."""

    source: str
    norms: tuple[Norm, ...] = ()

    def then(self, norm: Norm) -> Derived:
        """`norm` applied to this value."""
        return Derived(self.source, (*self.norms, norm))

    def slow(self, text: str | None) -> str | None:
        """The Python chain: what the value is for the raw text `text`."""
        return reduce(lambda value, norm: norm.slow(value), self.norms, text)


def raw(source: str) -> Derived:
    """The raw text of column `source` as it is."""
    return Derived(source)


Slowly = dict[str, dict[str, str | None]]


def resolve(
    frame: pl.DataFrame, wanted: Mapping[str, Derived], fast_only: Iterable[str] = ()
) -> tuple[pl.LazyFrame, Slowly]:
    """`frame` (lazy) with a String column per name in `wanted`: its Derived, exact; null where
    the raw text is null. The Python chains run once per distinct raw value left over; what
    they gave is returned too (name -> raw text -> value). The names in `fast_only` get what
    the patterns read and null for the rest (no Python)."""
    steps = _steps(wanted.values())
    query = frame.lazy()
    for depth in range(1, max((len(d.norms) for d in steps), default=0) + 1):
        here = {d: n for d, n in steps.items() if len(d.norms) == depth}
        parsed = {_parsed_name(d, steps): _parsed(d, steps) for d in here if d.norms[-1].parse}
        if parsed:
            query = query.with_columns(e.alias(n) for n, e in parsed.items())
        query = query.with_columns(e for d, n in here.items() for e in _step(d, n, steps))
    finals = {steps[d] for d in wanted.values() if d in steps}
    kept = [*frame.columns, *(c for n in finals for c in (n, f"{n} ok"))]
    staged = query.select(kept).collect()  # without the steps between (less memory)
    skip = set(fast_only)
    left = _leftovers(staged, {n: (d, steps.get(d)) for n, d in wanted.items() if n not in skip})
    left |= dict.fromkeys(skip & set(wanted), [])
    slowly = {n: {text: wanted[n].slow(text) for text in texts} for n, texts in left.items()}
    return staged.lazy().with_columns(
        _resolved(d, steps.get(d), slowly[n]).alias(n) for n, d in wanted.items()
    ), slowly


def _steps(wanted: Iterable[Derived]) -> dict[Derived, str]:
    """Every step of the chains (each prefix of each, once), with its column's name."""
    steps: dict[Derived, str] = {}
    for derived in wanted:
        for depth in range(1, len(derived.norms) + 1):
            step = Derived(derived.source, derived.norms[:depth])
            steps.setdefault(step, f"\x00step {len(steps)}")
    return steps


def _before(derived: Derived, steps: Mapping[Derived, str]) -> tuple[pl.Expr, pl.Expr]:
    """The ok and value of the step before `derived`'s last."""
    before = Derived(derived.source, derived.norms[:-1])
    if before.norms:
        return pl.col(f"{steps[before]} ok"), pl.col(steps[before])
    return pl.lit(True), pl.col(derived.source).cast(pl.String)


def _parsed_name(derived: Derived, steps: Mapping[Derived, str]) -> str:
    """The column of what the last norm of `derived` parses from the value before it: one
    for every norm with the same parse of the same value."""
    before = Derived(derived.source, derived.norms[:-1])
    parse = derived.norms[-1].parse
    assert parse is not None
    return f"{steps[before] if before.norms else derived.source} parsed {parse.__qualname__}"


def _parsed(derived: Derived, steps: Mapping[Derived, str]) -> pl.Expr:
    parse = derived.norms[-1].parse
    assert parse is not None
    return parse(_before(derived, steps)[1])


def _step(derived: Derived, name: str, steps: Mapping[Derived, str]) -> list[pl.Expr]:
    """The ok and value columns of one step, from those of the step before."""
    ok_before, value = _before(derived, steps)
    norm = derived.norms[-1]
    if norm.parse is None:
        ok, fast = norm.fast(value)
    else:
        ok, fast = norm.fast(value, pl.col(_parsed_name(derived, steps)))
    return [(ok_before & ok).fill_null(False).alias(f"{name} ok"),
            fast.cast(pl.String).alias(name)]  # fmt: skip


def _ok(derived: Derived, name: str | None) -> pl.Expr:
    return pl.lit(True) if name is None else pl.col(f"{name} ok")


def _leftovers(
    staged: pl.DataFrame, wanted: Mapping[str, tuple[Derived, str | None]]
) -> dict[str, list[str]]:
    """Per name, the distinct non-null raw values its patterns did not read."""
    if not wanted:
        return {}
    lists = staged.select(
        pl.col(d.source).filter(~_ok(d, step) & pl.col(d.source).is_not_null())
        .unique().implode().alias(n)
        for n, (d, step) in wanted.items()
    )  # fmt: skip
    return {n: values or [] for n, values in lists.row(0, named=True).items()}


def _resolved(derived: Derived, step: str | None, slowly: dict[str, str | None]) -> pl.Expr:
    if step is None:
        return pl.col(derived.source).cast(pl.String)
    fast = pl.when(pl.col(f"{step} ok")).then(pl.col(step))
    if not slowly:
        return fast
    looked_up = pl.col(derived.source).replace_strict(
        list(slowly), list(slowly.values()), default=None, return_dtype=pl.String
    )
    return fast.otherwise(looked_up)
