"""Pipeliner opportunities: the `Opportunities` entity and its LeadOppty account/contact links.

Sources: the create-opportunity tutorial
(https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-opportunity), the vendor's v100
OpenAPI (Opportunity schema; mirrored in api-evangelist/pipeliner, openapi/pipeliner-openapi.json) and the
vendor-published PowerPlatform connector swagger (microsoft/PowerPlatformConnectors, certified-connectors/Pipeliner CRM).
- Create needs `name`, `owner_id`, `closing_date`, `step_id` and `value` (tutorial, "Required fields"); a
  missing one is 422 ERROR_ENTITY_VALIDATION (code 119), a relation to nothing 422 (code 120), as for contacts.
- `value` is {base_value, currency_id, value_foreign}: `base_value` in the space's base currency, `value_foreign`
  in `currency_id`'s; the server computes one from the other through the exchange rates (tutorial).
- The pipeline is the step's: an opportunity has no `pipeline_id`, and moving it is a PATCH of `step_id`.
- `status` is read-only, 1 Open, 2 Lost, 3 Won, "derived from the current pipeline step and the archived
  flag": the pipeline's last step is won, `is_archived` lost; archived opportunities "cannot be edited until
  reactivated" (OpenAPI Opportunity.status, .step, .is_archived).
- Accounts and contacts are LeadOpptyAccountRelations / LeadOpptyContactRelations rows, read as URIs
  (`account_relations`, `contact_relations`, `primary_account`, `primary_contact`) or inlined with `expand`, written
  as `[{"account_id", "is_primary"}]` / `[{"contact_id", "is_primary"}]` (connector swagger).
- Delete is soft, 200 `{"success": true, "data": "<id>"}`, as for accounts and contacts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, lookup, member, read_json
from unigate.sandbox.pipeliner.common import (
    CLIENT_IDS, OWNERS, CLIENTS, CURRENCIES, CURRENCY_BY_ID, DELETE_DELETED_STATUS, DELETE_PROTECTED, ENTITIES_PATH,
    ENTITY_NOT_FOUND_NAME, SEED_EPOCH, TAG_IDS, TAGS, VALIDATION_NAME, VALIDATION_STATUS,
    delete_response, det_uuid, entity_validation, error, invalid_body, is_uuid, ok, pipeliner_date,
)

S = (str,)
WRITABLE_FIELDS: dict[str, tuple[type, ...]] = {
    "name": S, "description": S, "closing_date": S, "step_id": S, "oppty_type_id": S, "owner_id": S,
    "unit_id": S, "value": (dict,), "label_flag": (int,), "ranking": (int,), "is_archived": (bool,),
    "lead_source_id": S, "reason_of_close_id": S, "reason_of_close_description": S, "share_mode": (int,),
    "tags": (list,), "account_relations": (list,), "contact_relations": (list,), "won_date": S, "lost_date": S,
    "quick_account_name": S, "quick_contact_name": S, "quick_email": S, "quick_phone": S,
    "quick_account_email": S, "quick_account_phone": S,
}
READ_ONLY_FIELDS = ("id", "created", "modified", "is_deleted", "is_delete_protected", "revision", "status",
                    "table_name", "primary_account", "primary_contact", "days_in_step", "qualify_date",
                    "was_qualified", "modified_by_user_id", "step", "owner", "unit", "oppty_type")
REQUIRED = ("name", "owner_id", "closing_date", "step_id", "value")
# A PATCH of account_relations / contact_relations: "replace" or "append" (see _apply_relations). [unverified]
RELATIONS_ON_PATCH = "replace"
OPEN, LOST, WON = 1, 2, 3
_DEALS = ["CRM rollout", "Support renewal", "Data migration", "Hardware refresh", "Consulting retainer",
          "Training package", "Cloud upgrade", "Security audit", "Integration project", "Licence expansion"]
_COMPETITORS = ["Globex Systems", "Initrode", "none"]


class Opportunities(Resource):
    """Pipeliner opportunities by id (`self.order` every id ever stored, soft-deleted ones included); each
    record keeps its relation rows under `account_relations` / `contact_relations`."""

    name = "opportunities"
    default_seed_count: ClassVar[int | None] = 45
    # What differs for the other kind of lead-oppty (leads.py): the entity, its path, fields and required ones.
    entity: ClassVar[str] = "Opportunity"
    path: ClassVar[str] = "Opportunities"
    writable_fields: ClassVar[dict[str, tuple[type, ...]]] = WRITABLE_FIELDS

    def routes(self) -> list[Route]:
        return [
            Route(f"{ENTITIES_PATH}/{self.path}", self.opportunities, methods=["GET", "POST"]),
            Route(f"{ENTITIES_PATH}/{self.path}/{{id}}", self.opportunity, methods=["GET", "PATCH", "DELETE"]),
        ]

    def required(self) -> tuple[str, ...]:
        return REQUIRED

    def step_failure(self, step: dict[str, Any] | None) -> bool:
        """Whether `step_id` names no step this entity can be in: a lead-process step is not an opportunity
        step (it has no pipeline)."""
        return step is None or step["is_deleted"] or step["pipeline_id"] is None

    def _steps(self):
        return self.emulator.resource("stages")

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.deleted = 0
        accounts = [a for a in self.emulator.resource("accounts").records.values() if not a["is_deleted"]]
        contacts = self.emulator.resource("contacts")
        pipelines = self.emulator.resource("pipelines").live()
        if not pipelines:
            return
        people_of: dict[str, list[str]] = {}   # account id -> ids of the contacts linked to it
        for row in contacts.relations.values():
            if not row["is_deleted"]:
                people_of.setdefault(row["account_id"], []).append(row["contact_id"])
        for i in range(count):
            steps = self._steps().of_pipeline(pipelines[i % len(pipelines)]["id"])
            step = steps[(i // len(pipelines)) % len(steps)]
            owner = OWNERS[i % len(OWNERS)]
            currency = CURRENCIES[i % len(CURRENCIES)]
            foreign = float(5000 + (i * 1733) % 95000)
            created = SEED_EPOCH + timedelta(hours=7 * i, microseconds=i * 331)
            stamp = pipeliner_date(created)
            record = self._blank()
            record.update({
                "id": det_uuid("opportunity", i), "name": f"{_DEALS[i % len(_DEALS)]} #{i + 1}",
                "description": f"Seeded opportunity {i + 1}", "closing_date": (date(2026, 1, 15) + timedelta(days=9 * i)).isoformat(),
                "step_id": step["id"], "owner_id": owner["id"], "unit_id": owner["default_unit_id"],
                "value": self._value({"currency_id": currency["id"], "value_foreign": foreign}),
                "label_flag": [0, 1, 2, 4][i % 4], "ranking": i % 10 + 1, "is_archived": i % 9 == 8,
                "tags": [TAGS[i % len(TAGS)]["id"]] if i % 3 else [],
                "cf_competitor": _COMPETITORS[i % len(_COMPETITORS)], "cf_discount_pct": (i % 5) * 2.5 if i % 2 else None,
                "created": stamp, "modified": pipeliner_date(created + timedelta(days=3)),
                "modified_by_user_id": owner["id"], "revision": 1 + i % 3,
            })
            if accounts and i % 7 != 6:
                account = accounts[i % len(accounts)]
                record["account_relations"] = [self._row("account", account["id"], True, stamp, f"oaa-{i}")]
                people = people_of.get(account["id"], [])[:2]
                record["contact_relations"] = [self._row("contact", person, n == 0, stamp, f"oac-{i}-{n}")
                                               for n, person in enumerate(people)]
            self._store(record)

    def _blank(self) -> dict[str, Any]:
        record: dict[str, Any] = dict.fromkeys(WRITABLE_FIELDS)
        for key in ("description", "reason_of_close_description", "quick_account_name", "quick_contact_name",
                    "quick_email", "quick_phone", "quick_account_email", "quick_account_phone"):
            record[key] = ""    # unset text reads as "" (core-api-concepts/fields)
        record.update({"label_flag": 0, "ranking": 0, "share_mode": 0, "is_archived": False, "tags": [],
                       "account_relations": [], "contact_relations": [], "is_deleted": False,
                       "is_delete_protected": False, "table_name": "opportunity"})
        return record

    @staticmethod
    def _row(kind: str, target: str, primary: bool, stamp: str, seed_key: str | None = None) -> dict[str, Any]:
        return {"id": det_uuid(seed_key, 0) if seed_key else str(uuid.uuid4()), f"{kind}_id": target,
                "is_primary": primary, "is_deleted": False, "created": stamp, "modified": stamp}

    @staticmethod
    def _value(value: dict[str, Any]) -> dict[str, Any]:
        """Fill the side of `value` not sent from the other, through the currency's rate to the base."""
        rate = CURRENCY_BY_ID[value["currency_id"]]["rate_to_base"]
        if value.get("value_foreign") is None:
            foreign = round(value["base_value"] / rate, 2)
            return {"base_value": value["base_value"], "currency_id": value["currency_id"], "value_foreign": foreign}
        base = round(value["value_foreign"] * rate, 2) if value.get("base_value") is None else value["base_value"]
        return {"base_value": base, "currency_id": value["currency_id"], "value_foreign": value["value_foreign"]}

    def _store(self, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.position[record["id"]] = len(self.order)
        self.order.append(record["id"])

    def status(self, record: dict[str, Any]) -> int:
        if record["is_archived"]:
            return LOST
        return WON if record["step_id"] and self._steps().is_last(record["step_id"]) else OPEN

    def count(self) -> int:
        return len(self.order)

    def snapshot(self) -> Any:
        return [self.render(self.records[i], None, ["account_relations", "contact_relations"]) for i in self.order]

    def render(self, record: dict[str, Any], root: str | None, expand: list[str] | None = None,
               load_only: list[str] | None = None) -> dict[str, Any]:
        out = {**self.emulator.resource("fields").blank_custom(self.entity),
               **{k: v for k, v in record.items() if k not in ("account_relations", "contact_relations")}}
        if "value" in record:   # leads have none
            out["value"] = dict(record["value"]) if record["value"] else None
        out["status"] = self.status(record)
        accounts = [r for r in record["account_relations"] if not r["is_deleted"]]
        contacts = [r for r in record["contact_relations"] if not r["is_deleted"]]
        primary_account = next((r["account_id"] for r in accounts if r["is_primary"]), None)
        primary_contact = next((r["contact_id"] for r in contacts if r["is_primary"]), None)
        out["primary_account"], out["primary_contact"] = primary_account, primary_contact
        out["account_relations"] = [r["id"] for r in accounts]
        out["contact_relations"] = [r["id"] for r in contacts]
        if root is not None:
            for link, id_field, entity in (("owner", "owner_id", "Clients"), ("unit", "unit_id", "SalesUnits"),
                                           ("step", "step_id", "Steps"), ("oppty_type", "oppty_type_id", "OpportunityTypes"),
                                           ("lead_type", "lead_type_id", "LeadTypes")):
                if id_field in record:
                    out[link] = f"{root}/entities/{entity}/{record[id_field]}" if record.get(id_field) else None
            out["primary_account"] = f"{root}/entities/Accounts/{primary_account}" if primary_account else None
            out["primary_contact"] = f"{root}/entities/Contacts/{primary_contact}" if primary_contact else None
            out["account_relations"] = [f"{root}/entities/LeadOpptyAccountRelations/{r['id']}" for r in accounts]
            out["contact_relations"] = [f"{root}/entities/LeadOpptyContactRelations/{r['id']}" for r in contacts]
        for relation in expand or ():
            if relation == "step" and record["step_id"]:
                out["step"] = self._steps().render(self._steps().records[record["step_id"]], root)
            elif relation == "primary_account" and primary_account:
                store = self.emulator.resource("accounts")
                out["primary_account"] = store.render(store.records[primary_account], root)
            elif relation == "account_relations":
                out["account_relations"] = [{**r, "lead_oppty_id": record["id"]} for r in accounts]
            elif relation == "contact_relations":
                out["contact_relations"] = [{**r, "lead_oppty_id": record["id"]} for r in contacts]
            elif relation == "owner":
                out["owner"] = next((c for c in CLIENTS if c["id"] == record["owner_id"]), None)
        if load_only:
            out = {k: v for k, v in out.items() if k in load_only or k == "id"}
        return out

    # -- HTTP -------------------------------------------------------------------------------------
    async def opportunities(self, request: Request) -> Response:
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

    async def opportunity(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        record_id = request.path_params["id"]
        record = self.records.get(record_id)
        missing = f"{self.entity} with id '{record_id}' not found."
        if record is None:
            return error(404, ENTITY_NOT_FOUND_NAME, missing)
        if record["is_deleted"] and not (self.emulator._include_deleted(request.query_params) and request.method == "GET"):
            return error(DELETE_DELETED_STATUS if request.method == "DELETE" else 404, ENTITY_NOT_FOUND_NAME, missing)
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
    def _relation_failure(self, entity_id: str, kind: str, rows: Any) -> Response | None:
        """Rows {<kind>_id, is_primary}, both required (createLeadOppty*RelationInput), pointing at live records."""
        store = self.emulator.resource("accounts" if kind == "account" else "contacts").records
        entity = "LeadOpptyAccountRelation" if kind == "account" else "LeadOpptyContactRelation"
        key = f"{kind}_id"
        for row in rows:
            if not isinstance(row, dict) or not row.get(key) or not isinstance(row.get("is_primary"), bool):
                missing = "is_primary" if isinstance(row, dict) and row.get(key) else key
                return entity_validation(entity, entity_id, missing, 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field '{entity}.{missing}' is null or empty.")
            target = store.get(row[key]) if isinstance(row[key], str) else None
            if target is None or target["is_deleted"]:
                return entity_validation(entity, entity_id, key, 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                         f"[{key}] Relation {entity}.{key}={row[key]} to {kind.title()} doesn't exist!")
        if sum(1 for row in rows if row["is_primary"]) > 1:
            return error(VALIDATION_STATUS, VALIDATION_NAME, f"Only one {kind} relation can be primary.")
        return None

    def _validate(self, body: dict[str, Any], record: dict[str, Any] | None, entity_id: str
                  ) -> tuple[dict[str, Any], Response | None]:
        def missing(field: str) -> Response:
            return entity_validation(self.entity, entity_id, field, 119, "ERROR_PARAMETER_MISSING",
                                     f"Non-null field '{self.entity}[{entity_id}].{field}' is null or empty.")

        def dangling(field: str, target: str, value: Any) -> Response:
            return entity_validation(self.entity, entity_id, field, 120, "ERROR_RELATIONS_DOESNT_EXIST",
                                     f"[{field}] Relation {self.entity}.{field}={value} to {target} doesn't exist!")

        clean: dict[str, Any] = {}
        for key, value in body.items():
            if key in READ_ONLY_FIELDS:
                continue
            if key.startswith("cf_"):   # a custom field: as the space's Fields define it (fields.py)
                failure = self.emulator.resource("fields").custom_value_error(self.entity, key, value)
                if failure is not None:
                    return {}, failure
                clean[key] = value
                continue
            if key not in self.writable_fields:
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity {self.entity}.")
            expected = self.writable_fields[key]
            if value is not None and (not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))):
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value.")
            clean[key] = value
        if record is not None and record["is_archived"] and clean.get("is_archived") is not False:
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME,
                             f"Archived {self.entity.lower()} cannot be edited; reactivate it first (is_archived: false).")
        merged = {**(record or {}), **clean}
        for field in self.required():
            if merged.get(field) in (None, "") and (record is None or field in clean):
                return {}, missing(field)
        for field in ("owner_id", "step_id"):
            if field in clean and not is_uuid(clean[field]):
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{field}' must be a UUID.")
        if "owner_id" in clean and not member(clean["owner_id"], CLIENT_IDS):
            return {}, dangling("owner_id", "Client", clean["owner_id"])
        if "step_id" in clean:
            if self.step_failure(lookup(self._steps().records, clean["step_id"])):
                return {}, dangling("step_id", "Step", clean["step_id"])
        if "closing_date" in clean:
            try:
                date.fromisoformat(clean["closing_date"])
            except ValueError:
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'closing_date' must be a date (YYYY-MM-DD).")
        if "value" in clean:
            value = clean["value"]
            if not value.get("currency_id"):
                return {}, entity_validation("Opportunity", entity_id, "value", 119, "ERROR_PARAMETER_MISSING",
                                             "Non-null field 'value.currency_id' is null or empty.")
            if not member(value["currency_id"], CURRENCY_BY_ID):
                return {}, dangling("value.currency_id", "Currency", value["currency_id"])
            amounts = [value.get("base_value"), value.get("value_foreign")]
            if set(value) - {"base_value", "currency_id", "value_foreign"} or all(a is None for a in amounts) or any(
                    a is not None and (isinstance(a, bool) or not isinstance(a, (int, float))) for a in amounts):
                return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'value' has an invalid value.")
        if clean.get("tags") and not (isinstance(clean["tags"], list) and all(member(t, TAG_IDS) for t in clean["tags"])):
            return {}, error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'tags' refers to an unknown tag.")
        for kind in ("account", "contact"):
            rows = clean.get(f"{kind}_relations")
            failure = self._relation_failure(entity_id, kind, rows) if rows is not None else None
            if failure is not None:
                return {}, failure
        return clean, None

    async def _write(self, request: Request, record: dict[str, Any] | None, root: str) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return invalid_body()
        entity_id = record["id"] if record is not None else str(uuid.uuid4())
        clean, failure = self._validate(body, record, entity_id)
        if failure is not None:
            return failure
        stamp = pipeliner_date(datetime.now(UTC))
        relations = {kind: clean.pop(f"{kind}_relations", None) for kind in ("account", "contact")}
        if "value" in clean:
            clean["value"] = self._value(clean["value"])
        if record is None:
            record = self._blank()
            record.update({k: v for k, v in clean.items() if v is not None})
            # a lead may have no owner (leads.py, switch lead_owner_required)
            owner = next((c for c in CLIENTS if c["id"] == record["owner_id"]), None)
            record["unit_id"] = record.get("unit_id") or (owner["default_unit_id"] if owner else None)
            record.update({"id": entity_id, "created": stamp, "modified": stamp,
                           "modified_by_user_id": owner["id"] if owner else None, "revision": 1})
            self._store(record)
        else:
            record.update(clean)
            record["modified"] = stamp
            record["revision"] += 1
        for kind, rows in relations.items():
            if rows is not None:
                self._apply_relations(record, kind, rows, stamp)
        return ok({"success": True, "data": self.render(record, root)})

    @staticmethod
    def _apply_relations(record: dict[str, Any], kind: str, rows: list[dict[str, Any]], stamp: str) -> None:
        """Whether a PATCH of relation rows replaces the links or adds to them is undocumented (the same open
        question as contacts' account_relations): "replace" keeps exactly the rows sent; "append" adds them,
        a row for a record already linked updates it, and a new primary demotes the old one."""
        live = [r for r in record[f"{kind}_relations"] if not r["is_deleted"]]
        key = f"{kind}_id"
        if RELATIONS_ON_PATCH == "replace":
            for old in live:
                old["is_deleted"] = True
            live = []
        elif any(row["is_primary"] for row in rows):
            for old in live:
                old["is_primary"] = False
        for row in rows:
            existing = next((r for r in live if r[key] == row[key]), None)
            if existing is not None:
                existing.update({"is_primary": row["is_primary"], "modified": stamp})
            else:
                record[f"{kind}_relations"].append(Opportunities._row(kind, row[key], row["is_primary"], stamp))
