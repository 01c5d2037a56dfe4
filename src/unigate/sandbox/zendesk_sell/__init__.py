"""Zendesk Sell emulator (formerly Base CRM): the REST API v2; the emulator's root stands for
`https://api.getbase.com`.

One module per resource, listed in `resources` in seeding order: `accounts.py` owns Sell's `/v2/contacts`
collection, which holds organisations and persons, and seeds the organisations; `contacts.py` seeds the
persons into it; `pipelines.py` and `stages.py` (read-only) and `deals.py` (the `opportunities`, each with a
primary contact, in a stage) follow, then `people.py` (users, leads and custom field definitions), then `notes.py`, `tasks.py` and `calls.py` (with call outcomes), each
on one seeded organisation, person, deal or lead (what they share: `activity.py`); `search.py` is the v3 Search
API over the stored contacts, deals and leads. Assembled here with what
every request goes through:
- `Authorization: Bearer <token>` (`SANDBOX_TOKEN` or an unexpired access token the OAuth server
  issued); 401 `unauthorized` in the errors envelope otherwise
  (https://developer.zendesk.com/api-reference/sales-crm/authentication/).
- OAuth 2: authorize `GET /oauth2/authorize`, token `POST /oauth2/token`; see oauth.py.
- A `User-Agent` header is required (the official client `basecrm`, `http_client.py`: missing → 400).
- Errors in Sell's envelope (https://developer.zendesk.com/api-reference/sales-crm/errors/); every answer
  carries `X-Request-Id` (echoed as `meta.logref` in errors) and rate-limit headers.
Sources (notes, tasks, calls): https://developer.zendesk.com/api-reference/sales-crm/resources/notes/,
https://developer.zendesk.com/api-reference/sales-crm/resources/tasks/,
https://developers.futuresimple.com/docs/rest/reference/calls and basecrm-ruby's services and models
(https://github.com/zendesk/basecrm-ruby).
Behaviours the sources leave open are switches (`switches`, from accounts.py), set through
`POST /__control/zendesk_sell/switches`.
"""

from __future__ import annotations

import itertools
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, bearer_token, json_response
from unigate.sandbox.zendesk_sell.accounts import CREATE_STATUS, DEFAULT_PER_PAGE, MAX_PER_PAGE, SWITCHES, Accounts
from unigate.sandbox.zendesk_sell.calls import CALL_PHONE_NUMBER_REQUIRED, CALL_UPDATE, Calls
from unigate.sandbox.zendesk_sell.common import (
    HTTP_REASONS, ID_BASE, MISSING_USER_AGENT_CODE, MISSING_USER_AGENT_STATUS, MORE_INFO, RATE_LIMIT,
    RATE_LIMIT_HEADERS, SANDBOX_TOKEN, TOKEN_USER, USERS,
)
from unigate.sandbox.zendesk_sell.contacts import Contacts
from unigate.sandbox.zendesk_sell.deals import Deals
from unigate.sandbox.zendesk_sell.notes import NOTE_PARENT_REQUIRED, Notes
from unigate.sandbox.zendesk_sell.oauth import (
    OAUTH_AUTHORIZE_PATH, OAUTH_PROFILE, OAUTH_ROTATES_REFRESH_TOKEN, OAUTH_TOKEN_PATH,
)
from unigate.sandbox.zendesk_sell.people import CustomFields, Leads, Users
from unigate.sandbox.zendesk_sell.pipelines import Pipelines
from unigate.sandbox.zendesk_sell.search import SEARCH_BOOLEAN_VALUE, Search
from unigate.sandbox.zendesk_sell.stages import Stages
from unigate.sandbox.zendesk_sell.tasks import Tasks

__all__ = [
    "CREATE_STATUS", "DEFAULT_PER_PAGE", "EMULATOR", "MAX_PER_PAGE", "MISSING_USER_AGENT_CODE",
    "MISSING_USER_AGENT_STATUS", "OAUTH_AUTHORIZE_PATH", "OAUTH_PROFILE", "OAUTH_TOKEN_PATH", "SANDBOX_TOKEN",
    "TOKEN_USER", "USERS", "ZendeskSellEmulator",
]


class ZendeskSellEmulator(Emulator):
    name = "zendesk_sell"
    oauth_profile = OAUTH_PROFILE
    resources = (Accounts, Contacts, Pipelines, Stages, Deals, Users, Leads, CustomFields, Notes, Tasks, Calls, Search)
    # oauth.py: whether a refresh rotates the refresh token is unverified
    # common.py: whether Sell refuses a request without User-Agent is unverified
    # notes.py, calls.py: whether a note needs its record, a call its phone number, and what a call update changes
    # search.py: whether the Search API takes a boolean equality written as a string
    switches = {**SWITCHES, "refresh_token_rotation": (OAUTH_ROTATES_REFRESH_TOKEN, not OAUTH_ROTATES_REFRESH_TOKEN),
                "user_agent_required": (True, False), "note_parent_required": NOTE_PARENT_REQUIRED,
                "call_update": CALL_UPDATE, "call_phone_number_required": CALL_PHONE_NUMBER_REQUIRED,
                "search_boolean_value": SEARCH_BOOLEAN_VALUE}

    def reset_state(self) -> None:
        """Ids (one sequence for every contact), request ids, the rate-limit budget; refresh-token rotation
        by the switch."""
        self.ids = itertools.count(ID_BASE)
        self.request_ids = itertools.count(1)
        self.rate_remaining = RATE_LIMIT
        assert self.oauth is not None
        self.oauth.rotation = lambda: bool(self.switch["refresh_token_rotation"])

    # -- HTTP plumbing ------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return super().routes() + [
            # last: any other path is Sell's 404 `incorrect_path`
            Route("/{rest:path}", self.incorrect_path, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    def _headers(self, request: Request) -> dict[str, str]:
        request_id = getattr(request.state, "request_id", None) or self._request_id(request)
        self.rate_remaining = max(0, self.rate_remaining - 1)
        headers = {"X-Request-Id": request_id, "Content-Language": "en"}
        if self.switch["rate_limit_headers"]:   # undocumented by Sell (common.py): switch `rate_limit_headers`
            headers.update({RATE_LIMIT_HEADERS[0]: str(RATE_LIMIT), RATE_LIMIT_HEADERS[1]: str(self.rate_remaining),
                            RATE_LIMIT_HEADERS[2]: "3600"})
        return headers

    def _request_id(self, request: Request) -> str:
        value = f"00000000-0000-4000-8000-{next(self.request_ids):012d}"
        request.state.request_id = value
        return value

    def ok(self, request: Request, body: Any, status: int = 200) -> Response:
        return json_response(body, status, headers=self._headers(request),
                             media_type="application/json; charset=utf-8")

    def error(self, request: Request, status: int, code: str, message: str, details: str | None = None,
              field: str | None = None, resource: str | None = None) -> Response:
        return self.errors(request, status, [{"resource": resource, "field": field, "code": code,
                                              "message": message, "details": details}])

    def errors(self, request: Request, status: int, errors: list[dict[str, Any]]) -> Response:
        """Sell's errors envelope (developer.zendesk.com/api-reference/sales-crm/errors)."""
        request_id = self._request_id(request)
        body = {
            "errors": [{"error": e, "meta": {"type": "error", "links": {"more_info": MORE_INFO}}} for e in errors],
            "meta": {"type": "errors", "http_status": f"{status} {HTTP_REASONS.get(status, '')}".strip(),
                     "logref": request_id, "links": {"more_info": MORE_INFO}},
        }
        return json_response(body, status, headers=self._headers(request),
                             media_type="application/json; charset=utf-8")

    def check(self, request: Request) -> Response | None:
        """Request checks every Sell call passes through: User-Agent, Accept, bearer token."""
        if self.switch["user_agent_required"] and not request.headers.get("user-agent", "").strip():
            return self.error(request, MISSING_USER_AGENT_STATUS, MISSING_USER_AGENT_CODE,
                              "User-Agent header is missing", "Set a User-Agent header that identifies "
                              "your application.")
        accept = request.headers.get("accept", "*/*")
        if not any(part.split(";")[0].strip() in ("*/*", "application/*", "application/json")
                   for part in accept.split(",")):
            return self.error(request, 406, "not_acceptable", "The requested format is not supported",
                              "Only application/json is supported.")
        token = bearer_token(request)
        if token != SANDBOX_TOKEN and not self.issued_access_token(token):
            return self.error(request, 401, "unauthorized", "request is unauthorized",
                              "Required access token is missing, malformed, expired, or invalid.")
        return None

    async def incorrect_path(self, request: Request) -> Response:
        denied = self.check(request)
        if denied:
            return denied
        return self.error(request, 404, "incorrect_path", "Requested path was not found.")


EMULATOR = ZendeskSellEmulator
