"""The kubelet's event sequences and container states (facts document §6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.registry import RunningRegistry, registry_available, run_registry

from .conftest import CLUSTER, StartSim, api_client, notebook_pod, pod_events, until

GOOD = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"


def waiting_reason(sim: KubeSim, name: str, ns: str = "jhub") -> str | None:
    pod = sim.store.peek("pods", ns, name) or {}
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        return (status["state"].get("waiting") or {}).get("reason")
    return None


def phase(sim: KubeSim, name: str, ns: str = "jhub") -> str | None:
    return ((sim.store.peek("pods", ns, name) or {}).get("status") or {}).get("phase")


def reasons(sim: KubeSim, name: str, ns: str = "jhub") -> list[str]:
    return [reason for _, reason, _ in pod_events(sim, name, ns)]


async def test_a_good_pod_runs_with_the_real_event_sequence(sim: KubeSim,
                                                           core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-ok", image=GOOD))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-ok")["status"]["phase"] == "Running")
    pod = await core.read_namespaced_pod("jupyter-ok", "jhub")  # deserialises cleanly
    assert pod.status.pod_ip.startswith("10.244.")
    assert pod.status.container_statuses[0].ready is True
    assert pod.status.container_statuses[0].state.running.started_at is not None
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
    events = pod_events(sim, "jupyter-ok")
    assert [r for _, r, _ in events] == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    assert events[1][2] == f'Pulling image "{GOOD}"'
    assert events[2][2].startswith(f'Successfully pulled image "{GOOD}" in ')


async def test_an_image_on_an_unknown_host_goes_err_image_pull_then_back_off(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    image = "nonexistent.registry.io/broken-image:latest"
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-bad", image=image))
    await until(sim, lambda: waiting_reason(sim, "jupyter-bad") == "ImagePullBackOff")
    events = pod_events(sim, "jupyter-bad")
    failed = [m for t, r, m in events if r == "Failed"]
    assert failed[0].startswith(f'Failed to pull image "{image}": rpc error: code = Unknown desc = '
                                f'failed to pull and unpack image "{image}"')
    assert "lookup nonexistent.registry.io" in failed[0] and failed[0].endswith("no such host")
    assert failed[1:3] == ["Error: ErrImagePull", "Error: ImagePullBackOff"]
    assert ("Normal", "BackOff", f'Back-off pulling image "{image}"') in events
    status = sim.store.peek("pods", "jhub", "jupyter-bad")["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"]["waiting"]["message"].startswith(
        f'Back-off pulling image "{image}": ErrImagePull: rpc error:')


async def test_a_missing_tag_on_a_known_registry_is_not_found(sim: KubeSim,
                                                              core: client.CoreV1Api) -> None:
    image = "quay.io/jupyterhub/k8s-singleuser-sample:does-not-exist"
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-tag", image=image))
    await until(sim, lambda: waiting_reason(sim, "jupyter-tag") == "ErrImagePull")
    message = sim.store.peek("pods", "jhub", "jupyter-tag")["status"]["containerStatuses"][0][
        "state"]["waiting"]["message"]
    assert message == (f'rpc error: code = NotFound desc = failed to pull and unpack image '
                       f'"{image}": failed to resolve reference "{image}": {image}: not found')


async def test_an_image_without_the_node_platform_fails_to_pull(sim: KubeSim,
                                                                core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-arm", image="ghcr.io/org/arm-only:1"))
    await until(sim, lambda: waiting_reason(sim, "jupyter-arm") == "ErrImagePull")
    assert any("no match for platform in manifest: not found" in m
               for _, _, m in pod_events(sim, "jupyter-arm"))


async def test_an_invalid_image_name_is_invalid_image_name(sim: KubeSim,
                                                           core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("jupyter-upper", image="Jupyter/Lab"))
    await until(sim, lambda: waiting_reason(sim, "jupyter-upper") == "InvalidImageName")
    assert reasons(sim, "jupyter-upper")[-2:] == ["InspectFailed", "Failed"]


async def test_a_missing_secret_in_env_is_create_container_config_error_until_created(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    body = notebook_pod("jupyter-env", image=GOOD)
    body["spec"]["containers"][0]["env"] = [
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "later", "key": "token"}}}]
    await core.create_namespaced_pod("jhub", body)
    await until(sim, lambda: waiting_reason(sim, "jupyter-env") == "CreateContainerConfigError")
    assert ("Warning", "Failed", 'Error: secret "later" not found') in pod_events(sim, "jupyter-env")
    await core.create_namespaced_secret("jhub", {"metadata": {"name": "later"},
                                                 "data": {"token": "dA=="}})
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-env")["status"]["phase"] == "Running")


async def test_a_missing_configmap_volume_is_failed_mount_and_stays_container_creating(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    body = notebook_pod("jupyter-vol", image=GOOD, volumes=[
        {"name": "settings", "configMap": {"name": "absent"}}])
    body["spec"]["containers"][0]["volumeMounts"] = [{"name": "settings", "mountPath": "/etc/x"}]
    await core.create_namespaced_pod("jhub", body)
    await until(sim, lambda: "FailedMount" in reasons(sim, "jupyter-vol"))
    assert ("Warning", "FailedMount",
            'MountVolume.SetUp failed for volume "settings" : configmap "absent" not found') in \
        pod_events(sim, "jupyter-vol")
    assert waiting_reason(sim, "jupyter-vol") == "ContainerCreating"


@pytest.fixture(scope="module")
def registry() -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.skip("docker-registry not installed (run scripts/bootstrap)")
    with run_registry("open") as running:
        running.push_image("test/hello", "1.0", kind="oci", platforms=("linux/amd64",))
        running.push_image("test/arm", "1", kind="oci-index", platforms=("linux/arm64",))
        yield running


@pytest.mark.registry
async def test_images_on_an_http_registry_are_really_resolved(
        start_sim: StartSim, registry: RunningRegistry) -> None:
    sim = await start_sim(CLUSTER, "apiVersion: kubesim.prevalidate.dev/v1\nkind: ImageCatalog\n"
                                   f"spec: {{httpRegistries: ['{registry.host}']}}\n")
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        for name, image in (("ok", "test/hello:1.0"), ("gone", "test/hello:9.9"),
                            ("arm", "test/arm:1")):
            await core.create_namespaced_pod("jhub", notebook_pod(name, image=f"{registry.host}/{image}"))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "ok")["status"]["phase"] == "Running")
    await until(sim, lambda: waiting_reason(sim, "gone") in ("ErrImagePull", "ImagePullBackOff"))
    await until(sim, lambda: waiting_reason(sim, "arm") in ("ErrImagePull", "ImagePullBackOff"))
    assert any(m.endswith(f"{registry.host}/test/hello:9.9: not found")
               for _, _, m in pod_events(sim, "gone"))
    assert any("no match for platform" in m for _, _, m in pod_events(sim, "arm"))
    assert registry.count_requests("HEAD", "/v2/test/hello/manifests/1.0") >= 1



@pytest.fixture(scope="module", params=["htpasswd", "token"])
def private_registry(request: pytest.FixtureRequest) -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.skip("docker-registry not installed (run scripts/bootstrap)")
    with run_registry(request.param) as running:
        running.push_image("private/app", "1", kind="oci", platforms=("linux/amd64",))
        yield running


@pytest.mark.registry
async def test_private_images_need_a_matching_pull_secret(
        start_sim: StartSim, private_registry: RunningRegistry) -> None:
    host = private_registry.host
    sim = await start_sim(CLUSTER, "apiVersion: kubesim.prevalidate.dev/v1\nkind: ImageCatalog\n"
                                   f"spec: {{httpRegistries: ['{host}']}}\n")
    kind, config = private_registry.pull_secret()
    image = f"{host}/private/app:1"
    async with api_client(sim) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_secret("jhub", {"metadata": {"name": "pull"}, "type": kind,
                                                     "stringData": {".dockerconfigjson": config}})
        await core.create_namespaced_service_account(
            "jhub", {"metadata": {"name": "puller"}, "imagePullSecrets": [{"name": "pull"}]})
        await core.create_namespaced_pod("jhub", notebook_pod("anonymous", image=image))
        await core.create_namespaced_pod("jhub", notebook_pod(
            "with-secret", image=image, imagePullSecrets=[{"name": "pull"}]))
        await core.create_namespaced_pod("jhub", notebook_pod(
            "via-account", image=image, serviceAccountName="puller"))
        await core.create_namespaced_pod("jhub", notebook_pod(
            "missing-secret", image=image, imagePullSecrets=[{"name": "nope"}]))
    for name in ("with-secret", "via-account"):
        await until(sim, lambda name=name: phase(sim, name) == "Running")
    await until(sim, lambda: waiting_reason(sim, "anonymous") in ("ErrImagePull", "ImagePullBackOff"))
    await until(sim, lambda: waiting_reason(sim, "missing-secret") in ("ErrImagePull", "ImagePullBackOff"))
    failure = next(m for _, r, m in pod_events(sim, "anonymous") if m.startswith("Failed to pull"))
    assert failure.endswith(f"unexpected status from HEAD request to "
                            f"http://{host}/v2/private/app/manifests/1: 401 Unauthorized")
    assert ("Warning", "FailedToRetrieveImagePullSecret",
            "Unable to retrieve some image pull secrets (nope); attempting to pull the image may "
            "not succeed.") in pod_events(sim, "missing-secret")


async def test_pull_policy_never_for_an_absent_image_is_err_image_never_pull(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    body = notebook_pod("jupyter-never", image=GOOD)
    body["spec"]["containers"][0]["imagePullPolicy"] = "Never"
    await core.create_namespaced_pod("jhub", body)
    await until(sim, lambda: waiting_reason(sim, "jupyter-never") == "ErrImageNeverPull")
    assert ("Warning", "ErrImageNeverPull",
            f'Container image "{GOOD}" is not present with pull policy of Never') in \
        pod_events(sim, "jupyter-never")


async def test_a_read_write_once_volume_used_on_another_node_is_a_multi_attach_error(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_persistent_volume_claim("jhub", {
        "metadata": {"name": "rwo"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {
            "requests": {"storage": "1Gi"}}}})
    for name, node in (("on-one", "worker-1"), ("on-two", "worker-2")):
        body = notebook_pod(name, image=GOOD, nodeName=node,
                            volumes=[{"name": "home", "persistentVolumeClaim": {"claimName": "rwo"}}])
        await core.create_namespaced_pod("jhub", body)
        if name == "on-one":
            await until(sim, lambda: phase(sim, "on-one") == "Running")
    await until(sim, lambda: "FailedAttachVolume" in reasons(sim, "on-two"))
    event = next(e for e in sim.store.items("events", "jhub")
                 if e["reason"] == "FailedAttachVolume")
    assert event["source"]["component"] == "attachdetach-controller"
    assert event["message"].startswith('Multi-Attach error for volume "pvc-')
    assert event["message"].endswith('" Volume is already used by pod(s) on-one')
    assert waiting_reason(sim, "on-two") == "ContainerCreating"
    await core.delete_namespaced_pod("on-one", "jhub", grace_period_seconds=0)
    await until(sim, lambda: phase(sim, "on-two") == "Running")


async def test_a_pod_bound_to_a_node_that_does_not_exist_stays_pending(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("orphan", image=GOOD, nodeName="ghost"))
    await core.create_namespaced_pod("jhub", notebook_pod("witness", image=GOOD, nodeName="worker-1"))
    await until(sim, lambda: phase(sim, "witness") == "Running")
    assert phase(sim, "orphan") == "Pending"
    assert reasons(sim, "orphan") == []
