"""What every Copper Developer API v1 resource shares: credentials, the error envelope, search paging,
users and reference data.

Sources: auth and limits https://developer.copper.com/introduction/requests.html ; error envelope
`{"success":false,"status":…,"message":…}` as live answers show it https://github.com/verbb/formie/issues/653 ;
categories https://developer.copper.com/introduction/appendix.html ; search paging
https://developer.copper.com/companies/list-companies-search.html and
https://developer.copper.com/people/list-people-search.html ; custom fields
https://developer.copper.com/custom-fields/general/list-custom-field-definitions.html .
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import json_response, member, read_json

# -- credentials ------------------------------------------------------------------------------------
# https://developer.copper.com/introduction/requests.html : every request carries X-PW-AccessToken,
# X-PW-Application: developer_api, X-PW-UserEmail (the key owner's email) and Content-Type: application/json.
SANDBOX_TOKEN = "sandbox-copper-token"
SANDBOX_USER_EMAIL = "sandbox.owner@copper-sandbox.example"
APPLICATION = "developer_api"

# The 401 wording is not confirmed by any source read [unverified]; the envelope is Copper's usual
# {"success":false,"status":…,"message":…}.
AUTH_FAILED_MESSAGE = "Invalid user credentials"

# -- errors -------------------------------------------------------------------------------------------
NOT_FOUND_MESSAGE = "Resource not found"                        # observed (https://github.com/verbb/formie/issues/653)
VALIDATION_PREFIX = "Invalid input: Validation errors: "        # observed 422 wording (same source)
DUPLICATE_DOMAIN_MESSAGE = "email_domain: Email domain is already taken"  # status 422 [unverified wording]

# -- rate limits ------------------------------------------------------------------------------------------
# https://developer.copper.com/introduction/requests.html : 180 requests/minute rolling, 429 when
# exceeded; no rate-limit headers are documented, so successful answers carry none. The 429 body wording is [unverified].
RATE_LIMIT_BODY = {"success": False, "status": 429, "message": "Rate limit exceeded"}

# -- reference data ---------------------------------------------------------------------------------------
USERS: list[dict[str, Any]] = [
    {"id": 731001, "name": "Sandbox Owner", "email": SANDBOX_USER_EMAIL},
    {"id": 731002, "name": "Dana Whitfield", "email": "dana.whitfield@copper-sandbox.example"},
    {"id": 731003, "name": "Rafael Ortiz", "email": "rafael.ortiz@copper-sandbox.example"},
]
USERS_BY_ID = {u["id"]: u for u in USERS}
# Users who own no seeded record (enough for several pages of crm/users): listed and read, never assigned.
OTHER_USERS: list[dict[str, Any]] = [
    {"id": 731010 + n, "name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}@copper-sandbox.example"}
    for n, (first, last) in enumerate([("Mara", "Quinn"), ("Jonas", "Berg"), ("Selin", "Kaya"), ("Omar", "Haddad"),
                                       ("Ines", "Costa"), ("Pavel", "Novak"), ("Lena", "Vogel"), ("Kofi", "Mensah"),
                                       ("Hana", "Sato"), ("Tariq", "Aziz"), ("Elena", "Ruiz"), ("Mateo", "Silva"),
                                       ("Ren", "Alvarez")])]

CONTACT_TYPES = [
    {"id": 451490, "name": "Potential Customer"},
    {"id": 451491, "name": "Current Customer"},
    {"id": 451492, "name": "Uncategorized"},
    {"id": 451493, "name": "Other"},
]
CONTACT_TYPE_IDS = {c["id"] for c in CONTACT_TYPES}

# The custom field definitions every data space starts with (fields.py copies them at each reset; GET
# /custom_field_definitions lists a space's own). Copper has no native industry or headcount; accounts keep them
# as custom fields like these.
CUSTOM_FIELD_DEFINITIONS: list[dict[str, Any]] = [
    {"id": 100764, "name": "Industry", "canonical_name": None, "data_type": "Dropdown",
     "available_on": ["company", "lead"],
     "options": [{"id": 900101 + n, "name": name, "rank": n} for n, name in enumerate(
         ["Software", "Manufacturing", "Retail", "Healthcare", "Logistics", "Finance", "Education", "Energy"])]},
    {"id": 100765, "name": "Employees", "canonical_name": None, "data_type": "Float", "available_on": ["company"]},
    {"id": 103482, "name": "Renewal Date", "canonical_name": None, "data_type": "Date", "available_on": ["company"]},
    {"id": 103483, "name": "Key Account", "canonical_name": None, "data_type": "Checkbox", "available_on": ["company"]},
    {"id": 103484, "name": "Contract URL", "canonical_name": None, "data_type": "URL", "available_on": ["company"]},
    {"id": 103485, "name": "Birthday", "canonical_name": None, "data_type": "Date", "available_on": ["person"]},
    {"id": 103487, "name": "Seats", "canonical_name": None, "data_type": "Float", "available_on": ["opportunity"]},
    {"id": 103488, "name": "Competitor", "canonical_name": None, "data_type": "Text", "available_on": ["opportunity"]},
    # More of an account's own person fields, of each data type custom-fields/general documents (enough for
    # several pages of crm/fields).
    *({"id": 103500 + n, "name": name, "canonical_name": None, "data_type": data_type, "available_on": ["person"]}
      for n, (name, data_type) in enumerate([
          ("Nickname", "String"), ("Assistant", "String"), ("Background", "Text"), ("Last Event", "Date"),
          ("Opted In", "Checkbox"), ("Portfolio", "URL"), ("Discount", "Percentage"), ("Budget", "Currency"),
          ("Lifetime Orders", "Float"), ("Referral Code", "String"), ("Hobbies", "Text"), ("Anniversary", "Date")])),
    # Lead-only fields (a lead also carries Industry above and Preferred Channel below).
    {"id": 103600, "name": "Lead Score", "canonical_name": None, "data_type": "Float", "available_on": ["lead"]},
    {"id": 103601, "name": "Lead Notes", "canonical_name": None, "data_type": "Text", "available_on": ["lead"]},
    # Fields shared by a person with another entity, listed after the person's own (the order of Copper's list is
    # not documented): crm/fields deletes only a definition on one entity, so a person's first fields are its own.
    {"id": 103481, "name": "Account Notes", "canonical_name": None, "data_type": "Text", "available_on": ["company", "person"]},
    {"id": 103486, "name": "Preferred Channel", "canonical_name": None, "data_type": "Dropdown",
     "available_on": ["person", "lead"],
     "options": [{"id": 900201 + n, "name": name, "rank": n} for n, name in enumerate(["Email", "Phone", "In person"])]},
]
CUSTOM_FIELD_DEFINITIONS_BY_ID = {d["id"]: d for d in CUSTOM_FIELD_DEFINITIONS}
COMPANY_FIELD_IDS = [d["id"] for d in CUSTOM_FIELD_DEFINITIONS if "company" in d["available_on"]]
PERSON_FIELD_IDS = [d["id"] for d in CUSTOM_FIELD_DEFINITIONS if "person" in d["available_on"]]
OPPORTUNITY_FIELD_IDS = [d["id"] for d in CUSTOM_FIELD_DEFINITIONS if "opportunity" in d["available_on"]]
LEAD_FIELD_IDS = [d["id"] for d in CUSTOM_FIELD_DEFINITIONS if "lead" in d["available_on"]]

# https://developer.copper.com/introduction/appendix.html : the categories each contact list takes.
EMAIL_CATEGORIES = ["work", "personal", "other"]
PHONE_CATEGORIES = ["work", "mobile", "home", "other"]
WEBSITE_CATEGORIES = ["work", "personal", "other"]
SOCIAL_CATEGORIES = ["linkedin", "twitter", "googleplus", "facebook", "youtube", "quora", "foursquare",
                     "klout", "gravatar", "other"]



# -- search paging (list-companies-search.html, list-people-search.html) ------------------------------------
DEFAULT_PAGE_SIZE = 20         # page_size default 20
MAX_PAGE_SIZE = 200            # "specify 200 for a page size of 200 records"; above it: switch `page_size_over_max`
SEARCH_RESULT_CAP = 100_000    # "only the first 100,000 records" (list-people-search.html)
# Search keys Copper documents for every entity it searches but this emulator does not apply (followed,
# age, interaction dates, custom field criteria): refused with the 422 Copper gives an unknown key, so a
# client never relies on a filter the sandbox would skip.
UNKNOWN_KEY_PROBLEM = "{}: Unknown attribute"
# minimum/maximum_modified_date: documented on leads, opportunities, projects and tasks searches, not on
# people or companies (GitbookTest 3.-people/list-people-search.md, 4.-companies/list-companies-search.md)
# (https://developer.copper.com/people/list-people-search.html,
# https://developer.copper.com/companies/list-companies-search.html) [unverified either way]: switch
# `search_modified_dates` (applied, refused with the unknown key's 422, or taken and ignored).
MODIFIED_DATE_KEYS = {"minimum_modified_date", "maximum_modified_date"}


def modified_date_bounds(switch: dict[str, Any]) -> tuple[str, ...]:
    """The `within_bounds` name of minimum/maximum_modified_date on a people or companies search: applied, or
    none when the `search_modified_dates` switch says Copper ignores them (refused keys never get here)."""
    return ("modified_date",) if switch["search_modified_dates"] == "applied" else ()


async def read_search(request: Request, applied: set[str], switch: dict[str, Any]) -> tuple[dict[str, Any], int, int] | Response:
    """A search request's (body, page_number, page_size), or Copper's error: a body that is not a JSON object
    (400), a key Copper does not know (422; https://github.com/singer-io/tap-copper strips other keys for that
    reason), page numbers and sizes from 1 (422), a page_size above 200 clamped or refused as the
    `page_size_over_max` switch says. `applied`: the keys the searching resource applies."""
    body = await body_object(request)
    if isinstance(body, Response):
        return body
    known = applied - MODIFIED_DATE_KEYS if switch["search_modified_dates"] == "refused" else applied
    unknown = sorted(set(body) - known)
    if unknown:
        return validation_error(UNKNOWN_KEY_PROBLEM.format(unknown[0]))
    try:
        page = int(body.get("page_number") or 1)
        size = int(body.get("page_size") or DEFAULT_PAGE_SIZE)
    except (TypeError, ValueError):
        return validation_error("page_number and page_size must be numbers")
    if page < 1 or size < 1:
        return validation_error("page_number and page_size must be positive")
    if size > MAX_PAGE_SIZE:
        if switch["page_size_over_max"] == "refuse":
            return validation_error(f"page_size must be at most {MAX_PAGE_SIZE}")
        size = MAX_PAGE_SIZE
    return body, page, size


def error(status: int, message: str) -> Response:
    """Copper's error envelope (https://github.com/verbb/formie/issues/653)."""
    return json_response({"success": False, "status": status, "message": message}, status)


def validation_error(*problems: str) -> Response:
    return error(422, VALIDATION_PREFIX + "; ".join(problems))


def authenticate(request: Request) -> Response | None:
    """All three X-PW-* headers must be present and right, else 401."""
    headers = request.headers
    if (headers.get("x-pw-accesstoken") != SANDBOX_TOKEN
        or headers.get("x-pw-application") != APPLICATION
        or (headers.get("x-pw-useremail") or "").lower() != SANDBOX_USER_EMAIL):
        return error(401, AUTH_FAILED_MESSAGE)
    return None


def guarded(handler):
    """`handler` behind Copper's authentication."""
    async def endpoint(request: Request) -> Response:
        failure = authenticate(request)
        if failure is not None:
            return failure
        return await handler(request)
    return endpoint


async def body_object(request: Request) -> dict[str, Any] | Response:
    raw = await request.body()
    if not raw.strip():
        return {}
    parsed = await read_json(request)
    if not isinstance(parsed, dict):
        return error(400, "Malformed JSON in request body")
    return parsed


def categorised_items(key: str, items: Any, categories: list[str]) -> list[dict[str, Any]] | str:
    """A record's `emails`, `phone_numbers`, `websites` or `socials` as Copper stores them ({value, category}),
    or the validation problem (a missing value, a category outside
    https://developer.copper.com/introduction/appendix.html)."""
    value_key = {"emails": "email", "phone_numbers": "number"}.get(key, "url")
    items = items or []
    # The value is a string in every example of https://developer.copper.com/people/create-a-new-person.html.
    if not isinstance(items, list) or any(not isinstance(x, dict) or not isinstance(x.get(value_key), str)
                                          or not x[value_key] for x in items):
        return f"{key}: Invalid {key}"
    bad = [x.get("category") for x in items if not member(x.get("category"), categories)]
    if bad:
        return f"{key}: Invalid category {bad[0]}"
    return [{value_key: x[value_key], "category": x["category"]} for x in items]


def merge_custom_fields(record: dict[str, Any], items: Any, entity: str,
                        definitions: dict[int, dict[str, Any]]) -> str | None:
    """Set the values of `custom_fields` [{custom_field_definition_id, value}] on a record of `entity`
    (company, person, opportunity, lead), `definitions` being the data space's by id: a definition not available
    on it, or a value of the wrong type, is the problem returned
    (https://developer.copper.com/custom-fields/general/list-custom-field-definitions.html)."""
    if not isinstance(items, list):
        return "custom_fields: Invalid custom_fields"
    for item in items:
        if not isinstance(item, dict):
            return "custom_fields: Invalid custom_fields"
        raw_id = item.get("custom_field_definition_id")
        definition = definitions.get(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        if definition is None or entity not in definition["available_on"]:
            return f"custom_fields: Unknown custom field definition {item.get('custom_field_definition_id')}"
        value = item.get("value")
        kind = definition["data_type"]
        if value is not None:
            option_ids = {o["id"] for o in definition.get("options", [])}
            if kind == "Dropdown" and (isinstance(value, bool) or not member(value, option_ids)):
                return f"custom_fields: Invalid option for {definition['name']}"
            # A MultiSelect value is a list of option ids (custom-fields/general/list-custom-field-definitions.html).
            if kind == "MultiSelect" and (not isinstance(value, list)
                                          or any(isinstance(v, bool) or not member(v, option_ids) for v in value)):
                return f"custom_fields: Invalid option for {definition['name']}"
            if kind in ("Float", "Percentage", "Currency", "Date") and (isinstance(value, bool) or not isinstance(value, (int, float))):
                return f"custom_fields: {definition['name']} must be a number"
            if kind == "Checkbox" and not isinstance(value, bool):
                return f"custom_fields: {definition['name']} must be a boolean"
            if kind in ("String", "Text", "URL") and not isinstance(value, str):
                return f"custom_fields: {definition['name']} must be a string"
            if kind == "Float":
                value = float(value)
        row = next((r for r in record["custom_fields"] if r["custom_field_definition_id"] == definition["id"]), None)
        if row is None:
            record["custom_fields"].append({"custom_field_definition_id": definition["id"], "value": value})
        else:
            row["value"] = value
    return None
