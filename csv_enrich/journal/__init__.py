"""The journal: SQLite under the state directory (one file, ``journal.sqlite3``).

`store` is the base (the schema, the connection, what every table reader shares); `runs` is the
run journal (intent before every paid call, the answer after); `runlog` the past runs by account;
`cache` the result cache reused by later runs.
"""

from csv_enrich.journal.cache import Known, ResultCache
from csv_enrich.journal.runlog import PastRun, RunLog
from csv_enrich.journal.runs import BulkIntent, BulkSent, BulkState, ItemState, Journal, LegacyBatch
from csv_enrich.journal.store import (
    COVERS,
    FILENAME,
    PARTS,
    default_state_dir,
    outcome_from_json,
    outcome_to_json,
    scope_of,
)

__all__ = [
    "COVERS", "FILENAME", "PARTS", "BulkIntent", "BulkSent", "BulkState", "ItemState", "Journal",
    "Known", "LegacyBatch", "PastRun", "ResultCache", "RunLog", "default_state_dir",
    "outcome_from_json", "outcome_to_json", "scope_of",
]
