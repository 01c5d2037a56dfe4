"""Capsule API v2 entries and activity types: the emulator's `engagements`, `notes` and `engagement_types`.

Entries are the timeline of parties, opportunities and projects: notes, recorded emails and completed party
tasks, each with an activity type (https://developer.capsulecrm.com/v2/models/entry,
https://developer.capsulecrm.com/v2/operations/Entry). A call or a meeting is a note whose activity type is
Call (-3) or Meeting (-2) (https://developer.capsulecrm.com/v2/operations/Activity_Type). One store holds them
all (`engagements`); `notes` is the view of the plain notes (activity type Note, -1) the control API shows.
"MCP" cites the live-checked tool docs of https://github.com/soil-dev/capsulemcp (`src/tools/entries.ts`,
`src/tools/activities.ts`); "withone.ai" the per-operation copy of Capsule's docs at https://withone.ai/knowledge/capsule.

- `GET /api/v2/entries?page=&perPage=&embed=`: every entry, newest `entryAt` first, perPage 1..100, `Link`
  rel="next" (withone.ai "List Entries by Date"); `GET /api/v2/{parties|opportunities}/{id}/entries`: one record's
  entries, perPage 1..50 (the Entry page); `embed` = party, opportunity, kase, creator, activityType.
- `GET /api/v2/entries/{id}`; no batch read of entries (a comma list is a 404, NOTES §8 of capsulemcp).
- `POST /api/v2/entries` (201 + `Location`) creates notes only (`type` "note"), linked to exactly one of party,
  opportunity or kase (withone.ai "Create an Entry (Note)"; MCP: 422 "entry must be linked to either a party, opportunity or kase"); content is
  required (an entry needs content or an attachment, withone.ai "Update an Entry"); `activityType` is a nested
  `{"id"}` of an existing type and defaults to Note (-1) (the Entry model); `entryAt` defaults to now; the
  creator is the token's user (MCP).
- `PUT /api/v2/entries/{id}` changes what it is sent (notes and emails; a completed-task entry is read only
  [unverified]); `DELETE` answers 204, again 404.
- `GET /api/v2/activitytypes?page=&perPage=` → `{"activityTypes": [...]}`, `GET /api/v2/activitytypes/{id}` →
  `{"activityType": {...}}`: the built-in Note (-1), Meeting (-2) and Call (-3) and the account's own types
  (positive ids); Task completed (-4), Email sent (-5) and Email received (-6) appear on entries (the Entry page's
  example; MCP `activities.ts`) but are not listed [unverified].
Unverified wordings of 404 and 422 errors are this module's own, in Capsule's `{message, errors[]}` shape.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, lookup, member, read_json
from unigate.sandbox.capsule.common import (
    PARTY_NOT_FOUND_MESSAGE, USERS, answer, error, iso, parse_iso, validation_error,
)
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

ENTRY_NOT_FOUND_MESSAGE = "entry not found"                   # [unverified wording, as "task not found"]
ACTIVITY_TYPE_NOT_FOUND_MESSAGE = "activity type not found"   # [unverified wording]
ONE_PARENT_MESSAGE = "entry must be linked to either a party, opportunity or kase"   # MCP
MAX_ENTITY_PER_PAGE = 50      # /{entity}/{id}/entries: perPage 1..50 (the Entry page)
FIRST_ENTRY_ID = 7_100_001
SEED_EPOCH = 1_601_000_000
NOTE, MEETING, CALL = -1, -2, -3
TASK_COMPLETED, EMAIL_SENT, EMAIL_RECEIVED = -4, -5, -6
# On entries, not in the list of activity types [unverified].
UNLISTED_TYPES = {TASK_COMPLETED: "Task completed", EMAIL_SENT: "Email sent", EMAIL_RECEIVED: "Email received"}
# The built-in types and their icons (https://developer.capsulecrm.com/v2/operations/Activity_Type), then
# types an account adds (positive ids; the page's examples are 1 and 2).
ACTIVITY_TYPES: list[dict[str, Any]] = [
    {"id": NOTE, "name": "Note", "icon": "NOTE", "system": True},
    {"id": MEETING, "name": "Meeting", "icon": "MEETING", "system": True},
    {"id": CALL, "name": "Call", "icon": "PHONE", "system": True},
    *({"id": n + 1, "name": name, "icon": icon, "system": False} for n, (name, icon) in enumerate([
        ("Demo", "MEETING"), ("Site visit", "CAR"), ("SMS", "SMS"), ("Voicemail", "PHONE"), ("Lunch", "FOOD"),
        ("Webinar", "MEETING"), ("Proposal sent", "DOCUMENT"), ("LinkedIn message", "CHAT"), ("Trade show", "FLAG"),
        ("Training", "MEETING"), ("Support ticket", "HELP"), ("Quote", "DOCUMENT"), ("Check-in", "PHONE"),
    ])),
]
_CONTENT = (
    "Discussed the **renewal** terms.\n\n- send the revised quote\n- book a follow-up",
    "Left a voicemail about the onboarding call.",
    "Agreed next steps with the buying committee.",
    "Intro meeting: they want a pilot in Q3.",
    "Pricing question answered by email.",
)


class ActivityTypes(Resource):
    name: ClassVar[str] = "engagement_types"
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.types: dict[int, dict[str, Any]] = {}

    def seed(self, count: int) -> None:
        """The first `count` of the built-in types and the account's own (built-ins first)."""
        self.types = {t["id"]: self.build(t, n) for n, t in enumerate(ACTIVITY_TYPES[:count])}

    @staticmethod
    def build(data: dict[str, Any], order: int) -> dict[str, Any]:
        """`{id, name, icon: {order, id, displayName, iconName, isSystem}, updateLastContacted}` (the Activity
        Type page's example)."""
        icon = data["icon"]
        return {"id": data["id"], "name": data["name"],
                "icon": {"order": order, "id": icon, "displayName": icon.title(), "iconName": icon.lower(),
                         "isSystem": data["system"]},
                "updateLastContacted": data["id"] != NOTE}

    def snapshot(self) -> list[dict[str, Any]]:
        return list(self.types.values())

    def summary(self, type_id: int) -> dict[str, Any] | None:
        """An entry's nested activity type, `{id, name}`."""
        if member(type_id, UNLISTED_TYPES):
            return {"id": type_id, "name": UNLISTED_TYPES[type_id]}
        found = lookup(self.types, type_id)
        return {"id": found["id"], "name": found["name"]} if found else None

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/activitytypes", g(self.list_types), methods=["GET"]),
            Route("/api/v2/activitytypes/{id}", g(self.show_type), methods=["GET"]),
        ]

    async def list_types(self, request: Request) -> Response:
        parties = self.emulator.resource("accounts")
        paging = parties.page_params(request)  # type: ignore[attr-defined]
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        window = list(self.types.values())[(page - 1) * per_page:page * per_page + 1]
        headers = parties.page_headers(request, page, per_page, len(window) > per_page)  # type: ignore[attr-defined]
        return answer(request, {"activityTypes": window[:per_page]}, headers=headers)

    async def show_type(self, request: Request) -> Response:
        raw = request.path_params["id"]
        found = self.types.get(int(raw)) if raw.lstrip("-").isdigit() else None
        if found is None:
            return error(request, 404, ACTIVITY_TYPE_NOT_FOUND_MESSAGE)
        return answer(request, {"activityType": found})


class Entries(Resource):
    name: ClassVar[str] = "engagements"
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ENTRY_ID)

    def _parties(self):
        return self.emulator.resource("accounts")

    def _deals(self):
        return self.emulator.resource("opportunities")

    def _types(self) -> ActivityTypes:
        return self.emulator.resource("engagement_types")  # type: ignore[return-value]

    # -- seed -------------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """Plain notes (three in five), calls and meetings, the account's own types, recorded emails and
        completed tasks, on people, organisations and opportunities; the newest entry is a plain note."""
        self.store.clear()
        parties = list(self._parties().store.live())
        people = [p for p in parties if p["type"] == "person"]
        organisations = [p for p in parties if p["type"] == "organisation"]
        deals = list(self._deals().store.live())
        custom = [t for t in self._types().types.values() if t["id"] > 0] or [{"id": CALL}]
        for i in range(count):
            kind = i % 5
            if kind in (0, 2, 4):
                entry_type, type_id = "note", NOTE
            elif kind == 1:
                entry_type, type_id = "note", (CALL, MEETING, custom[i % len(custom)]["id"])[(i // 5) % 3]
            else:
                entry_type, type_id = (("email", EMAIL_SENT), ("email", EMAIL_RECEIVED), ("task", TASK_COMPLETED))[(i // 5) % 3]
            party = opportunity = None
            if entry_type == "note" and i % 4 == 0 and deals:
                opportunity = deals[i % len(deals)]
            elif i % 4 == 1 and organisations:
                party = organisations[i % len(organisations)]
            elif people:
                party = people[i % len(people)]
            stamp = iso(SEED_EPOCH + 3_611 * i)
            entry = {
                "id": self.store.new_id(), "type": entry_type,
                "creator": self.user_summary(USERS[i % len(USERS)]),
                "activityType": self._types().summary(type_id),
                "createdAt": stamp, "updatedAt": iso(SEED_EPOCH + 3_611 * i + (60 if i % 3 == 0 else 0)),
                "entryAt": stamp,
                "content": _CONTENT[i % len(_CONTENT)] if entry_type != "task" else f"Send the contract pack {i + 1}",
                "attachments": [],
                "party": {"id": party["id"]} if party else None,
                "opportunity": {"id": opportunity["id"]} if opportunity else None,
                "kase": None,
            }
            if entry_type == "email":
                entry["subject"] = f"Re: proposal {i + 1}"
                entry["participants"] = [{"address": "sales@sandbox.example", "name": USERS[0]["name"], "role": "FROM"}]
            self.store.add(str(entry["id"]), entry)

    @staticmethod
    def user_summary(user: dict[str, Any]) -> dict[str, Any]:
        return {"id": user["id"], "username": user["username"], "name": user["name"]}

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(e, {"party", "opportunity", "activityType"}) for e in self.store.live()]

    def find(self, raw: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw))) if raw.isdigit() else None

    def render(self, entry: dict[str, Any], embed: set[str]) -> dict[str, Any]:
        """An entry as the API shows it: nested summaries, or the whole record where embedded."""
        out = dict(entry)
        parties = self._parties()
        party = parties.store.get(str(entry["party"]["id"])) if entry["party"] else None
        if entry["party"]:
            out["party"] = (None if party is None else parties.render(party, set()) if "party" in embed else
                            {"id": party["id"], "type": party["type"], "pictureURL": party["pictureURL"],
                             "name": party.get("name") or " ".join(
                                 x for x in (party.get("firstName"), party.get("lastName")) if x)})
        if entry["opportunity"]:
            deal = self._deals().store.get(str(entry["opportunity"]["id"]))
            out["opportunity"] = (None if deal is None else self._deals().render(deal, set()) if "opportunity" in embed
                                  else {"id": deal["id"], "name": deal["name"]})
        if "activityType" in embed and entry["activityType"]["id"] in self._types().types:
            out["activityType"] = self._types().types[entry["activityType"]["id"]]
        return out

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/entries", g(self.list_entries), methods=["GET"]),
            Route("/api/v2/entries", g(self.create), methods=["POST"]),
            Route("/api/v2/entries/{id}", g(self.show), methods=["GET"]),
            Route("/api/v2/entries/{id}", g(self.update), methods=["PUT"]),
            Route("/api/v2/entries/{id}", g(self.delete), methods=["DELETE"]),
            Route("/api/v2/parties/{id}/entries", g(self.of_party), methods=["GET"]),
            Route("/api/v2/opportunities/{id}/entries", g(self.of_opportunity), methods=["GET"]),
        ]

    # -- reads ------------------------------------------------------------------------------------------
    def _page(self, request: Request, entries: list[dict[str, Any]], max_per_page: int | None = None) -> Response:
        parties = self._parties()
        paging = parties.page_params(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        if max_per_page is not None and per_page > max_per_page:
            if self.emulator.switch["per_page_over_max"] == "refuse":
                return error(request, 400, f"perPage must be at most {max_per_page}")
            per_page = max_per_page
        ordered = sorted(entries, key=lambda e: (e["entryAt"], e["id"]), reverse=True)   # newest first
        start = (page - 1) * per_page
        window = ordered[start:start + per_page + 1]
        headers = parties.page_headers(request, page, per_page, len(window) > per_page)
        embed = parties.embeds(request)
        return answer(request, {"entries": [self.render(e, embed) for e in window[:per_page]]}, headers=headers)

    async def list_entries(self, request: Request) -> Response:
        return self._page(request, list(self.store.live()))

    async def of_party(self, request: Request) -> Response:
        party = self._parties().find(request.path_params["id"])
        if party is None:
            return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        return self._page(request, [e for e in self.store.live() if e["party"] and e["party"]["id"] == party["id"]],
                          MAX_ENTITY_PER_PAGE)

    async def of_opportunity(self, request: Request) -> Response:
        deal = self._deals().find(request.path_params["id"])
        if deal is None:
            return error(request, 404, "opportunity not found")
        return self._page(request, [e for e in self.store.live()
                                    if e["opportunity"] and e["opportunity"]["id"] == deal["id"]], MAX_ENTITY_PER_PAGE)

    async def show(self, request: Request) -> Response:
        entry = self.find(request.path_params["id"])
        if entry is None:
            return error(request, 404, ENTRY_NOT_FOUND_MESSAGE)
        return answer(request, {"entry": self.render(entry, self._parties().embeds(request))})

    # -- writes -----------------------------------------------------------------------------------------
    async def _payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("entry"), dict):
            return error(request, 400, "request body must be a JSON object with an entry")
        return body["entry"]

    async def create(self, request: Request) -> Response:
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        if data.get("type") != "note":
            return validation_error(request, [{"message": "type must be note", "resource": "entry", "field": "type"}])
        now = iso(time.time())
        entry: dict[str, Any] = {
            "id": 0, "type": "note", "creator": self.user_summary(USERS[0]),
            "activityType": self._types().summary(NOTE), "createdAt": now, "updatedAt": now, "entryAt": now,
            "content": None, "attachments": [], "party": None, "opportunity": None, "kase": None,
        }
        problems = self.apply(entry, data)
        if problems:
            return validation_error(request, problems)
        entry["id"] = self.store.new_id()
        self.store.add(str(entry["id"]), entry)
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{entry['id']}", query=""))
        return answer(request, {"entry": self.render(entry, self._parties().embeds(request))}, 201,
                      {"Location": location})

    async def update(self, request: Request) -> Response:
        entry = self.find(request.path_params["id"])
        if entry is None:
            return error(request, 404, ENTRY_NOT_FOUND_MESSAGE)
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        if entry["type"] == "task":
            return validation_error(request, [{"message": "a completed task entry cannot be updated",
                                               "resource": "entry", "field": "type"}])
        staged = dict(entry)
        problems = self.apply(staged, {k: v for k, v in data.items() if k != "type"})
        if problems:
            return validation_error(request, problems)
        staged["updatedAt"] = iso(time.time())
        entry.clear()
        entry.update(staged)
        return answer(request, {"entry": self.render(entry, self._parties().embeds(request))})

    async def delete(self, request: Request) -> Response:
        entry = self.find(request.path_params["id"])
        if entry is None:
            return error(request, 404, ENTRY_NOT_FOUND_MESSAGE)
        self.store.delete(str(entry["id"]))
        return Response(status_code=204, headers=request.state.rate_headers)

    def apply(self, entry: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
        """Validate and apply an entry body (create or the fields a PUT sends); the problems found."""
        problems: list[dict[str, Any]] = []

        def add(field: str, message: str) -> None:
            problems.append({"message": message, "resource": "entry", "field": field})

        if "content" in data:
            if data["content"] is not None and not isinstance(data["content"], str):
                add("content", "content is invalid")
            else:
                entry["content"] = data["content"]
        if "subject" in data and entry["type"] == "email":   # a note's subject is accepted and ignored (MCP)
            entry["subject"] = data["subject"]
        if "entryAt" in data:
            moment = parse_iso(data["entryAt"]) if isinstance(data["entryAt"], str) else None
            if moment is None:
                add("entryAt", "entryAt is invalid")
            else:
                entry["entryAt"] = iso(moment.timestamp())
        if "activityType" in data:
            ref = data["activityType"]
            summary = self._types().summary(ref.get("id")) if isinstance(ref, dict) else None
            if summary is None or summary["id"] in UNLISTED_TYPES:
                add("activityType", "activity type not found")
            else:
                entry["activityType"] = summary
        for link, store in (("party", self._parties().store), ("opportunity", self._deals().store)):
            if link in data:
                ref = data[link]
                target = store.get(str(ref.get("id"))) if isinstance(ref, dict) else None
                if ref is not None and target is None:
                    add(link, f"{link} not found")
                else:
                    entry[link] = {"id": target["id"]} if target else None
        if "kase" in data and data["kase"] is not None:
            add("kase", "kase not found")       # the sandbox holds no projects
        if sum(1 for link in ("party", "opportunity", "kase") if entry.get(link)) != 1:
            add("party", ONE_PARENT_MESSAGE)
        if not (entry.get("content") or "").strip() and not entry.get("attachments"):
            add("content", "content is required")
        return problems


class Notes(Resource):
    """The plain notes among the entries (activity type Note): a view of `engagements`' store, for the
    control API; the routes are the entries'."""

    name: ClassVar[str] = "notes"
    emulator: CapsuleEmulator

    def _entries(self) -> Entries:
        return self.emulator.resource("engagements")  # type: ignore[return-value]

    def seed(self, count: int) -> None:
        """Seeded with the entries."""

    def routes(self) -> list[Route]:
        return []

    def snapshot(self) -> list[dict[str, Any]]:
        return [e for e in self._entries().snapshot() if e["type"] == "note" and e["activityType"]["id"] == NOTE]
