"""The one pooled HTTP client every provider call goes through.

aiohttp was chosen by measurement (research/proxy-floor.md, docs/benchmarks.md): on this hardware it
adds ~0.2 ms per proxied call and keeps its throughput under concurrency, where httpx's AsyncClient
did not. Timeouts: `connect_timeout` to open a connection, `read_timeout` between bytes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from unigate.errors import GatewayError

# Methods that may be sent again after a pooled connection turns out to be closed by the peer.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})


@dataclass(frozen=True)
class ProviderResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


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
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> ProviderResponse:
        for attempt in (1, 2):
            try:
                async with self.session.request(method, URL(url, encoded=True), headers=headers, data=body,
                                                allow_redirects=False) as response:
                    content = await response.read()
                    return ProviderResponse(response.status, response.headers, content)
            except aiohttp.ServerDisconnectedError:
                # A keep-alive connection the provider had already closed: safe to retry once.
                if attempt == 2 or method not in _IDEMPOTENT:
                    raise translate_failure(url, "disconnected before answering") from None
            except BaseException as exc:
                raise translate_failure(url, exc) from exc
        raise AssertionError("unreachable")

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


def translate_failure(url: str, exc: BaseException | str) -> BaseException:
    """A network failure as the gateway reports it: timeouts 504, anything else 502."""
    host = _host(url)
    if isinstance(exc, str):
        return GatewayError(502, f"The provider at {host} {exc}. Retry the request.")
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return GatewayError(504, f"The provider at {host} did not answer in time. Retry later; "
                                 "if it keeps happening, the provider may be degraded.")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return GatewayError(502, f"Could not connect to the provider at {host} ({exc.os_error.strerror or 'connection failed'}). "
                                 "Retry later.")
    if isinstance(exc, aiohttp.ClientError):
        return GatewayError(502, f"The connection to the provider at {host} failed ({type(exc).__name__}). Retry the request.")
    return exc
