"""kubesim's own admission plugins (podadmission.py): the Kubernetes toleration tables
(pkg/util/tolerations/tolerations_test.go) against its implementation, the RuntimeClass API
(node.k8s.io/v1) a real client uses, and the mutated pod it stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes_asyncio import client
from tolerations_table import SUPERSET_OF, TOLERATIONS

from prevalidate.testing.kubesim import podadmission

from .conftest import StartSim, api_client, until

CLUSTER = Path(__file__).resolve().parents[1] / "data" / "admission-cluster.yaml"
IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"
AS_DICT = {name: t.as_dict() for name, t in TOLERATIONS.items()}


@pytest.mark.parametrize("wide", list(SUPERSET_OF))
def test_kubesim_superset_rule_matches_the_kubernetes_table(wide: str) -> None:
    for narrow in AS_DICT:
        # merging the two keeps only `wide` exactly when it covers `narrow`
        merged = podadmission.merge_tolerations([AS_DICT[narrow]], [AS_DICT[wide]])
        covers = narrow == wide or narrow in SUPERSET_OF[wide]
        assert (merged == [AS_DICT[wide]]) is covers, (wide, narrow, merged)


def test_kubesim_merge_matches_the_kubernetes_merge_table() -> None:
    names = lambda *n: [AS_DICT[x] for x in n]  # noqa: E731
    merge = podadmission.merge_tolerations
    assert merge(
        names("foo-bar-nosched", "foo-baz-nosched"), names("foo-nosched", "faz-baz-nosched")
    ) == names("foo-nosched", "faz-baz-nosched")
    assert merge(names("all"), names("foo-bar-nosched", "foo-noexec-10")) == names("all")
    assert merge(names("foo-bar-nosched"), names("foo-prefnosched")) == names(
        "foo-bar-nosched", "foo-prefnosched"
    )


def sim_settings(line: str) -> str:
    return f"apiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n  {line}\n"


def pod(name: str, **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "nb", "image": IMAGE}], **spec},
    }


async def test_runtime_classes_are_served_and_copied_into_pods(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER)
    async with api_client(sim) as api:
        node_api, core = client.NodeV1Api(api), client.CoreV1Api(api)
        listed = await node_api.list_runtime_class()
        assert sorted(rc.metadata.name for rc in listed.items) == ["gvisor", "kata"]
        await node_api.create_runtime_class(
            {
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": "wasm"},
                "handler": "spin",
            }
        )
        with pytest.raises(client.ApiException) as refused:
            await node_api.create_runtime_class(
                {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "nohandler"}}
            )
        assert refused.value.status == 422
        created = await core.create_namespaced_pod("jhub", pod("kata-pod", runtimeClassName="kata"))
        assert created.spec.overhead == {"cpu": "250m", "memory": "160Mi"}
        sandboxed = await core.create_namespaced_pod("jhub", pod("gvisor-pod", runtimeClassName="gvisor"))
        assert sandboxed.spec.node_selector == {"sandbox.gke.io/runtime": "gvisor"}
        assert any(t.key == "sandbox.gke.io/runtime" for t in sandboxed.spec.tolerations)
        plain = await core.create_namespaced_pod("jhub", pod("wasm-pod", runtimeClassName="wasm"))
        assert plain.spec.overhead is None


async def test_extended_resource_toleration_only_when_enabled_like_gke(start_sim: StartSim) -> None:
    gpu = {"containers": [{"name": "nb", "image": IMAGE, "resources": {"limits": {"nvidia.com/gpu": "1"}}}]}
    wanted = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    enabled = sim_settings("enableAdmissionPlugins: [ExtendedResourceToleration]")
    for extra, expected in (("", False), (enabled, True)):
        sim = await start_sim(CLUSTER, extra)
        async with api_client(sim) as api:
            body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu"}, "spec": gpu}
            created = await client.CoreV1Api(api).create_namespaced_pod("jhub", body)
        stored = sim.store.peek("pods", "jhub", created.metadata.name)
        assert (wanted in stored["spec"]["tolerations"]) is expected


async def test_disabling_the_runtime_class_plugin_leaves_the_pod_as_sent(start_sim: StartSim) -> None:
    disabled = sim_settings("disableAdmissionPlugins: [RuntimeClass]")
    sim = await start_sim(CLUSTER, disabled)
    async with api_client(sim) as api:
        created = await client.CoreV1Api(api).create_namespaced_pod("jhub", pod("k", runtimeClassName="kata"))
    assert created.spec.overhead is None


async def test_without_the_plugin_a_missing_class_fails_the_sandbox_at_the_kubelet(
    start_sim: StartSim,
) -> None:
    """kuberuntime_sandbox.go createPodSandbox: LookupRuntimeHandler's not-found error."""
    sim = await start_sim(CLUSTER, sim_settings("disableAdmissionPlugins: [RuntimeClass]"))
    async with api_client(sim) as api:
        await client.CoreV1Api(api).create_namespaced_pod("jhub", pod("lost", runtimeClassName="gvisr"))

    def failed() -> bool:
        return any(
            e["reason"] == "FailedCreatePodSandBox"
            and e["message"] == 'Failed to create pod sandbox: runtimeclass.node.k8s.io "gvisr" not found'
            for e in sim.store.items("events", "jhub")
        )

    await until(sim, failed)
    assert sim.store.peek("pods", "jhub", "lost")["status"]["phase"] == "Pending"
