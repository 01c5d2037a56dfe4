"""Build the ASGI app: `/unified/...` on the raw-ASGI hot path, everything else through Starlette."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from unigate.edge import docs
from unigate.edge.admin import AdminRoutes, account_json, json_response
from unigate.edge.connect import ConnectRoutes
from unigate.edge.custom import CustomRoutes
from unigate.edge.link import LinkRoutes
from unigate.edge.openapi import build_openapi
from unigate.edge.proxy import ProxyRoutes
from unigate.edge.responses import send_error
from unigate.edge.size_limits import check_query_length
from unigate.edge.unavailable import retry_after, unavailable_error
from unigate.edge.unified import UnifiedRoutes
from unigate.edge.webhooks import WebhookRoutes
from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.observability import metrics
from unigate.observability.requests import observed
from unigate.serving import FreezeAfterStartup, RunningServer, start_in_thread
from unigate.settings import Settings
from unigate.store.availability import STORE_FAILURE_TYPES

log = logging.getLogger("unigate")

# Routes that call a CRM for an integrated account: raw ASGI, with Server-Timing and per-call metrics.
ACCOUNT_CALL_PREFIXES = ("/unified/", "/proxy/", "/custom/")

# Seconds /health waits for the database before calling it unreachable.
HEALTH_TIMEOUT = 2.0


class App:
    """The gateway's ASGI application."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.unified = UnifiedRoutes(gateway)
        self.account_routes = {"/unified/": self.unified, "/proxy/": ProxyRoutes(gateway),
                               "/custom/": CustomRoutes(gateway)}
        admin = AdminRoutes(gateway)
        webhooks = WebhookRoutes(gateway)
        # Events carry an account as the admin API shows it: secrets masked (docs/api.md "Webhooks").
        gateway.account_payload = lambda account: account_json(gateway, account)
        connect = ConnectRoutes(gateway)
        openapi = build_openapi(gateway.resources, list(gateway.integrations), list(gateway.integrations.values()),
                                gateway.methods)

        async def health(_: Request) -> Response:
            return await health_response(gateway)

        async def metrics_text(_: Request) -> Response:
            body, content_type = metrics.exposition()
            return Response(body, media_type=content_type)

        async def openapi_json(_: Request) -> Response:
            return json_response(openapi)

        @contextlib.asynccontextmanager
        async def lifespan(_app):
            sandboxes = start_embedded_sandboxes(gateway)
            try:
                await gateway.start()
                for route in self.account_routes.values():
                    route.start()
                try:
                    yield
                finally:
                    await gateway.stop()
            finally:
                if sandboxes is not None:
                    sandboxes.stop()

        async def gateway_error(_: Request, exc: Exception) -> Response:
            assert isinstance(exc, GatewayError)
            response = json_response(exc.body(), exc.status)
            response.headers.update(exc.headers)
            return response

        async def http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            message = {404: f"No route {request.url.path}. See /openapi.json for the routes.",
                       405: f"{request.method} is not allowed on {request.url.path}."}.get(exc.status_code, str(exc.detail))
            return json_response(GatewayError(exc.status_code, message).body(), exc.status_code)

        async def store_failure(request: Request, exc: Exception) -> Response:
            unavailable = unavailable_error(exc, gateway.settings)
            if unavailable is None:
                return await internal_error(request, exc)
            return await gateway_error(request, unavailable)

        async def internal_error(request: Request, exc: Exception) -> Response:
            log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
            return json_response(GatewayError(500, "The gateway failed unexpectedly; the error is logged.").body(), 500)

        self.starlette = Starlette(
            routes=[Route("/health", health), Route("/metrics", metrics_text), Route("/openapi.json", openapi_json),
                    *admin.routes(), *webhooks.routes(), *connect.routes(), *LinkRoutes(gateway).routes(),
                    *docs.routes()],
            lifespan=lifespan,
            exception_handlers={GatewayError: gateway_error, HTTPException: http_error, Exception: internal_error,
                                # A store that is down answers 503 on every route (edge/unavailable.py).
                                **dict.fromkeys(STORE_FAILURE_TYPES, store_failure)},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.starlette(scope, receive, send)  # lifespan
        else:
            await observed(self.route, scope, receive, send, unified=scope["path"].startswith(ACCOUNT_CALL_PREFIXES))

    async def route(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            # Every route, before anything reads the query (docs/reliability.md, "Limits").
            check_query_length(scope.get("query_string", b""), self.gateway.settings.max_query_bytes)
        except GatewayError as error:
            await send_error(send, error)
            return
        path = scope["path"]
        route = next((r for prefix, r in self.account_routes.items() if path.startswith(prefix)), None)
        if route is not None:
            await route(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def start_embedded_sandboxes(gateway: Gateway) -> RunningServer | None:
    """Without UNIGATE_SANDBOX_URL, the built-in sandboxes, on their own thread and event loop (so they
    don't slow the gateway's); the gateway's sandbox accounts are pointed at them."""
    if gateway.sandbox_url is not None or not gateway.settings.sandboxes:
        return None
    from unigate.sandbox.server import build_sandbox_app

    server = start_in_thread(build_sandbox_app())
    gateway.sandbox_url = server.url
    log.info("built-in sandboxes listening on %s", server.url)
    return server


async def health_response(gateway: Gateway) -> Response:
    """200 when the store answers; 503 (so a load balancer takes the process out) when it does not."""
    checks = {"database": "ok", "change_feed": "listening"}
    status = 200
    store = gateway.store
    try:
        if store is None:
            raise RuntimeError("not started")
        await asyncio.wait_for(store.ping(), timeout=HEALTH_TIMEOUT)
    except Exception as error:  # noqa: BLE001 - any failure means unreachable; the reason is logged
        log.warning("health: the database is unreachable (%s)", type(error).__name__)
        checks["database"] = "unreachable"
        status = 503
    if store is not None and not store.changes.trustworthy:
        # Still serving, only without caches (store/changes.py): degraded, not down.
        checks["change_feed"] = "reconnecting"
    response = json_response({"status": "ok" if status == 200 else "unavailable", **checks}, status)
    if status == 503:
        response.headers["retry-after"] = retry_after(gateway.settings)
    return response


def create_app(settings: Settings | None = None) -> App:
    return App(Gateway(settings or Settings()))


def create_served_app() -> FreezeAfterStartup:
    """The app `unigate serve` runs in each worker process."""
    return FreezeAfterStartup(create_app(Settings.for_serving()))
