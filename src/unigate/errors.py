"""The one error shape every route answers with: `{statusCode, error, message}` (Truto's contract).

Provider errors add `truto_is_remote_error: true` and `raw_response`; unified-route errors may add
`truto_error_insight` (https://truto.one/docs/api-reference/overview/errors).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

_ABSENT = object()


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class GatewayError(Exception):
    """An answer that is an error. Raise it anywhere; the edge turns it into the JSON body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        insight: dict[str, Any] | None = None,
        remote: bool = False,
        raw_response: Any = _ABSENT,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.insight = insight
        self.remote = remote
        self.raw_response = raw_response
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"statusCode": self.status, "error": reason_phrase(self.status), "message": self.message}
        if self.remote:
            body["truto_is_remote_error"] = True
            body["raw_response"] = None if self.raw_response is _ABSENT else self.raw_response
        if self.insight:
            body["truto_error_insight"] = self.insight
        return body

