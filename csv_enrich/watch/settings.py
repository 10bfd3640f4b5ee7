"""The folder's settings: FOLDER/csv-enrich.toml, read afresh for every file.

Unknown keys are refused rather than ignored: a misspelt cap must not silently mean "no cap".
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csv_enrich.models import ENRICHMENT_TYPES, FIELDS, EnrichmentType, KindChoice

DEFAULT_FILE_CAP = 1000
KINDS = ("auto", "person", "company")
KEYS = ("type", "kind", "max_credits_per_file", "max_credits_per_day", "map")

TEMPLATE = """\
# csv-enrich drop folder settings, read again for every file dropped into inbox/.
# Remove the '#' in front of a line to use it. See the README ("The drop folder").

# type = "partial"              # partial (email, 1 credit) | phone_only (10) | full (11)
# kind = "auto"                 # auto | person | company
# max_credits_per_file = 1000   # a file that can cost more waits for approval
# max_credits_per_day = 5000    # never spend more than this in a day (unset: no daily cap)

# [map]                         # map columns by hand: "Header" = "field"
# "Work Email" = "email"
"""


class SettingsError(Exception):
    """The settings file cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class Settings:
    """What the folder's owner chose; the defaults hold when the file or a key is absent."""

    enrichment_type: EnrichmentType = "partial"
    kind: KindChoice = "auto"
    max_credits_per_file: int | None = DEFAULT_FILE_CAP
    max_credits_per_day: int | None = None
    mapping_overrides: Mapping[str, str] = field(default_factory=dict)


def read_settings(path: Path) -> Settings:
    """The settings in `path` (defaults when it does not exist). Raises SettingsError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path.name} cannot be read ({exc}); check its permissions") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path.name} is not valid TOML ({exc}); fix that line") from None
    return parse_settings(data, path.name)


def parse_settings(data: Mapping[str, Any], name: str = "csv-enrich.toml") -> Settings:
    """Check every key of the parsed TOML and build Settings."""
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise SettingsError(f"{name}: unknown setting {unknown[0]!r}; the settings are "
                            f"{', '.join(KEYS)}")
    return Settings(
        enrichment_type=_choice(data, "type", ENRICHMENT_TYPES, "partial", name),  # type: ignore[arg-type]
        kind=_choice(data, "kind", KINDS, "auto", name),  # type: ignore[arg-type]
        max_credits_per_file=_cap(data, "max_credits_per_file", DEFAULT_FILE_CAP, name),
        max_credits_per_day=_cap(data, "max_credits_per_day", None, name),
        mapping_overrides=_mapping(data.get("map", {}), name),
    )


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str,
            name: str) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise SettingsError(f"{name}: {key} = {value!r} is not one of "
                            f"{', '.join(repr(a) for a in allowed)}")
    return str(value)


def _cap(data: Mapping[str, Any], key: str, default: int | None, name: str) -> int | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SettingsError(f"{name}: {key} = {value!r} must be a whole number of credits, "
                            f"0 or more (e.g. {key} = 500)")
    return value


def _mapping(table: Any, name: str) -> dict[str, str]:
    if not isinstance(table, Mapping):
        raise SettingsError(f'{name}: map must be a table, e.g. [map] then "Work Email" = "email"')
    parsed: dict[str, str] = {}
    for header, value in table.items():
        target = str(value).strip().lower()
        if target not in (*FIELDS, "ignore"):
            raise SettingsError(f"{name}: [map] {header!r} = {value!r}: the field must be one "
                                f"of {', '.join(FIELDS)}, ignore")
        parsed[str(header).strip()] = target
    return parsed
