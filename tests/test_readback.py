"""The list read back a few pages at a time (engine.readback) against the whole list read at
once, joined by join_frame and made outcomes by joined_outcomes (the reference): the same
Outcome for every identity, whatever the namesakes, shared emails, order, missing leads, odd
names, page sizes and slices; a lead id twice is left to the reference."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.api.wire import Lead, LeadColumns
from csv_enrich.engine.join_columns import identity_frame, join_frame
from csv_enrich.engine.leads import LeadFrame
from csv_enrich.engine.readback import ReadBack, found_column, joined_outcomes
from csv_enrich.models import EnrichmentType, Outcome
from tests.test_join_columns import _identity, _lead, _leads, _people


def _pages(leads: list[Lead], size: int) -> list[LeadColumns]:
    frame = LeadFrame.of_leads(leads).frame
    pages = [frame.slice(at, size) for at in range(0, len(leads), size)] or [frame]
    return [LeadColumns({c: page.get_column(c).to_list() for c in page.columns}, page.height,
                        len(leads), None) for page in pages]


def _fields(outcomes: list[Outcome]) -> list[tuple[Any, ...]]:
    return [(o.key, o.status, o.note, o.credits, dict(o.data), list(o.data), o.workflow_id,
             o.same_as, o.credits_on) for o in outcomes]


def _both(rows: list[tuple[str | None, ...]], leads: list[Lead], etype: EnrichmentType,
          size: int, at_once: int, chunk: int, note: str | None) -> None:
    idents = _people(rows)
    keys = [i.key for i in idents]
    frame, whole = identity_frame(idents), LeadFrame.of_leads(leads)
    credits = found_column(etype, whole.frame)
    expected = joined_outcomes(keys, join_frame(frame, whole), whole, credits, note, "wf")
    sink = ReadBack(frame, etype, chunk=chunk, pages=at_once)
    for page in _pages(leads, size):
        sink.add(page)
    joined = sink.finish()
    assert joined is not None
    assert joined.credits.to_list() == credits.to_list()
    assert _fields(joined.outcomes(keys, note, "wf")) == _fields(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(_identity, max_size=12), st.lists(_lead(), max_size=14),
       st.sampled_from(["partial", "phone_only", "full"]), st.integers(1, 5), st.integers(1, 9),
       st.integers(1, 5), st.sampled_from([None, "lost"]))
def test_pages_read_a_few_at_a_time_give_the_outcomes_of_the_whole_list(
        rows: list[tuple[str | None, ...]], drawn: list[dict[str, Any]], etype: EnrichmentType,
        size: int, at_once: int, chunk: int, note: str | None) -> None:
    """Whatever the page size and how many leads are worked out at once: every identity's
    Outcome (its lead's data in the same order, credits, same_as, notes) as the reference's."""
    _both(rows, _leads(drawn), etype, size, at_once, chunk, note)


def test_a_list_read_with_no_lead_and_no_identity() -> None:
    """An empty list (one empty page) and no identities or some: nothing chosen."""
    _both([], [], "partial", 3, 2, 2, None)
    _both([("a@b.io", None, None, None, None, None)], [], "full", 3, 2, 2, None)


def test_a_lead_id_twice_is_left_to_the_reference() -> None:
    """A lead id twice (never seen): finish gives None, the caller reads the list whole."""
    leads = [Lead("L1", {"email": "ann@acme.io"}), Lead("L1", {"email": "bob@acme.io"})]
    sink = ReadBack(identity_frame(_people([("bob@acme.io", None, None, None, None, None)])),
                    "partial", pages=1)
    for page in _pages(leads, 1):
        sink.add(page)
    assert sink.finish() is None
