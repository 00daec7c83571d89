"""The real plane's test helpers for the hub end to end: the test kubelet (runs what the real
scheduler binds, finishes graceful deletions) and the ApiDoor (takes the API away and back)."""

from __future__ import annotations

import asyncio
import ssl
import sys

import httpx
import yaml

from prevalidate.testing.realplane import RealCluster
from prevalidate.testing.realplane.door import ApiDoor
from prevalidate.testing.realplane.kubelet import TestKubelet

NODE = {
    "apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "work"}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
         "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "10"}}},
    ],
}


def sleeper(name: str, seconds: str) -> dict[str, object]:
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "work"},
        "spec": {"containers": [{"name": "c", "image": "busybox",
                                 "command": [sys.executable, "-c", f"import time; time.sleep({seconds})"],
                                 "env": [{"name": "WHO",
                                          "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}]},
    }


async def until(condition: object, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)  # polling the apiserver with the test's plain client


async def test_the_kubelet_runs_a_scheduled_pod_and_finishes_its_deletion(real_cluster: RealCluster) -> None:
    real_cluster.load(yaml.safe_dump(NODE))
    ns, api, plane = real_cluster.ns("work"), real_cluster.api, real_cluster.plane
    async with TestKubelet(plane.url, plane.token, plane.ca_file, namespaces={ns}) as kubelet:
        status, body = api.create(real_cluster.in_namespace(sleeper("long", "600")))
        assert status == 201, body

        def phase(name: str) -> object:
            return ((api.get("Pod", name, ns) or {}).get("status") or {}).get("phase")

        await until(lambda: phase("long") == "Running")
        pod = api.get("Pod", "long", ns)
        assert pod is not None and pod["spec"]["nodeName"] == "n1"  # the real scheduler bound it
        assert pod["status"]["podIP"].startswith("127.")
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])
        # A graceful delete leaves the pod Terminating until a kubelet ends it.
        api.request("DELETE", f"/api/v1/namespaces/{ns}/pods/long", params={"gracePeriodSeconds": "30"})
        await until(lambda: api.get("Pod", "long", ns) is None)
        assert not kubelet.processes and f"{ns}/long: deleted" in kubelet.log

        api.create(real_cluster.in_namespace(sleeper("short", "0")))
        await until(lambda: phase("short") == "Succeeded")  # the container exited 0


async def test_the_door_closes_and_opens_again(real_cluster: RealCluster) -> None:
    plane = real_cluster.plane
    context = ssl.create_default_context(cafile=str(plane.ca_file))
    async with ApiDoor(plane.port) as door, httpx.AsyncClient(verify=context, timeout=10) as http:
        assert (await http.get(f"{door.url}/readyz")).status_code == 200
        await door.close()
        try:
            await http.get(f"{door.url}/readyz")
        except httpx.HTTPError:
            pass
        else:
            raise AssertionError("the closed door let a request through")
        await door.open()
        assert (await http.get(f"{door.url}/readyz")).status_code == 200
