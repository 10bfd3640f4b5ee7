"""Reading: CSV/TSV/TXT and XLSX/XLSM/XLS/ODS -> a `Table` of text cells as a person sees them.

`table` is the base (Table, Grid, header finding); `text` (with `plaincsv`, its polars fast
path for plain text), `workbook`, `sheet_xml`, `ods`,
`numfmt` and `isolated` read one kind of file each (`styled_cells` and `numfmt_columns` apply
an .xlsx sheet's number formats column-wise); `source` picks the reader (`read_table`);
`layout` finds what surrounds the data (rows that are not data, group headers); `container`
and `limits` refuse hostile workbooks; `rawtext` reads delimited text again as the text of
each record, for an output that gives every cell back as it was written; `packed` holds a
table's cells compressed while a run does not read them (Table.pack); `ahead` reads delimited
text in a thread while the process goes on (estimate imports its other modules meanwhile),
`background` runs such work in a thread.
"""

from csv_enrich.read.source import read_table
from csv_enrich.read.table import Grid, Table

__all__ = ["Grid", "Table", "read_table"]
