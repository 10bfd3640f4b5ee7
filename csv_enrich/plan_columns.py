"""The plan's column-wise half: the rows' verdicts, dedupe and the identities kept as columns.

`plan.make_plan` works on a verdict frame (`rules.columns.verdict_frame`: a row's key, aliases and
identifier fields, or its reason) instead of one `Identity` per row. Rows that share an alias are
one person: most rows share nothing, and a group whose rows each share one alias is the rows with
that alias (a polars group-by); only the rows joined through several shared aliases go through
`plan.dedupe`'s union-find, in Python. What comes out is exactly what `plan.dedupe` gives (the
differential tests in tests/test_plan_columns.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import polars as pl

from csv_enrich.models import Identity, Invalid, Kind, LazyIdentities, NotData
from csv_enrich.rules.columns import IDENTITY_FIELDS, verdicts_of
from csv_enrich.rules.exprs import FOLD
from csv_enrich.rules.normalise import fold

ROW = "row"  # a verdict's row index in the table
STRONG = ("li:", "email:", "pid:")
SLICE = 10_000  # identities worked out at once where each gives a Python value
_NAME_FIELDS = ("first_name", "last_name", "domain", "company_name")  # what name keys read


def row_keys(verdicts: pl.DataFrame, valid: pl.DataFrame, key_of: pl.Series,
             identities: IdentityFrame, rows: tuple[int, Invalid | None],
             not_data: Mapping[int, str], ragged: Mapping[int, str]) -> tuple[str | Invalid, ...]:
    """`Plan.row_keys`: each row's identity key (its group's), or why it is not sent. `rows`:
    how many rows the table has, and the verdict of those past the verdicts (--limit). A row's
    key is the very string `identities.keys` holds (every group's key is one of them), not a
    copy: 100k rows' keys cost no more memory than the identities' own."""
    height, past = rows
    own = identities.keys
    at = _positions(key_of, identities.frame["key"])
    every = pl.repeat(None, height, dtype=pl.UInt32, eager=True).scatter(valid[ROW], at)
    keys: list[str | Invalid | None]
    if every.null_count() == 0 and every.equals(pl.int_range(height, dtype=pl.UInt32,
                                                             eager=True), check_names=False):
        keys = list(own)  # row i is identity i (every row valid, nobody twice): no lookups
    else:
        keys = [None if j is None else own[j] for j in every.to_list()]
    bad = verdicts.with_row_index(ROW).filter(pl.col("key").is_null())
    for row, reason in zip(bad[ROW].to_list(), bad["reason"].to_list(), strict=True):
        keys[row] = Invalid(reason)
    for row in range(verdicts.height, height):
        keys[row] = past
    for row, reason in ragged.items():
        keys[row] = Invalid(reason)
    for row, reason in not_data.items():
        keys[row] = NotData(reason)
    assert None not in keys
    return tuple(keys)  # type: ignore[arg-type]


def _positions(key_of: pl.Series, keys: pl.Series) -> pl.Series:
    """Where each of `key_of` is in `keys` (which holds each once); no join when they are the
    same keys in the same order (nobody twice: each row is its own identity)."""
    if key_of.len() == keys.len() and key_of.equals(keys, check_names=False):
        return pl.int_range(keys.len(), dtype=pl.UInt32, eager=True)
    found = keys.to_frame("key").with_row_index("at")
    return key_of.to_frame("key").join(found, on="key", how="left", maintain_order="left")["at"]


def valid_rows(verdicts: pl.DataFrame, not_data: Mapping[int, str],
               ragged: Mapping[int, str]) -> pl.DataFrame:
    """The verdicts of the rows to dedupe (valid, and neither ragged nor not data), with ROW."""
    apart = pl.Series([*not_data, *ragged], dtype=pl.UInt32)
    return verdicts.with_row_index(ROW).filter(
        pl.col("key").is_not_null() & ~pl.col(ROW).is_in(apart.implode()))


def dedupe_frame(valid: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """`plan.dedupe` over verdict rows: the representatives (first-seen order, each carrying its
    group's aliases) and, per row, its representative's key."""
    pairs = valid.select(i=pl.int_range(pl.len(), dtype=pl.UInt32), alias=pl.col("aliases"))
    pairs = pairs.explode("alias")
    shared = pairs.filter(pl.col("alias").is_duplicated())
    if shared.height == 0:
        return valid, valid["key"]
    group = _group_labels(valid, shared)
    return _representatives(valid, group)


def _group_labels(valid: pl.DataFrame, shared: pl.DataFrame) -> pl.Series:
    """Per row, a label its group shares: its one shared alias, the union-find root of the rows
    joined through several, or its own key (a row that shares nothing)."""
    per_row = shared.group_by("i").agg(n=pl.len(), alias=pl.col("alias").first())
    bridges = per_row.filter(pl.col("n") > 1)["i"]
    label = pl.Series("label", valid["key"].to_list(), dtype=pl.String).scatter(
        per_row["i"], per_row["alias"])
    if bridges.len() == 0:
        return label
    bridged = shared.filter(pl.col("i").is_in(bridges.implode()))["alias"].unique()
    joined = shared.filter(pl.col("alias").is_in(bridged.implode()))["i"].unique().sort()
    roots = _union_find(valid["aliases"].gather(joined).to_list())
    return label.scatter(joined, pl.Series(roots, dtype=pl.String))


def _union_find(aliases: Sequence[Sequence[str]]) -> list[str]:
    """Each row's group root, rows joined by any shared alias (as plan._groups)."""
    parent: dict[str, str] = {}

    def root(alias: str) -> str:
        while parent.setdefault(alias, alias) != alias:
            parent[alias] = parent[parent[alias]]
            alias = parent[alias]
        return alias

    for first, *rest in aliases:
        for alias in rest:
            parent[root(alias)] = root(first)
    return ["#" + root(a[0]) for a in aliases]  # "#": never an alias, so never another's label


def _representatives(valid: pl.DataFrame, group: pl.Series) -> tuple[pl.DataFrame, pl.Series]:
    """Per group the row with the most identifiers (the first of equals), answering to every
    alias of the group (its own first, then the others' in row order), in first-seen order."""
    count = pl.sum_horizontal(pl.col(f).is_not_null() for f in IDENTITY_FIELDS)
    ranked = valid.with_columns(group=group, i=pl.int_range(pl.len(), dtype=pl.UInt32), n=count)
    best = (ranked.sort(["n", "i"], descending=[True, False])
            .unique("group", keep="first").select("group", best="i"))
    ranked = ranked.join(best, on="group", how="left", maintain_order="left")
    merged = (ranked.sort(pl.col("i") != pl.col("best"), "i").select("group", "aliases")
              .explode("aliases").unique(maintain_order=True)
              .group_by("group").agg(merged="aliases"))
    order = ranked.group_by("group", maintain_order=True).agg(pl.col("best").first())["best"]
    reps = ranked.gather(order).join(merged, on="group", how="left", maintain_order="left")
    reps = reps.with_columns(aliases=pl.col("merged")).select(valid.columns)
    return reps, ranked["key"].gather(ranked["best"])


class IdentityFrame(LazyIdentities):
    """The identities a plan sends, kept as verdict columns (`frame`: key, aliases and the
    IDENTITY_FIELDS): counted, filtered, sliced and sent without being built. An `Identity` is
    built only when one is asked for (`built`), for the identities of that frame alone."""

    def __init__(self, frame: pl.DataFrame, kind: Kind,
                 built: Sequence[Identity] | None = None) -> None:
        super().__init__((), (lambda: built) if built is not None
                         else (lambda: _identities(frame, kind)))
        self.frame, self.kind = frame, kind
        self._counted: dict[str, int] = {}
        self._sorted: tuple[pl.Series, pl.Series] | None = None  # (row order, sorted keys)
        self._key_list: list[str] | None = None

    @classmethod
    def of(cls, idents: Sequence[Identity], kind: Kind) -> IdentityFrame:
        """`idents` as columns (the same identities, built already); an IdentityFrame as it is."""
        if isinstance(idents, IdentityFrame):
            return idents
        idents = tuple(idents)
        columns: dict[str, list[object]] = {
            "key": [i.key for i in idents], "aliases": [list(i.aliases) for i in idents],
            **{f: [getattr(i, f) for i in idents] for f in IDENTITY_FIELDS}}
        schema: dict[str, pl.DataType] = {"key": pl.String(), "aliases": pl.List(pl.String()),
                                          **{f: pl.String() for f in IDENTITY_FIELDS}}
        return cls(pl.DataFrame(columns, schema=schema), kind, idents)

    @property
    def keys(self) -> Sequence[str]:
        """The identities' keys, in order (made when first asked, then the same strings: the
        plan's row keys share them)."""
        if self._key_list is None:
            self._key_list = self.frame.get_column("key").to_list()
        return self._key_list

    def __len__(self) -> int:
        return self.frame.height

    def key_column(self) -> pl.Series:
        """The identities' keys, as a column."""
        return self.frame.get_column("key")

    def _new(self, frame: pl.DataFrame) -> IdentityFrame:
        return self if frame.height == self.frame.height else IdentityFrame(frame, self.kind)

    def without(self, keys: Sequence[str] | Mapping[str, object]) -> IdentityFrame:
        """These identities but those whose key is in `keys`."""
        if not keys or not self.frame.height:
            return self
        drop = pl.Series(list(keys), dtype=pl.String)
        return self._new(self.frame.filter(~pl.col("key").is_in(drop.implode())))

    def only(self, keys: Sequence[str] | Mapping[str, object] | pl.Series) -> IdentityFrame:
        """Those of these identities whose key is in `keys` (in this order)."""
        keep = keys if isinstance(keys, pl.Series) else pl.Series(list(keys), dtype=pl.String)
        return self._new(self.frame.filter(pl.col("key").is_in(keep.implode())))

    def head(self, n: int) -> IdentityFrame:
        """The first `n` identities."""
        return self._new(self.frame.head(max(0, n)))

    def importable_only(self) -> IdentityFrame:
        """Those a CSV import can carry (`plan.importable`)."""
        if self.importable() == self.frame.height:
            return self
        return self._new(self.frame.filter(_importable()))

    def importable(self) -> int:
        """How many a CSV import can carry (`plan.importable`)."""
        return self._count("importable", _importable())

    def legacy(self) -> int:
        """How many the legacy bulk endpoint takes (`api.legacy_wire.can_take`)."""
        if self.kind != "person":
            return 0
        return self._count("legacy", _set("linkedin_url") | _named())

    def _count(self, name: str, where: pl.Expr) -> int:
        """The rows `where` holds, counted once."""
        if name not in self._counted:
            self._counted[name] = int(self.frame.select(where.sum()).item())
        return self._counted[name]

    def registered(self) -> Iterator[tuple[str, list[str]]]:
        """Per identity (in order): its key and every key it answers to, its name keys too
        (`RunContext.aliases`), worked out on the columns a slice at a time."""
        for part in self.frame.iter_slices(SLICE):
            keys = part.get_column("key").to_list()
            yield from zip(keys, _registered(part, self.kind).to_list(), strict=True)

    def aliases_of(self, keys: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """`registered` for those of `keys` that are these identities' (the last identity of a
        key, if several), on the columns: their rows found by the keys in a set of them (no sorted
        copy of every key is made, as `aliases` makes and keeps: ~13 MiB for 100k)."""
        wanted = pl.Series("key", list(keys), dtype=pl.String)
        rows = (self.frame.select("key").with_row_index("row")
                .filter(pl.col("key").is_in(wanted.implode()))
                .group_by("key").agg(pl.col("row").max()))
        if not rows.height:
            return {}
        read = self.frame.select("key", "aliases", *_NAME_FIELDS)  # not every column gathered
        names = _registered(read[rows.get_column("row")], self.kind).to_list()
        return {k: tuple(n) for k, n in zip(rows.get_column("key").to_list(), names,
                                            strict=True)}

    def aliases_in_order(self, keys: Sequence[str],
                         at_once: int = SLICE) -> Mapping[str, tuple[str, ...]]:
        """`aliases` of each of `keys` ((key,) for a key that is none of these identities'),
        worked out `at_once` keys at a time as they are asked for in order."""
        return _InOrder(self, keys, at_once)

    def aliases(self, key: str) -> tuple[str, ...] | None:
        """`registered` for one key (the last identity of `key`), or None if it is not one of
        these identities'."""
        rows, _ = self._rows_of([key])
        if not len(rows):
            return None
        row = self.frame.select("key", "aliases", "first_name", "last_name", "domain",
                                "company_name").row(int(rows[0]))
        first, last, domain, company = row[2:]
        names = _name_keys(first, last, domain, company) if self.kind == "person" else ()
        return tuple(dict.fromkeys((row[0], *row[1], *names)))

    def _rows_of(self, keys: Sequence[str]) -> tuple[pl.Series, pl.Series]:
        """The rows (the last of equal keys) of those of `keys` that are here, and those keys."""
        if self._sorted is None:
            order = self.frame.select(pl.int_range(pl.len(), dtype=pl.UInt32).sort_by(
                "key", maintain_order=True)).to_series()
            self._sorted = order, self.frame.get_column("key").gather(order)
        order, ordered = self._sorted
        wanted = pl.Series(keys, dtype=pl.String)
        if not ordered.len():
            return order, wanted.clear()
        at = (ordered.search_sorted(wanted, side="right").cast(pl.Int64) - 1).clip(0)
        hit = ordered.gather(at) == wanted
        return order.gather(at.filter(hit)), wanted.filter(hit)

    def lookup_keys(self) -> list[list[str]]:
        """`rules.validate.lookup_keys` of each identity, in order."""
        frame = self._own_first()
        own = frame["aliases"]
        if self.kind != "person":
            return own.to_list()
        weak = frame.select(*IDENTITY_FIELDS, "aliases").with_row_index("at").filter(
            ~pl.col("aliases").list.eval(pl.element().str.starts_with(STRONG[0])
                                         | pl.element().str.starts_with(STRONG[1])
                                         | pl.element().str.starts_with(STRONG[2])).list.any())
        out = own.to_list()
        for row, first, last, domain, company in weak.select(
                "at", "first_name", "last_name", "domain", "company_name").iter_rows():
            out[row] = list(dict.fromkeys((*out[row], *_name_keys(first, last, domain, company))))
        return out


    def lookup_frame(self) -> pl.DataFrame:
        """`lookup_keys` as one long frame: per key, the identity's position `i` and its `rank`
        among the identity's keys (`key`: its first), computed on columns."""
        at = pl.int_range(pl.len(), dtype=pl.UInt32)
        own = self.frame.select(i=at, part=pl.lit(0, pl.UInt8), alias=pl.col("aliases"))
        parts = [own.explode("alias")]
        if self.kind == "person":
            parts.extend(_name_key_frames(self.frame.with_columns(i=at)))
        long = (pl.concat(parts).filter(pl.col("alias").is_not_null())
                .sort("i", "part", maintain_order=True)
                .unique(["i", "alias"], keep="first", maintain_order=True))
        return long.select("i", "alias", rank=pl.int_range(pl.len(), dtype=pl.UInt32).over("i"),
                           key=pl.col("alias").first().over("i"))

    def _own_first(self) -> pl.DataFrame:
        """The frame with each identity's aliases led by its key, without repeats (as a plan's
        are; identities made as records may hold other aliases)."""
        aliases = pl.col("aliases")
        plain = self.frame.select(((aliases.list.first() == pl.col("key"))
                                   & (aliases.list.n_unique() == aliases.list.len()))
                                  .fill_null(False).all()).item()
        if plain:
            return self.frame
        return self.frame.with_columns(
            aliases=pl.concat_list("key", "aliases").list.unique(maintain_order=True))


class _InOrder(Mapping[str, tuple[str, ...]]):
    """`IdentityFrame.aliases_in_order`: the next slice of keys each time a key is not in the
    slice at hand (asked in their order, some skipped, as `ResultCache.store_many` does: a
    slice each `at_once` keys), one by one for a key behind (asked out of order)."""

    def __init__(self, idents: IdentityFrame, keys: Sequence[str], at_once: int) -> None:
        self._idents, self._keys, self._at_once = idents, keys, at_once
        self._next, self._known = 0, dict[str, tuple[str, ...]]()

    def __getitem__(self, key: str) -> tuple[str, ...]:
        found = self._known.get(key)
        if found is None and self._next < len(self._keys):  # (keys skipped ahead: the next)
            self._known = {}  # (the slice before goes first)
            self._known = self._idents.aliases_of(
                self._keys[self._next:self._next + self._at_once])
            self._next += self._at_once
            found = self._known.get(key)
        return found or self._idents.aliases(key) or (key,)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _name_key_frames(frame: pl.DataFrame) -> list[pl.DataFrame]:
    """The name keys of the identities with no strong key (`_name_keys` on columns): one frame
    of (i, part, alias) for the name with the domain (part 1), one with the company (part 2)."""
    strong = pl.col("aliases").list.eval(pl.element().str.starts_with(STRONG[0])
                                         | pl.element().str.starts_with(STRONG[1])
                                         | pl.element().str.starts_with(STRONG[2])).list.any()
    weak = frame.filter(~strong & _set("first_name") & _set("last_name"))
    if weak.height == 0:
        return []
    names = "name:" + _folded(weak["first_name"]) + "|" + _folded(weak["last_name"]) + "|"
    return [weak.select("i", part=pl.lit(n, pl.UInt8),
                        alias=pl.when(_set(where)).then(names + _folded(weak[where])))
            for n, where in ((1, "domain"), (2, "company_name"))]


def _folded(column: pl.Series) -> pl.Series:
    """`fold` of each value: lower case for plain single-spaced ASCII, `fold` itself (once per
    distinct value) for the rest."""
    ok, value = FOLD.fast(pl.col(column.name))
    out = column.to_frame().select(ok=ok.fill_null(True), value=value)
    odd = column.filter(~out["ok"]).unique().drop_nulls().to_list()
    if not odd:
        return out["value"]
    slow = pl.Series([fold(t) for t in odd], dtype=pl.String)
    return out.select(pl.when(pl.col("ok")).then(pl.col("value")).otherwise(
        column.replace_strict(odd, slow, default=None))).to_series()


def _name_keys(first: str | None, last: str | None, *where: str | None) -> tuple[str, ...]:
    """`rules.validate.name_keys` of a person's fields."""
    if not (first and last):
        return ()
    names = (fold(first), fold(last))
    return tuple(dict.fromkeys("name:" + "|".join((*names, fold(w))) for w in where if w))


def _registered(frame: pl.DataFrame, kind: Kind) -> pl.Series:
    """Per row: (key, *aliases, *name keys) without repeats (`RunContext.aliases`)."""
    own = [pl.col("key"), pl.col("aliases")]
    if kind == "person":
        first, last, domain, company = (pl.lit(_folded(frame.get_column(f))) for f in (
            "first_name", "last_name", "domain", "company_name"))
        named = _set("first_name") & _set("last_name")
        names = "name:" + first + "|" + last + "|"
        own += [pl.when(named & _set(f)).then(names + where)
                for f, where in (("domain", domain), ("company_name", company))]
    return frame.select(pl.concat_list(own).list.drop_nulls().list.unique(
        maintain_order=True)).to_series()


def _set(field: str) -> pl.Expr:
    return pl.col(field).fill_null("") != ""


def _importable() -> pl.Expr:
    return _set("email") | _set("linkedin_url") | _named()


def _named() -> pl.Expr:
    return _set("first_name") & _set("last_name") & (_set("company_name") | _set("domain"))


def _identities(frame: pl.DataFrame, kind: Kind) -> list[Identity]:
    out = verdicts_of(frame.with_columns(reason=pl.lit(None, pl.String)), kind)
    assert all(isinstance(i, Identity) for i in out)
    return out  # type: ignore[return-value]
