"""Pipedrive field definitions (API v2): the emulator's `fields` resource.

Routes are Pipedrive's (https://developers.pipedrive.com/docs/api/v1/OrganizationFields, API v2 tab;
https://github.com/pipedrive/client-nodejs/tree/master/src/versions/v2/api, organization-fields-api.ts,
person-fields-api.ts, deal-fields-api.ts, with the request and answer models beside them):

- `GET /api/v2/{organizationFields,personFields,dealFields}`   `limit` 1..500 (default 100), `cursor`; the answer's
  `additional_data.next_cursor` is null on the last page
- `GET /api/v2/{…Fields}/{field_code}`                         one field; 404 for an unknown code
- `POST /api/v2/{…Fields}`                                     "Creates a new … custom field": `field_name` and
  `field_type` (one of FIELD_TYPES) required, `options` `[{label}]` "required for enum and set field types",
  `description`, `ui_visibility`, `important_fields`, `required_fields` (AddPersonFieldRequest); 200 with the field
- `PATCH /api/v2/{…Fields}/{field_code}`                       "The field_code and field_type cannot be changed. At
  least one field must be provided": `field_name`, `description`, `ui_visibility`, `important_fields`,
  `required_fields` (UpdatePersonFieldRequest); 200 with the field
- `DELETE /api/v2/{…Fields}/{field_code}`                      "Marks a custom field as deleted"; 200 with the
  field (DeletePersonField200ResponseData); it is no longer listed or read (404), and records lose its value
- `POST|PATCH|DELETE /api/v2/{…Fields}/{field_code}/options`    a custom enum or set field's options in bulk, each
  call atomic: add `[{label}]`, relabel `[{id, label}]`, remove `[{id}]`; PATCH and DELETE fail "if any of the
  specified option IDs do not exist"; 200 with only the options touched, `[{id, label}]`
  (addDealFieldOptions / updateDealFieldOptions / deleteDealFieldOptions in deal-fields-api.ts). Records keep a
  removed option's id as their value [unverified]; the refusals' wording and status (400) are [unverified].

A field (client-php v2 PersonFieldItem / DealFieldItem): `field_name`, `field_code` (a standard field's name, or a
custom field's 40-character hash, https://pipedrive.readme.io/docs/core-api-concepts-custom-fields), `field_type`
(varchar, text, double, monetary, date, set, enum, user, org, people, phone, address, ...), `options`
(`[{id, label}]` or null), `subfields` (null here), `is_custom_field`, `is_optional_response_field`, `description`
on the fields created here. The custom fields are the ones the seeded records carry (accounts.py, contacts.py,
deals.py), typed as those records hold their values; each data space holds its own copy, which writes change.
Pipedrive's own (system) fields cannot be changed or deleted; the wording and status of that refusal are not
documented (SYSTEM_FIELD_MESSAGE, 400 here) [unverified].
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, loads_json, member
from unigate.sandbox.collection import encode_cursor
from unigate.sandbox.pipedrive.accounts import CUSTOM_FIELD_KEYS, NUMERIC_CUSTOM_FIELDS, Organizations
from unigate.sandbox.pipedrive.common import Invalid, decode_position, error, invalid, read_body, unauthorized
from unigate.sandbox.pipedrive.contacts import NUMERIC_PERSON_FIELDS, PERSON_FIELD_KEYS
from unigate.sandbox.pipedrive.deals import DEAL_FIELD_KEYS, NUMERIC_DEAL_FIELDS

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

NOT_FOUND_MESSAGE = "Field not found"  # [unverified wording]
# A change to, or the delete of, one of Pipedrive's own fields [unverified wording and status].
SYSTEM_FIELD_MESSAGE = "System fields cannot be modified"
DEFAULT_LIMIT, MAX_LIMIT = 100, 500
# The 16 types a field is created with (AddPersonFieldRequestFieldTypeConst in
# https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/models/add-person-field-request.ts).
FIELD_TYPES = ("varchar", "text", "double", "phone", "date", "daterange", "time", "timerange", "set", "enum",
               "varchar_auto", "address", "monetary", "org", "people", "user")
# The body keys of a create and of an update (AddPersonFieldRequest, UpdatePersonFieldRequest; the organization and
# deal requests have the same).
UPDATE_KEYS = frozenset({"field_name", "description", "ui_visibility", "important_fields", "required_fields"})
CREATE_KEYS = UPDATE_KEYS | {"field_type", "options"}
FIRST_OPTION_ID = 1001
# The records each path's custom fields are on (the emulator's resource names).
RECORDS_OF = {"organizationFields": "accounts", "personFields": "contacts", "dealFields": "opportunities"}


def _field(code: str, name: str, kind: str, *, custom: bool = False, options: list[dict[str, Any]] | None = None,
           optional: bool = False) -> dict[str, Any]:
    return {"field_name": name, "field_code": code, "field_type": kind, "options": options, "subfields": None,
            "is_custom_field": custom, "is_optional_response_field": optional}


def _custom(keys: dict[str, str], numeric: frozenset[str], kinds: dict[str, str],
            descriptions: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Custom fields carry a `description` (null unless set: AddPersonFieldRequest's `description`)."""
    return [{**_field(key, label.replace("_", " ").capitalize(), "double" if key in numeric else kinds.get(label, "varchar"),
                      custom=True), "description": (descriptions or {}).get(label)} for label, key in keys.items()]


# Person custom fields no seeded person has a value in (a company's fields are rarely all filled).
UNSET_PERSON_FIELD_KEYS = {
    "department": "d3a7e1c59b02f486a1e0c7d3b5f9a2e4c6d8b0f1",
    "referral_code": "4b9e2d7c1a0f3e5d8c6b4a2f0e9d7c5b3a1f2e4d",
}

_VISIBLE_TO = [{"id": 1, "label": "Owner & followers"}, {"id": 3, "label": "Entire company"}]
DEFINITIONS: dict[str, list[dict[str, Any]]] = {
    "organizationFields": [
        _field("id", "ID", "int"), _field("name", "Name", "varchar"), _field("owner_id", "Owner", "user"),
        _field("address", "Address", "address", optional=True), _field("visible_to", "Visible to", "enum", options=_VISIBLE_TO),
        _field("label_ids", "Labels", "set", options=[]), _field("add_time", "Organization created", "date"),
        _field("update_time", "Update time", "date"),
        *_custom(CUSTOM_FIELD_KEYS, NUMERIC_CUSTOM_FIELDS, {"phone": "phone"},
                {"partner_code": "The code of the partner who referred the organization"}),
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
        *_custom(PERSON_FIELD_KEYS, NUMERIC_PERSON_FIELDS, {}, {"lead_score": "0 to 100, set by marketing"}),
        *_custom(UNSET_PERSON_FIELD_KEYS, frozenset(), {}),
    ],
    "dealFields": [
        _field("id", "ID", "int"), _field("title", "Title", "varchar"), _field("value", "Value", "monetary"),
        _field("person_id", "Contact person", "people"), _field("org_id", "Organization", "org"),
        _field("stage_id", "Stage", "stage"), _field("status", "Status", "status"), _field("owner_id", "Owner", "user"),
        _field("expected_close_date", "Expected close date", "date"), _field("add_time", "Deal created", "date"),
        _field("update_time", "Update time", "date"),
        *_custom(DEAL_FIELD_KEYS, NUMERIC_DEAL_FIELDS, {}, {"source": "Where the deal came from"}),
    ],
}


class Fields(Resource):
    name: ClassVar[str] = "fields"
    default_seed_count: ClassVar[int | None] = 0
    emulator: PipedriveEmulator

    def seed(self, count: int) -> None:
        """The company's own definitions (DEFINITIONS), whatever the record count; a copy per data space."""
        self.definitions: dict[str, list[dict[str, Any]]] = {
            kind: [{**f, "options": [dict(o) for o in f["options"]] if f["options"] is not None else None}
                   for f in fields] for kind, fields in DEFINITIONS.items()}
        self.created = 0
        self.next_option_id = FIRST_OPTION_ID

    def snapshot(self) -> list[dict[str, Any]]:
        """Every definition, each with the path it is listed under (`object`)."""
        return [{"object": kind, **f} for kind, fields in self.definitions.items() for f in fields]

    def custom(self, kind: str) -> dict[str, dict[str, Any]]:
        """The company's custom fields of `kind` (organizationFields, ...) by field_code: what a record's
        `custom_fields` may name."""
        return {f["field_code"]: f for f in self.definitions[kind] if f["is_custom_field"]}

    def routes(self) -> list[Route]:
        return [route for kind in DEFINITIONS for route in (
            Route(f"/api/v2/{kind}", self._endpoint(kind, self.list_fields), methods=["GET"]),
            Route(f"/api/v2/{kind}", self._endpoint(kind, self.create_field), methods=["POST"]),
            Route(f"/api/v2/{kind}/{{code}}", self._field_endpoint(kind, self.get_field), methods=["GET"]),
            Route(f"/api/v2/{kind}/{{code}}", self._field_endpoint(kind, self.update_field), methods=["PATCH"]),
            Route(f"/api/v2/{kind}/{{code}}", self._field_endpoint(kind, self.delete_field), methods=["DELETE"]),
            Route(f"/api/v2/{kind}/{{code}}/options", self._field_endpoint(kind, self.change_options),
                  methods=["POST", "PATCH", "DELETE"]))]

    def _endpoint(self, kind: str, handler: Callable[[str, Request, dict[str, str]], Awaitable[Response]]):
        """`handler(kind, request, headers)` behind the rate-limit count and Pipedrive's token check (401); an
        `Invalid` it raises is Pipedrive's 400 with that message."""
        async def endpoint(request: Request) -> Response:
            headers = self.emulator.rate_limits.headers()
            if not self.emulator.authorized(request):
                return unauthorized(headers)
            try:
                return await handler(kind, request, headers)
            except Invalid as refused:
                return invalid(str(refused), headers)
        return endpoint

    def _field_endpoint(self, kind: str,
                        handler: Callable[[str, Request, dict[str, str], dict[str, Any]], Awaitable[Response]]):
        """`handler(kind, request, headers, field)` for the field the path's code names, as `_endpoint` serves it;
        an unknown code is a 404."""
        async def with_field(kind: str, request: Request, headers: dict[str, str]) -> Response:
            found = self._find(kind, request.path_params["code"])
            if found is None:
                return error(404, NOT_FOUND_MESSAGE, headers)
            return await handler(kind, request, headers, found)
        return self._endpoint(kind, with_field)

    def _find(self, kind: str, code: str) -> dict[str, Any] | None:
        return next((f for f in self.definitions[kind] if f["field_code"] == code), None)

    async def list_fields(self, kind: str, request: Request, headers: dict[str, str]) -> Response:
        params = request.query_params
        raw_limit = params.get("limit", str(DEFAULT_LIMIT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise Invalid(f"Validation failed: limit: Parameter 'limit' must be between 1 and {MAX_LIMIT}")
        start = decode_position(params["cursor"]) if params.get("cursor") else 0
        if not isinstance(start, int) or start < 0:
            raise Invalid("Validation failed: cursor: Invalid cursor")
        fields = self.definitions[kind]
        end = start + int(raw_limit)
        page = [_shown(f) for f in fields[start:end]]
        next_cursor = encode_cursor(end) if end < len(fields) else None
        return json_response({"success": True, "data": page, "additional_data": {"next_cursor": next_cursor}},
                             headers=headers)

    async def get_field(self, kind: str, request: Request, headers: dict[str, str], found: dict[str, Any]) -> Response:
        return _answer(_shown(found), headers)

    async def create_field(self, kind: str, request: Request, headers: dict[str, str]) -> Response:
        body = self._known(await read_body(request), CREATE_KEYS)
        name = _field_name(body)
        kind_of = body.get("field_type")
        if not member(kind_of, FIELD_TYPES):
            raise Invalid("Validation failed: field_type: Parameter 'field_type' must be one of " + ", ".join(FIELD_TYPES))
        options = self._options(body.get("options"), kind_of)
        description = _description(body)
        self.created += 1
        # A custom field's code is a 40-character hash Pipedrive picks per company
        # (https://pipedrive.readme.io/docs/core-api-concepts-custom-fields).
        code = hashlib.sha1(f"{self.emulator.space}:{kind}:{self.created}".encode()).hexdigest()
        field = {**_field(code, name, kind_of, custom=True, options=options), "description": description}
        self.definitions[kind].append(field)
        return _answer(_shown(field), headers)

    async def update_field(self, kind: str, request: Request, headers: dict[str, str], found: dict[str, Any]) -> Response:
        raw = await read_body(request)
        for fixed in ("field_code", "field_type"):
            # "The field_code and field_type cannot be changed" (updatePersonField, person-fields-api.ts).
            if fixed in raw:
                raise Invalid(f"Validation failed: {fixed}: Parameter '{fixed}' cannot be changed")
        body = self._known(raw, UPDATE_KEYS)
        if not body:
            # "At least one field must be provided in the request body."
            raise Invalid("Validation failed: At least one field must be provided in the request body")
        if not found["is_custom_field"]:
            return error(400, SYSTEM_FIELD_MESSAGE, headers)
        changes: dict[str, Any] = {}
        if "field_name" in body:
            changes["field_name"] = _field_name(body)
        if "description" in body:
            changes["description"] = _description(body)
        found.update(changes)     # only once every change is checked
        return _answer(_shown(found), headers)

    async def delete_field(self, kind: str, request: Request, headers: dict[str, str], found: dict[str, Any]) -> Response:
        if not found["is_custom_field"]:
            return error(400, SYSTEM_FIELD_MESSAGE, headers)
        self.definitions[kind].remove(found)
        records = self.emulator.resource(RECORDS_OF[kind])
        assert isinstance(records, Organizations)
        for record in records.store.records.values():
            record["custom_fields"].pop(found["field_code"], None)
        if kind == "dealFields":
            # Leads carry the deals' custom fields as top-level keys ("Leads inherit all deals' custom fields",
            # https://pipedrive.readme.io/docs/core-api-concepts-custom-fields).
            leads: Any = self.emulator.resource("leads")
            for lead in leads.store.records.values():
                lead.pop(found["field_code"], None)
        data = {k: found[k] for k in ("field_name", "field_code", "field_type", "is_custom_field",
                                      "is_optional_response_field", "options", "subfields")}
        return _answer(data, headers)

    async def change_options(self, kind: str, request: Request, headers: dict[str, str],
                             found: dict[str, Any]) -> Response:
        """Adds (POST), relabels (PATCH) or removes (DELETE) options of a custom enum or set field, all or none."""
        if not found["is_custom_field"]:
            return error(400, SYSTEM_FIELD_MESSAGE, headers)
        if found["field_type"] not in ("enum", "set"):
            raise Invalid("Validation failed: options: Only enum and set fields have options")
        try:
            items = loads_json(await request.body() or b"null")
        except orjson.JSONDecodeError:
            raise Invalid("Validation failed: request body must be valid JSON") from None
        if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
            raise Invalid("Validation failed: body: An array of options is required")
        options = found["options"]
        if request.method == "POST":
            added = [{"id": self.next_option_id + i, "label": _option_label(item)} for i, item in enumerate(items)]
            self.next_option_id += len(added)
            options.extend(added)
            return _answer(added, headers)
        by_id = {option["id"]: option for option in options}
        ids = [item.get("id") for item in items]
        unknown = [i for i in ids if isinstance(i, bool) or i not in by_id]
        if unknown:
            raise Invalid(f"Validation failed: id: Option {unknown[0]!r} does not exist")
        if request.method == "PATCH":
            labels = [_option_label(item) for item in items]      # every label checked before any is changed
            for option_id, label in zip(ids, labels, strict=True):
                by_id[option_id]["label"] = label
            return _answer([dict(by_id[i]) for i in ids], headers)
        removed = [dict(by_id[i]) for i in dict.fromkeys(ids)]
        found["options"] = [option for option in options if option["id"] not in set(ids)]
        return _answer(removed, headers)

    def _known(self, body: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
        """The body's fields the request schema has; others as the switch `unknown_fields` says (accounts.py)."""
        unknown = sorted(set(body) - keys)
        if unknown and self.emulator.switch["unknown_fields"] == "reject":
            raise Invalid(f"Validation failed: {unknown[0]}: Unknown parameter '{unknown[0]}'")
        return {k: v for k, v in body.items() if k in keys}

    def _options(self, options: Any, kind: str) -> list[dict[str, Any]] | None:
        """`[{label}]` as stored options `[{id, label}]`: "required for enum and set field types"; another type
        keeps none (whether Pipedrive refuses options on it is not documented: they are dropped) [unverified]."""
        if kind not in ("enum", "set"):
            return None
        if not isinstance(options, list) or not options:
            raise Invalid("Validation failed: options: Parameter 'options' is required for enum and set field types")
        stored = []
        for option in options:
            stored.append({"id": self.next_option_id, "label": _option_label(option)})
            self.next_option_id += 1
        return stored


def _answer(data: Any, headers: dict[str, str]) -> Response:
    return json_response({"success": True, "data": data}, headers=headers)


def _shown(field: dict[str, Any]) -> dict[str, Any]:
    out = dict(field)
    if field["options"] is not None:
        out["options"] = [dict(o) for o in field["options"]]
    return out


def _option_label(option: Any) -> str:
    label = option.get("label") if isinstance(option, dict) else None
    if not isinstance(label, str) or not label.strip():
        raise Invalid("Validation failed: options.label: Parameter 'label' is required and must be a non-empty string")
    return label


def _field_name(body: dict[str, Any]) -> str:
    name = body.get("field_name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Validation failed: field_name: Parameter 'field_name' is required and must be a non-empty string")
    return name


def _description(body: dict[str, Any]) -> str | None:
    value = body.get("description")
    if value is not None and not isinstance(value, str):
        raise Invalid("Validation failed: description: Parameter 'description' must be a string")
    return value
