"""Every trap in samples/traps/ gives its expected headers, mapping, verdicts, cells or error."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from csv_enrich.errors import InputError
from csv_enrich.mapping.columns import has_identifiers, map_columns
from csv_enrich.mapping.rows import readings
from csv_enrich.models import Identity, NotData
from csv_enrich.plan import verdict as judge
from csv_enrich.read import read_table

TRAPS = Path(__file__).resolve().parents[1] / "samples" / "traps"
EXPECTED = sorted(TRAPS.glob("*.expected.json"))


def _verdicts(expected: dict[str, Any]) -> dict[str, Any]:
    """What csv-enrich makes of a trap, in the shape of its expected.json."""
    table = read_table(
        TRAPS / expected["file"], sheet=expected.get("sheet"), accept=has_identifiers
    )
    cmap = map_columns(
        table, kind=expected.get("kind_choice", "auto"), overrides=expected.get("overrides", {})
    )
    rows = []
    for row, reading in zip(table.source_rows, readings(table, cmap), strict=True):
        verdict = judge(reading, cmap.kind)
        if isinstance(verdict, NotData):
            rows.append({"row": row, "not_data": verdict.reason})
        elif isinstance(verdict, Identity):
            rows.append({"row": row, "key": verdict.key})
        else:
            rows.append({"row": row, "invalid": verdict.reason})
        if reading.notes and not reading.not_data:
            rows[-1]["note"] = "; ".join(reading.notes)
    return {
        "headers": list(table.headers), "header_row": table.header_row, "sheet_read": table.sheet,
        "kind": cmap.kind, "mapping": dict(cmap.fields), "rows": rows,
        "order": {f: list(cmap.order(f)) for f in expected.get("order", {}) if f in cmap.fields},
        "cells": {h: table.frame.get_column(h).to_list() for h in expected.get("cells", {})},
        "notes": [n for n in expected.get("notes", []) if n in table.notes + cmap.notes],
    }  # fmt: skip


def test_there_is_a_trap_for_each_kind_of_file() -> None:
    """The trap folder covers every input format the issue names, and every trap file in it has
    an expectation (each expectation naming a file that is there)."""
    suffixes = {json.loads(p.read_text())["file"].rsplit(".", 1)[1] for p in EXPECTED}
    assert suffixes == {"csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods"}
    named = {json.loads(p.read_text())["file"] for p in EXPECTED}
    files = {p.name for p in TRAPS.iterdir() if p.is_file() and p.suffix not in (".json", ".py")}
    assert named == files


@pytest.mark.parametrize("path", EXPECTED, ids=[p.name.split(".")[0] for p in EXPECTED])
def test_trap(path: Path) -> None:
    """The trap's file reads, maps and validates as its expected.json says, or fails as it says."""
    expected = json.loads(path.read_text(encoding="utf-8"))
    if "error" in expected:
        with pytest.raises(InputError) as caught:
            _verdicts(expected)
        message = str(caught.value)
        assert expected["error"] in message
        assert "\n" not in message
        assert message.startswith(str(TRAPS))
        return
    got = _verdicts(expected)
    for field in (
        "headers",
        "header_row",
        "sheet_read",
        "kind",
        "mapping",
        "order",
        "rows",
        "cells",
        "notes",
    ):
        if field in expected:
            assert got[field] == expected[field], field


@pytest.mark.parametrize(
    "name", ["zip_bomb.xlsx", "xml_bomb.xlsx", "over_rows.xlsx", "over_dimension.xlsx"]
)
def test_bombs_are_refused_quickly_in_bounded_memory(name: str) -> None:
    """A zip or entity bomb is refused without inflating it into memory (timeout bounds time)."""
    tracemalloc.start()
    with pytest.raises(InputError):
        read_table(TRAPS / name)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 32 << 20, peak
