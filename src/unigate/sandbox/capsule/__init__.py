"""Capsule CRM API v2 emulator: the root stands for https://api.capsulecrm.com; paths are the
vendor's (`/api/v2/...`; https://developer.capsulecrm.com/v2/overview/authentication).

Resources: `accounts` (parties, `accounts.py`, which owns the one parties store) and `contacts`
(people, `contacts.py`: seeds people into that same store and serves an organisation's people);
`pipelines` (`pipelines.py`), `stages` (their milestones, `stages.py`) and `opportunities` (`deals.py`, each
with a party and a milestone); `engagements` (the entries: notes, calls, meetings, emails, completed tasks),
`notes` (the plain notes among them) and `engagement_types` (activity types) in `entries.py`; `tasks` (`tasks.py`);
organisations and people share one store and one set of `/parties` routes, as in Capsule. Shared by them (`common.py`, served here): bearer auth with `SANDBOX_TOKEN` or an access
token the OAuth server (`oauth.py`) issued, 401s with `WWW-Authenticate`, rate-limit headers per
token, child-record ids, users and field definitions (each in a data tag or none); any other path answers
Capsule's 404. Each entity's tags, data tags among them, are `tags.py`.

Sources (each behaviour names its own next to the rule):
- https://developer.capsulecrm.com/v2/overview/authentication (bearer tokens; 401 for an invalid or
  expired token, 403 when the token's scope does not cover the request; the body and WWW-Authenticate
  explain)
- https://developer.capsulecrm.com/v2/overview/handling-api-responses (4,000 requests per user per hour,
  X-RateLimit-* on every answer, 429 {"error": "rate limit reached"}, no Retry-After; deferred 202)
- https://developer.capsulecrm.com/v2/overview/writing-to-the-api (201 + Location, partial PUT)
- https://developer.capsulecrm.com/v2/models/party , https://developer.capsulecrm.com/v2/operations/Party ,
  https://developer.capsulecrm.com/v2/operations/listParties (party shape, embed, page/perPage 1..100,
  at most 10 ids a batch, `since`)
- live-checked notes: https://github.com/soil-dev/capsulemcp (NOTES-ON-CAPSULE-API.md, "NOTES §n")
- a tap that reads the live API: https://github.com/Matatika/tap-capsulecrm (X-Pagination-Has-More)
- https://developer.capsulecrm.com/v2/models/entry , https://developer.capsulecrm.com/v2/operations/Entry ,
  https://developer.capsulecrm.com/v2/operations/Activity_Type (entries and activity types)
- https://developer.capsulecrm.com/v2/models/task , https://developer.capsulecrm.com/v2/operations/Task (tasks)
- OAuth: https://community.cyclr.com/connector-guides/capsule/capsule-setup (authorise/token paths,
  scopes read and write), https://developer.capsulecrm.com/v2/overview/basic-auth-migrate (`subdomain`)

Where those sources leave a behaviour open, the emulator has a switch (`switches`, set through
`POST /__control/capsule/switches`; the first value is the default):
- `per_page_over_max`: a `perPage` above 100 is clamped (`clamp`) or refused with 400 (`refuse`);
- `batch_unknown_id`: a batch `GET /parties/{id},{id}` naming an unknown id answers 404 for the whole
  call (`not_found`, what the Pipeline page documents for its batch) or leaves the id out (`left_out`);
- `too_many_ids_status`: the status of "too many ids" (more than 10 in a batch): 400 or 422;
- `party_delete`: `DELETE /parties/{id}` deletes at once, 204 (`immediate`), or answers 202 Accepted with
  the job's `Location` (`deferred`, the deferred answer handling-api-responses describes);
- `since_comparison`: a list's `since` keeps what changed at or after it (`inclusive`, what the Singer tap's
  one-second step suggests) or only after it (`exclusive`, the docs' "changed after this date").
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, Resource, bearer_token, json_response, member, read_json
from unigate.sandbox.capsule.accounts import Parties
from unigate.sandbox.capsule.contacts import People
from unigate.sandbox.capsule.deals import FIELD_DEFINITIONS as OPPORTUNITY_FIELD_DEFINITIONS
from unigate.sandbox.capsule.deals import Opportunities
from unigate.sandbox.capsule.entries import ActivityTypes, Entries, Notes
from unigate.sandbox.capsule.tasks import Tasks
from unigate.sandbox.capsule.pipelines import Pipelines
from unigate.sandbox.capsule.stages import Stages
from unigate.sandbox.capsule.tags import DATA_TAGS, DEFINITION_TAGS, FIRST_TAG_ID, NAMESPACES, Tags
from unigate.sandbox.capsule.common import (
    AUTH_INVALID_MESSAGE,
    AUTH_MISSING_MESSAGE,
    DEFINITION_TYPES,
    FIELD_DEFINITIONS,
    INSUFFICIENT_SCOPE_MESSAGE,
    NOT_FOUND_ROUTE_MESSAGE,
    OTHER_USERS,
    RATE_LIMIT,
    RATE_LIMIT_BODY,
    RATE_LIMIT_WINDOW_SECONDS,
    RESOURCE_NOT_FOUND_MESSAGE,
    SANDBOX_TOKEN,
    TOO_MANY_IDS_STATUS,
    USER_DETAILS,
    USERS,
    WWW_AUTHENTICATE_INSUFFICIENT_SCOPE,
    WWW_AUTHENTICATE_INVALID,
    WWW_AUTHENTICATE_MISSING,
    answer,
    error,
    validation_error,
)
from unigate.sandbox.capsule.oauth import OAUTH_PROFILE

__all__ = ["AUTH_INVALID_MESSAGE", "AUTH_MISSING_MESSAGE", "EMULATOR", "INSUFFICIENT_SCOPE_MESSAGE", "OAUTH_PROFILE",
           "RATE_LIMIT_BODY", "SANDBOX_TOKEN", "TOO_MANY_IDS_STATUS", "USERS", "WWW_AUTHENTICATE_INVALID",
           "CapsuleEmulator"]


class FieldDefinitions(Resource):
    """`fields`: the custom field definitions of parties and of opportunities, held by the emulator (`definitions`,
    set up before any record is seeded, since seeded values name them); this resource serves their routes and shows
    them to the control API, each with its `namespace`."""

    name: ClassVar[str] = "fields"
    default_seed_count: ClassVar[int | None] = 0
    emulator: CapsuleEmulator

    def seed(self, count: int) -> None:
        """The definitions are the account's configuration (reset_state), whatever the record count."""

    def snapshot(self) -> list[dict[str, Any]]:
        return [{"namespace": namespace, **d} for namespace, found in self.emulator.definitions.items() for d in found]

    def routes(self) -> list[Route]:
        return [*self.emulator.definition_routes("parties"), *self.emulator.definition_routes("opportunities")]


class CapsuleEmulator(Emulator):
    name: ClassVar[str] = "capsule"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    # FieldDefinitions and Tags first: their `/parties/fields/definitions` and `/parties/tags` routes come before the
    # parties' `/parties/{ids}`, which would take "tags" for an id.
    resources: ClassVar[tuple[type[Resource], ...]] = (FieldDefinitions, Tags, Parties, People, Pipelines, Stages, Opportunities,
                                                       ActivityTypes, Entries, Notes, Tasks)
    # Behaviours Capsule's documentation leaves open (module docstring); the default first.
    switches: ClassVar[dict[str, tuple[Any, ...]]] = {
        "per_page_over_max": ("clamp", "refuse"),
        "batch_unknown_id": ("not_found", "left_out"),
        "too_many_ids_status": (TOO_MANY_IDS_STATUS, 422),
        "party_delete": ("immediate", "deferred"),
        "since_comparison": ("inclusive", "exclusive"),
    }

    def reset_state(self) -> None:
        self.next_child_id = 5_000_001
        # namespace (parties, opportunities) -> name (lower) -> {"id", "name", "description", "dataTag"}; the data
        # tags first (tags.py)
        self.tags: dict[str, dict[str, dict[str, Any]]] = {namespace: {} for namespace in NAMESPACES}
        self.next_tag_id = FIRST_TAG_ID
        for namespace, data_tags in DATA_TAGS.items():
            for name, description in data_tags:
                self.tag(name, namespace)["description"] = description
                self.tags[namespace][name.lower()]["dataTag"] = True
        # Requests per (token, hour window): 4,000 a user an hour (handling-api-responses).
        self.requests_used: dict[tuple[str, int], int] = {}
        # Custom field definitions, one namespace per entity (https://developer.capsulecrm.com/v2/operations/Custom_Field):
        # this space's own copy, which POST …/fields/definitions adds to.
        self.definitions: dict[str, list[dict[str, Any]]] = {
            namespace: [{**d, **({"options": list(d["options"])} if "options" in d else {}),
                         **({"tagId": self.tags[namespace][DEFINITION_TAGS[namespace, d["id"]].lower()]["id"]}
                            if (namespace, d["id"]) in DEFINITION_TAGS else {})}
                        for d in seeded]
            for namespace, seeded in (("parties", FIELD_DEFINITIONS), ("opportunities", OPPORTUNITY_FIELD_DEFINITIONS))
        }

    def routes(self) -> list[Route]:
        g = self.guarded
        return [
            *super().routes(),
            Route("/api/v2/users", g(self.list_users), methods=["GET"]),
            Route("/api/v2/users/current", g(self.current_user), methods=["GET"]),
            Route("/api/v2/users/{id}", g(self.show_user), methods=["GET"]),
            Route("/{path:path}", g(self.not_found),
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        ]

    # -- ids and tenant-wide data ----------------------------------------------------------------------
    def child_id(self) -> int:
        """The id of a nested item (address, phone, field value...), unique across the account."""
        value = self.next_child_id
        self.next_child_id += 1
        return value

    def tag(self, name: str, namespace: str = "parties") -> dict[str, Any]:
        """A tag of `namespace` (parties, opportunities) by name, added when new: one id per name, shared by every
        record of the entity (NOTES §20); ids are unique across the account."""
        key = name.strip().lower()
        tag = self.tags[namespace].get(key)
        if tag is None:
            tag = {"id": self.next_tag_id, "name": name.strip(), "description": None, "dataTag": False}
            self.next_tag_id += 1
            self.tags[namespace][key] = tag
        return tag

    # -- auth and rate limits --------------------------------------------------------------------------
    def count_request(self, token: str) -> tuple[int, dict[str, str]]:
        """Count a request of `token` in the current hour window: (requests so far in it, the
        X-RateLimit-* headers every answer carries)."""
        window = int(time.time()) // RATE_LIMIT_WINDOW_SECONDS
        used = self.requests_used.get((token, window), 0) + 1
        self.requests_used[(token, window)] = used
        return used, {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(RATE_LIMIT - used, 0)),
            "X-RateLimit-Reset": str((window + 1) * RATE_LIMIT_WINDOW_SECONDS),
        }

    def authenticate(self, request: Request) -> Response | None:
        token = bearer_token(request)
        if token is None:
            return json_response({"message": AUTH_MISSING_MESSAGE}, 401,
                                 headers={"WWW-Authenticate": WWW_AUTHENTICATE_MISSING})
        if token != SANDBOX_TOKEN and not self.issued_access_token(token):
            return json_response({"message": AUTH_INVALID_MESSAGE}, 401,
                                 headers={"WWW-Authenticate": WWW_AUTHENTICATE_INVALID})
        used, headers = self.count_request(token)
        if used > RATE_LIMIT:
            # handling-api-responses: 429 {"error": "rate limit reached"}, wait for X-RateLimit-Reset.
            return json_response(RATE_LIMIT_BODY, 429, headers=headers)
        if not self.scope_allows(token, request):
            return json_response({"message": INSUFFICIENT_SCOPE_MESSAGE}, 403,
                                 headers={**headers, "WWW-Authenticate": WWW_AUTHENTICATE_INSUFFICIENT_SCOPE})
        request.state.rate_headers = headers
        return None

    def scope_allows(self, token: str, request: Request) -> bool:
        """An OAuth token granted scopes without `write` reads only (authentication page: 403 when "you
        don't have enough scope"). A structured filter is a POST that reads. Tokens granted no scope, and
        personal access tokens, are the user's own and may write."""
        issued = self.oauth.access_tokens.get(token) if self.oauth is not None else None
        if issued is None or not issued.scope:
            return True
        if request.method in ("GET", "HEAD", "OPTIONS") or request.url.path.endswith("/filters/results"):
            return "read" in issued.scope.split() or "write" in issued.scope.split()
        return "write" in issued.scope.split()

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
    def render_definitions(self, namespace: str) -> list[dict[str, Any]]:
        """`namespace`'s definitions as https://developer.capsulecrm.com/v2/models/field_definition shows them: a
        definition in a data tag names it (`tag: {id, name, dataTag}`), else `tag` is null."""
        data_tags = {t["id"]: t for t in self.tags[namespace].values() if t["dataTag"]}
        return [{"id": d["id"], "name": d["name"], "type": d["type"], "options": d.get("options", []),
                 "description": d.get("description"),
                 "tag": ({k: data_tags[d["tagId"]][k] for k in ("id", "name", "dataTag")}
                         if d.get("tagId") in data_tags else None),
                 "important": False, "displayOrder": n + 1,
                 **({"captureRule": d["captureRule"]} if "captureRule" in d else {})}
                for n, d in enumerate(self.definitions[namespace])]

    def definition(self, namespace: str, definition_id: Any) -> dict[str, Any] | None:
        """The definition `definition_id` of `namespace` (parties, opportunities), or None."""
        return next((d for d in self.definitions[namespace] if d["id"] == definition_id), None)

    def definition_routes(self, namespace: str) -> list[Route]:
        """`GET` (list), `POST` (create) `/{namespace}/fields/definitions` and `GET …/{fieldId}`."""
        g = self.guarded
        path = f"/api/v2/{namespace}/fields/definitions"

        async def listed(request: Request) -> Response:
            return answer(request, {"definitions": self.render_definitions(namespace)})

        async def one(request: Request) -> Response:
            found = [d for d in self.render_definitions(namespace)
                     if str(d["id"]) == request.path_params["id"]]
            return answer(request, {"definition": found[0]}) if found else error(request, 404, RESOURCE_NOT_FOUND_MESSAGE)

        async def create(request: Request) -> Response:
            return await self.create_definition(request, namespace)

        return [Route(path, g(listed), methods=["GET"]), Route(path, g(create), methods=["POST"]),
                Route(f"{path}/{{id}}", g(one), methods=["GET"])]

    async def create_definition(self, request: Request, namespace: str) -> Response:
        """`POST /{entity}/fields/definitions` with `{"definition": {...}}`: 201, the stored definition and its
        `Location` (https://developer.capsulecrm.com/v2/operations/Custom_Field; the model:
        https://developer.capsulecrm.com/v2/models/field_definition). `name` and `type` (text, date, list, boolean,
        number, link, large_text) are required; `options` (plain strings) go with a list; `captureRule` (person,
        organisation) is a party field's only. Capsule's wording of each refusal is not documented [unverified]."""
        body = await read_json(request)
        wrapped = body.get("definition") if isinstance(body, dict) else None
        if not isinstance(wrapped, dict):
            return validation_error(request, [{"message": "definition is required", "resource": "definition",
                                               "field": "definition"}])
        problems: list[dict[str, Any]] = []

        def refuse(field: str, message: str) -> None:
            problems.append({"message": message, "resource": "definition", "field": field})

        name = wrapped.get("name")
        if not isinstance(name, str) or not name.strip():
            refuse("name", "name is required")
        elif any(d["name"].lower() == name.strip().lower() for d in self.definitions[namespace]):
            # A second definition of the same name would make values by name ambiguous [unverified refusal].
            refuse("name", "name already exists")
        kind = wrapped.get("type")
        kind = kind.upper() if isinstance(kind, str) else None
        if not member(kind, DEFINITION_TYPES):
            refuse("type", "type is invalid")
        options = wrapped.get("options")
        if kind == "LIST" and (not isinstance(options, list) or not options
                               or not all(isinstance(o, str) and o.strip() for o in options)):
            refuse("options", "options must be a list of values")  # a list with no options [unverified refusal]
        description = wrapped.get("description")
        if description is not None and not isinstance(description, str):
            refuse("description", "description must be text")
        capture = wrapped.get("captureRule")
        if capture is not None and (namespace != "parties" or capture not in ("person", "organisation")):
            refuse("captureRule", "captureRule is invalid")
        # A new definition may go into a data tag, named by id or name (the Create Custom Field Definition example;
        # https://developer.capsulecrm.com/v2/models/field_definition: tag). The refusal's wording is [unverified].
        tag = wrapped.get("tag")
        tag_id = None
        if tag is not None:
            ref = tag if isinstance(tag, dict) else {}
            wanted_name = ref.get("name").strip().lower() if isinstance(ref.get("name"), str) else None
            found_tag = next((t for t in self.tags[namespace].values() if t["dataTag"] and (
                (ref.get("id") is not None and str(t["id"]) == str(ref.get("id"))) or t["name"].lower() == wanted_name)),
                None)
            if found_tag is None:
                refuse("tag", "tag not found")
            else:
                tag_id = found_tag["id"]
        if problems:
            return validation_error(request, problems)
        definition: dict[str, Any] = {"id": max((d["id"] for d in self.definitions[namespace]), default=0) + 1,
                                      "name": name.strip(), "type": kind}
        if kind == "LIST":
            definition["options"] = list(options)  # options on another type are not kept [unverified]
        if description is not None:
            definition["description"] = description
        if capture is not None:
            definition["captureRule"] = capture
        if tag_id is not None:
            definition["tagId"] = tag_id
        self.definitions[namespace].append(definition)
        shown = self.render_definitions(namespace)[-1]
        location = f"https://api.capsulecrm.com/api/v2/{namespace}/fields/definitions/{definition['id']}"
        return answer(request, {"definition": shown}, 201, {"Location": location})

    def all_users(self) -> list[dict[str, Any]]:
        """Every user with what `/users` shows of them (https://developer.capsulecrm.com/v2/models/user)."""
        return [{**u, **USER_DETAILS.get(u["id"], {})} for u in USERS] + [dict(u) for u in OTHER_USERS]

    async def list_users(self, request: Request) -> Response:
        """`GET /users`: every user in one answer; it has no paging parameters
        (https://developer.capsulecrm.com/v2/operations/User), so `page`/`perPage` change nothing."""
        return answer(request, {"users": self.all_users()})

    async def show_user(self, request: Request) -> Response:
        found = [u for u in self.all_users() if str(u["id"]) == request.path_params["id"]]
        return answer(request, {"user": found[0]}) if found else error(request, 404, RESOURCE_NOT_FOUND_MESSAGE)

    async def current_user(self, request: Request) -> Response:
        return answer(request, {"user": self.all_users()[0]})


EMULATOR = CapsuleEmulator
