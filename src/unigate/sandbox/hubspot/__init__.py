"""HubSpot CRM v3 emulator: the emulator root stands for `https://api.hubapi.com`
(https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/companies/guide).

Resources: `accounts` (companies, `accounts.py`) and `contacts` (`contacts.py`; their company links in
`associations.py`, merge and batch archive in `bulk.py`); `pipelines` (deal pipelines and their stages,
`pipelines.py`) and `opportunities` (deals, with their company and contact links, `deals.py`); the
properties API over companies, contacts and deals (`properties.py`); `notes`, `tasks` and `engagements`
(calls), the activity objects with their company, contact and deal links (`activities.py`); `users`
(the owners API, `owners.py`).
Shared by them (`common.py`): auth by `Authorization: Bearer SANDBOX_TOKEN` or an unexpired access
token the OAuth server (`oauth.py`) issued, HubSpot's error bodies, and the portal's rate-limit headers, counted across resources.
Choices made where the vendor's text is silent are module constants, each marked so.

Sources (each behaviour names its own beside it; [verified], [observed] or [unverified] says how sure):
- API reference: https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/update-contact
  and the companies/contacts guides under https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/
- Notes, tasks and calls: https://developers.hubspot.com/docs/api-reference/crm-notes-v3/guide,
  https://developers.hubspot.com/docs/api/crm/tasks, https://developers.hubspot.com/docs/api/crm/calls
- Errors: https://developers.hubspot.com/docs/api-reference/error-handling
- Official client: https://github.com/HubSpot/hubspot-api-python (hubspot-api-client, which also drives
  this emulator in tests/sandbox/test_hubspot_vendor_client.py and test_hubspot_sandbox.py)
- Default properties and their options: https://knowledge.hubspot.com/properties/hubspots-default-contact-properties
- Live answers recorded by integrators (marked [observed]): https://github.com/amp-labs/connectors, public issues
- Switches (`switches`, set through `/__control/hubspot/switches`) where the sources disagree or are
  silent: `invalid_properties` (common.py), `merged_id_read` (bulk.py), `lead_primary_association` (leads.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, Resource, bearer_token
from unigate.sandbox.hubspot import accounts, activities, association_reads, associations, bulk, contacts, deals, leads, owners, pipelines, properties
from unigate.sandbox.hubspot.accounts import Companies
from unigate.sandbox.hubspot.common import (
    AUTH_MESSAGE,
    NOT_FOUND_MESSAGE,
    SANDBOX_TOKEN,
    INVALID_PROPERTIES,
    RateLimits,
    unauthorized,
)
from unigate.sandbox.hubspot.oauth import OAUTH_PROFILE

__all__ = ["AUTH_MESSAGE", "EMULATOR", "NOT_FOUND_MESSAGE", "OAUTH_PROFILE", "SANDBOX_TOKEN", "HubSpotEmulator"]


class HubSpotEmulator(Emulator):
    name: ClassVar[str] = "hubspot"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    default_seed_count: ClassVar[int] = 60
    # Leads before pipelines: leads.py serves /crm/v3/pipelines/leads ahead of pipelines.py's {objectType} paths.
    # Lead properties are properties.py's, with the other objects'.
    resources: ClassVar[tuple[type[Resource], ...]] = (Companies, contacts.Contacts, leads.Leads, pipelines.Pipelines,
                                                       deals.Deals,
                                                       activities.Notes, activities.Tasks, activities.Calls,
                                                       owners.Owners, properties.Fields, properties.FieldGroups)
    # Where HubSpot's sources disagree or are silent (common.py, bulk.py and leads.py say which source backs each value).
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {"invalid_properties": INVALID_PROPERTIES,
                                                      "merged_id_read": bulk.MERGED_ID_READ,
                                                      "lead_primary_association": leads.LEAD_PRIMARY_ASSOCIATION}

    def reset_state(self) -> None:
        self.rate_limits = RateLimits()
        # the definitions below as the properties API then creates, changes and archives them
        self.portal_properties = properties.PortalProperties(self.property_definitions)

    def routes(self) -> list[Route]:
        return super().routes() + associations.routes(self) + association_reads.routes(self) + bulk.routes(self)

    def property_definitions(self, object_type: str) -> list[dict]:
        """The seeded definitions of `contacts`, `companies`, `deals` or `leads` (what the portal holds is
        `portal_properties`)."""
        if object_type == "leads":
            return leads.definitions()
        if object_type == "deals":
            return properties.definitions(deals.STANDARD_PROPERTIES, deals.CUSTOM_PROPERTIES, deals.OPTIONS)
        if object_type == "contacts":
            return properties.definitions(contacts.STANDARD_PROPERTIES, contacts.CUSTOM_PROPERTIES, contacts.OPTIONS)
        return properties.definitions(accounts.STANDARD_PROPERTIES, accounts.CUSTOM_PROPERTIES, accounts.ENUMERATIONS)

    def unauthorized(self, request: Request) -> Response | None:
        """HubSpot's 401 unless the request carries the sandbox token or an issued access token."""
        token = bearer_token(request)
        if token == SANDBOX_TOKEN or self.issued_access_token(token):
            return None
        return unauthorized()


EMULATOR = HubSpotEmulator
