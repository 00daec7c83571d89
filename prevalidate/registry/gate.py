"""The policy at run time: which registry, URL and connection the client may use.

``policy`` decides from a host and its addresses (pure); the gate adds what needs I/O or
configuration: resolving names (cached briefly), the insecure (plain HTTP) registries, and
one verdict per URL origin for the lifetime of the resolution it rests on. Three checks,
from coarse to fine:

* ``registry_verdict``: the image's registry, before anything is sent (allow-list, then the
  address rules, on the literal and on what the name resolves to);
* ``url_denial``: every URL the exchange needs (the registry, its token realm, redirects);
* ``connection_denial``: every TCP connection, called by ``netguard.GuardedBackend`` with
  the addresses it is about to connect to (closes the DNS-rebinding gap).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import httpx
from cachetools import TTLCache

from prevalidate.registry.netguard import Resolver
from prevalidate.registry.policy import (
    IPAddress,
    denial_reason,
    is_listed,
    parse_ip_literal,
    registry_denial,
    split_host_port,
)

__all__ = ["Gate", "host_for_url", "wire_host"]

RESOLUTION_TTL = 30.0


def host_for_url(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def wire_host(url: httpx.URL) -> str:
    """The host as it goes on the wire: ASCII, ``xn--`` labels as written.

    Not ``url.host``: httpx decodes IDNA there for display (``xn--fa-hia.de`` comes back as
    ``faß.de``), and that Unicode form is wrong for both things we do with a host. The
    allow-list holds the ASCII names image references use, so a listed punycode registry
    would look unlisted; and a resolver handed the Unicode form re-encodes it with Python's
    IDNA 2003 codec (``faß.de`` → ``fass.de``, while httpx sent ``xn--zca.de``), so the
    verdict would rest on the addresses of a different name than httpcore connects to.
    """
    # httpx keeps raw_host ASCII (IDNA-encoded or refused); should a byte ever not be, it
    # becomes U+FFFD, and the policy refuses any host that is not ASCII.
    return url.raw_host.decode("ascii", "replace").lower()


class Gate:
    def __init__(self, allowed: Collection[str], insecure: Collection[str], resolver: Resolver) -> None:
        self.allowed = tuple(allowed)
        self.insecure = tuple(insecure)
        self._explicit = self.allowed + self.insecure
        self._resolver = resolver
        self._resolved: TTLCache[tuple[str, int], list[IPAddress]] = TTLCache(1024, ttl=RESOLUTION_TTL)
        self._verdicts: TTLCache[tuple[str, str, int], str | None] = TTLCache(1024, ttl=RESOLUTION_TTL)

    def scheme_for(self, registry_host: str) -> str:
        return "http" if is_listed(registry_host, self.insecure) else "https"

    def _is_insecure_host(self, host: str) -> bool:
        # A registry's token realm may be on another port of the same plain-HTTP host.
        return any(split_host_port(e)[0] == host.lower() for e in self.insecure)

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        literal = parse_ip_literal(host)
        if literal is not None:
            return [literal]
        cached = self._resolved.get((host, port))
        if cached is None:
            cached = list(await self._resolver(host, port))
            self._resolved[(host, port)] = cached
        return cached

    def registry_denial(self, registry_host: str, resolved: Sequence[IPAddress] = ()) -> str | None:
        denial = registry_denial(registry_host, self.allowed, self.insecure, resolved)
        return None if denial is None else denial.text

    async def registry_verdict(self, registry_host: str) -> tuple[str | None, str | None]:
        """(denial reason, resolution failure) for an image's registry; both None = go."""
        reason = self.registry_denial(registry_host)
        if reason is not None:
            return reason, None
        name, port = split_host_port(registry_host)
        default_port = 80 if self.scheme_for(registry_host) == "http" else 443
        try:
            resolved = await self.resolve(name, port or default_port)
        except OSError as exc:
            return None, f"cannot resolve {name} ({type(exc).__name__})"
        return self.registry_denial(registry_host, resolved), None

    async def url_denial(self, url: httpx.URL) -> str | None:
        port = url.port or (80 if url.scheme == "http" else 443)
        origin = (url.scheme, wire_host(url), port)
        if origin in self._verdicts:
            return self._verdicts[origin]
        verdict = await self._origin_denial(url, port)
        self._verdicts[origin] = verdict
        return verdict

    async def _origin_denial(self, url: httpx.URL, port: int) -> str | None:
        host = wire_host(url)
        hostport = host_for_url(host, port)
        if url.scheme not in ("http", "https"):
            return f"{url.scheme} URLs are not used"
        if not 0 < port < 65536:
            return f"invalid port {port}"
        if url.scheme == "http" and not self._is_insecure_host(host):
            return f"plain HTTP to {hostport}, which is not an insecure registry"
        # What the name alone decides (a literal, localhost, metadata, not ASCII) needs no DNS.
        reason = denial_reason(hostport, self._explicit, (), require_listed=False)
        if reason is not None:
            return reason
        try:
            resolved = await self.resolve(host, port)
        except OSError:
            return f"cannot resolve {host}"
        return denial_reason(hostport, self._explicit, resolved, require_listed=False)

    def connection_denial(self, host: str, port: int, addresses: Sequence[IPAddress]) -> str | None:
        return denial_reason(host_for_url(host, port), self._explicit, addresses, require_listed=False)
