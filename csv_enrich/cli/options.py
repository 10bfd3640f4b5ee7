"""The CLI's shared options and the translation of parsed values into the library's types.

Option defaults come from `Connection` and `EnrichOptions` (stated there once). No printing here
(commands.py prints); these functions only parse, validate and build.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from csv_enrich.errors import AuthError, UsageError
from csv_enrich.models import ENRICHMENT_TYPES, FIELDS, Connection, EnrichOptions

SANDBOX_CREDITS = 10_000
SANDBOX_HOME = "sandbox://embedded/api/v2"  # what --sandbox runs and results belong to
CREATE_KEY = "Create a key in the Cleanlist app (app.cleanlist.ai, API keys; Pro plan or above)"
KEY_HELP = (
    "No API key. Set CLEANLIST_API_KEY (export CLEANLIST_API_KEY=clapi_...), "
    f"pass --api-key-file FILE, or try it on the local sandbox with --sandbox. {CREATE_KEY}."
)
REFUSED = ("The API key from {source} was refused: it is wrong, revoked or expired. "
           f"{CREATE_KEY}, then set CLEANLIST_API_KEY or pass --api-key-file FILE.")


def connection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options every command that talks to the API shares."""
    options = [
        click.option("--sandbox", is_flag=True,
                     help="Run against a local Cleanlist sandbox (no key, no real credits)."),
        click.option("--api-key-file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Read the API key from this file (else env CLEANLIST_API_KEY)."),
        click.option("--base-url", envvar="CLEANLIST_BASE_URL", default=Connection.base_url,
                     show_default=True, help="API base URL (env CLEANLIST_BASE_URL)."),
        click.option("--state-dir", envvar="CSV_ENRICH_STATE_DIR",
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Where the run journal and result cache live "
                          "(env CSV_ENRICH_STATE_DIR; default: your user state directory)."),
        click.option("--rate-limit", "rate_limit", type=click.IntRange(1, 6000),
                     default=Connection.rate_limit_per_min,
                     show_default=True, help="Requests per minute your API plan allows."),
        click.option("--debug", is_flag=True, help="Show tracebacks on errors."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def reading_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options that decide how the input is read, mapped and priced."""
    options = [
        click.argument("input", type=click.Path(path_type=Path)),
        click.option("--kind", type=click.Choice(["auto", "person", "company"]),
                     default=EnrichOptions.kind,
                     show_default=True, help="What the rows are."),
        click.option("--type", "enrichment_type", type=click.Choice(ENRICHMENT_TYPES),
                     default=EnrichOptions.enrichment_type, show_default=True,
                     help="partial = email (1 credit), phone_only = phone (10), full = both (11)."),
        click.option("--mode", type=click.Choice(["auto", "rows", "bulk", "legacy"]),
                     default=EnrichOptions.mode, show_default=True,
                     help="rows = one request per person; bulk = CSV import + one bulk run; "
                          "legacy = the legacy bulk endpoint, 250 people a call."),
        click.option("--map", "maps", multiple=True, metavar="'HEADER=field'",
                     help=f"Map a column by hand (repeatable; several for one field: best "
                          f"first). Fields: {', '.join(FIELDS)}, ignore."),
        click.option("--sheet", help="Workbook sheet to read (default: the first with leads)."),
        click.option("--limit", type=click.IntRange(min=1),
                     help="Enrich only the first N rows of leads; the rest stay in the output "
                          "unchanged, marked skipped."),
        click.option("--no-cache", "--refresh", "no_cache", is_flag=True,
                     help="Buy everything again on purpose, even what was enriched (or not "
                          "found) within --max-age."),
        click.option("--max-age", type=click.FloatRange(min=0), default=EnrichOptions.max_age_days,
                     show_default=True,
                     help="Reuse results enriched within this many days."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def output_path(output: Path | None, input_path: Path) -> Path:
    """-o, else NAME.enriched.EXT beside the input, never over a file."""
    if output is not None:
        return output
    from csv_enrich.output.write import default_output

    return default_output(input_path)


def parse_maps(maps: tuple[str, ...]) -> dict[str, str]:
    """'Work Email=email' -> {'Work Email': 'email'}; the field is checked against FIELDS."""
    parsed: dict[str, str] = {}
    for item in maps:
        header, sep, field = item.rpartition("=")
        field = field.strip().lower()
        if not sep or not header.strip() or field not in (*FIELDS, "ignore"):
            raise UsageError(
                f"--map {item!r} is not HEADER=field. Fields: {', '.join(FIELDS)}, ignore. "
                f"Example: --map 'Work Email=email'"
            )
        parsed[header.strip()] = field
    return parsed


@contextlib.contextmanager
def connection(
    *, sandbox: bool, api_key_file: Path | None, base_url: str, state_dir: Path | None,
    rate_limit: int,
) -> Iterator[Connection]:
    """The connection to use: a sandbox started here, or the real API with the user's key. A
    key the API refuses (401) is reported with where it came from and where to get one."""
    with _refused_key(key_source(sandbox, api_key_file)):
        if sandbox:
            with embedded_sandbox(state_dir or state_dir_default(), rate_limit) as conn:
                yield conn
            return
        yield Connection(base_url=base_url, api_key=api_key(api_key_file), state_dir=state_dir,
                         rate_limit_per_min=rate_limit)


@contextlib.contextmanager
def embedded_sandbox(state_dir: Path, rate_limit: int) -> Iterator[Connection]:
    """`--sandbox`: one local Cleanlist per state directory that lasts across invocations (its
    lists, workflows, balance and key in `<state-dir>/sandbox/`), so a rerun finds what it paid
    for and a Ctrl-C'd run resumes, as with the real API. Its port changes on every start, so
    runs and results belong to SANDBOX_HOME, not to the port. One invocation holds it at a time
    (another waits, and says so on stderr): two would each save over the other's state."""
    from filelock import FileLock, Timeout

    from csv_enrich.sandbox import SandboxConfig, SandboxServer

    home = state_dir / "sandbox"
    home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(home / "sandbox.lock")
    try:
        lock.acquire(blocking=False)
    except Timeout:
        click.echo("Waiting for another csv-enrich --sandbox command on this state directory "
                   "to finish...", err=True)
        lock.acquire()
    try:
        config = SandboxConfig(credits=SANDBOX_CREDITS, time_scale=0.1,
                               state_file=home / "sandbox.json")
        with SandboxServer(config) as server:
            yield Connection(base_url=server.base_url, api_key=server.api_key,
                             home_url=SANDBOX_HOME, state_dir=home, rate_limit_per_min=rate_limit)
    finally:
        lock.release()


def key_source(sandbox: bool, api_key_file: Path | None) -> str:
    """Where the key of this command comes from, in the words of its option or variable."""
    if sandbox:
        return "the embedded sandbox (--sandbox)"
    if api_key_file is not None:
        return f"--api-key-file {api_key_file}"
    return "CLEANLIST_API_KEY"


@contextlib.contextmanager
def _refused_key(source: str) -> Iterator[None]:
    try:
        yield
    except AuthError as exc:
        if exc.status != 401:
            raise
        raise AuthError(REFUSED.format(source=source), status=401, code=exc.code,
                        request_id=exc.request_id) from None


def offline_connection(
    *, api_key_file: Path | None, base_url: str, state_dir: Path | None, sandbox: bool = False,
) -> Connection:
    """The API and key an estimate's cache hits belong to; nothing is sent, no key is needed.
    With `sandbox`, those of the embedded sandbox (`embedded_sandbox`), which is not started."""
    if sandbox:
        from csv_enrich.sandbox.state import seeded_key

        return Connection(base_url=SANDBOX_HOME, home_url=SANDBOX_HOME, api_key=seeded_key(0),
                          state_dir=(state_dir or state_dir_default()) / "sandbox")
    try:
        key = api_key(api_key_file)
    except AuthError:
        key = ""
    return Connection(base_url=base_url or Connection.base_url, api_key=key, state_dir=state_dir)


def check_output(options: EnrichOptions) -> None:
    """Refuse an output or report path that cannot be written, as the real run would."""
    from csv_enrich.output.write import check_writable
    from csv_enrich.runner import check_report_kept, report_path

    assert options.output is not None
    check_writable(options.output, report_path(options), input_path=options.input)
    if options.report is None:
        check_report_kept(options.output, report_path(options))


def state_dir_default() -> Path:
    """The user's state directory (the journal module is imported only when it is needed)."""
    from csv_enrich.journal import default_state_dir

    return default_state_dir()


def api_key(key_file: Path | None) -> str:
    """The key from --api-key-file or CLEANLIST_API_KEY; never printed."""
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AuthError(f"Cannot read --api-key-file {key_file}: {exc.strerror}.") from None
    else:
        key = os.environ.get("CLEANLIST_API_KEY", "").strip()
    if not key and key_file is not None:
        raise AuthError(f"--api-key-file {key_file} is empty; put the clapi_ key in it. "
                        f"{CREATE_KEY}.")
    if not key:
        raise AuthError(KEY_HELP)
    return key
