"""The official SDK (cleanlist-ai), which no one on the team wrote, parses every sandbox answer."""

from __future__ import annotations

from csv_enrich.sandbox import SandboxServer

try:  # tests/ on sys.path (rootdir mode) or tests as a package
    from sandbox_helpers import fast_config, official_client_run
except ModuleNotFoundError:
    from tests.sandbox_helpers import fast_config, official_client_run


def test_official_client_parses_every_response() -> None:
    """whoami, balance, lists, csv-import, estimate, bulk, status, person, company and by-task
    all come back as the SDK's typed models."""
    with SandboxServer(fast_config()) as srv:
        made, parsed, failures = official_client_run(srv.base_url.removesuffix("/api/v2"),
                                                     srv.api_key)
    assert failures == []
    assert made == parsed
    assert made >= 15
