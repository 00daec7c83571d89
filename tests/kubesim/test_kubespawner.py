"""A real JupyterHub (with configurable-http-proxy) and an unmodified KubeSpawner 7.x start and
stop a user server against kubesim; the hub reaches the server through the proxy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from prevalidate.testing.hubprocess import configurable_http_proxy_available
from prevalidate.testing.kubesim import KubeSim

from .conftest import FIXTURES, StartSim, until
from .hubtools import hub_on

STORAGE = """
c.KubeSpawner.storage_pvc_ensure = True
c.KubeSpawner.storage_capacity = "1Gi"
c.KubeSpawner.pvc_name_template = "claim-{username}"
c.KubeSpawner.volumes = [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-{username}"}}]
c.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": "/home/jovyan"}]
"""
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not configurable_http_proxy_available(),
                       reason="configurable-http-proxy not installed (run scripts/bootstrap)"),
]


async def test_kubespawner_starts_and_stops_a_server_the_hub_can_reach(
        start_sim: StartSim, tmp_path: Path) -> None:
    sim: KubeSim = await start_sim(FIXTURES / "hub-cluster.yaml")
    async with hub_on(sim, tmp_path, extra=STORAGE) as hub:
        outcome = await hub.spawn("alice")
        assert outcome.ready, hub.log()[-3000:]
        assert outcome.seconds < 30  # a good spawn starts: scheduling, pull and process start are fast
        pod = sim.store.peek("pods", "jhub", "jupyter-alice")
        assert pod is not None and pod["status"]["phase"] == "Running"
        ip = pod["status"]["podIP"]
        assert ip.startswith("127.") and not ip.startswith("127.0.")  # its own loopback address
        claim = sim.store.peek("persistentvolumeclaims", "jhub", "claim-alice")
        assert claim["status"]["phase"] == "Bound"  # WaitForFirstConsumer, bound at scheduling
        user = (await hub.api("GET", "/users/alice")).json()
        assert user["servers"][""]["ready"] is True
        # Through configurable-http-proxy to the notebook server process on the pod IP.
        async with httpx.AsyncClient(timeout=10) as http:
            reply = await http.get(f"{hub.url}/user/alice/api/status", headers=hub.headers)
        assert reply.status_code == 200, reply.text
        assert "started" in reply.json()

        stop = await hub.api("DELETE", "/users/alice/server")
        assert stop.status_code in (202, 204)
        await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-alice") is None,
                    timeout=30)
    requests = set(sim.request_log)
    assert any(r.startswith("POST /api/v1/namespaces/jhub/pods") for r in requests)
    assert any(r.startswith("DELETE /api/v1/namespaces/jhub/pods/jupyter-alice") for r in requests)
    assert any("watch=True" in r and "/events" in r for r in requests)
    assert "POST /api/v1/namespaces/jhub/persistentvolumeclaims" in requests
    print("\n".join(sorted(requests)))
