"""What a route table is made of: an `Endpoint` (method, path, scope, body check, handler) and
the `Ctx` a handler gets. The base of the sandbox's HTTP skin: `app` and the `routes_*` tables
import it, it imports neither."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from .records import Key
from .state import SandboxState


@dataclass
class Ctx:
    """What a handler gets: the state, the caller's key, the validated body and the request."""

    state: SandboxState
    key: Key
    request: Request
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def org_id(self) -> str:
        """The caller's organisation."""
        return self.key.org_id

    def query(self, name: str) -> str | None:
        """A query parameter, or None."""
        return self.request.query_params.get(name)

    def path(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])


Handler = Callable[[Ctx], tuple[int, dict[str, Any]]]
BodyCheck = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class Endpoint:
    """One API operation: method, path, required scope, body check and handler."""

    method: str
    path: str
    scope: str | None
    handler: Handler
    body: BodyCheck | None = None
    extra_scope: Callable[[dict[str, Any]], str | None] | None = None
    legacy: bool = False  # the legacy 5-endpoint API: FastAPI {"detail": "..."} errors, 402
