"""Pipedrive API v2 activities: the emulator's `engagements` resource, and `tasks`, the view of its activities
of type `task` (one collection in Pipedrive, two unified resources).

Routes are Pipedrive's (https://developers.pipedrive.com/docs/api/v1/Activities, API v2 tab;
https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/activities-api.ts):

- `GET    /api/v2/activities`       list of activities not deleted (`limit` 1..500, default 100; `cursor`;
  `owner_id`, `deal_id`, `lead_id`, `person_id`, `org_id`, `done`, `ids`, `updated_since`, `updated_until`,
  `sort_by` id/update_time/add_time/due_date, `sort_direction`). There is no `type` filter. `person_id`
  matches the primary participant only (getActivities' description).
- `GET    /api/v2/activities/{id}`  read
- `POST   /api/v2/activities`       create, 200
- `PATCH  /api/v2/activities/{id}`  update
- `DELETE /api/v2/activities/{id}`  soft delete: 200 `{"success":true,"data":{"id":N}}`

The activity (client-php docs/versions/v2/Model/ActivityItem.md; AddActivityRequest in client-nodejs):
`subject`, `type` (an activity type's `key_string`, https://developers.pipedrive.com/docs/api/v1/ActivityTypes),
`owner_id`, `deal_id`, `lead_id` (UUID), `person_id`, `org_id`, `project_id`, `due_date` (`YYYY-MM-DD`),
`due_time` (`HH:MM`, UTC), `duration` (`HH:MM`), `busy`, `done`, `marked_as_done_time`, `location`,
`participants` (`[{person_id, primary}]`), `public_description`, `priority`, `note` (HTML, as written),
`add_time`, `update_time`, `creator_user_id`, `is_deleted`.
What a write must respect: `type` names an active activity type [verified: "linked via
ActivityType.key_string = Activity.type"; the error wording is unverified]; dates and times in those
formats; booleans are booleans (v2 is strict: https://pipedrive.readme.io/docs/pipedrive-api-v2-migration-guide);
linked persons, organizations and deals exist. A create without a type gets the first active type
("task" in a default company) [unverified]. Participants and `person_id` agree: the primary participant
is the `person_id` (a write naming only `person_id` makes it the sole participant) [unverified detail].
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection, encode_cursor
from unigate.sandbox.pipedrive.leads import lead_id
from unigate.sandbox.pipedrive.common import (
    Invalid,
    csv,
    decode_position,
    error,
    invalid,
    normalise_time,
    read_body,
    rfc3339,
    unauthorized,
)

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

ACTIVITIES_PATH = "/api/v2/activities"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
NOT_FOUND_MESSAGE = "Activity not found"  # [unverified wording]
WRITABLE = frozenset({"subject", "type", "owner_id", "deal_id", "lead_id", "person_id", "org_id", "project_id",
                      "due_date", "due_time", "duration", "busy", "done", "location", "participants", "attendees",
                      "public_description", "priority", "note"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DURATION = re.compile(r"^\d{1,3}:[0-5]\d$")
_OWNERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 7, 3, 8, 0, 0, tzinfo=UTC)
# Seeded activities: (type, subject); every other one a task, between calls, meetings, emails and the
# other default types.
_KINDS = (("call", "Discovery call"), ("task", "Send the proposal"), ("meeting", "Quarterly review"),
          ("task", "Prepare the contract"), ("email", "Follow-up email"), ("task", "Update the forecast"),
          ("deadline", "Offer expires"), ("task", "Book the venue"), ("call", "Check-in call"),
          ("task", "Renew the NDA"), ("lunch", "Lunch with the team"), ("task", "Review the invoice"),
          ("meeting", "Onsite demo"), ("task", "Call back the CFO"))


class Activities(Resource):
    name: ClassVar[str] = "engagements"
    emulator: PipedriveEmulator

    def __init__(self, emulator: PipedriveEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=1, number_of=int)

    def seed(self, count: int) -> None:
        """Activities of every default type on the seeded deals (with their organization and person),
        some on a person alone; timed and all-day ones, done and not."""
        self.store.clear()
        deals = list(self.emulator.resource("opportunities").store.live())
        persons = list(self.emulator.resource("contacts").store.live())
        for index in range(count):
            kind, subject = _KINDS[index % len(_KINDS)]
            added = _SEED_START + timedelta(hours=11 * index, seconds=index % 60)
            due = added + timedelta(days=3 + index % 20)
            record = self._blank(rfc3339(added))
            done = index % 4 == 3
            record.update(subject=f"{subject} {index + 1}", type=kind, owner_id=_OWNERS[index % len(_OWNERS)],
                          due_date=due.strftime("%Y-%m-%d"),
                          due_time=None if index % 5 == 4 else f"{9 + index % 8:02d}:{(index * 15) % 60:02d}",
                          duration="00:30" if kind in ("call", "meeting") else None,
                          done=done, marked_as_done_time=rfc3339(due) if done else None,
                          note=f"<p>Seeded {kind} <b>{index + 1}</b></p>" if index % 3 else None,
                          update_time=rfc3339(added + timedelta(days=1 + index % 6)))
            if record["due_time"] is None:
                record["duration"] = None
            if index % 4 != 1 and deals:
                deal = deals[index % len(deals)]
                record.update(deal_id=deal["id"], org_id=deal["org_id"], person_id=deal["person_id"])
            elif persons:
                person = persons[index % len(persons)]
                record.update(person_id=person["id"], org_id=person["org_id"])
            if index % 7 == 5:  # the lead allocated as number `index` (leads.py `lead_id`; seeded before)
                record["lead_id"] = lead_id(index)
            if index % 9 == 8:  # projects are not emulated
                record["project_id"] = 1 + index % 3
            if record["person_id"] is not None:
                record["participants"] = [{"person_id": record["person_id"], "primary": True}]
            record["id"] = self.store.new_id()
            self.store.add(record["id"], record)

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [Route(ACTIVITIES_PATH, self.list_or_create, methods=["GET", "POST"]),
                Route(ACTIVITIES_PATH + "/{id}", self.one, methods=["GET", "PATCH", "DELETE"])]

    @staticmethod
    def _blank(stamp: str) -> dict[str, Any]:
        return {"id": 0, "subject": None, "type": None, "owner_id": _OWNERS[0], "creator_user_id": _OWNERS[0],
                "is_deleted": False, "add_time": stamp, "update_time": stamp, "deal_id": None, "lead_id": None,
                "person_id": None, "org_id": None, "project_id": None, "due_date": None, "due_time": None,
                "duration": None, "busy": False, "done": False, "marked_as_done_time": None, "location": None,
                "participants": [], "conference_meeting_client": None, "conference_meeting_url": None,
                "conference_meeting_id": None, "public_description": None, "priority": None, "note": None}

    @staticmethod
    def render(record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        out["participants"] = [dict(p) for p in record["participants"]]
        return out

    # -- writes ------------------------------------------------------------------------------------
    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Validate the whole body, then write it (nothing changes on error)."""
        unknown = sorted(set(body) - WRITABLE)
        if unknown and self.emulator.switch["unknown_fields"] == "reject":
            raise Invalid(f"Validation failed: {unknown[0]}: Unknown parameter '{unknown[0]}'")
        changes: dict[str, Any] = {}
        for name in ("subject", "note", "public_description"):
            if name in body:
                if body[name] is not None and not isinstance(body[name], str):
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be a string")
                changes[name] = body[name]
        types = self.emulator.resource("engagement_types")
        if "type" in body or creating:
            kind = body.get("type")
            if kind is None and creating:
                kind = types.first_active_key()
            if not isinstance(kind, str) or not types.active_key(kind):
                raise Invalid(f"Validation failed: type: Activity type '{kind}' does not exist")  # [unverified]
            changes["type"] = kind
        targets = {"person_id": "contacts", "org_id": "accounts", "deal_id": "opportunities"}
        for name in ("owner_id", "person_id", "org_id", "deal_id", "project_id", "priority"):
            if name not in body:
                continue
            value = body[name]
            if value is None and name != "owner_id":
                changes[name] = None
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be an integer")
            target = targets.get(name)
            if target and self.emulator.resource(target).store.get_active(value) is None:
                raise Invalid(f"Validation failed: {name}: Entity with id {value} not found")  # [unverified]
            changes[name] = value
        if "lead_id" in body:
            if body["lead_id"] is not None and not isinstance(body["lead_id"], str):
                raise Invalid("Validation failed: lead_id: Parameter 'lead_id' must be a string")
            if body["lead_id"] is not None and self.emulator.resource("leads").store.get_active(body["lead_id"]) is None:
                raise Invalid(f"Validation failed: lead_id: Lead with id {body['lead_id']} not found")  # [unverified]
            changes["lead_id"] = body["lead_id"]
        for name, pattern, what in (("due_date", _DATE, "YYYY-MM-DD"), ("due_time", _HHMM, "HH:MM"),
                                    ("duration", _DURATION, "HH:MM")):
            if name in body:
                value = body[name]
                if value is not None and (not isinstance(value, str) or not pattern.match(value)):
                    raise Invalid(f"Validation failed: {name}: must be in the format {what}")
                changes[name] = value
        for name in ("busy", "done"):
            if name in body:
                if not isinstance(body[name], bool):
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be a boolean")
                changes[name] = body[name]
        if "location" in body:
            if body["location"] is not None and not isinstance(body["location"], dict):
                raise Invalid("Validation failed: location: Parameter 'location' must be an object")
            changes["location"] = body["location"]
        if "participants" in body:
            changes["participants"] = self._participants(body["participants"])
        # The primary participant is the activity's person.
        if "participants" in changes:
            primary = next((p["person_id"] for p in changes["participants"] if p["primary"]), None)
            if "person_id" in body and body["person_id"] != primary and changes["participants"]:
                raise Invalid("Validation failed: person_id: must be the primary participant")  # [unverified]
            changes["person_id"] = primary
        elif "person_id" in changes:
            person = changes["person_id"]
            changes["participants"] = [{"person_id": person, "primary": True}] if person is not None else []
        if "done" in changes and changes["done"] != record["done"]:
            changes["marked_as_done_time"] = rfc3339(datetime.now(UTC)) if changes["done"] else None
        record.update(changes)

    def _participants(self, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise Invalid("Validation failed: participants: Parameter 'participants' must be an array")
        out = []
        for item in value:
            person = item.get("person_id") if isinstance(item, dict) else None
            primary = item.get("primary", False) if isinstance(item, dict) else None
            if isinstance(person, bool) or not isinstance(person, int) or not isinstance(primary, bool):
                raise Invalid("Validation failed: participants: each item needs an integer person_id and a "
                              "boolean primary")
            if self.emulator.resource("contacts").store.get_active(person) is None:
                raise Invalid(f"Validation failed: participants: Person with id {person} not found")  # [unverified]
            out.append({"person_id": person, "primary": primary})
        if out and sum(p["primary"] for p in out) != 1:
            raise Invalid("Validation failed: participants: exactly one participant must be primary")  # [unverified]
        return out

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            if request.method == "POST":
                body = await read_body(request)
                record = self._blank(rfc3339(datetime.now(UTC)))
                self._apply(record, body, creating=True)
                record["id"] = self.store.new_id()
                self.store.add(record["id"], record)
                return json_response({"success": True, "data": self.render(record)}, headers=headers)
            return self._list(request, headers)
        except Invalid as exc:
            return invalid(str(exc), headers)

    def _list(self, request: Request, headers: dict[str, str]) -> Response:
        params = request.query_params
        raw_limit = params.get("limit")
        try:
            limit = int(raw_limit) if raw_limit is not None else DEFAULT_LIMIT
        except ValueError:
            limit = -1
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid(f"Validation failed: limit: Parameter 'limit' must be an integer between 1 and {MAX_LIMIT} "
                          f"(got '{raw_limit}')")
        sort_by = params.get("sort_by", "id")
        if sort_by not in ("id", "update_time", "add_time", "due_date"):
            raise Invalid("Validation failed: sort_by: Parameter 'sort_by' must be one of id, update_time, add_time, "
                          f"due_date (got '{sort_by}')")
        direction = params.get("sort_direction", "asc")
        if direction not in ("asc", "desc"):
            raise Invalid(f"Validation failed: sort_direction: must be one of asc, desc (got '{direction}')")
        records = list(self.store.live())
        for name in ("owner_id", "deal_id", "person_id", "org_id"):
            if (raw := params.get(name)) is not None:
                try:
                    wanted = int(raw)
                except ValueError:
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be an integer "
                                  f"(got '{raw}')") from None
                records = [r for r in records if r[name] == wanted]
        if (lead := params.get("lead_id")) is not None:
            records = [r for r in records if r["lead_id"] == lead]
        if (done := params.get("done")) is not None:
            if done not in ("true", "false"):
                raise Invalid(f"Validation failed: done: Parameter 'done' must be a boolean (got '{done}')")
            records = [r for r in records if r["done"] == (done == "true")]
        if (wanted_ids := csv(params, "ids")) is not None:
            try:
                ids = {int(i) for i in wanted_ids}
            except ValueError:
                raise Invalid("Validation failed: ids: Parameter 'ids' must be a list of integers") from None
            records = [r for r in records if r["id"] in ids]
        for name, keep in (("updated_since", lambda r, t: r["update_time"] >= t),
                           ("updated_until", lambda r, t: r["update_time"] < t)):
            if (raw := params.get(name)) is not None:
                moment = normalise_time(raw, self.emulator.switch["fractional_seconds"])
                if moment is None:
                    raise Invalid(f"Validation failed: {name}: '{raw}' is not a valid datetime")
                records = [r for r in records if keep(r, moment)]
        if sort_by != "id":
            records.sort(key=lambda r: (r[sort_by] or "", r["id"]))
        if direction == "desc":
            records.reverse()
        # The cursor is the position after the last record handed out (opaque to callers).
        start = 0
        if (cursor := params.get("cursor")):
            start = decode_position(cursor)
            if not isinstance(start, int) or start < 0:
                raise Invalid("Validation failed: cursor: Invalid cursor")
        page = records[start:start + limit]
        more = start + limit < len(records)
        body = {"success": True, "data": [self.render(r) for r in page],
                "additional_data": {"next_cursor": encode_cursor(start + limit) if more else None}}
        return json_response(body, headers=headers)

    async def one(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            raw_id = request.path_params["id"]
            try:
                activity_id = int(raw_id)
            except ValueError:
                raise Invalid(f"Validation failed: id: Parameter 'id' must be an integer (got '{raw_id}')") from None
            record = self.store.get_active(activity_id)
            if record is None:
                return error(404, NOT_FOUND_MESSAGE, headers)
            if request.method == "GET":
                return json_response({"success": True, "data": self.render(record)}, headers=headers)
            if request.method == "DELETE":
                record["is_deleted"] = True
                record["update_time"] = rfc3339(datetime.now(UTC))
                self.store.archive(activity_id)
                return json_response({"success": True, "data": {"id": activity_id}}, headers=headers)
            body = await read_body(request)
            self._apply(record, body, creating=False)
            record["update_time"] = rfc3339(datetime.now(UTC))
            return json_response({"success": True, "data": self.render(record)}, headers=headers)
        except Invalid as exc:
            return invalid(str(exc), headers)


class Tasks(Resource):
    """The activities of type `task` (crm/tasks), for the control API: no routes or records of its own."""

    name: ClassVar[str] = "tasks"
    emulator: PipedriveEmulator

    def routes(self) -> list[Route]:
        return []

    def seed(self, count: int) -> None:
        """Seeded with the activities."""

    def snapshot(self) -> list[dict[str, Any]]:
        return [r for r in self.emulator.resource("engagements").store.values() if r["type"] == "task"]
