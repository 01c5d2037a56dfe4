"""Zoho CRM v8 activity modules: Notes (`notes`), Tasks (`tasks`), Calls (`engagements`) and Events, the meetings
(`meetings`), each a `module.ModuleResource` over its layout (field API names: the official SDK's field
classes, https://github.com/zoho/zohocrm-python-sdk-8.0, `zohocrmsdk/src/com/zoho/crm/api/record/field.py`).

Links:
- Tasks, Calls and Events hang off one record through `What_Id` (a lookup whose module `$se_module` names:
  Accounts, Deals, Leads, ...) and a contact through `Who_Id`, written `{"id"}` (or a bare id, as v2-era
  samples send it) and read `{"name", "id"}` with `$se_module` beside it
  (https://help.zoho.com/portal/en/community/topic/kaizen-36-tasks-api,
  https://help.zoho.com/portal/en/community/topic/kaizen-38-calls-api). A `What_Id` without `$se_module`, or
  naming no live record of that module, is `INVALID_DATA` on `What_Id`.
- A note has one parent, `Parent_Id: {"module": {"api_name"}, "id"}` (v8; the v2-era `Parent_Id` id with
  `se_module` is taken too), read back as `{"module": {"api_name", "id"}, "id", "name"}`
  (https://zoho.com/crm/developer/docs/api/v7/create-notes.html, crm-oas v8.0 notes.json). `Note_Content` and
  the parent are mandatory; a note's create answers 200, or 202 with the failed items
  (crm-oas v8.0 notes.json).
Rules:
- Tasks: `Subject` mandatory [unverified: every sample sets it]; `Due_Date` a date; `Closed_Time` is set when
  `Status` becomes `Completed` (https://www.zoho.com/crm/developer/docs/api/v2/tasks-response.html).
- Calls: `Subject`, `Call_Type` (Inbound, Outbound, Missed) and `Call_Start_Time` mandatory; `Call_Type` cannot
  change on update; a completed call (start in the past) needs `Call_Duration` ("mm:ss", and
  `Call_Duration_in_seconds` follows it) (Kaizen #38; https://www.zoho.com/bigin/developer/docs/apis/calls-response.html
  for the "mm:ss" form; the earlier "hh:mm" reading is unverified).
- Events: `Event_Title`, `Start_DateTime` and `End_DateTime` mandatory, the end not before the start;
  `Participants` `[{"type": "contact" | "lead" | "user" | "email", "participant"}]`, read back with `name`,
  `Email`, `invited` and `status` (https://www.zoho.com/crm/developer/docs/api/v2/events-response.html,
  https://help.zoho.com/portal/en/community/topic/kaizen-8-handling-recurrence-and-participants-in-the-events-module-via-api).
Search: Tasks and Calls are searched by criteria as every module here (`GET /crm/v8/Tasks/search?criteria=`,
search.py: Created_Time / Modified_Time compared as instants;
https://www.zoho.com/crm/developer/docs/api/v8/search-records.html).
Seeds: every activity hangs off a seeded account or deal (`What_Id`) and most off a contact (`Who_Id`);
notes alternate between accounts, contacts and deals.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import member
from unigate.sandbox.zoho_crm.common import (
    MAX_SEED,
    MAX_WRITE_RECORDS,
    ORG_TZ,
    USERS,
    USERS_BY_ID,
    error_object,
    now,
    ts,
    write_body,
)
from unigate.sandbox.zoho_crm.module import RECORD_FLAGS, Field, ModuleResource

# `$se_module` -> the emulator resource holding that module's records
SE_MODULES = {"Accounts": "accounts", "Deals": "opportunities", "Contacts": "contacts", "Leads": "leads"}
_OWNER_FIELDS: list[Field] = [
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Locked__s", "boolean", "boolean", "Locked", False),
]
_READ_ONLY = {"Created_By", "Modified_By", "Created_Time", "Modified_Time", "Locked__s"}
_DURATION = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_SEED_START = datetime(2024, 5, 6, 9, 30, 0, tzinfo=ORG_TZ)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class ActivityModule(ModuleResource):
    """A module whose records hang off one record through `What_Id` + `$se_module` and a contact (`Who_Id`)."""

    def __init__(self, emulator: Any) -> None:
        super().__init__(emulator)
        self._se_module: str | None = None
        self._people: dict[Any, str] | None = None

    def clear(self) -> None:
        super().clear()
        self._people = None

    def lookup_target(self, field: str) -> str:
        if field == "What_Id":
            return SE_MODULES.get(self._se_module or "", "unknown")
        return self.LOOKUPS[field]

    def check(self, values: dict[str, Any], index: int, record_id: str | None) -> dict[str, Any] | None:
        current = self.store.records[record_id] if record_id else {}
        self._se_module = values.get("$se_module", current.get("$se_module"))
        if values.get("What_Id") is not None and not member(self._se_module, SE_MODULES):
            return error_object("INVALID_DATA", "invalid data", {"api_name": "$se_module",
                                                                 "json_path": f"$.data[{index}].$se_module"})
        return None

    def _apply(self, values: dict[str, Any], record_id: str | None, index: int = 0) -> dict[str, Any]:
        item = super()._apply(values, record_id, index)
        if item["status"] == "success":
            record = self.store.records[item["details"]["id"]]
            if "What_Id" in values:
                record["$se_module"] = values.get("$se_module") if values["What_Id"] is not None else None
        return item

    def link(self, record: dict[str, Any], what: tuple[str, str] | None, who: str | None) -> None:
        """Seed helper: hang `record` off `what` (module, id) and the contact `who`."""
        if what is not None:
            self._se_module = what[0]
            record["What_Id"] = self.lookup_value("What_Id", what[1])
            record["$se_module"] = what[0]
        if who is not None:
            record["Who_Id"] = self.lookup_value("Who_Id", who)

    def seed_links(self, i: int) -> tuple[tuple[str, str] | None, str | None]:
        """The seeded deal or account the i-th activity hangs off, and its contact."""
        deals = self.emulator.resource("opportunities").store
        accounts = self.emulator.resource("accounts").store
        contacts = self.emulator.resource("contacts").store
        if i % 2 == 0 and deals.active:
            deal = deals.records[deals.active[(i // 2) % len(deals.active)]]
            contact = deal["Contact_Name"]["id"] if deal.get("Contact_Name") else None
            return ("Deals", deal["id"]), contact
        if not accounts.active:
            return None, None
        account_id = accounts.active[(i * 5) % len(accounts.active)]
        if self._people is None:   # an account's first contact, worked out once per seed
            self._people = {}
            for contact in contacts.records.values():
                self._people.setdefault((contact.get("Account_Name") or {}).get("id"), contact["id"])
        contact = self._people.get(account_id)
        return ("Accounts", account_id), contact if i % 3 else None


class Notes(ModuleResource):
    name: ClassVar[str] = "notes"
    module: ClassVar[str] = "Notes"
    FIELDS: ClassVar[list[Field]] = [
        ("Owner", "jsonobject", "ownerlookup", "Note Owner", False),
        ("Note_Title", "string", "text", "Note Title", False),
        ("Note_Content", "string", "textarea", "Note Content", False),
        ("Parent_Id", "jsonobject", "lookup", "Parent ID", False),
        *_OWNER_FIELDS,
    ]
    READ_ONLY = _READ_ONLY
    MANDATORY = ("Note_Content",)
    NAME_FIELD = "Note_Title"
    MAX_LENGTHS = {"Note_Title": 120, "Note_Content": 32000}
    FIRST_ID = 5725767000003415001

    def _parent(self, value: Any, legacy_module: Any) -> tuple[str, str] | None:
        """(module, id) of a live record a `Parent_Id` names, in the v8 shape or the v2-era one."""
        if isinstance(value, dict):
            module = (value.get("module") or {}).get("api_name") if isinstance(value.get("module"), dict) else None
            raw = value.get("id")
        else:
            module, raw = legacy_module, value
        if not member(module, SE_MODULES) or not isinstance(raw, (str, int)) or isinstance(raw, bool):
            return None
        resource = SE_MODULES[module]
        if resource not in self.emulator.resource_names():
            return None
        held = self.emulator.resource(resource).store.get_active(str(raw))
        return (module, str(raw)) if held is not None else None

    def check(self, values: dict[str, Any], index: int, record_id: str | None) -> dict[str, Any] | None:
        if (record_id is None or "Parent_Id" in values) and \
                self._parent(values.get("Parent_Id"), values.get("se_module")) is None:
            code = "MANDATORY_NOT_FOUND" if values.get("Parent_Id") is None else "INVALID_DATA"
            return error_object(code, "required field not found" if code == "MANDATORY_NOT_FOUND" else "invalid data",
                                {"api_name": "Parent_Id", "json_path": f"$.data[{index}].Parent_Id"})
        return None

    def parent_value(self, module: str, record_id: str) -> dict[str, Any]:
        target = self.emulator.resource(SE_MODULES[module])
        return {"module": {"api_name": module, "id": f"57257670000000{list(SE_MODULES).index(module) + 2:02d}179"},
                "id": record_id, "name": target.store.records[record_id][target.NAME_FIELD]}

    def _apply(self, values: dict[str, Any], record_id: str | None, index: int = 0) -> dict[str, Any]:
        item = super()._apply(values, record_id, index)
        if item["status"] == "success" and "Parent_Id" in values:
            parent = self._parent(values["Parent_Id"], values.get("se_module"))
            assert parent is not None   # check() refused any other
            self.store.records[item["details"]["id"]]["Parent_Id"] = self.parent_value(*parent)
        return item

    async def create_records(self, request: Request) -> Response:
        """A note's create answers 200, or 202 when items failed (crm-oas v8.0 notes.json)."""
        body, problem = await write_body(request, MAX_WRITE_RECORDS, self.answer)
        if problem:
            return problem
        items = [self._apply(values, None, index) for index, values in enumerate(body)]
        return self.answer({"data": items}, 200 if all(i["status"] == "success" for i in items) else 202)

    def seed(self, count: int) -> None:
        self.clear()
        count = min(count, MAX_SEED)
        deals = self.emulator.resource("opportunities").store
        accounts = self.emulator.resource("accounts").store
        contacts = self.emulator.resource("contacts").store
        topics = ["Call recap", "Pricing", "Next steps", "Security questionnaire", "Budget", "Kick-off"]
        for i in range(count):
            kind = ("Accounts", accounts), ("Contacts", contacts), ("Deals", deals)
            module, store = kind[i % 3]
            if not store.active:
                continue
            parent_id = store.active[(i * 7) % len(store.active)]
            record_id = self.store.new_id()
            created = _SEED_START + timedelta(hours=6 * i, minutes=(i * 13) % 60)
            record: dict[str, Any] = {name: None for name, *_ in self.FIELDS}
            topic = topics[i % len(topics)]
            record.update({
                "id": record_id,
                "Owner": dict(USERS[i % len(USERS)]),
                "Note_Title": topic if i % 5 != 4 else None,
                # Zoho keeps what was written: plain text, or the HTML of a rich-text note
                "Note_Content": (f"<p><b>{topic}</b>: agreed to follow up.</p>" if i % 4 == 0
                                 else f"{topic}: agreed to follow up.\nOwner to send a summary."),
                "Parent_Id": self.parent_value(module, parent_id),
                "Created_By": dict(USERS[i % len(USERS)]),
                "Modified_By": dict(USERS[(i + 1) % len(USERS)]),
                "Created_Time": ts(created),
                "Modified_Time": ts(created + timedelta(hours=1 + i % 5)),
                "Tag": [],
                "Locked__s": False,
                "$attachments": None, "$is_shared_to_client": False, "$voice_note": False, "$editable": True,
            })
            self.store.add(record_id, record)


class Tasks(ActivityModule):
    name: ClassVar[str] = "tasks"
    module: ClassVar[str] = "Tasks"
    FIELDS: ClassVar[list[Field]] = [
        ("Owner", "jsonobject", "ownerlookup", "Task Owner", False),
        ("Subject", "string", "text", "Subject", False),
        ("Due_Date", "string", "date", "Due Date", False),
        ("Status", "string", "picklist", "Status", False),
        ("Priority", "string", "picklist", "Priority", False),
        ("What_Id", "jsonobject", "lookup", "Related To", False),
        ("Who_Id", "jsonobject", "lookup", "Contact Name", False),
        ("Description", "string", "textarea", "Description", False),
        ("Closed_Time", "string", "datetime", "Closed Time", False),
        ("Send_Notification_Email", "boolean", "boolean", "Send Notification Email", False),
        *_OWNER_FIELDS,
    ]
    READ_ONLY = _READ_ONLY | {"Closed_Time"}
    PICKLISTS = {"Status": ["Not Started", "Deferred", "In Progress", "Completed", "Waiting on someone else"],
                 "Priority": ["High", "Highest", "Low", "Lowest", "Normal"]}
    MANDATORY = ("Subject",)
    NAME_FIELD = "Subject"
    LOOKUPS = {"What_Id": "accounts", "Who_Id": "contacts"}
    MAX_LENGTHS = {"Subject": 255}
    FIRST_ID = 5725767000004415001

    def new_record(self) -> dict[str, Any]:
        return {"Status": "Not Started", "Priority": "Normal", "Send_Notification_Email": False}

    def derive(self, record: dict[str, Any]) -> None:
        if record.get("Status") == "Completed":
            record["Closed_Time"] = record.get("Closed_Time") or ts(now())
        else:
            record["Closed_Time"] = None

    def seed(self, count: int) -> None:
        self.clear()
        count = min(count, MAX_SEED)
        subjects = ["Send proposal", "Follow up on pricing", "Book the demo", "Collect the security answers",
                    "Renewal check-in", "Share the case study", "Confirm the budget"]
        statuses = self.PICKLISTS["Status"]
        for i in range(count):
            record_id = self.store.new_id()
            created = _SEED_START + timedelta(hours=5 * i, minutes=(i * 17) % 60)
            status = statuses[i % len(statuses)]
            record: dict[str, Any] = {name: None for name, *_ in self.FIELDS}
            record.update({
                "id": record_id,
                "Owner": dict(USERS[(i + 2) % len(USERS)]),
                "Subject": subjects[i % len(subjects)],
                "Due_Date": (created + timedelta(days=3 + i % 20)).date().isoformat() if i % 6 != 5 else None,
                "Status": status,
                "Priority": self.PICKLISTS["Priority"][i % 5],
                "Description": f"Task {i + 1}: see the deal notes." if i % 3 else None,
                "Closed_Time": ts(created + timedelta(days=2)) if status == "Completed" else None,
                "Send_Notification_Email": False,
                "Created_By": dict(USERS[i % len(USERS)]),
                "Modified_By": dict(USERS[(i + 1) % len(USERS)]),
                "Created_Time": ts(created),
                "Modified_Time": ts(created + timedelta(hours=2 + i % 7)),
                "Tag": [],
                "Locked__s": False,
                **RECORD_FLAGS,
            })
            self.link(record, *self.seed_links(i))
            self.store.add(record_id, record)


def _seconds(duration: str) -> int:
    match = _DURATION.match(duration)
    assert match is not None
    return int(match.group(1)) * 60 + int(match.group(2))


class Calls(ActivityModule):
    name: ClassVar[str] = "engagements"   # the unified resource the Calls module serves
    module: ClassVar[str] = "Calls"
    FIELDS: ClassVar[list[Field]] = [
        ("Owner", "jsonobject", "ownerlookup", "Call Owner", False),
        ("Subject", "string", "text", "Subject", False),
        ("Call_Type", "string", "picklist", "Call Type", False),
        ("Call_Start_Time", "string", "datetime", "Call Start Time", False),
        ("Call_Duration", "string", "text", "Call Duration", False),
        ("Call_Duration_in_seconds", "double", "double", "Call Duration (in seconds)", False),
        ("Call_Purpose", "string", "picklist", "Call Purpose", False),
        ("Call_Agenda", "string", "text", "Call Agenda", False),
        ("Call_Result", "string", "picklist", "Call Result", False),
        ("Outgoing_Call_Status", "string", "picklist", "Outgoing Call Status", False),
        ("What_Id", "jsonobject", "lookup", "Related To", False),
        ("Who_Id", "jsonobject", "lookup", "Contact Name", False),
        ("Description", "string", "textarea", "Description", False),
        ("Dialled_Number", "string", "text", "Dialled Number", False),
        *_OWNER_FIELDS,
    ]
    READ_ONLY = _READ_ONLY | {"Call_Duration_in_seconds", "Outgoing_Call_Status"}
    PICKLISTS = {"Call_Type": ["Outbound", "Inbound", "Missed"],
                 "Call_Result": ["Interested", "Not interested", "No response", "Requested more info"]}
    MANDATORY = ("Subject", "Call_Type", "Call_Start_Time")
    NAME_FIELD = "Subject"
    LOOKUPS = {"What_Id": "accounts", "Who_Id": "contacts"}
    MAX_LENGTHS = {"Subject": 255}
    FIRST_ID = 5725767000005415001

    def check(self, values: dict[str, Any], index: int, record_id: str | None) -> dict[str, Any] | None:
        problem = super().check(values, index, record_id)
        if problem:
            return problem
        current = self.store.records[record_id] if record_id else {}

        def invalid(api_name: str) -> dict[str, Any]:
            return error_object("INVALID_DATA", "invalid data", {"api_name": api_name,
                                                                 "json_path": f"$.data[{index}].{api_name}"})

        if record_id and "Call_Type" in values and values["Call_Type"] != current.get("Call_Type"):
            return invalid("Call_Type")   # Kaizen #38: the call type of an existing call cannot change
        if "Call_Type" in values and values["Call_Type"] not in self.PICKLISTS["Call_Type"]:
            return invalid("Call_Type")
        start = values.get("Call_Start_Time", current.get("Call_Start_Time"))
        if "Call_Start_Time" in values and _parse_time(start) is None:
            return invalid("Call_Start_Time")
        duration = values.get("Call_Duration", current.get("Call_Duration"))
        if duration is not None and (not isinstance(duration, str) or not _DURATION.match(duration)):
            return invalid("Call_Duration")
        started = _parse_time(start)
        completed = started is not None and started <= now()
        if completed and duration is None and values.get("Call_Type", current.get("Call_Type")) != "Missed":
            return invalid("Call_Duration")   # Kaizen #38: a completed call needs its duration
        return None

    def derive(self, record: dict[str, Any]) -> None:
        duration = record.get("Call_Duration")
        record["Call_Duration_in_seconds"] = _seconds(duration) if isinstance(duration, str) else None
        started = _parse_time(record.get("Call_Start_Time"))
        if record.get("Call_Type") == "Outbound":
            record["Outgoing_Call_Status"] = "Completed" if started and started <= now() else "Scheduled"
        else:
            record["Outgoing_Call_Status"] = None

    def seed(self, count: int) -> None:
        self.clear()
        count = min(count, MAX_SEED)
        subjects = ["Discovery call", "Pricing call", "Check-in", "Support escalation", "Renewal call",
                    "Intro call"]
        for i in range(count):
            record_id = self.store.new_id()
            start = _SEED_START + timedelta(days=i, hours=i % 6)
            call_type = self.PICKLISTS["Call_Type"][i % 3]
            minutes, seconds = 3 + (i * 7) % 40, (i * 13) % 60
            record: dict[str, Any] = {name: None for name, *_ in self.FIELDS}
            record.update({
                "id": record_id,
                "Owner": dict(USERS[(i + 1) % len(USERS)]),
                "Subject": subjects[i % len(subjects)],
                "Call_Type": call_type,
                "Call_Start_Time": ts(start),
                "Call_Duration": f"{minutes:02d}:{seconds:02d}" if call_type != "Missed" else None,
                "Call_Purpose": "Prospecting" if i % 2 else "Negotiation",
                "Call_Result": self.PICKLISTS["Call_Result"][i % 4] if call_type != "Missed" else None,
                "Description": f"<p>Spoke about {subjects[i % len(subjects)].lower()}.</p>" if i % 3 == 0 else
                               (f"Spoke about {subjects[i % len(subjects)].lower()}." if i % 3 == 1 else None),
                "Dialled_Number": f"+1-555-07{i % 100:02d}-{(i * 19) % 10000:04d}" if call_type == "Outbound" else None,
                "Created_By": dict(USERS[i % len(USERS)]),
                "Modified_By": dict(USERS[(i + 1) % len(USERS)]),
                "Created_Time": ts(start + timedelta(minutes=45)),
                "Modified_Time": ts(start + timedelta(hours=3)),
                "Tag": [],
                "Locked__s": False,
                **RECORD_FLAGS,
            })
            self.derive(record)
            self.link(record, *self.seed_links(i))
            self.store.add(record_id, record)


class Meetings(ActivityModule):
    """The Events module (the UI calls it Meetings)."""

    name: ClassVar[str] = "meetings"
    module: ClassVar[str] = "Events"
    FIELDS: ClassVar[list[Field]] = [
        ("Owner", "jsonobject", "ownerlookup", "Host", False),
        ("Event_Title", "string", "text", "Title", False),
        ("Start_DateTime", "string", "datetime", "From", False),
        ("End_DateTime", "string", "datetime", "To", False),
        ("All_day", "boolean", "boolean", "All day", False),
        ("Venue", "string", "text", "Location", False),
        ("Description", "string", "textarea", "Description", False),
        ("Participants", "jsonarray", "multiselectlookup", "Participants", False),
        ("What_Id", "jsonobject", "lookup", "Related To", False),
        ("Who_Id", "jsonobject", "lookup", "Contact Name", False),
        ("Remind_At", "string", "datetime", "Reminder", False),
        *_OWNER_FIELDS,
    ]
    READ_ONLY = _READ_ONLY
    MANDATORY = ("Event_Title", "Start_DateTime", "End_DateTime")
    NAME_FIELD = "Event_Title"
    LOOKUPS = {"What_Id": "accounts", "Who_Id": "contacts"}
    MAX_LENGTHS = {"Event_Title": 255}
    FIRST_ID = 5725767000006415001

    def check(self, values: dict[str, Any], index: int, record_id: str | None) -> dict[str, Any] | None:
        problem = super().check(values, index, record_id)
        if problem:
            return problem
        current = self.store.records[record_id] if record_id else {}

        def invalid(api_name: str) -> dict[str, Any]:
            return error_object("INVALID_DATA", "invalid data", {"api_name": api_name,
                                                                 "json_path": f"$.data[{index}].{api_name}"})

        for key in ("Start_DateTime", "End_DateTime"):
            if key in values and _parse_time(values[key]) is None:
                return invalid(key)
        start = _parse_time(values.get("Start_DateTime", current.get("Start_DateTime")))
        end = _parse_time(values.get("End_DateTime", current.get("End_DateTime")))
        if start and end and end < start:
            return invalid("End_DateTime")
        participants = values.get("Participants")
        if participants is not None:
            if not isinstance(participants, list):
                return invalid("Participants")
            for item in participants:
                if not isinstance(item, dict) or item.get("type") not in ("contact", "lead", "user", "email"):
                    return invalid("Participants")
                if item["type"] == "contact" and \
                        self.emulator.resource("contacts").store.get_active(str(item.get("participant"))) is None:
                    return invalid("Participants")
                if item["type"] == "user" and str(item.get("participant")) not in USERS_BY_ID:
                    return invalid("Participants")
        return None

    def _apply(self, values: dict[str, Any], record_id: str | None, index: int = 0) -> dict[str, Any]:
        item = super()._apply(values, record_id, index)
        if item["status"] == "success" and isinstance(values.get("Participants"), list):
            record = self.store.records[item["details"]["id"]]
            record["Participants"] = [self.participant(p["type"], str(p["participant"]))
                                      for p in values["Participants"]]
        return item

    def participant(self, kind: str, value: str) -> dict[str, Any]:
        """A participant as Zoho reads it back (events-response: name, Email, invited, type, participant, status)."""
        name, email = None, None
        if kind == "contact":
            contact = self.emulator.resource("contacts").store.records[value]
            name, email = contact["Full_Name"], contact["Email"]
        elif kind == "user":
            name, email = USERS_BY_ID[value]["name"], USERS_BY_ID[value]["email"]
        elif kind == "email":
            email = value
        return {"name": name, "Email": email, "invited": False, "type": kind, "participant": value,
                "status": "not_known"}

    def seed(self, count: int) -> None:
        self.clear()
        count = min(count, MAX_SEED)
        titles = ["Product demo", "Quarterly review", "Contract walkthrough", "Onsite workshop", "Kick-off"]
        for i in range(count):
            record_id = self.store.new_id()
            start = _SEED_START + timedelta(days=2 * i, hours=1 + i % 5)
            record: dict[str, Any] = {name: None for name, *_ in self.FIELDS}
            record.update({
                "id": record_id,
                "Owner": dict(USERS[i % len(USERS)]),
                "Event_Title": titles[i % len(titles)],
                "Start_DateTime": ts(start),
                "End_DateTime": ts(start + timedelta(minutes=30 + 15 * (i % 4))),
                "All_day": False,
                "Venue": "Zoom" if i % 2 else "Customer office",
                "Description": f"{titles[i % len(titles)]} with the buying team." if i % 4 else None,
                "Created_By": dict(USERS[i % len(USERS)]),
                "Modified_By": dict(USERS[(i + 1) % len(USERS)]),
                "Created_Time": ts(start - timedelta(days=5)),
                "Modified_Time": ts(start - timedelta(days=4)),
                "Tag": [],
                "Locked__s": False,
                **RECORD_FLAGS,
            })
            what, who = self.seed_links(i + 1)
            self.link(record, what, who)
            people = [self.participant("user", USERS[i % len(USERS)]["id"])]
            if who:
                people.insert(0, self.participant("contact", who))
            record["Participants"] = people
            self.store.add(record_id, record)
