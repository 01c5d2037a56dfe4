"""Nutshell leads, its deals: `/rest/leads` (https://app.nutshell.com/swagger.json; the read shape from a live
lead recorded by amp-labs/connectors, providers/nutshell test fixtures).

- List `{meta, links, leads}` with `page[limit]`/`page[page]` (0-based); get `{meta, links, leads: [lead]}`.
- Create `{"leads": [one lead]}` answers 201; `description` "is also set as the name of the lead"; the value is
  `manualValue`, a string amount. Relations go in `links` (accounts, contacts, owner, tags).
- PATCH is JSON Patch (`application/json-patch+json`, else 400 with a bare text body) answering 204; an empty
  array is 400 "No patches sent".
- DELETE answers 200 with the lead, now carrying `deletedTime` (soft; `POST /leads/{id}/undelete`).
- A lead sits in one stage of one pipeline (`links.stage`, `links.stageset`); a new lead gets its pipeline's first
  stage. `POST /leads/{id}/stageset {"stageset"}` moves it to another pipeline (its first stage).
- Setting a given stage: no REST path is documented. The emulator takes a `links.stage` written like any
  other link (`replace /leads/0/links/stage`, or `links.stage` on create) when `STAGE_LINK_WRITABLE`, and
  refuses a stage outside the lead's pipeline (422), as the stageset endpoint implies. [unverified]
- Custom fields (swagger /leads/customfields/attributes, /leads/{id}/customfields): definitions a bare array,
  values not part of the lead but read per lead (a bare array of {id, type, name, value}); written by field name,
  `customFields` on create and `replace /leads/0/<Field Name>` on update. Types as the sandbox's contacts have
  them (text, currency: an amount, enum, date) [unverified: the swagger types no values].
- Read shapes from the live lead: `value {amount (number), currency, formatted}`, `status` "open" (won/lost
  after an outcome), times as objects {absoluteLocalizedString, timestamp, value}, `number` a string.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, lookup, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.nutshell.common import (
    HOST, SEED_EPOCH, NutshellError, created_range, formatted_number, id_filtered, json_body,
)
from unigate.sandbox.nutshell.customfields import check_multiple

PATCH_CONTENT_TYPE = "application/json-patch+json"
PATCH_CONTENT_TYPE_ERROR = "application/json-patch+json is required, see http://jsonapi.org"
CREATE_STATUS = 201          # swagger: POST /leads -> 201
DELETE_STATUS = 200          # swagger: DELETE /leads/{id} -> 200 with the lead
PATCH_STATUS = 204           # swagger: PATCH /leads/{id} -> 204
DEFAULT_PAGE_LIMIT = 50      # as accounts and contacts (no documented default) [unverified]
MAX_PAGE_LIMIT = 10_000
STAGE_LINK_WRITABLE = True   # see the module docstring [unverified]
SORT_KEYS = ("name", "value", "confidence", "age")
# Lead custom fields (id, name, type, choices).
CUSTOM_FIELDS = [("31-customfields", "Competitor", "text", None),
                 ("32-customfields", "Seats", "currency", None),
                 ("33-customfields", "Deal type", "enum", ["New business", "Upsell", "Renewal"])]
_FIELDS = ("description", "manualValue", "confidence", "priority", "dueTime", "anticipatedClosedTime")
_LIST_LINKS = ("accounts", "contacts", "tags", "sources")
_ONE_LINKS = ("owner", "stage")
_ID = re.compile(r"^(\d+)-leads$")
_STAGE_ID = re.compile(r"^\d+-stages$")
_DEALS = ["Website redesign", "Annual licence", "Onboarding package", "Support plan", "Hardware order",
          "Consulting block", "Data cleanup", "Expansion seats"]
_CURRENCIES = ["USD", "EUR", "GBP"]


def _lead_id(number: int) -> str:
    return f"{number}-leads"


def _lead_number(lead_id: str) -> int:
    return int(lead_id.split("-", 1)[0])


def time_object(timestamp: int | None) -> dict[str, Any] | None:
    """A lead's time: {absoluteLocalizedString, timestamp, value} (live lead, amp-labs fixture)."""
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, UTC)
    text = f"{moment:%B} {moment.day}, {moment.year}"
    return {"absoluteLocalizedString": text, "timestamp": timestamp, "value": text}


def _money(amount: float, currency: str) -> dict[str, Any]:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    return {"amount": amount, "currency": currency, "formatted": f"{symbol}{amount:,.2f}" if amount else ""}


class Leads(Resource):
    """Nutshell leads in `self.store` (`N-leads` ids; a deleted lead is archived and keeps `deletedTime`)."""

    name = "opportunities"
    default_seed_count: ClassVar[int | None] = 45

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [
            Route("/rest/leads", g(self.list_leads), methods=["GET"]),
            Route("/rest/leads", g(self.create_lead), methods=["POST"]),
            Route("/rest/leads/customfields/attributes", g(self.custom_field_attributes), methods=["GET"]),
            Route("/rest/leads/{id}", g(self.get_lead), methods=["GET"]),
            Route("/rest/leads/{id}/customfields", g(self.custom_field_values), methods=["GET"]),
            Route("/rest/leads/{id}", g(self.patch_lead), methods=["PATCH"]),
            Route("/rest/leads/{id}", g(self.delete_lead), methods=["DELETE"]),
            Route("/rest/leads/{id}/stageset", g(self.set_stageset), methods=["POST"]),
            Route("/rest/leads/{id}/undelete", g(self.undelete_lead), methods=["POST"]),
        ]

    def _stages(self):
        return self.emulator.resource("stages")

    def snapshot(self) -> Any:
        """The leads, each with its custom field values (`customFields`, which Nutshell serves apart)."""
        return [{**lead, "customFields": dict(self.custom_values.get(lead["id"], {}))} for lead in self.store.values()]

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Deals in every pipeline and stage, most with an account and its people, in three currencies;
        every ninth won, every eleventh lost."""
        self.store = Collection(first_id=1001, make_id=_lead_id, number_of=_lead_number)
        self.custom_values: dict[str, dict[str, Any]] = {}
        self.field_specs = {name: {"id": cid, "type": "customfields", "name": name, "title": name,
                                   "fieldType": kind, "choices": choices}
                            for cid, name, kind, choices in CUSTOM_FIELDS}
        stagesets = list(self.emulator.resource("pipelines").records.values())
        if not stagesets:
            return
        accounts = list(self.emulator.resource("accounts").store.live())
        for i in range(count):
            stageset = stagesets[i % len(stagesets)]
            stages = self._stages().of(stageset["id"])
            created = int(SEED_EPOCH.timestamp()) + i * 7200
            name = f"{_DEALS[i % len(_DEALS)]} {i + 1}"
            lead = self._new(name, created, stageset["id"], stages[(i // len(stagesets)) % len(stages)]["id"])
            lead["value"] = _money(float(1000 + (i * 977) % 40000), _CURRENCIES[i % len(_CURRENCIES)])
            lead["confidence"] = 10 + (i * 13) % 80
            lead["anticipatedClosedTime"] = time_object(created + 86400 * (30 + i % 60))
            lead["links"]["owner"] = f"{i % 4 + 1}-users"
            lead["links"]["tags"] = [f"{i % 6 + 1}-tags"] if i % 3 == 0 else []
            if accounts and i % 8 != 7:
                account = accounts[i % len(accounts)]
                lead["links"]["accounts"] = [account["id"]]
                lead["links"]["contacts"] = list(account["links"]["contacts"][:2])
            if i % 9 == 8:
                lead["status"], lead["links"]["outcome"] = "won", "1-outcomes"
                lead["closedTime"] = time_object(created + 86400 * 20)
            elif i % 11 == 10:
                lead["status"], lead["links"]["outcome"] = "lost", "2-outcomes"
                lead["closedTime"] = time_object(created + 86400 * 25)
            self.store.add(lead["id"], lead)
            if i % 2 == 0:
                self.custom_values[lead["id"]] = {"Competitor": ["Acme CRM", "Globex Sales"][i % 4 // 2],
                                                  "Seats": 5 + i % 20}

    def _new(self, name: str, created: int, stageset: str, stage: str) -> dict[str, Any]:
        lead_id = self.store.new_id()
        number = str(_lead_number(lead_id) - 3)
        return {
            "id": lead_id, "type": "leads", "name": name, "description": name, "number": number,
            "value": _money(0, "USD"), "status": "open", "confidence": 0, "priority": 0,
            "createdTime": time_object(created), "closedTime": None, "dueTime": None, "anticipatedClosedTime": None,
            "isOverdue": False, "href": f"{HOST}/rest/leads/{lead_id}", "htmlUrl": f"{HOST}/lead/{number}",
            "links": {"accounts": [], "contacts": [], "tags": [], "sources": [], "owner": None, "stage": stage,
                      "stageset": stageset, "creator": "1-users", "outcome": None},
        }

    # -- envelopes ------------------------------------------------------------------------------------
    def _response(self, leads: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"meta": {**(meta or {}), **self.emulator._meta()}, "links": {}, "leads": leads}

    def _find(self, raw_id: str, *, allow_deleted: bool) -> dict[str, Any]:
        lead = self.store.get(raw_id) if _ID.match(raw_id) else None
        if lead is None or ("deletedTime" in lead and not allow_deleted):
            raise NutshellError(404, "Not Found", f"Could not find lead with id {raw_id}")
        return lead

    # -- handlers -------------------------------------------------------------------------------------
    async def list_leads(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("page[limit]", str(DEFAULT_PAGE_LIMIT))
        raw_page = params.get("page[page]", "0")
        if not re.fullmatch(r"-?\d+", raw_page) or int(raw_page) < 0:
            raise NutshellError(400, "Invalid filter", f"Invalid page number: {raw_page}")
        if not re.fullmatch(r"-?\d+", raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_LIMIT:
            raise NutshellError(400, "Invalid filter", f"Invalid page limit: {raw_limit}")
        limit, page = int(raw_limit), int(raw_page)
        live = id_filtered(list(self.store.live()), params)
        stageset = params.get("filter[stageset]")
        if stageset:
            live = [lead for lead in live if lead["links"]["stageset"] == stageset]
        created = created_range(params)
        if created:
            live = [lead for lead in live if created[0] <= lead["createdTime"]["timestamp"] <= created[1]]
        sort = params.get("sort")
        if sort:
            # swagger: /leads sorts by age, value, milestone, confidence, name, closedTime, owner, sources (each
            # also with a leading `-`); no createdTime. The sandbox serves name, value, confidence and age.
            key = sort[1:] if sort.startswith("-") else sort
            if key not in SORT_KEYS:
                raise NutshellError(400, "Invalid sort", f"Cannot sort by {key}")
            live = sorted(live, key=lambda lead: self._sort_value(lead, key), reverse=sort.startswith("-"))
        chunk = live[page * limit: (page + 1) * limit]
        meta = {"count": len(chunk), "countFormatted": formatted_number(len(chunk)), "total": len(live),
                "totalFormatted": formatted_number(len(live))}
        return json_response(self._response(chunk, meta))

    @staticmethod
    def _sort_value(lead: dict[str, Any], key: str) -> tuple[bool, Any]:
        value = {"name": (lead["name"] or "").lower(), "value": lead["value"]["amount"],
                 "confidence": lead["confidence"],
                 # age: how old the lead is, so ascending is the newest first
                 "age": -lead["createdTime"]["timestamp"]}.get(key)
        return (value is None, value if value is not None else "")

    async def get_lead(self, request: Request) -> Response:
        # Soft delete: a deleted lead is still read by id, with deletedTime (as accounts and contacts). [unverified]
        return json_response(self._response([self._find(request.path_params["id"], allow_deleted=True)]))

    async def create_lead(self, request: Request) -> Response:
        body = await json_body(request)
        items = body.get("leads") if isinstance(body, dict) else None
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            raise NutshellError(400, "You may only create one leads resource per request.")
        data = items[0]
        unknown = sorted(set(data) - set(_FIELDS) - {"links", "customFields"})
        if unknown:
            raise NutshellError(422, "Invalid lead", f"Unknown field(s): {', '.join(unknown)}", unknown[0])
        links = data.get("links") or {}
        if not isinstance(links, dict):
            raise NutshellError(422, "Invalid links", field="links")
        stagesets = self.emulator.resource("pipelines")
        stageset_id = links.get("stageset") or (stagesets.default() or {}).get("id")
        if stageset_id not in stagesets.records:
            raise NutshellError(422, "Invalid stageset link", f"{stageset_id!r} does not exist", "links.stageset")
        first = self._stages().of(stageset_id)[0]["id"]
        lead = self._new("", int(time.time()), stageset_id, first)
        self._apply_fields(lead, {k: v for k, v in data.items() if k in _FIELDS})
        for key, value in links.items():
            if key != "stageset":
                self._set_link(lead, key, value)
        if not lead["description"]:
            raise NutshellError(422, "Invalid lead", "A lead needs a description (its name).", "description")
        values = self._custom_fields({}, data["customFields"]) if "customFields" in data else {}
        self.store.add(lead["id"], lead)
        self.custom_values[lead["id"]] = values
        self.emulator.resource("events").record("leads", lead["id"], "create")
        return json_response(self._response([lead]), CREATE_STATUS)

    async def custom_field_attributes(self, request: Request) -> Response:
        return json_response(list(self.field_specs.values()))     # bare array (swagger)

    async def custom_field_values(self, request: Request) -> Response:
        lead = self._find(request.path_params["id"], allow_deleted=False)
        values = self.custom_values.get(lead["id"], {})
        return json_response([{"id": spec["id"], "type": "customfields", "name": name, "value": values[name]}
                              for name, spec in self.field_specs.items() if values.get(name) is not None])

    def _custom_fields(self, current: dict[str, Any], values: Any) -> dict[str, Any]:
        """Custom field values written by field name (unknown names and values of the wrong kind refused, 422)."""
        if not isinstance(values, dict):
            raise NutshellError(422, "Invalid customFields", field="customFields")
        out = dict(current)
        for name, value in values.items():
            spec = self.field_specs.get(name)
            if spec is None:
                raise NutshellError(422, "Invalid custom field", f"No lead custom field named {name!r}", "customFields")
            if check_multiple(spec, name, value):
                out[name] = value
                continue
            if value is not None and (isinstance(value, bool) or not isinstance(value, (str, int, float))):
                raise NutshellError(422, "Invalid custom field value", f"{name} takes a single value", "customFields")
            if spec["fieldType"] == "enum" and value is not None and value not in spec["choices"]:
                raise NutshellError(422, "Invalid custom field value",
                                    f"{value!r} is not one of {', '.join(spec['choices'])}", "customFields")
            if spec["fieldType"] == "currency" and value is not None and not isinstance(value, (int, float)) \
                    and not re.fullmatch(r"-?\d+(\.\d+)?", str(value)):
                raise NutshellError(422, "Invalid custom field value", f"{name} takes an amount", "customFields")
            if value is None:
                out.pop(name, None)
            else:
                out[name] = value
        return out

    async def patch_lead(self, request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != PATCH_CONTENT_TYPE:
            return json_response(PATCH_CONTENT_TYPE_ERROR, 400)
        lead = self._find(request.path_params["id"], allow_deleted=False)
        ops = await json_body(request)
        if not isinstance(ops, list) or not ops:
            raise NutshellError(400, "No patches sent", "The body must be a non-empty JSON Patch array")
        staged = orjson.loads(orjson.dumps(lead))
        values = dict(self.custom_values.get(lead["id"], {}))
        for op in ops:
            values = self._patch_one(staged, values, op)
        if not staged["description"]:
            raise NutshellError(422, "Invalid lead", "A lead needs a description (its name).", "description")
        lead.clear()
        lead.update(staged)
        self.custom_values[lead["id"]] = values
        self.emulator.resource("events").record("leads", lead["id"], "update")
        return Response(status_code=PATCH_STATUS)

    async def delete_lead(self, request: Request) -> Response:
        lead = self._find(request.path_params["id"], allow_deleted=False)
        lead["deletedTime"] = int(time.time())
        self.store.archive(lead["id"])
        self.emulator.resource("events").record("leads", lead["id"], "delete")
        return json_response(self._response([lead]), DELETE_STATUS)

    async def undelete_lead(self, request: Request) -> Response:
        lead = self._find(request.path_params["id"], allow_deleted=True)
        if "deletedTime" in lead:
            lead.pop("deletedTime")
            self.store.restore(lead["id"])
            self.emulator.resource("events").record("leads", lead["id"], "undelete")
        return json_response(self._response([lead]))

    async def set_stageset(self, request: Request) -> Response:
        """`POST /leads/{id}/stageset {"stageset": "2-stagesets"}`: the lead moves to that pipeline's first stage."""
        lead = self._find(request.path_params["id"], allow_deleted=False)
        body = await json_body(request)
        stageset_id = body.get("stageset") if isinstance(body, dict) else None
        if not member(stageset_id, self.emulator.resource("pipelines").records):
            raise NutshellError(422, "Invalid stageset", f"{stageset_id!r} does not exist", "stageset")
        if lead["links"]["stageset"] != stageset_id:
            lead["links"]["stageset"] = stageset_id
            stage = self._stages().of(stageset_id)[0]
            lead["links"]["stage"] = stage["id"]
            # the recorded live feed's stage move: action "stagechange", the new stage in `changes`
            self.emulator.resource("events").record("leads", lead["id"], "stagechange", [{
                "attribute": "stage", "oldValue": None,
                "newValue": {k: stage.get(k) for k in ("id", "type", "name", "position")}}])
        return json_response(self._response([lead]))

    # -- writes ---------------------------------------------------------------------------------------
    def _apply_fields(self, lead: dict[str, Any], data: dict[str, Any]) -> None:
        for key, value in data.items():
            if key == "description":
                if value is not None and not isinstance(value, str):
                    raise NutshellError(422, "Invalid description", field="description")
                lead["description"] = lead["name"] = value or ""
            elif key == "manualValue":
                # a string amount (swagger example "999.99"); the lead keeps its currency
                if value is None:
                    lead["value"] = _money(0, lead["value"]["currency"])
                    continue
                if isinstance(value, bool) or not re.fullmatch(r"\d+(\.\d{1,2})?", str(value)):
                    raise NutshellError(422, "Invalid manualValue", f"{value!r} is not an amount", "manualValue")
                lead["value"] = _money(float(value), lead["value"]["currency"])
            elif key == "confidence":
                if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100):
                    raise NutshellError(422, "Invalid confidence", "confidence is a percentage", "confidence")
                lead["confidence"] = value or 0
            elif key == "priority":
                if value not in (0, 1):
                    raise NutshellError(422, "Invalid priority", "priority is 0 or 1 (hot)", "priority")
                lead["priority"] = value
            elif key in ("dueTime", "anticipatedClosedTime"):
                # written as an ISO 8601 time (swagger: string), read back as a time object
                if value is None:
                    lead[key] = None
                    continue
                try:
                    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
                except ValueError:
                    raise NutshellError(422, f"Invalid {key}", f"{value!r} is not a time", key) from None
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                lead[key] = time_object(int(moment.timestamp()))

    def _set_link(self, lead: dict[str, Any], key: str, value: Any) -> None:
        if key in _LIST_LINKS:
            tables = {"accounts": lambda i: self.emulator.resource("accounts").store.get_active(i),
                      "contacts": lambda i: self.emulator.resource("contacts").store.get_active(i),
                      "tags": self.emulator.tags.get, "sources": lambda i: None}
            refs = value if isinstance(value, list) else [value]
            for ref in refs:
                if not isinstance(ref, str) or tables[key](ref) is None:
                    raise NutshellError(422, f"Invalid {key} link", f"{ref!r} does not exist", f"links.{key}")
            lead["links"][key] = list(dict.fromkeys(refs))
        elif key == "owner":
            if value is not None and value not in self.emulator.users:
                raise NutshellError(422, "Invalid owner link", f"{value!r} does not exist", "links.owner")
            lead["links"]["owner"] = value
        elif key == "stage" and STAGE_LINK_WRITABLE:
            if not isinstance(value, str) or not _STAGE_ID.match(value):
                raise NutshellError(400, "Invalid stage link", f"{value!r} is not a stage id", "links.stage")
            stage = lookup(self._stages().records, value)
            if stage is None:
                raise NutshellError(422, "Invalid stage link", f"{value!r} does not exist", "links.stage")
            if stage["links"]["stageset"] != lead["links"]["stageset"]:
                raise NutshellError(422, "Invalid stage link",
                                    f"{value} is not a stage of the lead's pipeline {lead['links']['stageset']}",
                                    "links.stage")
            lead["links"]["stage"] = value
        else:
            raise NutshellError(422, f"Unknown link {key}", field=f"links.{key}")

    def _patch_one(self, lead: dict[str, Any], values: dict[str, Any], op: Any) -> dict[str, Any]:
        """Apply one JSON Patch operation to the staged lead; answers the custom field values."""
        if not isinstance(op, dict) or op.get("op") not in ("add", "remove", "replace"):
            raise NutshellError(400, "Invalid patch operation", "op must be add, remove or replace")
        path = str(op.get("path", ""))
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/") if p != ""]
        if len(parts) < 3 or parts[0] != "leads" or parts[1] != "0":
            raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
        kind, rest, value = op["op"], parts[2:], op.get("value")
        if rest[0] == "links" and len(rest) == 2:
            key = rest[1]
            self._set_link(lead, key, ([] if key in _LIST_LINKS else None) if kind == "remove" else value)
        elif rest[0] == "links" and len(rest) == 3 and rest[1] in _LIST_LINKS:
            current = list(lead["links"][rest[1]])
            if kind == "add" and rest[2] == "-":
                self._set_link(lead, rest[1], current + [value])
            elif kind == "remove":
                self._set_link(lead, rest[1], [r for r in current if r != rest[2]])
            else:
                raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
        elif len(rest) == 1 and rest[0] in _FIELDS:
            self._apply_fields(lead, {rest[0]: None if kind == "remove" else value})
        elif len(rest) == 1 and rest[0] in self.field_specs:      # a custom field, by name
            return self._custom_fields(values, {rest[0]: None if kind == "remove" else value})
        else:
            raise NutshellError(400, "Invalid patch path", f"Unsupported path {path}")
        return values


class LeadRecords(Resource):
    """The same leads seen as unified `leads` (`/__control/nutshell/records/leads`): Nutshell has one lead
    object, its deal, which crm/opportunities and crm/leads both map. No routes or records of its own."""

    name = "leads"
    default_seed_count: ClassVar[int | None] = 0

    def routes(self) -> list[Route]:
        return []

    def seed(self, count: int) -> None:
        """The leads are seeded as `opportunities`."""

    def snapshot(self) -> Any:
        return self.emulator.resource("opportunities").snapshot()

    def count(self) -> int:
        return 0          # counted once, as opportunities
