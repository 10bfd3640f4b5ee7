"""Helpers of the cohort and account CLI tests: the CLI on a sandbox, cohorts to enrich."""

from __future__ import annotations

import base64
import csv
from pathlib import Path

import httpx
from click.testing import CliRunner, Result

from csv_enrich.cli.commands import main
from csv_enrich.sandbox import SandboxServer


def run(args: list[str], server: SandboxServer | None = None, **env: str) -> Result:
    """The CLI in-process, as a script (no terminal), on the server's API."""
    if server is not None:
        env = {"CLEANLIST_API_KEY": server.api_key, "CLEANLIST_BASE_URL": server.base_url, **env}
        args = [*args, "--rate-limit", "6000"]
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def api(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, timeout=10,
                        headers={"Authorization": f"Bearer {server.api_key}"})


def person_cohort(server: SandboxServer, n: int, name: str = "cohort") -> tuple[str, list[str]]:
    """A lead list of `n` people; the task_id of its leads page and the lead ids."""
    text = "email,first_name,last_name,company_name\n" + "\n".join(
        f"p{i}.{name}@acme{i}.io,Pat{i},Lee{i},Acme {i}" for i in range(n))
    with api(server) as c:
        list_id = c.post("/lead-lists", json={"name": name}).json()["list_id"]
        c.post(f"/lead-lists/{list_id}/csv-import", json={
            "csv_content_base64": base64.b64encode(text.encode()).decode(),
            "column_mapping": {"email": "email", "first_name": "first_name",
                               "last_name": "last_name", "company_name": "company_name"},
            "dispatch_enrichment": False})
        page = c.get(f"/lead-lists/{list_id}/leads", params={"limit": 500}).json()
    return page["task_id"], [lead["lead_id"] for lead in page["leads"]]


def company_cohort(server: SandboxServer, domains: list[str]) -> str:
    root = server.base_url.removesuffix("/api/v2")
    body = {"entity_kind": "company", "entity_ids": domains}
    return str(httpx.post(root + "/_sandbox/tasks", json=body).json()["task_id"])


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def balance(server: SandboxServer) -> int:
    with api(server) as c:
        return int(c.get("/credits/balance").json()["credits"])


def by_task_calls(server: SandboxServer) -> int:
    return sum(1 for r in server.ledger()["requests"]
               if r["path"].endswith("/enrichment/by-task") and r["status"] == 200)
