"""Serving the gateway: `unigate serve`'s app factory, and uvicorn on a background thread (demo,
embedded sandboxes, tests)."""

from __future__ import annotations

import asyncio
import gc
import threading
from dataclasses import dataclass

import uvicorn


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
