"""One exception tree. Every message says what to do next; the CLI maps each class to an exit code.

    CsvEnrichError                     exit_code
    ├── UsageError                     2  a wrong option or combination of options
    │   ├── InputError                 2  the input file cannot be read (names the file)
    │   │   └── MappingError           2  no usable identifier columns, bad --map, ambiguity
    │   └── OutputError                2  the output cannot be written (checked before spending)
    ├── CreditsError                   3  over --max-credits, or the balance is too low
    ├── ApiError                       5  the API answered with an error, or did not answer
    │   ├── AuthError                  4  401 unauthorized, 403 insufficient_scope, no key
    │   ├── InsufficientCreditsError   3  400 insufficient_credits (also a CreditsError)
    │   ├── RateLimitedError           5  429 after retries
    │   ├── ServerError                5  5xx after retries (503 included)
    │   ├── TransportError             5  no answer: connection refused, reset, timed out
    │   ├── NotFoundError              5  404 (company not found is an outcome, not this)
    │   ├── RequestRejectedError       5  400/409/413/422 the API refused the request as sent
    │   └── QuoteError                 5  quote expired, mismatched, already used, spend cap
    └── Interrupted                  130  Ctrl-C: state is saved; the same command resumes

Messages never contain the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    """The documented exit codes of csv-enrich."""

    OK = 0
    ROWS_FAILED = 1
    USAGE = 2
    CREDITS = 3
    AUTH = 4
    API_UNAVAILABLE = 5
    INTERRUPTED = 130


class CsvEnrichError(Exception):
    """Base of every error csv-enrich reports to a person."""

    exit_code: ExitStatus = ExitStatus.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CsvEnrichError):
    """A wrong option, or options that do not go together."""


class InputError(UsageError):
    """The input file cannot be read or understood."""


class MappingError(InputError):
    """No column could be used as an identifier, or the mapping is ambiguous."""


class OutputError(UsageError):
    """The output or the report cannot be written where asked."""


class CreditsError(CsvEnrichError):
    """The run would cost more than allowed (--max-credits) or than the balance holds."""

    exit_code = ExitStatus.CREDITS


class Interrupted(CsvEnrichError):
    """The run was interrupted; its state is saved and the same command resumes it."""

    exit_code = ExitStatus.INTERRUPTED


class ApiError(CsvEnrichError):
    """The Cleanlist API answered with an error, or did not answer at all.

    `status` is the HTTP status (0 when there was no answer), `code` the machine code of the
    error envelope (or ``validation_error`` for a 422 ``detail`` array), `details` the rest of
    the envelope.
    """

    exit_code = ExitStatus.API_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        request_id: str | None = None,
        retry_after: float | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id
        self.retry_after = retry_after
        self.details: Mapping[str, Any] = details or {}


class AuthError(ApiError):
    """The key is missing, unknown, or lacks a scope."""

    exit_code = ExitStatus.AUTH


class InsufficientCreditsError(ApiError, CreditsError):
    """The organisation's balance does not cover the call."""

    exit_code = ExitStatus.CREDITS


class RateLimitedError(ApiError):
    """429: the key or the organisation is over its request rate."""


class ServerError(ApiError):
    """5xx: the service failed or is unavailable."""


class TransportError(ApiError):
    """No answer: the connection failed, was reset, or timed out."""


class NotFoundError(ApiError):
    """404: the thing asked for does not exist (or is not visible to this key)."""


class RequestRejectedError(ApiError):
    """400/409/413/422: the API refused the request as sent."""


class QuoteError(RequestRejectedError):
    """The quote expired, does not match the request, was already used, or is exceeded."""
