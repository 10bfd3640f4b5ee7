"""Golden cases: samples/golden/<case>/ inputs, read for real, joined with the outcomes in
case.json and written; every output must equal expected/ cell by cell (value, type and number
format)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from csv_enrich.models import Invalid, NotData, Outcome, Plan
from csv_enrich.output.write import join, write_output
from csv_enrich.read import read_table

GOLDEN = Path(__file__).resolve().parents[1] / "samples" / "golden"
CASES = sorted(p.parent.name for p in GOLDEN.glob("*/case.json"))


def outcome(key: str, spec: dict[str, Any]) -> Outcome:
    """An Outcome from its case.json form."""
    return Outcome(
        key,
        spec["status"],
        note=spec.get("note", ""),
        credits=spec.get("credits", 0),
        data=spec.get("data", {}),
    )


def plan_of(case: dict[str, Any]) -> Plan:
    """The Plan a case describes (one row key per data row; cache hits apart)."""
    keys = tuple(_key(k) for k in case["rows"])
    cached = {k: outcome(k, v) for k, v in case.get("cached", {}).items()}
    unique = dict.fromkeys(k for k in keys if isinstance(k, str))
    return Plan(
        kind=case["kind"],
        enrichment_type=case["enrichment_type"],
        mode="rows",
        row_keys=keys,
        identities=(),
        cached=cached,
        duplicates=sum(isinstance(k, str) for k in keys) - len(unique),
        estimated_max=0,
        run_id="golden",
    )


def _key(spec: str | dict[str, str]) -> str | Invalid:
    """A row key from case.json: an identity key, {"invalid": why} or {"not_data": why}."""
    if isinstance(spec, str):
        return spec
    return NotData(spec["not_data"]) if "not_data" in spec else Invalid(spec["invalid"])


def run_case(folder: Path, out: Path) -> list[Path]:
    """Read the case's input, join its outcomes and write each output into `out`."""
    case = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    table = read_table(next(folder.glob("input.*")), sheet=case.get("sheet"))
    plan = plan_of(case)
    assert len(plan.row_keys) == table.frame.height, "case.json needs one key per data row"
    outcomes = {k: outcome(k, v) for k, v in case["outcomes"].items()}
    rows = join(plan, outcomes, source_rows=table.source_rows)
    written = []
    for name, options in case["outputs"].items():
        write_output(table, case["kind"], rows, out / name, bom=options.get("bom", False))
        written.append(out / name)
    return written


def expected_xlsx(path: Path) -> dict[str, Any]:
    """Every sheet of a workbook as JSON: each cell's type, value and number format, links,
    pane, filter, state."""
    book = openpyxl.load_workbook(path)
    return {"sheets": [_sheet(ws) for ws in book.worksheets], "active": book.active.title}


def _sheet(ws: Any) -> dict[str, Any]:
    cells = {
        c.coordinate: [c.data_type, _json(c.value), c.number_format]
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }
    links = {
        c.coordinate: c.hyperlink.target
        for row in ws.iter_rows()
        for c in row
        if c.hyperlink is not None
    }
    return {
        "name": ws.title,
        "state": ws.sheet_state,
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "cells": cells,
        "links": links,
    }


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str, tmp_path: Path) -> None:
    """Each output of the case equals its expected file: bytes for CSV, cells for XLSX."""
    expected = GOLDEN / name / "expected"
    for path in run_case(GOLDEN / name, tmp_path):
        if path.suffix == ".xlsx":
            want = json.loads((expected / f"{path.name}.json").read_text(encoding="utf-8"))
            got = json.loads(json.dumps(expected_xlsx(path)))
            for got_sheet, want_sheet in zip(got["sheets"], want["sheets"], strict=True):
                assert got_sheet == want_sheet, f"{name}/{path.name}: sheet {want_sheet['name']}"
            assert got["active"] == want["active"]
        else:
            assert path.read_bytes() == (expected / path.name).read_bytes(), f"{name}/{path.name}"
