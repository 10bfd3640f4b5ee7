"""Output: join outcomes onto the input's rows and write the enriched CSV/TSV or XLSX atomically.

`headers` names the output's columns (the appended ones never clashing with the input's); `atomic`
writes every file through a temp file and a rename (the report JSON too); `write` joins and picks
the writer, `appended` reads the appended cells off the joined rows; `delimited` writes CSV/TSV (the
input's records copied as they were written, the appended cells after them); `guard` keeps any cell
from running as a formula in delimited text; `xlsx` writes a new workbook (carrying other sheets and
title rows with `xlsx_sheets`, plain numbers of a CSV with `xlsx_numbers`, the typed cells of an
.ods with `xlsx_typed`); `xlsx_patch` gives an XLSX/XLSM input back whole, its enriched sheet
rewritten by `xlsx_rows` and `xlsx_enriched`, the package's small parts edited by `xlsx_parts`;
`xlsx_links` makes links and status colours; `xlsx_summary` writes the Summary sheet; `words` is the
report in a few lines, for the Summary sheet and the terminal alike.
"""

from csv_enrich.output.atomic import atomic_path, write_report
from csv_enrich.output.headers import appended_headers, output_headers
from csv_enrich.output.words import summary_lines
from csv_enrich.output.write import (
    SUPPORTED_SUFFIXES,
    appended_values,
    check_fits,
    check_writable,
    default_output,
    join,
    neutralise,
    write_output,
)

__all__ = [
    "SUPPORTED_SUFFIXES", "appended_headers", "appended_values", "atomic_path", "check_fits",
    "check_writable", "default_output", "join", "neutralise", "output_headers", "summary_lines",
    "write_output", "write_report",
]
