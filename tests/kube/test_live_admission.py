"""What the admission plugins read, in the live view: RuntimeClasses (node.k8s.io/v1, listed
and watched like every kind) and the namespaces' admission annotations. RBAC that forbids
runtimeclasses skips only what needs them, failing open."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio import client

from prevalidate import Settings, run_all
from prevalidate.kube.dump import load_cluster
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim

from .conftest import FAST, LOGGER, StartLive, eventually, records
from .helpers import forbid

CLUSTER = Path(__file__).resolve().parents[1] / "data" / "admission-cluster.yaml"
OFFLINE = Settings(offline=True)
IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"


def spawn(namespace: str = "jhub", cpu: str = "1", **spec: Any) -> dict[str, Any]:
    container = {"name": "nb", "image": IMAGE, "resources": {"requests": {"cpu": cpu}}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "jupyter-alice", "namespace": namespace},
        "spec": {"containers": [container], **spec},
    }


def codes(pod: dict[str, Any], view: Any) -> list[tuple[str, str]]:
    return sorted((f.code.value, f.severity.value) for f in run_all(pod, view, OFFLINE).findings)


async def test_runtime_classes_and_namespace_annotations_arrive_as_in_the_dump(
    start_kubesim: StartKubeSim, start_live: StartLive
) -> None:
    sim = await start_kubesim(CLUSTER)
    live = await start_live(sim, **FAST)
    assert await live.wait_ready(5)
    view, dump = live.view, load_cluster(CLUSTER)
    assert view.knows("RuntimeClass") and set(view.runtime_classes) == {"gvisor", "kata"}
    assert view.runtime_classes == dump.runtime_classes
    assert view.namespace_annotations == dump.namespace_annotations
    for pod in (
        spawn(runtimeClassName="gvisor", cpu="6"),
        spawn(runtimeClassName="kata"),
        spawn(runtimeClassName="missing"),
        spawn("ml"),
    ):
        assert codes(pod, view) == codes(pod, dump)

    # a class created later arrives by the watch: the pod naming it is no longer refused
    assert ("runtimeclass-not-found", "error") in codes(spawn(runtimeClassName="wasm"), view)
    async with client.ApiClient(client.Configuration(host=sim.url)) as api:
        await client.NodeV1Api(api).create_runtime_class(
            {
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": "wasm"},
                "handler": "spin",
            }
        )
    await eventually(lambda: "wasm" in view.runtime_classes)
    assert codes(spawn(runtimeClassName="wasm"), view) == []


async def test_forbidden_runtime_classes_skip_only_pods_that_name_one(
    start_kubesim: StartKubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    sim = await start_kubesim(CLUSTER, forbid('{resource: runtimeclasses, namespace: ""}'))
    live = await start_live(sim, **FAST)
    assert await live.wait_ready(5)
    view = live.view
    assert not view.knows("RuntimeClass") and view.knows("Node")
    [warning] = records(caplog, logging.WARNING)
    assert "list, watch on runtimeclasses.node.k8s.io (ClusterRole)" in warning
    assert codes(spawn(), view) == []  # no class named: nothing is skipped
    # The gVisor pod only fits the tainted sandbox node: unknown tolerations are assumed.
    gvisor = spawn(runtimeClassName="gvisor", cpu="6")
    assert codes(gvisor, view) == [("check-skipped", "warning")]
    assert codes(spawn(runtimeClassName="missing"), view) == [("check-skipped", "warning")]

    sim.settings.forbid.clear()  # the admin applies deploy/hub-rbac.yaml
    await eventually(lambda: view.knows("RuntimeClass"))
    assert codes(gvisor, view) == []
    assert ("runtimeclass-not-found", "error") in codes(spawn(runtimeClassName="missing"), view)
