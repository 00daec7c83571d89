"""The runtime backstop on a REAL control plane: a real JupyterHub + PrevalidatingKubeSpawner,
a real kube-apiserver and the real kube-scheduler (v1.37), and the test kubelet. Pre-validation's
capacity check is off, so a pod no node can ever run is created; the backstop must decide from
the real scheduler's own FailedScheduling (its pod condition and its events.k8s.io event, whose
repeats go into `series`), not from kubesim's imitation of them — and a pod that fits must start
with 0 kills."""

from __future__ import annotations

import time

import httpx
import pytest

from prevalidate.testing.registry import RunningRegistry

from .conftest import image, needs_hub, needs_registry
from .test_on_real_kubernetes import StartRealStack, real_stack, until_gone

__all__ = ["real_stack"]  # the fixture, shared with test_on_real_kubernetes

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]


def config(registry: RunningRegistry) -> str:
    return f"""
c.KubeSpawner.start_timeout = 120
c.Prevalidator.registry_checks = False
c.Prevalidator.disabled_checks = {{"capacity"}}
c.JupyterHub.authenticate_prometheus = False
c.KubeSpawner.profile_list = [
    {{"display_name": "Good", "slug": "good", "default": True,
      "kubespawner_override": {{"image": {image(registry)!r}}}}},
    {{"display_name": "Nowhere", "slug": "nowhere",
      "kubespawner_override": {{"node_selector": {{"gpu": "a100"}}}}}},
]
"""


async def test_the_real_schedulers_no_fit_fails_the_spawn_fast_and_a_fitting_pod_starts(
    real_stack: StartRealStack, registry: RunningRegistry
) -> None:
    stack = await real_stack(config(registry))
    started = time.monotonic()
    outcome = await stack.hub.spawn("ida", {"profile": "nowhere"})
    took = time.monotonic() - started
    print(f"no node fits, on the real scheduler: failed in {took:.2f} s")
    assert outcome.failed, outcome
    assert took < 60, outcome  # start_timeout is 120
    assert "No node in the cluster can run a server of this size or kind" in outcome.message, outcome.message
    # The quoted detail is kube-scheduler's own FitError text (v1.37 wording).
    assert "didn't match Pod's node affinity/selector" in outcome.message, outcome.message
    assert "ApiException" not in outcome.message and "SpawnException" not in outcome.message
    await until_gone(stack, "jupyter-ida")
    events = stack.cluster.api.list("Event", stack.ns)
    assert any(
        e.get("reason") == "FailedScheduling" and (e.get("involvedObject") or {}).get("name") == "jupyter-ida"
        for e in events
    ), "the real scheduler wrote no FailedScheduling event"

    good = await stack.hub.spawn("jon", {"profile": "good"})
    assert good.ready, (good.message, stack.kubelet.log, stack.hub.log()[-3000:])
    pod = stack.cluster.api.get("Pod", "jupyter-jon", stack.ns)
    assert pod is not None and pod["spec"]["nodeName"] in {"worker-1", "worker-2"}
    assert "prevalidate backstop: failing the spawn of " + f"{stack.ns}/jupyter-jon" not in stack.hub.log()
    async with httpx.AsyncClient(timeout=30) as http:
        metrics = (await http.get(f"{stack.hub.url}/hub/metrics", headers=stack.hub.headers)).text
    assert 'prevalidate_backstop_outcomes_total{reason="started"} 1.0' in metrics
    assert 'prevalidate_backstop_outcomes_total{reason="scheduling-impossible"} 1.0' in metrics
    answer = await stack.hub.api("DELETE", "/users/jon/server")
    assert answer.status_code in (202, 204), answer.text
    await until_gone(stack, "jupyter-jon")


async def test_a_volume_in_another_zone_fails_on_the_real_schedulers_v137_wording(
    real_stack: StartRealStack, registry: RunningRegistry
) -> None:
    """kube-scheduler v1.37's VolumeBinding says `node(s) didn't match PersistentVolume's node
    affinity` (v1.31, which kubesim imitates, said `had volume node affinity conflict`): the
    judge must know both. The claim is pre-bound (volumeName + bind-completed) to a disk in
    zone-b; no node has a zone label."""
    zonal = (
        'c.KubeSpawner.profile_list.append({"display_name": "Zonal", "slug": "zonal", '
        '"kubespawner_override": '
        '{"volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-zonal"}}], '
        '"volume_mounts": [{"name": "home", "mountPath": "/home/jovyan"}]}})\n'
        'c.Prevalidator.disabled_checks = {"capacity", "pvc"}\n'
    )
    stack = await real_stack(config(registry) + zonal)
    disk = f"disk-b-{stack.ns}"
    made, body = stack.cluster.api.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": disk},
            "spec": {
                "capacity": {"storage": "10Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "zonal",
                "hostPath": {"path": "/tmp/disk-b"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "topology.kubernetes.io/zone",
                                        "operator": "In",
                                        "values": ["zone-b"],
                                    }
                                ]
                            }
                        ]
                    }
                },
            },
        }
    )
    assert made == 201, body
    made, body = stack.cluster.api.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": "claim-zonal",
                "namespace": stack.ns,
                "annotations": {"pv.kubernetes.io/bind-completed": "yes"},
            },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "zonal",
                "volumeName": disk,
                "resources": {"requests": {"storage": "10Gi"}},
            },
        }
    )
    assert made == 201, body
    started = time.monotonic()
    outcome = await stack.hub.spawn("kim", {"profile": "zonal"})
    took = time.monotonic() - started
    print(f"volume zone conflict, on the real scheduler: failed in {took:.2f} s")
    assert outcome.failed, outcome
    assert took < 60, outcome  # the 10 s grace, not start_timeout (120)
    assert "Your storage lives in a zone where no node can run your server" in outcome.message, (
        outcome.message
    )
    assert "didn't match PersistentVolume's node affinity" in outcome.message, outcome.message
    await until_gone(stack, "jupyter-kim")
