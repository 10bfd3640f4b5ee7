"""Differential tests: write.join, the report's duplicate savings and the appended columns, as
they are now (one list, lazy columns, sorted keys), against the per-row code they replaced
(kept here as the reference), on random plans with duplicates, namesakes (same_as), lost
answers (credits_on), cache hits, invalid, not-data and not-sent rows and reading notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.models import (
    Identity,
    Invalid,
    NotData,
    NotSent,
    Outcome,
    Plan,
    RunResult,
    columns_for,
)
from csv_enrich.output.write import CREDITS_ON, _cache_note, appended_values, join
from csv_enrich.report import _savings, worth

KEYS = [f"email:p{n}@x.io" for n in range(6)]


# -- the reference: join and the savings loop as they were before issue 16 ---------------------


def old_join(plan: Plan, outcomes: Mapping[str, Outcome], *,
             source_rows: Sequence[int] | None = None) -> list[Outcome]:
    first: dict[str, int] = {}
    rows: list[Outcome] = []
    for i, key in enumerate(plan.row_keys):
        if isinstance(key, NotData):
            rows.append(Outcome(key="", status="not_data"))
        elif isinstance(key, NotSent):
            rows.append(Outcome(key="", status="skipped", note=key.reason))
        elif isinstance(key, Invalid):
            rows.append(Outcome(key="", status="invalid", note=key.reason))
        elif key in first:
            original, row = rows[first[key]], _number(first[key], source_rows)
            rows.append(Outcome(key=original.key, status=original.status,
                                note=f"duplicate of row {row}", credits=0, data=original.data,
                                workflow_id=original.workflow_id))
        else:
            first[key] = i
            rows.append(_old_found(key, plan, outcomes))
    rows = [_old_same_person(row, first, source_rows) for row in rows]
    return [_old_row_note(row, plan.row_notes.get(i)) for i, row in enumerate(rows)]


def _number(index: int, source_rows: Sequence[int] | None) -> int:
    return source_rows[index] if source_rows is not None else index + 2


def _old_found(key: str, plan: Plan, outcomes: Mapping[str, Outcome]) -> Outcome:
    if key in outcomes:
        return outcomes[key]
    if key in plan.cached:
        hit = plan.cached[key]
        return Outcome(key=key, status=hit.status, note=_cache_note(hit.note), credits=0,
                       data=hit.data)
    return Outcome(key=key, status="skipped", note="not enriched: the run ended before this row")


def _old_same_person(row: Outcome, first: Mapping[str, int],
                     source_rows: Sequence[int] | None) -> Outcome:
    if row.credits_on is not None and row.credits_on in first:
        note = CREDITS_ON.format(row=_number(first[row.credits_on], source_rows))
        return replace(row, credits=0, note="; ".join(n for n in (row.note, note) if n))
    if row.same_as is None or row.same_as not in first:
        return row
    note = f"same person as row {_number(first[row.same_as], source_rows)}"
    return replace(row, credits=0, note="; ".join(n for n in (note, row.note) if n))


def _old_row_note(row: Outcome, note: str | None) -> Outcome:
    if not note:
        return row
    return replace(row, note=f"{note}; {row.note}" if row.note else note)


def old_duplicate_savings(plan: Plan, value: Mapping[str, int]) -> int:
    seen: set[str] = set()
    duplicates = 0
    for key in plan.row_keys:
        if isinstance(key, Invalid):
            continue
        duplicates += value.get(key, 0) if key in seen else 0
        seen.add(key)
    return duplicates


def old_cell(name: str, row: Outcome) -> str | int | None:
    if row.status == "not_data":
        return None
    if name == "enrichment_status":
        return row.status
    if name == "enrichment_note":
        return row.note or None
    if name == "enrichment_credits":
        return row.credits
    return row.data.get(name.removeprefix("enriched_")) or None


# -- random plans -------------------------------------------------------------------------------

row_key = st.one_of(
    st.sampled_from(KEYS),
    st.builds(Invalid, st.sampled_from(["no email", "bad email"])),
    st.just(NotData("empty row")),
    st.just(NotSent("past --limit")),
)
outcome_of = st.builds(
    lambda status, credits, note, data, same, on: (status, credits, note, data, same, on),
    st.sampled_from(["enriched", "not_found", "failed", "skipped"]),
    st.integers(0, 11),
    st.sampled_from(["", "lost", "cached on 2026-01-02"]),
    st.sampled_from([{}, {"email": "a@x.io"}, {"email": "b@x.io", "phone": "+1 415"}]),
    st.none() | st.sampled_from(KEYS + ["email:nobody@x.io"]),
    st.none() | st.sampled_from(KEYS + ["email:nobody@x.io"]),
)


@st.composite
def plans(draw: st.DrawFn) -> tuple[Plan, dict[str, Outcome], tuple[int, ...] | None]:
    keys = draw(st.lists(row_key, max_size=14))
    valid = list(dict.fromkeys(k for k in keys if isinstance(k, str)))
    cached_keys = draw(st.lists(st.sampled_from(valid), unique=True)) if valid else []
    answered = [k for k in valid if k not in cached_keys and draw(st.booleans())]

    def outcome(key: str, *, cached: bool = False) -> Outcome:
        status, credits, note, data, same, on = draw(outcome_of)
        if cached:
            return Outcome(key, status, note=note, data=data)
        return Outcome(key, status, note=note, credits=credits, data=data, workflow_id="wf",
                       same_as=same, credits_on=on)

    cached = {k: outcome(k, cached=True) for k in cached_keys}
    outcomes = {k: outcome(k) for k in answered}
    notes = draw(st.dictionaries(st.integers(-1, len(keys)), st.sampled_from(["two emails"]),
                                 max_size=3))
    plan = Plan(
        kind="person", enrichment_type="full", mode="bulk", row_keys=tuple(keys),
        identities=tuple(Identity("person", k) for k in valid if k not in cached),
        cached=cached, duplicates=len([k for k in keys if isinstance(k, str)]) - len(valid),
        estimated_max=0, run_id="run", row_notes=notes)
    rows = None
    if draw(st.booleans()):
        rows = tuple(sorted(draw(st.lists(st.integers(2, 10_000), min_size=len(keys),
                                          max_size=len(keys), unique=True))))
    return plan, outcomes, rows


@settings(max_examples=300)
@given(plans())
def test_join_as_the_per_row_join(drawn: tuple[Plan, dict[str, Outcome],
                                               tuple[int, ...] | None]) -> None:
    plan, outcomes, source_rows = drawn
    assert join(plan, outcomes, source_rows=source_rows) == old_join(
        plan, outcomes, source_rows=source_rows)


@settings(max_examples=300)
@given(plans())
def test_appended_columns_as_the_per_row_cells(
        drawn: tuple[Plan, dict[str, Outcome], tuple[int, ...] | None]) -> None:
    plan, outcomes, source_rows = drawn
    rows = join(plan, outcomes, source_rows=source_rows)
    columns = appended_values(plan.kind, rows)
    expected = [[old_cell(name, row) for row in rows] for name in columns_for(plan.kind)]
    assert [list(c) for c in columns] == expected
    assert columns == expected
    for column, want in zip(columns, expected, strict=True):
        assert len(column) == len(want)
        assert [column[i] for i in range(len(want))] == want
        assert column[1:5] == want[1:5]


@settings(max_examples=300)
@given(plans())
def test_duplicate_savings_as_the_per_row_loop(
        drawn: tuple[Plan, dict[str, Outcome], tuple[int, ...] | None]) -> None:
    plan, outcomes, _ = drawn
    result = RunResult(mode="bulk", outcomes=outcomes)
    value = {k: _value(k, plan, outcomes) for k in KEYS}
    assert _savings(plan, result).duplicates == old_duplicate_savings(plan, value)


def _value(key: str, plan: Plan, outcomes: Mapping[str, Outcome]) -> int:
    """What a duplicate of `key` saved (the report's `value`)."""
    if (paid := outcomes.get(key)) is not None:
        return paid.credits or worth(paid, plan.kind, plan.enrichment_type)
    hit = plan.cached.get(key)
    return worth(hit, plan.kind, plan.enrichment_type) if hit else 0
