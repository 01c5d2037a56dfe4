"""HubSpot's properties API (read side): the portal's property definitions per object type.

`GET /crm/v3/properties/{objectType}` answers `{"results": [Property]}`, unpaged, and
`GET /crm/v3/properties/{objectType}/{propertyName}` one of them
(https://developers.hubspot.com/docs/api-reference/legacy/crm/properties/guide). A definition carries
`name, label, type, fieldType, groupName, options, hidden, calculated, ...`; HubSpot's own properties
carry `hubspotDefined: true`, a portal's custom ones leave it out. `archived=true` lists archived
properties (this portal has none). The object type is named as in the objects API (`contacts`,
`companies`) or by its type id (`0-1`, `0-2`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.hubspot.common import answer, error

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

# The object types this emulator serves, by every name HubSpot accepts for them.
OBJECT_TYPES = {"contacts": "contacts", "contact": "contacts", "0-1": "contacts",
                "companies": "companies", "company": "companies", "0-2": "companies",
                "deals": "deals", "deal": "deals", "0-3": "deals"}
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
    out: dict[str, Any] = {
        "name": name,
        "label": name.replace("_", " ").capitalize(),
        "type": kind,
        "fieldType": field_type,
        "description": "" if not custom else f"The portal's own {name.replace('_', ' ')}.",
        "groupName": "custom_properties" if custom else "information",
        "options": [{"label": value.replace("_", " ").capitalize(), "value": value, "displayOrder": i,
                     "hidden": False} for i, value in enumerate(options)],
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


def routes(emulator: HubSpotEmulator) -> list[Route]:
    async def list_properties(request: Request) -> Response:
        denied = emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = emulator.rate_limits.headers()
        raw = request.path_params["objectType"]
        object_type = OBJECT_TYPES.get(raw.lower())
        if object_type is None:
            return error(400, "VALIDATION_ERROR", UNKNOWN_TYPE_MESSAGE.format(name=raw), headers)
        if request.query_params.get("archived", "false").lower() == "true":
            return answer({"results": []}, 200, headers)
        return answer({"results": emulator.property_definitions(object_type)}, 200, headers)

    async def one_property(request: Request) -> Response:
        """GET /crm/v3/properties/{objectType}/{propertyName}: one definition, 404 for a name the type lacks."""
        denied = emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = emulator.rate_limits.headers()
        raw = request.path_params["objectType"]
        object_type = OBJECT_TYPES.get(raw.lower())
        if object_type is None:
            return error(400, "VALIDATION_ERROR", UNKNOWN_TYPE_MESSAGE.format(name=raw), headers)
        wanted = request.path_params["propertyName"]
        found = next((d for d in emulator.property_definitions(object_type) if d["name"] == wanted), None)
        if found is None:
            # [unverified wording] HubSpot's 404 category for a missing property
            return error(404, "OBJECT_NOT_FOUND", f"Unable to find property {wanted} on {object_type}", headers)
        return answer(found, 200, headers)

    return [Route("/crm/v3/properties/{objectType}", list_properties, methods=["GET"]),
            Route("/crm/v3/properties/{objectType}/{propertyName}", one_property, methods=["GET"])]
