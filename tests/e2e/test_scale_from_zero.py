"""A node pool scaled to zero, on a real JupyterHub + KubeSpawner + kubesim (whose
cluster-autoscaler adds nodes from `NodePool` templates): z2jh's GPU profile selects a pool that
has no node yet. prevalidate sees the managed node group's label on the running nodes, so it
lets the spawn through with a warning (a refusal here would block every GPU spawn while the
pool is empty), the autoscaler adds the node and the server starts. A profile no pool can hold
is still stopped in seconds: the backstop waits for the autoscaler's verdict, not for
FailedScheduling alone, and fails on NotTriggerScaleUp."""

from __future__ import annotations

import time

import pytest

from prevalidate.testing.registry import RunningRegistry

from .conftest import StartStack, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

GPU_POOL = "cloud.google.com/gke-nodepool"

# A running core node labelled by its managed node group (GKE), and a GPU pool at zero nodes.
CLUSTER = f"""---
apiVersion: v1
kind: Node
metadata:
  name: core-1
  labels: {{{GPU_POOL}: core-pool, kubernetes.io/hostname: core-1}}
status:
  allocatable: {{cpu: "4", memory: 16Gi, pods: "110"}}
---
apiVersion: kubesim.prevalidate.dev/v1
kind: NodePool
metadata: {{name: gpu-pool}}
spec:
  maxCount: 1
  provisionSeconds: 1
  template:
    metadata: {{labels: {{{GPU_POOL}: gpu-pool}}}}
    status: {{allocatable: {{cpu: "8", memory: 32Gi, pods: "110", nvidia.com/gpu: "1"}}}}
"""

PROFILES = f"""
c.KubeSpawner.start_timeout = 120
c.Prevalidator.registry_checks = False
c.KubeSpawner.profile_list = [
    {{"display_name": "GPU", "slug": "gpu",
      "kubespawner_override": {{"node_selector": {{"{GPU_POOL}": "gpu-pool"}},
                               "extra_resource_limits": {{"nvidia.com/gpu": "1"}}}}}},
    {{"display_name": "Two GPUs", "slug": "two-gpus",
      "kubespawner_override": {{"node_selector": {{"{GPU_POOL}": "gpu-pool"}},
                               "extra_resource_limits": {{"nvidia.com/gpu": "2"}}}}}},
]
"""


async def test_a_profile_on_a_pool_at_zero_starts_once_the_autoscaler_adds_its_node(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await stack(PROFILES, sim_extra=CLUSTER)
    assert not [n for n in sim.store.items("nodes") if n["metadata"]["labels"].get(GPU_POOL) == "gpu-pool"]
    outcome = await hub.spawn("gia", {"profile": "gpu"})
    assert outcome.ready, outcome.message
    lines = [str(e.get("message", "")) for e in outcome.events]
    assert any("autoscaler can add nodes" in line for line in lines), lines
    added = [n for n in sim.store.items("nodes") if n["metadata"]["labels"].get(GPU_POOL) == "gpu-pool"]
    assert len(added) == 1
    server = sim.store.get("pods", "jhub", "jupyter-gia")
    assert server["spec"]["nodeName"] == added[0]["metadata"]["name"]


async def test_a_profile_no_pool_can_hold_fails_on_the_autoscalers_refusal(
    stack: StartStack, registry: RunningRegistry
) -> None:
    _sim, hub = await stack(PROFILES, sim_extra=CLUSTER)
    started = time.monotonic()
    outcome = await hub.spawn("hal", {"profile": "two-gpus"})
    assert outcome.failed, outcome
    assert "didn't trigger scale-up" in outcome.message, outcome.message
    assert time.monotonic() - started < 90  # start_timeout is 120: the verdict ended it


async def test_the_admin_can_say_there_is_no_autoscaler(
    stack: StartStack, registry: RunningRegistry
) -> None:
    _sim, hub = await stack(PROFILES + 'c.Prevalidator.autoscaler = "absent"\n', sim_extra=CLUSTER)
    outcome = await hub.spawn("ida", {"profile": "gpu"})
    assert outcome.failed, outcome
    assert outcome.http_status in (400, 422), outcome  # refused inline: no pod was created
    assert "didn't match Pod's node affinity/selector" in outcome.message, outcome.message
