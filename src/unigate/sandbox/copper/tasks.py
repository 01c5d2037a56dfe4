"""Copper Developer API v1 tasks: the emulator's `tasks` resource.

Paths are the vendor's (`/developer_api/v1/tasks...`): https://developer.copper.com/tasks/list-tasks-search.html ,
https://developer.copper.com/tasks/update-a-task.html and Copper's Postman docs mirrored in
https://github.com/dquimper/GitbookTest (`7.-tasks/*.md`: overview, create, fetch, update, delete, search).

- A task is `{id, name, related_resource: {id, type}, assignee_id, due_date, reminder_date, completed_date,
  priority, status, details, tags, custom_fields, custom_activity_type_id, date_created, date_modified}`;
  `related_resource` is one record (`{"id": null, "type": null}` when none). `name` is required.
- `status` is Open or Completed; completing a task sets `completed_date`, which cannot be set directly
  (overview.md) [what Copper does with one sent: switch `task_completed_date`, ignored (default) or refused].
  `priority` is None or High in the docs; Low and Medium are taken too [unverified].
- Dates are Unix seconds (the examples); best_practices.html says task due and reminder dates are
  "mm/dd/yyyy" text [the two disagree: switch `task_dates`, `epoch` (default) or `text`]; both forms are
  taken on write.
- `POST /tasks/search`: ids, assignee_ids (-2: none), opportunity_ids, project_ids (-2), statuses, tags,
  minimum/maximum due, created and modified dates, sort_by (default due_date), sort_direction; a bare
  array with `X-PW-TOTAL`; another key is a 422.
- Create answers 200; `PUT` changes only the fields sent; delete answers `{"id", "is_deleted": true}`.
"""

from __future__ import annotations

import re
import time
from calendar import timegm
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response, lookup, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.copper.activities import NOTE_TYPE_ID, ActivityTypes
from unigate.sandbox.copper.changes import TAGS_NOT_STRINGS, tag_list
from unigate.sandbox.copper.common import (
    NOT_FOUND_MESSAGE, USERS, USERS_BY_ID, body_object, error, read_search, validation_error,
)
from unigate.sandbox.copper.search import (
    NO_VALUE,
    Criterion,
    id_set,
    linked_to,
    page_span,
    search_answer,
    tagged,
    with_ids,
    within_bounds,
)

if TYPE_CHECKING:
    from unigate.sandbox.copper import CopperEmulator

STATUSES = ("Open", "Completed")
PRIORITIES = ("None", "Low", "Medium", "High")
# A task relates to one lead, person, company, opportunity or project (related-items/*.md in
# https://github.com/dquimper/GitbookTest: "Tasks: ... Leads ... (limit 1 total)"); projects are not held here.
RELATED_TYPES = {"lead": "leads", "person": "contacts", "company": "accounts", "opportunity": "opportunities"}
SEARCH_KEYS = {"page_number", "page_size", "sort_by", "sort_direction", "ids", "assignee_ids", "opportunity_ids",
               "project_ids", "statuses", "tags", "minimum_due_date", "maximum_due_date", "minimum_created_date",
               "maximum_created_date", "minimum_modified_date", "maximum_modified_date"}
FIRST_TASK_ID = 4_110_001
SEED_EPOCH = 1_496_000_000
TO_DO_TYPE_ID = 190713            # the account's default task type
_TEXT_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NAMES = ("Call back about pricing", "Send the proposal", "Book the demo", "Chase the signed order",
          "Prepare the QBR deck", "Confirm delivery date")


def task_date(value: Any) -> int | None:
    """A written due or reminder date as Unix seconds: an int, or `MM/DD/YYYY` text (midnight UTC); None
    for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = _TEXT_DATE.match(value) if isinstance(value, str) else None
    if match is None or not (1 <= int(match[1]) <= 12 and 1 <= int(match[2]) <= 31):
        return None
    return timegm((int(match[3]), int(match[1]), int(match[2]), 0, 0, 0))


class Tasks(Resource):
    name: ClassVar[str] = "tasks"
    emulator: CopperEmulator

    def __init__(self, emulator: CopperEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_TASK_ID)

    def _store_of(self, resource: str) -> Collection:
        return self.emulator.resource(resource).store  # type: ignore[attr-defined,no-any-return]

    def _types(self) -> ActivityTypes:
        return self.emulator.resource("engagement_types")  # type: ignore[return-value]

    def seed(self, count: int) -> None:
        """Open tasks and completed ones (one in four), on people, companies, opportunities and leads (one in seven
        on nothing), due at a time of day."""
        self.store.clear()
        people = list(self._store_of("contacts").live())
        companies = list(self._store_of("accounts").live())
        deals = list(self._store_of("opportunities").live())
        leads = list(self._store_of("leads").live())
        kinds = [t["id"] for t in self._types().user if t["id"] != NOTE_TYPE_ID and not t.get("is_disabled")]
        kinds = kinds or [TO_DO_TYPE_ID]
        for i in range(count):
            created = SEED_EPOCH + 7_211 * i
            status = "Completed" if i % 4 == 3 else "Open"
            related: dict[str, Any] = {"id": None, "type": None}
            if i % 4 == 0 and deals:
                related = {"id": deals[i % len(deals)]["id"], "type": "opportunity"}
            elif i % 4 == 1 and companies:
                related = {"id": companies[i % len(companies)]["id"], "type": "company"}
            elif i % 8 == 7 and leads:
                related = {"id": leads[i % len(leads)]["id"], "type": "lead"}
            elif i % 7 != 6 and people:
                related = {"id": people[i % len(people)]["id"], "type": "person"}
            task_id = self.store.new_id()
            due = created + 86_400 * (2 + i % 15) + 3_600 * (i % 9)
            self.store.add(str(task_id), {
                "id": task_id, "name": f"{_NAMES[i % len(_NAMES)]} {i + 1}", "related_resource": related,
                "assignee_id": USERS[i % len(USERS)]["id"] if i % 6 != 5 else None,
                "due_date": due, "reminder_date": due - 3_600 if i % 3 == 0 else None,
                "completed_date": created + 86_400 if status == "Completed" else None,
                "priority": PRIORITIES[(0, 3)[i % 2]], "status": status,
                "details": "Check the <i>notes</i> from the last call first." if i % 3 == 0 else None,
                "tags": ["follow-up"] if i % 5 == 0 else [], "custom_fields": [],
                "custom_activity_type_id": kinds[i % len(kinds)] if i % 3 else TO_DO_TYPE_ID,
                "date_created": created, "date_modified": created + (120 if i % 2 else 0),
            })

    def render(self, task: dict[str, Any]) -> dict[str, Any]:
        """Dates as Unix seconds, or as MM/DD/YYYY text where the `task_dates` switch says so."""
        if self.emulator.switch["task_dates"] == "epoch":
            return task
        out = dict(task)
        for key in ("due_date", "reminder_date"):
            if task[key] is not None:
                moment = time.gmtime(task[key])
                out[key] = f"{moment.tm_mon:02d}/{moment.tm_mday:02d}/{moment.tm_year}"
        return out

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(t) for t in self.store.live()]

    def find(self, raw: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw))) if raw.isdigit() else None

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        v1 = "/developer_api/v1"
        return [
            Route(f"{v1}/tasks", g(self.create), methods=["POST"]),
            Route(f"{v1}/tasks/search", g(self.search), methods=["POST"]),
            Route(v1 + "/tasks/{id}", g(self.get), methods=["GET"]),
            Route(v1 + "/tasks/{id}", g(self.update), methods=["PUT"]),
            Route(v1 + "/tasks/{id}", g(self.delete), methods=["DELETE"]),
        ]

    # -- search ---------------------------------------------------------------------------------------------
    async def search(self, request: Request) -> Response:
        # minimum/maximum_modified_date are documented for tasks (list-tasks-search.html), whatever the
        # `search_modified_dates` switch says of people and companies.
        search = await read_search(request, SEARCH_KEYS, {**self.emulator.switch, "search_modified_dates": "applied"})
        if isinstance(search, Response):
            return search
        body, page, size = search
        try:
            tests = self.filters(body)
        except (TypeError, ValueError):
            return validation_error("Invalid search criteria")
        direction = (body.get("sort_direction") or "asc").lower()
        keys = {"name": lambda t: (t["name"].lower(), t["id"]), "status": lambda t: (t["status"], t["id"]),
                "due_date": lambda t: (t["due_date"] is None, t["due_date"] or 0, t["id"]),
                "date_created": lambda t: (t["date_created"], t["id"]),
                "date_modified": lambda t: (t["date_modified"], t["id"]),
                "priority": lambda t: (PRIORITIES.index(t["priority"]), t["id"])}
        key = keys.get(body.get("sort_by") or "due_date")
        if key is None or direction not in ("asc", "desc"):
            return validation_error(f"sort_by: {body.get('sort_by')} is not a valid sort field")
        rows = sorted((t for t in self.store.live() if all(test(t) for test in tests)), key=key,
                      reverse=direction == "desc")
        start, stop = page_span(page, size)
        return search_answer([self.render(t) for t in rows[start:stop]], len(rows))

    @staticmethod
    def filters(body: dict[str, Any]) -> list[Criterion]:
        found = [*with_ids(body), *linked_to(body, (("assignee_ids", "assignee_id"),))]
        if body.get("opportunity_ids"):
            deals = id_set(body, "opportunity_ids")
            found.append(lambda t: t["related_resource"]["type"] == "opportunity" and t["related_resource"]["id"] in deals)
        if body.get("project_ids"):
            projects = id_set(body, "project_ids")   # the sandbox holds no projects: only -2 (none) matches
            found.append(lambda t: NO_VALUE in projects and t["related_resource"]["type"] != "project")
        if body.get("statuses"):
            statuses = {str(s) for s in body["statuses"]}
            if not statuses <= set(STATUSES):
                raise ValueError("statuses")
            found.append(lambda t: t["status"] in statuses)
        found += tagged(body)
        found += within_bounds(body, ("due_date", "created_date", "modified_date"), number=float)
        return found

    # -- read, create, update, delete -------------------------------------------------------------------------
    async def get(self, request: Request) -> Response:
        task = self.find(request.path_params["id"])
        return json_response(self.render(task)) if task else error(404, NOT_FOUND_MESSAGE)

    async def create(self, request: Request) -> Response:
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        now = int(time.time())
        task: dict[str, Any] = {
            "id": 0, "name": "", "related_resource": {"id": None, "type": None}, "assignee_id": None, "due_date": None,
            "reminder_date": None, "completed_date": None, "priority": "None", "status": "Open", "details": None,
            "tags": [], "custom_fields": [], "custom_activity_type_id": TO_DO_TYPE_ID, "date_created": now,
            "date_modified": now,
        }
        problem = self.apply(task, body)
        if problem:
            return validation_error(problem)
        task["id"] = self.store.new_id()
        self.store.add(str(task["id"]), task)
        return json_response(self.render(task))

    async def update(self, request: Request) -> Response:
        task = self.find(request.path_params["id"])
        if task is None:
            return error(404, NOT_FOUND_MESSAGE)
        body = await body_object(request)
        if isinstance(body, Response):
            return body
        if "name" in body and not str(body.get("name") or "").strip():
            return validation_error("name: Name is required")
        staged = {**task, "related_resource": dict(task["related_resource"]), "tags": list(task["tags"])}
        problem = self.apply(staged, body)
        if problem:
            return validation_error(problem)
        staged["date_modified"] = max(int(time.time()), task["date_modified"])
        self.store.put(str(task["id"]), staged)
        return json_response(self.render(staged))

    async def delete(self, request: Request) -> Response:
        task = self.find(request.path_params["id"])
        if task is None:
            return error(404, NOT_FOUND_MESSAGE)
        self.store.delete(str(task["id"]))
        return json_response({"id": task["id"], "is_deleted": True})

    def apply(self, task: dict[str, Any], body: dict[str, Any]) -> str | None:
        if "name" in body:
            task["name"] = str(body["name"]).strip()
        if "details" in body:
            task["details"] = body["details"]
        if "completed_date" in body and self.emulator.switch["task_completed_date"] == "refused":
            return "completed_date: Completed date cannot be set directly"
        if "related_resource" in body:
            ref = body["related_resource"]
            if ref is None or (isinstance(ref, dict) and ref.get("id") is None and ref.get("type") is None):
                task["related_resource"] = {"id": None, "type": None}
            else:
                store = lookup(RELATED_TYPES, ref.get("type")) if isinstance(ref, dict) else None
                raw = ref.get("id") if isinstance(ref, dict) else None
                target = (self._store_of(store).get(str(raw)) if store and isinstance(raw, int) and not isinstance(raw, bool)
                          else None)
                if target is None:
                    return "Related Resource: Related resource not found"
                task["related_resource"] = {"id": target["id"], "type": ref["type"]}
        if "assignee_id" in body:
            if body["assignee_id"] is not None and not member(body["assignee_id"], USERS_BY_ID):
                return "assignee_id: User not found"
            task["assignee_id"] = body["assignee_id"]
        for key in ("due_date", "reminder_date"):
            if key in body:
                when = task_date(body[key]) if body[key] is not None else None
                if body[key] is not None and when is None:
                    return f"{key}: Invalid date {body[key]}"
                task[key] = when
        if "priority" in body:
            if not member(body["priority"], PRIORITIES):
                return f"Priority: must be one of {', '.join(PRIORITIES)}"
            task["priority"] = body["priority"]
        if "status" in body:
            if not member(body["status"], STATUSES):
                return "Status: must be Open or Completed"
            if body["status"] != task["status"]:
                task["completed_date"] = int(time.time()) if body["status"] == "Completed" else None
            task["status"] = body["status"]
        if "custom_activity_type_id" in body:
            found = self._types().user_type(body["custom_activity_type_id"])
            if found is None or found["id"] == NOTE_TYPE_ID or found.get("is_disabled"):
                return "custom_activity_type_id: Activity type not found"
            task["custom_activity_type_id"] = found["id"]
        if "tags" in body:
            tags = tag_list(body["tags"])
            if tags is None:
                return TAGS_NOT_STRINGS
            task["tags"] = tags
        return None
