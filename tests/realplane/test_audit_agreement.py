"""`prevalidate audit`'s verdicts, judged by a real kube-apiserver and kube-scheduler (v1.37).

The audit says "fits" when the cluster as it is admits and schedules the pod, "not-now" when it
does not but the same cluster with nothing running does, "never" when even that one refuses it.
Both halves are checked on the plane with the very pods KubeSpawner builds for the demo hub's
profiles (and a misconfigured one): created for real on the GPU-full demo cluster, and on the
same cluster file without its pods (the plane's quota controller then counts zero in use, as
``ClusterView.emptied`` does). Images are out of the plane's reach (no kubelet), so the audit
runs offline here.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevalidate.hub.audit import initialized_profiles
from prevalidate.hub.auditcli import _kubeconfig_nowhere, build_spawner, load_hub_config, run_audit
from prevalidate.hub.podbuild import build_plan, make_shadow
from prevalidate.testing.realplane import RealCluster, schedule
from prevalidate.testing.realplane.api import wait_for
from prevalidate.validators.audit import profile_selection

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "audit" / "jupyterhub_config.py"
GPU_FULL = ROOT / "examples" / "audit" / "cluster-gpu-full.yaml"
# Every profile without options, the custom profile's smallest choices and its largest that fit,
# and the CPU choices the spawn form marks: 16 (over the 10 CPUs the quota has left, within its 40:
# "not-now") and 64 (over the largest node's 62.5: "never").
SAMPLE = [
    ("small", {}),
    ("gpu", {}),
    ("broken", {}),
    ("custom", {"image": "minimal-notebook-2024.1", "cpu": "1", "memory": "2Gi", "storage": "none"}),
    ("custom", {"image": "scipy-notebook-latest", "cpu": "4", "memory": "8Gi", "storage": "shared"}),
    ("custom", {"image": "minimal-notebook-2024.1", "cpu": "16", "memory": "2Gi", "storage": "none"}),
    ("custom", {"image": "minimal-notebook-2024.1", "cpu": "64", "memory": "2Gi", "storage": "none"}),
]


def audit_verdicts() -> dict[str, str]:
    report = asyncio.run(run_audit(str(CONFIG), str(GPU_FULL), None, True))
    return {_key(e.profile, e.options): e.verdict for e in report.entries}


def _key(profile: str, options: dict[str, str]) -> str:
    return profile + json.dumps(options, sort_keys=True)


def sample_pods() -> list[tuple[str, dict[str, Any]]]:
    async def build() -> list[tuple[str, dict[str, Any]]]:
        with _kubeconfig_nowhere():
            spawner = build_spawner(load_hub_config(str(CONFIG)), "prevalidate-audit")
            known = {p["slug"]: profile_selection(p).choices for p in await initialized_profiles(spawner)}
            pods = []
            for slug, options in SAMPLE:
                assert options in known[slug]
                plan = await build_plan(
                    make_shadow(spawner, {"profile": slug, **options}), apply_options=True
                )
                pods.append((_key(slug, options), plan.pod))
            return pods

    return asyncio.run(build())


def for_the_plane(tmp_path: Path, *, pods: bool) -> Path:
    """The GPU-full cluster file as the plane loads it (its own system-* PriorityClasses are
    there already), with or without its pods."""
    document = yaml.safe_load(GPU_FULL.read_text())
    document["items"] = [
        o
        for o in document["items"]
        if not (o["kind"] == "PriorityClass" and o["metadata"]["name"].startswith("system-"))
        and (pods or o["kind"] != "Pod")
    ]
    path = tmp_path / ("cluster.yaml" if pods else "emptied.yaml")
    path.write_text(yaml.safe_dump(document))
    return path


def starts(real_cluster: RealCluster, pod: dict[str, Any]) -> bool:
    """Admitted and bound to a node; the pod is removed again (and its quota usage released)
    so that the next one meets the same cluster."""
    placed = real_cluster.in_namespace(pod)
    ns, name = placed["metadata"]["namespace"], placed["metadata"]["name"]
    used_before = _cpu_used(real_cluster, ns)
    admission, scheduling = schedule(real_cluster.api, placed)
    if admission.allowed:
        real_cluster.api.request(
            "DELETE", f"/api/v1/namespaces/{ns}/pods/{name}", params={"gracePeriodSeconds": "0"}
        )
        wait_for(lambda: _cpu_used(real_cluster, ns) == used_before, 30, "the quota usage released")
    return bool(admission.allowed and scheduling is not None and scheduling.scheduled)


def _cpu_used(real_cluster: RealCluster, ns: str) -> str | None:
    quota = real_cluster.api.get("ResourceQuota", "compute", ns)
    return None if quota is None else ((quota.get("status") or {}).get("used") or {}).get("requests.cpu")


@pytest.fixture(scope="module")
def verdicts() -> dict[str, str]:
    return audit_verdicts()


@pytest.fixture(scope="module")
def pods() -> list[tuple[str, dict[str, Any]]]:
    return sample_pods()


def test_the_sample_covers_every_verdict(verdicts: dict[str, str]) -> None:
    assert {verdicts[_key(slug, options)] for slug, options in SAMPLE} == {"fits", "not-now", "never"}
    # the spawn form's marked CPU choices: the plane below agrees (or these tests fail)
    assert [verdicts[_key(slug, options)] for slug, options in SAMPLE[-2:]] == ["not-now", "never"]


def test_fits_is_what_the_cluster_as_it_is_starts(
    real_cluster: RealCluster,
    verdicts: dict[str, str],
    pods: list[tuple[str, dict[str, Any]]],
    tmp_path: Path,
) -> None:
    real_cluster.load(for_the_plane(tmp_path, pods=True))
    jhub = real_cluster.ns("jhub")
    wait_for(lambda: _cpu_used(real_cluster, jhub) == "30", 60, "the quota controller's usage")
    outcome = {key: starts(real_cluster, pod) for key, pod in pods}
    assert outcome == {key: verdicts[key] == "fits" for key, _ in pods}


def test_never_is_what_even_the_empty_cluster_refuses(
    real_cluster: RealCluster,
    verdicts: dict[str, str],
    pods: list[tuple[str, dict[str, Any]]],
    tmp_path: Path,
) -> None:
    real_cluster.load(for_the_plane(tmp_path, pods=False))
    jhub = real_cluster.ns("jhub")
    wait_for(lambda: _cpu_used(real_cluster, jhub) == "0", 60, "the quota controller's usage")
    outcome = {key: starts(real_cluster, pod) for key, pod in pods}
    assert outcome == {key: verdicts[key] != "never" for key, _ in pods}
