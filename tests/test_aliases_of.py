"""IdentityFrame.aliases_of by a join on the keys against the original, which found the rows
in a sorted copy of every key (`_rows_of`, kept as the reference here): the same aliases for
every key asked, the last identity of a key shared by several, nothing for a key none has."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.models import Identity
from csv_enrich.plan_columns import IdentityFrame, _registered, valid_rows
from tests.test_identity_frame import named
from tests.test_plan_columns import frame_of, identities


def _sorted_aliases_of(frame: IdentityFrame, keys: list[str]) -> dict[str, tuple[str, ...]]:
    """The original aliases_of: the rows by a binary search in the sorted keys."""
    rows, found = frame._rows_of(keys)
    if not len(rows):
        return {}
    names = _registered(frame.frame[rows], frame.kind).to_list()
    return {k: tuple(n) for k, n in zip(found.to_list(), names, strict=True)}


@settings(deadline=None, max_examples=80)
@given(st.lists(st.one_of(identities(), named()), max_size=25), st.data())
def test_aliases_of_by_a_join_are_the_sorted_search_s(idents: list[Identity],
                                                      data: st.DataObject) -> None:
    """Any keys asked (some twice, some none has, in any order), identities sharing a key."""
    again = [replace(i, first_name="Zed", last_name="Q", domain="z.io", aliases=(i.key, "li:z"))
             for i in idents[: len(idents) // 3]]
    idents = idents + again  # some keys twice, told apart: the last one's aliases
    frame = IdentityFrame(valid_rows(frame_of(idents), {}, {}), "person")
    pool = [i.key for i in idents] + ["email:none", ""]
    keys = data.draw(st.lists(st.sampled_from(pool), max_size=30))
    assert frame.aliases_of(keys) == _sorted_aliases_of(frame, keys)
    assert frame.aliases_of(pool) == _sorted_aliases_of(frame, pool)
