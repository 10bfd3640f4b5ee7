"""The pure part of cohort runs: --data-points and --entity-ids parsing, company credits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.api.wire import CohortEntity
from csv_enrich.cohort_rows import (
    COMPANY_POINTS,
    PERSON_POINTS,
    company_outcomes,
    entity_ids_of,
    points_kind,
    points_type,
)
from csv_enrich.errors import UsageError


def _cased(draw: st.DrawFn, point: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(point), max_size=len(point)))
    return "".join(c.swapcase() if f else c for c, f in zip(point, flips, strict=True))


@st.composite
def spelled(draw: st.DrawFn, pool: tuple[str, ...]) -> tuple[list[str], list[str]]:
    points = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    return [f" {_cased(draw, p)} " for p in points], list(dict.fromkeys(points))


@given(spelled(PERSON_POINTS))
def test_person_points_in_any_case_are_canonical(case: tuple[list[str], list[str]]) -> None:
    """Any spelling case and spacing, repeats folded: person kind, canonical names in order."""
    given_points, canon = case
    assert points_kind(given_points) == ("person", tuple(canon))


@given(spelled(COMPANY_POINTS), st.sampled_from(PERSON_POINTS))
def test_person_and_company_points_never_mix(case: tuple[list[str], list[str]],
                                              person: str) -> None:
    """A company point next to a person point is refused, whatever the order."""
    with pytest.raises(UsageError, match="mixes"):
        points_kind([*case[0], person])
    with pytest.raises(UsageError, match="mixes"):
        points_kind([person, *case[0]])


@pytest.mark.parametrize(("points", "etype"), [
    (("Email", "Phone"), "full"), (("Phone", "LinkedIn"), "phone_only"), (("Phone",), "phone_only"),
    (("Email",), "partial"), (("LinkedIn",), "partial"), (("Email", "LinkedIn"), "partial")])
def test_points_type_follows_the_seed(points: tuple[str, ...], etype: str) -> None:
    """SEED.md: Email + Phone full, Phone alone phone_only, otherwise partial."""
    assert points_type(points) == etype


@pytest.mark.parametrize(("text", "says"), [
    ("", "is empty"), (" , ,", "is empty"), ("a,b,a", "names 'a' twice")])
def test_entity_ids_refused_before_anything_is_sent(text: str, says: str) -> None:
    """Empty or repeated ids: UsageError naming the problem."""
    with pytest.raises(UsageError, match=says):
        entity_ids_of(text)


def test_entity_ids_parsed_in_order() -> None:
    assert entity_ids_of(" a, b ,c") == ("a", "b", "c")
    assert entity_ids_of(None) is None


@given(st.lists(st.booleans(), max_size=60), st.integers(0, 10))
def test_company_credits_add_up_to_what_was_charged(found: list[bool], cost: int) -> None:
    """The cohort's cost is spread over the companies found, integer per row, summing exactly;
    companies not found cost nothing."""
    entities = [CohortEntity(f"c{i}.com", "enriched" if hit else "failed",
                             None if hit else "not_found", {"industry": "X"} if hit else {})
                for i, hit in enumerate(found)]
    outcomes = company_outcomes(entities, cost)
    assert [o.key for o in outcomes] == [e.entity_id for e in entities]
    assert all(o.credits == 0 for o in outcomes if o.status != "enriched")
    if any(found):
        assert sum(o.credits for o in outcomes) == cost
        first = next(o for o in outcomes if o.status == "enriched")
        assert first.credits >= min(1, cost)  # the first company found carries the first credit
        assert max(o.credits for o in outcomes) - min(
            o.credits for o in outcomes if o.status == "enriched") <= 1


def test_rows_that_cannot_carry_the_settlement_are_warned_about() -> None:
    """Entity ids that are no lead of the list (a search cohort), and per-row credits that do
    not add up to what the workflow settled, each give a warning."""
    from csv_enrich.api.wire import Lead, WorkflowStatus
    from csv_enrich.cohort_rows import person_outcomes, row_warnings

    leads = {"lead_1": Lead("lead_1", {"email": "a@b.io", "phone": "+14155550100"})}
    done = WorkflowStatus("wf", "completed", credits_charged=11)
    joined = person_outcomes(["lead_1"], leads, done, "full")
    assert joined["lead_1"].credits == 11
    assert row_warnings(["lead_1"], leads, done, joined, "list_1") == []
    strangers = person_outcomes(["prospect_9"], leads, done, "full")
    said = row_warnings(["prospect_9"], leads, done, strangers, "list_1")
    assert any("None of the cohort's entity ids is a lead id of list list_1" in w for w in said)
    assert any("settled 11 credits but the rows add up to 0" in w for w in said)
    failed = WorkflowStatus("wf", "failed", refund_message="held for review")
    assert person_outcomes(["lead_1"], leads, failed, "full")["lead_1"].note == "held for review"
