"""Header synonyms: the words CRMs, prospecting tools and people use for each identifier field.

Headers are compared in a folded form (`fold_header`): accents dropped, case folded, camelCase
split, punctuation turned to spaces. Each field lists its synonyms in tiers: tier 0 are the most
specific (a work email beats a plain email beats a personal one); two headers for one field in
the same tier are an ambiguity the user resolves with --map.

Sources: the export headers of HubSpot, Salesforce reports, Apollo, Sales Navigator export
tools (Phantombuster, Evaboot, Dux-Soup), Pipedrive, Zoho, Close, Outreach, Salesloft,
Crunchbase, Google and Outlook contacts, LinkedIn connections, and German, French and Spanish.
"""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")

# Leading words that only say whose field it is ("Person - Email", "Contact: First Name").
# Shared by the person and company tables: a domain or a website column means the same in both.
DOMAIN: tuple[str, ...] = (
    "domain; company domain; email domain; website domain; domain name; "
    "company domain name; primary domain; organization domain; domaine; dominio; "
    "domain url",
)
WEBSITE: tuple[str, ...] = (
    "website; company website; web site; website url; homepage; home page; web; "
    "company url; organization website; web page; webpage; site; site web; site internet; "
    "sitio web; pagina web; webseite; internetseite; url; website 1; company website url; "
    "corporate website; www",
)

PERSON_PREFIXES = ("person", "contact", "lead", "prospect", "primary contact", "primary", "your")
# Trailing words that add nothing ("E-mail 1 - Value", "Email (Work)" is kept: see tiers).
TRAILING_NOISE = ("value", "1", "address 1", "text")

PERSON: dict[str, tuple[str, ...]] = {
    "email": (
        (
            "work email; business email; email work; work email address; email business; "
            "corporate email; professional email; company email; verified email; "
            "email address work; e mail work; geschaftliche e mail; e mail geschaftlich; "
            "courriel professionnel; email professionnel; correo electronico del trabajo; "
            "correo corporativo; correo de trabajo; email del trabajo"
        ),
        (
            "email; email address; emailaddress; e mail; e mail address; mail; emails; "
            "primary email; email 1; email1; contact email; e mail 1; mail address; email id; "
            "contact emails; primary contact email; e mail adresse; emailadresse; mailadresse; "
            "courriel; adresse email; adresse e mail; adresse courriel; mel; correo; "
            "correo electronico; direccion de correo; direccion de correo electronico; "
            "email primary"
        ),
        (
            "personal email; email 2; email2; secondary email; other email; home email; "
            "email home; email other; e mail 2; private e mail; email personnel; correo personal; "
            "e mail privat; private email; email 3; email3; e mail 3; email 4; e mail 4; "
            "tertiary email; alternate email; additional email; additional emails; "
            "additional email addresses; e mail 2 address; e mail 3 address; email address 2; "
            "other emails"
        ),
    ),
    "linkedin_url": (
        (
            "linkedin url; linkedin profile url; linkedin profile; person linkedin url; linkedin; "
            "linkedin link; linkedin profile link; profile url linkedin; linkedin profil; "
            "linkedin profil url; profil linkedin; url linkedin; perfil de linkedin; "
            "perfil linkedin; url de linkedin; linkedin contact url; linkedin public url; "
            "public linkedin url; linkedin page; li url; linkedin profile url public; "
            "default profile url; public profile url; linkedin bio; contact linkedin url; "
            "linkedin handle"
        ),
        ("profile url; profile link; profile; public url"),
    ),
    "person_id": (("person id; prospect id; cleanlist person id; cleanlist id"),),
    "first_name": (
        (
            "first name; firstname; first; given name; forename; fname; given; vorname; prenom; "
            "nombre de pila; primer nombre"
        ),
        ("nombre"),
    ),
    "last_name": (
        (
            "last name; lastname; surname; family name; last; lname; second name; nachname; "
            "familienname; nom de famille; apellido; apellidos; nom"
        ),
    ),
    "full_name": (
        (
            "full name; fullname; name; contact name; person name; display name; "
            "contact; prospect name; contact full name; full name contact; vollstandiger name; "
            "name vollstandig; nom complet; nombre completo; nombre y apellidos; prenom et nom; "
            "prenom nom; vor und nachname"
        ),
    ),
    "company_name": (
        (
            "company; company name; account name; organization; organisation; organization name; "
            "organisation name; employer; current company; "
            "associated company; company account; account; organization 1 name; business name; "
            "firm; firma; firmenname; unternehmen; arbeitgeber; entreprise; societe; "
            "nom de l entreprise; nom entreprise; empresa; nombre de la empresa; compania; "
            "organizacion; current company name; company name current; org; org name"
        ),
        (
            "organization name 1; company 1; company name 1; lead name; lead; "
            "company name for emails"
        ),
    ),
    "domain": DOMAIN,
    "website": WEBSITE,
    "phone": (
        (
            "phone; phone number; work direct phone; mobile; mobile phone; work phone; "
            "direct phone; telephone; tel; "
            "cell; cell phone; business phone; corporate phone; mobile number; direct dial; "
            "phone 1; telefon; telefonnummer; handy; mobilnummer; telephone portable; portable; "
            "numero de telephone; telefono; movil; celular; numero de telefono; phone work; "
            "phone mobile; mobile phone number; primary phone; company main phone"
        ),
        (
            "phone 2; phone 3; phone 4; business phone 2; home phone; home phone 2; other phone; "
            "phones; phone home; phone other; phone number 2"
        ),
    ),
}

COMPANY: dict[str, tuple[str, ...]] = {
    "domain": DOMAIN,
    "website": WEBSITE,
    "company_name": (
        (
            "company; company name; account name; organization; organisation; organization name; "
            "organisation name; employer; current company; "
            "associated company; company account; account; organization 1 name; business name; "
            "firm; firma; firmenname; unternehmen; arbeitgeber; entreprise; societe; "
            "nom de l entreprise; nom entreprise; empresa; nombre de la empresa; compania; "
            "organizacion; current company name; company name current; org; org name; name; "
            "organization name; company legal name; legal name; brand; organisation; "
            "raison sociale; nombre; nom"
        ),
        (
            "organization name 1; company 1; company name 1; lead name; lead; "
            "company name for emails"
        ),
    ),
    "company_ticker": (
        (
            "ticker; ticker symbol; stock symbol; stock ticker; symbol; company ticker; "
            "stock exchange symbol; borsenkurzel; tickersymbol; symbole boursier; "
            "simbolo bursatil"
        ),
    ),
    "company_id": (("company id; cleanlist company id; organization id cleanlist"),),
}


def fold_header(text: str) -> str:
    """A header compared loosely: "LinkedIn_Profile-URL" and "linkedin profile url" match."""
    spaced = _CAMEL.sub(" ", text)
    decomposed = unicodedata.normalize("NFKD", spaced.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("&", " and ")
    folded = " ".join(_NON_ALNUM.sub(" ", plain.replace("ß", "ss")).split())
    return folded.replace("linked in", "linkedin").replace("e mail", "e mail")


def _lookup(vocabulary: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for field, tiers in vocabulary.items():
        for tier, words in enumerate(tiers):
            for word in words.split(";"):
                table.setdefault(fold_header(word), (field, tier))
    return table


PERSON_LOOKUP = _lookup(PERSON)
COMPANY_LOOKUP = _lookup(COMPANY)


def match_header(header: str, company: bool) -> tuple[str, int] | None:
    """(field, tier) a header names, trying it bare, without a "Person -" prefix, then without
    a trailing "- Value"; None when it names no identifier field."""
    lookup = COMPANY_LOOKUP if company else PERSON_LOOKUP
    folded = fold_header(header)
    for candidate in _variants(folded):
        if candidate in lookup:
            return lookup[candidate]
    return None


def _variants(folded: str) -> list[str]:
    out = [folded]
    out += [folded[len(p) + 1 :] for p in PERSON_PREFIXES if folded.startswith(p + " ")]
    out += [t[: -len(n) - 1] for t in list(out) for n in TRAILING_NOISE if t.endswith(" " + n)]
    return out
