"""Shared fixtures: a real sandbox on loopback, a private state dir, the asyncio backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from csv_enrich.sandbox import SandboxServer

# No timed assertions (hypothesis' 200 ms deadline and its too-slow health check failed tests on
# a busy 2-core machine that pass alone): speed is measured in benchmarks/, not asserted here.
settings.register_profile("csv-enrich", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("csv-enrich")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def pytest_report_header() -> str:
    """Say whether the OpenAPI cross-checks run (they need ../shared beside the checkout)."""
    try:  # tests/ on sys.path (rootdir mode) or tests as a package
        from sandbox_helpers import HAVE_OPENAPI, NO_OPENAPI, OPENAPI
    except ModuleNotFoundError:
        from tests.sandbox_helpers import HAVE_OPENAPI, NO_OPENAPI, OPENAPI
    return f"openapi: {OPENAPI}" if HAVE_OPENAPI else f"openapi: {NO_OPENAPI}"


@pytest.fixture(autouse=True, scope="session")
def instant_retries() -> Iterator[None]:
    """Retries go at once in tests (stamina's test mode); each call keeps its attempt cap."""
    import stamina

    with stamina.set_testing(True, attempts=1_000, cap=True):
        yield


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio (what the CLI uses)."""
    return "asyncio"


@pytest.fixture
def fast_sandbox() -> Iterator[SandboxServer]:
    """A fresh sandbox on a loopback port: workflows in milliseconds, limits out of the way."""
    from csv_enrich.sandbox import SandboxConfig, SandboxServer

    config = SandboxConfig(
        credits=100_000, time_scale=0.001, rate_limit_per_min=100_000,
        org_rate_limit_per_min=100_000,
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A private journal + cache directory, so tests never share results."""
    return tmp_path / "state"
