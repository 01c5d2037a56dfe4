"""Capsule API v2 opportunities: the emulator's `opportunities` resource.

https://developer.capsulecrm.com/v2/operations/Opportunity and https://developer.capsulecrm.com/v2/models/opportunity ;
"NOTES §n" cites the live-checked notes in https://github.com/soil-dev/capsulemcp (NOTES-ON-CAPSULE-API.md) and
"MCP" its `src/tools/opportunities.ts`.
- `GET /api/v2/opportunities?since=&page=&perPage=&embed=` → `{"opportunities": [...]}` with `Link`;
  `GET /api/v2/opportunities/{id}` (or up to 10 ids); `POST` (201 + `Location`), `PUT` (fields left out stay),
  `DELETE` (204; again → 404, NOTES §24); `GET /api/v2/parties/{id}/opportunities`.
- `embed`: `tags`, `party` (the whole party, a person with its organisation) and `milestone` (the whole
  milestone); without it `party` and `milestone` are summaries and `tags` is absent.
- Required: `name`, `party` (an existing party: person or organisation) and `milestone` (an existing one);
  the owner defaults to the token's user (NOTES §28).
- The milestone decides the pipeline: one of another pipeline is accepted and moves the deal there (NOTES §26).
  Moving to a complete milestone (Won, Lost) sets `closedOn` and the milestone's probability; moving back to
  an open one clears `closedOn`; `probability` sent with a complete milestone is refused (MCP: "probability can
  be updated only for open opportunity"); `lostReason` is kept only on a lost milestone.
- `value.amount` without `value.currency` is refused (MCP); `expectedCloseOn` is `YYYY-MM-DD`.
- Tags as for parties: `{"name"}` adds (tenant-wide ids), `{"id", "_delete": true}` removes (NOTES §18, §20).
- Custom field values as for parties, against the opportunities' own definitions
  (`GET /api/v2/opportunities/fields/definitions`, https://developer.capsulecrm.com/v2/operations/Custom_Field):
  `fields` is absent unless embedded; `{"definition": {"id"}, "value"}` sets a value, a null value clears it;
  NUMBER values read back as strings (NOTES §22).
Unverified wordings of 422 errors are this module's own, in Capsule's `{message, errors[]}` shape.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member, read_json
from unigate.sandbox.capsule.party_changes import PartyChanges
from unigate.sandbox.capsule.common import (
    PARTY_NOT_FOUND_MESSAGE, TOO_MANY_IDS_MESSAGE, TOO_MANY_IDS_STATUS, USERS, USERS_BY_ID, answer, changed_since, error, iso,
    parse_iso, validation_error,
)
from unigate.sandbox.collection import Collection

if TYPE_CHECKING:
    from unigate.sandbox.capsule import CapsuleEmulator

OPPORTUNITY_NOT_FOUND_MESSAGE = "opportunity not found"      # [unverified wording, as "party not found"]
CLOSED_PROBABILITY_MESSAGE = "probability can be updated only for open opportunity"   # MCP
# ISO 4217 codes the sandbox takes [unverified: Capsule's list is longer].
CURRENCIES = ("GBP", "USD", "EUR", "AUD", "CAD", "NZD", "JPY", "CHF")
DURATION_BASES = ("FIXED", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
LOST_REASONS = [{"id": 301, "name": "Price"}, {"id": 302, "name": "Competitor"}, {"id": 303, "name": "Timing"}]
FIRST_OPPORTUNITY_ID = 83_001
SEED_EPOCH = 1_600_200_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NAMES = ("Consulting", "Annual support", "Website build", "Training", "Licences", "Data audit", "Hosting",
          "Migration", "Retainer", "Hardware")
_TAGS = ("Hot", "Referral", "Tender")
# The opportunities' custom field definitions (their own, apart from the parties').
FIELD_DEFINITIONS: list[dict[str, Any]] = [
    {"id": 901, "name": "Seats", "type": "NUMBER"},
    {"id": 902, "name": "Lead Source", "type": "LIST", "options": ["Referral", "Web", "Event"]},
    {"id": 903, "name": "Competitor", "type": "TEXT"},
]
# The seeded definitions by id (each data space keeps its own copy: CapsuleEmulator.definitions).
FIELD_DEFINITIONS_BY_ID = {d["id"]: d for d in FIELD_DEFINITIONS}


def today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


class Opportunities(Resource):
    name: ClassVar[str] = "opportunities"
    emulator: CapsuleEmulator

    def __init__(self, emulator: CapsuleEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_OPPORTUNITY_ID)

    def _parties(self):
        return self.emulator.resource("accounts")

    def _milestones(self):
        return self.emulator.resource("stages")

    def seed(self, count: int) -> None:
        """Opportunities of people (most at an organisation) and of organisations, over every pipeline's
        milestones (Won and Lost ones included), in three currencies."""
        self.store.clear()
        parties = list(self._parties().store.live())
        people = [p for p in parties if p["type"] == "person"]
        organisations = [p for p in parties if p["type"] == "organisation"]
        pipelines = list(self.emulator.resource("pipelines").store.live())  # type: ignore[attr-defined]
        for i in range(count):
            party = (organisations[i % len(organisations)] if i % 4 == 3 and organisations
                     else people[i % len(people)] if people else None)
            pipeline = pipelines[0 if i % 2 == 0 else (i // 2) % len(pipelines)] if pipelines else None
            in_pipeline = self._milestones().of_pipeline(pipeline["id"]) if pipeline else []
            milestone = in_pipeline[i % len(in_pipeline)] if in_pipeline else None
            created = iso(SEED_EPOCH + 5_003 * i)
            closed = milestone is not None and milestone["complete"]
            deal = {
                "id": self.store.new_id(), "name": f"{_NAMES[i % len(_NAMES)]} {i + 1}",
                "description": f"Scoped at the {i % 12 + 1}/2020 review." if i % 3 == 0 else None,
                "party": {"id": party["id"]} if party else None,
                "milestone": {"id": milestone["id"]} if milestone else None,
                "owner": dict(USERS[i % len(USERS)]), "team": None,
                "value": {"amount": float(800 + 150 * i), "currency": ("GBP", "USD", "EUR")[i % 3]},
                "expectedCloseOn": datetime.fromtimestamp(SEED_EPOCH + 86_400 * (40 + i), timezone.utc).strftime("%Y-%m-%d"),
                "probability": milestone["probability"] if milestone else None, "durationBasis": "FIXED",
                "duration": None, "closedOn": created[:10] if closed else None,
                "lostReason": LOST_REASONS[i % 3] if closed and milestone["probability"] == 0 else None,
                "lastContactedAt": iso(SEED_EPOCH + 5_003 * i + 86_400) if i % 3 else None,
                "lastStageChangedAt": created, "lastOpenMilestone": None,
                "createdAt": created, "updatedAt": created, "tags": [],
            }
            if i % 3 == 1:
                deal["tags"] = [self.emulator.tag(_TAGS[i % len(_TAGS)], "opportunities")]
            deal["fields"] = ([self.field_value(901, str(5 + i % 40))] if i % 2 == 0 else []) + (
                [self.field_value(902, ("Referral", "Web", "Event")[i % 3])] if i % 3 == 0 else [])
            self.store.add(str(deal["id"]), deal)

    def snapshot(self) -> list[dict[str, Any]]:
        return [self.render(d, {"tags", "fields", "party", "milestone"}) for d in self.store.live()]

    def render(self, deal: dict[str, Any], embed: set[str]) -> dict[str, Any]:
        out = {k: v for k, v in deal.items() if k not in ("tags", "fields")}
        party = self._parties().store.get(str(deal["party"]["id"])) if deal["party"] else None
        if party is not None:
            out["party"] = (self._parties().render(party, set()) if "party" in embed else
                            {"id": party["id"], "type": party["type"], "pictureURL": party["pictureURL"],
                             "name": party.get("name") or " ".join(
                                 x for x in (party.get("firstName"), party.get("lastName")) if x)})
        milestone = self._milestones().find(deal["milestone"]["id"]) if deal["milestone"] else None
        if milestone is not None:
            out["milestone"] = (self._milestones().render(milestone) if "milestone" in embed
                                else {"id": milestone["id"], "name": milestone["name"]})
        if "tags" in embed:
            out["tags"] = deal["tags"]
        if "fields" in embed:
            out["fields"] = deal["fields"]
        return out

    def find(self, raw: str) -> dict[str, Any] | None:
        return self.store.get(str(int(raw))) if raw.isdigit() else None

    def routes(self) -> list[Route]:
        g = self.emulator.guarded
        return [
            Route("/api/v2/opportunities", g(self.list_opportunities), methods=["GET"]),
            Route("/api/v2/opportunities", g(self.create), methods=["POST"]),
            Route("/api/v2/opportunities/{ids}", g(self.show), methods=["GET"]),
            Route("/api/v2/opportunities/{id}", g(self.update), methods=["PUT"]),
            Route("/api/v2/opportunities/{id}", g(self.delete), methods=["DELETE"]),
            Route("/api/v2/parties/{id}/opportunities", g(self.of_party), methods=["GET"]),
        ]

    # -- reads ----------------------------------------------------------------------------------------
    def _page(self, request: Request, deals: list[dict[str, Any]]) -> Response:
        parties = self._parties()
        paging = parties.page_params(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        start = (page - 1) * per_page
        window = deals[start:start + per_page + 1]
        embed = parties.embeds(request)
        headers = {"Link": parties.next_link(request, page, per_page)} if len(window) > per_page else {}
        return answer(request, {"opportunities": [self.render(d, embed) for d in window[:per_page]]}, headers=headers)

    async def list_opportunities(self, request: Request) -> Response:
        deals = list(self.store.live())
        since_raw = request.query_params.get("since")
        if since_raw:
            since = parse_iso(since_raw)
            if since is None:
                return validation_error(request, [{"message": "since is invalid", "resource": "opportunity",
                                                   "field": "since"}])
            deals = changed_since(deals, since, self.emulator.switch["since_comparison"])
        return self._page(request, deals)

    async def of_party(self, request: Request) -> Response:
        party = self._parties().find(request.path_params["id"])
        if party is None:
            return error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        return self._page(request, [d for d in self.store.live() if d["party"] and d["party"]["id"] == party["id"]])

    async def show(self, request: Request) -> Response:
        raw = request.path_params["ids"]
        embed = self._parties().embeds(request)
        ids = [part for part in raw.split(",") if part]
        if len(ids) > 10:
            return error(request, TOO_MANY_IDS_STATUS, TOO_MANY_IDS_MESSAGE)
        found = [self.find(part) for part in ids]
        if not ids or any(d is None for d in found):
            return error(request, 404, OPPORTUNITY_NOT_FOUND_MESSAGE)
        if "," in raw:
            return answer(request, {"opportunities": [self.render(d, embed) for d in found]})  # type: ignore[arg-type]
        return answer(request, {"opportunity": self.render(found[0], embed)})  # type: ignore[arg-type]

    # -- writes ---------------------------------------------------------------------------------------
    async def _payload(self, request: Request) -> dict[str, Any] | Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("opportunity"), dict):
            return error(request, 400, "request body must be a JSON object with an opportunity")
        return body["opportunity"]

    async def create(self, request: Request) -> Response:
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        now = iso(time.time())
        deal: dict[str, Any] = {
            "id": 0, "name": None, "description": None, "party": None, "milestone": None, "owner": dict(USERS[0]),
            "team": None, "value": None, "expectedCloseOn": None, "probability": None, "durationBasis": "FIXED",
            "duration": None, "closedOn": None, "lostReason": None, "lastContactedAt": None,
            "lastStageChangedAt": now, "lastOpenMilestone": None, "createdAt": now, "updatedAt": now, "tags": [],
            "fields": [],
        }
        problems = self.apply(deal, data, creating=True)
        if problems:
            return validation_error(request, problems)
        deal["id"] = self.store.new_id()
        self.store.add(str(deal["id"]), deal)
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{deal['id']}", query=""))
        return answer(request, {"opportunity": self.render(deal, self._parties().embeds(request))}, 201,
                      {"Location": location})

    async def update(self, request: Request) -> Response:
        deal = self.find(request.path_params["id"])
        if deal is None:
            return error(request, 404, OPPORTUNITY_NOT_FOUND_MESSAGE)
        data = await self._payload(request)
        if isinstance(data, Response):
            return data
        staged = {**deal, "tags": list(deal["tags"]), "fields": [dict(f) for f in deal["fields"]]}
        problems = self.apply(staged, data, creating=False)
        if problems:
            return validation_error(request, problems)
        staged["updatedAt"] = iso(time.time())
        deal.clear()
        deal.update(staged)
        return answer(request, {"opportunity": self.render(deal, self._parties().embeds(request))})

    async def delete(self, request: Request) -> Response:
        deal = self.find(request.path_params["id"])
        if deal is None:
            return error(request, 404, OPPORTUNITY_NOT_FOUND_MESSAGE)
        self.store.delete(str(deal["id"]))
        return Response(status_code=204, headers=request.state.rate_headers)

    def apply(self, deal: dict[str, Any], data: dict[str, Any], creating: bool) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []

        def add(field: str, message: str) -> None:
            problems.append({"message": message, "resource": "opportunity", "field": field})

        def ref_id(key: str) -> Any:
            value = data.get(key)
            return value.get("id") if isinstance(value, dict) else None

        if (creating or "name" in data) and not (isinstance(data.get("name"), str) and data["name"].strip()):
            add("name", "name is required")
        if creating or "party" in data:
            party_id = ref_id("party")
            party = self._parties().store.get(str(party_id)) if isinstance(party_id, int) and not isinstance(
                party_id, bool) else None
            if party is None:
                add("party", "party is required" if party_id is None else PARTY_NOT_FOUND_MESSAGE)
            else:
                deal["party"] = {"id": party["id"]}
        milestone = None
        if creating or "milestone" in data:
            milestone = self._milestones().find(ref_id("milestone"))
            if milestone is None:
                add("milestone", "milestone is required" if ref_id("milestone") is None else "milestone not found")
        if "owner" in data:
            owner_id = ref_id("owner")
            if data["owner"] is not None and not member(owner_id, USERS_BY_ID):
                add("owner", "user not found")
            else:
                deal["owner"] = dict(USERS_BY_ID[owner_id]) if owner_id in USERS_BY_ID else None
        if "value" in data:
            value = data["value"]
            if value is not None:
                amount = value.get("amount") if isinstance(value, dict) else None
                currency = value.get("currency") if isinstance(value, dict) else None
                if not isinstance(value, dict) or isinstance(amount, bool) or not isinstance(amount, (int, float)):
                    add("value", "value.amount must be a number")
                elif currency is None:
                    add("value", "value.currency is required with value.amount")
                elif not member(currency, CURRENCIES):
                    add("value", f"value.currency {currency} is not a known currency")
                else:
                    deal["value"] = {"amount": float(amount), "currency": currency}
            else:
                deal["value"] = None
        for key in ("description",):
            if key in data:
                if data[key] is not None and not isinstance(data[key], str):
                    add(key, f"{key} is invalid")
                else:
                    deal[key] = data[key]
        if "expectedCloseOn" in data:
            date = data["expectedCloseOn"]
            if date is not None and not (isinstance(date, str) and _DATE.match(date)):
                add("expectedCloseOn", "expectedCloseOn must be a date (YYYY-MM-DD)")
            else:
                deal["expectedCloseOn"] = date
        if "durationBasis" in data and not member(data["durationBasis"], DURATION_BASES):
            add("durationBasis", "durationBasis is invalid")
        if "tags" in data:
            problem = self.change_tags(deal, data["tags"])
            if problem:
                add("tags", problem)
        if "fields" in data:
            problem = self.change_fields(deal, data["fields"])
            if problem:
                add("fields", problem)
        if "name" in data and isinstance(data.get("name"), str):
            deal["name"] = data["name"].strip()
        target = milestone or self._milestones().find((deal["milestone"] or {}).get("id"))
        if "probability" in data:
            chance = data["probability"]
            if target is not None and target["complete"]:
                add("probability", CLOSED_PROBABILITY_MESSAGE)
            elif chance is not None and (isinstance(chance, bool) or not isinstance(chance, int)
                                         or not 0 <= chance <= 100):
                add("probability", "probability must be between 0 and 100")
            else:
                deal["probability"] = chance
        if problems:
            return problems
        if milestone is not None and (deal["milestone"] or {}).get("id") != milestone["id"]:
            self.move(deal, milestone, keep_probability="probability" in data)
        if "lostReason" in data and target is not None and target["complete"] and target["probability"] == 0:
            deal["lostReason"] = data["lostReason"]
        return []

    def move(self, deal: dict[str, Any], milestone: dict[str, Any], keep_probability: bool) -> None:
        """Put the deal on `milestone` (and so in its pipeline): closing ones set closedOn and their probability."""
        was_open = deal["milestone"] is not None and not self._milestones().find(deal["milestone"]["id"])["complete"]
        if was_open and milestone["complete"]:
            deal["lastOpenMilestone"] = {"id": deal["milestone"]["id"]}
        deal["milestone"] = {"id": milestone["id"]}
        deal["lastStageChangedAt"] = iso(time.time())
        if milestone["complete"]:
            deal["closedOn"] = deal["closedOn"] or today()
            deal["probability"] = milestone["probability"]
        else:
            deal["closedOn"] = None
            if not keep_probability:
                deal["probability"] = milestone["probability"]
        if not (milestone["complete"] and milestone["probability"] == 0):
            deal["lostReason"] = None

    def change_tags(self, deal: dict[str, Any], items: Any) -> str | None:
        """`{"name"}` adds a tag, `{"id", "_delete": true}` removes one (NOTES §18, §20, §24)."""
        if not isinstance(items, list) or not all(isinstance(t, dict) for t in items):
            return "tags are invalid"
        for item in items:
            if item.get("_delete"):
                if not any(t["id"] == item.get("id") for t in deal["tags"]):
                    return "tag not found to delete"
                deal["tags"] = [t for t in deal["tags"] if t["id"] != item.get("id")]
            elif isinstance(item.get("name"), str) and item["name"].strip():
                tag = self.emulator.tag(item["name"], "opportunities")
                if all(t["id"] != tag["id"] for t in deal["tags"]):
                    deal["tags"].append(tag)
            else:
                return "tag name is required"
        return None

    def change_fields(self, deal: dict[str, Any], items: Any) -> str | None:
        """`{"definition": {"id"}, "value"}` sets a value (null clears it), checked as the parties' are."""
        if not isinstance(items, list) or not all(isinstance(f, dict) for f in items):
            return "fields must be an array"
        for item in items:
            ref = item.get("definition")
            definition = self.emulator.definition("opportunities", ref.get("id") if isinstance(ref, dict) else None)
            if definition is None:
                return "definition is invalid"
            value = item.get("value")
            problem = PartyChanges._field_problem(definition, value)
            if problem:
                return problem
            deal["fields"] = [f for f in deal["fields"] if f["definition"]["id"] != definition["id"]]
            if value is not None:
                if definition["type"] == "NUMBER":
                    number = float(value)
                    value = str(int(number)) if number.is_integer() else str(number)
                deal["fields"].append(self.field_value(definition["id"], value))
        return None

    def field_value(self, definition_id: int, value: Any) -> dict[str, Any]:
        definition = self.emulator.definition("opportunities", definition_id)
        assert definition is not None
        return {"id": self.emulator.child_id(), "definition": {"id": definition["id"], "name": definition["name"]},
                "value": value, "tagId": None}
