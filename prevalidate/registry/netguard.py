"""The one place where the registry client opens TCP connections, and the SSRF check there.

The client checks every URL against the policy before it sends a request (registry, token
realm, each redirect). That alone leaves a gap: the name is resolved once for the check and
again by the socket layer, and a hostile DNS server can answer differently the second time
(DNS rebinding). So connections go through ``GuardedBackend``: it resolves the name itself,
refuses when *any* address is forbidden, and connects to the vetted address; TLS still
verifies against the name (httpcore passes the origin host as SNI after ``connect_tcp``).

It also counts connection attempts, which is how the tests prove that a denied image opened
no connection at all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence

import httpcore
import httpx

from prevalidate.registry.policy import IPAddress, parse_ip_literal

__all__ = [
    "GuardedBackend",
    "PolicyRefusal",
    "Resolver",
    "guarded_transport",
    "is_policy_refusal",
    "system_resolver",
]

Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
AddressCheck = Callable[[str, int, Sequence[IPAddress]], str | None]


class PolicyRefusal(httpcore.ConnectError):
    """A connection the policy forbids; httpx re-raises it as ``httpx.ConnectError``."""


def is_policy_refusal(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, PolicyRefusal):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """``getaddrinfo`` without blocking the event loop; literals need no lookup."""
    literal = parse_ip_literal(host)
    if literal is not None:
        return [literal]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves, vets, counts, then connects."""

    def __init__(
        self,
        resolver: Resolver,
        check: AddressCheck,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolver = resolver
        self._check = check
        self._inner = inner or httpcore.AnyIOBackend()
        self.connect_attempts = 0

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = list(await asyncio.wait_for(self._resolver(host, port), timeout))
        except (OSError, asyncio.TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {type(exc).__name__}") from None
        reason = self._check(host, port, addresses)
        if reason is not None:
            raise PolicyRefusal(f"connection refused by registry policy: {reason}")
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        last_error: Exception | None = None
        for address in addresses:
            self.connect_attempts += 1
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PolicyRefusal("unix sockets are not used for registries")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    backend: GuardedBackend, *, limits: httpx.Limits, verify: bool | str = True
) -> httpx.AsyncHTTPTransport:
    """httpx's transport (request mapping, exception mapping) over our network backend.

    httpx has no public parameter for the network backend, so we replace the connection pool
    it builds with one that uses ours; ``trust_env=False`` because an environment proxy
    would make the proxy, not the registry, the address we vet.
    """
    transport = httpx.AsyncHTTPTransport(verify=verify, trust_env=False, limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend,
    )
    return transport
