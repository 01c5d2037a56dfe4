"""Copper Developer API v1 emulator: the root stands for https://api.copper.com; paths are the
vendor's (`/developer_api/v1/...`; https://developer.copper.com/).

Resources: `accounts` (companies, `accounts.py`), `contacts` (people, `contacts.py`, each linked to
at most one company by `company_id`), `pipelines` and `stages` (read-only, `pipelines.py`, `stages.py`)
and `opportunities` (`deals.py`, each with a primary contact, its company, a pipeline and a stage); `engagements`
(activities: notes, calls, meetings, the account's own types and Copper's system rows), `notes` (the activities
of type Note) and `engagement_types` (activity types) in `activities.py`; `tasks` (`tasks.py`); `leads` (`leads.py`,
with the lead statuses); `fields` (the custom field definitions, `fields.py`: each data space's own, seeded
from common.py's, written through their create, update and delete). Shared by them (`common.py`): the X-PW-*
header authentication (https://developer.copper.com/introduction/requests.html), Copper's error envelope,
users, contact types and the seeded custom field definitions; users and contact types are served here with the
account lookup; any other path answers Copper's 404. Companies, people, opportunities and leads are served
alike: `records.py` holds their create, search, read, update and delete, `changes.py` the field writes they
share and `search.py` the search criteria and sort keys they share.

Sources (each behaviour names its own next to the rule):
- https://developer.copper.com/introduction/requests.html (headers, JSON, 180 requests a minute, 429)
- https://developer.copper.com/introduction/appendix.html (email, phone, website and social categories)
- https://developer.copper.com/companies/overview.html , .../companies/list-companies-search.html ,
  .../companies/update-a-company.html , .../people/list-people-search.html
- Copper's Postman documentation, mirrored in https://github.com/dquimper/GitbookTest (`3.-people/`,
  `4.-companies/`, `related-items/`, `1.-account-and-users/`): request and answer examples
- https://developer.copper.com/activities/overview.html , Copper's Postman docs `8.-Activities/` and
  `custom-fields/general/*activity-type*.md` (activities and activity types)
- https://developer.copper.com/tasks/list-tasks-search.html , https://developer.copper.com/tasks/update-a-task.html ,
  https://developer.copper.com/introduction/best_practices.html , Postman docs `7.-tasks/` (tasks)
- https://developer.copper.com/leads/list-leads-search.html , Postman docs `2.-leads/` (leads, lead statuses)
- https://github.com/verbb/formie/issues/653 (live error envelopes: 404 and 422 wording)
- https://github.com/singer-io/tap-copper (a search body with a key Copper does not know is a 422)

Where those sources leave a behaviour open, the emulator has a switch (`switches`, set through
`POST /__control/copper/switches`; the first value is the default):
- `page_size_over_max`: a search `page_size` above 200 is clamped (`clamp`) or refused (`refuse`);
- `search_modified_dates`: `minimum/maximum_modified_date` on people and companies searches are
  applied (`applied`), refused as unknown keys (`refused`) or taken and ignored (`ignored`); documented for
  leads, opportunities, projects and tasks only, not on
  https://developer.copper.com/people/list-people-search.html or
  https://developer.copper.com/companies/list-companies-search.html [unverified on these two];
- `person_update_company_id`: a person PUT's `company_id` is ignored (`ignored`, the docs send company
  changes through Related Items) or applied (`applied`);
- `person_name_parts`: first_name/last_name (and prefix, middle_name, suffix) of people and leads are taken
  as sent (`as_sent`) or always derived from `name` (`from_name`);
- `company_last_contacted`: companies carry `date_last_contacted` (`shown`) or not (`absent`);
- `task_dates`: a task's `due_date` and `reminder_date` read as Unix seconds (`epoch`, every example) or as
  `MM/DD/YYYY` text (`text`, best_practices.html);
- `task_completed_date`: a `completed_date` sent on a task is ignored (`ignored`) or refused (`refused`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, Resource, json_response
from unigate.sandbox.copper.accounts import FIRST_COMPANY_ID, Companies
from unigate.sandbox.copper.activities import Activities, ActivityTypes, Notes
from unigate.sandbox.copper.contacts import People
from unigate.sandbox.copper.deals import Opportunities
from unigate.sandbox.copper.fields import Definitions
from unigate.sandbox.copper.leads import Leads
from unigate.sandbox.copper.pipelines import Pipelines
from unigate.sandbox.copper.stages import Stages
from unigate.sandbox.copper.tasks import Tasks
from unigate.sandbox.copper.common import (
    AUTH_FAILED_MESSAGE,
    COMPANY_FIELD_IDS,
    CONTACT_TYPES,
    CUSTOM_FIELD_DEFINITIONS_BY_ID,
    NOT_FOUND_MESSAGE,
    OTHER_USERS,
    RATE_LIMIT_BODY,
    SANDBOX_TOKEN,
    SANDBOX_USER_EMAIL,
    USERS,
    error,
    guarded,
    read_search,
)

__all__ = ["AUTH_FAILED_MESSAGE", "COMPANY_FIELD_IDS", "CUSTOM_FIELD_DEFINITIONS_BY_ID", "EMULATOR",
           "FIRST_COMPANY_ID", "RATE_LIMIT_BODY", "SANDBOX_TOKEN", "SANDBOX_USER_EMAIL", "USERS", "CopperEmulator"]


class CopperEmulator(Emulator):
    name: ClassVar[str] = "copper"
    # Seeded in this order: the custom field definitions before the records that carry their values, leads
    # before the activities and tasks that hang off them.
    resources: ClassVar[tuple[type[Resource], ...]] = (Definitions, Companies, People, Pipelines, Stages, Opportunities,
                                                       Leads, ActivityTypes, Activities, Notes, Tasks)
    # Behaviours Copper's documentation leaves open (module docstring); the default first.
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {
        "page_size_over_max": ("clamp", "refuse"),
        "search_modified_dates": ("applied", "refused", "ignored"),
        "person_update_company_id": ("ignored", "applied"),
        "person_name_parts": ("as_sent", "from_name"),
        "company_last_contacted": ("shown", "absent"),
        "task_dates": ("epoch", "text"),
        "task_completed_date": ("ignored", "refused"),
    }

    @staticmethod
    def guarded(handler):
        return guarded(handler)

    def routes(self) -> list[Route]:
        g = self.guarded
        v1 = "/developer_api/v1"
        return [
            *super().routes(),
            Route(f"{v1}/account", g(self.account), methods=["GET"]),
            Route(f"{v1}/users/search", g(self.users), methods=["POST"]),
            Route(v1 + "/users/{id}", g(self.user), methods=["GET"]),
            Route(f"{v1}/contact_types", g(self.contact_types), methods=["GET"]),
            Route("/{path:path}", g(self.not_found), methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        ]

    async def not_found(self, request: Request) -> Response:
        return error(404, NOT_FOUND_MESSAGE)

    # -- reference endpoints (GitbookTest 1.-account-and-users/: fetch account details, list users, fetch
    # user by id; an account and a user are {id, name[, email]}) -----------------------------------------
    async def account(self, request: Request) -> Response:
        return json_response({"id": 241401, "name": "Copper Sandbox"})

    async def users(self, request: Request) -> Response:
        """POST /users/search {page_number, page_size}: a bare array of users."""
        search = await read_search(request, {"page_number", "page_size"}, self.switch)
        if isinstance(search, Response):
            return search
        _, page, size = search
        return json_response((USERS + OTHER_USERS)[(page - 1) * size:page * size])

    async def user(self, request: Request) -> Response:
        raw = request.path_params["id"]
        user = next((u for u in USERS + OTHER_USERS if str(u["id"]) == raw), None)
        return json_response(user) if user is not None else error(404, NOT_FOUND_MESSAGE)

    async def contact_types(self, request: Request) -> Response:
        return json_response(CONTACT_TYPES)

    def definitions(self) -> Definitions:
        """This data space's custom field definitions (fields.py)."""
        resource = self.resource("fields")
        assert isinstance(resource, Definitions)
        return resource


EMULATOR = CopperEmulator
