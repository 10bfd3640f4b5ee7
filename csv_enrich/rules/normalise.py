"""Normalisers for identifier text: emails, LinkedIn URLs, domains, names, tickers, phones.

Pure functions that return the normalised value, or ``None`` for text that is not a usable
identifier; they never raise on data. `rules.validate` builds identities from them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, unquote

# The whitespace of Python's str.split() and str.strip() as a regex class for polars (Rust):
# Unicode White_Space plus the separators \x1c-\x1f, which Python counts too.
PY_SPACE = r"[\s\x1c-\x1f]"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_QUERY = re.compile(r"[?#]")
_LOCAL = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
_ANGLE = re.compile(r"<([^<>]+)>")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_SLUG = re.compile(r"^[\w\-%.]{3,100}$")
_MEMBER_ID = re.compile(r"^AC[a-zA-Z]AA[\w-]{6,}$")
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,9}$")
_EXCHANGE = re.compile(r"^(?:NASDAQ|NYSE|AMEX|LSE|TSX|ASX|XETRA|EURONEXT|OTC)\s*:\s*", re.I)
_LI_HOST = re.compile(r"^(?:[a-z]{2,3}\.|www\.|m\.)?linkedin\.com$")
_LI_COMPANY = ("company", "school", "showcase", "groups", "jobs", "feed", "posts", "pulse")
_TITLES = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "fr", "herr", "frau",
        "sr", "sra", "srta", "mme", "mlle", "m",
    }
)  # fmt: skip
_SUFFIXES = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq", "cpa", "dds", "jd"}
)

# Cell texts that mean "nothing here": empty for identifiers (the output keeps them as they are).
PLACEHOLDERS = frozenset(
    {
        "n/a", "na", "#n/a", "n.a.", "null", "nil", "none", "-", "--", "---", "\u2014", "?",
        "[not provided]", "not provided", "(not provided)", "<not provided>", "nan",
        "#ref!", "#value!", "#name?", "#div/0!", "#null!", "#num!",
        "(blank)", "[blank]", "(empty)", "[empty]",
    }
)  # fmt: skip

# Words people type where a LinkedIn handle is not known: never a profile.
NOT_HANDLES = frozenset(
    {
        "unknown", "tbd", "tba", "tbc", "n/a", "na", "none", "null", "nil", "nan", "pending",
        "missing", "private", "hidden", "unavailable", "not available", "not found", "notfound",
        "todo", "test", "yes", "no", "true", "false", "linkedin", "profile", "empty", "blank",
        "xxx", "abc", "asdf", "sample", "example", "undefined", "n.a.", "inconnu", "unbekannt",
        "desconocido", "keine", "aucun", "ninguno",
    }
)  # fmt: skip

# Sites whose pages are not a company's own website: their domain is never a company's domain.
PLATFORMS = {
    "linkedin.com": "LinkedIn", "lnkd.in": "LinkedIn", "facebook.com": "Facebook",
    "fb.com": "Facebook", "fb.me": "Facebook", "twitter.com": "Twitter", "x.com": "X",
    "t.co": "Twitter", "instagram.com": "Instagram", "youtube.com": "YouTube",
    "youtu.be": "YouTube", "tiktok.com": "TikTok", "crunchbase.com": "Crunchbase",
    "angel.co": "AngelList", "wellfound.com": "Wellfound", "github.com": "GitHub",
    "gitlab.com": "GitLab", "medium.com": "Medium", "bit.ly": "Bitly", "tinyurl.com": "TinyURL",
    "goo.gl": "Google", "g.page": "Google", "g.co": "Google", "maps.google.com": "Google Maps",
    "linktr.ee": "Linktree", "ow.ly": "Hootsuite", "buff.ly": "Buffer", "pinterest.com":
    "Pinterest", "reddit.com": "Reddit", "glassdoor.com": "Glassdoor", "indeed.com": "Indeed",
    "yelp.com": "Yelp", "zoominfo.com": "ZoomInfo", "wikipedia.org": "Wikipedia",
    "threads.net": "Threads", "vimeo.com": "Vimeo", "calendly.com": "Calendly", "t.me":
    "Telegram", "wa.me": "WhatsApp", "whatsapp.com": "WhatsApp", "sites.google.com": "Google",
}  # fmt: skip
_GOOGLE_MAPS = re.compile(r"(?:^|[/.])google\.[a-z.]+/maps\b|(?:^|/)maps\.app\.goo\.gl", re.I)

# Free-mail providers: their domain says nothing about a person's employer.
FREE_MAIL = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de",
        "ymail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "outlook.com",
        "outlook.fr", "outlook.de", "live.com", "live.fr", "msn.com", "icloud.com", "me.com",
        "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "gmx.com",
        "web.de", "t-online.de", "orange.fr", "free.fr", "laposte.net", "wanadoo.fr", "sfr.fr",
        "mail.com", "mail.ru", "yandex.ru", "yandex.com", "zoho.com", "qq.com", "163.com",
        "fastmail.com", "hey.com", "tutanota.com",
    }
)  # fmt: skip


def clean(s: str | None) -> str | None:
    """Trim and collapse whitespace (including non-breaking spaces); None when nothing is left."""
    if s is None:
        return None
    text = " ".join(s.replace("\u200b", "").split())  # str.split() knows every Unicode space
    return text or None


def normalise_email(s: str | None) -> str | None:
    """A lower-cased, syntactically valid address from "mailto:x", "Name <x>" and such forms."""
    text = clean(s)
    if text is None:
        return None
    angle = _ANGLE.search(text)
    if angle:
        text = angle.group(1).strip()
    text = text.strip("\"'<>(),;[] ")
    if text.lower().startswith("mailto:"):
        text = text[7:].split("?", 1)[0]
    text = unicodedata.normalize("NFC", text.strip().lower())
    return text if len(text) <= 254 and _valid_address(text) else None


def _valid_address(text: str) -> bool:
    """RFC 5321/6531 syntax: a dot-atom local part (UTF-8 letters allowed) @ a domain whose
    labels (IDN ones as punycode) are valid and whose TLD is alphabetic."""
    local, at, host = text.rpartition("@")
    if not at or len(local) > 64 or not _LOCAL.match(local) or "@" in local:
        return False
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.match(label) for label in labels)
        and bool(_TLD.match(labels[-1]))
    )


def email_domain(email: str | None) -> str | None:
    """The domain of a normalised email, or None."""
    return email.rsplit("@", 1)[1] if email and "@" in email else None


def _strip_url(text: str) -> str:
    """Lower-case host + path of a URL-ish text, without scheme, credentials, query or fragment."""
    text = _SCHEME.sub("", text.strip())
    return _QUERY.split(text, maxsplit=1)[0]


def _pub_slug(parts: list[str]) -> str | None:
    """The /in/ slug of an old /pub/<name>/<a>/<b>/<c> profile path: <name>-<c><b><a>."""
    if len(parts) >= 5 and all(re.fullmatch(r"[0-9a-z]{1,3}", p) for p in parts[2:5]):
        return f"{parts[1]}-{parts[4]}{parts[3].zfill(3)}{parts[2].zfill(2)}"
    return parts[1] if len(parts) >= 2 else None


@lru_cache(maxsize=8192)
def linkedin_slug(s: str | None) -> str | None:
    """The profile slug of any common form of a person's LinkedIn URL or a bare handle
    ("jane-doe", "in/jane-doe", "@jane-doe"), else None. Vanity slugs are lower-cased; member
    ids (ACoAA...) keep their case, which is part of the id. Placeholder words (TBD, unknown)
    are not handles."""
    text = clean(s)
    if text is None or " " in text:
        return None
    path = _strip_url(text)
    host, _, rest = path.partition("/")
    if not _LI_HOST.match(host.lower().split(":")[0].split("@")[-1]):
        return _bare_handle(text)
    parts = [p for p in rest.split("/") if p]
    if parts and parts[0].lower() == "mwlite":
        parts = parts[1:]
    if len(parts) < 2 or parts[0].lower() not in ("in", "pub"):
        return None
    slug = _pub_slug(parts) if parts[0].lower() == "pub" else parts[1]
    return _slug_form(slug) if slug else None


def _bare_handle(text: str) -> str | None:
    """The slug of a handle written without the host: "jane-doe", "in/jane-doe", "@jane-doe"."""
    handle = text.removeprefix("@").removeprefix("/")
    if handle[:3].lower() == "in/":
        handle = handle[3:].rstrip("/")
    if "/" in handle or "." in handle or handle.startswith("-"):
        return None
    return _slug_form(handle)


def _slug_form(slug: str) -> str | None:
    """A valid slug as it is keyed: member ids as written, vanity slugs lower-cased."""
    if not _SLUG.match(slug) or fold(unquote(slug)) in NOT_HANDLES:
        return None
    return unquote(slug) if _MEMBER_ID.match(slug) else unquote(slug).lower()


def is_linkedin_company(s: str | None) -> bool:
    """True for a LinkedIn company, school or showcase page (not a person's profile)."""
    path = _strip_url(clean(s) or "").lower()
    host, _, rest = path.partition("/")
    first, _, more = rest.partition("/")
    if not _LI_HOST.match(host):
        return False
    return first in _LI_COMPANY or (first == "sales" and more.startswith(("company", "account")))


def normalise_linkedin(s: str | None) -> str | None:
    """The canonical https://www.linkedin.com/in/<slug> form of a person's profile URL, or None."""
    slug = linkedin_slug(s)
    return f"https://www.linkedin.com/in/{quote(slug, safe='-_.')}" if slug else None


@lru_cache(maxsize=8192)
def normalise_domain(s: str | None) -> str | None:
    """A bare lower-case domain from a domain, URL or email ("https://www.Acme.io/x" -> acme.io)."""
    text = clean(s)
    if text is None or " " in text:
        return None
    text = _strip_url(text).split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    text = text.lower().rstrip(".")
    text = text.removeprefix("www.")
    try:
        text = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        return None
    labels = text.split(".")
    if len(labels) < 2 or len(text) > 253 or not _TLD.match(labels[-1]):
        return None
    return text if all(_LABEL.match(label) for label in labels) else None


def platform_of(s: str | None) -> str | None:
    """The site's name ("LinkedIn") when `s` is a page or domain of a platform (social network,
    link shortener, directory, maps) rather than a company's own website, else None."""
    domain = normalise_domain(s)
    if domain is None:
        return None
    if _GOOGLE_MAPS.search(clean(s) or ""):
        return "Google Maps"
    labels = domain.split(".")
    suffixes = (".".join(labels[i:]) for i in range(len(labels) - 1))
    return next((PLATFORMS[d] for d in suffixes if d in PLATFORMS), None)


def company_domain(s: str | None) -> str | None:
    """The company domain of a domain or website (as normalise_domain), None for a platform."""
    domain = normalise_domain(s)
    return domain if domain is not None and platform_of(s) is None else None


def normalise_name(s: str | None) -> str | None:
    """A person's name part with tidy whitespace; None when it holds no letter."""
    text = clean(s)
    if text is None or not any(ch.isalpha() for ch in text):
        return None
    return text.strip(" ,;")


def normalise_company(s: str | None) -> str | None:
    """A company name with tidy whitespace; None when it holds no letter or digit."""
    text = clean(s)
    return text if text and any(ch.isalnum() for ch in text) else None


def normalise_ticker(s: str | None) -> str | None:
    """An upper-case ticker symbol ("$acme", "NASDAQ: ACME" -> ACME), or None."""
    text = clean(s)
    if text is None:
        return None
    text = _EXCHANGE.sub("", text).lstrip("$").upper()
    return text if _TICKER.match(text) else None


def normalise_id(s: str | None) -> str | None:
    """An opaque id (person_id, company_id): trimmed, no inner spaces."""
    text = clean(s)
    return text if text and " " not in text else None


def normalise_phone(s: str | None) -> str | None:
    """A phone hint as +digits or digits (7-15 digits), else None; never decides validity."""
    text = clean(s)
    if text is None:
        return None
    digits = re.sub(r"\D", "", text.split("ext")[0].split("x")[0])
    if not 7 <= len(digits) <= 15:
        return None
    return ("+" + digits) if text.lstrip().startswith(("+", "00")) else digits


def fold(s: str) -> str:
    """Case- and accent-insensitive form of a name, for identity keys."""
    compat = unicodedata.normalize("NFKD", s)  # first, so "𝜜" folds like "Α"
    decomposed = unicodedata.normalize("NFKD", compat.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _is_title(word: str) -> bool:
    return word.lower().strip(".,") in _TITLES


def _is_suffix(word: str) -> bool:
    return word.lower().replace(".", "").strip(",") in _SUFFIXES


def split_full_name(s: str | None) -> tuple[str, str] | None:
    """(first, last) from "Jane Doe", "Doe, Jane", "Dr. Jane van Doe Jr."; None for one word."""
    text = clean(s)
    if text is None:
        return None
    if text.count(",") == 1:
        last, first = (p.strip() for p in text.split(","))
        if last and first and not _is_suffix(first):
            text = f"{first} {last}"
    words = [w for w in text.replace(",", " ").split() if w]
    while words and _is_title(words[0]):
        words.pop(0)
    while words and _is_suffix(words[-1]):
        words.pop()
    if len(words) < 2:
        return None
    given, family = normalise_name(words[0]), normalise_name(" ".join(words[1:]))
    return (given, family) if given and family else None
