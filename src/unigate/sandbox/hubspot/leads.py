"""HubSpot CRM v3 leads (object type `0-136`): the emulator's `leads` resource, with each lead's contact and
company, the lead pipelines and the seeded lead property definitions.

Routes are HubSpot's (https://developers.hubspot.com/docs/api-reference/crm-leads-v3/guide; paths, parameters and
answer codes from HubSpot's Leads spec, https://github.com/HubSpot/HubSpot-public-api-spec-collection,
PublicApiSpecs/CRM/Leads/Rollouts/424/v3/leads.json, and the official client, hubspot-api-python's
hubspot/crm/objects/leads/api/basic_api.py); the object is named `leads` or by its type id `0-136`:

- `GET    /crm/v3/objects/leads`             list (`limit` 1..100, default 10; `after`; `properties`; `associations`; `archived`)
- `GET    /crm/v3/objects/leads/{leadsId}`   read (`properties`, `associations`, `archived`)
- `POST   /crm/v3/objects/leads`             create, 201; `associations` names the lead's contact and company
- `PATCH  /crm/v3/objects/leads/{leadsId}`   update, 200 (`""` clears a property)
- `DELETE /crm/v3/objects/leads/{leadsId}`   archive, 204 (idempotent)
- `GET    /crm/v3/pipelines/leads[/{pipelineId}]`         the lead pipelines with their stages, unpaged, read only
  (https://developers.hubspot.com/docs/api/crm/pipelines; `{objectType}` takes the object's name or type id)
The lead pipelines are served here, not by pipelines.py (which keeps those of deals), so their paths are matched
before its `{objectType}` ones: the emulator lists this resource before `pipelines`. The lead property definitions
(`definitions()`, seeded) are properties.py's, with the other objects': a lead write is checked against the
portal's live definitions, so a property created through the properties API is writable at once.

What HubSpot enforces and this emulator does too:
- A new lead "must have a lead name, specified using the hs_lead_name property" and "must be associated with an
  existing contact" (the leads guide), in the create itself: a lead cannot be created first and associated
  after [observed: integrators' notes, e.g. "Lead creation REQUIRES inline PRIMARY associations"]. Its
  association types (HubSpot-defined): lead -> contact 578 "Lead with Primary Contact" (the guide's example
  create; https://github.com/PipedreamHQ/pipedream/pull/14686), lead -> company 580 "Primary" [observed: an
  integrator's read of GET /crm/v4/associations/0-136/companies/labels]; the unlabeled lead -> contact 608 and
  lead -> company 610 [observed: integrators' association-type enums]. A primary link is also an unlabeled
  one, as for contacts and companies. Which primary link a create needs is switch `lead_primary_association`
  (below): the guide names a contact; integrators create leads on a primary company alone.
- Enumerations take their options' internal values: `hs_lead_type`, `hs_lead_label` and the custom ones as
  any enumeration (INVALID_OPTION, common.value_errors); `hs_pipeline_stage` is a stage of the lead's
  `hs_pipeline` (the default lead pipeline when none is named), as a deal's stage is of its pipeline.
- `hs_associated_contact_firstname` / `_lastname` / `_email` and `hs_associated_company_name` / `_domain` are
  the lead's primary contact's and company's, which HubSpot fills in (the objects guide lists them among the
  lead's properties, https://developers.hubspot.com/docs/api-reference/latest/crm/using-object-apis; read-only
  [unverified]): a read answers them from the linked records, a write naming them is refused as read-only.
The default lead pipeline, "Lead pipeline" (`lead-pipeline-id`), and its stages `new-stage-id`,
`attempting-stage-id`, `connected-stage-id`, `qualified-stage-id`, `unqualified-stage-id` [observed: several
integrators' notes of live portals]; `hs_lead_type` NEW_BUSINESS and `hs_lead_label` HOT [observed, same], the
other options and the stage metadata [unverified]. Exact error wordings are [unverified] unless marked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot import associations, properties
from unigate.sandbox.hubspot.objects import ObjectRecords
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
from unigate.sandbox.hubspot.deals import invalid
from unigate.sandbox.hubspot.deals import _option_item as option_item
from unigate.sandbox.hubspot.pipelines import EPOCH, PIPELINE_NOT_FOUND
from unigate.sandbox.hubspot.search import serve_search

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

LEAD_NAMES = ("leads", "0-136")
FIRST_ID = 35_000_000_001
PRIMARY_CONTACT, CONTACT, PRIMARY_COMPANY, COMPANY = 578, 608, 580, 610
KIND_OF_TYPE = {PRIMARY_CONTACT: "contacts", CONTACT: "contacts", PRIMARY_COMPANY: "companies", COMPANY: "companies"}
PRIMARY_OF = {"contacts": PRIMARY_CONTACT, "companies": PRIMARY_COMPANY}
UNLABELED_OF = {"contacts": CONTACT, "companies": COMPANY}
# The v3 `associations` map names a link by its type [unverified: the type names HubSpot's labels suggest].
V3_TYPE_NAMES = {PRIMARY_CONTACT: "lead_to_primary_contact", CONTACT: "lead_to_contact",
                 PRIMARY_COMPANY: "lead_to_primary_company", COMPANY: "lead_to_company"}

# Switch `lead_primary_association`: what a create must link. "contact_or_company" (the default): a primary
# contact (578) or a primary company (580) [observed: integrators create leads with a primary company alone,
# e.g. "Lead-create needs primary Contact OR Company association"]; "contact": a primary contact, as the leads
# guide says ("Must be associated with an existing contact").
LEAD_PRIMARY_ASSOCIATION = ("contact_or_company", "contact")
# [unverified wording] the create's refusals.
REQUIRED_MESSAGE = "Error creating LEAD. Some required properties were not set."
PRIMARY_MESSAGES = {
    "contact_or_company": "Error creating LEAD. A lead must be associated with a primary contact "
                          "(associationTypeId 578) or a primary company (associationTypeId 580).",
    "contact": "Error creating LEAD. A lead must be associated with a primary contact (associationTypeId 578).",
}

LEAD_PIPELINE = "lead-pipeline-id"
# (pipeline id, label, display order, [(stage id, label, closed)]); the second is this portal's own.
PIPELINES = (
    (LEAD_PIPELINE, "Lead pipeline", 0, (("new-stage-id", "New", False), ("attempting-stage-id", "Attempting", False),
                                         ("connected-stage-id", "Connected", False),
                                         ("qualified-stage-id", "Qualified", True),
                                         ("unqualified-stage-id", "Unqualified", True))),
    ("8300001", "Partner leads", 1, (("93000001", "New", False), ("93000002", "Working", False),
                                     ("93000003", "Qualified", True))),
)
STAGES_OF = {pipeline_id: tuple(stage_id for stage_id, _, _ in stages) for pipeline_id, _, _, stages in PIPELINES}
LEAD_TYPES = ("NEW_BUSINESS", "EXISTING_BUSINESS")
LEAD_LABELS = ("HOT", "WARM", "COLD")

ASSOCIATED = ("hs_associated_contact_firstname", "hs_associated_contact_lastname", "hs_associated_contact_email",
              "hs_associated_company_name", "hs_associated_company_domain")
STANDARD_PROPERTIES = frozenset({
    "hs_lead_name", "hs_lead_type", "hs_lead_label", "hs_pipeline", "hs_pipeline_stage", "hubspot_owner_id",
    "hs_object_id", "hs_createdate", "hs_lastmodifieddate", *ASSOCIATED,
})
# This portal's custom lead properties (name: enumeration options, () for free text; `lead_score` is a number).
CUSTOM_PROPERTIES: dict[str, tuple[str, ...]] = {"lead_channel": ("web", "event", "referral"), "lead_score": ()}
ENUMERATIONS = {"hs_lead_type": LEAD_TYPES, "hs_lead_label": LEAD_LABELS,
                **{k: v for k, v in CUSTOM_PROPERTIES.items() if v}}
# What HubSpot computes: refused on writes (or dropped, switch `invalid_properties`, common.py).
COMPUTED_PROPERTIES = frozenset({"hs_object_id", "hs_createdate", "hs_lastmodifieddate", *ASSOCIATED})
# Types the properties API gives these (the rest follow properties.definition).
_TYPES = {"hs_createdate": ("datetime", "date"), "lead_score": ("number", "number"),
          "hs_pipeline": ("enumeration", "select"), "hs_pipeline_stage": ("enumeration", "radio")}
# [unverified: HubSpot's default lead property set is not documented] when a list/get names no `properties`.
DEFAULT_PROPERTIES = ("hs_lead_name", "hs_pipeline", "hs_pipeline_stage")
ALWAYS_RETURNED = ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")

_OWNERS = ("51234567", "51234568", "51234569", "51234570", "51234571")
_SEED_START = datetime(2024, 3, 11, 8, 30, tzinfo=UTC)


def definitions() -> list[dict[str, Any]]:
    """The seeded lead property definitions: HubSpot's own, then the portal's custom ones (the portal's live ones
    are `emulator.portal_properties`, served by properties.py)."""
    options = {**ENUMERATIONS, "hs_pipeline": tuple(STAGES_OF),
               "hs_pipeline_stage": tuple(s for stages in STAGES_OF.values() for s in stages)}
    out = properties.definitions(STANDARD_PROPERTIES, CUSTOM_PROPERTIES, options)
    for definition in out:
        if definition["name"] in _TYPES:
            definition["type"], definition["fieldType"] = _TYPES[definition["name"]]
        definition["modificationMetadata"]["readOnlyValue"] = definition["name"] in COMPUTED_PROPERTIES
    return out


def pipeline_object(pipeline_id: str, label: str, order: int, stages: tuple) -> dict[str, Any]:
    """A lead pipeline as the pipelines API answers it; built-in ones carry the epoch as timestamps."""
    return {"id": pipeline_id, "label": label, "displayOrder": order, "archived": False, "createdAt": EPOCH,
            "updatedAt": EPOCH, "stages": [
                {"id": stage_id, "label": stage_label, "displayOrder": i,
                 "metadata": {"isClosed": "true" if closed else "false"},   # [unverified] a lead stage's metadata
                 "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT", "archived": False, "createdAt": EPOCH,
                 "updatedAt": EPOCH} for i, (stage_id, stage_label, closed) in enumerate(stages)]}


class Leads(ObjectRecords, Resource):
    name: ClassVar[str] = "leads"
    emulator: HubSpotEmulator
    DEFAULT_PROPERTIES = DEFAULT_PROPERTIES
    OBJECT_NAME = "lead"
    ASSOCIATION_KINDS = KIND_OF_TYPE
    ASSOCIATION_TARGETS = "contact or company"

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ID, make_id=str, number_of=int)

    def seed(self, count: int) -> None:
        """Leads of the seeded contacts, each with its contact as the primary one and the contact's primary
        company (where it has one) as the lead's; one in four in the portal's own pipeline."""
        self.store.clear()
        contacts = list(self.emulator.resource("contacts").store.live())
        for index in range(count):
            contact = contacts[(index * 7) % len(contacts)] if contacts else None
            pipeline_id, _, _, stages = PIPELINES[1 if index % 4 == 3 else 0]
            created = _SEED_START + timedelta(hours=6 * index, milliseconds=71 * index)
            modified = created + timedelta(days=1 + index % 17, minutes=index % 40, milliseconds=233)
            person = contact["properties"] if contact else {}
            name = " ".join(v for v in (person.get("firstname"), person.get("lastname")) if v) or f"Lead {index + 1}"
            props = {
                "hs_lead_name": name,
                "hs_lead_type": LEAD_TYPES[1 if index % 3 == 2 else 0],
                "hs_lead_label": LEAD_LABELS[index % len(LEAD_LABELS)],
                "hs_pipeline": pipeline_id,
                "hs_pipeline_stage": stages[index % len(stages)][0],
                "hubspot_owner_id": _OWNERS[index % len(_OWNERS)],
                "lead_channel": CUSTOM_PROPERTIES["lead_channel"][index % 3] if index % 2 == 0 else "",
                "lead_score": str(10 * (index % 9)) if index % 3 == 1 else "",   # HubSpot sends numbers as strings
            }
            record = self._insert({k: v for k, v in props.items() if v != ""}, iso_ms(created), iso_ms(modified))
            if contact is not None:
                self.link(record, "contacts", contact["id"], primary=True)
                company = next((c for c, types in contact["links"].items() if associations.PRIMARY in types), None)
                if company is not None:
                    self.link(record, "companies", company, primary=True)

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**r, "links": {kind: {k: sorted(v) for k, v in links.items()} for kind, links in r["links"].items()}}
                for r in self.store.snapshot()]

    def _insert(self, props: dict[str, str], created: str, updated: str) -> dict[str, Any]:
        record_id = self.store.new_id()
        props.update(hs_object_id=record_id, hs_createdate=created, hs_lastmodifieddate=updated)
        record = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
                  "archived": False, "links": {"contacts": {}, "companies": {}}}
        return self.store.add(record_id, record)

    @staticmethod
    def link(record: dict[str, Any], kind: str, target_id: str, *, primary: bool) -> None:
        """Link a contact or company; a primary link makes it the lead's one (the former primary stays, unlabeled)."""
        links = record["links"][kind]
        if primary:
            for types in links.values():
                types.discard(PRIMARY_OF[kind])
        links.setdefault(target_id, set()).add(UNLABELED_OF[kind])
        if primary:
            links[target_id].add(PRIMARY_OF[kind])

    def primary(self, record: dict[str, Any], kind: str) -> dict[str, Any] | None:
        """The live contact or company a lead's primary link names."""
        target = next((t for t, types in record["links"][kind].items() if PRIMARY_OF[kind] in types), None)
        if target is None:
            return None
        if kind == "contacts":
            return self.emulator.resource("contacts").find(target)
        return self.emulator.resource("accounts").store.get_active(target)

    def associated(self, record: dict[str, Any]) -> dict[str, str]:
        """The properties HubSpot copies from the lead's primary contact and company."""
        contact = (self.primary(record, "contacts") or {}).get("properties", {})
        company = (self.primary(record, "companies") or {}).get("properties", {})
        values = {"hs_associated_contact_firstname": contact.get("firstname"),
                  "hs_associated_contact_lastname": contact.get("lastname"),
                  "hs_associated_contact_email": contact.get("email"),
                  "hs_associated_company_name": company.get("name"),
                  "hs_associated_company_domain": company.get("domain")}
        return {k: v for k, v in values.items() if v}

    async def search(self, request: Request) -> Response:
        """POST /crm/v3/objects/leads/search (search.py): live records, without associations."""
        return await serve_search(self.emulator, request, self.store.live,
                                  lambda r, names: self.render(r, names or DEFAULT_PROPERTIES))

    @staticmethod
    def v4_links(record: dict[str, Any], to_kind: str) -> dict[str, set[int]]:
        """The lead's links to `to_kind` as target id -> association type ids (association_reads.py)."""
        return {target: set(types) for target, types in record["links"].get(to_kind, {}).items()}

    def routes(self) -> list[Route]:
        routes = []
        for name in LEAD_NAMES:
            path = f"/crm/v3/objects/{name}"
            routes += [Route(path, self.list_or_create, methods=["GET", "POST"]),
                       Route(path + "/search", self.search, methods=["POST"]),
                       Route(path + "/{leadsId}", self.one, methods=["GET", "PATCH", "DELETE"]),
                       Route(f"/crm/v3/pipelines/{name}", self.serve_pipelines, methods=["GET"]),
                       Route(f"/crm/v3/pipelines/{name}/{{pipelineId}}", self.serve_pipelines, methods=["GET"])]
        return routes

    # -- reads -------------------------------------------------------------------------------------
    def render(self, record: dict[str, Any], names: list[str] | tuple[str, ...] | None,
               wanted: frozenset[str] = frozenset()) -> dict[str, Any]:
        stored = {**record["properties"], **self.associated(record)}
        if names is None:
            props = dict(stored)
        else:
            props = {name: stored.get(name) for name in (*ALWAYS_RETURNED, *names)
                     if name in self.emulator.portal_properties.known("leads") or name in stored}
        out: dict[str, Any] = {"id": record["id"], "properties": props, "createdAt": record["createdAt"],
                               "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record["archivedAt"]
        links = {kind: {"results": [{"id": target, "type": V3_TYPE_NAMES[t]}
                                    for target, types in record["links"][kind].items() for t in sorted(types)]}
                 for kind in ("contacts", "companies") if kind in wanted and record["links"][kind]}
        if links:
            out["associations"] = links
        return out



    # -- writes ------------------------------------------------------------------------------------
    def _checked(self, body: Any, model: str, headers: dict[str, str],
                 current: dict[str, str] | None = None) -> dict[str, str] | Response:
        """The written properties, validated as HubSpot does: known and writable names, enumerations,
        numbers, and a stage of the lead's pipeline."""
        portal = self.emulator.portal_properties
        props = validate_properties(body, model, portal.known("leads"), headers, COMPUTED_PROPERTIES,
                                    self.emulator.switch["invalid_properties"])
        if isinstance(props, Response):
            return props
        for name in COMPUTED_PROPERTIES:   # dropped, with the switch set to "ignore"
            props.pop(name, None)
        refused = value_errors(props, portal.enumerations("leads"), headers, portal.multi_valued("leads"))
        if refused is not None:
            return refused
        items = []
        for name in (d["name"] for d in portal.live("leads") if d["type"] == "number"):
            if props.get(name):
                try:
                    float(props[name])
                except ValueError:
                    message = f"{props[name]} was not a valid number"  # [unverified wording]
                    items.append({"isValid": False, "message": message, "error": "INVALID_DECIMAL", "name": name,
                                  "localizedErrorMessage": message})
        current = current or {}
        if props.get("hs_pipeline") or props.get("hs_pipeline_stage"):
            pipeline_id = props.get("hs_pipeline") or current.get("hs_pipeline") or LEAD_PIPELINE
            if not member(pipeline_id, STAGES_OF):
                items.append(option_item("hs_pipeline", pipeline_id, list(STAGES_OF)))
            else:
                stage_id = props.get("hs_pipeline_stage") or current.get("hs_pipeline_stage", "")
                if not member(stage_id, STAGES_OF[pipeline_id]):
                    items.append(option_item("hs_pipeline_stage", stage_id, STAGES_OF[pipeline_id]))
                props["hs_pipeline"] = pipeline_id
        if items:
            return invalid(items, headers)
        return props

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
        if not props.get("hs_lead_name"):
            return error(400, "VALIDATION_ERROR", REQUIRED_MESSAGE, headers, context={"properties": ["hs_lead_name"]})
        specs = self.association_specs(body.get("associations"), headers)
        if isinstance(specs, Response):
            return specs
        links = [(kind, target_id, type_id == PRIMARY_OF[kind]) for kind, target_id, type_id in specs]
        needed = self.emulator.switch["lead_primary_association"]
        kinds = {"contacts"} if needed == "contact" else {"contacts", "companies"}
        if not any(primary and kind in kinds for kind, _, primary in links):
            return error(400, "VALIDATION_ERROR", PRIMARY_MESSAGES[needed], headers)
        props.setdefault("hs_pipeline", LEAD_PIPELINE)
        props.setdefault("hs_pipeline_stage", STAGES_OF[props["hs_pipeline"]][0])
        stamp = now_iso()
        record = self._insert({k: v for k, v in props.items() if v != ""}, stamp, stamp)
        for kind, target_id, primary in links:
            self.link(record, kind, target_id, primary=primary)
        return answer(self.render(record, None), 201, headers)

    async def one(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        lead_id = request.path_params["leadsId"]
        read = self.archive_or_read(request, lead_id, headers)
        if read is not None:
            return read
        record = self.find(lead_id)
        if record is None:
            return not_found(lead_id, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked(body, "SimplePublicObjectInput", headers, current=record["properties"])
        if isinstance(props, Response):
            return props
        if props.get("hs_lead_name", None) == "":
            return error(400, "VALIDATION_ERROR", REQUIRED_MESSAGE.replace("creating", "updating"), headers,
                         context={"properties": ["hs_lead_name"]})
        write_properties(record["properties"], props, COMPUTED_PROPERTIES)
        stamp = now_iso()
        record["properties"]["hs_lastmodifieddate"] = stamp
        record["updatedAt"] = stamp
        return answer(self.render(record, None), 200, headers)

    async def serve_pipelines(self, request: Request) -> Response:
        """GET /crm/v3/pipelines/leads: `{"results": [Pipeline]}`, unpaged; one pipeline by id, 404 otherwise."""
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        every = [pipeline_object(*p) for p in PIPELINES]
        wanted = request.path_params.get("pipelineId")
        if wanted is None:
            return answer({"results": every}, 200, headers)
        found = next((p for p in every if p["id"] == wanted), None)
        if found is None:
            return error(404, "OBJECT_NOT_FOUND", PIPELINE_NOT_FOUND.format(id=wanted), headers)
        return answer(found, 200, headers)

