"""HubSpot's properties API: the portal's property definitions and property groups per object type
(https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide).

- `GET    /crm/v3/properties/{objectType}`                 `{"results": [Property]}`, unpaged (`archived=true`: the archived ones)
- `POST   /crm/v3/properties/{objectType}`                 create (PropertyCreate), 201
- `GET    /crm/v3/properties/{objectType}/{propertyName}`  one definition (`archived=true` reaches an archived one)
- `PATCH  /crm/v3/properties/{objectType}/{propertyName}`  update (PropertyUpdate), 200
- `DELETE /crm/v3/properties/{objectType}/{propertyName}`  archive, 204
- `GET    /crm/v3/properties/{objectType}/groups`          `{"results": [PropertyGroup]}`
- `POST   /crm/v3/properties/{objectType}/groups`          create (PropertyGroupCreate), 201
- `GET    /crm/v3/properties/{objectType}/groups/{groupName}`, `PATCH` (PropertyGroupUpdate) one group
  (a group's DELETE is not emulated)

A definition carries `name, label, type, fieldType, groupName, options, hidden, calculated, ...`; HubSpot's own
properties carry `hubspotDefined: true`, a portal's custom ones leave it out. The object type is named as in
the objects API (`contacts`, `companies`) or by its type id (`0-1`, `0-2`). What one data space holds (the
seeded definitions, then what the API created, changed and archived) is a `PortalProperties`, which the
object resources read the writable property names and enumeration options from.

Request and answer shapes (PropertyCreate, PropertyUpdate, PropertyGroupCreate, PropertyGroupUpdate, their
required members and the type and fieldType values): HubSpot's own client,
https://github.com/HubSpot/hubspot-api-python, hubspot/crm/properties/models/. The wording of the refusals
is [unverified] unless marked otherwise; their envelope is HubSpot's (common.error).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, member
from unigate.sandbox.hubspot.common import BAD_VALUE_MESSAGE, answer, error, now_iso, read_body

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

# The object types this emulator serves, by every name HubSpot accepts for them.
OBJECT_TYPES = {"contacts": "contacts", "contact": "contacts", "0-1": "contacts",
                "companies": "companies", "company": "companies", "0-2": "companies",
                "deals": "deals", "deal": "deals", "0-3": "deals",
                "leads": "leads", "lead": "leads", "0-136": "leads"}
# [observed: HubSpot's answer for an unknown object type, recorded live in
# https://github.com/amp-labs/connectors, providers/hubspot/test/search/error-invalid-object.json]
UNKNOWN_TYPE_MESSAGE = "Unable to infer object type from: {name}"

_DEFINED_AT = "2019-08-06T02:41:52.594Z"
_CUSTOM_AT = "2023-01-02T09:00:00.000Z"

# Types and field types of the properties that are not plain text (the rest are string/text).
_TYPES = {
    "createdate": ("datetime", "date"), "lastmodifieddate": ("datetime", "date"),
    "hs_lastmodifieddate": ("datetime", "date"), "notes_last_updated": ("datetime", "date"),
    "notes_last_contacted": ("datetime", "date"), "hs_last_sales_activity_date": ("datetime", "date"),
    "numberofemployees": ("number", "number"), "annualrevenue": ("number", "number"),
    "hs_object_id": ("number", "number"), "associatedcompanyid": ("number", "number"),
    "phone": ("string", "phonenumber"), "mobilephone": ("string", "phonenumber"), "fax": ("string", "phonenumber"),
    "hubspot_owner_id": ("enumeration", "select"), "lifecyclestage": ("enumeration", "radio"),
    "hs_lead_status": ("enumeration", "radio"), "industry": ("enumeration", "select"),
    "is_public": ("bool", "booleancheckbox"), "is_strategic": ("bool", "booleancheckbox"),
    "renewal_score": ("number", "number"),
    "amount": ("number", "number"), "closedate": ("datetime", "date"), "hs_deal_stage_probability": ("number", "number"),
    "num_associated_contacts": ("number", "number"), "hs_is_closed": ("bool", "booleancheckbox"),
    "hs_is_closed_won": ("bool", "booleancheckbox"), "pipeline": ("enumeration", "select"),
    "dealstage": ("enumeration", "radio"),
    "nps_score": ("number", "number"), "newsletter_opt_in": ("bool", "booleancheckbox"),
    "onboarding_date": ("date", "date"), "support_notes": ("string", "textarea"),
}
# Properties HubSpot computes: their definitions say the value is read-only, and a write naming one is
# refused (common.validate_properties). `createdate` is not among them: the objects take it, so a
# migration keeps the original date [unverified].
READ_ONLY = frozenset({"lastmodifieddate", "hs_lastmodifieddate", "hs_object_id",
                        "associatedcompanyid", "hs_merged_object_ids", "hs_additional_emails", "notes_last_updated",
                        "notes_last_contacted", "hs_last_sales_activity_date", "hs_is_closed", "hs_is_closed_won",
                        "hs_deal_stage_probability", "num_associated_contacts"})


def definition(name: str, *, custom: bool, options: tuple[str, ...] = (), order: int = -1) -> dict[str, Any]:
    """A property definition in the shape of the properties API."""
    kind, field_type = _TYPES.get(name, ("enumeration", "select") if options else ("string", "text"))
    labels = {value: value.replace("_", " ").capitalize() for value in options}
    if kind == "bool" and not options:
        # a boolean property's two options: a booleancheckbox lets a user pick Yes or No
        # (https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide, "Property type and fieldType
        # values"); the option values true/false are what records hold
        options, labels = ("true", "false"), {"true": "Yes", "false": "No"}
    out: dict[str, Any] = {
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "type": kind,
        "fieldType": field_type,
        "description": "" if not custom else f"The portal's own {name.replace('_', ' ')}.",
        # PortalProperties puts HubSpot's own in the object's information group
        "groupName": "custom_properties" if custom else "information",
        "options": [{"label": labels[value], "value": value, "displayOrder": i, "hidden": False}
                    for i, value in enumerate(options)],
        "displayOrder": order,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": name == "email",
        "hidden": False,
        "formField": not custom,
        "dataSensitivity": "non_sensitive",
        "modificationMetadata": {"archivable": custom, "readOnlyDefinition": not custom,
                                 "readOnlyValue": name in READ_ONLY},
        "createdAt": _CUSTOM_AT if custom else _DEFINED_AT,
        "updatedAt": _CUSTOM_AT if custom else _DEFINED_AT,
        "archived": False,
    }
    if not custom:
        out["hubspotDefined"] = True
    return out


def definitions(standard: frozenset[str], custom: dict[str, tuple[str, ...]],
                options: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
    """Every definition of one object type: HubSpot's own (sorted) then the portal's custom ones."""
    out = [definition(name, custom=False, options=options.get(name, ())) for name in sorted(standard)]
    out += [definition(name, custom=True, options=values, order=i) for i, (name, values) in enumerate(custom.items())]
    return out


# -- what a data space holds -------------------------------------------------------------------------------

# The group HubSpot's own properties of each object sit in (`contactinformation`, ... as HubSpot's default
# property groups are named: https://knowledge.hubspot.com/properties/property-field-types-in-hubspot,
# [observed: `groupName` of default properties in recorded answers]).
INFORMATION_GROUPS = {"contacts": ("contactinformation", "Contact information"),
                      "companies": ("companyinformation", "Company information"),
                      "deals": ("dealinformation", "Deal information"),
                      # [unverified: the leads object's default group name follows the others' pattern]
                      "leads": ("leadinformation", "Lead information")}
# A portal's groups besides the information group: some of HubSpot's own [unverified list: HubSpot documents
# no fixed set of default groups] and the portal's own (`custom_properties` holds its seeded custom properties).
_OTHER_GROUPS = {
    "contacts": (("emailinformation", "Email information"), ("contact_activity", "Contact activity"),
                 ("conversioninformation", "Conversion information"), ("analyticsinformation", "Web analytics history"),
                 ("socialmediainformation", "Social media information"), ("sales_properties", "Sales properties"),
                 ("contactlcs", "Contact lifecycle stage properties"), ("facebook_ads_properties", "Facebook Ads properties"),
                 ("multibusinessunitinformation", "Business unit information"),
                 ("custom_properties", "Custom properties"), ("onboarding", "Onboarding"),
                 ("partner_program", "Partner program"), ("customer_success", "Customer success"),
                 ("event_attendance", "Event attendance"), ("integration_properties", "Integration properties"),
                 ("billing", "Billing")),
    "companies": (("social_media_information", "Social media information"), ("target_accounts", "Target accounts"),
                  ("company_activity", "Company activity"), ("custom_properties", "Custom properties"),
                  ("partner_program", "Partner program")),
    "deals": (("deal_activity", "Deal activity"), ("deal_revenue", "Deal revenue"),
              ("custom_properties", "Custom properties"), ("forecast", "Forecast")),
    "leads": (("custom_properties", "Custom properties"),),
}
CUSTOM_GROUP = "custom_properties"

# PropertyCreate's `type` and `fieldType` values (hubspot-api-python, hubspot/crm/properties/models/
# property_create.py, their allowed_values), and the fieldTypes each type takes ("Property type and fieldType
# values" in https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide).
FIELD_TYPES = {
    "string": ("text", "textarea", "html", "file", "phonenumber"),
    "number": ("number", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "enumeration": ("select", "radio", "checkbox", "booleancheckbox"),
    "bool": ("booleancheckbox",),
    "phone_number": ("phonenumber",),
}
ALL_FIELD_TYPES = ("booleancheckbox", "calculation_equation", "checkbox", "date", "file", "html", "number",
                   "phonenumber", "radio", "select", "text", "textarea")
# An internal name: a letter, then letters, digits and underscores [unverified: HubSpot's UI derives lower-case
# names of that form; the API's own rule is not documented].
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")
# How many custom properties one object type holds here (HubSpot bounds them per portal and object,
# https://developers.hubspot.com/docs/api/usage-details; the exact number varies by subscription [unverified]),
# and how many groups.
MAX_CUSTOM_PROPERTIES = 1000
MAX_GROUPS = 200

_MISSING = "Invalid input JSON on line 1, column 1: Cannot build {model}, some of required attributes are not set [{names}]"
# [unverified wording] the JSON binding's refusal of a body that is not an object
_NOT_OBJECT = "Invalid input JSON on line 1, column 1: Cannot deserialize a request body that is not a JSON object"
_BAD_ENUM = ("Invalid input JSON on line 1, column 1: Cannot deserialize value of type `{kind}` from String "
             "\"{value}\": not one of the values accepted for Enum class: [{allowed}]")


def _not_text(body: dict[str, Any], keys: tuple[str, ...], headers: dict[str, str]) -> Response | None:
    """HubSpot's 400 for a member that should be text and holds a number, an object, ... (the JSON binding's
    refusal, as for object properties: common.BAD_VALUE_MESSAGE)."""
    for key in keys:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            kind = "Object" if isinstance(value, dict) else "Array" if isinstance(value, list) else "Number" \
                if isinstance(value, (int, float)) and not isinstance(value, bool) else "Boolean"
            return error(400, "VALIDATION_ERROR", BAD_VALUE_MESSAGE.format(kind=kind, name=key), headers)
    return None


class PortalProperties:
    """One data space's property definitions and groups, per object type (`contacts`, `companies`, `deals`):
    seeded from `seeded(object_type)` on first use, then changed by the properties API."""

    def __init__(self, seeded: Callable[[str], list[dict[str, Any]]]) -> None:
        self._seeded = seeded
        self._definitions: dict[str, dict[str, dict[str, Any]]] = {}
        self._groups: dict[str, dict[str, dict[str, Any]]] = {}

    def definitions(self, object_type: str) -> dict[str, dict[str, Any]]:
        """Every definition of the object type by name, archived ones included."""
        found = self._definitions.get(object_type)
        if found is None:
            information = INFORMATION_GROUPS.get(object_type)
            found = {}
            for seeded in self._seeded(object_type):
                if information is not None:
                    seeded["groupName"] = information[0] if seeded.get("hubspotDefined") else CUSTOM_GROUP
                found[seeded["name"]] = seeded
            self._definitions[object_type] = found
        return found

    def groups(self, object_type: str) -> dict[str, dict[str, Any]]:
        found = self._groups.get(object_type)
        if found is None:
            seeded = ((INFORMATION_GROUPS[object_type], *_OTHER_GROUPS[object_type])
                      if object_type in INFORMATION_GROUPS else ())
            found = {name: {"name": name, "label": label, "displayOrder": i, "archived": False}
                     for i, (name, label) in enumerate(seeded)}
            self._groups[object_type] = found
        return found

    def live(self, object_type: str) -> list[dict[str, Any]]:
        return [d for d in self.definitions(object_type).values() if not d["archived"]]

    def known(self, object_type: str) -> frozenset[str]:
        """The names a record of the object type may carry (archived properties are gone from records' writes)."""
        return frozenset(d["name"] for d in self.live(object_type))

    def enumerations(self, object_type: str) -> dict[str, tuple[str, ...]]:
        """Enumeration properties with options: the values each takes."""
        return {d["name"]: tuple(o["value"] for o in d["options"]) for d in self.live(object_type)
                if d["type"] == "enumeration" and d["options"]}

    def multi_valued(self, object_type: str) -> frozenset[str]:
        """Enumerations of several values (`checkbox`: `"a;b"`,
        https://developers.hubspot.com/docs/faq/how-do-i-set-multiple-values-for-checkbox-properties)."""
        return frozenset(d["name"] for d in self.live(object_type)
                         if d["type"] == "enumeration" and d["fieldType"] == "checkbox")


class Fields(Resource):
    """The control API's view of the definitions (`fields`, every object type's, each with its `objectType`), and
    the properties API's routes (property groups included). Definitions are the portal's configuration: a reset
    restores the seeded ones whatever count it names."""

    name: ClassVar[str] = "fields"
    emulator: HubSpotEmulator

    def routes(self) -> list[Route]:
        return routes(self.emulator)

    def seed(self, count: int) -> None:
        """Nothing to seed: `reset_state` gave the emulator fresh `portal_properties`."""

    def snapshot(self) -> list[dict[str, Any]]:
        portal = self.emulator.portal_properties
        return [{"objectType": t, **d} for t in INFORMATION_GROUPS for d in portal.definitions(t).values()]


class FieldGroups(Resource):
    """The control API's view of the property groups (`field_groups`, each with its `objectType`); their routes are
    `Fields`'."""

    name: ClassVar[str] = "field_groups"
    emulator: HubSpotEmulator

    def routes(self) -> list[Route]:
        return []

    def seed(self, count: int) -> None:
        """Nothing to seed (see `Fields.seed`)."""

    def snapshot(self) -> list[dict[str, Any]]:
        portal = self.emulator.portal_properties
        return [{"objectType": t, **g} for t in INFORMATION_GROUPS for g in portal.groups(t).values()]


# -- checks ------------------------------------------------------------------------------------------

def _options(raw: Any, headers: dict[str, str]) -> list[dict[str, Any]] | Response:
    """OptionInput items: label, value and hidden required (hubspot-api-python, option_input.py); HubSpot numbers
    them in the order given [observed: an option's displayOrder came back renumbered, recorded in
    https://github.com/amp-labs/connectors, providers/hubspot/test/custom]."""
    if not isinstance(raw, list):
        return error(400, "VALIDATION_ERROR", _MISSING.format(model="OptionInput", names="label, value"), headers)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            return error(400, "VALIDATION_ERROR", _MISSING.format(model="OptionInput", names="hidden, label, value"),
                         headers)
        missing = [k for k in ("label", "value") if not isinstance(item.get(k), str) or not item[k]]
        missing += [] if isinstance(item.get("hidden"), bool) else ["hidden"]
        if missing:
            return error(400, "VALIDATION_ERROR", _MISSING.format(model="OptionInput", names=", ".join(missing)),
                         headers)
        if item["value"] in seen:
            return error(400, "VALIDATION_ERROR", f"Duplicate option value: {item['value']}", headers)
        seen.add(item["value"])
        out.append({"label": item["label"], "value": item["value"],
                    **({"description": item["description"]} if isinstance(item.get("description"), str) else {}),
                    "displayOrder": index, "hidden": item["hidden"]})
    return out


def _type_error(kind: Any, field_type: Any, headers: dict[str, str]) -> Response | None:
    """HubSpot's 400 for a type or fieldType it does not know, or a pair that does not go together."""
    if not member(kind, FIELD_TYPES):
        return error(400, "VALIDATION_ERROR", _BAD_ENUM.format(kind="PropertyType", value=kind,
                                                                allowed=", ".join(FIELD_TYPES)), headers)
    if not member(field_type, ALL_FIELD_TYPES):
        return error(400, "VALIDATION_ERROR", _BAD_ENUM.format(kind="FieldType", value=field_type,
                                                                allowed=", ".join(ALL_FIELD_TYPES)), headers)
    if not member(field_type, FIELD_TYPES[kind]):
        return error(400, "VALIDATION_ERROR", f"Property type {kind} does not support the field type {field_type}",
                     headers)
    return None


def _without_options(kind: str, options: list[dict[str, Any]], headers: dict[str, str]) -> Response | None:
    """An enumeration needs options ("This field is required for enumerated properties": PropertyCreate.options in
    hubspot-api-python, property_create.py) [the refusal's wording unverified]."""
    if kind == "enumeration" and not options:
        return error(400, "VALIDATION_ERROR", "Enumeration properties must have at least one option", headers)
    return None


# -- routes ------------------------------------------------------------------------------------------

def routes(emulator: HubSpotEmulator) -> list[Route]:
    def begin(request: Request) -> tuple[dict[str, str], str] | Response:
        """Auth, the rate-limit headers and the object type, or the refusal."""
        denied = emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = emulator.rate_limits.headers()
        raw = request.path_params["objectType"]
        object_type = OBJECT_TYPES.get(raw.lower())
        if object_type is None:
            return error(400, "VALIDATION_ERROR", UNKNOWN_TYPE_MESSAGE.format(name=raw), headers)
        return headers, object_type

    def store() -> PortalProperties:
        return emulator.portal_properties

    def missing_property(name: str, object_type: str, headers: dict[str, str]) -> Response:
        # [unverified wording] HubSpot's 404 category for a missing property
        return error(404, "OBJECT_NOT_FOUND", f"Unable to find property {name} on {object_type}", headers)

    async def list_or_create(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        headers, object_type = started
        if request.method == "POST":
            return await create(request, headers, object_type)
        archived = request.query_params.get("archived", "false").lower() == "true"
        results = [d for d in store().definitions(object_type).values() if d["archived"] == archived]
        return answer({"results": results}, 200, headers)

    async def create(request: Request, headers: dict[str, str], object_type: str) -> Response:
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        if not isinstance(body, dict):
            return error(400, "VALIDATION_ERROR", _NOT_OBJECT, headers)
        # PropertyCreate's required members (hubspot-api-python, property_create.py; "both type and fieldType
        # values are required", the properties guide)
        refused = _not_text(body, ("name", "label", "type", "fieldType", "groupName", "description"), headers)
        if refused is not None:
            return refused
        missing = [k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)]
        if missing:
            return error(400, "VALIDATION_ERROR", _MISSING.format(model="PropertyCreate", names=", ".join(missing)),
                         headers)
        name, kind, field_type = body["name"], body["type"], body["fieldType"]
        refused = _type_error(kind, field_type, headers)
        if refused is not None:
            return refused
        if not NAME_PATTERN.fullmatch(name):
            return error(400, "VALIDATION_ERROR", f"Property name {name} is invalid: a property's internal name "
                                                  "starts with a letter and holds letters, digits and underscores",
                         headers)
        definitions = store().definitions(object_type)
        if name in definitions:
            # a name is taken while its property is archived too (the recycling bin keeps it) [unverified]
            return error(409, "CONFLICT", f"A property named '{name}' already exists.", headers)
        if body["groupName"] not in store().groups(object_type):
            return error(400, "VALIDATION_ERROR", f"Property group {body['groupName']} does not exist.", headers)
        options = _options(body.get("options", []), headers)
        if isinstance(options, Response):
            return options
        refused = _without_options(kind, options, headers)
        if refused is not None:
            return refused
        if sum(1 for d in definitions.values() if not d.get("hubspotDefined")) >= MAX_CUSTOM_PROPERTIES:
            return error(400, "VALIDATION_ERROR", f"The portal holds {MAX_CUSTOM_PROPERTIES} custom properties of "
                                                  f"{object_type}, its limit.", headers)
        stamp = now_iso()
        created = {
            "name": name, "label": body["label"], "type": kind, "fieldType": field_type,
            "description": body["description"] if isinstance(body.get("description"), str) else "",
            "groupName": body["groupName"], "options": options,
            "displayOrder": body["displayOrder"] if isinstance(body.get("displayOrder"), int) else -1,
            "calculated": field_type == "calculation_equation", "externalOptions": False,
            "hasUniqueValue": body.get("hasUniqueValue") is True, "hidden": body.get("hidden") is True,
            "formField": body.get("formField") is True, "dataSensitivity": "non_sensitive",
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False},
            "createdAt": stamp, "updatedAt": stamp, "archived": False,
        }
        definitions[name] = created
        headers["Location"] = str(request.url.replace(query=None)) + "/" + name
        return answer(created, 201, headers)

    async def one(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        headers, object_type = started
        name = request.path_params["propertyName"]
        found = store().definitions(object_type).get(name)
        archived = request.query_params.get("archived", "false").lower() == "true"
        if request.method == "GET":
            if found is None or found["archived"] != archived:
                return missing_property(name, object_type, headers)
            return answer(found, 200, headers)
        if found is None or found["archived"]:
            return missing_property(name, object_type, headers)
        if request.method == "DELETE":
            # HubSpot's own properties cannot be archived (their modificationMetadata says archivable: false)
            if not found["modificationMetadata"]["archivable"]:
                return error(400, "VALIDATION_ERROR", f"Property {name} is a HubSpot-defined property and cannot be "
                                                      "archived.", headers)
            found["archived"] = True
            found["archivedAt"] = found["updatedAt"] = now_iso()
            return answer(None, 204, headers)
        return await update(request, headers, object_type, found)

    async def update(request: Request, headers: dict[str, str], object_type: str, found: dict[str, Any]) -> Response:
        """PATCH: PropertyUpdate's members (label, description, groupName, type, fieldType, options,
        displayOrder, hidden, formField); others, `name` among them, are not PropertyUpdate's and are ignored
        [unverified]. HubSpot's own properties keep their type and fieldType."""
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        if not isinstance(body, dict):
            return error(400, "VALIDATION_ERROR", _NOT_OBJECT, headers)
        refused = _not_text(body, ("label", "description", "groupName", "type", "fieldType"), headers)
        if refused is not None:
            return refused
        if "label" in body and not body["label"]:
            return error(400, "VALIDATION_ERROR", "A property's label cannot be empty.", headers)  # [unverified]
        kind = body.get("type", found["type"])
        field_type = body.get("fieldType", found["fieldType"])
        if (kind, field_type) != (found["type"], found["fieldType"]):
            if found.get("hubspotDefined"):
                return error(400, "VALIDATION_ERROR", f"Property {found['name']} is a HubSpot-defined property: its "
                                                      "type and field type cannot be changed.", headers)
            refused = _type_error(kind, field_type, headers)
            if refused is not None:
                return refused
        options = found["options"]
        if "options" in body:
            options = _options(body["options"], headers)
            if isinstance(options, Response):
                return options
        refused = _without_options(kind, options, headers)
        if refused is not None:
            return refused
        if "groupName" in body and body["groupName"] not in store().groups(object_type):
            return error(400, "VALIDATION_ERROR", f"Property group {body['groupName']} does not exist.", headers)
        for key in ("label", "description", "groupName"):
            if key in body:
                found[key] = body[key]
        for key in ("hidden", "formField"):
            if isinstance(body.get(key), bool):
                found[key] = body[key]
        if isinstance(body.get("displayOrder"), int):
            found["displayOrder"] = body["displayOrder"]
        found.update({"type": kind, "fieldType": field_type, "options": options, "updatedAt": now_iso()})
        return answer(found, 200, headers)

    async def groups(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        headers, object_type = started
        held = store().groups(object_type)
        if request.method == "GET":
            return answer({"results": [g for g in held.values() if not g["archived"]]}, 200, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        if not isinstance(body, dict):
            return error(400, "VALIDATION_ERROR", _NOT_OBJECT, headers)
        # PropertyGroupCreate: name and label required (hubspot-api-python, property_group_create.py)
        refused = _not_text(body, ("name", "label"), headers)
        if refused is not None:
            return refused
        missing = [k for k in ("name", "label") if not body.get(k)]
        if missing:
            return error(400, "VALIDATION_ERROR",
                         _MISSING.format(model="PropertyGroupCreate", names=", ".join(missing)), headers)
        name = body["name"]
        if not NAME_PATTERN.fullmatch(name):
            return error(400, "VALIDATION_ERROR", f"Property group name {name} is invalid: it starts with a letter "
                                                  "and holds letters, digits and underscores", headers)
        if name in held:
            return error(409, "CONFLICT", f"A property group named '{name}' already exists.", headers)
        if len(held) >= MAX_GROUPS:
            return error(400, "VALIDATION_ERROR", f"The portal holds {MAX_GROUPS} property groups of {object_type}, "
                                                  "its limit.", headers)
        order = body["displayOrder"] if isinstance(body.get("displayOrder"), int) else -1
        created = {"name": name, "label": body["label"], "displayOrder": order, "archived": False}
        held[name] = created
        headers["Location"] = str(request.url.replace(query=None)) + "/" + name
        return answer(created, 201, headers)

    async def one_group(request: Request) -> Response:
        started = begin(request)
        if isinstance(started, Response):
            return started
        headers, object_type = started
        name = request.path_params["groupName"]
        found = store().groups(object_type).get(name)
        if found is None or found["archived"]:
            # [unverified wording]
            return error(404, "OBJECT_NOT_FOUND", f"Unable to find property group {name} on {object_type}", headers)
        if request.method == "GET":
            return answer(found, 200, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        if not isinstance(body, dict):
            return error(400, "VALIDATION_ERROR", _NOT_OBJECT, headers)
        # PropertyGroupUpdate: label and displayOrder; a group keeps its name
        if "label" in body:
            if not isinstance(body["label"], str) or not body["label"]:
                return error(400, "VALIDATION_ERROR", "A property group's label cannot be empty.", headers)
            found["label"] = body["label"]
        if isinstance(body.get("displayOrder"), int):
            found["displayOrder"] = body["displayOrder"]
        return answer(found, 200, headers)

    # `groups` is matched before `{propertyName}` (Starlette tries routes in order): HubSpot's paths share it
    return [Route("/crm/v3/properties/{objectType}/groups", groups, methods=["GET", "POST"]),
            Route("/crm/v3/properties/{objectType}/groups/{groupName}", one_group, methods=["GET", "PATCH"]),
            Route("/crm/v3/properties/{objectType}", list_or_create, methods=["GET", "POST"]),
            Route("/crm/v3/properties/{objectType}/{propertyName}", one, methods=["GET", "PATCH", "DELETE"])]
