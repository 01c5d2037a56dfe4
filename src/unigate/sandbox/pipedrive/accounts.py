"""Pipedrive API v2 organizations: the emulator's `accounts` resource.

Routes are Pipedrive's real paths
(https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/organizations-api.ts):

- `GET    /api/v2/organizations`       list (`limit` 1..500, default 100; `cursor`; `sort_by`,
  `sort_direction`, `owner_id`, `ids`, `updated_since`, `updated_until`, `custom_fields`,
  `include_fields`)
- `GET    /api/v2/organizations/{id}`  read
- `POST   /api/v2/organizations`       create (`name` required)
- `PATCH  /api/v2/organizations/{id}`  update
- `DELETE /api/v2/organizations/{id}`  soft delete: 200 `{"success":true,"data":{"id":N}}`
  (https://developers.pipedrive.com/changelog/post/permanent-deletion-logic-for-6-core-entities)

Active ids are kept ascending in a `Collection`, so the default listing (by id) is a bisect plus a
slice; other sorts and filters build their view per request.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, member
from unigate.sandbox.collection import Collection, encode_cursor
from unigate.sandbox.pipedrive.common import (
    Invalid,
    csv,
    decode_position,
    error,
    invalid,
    merge_custom_fields,
    normalise_time,
    read_body,
    rfc3339,
    unauthorized,
)

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

ORGANIZATIONS_PATH = "/api/v2/organizations"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
FIRST_ID = 1

# Organization custom fields of this company (40-char hex field keys, as Pipedrive generates:
# https://pipedrive.readme.io/docs/core-api-concepts-custom-fields).
CUSTOM_FIELD_KEYS = {
    "website": "ed1d6d314ab9b97a0c9c0f84720c598fd98eec84",     # text
    "industry": "94ca1ee54801db3506581d9ccaa63bcd7a689f15",    # text (free-form, not an option set)
    "employees": "169d5bca5c564cf6affac331d9c2dc344f5fc171",   # numeric: a JSON number
    "phone": "11ca5ba161bb8c5823e99a6a8057d9f45fd7af5e",       # phone: a string
    "partner_code": "3e7b9a10c2d4f6e8a0b1c3d5e7f90a2b4c6d8e01",  # text, no unified field: only in custom_fields
}
NUMERIC_CUSTOM_FIELDS = frozenset({CUSTOM_FIELD_KEYS["employees"]})
ADDRESS_KEYS = ("value", "country", "admin_area_level_1", "admin_area_level_2", "locality", "sublocality",
                "route", "street_number", "subpremise", "postal_code")
VISIBLE_TO = frozenset({1, 3, 5, 7})
# Body fields an organization write takes (AddOrganizationRequest / UpdateOrganizationRequest in
# https://github.com/pipedrive/client-nodejs/tree/master/src/versions/v2/models).
WRITABLE = frozenset({"name", "owner_id", "add_time", "update_time", "visible_to", "label_ids", "address",
                      "custom_fields"})
# Switch `unknown_fields`: a write body naming a field the schema lacks. API v2 validates bodies against its
# schema ("significantly stricter input validation", https://pipedrive.readme.io/docs/pipedrive-api-v2-migration-guide)
# but nothing says whether an unknown field is refused ("reject", the default: 400 ERR_SCHEMA_VALIDATION_FAILED)
# or dropped ("ignore") [unverified either way].
UNKNOWN_FIELDS = ("reject", "ignore")
INCLUDE_FIELDS = {  # optional counters a caller can ask for with include_fields
    "next_activity_id": None, "last_activity_id": None, "open_deals_count": 0, "related_open_deals_count": 0,
    "closed_deals_count": 0, "related_closed_deals_count": 0, "email_messages_count": 0, "people_count": 0,
    "activities_count": 0, "done_activities_count": 0, "undone_activities_count": 0, "files_count": 0,
    "notes_count": 0, "followers_count": 0, "won_deals_count": 0, "related_won_deals_count": 0,
    "lost_deals_count": 0, "related_lost_deals_count": 0, "smart_bcc_email": None,
}

# Switch `deleted_read`: what a GET of a soft-deleted record answers. Deleting "marks [it] as deleted. After
# 30 days, [it] will be permanently deleted" (https://developers.pipedrive.com/docs/api/v1/Organizations#deleteOrganization,
# https://developers.pipedrive.com/changelog/post/permanent-deletion-logic-for-6-core-entities), and records carry
# `is_deleted`; whether a read in those 30 days is a 404 ("not_found", the default) or the record with
# `is_deleted: true` ("is_deleted") is not documented [unverified either way]. Lists never show deleted records.
DELETED_READ = ("not_found", "is_deleted")
# [unverified] 404 text for a missing or deleted organization (also a second DELETE).
NOT_FOUND_MESSAGE = "Organization not found"

_NAME_HEADS = (
    "Atlas", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Halcyon", "Indigo", "Jasper",
    "Kestrel", "Lantern", "Mosaic", "Nimbus", "Onyx", "Prairie", "Quill", "Rowan", "Saffron", "Tundra",
    "Umber", "Vantage", "Willow", "Zephyr",
)
_NAME_TAILS = (
    ("Software", "Software"), ("Freight", "Logistics"), ("Clinics", "Healthcare"), ("Partners", "Finance"),
    ("Studio", "Marketing"), ("Kitchens", "Food & Beverage"), ("Consulting", "Consulting"),
    ("Realty", "Real Estate"), ("Robotics", "Manufacturing"), ("Telecom", "Telecommunications"),
    ("Solar", "Energy"), ("Academy", "Education"), ("Goods", "Retail"), ("Cloud", "Internet"),
)
_PLACES = (  # locality, admin area 1, postal code, country, country code, dial prefix
    ("Tallinn", "Harju maakond", "10111", "Estonia", "+372"),
    ("New York", "New York", "10001", "United States", "+1 212"),
    ("Lisbon", "Lisboa", "1100-148", "Portugal", "+351 21"),
    ("Prague", "Praha", "110 00", "Czechia", "+420 2"),
    ("Dublin", "County Dublin", "D02 X285", "Ireland", "+353 1"),
    ("Austin", "Texas", "78701", "United States", "+1 512"),
    ("Munich", "Bayern", "80331", "Germany", "+49 89"),
    ("London", "England", "EC2A 4NE", "United Kingdom", "+44 20"),
)
_ROUTES = ("Narva mnt", "Broadway", "Rua Augusta", "Vodickova", "Grafton Street", "Congress Avenue",
           "Marienplatz", "Shoreditch High Street")
_OWNERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 3, 1, 8, 0, 0, tzinfo=UTC)


def seed_organization(index: int, org_id: int) -> dict[str, Any]:
    """Seeded organization `index` (deterministic)."""
    head = _NAME_HEADS[index % len(_NAME_HEADS)]
    tail, industry = _NAME_TAILS[(index // len(_NAME_HEADS)) % len(_NAME_TAILS)]
    generation = index // (len(_NAME_HEADS) * len(_NAME_TAILS))
    name = f"{head} {tail}" + (f" {generation + 1}" if generation else "")
    slug = f"{head}{tail}{generation + 1 if generation else ''}".lower()
    locality, area, postal, country, dial = _PLACES[index % len(_PLACES)]
    route = _ROUTES[index % len(_ROUTES)]
    number = str(1 + index % 120)
    added = _SEED_START + timedelta(hours=5 * index, seconds=index % 60)
    updated = added + timedelta(days=2 + index % 30, minutes=index % 45)
    address = None
    if index % 7 != 6:
        address = {
            "value": f"{route} {number}, {postal} {locality}, {country}",
            "country": country,
            "admin_area_level_1": area,
            "admin_area_level_2": None,
            "locality": locality,
            "sublocality": None,
            "route": route,
            "street_number": number,
            "subpremise": None,
            "postal_code": postal,
        }
    custom = {
        CUSTOM_FIELD_KEYS["website"]: f"https://{slug}.example.com",
        CUSTOM_FIELD_KEYS["industry"]: industry,
        CUSTOM_FIELD_KEYS["employees"]: 5 + (index * 53) % 2995,
        CUSTOM_FIELD_KEYS["phone"]: f"{dial} 555 {1000 + index % 9000:04d}",
        CUSTOM_FIELD_KEYS["partner_code"]: f"P-{1000 + index}" if index % 3 == 0 else None,
    }
    if index % 5 == 4:
        custom[CUSTOM_FIELD_KEYS["phone"]] = None
    return {
        "id": org_id,
        "name": name,
        "owner_id": _OWNERS[index % len(_OWNERS)],
        "add_time": rfc3339(added),
        "update_time": rfc3339(updated),
        "is_deleted": False,
        "visible_to": 3,
        "address": address,
        "label_ids": [1 + index % 3] if index % 2 == 0 else [],
        "custom_fields": custom,
    }


class Organizations(Resource):
    """Organizations; persons (contacts.py) reuse its listing, reads and deletes with their own fields."""

    name: ClassVar[str] = "accounts"
    # Where the object's custom fields are defined (fields.py).
    fields_kind: ClassVar[str] = "organizationFields"
    path: ClassVar[str] = ORGANIZATIONS_PATH
    not_found_message: ClassVar[str] = NOT_FOUND_MESSAGE
    include_fields: ClassVar[dict[str, Any]] = INCLUDE_FIELDS
    writable: ClassVar[frozenset[str]] = WRITABLE
    emulator: PipedriveEmulator

    def __init__(self, emulator: PipedriveEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ID, number_of=int)

    def seed(self, count: int) -> None:
        self.store.clear()
        for index in range(count):
            org_id = self.store.new_id()
            self.store.add(org_id, seed_organization(index, org_id))

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [
            Route(self.path, self.list_or_create, methods=["GET", "POST"]),
            Route(self.path + "/{id}", self.one, methods=["GET", "PATCH", "DELETE"]),
        ]

    def _not_found(self, headers: dict[str, str]) -> Response:
        return error(404, self.not_found_message, headers)

    @classmethod
    def _render(cls, record: dict[str, Any], custom_keys: list[str] | None = None,
                include: list[str] | None = None) -> dict[str, Any]:
        out = dict(record)
        out["label_ids"] = list(record["label_ids"])
        if record.get("address") is not None:
            out["address"] = dict(record["address"])
        custom = record["custom_fields"]
        if custom_keys is not None:
            out["custom_fields"] = {key: custom.get(key) for key in custom_keys if key in custom}
        else:
            out["custom_fields"] = dict(custom)
        for field in include or ():
            out[field] = cls.include_fields[field]
        return out

    def _active(self, raw_id: str, headers: dict[str, str], deleted_too: bool = False) -> dict[str, Any] | Response:
        """The record `raw_id` names, or the 404 for an unknown one and (unless `deleted_too`) a deleted one."""
        try:
            org_id = int(raw_id)
        except ValueError:
            return invalid(f"Validation failed: id: Parameter 'id' must be an integer (got '{raw_id}')",
                           headers)
        record = self.store.get(org_id)
        if record is None or (record["is_deleted"] and not deleted_too):
            return self._not_found(headers)
        return record

    def _field_options(self, params) -> tuple[list[str] | None, list[str]]:
        custom_keys = csv(params, "custom_fields")
        include = csv(params, "include_fields") or []
        unknown = [field for field in include if field not in self.include_fields]
        if unknown:
            raise Invalid(f"Validation failed: include_fields: Unknown field '{unknown[0]}'")
        return custom_keys, include

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            if request.method == "POST":
                return await self._create(request, headers)
            return self._list(request, headers)
        except Invalid as exc:
            return invalid(str(exc), headers)

    def _list(self, request: Request, headers: dict[str, str]) -> Response:
        params = request.query_params
        raw_limit = params.get("limit")
        limit = DEFAULT_LIMIT
        if raw_limit is not None:
            try:
                limit = int(raw_limit)
            except ValueError:
                limit = -1
            if not 1 <= limit <= MAX_LIMIT:
                raise Invalid(f"Validation failed: limit: Parameter 'limit' must be an integer between 1 and "
                              f"{MAX_LIMIT} (got '{raw_limit}')")
        sort_by = params.get("sort_by", "id")
        if sort_by not in ("id", "update_time", "add_time"):
            raise Invalid(f"Validation failed: sort_by: Parameter 'sort_by' must be one of id, update_time, "
                          f"add_time (got '{sort_by}')")
        direction = params.get("sort_direction", "asc")
        if direction not in ("asc", "desc"):
            raise Invalid(f"Validation failed: sort_direction: Parameter 'sort_direction' must be one of asc, "
                          f"desc (got '{direction}')")
        custom_keys, include = self._field_options(params)
        records = self.store.records

        # The view: ascending sort keys of the matching organizations (ids, or (time, id) pairs).
        filters = self._list_filters(params)
        if (owner := params.get("owner_id")) is not None:
            try:
                owner_id = int(owner)
            except ValueError:
                raise Invalid(f"Validation failed: owner_id: Parameter 'owner_id' must be an integer "
                              f"(got '{owner}')") from None
            filters.append(lambda r: r["owner_id"] == owner_id)
        for name, keep in (("updated_since", lambda r, t: r["update_time"] >= t),
                           ("updated_until", lambda r, t: r["update_time"] < t)):
            if (raw := params.get(name)) is not None:
                moment = normalise_time(raw, self.emulator.switch["fractional_seconds"])
                if moment is None:
                    raise Invalid(f"Validation failed: {name}: '{raw}' is not a valid datetime")
                filters.append(lambda r, keep=keep, moment=moment: keep(r, moment))
        ids: list[int] = self.store.active
        if (wanted := csv(params, "ids")) is not None:
            try:
                wanted_ids = {int(i) for i in wanted}
            except ValueError:
                raise Invalid("Validation failed: ids: Parameter 'ids' must be a list of integers") from None
            ids = [i for i in ids if i in wanted_ids]
        if filters:
            ids = [i for i in ids if all(f(records[i]) for f in filters)]
        keys: list[Any]
        if sort_by == "id":
            keys = ids
        else:
            keys = sorted((records[i][sort_by], i) for i in ids)

        if (cursor := params.get("cursor")):
            last = decode_position(cursor)
            if sort_by != "id":
                if not isinstance(last, list) or len(last) != 2:
                    raise Invalid("Validation failed: cursor: Invalid cursor")
                last = tuple(last)
            elif not isinstance(last, int):
                raise Invalid("Validation failed: cursor: Invalid cursor")
            try:
                position = bisect_right(keys, last) if direction == "asc" else bisect_left(keys, last)
            except TypeError:
                raise Invalid("Validation failed: cursor: Invalid cursor") from None
        else:
            position = 0 if direction == "asc" else len(keys)
        if direction == "asc":
            page = keys[position:position + limit]
            more = position + limit < len(keys)
        else:
            start = max(position - limit, 0)
            page = keys[start:position][::-1]
            more = start > 0
        next_cursor = encode_cursor(page[-1]) if more and page else None
        data = [self._render(records[k if sort_by == "id" else k[1]], custom_keys, include)
                for k in page]
        body = {"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}}
        return json_response(body, headers=headers)

    def known_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body's fields the schema has; an unknown one is refused or dropped (the `unknown_fields` switch)."""
        unknown = sorted(set(body) - self.writable)
        if unknown and self.emulator.switch["unknown_fields"] == "reject":
            raise Invalid(f"Validation failed: {unknown[0]}: Unknown parameter '{unknown[0]}'")
        return {k: v for k, v in body.items() if k in self.writable}

    def _custom_fields(self, record: dict[str, Any], custom: Any) -> dict[str, Any]:
        """The write's custom field values over the record's, checked against the company's custom fields of this
        object as they are now (fields.py: created, renamed and deleted through the Fields API)."""
        fields = self.emulator.resource("fields")
        return merge_custom_fields(record["custom_fields"], custom, fields.custom(self.fields_kind))  # type: ignore[attr-defined]

    def name_required(self) -> bool:
        """A create must name the organization: "name (required)" in
        https://developers.pipedrive.com/docs/api/v1/Organizations#addOrganization (the v2 schema marks
        nothing required, yet an organization has no place without a name in Pipedrive) [unverified for v2]."""
        return True

    def _list_filters(self, params) -> list[Any]:
        """Filters of the list beyond owner and update time (predicates on a stored record)."""
        return []

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Validate `body` fully, then write it into `record` (nothing changes on error)."""
        changes: dict[str, Any] = {}
        if "name" in body or (creating and self.name_required()):
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise Invalid("Validation failed: name: Parameter 'name' is required and must be a non-empty string")
            changes["name"] = name
        if "owner_id" in body:
            owner = body["owner_id"]
            if not isinstance(owner, int) or isinstance(owner, bool):
                raise Invalid("Validation failed: owner_id: Parameter 'owner_id' must be an integer")
            changes["owner_id"] = owner
        if "visible_to" in body:
            visible = body["visible_to"]
            if not member(visible, VISIBLE_TO) or isinstance(visible, bool):
                raise Invalid("Validation failed: visible_to: Parameter 'visible_to' must be one of 1, 3, 5, 7")
            changes["visible_to"] = visible
        if "label_ids" in body:
            labels = body["label_ids"]
            if labels is None:
                labels = []
            if not isinstance(labels, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                                       for x in labels):
                raise Invalid("Validation failed: label_ids: Parameter 'label_ids' must be an array of integers")
            changes["label_ids"] = list(labels)
        for stamp in ("add_time", "update_time"):
            if body.get(stamp) is not None:
                value = body[stamp]
                moment = normalise_time(value, self.emulator.switch["fractional_seconds"]) if isinstance(value, str) else None
                if moment is None:
                    raise Invalid(f"Validation failed: {stamp}: '{value}' is not a valid datetime")
                changes[stamp] = moment
        if "address" in body:
            address = body["address"]
            if address is not None:
                if not isinstance(address, dict) or not all(v is None or isinstance(v, str)
                                                            for v in address.values()):
                    raise Invalid("Validation failed: address: Parameter 'address' must be an object of strings")
                unknown = [k for k in address if k not in ADDRESS_KEYS]
                if unknown:
                    raise Invalid(f"Validation failed: address: Unknown address field '{unknown[0]}'")
                address = {key: address.get(key) for key in ADDRESS_KEYS}
            changes["address"] = address
        if "custom_fields" in body:
            changes["custom_fields"] = self._custom_fields(record, body["custom_fields"])
        record.update(changes)

    async def _create(self, request: Request, headers: dict[str, str]) -> Response:
        body = self.known_fields(await read_body(request))
        record = self._new_record(rfc3339(datetime.now(UTC)))
        self._apply(record, body, creating=True)
        record["id"] = self.store.new_id()
        self.store.add(record["id"], record)
        return json_response({"success": True, "data": self._render(record)}, headers=headers)

    @staticmethod
    def _new_record(stamp: str) -> dict[str, Any]:
        """A record before the create body is applied."""
        return {
            "id": 0, "name": "", "owner_id": _OWNERS[0], "add_time": stamp, "update_time": stamp,
            "is_deleted": False, "visible_to": 3, "address": None, "label_ids": [],
            "custom_fields": {key: None for key in CUSTOM_FIELD_KEYS.values()},
        }

    async def one(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            # Switch `deleted_read` (DELETED_READ): a read of a deleted record is a 404 or the record itself.
            shown = request.method == "GET" and self.emulator.switch["deleted_read"] == "is_deleted"
            found = self._active(request.path_params["id"], headers, deleted_too=shown)
            if isinstance(found, Response):
                return found
            record = found
            if request.method == "GET":
                custom_keys, include = self._field_options(request.query_params)
                return json_response({"success": True, "data": self._render(record, custom_keys, include)},
                                     headers=headers)
            if request.method == "DELETE":
                record["is_deleted"] = True
                record["update_time"] = rfc3339(datetime.now(UTC))
                self.store.archive(record["id"])
                return json_response({"success": True, "data": {"id": record["id"]}}, headers=headers)
            body = self.known_fields(await read_body(request))
            explicit_update_time = body.get("update_time") is not None
            self._apply(record, body, creating=False)
            if not explicit_update_time:
                record["update_time"] = rfc3339(datetime.now(UTC))
            return json_response({"success": True, "data": self._render(record)}, headers=headers)
        except Invalid as exc:
            return invalid(str(exc), headers)

