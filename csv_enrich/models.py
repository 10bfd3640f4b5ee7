"""Frozen records every layer shares. No I/O here.

The pipeline speaks in these:

    read -> Table            (text cells, source row numbers)
    mapping -> ColumnMap     (which header became which identifier field)
    rules -> Identity | Invalid   (one per data row)
    plan -> Plan             (what will be sent, what is cached, what it may cost)
    engine -> Outcome        (one per identity; rows and bulk strategies return the same records)
    write -> Report          (the cost report, schema csv-enrich/report@1)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeGuard, overload

Kind = Literal["person", "company"]
EnrichmentType = Literal["partial", "phone_only", "full"]
Mode = Literal["rows", "bulk", "legacy", "sync"]
RowStatus = Literal["enriched", "not_found", "invalid", "failed", "skipped", "not_data"]

KINDS: tuple[Kind, ...] = ("person", "company")
ENRICHMENT_TYPES: tuple[EnrichmentType, ...] = ("partial", "phone_only", "full")
ROW_STATUSES: tuple[RowStatus, ...] = ("enriched", "not_found", "invalid", "failed", "skipped")

# Identifier fields a column can be mapped to (the --map vocabulary).
PERSON_FIELDS: tuple[str, ...] = (
    "email",
    "linkedin_url",
    "person_id",
    "first_name",
    "last_name",
    "full_name",
    "company_name",
    "domain",
    "website",
    "phone",
)
COMPANY_FIELDS: tuple[str, ...] = (
    "domain",
    "website",
    "company_name",
    "company_ticker",
    "company_id",
)
FIELDS: tuple[str, ...] = tuple(dict.fromkeys(PERSON_FIELDS + COMPANY_FIELDS))

# Appended columns, in order (the interface of issue 2).
PERSON_COLUMNS: tuple[str, ...] = (
    "enriched_email",
    "enriched_email_status",
    "enriched_phone",
    "enriched_linkedin_url",
    "enriched_full_name",
    "enriched_title",
    "enriched_company",
    "enrichment_status",
    "enrichment_note",
    "enrichment_credits",
)
COMPANY_COLUMNS: tuple[str, ...] = (
    "enriched_company_name",
    "enriched_domain",
    "enriched_industry",
    "enriched_employee_count",
    "enriched_employee_count_range",
    "enriched_revenue_range",
    "enriched_hq_location",
    "enriched_funding_stage",
    "enriched_tech_stack",
    "enriched_linkedin_url",
    "enrichment_status",
    "enrichment_note",
    "enrichment_credits",
)

# Credits per lead (maximum) by enrichment type; a company lookup costs 1.
PERSON_PRICE: Mapping[EnrichmentType, int] = {"partial": 1, "phone_only": 10, "full": 11}
EMAIL_PRICE = 1
PHONE_PRICE = 10
COMPANY_PRICE = 1


def columns_for(kind: Kind) -> tuple[str, ...]:
    """The appended output columns for a kind of file."""
    return PERSON_COLUMNS if kind == "person" else COMPANY_COLUMNS


def price(kind: Kind, enrichment_type: EnrichmentType) -> int:
    """The most one identity can cost."""
    return PERSON_PRICE[enrichment_type] if kind == "person" else COMPANY_PRICE


@dataclass(frozen=True)
class Identity:
    """A normalised, valid identifier set for one person or company.

    `key` is the normalised identity used for de-duplication, the result cache and joining bulk
    results back onto rows, e.g. ``li:jane-doe``, ``email:jane@acme.io``, ``pid:p_123``,
    ``name:jane|doe|acme.io`` (person) or ``domain:acme.io``, ``name:acme``, ``ticker:acme``,
    ``cid:c_1`` (company). Two rows with the same key are the same person and are paid for once.
    """

    kind: Kind
    key: str
    email: str | None = None
    linkedin_url: str | None = None
    person_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    domain: str | None = None
    company_ticker: str | None = None
    company_id: str | None = None
    phone: str | None = None
    # Every key this identity answers to (`key` first): a row with an email and a LinkedIn URL
    # is the same person as a row with only that email, and is paid for once.
    aliases: tuple[str, ...] = ()

    def fields(self) -> dict[str, str]:
        """The identifier fields that are set, by field name."""
        names = (
            "email",
            "linkedin_url",
            "person_id",
            "first_name",
            "last_name",
            "company_name",
            "domain",
            "company_ticker",
            "company_id",
            "phone",
        )
        return {n: v for n in names if (v := getattr(self, n)) is not None}


class LazyIdentities(Sequence[Identity]):
    """Identities known by their keys, built only when one is asked for: a plan of 100k rows is
    counted and priced (`estimate`) without building 100k records; a run builds them (once) as
    it sends them. Equal to any sequence of the same identities (a tuple too)."""

    def __init__(self, keys: Sequence[str], build: Callable[[], Sequence[Identity]]) -> None:
        self._keys = keys
        self._build: Callable[[], Sequence[Identity]] | None = build
        self._built: tuple[Identity, ...] = ()

    @property
    def keys(self) -> Sequence[str]:
        """The identities' keys, in order."""
        return self._keys

    def built(self) -> tuple[Identity, ...]:
        """Every identity, built on first use."""
        if self._build is not None:
            self._built, self._build = tuple(self._build()), None
        return self._built

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> Identity: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Identity, ...]: ...

    def __getitem__(self, index: int | slice) -> Identity | tuple[Identity, ...]:
        return self.built()[index]

    def __iter__(self) -> Iterator[Identity]:
        return iter(self.built())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and self.built() == tuple(other)

    def __hash__(self) -> int:
        return hash(self.built())

    def __repr__(self) -> str:
        return f"LazyIdentities({len(self)} identities)"


def identity_keys(idents: Sequence[Identity]) -> Sequence[str]:
    """The keys of `idents` in order (without building lazy ones)."""
    return idents.keys if isinstance(idents, LazyIdentities) else [i.key for i in idents]


@dataclass(frozen=True)
class Invalid:
    """A row that cannot be sent, with a reason a person understands."""

    reason: str


@dataclass(frozen=True)
class NotData(Invalid):
    """A row that is not a lead (an empty row, a report footer): kept in the output where it
    was, never sent, and counted apart from the rows (neither valid nor invalid)."""


@dataclass(frozen=True)
class NotSent(Invalid):
    """A data row left out on purpose (past --limit): kept in the output unchanged, marked
    `skipped` with the reason, never sent; a row (in `total`), neither valid nor invalid."""


def is_invalid(key: object) -> TypeGuard[Invalid]:
    """Whether a row key is an invalid row's verdict (not a row that is not data or not sent)."""
    return isinstance(key, Invalid) and not isinstance(key, NotData | NotSent)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one identity: the same record from the rows and bulk strategies.
    Slotted: a 100k-row run holds one per identity (and per row in the output's join), and
    slots keep each about 95 bytes instead of 145 (no per-instance __dict__).

    `data` holds the enriched values keyed by the output column without its ``enriched_``
    prefix (``email``, ``email_status``, ``phone``, ... or ``industry``, ``tech_stack``, ...).
    `credits` is what the API settled for this identity (0 for cache hits and not-found).
    """

    key: str
    status: RowStatus
    note: str = ""
    credits: int = 0
    data: Mapping[str, str] = field(default_factory=dict)
    workflow_id: str | None = None
    # The key of another identity the API answered with the same lead (one person under two
    # identities): that one carries the credits, this one shows "same person as row N".
    same_as: str | None = None
    # The key of another identity whose row carries the credits this one may have cost (lost
    # answers whose leads cannot be told apart: one row of the group carries what they cost)
    credits_on: str | None = None


@dataclass(frozen=True)
class WorkflowRecord:
    """One async workflow (or sync call batch) as the API settled it."""

    workflow_id: str
    status: str
    credits_reserved: int = 0
    credits_charged: int = 0
    credits_refunded: int = 0
    refund_status: str | None = None
    refund_message: str | None = None


ModeChoice = Literal["auto", "rows", "bulk", "legacy"]
KindChoice = Literal["auto", "person", "company"]


@dataclass(frozen=True)
class Plan:
    """What a run will do, decided before anything is spent.

    `row_keys` has one entry per row of the table in row order: the identity key the row shares
    with every duplicate of it, or the row's `Invalid` verdict (`NotData` for an empty row or a
    report footer, which `total` leaves out; `NotSent` for a row past --limit). `identities`
    are the unique identities that will be sent (first-seen order, cache hits excluded);
    `cached` holds the cache hits.
    `mode` is what was asked; `plan.choose_route` decides what runs (and the report says what
    did). `max_credits` is the cap the run may never pass (--max-credits), checked before the
    run (`plan.check_budget`) and before every paid call (the engine).
    `run_id` identifies the run in the journal: the input's content plus the options that change
    what is bought, so the same command after a crash resumes the same run.
    """

    kind: Kind
    enrichment_type: EnrichmentType
    mode: Literal["auto", "rows", "bulk", "legacy", "sync"]
    row_keys: tuple[str | Invalid, ...]
    identities: Sequence[Identity]
    cached: Mapping[str, Outcome]
    duplicates: int
    estimated_max: int
    run_id: str
    # data row index -> what the row's reading deserves saying (a cell held several emails)
    row_notes: Mapping[int, str] = field(default_factory=dict)
    max_credits: int | None = None
    # identity key -> the enrichment type to buy when it is not `enrichment_type`: a --type full
    # run buys phone_only for a person whose email an earlier run found (or did not find)
    types: Mapping[str, EnrichmentType] = field(default_factory=dict)
    # identity key -> what the cache already knows of it (merged into what is bought)
    prefill: Mapping[str, Outcome] = field(default_factory=dict)
    # identities an interrupted run (this one) already paid for or has in flight: its resume
    # pays nothing new for them, so `estimated_max` leaves them out
    in_hand: frozenset[str] = frozenset()
    # company lookups among `in_hand` whose call never saw its end: their quote is resent
    # (charged once if the first call never ran), so `estimated_max` counts them
    resend: frozenset[str] = frozenset()
    # the most the run can cost across its resumes (what this run, or an earlier run it
    # collects, paid before an interruption counted too, as credits.charged counts it): the
    # report's estimate; None: `estimated_max`
    run_max: int | None = None

    @property
    def to_pay(self) -> int:
        """Identities still to be paid for (those in hand left out)."""
        keys = identity_keys(self.identities)
        return len(keys) - sum(1 for k in keys if k in self.in_hand) if self.in_hand else len(keys)

    def type_of(self, key: str) -> EnrichmentType:
        """The enrichment type bought for identity `key`."""
        return self.types.get(key, self.enrichment_type)

    def type_mix(self) -> dict[EnrichmentType, int]:
        """How many identities to send by enrichment type (what the estimate shows)."""
        keys = identity_keys(self.identities)
        if not self.types:
            return {self.enrichment_type: len(keys)} if keys else {}
        mix: dict[EnrichmentType, int] = {}
        for key in keys:
            etype = self.type_of(key)
            mix[etype] = mix.get(etype, 0) + 1
        return mix

    @property
    def not_data_count(self) -> int:
        """Rows that are not leads (empty rows, report footers): not counted as rows."""
        return sum(isinstance(k, NotData) for k in self._set_apart)

    @property
    def total(self) -> int:
        """The data rows: every row but those that are not data."""
        return len(self.row_keys) - self.not_data_count

    @property
    def invalid_count(self) -> int:
        return sum(is_invalid(k) for k in self._set_apart)

    @property
    def not_sent_count(self) -> int:
        """Data rows left out by --limit (kept in the output as `skipped`)."""
        return sum(isinstance(k, NotSent) for k in self._set_apart)

    @cached_property
    def _set_apart(self) -> tuple[str | Invalid, ...]:
        """The row keys that are not keys (invalid rows, rows not data or not sent): found
        once, so that counting them again and again (the estimate does) costs nothing."""
        return tuple(k for k in self.row_keys if not isinstance(k, str))

    @property
    def valid_count(self) -> int:
        return self.total - self.invalid_count - self.not_sent_count


@dataclass(frozen=True)
class Progress:
    """A progress tick from the engine to whoever shows it (the CLI)."""

    done: int
    total: int
    credits: int
    requests: int
    waiting_on_rate_limit: bool = False
    message: str = ""
    # While the API is unreachable or answering 5xx: why, and when the client tries again.
    api_trouble: str = ""


@dataclass(frozen=True)
class RunResult:
    """What the engine did: one Outcome per identity sent, and the money and requests it took."""

    mode: Mode
    outcomes: Mapping[str, Outcome]
    workflows: tuple[WorkflowRecord, ...] = ()
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    credits_reserved: int = 0
    balance_before: int | None = None
    balance_after: int | None = None
    warnings: tuple[str, ...] = ()
    # True when the journal already knew this run: this invocation resumed an interrupted run
    # (or replayed a finished one, sending nothing); its figures cover the whole run.
    resumed: bool = False
    # Submissions of this invocation whose answer was lost: sent again because the API showed
    # no trace of them, and legacy batches nobody can tell ran or not (no credits claimed)
    lost_untraced: int = 0
    lost_undecided: int = 0


JOURNAL_FILE = "journal.sqlite3"  # the journal's one file in the state directory (journal.store)


def default_state_dir() -> Path:
    """The user's state directory for csv-enrich (``CSV_ENRICH_STATE_DIR`` is the CLI's job).
    Here, not in journal.store (which re-exports it): an estimate without a state directory
    asks where it would be and imports none of the journal."""
    import platformdirs

    return Path(platformdirs.user_state_dir("csv-enrich"))


def scope_of(base_url: str, api_key: str) -> str:
    """The API endpoint and account a result or submission belongs to, as a one-way hash."""
    import hashlib  # here, not at the top: `csv-enrich --help` imports this module
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(base_url.strip())
    url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))
    text = f"{url}\n{api_key}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Connection:
    """Where and as whom csv-enrich talks to the API, and where its journal and cache live.

    Account-level commands (`balance`) need only this; a run carries one in `EnrichOptions`.
    The defaults here are the only ones: the CLI takes its option defaults from this class.
    The API key is kept out of `repr` so it can never leak into a log or a traceback.
    """

    base_url: str = "https://api.cleanlist.ai/api/v2"
    api_key: str = field(default="", repr=False)
    state_dir: Path | None = None  # None: the user's state directory
    rate_limit_per_min: int = 30
    # The API's lasting name when base_url is not (the embedded sandbox gets a new port on
    # every start, its state and key stay): what runs, results and submissions belong to.
    home_url: str = ""

    @property
    def home(self) -> str:
        """The API the account lives at: `home_url`, else `base_url`."""
        return self.home_url or self.base_url

    @property
    def scope(self) -> str:
        """The endpoint and account results and submissions belong to (`scope_of`)."""
        return scope_of(self.home, self.api_key)


@dataclass(frozen=True)
class EnrichOptions:
    """One job: what to read, how to understand and price it, where to write, and the
    connection to run it on. Built by the CLI (or a library caller) and passed down; each
    default is stated here once (the CLI takes its option defaults from this class)."""

    input: Path
    output: Path | None = None
    report: Path | None = None  # None: the output's name without its suffix + .report.json
    kind: KindChoice = "auto"
    enrichment_type: EnrichmentType = "partial"
    mode: ModeChoice = "auto"
    mapping_overrides: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    limit: int | None = None
    max_credits: int | None = None
    yes: bool = False
    concurrency: int = 8
    use_cache: bool = True
    max_age_days: float = 30.0
    bom: bool = False
    connection: Connection = field(default_factory=Connection)
