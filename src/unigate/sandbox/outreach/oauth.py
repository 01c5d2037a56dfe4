"""Outreach's OAuth 2 authorization server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `GET /oauth/authorize`, token `POST /oauth/token` (https://developers.outreach.io/api/oauth/).
"""

from __future__ import annotations

from unigate.sandbox import _oauth

# -- OAuth 2 (https://developers.outreach.io/api/oauth/) ----------------------------------------------
OAUTH_AUTHORIZE_PATH = "/oauth/authorize"   # https://api.outreach.io/oauth/authorize [doc]
OAUTH_TOKEN_PATH = "/oauth/token"           # https://api.outreach.io/oauth/token [doc]
OAUTH_ACCESS_TOKEN_TTL = 7200               # "access tokens last about 2 hours" [doc]
# "Keep the latest refresh_token returned; whether refresh tokens rotate is [unverified]": the
# sandbox rotates by default, the behaviour a client must survive; switch `refresh_token_rotation`
# (False: a refresh answers no new refresh token and the old one stays valid).
OAUTH_ROTATES_REFRESH_TOKEN = True
OAUTH_PROFILE = _oauth.OAuthProfile(
    name="outreach",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    client_auth=frozenset({"body"}),       # client_id/client_secret form fields [doc]
    token_type="bearer",
    # token errors: RFC 6749 §5.2 bodies and statuses [unverified: the vendor documents none]
)
