"""Refresh on use: a new access token shortly before the old one expires, or once after a provider 401.

One refresh per account at a time, in one process (an asyncio lock per account) and across processes
sharing the store (the account's row lock, Store.account_for_update). Whoever takes the lock second
re-reads the account and, finding another token than the one it saw fail, uses that one: a refresh
replaces a given token, never "whatever is stored".

The new tokens are committed before the new access token is used, so a rotated refresh token is never
lost; if the process dies while the token endpoint is answering, nothing was written and the stored
refresh token is the one the CRM last issued to us.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable

from unigate.auth.oauth import TokenRefused, client_for, request_token, token_context, token_url
from unigate.engine.accounts import AccountRuntime
from unigate.errors import GatewayError
from unigate.observability.metrics import record_refresh
from unigate.settings import Settings
from unigate.store import IntegratedAccount, Store
from unigate.transport import Transport

log = logging.getLogger("unigate.auth")

# Refresh a token this many seconds before it expires, so a call never leaves with one about to lapse.
REFRESH_MARGIN = 60.0


def refresh_deadline(settings: Settings) -> float:
    """The longest a token request may hold the account's lock (and, on SQLite, the database's write
    lock): half the store's bound on waits (UNIGATE_STORE_TIMEOUT), so other writers wait for it rather
    than fail."""
    return min(settings.read_timeout, settings.store_timeout / 2)


def reconnect_error(account_id: str, integration: str, label: str, cause: str,
                    raw_response: dict | None = None) -> GatewayError:
    """The 401 a call gets while its account must be connected again (https://truto.one/docs/api-reference/overview/errors)."""
    return GatewayError(
        401,
        f"The integrated account {account_id} must be reconnected: {cause}. Send the user through "
        f"GET /connect/{integration}/start?integrated_account_id={account_id}&redirect_uri=<your page> "
        "to connect it again.",
        remote=True,
        raw_response=raw_response,
    )


# Makes a stored account the current one in the caller's caches and returns its runtime; given the
# runtime it replaces. Raises the account status's own error for an account that is not active.
Remember = Callable[[IntegratedAccount, AccountRuntime | None], AccountRuntime]


class TokenRefresher:
    """The gateway's CredentialFlow (engine/provider_call.py) for OAuth accounts."""

    def __init__(self, store: Store, transport: Transport, settings: Settings, sandbox_url: str | None,
                 remember: Remember) -> None:
        self.store = store
        self.transport = transport
        self.settings = settings
        self.sandbox_url = sandbox_url
        self.remember = remember
        # Held only while in use, so accounts no longer called don't keep a lock around.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @staticmethod
    def can_refresh(account: AccountRuntime) -> bool:
        spec = account.integration.oauth
        return bool(spec is not None and spec.refresh and account.context.get("refresh_token"))

    def due(self, account: AccountRuntime) -> bool:
        """The access token expires within REFRESH_MARGIN seconds (and can be refreshed)."""
        return (account.expires_at is not None and account.expires_at - time.time() < REFRESH_MARGIN
                and self.can_refresh(account))

    def _lock(self, account_id: str) -> asyncio.Lock:
        lock = self._locks.get(account_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[account_id] = lock
        return lock

    async def refresh(self, account: AccountRuntime) -> AccountRuntime:
        """The account with an access token other than `account`'s, refreshing it if nobody has yet."""
        stale = account.context.get("access_token")
        store = self.store
        lock = self._lock(account.id)
        async with lock:
            # Cheap check first: another task or process may have refreshed while this one waited.
            current = await store.get_account(account.environment_id, account.id)
            if current is None:
                raise GatewayError(404, f"No integrated account {account.id} in this token's environment.")
            if current.status == "active" and current.context.get("access_token") != stale:
                return self.remember(current, account)
            refusal: TokenRefused | None = None
            refreshed = False
            async with store.account_for_update(account.environment_id, account.id) as locked:
                if locked is None:
                    raise GatewayError(404, f"No integrated account {account.id} in this token's environment.")
                current = locked.account
                if (current.status == "active" and current.context.get("access_token") == stale
                        and current.context.get("refresh_token")):
                    integration = account.integration
                    url = token_url(integration, is_sandbox=current.is_sandbox, sandbox_url=self.sandbox_url,
                                    context=current.context)
                    client = client_for(integration, is_sandbox=current.is_sandbox, settings=self.settings)
                    form = {"grant_type": "refresh_token", "refresh_token": str(current.context["refresh_token"])}
                    deadline = refresh_deadline(self.settings)
                    try:
                        response = await asyncio.wait_for(
                            request_token(self.transport, integration, client, url, form), deadline)
                    except TimeoutError:
                        record_refresh(integration.name, "failed")
                        log.warning("the token endpoint of %s did not answer within %.1f s; account %s stays "
                                    "active", integration.name, deadline, account.id)
                        raise GatewayError(504, f"{integration.label}'s token endpoint did not answer in time; "
                                                "the account is unchanged. Retry later.") from None
                    except TokenRefused as refused:
                        refusal = refused
                        current = await locked.update(status="needs_reauth")
                    except GatewayError:
                        # The token endpoint is down or slow: not the account's fault; it stays active.
                        record_refresh(integration.name, "failed")
                        log.warning("refreshing the token of account %s (%s) failed; it stays active",
                                    account.id, integration.name)
                        raise
                    else:
                        current = await locked.update(status="active",
                                                      context_patch=token_context(integration, response))
                        refreshed = True
            # Committed: from here on the stored refresh token is the one the CRM last issued.
        integration = account.integration
        if refusal is not None:
            record_refresh(integration.name, "refused")
            log.warning("%s refused to refresh the token of account %s (%s); it needs reconnecting",
                        integration.name, account.id, refusal.error or refusal.status)
            raise reconnect_error(account.id, integration.name, integration.label,
                                  f"{integration.label} refused to renew its access ({refusal.error or refusal.status})",
                                  refusal.details())
        if current.status != "active":
            return self.remember(current, None)  # raises the status's own error
        if refreshed:
            record_refresh(integration.name, "ok")
        return self.remember(current, account)
