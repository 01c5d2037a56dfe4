"""monday CRM emulator: the GraphQL API v2 (`POST /v2`, https://api.monday.com/v2) over the CRM boards.

Every monday CRM resource is a board whose items are its records (boards.py: `BoardResource`);
`resources` lists them in seeding order (accounts.py, contacts.py, deals.py), so contacts can link to
the accounts seeded before them, and deals to both. The GraphQL machinery is shared by every board: endpoint.py (the HTTP
endpoint, root fields, errors, complexity), items.py (item reads, paging and mutations), boards.py
(`Board` objects), columns.py (column values), schema.py (types and fields), graphql.py (the parser
and executor), common.py (ids, versions, limits, OAuth profile).

OAuth: authorize `GET /oauth2/authorize`; OAuth 2.1 token `POST /oauth_ms/oauth/token` (PKCE S256,
expiring access tokens, refresh tokens); legacy OAuth 2.0 token `POST /oauth2/token` (access tokens
that never expire, no refresh token). See oauth.py.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.routing import Route

from unigate.sandbox.base import Emulator
from unigate.sandbox.collection import Collection
from unigate.sandbox.monday.accounts import Accounts
from unigate.sandbox.monday.boards import Boards
from unigate.sandbox.monday.columns import ColumnValues
from unigate.sandbox.monday.common import (
    ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, CURRENT_API_VERSION, DEALS_BOARD_ID, FIRST_ITEM_ID, ITEM_ID_STEP, ITEM_NOT_FOUND_CODE,
    ITEM_NOT_FOUND_STATUS, MAX_PAGE_LIMIT, SANDBOX_TOKEN, TAGS, UNAUTHENTICATED_BODY, USERS,
)
from unigate.sandbox.monday.contacts import Contacts
from unigate.sandbox.monday.deals import Deals
from unigate.sandbox.monday.endpoint import GraphQLEndpoint
from unigate.sandbox.monday.items import Items
from unigate.sandbox.monday.oauth import OAUTH_LEGACY_TOKEN_PATH, OAUTH_PROFILE, OAUTH_TOKEN_PATH

__all__ = [
    "ACCOUNTS_BOARD_ID", "CONTACTS_BOARD_ID", "CURRENT_API_VERSION", "DEALS_BOARD_ID", "EMULATOR", "ITEM_NOT_FOUND_CODE",
    "ITEM_NOT_FOUND_STATUS", "MAX_PAGE_LIMIT", "OAUTH_LEGACY_TOKEN_PATH", "OAUTH_PROFILE", "OAUTH_TOKEN_PATH",
    "SANDBOX_TOKEN", "UNAUTHENTICATED_BODY", "MondayEmulator",
]


class MondayEmulator(GraphQLEndpoint, Items, Boards, ColumnValues, Emulator):
    name = "monday"
    oauth_profile = OAUTH_PROFILE
    resources = (Accounts, Contacts, Deals)

    def reset_state(self) -> None:
        self.boards: dict[str, dict[str, Any]] = {}     # by id, filled by the board resources' seeds
        self.items = Collection(first_id=FIRST_ITEM_ID, step=ITEM_ID_STEP, make_id=str)   # every board's items
        self.users = {uid: {"id": uid, "name": n, "email": e} for uid, n, e in USERS}
        self.tags = {tid: {"id": tid, "name": n, "color": "#579bfc"} for tid, n in TAGS}
        self.budget_used = 0
        self.budget_window_start = time.monotonic()

    def new_item_id(self) -> str:
        return self.items.new_id()

    def routes(self) -> list[Route]:
        return [Route("/v2", self.graphql, methods=["POST"])]


EMULATOR = MondayEmulator
