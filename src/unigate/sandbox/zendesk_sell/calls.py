"""Zendesk Sell calls: `/v2/calls` and `/v2/call_outcomes` (https://developers.futuresimple.com/docs/rest/reference/calls;
basecrm-ruby `services/calls_service.rb`, `models/call.rb`, `services/call_outcomes_service.rb`,
https://github.com/zendesk/basecrm-ruby).

- Fields `id, user_id, summary, recording_url, outcome_id, duration (seconds), phone_number, incoming,
  missed, resource_type, resource_id, associated_deal_ids, made_at, external_id, updated_at` (no
  `created_at`). `summary` is kept as written.
- A call is with one `lead` or `contact` (`resource_type` + `resource_id`) and about any number of deals
  (`associated_deal_ids`). `made_at` defaults to the time of the create and `user_id` to the caller.
  Whether `phone_number` is required is [unverified] (a connector's documentation says so): switch
  `call_phone_number_required` (False, default, or True).
- The reference documents the update as attaching a contact or lead or changing that association, while the
  official client sends every field: switch `call_update`, `any` field (default) or `associations` only
  (the others are ignored) [unverified].
- The list takes `ids`, `resource_type`, `resource_id` and is always sorted by `made_at`, newest first;
  `sort_by` is not taken. Call outcomes (`GET /v2/call_outcomes`, by id) are what `outcome_id` names.
  Routes, paging and errors: activity.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import member
from unigate.sandbox.zendesk_sell.activity import LEAD_IDS, Problems, SellActivity
from unigate.sandbox.zendesk_sell.common import TOKEN_USER, USER_IDS, USERS, collection, now_timestamp, page_bounds, timestamp

CALL_UPDATE = ("any", "associations")
CALL_PHONE_NUMBER_REQUIRED = (False, True)
FIRST_CALL_ID = 80_001
CALL_OUTCOMES = [{"id": 11 + i, "name": name, "creator_id": USERS[0]["id"], "created_at": "2022-01-10T09:00:00Z",
                  "updated_at": "2022-01-10T09:00:00Z"}
                 for i, name in enumerate(("Interested", "Not interested", "Left voicemail", "No answer"))]
OUTCOME_IDS = {o["id"] for o in CALL_OUTCOMES}
ASSOCIATIONS = ("resource_type", "resource_id", "associated_deal_ids")
_SUMMARIES = ["Discussed pricing for the annual plan", "Left a voicemail", "Walked through the integration options",
              "Confirmed the kickoff date", "Gatekeeper asked to call back on Friday", "Reviewed the security answers"]
_SEED_START = datetime(2022, 8, 1, 14, 0, 0, tzinfo=timezone.utc)


def _utc(value: Any) -> str | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        return timestamp(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


class Calls(SellActivity):
    name = "engagements"
    plural = "calls"
    singular = "call"
    first_id = FIRST_CALL_ID
    resource_types = ("lead", "contact")
    int_filters = ("resource_id",)

    def routes(self) -> list[Route]:
        return [*super().routes(), Route("/v2/call_outcomes", self.outcomes, methods=["GET"])]

    def seed(self, count: int) -> None:
        """Calls with seeded persons (a few with organisations or leads), most about one of the person's deals."""
        self.new_store()
        accounts = self.emulator.resource("accounts")
        persons = list(accounts.person_ids)  # type: ignore[attr-defined]
        organizations = list(accounts.organization_ids)  # type: ignore[attr-defined]
        deals_of: dict[int, list[int]] = {}
        for deal in self.emulator.resource("opportunities").records.values():  # type: ignore[attr-defined]
            deals_of.setdefault(deal["contact_id"], []).append(deal["id"])
        for i in range(count):
            on_org = i % 5 == 4 and organizations
            target = (organizations[i % len(organizations)] if on_org else persons[i % len(persons)]) if persons else None
            kind = "lead" if i % 7 == 6 else "contact" if target is not None else None
            if kind == "lead":
                target = LEAD_IDS[i % len(LEAD_IDS)]
            made = _SEED_START + timedelta(hours=7 * i, minutes=i % 45)
            missed = i % 4 == 3
            call_id = self.store.new_id()
            self.store.add(call_id, {
                "id": call_id, "user_id": USERS[i % len(USERS)]["id"],
                "summary": f"{_SUMMARIES[i % len(_SUMMARIES)]} ({i + 1})",
                "recording_url": f"https://recordings.example.com/sell/{i + 1}.mp3" if i % 3 == 0 and not missed else None,
                "outcome_id": CALL_OUTCOMES[i % len(CALL_OUTCOMES)]["id"], "duration": 0 if missed else 60 + (97 * i) % 1500,
                "phone_number": f"+1 415 555 {4000 + i:04d}", "incoming": i % 3 == 1, "missed": missed,
                "resource_type": kind, "resource_id": target,
                "associated_deal_ids": deals_of.get(target, [])[:1] if i % 2 == 0 else [],
                "made_at": timestamp(made), "external_id": None,
                "updated_at": timestamp(made + timedelta(minutes=40)),
            })

    def blank(self) -> dict[str, Any]:
        now = now_timestamp()
        return {"id": 0, "user_id": TOKEN_USER["id"], "summary": None, "recording_url": None, "outcome_id": None,
                "duration": None, "phone_number": None, "incoming": False, "missed": False, "resource_type": None,
                "resource_id": None, "associated_deal_ids": [], "made_at": now, "external_id": None, "updated_at": now}

    def ordered(self, records, sort_by):
        """Always `made_at` descending (calls_service.rb); `sort_by` is not one of the list's parameters."""
        return sorted(records, key=lambda r: (r["made_at"], r["id"]), reverse=True)

    def apply(self, record: dict[str, Any], values: dict[str, Any], creating: bool) -> Problems:
        changes = {k: values[k] for k in ("user_id", "summary", "recording_url", "outcome_id", "duration",
                                          "phone_number", "incoming", "missed", "external_id", "resource_type",
                                          "resource_id", "associated_deal_ids", "made_at") if k in values}
        if not creating and self.emulator.switch["call_update"] == "associations":
            changes = {k: v for k, v in changes.items() if k in ASSOCIATIONS}
        problems: Problems = []
        phone = changes.get("phone_number", record["phone_number"])
        if creating and self.emulator.switch["call_phone_number_required"] and not (isinstance(phone, str) and phone.strip()):
            problems.append(self.problem("phone_number", "blank", "can't be blank"))
        if changes.get("made_at") is not None:
            made = _utc(changes["made_at"])
            if made is None:
                problems.append(self.problem("made_at", "invalid", "is not a date-time"))
            changes["made_at"] = made
        elif "made_at" in changes:
            changes.pop("made_at")   # the time of the create stays
        duration = changes.get("duration")
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 0):
            problems.append(self.problem("duration", "invalid", "must be a non-negative integer"))
        for key in ("incoming", "missed"):
            if key in changes and not isinstance(changes[key], bool):
                problems.append(self.problem(key, "invalid", "is invalid"))
        # Strings in the calls reference (https://developers.futuresimple.com/docs/rest/reference/calls).
        for key in ("summary", "phone_number", "recording_url", "external_id"):
            if changes.get(key) is not None and not isinstance(changes[key], str):
                problems.append(self.problem(key, "invalid", "is invalid"))
        if changes.get("outcome_id") is not None and not member(changes["outcome_id"], OUTCOME_IDS):
            problems.append(self.problem("outcome_id", "invalid", "is invalid"))
        if "user_id" in changes and (isinstance(changes["user_id"], bool) or not member(changes["user_id"], USER_IDS)):
            problems.append(self.problem("user_id", "invalid", "is invalid"))
        deals = self.emulator.resource("opportunities").records  # type: ignore[attr-defined]
        if "associated_deal_ids" in changes and not (
                isinstance(changes["associated_deal_ids"], list)
                and all(isinstance(d, int) and not isinstance(d, bool) and d in deals for d in changes["associated_deal_ids"])):
            problems.append(self.problem("associated_deal_ids", "invalid", "is invalid"))
        if "resource_type" in changes or "resource_id" in changes:
            problems += self.check_parent(record, changes, required=False)
        if problems:
            return problems
        record.update(changes)
        record["updated_at"] = now_timestamp()
        return []

    async def outcomes(self, request: Request) -> Response:
        denied = self.emulator.check(request)
        if denied:
            return denied
        bounds = page_bounds(request.query_params)
        if isinstance(bounds, str):
            return self.emulator.error(request, 400, "bad_request", "Invalid query parameters", bounds)
        return self.emulator.ok(request, collection(request, CALL_OUTCOMES, *bounds, "call_outcome"))
