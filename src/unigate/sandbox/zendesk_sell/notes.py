"""Zendesk Sell notes: `/v2/notes` (https://developer.zendesk.com/api-reference/sales-crm/resources/notes/;
basecrm-ruby `services/notes_service.rb`, `models/note.rb`, https://github.com/zendesk/basecrm-ruby).

- Fields `id, creator_id, content, resource_type, resource_id, is_important, tags, type, created_at,
  updated_at`; `content` is kept as written (plain text in Sell's UI, no markup is stripped).
- A note is on one record, `resource_type` (`lead`, `contact`, `deal`) and `resource_id`; a create needs
  `content` and its record [unverified for the record: every documented example names one; switch
  `note_parent_required`].
- List filters `ids`, `creator_id`, `q` (full text on the content), `resource_type`, `resource_id`;
  `sort_by` default `updated_at:asc`. Routes, paging and errors: activity.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from unigate.sandbox.zendesk_sell.activity import LEAD_IDS, Problems, SellActivity
from unigate.sandbox.zendesk_sell.common import TOKEN_USER, USERS, now_timestamp, timestamp

NOTE_PARENT_REQUIRED = (True, False)
FIRST_NOTE_ID = 60_001
_TEXTS = ["Asked for a quote on 40 seats.", "Prefers calls after 3pm CET.", "Budget approved for Q3.",
          "Met at the Berlin trade fair.\nFollow up with the case study.", "Legal reviews the MSA this week.",
          "Champion moved to the procurement team.", "Wants SSO before signing."]
_SEED_START = datetime(2022, 6, 1, 9, 30, 0, tzinfo=timezone.utc)


class Notes(SellActivity):
    name = "notes"
    plural = "notes"
    singular = "note"
    first_id = FIRST_NOTE_ID
    int_filters = ("creator_id", "resource_id")
    sortable = ("id", "created_at", "updated_at", "resource_type")

    def seed(self, count: int) -> None:
        """Notes on seeded organisations, persons and deals in turn, every seventh on a lead."""
        self.new_store()
        accounts = self.emulator.resource("accounts")
        parents = [("contact", list(accounts.organization_ids)), ("contact", list(accounts.person_ids)),  # type: ignore[attr-defined]
                   ("deal", list(self.emulator.resource("opportunities").records))]  # type: ignore[attr-defined]
        for i in range(count):
            kind, ids = ("lead", list(LEAD_IDS)) if i % 7 == 6 else parents[i % 3]
            created = _SEED_START + timedelta(hours=6 * i, minutes=i % 50)
            note_id = self.store.new_id()
            self.store.add(note_id, {
                "id": note_id, "creator_id": USERS[i % len(USERS)]["id"],
                "content": f"{_TEXTS[i % len(_TEXTS)]} ({i + 1})",
                "resource_type": kind if ids else None, "resource_id": ids[(i // 3) % len(ids)] if ids else None,
                "is_important": i % 5 == 0, "tags": ["follow-up"] if i % 4 == 0 else [], "type": "regular",
                "created_at": timestamp(created), "updated_at": timestamp(created + timedelta(hours=2, minutes=i)),
            })

    def blank(self) -> dict[str, Any]:
        now = now_timestamp()
        return {"id": 0, "creator_id": TOKEN_USER["id"], "content": None, "resource_type": None,
                "resource_id": None, "is_important": False, "tags": [], "type": "regular", "created_at": now,
                "updated_at": now}

    def list_checks(self, query):
        text = (query.get("q") or "").lower()
        return [lambda r: text in (r.get("content") or "").lower()] if text else []

    def apply(self, record: dict[str, Any], values: dict[str, Any], creating: bool) -> Problems:
        changes = {k: values[k] for k in ("content", "resource_type", "resource_id", "is_important", "tags")
                   if k in values}
        problems: Problems = []
        if (creating or "content" in changes) and not (isinstance(changes.get("content", record["content"]), str)
                                                       and changes.get("content", record["content"]).strip()):
            problems.append(self.problem("content", "blank", "can't be blank"))
        if creating or "resource_type" in changes or "resource_id" in changes:
            problems += self.check_parent(record, changes, bool(self.emulator.switch["note_parent_required"]))
        if "is_important" in changes and not isinstance(changes["is_important"], bool):
            problems.append(self.problem("is_important", "invalid", "is invalid"))
        if "tags" in changes and not (isinstance(changes["tags"], list)
                                      and all(isinstance(t, str) for t in changes["tags"])):
            problems.append(self.problem("tags", "invalid", "is invalid"))
        if problems:
            return problems
        record.update(changes)
        record["updated_at"] = now_timestamp()
        return []
