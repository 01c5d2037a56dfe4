"""Capsule API v2 tasks: the emulator's `tasks` resource.

https://developer.capsulecrm.com/v2/models/task and https://developer.capsulecrm.com/v2/operations/Task ; "MCP"
cites the live-checked tool docs of https://github.com/soil-dev/capsulemcp (`src/tools/tasks.ts`), "NOTES §n" its
NOTES-ON-CAPSULE-API.md.
- `GET /api/v2/tasks?status=open,completed,pending&page=&perPage=&embed=` → `{"tasks": [...]}` with `Link`;
  without `status` only open tasks are listed (the Task page); the status values are taken in any case (the
  docs write them lower case, MCP sends OPEN/COMPLETED); `owner=<user id>` lists one user's (MCP); `embed` =
  party, opportunity, kase, owner, nextTask.
- `GET /api/v2/tasks/{id}` (or up to 10 ids), `POST` (201 + `Location`), `PUT` (fields left out stay),
  `DELETE` (204; again 404 "task not found", NOTES §24).
- Required on create: `description` and `dueOn` (`YYYY-MM-DD`); `dueTime` (`HH:MM[:SS]`) is the owner's local
  time. At most one of party, opportunity, kase. `status` OPEN or COMPLETED (PENDING belongs to tracks: 422
  "cannot set task status to PENDING", MCP); completing a task sets `completedAt` (unless given) and
  `completedBy`; reopening clears them. The owner defaults to the token's user (NOTES §28). `category` is one
  of the account's task categories, by `{"id"}` or `{"name"}` (`GET /api/v2/categories` [unverified path]).
Unverified wordings of 422 errors are this module's own, in Capsule's `{message, errors[]}` shape.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, lookup, member, read_json
from unigate.sandbox.capsule.common import (
    TOO_MANY_IDS_MESSAGE, TOO_MANY_IDS_STATUS, USERS, USERS_BY_ID, answer, error, iso, parse_iso, validation_error,
)
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

TASK_NOT_FOUND_MESSAGE = "task not found"                       # NOTES §24
PENDING_MESSAGE = "cannot set task status to PENDING"          # MCP
STATUSES = ("OPEN", "COMPLETED", "PENDING")
CATEGORIES = [{"id": 4101, "name": "Call", "colour": "#5fa8d3"}, {"id": 4102, "name": "Email", "colour": "#f29e4c"},
              {"id": 4103, "name": "Follow-up", "colour": "#7bc47f"}, {"id": 4104, "name": "Meeting", "colour": "#b085f5"}]
CATEGORIES_BY_ID = {c["id"]: c for c in CATEGORIES}
FIRST_TASK_ID = 530_001
SEED_EPOCH = 1_601_500_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_SUBJECTS = ("Call back about pricing", "Send the proposal", "Book the demo", "Chase the signed order",
             "Prepare the QBR deck", "Confirm delivery date")


class Tasks(Resource):
    name: ClassVar[str] = "tasks"
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_TASK_ID)

    def _parties(self):
        return self.emulator.resource("accounts")

    def _deals(self):
        return self.emulator.resource("opportunities")

    def seed(self, count: int) -> None:
        """Open tasks (most), completed ones (one in four) and a track's pending one (one in eleven), on people,
        organisations and opportunities; due all day, one in five at a time of day."""
        self.store.clear()
        parties = list(self._parties().store.live())
        people = [p for p in parties if p["type"] == "person"]
        organisations = [p for p in parties if p["type"] == "organisation"]
        deals = list(self._deals().store.live())
        for i in range(count):
            status = "COMPLETED" if i % 4 == 3 else "PENDING" if i % 11 == 10 else "OPEN"
            created = SEED_EPOCH + 7_207 * i
            owner = USERS[i % len(USERS)]
            task = {
                "id": self.store.new_id(), "description": f"{_SUBJECTS[i % len(_SUBJECTS)]} {i + 1}",
                "detail": "Check the **notes** from the last call first." if i % 3 == 0 else None,
                "dueOn": iso(created + 86_400 * (3 + i % 20))[:10], "dueTime": "09:30:00" if i % 5 == 0 else None,
                "status": status, "category": dict(CATEGORIES[i % len(CATEGORIES)]) if i % 3 != 2 else None,
                "party": None, "opportunity": None, "kase": None,
                "owner": {"id": owner["id"], "username": owner["username"], "name": owner["name"]},
                "completedAt": iso(created + 86_400) if status == "COMPLETED" else None,
                "completedBy": owner["username"] if status == "COMPLETED" else None,
                "nextTask": None, "daysAfter": None, "taskDelayRule": None, "hasTrack": status == "PENDING",
                "createdAt": iso(created), "updatedAt": iso(created + (3_600 if i % 2 else 0)),
            }
            if i % 4 == 0 and deals:
                task["opportunity"] = {"id": deals[i % len(deals)]["id"]}
            elif i % 4 == 1 and organisations:
                task["party"] = {"id": organisations[i % len(organisations)]["id"]}
            elif i % 7 != 6 and people:
                task["party"] = {"id": people[i % len(people)]["id"]}
            self.store.add(str(task["id"]), task)

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(t, {"party", "opportunity"}) for t in self.store.live()]

    def find(self, raw: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw))) if raw.isdigit() else None

    def render(self, task: dict[str, Any], embed: set[str]) -> dict[str, Any]:
        out = dict(task)
        parties = self._parties()
        if task["party"]:
            party = parties.store.get(str(task["party"]["id"]))
            out["party"] = (None if party is None else parties.render(party, set()) if "party" in embed else
                            {"id": party["id"], "type": party["type"], "pictureURL": party["pictureURL"],
                             "name": party.get("name") or " ".join(
                                 x for x in (party.get("firstName"), party.get("lastName")) if x)})
        if task["opportunity"]:
            deal = self._deals().store.get(str(task["opportunity"]["id"]))
            out["opportunity"] = (None if deal is None else self._deals().render(deal, set()) if "opportunity" in embed
                                  else {"id": deal["id"], "name": deal["name"]})
        return out

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/tasks", g(self.list_tasks), methods=["GET"]),
            Route("/api/v2/tasks", g(self.create), methods=["POST"]),
            Route("/api/v2/tasks/{ids}", g(self.show), methods=["GET"]),
            Route("/api/v2/tasks/{id}", g(self.update), methods=["PUT"]),
            Route("/api/v2/tasks/{id}", g(self.delete), methods=["DELETE"]),
            Route("/api/v2/categories", g(self.categories), methods=["GET"]),
        ]

    async def categories(self, request: Request) -> Response:
        return answer(request, {"categories": CATEGORIES})

    # -- reads ------------------------------------------------------------------------------------------
    async def list_tasks(self, request: Request) -> Response:
        parties = self._parties()
        paging = parties.page_params(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        wanted = {s.strip().upper() for s in request.query_params.get("status", "open").split(",") if s.strip()}
        if not wanted <= set(STATUSES):
            return error(request, 400, "status must be a comma separated list of open, completed, pending")
        owner = request.query_params.get("owner")     # a user id (MCP: `owner=<userId>`)
        tasks = [t for t in self.store.live() if t["status"] in wanted and (owner is None or str(t["owner"]["id"]) == owner)]
        start = (page - 1) * per_page
        window = tasks[start:start + per_page + 1]
        headers = parties.page_headers(request, page, per_page, len(window) > per_page)
        embed = parties.embeds(request)
        return answer(request, {"tasks": [self.render(t, embed) for t in window[:per_page]]}, headers=headers)

    async def show(self, request: Request) -> Response:
        raw = request.path_params["ids"]
        ids = [part for part in raw.split(",") if part]
        if len(ids) > 10:
            return error(request, TOO_MANY_IDS_STATUS, TOO_MANY_IDS_MESSAGE)
        found = [self.find(part) for part in ids]
        if not ids or any(t is None for t in found):
            return error(request, 404, TASK_NOT_FOUND_MESSAGE)
        embed = self._parties().embeds(request)
        if "," in raw:
            return answer(request, {"tasks": [self.render(t, embed) for t in found]})  # type: ignore[arg-type]
        return answer(request, {"task": self.render(found[0], embed)})  # type: ignore[arg-type]

    # -- writes -----------------------------------------------------------------------------------------
    async def _payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("task"), dict):
            return error(request, 400, "request body must be a JSON object with a task")
        return body["task"]

    async def create(self, request: Request) -> Response:
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        now = iso(time.time())
        owner = USERS[0]
        task: dict[str, Any] = {
            "id": 0, "description": None, "detail": None, "dueOn": None, "dueTime": None, "status": "OPEN",
            "category": None, "party": None, "opportunity": None, "kase": None,
            "owner": {"id": owner["id"], "username": owner["username"], "name": owner["name"]},
            "completedAt": None, "completedBy": None, "nextTask": None, "daysAfter": None, "taskDelayRule": None,
            "hasTrack": False, "createdAt": now, "updatedAt": now,
        }
        problems = self.apply(task, data)
        if problems:
            return validation_error(request, problems)
        task["id"] = self.store.new_id()
        self.store.add(str(task["id"]), task)
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{task['id']}", query=""))
        return answer(request, {"task": self.render(task, self._parties().embeds(request))}, 201,
                      {"Location": location})

    async def update(self, request: Request) -> Response:
        task = self.find(request.path_params["id"])
        if task is None:
            return error(request, 404, TASK_NOT_FOUND_MESSAGE)
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        staged = dict(task)
        problems = self.apply(staged, data)
        if problems:
            return validation_error(request, problems)
        if staged != task:     # an unchanged task keeps its updatedAt (MCP: OPEN on an open task is a no-op)
            staged["updatedAt"] = iso(time.time())
        task.clear()
        task.update(staged)
        return answer(request, {"task": self.render(task, self._parties().embeds(request))})

    async def delete(self, request: Request) -> Response:
        task = self.find(request.path_params["id"])
        if task is None:
            return error(request, 404, TASK_NOT_FOUND_MESSAGE)
        self.store.delete(str(task["id"]))
        return Response(status_code=204, headers=request.state.rate_headers)

    def apply(self, task: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []

        def add(field: str, message: str) -> None:
            problems.append({"message": message, "resource": "task", "field": field})

        for key in ("description", "detail"):
            if key in data:
                if data[key] is not None and not isinstance(data[key], str):
                    add(key, f"{key} is invalid")
                else:
                    task[key] = data[key]
        if "dueOn" in data:
            if data["dueOn"] is not None and not (isinstance(data["dueOn"], str) and _DATE.match(data["dueOn"])):
                add("dueOn", "dueOn is invalid")
            else:
                task["dueOn"] = data["dueOn"]
        if "dueTime" in data:
            if data["dueTime"] is not None and not (isinstance(data["dueTime"], str) and _TIME.match(data["dueTime"])):
                add("dueTime", "dueTime is invalid")
            else:
                task["dueTime"] = data["dueTime"]
        if "owner" in data:
            ref = data["owner"]
            user = lookup(USERS_BY_ID, ref.get("id")) if isinstance(ref, dict) else None
            if user is None:
                add("owner", "owner not found")
            else:
                task["owner"] = {"id": user["id"], "username": user["username"], "name": user["name"]}
        if "category" in data:
            ref = data["category"]
            found = None
            if isinstance(ref, dict):
                found = lookup(CATEGORIES_BY_ID, ref.get("id")) if "id" in ref else next(
                    (c for c in CATEGORIES if c["name"].lower() == str(ref.get("name", "")).lower()), None)
            if ref is not None and found is None:
                add("category", "category not found")
            else:
                task["category"] = dict(found) if found else None
        for link, store in (("party", self._parties().store), ("opportunity", self._deals().store)):
            if link in data:
                ref = data[link]
                target = store.get(str(ref.get("id"))) if isinstance(ref, dict) else None
                if ref is not None and target is None:
                    add(link, f"{link} not found")
                else:
                    task[link] = {"id": target["id"]} if target else None
        if "kase" in data and data["kase"] is not None:
            add("kase", "kase not found")       # the sandbox holds no projects
        if sum(1 for link in ("party", "opportunity", "kase") if task.get(link)) > 1:
            add("party", "task can be linked to one of party, opportunity or kase")
        if "status" in data:
            status = str(data["status"] or "").upper()
            if status == "PENDING":
                add("status", PENDING_MESSAGE)
            elif not member(status, STATUSES):
                add("status", "status is invalid")
            elif status != task["status"]:
                task["status"] = status
                completed = status == "COMPLETED"
                task["completedAt"] = iso(time.time()) if completed else None
                task["completedBy"] = USERS[0]["username"] if completed else None
        if "completedAt" in data and task["status"] == "COMPLETED":   # settable for offline clients (the Task model)
            moment = parse_iso(data["completedAt"]) if isinstance(data["completedAt"], str) else None
            if moment is None:
                add("completedAt", "completedAt is invalid")
            else:
                task["completedAt"] = iso(moment.timestamp())
        if not (task.get("description") or "").strip():
            add("description", "description is required")
        if not task.get("dueOn"):
            add("dueOn", "dueOn is required")
        return problems
