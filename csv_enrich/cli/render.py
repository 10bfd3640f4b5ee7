"""Text and JSON views of an estimate (what csv-enrich understood before it spends anything)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from csv_enrich.engine.forecast import (
    QUOTES_OFF_S,
    REMEMBER_S,
    Path,
    duration,
    paths,
    total_requests,
)
from csv_enrich.models import Mode, Plan, is_invalid, price
from csv_enrich.plan import choose_route

if TYPE_CHECKING:
    from csv_enrich.runner_estimate import Estimate

SHOW_INVALID = 10


def invalid_rows(est: Estimate) -> list[dict[str, Any]]:
    """Every invalid row: its 1-based data row number and the reason."""
    if not est.plan.invalid_count:
        return []
    return [
        {"row": i + 1, "reason": key.reason}
        for i, key in enumerate(est.plan.row_keys)
        if is_invalid(key)
    ]


def estimate_dict(est: Estimate, *, rate: int = 30) -> dict[str, Any]:
    """The `estimate --json` document (keys fixed by the reading issue)."""
    plan, table, columns = est.plan, est.loaded.table, est.loaded.columns
    return {
        "kind": plan.kind,
        "enrichment_type": plan.enrichment_type,
        "mode": choose_route(plan).mode,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "mapping": dict(columns.fields),
        "columns_in_order": {f: list(columns.order(f)) for f in columns.fields},
        "ignored": list(columns.ignored),
        "rows": {
            "total": plan.total,
            "valid": plan.valid_count,
            "invalid": plan.invalid_count,
            "duplicate": plan.duplicates,
            "cached": _cached_rows(est),
            "not_data": plan.not_data_count,
            "past_limit": plan.not_sent_count,
        },
        "invalid_rows": invalid_rows(est),
        "credits": {"estimated_max": plan.estimated_max},
        "in_hand": len(plan.in_hand),
        "resend": len(plan.resend),
        "types": plan.type_mix(),
        "paths": _paths_dict(est, rate),
    }


def _chosen(est: Estimate) -> tuple[Mode, bool]:
    """The mode a run would take now, and whether it is legacy because the account's CSV
    import answered 503 lately (auto mode remembers it for a while)."""
    plan = est.plan
    mode = choose_route(plan).mode
    off = est.csv_import_off_s
    if mode == "bulk" and plan.mode == "auto" and off is not None and off < REMEMBER_S:
        return "legacy", True
    return mode, False


def _quotes(est: Estimate) -> bool:
    """Whether company lookups go with a quote each (not when the API refused them lately)."""
    off = est.company_quotes_off_s
    return off is None or off >= QUOTES_OFF_S


def _paths_dict(est: Estimate, rate: int) -> dict[str, Any]:
    """Which path each group takes and how long, as planned and (auto mode) without CSV
    import."""
    plan = est.plan

    def groups(mode: Mode) -> list[dict[str, Any]]:
        return [{"strategy": g.strategy, "people": g.people, "why": g.why,
                 "requests": g.requests, "minutes": round(g.minutes(rate), 1)}
                for g in paths(plan.identities, mode, quotes=_quotes(est))]

    chosen, remembered = _chosen(est)
    out: dict[str, Any] = {"rate_limit_per_min": rate, "planned": groups(chosen),
                           "csv_import_off_lately": remembered}
    if chosen == "bulk" and plan.mode == "auto":
        out["if_csv_import_is_off"] = groups("legacy")
    return out


def _cached_rows(est: Estimate) -> int:
    cached = est.plan.cached
    return sum(1 for k in est.plan.row_keys if k in cached) if cached else 0


def estimate_lines(est: Estimate, *, rate: int = 30) -> list[str]:
    """What a person reads before spending: the mapping, the counts, bad rows, the cost."""
    plan, table, columns = est.plan, est.loaded.table, est.loaded.columns
    where = f"{table.path.name}" + (f", sheet {table.sheet!r}" if table.sheet else "")
    total = plan.total
    what = {"person": "people", "company": "companies"}[plan.kind]
    header = f"header on row {table.header_row}" if table.header_row else "no header row"
    lines = [f"{where}: {total:,} {'row' if total == 1 else 'rows'} of {what} ({header})",
             "", "Columns used:"]
    for field in columns.fields:
        first, *more = columns.order(field)
        lines.append(f"  {first!r:32} -> {field}")
        lines += [f"    then {h!r:25} -> {field}"
                  for h in more]  # fmt: skip
    if columns.ignored:
        lines.append("Columns kept but not used: " + ", ".join(repr(h) for h in columns.ignored))
    lines += [f"Note: {note}" for note in (*table.notes, *columns.notes)]
    lines += ["", *_count_lines(est), *_invalid_lines(est), ""]
    lines.append(
        f"To enrich: {plan.to_pay:,} {_what(plan)}; "
        f"at most {plan.estimated_max:,} credits (only what is found is charged)."
    )
    return lines + _in_hand_lines(plan) + _mix_lines(plan) + _how_lines(est, rate)


def _in_hand_lines(plan: Plan) -> list[str]:
    """What an interrupted run (this file's, or another's) already paid for or has in flight."""
    lines = []
    if paid := len(plan.in_hand) - len(plan.resend):
        lines.append(f"Already paid (or in flight) by an interrupted run: {paid:,}; "
                     "enriching collects them without paying again.")
    if plan.resend:
        lines.append(RESEND.format(n=len(plan.resend)))
    return lines


RESEND = ("Company lookups an interrupted run left in flight: {n:,}; each is sent again with "
          "its single-use quote, charged at most once (1 credit, counted above, if the first "
          "call never ran).")


def _mix_lines(plan: Plan) -> list[str]:
    """The types bought, when some people are bought at another type than asked (--type full
    for people whose email an earlier run found: only the phone)."""
    mix = plan.type_mix()
    if set(mix) <= {plan.enrichment_type}:
        return []
    parts = [f"{n:,} {etype} ({price(plan.kind, etype)} each)" for etype, n in mix.items()]
    return [f"By type: {', '.join(parts)}; the email (or phone) of the others is known from an "
            "earlier run."]


HOW = {
    "bulk": "bulk mode",
    "legacy": "legacy bulk",
    "rows": "rows mode",
    "sync": "one lookup per company",
}


def _how_lines(est: Estimate, rate: int) -> list[str]:
    """Which path each group of rows takes, why, and how long at the rate limit; in auto mode
    also what happens when the account's CSV import is off (the default on real accounts)."""
    plan = est.plan
    chosen, remembered = _chosen(est)
    first, *rest = _group_lines(paths(plan.identities, chosen, quotes=_quotes(est)), rate)
    lines = ["How: " + first.strip(), *rest]
    if remembered:
        lines.append("  (this account's CSV import answered 503 lately, so auto mode goes "
                     "straight to legacy bulk; --mode bulk tries it again)")
    if chosen == "bulk" and plan.mode == "auto":
        lines += ["If CSV import is switched off for the account (it answers 503, the default "
                  "on real accounts), auto mode goes on with:",
                  *_group_lines(paths(plan.identities, "legacy"), rate)]
    return lines


def _group_lines(groups: list[Path], rate: int) -> list[str]:
    if not groups:
        return ["  nothing to send"]
    what = "companies" if groups[0].strategy == "sync" else "people"
    lines = [f"  {HOW[g.strategy]} for {g.people:,} {what} ({g.why}): about "
             f"{g.requests:,} requests" for g in groups]
    minutes = (total_requests(groups)) / max(1, rate)
    lines.append(f"  together {duration(minutes)} at {rate} requests/min "
                 "(plus the API's own processing time)")
    return lines


def _what(plan: Plan) -> str:
    if plan.kind == "company":
        return "companies"
    return {"partial": "people for an email", "phone_only": "people for a phone",
            "full": "people for an email and a phone"}[plan.enrichment_type]


def _count_lines(est: Estimate) -> list[str]:
    plan = est.plan
    return [
        f"  valid      {plan.valid_count:,}",
        f"  invalid    {plan.invalid_count:,}",
        f"  duplicate  {plan.duplicates:,}  (enriched once, copied to every copy)",
        f"  cached     {_cached_rows(est):,}  (enriched recently, free)",
        *([f"  past limit {plan.not_sent_count:,}  (--limit: kept in the output, not sent)"]
          if plan.not_sent_count else []),
        *([f"  {plan.not_data_count:,} empty or footer "
           f"{'row' if plan.not_data_count == 1 else 'rows'} kept (not leads, not counted)"]
          if plan.not_data_count else []),
    ]  # fmt: skip


def _invalid_lines(est: Estimate) -> list[str]:
    if not est.plan.invalid_count:
        return []
    bad = [
        (i, k) for i, k in enumerate(est.plan.row_keys) if is_invalid(k)
    ]  # fmt: skip
    if not bad:
        return []
    reasons = Counter(k.reason for _, k in bad)
    lines = ["", "Invalid rows (not sent, not charged):"]
    lines += [f"  {n:,} x {reason}" for reason, n in reasons.most_common()]
    rows = est.loaded.table.source_rows
    lines += [f"  row {rows[i]}: {k.reason}" for i, k in bad[:SHOW_INVALID]]
    if len(bad) > SHOW_INVALID:
        lines.append(f"  ... and {len(bad) - SHOW_INVALID:,} more (see --json)")
    return lines
