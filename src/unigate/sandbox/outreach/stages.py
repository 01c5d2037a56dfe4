"""Outreach opportunity stages: the JSON:API v2 `opportunityStage` resource
(https://api.outreach.io/api/v2/opportunityStages, https://developers.outreach.io/api/reference/tag/Opportunity-Stage/).

Attributes from the official OpenAPI opportunityStage schema (https://api.outreach.io/api/v2/schema/openapi.json):
`name` (at most 255 characters), `order` (integer), `isClosed` (boolean), `color`, and the read-only
`createdAt`/`updatedAt`; relationships `creator` (read-only) and `opportunities` (a link). There is no
pipeline object: every opportunity stage belongs to the one implicit deal pipeline, and a stage carries no
won/lost flag or probability. `name` and `order` are required here: the schema marks nothing required,
and a stage without either cannot be placed in the pipeline (a guess, switchable below).
`prospect` lifecycle stages (/api/v2/stages) are a different object and are not emulated.
Paging, filters (`filter[name]`, `filter[order]`, `filter[isClosed]`), status codes and error bodies are
every type's (jsonapi.py). Deletion is permanent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from unigate.sandbox.outreach.common import SANDBOX_USER_IDS, SEED_EPOCH, iso, too_long, validation_error
from unigate.sandbox.outreach.jsonapi import BOOL, INT, STRING, JsonApiResource

ATTRIBUTE_TYPES: dict[str, tuple[type, ...]] = {
    "name": STRING, "order": INT, "isClosed": BOOL, "color": STRING, "createdAt": STRING, "updatedAt": STRING,
}
READ_ONLY_ATTRIBUTES = ("createdAt", "updatedAt")
MAX_NAME_LENGTH = 255
# Unverified (the OpenAPI marks no attribute required): a stage needs a name and an order.
REQUIRE_ORDER = True

# An Outreach instance's opportunity stages, in pipeline order: open ones, then the two closed ones (won, lost).
OPEN_STAGES = ("Prospecting", "Qualification", "Discovery", "Needs Analysis", "Solution Design", "Demo",
               "Technical Validation", "Business Case", "Proposal", "Security Review", "Legal Review",
               "Negotiation", "Verbal Commit", "Contract Sent")
CLOSED_STAGES = ("Closed Won", "Closed Lost")
_COLORS = ("#7f8c8d", "#2980b9", "#8e44ad", "#d35400", "#16a085", "#27ae60", "#c0392b")


class Stages(JsonApiResource):
    """Outreach opportunity stages: seed and validation; the rest is `JsonApiResource`."""

    name = "stages"
    type_name = "opportunityStage"
    path = "opportunityStages"
    attribute_types = ATTRIBUTE_TYPES
    read_only_attributes = READ_ONLY_ATTRIBUTES
    to_one = {"creator": "user"}
    writable_to_one = frozenset()
    to_many = ("opportunities",)
    related_filter = "stage"

    default_seed_count: ClassVar[int | None] = len(OPEN_STAGES) + len(CLOSED_STAGES)

    def seed(self, count: int) -> None:
        """`count` stages (at most 16, at least three; none for 0): the first open ones, then the two closed ones."""
        self.new_store()
        if count <= 0:
            return
        names = [*OPEN_STAGES[:max(min(count, len(OPEN_STAGES) + 2) - 2, 1)], *CLOSED_STAGES]
        for order, stage_name in enumerate(names, start=1):
            stamp = iso(SEED_EPOCH - timedelta(days=30 - order))
            self.store_record({"name": stage_name, "order": order, "isClosed": stage_name in CLOSED_STAGES,
                               "color": _COLORS[order % len(_COLORS)], "createdAt": stamp, "updatedAt": stamp},
                              {"creator": SANDBOX_USER_IDS[0]})

    def defaults(self) -> dict[str, Any]:
        return {"isClosed": False}

    def check(self, attributes, relations, record):
        if (record is None or "name" in attributes) and not (attributes.get("name") or "").strip():
            return validation_error("Name can't be blank.", "/data/attributes/name")
        if len(attributes.get("name") or "") > MAX_NAME_LENGTH:
            return too_long("/data/attributes/name")
        if REQUIRE_ORDER and (record is None or "order" in attributes) and attributes.get("order") is None:
            return validation_error("Order can't be blank.", "/data/attributes/order")
        return None
