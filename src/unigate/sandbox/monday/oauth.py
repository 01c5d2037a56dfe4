"""monday's OAuth authorization server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `GET /oauth2/authorize`; OAuth 2.1 token `POST /oauth_ms/oauth/token` (PKCE S256, expiring
access tokens, refresh tokens; https://developer.monday.com/apps/docs/oauth-2-1); legacy OAuth 2.0
token `POST /oauth2/token` (access tokens that never expire, no refresh token;
https://developer.monday.com/apps/docs/oauth-2-0). All at auth.monday.com, served under the emulator root.
"""

from __future__ import annotations

from unigate.sandbox import _oauth

# -- OAuth (https://developer.monday.com/apps/docs/oauth-2-1, .../oauth-2-0) ------------------------
OAUTH_AUTHORIZE_PATH = "/oauth2/authorize"        # https://auth.monday.com/oauth2/authorize [doc]
OAUTH_TOKEN_PATH = "/oauth_ms/oauth/token"        # OAuth 2.1 (current): PKCE, expiring tokens, refresh [doc]
OAUTH_LEGACY_TOKEN_PATH = "/oauth2/token"         # OAuth 2.0 (legacy): tokens never expire, no refresh [doc]
# OAuth 2.1 access-token lifetime: the docs do not give it [unverified].
OAUTH_ACCESS_TOKEN_TTL = 3600
# OAuth 2.1 requires refresh tokens to be rotated or sender-bound; the docs are silent on monday's
# choice, the sandbox rotates [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
OAUTH_PROFILE = _oauth.OAuthProfile(
    name="monday",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    non_expiring_token_path=OAUTH_LEGACY_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    pkce="required",                       # OAuth 2.1 with PKCE [doc]; only S256 is taken
    client_auth=frozenset({"body"}),       # [unverified: the docs name no client authentication]
    # token errors: RFC 6749 §5.2 bodies and statuses [unverified: the docs record none]
)
