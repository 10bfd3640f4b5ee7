"""Headers (+ a sniff of the values) -> which column is email, linkedin_url, first_name, ...

`map_columns` decides, in this order: the user's --map overrides; the header synonyms of
`synonyms.py` (best tier wins; a tie between two columns is an ambiguity, reported); the values
(a column full of emails is an email column whatever its header). It never guesses silently:
what it inferred is in `ColumnMap.notes`, and what it cannot decide raises MappingError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from csv_enrich import rules
from csv_enrich.errors import MappingError
from csv_enrich.mapping.context import (
    group_notes,
    grouped_name,
    only_platform_pages,
    platform_notes,
)
from csv_enrich.mapping.exports import (
    Layout,
    a_name,
    forced_order,
    layout_rank,
    marker,
    never_note,
    never_used,
    order_note,
    recognise,
)
from csv_enrich.mapping.sniff import Candidate, sample, sniff_field
from csv_enrich.mapping.synonyms import fold_header, match_header
from csv_enrich.models import COMPANY_FIELDS, PERSON_FIELDS, Kind, KindChoice
from csv_enrich.read.table import Table
from csv_enrich.rules.cells import first_valid, pick, several_note

if TYPE_CHECKING:
    import polars as pl

PERSON_STRONG = ("email", "linkedin_url", "person_id")
PERSON_NAMES = ("first_name", "last_name", "full_name")
COMPANY_IDS = ("domain", "website", "company_name", "company_ticker", "company_id")
COMPANY_ONLY = ("company_ticker", "company_id")
# Fields whose column decides who is enriched: two candidates are an error, never a guess. For
# the others (names, company, website, phone) the leftmost wins and a note says so.
DECISIVE = ("email", "linkedin_url", "person_id", "company_ticker", "company_id", "domain")
_CONTACT_WORDS = frozenset(
    {"contact", "primary", "main", "billing", "account", "company", "generic", "general", "info",
     "kontakt", "firmen", "entreprise", "societe", "empresa", "contacto"}
)  # fmt: skip
ALIASES = {
    "linkedin": "linkedin_url", "linkedin url": "linkedin_url", "first": "first_name",
    "last": "last_name", "name": "full_name", "company": "company_name", "ticker": "company_ticker",
    "e mail": "email", "url": "website", "skip": "ignore", "none": "ignore",
}  # fmt: skip


@dataclass(frozen=True)
class ColumnMap:
    """Which header became which identifier field, and what a person should know about it."""

    kind: Kind
    fields: Mapping[str, str]
    ignored: tuple[str, ...]
    notes: tuple[str, ...] = ()
    # field -> more headers, in order of preference after the field's own column (E-mail 2
    # behind E-mail 1): each row takes the first valid value among them (row_values).
    fallbacks: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    layout: str | None = None

    def order(self, field: str) -> tuple[str, ...]:
        """Every column `field` is taken from, best first."""
        return (self.fields[field], *self.fallbacks.get(field, ()))


def map_columns(
    table: Table, *, kind: KindChoice = "auto", overrides: Mapping[str, str] | None = None
) -> ColumnMap:
    """The ColumnMap of `table`; raises MappingError naming the headers and showing --map."""
    forced, dropped = parse_overrides(table, overrides or {})
    free = [h for h in table.headers if h not in forced and h not in dropped]
    layout = recognise(table.headers)
    kinds: dict[str, str | None] = {}  # what each column's values are, sniffed once
    person = _choose(table, free, forced, company=False, layout=layout, kinds=kinds)
    company = _choose(table, free, forced, company=True, layout=layout, kinds=kinds)
    resolved = kind if kind != "auto" else _auto_kind(person, company, forced)
    chosen = person if resolved == "person" else company
    if kind == "auto" and resolved == "company" and "email" in person.fields:
        chosen = dataclasses.replace(chosen, notes=(*chosen.notes, _accounts_note(person)))
    if chosen.ambiguities:
        raise MappingError(chosen.ambiguities[0])
    fields, notes = _finish(table, resolved, chosen, forced)
    if resolved == "person" and (given := _given_name(table, fields, forced)) is not None:
        split = _derived_notes(resolved, fields)[:1]  # "first and last names are split from"
        notes = [n for n in notes if n not in split] + [
            f"'{given['first_name']}' is taken as the first name, beside '{given['last_name']}'"]
        fields = given
    _require_identifiers(table, resolved, fields)
    fallbacks = {
        f: headers for f, headers in chosen.fallbacks.items()
        if fields.get(f) == chosen.fields.get(f) and f not in set(forced.values())
    }  # fmt: skip
    fallbacks.update(forced_order(forced, fields))
    used = set(fields.values()) | {h for headers in fallbacks.values() for h in headers}
    ignored = tuple(h for h in table.headers if h not in used)
    notes += [order_note(f, (fields[f], *headers)) for f, headers in fallbacks.items()]
    notes += platform_notes(table, fields) + group_notes(table, fields)
    if layout is not None:
        notes.insert(0, f"recognised as {a_name(layout.name)} export")
    return ColumnMap(
        resolved, fields, ignored, tuple(notes) + chosen.notes, fallbacks,
        layout.name if layout else None,
    )  # fmt: skip


def has_identifiers(table: Table) -> bool:
    """True when some column of `table` can identify a person or a company (for read_table)."""
    try:
        map_columns(table)
    except MappingError as exc:
        return "ambiguous" in str(exc)
    return True


def field_frame(table: Table, cmap: ColumnMap) -> tuple[pl.DataFrame, dict[int, str]]:
    """`row_readings` column-wise, before `rules.derive`: the text each row uses for each field
    (null where it has none), and the notes of the rows that deserve one (by data row index)."""
    from csv_enrich.rules.picking import pick_fields

    return pick_fields(table.blanked, {field: cmap.order(field) for field in cmap.fields})


def row_values(table: Table, cmap: ColumnMap) -> Iterator[dict[str, str]]:
    """One dict per data row: field -> raw text (non-empty only), with derived values added."""
    for values, _ in row_readings(table, cmap):
        yield values


def row_readings(table: Table, cmap: ColumnMap) -> Iterator[tuple[dict[str, str], tuple[str, ...]]]:
    """Per data row: field -> the text used (the first valid value among the field's columns,
    and within a cell), with derived values added; and the notes the row deserves (a cell that
    held several values)."""
    sources = [(f, cmap.order(f)) for f in cmap.fields]
    headers = list(dict.fromkeys(h for _, hs in sources for h in hs))
    spots = [(f, [(h, headers.index(h)) for h in hs]) for f, hs in sources]
    for row in table.blanked.select(headers).iter_rows():
        values: dict[str, str] = {}
        notes: list[str] = []
        for name, where in spots:
            picked = pick(name, [(h, row[i]) for h, i in where])
            if picked is not None:
                values[name] = picked.text
                if picked.several:
                    notes.append(several_note(name, picked))
        yield rules.derive(values, cmap.kind), tuple(notes)


def parse_overrides(table: Table, overrides: Mapping[str, str]) -> tuple[dict[str, str], set[str]]:
    """(header -> field, headers to ignore) from --map; raises MappingError on a bad entry."""
    forced: dict[str, str] = {}
    dropped: set[str] = set()
    for raw_header, raw_field in overrides.items():
        header = _find_header(table, raw_header)
        field = _field_name(raw_field, raw_header)
        if field == "ignore":
            dropped.add(header)
            continue
        forced[header] = field  # several columns for one field: in the order given
    return forced, dropped


def _find_header(table: Table, wanted: str) -> str:
    if wanted in table.headers:
        return wanted
    matches = [h for h in table.headers if fold_header(h) == fold_header(wanted)]
    if len(matches) == 1:
        return matches[0]
    raise MappingError(
        f"--map names a column '{wanted}' that is not in {table.path}; "
        f"the headers are {_listed(table.headers)}"
    )


def _field_name(raw: str, header: str) -> str:
    folded = fold_header(raw)
    field = ALIASES.get(folded, folded.replace(" ", "_"))
    if field == "ignore" or field in PERSON_FIELDS or field in COMPANY_FIELDS:
        return field
    raise MappingError(
        f"--map '{header}={raw}': '{raw}' is not a field; use one of "
        f"{', '.join(dict.fromkeys(PERSON_FIELDS + COMPANY_FIELDS))} or ignore"
    )


@dataclass(frozen=True)
class _Choice:
    fields: dict[str, str]
    notes: tuple[str, ...]
    ambiguities: tuple[str, ...] = ()
    fallbacks: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def _choose(
    table: Table, free: list[str], forced: dict[str, str], company: bool, layout: Layout | None,
    kinds: dict[str, str | None],
) -> _Choice:
    """The best header per field among `free`, skipping fields the user set with --map; the
    others for each field behind it in order of preference."""
    found = [c for h in free if (c := _candidate(table, h, company, kinds)) is not None]
    unused = [c for c in found if c.field and never_used(layout, c.header)]
    found = [c for c in found if c not in unused]
    candidates = [c for c in found if c.field]
    taken = set(forced.values())
    fields: dict[str, str] = {}
    notes: list[str] = [n for c in found if not c.field for n in c.notes]
    notes += [never_note(c.header, layout) for c in unused if layout]
    ambiguities: list[str] = []
    fallbacks: dict[str, tuple[str, ...]] = {}
    for name in dict.fromkeys(c.field for c in candidates):
        if name in taken:
            continue
        fitting, demoted = _prefer_fitting(table, [c for c in candidates if c.field == name])
        notes.extend(demoted)
        best, tied, rest = _best(table, fitting, layout)
        fields[name] = best.header
        notes.extend(best.notes)
        if tied and name in DECISIVE:
            ambiguities.append(_ambiguity(table, name, tied))
        elif tied:
            notes.append(_tie_note(name, tied))
        if rest:
            fallbacks[name] = tuple(rest)
    return _Choice(fields, tuple(notes), tuple(ambiguities), fallbacks)


def _tie_note(name: str, tied: list[str]) -> str:
    """Columns that fit a field equally are all used, leftmost first (the order note lists
    them): say so, and how to choose another order."""
    swapped = " ".join(f"--map '{h}={name}'" for h in (*tied[1:], tied[0]))
    return (f"'{tied[0]}' comes first for {name} as the leftmost of columns that fit it "
            f"equally; to choose the order, give --map once per column, best first: {swapped}")


_CHECKS: dict[str, Callable[[str], str | None]] = {
    "email": rules.normalise_email, "linkedin_url": rules.linkedin_slug,
    "domain": rules.company_domain,
}  # fmt: skip


def _prefer_fitting(table: Table, group: list[Candidate]) -> tuple[list[Candidate], list[str]]:
    """Candidates for one field, those whose values mostly fail it (Sales Navigator links in a
    profile URL column) moved behind those whose values fit, with a note saying so."""
    check = _CHECKS.get(group[0].field) if len(group) > 1 else None
    if check is None:
        return group, []
    fits = {c.header: _fit_share(table, c.header, c.field) for c in group}
    good = [c for c in group if fits[c.header] >= 0.5]
    if not good or len(good) == len(group):
        return group, []
    worse = [dataclasses.replace(c, tier=c.tier + 100) for c in group if c not in good]
    notes = [_demoted_note(table, c.header, good[0]) for c in worse]
    return good + worse, notes


def _fit_share(table: Table, header: str, field: str) -> float:
    values = sample(table.blanked.get_column(header))
    return sum(first_valid(field, v) is not None for v in values) / len(values) if values else 0.0


def _demoted_note(table: Table, header: str, used: Candidate) -> str:
    values = sample(table.blanked.get_column(header))
    sales = sum("/sales/" in v.lower() for v in values) * 2 > len(values)
    what = "Sales Navigator links, which cannot be looked up" if sales else "few usable values"
    return (
        f"'{header}' holds {what}; '{used.header}' is used as {used.field} "
        f"('{header}' only fills in where it is empty)"
    )


def _candidate(
    table: Table, header: str, company: bool, kinds: dict[str, str | None]
) -> Candidate | None:
    matched = grouped_name(table, header, company, match_header(header, company))
    return sniff_field(table.blanked.get_column(header), header, matched, company, kinds)


def _best(
    table: Table, candidates: list[Candidate], layout: Layout | None
) -> tuple[Candidate, list[str], list[str]]:
    """The preferred candidate holding any value; the headers tied with it when they hold other
    values; and the other filled candidates in order of preference (see mapping.exports)."""
    height = table.blanked.height
    filled = [c for c in candidates if table.blanked.get_column(c.header).null_count() < height]
    filled = filled or candidates[:1]

    def rank(c: Candidate) -> tuple[int, ...]:
        return (c.tier >= 100, layout_rank(layout, c.field, c.header), c.tier, marker(c.header))

    position = {h: i for i, h in enumerate(table.headers)}
    ordered = sorted(filled, key=lambda c: (rank(c), position.get(c.header, 0)))
    tied = [c.header for c in ordered if rank(c) == rank(ordered[0])]
    rest = [c.header for c in ordered[1:]]
    if len(tied) > 1 and not _same_values(table, tied):
        return ordered[0], tied, rest
    return ordered[0], [], rest


def _ambiguity(table: Table, field: str, headers: list[str]) -> str:
    shown = ", ".join(f"'{h}'" for h in headers[:-1]) + f" and '{headers[-1]}'"
    ignore = " ".join(f"--map '{h}=ignore'" for h in headers[1:])
    both = " ".join(f"--map '{h}={field}'" for h in headers)
    return (
        f"{table.path}: the {field} column is ambiguous: {shown} all fit; choose one with "
        f"--map '{headers[0]}={field}' {ignore}, or use them all, best first, with {both}"
    )


def _same_values(table: Table, headers: list[str]) -> bool:
    first = table.blanked.get_column(headers[0])
    return all(table.blanked.get_column(h).equals(first) for h in headers[1:])


def _auto_kind(person: _Choice, company: _Choice, forced: dict[str, str]) -> Kind:
    wanted = set(forced.values())
    if wanted & set(PERSON_STRONG + PERSON_NAMES + ("phone",)):
        return "person"
    if wanted & set(COMPANY_ONLY):
        return "company"
    people = set(person.fields) & set(PERSON_STRONG + PERSON_NAMES)
    if _accounts_file(person, company, people):
        return "company"
    if people and people != {"full_name"}:
        return "person"
    if people == {"full_name"} and "company_name" in person.fields:
        return "person"
    return "company" if set(company.fields) & set(COMPANY_IDS) else "person"


def _accounts_file(person: _Choice, company: _Choice, people: set[str]) -> bool:
    """An accounts export: company identifiers (name, website, ticker...) and, as the only
    person column, an email whose header says it is the account's contact."""
    if people != {"email"}:
        return False
    words = set(fold_header(person.fields["email"]).split())
    return bool(words & _CONTACT_WORDS) and len(set(company.fields) & set(COMPANY_IDS)) >= 2


def _accounts_note(person: _Choice) -> str:
    header = person.fields["email"]
    return (
        f"read as a company file: '{header}' is taken as each account's contact (its work "
        f"domain stands in for a missing website); to look up the people in '{header}' "
        "instead, use --kind person"
    )


def _finish(
    table: Table, kind: Kind, chosen: _Choice, forced: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    allowed = PERSON_FIELDS if kind == "person" else COMPANY_FIELDS + ("email",)
    for header, field in forced.items():
        if field not in allowed:
            other = "company" if kind == "person" else "person"
            raise MappingError(
                f"--map '{header}={field}': {field} is a {other} field but {table.path} is read "
                f"as a {kind} file; add --kind {other}, or map '{header}' to one of "
                f"{', '.join(allowed)}"
            )
    fields = {f: h for f, h in chosen.fields.items() if f in allowed}
    fields.update({f: h for h, f in reversed(forced.items())})  # the first --map for f wins
    notes = [f"'{h}' is {f} (set with --map)" for h, f in forced.items()]
    pages = "website" in fields and only_platform_pages(table, fields["website"])
    return _tidy(kind, fields), notes + _derived_notes(kind, fields, pages_only=pages)


def _given_name(
    table: Table, fields: dict[str, str], forced: Mapping[str, str]
) -> dict[str, str] | None:
    """A bare "Name" beside a last-name column ("Name, Surname", as Italian, Spanish or German
    exports translate "Nome, Cognome") is the first name, unless its cells hold the whole name
    (most of them end with the row's last name); None when that is not the case."""
    name, last = fields.get("full_name"), fields.get("last_name")
    if name is None or last is None or "first_name" in fields or name in forced:
        return None
    if fold_header(name) != "name":
        return None
    pairs = table.frame.select(name, last).drop_nulls().head(200).rows()
    pairs = [(n.strip().casefold(), s.strip().casefold()) for n, s in pairs if n.strip()]
    whole = sum(1 for n, s in pairs if s and n != s and n.endswith(s))
    if pairs and whole * 2 >= len(pairs):
        return None
    given = {f: h for f, h in fields.items() if f != "full_name"} | {"first_name": name}
    return _tidy("person", given)


def _tidy(kind: Kind, fields: dict[str, str]) -> dict[str, str]:
    order = PERSON_FIELDS if kind == "person" else COMPANY_FIELDS + ("email",)
    return {f: fields[f] for f in order if f in fields}


def _derived_notes(kind: Kind, fields: dict[str, str], *, pages_only: bool = False) -> list[str]:
    """What csv-enrich works out from the columns; `pages_only`: the website column holds
    LinkedIn or Facebook pages alone, which give no domain (platform_notes says so)."""
    notes: list[str] = []
    if "full_name" in fields and not {"first_name", "last_name"} <= set(fields):
        notes.append(f"first and last names are split from '{fields['full_name']}'")
    if "website" in fields and "domain" not in fields and not pages_only:
        notes.append(f"domains are taken from the websites in '{fields['website']}'")
    if kind == "company" and "email" in fields:
        site = {"domain", "website"} & set(fields)
        where = " where a row has no website or domain" if site else ""
        notes.append(
            f"company domains are taken from the work emails in '{fields['email']}'{where} "
            "(free-mail addresses are skipped)"
        )
    return notes


def _require_identifiers(table: Table, kind: Kind, fields: Mapping[str, str]) -> None:
    if kind == "person" and _person_ready(fields):
        return
    if kind == "company" and set(fields) & set(COMPANY_IDS + ("email",)):
        return
    example = next((h for h in table.headers if "mail" in h.lower()), "Work Email")
    if kind == "person":
        what = "an email, LinkedIn URL, person id or first + last name with a company or domain"
        if set(fields) & set(PERSON_NAMES):
            what = "a company or domain to go with the names (or an email or LinkedIn URL)"
        hint = f"--map '{example}=email'"
    else:
        what = "a domain, website, company name, ticker or company id"
        hint = f"--map '{table.headers[0] if table.headers else 'Company'}=company_name'"
    raise MappingError(
        f"{table.path}: no column holds {what}. Headers found: {_listed(table.headers)}. Use {hint}"
    )


def _person_ready(fields: Mapping[str, str]) -> bool:
    if set(fields) & set(PERSON_STRONG):
        return True
    names = "full_name" in fields or {"first_name", "last_name"} <= set(fields)
    return names and bool(set(fields) & {"company_name", "domain", "website"})


def _listed(headers: tuple[str, ...] | list[str]) -> str:
    shown = ", ".join(f"'{h}'" for h in headers[:30])
    return shown + (f" and {len(headers) - 30} more" if len(headers) > 30 else "") or "(none)"
