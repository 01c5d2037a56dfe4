"""What every Zendesk Sell resource shares: the token, the OAuth profile, required headers, users, timestamps.

Sources: https://developer.zendesk.com/api-reference/sales-crm/authentication/ (OAuth 2 bearer tokens),
https://developer.zendesk.com/api-reference/sales-crm/requests/ and Zendesk's official Python client
`basecrm` (`http_client.py`: envelope and required headers; `configuration.py`: token length).
"""

from __future__ import annotations

from datetime import datetime, timezone



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

