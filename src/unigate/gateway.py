"""The gateway's process-wide state: store, integrations, engine, transport, caches.

Token checks and account loads hit the store only on a cache miss. Every write, by this process or
another one sharing the database, reaches the caches at once through the store's change feed
(store/changes.py), which marks the entry stale; `cache_ttl` only bounds how long an entry lives if
a change were ever missed, and while the feed cannot vouch for that the caches are not used at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from unigate.auth.account_tokens import PREFIX as ACCOUNT_TOKEN_PREFIX
from unigate.auth.account_tokens import AccountTokens
from unigate.auth.refresh import TokenRefresher, reconnect_error
from unigate.engine.accounts import AccountRuntime, prepare_account, sandboxes_off
from unigate.engine.call import Engine, UnifiedRequest
from unigate.engine.provider_call import CallState, ProviderCall
from unigate.engine.proxy import Proxy
from unigate.engine.retry import RetryPolicy
from unigate.engine.spec import Integration, load_integrations
from unigate.engine.webhooks import WebhookDispatcher
from unigate.errors import GatewayError
from unigate.models import UnifiedMethod, UnifiedResource, load_methods, load_resources
from unigate.settings import Settings
from unigate.store import IntegratedAccount, Store
from unigate.store.changes import Change
from unigate.store.counters import SqlWindowCounter, WindowCounter
from unigate.store.crypto import resolve_key
from unigate.store.idempotency import IdempotencyKeys, SqlIdempotencyKeys
from unigate.transport import Transport

log = logging.getLogger("unigate")

_MAX_CACHE = 50_000
_LOAD_FAILED = object()
_T = TypeVar("_T")


@dataclass(frozen=True)
class Caller:
    """Who makes a request: an API token's environment, or an integrated-account token's one account."""

    environment_id: str
    account_id: str | None = None  # set for an integrated-account token, which reaches that account only


ACCOUNT_TOKEN_ROUTES = "/unified/*, /proxy/*, /custom/* and GET|PATCH /integrated-account/me"


def _invalid_token() -> GatewayError:
    return GatewayError(401, "The API token is not valid. Check it, or create a new one with "
                             "`unigate token create --name NAME`.")


class Gateway:
    def __init__(self, settings: Settings, *, integrations: dict[str, Integration] | None = None) -> None:
        self.settings = settings
        self.integrations = integrations if integrations is not None else load_integrations()
        self.resources: dict[tuple[str, str], UnifiedResource] = load_resources()
        # Custom methods (POST /unified/<model>/<resource>/<method>) and their body schemas.
        self.methods: dict[tuple[str, str, str], UnifiedMethod] = load_methods()
        self.transport = Transport(settings.connect_timeout, settings.read_timeout)
        # Token refresh (auth/refresh.py) is plugged in by start(), once the store is open.
        self.provider = ProviderCall(self.transport, RetryPolicy.from_settings(settings))
        self.engine = Engine(self.resources, self.provider, self.settings.lookup_ttl)
        self.proxy = Proxy(self.provider)
        self.store: Store | None = None
        # Shared across gateway processes through the database or Redis; set up by start().
        self.idempotency: IdempotencyKeys | None = None
        # Request counts per window, for the edge's rate limits (edge/limits.py); set up by start().
        self.window_counter: WindowCounter | None = None
        self._redis: Any = None
        # Webhook deliveries (engine/webhooks.py), started with the store; and what an integrated_account:*
        # event carries, plugged in by the app (the admin API's shape, secrets masked).
        self.webhooks: WebhookDispatcher | None = None
        self.account_payload: Callable[[IntegratedAccount], dict[str, Any]] | None = None
        # Where the sandbox accounts' emulators answer: UNIGATE_SANDBOX_URL, or the embedded sandboxes
        # the app starts before the gateway (app.py).
        self.sandbox_url = settings.sandbox_url if settings.sandboxes else None
        self._tokens: dict[str, tuple[str | None, float]] = {}
        self.account_tokens: AccountTokens | None = None  # set by start(): its key comes with the store
        # Hashes of tokens the store did not know, until when they are answered 401 without a read.
        self._unknown_tokens: dict[str, float] = {}
        # (runtime or None for an unknown id, expiry, the account's updated_at when it was read)
        self._accounts: dict[tuple[str, str], tuple[AccountRuntime | None, float, Any]] = {}
        self._confirm_each_use = False
        # Store reads in flight, by cache key (see _load_once).
        self._loading: dict[tuple[str, Any], asyncio.Future[Any]] = {}

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self.store = await Store.open(self.settings)
        self.store.changes.subscribe(self._on_change)
        await self.store.changes.start()
        # Notices from other processes are exact on SQLite but arrive a moment late on PostgreSQL; in
        # strict mode each use of a cached account is confirmed with one primary-key read (docs/deploy.md).
        self._confirm_each_use = (self.store.changes.delivered_by_event_loop
                                  and self.settings.cache_validation == "strict")
        self._open_shared_state(self.store)
        self.provider.credentials = TokenRefresher(self.store, self.transport, self.settings, self.sandbox_url,
                                                   self.remember_account)
        # Signed with a key derived from the store key, which every process shares (auth/account_tokens.py).
        self.account_tokens = AccountTokens(resolve_key(self.settings.secret_key, self.settings.data_dir))
        if self.account_payload is not None:
            self.store.account_payload = self.account_payload
        self.webhooks = WebhookDispatcher(self.store, self.settings)
        await self.webhooks.start()

    def _open_shared_state(self, store: Store) -> None:
        settings = self.settings
        counter: WindowCounter
        if settings.redis_url:
            from unigate.store.redis_state import Circuit, RedisIdempotencyKeys, RedisWindowCounter, connect

            self._redis = connect(settings.redis_url, settings.store_timeout)
            # One circuit for both: a Redis that stops answering is noticed once, not by every call.
            circuit = Circuit(settings.store_retry_interval)
            self.idempotency = RedisIdempotencyKeys(self._redis, store.cipher, settings.idempotency_ttl,
                                                    settings.idempotency_lease, circuit)
            counter = RedisWindowCounter(self._redis, circuit)
        else:
            self.idempotency = SqlIdempotencyKeys(store.engines, store.cipher, settings.idempotency_ttl,
                                                  settings.idempotency_lease)
            counter = SqlWindowCounter(store.engines)
        self.window_counter = counter

    async def stop(self) -> None:
        if self.webhooks is not None:
            await self.webhooks.stop()
        await self.transport.close()
        if self._redis is not None:
            await self._redis.aclose()
        if self.store is not None:
            await self.store.close()

    # -- authentication ------------------------------------------------------------------------------
    async def environment_for(self, authorization: str | None) -> str:
        """The environment id of the request's API token; 401 otherwise, 403 for an integrated-account token
        (it reaches only ACCOUNT_TOKEN_ROUTES)."""
        caller = await self.caller_for(authorization)
        if caller.account_id is not None:
            raise GatewayError(403, f"An integrated-account token may only call {ACCOUNT_TOKEN_ROUTES}; "
                                    "this route needs an API token.")
        return caller.environment_id

    async def caller_for(self, authorization: str | None) -> Caller:
        """The request's caller: an API token's environment, or an integrated-account token's account."""
        if not authorization or authorization[:7].lower() != "bearer ":
            raise GatewayError(401, "Missing API token. Send it as `Authorization: Bearer <token>`; create one with "
                                    "`unigate token create --name NAME`.")
        token = authorization[7:].strip()
        if token.startswith(ACCOUNT_TOKEN_PREFIX):
            assert self.account_tokens is not None
            claims = self.account_tokens.verify(token)
            if claims is None:
                raise GatewayError(401, "The integrated-account token is not valid or has expired (they last 15 "
                                        "minutes); ask for a new one with POST /integrated-account/token.")
            return Caller(claims.environment_id, claims.account_id)
        return Caller(await self._api_token_environment(token))

    async def _api_token_environment(self, token: str) -> str:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        usable = self._cache_usable()  # first: a token made elsewhere meanwhile clears _unknown_tokens
        unknown_until = self._unknown_tokens.get(key)
        if unknown_until is not None and unknown_until > now:
            raise _invalid_token()
        # In strict mode each use is confirmed, as for accounts: a token revoked on another process must stop
        # working at once, before its notice arrives (docs/deploy.md).
        cached = self._tokens.get(key) if usable and not self._confirm_each_use else None
        if cached is None or cached[1] <= now:
            cached = await self._load_once(("token", key), lambda: self._load_token(token, key))
        if cached[0] is None:
            raise _invalid_token()
        return cached[0]

    # -- integrated accounts ---------------------------------------------------------------------------
    async def account_runtime(self, environment_id: str, account_id: str) -> AccountRuntime:
        key = (environment_id, account_id)
        cached = self._accounts.get(key) if self._cache_usable() else None
        if cached is None:
            # Only ids that passed this check are ever cached, so a cached one needs no second look.
            try:
                uuid.UUID(account_id)
            except ValueError:
                raise GatewayError(400, f"integrated_account_id must be a UUID, got {account_id[:60]!r}.") from None
        now = time.monotonic()
        if cached is not None and cached[1] > now and self._confirm_each_use:
            assert self.store is not None
            if await self.store.account_version(environment_id, account_id) != cached[2]:
                cached = (cached[0], 0.0, cached[2])  # changed or gone elsewhere: read it again below
        if cached is None or cached[1] <= now:
            stale = cached
            cached = await self._load_once(("account", key), lambda: self._load_account(key, stale))
        if cached[0] is None:
            raise GatewayError(404, f"No integrated account {account_id} in this token's environment.")
        return cached[0]

    async def _load_token(self, token: str, key: str) -> tuple[str | None, float]:
        assert self.store is not None
        loaded = (await self.store.environment_for_token(token), time.monotonic() + self.settings.cache_ttl)
        if loaded[0] is None:
            # Unknown tokens are remembered briefly (UNIGATE_INVALID_TOKEN_TTL), even while the change
            # feed is down, so a flood of bad ones doesn't become a flood of store reads; briefly, because
            # a token created a moment ago elsewhere must soon work (its notice also clears this).
            if len(self._unknown_tokens) > _MAX_CACHE:
                self._unknown_tokens.clear()
            self._unknown_tokens[key] = time.monotonic() + self.settings.invalid_token_ttl
        else:
            # Known tokens can be cached for the full TTL: a token cannot be changed.
            if len(self._tokens) > _MAX_CACHE:
                self._tokens.clear()
            self._tokens[key] = loaded
        return loaded

    async def _load_account(self, key: tuple[str, str],
                            stale: tuple[AccountRuntime | None, float, Any] | None) -> tuple[AccountRuntime | None, float, Any]:
        assert self.store is not None
        account = await self.store.get_account(*key)
        # An unknown id is remembered as None: ids are random UUIDs, so one asked for before it
        # exists is not a case to serve, and bad ids then cost no store reads.
        runtime = None
        if account is not None:
            previous = stale[0] if stale is not None else None
            if previous is not None and stale is not None and stale[2] == account.updated_at:
                runtime = previous  # unchanged: keep it, with its per-account step cache
            else:
                runtime = self.runtime_for(account)
        loaded = (runtime, time.monotonic() + self.settings.cache_ttl, account.updated_at if account else None)
        if len(self._accounts) > _MAX_CACHE:
            self._accounts.clear()
        self._accounts[key] = loaded
        return loaded

    async def _load_once(self, key: tuple[str, Any], load: Callable[[], Awaitable[_T]]) -> _T:
        """One store read per key at a time: when an entry expires under load, the requests that
        find it expired together wait for one read instead of each making their own."""
        pending = self._loading.get(key)
        if pending is not None:
            result = await asyncio.shield(pending)
            if result is not _LOAD_FAILED:
                return result
            return await load()  # the shared read failed: this request tries (and reports) its own
        pending = asyncio.get_running_loop().create_future()
        self._loading[key] = pending
        try:
            result = await load()
        except BaseException:
            pending.set_result(_LOAD_FAILED)
            raise
        else:
            pending.set_result(result)
            return result
        finally:
            del self._loading[key]

    def runtime_for(self, account: IntegratedAccount) -> AccountRuntime:
        integration = self.integrations.get(account.integration)
        if integration is None:
            raise GatewayError(404, f"The integrated account uses the integration {account.integration!r}, "
                                    "which this gateway does not have.")
        if account.status == "needs_reauth":
            raise reconnect_error(account.id, integration.name, integration.label,
                                  f"its status is needs_reauth ({integration.label} no longer accepts its credentials)")
        if account.status not in ("active",):
            raise GatewayError(403 if account.status == "disabled" else 401,
                               f"The integrated account is {account.status}; it must be active to be called.")
        if account.is_sandbox and not self.settings.sandboxes:
            raise sandboxes_off()
        return prepare_account(integration, account.id, account.context, is_sandbox=account.is_sandbox,
                               authentication_method=account.authentication_method, sandbox_url=self.sandbox_url,
                               environment_id=account.environment_id)

    async def try_credentials(self, integration: Integration, context: dict[str, Any], *, is_sandbox: bool,
                              authentication_method: str | None, environment_id: str) -> None:
        """One real call with credentials not yet stored (a one-record list of the CRM's first listable
        resource): raises the CRM's refusal (401/403) or unavailability (5xx) as a GatewayError."""
        listable = [key for key, m in integration.mappings.items() if "list" in m.methods]
        if not listable:
            return
        model, resource = ("crm", "accounts") if ("crm", "accounts") in listable else listable[0]
        runtime = prepare_account(integration, str(uuid.uuid4()), context, is_sandbox=is_sandbox,
                                  authentication_method=authentication_method, sandbox_url=self.sandbox_url,
                                  environment_id=environment_id)
        request = UnifiedRequest(model=model, resource=resource, method="list", account=runtime, query={"limit": "1"})
        await self.engine.run(request, CallState())

    def remember_account(self, account: IntegratedAccount, previous: AccountRuntime | None = None) -> AccountRuntime:
        """A runtime for an account this process just read or changed, cached as the current one.

        `previous` (the runtime it replaces) hands over its per-account step cache: new tokens don't
        change what those steps found.
        """
        runtime = self.runtime_for(account)
        if previous is not None:
            runtime.step_cache = previous.step_cache
            runtime.step_cache_until = previous.step_cache_until
        key = (account.environment_id, account.id)
        if len(self._accounts) > _MAX_CACHE:
            self._accounts.clear()
        self._accounts[key] = (runtime, time.monotonic() + self.settings.cache_ttl, account.updated_at)
        return runtime

    def forget_lookups(self) -> None:
        """Drop every account's cached lookups (field definitions, stage lists, board columns): for
        when the CRMs' data was replaced wholesale behind the gateway, as a sandbox reset does, and
        waiting out the lookup TTL would answer with definitions that no longer exist."""
        for runtime, _, _ in list(self._accounts.values()):
            if runtime is not None:
                runtime.step_cache.clear()

    # -- cache coherence ---------------------------------------------------------------------------
    def _cache_usable(self) -> bool:
        assert self.store is not None
        changes = self.store.changes
        changes.poll()
        return changes.trustworthy

    def _on_change(self, change: Change) -> None:
        """A write somewhere: make the affected entries stale (expiry 0) rather than dropping them, so
        an account that turns out unchanged keeps its prepared runtime and step cache."""
        kind, environment_id, account_id = change
        if kind == "account":
            entry = self._accounts.get((environment_id, account_id))  # type: ignore[arg-type]
            if entry is not None:
                self._accounts[(environment_id, account_id)] = (entry[0], 0.0, entry[2])  # type: ignore[index]
        elif kind == "token":
            self._tokens.clear()
            self._unknown_tokens.clear()
        else:
            self._tokens.clear()
            self._unknown_tokens.clear()
            self._accounts = {key: (entry[0], 0.0, entry[2]) for key, entry in self._accounts.items()}

    def integration(self, name: Any) -> Integration | None:
        return self.integrations.get(name) if isinstance(name, str) else None
