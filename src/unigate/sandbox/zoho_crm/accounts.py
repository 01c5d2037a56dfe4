"""Zoho CRM v8 Accounts module: the emulator's `accounts` resource.

Routes are Zoho's real paths (`/crm/v8/Accounts`; https://www.zoho.com/crm/developer/docs/api/v3/get-records.html
and Zoho's OpenAPI spec, https://github.com/zoho/crm-oas, v8.0/record):
- List: `fields` mandatory (400 `REQUIRED_PARAM_MISSING`), at most 50 fields (400 `LIMIT_EXCEEDED`),
  `page`/`per_page` (≤200) up to 2,000 records (400 `DISCRETE_PAGINATION_LIMIT_EXCEEDED`), then
  `page_token` from `info.next_page_token` (up to 100,000), `page`+`page_token` together rejected
  (400 `AMBIGUITY_DURING_PROCESSING`), `info.more_records`, and 204 with no body for an empty page.
- Get of an unknown id: 204 No Content (crm-oas `getRecord`: "204 ... no record match").
- Create 201 / 207 mixed / 400 all failed; update 200; delete 200 `record deleted` to the Recycle Bin
  (`/crm/v8/Accounts/deleted`; https://www.zoho.com/es-xl/crm/help/api/deleterecords.html); an unknown
  id on update/delete is a per-record `INVALID_DATA` item "the id given seems to be invalid" with HTTP 400.
- The layout's fields for `GET /crm/v8/settings/fields?module=Accounts` (custom fields flagged
  `custom_field`; the emulator serves that route for every module).

Live ids are kept ascending in a `Collection` (insertion order == id order), so a page is a bisect
plus a slice; deleted records leave the store for the Recycle Bin rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.zoho_crm.common import (
    CREATE_STATUS,
    GET_MISSING_STATUS,
    ID_BASE,
    ID_STEP,
    MAX_PER_PAGE,
    MAX_WRITE_RECORDS,
    ORG_TZ,
    TOKEN_USER,
    UNKNOWN_ID_STATUS,
    USERS,
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

MODULE = "Accounts"
PATH = f"/crm/v8/{MODULE}"

# (api_name, json_type, data_type, label, custom)
FIELDS: list[tuple[str, str, str, str, bool]] = [
    ("Owner", "jsonobject", "ownerlookup", "Account Owner", False),
    ("Account_Name", "string", "text", "Account Name", False),
    ("Account_Number", "string", "autonumber", "Account Number", False),
    ("Account_Site", "string", "text", "Account Site", False),
    ("Account_Type", "string", "picklist", "Account Type", False),
    ("Annual_Revenue", "double", "currency", "Annual Revenue", False),
    ("Currency", "string", "picklist", "Currency", False),
    ("Exchange_Rate", "double", "double", "Exchange Rate", False),
    ("Description", "string", "textarea", "Description", False),
    ("Employees", "integer", "integer", "Employees", False),
    ("Fax", "string", "phone", "Fax", False),
    ("Industry", "string", "picklist", "Industry", False),
    ("Ownership", "string", "picklist", "Ownership", False),
    ("Parent_Account", "jsonobject", "lookup", "Parent Account", False),
    ("Phone", "string", "phone", "Phone", False),
    ("Rating", "string", "picklist", "Rating", False),
    ("SIC_Code", "integer", "integer", "SIC Code", False),
    ("Ticker_Symbol", "string", "text", "Ticker Symbol", False),
    ("Website", "string", "website", "Website", False),
    ("Billing_Street", "string", "text", "Billing Street", False),
    ("Billing_City", "string", "text", "Billing City", False),
    ("Billing_State", "string", "text", "Billing State", False),
    ("Billing_Code", "string", "text", "Billing Code", False),
    ("Billing_Country", "string", "text", "Billing Country", False),
    ("Shipping_Street", "string", "text", "Shipping Street", False),
    ("Shipping_City", "string", "text", "Shipping City", False),
    ("Shipping_State", "string", "text", "Shipping State", False),
    ("Shipping_Code", "string", "text", "Shipping Code", False),
    ("Shipping_Country", "string", "text", "Shipping Country", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Last_Activity_Time", "string", "datetime", "Last Activity Time", False),
    ("Record_Image", "string", "profileimage", "Account Image", False),
    ("Locked__s", "boolean", "boolean", "Locked", False),
    # the sandbox org's custom fields (any org may add its own; Zoho reports them in settings/fields)
    ("Customer_Tier", "string", "picklist", "Customer Tier", True),
    ("Renewal_Date", "string", "date", "Renewal Date", True),
    ("NPS_Score", "integer", "integer", "NPS Score", True),
    ("Partner_Program", "boolean", "boolean", "Partner Program", True),
]
FIELD_TYPES = {name: json_type for name, json_type, _dt, _l, _c in FIELDS}
READ_ONLY = {"Account_Number", "Created_By", "Modified_By", "Created_Time", "Modified_Time",
             "Last_Activity_Time", "Exchange_Rate", "Locked__s"}
WRITABLE = {name for name in FIELD_TYPES if name not in READ_ONLY}
PICKLISTS = {
    "Industry": ["ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
                 "Government/Military", "Large Enterprise", "Management ISV", "MSP (Management Service Provider)",
                 "Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
                 "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
                 "Wireless Industry", "Communications", "Technology", "Education", "Manufacturing",
                 "Financial Services", "Healthcare", "Retail", "Consulting"],
    "Account_Type": ["Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other",
                     "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor"],
    "Ownership": ["Other", "Private", "Public", "Subsidiary", "Partnership", "Government", "Privately Held"],
    "Rating": ["Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"],
    "Customer_Tier": ["Bronze", "Silver", "Gold", "Platinum"],
}

# -- deterministic seed material ----------------------------------------------------------------------
_PREFIXES = ["Zylker", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Acme", "Hooli",
             "Vandelay", "Soylent", "Tyrell", "Wonka", "Cyberdyne", "Aperture", "Oscorp", "Gringotts",
             "Monarch", "Pied Piper", "Dunder"]
_SUFFIXES = ["Systems", "Labs", "Holdings", "Logistics", "Foods", "Analytics", "Energy", "Robotics",
             "Pharma", "Media", "Capital", "Outfitters", "Networks", "Textiles", "Aerospace"]
_CITIES = [("Austin", "TX", "78701", "United States"), ("Chennai", "Tamil Nadu", "600001", "India"),
           ("Berlin", "Berlin", "10115", "Germany"), ("Toronto", "ON", "M5H 2N2", "Canada"),
           ("Sydney", "NSW", "2000", "Australia"), ("London", "Greater London", "EC1A 1BB", "United Kingdom"),
           ("Pune", "Maharashtra", "411001", "India"), ("Denver", "CO", "80202", "United States"),
           ("Tokyo", "Tokyo", "100-0001", "Japan"), ("Paris", "Ile-de-France", "75001", "France")]
_STREETS = ["Market Street", "Mount Road", "Unter den Linden", "King Street West", "George Street",
            "Aldersgate", "FC Road", "Larimer Street", "Marunouchi", "Rue de Rivoli"]
_TAGS = [("Key Account", "5725767000000620001", "#57b1fd"), ("Renewal Due", "5725767000000620017", "#ff7b7b"),
         ("Enterprise", "5725767000000620033", "#63c57e"), ("Referral", "5725767000000620049", "#f9b94c"),
         ("Churn Risk", "5725767000000620065", "#c17ef0")]
_SEED_START = datetime(2023, 1, 2, 9, 15, 0, tzinfo=ORG_TZ)


class Accounts(Resource):
    name: ClassVar[str] = "accounts"
    module: ClassVar[str] = MODULE
    emulator: ZohoCrmEmulator

    def __init__(self, emulator: ZohoCrmEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=ID_BASE, step=ID_STEP, make_id=str, number_of=int)

    def seed(self, count: int) -> None:
        self.store.clear()
        self.deleted: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, Any]] = {n: {"name": n, "id": i, "color_code": c} for n, i, c in _TAGS}
        self.next_number = 1
        for i in range(count):
            record_id = self._new_id()
            prefix = _PREFIXES[i % len(_PREFIXES)]
            suffix = _SUFFIXES[(i // len(_PREFIXES)) % len(_SUFFIXES)]
            round_ = i // (len(_PREFIXES) * len(_SUFFIXES))
            name = f"{prefix} {suffix}" + (f" {round_ + 1}" if round_ else "")
            slug = name.lower().replace(" ", "")
            city, state, code, country = _CITIES[i % len(_CITIES)]
            ship_city, ship_state, ship_code, ship_country = _CITIES[(i + 3) % len(_CITIES)]
            owner = USERS[i % len(USERS)]
            creator = USERS[(i + 1) % len(USERS)]
            created = _SEED_START + timedelta(hours=7 * i, minutes=i % 60)
            modified = created + timedelta(days=3 + i % 40, minutes=17)
            tags = [self.tags[_TAGS[i % len(_TAGS)][0]]]
            if i % 3 == 0:
                tags.append(self.tags[_TAGS[(i + 2) % len(_TAGS)][0]])
            self.store.add(record_id, {
                "id": record_id,
                "Owner": dict(owner),
                "Account_Name": name,
                "Account_Number": str(self._take_number()),
                "Account_Site": f"{city} HQ",
                "Account_Type": PICKLISTS["Account_Type"][i % len(PICKLISTS["Account_Type"])],
                "Annual_Revenue": float(250_000 + (i * 7919) % 9_000_000),
                "Currency": "USD",
                "Exchange_Rate": 1,
                "Description": f"{name} is a {suffix.lower()} company headquartered in {city}.",
                "Employees": 10 + (i * 37) % 4990,
                "Fax": f"+1-555-01{i % 100:02d}-{(i * 13) % 10000:04d}",
                "Industry": PICKLISTS["Industry"][i % len(PICKLISTS["Industry"])],
                "Ownership": PICKLISTS["Ownership"][i % len(PICKLISTS["Ownership"])],
                "Parent_Account": None,
                "Phone": f"+1-555-02{i % 100:02d}-{(i * 29) % 10000:04d}",
                "Rating": PICKLISTS["Rating"][i % len(PICKLISTS["Rating"])],
                "SIC_Code": 7370 + i % 20,
                "Ticker_Symbol": prefix[:3].upper() + suffix[:1].upper(),
                "Website": f"https://www.{slug}.example",
                "Billing_Street": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}",
                "Billing_City": city,
                "Billing_State": state,
                "Billing_Code": code,
                "Billing_Country": country,
                "Shipping_Street": f"{200 + i % 700} {_STREETS[(i + 3) % len(_STREETS)]}",
                "Shipping_City": ship_city,
                "Shipping_State": ship_state,
                "Shipping_Code": ship_code,
                "Shipping_Country": ship_country,
                "Tag": [dict(t) for t in tags],
                "Created_By": dict(creator),
                "Modified_By": dict(owner),
                "Created_Time": ts(created),
                "Modified_Time": ts(modified),
                "Last_Activity_Time": ts(modified + timedelta(hours=5)) if i % 4 else None,
                "Record_Image": None,
                "Locked__s": False,
                "Customer_Tier": PICKLISTS["Customer_Tier"][i % 4],
                "Renewal_Date": (created + timedelta(days=365)).date().isoformat(),
                "NPS_Score": i % 11,
                "Partner_Program": i % 5 == 0,
                "$approval_state": "approved",
                "$approved": True,
                "$editable": True,
                "$state": "save",
                "$currency_symbol": "$",
                "$locked_for_me": False,
                "$in_merge": False,
                "$process_flow": False,
            })
            if i % 7 == 6 and i > 0:
                parent_id = str(self.store.active[i - 1 - (i % 5)])
                parent = self.store.records[parent_id]
                self.store.records[record_id]["Parent_Account"] = {"name": parent["Account_Name"], "id": parent_id}

    def _new_id(self) -> str:
        return self.store.new_id()

    def _take_number(self) -> int:
        value = self.next_number
        self.next_number += 1
        return value

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [
            Route(f"{PATH}/deleted", self.deleted_records, methods=["GET"]),
            Route(PATH + "/{record_id}", self.one, methods=["GET", "PUT", "DELETE"]),
            Route(PATH, self.many, methods=["GET", "POST", "PUT", "DELETE"]),
        ]

    def answer(self, body: Any, status: int = 200) -> Response:
        return self.emulator.answer(body, status)

    def field_list(self) -> list[dict[str, Any]]:
        """The layout's fields, as `GET /crm/v8/settings/fields?module=Accounts` lists them (crm-oas v8.0 fields)."""
        fields = []
        for index, (api_name, json_type, data_type, label, custom) in enumerate(FIELDS):
            field: dict[str, Any] = {
                "api_name": api_name,
                "id": str(5725767000000002000 + index * 10),
                "field_label": label,
                "display_label": label,
                "json_type": json_type,
                "data_type": data_type,
                "custom_field": custom,
                "read_only": api_name in READ_ONLY,
                "system_mandatory": api_name == "Account_Name",
                "visible": True,
            }
            if api_name in PICKLISTS:
                field["pick_list_values"] = [{"display_value": v, "actual_value": v} for v in PICKLISTS[api_name]]
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
                    self.answer(unknown_id_body(record_id), GET_MISSING_STATUS)
            fields_param = request.query_params.get("fields")
            if fields_param:
                record = project(record, [f.strip() for f in fields_param.split(",")])
            return self.answer({"data": [record]})
        if request.method == "PUT":
            body, problem = await write_body(request, 1, self.answer)
            if problem:
                return problem
            if record_id not in self.store:
                return self.answer(unknown_id_body(record_id), UNKNOWN_ID_STATUS)
            item = self._apply(body[0], record_id)
            return self.answer({"data": [item]}, 200 if item["status"] == "success" else 400)
        # DELETE
        if record_id not in self.store:
            return self.answer(unknown_id_body(record_id), UNKNOWN_ID_STATUS)
        self._delete(record_id)
        return self.answer({"data": [deleted_item(record_id)]})

    def _delete(self, record_id: str) -> None:
        record = self.store.delete(record_id)
        self.deleted[record_id] = {
            "deleted_by": {"name": TOKEN_USER["name"], "id": TOKEN_USER["id"]},
            "id": record_id,
            "display_name": record.get("Account_Name"),
            "type": "recycle",
            "created_by": {"name": record["Created_By"]["name"], "id": record["Created_By"]["id"]},
            "deleted_time": ts(now()),
        }

    # -- writes -------------------------------------------------------------------------------------
    def _validate(self, values: Any, index: int, creating: bool) -> dict[str, Any] | None:
        """The first per-record error, in Zoho's item shape, or None."""
        if not isinstance(values, dict):
            return error_object("INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject",
                                                                 "json_path": f"$.data[{index}]"})
        if creating and not values.get("Account_Name"):
            return error_object("MANDATORY_NOT_FOUND", "required field not found",
                                {"api_name": "Account_Name", "json_path": f"$.data[{index}].Account_Name"})
        for key, value in values.items():
            if key not in FIELD_TYPES or value is None:
                continue
            expected = FIELD_TYPES[key]
            path = {"api_name": key, "json_path": f"$.data[{index}].{key}"}
            if key == "Owner":
                if not isinstance(value, dict) or str(value.get("id")) not in USERS_BY_ID:
                    return error_object("INVALID_DATA", "invalid data", path)
            elif key == "Tag":
                if not isinstance(value, list) or not all(isinstance(t, dict) and t.get("name") for t in value):
                    return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "jsonarray"})
            elif key == "Parent_Account":
                if not isinstance(value, dict) or str(value.get("id")) not in self.store:
                    return error_object("INVALID_DATA", "invalid data", path)
            elif expected == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "integer"})
            elif expected == "double" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "double"})
            elif expected == "boolean" and not isinstance(value, bool):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "boolean"})
            elif expected == "string" and not isinstance(value, str):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "string"})
            elif key == "Account_Name" and len(value) > 200:
                return error_object("INVALID_DATA", "invalid data", {**path, "maximum_length": 200})
        return None

    def _apply(self, values: dict[str, Any], record_id: str | None, index: int = 0) -> dict[str, Any]:
        """Create (record_id None) or update one record; the action-response item."""
        problem = self._validate(values, index, creating=record_id is None)
        if problem:
            return problem
        stamp = ts(now())
        user = {"name": TOKEN_USER["name"], "id": TOKEN_USER["id"]}
        if record_id is None:
            record_id = self._new_id()
            record: dict[str, Any] = {name: None for name in FIELD_TYPES}
            record.update({
                "id": record_id, "Owner": dict(TOKEN_USER), "Account_Number": str(self._take_number()),
                "Tag": [], "Created_By": dict(TOKEN_USER), "Created_Time": stamp, "Currency": "USD",
                "Exchange_Rate": 1, "Locked__s": False, "$approval_state": "approved", "$approved": True,
                "$editable": True, "$state": "save", "$currency_symbol": "$", "$locked_for_me": False,
                "$in_merge": False, "$process_flow": False,
            })
            self.store.add(record_id, record)
            message = "record added"
        else:
            record = self.store.records[record_id]
            message = "record updated"
        for key, value in values.items():
            if key not in WRITABLE:
                continue   # unknown API names and read-only fields are ignored
            if key == "Owner" and value is not None:
                value = dict(USERS_BY_ID[str(value["id"])])
            elif key == "Tag" and value is not None:
                value = [self._tag(t["name"]) for t in value]
            elif key == "Parent_Account" and value is not None:
                value = {"name": self.store.records[str(value["id"])]["Account_Name"], "id": str(value["id"])}
            record[key] = value
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

    def _tag(self, name: str) -> dict[str, Any]:
        if name not in self.tags:
            self.tags[name] = {"name": name, "id": str(5725767000000620001 + 16 * len(self.tags)),
                               "color_code": "#969696"}
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
                self._delete(record_id)
                items.append(deleted_item(record_id))
            else:
                items.append(error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id}))
        return self.answer({"data": items}, batch_status(items, 200))

    async def deleted_records(self, request: Request) -> Response:
        """Recycle Bin listing `GET /crm/v8/Accounts/deleted?type=recycle`
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
