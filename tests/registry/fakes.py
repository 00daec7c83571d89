"""Small fakes for what a real registry cannot produce (429, resets, hostile redirects):
an httpx mock transport that records every request, and a fake DNS resolver."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence

import httpx

from prevalidate.registry.policy import IPAddress

PUBLIC = "93.184.216.34"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DIGEST = "sha256:" + "ab" * 32

Handler = Callable[[httpx.Request], httpx.Response]


def resolver(table: Mapping[str, Sequence[str]]):
    """A resolver that knows only ``table`` (host -> addresses); others fail like DNS."""

    async def resolve(host: str, port: int) -> list[IPAddress]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in table[host]]

    return resolve


class RecordingResolver:
    """A fake DNS that records every name it is asked (the proof that a host was never
    resolved); unknown names fail like DNS."""

    def __init__(self, table: Mapping[str, Sequence[str]] | None = None) -> None:
        self.table = dict(table or {})
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ipaddress.ip_address(a) for a in self.table[host]]


class Recorder:
    """A mock transport whose handler is replaceable; it keeps every request it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def hosts(self) -> list[str]:
        return [r.url.host for r in self.requests]


def exists(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": DIGEST})


def error_json(status: int, code: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        json={"errors": [{"code": code, "message": code.lower(), "detail": None}]},
        headers=dict(headers or {}),
    )
