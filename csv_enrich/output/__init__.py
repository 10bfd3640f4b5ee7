"""Output: join outcomes onto the input's rows and write the enriched CSV/TSV or XLSX atomically.

`headers` names the output's columns; `write` joins, guards against formula injection and writes
delimited text; `xlsx`, `xlsx_sheets` and `xlsx_summary` write the workbook and its Summary sheet.
"""

from csv_enrich.output.headers import output_headers
from csv_enrich.output.write import (
    SUPPORTED_SUFFIXES,
    appended_values,
    check_fits,
    check_writable,
    join,
    neutralise,
    write_output,
)

__all__ = [
    "SUPPORTED_SUFFIXES", "appended_values", "check_fits", "check_writable", "join", "neutralise",
    "output_headers", "write_output",
]
