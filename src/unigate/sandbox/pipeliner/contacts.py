"""Pipeliner contacts: the `Contacts` entity and its account links, `ContactAccountRelations`.

Sources: the create-contact tutorial (https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-contact),
the vendor's "Pipeliner Cloud API" v100 OpenAPI (Contact / ContactAccountRelation schemas; mirrored in
amp-labs/connectors, providers/pipeliner/openapi/api.json) and the vendor-published PowerPlatform connector
swagger (microsoft/PowerPlatformConnectors, certified-connectors/Pipeliner CRM/apiDefinition.swagger.json).
- Create needs `owner_id` and at least one of `first_name`/`last_name` (tutorial; the connector swagger asks
  for `last_name`, the OpenAPI for no name: switch `contact_name_required`); `unit_id` defaults to the
  owner's default sales unit; `formatted_name` is derived (first middle last). A create answers 200 or 201
  (switch `create_status`).
- A missing required field or a relation to a record that does not exist is 422 `ERROR_ENTITY_VALIDATION`
  with `entity_errors`/`field_errors` (codes 119 ERROR_PARAMETER_MISSING, 120 ERROR_RELATIONS_DOESNT_EXIST),
  the envelope Pipeliner answers (recorded by amp-labs/connectors, providers/pipeliner test fixtures; codes in
  https://developers.pipelinersales.com/api-docs/core-api-concepts/bulk-create-update-delete).
- Account links are `ContactAccountRelations` rows {account_id, contact_id, is_primary, position, ...}. A contact
  reads them as `account_relations` (URIs of the rows) and `primary_account` (URI of the primary account);
  `expand=primary_account` / `expand=account_relations` inline them
  (https://developers.pipelinersales.com/api-docs/core-api-concepts/api-parameters). There is no
  `primary_account_id` field. They are written as `account_relations: [{"account_id", "is_primary"}]`.
- Delete is soft (`is_deleted`), 200 `{"success": true, "data": "<id>"}`; the contact then reads 404 unless
  `include-deleted=true` on a GET.
Paging, filters, `load-only`, auth and dates are the emulator's (shared with Accounts).
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
    CLIENT_IDS, OWNERS, PERSONAS, CLIENTS, DATE_FIELDS, DELETE_DELETED_STATUS, DELETE_PROTECTED, ENTITIES_PATH, ENTITY_NOT_FOUND_NAME,
    SEED_EPOCH, TAG_IDS, TAGS, VALIDATION_NAME, VALIDATION_STATUS, delete_response, det_uuid, entity_validation,
    error, invalid_body, ok, parse_date, pipeliner_date,
)

S = (str,)
WRITABLE_FIELDS: dict[str, tuple[type, ...]] = {
    "first_name": S, "middle_name": S, "last_name": S, "title": S, "position": S, "owner_id": S, "unit_id": S,
    "contact_type_id": S, "picture_id": S, **{f"phone{i}": S for i in range(1, 6)},
    **{f"email{i}": S for i in range(1, 6)}, "address": S, "city": S, "state_province": S, "zip_code": S,
    "country": S, "comments": S, "gender": (int,), "share_mode": (int,), "is_archived": (bool,),
    "is_unsubscribed": (bool,), "is_favorite": (bool,), "quick_account_name": S, "tags": (list,),
    "social_media": (dict,), "account_position": S, "primary_account_relationship": (int,),
    "account_relations": (list,),
}
READ_ONLY_FIELDS = ("id", "created", "modified", "is_deleted", "is_delete_protected", "revision", "formatted_name",
                    "modified_by_user_id", "primary_account_position", "primary_account")
GENDERS = (0, 1, 2, 3)       # Unknown, Male, Female, NonBinary (OpenAPI Contact.gender)
SHARE_MODES = (0, 1, 2, 3)   # Standard, Private, AllView, AllEdit
LINKS = {"owner": ("owner_id", "Clients"), "unit": ("unit_id", "SalesUnits"),
         "contact_type": ("contact_type_id", "ContactTypes"), "picture": ("picture_id", "CloudObjects")}
# Whether a PATCH of `account_relations` replaces the contact's relations or adds to them is not documented;
# "replace" keeps exactly the sent rows, "append" adds them (a new primary demotes the old one). The gateway
# writes one primary relation and reads `primary_account`, which both modes answer alike.
# (switch `account_relations_on_patch`, common.SWITCHES: "replace" by default, or "append")

_FIRST = ["Jana", "Peter", "Lucia", "Martin", "Eva", "Tomas", "Zuzana", "Marek", "Katarina", "Jakub", "Anna",
          "Lukas", "Sofia", "Michal", "Ema", "Filip"]
_LAST = ["Novak", "Horvath", "Kovac", "Varga", "Toth", "Nagy", "Balaz", "Szabo", "Molnar", "Simon", "Lukac"]
_POSITIONS = ["Chief Executive Officer", "Head of Procurement", "IT Manager", "Sales Director", "CFO",
              "Operations Lead", "Marketing Specialist"]
_SOURCES = ["Web", "Referral", "Trade show", "Cold call"]


class Contacts(Resource):
    """Pipeliner contacts and their ContactAccountRelations rows (`self.records`/`self.relations` by id,
    `self.order`/`self.relation_order` every id ever stored, soft-deleted ones included)."""

    name = "contacts"

    def routes(self) -> list[Route]:
        base = ENTITIES_PATH
        return [
            Route(f"{base}/Contacts", self.contacts, methods=["GET", "POST"]),
            Route(f"{base}/Contacts/{{id}}", self.contact, methods=["GET", "PATCH", "DELETE"]),
            Route(f"{base}/ContactAccountRelations", self.relation_list, methods=["GET"]),
            Route(f"{base}/ContactAccountRelations/{{id}}", self.relation, methods=["GET"]),
        ]

    # -- seed and store -----------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Contacts round-robin over the seeded accounts (one in six has none, one in four a second, non-primary one)."""
        self.records: dict[str, dict[str, Any]] = BoundedRecords()  # spaces.py: bounded writes
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.deleted = 0
        self.relations: dict[str, dict[str, Any]] = {}
        self.relation_order: list[str] = []
        self.relation_position: dict[str, int] = {}
        account_ids = list(self._accounts().order)
        for i in range(count):
            first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST) + i) % len(_LAST)]
            owner = OWNERS[(i + 1) % len(OWNERS)]
            created = SEED_EPOCH + timedelta(hours=4 * i, minutes=7, microseconds=i * 613)
            stamp = pipeliner_date(created)
            record = self._blank()
            record.update({
                "id": det_uuid("contact", i), "first_name": first, "last_name": last,
                "middle_name": "M." if i % 9 == 0 else "", "title": "Dr." if i % 7 == 0 else "",
                "position": _POSITIONS[i % len(_POSITIONS)], "owner_id": owner["id"], "unit_id": owner["default_unit_id"],
                "email1": f"{first.lower()}.{last.lower()}{i}@contacts.example",
                "email2": f"{first.lower()}{i}@mail.example" if i % 3 == 0 else "",
                "phone1": f"+421 2 {6000 + i % 3000:04d} {i % 100:02d}",
                "phone2": f"+421 911 {100 + i % 900:03d} {i % 1000:03d}" if i % 2 == 0 else "",
                "address": f"{1 + i % 80} Obchodna", "city": ["Bratislava", "Kosice", "Vienna"][i % 3],
                "zip_code": f"{81101 + i % 50}", "country": ["Slovakia", "Slovakia", "Austria"][i % 3],
                "comments": f"Met {first} at the {2022 + i % 3} fair.", "gender": i % 3,
                "tags": [TAGS[i % len(TAGS)]["id"]] if i % 2 else [],
                "cf_lead_source": _SOURCES[i % len(_SOURCES)], "cf_nps": (i * 7) % 11 if i % 4 else None,
                "cf_persona": PERSONAS[i % len(PERSONAS)]["id"] if i % 3 else None,
                "cf_newsletter": i % 2 == 0,
                "cf_last_meeting": pipeliner_date(created + timedelta(days=9)) if i % 5 == 0 else None,
                "created": stamp, "modified": pipeliner_date(created + timedelta(days=1, seconds=i % 3600)),
                "modified_by_user_id": owner["id"], "revision": 1 + i % 4,
            })
            self._store(record)
            if account_ids and i % 6 != 5:
                self._relate(record["id"], account_ids[i % len(account_ids)], True, stamp, seeded=True)
                if i % 4 == 0 and len(account_ids) > 1:
                    self._relate(record["id"], account_ids[(i + 7) % len(account_ids)], False, stamp, seeded=True)
            record["formatted_name"] = self._formatted_name(record)

    def _blank(self) -> dict[str, Any]:
        record: dict[str, Any] = dict.fromkeys(WRITABLE_FIELDS)
        for key in ("first_name", "middle_name", "last_name", "title", "position", "address", "city",
                    "state_province", "zip_code", "country", "comments", "quick_account_name",
                    *(f"email{i}" for i in range(1, 6)), *(f"phone{i}" for i in range(1, 6))):
            record[key] = ""    # unset text reads as "" (core-api-concepts/fields)
        record.update({"gender": 0, "share_mode": 0, "is_archived": False, "is_unsubscribed": False,
                       "is_favorite": False, "tags": [], "account_relations": [], "is_deleted": False,
                       "is_delete_protected": False, "primary_account_position": None})
        return record

    def _accounts(self):
        return self.emulator.resource("accounts")

    def _store(self, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.position[record["id"]] = len(self.order)
        self.order.append(record["id"])

    def _relate(self, contact_id: str, account_id: str, primary: bool, stamp: str, seeded: bool = False,
                extra: dict[str, Any] | None = None) -> None:
        extra = extra or {}
        relation_id = det_uuid("contact-account", len(self.relation_order)) if seeded else str(uuid.uuid4())
        row = {"id": relation_id, "account_id": account_id, "contact_id": contact_id, "is_primary": primary,
               "position": extra.get("position") or "", "relationship": extra.get("relationship", 0),
               "is_assistant": bool(extra.get("is_assistant", False)), "is_sibling": bool(extra.get("is_sibling", False)),
               "comment": extra.get("comment") or "", "account_roles": [], "is_deleted": False,
               "created": stamp, "modified": stamp, "revision": 1}
        self.relations[relation_id] = row
        self.relation_position[relation_id] = len(self.relation_order)
        self.relation_order.append(relation_id)
        self.records[contact_id]["account_relations"].append(relation_id)
        if primary:
            self.records[contact_id]["primary_account_position"] = row["position"]

    def _live_relations(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.relations[r] for r in record["account_relations"] if not self.relations[r]["is_deleted"]]

    def _formatted_name(self, record: dict[str, Any]) -> str:
        return " ".join(p for p in (record["first_name"], record["middle_name"], record["last_name"]) if p)

    def count(self) -> int:
        return len(self.order)

    def snapshot(self) -> Any:
        return [self.render(r, None) for r in self.records.values()]

    def render(self, record: dict[str, Any], root: str | None, zone: ZoneInfo | None = None,
               load_only: list[str] | None = None, expand: list[str] | None = None) -> dict[str, Any]:
        out = {**self.emulator.resource("fields").blank_custom("Contact"), **record}
        relations = self._live_relations(record)
        primary = next((r["account_id"] for r in relations if r["is_primary"]), None)
        out["account_relations"] = [r["id"] for r in relations]
        out["primary_account"] = primary
        if zone is not None:
            for key in DATE_FIELDS:
                if out.get(key):
                    out[key] = pipeliner_date(parse_date(out[key]), zone)
        if root is not None:
            for link, (id_field, entity) in LINKS.items():
                target = out.get(id_field)
                out[link] = None if target is None else f"{root}/entities/{entity}/{target}"
            out["account_relations"] = [f"{root}/entities/ContactAccountRelations/{r['id']}" for r in relations]
            out["primary_account"] = None if primary is None else f"{root}/entities/Accounts/{primary}"
        for relation in expand or ():
            if relation == "primary_account" and primary is not None:
                out["primary_account"] = self._accounts().render(self._accounts().records[primary], root, zone)
            elif relation == "account_relations":
                out["account_relations"] = [dict(r) for r in relations]
            elif relation == "owner":
                out["owner"] = next((c for c in CLIENTS if c["id"] == record["owner_id"]), None)
            elif relation == "tags":
                out["tags"] = [t for t in TAGS if t["id"] in record["tags"]]
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    # -- HTTP -------------------------------------------------------------------------------------
    def _prelude(self, request: Request) -> tuple[Response | None, ZoneInfo | None]:
        early = self.emulator._guard(request)
        if early is not None:
            return early, None
        zone = self.emulator._zone(request)
        return (zone, None) if isinstance(zone, Response) else (None, zone)

    async def contacts(self, request: Request) -> Response:
        early, zone = self._prelude(request)
        if early is not None:
            return early
        root = self.emulator._root(request)
        if request.method == "POST":
            return await self._write(request, None, root, zone)
        expand = self.emulator._expand(request)
        return self.emulator._page(request, self.order, self.records, self.position,
                                   lambda record, load_only: self.render(record, root, zone, load_only, expand),
                                   len(self.order) - self.deleted)

    async def contact(self, request: Request) -> Response:
        early, zone = self._prelude(request)
        if early is not None:
            return early
        record_id = request.path_params["id"]
        record = self.records.get(record_id)
        missing = f"Contact with id '{record_id}' not found."
        if record is None:
            return error(404, ENTITY_NOT_FOUND_NAME, missing)
        if record["is_deleted"] and not (self.emulator._include_deleted(request.query_params) and request.method == "GET"):
            status = self.emulator.switch.get("delete_deleted_status", DELETE_DELETED_STATUS) \
                if request.method == "DELETE" else 404
            return ok(delete_response(record_id)) if status == 200 else error(status, ENTITY_NOT_FOUND_NAME, missing)
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
        return await self._write(request, record, root, zone)

    async def relation_list(self, request: Request) -> Response:
        early, _ = self._prelude(request)
        if early is not None:
            return early
        return self.emulator._page(request, self.relation_order, self.relations, self.relation_position,
                                   lambda row, load_only: {k: v for k, v in row.items()
                                                           if not load_only or k in load_only or k == "id"})

    async def relation(self, request: Request) -> Response:
        early, _ = self._prelude(request)
        if early is not None:
            return early
        row = self.relations.get(request.path_params["id"])
        if row is None or row["is_deleted"]:
            return error(404, ENTITY_NOT_FOUND_NAME,
                         f"ContactAccountRelation with id '{request.path_params['id']}' not found.")
        return ok({"success": True, "data": dict(row)})

    # -- writes -----------------------------------------------------------------------------------
    def _validate(self, body: dict[str, Any], record: dict[str, Any] | None, entity_id: str
                  ) -> tuple[dict[str, Any], Response | None]:
        clean: dict[str, Any] = {}
        for key, value in body.items():
            if key in READ_ONLY_FIELDS or key in LINKS:
                continue
            if key.startswith("cf_"):   # a custom field: as the space's Fields define it (fields.py)
                failure = self.emulator.resource("fields").custom_value_error("Contact", key, value)
                if failure is not None:
                    return {}, failure
                clean[key] = value
                continue
            if key not in WRITABLE_FIELDS:
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity Contact.")
            expected = WRITABLE_FIELDS[key]
            if value is not None and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value.")
            clean[key] = value
        merged = {**(record or self._blank()), **clean}
        if record is None and not clean.get("owner_id"):
            return {}, entity_validation("Contact", entity_id, "owner_id", 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Contact[{entity_id}].owner_id' is null or empty.")
        # Which name a contact needs: the sources disagree (common.SWITCHES `contact_name_required`).
        naming = self.emulator.switch["contact_name_required"]
        if naming == "first_or_last" and not (merged.get("first_name") or merged.get("last_name")):
            return {}, entity_validation("Contact", entity_id, "last_name", 119, "ERROR_PARAMETER_MISSING",
                                         "At least one of the fields 'first_name', 'last_name' is required.")
        if naming == "last_name" and not merged.get("last_name"):
            return {}, entity_validation("Contact", entity_id, "last_name", 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Contact[{entity_id}].last_name' is null or empty.")
        if "owner_id" in clean and not member(clean["owner_id"], CLIENT_IDS):
            return {}, entity_validation("Contact", entity_id, "owner_id", 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                         f"[owner_id] Relation Contact.owner_id={clean['owner_id']} to Client doesn't exist!")
        if (clean.get("gender") is not None and not member(clean["gender"], GENDERS)) or \
                (clean.get("share_mode") is not None and not member(clean["share_mode"], SHARE_MODES)):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'gender' or 'share_mode' is out of range.")
        if clean.get("tags") and not (isinstance(clean["tags"], list) and all(member(t, TAG_IDS) for t in clean["tags"])):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'tags' refers to an unknown tag.")
        return clean, self._check_relations(clean.get("account_relations"), entity_id)

    def _check_relations(self, rows: Any, entity_id: str) -> Response | None:
        """Each row: an object with an existing, live `account_id` and a boolean `is_primary` (both required
        in createContactAccountRelationInput); at most one primary."""
        if rows is None:
            return None
        accounts = self._accounts().records
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("is_primary"), bool) or not row.get("account_id"):
                missing = "is_primary" if isinstance(row, dict) and row.get("account_id") else "account_id"
                return entity_validation("ContactAccountRelation", entity_id, missing, 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'ContactAccountRelation.{missing}' is null or empty.")
            account = accounts.get(row["account_id"]) if isinstance(row["account_id"], str) else None
            if account is None or account["is_deleted"]:
                return entity_validation("ContactAccountRelation", entity_id, "account_id", 120,
                                         "ERROR_RELATIONS_DOESNT_EXIST",
                                         f"[account_id] Relation ContactAccountRelation.account_id={row['account_id']}"
                                         " to Account doesn't exist!")
        if sum(1 for row in rows if row["is_primary"]) > 1:
            return error(VALIDATION_STATUS, VALIDATION_NAME, "Only one account relation can be primary.")
        return None

    def _apply_relations(self, record: dict[str, Any], rows: list[dict[str, Any]], stamp: str) -> None:
        current = self._live_relations(record)
        if self.emulator.switch["account_relations_on_patch"] == "replace" or not current:
            for row in current:
                row["is_deleted"] = True
        elif any(row["is_primary"] for row in rows):
            for row in current:
                row["is_primary"] = False
        for row in rows:
            existing = next((r for r in self._live_relations(record) if r["account_id"] == row["account_id"]), None)
            if existing is not None:
                existing.update({"is_primary": row["is_primary"], "modified": stamp})
            else:
                self._relate(record["id"], row["account_id"], row["is_primary"], stamp, extra=row)

    async def _write(self, request: Request, record: dict[str, Any] | None, root: str, zone: ZoneInfo | None) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return invalid_body()
        entity_id = record["id"] if record is not None else str(uuid.uuid4())
        clean, failure = self._validate(body, record, entity_id)
        if failure is not None:
            return failure
        stamp = pipeliner_date(datetime.now(UTC))
        rows = clean.pop("account_relations", None)
        status = 200
        if record is None:
            status = self.emulator.switch["create_status"]   # 200 or 201 (common.SWITCHES)
            record = self._blank()
            record.update({k: v for k, v in clean.items() if v is not None})
            owner = next(c for c in CLIENTS if c["id"] == record["owner_id"])
            record["unit_id"] = record.get("unit_id") or owner["default_unit_id"]   # create-contact tutorial
            record.update({"id": entity_id, "created": stamp, "modified": stamp, "modified_by_user_id": owner["id"],
                           "revision": 1})
            self._store(record)
        else:
            record.update(clean)
            record["modified"] = stamp
            record["revision"] += 1
        if rows is not None:
            self._apply_relations(record, rows, stamp)
        record["formatted_name"] = self._formatted_name(record)
        return ok({"success": True, "data": self.render(record, root, zone)}, status)
