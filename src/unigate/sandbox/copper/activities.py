"""Copper Developer API v1 activities and activity types: the emulator's `engagements`, `notes` and
`engagement_types`.

Paths are the vendor's (`/developer_api/v1/...`): https://developer.copper.com/activities/overview.html and
Copper's Postman docs mirrored in https://github.com/dquimper/GitbookTest (`8.-Activities/*.md`: overview, list
activity types, search, fetch, create, delete; `custom-fields/general/*activity-type*.md`).

- An activity is `{id, parent: {id, type}, type: {id, category}, user_id, details, activity_date, old_value,
  new_value, date_created, date_modified}` (Unix seconds). `parent.type` is lead, person, company, opportunity,
  project or task; the sandbox holds leads, people, companies, opportunities and tasks.
- `GET /activity_types` → `{"user": [...], "system": [...]}`, items `{id, category, name, is_disabled,
  count_as_interaction}`: the user type Note has id 0, Phone Call and Meeting get ids when the account is made;
  system types (Property Changed 1, User Assigned 2, Pipeline Stage Changed 3, Email 6, ...) are Copper's own.
  `GET /custom_activity_types` lists the user types behind them (Note aside).
- `POST /activities/search` {parent, activity_types, page_number, page_size, minimum_activity_date,
  maximum_activity_date, full_result}: a bare array, `X-PW-TOTAL`; another key is a 422 (as every search,
  https://github.com/singer-io/tap-copper). No sort is documented: newest `activity_date` first [unverified].
  `POST /{leads|people|companies|opportunities}/{id}/activities` {activity_types} lists one record's
  (GitbookTest `2.-leads/see-a-leads-activities.md` for leads).
- `POST /activities` (200): `parent`, `type` and `details` required; only user types can be created, and not a
  disabled one (list-activity-types.md) [status of the refusal unverified: 422 here]; `activity_date` defaults
  to now; `user_id` is the key's user. `PUT /activities/{id}` changes what it is sent [unverified: the overview
  says activities can be edited; no example page]; system activities are read only.
- `DELETE /activities/{id}` → `{"id", "is_deleted": true}`; a deleted activity still answers `GET` with that
  stub (overview.md), unlike other records.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.common import (
    NOT_FOUND_MESSAGE, USERS, body_object, error, read_search, validation_error,
)
from unigate.sandbox.copper.search import page_span, search_answer

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

NOTE_TYPE_ID = 0          # the user type Note: id 0 in every account (list-activity-types.md)
PHONE_CALL_ID, MEETING_ID = 190711, 190712       # ids the account got when it was made
USER_TYPES: list[dict[str, Any]] = [
    {"id": NOTE_TYPE_ID, "name": "Note", "icon_type": "Description", "is_interaction": False},
    {"id": PHONE_CALL_ID, "name": "Phone Call", "icon_type": "Phone", "is_interaction": True},
    {"id": MEETING_ID, "name": "Meeting", "icon_type": "Event", "is_interaction": True},
    {"id": 190713, "name": "To Do", "icon_type": "Todo", "is_interaction": False, "is_default_task_type": True},
    {"id": 190714, "name": "SMS", "icon_type": "Message", "is_interaction": True},
    {"id": 190715, "name": "Email", "icon_type": "Send", "is_interaction": True},
    {"id": 190716, "name": "Demo", "icon_type": "Videocam", "is_interaction": True},
    {"id": 190717, "name": "Lunch", "icon_type": "Grocery Store", "is_interaction": True},
    {"id": 190718, "name": "Site Visit", "icon_type": "Navigation", "is_interaction": True},
    {"id": 190719, "name": "Voicemail", "icon_type": "Voicemail", "is_interaction": True},
    {"id": 190720, "name": "Webinar", "icon_type": "Headset", "is_interaction": True},
    {"id": 190721, "name": "Fax", "icon_type": "Send", "is_interaction": False, "is_disabled": True},
]
SYSTEM_TYPES: list[dict[str, Any]] = [
    {"id": 1, "name": "Property Changed", "count_as_interaction": False},
    {"id": 2, "name": "User Assigned", "count_as_interaction": False},
    {"id": 3, "name": "Pipeline Stage Changed", "count_as_interaction": False},
    {"id": 6, "name": "Email", "count_as_interaction": True},
    {"id": 8, "name": "Entity Created", "count_as_interaction": False},
    {"id": 12, "name": "User Joined", "count_as_interaction": False},
    {"id": 48, "name": "Form Submitted", "count_as_interaction": False},
]
PARENT_TYPES = ("lead", "person", "company", "opportunity", "project", "task")
SEARCH_KEYS = {"page_number", "page_size", "parent", "activity_types", "minimum_activity_date",
               "maximum_activity_date", "full_result"}
FIRST_ACTIVITY_ID = 3_061_001
SEED_EPOCH = 1_490_000_000
COMPANY_ID = 241401        # the account's id (GET /account)
_DETAILS = ("Talked through the <b>renewal</b> terms; sending a revised quote.", "Left a voicemail about onboarding.",
            "Agreed next steps with the buying committee.", "Intro call: they want a pilot in Q3.",
            "Answered the pricing question.")


class ActivityTypes(Resource):
    name: ClassVar[str] = "engagement_types"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.user: list[dict[str, Any]] = []
        self.system: list[dict[str, Any]] = []

    def seed(self, count: int) -> None:
        """The first `count` types: the user types (Note, Phone Call, Meeting first), then the system ones."""
        self.user = USER_TYPES[:count]
        self.system = SYSTEM_TYPES[:max(count - len(USER_TYPES), 0)]

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        """GET /activity_types: `{id, category, name, is_disabled, count_as_interaction}` per type."""
        return {
            "user": [{"id": t["id"], "category": "user", "name": t["name"], "is_disabled": t.get("is_disabled", False),
                      "count_as_interaction": t["is_interaction"]} for t in self.user],
            "system": [{"id": t["id"], "category": "system", "name": t["name"], "is_disabled": False,
                        "count_as_interaction": t["count_as_interaction"]} for t in self.system],
        }

    def user_type(self, type_id: Any) -> dict[str, Any] | None:
        return next((t for t in self.user if t["id"] == type_id and not isinstance(type_id, bool)), None)

    def snapshot(self) -> list[dict[str, Any]]:
        rows = self.rows()
        return rows["user"] + rows["system"]

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/activity_types", g(self.list_types), methods=["GET"]),
            Route(f"{v1}/custom_activity_types", g(self.custom_types), methods=["GET"]),
            Route(v1 + "/custom_activity_types/{id}", g(self.custom_type), methods=["GET"]),
        ]

    async def list_types(self, request: Request) -> Response:
        return json_response(self.rows())

    @staticmethod
    def custom_row(t: dict[str, Any]) -> dict[str, Any]:
        """A custom activity type (list-custom-activity-types.md)."""
        return {"id": t["id"], "company_id": COMPANY_ID, "icon_type": t["icon_type"],
                "is_disabled": t.get("is_disabled", False), "is_interaction": t["is_interaction"], "name": t["name"],
                "is_default_task_type": t.get("is_default_task_type", False)}

    async def custom_types(self, request: Request) -> Response:
        return json_response([self.custom_row(t) for t in self.user if t["id"] != NOTE_TYPE_ID])

    async def custom_type(self, request: Request) -> Response:
        raw = request.path_params["id"]
        found = next((t for t in self.user if t["id"] != NOTE_TYPE_ID and str(t["id"]) == raw), None)
        return json_response(self.custom_row(found)) if found else error(404, NOT_FOUND_MESSAGE)


class Activities(Resource):
    name: ClassVar[str] = "engagements"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ACTIVITY_ID)
        self.deleted: set[int] = set()

    def _store_of(self, resource: str) -> Collection:
        return self.emulator.resource(resource).store  # type: ignore[attr-defined,no-any-return]

    def _types(self) -> ActivityTypes:
        return self.emulator.resource("engagement_types")  # type: ignore[return-value]

    # -- seed -------------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Notes (three in five), calls, meetings and the account's own types, and system rows (emails,
        property and stage changes) on people, companies, opportunities and leads; the newest is a note."""
        self.store.clear()
        self.deleted = set()
        people = list(self._store_of("contacts").live())
        companies = list(self._store_of("accounts").live())
        deals = list(self._store_of("opportunities").live())
        leads = list(self._store_of("leads").live())
        types = self._types()
        custom = [t for t in types.user if t["id"] not in (NOTE_TYPE_ID, PHONE_CALL_ID, MEETING_ID)
                  and not t.get("is_disabled")] or [{"id": PHONE_CALL_ID}]
        for i in range(count):
            kind = i % 5
            old_value = new_value = None
            details: str | None = _DETAILS[i % len(_DETAILS)]
            if kind in (0, 2, 4):
                type_ref = {"id": NOTE_TYPE_ID, "category": "user"}
            elif kind == 1:
                type_ref = {"id": (PHONE_CALL_ID, MEETING_ID, custom[i % len(custom)]["id"])[(i // 5) % 3],
                            "category": "user"}
            else:
                system = (6, 1, 3)[(i // 5) % 3]
                type_ref = {"id": system, "category": "system"}
                if system == 1:
                    details, old_value, new_value = None, "Prospect", "Customer"
                elif system == 3:
                    details, old_value, new_value = None, "Qualified", "Proposal"
            if i % 4 == 0 and deals:
                parent = {"id": deals[i % len(deals)]["id"], "type": "opportunity"}
            elif i % 4 == 1 and companies:
                parent = {"id": companies[i % len(companies)]["id"], "type": "company"}
            elif i % 8 == 7 and leads:
                parent = {"id": leads[i % len(leads)]["id"], "type": "lead"}
            elif people:
                parent = {"id": people[i % len(people)]["id"], "type": "person"}
            else:
                break          # an activity needs a parent
            when = SEED_EPOCH + 3_607 * i
            activity_id = self.store.new_id()
            self.store.add(str(activity_id), {
                "id": activity_id, "parent": parent, "type": type_ref, "user_id": USERS[i % len(USERS)]["id"],
                "details": details, "activity_date": when, "old_value": old_value, "new_value": new_value,
                "date_created": when + 60, "date_modified": when + 60 + (30 if i % 3 == 0 else 0),
            })

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.store.live())

    def find(self, raw: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw))) if raw.isdigit() else None

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/activities", g(self.create), methods=["POST"]),
            Route(f"{v1}/activities/search", g(self.search), methods=["POST"]),
            Route(v1 + "/activities/{id}", g(self.get), methods=["GET"]),
            Route(v1 + "/activities/{id}", g(self.update), methods=["PUT"]),
            Route(v1 + "/activities/{id}", g(self.delete), methods=["DELETE"]),
            Route(v1 + "/{entity:str}/{id}/activities", g(self.of_record), methods=["POST"]),
        ]

    # -- reads --------------------------------------------------------------------------------------------
    @staticmethod
    def _type_filter(raw: Any) -> set[tuple[str, int]] | None:
        """`activity_types` [{id, category}] as a set; None when absent or empty; ValueError when malformed."""
        if not raw:
            return None
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            raise ValueError("activity_types")
        return {(str(t.get("category")), int(t.get("id"))) for t in raw}  # type: ignore[arg-type]

    def _answer(self, rows: list[dict[str, Any]], page: int, size: int) -> Response:
        rows.sort(key=lambda a: (a["activity_date"], a["id"]), reverse=True)
        start, stop = page_span(page, size)
        return search_answer(rows[start:stop], len(rows))

    async def search(self, request: Request) -> Response:
        search = await read_search(request, SEARCH_KEYS, self.emulator.switch)
        if isinstance(search, Response):
            return search
        body, page, size = search
        try:
            types = self._type_filter(body.get("activity_types"))
            low = int(body["minimum_activity_date"]) if body.get("minimum_activity_date") is not None else None
            high = int(body["maximum_activity_date"]) if body.get("maximum_activity_date") is not None else None
        except (TypeError, ValueError):
            return validation_error("Invalid search criteria")
        parent = body.get("parent")
        if parent is not None and (not isinstance(parent, dict) or not member(parent.get("type"), PARENT_TYPES)):
            return validation_error("parent: Invalid parent")
        rows = [a for a in self.store.live()
                if (parent is None or (a["parent"]["type"] == parent["type"] and str(a["parent"]["id"]) == str(parent.get("id"))))
                and (types is None or (a["type"]["category"], a["type"]["id"]) in types)
                and (low is None or a["activity_date"] >= low) and (high is None or a["activity_date"] <= high)]
        return self._answer(rows, page, size)

    async def of_record(self, request: Request) -> Response:
        """POST /{leads|people|companies|opportunities}/{id}/activities {activity_types}: one record's activities."""
        parent_type = {"leads": "lead", "people": "person", "companies": "company", "opportunities": "opportunity"}.get(
            request.path_params["entity"])
        if parent_type is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        try:
            types = self._type_filter(body.get("activity_types"))
        except (TypeError, ValueError):
            return validation_error("Invalid search criteria")
        raw = request.path_params["id"]
        rows = [a for a in self.store.live() if a["parent"]["type"] == parent_type and str(a["parent"]["id"]) == raw
                and (types is None or (a["type"]["category"], a["type"]["id"]) in types)]
        return self._answer(rows, 1, len(rows) or 1)

    async def get(self, request: Request) -> Response:
        raw = request.path_params["id"]
        if raw.isdigit() and int(raw) in self.deleted:
            return json_response({"id": int(raw), "is_deleted": True})   # deleted activities stay as stubs
        activity = self.find(raw)
        if activity is None:
            return error(404, NOT_FOUND_MESSAGE)
        return json_response(activity)

    # -- writes -------------------------------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        problems = []
        if not isinstance(body.get("parent"), dict):
            problems.append("parent: Parent is required")
        if not isinstance(body.get("type"), dict):
            problems.append("type: Type is required")
        if not str(body.get("details") or "").strip():
            problems.append("details: Details is required")
        if problems:
            return validation_error(*problems)
        now = int(time.time())
        activity: dict[str, Any] = {
            "id": 0, "parent": None, "type": None, "user_id": USERS[0]["id"], "details": None, "activity_date": now,
            "old_value": None, "new_value": None, "date_created": now, "date_modified": now,
        }
        problem = self.apply(activity, body)
        if problem:
            return validation_error(problem)
        activity["id"] = self.store.new_id()
        self.store.add(str(activity["id"]), activity)
        return json_response(activity)

    async def update(self, request: Request) -> Response:
        activity = self.find(request.path_params["id"])
        if activity is None:
            return error(404, NOT_FOUND_MESSAGE)
        if activity["type"]["category"] == "system":
            return validation_error("type: System activities cannot be modified")
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if "details" in body and not str(body.get("details") or "").strip():
            return validation_error("details: Details is required")
        staged = dict(activity)
        problem = self.apply(staged, body)
        if problem:
            return validation_error(problem)
        staged["date_modified"] = max(int(time.time()), activity["date_modified"])
        self.store.put(str(activity["id"]), staged)
        return json_response(staged)

    async def delete(self, request: Request) -> Response:
        activity = self.find(request.path_params["id"])
        if activity is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(activity["id"]))
        self.deleted.add(activity["id"])
        return json_response({"id": activity["id"], "is_deleted": True})

    def apply(self, activity: dict[str, Any], body: dict[str, Any]) -> str | None:
        if "details" in body:
            activity["details"] = body["details"]
        if "type" in body:
            ref = body["type"]
            if not isinstance(ref, dict) or ref.get("category") != "user":
                return "type: Only user activity types can be created or modified"
            found = self._types().user_type(ref.get("id"))
            if found is None:
                return "type: Activity type not found"
            if found.get("is_disabled"):
                return "type: Activity type is disabled"
            activity["type"] = {"id": found["id"], "category": "user"}
        if "parent" in body:
            ref = body["parent"]
            if not isinstance(ref, dict) or not member(ref.get("type"), PARENT_TYPES):
                return "parent: Invalid parent"
            store = {"lead": "leads", "person": "contacts", "company": "accounts", "opportunity": "opportunities",
                     "task": "tasks"}.get(
                ref["type"])
            raw = ref.get("id")
            target = (self._store_of(store).get(str(raw)) if store and isinstance(raw, int) and not isinstance(raw, bool)
                      else None)
            if target is None:
                return f"Parent: {ref['type'].title()} not found"
            activity["parent"] = {"id": target["id"], "type": ref["type"]}
        if "activity_date" in body:
            when = body["activity_date"]
            if isinstance(when, bool) or not isinstance(when, int):
                return "activity_date: Invalid date"
            activity["activity_date"] = when
        return None


class Notes(Resource):
    """The activities of the user type Note: a view of `engagements`' store for the control API."""

    name: ClassVar[str] = "notes"
    emulator: CopperEmulator

    def seed(self, count: int) -> None:
        """Seeded with the activities."""

    def routes(self) -> list[Route]:
        return []

    def snapshot(self) -> list[dict[str, Any]]:
        activities = self.emulator.resource("engagements").snapshot()
        return [a for a in activities if a["type"] == {"id": NOTE_TYPE_ID, "category": "user"}]
