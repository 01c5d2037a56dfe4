"""When a provider call is sent again, and how long the gateway waits first.

Only calls that are safe to repeat are repeated: GET and DELETE, after no answer (timeout, refused,
closed, broken off) or a 429, 502, 503 or 504, and reads sent as POST that the integration file marks
`safe_to_repeat` (monday's GraphQL queries, Copper's search). Other POSTs and PATCH are never sent
twice, whatever happened: the provider may have acted on the first one. A PUT is sent again once, only when the
connection closed before any answer (a keep-alive connection the provider had already dropped).

Waits are exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
Jitter"), unless the provider names its own wait (Retry-After or its reset header, declared per
integration in `rate_limit.retry_after`). Every unified request has a wait budget: a wait that would
not fit in what is left of it is not taken, and a provider wait that does not fit answers 429 at once
with that wait as Retry-After. An attempt is only started inside the budget, so a request never takes
longer than the budget plus one call's timeouts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from unigate.settings import Settings

RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "DELETE"})
# Idempotent by HTTP semantics (RFC 9110 §9.2.2) but a write: only a send that met a closed
# connection, with no answer at all, is repeated, and only once.
STALE_CONNECTION_METHODS = frozenset({"PUT"})


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3              # sends after the first one, at most
    base_delay: float = 0.25      # seconds; the n-th retry waits up to base * 2**(n-1)
    max_delay: float = 5.0        # cap of one backoff wait
    budget: float = 10.0          # seconds of waiting allowed per unified request

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(retries=max(0, settings.retries), base_delay=max(0.0, settings.retry_base_delay),
                   max_delay=max(0.0, settings.retry_max_delay), budget=max(0.0, settings.retry_budget))

    def may_retry(self, method: str, retries_done: int, *, status: int | None = None,
                  failure: str | None = None, safe: bool = False) -> bool:
        """Whether an answer (`status`) or a failure (`failure`, a ProviderUnreachable reason) may be sent
        again. `safe`: the integration declares the call a read whatever its HTTP method (`safe_to_repeat`)."""
        if retries_done >= self.retries:
            return False
        if safe or method in SAFE_METHODS:
            return failure is not None or status in RETRY_STATUSES
        if method in STALE_CONNECTION_METHODS:
            return failure == "disconnected" and retries_done == 0
        return False

    def backoff(self, retries_done: int) -> float:
        """Full jitter: a uniform wait between 0 and the capped exponential step."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** retries_done))
        return random.uniform(0, ceiling)


def reason_for(status: int | None, failure: str | None) -> str:
    """The `reason` label of a retry in /metrics: the status, or how the connection failed."""
    return failure if failure is not None else str(status)
