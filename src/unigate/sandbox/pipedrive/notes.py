"""Pipedrive notes (API v1 only): the emulator's `notes` resource.

Routes are Pipedrive's (https://developers.pipedrive.com/docs/api/v1/Notes;
https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v1/api/notes-api.ts):

- `GET    /v1/notes`       list (`start` from 0, `limit` default 100 [unverified maximum: 500]; `org_id`,
  `person_id`, `deal_id`, `lead_id`, `user_id` filters; `sort` "field ASC|DESC"; `updated_since`: "only notes
  with an update_time later than or equal to this time are returned. In RFC3339 format, e.g.
  2025-01-01T10:20:00Z" (getNotes in client-nodejs src/versions/v1/api/notes-api.ts), so inclusive (>=); there is
  no `updated_until`. Whether v1 takes fractions of a second there is unverified: the `fractional_seconds`
  switch (common.py) decides, as on the v2 lists)
- `GET    /v1/notes/{id}`  read
- `POST   /v1/notes`       create, 200 (not 201: client-php's NotesApi `addNoteWithHttpInfo`)
- `PUT    /v1/notes/{id}`  update (the fields given)
- `DELETE /v1/notes/{id}`  delete: 200 `{"success": true, "data": true}`

v1 answers: `{"success", "data", "additional_data": {"pagination": {"start", "limit",
"more_items_in_collection", "next_start"}}}`; times are `YYYY-MM-DD HH:MM:SS` in UTC without a zone
(client-php docs/versions/v1/Model/BaseNote.md). The note (BaseNote): `id`, `active_flag`, `content`
(HTML, as written), `user_id` (the author), `org_id`, `person_id`, `deal_id`, `lead_id` (a UUID),
`project_id`, `add_time`, `update_time`, `pinned_to_*_flag`, and the names of what it is on
(`organization {name}`, `person {name}`, `deal {title}`, `user {...}`).
What a write must respect (AddNoteRequest): `content` is required, and at least one of `deal_id`,
`person_id`, `org_id`, `lead_id`, `project_id` must name an existing record [verified rule; the
error wording is unverified]. A note links to at most one record of each kind.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.pipedrive.common import Invalid, error, normalise_time, read_body, unauthorized

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

NOTES_PATH = "/v1/notes"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500  # [unverified] the v1 maximum page size
NOT_FOUND_MESSAGE = "Note not found"  # [unverified wording]
LINKS = ("deal_id", "person_id", "org_id", "lead_id", "project_id")
# [unverified wording] the 400 for a note on nothing
NO_LINK_MESSAGE = "The note must be attached to a deal, person, organization, lead or project."
_SORTABLE = ("id", "user_id", "deal_id", "person_id", "org_id", "content", "add_time", "update_time")
_SORT = re.compile(r"^\s*(\w+)(?:\s+(ASC|DESC))?\s*$", re.IGNORECASE)
_USERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 6, 5, 9, 15, 0, tzinfo=UTC)
_BODIES = ("<p>Called about the renewal; <b>send the quote</b> by Friday.</p>",
           "Asked for a demo of the reporting module.",
           "<ul><li>Budget approved</li><li>Legal review pending</li></ul>",
           "Left a voicemail, will try again next week.",
           "<p>Prefers email &amp; short meetings.</p>")


def v1_time(moment: datetime) -> str:
    """API v1's timestamp format: `YYYY-MM-DD HH:MM:SS`, UTC."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def v1_page(request: Request) -> tuple[int, int]:
    """`start` and `limit` of a v1 list, or Invalid."""
    params = request.query_params
    try:
        start = int(params.get("start", "0"))
        limit = int(params.get("limit", str(DEFAULT_LIMIT)))
    except ValueError:
        raise Invalid("start and limit must be integers") from None  # [unverified wording]
    if start < 0 or not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")  # [unverified wording]
    return start, limit


def v1_list_body(records: list[dict[str, Any]], start: int, limit: int) -> dict[str, Any]:
    page = records[start:start + limit]
    more = start + limit < len(records)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return {"success": True, "data": page or None, "additional_data": {"pagination": pagination}}


class Notes(Resource):
    name: ClassVar[str] = "notes"
    emulator: PipedriveEmulator

    def __init__(self, emulator: PipedriveEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=1, number_of=int)

    def seed(self, count: int) -> None:
        """Notes on the seeded deals (with their organization and person), and some on an organization
        or a person alone."""
        self.store.clear()
        deals = list(self.emulator.resource("opportunities").store.live())
        persons = list(self.emulator.resource("contacts").store.live())
        for index in range(count):
            added = _SEED_START + timedelta(hours=9 * index, seconds=index % 60)
            record = self._blank(v1_time(added))
            record["content"] = _BODIES[index % len(_BODIES)]
            record["user_id"] = _USERS[index % len(_USERS)]
            record["update_time"] = v1_time(added + timedelta(days=index % 9, minutes=index % 40))
            if index % 3 != 2 and deals:
                deal = deals[index % len(deals)]
                record.update(deal_id=deal["id"], org_id=deal["org_id"], person_id=deal["person_id"])
            elif persons:
                person = persons[index % len(persons)]
                record.update(person_id=person["id"], org_id=person["org_id"] if index % 2 else None)
            if index % 7 == 6:  # the lead allocated as number `index` (leads.py `lead_id`; seeded before)
                record["lead_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pipedrive-lead-{index}"))
            record["id"] = self.store.new_id()
            self.store.add(record["id"], record)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [Route(NOTES_PATH, self.list_or_create, methods=["GET", "POST"]),
                Route(NOTES_PATH + "/{id}", self.one, methods=["GET", "PUT", "DELETE"])]

    @staticmethod
    def _blank(stamp: str) -> dict[str, Any]:
        return {"id": 0, "active_flag": True, "content": "", "user_id": _USERS[0], "last_update_user_id": None,
                "deal_id": None, "person_id": None, "org_id": None, "lead_id": None, "project_id": None,
                "task_id": None, "add_time": stamp, "update_time": stamp, "pinned_to_deal_flag": False,
                "pinned_to_person_flag": False, "pinned_to_organization_flag": False,
                "pinned_to_lead_flag": False, "pinned_to_project_flag": False}

    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        """The note with the names of what it is on, as v1 answers it."""
        out = dict(record)
        deal = self.emulator.resource("opportunities").store.get(record["deal_id"]) if record["deal_id"] else None
        org = self.emulator.resource("accounts").store.get(record["org_id"]) if record["org_id"] else None
        person = self.emulator.resource("contacts").store.get(record["person_id"]) if record["person_id"] else None
        out["deal"] = {"title": deal["title"]} if deal else None
        out["organization"] = {"name": org["name"]} if org else None
        out["person"] = {"name": person["name"]} if person else None
        out["user"] = {"email": f"user{record['user_id']}@example.com", "name": f"User {record['user_id']}",
                       "icon_url": None, "is_you": record["user_id"] == _USERS[0]}
        return out

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        changes: dict[str, Any] = {}
        if creating or "content" in body:
            content = body.get("content")
            if not isinstance(content, str) or not content.strip():
                raise Invalid("Content is required")  # [unverified wording]
            changes["content"] = content
        targets = {"deal_id": "opportunities", "person_id": "contacts", "org_id": "accounts"}
        for name in LINKS:
            if name not in body:
                continue
            value = body[name]
            if value is None:
                changes[name] = None
                continue
            if name == "lead_id":
                if not isinstance(value, str):
                    raise Invalid("lead_id must be a UUID string")  # [unverified wording]
                if self.emulator.resource("leads").store.get_active(value) is None:
                    raise Invalid(f"lead_id: no such record {value}")  # [unverified wording]
                changes[name] = value
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise Invalid(f"{name} must be an integer")  # [unverified wording]
            target = targets.get(name)
            if target and self.emulator.resource(target).store.get_active(value) is None:
                raise Invalid(f"{name}: no such record {value}")  # [unverified wording]
            changes[name] = value
        if "user_id" in body:
            if isinstance(body["user_id"], bool) or not isinstance(body["user_id"], int):
                raise Invalid("user_id must be an integer")
            changes["user_id"] = body["user_id"]
        merged = {**record, **changes}
        if not any(merged[name] for name in LINKS):
            raise Invalid(NO_LINK_MESSAGE)
        record.update(changes)

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            if request.method == "POST":
                body = await read_body(request)
                record = self._blank(v1_time(datetime.now(UTC)))
                self._apply(record, body, creating=True)
                record["id"] = self.store.new_id()
                self.store.add(record["id"], record)
                return json_response({"success": True, "data": self.render(record)}, headers=headers)
            start, limit = v1_page(request)
            records = list(self.store.live())
            params = request.query_params
            for name in ("org_id", "person_id", "deal_id", "user_id", "lead_id"):
                raw = params.get(name)
                if raw is None:
                    continue
                wanted: Any = raw
                if name != "lead_id":
                    try:
                        wanted = int(raw)
                    except ValueError:
                        raise Invalid(f"{name} must be an integer") from None
                records = [r for r in records if r[name] == wanted]
            if (raw := params.get("updated_since")) is not None:
                moment = normalise_time(raw, self.emulator.switch["fractional_seconds"])
                if moment is None:
                    raise Invalid(f"updated_since: '{raw}' is not a valid datetime")  # [unverified wording]
                since = v1_time(datetime.fromisoformat(moment.replace("Z", "+00:00")))
                records = [r for r in records if r["update_time"] >= since]
            if (sort := params.get("sort")):
                match = _SORT.match(sort)
                if not match or match.group(1) not in _SORTABLE:
                    raise Invalid(f"Invalid sort field: {sort}")  # [unverified wording]
                field, direction = match.group(1), (match.group(2) or "ASC").upper()
                records.sort(key=lambda r: (r[field] is None, r[field] or 0), reverse=direction == "DESC")
            body = v1_list_body(records, start, limit)
            body["data"] = [self.render(r) for r in body["data"]] if body["data"] else None
            return json_response(body, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)  # v1 errors carry no `code`

    async def one(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            try:
                note_id = int(request.path_params["id"])
            except ValueError:
                raise Invalid("id must be an integer") from None
            record = self.store.get_active(note_id)
            if record is None:
                return error(404, NOT_FOUND_MESSAGE, headers)
            if request.method == "GET":
                return json_response({"success": True, "data": self.render(record)}, headers=headers)
            if request.method == "DELETE":
                self.store.delete(note_id)
                return json_response({"success": True, "data": True}, headers=headers)
            body = await read_body(request)
            self._apply(record, body, creating=False)
            record["update_time"] = v1_time(datetime.now(UTC))
            return json_response({"success": True, "data": self.render(record)}, headers=headers)
        except Invalid as exc:
            return error(400, str(exc), headers)  # v1 errors carry no `code`
