"""Pipeliner accounts: the REST v100 `Accounts` entity (`/entities/Accounts`).

Sources: the vendor-published connector swagger (microsoft/PowerPlatformConnectors
`certified-connectors/Pipeliner CRM/apiDefinition.swagger.json`: operations and the Account schema),
https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-account and
https://developers.pipelinersales.com/api-docs/core-api-concepts/api-parameters.
- Update/get answer 200 with the entity, create 200 or 201 (switch `create_status`, common.py); `name` and
  `owner_id` are required on create, and a missing one or a relation to nothing is 422
  ERROR_ENTITY_VALIDATION (https://developers.pipelinersales.com/api-docs/core-api-concepts/bulk-create-update-delete).
- Delete is a soft delete: 200 `{"success": true}`, the record keeps `is_deleted: true`, later reads are 404
  unless `include-deleted=true`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.spaces import BoundedRecords
from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.pipeliner.common import (
    ACCOUNT_TYPE_IDS, CLIENT_IDS, OWNERS, ENTITIES_PATH, CLIENTS, CUSTOMER_TYPE_IDS, DATE_FIELDS, DELETE_DELETED_STATUS,
    DELETE_PROTECTED, ENTITY_NOT_FOUND_NAME, INDUSTRIES, INDUSTRY_IDS, SEED_EPOCH, TAG_IDS, TAGS, VALIDATION_NAME,
    VALIDATION_STATUS, delete_response, det_uuid, entity_validation, error, ok, parse_date, pipeliner_date,
)

# Account fields from the connector swagger's Account schema (microsoft/PowerPlatformConnectors,
# certified-connectors/Pipeliner CRM/apiDefinition.swagger.json). Value: accepted JSON types.
S = (str,)
WRITABLE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": S, "owner_id": S, "unit_id": S, "account_type_id": S, "customer_type_id": S, "industry_id": S,
    "parent_account_id": S, "parent_account_relation_type_id": S, "picture_id": S, "home_page": S,
    **{f"phone{i}": S for i in range(1, 6)}, **{f"email{i}": S for i in range(1, 6)},
    "address": S, "city": S, "state_province": S, "zip_code": S, "country": S, "comments": S,
    "social_media": (dict,), "share_mode": (int,), "account_class": (int,), "is_favorite": (bool,),
    "is_unsubscribed": (bool,), "quick_parent_account_name": S, "sharing_units": (list,),
    "sharing_clients": (list,), "tags": (list,), "health_category": S, "health_status": (int,),

}
# Server-managed: sent values are ignored.
READ_ONLY_FIELDS = ("id", "created", "modified", "is_deleted", "is_delete_protected", "revision",
                    "formatted_name", "documents", "health", "modified_by_user_id")
# Relation fields rendered as URI links (create-opportunity tutorial example: owner -> .../entities/Clients/<uuid>).
LINKS = {"owner": ("owner_id", "Clients"), "unit": ("unit_id", "SalesUnits"),
         "industry": ("industry_id", "DataSets"), "account_type": ("account_type_id", "AccountTypes"),
         "customer_type": ("customer_type_id", "CustomerTypes"), "parent_account": ("parent_account_id", "Accounts"),
         "picture": ("picture_id", "CloudObjects")}
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


class Accounts(Resource):
    """Pipeliner accounts: routes, seed and store (`self.records` by id; `self.order` every id ever
    stored, soft-deleted ones included, in insertion order). Authentication, time zones and listing
    come from the emulator."""

    name = "accounts"

    def routes(self) -> list[Route]:
        base = ENTITIES_PATH
        return [
            Route(f"{base}/Accounts", self.accounts, methods=["GET", "POST"]),
            Route(f"{base}/Accounts/{{id}}", self.account, methods=["GET", "PATCH", "DELETE"]),
        ]

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = BoundedRecords()  # spaces.py: bounded writes
        self.order: list[str] = []       # every account id ever stored, insertion order (soft delete keeps them)
        self.position: dict[str, int] = {}
        self.deleted = 0
        for i in range(count):
            company = f"{_COMPANIES[i % len(_COMPANIES)]} {_SUFFIXES[(i // len(_COMPANIES)) % len(_SUFFIXES)]}"
            if i >= len(_COMPANIES) * len(_SUFFIXES):
                company = f"{company} {i // (len(_COMPANIES) * len(_SUFFIXES)) + 1}"
            slug = "".join(ch for ch in company.lower() if ch.isalnum())
            city, state, zip_code, country = _CITIES[i % len(_CITIES)]
            owner = OWNERS[i % len(OWNERS)]
            created = SEED_EPOCH + timedelta(hours=5 * i, microseconds=i * 977)
            modified = created + timedelta(days=2, seconds=i % 3600)
            record = {
                "id": det_uuid("account", i),
                "name": company,
                "formatted_name": company,
                "owner_id": owner["id"],
                "unit_id": owner["default_unit_id"],
                "account_type_id": ACCOUNT_TYPE_IDS[i % len(ACCOUNT_TYPE_IDS)],
                "customer_type_id": CUSTOMER_TYPE_IDS[i % len(CUSTOMER_TYPE_IDS)],
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

    def snapshot(self) -> Any:
        return [self.render(r, None) for r in self.records.values()]

    def render(self, record: dict[str, Any], root: str | None, zone: ZoneInfo | None = None,
               load_only: list[str] | None = None, expand: list[str] | None = None) -> dict[str, Any]:
        out = {**self.emulator.resource("fields").blank_custom("Account"), **record}
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


    # -- accounts ---------------------------------------------------------------------------------
    async def accounts(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        zone = self.emulator._zone(request)
        if isinstance(zone, Response):
            return zone
        root = self.emulator._root(request)
        if request.method == "POST":
            return await self._create(request, root, zone)
        expand = self.emulator._expand(request)
        return self.emulator._page(request, self.order, self.records, self.position,
                          lambda record, load_only: self.render(record, root, zone, load_only, expand),
                          len(self.order) - self.deleted)

    async def account(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        zone = self.emulator._zone(request)
        if isinstance(zone, Response):
            return zone
        record_id = request.path_params["id"]
        record = self.records.get(record_id)
        include_deleted = self.emulator._include_deleted(request.query_params)
        missing = f"Account with id '{record_id}' not found."
        if record is None:
            return error(404, ENTITY_NOT_FOUND_NAME, missing)
        if record["is_deleted"] and not (include_deleted and request.method == "GET"):
            status = self.emulator.switch.get("delete_deleted_status", DELETE_DELETED_STATUS) \
                if request.method == "DELETE" else 404
            if status == 200:
                return ok(delete_response(record_id))
            return error(status, ENTITY_NOT_FOUND_NAME, missing)
        root = self.emulator._root(request)
        if request.method == "GET":
            return ok({"success": True, "data": self.render(record, root, zone, expand=self.emulator._expand(request))})
        if request.method == "DELETE":
            if record["is_delete_protected"]:
                return error(*DELETE_PROTECTED)
            record["is_deleted"] = True
            self.deleted += 1
            record["modified"] = pipeliner_date(datetime.now(UTC))
            record["revision"] += 1
            return ok(delete_response(record_id))
        return await self._update(request, record, root, zone)

    def _validate(self, body: dict[str, Any], creating: bool, entity_id: str) -> tuple[dict[str, Any], Response | None]:
        clean: dict[str, Any] = {}
        for key, value in body.items():
            if key in READ_ONLY_FIELDS or key in LINKS:
                continue
            if key.startswith("cf_"):   # a custom field: as the space's Fields define it (fields.py)
                failure = self.emulator.resource("fields").custom_value_error("Account", key, value)
                if failure is not None:
                    return {}, failure
                clean[key] = value
                continue
            if key not in WRITABLE_FIELDS:
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity Account.")
            expected = WRITABLE_FIELDS[key]
            if value is not None and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value.")
            clean[key] = value
        # A missing required field is 422 ERROR_ENTITY_VALIDATION code 119 ERROR_PARAMETER_MISSING (recorded by
        # amp-labs/connectors), a relation to a record that does not exist code 120 with the message the docs
        # give for Account.owner_id (core-api-concepts/bulk-create-update-delete).
        if (creating or "name" in clean) and not (clean.get("name") or "").strip():
            return {}, entity_validation("Account", entity_id, "name", 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Account[{entity_id}].name' is null or empty.")
        if creating and not clean.get("owner_id"):
            return {}, entity_validation("Account", entity_id, "owner_id", 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Account[{entity_id}].owner_id' is null or empty.")
        if "owner_id" in clean and not member(clean["owner_id"], CLIENT_IDS):
            return {}, entity_validation("Account", entity_id, "owner_id", 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                         f"[owner_id] Relation Account.owner_id={clean['owner_id']} to Client doesn't exist!")
        if clean.get("industry_id") is not None and not member(clean["industry_id"], INDUSTRY_IDS):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME,
                             f"Value '{clean['industry_id']}' is not in the data set of field 'industry_id'.")
        if clean.get("tags") and not (isinstance(clean["tags"], list) and all(member(t, TAG_IDS) for t in clean["tags"])):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'tags' refers to an unknown tag.")
        parent = clean.get("parent_account_id")
        if parent is not None and (not member(parent, self.records) or self.records[parent]["is_deleted"]):
            return {}, entity_validation("Account", entity_id, "parent_account_id", 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                         f"[parent_account_id] Relation Account.parent_account_id={parent} to Account "
                                         "doesn't exist!")
        return clean, None

    async def _create(self, request: Request, root: str, zone: ZoneInfo | None) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(VALIDATION_STATUS, "ERROR_INVALID_REQUEST", "Request body must be a JSON object.")
        new_id = str(uuid.uuid4())
        clean, failure = self._validate(body, creating=True, entity_id=new_id)
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
            "id": new_id,
            "formatted_name": record["name"],
            "created": stamp,
            "modified": stamp,
            "modified_by_user_id": owner["id"],
            "revision": 1,
            "is_deleted": False,
            "is_delete_protected": False,
        })
        self._store(record)
        # 200 or 201: the sources disagree (common.SWITCHES `create_status`)
        return ok({"success": True, "data": self.render(record, root, zone)}, self.emulator.switch["create_status"])

    async def _update(self, request: Request, record: dict[str, Any], root: str, zone: ZoneInfo | None) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(VALIDATION_STATUS, "ERROR_INVALID_REQUEST", "Request body must be a JSON object.")
        clean, failure = self._validate(body, creating=False, entity_id=record["id"])
        if failure is not None:
            return failure
        record.update(clean)
        if "name" in clean:
            record["formatted_name"] = clean["name"]
        record["modified"] = pipeliner_date(datetime.now(UTC))
        record["revision"] += 1
        return ok({"success": True, "data": self.render(record, root, zone)})

