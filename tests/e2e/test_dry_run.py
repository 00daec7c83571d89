"""dry_run: prevalidate only logs what it would reject, so an admin can watch it for a week
before enforcing. The spawn goes on exactly as without prevalidate."""

from __future__ import annotations

import httpx
import pytest

from .conftest import StartStack, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

CONFIG = """
c.Prevalidator.dry_run = True
c.JupyterHub.authenticate_prometheus = False
c.KubeSpawner.profile_list = [
    {"display_name": "Small", "slug": "small", "default": True},
    {"display_name": "Missing PVC", "slug": "missing-pvc",
     "kubespawner_override": {
         "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "claim-alcie"}}],
         "volume_mounts": [{"name": "data", "mountPath": "/home/jovyan/data"}]}},
]
"""


async def test_dry_run_logs_the_would_be_rejection_and_lets_the_spawn_go_on(stack: StartStack) -> None:
    sim, hub = await stack(CONFIG)
    await hub.api("POST", "/users/max")
    answer = await hub.api("POST", "/users/max/server", json={"profile": "missing-pvc"})
    assert answer.status_code in (201, 202), answer.text
    # Created, and Pending on the missing claim: what would have happened without prevalidate.
    assert any(p["metadata"]["name"] == "jupyter-max" for p in sim.store.items("pods", "jhub"))
    assert "prevalidate (dry run) would reject" in hub.log()
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{hub.url}/hub/metrics")).text
    assert 'prevalidate_validations_total{outcome="would_reject",path="start"} 1.0' in metrics
    await hub.api("DELETE", "/users/max/server")
