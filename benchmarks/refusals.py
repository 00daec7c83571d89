"""What a user sees when Kubernetes refuses KubeSpawner's pod create, and how long it takes:
stock KubeSpawner vs. prevalidate's translation, side by side in one run.

`python -m benchmarks refusals` —
1. the translation alone: `parse_status` + `Rejection.refused` over every Status body in
   tests/data/refusals/ (recorded from a real kube-apiserver), microseconds per refusal;
2. a REAL JupyterHub + KubeSpawner on kubesim whose ResourceQuota (12 CPUs) refuses a 14-CPU
   pod: the stock KubeSpawner, and `PrevalidatingKubeSpawner` with the quota check disabled (as
   in a quota race, or in dry run), each spawned N times through the REST API: seconds from
   the request to the answer, its status and the first line of the message the user reads.
Writes the "refusals" section of RESULTS.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks._results import write_section
from prevalidate.messages.rejection import Rejection
from prevalidate.model.refusals import parse_status
from prevalidate.testing.hubprocess import configurable_http_proxy_available, kubespawner_config, start_hub
from prevalidate.testing.kubesim import KubeSim, parse_cluster

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "refusals"
SPAWNS = 10
IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
CLUSTER = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: jhub}}
- apiVersion: v1
  kind: Node
  metadata: {name: worker-1, labels: {kubernetes.io/os: linux}}
  status: {allocatable: {cpu: "16", memory: 64Gi, pods: "110"},
           nodeInfo: {architecture: amd64, operatingSystem: linux}}
- apiVersion: v1
  kind: ResourceQuota
  metadata: {name: compute, namespace: jhub}
  spec: {hard: {requests.cpu: "12"}}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec: {images: [{image: IMAGE}]}
""".replace("IMAGE", IMAGE)
PROFILES = """
c.KubeSpawner.profile_list = [{"display_name": "14 CPUs", "slug": "fourteen", "default": True,
                               "kubespawner_override": {"cpu_guarantee": 14}}]
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 10}
c.Prevalidator.disabled_checks = {"quota"}
c.Prevalidator.registry_checks = False
"""
APPROACHES = {
    "stock KubeSpawner": "kubespawner.KubeSpawner",
    "prevalidate": "prevalidate.PrevalidatingKubeSpawner",
}


def translation_cost(rounds: int = 2000) -> tuple[int, int, float]:
    bodies = [json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))]
    recorded = sum(str(b.get("source", "")).startswith("kube-apiserver") for b in bodies)
    started = time.perf_counter()
    for _ in range(rounds):
        for body in bodies:
            Rejection.refused(parse_status(body["status"], body["body"])).text()
    return len(bodies), recorded, (time.perf_counter() - started) / (rounds * len(bodies)) * 1e6


async def spawn_refused(spawner: str) -> tuple[list[float], set[int], str]:
    seconds: list[float] = []
    statuses: set[int] = set()
    message = ""
    async with KubeSim(parse_cluster(CLUSTER)) as sim:
        kubeconfig = sim.write_kubeconfig(Path(tempfile.mkdtemp()) / "kubeconfig", namespace="jhub")
        config = kubespawner_config("jhub", IMAGE) + f"c.JupyterHub.spawner_class = {spawner!r}\n" + PROFILES
        async with start_hub(config, env={"KUBECONFIG": str(kubeconfig)}) as hub:
            for index in range(SPAWNS + 1):  # the first warms the hub's caches: not counted
                user = f"user{index}"
                await hub.api("POST", f"/users/{user}")
                began = time.perf_counter()
                answer = await hub.api("POST", f"/users/{user}/server", json={})
                took = time.perf_counter() - began
                if index:
                    seconds.append(took)
                    statuses.add(answer.status_code)
                try:
                    message = str(answer.json().get("message", answer.text))
                except ValueError:
                    message = answer.text
    return seconds, statuses, message


def main() -> None:
    count, recorded, micros = translation_cost()
    lines = [
        "## Refused creates: what the user reads (`python -m benchmarks refusals`)",
        "",
        f"Translation alone (`parse_status` + `Rejection.refused` + `text()` over the {count} Status "
        f"bodies of tests/data/refusals/, {recorded} recorded from kube-apiserver v1.37.2): "
        f"**{micros:.0f} µs** "
        "per refusal.",
        "",
    ]
    if configurable_http_proxy_available():
        lines += [
            f"A 14-CPU spawn into a 12-CPU quota, refused by kubesim's ResourceQuota admission "
            f"(JupyterHub REST API, {SPAWNS} spawns after one warm-up, load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):",
            "",
            "| spawner | p50 request → answer | HTTP status | what the user reads (first 160 characters) |",
            "|---|---|---|---|",
        ]
        for label, spawner in APPROACHES.items():
            seconds, statuses, message = asyncio.run(spawn_refused(spawner))
            shown = " ⏎ ".join(message.splitlines())[:160].replace("|", "\\|")
            lines.append(
                f"| {label} | {statistics.median(seconds) * 1000:.0f} ms | "
                f"{', '.join(map(str, sorted(statuses)))} | {shown} |"
            )
    else:
        lines.append("(configurable-http-proxy not installed: the hub part was not run)")
    text = "\n".join(lines)
    write_section("refusals", text)
    print(text)


if __name__ == "__main__":
    main()
