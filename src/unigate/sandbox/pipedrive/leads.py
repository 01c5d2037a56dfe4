"""Pipedrive leads (API v1 only): the emulator's `leads` resource.

A lead is a potential deal kept in the Leads Inbox until it is archived or converted to a deal; it is named by
its `title` and linked to a person, an organization or both (https://developers.pipedrive.com/docs/api/v1/Leads).
Routes are Pipedrive's (https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v1/api/leads-api.ts):

- `GET    /v1/leads`           the leads not archived (`start` from 0, `limit` default 100; `owner_id`,
  `person_id`, `organization_id`, `sort` "field ASC|DESC", comma-separated; `updated_since`: "only leads with
  an update_time later than or equal to this time", ISO 8601, fractions of a second as the
  `fractional_seconds` switch says)
- `GET    /v1/leads/archived`  the archived leads, same parameters but `updated_since` (the client sends none)
- `GET    /v1/leads/{id}`      read one (archived or not)
- `POST   /v1/leads`           create: **201** (client-php LeadsApi `addLeadWithHttpInfo`)
- `PATCH  /v1/leads/{id}`      update the fields given; `null` unsets `value`, `person_id`, `organization_id`
- `DELETE /v1/leads/{id}`      delete: 200 `{"success": true, "data": {"id": "<uuid>"}}` (client-php
  GetLeadIdResponse); the lead then reads 404 [unverified whether it goes to a trash first]

Since Jul 15th, 2025 `GET /v1/leads` returns no archived leads and archived leads are not editable through the
API (https://developers.pipedrive.com/changelog/post/breaking-change-archived-deals-and-leads-will-not-be-returned-in-existing-endpoints-and-will-not-be-editable).
The older `archived_status` parameter (archived, not_archived, all; https://developers.pipedrive.com/docs/api/v1/Leads#getLeads)
is still validated here but never brings archived leads back into `/v1/leads` [unverified: whether Pipedrive
ignores it or still honours it].

The lead (client-php docs/versions/v1/Model/LeadResponse.md): `id` (a UUID), `title`, `owner_id`, `creator_id`,
`label_ids` (lead label UUIDs), `person_id`, `organization_id` (not `org_id`), `source_name` ("API" for leads made
through the API), `origin`, `origin_id`, `channel`, `channel_id`, `is_archived`, `was_seen`, `value`
(`{"amount", "currency"}` or null), `expected_close_date` (YYYY-MM-DD or null), `next_activity_id`, `add_time` and
`update_time` (ISO 8601 with milliseconds and `Z`), `visible_to` (a string: "1", "3", "5", "7"), `cc_email`.
Leads have no custom fields of their own: they carry the deals' (fields.py, `dealFields` as they are now) as top-level keys,
in the deals' value formats, and a field not set is left out of the answer
(https://developers.pipedrive.com/docs/api/v1/Leads#addLead).

What a write must respect (AddLeadRequest / UpdateLeadRequest): `title` is required on create; a lead always has
a person or an organization or both ("A lead always has to be linked to a person or an organization or both",
addLead), on create and after any update; `person_id` and `organization_id` name existing records; `value` is
`{"amount": number, "currency": <a company currency>}`; `label_ids` are lead label UUIDs; `is_archived` only on
update. Error wording is [unverified] throughout; v1 errors carry no `code`.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.pipedrive.common import (
    Invalid,
    custom_value_problem,
    error,
    normalise_time,
    read_body,
    unauthorized,
)
from unigate.sandbox.pipedrive.deals import CURRENCIES, DEAL_FIELD_KEYS
from unigate.sandbox.pipedrive.notes import v1_list_body, v1_page

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

LEADS_PATH = "/v1/leads"
# LeadNotFoundResponse (client-php) is the one error getLead documents; a malformed id gets it too here
# [unverified: Pipedrive may answer 400 for an id that is not a UUID].
NOT_FOUND_MESSAGE = "Lead not found"
NO_LINK_MESSAGE = "A lead always has to be linked to a person or an organization or both."  # addLead's text
ARCHIVED_MESSAGE = "Archived leads cannot be edited."  # [unverified wording and status] (changelog above)
# The company's lead labels (GET /v1/leadLabels; ids are UUIDs): Pipedrive's three defaults.
LEAD_LABELS = {name: str(uuid.uuid5(uuid.NAMESPACE_URL, f"pipedrive-lead-label-{name}")) for name in ("Hot", "Warm", "Cold")}
CREATE_FIELDS = frozenset({"title", "owner_id", "label_ids", "person_id", "organization_id", "value",
                           "expected_close_date", "visible_to", "was_seen", "origin_id", "channel", "channel_id"})
UPDATE_FIELDS = CREATE_FIELDS | {"is_archived"}
SORTABLE = ("id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date", "next_activity_id",
            "add_time", "update_time")
VISIBLE_TO = ("1", "3", "5", "7")
_SORT_PART = re.compile(r"^\s*(\w+)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}$")
_USERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 7, 3, 8, 30, 0, tzinfo=UTC)
_TITLES = ("Inbound enquiry", "Webinar sign-up", "Trade show contact", "Referral", "Pricing request",
           "Demo request", "Newsletter reply", "Partner intro")


def lead_id(number: int) -> str:
    """Lead ids are UUIDs (LeadResponse `id`); deterministic per allocation number."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pipedrive-lead-{number}"))


def v1_lead_time(moment: datetime) -> str:
    """v1 leads' timestamps: ISO 8601 with milliseconds and `Z` (LeadResponse `add_time`)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Leads(Resource):
    name: ClassVar[str] = "leads"
    emulator: PipedriveEmulator

    def __init__(self, emulator: PipedriveEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=1, make_id=lead_id)

    def seed(self, count: int) -> None:
        """Leads on the seeded persons (with or without their organization) and organizations alone; one in six
        archived, some with a value, labels and the deals' custom fields."""
        self.store.clear()
        persons = list(self.emulator.resource("contacts").store.live())
        orgs = list(self.emulator.resource("accounts").store.live())
        labels = list(LEAD_LABELS.values())
        for index in range(count):
            added = _SEED_START + timedelta(hours=7 * index, seconds=index % 60, milliseconds=17 * index % 1000)
            record = self._blank(v1_lead_time(added))
            person = persons[index % len(persons)] if persons else None
            org = orgs[(index * 5) % len(orgs)] if orgs else None
            kind = index % 3   # 0: a person alone, 1: an organization alone, 2: a person and their organization
            if kind != 1 and person is not None:
                record["person_id"] = person["id"]
                if kind == 2:
                    record["organization_id"] = person["org_id"]
            if record["person_id"] is None or (kind == 1 and org is not None):
                record["organization_id"] = org["id"] if org else None
            record.update(
                title=f"{_TITLES[index % len(_TITLES)]} {index + 1}",
                owner_id=_USERS[index % len(_USERS)], creator_id=_USERS[(index + 1) % len(_USERS)],
                label_ids=[labels[index % len(labels)]] if index % 2 == 0 else [],
                source_name="Manually created" if index % 4 else "API",
                origin="ManuallyCreated" if index % 4 else "API",
                is_archived=index % 6 == 5, was_seen=index % 3 != 0,
                value={"amount": 250 + 50 * index, "currency": CURRENCIES[index % len(CURRENCIES)]}
                if index % 4 != 3 else None,
                expected_close_date=(added + timedelta(days=20 + index % 40)).strftime("%Y-%m-%d")
                if index % 2 else None,
                update_time=v1_lead_time(added + timedelta(days=1 + index % 12, minutes=index % 50)),
            )
            if index % 2 == 0:
                record[DEAL_FIELD_KEYS["source"]] = ("Referral", "Web", "Event")[index % 3]
            if index % 3 == 0:
                record[DEAL_FIELD_KEYS["seats"]] = 3 + index % 20
            record["id"] = self.store.new_id()
            record["cc_email"] = f"sandbox+deal{index + 1}@pipedrivemail.com"
            self.store.add(record["id"], record)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [Route(LEADS_PATH, self.list_or_create, methods=["GET", "POST"]),
                Route(LEADS_PATH + "/archived", self.list_archived, methods=["GET"]),
                Route(LEADS_PATH + "/{id}", self.one, methods=["GET", "PATCH", "DELETE"])]

    @staticmethod
    def _blank(stamp: str) -> dict[str, Any]:
        return {"id": "", "title": "", "owner_id": _USERS[0], "creator_id": _USERS[0], "label_ids": [],
                "person_id": None, "organization_id": None, "source_name": "API", "origin": "API",
                "origin_id": None, "channel": None, "channel_id": None, "is_archived": False, "was_seen": False,
                "value": None, "expected_close_date": None, "next_activity_id": None, "add_time": stamp,
                "update_time": stamp, "visible_to": "3", "cc_email": None}

    @staticmethod
    def render(record: dict[str, Any]) -> dict[str, Any]:
        """The lead as answered: custom fields not set are left out (addLead's description)."""
        out = {k: v for k, v in record.items() if not (_CUSTOM_KEY.match(k) and v is None)}
        out["label_ids"] = list(record["label_ids"])
        if record["value"] is not None:
            out["value"] = dict(record["value"])
        return out

    # -- validation --------------------------------------------------------------------------------
    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Validate the whole body, then write it (nothing changes on error)."""
        # The deals' custom fields as they are now (fields.py: created and deleted through the Fields API).
        deal_fields = self.emulator.resource("fields").custom("dealFields")  # type: ignore[attr-defined]
        custom_keys = set(deal_fields)
        allowed = (CREATE_FIELDS if creating else UPDATE_FIELDS) | custom_keys
        unknown = sorted(k for k in body if k not in allowed)
        if unknown:
            # Switch `unknown_fields` (accounts.py): a field the request schema lacks is refused or dropped; a
            # 40-character key that is none of the company's deal fields is always refused [unverified].
            hashes = [k for k in unknown if _CUSTOM_KEY.match(k)]
            if self.emulator.switch["unknown_fields"] == "reject" or hashes:
                wrong = (hashes or unknown)[0]
                raise Invalid(f"Validation failed: {wrong}: Unknown parameter '{wrong}'")
            body = {k: v for k, v in body.items() if k in allowed}
        if record["is_archived"] and not creating and set(body) - {"is_archived"}:
            raise Invalid(ARCHIVED_MESSAGE)
        changes: dict[str, Any] = {}
        if creating or "title" in body:
            title = body.get("title")
            if not isinstance(title, str) or not title.strip():
                raise Invalid("Validation failed: title: Parameter 'title' is required and must be a non-empty string")
            changes["title"] = title
        if "owner_id" in body:
            if not _int(body["owner_id"]):
                raise Invalid("Validation failed: owner_id: Parameter 'owner_id' must be an integer")
            changes["owner_id"] = body["owner_id"]
        for name, target, kind in (("person_id", "contacts", "Person"), ("organization_id", "accounts", "Organization")):
            if name not in body:
                continue
            value = body[name]
            if value is not None:
                if not _int(value):
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be an integer")
                if self.emulator.resource(target).store.get_active(value) is None:
                    raise Invalid(f"Validation failed: {name}: {kind} with id {value} not found")
            changes[name] = value
        if "value" in body:
            changes["value"] = self._value(body["value"])
        if "expected_close_date" in body:
            date = body["expected_close_date"]
            if date is not None and (not isinstance(date, str) or not _DATE.match(date)):
                raise Invalid("Validation failed: expected_close_date: must be a date (YYYY-MM-DD)")
            changes["expected_close_date"] = date
        if "label_ids" in body:
            labels = body["label_ids"]
            if not isinstance(labels, list) or not all(isinstance(x, str) and x in LEAD_LABELS.values() for x in labels):
                raise Invalid("Validation failed: label_ids: Parameter 'label_ids' must be an array of lead label ids")
            changes["label_ids"] = list(labels)
        if "visible_to" in body:
            if not member(body["visible_to"], VISIBLE_TO):
                raise Invalid("Validation failed: visible_to: Parameter 'visible_to' must be one of '1', '3', '5', '7'")
            changes["visible_to"] = body["visible_to"]
        for name in ("was_seen", "is_archived"):
            if name in body:
                if not isinstance(body[name], bool):
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be a boolean")
                changes[name] = body[name]
        for name in ("origin_id", "channel_id"):
            if name in body:
                if body[name] is not None and not isinstance(body[name], str):
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be a string")
                changes[name] = body[name]
        if "channel" in body:
            if body["channel"] is not None and not _int(body["channel"]):
                raise Invalid("Validation failed: channel: Parameter 'channel' must be an integer")
            changes["channel"] = body["channel"]
        for key in custom_keys & set(body):
            value = body[key]
            problem = custom_value_problem(deal_fields[key], value) if value not in (None, "") else None
            if problem:
                raise Invalid(f"Validation failed: {key}: {problem}")
            changes[key] = None if value == "" else value
        merged = {**record, **changes}
        if merged["person_id"] is None and merged["organization_id"] is None:
            raise Invalid(NO_LINK_MESSAGE)
        record.update(changes)

    @staticmethod
    def _value(value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
            raise Invalid("Validation failed: value: Parameter 'value' must be an object with amount and currency")
        amount, currency = value["amount"], value["currency"]
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise Invalid("Validation failed: value.amount: must be a number")
        if not member(currency, CURRENCIES):
            raise Invalid(f"Validation failed: value.currency: Unknown currency '{currency}'")
        return {"amount": amount, "currency": currency}

    def _listed(self, request: Request, archived: bool, headers: dict[str, str]) -> Response:
        params = request.query_params
        start, limit = v1_page(request)
        if params.get("filter_id") is not None:
            raise Invalid("filter_id: saved filters are not emulated")  # [emulator limit]
        status = params.get("archived_status")
        if status is not None and status not in ("archived", "not_archived", "all"):
            raise Invalid("Validation failed: archived_status: must be one of archived, not_archived, all")
        records = [r for r in self.store.live() if r["is_archived"] == archived]
        for name in ("owner_id", "person_id", "organization_id"):
            raw = params.get(name)
            if raw is None:
                continue
            try:
                wanted = int(raw)
            except ValueError:
                raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be an integer") from None
            records = [r for r in records if r[name] == wanted]
        if not archived and (raw := params.get("updated_since")) is not None:
            if normalise_time(raw, self.emulator.switch["fractional_seconds"]) is None:
                raise Invalid(f"updated_since: '{raw}' is not a valid datetime")  # [unverified wording]
            since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            records = [r for r in records if datetime.fromisoformat(r["update_time"].replace("Z", "+00:00")) >= since]
        if (sort := params.get("sort")):
            keys = []
            for part in sort.split(","):
                match = _SORT_PART.match(part)
                if not match or match.group(1) not in SORTABLE:
                    raise Invalid(f"Validation failed: sort: Invalid sort field '{part.strip()}'")
                keys.append((match.group(1), (match.group(2) or "ASC").upper() == "DESC"))
            # stable sorts, last key first; text compares without case [unverified: Pipedrive's collation]
            for field, descending in reversed(keys):
                records.sort(key=lambda r, f=field: (r[f] is None, r[f].lower() if isinstance(r[f], str)
                                                     else r[f] if r[f] is not None else 0), reverse=descending)
        body = v1_list_body(records, start, limit)
        body["data"] = [self.render(r) for r in body["data"]] if body["data"] else None
        return json_response(body, headers=headers)

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            if request.method == "GET":
                return self._listed(request, archived=False, headers=headers)
            body = await read_body(request)
            record = self._blank(v1_lead_time(datetime.now(UTC)))
            self._apply(record, body, creating=True)
            record["id"] = self.store.new_id()
            self.store.add(record["id"], record)
            return json_response({"success": True, "data": self.render(record)}, status=201, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)

    async def list_archived(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            return self._listed(request, archived=True, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)

    async def one(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        record = self.store.get_active(request.path_params["id"])
        if record is None:
            return error(404, NOT_FOUND_MESSAGE, headers)
        try:
            if request.method == "GET":
                return json_response({"success": True, "data": self.render(record)}, headers=headers)
            if request.method == "DELETE":
                self.store.delete(record["id"])
                return json_response({"success": True, "data": {"id": record["id"]}}, headers=headers)
            body = await read_body(request)
            self._apply(record, body, creating=False)
            record["update_time"] = v1_lead_time(datetime.now(UTC))
            return json_response({"success": True, "data": self.render(record)}, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)
