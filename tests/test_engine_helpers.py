"""Helpers for the engine tests: plans built by hand, a client and journal on a real sandbox."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from csv_enrich.api.client import CleanlistClient, default_burst, make_http_client
from csv_enrich.api.pacer import Pacer
from csv_enrich.engine.run import Tuning
from csv_enrich.journal import Journal, ResultCache
from csv_enrich.models import (
    EnrichmentType,
    Identity,
    Kind,
    Plan,
    price,
)

FAST = Tuning(first_poll_s=0.01, min_poll_s=0.005, max_poll_s=0.2, lost_answer_wait_s=0.3,
              bulk_first_poll_s=0.02, auto_bulk_min=5)


def person(n: int) -> Identity:
    """A distinct person identified by n: LinkedIn, email or name + domain in turn."""
    if n % 3 == 0:
        slug = f"person-{n}"
        return Identity("person", f"li:{slug}", linkedin_url=f"https://www.linkedin.com/in/{slug}")
    if n % 3 == 1:
        email = f"p{n}@firm{n % 7}.io"
        return Identity("person", f"email:{email}", email=email)
    first, last, dom = f"ann{n}", f"lee{n}", f"corp{n % 5}.com"
    return Identity("person", f"name:{first}|{last}|{dom}", first_name=first.title(),
                    last_name=last.title(), domain=dom)


def company(n: int) -> Identity:
    """A distinct company by domain."""
    return Identity("company", f"domain:co{n}.com", domain=f"co{n}.com")


def make_plan(idents: Sequence[Identity], *, kind: Kind = "person",
              etype: EnrichmentType = "partial", mode: str = "rows",
              run_id: str = "run-test", max_credits: int | None = None) -> Plan:
    """A Plan over `idents` (no duplicates, no cache hits)."""
    return Plan(kind=kind, enrichment_type=etype, mode=mode,  # type: ignore[arg-type]
                row_keys=tuple(i.key for i in idents), identities=tuple(idents), cached={},
                duplicates=0, estimated_max=price(kind, etype) * len(idents), run_id=run_id,
                max_credits=max_credits)


@dataclass
class Rig:
    """Everything run_plan needs, on a real sandbox."""

    client: CleanlistClient
    journal: Journal
    cache: ResultCache


@asynccontextmanager
async def rig(base_url: str, api_key: str, state_dir: Path, *, rate: int = 600_000,
              http: httpx.AsyncClient | None = None, limit: int | None = None,
              ) -> AsyncIterator[Rig]:
    """A client (instant retries: see conftest) pacing at `rate` with a journal and cache in
    `state_dir`; `limit` is the rate limit it is configured with (what messages quote), `rate`
    if None."""
    session = http or make_http_client(max_connections=8)
    client = CleanlistClient(session, api_key=api_key, base_url=base_url,
                             rate_limit_per_min=limit or rate,
                             pacer=Pacer(rate, burst=default_burst(rate)))
    with Journal(state_dir) as journal, ResultCache(state_dir) as cache:
        try:
            yield Rig(client, journal, cache)
        finally:
            await session.aclose()


def charges_by_identity(ledger: dict[str, Any]) -> Counter[str]:
    """How many charges of more than 0 credits each sandbox identity got."""
    return Counter(c["identity"] for c in ledger["charges"] if c["credits"] > 0)


class LoseAnswers(httpx.AsyncBaseTransport):
    """A real transport that, for matching requests, lets the server do the work and then drops
    the answer (raises ReadError) the first `times` times: a lost answer at the edge."""

    def __init__(self, path_suffix: str, times: int = 1) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.path_suffix = path_suffix
        self.left = times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.left > 0 and request.url.path.endswith(self.path_suffix):
            self.left -= 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("answer lost after the work was done", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
