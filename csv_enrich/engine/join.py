"""Join leads read back from a list onto our identities by normalised identity.

No row reference survives an import, so a lead is matched by what it shares with the row:
the LinkedIn slug, the email, or first + last name with the company (name or email domain).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from csv_enrich.api.client import Lead
from csv_enrich.models import Identity
from csv_enrich.rules.validate import email_domain, linkedin_slug, normalise_email

_STRONG = ("li:", "email:")  # keys naming one person; a name may be a namesake's
_COMPANY_SUFFIX = re.compile(
    r"\b(inc|incorporated|llc|ltd|limited|corp|corporation|co|company|gmbh|ag|sa|plc|bv)\b\.?")


def fold(text: str | None) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    if not text:
        return ""
    compat = unicodedata.normalize("NFKD", text)  # first, so "𝜜" folds like "Α"
    decomposed = unicodedata.normalize("NFKD", compat.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", plain).split())


def company_fold(text: str | None) -> str:
    """A company name without legal suffixes, folded ("Acme, Inc." -> "acme")."""
    return " ".join(_COMPANY_SUFFIX.sub(" ", fold(text)).split())


def _domain_root(domain: str | None) -> str:
    return domain.removeprefix("www.").lower() if domain else ""


def identity_keys(ident: Identity) -> list[str]:
    """Match keys of an identity, strongest first."""
    keys: list[str] = []
    if slug := linkedin_slug(ident.linkedin_url):
        keys.append("li:" + slug)
    if ident.email:
        keys.append("email:" + ident.email.lower())
    first, last = fold(ident.first_name), fold(ident.last_name)
    if first and last:
        if ident.domain:
            keys.append(f"nd:{first}|{last}|{_domain_root(ident.domain)}")
        if ident.email and (dom := email_domain(ident.email.lower())):
            keys.append(f"nd:{first}|{last}|{dom}")
        if company := company_fold(ident.company_name):
            keys.append(f"nc:{first}|{last}|{company}")
        keys.append(f"n:{first}|{last}")
    return keys


def lead_keys(lead: Lead) -> list[str]:
    """Match keys of a lead read back from a list."""
    keys: list[str] = []
    if slug := linkedin_slug(lead.data.get("linkedin_url")):
        keys.append("li:" + slug)
    email = normalise_email(lead.data.get("email"))
    if email:
        keys.append("email:" + email)
    first, last = _lead_names(lead)
    if first and last:
        domains = {email_domain(email), _domain_root(lead.domain)} - {None, ""}
        keys.extend(f"nd:{first}|{last}|{dom}" for dom in sorted(d for d in domains if d))
        if company := company_fold(lead.data.get("company")):
            keys.append(f"nc:{first}|{last}|{company}")
        keys.append(f"n:{first}|{last}")
    return keys


def _lead_names(lead: Lead) -> tuple[str, str]:
    first, last = fold(lead.first_name), fold(lead.last_name)
    if (not first or not last) and (full := fold(lead.data.get("full_name"))):
        parts = full.split()
        if len(parts) >= 2:
            first, last = parts[0], parts[-1]
    return first, last


class LeadIndex:
    """Leads by every match key (a key may be shared by several leads, first seen first).

    A key most leads hold alone maps to the lead itself, a shared one to a list: a list per key
    would be most of the index's memory on a 100k-row bulk run."""

    def __init__(self, leads: Iterable[Lead] = ()) -> None:
        self._by_key: dict[str, Lead | list[Lead]] = {}
        self.order: list[Lead] = []  # leads in the order the list returned them
        self.add(leads)

    def add(self, leads: Iterable[Lead]) -> None:
        """Index more leads (later pages)."""
        by_key = self._by_key
        for lead in leads:
            self.order.append(lead)
            for key in dict.fromkeys(lead_keys(lead)):
                held = by_key.setdefault(key, lead)
                if held is lead:
                    continue
                if isinstance(held, list):
                    held.append(lead)
                else:
                    by_key[key] = [held, lead]

    def _with_key(self, key: str) -> Sequence[Lead]:
        """The leads holding `key`, first seen first."""
        held = self._by_key.get(key)
        if held is None:
            return ()
        return held if isinstance(held, list) else (held,)

    def __len__(self) -> int:
        return len(self.order)

    def match(self, ident: Identity) -> Lead | None:
        """The lead for `ident`, or None when no lead shares a key with it."""
        found = self.candidates(ident)
        return found[0] if found else None

    def candidates(self, ident: Identity, *, strong: bool = False) -> list[Lead]:
        """Every lead sharing a key with `ident`, those sharing its strongest key first;
        `strong`: only those sharing its LinkedIn profile or email."""
        seen: dict[str, Lead] = {}
        keys = identity_keys(ident)
        for key in [k for k in keys if k.startswith(_STRONG)] if strong else keys:
            for lead in self._with_key(key):
                seen.setdefault(lead.lead_id, lead)
        return list(seen.values())


def join_in_order(idents: Sequence[Identity], index: LeadIndex) -> list[Lead | None]:
    """The lead of each identity, one lead per identity where the list allows it: by shared keys
    (an identity with fewer candidate leads chooses first, so a row known by its email keeps
    its lead and a row with the same name gets the other lead that answers to it); then, where
    the list keeps the import order, by position between matched neighbours (a lead whose email
    was not found shows neither the imported email nor a name we know, yet it is still that
    row's); last, a row whose every candidate answers another row gets that lead too: the API
    made one person of both (the caller charges it once). Leads sharing a row's LinkedIn profile
or email go to that row before any name is matched: a name-only row never takes the lead of a
row known by its email (regression: after Ctrl-C and an edited file, 425 rows got a namesake's
email)."""
    options = [index.candidates(i) for i in idents]
    found = _one_to_one([index.candidates(i, strong=True) for i in idents])
    _one_to_one(options, found)
    _by_position(found, index)
    for n, lead in enumerate(found):
        if lead is None and options[n]:
            found[n] = options[n][0]
    return found


def _one_to_one(
    options: list[list[Lead]], found: list[Lead | None] | None = None
) -> list[Lead | None]:
    """Give each identity still without a lead (all, or those None in `found`) a free one of
    its options, those with fewer options choosing first."""
    if found is None:
        found = [None] * len(options)
    taken = {lead.lead_id for lead in found if lead is not None}
    open_ = [n for n in range(len(options)) if found[n] is None]
    for n in sorted(open_, key=lambda k: (len(options[k]), k)):
        free = next((ld for ld in options[n] if ld.lead_id not in taken), None)
        if free is not None:
            found[n] = free
            taken.add(free.lead_id)
    return found


def _by_position(found: list[Lead | None], index: LeadIndex) -> None:
    position = {lead.lead_id: n for n, lead in enumerate(index.order)}
    anchors = [(n, position[lead.lead_id]) for n, lead in enumerate(found) if lead is not None]
    if any(b[1] <= a[1] for a, b in itertools.pairwise(anchors)):
        return  # the list is not in import order: keys only
    claimed = {lead.lead_id for lead in found if lead is not None}
    bounds = [(-1, -1), *anchors, (len(found), len(index.order))]
    for (i0, l0), (i1, l1) in itertools.pairwise(bounds):
        gap = [n for n in range(i0 + 1, i1) if found[n] is None]
        free = [lead for lead in index.order[l0 + 1:l1] if lead.lead_id not in claimed]
        if gap and len(gap) == len(free):
            for n, lead in zip(gap, free, strict=True):
                found[n] = lead
