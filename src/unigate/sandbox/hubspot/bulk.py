"""Contact merge and the objects' batch archive.

- `POST /crm/v3/objects/contacts/merge` `{"primaryObjectId", "objectIdToMerge"}` (both required) ->
  200 with the surviving contact
  (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/merge-contacts).
  The primary's values win and its empty properties take the merged contact's; the merged
  contact's email joins `hs_additional_emails`, its company links join the survivor's (its primary
  company becomes the survivor's only when the survivor has none), and its id is listed in
  `hs_merged_object_ids` (https://knowledge.hubspot.com/records/merge-records). The merged contact
  is gone: reading its id is a 404, or the survivor with the switch `merged_id_read` set to "survivor"
  (MERGED_ID_READ) [unverified either way]. The survivor keeps the primary's id [unverified: a merge can
  also give it a new id].
- `POST /crm/v3/objects/{contacts|companies}/batch/archive` `{"inputs": [{"id"}]}` -> 204, no body
  (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch-archive-contacts);
  ids that are unknown or already archived are skipped, as a single archive of them is a 204 too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.hubspot import associations
from unigate.sandbox.hubspot.common import answer, authorized_body, error, not_found

if TYPE_CHECKING:
    from unigate.sandbox.base import Emulator
    from unigate.sandbox.hubspot import HubSpotEmulator
    from unigate.sandbox.hubspot.accounts import Companies
    from unigate.sandbox.hubspot.contacts import Contacts

# Switch `merged_id_read`: a read of a merged-away contact id answers 404 ("not_found", the default) or the
# surviving contact ("survivor"). HubSpot's merge reference says neither
# (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/merge-contacts) [unverified].
MERGED_ID_READ = ("not_found", "survivor")
# HubSpot's batch input limit [unverified: 100, as for the other batch endpoints].
MAX_BATCH = 100
MISSING_MESSAGE = ("Invalid input JSON on line 1, column 1: Cannot build {model}, some of required attributes "
                   "are not set [{names}]")
# [unverified wording] merging a contact into itself.
SELF_MERGE_MESSAGE = "Cannot merge an object with itself: {id}"
BATCH_LIMIT_MESSAGE = "Batch input limit exceeded: at most {limit} inputs are allowed (got {count})"


def merge_into(contacts: Contacts, primary: dict[str, Any], merged: dict[str, Any]) -> None:
    """Fold `merged` into `primary` and remove `merged` from the store."""
    kept, other = primary["properties"], merged["properties"]
    for name, value in other.items():
        if name not in ("hs_object_id", "createdate", "lastmodifieddate", "hs_merged_object_ids",
                        "associatedcompanyid") and not kept.get(name):
            kept[name] = value
    extra = [e for e in (kept.get("hs_additional_emails", "").split(";") + [other.get("email", "")]) if e]
    if other.get("email") and other["email"] != kept.get("email"):
        kept["hs_additional_emails"] = ";".join(dict.fromkeys(extra))
    merged_ids = [i for i in kept.get("hs_merged_object_ids", "").split(";") if i]
    merged_ids += [merged["id"], *(i for i in other.get("hs_merged_object_ids", "").split(";") if i)]
    kept["hs_merged_object_ids"] = ";".join(dict.fromkeys(merged_ids))
    has_primary = any(associations.PRIMARY in types for types in primary["links"].values())
    for company_id, types in merged["links"].items():
        associations.link(primary, company_id, primary=associations.PRIMARY in types and not has_primary)
    contacts.store.delete(merged["id"])
    contacts.merged_into[merged["id"]] = primary["id"]
    contacts.touch(primary)


def routes(emulator: HubSpotEmulator) -> list[Route]:
    contacts: Contacts = emulator.resource("contacts")  # type: ignore[assignment]
    companies: Companies = emulator.resource("accounts")  # type: ignore[assignment]

    async def merge(request: Request) -> Response:
        started = await authorized_body(emulator, request)
        if isinstance(started, Response):
            return started
        headers, body = started
        body = body if isinstance(body, dict) else {}
        missing = [n for n in ("objectIdToMerge", "primaryObjectId") if not isinstance(body.get(n), (str, int))
                   or isinstance(body.get(n), bool) or str(body.get(n)) == ""]
        if missing:
            return error(400, "VALIDATION_ERROR", MISSING_MESSAGE.format(model="PublicMergeInput",
                                                                         names=", ".join(missing)), headers)
        primary_id, merged_id = str(body["primaryObjectId"]), str(body["objectIdToMerge"])
        if primary_id == merged_id:
            return error(400, "VALIDATION_ERROR", SELF_MERGE_MESSAGE.format(id=primary_id), headers)
        primary, merged = contacts.find(primary_id), contacts.find(merged_id)
        if primary is None or merged is None:
            return not_found(primary_id if primary is None else merged_id, headers)
        merge_into(contacts, primary, merged)
        return answer(contacts.render(primary, None), 200, headers)

    return [
        Route("/crm/v3/objects/contacts/merge", merge, methods=["POST"]),
        batch_archive_route(emulator, "/crm/v3/objects/contacts",
                            lambda i: contacts.find(i) is not None, lambda i: contacts.archive(contacts.find(i))),
        batch_archive_route(emulator, "/crm/v3/objects/companies",
                            lambda i: companies.store.get_active(i) is not None, companies.archive),
    ]


def batch_archive_route(emulator: Emulator, objects_path: str, is_live: Callable[[str], bool],
                        archive: Callable[[str], None]) -> Route:
    """`POST <objects_path>/batch/archive` for one object type."""

    async def batch_archive(request: Request) -> Response:
        started = await authorized_body(emulator, request)
        if isinstance(started, Response):
            return started
        headers, body = started
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), (str, int))
                                                   and not isinstance(i.get("id"), bool) for i in inputs):
            return error(400, "VALIDATION_ERROR", MISSING_MESSAGE.format(
                model="BatchInputSimplePublicObjectId", names="inputs"), headers)
        if len(inputs) > MAX_BATCH:
            return error(400, "VALIDATION_ERROR", BATCH_LIMIT_MESSAGE.format(limit=MAX_BATCH, count=len(inputs)),
                         headers)
        for item in inputs:
            object_id = str(item["id"])
            if is_live(object_id):
                archive(object_id)
        return answer(None, 204, headers)

    return Route(objects_path + "/batch/archive", batch_archive, methods=["POST"])
