"""Atomic writes: every file csv-enrich writes goes to a temp file in the same folder first and is
renamed onto its name only when complete, so nobody ever sees half a file."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from csv_enrich.errors import OutputError
from csv_enrich.report import Report, report_dict


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A fresh temp path in `path`'s folder, renamed onto `path` when the block succeeds and
    removed when it fails, so readers never see a half-written file. The temp file is made
    with the usual permissions (0666 less the umask)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp{path.suffix}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_report(report: Report, path: Path) -> None:
    """Write the report JSON to `path` atomically (a temp file in the same folder, then rename)."""
    text = json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise OutputError(
            f"Could not write the report {str(path)!r}: {exc.strerror or exc}. The output is "
            "written; the summary above has the figures."
        ) from exc
