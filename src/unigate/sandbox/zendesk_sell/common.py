"""What every Zendesk Sell resource shares: the token, the OAuth profile, required headers, users, timestamps.

Sources: https://developer.zendesk.com/api-reference/sales-crm/authentication/ (OAuth 2 bearer tokens),
https://developer.zendesk.com/api-reference/sales-crm/requests/ and Zendesk's official Python client
`basecrm` (`http_client.py`: envelope and required headers; `configuration.py`: token length).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from unigate.sandbox import _oauth


# -- credentials ------------------------------------------------------------------------------------
# 64 characters: the official `basecrm` client refuses tokens of any other length (configuration.py).
SANDBOX_TOKEN = "sandbox-zendesk_sell-token-0000000000000000000000000000000000000"

# -- OAuth 2 (https://developer.zendesk.com/api-reference/sales-crm/authentication/) -----------------
OAUTH_AUTHORIZE_PATH = "/oauth2/authorize"  # https://api.getbase.com/oauth2/authorize [doc]
OAUTH_TOKEN_PATH = "/oauth2/token"          # https://api.getbase.com/oauth2/token [doc]
OAUTH_ACCESS_TOKEN_TTL = 3599               # expires_in "3599" in a Zendesk community post (5003737490458)
# The vendor is silent on rotation; the sandbox rotates, the behaviour a client must survive [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
OAUTH_PROFILE = _oauth.OAuthProfile(
    name="zendesk_sell",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    client_auth=frozenset({"basic", "body"}),   # "client credentials in Basic auth (or as form fields)"
    token_type="bearer",
    # 64 hex characters, the only length the official client takes (see SANDBOX_TOKEN)
    new_access_token=lambda: secrets.token_hex(32),
    new_refresh_token=lambda: secrets.token_hex(32),
    # token errors: RFC 6749 §5.2 bodies and statuses [unverified: the vendor documents none]
)

# -- choices where the vendor's behaviour is not settled (change here) --------------------------------
# A request without User-Agent is refused with 400 ("invalid_user_agent"-style; the official client
# `basecrm`, http_client.py, always sends one).
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

