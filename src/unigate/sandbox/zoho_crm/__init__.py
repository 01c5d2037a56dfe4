"""Zoho CRM REST API v8 emulator: the root stands for a Zoho API domain such as
`https://www.zohoapis.com` (the host the OAuth token response names in `api_domain`; Zoho's OpenAPI
spec: https://github.com/zoho/crm-oas, v8.0).

Resources: `accounts` (the Accounts module, `accounts.py`), `contacts` (the Contacts module,
`contacts.py`, with the merge action, `merge.py`) and `opportunities` (the Deals module, `deals.py`); each is a
`module.ModuleResource` serving `/crm/v8/<Module>[/...]`, its layout listed and its custom fields created,
changed and deleted through `/crm/v8/settings/fields` (`field_settings.py`). `stages` (the Deals Stage picklist values) and `pipelines`
(the Deals layout's pipelines, `/crm/v8/settings/pipeline`) are in `pipelines.py`; every module's layouts and their
sections (`field_groups`, `/crm/v8/settings/layouts`) in `layouts.py`.
Activities (`activities.py`): `notes` (Notes, one parent in `Parent_Id`), `tasks` (Tasks), `engagements` (Calls) and
`meetings` (Events), the last three linked through `What_Id` + `$se_module` and `Who_Id`. `leads` (the Leads
module) and `users` (`/crm/v8/users`) are in `leads.py`.
Shared by them (`common.py`, served here):
- `Authorization: Zoho-oauthtoken <token>`; a missing/other scheme answers 401
  `AUTHENTICATION_FAILURE`, a wrong token 401 `INVALID_TOKEN` (crm-oas 401 examples).
- A module the org does not have answers 400 `INVALID_MODULE`; any other path 404 `INVALID_URL_PATTERN`.
- Rate-limit headers `X-RATELIMIT-LIMIT/-REMAINING/-RESET` on every answer, counted across modules.
- OAuth 2 (`oauth.py`): authorize `GET /oauth/v2/auth`, token `POST /oauth/v2/token`.

Sources (each behaviour names its own beside it; [verified], [observed] or [unverified] says how sure):
- Zoho's OpenAPI spec: https://github.com/zoho/crm-oas (v8.0: record, fields, merge, error examples)
- API docs: https://www.zoho.com/crm/developer/docs/api/v8/ (get, insert, update, delete, merge records)
- Activities: https://zoho.com/crm/developer/docs/api/v7/create-notes.html (crm-oas v8.0 notes.json),
  https://help.zoho.com/portal/en/community/topic/kaizen-36-tasks-api,
  https://help.zoho.com/portal/en/community/topic/kaizen-38-calls-api,
  https://www.zoho.com/crm/developer/docs/api/v2/events-response.html
- Deals, stages and pipelines: https://www.zoho.com/crm/developer/docs/api/v2/deals-response.html,
  https://help.zoho.com/portal/kb/articles/create-deals,
  https://zoho.com/developer/docs/vertical-solutions/api/v6/get-pipelines.html (crm-oas v8.0 pipeline, layouts)
- Official SDK: https://github.com/zoho/zohocrm-python-sdk-8.0 (zohocrmsdk8-0, which also drives this
  emulator in tests/sandbox/test_zoho_crm_vendor_client.py and test_zoho_crm_sandbox.py)
- Switches (`switches`, set through `/__control/zoho_crm/switches`) where the sources disagree or are
  silent: `unknown_id_body`, `picklist_values`, `rate_limit_headers` (common.py), `stage_outside_pipeline`
  (deals.py), `new_field_section` (layouts.py), `if_modified_since` (the users list, leads.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, Resource, json_response
from unigate.sandbox.zoho_crm.accounts import Accounts
from unigate.sandbox.zoho_crm.activities import Calls, Meetings, Notes, Tasks
from unigate.sandbox.zoho_crm.contacts import Contacts
from unigate.sandbox.zoho_crm.deals import Deals
from unigate.sandbox.zoho_crm.field_settings import FieldSettings, LayoutFields
from unigate.sandbox.zoho_crm.layouts import NEW_FIELD_SECTIONS, Layouts
from unigate.sandbox.zoho_crm.leads import IF_MODIFIED_SINCE, Leads, Users
from unigate.sandbox.zoho_crm.pipelines import Pipelines, Stages
from unigate.sandbox.zoho_crm.common import (
    AUTH_SCHEME,
    GET_MISSING_STATUS,
    MAX_FIELDS,
    RATE_LIMIT,
    SANDBOX_TOKEN,
    TOKEN_USER,
    PICKLIST_VALUES,
    RATE_LIMIT_HEADERS,
    UNKNOWN_ID_BODIES,
    UNKNOWN_ID_STATUS,
    USERS,
    RateLimits,
    error_object,
)
from unigate.sandbox.zoho_crm.deals import STAGE_OUTSIDE_PIPELINE
from unigate.sandbox.zoho_crm.oauth import OAUTH_PROFILE

__all__ = ["EMULATOR", "GET_MISSING_STATUS", "MAX_FIELDS", "OAUTH_PROFILE", "RATE_LIMIT", "SANDBOX_TOKEN",
           "TOKEN_USER", "UNKNOWN_ID_STATUS", "USERS", "ZohoCrmEmulator"]

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


class ZohoCrmEmulator(Emulator):
    name: ClassVar[str] = "zoho_crm"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    resources: ClassVar[tuple[type[Resource], ...]] = (Accounts, Contacts, Stages, Pipelines, Deals, Leads,
                                                                      Users, Notes, Tasks, Calls, Meetings, LayoutFields,
                                                                      Layouts)
    # Where Zoho's sources disagree or are silent (common.py says which source backs each value).
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {"unknown_id_body": UNKNOWN_ID_BODIES,
                                                      "picklist_values": PICKLIST_VALUES,
                                                      "rate_limit_headers": RATE_LIMIT_HEADERS,
                                                      "stage_outside_pipeline": STAGE_OUTSIDE_PIPELINE,
                                                      "new_field_section": NEW_FIELD_SECTIONS,
                                                      "if_modified_since": IF_MODIFIED_SINCE}

    def reset_state(self) -> None:
        self.rate_limits = RateLimits()

    def routes(self) -> list[Route]:
        # The modules' own paths first; then a module the org lacks, then any other path.
        settings = FieldSettings(self)
        return [
            Route("/crm/v8/settings/fields", settings.listed, methods=["GET", "POST"]),
            Route("/crm/v8/settings/fields/{field_id}", settings.one, methods=["GET", "PATCH", "DELETE"]),
            *super().routes(),
            Route("/crm/v8/{module}/deleted", self.invalid_module, methods=["GET"]),
            Route("/crm/v8/{module}/{record_id}", self.invalid_module, methods=["GET", "PUT", "DELETE"]),
            Route("/crm/v8/{module}", self.invalid_module, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/{rest:path}", self.invalid_url, methods=_ALL_METHODS),
        ]

    def modules(self) -> dict[str, Any]:
        """The record modules the emulator holds, by API name (stages and pipelines are no module)."""
        return {resource.module: resource for resource in map(self.resource, self.resource_names())
                if getattr(resource, "module", None)}

    # -- shared answers ------------------------------------------------------------------------------
    def answer(self, body: Any, status: int = 200) -> Response:
        headers = self.rate_limits.headers()   # counted either way; sent as the `rate_limit_headers` switch says
        if self.switch["rate_limit_headers"] == "omit":
            headers = {}
        if status in (204, 304):   # no body: nothing found, or nothing modified since (If-Modified-Since)
            return Response(status_code=status, headers=headers)
        return json_response(body, status, headers=headers)

    def check_auth(self, request: Request) -> Response | None:
        """401s as Zoho sends them: no/foreign scheme → AUTHENTICATION_FAILURE; bad token → INVALID_TOKEN."""
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme != AUTH_SCHEME or not token.strip():
            return self.answer(error_object("AUTHENTICATION_FAILURE", "Authentication failed"), 401)
        if token.strip() != SANDBOX_TOKEN and not self.issued_access_token(token.strip()):
            return self.answer(error_object("INVALID_TOKEN", "invalid oauth token"), 401)
        return None

    async def invalid_module(self, request: Request) -> Response:
        denied = self.check_auth(request)
        if denied:
            return denied
        return self.answer(error_object("INVALID_MODULE", "the module name given seems to be invalid",
                                        {"resource_path_index": 0}), 400)

    async def invalid_url(self, request: Request) -> Response:
        denied = self.check_auth(request)
        if denied:
            return denied
        return self.answer(error_object("INVALID_URL_PATTERN",
                                        "Please check if the URL trying to access is a correct one"), 404)


EMULATOR = ZohoCrmEmulator
