"""The GraphQL endpoint `POST /v2` (https://api.monday.com/v2): authentication, the `API-Version`
header, parsing and validating the operation, complexity limits, root fields, and monday's error bodies.

- `Authorization: <token>` (raw, as the official SDK sends it) or `Bearer <token>`
  (https://developer.monday.com/api-reference/docs/authentication), with `SANDBOX_TOKEN` or an access
  token the OAuth server issued and that has not expired;
- `API-Version: YYYY-MM` header; missing -> the current version; a deprecated one is routed to the
  version monday routes it to (https://developer.monday.com/api-reference/docs/api-versioning; common.py);
- application errors with HTTP 200 and `errors[]` (the one format since 2025-01: every older version is
  routed to 2025-04 now); transport errors with real statuses
  (https://developer.monday.com/api-reference/docs/error-handling);
- complexity: a single-query cap and a per-minute budget, reported in `RateLimit-Policy`/`RateLimit`
  headers (https://developer.monday.com/api-reference/docs/rate-limits).

GraphQL subset: see `unigate.sandbox.monday.graphql` (operations, variables, aliases, inline fragments,
@include/@skip; no named fragments). Root fields served: `boards`, `items`, `next_items_page`,
`complexity`, `version`, `me`, `users`, `tags`, `updates` (updates.py), `custom_activity` (activities.py); the
mutations are in items.py.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import json_response, loads_json
from unigate.sandbox.monday import graphql as gql
from unigate.sandbox.monday.common import (
    ACCOUNT_ID, COMPLEXITY_BUDGET_PER_MINUTE, CURRENT_API_VERSION, ITEMS_DEFAULT_LIMIT, RELEASE_CANDIDATE_API_VERSION,
    ROUTED_API_VERSIONS, USER_FIELDS_REMOVED, USER_FIELDS_REMOVED_SINCE,
    MAX_ITEMS_IDS, MAX_PAGE_LIMIT, MAX_QUERY_COMPLEXITY, PARSE_ERROR_STATUS, RATE_LIMIT_HEADER,
    RATE_LIMIT_POLICY_HEADER, SANDBOX_TOKEN, SUPPORTED_API_VERSIONS, UNAUTHENTICATED_BODY,
    USERS, USERS_DEFAULT_LIMIT, USERS_MAX_LIMIT, VERSION_RE,
)
from unigate.sandbox.monday.schema import FIELDS, POSSIBLE_TYPES, VALUE_TYPES, arguments


class GraphQLEndpoint:
    """`POST /v2` and the root `Query` fields (mixed into the emulator; `self` is the emulator)."""

    def error_in_200(self) -> Response:
        """monday's GraphQL error inside an HTTP 200 (https://developer.monday.com/api-reference/docs/error-handling):
        a query over the single-query complexity cap, as this emulator answers it for real
        (`ComplexityException`, `extensions.status_code` 429, HTTP 200)."""
        cost = MAX_QUERY_COMPLEXITY + 1
        return self._error_response(
            f"Query has complexity of {cost}, which exceeds max complexity of {MAX_QUERY_COMPLEXITY}",
            "ComplexityException", 429, 200,
            error_data={"complexity": cost, "max_complexity": MAX_QUERY_COMPLEXITY})

    @staticmethod
    def _fields_of_version(version: str) -> dict[str, set[str]]:
        """Each type's fields as `version` has them (2026-10 removes User fields; common.py)."""
        fields = {t: set(f) for t, f in FIELDS.items()}
        if version >= USER_FIELDS_REMOVED_SINCE:
            fields["User"] -= USER_FIELDS_REMOVED
        return fields

    def _obj(self, type_name: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": type_name, **data}

    def _user_obj(self, user: dict[str, Any]) -> dict[str, Any]:
        return self._obj("User", {**user, "is_admin": user["id"] == USERS[0][0], "title": None,
                                  "is_guest": False, "is_pending": False})

    def _ids(self, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [str(v) for v in value]

    def _limit(self, value: Any, default: int, *, maximum: int | None = None) -> int:
        """A page size; above `maximum` (items_page/next_items_page take at most 500,
        https://developer.monday.com/api-reference/docs/querying-board-items) refused or capped as the
        `page_limit_over_max` switch says (what monday does is not documented [unverified]), else capped
        at 500."""
        if value is None:
            return default
        if not isinstance(value, int) or value < 1:
            raise gql.FieldError("limit must be a positive integer", "InvalidArgumentException", 400)
        if maximum is not None and value > maximum and self.switch["page_limit_over_max"] == "refuse":
            raise gql.FieldError(f"limit must be at most {maximum}", "InvalidArgumentException", 400,
                                 {"limit": value})
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
                item = self.items.records.get(item_id)
                # unknown ids are left out (empty array, no error; reference/items). [unverified]
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
            kinds = {CURRENT_API_VERSION: "current", RELEASE_CANDIDATE_API_VERSION: "release_candidate"}
            return self._obj("Version", {"kind": kinds.get(self._version, "maintenance"),
                                         "value": self._version, "display_name": self._version})
        if name == "me":
            return self._user_obj(self.users[USERS[0][0]])
        if name == "users":
            return [self._user_obj(u) for u in self._users_page(args)]
        if name == "tags":
            ids = self._ids(args.get("ids"))
            return [self._obj("Tag", t) for t in self.tags.values() if not ids or t["id"] in ids]
        if name == "updates":
            return self.resource("notes").page(args)
        if name == "custom_activity":
            return self.resource("engagement_types").query(args)
        raise AssertionError(name)

    def _plain(self, parent: Any, name: str, args: dict[str, Any]) -> Any:
        return parent.get(name)

    def _users_page(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """`users(ids, emails, name, kind, non_active, newest_first, limit, page)`
        (https://developer.monday.com/api-reference/reference/users): `emails` exact (case-insensitive); `name` a
        fuzzy match (here: case-insensitive substring) unless combined with `kind` or `emails`, then the exact
        name (monday's SDL description of `name`); `kind` all | non_guests | guests | non_pending (every sandbox
        member is a non-pending member); `non_active: true` only deactivated members; oldest
        member first (`newest_first` reverses); pages of `limit` (default 200, at most 1000) numbered from 1."""
        ids = self._ids(args.get("ids"))
        emails = {str(e).lower() for e in (args.get("emails") or [])}
        name = args.get("name")
        exact = args.get("kind") is not None or bool(emails)
        users = [u for u in self.users.values()
                 if (not ids or u["id"] in ids) and (not emails or u["email"].lower() in emails)
                 and (not name or (str(name).lower() == u["name"].lower() if exact
                                   else str(name).lower() in u["name"].lower()))
                 and args.get("kind") != "guests"
                 and (not args.get("non_active") or not u["enabled"])]
        users.sort(key=lambda u: (u["created_at"], u["id"]), reverse=bool(args.get("newest_first")))
        limit = args.get("limit")
        if limit is None:
            limit = USERS_DEFAULT_LIMIT
        if not isinstance(limit, int) or not 1 <= limit <= USERS_MAX_LIMIT:
            raise gql.FieldError(f"limit must be between 1 and {USERS_MAX_LIMIT}", "InvalidArgumentException", 400,
                                 {"limit": limit})
        page = args.get("page") or 1
        if not isinstance(page, int) or page < 1:
            raise gql.FieldError("page must be a positive integer", "InvalidArgumentException", 400)
        return users[(page - 1) * limit: page * limit]

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
                        data: Any = None, error_data: dict[str, Any] | None = None,
                        extra_headers: dict[str, str] | None = None) -> Response:
        headers = {**self._rate_headers(), **(extra_headers or {})}
        body: dict[str, Any] = {"errors": [{"message": message, "locations": [], "path": [],
                                            "extensions": {"code": code, "status_code": status_code,
                                                           "error_data": error_data or {},
                                                           "request_id": self._request_id()}}]}
        if data is not None:
            body["data"] = data
        body["account_id"] = ACCOUNT_ID
        return json_response(body, http_status, headers)

    def _request_id(self) -> str:
        self._request_counter = getattr(self, "_request_counter", 0) + 1
        return f"sandbox-{self._request_counter:08d}"

    async def graphql(self, request: Request) -> Response:
        # Auth: raw token (official SDK) or "Bearer <token>" (api-reference/docs/authentication).
        header = request.headers.get("authorization", "").strip()
        token = header[7:].strip() if header[:7].lower() == "bearer " else header
        if token != SANDBOX_TOKEN and not self.issued_access_token(token):
            return json_response(UNAUTHENTICATED_BODY, 401, self._rate_headers())

        version_header = request.headers.get("api-version")
        if version_header is None:
            if self.switch["api_version_header"] == "required":
                return self._error_response("API-Version header is required", "API_VERSION_REQUIRED", 400, 400)
            version = CURRENT_API_VERSION
        elif version_header.strip().lower() == "current":
            version = CURRENT_API_VERSION
        else:
            version = ROUTED_API_VERSIONS.get(version_header.strip(), version_header.strip())
            if not VERSION_RE.match(version) or version not in SUPPORTED_API_VERSIONS:
                return self._error_response(
                    f"Invalid API version '{version}'. Supported versions: {', '.join(SUPPORTED_API_VERSIONS)}",
                    "InvalidVersionException", 400, 400, error_data={"version": version})
        self._version = version

        raw = await request.body()
        try:
            payload = loads_json(raw) if raw else None
        except orjson.JSONDecodeError:
            payload = None
        query = payload.get("query") if isinstance(payload, dict) else None
        if not isinstance(query, str) or not query.strip():
            return self._error_response("No query string was present", "NO_QUERY_STRING", 400, 400)
        variables = payload.get("variables") or {}
        if isinstance(variables, str):
            try:
                variables = loads_json(variables) if variables.strip() else {}
            except orjson.JSONDecodeError:
                variables = None
        if not isinstance(variables, dict):
            return self._error_response("variables must be a JSON object", "INVALID_VARIABLES", 400, 400)

        try:
            operations = gql.parse(query)
        except gql.GraphQLSyntaxError as exc:
            body = {"errors": [{"message": str(exc), "locations": [{"line": exc.line, "column": exc.column}],
                                "extensions": {"code": "PARSING_ERROR", "status_code": PARSE_ERROR_STATUS}}],
                    "account_id": ACCOUNT_ID}
            return json_response(body, PARSE_ERROR_STATUS, self._rate_headers())
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
                       "Update": self.resource("notes").resolve, "CustomActivity": self._plain,
                       "Column": self._plain, "Group": self._plain, "ColumnValue": self._plain,
                       "Complexity": self._plain, "Version": self._plain, "User": self._plain, "Tag": self._plain,
                       **{t: self._resolve_column_value for t in VALUE_TYPES.values()}},
            fields=self._fields_of_version(version),
            possible_types=POSSIBLE_TYPES,
        )
        problems += executor.validate(operation.selections, root_type, resolved,
                                      lambda t, f: FIELDS.get(t, {}).get(f), arguments)
        if problems:
            return json_response({"errors": problems, "account_id": ACCOUNT_ID}, 200, self._rate_headers())

        # Complexity: single-query cap, then the per-minute budget.
        cost = self._cost(operation.selections, resolved, operation.kind == "mutation")
        headers = self._rate_headers()
        if cost > MAX_QUERY_COMPLEXITY:
            return self._error_response(
                f"Query has complexity of {cost}, which exceeds max complexity of {MAX_QUERY_COMPLEXITY}",
                "ComplexityException", 429, 200, error_data={"complexity": cost,
                                                             "max_complexity": MAX_QUERY_COMPLEXITY})
        before = COMPLEXITY_BUDGET_PER_MINUTE - self.budget_used
        reset_in = max(int(60 - (time.monotonic() - self.budget_window_start)), 1)
        if cost > before:
            message = (f"Complexity budget exhausted, query cost {cost} budget remaining {before} out of "
                       f"{COMPLEXITY_BUDGET_PER_MINUTE} reset in {reset_in} seconds")
            return self._error_response(message, "COMPLEXITY_BUDGET_EXHAUSTED", 429, 429,
                                        error_data={"retry_in_seconds": reset_in},
                                        extra_headers={"Retry-After": str(reset_in)})
        self.budget_used += cost
        self._complexity_info = {"before": before, "after": before - cost, "query": cost,
                                 "reset_in_x_seconds": reset_in}

        data = executor.execute(operation.selections, {"__typename": root_type}, root_type, resolved, [])
        headers = self._rate_headers()
        if executor.errors:
            for err in executor.errors:
                err["extensions"]["request_id"] = self._request_id()
            return json_response({"errors": executor.errors, "data": data, "account_id": ACCOUNT_ID}, 200, headers)
        return json_response({"data": data, "account_id": ACCOUNT_ID}, 200, headers)


