"""Outreach tasks: the JSON:API v2 `task` resource (https://api.outreach.io/api/v2/tasks,
https://developers.outreach.io/api/reference/tag/Task/), the CRM's to-dos.

Attributes and relationships from the official OpenAPI task schema
(https://api.outreach.io/api/v2/schema/openapi.json):
- `action` is one of `action_item`, `call`, `email`, `in_person`; `dueAt` a date-time; `note` plain text of
  at most 65,535 characters. `state` (`pending`, `incomplete`, `complete`), `taskType` (`manual` for a task
  made through the API), `completed`, `completedAt` and `stateChangedAt` are read-only: a task is completed
  by `POST /api/v2/tasks/{id}/actions/markComplete`, not by a PATCH of `state`.
- Writable to-one relationships: `owner` (a user) and `subject`, the one record the task is about (an
  `account`, an `opportunity` or a `prospect`). `account`, `prospect` and `opportunity` are read-only and
  filterable (`filter[prospect][id]=…`): the emulator mirrors the subject into its own relationship and,
  for a prospect or an opportunity, its account into `account` [unverified: one recorded manual task on an
  account showed only `account` set].
- A create without `action` is 422 [unverified: the schema marks nothing required; `REQUIRE_ACTION`
  switches it off].
Paging, status codes and error bodies are every type's (jsonapi.py). Deletion is permanent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import member
from unigate.sandbox.outreach.common import (
    SANDBOX_USER_IDS, SEED_EPOCH, bad_request, document, error_document, iso, now_iso, too_long, validation_error,
)
from unigate.sandbox.outreach.jsonapi import BOOL, STRING, JsonApiResource, _as_id

ACTIONS = ("action_item", "call", "email", "in_person")
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("action", "dueAt", "note", "state", "taskType", "completedAt", "scheduledAt", "autoskipAt",
                     "stateChangedAt", "opportunityAssociation", "createdAt", "updatedAt"), STRING),
    "completed": BOOL,
}
READ_ONLY_ATTRIBUTES = ("state", "taskType", "completed", "completedAt", "stateChangedAt", "createdAt", "updatedAt")
# `subject` is polymorphic: its type is stored with its id and rendered as written (see `render`).
TO_ONE_RELATIONSHIPS = {"owner": "user", "subject": "prospect", "account": "account", "prospect": "prospect",
                        "opportunity": "opportunity", "creator": "user", "completer": "user"}
WRITABLE_RELATIONSHIPS = frozenset({"owner"})
SUBJECT_RESOURCES = {"account": "accounts", "prospect": "contacts", "opportunity": "opportunities"}
MAX_NOTE_LENGTH = 65_535   # OpenAPI maxLength
REQUIRE_ACTION = True

_NOTES = ["Call to confirm the renewal terms", "Send the security questionnaire", "<p>Prepare the <b>QBR</b> deck</p>",
          "Follow up on the pilot feedback", "Book an on-site visit", "Check the signed order form"]


def _timestamp(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


class Tasks(JsonApiResource):
    """Outreach tasks: seed, validation, the polymorphic subject and `markComplete`."""

    name = "tasks"
    type_name = "task"
    path = "tasks"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = TO_ONE_RELATIONSHIPS
    writable_to_one = WRITABLE_RELATIONSHIPS

    def routes(self) -> list[Route]:
        return [*super().routes(),
                Route("/api/v2/tasks/{id}/actions/markComplete", self.mark_complete, methods=["POST"])]

    def seed(self, count: int) -> None:
        """Tasks about seeded prospects, accounts and deals in turn, every fourth one completed."""
        self.new_store()
        subjects = [("prospect", list(self.emulator.resource("contacts").store.active)),
                    ("account", list(self.emulator.resource("accounts").store.active)),
                    ("opportunity", list(self.emulator.resource("opportunities").store.active))]
        for i in range(count):
            kind, ids = subjects[i % 3]
            created = SEED_EPOCH + timedelta(hours=9 * i, minutes=13)
            done = i % 4 == 3
            attributes = dict.fromkeys(ATTRIBUTE_TYPES)
            attributes.update({
                "action": ACTIONS[i % len(ACTIONS)], "dueAt": iso(created + timedelta(days=3 + i % 10)),
                "note": f"{_NOTES[i % len(_NOTES)]} ({i + 1})", "taskType": "manual",
                "state": "complete" if done else "incomplete", "completed": done,
                "completedAt": iso(created + timedelta(days=2)) if done else None,
                "stateChangedAt": iso(created + timedelta(days=2)) if done else None,
                "createdAt": iso(created), "updatedAt": iso(created + timedelta(days=2, minutes=i)),
            })
            owner = SANDBOX_USER_IDS[(i * 3) % len(SANDBOX_USER_IDS)]
            record = self.store_record(attributes, {
                "owner": owner, "subject": {"type": kind, "id": ids[(i // 3) % len(ids)]} if ids else None,
                "creator": SANDBOX_USER_IDS[0], "completer": owner if done else None,
            })
            self.derive(record)

    def render(self, record: dict[str, Any], root: str | None) -> dict[str, Any]:
        resource = super().render(record, root)
        resource["relationships"]["subject"] = {"data": record["relationships"].get("subject")}
        return resource

    def _validate(self, data, record):
        """The base checks without `subject`, then the subject: one of three types, an existing record."""
        relationships = data.get("relationships")
        if not (isinstance(relationships, dict) and "subject" in relationships):
            return super()._validate(data, record)
        rest = {k: v for k, v in relationships.items() if k != "subject"}
        attributes, relations, failure = super()._validate({**data, "relationships": rest}, record)
        if failure is not None:
            return attributes, relations, failure
        pointer = "/data/relationships/subject"
        subject = relationships["subject"]
        if not isinstance(subject, dict) or "data" not in subject:
            return {}, {}, bad_request("A relationship must have a data member.", pointer)
        target = subject["data"]
        if target is None:
            relations["subject"] = None
            return attributes, relations, None
        kind = target.get("type") if isinstance(target, dict) else None
        target_id = _as_id(target.get("id")) if isinstance(target, dict) else None
        if not member(kind, SUBJECT_RESOURCES) or target_id is None:
            return {}, {}, validation_error("subject must reference an account, an opportunity or a prospect.",
                                            pointer + "/data")
        if self.emulator.resource(SUBJECT_RESOURCES[kind]).store.get(target_id) is None:  # type: ignore[attr-defined]
            return {}, {}, {"id": "resourceNotFound", "title": "Resource Not Found",
                            "detail": f"Could not find '{kind}' with ID '{target_id}'.", "source": {"pointer": pointer}}
        relations["subject"] = {"type": kind, "id": target_id}   # type: ignore[assignment]
        return attributes, relations, None

    def check(self, attributes, relations, record):
        if REQUIRE_ACTION and record is None and not attributes.get("action"):
            return validation_error("Action can't be blank.", "/data/attributes/action")
        if attributes.get("action") is not None and not member(attributes["action"], ACTIONS):
            return validation_error("Action is not included in the list.", "/data/attributes/action")
        for key in ("dueAt", "scheduledAt", "autoskipAt"):
            if attributes.get(key) is not None and not _timestamp(attributes[key]):
                return validation_error(f"{key} is not a valid date-time.", f"/data/attributes/{key}")
        if len(attributes.get("note") or "") > MAX_NOTE_LENGTH:
            return too_long("/data/attributes/note")
        return None

    def defaults(self) -> dict[str, Any]:
        return {"state": "incomplete", "taskType": "manual", "completed": False}

    def derive(self, record: dict[str, Any]) -> None:
        """The read-only account, prospect and opportunity mirror the subject (module docstring)."""
        relationships = record["relationships"]
        subject = relationships.get("subject") or {}
        kind, target = subject.get("type"), subject.get("id")
        account = target if kind == "account" else None
        if kind in ("prospect", "opportunity"):
            linked = self.emulator.resource(SUBJECT_RESOURCES[kind]).store.get(target)  # type: ignore[attr-defined]
            account = linked["relationships"].get("account") if linked else None
        relationships.update({"account": account, "prospect": target if kind == "prospect" else None,
                              "opportunity": target if kind == "opportunity" else None})

    async def mark_complete(self, request: Request) -> Response:
        """`POST /tasks/{id}/actions/markComplete`: the task is complete, stamped now, and answered."""
        early, headers, _ = await self.emulator._guard(request)  # type: ignore[attr-defined]
        if early is not None:
            return early
        raw_id = request.path_params["id"]
        record_id = _as_id(raw_id) if not raw_id.startswith("0") else None
        record = self.store.get(record_id) if record_id is not None else None
        if record is None:
            return error_document(404, self.not_found(raw_id), headers=headers)
        stamp = now_iso()
        if record["attributes"]["state"] != "complete":
            record["attributes"].update({"state": "complete", "completed": True, "completedAt": stamp,
                                         "stateChangedAt": stamp})
            record["relationships"]["completer"] = SANDBOX_USER_IDS[0]
        record["attributes"]["updatedAt"] = stamp
        return document(200, {"data": self.render(record, self.emulator._root(request))}, headers)  # type: ignore[attr-defined]
