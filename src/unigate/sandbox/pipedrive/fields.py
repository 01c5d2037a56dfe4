"""Pipedrive field definitions (API v2, read here): the emulator's `fields` resource.

Routes are Pipedrive's (https://developers.pipedrive.com/docs/api/v1/OrganizationFields, API v2 tab;
https://github.com/pipedrive/client-nodejs/tree/master/src/versions/v2/api, organization-fields-api.ts,
person-fields-api.ts, deal-fields-api.ts):

- `GET /api/v2/{organizationFields,personFields,dealFields}`   `limit` 1..500 (default 100), `cursor`; the answer's
  `additional_data.next_cursor` is null on the last page
- `GET /api/v2/{…Fields}/{field_code}`                         one field; 404 for an unknown code

A field (client-php v2 PersonFieldItem / DealFieldItem): `field_name`, `field_code` (a standard field's name, or a
custom field's 40-character hash, https://pipedrive.readme.io/docs/core-api-concepts-custom-fields), `field_type`
(varchar, text, double, monetary, date, set, enum, user, org, people, phone, address, ...), `options`
(`[{id, label}]` or null), `subfields` (null here), `is_custom_field`, `is_optional_response_field`.
The custom fields are the ones the seeded records carry (accounts.py, contacts.py, deals.py), typed as those
records hold their values. Creating, changing and deleting fields (POST/PATCH/DELETE on the same paths) are not
emulated, so they answer 404 like any unknown route here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import encode_cursor
from unigate.sandbox.pipedrive.accounts import CUSTOM_FIELD_KEYS, NUMERIC_CUSTOM_FIELDS
from unigate.sandbox.pipedrive.common import Invalid, decode_position, error, invalid, unauthorized
from unigate.sandbox.pipedrive.contacts import NUMERIC_PERSON_FIELDS, PERSON_FIELD_KEYS
from unigate.sandbox.pipedrive.deals import DEAL_FIELD_KEYS, NUMERIC_DEAL_FIELDS

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

NOT_FOUND_MESSAGE = "Field not found"  # [unverified wording]
DEFAULT_LIMIT, MAX_LIMIT = 100, 500


def _field(code: str, name: str, kind: str, *, custom: bool = False, options: list[dict[str, Any]] | None = None,
           optional: bool = False) -> dict[str, Any]:
    return {"field_name": name, "field_code": code, "field_type": kind, "options": options, "subfields": None,
            "is_custom_field": custom, "is_optional_response_field": optional}


def _custom(keys: dict[str, str], numeric: frozenset[str], kinds: dict[str, str]) -> list[dict[str, Any]]:
    return [_field(key, label.replace("_", " ").capitalize(), "double" if key in numeric else kinds.get(label, "varchar"),
                   custom=True) for label, key in keys.items()]


_VISIBLE_TO = [{"id": 1, "label": "Owner & followers"}, {"id": 3, "label": "Entire company"}]
DEFINITIONS: dict[str, list[dict[str, Any]]] = {
    "organizationFields": [
        _field("id", "ID", "int"), _field("name", "Name", "varchar"), _field("owner_id", "Owner", "user"),
        _field("address", "Address", "address", optional=True), _field("visible_to", "Visible to", "enum", options=_VISIBLE_TO),
        _field("label_ids", "Labels", "set", options=[]), _field("add_time", "Organization created", "date"),
        _field("update_time", "Update time", "date"),
        *_custom(CUSTOM_FIELD_KEYS, NUMERIC_CUSTOM_FIELDS, {"phone": "phone"}),
    ],
    "personFields": [
        _field("id", "ID", "int"), _field("name", "Name", "varchar"), _field("first_name", "First name", "varchar"),
        _field("last_name", "Last name", "varchar"), _field("org_id", "Organization", "org"),
        _field("owner_id", "Owner", "user"), _field("emails", "Email", "varchar"), _field("phones", "Phone", "phone"),
        _field("visible_to", "Visible to", "enum", options=_VISIBLE_TO), _field("label_ids", "Labels", "set", options=[]),
        _field("job_title", "Job title", "varchar", optional=True), _field("birthday", "Birthday", "date", optional=True),
        _field("postal_address", "Postal address", "address", optional=True),
        _field("notes", "Notes", "text", optional=True),
        _field("marketing_status", "Marketing status", "enum", optional=True, options=[
            {"id": "no_consent", "label": "No consent"}, {"id": "unsubscribed", "label": "Unsubscribed"},
            {"id": "subscribed", "label": "Subscribed"}, {"id": "archived", "label": "Archived"}]),
        _field("add_time", "Person created", "date"), _field("update_time", "Update time", "date"),
        *_custom(PERSON_FIELD_KEYS, NUMERIC_PERSON_FIELDS, {}),
    ],
    "dealFields": [
        _field("id", "ID", "int"), _field("title", "Title", "varchar"), _field("value", "Value", "monetary"),
        _field("person_id", "Contact person", "people"), _field("org_id", "Organization", "org"),
        _field("stage_id", "Stage", "stage"), _field("status", "Status", "status"), _field("owner_id", "Owner", "user"),
        _field("expected_close_date", "Expected close date", "date"), _field("add_time", "Deal created", "date"),
        _field("update_time", "Update time", "date"),
        *_custom(DEAL_FIELD_KEYS, NUMERIC_DEAL_FIELDS, {}),
    ],
}


class Fields(Resource):
    name: ClassVar[str] = "fields"
    default_seed_count: ClassVar[int | None] = 0
    emulator: PipedriveEmulator

    def seed(self, count: int) -> None:
        """The definitions are the company's own (DEFINITIONS), whatever the record count."""

    def snapshot(self) -> list[dict[str, Any]]:
        """Every definition, each with the path it is listed under (`object`)."""
        return [{"object": kind, **f} for kind, fields in DEFINITIONS.items() for f in fields]

    def routes(self) -> list[Route]:
        return [route for kind in DEFINITIONS for route in (
            Route(f"/api/v2/{kind}", self._lister(kind), methods=["GET"]),
            Route(f"/api/v2/{kind}/{{code}}", self._getter(kind), methods=["GET"]))]

    def _lister(self, kind: str):
        async def list_fields(request: Request) -> Response:
            headers = self.emulator.rate_limits.headers()
            if not self.emulator.authorized(request):
                return unauthorized(headers)
            params = request.query_params
            raw_limit = params.get("limit", str(DEFAULT_LIMIT))
            if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
                return invalid(f"Validation failed: limit: Parameter 'limit' must be between 1 and {MAX_LIMIT}", headers)
            try:
                start = decode_position(params["cursor"]) if params.get("cursor") else 0
            except Invalid as refused:
                return invalid(str(refused), headers)
            if not isinstance(start, int) or start < 0:
                return invalid("Validation failed: cursor: Invalid cursor", headers)
            fields = DEFINITIONS[kind]
            end = start + int(raw_limit)
            page = [dict(f) for f in fields[start:end]]
            next_cursor = encode_cursor(end) if end < len(fields) else None
            return json_response({"success": True, "data": page, "additional_data": {"next_cursor": next_cursor}},
                                 headers=headers)
        return list_fields

    def _getter(self, kind: str):
        async def one_field(request: Request) -> Response:
            headers = self.emulator.rate_limits.headers()
            if not self.emulator.authorized(request):
                return unauthorized(headers)
            code = request.path_params["code"]
            found = next((f for f in DEFINITIONS[kind] if f["field_code"] == code), None)
            if found is None:
                return error(404, NOT_FOUND_MESSAGE, headers)
            return json_response({"success": True, "data": dict(found)}, headers=headers)
        return one_field
