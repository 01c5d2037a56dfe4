"""`/docs`: the API reference, rendered in the browser from the gateway's own `/openapi.json` by Swagger UI
(https://github.com/swagger-api/swagger-ui), whose files the `swagger-ui-py` package ships: nothing is loaded
from a CDN, so the page works offline. Swagger UI 5 renders OpenAPI 3.1, the version of our document.
Plus a short getting-started page. Public, like /openapi.json: they describe routes, not data.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

PAGES = Path(__file__).parent / "docs_pages"
SWAGGER_UI_FILES = Path(swagger_ui.__file__).parent / "static"

# Only this origin's scripts, styles and images; Swagger UI injects inline styles, and its "Try it out"
# calls this origin's routes.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _page(name: str, media_type: str):
    async def serve(_: Request) -> Response:
        return FileResponse(PAGES / name, media_type=media_type, headers=_HEADERS)
    return serve


def routes() -> list[Route | Mount]:
    return [
        Route("/docs", _page("index.html", "text/html; charset=utf-8")),
        Route("/docs/getting-started", _page("getting-started.html", "text/html; charset=utf-8")),
        Route("/docs/unigate.js", _page("unigate.js", "text/javascript; charset=utf-8")),
        Route("/docs/unigate.css", _page("unigate.css", "text/css; charset=utf-8")),
        Mount("/docs/static", StaticFiles(directory=SWAGGER_UI_FILES), name="swagger-ui"),
    ]
