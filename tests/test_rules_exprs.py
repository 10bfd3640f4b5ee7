"""Each polars pattern of rules.exprs gives exactly what its Python normaliser gives, wherever it
says it could read the value; and resolve gives exactly the Python chain for every value."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csv_enrich.rules import exprs
from csv_enrich.rules.derived import Derived, Norm, raw, resolve
from csv_enrich.rules.normalise import PLATFORMS

# Forms near the edges of the patterns: case, schemes, Unicode letters that case-fold to ASCII
# (the long s, the Kelvin sign), Google Maps links, www. twice, long local parts, titles.
EDGES = [
    "Jane@ACME.IO", "JANE.DOE@Sub.Acme.Co.Uk", "a" * 64 + "@acme.io", "a" * 65 + "@acme.io",
    "jane@acme.io@x.io", "jane@\u212aacme.io", "jo\u017fe@acme.io", "x@" + "a" * 250 + ".io",
    "HTTPS://WWW.ACME.IO/", "http\u017f://www.acme.io", "https://acme.io?x=1", "acme.io#top",
    "https://example.com/google.com/maps", "https://www.google.com/maps/place/x",
    "maps.app.goo.gl", "maps.app.goo.gl.evil.com", "https://maps.app.goo.gl/abc", "goodyear.com",
    "www.www.acme.io", "WWW.acme.io", "www.acme.io.", "acme.io..", "sub.linkedin.com",
    "https://uk.linkedin.com/in/jane", "https://www.lin\u212aedin.com/in/jane-doe",
    "http\u017f://www.linkedin.com/in/jane-doe", "HTTPS://WWW.LINKEDIN.COM/IN/Jane-Doe/",
    "linkedin.com/in/ACoAAbcdefgh", "linkedin.com/in/acoaabcdefgh", "linkedin.com/in/unknown/",
    "linkedin.com/in/in/x", "https://www.linkedin.com/in/jane//",
    "Dr Jane Doe", "Mr. Jane Doe", "Jane Doe JR", "M Smith", "Jane Doe Iii", "Sr Jane Doe",
    "Jane  Doe", "Jane Doe-Smith", "O'Neil Jane", "jane doe",
    "+1 (415) 555-0123", "00 44 20 7946 0958", "415\\555\\0123", "12.345.678", "+123456",
    "(0) 1234 5678 9012 345", " +14155550123", "AC", "$ACME", "brk.b", "A" * 11,
]  # fmt: skip
_text = st.sampled_from(EDGES) | st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30
) | st.text(alphabet=st.sampled_from("aA.:/@-_ wW\u017f\u212a0+()"), max_size=20)

NORMS = {
    name: norm for name, norm in vars(exprs).items()
    if isinstance(norm, Norm) and name.isupper()
}  # fmt: skip


def _fast(norm: Norm, values: list[str | None]) -> pl.DataFrame:
    v = pl.col("v")
    parsed = [norm.parse(v)] if norm.parse else []
    ok, value = norm.fast(v, *parsed)
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(ok=ok.fill_null(False), value=value.cast(pl.String))


@pytest.mark.parametrize("name", sorted(NORMS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.none() | _text, min_size=1, max_size=12))
def test_each_pattern_gives_what_its_normaliser_gives(name: str, values: list[str | None]) -> None:
    """Where the pattern says it read a value, its value is the Python normaliser's."""
    norm = NORMS[name]
    fast = _fast(norm, values)
    for text, ok, value in zip(values, fast["ok"], fast["value"], strict=True):
        if ok:
            assert value == norm.slow(text), (name, text)
        if text is None:
            assert not ok or value is None, (name, text)


def test_every_edge_value_is_read_as_python_reads_it() -> None:
    """The edge values, and every platform's own domain, through every norm."""
    values: list[str | None] = [*EDGES, *PLATFORMS, *(f"https://www.{p}/x" for p in PLATFORMS)]
    for name, norm in NORMS.items():
        fast = _fast(norm, values)
        for text, ok, value in zip(values, fast["ok"], fast["value"], strict=True):
            assert not ok or value == norm.slow(text), (name, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.none() | _text, min_size=1, max_size=12))
def test_resolve_gives_the_python_chain(values: list[str | None]) -> None:
    """Chains of norms (as validate_frame uses them), fast or slow, equal the Python chain."""
    chains: dict[str, Derived] = {
        "work": raw("v").then(exprs.EMAIL).then(exprs.AFTER_AT).then(exprs.BARE_DOMAIN)
        .then(exprs.NOT_FREE).then(exprs.BARE_COMPANY_DOMAIN),
        "site2": raw("v").then(exprs.COMPANY_DOMAIN).then(exprs.BARE_COMPANY_DOMAIN),
        "given": raw("v").then(exprs.GIVEN).then(exprs.NAME).then(exprs.FOLD),
        "li": raw("v").then(exprs.LINKEDIN), "slug": raw("v").then(exprs.LINKEDIN_KEY),
        "site": raw("v").then(exprs.PLATFORM), "plain": raw("v"),
    }  # fmt: skip
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    query, _ = resolve(frame, chains)
    done = query.select(*chains).collect()
    for name, derived in chains.items():
        expected = [None if v is None else derived.slow(v) for v in values]
        assert done[name].to_list() == expected, name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(st.none() | _text | st.sampled_from(
    [*PLATFORMS, *(f"HTTPS://WWW.{p.upper()}/x" for p in PLATFORMS), "\uff46acebook.com",
     "face\u200bbook.com", "microsoft.com", "fedex.com"]), min_size=0, max_size=10))
def test_platform_sites_are_platform_of(values: list[str | None]) -> None:
    """The platforms a column holds, found among the cells that may be one, are those
    platform_of finds among all its cells."""
    from csv_enrich.rules.columns import platform_sites
    from csv_enrich.rules.normalise import platform_of

    sites = [platform_of(v) for v in values if v is not None]
    expected = ({s for s in sites if s}, bool(sites) and all(sites))
    assert platform_sites(pl.Series("c", values, dtype=pl.String)) == expected


def _phone_digits_before(v: pl.Expr) -> pl.Expr:
    """The phone's digits as exprs._phone took them before one regex pass replaced a literal
    replace_all per mark (kept as the reference)."""
    digits = v
    for mark in "+ ().-/":
        digits = digits.str.replace_all(mark, "", literal=True)
    return digits


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.none() | _text | st.text(alphabet=st.sampled_from("+ ().-/\\0123x"),
                                                   max_size=20), min_size=1, max_size=20))
def test_the_phone_pattern_takes_the_marks_out_as_before(values: list[str | None]) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    v = pl.col("v")
    before = _phone_digits_before(v)
    trimmed = v.str.strip_chars(" ")
    plus = trimmed.str.starts_with("+") | trimmed.str.starts_with("00")
    reference = pl.when(before.str.len_bytes().is_between(7, 15)).then(
        pl.when(plus).then("+" + before).otherwise(before))
    ok, value = exprs._phone(v)
    got = frame.select(ok=ok, value=value, reference=reference,
                       contains=v.str.contains(exprs._PHONE))
    assert got["value"].to_list() == got["reference"].to_list()
    assert got["ok"].to_list() == got["contains"].to_list()


def _host_before(v: pl.Expr) -> pl.Expr:
    """exprs._host as it was before the path was cut off by one regex replace: a head of the
    text up to a find of the path (kept as the reference)."""
    low = v.str.to_lowercase()
    rest = low.str.strip_prefix("https://").str.strip_prefix("http://")
    end = rest.str.find(r"[/?#]").fill_null(rest.str.len_bytes())
    return rest.str.head(end).str.strip_chars_end(".").str.strip_prefix("www.")


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.none() | _text | st.text(alphabet=st.sampled_from("hHtTpPsS:/?#.wWé\n"),
                                                   max_size=24), min_size=1, max_size=20))
def test_a_websites_host_is_what_it_was(values: list[str | None]) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    got = frame.select(new=exprs._host(pl.col("v")), old=_host_before(pl.col("v")))
    assert got["new"].to_list() == got["old"].to_list()
