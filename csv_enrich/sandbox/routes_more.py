"""Lists paging, patch/delete, leads add/remove, export and the 501 endpoints."""

from __future__ import annotations

from .app import Endpoint

ENDPOINTS: list[Endpoint] = []
