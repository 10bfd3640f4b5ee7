"""Mapping: headers (plus a sniff of the values and known export layouts) -> which columns hold
email, linkedin_url, first_name, ... for a person or a company file.

`synonyms` is the base (the words people use for each field); `sniff` judges a column from a
sample of its cells; `exports` knows export layouts and the order of preference between columns
for one field; `context` is what a header takes from around it; `columns` decides the mapping
and applies `--map`; `rows` gives each data row's identifier values, or why it is not judged.
"""

from csv_enrich.mapping.columns import (
    ColumnMap,
    has_identifiers,
    map_columns,
    parse_overrides,
    row_values,
)

__all__ = ["ColumnMap", "has_identifiers", "map_columns", "parse_overrides", "row_values"]
