"""Countries in unified records: ISO 3166-1 alpha-2 codes ("US", "GB"), through pycountry's ISO data.

A unified write may name a country by its alpha-2 or alpha-3 code or its English name (any case); it is
stored and answered as the alpha-2 code. Each CRM's spelling (Capsule keeps names) is converted in its
mapping with `$countryName` / `$countryCode` (expressions/functions.py). docs/api.md, "Countries".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pycountry

# The JSON Schema `format` of a unified country field (models/crm/*.json).
COUNTRY_FORMAT = "iso3166-1-alpha-2"


@lru_cache(maxsize=4096)
def _spellings(text: str) -> tuple[str, str] | None:
    """(alpha-2 code, English name) of the country `text` names, or None. Cached as plain strings:
    reading a pycountry record's attribute costs microseconds, and mappings call this once per address."""
    try:
        found = pycountry.countries.lookup(text)
    except LookupError:
        return None
    return found.alpha_2, getattr(found, "common_name", None) or found.name


def _country(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    return _spellings(value.strip())


def is_country(value: Any) -> bool:
    """Whether `value` names an ISO 3166-1 country (alpha-2, alpha-3, numeric code or English name)."""
    return _country(value) is not None


def country_code(value: Any) -> Any:
    """The alpha-2 code of the country `value` names; anything else unchanged (a CRM's free text stays)."""
    found = _country(value)
    return found[0] if found is not None else value


def country_name(value: Any) -> Any:
    """The English name of the country `value` names, in its common form where ISO has one ("Taiwan",
    "Bolivia", "Vietnam"), else ISO's short name ("United States"); anything else unchanged."""
    found = _country(value)
    return found[1] if found is not None else value


def canonical_countries(value: Any, schema: dict[str, Any]) -> Any:
    """`value` (a unified body) with every field of the country format as its alpha-2 code."""
    if schema.get("format") == COUNTRY_FORMAT:
        return country_code(value)
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        return {k: canonical_countries(v, properties[k]) if k in properties else v for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [canonical_countries(v, schema["items"]) for v in value]
    return value
