"""What every Capsule API v2 resource shares: credentials, error bodies, rate limits, users, field
definitions, countries, timestamps.

Auth: https://developer.capsulecrm.com/v2/overview/authentication ; responses, errors and rate
limits: https://developer.capsulecrm.com/v2/overview/handling-api-responses .
"NOTES §n" cites the live-checked notes in https://github.com/soil-dev/capsulemcp (NOTES-ON-CAPSULE-API.md).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import json_response

# -- credentials ------------------------------------------------------------------------------------
SANDBOX_TOKEN = "sandbox-capsule-token"
"""The fixed bearer token the sandbox accepts (a Personal Access Token); OAuth access tokens the
sandbox's OAuth server issued are accepted until they expire."""

# -- auth failures ----------------------------------------------------------------------------------
# https://developer.capsulecrm.com/v2/overview/authentication : invalid/expired token -> 401, and "the
# body and WWW-Authenticate header will include additional information about the error". The exact wording is
# not published [unverified]; these follow RFC 6750, which the OAuth 2 bearer scheme uses.
AUTH_MISSING_MESSAGE = "authentication required"
AUTH_INVALID_MESSAGE = "invalid or expired access token"
WWW_AUTHENTICATE_MISSING = 'Bearer realm="Capsule"'
WWW_AUTHENTICATE_INVALID = 'Bearer realm="Capsule", error="invalid_token", error_description="The access token is invalid or has expired"'
# A valid token whose scope does not cover the request: 403 (authentication page); wording per RFC 6750
# §3.1 [unverified].
INSUFFICIENT_SCOPE_MESSAGE = "insufficient scope"
WWW_AUTHENTICATE_INSUFFICIENT_SCOPE = ('Bearer realm="Capsule", error="insufficient_scope", '
                                       'error_description="The access token does not have the write scope"')

# -- errors -------------------------------------------------------------------------------------------
NOT_FOUND_ROUTE_MESSAGE = "Could not find resource"   # NOTES §5 (GET /users/me)
PARTY_NOT_FOUND_MESSAGE = "party not found"           # NOTES §24 [observed wording]
TAG_NOT_FOUND_MESSAGE = "tag not found"               # NOTES §24 [observed wording]
# A person linked to an id that is not an organisation (the create_party tool docs of
# https://github.com/soil-dev/capsulemcp) [observed wording].
ORGANISATION_NOT_FOUND_MESSAGE = "organisation not found"
VALIDATION_MESSAGE = "Validation Failed"              # NOTES §1, §2, §13: "422 Validation Failed: ..."
TOO_MANY_IDS_MESSAGE = "too many ids"                 # NOTES §12
TOO_MANY_IDS_STATUS = 400                             # not documented: switch `too_many_ids_status`

# -- rate limits ------------------------------------------------------------------------------------------
# https://developer.capsulecrm.com/v2/overview/handling-api-responses : 4,000 requests per user per
# hour; X-RateLimit-Limit/-Remaining/-Reset (UTC epoch seconds) on every successful response; 429 body
# {"error":"rate limit reached"}; no Retry-After.
RATE_LIMIT = 4000
RATE_LIMIT_WINDOW_SECONDS = 3600
RATE_LIMIT_BODY = {"error": "rate limit reached"}

# -- reference data ---------------------------------------------------------------------------------------
USERS: list[dict[str, Any]] = [
    {"id": 61201, "username": "alex.morgan", "name": "Alex Morgan", "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png"},
    {"id": 61202, "username": "priya.shah", "name": "Priya Shah", "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png"},
    {"id": 61203, "username": "tom.becker", "name": "Tom Becker", "pictureURL": "https://capsulecrm.com/theme/default/images/person_avatar_70.png"},
]
USERS_BY_ID = {u["id"]: u for u in USERS}
# What `/users` adds to a user (https://developer.capsulecrm.com/v2/models/user): `status` (a user who left is no
# longer ACTIVE) and the user's own party, which holds the e-mail address (the user object has none).
USER_DETAILS: dict[int, dict[str, Any]] = {
    61201: {"status": "ACTIVE", "party": {"id": 40001, "type": "person", "firstName": "Alex", "lastName": "Morgan"}},
    61202: {"status": "ACTIVE", "party": {"id": 40002, "type": "person", "firstName": "Priya", "lastName": "Shah"}},
    61203: {"status": "ACTIVE", "party": {"id": 40003, "type": "person", "firstName": "Tom", "lastName": "Becker"}},
}
# Users who own no seeded record (enough for several pages of crm/users), the last one a user who left: still
# listed by `/users`, no longer ACTIVE.
OTHER_USERS: list[dict[str, Any]] = [
    {"id": 61210 + i, "username": f"{first.lower()}.{last.lower()}", "name": f"{first} {last}",
     "pictureURL": USERS[0]["pictureURL"], "status": "INACTIVE" if last == "Alvarez" else "ACTIVE",
     "party": {"id": 40010 + i, "type": "person", "firstName": first, "lastName": last}}
    for i, (first, last) in enumerate([("Mara", "Quinn"), ("Jonas", "Berg"), ("Selin", "Kaya"), ("Omar", "Haddad"),
                                       ("Ines", "Costa"), ("Pavel", "Novak"), ("Lena", "Vogel"), ("Kofi", "Mensah"),
                                       ("Hana", "Sato"), ("Tariq", "Aziz"), ("Elena", "Ruiz"), ("Mateo", "Silva"),
                                       ("Ren", "Alvarez")])
]
# Capsule's answer to an id it does not know (NOTES §5: "Could not find resource").
RESOURCE_NOT_FOUND_MESSAGE = "Could not find resource"

# Custom field definitions for parties (GET /parties/fields/definitions, NOTES §9). Capsule has no
# native industry or headcount; tenants keep them as custom fields like these.
FIELD_DEFINITIONS: list[dict[str, Any]] = [
    {"id": 801, "name": "Industry", "type": "LIST", "options": ["Software", "Manufacturing", "Retail", "Healthcare", "Logistics", "Finance", "Education", "Energy"]},
    {"id": 802, "name": "Employees", "type": "NUMBER"},
    {"id": 803, "name": "Customer Since", "type": "DATE"},
    {"id": 804, "name": "Key Account", "type": "BOOLEAN"},
    {"id": 805, "name": "Account Code", "type": "TEXT"},
    # Fields captured on people (https://developer.capsulecrm.com/v2/models/field_definition: captureRule).
    {"id": 806, "name": "Preferred Channel", "type": "LIST", "options": ["Email", "Phone", "In person"], "captureRule": "person"},
    {"id": 807, "name": "Newsletter", "type": "BOOLEAN", "captureRule": "person"},
    # More of an account's own fields (enough for several pages of crm/fields).
    {"id": 808, "name": "Annual Revenue", "type": "NUMBER", "description": "Last fiscal year, in the account currency"},
    {"id": 809, "name": "Renewal Date", "type": "DATE"},
    {"id": 810, "name": "Region", "type": "LIST", "options": ["EMEA", "Americas", "APAC"]},
    {"id": 811, "name": "Partner Portal", "type": "LINK"},
    {"id": 812, "name": "Background", "type": "LARGE_TEXT", "description": "Free notes on the relationship"},
    {"id": 813, "name": "Billing Code", "type": "TEXT", "captureRule": "organisation"},
    {"id": 814, "name": "Credit Checked", "type": "BOOLEAN", "captureRule": "organisation"},
    {"id": 815, "name": "Birthday", "type": "DATE", "captureRule": "person"},
    {"id": 816, "name": "Seniority", "type": "LIST", "options": ["Junior", "Senior", "Executive"], "captureRule": "person"},
    {"id": 817, "name": "Lifetime Orders", "type": "NUMBER"},
]
# The seeded definitions by id (each data space keeps its own copy: CapsuleEmulator.definitions).
FIELD_DEFINITIONS_BY_ID = {d["id"]: d for d in FIELD_DEFINITIONS}
# The definition types (https://developer.capsulecrm.com/v2/models/field_definition: text, date, list, boolean,
# number, link; LARGE_TEXT as https://github.com/soil-dev/capsulemcp reports), kept upper-case here.
DEFINITION_TYPES = ("TEXT", "DATE", "LIST", "BOOLEAN", "NUMBER", "LINK", "LARGE_TEXT")

# Countries must be in Capsule's country dictionary, else 422 (the tool docs of
# https://github.com/soil-dev/capsulemcp).
# A subset of that dictionary (GET /api/v2/countries) is enough for the sandbox.
COUNTRIES = [
    "United States", "United Kingdom", "Canada", "Germany", "France", "Netherlands", "Ireland", "Spain",
    "Italy", "Sweden", "Norway", "Denmark", "Australia", "New Zealand", "Japan", "India", "Brazil",
    "Mexico", "Switzerland", "Austria", "Belgium", "Portugal", "Poland", "Singapore", "South Africa",
]
COUNTRY_LOOKUP = {c.lower(): c for c in COUNTRIES}

ADDRESS_TYPES = ["Home", "Office", "Postal", "Billing", "Shipping"]
PHONE_TYPES = ["Home", "Work", "Mobile", "Fax", "Direct"]
WEBSITE_SERVICES = ["URL", "SKYPE", "TWITTER", "LINKED_IN", "FACEBOOK", "XING", "FEED", "GOOGLE_PLUS",
                    "FLICKR", "GITHUB", "YOUTUBE", "INSTAGRAM", "PINTEREST"]

def iso(ts: float) -> str:
    """Capsule's timestamp format: ISO-8601 UTC, second precision, `Z` (e.g. 2015-11-30T16:20:05Z)."""
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def changed_since(records: list[dict[str, Any]], since: datetime, comparison: str) -> list[dict[str, Any]]:
    """The records a list's `since` keeps: "entities that have been changed after this date"
    (https://developer.capsulecrm.com/v2/operations/Party, listParties), read as after (`exclusive`) or, as the
    Singer tap's one-second step suggests, at or after (`inclusive`; https://github.com/Matatika/tap-capsulecrm,
    client.py) by the `since_comparison` switch."""
    cutoff = iso(since.timestamp())
    if comparison == "exclusive":
        return [r for r in records if r["updatedAt"] > cutoff]
    return [r for r in records if r["updatedAt"] >= cutoff]




def answer(request: Request, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A Capsule answer with the rate-limit headers `CapsuleEmulator.authenticate` counted."""
    merged = dict(request.state.rate_headers)
    merged.update(headers or {})
    return json_response(body, status=status, headers=merged)


def error(request: Request, status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    return answer(request, body, status)


def validation_error(request: Request, errors: list[dict[str, Any]]) -> Response:
    """422 with Capsule's validation shape (`src/capsule/client.ts` in https://github.com/soil-dev/capsulemcp)."""
    return error(request, 422, VALIDATION_MESSAGE, errors)


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
