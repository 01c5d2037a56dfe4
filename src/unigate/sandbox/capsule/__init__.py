"""Capsule CRM API v2 emulator: the root stands for https://api.capsulecrm.com; paths are the
vendor's (`/api/v2/...`; https://developer.capsulecrm.com/v2/overview/authentication).

Resources: `accounts` (parties, `accounts.py`, which owns the one parties store) and `contacts`
(people, `contacts.py`: seeds people into that same store and serves an organisation's people);
`pipelines` (`pipelines.py`), `stages` (their milestones, `stages.py`) and `opportunities` (`deals.py`, each
with a party and a milestone);
organisations and people share one store and one set of `/parties` routes, as in Capsule. Shared by them (`common.py`, served here): bearer auth with `SANDBOX_TOKEN` or an access
token the OAuth server (`oauth.py`) issued, 401s with `WWW-Authenticate`, rate-limit headers per
token, tenant-global tags and child-record ids, users and field definitions; any other path answers
Capsule's 404.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, Resource, bearer_token, json_response
from unigate.sandbox.capsule.accounts import CLAMP_PER_PAGE, Parties
from unigate.sandbox.capsule.contacts import People
from unigate.sandbox.capsule.deals import Opportunities
from unigate.sandbox.capsule.pipelines import Pipelines
from unigate.sandbox.capsule.stages import Stages
from unigate.sandbox.capsule.common import (
    AUTH_INVALID_MESSAGE,
    AUTH_MISSING_MESSAGE,
    FIELD_DEFINITIONS,
    NOT_FOUND_ROUTE_MESSAGE,
    RATE_LIMIT,
    RATE_LIMIT_BODY,
    RATE_LIMIT_WINDOW_SECONDS,
    SANDBOX_TOKEN,
    TOO_MANY_IDS_STATUS,
    USERS,
    WWW_AUTHENTICATE_INVALID,
    WWW_AUTHENTICATE_MISSING,
    answer,
    error,
)
from unigate.sandbox.capsule.oauth import OAUTH_PROFILE

__all__ = ["AUTH_INVALID_MESSAGE", "AUTH_MISSING_MESSAGE", "CLAMP_PER_PAGE", "EMULATOR", "OAUTH_PROFILE",
           "RATE_LIMIT_BODY", "SANDBOX_TOKEN", "TOO_MANY_IDS_STATUS", "USERS", "WWW_AUTHENTICATE_INVALID",
           "CapsuleEmulator"]


class CapsuleEmulator(Emulator):
    name: ClassVar[str] = "capsule"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    resources: ClassVar[tuple[type[Resource], ...]] = (Parties, People, Pipelines, Stages, Opportunities)

    def reset_state(self) -> None:
        self.next_child_id = 5_000_001
        self.tags: dict[str, dict[str, Any]] = {}      # name (lower) -> {"id", "name", "description", "dataTag"}
        self.next_tag_id = 90_001
        self.requests_used: dict[str, int] = {}         # per token, for X-RateLimit-Remaining

    def routes(self) -> list[Route]:
        g = self.guarded
        return [
            *super().routes(),
            Route("/api/v2/users", g(self.list_users), methods=["GET"]),
            Route("/api/v2/users/current", g(self.current_user), methods=["GET"]),
            Route("/api/v2/tags", g(self.list_tags), methods=["GET"]),
            Route("/{path:path}", g(self.not_found),
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        ]

    # -- ids and tenant-wide data ----------------------------------------------------------------------
    def child_id(self) -> int:
        """The id of a nested item (address, phone, field value...), unique across the account."""
        value = self.next_child_id
        self.next_child_id += 1
        return value

    def tag(self, name: str) -> dict[str, Any]:
        """Tags are tenant-global: one id per name, shared by every party (NOTES §20)."""
        key = name.strip().lower()
        tag = self.tags.get(key)
        if tag is None:
            tag = {"id": self.next_tag_id, "name": name.strip(), "description": None, "dataTag": False}
            self.next_tag_id += 1
            self.tags[key] = tag
        return tag

    # -- auth and rate limits --------------------------------------------------------------------------
    def rate_headers(self, token: str) -> dict[str, str]:
        used = self.requests_used.get(token, 0) + 1
        self.requests_used[token] = used
        window_end = (int(time.time()) // RATE_LIMIT_WINDOW_SECONDS + 1) * RATE_LIMIT_WINDOW_SECONDS
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(RATE_LIMIT - used, 0)),
            "X-RateLimit-Reset": str(window_end),
        }

    def authenticate(self, request: Request) -> Response | None:
        token = bearer_token(request)
        if token is None:
            return json_response({"message": AUTH_MISSING_MESSAGE}, 401,
                                 headers={"WWW-Authenticate": WWW_AUTHENTICATE_MISSING})
        if token != SANDBOX_TOKEN and not self.issued_access_token(token):
            return json_response({"message": AUTH_INVALID_MESSAGE}, 401,
                                 headers={"WWW-Authenticate": WWW_AUTHENTICATE_INVALID})
        request.state.rate_headers = self.rate_headers(token)
        return None

    def guarded(self, handler):
        async def endpoint(request: Request) -> Response:
            failure = self.authenticate(request)
            if failure is not None:
                return failure
            return await handler(request)
        return endpoint

    async def not_found(self, request: Request) -> Response:
        return error(request, 404, NOT_FOUND_ROUTE_MESSAGE)

    # -- reference endpoints ------------------------------------------------------------------------------
    async def field_definitions(self, request: Request) -> Response:
        definitions = [{"id": d["id"], "name": d["name"], "type": d["type"], "options": d.get("options", []),
                        "description": None, "tag": None, "important": False, "displayOrder": n + 1,
                        "captureRule": d.get("captureRule")}
                       for n, d in enumerate(FIELD_DEFINITIONS)]
        return answer(request, {"definitions": definitions})

    async def list_users(self, request: Request) -> Response:
        return answer(request, {"users": [dict(u) for u in USERS]})

    async def current_user(self, request: Request) -> Response:
        return answer(request, {"user": dict(USERS[0])})

    async def list_tags(self, request: Request) -> Response:
        return answer(request, {"tags": list(self.tags.values())})



EMULATOR = CapsuleEmulator
