"""What every part of the monday emulator shares: ids, API versions, limits, the OAuth profile, error
constants, seeded users and tags, timestamps.

Sources: https://developer.monday.com/api-reference/docs/api-versioning (versions, the `API-Version`
header), https://developer.monday.com/api-reference/docs/authentication, OAuth 2.1
(https://developer.monday.com/apps/docs/oauth-2-1) and legacy OAuth 2.0
(https://developer.monday.com/apps/docs/oauth-2-0), https://developer.monday.com/api-reference/docs/error-handling,
https://developer.monday.com/api-reference/docs/rate-limits and
https://developer.monday.com/api-reference/docs/querying-board-items.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any


SANDBOX_TOKEN = "sandbox-monday-token"
ACCOUNT_ID = 21874503                       # monday's numeric account id, echoed as `account_id`
ACCOUNTS_BOARD_ID = "1859403721"
CONTACTS_BOARD_ID = "1859403788"
DEALS_BOARD_ID = "1859403812"
LEADS_BOARD_ID = "1859403850"
WORKSPACE_ID = "5120011"                    # the CRM boards' workspace
# Item ids: numeric strings, one id space for every board, increasing by 7 from 1600000007.
FIRST_ITEM_ID = 1600000007
ITEM_ID_STEP = 7

# API versions as of December 2026: 2026-10 became current on 2026-10-26, 2027-01 is the release
# candidate, 2026-07 moved to maintenance
# (https://developer.monday.com/api-reference/changelog/2026-10-is-now-the-current-api-version). Which of
# 2025-04 .. 2026-04 are deprecated by now is not published [unverified]: they are served.
CURRENT_API_VERSION = "2026-10"
RELEASE_CANDIDATE_API_VERSION = "2027-01"
SUPPORTED_API_VERSIONS = ("2025-04", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10", "2027-01")
# Deprecated versions are not refused but routed: 2023-10 .. 2024-07 to 2024-10 on 2025-01-15
# (https://developer.monday.com/api-reference/changelog/reminder-january-15th-2025-api-version-deprecations),
# then 2024-10 and 2025-01 to 2025-04 on 2026-02-15
# (https://developer.monday.com/api-reference/changelog/deprecating-versions-2025-01-and-2024-10-on-february-15th-2026).
# So no answer uses the error format of the versions before 2025-01 any more.
ROUTED_API_VERSIONS = {version: "2025-04" for version in ("2023-10", "2024-01", "2024-04", "2024-07", "2024-10",
                                                           "2025-01")}
# The User fields 2026-10 removes (https://developer.monday.com/api-reference/docs/migrating-user-entity-to-2026-10).
USER_FIELDS_REMOVED = {"enabled", "is_admin", "is_guest", "is_pending"}
USER_FIELDS_REMOVED_SINCE = "2026-10"
# monday announced the header becomes mandatory (400 API_VERSION_REQUIRED;
# https://developer.monday.com/api-reference/changelog/the-api-version-header-is-now-required); when that
# applies is [unverified]: switch `api_version_header` (`optional` by default, `required`).

MAX_PAGE_LIMIT = 500                        # querying-board-items page
CURSOR_TTL_SECONDS = 60 * 60                # querying-board-items: cursors live 60 minutes
MAX_ITEMS_IDS = 100                         # items(ids:) takes at most 100 ids (reference/items)
ITEMS_DEFAULT_LIMIT = 25                    # items(ids:) page size when `limit` is omitted (official
                                            # Python SDK, monday_sdk/constants.py and items module)
MAX_QUERY_COMPLEXITY = 5_000_000            # single query limit (rate-limits page)
COMPLEXITY_BUDGET_PER_MINUTE = 10_000_000   # personal tokens, reads+writes combined (rate-limits page)

# 401 body. The error-handling docs only say "401 (Not authenticated)"; the body below is what a
# public API-key catalogue (daffainfo/all-about-apikey, monday/README.md) recorded. [unverified]
UNAUTHENTICATED_BODY: Any = {"errors": ["Not Authenticated"]}

# Not-found code for change/delete on a missing or deleted item: not documented; the real code may be
# InvalidItemIdException, status 400 (https://developer.monday.com/api-reference/docs/error-handling lists
# both) [unverified]: switch `item_not_found` (the first is the default).
ITEM_NOT_FOUND_CODE = "ResourceNotFoundException"
ITEM_NOT_FOUND_STATUS = 404
ITEM_NOT_FOUND_ERRORS = {"ResourceNotFoundException": 404, "InvalidItemIdException": 400}

# Rate-limit headers. The rate-limits page says every response carries `RateLimit-Policy` and
# `RateLimit`; we emit the IETF draft (structured-field) form. [unverified exact syntax]
RATE_LIMIT_POLICY_HEADER = "RateLimit-Policy"
RATE_LIMIT_HEADER = "RateLimit"

# Parse errors: 400 (error-handling page: 400 for a malformed query).
PARSE_ERROR_STATUS = 400

# From 2025-04 a board_relation (connect boards) column's `value` is null: read `linked_item_ids` instead
# (https://developer.monday.com/api-reference/changelog/value-field-now-returns-null-on-connect-boards-dependency-and-subtasks-columns).
BOARD_RELATION_VALUE_NULL_SINCE = "2025-04"

VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")

# Users and tags of the sandbox account (people and tags columns point at them).
USERS = [("48213001", "Dana Whitfield", "dana@sandbox-crm.example"),
          ("48213002", "Luis Ortega", "luis@sandbox-crm.example"),
          ("48213003", "Priya Raman", "priya@sandbox-crm.example"),
          ("48213004", "Tomasz Nowak", "tomasz@sandbox-crm.example"),
          ("48213005", "Aiko Tanaka", "aiko@sandbox-crm.example")]
# Members who own no seeded record (enough members for several pages of `users`).
OTHER_USERS = [(str(48213010 + i), f"{first} {last}", f"{first.lower()}@sandbox-crm.example")
               for i, (first, last) in enumerate([("Mara", "Quinn"), ("Jonas", "Berg"), ("Selin", "Kaya"),
                                                  ("Omar", "Haddad"), ("Ines", "Costa"), ("Pavel", "Novak"),
                                                  ("Lena", "Vogel"), ("Kofi", "Mensah"), ("Hana", "Sato"),
                                                  ("Tariq", "Aziz"), ("Elena", "Ruiz"), ("Mateo", "Silva")])]
# A member who left: deactivated (enabled false), owns nothing, still listed by `users` (monday keeps
# deactivated members; `non_active: true` lists only them: https://developer.monday.com/api-reference/reference/users).
DEACTIVATED_USERS = [("48213009", "Ren Alvarez", "ren@sandbox-crm.example")]
# users(limit:) default and cap: "users without limit" answer at most 200 from 2025-07, and a limit above 1000 is
# refused (https://developer.monday.com/api-reference/docs/migrating-user-entity-to-2026-10; SDL `users(limit = 200)`).
USERS_DEFAULT_LIMIT = 200
USERS_MAX_LIMIT = 1000
TAGS = [("21000001", "enterprise"), ("21000002", "smb"), ("21000003", "partner"), ("21000004", "churn-risk"),
         ("21000005", "vip"), ("21000006", "prospect"), ("21000007", "reseller"), ("21000008", "strategic")]

SEED_EPOCH = datetime(2023, 1, 2, 9, 0, 0, tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso(datetime.now(timezone.utc))


# ColumnValueException answers carry `status_code: 200` and `error_data.column_type`, the bare column type
# (a status column reports "color"): https://developer.monday.com/api-reference/changelog/bug-fix-column-value-exception-error-column_type-update
COLUMN_VALUE_EXCEPTION = "ColumnValueException"
COLUMN_VALUE_EXCEPTION_STATUS = 200
LABEL_MISSING_MESSAGE = ("invalid value - label does not exist in column. Please check our API documentation for "
                         "the correct data structure for this column. "
                         "https://developer.monday.com/api-reference/docs/change-column-values")


def column_type_of_error(column_type: str) -> str:
    """`error_data.column_type` of a ColumnValueException: the column's type, `color` for status columns."""
    return "color" if column_type == "status" else column_type


class ColumnValueError(Exception):
    def __init__(self, message: str, code: str = "ColumnValueException", data: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data or {}

