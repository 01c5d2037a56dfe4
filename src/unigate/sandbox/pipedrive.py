"""Pipedrive API v2 organizations emulator (research: crm-apis-1.md §2, §6).

The emulator root stands for `https://api.pipedrive.com` (or a company's `api_domain`); routes
are Pipedrive's real paths:

- `GET    /api/v2/organizations`       list (`limit` 1..500, default 100; `cursor`; `sort_by`,
  `sort_direction`, `owner_id`, `ids`, `updated_since`, `updated_until`, `custom_fields`,
  `include_fields`)
- `GET    /api/v2/organizations/{id}`  read
- `POST   /api/v2/organizations`       create (`name` required)
- `PATCH  /api/v2/organizations/{id}`  update
- `DELETE /api/v2/organizations/{id}`  soft delete: 200 `{"success":true,"data":{"id":N}}`

OAuth 2 (§2.2): authorize `GET /oauth/authorize`, token `POST /oauth/token` (oauth.pipedrive.com,
served under the emulator root), client authentication by HTTP Basic; see `OAUTH_*` below. The
token response's `api_domain` is the emulator's own root URL, where the API answers.

Auth: `x-api-token: SANDBOX_API_TOKEN`, `?api_token=SANDBOX_API_TOKEN` or `Authorization: Bearer`
with `SANDBOX_OAUTH_TOKEN` or an unexpired access token the OAuth server issued. Active ids are kept ascending, so the default
listing (by id) is a bisect plus a slice; other sorts and filters build their view per request.
Choices made where the research is unverified are module constants below, each marked so.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, bearer_token, json_response

SANDBOX_API_TOKEN = "sandbox-pipedrive-token"
SANDBOX_OAUTH_TOKEN = "sandbox-pipedrive-oauth"

ORGANIZATIONS_PATH = "/api/v2/organizations"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
FIRST_ID = 1

# Organization custom fields of this company (40-char hex field keys, as Pipedrive generates).
CUSTOM_FIELD_KEYS = {
    "website": "ed1d6d314ab9b97a0c9c0f84720c598fd98eec84",     # text
    "industry": "94ca1ee54801db3506581d9ccaa63bcd7a689f15",    # text (free-form, not an option set)
    "employees": "169d5bca5c564cf6affac331d9c2dc344f5fc171",   # numeric: a JSON number
    "phone": "11ca5ba161bb8c5823e99a6a8057d9f45fd7af5e",       # phone: a string
}
NUMERIC_CUSTOM_FIELDS = frozenset({CUSTOM_FIELD_KEYS["employees"]})
ADDRESS_KEYS = ("value", "country", "admin_area_level_1", "admin_area_level_2", "locality", "sublocality",
                "route", "street_number", "subpremise", "postal_code")
VISIBLE_TO = frozenset({1, 3, 5, 7})
INCLUDE_FIELDS = {  # optional counters a caller can ask for with include_fields
    "next_activity_id": None, "last_activity_id": None, "open_deals_count": 0, "related_open_deals_count": 0,
    "closed_deals_count": 0, "related_closed_deals_count": 0, "email_messages_count": 0, "people_count": 0,
    "activities_count": 0, "done_activities_count": 0, "undone_activities_count": 0, "files_count": 0,
    "notes_count": 0, "followers_count": 0, "won_deals_count": 0, "related_won_deals_count": 0,
    "lost_deals_count": 0, "related_lost_deals_count": 0, "smart_bcc_email": None,
}

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
UNAUTHORIZED_BODY = {  # [observed shape, research §2.4; the "unauthorized access" text is unverified]
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": ERROR_INFO,
    "data": None,
    "additional_data": None,
}
# -- OAuth 2 (research crm-apis-1.md §2.2) ---------------------------------------------------------
OAUTH_AUTHORIZE_PATH = "/oauth/authorize"   # https://oauth.pipedrive.com/oauth/authorize [verified]
OAUTH_TOKEN_PATH = "/oauth/token"           # https://oauth.pipedrive.com/oauth/token [verified]
OAUTH_ACCESS_TOKEN_TTL = 3599               # `expires_in` of the documented token response [verified]
# Research is silent on rotation; the sandbox rotates (a client must keep the newest refresh token)
# [unverified; Pipedrive's "OAuth status codes" page calls a refresh token invalid once "it was
# already exchanged", which agrees].
OAUTH_ROTATES_REFRESH_TOKEN = True
# "More than 5 minutes passed after issue of provided authorization_code" (Pipedrive developer docs,
# OAuth status codes page; not in research/).
OAUTH_CODE_TTL = 300
# The authorize request carries no scope: an app's scopes are set when it is registered. The
# organization endpoints need contacts:full [verified, §2.2].
OAUTH_APP_SCOPE = "base,contacts:full"
# Token endpoint errors: 400 `{"error", "error_description"}` with the messages of Pipedrive's
# OAuth status codes page [messages from that page; the body shape is unverified].
OAUTH_ERROR_MESSAGES = {
    _oauth.REASON_NOT_FORM: "Invalid request: content must be application/x-www-form-urlencoded",
    _oauth.REASON_GRANT_TYPE_MISSING: "Missing parameter: `grant_type`",
    _oauth.REASON_GRANT_TYPE_UNSUPPORTED: "Unsupported grant type: `grant_type` is invalid",
    _oauth.REASON_CLIENT_MISSING: "Invalid client: cannot retrieve client credentials",
    _oauth.REASON_CLIENT_AUTH_METHOD: "Invalid client: cannot retrieve client credentials",
    _oauth.REASON_CLIENT_UNKNOWN: "Invalid client: client is invalid",
    _oauth.REASON_CLIENT_SECRET_WRONG: "Invalid client: client is invalid",
    _oauth.REASON_CODE_MISSING: "Missing parameter: `code`",
    _oauth.REASON_CODE_INVALID: "Invalid grant: authorization code is invalid",
    _oauth.REASON_CODE_EXPIRED: "Invalid grant: authorization code has expired",
    _oauth.REASON_CODE_VERIFIER: "Invalid grant: authorization code is invalid",
    _oauth.REASON_REDIRECT_URI_MISMATCH: "Invalid request: `redirect_uri` is invalid",
    _oauth.REASON_REFRESH_TOKEN_MISSING: "Missing parameter: `refresh_token`",
    _oauth.REASON_REFRESH_TOKEN_INVALID: "Invalid grant: refresh token is invalid",
}


def oauth_error(error: _oauth.OAuthError) -> Response:
    # the page pairs a redirect_uri mismatch with "Invalid request", not "Invalid grant"
    code = "invalid_request" if error.reason == _oauth.REASON_REDIRECT_URI_MISMATCH else error.error
    return json_response({"error": code, "error_description": OAUTH_ERROR_MESSAGES[error.reason]}, status=400)


OAUTH_PROFILE = _oauth.OAuthProfile(
    name="pipedrive",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    client_auth=frozenset({"basic"}),      # Authorization: Basic base64(client_id:client_secret) [verified]
    code_ttl=OAUTH_CODE_TTL,
    default_scope=OAUTH_APP_SCOPE,
    token_error=oauth_error,
    # `api_domain`: where this company's API answers [verified, §2.1/§2.2]; here, the emulator itself.
    token_extras=lambda request: {"api_domain": _oauth.emulator_root(request)},
)

# [unverified] 404 text for a missing or deleted organization (also a second DELETE).
NOT_FOUND_MESSAGE = "Organization not found"
# [unverified wording; the code is observed live on v2 list parameters] 400 for bad input.
VALIDATION_CODE = "ERR_SCHEMA_VALIDATION_FAILED"

# Rate limits [verified header names, research §2.4]: a 2-second burst window and a daily budget.
# Counters decrement per request and reset with their window; the emulator never answers 429 by
# itself (queue a fault for that).
RATE_BURST_LIMIT = 80
RATE_BURST_WINDOW = 2.0
RATE_DAILY = 10_000

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")

_NAME_HEADS = (
    "Atlas", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Garnet", "Halcyon", "Indigo", "Jasper",
    "Kestrel", "Lantern", "Mosaic", "Nimbus", "Onyx", "Prairie", "Quill", "Rowan", "Saffron", "Tundra",
    "Umber", "Vantage", "Willow", "Zephyr",
)
_NAME_TAILS = (
    ("Software", "Software"), ("Freight", "Logistics"), ("Clinics", "Healthcare"), ("Partners", "Finance"),
    ("Studio", "Marketing"), ("Kitchens", "Food & Beverage"), ("Consulting", "Consulting"),
    ("Realty", "Real Estate"), ("Robotics", "Manufacturing"), ("Telecom", "Telecommunications"),
    ("Solar", "Energy"), ("Academy", "Education"), ("Goods", "Retail"), ("Cloud", "Internet"),
)
_PLACES = (  # locality, admin area 1, postal code, country, country code, dial prefix
    ("Tallinn", "Harju maakond", "10111", "Estonia", "+372"),
    ("New York", "New York", "10001", "United States", "+1 212"),
    ("Lisbon", "Lisboa", "1100-148", "Portugal", "+351 21"),
    ("Prague", "Praha", "110 00", "Czechia", "+420 2"),
    ("Dublin", "County Dublin", "D02 X285", "Ireland", "+353 1"),
    ("Austin", "Texas", "78701", "United States", "+1 512"),
    ("Munich", "Bayern", "80331", "Germany", "+49 89"),
    ("London", "England", "EC2A 4NE", "United Kingdom", "+44 20"),
)
_ROUTES = ("Narva mnt", "Broadway", "Rua Augusta", "Vodickova", "Grafton Street", "Congress Avenue",
           "Marienplatz", "Shoreditch High Street")
_OWNERS = (13053345, 13053346, 13053347, 13053348)
_SEED_START = datetime(2023, 3, 1, 8, 0, 0, tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """Pipedrive v2's timestamp format: RFC 3339 UTC, whole seconds, `Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _normalise_time(value: str) -> str | None:
    """An RFC 3339 instant as this emulator stores it, or None when it is not one (no fractions)."""
    if not _RFC3339.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return rfc3339(moment.astimezone(UTC))


def seed_organization(index: int, org_id: int) -> dict[str, Any]:
    """Seeded organization `index` (deterministic)."""
    head = _NAME_HEADS[index % len(_NAME_HEADS)]
    tail, industry = _NAME_TAILS[(index // len(_NAME_HEADS)) % len(_NAME_TAILS)]
    generation = index // (len(_NAME_HEADS) * len(_NAME_TAILS))
    name = f"{head} {tail}" + (f" {generation + 1}" if generation else "")
    slug = f"{head}{tail}{generation + 1 if generation else ''}".lower()
    locality, area, postal, country, dial = _PLACES[index % len(_PLACES)]
    route = _ROUTES[index % len(_ROUTES)]
    number = str(1 + index % 120)
    added = _SEED_START + timedelta(hours=5 * index, seconds=index % 60)
    updated = added + timedelta(days=2 + index % 30, minutes=index % 45)
    address = None
    if index % 7 != 6:
        address = {
            "value": f"{route} {number}, {postal} {locality}, {country}",
            "country": country,
            "admin_area_level_1": area,
            "admin_area_level_2": None,
            "locality": locality,
            "sublocality": None,
            "route": route,
            "street_number": number,
            "subpremise": None,
            "postal_code": postal,
        }
    custom = {
        CUSTOM_FIELD_KEYS["website"]: f"https://{slug}.example.com",
        CUSTOM_FIELD_KEYS["industry"]: industry,
        CUSTOM_FIELD_KEYS["employees"]: 5 + (index * 53) % 2995,
        CUSTOM_FIELD_KEYS["phone"]: f"{dial} 555 {1000 + index % 9000:04d}",
    }
    if index % 5 == 4:
        custom[CUSTOM_FIELD_KEYS["phone"]] = None
    return {
        "id": org_id,
        "name": name,
        "owner_id": _OWNERS[index % len(_OWNERS)],
        "add_time": rfc3339(added),
        "update_time": rfc3339(updated),
        "is_deleted": False,
        "visible_to": 3,
        "address": address,
        "label_ids": [1 + index % 3] if index % 2 == 0 else [],
        "custom_fields": custom,
    }


class _Invalid(Exception):
    """Bad input: answered with Pipedrive's 400 envelope."""


def _encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def _decode_cursor(cursor: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise _Invalid("Validation failed: cursor: Invalid cursor") from None


class PipedriveEmulator(Emulator):
    name: ClassVar[str] = "pipedrive"
    oauth_profile: ClassVar[_oauth.OAuthProfile | None] = OAUTH_PROFILE
    default_seed_count: ClassVar[int] = 60

    def seed(self, count: int) -> None:
        self.active_ids: list[int] = []   # ascending
        self.next_id = FIRST_ID
        self.daily_used = 0
        self.burst_started = time.monotonic()
        self.burst_count = 0
        for index in range(count):
            org_id = self.next_id
            self.next_id += 1
            self.records[org_id] = seed_organization(index, org_id)  # type: ignore[index]
            self.active_ids.append(org_id)

    def routes(self) -> list[Route]:
        return [
            Route(ORGANIZATIONS_PATH, self.list_or_create, methods=["GET", "POST"]),
            Route(ORGANIZATIONS_PATH + "/{id}", self.one, methods=["GET", "PATCH", "DELETE"]),
        ]

    # -- protocol helpers ------------------------------------------------------------------------
    def _rate_headers(self) -> dict[str, str]:
        now = time.monotonic()
        if now - self.burst_started >= RATE_BURST_WINDOW:
            self.burst_started = now
            self.burst_count = 0
        self.burst_count += 1
        self.daily_used += 1
        reset = max(1, round(RATE_BURST_WINDOW - (now - self.burst_started)))
        return {
            "x-ratelimit-limit": str(RATE_BURST_LIMIT),
            "x-ratelimit-remaining": str(max(RATE_BURST_LIMIT - self.burst_count, 0)),
            "x-ratelimit-reset": str(reset),
            "x-daily-requests-left": str(max(RATE_DAILY - self.daily_used, 0)),
        }

    def _authorized(self, request: Request) -> bool:
        """The first credential present decides: OAuth bearer, then `x-api-token`, then `api_token`."""
        bearer = bearer_token(request)
        if bearer is not None:
            return bearer == SANDBOX_OAUTH_TOKEN or self.issued_access_token(bearer)
        header = request.headers.get("x-api-token")
        if header is not None:
            return header == SANDBOX_API_TOKEN
        return request.query_params.get("api_token") == SANDBOX_API_TOKEN

    @staticmethod
    def _error(status: int, message: str, headers: dict[str, str], code: str | None = None) -> Response:
        body: dict[str, Any] = {"success": False, "error": message}
        if code is not None:
            body["code"] = code
        body.update(error_info=ERROR_INFO, data=None, additional_data=None)
        return json_response(body, status=status, headers=headers)

    def _invalid(self, message: str, headers: dict[str, str]) -> Response:
        return self._error(400, message, headers, VALIDATION_CODE)

    def _not_found(self, headers: dict[str, str]) -> Response:
        return self._error(404, NOT_FOUND_MESSAGE, headers)

    @staticmethod
    def _render(record: dict[str, Any], custom_keys: list[str] | None = None,
                include: list[str] | None = None) -> dict[str, Any]:
        out = dict(record)
        out["label_ids"] = list(record["label_ids"])
        if record["address"] is not None:
            out["address"] = dict(record["address"])
        custom = record["custom_fields"]
        if custom_keys is not None:
            out["custom_fields"] = {key: custom.get(key) for key in custom_keys if key in custom}
        else:
            out["custom_fields"] = dict(custom)
        for field in include or ():
            out[field] = INCLUDE_FIELDS[field]
        return out

    def _active(self, raw_id: str, headers: dict[str, str]) -> dict[str, Any] | Response:
        try:
            org_id = int(raw_id)
        except ValueError:
            return self._invalid(f"Validation failed: id: Parameter 'id' must be an integer (got '{raw_id}')",
                                 headers)
        record = self.records.get(org_id)  # type: ignore[call-overload]
        if record is None or record["is_deleted"]:
            return self._not_found(headers)
        return record

    @staticmethod
    def _csv(params, name: str) -> list[str] | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        return [part.strip() for part in value.split(",") if part.strip()]

    def _field_options(self, params) -> tuple[list[str] | None, list[str]]:
        custom_keys = self._csv(params, "custom_fields")
        include = self._csv(params, "include_fields") or []
        unknown = [field for field in include if field not in INCLUDE_FIELDS]
        if unknown:
            raise _Invalid(f"Validation failed: include_fields: Unknown field '{unknown[0]}'")
        return custom_keys, include

    # -- handlers ----------------------------------------------------------------------------------
    async def list_or_create(self, request: Request) -> Response:
        headers = self._rate_headers()
        if not self._authorized(request):
            return json_response(UNAUTHORIZED_BODY, status=401, headers=headers)
        try:
            if request.method == "POST":
                return await self._create(request, headers)
            return self._list(request, headers)
        except _Invalid as exc:
            return self._invalid(str(exc), headers)

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
                raise _Invalid(f"Validation failed: limit: Parameter 'limit' must be an integer between 1 and "
                               f"{MAX_LIMIT} (got '{raw_limit}')")
        sort_by = params.get("sort_by", "id")
        if sort_by not in ("id", "update_time", "add_time"):
            raise _Invalid(f"Validation failed: sort_by: Parameter 'sort_by' must be one of id, update_time, "
                           f"add_time (got '{sort_by}')")
        direction = params.get("sort_direction", "asc")
        if direction not in ("asc", "desc"):
            raise _Invalid(f"Validation failed: sort_direction: Parameter 'sort_direction' must be one of asc, "
                           f"desc (got '{direction}')")
        custom_keys, include = self._field_options(params)
        records = self.records

        # The view: ascending sort keys of the matching organizations (ids, or (time, id) pairs).
        filters = []
        if (owner := params.get("owner_id")) is not None:
            try:
                owner_id = int(owner)
            except ValueError:
                raise _Invalid(f"Validation failed: owner_id: Parameter 'owner_id' must be an integer "
                               f"(got '{owner}')") from None
            filters.append(lambda r: r["owner_id"] == owner_id)
        for name, keep in (("updated_since", lambda r, t: r["update_time"] >= t),
                           ("updated_until", lambda r, t: r["update_time"] < t)):
            if (raw := params.get(name)) is not None:
                moment = _normalise_time(raw)
                if moment is None:
                    raise _Invalid(f"Validation failed: {name}: '{raw}' is not a valid datetime")
                filters.append(lambda r, keep=keep, moment=moment: keep(r, moment))
        ids: list[int] = self.active_ids
        if (wanted := self._csv(params, "ids")) is not None:
            try:
                wanted_ids = {int(i) for i in wanted}
            except ValueError:
                raise _Invalid("Validation failed: ids: Parameter 'ids' must be a list of integers") from None
            ids = [i for i in ids if i in wanted_ids]
        if filters:
            ids = [i for i in ids if all(f(records[i]) for f in filters)]  # type: ignore[index]
        keys: list[Any]
        if sort_by == "id":
            keys = ids
        else:
            keys = sorted((records[i][sort_by], i) for i in ids)  # type: ignore[index]

        if (cursor := params.get("cursor")):
            last = _decode_cursor(cursor)
            if sort_by != "id":
                if not isinstance(last, list) or len(last) != 2:
                    raise _Invalid("Validation failed: cursor: Invalid cursor")
                last = tuple(last)
            elif not isinstance(last, int):
                raise _Invalid("Validation failed: cursor: Invalid cursor")
            try:
                position = bisect_right(keys, last) if direction == "asc" else bisect_left(keys, last)
            except TypeError:
                raise _Invalid("Validation failed: cursor: Invalid cursor") from None
        else:
            position = 0 if direction == "asc" else len(keys)
        if direction == "asc":
            page = keys[position:position + limit]
            more = position + limit < len(keys)
        else:
            start = max(position - limit, 0)
            page = keys[start:position][::-1]
            more = start > 0
        next_cursor = _encode_cursor(page[-1]) if more and page else None
        data = [self._render(records[k if sort_by == "id" else k[1]], custom_keys, include)  # type: ignore[index]
                for k in page]
        body = {"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}}
        return json_response(body, headers=headers)

    async def _read_body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            raise _Invalid("Validation failed: request body must be valid JSON") from None
        if not isinstance(body, dict):
            raise _Invalid("Validation failed: request body must be a JSON object")
        return body

    def _apply(self, record: dict[str, Any], body: dict[str, Any], creating: bool) -> None:
        """Validate `body` fully, then write it into `record` (nothing changes on error)."""
        changes: dict[str, Any] = {}
        if "name" in body or creating:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise _Invalid("Validation failed: name: Parameter 'name' is required and must be a non-empty string")
            changes["name"] = name
        if "owner_id" in body:
            owner = body["owner_id"]
            if not isinstance(owner, int) or isinstance(owner, bool):
                raise _Invalid("Validation failed: owner_id: Parameter 'owner_id' must be an integer")
            changes["owner_id"] = owner
        if "visible_to" in body:
            visible = body["visible_to"]
            if visible not in VISIBLE_TO or isinstance(visible, bool):
                raise _Invalid("Validation failed: visible_to: Parameter 'visible_to' must be one of 1, 3, 5, 7")
            changes["visible_to"] = visible
        if "label_ids" in body:
            labels = body["label_ids"]
            if labels is None:
                labels = []
            if not isinstance(labels, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                                       for x in labels):
                raise _Invalid("Validation failed: label_ids: Parameter 'label_ids' must be an array of integers")
            changes["label_ids"] = list(labels)
        for stamp in ("add_time", "update_time"):
            if body.get(stamp) is not None:
                value = body[stamp]
                moment = _normalise_time(value) if isinstance(value, str) else None
                if moment is None:
                    raise _Invalid(f"Validation failed: {stamp}: '{value}' is not a valid datetime")
                changes[stamp] = moment
        if "address" in body:
            address = body["address"]
            if address is not None:
                if not isinstance(address, dict) or not all(v is None or isinstance(v, str)
                                                            for v in address.values()):
                    raise _Invalid("Validation failed: address: Parameter 'address' must be an object of strings")
                unknown = [k for k in address if k not in ADDRESS_KEYS]
                if unknown:
                    raise _Invalid(f"Validation failed: address: Unknown address field '{unknown[0]}'")
                address = {key: address.get(key) for key in ADDRESS_KEYS}
            changes["address"] = address
        if "custom_fields" in body:
            custom = body["custom_fields"]
            if not isinstance(custom, dict):
                raise _Invalid("Validation failed: custom_fields: Parameter 'custom_fields' must be an object")
            known = set(CUSTOM_FIELD_KEYS.values())
            merged = dict(record.get("custom_fields") or {key: None for key in CUSTOM_FIELD_KEYS.values()})
            for key, value in custom.items():
                if key not in known:  # [unverified] Pipedrive's answer to an unknown field key
                    raise _Invalid(f"Validation failed: custom_fields: Unknown custom field key '{key}'")
                if key in NUMERIC_CUSTOM_FIELDS and value is not None:
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        raise _Invalid(f"Validation failed: custom_fields.{key}: must be a number")
                elif value is not None and not isinstance(value, str):
                    raise _Invalid(f"Validation failed: custom_fields.{key}: must be a string")
                merged[key] = None if value == "" else value
            changes["custom_fields"] = merged
        record.update(changes)

    async def _create(self, request: Request, headers: dict[str, str]) -> Response:
        body = await self._read_body(request)
        stamp = rfc3339(datetime.now(UTC))
        record: dict[str, Any] = {
            "id": 0, "name": "", "owner_id": _OWNERS[0], "add_time": stamp, "update_time": stamp,
            "is_deleted": False, "visible_to": 3, "address": None, "label_ids": [],
            "custom_fields": {key: None for key in CUSTOM_FIELD_KEYS.values()},
        }
        self._apply(record, body, creating=True)
        record["id"] = self.next_id
        self.next_id += 1
        self.records[record["id"]] = record  # type: ignore[index]
        self.active_ids.append(record["id"])
        return json_response({"success": True, "data": self._render(record)}, headers=headers)

    async def one(self, request: Request) -> Response:
        headers = self._rate_headers()
        if not self._authorized(request):
            return json_response(UNAUTHORIZED_BODY, status=401, headers=headers)
        try:
            found = self._active(request.path_params["id"], headers)
            if isinstance(found, Response):
                return found
            record = found
            if request.method == "GET":
                custom_keys, include = self._field_options(request.query_params)
                return json_response({"success": True, "data": self._render(record, custom_keys, include)},
                                     headers=headers)
            if request.method == "DELETE":
                record["is_deleted"] = True
                record["update_time"] = rfc3339(datetime.now(UTC))
                del self.active_ids[bisect_left(self.active_ids, record["id"])]
                return json_response({"success": True, "data": {"id": record["id"]}}, headers=headers)
            body = await self._read_body(request)
            explicit_update_time = body.get("update_time") is not None
            self._apply(record, body, creating=False)
            if not explicit_update_time:
                record["update_time"] = rfc3339(datetime.now(UTC))
            return json_response({"success": True, "data": self._render(record)}, headers=headers)
        except _Invalid as exc:
            return self._invalid(str(exc), headers)


EMULATOR = PipedriveEmulator
