"""monday CRM emulator: the GraphQL API v2 (`POST /v2`, https://api.monday.com/v2) over the CRM boards.

Every monday CRM resource is a board whose items are its records (boards.py: `BoardResource`);
`resources` lists them in seeding order (accounts.py, contacts.py, deals.py), so contacts can link to
the accounts seeded before them, and deals to both; leads.py is the Leads board; updates.py (the posts on items, monday CRM's notes) comes
last, its updates hanging off all three boards' items; activities.py keeps the Emails & Activities app's kinds of
activity (custom_activity). The GraphQL machinery is shared by every board: endpoint.py (the HTTP
endpoint, root fields, errors, complexity), items.py (item reads, paging and mutations), boards.py
(`Board` objects), columns.py (column values), schema.py (types and fields), graphql.py (the parser
and executor), common.py (ids, versions, limits, OAuth profile).

OAuth: authorize `GET /oauth2/authorize`; OAuth 2.1 token `POST /oauth_ms/oauth/token` (PKCE S256,
expiring access tokens, refresh tokens); legacy OAuth 2.0 token `POST /oauth2/token` (access tokens
that never expire, no refresh token). See oauth.py.

Sources (each module names its own next to the rule):
- monday's GraphQL schema (SDL): https://api.monday.com/v2/get_schema?format=sdl , kept in
  https://github.com/mondaycom/mcp (packages/agent-toolkit/src/monday-graphql/schema.graphql) and typed in
  https://github.com/mondaycom/monday-graphql-api (packages/api-types): types, fields, arguments
- https://developer.monday.com/api-reference/docs/authentication , .../api-versioning ,
  .../error-handling , .../rate-limits , .../querying-board-items , .../reference/items ,
  .../docs/change-column-values and the per-column pages (.../docs/email, .../phone, .../link,
  .../location, .../connect)
- the changelog: https://developer.monday.com/api-reference/changelog (the current version, deprecated
  versions routed to 2025-04, API-Version becoming required, board_relation `value` null from 2025-04,
  ColumnValueException's `column_type`); https://developer.monday.com/api-reference/docs/migrating-user-entity-to-2026-10
- the official SDKs: https://github.com/mondaycom/monday-api-python-sdk (query templates, error
  classes, `CURRENT_VERSION`), https://github.com/mondaycom/monday-graphql-api
- OAuth: https://developer.monday.com/apps/docs/oauth-2-1 , https://developer.monday.com/apps/docs/oauth-2-0
- updates (notes): https://developer.monday.com/api-reference/reference/updates ; custom activities (engagement
  types): https://developer.monday.com/api-reference/reference/custom-activity

Where those sources leave a behaviour open, the emulator has a switch (`switches`, set through
`POST /__control/monday/switches`; the first value is the default):
- `api_version_header`: a request without `API-Version` gets the current version (`optional`) or 400
  `API_VERSION_REQUIRED` (`required`, as the changelog announces);
- `item_not_found`: the code of a change or delete on a missing or deleted item,
  `ResourceNotFoundException` (status_code 404) or `InvalidItemIdException` (400);
- `page_limit_over_max`: an `items_page`/`next_items_page` limit above 500 is refused (`refuse`) or
  capped at 500 (`clamp`).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, ClassVar

from starlette.routing import Route

from unigate.sandbox.base import Emulator
from unigate.sandbox.collection import Collection
from unigate.sandbox.monday.accounts import Accounts
from unigate.sandbox.monday.boards import Boards, ColumnMutations, Columns
from unigate.sandbox.monday.columns import ColumnValues
from unigate.sandbox.monday.common import (
    ACCOUNTS_BOARD_ID, CONTACTS_BOARD_ID, CURRENT_API_VERSION, DEACTIVATED_USERS, DEALS_BOARD_ID, FIRST_ITEM_ID,
    ITEM_ID_STEP, ITEM_NOT_FOUND_CODE, ITEM_NOT_FOUND_ERRORS, ITEM_NOT_FOUND_STATUS, LEADS_BOARD_ID, MAX_PAGE_LIMIT,
    OTHER_USERS, SANDBOX_TOKEN, SEED_EPOCH, TAGS, UNAUTHENTICATED_BODY, USERS, iso,
)
from unigate.sandbox.monday.contacts import Contacts
from unigate.sandbox.monday.deals import Deals
from unigate.sandbox.monday.endpoint import GraphQLEndpoint
from unigate.sandbox.monday.items import Items
from unigate.sandbox.monday.leads import Leads
from unigate.sandbox.monday.activities import CustomActivities
from unigate.sandbox.monday.updates import Updates
from unigate.sandbox.monday.oauth import OAUTH_LEGACY_TOKEN_PATH, OAUTH_PROFILE, OAUTH_TOKEN_PATH

__all__ = [
    "ACCOUNTS_BOARD_ID", "CONTACTS_BOARD_ID", "CURRENT_API_VERSION", "DEALS_BOARD_ID", "EMULATOR", "ITEM_NOT_FOUND_CODE",
    "ITEM_NOT_FOUND_STATUS", "LEADS_BOARD_ID", "MAX_PAGE_LIMIT", "OAUTH_LEGACY_TOKEN_PATH", "OAUTH_PROFILE", "OAUTH_TOKEN_PATH",
    "SANDBOX_TOKEN", "UNAUTHENTICATED_BODY", "MondayEmulator",
]


class MondayEmulator(GraphQLEndpoint, Items, Boards, ColumnMutations, ColumnValues, Emulator):
    name = "monday"
    oauth_profile = OAUTH_PROFILE
    resources = (Accounts, Contacts, Deals, Leads, Columns, Updates, CustomActivities)
    # Behaviours monday's documentation leaves open (module docstring); the default first.
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {
        "api_version_header": ("optional", "required"),
        "item_not_found": tuple(ITEM_NOT_FOUND_ERRORS),
        "page_limit_over_max": ("refuse", "clamp"),
    }

    def reset_state(self) -> None:
        self.boards: dict[str, dict[str, Any]] = {}     # by id, filled by the board resources' seeds
        self.items = Collection(first_id=FIRST_ITEM_ID, step=ITEM_ID_STEP, make_id=str)   # every board's items
        # users joined a day apart from the seed epoch; the deactivated one last (common.py)
        self.users = {uid: {"id": uid, "name": n, "email": e, "enabled": uid not in {d[0] for d in DEACTIVATED_USERS},
                            "created_at": iso(SEED_EPOCH - timedelta(days=400 - 9 * i))}
                      for i, (uid, n, e) in enumerate(USERS + OTHER_USERS + DEACTIVATED_USERS)}
        self.tags = {tid: {"id": tid, "name": n, "color": "#579bfc"} for tid, n in TAGS}
        self.budget_used = 0
        self.budget_window_start = time.monotonic()

    def new_item_id(self) -> str:
        return self.items.new_id()

    def routes(self) -> list[Route]:
        return [Route("/v2", self.graphql, methods=["POST"])]


EMULATOR = MondayEmulator
