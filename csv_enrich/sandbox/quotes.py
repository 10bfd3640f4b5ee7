"""Quotes: HMAC-SHA256 over the canonical request, 5-minute TTL, single use, a signed spend cap.

Each quote carries a random nonce in its signature part (`qte_v1_<issued>_<32 hex mac><8 hex
nonce>`), so two quotes for the same request in the same second (one per company lookup) are two
quotes, each single-use on its own."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from .wire import ApiError


def canonical(org: str, params: dict[str, Any]) -> bytes:
    """The bytes a quote signs: the organisation and the tool's bound parameters, sorted."""
    return json.dumps({"org": org, **params}, sort_keys=True, separators=(",", ":")).encode()


class Quotes:
    """Issues and redeems quotes; remembers the redeemed ones."""

    def __init__(self, secret: bytes, ttl_s: int) -> None:
        self.secret = secret
        self.ttl_s = ttl_s
        self.costs: dict[str, int] = {}
        self.used: set[str] = set()

    def _sig(self, org: str, params: dict[str, Any], issued: int, nonce: str) -> str:
        msg = canonical(org, params) + f"|{issued}|{nonce}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:32] + nonce

    def issue(self, org: str, params: dict[str, Any], cost: int) -> tuple[str, int]:
        """A new quote id for `params` capped at `cost`, and its expiry (epoch seconds)."""
        issued = int(time.time())
        quote_id = f"qte_v1_{issued}_{self._sig(org, params, issued, secrets.token_hex(4))}"
        self.costs[quote_id] = cost
        return quote_id, issued + self.ttl_s

    def redeem(self, quote_id: str, org: str, params: dict[str, Any], cost: int) -> int:
        """Verify and consume a quote for this exact call; return its signed cap."""
        if quote_id in self.used:
            raise ApiError("quote_already_used", "This quote has already been redeemed.")
        parts = quote_id.split("_")
        if len(parts) != 4 or parts[:2] != ["qte", "v1"] or not parts[2].isdigit():
            raise ApiError("quote_mismatch", "The quote_id is not a quote issued by this service.")
        if time.time() > int(parts[2]) + self.ttl_s:
            raise ApiError("quote_expired", "The quote expired; quotes live 5 minutes.")
        cap = self.costs.get(quote_id)
        if cap is not None and cost > cap:
            raise ApiError("spend_cap_exceeded",
                           f"The call now costs {cost} credits; the quote caps it at {cap}.",
                           estimated_cost_credits=cost)
        expected = self._sig(org, params, int(parts[2]), parts[3][32:])
        if cap is None or not hmac.compare_digest(parts[3], expected):
            raise ApiError("quote_mismatch", "The quote was issued for a different request.")
        self.used.add(quote_id)
        return cap
