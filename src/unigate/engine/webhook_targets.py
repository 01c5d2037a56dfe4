"""Where a webhook may point: the outbound-host rules applied to receivers (docs/reliability.md).

A webhook makes the gateway send requests to a URL a caller chose, so without rules it would be a way
to reach the gateway's own network (the database, the sandbox server's control API, a cloud's metadata
service). A target must be an https URL whose host is public: no loopback, private, link-local,
shared, multicast or reserved address, neither written in the URL nor what its name resolves to
when the delivery connects (so a name that later resolves to 127.0.0.1 is refused too). Development
receivers on loopback or plain http need UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

from unigate.errors import GatewayError

MAX_URL_LENGTH = 2048


def is_public(address: str) -> bool:
    """An address the internet routes: not loopback, private, link-local, shared (100.64/10), multicast,
    reserved or unspecified; an IPv4-mapped IPv6 address is judged as its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: Any, *, allow_private: bool) -> str:
    """The target URL if the rules allow it; a 400 naming the rule otherwise."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise GatewayError(400, f"target_url must be a URL of at most {MAX_URL_LENGTH} characters.")
    if any(c.isspace() or c == "\\" for c in url) or not url.isascii():
        raise GatewayError(400, "target_url must not hold whitespace, backslashes or non-ASCII characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise GatewayError(400, "target_url is not a valid URL.") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise GatewayError(400, "target_url must be an https URL (plain http only with "
                                "UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true, for development).")
    if parts.username is not None or parts.password is not None or parts.fragment or "@" in parts.netloc:
        raise GatewayError(400, "target_url must not hold user info or a fragment.")
    host = parts.hostname
    if not host or port == 0:
        raise GatewayError(400, "target_url must name a host (and a valid port).")
    if allow_private:
        return url
    try:
        public = is_public(host)
    except ValueError:
        # A name: refused when it is obviously local, else judged by what it resolves to at delivery.
        public = not (host == "localhost" or host.endswith((".localhost", ".local", ".internal")) or "." not in host)
    if not public:
        raise GatewayError(400, "target_url must be a public host: loopback, private and link-local addresses "
                                "are refused (UNIGATE_WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows them, for "
                                "development).")
    return url


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's resolver, keeping only public addresses: the check is made on the address connected to,
    so a name resolving to a private address (or re-bound to one after the webhook was created) is refused."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        found = await self._inner.resolve(host, port, family)
        public = [entry for entry in found if is_public(entry["host"])]
        if not public:
            raise OSError(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()
