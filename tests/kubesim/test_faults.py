"""Faults a real API client must survive, as kubesim produces them: RBAC 403s with the
apiserver's exact message, watch bookmarks, watches ending at their timeout, compaction (410)
and the API going away and coming back on the same port."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim, parse_cluster
from prevalidate.testing.kubesim.authz import ForbidRule

from .conftest import CLUSTER, StartSim, api_client

USER = "system:serviceaccount:jhub:hub"


def settings(spec: str) -> str:
    return f"apiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec: {spec}\n"


async def get(sim: KubeSim, path: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(sim.url + path) as response:
        return response.status, json.loads(await response.read())


async def watch_lines(sim: KubeSim, path: str, until_type: str | None = None) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    async with aiohttp.ClientSession() as session, session.get(sim.url + path) as response:
        assert response.status == 200
        async for line in response.content:
            events.append(json.loads(line))
            if until_type and events[-1]["type"] == until_type:
                break
    return events


async def test_a_forbidden_cluster_list_is_the_apiservers_rbac_403(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, settings("{forbid: [nodes]}"))
    status, body = await get(sim, "/api/v1/nodes")
    assert status == 403
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'nodes is forbidden: User "{USER}" cannot list resource "nodes" in API group "" '
        "at the cluster scope",
        "reason": "Forbidden",
        "details": {"kind": "nodes"},
        "code": 403,
    }
    status, _ = await get(sim, "/api/v1/nodes?watch=true")
    assert status == 403  # a refused watch never starts streaming
    status, body = await get(sim, "/api/v1/nodes/worker-1")
    assert body["message"] == (
        f'nodes "worker-1" is forbidden: User "{USER}" cannot get resource "nodes" in API group "" '
        "at the cluster scope"
    )


async def test_rules_can_target_a_namespace_the_cluster_scope_a_group_and_verbs(start_sim: StartSim) -> None:
    rules = (
        '{forbid: [{resource: pods, namespace: ""}, {resource: secrets, namespace: jhub, verbs: [watch]},'
        " {resource: storageclasses}], user: 'system:serviceaccount:other:hub'}"
    )
    sim = await start_sim(CLUSTER, settings(rules))
    status, body = await get(sim, "/api/v1/pods")
    assert (status, body["message"]) == (
        403,
        'pods is forbidden: User "system:serviceaccount:other:hub" cannot list resource "pods" in API '
        'group "" at the cluster scope',
    )
    assert (await get(sim, "/api/v1/namespaces/jhub/pods"))[0] == 200
    assert (await get(sim, "/api/v1/namespaces/jhub/secrets"))[0] == 200
    status, body = await get(sim, "/api/v1/namespaces/jhub/secrets?watch=1")
    assert body["message"].endswith('cannot watch resource "secrets" in API group "" in the namespace "jhub"')
    status, body = await get(sim, "/apis/storage.k8s.io/v1/storageclasses")
    assert body["message"].startswith("storageclasses.storage.k8s.io is forbidden: ")
    assert body["details"] == {"kind": "storageclasses", "group": "storage.k8s.io"}


async def test_rbac_can_be_fixed_while_running(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, settings("{forbid: [nodes]}"))
    assert (await get(sim, "/api/v1/nodes"))[0] == 403
    sim.settings.forbid.clear()
    assert (await get(sim, "/api/v1/nodes"))[0] == 200
    sim.settings.forbid.append(ForbidRule("nodes", frozenset({"list"})))
    assert (await get(sim, "/api/v1/nodes"))[0] == 403


def test_bad_forbid_rules_are_one_line_errors() -> None:
    with pytest.raises(Exception, match="forbid entries need a resource"):
        parse_cluster(settings("{forbid: [{verbs: [list]}]}"))
    with pytest.raises(Exception, match="unknown verbs"):
        parse_cluster(settings("{forbid: [{resource: pods, verbs: [lsit]}]}"))


async def test_a_watch_with_bookmarks_gets_them_periodically_at_the_current_rv(start_sim: StartSim) -> None:
    sim = await start_sim(CLUSTER, settings("{bookmarkSeconds: 0.05}"))
    _, listed = await get(sim, "/api/v1/namespaces/jhub/configmaps")
    rv = listed["metadata"]["resourceVersion"]  # type: ignore[index]
    async with api_client(sim) as api:  # a change the configmap watch does not see
        await client.CoreV1Api(api).create_namespaced_service_account("jhub", {"metadata": {"name": "x"}})
    path = f"/api/v1/namespaces/jhub/configmaps?watch=true&resourceVersion={rv}&allowWatchBookmarks=true"
    events = await asyncio.wait_for(watch_lines(sim, path, until_type="BOOKMARK"), 5)
    bookmark = events[-1]["object"]
    assert bookmark == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(sim.store.rv), "creationTimestamp": None},
    }
    assert int(sim.store.rv) > int(rv)


async def test_end_watches_ends_streams_like_a_timeout_with_a_last_bookmark(start_sim: StartSim) -> None:
    sim = await start_sim()
    with_bookmarks = asyncio.ensure_future(
        watch_lines(sim, "/api/v1/nodes?watch=true&resourceVersion=1&allowWatchBookmarks=true")
    )
    without = asyncio.ensure_future(watch_lines(sim, "/api/v1/nodes?watch=true&resourceVersion=1"))

    async def both_open() -> None:
        while len(sim.store.watchers) < 2:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(both_open(), 5)
    assert sim.end_watches() == 2
    events = await asyncio.wait_for(with_bookmarks, 5)
    assert events[-1]["type"] == "BOOKMARK"
    assert all(e["type"] != "BOOKMARK" for e in await asyncio.wait_for(without, 5))


async def test_suspend_refuses_connections_and_resume_serves_the_same_store_on_the_same_port(
    start_sim: StartSim,
) -> None:
    sim = await start_sim()
    port = sim.port
    status, before = await get(sim, "/api/v1/nodes")
    await sim.suspend()
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(sim, "/api/v1/nodes")
    sim.store.delete("nodes", "", "worker-1")
    sim.compact()
    await sim.resume()
    assert sim.port == port
    status, after = await get(sim, "/api/v1/nodes")
    assert status == 200
    assert len(after["items"]) == len(before["items"]) - 1  # type: ignore[arg-type]
    rv = before["metadata"]["resourceVersion"]  # type: ignore[index]
    events = await watch_lines(sim, f"/api/v1/nodes?watch=true&resourceVersion={rv}")
    assert events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410  # type: ignore[index]
