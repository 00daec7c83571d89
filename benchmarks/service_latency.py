"""One validation as every front end runs it: ``ValidationService.validate`` (the hub's form,
start and hook paths, ``prevalidate check``, a webhook), on the clusters of
``validators_latency``, with the image looked up through a ``RegistryClient`` whose answers are
warm (a mock transport stands in for the registry, which the warm path never contacts).

Reported per scenario: the p50/p95 of the whole validation (shape, demand, pull secrets,
registry cache, checks, metrics observer), the p50 of ``run_all`` alone on the same pod (the
checks without the orchestration and without registry facts), and how many times the pod's
demand is built per validation (1: the service builds it once and hands it to the checks).
When the registry tells the image's platform, the image check compares it with the nodes the pod
could run on, which costs a scan of the compatible nodes.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import statistics
import time
from typing import Any

import httpx

import prevalidate.validators as validators
from benchmarks._results import write_section
from benchmarks.validators_latency import _pod, build_cluster
from prevalidate.metrics import PrometheusObserver
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import Settings
from prevalidate.registry import RegistryClient
from prevalidate.service import FixedView, ValidationService

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG_BODY = json.dumps({"os": "linux", "architecture": "amd64"}).encode()
MANIFEST_BODY = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + hashlib.sha256(CONFIG_BODY).hexdigest(),
            "size": len(CONFIG_BODY),
        },
        "layers": [],
    }
).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST_BODY).hexdigest()
# label -> (CPUs asked, whether the registry tells the image's platform)
SCENARIOS = {
    "valid pod": ("2", False),
    "120 CPUs (no-node-fits)": ("120", False),
    "31 CPUs (insufficient-capacity, full scan)": ("31", False),
    "valid pod, image platform known (node platforms compared)": ("2", True),
}


def _registry() -> RegistryClient:
    """Every image exists; images under ``multi/`` also tell their platform (linux/amd64):
    the image check then compares it with the platforms of the nodes the pod could run on."""

    def answer(request: httpx.Request) -> httpx.Response:
        if "/blobs/" in request.url.path:
            return httpx.Response(200, content=CONFIG_BODY)
        if "/multi/" not in request.url.path:  # existence only: a HEAD, no platform asked
            headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": "sha256:" + "ab" * 32}
            return httpx.Response(200, headers=headers)
        headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": DIGEST}
        body = b"" if request.method == "HEAD" else MANIFEST_BODY
        return httpx.Response(200, headers=headers, content=body)

    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("93.184.216.34")]

    return RegistryClient(transport=httpx.MockTransport(answer), resolver=resolve)


async def _measure(nodes: int, runs: int) -> dict[str, tuple[float, float, float, float, list[str]]]:
    view = build_cluster(nodes)
    builds = [0]
    real = validators.build_demand

    def counting(*args: Any, **kwargs: Any) -> Any:
        builds[0] += 1
        return real(*args, **kwargs)

    out = {}
    validators.build_demand = counting
    try:
        async with _registry() as client:
            service = ValidationService(Settings(), FixedView(view), client, observer=PrometheusObserver())
            for label, (cpu, platform) in SCENARIOS.items():
                pod = _pod("jupyter-new", None, cpu, "4Gi")
                if platform:
                    pod["spec"]["containers"][0]["image"] = "quay.io/multi/base-notebook:latest"
                request = PodRequest(pod)
                verdict = await service.validate(request, path="bench")  # warms the registry cache
                builds[0] = 0
                samples = []
                for _ in range(runs):
                    start = time.perf_counter_ns()
                    await service.validate(request, path="bench")
                    samples.append((time.perf_counter_ns() - start) / 1e6)
                per_validation = builds[0] / runs
                checks_only = []
                for _ in range(runs):
                    start = time.perf_counter_ns()
                    validators.run_all(request, view, Settings(offline=True))
                    checks_only.append((time.perf_counter_ns() - start) / 1e6)
                out[label] = (
                    statistics.median(samples),
                    sorted(samples)[int(runs * 0.95) - 1],
                    statistics.median(checks_only),
                    per_validation,
                    verdict.codes(),
                )
    finally:
        validators.build_demand = real
    return out


def main() -> None:
    small, large = asyncio.run(_measure(50, 2000)), asyncio.run(_measure(5000, 500))
    lines = [
        "## One validation, as every front end runs it (issue 10)",
        "",
        "`python -m benchmarks.service_latency` — `ValidationService.validate` (the hub, the CLI, a "
        "webhook) on the `validators_latency` clusters; the image looked up through a `RegistryClient` "
        "with a warm cache (no registry request), Prometheus observer on.",
        "",
        "| scenario | 50 nodes p50 (p95) | 5,000 nodes p50 (p95) | `run_all` alone p50 (50 / 5,000) "
        "| demand builds per validation | codes |",
        "|---|---|---|---|---|---|",
    ]
    for label in SCENARIOS:
        s50, s95, sc, sb, _ = small[label]
        l50, l95, lc, lb, codes = large[label]
        lines.append(
            f"| {label} | {s50:.3f} ms ({s95:.3f}) | {l50:.3f} ms ({l95:.3f}) | {sc:.3f} / {lc:.3f} ms | "
            f"{sb:g} / {lb:g} | {', '.join(codes) or 'allowed'} |"
        )
    text = "\n".join(lines)
    write_section("service", text)
    print(text)


if __name__ == "__main__":
    main()
