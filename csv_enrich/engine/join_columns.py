"""`join.join_in_order` over columns: identities (a frame) onto a list's leads (a `LeadFrame`).

The match keys of both sides are polars expressions where the values are plain (printable ASCII
names, plain addresses and profile URLs) and `join`'s Python functions once per distinct odd
value (`rules.derived.resolve`). Joining identity keys to lead keys gives the candidate pairs,
each with the rank of the identity's key it shares (as `join.identity_keys` orders them: LinkedIn,
email, name + domain, name + the email's domain, name + company, name). The one-to-one choice
is then made as `join_in_order` makes it: an identity whose candidates answer no one else gets
its first candidate, a lead only identities without other candidates answer goes to the first
of them known by LinkedIn or email (else the first); only the other, contended, components go
through the Python algorithm (components are independent, so the result is the same). Then the
by-position pass and the "every candidate taken" pass, column-wise. A list with a lead id twice
(the API never gives one) goes through `join_in_order` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from csv_enrich.engine.join import LeadIndex, company_fold, fold, join_in_order
from csv_enrich.engine.leads import LeadFrame
from csv_enrich.models import Identity
from csv_enrich.rules.derived import Norm, raw, resolve
from csv_enrich.rules.exprs import EMAIL, _li_slug, _slug
from csv_enrich.rules.normalise import linkedin_slug

IDENTITY_COLUMNS = ("email", "linkedin_url", "first_name", "last_name", "company_name", "domain")
CHUNK = 20_000  # identities (or leads) whose keys are worked out at once
STRONG_RANK = 1  # ranks 0 (LinkedIn) and 1 (email) name one person
_PRINTABLE = r"^[\x20-\x7e]*$"
_ASCII = r"^[\x00-\x7f]*$"
_SUFFIXES = (r"\b(?:inc|incorporated|llc|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|plc"
             r"|bv)\b")
_NAMES = ["first", "last"]


def _spaced(v: pl.Expr) -> pl.Expr:
    """Words single-spaced, trimmed (what " ".join(text.split()) does to printable ASCII)."""
    return v.str.replace_all(" +", " ").str.strip_chars(" ")


def _fold(v: pl.Expr) -> pl.Expr:
    return _spaced(v.str.to_lowercase().str.replace_all("[^a-z0-9_ ]", " "))


SLUG = Norm(_slug, linkedin_slug, _li_slug)
FOLD = Norm(lambda v: (v.str.contains(_PRINTABLE), _fold(v)),
            lambda text: None if text is None else fold(text))
COMPANY_FOLD = Norm(
    lambda v: (v.str.contains(_PRINTABLE), _spaced(_fold(v).str.replace_all(_SUFFIXES, " "))),
    lambda text: None if text is None else company_fold(text))
ROOT = Norm(lambda v: (v.str.contains(_ASCII), v.str.strip_prefix("www.").str.to_lowercase()),
            lambda text: None if text is None else text.removeprefix("www.").lower())
LOWER = Norm(lambda v: (v.str.contains(_ASCII), v.str.to_lowercase()),
             lambda text: None if text is None else text.lower())


def identity_frame(idents: Sequence[Identity]) -> pl.DataFrame:
    """The columns the join reads (IDENTITY_COLUMNS) of `idents`."""
    columns = {c: [getattr(i, c) for i in idents] for c in IDENTITY_COLUMNS}
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


def join_frame(idents: pl.DataFrame, leads: LeadFrame, chunk: int = CHUNK) -> pl.Series:
    """The row of each identity's lead in `leads` (null: none), as `join_in_order` chooses
    (`chunk`: how many identities or leads have their keys worked out at once)."""
    if leads.frame.get_column("lead_id").is_duplicated().any():
        return _reference(idents, leads)
    return choose(candidate_pairs(idents, leads, chunk), idents.height, len(leads))


def choose(edges: pl.DataFrame, height: int, leads: int) -> pl.Series:
    """The row of each of `height` identities' lead among `leads` (null: none), as
    `join_in_order` chooses from the candidate pairs `edges` (`candidate_pairs`' form)."""
    found = _one_to_one(edges, height)
    found = _by_position(found, leads)
    first = _first_options(edges, height)
    return found.fill_null(first).rename("lead")


def _reference(idents: pl.DataFrame, leads: LeadFrame) -> pl.Series:
    """join_in_order itself, on Identity and Lead objects."""
    objects = leads.leads()
    row = {id(lead): n for n, lead in enumerate(objects)}
    people = [Identity("person", "", **{c: r[c] for c in IDENTITY_COLUMNS})
              for r in idents.iter_rows(named=True)]
    chosen = join_in_order(people, LeadIndex(objects))
    return pl.Series("lead", [None if ld is None else row[id(ld)] for ld in chosen],
                     dtype=pl.UInt32)


# -- the candidates ----------------------------------------------------------------------------

def _derive(frame: pl.DataFrame, wanted: Mapping[str, tuple[str, Norm]]) -> pl.LazyFrame:
    """`frame`'s columns through the norms, exact (odd values through Python once each), "" as
    null."""
    staged, _ = resolve(frame, {n: raw(source).then(norm) for n, (source, norm) in wanted.items()})
    return staged.select(pl.when(pl.col(n) != "").then(pl.col(n)).alias(n) for n in wanted)


def _domain(email: pl.Expr) -> pl.Expr:
    """What follows the last @ (rules.validate.email_domain), null for none."""
    dom = email.str.extract("@([^@]*)$")
    return pl.when(dom != "").then(dom)


def lead_keys(leads: LeadFrame, chunk: int = CHUNK) -> pl.DataFrame:
    """Per lead (`lead`: its row), the parts of `join.lead_keys` (`lead_keys_from`), a slice of
    `chunk` leads at a time (what is worked out on the way is a slice's, not the list's)."""
    return pl.concat([lead_keys_from(leads.frame.slice(at, chunk), at)
                      for at in range(0, max(1, len(leads)), chunk)])


def lead_keys_from(frame: pl.DataFrame, at: int) -> pl.DataFrame:
    """Per lead (`lead`: its row, from `at`), the parts of `join.lead_keys`: slug, email,
    first and last name (from the full name when one is missing), company, and the domains
    (`edom` of the email, `root` of the employer's)."""
    frame = frame.select("linkedin_url", "email", "first_name", "last_name", "full_name",
                         "company", "domain")
    staged = _derive(frame, {
        "slug": ("linkedin_url", SLUG), "email": ("email", EMAIL),
        "given": ("first_name", FOLD), "family": ("last_name", FOLD),
        "full": ("full_name", FOLD), "company": ("company", COMPANY_FOLD),
        "root": ("domain", ROOT)})
    given, family, full = pl.col("given"), pl.col("family"), pl.col("full")
    whole = ((given.is_null() | family.is_null())
             & full.str.contains(" ", literal=True).fill_null(False))
    first = pl.when(whole).then(full.str.extract("^([^ ]+) ")).otherwise(given)
    last = pl.when(whole).then(full.str.extract(" ([^ ]+)$")).otherwise(family)
    return staged.select(
        pl.int_range(at, at + pl.len(), dtype=pl.UInt32).alias("lead"), "slug", "email",
        first.alias("first"), last.alias("last"), "company", _domain(pl.col("email")).alias("edom"),
        "root").collect()


def identity_keys(idents: pl.DataFrame, at: int = 0) -> pl.DataFrame:
    """Per identity (`ident`: its row, from `at`), the parts of `join.identity_keys`."""
    staged = _derive(idents.select(IDENTITY_COLUMNS), {
        "slug": ("linkedin_url", SLUG), "email": ("email", LOWER), "first": ("first_name", FOLD),
        "last": ("last_name", FOLD), "company": ("company_name", COMPANY_FOLD),
        "root": ("domain", ROOT)})
    return staged.select(
        pl.int_range(at, at + pl.len(), dtype=pl.UInt32).alias("ident"), "slug", "email", "first",
        "last", "company", _domain(pl.col("email")).alias("edom"), "root").collect()


def candidate_pairs(idents: pl.DataFrame, leads: LeadFrame, chunk: int = CHUNK,
                    ) -> pl.DataFrame:
    """Every (identity, lead) sharing a key (`ident`, `lead`: their rows), with the rank of the
    identity's first key the lead shares (`rank`, see the module's docstring). `chunk`
    identities at a time: what each join works out on the way is theirs, not the whole run's."""
    lk = lead_keys(leads, chunk)
    return pl.concat([key_pairs(identity_keys(idents.slice(at, chunk), at), lk)
                      for at in range(0, max(1, idents.height), chunk)])


def key_pairs(ik: pl.DataFrame, lk: pl.DataFrame) -> pl.DataFrame:
    """`candidate_pairs` of the identities of `ik` (`identity_keys`) and the leads of `lk`
    (`lead_keys`), sorted by identity, rank and lead."""
    return side_pairs(identity_sides(ik), lk)


Sides = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]


def identity_sides(ik: pl.DataFrame) -> Sides:
    """What of `ik` each join of `side_pairs` reads: the identities with a slug, with an email,
    and with both names (with their domains and company)."""
    return (ik.select("ident", "slug").drop_nulls(), ik.select("ident", "email").drop_nulls(),
            ik.select("ident", *_NAMES, "root", "edom", "company").drop_nulls(_NAMES))


def side_pairs(sides: Sides, lk: pl.DataFrame) -> pl.DataFrame:
    """`key_pairs` of the identities of `sides` (`identity_sides`) and the leads of `lk`."""
    slug, email, named = sides
    parts = [_pairs(slug, lk, "slug", 0), _pairs(email, lk, "email", 1),
             _named_pairs(named, lk)]
    return (pl.concat(parts).group_by("ident", "lead").agg(pl.col("rank").min())
            .sort("ident", "rank", "lead"))


def _named_pairs(left: pl.DataFrame, lk: pl.DataFrame) -> pl.DataFrame:
    """The pairs sharing first and last name, ranked by what else they share: a domain (the
    identity's, else its email's, among the lead's two), the company, else the name alone.
    Only the identities with a first and a last name some lead has are joined (a join on two
    text columns of every identity against a slice of leads held ~13 MiB for 100k)."""
    right = lk.select("lead", *_NAMES, lroot="root", ledom="edom",
                      lcompany="company").drop_nulls(_NAMES)
    left = left.filter(*(pl.col(n).is_in(right.get_column(n).implode()) for n in _NAMES))

    def held(dom: str) -> pl.Expr:
        return ((pl.col(dom) == pl.col("lroot")) | (pl.col(dom) == pl.col("ledom"))).fill_null(
            False)

    rank = (pl.when(held("root")).then(2).when(held("edom")).then(3)
            .when((pl.col("company") == pl.col("lcompany")).fill_null(False)).then(4)
            .otherwise(5))
    return (left.lazy().join(right.lazy(), on=_NAMES)
            .select("ident", "lead", rank.cast(pl.UInt8).alias("rank")).collect())


def _pairs(left: pl.DataFrame, lk: pl.DataFrame, on: str, rank: int) -> pl.DataFrame:
    """(ident, lead, rank) of the rows of `left` (ident, `on`) and `lk` equal on `on` (only
    those of `left` whose `on` some lead has are joined)."""
    right = lk.select("lead", on).drop_nulls()
    near = left.filter(pl.col(on).is_in(right.get_column(on).implode()))
    return (near.join(right, on=on)
            .select("ident", "lead", pl.lit(rank, dtype=pl.UInt8).alias("rank")))


# -- the choice --------------------------------------------------------------------------------

def _first_options(edges: pl.DataFrame, height: int) -> pl.Series:
    """Each identity's first candidate (its strongest key's, first in the list), or null."""
    first = edges.group_by("ident").agg(pl.col("lead").first())  # edges are sorted
    return _scatter(height, first)


def _scatter(height: int, chosen: pl.DataFrame) -> pl.Series:
    """A lead row per identity from (ident, lead) rows, null for the others."""
    empty = pl.Series("lead", [None] * height, dtype=pl.UInt32)
    return empty.scatter(chosen.get_column("ident"), chosen.get_column("lead"))


def _one_to_one(edges: pl.DataFrame, height: int) -> pl.Series:
    """join_in_order's two passes by keys (strong keys first, then any), per component."""
    degree = edges.with_columns(
        pl.len().over("ident").alias("di"), pl.len().over("lead").alias("dl"))
    degree = degree.with_columns(
        (pl.col("dl") == 1).all().over("ident").alias("alone_i"),
        (pl.col("di") == 1).all().over("lead").alias("alone_l"))
    alone_i = degree.filter("alone_i").group_by("ident").agg(pl.col("lead").first())
    alone_l = (degree.filter(pl.col("alone_l") & ~pl.col("alone_i"))
               .sort(pl.col("rank") > STRONG_RANK, "ident")
               .group_by("lead").agg(pl.col("ident").first()))
    contended = degree.filter(~pl.col("alone_i") & ~pl.col("alone_l"))
    chosen = [alone_i.select("ident", "lead"), alone_l.select("ident", "lead"),
              _contended(contended)]
    return _scatter(height, pl.concat(chosen))


def _contended(edges: pl.DataFrame) -> pl.DataFrame:
    """The passes of join_in_order over whole components, in Python (`edges` sorted)."""
    groups = edges.group_by("ident", maintain_order=True).agg("lead", "rank")
    options: dict[int, list[int]] = {}
    strong: dict[int, list[int]] = {}
    for ident, leads, ranks in groups.iter_rows():
        options[ident] = leads
        strong[ident] = [ld for ld, r in zip(leads, ranks, strict=True) if r <= STRONG_RANK]
    found: dict[int, int] = {}
    _greedy(strong, found)
    _greedy(options, found)
    return pl.DataFrame({"ident": list(found), "lead": list(found.values())},
                        schema={"ident": pl.UInt32, "lead": pl.UInt32})


def _greedy(options: Mapping[int, list[int]], found: dict[int, int]) -> None:
    """join._one_to_one: each identity still without a lead takes its first free option, those
    with fewer options choosing first."""
    taken = set(found.values())
    for n in sorted((k for k in options if k not in found), key=lambda k: (len(options[k]), k)):
        free = next((ld for ld in options[n] if ld not in taken), None)
        if free is not None:
            found[n] = free
            taken.add(free)


def _by_position(found: pl.Series, leads: int) -> pl.Series:
    """join._by_position: where the matched leads keep the identities' order, the identities
    between two matched neighbours get the free leads between theirs, when as many."""
    anchors = found.drop_nulls()
    if anchors.len() > 1 and (anchors.cast(pl.Int64).diff().drop_nulls() <= 0).any():
        return found
    idents = (pl.DataFrame({"lead": found}).with_row_index("ident")
              .with_columns(pl.col("lead").is_not_null().cum_sum().alias("gap"))
              .filter(pl.col("lead").is_null()).select("ident", "gap"))
    free = pl.DataFrame({"lead": pl.int_range(leads, dtype=pl.UInt32, eager=True)})
    free = free.filter(~pl.col("lead").is_in(anchors.implode()))
    free = free.with_columns(anchors.search_sorted(free.get_column("lead")).cast(pl.UInt32)
                             .alias("gap"))
    sides = [side.with_columns(pl.int_range(pl.len()).over("gap").alias("at"),
                               pl.len().over("gap").alias("size"))
             for side in (idents.with_columns(pl.col("gap").cast(pl.UInt32)), free)]
    pairs = sides[0].join(sides[1], on=["gap", "at", "size"])
    return found.scatter(pairs.get_column("ident"), pairs.get_column("lead"))
