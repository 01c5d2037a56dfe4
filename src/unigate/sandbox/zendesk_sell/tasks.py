"""Zendesk Sell tasks: `/v2/tasks` (https://developer.zendesk.com/api-reference/sales-crm/resources/tasks/;
basecrm-ruby `services/tasks_service.rb`, `models/task.rb`, https://github.com/zendesk/basecrm-ruby).

- Fields `id, creator_id, owner_id, resource_type, resource_id, completed, completed_at, due_date, overdue,
  remind_at, content, created_at, updated_at`; `completed_at` and `overdue` are read-only: `completed_at`
  is stamped when `completed` turns true (and cleared when it turns false), `overdue` is a due date in the
  past on an open task. `due_date` and `remind_at` are ISO 8601 date-times.
- A task is floating (no record) or on one record, `resource_type` (`lead`, `contact`, `deal`) and
  `resource_id`. `content` is required [unverified beyond the reference's examples].
- List filters `ids`, `completed`, `creator_id`, `owner_id`, `overdue`, `q` (full text on the content),
  `resource_type`, `resource_id`, `type` (`floating` or `related`); `sort_by` default `updated_at:asc`.
  Routes, paging and errors: activity.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from unigate.sandbox.base import member
from unigate.sandbox.zendesk_sell.activity import LEAD_IDS, Problems, SellActivity
from unigate.sandbox.zendesk_sell.common import TOKEN_USER, USER_IDS, USERS, now_timestamp, timestamp

FIRST_TASK_ID = 70_001
_TEXTS = ["Call back about the renewal", "Send the updated proposal", "Prepare the onboarding plan",
          "Check in after the demo", "Confirm the PO number", "Book the QBR"]
_SEED_START = datetime(2022, 7, 4, 8, 0, 0, tzinfo=timezone.utc)


def _datetime(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _utc(value: str) -> str:
    return timestamp(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _flag(raw: str | None) -> bool | None:
    return None if raw is None or raw == "" else raw.lower() in ("true", "1")


class Tasks(SellActivity):
    name = "tasks"
    plural = "tasks"
    singular = "task"
    first_id = FIRST_TASK_ID
    int_filters = ("creator_id", "owner_id", "resource_id")
    sortable = ("id", "created_at", "updated_at", "due_date", "resource_type")

    def seed(self, count: int) -> None:
        """Tasks on seeded persons, organisations, deals and leads, and some floating ones; every third done."""
        self.new_store()
        accounts = self.emulator.resource("accounts")
        parents = [("contact", list(accounts.person_ids)), ("deal", list(self.emulator.resource("opportunities").records)),  # type: ignore[attr-defined]
                   ("contact", list(accounts.organization_ids)), (None, [])]  # type: ignore[attr-defined]
        for i in range(count):
            kind, ids = ("lead", list(LEAD_IDS)) if i % 7 == 6 else parents[i % 4]
            created = _SEED_START + timedelta(hours=8 * i, minutes=i % 40)
            done = i % 3 == 2
            task_id = self.store.new_id()
            self.store.add(task_id, {
                "id": task_id, "creator_id": USERS[i % len(USERS)]["id"], "owner_id": USERS[(i + 1) % len(USERS)]["id"],
                "resource_type": kind if ids else None, "resource_id": ids[(i // 4) % len(ids)] if ids else None,
                "completed": done, "completed_at": timestamp(created + timedelta(days=1)) if done else None,
                "due_date": timestamp(created + timedelta(days=2 + i % 9, hours=3)),
                "remind_at": timestamp(created + timedelta(days=2 + i % 9, hours=2)) if i % 2 == 0 else None,
                "content": f"{_TEXTS[i % len(_TEXTS)]} ({i + 1})",
                "created_at": timestamp(created), "updated_at": timestamp(created + timedelta(hours=5, minutes=i)),
            })

    def render(self, record: dict[str, Any]) -> dict[str, Any]:
        due = record.get("due_date")
        overdue = bool(due) and not record["completed"] and due < now_timestamp()
        return {**record, "overdue": overdue}

    def blank(self) -> dict[str, Any]:
        now = now_timestamp()
        return {"id": 0, "creator_id": TOKEN_USER["id"], "owner_id": TOKEN_USER["id"], "resource_type": None,
                "resource_id": None, "completed": False, "completed_at": None, "due_date": None, "remind_at": None,
                "content": None, "created_at": now, "updated_at": now}

    def list_checks(self, query):
        checks = []
        text = (query.get("q") or "").lower()
        if text:
            checks.append(lambda r: text in (r.get("content") or "").lower())
        for key in ("completed", "overdue"):
            flag = _flag(query.get(key))
            if flag is not None:
                checks.append(lambda r, k=key, f=flag: r[k] is f)
        kind = query.get("type")
        if kind and kind not in ("floating", "related"):
            return "type takes floating or related."
        if kind:
            checks.append(lambda r: (r.get("resource_type") is None) == (kind == "floating"))
        return checks

    def apply(self, record: dict[str, Any], values: dict[str, Any], creating: bool) -> Problems:
        changes = {k: values[k] for k in ("content", "due_date", "remind_at", "completed", "owner_id",
                                          "resource_type", "resource_id") if k in values}
        problems: Problems = []
        content = changes.get("content", record["content"])
        if (creating or "content" in changes) and not (isinstance(content, str) and content.strip()):
            problems.append(self.problem("content", "blank", "can't be blank"))
        for key in ("due_date", "remind_at"):
            if changes.get(key) is not None:
                if not _datetime(changes[key]):
                    problems.append(self.problem(key, "invalid", "is not a date-time"))
                else:
                    changes[key] = _utc(changes[key])
        if "completed" in changes and not isinstance(changes["completed"], bool):
            problems.append(self.problem("completed", "invalid", "is invalid"))
        if "owner_id" in changes and (isinstance(changes["owner_id"], bool) or not member(changes["owner_id"], USER_IDS)):
            problems.append(self.problem("owner_id", "invalid", "is invalid"))
        if "resource_type" in changes or "resource_id" in changes:
            problems += self.check_parent(record, changes, required=False)
        if problems:
            return problems
        if "completed" in changes and changes["completed"] != record["completed"]:
            record["completed_at"] = now_timestamp() if changes["completed"] else None
        record.update(changes)
        record["updated_at"] = now_timestamp()
        return []
