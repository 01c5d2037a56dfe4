"""Outreach calls: the JSON:API v2 `call` resource (https://api.outreach.io/api/v2/calls,
https://developers.outreach.io/api/reference/tag/Call/), the calls logged in the CRM.

Attributes and relationships from the official OpenAPI call schema
(https://api.outreach.io/api/v2/schema/openapi.json):
- `direction` "must be either" `inbound` or `outbound`; `outcome` `Answered` or `Not Answered`; `note` plain
  text of at most 65,535 characters; `recordingUrl` an http(s) URL; `vendorCallId` at most 63 characters.
  Times: `dialedAt`, `answeredAt`, `completedAt`, `returnedAt`; `createdAt` is when the record was stored.
  There is no duration attribute. `state`, `stateChangedAt`, `uid` and `voicemailRecordingUrl` are read-only.
- Writable to-one relationships: `prospect`, `opportunity`, `user`, `task` (`callDisposition`,
  `callPurpose` and the sequence ones exist too; the sandbox holds none of those records, so it refuses
  them). Filters `filter[prospect][id]`, `filter[opportunity][id]`, `filter[user][id]`.
- The OpenAPI lists `GET`/`POST /calls` and `GET`/`DELETE /calls/{id}`, no PATCH, while the JSON
  hyper-schema (https://api.outreach.io/api/v2/schema.json) lists an update link: switch `call_update`,
  `refused` (default: 404 `routeNotFound`) or `allowed`.
Paging, status codes and error bodies are every type's (jsonapi.py). Deletion is permanent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.outreach.common import (
    ROUTE_NOT_FOUND_ERROR, SANDBOX_USER_IDS, SEED_EPOCH, error_document, iso, too_long, validation_error,
)
from unigate.sandbox.outreach.jsonapi import BOOL, STRING, STRINGS, JsonApiResource

ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("direction", "outcome", "note", "dialedAt", "answeredAt", "completedAt", "returnedAt", "from",
                     "to", "recordingUrl", "sequenceAction", "state", "stateChangedAt", "userCallType",
                     "vendorCallId", "externalVendor", "uid", "voicemailRecordingUrl", "createdAt", "updatedAt"),
                    STRING),
    "tags": STRINGS,
    "shouldRecordCall": BOOL,
}
READ_ONLY_ATTRIBUTES = ("state", "stateChangedAt", "uid", "voicemailRecordingUrl", "createdAt", "updatedAt")
TO_ONE_RELATIONSHIPS = {"prospect": "prospect", "opportunity": "opportunity", "user": "user", "task": "task",
                        "callDisposition": "callDisposition", "callPurpose": "callPurpose"}
WRITABLE_RELATIONSHIPS = frozenset({"prospect", "opportunity", "user", "task"})
RELATED_RESOURCES = {"prospect": "contacts", "opportunity": "opportunities", "task": "tasks"}
ENUMS = {"direction": ("inbound", "outbound"), "outcome": ("Answered", "Not Answered"),
         "sequenceAction": ("Advance", "Finish", "Finish - No Reply", "Finish - Replied"),
         "userCallType": ("bridge", "voip")}
MAX_LENGTHS = {"note": 65_535, "vendorCallId": 63}
CALL_UPDATE = ("refused", "allowed")

_NOTES = ["Left a voicemail about the renewal", "Discussed pricing for 40 seats", "<p>Intro call, <i>next</i>: demo</p>",
          "Gatekeeper, asked to call back", "Walked through the security review", "Confirmed the kickoff date"]


class Calls(JsonApiResource):
    """Outreach calls: seed and validation; no PATCH unless the switch allows it."""

    name = "engagements"
    type_name = "call"
    path = "calls"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = TO_ONE_RELATIONSHIPS
    writable_to_one = WRITABLE_RELATIONSHIPS

    def seed(self, count: int) -> None:
        """Calls with seeded prospects, every other one about one of the prospect's account's deals."""
        self.new_store()
        prospects = list(self.emulator.resource("contacts").store.live())  # type: ignore[attr-defined]
        deals_by_account: dict[int, int] = {}
        for deal in self.emulator.resource("opportunities").store.live():  # type: ignore[attr-defined]
            account_id = deal["relationships"].get("account")
            if account_id is not None:
                deals_by_account.setdefault(account_id, deal["id"])
        for i in range(count):
            prospect = prospects[i % len(prospects)] if prospects else None
            dialed = SEED_EPOCH + timedelta(hours=5 * i, minutes=21)
            answered = i % 3 != 2
            attributes = dict.fromkeys(ATTRIBUTE_TYPES)
            attributes.update({
                "direction": "inbound" if i % 4 == 1 else "outbound",
                "outcome": "Answered" if answered else "Not Answered",
                "note": f"{_NOTES[i % len(_NOTES)]} ({i + 1})",
                "dialedAt": iso(dialed), "answeredAt": iso(dialed + timedelta(seconds=12)) if answered else None,
                "completedAt": iso(dialed + timedelta(seconds=12 + (95 * i) % 1200 if answered else 30)),
                "from": "+15415550100", "to": f"+1541555{1000 + i:04d}", "state": "completed",
                "stateChangedAt": iso(dialed + timedelta(minutes=30)), "userCallType": "voip", "tags": [],
                "uid": f"call-{i + 1:06d}", "shouldRecordCall": i % 2 == 0,
                "recordingUrl": f"https://recordings.example.com/{i + 1}.mp3" if answered and i % 2 == 0 else None,
                "createdAt": iso(dialed + timedelta(minutes=31)), "updatedAt": iso(dialed + timedelta(minutes=31, seconds=i)),
            })
            account_id = prospect["relationships"].get("account") if prospect else None
            self.store_record(attributes, {
                "prospect": prospect["id"] if prospect else None,
                "opportunity": deals_by_account.get(account_id) if i % 2 == 0 and account_id is not None else None,
                "user": SANDBOX_USER_IDS[(i * 5) % len(SANDBOX_USER_IDS)],
            })

    def defaults(self) -> dict[str, Any]:
        return {"tags": [], "state": "completed"}

    def check(self, attributes, relations, record):
        for key, allowed in ENUMS.items():
            if attributes.get(key) is not None and attributes[key] not in allowed:
                return validation_error(f"{key} must be either {' or '.join(allowed)}.", f"/data/attributes/{key}")
        for key, limit in MAX_LENGTHS.items():
            if len(attributes.get(key) or "") > limit:
                return too_long(f"/data/attributes/{key}")
        url = attributes.get("recordingUrl")
        if url is not None and not url.startswith(("http://", "https://")):
            return validation_error("recordingUrl must be an HTTP or HTTPS URL.", "/data/attributes/recordingUrl")
        for relation, resource in RELATED_RESOURCES.items():
            target = relations.get(relation)
            if target is not None and self.emulator.resource(resource).store.get(target) is None:  # type: ignore[attr-defined]
                return {"id": "resourceNotFound", "title": "Resource Not Found",
                        "detail": f"Could not find '{self.to_one[relation]}' with ID '{target}'.",
                        "source": {"pointer": f"/data/relationships/{relation}"}}
        return None

    async def member(self, request: Request) -> Response:
        if request.method == "PATCH" and self.emulator.switch["call_update"] == "refused":
            early, headers, _ = await self.emulator._guard(request)  # type: ignore[attr-defined]
            if early is not None:
                return early
            return error_document(404, ROUTE_NOT_FOUND_ERROR, headers=headers)
        return await super().member(request)
