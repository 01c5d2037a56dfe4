"""The one pooled HTTP client every provider call goes through.

aiohttp was chosen by measurement (docs/benchmarks.md): on this hardware it
adds ~0.2 ms per proxied call and keeps its throughput under concurrency, where httpx's AsyncClient
did not. Timeouts: `connect_timeout` to open a connection, `read_timeout` between bytes.

Each call here is one attempt; whether a failed call is sent again is the engine's retry policy
(engine/retry.py), which is also where a stale keep-alive connection is retried.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from unigate.errors import GatewayError


def content_type_of(headers: Any, default: str = "") -> str:
    """The provider's Content-Type, when it is printable ASCII (it is passed on in the raw and stream
    formats, and a header value the gateway cannot send would fail the call); else `default`."""
    value = headers.get("content-type", default)
    return value if value.isascii() and value.isprintable() else default


@dataclass(frozen=True)
class ProviderResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def content_type(self) -> str:
        return content_type_of(self.headers)


class Transport:
    def __init__(self, connect_timeout: float = 5.0, read_timeout: float = 30.0, pool_size: int = 512) -> None:
        self.timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout, sock_read=read_timeout)
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.pool_size, limit_per_host=self.pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                auto_decompress=True,
                skip_auto_headers=("User-Agent",),
                # One session serves every integrated account: a cookie one account's provider sets
                # must never ride along on another account's calls to the same host.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> ProviderResponse:
        try:
            async with self.session.request(method, URL(url, encoded=True), headers=headers, data=body,
                                            allow_redirects=False) as response:
                content = await response.read()
                return ProviderResponse(response.status, response.headers, content)
        except BaseException as exc:
            raise translate_failure(url, exc) from exc

    async def open(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> aiohttp.ClientResponse:
        """Start a request and return as soon as the status and headers arrive (for streaming).

        The caller must `release()` the response.
        """
        try:
            return await self.session.request(method, URL(url, encoded=True), headers=headers, data=body,
                                              allow_redirects=False)
        except BaseException as exc:
            raise translate_failure(url, exc) from exc


def _host(url: str) -> str:
    parsed = URL(url, encoded=True)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.explicit_port else "")


class ProviderUnreachable(GatewayError):
    """No complete answer came from the provider. `reason` says how, for the retry policy and metrics:

    - `timeout`: no answer (or no next byte) within the timeouts;
    - `connect`: the connection could not be opened (refused, DNS, TLS);
    - `disconnected`: the connection closed before any answer (also a stale keep-alive connection);
    - `broken`: the answer started but the connection broke before it ended.
    """

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(status, message)
        self.reason = reason


def translate_failure(url: str, exc: BaseException) -> BaseException:
    """A network failure as the gateway reports it: timeouts 504, anything else 502."""
    host = _host(url)
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return ProviderUnreachable(504, f"The provider at {host} did not answer in time. Retry later; "
                                        "if it keeps happening, the provider may be degraded.", "timeout")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ProviderUnreachable(
            502, f"Could not connect to the provider at {host} ({exc.os_error.strerror or 'connection failed'}). "
                 "Retry later.", "connect")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ProviderUnreachable(502, f"The provider at {host} closed the connection before answering. "
                                        "Retry the request.", "disconnected")
    if isinstance(exc, aiohttp.ClientError):
        return ProviderUnreachable(502, f"The connection to the provider at {host} broke off ({type(exc).__name__}) "
                                        "before the answer was complete. Retry the request (a write may already "
                                        "have been applied).", "broken")
    return exc
