"""Zendesk Sell's OAuth 2 authorization server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `GET /oauth2/authorize`, token `POST /oauth2/token` at api.getbase.com
(https://developer.zendesk.com/api-reference/sales-crm/authentication/).
"""

from __future__ import annotations

import secrets

from unigate.sandbox import _oauth

# -- OAuth 2 (https://developer.zendesk.com/api-reference/sales-crm/authentication/) -----------------
OAUTH_AUTHORIZE_PATH = "/oauth2/authorize"  # https://api.getbase.com/oauth2/authorize [doc]
OAUTH_TOKEN_PATH = "/oauth2/token"          # https://api.getbase.com/oauth2/token [doc]
OAUTH_ACCESS_TOKEN_TTL = 3599               # expires_in "3599" in a Zendesk community post (5003737490458)
# The vendor is silent on rotation; the sandbox rotates by default, the behaviour a client must survive
# [unverified]; switch `refresh_token_rotation` (False: no new refresh token, the old one stays valid).
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
