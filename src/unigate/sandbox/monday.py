"""monday CRM emulator: the GraphQL API v2 (`POST /v2`) for items on the CRM "Accounts" board.

Sources (research file crm-apis-2.md §1 and §6, and the vendor pages it cites):
- one endpoint `POST https://api.monday.com/v2`, JSON body `{"query", "variables", "operationName"}` (§1.1);
- `Authorization: <token>` (raw, as the official SDK sends it) or `Bearer <token>` (§1.2), with
  `SANDBOX_TOKEN` or an access token the OAuth server issued and that has not expired;
- OAuth (§1.2): authorize `GET /oauth2/authorize`; OAuth 2.1 token `POST /oauth_ms/oauth/token`
  (PKCE S256, expiring access tokens, refresh tokens); legacy OAuth 2.0 token `POST /oauth2/token`
  (access tokens that never expire, no refresh token). See `OAUTH_*`;
- `API-Version: YYYY-MM` header; missing -> the current version (§1.1);
- an account is an item of the Accounts board; every attribute but the name is a column value whose
  `value` is a JSON-encoded string and `text` a display string (§1.3);
- `boards { items_page(limit, cursor, query_params) { cursor items } }` then
  `next_items_page(cursor, limit)`, at most 500 a page, cursor null on the last page (§1.4, §1.5);
- `create_item`, `change_multiple_column_values`, `delete_item` (soft delete: `state: "deleted"`,
  still returned by `items(ids:)`), `archive_item` (§1.4, §1.7);
- application errors with HTTP 200 and `errors[]` (2025-01+ format) or the legacy
  `error_code`/`error_message` shape (versions before 2025-01); transport errors with real statuses
  (§1.6; https://developer.monday.com/api-reference/docs/error-handling).

GraphQL subset: see `unigate.sandbox._graphql` (operations, variables, aliases, inline fragments,
@include/@skip; no named fragments). Root fields served: `boards`, `items`, `next_items_page`,
`complexity`, `version`, `me`, `users`, `tags`; mutations `create_item`,
`change_multiple_column_values`, `change_column_value`, `change_simple_column_value`, `delete_item`,
`archive_item`.

`column_values` returns the `ColumnValue` interface; each value's concrete type follows its column type
(`TextValue`, `StatusValue`, `BoardRelationValue`, ...), so inline fragments such as
`... on BoardRelationValue { display_value linked_item_ids }` apply per column, as in monday's schema
(mondaycom/monday-graphql-api api-types; developer.monday.com/api-reference/reference/connect).
"""

from __future__ import annotations

import base64
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _graphql as gql
from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, json_response

SANDBOX_TOKEN = "sandbox-monday-token"
ACCOUNT_ID = 21874503                       # monday's numeric account id, echoed as `account_id`
ACCOUNTS_BOARD_ID = "1859403721"
CONTACTS_BOARD_ID = "1859403788"

CURRENT_API_VERSION = "2025-07"             # research §1.1: SDK CURRENT_VERSION
SUPPORTED_API_VERSIONS = ("2024-10", "2025-01", "2025-04", "2025-07", "2025-10", "2026-01")
UNIFIED_ERRORS_SINCE = "2025-01"            # research §1.6: one error format from 2025-01 on
# research §1.1: monday announced the header becomes mandatory (400 API_VERSION_REQUIRED). Off
# until that ships; flip to reproduce the future behaviour.
REQUIRE_API_VERSION = False

MAX_PAGE_LIMIT = 500                        # research §1.5 / querying-board-items
CURSOR_TTL_SECONDS = 60 * 60                # research §1.5: cursors live 60 minutes
MAX_ITEMS_IDS = 100                         # research §1.4: items(ids:) takes at most 100 ids
ITEMS_DEFAULT_LIMIT = 25                    # items(ids:) page size when `limit` is omitted (official
                                            # Python SDK, monday_sdk/constants.py and items module)
MAX_QUERY_COMPLEXITY = 5_000_000            # research §1.6: single query limit
COMPLEXITY_BUDGET_PER_MINUTE = 10_000_000   # personal tokens, reads+writes combined (rate-limits page)

# -- OAuth (research/crm-apis-2.md §1.2) ---------------------------------------------------------------
OAUTH_AUTHORIZE_PATH = "/oauth2/authorize"        # https://auth.monday.com/oauth2/authorize [doc]
OAUTH_TOKEN_PATH = "/oauth_ms/oauth/token"        # OAuth 2.1 (current): PKCE, expiring tokens, refresh [doc]
OAUTH_LEGACY_TOKEN_PATH = "/oauth2/token"         # OAuth 2.0 (legacy): tokens never expire, no refresh [doc]
# OAuth 2.1 access-token lifetime: research does not give it [unverified].
OAUTH_ACCESS_TOKEN_TTL = 3600
# OAuth 2.1 requires refresh tokens to be rotated or sender-bound; research is silent on monday's
# choice, the sandbox rotates [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
OAUTH_PROFILE = _oauth.OAuthProfile(
    name="monday",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    non_expiring_token_path=OAUTH_LEGACY_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    pkce="required",                       # OAuth 2.1 with PKCE [doc]; only S256 is taken
    client_auth=frozenset({"body"}),       # [unverified: research names no client authentication]
    # token errors: RFC 6749 §5.2 bodies and statuses [unverified: research records none]
)

# 401 body. The error-handling docs only say "401 (Not authenticated)"; the body below is what a
# public API-key catalogue (daffainfo/all-about-apikey, monday/README.md) recorded. [unverified]
UNAUTHENTICATED_BODY: Any = {"errors": ["Not Authenticated"]}

# Not-found code for change/delete on a missing or deleted item. research §1.4 recommends this
# shape for emulators; the real code may be InvalidItemIdException. [unverified]
ITEM_NOT_FOUND_CODE = "ResourceNotFoundException"
ITEM_NOT_FOUND_STATUS = 404

# Rate-limit headers. The rate-limits page says every response carries `RateLimit-Policy` and
# `RateLimit`; we emit the IETF draft (structured-field) form. [unverified exact syntax]
RATE_LIMIT_POLICY_HEADER = "RateLimit-Policy"
RATE_LIMIT_HEADER = "RateLimit"

# Parse errors: 400 in the 2025-01+ format (research §1.6 "400 for a malformed query"), 200 in
# the legacy versions (old error-codes page: "Parse error on... HTTP status code: 200").
PARSE_ERROR_STATUS = 400
LEGACY_PARSE_ERROR_STATUS = 200

_VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")

# -- schema: which fields each type has, and which fields return objects ---------------------------
_FIELDS: dict[str, dict[str, str | None]] = {
    "Query": {"boards": "Board", "items": "Item", "next_items_page": "ItemsResponse",
              "complexity": "Complexity", "version": "Version", "me": "User", "users": "User", "tags": "Tag"},
    "Mutation": {"create_item": "Item", "change_multiple_column_values": "Item", "change_column_value": "Item",
                 "change_simple_column_value": "Item", "delete_item": "Item", "archive_item": "Item",
                 "complexity": "Complexity"},
    "Board": {"id": None, "name": None, "state": None, "board_kind": None, "description": None,
              "workspace_id": None, "url": None, "items_count": None, "columns": "Column", "groups": "Group",
              "items_page": "ItemsResponse", "updated_at": None, "permissions": None, "tags": "Tag"},
    "Column": {"id": None, "title": None, "type": None, "settings_str": None, "description": None,
               "archived": None, "width": None},
    "Group": {"id": None, "title": None, "color": None, "position": None},
    "ItemsResponse": {"cursor": None, "items": "Item"},
    "Item": {"id": None, "name": None, "state": None, "created_at": None, "updated_at": None,
             "creator_id": None, "url": None, "relative_link": None, "email": None, "board": "Board",
             "group": "Group", "column_values": "ColumnValue", "subitems": "Item", "parent_item": "Item",
             "creator": "User"},
    "ColumnValue": {"id": None, "type": None, "text": None, "value": None, "column": "Column"},
    "Complexity": {"before": None, "after": None, "query": None, "reset_in_x_seconds": None},
    "Version": {"kind": None, "value": None, "display_name": None},
    "User": {"id": None, "name": None, "email": None, "enabled": None, "is_admin": None, "title": None},
    "Tag": {"id": None, "name": None, "color": None},
}

# The ColumnValue interface's implementing types, by column type (api-types `...Value = ColumnValue & {...}`).
_VALUE_TYPES = {"text": "TextValue", "long_text": "LongTextValue", "numbers": "NumbersValue",
                "status": "StatusValue", "link": "LinkValue", "phone": "PhoneValue", "location": "LocationValue",
                "people": "PeopleValue", "tags": "TagsValue", "date": "DateValue", "dropdown": "DropdownValue",
                "board_relation": "BoardRelationValue", "mirror": "MirrorValue", "dependency": "DependencyValue"}
for _value_type in _VALUE_TYPES.values():
    # Every implementation has the interface fields; all but MirrorValue add `updated_at`.
    _FIELDS[_value_type] = {**_FIELDS["ColumnValue"], **({} if _value_type == "MirrorValue" else {"updated_at": None})}
for _value_type in ("BoardRelationValue", "DependencyValue"):
    _FIELDS[_value_type].update({"display_value": None, "linked_item_ids": None, "linked_items": "Item"})
_FIELDS["MirrorValue"]["display_value"] = None      # `mirrored_items` (MirroredItem) is not served
_POSSIBLE_TYPES = {"ColumnValue": set(_VALUE_TYPES.values())}

_ORG_PREFIX = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
               "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Massive", "Blue Ridge",
               "Silverline", "Redwood", "Harbor", "Summit", "Pioneer", "Evergreen", "Keystone", "Lakeside",
               "Ironclad", "Brightwater", "Cobalt", "Granite", "Maple"]
_ORG_SUFFIX = ["Labs", "Industries", "Logistics", "Analytics", "Systems", "Foods", "Health", "Energy",
               "Robotics", "Partners", "Capital", "Media", "Works", "Networks", "Outfitters", "Bio"]
_ORG_FORM = ["Inc.", "LLC", "Ltd", "GmbH", "Co.", "Group", "PLC", "S.A."]
_INDUSTRIES = ["Software", "Manufacturing", "Healthcare", "Financial Services", "Retail", "Logistics",
               "Energy", "Media", "Education", "Biotechnology"]
_CITIES = [
    ("350 5th Ave", "New York", "NY", "10118", "United States", "US", "40.7484", "-73.9857"),
    ("1 Market St", "San Francisco", "CA", "94105", "United States", "US", "37.7941", "-122.3951"),
    ("100 Congress Ave", "Austin", "TX", "78701", "United States", "US", "30.2634", "-97.7446"),
    ("200 Clarendon St", "Boston", "MA", "02116", "United States", "US", "42.3493", "-71.0745"),
    ("10 Downing St", "London", "England", "SW1A 2AA", "United Kingdom", "GB", "51.5034", "-0.1276"),
    ("Unter den Linden 77", "Berlin", "Berlin", "10117", "Germany", "DE", "52.5163", "13.3777"),
    ("1 Rue de Rivoli", "Paris", "Île-de-France", "75001", "France", "FR", "48.8606", "2.3376"),
    ("88 Queen St", "Toronto", "ON", "M5H 2N2", "Canada", "CA", "43.6520", "-79.3813"),
]
_COUNTRY_DIAL = {"US": "1", "GB": "44", "DE": "49", "FR": "33", "CA": "1"}
_USERS = [("48213001", "Dana Whitfield", "dana@sandbox-crm.example"),
          ("48213002", "Luis Ortega", "luis@sandbox-crm.example"),
          ("48213003", "Priya Raman", "priya@sandbox-crm.example"),
          ("48213004", "Tomasz Nowak", "tomasz@sandbox-crm.example"),
          ("48213005", "Aiko Tanaka", "aiko@sandbox-crm.example")]
_TAGS = [("21000001", "enterprise"), ("21000002", "smb"), ("21000003", "partner"), ("21000004", "churn-risk"),
         ("21000005", "vip"), ("21000006", "prospect"), ("21000007", "reseller"), ("21000008", "strategic")]
_TIERS = ["Gold", "Silver", "Bronze"]
_SOURCES = ["Webinar", "Referral", "Trade show", "Outbound", "Website"]
_FIRST = ["Ava", "Noah", "Mia", "Liam", "Zoe", "Ethan", "Ivy", "Owen", "Nora", "Leo"]
_LAST = ["Carter", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Haddad", "Silva", "Moreau", "Okafor", "Berg"]

_BASE_TIME = datetime(2023, 1, 2, 9, 0, 0, tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return _iso(datetime.now(timezone.utc))


def _columns_accounts() -> list[dict[str, Any]]:
    industry_labels = {str(i): label for i, label in enumerate(_INDUSTRIES)}
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "company_domain", "title": "Domain", "type": "link", "settings_str": "{}"},
        {"id": "industry", "title": "Industry", "type": "status",
         "settings_str": orjson.dumps({"labels": industry_labels}).decode()},
        {"id": "company_employees", "title": "Employees", "type": "numbers", "settings_str": "{}"},
        {"id": "company_phone", "title": "Phone", "type": "phone", "settings_str": "{}"},
        {"id": "location", "title": "Address", "type": "location", "settings_str": "{}"},
        {"id": "account_owner", "title": "Account owner", "type": "people", "settings_str": "{}"},
        {"id": "tags", "title": "Tags", "type": "tags", "settings_str": "{}"},
        {"id": "company_description", "title": "Description", "type": "long_text", "settings_str": "{}"},
        {"id": "account_contact", "title": "Contacts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(CONTACTS_BOARD_ID)]}).decode()},
        {"id": "numeric_mkx1rev", "title": "Annual revenue", "type": "numbers", "settings_str": "{}"},
        {"id": "date_mkx1ren", "title": "Renewal date", "type": "date", "settings_str": "{}"},
        {"id": "dropdown_mkx1tier", "title": "Tier", "type": "dropdown",
         "settings_str": orjson.dumps({"labels": [{"id": i + 1, "name": n} for i, n in enumerate(_TIERS)]}).decode()},
        {"id": "text_mkx1src", "title": "Lead source", "type": "text", "settings_str": "{}"},
    ]


def _columns_contacts() -> list[dict[str, Any]]:
    return [
        {"id": "name", "title": "Name", "type": "name", "settings_str": "{}"},
        {"id": "contact_title", "title": "Title", "type": "text", "settings_str": "{}"},
        {"id": "contact_phone", "title": "Phone", "type": "phone", "settings_str": "{}"},
        {"id": "contact_account", "title": "Accounts", "type": "board_relation",
         "settings_str": orjson.dumps({"boardIds": [int(ACCOUNTS_BOARD_ID)]}).decode()},
    ]


class ColumnValueError(Exception):
    def __init__(self, message: str, code: str = "ColumnValueException", data: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data or {}


class MondayEmulator(Emulator):
    name = "monday"
    oauth_profile = OAUTH_PROFILE

    # -- data -------------------------------------------------------------------------------------
    def reset(self, count: int | None = None) -> None:
        self.boards: dict[str, dict[str, Any]] = {}
        self.users = {uid: {"id": uid, "name": n, "email": e} for uid, n, e in _USERS}
        self.tags = {tid: {"id": tid, "name": n, "color": "#579bfc"} for tid, n in _TAGS}
        self.next_item_id = 1600000000
        self.budget_used = 0
        self.budget_window_start = time.monotonic()
        super().reset(count)

    def _new_item_id(self) -> str:
        self.next_item_id += 7
        return str(self.next_item_id)

    def seed(self, count: int) -> None:
        self.boards = {
            ACCOUNTS_BOARD_ID: {"id": ACCOUNTS_BOARD_ID, "name": "Accounts", "state": "active", "board_kind": "public",
                                "description": "monday CRM accounts", "workspace_id": "5120011",
                                "columns": _columns_accounts(),
                                "groups": [{"id": "topics", "title": "Active accounts", "color": "#037f4c"},
                                           {"id": "group_mkx1old", "title": "Former customers", "color": "#c4c4c4"}],
                                "item_ids": []},
            CONTACTS_BOARD_ID: {"id": CONTACTS_BOARD_ID, "name": "Contacts", "state": "active",
                                "board_kind": "public", "description": "monday CRM contacts",
                                "workspace_id": "5120011", "columns": _columns_contacts(),
                                "groups": [{"id": "topics", "title": "Contacts", "color": "#579bfc"}],
                                "item_ids": []},
        }
        for board in self.boards.values():
            board["columns_by_id"] = {c["id"]: c for c in board["columns"]}
        accounts = self.boards[ACCOUNTS_BOARD_ID]
        contacts = self.boards[CONTACTS_BOARD_ID]
        account_ids: list[str] = []
        for i in range(count):
            item_id = self._new_item_id()
            name = (f"{_ORG_PREFIX[i % len(_ORG_PREFIX)]} {_ORG_SUFFIX[(i // 3) % len(_ORG_SUFFIX)]} "
                    f"{_ORG_FORM[(i // 7) % len(_ORG_FORM)]}")
            if i >= len(_ORG_PREFIX) * len(_ORG_SUFFIX):
                name += f" #{i}"
            slug = re.sub(r"[^a-z0-9]+", "", name.lower().split(" #")[0])[:24] + (str(i) if i >= 100 else "")
            street, city, state, postal, country, cc, lat, lng = _CITIES[i % len(_CITIES)]
            created = _BASE_TIME + timedelta(hours=5 * i, minutes=i % 60)
            updated = created + timedelta(days=1 + i % 40, minutes=17)
            changed = _iso(updated)
            dial = _COUNTRY_DIAL[cc]
            phone = f"{dial}{2025550100 + i:010d}"[: len(dial) + 10]
            tag_ids = [int(_TAGS[i % len(_TAGS)][0])] + ([int(_TAGS[(i + 3) % len(_TAGS)][0])] if i % 2 else [])
            values: dict[str, Any] = {
                "company_domain": {"url": f"https://www.{slug}.example", "text": f"{slug}.example", "changed_at": changed},
                "industry": {"index": i % len(_INDUSTRIES), "post_id": None, "changed_at": changed},
                "company_employees": str(10 + (i * 37) % 4990),
                "company_phone": {"phone": phone, "countryShortName": cc, "changed_at": changed},
                "location": {"lat": lat, "lng": lng, "address": f"{street}, {city}, {state} {postal}, {country}",
                             "placeId": f"ChIJsandbox{i:06d}", "city": {"long_name": city, "short_name": city},
                             "country": {"long_name": country, "short_name": cc},
                             "street": {"long_name": street.split(" ", 1)[1], "short_name": street.split(" ", 1)[1]},
                             "streetNumber": {"long_name": street.split(" ", 1)[0],
                                              "short_name": street.split(" ", 1)[0]},
                             "changed_at": changed},
                "account_owner": {"personsAndTeams": [{"id": int(_USERS[i % len(_USERS)][0]), "kind": "person"}],
                                  "changed_at": changed},
                "tags": {"tag_ids": tag_ids},
                "company_description": {"text": f"{name} is a {_INDUSTRIES[i % len(_INDUSTRIES)].lower()} company "
                                                f"headquartered in {city}.", "changed_at": changed},
                "account_contact": None,
                "numeric_mkx1rev": str(250000 + i * 12500),
                "date_mkx1ren": {"date": (created + timedelta(days=365)).strftime("%Y-%m-%d"), "icon": None,
                                 "changed_at": changed},
                "dropdown_mkx1tier": {"ids": [1 + i % len(_TIERS)], "changed_at": changed},
                "text_mkx1src": _SOURCES[i % len(_SOURCES)],
            }
            self.records[item_id] = {
                "id": item_id, "name": name, "board_id": ACCOUNTS_BOARD_ID,
                "group_id": "topics" if i % 9 else "group_mkx1old", "state": "active",
                "created_at": _iso(created), "updated_at": _iso(updated),
                "creator_id": _USERS[(i + 1) % len(_USERS)][0], "column_values": values,
            }
            accounts["item_ids"].append(item_id)
            account_ids.append(item_id)
        # Persons live on the Contacts board: items too, reachable by `items(ids:)`, never accounts.
        for j in range(max(1, count // 5)):
            item_id = self._new_item_id()
            created = _BASE_TIME + timedelta(hours=7 * j + 2)
            linked = account_ids[j % len(account_ids)] if account_ids else None
            self.records[item_id] = {
                "id": item_id, "name": f"{_FIRST[j % 10]} {_LAST[(j // 10) % 10]}", "board_id": CONTACTS_BOARD_ID,
                "group_id": "topics", "state": "active", "created_at": _iso(created),
                "updated_at": _iso(created + timedelta(hours=3)), "creator_id": _USERS[0][0],
                "column_values": {
                    "contact_title": ["CEO", "CTO", "Head of Sales", "Buyer"][j % 4],
                    "contact_phone": {"phone": f"1{2025550900 + j:010d}"[:11], "countryShortName": "US"},
                    "contact_account": ({"linkedPulseIds": [{"linkedPulseId": int(linked)}]} if linked else None),
                },
            }
            contacts["item_ids"].append(item_id)

    def error_in_200(self) -> Response:
        """monday's GraphQL error inside an HTTP 200 (research/crm-apis-2.md §1.6): a query over the
        single-query complexity cap, as this emulator answers it for real (`ComplexityException`,
        `extensions.status_code` 429, HTTP 200)."""
        cost = MAX_QUERY_COMPLEXITY + 1
        return self._error_response(
            f"Query has complexity of {cost}, which exceeds max complexity of {MAX_QUERY_COMPLEXITY}",
            "ComplexityException", 429, 200, False,
            error_data={"complexity": cost, "max_complexity": MAX_QUERY_COMPLEXITY})

    def snapshot(self) -> Any:
        """Every item as monday stores it, with column values in their wire form (value JSON string + text)."""
        out = []
        for item in self.records.values():
            board = self.boards[item["board_id"]]
            out.append({
                "id": item["id"], "name": item["name"], "board_id": item["board_id"], "board_name": board["name"],
                "group_id": item["group_id"], "state": item["state"], "created_at": item["created_at"],
                "updated_at": item["updated_at"], "creator_id": item["creator_id"],
                "column_values": [self._column_value(item, col) for col in board["columns"] if col["type"] != "name"],
            })
        return out

    # -- column values: wire form ----------------------------------------------------------------
    def _column_text(self, board: dict[str, Any], col: dict[str, Any], stored: Any) -> str | None:
        if stored is None:
            return None if col["type"] not in ("board_relation",) else ""
        kind = col["type"]
        if kind == "link":
            return f"{stored.get('text') or stored.get('url')} - {stored.get('url')}"
        if kind == "status":
            labels = orjson.loads(col["settings_str"]).get("labels", {})
            return labels.get(str(stored.get("index")))
        if kind in ("numbers", "text"):
            return str(stored)
        if kind == "phone":
            return stored.get("phone")
        if kind == "location":
            return stored.get("address")
        if kind == "people":
            return ", ".join(self.users.get(str(p["id"]), {}).get("name", "") for p in stored.get("personsAndTeams", []))
        if kind == "tags":
            return ", ".join(self.tags[str(t)]["name"] for t in stored.get("tag_ids", []) if str(t) in self.tags)
        if kind == "long_text":
            return stored.get("text")
        if kind == "date":
            return stored.get("date")
        if kind == "dropdown":
            labels = {lab["id"]: lab["name"] for lab in orjson.loads(col["settings_str"]).get("labels", [])}
            return ", ".join(labels.get(i, "") for i in stored.get("ids", []))
        if kind == "board_relation":
            return ", ".join(self.records[str(p["linkedPulseId"])]["name"]
                             for p in stored.get("linkedPulseIds", []) if str(p["linkedPulseId"]) in self.records)
        return str(stored)

    def _column_value(self, item: dict[str, Any], col: dict[str, Any]) -> dict[str, Any]:
        board = self.boards[item["board_id"]]
        stored = item["column_values"].get(col["id"])
        return {
            "__typename": "ColumnValue",
            "id": col["id"], "type": col["type"],
            "text": self._column_text(board, col, stored),
            "value": None if stored is None else orjson.dumps(stored).decode(),
            "column": {"__typename": "Column", **{k: col[k] for k in ("id", "title", "type", "settings_str")},
                       "description": None, "archived": False, "width": None},
        }

    def _value_obj(self, item: dict[str, Any], col: dict[str, Any]) -> dict[str, Any]:
        """A column value as a GraphQL object: its concrete `ColumnValue` implementation."""
        return {**self._column_value(item, col), "__typename": _VALUE_TYPES.get(col["type"], "TextValue"),
                "_stored": item["column_values"].get(col["id"])}

    def _resolve_column_value(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        stored = parent["_stored"]
        if name == "updated_at":
            return stored.get("changed_at") if isinstance(stored, dict) else None
        if name in ("linked_item_ids", "linked_items"):
            linked = [str(p["linkedPulseId"]) for p in (stored or {}).get("linkedPulseIds", [])]
            if name == "linked_item_ids":
                return linked
            return [self._item_obj(self.records[i]) for i in linked if i in self.records]
        if name == "display_value":                 # String!: the linked items' names, comma-separated
            return parent.get("text") or ""
        return parent.get(name)

    # -- column values: writes -------------------------------------------------------------------
    def _parse_column_write(self, board: dict[str, Any], col: dict[str, Any], raw: Any,
                            create_labels: bool) -> Any:
        """What monday would store for `raw` written to `col` (simple string or JSON value forms)."""
        kind = col["type"]
        changed = _now()
        if raw is None or raw == "" or raw == {}:
            return None
        if kind == "text":
            if not isinstance(raw, (str, int, float)):
                raise ColumnValueError("invalid value, please check our API documentation for the correct data "
                                       "structure for this column", data={"column_id": col["id"]})
            return str(raw)
        if kind == "numbers":
            text = str(raw).strip()
            try:
                float(text)
            except ValueError:
                raise ColumnValueError(f"The value {text!r} is not a valid number",
                                       data={"column_id": col["id"]}) from None
            return text
        if kind == "long_text":
            text = raw.get("text") if isinstance(raw, dict) else str(raw)
            return {"text": text, "changed_at": changed}
        if kind == "link":
            if isinstance(raw, dict):
                url, text = raw.get("url"), raw.get("text")
            else:
                url, _, text = str(raw).partition(" ")
            if not url:
                raise ColumnValueError("Link column value must include a url", data={"column_id": col["id"]})
            return {"url": url, "text": text or url, "changed_at": changed}
        if kind == "status":
            settings = orjson.loads(col["settings_str"])
            labels: dict[str, str] = settings.setdefault("labels", {})
            if isinstance(raw, dict) and "index" in raw:
                if str(raw["index"]) not in labels:
                    raise ColumnValueError("This status label index doesn't exist", data={"column_id": col["id"]})
                return {"index": int(raw["index"]), "post_id": None, "changed_at": changed}
            label = raw.get("label") if isinstance(raw, dict) else str(raw)
            for index, existing in labels.items():
                if existing == label:
                    return {"index": int(index), "post_id": None, "changed_at": changed}
            if not create_labels:
                raise ColumnValueError(f"This status label doesn't exist, possible statuses are: "
                                       f"{', '.join(f'{k}: {v}' for k, v in labels.items())}",
                                       data={"column_id": col["id"], "label": label})
            index = str(max((int(k) for k in labels), default=-1) + 1)
            labels[index] = label
            col["settings_str"] = orjson.dumps(settings).decode()
            return {"index": int(index), "post_id": None, "changed_at": changed}
        if kind == "phone":
            if isinstance(raw, dict):
                phone, country = raw.get("phone"), raw.get("countryShortName")
            else:
                phone, _, country = str(raw).rpartition(" ") if " " in str(raw) else (str(raw), "", "")
            # Stored as entered (the phone column page's examples keep the leading "+").
            digits = str(phone or "").strip()
            if not re.search(r"\d{3}", digits):
                raise ColumnValueError("Phone number is empty", data={"column_id": col["id"]})
            # The phone column page: the phone plus an ISO-2 country code are required.
            if not country or not re.fullmatch(r"[A-Za-z]{2}", str(country)):
                raise ColumnValueError("Phone column value requires a valid countryShortName (ISO-2)",
                                       data={"column_id": col["id"]})
            return {"phone": digits, "countryShortName": str(country).upper(), "changed_at": changed}
        if kind == "location":
            if isinstance(raw, dict):
                lat, lng, address = raw.get("lat"), raw.get("lng"), raw.get("address")
            else:
                parts = str(raw).split(" ", 2)
                lat, lng, address = (parts + [None, None, None])[:3]
            try:
                float(str(lat))
                float(str(lng))
            except ValueError:
                raise ColumnValueError("Location column value requires numeric lat and lng",
                                       data={"column_id": col["id"]}) from None
            return {"lat": str(lat), "lng": str(lng), "address": address or "", "changed_at": changed}
        if kind == "people":
            if isinstance(raw, dict):
                people = raw.get("personsAndTeams") or []
            else:
                people = [{"id": p.strip(), "kind": "person"} for p in str(raw).split(",") if p.strip()]
            out = []
            for person in people:
                pid = str(person.get("id"))
                if person.get("kind", "person") == "person" and pid not in self.users:
                    raise ColumnValueError(f"User {pid} not found", code="InvalidUserIdException",
                                           data={"column_id": col["id"], "user_id": pid})
                out.append({"id": int(pid), "kind": person.get("kind", "person")})
            return {"personsAndTeams": out, "changed_at": changed}
        if kind == "tags":
            ids = raw.get("tag_ids") if isinstance(raw, dict) else [t.strip() for t in str(raw).split(",")]
            out_ids = []
            for tag in ids or []:
                if str(tag) not in self.tags:
                    raise ColumnValueError(f"Tag {tag} not found", data={"column_id": col["id"], "tag_id": tag})
                out_ids.append(int(tag))
            return {"tag_ids": out_ids}
        if kind == "date":
            day = raw.get("date") if isinstance(raw, dict) else str(raw).split(" ")[0]
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(day)):
                raise ColumnValueError("Date column value must be YYYY-MM-DD", data={"column_id": col["id"]})
            return {"date": day, "icon": None, "changed_at": changed}
        if kind == "dropdown":
            settings = orjson.loads(col["settings_str"])
            labels_list: list[dict[str, Any]] = settings.setdefault("labels", [])
            by_name = {lab["name"]: lab["id"] for lab in labels_list}
            if isinstance(raw, dict) and "ids" in raw:
                return {"ids": [int(i) for i in raw["ids"]], "changed_at": changed}
            names = raw.get("labels") if isinstance(raw, dict) else [s.strip() for s in str(raw).split(",")]
            out_ids = []
            for name in names or []:
                if name not in by_name:
                    if not create_labels:
                        raise ColumnValueError(f"The dropdown label {name!r} does not exist",
                                               data={"column_id": col["id"]})
                    new_id = max((lab["id"] for lab in labels_list), default=0) + 1
                    labels_list.append({"id": new_id, "name": name})
                    by_name[name] = new_id
                    col["settings_str"] = orjson.dumps(settings).decode()
                out_ids.append(by_name[name])
            return {"ids": out_ids, "changed_at": changed}
        if kind == "board_relation":
            ids = raw.get("item_ids", []) if isinstance(raw, dict) else []
            return {"linkedPulseIds": [{"linkedPulseId": int(i)} for i in ids]}
        raise ColumnValueError(f"Column type {kind} cannot be changed through the API",
                               data={"column_id": col["id"]})

    def _apply_column_values(self, item: dict[str, Any], board: dict[str, Any], raw: Any,
                             create_labels: bool) -> dict[str, Any]:
        if raw is None:
            return {}
        if isinstance(raw, str):
            try:
                raw = orjson.loads(raw) if raw.strip() else {}
            except orjson.JSONDecodeError:
                raise gql.FieldError("Invalid column_values JSON", "ColumnValueException", 400) from None
        if not isinstance(raw, dict):
            raise gql.FieldError("column_values must be a JSON object", "ColumnValueException", 400)
        changes: dict[str, Any] = {}
        for col_id, value in raw.items():
            if col_id == "name":
                if not isinstance(value, str) or not value.strip():
                    raise gql.FieldError("Item name can't be empty", "InvalidArgumentException", 400)
                if len(value) > 255:
                    raise gql.FieldError("Item name is too long", "ItemNameTooLongException", 400)
                changes["__name__"] = value
                continue
            col = board["columns_by_id"].get(col_id)
            if col is None:
                raise gql.FieldError("This column ID doesn't exist for the board", "InvalidColumnIdException", 400,
                                     {"column_id": col_id, "board_id": int(board["id"])})
            try:
                changes[col_id] = self._parse_column_write(board, col, value, create_labels)
            except ColumnValueError as exc:
                raise gql.FieldError(exc.message, exc.code, 400, exc.data) from None
        return changes

    # -- GraphQL resolvers ------------------------------------------------------------------------
    def _obj(self, type_name: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": type_name, **data}

    def _item_obj(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "Item", "_item": item}

    def _board_obj(self, board: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "Board", "_board": board}

    def _user_obj(self, user: dict[str, Any]) -> dict[str, Any]:
        return self._obj("User", {**user, "enabled": True, "is_admin": user["id"] == _USERS[0][0], "title": None})

    def _ids(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [str(v) for v in value]

    def _limit(self, value: Any, default: int) -> int:
        if value is None:
            return default
        if not isinstance(value, int) or value < 1:
            raise gql.FieldError("limit must be a positive integer", "InvalidArgumentException", 400)
        return min(value, MAX_PAGE_LIMIT)

    def _resolve_query(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        if name == "boards":
            ids = self._ids(args.get("ids"))
            boards = [b for b in self.boards.values() if not ids or b["id"] in ids]
            limit = args.get("limit") or 25
            page = args.get("page") or 1
            return [self._board_obj(b) for b in boards[(page - 1) * limit: page * limit]]
        if name == "items":
            ids = self._ids(args.get("ids"))
            if len(ids) > MAX_ITEMS_IDS:
                raise gql.FieldError(f"You can query up to {MAX_ITEMS_IDS} items at a time",
                                     "ItemsLimitationException", 400)
            found = []
            for item_id in ids:
                item = self.records.get(item_id)
                # research §1.4: unknown ids are left out (empty array, no error). [unverified]
                if item is None:
                    continue
                if args.get("exclude_nonactive") and item["state"] != "active":
                    continue
                if all(i is not item for i in found):  # a repeated id is answered once
                    found.append(item)
            # QueryItemsArgs{limit, page, newest_first}: a page of the matching items, lowest id first
            # (newest first on request), 25 a page unless `limit` says otherwise (up to 100 ids a call).
            found.sort(key=lambda i: int(i["id"]), reverse=bool(args.get("newest_first")))
            limit = min(self._limit(args.get("limit"), ITEMS_DEFAULT_LIMIT), MAX_ITEMS_IDS)
            page = args.get("page") or 1
            if not isinstance(page, int) or page < 1:
                raise gql.FieldError("page must be a positive integer", "InvalidArgumentException", 400)
            return [self._item_obj(i) for i in found[(page - 1) * limit: page * limit]]
        if name == "next_items_page":
            return self._page_from_cursor(args.get("cursor"), args.get("limit"))
        if name == "complexity":
            return self._obj("Complexity", dict(self._complexity_info))
        if name == "version":
            return self._obj("Version", {"kind": "current" if self._version == CURRENT_API_VERSION else "maintenance",
                                         "value": self._version, "display_name": self._version})
        if name == "me":
            return self._user_obj(self.users[_USERS[0][0]])
        if name == "users":
            ids = self._ids(args.get("ids"))
            return [self._user_obj(u) for u in self.users.values() if not ids or u["id"] in ids]
        if name == "tags":
            ids = self._ids(args.get("ids"))
            return [self._obj("Tag", t) for t in self.tags.values() if not ids or t["id"] in ids]
        raise AssertionError(name)

    def _resolve_mutation(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        if name == "complexity":
            return self._obj("Complexity", dict(self._complexity_info))
        if name == "create_item":
            board = self.boards.get(str(args.get("board_id")))
            if board is None:
                raise gql.FieldError("Board not found", "ResourceNotFoundException", 404,
                                     {"board_id": args.get("board_id")})
            item_name = args.get("item_name")
            if not isinstance(item_name, str) or not item_name.strip():
                raise gql.FieldError("Item name can't be empty", "InvalidArgumentException", 400)
            if len(item_name) > 255:
                raise gql.FieldError("Item name is too long", "ItemNameTooLongException", 400)
            group_id = args.get("group_id") or board["groups"][0]["id"]
            if group_id not in {g["id"] for g in board["groups"]}:
                raise gql.FieldError("Group not found", "InvalidGroupIdException", 400, {"group_id": group_id})
            now = _now()
            item = {"id": "", "name": item_name, "board_id": board["id"], "group_id": group_id,
                    "state": "active", "created_at": now, "updated_at": now, "creator_id": _USERS[0][0],
                    "column_values": {}}
            changes = self._apply_column_values(item, board, args.get("column_values"),
                                                bool(args.get("create_labels_if_missing")))
            item["name"] = changes.pop("__name__", item_name)
            item["column_values"].update(changes)
            item["id"] = self._new_item_id()
            self.records[item["id"]] = item
            board["item_ids"].append(item["id"])
            return self._item_obj(item)
        if name in ("change_multiple_column_values", "change_column_value", "change_simple_column_value"):
            board = self.boards.get(str(args.get("board_id")))
            if board is None:
                raise gql.FieldError("Board not found", "ResourceNotFoundException", 404,
                                     {"board_id": args.get("board_id")})
            item = self._live_item(args.get("item_id"), board)
            if name == "change_simple_column_value":
                raw: Any = {str(args.get("column_id")): args.get("value")}
            elif name == "change_column_value":     # value: JSON! - the column's JSON value, encoded
                value = args.get("value")
                if isinstance(value, str):
                    try:
                        value = orjson.loads(value)
                    except orjson.JSONDecodeError:
                        raise gql.FieldError("Invalid value JSON", "ColumnValueException", 400,
                                             {"column_id": args.get("column_id")}) from None
                raw = {str(args.get("column_id")): value}
            else:
                raw = args.get("column_values")
                if raw is None:
                    raise gql.FieldError("column_values is required", "InvalidArgumentException", 400)
            changes = self._apply_column_values(item, board, raw, bool(args.get("create_labels_if_missing")))
            if "__name__" in changes:
                item["name"] = changes.pop("__name__")
            item["column_values"].update(changes)
            item["updated_at"] = _now()
            return self._item_obj(item)
        if name in ("delete_item", "archive_item"):
            item = self._live_item(args.get("item_id"), None)
            item["state"] = "deleted" if name == "delete_item" else "archived"
            item["updated_at"] = _now()
            board = self.boards[item["board_id"]]
            try:
                board["item_ids"].remove(item["id"])
            except ValueError:
                pass
            return self._item_obj(item)
        raise AssertionError(name)

    def _live_item(self, item_id: Any, board: dict[str, Any] | None) -> dict[str, Any]:
        item = self.records.get(str(item_id)) if item_id is not None else None
        if item is None or item["state"] != "active" or (board is not None and item["board_id"] != board["id"]):
            raise gql.FieldError("Item not found", ITEM_NOT_FOUND_CODE, ITEM_NOT_FOUND_STATUS,
                                 {"item_id": None if item_id is None else str(item_id)})
        return item

    def _resolve_board(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        board = parent["_board"]
        if name in ("id", "name", "state", "board_kind", "description", "workspace_id"):
            return board[name]
        if name == "url":
            return f"https://sandbox.monday.com/boards/{board['id']}"
        if name == "items_count":
            return len(board["item_ids"])
        if name == "updated_at":
            return _iso(_BASE_TIME)
        if name == "permissions":                  # everyone | collaborators | assignee | owners
            return "everyone"
        if name == "tags":                         # the tags used on the board's items
            used = {str(t) for i in board["item_ids"] for t in
                    (self.records[i]["column_values"].get("tags") or {}).get("tag_ids", [])}
            return [self._obj("Tag", t) for tid, t in self.tags.items() if tid in used]
        if name == "columns":
            ids = self._ids(args.get("ids"))
            types = args.get("types") or []
            return [self._obj("Column", {**{k: c[k] for k in ("id", "title", "type", "settings_str")},
                                         "description": None, "archived": False, "width": None})
                    for c in board["columns"] if (not ids or c["id"] in ids) and (not types or c["type"] in types)]
        if name == "groups":
            return [self._obj("Group", {**g, "position": str(i)}) for i, g in enumerate(board["groups"])]
        if name == "items_page":
            if args.get("cursor"):
                return self._page_from_cursor(args["cursor"], args.get("limit"))
            query = args.get("query_params") or {}
            return self._page(board, query, 0, self._limit(args.get("limit"), 25))
        raise AssertionError(name)

    def _matching_ids(self, board: dict[str, Any], query: dict[str, Any]) -> list[str]:
        ids = self._ids(query.get("ids"))
        rules = query.get("rules") or []
        if not ids and not rules:
            return board["item_ids"]
        candidates = [i for i in board["item_ids"] if not ids or i in set(ids)]
        if not rules:
            return candidates
        operator = (query.get("operator") or "and").lower()
        out = []
        for item_id in candidates:
            item = self.records[item_id]
            hits = [self._rule_matches(board, item, rule) for rule in rules]
            if (all(hits) if operator == "and" else any(hits)):
                out.append(item_id)
        return out

    def _rule_matches(self, board: dict[str, Any], item: dict[str, Any], rule: dict[str, Any]) -> bool:
        col_id = rule.get("column_id")
        if col_id == "name":
            text = item["name"]
        else:
            col = board["columns_by_id"].get(col_id)
            if col is None:
                raise gql.FieldError("This column ID doesn't exist for the board", "InvalidColumnIdException", 400,
                                     {"column_id": col_id})
            text = self._column_text(board, col, item["column_values"].get(col_id)) or ""
        compare = rule.get("compare_value")
        values = [str(v) for v in (compare if isinstance(compare, list) else [compare])]
        operator = rule.get("operator") or "any_of"
        if operator == "any_of":
            return text in values
        if operator == "not_any_of":
            return text not in values
        if operator == "contains_text":
            return any(v.lower() in text.lower() for v in values)
        if operator == "is_empty":
            return text == ""
        if operator == "is_not_empty":
            return text != ""
        raise gql.FieldError(f"Operator {operator} is not supported by this sandbox", "InvalidArgumentException", 400)

    def _page(self, board: dict[str, Any], query: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
        ids = self._matching_ids(board, query)
        chunk = ids[offset: offset + limit]
        cursor = None
        if offset + limit < len(ids):
            state = {"b": board["id"], "o": offset + limit, "q": query, "t": int(time.time())}
            cursor = base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")
        return {"__typename": "ItemsResponse", "cursor": cursor,
                "items": [self._item_obj(self.records[i]) for i in chunk]}

    def _page_from_cursor(self, cursor: Any, limit: Any) -> dict[str, Any]:
        try:
            padded = str(cursor) + "=" * (-len(str(cursor)) % 4)
            state = orjson.loads(base64.urlsafe_b64decode(padded))
            board = self.boards[state["b"]]
            offset = int(state["o"])
        except Exception:  # noqa: BLE001 - any undecodable cursor is the caller's error
            raise gql.FieldError("Invalid cursor", "InvalidArgumentException", 400, {"cursor": cursor}) from None
        if time.time() - state.get("t", 0) > CURSOR_TTL_SECONDS:
            raise gql.FieldError("Cursor has expired", "CursorExpiredError", 400, {"cursor": cursor})
        return self._page(board, state.get("q") or {}, offset, self._limit(limit, 25))

    def _resolve_items_response(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        return parent[name]

    def _resolve_item(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        item = parent["_item"]
        board = self.boards[item["board_id"]]
        if name in ("id", "name", "state", "created_at", "updated_at", "creator_id"):
            return item[name]
        if name == "url":
            return f"https://sandbox.monday.com/boards/{board['id']}/pulses/{item['id']}"
        if name == "relative_link":
            return f"/boards/{board['id']}/pulses/{item['id']}"
        if name == "email":
            return f"pulse-{item['id']}@sandbox.monday.com"
        if name == "board":
            return self._board_obj(board)
        if name == "group":
            group = next(g for g in board["groups"] if g["id"] == item["group_id"])
            return self._obj("Group", {**group, "position": "0"})
        if name == "creator":
            return self._user_obj(self.users[item["creator_id"]])
        if name == "subitems":
            return []
        if name == "parent_item":                   # only subitems have a parent; these are top-level items
            return None
        if name == "column_values":
            ids = self._ids(args.get("ids"))
            types = args.get("types") or []
            return [self._value_obj(item, col) for col in board["columns"]
                    if col["type"] != "name" and (not ids or col["id"] in ids) and (not types or col["type"] in types)]
        raise AssertionError(name)

    def _plain(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        return parent.get(name)

    # -- complexity -------------------------------------------------------------------------------
    def _cost(self, selections: list[Any], variables: dict[str, Any], mutation: bool) -> int:
        """monday-like complexity: each field costs 1, list fields multiply their children by their limit."""
        total = 0
        for sel in selections:
            if isinstance(sel, gql.InlineFragment):
                total += self._cost(sel.selections, variables, False)
                continue
            args = {k: gql.resolve_value(v, variables) for k, v in sel.arguments.items()}
            child = self._cost(sel.selections, variables, False) if sel.selections else 0
            if mutation and sel.name in ("create_item", "change_multiple_column_values", "change_column_value",
                                         "change_simple_column_value"):
                total += 10_000 + child                # development-best-practices: ~10k per create_item
            elif sel.name in ("boards", "users", "tags"):
                total += 10 + (len(self._ids(args.get("ids"))) or args.get("limit") or 25) * max(child, 1)
            elif sel.name == "column_values":
                total += 10 * max(child, 1)                # one value per column, ~10 columns a board
            elif sel.name in ("items_page", "next_items_page"):
                total += 10 + (args.get("limit") or 25) * max(child, 1)
            elif sel.name == "items":
                total += 10 + max(len(self._ids(args.get("ids"))), 1) * max(child, 1)
            else:
                total += 1 + child
        return total

    # -- HTTP --------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [Route("/v2", self.graphql, methods=["POST"])]

    def _rate_headers(self) -> dict[str, str]:
        elapsed = time.monotonic() - self.budget_window_start
        if elapsed >= 60:
            self.budget_used = 0
            self.budget_window_start = time.monotonic()
            elapsed = 0
        remaining = max(COMPLEXITY_BUDGET_PER_MINUTE - self.budget_used, 0)
        reset = max(int(60 - elapsed), 0)
        return {
            RATE_LIMIT_POLICY_HEADER: f'"complexity";q={COMPLEXITY_BUDGET_PER_MINUTE};w=60',
            RATE_LIMIT_HEADER: f'"complexity";r={remaining};t={reset}',
        }

    def _error_response(self, message: str, code: str, status_code: int, http_status: int,
                        legacy: bool, data: Any = None, error_data: dict[str, Any] | None = None,
                        extra_headers: dict[str, str] | None = None) -> Response:
        headers = {**self._rate_headers(), **(extra_headers or {})}
        if legacy:
            body: dict[str, Any] = {"error_code": code, "status_code": status_code, "error_message": message,
                                    "error_data": error_data or {}}
        else:
            body = {"errors": [{"message": message, "locations": [], "path": [],
                                "extensions": {"code": code, "status_code": status_code,
                                               "error_data": error_data or {}, "request_id": self._request_id()}}]}
            if data is not None:
                body["data"] = data
        body["account_id"] = ACCOUNT_ID
        return json_response(body, http_status, headers)

    def _request_id(self) -> str:
        self._request_counter = getattr(self, "_request_counter", 0) + 1
        return f"sandbox-{self._request_counter:08d}"

    async def graphql(self, request: Request) -> Response:
        # Auth: raw token (official SDK) or "Bearer <token>" (research §1.2).
        header = request.headers.get("authorization", "").strip()
        token = header[7:].strip() if header[:7].lower() == "bearer " else header
        if token != SANDBOX_TOKEN and not self.issued_access_token(token):
            return json_response(UNAUTHENTICATED_BODY, 401, self._rate_headers())

        version_header = request.headers.get("api-version")
        if version_header is None:
            if REQUIRE_API_VERSION:
                return self._error_response("API-Version header is required", "API_VERSION_REQUIRED", 400, 400,
                                            False)
            version = CURRENT_API_VERSION
        elif version_header.strip().lower() == "current":
            version = CURRENT_API_VERSION
        else:
            version = version_header.strip()
            if not _VERSION_RE.match(version) or version not in SUPPORTED_API_VERSIONS:
                return self._error_response(
                    f"Invalid API version '{version}'. Supported versions: {', '.join(SUPPORTED_API_VERSIONS)}",
                    "InvalidVersionException", 400, 400, False, error_data={"version": version})
        self._version = version
        legacy = version < UNIFIED_ERRORS_SINCE

        raw = await request.body()
        try:
            payload = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            payload = None
        query = payload.get("query") if isinstance(payload, dict) else None
        if not isinstance(query, str) or not query.strip():
            return self._error_response("No query string was present", "NO_QUERY_STRING", 400, 400, legacy)
        variables = payload.get("variables") or {}
        if isinstance(variables, str):
            try:
                variables = orjson.loads(variables) if variables.strip() else {}
            except orjson.JSONDecodeError:
                variables = None
        if not isinstance(variables, dict):
            return self._error_response("variables must be a JSON object", "INVALID_VARIABLES", 400, 400, legacy)

        try:
            operations = gql.parse(query)
        except gql.GraphQLSyntaxError as exc:
            body = {"errors": [{"message": str(exc), "locations": [{"line": exc.line, "column": exc.column}],
                                "extensions": {"code": "PARSING_ERROR", "status_code": PARSE_ERROR_STATUS}}],
                    "account_id": ACCOUNT_ID}
            return json_response(body, LEGACY_PARSE_ERROR_STATUS if legacy else PARSE_ERROR_STATUS,
                                 self._rate_headers())
        wanted = payload.get("operationName")
        if wanted:
            chosen = [op for op in operations if op.name == wanted]
        else:
            chosen = operations if len(operations) == 1 else []
        if len(chosen) != 1:
            message = (f'No operation named "{wanted}"' if wanted
                       else "An operation name is required when the document has several operations")
            return json_response({"errors": [{"message": message, "extensions": {"code": "OPERATION_NAME"}}],
                                  "account_id": ACCOUNT_ID}, 200, self._rate_headers())
        operation = chosen[0]

        # Variables: required ones must be given; defaults apply.
        resolved: dict[str, Any] = {}
        problems = []
        for var, (type_text, default) in operation.variables.items():
            if var in variables and variables[var] is not None:
                resolved[var] = variables[var]
            elif default is not None:
                resolved[var] = gql.resolve_value(default, {})
            elif type_text.endswith("!"):
                problems.append({"message": f"Variable ${var} of type {type_text} was provided invalid value",
                                 "locations": [], "extensions": {"code": "variableMismatch", "value": None,
                                                                 "problems": [{"path": [], "explanation":
                                                                               "Expected value to not be null"}]}})
            else:
                resolved[var] = None

        root_type = "Mutation" if operation.kind == "mutation" else "Query"
        executor = gql.Executor(
            resolvers={"Query": self._resolve_query, "Mutation": self._resolve_mutation, "Board": self._resolve_board,
                       "Item": self._resolve_item, "ItemsResponse": self._resolve_items_response,
                       "Column": self._plain, "Group": self._plain, "ColumnValue": self._plain,
                       "Complexity": self._plain, "Version": self._plain, "User": self._plain, "Tag": self._plain,
                       **{t: self._resolve_column_value for t in _VALUE_TYPES.values()}},
            fields={t: set(f) for t, f in _FIELDS.items()},
            possible_types=_POSSIBLE_TYPES,
        )
        problems += executor.validate(operation.selections, root_type, resolved,
                                      lambda t, f: _FIELDS.get(t, {}).get(f))
        if problems:
            return json_response({"errors": problems, "account_id": ACCOUNT_ID}, 200, self._rate_headers())

        # Complexity: single-query cap, then the per-minute budget.
        cost = self._cost(operation.selections, resolved, operation.kind == "mutation")
        headers = self._rate_headers()
        if cost > MAX_QUERY_COMPLEXITY:
            return self._error_response(
                f"Query has complexity of {cost}, which exceeds max complexity of {MAX_QUERY_COMPLEXITY}",
                "ComplexityException", 429, 200, legacy, error_data={"complexity": cost,
                                                                     "max_complexity": MAX_QUERY_COMPLEXITY})
        before = COMPLEXITY_BUDGET_PER_MINUTE - self.budget_used
        reset_in = max(int(60 - (time.monotonic() - self.budget_window_start)), 1)
        if cost > before:
            message = (f"Complexity budget exhausted, query cost {cost} budget remaining {before} out of "
                       f"{COMPLEXITY_BUDGET_PER_MINUTE} reset in {reset_in} seconds")
            if legacy:
                return self._error_response(message, "ComplexityException", 429, 200, True,
                                            error_data={"reset_in_x_seconds": reset_in})
            return self._error_response(message, "COMPLEXITY_BUDGET_EXHAUSTED", 429, 429, False,
                                        error_data={"retry_in_seconds": reset_in},
                                        extra_headers={"Retry-After": str(reset_in)})
        self.budget_used += cost
        self._complexity_info = {"before": before, "after": before - cost, "query": cost,
                                 "reset_in_x_seconds": reset_in}

        data = executor.execute(operation.selections, {"__typename": root_type}, root_type, resolved, [])
        headers = self._rate_headers()
        if executor.errors:
            if legacy:
                first = executor.errors[0]
                ext = first["extensions"]
                return json_response({"error_code": ext["code"], "status_code": ext.get("status_code", 200),
                                      "error_message": first["message"], "error_data": ext.get("error_data", {}),
                                      "account_id": ACCOUNT_ID}, 200, headers)
            for err in executor.errors:
                err["extensions"]["request_id"] = self._request_id()
            return json_response({"errors": executor.errors, "data": data, "account_id": ACCOUNT_ID}, 200, headers)
        return json_response({"data": data, "account_id": ACCOUNT_ID}, 200, headers)


EMULATOR = MondayEmulator
