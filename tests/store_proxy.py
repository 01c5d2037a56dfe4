"""A TCP proxy the test controls, put between a gateway and its database or Redis.

Three modes: ``forward`` (a transparent proxy), ``refuse`` (the port stops accepting and open
connections are cut, as when the server is down) and ``black_hole`` (connections are accepted and kept
open, but nothing is forwarded either way, as when the server or the network stops answering).
The proxy runs on its own thread and event loop, so a synchronous test can switch modes while a
gateway (on its own thread) is using it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any

FORWARD, REFUSE, BLACK_HOLE = "forward", "refuse", "black_hole"


class StoreProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode = FORWARD
        self.port = 0
        self.accepted = 0  # connections accepted so far, in any mode
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="store-proxy", daemon=True)
        self._thread.start()
        self._run(self._listen())

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def url_for(self, url: str) -> str:
        """`url` (a SQLAlchemy or Redis URL of the target) pointed at the proxy instead."""
        from sqlalchemy.engine import make_url

        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def set_mode(self, mode: str) -> None:
        self._run(self._switch(mode))

    def close(self) -> None:
        self._run(self._switch(REFUSE))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _switch(self, mode: str) -> None:
        previous, self.mode = self.mode, mode
        if mode == REFUSE and self._server is not None:
            self._server.close()
            self._server = None
        # Leaving FORWARD cuts nothing in BLACK_HOLE (connections go silent); any other change cuts every
        # open connection: refused, or back from a black hole whose half-sent messages cannot be resumed.
        if mode == REFUSE or previous == BLACK_HOLE:
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()
        if mode != REFUSE and self._server is None:
            await self._listen()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(writer)
        if self.mode != FORWARD:
            await self._swallow(reader)  # accepted, never answered
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.mode == FORWARD:
                    writer.write(data)
                    await writer.drain()
                # In a black hole, what arrives is dropped: neither side hears from the other.
        except OSError:
            pass
        finally:
            writer.transport.abort()
