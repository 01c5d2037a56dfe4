"""Nutshell users: `GET /rest/users` and `GET /rest/users/{id}` (https://app.nutshell.com/swagger.json, /users;
https://developers.nutshell.com/reference).

- List `{meta: {count, total, next, previous, instanceId, siteId}, links, users: [...]}`: pages of `page[limit]`
  (0-based `page[page]`), the following page's URL in `meta.next` (null on the last page), as the swagger's
  UsersResponse has it; a negative page is 400 "Invalid filter" like the other lists (amp-labs/connectors,
  providers/nutshell/test/read/err-page-size.json).
- Get `{meta, links, users: [user]}`; an unknown id is 404 with the JSON:API error envelope.
- User: `{id "1-users", type, name, firstName, emails: [string], isEnabled, isAdministrator, modifiedTime (unix)}`
  (swagger `User`); no create, update or delete in REST (JSON-RPC editUser/deleteUser only,
  https://developers-rpc.nutshell.com/detail/class_core.html).
- No filters or sort are documented for /users.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Resource, json_response
from unigate.sandbox.nutshell.common import HOST, NutshellError, formatted_number

DEFAULT_PAGE_LIMIT = 50      # not documented; as the other lists [unverified]
MAX_PAGE_LIMIT = 10_000


class Users(Resource):
    """The instance's users (`emulator.users`, filled on reset: the owners of seeded records first)."""

    name = "users"
    default_seed_count: ClassVar[int | None] = 0

    def routes(self) -> list[Route]:
        g = self.emulator._guard
        return [Route("/rest/users", g(self.list_users), methods=["GET"]),
                Route("/rest/users/{id}", g(self.get_user), methods=["GET"])]

    def seed(self, count: int) -> None:
        """Users come with the emulator's lookups (`reset_state`)."""

    def snapshot(self) -> Any:
        return list(self.emulator.users.values())

    async def list_users(self, request: Request) -> Response:
        params = request.query_params
        raw_limit = params.get("page[limit]", str(DEFAULT_PAGE_LIMIT))
        raw_page = params.get("page[page]", "0")
        if not re.fullmatch(r"-?\d+", raw_page) or int(raw_page) < 0:
            raise NutshellError(400, "Invalid filter", f"Invalid page number: {raw_page}")
        if not re.fullmatch(r"-?\d+", raw_limit) or not 1 <= int(raw_limit) <= MAX_PAGE_LIMIT:
            raise NutshellError(400, "Invalid filter", f"Invalid page limit: {raw_limit}")
        limit, page = int(raw_limit), int(raw_page)
        users = list(self.emulator.users.values())
        chunk = users[page * limit: (page + 1) * limit]

        def link(number: int) -> str:
            return f"{HOST}/rest/users?" + urlencode({"page[limit]": limit, "page[page]": number})
        meta = {"count": len(chunk), "countFormatted": formatted_number(len(chunk)), "total": len(users),
                "totalFormatted": formatted_number(len(users)),
                "next": link(page + 1) if (page + 1) * limit < len(users) else None,
                "previous": link(page - 1) if page > 0 else None, **self.emulator._meta()}
        return json_response({"meta": meta, "links": {}, "users": chunk})

    async def get_user(self, request: Request) -> Response:
        user = self.emulator.users.get(request.path_params["id"])
        if user is None:
            raise NutshellError(404, "Not Found", f"Could not find user with id {request.path_params['id']}")
        return json_response({"meta": self.emulator._meta(), "links": {}, "users": [user]})
