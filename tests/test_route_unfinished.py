"""route.unfinished (the identities a strategy left, found by the frame's keys) against
IdentityFrame.without, its reference: the same identities in the same order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.engine.route import unfinished
from csv_enrich.models import Identity
from csv_enrich.plan_columns import IdentityFrame
from tests.test_plan_columns import identities


@settings(deadline=None, max_examples=60)
@given(st.lists(identities(), max_size=20), st.data())
def test_the_unfinished_are_the_frame_without_the_finished(idents: list[Identity],
                                                          data: st.DataObject) -> None:
    """None, some or all finished, keys shared by identities, finished keys none of them has."""
    frame = IdentityFrame.of(idents + idents[:3], "person")
    pool = [i.key for i in idents] + ["email:none"]
    done = dict.fromkeys(data.draw(st.lists(st.sampled_from(pool), max_size=25)), 1)
    assert unfinished(frame, done) == frame.without(done)
    assert len(unfinished(frame, done)) == len(frame.without(done))
    assert len(unfinished(frame, dict.fromkeys(pool, 1))) == 0
