"""Pipeliner field definitions: the REST v100 `Fields` entity (`/entities/Fields`), system and custom fields alike.

Sources: https://developers.pipelinersales.com/api-docs/core-api-concepts/fields (custom fields, their types and
entities, creating one with its data set), the create-account tutorial
(https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-account: the Industry field's options
read with `expand=data_set`), and the vendor's v100 OpenAPI (Field: list, get, create, update, delete; no batch).
- A field: `id`, `api_name` (immutable: the key records carry), `name` (the label), `entity_name` (read-only),
  `type_id` (input, text_area, dropdown, checkbox, multiselect_checkbox, radio, currency, currency_foreign, date,
  datetime, float, integer, sequence, url, email, phone), `data_set_id` and `data_set` (a dropdown's options, Data
  entities `{id, option_name, calc_value, sort_order}`), `system_required`, `created`, `modified`, `is_deleted`.
- `data_set` is a URI unless `expand=data_set` is sent; then the options are inlined (the tutorial's read). A
  `load-only` naming `data_set.option_name` keeps the options.
- Create: `name`, `type_id` and `entity_name` required (422 ERROR_ENTITY_VALIDATION otherwise); the custom field's
  `api_name` is `cf_` and its name in lower case, non-alphanumerics as `_` (a taken one gains a number); a dropdown,
  radio or multiselect needs its `data_set` (`[{option_name, calc_value}]`). Custom fields only on the documented
  entities (Account, Contact, Lead, Opportunity, Product, LeadOpptyProductRelation, Task, Appointment, Project).
- Update: `name` and `data_set`; `api_name`, `type_id` and `entity_name` are not changed. Whether a new `data_set`
  replaces the options or adds to them is not documented (switch `field_options_on_patch`: replace, the
  default, or merge by option_name).
- Delete: soft (`is_deleted`), as every entity; a system field cannot be deleted ("System fields cannot be
  deleted", core-api-concepts/fields): 403, like a delete-protected record.
Records' custom values are checked against these definitions (`custom_value_error`): a `cf_` key the entity has
no field for is an unknown field, a value of the wrong JSON type or an option id outside the data set is refused.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.pipeliner.common import (
    ENTITIES_PATH, ENTITY_NOT_FOUND_NAME, FIELDS, SEED_EPOCH, VALIDATION_NAME, VALIDATION_STATUS, delete_response,
    det_uuid, entity_validation, error, ok, pipeliner_date,
)

TYPE_IDS = ("input", "text_area", "dropdown", "checkbox", "multiselect_checkbox", "radio", "currency",
            "currency_foreign", "date", "datetime", "float", "integer", "sequence", "url", "email", "phone")
CUSTOM_ENTITIES = ("Account", "Contact", "Lead", "Opportunity", "Product", "LeadOpptyProductRelation", "Task",
                   "Appointment", "Project")
WITH_OPTIONS = ("dropdown", "radio", "multiselect_checkbox")
# The JSON type a record's value of each field type has (None is always taken: it clears the value).
VALUE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("input", "text_area", "url", "email", "phone", "date", "datetime", "dropdown", "radio"), (str,)),
    **dict.fromkeys(("integer", "sequence"), (int,)),
    **dict.fromkeys(("float", "currency", "currency_foreign"), (int, float)),
    "checkbox": (bool,),
    "multiselect_checkbox": (list,),
}
OPTIONS_ON_PATCH = ("replace", "merge")
SYSTEM_FIELD = (403, "ERROR_SYSTEM_FIELD", "System fields cannot be deleted.")


def _option(field_id: str, n: int, name: str) -> dict[str, Any]:
    return {"id": det_uuid(f"option-{field_id}", n), "option_name": name, "calc_value": 1, "sort_order": n,
            "is_deleted": False}


class Fields(Resource):
    """The space's field definitions (`self.records` by id, `self.order` every id in insertion order)."""

    name = "fields"
    default_seed_count: ClassVar[int | None] = len(FIELDS)

    def routes(self) -> list[Route]:
        return [Route(f"{ENTITIES_PATH}/Fields", self.collection, methods=["GET", "POST"]),
                Route(f"{ENTITIES_PATH}/Fields/{{id}}", self.member, methods=["GET", "PATCH", "DELETE"])]

    def seed(self, count: int) -> None:
        """The space's fields (common.FIELDS), whatever `count` says: definitions are configuration."""
        self.records: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        for n, field in enumerate(FIELDS):
            stamp = pipeliner_date(SEED_EPOCH - timedelta(days=200 - n))
            options = [dict(o) for o in field["data_set"]]
            self._store({**field, "data_set": options, "data_set_id": det_uuid("data-set", n) if options else None,
                         "system_required": False, "created": stamp, "modified": stamp})

    def _store(self, record: dict[str, Any]) -> None:
        self.records[record["id"]] = record
        self.position[record["id"]] = len(self.order)
        self.order.append(record["id"])

    def snapshot(self) -> Any:
        return list(self.records.values())

    # -- what the other entities check ------------------------------------------------------------
    def live_field(self, entity_name: str, api_name: str) -> dict[str, Any] | None:
        return next((f for f in self.records.values() if f["entity_name"] == entity_name
                     and f["api_name"] == api_name and not f["is_deleted"]), None)

    def blank_custom(self, entity_name: str) -> dict[str, None]:
        """The entity's custom fields as null values: a record carries every one, set or not."""
        return {f["api_name"]: None for f in self.records.values()
                if f["entity_name"] == entity_name and f["api_name"].startswith("cf_") and not f["is_deleted"]}

    def custom_value_error(self, entity_name: str, key: str, value: Any) -> Response | None:
        """Why a record of `entity_name` cannot hold `value` in its custom field `key` (None when it can)."""
        field = self.live_field(entity_name, key)
        if field is None:
            return error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown field '{key}' for entity {entity_name}.")
        if value is None:
            return None
        expected = VALUE_TYPES.get(field["type_id"], (str,))
        if not isinstance(value, expected) or (bool not in expected and isinstance(value, bool)):
            return error(VALIDATION_STATUS, VALIDATION_NAME, f"Field '{key}' has an invalid value.")
        if field["type_id"] in WITH_OPTIONS:
            ids = {o["id"] for o in field["data_set"] if not o["is_deleted"]}
            chosen = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) and v in ids for v in chosen):
                return error(VALIDATION_STATUS, VALIDATION_NAME,
                             f"Value '{value}' is not in the data set of field '{key}'.")
        return None

    # -- HTTP -------------------------------------------------------------------------------------
    def render(self, record: dict[str, Any], root: str, expand: list[str], load_only: list[str] | None = None
               ) -> dict[str, Any]:
        out = dict(record)
        if "data_set" not in expand:   # a URI unless expanded (create-account tutorial)
            out["data_set"] = f"{root}/entities/DataSets/{record['data_set_id']}" if record["data_set_id"] else None
        if load_only:
            kept = {name.split(".")[0] for name in load_only}
            out = {k: v for k, v in out.items() if k in kept or k == "id"}
        return out

    async def collection(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        root = self.emulator._root(request)
        if request.method == "POST":
            return await self._create(request, root)
        expand = self.emulator._expand(request)
        live = sum(1 for r in self.records.values() if not r["is_deleted"])
        return self.emulator._page(request, self.order, self.records, self.position,
                                   lambda record, load_only: self.render(record, root, expand, load_only), live)

    async def member(self, request: Request) -> Response:
        early = self.emulator._guard(request)
        if early is not None:
            return early
        field_id = request.path_params["id"]
        record = self.records.get(field_id)
        if record is None or (record["is_deleted"] and not (request.method == "GET" and
                                                            self.emulator._include_deleted(request.query_params))):
            return error(404, ENTITY_NOT_FOUND_NAME, f"Field with id '{field_id}' not found.")
        root = self.emulator._root(request)
        if request.method == "GET":
            return ok({"success": True, "data": self.render(record, root, self.emulator._expand(request))})
        if request.method == "DELETE":
            if not record["api_name"].startswith("cf_"):
                return error(*SYSTEM_FIELD)
            record["is_deleted"] = True
            record["modified"] = pipeliner_date(datetime.now(UTC))
            return ok(delete_response(field_id))
        return await self._update(request, record, root)

    def _options(self, field_id: str, options: Any, start: int) -> list[dict[str, Any]] | None:
        """`data_set` as written: [{option_name, calc_value}]; None when it is not that."""
        if not isinstance(options, list) or not all(isinstance(o, dict) and isinstance(o.get("option_name"), str)
                                                    and o["option_name"] and "calc_value" in o for o in options):
            return None
        return [{**_option(field_id, start + n, o["option_name"]), "calc_value": o["calc_value"]}
                for n, o in enumerate(options)]

    def _api_name(self, entity_name: str, name: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "field"
        candidate, n = f"cf_{slug}", 1
        while any(f["entity_name"] == entity_name and f["api_name"] == candidate for f in self.records.values()):
            n += 1
            candidate = f"cf_{slug}_{n}"
        return candidate

    async def _create(self, request: Request, root: str) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(VALIDATION_STATUS, "ERROR_INVALID_REQUEST", "Request body must be a JSON object.")
        new_id = str(uuid.uuid4())
        for required in ("name", "type_id", "entity_name"):
            if not isinstance(body.get(required), str) or not body[required].strip():
                return entity_validation("Field", new_id, required, 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Field[{new_id}].{required}' is null or empty.")
        if not member(body["type_id"], TYPE_IDS):
            return error(VALIDATION_STATUS, VALIDATION_NAME, f"Unknown type_id '{body['type_id']}'.")
        if not member(body["entity_name"], CUSTOM_ENTITIES):
            return error(VALIDATION_STATUS, VALIDATION_NAME,
                         f"Custom fields cannot be added to entity '{body['entity_name']}'.")
        options: list[dict[str, Any]] = []
        if body["type_id"] in WITH_OPTIONS:
            parsed = self._options(new_id, body.get("data_set"), 0)
            if not parsed:
                return entity_validation("Field", new_id, "data_set", 119, "ERROR_PARAMETER_MISSING",
                                         f"Field type '{body['type_id']}' needs a data_set of options with calc_value.")
            options = parsed
        stamp = pipeliner_date(datetime.now(UTC))
        record = {"id": new_id, "api_name": self._api_name(body["entity_name"], body["name"]), "name": body["name"],
                  "entity_name": body["entity_name"], "type_id": body["type_id"], "is_deleted": False,
                  "data_set": options, "data_set_id": str(uuid.uuid4()) if options else None,
                  "system_required": False, "created": stamp, "modified": stamp}
        self._store(record)
        return ok({"success": True, "data": self.render(record, root, [])},
                  self.emulator.switch["create_status"])

    async def _update(self, request: Request, record: dict[str, Any], root: str) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict):
            return error(VALIDATION_STATUS, "ERROR_INVALID_REQUEST", "Request body must be a JSON object.")
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                return entity_validation("Field", record["id"], "name", 119, "ERROR_PARAMETER_MISSING",
                                         f"Non-null field 'Field[{record['id']}].name' is null or empty.")
            record["name"] = body["name"]
        if "data_set" in body and record["type_id"] in WITH_OPTIONS:
            parsed = self._options(record["id"], body["data_set"], len(record["data_set"]))
            if parsed is None:
                return error(VALIDATION_STATUS, VALIDATION_NAME, "Field 'data_set' has an invalid value.")
            if self.emulator.switch["field_options_on_patch"] == "merge":
                known = {o["option_name"] for o in record["data_set"]}
                record["data_set"] += [o for o in parsed if o["option_name"] not in known]
            else:
                record["data_set"] = parsed
            record["data_set_id"] = record["data_set_id"] or str(uuid.uuid4())
        record["modified"] = pipeliner_date(datetime.now(UTC))
        return ok({"success": True, "data": self.render(record, root, [])})
