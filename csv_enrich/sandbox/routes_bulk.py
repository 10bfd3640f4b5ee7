"""The bulk path: estimate, csv-import, bulk run, leads paging and by-task."""

from __future__ import annotations

from .app import Endpoint

ENDPOINTS: list[Endpoint] = []
