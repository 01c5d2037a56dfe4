"""Contact-to-company associations: HubSpot's associations v4 routes and the v3 create/read forms.

A link is stored on the contact record (`record["links"]`: company id -> set of contact-to-company
association type ids). HubSpot-defined type ids
(https://developers.hubspot.com/docs/api-reference/latest/crm/associations/association-details):
contact -> company `1` (primary) and `279` (unlabeled); company -> contact `2` and `280`. A primary
link also carries the unlabeled type (v3 reads list the company once per type), and a contact has
one primary company: a new primary demotes the old one to unlabeled
(https://github.com/HubSpot/hubspot-api-nodejs/issues/176, the SDK maintainer's answer).

Routes (https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide):

- `GET    /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}`  list, 200
- `PUT    /crm/v4/objects/{fromObjectType}/{fromObjectId}/associations/default/{toObjectType}/{toObjectId}`
  unlabeled link, 200 (batch-style answer)
- `PUT    /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}`  labeled link
  from a body `[{associationCategory, associationTypeId}]`, 201
- `DELETE /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}/{toObjectId}`  204
- `POST   /crm/v4/associations/{fromObjectType}/{toObjectType}/batch/create`  201 (207 with errors)

v4 answers carry numeric object ids where HubSpot's spec says strings [observed in live captures:
https://github.com/amp-labs/connectors, providers/hubspot test fixtures].
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import member
from unigate.sandbox.hubspot.common import answer, error, not_found, now_iso, read_body

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

CONTACT_NAMES = frozenset({"contacts", "contact", "0-1"})
COMPANY_NAMES = frozenset({"companies", "company", "0-2"})
PRIMARY, UNLABELED = 1, 279                       # contact -> company
REVERSE = {PRIMARY: 2, UNLABELED: 280}            # company -> contact
FORWARD = {v: k for k, v in REVERSE.items()}
CATEGORIES = frozenset({"HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED", "WORK"})
V3_TYPE_NAMES = {PRIMARY: "contact_to_company", UNLABELED: "contact_to_company_unlabeled"}
LABELS = {PRIMARY: "Primary", UNLABELED: None}

UNKNOWN_TYPE_MESSAGE = "Unable to infer object type from: {name}"
# [observed: https://github.com/HubSpot/hubspot-api-ruby/issues/187]
NO_BODY_MESSAGE = "Invalid JSON input: a request body was expected, but none found"
# [observed: amp-labs/connectors internal/associations/test/err-contact-to-contact.json]
INVALID_ID_MESSAGE = "{id} is not a valid ID"
# [unverified wording] a type id that does not join these two object types.
BAD_TYPE_MESSAGE = "associationTypeId {type_id} ({category}) is not valid between {from_type} and {to_type}"
# [unverified wording] an `associations` entry of a create body without `to.id` or `types`.
BAD_SPEC_MESSAGE = "Invalid input JSON on line 1, column 1: Cannot build AssociationSpec, some of required attributes are not set [to, types]"


def link(record: dict[str, Any], company_id: str, *, primary: bool) -> None:
    """Associate the contact `record` with a company (as its primary one when `primary`)."""
    links = record["links"]
    if primary:
        for types in links.values():
            types.discard(PRIMARY)
        record["properties"]["associatedcompanyid"] = company_id
    links.setdefault(company_id, set()).add(UNLABELED)
    if primary:
        links[company_id].add(PRIMARY)


def unlink(record: dict[str, Any], company_id: str) -> None:
    types = record["links"].pop(company_id, set())
    if PRIMARY in types:
        record["properties"].pop("associatedcompanyid", None)


def v3_results(record: dict[str, Any]) -> list[dict[str, str]]:
    """The v3 `associations.companies.results`: each company once per association type."""
    return [{"id": company_id, "type": V3_TYPE_NAMES[type_id]}
            for company_id, types in record["links"].items() for type_id in sorted(types)]


def _type_ids(raw: Any, from_contact: bool) -> set[int] | str:
    """Contact-to-company type ids of a `types` list, or the reason it is refused."""
    if not isinstance(raw, list) or not raw:
        return BAD_SPEC_MESSAGE
    allowed = FORWARD.keys() if not from_contact else REVERSE.keys()
    wanted: set[int] = set()
    for spec in raw:
        if not isinstance(spec, dict) or not member(spec.get("associationCategory"), CATEGORIES):
            return BAD_SPEC_MESSAGE
        type_id = spec.get("associationTypeId")
        if spec["associationCategory"] != "HUBSPOT_DEFINED" or type_id not in allowed or isinstance(type_id, bool):
            return BAD_TYPE_MESSAGE.format(type_id=type_id, category=spec["associationCategory"],
                                           from_type="contact" if from_contact else "company",
                                           to_type="company" if from_contact else "contact")
        wanted.add(type_id if from_contact else FORWARD[type_id])
    return wanted


def create_links(emulator: HubSpotEmulator, raw: Any, headers: dict[str, str]) -> list[tuple[str, bool]] | Response:
    """The companies a contact create's `associations` array links, as (company id, primary), or the 400.
    Each entry is `{"to": {"id"}, "types": [{"associationCategory", "associationTypeId"}]}`
    (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/create-contact)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
    companies = emulator.resource("accounts").store
    out = []
    for entry in raw:
        target = entry.get("to") if isinstance(entry, dict) else None
        company_id = str(target.get("id", "")) if isinstance(target, dict) else ""
        if not company_id:
            return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
        types = _type_ids(entry.get("types"), from_contact=True)
        if isinstance(types, str):
            return error(400, "VALIDATION_ERROR", types, headers)
        if companies.get_active(company_id) is None:
            return error(400, "VALIDATION_ERROR", INVALID_ID_MESSAGE.format(id=company_id), headers,
                         subCategory="crm.associations.INVALID_IDENTIFIER")
        out.append((company_id, PRIMARY in types))
    return out


class _Pair:
    """A request's two records, resolved to (contact, company id) whichever side it starts from."""

    def __init__(self, contact: dict[str, Any], company_id: str, from_contact: bool) -> None:
        self.contact = contact
        self.company_id = company_id
        self.from_contact = from_contact

    def label_body(self) -> dict[str, Any]:
        types = sorted(self.contact["links"].get(self.company_id, ()))
        ids = (int(self.contact["id"]), int(self.company_id))
        from_id, to_id = ids if self.from_contact else ids[::-1]
        return {"fromObjectTypeId": "0-1" if self.from_contact else "0-2", "fromObjectId": from_id,
                "toObjectTypeId": "0-2" if self.from_contact else "0-1", "toObjectId": to_id,
                "labels": [LABELS[t] for t in types if LABELS[t]]}


def routes(emulator: HubSpotEmulator) -> list[Route]:
    contacts = emulator.resource("contacts")
    companies = emulator.resource("accounts").store

    def sides(from_type: str, to_type: str, headers: dict[str, str]) -> bool | Response:
        """True for contact -> company, False for company -> contact, else HubSpot's 400."""
        for name in (from_type, to_type):
            if name.lower() not in CONTACT_NAMES | COMPANY_NAMES:
                return error(400, "VALIDATION_ERROR", UNKNOWN_TYPE_MESSAGE.format(name=name), headers)
        from_contact = from_type.lower() in CONTACT_NAMES
        if from_contact == (to_type.lower() in CONTACT_NAMES):
            # contact <-> contact and company <-> company links are not kept by this emulator
            return error(400, "VALIDATION_ERROR", BAD_TYPE_MESSAGE.format(
                type_id="*", category="HUBSPOT_DEFINED", from_type=from_type, to_type=to_type), headers)
        return from_contact

    def missing(from_contact: bool, from_id: str, to_id: str) -> str | None:
        """The first of the two ids that names no live record, or None."""
        contact_id, company_id = (from_id, to_id) if from_contact else (to_id, from_id)
        for object_id in (from_id, to_id):
            if object_id == contact_id and contacts.find(contact_id) is None:
                return object_id
            if object_id == company_id and companies.get_active(company_id) is None:
                return object_id
        return None

    def pair(from_contact: bool, from_id: str, to_id: str, headers: dict[str, str]) -> _Pair | Response:
        """Both records, or HubSpot's 404 for a missing source and 400 for a missing target."""
        absent = missing(from_contact, from_id, to_id)
        if absent == from_id:
            return not_found(from_id, headers)
        if absent is not None:
            return error(400, "VALIDATION_ERROR", INVALID_ID_MESSAGE.format(id=absent), headers,
                         subCategory="crm.associations.INVALID_IDENTIFIER")
        contact_id, company_id = (from_id, to_id) if from_contact else (to_id, from_id)
        return _Pair(contacts.find(contact_id), company_id, from_contact)

    async def begin(request: Request) -> tuple[dict[str, str], bool] | Response:
        denied = emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = emulator.rate_limits.headers()
        params = request.path_params
        direction = sides(params["fromType"], params["toType"], headers)
        if isinstance(direction, Response):
            return direction
        return headers, direction

    async def list_links(request: Request) -> Response:
        started = await begin(request)
        if isinstance(started, Response):
            return started
        headers, from_contact = started
        object_id = request.path_params["fromId"]
        results = []
        if from_contact:
            contact = contacts.find(object_id)
            if contact is None:
                return not_found(object_id, headers)
            links = [(company_id, types) for company_id, types in contact["links"].items()]
        else:
            if companies.get_active(object_id) is None:
                return not_found(object_id, headers)
            links = [(c["id"], c["links"][object_id]) for c in contacts.store.live() if object_id in c["links"]]
        for other_id, types in links:
            type_ids = sorted(types) if from_contact else sorted(REVERSE[t] for t in types)
            results.append({"toObjectId": int(other_id), "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": t, "label": LABELS[FORWARD.get(t, t)]} for t in type_ids]})
        return answer({"results": results}, 200, headers)

    async def put_default(request: Request) -> Response:
        started = await begin(request)
        if isinstance(started, Response):
            return started
        headers, from_contact = started
        found = pair(from_contact, request.path_params["fromId"], request.path_params["toId"], headers)
        if isinstance(found, Response):
            return found
        link(found.contact, found.company_id, primary=False)
        contacts.touch(found.contact)
        type_id = UNLABELED if from_contact else REVERSE[UNLABELED]
        stamp = now_iso()
        body = {"status": "COMPLETE", "results": [{
            "from": {"id": request.path_params["fromId"]}, "to": {"id": request.path_params["toId"]},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}}],
            "startedAt": stamp, "completedAt": stamp}
        return answer(body, 200, headers)

    async def put_or_delete(request: Request) -> Response:
        started = await begin(request)
        if isinstance(started, Response):
            return started
        headers, from_contact = started
        found = pair(from_contact, request.path_params["fromId"], request.path_params["toId"], headers)
        if isinstance(found, Response):
            return found
        if request.method == "DELETE":
            unlink(found.contact, found.company_id)
            contacts.touch(found.contact)
            return answer(None, 204, headers)
        if not await request.body():
            return error(400, "VALIDATION_ERROR", NO_BODY_MESSAGE, headers)
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        types = _type_ids(body, from_contact)
        if isinstance(types, str):
            return error(400, "VALIDATION_ERROR", types, headers)
        link(found.contact, found.company_id, primary=PRIMARY in types)
        contacts.touch(found.contact)
        return answer(found.label_body(), 201, headers)

    async def batch_create(request: Request) -> Response:
        started = await begin(request)
        if isinstance(started, Response):
            return started
        headers, from_contact = started
        body = await read_body(request, headers)
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list):
            return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1, column 1: Cannot build "
                         "BatchInputPublicAssociationMultiPost, some of required attributes are not set [inputs]", headers)
        started_at = now_iso()
        results, errors = [], []
        for item in inputs:
            ends = [str((item.get(side) or {}).get("id", "")) if isinstance(item, dict) else "" for side in ("from", "to")]
            types = _type_ids(item.get("types") if isinstance(item, dict) else None, from_contact)
            if isinstance(types, str):
                errors.append({"status": "error", "category": "VALIDATION_ERROR", "message": types, "context": {}})
                continue
            bad = missing(from_contact, ends[0], ends[1])
            if bad is not None:
                errors.append({"status": "error", "category": "VALIDATION_ERROR",
                               "subCategory": "crm.associations.INVALID_IDENTIFIER",
                               "message": INVALID_ID_MESSAGE.format(id=bad), "context": {}})
                continue
            found = pair(from_contact, ends[0], ends[1], headers)
            assert isinstance(found, _Pair)
            link(found.contact, found.company_id, primary=PRIMARY in types)
            contacts.touch(found.contact)
            results.append(found.label_body())
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started_at,
                               "completedAt": now_iso()}
        if errors:
            out.update(numErrors=len(errors), errors=errors)
        return answer(out, 207 if errors else 201, headers)

    objects = "/crm/v4/objects/{fromType}/{fromId}/associations"
    return [
        Route(objects + "/default/{toType}/{toId}", put_default, methods=["PUT"]),
        Route(objects + "/{toType}", list_links, methods=["GET"]),
        Route(objects + "/{toType}/{toId}", put_or_delete, methods=["PUT", "DELETE"]),
        Route("/crm/v4/associations/{fromType}/{toType}/batch/create", batch_create, methods=["POST"]),
    ]
