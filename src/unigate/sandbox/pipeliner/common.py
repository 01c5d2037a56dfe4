"""What every Pipeliner entity shares: credentials, the `{success, ...}` envelope and errors, dates, cursors,
and the side entities records refer to (`Clients`, `Tags`, `Fields`).

Sources: https://developers.pipelinersales.com/api-docs/ (overview/authentication,
core-api-concepts/pagination, api-parameters, dates, fields) and the vendor-published PowerPlatform
connector swagger (microsoft/PowerPlatformConnectors `certified-connectors/Pipeliner CRM/apiDefinition.swagger.json`).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from starlette.responses import Response

from unigate.sandbox.base import json_response

SANDBOX_SPACE_ID = "sandbox-space"
SANDBOX_USERNAME = "sandbox-pipeliner-user"
SANDBOX_PASSWORD = "sandbox-pipeliner-password"
# Every entity lives under the space (https://developers.pipelinersales.com/api-docs/overview/about-the-api).
ENTITIES_PATH = "/api/v100/rest/spaces/{space_id}/entities"

# Pagination (developers.pipelinersales.com/api-docs/core-api-concepts/pagination): default 30, max 100.
# A larger `first` is clamped ("sends a maximum of 100"), not refused.
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100

# Error bodies: the envelope {code, name, message, success:false} is from the PostHog connector's test fixture
# (PostHog/posthog, sources/pipeliner/tests/test_pipeliner.py); the `name` strings other than "Space not found."
# are not documented by the vendor and chosen here.
UNAUTHORIZED = (401, "ERROR_UNAUTHORIZED", "Invalid API credentials.")
SPACE_NOT_FOUND = (404, "ERROR_NOT_FOUND", "Space not found.")
ENTITY_NOT_FOUND_NAME = "ERROR_ENTITY_NOT_FOUND"
VALIDATION_STATUS = 400
VALIDATION_NAME = "ERROR_VALIDATION"
# Deleting an already soft-deleted record: 404 like any unknown id (default), or 200 as a repeated delete
# of the same record (the vendor documents no answer; switch `delete_deleted_status`).
DELETE_DELETED_STATUS = 404
# Deleting an `is_delete_protected` record: refused (inferred from the field name in
# the connector swagger; unverified).
DELETE_PROTECTED = (403, "ERROR_DELETE_PROTECTED", "Entity is protected from deletion.")
# Body of a successful DELETE. The docs leave the payload open; the vendor-published connector swagger
# (PowerPlatformConnectors, operation AccountsDelete) declares {"success": boolean, "data": string "ID"}.
def delete_response(record_id: str) -> dict[str, Any]:
    return {"success": True, "data": record_id}
# Behaviours the vendor's sources disagree on, as the emulator's switches (the default first):
# - `create_status`: a create answers 200 per the vendor-published connector swagger (PowerPlatformConnectors,
#   AccountsCreate/ContactsCreate) and 201 per the vendor's v100 OpenAPI (mirrored in amp-labs/connectors,
#   providers/pipeliner/openapi/api.json); every entity follows the one switch.
# - `contact_name_required`: a contact needs `first_name` or `last_name` per the create-contact tutorial
#   (https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-contact), `last_name` per
#   the connector swagger, and no name at all per the OpenAPI (only `owner_id`).
SWITCHES: dict[str, tuple[object, ...]] = {
    "create_status": (200, 201),
    "contact_name_required": ("first_or_last", "last_name", "none"),
    # contacts.py: whether a PATCH's `account_relations` replaces the contact's relations or adds to them is
    # not documented
    "account_relations_on_patch": ("replace", "append"),
    # accounts.py, contacts.py: a DELETE of a record already deleted (DELETE_DELETED_STATUS above)
    "delete_deleted_status": (DELETE_DELETED_STATUS, 200),
    # activities.py: a note naming several records (account_id, contact_id, lead_oppty_id) is kept ("many") or
    # refused ("one"); the sources show one set and document neither
    "note_parents": ("many", "one"),
    # fields.py: whether a PATCH's `data_set` replaces a field's options or adds to them is not documented
    "field_options_on_patch": ("replace", "merge"),
}
# No rate-limit headers are documented for Pipeliner
# (https://developers.pipelinersales.com/api-docs/); none are sent. 429 comes from faults.
RATE_LIMIT_HEADERS: dict[str, str] = {}

SEED_EPOCH = datetime(2022, 3, 1, 8, 15, 0, 123456, tzinfo=UTC)
_NS = uuid.UUID("6b1e3c56-9a0f-4e55-8f2c-1d2e3f405162")


def det_uuid(kind: str, n: int) -> str:
    return str(uuid.uuid5(_NS, f"{kind}-{n}"))


def pipeliner_date(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """`2019-02-01 07:41:49.529970+00:00`: a space, microseconds, an explicit offset."""
    return moment.astimezone(zone or UTC).isoformat(sep=" ", timespec="microseconds")


def parse_date(text: str) -> datetime:
    return datetime.fromisoformat(text)


def error(status: int, name: str, message: str) -> Response:
    return json_response({"code": status, "name": name, "message": message, "success": False}, status,
                         headers=dict(RATE_LIMIT_HEADERS))


def entity_validation(entity: str, entity_id: str, field: str, code: int, name: str, message: str) -> Response:
    """422 ERROR_ENTITY_VALIDATION with one field error, the envelope Pipeliner answers for a missing required
    field (119) or a relation to a record that does not exist (120) (amp-labs/connectors, providers/pipeliner
    test fixtures; codes in https://developers.pipelinersales.com/api-docs/core-api-concepts/bulk-create-update-delete)."""
    inner = {"code": code, "name": name, "message": message, "field_id": None, "field_name": field}
    return json_response({
        "code": 40000, "name": "ERROR_ENTITY_VALIDATION", "message": f"\n{message}", "entity_id": entity_id,
        "entity_name": entity, "entity_errors": [],
        "field_errors": [{"field_id": None, "field_name": field, "name": "ERROR_FIELD_VALIDATION", "code": 40002,
                          "errors": [inner]}],
        "step_checklist_errors": [], "entity_index": None, "http_status": 422, "success": False,
    }, 422, headers=dict(RATE_LIMIT_HEADERS))


def invalid_body() -> Response:
    """400 for a body that is not a JSON object, as Pipeliner answers it (amp-labs/connectors,
    providers/pipeliner/test/create-invalid-body.json)."""
    return json_response({"code": 117, "name": "ERROR_PARAMETER_INVALID", "message": "Missing or invalid JSON data.",
                          "http_status": 400, "success": False}, 400, headers=dict(RATE_LIMIT_HEADERS))


def ok(body: Any, status: int = 200) -> Response:
    return json_response(body, status, headers=dict(RATE_LIMIT_HEADERS))


def encode_cursor(record_id: str) -> str:
    return base64.b64encode(orjson.dumps([record_id])).decode()


def decode_cursor(token: str) -> str | None:
    try:
        value = orjson.loads(base64.b64decode(token, validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    return None


# -- side entities --------------------------------------------------------------------------------
_UNITS = [det_uuid("unit", i) for i in range(3)]
# The space's users (Clients): the first five own the seeded records (OWNERS), the others own nothing yet.
# Fields as the v100 OpenAPI's Client: first/last name, `name`, `formatted_name`, `email` (read-only, from the
# user profile), `position`, `default_unit_id`, `created`, `modified`.
CLIENTS = [
    {"id": det_uuid("client", i), "first_name": first, "last_name": last, "name": f"{first} {last}",
     "formatted_name": f"{first} {last}", "position": ["Sales Manager", "Account Executive", "SDR"][i % 3],
     "email": f"{first.lower()}.{last.lower()}@sandbox.example", "default_unit_id": _UNITS[i % len(_UNITS)],
     "is_deleted": False, "created": pipeliner_date(SEED_EPOCH - timedelta(days=400 - i, hours=i)),
     "modified": pipeliner_date(SEED_EPOCH - timedelta(days=100 - 3 * i, minutes=i))}
    for i, (first, last) in enumerate([("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"),
                                       ("Edsger", "Dijkstra"), ("Barbara", "Liskov"), ("Donald", "Knuth"),
                                       ("Frances", "Allen"), ("John", "Backus"), ("Margaret", "Hamilton"),
                                       ("Niklaus", "Wirth"), ("Radia", "Perlman"), ("Ken", "Thompson"),
                                       ("Sophie", "Wilson"), ("Tony", "Hoare"), ("Leslie", "Lamport"),
                                       ("Adele", "Goldberg")])
]
OWNERS = CLIENTS[:5]
CLIENT_IDS = {c["id"] for c in CLIENTS}
_INDUSTRY_NAMES = ["Software", "Manufacturing", "Financial Services", "Healthcare", "Retail", "Logistics",
                   "Energy", "Media", "Education", "Telecommunications"]
INDUSTRIES = [{"id": det_uuid("industry", i), "option_name": name, "sort_order": i, "is_deleted": False}
              for i, name in enumerate(_INDUSTRY_NAMES)]
INDUSTRY_IDS = {i["id"] for i in INDUSTRIES}
_TAG_NAMES = ["enterprise", "smb", "vip", "partner", "churn-risk", "expansion", "q3-target"]
TAGS = [{"id": det_uuid("tag", i), "name": name, "color": i, "is_deleted": False,
         "created": pipeliner_date(SEED_EPOCH - timedelta(days=30)),
         "modified": pipeliner_date(SEED_EPOCH - timedelta(days=30))}
        for i, name in enumerate(_TAG_NAMES)]
TAG_IDS = {t["id"] for t in TAGS}
CUSTOMER_TYPE_IDS = [det_uuid("customer-type", i) for i in range(3)]
ACCOUNT_TYPE_IDS = [det_uuid("account-type", i) for i in range(2)]
PERSONAS = [{"id": det_uuid("persona", i), "option_name": name, "calc_value": 1, "sort_order": i, "is_deleted": False}
            for i, name in enumerate(["Champion", "Economic buyer", "End user"])]
# The space's field definitions (fields.py serves them): system fields (no `cf_` prefix) and custom ones, per entity.
_SYSTEM_CONTACT_FIELDS = [
    ("first_name", "First name", "input"), ("middle_name", "Middle name", "input"), ("last_name", "Last name", "input"),
    ("title", "Title", "input"), ("position", "Position", "input"), ("email1", "Email", "email"),
    ("email2", "Email 2", "email"), ("phone1", "Phone", "phone"), ("phone2", "Phone 2", "phone"),
    ("address", "Address", "text_area"), ("city", "City", "input"), ("state_province", "State / Province", "input"),
    ("zip_code", "ZIP code", "input"), ("country", "Country", "input"), ("comments", "Comments", "text_area"),
]
_MORE_CONTACT_CUSTOM_FIELDS = [
    ("cf_birthday", "Birthday", "date"), ("cf_linkedin", "LinkedIn", "url"), ("cf_assistant", "Assistant", "input"),
    ("cf_score", "Score", "integer"), ("cf_department", "Department", "input"),
    ("cf_last_meeting", "Last meeting", "datetime"), ("cf_events_attended", "Events attended", "integer"),
    ("cf_notes_short", "Short note", "text_area"),
]
FIELDS = [
    {"id": det_uuid("field", 0), "api_name": "industry_id", "name": "Industry", "entity_name": "Account",
     "type_id": "dropdown", "is_deleted": False, "data_set": INDUSTRIES},
    {"id": det_uuid("field", 1), "api_name": "cf_tier", "name": "Tier", "entity_name": "Account",
     "type_id": "input", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 2), "api_name": "cf_annual_revenue", "name": "Annual revenue",
     "entity_name": "Account", "type_id": "float", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 3), "api_name": "cf_region", "name": "Region", "entity_name": "Account",
     "type_id": "input", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 4), "api_name": "cf_lead_source", "name": "Lead source", "entity_name": "Contact",
     "type_id": "input", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 5), "api_name": "cf_nps", "name": "NPS", "entity_name": "Contact",
     "type_id": "integer", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 6), "api_name": "cf_persona", "name": "Persona", "entity_name": "Contact",
     "type_id": "dropdown", "is_deleted": False, "data_set": PERSONAS},
    {"id": det_uuid("field", 7), "api_name": "cf_newsletter", "name": "Newsletter", "entity_name": "Contact",
     "type_id": "checkbox", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 8), "api_name": "cf_competitor", "name": "Competitor", "entity_name": "Opportunity",
     "type_id": "input", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 9), "api_name": "cf_discount_pct", "name": "Discount %", "entity_name": "Opportunity",
     "type_id": "float", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 10), "api_name": "cf_budget", "name": "Budget", "entity_name": "Lead",
     "type_id": "float", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 11), "api_name": "cf_referrer", "name": "Referrer", "entity_name": "Lead",
     "type_id": "input", "is_deleted": False, "data_set": []},
    {"id": det_uuid("field", 12), "api_name": "cf_follow_up", "name": "Follow-up date", "entity_name": "Lead",
     "type_id": "date", "is_deleted": False, "data_set": []},
    *({"id": det_uuid("field", 13 + n), "api_name": api_name, "name": label, "entity_name": "Contact",
       "type_id": type_id, "is_deleted": False, "data_set": []}
      for n, (api_name, label, type_id) in enumerate(_MORE_CONTACT_CUSTOM_FIELDS)),
    *({"id": det_uuid("field", 40 + n), "api_name": api_name, "name": label, "entity_name": "Contact",
       "type_id": type_id, "is_deleted": False, "data_set": []}
      for n, (api_name, label, type_id) in enumerate(_SYSTEM_CONTACT_FIELDS)),
]

DATE_FIELDS = ("created", "modified")

# Currencies of the sandbox space: USD is the base currency, the others carry an exchange rate to it.
# An opportunity's `value` is {base_value (base currency), currency_id, value_foreign (that currency)}; the
# server computes one side from the other through the exchange rates
# (https://developers.pipelinersales.com/api-docs/tutorials-and-articles/create-opportunity).
BASE_CURRENCY_CODE = "USD"
CURRENCIES = [
    {"id": det_uuid("currency", i), "code": code, "symbol": symbol, "is_base": code == BASE_CURRENCY_CODE,
     "rate_to_base": rate, "is_deleted": False,
     "created": pipeliner_date(SEED_EPOCH - timedelta(days=400)),
     "modified": pipeliner_date(SEED_EPOCH - timedelta(days=400))}
    for i, (code, symbol, rate) in enumerate([("USD", "$", 1.0), ("EUR", "€", 1.08), ("GBP", "£", 1.27)])
]
CURRENCY_BY_ID = {c["id"]: c for c in CURRENCIES}


def is_uuid(value: Any) -> bool:
    """Relation ids are uuids (format: uuid throughout the v100 OpenAPI)."""
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
