"""Serving the gateway: `unigate serve`'s app factory, uvicorn on a background thread (demo,
embedded sandboxes, tests), and the HTTP protocol that answers broken requests in unigate's JSON."""

from __future__ import annotations

import asyncio
import gc
import threading
from dataclasses import dataclass

import httptools
import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from unigate.errors import reason_phrase

# The longest request line (the URL) and the most header bytes (names and values) a request may have.
MAX_URL_BYTES = 64 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 200
_ADVICE = {
    414: f"The request line is longer than {MAX_URL_BYTES // 1024} KiB; send long filters in fewer, shorter "
         "parameters.",
    431: f"The request headers are larger than {MAX_HEADER_BYTES // 1024} KiB (or more than {MAX_HEADERS}); "
         "send fewer or shorter headers.",
    400: "The request is not valid HTTP/1.1.",
}


class JsonErrorsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the request line and headers bounded, and a request that
    cannot be parsed answered in unigate's error shape (`{statusCode, error, message}`) with 414, 431
    or 400, instead of the server's own plain-text 400 (or no bound at all on headers).
    """

    _refusal: int | None = None
    _header_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._refusal = None
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self._refusal = 414
            raise ValueError("request line too long")  # stops the parser: answered in data_received

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES or len(self.headers) > MAX_HEADERS:
            self._refusal = 431
            raise ValueError("request headers too large")

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # as uvicorn's own protocol: the gateway serves no upgrades
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            status = self._refusal
            if status is None:
                # The parser's own limit on the URL (llhttp stops near 64 KiB) reads as a long request line.
                status = 414 if len(self.url) >= MAX_URL_BYTES - 1024 and not self.headers else 400
            self.send_json_error(status)

    def send_400_response(self, msg: str) -> None:
        self.send_json_error(400)

    def send_json_error(self, status: int) -> None:
        body = orjson.dumps({"statusCode": status, "error": reason_phrase(status), "message": _ADVICE[status]})
        head = [f"HTTP/1.1 {status} {reason_phrase(status)}\r\n".encode()]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n", b"content-length: %d\r\n" % len(body),
                 b"connection: close\r\n\r\n"]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


class FreezeAfterStartup:
    """ASGI wrapper: once the app has started, move every object alive then out of the collector's
    reach (`gc.freeze()`).

    The gateway starts with about 100,000 long-lived objects (compiled integrations, schemas, the
    store's metadata). Left in the collector's oldest generation, each full collection walks them
    all while the event loop waits: measured under load on the 2-core machine, one full collection
    took 239 ms; frozen, five took 1.9 ms together (docs/benchmarks.md, "Changes made").
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_and_freeze(message) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.collect()  # start-up garbage first, so it is not frozen with the rest
                gc.freeze()
            await send(message)

        await self.app(scope, receive, send_and_freeze)


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(app, host: str = "127.0.0.1", port: int = 0, **uvicorn_options) -> RunningServer:
    """Serve `app` on its own event loop in a daemon thread; returns once it accepts connections.

    Port 0 asks the OS for a free port; the chosen one is in the returned URL.
    """
    uvicorn_options.setdefault("http", JsonErrorsProtocol)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=uvicorn_options.pop("log_level", "warning"),
        access_log=False,
        lifespan=uvicorn_options.pop("lifespan", "on"),
        **uvicorn_options,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        async def serve() -> None:
            task = asyncio.ensure_future(server.serve())
            while not server.started and not task.done():  # noqa: ASYNC110 - uvicorn offers no "started" event
                await asyncio.sleep(0.005)
            ready.set()
            await task

        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # noqa: BLE001 - surfaced to the caller below
            failure.append(exc)
            ready.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    ready.wait(timeout=30)
    if failure or not server.started:
        raise RuntimeError(f"server on {host}:{port} failed to start: {failure[0] if failure else 'timeout'}")
    bound_port = server.servers[0].sockets[0].getsockname()[1]
    return RunningServer(url=f"http://{host}:{bound_port}", server=server, thread=thread)
