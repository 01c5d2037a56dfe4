"""Pipedrive API v2 deals: the emulator's `opportunities` resource.

Routes are Pipedrive's (https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/deals-api.ts,
https://developers.pipedrive.com/docs/api/v1/Deals, API v2 tab):

- `GET    /api/v2/deals`       list of deals not deleted (`limit` 1..500, default 100; `cursor`; `sort_by`,
  `sort_direction`, `owner_id`, `person_id`, `org_id`, `pipeline_id`, `stage_id`, `status` open/won/lost,
  `ids`, `updated_since`, `updated_until`, `custom_fields`)
- `GET    /api/v2/deals/{id}`  read
- `POST   /api/v2/deals`       create, 200 (`title` required)
- `PATCH  /api/v2/deals/{id}`  update
- `DELETE /api/v2/deals/{id}`  soft delete: 200 `{"success":true,"data":{"id":N}}`

The deal (https://github.com/pipedrive/client-php, docs/versions/v2/Model/DealItem.md and
DealRequestBody.md) and what its writes must respect:
- `title` is required on create; `value` is a number (v2 does not coerce strings); `currency` one of the
  company's currencies; `expected_close_date` `YYYY-MM-DD`; `status` open, won or lost.
- `stage_id` names an existing stage and puts the deal in that stage's pipeline; `pipeline_id` alone
  puts it in that pipeline's first stage; both together must agree: a stage of another pipeline is
  refused (400) [unverified wording; that Pipedrive refuses it is the research's unverified note, the
  strict side kept here].
- `lost_reason` only with status lost; `won_time` only when won, `lost_time` only when lost, `close_time`
  only when won or lost (DealRequestBody's descriptions). Won and lost set the matching time.
- `person_id` and `org_id` name existing persons and organizations.
Deleted deals are not listed (`status=deleted` is not emulated: 400).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from unigate.sandbox.base import member
from unigate.sandbox.pipedrive.accounts import Organizations
from unigate.sandbox.pipedrive.common import (
    Invalid,
    normalise_time,
    required_text,
    rfc3339,
)

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

DEALS_PATH = "/api/v2/deals"
# [observed: a Pipedrive client's canned 404 body, "Deal not found"]
NOT_FOUND_MESSAGE = "Deal not found"
# Deal custom fields of this company (40-char hex keys, https://pipedrive.readme.io/docs/core-api-concepts-custom-fields).
DEAL_FIELD_KEYS = {
    "source": "8f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",   # text
    "seats": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",    # numeric: a JSON number
}
NUMERIC_DEAL_FIELDS = frozenset({DEAL_FIELD_KEYS["seats"]})
# The company's currencies (https://support.pipedrive.com/en/article/currencies): the default one first.
CURRENCIES = ("EUR", "USD", "GBP", "SEK", "JPY")
STATUSES = ("open", "won", "lost")
VISIBLE_TO = frozenset({1, 3, 5, 7})
WRITABLE = frozenset({"title", "owner_id", "person_id", "org_id", "pipeline_id", "stage_id", "value", "currency",
                      "status", "probability", "lost_reason", "visible_to", "close_time", "won_time", "lost_time",
                      "expected_close_date", "label_ids", "is_archived", "archive_time", "is_deleted", "custom_fields"})
_ARCHIVE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
INCLUDE_FIELDS = {"next_activity_id": None, "last_activity_id": None, "first_won_time": None, "products_count": 0,
                  "files_count": 0, "notes_count": 0, "followers_count": 0, "email_messages_count": 0,
                  "activities_count": 0, "done_activities_count": 0, "undone_activities_count": 0,
                  "participants_count": 0, "last_incoming_mail_time": None, "last_outgoing_mail_time": None,
                  "smart_bcc_email": None, "source_lead_id": None}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TITLES = ("Website redesign", "Annual licence", "Fleet tracking", "Support renewal", "Pilot project",
           "Data migration", "Training package", "Hardware order", "Consulting retainer", "Expansion")
_OWNERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 5, 2, 10, 0, 0, tzinfo=UTC)


class Deals(Organizations):
    name: ClassVar[str] = "opportunities"
    fields_kind: ClassVar[str] = "dealFields"
    path: ClassVar[str] = DEALS_PATH
    writable: ClassVar[frozenset[str]] = WRITABLE   # others: the `unknown_fields` switch (accounts.py)
    not_found_message: ClassVar[str] = NOT_FOUND_MESSAGE
    include_fields: ClassVar[dict[str, Any]] = INCLUDE_FIELDS
    emulator: PipedriveEmulator

    def seed(self, count: int) -> None:
        """Deals spread over the pipelines (half in the first) and their stages, with an organization and
        one of its persons, in five currencies; one in five won, one in seven lost."""
        self.store.clear()
        orgs = list(self.emulator.resource("accounts").store.live())
        first_person: dict[int, dict[str, Any]] = {}  # organization id -> its first person
        for candidate in self.emulator.resource("contacts").store.live():
            if candidate["org_id"] is not None:
                first_person.setdefault(candidate["org_id"], candidate)
        staged: dict[int, list[dict[str, Any]]] = {}  # pipeline id -> its stages in order
        for stage in sorted(self.emulator.resource("stages").store.live(), key=lambda s: (s["order_nr"], s["id"])):
            staged.setdefault(stage["pipeline_id"], []).append(stage)
        pipelines = list(self.emulator.resource("pipelines").store.live())
        for index in range(count):
            pipeline = pipelines[0 if index % 2 == 0 else (index // 2) % len(pipelines)] if pipelines else None
            in_pipeline = staged.get(pipeline["id"], []) if pipeline else []
            stage = in_pipeline[index % len(in_pipeline)] if in_pipeline else None
            org = orgs[index % len(orgs)] if orgs and index % 8 != 7 else None
            person = first_person.get(org["id"]) if org else None
            added = _SEED_START + timedelta(hours=6 * index, seconds=index % 60)
            updated = added + timedelta(days=1 + index % 15, minutes=index % 50)
            status = "won" if index % 5 == 3 else "lost" if index % 7 == 6 else "open"
            closed = rfc3339(updated) if status != "open" else None
            deal_id = self.store.new_id()
            self.store.add(deal_id, {
                "id": deal_id, "title": f"{_TITLES[index % len(_TITLES)]} {index + 1}",
                "owner_id": _OWNERS[index % len(_OWNERS)], "person_id": person["id"] if person else None,
                "org_id": org["id"] if org else None, "pipeline_id": pipeline["id"] if pipeline else None,
                "stage_id": stage["id"] if stage else None, "value": float(500 + 125 * index),
                "currency": CURRENCIES[index % len(CURRENCIES)], "add_time": rfc3339(added),
                "update_time": rfc3339(updated), "stage_change_time": rfc3339(updated), "is_deleted": False,
                "is_archived": False, "status": status, "probability": None,
                "lost_reason": "Went with a competitor" if status == "lost" else None, "visible_to": 3,
                "close_time": closed, "won_time": closed if status == "won" else None,
                "lost_time": closed if status == "lost" else None,
                "expected_close_date": (added + timedelta(days=30 + index % 60)).strftime("%Y-%m-%d"),
                "label_ids": [1 + index % 4] if index % 3 == 0 else [], "origin": "API", "origin_id": None,
                "channel": None, "channel_id": None, "arr": None, "mrr": None, "acv": None,
                "custom_fields": {DEAL_FIELD_KEYS["source"]: ("Referral", "Web", "Event")[index % 3]
                                  if index % 2 == 0 else None,
                                  DEAL_FIELD_KEYS["seats"]: 5 + index % 50 if index % 4 != 1 else None},
            })

    @classmethod
    def _render(cls, record: dict[str, Any], custom_keys: list[str] | None = None,
                include: list[str] | None = None) -> dict[str, Any]:
        out = dict(record)
        out["label_ids"] = list(record["label_ids"])
        custom = record["custom_fields"]
        out["custom_fields"] = ({key: custom.get(key) for key in custom_keys if key in custom}
                                if custom_keys is not None else dict(custom))
        for field in include or ():
            out[field] = cls.include_fields[field]
        return out

    def _list_filters(self, params) -> list[Any]:
        filters = []
        for name in ("person_id", "org_id", "pipeline_id", "stage_id"):
            raw = params.get(name)
            if raw is None:
                continue
            try:
                wanted = int(raw)
            except ValueError:
                raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be an integer (got '{raw}')") \
                    from None
            filters.append(lambda r, name=name, wanted=wanted: r[name] == wanted)
        raw_status = params.get("status")
        if raw_status:
            wanted_statuses = {part.strip() for part in raw_status.split(",")}
            if not wanted_statuses <= set(STATUSES):
                raise Invalid("Validation failed: status: Parameter 'status' must be one of open, won, lost "
                              f"(got '{raw_status}')")
            filters.append(lambda r: r["status"] in wanted_statuses)
        return filters

    def _new_record(self, stamp: str) -> dict[str, Any]:
        return {
            "id": 0, "title": "", "owner_id": _OWNERS[0], "person_id": None, "org_id": None, "pipeline_id": None,
            "stage_id": None, "value": 0.0, "currency": CURRENCIES[0], "add_time": stamp, "update_time": stamp,
            "stage_change_time": None, "is_deleted": False, "is_archived": False, "status": "open",
            "probability": None, "lost_reason": None, "visible_to": 3, "close_time": None, "won_time": None,
            "lost_time": None, "expected_close_date": None, "label_ids": [], "origin": "API", "origin_id": None,
            "channel": None, "channel_id": None, "arr": None, "mrr": None, "acv": None,
            "custom_fields": {key: None for key in DEAL_FIELD_KEYS.values()},
        }

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Validate the whole body, then write it (nothing changes on error)."""
        changes: dict[str, Any] = required_text(body, "title", creating)
        for name in ("owner_id", "person_id", "org_id"):
            if name in body:
                value = body[name]
                if value is None and name != "owner_id":
                    changes[name] = None
                    continue
                if isinstance(value, bool) or not isinstance(value, int):
                    raise Invalid(f"Validation failed: {name}: Parameter '{name}' must be an integer")
                target = {"person_id": "contacts", "org_id": "accounts"}.get(name)
                if target and self.emulator.resource(target).store.get_active(value) is None:
                    kind = "Person" if target == "contacts" else "Organization"
                    raise Invalid(f"Validation failed: {name}: {kind} with id {value} not found")  # [unverified]
                changes[name] = value
        if "value" in body:
            value = body["value"]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Invalid("Validation failed: value: Parameter 'value' must be a number")
            changes["value"] = float(value)
        if "currency" in body:
            if not member(body["currency"], CURRENCIES):
                raise Invalid(f"Validation failed: currency: Unknown currency '{body['currency']}'")  # [unverified]
            changes["currency"] = body["currency"]
        if "expected_close_date" in body:
            date = body["expected_close_date"]
            if date is not None and (not isinstance(date, str) or not _DATE.match(date)):
                raise Invalid("Validation failed: expected_close_date: must be a date (YYYY-MM-DD)")
            changes["expected_close_date"] = date
        if "visible_to" in body:
            if not member(body["visible_to"], VISIBLE_TO) or isinstance(body["visible_to"], bool):
                raise Invalid("Validation failed: visible_to: Parameter 'visible_to' must be one of 1, 3, 5, 7")
            changes["visible_to"] = body["visible_to"]
        if "label_ids" in body:
            labels = body["label_ids"] or []
            if not isinstance(labels, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in labels):
                raise Invalid("Validation failed: label_ids: Parameter 'label_ids' must be an array of integers")
            changes["label_ids"] = list(labels)
        if "is_archived" in body:
            if not isinstance(body["is_archived"], bool):
                raise Invalid("Validation failed: is_archived: must be a boolean")
            changes["is_archived"] = body["is_archived"]
        if "archive_time" in body and body["archive_time"] is not None:
            if not isinstance(body["archive_time"], str) or not _ARCHIVE_TIME.match(body["archive_time"]):
                raise Invalid("Validation failed: archive_time: must be YYYY-MM-DD HH:MM:SS")
            changes["archive_time"] = body["archive_time"]
        if "is_deleted" in body and not isinstance(body["is_deleted"], bool):
            raise Invalid("Validation failed: is_deleted: must be a boolean")
        if "probability" in body:
            probability = body["probability"]
            if probability is not None and (isinstance(probability, bool) or not isinstance(probability, (int, float))
                                            or not 0 <= probability <= 100):
                raise Invalid("Validation failed: probability: must be a number between 0 and 100")
            changes["probability"] = probability
        if "custom_fields" in body:
            changes["custom_fields"] = self._custom_fields(record, body["custom_fields"])
        changes.update(self._placement(record, body))
        changes.update(self._outcome(record, body))
        record.update(changes)
        if body.get("is_deleted") is True and not creating:  # the same soft delete as DELETE
            record["is_deleted"] = True
            self.store.archive(record["id"])

    def _placement(self, record: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """Where the deal goes: a stage implies its pipeline; a pipeline alone means its first stage."""
        if "stage_id" not in body and "pipeline_id" not in body:
            if record["stage_id"] is None:  # a new deal starts in the default pipeline's first stage
                pipeline = min(self.emulator.resource("pipelines").store.live(), key=lambda p: p["order_nr"],
                               default=None)
                first = self.emulator.resource("stages").first_of(pipeline["id"]) if pipeline else None
                if first is not None:
                    return {"pipeline_id": first["pipeline_id"], "stage_id": first["id"]}
            return {}
        stages = self.emulator.resource("stages")
        if "stage_id" in body:
            stage = stages.live(body["stage_id"])
            if stage is None:
                raise Invalid(f"Validation failed: stage_id: Stage with id {body['stage_id']} not found")  # [unverified]
            if "pipeline_id" in body and body["pipeline_id"] != stage["pipeline_id"]:
                raise Invalid(f"Validation failed: stage_id: Stage {stage['id']} does not belong to pipeline "
                              f"{body['pipeline_id']}")  # [unverified wording]
        else:
            pipeline = self.emulator.resource("pipelines").live(body["pipeline_id"])
            stage = stages.first_of(pipeline["id"]) if pipeline else None
            if stage is None:
                raise Invalid(f"Validation failed: pipeline_id: Pipeline with id {body['pipeline_id']} not found")
        moved = stage["id"] != record["stage_id"]
        out = {"pipeline_id": stage["pipeline_id"], "stage_id": stage["id"]}
        if moved:
            out["stage_change_time"] = rfc3339(datetime.now(UTC))
        return out

    def _outcome(self, record: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        """status and the fields that only go with one (DealRequestBody's descriptions)."""
        status = body.get("status", record["status"])
        if not member(status, STATUSES):
            raise Invalid("Validation failed: status: Parameter 'status' must be one of open, won, lost")
        if body.get("lost_reason") is not None and status != "lost":
            raise Invalid("Validation failed: lost_reason: can only be set when status is lost")
        for name, allowed in (("won_time", ("won",)), ("lost_time", ("lost",)), ("close_time", ("won", "lost"))):
            if body.get(name) is not None:
                if status not in allowed:
                    raise Invalid(f"Validation failed: {name}: can only be set when status is {' or '.join(allowed)}")
                if not isinstance(body[name], str) or normalise_time(body[name]) is None:
                    raise Invalid(f"Validation failed: {name}: '{body[name]}' is not a valid datetime")
        out: dict[str, Any] = {"status": status}
        if status != record["status"]:
            stamp = rfc3339(datetime.now(UTC))
            out.update(close_time=stamp if status != "open" else None, won_time=stamp if status == "won" else None,
                       lost_time=stamp if status == "lost" else None,
                       lost_reason=body.get("lost_reason") if status == "lost" else None)
        elif "lost_reason" in body:
            out["lost_reason"] = body["lost_reason"]
        for name in ("won_time", "lost_time", "close_time"):
            if body.get(name) is not None:
                out[name] = normalise_time(body[name])
        return out

