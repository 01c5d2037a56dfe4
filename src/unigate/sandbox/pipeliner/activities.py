"""Pipeliner notes, appointments (meetings) and appointment types: the `Notes`, `Appointments` and
`AppointmentTypes` entities.

Sources: the vendor's v100 OpenAPI (Note, Appointment, AppointmentType, ActivityRelation schemas; mirrored in
amp-labs/connectors `providers/pipeliner/openapi/api.json`), the vendor-published PowerPlatform connector swagger
(microsoft/PowerPlatformConnectors, `certified-connectors/Pipeliner CRM`: relation writes) and answers recorded
from Pipeliner in amp-labs/connectors (`providers/pipeliner/test/...`: create-note, update-note, delete-note,
create-entity-validation). Everything else (envelopes, paging, filters, dates, errors) is shared with the other
entities (`__init__.py`, `common.py`).
- Notes: create needs `note` and `owner_id` (a create without them was recorded answering the 422
  ERROR_ENTITY_VALIDATION, code 119). A note names its record in `account_id`, `contact_id`, `lead_oppty_id`
  (a lead or an opportunity), `project_id`, `quote_id`, `custom_entity_id`, and reads back each also as a URI
  (`account`, `contact`, `lead` or `oppty`, ...). The recorded note had one of them set; whether several may
  be set at once is not documented: switch `note_parents` = "many" (default, the columns are independent in
  the schema) / "one" (a second is 422). [unverified]
- Appointments: create needs `subject`, `owner_id` and `end_date` (OpenAPI); `start_date`/`end_date` are
  datetimes, `status` 1 NotStarted, 2 InProgress, 3 Waiting, 4 Completed, 5 Deferred, 6 Canceled,
  `activity_type_id` an AppointmentType. Their records are `account_relations`, `contact_relations`,
  `opportunity_relations`, `lead_relations`: ActivityRelation rows written as `[{"account_id": ...}]`,
  `[{"contact_id"}]`, `[{"lead_oppty_id"}]` (connector swagger), read as URIs or inlined with `expand`.
  A PATCH of a relation list replaces it, as the emulator's other relation lists do. [unverified]
- AppointmentTypes: create needs `name` and `is_readonly`; `icon` 0-23 (2 Appointment, 3 Call, ...).
- Deletes are soft and answer 200 `{"success": true, "data": "<id>"}` (recorded delete-note).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.pipeliner.common import (
    CLIENT_IDS, OWNERS, CLIENTS, DELETE_DELETED_STATUS, DELETE_PROTECTED, ENTITIES_PATH, ENTITY_NOT_FOUND_NAME, SEED_EPOCH,
    VALIDATION_NAME, VALIDATION_STATUS, delete_response, det_uuid, entity_validation, error, invalid_body, is_uuid,
    ok, pipeliner_date,
)

S = (str,)
NOTE_PARENTS = ("many", "one")
# Notes may name these records (OpenAPI Note); the URI each reads back as, and the entity it points at.
_NOTE_LINKS = {"account_id": ("account", "accounts"), "contact_id": ("contact", "contacts"),
               "lead_oppty_id": ("oppty", "opportunities"), "project_id": ("project", None),
               "quote_id": ("quote", None), "custom_entity_id": ("custom_entity", None)}
_RELATIONS = {"account_relations": ("account_id", "accounts"), "contact_relations": ("contact_id", "contacts"),
              "opportunity_relations": ("lead_oppty_id", "opportunities"), "lead_relations": ("lead_oppty_id", None)}
APPOINTMENT_STATUSES = (1, 2, 3, 4, 5, 6)
# name, icon (OpenAPI AppointmentType.icon: 2 Appointment, 3 Call, 4 Mail, 0 General)
TYPE_SEED = [("Meeting", 2), ("Call", 3), ("Demo", 2), ("Online meeting", 2), ("Lunch", 0), ("Site visit", 0),
             ("Conference", 0), ("Trade show", 0), ("Workshop", 2), ("Training", 2), ("Follow-up call", 3),
             ("Contract signing", 2), ("Quarterly business review", 2), ("Kick-off meeting", 2), ("Webinar", 0),
             ("Interview", 2)]
_NOTES = ["Spoke with procurement; waiting on the PO.", "Sent the <b>revised proposal</b>.",
          "Customer asked for a reference call.\nFollow up next week.", "Budget confirmed for next quarter."]
_SUBJECTS = ["Kick-off", "Product demo", "Pricing call", "Quarterly review", "Onsite workshop", "Contract review"]


class _Entity(Resource):
    """One Pipeliner entity kept by id in `self.records` (`self.order` every id ever stored, soft-deleted ones
    included), with the list, get, create, PATCH and soft DELETE every entity shares."""

    entity: ClassVar[str] = ""        # the path segment: /entities/<entity>
    singular: ClassVar[str] = ""      # the entity name errors use
    writable: ClassVar[dict[str, tuple[type, ...]]] = {}
    required: ClassVar[tuple[str, ...]] = ()

    def routes(self) -> list[Route]:
        return [
            Route(f"{ENTITIES_PATH}/{self.entity}", self.collection, methods=["GET", "POST"]),
            Route(f"{ENTITIES_PATH}/{self.entity}/{{id}}", self.one, methods=["GET", "PATCH", "DELETE"]),
        ]

    def _reset(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.deleted = 0

    def _store(self, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.position[record["id"]] = len(self.order)
        self.order.append(record["id"])

    def _blank(self, record_id: str, stamp: str) -> dict[str, Any]:
        record: dict[str, Any] = dict.fromkeys(self.writable)
        record.update({"id": record_id, "is_deleted": False, "is_delete_protected": False, "created": stamp,
                       "modified": stamp, "revision": 1})
        return record

    def count(self) -> int:
        return len(self.order)

    def snapshot(self) -> Any:
        return [self.render(self.records[i], None, []) for i in self.order]

    def render(self, record: dict[str, Any], root: str | None, expand: list[str],
               load_only: list[str] | None = None) -> dict[str, Any]:
        out = dict(record)
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    def live(self, record_id: Any) -> bool:
        record = self.records.get(record_id) if isinstance(record_id, str) else None
        return record is not None and not record["is_deleted"]

    # -- HTTP -------------------------------------------------------------------------------------
    async def collection(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        root = self.emulator._root(request)
        if request.method == "POST":
            return await self._write(request, None, root)
        expand = self.emulator._expand(request)
        return self.emulator._page(request, self.order, self.records, self.position,
                                   lambda record, load_only: self.render(record, root, expand, load_only),
                                   len(self.order) - self.deleted)

    async def one(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        record_id = request.path_params["id"]
        record = self.records.get(record_id)
        missing = f"{self.singular} with id '{record_id}' not found."
        if record is None:
            return error(404, ENTITY_NOT_FOUND_NAME, missing)
        if record["is_deleted"] and not (self.emulator._include_deleted(request.query_params) and request.method == "GET"):
            status = self.emulator.switch.get("delete_deleted_status", DELETE_DELETED_STATUS) \
                if request.method == "DELETE" else 404
            return error(status, ENTITY_NOT_FOUND_NAME, missing)
        root = self.emulator._root(request)
        if request.method == "GET":
            return ok({"success": True, "data": self.render(record, root, self.emulator._expand(request))})
        if request.method == "DELETE":
            if record["is_delete_protected"]:
                return error(*DELETE_PROTECTED)
            record.update({"is_deleted": True, "modified": pipeliner_date(datetime.now(UTC))})
            record["revision"] += 1
            self.deleted += 1
            return ok(delete_response(record_id))
        return await self._write(request, record, root)

    # -- writes -----------------------------------------------------------------------------------
    def missing(self, entity_id: str, field: str) -> Response:
        return entity_validation(self.singular, entity_id, field, 119, "ERROR_PARAMETER_MISSING",
                                 f"Non-null field '{self.singular}[{entity_id}].{field}' is null or empty.")

    def dangling(self, entity_id: str, field: str, target: str, value: Any) -> Response:
        return entity_validation(self.singular, entity_id, field, 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                 f"[{field}] Relation {self.singular}.{field}={value} to {target} doesn't exist!")

    def check(self, clean: dict[str, Any], merged: dict[str, Any], entity_id: str) -> Response | None:
        """Entity-specific checks of a write (`clean` the fields sent, `merged` the record they make)."""
        return None

    def apply(self, record: dict[str, Any], clean: dict[str, Any], stamp: str) -> None:
        record.update(clean)

    async def _write(self, request: Request, record: dict[str, Any] | None, root: str) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return invalid_body()
        entity_id = record["id"] if record is not None else str(uuid.uuid4())
        clean: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("id", "created", "modified", "is_deleted", "revision"):
                continue
            if key not in self.writable:
                return error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity {self.singular}.")
            expected = self.writable[key]
            if value is not None and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
                return error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value.")
            clean[key] = value
        merged = {**(record or {}), **clean}
        for field in self.required:
            if merged.get(field) in (None, "") and (record is None or field in clean):
                return self.missing(entity_id, field)
        if "owner_id" in clean and clean["owner_id"] is not None and not member(clean["owner_id"], CLIENT_IDS):
            return self.dangling(entity_id, "owner_id", "Client", clean["owner_id"])
        failure = self.check(clean, merged, entity_id)
        if failure is not None:
            return failure
        stamp = pipeliner_date(datetime.now(UTC))
        status = 200
        if record is None:
            record = self._blank(entity_id, stamp)
            self.apply(record, clean, stamp)
            self._store(record)
            status = self.emulator.switch["create_status"]      # 200 or 201 (common.SWITCHES)
        else:
            self.apply(record, clean, stamp)
            record["modified"] = stamp
            record["revision"] += 1
        return ok({"success": True, "data": self.render(record, root, [])}, status)


class Notes(_Entity):
    name = "notes"
    entity = "Notes"
    singular = "Note"
    default_seed_count: ClassVar[int | None] = 30
    writable = {"note": S, "owner_id": S, **{k: S for k in _NOTE_LINKS}}
    required = ("note", "owner_id")

    def seed(self, count: int) -> None:
        """Notes on accounts, contacts and opportunities in turn; every fourth on an opportunity also names its
        primary account."""
        self._reset()
        accounts = [a for a in self.emulator.resource("accounts").records.values() if not a["is_deleted"]]
        contacts = [c for c in self.emulator.resource("contacts").records.values() if not c["is_deleted"]]
        deals = self.emulator.resource("opportunities")
        opportunities = [deals.records[i] for i in deals.order if not deals.records[i]["is_deleted"]]
        for i in range(count):
            created = SEED_EPOCH + timedelta(hours=11 * i + 3, microseconds=17 * i)
            record = self._blank(det_uuid("note", i), pipeliner_date(created))
            owner = OWNERS[i % len(OWNERS)]
            record.update({"note": _NOTES[i % len(_NOTES)], "owner_id": owner["id"],
                           "modified": pipeliner_date(created + timedelta(hours=1))})
            kind = i % 3
            if kind == 0 and accounts:
                record["account_id"] = accounts[i % len(accounts)]["id"]
            elif kind == 1 and contacts:
                record["contact_id"] = contacts[i % len(contacts)]["id"]
            elif opportunities:
                deal = opportunities[i % len(opportunities)]
                record["lead_oppty_id"] = deal["id"]
                primary = next((r["account_id"] for r in deal["account_relations"] if r["is_primary"]), None)
                if i % 4 == 2 and primary:
                    record["account_id"] = primary
            self._store(record)

    def render(self, record, root, expand, load_only=None):
        out = dict(record)
        if root is not None:
            out["owner"] = f"{root}/entities/Clients/{record['owner_id']}" if record.get("owner_id") else None
            for field, (link, _) in _NOTE_LINKS.items():
                entity = {"account": "Accounts", "contact": "Contacts", "oppty": "Opportunities", "project": "Projects",
                          "quote": "Quotes", "custom_entity": "CustomEntities"}[link]
                out[link] = f"{root}/entities/{entity}/{record[field]}" if record.get(field) else None
            out["lead"] = None      # the sandbox has no Leads: lead_oppty_id always names an opportunity
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    def check(self, clean, merged, entity_id):
        for field, (_, resource) in _NOTE_LINKS.items():
            value = clean.get(field)
            if value is None:
                continue
            if resource is None or not is_uuid(value) or not self.emulator.resource(resource).records.get(value) \
                    or self.emulator.resource(resource).records[value]["is_deleted"]:
                return self.dangling(entity_id, field, field[:-3].title(), value)
        if self.emulator.switch["note_parents"] == "one" and sum(1 for f in _NOTE_LINKS if merged.get(f)) > 1:
            return error(VALIDATION_STATUS, VALIDATION_NAME, "A note belongs to one record.")
        return None


class AppointmentTypes(_Entity):
    name = "engagement_types"
    entity = "AppointmentTypes"
    singular = "AppointmentType"
    default_seed_count: ClassVar[int | None] = len(TYPE_SEED)
    writable = {"name": S, "icon": (int,), "is_readonly": (bool,), "can_change_readonly": (bool,),
                "form_edit": (dict,), "form_edit_api": (dict,)}
    required = ("name", "is_readonly")

    def seed(self, count: int) -> None:
        self._reset()
        # a space keeps a handful, large resets stay small, and an empty data space (count 0) holds none
        for i in range(min(max(count, 2), 100) if count else 0):
            name, icon = TYPE_SEED[i] if i < len(TYPE_SEED) else (f"Custom appointment {i + 1}", 0)
            stamp = pipeliner_date(SEED_EPOCH - timedelta(days=200 - i))
            record = self._blank(det_uuid("appointment-type", i), stamp)
            record.update({"name": name, "icon": icon, "is_readonly": i < 2, "can_change_readonly": i >= 2,
                           "form_edit": None, "form_edit_api": None, "has_draft": False, "is_published": True})
            self._store(record)

    def check(self, clean, merged, entity_id):
        if clean.get("icon") is not None and not 0 <= clean["icon"] <= 23:
            return error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'icon' has an invalid value.")
        return None


class Appointments(_Entity):
    name = "engagements"
    entity = "Appointments"
    singular = "Appointment"
    default_seed_count: ClassVar[int | None] = 30
    writable = {"subject": S, "description": S, "location": S, "organizer": S, "start_date": S, "end_date": S,
                "status": (int,), "activity_type_id": S, "owner_id": S, "unit_id": S, "duration": (int,),
                "share_mode": (int,), **{k: (list,) for k in _RELATIONS}}
    required = ("subject", "owner_id", "end_date")

    def seed(self, count: int) -> None:
        """Meetings and calls with an account, its people and one of its opportunities (every fifth with
        none), statuses in turn."""
        self._reset()
        accounts = [a for a in self.emulator.resource("accounts").records.values() if not a["is_deleted"]]
        deals = self.emulator.resource("opportunities")
        contacts = self.emulator.resource("contacts")
        people_of: dict[str, list[str]] = {}
        for row in contacts.relations.values():
            if not row["is_deleted"]:
                people_of.setdefault(row["account_id"], []).append(row["contact_id"])
        types = list(self.emulator.resource("engagement_types").order)
        first_deal: dict[str, str] = {}         # account id -> its first live opportunity
        for deal_id in deals.order:
            deal = deals.records[deal_id]
            if not deal["is_deleted"]:
                for row in deal["account_relations"]:
                    first_deal.setdefault(row["account_id"], deal_id)
        for i in range(count):
            created = SEED_EPOCH + timedelta(hours=13 * i + 1, microseconds=29 * i)
            stamp = pipeliner_date(created)
            record = self._blank(det_uuid("appointment", i), stamp)
            owner = OWNERS[i % len(OWNERS)]
            start = datetime(2026, 2, 2, 9, 0, tzinfo=UTC) + timedelta(days=i, hours=i % 6)
            record.update({
                "subject": f"{_SUBJECTS[i % len(_SUBJECTS)]} {i + 1}", "description": f"Agenda {i + 1}" if i % 2 else "",
                "location": "", "organizer": "", "start_date": pipeliner_date(start),
                "end_date": pipeliner_date(start + timedelta(minutes=30 * (1 + i % 3))),
                "status": [4, 1, 4, 6, 2][i % 5], "activity_type_id": types[i % 2] if types else None,
                "owner_id": owner["id"], "unit_id": owner["default_unit_id"], "share_mode": 0,
                "modified": pipeliner_date(created + timedelta(hours=2)),
                **{k: [] for k in _RELATIONS},
            })
            if accounts and i % 5 != 4:
                account = accounts[i % len(accounts)]
                record["account_relations"] = [self._row(record["id"], "account_id", account["id"], stamp)]
                record["contact_relations"] = [self._row(record["id"], "contact_id", c, stamp)
                                               for c in people_of.get(account["id"], [])[:2]]
                if account["id"] in first_deal:
                    record["opportunity_relations"] = [
                        self._row(record["id"], "lead_oppty_id", first_deal[account["id"]], stamp)]
            self._store(record)

    @staticmethod
    def _row(activity_id: str, key: str, target: str, stamp: str) -> dict[str, Any]:
        return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{activity_id}/{key}/{target}")), "activity_id": activity_id,
                key: target, "sort_order": 0, "is_deleted": False, "created": stamp, "modified": stamp}

    def render(self, record, root, expand, load_only=None):
        out = dict(record)
        for relation in _RELATIONS:
            rows = record.get(relation) or []
            if relation in expand:
                out[relation] = [dict(r) for r in rows]
            elif root is not None:
                out[relation] = [f"{root}/entities/ActivityRelations/{r['id']}" for r in rows]
            else:
                out[relation] = [dict(r) for r in rows]
        if root is not None:
            out["owner"] = f"{root}/entities/Clients/{record['owner_id']}" if record.get("owner_id") else None
            out["activity_type"] = (f"{root}/entities/AppointmentTypes/{record['activity_type_id']}"
                                    if record.get("activity_type_id") else None)
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    def check(self, clean, merged, entity_id):
        for field in ("start_date", "end_date"):
            if clean.get(field) is not None:
                try:
                    datetime.fromisoformat(clean[field].replace("Z", "+00:00"))
                except ValueError:
                    return error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{field}' must be a datetime.")
        if merged.get("start_date") and merged.get("end_date") and \
                _parse(merged["end_date"]) < _parse(merged["start_date"]):
            return error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'end_date' is before 'start_date'.")
        if clean.get("status") is not None and not member(clean["status"], APPOINTMENT_STATUSES):
            return error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'status' has an invalid value.")
        kind = clean.get("activity_type_id")
        if kind is not None and not self.emulator.resource("engagement_types").live(kind):
            return self.dangling(entity_id, "activity_type_id", "AppointmentType", kind)
        for relation, (key, resource) in _RELATIONS.items():
            for row in clean.get(relation) or []:
                target = row.get(key) if isinstance(row, dict) else None
                if not target:
                    return entity_validation("ActivityRelation", entity_id, key, 119, "ERROR_PARAMETER_MISSING",
                                             f"Non-null field 'ActivityRelation.{key}' is null or empty.")
                if resource is None or not _live_in(self, resource, target):
                    return entity_validation("ActivityRelation", entity_id, key, 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                             f"[{key}] Relation ActivityRelation.{key}={target} doesn't exist!")
        return None

    def apply(self, record, clean, stamp):
        for key, value in clean.items():
            if key in _RELATIONS:
                target = _RELATIONS[key][0]
                record[key] = [self._row(record["id"], target, row[target], stamp) for row in value or []]
            elif key in ("start_date", "end_date") and value is not None:
                record[key] = pipeliner_date(_parse(value))
            else:
                record[key] = value
        if record.get("owner_id") and not record.get("unit_id"):
            record["unit_id"] = next(c["default_unit_id"] for c in CLIENTS if c["id"] == record["owner_id"])
        for key in ("description", "location", "organizer"):
            if record.get(key) is None:
                record[key] = ""        # unset text reads as "" (core-api-concepts/fields)
        if record.get("status") is None:
            record["status"] = 1
        for relation in _RELATIONS:
            record.setdefault(relation, [])
            if record[relation] is None:
                record[relation] = []


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _live_in(appointments: Appointments, resource: str, target: Any) -> bool:
    record = appointments.emulator.resource(resource).records.get(target) if isinstance(target, str) else None
    return record is not None and not record["is_deleted"]
