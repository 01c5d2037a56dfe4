"""One Zoho CRM v8 record module (Accounts, Contacts, ...) as an emulator resource: what every module's
record routes do alike, over the module's own layout.

Routes are Zoho's real paths (`/crm/v8/<Module>`; https://www.zoho.com/crm/developer/docs/api/v3/get-records.html
and Zoho's OpenAPI spec, https://github.com/zoho/crm-oas, v8.0/record):
- List: `fields` mandatory (400 `REQUIRED_PARAM_MISSING`), at most 50 fields (400 `LIMIT_EXCEEDED`),
  `page`/`per_page` (≤200) up to 2,000 records (400 `DISCRETE_PAGINATION_LIMIT_EXCEEDED`), then
  `page_token` from `info.next_page_token` (up to 100,000), `page`+`page_token` together rejected
  (400 `AMBIGUITY_DURING_PROCESSING`), `info.more_records`, and 204 with no body for an empty page.
- Get of an unknown id: 204 No Content (crm-oas `getRecord`: "204 ... no record match").
- Create 201 / 207 mixed / 400 all failed; update 200; delete 200 `record deleted` to the Recycle Bin
  (`/crm/v8/<Module>/deleted`; https://www.zoho.com/es-xl/crm/help/api/deleterecords.html); an unknown
  id on update/delete is a per-record `INVALID_DATA` item "the id given seems to be invalid" with HTTP 400.
- Lookups (`{"id"}` objects, or a bare id as v2-era clients send them) must name a live record of the
  target module and read back as `{"name", "id"}`
  (https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html, lookup fields).
- The layout's fields for `GET /crm/v8/settings/fields?module=<Module>` (custom fields flagged
  `custom_field`; the emulator serves that route for every module).

A module subclass declares its layout (`FIELDS`, `READ_ONLY`, `PICKLISTS`, `MANDATORY`, `LOOKUPS`), its
display-name field and its seed. Live ids are kept ascending in a `Collection` (insertion order == id
order), so a page is a bisect plus a slice; deleted records leave the store for the Recycle Bin rows.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.zoho_crm.search import search_records
from unigate.sandbox.zoho_crm.common import (
    CREATE_STATUS,
    GET_MISSING_STATUS,
    ID_STEP,
    MAX_PER_PAGE,
    MAX_WRITE_RECORDS,
    TOKEN_USER,
    UNKNOWN_ID_STATUS,
    USERS_BY_ID,
    batch_status,
    deleted_item,
    error_object,
    list_records,
    now,
    project,
    ts,
    unknown_id_body,
    write_body,
)

if TYPE_CHECKING:
    from unigate.sandbox.zoho_crm import ZohoCrmEmulator

# (api_name, json_type, data_type, label, custom)
Field = tuple[str, str, str, str, bool]
# `$`-properties Zoho adds to every record it answers (crm-oas v8.0 record examples).
RECORD_FLAGS: dict[str, Any] = {
    "$approval_state": "approved", "$approved": True, "$editable": True, "$state": "save",
    "$currency_symbol": "$", "$locked_for_me": False, "$in_merge": False, "$process_flow": False,
}
_TAG_BASE = 5725767000000620001
# A date field takes `yyyy-MM-dd` (https://www.zoho.com/crm/developer/docs/api/v8/insert-records.html).
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ModuleResource(Resource):
    """The record routes of one Zoho module over its layout; subclasses give the layout and the seed."""

    module: ClassVar[str] = ""
    FIELDS: ClassVar[list[Field]] = []
    READ_ONLY: ClassVar[set[str]] = set()
    PICKLISTS: ClassVar[dict[str, list[str]]] = {}
    MANDATORY: ClassVar[tuple[str, ...]] = ()  # required on create (`system_mandatory` in the layout)
    NAME_FIELD: ClassVar[str] = ""             # the record's display name (lookups, Recycle Bin rows)
    LOOKUPS: ClassVar[dict[str, str]] = {}     # lookup field -> the emulator resource it points to
    MAX_LENGTHS: ClassVar[dict[str, int]] = {}
    FIRST_ID: ClassVar[int] = 0
    emulator: ZohoCrmEmulator

    def __init__(self, emulator: ZohoCrmEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=self.FIRST_ID, step=ID_STEP, make_id=str, number_of=int)
        self.deleted: dict[str, dict[str, Any]] = {}

    @property
    def field_types(self) -> dict[str, str]:
        return {name: json_type for name, json_type, _dt, _l, _c in self.layout()}

    # -- the layout, with the custom fields added through the field settings API (field_settings.py) ---
    def layout(self) -> list[Field]:
        """The module's fields: the declared layout (labels as renamed) and the custom fields added since."""
        return [(name, json_type, data_type, self.relabelled.get(name, label), custom)
                for name, json_type, data_type, label, custom in [*self.FIELDS, *self.added]
                if name not in self.removed]

    def field_id(self, api_name: str) -> str:
        """A field's id: fixed by its place in the declared layout, or given when it was added."""
        declared = next((i for i, (name, *_) in enumerate(self.FIELDS) if name == api_name), None)
        return self.added_ids[api_name] if declared is None else str(self.FIRST_ID - 413001 + declared * 10)

    @property
    def picklists(self) -> dict[str, list[str]]:
        return {**self.PICKLISTS, **self.changed_picklists}

    def add_field(self, api_name: str, json_type: str, data_type: str, label: str, values: list[str] | None) -> str:
        """A new custom field; its id."""
        self.added.append((api_name, json_type, data_type, label, True))
        self.added_ids[api_name] = str(self.FIRST_ID - 313001 + len(self.added_ids) * 10)
        if values is not None:
            self.changed_picklists[api_name] = values
        return self.added_ids[api_name]

    def change_field(self, api_name: str, label: str | None, values: list[str] | None) -> None:
        if label is not None:
            self.relabelled[api_name] = label
        if values is not None:
            self.changed_picklists[api_name] = values

    def remove_field(self, api_name: str) -> None:
        """Drop a custom field and its values from every record, as deleting it in Zoho does."""
        if any(field[0] == api_name for field in self.added):
            self.added = [field for field in self.added if field[0] != api_name]
        else:
            self.removed.add(api_name)
        self.changed_picklists.pop(api_name, None)
        for record in self.store.records.values():
            record.pop(api_name, None)

    @property
    def path(self) -> str:
        return f"/crm/v8/{self.module}"

    # -- hooks for the module ---------------------------------------------------------------------
    def new_record(self) -> dict[str, Any]:
        """The values a created record starts with besides id, owner and timestamps."""
        return {}

    def derive(self, record: dict[str, Any]) -> None:
        """Recompute read-only values that follow from others (e.g. Full_Name)."""

    def extra_routes(self) -> list[Route]:
        return []

    def check(self, values: dict[str, Any], index: int, record_id: str | None) -> dict[str, Any] | None:
        """A module's own rules on one written record (after the mandatory fields): its error item, or None."""
        return None

    # -- seed helpers ----------------------------------------------------------------------------------
    def clear(self) -> None:
        self.store.clear()
        self.deleted = {}
        self.tags: dict[str, dict[str, Any]] = {}
        self.added: list[Field] = []
        self.added_ids: dict[str, str] = {}
        self.relabelled: dict[str, str] = {}
        self.changed_picklists: dict[str, list[str]] = {}
        self.removed: set[str] = set()

    def lookup_target(self, field: str) -> str:
        """The emulator resource a lookup field points to (a polymorphic lookup's depends on the write)."""
        return self.LOOKUPS[field]

    def lookup_value(self, field: str, record_id: str) -> dict[str, Any]:
        """`{"name", "id"}` of the record a lookup points to, as Zoho reads a lookup back."""
        target = self.emulator.resource(self.lookup_target(field))
        return {"name": target.store.records[record_id][target.NAME_FIELD], "id": record_id}

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [
            *self.extra_routes(),
            Route(f"{self.path}/deleted", self.deleted_records, methods=["GET"]),
            Route(f"{self.path}/search", self.search, methods=["GET"]),
            Route(self.path + "/{record_id}", self.one, methods=["GET", "PUT", "DELETE"]),
            Route(self.path, self.many, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    def answer(self, body: Any, status: int = 200) -> Response:
        return self.emulator.answer(body, status)

    def field_list(self) -> list[dict[str, Any]]:
        """The layout's fields, as `GET /crm/v8/settings/fields?module=<Module>` lists them (crm-oas v8.0 fields)."""
        fields = []
        for api_name, json_type, data_type, label, custom in self.layout():
            field: dict[str, Any] = {
                "api_name": api_name,
                "id": self.field_id(api_name),
                "field_label": label,
                "display_label": label,
                "json_type": json_type,
                "data_type": data_type,
                "custom_field": custom,
                "read_only": api_name in self.READ_ONLY,
                "system_mandatory": api_name in self.MANDATORY,
                "visible": True,
            }
            if api_name in self.picklists:
                field["pick_list_values"] = [{"display_value": v, "actual_value": v}
                                             for v in self.picklists[api_name]]
            if api_name in self.LOOKUPS:
                target = self.LOOKUPS[api_name]
                held = target in self.emulator.resource_names()
                module = self.emulator.resource(target).module if held else target.capitalize()
                field["lookup"] = {"module": {"api_name": module}}
            fields.append(field)
        return fields

    # -- list / bulk --------------------------------------------------------------------------------
    async def many(self, request: Request) -> Response:
        denied = self.emulator.check_auth(request)
        if denied:
            return denied
        if request.method == "GET":
            return list_records(request, self.store.active, self.store.records, self.answer)
        if request.method == "POST":
            return await self.create_records(request)
        if request.method == "PUT":
            return await self.update_records(request)
        return self.delete_records(request)

    async def search(self, request: Request) -> Response:
        denied = self.emulator.check_auth(request)
        if denied:
            return denied
        return search_records(request, self.store.active, self.store.records, self.answer)

    # -- one record ---------------------------------------------------------------------------------
    async def one(self, request: Request) -> Response:
        denied = self.emulator.check_auth(request)
        if denied:
            return denied
        record_id = request.path_params["record_id"]
        if request.method == "GET":
            record = self.store.get(record_id)
            if record is None:
                return self.answer(None, GET_MISSING_STATUS) if GET_MISSING_STATUS == 204 else \
                    self.unknown_id(record_id, GET_MISSING_STATUS)
            fields_param = request.query_params.get("fields")
            if fields_param:
                record = project(record, [f.strip() for f in fields_param.split(",")])
            return self.answer({"data": [record]})
        if request.method == "PUT":
            body, problem = await write_body(request, 1, self.answer)
            if problem:
                return problem
            if record_id not in self.store:
                return self.unknown_id(record_id, UNKNOWN_ID_STATUS)
            item = self._apply(body[0], record_id)
            return self.answer({"data": [item]}, 200 if item["status"] == "success" else 400)
        # DELETE
        if record_id not in self.store:
            return self.unknown_id(record_id, UNKNOWN_ID_STATUS)
        self.delete(record_id)
        return self.answer({"data": [deleted_item(record_id)]})

    def unknown_id(self, record_id: str, status: int) -> Response:
        """Zoho's INVALID_DATA answer to an id it does not hold, shaped as the `unknown_id_body` switch says."""
        return self.answer(unknown_id_body(record_id, self.emulator.switch["unknown_id_body"]), status)

    def delete(self, record_id: str) -> None:
        """Move a record to the Recycle Bin."""
        record = self.store.delete(record_id)
        assert record is not None
        self.deleted[record_id] = {
            "deleted_by": {"name": TOKEN_USER["name"], "id": TOKEN_USER["id"]},
            "id": record_id,
            "display_name": record.get(self.NAME_FIELD),
            "type": "recycle",
            "created_by": {"name": record["Created_By"]["name"], "id": record["Created_By"]["id"]},
            "deleted_time": ts(now()),
        }

    # -- writes -------------------------------------------------------------------------------------
    def _lookup_id(self, field: str, value: Any) -> str | None:
        """The id a lookup value names when it is a live record of the target module, else None."""
        raw = value.get("id") if isinstance(value, dict) else value
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            return None
        if self.lookup_target(field) not in self.emulator.resource_names():
            return None   # a module the emulator does not hold: no record can match
        target = self.emulator.resource(self.lookup_target(field))
        return str(raw) if target.store.get_active(str(raw)) is not None else None

    def _validate(self, values: Any, index: int, record_id: str | None) -> dict[str, Any] | None:
        """The first per-record error, in Zoho's item shape, or None."""
        if not isinstance(values, dict):
            return error_object("INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject",
                                                                 "json_path": f"$.data[{index}]"})
        creating = record_id is None
        for mandatory in self.MANDATORY:
            if (creating or mandatory in values) and not values.get(mandatory):
                return error_object("MANDATORY_NOT_FOUND", "required field not found",
                                    {"api_name": mandatory, "json_path": f"$.data[{index}].{mandatory}"})
        problem = self.check(values, index, record_id)
        if problem:
            return problem
        field_types = self.field_types
        dates = {name for name, _jt, data_type, _l, _c in self.layout() if data_type == "date"}
        for key, value in values.items():
            if key not in field_types or value is None:
                continue
            expected = field_types[key]
            path = {"api_name": key, "json_path": f"$.data[{index}].{key}"}
            if key == "Owner":
                if not isinstance(value, dict) or str(value.get("id")) not in USERS_BY_ID:
                    return error_object("INVALID_DATA", "invalid data", path)
            elif key == "Tag":
                # A tag's name is a string (crm-oas v8.0 record.json, Tag items {name, id}); any other type is the
                # field's INVALID_DATA like a value that is not an array.
                if not isinstance(value, list) or not all(isinstance(t, dict) and isinstance(t.get("name"), str)
                                                          and t["name"] for t in value):
                    return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "jsonarray"})
            elif key in self.LOOKUPS:
                if self._lookup_id(key, value) is None:
                    return error_object("INVALID_DATA", "invalid data", path)
            elif expected == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "integer"})
            elif expected == "double" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "double"})
            elif expected == "boolean" and not isinstance(value, bool):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "boolean"})
            elif expected == "string" and not isinstance(value, str):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "string"})
            elif key in dates and not _DATE.match(value):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "date"})
            elif key in self.MAX_LENGTHS and len(value) > self.MAX_LENGTHS[key]:
                return error_object("INVALID_DATA", "invalid data", {**path, "maximum_length": self.MAX_LENGTHS[key]})
            elif expected == "jsonarray" and not isinstance(value, list):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "jsonarray"})
            elif (key in self.picklists and self.emulator.switch["picklist_values"] == "reject"
                  and any(v not in self.picklists[key] for v in (value if isinstance(value, list) else [value]))):
                return error_object("INVALID_DATA", "invalid data", path)   # switch `picklist_values` (common.py)
        return None

    def _apply(self, values: dict[str, Any], record_id: str | None, index: int = 0) -> dict[str, Any]:
        """Create (record_id None) or update one record; the action-response item."""
        problem = self._validate(values, index, record_id)
        if problem:
            return problem
        stamp = ts(now())
        user = {"name": TOKEN_USER["name"], "id": TOKEN_USER["id"]}
        if record_id is None:
            record_id = self.store.new_id()
            record: dict[str, Any] = {name: None for name in self.field_types}
            record.update({"id": record_id, "Owner": dict(TOKEN_USER), "Tag": [], "Created_By": dict(TOKEN_USER),
                           "Created_Time": stamp, "Locked__s": False, **self.new_record(), **RECORD_FLAGS})
            self.store.add(record_id, record)
            message = "record added"
        else:
            record = self.store.records[record_id]
            message = "record updated"
        writable = set(self.field_types) - self.READ_ONLY
        for key, value in values.items():
            if key not in writable:
                continue   # unknown API names and read-only fields are ignored
            if key == "Owner" and value is not None:
                value = dict(USERS_BY_ID[str(value["id"])])
            elif key == "Tag" and value is not None:
                value = [self._tag(t["name"]) for t in value]
            elif key in self.LOOKUPS and value is not None:
                value = self.lookup_value(key, str(self._lookup_id(key, value)))
            record[key] = value
        self.derive(record)
        if message == "record updated" and self.NAME_FIELD in values:
            self._rename_in_lookups(record_id, record[self.NAME_FIELD])
        record["Modified_Time"] = stamp
        record["Modified_By"] = dict(TOKEN_USER)
        return {
            "code": "SUCCESS",
            "details": {"Modified_Time": stamp, "Modified_By": user, "Created_Time": record["Created_Time"],
                        "id": record_id, "Created_By": {"name": record["Created_By"]["name"],
                                                        "id": record["Created_By"]["id"]},
                        "$approval_state": "approved"},
            "message": message,
            "status": "success",
        }

    def _rename_in_lookups(self, record_id: str, name: Any) -> None:
        """Lookups read the target's current name (Zoho answers `{name, id}` as it is now)."""
        for other in map(self.emulator.resource, self.emulator.resource_names()):
            fields = [f for f, target in getattr(other, "LOOKUPS", {}).items() if target == self.name]
            for linked in other.store.records.values() if fields else ():
                for field in fields:
                    if isinstance(linked.get(field), dict) and linked[field].get("id") == record_id:
                        linked[field] = {"name": name, "id": record_id}

    def _tag(self, name: str) -> dict[str, Any]:
        if name not in self.tags:
            self.tags[name] = {"name": name, "id": str(_TAG_BASE + 16 * len(self.tags)), "color_code": "#969696"}
        return dict(self.tags[name])

    async def create_records(self, request: Request) -> Response:
        """Insert Records: ≤100 per call; 201, 207 when mixed, 400 when all fail (crm-oas createRecords)."""
        body, problem = await write_body(request, MAX_WRITE_RECORDS, self.answer)
        if problem:
            return problem
        items = [self._apply(values, None, index) for index, values in enumerate(body)]
        return self.answer({"data": items}, batch_status(items, CREATE_STATUS))

    async def update_records(self, request: Request) -> Response:
        """Bulk update: ids inside the records (`updateRecords` in crm-oas v8.0/record)."""
        body, problem = await write_body(request, MAX_WRITE_RECORDS, self.answer)
        if problem:
            return problem
        items = []
        for index, values in enumerate(body):
            record_id = str(values.get("id", "")) if isinstance(values, dict) else ""
            if not record_id:
                items.append(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                          {"api_name": "id", "json_path": f"$.data[{index}].id"}))
            elif record_id not in self.store:
                items.append(error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id}))
            else:
                items.append(self._apply(values, record_id, index))
        return self.answer({"data": items}, batch_status(items, 200))

    def delete_records(self, request: Request) -> Response:
        """Bulk delete `?ids=1,2` (≤100): 200, or 207 with per-record errors (crm-oas deleteRecords)."""
        ids_param = request.query_params.get("ids")
        if not ids_param:
            return self.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                            {"param_name": "ids"}), 400)
        ids = [x.strip() for x in ids_param.split(",") if x.strip()]
        if len(ids) > MAX_WRITE_RECORDS:
            return self.answer(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                            {"limit": MAX_WRITE_RECORDS, "param_name": "ids"}), 400)
        items = []
        for record_id in ids:
            if record_id in self.store:
                self.delete(record_id)
                items.append(deleted_item(record_id))
            else:
                items.append(error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id}))
        return self.answer({"data": items}, batch_status(items, 200))

    async def deleted_records(self, request: Request) -> Response:
        """Recycle Bin listing `GET /crm/v8/<Module>/deleted?type=recycle`
        (https://www.zoho.com/es-xl/crm/help/api/deleterecords.html)."""
        denied = self.emulator.check_auth(request)
        if denied:
            return denied
        kind = request.query_params.get("type", "all")
        if kind not in ("all", "recycle", "permanent"):
            return self.answer(error_object("INVALID_DATA", "invalid data", {
                "param_name": "type", "supported_values": ["all", "recycle", "permanent"]}), 400)
        rows = [] if kind == "permanent" else list(self.deleted.values())
        try:
            page = max(int(request.query_params.get("page", 1)), 1)
            per_page = min(max(int(request.query_params.get("per_page", 200)), 1), MAX_PER_PAGE)
        except ValueError:
            page, per_page = 1, 200
        chunk = rows[(page - 1) * per_page: page * per_page]
        if not chunk:
            return self.answer(None, 204)
        return self.answer({"data": chunk, "info": {
            "per_page": per_page, "count": len(chunk), "page": page,
            "more_records": page * per_page < len(rows)}})
