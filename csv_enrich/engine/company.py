"""Company strategy ("sync"): concurrent POST /enrichment/company under the pacer.

Each lookup is journaled (intent, then the outcome). A lookup settles inline, so there is no
workflow to poll and no list to read back: a lookup whose answer was lost cannot be checked and
is sent once more (it may cost one extra credit; the run's warnings say how many).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from csv_enrich import errors
from csv_enrich.engine.context import BALANCE_NOTE, RunContext, run_workers, skipped
from csv_enrich.models import COMPANY_PRICE, Identity, Outcome

MAX_TRIES = 3
LOST_WARNING = ("{n} company lookup(s) lost their answer and were sent again; each may have "
                "cost one extra credit")


class CompanyStrategy:
    """The company strategy (a `Strategy`): one lookup per call, on `ctx.workers` workers."""

    async def run(self, ctx: RunContext, idents: Sequence[Identity]) -> dict[str, Outcome]:
        await CompanyRunner(ctx, idents, workers=ctx.workers).run()
        return ctx.outcomes_of(idents)


class CompanyRunner:
    """Runs company lookups over `idents` on `workers` concurrent workers."""

    def __init__(self, ctx: RunContext, idents: Iterable[Identity], *, workers: int = 8) -> None:
        self.ctx = ctx
        self.queue: deque[tuple[Identity, int]] = deque()
        self.workers = max(1, workers)
        self.stop_note: str | None = None
        self.resent = 0
        items = ctx.journal.items(ctx.run_id)
        for ident in idents:
            item = items.get(ident.key)
            if item is not None and item.outcome is not None:
                ctx.outcomes[ident.key] = item.outcome
            else:  # an intent without outcome was lost in a crash: it is sent again
                lost = item is not None and item.intent_at is not None
                self.resent += lost
                self.queue.append((ident, 1 if lost else 0))

    async def run(self) -> None:
        """Look every company up; note how many were resent after a lost answer."""
        await run_workers(self._worker, self.workers)
        if self.resent:
            self.ctx.warnings.append(LOST_WARNING.format(n=self.resent))

    async def _worker(self) -> None:
        while self.queue:
            ident, tries = self.queue.popleft()
            await self._lookup(ident, tries)

    async def _lookup(self, ident: Identity, tries: int) -> None:
        ctx = self.ctx
        reason = self.stop_note or ctx.room_for(COMPANY_PRICE)
        if reason is not None:
            ctx.finish(skipped(ident, reason), journal=False)
            return
        ctx.reserve(COMPANY_PRICE)
        ctx.journal.intent(ctx.run_id, ident.key, COMPANY_PRICE)
        try:
            answer = await ctx.client.enrich_company(ident)
        except errors.ApiError as exc:
            self._failed(ident, exc, tries)
            return
        finally:
            ctx.settle(COMPANY_PRICE)
        if answer is None:
            ctx.finish(Outcome(ident.key, "not_found"))
        else:
            ctx.finish(Outcome(ident.key, "enriched", credits=answer.credits_charged,
                               data=dict(answer.data)))

    def _failed(self, ident: Identity, exc: errors.ApiError, tries: int) -> None:
        ctx = self.ctx
        lost = isinstance(exc, errors.TransportError) and exc.code != "not_sent"
        if (lost or isinstance(exc, errors.ServerError)) and tries < MAX_TRIES:
            self.resent += lost
            self.queue.append((ident, tries + 1))
            return
        ctx.journal.clear_intent(ctx.run_id, ident.key)
        if isinstance(exc, errors.AuthError):
            raise exc
        if isinstance(exc, errors.InsufficientCreditsError):
            self.stop_note = BALANCE_NOTE
            ctx.finish(skipped(ident, BALANCE_NOTE), journal=False)
        else:
            final = isinstance(exc, errors.RequestRejectedError)
            ctx.finish(Outcome(ident.key, "failed", note=exc.message), journal=final)
