"""HubSpot's OAuth 2 authorization server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `GET /oauth/authorize` (app.hubspot.com) and token `POST /oauth/v1/token`
(api.hubapi.com), both under the emulator root:
https://developers.hubspot.com/docs/methods/oauth2/refresh-access-token
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from unigate.sandbox import _oauth
from unigate.sandbox.base import json_response
from unigate.sandbox.hubspot.common import MEDIA_TYPE

# https://app.hubspot.com/oauth/authorize [verified: AUTHORIZE_URL in
# https://github.com/HubSpot/hubspot-api-python/blob/master/hubspot/utils/oauth.py]
OAUTH_AUTHORIZE_PATH = "/oauth/authorize"
# https://api.hubapi.com/oauth/v1/token [verified:
# https://github.com/HubSpot/hubspot-api-python/blob/master/hubspot/oauth/api/tokens_api.py]
OAUTH_TOKEN_PATH = "/oauth/v1/token"
# 30 minutes: https://developers.hubspot.com/changelog/upcoming-expiration-of-oauth-access-tokens-is-changing
OAUTH_ACCESS_TOKEN_TTL = 1800
# HubSpot's docs are silent on whether a refresh answers a new refresh token and voids the old one;
# the sandbox rotates, the behaviour a client must survive [unverified].
OAUTH_ROTATES_REFRESH_TOKEN = True
# Token endpoint errors: 400 with HubSpot's `status` code and message plus the RFC 6749 `error`
# [observed: "400 BAD_REFRESH_TOKEN" quoted from live answers in public issue threads; the other
# codes and all wordings are unverified].
OAUTH_ERRORS = {
    _oauth.REASON_REFRESH_TOKEN_MISSING: ("BAD_REFRESH_TOKEN", "missing or unknown refresh token"),
    _oauth.REASON_REFRESH_TOKEN_INVALID: ("BAD_REFRESH_TOKEN", "missing or unknown refresh token"),
    _oauth.REASON_CODE_MISSING: ("BAD_AUTH_CODE", "missing or unknown auth code"),
    _oauth.REASON_CODE_INVALID: ("BAD_AUTH_CODE", "missing or unknown auth code"),
    _oauth.REASON_CODE_EXPIRED: ("BAD_AUTH_CODE", "auth code has expired"),
    _oauth.REASON_CODE_VERIFIER: ("BAD_AUTH_CODE", "code_verifier does not match"),
    _oauth.REASON_REDIRECT_URI_MISMATCH: ("BAD_REDIRECT_URI", "redirect_uri does not match the authorization request"),
    _oauth.REASON_CLIENT_MISSING: ("BAD_CLIENT_ID", "missing or unknown client id"),
    _oauth.REASON_CLIENT_UNKNOWN: ("BAD_CLIENT_ID", "missing or unknown client id"),
    _oauth.REASON_CLIENT_AUTH_METHOD: ("BAD_CLIENT_ID", "missing or unknown client id"),
    _oauth.REASON_CLIENT_SECRET_WRONG: ("BAD_CLIENT_SECRET", "missing or invalid client secret"),
    _oauth.REASON_GRANT_TYPE_MISSING: ("BAD_GRANT_TYPE", "missing or unknown grant type"),
    _oauth.REASON_GRANT_TYPE_UNSUPPORTED: ("BAD_GRANT_TYPE", "missing or unknown grant type"),
    _oauth.REASON_NOT_FORM: ("BAD_REQUEST", "the request body must be application/x-www-form-urlencoded"),
}


def oauth_error(error: _oauth.OAuthError) -> Response:
    status, message = OAUTH_ERRORS[error.reason]
    body = {"status": status, "message": message, "correlationId": str(uuid.uuid4()),
            "error": error.error, "error_description": message}
    return json_response(body, status=400, media_type=MEDIA_TYPE)


OAUTH_PROFILE = _oauth.OAuthProfile(
    name="hubspot",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    # client_id/client_secret as form fields: https://developers.hubspot.com/docs/methods/oauth2/refresh-access-token
    client_auth=frozenset({"body"}),
    token_type="bearer",
    # TokenResponseIF has no scope [verified:
    # https://github.com/HubSpot/hubspot-api-python/blob/master/hubspot/oauth/models/token_response_if.py]
    returns_scope=False,
    token_error=oauth_error,
)
