"""Pipedrive API v2 emulator: the emulator root stands for `https://api.pipedrive.com` (or a
company's `api_domain`; https://pipedrive.readme.io/docs/marketplace-oauth-authorization).

Resources: `accounts` (organizations, `accounts.py`), `contacts` (persons, `contacts.py`), `pipelines`
(`pipelines.py`), `stages` (`stages.py`), `opportunities` (deals, `deals.py`), `engagement_types` (API v1
activity types, `activity_types.py`), `engagements` (API v2 activities, `activities.py`, whose `task`-type ones are `tasks`) and
`notes` (API v1, `notes.py`), `users` (API v1, `users.py`), `leads` (API v1, `leads.py`). Shared by them (`common.py`): auth by
`x-api-token: SANDBOX_API_TOKEN`, `?api_token=SANDBOX_API_TOKEN` or `Authorization: Bearer` with
`SANDBOX_OAUTH_TOKEN` or an unexpired access token the OAuth server (`oauth.py`) issued;
Pipedrive's error envelope; the company's rate-limit headers, counted across resources.
Choices made where the vendor's text is silent are module constants, each marked so.

Sources (each behaviour names its own beside it; [verified], [observed] or [unverified] says how sure):
- API reference: https://developers.pipedrive.com/docs/api/v1 (API v2 endpoints on the same pages) and the
  core concepts: https://pipedrive.readme.io/docs/core-api-concepts-authentication, -pagination,
  -responses, -http-status-codes, -rate-limiting, -custom-fields (same site)
- Activities, activity types and notes: https://developers.pipedrive.com/docs/api/v1/Activities (API v2 tab),
  https://developers.pipedrive.com/docs/api/v1/ActivityTypes, https://developers.pipedrive.com/docs/api/v1/Notes
- Official clients: https://github.com/pipedrive/client-nodejs and https://github.com/pipedrive/client-php
  (their generated models give the body fields and status codes; Pipedrive has no Python client, so
  tests/sandbox/test_pipedrive_vendor_client.py sends the documented requests as written)
- Switches (`switches`, set through `/__control/pipedrive/switches`) where the sources disagree or are
  silent: `person_name` (contacts.py), `deleted_read`, `unknown_fields` (accounts.py), `fractional_seconds`
  (common.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, Resource, bearer_token
from unigate.sandbox.pipedrive.accounts import (
    CUSTOM_FIELD_KEYS,
    DELETED_READ,
    NOT_FOUND_MESSAGE,
    UNKNOWN_FIELDS,
    Organizations,
)
from unigate.sandbox.pipedrive.contacts import PERSON_FIELD_KEYS, PERSON_NAME, Persons
from unigate.sandbox.pipedrive.activities import Activities, Tasks
from unigate.sandbox.pipedrive.activity_types import ActivityTypes
from unigate.sandbox.pipedrive.deals import DEAL_FIELD_KEYS, Deals
from unigate.sandbox.pipedrive.leads import Leads
from unigate.sandbox.pipedrive.notes import Notes
from unigate.sandbox.pipedrive.pipelines import Pipelines
from unigate.sandbox.pipedrive.stages import Stages
from unigate.sandbox.pipedrive.fields import Fields
from unigate.sandbox.pipedrive.users import Users
from unigate.sandbox.pipedrive.common import (
    ERROR_INFO,
    FRACTIONAL_SECONDS,
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
    resources: ClassVar[tuple[type[Resource], ...]] = (Organizations, Persons, Pipelines, Stages, Deals,
                                                       Leads, ActivityTypes, Activities, Tasks, Notes, Users,
                                                       Fields)
    # Where Pipedrive's sources disagree or are silent (common.py, accounts.py and contacts.py say which source backs each value).
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {"person_name": PERSON_NAME, "deleted_read": DELETED_READ,
                                                      "fractional_seconds": FRACTIONAL_SECONDS,
                                                      "unknown_fields": UNKNOWN_FIELDS}

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
