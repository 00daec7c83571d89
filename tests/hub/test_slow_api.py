"""Fault: the Kubernetes API answers, but 5 s late on every request (an overloaded apiserver).
The hub's validation must not wait for it: it allows within ``cache_ready_timeout`` with
check-skipped warnings, and once the slow lists arrive the checks run again (a bad spawn is
refused). Real kubesim behind a real TCP proxy that holds each request for 5 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from prevalidate.hub.errors import SpawnRejected
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim, start_kubesim

__all__ = ["start_kubesim"]  # the fixture, used below

CLUSTER = Path(__file__).resolve().parents[2] / "examples" / "cluster.yaml"
DELAY = 5.0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    try:
        while data := await reader.read(65536):
            if delay:
                await asyncio.sleep(delay)  # every request the client sends waits this long
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def slow_proxy() -> AsyncIterator[Callable[[str], Any]]:
    servers: list[asyncio.Server] = []
    pipes: set[asyncio.Task[None]] = set()

    async def start(upstream_url: str) -> str:
        host, port = upstream_url.split("//", 1)[1].rsplit(":", 1)

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            for task in (
                asyncio.ensure_future(_pipe(reader, up_writer, DELAY)),
                asyncio.ensure_future(_pipe(up_reader, writer, 0.0)),
            ):
                pipes.add(task)
                task.add_done_callback(pipes.discard)

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
    for task in list(pipes):
        task.cancel()


@pytest.mark.fault("api-slow")
async def test_an_api_answering_5_s_late_does_not_hold_the_spawn(
    start_kubesim: StartKubeSim,
    slow_proxy: Callable[[str], Any],
    make_spawner: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> None:
    from kubernetes_asyncio.client import Configuration

    from prevalidate.hub.check import check_spawn
    from prevalidate.hub.service import _services

    sim = await start_kubesim(CLUSTER)
    url = await slow_proxy(sim.url)
    # k8s_api_host: KubeSpawner loads its client configuration once per host (lru_cache), and
    # the hub's service is one per host: a host of its own keeps this test apart from others.
    saved = Configuration.get_default_copy()
    request.addfinalizer(lambda: Configuration.set_default(saved))
    settings = {
        "Prevalidator.cache_ready_timeout": 1.0,
        "Prevalidator.registry_checks": False,
        "KubeSpawner.k8s_api_host": url,
    }

    started = time.perf_counter()
    verdict = await check_spawn(make_spawner(settings), path="form", user_options={})
    seconds = time.perf_counter() - started
    assert verdict is not None and verdict.allowed, verdict
    assert {f.code.value for f in verdict.findings} == {"check-skipped"}
    assert seconds < DELAY, f"the validation waited {seconds:.1f} s for a {DELAY:g} s API"
    print(f"api slow: allowed after {seconds:.2f} s")

    # The lists do arrive, 5 s late each: then validation is back, and a spawn that cannot
    # fit (120 CPUs; the largest node has 62.5) is refused again.
    service = next(s for s in _services.values() if s.loop is asyncio.get_running_loop())
    try:
        assert await service.source.wait_ready(120.0), "the slow API never filled the caches"
        huge = make_spawner({**settings, "KubeSpawner.cpu_guarantee": 120})
        with pytest.raises(SpawnRejected):
            await check_spawn(huge, path="form", user_options={})
    finally:
        await service.source.stop()  # type: ignore[attr-defined]
        await service.source._client.close()  # type: ignore[attr-defined]  # the hub never closes it
        if service.registry is not None:
            await service.registry.aclose()  # type: ignore[attr-defined]
