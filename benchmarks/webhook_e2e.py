"""A pod create judged end to end: kubesim calling the real admission webhook.

`python -m benchmarks.webhook_e2e` — kubesim in-process with examples/cluster.yaml, the real
`prevalidate webhook serve` as its own process (certificates from `prevalidate webhook certs`,
`--offline`: no registry in the loop), registered with the configuration deploy/webhook ships
(its Service reached through `SimSettings.webhookServices`). An httpx client creates pods one
after another, as kubectl or KubeSpawner would: a pod the webhook denies (a typo'd claim name),
a valid pod it admits (deleted after each create), and the same valid pod with no webhook
registered, for the baseline. The round trip is the client's: apiserver admission, the HTTPS
call (a new TLS connection per call, as kubesim does not pool them), the review, the answer.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks._results import write_section
from prevalidate.testing.kubesim import KubeSim, load_cluster
from prevalidate.testing.webhookprocess import NAMESPACE, SERVICE, ca_bundle, run_webhook

ROOT = Path(__file__).resolve().parents[1]
CREATES = 25
PODS = "/api/v1/namespaces/jhub/pods"
SHIPPED = ROOT / "deploy" / "webhook" / "base" / "validatingwebhookconfiguration.yaml"


def example(name: str, pod_name: str) -> dict[str, Any]:
    pod: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "pods" / f"{name}.yaml").read_text())
    pod["metadata"]["name"] = pod_name
    return pod


async def timed(http: httpx.AsyncClient, kind: str, expect: int, delete: bool) -> list[float]:
    times = []
    for i in range(CREATES + 3):  # the first three warm up (connections, caches)
        name = f"jupyter-bench-{i}"
        t0 = time.perf_counter()
        response = await http.post(PODS, json=example(kind, name))
        took = time.perf_counter() - t0
        assert response.status_code == expect, response.text
        if delete:
            await http.delete(f"{PODS}/{name}", params={"gracePeriodSeconds": "0"})
        if i >= 3:
            times.append(took)
    return times


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    return f"{statistics.median(ms):.1f} ms | {ms[-1]:.1f} ms"


async def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        async with KubeSim(load_cluster(ROOT / "examples" / "cluster.yaml")) as sim, httpx.AsyncClient(
            base_url=sim.url, timeout=60
        ) as http:
            baseline = await timed(http, "valid", 201, delete=True)
            kubeconfig = sim.write_kubeconfig(Path(tmp) / "kubeconfig")
            async with run_webhook(kubeconfig, Path(tmp) / "webhook", "--offline") as hook:
                config = yaml.safe_load(SHIPPED.read_text())
                config["webhooks"][0]["clientConfig"]["caBundle"] = ca_bundle(hook.certs)
                sim.settings.webhook_services[f"{NAMESPACE}/{SERVICE}"] = hook.address
                registered = await http.post(
                    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", json=config)
                assert registered.status_code == 201, registered.text
                denied = await timed(http, "missing-pvc", 422, delete=False)
                admitted = await timed(http, "valid", 201, delete=True)
                reviews = await hook.reviews()
    assert reviews.get("denied") == CREATES + 3 and reviews.get("allowed") == CREATES + 3, reviews
    return (
        "## Admission webhook end to end: kubesim calling the real webhook\n\n"
        f"`python -m benchmarks.webhook_e2e`: {CREATES} sequential pod creates each (after 3 warm-up), "
        "httpx → kubesim (in-process) → HTTPS → `prevalidate webhook serve --offline` (its own "
        "process, caches warm) → the answer; examples/cluster.yaml; 2 shared cores, other work "
        "running. The webhook's own review latency under 200 concurrent reviews is in the section "
        "of `benchmarks.webhook_latency`.\n\n"
        "| create | p50 | max |\n|---|---|---|\n"
        f"| valid pod, no webhook registered (baseline) | {summary(baseline)} |\n"
        f"| valid pod, admitted by the webhook | {summary(admitted)} |\n"
        f"| bad pod (missing claim), denied by the webhook: 422 with our sentence | {summary(denied)} |\n"
    )


def main() -> None:
    markdown = asyncio.run(run())
    print(markdown)
    write_section("webhook-e2e", markdown)


if __name__ == "__main__":
    main()
