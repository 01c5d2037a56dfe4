"""Pipedrive's OAuth 2 authorization server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `GET /oauth/authorize`, token `POST /oauth/token` (oauth.pipedrive.com, served under the
emulator root), client authentication by HTTP Basic:
https://pipedrive.readme.io/docs/marketplace-oauth-authorization . The token response's `api_domain`
is the emulator's own root URL, where the API answers
(https://developers.pipedrive.com/changelog/post/new-parameter-in-oauth-oauthtoken-responses).
"""

from __future__ import annotations

from starlette.responses import Response

from unigate.sandbox import _oauth
from unigate.sandbox.base import json_response

STATUS_CODES_PAGE = "https://pipedrive.readme.io/docs/marketplace-oauth-and-api-proxy-status-codes"
OAUTH_AUTHORIZE_PATH = "/oauth/authorize"   # https://oauth.pipedrive.com/oauth/authorize [verified]
OAUTH_TOKEN_PATH = "/oauth/token"           # https://oauth.pipedrive.com/oauth/token [verified]
# `expires_in` of the documented token response [verified:
# https://developers.pipedrive.com/changelog/post/new-parameter-in-oauth-oauthtoken-responses]
OAUTH_ACCESS_TOKEN_TTL = 3599
# Pipedrive's docs are silent on rotation; the sandbox rotates (a client must keep the newest refresh
# token) [unverified; the OAuth status codes page (STATUS_CODES_PAGE) calls a refresh token invalid
# once "it was already exchanged", which agrees].
OAUTH_ROTATES_REFRESH_TOKEN = True
# "More than 5 minutes passed after issue of provided authorization_code" (STATUS_CODES_PAGE).
OAUTH_CODE_TTL = 300
# The authorize request carries no scope: an app's scopes are set when it is registered. The
# organization endpoints need contacts:full [verified: the scopes in
# https://github.com/pipedrive/client-nodejs/blob/master/src/versions/v2/api/organizations-api.ts].
OAUTH_APP_SCOPE = "base,contacts:full"
# Token endpoint errors: 400 `{"error", "error_description"}` with the messages of Pipedrive's
# OAuth status codes page [messages from STATUS_CODES_PAGE; the body shape is unverified].
OAUTH_ERROR_MESSAGES = {
    _oauth.REASON_NOT_FORM: "Invalid request: content must be application/x-www-form-urlencoded",
    _oauth.REASON_GRANT_TYPE_MISSING: "Missing parameter: `grant_type`",
    _oauth.REASON_GRANT_TYPE_UNSUPPORTED: "Unsupported grant type: `grant_type` is invalid",
    _oauth.REASON_CLIENT_MISSING: "Invalid client: cannot retrieve client credentials",
    _oauth.REASON_CLIENT_AUTH_METHOD: "Invalid client: cannot retrieve client credentials",
    _oauth.REASON_CLIENT_UNKNOWN: "Invalid client: client is invalid",
    _oauth.REASON_CLIENT_SECRET_WRONG: "Invalid client: client is invalid",
    _oauth.REASON_CODE_MISSING: "Missing parameter: `code`",
    _oauth.REASON_CODE_INVALID: "Invalid grant: authorization code is invalid",
    _oauth.REASON_CODE_EXPIRED: "Invalid grant: authorization code has expired",
    _oauth.REASON_CODE_VERIFIER: "Invalid grant: authorization code is invalid",
    _oauth.REASON_REDIRECT_URI_MISMATCH: "Invalid request: `redirect_uri` is invalid",
    _oauth.REASON_REFRESH_TOKEN_MISSING: "Missing parameter: `refresh_token`",
    _oauth.REASON_REFRESH_TOKEN_INVALID: "Invalid grant: refresh token is invalid",
}


def oauth_error(error: _oauth.OAuthError) -> Response:
    # the page pairs a redirect_uri mismatch with "Invalid request", not "Invalid grant"
    code = "invalid_request" if error.reason == _oauth.REASON_REDIRECT_URI_MISMATCH else error.error
    return json_response({"error": code, "error_description": OAUTH_ERROR_MESSAGES[error.reason]}, status=400)


OAUTH_PROFILE = _oauth.OAuthProfile(
    name="pipedrive",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    # Authorization: Basic base64(client_id:client_secret) [verified:
    # https://pipedrive.readme.io/docs/marketplace-oauth-authorization]
    client_auth=frozenset({"basic"}),
    code_ttl=OAUTH_CODE_TTL,
    default_scope=OAUTH_APP_SCOPE,
    token_error=oauth_error,
    # `api_domain`: where this company's API answers [verified:
    # https://developers.pipedrive.com/changelog/post/new-parameter-in-oauth-oauthtoken-responses];
    # here, the emulator itself.
    token_extras=lambda request: {"api_domain": _oauth.emulator_root(request)},
)
