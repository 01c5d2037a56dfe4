"""Build the ASGI app: `/unified/...` on the raw-ASGI hot path, everything else through Starlette."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from unigate.edge.admin import AdminRoutes, json_response
from unigate.edge.openapi import build_openapi
from unigate.edge.unified import UnifiedRoutes
from unigate.errors import GatewayError
from unigate.gateway import Gateway
from unigate.settings import Settings

log = logging.getLogger("unigate")


class App:
    """The gateway's ASGI application."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.unified = UnifiedRoutes(gateway)
        admin = AdminRoutes(gateway)
        openapi = build_openapi(gateway.resources, list(gateway.integrations))

        async def health(_: Request) -> Response:
            return json_response({"status": "ok"})

        async def openapi_json(_: Request) -> Response:
            return json_response(openapi)

        @contextlib.asynccontextmanager
        async def lifespan(_app):
            await gateway.start()
            try:
                yield
            finally:
                await gateway.stop()

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

        async def internal_error(request: Request, exc: Exception) -> Response:
            log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
            return json_response(GatewayError(500, "The gateway failed unexpectedly; the error is logged.").body(), 500)

        self.starlette = Starlette(
            routes=[Route("/health", health), Route("/openapi.json", openapi_json), *admin.routes()],
            lifespan=lifespan,
            exception_handlers={GatewayError: gateway_error, HTTPException: http_error, Exception: internal_error},
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/unified/"):
            await self.unified(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def create_app(settings: Settings | None = None) -> App:
    return App(Gateway(settings or Settings()))
