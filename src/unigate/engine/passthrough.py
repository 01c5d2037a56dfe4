"""The custom API's call: any path under the account's API base URL, with the account's credentials.

`ANY /custom/{path}` sends `{path}` to the integration's base URL (the account's, with its path
prefix: Zoho's `/crm/v8`, Pipeliner's `/api/v100/rest/spaces/{space}`), with the caller's query
(less `integrated_account_id`) and body (Truto's custom API,
https://truto.one/docs/cli/data-plane). Because the account's credentials ride along, the path is
checked before anything is sent: it can only name something under the base URL, never another
host or a parent path.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from unigate.engine.accounts import AccountRuntime
from unigate.engine.call import JsonResult, RawResult
from unigate.engine.provider_call import CallState, ProviderCall
from unigate.engine.provider_request import ProviderRequest, encode_query
from unigate.errors import GatewayError

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HEX = "0123456789abcdefABCDEF"
# Once decoded, these would change which path (or host) the URL names.
_ENCODED_SEPARATORS = ("%2f", "%5c", "%2e", "%00")


def _refuse(reason: str) -> GatewayError:
    return GatewayError(400, f"The custom API path {reason}; nothing was sent. It must be a path under the "
                             "integration's API base URL, e.g. /custom/crm/v3/objects/companies.")


def checked_path(raw_path: str) -> str:
    """The caller's path (as sent, percent-encoded), if it can only name something under the base URL."""
    if not raw_path:
        raise _refuse("is empty")
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in raw_path):
        raise _refuse("holds spaces, control or non-ASCII characters (percent-encode them)")
    if "\\" in raw_path:
        raise _refuse("holds a backslash")
    if "#" in raw_path or ";" in raw_path:
        raise _refuse("holds '#' or ';' (percent-encode them)")
    if "@" in raw_path:
        raise _refuse("holds '@' (percent-encode it as %40 inside a segment)")
    if raw_path.startswith("/") or "//" in raw_path or _SCHEME.match(raw_path):
        raise _refuse("is an absolute URL or has an empty segment ('//')")
    for index, char in enumerate(raw_path):
        if char == "%" and not (raw_path[index + 1:index + 2] in tuple(_HEX) and raw_path[index + 2:index + 3]
                                in tuple(_HEX)):
            raise _refuse("holds a '%' that is not a percent-encoded byte")
    for segment in raw_path.split("/"):
        try:
            decoded = unquote(segment, errors="strict") if "%" in segment else segment
        except UnicodeDecodeError:
            raise _refuse("holds percent-encoded bytes that are not UTF-8") from None
        if decoded in (".", ".."):
            raise _refuse("holds a '.' or '..' segment (raw or percent-encoded)")
        lowered = decoded.lower()
        if "/" in decoded or "\\" in decoded or "\x00" in decoded or any(e in lowered for e in _ENCODED_SEPARATORS):
            raise _refuse("holds an encoded slash, backslash, dot or NUL (%2F, %5C, %2E, %00), possibly encoded twice")
    return raw_path


def custom_url(base_url: str, raw_path: str) -> str:
    """base_url + "/" + path, after checking the result still names the base URL's host and path."""
    url = f"{base_url}/{checked_path(raw_path)}"
    base, target = urlsplit(base_url), urlsplit(url)
    if (target.scheme, target.netloc) != (base.scheme, base.netloc) or \
            not target.path.startswith(base.path.rstrip("/") + "/"):
        raise _refuse("would leave the integration's API base URL")
    return url


def forwarded_query(pairs: list[tuple[str, str]], dropped: tuple[str, ...]) -> dict[str, Any]:
    """The caller's query pairs less `dropped` and the gateway's own `truto_*` ones; repeated keys stay repeated."""
    query: dict[str, Any] = {}
    for key, value in pairs:
        if key in dropped or key.startswith("truto_"):
            continue
        if key in query:
            existing = query[key]
            query[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            query[key] = value
    return query


async def passthrough(provider: ProviderCall, account: AccountRuntime, http_method: str, raw_path: str,
                      query: dict[str, Any], body: bytes, content_type: str | None,
                      state: CallState) -> JsonResult | RawResult:
    """The CRM's answer to the caller's own request: JSON as `{result, next_cursor, prev_cursor}`, anything
    else as it came, with its content type."""
    if http_method not in METHODS:
        raise GatewayError(405, f"{http_method} is not allowed on /custom; use {', '.join(METHODS)}.")
    checked_path(raw_path)  # before anything is sent, a token refresh included
    if provider.refresh_due(account):
        account = await provider.fresh(account)
    url = custom_url(account.base_url, raw_path)
    path = urlsplit(url).path
    if query:
        url += "?" + encode_query(query)
    headers = dict(account.headers)
    payload = body or None
    if payload is not None:
        headers["Content-Type"] = content_type or "application/json"
    request = ProviderRequest(http_method, url, path, headers, payload)
    answer = await provider.fetch(account, request, state, write=http_method in ("POST", "PUT", "PATCH"))
    response = answer.response
    if not response.body:
        return JsonResult({"result": None, "next_cursor": None, "prev_cursor": None}, answer.headers)
    if not isinstance(answer.parsed, str):
        return JsonResult({"result": answer.parsed, "next_cursor": None, "prev_cursor": None}, answer.headers,
                          status=response.status)
    return RawResult(response.status, response.content_type or "application/octet-stream", response.body,
                     answer.headers)
