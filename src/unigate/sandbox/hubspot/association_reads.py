"""Associations v4 batch read: `POST /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read`.

One call gives the links of many records of one type to another type: what a CRM search answer leaves out
(a search's results carry no `associations`). HubSpot's associations guide and spec
(https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide):
- body `{"inputs": [{"id"}]}`, at most 1,000 ids a call [verified:
  https://developers.hubspot.com/changelog/bug-fix-batch-read-limit-for-hubspot-associations-api];
- answer `{"status": "COMPLETE", "results": [{"from": {"id"}, "to": [{"toObjectId", "associationTypes":
  [{"category", "typeId", "label"}]}]}], "startedAt", "completedAt"}`; `toObjectId` is a number in live answers
  [observed: https://github.com/amp-labs/connectors, providers/hubspot test fixtures];
- an id without a link of that kind is not in `results` but an `errors` item (category OBJECT_NOT_FOUND,
  subCategory crm.associations.NO_ASSOCIATIONS_FOUND), and the answer is then 207 [observed: same fixtures].
  An id naming no record is answered the same way [unverified].
The links are the object resources' own (`v4_links`): contacts, companies, deals and leads, and the activity
objects' (notes, tasks, calls: activities.py) from the activity to its companies, contacts and deals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.hubspot.activities import ActivityObject
from unigate.sandbox.hubspot.common import answer, error, now_iso, read_body

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

MAX_INPUTS = 1000
# Object type names and ids as the paths take them -> the emulator resource that keeps the records
# (https://developers.hubspot.com/docs/api-reference/latest/crm/understanding-the-crm, object type ids).
RESOURCE_OF = {"contacts": "contacts", "contact": "contacts", "0-1": "contacts",
               "companies": "accounts", "company": "accounts", "0-2": "accounts",
               "deals": "opportunities", "deal": "opportunities", "0-3": "opportunities",
               "leads": "leads", "lead": "leads", "0-136": "leads"}
KIND_OF = {"contacts": "contacts", "accounts": "companies", "opportunities": "deals", "leads": "leads"}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "leads": "lead"}
# The activity objects by their names and type ids (notes 0-46, tasks 0-27, calls 0-48), each kept by its resource.
for _activity in ActivityObject.__subclasses__():
    RESOURCE_OF.update(dict.fromkeys((*_activity.object_names, _activity.singular), _activity.name))
    KIND_OF[_activity.name] = _activity.object_names[0]
    SINGULAR[_activity.object_names[0]] = _activity.singular
# HubSpot-defined association types labelled "Primary"; the others carry no label (association-details page,
# https://developers.hubspot.com/docs/api-reference/latest/crm/associations/association-details).
PRIMARY_TYPES = frozenset({1, 2, 5, 6, 578, 580})
UNKNOWN_TYPE_MESSAGE = "Unable to infer object type from: {name}"   # [observed: amp-labs/connectors]
# [unverified wording]
TOO_MANY_MESSAGE = f"Too many inputs: a batch read takes at most {MAX_INPUTS} ids."
BAD_INPUTS_MESSAGE = "Invalid input JSON on line 1, column 1: Cannot build BatchInputPublicFetchAssociationsBatchRequest, some of required attributes are not set [inputs]"
NO_LINKS_MESSAGE = "No {to} is associated with {from_} {id}."  # [observed: amp-labs/connectors]


def routes(emulator: HubSpotEmulator) -> list[Route]:
    async def batch_read(request: Request) -> Response:
        denied = emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = emulator.rate_limits.headers()
        names = request.path_params["fromType"], request.path_params["toType"]
        for name in names:
            if name.lower() not in RESOURCE_OF:
                return error(400, "VALIDATION_ERROR", UNKNOWN_TYPE_MESSAGE.format(name=name), headers)
        source = emulator.resource(RESOURCE_OF[names[0].lower()])
        to_kind = KIND_OF[RESOURCE_OF[names[1].lower()]]
        from_kind = KIND_OF[RESOURCE_OF[names[0].lower()]]
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
            return error(400, "VALIDATION_ERROR", BAD_INPUTS_MESSAGE, headers)
        if len(inputs) > MAX_INPUTS:
            return error(400, "VALIDATION_ERROR", TOO_MANY_MESSAGE, headers)
        started = now_iso()
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for item in inputs:
            object_id = str(item["id"])
            record = source.store.get_active(object_id)
            links = source.v4_links(record, to_kind) if record is not None else {}
            if not links:
                errors.append({"status": "error", "category": "OBJECT_NOT_FOUND",
                               "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                               "message": NO_LINKS_MESSAGE.format(to=SINGULAR[to_kind], from_=SINGULAR[from_kind],
                                                                  id=object_id),
                               "context": {"fromObjectId": [object_id], "fromObjectType": [SINGULAR[from_kind]],
                                           "toObjectType": [SINGULAR[to_kind]]}})
                continue
            results.append({"from": {"id": object_id}, "to": [
                {"toObjectId": int(target) if target.isdigit() else target,
                 "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id,
                                       "label": "Primary" if type_id in PRIMARY_TYPES else None}
                                      for type_id in sorted(types)]}
                for target, types in links.items()]})
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": now_iso()}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return answer(out, 207 if errors else 200, headers)

    return [Route("/crm/v4/associations/{fromType}/{toType}/batch/read", batch_read, methods=["POST"])]
