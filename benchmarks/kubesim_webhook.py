"""What a registered validating webhook adds to a pod create in kubesim.

`python -m benchmarks.kubesim_webhook` — kubesim in-process (plain HTTP) and the stand-in
HTTPS webhook (`prevalidate.testing.webhookstandin`, answering "allowed" at once) in the same
event loop; an httpx client POSTs notebook pods one after another: first with no webhook, then
with the configuration deploy/webhook ships pointed at the stand-in. The difference is kubesim's
own cost of calling a webhook (a new TLS connection per call, as kubesim does not pool them) —
not the cost of prevalidate's webhook, which has its own benchmark.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks._results import write_section
from prevalidate.testing.kubesim import KubeSim, parse_cluster
from prevalidate.testing.webhookstandin import StandinWebhook, ca_bundle, configuration, make_certs

CREATES = 300
CLUSTER = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: bench}}
- apiVersion: v1
  kind: Node
  metadata: {name: node-1}
  status: {allocatable: {cpu: '6400', memory: 25600Gi, pods: '100000'}}
"""


def pod(i: int) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"jupyter-{i}", "labels": {"component": "singleuser-server"}},
            "spec": {"containers": [{"name": "notebook", "image": "jupyter/base-notebook",
                                     "resources": {"requests": {"cpu": "10m"}}}]}}


async def creates(http: httpx.AsyncClient, start: int) -> list[float]:
    times = []
    for i in range(start, start + CREATES):
        t0 = time.perf_counter()
        response = await http.post("/api/v1/namespaces/bench/pods", json=pod(i))
        times.append(time.perf_counter() - t0)
        assert response.status_code == 201, response.text
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[int(len(ms) * 0.99) - 1]


async def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        certs = make_certs(Path(tmp))
        webhook = await StandinWebhook(certs).start()
        try:
            async with KubeSim(parse_cluster(CLUSTER)) as sim, httpx.AsyncClient(base_url=sim.url) as http:
                await creates(http, 0)  # warm-up
                without = await creates(http, CREATES)
                config = configuration({"url": webhook.url, "caBundle": ca_bundle(certs)})
                assert (await http.post(
                    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", json=config
                )).status_code == 201
                with_hook = await creates(http, 2 * CREATES)
                assert len(webhook.reviews) == CREATES
        finally:
            await webhook.stop()
    p50a, p99a = summary(without)
    p50b, p99b = summary(with_hook)
    return (
        "## kubesim: pod create with a validating webhook registered\n\n"
        f"`python -m benchmarks.kubesim_webhook`: {CREATES} sequential pod creates (httpx, same event "
        "loop as kubesim and the stand-in HTTPS webhook, which allows at once), 2 shared cores.\n\n"
        "| | p50 | p99 |\n|---|---|---|\n"
        f"| no webhook | {p50a:.2f} ms | {p99a:.2f} ms |\n"
        f"| webhook registered (HTTPS call per create) | {p50b:.2f} ms | {p99b:.2f} ms |\n"
    )


def main() -> None:
    markdown = asyncio.run(run())
    print(markdown)
    write_section("kubesim-webhook", markdown)


if __name__ == "__main__":
    main()
