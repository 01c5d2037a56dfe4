"""Outreach prospect notes: the JSON:API v2 `prospectNote` resource (https://api.outreach.io/api/v2/prospectNotes,
https://developers.outreach.io/api/reference/tag/Prospect-Note/), the notes written on prospects.

Attributes and relationships from that reference:
- `message` (at most 65,535 characters, kept as written), `noteType` (one of note, call, coffee, beer,
  meeting), `pinned`, `createdAt` (read-only); `opportunityAssociationRule` (`recent_created` or
  `recent_updated`) is write-only: it links the note to the prospect's most recently created or updated
  opportunity (of the prospect's account, in the sandbox). A note has no `updatedAt`.
- Relationships: `prospect` (writable, the only one a list can filter on: `filter[prospect][id]`),
  `opportunity` and `creator` (read-only).
- A note without a prospect is 422 [unverified: the reference marks nothing required; a prospect note is
  the prospect's].
Notes on accounts are Outreach's separate `accountNote` type, not emulated. Paging, status codes and error
bodies are every type's (jsonapi.py). Deletion is permanent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from unigate.sandbox.base import member
from unigate.sandbox.outreach.common import SANDBOX_USER_IDS, SEED_EPOCH, iso, too_long, validation_error
from unigate.sandbox.outreach.jsonapi import BOOL, STRING, JsonApiResource

ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("message", "noteType", "opportunityAssociationRule", "createdAt"), STRING),
    "pinned": BOOL,
}
READ_ONLY_ATTRIBUTES = ("createdAt",)
WRITE_ONLY_ATTRIBUTES = ("opportunityAssociationRule",)
NOTE_TYPES = ("note", "call", "coffee", "beer", "meeting")
ASSOCIATION_RULES = ("recent_created", "recent_updated")
TO_ONE_RELATIONSHIPS = {"prospect": "prospect", "opportunity": "opportunity", "creator": "user"}
WRITABLE_RELATIONSHIPS = frozenset({"prospect"})
MAX_MESSAGE_LENGTH = 65_535

_MESSAGES = ["Prefers email over calls.", "Met at the <b>SaaStr</b> booth", "Budget signed off for Q3.",
             "Asked for the SOC 2 report.", "Champion; loops in procurement next week.", "On leave until the 14th."]


class Notes(JsonApiResource):
    """Outreach prospect notes: seed, validation, the association rule and the missing `updatedAt`."""

    name = "notes"
    type_name = "prospectNote"
    path = "prospectNotes"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = TO_ONE_RELATIONSHIPS
    writable_to_one = WRITABLE_RELATIONSHIPS

    def seed(self, count: int) -> None:
        """Notes on seeded prospects, every third one linked to a deal of the prospect's account."""
        self.new_store()
        prospects = list(self.emulator.resource("contacts").store.live())  # type: ignore[attr-defined]
        latest: dict[int, dict[str, Any]] = {}   # account -> its most recently created deal (one pass)
        for deal in self.emulator.resource("opportunities").store.live():  # type: ignore[attr-defined]
            account = deal["relationships"].get("account")
            if account is not None and (account not in latest or (deal["attributes"]["createdAt"], deal["id"]) >
                                        (latest[account]["attributes"]["createdAt"], latest[account]["id"])):
                latest[account] = deal
        for i in range(count):
            prospect = prospects[i % len(prospects)] if prospects else None
            created = SEED_EPOCH + timedelta(hours=4 * i, minutes=17)
            attributes = dict.fromkeys(ATTRIBUTE_TYPES)
            attributes.update({"message": f"{_MESSAGES[i % len(_MESSAGES)]} ({i + 1})",
                               "noteType": NOTE_TYPES[i % len(NOTE_TYPES)], "pinned": i % 5 == 0,
                               "createdAt": iso(created)})
            record = self.store_record(attributes, {
                "prospect": prospect["id"] if prospect else None, "creator": SANDBOX_USER_IDS[i % len(SANDBOX_USER_IDS)],
                "opportunity": (latest.get(prospect["relationships"].get("account")) or {}).get("id")
                if prospect and i % 3 == 0 else None,
            })
            self.derive(record)

    def _opportunity(self, prospect: dict[str, Any] | None, rule: str) -> int | None:
        """The prospect's account's most recently created (or updated) opportunity, for the association rule."""
        account = prospect["relationships"].get("account") if prospect else None
        deals = [d for d in self.emulator.resource("opportunities").store.live()  # type: ignore[attr-defined]
                 if account is not None and d["relationships"].get("account") == account]
        key = "createdAt" if rule == "recent_created" else "updatedAt"
        return max(deals, key=lambda d: (d["attributes"][key] or "", d["id"]))["id"] if deals else None

    def defaults(self) -> dict[str, Any]:
        return {"noteType": "note", "pinned": False}

    def check(self, attributes, relations, record):
        if record is None and relations.get("prospect") is None:
            return validation_error("Prospect can't be blank.", "/data/relationships/prospect")
        if attributes.get("noteType") is not None and not member(attributes["noteType"], NOTE_TYPES):
            return validation_error("noteType is not included in the list.", "/data/attributes/noteType")
        rule = attributes.get("opportunityAssociationRule")
        if rule is not None and not member(rule, ASSOCIATION_RULES):
            return validation_error("opportunityAssociationRule is not included in the list.",
                                    "/data/attributes/opportunityAssociationRule")
        if len(attributes.get("message") or "") > MAX_MESSAGE_LENGTH:
            return too_long("/data/attributes/message")
        target = relations.get("prospect")
        if target is not None and self.emulator.resource("contacts").store.get(target) is None:  # type: ignore[attr-defined]
            return {"id": "resourceNotFound", "title": "Resource Not Found",
                    "detail": f"Could not find 'prospect' with ID '{target}'.",
                    "source": {"pointer": "/data/relationships/prospect"}}
        return None

    def derive(self, record: dict[str, Any]) -> None:
        """Apply and forget the write-only association rule; a note keeps no `updatedAt`."""
        attributes = record["attributes"]
        rule = attributes.get("opportunityAssociationRule")
        if rule is not None:
            prospect = self.emulator.resource("contacts").store.get(record["relationships"].get("prospect"))  # type: ignore[attr-defined]
            record["relationships"]["opportunity"] = self._opportunity(prospect, rule)
        for key in (*WRITE_ONLY_ATTRIBUTES, "updatedAt"):
            attributes.pop(key, None)
