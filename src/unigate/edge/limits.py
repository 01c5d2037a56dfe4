"""The gateway's own rate limits on unified, proxy and custom calls: per API token and per integrated account.

Off by default. `UNIGATE_LIMIT_PER_TOKEN` and `UNIGATE_LIMIT_PER_ACCOUNT` take "N" (requests per
second) or "N/window", e.g. "500/10s" and "50/10s", Truto's own limits (https://truto.one/docs/api-reference/overview/rate-limits).
Windows are fixed and aligned on the clock, so every process agrees on which window a request falls in;
over the limit the answer is 429 with `Retry-After` (seconds to the window's end) and the
`ratelimit-*` headers Truto normalizes to (same section).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from dataclasses import dataclass

from unigate.errors import GatewayError
from unigate.observability.metrics import record_gateway_limited
from unigate.store.counters import WindowCounter

log = logging.getLogger("unigate.limits")

_LIMIT = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)?)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class Limit:
    requests: int
    window: float  # seconds

    @classmethod
    def parse(cls, text: str | None, setting: str) -> Limit | None:
        """None for an unset limit; ValueError naming `setting` for one that can't be read."""
        if text is None or not text.strip() or text.strip().lower() == "off":
            return None
        match = _LIMIT.match(text)
        if match is None:
            raise ValueError(f"{setting}={text!r}: expected N or N/window, e.g. 10, 500/10s, 100/m or 5000/1h")
        requests, amount, unit = match.groups()
        window = float(amount or 1) * _UNIT_SECONDS[unit]
        if int(requests) < 1 or window <= 0:
            raise ValueError(f"{setting}={text!r}: the count and the window must be positive")
        return cls(int(requests), window)

    def describe(self) -> str:
        return f"{self.requests};w={self.window:g}"


class GatewayLimits:
    def __init__(self, per_token: Limit | None, per_account: Limit | None, counter: WindowCounter) -> None:
        self.per_token = per_token
        self.per_account = per_account
        self.counter = counter

    async def check_token(self, authorization: str) -> None:
        if self.per_token is not None:
            # Counted under the token's hash: the token itself is never stored.
            subject = hashlib.sha256(authorization[7:].strip().encode()).hexdigest()
            await self._check("token", subject, self.per_token, "API token")

    async def check_account(self, account_id: str) -> None:
        if self.per_account is not None:
            await self._check("account", account_id, self.per_account, "integrated account")

    async def _check(self, scope: str, subject: str, limit: Limit, what: str) -> None:
        now = time.time()
        window = math.floor(now / limit.window)
        ends_in = (window + 1) * limit.window - now
        try:
            hits = await self.counter.hit(scope, subject, window, ends_in)
        except Exception as exc:  # noqa: BLE001 - fail open, logged
            # Fail open: the limit protects the gateway and the CRMs, an outage of the counter's
            # store should not stop every call. Logged so it is seen.
            log.warning("the %s rate limit could not be counted (%s); the request is let through", scope,
                        type(exc).__name__)
            return
        if hits <= limit.requests:
            return
        record_gateway_limited(scope)
        retry_after = str(max(1, math.ceil(ends_in)))
        raise GatewayError(
            429,
            f"This {what} is over the gateway's limit of {limit.requests} requests per {limit.window:g} s. "
            f"Retry after {retry_after} s.",
            headers={"retry-after": retry_after, "ratelimit-limit": limit.describe(), "ratelimit-remaining": "0",
                     "ratelimit-reset": retry_after},
        )
