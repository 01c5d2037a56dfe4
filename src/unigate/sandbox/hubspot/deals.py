"""HubSpot CRM v3 deals: the emulator's `opportunities` resource, with its company and contact links.

Routes are HubSpot's (https://developers.hubspot.com/docs/api/crm/deals); the object is named `deals`
or by its type id `0-3` (both in HubSpot's spec and SDK, https://github.com/HubSpot/hubspot-api-python,
hubspot/crm/deals/api/basic_api.py):

- `GET    /crm/v3/objects/deals`            list (`limit` 1..100, default 10; `after`; `properties`; `associations`; `archived`)
- `GET    /crm/v3/objects/deals/{dealId}`   read (`properties`, `associations`, `archived`)
- `POST   /crm/v3/objects/deals`            create, 201; `associations` links companies and contacts at once
- `PATCH  /crm/v3/objects/deals/{dealId}`   update, 200 (`""` clears a property)
- `DELETE /crm/v3/objects/deals/{dealId}`   archive, 204 (idempotent)
- `POST   /crm/v4/associations/deals/{toObjectType}/batch/create`   link companies or contacts, 201 (207 with errors)
- `POST   /crm/v4/associations/deals/{toObjectType}/batch/archive`  unlink them, 204
  (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide)

What HubSpot enforces and this emulator does too:
- `dealname` and `dealstage` on create: the deals guide says to include both (and `pipeline` when the
  portal has several; without it the default pipeline is meant).
- `dealstage` is an option of the deal's pipeline: a stage of another pipeline, or an unknown one, is
  a 400 VALIDATION_ERROR with an INVALID_OPTION item, like any enumeration (item shape observed:
  https://github.com/gregorspan/csc-frodx/issues/21); moving a deal to another pipeline sends both
  `pipeline` and `dealstage` ("You must use the internal ID of a deal stage or pipeline", deals guide).
- `deal_currency_code` is one of the portal's currencies; `amount` a number; `closedate` a date-time
  (ISO 8601 or epoch milliseconds, https://developers.hubspot.com/docs/faq/how-should-timestamps-be-formatted-for-hubspots-apis).
- `hs_is_closed`, `hs_is_closed_won` and `hs_deal_stage_probability` follow the stage's metadata;
  HubSpot computes them and ignores written values [unverified: read-only per the properties API].
Association type ids (HubSpot-defined): deal -> company `5` (primary) and `341` (unlabeled), deal ->
contact `3` (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/association-details).
A deal has one primary company: a new primary demotes the old one to unlabeled, as for contacts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot.associations import COMPANY_NAMES, CONTACT_NAMES
from unigate.sandbox.hubspot.objects import BAD_TYPE_MESSAGE, INVALID_ID_MESSAGE, ObjectRecords
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
    write_properties,
)
from unigate.sandbox.hubspot.search import serve_search

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator
    from unigate.sandbox.hubspot.pipelines import Pipelines

DEAL_NAMES = ("deals", "0-3")
FIRST_ID = 27_000_000_001
PRIMARY_COMPANY, UNLABELED_COMPANY, CONTACT = 5, 341, 3
V3_TYPE_NAMES = {PRIMARY_COMPANY: "deal_to_company", UNLABELED_COMPANY: "deal_to_company_unlabeled",
                 CONTACT: "deal_to_contact"}

# [unverified: HubSpot's deal default property set is not documented; these are the properties its
# deal examples return] when a list/get names no `properties`.
DEFAULT_PROPERTIES = ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
                      "hs_object_id", "pipeline")
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")
# The portal's currencies (company currency first): deal_currency_code takes these
# (https://knowledge.hubspot.com/object-settings/set-up-multiple-currencies).
CURRENCIES = ("USD", "EUR", "GBP", "JPY")
DEAL_TYPES = ("newbusiness", "existingbusiness")
STANDARD_PROPERTIES = frozenset({
    "dealname", "pipeline", "dealstage", "amount", "deal_currency_code", "closedate", "dealtype", "description",
    "hubspot_owner_id", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_is_closed", "hs_is_closed_won",
    "hs_deal_stage_probability", "notes_last_updated", "notes_last_contacted", "num_associated_contacts",
})
# This portal's seeded custom deal properties (name: enumeration options, () for free text); the
# properties API adds more (`emulator.portal_properties`).
CUSTOM_PROPERTIES: dict[str, tuple[str, ...]] = {"deal_source": ("inbound", "outbound", "partner"),
                                                 "competitor": ()}
OPTIONS = {"deal_currency_code": CURRENCIES, "dealtype": DEAL_TYPES}
KNOWN_PROPERTIES = STANDARD_PROPERTIES | frozenset(CUSTOM_PROPERTIES)
COMPUTED_PROPERTIES = frozenset({"hs_object_id", "hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won",
                                 "hs_deal_stage_probability", "num_associated_contacts"})
REQUIRED_MESSAGE = "Error creating DEAL. Some required properties were not set."  # [unverified wording]

_NAMES = ("Annual licence", "Pilot", "Expansion", "Renewal", "Support plan", "Onboarding", "Migration",
          "Training", "Hardware refresh", "Consulting")
_OWNERS = ("51234567", "51234568", "51234569", "51234570", "51234571")
_SEED_START = datetime(2024, 1, 8, 9, 30, tzinfo=UTC)


def _option_item(name: str, value: str, allowed: list[str] | tuple[str, ...]) -> dict[str, Any]:
    message = f"{value} was not one of the allowed options: [{', '.join(allowed)}]"
    return {"isValid": False, "message": message, "error": "INVALID_OPTION", "name": name,
            "localizedErrorMessage": message}


def invalid(items: list[dict[str, Any]], headers: dict[str, str]) -> Response:
    return error(400, "VALIDATION_ERROR", "Property values were not valid: " + orjson.dumps(items).decode(), headers)


def as_datetime(value: str) -> str | None:
    """A date-time property value as HubSpot stores it (ISO 8601 UTC, ms), from ISO or epoch ms; None if neither."""
    text = value.strip()
    if text.isdigit():
        try:
            return iso_ms(datetime.fromtimestamp(int(text) / 1000, tz=UTC))
        except (OverflowError, OSError, ValueError):
            return None   # past any date: refused as a value that is not a date-time
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_ms(moment.astimezone(UTC))


class Deals(ObjectRecords, Resource):
    name: ClassVar[str] = "opportunities"
    emulator: HubSpotEmulator
    DEFAULT_PROPERTIES = DEFAULT_PROPERTIES
    OBJECT_NAME = "deal"
    ASSOCIATION_KINDS = {PRIMARY_COMPANY: "companies", UNLABELED_COMPANY: "companies", CONTACT: "contacts"}
    ASSOCIATION_TARGETS = "company or contact"

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ID, make_id=str, number_of=int)

    @property
    def pipelines(self) -> Pipelines:
        return self.emulator.resource("pipelines")

    def seed(self, count: int) -> None:
        """Deals in the default pipeline and (one in three) a custom one, at every stage, in four
        currencies; each with a company (the primary association) and one or two of its contacts."""
        self.store.clear()
        companies = list(self.emulator.resource("accounts").store.live())
        workers: dict[str, list[str]] = {}  # company id -> its contacts' ids
        for contact in self.emulator.resource("contacts").store.live():
            for company_id in contact["links"]:
                workers.setdefault(company_id, []).append(contact["id"])
        pipelines = self.pipelines.live_pipelines()
        for index in range(count):
            pipeline = pipelines[(index // 3) % len(pipelines)] if pipelines and index % 3 == 2 else (
                pipelines[0] if pipelines else None)
            stages = pipeline["stages"] if pipeline else []
            stage = stages[index % len(stages)] if stages else None
            created = _SEED_START + timedelta(hours=7 * index, milliseconds=37 * index)
            modified = created + timedelta(days=1 + index % 20, milliseconds=411)
            company = companies[index % len(companies)] if companies else None
            props = {
                "dealname": f"{_NAMES[index % len(_NAMES)]} {index + 1}",
                "amount": str(1000 + 250 * index) + (".50" if index % 4 == 1 else ""),
                "deal_currency_code": CURRENCIES[index % len(CURRENCIES)],
                "closedate": iso_ms(created + timedelta(days=45)),
                "dealtype": DEAL_TYPES[index % 2],
                "description": f"Seeded deal {index + 1}" if index % 3 != 1 else "",
                "hubspot_owner_id": _OWNERS[index % len(_OWNERS)],
                "notes_last_updated": iso_ms(modified - timedelta(hours=2)) if index % 4 != 3 else "",
                "deal_source": CUSTOM_PROPERTIES["deal_source"][index % 3] if index % 2 == 0 else "",
            }
            if pipeline is not None and stage is not None:
                props["pipeline"] = pipeline["id"]
                props["dealstage"] = stage["id"]
            record = self._insert({k: v for k, v in props.items() if v != ""}, iso_ms(created), iso_ms(modified))
            if company is not None:
                self.link_company(record, company["id"], primary=True)
                record["contacts"].update(workers.get(company["id"], [])[: 1 + index % 2])
                record["properties"]["num_associated_contacts"] = str(len(record["contacts"]))

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**r, "companies": {k: sorted(v) for k, v in r["companies"].items()}, "contacts": sorted(r["contacts"])}
                for r in self.store.snapshot()]

    def _insert(self, props: dict[str, str], created: str, updated: str) -> dict[str, Any]:
        record_id = self.store.new_id()
        props.update(hs_object_id=record_id, createdate=created, hs_lastmodifieddate=updated)
        record = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
                  "archived": False, "companies": {}, "contacts": set()}
        self.computed(record)
        return self.store.add(record_id, record)

    def computed(self, record: dict[str, Any]) -> None:
        """The properties HubSpot derives from the deal's stage and links."""
        props = record["properties"]
        pipeline = self.pipelines.find(props.get("pipeline", ""))
        stage = self.pipelines.stage_in(pipeline, props.get("dealstage", "")) if pipeline else None
        if stage is not None:
            closed = stage["metadata"]["isClosed"] == "true"
            props["hs_is_closed"] = "true" if closed else "false"
            props["hs_is_closed_won"] = "true" if closed and float(stage["metadata"]["probability"]) >= 1.0 else "false"
            props["hs_deal_stage_probability"] = stage["metadata"]["probability"]
        props["num_associated_contacts"] = str(len(record["contacts"]))

    @staticmethod
    def link_company(record: dict[str, Any], company_id: str, *, primary: bool) -> None:
        links = record["companies"]
        if primary:
            for types in links.values():
                types.discard(PRIMARY_COMPANY)
        links.setdefault(company_id, set()).add(UNLABELED_COMPANY)
        if primary:
            links[company_id].add(PRIMARY_COMPANY)

    async def search(self, request: Request) -> Response:
        """POST /crm/v3/objects/deals/search (search.py): live records, without associations."""
        return await serve_search(self.emulator, request, self.store.live,
                                  lambda r, names: self.render(r, names or DEFAULT_PROPERTIES))

    @staticmethod
    def v4_links(record: dict[str, Any], to_kind: str) -> dict[str, set[int]]:
        """The deal's links to `to_kind` as target id -> association type ids (association_reads.py)."""
        if to_kind == "companies":
            return {company_id: set(types) for company_id, types in record["companies"].items()}
        if to_kind == "contacts":
            return {contact_id: {CONTACT} for contact_id in sorted(record["contacts"])}
        return {}

    def routes(self) -> list[Route]:
        routes = []
        for name in DEAL_NAMES:
            path = f"/crm/v3/objects/{name}"
            routes += [Route(path, self.list_or_create, methods=["GET", "POST"]),
                       Route(path + "/search", self.search, methods=["POST"]),
                       Route(path + "/{dealId}", self.one, methods=["GET", "PATCH", "DELETE"]),
                       Route(f"/crm/v4/associations/{name}/{{toType}}/batch/create", self.batch_link, methods=["POST"]),
                       Route(f"/crm/v4/associations/{name}/{{toType}}/batch/archive", self.batch_unlink,
                             methods=["POST"])]
        return routes

    # -- helpers -----------------------------------------------------------------------------------
    def render(self, record: dict[str, Any], names: list[str] | tuple[str, ...] | None,
               wanted: frozenset[str] = frozenset()) -> dict[str, Any]:
        stored = record["properties"]
        if names is None:
            properties = dict(stored)
        else:
            known = self.emulator.portal_properties.known("deals")
            properties = {name: stored.get(name) for name in (*ALWAYS_RETURNED, *names)
                          if name in known or name in stored}
        out: dict[str, Any] = {"id": record["id"], "properties": properties, "createdAt": record["createdAt"],
                               "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record["archivedAt"]
        associations: dict[str, Any] = {}
        if "companies" in wanted and record["companies"]:
            associations["companies"] = {"results": [
                {"id": company_id, "type": V3_TYPE_NAMES[t]}
                for company_id, types in record["companies"].items() for t in sorted(types)]}
        if "contacts" in wanted and record["contacts"]:
            associations["contacts"] = {"results": [{"id": c, "type": V3_TYPE_NAMES[CONTACT]}
                                                    for c in sorted(record["contacts"])]}
        if associations:
            out["associations"] = associations
        return out



    def _checked(self, body: Any, model: str, headers: dict[str, str],
                 current: dict[str, str] | None = None) -> dict[str, str] | Response:
        """The written properties, validated as HubSpot does: known names, enumerations, numbers,
        dates, and a stage that belongs to the deal's pipeline."""
        portal = self.emulator.portal_properties
        props = validate_properties(body, model, portal.known("deals"), headers)
        if isinstance(props, Response):
            return props
        items = []
        enumerations, multi = portal.enumerations("deals"), portal.multi_valued("deals")
        for name, value in props.items():
            values = value.split(";") if name in multi else [value]
            if value and name in enumerations and any(v not in enumerations[name] for v in values):
                items.append(_option_item(name, value, enumerations[name]))
        if props.get("amount"):
            try:
                float(props["amount"])
            except ValueError:
                message = f"{props['amount']} was not a valid number"  # [unverified wording]
                items.append({"isValid": False, "message": message, "error": "INVALID_DECIMAL", "name": "amount",
                              "localizedErrorMessage": message})
        for name in ("closedate",):
            if props.get(name):
                stored = as_datetime(props[name])
                if stored is None:
                    message = f"{props[name]} is not a valid date-time"  # [unverified wording]
                    items.append({"isValid": False, "message": message, "error": "INVALID_DATE", "name": name,
                                  "localizedErrorMessage": message})
                else:
                    props[name] = stored
        current = current or {}
        if "pipeline" in props or "dealstage" in props:
            pipeline_id = props.get("pipeline") or current.get("pipeline") or "default"
            pipeline = self.pipelines.find(pipeline_id)
            if pipeline is None:
                items.append(_option_item("pipeline", pipeline_id, [p["id"] for p in self.pipelines.live_pipelines()]))
            else:
                stage_id = props.get("dealstage") or current.get("dealstage", "")
                if self.pipelines.stage_in(pipeline, stage_id) is None:
                    allowed = [s["id"] for s in pipeline["stages"] if not s["archived"]]
                    items.append(_option_item("dealstage", stage_id, allowed))
                props["pipeline"] = pipeline["id"]
        if items:
            return invalid(items, headers)
        return props

    def touch(self, record: dict[str, Any]) -> None:
        stamp = now_iso()
        record["properties"]["hs_lastmodifieddate"] = stamp
        record["updatedAt"] = stamp
        self.computed(record)

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        if request.method == "GET":
            names = requested_properties(request) or DEFAULT_PROPERTIES
            wanted = self._wanted(request)
            return list_page(request, self.store, headers, lambda record: self.render(record, names, wanted))
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked(body, "SimplePublicObjectInputForCreate", headers)
        if isinstance(props, Response):
            return props
        missing = [name for name in ("dealname", "dealstage") if not props.get(name)]
        if missing:
            return error(400, "VALIDATION_ERROR", REQUIRED_MESSAGE, headers, context={"properties": missing})
        links = self.association_specs(body.get("associations"), headers)
        if isinstance(links, Response):
            return links
        stamp = now_iso()
        for name in COMPUTED_PROPERTIES | {"createdate"}:
            props.pop(name, None)
        record = self._insert({k: v for k, v in props.items() if v != ""}, stamp, stamp)
        for kind, target_id, type_id in links:
            if kind == "companies":
                self.link_company(record, target_id, primary=type_id == PRIMARY_COMPANY)
            else:
                record["contacts"].add(target_id)
        self.computed(record)
        return answer(self.render(record, None), 201, headers)

    async def one(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        deal_id = request.path_params["dealId"]
        read = self.archive_or_read(request, deal_id, headers)
        if read is not None:
            return read
        record = self.find(deal_id)
        if record is None:
            return not_found(deal_id, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked(body, "SimplePublicObjectInput", headers, current=record["properties"])
        if isinstance(props, Response):
            return props
        write_properties(record["properties"], props, COMPUTED_PROPERTIES | {"createdate"})
        self.touch(record)
        return answer(self.render(record, None), 200, headers)

    async def _batch(self, request: Request) -> tuple[dict[str, str], str, list[Any]] | Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        to_type = request.path_params["toType"].lower()
        kind = "companies" if to_type in COMPANY_NAMES else "contacts" if to_type in CONTACT_NAMES else None
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
            deal_id = str((item.get("from") or {}).get("id", ""))
            target_id = str((item.get("to") or {}).get("id", ""))
            types = item.get("types") if isinstance(item.get("types"), list) else []
            type_ids = {t.get("associationTypeId") for t in types if isinstance(t, dict)}
            allowed = {PRIMARY_COMPANY, UNLABELED_COMPANY} if kind == "companies" else {CONTACT}
            if not type_ids or not type_ids <= allowed:
                errors.append({"status": "error", "category": "VALIDATION_ERROR", "context": {},
                               "message": BAD_TYPE_MESSAGE.format(type_id=sorted(map(str, type_ids)),
                                                                  category="HUBSPOT_DEFINED", from_type="deal",
                                                                  to_type=kind)})
                continue
            record = self.find(deal_id)
            bad = deal_id if record is None else None if self.target_exists(kind, target_id) else target_id
            if bad is not None or record is None:
                errors.append({"status": "error", "category": "VALIDATION_ERROR",
                               "subCategory": "crm.associations.INVALID_IDENTIFIER",
                               "message": INVALID_ID_MESSAGE.format(id=bad), "context": {}})
                continue
            if kind == "companies":
                self.link_company(record, target_id, primary=PRIMARY_COMPANY in type_ids)
            else:
                record["contacts"].add(target_id)
            self.touch(record)
            results.append({"fromObjectTypeId": "0-3", "fromObjectId": int(deal_id),
                            "toObjectTypeId": "0-2" if kind == "companies" else "0-1", "toObjectId": int(target_id),
                            "labels": ["Primary"] if PRIMARY_COMPANY in type_ids else []})
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started_at,
                               "completedAt": now_iso()}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return answer(out, 207 if errors else 201, headers)

    async def batch_unlink(self, request: Request) -> Response:
        """`{"inputs": [{"from": {"id"}, "to": [{"id"}]}]}`: every link between the pairs removed, 204
        (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide, "Remove associations")."""
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
                target_id = str(target.get("id", "")) if isinstance(target, dict) else ""
                if kind == "companies":
                    record["companies"].pop(target_id, None)
                else:
                    record["contacts"].discard(target_id)
            self.touch(record)
        return answer(None, 204, headers)
