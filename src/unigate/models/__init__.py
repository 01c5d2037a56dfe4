"""Unified models as JSON Schemas: `models/<model>/<resource>.json`.

They drive request validation, the `normalized` response format and the OpenAPI document. A unified
custom method (`POST /unified/<model>/<resource>/<method>`, e.g. crm/contacts/merge) is defined by the
JSON Schema of its request body, `models/<model>/methods/<resource>/<method>.json`; which CRMs serve it
is up to their mapping files (`custom_methods:`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from unigate.models.countries import COUNTRY_FORMAT, canonical_countries, is_country

MODELS_DIR = Path(__file__).resolve().parent
# Value formats a write is checked against (a wrong value is a 400 naming the field).
WRITE_FORMATS = FormatChecker(formats=())
WRITE_FORMATS.checks(COUNTRY_FORMAT)(is_country)
# What a value refused for its format should have been, for the 400's message.
FORMAT_HINTS = {COUNTRY_FORMAT: "a country: its ISO 3166-1 alpha-2 code (e.g. US), alpha-3 code or English name"}
# Fields the gateway fills itself; a caller cannot write them.
# etag names a version of the record (a contact's, in Truto's model): the CRM sets it, a caller never writes it.
READ_ONLY_FIELDS = ("id", "created_at", "updated_at", "last_activity_at", "etag", "remote_data")


@dataclass(frozen=True)
class UnifiedResource:
    model: str
    resource: str
    schema: dict[str, Any]

    @property
    def fields(self) -> list[str]:
        return [name for name in self.schema["properties"] if name != "remote_data"]

    @cached_property
    def singular(self) -> str:
        """One record's name in messages ("account"), from the schema's title; the resource name without one."""
        title = self.schema.get("title")
        return title.lower() if isinstance(title, str) and title else self.resource

    @cached_property
    def write_validator(self) -> Draft202012Validator:
        """Validates a create/update body: every field optional, unknown fields refused."""
        properties = {k: v for k, v in self.schema["properties"].items() if k not in READ_ONLY_FIELDS}
        properties["remote_data"] = {"type": "object"}
        body_schema = {"type": "object", "properties": properties, "additionalProperties": False}
        return Draft202012Validator(body_schema, format_checker=WRITE_FORMATS)

    def canonical(self, body: dict[str, Any]) -> dict[str, Any]:
        """A validated create/update body in the unified spelling (countries as alpha-2 codes)."""
        result: dict[str, Any] = canonical_countries(body, self.schema)
        return result

    @cached_property
    def validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def load_resources(root: Path = MODELS_DIR) -> dict[tuple[str, str], UnifiedResource]:
    found = {}
    for path in sorted(root.glob("*/*.json")):
        found[(path.parent.name, path.stem)] = UnifiedResource(path.parent.name, path.stem, json.loads(path.read_text()))
    return found


@dataclass(frozen=True)
class UnifiedMethod:
    """A unified custom method: its name and the JSON Schema of its request body."""

    model: str
    resource: str
    name: str
    schema: dict[str, Any]

    @cached_property
    def body_validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema)


def load_methods(root: Path = MODELS_DIR) -> dict[tuple[str, str, str], UnifiedMethod]:
    """Every custom method's body schema, by (model, resource, method)."""
    found = {}
    for path in sorted(root.glob("*/methods/*/*.json")):
        model, resource = path.parent.parent.parent.name, path.parent.name
        if path.stem in ("list", "get", "create", "update", "delete"):
            raise ValueError(f"{path}: {path.stem!r} is a standard method, not a custom one")
        found[(model, resource, path.stem)] = UnifiedMethod(model, resource, path.stem, json.loads(path.read_text()))
    return found
