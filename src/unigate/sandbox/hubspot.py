"""HubSpot CRM v3 companies emulator (research: crm-apis-1.md §1, §6).

The emulator root stands for `https://api.hubapi.com`; routes are HubSpot's real paths:

- `GET    /crm/v3/objects/companies`              list (`limit` 1..100, default 10; `after`; `properties`; `archived`)
- `GET    /crm/v3/objects/companies/{companyId}`  read (`properties`, `archived`)
- `POST   /crm/v3/objects/companies`              create, 201
- `PATCH  /crm/v3/objects/companies/{companyId}`  update, 200 (`""` clears a property)
- `DELETE /crm/v3/objects/companies/{companyId}`  archive, 204 (idempotent)

OAuth 2 (§1.2): authorize `GET /oauth/authorize` (app.hubspot.com), token `POST /oauth/v1/token`
(api.hubapi.com), both under the emulator root; see `OAUTH_*` below.

Auth is `Authorization: Bearer SANDBOX_TOKEN` or an unexpired access token the OAuth server issued. Records are kept in id order (ids are assigned
increasingly), split into an active and an archived id list, so a page is a bisect plus a slice.
Choices made where the research is unverified are module constants below, each marked so.
"""

from __future__ import annotations

import time
import uuid
from bisect import bisect_left, insort
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, bearer_token, json_response

SANDBOX_TOKEN = "sandbox-hubspot-token"

COMPANIES_PATH = "/crm/v3/objects/companies"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
FIRST_ID = 18_000_000_001  # HubSpot company ids are large numbers serialised as strings

# Returned when a list/get names no `properties` [observed, research §1.3].
DEFAULT_PROPERTIES = ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name")
# HubSpot adds these to every answer even when `properties` names others [unverified: widely seen in
# live payloads, not in the official text]. Set to () to return exactly the requested properties.
ALWAYS_RETURNED = ("createdate", "hs_lastmodifieddate", "hs_object_id")

# Properties this portal defines. Writes naming anything else fail with PROPERTY_DOESNT_EXIST;
# reads naming anything else simply leave it out (HubSpot docs: "If a requested property isn't
# defined, it won't be included in the response").
KNOWN_PROPERTIES = frozenset({
    "name", "domain", "website", "description", "industry", "numberofemployees", "phone",
    "address", "address2", "city", "state", "zip", "country", "hubspot_owner_id",
    "notes_last_updated", "notes_last_contacted", "createdate", "hs_lastmodifieddate", "hs_object_id",
    "hs_additional_domains", "lifecyclestage", "annualrevenue", "type", "timezone", "founded_year",
    "linkedin_company_page", "twitterhandle", "facebook_company_page", "is_public", "hs_lead_status",
    "account_tier",  # a custom property of this portal
})
# Written values for these are ignored (HubSpot computes them) [unverified: HubSpot may reject
# writes to read-only properties with READ_ONLY_VALUE instead].
COMPUTED_PROPERTIES = frozenset({"hs_object_id", "hs_lastmodifieddate"})

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
NOT_FOUND_MESSAGE = "Object not found.  objectId are usually numeric."  # two spaces, as HubSpot sends
# [unverified] wording of the query-parameter and body validation messages.
LIMIT_MESSAGE = "Invalid query parameter: limit must be a number between 1 and 100 (got '{value}')"
AFTER_MESSAGE = "Invalid query parameter: after must be a numeric cursor (got '{value}')"
MISSING_PROPERTIES_MESSAGE = (
    "Invalid input JSON on line 1, column 1: Cannot build {model}, some of required attributes are not set "
    "[properties]"
)
BAD_JSON_MESSAGE = "Invalid input JSON on line 1, column 1: Unexpected character or malformed JSON"
BAD_VALUE_MESSAGE = (
    "Invalid input JSON on line 1, column 1: Cannot deserialize value of type `java.lang.String` from "
    "{kind} value for property \"{name}\""
)

MEDIA_TYPE = "application/json;charset=utf-8"

# -- OAuth 2 (research crm-apis-1.md §1.2) ---------------------------------------------------------
OAUTH_AUTHORIZE_PATH = "/oauth/authorize"     # https://app.hubspot.com/oauth/authorize [verified, SDK utils/oauth.py]
OAUTH_TOKEN_PATH = "/oauth/v1/token"          # https://api.hubapi.com/oauth/v1/token [verified, SDK tokens_api.py]
OAUTH_ACCESS_TOKEN_TTL = 1800                 # 30 minutes [verified, §1.2 changelog]
# Research is silent on whether a refresh answers a new refresh token and voids the old one; the
# sandbox rotates, the behaviour a client must survive [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
# Token endpoint errors: 400 with HubSpot's `status` code and message plus the RFC 6749 `error`
# [observed: "400 BAD_REFRESH_TOKEN" quoted from live answers in public issue threads; the other
# codes and all wordings are unverified].
OAUTH_ERRORS = {
    _oauth.REASON_REFRESH_TOKEN_MISSING: ("BAD_REFRESH_TOKEN", "missing or unknown refresh token"),
    _oauth.REASON_REFRESH_TOKEN_INVALID: ("BAD_REFRESH_TOKEN", "missing or unknown refresh token"),
    _oauth.REASON_CODE_MISSING: ("BAD_AUTH_CODE", "missing or unknown auth code"),
    _oauth.REASON_CODE_INVALID: ("BAD_AUTH_CODE", "missing or unknown auth code"),
    _oauth.REASON_CODE_EXPIRED: ("BAD_AUTH_CODE", "auth code has expired"),
    _oauth.REASON_CODE_VERIFIER: ("BAD_AUTH_CODE", "code_verifier does not match"),
    _oauth.REASON_REDIRECT_URI_MISMATCH: ("BAD_REDIRECT_URI", "redirect_uri does not match the authorization request"),
    _oauth.REASON_CLIENT_MISSING: ("BAD_CLIENT_ID", "missing or unknown client id"),
    _oauth.REASON_CLIENT_UNKNOWN: ("BAD_CLIENT_ID", "missing or unknown client id"),
    _oauth.REASON_CLIENT_AUTH_METHOD: ("BAD_CLIENT_ID", "missing or unknown client id"),
    _oauth.REASON_CLIENT_SECRET_WRONG: ("BAD_CLIENT_SECRET", "missing or invalid client secret"),
    _oauth.REASON_GRANT_TYPE_MISSING: ("BAD_GRANT_TYPE", "missing or unknown grant type"),
    _oauth.REASON_GRANT_TYPE_UNSUPPORTED: ("BAD_GRANT_TYPE", "missing or unknown grant type"),
    _oauth.REASON_NOT_FORM: ("BAD_REQUEST", "the request body must be application/x-www-form-urlencoded"),
}


def oauth_error(error: _oauth.OAuthError) -> Response:
    status, message = OAUTH_ERRORS[error.reason]
    body = {"status": status, "message": message, "correlationId": str(uuid.uuid4()),
            "error": error.error, "error_description": message}
    return json_response(body, status=400, media_type=MEDIA_TYPE)


OAUTH_PROFILE = _oauth.OAuthProfile(
    name="hubspot",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    client_auth=frozenset({"body"}),       # client_id/client_secret form fields [verified, §1.2]
    token_type="bearer",
    returns_scope=False,                   # TokenResponseIF has no scope [verified, SDK token_response_if.py]
    token_error=oauth_error,
)

# Rate limits of a private app on a Professional portal [verified header names, research §1.4;
# the interval trio is unverified from official text]. Counters decrement per request and reset
# with their window; the emulator never answers 429 by itself (queue a fault for that).
RATE_DAILY = 500_000
RATE_SECONDLY = 19
RATE_INTERVAL_MS = 10_000
RATE_INTERVAL_MAX = 190

_INDUSTRIES = (
    "COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES", "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE", "MARKETING_AND_ADVERTISING", "RETAIL", "LOGISTICS_AND_SUPPLY_CHAIN",
    "MANAGEMENT_CONSULTING", "REAL_ESTATE", "BIOTECHNOLOGY", "TELECOMMUNICATIONS",
    "RENEWABLES_ENVIRONMENT", "EDUCATION_MANAGEMENT", "FOOD_BEVERAGES", "INTERNET", "CONSTRUCTION",
)
_NAME_HEADS = (
    "Northwind", "Bluepeak", "Cedar", "Ironbridge", "Lumen", "Harbor", "Summit", "Brightwater",
    "Redwood", "Silverline", "Oakridge", "Granite", "Meridian", "Pinecrest", "Evergreen", "Falcon",
    "Keystone", "Riverbend", "Stonegate", "Westfield", "Aurora", "Beacon", "Copperleaf", "Driftwood",
    "Foxglove", "Highland", "Juniper", "Larkspur", "Maplewood", "Orchard", "Quarry", "Sterling",
)
_NAME_TAILS = (
    ("Analytics", "COMPUTER_SOFTWARE"), ("Logistics", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Health", "HOSPITAL_HEALTH_CARE"), ("Capital", "FINANCIAL_SERVICES"),
    ("Media", "MARKETING_AND_ADVERTISING"), ("Foods", "FOOD_BEVERAGES"),
    ("Systems", "INFORMATION_TECHNOLOGY_AND_SERVICES"), ("Advisors", "MANAGEMENT_CONSULTING"),
    ("Properties", "REAL_ESTATE"), ("Biotech", "BIOTECHNOLOGY"), ("Networks", "TELECOMMUNICATIONS"),
    ("Energy", "RENEWABLES_ENVIRONMENT"), ("Learning", "EDUCATION_MANAGEMENT"),
    ("Outfitters", "RETAIL"), ("Labs", "INTERNET"), ("Builders", "CONSTRUCTION"),
)
_PLACES = (
    ("Boston", "MA", "02110", "United States", "+1 617"), ("Austin", "TX", "78701", "United States", "+1 512"),
    ("Denver", "CO", "80202", "United States", "+1 303"), ("Seattle", "WA", "98101", "United States", "+1 206"),
    ("Chicago", "IL", "60601", "United States", "+1 312"), ("Toronto", "ON", "M5H 2N2", "Canada", "+1 416"),
    ("London", "", "EC2A 4NE", "United Kingdom", "+44 20"), ("Dublin", "", "D02 X285", "Ireland", "+353 1"),
    ("Berlin", "", "10115", "Germany", "+49 30"), ("Sydney", "NSW", "2000", "Australia", "+61 2"),
)
_STREETS = ("Main Street", "Harbor Way", "Market Street", "Elm Avenue", "King Street", "Park Lane",
            "Mill Road", "Bridge Street")
_OWNERS = ("51234567", "51234568", "51234569", "51234570", "51234571")
_TIERS = ("Gold", "Silver", "Bronze")
_SEED_START = datetime(2023, 1, 2, 9, 0, 0, tzinfo=UTC)


def iso_ms(moment: datetime) -> str:
    """HubSpot's timestamp format: ISO 8601 UTC with milliseconds and `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return iso_ms(datetime.now(UTC))


def seed_company(index: int) -> dict[str, str]:
    """The properties of seeded company `index` (deterministic)."""
    head = _NAME_HEADS[index % len(_NAME_HEADS)]
    tail, industry = _NAME_TAILS[(index // len(_NAME_HEADS)) % len(_NAME_TAILS)]
    generation = index // (len(_NAME_HEADS) * len(_NAME_TAILS))
    name = f"{head} {tail}" + (f" {generation + 1}" if generation else "")
    slug = f"{head}{tail}{generation + 1 if generation else ''}".lower()
    city, state, zip_code, country, dial = _PLACES[index % len(_PLACES)]
    created = _SEED_START + timedelta(hours=7 * index, milliseconds=137 * (index % 1000))
    modified = created + timedelta(days=3 + index % 40, minutes=index % 60, milliseconds=411)
    props = {
        "name": name,
        "domain": f"{slug}.example.com",
        "website": f"https://www.{slug}.example.com",
        "description": f"{name} provides {tail.lower()} services to mid-market customers in {city}.",
        "industry": industry,
        "numberofemployees": str(10 + (index * 37) % 4990),
        "phone": f"{dial} 555 {1000 + index % 9000:04d}",
        "address": f"{100 + index % 900} {_STREETS[index % len(_STREETS)]}",
        "address2": f"Suite {200 + index % 50}" if index % 3 == 0 else "",
        "city": city,
        "state": state,
        "zip": zip_code,
        "country": country,
        "hubspot_owner_id": _OWNERS[index % len(_OWNERS)],
        "createdate": iso_ms(created),
        "hs_lastmodifieddate": iso_ms(modified),
    }
    if index % 4 != 3:
        props["notes_last_updated"] = iso_ms(modified - timedelta(hours=5))
    if index % 3 == 1:
        props["account_tier"] = _TIERS[index % len(_TIERS)]
    return {k: v for k, v in props.items() if v != ""}


class _Counter:
    """A request counter that starts over every `window` seconds."""

    __slots__ = ("window", "started", "count")

    def __init__(self, window: float) -> None:
        self.window = window
        self.started = time.monotonic()
        self.count = 0

    def hit(self, now: float) -> int:
        if now - self.started >= self.window:
            self.started = now
            self.count = 0
        self.count += 1
        return self.count


class HubSpotEmulator(Emulator):
    name: ClassVar[str] = "hubspot"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    default_seed_count: ClassVar[int] = 60

    def seed(self, count: int) -> None:
        self.active_ids: list[int] = []     # ascending; ids are assigned increasingly
        self.archived_ids: list[int] = []   # ascending
        self.next_id = FIRST_ID
        self.daily_used = 0
        self.secondly = _Counter(1.0)
        self.interval = _Counter(RATE_INTERVAL_MS / 1000)
        for index in range(count):
            props = seed_company(index)
            self._insert(props, props["createdate"], props["hs_lastmodifieddate"])

    def _insert(self, props: dict[str, str], created: str, updated: str) -> dict[str, Any]:
        number = self.next_id
        self.next_id += 1
        record_id = str(number)
        props["hs_object_id"] = record_id
        props["createdate"] = created
        props["hs_lastmodifieddate"] = updated
        record = {"id": record_id, "properties": props, "createdAt": created, "updatedAt": updated,
                  "archived": False}
        self.records[record_id] = record
        self.active_ids.append(number)
        return record

    def routes(self) -> list[Route]:
        return [
            Route(COMPANIES_PATH, self.list_or_create, methods=["GET", "POST"]),
            Route(COMPANIES_PATH + "/{companyId}", self.one, methods=["GET", "PATCH", "DELETE"]),
        ]

    def large_list_parts(self) -> tuple[str, bytes, list[bytes], bytes, str] | None:
        """A list page's envelope around up to 100 seeded companies, rendered with every property."""
        sample = [orjson.dumps(self._render(self.records[str(n)], None)) for n in self.active_ids[:MAX_LIMIT]]
        if not sample:
            return None
        return COMPANIES_PATH, b'{"results":[', sample, b"]}", MEDIA_TYPE

    # -- protocol helpers ------------------------------------------------------------------------
    def _rate_headers(self) -> dict[str, str]:
        now = time.monotonic()
        self.daily_used += 1
        second = self.secondly.hit(now)
        interval = self.interval.hit(now)
        return {
            "X-HubSpot-RateLimit-Daily": str(RATE_DAILY),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(RATE_DAILY - self.daily_used, 0)),
            "X-HubSpot-RateLimit-Secondly": str(RATE_SECONDLY),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(RATE_SECONDLY - second, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(RATE_INTERVAL_MS),
            "X-HubSpot-RateLimit-Max": str(RATE_INTERVAL_MAX),
            "X-HubSpot-RateLimit-Remaining": str(max(RATE_INTERVAL_MAX - interval, 0)),
        }

    @staticmethod
    def _answer(body: Any, status: int, headers: dict[str, str], correlation_id: str) -> Response:
        headers["X-HubSpot-Correlation-Id"] = correlation_id
        return json_response(body, status=status, headers=headers, media_type=MEDIA_TYPE)

    def _error(self, status: int, category: str, message: str, headers: dict[str, str],
               **extra: Any) -> Response:
        correlation_id = str(uuid.uuid4())
        body = {"status": "error", "message": message, "correlationId": correlation_id, **extra,
                "category": category}
        return self._answer(body, status, headers, correlation_id)

    def _unauthorized(self, request: Request) -> Response | None:
        token = bearer_token(request)
        if token == SANDBOX_TOKEN or self.issued_access_token(token):
            return None
        return self._error(401, "INVALID_AUTHENTICATION", AUTH_MESSAGE, {})

    def _not_found(self, company_id: str, headers: dict[str, str]) -> Response:
        return self._error(404, "OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE, headers, context={"id": [company_id]})

    @staticmethod
    def _requested_properties(request: Request) -> list[str] | None:
        """`properties` as repeated parameters (the official SDKs) or a comma list (the docs)."""
        values = request.query_params.getlist("properties")
        if not values:
            return None
        names: list[str] = []
        for value in values:
            names.extend(part.strip() for part in value.split(",") if part.strip())
        return names

    @staticmethod
    def _render(record: dict[str, Any], names: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
        """The wire object; `names=None` returns every property that has a value."""
        stored = record["properties"]
        if names is None:
            properties = dict(stored)
        else:
            properties = {}
            for name in (*ALWAYS_RETURNED, *names):
                if name in KNOWN_PROPERTIES or name in stored:
                    properties[name] = stored.get(name)
        out = {"id": record["id"], "properties": properties, "createdAt": record["createdAt"],
               "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            out["archivedAt"] = record["archivedAt"]
        return out

    def _find(self, company_id: str, archived: bool) -> dict[str, Any] | None:
        record = self.records.get(company_id)
        if record is None or record["archived"] != archived:
            return None
        return record

    def _validate_properties(self, body: Any, model: str, headers: dict[str, str]) -> dict[str, str] | Response:
        """The `properties` of a create/update body as strings ("" = clear), or the error answer."""
        if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
            return self._error(400, "VALIDATION_ERROR", MISSING_PROPERTIES_MESSAGE.format(model=model), headers)
        cleaned: dict[str, str] = {}
        unknown: list[str] = []
        for name, value in body["properties"].items():
            if isinstance(value, (dict, list)):
                kind = "Object" if isinstance(value, dict) else "Array"
                return self._error(400, "VALIDATION_ERROR", BAD_VALUE_MESSAGE.format(kind=kind, name=name), headers)
            if name not in KNOWN_PROPERTIES:
                unknown.append(name)
                continue
            if value is None:
                cleaned[name] = ""
            elif isinstance(value, bool):
                cleaned[name] = "true" if value else "false"
            elif isinstance(value, float) and value.is_integer():
                cleaned[name] = str(int(value))
            else:
                cleaned[name] = str(value)
        if unknown:
            return self._property_errors(unknown, headers)
        return cleaned

    def _property_errors(self, unknown: list[str], headers: dict[str, str]) -> Response:
        """HubSpot's 400 for unknown property names (shape from HubSpot's error-handling docs)."""
        results = [{
            "isValid": False,
            "message": f'Property "{name}" does not exist',
            "error": "PROPERTY_DOESNT_EXIST",
            "name": name,
            "localizedErrorMessage": f'Property "{name}" does not exist',
            "portalId": 1234567,
        } for name in unknown]
        message = "Property values were not valid: " + orjson.dumps(results).decode()
        errors = [{"message": f'Property "{name}" does not exist', "code": "PROPERTY_DOESNT_EXIST",
                   "context": {"propertyName": [name]}} for name in unknown]
        return self._error(400, "VALIDATION_ERROR", message, headers, errors=errors)

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        headers = self._rate_headers()
        if request.method == "POST":
            return await self._create(request, headers)
        return self._list(request, headers)

    def _list(self, request: Request, headers: dict[str, str]) -> Response:
        params = request.query_params
        raw_limit = params.get("limit")
        limit = DEFAULT_LIMIT
        if raw_limit is not None:
            try:
                limit = int(raw_limit)
            except ValueError:
                limit = -1
            if not 1 <= limit <= MAX_LIMIT:
                return self._error(400, "VALIDATION_ERROR", LIMIT_MESSAGE.format(value=raw_limit), headers)
        archived = params.get("archived", "false").lower() == "true"
        ids = self.archived_ids if archived else self.active_ids
        start = 0
        after = params.get("after")
        if after:
            if not after.isdigit():
                return self._error(400, "VALIDATION_ERROR", AFTER_MESSAGE.format(value=after), headers)
            start = bisect_left(ids, int(after))
        page = ids[start:start + limit]
        names = self._requested_properties(request)
        if names is None:
            names = list(DEFAULT_PROPERTIES)
        records = self.records
        body: dict[str, Any] = {"results": [self._render(records[str(n)], names) for n in page]}
        if start + limit < len(ids):
            cursor = str(ids[start + limit])
            body["paging"] = {"next": {"after": cursor, "link": str(request.url.include_query_params(after=cursor))}}
        return self._answer(body, 200, headers, str(uuid.uuid4()))

    async def _create(self, request: Request, headers: dict[str, str]) -> Response:
        body = await self._body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._validate_properties(body, "SimplePublicObjectInputForCreate", headers)
        if isinstance(props, Response):
            return props
        stamp = now_iso()
        created = props.pop("createdate", "") or stamp
        for name in COMPUTED_PROPERTIES:
            props.pop(name, None)
        record = self._insert({k: v for k, v in props.items() if v != ""}, created, stamp)
        return self._answer(self._render(record, None), 201, headers, str(uuid.uuid4()))

    async def _body(self, request: Request, headers: dict[str, str]) -> Any:
        raw = await request.body()
        try:
            return orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            return self._error(400, "VALIDATION_ERROR", BAD_JSON_MESSAGE, headers)

    async def one(self, request: Request) -> Response:
        denied = self._unauthorized(request)
        if denied is not None:
            return denied
        headers = self._rate_headers()
        company_id = request.path_params["companyId"]
        if request.method == "DELETE":
            # Archive; unknown or already archived ids answer 204 too [observed, research §1.6].
            record = self._find(company_id, archived=False)
            if record is not None:
                number = int(company_id)
                del self.active_ids[bisect_left(self.active_ids, number)]
                insort(self.archived_ids, number)
                record["archived"] = True
                record["archivedAt"] = now_iso()
            return self._answer(None, 204, headers, str(uuid.uuid4()))
        if request.method == "GET":
            archived = request.query_params.get("archived", "false").lower() == "true"
            record = self._find(company_id, archived)
            if record is None:
                return self._not_found(company_id, headers)
            names = self._requested_properties(request)
            return self._answer(self._render(record, DEFAULT_PROPERTIES if names is None else names), 200,
                                headers, str(uuid.uuid4()))
        # PATCH
        record = self._find(company_id, archived=False)
        if record is None:
            return self._not_found(company_id, headers)
        body = await self._body(request, headers)
        if isinstance(body, Response):
            return body
        props = self._validate_properties(body, "SimplePublicObjectInput", headers)
        if isinstance(props, Response):
            return props
        stored = record["properties"]
        for name, value in props.items():
            if name in COMPUTED_PROPERTIES or (name == "createdate" and value == ""):
                continue
            if value == "":
                stored.pop(name, None)
            else:
                stored[name] = value
        stamp = now_iso()
        stored["hs_lastmodifieddate"] = stamp
        record["updatedAt"] = stamp
        if "createdate" in props and props["createdate"]:
            record["createdAt"] = props["createdate"]
        return self._answer(self._render(record, None), 200, headers, str(uuid.uuid4()))


EMULATOR = HubSpotEmulator
