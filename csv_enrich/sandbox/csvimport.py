"""CSV import parsing: base64 -> rows -> mapped person fields, skip reasons, in-upload dedup."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from dataclasses import dataclass, field
from typing import Any

from .data import linkedin_slug, norm_email, person_identity
from .wire import ApiError

CANONICAL = ("first_name", "last_name", "full_name", "email", "phone", "mobile_phone", "work_phone",
             "linkedin_url", "company_name", "company_domain", "job_title", "city", "state",
             "country")
MAX_BYTES = 150 * 1024
ROW_CAP = 600


@dataclass
class Parsed:
    """The outcome of parsing one upload (nothing stored yet)."""

    rows_parsed: int = 0
    accepted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (identity, fields)
    skip_reasons: dict[str, int] = field(default_factory=dict)
    skip_rows: list[int] = field(default_factory=list)

    def skip(self, reason: str, row_number: int) -> None:
        """Count a skipped row (row numbers count the header as row 1)."""
        self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + 1
        self.skip_rows.append(row_number)


def decode(b64: str) -> str:
    """The CSV text of the upload; 413 over 150 KB, 400 when not base64 / not UTF-8."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("validation_error", "csv_content_base64 is not valid base64.") from None
    if len(raw) > MAX_BYTES:
        raise ApiError("payload_too_large",
                       f"The CSV is {len(raw)} bytes; the limit is {MAX_BYTES} bytes (150 KB).")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError("validation_error", "The CSV is not UTF-8 encoded.") from None


def check_mapping(mapping: dict[str, Any]) -> dict[str, str]:
    """A mapping of canonical field -> header (null entries dropped), or 400 naming the problem."""
    mapping = {k: v for k, v in mapping.items() if v is not None}
    if not mapping:
        raise ApiError("validation_error", "column_mapping needs at least one entry.")
    unknown = sorted(k for k in mapping if k not in CANONICAL)
    if unknown:
        raise ApiError("validation_error",
                       f"Unknown canonical field(s) {unknown}; allowed: {', '.join(CANONICAL)}.")
    if not all(isinstance(v, str) and v for v in mapping.values()):
        raise ApiError("validation_error", "column_mapping values must be CSV header names.")
    return {k: str(v) for k, v in mapping.items()}


def _fields(row: list[str], index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, col in index.items():
        value = row[col].strip() if col < len(row) else ""
        if value:
            out[name] = value
    if "company_domain" in out:
        out["domain"] = out["company_domain"]
    return out


def _dedup_reason(fields: dict[str, Any], seen: set[str]) -> str | None:
    keys = [("duplicate_email", "e:" + norm_email(fields.get("email"))),
            ("duplicate_linkedin", "l:" + linkedin_slug(fields.get("linkedin_url")))]
    for reason, key in keys:
        if len(key) > 2 and key in seen:
            return reason
    seen.update(key for _, key in keys if len(key) > 2)
    return None


def parse(text: str, mapping: dict[str, str]) -> Parsed:
    """Parse and vet every data row; raise missing_column for a mapped header not in the file."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip() for h in rows[0]] if rows else []
    for field_name, col in mapping.items():
        if col.strip() not in header:
            raise ApiError("missing_column", f"Mapped column {col!r} ({field_name}) is not in the "
                           "CSV header.", details={"column": col, "headers": header})
    index = {name: header.index(col.strip()) for name, col in mapping.items()}
    out, seen = Parsed(), set[str]()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        out.rows_parsed += 1
        fields = _fields(row, index)
        identity = person_identity(fields)
        reason = ("row_cap_exceeded" if out.rows_parsed > ROW_CAP
                  else "missing_required" if not identity else _dedup_reason(fields, seen))
        if reason:
            out.skip(reason, number)
        else:
            out.accepted.append((identity, fields))
    return out
