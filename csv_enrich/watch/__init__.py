"""The drop folder: `csv-enrich watch FOLDER` enriches every spreadsheet dropped into
FOLDER/inbox, safely: claim, settle, approve, archive.

    settle.py    a file is taken only once its size and mtime stood still for --settle seconds
    filters.py   which names are dropped files (never lock files, dotfiles, partial downloads)
    claim.py     claimed by an atomic rename, so two watchers never take the same file
    approve.py   a file that can cost more than the per-file cap waits for `<name>.approved`
    spend.py     the daily cap, across files and restarts
    job.py       one file: estimate, approve, run (runner.enrich_dropped), archive or fail
    loop.py      the loop (watchfiles), stopped by an event
    layout.py    the folder's layout, and moving files inside it only
    settings.py  FOLDER/csv-enrich.toml, read afresh for every file
    log.py       one line per event, to FOLDER/csv-enrich.log and to whoever listens
"""

from csv_enrich.watch.job import Job
from csv_enrich.watch.loop import WatchOptions, watch_folder
from csv_enrich.watch.settings import Settings, SettingsError, read_settings

__all__ = ["Job", "Settings", "SettingsError", "WatchOptions", "read_settings", "watch_folder"]
