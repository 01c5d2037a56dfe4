"""HubSpot CRM v3 notes, tasks and calls: the emulator's `notes`, `tasks` and `engagements` resources.

The three are HubSpot activity objects with the same object API as companies and deals
(https://developers.hubspot.com/docs/api-reference/crm-notes-v3/guide, https://developers.hubspot.com/docs/api/crm/tasks,
https://developers.hubspot.com/docs/api/crm/calls), each named by its object name or type id (notes `0-46`,
tasks `0-27`, calls `0-48`):

- `GET    /crm/v3/objects/{object}`        list (`limit` 1..100, default 10; `after`; `properties`; `associations`; `archived`)
- `GET    /crm/v3/objects/{object}/{id}`   read (`properties`, `associations`, `archived`)
- `POST   /crm/v3/objects/{object}`        create, 201; `associations` links companies, contacts and deals at once
- `PATCH  /crm/v3/objects/{object}/{id}`   update, 200 (`""` clears a property)
- `DELETE /crm/v3/objects/{object}/{id}`   archive, 204 (idempotent)
- `POST   /crm/v4/associations/{object}/{toObjectType}/batch/create`   link, 201 (207 with errors)
- `POST   /crm/v4/associations/{object}/{toObjectType}/batch/archive`  unlink, 204
  (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide)
- `POST   /crm/v3/objects/{object}/search`  the CRM search, as for the other objects (search.py: filters, sorts,
  200 a page, nothing past the 10,000th result), without associations; filterable and sortable on every stored
  property, hs_createdate and hs_lastmodifieddate among them
  (https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm, its engagements table)
- `POST   /crm/v4/associations/{object}/{toObjectType}/batch/read`  a search page's links (association_reads.py,
  through `v4_links`)

What HubSpot enforces and this emulator does too:
- `hs_timestamp` on every create: a note's time on the timeline, a task's due time, a call's time (the
  three guides); without it 400 "Error creating TASK. Some required properties were not set." with
  `context.properties` [observed: https://github.com/PipedreamHQ/pipedream/issues/12366; the NOTE and CALL
  wordings follow it, unverified]. Date-time values are epoch milliseconds or ISO 8601, stored as ISO UTC with
  milliseconds (https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis).
- Enumerations take their internal values: `hs_task_status` NOT_STARTED, IN_PROGRESS, WAITING, COMPLETED,
  DEFERRED; `hs_task_priority` LOW, MEDIUM, HIGH; `hs_task_type` TODO, CALL, EMAIL; `hs_call_direction`
  INBOUND, OUTBOUND; `hs_call_status` BUSY, CALLING_CRM_USER, CANCELED, COMPLETED, CONNECTING, FAILED,
  IN_PROGRESS, MISSED, NO_ANSWER, QUEUED, RINGING (the tasks and calls guides; HubSpot's agent-cli-skills
  activity-properties reference). `hs_call_duration` is a number of milliseconds.
- `hs_task_completion_date` is HubSpot's: set when a task becomes COMPLETED, cleared when it is reopened
  [unverified: read-only per the tasks guide's property list].
Association type ids (HubSpot-defined, https://developers.hubspot.com/docs/api-reference/latest/crm/associations/association-details):
note -> company 190, contact 202, deal 214; task -> 192, 204, 216; call -> 182, 194, 206. On a read the
`associations` map names them `note_to_company`, ... (v3 type names, as `deal_to_contact`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot.common import (
    answer,
    error,
    iso_ms,
    list_page,
    not_found,
    now_iso,
    read_body,
    requested_properties,
    validate_properties,
    value_errors,
    write_properties,
)
from unigate.sandbox.hubspot.deals import as_datetime, invalid
from unigate.sandbox.hubspot.objects import BAD_SPEC_MESSAGE, CATEGORIES, INVALID_ID_MESSAGE
from unigate.sandbox.hubspot.search import serve_search

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

KINDS = ("companies", "contacts", "deals")
_KIND_NAMES = {"companies": ("companies", "company", "0-2"), "contacts": ("contacts", "contact", "0-1"),
               "deals": ("deals", "deal", "0-3")}
_SINGULAR = {"companies": "company", "contacts": "contact", "deals": "deal"}
_TYPE_IDS = {"companies": "0-2", "contacts": "0-1", "deals": "0-3"}
_OWNERS = ("51234567", "51234568", "51234569", "51234570", "51234571")
REQUIRED_MESSAGE = "Error creating {label}. Some required properties were not set."


class ActivityObject(Resource):
    """One HubSpot activity object; the subclasses name its properties and association types."""

    object_names: ClassVar[tuple[str, ...]] = ()
    label: ClassVar[str] = ""             # NOTE, TASK, CALL (error messages)
    singular: ClassVar[str] = ""          # note, task, call (v3 association type names)
    type_id: ClassVar[str] = ""
    first_id: ClassVar[int] = 1
    association_types: ClassVar[dict[str, int]] = {}   # companies/contacts/deals -> type id
    properties: ClassVar[frozenset[str]] = frozenset()
    enumerations: ClassVar[dict[str, tuple[str, ...]]] = {}
    datetimes: ClassVar[tuple[str, ...]] = ("hs_timestamp",)
    numbers: ClassVar[tuple[str, ...]] = ()
    default_properties: ClassVar[tuple[str, ...]] = ()
    computed: ClassVar[frozenset[str]] = frozenset({"hs_object_id", "hs_createdate", "hs_lastmodifieddate"})
    emulator: HubSpotEmulator

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=self.first_id, make_id=str, number_of=int)
        self.kind_of_type = {type_id: kind for kind, type_id in self.association_types.items()}

    # -- seeding -----------------------------------------------------------------------------------
    def seed_properties(self, index: int, moment: datetime) -> dict[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def seed(self, count: int) -> None:
        """Records on the seeded deals (with the deal's company and contacts), some on a contact alone."""
        self.store.clear()
        deals = list(self.emulator.resource("opportunities").store.live())
        contacts = list(self.emulator.resource("contacts").store.live())
        start = datetime(2024, 2, 5, 8, 0, tzinfo=UTC)
        for index in range(count):
            created = start + timedelta(hours=13 * index, milliseconds=53 * index)
            props = self.seed_properties(index, created)
            props["hubspot_owner_id"] = _OWNERS[index % len(_OWNERS)]
            record = self._insert(props, iso_ms(created), iso_ms(created + timedelta(days=index % 7, minutes=index)))
            if index % 4 != 3 and deals:
                deal = deals[index % len(deals)]
                record["links"]["deals"].add(deal["id"])
                record["links"]["companies"].update(c for c, types in deal["companies"].items() if 5 in types)
                record["links"]["contacts"].update(sorted(deal["contacts"])[:1 + index % 2])
            elif contacts:
                contact = contacts[index % len(contacts)]
                record["links"]["contacts"].add(contact["id"])
                record["links"]["companies"].update(sorted(contact["links"])[:1])

    def _insert(self, props: dict[str, str], created: str, updated: str) -> dict[str, Any]:
        record_id = self.store.new_id()
        props.update(hs_object_id=record_id, hs_createdate=created, hs_lastmodifieddate=updated)
        record = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
                  "archived": False, "links": {kind: set() for kind in KINDS}}
        return self.store.add(record_id, record)

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**r, "links": {k: sorted(v) for k, v in r["links"].items()}} for r in self.store.snapshot()]

    def routes(self) -> list[Route]:
        routes = []
        for name in self.object_names:
            path = f"/crm/v3/objects/{name}"
            routes += [Route(path, self.list_or_create, methods=["GET", "POST"]),
                       Route(path + "/search", self.search, methods=["POST"]),
                       Route(path + "/{objectId}", self.one, methods=["GET", "PATCH", "DELETE"]),
                       Route(f"/crm/v4/associations/{name}/{{toType}}/batch/create", self.batch_link, methods=["POST"]),
                       Route(f"/crm/v4/associations/{name}/{{toType}}/batch/archive", self.batch_unlink,
                             methods=["POST"])]
        return routes

    async def search(self, request: Request) -> Response:
        """POST /crm/v3/objects/{object}/search (search.py): live records, without associations."""
        return await serve_search(self.emulator, request, self.store.live,
                                  lambda r, names: self.render(r, names or self.default_properties))

    def v4_links(self, record: dict[str, Any], to_kind: str) -> dict[str, set[int]]:
        """The record's links to `to_kind` as target id -> association type ids (association_reads.py), in the
        order a read's `associations` lists them."""
        if to_kind not in KINDS:
            return {}
        return {target: {self.association_types[to_kind]} for target in sorted(record["links"][to_kind], key=int)}

    # -- rendering ---------------------------------------------------------------------------------
    def render(self, record: dict[str, Any], names: list[str] | tuple[str, ...] | None,
               wanted: frozenset[str] = frozenset()) -> dict[str, Any]:
        stored = record["properties"]
        if names is None:
            properties = dict(stored)
        else:
            properties = {name: stored.get(name) for name in ("hs_createdate", "hs_lastmodifieddate", "hs_object_id",
                                                              *names) if name in self.properties or name in stored}
        out: dict[str, Any] = {"id": record["id"], "properties": properties, "createdAt": record["createdAt"],
                               "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record["archivedAt"]
        associations = {kind: {"results": [{"id": target, "type": f"{self.singular}_to_{_SINGULAR[kind]}"}
                                           for target in sorted(record["links"][kind], key=int)]}
                        for kind in KINDS if kind in wanted and record["links"][kind]}
        if associations:
            out["associations"] = associations
        return out

    @staticmethod
    def _wanted(request: Request) -> frozenset[str]:
        names = {part.strip().lower() for value in request.query_params.getlist("associations")
                 for part in value.split(",") if part.strip()}
        return frozenset(kind for kind, aliases in _KIND_NAMES.items() if names & set(aliases))

    def find(self, object_id: str, archived: bool = False) -> dict[str, Any] | None:
        record = self.store.get(object_id)
        if record is None or record["archived"] != archived:
            return None
        return record

    def _target_exists(self, kind: str, target_id: str) -> bool:
        if kind == "companies":
            return self.emulator.resource("accounts").store.get_active(target_id) is not None
        if kind == "contacts":
            return self.emulator.resource("contacts").find(target_id) is not None
        return self.emulator.resource("opportunities").find(target_id) is not None

    # -- validation --------------------------------------------------------------------------------
    def _checked(self, body: Any, model: str, headers: dict[str, str]) -> dict[str, str] | Response:
        props = validate_properties(body, model, self.properties, headers,
                                    invalid_properties=self.emulator.switch["invalid_properties"])
        if isinstance(props, Response):
            return props
        for name in self.computed:
            props.pop(name, None)
        refused = value_errors(props, self.enumerations, headers)
        if refused is not None:
            return refused
        items = []
        for name in self.datetimes:
            if props.get(name):
                stored = as_datetime(props[name])
                if stored is None:
                    message = f"{props[name]} is not a valid date-time"  # [unverified wording]
                    items.append({"isValid": False, "message": message, "error": "INVALID_DATE", "name": name,
                                  "localizedErrorMessage": message})
                else:
                    props[name] = stored
        for name in self.numbers:
            if props.get(name):
                try:
                    float(props[name])
                except ValueError:
                    message = f"{props[name]} was not a valid number"  # [unverified wording]
                    items.append({"isValid": False, "message": message, "error": "INVALID_DECIMAL", "name": name,
                                  "localizedErrorMessage": message})
        if items:
            return invalid(items, headers)
        return props

    def _association_specs(self, raw: Any, headers: dict[str, str]) -> list[tuple[str, str]] | Response:
        """A create's `associations` as (kind, target id), or HubSpot's 400."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
        out = []
        for entry in raw:
            target = entry.get("to") if isinstance(entry, dict) else None
            target_id = str(target.get("id", "")) if isinstance(target, dict) else ""
            types = entry.get("types") if isinstance(entry, dict) else None
            if not target_id or not isinstance(types, list) or not types:
                return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
            for spec in types:
                if not isinstance(spec, dict) or not member(spec.get("associationCategory"), CATEGORIES):
                    return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
                kind = self.kind_of_type.get(spec.get("associationTypeId"))
                if kind is None or spec["associationCategory"] != "HUBSPOT_DEFINED":
                    return error(400, "VALIDATION_ERROR", f"associationTypeId {spec.get('associationTypeId')} "
                                 f"({spec['associationCategory']}) is not valid from {self.singular}", headers)
                if not self._target_exists(kind, target_id):
                    return error(400, "VALIDATION_ERROR", INVALID_ID_MESSAGE.format(id=target_id), headers,
                                 subCategory="crm.associations.INVALID_IDENTIFIER")
                out.append((kind, target_id))
        return out

    def after_write(self, record: dict[str, Any], written: dict[str, str]) -> None:
        """What HubSpot derives from a write (a task's completion date)."""

    def touch(self, record: dict[str, Any]) -> None:
        stamp = now_iso()
        record["properties"]["hs_lastmodifieddate"] = stamp
        record["updatedAt"] = stamp

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        if request.method == "GET":
            names = requested_properties(request) or self.default_properties
            wanted = self._wanted(request)
            return list_page(request, self.store, headers, lambda record: self.render(record, names, wanted))
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked(body, "SimplePublicObjectInputForCreate", headers)
        if isinstance(props, Response):
            return props
        if not props.get("hs_timestamp"):
            return error(400, "VALIDATION_ERROR", REQUIRED_MESSAGE.format(label=self.label), headers,
                         context={"properties": ["hs_timestamp"]})
        links = self._association_specs(body.get("associations"), headers)
        if isinstance(links, Response):
            return links
        stamp = now_iso()
        record = self._insert({k: v for k, v in props.items() if v != ""}, stamp, stamp)
        for kind, target_id in links:
            record["links"][kind].add(target_id)
        self.after_write(record, props)
        return answer(self.render(record, None), 201, headers)

    async def one(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        object_id = request.path_params["objectId"]
        if request.method == "DELETE":
            record = self.find(object_id)
            if record is not None:  # unknown or archived ids answer 204 too
                self.store.archive(object_id)
                record["archived"] = True
                record["archivedAt"] = now_iso()
            return answer(None, 204, headers)
        if request.method == "GET":
            archived = request.query_params.get("archived", "false").lower() == "true"
            record = self.find(object_id, archived)
            if record is None:
                return not_found(object_id, headers)
            names = requested_properties(request) or self.default_properties
            return answer(self.render(record, names, self._wanted(request)), 200, headers)
        record = self.find(object_id)
        if record is None:
            return not_found(object_id, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked(body, "SimplePublicObjectInput", headers)
        if isinstance(props, Response):
            return props
        if props.get("hs_timestamp", None) == "":
            return error(400, "VALIDATION_ERROR", REQUIRED_MESSAGE.format(label=self.label).replace(
                "creating", "updating"), headers, context={"properties": ["hs_timestamp"]})  # [unverified]
        write_properties(record["properties"], props, self.computed)
        self.after_write(record, props)
        self.touch(record)
        return answer(self.render(record, None), 200, headers)

    async def _batch(self, request: Request) -> tuple[dict[str, str], str, list[Any]] | Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        to_type = request.path_params["toType"].lower()
        kind = next((k for k, aliases in _KIND_NAMES.items() if to_type in aliases), None)
        if kind is None:
            return error(400, "VALIDATION_ERROR", f"Unable to infer object type from: {request.path_params['toType']}",
                         headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list):
            return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1, column 1: Cannot build "
                         "BatchInputPublicAssociationMultiPost, some of required attributes are not set [inputs]",
                         headers)
        return headers, kind, inputs

    async def batch_link(self, request: Request) -> Response:
        """`{"inputs": [{"from": {"id"}, "to": {"id"}, "types": [...]}]}`: 201, or 207 with `errors`."""
        started = await self._batch(request)
        if isinstance(started, Response):
            return started
        headers, kind, inputs = started
        started_at = now_iso()
        results, errors = [], []
        for item in inputs:
            item = item if isinstance(item, dict) else {}
            object_id = str((item.get("from") or {}).get("id", ""))
            target_id = str((item.get("to") or {}).get("id", ""))
            types = item.get("types") if isinstance(item.get("types"), list) else []
            type_ids = {t.get("associationTypeId") for t in types if isinstance(t, dict)}
            if type_ids != {self.association_types[kind]}:
                errors.append({"status": "error", "category": "VALIDATION_ERROR", "context": {},
                               "message": f"associationTypeId {sorted(map(str, type_ids))} is not valid between "
                                          f"{self.singular} and {kind}"})  # [unverified wording]
                continue
            record = self.find(object_id)
            bad = object_id if record is None else None if self._target_exists(kind, target_id) else target_id
            if bad is not None or record is None:
                errors.append({"status": "error", "category": "VALIDATION_ERROR",
                               "subCategory": "crm.associations.INVALID_IDENTIFIER",
                               "message": INVALID_ID_MESSAGE.format(id=bad), "context": {}})
                continue
            record["links"][kind].add(target_id)
            self.touch(record)
            results.append({"fromObjectTypeId": self.type_id, "fromObjectId": int(object_id),
                            "toObjectTypeId": _TYPE_IDS[kind], "toObjectId": int(target_id), "labels": []})
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started_at,
                               "completedAt": now_iso()}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return answer(out, 207 if errors else 201, headers)

    async def batch_unlink(self, request: Request) -> Response:
        """`{"inputs": [{"from": {"id"}, "to": [{"id"}]}]}`: the links removed, 204."""
        started = await self._batch(request)
        if isinstance(started, Response):
            return started
        headers, kind, inputs = started
        for item in inputs:
            item = item if isinstance(item, dict) else {}
            record = self.find(str((item.get("from") or {}).get("id", "")))
            targets = item.get("to") if isinstance(item.get("to"), list) else []
            if record is None:
                continue
            for target in targets:
                record["links"][kind].discard(str(target.get("id", "")) if isinstance(target, dict) else "")
            self.touch(record)
        return answer(None, 204, headers)


_NOTE_BODIES = ("<p>Discussed the <b>renewal</b> terms.</p>", "Customer asked for a discount on seats.",
                "<ul><li>Security review done</li><li>Waiting for legal</li></ul>",
                "Sent the onboarding guide.", "<p>Champion is moving teams &mdash; find a new sponsor.</p>")


class Notes(ActivityObject):
    name: ClassVar[str] = "notes"
    object_names = ("notes", "0-46")
    label, singular, type_id, first_id = "NOTE", "note", "0-46", 41_000_000_001
    association_types = {"companies": 190, "contacts": 202, "deals": 214}
    properties = frozenset({"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids",
                            "hs_object_id", "hs_createdate", "hs_lastmodifieddate"})
    # [unverified] the note default property set (the guide's examples return these)
    default_properties = ("hs_timestamp", "hs_note_body")

    def seed_properties(self, index: int, moment: datetime) -> dict[str, str]:
        return {"hs_timestamp": iso_ms(moment), "hs_note_body": _NOTE_BODIES[index % len(_NOTE_BODIES)]}


TASK_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED")
_TASK_SUBJECTS = ("Send the proposal", "Book the kickoff", "Follow up on pricing", "Collect the signed order",
                  "Prepare the QBR deck", "Check the invoice")


class Tasks(ActivityObject):
    name: ClassVar[str] = "tasks"
    object_names = ("tasks", "0-27")
    label, singular, type_id, first_id = "TASK", "task", "0-27", 42_000_000_001
    association_types = {"companies": 192, "contacts": 204, "deals": 216}
    properties = frozenset({"hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status", "hs_task_priority",
                            "hs_task_type", "hs_task_reminders", "hs_task_completion_date", "hubspot_owner_id",
                            "hs_object_id", "hs_createdate", "hs_lastmodifieddate"})
    enumerations = {"hs_task_status": TASK_STATUSES, "hs_task_priority": ("LOW", "MEDIUM", "HIGH"),
                    "hs_task_type": ("TODO", "CALL", "EMAIL")}
    computed = ActivityObject.computed | {"hs_task_completion_date"}
    default_properties = ("hs_timestamp", "hs_task_subject", "hs_task_status")  # [unverified]

    def seed_properties(self, index: int, moment: datetime) -> dict[str, str]:
        status = TASK_STATUSES[index % len(TASK_STATUSES)]
        props = {"hs_timestamp": iso_ms(moment + timedelta(days=3 + index % 10)),
                 "hs_task_subject": f"{_TASK_SUBJECTS[index % len(_TASK_SUBJECTS)]} {index + 1}",
                 "hs_task_status": status, "hs_task_priority": ("LOW", "MEDIUM", "HIGH")[index % 3],
                 "hs_task_type": ("TODO", "CALL", "EMAIL")[index % 3]}
        if index % 3:
            props["hs_task_body"] = f"<p>Seeded task <b>{index + 1}</b></p>"
        if status == "COMPLETED":
            props["hs_task_completion_date"] = iso_ms(moment + timedelta(days=2))
        return props

    def after_write(self, record: dict[str, Any], written: dict[str, str]) -> None:
        props = record["properties"]
        if "hs_task_status" not in written:
            return
        if props.get("hs_task_status") == "COMPLETED":
            props.setdefault("hs_task_completion_date", now_iso())
        else:
            props.pop("hs_task_completion_date", None)


CALL_STATUSES = ("BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED", "IN_PROGRESS",
                 "MISSED", "NO_ANSWER", "QUEUED", "RINGING")
_CALL_TITLES = ("Discovery call", "Pricing call", "Check-in", "Support escalation", "Renewal call")


class Calls(ActivityObject):
    name: ClassVar[str] = "engagements"
    object_names = ("calls", "0-48")
    label, singular, type_id, first_id = "CALL", "call", "0-48", 43_000_000_001
    association_types = {"companies": 182, "contacts": 194, "deals": 206}
    properties = frozenset({"hs_timestamp", "hs_call_title", "hs_call_body", "hs_call_direction", "hs_call_duration",
                            "hs_call_status", "hs_call_disposition", "hs_call_from_number", "hs_call_to_number",
                            "hs_call_recording_url", "hubspot_owner_id", "hs_object_id", "hs_createdate",
                            "hs_lastmodifieddate"})
    enumerations = {"hs_call_direction": ("INBOUND", "OUTBOUND"), "hs_call_status": CALL_STATUSES}
    numbers = ("hs_call_duration",)
    default_properties = ("hs_timestamp", "hs_call_title", "hs_call_body")  # [unverified]

    def seed_properties(self, index: int, moment: datetime) -> dict[str, str]:
        props = {"hs_timestamp": iso_ms(moment), "hs_call_title": f"{_CALL_TITLES[index % len(_CALL_TITLES)]} {index + 1}",
                 "hs_call_direction": ("OUTBOUND", "INBOUND")[index % 2],
                 "hs_call_status": ("COMPLETED", "NO_ANSWER", "BUSY", "COMPLETED")[index % 4],
                 "hs_call_to_number": f"+1 617 555 {1000 + index:04d}"}
        if index % 5 != 4:
            props["hs_call_duration"] = str((60 + 45 * index) * 1000)
        if index % 3:
            props["hs_call_body"] = f"<p>Seeded call <b>{index + 1}</b></p>"
        return props
