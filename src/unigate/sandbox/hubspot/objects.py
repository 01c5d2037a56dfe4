"""What HubSpot's CRM v3 object resources of the emulator (deals, leads) do alike with one record.

`GET|DELETE /crm/v3/objects/{objectType}/{id}` (https://developers.hubspot.com/docs/api-reference/latest/crm/using-object-apis):
a read takes `archived` (only archived records when true, else only live ones), `properties` (else the object's
default set) and `associations` (the kinds the answer carries); a delete archives the record and answers 204
whatever the id names, as HubSpot's deletes are idempotent. A create's `associations`
(https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide) name existing contacts and
companies by HubSpot-defined association type ids of the object's own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import member
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot.associations import COMPANY_NAMES, CONTACT_NAMES
from unigate.sandbox.hubspot.common import answer, error, not_found, now_iso, requested_properties

CATEGORIES = frozenset({"HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED", "WORK"})
INVALID_ID_MESSAGE = "{id} is not a valid ID"
BAD_SPEC_MESSAGE = ("Invalid input JSON on line 1, column 1: Cannot build AssociationSpec, some of required "
                    "attributes are not set [to, types]")
BAD_TYPE_MESSAGE = "associationTypeId {type_id} ({category}) is not valid between {from_type} and {to_type}"


class ObjectRecords:
    """Mixed into an object resource that keeps its records in `store` and renders them with `render`."""

    store: Collection
    emulator: Any
    DEFAULT_PROPERTIES: ClassVar[tuple[str, ...]] = ()   # what a read naming no `properties` answers
    OBJECT_NAME: ClassVar[str] = ""                       # as HubSpot's association errors name it ("deal")
    ASSOCIATION_KINDS: ClassVar[dict[int, str]] = {}     # a create's association type id -> contacts | companies
    ASSOCIATION_TARGETS: ClassVar[str] = ""              # the targets, as the association type error names them

    def render(self, record: dict[str, Any], names: Any, wanted: frozenset[str] = frozenset()) -> dict[str, Any]:
        raise NotImplementedError

    def find(self, object_id: str, archived: bool = False) -> dict[str, Any] | None:
        record = self.store.get(object_id)
        if record is None or record["archived"] != archived:
            return None
        return record

    @staticmethod
    def _wanted(request: Request) -> frozenset[str]:
        """The association kinds (`contacts`, `companies`) a read asks for, by any of their names."""
        names = {part.strip().lower() for value in request.query_params.getlist("associations")
                 for part in value.split(",") if part.strip()}
        return frozenset(({"contacts"} if names & CONTACT_NAMES else set()) |
                         ({"companies"} if names & COMPANY_NAMES else set()))

    def archive_or_read(self, request: Request, object_id: str, headers: dict[str, str]) -> Response | None:
        """The answer to a DELETE or a GET of one record; None for the other methods (the update)."""
        if request.method == "DELETE":
            record = self.find(object_id)
            if record is not None:  # unknown or archived ids answer 204 too, as for every object
                self.store.archive(object_id)
                record["archived"] = True
                record["archivedAt"] = now_iso()
            return answer(None, 204, headers)
        if request.method == "GET":
            archived = request.query_params.get("archived", "false").lower() == "true"
            record = self.find(object_id, archived)
            if record is None:
                return not_found(object_id, headers)
            names = requested_properties(request) or self.DEFAULT_PROPERTIES
            return answer(self.render(record, names, self._wanted(request)), 200, headers)
        return None

    def target_exists(self, kind: str, target_id: str) -> bool:
        """Whether a live contact or company (`kind`) has this id."""
        if kind == "companies":
            return self.emulator.resource("accounts").store.get_active(target_id) is not None
        return self.emulator.resource("contacts").find(target_id) is not None

    def association_specs(self, raw: Any, headers: dict[str, str]) -> list[tuple[str, str, int]] | Response:
        """A create's `associations` as (contacts | companies, target id, type id), or HubSpot's 400."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
        out = []
        for entry in raw:
            target = entry.get("to") if isinstance(entry, dict) else None
            target_id = str(target.get("id", "")) if isinstance(target, dict) else ""
            types = entry.get("types") if isinstance(entry, dict) else None
            if not target_id or not isinstance(types, list) or not types:
                return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
            for spec in types:
                if not isinstance(spec, dict) or not member(spec.get("associationCategory"), CATEGORIES):
                    return error(400, "VALIDATION_ERROR", BAD_SPEC_MESSAGE, headers)
                type_id = spec.get("associationTypeId")
                kind = self.ASSOCIATION_KINDS.get(type_id) if isinstance(type_id, int) and \
                    not isinstance(type_id, bool) else None
                if kind is None or spec["associationCategory"] != "HUBSPOT_DEFINED":
                    return error(400, "VALIDATION_ERROR", BAD_TYPE_MESSAGE.format(
                        type_id=type_id, category=spec["associationCategory"], from_type=self.OBJECT_NAME,
                        to_type=self.ASSOCIATION_TARGETS), headers)
                if not self.target_exists(kind, target_id):
                    return error(400, "VALIDATION_ERROR", INVALID_ID_MESSAGE.format(id=target_id), headers,
                                 subCategory="crm.associations.INVALID_IDENTIFIER")
                out.append((kind, target_id, type_id))
        return out
