"""The run journal and the result cache on a real SQLite file in tmp_path."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csv_enrich.journal import (
    BulkIntent,
    BulkSent,
    BulkState,
    Journal,
    LegacyBatch,
    ResultCache,
    outcome_from_json,
    outcome_to_json,
)
from csv_enrich.models import Outcome, WorkflowRecord

RUN = "run-1"


def test_intent_then_answer_then_outcome_survive_reopen(tmp_path: Path) -> None:
    """Each step is durable on return and read back by a fresh connection."""
    with Journal(tmp_path) as journal:
        journal.intent(RUN, "li:a", 1)
        journal.intent(RUN, "li:b", 1)
        journal.submitted(RUN, "li:b", "enrich-b", 1)
        journal.intent(RUN, "li:c", 1)
        journal.record_outcome(RUN, Outcome("li:c", "enriched", credits=1, data={"email": "c@x"}))
    with Journal(tmp_path) as again:
        items = again.items(RUN)
        assert items["li:a"].intent_at is not None
        assert items["li:a"].workflow_id is None
        assert items["li:b"].workflow_id == "enrich-b"
        assert items["li:c"].outcome == Outcome("li:c", "enriched", credits=1,
                                                data={"email": "c@x"})
        assert again.items("other-run") == {}


def test_run_facts_chunks_and_workflows(tmp_path: Path) -> None:
    """Run-level facts, imported chunks and workflow records are kept per run."""
    with Journal(tmp_path) as journal:
        journal.set(RUN, "list_id", "ll_1")
        journal.set(RUN, "quote", {"quote_id": "q", "estimated_cost": 3})
        journal.chunk_imported(RUN, 0, 500)
        journal.chunk_imported(RUN, 1, 12)
        record = WorkflowRecord("bulk-1", "completed", 3, 2, 1, "not_applicable")
        journal.record_workflow(RUN, record)
        journal.forget(RUN, "quote")
        assert journal.get(RUN, "list_id") == "ll_1"
        assert journal.get(RUN, "quote") is None
        assert journal.chunks(RUN) == {0: 500, 1: 12}
        assert journal.workflows(RUN) == (record,)


def test_bulk_state_through_the_typed_methods_survives_reopen(tmp_path: Path) -> None:
    """The bulk path's keys, intent and sent run are recorded and read back as typed records;
    nothing is started before the intent."""
    with Journal(tmp_path) as journal:
        assert journal.bulk_state(RUN) == BulkState()
        journal.record_bulk_keys(RUN, iter(["li:a", "email:b@x.io"]))
        assert not journal.bulk_state(RUN).started
        intent = journal.record_bulk_intent(RUN, "q_1", 7)
        sent = journal.record_bulk_sent(RUN, "bulk-1", 7)
    with Journal(tmp_path) as again:
        state = again.bulk_state(RUN)
        assert state == BulkState(("li:a", "email:b@x.io"), intent, sent)
        assert (state.intent, state.sent) == (BulkIntent("q_1", 7, intent.at),
                                              BulkSent("bulk-1", 7, sent.at))
        assert state.started
        assert again.bulk_state("other-run") == BulkState()



def test_legacy_batches_are_numbered_kept_and_forgotten(tmp_path: Path) -> None:
    """A legacy batch is recorded before it is sent and again with its ids; a batch that never
    started is forgotten but keeps its number, so the next batch gets a new one."""
    with Journal(tmp_path) as journal:
        first = LegacyBatch(0, ("li:a", "li:b"), 1.0)
        journal.record_legacy_batch(RUN, first)
        journal.record_legacy_batch(RUN, LegacyBatch(1, ("li:c",), 2.0))
        answered = LegacyBatch(0, ("li:a", "li:b"), 1.0, "wf-0", ("t-a", "t-b"))
        journal.record_legacy_batch(RUN, answered)
        journal.forget_legacy_batch(RUN, 1)
    with Journal(tmp_path) as again:
        assert again.legacy_batches(RUN) == (2, [answered])
        assert again.legacy_batches("other-run") == (0, [])

def test_typed_methods_read_journals_written_before_them(tmp_path: Path) -> None:
    """A journal written by an earlier version (the same runs_meta names and JSON) resumes: a
    lost bulk answer (workflow id None), the run's lists, its mode and its first balance."""
    with Journal(tmp_path) as journal:
        journal.set(RUN, "bulk_keys", ["li:a"])
        journal.set(RUN, "bulk_intent", {"quote_id": "q_9", "cost": 3, "at": 1.5})
        journal.set(RUN, "bulk_workflow", {"workflow_id": None, "reserved": 0, "at": 2.5})
        journal.set(RUN, "list_rows", "ll_rows")
        journal.set(RUN, "mode", "bulk")
        journal.set(RUN, "balance_before", 900)
    with Journal(tmp_path) as again:
        assert again.bulk_state(RUN) == BulkState(("li:a",), BulkIntent("q_9", 3, 1.5),
                                                  BulkSent(None, 0, 2.5))
        assert (again.list_id(RUN, "rows"), again.list_id(RUN, "bulk")) == ("ll_rows", None)
        assert again.started_mode(RUN) == "bulk"
        assert again.first_balance(RUN, 5) == 900
        assert again.first_balance("new-run", 5) == 5
        assert again.first_balance("new-run", 7) == 5


def test_record_outcomes_in_one_transaction(tmp_path: Path) -> None:
    """Many outcomes are written at once and all read back."""
    outcomes = [Outcome(f"email:{i}@x", "not_found") for i in range(300)]
    with Journal(tmp_path) as journal:
        journal.record_outcomes(RUN, outcomes)
        assert len(journal.items(RUN)) == 300


def test_clear_intent_keeps_finished_items(tmp_path: Path) -> None:
    """clear_intent drops an unanswered intent but never a recorded outcome."""
    with Journal(tmp_path) as journal:
        journal.intent(RUN, "k1", 1)
        journal.record_outcome(RUN, Outcome("k2", "not_found"))
        journal.clear_intent(RUN, "k1")
        journal.clear_intent(RUN, "k2")
        assert set(journal.items(RUN)) == {"k2"}


@pytest.mark.parametrize(("stored", "asked", "hit"), [
    ({"email": "a@x"}, "partial", True),
    ({"email": "a@x"}, "full", False),  # stored by a partial run: the phone is not known
    ({"email": "a@x", "phone": "+1"}, "full", True),
    ({"phone": "+1"}, "phone_only", True),
    ({"phone": "+1"}, "partial", False),  # stored by a phone_only run: the email is not known
])
def test_cache_coverage_by_type(tmp_path: Path, stored: dict[str, str], asked: str,
                                hit: bool) -> None:
    """A cached email satisfies partial; full needs email and phone (stored by the run type
    that would find them)."""
    with ResultCache(tmp_path) as cache:
        by = "full" if len(stored) == 2 else "partial" if "email" in stored else "phone_only"
        cache.store("person", "li:a", by, Outcome("li:a", "enriched", credits=11,  # type: ignore[arg-type]
                                                  data=stored))
        got = cache.lookup("person", "li:a", asked, 30)  # type: ignore[arg-type]
    assert (got is not None) == hit
    if got is not None:
        assert (got.status, got.note, got.credits) == ("enriched", "cached", 0)


def test_cache_respects_max_age_and_kind(tmp_path: Path) -> None:
    """Entries older than max-age, or of another kind, are not hits."""
    with ResultCache(tmp_path) as cache:
        cache.store("company", "domain:a.io", "partial",
                    Outcome("domain:a.io", "enriched", credits=1, data={"industry": "X"}))
        time.sleep(0.01)
        assert cache.lookup("company", "domain:a.io", "partial", 1) is not None
        assert cache.lookup("company", "domain:a.io", "partial", 0.00000001) is None
        assert cache.lookup("person", "domain:a.io", "partial", 30) is None


def test_cache_keeps_not_found_people_and_skips_cached(tmp_path: Path) -> None:
    """Freshly enriched outcomes are stored, and (issue 10) a person not found too, so a later
    run knows and does not buy it again; outcomes that came from the cache are not."""
    with ResultCache(tmp_path) as cache:
        cache.store_many("person", "partial", [
            Outcome("li:a", "not_found"),
            Outcome("li:b", "enriched", note="cached", data={"email": "b@x"}),
            Outcome("li:c", "enriched", credits=1, data={"email": "c@x"}),
        ])
        hits = [cache.lookup("person", k, "partial", 30) for k in ("li:a", "li:b", "li:c")]
        phone = cache.lookup("person", "li:a", "full", 30)
    assert [h.status if h else None for h in hits] == ["not_found", None, "enriched"]
    assert phone is None  # the email was not found; nothing is known of the phone


def test_what_the_cache_knows_of_a_person_by_part(tmp_path: Path) -> None:
    """A partial result tells the email (found or not), a full one both parts: a later full
    run needs only the phone of a person whose email is known."""
    with ResultCache(tmp_path) as cache:
        cache.store("person", "li:a", "partial", Outcome("li:a", "enriched", credits=1,
                                                          data={"email": "a@x"}))
        cache.store("person", "li:b", "partial", Outcome("li:b", "not_found"))
        cache.store("person", "li:c", "full", Outcome("li:c", "enriched", credits=1,
                                                       data={"email": "c@x"}))
        known = {k: cache.known([k], 30) for k in ("li:a", "li:b", "li:c")}
        full_c = cache.lookup("person", "li:c", "full", 30)
    assert known["li:a"].missing("full") == ("phone",)
    assert known["li:a"].data == {"email": "a@x"}
    assert known["li:b"].parts == {"email": False}
    assert known["li:c"].missing("full") == ()
    assert full_c is not None
    assert full_c.status == "enriched"


@given(st.builds(
    Outcome,
    key=st.text(min_size=1),
    status=st.sampled_from(["enriched", "not_found", "failed", "skipped"]),
    note=st.text(),
    credits=st.integers(0, 1000),
    data=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=5),
    workflow_id=st.none() | st.text(max_size=10),
))
def test_outcome_json_round_trip(outcome: Outcome) -> None:
    """Any Outcome survives the journal's JSON form unchanged."""
    assert outcome_from_json(outcome_to_json(outcome)) == outcome


def test_outcome_is_slotted_and_still_copies_pickles_and_replaces() -> None:
    """Outcome has __slots__ (a 100k-row run holds one per identity): no __dict__, yet
    replace, pickle, equality and hashing of its fields behave as before."""
    import pickle
    from dataclasses import replace

    outcome = Outcome("email:a@b.co", "enriched", note="n", credits=11,
                      data={"email": "a@b.co"}, workflow_id="wf", same_as="li:x")
    assert not hasattr(outcome, "__dict__")
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    assert replace(outcome, credits=0) == Outcome(
        "email:a@b.co", "enriched", note="n", credits=0, data={"email": "a@b.co"},
        workflow_id="wf", same_as="li:x")
    with pytest.raises(AttributeError):
        outcome.note = "changed"  # type: ignore[misc]
