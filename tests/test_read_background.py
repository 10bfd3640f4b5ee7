"""read.background's in_thread: what the work gave or raised, given back; plan.run_id from a file
digest made in a thread (make_plan hashes the input while it works) is the run id it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csv_enrich.models import EnrichOptions, Kind
from csv_enrich.plan import RUN_ID_VERSION, file_digest, run_id
from csv_enrich.read.background import in_thread


def test_in_thread_gives_what_the_work_gave_or_raised() -> None:
    assert in_thread(lambda: 42)() == 42
    error = ValueError("bad")

    def fail() -> int:
        raise error

    with pytest.raises(ValueError, match="bad") as raised:
        in_thread(fail)()
    assert raised.value is error


def reference_run_id(path: Path, kind: Kind, options: EnrichOptions) -> str:
    """plan.run_id as it was before the file was hashed in a thread (file_digest)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    settings: dict[str, object] = {
        "v": RUN_ID_VERSION, "kind": kind, "type": options.enrichment_type,
        "sheet": options.sheet, "limit": options.limit,
        "map": sorted(options.mapping_overrides.items()), "base_url": options.connection.home,
    }  # fmt: skip
    fields = list(options.mapping_overrides.values())
    if any(fields.count(f) > 1 for f in fields if f != "ignore"):
        settings["map_order"] = list(options.mapping_overrides.keys())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:32]


@settings(max_examples=40, deadline=None)
@given(content=st.binary(max_size=3 << 20).map(lambda b: b * 2),
       kind=st.sampled_from(["person", "company"]),
       maps=st.dictionaries(st.sampled_from(["A", "B", "C"]),
                            st.sampled_from(["email", "phone", "ignore"]), max_size=3),
       limit=st.none() | st.integers(1, 9))  # fmt: skip
def test_run_id_of_a_digest_made_ahead_is_the_run_id(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, kind: Kind,
    maps: dict[str, str], limit: int | None,
) -> None:
    path = tmp_path_factory.mktemp("run-id") / "leads.csv"
    path.write_bytes(content)
    options = EnrichOptions(input=path, mapping_overrides=maps, limit=limit)
    expected = reference_run_id(path, kind, options)
    assert run_id(path, kind, options) == expected
    assert run_id(path, kind, options, content=in_thread(lambda: file_digest(path))()) == expected
    made = file_digest(path)
    assert run_id(path, kind, options, content=made) == expected == run_id(path, kind, options,
                                                                              content=made)
