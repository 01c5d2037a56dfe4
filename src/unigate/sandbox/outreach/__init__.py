"""Outreach emulator: the JSON:API v2 REST API (https://api.outreach.io/api/v2).

One module per resource (`users.py`, `accounts.py`, `contacts.py` for prospects, `stages.py` for opportunity
stages, `opportunities.py`, `tasks.py`, `calls.py` (the engagements), `notes.py` (prospect notes): each a
`jsonapi.JsonApiResource` listed in `resources`, in seeding order; `types.py`, the custom field definitions of
`GET /api/v2/types`),
assembled here with what every request goes through (`_guard`):
- `Authorization: Bearer <token>` (`SANDBOX_TOKEN` or an unexpired access token the OAuth server
  issued); a missing, unknown or expired token gets 401 with a JSON:API `errors[]` body
  (https://developers.outreach.io/api/oauth/).
- OAuth 2: authorize `GET /oauth/authorize`, token `POST /oauth/token`; see oauth.py.
- Every request must send `Content-Type: application/vnd.api+json`, otherwise 415
  `unsupportedMediaType` (documented body, including its plural `details` key; switch `media_type`).
  Answers are `application/vnd.api+json` (https://developers.outreach.io/api/making-requests/).
- `X-RateLimit-Limit/-Remaining/-Reset` (epoch seconds) on every answer; 10,000 requests per hour per
  token, then 429 `rateLimitExceeded` (https://developers.outreach.io/api/rate-limiting/).
Where the vendor's sources leave a behaviour open it is a switch (`common.SWITCHES`, set through
`POST /__control/outreach/switches`), with its source beside it.

Sources: https://developers.outreach.io/api/making-requests/, https://developers.outreach.io/api/oauth/,
https://developers.outreach.io/api/rate-limiting/, https://developers.outreach.io/api/reference/tag/Account/,
https://developers.outreach.io/api/reference/tag/Prospect/, https://developers.outreach.io/api/reference/tag/Task/,
https://developers.outreach.io/api/reference/tag/Call/, https://developers.outreach.io/api/reference/tag/Prospect-Note/,
the official OpenAPI
(https://api.outreach.io/api/v2/schema/openapi.json) and https://support.outreach.io/hc/en-us/articles/36113453817243
(unnamed accounts).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, bearer_token, loads_json
from unigate.sandbox.outreach.accounts import ATTRIBUTE_TYPES, CUSTOM_KEYS, Accounts
from unigate.sandbox.outreach.calls import CALL_UPDATE, Calls
from unigate.sandbox.outreach.contacts import Contacts
from unigate.sandbox.outreach.notes import Notes
from unigate.sandbox.outreach.opportunities import Opportunities
from unigate.sandbox.outreach.stages import Stages
from unigate.sandbox.outreach.tasks import Tasks
from unigate.sandbox.outreach.types import Types
from unigate.sandbox.outreach.users import EMAIL_UPDATE, Users
from unigate.sandbox.outreach.common import (
    DEFAULT_PAGE_SIZE, ID_MISMATCH_STATUS, MAX_PAGE_SIZE, MEDIA_TYPE, RATE_LIMIT, RATE_WINDOW_SECONDS,
    ROUTE_NOT_FOUND_ERROR, SANDBOX_TOKEN, SANDBOX_USER_IDS, SWITCHES, UNAUTHORIZED_ERROR, UNAUTHORIZED_TEXT,
    UNSUPPORTED_MEDIA_TYPE_ERROR, bad_request, error_document,
)
from unigate.sandbox.outreach.oauth import (
    OAUTH_AUTHORIZE_PATH, OAUTH_PROFILE, OAUTH_ROTATES_REFRESH_TOKEN, OAUTH_TOKEN_PATH,
)

__all__ = [
    "ATTRIBUTE_TYPES", "CUSTOM_KEYS", "DEFAULT_PAGE_SIZE", "EMULATOR", "ID_MISMATCH_STATUS", "MAX_PAGE_SIZE",
    "MEDIA_TYPE", "OAUTH_AUTHORIZE_PATH", "OAUTH_PROFILE", "OAUTH_TOKEN_PATH", "SANDBOX_TOKEN", "SANDBOX_USER_IDS",
    "SWITCHES", "UNAUTHORIZED_ERROR", "UNAUTHORIZED_TEXT", "OutreachEmulator",
]


class OutreachEmulator(Emulator):
    name = "outreach"
    oauth_profile = OAUTH_PROFILE
    # users first: every other seed names them as owners
    resources = (Users, Accounts, Contacts, Stages, Opportunities, Tasks, Calls, Notes, Types)
    # oauth.py: whether a refresh rotates the refresh token is unverified; calls.py: whether calls take a PATCH;
    # users.py: whether a user's email in a PATCH is refused or ignored
    switches = {**SWITCHES, "refresh_token_rotation": (OAUTH_ROTATES_REFRESH_TOKEN, not OAUTH_ROTATES_REFRESH_TOKEN),
                "call_update": CALL_UPDATE, "user_email_update": EMAIL_UPDATE}

    def __init__(self, **space) -> None:
        self.rate_limit = RATE_LIMIT
        super().__init__(**space)

    def reset_state(self) -> None:
        """One rate-limit window per token, shared by every resource; refresh-token rotation by the switch."""
        self.rate_used = 0
        self.rate_window_start = time.time()
        assert self.oauth is not None
        self.oauth.rotation = lambda: bool(self.switch["refresh_token_rotation"])

    # -- HTTP -------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        # last: any other path is Outreach's 404 `routeNotFound` (as recorded by amp-labs/connectors,
        # providers/outreach/test unsupported.json)
        return super().routes() + [
            Route("/{rest:path}", self.route_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]

    async def route_not_found(self, request: Request) -> Response:
        early, headers, _ = await self._guard(request)
        if early is not None:
            return early
        return error_document(404, ROUTE_NOT_FOUND_ERROR, headers=headers)

    def _rate_headers(self) -> dict[str, str]:
        now = time.time()
        if now - self.rate_window_start >= RATE_WINDOW_SECONDS:
            self.rate_window_start = now
            self.rate_used = 0
        reset = int(self.rate_window_start + RATE_WINDOW_SECONDS)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self.rate_limit - self.rate_used, 0)),
            "X-RateLimit-Reset": str(reset),
        }

    async def _guard(self, request: Request) -> tuple[Response | None, dict[str, str], Any]:
        """Auth, rate limit and media type, in that order. Returns (early answer, headers, parsed body)."""
        headers = self._rate_headers()
        token = bearer_token(request)
        if token != SANDBOX_TOKEN and not self.issued_access_token(token):
            if self.switch["unauthorized_body"] == "text":   # the 2018 nginx answer (common.py)
                return Response(UNAUTHORIZED_TEXT, 401, headers=headers, media_type="text/plain"), headers, None
            return error_document(401, UNAUTHORIZED_ERROR, headers=headers), headers, None
        if self.rate_used >= self.rate_limit:
            reset = headers["X-RateLimit-Reset"]
            retry = {**headers, "Retry-After": str(max(int(reset) - int(time.time()), 1))}
            at = datetime.fromtimestamp(int(reset), UTC).strftime("%Y-%m-%dT%H:%M:%S")
            return error_document(429, {
                "id": "rateLimitExceeded",
                "title": "Rate Limit Exceeded",
                "detail": f"You have exceeded your permitted rate limit of {self.rate_limit:,}; please try again at {at}.",
            }, headers=retry), retry, None
        self.rate_used += 1
        headers = self._rate_headers()
        raw = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        needs_media_type = bool(raw) or request.method in ("POST", "PATCH") or self.switch["media_type"] == "all"
        if needs_media_type and content_type != MEDIA_TYPE:
            return error_document(415, UNSUPPORTED_MEDIA_TYPE_ERROR, headers=headers), headers, None
        body: Any = None
        if raw:
            try:
                body = loads_json(raw)
            except orjson.JSONDecodeError:
                return error_document(400, bad_request("The request body is not valid JSON."), headers=headers), headers, None
        return None, headers, body

    @staticmethod
    def _root(request: Request) -> str:
        """The emulator's root URL (what https://api.outreach.io stands for)."""
        url = str(request.url)
        return url[: url.index("/api/v2/")]


EMULATOR = OutreachEmulator
