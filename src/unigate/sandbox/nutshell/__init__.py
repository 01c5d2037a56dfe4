"""Nutshell emulator: the REST API (`/rest/...`, https://app.nutshell.com/swagger.json).

One module per resource (`accounts.py`, `contacts.py`, `pipelines.py` with stagesets and stages, `leads.py`,
`notes.py`, `activities.py` with activities and activity types: `Resource`s listed in `resources`, in seeding
order, so people link to the companies seeded before them, leads to both, notes and activities to all three),
assembled here with what they share: HTTP Basic authentication
(https://developers.nutshell.com/docs/api-authentication), the error envelope recorded from a real
instance in amp-labs/connectors `providers/nutshell/test/...` (`{"meta", "links", "accounts": [],
"errors": [{id, type, code, detail, href, status, title, field}]}`), and the lookups the resources link
to (users, industries, tags, account types).

Sources: https://app.nutshell.com/swagger.json (the vendor's OpenAPI, reference pages under
https://developers.nutshell.com/reference), https://developers.nutshell.com/docs/quickstart (JSON Patch
updates), https://developers.nutshell.com/docs/filters, https://developers.nutshell.com/docs/api-authentication,
https://support.nutshell.com/en/articles/8428881-a-short-nutshell-dictionary (built-in activity types),
https://developers-rpc.nutshell.com/detail/class_core.html (what only the JSON-RPC API does: note edits, activity
deletes), and answers recorded from Nutshell in amp-labs/connectors (`providers/nutshell/test/...`). Where they disagree
or say nothing the behaviour is a switch (`SWITCHES`, set through `POST /__control/nutshell/switches`).
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox.base import Emulator, json_response
from unigate.sandbox.nutshell.accounts import (
    CREATE_STATUS, CUSTOM_FIELDS, DEFAULT_PAGE_LIMIT, DELETED_ACCOUNTS_READABLE, MAX_PAGE_LIMIT, PATCH_CONTENT_TYPE,
    PATCH_CONTENT_TYPE_ERROR, PATCH_STATUS, Accounts,
)
from unigate.sandbox.nutshell.common import (
    ACCOUNT_TYPE_NAMES, DISABLED_USER_IDS, HOST, INDUSTRY_NAMES, INSTANCE_ID, SANDBOX_API_KEY, SANDBOX_USERNAME, SITE_ID, TAG_NAMES,
    OTHER_USERS, UNAUTHORIZED_BODY, UNAUTHORIZED_HEADERS, USERS, NutshellError, format_phone,
)
from unigate.sandbox.nutshell.activities import ACTIVITY_PUT, Activities, ActivityTypes
from unigate.sandbox.nutshell.contacts import Contacts
from unigate.sandbox.nutshell.customfields import CREATE_ANSWER, DUPLICATE_NAME, TYPE_REPORTED, CustomFieldDefinitions
from unigate.sandbox.nutshell.events import EVENTS_SWITCHES, Events
from unigate.sandbox.nutshell.leads import LeadRecords, Leads
from unigate.sandbox.nutshell.notes import Notes
from unigate.sandbox.nutshell.pipelines import Stages, Stagesets
from unigate.sandbox.nutshell.users import Users

__all__ = [
    "CREATE_STATUS", "DEFAULT_PAGE_LIMIT", "DELETED_ACCOUNTS_READABLE", "EMULATOR", "HOST", "INSTANCE_ID",
    "MAX_PAGE_LIMIT", "PATCH_CONTENT_TYPE", "PATCH_CONTENT_TYPE_ERROR", "PATCH_STATUS", "SANDBOX_API_KEY",
    "SANDBOX_USERNAME", "SITE_ID", "SWITCHES", "UNAUTHORIZED_BODY", "UNAUTHORIZED_HEADERS", "NutshellEmulator", "NutshellError",
    "format_phone",
]


NOT_FOUND_PAGE = ("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\" />\n"
                  "<title>An Error Occurred: Not Found</title>\n</head>\n<body>\n<h1>Oops! An Error Occurred</h1>\n"
                  "<h2>The server returned a \"404 Not Found\".</h2>\n</body>\n</html>\n")

# Behaviours the sources leave open, the default first (each is explained where it applies).
SWITCHES: dict[str, tuple[object, ...]] = {
    # accounts.py: PATCH answers 200 with the account (recorded fixture) or 204 (swagger)
    "account_patch_status": (PATCH_STATUS, 204),
    # accounts.py, contacts.py: GET of a soft-deleted record answers it with deletedTime, or 404
    "deleted_readable": (DELETED_ACCOUNTS_READABLE, not DELETED_ACCOUNTS_READABLE),
    # contacts.py: `createdTime` shown (swagger schema) or absent (recorded answers)
    "contact_created_time": (True, False),
    # contacts.py: a contact create needs a name, a phone or an email (as accounts do), or nothing
    "contact_identity_required": (True, False),
    # activities.py: PUT /activities/{id} replaces the activity with the body (default) or keeps absent fields
    "activity_put": ACTIVITY_PUT,
    # customfields.py: POST /{entity}/customfield answers no body, or the new definition
    "customfield_create_answer": CREATE_ANSWER,
    # customfields.py: the attributes list spells a created field's type in lowercase (enum for Decision) or as sent
    "customfield_type_reported": TYPE_REPORTED,
    # customfields.py: a second definition with a name the entity already has is refused, or created
    "customfield_duplicate_name": DUPLICATE_NAME,
}


class NutshellEmulator(Emulator):
    name = "nutshell"
    resources = (Users, Accounts, Contacts, Stagesets, Stages, Leads, LeadRecords, Notes, ActivityTypes, Activities,
                 CustomFieldDefinitions)
    # events.py, the change log: seeded last (it logs the records seeded before it), with its own switches
    resources += (Events,)
    switches = {**SWITCHES, **EVENTS_SWITCHES}

    # -- data -------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        """The lookups every resource links to."""
        self.users = {uid: {"id": uid, "type": "users", "name": n, "firstName": n.split()[0], "emails": [e],
                            "isEnabled": uid not in DISABLED_USER_IDS, "isAdministrator": uid == "1-users",
                            "modifiedTime": 1677682800 + 86400 * i}
                      for i, (uid, n, e) in enumerate(USERS + OTHER_USERS)}
        self.industries = {f"{i + 1}-industries": {"id": f"{i + 1}-industries", "type": "industries", "name": n,
                                                   "modifiedTime": 1677682800}
                           for i, n in enumerate(INDUSTRY_NAMES)}
        self.tags = {f"{i + 1}-tags": {"id": f"{i + 1}-tags", "type": "tags", "name": n}
                     for i, n in enumerate(TAG_NAMES)}
        self.account_types = {f"{i + 1}-accountTypes": {"id": f"{i + 1}-accountTypes", "type": "accountTypes",
                                                        "name": n, "modifiedTime": 1677682800}
                              for i, n in enumerate(ACCOUNT_TYPE_NAMES)}
        self.custom_fields = {name: {"id": cid, "type": "customfields", "name": name, "title": name,
                                     "fieldType": kind, "choices": choices}
                              for cid, name, kind, choices in CUSTOM_FIELDS}

    # -- the account <-> contact link ----------------------------------------------------------------
    # A person's companies (`contact.links.accounts`) and a company's people (`account.links.contacts`)
    # are one relation seen from both sides (https://app.nutshell.com/swagger.json: either side's links
    # can be patched); every write through either side goes through these so both agree.
    @property
    def contacts(self) -> dict[str, dict[str, Any]]:
        """The live contacts by id (what an account may link to and sideloads)."""
        return self.resource("contacts").live_by_id()

    def link_contact_accounts(self, contact: dict[str, Any], account_ids: list[str]) -> None:
        """The contact's companies become `account_ids`; those companies list it, the others it left do not."""
        store = self.resource("accounts").store
        for account_id in set(contact["links"]["accounts"]) | set(account_ids):
            account = store.get(account_id)
            if account is None:
                continue
            people = account["links"]["contacts"]
            if account_id in account_ids and contact["id"] not in people:
                people.append(contact["id"])
            elif account_id not in account_ids and contact["id"] in people:
                people.remove(contact["id"])
        contact["links"]["accounts"] = list(account_ids)

    def link_account_contacts(self, account: dict[str, Any], contact_ids: list[str]) -> None:
        """The company's people become `contact_ids`; those people list it, the others it dropped do not."""
        store = self.resource("contacts").store
        for contact_id in set(account["links"]["contacts"]) | set(contact_ids):
            contact = store.get(contact_id)
            if contact is None:
                continue
            companies = contact["links"]["accounts"]
            if contact_id in contact_ids and account["id"] not in companies:
                companies.append(account["id"])
            elif contact_id not in contact_ids and account["id"] in companies:
                companies.remove(account["id"])
        account["links"]["contacts"] = list(contact_ids)

    def unlink_contact(self, contact: dict[str, Any]) -> None:
        """A contact in the trash: the companies stop listing it; it keeps its own links for an undelete."""
        for account_id in contact["links"]["accounts"]:
            account = self.resource("accounts").store.get(account_id)
            if account is not None and contact["id"] in account["links"]["contacts"]:
                account["links"]["contacts"].remove(contact["id"])

    # -- envelopes ---------------------------------------------------------------------------------
    def _meta(self) -> dict[str, Any]:
        return {"instanceId": INSTANCE_ID, "siteId": SITE_ID}

    def _error(self, status: int, title: str, detail: str | None = None, field: str | None = None,
               kind: str = "accounts") -> Response:
        """The error envelope, with the empty array of the entity type asked for (`"contacts": []` on
        /rest/contacts...)."""
        return json_response({"meta": self._meta(), "links": {}, kind: [], "errors": [{
            "id": None, "type": "errors", "code": None, "detail": detail, "href": None, "status": str(status),
            "title": title, "field": field}]}, status)

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if header[:6].lower() != "basic ":
            return False
        try:
            user, _, key = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user.lower() == SANDBOX_USERNAME and key == SANDBOX_API_KEY

    def _guard(self, handler):
        async def wrapped(request: Request) -> Response:
            if not self._authorized(request):
                return json_response(UNAUTHORIZED_BODY, 401, UNAUTHORIZED_HEADERS)
            try:
                return await handler(request)
            except NutshellError as exc:
                kind = request.url.path.split("/rest/", 1)[-1].split("/", 1)[0] or "accounts"
                return self._error(exc.status, exc.title, exc.detail, exc.field, kind)
        return wrapped

    def routes(self) -> list[Route]:
        g = self._guard
        return super().routes() + [
            Route("/rest/industries", g(self.list_industries), methods=["GET"]),
            Route("/rest/accounttypes", g(self.list_account_types), methods=["GET"]),
            # last: any other path is an HTML error page titled "An Error Occurred: Not Found", as recorded
            # from Nutshell (amp-labs/connectors, providers/nutshell/test/err-not-found.html)
            Route("/{rest:path}", g(self.not_found_page), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    async def not_found_page(self, request: Request) -> Response:
        return Response(NOT_FOUND_PAGE, 404, media_type="text/html; charset=UTF-8")

    # -- lookups -----------------------------------------------------------------------------------
    async def list_industries(self, request: Request) -> Response:
        return json_response(list(self.industries.values()))

    async def list_account_types(self, request: Request) -> Response:
        return json_response(list(self.account_types.values()))


EMULATOR = NutshellEmulator
