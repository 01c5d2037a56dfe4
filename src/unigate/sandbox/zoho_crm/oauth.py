"""Zoho's OAuth 2 accounts server, as the emulator's `_oauth.OAuthServer` profile.

Authorize `GET /oauth/v2/auth`, token `POST /oauth/v2/token` (the accounts server, served under the
emulator root); the API accepts the access tokens it issues. Hosts per data centre:
https://github.com/zoho/zohocrm-python-sdk-8.0 (`dc/*_data_center.py`); the refresh answer, as Zoho's
accounts server gives it for every product: https://zoho.com/developer/docs/vertical-solutions/api/v6/refresh.html
"""

from __future__ import annotations

import secrets

from starlette.responses import Response

from unigate.sandbox import _oauth
from unigate.sandbox.base import json_response

# https://accounts.zoho.{dc}/oauth/v2/auth and .../token [verified: securitySchemes in v8.0/common.json of
# https://github.com/zoho/crm-oas]
OAUTH_AUTHORIZE_PATH = "/oauth/v2/auth"
OAUTH_TOKEN_PATH = "/oauth/v2/token"
# "access token valid 1 hour", expires_in 3600 [verified:
# https://zoho.com/developer/docs/vertical-solutions/api/v6/refresh.html, the same Zoho accounts server]
OAUTH_ACCESS_TOKEN_TTL = 3600
# The documented refresh answer carries no refresh_token: the refresh token is kept and used again
# (a user holds up to 20 of them) [verified: https://www.zoho.com/pdfeditor/help/api/oauth-step4.html].
OAUTH_ROTATES_REFRESH_TOKEN = False
# Grant tokens are short-lived [unverified lifetime: Zoho docs speak of minutes].
OAUTH_CODE_TTL = 120
# Token endpoint errors come with HTTP 200 and a bare `{"error": "<code>"}`; the official SDK reads
# the body whatever the status and fails when it has no access_token (`parse_response` in
# `api/authenticator/oauth_token.py` of https://github.com/zoho/zohocrm-python-sdk-8.0) [observed:
# live answers quoted in public issue threads, e.g. `HTTP/1.1 200 ... {"error":"invalid_client"}`, `{"error":"invalid_code"}`; the redirect-URI and
# grant-type codes are unverified].
OAUTH_ERROR_STATUS = 200
OAUTH_ERROR_CODES = {
    _oauth.REASON_NOT_FORM: "invalid_request",
    _oauth.REASON_GRANT_TYPE_MISSING: "invalid_request",
    _oauth.REASON_GRANT_TYPE_UNSUPPORTED: "unsupported_grant_type",
    _oauth.REASON_CLIENT_MISSING: "invalid_client",
    _oauth.REASON_CLIENT_AUTH_METHOD: "invalid_client",
    _oauth.REASON_CLIENT_UNKNOWN: "invalid_client",
    _oauth.REASON_CLIENT_SECRET_WRONG: "invalid_client_secret",
    _oauth.REASON_CODE_MISSING: "invalid_code",
    _oauth.REASON_CODE_INVALID: "invalid_code",
    _oauth.REASON_CODE_EXPIRED: "invalid_code",
    _oauth.REASON_CODE_VERIFIER: "invalid_code",
    _oauth.REASON_REDIRECT_URI_MISMATCH: "invalid_redirect_uri",
    _oauth.REASON_REFRESH_TOKEN_MISSING: "invalid_code",
    _oauth.REASON_REFRESH_TOKEN_INVALID: "invalid_code",
}


# Zoho tokens look like `1000.<hex>.<hex>` [observed].
def _zoho_token() -> str:
    return f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"


def oauth_error(error: _oauth.OAuthError) -> Response:
    return json_response({"error": OAUTH_ERROR_CODES[error.reason]}, OAUTH_ERROR_STATUS)


OAUTH_PROFILE = _oauth.OAuthProfile(
    name="zoho_crm",
    authorize_path=OAUTH_AUTHORIZE_PATH,
    token_path=OAUTH_TOKEN_PATH,
    access_token_ttl=OAUTH_ACCESS_TOKEN_TTL,
    rotates_refresh_token=OAUTH_ROTATES_REFRESH_TOKEN,
    # client_id/client_secret form fields [verified: `api/authenticator/oauth_token.py` of
    # https://github.com/zoho/zohocrm-python-sdk-8.0]
    client_auth=frozenset({"body"}),
    form_in_query=True,                    # the accounts server also reads them from the query [observed]
    code_ttl=OAUTH_CODE_TTL,
    token_error=oauth_error,
    new_access_token=_zoho_token,
    new_refresh_token=_zoho_token,
    # `api_domain` names the API host of the org's data centre (the SDK switches to it: `parse_response`
    # in `oauth_token.py` of https://github.com/zoho/zohocrm-python-sdk-8.0): here, the emulator.
    token_extras=lambda request: {"api_domain": _oauth.emulator_root(request)},
    # The redirect also names the user's data centre and its accounts server (where the token
    # request must go) [unverified wording: https://zoho.com/accounts/protocol/oauth/multi-dc.html
    # says the answer gives the user's location].
    redirect_extras=lambda request: {"location": "us", "accounts-server": _oauth.emulator_root(request)},
)
