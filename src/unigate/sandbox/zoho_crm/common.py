"""What every Zoho CRM v8 module shares: credentials, error objects, users, timestamps, page tokens, rate limits.

Error object (`API_Exception`: code, details, message, status) and codes: Zoho's OpenAPI spec,
https://github.com/zoho/crm-oas (v8.0). Every body is wrapped in a `data` array, also for
single-record paths: https://www.zoho.com/crm/developer/docs/api/v3/get-records.html
"""

from __future__ import annotations

import base64
import bisect
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from unigate.sandbox.base import read_json

SANDBOX_TOKEN = "sandbox-zoho_crm-token"
# What the Zoho accounts server would have answered as `api_domain` for this org (US data centre).
SANDBOX_API_DOMAIN = "https://www.zohoapis.com"
# `OAUTH_HEADER_PREFIX` in `crm/api/util/constants.py` of https://github.com/zoho/zohocrm-python-sdk-8.0 ;
# https://zoho.com/crm/developer/docs/api/v2/delete-records.html
AUTH_SCHEME = "Zoho-oauthtoken"

# -- choices where the vendor's behaviour is not settled (change here) --------------------------------
# GET /<Module>/{id} for an id that does not exist. crm-oas v8.0 getRecord lists "204: ... no record
# match"; the official SDK sample treats 204 as an outcome
# (https://github.com/zoho/zohocrm-python-sdk-8.0, samples/record/get_record.py).
GET_MISSING_STATUS = 204
# HTTP status of a single-record PUT/DELETE whose id is unknown. crm-oas v8.0 deleteRecord/updateRecord
# document 400 for INVALID_DATA [the community reports are unverified].
UNKNOWN_ID_STATUS = 400
# Switch `unknown_id_body`: the shape of that error, where two sources disagree. "item" (the default):
# `{"data":[{"code":"INVALID_DATA","details":{"id":…},"message":"the id given seems to be invalid",
# "status":"error"}]}` [observed in public clients]; "flat": `{"code":"INVALID_DATA","details":
# {"resource_path_index":0},"message":"invalid record id","status":"error"}` (Zoho's OpenAPI spec,
# https://github.com/zoho/crm-oas, v8.0 deleteRecord/examples/response-400-invalidrecordid.md).
UNKNOWN_ID_BODIES = ("item", "flat")
# Switch `picklist_values`: a picklist value the layout does not list. The official SDK's README says its
# `pick_list_validation` option "allows or disallows the addition of a new value to the list", that is the
# API itself takes the value ("accept", the default:
# https://github.com/zoho/zohocrm-python-sdk-8.0, README "SDK configuration"); an org with restricted
# picklists refuses it as a field error, 400 INVALID_DATA with the field's `api_name` ("reject")
# [unverified either way: Zoho's API docs are silent].
PICKLIST_VALUES = ("accept", "reject")
# Record-creating POST: 201 per crm-oas createRecords/examples/response-201-success.md.
CREATE_STATUS = 201
MIXED_STATUS = 207
# Rate-limit headers: names from Zoho's earlier official Python SDK (zcrmsdk `APIConstants`:
# X-RATELIMIT-LIMIT/-REMAINING/-RESET); v8 docs do not list them [unverified], so the switch
# `rate_limit_headers` ("send", the default, or "omit") has the emulator answer with or without them.
RATE_LIMIT_HEADERS = ("send", "omit")
RATE_LIMIT = 5000
RATE_LIMIT_WINDOW_MS = 60_000
# The org's time zone: Zoho writes timestamps with the user's offset (`2019-07-25T15:26:49+05:30` in
# https://www.zoho.com/crm/developer/docs/api/v2/get-records.html).
ORG_TZ = timezone(timedelta(hours=5, minutes=30))

# Paging of every module: https://www.zoho.com/crm/developer/docs/api/v3/get-records.html
MAX_PER_PAGE = 200           # crm-oas getRecords: per_page max 200
DEFAULT_PER_PAGE = 200
DISCRETE_LIMIT = 2000        # page/per_page reach at most the first 2,000 records
TOKEN_LIMIT = 100_000        # page_token reaches at most 100,000 records
MAX_FIELDS = 50              # `fields` takes at most 50 API names
MAX_WRITE_RECORDS = 100      # create/update/delete at most 100 records per call
PAGE_TOKEN_TTL = timedelta(days=1)
# Large seeds are for paging accounts and contacts; deals and activities stop at a module's first 2,000 records.
MAX_SEED = 2000

# Record ids: ~19-digit numbers sent as JSON strings.
ID_BASE = 5725767000000415001
ID_STEP = 16

# The emulator's answer: a body (None: no body) with the rate-limit headers, at a status.
Answer = Callable[..., Response]

USERS = [
    {"id": "5725767000000411001", "name": "Patricia Boyle", "email": "patricia.boyle@zylker.example"},
    {"id": "5725767000000411017", "name": "Kiran Rao", "email": "kiran.rao@zylker.example"},
    {"id": "5725767000000411033", "name": "Amelia Burrows", "email": "amelia.burrows@zylker.example"},
    {"id": "5725767000000411049", "name": "Ted Watson", "email": "ted.watson@zylker.example"},
]
USERS_BY_ID = {u["id"]: u for u in USERS}
TOKEN_USER = USERS[0]   # the user the sandbox token belongs to (default owner, Created_By)


def now() -> datetime:
    return datetime.now(ORG_TZ).replace(microsecond=0)


def ts(value: datetime) -> str:
    return value.astimezone(ORG_TZ).replace(microsecond=0).isoformat()


def error_object(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    """Zoho's `API_Exception` shape (crm-oas): code, details, message, status."""
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


class RateLimits:
    """The org's API budget, shared by every module of one emulator."""

    def __init__(self) -> None:
        self.remaining = RATE_LIMIT
        self.reset_ms = int(time.time() * 1000) + RATE_LIMIT_WINDOW_MS

    def headers(self) -> dict[str, str]:
        now_ms = int(time.time() * 1000)
        if now_ms >= self.reset_ms:
            self.remaining = RATE_LIMIT
            self.reset_ms = now_ms + RATE_LIMIT_WINDOW_MS
        self.remaining = max(0, self.remaining - 1)
        return {
            "X-RATELIMIT-LIMIT": str(RATE_LIMIT),
            "X-RATELIMIT-REMAINING": str(self.remaining),
            "X-RATELIMIT-RESET": str(self.reset_ms),
        }


# -- what every module's record routes share ----------------------------------------------------------
def list_records(request: Request, order: list[str], records: dict[str, dict[str, Any]],
                 answer: Answer) -> Response:
    """One page of `order` (live ids, ascending as numbers) as Get Records answers it
    (https://www.zoho.com/crm/developer/docs/api/v3/get-records.html and crm-oas v8.0 getRecords:
    pagination and its errors)."""
    q = request.query_params
    fields_param = q.get("fields")
    if not fields_param:
        return answer(error_object("REQUIRED_PARAM_MISSING", "required param is missing",
                                   {"param_name": "fields"}), 400)
    fields = [f.strip() for f in fields_param.split(",") if f.strip()]
    if len(fields) > MAX_FIELDS:
        return answer(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                   {"limit": MAX_FIELDS, "param_name": "fields"}), 400)
    sort_order = q.get("sort_order", "desc")
    if sort_order not in ("asc", "desc"):
        return answer(error_object("INVALID_DATA", "invalid data",
                                   {"param_name": "sort_order", "supported_values": ["asc", "desc"]}), 400)
    sort_by = q.get("sort_by", "id")
    if sort_by not in ("id", "Created_Time", "Modified_Time"):
        return answer(error_object("INVALID_DATA", "invalid data", {
            "param_name": "sort_by", "supported_values": ["id", "Created_Time", "Modified_Time"]}), 400)
    # Ids are handed out in creation order, so Created_Time follows id; Modified_Time does not: those pages are
    # the records ordered by their modification time (ties by id), continued by position.
    by_modification = sort_by == "Modified_Time"
    if by_modification:
        order = sorted(order, key=lambda i: (datetime.fromisoformat(records[i]["Modified_Time"]), int(i)))
    try:
        per_page = int(q.get("per_page", DEFAULT_PER_PAGE))
    except ValueError:
        per_page = -1
    if not 1 <= per_page <= MAX_PER_PAGE:
        return answer(error_object("INVALID_DATA", "invalid data",
                                   {"param_name": "per_page", "expected_data_type": "integer"}), 400)
    ids_param = q.get("ids")
    page_token = q.get("page_token")
    if page_token is not None and "page" in q:
        return answer(error_object("AMBIGUITY_DURING_PROCESSING", "ambiguity while processing the request",
                                   {"ambiguity_due_to": [{"param_name": "page"},
                                                         {"param_name": "page_token"}]}), 400)
    signature = f"{sort_by}:{sort_order}:{per_page}:{fields_param}:{ids_param or ''}"

    if ids_param:
        wanted = {int(x) for x in ids_param.split(",") if x.strip().isdigit()}
        order = [i for i in order if int(i) in wanted]
    total = len(order)

    if page_token is not None:
        state = decode_token(page_token)
        if state is None or "o" not in state or state.get("s") != signature:
            return answer(error_object(
                "TOKEN_BOUND_DATA_MISMATCH",
                "The page_token given seems to be invalid or input param is added or altered or deleted",
                {"param_name": "page_token"}), 400)
        if time.time() > state.get("e", 0):
            return answer(error_object("EXPIRED_VALUE", "Page token expired",
                                       {"api_name": "page_token", "json_path": "$.query.page_token"}), 400)
        # keyset: continue after the last id handed out, so deletes between pages shift nothing
        last = int(state["o"])
        served = int(state.get("n", 0))
        if by_modification:
            offset = served
        else:
            offset = (bisect.bisect_right(order, last, key=int) if sort_order == "asc"
                      else total - bisect.bisect_left(order, last, key=int))
        if served >= TOKEN_LIMIT:
            return answer(error_object("PAGINATION_LIMIT_EXCEEDED",
                                       "You can only get upto 100000 records using page_token param",
                                       {"param_name": "page_token"}), 400)
        page = served // per_page + 1
    else:
        try:
            page = int(q.get("page", 1))
        except ValueError:
            page = 0
        if page < 1:
            return answer(error_object("INVALID_DATA", "invalid data",
                                       {"param_name": "page", "expected_data_type": "integer"}), 400)
        if page * per_page > DISCRETE_LIMIT and (page - 1) * per_page >= DISCRETE_LIMIT:
            return answer(error_object(
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
        return answer(None, 204)   # crm-oas getRecords: 204 when nothing matches
    more = offset + len(chunk) < total
    data = [project(records[i], fields) for i in chunk]
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
        info["next_page_token"] = encode_token({"o": int(chunk[-1]), "n": served + len(chunk), "s": signature,
                                                "e": int(expiry.timestamp())})
        info["page_token_expiry"] = ts(expiry)
    return answer({"data": data, "info": info})


def project(record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Only the requested fields (plus `id`), as Zoho answers a list with `fields=`; an activity's `What_Id`
    comes with the `$se_module` naming its module (https://help.zoho.com/portal/en/community/topic/kaizen-36-tasks-api)."""
    out = {"id": record["id"]}
    if "What_Id" in fields and "$se_module" in record:
        out["$se_module"] = record["$se_module"]
    for name in fields:
        if name in record:
            out[name] = record[name]
    return out


async def write_body(request: Request, max_records: int, answer: Answer) -> tuple[list[dict], Response | None]:
    payload = await read_json(request)
    if not isinstance(payload, dict):
        return [], answer(error_object("INVALID_DATA", "body", {"expected_data_type": "jsonobject"}), 400)
    data = payload.get("data")
    if not isinstance(data, list) or not data:
        return [], answer(error_object("MANDATORY_NOT_FOUND", "required field not found",
                                       {"api_name": "data", "json_path": "$.data"}), 400)
    if len(data) > max_records:
        return [], answer(error_object("LIMIT_EXCEEDED", "limit exceeded",
                                       {"limit": max_records, "api_name": "data", "json_path": "$.data"}), 400)
    return data, None


def unknown_id_body(record_id: str, shape: str) -> dict[str, Any]:
    """Zoho's INVALID_DATA answer to an unknown record id, in the `unknown_id_body` switch's `shape`."""
    if shape == "flat":
        return error_object("INVALID_DATA", "invalid record id", {"resource_path_index": 0})
    return {"data": [error_object("INVALID_DATA", "the id given seems to be invalid", {"id": record_id})]}


def deleted_item(record_id: str) -> dict[str, Any]:
    return {"code": "SUCCESS", "details": {"id": record_id}, "message": "record deleted", "status": "success"}


def batch_status(items: list[dict[str, Any]], ok_status: int) -> int:
    ok = sum(1 for item in items if item["status"] == "success")
    if ok == len(items):
        return ok_status
    return 400 if ok == 0 else MIXED_STATUS
