"""What every trap generator writes with: a trap file next to its expected result.

The base of samples/traps/'s generators: make_traps.py imports the others (make_workbook_traps.py,
make_export_traps.py), and all of them import this one; none imports make_traps.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def trap(name: str, ext: str, content: bytes, expected: dict[str, Any]) -> None:
    """Write the trap file and its expected result."""
    (HERE / f"{name}.{ext}").write_bytes(content)
    expected = {"file": f"{name}.{ext}", **expected}
    text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
    (HERE / f"{name}.expected.json").write_text(text, encoding="utf-8")


def expect(name: str, expected: dict[str, Any]) -> None:
    """An extra expectation for an existing trap file (e.g. another --sheet)."""
    (HERE / f"{name}.expected.json").write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def key(row: int, identity: str) -> dict[str, Any]:
    return {"row": row, "key": identity}


def invalid(row: int, reason: str) -> dict[str, Any]:
    return {"row": row, "invalid": reason}


def not_data(row: int, reason: str) -> dict[str, Any]:
    return {"row": row, "not_data": reason}
