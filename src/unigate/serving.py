"""Run an ASGI app with uvicorn on a background thread (demo, embedded sandboxes, tests)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

import uvicorn


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
            while not server.started and not task.done():
                await asyncio.sleep(0.005)
            ready.set()
            await task

        try:
            loop.run_until_complete(serve())
        except BaseException as exc:  # surfaced to the caller below
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
