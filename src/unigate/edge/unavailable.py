"""The one answer for a store that cannot be reached: 503 with `Retry-After`, on every route.

Store code raises whatever its driver raises when the database or Redis is down or silent (each wait is
bounded, store/engine.py); store/availability.py recognises those failures and this turns them into the
Truto error shape. The unified routes, the Starlette routes (admin, connect) and idempotent writes all
call :func:`unavailable_error`, so a new route gets the same answer by letting the failure propagate.
"""

from __future__ import annotations

import logging
import math

import aiohttp

from unigate.errors import GatewayError
from unigate.settings import Settings
from unigate.store.availability import StoreUnavailable, is_store_unavailable

log = logging.getLogger("unigate")


def retry_after(settings: Settings) -> str:
    return str(max(1, math.ceil(settings.store_retry_interval)))


def unavailable_error(error: BaseException, settings: Settings) -> GatewayError | None:
    """The 503 for a store failure, or None when `error` is something else."""
    if isinstance(error, aiohttp.ClientError) or not is_store_unavailable(error):
        return None  # a provider's connection error is an OSError too, but never the store's
    which = error.store if isinstance(error, StoreUnavailable) else "database"
    # Logged without the traceback: one line per failed request, which says what and why.
    log.warning("a request failed because the %s is unavailable (%s: %s)", which, type(error).__name__,
                str(error)[:200])
    seconds = retry_after(settings)
    return GatewayError(503, f"The gateway's {which} is not answering, so the request was not served. "
                             f"Retry in {seconds} s.", headers={"retry-after": seconds})
