"""Outreach opportunities: the JSON:API v2 `opportunity` resource (https://api.outreach.io/api/v2/opportunities,
https://developers.outreach.io/api/reference/tag/Opportunity/), the CRM's deals.

Attributes and relationships from the official OpenAPI opportunity schema
(https://api.outreach.io/api/v2/schema/openapi.json):
- `amount` is an integer (a fractional value is refused as a wrong type); `amountPrecise` is the exact
  amount as a string of at most 15 characters; `currencyType` an ISO code; `closeDate` a date-time;
  `probability` an integer percent; `custom1..custom150` strings; `tags` an array of strings.
- Writable to-one relationships: `account`, `opportunityStage` (the stage), `owner` (a user),
  `primaryProspect`. `stage` is a read-only mirror of `opportunityStage` (the list filter is
  `filter[stage][id]`); `creator`/`updater` are read-only; `prospects` is a link.
- Outreach has no pipeline object and no won/lost flag: a deal moves by a PATCH of `opportunityStage`,
  to any stage.
- A relationship to a record that does not exist is 404 `resourceNotFound`, as JSON:API 1.0 requires
  ("A server MUST return 404 Not Found when processing a request that references a related resource that
  does not exist", https://jsonapi.org/format/1.0/#crud-creating-responses-404); Outreach does not
  document its own answer.
- `name` is required: the schema marks nothing required, and Outreach's opportunity form requires a name
  (unverified for the API; `REQUIRE_NAME` switches it off).
Paging, status codes and error bodies are every type's (jsonapi.py). Deletion is permanent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from unigate.sandbox.outreach.common import SANDBOX_USER_IDS, SEED_EPOCH, iso, too_long, validation_error
from unigate.sandbox.outreach.jsonapi import INT, STRING, STRINGS, JsonApiResource

CUSTOM_KEYS = tuple(f"custom{i}" for i in range(1, 151))   # custom1..custom150 (OpenAPI opportunity schema)
ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("name", "amountPrecise", "closeDate", "currencyType", "description", "nextStep",
                     "opportunityType", "forecastCategory", "leadSource", "lostReason", "recordType", "customId",
                     "externalCreatedAt", "externalUpdatedAt", "sharingTeamId", "createdAt", "updatedAt",
                     "touchedAt", "trashedAt"), STRING),
    **dict.fromkeys(("amount", "probability"), INT),
    "tags": STRINGS,
    **dict.fromkeys(CUSTOM_KEYS, STRING),
}
READ_ONLY_ATTRIBUTES = ("createdAt", "updatedAt", "touchedAt")
TO_ONE_RELATIONSHIPS = {"account": "account", "opportunityStage": "opportunityStage", "stage": "opportunityStage",
                        "owner": "user", "primaryProspect": "prospect", "creator": "user", "updater": "user"}
WRITABLE_RELATIONSHIPS = frozenset({"account", "opportunityStage", "owner", "primaryProspect"})
# Which emulated resource holds each related type a write may name.
RELATED_RESOURCES = {"account": "accounts", "opportunityStage": "stages", "primaryProspect": "contacts"}
MAX_LENGTHS = {"name": 255, "amountPrecise": 15}   # OpenAPI maxLength
REQUIRE_NAME = True

_NAMES = ["Platform renewal", "Expansion", "Pilot", "Enterprise licence", "Services bundle", "Upsell seats"]
_CURRENCIES = ["USD", "EUR", "GBP", "JPY"]
_FORECAST = ["Pipeline", "Best Case", "Commit", "Closed"]


class Opportunities(JsonApiResource):
    """Outreach opportunities: seed, validation and the stage mirror; the rest is `JsonApiResource`."""

    name = "opportunities"
    type_name = "opportunity"
    path = "opportunities"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = TO_ONE_RELATIONSHIPS
    writable_to_one = WRITABLE_RELATIONSHIPS
    to_many = ("prospects",)
    related_filter = "opportunities"
    # the OpenAPI opportunity schema's filterable / sortable badges (https://api.outreach.io/api/v2/schema/openapi.json):
    # closeDate sorts but does not filter
    filterable = frozenset({"id", "name", "probability", "createdAt", "updatedAt", "account", "stage", "owner",
                            "prospects"})
    sortable = frozenset({"id", "name", "amount", "closeDate", "probability", "createdAt", "updatedAt"})

    def seed(self, count: int) -> None:
        """Deals on seeded accounts (round robin), each with a prospect of that account when it has one, in
        every stage in turn, with amounts in four currencies."""
        self.new_store()
        accounts = list(self.emulator.resource("accounts").store.active)
        prospects_by_account: dict[int, int] = {}
        for prospect in self.emulator.resource("contacts").store.live():
            account_id = prospect["relationships"].get("account")
            if account_id is not None:
                prospects_by_account.setdefault(account_id, prospect["id"])
        stages = list(self.emulator.resource("stages").store.active)
        for i in range(count):
            account_id = accounts[i % len(accounts)] if accounts else None
            amount = 5_000 + (i * 7_919) % 250_000
            created = SEED_EPOCH + timedelta(hours=11 * i, minutes=7)
            updated = created + timedelta(days=1, minutes=i % 50)
            attributes = dict.fromkeys(ATTRIBUTE_TYPES)
            attributes.update({
                "name": f"{_NAMES[i % len(_NAMES)]} {i + 1}",
                "amount": amount,
                "amountPrecise": f"{amount}.{(i * 37) % 100:02d}" if i % 3 == 0 else str(amount),
                "currencyType": _CURRENCIES[i % len(_CURRENCIES)],
                "closeDate": iso(created + timedelta(days=45 + i % 90)),
                "probability": (i * 10) % 100,
                "description": f"Seeded deal {i + 1}",
                "forecastCategory": _FORECAST[i % len(_FORECAST)],
                "tags": ["inbound"] if i % 2 == 0 else [],
                # slots typed by /types (types.py): a picklist, a percentage and a text, strings on the wire
                "custom1": ["New business", "Renewal", "Upsell"][i % 3],
                "custom2": str((i % 4) * 5) if i % 2 else None,
                "custom3": ["Globex", "Initech", None][i % 3],
                "createdAt": iso(created),
                "updatedAt": iso(updated),
                "touchedAt": iso(updated + timedelta(hours=2)) if i % 2 else None,
            })
            owner = SANDBOX_USER_IDS[(i * 7) % len(SANDBOX_USER_IDS)]
            record = self.store_record(attributes, {
                "account": account_id,
                "opportunityStage": stages[i % len(stages)] if stages else None,
                "owner": owner,
                "primaryProspect": prospects_by_account.get(account_id) if account_id is not None else None,
                "creator": SANDBOX_USER_IDS[0], "updater": owner,
            })
            self.derive(record)

    def defaults(self) -> dict[str, Any]:
        return {"tags": []}

    def check(self, attributes, relations, record):
        if REQUIRE_NAME and (record is None or "name" in attributes) and not (attributes.get("name") or "").strip():
            return validation_error("Name can't be blank.", "/data/attributes/name")
        for key, limit in MAX_LENGTHS.items():
            if len(attributes.get(key) or "") > limit:
                return too_long(f"/data/attributes/{key}")
        for relation, resource in RELATED_RESOURCES.items():
            target = relations.get(relation)
            if target is not None and self.emulator.resource(resource).store.get(target) is None:
                return {"id": "resourceNotFound", "title": "Resource Not Found",
                        "detail": f"Could not find '{self.to_one[relation]}' with ID '{target}'.",
                        "source": {"pointer": f"/data/relationships/{relation}"}}
        return None

    def derive(self, record: dict[str, Any]) -> None:
        """`stage` mirrors `opportunityStage` (read-only in the schema)."""
        record["relationships"]["stage"] = record["relationships"].get("opportunityStage")
