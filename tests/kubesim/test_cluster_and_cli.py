"""Cluster files, `prevalidate sim` standalone and its kubeconfig."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

import pytest
from kubernetes_asyncio import client, config

from prevalidate.testing.kubesim import ClusterFileError, KubeSim, load_cluster, parse_cluster

from .conftest import CLUSTER


def test_cluster_file_objects_and_sim_documents_are_separated() -> None:
    cluster = load_cluster(CLUSTER)
    kinds = {o["kind"] for o in cluster.objects}
    assert {"Node", "Pod", "ResourceQuota", "LimitRange", "StorageClass"} <= kinds
    assert "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0" in cluster.config.catalog.images
    assert "docker.io/jupyter/scipy-notebook:2024-01-15" in cluster.config.catalog.images
    assert cluster.config.settings.image_backoff == 0.5


@pytest.mark.parametrize(("text", "error"), [
    ("kind: [", "not valid YAML"),
    ("apiVersion: v1\nkind: Pod\n", "every object needs kind and metadata.name"),
    ("apiVersion: kubesim.prevalidate.dev/v1\nkind: Teleporter\n", "unknown kubesim"),
    ("apiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec: {warp: 9}\n",
     "SimSettings: unknown field 'warp'"),
])
def test_unusable_cluster_files_give_one_line_errors(text: str, error: str) -> None:
    with pytest.raises(ClusterFileError) as caught:
        parse_cluster(text)
    assert error in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_a_bad_quantity_in_the_dump_names_the_object() -> None:
    cluster = parse_cluster("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n"
                            "status: {allocatable: {cpu: 4K}}\n")
    with pytest.raises(ClusterFileError) as caught:
        await KubeSim(cluster).start()
    assert str(caught.value) == (
        "Node n1: Node in version \"v1\" cannot be handled as a Node: "
        "unable to parse quantity's suffix")


async def test_seeding_recalculates_quota_usage_from_existing_pods() -> None:
    async with KubeSim(load_cluster(CLUSTER)) as sim:
        quota = sim.store.peek("resourcequotas", "jhub", "compute")
    assert quota["status"]["used"] == {"requests.cpu": "2", "requests.memory": "4Gi",
                                       "limits.memory": "4Gi", "pods": "1"}


async def test_prevalidate_sim_serves_the_cluster_and_writes_a_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "prevalidate.testing.kubesim", "--cluster", str(CLUSTER),
        "--kubeconfig-out", str(kubeconfig), stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert line.startswith("kubesim serving http://127.0.0.1:")
        loader_config = client.Configuration()
        await config.load_kube_config(str(kubeconfig), client_configuration=loader_config)
        async with client.ApiClient(loader_config) as api:
            nodes = await client.CoreV1Api(api).list_node()
        assert sorted(n.metadata.name for n in nodes.items) == [
            "control-plane", "worker-1", "worker-2"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_prevalidate_sim_with_a_missing_file_exits_2(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "prevalidate.testing.kubesim", "--cluster",
        str(tmp_path / "nope.yaml"), stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert err.decode().startswith("prevalidate sim: cannot read ")
    assert len(err.decode().strip().splitlines()) == 1
