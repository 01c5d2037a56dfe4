"""Capsule CRM emulator: API v2 parties (organisations and people share one collection).

Root stands for https://api.capsulecrm.com; paths are the vendor's (`/api/v2/parties...`).
Sources: research crm-apis-1.md §5 and §6; developer.capsulecrm.com/v2 (authentication,
handling-api-responses, writing-to-the-api, operations/Party, models/party); live-verified notes in
soil-dev/capsulemcp NOTES-ON-CAPSULE-API.md (cited as "NOTES §n").

Behaviours the research marks unverified are module constants or small methods named after what
they decide, so they are easy to change once a live account confirms them.
"""

from __future__ import annotations

import time
from itertools import islice
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, bearer_token, json_response, read_json

# -- credentials ------------------------------------------------------------------------------------
SANDBOX_TOKEN = "sandbox-capsule-token"
"""The fixed bearer token the sandbox accepts (a Personal Access Token); OAuth access tokens the
sandbox's OAuth server issued are accepted until they expire."""

# -- OAuth 2 (research/crm-apis-1.md §5.1) -----------------------------------------------------------
OAUTH_AUTHORIZE_PATH = "/oauth/authorise"   # https://api.capsulecrm.com/oauth/authorise (British spelling) [verified]
OAUTH_TOKEN_PATH = "/oauth/token"           # https://api.capsulecrm.com/oauth/token [verified]
# "Lifetime value not confirmed (often reported ≈7 days)" [unverified].
OAUTH_ACCESS_TOKEN_TTL = 7 * 24 * 3600
# Research is silent on rotation; the sandbox rotates, the behaviour a client must survive [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
# The token response names the account's `subdomain` [verified]. The API host is global (§5.1), so
# the value only identifies the account; the sandbox account's subdomain is this placeholder.
OAUTH_SUBDOMAIN = "sandbox"
OAUTH_PROFILE = _oauth.OAuthProfile(
    name="capsule",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    client_auth=frozenset({"body"}),       # client_id/client_secret form fields [verified, tap-capsulecrm]
    token_type="bearer",
    token_extras=lambda request: {"subdomain": OAUTH_SUBDOMAIN},
    # token errors: RFC 6749 §5.2 bodies and statuses [unverified: research records none]
)

# -- auth failures ----------------------------------------------------------------------------------
# developer.capsulecrm.com/v2/overview/authentication: invalid/expired token -> 401, and "the body and
# WWW-Authenticate header will include additional information about the error". The exact wording is
# not published [unverified]; these follow RFC 6750, which the OAuth 2 bearer scheme uses.
AUTH_MISSING_MESSAGE = "authentication required"
AUTH_INVALID_MESSAGE = "invalid or expired access token"
WWW_AUTHENTICATE_MISSING = 'Bearer realm="Capsule"'
WWW_AUTHENTICATE_INVALID = 'Bearer realm="Capsule", error="invalid_token", error_description="The access token is invalid or has expired"'

# -- errors -------------------------------------------------------------------------------------------
NOT_FOUND_ROUTE_MESSAGE = "Could not find resource"   # NOTES §5 (GET /users/me)
PARTY_NOT_FOUND_MESSAGE = "party not found"           # NOTES §24 [observed wording]
VALIDATION_MESSAGE = "Validation Failed"              # NOTES §1, §2, §13: "422 Validation Failed: ..."
TOO_MANY_IDS_MESSAGE = "too many ids"                 # NOTES §12; status code not documented [unverified]
TOO_MANY_IDS_STATUS = 400

# -- pagination -----------------------------------------------------------------------------------------
DEFAULT_PER_PAGE = 50   # listParties: perPage default 50
MAX_PER_PAGE = 100      # listParties: perPage 1..100
# What Capsule does with perPage > 100 is not documented [unverified]; the sandbox clamps.
CLAMP_PER_PAGE = True
MAX_BATCH_IDS = 10      # GET /parties/{ids}: "can contain at most 10 values" (NOTES §12)

# -- rate limits ------------------------------------------------------------------------------------------
# handling-api-responses: 4,000 requests per user per hour; X-RateLimit-Limit/-Remaining/-Reset (UTC
# epoch seconds) on every successful response; 429 body {"error":"rate limit reached"}; no Retry-After.
RATE_LIMIT = 4000
RATE_LIMIT_WINDOW_SECONDS = 3600
RATE_LIMIT_BODY = {"error": "rate limit reached"}

# Delete can be deferred (202 Accepted + Location: /api/v2/jobs/{uuid}) per handling-api-responses;
# the sandbox always deletes at once (204), as Capsule does for a single party in practice.
DELETE_STATUS = 204

# -- reference data ---------------------------------------------------------------------------------------
USERS: list[dict[str, Any]] = [
    {"id": 61201, "username": "alex.morgan", "name": "Alex Morgan", "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png"},
    {"id": 61202, "username": "priya.shah", "name": "Priya Shah", "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png"},
    {"id": 61203, "username": "tom.becker", "name": "Tom Becker", "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png"},
]
USERS_BY_ID = {u["id"]: u for u in USERS}

# Custom field definitions for parties (GET /parties/fields/definitions, NOTES §9). Capsule has no
# native industry or headcount; tenants keep them as custom fields like these.
FIELD_DEFINITIONS: list[dict[str, Any]] = [
    {"id": 801, "name": "Industry", "type": "LIST", "options": ["Software", "Manufacturing", "Retail", "Healthcare", "Logistics", "Finance", "Education", "Energy"]},
    {"id": 802, "name": "Employees", "type": "NUMBER"},
    {"id": 803, "name": "Customer Since", "type": "DATE"},
    {"id": 804, "name": "Key Account", "type": "BOOLEAN"},
    {"id": 805, "name": "Account Code", "type": "TEXT"},
]
FIELD_DEFINITIONS_BY_ID = {d["id"]: d for d in FIELD_DEFINITIONS}

# Countries must be in Capsule's country dictionary, else 422 (capsulemcp tool docs, research §5.4).
# A subset of that dictionary (GET /api/v2/countries) is enough for the sandbox.
COUNTRIES = [
    "United States", "United Kingdom", "Canada", "Germany", "France", "Netherlands", "Ireland", "Spain",
    "Italy", "Sweden", "Norway", "Denmark", "Australia", "New Zealand", "Japan", "India", "Brazil",
    "Mexico", "Switzerland", "Austria", "Belgium", "Portugal", "Poland", "Singapore", "South Africa",
]
_COUNTRY_LOOKUP = {c.lower(): c for c in COUNTRIES}

ADDRESS_TYPES = ["Home", "Office", "Postal", "Billing", "Shipping"]
PHONE_TYPES = ["Home", "Work", "Mobile", "Fax", "Direct"]
WEBSITE_SERVICES = ["URL", "SKYPE", "TWITTER", "LINKED_IN", "FACEBOOK", "XING", "FEED", "GOOGLE_PLUS",
                    "FLICKR", "GITHUB", "YOUTUBE", "INSTAGRAM", "PINTEREST"]

SEED_EPOCH = 1_600_000_000  # 2020-09-13T12:26:40Z: seeded createdAt values count up from here
FIRST_PARTY_ID = 180_000_001

_NAME_A = ["Acme", "Northwind", "Bluefin", "Harbor", "Granite", "Silverline", "Evergreen", "Kestrel",
           "Lumen", "Orchard", "Pioneer", "Quartz", "Redwood", "Summit", "Tidewater", "Vantage",
           "Willow", "Zephyr", "Cobalt", "Meridian", "Atlas", "Beacon", "Cedar", "Delta"]
_NAME_B = ["Analytics", "Logistics", "Foods", "Robotics", "Health", "Capital", "Energy", "Textiles",
           "Software", "Labs", "Freight", "Studios", "Partners", "Systems", "Outfitters", "Biotech"]
_SUFFIX = ["Ltd", "Inc", "GmbH", "LLC", "plc", "BV", "SA", "Co"]
_CITIES = [("Boston", "MA", "02110", "United States"), ("London", None, "EC1A 1BB", "United Kingdom"),
           ("Toronto", "ON", "M5H 2N2", "Canada"), ("Berlin", None, "10115", "Germany"),
           ("Lyon", None, "69002", "France"), ("Amsterdam", None, "1012 JS", "Netherlands"),
           ("Dublin", None, "D02 X285", "Ireland"), ("Austin", "TX", "78701", "United States"),
           ("Sydney", "NSW", "2000", "Australia"), ("Denver", "CO", "80202", "United States")]
_STREETS = ["Market Street", "High Street", "King Street", "Harbour Road", "Elm Avenue", "Mill Lane",
            "Station Road", "Queen Street", "Bridge Street", "Park Avenue"]
_FIRST = ["Maya", "Liam", "Sofia", "Noah", "Ava", "Ethan", "Isla", "Lucas", "Zoe", "Owen", "Nora", "Felix"]
_LAST = ["Patel", "Nguyen", "Schmidt", "O'Brien", "Rossi", "Kowalski", "Tanaka", "Silva", "Dubois", "Hughes"]
_TAGS = ["Customer", "Prospect", "Partner", "Supplier", "VIP", "Churn Risk"]


def iso(ts: float) -> str:
    """Capsule's timestamp format: ISO-8601 UTC, second precision, `Z` (e.g. 2015-11-30T16:20:05Z)."""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class CapsuleEmulator(Emulator):
    name = "capsule"
    oauth_profile = OAUTH_PROFILE

    def reset(self, count: int | None = None) -> None:
        self.next_party_id = FIRST_PARTY_ID
        self.next_child_id = 5_000_001
        self.tags: dict[str, dict[str, Any]] = {}      # name (lower) -> {"id", "name", "description", "dataTag"}
        self.next_tag_id = 90_001
        self.deleted: list[dict[str, Any]] = []         # tombstones for GET /parties/deleted
        self.requests_used: dict[str, int] = {}         # per token, for X-RateLimit-Remaining
        super().reset(count)

    # -- ids and reference data ----------------------------------------------------------------------
    def _party_id(self) -> int:
        value = self.next_party_id
        self.next_party_id += 1
        return value

    def _child_id(self) -> int:
        value = self.next_child_id
        self.next_child_id += 1
        return value

    def _tag(self, name: str) -> dict[str, Any]:
        """Tags are tenant-global: one id per name, shared by every party (NOTES §20)."""
        key = name.strip().lower()
        tag = self.tags.get(key)
        if tag is None:
            tag = {"id": self.next_tag_id, "name": name.strip(), "description": None, "dataTag": False}
            self.next_tag_id += 1
            self.tags[key] = tag
        return tag

    # -- seed -----------------------------------------------------------------------------------------
    def seed(self, count: int) -> None:
        """`count` organisations, with a person after every third one (one collection holds both)."""
        for i in range(count):
            org = self._seed_organisation(i)
            self.records[str(org["id"])] = org
            if i % 3 == 2:
                person = self._seed_person(i, org)
                self.records[str(person["id"])] = person

    def _seed_organisation(self, i: int) -> dict[str, Any]:
        name = f"{_NAME_A[i % len(_NAME_A)]} {_NAME_B[(i // len(_NAME_A)) % len(_NAME_B)]} {_SUFFIX[i % len(_SUFFIX)]}"
        if i >= len(_NAME_A) * len(_NAME_B):
            name = f"{name} {i // (len(_NAME_A) * len(_NAME_B)) + 1}"
        slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
        city, state, zip_code, country = _CITIES[i % len(_CITIES)]
        created = SEED_EPOCH + i * 3_607
        owner = USERS[i % len(USERS)] if i % 7 != 6 else None
        addresses = [{
            "id": self._child_id(), "type": "Office",
            "street": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}" + (f"\nSuite {200 + i % 50}" if i % 2 == 0 else ""),
            "city": city, "state": state, "country": country, "zip": zip_code,
        }]
        if i % 4 == 0:
            addresses.append({"id": self._child_id(), "type": "Billing", "street": f"PO Box {1000 + i}",
                              "city": city, "state": state, "country": country, "zip": zip_code})
        phones = [{"id": self._child_id(), "type": "Work", "number": f"+1 617 555 {i % 10000:04d}"}]
        if i % 3 == 0:
            phones.append({"id": self._child_id(), "type": "Fax", "number": f"+1 617 556 {i % 10000:04d}"})
        websites = [{"id": self._child_id(), "type": "Work", "service": "URL", "address": f"https://www.{slug}.example",
                     "url": f"https://www.{slug}.example"}]
        if i % 2 == 1:
            websites.append({"id": self._child_id(), "type": None, "service": "LINKED_IN", "address": slug,
                             "url": f"http://www.linkedin.com/company/{slug}"})
        if i % 5 == 0:
            websites.append({"id": self._child_id(), "type": None, "service": "TWITTER", "address": slug[:15],
                             "url": f"http://twitter.com/{slug[:15]}"})
        tags = [self._tag(_TAGS[i % len(_TAGS)])]
        if i % 4 == 1:
            tags.append(self._tag(_TAGS[(i + 2) % len(_TAGS)]))
        industry = FIELD_DEFINITIONS[0]["options"][i % 8]
        fields = [
            self._field_value(801, industry),
            self._field_value(802, str(10 + (i * 37) % 4990)),  # NUMBER values come back as strings (NOTES §22)
            self._field_value(805, f"AC-{10000 + i}"),
        ]
        if i % 2 == 0:
            fields.append(self._field_value(803, iso(created + 86_400 * 30)[:10]))
            fields.append(self._field_value(804, i % 4 == 0))
        return {
            "id": self._party_id(),
            "type": "organisation",
            "name": name,
            "about": f"{name} is a {industry.lower()} business based in {city}.",
            "pictureURL": "https://capsulecrm.com/theme/default/images/org_avatar_70.png",
            "thumbnailURL": "https://capsulecrm.com/theme/default/images/org_avatar_30.png",
            "createdAt": iso(created),
            "updatedAt": iso(created + 86_400 + i % 1000),
            "lastContactedAt": iso(created + 172_800 + i % 500) if i % 6 != 5 else None,
            "owner": dict(owner) if owner else None,
            "team": None,
            "addresses": addresses,
            "phoneNumbers": phones,
            "websites": websites,
            "emailAddresses": [{"id": self._child_id(), "type": "Work", "address": f"info@{slug}.example"}],
            "tags": tags,
            "fields": fields,
        }

    def _seed_person(self, i: int, org: dict[str, Any]) -> dict[str, Any]:
        first, last = _FIRST[i % len(_FIRST)], _LAST[i % len(_LAST)]
        created = SEED_EPOCH + i * 3_607 + 600
        return {
            "id": self._party_id(),
            "type": "person",
            "title": None,
            "firstName": first,
            "lastName": last,
            "jobTitle": "Head of Operations",
            "about": None,
            "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png",
            "thumbnailURL": "https://capsulecrm.com/theme/default/images/person_avatar_30.png",
            "organisation": {"id": org["id"], "name": org["name"], "pictureURL": org["pictureURL"]},
            "createdAt": iso(created),
            "updatedAt": iso(created + 3_600),
            "lastContactedAt": None,
            "owner": dict(USERS[0]),
            "team": None,
            "addresses": [],
            "phoneNumbers": [{"id": self._child_id(), "type": "Mobile", "number": f"+1 617 557 {i % 10000:04d}"}],
            "websites": [],
            "emailAddresses": [{"id": self._child_id(), "type": "Work",
                                "address": f"{first.lower()}.{last.lower().replace(chr(39), '')}@example.com"}],
            "tags": [],
            "fields": [],
        }

    def _field_value(self, definition_id: int, value: Any) -> dict[str, Any]:
        definition = FIELD_DEFINITIONS_BY_ID[definition_id]
        return {"id": self._child_id(), "definition": {"id": definition["id"], "name": definition["name"]},
                "value": value, "tagId": None}

    # -- rendering ------------------------------------------------------------------------------------
    @staticmethod
    def embeds(request: Request) -> set[str]:
        return {part.strip() for part in request.query_params.get("embed", "").split(",") if part.strip()}

    def render(self, party: dict[str, Any], embed: set[str]) -> dict[str, Any]:
        """A party as the API shows it: `tags` only with embed=tags, `fields` only with embed=fields."""
        out = {k: v for k, v in party.items() if k not in ("tags", "fields")}
        if "tags" in embed:
            out["tags"] = party["tags"]
        if "fields" in embed:
            out["fields"] = party["fields"]
        if "missingImportantFields" in embed:
            out["missingImportantFields"] = not party.get("addresses") or not party.get("phoneNumbers")
        return out

    # -- HTTP helpers ---------------------------------------------------------------------------------
    def rate_headers(self, token: str) -> dict[str, str]:
        used = self.requests_used.get(token, 0) + 1
        self.requests_used[token] = used
        window_end = (int(time.time()) // RATE_LIMIT_WINDOW_SECONDS + 1) * RATE_LIMIT_WINDOW_SECONDS
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(RATE_LIMIT - used, 0)),
            "X-RateLimit-Reset": str(window_end),
        }

    def answer(self, request: Request, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        merged = dict(request.state.rate_headers)
        merged.update(headers or {})
        return json_response(body, status=status, headers=merged)

    def error(self, request: Request, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
        body: dict[str, Any] = {"message": message}
        if errors is not None:
            body["errors"] = errors
        return self.answer(request, body, status)

    def validation_error(self, request: Request, errors: list[dict[str, Any]]) -> Response:
        """422 with Capsule's validation shape (research §5.3)."""
        return self.error(request, 422, VALIDATION_MESSAGE, errors)

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

    def find(self, raw_id: str) -> dict[str, Any] | None:
        if not raw_id.isdigit():
            return None
        return self.records.get(str(int(raw_id)))

    # -- routes -----------------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        g = self.guarded
        return [
            Route("/api/v2/parties", g(self.list_parties), methods=["GET"]),
            Route("/api/v2/parties", g(self.create_party), methods=["POST"]),
            Route("/api/v2/parties/deleted", g(self.deleted_parties), methods=["GET"]),
            Route("/api/v2/parties/fields/definitions", g(self.field_definitions), methods=["GET"]),
            Route("/api/v2/parties/{ids}", g(self.show_parties), methods=["GET"]),
            Route("/api/v2/parties/{id}", g(self.update_party), methods=["PUT"]),
            Route("/api/v2/parties/{id}", g(self.delete_party), methods=["DELETE"]),
            Route("/api/v2/users", g(self.list_users), methods=["GET"]),
            Route("/api/v2/users/current", g(self.current_user), methods=["GET"]),
            Route("/api/v2/tags", g(self.list_tags), methods=["GET"]),
            Route("/{path:path}", g(self.not_found),
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        ]

    async def not_found(self, request: Request) -> Response:
        return self.error(request, 404, NOT_FOUND_ROUTE_MESSAGE)

    # -- list -------------------------------------------------------------------------------------------
    def page_params(self, request: Request) -> tuple[int, int] | Response:
        try:
            page = int(request.query_params.get("page", "1"))
            per_page = int(request.query_params.get("perPage", str(DEFAULT_PER_PAGE)))
        except ValueError:
            return self.error(request, 400, "page and perPage must be integers")
        if page < 1 or per_page < 1:
            return self.error(request, 400, "page and perPage must be positive")
        if per_page > MAX_PER_PAGE:
            if not CLAMP_PER_PAGE:
                return self.error(request, 400, f"perPage must be at most {MAX_PER_PAGE}")
            per_page = MAX_PER_PAGE
        return page, per_page

    def next_link(self, request: Request, page: int, per_page: int) -> str:
        """`Link: <…/parties?page=N&perPage=M>; rel="next"` (RFC 5988; NOTES §14). Other query
        parameters (embed, since) are carried over so the next page reads the same way."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "perPage")]
        params += [("page", str(page + 1)), ("perPage", str(per_page))]
        url = request.url.replace(query=urlencode(params, safe=","))
        return f'<{url}>; rel="next"'

    async def list_parties(self, request: Request) -> Response:
        paging = self.page_params(request)
        if isinstance(paging, Response):
            return paging
        page, per_page = paging
        since_raw = request.query_params.get("since")
        start = (page - 1) * per_page
        if since_raw:
            since = parse_iso(since_raw)
            if since is None:
                return self.validation_error(request, [{"message": "since is invalid", "resource": "party", "field": "since"}])
            cutoff = iso(since.timestamp())
            matching = [p for p in self.records.values() if p["updatedAt"] >= cutoff]
            window = matching[start:start + per_page + 1]
        else:
            values = self.records.values()
            window = list(_islice(values, start, start + per_page + 1))
        has_next = len(window) > per_page
        embed = self.embeds(request)
        body = {"parties": [self.render(p, embed) for p in window[:per_page]]}
        headers = {"Link": self.next_link(request, page, per_page)} if has_next else {}
        return self.answer(request, body, headers=headers)

    # -- show (one or up to ten) -----------------------------------------------------------------------------
    async def show_parties(self, request: Request) -> Response:
        raw = request.path_params["ids"]
        embed = self.embeds(request)
        if "," in raw:
            ids = [part for part in raw.split(",") if part]
            if len(ids) > MAX_BATCH_IDS:
                return self.error(request, TOO_MANY_IDS_STATUS, TOO_MANY_IDS_MESSAGE)
            found = [self.find(part) for part in ids]
            parties = [self.render(p, embed) for p in found if p is not None]
            return self.answer(request, {"parties": parties})
        party = self.find(raw)
        if party is None:
            return self.error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        return self.answer(request, {"party": self.render(party, embed)})

    # -- create -----------------------------------------------------------------------------------------
    async def create_party(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("party"), dict):
            return self.error(request, 400, "request body must be a JSON object with a party")
        data = body["party"]
        errors: list[dict[str, Any]] = []
        kind = data.get("type")
        if kind not in ("person", "organisation"):
            errors.append({"message": "type is required", "resource": "party", "field": "type"})
        elif kind == "organisation" and not str(data.get("name") or "").strip():
            errors.append({"message": "name is required", "resource": "party", "field": "name"})
        elif kind == "person" and not (str(data.get("firstName") or "").strip() or str(data.get("lastName") or "").strip()):
            errors.append({"message": "firstName or lastName is required", "resource": "party", "field": "firstName"})
        if errors:
            return self.validation_error(request, errors)
        now = iso(time.time())
        party: dict[str, Any] = {"id": 0, "type": kind}
        if kind == "organisation":
            party["name"] = str(data["name"]).strip()
        else:
            party.update({"title": data.get("title"), "firstName": data.get("firstName"),
                          "lastName": data.get("lastName"), "jobTitle": data.get("jobTitle"), "organisation": None})
        party.update({
            "about": data.get("about"),
            "pictureURL": "https://capsulecrm.com/theme/default/images/org_avatar_70.png" if kind == "organisation"
            else "https://capsulecrm.com/theme/default/images/person_avatar_70.png",
            "thumbnailURL": None,
            "createdAt": now, "updatedAt": now, "lastContactedAt": None,
            # The owner defaults to the token's user on create (NOTES §28).
            "owner": dict(USERS[0]), "team": None,
            "addresses": [], "phoneNumbers": [], "websites": [], "emailAddresses": [], "tags": [], "fields": [],
        })
        failure = self.apply_changes(request, party, data)
        if failure is not None:
            return failure
        party["id"] = self._party_id()
        self.records[str(party["id"])] = party
        location = str(request.url.replace(path=f"{request.url.path.rstrip('/')}/{party['id']}", query=""))
        return self.answer(request, {"party": self.render(party, self.embeds(request))}, 201, {"Location": location})

    # -- update -----------------------------------------------------------------------------------------
    async def update_party(self, request: Request) -> Response:
        party = self.find(request.path_params["id"])
        if party is None:
            return self.error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("party"), dict):
            return self.error(request, 400, "request body must be a JSON object with a party")
        data = body["party"]
        if party["type"] == "organisation" and "name" in data and not str(data.get("name") or "").strip():
            return self.validation_error(request, [{"message": "name is required", "resource": "party", "field": "name"}])
        staged = {**party, **{k: [dict(item) for item in party[k]] for k in
                              ("addresses", "phoneNumbers", "websites", "emailAddresses", "tags", "fields")}}
        failure = self.apply_changes(request, staged, data)
        if failure is not None:
            return failure
        staged["updatedAt"] = iso(time.time())
        party.clear()
        party.update(staged)
        return self.answer(request, {"party": self.render(party, self.embeds(request))})

    def apply_changes(self, request: Request, party: dict[str, Any], data: dict[str, Any]) -> Response | None:
        """Apply a create/update payload in place. Nested collections follow writing-to-the-api and
        NOTES §18: an item without `id` is added, with `id` updated, with `id` and `_delete: true`
        removed (`_destroy` is silently ignored). Returns a Response on a validation failure."""
        simple = ["about"] + (["name"] if party["type"] == "organisation" else ["title", "firstName", "lastName", "jobTitle"])
        for key in simple:
            if key in data:
                party[key] = data[key].strip() if key == "name" and isinstance(data[key], str) else data[key]
        if "owner" in data:
            owner = data["owner"]
            if owner is None:
                party["owner"] = None
            else:
                user = USERS_BY_ID.get(owner.get("id") if isinstance(owner, dict) else None)
                if user is None:
                    return self.validation_error(request, [{"message": "owner is invalid", "resource": "party", "field": "owner"}])
                party["owner"] = dict(user)
        for key, make in (("addresses", self._address), ("phoneNumbers", self._phone),
                          ("websites", self._website), ("emailAddresses", self._email)):
            if key in data:
                failure = self._merge_collection(request, party, key, data[key], make)
                if failure is not None:
                    return failure
        if "tags" in data:
            failure = self._merge_tags(request, party, data["tags"])
            if failure is not None:
                return failure
        if "fields" in data:
            failure = self._merge_fields(request, party, data["fields"])
            if failure is not None:
                return failure
        return None

    def _merge_collection(self, request, party, key, items, make) -> Response | None:
        if not isinstance(items, list):
            return self.validation_error(request, [{"message": f"{key} must be an array", "resource": "party", "field": key}])
        current = party[key]
        for item in items:
            if not isinstance(item, dict):
                return self.validation_error(request, [{"message": f"{key} is invalid", "resource": "party", "field": key}])
            if "id" in item:
                existing = next((row for row in current if row["id"] == item["id"]), None)
                if existing is None:
                    return self.error(request, 404, f"{key[:-1] if key.endswith('s') else key} not found")
                if item.get("_delete") is True:
                    current.remove(existing)
                    continue
                merged = {**existing, **{k: v for k, v in item.items() if k not in ("_delete", "_destroy")}}
                built = make(merged)
            else:
                built = make({k: v for k, v in item.items() if k not in ("_delete", "_destroy")})
            if isinstance(built, str):
                return self.validation_error(request, [{"message": built, "resource": key[:-1] if key.endswith("s") else key, "field": key}])
            if "id" in item:
                existing.update(built)
            else:
                built["id"] = self._child_id()
                current.append({"id": built.pop("id"), **built})
        return None

    def normalise_country(self, value: Any) -> str | None:
        """Capsule keeps countries by dictionary name; anything else is a 422 (research §5.4)."""
        if value in (None, ""):
            return None
        return _COUNTRY_LOOKUP.get(str(value).strip().lower(), "")

    def _address(self, item: dict[str, Any]) -> dict[str, Any] | str:
        country = self.normalise_country(item.get("country"))
        if country == "":
            return "country is invalid"
        kind = item.get("type")
        if kind is not None and kind not in ADDRESS_TYPES:
            return "type is invalid"
        return {"type": kind, "street": item.get("street"), "city": item.get("city"), "state": item.get("state"),
                "country": country, "zip": item.get("zip")}

    @staticmethod
    def _phone(item: dict[str, Any]) -> dict[str, Any] | str:
        if not str(item.get("number") or "").strip():
            return "number is required"
        return {"type": item.get("type"), "number": item["number"]}

    @staticmethod
    def _email(item: dict[str, Any]) -> dict[str, Any] | str:
        if "@" not in str(item.get("address") or ""):
            return "address is invalid"
        return {"type": item.get("type"), "address": item["address"]}

    @staticmethod
    def _website(item: dict[str, Any]) -> dict[str, Any] | str:
        address = str(item.get("address") or "").strip()
        if not address:
            return "address is required"
        service = item.get("service") or "URL"
        if service not in WEBSITE_SERVICES:
            return "service is invalid"
        return {"type": item.get("type"), "service": service, "address": address, "url": website_url(service, address)}

    def _merge_tags(self, request, party, items) -> Response | None:
        if not isinstance(items, list):
            return self.validation_error(request, [{"message": "tags must be an array", "resource": "party", "field": "tags"}])
        for item in items:
            if not isinstance(item, dict):
                continue
            if item.get("_delete") is True:
                attached = next((t for t in party["tags"] if t["id"] == item.get("id")), None)
                if attached is None:
                    # NOTES §24: detaching a tag that is not on the entity is a 422.
                    return self.validation_error(request, [{"message": "tag not found to delete", "resource": "tag", "field": "id"}])
                party["tags"].remove(attached)
                continue
            if item.get("name"):
                tag = self._tag(str(item["name"]))
            else:
                tag = next((t for t in self.tags.values() if t["id"] == item.get("id")), None)
                if tag is None:
                    return self.validation_error(request, [{"message": "tag not found", "resource": "tag", "field": "id"}])
            if all(t["id"] != tag["id"] for t in party["tags"]):
                party["tags"].append(dict(tag))
        return None

    def _merge_fields(self, request, party, items) -> Response | None:
        if not isinstance(items, list):
            return self.validation_error(request, [{"message": "fields must be an array", "resource": "party", "field": "fields"}])
        for item in items:
            if not isinstance(item, dict):
                continue
            if "id" in item and item.get("definition") is None:
                existing = next((f for f in party["fields"] if f["id"] == item["id"]), None)
                if existing is None:
                    return self.error(request, 404, "field not found")
                if item.get("_delete") is True:
                    party["fields"].remove(existing)
                elif "value" in item:
                    if item["value"] is None:
                        party["fields"].remove(existing)
                    else:
                        existing["value"] = self._field_stored_value(existing["definition"]["id"], item["value"])
                continue
            definition_ref = item.get("definition") or {}
            definition = FIELD_DEFINITIONS_BY_ID.get(definition_ref.get("id") if isinstance(definition_ref, dict) else None)
            if definition is None:
                return self.validation_error(request, [{"message": "definition is invalid", "resource": "field", "field": "definition"}])
            value = item.get("value")
            problem = self._field_problem(definition, value)
            if problem:
                return self.validation_error(request, [{"message": problem, "resource": "field", "field": "value"}])
            existing = next((f for f in party["fields"] if f["definition"]["id"] == definition["id"]), None)
            if value is None:
                if existing is not None:
                    party["fields"].remove(existing)
                continue
            stored = self._field_stored_value(definition["id"], value)
            if existing is not None:
                existing["value"] = stored
            else:
                party["fields"].append(self._field_value(definition["id"], stored))
        return None

    @staticmethod
    def _field_problem(definition: dict[str, Any], value: Any) -> str | None:
        kind = definition["type"]
        if value is None:
            # NOTES §21: null clears most types but BOOLEAN rejects it.
            return "invalid type for field" if kind == "BOOLEAN" else None
        if kind == "NUMBER":
            try:
                float(value)
            except (TypeError, ValueError):
                return "invalid type for field"
        if kind == "BOOLEAN" and not isinstance(value, bool):
            return "invalid type for field"
        if kind == "LIST" and value not in definition.get("options", []):
            return "value is not one of the options"
        if kind == "DATE" and (not isinstance(value, str) or parse_iso(value) is None):
            return "invalid date"
        return None

    @staticmethod
    def _field_stored_value(definition_id: int, value: Any) -> Any:
        """NUMBER values are stored and read back as strings (NOTES §22)."""
        if FIELD_DEFINITIONS_BY_ID[definition_id]["type"] == "NUMBER" and value is not None:
            number = float(value)
            return str(int(number)) if number.is_integer() else str(number)
        return value

    # -- delete -----------------------------------------------------------------------------------------
    async def delete_party(self, request: Request) -> Response:
        party = self.find(request.path_params["id"])
        if party is None:
            return self.error(request, 404, PARTY_NOT_FOUND_MESSAGE)
        del self.records[str(party["id"])]
        self.deleted.append({"id": party["id"], "deletedAt": iso(time.time())})
        return Response(status_code=DELETE_STATUS, headers=request.state.rate_headers)

    async def deleted_parties(self, request: Request) -> Response:
        since_raw = request.query_params.get("since")
        since = parse_iso(since_raw) if since_raw else None
        if since is None:
            return self.validation_error(request, [{"message": "since is required", "resource": "party", "field": "since"}])
        cutoff = iso(since.timestamp())
        return self.answer(request, {"parties": [d for d in self.deleted if d["deletedAt"] >= cutoff],
                                     "restrictedParties": []})

    # -- reference endpoints ------------------------------------------------------------------------------
    async def field_definitions(self, request: Request) -> Response:
        definitions = [{"id": d["id"], "name": d["name"], "type": d["type"], "options": d.get("options", []),
                        "description": None, "tag": None, "important": False, "displayOrder": n + 1}
                       for n, d in enumerate(FIELD_DEFINITIONS)]
        return self.answer(request, {"definitions": definitions})

    async def list_users(self, request: Request) -> Response:
        return self.answer(request, {"users": [dict(u) for u in USERS]})

    async def current_user(self, request: Request) -> Response:
        return self.answer(request, {"user": dict(USERS[0])})

    async def list_tags(self, request: Request) -> Response:
        return self.answer(request, {"tags": list(self.tags.values())})


def website_url(service: str, address: str) -> str:
    """The computed `url` Capsule returns next to what was entered (`address`)."""
    if service == "URL":
        return address if "://" in address else f"http://{address}"
    prefixes = {"TWITTER": "http://twitter.com/", "LINKED_IN": "http://www.linkedin.com/company/",
                "FACEBOOK": "http://www.facebook.com/", "GITHUB": "https://github.com/",
                "YOUTUBE": "http://www.youtube.com/", "INSTAGRAM": "https://www.instagram.com/",
                "PINTEREST": "https://www.pinterest.com/", "XING": "https://www.xing.com/profile/",
                "FLICKR": "https://www.flickr.com/people/", "GOOGLE_PLUS": "https://plus.google.com/"}
    if "://" in address:
        return address
    prefix = prefixes.get(service)
    return f"{prefix}{address}" if prefix else address


def _islice(values, start: int, stop: int):
    return islice(values, start, stop)


EMULATOR = CapsuleEmulator
