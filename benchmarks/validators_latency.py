"""Validation latency on a prebuilt ClusterView, and the cost of one pod event.

Synthetic clusters: 50 nodes / 1,500 pods and 5,000 nodes / 150,000 pods, nodes in five
pools (one tainted GPU pool), every node with a unique hostname label, 30 bound pods per node.
Warm caches: each scenario runs once before it is measured, as in a hub that has served a
spawn of that profile before. Targets (foundation issue): p50 <= 2 ms at 5,000 nodes and no
worse than 10x the 50-node figure; one pod event <= 50 µs.

A second cluster gives every node a z2jh user placeholder (priority -10, 4 CPUs) among its 30
pods, so a full node makes room by preemption: the worst case of the capacity check is a
request no node has room for even after evicting every placeholder (a full scan that also
counts what evictions would free on every node).
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks._results import write_section
from prevalidate.model.cluster import ClusterView
from prevalidate.validators import run_all

POOLS = [
    ("small", {"cpu": "8", "memory": "32Gi"}, []),
    ("medium", {"cpu": "16", "memory": "64Gi"}, []),
    ("large", {"cpu": "32", "memory": "128Gi"}, []),
    ("highmem", {"cpu": "16", "memory": "256Gi"}, []),
    (
        "gpu",
        {"cpu": "32", "memory": "128Gi", "nvidia.com/gpu": "4"},
        [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}],
    ),
]


def build_cluster(nodes: int, pods_per_node: int = 30, placeholders: bool = False) -> ClusterView:
    view = ClusterView()
    view.apply({"kind": "Namespace", "metadata": {"name": "jhub"}, "status": {"phase": "Active"}})
    view.apply({"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "jhub"}})
    view.apply(
        {
            "kind": "ResourceQuota",
            "metadata": {"name": "compute", "namespace": "jhub"},
            "status": {
                "hard": {"requests.cpu": "100000", "requests.memory": "1000Ti", "pods": "1000000"},
                "used": {"requests.cpu": "60000", "requests.memory": "300Ti", "pods": "150000"},
            },
        }
    )
    view.apply(
        {
            "kind": "LimitRange",
            "metadata": {"name": "defaults", "namespace": "jhub"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "1", "memory": "2Gi"},
                        "max": {"memory": "512Gi"},
                    }
                ]
            },
        }
    )
    view.apply(
        {
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "claim-alice", "namespace": "jhub"},
            "spec": {"accessModes": ["ReadWriteOnce"]},
            "status": {"phase": "Bound"},
        }
    )
    for i in range(nodes):
        pool, allocatable, taints = POOLS[i % len(POOLS)]
        name = f"{pool}-{i}"
        view.apply(
            {
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "labels": {"kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64", "pool": pool},
                },
                "spec": {"taints": taints},
                "status": {"allocatable": dict(allocatable, pods="110")},
            }
        )
        for j in range(pods_per_node):
            if placeholders and j == 0:
                placeholder = _pod(f"user-placeholder-{i}", name, "4", "1Gi", f"claim-p-{i}", priority=-10)
                view.apply(placeholder)
                continue
            view.apply(_pod(f"user-{i}-{j}", name, "200m", "1Gi", claim=f"claim-user-{i}-{j}"))
    return view


def _pod(
    name: str,
    node: str | None,
    cpu: str,
    memory: str,
    claim: str = "claim-alice",
    priority: int | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "notebook",
                "image": "quay.io/jupyter/base-notebook:latest",
                "resources": {
                    "requests": {"cpu": cpu, "memory": memory},
                    "limits": {"cpu": cpu, "memory": memory},
                },
            }
        ],
        "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": claim}}],
    }
    if node:
        spec["nodeName"] = node
    if priority is not None:
        spec["priority"] = priority
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "jhub"},
        "spec": spec,
        "status": {"phase": "Running" if node else "Pending"},
    }


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm the caches of this scenario
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def measure(nodes: int, runs: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    view = build_cluster(nodes)
    build_s = time.perf_counter() - t0
    valid = _pod("jupyter-new", None, "2", "4Gi")
    gpu = copy.deepcopy(valid)
    gpu["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] = "1"
    gpu["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    too_big = _pod("jupyter-new", None, "120", "4Gi")
    no_room = _pod("jupyter-new", None, "31", "4Gi")  # fits an empty large node, none has room now
    scenarios = {
        "valid pod": valid,
        "valid GPU pod (tolerations)": gpu,
        "120 CPUs (no-node-fits)": too_big,
        "31 CPUs (insufficient-capacity, full scan)": no_room,
    }
    results: dict[str, Any] = {"nodes": nodes, "pods": view.pod_count(), "build_s": build_s}
    for label, pod in scenarios.items():
        verdict = run_all(pod, view)
        samples = _timed(lambda pod=pod: run_all(pod, view), runs)
        results[label] = (statistics.median(samples), _p95(samples), verdict.codes())
    # One pod event: a running pod's resources change (MODIFIED), applied to the view.
    events = [
        _pod(
            f"user-{i % nodes}-{i % 30}",
            f"{POOLS[(i % nodes) % 5][0]}-{i % nodes}",
            f"{100 + i % 7}m",
            "1Gi",
            claim=f"claim-user-{i % nodes}-{i % 30}",
        )
        for i in range(20000)
    ]
    start = time.perf_counter_ns()
    for event in events:
        view.apply(event)
    results["event_us"] = (time.perf_counter_ns() - start) / len(events) / 1000
    return results


def measure_preemption(nodes: int, runs: int) -> dict[str, Any]:
    """Every node holds a 4-CPU placeholder at priority -10 (5.8 CPUs of user pods besides)."""
    view = build_cluster(nodes, placeholders=True)
    scenarios = {
        "25 CPUs: room once a placeholder goes (preemption-expected)": _pod("jupyter-new", None, "25", "4Gi"),
        "31 CPUs: no room even after preemption (full scan)": _pod("jupyter-new", None, "31", "4Gi"),
    }
    results: dict[str, Any] = {}
    for label, pod in scenarios.items():
        verdict = run_all(pod, view)
        samples = _timed(lambda pod=pod: run_all(pod, view), runs)
        results[label] = (statistics.median(samples), _p95(samples), verdict.codes())
    return results


def _p95(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1]


def main() -> None:
    small, large = measure(50, 400), measure(5000, 200)
    lines = [
        "## Validation latency (foundation issue)",
        "",
        "`python -m benchmarks.validators_latency` — `run_all` on a prebuilt ClusterView, warm caches, "
        "offline (no registry). 5 node pools, unique hostname per node, 30 bound pods per node.",
        "",
        "| scenario | 50 nodes / 1,500 pods p50 (p95) | 5,000 nodes / 150,000 pods p50 (p95) "
        "| ratio | codes |",
        "|---|---|---|---|---|",
    ]
    for label in (
        "valid pod",
        "valid GPU pod (tolerations)",
        "120 CPUs (no-node-fits)",
        "31 CPUs (insufficient-capacity, full scan)",
    ):
        (s50, s95, _), (l50, l95, codes) = small[label], large[label]
        lines.append(
            f"| {label} | {s50:.3f} ms ({s95:.3f}) | {l50:.3f} ms ({l95:.3f}) | {l50 / s50:.1f}x | "
            f"{', '.join(codes) or 'allowed'} |"
        )
    lines += [
        "",
        f"One pod event applied to the view (MODIFIED, 20,000 events): {small['event_us']:.1f} µs "
        "at 50 nodes, "
        f"{large['event_us']:.1f} µs at 5,000 nodes (target <= 50 µs).",
        f"Building the 5,000-node view from 155,000 objects took {large['build_s']:.1f} s (a one-time list).",
        "Targets: p50 <= 2 ms at 5,000 nodes and <= 10x the 50-node figure.",
    ]
    text = "\n".join(lines)
    print(text)
    write_section("validators", text)
    small_p, large_p = measure_preemption(50, 400), measure_preemption(5000, 200)
    lines = [
        "## Capacity check with preemption (issue 9)",
        "",
        "`python -m benchmarks.validators_latency`, second part: the same clusters with a z2jh user "
        "placeholder (priority -10, 4 CPUs) on every node; the new pod has priority 0.",
        "",
        "| scenario | 50 nodes p50 (p95) | 5,000 nodes p50 (p95) | codes |",
        "|---|---|---|---|",
    ]
    for label, (l50, l95, codes) in large_p.items():
        s50, s95, _ = small_p[label]
        row = f"| {label} | {s50:.3f} ms ({s95:.3f}) | {l50:.3f} ms ({l95:.3f}) |"
        lines.append(f"{row} {', '.join(codes)} |")
    text = "\n".join(lines)
    print(text)
    write_section("validators-preemption", text)


if __name__ == "__main__":
    main()
