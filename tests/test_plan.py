"""The plan: one person is paid for once whatever identifiers each row has; cache by alias."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.journal import ResultCache, scope_of
from csv_enrich.models import Connection, EnrichOptions, Identity, Outcome
from csv_enrich.plan import ROUTES, Route, choose_route, dedupe, load, make_plan

HANNAH = (
    "Email,LinkedIn,First Name,Last Name,Company\n"
    "hannah@quillstack.com,https://www.linkedin.com/in/hannah-okafor-0266,Hannah,Okafor,Quillstack\n"
    "Hannah@Quillstack.com,,Hannah,Okafor,Quillstack\n"
    ",linkedin.com/in/Hannah-Okafor-0266/,,,\n"
    ",,Hannah,Okafor,Quillstack\n"
)


def opts(path: Path, **kw: object) -> EnrichOptions:
    """Options for a file with a key and the sandbox URL."""
    conn = {"api_key": "k1", "base_url": "http://127.0.0.1:1/api/v2"}
    conn |= {k: v for k, v in kw.items() if k in conn}
    job = {k: v for k, v in kw.items() if k not in conn}
    return EnrichOptions(input=path, connection=Connection(**conn),  # type: ignore[arg-type]
                         **job)  # type: ignore[arg-type]


def csv_file(tmp_path: Path, name: str, text: str) -> Path:
    """Write a CSV input."""
    path = tmp_path / name
    path.write_text(text)
    return path


def test_rows_sharing_an_email_or_linkedin_are_one_person(tmp_path: Path) -> None:
    """Email + LinkedIn, the email alone and the LinkedIn alone are sent once, as the row with
    the most identifiers; every such row maps to its key (QA: hannah charged twice)."""
    options = opts(csv_file(tmp_path, "h.csv", HANNAH), mode="rows")
    plan = make_plan(load(options), options)
    strong = [i for i in plan.identities if i.email or i.linkedin_url]
    assert len(strong) == 1
    (hannah,) = strong
    assert hannah.email
    assert hannah.linkedin_url
    assert plan.row_keys[:3] == (hannah.key,) * 3
    assert set(hannah.aliases) >= {"email:hannah@quillstack.com", hannah.key}


def test_cache_hits_by_any_alias_across_files(tmp_path: Path) -> None:
    """A result bought for email + LinkedIn is a cache hit for a later file with only the email
    and for one with only the LinkedIn URL (QA cacheA then cacheB / cacheC)."""
    a = opts(csv_file(tmp_path, "a.csv", "Email,LinkedIn\nmia@initech.com,"
                      "https://www.linkedin.com/in/mia-johansson-4b21a\n"))
    (mia,) = make_plan(load(a), a).identities
    with ResultCache(tmp_path) as cache:
        cache.store("person", mia.aliases, "partial",
                    Outcome(mia.key, "enriched", credits=1, data={"email": "mia@initech.com"}),
                    scope=a.connection.scope, run_id="run-a")
        for name, text in (("b.csv", "Email\nmia@initech.com\n"),
                           ("c.csv", "LinkedIn\nhttps://de.linkedin.com/in/Mia-Johansson-4b21a"
                                     "?trk=x\n")):
            later = opts(csv_file(tmp_path, name, text))
            plan = make_plan(load(later), later, cache)
            assert plan.identities == ()
            assert list(plan.cached.values())[0].note == "cached"


def test_cache_is_scoped_by_endpoint_and_key(tmp_path: Path) -> None:
    """A result bought through one base URL or key is not served for another (QA: sandbox
    results served as real data)."""
    path = csv_file(tmp_path, "b.csv", "Email\nmia@initech.com\n")
    first = opts(path)
    (mia,) = make_plan(load(first), first).identities
    with ResultCache(tmp_path) as cache:
        cache.store("person", mia.aliases, "partial",
                    Outcome(mia.key, "enriched", credits=1, data={"email": "mia@initech.com"}),
                    scope=first.connection.scope, run_id="other-run")
        assert make_plan(load(first), first, cache).identities == ()
        for other in (opts(path, api_key="k2"), opts(path, base_url="https://api.cleanlist.ai")):
            assert len(make_plan(load(other), other, cache).identities) == 1


def test_scope_never_holds_the_key() -> None:
    """The scope is a short one-way hash that differs by key and by base URL."""
    key = "clk_" + "s3cr3t" * 8
    scope = scope_of("https://api.cleanlist.ai/api/v2", key)
    assert key not in scope
    assert len(scope) == 16
    assert scope != scope_of("https://api.cleanlist.ai/api/v2", key + "x")
    assert scope != scope_of("http://127.0.0.1:8731/api/v2", key)


def test_own_run_results_are_not_cache_hits(tmp_path: Path) -> None:
    """Results stored by the same run are left to the engine (a resume reports them as paid)."""
    path = csv_file(tmp_path, "b.csv", "Email\nmia@initech.com\n")
    options = opts(path)
    plan = make_plan(load(options), options)
    with ResultCache(tmp_path) as cache:
        (mia,) = plan.identities
        cache.store("person", mia.aliases, "partial",
                    Outcome(mia.key, "enriched", credits=1, data={"email": "mia@initech.com"}),
                    scope=options.connection.scope, run_id=plan.run_id)
        assert make_plan(load(options), options, cache).identities == plan.identities


ALIASES = st.lists(st.sampled_from(["li:a", "li:b", "email:x", "email:y", "email:z", "pid:q"]),
                   min_size=1, max_size=3, unique=True)


@given(st.lists(ALIASES, min_size=1, max_size=12))
def test_dedupe_groups_every_shared_alias(groups: list[list[str]]) -> None:
    """Identities sharing any alias map to one representative, which answers to all of them."""
    idents = [Identity("person", a[0], aliases=tuple(a)) for a in groups]
    reps, keys = dedupe(idents)
    by_key = {r.key: r for r in reps}
    for ident, key in zip(idents, keys, strict=True):
        assert set(ident.aliases) <= set(by_key[key].aliases)
    for i, a in enumerate(idents):
        for j, b in enumerate(idents):
            if set(a.aliases) & set(b.aliases):
                assert keys[i] == keys[j]
    assert len({a for r in reps for a in r.aliases}) == sum(len(r.aliases) for r in reps)


def test_scope_ignores_how_the_base_url_is_spelled() -> None:
    """QA round 2: `HTTP://API.Cleanlist.ai/api/v2/` is the same API as the lower-case form."""
    key = "clapi_" + "k" * 48
    assert scope_of("HTTP://API.Cleanlist.ai/api/v2/", key) == scope_of(
        "http://api.cleanlist.ai/api/v2", key)
    assert scope_of("http://api.cleanlist.ai/api/V2", key) != scope_of(
        "http://api.cleanlist.ai/api/v2", key)


def test_the_plan_carries_the_cap_and_the_mode_asked(tmp_path: Path) -> None:
    """--max-credits reaches the engine through the plan only; the mode asked is kept as asked
    (for a company file too) and the route says what runs."""
    path = csv_file(tmp_path, "co.csv", "Domain\nacme.io\ninitech.com\n")
    options = opts(path, mode="bulk", max_credits=9)
    plan = make_plan(load(options), options)
    assert (plan.kind, plan.mode, plan.max_credits) == ("company", "bulk", 9)
    assert choose_route(plan).mode == "sync"


def test_the_route_is_chosen_in_one_place(tmp_path: Path) -> None:
    """Auto picks rows below the threshold and bulk from it; bulk hands the rest to rows and
    falls back to the legacy endpoint; a resumed run goes on in the mode it started in, saying
    so; a company file runs sync, saying so when another mode was asked."""
    people = [Identity("person", f"email:p{n}@x.io", email=f"p{n}@x.io") for n in range(5)]
    path = csv_file(tmp_path, "p.csv", "Email\n" + "\n".join(i.email or "" for i in people))
    options = opts(path)
    plan = make_plan(load(options), options)
    assert choose_route(plan) == ROUTES["bulk"] == Route("bulk", rest="rows", fallback="legacy")
    assert choose_route(plan, auto_bulk_min=6) == ROUTES["rows"] == Route("rows")
    assert choose_route(plan, started="bulk") == ROUTES["bulk"]
    resumed = choose_route(plan, started="rows")
    assert resumed.mode == "rows"
    assert resumed.warnings == ("--mode bulk was not used: this run started in rows mode and "
                                "goes on in it, so nobody it already sent is paid for again.",)
    company = opts(csv_file(tmp_path, "c.csv", "Domain\nacme.io\n"), mode="rows")
    route = choose_route(make_plan(load(company), company), started="bulk")
    assert route.mode == "sync"
    assert route.warnings == ("--mode rows applies to people; a company file is looked up one "
                              "company per call (sync)",)


def test_limit_counts_leads_and_keeps_the_rest_as_not_sent(tmp_path: Path) -> None:
    """Regression: --limit dropped the rows past it. The first N rows of leads are planned
    (blank lines among them do not count); the rest stay in the plan as not sent, neither
    valid nor invalid, never sent; an invalid row past the limit is not validated."""
    from csv_enrich.models import NotData, NotSent

    path = csv_file(tmp_path, "l.csv", "Email,Name\na@x.io,A\n\nnot-an-email,B\nc@x.io,C\n"
                                       "d@x.io,D\nbad,E\n")
    plan = make_plan(load(opts(path, limit=2)), opts(path, limit=2))
    assert [type(k).__name__ for k in plan.row_keys] == [
        "str", "NotData", "Invalid", "NotSent", "NotSent", "NotSent"]
    assert isinstance(plan.row_keys[1], NotData)
    assert isinstance(plan.row_keys[3], NotSent)
    assert plan.row_keys[3].reason == (
        "not sent: past --limit 2 (only the first 2 rows are enriched)")
    assert (plan.total, plan.valid_count, plan.invalid_count, plan.not_sent_count) == (5, 1, 1, 3)
    assert [i.key for i in plan.identities] == ["email:a@x.io"]
