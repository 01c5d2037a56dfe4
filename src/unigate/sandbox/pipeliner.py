"""Pipeliner CRM emulator: REST v100 `Accounts` entity (https://{region}.api.pipelinersales.com).

Facts come from /work/shared/research/crm-apis-2.md §4 (Pipeliner) and §6, which cite
https://developers.pipelinersales.com/api-docs/ (overview/authentication, core-api-concepts/pagination,
api-parameters, dates, fields, tutorials/create-account) and the vendor-published PowerPlatform connector
swagger (microsoft/PowerPlatformConnectors `certified-connectors/Pipeliner CRM/apiDefinition.swagger.json`).
Choices where the research marks a behaviour unverified are module constants, each naming its source.

Reproduced:
- Paths under `/api/v100/rest/spaces/{space_id}`; an unknown space is 404 `ERROR_NOT_FOUND` "Space not found."
  (PostHog pipeliner connector test fixture).
- HTTP Basic with the space's API username/password; anything else is 401.
- Envelope `{"success": true, "data": ...}`; errors `{"code", "name", "message", "success": false}`.
- List: `first` (default 30, max 100) + `after=<page_info.end_cursor>`, `page_info {start_cursor, end_cursor,
  has_previous_page, has_next_page}`, `total`; the last page still carries its `end_cursor`. Cursors are
  base64 of a JSON array holding the last record's id, like the documented examples. `filter[field]` with
  `filter-op[field]`, `order-by` (`-` for descending), `load-only`, `include-deleted`.
- Create/update/get answer 200 with the entity; `name` and `owner_id` are required on create.
- Delete is a soft delete: 200 `{"success": true}`, the record keeps `is_deleted: true`, later reads are 404
  unless `include-deleted=true`.
- Dates `YYYY-MM-DD HH:MM:SS.ffffff+00:00` (core-api-concepts/dates); a `Timezone` header converts them.
- Side entities the account refers to: `Clients` (owners), `Tags`, `Fields` (the Industry data set that
  `industry_id` points into, per the create-account tutorial).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, json_response, read_json

SANDBOX_SPACE_ID = "sandbox-space"
SANDBOX_USERNAME = "sandbox-pipeliner-user"
SANDBOX_PASSWORD = "sandbox-pipeliner-password"

# Pagination (developers.pipelinersales.com/api-docs/core-api-concepts/pagination): default 30, max 100.
# A larger `first` is clamped ("sends a maximum of 100"), not refused.
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100

# Error bodies: the envelope {code, name, message, success:false} is from the PostHog connector (research §4.2);
# the `name` strings other than "Space not found." are unverified (research §7 item 4) and chosen here.
UNAUTHORIZED = (401, "ERROR_UNAUTHORIZED", "Invalid API credentials.")
SPACE_NOT_FOUND = (404, "ERROR_NOT_FOUND", "Space not found.")
ENTITY_NOT_FOUND_NAME = "ERROR_ENTITY_NOT_FOUND"
VALIDATION_STATUS = 400
VALIDATION_NAME = "ERROR_VALIDATION"
# Deleting an already soft-deleted account: 404 like any unknown id (research §6 "404 or 200", unverified).
DELETE_DELETED_STATUS = 404
# Deleting an `is_delete_protected` record: refused (inferred from the field name, research §4.2, unverified).
DELETE_PROTECTED = (403, "ERROR_DELETE_PROTECTED", "Entity is protected from deletion.")
# Body of a successful DELETE. Research §7 item 4 left the payload open; the vendor-published connector swagger
# (PowerPlatformConnectors, operation AccountsDelete) declares {"success": boolean, "data": string "ID"}.
def delete_response(record_id: str) -> dict[str, Any]:
    return {"success": True, "data": record_id}
# No rate-limit headers are documented for Pipeliner (research §4.2); none are sent. 429 comes from faults.
RATE_LIMIT_HEADERS: dict[str, str] = {}

SEED_EPOCH = datetime(2022, 3, 1, 8, 15, 0, 123456, tzinfo=UTC)
_NS = uuid.UUID("6b1e3c56-9a0f-4e55-8f2c-1d2e3f405162")


def det_uuid(kind: str, n: int) -> str:
    return str(uuid.uuid5(_NS, f"{kind}-{n}"))


def pipeliner_date(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """`2019-02-01 07:41:49.529970+00:00`: a space, microseconds, an explicit offset."""
    return moment.astimezone(zone or UTC).isoformat(sep=" ", timespec="microseconds")


def parse_date(text: str) -> datetime:
    return datetime.fromisoformat(text)


def error(status: int, name: str, message: str) -> Response:
    return json_response({"code": status, "name": name, "message": message, "success": False}, status,
                         headers=dict(RATE_LIMIT_HEADERS))


def ok(body: Any) -> Response:
    return json_response(body, 200, headers=dict(RATE_LIMIT_HEADERS))


def encode_cursor(record_id: str) -> str:
    return base64.b64encode(orjson.dumps([record_id])).decode()


def decode_cursor(token: str) -> str | None:
    try:
        value = orjson.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


# -- side entities --------------------------------------------------------------------------------
_UNITS = [det_uuid("unit", i) for i in range(3)]
CLIENTS = [
    {"id": det_uuid("client", i), "first_name": first, "last_name": last, "name": f"{first} {last}",
     "email": f"{first.lower()}.{last.lower()}@sandbox.example", "default_unit_id": _UNITS[i % len(_UNITS)],
     "is_deleted": False, "created": pipeliner_date(SEED_EPOCH - timedelta(days=400 - i)),
     "modified": pipeliner_date(SEED_EPOCH - timedelta(days=100 - i))}
    for i, (first, last) in enumerate([("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"),
                                       ("Edsger", "Dijkstra"), ("Barbara", "Liskov")])
]
CLIENT_IDS = {c["id"] for c in CLIENTS}
_INDUSTRY_NAMES = ["Software", "Manufacturing", "Financial Services", "Healthcare", "Retail", "Logistics",
                   "Energy", "Media", "Education", "Telecommunications"]
INDUSTRIES = [{"id": det_uuid("industry", i), "option_name": name, "sort_order": i, "is_deleted": False}
              for i, name in enumerate(_INDUSTRY_NAMES)]
INDUSTRY_IDS = {i["id"] for i in INDUSTRIES}
_TAG_NAMES = ["enterprise", "smb", "vip", "partner", "churn-risk", "expansion", "q3-target"]
TAGS = [{"id": det_uuid("tag", i), "name": name, "color": i, "is_deleted": False,
         "created": pipeliner_date(SEED_EPOCH - timedelta(days=30)),
         "modified": pipeliner_date(SEED_EPOCH - timedelta(days=30))}
        for i, name in enumerate(_TAG_NAMES)]
TAG_IDS = {t["id"] for t in TAGS}
_CUSTOMER_TYPES = [det_uuid("customer-type", i) for i in range(3)]
_ACCOUNT_TYPES = [det_uuid("account-type", i) for i in range(2)]
# Custom fields defined in the sandbox space (top-level `cf_` keys, core-api-concepts/fields).
CUSTOM_FIELDS: dict[str, tuple[type, ...]] = {
    "cf_tier": (str,),
    "cf_annual_revenue": (int, float),
    "cf_region": (str,),
}
FIELDS = [
    {"id": det_uuid("field", 0), "api_name": "industry_id", "name": "Industry", "entity_name": "Account",
     "type_id": "dropdown", "is_deleted": False, "data_set": INDUSTRIES},
    {"id": det_uuid("field", 1), "api_name": "cf_tier", "name": "Tier", "entity_name": "Account",
     "type_id": "input", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 2), "api_name": "cf_annual_revenue", "name": "Annual revenue",
     "entity_name": "Account", "type_id": "float", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 3), "api_name": "cf_region", "name": "Region", "entity_name": "Account",
     "type_id": "input", "is_deleted": False, "data_set": []},
]

# Account fields from the connector swagger's Account schema (research §4.4). Value: accepted JSON types.
S = (str,)
WRITABLE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": S, "owner_id": S, "unit_id": S, "account_type_id": S, "customer_type_id": S, "industry_id": S,
    "parent_account_id": S, "parent_account_relation_type_id": S, "picture_id": S, "home_page": S,
    **{f"phone{i}": S for i in range(1, 6)}, **{f"email{i}": S for i in range(1, 6)},
    "address": S, "city": S, "state_province": S, "zip_code": S, "country": S, "comments": S,
    "social_media": (dict,), "share_mode": (int,), "account_class": (int,), "is_favorite": (bool,),
    "is_unsubscribed": (bool,), "quick_parent_account_name": S, "sharing_units": (list,),
    "sharing_clients": (list,), "tags": (list,), "health_category": S, "health_status": (int,),
    **CUSTOM_FIELDS,
}
# Server-managed: sent values are ignored.
READ_ONLY_FIELDS = ("id", "created", "modified", "is_deleted", "is_delete_protected", "revision",
                    "formatted_name", "documents", "health", "modified_by_user_id")
# Relation fields rendered as URI links (create-opportunity tutorial example: owner -> .../entities/Clients/<uuid>).
LINKS = {"owner": ("owner_id", "Clients"), "unit": ("unit_id", "SalesUnits"),
         "industry": ("industry_id", "DataSets"), "account_type": ("account_type_id", "AccountTypes"),
         "customer_type": ("customer_type_id", "CustomerTypes"), "parent_account": ("parent_account_id", "Accounts"),
         "picture": ("picture_id", "CloudObjects")}
DATE_FIELDS = ("created", "modified")
# `expand=<relation>` (core-api-concepts/api-parameters: "Expand related entity", *.List and *.Get) replaces
# the relation's URI link with the related entity. The sandbox knows the entities behind these relations.
EXPANDABLE = {
    "owner": ("owner_id", {c["id"]: c for c in CLIENTS}),
    "industry": ("industry_id", {i["id"]: i for i in INDUSTRIES}),
}

_COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell",
              "Cyberdyne", "Soylent", "Wonka", "Oscorp", "Aperture", "Massive Dynamic", "Pied Piper",
              "Dunder Mifflin", "Sterling Cooper", "Nakatomi", "Virtucon"]
_SUFFIXES = ["s.r.o.", "GmbH", "Ltd", "Inc", "AG", "SA", "BV", "Oy"]
_STREETS = ["Main Street", "Hlavná", "Bahnhofstrasse", "High Street", "Rue de Rivoli", "Damrak"]
_CITIES = [("Bratislava", "Bratislavský kraj", "811 01", "Slovakia"), ("Vienna", "Wien", "1010", "Austria"),
           ("Berlin", "Berlin", "10115", "Germany"), ("London", "Greater London", "EC1A 1BB", "United Kingdom"),
           ("Austin", "TX", "73301", "United States"), ("Toronto", "ON", "M5H 2N2", "Canada")]


class PipelinerEmulator(Emulator):
    name = "pipeliner"

    def __init__(self) -> None:
        self.order: list[str] = []       # every account id ever stored, insertion order (soft delete keeps them)
        self.position: dict[str, int] = {}
        self.deleted = 0
        super().__init__()

    # -- data -------------------------------------------------------------------------------------
    def reset(self, count: int | None = None) -> None:
        self.order = []
        self.position = {}
        self.deleted = 0
        super().reset(count)

    def seed(self, count: int) -> None:
        for i in range(count):
            company = f"{_COMPANIES[i % len(_COMPANIES)]} {_SUFFIXES[(i // len(_COMPANIES)) % len(_SUFFIXES)]}"
            if i >= len(_COMPANIES) * len(_SUFFIXES):
                company = f"{company} {i // (len(_COMPANIES) * len(_SUFFIXES)) + 1}"
            slug = "".join(ch for ch in company.lower() if ch.isalnum())
            city, state, zip_code, country = _CITIES[i % len(_CITIES)]
            owner = CLIENTS[i % len(CLIENTS)]
            created = SEED_EPOCH + timedelta(hours=5 * i, microseconds=i * 977)
            modified = created + timedelta(days=2, seconds=i % 3600)
            record = {
                "id": det_uuid("account", i),
                "name": company,
                "formatted_name": company,
                "owner_id": owner["id"],
                "unit_id": owner["default_unit_id"],
                "account_type_id": _ACCOUNT_TYPES[i % len(_ACCOUNT_TYPES)],
                "customer_type_id": _CUSTOMER_TYPES[i % len(_CUSTOMER_TYPES)],
                "industry_id": INDUSTRIES[i % len(INDUSTRIES)]["id"],
                "parent_account_id": det_uuid("account", i - 1) if i % 10 == 9 else None,
                "parent_account_relation_type_id": None,
                "picture_id": None,
                "home_page": f"https://www.{slug}.example",
                "phone1": f"+421 2 {5000 + i % 4000:04d} {i % 100:02d}",
                "phone2": f"+421 905 {100 + i % 900:03d} {i % 1000:03d}",
                "phone3": None, "phone4": None, "phone5": None,
                "email1": f"info@{slug}.example",
                "email2": f"sales@{slug}.example",
                "email3": None, "email4": None, "email5": None,
                "address": f"{10 + i % 90} {_STREETS[i % len(_STREETS)]}\nFloor {i % 7 + 1}",
                "city": city,
                "state_province": state,
                "zip_code": zip_code,
                "country": country,
                "comments": f"{company} — key account in {city}.",
                "social_media": None,  # shape unverified (swagger: "string"); left empty in the seed
                "share_mode": 0,
                "account_class": i % 4 + 1,
                "is_favorite": i % 5 == 0,
                "is_unsubscribed": False,
                "quick_parent_account_name": None,
                "sharing_units": [],
                "sharing_clients": [],
                "documents": [],
                "tags": [TAGS[i % len(TAGS)]["id"], TAGS[(i + 2) % len(TAGS)]["id"]],
                "health": None,
                "health_category": None,
                "health_status": None,
                "cf_tier": f"Tier {i % 3 + 1}",
                "cf_annual_revenue": float(250000 + (i * 7919) % 9000000),
                "cf_region": ["EMEA", "NA", "APAC"][i % 3],
                "created": pipeliner_date(created),
                "modified": pipeliner_date(modified),
                "modified_by_user_id": owner["id"],
                "revision": 1 + i % 5,
                "is_deleted": False,
                "is_delete_protected": False,
            }
            self._store(record)

    def _store(self, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.position[record["id"]] = len(self.order)
        self.order.append(record["id"])

    # -- HTTP -------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        base = "/api/v100/rest/spaces/{space_id}/entities"
        return [
            Route(f"{base}/Accounts", self.accounts, methods=["GET", "POST"]),
            Route(f"{base}/Accounts/{{id}}", self.account, methods=["GET", "PATCH", "DELETE"]),
            Route(f"{base}/Clients", self.side_list("Clients", CLIENTS), methods=["GET"]),
            Route(f"{base}/Tags", self.side_list("Tags", TAGS), methods=["GET"]),
            Route(f"{base}/Fields", self.side_list("Fields", FIELDS), methods=["GET"]),
        ]

    @staticmethod
    def _authorised(request: Request) -> bool:
        value = request.headers.get("authorization", "")
        if value[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(value[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return decoded == f"{SANDBOX_USERNAME}:{SANDBOX_PASSWORD}"

    def _guard(self, request: Request) -> Response | None:
        # The space is part of every URL; credentials belong to one space (overview/about-the-api).
        if request.path_params["space_id"] != SANDBOX_SPACE_ID:
            return error(*SPACE_NOT_FOUND)
        if not self._authorised(request):
            response = error(*UNAUTHORIZED)
            response.headers["WWW-Authenticate"] = 'Basic realm="Pipeliner API"'
            return response
        return None

    @staticmethod
    def _zone(request: Request) -> ZoneInfo | None | Response:
        name = request.headers.get("timezone")
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return error(VALIDATION_STATUS, "ERROR_INVALID_TIMEZONE", f"Unknown timezone '{name}'.")

    def render(self, record: dict[str, Any], root: str | None, zone: ZoneInfo | None = None,
               load_only: list[str] | None = None, expand: list[str] | None = None) -> dict[str, Any]:
        out = dict(record)
        if zone is not None:
            for key in DATE_FIELDS:
                if out.get(key):
                    out[key] = pipeliner_date(parse_date(out[key]), zone)
        if root is not None:
            for link, (id_field, entity) in LINKS.items():
                target = out.get(id_field)
                out[link] = None if target is None else f"{root}/entities/{entity}/{target}"
        for relation in expand or ():
            if relation in EXPANDABLE:
                id_field, entities = EXPANDABLE[relation]
                target = out.get(id_field)
                out[relation] = None if target is None else entities.get(target)
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    @staticmethod
    def _expand(request: Request) -> list[str]:
        return [name.strip() for name in request.query_params.get("expand", "").split(",") if name.strip()]

    @staticmethod
    def _include_deleted(params) -> bool:
        # documented both as `include-deleted` (example) and `include_deleted` (parameter table)
        value = params.get("include-deleted", params.get("include_deleted", "false"))
        return value.lower() == "true"

    def snapshot(self) -> Any:
        return [self.render(r, None) for r in self.records.values()]

    @staticmethod
    def _root(request: Request) -> str:
        url = str(request.url)
        return url[: url.index("/entities/")]

    # -- listing (shared by every entity) ---------------------------------------------------------
    @staticmethod
    def _filter(params: dict[str, str], include_deleted: bool):
        """`filter[field]=value` with `filter-op[field]=eq|ieq|not-eq|contains|icontains|starts|ends|gt|gte|lt|lte|null|not-null|empty`."""
        checks = []
        for key, value in params.items():
            if not (key.startswith("filter[") and key.endswith("]")):
                continue
            field = key[7:-1]
            op = params.get(f"filter-op[{field}]", "eq")

            def check(record, field=field, op=op, value=value):
                actual = record.get(field)
                text = "" if actual is None else str(actual)
                if op == "eq":
                    return text == value
                if op == "ieq":
                    return text.lower() == value.lower()
                if op == "not-eq":
                    return text != value
                if op == "contains":
                    return value in text
                if op == "icontains":
                    return value.lower() in text.lower()
                if op == "starts":
                    return text.startswith(value)
                if op == "ends":
                    return text.endswith(value)
                if op == "null":
                    return actual is None
                if op == "not-null":
                    return actual is not None
                if op == "empty":
                    return actual in (None, "", [])
                if actual is None:
                    return False
                if field in DATE_FIELDS:
                    left, right = parse_date(text), parse_date(value if "+" in value or "Z" in value else value + "+00:00")
                elif isinstance(actual, (int, float)):
                    left, right = actual, float(value)
                else:
                    left, right = text, value
                return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}.get(op, False)

            checks.append(check)
        if not include_deleted:
            checks.append(lambda record: not record.get("is_deleted"))
        return lambda record: all(c(record) for c in checks)

    def _page(self, request: Request, ids: list[str], lookup: dict[str, dict[str, Any]],
              position: dict[str, int] | None, render, unfiltered_total: int | None = None) -> Response:
        params = dict(request.query_params)
        first_text = params.get("first", str(DEFAULT_PAGE_SIZE))
        if not first_text.isdigit() or int(first_text) < 1:
            return error(VALIDATION_STATUS, "ERROR_INVALID_PARAMETER", "Parameter 'first' must be a positive integer.")
        size = min(int(first_text), MAX_PAGE_SIZE)
        include_deleted = self._include_deleted(params)
        keep = self._filter(params, include_deleted)
        order_by = params.get("order-by")
        if order_by:
            descending = order_by.startswith("-")
            field = order_by.lstrip("-")
            ids = sorted(ids, key=lambda i: (lookup[i].get(field) is None, lookup[i].get(field) or ""),
                         reverse=descending)
            position = None
        start = 0
        if "after" in params:
            after = decode_cursor(params["after"])
            if after is None:
                return error(VALIDATION_STATUS, "ERROR_INVALID_CURSOR", "Invalid cursor.")
            if position is None:
                position = {rid: n for n, rid in enumerate(ids)}
            if after not in position:
                return error(VALIDATION_STATUS, "ERROR_INVALID_CURSOR", "Invalid cursor.")
            start = position[after] + 1
        page: list[str] = []
        index = start
        while index < len(ids) and len(page) < size:
            if keep(lookup[ids[index]]):
                page.append(ids[index])
            index += 1
        has_next = any(keep(lookup[ids[j]]) for j in range(index, len(ids))) if len(page) == size else False
        filtered = include_deleted or any(k.startswith("filter[") for k in params)
        if not filtered and unfiltered_total is not None:
            total = unfiltered_total
        else:
            total = sum(1 for rid in ids if keep(lookup[rid]))
        load_only = [f for f in params.get("load-only", "").split(",") if f] or None
        return ok({
            "success": True,
            "total": total,
            "page_info": {
                "start_cursor": encode_cursor(page[0]) if page else None,
                "end_cursor": encode_cursor(page[-1]) if page else None,
                "has_previous_page": start > 0,
                "has_next_page": has_next,
            },
            "data": [render(lookup[rid], load_only) for rid in page],
        })

    def side_list(self, entity: str, items: list[dict[str, Any]]):
        lookup = {item["id"]: item for item in items}
        ids = [item["id"] for item in items]
        position = {rid: n for n, rid in enumerate(ids)}

        async def handler(request: Request) -> Response:
            early = self._guard(request)
            if early is not None:
                return early

            def render(item, load_only):
                return {k: v for k, v in item.items() if not load_only or k in load_only or k == "id"}

            return self._page(request, ids, lookup, position, render, len(ids))

        handler.__name__ = f"list_{entity.lower()}"
        return handler

    # -- accounts ---------------------------------------------------------------------------------
    async def accounts(self, request: Request) -> Response:
        early = self._guard(request)
        if early is not None:
            return early
        zone = self._zone(request)
        if isinstance(zone, Response):
            return zone
        root = self._root(request)
        if request.method == "POST":
            return await self._create(request, root, zone)
        expand = self._expand(request)
        return self._page(request, self.order, self.records, self.position,
                          lambda record, load_only: self.render(record, root, zone, load_only, expand),
                          len(self.order) - self.deleted)

    async def account(self, request: Request) -> Response:
        early = self._guard(request)
        if early is not None:
            return early
        zone = self._zone(request)
        if isinstance(zone, Response):
            return zone
        record_id = request.path_params["id"]
        record = self.records.get(record_id)
        include_deleted = self._include_deleted(request.query_params)
        missing = f"Account with id '{record_id}' not found."
        if record is None:
            return error(404, ENTITY_NOT_FOUND_NAME, missing)
        if record["is_deleted"] and not (include_deleted and request.method == "GET"):
            status = DELETE_DELETED_STATUS if request.method == "DELETE" else 404
            if status == 200:
                return ok(delete_response(record_id))
            return error(status, ENTITY_NOT_FOUND_NAME, missing)
        root = self._root(request)
        if request.method == "GET":
            return ok({"success": True, "data": self.render(record, root, zone, expand=self._expand(request))})
        if request.method == "DELETE":
            if record["is_delete_protected"]:
                return error(*DELETE_PROTECTED)
            record["is_deleted"] = True
            self.deleted += 1
            record["modified"] = pipeliner_date(datetime.now(UTC))
            record["revision"] += 1
            return ok(delete_response(record_id))
        return await self._update(request, record, root, zone)

    def _validate(self, body: dict[str, Any], creating: bool) -> tuple[dict[str, Any], Response | None]:
        clean: dict[str, Any] = {}
        for key, value in body.items():
            if key in READ_ONLY_FIELDS or key in LINKS:
                continue
            if key not in WRITABLE_FIELDS:
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity Account.")
            expected = WRITABLE_FIELDS[key]
            if value is not None and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value.")
            clean[key] = value
        if (creating or "name" in clean) and not (clean.get("name") or "").strip():
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'name' is required.")
        if creating and not clean.get("owner_id"):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'owner_id' is required.")
        if "owner_id" in clean and clean["owner_id"] not in CLIENT_IDS:
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Client with id '{clean['owner_id']}' not found.")
        if clean.get("industry_id") is not None and clean["industry_id"] not in INDUSTRY_IDS:
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME,
                             f"Value '{clean['industry_id']}' is not in the data set of field 'industry_id'.")
        if clean.get("tags") and not all(t in TAG_IDS for t in clean["tags"]):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'tags' refers to an unknown tag.")
        parent = clean.get("parent_account_id")
        if parent is not None and (parent not in self.records or self.records[parent]["is_deleted"]):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Account with id '{parent}' not found.")
        return clean, None

    async def _create(self, request: Request, root: str, zone: ZoneInfo | None) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(VALIDATION_STATUS, "ERROR_INVALID_REQUEST", "Request body must be a JSON object.")
        clean, failure = self._validate(body, creating=True)
        if failure is not None:
            return failure
        stamp = pipeliner_date(datetime.now(UTC))
        record: dict[str, Any] = dict.fromkeys(WRITABLE_FIELDS)
        record.update({"share_mode": 0, "account_class": None, "is_favorite": False, "is_unsubscribed": False,
                       "sharing_units": [], "sharing_clients": [], "tags": [], "documents": [], "health": None})
        record.update(clean)
        owner = next(c for c in CLIENTS if c["id"] == record["owner_id"])
        record["unit_id"] = record.get("unit_id") or owner["default_unit_id"]  # create-account tutorial
        record.update({
            "id": str(uuid.uuid4()),
            "formatted_name": record["name"],
            "created": stamp,
            "modified": stamp,
            "modified_by_user_id": owner["id"],
            "revision": 1,
            "is_deleted": False,
            "is_delete_protected": False,
        })
        self._store(record)
        return ok({"success": True, "data": self.render(record, root, zone)})

    async def _update(self, request: Request, record: dict[str, Any], root: str, zone: ZoneInfo | None) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(VALIDATION_STATUS, "ERROR_INVALID_REQUEST", "Request body must be a JSON object.")
        clean, failure = self._validate(body, creating=False)
        if failure is not None:
            return failure
        record.update(clean)
        if "name" in clean:
            record["formatted_name"] = clean["name"]
        record["modified"] = pipeliner_date(datetime.now(UTC))
        record["revision"] += 1
        return ok({"success": True, "data": self.render(record, root, zone)})


EMULATOR = PipelinerEmulator
