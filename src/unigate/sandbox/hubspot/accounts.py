"""HubSpot CRM v3 companies: the emulator's `accounts` resource.

Routes are HubSpot's real paths (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/companies/guide):

- `GET    /crm/v3/objects/companies`              list (`limit` 1..100, default 10; `after`; `properties`; `archived`)
- `GET    /crm/v3/objects/companies/{companyId}`  read (`properties`, `archived`)
- `POST   /crm/v3/objects/companies`              create, 201
- `PATCH  /crm/v3/objects/companies/{companyId}`  update, 200 (`""` clears a property)
- `DELETE /crm/v3/objects/companies/{companyId}`  archive, 204 (idempotent)
- `POST   /crm/v3/objects/companies/batch/archive` archive many, 204 (bulk.py)

Records are kept in id order (ids are assigned increasingly) in a `Collection` whose archived ids
are a list of their own, so a page is a bisect plus a slice.
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
from unigate.sandbox.hubspot.properties import READ_ONLY
from unigate.sandbox.hubspot.common import (
    MAX_LIMIT,
    list_page,
    MEDIA_TYPE,
    answer,
    iso_ms,
    not_found,
    now_iso,
    read_body,
    requested_properties,
    STAGE_OPTIONS,
    validate_properties,
    value_errors,
)
from unigate.sandbox.hubspot.search import serve_search
from unigate.sandbox.hubspot.associations import REVERSE

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

COMPANIES_PATH = "/crm/v3/objects/companies"
FIRST_ID = 18_000_000_001  # HubSpot company ids are large numbers serialised as strings

# Returned when a list/get names no `properties` [observed: the example payload
# https://prismatic.io/docs/example-payloads/hubspot/actions/listCompanies.json].
DEFAULT_PROPERTIES = ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")
# HubSpot adds these to every answer even when `properties` names others [unverified: widely seen in
# live payloads, not in the official text]. Set to () to return exactly the requested properties.
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")

# Properties HubSpot defines for companies. Writes naming anything the portal does not define (these, the custom
# ones below and what the properties API added: `emulator.portal_properties`) fail with PROPERTY_DOESNT_EXIST;
# reads naming anything else simply leave it out (HubSpot docs: "If a requested property isn't
# defined, it won't be included in the response").
STANDARD_PROPERTIES = frozenset({
    "name", "domain", "website", "description", "industry", "numberofemployees", "phone",
    "address", "address2", "city", "state", "zip", "country", "hubspot_owner_id",
    "notes_last_updated", "notes_last_contacted", "createdate", "hs_lastmodifieddate", "hs_object_id",
    "hs_additional_domains", "lifecyclestage", "annualrevenue", "type", "timezone", "founded_year",
    "linkedin_company_page", "twitterhandle", "facebook_company_page", "is_public", "hs_lead_status",
})
# This portal's seeded custom company properties (name: enumeration options).
# A custom property with no options is a text property (properties.definition).
CUSTOM_PROPERTIES: dict[str, tuple[str, ...]] = {"account_tier": ("Gold", "Silver", "Bronze"), "partner_code": (),
                                                 "renewal_score": (), "is_strategic": ()}
KNOWN_PROPERTIES = STANDARD_PROPERTIES | frozenset(CUSTOM_PROPERTIES)
# Values an enumeration takes, seeded into the definitions (writes check them there): the lifecycle stages plus
# the portal's custom options. `industry`, `type`
# and `hs_lead_status` are enumerations too, but their company options are not in the emulator, so any
# value passes [unverified option lists].
ENUMERATIONS = {"lifecyclestage": STAGE_OPTIONS["lifecyclestage"], **{k: v for k, v in CUSTOM_PROPERTIES.items() if v}}
# HubSpot computes these: a write naming them is refused ("Read-only and non-existent properties will
# result in an error": the objects' update,
# https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/update-contact)
# or, with the switch `invalid_properties` set to "ignore", dropped (common.py).
COMPUTED_PROPERTIES = READ_ONLY & KNOWN_PROPERTIES

_INDUSTRIES = (
    "COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE", "MARKETING_AND_ADVERTISING", "RETAIL", "LOGISTICS_AND_SUPPLY_CHAIN",
    "MANAGEMENT_CONSULTING", "REAL_ESTATE", "BIOTECHNOLOGY", "TELECOMMUNICATIONS",
    "RENEWABLES_ENVIRONMENT", "EDUCATION_MANAGEMENT", "FOOD_BEVERAGES", "INTERNET", "CONSTRUCTION",
)
_NAME_HEADS = (
    "Northwind", "Bluepeak", "Cedar", "Ironbridge", "Lumen", "Harbor", "Summit", "Brightwater",
    "Redwood", "Silverline", "Oakridge", "Granite", "Meridian", "Pinecrest", "Evergreen", "Falcon",
    "Keystone", "Riverbend", "Stonegate", "Westfield", "Aurora", "Beacon", "Copperleaf", "Driftwood",
    "Foxglove", "Highland", "Juniper", "Larkspur", "Maplewood", "Orchard", "Quarry", "Sterling",
)
_NAME_TAILS = (
    ("Analytics", "COMPUTER_SOFTWARE"), ("Logistics", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Health", "HOSPITAL_HEALTH_CARE"), ("Capital", "FINANCIAL_SERVICES"),
    ("Media", "MARKETING_AND_ADVERTISING"), ("Foods", "FOOD_BEVERAGES"),
    ("Systems", "INFORMATION_TECHNOLOGY_AND_SERVICES"), ("Advisors", "MANAGEMENT_CONSULTING"),
    ("Properties", "REAL_ESTATE"), ("Biotech", "BIOTECHNOLOGY"), ("Networks", "TELECOMMUNICATIONS"),
    ("Energy", "RENEWABLES_ENVIRONMENT"), ("Learning", "EDUCATION_MANAGEMENT"),
    ("Outfitters", "RETAIL"), ("Labs", "INTERNET"), ("Builders", "CONSTRUCTION"),
)
_PLACES = (
    ("Boston", "MA", "02110", "United States", "+1 617"), ("Austin", "TX", "78701", "United States", "+1 512"),
    ("Denver", "CO", "80202", "United States", "+1 303"), ("Seattle", "WA", "98101", "United States", "+1 206"),
    ("Chicago", "IL", "60601", "United States", "+1 312"), ("Toronto", "ON", "M5H 2N2", "Canada", "+1 416"),
    ("London", "", "EC2A 4NE", "United Kingdom", "+44 20"), ("Dublin", "", "D02 X285", "Ireland", "+353 1"),
    ("Berlin", "", "10115", "Germany", "+49 30"), ("Sydney", "NSW", "2000", "Australia", "+61 2"),
)
_STREETS = ("Main Street", "Harbor Way", "Market Street", "Elm Avenue", "King Street", "Park Lane",
            "Mill Road", "Bridge Street")
_OWNERS = ("51234567", "51234568", "51234569", "51234570", "51234571")
_TIERS = ("Gold", "Silver", "Bronze")
_SEED_START = datetime(2023, 1, 2, 9, 0, 0, tzinfo=UTC)


def seed_company(index: int) -> dict[str, str]:
    """The properties of seeded company `index` (deterministic)."""
    head = _NAME_HEADS[index % len(_NAME_HEADS)]
    tail, industry = _NAME_TAILS[(index // len(_NAME_HEADS)) % len(_NAME_TAILS)]
    generation = index // (len(_NAME_HEADS) * len(_NAME_TAILS))
    name = f"{head} {tail}" + (f" {generation + 1}" if generation else "")
    slug = f"{head}{tail}{generation + 1 if generation else ''}".lower()
    city, state, zip_code, country, dial = _PLACES[index % len(_PLACES)]
    created = _SEED_START + timedelta(hours=7 * index, milliseconds=137 * (index % 1000))
    modified = created + timedelta(days=3 + index % 40, minutes=index % 60, milliseconds=411)
    props = {
        "name": name,
        "domain": f"{slug}.example.com",
        "website": f"https://www.{slug}.example.com",
        "description": f"{name} provides {tail.lower()} services to mid-market customers in {city}.",
        "industry": industry,
        "numberofemployees": str(10 + (index * 37) % 4990),
        "phone": f"{dial} 555 {1000 + index % 9000:04d}",
        "address": f"{100 + index % 900} {_STREETS[index % len(_STREETS)]}",
        "address2": f"Suite {200 + index % 50}" if index % 3 == 0 else "",
        "city": city,
        "state": state,
        "zip": zip_code,
        "country": country,
        "hubspot_owner_id": _OWNERS[index % len(_OWNERS)],
        "createdate": iso_ms(created),
        "hs_lastmodifieddate": iso_ms(modified),
    }
    if index % 4 != 3:
        props["notes_last_updated"] = iso_ms(modified - timedelta(hours=5))
    if index % 3 == 1:
        props["account_tier"] = _TIERS[index % len(_TIERS)]
        # a number and a checkbox property: HubSpot sends every value as a string
        props["renewal_score"] = str(index % 10)
        props["is_strategic"] = "true" if index % 2 else "false"
    return {k: v for k, v in props.items() if v != ""}


class Companies(Resource):
    name: ClassVar[str] = "accounts"
    emulator: HubSpotEmulator

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ID, make_id=str, number_of=int)

    def seed(self, count: int) -> None:
        self.store.clear()
        for index in range(count):
            props = seed_company(index)
            self._insert(props, props["createdate"], props["hs_lastmodifieddate"])

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def _insert(self, props: dict[str, str], created: str, updated: str) -> dict[str, Any]:
        record_id = self.store.new_id()
        props["hs_object_id"] = record_id
        props["createdate"] = created
        props["hs_lastmodifieddate"] = updated
        record = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
                  "archived": False}
        return self.store.add(record_id, record)

    def v4_links(self, record: dict[str, Any], to_kind: str) -> dict[str, set[int]]:
        """The company's links to `to_kind` as target id -> association type ids (association_reads.py): its
        contacts, read off their company links (company -> contact types 2 and 280)."""
        if to_kind != "contacts":
            return {}
        return {contact["id"]: {REVERSE[t] for t in contact["links"][record["id"]]}
                for contact in self.emulator.resource("contacts").store.live() if record["id"] in contact["links"]}

    def routes(self) -> list[Route]:
        return [
            Route(COMPANIES_PATH, self.list_or_create, methods=["GET", "POST"]),
            Route(COMPANIES_PATH + "/search", self.search, methods=["POST"]),
            Route(COMPANIES_PATH + "/{companyId}", self.one, methods=["GET", "PATCH", "DELETE"]),
        ]

    async def search(self, request: Request) -> Response:
        """POST /crm/v3/objects/companies/search (search.py): live companies only."""
        return await serve_search(self.emulator, request, self.store.live,
                                  lambda r, names: self._render(r, names or DEFAULT_PROPERTIES))

    def large_list_parts(self) -> tuple[str, bytes, list[bytes], bytes, str] | None:
        """A list page's envelope around up to 100 seeded companies, rendered with every property."""
        sample = [orjson.dumps(self._render(record, None)) for record in self.store.window(0, MAX_LIMIT)]
        if not sample:
            return None
        return COMPANIES_PATH, b'{"results":[', sample, b"]}", MEDIA_TYPE

    # -- helpers -----------------------------------------------------------------------------------
    def _render(self, record: dict[str, Any], names: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
        """The wire object; `names=None` returns every property that has a value."""
        stored = record["properties"]
        if names is None:
            properties = dict(stored)
        else:
            properties = {}
            known = self.emulator.portal_properties.known("companies")
            for name in (*ALWAYS_RETURNED, *names):
                if name in known or name in stored:
                    properties[name] = stored.get(name)
        out = {"id": record["id"], "properties": properties, "createdAt": record["createdAt"],
               "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record["archivedAt"]
        return out

    def archive(self, company_id: str) -> None:
        record = self.store.archive(company_id)
        if record is not None:
            record["archived"] = True
            record["archivedAt"] = now_iso()

    def _find(self, company_id: str, archived: bool) -> dict[str, Any] | None:
        record = self.store.get(company_id)
        if record is None or record["archived"] != archived:
            return None
        return record

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        if request.method == "POST":
            return await self._create(request, headers)
        return self._list(request, headers)

    def _list(self, request: Request, headers: dict[str, str]) -> Response:
        names = requested_properties(request)
        if names is None:
            names = list(DEFAULT_PROPERTIES)
        return list_page(request, self.store, headers, lambda record: self._render(record, names))

    async def _create(self, request: Request, headers: dict[str, str]) -> Response:
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        portal = self.emulator.portal_properties
        props = validate_properties(body, "SimplePublicObjectInputForCreate", portal.known("companies"), headers, COMPUTED_PROPERTIES,
                                    self.emulator.switch["invalid_properties"])
        if isinstance(props, Response):
            return props
        invalid = value_errors(props, portal.enumerations("companies"), headers, portal.multi_valued("companies"))
        if invalid is not None:
            return invalid
        stamp = now_iso()
        created = props.pop("createdate", "") or stamp
        record = self._insert({k: v for k, v in props.items() if v != ""}, created, stamp)
        return answer(self._render(record, None), 201, headers)

    async def one(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        company_id = request.path_params["companyId"]
        if request.method == "DELETE":
            # Archive; unknown or already archived ids answer 204 too [observed for contacts:
            # https://github.com/n8n-io/n8n/pull/3219; the same assumed for companies].
            self.archive(company_id)
            return answer(None, 204, headers)
        if request.method == "GET":
            archived = request.query_params.get("archived", "false").lower() == "true"
            record = self._find(company_id, archived)
            if record is None:
                return not_found(company_id, headers)
            names = requested_properties(request)
            return answer(self._render(record, DEFAULT_PROPERTIES if names is None else names), 200, headers)
        # PATCH
        record = self._find(company_id, archived=False)
        if record is None:
            return not_found(company_id, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        portal = self.emulator.portal_properties
        props = validate_properties(body, "SimplePublicObjectInput", portal.known("companies"), headers, COMPUTED_PROPERTIES,
                                    self.emulator.switch["invalid_properties"])
        if isinstance(props, Response):
            return props
        invalid = value_errors(props, portal.enumerations("companies"), headers, portal.multi_valued("companies"))
        if invalid is not None:
            return invalid
        stored = record["properties"]
        for name, value in props.items():
            if name == "createdate" and value == "":
                continue
            if value == "":
                stored.pop(name, None)
            else:
                stored[name] = value
        stamp = now_iso()
        stored["hs_lastmodifieddate"] = stamp
        record["updatedAt"] = stamp
        if "createdate" in props and props["createdate"]:
            record["createdAt"] = props["createdate"]
        return answer(self._render(record, None), 200, headers)
