"""Known export layouts and the order of preference between columns for one field.

Several columns often hold one identifier: E-mail 1/2/3 (Google, Outlook), Email work/home/other
(Pipedrive), Close's `primary_email` and `emails`, Apollo's mobile and corporate phones. They
are all used, in an order of preference, and each row takes the first valid value (see
rules.cells.pick). The order comes from:

1. a known export layout (`LAYOUTS`), recognised by a few headers only it has, which says the
   order outright (Close: primary_email before emails) and which columns are never used
   (Phantombuster's Sales Navigator `profileUrl`);
2. else the header's synonym tier (work email before email before personal email), then its
   rank marker (`marker`): primary before plain or 1 before 2 before 3 before other/additional.

Two columns left with the same tier and marker, holding different values, are a real
ambiguity for a decisive field: the user settles it with --map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from csv_enrich.mapping.synonyms import PERSON_PREFIXES, fold_header

_OWNER_PREFIXES = tuple(p for p in PERSON_PREFIXES if p != "primary")

_MARKERS = {
    "primary": 0, "main": 0, "preferred": 0, "secondary": 2, "alternate": 2, "alternative": 2,
    "alt": 2, "tertiary": 3, "other": 9, "additional": 9, "emails": 9, "phones": 9,
}  # fmt: skip


@dataclass(frozen=True)
class Layout:
    """A known export: recognised when every header of `signature` is there (folded)."""

    name: str
    signature: frozenset[str]
    order: dict[str, tuple[str, ...]]
    never: tuple[str, ...] = ()
    never_why: str = "it holds Sales Navigator links, which cannot be looked up"


def _layout(
    name: str, signature: str, never: str = "", never_why: str = "", **order: str
) -> Layout:
    folded = {f: tuple(fold_header(h) for h in hs.split(";")) for f, hs in order.items()}
    return Layout(
        name, frozenset(fold_header(h) for h in signature.split(";")), folded,
        tuple(fold_header(h) for h in never.split(";") if h), never_why or Layout.never_why,
    )  # fmt: skip


LAYOUTS: tuple[Layout, ...] = (
    _layout("Close (leads)", "display_name;primary_contact_name;primary_contact_primary_email",
            never="display_name", never_why="it holds the lead's (the company's) name",
            email="primary_contact_primary_email;primary_contact_emails",
            phone="primary_contact_primary_phone;primary_contact_phones"),
    _layout("Close", "primary_email;emails", email="primary_email;emails",
            phone="primary_phone;phones"),
    _layout("Phantombuster (Sales Navigator)", "profileUrl;linkedInProfileUrl",
            never="profileUrl", linkedin_url="linkedInProfileUrl;defaultProfileUrl"),
    _layout("Phantombuster (Sales Navigator)", "profileUrl;defaultProfileUrl",
            never="profileUrl", linkedin_url="linkedInProfileUrl;defaultProfileUrl"),
    _layout("Apollo", "Corporate Phone;Mobile Phone;Email Status",
            phone="Work Direct Phone;Mobile Phone;Corporate Phone;Home Phone;Other Phone",
            email="Email;Secondary Email;Tertiary Email"),
    _layout("Google Contacts", "E-mail 1 - Value", email="E-mail 1 - Value;E-mail 2 - Value;"
            "E-mail 3 - Value;E-mail 4 - Value",
            phone="Phone 1 - Value;Phone 2 - Value;Phone 3 - Value;Phone 4 - Value"),
    _layout("Outlook", "E-mail Address;E-mail Display Name",
            email="E-mail Address;E-mail 2 Address;E-mail 3 Address",
            phone="Mobile Phone;Business Phone;Business Phone 2;Primary Phone;Home Phone;"
                  "Home Phone 2;Other Phone;Company Main Phone"),
    _layout("Pipedrive", "Person - Name;Person - Email - Work",
            email="Person - Email - Work;Person - Email - Home;Person - Email - Other",
            phone="Person - Phone - Mobile;Person - Phone - Work;Person - Phone - Home;"
                  "Person - Phone - Other"),
    _layout("Pipedrive", "Name;Email - Work;Email - Home",
            email="Email - Work;Email - Home;Email - Other",
            phone="Phone - Mobile;Phone - Work;Phone - Home;Phone - Other"),
    _layout("HubSpot", "Record ID;Email;Additional email addresses",
            email="Email;Additional email addresses", phone="Mobile Phone Number;Phone Number"),
    _layout("HubSpot", "Record ID;Email;Phone Number",
            email="Email;Additional email addresses", phone="Mobile Phone Number;Phone Number"),
    _layout("Salesforce", "Account Name;Email;Mobile", phone="Mobile;Phone",
            email="Email;Alternate Email"),
    _layout("Salesforce", "AccountId;Email;MobilePhone", phone="MobilePhone;Phone"),
)  # fmt: skip


def recognise(headers: tuple[str, ...] | list[str]) -> Layout | None:
    """The known export layout `headers` belong to, if any."""
    folded = {fold_header(h) for h in headers}
    return next((lay for lay in LAYOUTS if lay.signature <= folded), None)


def layout_rank(layout: Layout | None, field: str, header: str) -> int:
    """Where the layout puts `header` among the columns for `field` (99: it says nothing)."""
    order = layout.order.get(field, ()) if layout else ()
    folded = fold_header(header)
    return order.index(folded) if folded in order else 99


def never_used(layout: Layout | None, header: str) -> bool:
    """True for a column the layout says is never an identifier (Sales Navigator links)."""
    return layout is not None and fold_header(header) in layout.never


def marker(header: str) -> int:
    """The rank a header's own words give it among columns of one field: 0 for primary or
    main, a number it carries (E-mail 2 -> 2), 9 for other, additional or a plural list
    ("emails"), else 1."""
    folded = fold_header(header)
    for prefix in _OWNER_PREFIXES:  # whose field it is says nothing of rank: "primary contact"
        folded = folded.removeprefix(prefix + " ")
    words = folded.split()
    numbers = [int(w) for w in words if w.isdigit() and len(w) == 1]
    if numbers:
        return numbers[-1]
    ranks = [_MARKERS[w] for w in words if w in _MARKERS]
    return min(ranks) if ranks else 1


def forced_order(
    forced: Mapping[str, str], fields: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """The columns --map names for one field after its first, in the order given."""
    order: dict[str, list[str]] = {}
    for header, field in forced.items():
        order.setdefault(field, []).append(header)
    return {f: tuple(hs[1:]) for f, hs in order.items() if len(hs) > 1 and fields.get(f) == hs[0]}


def order_note(field: str, headers: tuple[str, ...]) -> str:
    shown = ", then ".join(f"'{h}'" for h in headers)
    return f"{field} is taken from {shown}: each row uses the first valid value"


def a_name(name: str) -> str:
    return ("an " if name[0].lower() in "aeiou" else "a ") + name


def never_note(header: str, layout: Layout) -> str:
    return (
        f"'{header}' is not used: in {a_name(layout.name)} export {layout.never_why}"
    )
