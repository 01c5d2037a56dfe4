"""What every Zendesk Sell resource shares: the token, the OAuth profile, required headers, users, timestamps.

Sources: https://developer.zendesk.com/api-reference/sales-crm/authentication/ (OAuth 2 bearer tokens),
https://developer.zendesk.com/api-reference/sales-crm/requests/ and Zendesk's official Python client
`basecrm` (`http_client.py`: envelope and required headers; `configuration.py`: token length).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode



# -- credentials ------------------------------------------------------------------------------------
# 64 characters: the official `basecrm` client refuses tokens of any other length (configuration.py).
SANDBOX_TOKEN = "sandbox-zendesk_sell-token-0000000000000000000000000000000000000"

# -- choices where the vendor's behaviour is not settled (change here) --------------------------------
# A request without User-Agent is refused with 400 ("invalid_user_agent"-style; the official client
# `basecrm`, http_client.py, always sends one). Sell's requests page
# (https://developer.zendesk.com/api-reference/sales-crm/requests/) does not name the header: switch
# `user_agent_required` (True, default, or False).
MISSING_USER_AGENT_STATUS = 400
MISSING_USER_AGENT_CODE = "invalid_user_agent"
# Sell documents no rate-limit headers (https://developer.zendesk.com/api-reference/sales-crm/rate-limits/);
# the names below are what third-party clients
# read. 36,000 requests per hour per token.
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
RATE_LIMIT = 36000

MORE_INFO = "https://developers.getbase.com/docs/rest/articles/errors"
HTTP_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 406: "Not Acceptable",
                409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests"}

USERS = [{"id": 2119, "name": "Mark Johnson", "email": "mark@sellsandbox.example"},
         {"id": 2127, "name": "Lena Fischer", "email": "lena@sellsandbox.example"},
         {"id": 2135, "name": "Omar Haddad", "email": "omar@sellsandbox.example"}]
USER_IDS = {u["id"] for u in USERS}
TOKEN_USER = USERS[0]

ID_BASE = 167340001


def timestamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_timestamp() -> str:
    return timestamp(datetime.now(timezone.utc))



def page_bounds(query) -> tuple[int, int] | str:
    """`page` (1-based) and `per_page` (1..100, default 25) of a v2 list, or what is wrong with them
    (basecrm-ruby's services: "per_page ... maximum 100", https://github.com/zendesk/basecrm-ruby)."""
    try:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 25))
    except ValueError:
        return "page and per_page take positive integers."
    if page < 1 or not 1 <= per_page <= 100:
        return "page must be >= 1 and per_page between 1 and 100."
    return page, per_page


def id_list(raw: str | None) -> set[int] | None | str:
    """The `ids=1,2,3` filter every v2 list takes (https://developers.getbase.com/docs/rest/articles/requests),
    None when absent, or what is wrong with it."""
    if not raw:
        return None
    try:
        return {int(x) for x in raw.split(",") if x.strip()}
    except ValueError:
        return "ids takes a comma-separated list of integers."


def collection(request, records: list[dict[str, Any]], page: int, per_page: int, kind: str) -> dict[str, Any]:
    """One page of a v2 list in Sell's envelope: `items` (empty past the end: the official clients stop on
    an empty page, basecrm-ruby paginated_resource.rb) and `meta.links.next_page` while more remain."""
    start = (page - 1) * per_page
    chosen = records[start:start + per_page]

    def link(number: int) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "per_page")]
        return str(request.url.replace(query=urlencode([*params, ("page", str(number)), ("per_page", str(per_page))])))

    links = {"self": str(request.url), "first_page": link(1)}
    if page > 1:
        links["prev_page"] = link(page - 1)
    if len(records) > start + per_page:
        links["next_page"] = link(page + 1)
    return {"items": [{"data": r, "meta": {"type": kind}} for r in chosen],
            "meta": {"type": "collection", "count": len(chosen), "links": links}}
