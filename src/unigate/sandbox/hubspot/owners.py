"""HubSpot owners: the emulator's `users` resource (the people records are owned by).

Routes are HubSpot's (https://developers.hubspot.com/docs/api/crm/owners;
https://github.com/HubSpot/hubspot-api-python, hubspot/crm/owners/api/owners_api.py):

- `GET /crm/v3/owners`            `email` (one address, matched whole, case-blind), `after`, `limit` (default 100),
                                  `archived` (true: only the deactivated ones) -> `{results, paging?}`
- `GET /crm/v3/owners/{ownerId}`  `idProperty` id (default) or userId, `archived`; 404 for an unknown owner

An owner: `id` (what `hubspot_owner_id` holds on records), `email`, `firstName`, `lastName`, `type` PERSON,
`userId`, `userIdIncludingInactive`, `teams`, `createdAt`, `updatedAt`, `archived`. Owners are read-only in
this API: people are added and deactivated in HubSpot's settings. The largest `limit` HubSpot takes is not
documented: the object lists' 100 is assumed [unverified], and more answers their 400.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource
from unigate.sandbox.collection import Collection
from unigate.sandbox.hubspot.accounts import _OWNERS as RECORD_OWNERS
from unigate.sandbox.hubspot.common import AFTER_MESSAGE, LIMIT_MESSAGE, answer, error, iso_ms, not_found

if TYPE_CHECKING:
    from unigate.sandbox.hubspot import HubSpotEmulator

OWNERS_PATH = "/crm/v3/owners"
DEFAULT_LIMIT = 100  # [verified] owners_api.py: "The maximum number of results to display per page." default 100
MAX_LIMIT = 100  # [unverified]
_NAMES = (("Ada", "Park"), ("Ben", "Ortiz"), ("Chloe", "Nakamura"), ("Dev", "Raman"), ("Elena", "Fischer"),
          ("Finn", "Larsen"), ("Grace", "Okafor"), ("Hugo", "Martin"))
_SEED_START = datetime(2023, 5, 2, 9, 0, tzinfo=UTC)


class Owners(Resource):
    name: ClassVar[str] = "users"
    default_seed_count: ClassVar[int | None] = 16  # enough for the gateway to page them
    emulator: HubSpotEmulator

    def __init__(self, emulator: HubSpotEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=int(RECORD_OWNERS[0]), make_id=str, number_of=int)

    def seed(self, count: int) -> None:
        """The record owners first (every hubspot_owner_id names one), then more; the last one deactivated."""
        self.store.clear()
        for index in range(count):
            first, last = _NAMES[index % len(_NAMES)]
            if index >= len(_NAMES):
                last = f"{last} {index // len(_NAMES) + 1}"
            owner_id = self.store.new_id()
            stamp = _SEED_START + timedelta(days=11 * index, minutes=3 * index)
            self.store.add(owner_id, {
                "id": owner_id, "email": f"{first}.{last.replace(' ', '')}@example.com".lower(), "firstName": first,
                "lastName": last, "type": "PERSON", "userId": 9100 + index, "userIdIncludingInactive": 9100 + index,
                "teams": [], "createdAt": iso_ms(stamp), "updatedAt": iso_ms(stamp + timedelta(days=1)),
                "archived": False})
        if count > len(RECORD_OWNERS):
            last_id = self.store.ids()[-1]
            self.store.archive(last_id)
            self.store.get(last_id)["archived"] = True

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        return [Route(OWNERS_PATH, self.list_owners, methods=["GET"]),
                Route(OWNERS_PATH + "/{ownerId}", self.one, methods=["GET"])]

    async def list_owners(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        params = request.query_params
        raw_limit = params.get("limit")
        limit = DEFAULT_LIMIT
        if raw_limit is not None:
            limit = int(raw_limit) if raw_limit.isdigit() else -1
            if not 1 <= limit <= MAX_LIMIT:
                return error(400, "VALIDATION_ERROR", LIMIT_MESSAGE.format(value=raw_limit), headers)
        archived = params.get("archived", "false").lower() == "true"
        owners = [self.store.get(i) for i in self.store.ids(archived)]
        if (email := params.get("email")) is not None:
            owners = [o for o in owners if o["email"] == email.lower()]
        start = 0
        if after := params.get("after"):
            if not after.isdigit():
                return error(400, "VALIDATION_ERROR", AFTER_MESSAGE.format(value=after), headers)
            start = next((n for n, o in enumerate(owners) if int(o["id"]) >= int(after)), len(owners))
        body: dict[str, Any] = {"results": [dict(o) for o in owners[start:start + limit]]}
        if start + limit < len(owners):
            cursor = owners[start + limit]["id"]
            body["paging"] = {"next": {"after": cursor, "link": str(request.url.include_query_params(after=cursor))}}
        return answer(body, 200, headers)

    async def one(self, request: Request) -> Response:
        denied = self.emulator.unauthorized(request)
        if denied is not None:
            return denied
        headers = self.emulator.rate_limits.headers()
        params = request.query_params
        wanted = request.path_params["ownerId"]
        by = params.get("idProperty", "id")
        if by not in ("id", "userId"):
            return error(400, "VALIDATION_ERROR", f"idProperty must be id or userId, not {by}", headers)  # [unverified wording]
        archived = params.get("archived", "false").lower() == "true"
        owner = next((self.store.get(i) for i in self.store.ids(archived)
                      if str(self.store.get(i)[by]) == wanted), None)
        if owner is None:
            return not_found(wanted, headers)
        return answer(dict(owner), 200, headers)
