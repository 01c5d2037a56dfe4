"""Nutshell activities (calls, meetings, ...) and activity types: `/rest/activities`, `/rest/activitytypes`.

Sources: the vendor's OpenAPI (https://app.nutshell.com/swagger.json, /activities and /activitytypes;
reference pages under https://developers.nutshell.com/reference):
- `GET /activities` takes `q`, `limit`, `filter[participant][]`, `filter[status][]` (scheduled, logged,
  cancelled), `filter[activityType]`, `filter[flagged]`, `filter[dateMin]`/`filter[dateMax]`; the answer is
  `{meta, links, activities: [...]}`. Only `limit` is documented for paging: the emulator also takes
  `page[limit]` and a 0-based `page[page]` as every other Nutshell list does, with `meta.total`. [unverified]
- No DELETE in REST: the older JSON-RPC API (`POST /api/v1/json`, same Basic credentials,
  https://developers-rpc.nutshell.com/detail/class_core.html) deletes one: `deleteActivity {activityId, rev}` with
  the activity's current `rev` (read with `getActivity {activityId}`), `result: true`; a stale rev is
  `error {code 409, "rev key is out-of-date"}` (https://www.nutshell.com/api/revs-etags.html), an unknown id
  `error {code 404}` [unverified], both with HTTP 200. The activity is then soft-deleted (`deletedTime`): REST
  lists leave it out and its GET answers it with `deletedTime`. [unverified]
- `POST /activities` takes `{"activities": [{name, description (the agenda), note (an internal note),
  location, activityType "1-activityTypes", startTime, endTime (Unix seconds), transcription, isFlagged,
  isLogged, isAllDay, links: {participants: ["3-contacts", "1-users", ...]}}]}` and answers **201**;
  `PUT /activities/{id}` takes the same body and answers **200**. There is no DELETE in REST (the JSON-RPC
  API's `deleteActivity`, below).
- `GET /activitytypes` answers `{meta, activityTypes: [{id, name, modifiedTime, isBenchmarkable}]}`, with no
  single-type path and no writes. Phone calls, meetings and virtual meetings are built in; others are defined in
  the company's settings (https://support.nutshell.com/en/articles/8428881-a-short-nutshell-dictionary).

The read shape follows a live activity recorded in amp-labs/connectors (`providers/nutshell/test/read/events`):
`agenda` (written as `description`), `createdTime`, `modifiedTime`, `startTime`, `endTime`, `loggedTime`,
`deletedTime`, `isAllDay`, `isEditable`, `isCancelled`, `isFlagged`, `isLogged`, `isOverdue`, `links {accounts,
activityType, contacts, creator, leads, logger, logNote, users}`: the participants written as one list come
back split by type. The internal `note` becomes a note on the activity (`links.logNote`, "7-notes").
Leads as participants, and `filter[participant][]` matching any participant list, are read from that shape.
[unverified]
What `PUT` does with a field it is not sent: switch `activity_put` — "replace" (default: the body is the whole
activity, as "the same body as create" reads; an absent field is cleared or defaulted) or "merge" (absent fields
are kept). [unverified]
"""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, loads_json, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.nutshell.common import (
    HOST, SEED_EPOCH, UNAUTHORIZED_BODY, UNAUTHORIZED_HEADERS, USERS, NutshellError, formatted_number, json_body,
)

CREATE_STATUS = 201          # swagger: POST /activities -> 201
UPDATE_STATUS = 200          # swagger: PUT /activities/{id} -> 200
DEFAULT_PAGE_LIMIT = 50      # [unverified]
MAX_PAGE_LIMIT = 10_000
ACTIVITY_PUT = ("replace", "merge")
# The built-in types first (the support dictionary's phone calls, meetings and virtual meetings), then an
# instance's own.
TYPE_NAMES = ["Phone call", "Meeting", "Virtual meeting", "Email", "Demo", "Site visit", "Lunch", "Trade show",
              "Webinar", "Discovery call", "Onboarding session", "Quarterly review", "Training", "Contract review",
              "Check-in call", "Conference"]
_FIELDS = ("name", "description", "note", "location", "activityType", "startTime", "endTime", "transcription",
           "isFlagged", "isLogged", "isAllDay")
_PARTICIPANT_KINDS = {"accounts": "accounts", "contacts": "contacts", "leads": "opportunities", "users": None}
_ID = re.compile(r"^(\d+)-activities$")
_SUBJECTS = ["Intro call", "Pricing review", "Kick-off meeting", "Follow-up call", "Contract walkthrough",
             "Quarterly check-in", "Demo of the reporting module"]


def _activity_id(number: int) -> str:
    return f"{number}-activities"


def _activity_number(activity_id: str) -> int:
    return int(activity_id.split("-", 1)[0])


class ActivityTypes(Resource):
    """Activity types by id (`self.records`); read-only in REST."""

    name = "engagement_types"
    default_seed_count: ClassVar[int | None] = len(TYPE_NAMES)

    def routes(self) -> list[Route]:
        return [Route("/rest/activitytypes", self.emulator._guard(self.list_types), methods=["GET"])]

    def seed(self, count: int) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        # the three built-in types are always there; an instance keeps a handful, so large resets stay small
        for i in range(min(max(count, 3), 100) if count else 0):  # an empty data space holds none
            name = TYPE_NAMES[i] if i < len(TYPE_NAMES) else f"Custom activity {i + 1}"
            tid = f"{i + 1}-activityTypes"
            self.records[tid] = {"id": tid, "type": "activityTypes", "name": name,
                                 "modifiedTime": int(SEED_EPOCH.timestamp()) - 86400 * (40 - i % 40),
                                 "isBenchmarkable": i < 3}

    def snapshot(self) -> Any:
        return list(self.records.values())

    async def list_types(self, request: Request) -> Response:
        return json_response({"meta": self.emulator._meta(), "activityTypes": list(self.records.values())})


class Activities(Resource):
    """Nutshell activities in `self.store` (`N-activities` ids)."""

    name = "engagements"
    default_seed_count: ClassVar[int | None] = 30

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [
            Route("/rest/activities", g(self.list_activities), methods=["GET"]),
            Route("/rest/activities", g(self.create_activity), methods=["POST"]),
            Route("/rest/activities/{id}", g(self.get_activity), methods=["GET"]),
            Route("/rest/activities/{id}", g(self.put_activity), methods=["PUT"]),
            Route("/api/v1/json", self.json_rpc, methods=["POST"]),
        ]

    def snapshot(self) -> Any:
        return list(self.store.values())

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Calls and meetings (the first a logged call), each with a user, most with a company, its people
        and one of its leads; every seventh cancelled, later ones still scheduled."""
        self.store = Collection(make_id=_activity_id, number_of=_activity_number)
        self.revs: dict[str, int] = {}          # each activity's JSON-RPC rev, bumped by every write
        accounts = list(self.emulator.resource("accounts").store.live())
        leads = list(self.emulator.resource("opportunities").store.live())
        types = list(self.emulator.resource("engagement_types").records)
        first_lead: dict[str, str] = {}         # account id -> its first lead
        for lead in leads:
            for account_id in lead["links"]["accounts"]:
                first_lead.setdefault(account_id, lead["id"])
        for i in range(count):
            start = int(SEED_EPOCH.timestamp()) + 86400 * i + 3600 * (i % 5)
            activity = self._new(int(SEED_EPOCH.timestamp()) + 3600 * i)
            activity.update({
                "name": f"{_SUBJECTS[i % len(_SUBJECTS)]} {i + 1}",
                "agenda": f"Agenda item {i + 1}: next steps" if i % 3 else "",
                "startTime": start, "endTime": start + 60 * (15 + 15 * (i % 4)),
                "isLogged": i % 7 != 6 and i < count - 4, "isCancelled": i % 7 == 6,
            })
            if activity["isLogged"]:
                activity["loggedTime"] = activity["endTime"]
                if i % 3 == 0:
                    activity["links"]["logNote"] = self.emulator.resource("notes").add_log_note(
                        "Went well; sending the proposal.", activity["id"], activity["endTime"])
            links = activity["links"]
            links["activityType"] = types[[0, 1, 2, 0][i % 4]] if types else None
            links["users"] = [USERS[i % len(USERS)][0]]
            if accounts and i % 5 != 4:
                account = accounts[i % len(accounts)]
                links["accounts"] = [account["id"]]
                links["contacts"] = list(account["links"]["contacts"][:2])
                links["leads"] = [first_lead[account["id"]]] if account["id"] in first_lead else []
            self.store.add(activity["id"], activity)

    def _new(self, created: int) -> dict[str, Any]:
        activity_id = self.store.new_id()
        number = _activity_number(activity_id)
        return {
            "id": activity_id, "type": "activities", "name": "", "agenda": "", "createdTime": created,
            "modifiedTime": created, "startTime": None, "endTime": None, "loggedTime": None, "deletedTime": None,
            "isAllDay": False, "isEditable": True, "isCancelled": False, "isFlagged": False, "isLogged": False,
            "isOverdue": False, "isMediaLogged": False, "transcription": None, "location": None,
            "htmlUrl": f"{HOST}/activity/open-modal/{number}", "href": f"{HOST}/rest/activities/{activity_id}",
            "links": {"comments": [], "accounts": [], "activityType": None, "contacts": [], "creator": "1-users",
                      "leads": [], "logger": None, "logNote": None, "users": []},
        }

    # -- envelopes ------------------------------------------------------------------------------------
    def _response(self, activities: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"meta": {**(meta or {}), **self.emulator._meta()}, "links": {}, "activities": activities}

    def _find(self, raw_id: str) -> dict[str, Any]:
        activity = self.store.get(raw_id) if _ID.match(raw_id) else None
        if activity is None:
            raise NutshellError(404, "Not Found", f"Could not find activity with id {raw_id}")
        return activity

    # -- handlers -------------------------------------------------------------------------------------
    async def list_activities(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("page[limit]") or params.get("limit") or str(DEFAULT_PAGE_LIMIT)
        raw_page = params.get("page[page]", "0")
        if not re.fullmatch(r"-?\d+", raw_page) or int(raw_page) < 0:
            raise NutshellError(400, "Invalid filter", f"Invalid page number: {raw_page}")
        if not re.fullmatch(r"-?\d+", raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_LIMIT:
            raise NutshellError(400, "Invalid filter", f"Invalid page limit: {raw_limit}")
        limit, page = int(raw_limit), int(raw_page)
        live = list(self.store.live())
        participants = params.getlist("filter[participant][]")
        if participants:
            live = [a for a in live if all(any(p in (a["links"][k] or []) for k in _PARTICIPANT_KINDS)
                                           for p in participants)]
        statuses = params.getlist("filter[status][]")
        if statuses:
            if set(statuses) - {"scheduled", "logged", "cancelled"}:
                raise NutshellError(400, "Invalid filter", f"Invalid status: {', '.join(statuses)}")
            live = [a for a in live if _status(a) in statuses]
        chunk = live[page * limit: (page + 1) * limit]
        meta = {"count": len(chunk), "countFormatted": formatted_number(len(chunk)), "total": len(live),
                "totalFormatted": formatted_number(len(live))}
        return json_response(self._response(chunk, meta))

    async def get_activity(self, request: Request) -> Response:
        # A deleted activity is still read by id, with deletedTime (as leads and notes). [unverified]
        return json_response(self._response([self._find(request.path_params["id"])]))

    # -- JSON-RPC -------------------------------------------------------------------------------------
    async def json_rpc(self, request: Request) -> Response:
        """`getActivity` and `deleteActivity` of the JSON-RPC API (named params; errors in a 200)."""
        if not self.emulator._authorized(request):
            return json_response(UNAUTHORIZED_BODY, 401, UNAUTHORIZED_HEADERS)
        try:
            call = loads_json(await request.body())
        except orjson.JSONDecodeError:
            call = None
        if not isinstance(call, dict) or not isinstance(call.get("params", {}), dict):
            return json_response({"result": None, "error": {"code": -32700, "message": "Parse error", "data": None},
                                  "id": None})
        call_id, params = call.get("id"), call.get("params") or {}

        def failure(code: int, message: str) -> Response:
            return json_response({"result": None, "error": {"code": code, "message": message, "data": None},
                                  "id": call_id})

        method = call.get("method")
        if method not in ("getActivity", "deleteActivity"):
            return failure(-32601, f"Method not found: {method}")
        raw = params.get("activityId")
        activity = self.store.get(_activity_id(raw)) if isinstance(raw, int) and not isinstance(raw, bool) else None
        if activity is None or (method == "deleteActivity" and activity["deletedTime"] is not None):
            return failure(404, "Activity not found")
        rev = str(self.revs.get(activity["id"], 1))
        if method == "getActivity":
            return json_response({"result": self._rpc_render(activity, rev), "error": None, "id": call_id})
        if str(params.get("rev")) != rev:
            return failure(409, "rev key is out-of-date")
        activity["deletedTime"] = int(time.time())
        self.store.archive(activity["id"])
        return json_response({"result": True, "error": None, "id": call_id})

    @staticmethod
    def _rpc_render(activity: dict[str, Any], rev: str) -> dict[str, Any]:
        """The JSON-RPC activity (https://developers.nutshell.com/detail/class_activity.html): an int id, `rev`,
        ISO times with +0000."""
        def moment(ts: int | None) -> str | None:
            return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts)) if ts is not None else None

        return {"id": _activity_number(activity["id"]), "entityType": "Activities", "rev": rev,
                "name": activity["name"], "description": activity["agenda"], "startTime": moment(activity["startTime"]),
                "endTime": moment(activity["endTime"]), "isAllDay": activity["isAllDay"],
                "isFlagged": activity["isFlagged"], "status": _RPC_STATUS[_status(activity)],
                "createdTime": moment(activity["createdTime"]), "modifiedTime": moment(activity["modifiedTime"])}

    async def create_activity(self, request: Request) -> Response:
        data = self._input(await json_body(request))
        activity = self._new(int(time.time()))
        self._apply(activity, data, replace=True)
        self.store.add(activity["id"], activity)
        self.revs[activity["id"]] = 1
        return json_response(self._response([activity]), CREATE_STATUS)

    async def put_activity(self, request: Request) -> Response:
        activity = self._find(request.path_params["id"])
        data = self._input(await json_body(request))
        staged = {**activity, "links": dict(activity["links"])}
        self._apply(staged, data, replace=self.emulator.switch["activity_put"] == "replace")
        staged["modifiedTime"] = int(time.time())
        activity.clear()
        activity.update(staged)
        self.revs[activity["id"]] = self.revs.get(activity["id"], 1) + 1
        return json_response(self._response([activity]), UPDATE_STATUS)

    # -- writes ---------------------------------------------------------------------------------------
    @staticmethod
    def _input(body: Any) -> dict[str, Any]:
        items = body.get("activities") if isinstance(body, dict) else None
        if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
            raise NutshellError(400, "You may only create one activities resource per request.")
        data = items[0]
        unknown = sorted(set(data) - set(_FIELDS) - {"links"})
        if unknown:
            raise NutshellError(422, "Invalid activity", f"Unknown field(s): {', '.join(unknown)}", unknown[0])
        return data

    def _apply(self, activity: dict[str, Any], data: dict[str, Any], *, replace: bool) -> None:
        def given(key: str) -> bool:
            return replace or key in data

        if given("name"):
            name = data.get("name")
            if not isinstance(name, str) or not name.strip():
                raise NutshellError(422, "Invalid activity", "An activity needs a name.", "name")
            activity["name"] = name
        for key, target in (("description", "agenda"), ("location", "location"), ("transcription", "transcription")):
            if given(key):
                value = data.get(key)
                if value is not None and not isinstance(value, str):
                    raise NutshellError(422, f"Invalid {key}", field=key)
                activity[target] = value if value is not None or key != "description" else ""
        for key in ("isFlagged", "isLogged", "isAllDay"):
            if given(key):
                value = data.get(key, False)
                if not isinstance(value, bool):
                    raise NutshellError(422, f"Invalid {key}", f"{key} is a boolean", key)
                activity[key] = value
        for key in ("startTime", "endTime"):
            if given(key):
                value = data.get(key)
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise NutshellError(422, f"Invalid {key}", f"{key} is a Unix timestamp", key)
                activity[key] = value
        if activity["startTime"] is None:
            raise NutshellError(422, "Invalid activity", "An activity needs a startTime.", "startTime")
        if activity["endTime"] is not None and activity["endTime"] < activity["startTime"]:
            raise NutshellError(422, "Invalid endTime", "endTime is before startTime", "endTime")
        activity["loggedTime"] = (activity["loggedTime"] or int(time.time())) if activity["isLogged"] else None
        if given("activityType"):
            kind = data.get("activityType") or "1-activityTypes"     # a call unless told [unverified]
            if kind not in self.emulator.resource("engagement_types").records:
                raise NutshellError(422, "Invalid activityType", f"{kind!r} does not exist", "activityType")
            activity["links"]["activityType"] = kind
        links = data.get("links")
        if links is not None and (not isinstance(links, dict) or set(links) - {"participants"}):
            raise NutshellError(422, "Invalid links", "An activity links its participants", "links")
        if replace or (links and "participants" in links):
            self._set_participants(activity, (links or {}).get("participants") or [])
        if data.get("note"):
            if not isinstance(data["note"], str):
                raise NutshellError(422, "Invalid note", field="note")
            activity["links"]["logNote"] = self.emulator.resource("notes").add_log_note(data["note"], activity["id"])

    def _set_participants(self, activity: dict[str, Any], refs: Any) -> None:
        if not isinstance(refs, list):
            raise NutshellError(422, "Invalid participants", "participants is a list of ids", "links.participants")
        split: dict[str, list[str]] = {kind: [] for kind in _PARTICIPANT_KINDS}
        for ref in refs:
            kind = ref.split("-", 1)[1] if isinstance(ref, str) and re.fullmatch(r"\d+-[A-Za-z]+", ref) else ""
            if not member(kind, _PARTICIPANT_KINDS):
                raise NutshellError(422, "Invalid participant", f"{ref!r} is not a person, company, lead or user",
                                    "links.participants")
            resource = _PARTICIPANT_KINDS[kind]
            exists = (ref in self.emulator.users if resource is None
                      else self.emulator.resource(resource).store.get_active(ref) is not None)
            if not exists:
                raise NutshellError(422, "Invalid participant", f"{ref!r} does not exist", "links.participants")
            if ref not in split[kind]:
                split[kind].append(ref)
        activity["links"].update(split)


# JSON-RPC activity statuses: 0 scheduled, 1 logged, 2 cancelled (https://developers-rpc.nutshell.com/detail/class_lead.html)
_RPC_STATUS = {"scheduled": 0, "logged": 1, "cancelled": 2}


def _status(activity: dict[str, Any]) -> str:
    return "cancelled" if activity["isCancelled"] else "logged" if activity["isLogged"] else "scheduled"
