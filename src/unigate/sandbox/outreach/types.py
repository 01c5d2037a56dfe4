"""Outreach custom field definitions: `GET /api/v2/types`, the labels and validations of the `customN` slots.

The OpenAPI's introduction (https://api.outreach.io/api/v2/schema/openapi.json, info) documents the endpoint:
one entry per object with custom fields (account, opportunity, opportunityLineItem, opportunityProspectRole,
product, prospect, purchase), each `{"type": <object>, "meta": {"validations": {"custom7": {"type", "required",
"label", "definition"}}}}`. Validation types: boolean, currency (`definition` the currency code), date
(YYYY-MM-DD), date_time, inclusion (a picklist: `definition` its values), multi_inclusion, numerical, percentage,
phone_number, string, url. Only slots an admin has configured are listed.
- Read-only: Outreach's API has no endpoint that creates, renames or deletes a custom field (the OpenAPI path
  list has none; slots are configured in Outreach's settings), so every other method on /types is the 404
  `routeNotFound` of an unknown endpoint.
- Values on records stay strings whatever the validation type (the schemas type every `customN` as a string);
  whether the API refuses a value its validation does not fit, or a write lacking a `required` slot, is not
  documented: the sandbox configures no required slot, and takes any string.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.outreach.common import document


def _field(kind: str, label: str, definition: Any = None, required: bool = False) -> dict[str, Any]:
    return {"type": kind, "required": required, "label": label, "definition": definition}


TIERS = ["Tier 1", "Tier 2", "Tier 3"]
# The sandbox instance's configured slots, by object (the seeds fill them with fitting values).
VALIDATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "account": {
        "custom1": _field("inclusion", "Tier", TIERS),
        "custom2": _field("string", "Region"),
        "custom3": _field("phone_number", "Switchboard"),
        "custom4": _field("numerical", "Health score"),
        "custom5": _field("date", "Renewal date"),
    },
    "prospect": {
        "custom1": _field("string", "Segment"),
        "custom2": _field("boolean", "Newsletter"),
        "custom3": _field("numerical", "Lead score"),
        "custom4": _field("date", "Last event"),
        "custom5": _field("inclusion", "Persona", ["Champion", "Economic buyer", "End user"]),
        "custom6": _field("url", "Calendar link"),
        "custom7": _field("phone_number", "Assistant phone"),
        "custom8": _field("date_time", "Last webinar"),
        "custom9": _field("percentage", "Engagement"),
        "custom10": _field("string", "Referred by"),
        "custom11": _field("currency", "Budget", "USD"),
        "custom12": _field("multi_inclusion", "Interests", ["Analytics", "Automation", "Security"]),
        "custom13": _field("string", "Preferred language"),
        "custom14": _field("string", "Source campaign"),
        "custom15": _field("date", "Trial end"),
        "custom16": _field("numerical", "Seats wanted"),
    },
    "opportunity": {
        "custom1": _field("inclusion", "Deal type", ["New business", "Renewal", "Upsell"]),
        "custom2": _field("percentage", "Discount"),
        "custom3": _field("string", "Competitor"),
    },
}


class Types(Resource):
    """`GET /api/v2/types`: the configured custom field slots of every object, in one document."""

    name = "types"

    def routes(self) -> list[Route]:
        return [Route("/api/v2/types", self.types, methods=["GET"])]

    def seed(self, count: int) -> None:
        """The definitions are the instance's configuration: the same in every data space."""

    def count(self) -> int:
        return len(VALIDATIONS)

    def snapshot(self) -> Any:
        return self._data()

    @staticmethod
    def _data() -> list[dict[str, Any]]:
        return [{"type": object_type, "meta": {"validations": validations}}
                for object_type, validations in VALIDATIONS.items()]

    async def types(self, request: Request) -> Response:
        early, headers, _ = await self.emulator._guard(request)
        if early is not None:
            return early
        return document(200, {"data": self._data()}, headers)
