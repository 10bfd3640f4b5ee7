"""Number formats of .xlsx/.xlsm cells, which calamine does not apply (leading zeros, dates)."""

from __future__ import annotations

from pathlib import Path

from csv_enrich.read import Grid


def apply_number_formats(path: Path, sheet: str, grid: Grid) -> Grid:
    """The grid with cells whose number format changes what a person sees re-rendered."""
    return grid
