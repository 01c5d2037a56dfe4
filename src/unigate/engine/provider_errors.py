"""Recognise a provider's error and turn it into the unified error (https://truto.one/docs/api-reference/overview/errors)."""

from __future__ import annotations

import math
from typing import Any

from unigate.engine.provider_request import lower_headers
from unigate.engine.ratelimit import retry_wait
from unigate.engine.spec import Integration
from unigate.errors import GatewayError
from unigate.expressions import ExpressionError

# Keys a provider's error message is commonly found under, most specific first.
_MESSAGE_KEYS = ("message", "msg", "errorMessage", "error_message", "error_description", "detail",
                 "description", "summary", "title", "error", "errors", "details")


def find_message(body: Any, depth: int = 0) -> str | None:
    """The first human-readable message in an error body, searched breadth-first through common keys."""
    if depth > 4 or body is None:
        return None
    if isinstance(body, str):
        return body.strip()[:500] or None
    if isinstance(body, list):
        for item in body[:5]:
            found = find_message(item, depth + 1)
            if found:
                return found
        return None
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, (dict, list)):
                found = find_message(value, depth + 1)
                if found:
                    return found
    return None


def _advice(status: int) -> str:
    if status == 401:
        return "The integrated account's credentials were refused; reconnect the account or update its context."
    if status == 403:
        return "The credentials lack permission (scope) for this operation."
    if status == 404:
        return "The record does not exist in the provider (or was deleted)."
    if status == 429:
        return "The provider's rate limit was reached; retry after the Retry-After delay."
    if status >= 500:
        return "The provider failed; retry later."
    return "Check the request against the provider's answer in raw_response."


def detect(integration: Integration, status: int, headers: Any, parsed: Any) -> GatewayError | None:
    """The unified error for a provider answer, or None when it is a success."""
    if 300 <= status < 400:
        # Redirects are never followed (the credentials go only to the integration's declared host),
        # so a 3xx is not an answer: reading its empty body as a success would lose the records.
        return GatewayError(502, f"{integration.label} answered {status}, a redirect; unigate does not follow "
                                 "redirects, so the account's credentials only go to the integration's own API "
                                 "host. Check the account's API host.",
                            insight={"remote_error": {"description": f"The answer came from {integration.label}; "
                                                                     "it is in raw_response."}},
                            remote=True, raw_response=parsed)
    rules = integration.errors
    scope = None
    if rules.is_error is not None:
        scope = {"status": status, "headers": lower_headers(headers), "response": parsed}
        try:
            failed = bool(rules.is_error.evaluate(scope))
        except ExpressionError:
            failed = status >= 400
    else:
        failed = status >= 400
    if not failed:
        return None
    if scope is None:
        scope = {"status": status, "headers": lower_headers(headers), "response": parsed}
    unified_status = status
    if rules.status is not None:
        try:
            mapped = rules.status.evaluate(scope)
            unified_status = int(mapped) if mapped is not None else status
        except (ExpressionError, TypeError, ValueError, OverflowError):
            unified_status = status
    if not 400 <= unified_status <= 599:
        # An answer flagged as an error must not read as a success, nor as a status HTTP has no room for
        # (the status is read from the provider's body, which is hostile input).
        unified_status = 502
    provider_message = None
    if rules.message is not None:
        try:
            provider_message = rules.message.evaluate(scope)
        except ExpressionError:
            provider_message = None
    if not isinstance(provider_message, str) or not provider_message:
        if isinstance(parsed, str) and parsed.lstrip()[:1] == "<":
            # A proxy's or load balancer's error page: its markup would make a useless message.
            provider_message = "an HTML page instead of an API answer (typically from a proxy or load balancer)"
        else:
            provider_message = find_message(parsed)
    gateway_status = 502 if unified_status >= 500 else unified_status
    text = f"{integration.label} answered {unified_status}"
    if provider_message:
        text += f": {provider_message}" + ("" if provider_message[-1] in ".!?" else ".")
    else:
        text += "."
    text += f" {_advice(unified_status)}"
    insight: dict[str, Any] = {"remote_error": {"description": f"The error came from {integration.label}; "
                                                               "its answer is in raw_response."}}
    if unified_status == 429:
        insight["rate_limit_error"] = {"description": f"{integration.label}'s rate limit was reached."}
    error_headers = {}
    wait = retry_wait(integration.rate_limit, status, headers) if hasattr(headers, "get") else None
    if wait is not None:
        # The provider's own wait (Retry-After or its reset header), in whole seconds, rounded up.
        error_headers["retry-after"] = str(math.ceil(wait))
    return GatewayError(gateway_status, text, insight=insight, remote=True, raw_response=parsed, headers=error_headers)
