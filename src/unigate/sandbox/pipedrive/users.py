"""Pipedrive users (API v1 only): the emulator's `users` resource.

Routes are Pipedrive's (https://developers.pipedrive.com/docs/api/v1/Users;
https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v1/api/users-api.ts):

- `GET /v1/users`              every user of the company in one answer (no paging)
- `GET /v1/users/find`         `term` (required) matched against names, or e-mails with `search_by_email=1`
- `GET /v1/users/{id}`         one user; 404 for an unknown id

Users are administered in Pipedrive's settings: `POST /v1/users` (an admin's invitation) and `PUT /v1/users/{id}`
(only `active_flag`) exist but are not emulated, so they answer 404 like any unknown route here; there is no delete.

The user (client-php docs/versions/v1/Model/BaseUser.md): `id`, `name`, `email`, `phone`, `active_flag`,
`activated`, `is_deleted`, `created`, `modified`, `last_login` (`YYYY-MM-DD HH:MM:SS`, UTC), `default_currency`,
`locale`, `lang`, `timezone_name`, `timezone_offset`, `role_id`, `icon_url`, `is_admin`, `is_you`.
The ids are the `owner_id` values of the seeded organizations, persons, deals and activities.
`find` matching a part of a name case-insensitively is [unverified] (the reference says "Finds users by their name").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.collection import Collection
from unigate.sandbox.pipedrive.accounts import _OWNERS as RECORD_OWNERS
from unigate.sandbox.pipedrive.common import error, unauthorized
from unigate.sandbox.pipedrive.notes import v1_time

if TYPE_CHECKING:
    from unigate.sandbox.pipedrive import PipedriveEmulator

USERS_PATH = "/v1/users"
NOT_FOUND_MESSAGE = "User not found"  # [unverified wording]
_NAMES = ("Mari Tamm", "Jonas Berg", "Aino Virtanen", "Lukas Meier", "Sofia Rossi", "Noah Keller")
_SEED_START = datetime(2022, 3, 1, 9, 0, 0, tzinfo=UTC)


class Users(Resource):
    name: ClassVar[str] = "users"
    default_seed_count: ClassVar[int | None] = 16  # enough for the gateway to page them
    emulator: PipedriveEmulator

    def __init__(self, emulator: PipedriveEmulator) -> None:
        super().__init__(emulator)
        self.store = Collection(first_id=RECORD_OWNERS[0], number_of=int)

    def seed(self, count: int) -> None:
        """The record owners first (so every owner_id names a user), then more; the last one deactivated."""
        self.store.clear()
        for index in range(count):
            name = _NAMES[index % len(_NAMES)] + (f" {index // len(_NAMES) + 1}" if index >= len(_NAMES) else "")
            user_id = self.store.new_id()
            created = _SEED_START + timedelta(days=30 * index)
            self.store.add(user_id, {
                "id": user_id, "name": name, "email": name.lower().replace(" ", ".") + "@example.com",
                "phone": None, "active_flag": index != count - 1 or count <= len(RECORD_OWNERS), "activated": True,
                "is_deleted": False, "created": v1_time(created), "modified": v1_time(created + timedelta(days=2)),
                "last_login": v1_time(created + timedelta(days=3)), "default_currency": "EUR", "locale": "en_US",
                "lang": 1, "timezone_name": "Europe/Tallinn", "timezone_offset": "+02:00", "role_id": 1,
                "icon_url": None, "is_admin": 1 if index == 0 else 0, "is_you": index == 0})

    def snapshot(self) -> list[dict[str, Any]]:
        return self.store.snapshot()

    def routes(self) -> list[Route]:
        # /find before /{id}: the path would otherwise read as a user id.
        return [Route(USERS_PATH, self.list_users, methods=["GET"]),
                Route(USERS_PATH + "/find", self.find, methods=["GET"]),
                Route(USERS_PATH + "/{id}", self.one, methods=["GET"])]

    async def list_users(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        return json_response({"success": True, "data": [dict(u) for u in self.store.live()]}, headers=headers)

    async def find(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        term = request.query_params.get("term")
        if not term:
            return error(400, "term is required", headers)  # [unverified wording]; term is required in the reference
        by_email = request.query_params.get("search_by_email") in ("1", "true")
        wanted = term.lower()
        found = [dict(u) for u in self.store.live() if wanted in (u["email"] if by_email else u["name"]).lower()]
        # Nothing found answers data null, as Pipedrive's v1 searches do [unverified for users]
        return json_response({"success": True, "data": found or None}, headers=headers)

    async def one(self, request: Request) -> Response:
        headers = self.emulator.rate_limits.headers()
        if not self.emulator.authorized(request):
            return unauthorized(headers)
        try:
            user_id = int(request.path_params["id"])
        except ValueError:
            return error(404, NOT_FOUND_MESSAGE, headers)
        record = self.store.get_active(user_id)
        if record is None:
            return error(404, NOT_FOUND_MESSAGE, headers)
        return json_response({"success": True, "data": dict(record)}, headers=headers)
