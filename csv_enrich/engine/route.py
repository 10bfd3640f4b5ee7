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
from csv_enrich.engine.forecast import REMEMBER_S
from csv_enrich.engine.legacy import LegacyStrategy
from csv_enrich.engine.rows import RowsStrategy
from csv_enrich.models import Identity, Mode
from csv_enrich.plan import Route
from csv_enrich.plan_columns import IdentityFrame

STRATEGIES: Mapping[Mode, Strategy] = {
    "rows": RowsStrategy(),
    "bulk": BulkStrategy(),
    "legacy": LegacyStrategy(),
    "sync": CompanyStrategy(),
}
FALLBACK = ("CSV import is switched off for this account ({why}), so csv-enrich uses the legacy "
            "bulk endpoint (250 people a call) for {legacy:,} people with a LinkedIn URL or "
            "names + company{rest}.")
ANSWERED = "the API answered 503"
REMEMBERED = ("it answered 503 {hours} ago; csv-enrich tries it again after {ttl} hours, or at "
              "once with --mode bulk")
FALLBACK_REST = ("; {n:,} with only an email or a person id go one request each, about "
                 "{minutes} at {rate}/min")


async def run_route(ctx: RunContext, route: Route, idents: Sequence[Identity], *,
                    fresh: bool = False) -> Mode:
    """Send `idents` along `route`; returns the mode that ran (the fallback's, if it ran). A
    `fresh` run (nothing journaled before) in auto mode does not try again a strategy the
    account refused lately (for CSV import: no empty list left in the account, two requests
    saved); its fallback runs at once. A resumed run always goes on as it started. The
    identities go as columns (`IdentityFrame`): a strategy builds those it sends one by one."""
    frame = IdentityFrame.of(idents, ctx.plan.kind)
    if fresh and route.fallback is not None and (why := _refused_lately(ctx, route)):
        return await _fall_back(ctx, route.fallback, frame, why)
    try:
        await STRATEGIES[route.mode].run(ctx, frame)
    except StrategyUnavailable:
        if route.fallback is None:
            raise
        ctx.journal.note_unavailable(ctx.scope, route.mode)
        return await _fall_back(ctx, route.fallback, _not_sent(ctx, frame), ANSWERED)
    rest = unfinished(frame, ctx.outcomes)
    if len(rest) and route.rest is not None:
        await STRATEGIES[route.rest].run(ctx, rest)
    return route.mode


def unfinished(frame: IdentityFrame, done: Mapping[str, object]) -> IdentityFrame:
    """`frame.without(done)`, found by the frame's keys (the plan's own strings: no column of
    every finished key is made, ~7 MiB for 100k, when, as usual, each has finished)."""
    left = [key for key in frame.keys if key not in done]
    return frame.only(left) if left else frame.head(0)


async def _fall_back(ctx: RunContext, mode: Mode, idents: IdentityFrame, why: str) -> Mode:
    _fallback_warning(ctx, idents, why)
    ctx.journal.record_mode(ctx.run_id, mode)
    await STRATEGIES[mode].run(ctx, list(idents))
    return mode


def _refused_lately(ctx: RunContext, route: Route) -> str | None:
    """Why auto mode skips `route.mode` (the account refused it lately), or None to try it."""
    if ctx.plan.mode != "auto":
        return None
    since = ctx.journal.unavailable_since(ctx.scope, route.mode)
    if since is None or since >= REMEMBER_S:
        return None
    hours = "under an hour" if since < 3600 else f"{since // 3600:.0f} hour(s)"
    return REMEMBERED.format(hours=hours, ttl=REMEMBER_S // 3600)


def _not_sent(ctx: RunContext, idents: IdentityFrame) -> IdentityFrame:
    """After a strategy gave up (CSV import off), the identities it had not sent: those it
    skipped for the cap are weighed again by the strategy that takes over."""
    for key in idents.key_column():
        if (o := ctx.outcomes.get(key)) is not None and o.status == "skipped":
            del ctx.outcomes[key]
    return idents.without(ctx.outcomes)


def _fallback_warning(ctx: RunContext, idents: IdentityFrame, why: str) -> None:
    rest = len(idents) - idents.legacy()
    rate = ctx.client.rate_limit_per_min
    minutes = -(-rest * 2 // max(1, rate))  # a submission and a poll per row
    tail = FALLBACK_REST.format(n=rest, rate=rate, minutes="1 minute" if minutes <= 1
                                else f"{minutes:,} minutes") if rest else ""
    message = FALLBACK.format(why=why, legacy=len(idents) - rest, rest=tail)
    ctx.warnings.append(message)
    ctx.say(message)
