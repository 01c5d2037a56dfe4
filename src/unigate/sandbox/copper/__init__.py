"""Copper Developer API v1 emulator: the root stands for https://api.copper.com; paths are the
vendor's (`/developer_api/v1/...`; https://developer.copper.com/).

Resources: `accounts` (companies, `accounts.py`), `contacts` (people, `contacts.py`, each linked to
at most one company by `company_id`), `pipelines` and `stages` (read-only, `pipelines.py`, `stages.py`)
and `opportunities` (`deals.py`, each with a primary contact, its company, a pipeline and a stage). Shared by them (`common.py`): the X-PW-* header
authentication (https://developer.copper.com/introduction/requests.html), Copper's error envelope,
users, contact types and custom field definitions, served here with the account and user lookups;
any other path answers Copper's 404.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, Resource, json_response
from unigate.sandbox.copper.accounts import CLAMP_PAGE_SIZE, FIRST_COMPANY_ID, Companies
from unigate.sandbox.copper.contacts import People
from unigate.sandbox.copper.deals import Opportunities
from unigate.sandbox.copper.pipelines import Pipelines
from unigate.sandbox.copper.stages import Stages
from unigate.sandbox.copper.common import (
    AUTH_FAILED_MESSAGE,
    COMPANY_FIELD_IDS,
    CONTACT_TYPES,
    CUSTOM_FIELD_DEFINITIONS,
    CUSTOM_FIELD_DEFINITIONS_BY_ID,
    NOT_FOUND_MESSAGE,
    RATE_LIMIT_BODY,
    SANDBOX_TOKEN,
    SANDBOX_USER_EMAIL,
    USERS,
    error,
    guarded,
)

__all__ = ["AUTH_FAILED_MESSAGE", "CLAMP_PAGE_SIZE", "COMPANY_FIELD_IDS", "CUSTOM_FIELD_DEFINITIONS_BY_ID", "EMULATOR",
           "FIRST_COMPANY_ID", "RATE_LIMIT_BODY", "SANDBOX_TOKEN", "SANDBOX_USER_EMAIL", "USERS", "CopperEmulator"]


class CopperEmulator(Emulator):
    name: ClassVar[str] = "copper"
    resources: ClassVar[tuple[type[Resource], ...]] = (Companies, People, Pipelines, Stages, Opportunities)

    @staticmethod
    def guarded(handler):
        return guarded(handler)

    def routes(self) -> list[Route]:
        g = self.guarded
        v1 = "/developer_api/v1"
        return [
            *super().routes(),
            Route(f"{v1}/account", g(self.account), methods=["GET"]),
            Route(f"{v1}/users/me", g(self.me), methods=["GET"]),
            Route(f"{v1}/users/search", g(self.users), methods=["POST"]),
            Route(f"{v1}/contact_types", g(self.contact_types), methods=["GET"]),
            Route(f"{v1}/custom_field_definitions", g(self.custom_field_definitions), methods=["GET"]),
            Route("/{path:path}", g(self.not_found), methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        ]

    async def not_found(self, request: Request) -> Response:
        return error(404, NOT_FOUND_MESSAGE)

    # -- reference endpoints ------------------------------------------------------------------------------
    async def account(self, request: Request) -> Response:
        return json_response({"id": 241401, "name": "Copper Sandbox", "primary_timezone": "America/Los_Angeles"})

    async def me(self, request: Request) -> Response:
        return json_response(USERS[0])

    async def users(self, request: Request) -> Response:
        return json_response(USERS)

    async def contact_types(self, request: Request) -> Response:
        return json_response(CONTACT_TYPES)

    async def custom_field_definitions(self, request: Request) -> Response:
        return json_response(CUSTOM_FIELD_DEFINITIONS)



EMULATOR = CopperEmulator
