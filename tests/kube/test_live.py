"""The live, watch-fed ClusterView against kubesim: first list, events, relists after 410,
bookmarks, an API that is down, namespace scope, zero requests per validation, secrets."""

from __future__ import annotations

import logging
import socket

import pytest
from kubernetes_asyncio import client

from prevalidate import Settings, render_verdict, run_all
from prevalidate.kube.dump import load_cluster, load_pod
from prevalidate.model.cluster import ALL_KINDS
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim import load_cluster as load_sim_cluster
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim

from .conftest import (
    EXAMPLE_CLUSTER,
    EXAMPLE_PODS,
    FAST,
    LOGGER,
    StartLive,
    api_client,
    eventually,
    records,
)
from .helpers import lists_of, pod, pvc, watching

OFFLINE = Settings(offline=True)
NAMESPACED = {
    "Pod",
    "ResourceQuota",
    "LimitRange",
    "PersistentVolumeClaim",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
}
CLUSTER_SCOPED = len(ALL_KINDS) - len(NAMESPACED)


async def test_first_list_fills_the_view_and_decides_like_the_kubectl_dump(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim)
    assert await live.wait_ready(5)
    assert live.view.known == set(ALL_KINDS)
    dump = load_cluster(EXAMPLE_CLUSTER)
    assert set(live.view.nodes) == set(dump.nodes)
    assert live.view.usage == dump.usage
    assert live.view.pvcs_in("jhub").keys() == dump.pvcs_in("jhub").keys()
    assert [q.name for q in live.view.quotas_in("jhub")] == [q.name for q in dump.quotas_in("jhub")]
    assert len(EXAMPLE_PODS) >= 5
    for path in EXAMPLE_PODS:
        spawn = load_pod(path)
        expected = run_all(spawn, dump, OFFLINE)
        got = run_all(spawn, live.view, OFFLINE)
        assert got == expected, path.name
        assert render_verdict(got) == render_verdict(expected)


async def test_pods_claims_and_quotas_created_and_deleted_through_the_api_update_the_view(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim)
    assert await live.wait_ready(5)
    view = live.view
    pods_before = view.pod_count()
    async with api_client(example_sim.url) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_persistent_volume_claim("jhub", pvc("claim-dave"))
        await core.create_namespaced_pod("jhub", pod("jupyter-dave", cpu="2"))
        quota = {"metadata": {"name": "gpus"}, "spec": {"hard": {"requests.nvidia.com/gpu": "2"}}}
        await core.create_namespaced_resource_quota("jhub", quota)
        await eventually(lambda: "claim-dave" in view.pvcs_in("jhub"))
        await eventually(lambda: "gpus" in [q.name for q in view.quotas_in("jhub")])
        await eventually(lambda: view.pod_count() == pods_before + 1)
        # the scheduler binds it: its requests now count on its node
        await eventually(lambda: sum(u.pods for u in view.usage.values()) == 3)

        await core.delete_namespaced_pod("jupyter-dave", "jhub", grace_period_seconds=0)
        await core.delete_namespaced_persistent_volume_claim("claim-dave", "jhub")
        await core.delete_namespaced_resource_quota("gpus", "jhub")
        await eventually(lambda: view.pod_count() == pods_before)
        await eventually(lambda: "claim-dave" not in view.pvcs_in("jhub"))
        await eventually(lambda: "gpus" not in [q.name for q in view.quotas_in("jhub")])
    assert sum(u.pods for u in view.usage.values()) == 2


@pytest.mark.fault("api-watch-ends")
async def test_a_watch_that_ends_normally_resumes_from_its_resource_version_without_a_relist(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim)
    assert await live.wait_ready(5)
    await watching(example_sim)
    requests, pod_lists = live.requests, lists_of(example_sim, "/pods")
    logged = len(example_sim.request_log)
    ended = example_sim.end_watches()
    assert ended == len(ALL_KINDS)
    await watching(example_sim)
    assert live.requests == requests + ended  # one new watch per kind, no list
    reconnects = example_sim.request_log[logged:]
    assert len(reconnects) == ended
    assert all("watch=True" in line and "resourceVersion=" in line for line in reconnects)
    async with api_client(example_sim.url) as api:
        await client.CoreV1Api(api).create_namespaced_pod("jhub", pod("after-reconnect"))
    await eventually(lambda: live.view.pod_count() == 4)
    assert lists_of(example_sim, "/pods") == pod_lists


@pytest.mark.fault("api-410")
async def test_after_compaction_the_relist_removes_objects_that_vanished_meanwhile(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim, **FAST)
    assert await live.wait_ready(5)
    view = live.view
    assert "claim-bob" in view.pvcs_in("jhub")
    assert view.pod_count() == 3
    await example_sim.suspend()
    store = example_sim.store
    store.delete("pods", "jhub", "jupyter-bob")
    store.delete("persistentvolumeclaims", "jhub", "claim-bob")
    store.delete("configmaps", "jhub", "user-etc-jupyter")
    new_claim = pvc("claim-erin")
    new_claim["metadata"] = {"name": "claim-erin", "namespace": "jhub"}
    store.create("persistentvolumeclaims", new_claim)
    example_sim.compact()  # the deletions can no longer be replayed: 410 on resume
    pvc_lists = lists_of(example_sim, "/persistentvolumeclaims")
    await example_sim.resume()
    await eventually(lambda: "claim-bob" not in view.pvcs_in("jhub"))
    await eventually(lambda: "claim-erin" in view.pvcs_in("jhub"))
    await eventually(lambda: view.pod_count() == 2)
    await eventually(lambda: "user-etc-jupyter" not in view.configmaps.get("jhub", {}))
    assert lists_of(example_sim, "/persistentvolumeclaims") == pvc_lists + 1
    assert "std-1" not in {n for n, u in view.usage.items() if u.pods}  # bob's node is free again
    assert view.known == set(ALL_KINDS)


async def test_bookmarks_keep_a_quiet_watch_current_so_compaction_needs_no_relist(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim, kinds={"StorageClass", "ConfigMap"}, **FAST)
    assert await live.wait_ready(5)
    await watching(example_sim, 2)
    async with api_client(example_sim.url) as api:  # changes nobody here watches: RVs move on
        core = client.CoreV1Api(api)
        for n in range(3):
            await core.create_namespaced_persistent_volume_claim("jhub", pvc(f"other-{n}"))
    latest = str(example_sim.store.rv)
    logged = len(example_sim.request_log)
    example_sim.end_watches()  # as a timeout does: a BOOKMARK at the latest RV, then the end
    await watching(example_sim, 2)
    reconnects = example_sim.request_log[logged:]
    assert len(reconnects) == 2
    assert all(f"resourceVersion={latest}&" in line for line in reconnects), reconnects
    lists = lists_of(example_sim, "/storageclasses"), lists_of(example_sim, "/configmaps")
    await example_sim.suspend()
    example_sim.compact()
    await example_sim.resume()
    await watching(example_sim, 2)
    assert (lists_of(example_sim, "/storageclasses"), lists_of(example_sim, "/configmaps")) == lists


async def test_namespace_scoped_mode_lists_namespaced_kinds_in_those_namespaces_only(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim, namespaces=["jhub"])
    assert await live.wait_ready(5)
    await watching(example_sim, CLUSTER_SCOPED + 1 + 6)
    view = live.view
    assert view.known == set(ALL_KINDS)
    assert view.scoped == {kind: {"jhub"} for kind in NAMESPACED - {"Pod"}}
    assert view.knows("Secret", "jhub") and not view.knows("Secret", "kube-system")
    assert ("kube-system", "default") not in view.service_accounts
    assert view.pod_count() == 3  # pods stay cluster-wide (node usage needs all of them)
    assert live.requests == 2 * (CLUSTER_SCOPED + 1 + 6)  # a list and a watch per kind and scope
    assert not any(line.startswith("GET /api/v1/secrets") for line in example_sim.request_log), (
        "no cluster-wide secret list when namespaces are given"
    )
    for path in EXAMPLE_PODS:
        spawn = load_pod(path)
        assert run_all(spawn, view, OFFLINE) == run_all(spawn, load_cluster(EXAMPLE_CLUSTER), OFFLINE)


@pytest.mark.fault("api-down-at-start")
async def test_an_api_that_is_down_at_start_is_not_ready_then_fills_the_view_when_it_comes_back(
    start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    with socket.socket() as probe:  # a free port, nothing listening on it yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = await start_live(f"http://127.0.0.1:{port}", **FAST)
    assert await live.wait_ready(0.3) is False
    assert not live.ready and live.view.known == set()
    await eventually(lambda: live.requests > 3 * len(ALL_KINDS))  # retrying, with backoff
    async with KubeSim(load_sim_cluster(EXAMPLE_CLUSTER), port=port) as sim:
        assert await live.wait_ready(5)
        assert live.view.known == set(ALL_KINDS)
        assert len(live.view.nodes) == 6
        await watching(sim)
        warnings, infos = records(caplog, logging.WARNING), records(caplog, logging.INFO)
        assert len(warnings) == 1 and "the Kubernetes API is unavailable" in warnings[0]
        assert infos == ["prevalidate: the Kubernetes API answers again; the cluster view is catching up"]


@pytest.mark.fault("api-down-mid-watch")
async def test_an_outage_keeps_the_last_view_and_resumes_the_watches(
    example_sim: KubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    live = await start_live(example_sim, **FAST)
    assert await live.wait_ready(5)
    await watching(example_sim)
    await example_sim.suspend()
    requests = live.requests
    await eventually(lambda: live.requests > requests + 3 * len(ALL_KINDS))
    assert live.view.known == set(ALL_KINDS) and live.view.pod_count() == 3
    example_sim.store.delete("pods", "jhub", "jupyter-carol")  # replayable: no relist needed
    pod_lists = lists_of(example_sim, "/pods")
    await example_sim.resume()
    await eventually(lambda: live.view.pod_count() == 2)
    await watching(example_sim)
    assert lists_of(example_sim, "/pods") == pod_lists
    assert len(records(caplog, logging.WARNING)) == 1
    assert len(records(caplog, logging.INFO)) == 1


async def test_validations_make_no_api_requests_in_steady_state(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim)
    assert await live.wait_ready(5)
    await watching(example_sim)
    requests, logged = live.requests, len(example_sim.request_log)
    pods = [load_pod(path) for path in EXAMPLE_PODS]
    for n in range(100):
        run_all(pods[n % len(pods)], live.view, OFFLINE)
    assert live.requests == requests
    assert len(example_sim.request_log) == logged


async def test_secret_contents_never_reach_the_logs(
    start_kubesim: StartKubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    sim = await start_kubesim(EXAMPLE_CLUSTER)
    live = await start_live(sim, **FAST)
    assert await live.wait_ready(5)
    async with api_client(sim.url) as api:
        core = client.CoreV1Api(api)
        body = {"metadata": {"name": "canary"}, "stringData": {"password": "canary-s3cret-value"}}
        await core.create_namespaced_secret("jhub", body)  # (the test's client logs its answer)
        caplog.set_level(logging.DEBUG)  # from here on: only what the live cache does with it
        await eventually(lambda: "canary" in live.view.secrets.get("jhub", {}))
    await sim.suspend()
    sim.compact()
    await sim.resume()
    await eventually(lambda: live.requests > 4 * len(ALL_KINDS))
    text = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    for secret in ("canary-s3cret-value", "Y2FuYXJ5LXMzY3JldC12YWx1ZQ", "c2VjcmV0"):
        assert secret not in text


async def test_stop_cancels_every_watch(example_sim: KubeSim, start_live: StartLive) -> None:
    live = await start_live(example_sim)
    assert await live.wait_ready(5)
    await eventually(lambda: len(example_sim.store.watchers) == len(ALL_KINDS))
    await live.stop()
    await eventually(lambda: not example_sim.store.watchers)
    requests = live.requests
    await live.stop()  # idempotent
    assert live.requests == requests


async def test_start_is_idempotent_and_unknown_kinds_are_refused(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim, kinds={"Node"})
    await live.start()
    assert await live.wait_ready(5)
    await watching(example_sim, 1)
    assert live.requests == 2
    assert live.view.known == {"Node"}
    with pytest.raises(ValueError, match="Deployment"):
        await start_live(example_sim, kinds={"Deployment"})
