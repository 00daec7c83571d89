"""Hostile registries on real sockets (the fault matrix in README "Faults survived"): a server
that answers with a gzip bomb, a 1 GB manifest, endless headers, one byte at a time, redirects
in a loop, or names a token server that is down. Each one is ``UNVERIFIED`` (a warning that never
blocks a spawn) or a known-existing image without platforms, and none of them holds memory or a
connection beyond a bound. Real sockets, because httpx's mock transport would skip exactly the
parts under test (h11's header limit, content decoding, read timeouts, connection teardown)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from prevalidate.model.image_facts import ImageStatus
from prevalidate.registry import RegistryClient

from .fakes import DIGEST

INDEX = "application/vnd.oci.image.index.v1+json"
GIB = 1024 * 1024 * 1024

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "Served"], Awaitable[None]]


@dataclass
class Served:
    """What the hostile server did: bytes it managed to write, connections it saw close."""

    sent: int = 0
    connections: int = 0
    closed: int = 0
    requests: list[str] = field(default_factory=list)


@dataclass
class Hostile:
    host: str
    served: Served


StartHostile = Callable[[Handler], Awaitable[Hostile]]


async def read_request(reader: asyncio.StreamReader, served: Served) -> str:
    """The request line (headers read and dropped); "" when the client went away."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return ""
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    served.requests.append(line)
    return line


async def write(writer: asyncio.StreamWriter, served: Served, data: bytes) -> None:
    writer.write(data)
    await writer.drain()
    served.sent += len(data)


@pytest.fixture
async def hostile() -> AsyncIterator[StartHostile]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> Hostile:
        served = Served()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            served.connections += 1
            try:
                await handler(reader, writer, served)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # the client hung up on us: what these tests want
            finally:
                served.closed += 1
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return Hostile(f"127.0.0.1:{port}", served)

    yield start
    for server in servers:
        server.close()
        # close_clients (3.13) is not in 3.11: handlers end when their client hangs up.


def client_for(host: str, **options: object) -> RegistryClient:
    return RegistryClient(allowed_registries=[host], insecure_registries=[host], **options)  # type: ignore[arg-type]


def index_headers(length: int, extra: str = "", digest: str = DIGEST) -> bytes:
    return (
        "HTTP/1.1 200 OK\r\n"
        f"Content-Type: {INDEX}\r\nDocker-Content-Digest: {digest}\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


async def measured(coro: Awaitable[object]) -> tuple[object, float, int]:
    """(result, seconds, peak bytes allocated by Python meanwhile)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = await coro
        return result, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of ``size``)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    return b"".join([*(packer.compress(block) for _ in range(size // len(block))), packer.flush()])


@pytest.mark.fault("registry-gzip-bomb")
async def test_a_gzip_bomb_index_is_cut_at_the_body_cap_and_the_image_still_exists(
    hostile: StartHostile,
) -> None:
    bomb = gzip_bomb(GIB)  # 1 GiB of zeros once decoded, ~1 MB on the wire

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while line := await read_request(reader, served):
            if line.startswith("HEAD"):
                await write(writer, served, index_headers(len(bomb)))
            else:
                await write(writer, served, index_headers(len(bomb), "Content-Encoding: gzip\r\n") + bomb)

    server = await hostile(handler)
    async with client_for(server.host) as registry:
        facts, seconds, peak = await measured(registry.image_facts(f"{server.host}/team/app:1"))
    assert facts.status is ImageStatus.EXISTS, facts  # type: ignore[attr-defined]
    assert facts.platforms is None  # type: ignore[attr-defined]  # unknown: no platform check, no block
    assert peak < 64 * 1024 * 1024, f"peak {peak} bytes"  # the 4 MiB cap, not the 1 GiB bomb
    print(f"gzip bomb: {seconds:.2f} s, peak {peak / 2**20:.1f} MiB")


@pytest.mark.fault("registry-huge-manifest")
async def test_a_1_gb_manifest_is_read_only_up_to_the_cap_and_the_connection_dropped(
    hostile: StartHostile,
) -> None:
    chunk = b"[" * (1024 * 1024)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while line := await read_request(reader, served):
            if line.startswith("HEAD"):
                await write(writer, served, index_headers(GIB))
                continue
            await write(writer, served, index_headers(GIB))
            for _ in range(GIB // len(chunk)):
                await write(writer, served, chunk)

    server = await hostile(handler)
    async with client_for(server.host) as registry:
        facts, seconds, peak = await measured(registry.image_facts(f"{server.host}/team/app:1"))
    assert facts.status is ImageStatus.EXISTS and facts.platforms is None, facts  # type: ignore[attr-defined]
    # The client hung up after the cap: the server could push at most the cap plus what the
    # socket buffers held, never the whole gigabyte.
    await until(lambda: server.served.closed == server.served.connections)
    assert server.served.sent < 64 * 1024 * 1024, server.served.sent
    assert peak < 64 * 1024 * 1024, f"peak {peak} bytes"
    sent = server.served.sent / 2**20
    print(f"1 GB manifest: {seconds:.2f} s, sent {sent:.1f} MiB, peak {peak / 2**20:.1f} MiB")


@pytest.mark.fault("registry-endless-headers")
async def test_endless_headers_are_a_protocol_error_not_a_memory_leak(hostile: StartHostile) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_request(reader, served)
        await write(writer, served, b"HTTP/1.1 200 OK\r\n")
        for n in range(10_000_000):
            await write(writer, served, f"X-Padding-{n}: {'a' * 1000}\r\n".encode())

    server = await hostile(handler)
    async with client_for(server.host) as registry:
        facts, seconds, _ = await measured(registry.image_facts(f"{server.host}/team/app:1"))
    assert facts.status is ImageStatus.UNVERIFIED, facts  # type: ignore[attr-defined]
    await until(lambda: server.served.closed == server.served.connections)
    assert server.served.sent < 64 * 1024 * 1024, server.served.sent
    print(f"endless headers: {seconds:.2f} s, sent {server.served.sent / 2**10:.0f} KiB")


@pytest.mark.fault("registry-slowloris")
async def test_a_registry_trickling_one_byte_at_a_time_is_unverified_within_the_budget(
    hostile: StartHostile,
) -> None:
    """One byte every 0.2 s: no read ever times out (5 s each), so only the time budget (what
    the spawn waits) and the lookup timeout (how long the connection is kept) bound it."""
    response = index_headers(0)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        await read_request(reader, served)
        for byte in response:
            await write(writer, served, bytes([byte]))
            await asyncio.sleep(0.2)

    server = await hostile(handler)
    async with client_for(server.host, time_budget=1.0, lookup_timeout=3.0) as registry:
        facts, seconds, _ = await measured(registry.image_facts(f"{server.host}/team/app:1"))
        assert facts.status is ImageStatus.UNVERIFIED, facts  # type: ignore[attr-defined]
        assert "within 1 s" in facts.detail  # type: ignore[attr-defined]
        # The lookup goes on in the background (to fill the cache) but gives up at the
        # lookup timeout and hangs up, long before the 30 s the trickle would take.
        started = time.perf_counter()
        await until(lambda: server.served.closed == server.served.connections, timeout=60.0)
        held = time.perf_counter() - started + seconds
    assert server.served.sent < len(response)
    print(f"slowloris: answer in {seconds:.2f} s, connection held {held:.1f} s")


@pytest.mark.fault("registry-redirect-loop")
async def test_a_redirect_loop_stops_after_five_hops_and_is_unverified(hostile: StartHostile) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while line := await read_request(reader, served):
            path = line.split(" ")[1]
            answer = f"HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\n\r\n"
            await write(writer, served, answer.encode())

    server = await hostile(handler)
    async with client_for(server.host) as registry:
        facts, seconds, _ = await measured(registry.image_facts(f"{server.host}/team/app:1"))
    assert facts.status is ImageStatus.UNVERIFIED and "redirects" in facts.detail, facts  # type: ignore[attr-defined]
    assert len(server.served.requests) == 6  # the first request and five redirects, no more
    print(f"redirect loop: {seconds:.2f} s")


@pytest.mark.fault("registry-token-server-down")
async def test_a_token_server_that_is_down_is_unverified(hostile: StartHostile) -> None:
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    dead = f"127.0.0.1:{port}"

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        challenge = f'Bearer realm="http://{dead}/token",service="r"'
        answer = f"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\nContent-Length: 0\r\n\r\n"
        while await read_request(reader, served):
            await write(writer, served, answer.encode())

    server = await hostile(handler)
    hosts = [server.host, dead]
    async with RegistryClient(allowed_registries=hosts, insecure_registries=hosts) as registry:
        facts, seconds, _ = await measured(registry.image_facts(f"{server.host}/team/app:1"))
    assert facts.status is ImageStatus.UNVERIFIED, facts  # type: ignore[attr-defined]
    assert server.served.requests  # the registry was asked and named the dead realm
    print(f"token server down: {seconds:.2f} s, {facts.detail!r}")  # type: ignore[attr-defined]


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition still false"
        await asyncio.sleep(0.02)  # server-side counters: no event to wait on


async def test_a_gzip_encoded_index_that_is_small_is_decoded(hostile: StartHostile) -> None:
    """The incremental decoder still reads an honest compressed answer (the bomb test's control)."""
    document = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": DIGEST,
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "arm64"},
                }
            ],
        }
    ).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = packer.compress(document) + packer.flush()
    digest = "sha256:" + hashlib.sha256(document).hexdigest()  # of the manifest, not the wire

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, served: Served) -> None:
        while line := await read_request(reader, served):
            if line.startswith("HEAD"):
                await write(writer, served, index_headers(len(packed), digest=digest))
            else:
                gzipped = index_headers(len(packed), "Content-Encoding: gzip\r\n", digest)
                await write(writer, served, gzipped + packed)

    server = await hostile(handler)
    async with client_for(server.host) as registry:
        facts = await registry.image_facts(f"{server.host}/team/app:1")
    assert facts.status is ImageStatus.EXISTS
    assert {(p.os, p.architecture) for p in facts.platforms or ()} == {("linux", "arm64")}


@pytest.mark.fault("registry-dns-failure")
async def test_a_name_the_real_resolver_cannot_resolve_is_unverified_without_a_connection() -> None:
    """The system resolver, not a fake: ``.invalid`` never resolves (RFC 6761). Whether the
    machine has DNS or none at all, the answer is the same warning within the budget."""
    async with RegistryClient(time_budget=3.0) as registry:
        facts, seconds, _ = await measured(registry.image_facts("registry.prevalidate.invalid/team/app:1"))
        assert facts.status is ImageStatus.UNVERIFIED, facts  # type: ignore[attr-defined]
        assert registry.connection_attempts == 0
    print(f"dns failure: {seconds:.2f} s, {facts.detail!r}")  # type: ignore[attr-defined]
