"""The client's calls to the legacy 5-endpoint API (v1 only; CONTRACT.md §9, assumptions 22-27).

A mixin of CleanlistClient: it sends through the client's `_call` (pacing, retries, the error
contract) to the legacy base the client derives from its configured base URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from csv_enrich.api.legacy_wire import (
    LEGACY_LIST_NAMES,
    LegacyStatus,
    LegacySubmitted,
    parse_legacy_status,
    parse_legacy_submitted,
)
from csv_enrich.models import EnrichmentType


class LegacyCalls:
    """legacy_bulk, legacy_status and legacy_list, over the client's transport."""

    _legacy: str  # the legacy base URL (…/api/v1/public)

    async def _call(self, method: str, path: str, *, safety: Literal["safe", "paid"] = "safe",
                    **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # CleanlistClient's

    async def legacy_bulk(self, contacts: Sequence[Mapping[str, str]],
                          enrichment_type: EnrichmentType) -> LegacySubmitted:
        """POST /enrich/bulk: 1-250 contacts (legacy field names), nothing reserved, one task id
        per contact. Paid and not idempotent: a lost answer is raised for the caller to resolve
        before anything is resent (assumption 26)."""
        payload = {"enrichment_type": enrichment_type, "contacts": [dict(c) for c in contacts]}
        body = await self._call("POST", self._legacy + "/enrich/bulk", json=payload,
                                safety="paid")
        return parse_legacy_submitted(body)

    async def legacy_status(self, workflow_id: str) -> LegacyStatus:
        """GET /enrich/status?workflow_id=: the run and every contact's result (free)."""
        body = await self._call("GET", self._legacy + "/enrich/status",
                                params={"workflow_id": workflow_id})
        return parse_legacy_status(body)

    async def legacy_list(self) -> str | None:
        """The id of the protected list legacy submissions land in, or None if there is none
        yet (it is made by the first submission)."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            body = await self._call("GET", "/lead-lists", params=params)
            for lst in body.get("lists") or ():
                if str(lst.get("name", "")).casefold() in LEGACY_LIST_NAMES:
                    return str(lst["list_id"])
            cursor = body.get("cursor")
            if not cursor or not body.get("lists"):
                return None
