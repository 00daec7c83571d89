"""Registry lookups side by side on one local registry (Debian's docker-registry, 127.0.0.1).

* a bare ``HEAD`` on a kept-alive httpx connection (the floor any client pays);
* a cold ``RegistryClient.image_facts`` (no cached answer; connection and token warm, as in a
  hub that has met this registry before): existence only, and with the platform check;
* a warm (cached) ``image_facts``;
* ``skopeo inspect --raw`` for the same image (what a script would shell out to);
* 200 concurrent validations of one uncached image: requests the registry and the token
  server actually served, counted from the registry's access log.

Targets (issue 3): warm <= 50 µs; cold existence within 1.5x of the bare HEAD.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable

import httpx

from benchmarks._results import write_section
from prevalidate.registry import RegistryClient
from prevalidate.registry.manifests import ACCEPT
from prevalidate.testing.registry import RunningRegistry, run_registry

ROUNDS = 400
WARM_ROUNDS = 20000


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


async def _timed(run: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await run()
        samples.append(time.perf_counter() - start)
    return samples


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) > 1 else samples[0]


async def _measure(registry: RunningRegistry, image_path: str, index_path: str) -> dict[str, object]:
    host = registry.host
    image = f"{host}/{image_path}"
    repository, tag = image_path.split(":")
    url = f"{registry.url}/v2/{repository}/manifests/{tag}"
    results: dict[str, object] = {}

    async with (
        httpx.AsyncClient() as bare,
        RegistryClient(allowed_registries=[host], insecure_registries=[host]) as client,
    ):
        await bare.head(url, headers={"Accept": ACCEPT})
        await client.image_facts(image, want_platforms=False)  # connection (and challenge) warm

        async def bare_head() -> None:
            await bare.head(url, headers={"Accept": ACCEPT})

        async def cold_existence() -> None:
            client.clear_caches()
            await client.image_facts(image, want_platforms=False)

        # Interleaved round by round, so load on the machine hits both columns alike.
        bare_samples, cold_samples = [], []
        for _ in range(ROUNDS):
            bare_samples += await _timed(bare_head, 1)
            cold_samples += await _timed(cold_existence, 1)
        results["bare"], results["cold"] = bare_samples, cold_samples

        async def cold_platforms() -> None:
            client.clear_caches()
            await client.image_facts(f"{host}/{index_path}")

        results["cold_platforms"] = await _timed(cold_platforms, ROUNDS // 4)
        await client.image_facts(image)
        results["warm"] = await _timed(lambda: client.image_facts(image), WARM_ROUNDS)
    return results


def _skopeo(registry: RunningRegistry, image_path: str, rounds: int = 10) -> list[float] | None:
    if shutil.which("skopeo") is None:
        return None
    command = ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{registry.host}/{image_path}"]
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


async def _burst(registry: RunningRegistry) -> tuple[int, int, int]:
    """(HEADs the registry served, token requests, manifest requests the client sent) for 200
    concurrent validations of one image nobody looked up before."""
    host = registry.host
    tag = "burst"
    registry.push_image("bench/burst", tag)
    tokens = registry.tokens
    async with RegistryClient(allowed_registries=[host], insecure_registries=[host]) as client:
        await client.image_facts(f"{host}/bench/app:1.0", want_platforms=False)  # met before
        tokens_before = tokens.requests if tokens else 0
        sent_before = client.counts["manifest"]
        await asyncio.gather(
            *(client.image_facts(f"{host}/bench/burst:{tag}", want_platforms=False) for _ in range(200))
        )
        sent = client.counts["manifest"] - sent_before
    heads = registry.count_requests("HEAD", f"/v2/bench/burst/manifests/{tag}")
    return heads, (tokens.requests - tokens_before) if tokens else 0, sent


def main() -> None:
    rows = []
    with run_registry("open") as registry:
        registry.push_image("bench/app", "1.0")
        registry.push_image("bench/multi", "1", kind="oci-index", platforms=("linux/amd64", "linux/arm64"))
        measured = asyncio.run(_measure(registry, "bench/app:1.0", "bench/multi:1"))
        skopeo = _skopeo(registry, "bench/app:1.0")
    with run_registry("token") as token_registry:
        token_registry.push_image("bench/app", "1.0")
        heads, token_requests, sent = asyncio.run(_burst(token_registry))

    bare = statistics.median(measured["bare"])  # type: ignore[arg-type]
    cold = statistics.median(measured["cold"])  # type: ignore[arg-type]
    cold_platforms = statistics.median(measured["cold_platforms"])  # type: ignore[arg-type]
    warm = statistics.median(measured["warm"])  # type: ignore[arg-type]
    rows.append(("bare HEAD, kept-alive httpx connection", _ms(bare), "1.00x"))
    rows.append(("cold `image_facts` (existence: HEAD)", _ms(cold), f"{cold / bare:.2f}x"))
    rows.append(
        (
            "cold `image_facts` + platforms (HEAD + index GET)",
            _ms(cold_platforms),
            f"{cold_platforms / bare:.2f}x",
        )
    )
    rows.append(("warm `image_facts` (cached)", _us(warm), f"{warm / bare:.3f}x"))
    if skopeo:
        sk = statistics.median(skopeo)
        rows.append(("`skopeo inspect --raw` (process per lookup)", _ms(sk), f"{sk / bare:.0f}x"))
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    warm_p99 = _p(measured["warm"], 99)  # type: ignore[arg-type]
    markdown = f"""## Registry lookups (issue 3)

`python -m benchmarks.registry_lookup` — one local `docker-registry` (distribution 2.8) on
127.0.0.1, plain HTTP, same image for every row; medians of {ROUNDS} rounds (warm:
{WARM_ROUNDS}). "Cold" = no cached answer, connection already open (a running hub).

| lookup | median | vs bare HEAD |
|---|---|---|
{table}

Client overhead of a cold lookup over the bare HEAD: {_us(cold - bare)} (parse, keyring, policy,
single flight, budget). Warm p99: {_us(warm_p99)}.
Targets: warm <= 50 µs ({"met" if warm <= 50e-6 else "MISSED"});
cold existence <= 1.5x bare HEAD ({"met" if cold <= 1.5 * bare else "MISSED"}).

200 concurrent validations of one uncached image (token-auth registry, client that has met
the registry before): the registry served **{heads}** manifest HEAD(s) and the token server
**{token_requests}** token request(s); the client sent {sent} manifest request(s).
"""
    write_section("registry", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
