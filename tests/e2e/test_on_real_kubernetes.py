"""The hub end to end on a real Kubernetes control plane: a real JupyterHub + PrevalidatingKubeSpawner
whose KubeSpawner and prevalidate both talk to a real kube-apiserver (v1.37, scripts/bootstrap-k8s),
the real scheduler binding the notebook pod, and a test kubelet (realplane/kubelet.py) running
the pod's `jupyterhub-singleuser` as a local process at its podIP — the way kubesim's kubelet
does in the other e2e tests (there is no container runtime here).

The hub reaches the apiserver through an ApiDoor (realplane/door.py), so the fail-open test can
take the API away from this hub alone without stopping the session's plane.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from prevalidate.testing.hubprocess import RunningHub, kubespawner_config, start_hub
from prevalidate.testing.realplane import RealCluster
from prevalidate.testing.realplane.door import ApiDoor
from prevalidate.testing.realplane.kubelet import TestKubelet
from prevalidate.testing.registry import RunningRegistry

from .conftest import CLUSTER, REST_ANSWERS_AFTER_THE_SPAWN, hub_config, image, needs_hub, needs_registry
from .test_hook_and_fail_open import until_logged, until_ready
from .test_spawn_form import REJECTIONS, profiles

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

# The four failures of seeds/000 (the hub operator's notes), each as a spawn-form profile: the
# quota 403, 120 CPUs no node has, a claim that does not exist, an image tag that does not.
SEEDS = ("over-quota", "huge-cpu", "missing-pvc", "typo-tag")


@dataclass
class RealStack:
    cluster: RealCluster
    hub: RunningHub
    door: ApiDoor
    kubelet: TestKubelet
    ns: str

    def pods(self) -> list[dict[str, object]]:
        return self.cluster.api.list("Pod", self.ns)

    def pod_names(self) -> list[str]:
        return [str(p["metadata"]["name"]) for p in self.pods()]  # type: ignore[index]

    def claim_names(self) -> list[str]:
        return [str(c["metadata"]["name"]) for c in self.cluster.api.list("PersistentVolumeClaim", self.ns)]


StartRealStack = Callable[..., Awaitable[RealStack]]


@pytest.fixture
async def real_stack(
    real_cluster: RealCluster, registry: RunningRegistry, tmp_path: Path
) -> AsyncIterator[StartRealStack]:
    """``await real_stack(extra_config)``: the e2e cluster file loaded into the real plane (its
    `jhub` becomes this test's namespace), a test kubelet for that namespace, a door to the
    apiserver, and a hub whose kubeconfig goes through the door."""
    async with AsyncExitStack() as stack:

        async def start(extra: str = "") -> RealStack:
            real_cluster.load(CLUSTER)
            ns = real_cluster.ns("jhub")
            plane = real_cluster.plane
            kubelet = await stack.enter_async_context(
                TestKubelet(plane.url, plane.token, plane.ca_file, namespaces={ns})
            )
            door = await stack.enter_async_context(ApiDoor(plane.port))
            kubeconfig = plane.write_kubeconfig(tmp_path / "kubeconfig")
            config = yaml.safe_load(kubeconfig.read_text())
            config["clusters"][0]["cluster"]["server"] = door.url
            kubeconfig.write_text(yaml.safe_dump(config))
            hub_text = kubespawner_config(ns, image(registry), 60) + hub_config(registry) + extra
            # Exited before the kubelet (LIFO): the hub deletes its users' pods as it stops, and
            # only a kubelet finishes a graceful deletion.
            hub = await stack.enter_async_context(start_hub(hub_text, env={"KUBECONFIG": str(kubeconfig)}))
            return RealStack(real_cluster, hub, door, kubelet, ns)

        yield start


async def test_the_seed_failures_come_back_inline_and_nothing_reaches_the_apiserver(
    real_stack: StartRealStack, registry: RunningRegistry
) -> None:
    stack = await real_stack(profiles(image(registry)))
    expected = {profile: (status, words) for profile, status, words in REJECTIONS}
    for index, profile in enumerate(SEEDS):
        status, words = expected[profile]
        outcome = await stack.hub.submit_spawn_form(f"seed{index}", {"profile": profile})
        print(f"{profile}: HTTP {outcome.status} in {outcome.seconds * 1000:.0f} ms")
        assert outcome.status == status, (profile, outcome.text[:900])
        assert "/hub/spawn" in outcome.url and "spawn-pending" not in outcome.url, profile
        assert "Your server cannot start" in outcome.text, profile
        for word in words:
            assert word in outcome.text, f"{profile}: {word!r} not in {outcome.text[:900]}"
        assert "Traceback" not in outcome.text and "ApiException" not in outcome.text
    assert stack.pod_names() == [] and stack.claim_names() == ["claim-alice"]
    assert "Traceback" not in stack.hub.log()


async def test_a_valid_spawn_reaches_a_running_server_scheduled_by_the_real_scheduler(
    real_stack: StartRealStack, registry: RunningRegistry
) -> None:
    stack = await real_stack(profiles(image(registry)))
    form = await stack.hub.submit_spawn_form("alice", {"profile": "small"})
    assert (form.status == 200 and "spawn-pending" in form.url) or "/user/alice" in form.url, form.text[:400]
    outcome = await stack.hub.spawn("bob", {"profile": "small"})
    assert outcome.ready, (outcome.message, stack.kubelet.log, stack.hub.log()[-3000:])
    print(f"valid spawn on the real plane: ready in {outcome.seconds:.2f} s")
    pod = stack.cluster.api.get("Pod", "jupyter-bob", stack.ns)
    assert pod is not None and pod["status"]["phase"] == "Running"
    assert pod["spec"]["nodeName"] in {"worker-1", "worker-2"}  # bound by kube-scheduler
    # The LimitRanger and ServiceAccount admission plugins ran on it: it is the apiserver's pod.
    assert pod["spec"]["serviceAccountName"] == "default"
    # The hub really talks to the server at the pod's IP.
    await until_ready(stack.hub, "bob")
    answer = await stack.hub.api("DELETE", "/users/bob/server")
    assert answer.status_code in (202, 204), answer.text
    await until_gone(stack, "jupyter-bob")


async def test_a_rest_spawn_with_bad_options_gets_a_4xx_json_message(
    real_stack: StartRealStack, registry: RunningRegistry
) -> None:
    stack = await real_stack(profiles(image(registry)))
    await stack.hub.api("POST", "/users/carol")
    answer = await stack.hub.api("POST", "/users/carol/server", json={"profile": "huge-cpu"})
    assert answer.status_code == 403, answer.text
    assert "120 CPUs" in answer.json()["message"] and "Choose at most" in answer.json()["message"]
    over = await stack.hub.api("POST", "/users/carol/servers/over", json={"profile": "over-quota"})
    assert over.status_code == 403 and "quota" in over.json()["message"], over.text
    named = await stack.hub.api("POST", "/users/carol/servers/big", json={"profile": "typo-tag"})
    assert named.status_code == 422 and "2024.l" in named.json()["message"], named.text
    assert stack.pod_names() == []
    assert "consecutive spawns failed" not in stack.hub.log()


async def test_an_api_outage_during_validation_does_not_block_a_valid_spawn(
    real_stack: StartRealStack,
) -> None:
    """The door closes just before the spawn (every connection of this hub to the real
    apiserver reset, new ones refused) and opens while prevalidate waits for its caches: the
    valid spawn still starts, on the real plane."""
    stack = await real_stack(REST_ANSWERS_AFTER_THE_SPAWN)
    await stack.door.close()
    spawn = asyncio.ensure_future(stack.hub.spawn("joe"))
    try:
        await until_logged(stack.hub, "the Kubernetes API is unavailable", timeout=60)
    finally:
        await stack.door.open()
    await spawn
    await until_ready(stack.hub, "joe", timeout=120)
    assert "the Kubernetes API answers again" in stack.hub.log()
    pod = stack.cluster.api.get("Pod", "jupyter-joe", stack.ns)
    assert pod is not None and pod["status"]["phase"] == "Running"


async def until_gone(stack: RealStack, name: str, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while stack.cluster.api.get("Pod", name, stack.ns) is not None:
        assert asyncio.get_running_loop().time() < deadline, (name, stack.kubelet.log)
        await asyncio.sleep(0.2)  # a plain GET: the test has no watch of its own
