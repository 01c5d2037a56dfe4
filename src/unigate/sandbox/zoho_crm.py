"""Zoho CRM emulator: the Accounts module of REST API v8 (`/crm/v8/Accounts`).

The emulator's root stands for a Zoho API domain such as `https://www.zohoapis.com` (the host the
OAuth token response names in `api_domain`). Sources are cited as
`research/crm-apis-1.md §3.x` and, for the v8 contract, Zoho's own OpenAPI examples in
`zoho/crm-oas` (`v8.0/record/...`), e.g. `deleteRecord/examples/response-400-invalidrecordid.md`.

What it reproduces:
- `Authorization: Zoho-oauthtoken <token>`; a missing/other scheme answers 401
  `AUTHENTICATION_FAILURE`, a wrong token 401 `INVALID_TOKEN` (§3.4; crm-oas 401 examples).
- Every body wrapped in a `data` array, also for single-record paths (§3.3, §3.6).
- List: `fields` mandatory (400 `REQUIRED_PARAM_MISSING`), at most 50 fields (400 `LIMIT_EXCEEDED`),
  `page`/`per_page` (≤200) up to 2,000 records (400 `DISCRETE_PAGINATION_LIMIT_EXCEEDED`), then
  `page_token` from `info.next_page_token` (up to 100,000), `page`+`page_token` together rejected
  (400 `AMBIGUITY_DURING_PROCESSING`), `info.more_records`, and 204 with no body for an empty page.
- Get of an unknown id: 204 No Content (crm-oas `getRecord`: "204 ... no record match").
- Create 201 / 207 mixed / 400 all failed; update 200; delete 200 `record deleted` to the Recycle Bin
  (`/crm/v8/Accounts/deleted`); an unknown id on update/delete is a per-record `INVALID_DATA` item
  "the id given seems to be invalid" with HTTP 400.
- Field metadata `GET /crm/v8/settings/fields?module=Accounts` (custom fields flagged `custom_field`).
- Rate-limit headers `X-RATELIMIT-LIMIT/-REMAINING/-RESET` on every answer.
- OAuth 2 (§3.2): authorize `GET /oauth/v2/auth`, token `POST /oauth/v2/token` (the accounts server,
  served under the emulator root); the API accepts the access tokens it issues. See `OAUTH_*`.
"""

from __future__ import annotations

import base64
import bisect
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.sandbox import _oauth
from unigate.sandbox.base import Emulator, json_response, read_json

# -- credentials ------------------------------------------------------------------------------------
SANDBOX_TOKEN = "sandbox-zoho_crm-token"
# What the Zoho accounts server would have answered as `api_domain` for this org (US data centre).
SANDBOX_API_DOMAIN = "https://www.zohoapis.com"
AUTH_SCHEME = "Zoho-oauthtoken"  # research/crm-apis-1.md §3.2 (SDK OAUTH_HEADER_PREFIX)

# -- OAuth 2 (research/crm-apis-1.md §3.2) -------------------------------------------------------------
OAUTH_AUTHORIZE_PATH = "/oauth/v2/auth"     # https://accounts.zoho.{dc}/oauth/v2/auth [verified]
OAUTH_TOKEN_PATH = "/oauth/v2/token"        # https://accounts.zoho.{dc}/oauth/v2/token [verified]
OAUTH_ACCESS_TOKEN_TTL = 3600               # "access token valid 1 hour", expires_in 3600 [verified]
# The documented refresh answer carries no refresh_token: the refresh token is kept and used again
# (a user holds up to 20 of them) [verified, §3.2].
OAUTH_ROTATES_REFRESH_TOKEN = False
# Grant tokens are short-lived [unverified lifetime: Zoho docs speak of minutes].
OAUTH_CODE_TTL = 120
# Token endpoint errors come with HTTP 200 and a bare `{"error": "<code>"}`; the official SDK reads
# the body whatever the status and fails when it has no access_token (zohocrmsdk8-0
# `oauth_token.py` parse_response) [observed: live answers quoted in public issue threads, e.g.
# `HTTP/1.1 200 ... {"error":"invalid_client"}`, `{"error":"invalid_code"}`; the redirect-URI and
# grant-type codes are unverified].
OAUTH_ERROR_STATUS = 200
OAUTH_ERROR_CODES = {
    _oauth.REASON_NOT_FORM: "invalid_request",
    _oauth.REASON_GRANT_TYPE_MISSING: "invalid_request",
    _oauth.REASON_GRANT_TYPE_UNSUPPORTED: "unsupported_grant_type",
    _oauth.REASON_CLIENT_MISSING: "invalid_client",
    _oauth.REASON_CLIENT_AUTH_METHOD: "invalid_client",
    _oauth.REASON_CLIENT_UNKNOWN: "invalid_client",
    _oauth.REASON_CLIENT_SECRET_WRONG: "invalid_client_secret",
    _oauth.REASON_CODE_MISSING: "invalid_code",
    _oauth.REASON_CODE_INVALID: "invalid_code",
    _oauth.REASON_CODE_EXPIRED: "invalid_code",
    _oauth.REASON_CODE_VERIFIER: "invalid_code",
    _oauth.REASON_REDIRECT_URI_MISMATCH: "invalid_redirect_uri",
    _oauth.REASON_REFRESH_TOKEN_MISSING: "invalid_code",
    _oauth.REASON_REFRESH_TOKEN_INVALID: "invalid_code",
}


# Zoho tokens look like `1000.<hex>.<hex>` [observed].
def _zoho_token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def oauth_error(error: _oauth.OAuthError) -> Response:
    return json_response({"error": OAUTH_ERROR_CODES[error.reason]}, OAUTH_ERROR_STATUS)


OAUTH_PROFILE = _oauth.OAuthProfile(
    name="zoho_crm",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    client_auth=frozenset({"body"}),       # client_id/client_secret form fields [verified, SDK oauth_token.py]
    form_in_query=True,                    # the accounts server also reads them from the query [observed]
    code_ttl=OAUTH_CODE_TTL,
    token_error=oauth_error,
    new_access_token=_zoho_token,
    new_refresh_token=_zoho_token,
    # `api_domain` names the API host of the org's data centre [verified, §3.1]: here, the emulator.
    token_extras=lambda request: {"api_domain": _oauth.emulator_root(request)},
    # The redirect also names the user's data centre and its accounts server (where the token
    # request must go) [unverified: not in research; Zoho's multi-DC documentation].
    redirect_extras=lambda request: {"location": "us", "accounts-server": _oauth.emulator_root(request)},
)

# -- choices where the vendor's behaviour is not settled (change here) --------------------------------
# GET /Accounts/{id} for an id that does not exist. crm-oas v8.0 getRecord lists "204: ... no record
# match"; research §3.4 marks the community reports as unverified.
GET_MISSING_STATUS = 204
# HTTP status of a single-record PUT/DELETE whose id is unknown. crm-oas v8.0 deleteRecord/updateRecord
# document 400 for INVALID_DATA; research §3.4 called it "most likely 400".
UNKNOWN_ID_STATUS = 400
# Shape of that error. "item": `{"data":[{"code":"INVALID_DATA","details":{"id":…},"message":"the id
# given seems to be invalid","status":"error"}]}` (research §3.4, observed in public clients);
# "flat": `{"code":"INVALID_DATA","details":{"resource_path_index":0},"message":"invalid record id",…}`
# (crm-oas deleteRecord/examples/response-400-invalidrecordid.md).
UNKNOWN_ID_BODY = "item"
# Record-creating POST: 201 per crm-oas createRecords/examples/response-201-success.md.
CREATE_STATUS = 201
MIXED_STATUS = 207
# Rate-limit headers: names from Zoho's earlier official Python SDK (zcrmsdk `APIConstants`:
# X-RATELIMIT-LIMIT/-REMAINING/-RESET); v8 docs do not list them (research §3.4 [unverified]).
RATE_LIMIT = 5000
RATE_LIMIT_WINDOW_MS = 60_000
# The org's time zone: Zoho writes timestamps with the user's offset (research §0: `+05:30`).
ORG_TZ = timezone(timedelta(hours=5, minutes=30))

MODULE = "Accounts"
MAX_PER_PAGE = 200           # crm-oas getRecords: per_page max 200
DEFAULT_PER_PAGE = 200
DISCRETE_LIMIT = 2000        # page/per_page reach at most the first 2,000 records
TOKEN_LIMIT = 100_000        # page_token reaches at most 100,000 records
MAX_FIELDS = 50              # `fields` takes at most 50 API names
MAX_WRITE_RECORDS = 100      # create/update/delete at most 100 records per call
PAGE_TOKEN_TTL = timedelta(days=1)

ID_BASE = 5725767000000415001
ID_STEP = 16


def _now() -> datetime:
    return datetime.now(ORG_TZ).replace(microsecond=0)


def _ts(value: datetime) -> str:
    return value.astimezone(ORG_TZ).replace(microsecond=0).isoformat()


def error_object(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    """Zoho's `API_Exception` shape (crm-oas): code, details, message, status."""
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


# -- metadata: the Accounts layout ------------------------------------------------------------------
USERS = [
    {"id": "5725767000000411001", "name": "Patricia Boyle", "email": "patricia.boyle@zylker.example"},
    {"id": "5725767000000411017", "name": "Kiran Rao", "email": "kiran.rao@zylker.example"},
    {"id": "5725767000000411033", "name": "Amelia Burrows", "email": "amelia.burrows@zylker.example"},
    {"id": "5725767000000411049", "name": "Ted Watson", "email": "ted.watson@zylker.example"},
]
USERS_BY_ID = {u["id"]: u for u in USERS}
TOKEN_USER = USERS[0]   # the user the sandbox token belongs to (default owner, Created_By)

# (api_name, json_type, data_type, label, custom)
FIELDS: list[tuple[str, str, str, str, bool]] = [
    ("Owner", "jsonobject", "ownerlookup", "Account Owner", False),
    ("Account_Name", "string", "text", "Account Name", False),
    ("Account_Number", "string", "autonumber", "Account Number", False),
    ("Account_Site", "string", "text", "Account Site", False),
    ("Account_Type", "string", "picklist", "Account Type", False),
    ("Annual_Revenue", "double", "currency", "Annual Revenue", False),
    ("Currency", "string", "picklist", "Currency", False),
    ("Exchange_Rate", "double", "double", "Exchange Rate", False),
    ("Description", "string", "textarea", "Description", False),
    ("Employees", "integer", "integer", "Employees", False),
    ("Fax", "string", "phone", "Fax", False),
    ("Industry", "string", "picklist", "Industry", False),
    ("Ownership", "string", "picklist", "Ownership", False),
    ("Parent_Account", "jsonobject", "lookup", "Parent Account", False),
    ("Phone", "string", "phone", "Phone", False),
    ("Rating", "string", "picklist", "Rating", False),
    ("SIC_Code", "integer", "integer", "SIC Code", False),
    ("Ticker_Symbol", "string", "text", "Ticker Symbol", False),
    ("Website", "string", "website", "Website", False),
    ("Billing_Street", "string", "text", "Billing Street", False),
    ("Billing_City", "string", "text", "Billing City", False),
    ("Billing_State", "string", "text", "Billing State", False),
    ("Billing_Code", "string", "text", "Billing Code", False),
    ("Billing_Country", "string", "text", "Billing Country", False),
    ("Shipping_Street", "string", "text", "Shipping Street", False),
    ("Shipping_City", "string", "text", "Shipping City", False),
    ("Shipping_State", "string", "text", "Shipping State", False),
    ("Shipping_Code", "string", "text", "Shipping Code", False),
    ("Shipping_Country", "string", "text", "Shipping Country", False),
    ("Tag", "jsonarray", "text", "Tag", False),
    ("Created_By", "jsonobject", "ownerlookup", "Created By", False),
    ("Modified_By", "jsonobject", "ownerlookup", "Modified By", False),
    ("Created_Time", "string", "datetime", "Created Time", False),
    ("Modified_Time", "string", "datetime", "Modified Time", False),
    ("Last_Activity_Time", "string", "datetime", "Last Activity Time", False),
    ("Record_Image", "string", "profileimage", "Account Image", False),
    ("Locked__s", "boolean", "boolean", "Locked", False),
    # the sandbox org's custom fields (any org may add its own; Zoho reports them in settings/fields)
    ("Customer_Tier", "string", "picklist", "Customer Tier", True),
    ("Renewal_Date", "string", "date", "Renewal Date", True),
    ("NPS_Score", "integer", "integer", "NPS Score", True),
    ("Partner_Program", "boolean", "boolean", "Partner Program", True),
]
FIELD_TYPES = {name: json_type for name, json_type, _dt, _l, _c in FIELDS}
READ_ONLY = {"Account_Number", "Created_By", "Modified_By", "Created_Time", "Modified_Time",
             "Last_Activity_Time", "Exchange_Rate", "Locked__s"}
WRITABLE = {name for name in FIELD_TYPES if name not in READ_ONLY}
PICKLISTS = {
    "Industry": ["ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
                 "Government/Military", "Large Enterprise", "Management ISV", "MSP (Management Service Provider)",
                 "Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
                 "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
                 "Wireless Industry", "Communications", "Technology", "Education", "Manufacturing",
                 "Financial Services", "Healthcare", "Retail", "Consulting"],
    "Account_Type": ["Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other",
                     "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor"],
    "Ownership": ["Other", "Private", "Public", "Subsidiary", "Partnership", "Government", "Privately Held"],
    "Rating": ["Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"],
    "Customer_Tier": ["Bronze", "Silver", "Gold", "Platinum"],
}

# -- deterministic seed material ----------------------------------------------------------------------
_PREFIXES = ["Zylker", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Acme", "Hooli",
             "Vandelay", "Soylent", "Tyrell", "Wonka", "Cyberdyne", "Aperture", "Oscorp", "Gringotts",
             "Monarch", "Pied Piper", "Dunder"]
_SUFFIXES = ["Systems", "Labs", "Holdings", "Logistics", "Foods", "Analytics", "Energy", "Robotics",
             "Pharma", "Media", "Capital", "Outfitters", "Networks", "Textiles", "Aerospace"]
_CITIES = [("Austin", "TX", "78701", "United States"), ("Chennai", "Tamil Nadu", "600001", "India"),
           ("Berlin", "Berlin", "10115", "Germany"), ("Toronto", "ON", "M5H 2N2", "Canada"),
           ("Sydney", "NSW", "2000", "Australia"), ("London", "Greater London", "EC1A 1BB", "United Kingdom"),
           ("Pune", "Maharashtra", "411001", "India"), ("Denver", "CO", "80202", "United States"),
           ("Tokyo", "Tokyo", "100-0001", "Japan"), ("Paris", "Ile-de-France", "75001", "France")]
_STREETS = ["Market Street", "Mount Road", "Unter den Linden", "King Street West", "George Street",
            "Aldersgate", "FC Road", "Larimer Street", "Marunouchi", "Rue de Rivoli"]
_TAGS = [("Key Account", "5725767000000620001", "#57b1fd"), ("Renewal Due", "5725767000000620017", "#ff7b7b"),
         ("Enterprise", "5725767000000620033", "#63c57e"), ("Referral", "5725767000000620049", "#f9b94c"),
         ("Churn Risk", "5725767000000620065", "#c17ef0")]
_SEED_START = datetime(2023, 1, 2, 9, 15, 0, tzinfo=ORG_TZ)


def _encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


class ZohoCrmEmulator(Emulator):
    name = "zoho_crm"
    oauth_profile = OAUTH_PROFILE

    def reset(self, count: int | None = None) -> None:
        self.order: list[int] = []                 # live ids, ascending == insertion order
        self.deleted: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, Any]] = {n: {"name": n, "id": i, "color_code": c} for n, i, c in _TAGS}
        self.next_id = ID_BASE
        self.next_number = 1
        self.rate_remaining = RATE_LIMIT
        self.rate_reset_ms = int(time.time() * 1000) + RATE_LIMIT_WINDOW_MS
        super().reset(count)

    # -- seed ---------------------------------------------------------------------------------------
    def _new_id(self) -> str:
        value = self.next_id
        self.next_id += ID_STEP
        self.order.append(value)
        return str(value)

    def seed(self, count: int) -> None:
        for i in range(count):
            record_id = self._new_id()
            prefix = _PREFIXES[i % len(_PREFIXES)]
            suffix = _SUFFIXES[(i // len(_PREFIXES)) % len(_SUFFIXES)]
            round_ = i // (len(_PREFIXES) * len(_SUFFIXES))
            name = f"{prefix} {suffix}" + (f" {round_ + 1}" if round_ else "")
            slug = name.lower().replace(" ", "")
            city, state, code, country = _CITIES[i % len(_CITIES)]
            ship_city, ship_state, ship_code, ship_country = _CITIES[(i + 3) % len(_CITIES)]
            owner = USERS[i % len(USERS)]
            creator = USERS[(i + 1) % len(USERS)]
            created = _SEED_START + timedelta(hours=7 * i, minutes=i % 60)
            modified = created + timedelta(days=3 + i % 40, minutes=17)
            tags = [self.tags[_TAGS[i % len(_TAGS)][0]]]
            if i % 3 == 0:
                tags.append(self.tags[_TAGS[(i + 2) % len(_TAGS)][0]])
            self.records[record_id] = {
                "id": record_id,
                "Owner": dict(owner),
                "Account_Name": name,
                "Account_Number": str(self._take_number()),
                "Account_Site": f"{city} HQ",
                "Account_Type": PICKLISTS["Account_Type"][i % len(PICKLISTS["Account_Type"])],
                "Annual_Revenue": float(250_000 + (i * 7919) % 9_000_000),
                "Currency": "USD",
                "Exchange_Rate": 1,
                "Description": f"{name} is a {suffix.lower()} company headquartered in {city}.",
                "Employees": 10 + (i * 37) % 4990,
                "Fax": f"+1-555-01{i % 100:02d}-{(i * 13) % 10000:04d}",
                "Industry": PICKLISTS["Industry"][i % len(PICKLISTS["Industry"])],
                "Ownership": PICKLISTS["Ownership"][i % len(PICKLISTS["Ownership"])],
                "Parent_Account": None,
                "Phone": f"+1-555-02{i % 100:02d}-{(i * 29) % 10000:04d}",
                "Rating": PICKLISTS["Rating"][i % len(PICKLISTS["Rating"])],
                "SIC_Code": 7370 + i % 20,
                "Ticker_Symbol": prefix[:3].upper() + suffix[:1].upper(),
                "Website": f"https://www.{slug}.example",
                "Billing_Street": f"{100 + i % 900} {_STREETS[i % len(_STREETS)]}",
                "Billing_City": city,
                "Billing_State": state,
                "Billing_Code": code,
                "Billing_Country": country,
                "Shipping_Street": f"{200 + i % 700} {_STREETS[(i + 3) % len(_STREETS)]}",
                "Shipping_City": ship_city,
                "Shipping_State": ship_state,
                "Shipping_Code": ship_code,
                "Shipping_Country": ship_country,
                "Tag": [dict(t) for t in tags],
                "Created_By": dict(creator),
                "Modified_By": dict(owner),
                "Created_Time": _ts(created),
                "Modified_Time": _ts(modified),
                "Last_Activity_Time": _ts(modified + timedelta(hours=5)) if i % 4 else None,
                "Record_Image": None,
                "Locked__s": False,
                "Customer_Tier": PICKLISTS["Customer_Tier"][i % 4],
                "Renewal_Date": (created + timedelta(days=365)).date().isoformat(),
                "NPS_Score": i % 11,
                "Partner_Program": i % 5 == 0,
                "$approval_state": "approved",
                "$approved": True,
                "$editable": True,
                "$state": "save",
                "$currency_symbol": "$",
                "$locked_for_me": False,
                "$in_merge": False,
                "$process_flow": False,
            }
            if i % 7 == 6 and i > 0:
                parent_id = str(self.order[i - 1 - (i % 5)])
                parent = self.records[parent_id]
                self.records[record_id]["Parent_Account"] = {"name": parent["Account_Name"], "id": parent_id}

    def _take_number(self) -> int:
        value = self.next_number
        self.next_number += 1
        return value

    def snapshot(self) -> Any:
        return list(self.records.values())

    # -- HTTP plumbing ------------------------------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route("/crm/v8/settings/fields", self.fields_metadata, methods=["GET"]),
            Route("/crm/v8/{module}/deleted", self.deleted_records, methods=["GET"]),
            Route("/crm/v8/{module}/{record_id}", self.one, methods=["GET", "PUT", "DELETE"]),
            Route("/crm/v8/{module}", self.many, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/{rest:path}", self.invalid_url, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]

    def _rate_headers(self) -> dict[str, str]:
        now_ms = int(time.time() * 1000)
        if now_ms >= self.rate_reset_ms:
            self.rate_remaining = RATE_LIMIT
            self.rate_reset_ms = now_ms + RATE_LIMIT_WINDOW_MS
        self.rate_remaining = max(0, self.rate_remaining - 1)
        return {
            "X-RATELIMIT-LIMIT": str(RATE_LIMIT),
            "X-RATELIMIT-REMAINING": str(self.rate_remaining),
            "X-RATELIMIT-RESET": str(self.rate_reset_ms),
        }

    def answer(self, body: Any, status: int = 200) -> Response:
        headers = self._rate_headers()
        if status == 204:
            return Response(status_code=204, headers=headers)
        return json_response(body, status, headers=headers)

    def check_auth(self, request: Request) -> Response | None:
        """401s as Zoho sends them: no/foreign scheme → AUTHENTICATION_FAILURE; bad token → INVALID_TOKEN."""
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme != AUTH_SCHEME or not token.strip():
            return self.answer(error_object("AUTHENTICATION_FAILURE", "Authentication failed"), 401)
        if token.strip() != SANDBOX_TOKEN and not self.issued_access_token(token.strip()):
            return self.answer(error_object("INVALID_TOKEN", "invalid oauth token"), 401)
        return None

    def check_module(self, request: Request) -> Response | None:
        if request.path_params.get("module") != MODULE:
            return self.answer(error_object("INVALID_MODULE", "the module name given seems to be invalid",
                                            {"resource_path_index": 0}), 400)
        return None

    async def invalid_url(self, request: Request) -> Response:
        denied = self.check_auth(request)
        if denied:
            return denied
        return self.answer(error_object("INVALID_URL_PATTERN",
                                        "Please check if the URL trying to access is a correct one"), 404)

    # -- metadata -----------------------------------------------------------------------------------
    async def fields_metadata(self, request: Request) -> Response:
        """`GET /crm/v8/settings/fields?module=Accounts` (crm-oas v8.0 fields): the layout's fields."""
        denied = self.check_auth(request)
        if denied:
            return denied
        module = request.query_params.get("module")
        if not module:
            return self.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                            {"param_name": "module"}), 400)
        if module != MODULE:
            return self.answer(error_object("INVALID_MODULE", "the module name given seems to be invalid",
                                            {"param_name": "module"}), 400)
        fields = []
        for index, (api_name, json_type, data_type, label, custom) in enumerate(FIELDS):
            field: dict[str, Any] = {
                "api_name": api_name,
                "id": str(5725767000000002000 + index * 10),
                "field_label": label,
                "display_label": label,
                "json_type": json_type,
                "data_type": data_type,
                "custom_field": custom,
                "read_only": api_name in READ_ONLY,
                "system_mandatory": api_name == "Account_Name",
                "visible": True,
            }
            if api_name in PICKLISTS:
                field["pick_list_values"] = [{"display_value": v, "actual_value": v} for v in PICKLISTS[api_name]]
            fields.append(field)
        return self.answer({"fields": fields})

    # -- list / bulk --------------------------------------------------------------------------------
    async def many(self, request: Request) -> Response:
        denied = self.check_auth(request) or self.check_module(request)
        if denied:
            return denied
        if request.method == "GET":
            return self.list_records(request)
        if request.method == "POST":
            return await self.create_records(request)
        if request.method == "PUT":
            return await self.update_records(request)
        return self.delete_records(request)

    def list_records(self, request: Request) -> Response:
        """Get Records: research §3.3 and crm-oas v8.0 getRecords (pagination and its errors)."""
        q = request.query_params
        fields_param = q.get("fields")
        if not fields_param:
            return self.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                            {"param_name": "fields"}), 400)
        fields = [f.strip() for f in fields_param.split(",") if f.strip()]
        if len(fields) > MAX_FIELDS:
            return self.answer(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                            {"limit": MAX_FIELDS, "param_name": "fields"}), 400)
        sort_order = q.get("sort_order", "desc")
        if sort_order not in ("asc", "desc"):
            return self.answer(error_object("INVALID_DATA", "invalid data",
                                            {"param_name": "sort_order", "supported_values": ["asc", "desc"]}), 400)
        sort_by = q.get("sort_by", "id")
        if sort_by != "id":
            # The emulator keeps records in id order only; Created_Time follows id for seeded data.
            if sort_by not in ("Created_Time", "Modified_Time"):
                return self.answer(error_object("INVALID_DATA", "invalid data", {
                    "param_name": "sort_by", "supported_values": ["id", "Created_Time", "Modified_Time"]}), 400)
        try:
            per_page = int(q.get("per_page", DEFAULT_PER_PAGE))
        except ValueError:
            per_page = -1
        if not 1 <= per_page <= MAX_PER_PAGE:
            return self.answer(error_object("INVALID_DATA", "invalid data",
                                            {"param_name": "per_page", "expected_data_type": "integer"}), 400)
        ids_param = q.get("ids")
        page_token = q.get("page_token")
        if page_token is not None and "page" in q:
            return self.answer(error_object("AMBIGUITY_DURING_PROCESSING", "ambiguity while processing the request",
                                            {"ambiguity_due_to": [{"param_name": "page"},
                                                                  {"param_name": "page_token"}]}), 400)
        signature = f"{sort_by}:{sort_order}:{per_page}:{fields_param}:{ids_param or ''}"

        order = self.order
        if ids_param:
            wanted = {int(x) for x in ids_param.split(",") if x.strip().isdigit()}
            order = [i for i in order if i in wanted]
        total = len(order)

        if page_token is not None:
            state = _decode_token(page_token)
            if state is None or "o" not in state or state.get("s") != signature:
                return self.answer(error_object(
                    "TOKEN_BOUND_DATA_MISMATCH",
                    "The page_token given seems to be invalid or input param is added or altered or deleted",
                    {"param_name": "page_token"}), 400)
            if time.time() > state.get("e", 0):
                return self.answer(error_object("EXPIRED_VALUE", "Page token expired",
                                                {"api_name": "page_token", "json_path": "$.query.page_token"}), 400)
            # keyset: continue after the last id handed out, so deletes between pages shift nothing
            last = int(state["o"])
            offset = bisect.bisect_right(order, last) if sort_order == "asc" else total - bisect.bisect_left(order, last)
            served = int(state.get("n", 0))
            if served >= TOKEN_LIMIT:
                return self.answer(error_object("PAGINATION_LIMIT_EXCEEDED",
                                                "You can only get upto 100000 records using page_token param",
                                                {"param_name": "page_token"}), 400)
            page = served // per_page + 1
        else:
            try:
                page = int(q.get("page", 1))
            except ValueError:
                page = 0
            if page < 1:
                return self.answer(error_object("INVALID_DATA", "invalid data",
                                                {"param_name": "page", "expected_data_type": "integer"}), 400)
            if page * per_page > DISCRETE_LIMIT and (page - 1) * per_page >= DISCRETE_LIMIT:
                return self.answer(error_object(
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "You can only get the first 2000 records without using page_token param",
                    {"limit": DISCRETE_LIMIT}), 400)
            offset = (page - 1) * per_page
            served = offset

        end = offset + per_page
        if page_token is None:
            end = min(end, DISCRETE_LIMIT)
        if sort_order == "asc":
            chunk = order[offset:end]
        else:
            lo, hi = max(total - end, 0), max(total - offset, 0)
            chunk = order[lo:hi][::-1]
        if not chunk:
            return self.answer(None, 204)   # crm-oas getRecords: 204 when nothing matches
        more = offset + len(chunk) < total
        data = [self._project(self.records[str(i)], fields) for i in chunk]
        info: dict[str, Any] = {
            "per_page": per_page,
            "count": len(data),
            "page": page,
            "sort_by": sort_by,
            "sort_order": sort_order,
            "more_records": more,
            "next_page_token": None,
            "previous_page_token": page_token,
            "page_token_expiry": None,
        }
        if more:
            expiry = datetime.now(timezone.utc) + PAGE_TOKEN_TTL
            info["next_page_token"] = _encode_token({"o": chunk[-1], "n": served + len(chunk), "s": signature,
                                                     "e": int(expiry.timestamp())})
            info["page_token_expiry"] = _ts(expiry)
        return self.answer({"data": data, "info": info})

    @staticmethod
    def _project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        """Only the requested fields (plus `id`), as Zoho answers a list with `fields=`."""
        out = {"id": record["id"]}
        for name in fields:
            if name in record:
                out[name] = record[name]
        return out

    # -- one record ---------------------------------------------------------------------------------
    async def one(self, request: Request) -> Response:
        denied = self.check_auth(request) or self.check_module(request)
        if denied:
            return denied
        record_id = request.path_params["record_id"]
        if request.method == "GET":
            record = self.records.get(record_id)
            if record is None:
                return self.answer(None, GET_MISSING_STATUS) if GET_MISSING_STATUS == 204 else \
                    self.answer(self._unknown_id_body(record_id), GET_MISSING_STATUS)
            fields_param = request.query_params.get("fields")
            if fields_param:
                record = self._project(record, [f.strip() for f in fields_param.split(",")])
            return self.answer({"data": [record]})
        if request.method == "PUT":
            body, problem = await self._write_body(request, max_records=1)
            if problem:
                return problem
            if record_id not in self.records:
                return self.answer(self._unknown_id_body(record_id), UNKNOWN_ID_STATUS)
            item = self._apply(body[0], record_id)
            return self.answer({"data": [item]}, 200 if item["status"] == "success" else 400)
        # DELETE
        if record_id not in self.records:
            return self.answer(self._unknown_id_body(record_id), UNKNOWN_ID_STATUS)
        self._delete(record_id)
        return self.answer({"data": [self._deleted_item(record_id)]})

    @staticmethod
    def _unknown_id_body(record_id: str) -> dict[str, Any]:
        if UNKNOWN_ID_BODY == "flat":
            return error_object("INVALID_DATA", "invalid record id", {"resource_path_index": 0})
        return {"data": [error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id})]}

    @staticmethod
    def _deleted_item(record_id: str) -> dict[str, Any]:
        return {"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted", "status": "success"}

    def _delete(self, record_id: str) -> None:
        record = self.records.pop(record_id)
        position = bisect.bisect_left(self.order, int(record_id))
        del self.order[position]
        self.deleted[record_id] = {
            "deleted_by": {"name": TOKEN_USER["name"], "id": TOKEN_USER["id"]},
            "id": record_id,
            "display_name": record.get("Account_Name"),
            "type": "recycle",
            "created_by": {"name": record["Created_By"]["name"], "id": record["Created_By"]["id"]},
            "deleted_time": _ts(_now()),
        }

    # -- writes -------------------------------------------------------------------------------------
    async def _write_body(self, request: Request, max_records: int) -> tuple[list[dict], Response | None]:
        payload = await read_json(request)
        if not isinstance(payload, dict):
            return [], self.answer(error_object("INVALID_DATA", "body", {"expected_data_type": "jsonobject"}), 400)
        data = payload.get("data")
        if not isinstance(data, list) or not data:
            return [], self.answer(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                                {"api_name": "data", "json_path": "$.data"}), 400)
        if len(data) > max_records:
            return [], self.answer(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                                {"limit": max_records, "api_name": "data", "json_path": "$.data"}), 400)
        return data, None

    def _validate(self, values: Any, index: int, creating: bool) -> dict[str, Any] | None:
        """The first per-record error, in Zoho's item shape, or None."""
        if not isinstance(values, dict):
            return error_object("INVALID_DATA", "invalid data", {"expected_data_type": "jsonobject",
                                                                 "json_path": f"$.data[{index}]"})
        if creating and not values.get("Account_Name"):
            return error_object("MANDATORY_NOT_FOUND", "required field not found",
                                {"api_name": "Account_Name", "json_path": f"$.data[{index}].Account_Name"})
        for key, value in values.items():
            if key not in FIELD_TYPES or value is None:
                continue
            expected = FIELD_TYPES[key]
            path = {"api_name": key, "json_path": f"$.data[{index}].{key}"}
            if key == "Owner":
                if not isinstance(value, dict) or str(value.get("id")) not in USERS_BY_ID:
                    return error_object("INVALID_DATA", "invalid data", path)
            elif key == "Tag":
                if not isinstance(value, list) or not all(isinstance(t, dict) and t.get("name") for t in value):
                    return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "jsonarray"})
            elif key == "Parent_Account":
                if not isinstance(value, dict) or str(value.get("id")) not in self.records:
                    return error_object("INVALID_DATA", "invalid data", path)
            elif expected == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "integer"})
            elif expected == "double" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "double"})
            elif expected == "boolean" and not isinstance(value, bool):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "boolean"})
            elif expected == "string" and not isinstance(value, str):
                return error_object("INVALID_DATA", "invalid data", {**path, "expected_data_type": "string"})
            elif key == "Account_Name" and len(value) > 200:
                return error_object("INVALID_DATA", "invalid data", {**path, "maximum_length": 200})
        return None

    def _apply(self, values: dict[str, Any], record_id: str | None, index: int = 0) -> dict[str, Any]:
        """Create (record_id None) or update one record; the action-response item."""
        problem = self._validate(values, index, creating=record_id is None)
        if problem:
            return problem
        now = _ts(_now())
        user = {"name": TOKEN_USER["name"], "id": TOKEN_USER["id"]}
        if record_id is None:
            record_id = self._new_id()
            record: dict[str, Any] = {name: None for name in FIELD_TYPES}
            record.update({
                "id": record_id, "Owner": dict(TOKEN_USER), "Account_Number": str(self._take_number()),
                "Tag": [], "Created_By": dict(TOKEN_USER), "Created_Time": now, "Currency": "USD",
                "Exchange_Rate": 1, "Locked__s": False, "$approval_state": "approved", "$approved": True,
                "$editable": True, "$state": "save", "$currency_symbol": "$", "$locked_for_me": False,
                "$in_merge": False, "$process_flow": False,
            })
            self.records[record_id] = record
            message = "record added"
        else:
            record = self.records[record_id]
            message = "record updated"
        for key, value in values.items():
            if key not in WRITABLE:
                continue   # unknown API names and read-only fields are ignored
            if key == "Owner" and value is not None:
                value = dict(USERS_BY_ID[str(value["id"])])
            elif key == "Tag" and value is not None:
                value = [self._tag(t["name"]) for t in value]
            elif key == "Parent_Account" and value is not None:
                value = {"name": self.records[str(value["id"])]["Account_Name"], "id": str(value["id"])}
            record[key] = value
        record["Modified_Time"] = now
        record["Modified_By"] = dict(TOKEN_USER)
        return {
            "code": "SUCCESS",
            "details": {"Modified_Time": now, "Modified_By": user, "Created_Time": record["Created_Time"],
                        "id": record_id, "Created_By": {"name": record["Created_By"]["name"],
                                                        "id": record["Created_By"]["id"]},
                        "$approval_state": "approved"},
            "message": message,
            "status": "success",
        }

    def _tag(self, name: str) -> dict[str, Any]:
        if name not in self.tags:
            self.tags[name] = {"name": name, "id": str(5725767000000620001 + 16 * len(self.tags)),
                               "color_code": "#969696"}
        return dict(self.tags[name])

    @staticmethod
    def _batch_status(items: list[dict[str, Any]], ok_status: int) -> int:
        ok = sum(1 for item in items if item["status"] == "success")
        if ok == len(items):
            return ok_status
        return 400 if ok == 0 else MIXED_STATUS

    async def create_records(self, request: Request) -> Response:
        """Insert Records: ≤100 per call; 201, 207 when mixed, 400 when all fail (crm-oas createRecords)."""
        body, problem = await self._write_body(request, MAX_WRITE_RECORDS)
        if problem:
            return problem
        items = [self._apply(values, None, index) for index, values in enumerate(body)]
        return self.answer({"data": items}, self._batch_status(items, CREATE_STATUS))

    async def update_records(self, request: Request) -> Response:
        """Bulk update: ids inside the records (research §3.3)."""
        body, problem = await self._write_body(request, MAX_WRITE_RECORDS)
        if problem:
            return problem
        items = []
        for index, values in enumerate(body):
            record_id = str(values.get("id", "")) if isinstance(values, dict) else ""
            if not record_id:
                items.append(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                          {"api_name": "id", "json_path": f"$.data[{index}].id"}))
            elif record_id not in self.records:
                items.append(error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id}))
            else:
                items.append(self._apply(values, record_id, index))
        return self.answer({"data": items}, self._batch_status(items, 200))

    def delete_records(self, request: Request) -> Response:
        """Bulk delete `?ids=1,2` (≤100): 200, or 207 with per-record errors (crm-oas deleteRecords)."""
        ids_param = request.query_params.get("ids")
        if not ids_param:
            return self.answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                            {"param_name": "ids"}), 400)
        ids = [x.strip() for x in ids_param.split(",") if x.strip()]
        if len(ids) > MAX_WRITE_RECORDS:
            return self.answer(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                            {"limit": MAX_WRITE_RECORDS, "param_name": "ids"}), 400)
        items = []
        for record_id in ids:
            if record_id in self.records:
                self._delete(record_id)
                items.append(self._deleted_item(record_id))
            else:
                items.append(error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id}))
        return self.answer({"data": items}, self._batch_status(items, 200))

    async def deleted_records(self, request: Request) -> Response:
        """Recycle Bin listing `GET /crm/v8/Accounts/deleted?type=recycle` (research §3.6)."""
        denied = self.check_auth(request) or self.check_module(request)
        if denied:
            return denied
        kind = request.query_params.get("type", "all")
        if kind not in ("all", "recycle", "permanent"):
            return self.answer(error_object("INVALID_DATA", "invalid data", {
                "param_name": "type", "supported_values": ["all", "recycle", "permanent"]}), 400)
        rows = [] if kind == "permanent" else list(self.deleted.values())
        try:
            page = max(int(request.query_params.get("page", 1)), 1)
            per_page = min(max(int(request.query_params.get("per_page", 200)), 1), MAX_PER_PAGE)
        except ValueError:
            page, per_page = 1, 200
        chunk = rows[(page - 1) * per_page: page * per_page]
        if not chunk:
            return self.answer(None, 204)
        return self.answer({"data": chunk, "info": {
            "per_page": per_page, "count": len(chunk), "page": page,
            "more_records": page * per_page < len(rows)}})


EMULATOR = ZohoCrmEmulator
