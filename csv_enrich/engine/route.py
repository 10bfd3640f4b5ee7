"""Drive a route (`plan.choose_route` decides it) through the strategies that implement it.

    strategy = STRATEGIES[route.mode]      rows, bulk, legacy bulk or company lookups
    unavailable at the API -> route.fallback runs instead over what was not sent, with a warning
    what it left without an outcome -> route.rest

A new strategy is one more entry in STRATEGIES (and in plan.ROUTES, models.Mode).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from csv_enrich.engine.bulk import BulkStrategy
from csv_enrich.engine.company import CompanyStrategy
from csv_enrich.engine.context import RunContext, Strategy, StrategyUnavailable
from csv_enrich.engine.legacy import LegacyStrategy, takes
from csv_enrich.engine.rows import RowsStrategy
from csv_enrich.models import Identity, Mode
from csv_enrich.plan import Route

STRATEGIES: Mapping[Mode, Strategy] = {
    "rows": RowsStrategy(),
    "bulk": BulkStrategy(),
    "legacy": LegacyStrategy(),
    "sync": CompanyStrategy(),
}
FALLBACK = ("CSV import is switched off for this account (the API answered 503), so csv-enrich "
            "uses the legacy bulk endpoint (250 people a call) for {legacy:,} people with a "
            "LinkedIn URL or names + company{rest}.")
FALLBACK_REST = ("; {n:,} with only an email or a person id go one request each, about "
                 "{minutes} at {rate}/min")


async def run_route(ctx: RunContext, route: Route, idents: Sequence[Identity]) -> Mode:
    """Send `idents` along `route`; returns the mode that ran (the fallback's, if it ran)."""
    try:
        await STRATEGIES[route.mode].run(ctx, idents)
    except StrategyUnavailable:
        if route.fallback is None:
            raise
        rest = _not_sent(ctx, idents)
        _fallback_warning(ctx, rest)
        ctx.journal.record_mode(ctx.run_id, route.fallback)
        await STRATEGIES[route.fallback].run(ctx, rest)
        return route.fallback
    rest = [i for i in idents if i.key not in ctx.outcomes]
    if rest and route.rest is not None:
        await STRATEGIES[route.rest].run(ctx, rest)
    return route.mode


def _not_sent(ctx: RunContext, idents: Sequence[Identity]) -> list[Identity]:
    """After a strategy gave up (CSV import off), the identities it had not sent: those it
    skipped for the cap are weighed again by the strategy that takes over."""
    for ident in idents:
        if (o := ctx.outcomes.get(ident.key)) is not None and o.status == "skipped":
            del ctx.outcomes[ident.key]
    return [i for i in idents if i.key not in ctx.outcomes]


def _fallback_warning(ctx: RunContext, idents: list[Identity]) -> None:
    rest = len(idents) - len(takes(idents))
    rate = ctx.client.rate_limit_per_min
    minutes = -(-rest * 2 // max(1, rate))  # a submission and a poll per row
    tail = FALLBACK_REST.format(n=rest, rate=rate, minutes="1 minute" if minutes <= 1
                                else f"{minutes:,} minutes") if rest else ""
    message = FALLBACK.format(legacy=len(idents) - rest, rest=tail)
    ctx.warnings.append(message)
    ctx.say(message)
