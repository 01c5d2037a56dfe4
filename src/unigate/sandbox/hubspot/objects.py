"""What HubSpot's CRM v3 object resources of the emulator (deals, leads) do alike with one record.

`GET|DELETE /crm/v3/objects/{objectType}/{id}` (https://developers.hubspot.com/docs/api-reference/latest/crm/using-object-apis):
a read takes `archived` (only archived records when true, else only live ones), `properties` (else the object's
default set) and `associations` (the kinds the answer carries); a delete archives the record and answers 204
whatever the id names, as HubSpot's deletes are idempotent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot.associations import COMPANY_NAMES, CONTACT_NAMES
from unigate.sandbox.hubspot.common import answer, not_found, now_iso, requested_properties


class ObjectRecords:
    """Mixed into an object resource that keeps its records in `store` and renders them with `render`."""

    store: Collection
    DEFAULT_PROPERTIES: ClassVar[tuple[str, ...]] = ()   # what a read naming no `properties` answers

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
