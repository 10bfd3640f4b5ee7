"""`rules.cells.pick` for every row and field of a table at once, in one polars query.

Per field, its columns in order of preference: each row takes the first cell whose value is
valid whole, or else the first valid value inside a cell holding several (which earns the row a
note); with none valid, the first non-blank text. The patterns of `rules.exprs` read the common
cells; the rest go through `cells.pick`'s own functions, once per distinct cell text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from csv_enrich.rules.cells import CHECKS, Picked, first_valid, several_note, split_values
from csv_enrich.rules.derived import Derived, Norm, Slowly, raw, resolve
from csv_enrich.rules.exprs import COMPANY_DOMAIN, EMAIL, FILLED, ID, LINKEDIN, PHONE

_CHECK_NORMS: dict[str, Norm] = {
    "email": EMAIL, "linkedin_url": LINKEDIN, "domain": COMPANY_DOMAIN,
    "website": COMPANY_DOMAIN, "phone": PHONE, "person_id": ID,
}  # fmt: skip
_NULL = pl.lit(None, dtype=pl.String)


def pick_fields(
    cells: pl.DataFrame, orders: Mapping[str, Sequence[str]]
) -> tuple[pl.DataFrame, dict[int, str]]:
    """(field -> the text each row uses, null where none; data row index -> its note) for the
    columns of `cells` named in `orders` (field -> headers, best first). The frame also holds,
    for each field with a check, its `checked_column` (what rules.keys reads instead of
    normalising those texts again)."""
    sources = {f: [f"{f}\x00{j}" for j in range(len(hs))] for f, hs in orders.items()}
    staged = cells.select(
        pl.col(h).cast(pl.String).alias(s)
        for f, hs in orders.items() for h, s in zip(hs, sources[f], strict=True)
    )  # fmt: skip
    wanted: dict[str, Derived] = {}
    for field in orders:
        wanted.update(_cells(field, sources[field]))
    checked = [n for n in wanted if n.endswith("\x00checked")]
    query, slowly = resolve(staged, wanted, fast_only=checked)
    texts = [_text(field, sources[field]).alias(field) for field in orders]
    texts += [_checked(f, sources[f]).alias(checked_column(f)) for f in orders if f in _CHECK_NORMS]
    notes = [_note(f, hs, sources[f], slowly) for f, hs in orders.items() if f in _CHECK_NORMS]
    notes = [n for n in notes if n is not None]
    note = pl.concat_str(notes, separator="; ", ignore_nulls=True) if notes else _NULL
    done = query.select(*texts, note.alias("\x00note")).collect()
    return done.drop("\x00note"), _row_notes(done.get_column("\x00note"))


def _cells(field: str, sources: list[str]) -> dict[str, Derived]:
    """The Deriveds of a field's cells: their text when not blank; when the field has a
    check, the value the row may use from each."""
    wanted = {f"{s}\x00filled": raw(s).then(FILLED) for s in sources}
    check = _CHECK_NORMS.get(field)
    if check is not None:
        cell = _cell_norm(field, check)
        wanted |= {f"{s}\x00valid": raw(s).then(FILLED).then(cell) for s in sources}
        wanted |= {f"{s}\x00checked": raw(s).then(FILLED).then(check) for s in sources}
    return wanted


def checked_column(field: str) -> str:
    """The column of a field frame that holds, where the patterns read the text a row uses for
    `field` (a cell valid whole), what the field's normaliser gives for it (null elsewhere)."""
    return f"\x00checked {field}"


def _checked(field: str, sources: list[str]) -> pl.Expr:
    """The checked value of the cell each row takes its value for `field` from, where the
    patterns read that cell whole."""
    chosen = _NULL
    for source in reversed(sources):
        chosen = pl.when(pl.col(f"{source}\x00valid").is_not_null()).then(
            pl.col(f"{source}\x00checked")).otherwise(chosen)
    return chosen


def _cell_norm(field: str, check: Norm) -> Norm:
    """A cell's text -> the value a row may use from it: the text when valid whole (what the
    pattern reads), else the first valid value inside it (None when there is none)."""

    def fast(text: pl.Expr, *parsed: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        ok, value = check.fast(text, *parsed)
        return ok & value.is_not_null(), text

    return Norm(fast, lambda text: _valid(field, text), check.parse)


def _text(field: str, sources: list[str]) -> pl.Expr:
    filled = pl.coalesce(f"{s}\x00filled" for s in sources)
    if field not in _CHECK_NORMS:
        return filled
    return pl.coalesce(*(f"{s}\x00valid" for s in sources), filled)


def _note(
    field: str, headers: Sequence[str], sources: list[str], slowly: Slowly
) -> pl.Expr | None:
    """The note of the cell a row's value for `field` comes from, when that cell held several
    values (null for the other rows); None when no cell of the field did."""
    pairs = zip(headers, sources, strict=True)
    per_cell = [_several(field, h, slowly[f"{s}\x00valid"]) for h, s in pairs]
    if not any(per_cell):
        return None
    chosen = pl.coalesce(
        pl.when(pl.col(f"{s}\x00valid").is_not_null())
        .then(pl.col(s).replace_strict(notes, default="") if notes else pl.lit(""))
        for s, notes in zip(sources, per_cell, strict=True)
    )  # fmt: skip
    return pl.when(chosen != "").then(chosen)


def _several(field: str, header: str, slowly: dict[str, str | None]) -> dict[str, str]:
    """Cell text -> note, for the cells whose value is one of several inside them."""
    notes = {}
    for text, value in slowly.items():
        if value is not None and value != text:
            notes[text] = several_note(field, Picked(value, header, True))
    return notes


def _row_notes(notes: pl.Series) -> dict[int, str]:
    noted = notes.to_frame("note").with_row_index("row").filter(pl.col("note") != "")
    return dict(noted.iter_rows())


def _inner(field: str, text: str) -> str | None:
    """The first valid value inside a cell that holds several (None when none is)."""
    return first_valid(field, text) if len(split_values(field, text)) > 1 else None


def _valid(field: str, text: str | None) -> str | None:
    """The value a row may use from a cell's text: the text when valid whole, else the first
    valid value inside it; None when there is none (or no text)."""
    if text is None:
        return None
    return text if CHECKS[field](text) is not None else _inner(field, text)
