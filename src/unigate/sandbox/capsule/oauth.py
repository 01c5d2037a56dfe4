"""Capsule's OAuth 2 authorization server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `https://api.capsulecrm.com/oauth/authorise` (British spelling), token
`https://api.capsulecrm.com/oauth/token`, both under the emulator root
(https://community.cyclr.com/connector-guides/capsule/capsule-setup , referencing Capsule's docs);
the token response names the account's `subdomain`
(https://developer.capsulecrm.com/v2/overview/basic-auth-migrate).
"""

from __future__ import annotations

from unigate.sandbox import _oauth

OAUTH_AUTHORIZE_PATH = "/oauth/authorise"   # https://api.capsulecrm.com/oauth/authorise [verified]
OAUTH_TOKEN_PATH = "/oauth/token"           # https://api.capsulecrm.com/oauth/token [verified]
# "Lifetime value not confirmed (often reported ≈7 days)" [unverified].
OAUTH_ACCESS_TOKEN_TTL = 7 * 24 * 3600
# Capsule's docs are silent on rotation; the sandbox rotates, the behaviour a client must survive [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
# The token response names the account's `subdomain` [verified:
# https://developer.capsulecrm.com/v2/overview/basic-auth-migrate]. The API host is global
# (https://developer.capsulecrm.com/v2/overview/authentication), so the value only identifies the
# account; the sandbox account's subdomain is this placeholder.
OAUTH_SUBDOMAIN = "sandbox"
OAUTH_PROFILE = _oauth.OAuthProfile(
    name="capsule",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    # client_id/client_secret form fields [verified: `tap_capsulecrm/auth.py` in
    # https://github.com/Matatika/tap-capsulecrm]
    client_auth=frozenset({"body"}),
    token_type="bearer",
    token_extras=lambda request: {"subdomain": OAUTH_SUBDOMAIN},
    # token errors: RFC 6749 §5.2 bodies and statuses [unverified: Capsule documents none]
)
