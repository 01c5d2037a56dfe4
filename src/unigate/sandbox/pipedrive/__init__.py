"""Pipedrive API v2 emulator: the emulator root stands for `https://api.pipedrive.com` (or a
company's `api_domain`; https://pipedrive.readme.io/docs/marketplace-oauth-authorization).

Resources: `accounts` (organizations, `accounts.py`), `contacts` (persons, `contacts.py`), `pipelines`
(`pipelines.py`), `stages` (`stages.py`) and `opportunities` (deals, `deals.py`). Shared by them (`common.py`): auth by
`x-api-token: SANDBOX_API_TOKEN`, `?api_token=SANDBOX_API_TOKEN` or `Authorization: Bearer` with
`SANDBOX_OAUTH_TOKEN` or an unexpired access token the OAuth server (`oauth.py`) issued;
Pipedrive's error envelope; the company's rate-limit headers, counted across resources.
Choices made where the vendor's text is silent are module constants, each marked so.
"""

from __future__ import annotations

from typing import ClassVar

from starlette.requests import Request

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, Resource, bearer_token
from unigate.sandbox.pipedrive.accounts import CUSTOM_FIELD_KEYS, NOT_FOUND_MESSAGE, Organizations
from unigate.sandbox.pipedrive.contacts import PERSON_FIELD_KEYS, Persons
from unigate.sandbox.pipedrive.deals import DEAL_FIELD_KEYS, Deals
from unigate.sandbox.pipedrive.pipelines import Pipelines
from unigate.sandbox.pipedrive.stages import Stages
from unigate.sandbox.pipedrive.common import (
    ERROR_INFO,
    SANDBOX_API_TOKEN,
    SANDBOX_OAUTH_TOKEN,
    UNAUTHORIZED_BODY,
    RateLimits,
)
from unigate.sandbox.pipedrive.oauth import OAUTH_PROFILE

__all__ = [
    "CUSTOM_FIELD_KEYS",
    "DEAL_FIELD_KEYS",
    "EMULATOR",
    "ERROR_INFO",
    "NOT_FOUND_MESSAGE",
    "OAUTH_PROFILE",
    "PERSON_FIELD_KEYS",
    "SANDBOX_API_TOKEN",
    "SANDBOX_OAUTH_TOKEN",
    "UNAUTHORIZED_BODY",
    "PipedriveEmulator",
]


class PipedriveEmulator(Emulator):
    name: ClassVar[str] = "pipedrive"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    default_seed_count: ClassVar[int] = 60
    resources: ClassVar[tuple[type[Resource], ...]] = (Organizations, Persons, Pipelines, Stages, Deals)

    def reset_state(self) -> None:
        self.rate_limits = RateLimits()

    def authorized(self, request: Request) -> bool:
        """The first credential present decides: OAuth bearer, then `x-api-token`, then `api_token`."""
        bearer = bearer_token(request)
        if bearer is not None:
            return bearer == SANDBOX_OAUTH_TOKEN or self.issued_access_token(bearer)
        header = request.headers.get("x-api-token")
        if header is not None:
            return header == SANDBOX_API_TOKEN
        return request.query_params.get("api_token") == SANDBOX_API_TOKEN


EMULATOR = PipedriveEmulator
