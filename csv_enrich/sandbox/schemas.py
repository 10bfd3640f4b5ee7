"""Request schemas, validated like the real FastAPI/Pydantic service: violations become 422 details.

Every request model is closed (extra="forbid"). A `Field` names the JSON type, whether null is
allowed, enum values and length bounds; `validate_body` returns the body with defaults filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .wire import SchemaError, detail

TYPE_MSG = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary"),
}
MISSING = object()


@dataclass(frozen=True)
class Field:
    """One property of a request model."""

    type: str
    required: bool = False
    nullable: bool = True
    default: Any = None
    enum: tuple[str, ...] | None = None
    min_len: int | None = None
    max_len: int | None = None
    items: str | None = None  # item type of an array


def _is_type(value: Any, type_: str) -> bool:
    checks: dict[str, Any] = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return bool(checks[type_](value))


def _length_errors(loc: list[str | int], value: Any, f: Field) -> list[dict[str, Any]]:
    is_str = isinstance(value, str)
    noun = "character" if is_str else "item"
    prefix = ("string_" if is_str else "") + "too_"
    head = "String" if is_str else "List"
    if f.min_len is not None and len(value) < f.min_len:
        plural = "" if f.min_len == 1 else "s"
        msg = f"{head} should have at least {f.min_len} {noun}{plural}"
        return [detail(loc, msg, prefix + "short")]
    if f.max_len is not None and len(value) > f.max_len:
        msg = f"{head} should have at most {f.max_len} {noun}s"
        return [detail(loc, msg, prefix + "long")]
    return []


def _field_errors(loc: list[str | int], value: Any, f: Field) -> list[dict[str, Any]]:
    if value is None:
        return [] if f.nullable else [detail(loc, *reversed(TYPE_MSG[f.type]))]
    if not _is_type(value, f.type):
        type_, msg = TYPE_MSG[f.type]
        return [detail(loc, msg, type_)]
    if f.enum is not None and value not in f.enum:
        choices = ", ".join(f"'{e}'" for e in f.enum[:-1]) + f" or '{f.enum[-1]}'"
        return [detail(loc, f"Input should be {choices}", "literal_error")]
    errors = _length_errors(loc, value, f) if f.type in ("string", "array") else []
    if f.type == "array" and f.items:
        for i, item in enumerate(value):
            errors += _field_errors([*loc, i], item, Field(f.items, nullable=False))
    return errors


def validate_body(body: Any, model: dict[str, Field], where: str = "body") -> dict[str, Any]:
    """Check `body` against `model`; raise SchemaError (422) or return it with defaults filled."""
    if not isinstance(body, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        raise SchemaError([detail([where], msg, "model_attributes_type")])
    errors: list[dict[str, Any]] = []
    for name, f in model.items():
        if name not in body:
            if f.required:
                errors.append(detail([where, name], "Field required", "missing"))
            continue
        errors += _field_errors([where, name], body[name], f)
    extra = [k for k in body if k not in model]
    msg = "Extra inputs are not permitted"
    errors += [detail([where, k], msg, "extra_forbidden") for k in extra]
    if errors:
        raise SchemaError(errors)
    return {name: body.get(name, f.default) for name, f in model.items()}


def _req(type_: str, **kw: Any) -> Field:
    return Field(type_, required=True, nullable=False, **kw)


STR = Field("string")
PERSON_TYPES = ("partial", "phone_only", "full")
LIST_SCOPES = ("partial", "full", "phone-only")

CREATE_LIST = {
    "name": _req("string", min_len=1, max_len=200),
    "description": STR,
    "folder_id": STR,
}
UPDATE_LIST = {
    "name": Field("string", min_len=1, max_len=200),
    "description": STR,
    "folder_id": STR,
}
ENRICH_PERSON = {
    "lead_list_id": _req("string"),
    **dict.fromkeys(("email", "linkedin_url", "phone", "first_name", "last_name"), STR),
    **dict.fromkeys(("company_name", "domain", "person_id"), STR),
    "enrichment_type": Field("string", enum=PERSON_TYPES),
    "include_phone": Field("boolean", nullable=False, default=False),
    "quote_id": STR,
}
ENRICH_COMPANY = dict.fromkeys(
    ("domain", "company_name", "company_ticker", "company_id", "quote_id"), STR
)
ENRICH_LIST = {
    "list_id": _req("string"),
    "scope": Field("string", nullable=False, default="partial", enum=LIST_SCOPES),
    "quote_id": _req("string"),
}
ENRICH_BY_TASK = {
    "task_id": _req("string"),
    "data_points": _req("array", items="string"),
    "entity_ids": Field("array", items="string"),
    "lead_list_id": STR,
    "quote_id": STR,
}
ESTIMATE = {
    "tool": _req("string"),
    "list_id": STR,
    "filters": Field("object"),
    "row_count": Field("integer"),
    "scope": STR,
    "agent_type": STR,
    "include_phone": Field("boolean", nullable=False, default=False),
    "provider": STR,
    "sub_action": STR,
    "enrichment_type": STR,
    "task_id": STR,
    "data_points": Field("array", items="string"),
    "entity_ids": Field("array", items="string"),
    "extra": Field("object"),
}
CSV_IMPORT = {
    "csv_content_base64": _req("string"),
    "column_mapping": _req("object"),
    "dispatch_enrichment": Field("boolean", nullable=False, default=True),
    "enrichment_type": Field("string", enum=PERSON_TYPES),
    "quote_id": STR,
    "idempotency_key": STR,
}
ADD_BY_IDS = {
    "lead_ids": _req("array", items="string", min_len=1, max_len=1000),
    "idempotency_key": Field("string", max_len=128),
}
ADD_BY_COHORT = {
    "task_id": _req("string"),
    "entity_ids": Field("array", items="string", max_len=2000),
    "idempotency_key": Field("string", max_len=128),
}
REMOVE_LEADS = {"lead_ids": _req("array", items="string", min_len=1, max_len=100)}
EXPORT_CSV = {
    "list_id": _req("string"),
    "columns": Field("array", items="string"),
    "include_smart_agents": Field("boolean", nullable=False, default=True),
}


def validate_add_leads(body: Any) -> dict[str, Any]:
    """The exclusive oneOf of add-leads: exactly one of lead_ids / task_id mode must match."""
    matches: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for model in (ADD_BY_IDS, ADD_BY_COHORT):
        try:
            matches.append(validate_body(body, model))
        except SchemaError as exc:
            errors += exc.detail
    if len(matches) == 1:
        return matches[0]
    if matches:
        msg = "Input should match exactly one of AddByLeadIds, AddByCohort"
        raise SchemaError([detail(["body"], msg, "union_tag_not_found")])
    raise SchemaError(errors)


def int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """A bounded integer query parameter, or a 422 naming it."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = "Input should be a valid integer, unable to parse string as an integer"
        raise SchemaError([detail(["query", name], msg, "int_parsing")]) from None
    if value < low:
        msg = f"Input should be greater than or equal to {low}"
        raise SchemaError([detail(["query", name], msg, "greater_than_equal")])
    if value > high:
        msg = f"Input should be less than or equal to {high}"
        raise SchemaError([detail(["query", name], msg, "less_than_equal")])
    return value
