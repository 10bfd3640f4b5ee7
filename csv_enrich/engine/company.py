"""Company strategy ("sync"): concurrent POST /enrichment/company under the pacer, each lookup
under its own single-use quote.

    POST /credits/estimate (tool enrich_company, free) -> journal the intent with the quote
    -> POST /enrichment/company with the quote -> journal the outcome

A lookup settles inline (1 credit, refunded when not found) and the API keeps no copy of its
answer, so an answer lost in transport cannot be read back. It is sent again with the SAME quote
(right away: quotes live 5 minutes), and the answer to that tells what happened:

* the first call never ran: the resend is the one charge, and the row gets its data;
* it ran: the API refuses the used quote (409, or a 400 other than expired): the row shows the
  1 credit with a note and no data, and is never sent again automatically;
* the quote expired first: nobody can tell whether it ran (not counted, shown, not resent).

A crash, kill -9 or Ctrl-C between the intent and the answer leaves the intent and its quote in
the journal; the next run does the same with them before anything else. When the API does not
take quotes for company lookups (the estimate refuses the tool, or the lookup the quote: nothing
charged either way), lookups go without one for that API and key, remembered for a day like a
CSV import's 503, with a warning: a lost answer is then sent again and may be charged twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from csv_enrich import errors
from csv_enrich.api.client import CompanyAnswer
from csv_enrich.engine.context import BALANCE_NOTE, RunContext, run_workers, skipped
from csv_enrich.engine.forecast import COMPANY_QUOTES, QUOTES_OFF_S, duration
from csv_enrich.models import COMPANY_PRICE, Identity, Outcome

MAX_TRIES = 3  # sends of a lookup without a quote (after a 5xx or a lost answer)
RESEND_TRIES = 6  # sends of a quoted lookup whose answer is lost, before the run stops
QUOTE_TRIES = 3  # fresh quotes for one lookup when one expired unused
QUOTES = COMPANY_QUOTES  # what the journal remembers an account refused (note_unavailable)
QUOTE_NAME = "company_quote:{key}"  # the run-level journal fact holding a lookup's quote

LOST_WARNING = ("{n} company lookup(s) lost their answer and were sent again; each may have "
                "cost one extra credit")
LOST_PAID = ("paid, but the answer was lost in transport; the API keeps no copy, so it is not "
             "bought again by itself (once this run has finished, running the file again buys "
             "it)")
MAYBE_PAID = ("the answer was lost in transport and its quote could not be checked (expired or "
              "refused): it may have cost 1 credit, not counted here; not bought again by itself "
              "(once this run has finished, running the file again buys it)")
PAID_WARNING = ("{n} company lookup(s) were charged 1 credit each but their answer was lost in "
                "transport (their single-use quote proved the call ran); the API keeps no copy, "
                "so those rows show the credit and no data. A company not found is refunded: "
                "if one of them was not found, this report counts its credit although the API "
                "refunded it")
MAYBE_WARNING = ("{n} company lookup(s) lost their answer and could not be checked (the quote "
                 "expired or was refused): each may have cost 1 credit that this report does not "
                 "count; they were not sent again")
QUOTES_OFF = ("The API does not take quotes for company lookups ({why}), so csv-enrich looks "
              "companies up without one for this API and key (for 24 hours): a lookup whose "
              "answer is lost in transport is then sent again and may be charged twice")
REFUSED_ESTIMATE = "POST /credits/estimate answered {status} for tool enrich_company"
REFUSED_LOOKUP = "a lookup refused its quote: {code}"
REFUSED_LATELY = "it refused them {when} ago"
NO_ANSWER = ("The API did not answer a company lookup after {n} tries. Run the same command "
             "again later: it resumes and checks that lookup with its single-use quote, without "
             "paying twice.")
FORECAST = ("{n:,} company lookup(s) at {per} request(s) each ({why}): {time} at "
            "{rate}/min")
FRESH, BARE, PROBE = "fresh", "bare", "probe"  # what to do after a quoted send (see _quoted)
ENDED = ""  # _quote: the lookup ended without a quote (its outcome is recorded)


@dataclass(frozen=True)
class _Job:
    """One lookup to do: `quote` is a journaled quote whose call may have run (resend it)."""

    ident: Identity
    quote: str | None = None
    resend: bool = False  # a lost answer without a quote: sent again (the old way)


class CompanyStrategy:
    """The company strategy (a `Strategy`): one lookup per call, on `ctx.workers` workers."""

    async def run(self, ctx: RunContext, idents: Sequence[Identity]) -> dict[str, Outcome]:
        await CompanyRunner(ctx, idents, workers=ctx.workers).run()
        return ctx.outcomes_of(idents)


def quotes_refused_since(ctx: RunContext) -> float | None:
    """Seconds since this API and key last refused quotes for company lookups, if lately."""
    since = ctx.journal.unavailable_since(ctx.scope, QUOTES)
    return since if since is not None and since < QUOTES_OFF_S else None


class CompanyRunner:
    """Runs company lookups over `idents` on `workers` concurrent workers."""

    def __init__(self, ctx: RunContext, idents: Iterable[Identity], *, workers: int = 8) -> None:
        self.ctx = ctx
        self.queue: deque[_Job] = deque()
        self.workers = max(1, workers)
        self.stop_note: str | None = None
        self.counts: Counter[str] = Counter()  # resent, paid, maybe, bare
        self.off_why: str | None = None
        self.queue_size = 0
        self.first_quote = asyncio.Lock()  # the first estimate goes alone (the API may refuse)
        self.quotes_proven = False
        if (since := quotes_refused_since(ctx)) is not None:
            self.off_why = REFUSED_LATELY.format(when=_ago(since))
        items = ctx.journal.items(ctx.run_id)
        for ident in idents:
            item = items.get(ident.key)
            if item is not None and item.outcome is not None:
                ctx.outcomes[ident.key] = item.outcome
            elif item is not None and item.intent_at is not None:  # its answer was lost
                quote = ctx.journal.get(ctx.run_id, QUOTE_NAME.format(key=ident.key))
                self.queue.appendleft(_Job(ident, quote, resend=quote is None))
            else:
                self.queue.append(_Job(ident))

    @property
    def quotes(self) -> bool:
        """True while lookups go with a quote."""
        return self.off_why is None

    async def run(self) -> None:
        """Look every company up; the warnings say what was lost, paid or resent."""
        self._forecast()
        await run_workers(self._worker, self.workers)
        if self.queue_size:
            self.ctx.say("")
        warn = self.ctx.warnings.append
        if self.counts["bare"] and self.off_why is not None:
            warn(QUOTES_OFF.format(why=self.off_why))
        for name, text in (("resent", LOST_WARNING), ("paid", PAID_WARNING),
                           ("maybe", MAYBE_WARNING)):
            if self.counts[name]:
                warn(text.format(n=self.counts[name]))

    def _forecast(self) -> None:
        """Say on the progress line how many requests the lookups take, and how long."""
        self.queue_size = len(self.queue)
        if not self.queue_size:
            return
        per = 2 if self.quotes else 1
        why = "a quote and the lookup" if self.quotes else "no quotes: the API refused them"
        rate = self.ctx.client.rate_limit_per_min
        self.ctx.say(FORECAST.format(n=self.queue_size, per=per, why=why, rate=rate,
                                     time=duration(self.queue_size * per / max(1, rate))))

    async def _worker(self) -> None:
        while self.queue:
            await self._one(self.queue.popleft())

    async def _one(self, job: _Job) -> None:
        ctx = self.ctx
        # a journaled quote was committed under the cap when it was first sent: resend it anyway
        reason = None if job.quote else self.stop_note or ctx.room_for(COMPANY_PRICE)
        if reason is not None:
            ctx.finish(skipped(job.ident, reason), journal=False)
            return
        ctx.reserve(COMPANY_PRICE)
        try:
            if job.quote is not None:
                await self._quoted(job.ident, job.quote, lost=True)
            else:
                self.counts["resent"] += job.resend
                await self._fresh(job.ident)
        finally:
            ctx.settle(COMPANY_PRICE)

    async def _fresh(self, ident: Identity) -> None:
        """Quote (while the API takes quotes), journal the intent with it, look up."""
        for _ in range(QUOTE_TRIES):
            quote = await self._quote(ident) if self.quotes else None
            if quote == ENDED:
                return
            if quote is None:
                await self._bare(ident)
                return
            self._intent(ident, quote)
            then = await self._quoted(ident, quote, lost=False)
            if then == BARE:
                await self._bare(ident)
            elif then == PROBE and await self._bare(ident):
                self._quotes_off(REFUSED_LOOKUP.format(code="400 validation error"))
            if then != FRESH:
                return
        self._forget(ident)
        ctx = self.ctx
        ctx.finish(Outcome(ident.key, "failed", note="its quotes kept expiring before the "
                           "lookup could go; run the same command again"), journal=False)

    async def _quote(self, ident: Identity) -> str | None:
        """A fresh quote's id; None to go without (the API refused the tool); ENDED when the
        lookup ended here (no answer to the estimate, or the balance does not cover it). Until
        the API gave one quote, one estimate goes at a time (a refusal costs one request)."""
        if self.quotes_proven:
            return await self._estimate(ident)
        async with self.first_quote:
            if not self.quotes:
                return None
            quote = await self._estimate(ident)
            self.quotes_proven = quote is not None and quote != ENDED
            return quote

    async def _estimate(self, ident: Identity) -> str | None:
        ctx = self.ctx
        try:
            quote = await ctx.client.estimate_company()
        except (errors.AuthError, errors.RequestRejectedError) as exc:
            if exc.status == 401:
                raise
            self._quotes_off(REFUSED_ESTIMATE.format(status=exc.status))
            return None
        except errors.ApiError as exc:  # nothing paid was sent: a later run looks it up
            ctx.finish(Outcome(ident.key, "failed", note=exc.message), journal=False)
            return ENDED
        if not quote.sufficient:
            self._no_balance(ident)
            return ENDED
        return quote.quote_id

    async def _quoted(self, ident: Identity, quote: str, *, lost: bool) -> str | None:
        """Send the lookup with `quote` until it ends here (None). `lost`: a call with this
        quote may already have run. Else FRESH (the quote expired unused: get another), BARE
        (the API refused it as not its own, nothing charged: go without) or PROBE (a 400 that
        may be about the quote: try once without)."""
        for attempt in range(1, RESEND_TRIES + 1):
            try:
                answer = await self.ctx.client.enrich_company(ident, quote_id=quote)
            except errors.QuoteError as exc:
                return self._refused(ident, exc, lost=lost)
            except (errors.ServerError, errors.TransportError, errors.RateLimitedError) as exc:
                lost = lost or _may_have_run(exc)
                await asyncio.sleep(self.ctx.tuning.min_poll_s * attempt)
                continue
            except errors.ApiError as exc:
                return self._rejected(ident, exc, lost=lost)
            self._answered(ident, answer)
            return None
        if lost:
            raise errors.ServerError(NO_ANSWER.format(n=RESEND_TRIES))
        self._forget(ident)
        self.ctx.finish(Outcome(ident.key, "failed", note="the API could not be reached; run "
                                "the same command again"), journal=False)
        return None

    def _refused(self, ident: Identity, exc: errors.QuoteError, *, lost: bool) -> str | None:
        """The lookup refused its quote: what that says about a call that may have run."""
        expired = exc.code in ("quote_expired", "stale_quote")
        if lost or exc.code == "quote_already_used" or exc.status == 409:
            self._ended(ident, MAYBE_PAID if expired else LOST_PAID, 0 if expired else 1)
            return None
        if expired:
            return FRESH
        if exc.code == "spend_cap_exceeded":
            self._ended(ident, exc.message, 0, count=False)
            return None
        self._quotes_off(REFUSED_LOOKUP.format(code=exc.code or exc.status))
        return BARE

    def _rejected(self, ident: Identity, exc: errors.ApiError, *, lost: bool) -> str | None:
        """The quoted lookup was refused otherwise (balance, auth, a 400): nothing charged,
        unless a call with the quote may have run before."""
        if isinstance(exc, errors.AuthError):
            if not lost:
                self._forget(ident)
            raise exc
        if lost:
            self._ended(ident, MAYBE_PAID, 0)
            return None
        if isinstance(exc, errors.RequestRejectedError):
            self._forget(ident)
            return PROBE
        self._failed(ident, exc)
        return None

    async def _bare(self, ident: Identity) -> bool:
        """Look up without a quote (a lost answer is sent again, and counted); True when the
        API took the lookup (found or not)."""
        ctx = self.ctx
        self.counts["bare"] += 1
        self._intent(ident, None)
        for tries in range(1, MAX_TRIES + 1):
            try:
                answer = await ctx.client.enrich_company(ident)
            except (errors.ServerError, errors.TransportError) as exc:
                lost = isinstance(exc, errors.TransportError) and exc.code != "not_sent"
                if (lost or isinstance(exc, errors.ServerError)) and tries < MAX_TRIES:
                    self.counts["resent"] += lost
                    continue
                self._failed(ident, exc)
                return False
            except errors.ApiError as exc:
                self._failed(ident, exc)
                return False
            self._answered(ident, answer)
            return True
        return False  # pragma: no cover - the loop always returns

    def _failed(self, ident: Identity, exc: errors.ApiError) -> None:
        ctx = self.ctx
        self._forget(ident)
        if isinstance(exc, errors.AuthError):
            raise exc
        if isinstance(exc, errors.InsufficientCreditsError):
            self._no_balance(ident)
        else:
            final = isinstance(exc, errors.RequestRejectedError)
            ctx.finish(Outcome(ident.key, "failed", note=exc.message), journal=final)

    def _answered(self, ident: Identity, answer: CompanyAnswer | None) -> None:
        ctx = self.ctx
        if answer is None:
            ctx.finish(Outcome(ident.key, "not_found"))
        else:
            ctx.finish(Outcome(ident.key, "enriched", credits=answer.credits_charged,
                               data=dict(answer.data)))
        ctx.journal.forget(ctx.run_id, QUOTE_NAME.format(key=ident.key))

    def _ended(self, ident: Identity, note: str, credits: int, *, count: bool = True) -> None:
        """A quoted lookup ended without an answer to show: paid (1) or maybe paid (0), each
        `count`ed for the warnings; journaled, never sent again in this run."""
        if count:
            self.counts["paid" if credits else "maybe"] += 1
        ctx = self.ctx
        ctx.finish(Outcome(ident.key, "failed", note=note, credits=credits), cache=False)
        ctx.journal.forget(ctx.run_id, QUOTE_NAME.format(key=ident.key))

    def _no_balance(self, ident: Identity) -> None:
        self.stop_note = BALANCE_NOTE
        self.ctx.finish(skipped(ident, BALANCE_NOTE), journal=False)

    def _intent(self, ident: Identity, quote: str | None) -> None:
        """Journal the lookup about to go, with its quote (the quote first: an intent is never
        without the quote it went with)."""
        journal, run_id = self.ctx.journal, self.ctx.run_id
        name = QUOTE_NAME.format(key=ident.key)
        if quote is None:
            journal.forget(run_id, name)
        else:
            journal.set(run_id, name, quote)
        journal.intent(run_id, ident.key, COMPANY_PRICE)

    def _forget(self, ident: Identity) -> None:
        """The lookup is known not to have run: drop its intent and quote."""
        journal, run_id = self.ctx.journal, self.ctx.run_id
        journal.clear_intent(run_id, ident.key)
        journal.forget(run_id, QUOTE_NAME.format(key=ident.key))

    def _quotes_off(self, why: str) -> None:
        """The API refused quotes for company lookups: go without, for this API and key."""
        if self.off_why is None:
            self.off_why = why
            self.ctx.journal.note_unavailable(self.ctx.scope, QUOTES)


def _may_have_run(exc: errors.ApiError) -> bool:
    """True when a paid call that failed this way may have been carried out."""
    if isinstance(exc, errors.TransportError):
        return exc.code != "not_sent"
    return isinstance(exc, errors.ServerError)


def _ago(seconds: float) -> str:
    return "under an hour" if seconds < 3600 else f"{seconds // 3600:.0f} hour(s)"
