"""HubSpot CRM v3 contacts: the emulator's `contacts` resource.

Routes are HubSpot's real paths (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/guide):

- `GET    /crm/v3/objects/contacts`              list (`limit` 1..100, default 10; `after`; `properties`;
  `associations`; `archived`)
- `GET    /crm/v3/objects/contacts/{contactId}`  read (`properties`, `associations`, `archived`,
  `idProperty=email`: the path holds an email)
- `POST   /crm/v3/objects/contacts`              create, 201; `associations` links companies at once
- `PATCH  /crm/v3/objects/contacts/{contactId}`  update, 200 (`""` clears a property)
- `DELETE /crm/v3/objects/contacts/{contactId}`  archive, 204 (idempotent)
- `POST   /crm/v3/objects/contacts/merge`        merge two contacts, 200 (bulk.py)
- `POST   /crm/v3/objects/contacts/batch/archive` archive many, 204 (bulk.py)

A contact's company links live on its record as `links` ({company id: set of association type
ids}); `associations.py` serves them through associations v4 and this module through the v3
`associations` parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot import associations
from unigate.sandbox.hubspot.properties import READ_ONLY
from unigate.sandbox.hubspot.common import (
    list_page,
    answer,
    error,
    iso_ms,
    not_found,
    now_iso,
    read_body,
    requested_properties,
    STAGE_OPTIONS,
    validate_properties,
    value_errors,
    write_properties,
)
from unigate.sandbox.hubspot.search import serve_search

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

CONTACTS_PATH = "/crm/v3/objects/contacts"
FIRST_ID = 51_000_000_001

# Returned when a list/get names no `properties`
# (https://developers.hubspot.com/docs/api-reference/2026-03/crm/search-the-crm, default contact properties).
DEFAULT_PROPERTIES = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
# Added to every answer even when `properties` names others [unverified, as for companies].
ALWAYS_RETURNED = ("createdate", "lastmodifieddate", "hs_object_id")

# Enumerations with their internal values (lifecycle stage and lead status: common.py).
OPTIONS = STAGE_OPTIONS
STANDARD_PROPERTIES = frozenset({
    "email", "firstname", "lastname", "phone", "mobilephone", "fax", "jobtitle", "company", "website",
    "address", "city", "state", "zip", "country", "hubspot_owner_id", "lifecyclestage", "hs_lead_status",
    "hs_additional_emails", "createdate", "lastmodifieddate", "hs_object_id", "notes_last_updated",
    "notes_last_contacted", "hs_last_sales_activity_date", "associatedcompanyid", "hs_merged_object_ids",
})
# This portal's seeded custom contact properties (name: enumeration options, () for free text); the
# properties API adds more (`emulator.portal_properties`).
# A custom property with no options is a text property (properties.definition).
# Besides the two the seeded contacts fill, some no contact uses yet (typed in properties._TYPES), as portals have.
CUSTOM_PROPERTIES: dict[str, tuple[str, ...]] = {"preferred_channel": ("email", "phone", "sms"), "referral_code": (),
                                                 "preferred_language": ("en", "de", "fr"), "nps_score": (),
                                                 "newsletter_opt_in": (), "onboarding_date": (), "support_notes": ()}
KNOWN_PROPERTIES = STANDARD_PROPERTIES | frozenset(CUSTOM_PROPERTIES)
# HubSpot computes these (additional emails come from merges and the app): a write naming them is
# refused, or dropped with the switch `invalid_properties` set to "ignore" (common.py).
COMPUTED_PROPERTIES = READ_ONLY & KNOWN_PROPERTIES

# "Include at least one of email, firstname, lastname"
# (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/guide) [message unverified].
IDENTITY_MESSAGE = "Error creating CONTACT. Some required properties were not set."
# 409 for a second contact with the same email [observed: https://github.com/HubSpot/hubspot-api-nodejs/issues/545].
CONFLICT_MESSAGE = "Contact already exists. Existing ID: {id}"

_FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kara", "Liam",
          "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yara")
_LAST = ("Lovelace", "Okafor", "Martin", "Patel", "Rossi", "Haddad", "Kim", "Moreau", "Silva", "Berg",
         "Novak", "Walsh", "Tanaka", "Fischer", "Ivanova", "Nair", "Byrne", "Garcia", "Cohen", "Aziz")
_TITLES = ("Head of Operations", "VP Sales", "Software Engineer", "Office Manager", "CFO", "Marketing Lead", "")
_OWNERS = ("51234567", "51234568", "51234569", "51234570", "51234571")
_SEED_START = datetime(2023, 2, 1, 10, 0, 0, tzinfo=UTC)


def seed_contact(index: int, company: dict[str, Any] | None) -> dict[str, str]:
    """The properties of seeded contact `index` (deterministic); `company` is the one it works for."""
    first = _FIRST[index % len(_FIRST)]
    last = _LAST[(index * 7) % len(_LAST)]
    domain = company["properties"].get("domain", "example.com") if company else "mail.example.net"
    created = _SEED_START + timedelta(hours=5 * index, milliseconds=211 * (index % 1000))
    modified = created + timedelta(days=2 + index % 30, minutes=index % 50, milliseconds=127)
    props = {
        "email": f"{first}.{last}{index}@{domain}".lower(),
        "firstname": first,
        "lastname": last,
        "jobtitle": _TITLES[index % len(_TITLES)],
        "phone": f"+1 617 555 {2000 + index % 8000:04d}",
        "mobilephone": f"+1 857 555 {3000 + index % 7000:04d}" if index % 3 == 0 else "",
        "hubspot_owner_id": _OWNERS[index % len(_OWNERS)],
        "website": f"https://www.linkedin.com/in/{first}-{last}-{index}".lower() if index % 4 == 0 else "",
        "lifecyclestage": OPTIONS["lifecyclestage"][index % 8],
        "city": company["properties"].get("city", "") if company else "Portland",
        "country": company["properties"].get("country", "") if company else "United States",
        "hs_additional_emails": f"{first}.{last}{index}@personal.example.org".lower() if index % 4 == 1 else "",
        "createdate": iso_ms(created),
        "lastmodifieddate": iso_ms(modified),
    }
    if index % 5 != 4:
        props["notes_last_updated"] = iso_ms(modified - timedelta(hours=3))
    if index % 3 == 1:
        props["preferred_channel"] = CUSTOM_PROPERTIES["preferred_channel"][index % 3]
    return {k: v for k, v in props.items() if v != ""}


class Contacts(Resource):
    name: ClassVar[str] = "contacts"
    emulator: HubSpotEmulator

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=FIRST_ID, make_id=str, number_of=int)
        self.merged_into: dict[str, str] = {}   # merged-away id -> the survivor's id (bulk.merge_into)

    def seed(self, count: int) -> None:
        """Four contacts in five work for a seeded company (the primary association), the fifth for none."""
        self.store.clear()
        self.merged_into = {}
        companies = list(self.emulator.resource("accounts").store.live())
        for index in range(count):
            company = companies[(index * 3) % len(companies)] if companies and index % 5 != 2 else None
            props = seed_contact(index, company)
            record = self._insert(props, props["createdate"], props["lastmodifieddate"])
            if company is not None:
                associations.link(record, company["id"], primary=True)

    def snapshot(self) -> list[dict[str, Any]]:
        return [{**r, "links": {k: sorted(v) for k, v in r["links"].items()}} for r in self.store.snapshot()]

    def _insert(self, props: dict[str, str], created: str, updated: str) -> dict[str, Any]:
        record_id = self.store.new_id()
        props["hs_object_id"] = record_id
        props["createdate"] = created
        props["lastmodifieddate"] = updated
        record = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
                  "archived": False, "links": {}}
        return self.store.add(record_id, record)

    def routes(self) -> list[Route]:
        return [
            Route(CONTACTS_PATH, self.list_or_create, methods=["GET", "POST"]),
            Route(CONTACTS_PATH + "/search", self.search, methods=["POST"]),
            Route(CONTACTS_PATH + "/{contactId}", self.one, methods=["GET", "PATCH", "DELETE"]),
        ]

    # -- helpers -----------------------------------------------------------------------------------
    def render(self, record: dict[str, Any], names: list[str] | tuple[str, ...] | None,
               with_companies: bool = False) -> dict[str, Any]:
        """The wire object; `names=None` returns every property that has a value."""
        stored = record["properties"]
        if names is None:
            properties = dict(stored)
        else:
            known = self.emulator.portal_properties.known("contacts")
            properties = {name: stored.get(name) for name in (*ALWAYS_RETURNED, *names)
                          if name in known or name in stored}
        out = {"id": record["id"], "properties": properties, "createdAt": record["createdAt"],
               "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record["archivedAt"]
        if with_companies and record["links"]:
            out["associations"] = {"companies": {"results": associations.v3_results(record)}}
        return out

    async def search(self, request: Request) -> Response:
        """POST /crm/v3/objects/contacts/search (search.py): live contacts, without associations."""
        return await serve_search(self.emulator, request, self.store.live,
                                  lambda r, names: self.render(r, names or DEFAULT_PROPERTIES))

    @staticmethod
    def v4_links(record: dict[str, Any], to_kind: str) -> dict[str, set[int]]:
        """The contact's links to `to_kind` as target id -> association type ids (association_reads.py); this
        emulator keeps a contact's company links only."""
        return {company_id: set(types) for company_id, types in record["links"].items()} if to_kind == "companies" else {}

    def find(self, contact_id: str, archived: bool = False) -> dict[str, Any] | None:
        record = self.store.get(contact_id)
        if record is None or record["archived"] != archived:
            return None
        return record

    def archive(self, record: dict[str, Any]) -> None:
        self.store.archive(record["id"])
        record["archived"] = True
        record["archivedAt"] = now_iso()

    def owner_of_email(self, email: str, but: str | None = None) -> str | None:
        """The id of the live contact holding `email` (HubSpot keeps emails unique per portal)."""
        email = email.lower()
        for record in self.store.live():
            if record["id"] != but and record["properties"].get("email", "").lower() == email:
                return record["id"]
        return None

    def survivor_of(self, contact_id: str) -> str:
        """The contact a merged-away id now lives on (itself when it was never merged away)."""
        seen = set()
        while contact_id in self.merged_into and contact_id not in seen:
            seen.add(contact_id)
            contact_id = self.merged_into[contact_id]
        return contact_id

    def touch(self, record: dict[str, Any]) -> None:
        stamp = now_iso()
        record["properties"]["lastmodifieddate"] = stamp
        record["updatedAt"] = stamp

    @staticmethod
    def _wants_companies(request: Request) -> bool:
        names = requested_properties_of(request, "associations") or []
        return any(name.lower() in associations.COMPANY_NAMES for name in names)

    def _checked_props(self, body: Any, model: str, headers: dict[str, str],
                       but: str | None = None) -> dict[str, str] | Response:
        portal = self.emulator.portal_properties
        props = validate_properties(body, model, portal.known("contacts"), headers, COMPUTED_PROPERTIES,
                                    self.emulator.switch["invalid_properties"])
        if isinstance(props, Response):
            return props
        invalid = value_errors(props, portal.enumerations("contacts"), headers, portal.multi_valued("contacts"))
        if invalid is not None:
            return invalid
        if props.get("email"):
            existing = self.owner_of_email(props["email"], but)
            if existing is not None:
                return error(409, "CONFLICT", CONFLICT_MESSAGE.format(id=existing), headers)
        return props

    def _by_id_property(self, request: Request, contact_id: str, headers: dict[str, str]) -> str | Response:
        """The contact id a GET/PATCH addresses: `idProperty=email` names a contact by its email
        (the objects API's `idProperty` takes a unique property), else the path holds the id."""
        id_property = request.query_params.get("idProperty")
        if id_property in (None, "", "hs_object_id"):
            return contact_id
        if id_property != "email":  # [unverified wording] not a unique-value property of contacts
            return error(400, "VALIDATION_ERROR", f"Property {id_property} is not a unique identifier property",
                         headers)
        return self.owner_of_email(contact_id) or contact_id

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
        names = requested_properties(request) or DEFAULT_PROPERTIES
        with_companies = self._wants_companies(request)
        return list_page(request, self.store, headers, lambda record: self.render(record, names, with_companies))

    async def _create(self, request: Request, headers: dict[str, str]) -> Response:
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked_props(body, "SimplePublicObjectInputForCreate", headers)
        if isinstance(props, Response):
            return props
        if not any(props.get(name) for name in ("email", "firstname", "lastname")):
            return error(400, "VALIDATION_ERROR", IDENTITY_MESSAGE, headers,
                         context={"properties": ["email", "firstname", "lastname"]})
        links = associations.create_links(self.emulator, body.get("associations"), headers)
        if isinstance(links, Response):
            return links
        stamp = now_iso()
        created = props.pop("createdate", "") or stamp
        record = self._insert({k: v for k, v in props.items() if v != ""}, created, stamp)
        for company_id, primary in links:
            associations.link(record, company_id, primary=primary)
        return answer(self.render(record, None), 201, headers)

    async def one(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        contact_id = request.path_params["contactId"]
        if request.method in ("GET", "PATCH"):
            contact_id = self._by_id_property(request, contact_id, headers)
            if isinstance(contact_id, Response):
                return contact_id
        if request.method == "DELETE":
            # Archive; unknown or already archived ids answer 204 too
            # [observed: https://github.com/n8n-io/n8n/pull/3219].
            record = self.find(contact_id)
            if record is not None:
                self.archive(record)
            return answer(None, 204, headers)
        if request.method == "GET":
            archived = request.query_params.get("archived", "false").lower() == "true"
            record = self.find(contact_id, archived)
            if record is None and self.emulator.switch["merged_id_read"] == "survivor":
                record = self.find(self.survivor_of(contact_id), archived)
            if record is None:
                return not_found(contact_id, headers)
            names = requested_properties(request)
            return answer(self.render(record, names or DEFAULT_PROPERTIES, self._wants_companies(request)),
                          200, headers)
        record = self.find(contact_id)
        if record is None:
            return not_found(contact_id, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._checked_props(body, "SimplePublicObjectInput", headers, but=record["id"])
        if isinstance(props, Response):
            return props
        write_properties(record["properties"], props, frozenset({"createdate"}))
        self.touch(record)
        return answer(self.render(record, None), 200, headers)


def requested_properties_of(request: Request, parameter: str) -> list[str] | None:
    """A comma-list parameter given once or repeated (`associations`, like `properties`)."""
    values = request.query_params.getlist(parameter)
    names = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return names or None
