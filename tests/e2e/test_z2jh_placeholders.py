"""z2jh's user placeholders with a real JupyterHub, a real PrevalidatingKubeSpawner and kubesim.

The set-up is what the zero-to-jupyterhub chart renders with `scheduling.podPriority.enabled`
and `scheduling.userPlaceholder.enabled` (jupyterhub/templates/scheduling/priorityclass.yaml,
user-placeholder/priorityclass.yaml and statefulset.yaml; jupyterhub/files/hub/
jupyterhub_config.py sets `c.KubeSpawner.priority_class_name` to the default-priority class):
a `<release>-default-priority` class at 0, a `<release>-user-placeholder-priority` class at
-10, and a placeholder pod of the user pod's size holding the only node. kube-scheduler's
DefaultPreemption evicts the placeholder for the user pod; prevalidate must let the spawn
through (with a note), and kubesim, written independently from the scheduler's source, must
then preempt and run it. Once nothing of lower priority is left, the next spawn is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prevalidate.testing.hubprocess import kubespawner_config, start_hub
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim

from .conftest import needs_hub

pytestmark = [pytest.mark.e2e, needs_hub]

IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
RELEASE = "jhub"


def z2jh_cluster() -> str:
    default_priority = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": f"{RELEASE}-default-priority"},
        "value": 0,
        "globalDefault": False,
        "description": "A default priority higher than user placeholders priority.",
    }
    placeholder_priority = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": f"{RELEASE}-user-placeholder-priority"},
        "value": -10,
        "globalDefault": False,
    }
    # As the user-placeholder StatefulSet's pod is stored: admission gave it priority -10.
    placeholder = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "user-placeholder-0",
            "namespace": "jhub",
            "labels": {"component": "user-placeholder", "app": "jupyterhub", "release": RELEASE},
        },
        "spec": {
            "nodeName": "worker-1",
            "priorityClassName": f"{RELEASE}-user-placeholder-priority",
            "priority": -10,
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "pause",
                    "image": "registry.k8s.io/pause:3.10.2",
                    "resources": {"requests": {"cpu": "1", "memory": "1G"}, "limits": {"memory": "2G"}},
                }
            ],
        },
        "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z"},
    }
    worker = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "worker-1",
            "labels": {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"},
        },
        "status": {
            "allocatable": {"cpu": "1500m", "memory": "8Gi", "pods": "110"},
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux"},
        },
    }
    items = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "jhub"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "jhub"}},
        worker,
        default_priority,
        placeholder_priority,
        placeholder,
    ]
    catalog = {
        "apiVersion": "kubesim.prevalidate.dev/v1",
        "kind": "ImageCatalog",
        "spec": {"images": [{"image": IMAGE}, {"image": "registry.k8s.io/pause:3.10.2"}]},
    }
    settings = {
        "apiVersion": "kubesim.prevalidate.dev/v1",
        "kind": "SimSettings",
        "spec": {"startProcesses": True, "kubeletDelaySeconds": 0.01, "pullSeconds": 0.05},
    }
    return yaml.safe_dump_all([{"apiVersion": "v1", "kind": "List", "items": items}, catalog, settings])


HUB = f"""
c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"
c.KubeSpawner.priority_class_name = "{RELEASE}-default-priority"
c.KubeSpawner.cpu_guarantee = 1
c.Prevalidator.registry_checks = False
"""


async def test_a_user_pod_is_allowed_and_displaces_the_placeholder(
    start_kubesim: StartKubeSim, tmp_path: Path
) -> None:
    sim = await start_kubesim(z2jh_cluster())
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    config = kubespawner_config("jhub", IMAGE, 30) + HUB
    async with start_hub(config, env={"KUBECONFIG": str(kubeconfig)}) as hub:
        outcome = await hub.spawn("alice")
        assert outcome.ready, (outcome.message, hub.log()[-3000:])
        assert "allowed with findings [preemption-expected(info)]" in hub.log()
        notes = [str(e["message"]) for e in outcome.events if str(e.get("message", "")).startswith("Note:")]
        assert len(notes) == 1 and "priority" in notes[0].lower(), notes
        pod = sim.store.peek("pods", "jhub", "jupyter-alice")
        assert pod is not None and pod["spec"]["nodeName"] == "worker-1"
        assert (
            pod["spec"]["priorityClassName"] == f"{RELEASE}-default-priority" and pod["spec"]["priority"] == 0
        )
        assert pod["status"]["phase"] == "Running"
        assert sim.store.peek("pods", "jhub", "user-placeholder-0") is None
        (preempted,) = [e for e in sim.store.items("events", "jhub") if e["reason"] == "Preempted"]
        assert preempted["message"] == f"Preempted by pod {pod['metadata']['uid']} on node worker-1"

        # Nothing of lower priority is left: the next spawn cannot start, and is refused.
        refused = await hub.spawn("bob")
        assert refused.failed and refused.http_status >= 400, refused
        assert "No node has room for 1 CPU right now" in refused.message, refused.message
        assert sim.store.peek("pods", "jhub", "jupyter-bob") is None
